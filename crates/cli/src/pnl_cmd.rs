//! `meetcrypt pnl`: the report as JSON, from a ledger and prices or from a bundle; with `--state`, the residuals of
//! the synced accounts too (docs/sync.md, "Balances explained").

use sync_engine::SyncState;
use sync_engine::residual;

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
        // the state is read before the ledger: a wrong file fails at once
        let state = a.state.as_deref().map(read_state).transpose()?;
        let i = files::report_inputs(&a.inputs)?;
        if let Some(state) = state {
            // stdout is the report's JSON: the residuals go to stderr, as `meetcrypt sync` prints them
            for line in residual_lines(&state, &i.events) {
                eprintln!("{line}");
            }
        }
        let report = pnl::compute_with_positions(&i.events, &i.prices, &i.positions, &i.settings);
        // the process ends once the report is printed: freeing a million events one by one would only cost time
        std::mem::forget(i);
        report
    };
    let mut json = serde_json::to_string_pretty(&report).expect("a report always serializes");
    json.push('\n');
    files::output(json, a.out)
}

/// Reads `sync-state.json`.
fn read_state(path: &str) -> Result<SyncState, CliError> {
    let text = files::text(path)?;
    serde_json::from_str(&text).map_err(|e| CliError::State { file: path.into(), reason: e.to_string() })
}

/// Per account of the state, "complete" or its residual rows (docs/ledger-format.md, "meetcrypt pnl"); an account
/// with no balances read yet says so.
pub fn residual_lines(state: &SyncState, events: &[ledger::Event]) -> Vec<String> {
    let mut out = Vec::new();
    for (key, st) in &state.accounts {
        match residual::of_state(key, st, events) {
            Some(r) => out.extend(residual::lines(&r)),
            None => out.push(format!("{key}: no balances read yet: nothing to compare the ledger with")),
        }
    }
    out
}
