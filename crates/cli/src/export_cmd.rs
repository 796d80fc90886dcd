//! `meetcrypt export ...`: the ledger as Koinly CSV and back, the report as CSV, and a verifiable bundle.

use crate::args::{Args, SETTINGS_FLAGS};
use crate::{CliError, files};

/// Runs `meetcrypt export WHAT ...` and returns what to print.
pub fn run(argv: &[String]) -> Result<String, CliError> {
    let Some((what, rest)) = argv.split_first() else {
        return Err(CliError::Usage("export what? koinly, ledger, report-csv or bundle".into()));
    };
    let mut with_settings = vec!["ledger", "prices", "positions", "out"];
    with_settings.extend(SETTINGS_FLAGS);
    match what.as_str() {
        "koinly" => {
            let a = Args::parse(rest, &["ledger", "account", "out"])?;
            let out = a.get("out");
            let events = files::ledger(&a.required("ledger")?)?;
            files::output(pnl::export::koinly_csv(&events, a.get("account").as_deref()), out)
        }
        "ledger" => {
            let a = Args::parse(rest, &["koinly", "account", "out"])?;
            let out = a.get("out");
            let path = a.required("koinly")?;
            let account = a.required("account")?;
            let events = pnl::export::ledger_from_koinly_csv(&files::text(&path)?, &account, &path)?;
            let mut buf = Vec::new();
            ledger::write_jsonl(&mut buf, &events).expect("writing to memory");
            files::output(String::from_utf8(buf).expect("JSON is UTF-8"), out)
        }
        "report-csv" => {
            let a = Args::parse(rest, &with_settings)?;
            let out = a.get("out");
            let i = files::report_inputs(&a)?;
            let report = pnl::compute_with_positions(&i.events, &i.prices, &i.positions, &i.settings);
            files::output(pnl::export::report_csv(&report, &i.events), out)
        }
        "bundle" => {
            let a = Args::parse(rest, &with_settings)?;
            let out = a.get("out");
            let i = files::report_inputs(&a)?;
            let bundle = pnl::export::Bundle::with_positions(i.events, i.prices, i.positions, i.settings);
            let mut json = serde_json::to_string(&bundle).expect("a bundle always serializes");
            json.push('\n');
            files::output(json, out)
        }
        other => {
            Err(CliError::Usage(format!("unknown export {other:?}: expected koinly, ledger, report-csv or bundle")))
        }
    }
}
