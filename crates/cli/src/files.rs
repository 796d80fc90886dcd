//! Reading inputs and writing outputs, with errors that name the file.

use std::cell::RefCell;
use std::fs::File;
use std::io::BufReader;

use ledger::{Event, PricePoint};
use rustc_hash::FxHashSet;

use crate::CliError;
use crate::args::InputArgs;

/// What a report is computed from: `--ledger`, `--prices`, `--positions` and the settings flags.
pub struct ReportInputs {
    /// The ledger's events.
    pub events: Vec<Event>,
    /// Price points (none without `--prices`).
    pub prices: Vec<PricePoint>,
    /// Open futures positions (none without `--positions`).
    pub positions: Vec<pnl::Position>,
    /// Engine settings.
    pub settings: pnl::Settings,
}

/// Reads a report's inputs; the settings are checked first, before any file is read.
pub fn report_inputs(a: &InputArgs) -> Result<ReportInputs, CliError> {
    let settings = a.settings.settings()?;
    let Some(path) = &a.ledger else { return Err(CliError::Usage("--ledger is required".into())) };
    let events = ledger(path)?;
    let prices = prices(a.prices.as_deref())?;
    let positions = positions(a.positions.as_deref())?;
    Ok(ReportInputs { events, prices, positions, settings })
}

fn open(path: &str) -> Result<BufReader<File>, CliError> {
    // large reads: a ledger can be hundreds of megabytes
    File::open(path)
        .map(|f| BufReader::with_capacity(1 << 18, f))
        .map_err(|source| CliError::Io { file: path.into(), source })
}

/// Why a ledger line is refused after it parsed.
#[derive(Debug, thiserror::Error)]
enum LineError {
    /// The event breaks the format's rules or the engine's limits.
    #[error(transparent)]
    Rejected(#[from] pnl::RejectedEvent),
    /// An id already seen in the file.
    #[error("duplicate id {0:?}: ids are unique in a ledger (the same venue row twice?)")]
    DuplicateId(String),
}

/// Reads a ledger (JSON Lines), validating every event; a repeated id is an error at the line that repeats it.
pub fn ledger(path: &str) -> Result<Vec<Event>, CliError> {
    // FxHash: a million ids hash in a fraction of SipHash's time (the keys are the user's own file)
    let seen = RefCell::new(FxHashSet::<Box<str>>::default());
    let check = |e: &Event| {
        pnl::check_event(e)?;
        if seen.borrow_mut().insert(e.id.as_str().into()) { Ok(()) } else { Err(LineError::DuplicateId(e.id.clone())) }
    };
    Ok(ledger::read_jsonl(open(path)?, path, check)?)
}

/// Reads a prices file (JSON Lines); no file means no prices.
pub fn prices(path: Option<&str>) -> Result<Vec<PricePoint>, CliError> {
    match path {
        Some(p) => Ok(ledger::read_jsonl(open(p)?, p, pnl::check_price)?),
        None => Ok(Vec::new()),
    }
}

/// Reads open futures positions (JSON Lines of `pnl::Position`); no file means none.
pub fn positions(path: Option<&str>) -> Result<Vec<pnl::Position>, CliError> {
    match path {
        Some(p) => Ok(ledger::read_jsonl(open(p)?, p, pnl::check_position)?),
        None => Ok(Vec::new()),
    }
}

/// Reads a whole text file.
pub fn text(path: &str) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|source| CliError::Io { file: path.into(), source })
}

/// Writes `text` to `out` if given and returns an empty string, else returns `text` for stdout.
pub fn output(text: String, out: Option<String>) -> Result<String, CliError> {
    match out {
        Some(path) => {
            std::fs::write(&path, text).map_err(|source| CliError::Io { file: path, source })?;
            Ok(String::new())
        }
        None => Ok(text),
    }
}
