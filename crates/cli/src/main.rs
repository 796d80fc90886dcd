//! `meetcrypt`: PnL reports from exported files, exports, and native sync through a relay. Each subcommand lives in
//! its own module; `main` only dispatches. Argument parsing is hand-written (see `args`) to keep builds light.

mod args;
mod export_cmd;
mod files;
mod pnl_cmd;
mod sync_cmd;

use std::io::Write;
use std::process::ExitCode;

/// The relay's allocator too: reading a large ledger is mostly small allocations (ids, accounts, asset names).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Everything that can go wrong, with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command line is wrong.
    #[error("{0}\n\nRun `meetcrypt help` for usage.")]
    Usage(String),
    /// A file could not be read or written.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A ledger or prices file is malformed (names the file and line).
    #[error(transparent)]
    Format(#[from] ledger::FormatError),
    /// A Koinly CSV row is malformed.
    #[error(transparent)]
    Koinly(#[from] pnl::export::KoinlyError),
    /// A bundle does not verify or cannot be read.
    #[error("{file}: {reason}")]
    Bundle {
        /// The bundle file.
        file: String,
        /// What is wrong.
        reason: String,
    },
}

const USAGE: &str = "\
meetcrypt: a read-only crypto portfolio and PnL tracker

USAGE:
  meetcrypt sync --relay URL --keys FILE --out DIR [--days N] [--quiet]
                                                              pull every key's accounts through the relay into
                                                              DIR/ledger.jsonl and DIR/balances.json; resumes from DIR
  meetcrypt pnl --ledger FILE [--prices FILE] [--positions FILE] [SETTINGS]
                                                              the report as JSON on stdout
  meetcrypt pnl --bundle FILE                                 recompute a bundle and check it matches
  meetcrypt export koinly --ledger FILE [--account A]         the ledger as Koinly universal CSV
  meetcrypt export ledger --koinly FILE --account A           a Koinly universal CSV as a ledger (JSON Lines)
  meetcrypt export report-csv --ledger FILE [--prices FILE] [SETTINGS]
                                                              one row per disposal with the lots used, and a summary
  meetcrypt export bundle --ledger FILE [--prices FILE] [SETTINGS]
                                                              ledger, prices, settings, engine version and report

SETTINGS:
  --currency C                      profit currency (default USD)
  --method fifo|lifo|hifo|acb       cost-basis method (default fifo)
  --fees-in-cost-basis true|false   (default true)
  --pools universal|per-account     (default universal)
  --stablecoins-as-usd true|false   USDT, USDC, FDUSD, BUSD count as USD (default true)
  --deposits-at-market true|false   unmatched deposits open a lot at market value (default false)
  --from TIME --to TIME             report window, RFC 3339 UTC (e.g. 2024-01-01T00:00:00Z)

Output goes to stdout (`--out FILE` writes a file instead). Formats: docs/ledger-format.md.
";

fn run(argv: Vec<String>) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let (command, rest) = argv.split_first().map(|(c, r)| (c.as_str(), r)).unwrap_or(("help", &[]));
    let text = match command {
        "pnl" => pnl_cmd::run(rest)?,
        "export" => export_cmd::run(rest)?,
        "help" | "--help" | "-h" => USAGE.to_string(),
        "--version" | "version" => format!("meetcrypt {} ({})\n", env!("CARGO_PKG_VERSION"), pnl::ENGINE_VERSION),
        other => return Err(CliError::Usage(format!("unknown command {other:?}"))),
    };
    out.write_all(text.as_bytes()).map_err(|source| CliError::Io { file: "stdout".into(), source })
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    // A command that prints as it goes and chooses its own exit status dispatches here, before `run`.
    if argv.first().map(String::as_str) == Some("sync") {
        return ExitCode::from(sync_cmd::run(&argv[1..]) as u8);
    }
    match run(argv) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("meetcrypt: {e}");
            ExitCode::from(if matches!(e, CliError::Usage(_)) { 2 } else { 1 })
        }
    }
}
