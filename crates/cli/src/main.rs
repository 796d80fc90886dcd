//! `meetcrypt`: PnL reports from exported files, exports, and native sync through a relay. Each subcommand lives in
//! its own module; `main` only dispatches. The command line is declared in `args` (clap's derive).

mod args;
mod export_cmd;
mod files;
mod pnl_cmd;
mod sync_cmd;

use std::io::Write;
use std::process::ExitCode;

use args::{Cli, Command};
use clap::{CommandFactory, Parser};

/// The relay's allocator too: reading a large ledger is mostly small allocations (ids, accounts, asset names).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Everything that can go wrong, with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command line is wrong.
    #[error("{0}\n\nRun `meetcrypt --help` for usage.")]
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
    Koinly(#[from] formats::KoinlyError),
    /// A sync state file cannot be read.
    #[error("{file}: not a sync state: {reason}")]
    State {
        /// The state file.
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// A decisions file is malformed or names what the ledger does not have.
    #[error("{file}: {reason}")]
    Decisions {
        /// The decisions file.
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// A bundle does not verify or cannot be read.
    #[error("{file}: {reason}")]
    Bundle {
        /// The bundle file.
        file: String,
        /// What is wrong.
        reason: String,
    },
}

fn run(command: Command) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let text = match command {
        Command::Sync(_) => unreachable!("dispatched in main"),
        Command::Pnl(a) => pnl_cmd::run(a)?,
        Command::Export(e) => export_cmd::run(e)?,
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "meetcrypt", &mut buf);
            String::from_utf8(buf).expect("completion scripts are UTF-8")
        }
    };
    out.write_all(text.as_bytes()).map_err(|source| CliError::Io { file: "stdout".into(), source })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = match cli.command {
        _ if cli.version => {
            println!("meetcrypt {} ({})", env!("CARGO_PKG_VERSION"), pnl::ENGINE_VERSION);
            return ExitCode::SUCCESS;
        }
        None => {
            // no subcommand: the help, as a usage error
            eprintln!("{}", Cli::command().render_help());
            return ExitCode::from(2);
        }
        Some(c) => c,
    };
    // A command that prints as it goes and chooses its own exit status.
    if let Command::Sync(a) = command {
        return ExitCode::from(sync_cmd::run(a) as u8);
    }
    match run(command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("meetcrypt: {e}");
            ExitCode::from(if matches!(e, CliError::Usage(_)) { 2 } else { 1 })
        }
    }
}
