//! Reading inputs and writing outputs, with errors that name the file.

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
    let mut settings = a.settings.settings()?;
    let Some(path) = &a.ledger else { return Err(CliError::Usage("--ledger is required".into())) };
    let decisions = a.settings.decisions.as_deref().map(|f| Ok::<_, CliError>((f, Decisions::read(f)?))).transpose()?;
    let events = ledger(path)?;
    if let Some((file, d)) = decisions {
        d.check(&events).map_err(|reason| CliError::Decisions { file: file.into(), reason })?;
        d.apply(&mut settings);
    }
    let prices = prices(a.prices.as_deref())?;
    let positions = positions(a.positions.as_deref())?;
    Ok(ReportInputs { events, prices, positions, settings })
}

/// The user's decisions (`--decisions FILE`, docs/ledger-format.md "Decisions"): the engine settings' lists that
/// are made by hand, in the same shape as a bundle's settings carry them.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Decisions {
    /// (withdrawal id, deposit id) pairs matched by hand.
    #[serde(default)]
    manual_matches: Vec<(String, String)>,
    /// Unmatched legs marked income or expense, by event id.
    #[serde(default)]
    leg_marks: std::collections::BTreeMap<String, pnl::LegMark>,
    /// The cost of deposits from outside, by event id, in the profit currency.
    #[serde(default)]
    deposit_costs: std::collections::BTreeMap<String, ledger::Decimal>,
    /// Token migrations declared by the id of the income that credited the new asset: the old asset and amount.
    #[serde(default)]
    migrations: std::collections::BTreeMap<String, ledger::Money>,
}

impl Decisions {
    fn read(path: &str) -> Result<Self, CliError> {
        let text = text(path)?;
        serde_json::from_str(&text).map_err(|e| CliError::Decisions { file: path.into(), reason: e.to_string() })
    }

    /// Every id names an event of the ledger of the right kind, and no cost is negative: a decision about an event
    /// the ledger does not have is a mistake (a ledger of another account, a typo), never ignored.
    fn check(&self, events: &[Event]) -> Result<(), String> {
        use ledger::EventKind::{Deposit, Withdrawal};
        let by_id: rustc_hash::FxHashMap<&str, &ledger::EventKind> =
            events.iter().map(|e| (e.id.as_str(), &e.kind)).collect();
        let is_deposit = |id: &str| matches!(by_id.get(id), Some(Deposit { .. }));
        let is_withdrawal = |id: &str| matches!(by_id.get(id), Some(Withdrawal { .. }));
        for (w, d) in &self.manual_matches {
            if !is_withdrawal(w) || !is_deposit(d) {
                return Err(format!(
                    "manual match [{w:?}, {d:?}]: expected a withdrawal id, then a deposit id, of the ledger"
                ));
            }
        }
        for id in self.leg_marks.keys() {
            if !is_deposit(id) && !is_withdrawal(id) {
                return Err(format!("leg mark {id:?}: no deposit or withdrawal of the ledger has this id"));
            }
        }
        for (id, cost) in &self.deposit_costs {
            if !is_deposit(id) {
                return Err(format!("deposit cost {id:?}: no deposit of the ledger has this id"));
            }
            if cost.is_sign_negative() && !cost.is_zero() {
                return Err(format!("deposit cost {id:?}: {cost} is negative"));
            }
        }
        for (id, from) in &self.migrations {
            if !matches!(by_id.get(id.as_str()), Some(ledger::EventKind::Income { amount, .. }) if amount.is_sign_positive())
            {
                return Err(format!("migration {id:?}: no income crediting an asset in the ledger has this id"));
            }
            if from.asset.is_empty() || from.amount <= ledger::Decimal::ZERO {
                return Err(format!("migration {id:?}: the old asset needs a name and a positive amount"));
            }
        }
        Ok(())
    }

