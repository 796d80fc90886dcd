//! `meetcrypt export ...`: the ledger as Koinly CSV and back, the report as CSV, and a verifiable bundle.

use crate::args::Export;
use crate::{CliError, files};

/// Runs `meetcrypt export WHAT ...` and returns what to print.
pub fn run(what: Export) -> Result<String, CliError> {
    match what {
        Export::Koinly { ledger, account, out } => {
            let events = files::ledger(&ledger)?;
            files::output(formats::koinly_csv(&events, account.as_deref()), out)
        }
        Export::Ledger { koinly, account, out } => {
            let events = formats::ledger_from_koinly_csv(&files::text(&koinly)?, &account, &koinly)?;
            let mut buf = Vec::new();
            ledger::write_jsonl(&mut buf, &events).expect("writing to memory");
            files::output(String::from_utf8(buf).expect("JSON is UTF-8"), out)
        }
        Export::ReportCsv { inputs, out } => {
            let i = files::report_inputs(&inputs)?;
            let report = pnl::compute_with_positions(&i.events, &i.prices, &i.positions, &i.settings);
            files::output(formats::report_csv(&report, &i.events), out)
        }
        Export::Bundle { inputs, out } => {
            let i = files::report_inputs(&inputs)?;
            let bundle = pnl::bundle::Bundle::with_positions(i.events, i.prices, i.positions, i.settings);
            let mut json = serde_json::to_string(&bundle).expect("a bundle always serializes");
            json.push('\n');
            files::output(json, out)
        }
    }
}
