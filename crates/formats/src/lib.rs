//! Files for other tools: the ledger as Koinly's universal CSV and back ([`koinly`]), and the PnL report as CSV
//! ([`report_csv`]), and the realized-gains report of a period with its CSV ([`gains`]). Everything is in memory, as strings, so the app (wasm) and the CLI write the same bytes. The
//! formats are described in docs/ledger-format.md. The report itself and its verifiable bundle are the engine's
//! (`pnl::report`, `pnl::bundle`).

mod csv_text;
pub mod gains;
pub mod koinly;
pub mod report_csv;

pub use gains::{GainsReport, HoldingPreset, gains_csv};
pub use koinly::{
    KOINLY_HEADER, KoinlyEntry, KoinlyError, koinly_csv, ledger_from_koinly_csv, ledger_from_koinly_entry,
};
pub use report_csv::report_csv;
