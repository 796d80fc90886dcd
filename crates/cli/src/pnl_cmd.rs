//! `meetcrypt pnl`: the report as JSON, from a ledger and prices or from a bundle.

use crate::args::{Args, SETTINGS_FLAGS};
use crate::{CliError, files};

/// Runs `meetcrypt pnl ...` and returns what to print.
pub fn run(argv: &[String]) -> Result<String, CliError> {
    let mut allowed = vec!["ledger", "prices", "positions", "bundle", "out"];
    allowed.extend(SETTINGS_FLAGS);
    let a = Args::parse(argv, &allowed)?;
    let out = a.get("out");
    let report = if let Some(path) = a.get("bundle") {
        if let Some(flag) = a.has_any(
            &["ledger", "prices", "positions"].iter().chain(SETTINGS_FLAGS.iter()).copied().collect::<Vec<_>>(),
        ) {
            return Err(CliError::Usage(format!(
                "--{flag} cannot be used with --bundle: a bundle carries its own ledger, prices and settings"
            )));
        }
        let text = files::text(&path)?;
        let bundle: pnl::export::Bundle = serde_json::from_str(&text)
            .map_err(|e| CliError::Bundle { file: path.clone(), reason: format!("not a bundle: {e}") })?;
        bundle.verify().map_err(|e| CliError::Bundle { file: path.clone(), reason: e.to_string() })?
    } else {
        let i = files::report_inputs(&a)?;
        let report = pnl::compute_with_positions(&i.events, &i.prices, &i.positions, &i.settings);
        // the process ends once the report is printed: freeing a million events one by one would only cost time
        std::mem::forget(i);
        report
    };
    let mut json = serde_json::to_string_pretty(&report).expect("a report always serializes");
    json.push('\n');
    files::output(json, out)
}
