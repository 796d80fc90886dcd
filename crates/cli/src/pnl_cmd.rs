//! `meetcrypt pnl`: the report as JSON, from a ledger and prices or from a bundle.

use crate::args::PnlArgs;
use crate::{CliError, files};

/// Runs `meetcrypt pnl ...` and returns what to print.
pub fn run(a: PnlArgs) -> Result<String, CliError> {
    let report = if let Some(path) = a.bundle {
        let text = files::text(&path)?;
        let bundle: pnl::bundle::Bundle = serde_json::from_str(&text)
            .map_err(|e| CliError::Bundle { file: path.clone(), reason: format!("not a bundle: {e}") })?;
        bundle.verify().map_err(|e| CliError::Bundle { file: path.clone(), reason: e.to_string() })?
    } else {
        let i = files::report_inputs(&a.inputs)?;
        let report = pnl::compute_with_positions(&i.events, &i.prices, &i.positions, &i.settings);
        // the process ends once the report is printed: freeing a million events one by one would only cost time
        std::mem::forget(i);
        report
    };
    let mut json = serde_json::to_string_pretty(&report).expect("a report always serializes");
    json.push('\n');
    files::output(json, a.out)
}