    fn apply(self, s: &mut pnl::Settings) {
        s.manual_matches = self.manual_matches;
        s.leg_marks = self.leg_marks;
        s.deposit_costs = self.deposit_costs;
        s.migrations = self.migrations;
    }
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

/// Files smaller than this are read on one thread: starting threads would cost more than it saves.
const PARALLEL_FROM_BYTES: u64 = 8 << 20;

/// Reads a ledger (JSON Lines), validating every event; a repeated id is an error at the line that repeats it, and
/// of several errors the one on the earliest line is reported. A large file is read in as many byte ranges as there
/// are cores, each parsed on its own thread: parsing is most of `meetcrypt pnl`'s time (README, "Performance").
pub fn ledger(path: &str) -> Result<Vec<Event>, CliError> {
    let len = std::fs::metadata(path).map_err(|source| CliError::Io { file: path.into(), source })?.len();
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get).min(8) as u64;
    read_ledger_in_parts(path, len, if len < PARALLEL_FROM_BYTES { 1 } else { threads })
}

/// [`ledger`] with the file of `len` bytes read in `parts` byte ranges at once.
fn read_ledger_in_parts(path: &str, len: u64, parts: u64) -> Result<Vec<Event>, CliError> {
    let ranges: Vec<(u64, u64)> = (0..parts).map(|k| (len * k / parts, len * (k + 1) / parts)).collect();
    let read: Vec<Result<Part, CliError>> = std::thread::scope(|scope| {
        // the first part's vector is sized for the whole file, so the others are appended to it without moving it
        let handles: Vec<_> = ranges
            .iter()
            .map(|&(from, to)| {
                let room = if from == 0 { len } else { to - from };
                // each thread shares the names it reads (`ledger::interning`)
                scope.spawn(move || ledger::interning(|| read_part(path, from, to, room)))
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a ledger reader thread panicked")).collect()
    });
    // lines are numbered across the parts; the first error in the file wins
    let mut events = Vec::new();
    let count = read.iter().map(|p| p.as_ref().map_or(0, |p| p.events.len())).sum();
    let mut lines = Vec::with_capacity(count);
    let mut first_error: Option<(usize, CliError)> = None;
    let mut offset = 0;
    for part in read {
        let part = part?;
        if first_error.is_none()
            && let Some((line, reason)) = part.error
        {
            first_error = Some((offset + line, line_error(path, offset + line, reason)));
        }
        if events.is_empty() {
            events = part.events;
        } else {
            events.extend(part.events);
        }
        lines.extend(part.lines.iter().map(|l| offset + *l as usize));
        offset += part.line_count;
    }
    // FxHash over ids borrowed from the events: no copy of a million ids (the keys are the user's own file)
    let mut seen = FxHashSet::<&str>::with_capacity_and_hasher(events.len(), Default::default());
    let duplicate = events.iter().zip(&lines).find(|(e, _)| !seen.insert(e.id.as_str()));
    if let Some((e, &line)) = duplicate
        && first_error.as_ref().is_none_or(|(first, _)| line < *first)
    {
        return Err(line_error(path, line, LineError::DuplicateId(e.id.clone()).to_string()));
    }
    drop(seen);
    match first_error {
        Some((_, e)) => Err(e),
        None => Ok(events),
    }
}

fn line_error(file: &str, line: usize, reason: String) -> CliError {
    CliError::Format(ledger::FormatError::Line { file: file.into(), line, reason })
}

/// The events of the lines that start in one byte range of a ledger file.
struct Part {
    events: Vec<Event>,
    /// The line (1-based, within the part) of each event.
    lines: Vec<u32>,
    /// Lines in the part, blank ones included.
    line_count: usize,
    /// The first line that failed and why; reading stops there.
    error: Option<(usize, String)>,
}

/// Reads the lines that start at a byte offset in `from..to` (a line that starts in the range is read whole), into
/// a vector with room for the events of `room` bytes.
fn read_part(path: &str, from: u64, to: u64, room: u64) -> Result<Part, CliError> {
    use std::io::{BufRead, Seek, SeekFrom};
    let io = |source| CliError::Io { file: path.into(), source };
    let mut reader = open(path)?;
    let mut at = from;
    if from > 0 {
        // the line holding byte from-1 belongs to the part before: skip to the end of it
        reader.seek(SeekFrom::Start(from - 1)).map_err(io)?;
        let mut skipped = Vec::new();
        at = from - 1 + reader.read_until(b'\n', &mut skipped).map_err(io)? as u64;
    }
    // about 200 bytes a line; capacity that is never touched costs no memory
    let mut part = Part {
        events: Vec::with_capacity((room / 128) as usize),
        lines: Vec::with_capacity((room / 128) as usize),
        line_count: 0,
        error: None,
    };
    let mut line = String::new();
    while at < to {
        line.clear();
        let n = reader.read_line(&mut line).map_err(io)?;
        if n == 0 {
            break;
        }
        at += n as u64;
        part.line_count += 1;
        if line.trim().is_empty() {
            continue;
        }
        let event = serde_json::from_str::<Event>(&line)
            .map_err(|e| e.to_string())
            .and_then(|e| pnl::check_event(&e).map(|()| e).map_err(|e| LineError::from(e).to_string()));
        match event {
            Ok(e) => {
                part.events.push(e);
                part.lines.push(part.line_count as u32);
            }
            Err(reason) => {
                part.error = Some((part.line_count, reason));
                break;
            }
        }
    }
    Ok(part)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn line(i: usize, id: &str) -> String {
        format!(
            r#"{{"id":"{id}","time":"2024-01-01T00:00:{:02}Z","account":"x/y/spot","kind":"deposit","asset":"USDT","amount":"{i}"}}"#,
            i % 60
        )
    }

    /// Reads `text` in 1 to 7 parts; every count must give the same answer.
    fn read_all_ways(text: &str) -> Result<Vec<Event>, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.jsonl");
        std::fs::write(&path, text).unwrap();
        let p = path.to_str().unwrap();
        let answers: Vec<Result<Vec<Event>, String>> = (1..=7)
            .map(|parts| read_ledger_in_parts(p, text.len() as u64, parts).map_err(|e| e.to_string().replace(p, "F")))
            .collect();
        for (k, a) in answers.iter().enumerate() {
            assert_eq!(a, &answers[0], "{} parts differ from one", k + 1);
        }
        answers.into_iter().next().unwrap()
    }

    #[test]
    fn any_number_of_parts_reads_the_same_events_and_errors() {
        // blank lines and CRLF among them, so that line numbers must be counted across the parts
        let mut lines: Vec<String> = (0..40).map(|i| line(i, &format!("e{i}"))).collect();
        lines.insert(7, String::new());
        lines.insert(20, "  ".into());
        lines[30].push('\r');
        let text = lines.join("\n") + "\n";
        let events = read_all_ways(&text).unwrap();
        assert_eq!(events.len(), 40);
        assert_eq!((events[0].id.as_str(), events[39].id.as_str()), ("e0", "e39"));

        // a malformed line late in the file, and a duplicate after it: the malformed line is reported
        let mut bad = lines.clone();
        bad[33] = bad[33].replace("\"amount\":\"", "\"amount\":\"-");
        bad[38] = line(3, "e1");
        let err = read_all_ways(&(bad.join("\n") + "\n")).unwrap_err();
        assert!(err.starts_with("F:34: deposit: negative amount"), "{err}");
        // a duplicate before it: the duplicate is reported, at its line
        bad[25] = line(3, "e2");
        let err = read_all_ways(&(bad.join("\n") + "\n")).unwrap_err();
        assert!(err.starts_with("F:26: duplicate id \"e2\""), "{err}");
        // no newline at the end
        assert_eq!(read_all_ways(&lines.join("\n")).unwrap().len(), 40);
    }
}
