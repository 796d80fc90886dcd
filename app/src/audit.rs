//! The audit log: one entry per request this browser sent through the relay (time, account, venue, method and
//! path, status, outcome, error: never a query string, a signature, a key or a passphrase), kept sealed in chunks
//! like the ledger (docs/app-storage.md, "The audit log").
//!
//! Storage: records `audit-{n}` (kind `AuditLog`, `n` zero-padded so the ids sort), each a JSON array of entries,
//! oldest first; every chunk but the newest holds exactly [`CHUNK`] entries. An append opens and seals only the
//! newest chunk (and starts the next when it is full), inside the caller's [`crate::session::transact`]; whole
//! chunks are removed from the oldest end by [`prune`]. The single record `audit` of earlier versions is moved
//! into chunks by [`migrate`], in the same commit that removes it.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use vault::{RecordId, RecordKind};
use venues::{Request, Response, TransportError};

use crate::records::{self, ids};
use crate::relay::AuditEntry;
use crate::session::{self, SessionError};

/// Entries per chunk: an append re-seals at most this many (about 150 KB of JSON).
pub const CHUNK: usize = 1_000;
/// The newest entries are always kept, whatever their age.
pub const KEEP_NEWEST: usize = 100_000;
/// Entries younger than this are kept too (a year and a day, in ms), up to [`HARD_BOUND`].
pub const KEEP_MS: i64 = 366 * 86_400_000;
/// At most this many entries are stored, whatever their age (docs/app-storage.md says why).
pub const HARD_BOUND: usize = 300_000;

const PREFIX: &str = "audit-";

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The venue answered with success.
    Ok,
    /// The venue answered with an error (an HTTP error status or an error code).
    Venue,
    /// The relay refused the request or could not reach the venue (its own error, `"source": "relay"`).
    Relay,
    /// No answer: the relay was unreachable or the answer was cut.
    Network,
}

impl Outcome {
    /// Every outcome, in the filter's order.
    pub const ALL: [Outcome; 4] = [Outcome::Ok, Outcome::Venue, Outcome::Relay, Outcome::Network];

    /// As the screen and the CSV say it.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Venue => "venue error",
            Outcome::Relay => "refused by relay",
            Outcome::Network => "network",
        }
    }

    /// The short name (the filter's value, the JSON's).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Venue => "venue",
            Outcome::Relay => "relay",
            Outcome::Network => "network",
        }
    }

    /// By its short name.
    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// An entry's outcome: as recorded, or for an entry stored before outcomes were, from its status.
pub fn outcome_of(entry: &AuditEntry) -> Outcome {
    entry.outcome.unwrap_or(match entry.status {
        0 => Outcome::Network,
        200..=299 => Outcome::Ok,
        _ => Outcome::Venue,
    })
}

/// The longest error text kept.
const ERROR_MAX: usize = 200;

/// The outcome of one request and, unless it succeeded, what went wrong in words. The venue's or relay's error
/// code and message only; any query value or header value of the request found in them (a signature, a key) is
/// cut out, so the text never carries one.
pub fn classify(request: &Request, result: &Result<Response, TransportError>) -> (Outcome, Option<String>) {
    let response = match result {
        Err(e) => return (Outcome::Network, Some(scrub(request, &e.0))),
        Ok(r) => r,
    };
    let success = (200..300).contains(&response.status);
    // a success's body is parsed only when small: a Bitget error envelope may come with HTTP 200
    let bitget = request.endpoint.venue == catalogue::Venue::Bitget;
    if success && (!bitget || response.body.len() > 2048) {
        return (Outcome::Ok, None);
    }
    let parsed: Option<serde_json::Map<String, serde_json::Value>> = serde_json::from_slice(&response.body).ok();
    let text = |v: Option<&serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    };
    let Some(o) = parsed else {
        return if success { (Outcome::Ok, None) } else { (Outcome::Venue, Some(format!("HTTP {}", response.status))) };
    };
    let code = text(o.get("code"));
    let msg = text(o.get("msg").or_else(|| o.get("message")));
    if o.get("source").and_then(|s| s.as_str()) == Some("relay") {
        let reason = o.get("relay_reason").map(|r| text(Some(r))).unwrap_or(code);
        return (Outcome::Relay, Some(scrub(request, &format!("HTTP {}, {reason}: {msg}", response.status))));
    }
    if success && (!bitget || code.is_empty() || code == "00000") {
        return (Outcome::Ok, None);
    }
    (Outcome::Venue, Some(scrub(request, &format!("HTTP {}, code {code}: {msg}", response.status))))
}

/// `text` without any of the request's query values or header values, at most [`ERROR_MAX`] characters.
fn scrub(request: &Request, text: &str) -> String {
    let mut out = text.to_string();
    let values = request
        .query
        .split('&')
        .filter_map(|pair| pair.split_once('=').map(|(_, v)| v))
        .chain(request.headers.iter().map(|(_, v)| v.expose()));
    for v in values {
        if v.len() >= 4 && out.contains(v) {
            out = out.replace(v, "…");
        }
    }
    if out.chars().count() > ERROR_MAX {
        out = out.chars().take(ERROR_MAX).chain(std::iter::once('…')).collect();
    }
    out
}

fn chunk_id(n: u64) -> String {
    format!("{PREFIX}{n:08}")
}

/// The stored chunks' numbers, oldest first.
pub fn chunk_numbers() -> Result<Vec<u64>, SessionError> {
    let ids = session::with(|s| -> Result<Vec<RecordId>, SessionError> {
        Ok(s.vault()?.record_ids(RecordKind::AuditLog)?)
    })??;
    let mut numbers: Vec<u64> =
        ids.iter().filter_map(|id| id.as_str().strip_prefix(PREFIX).and_then(|n| n.parse().ok())).collect();
    numbers.sort_unstable();
    Ok(numbers)
}

fn read_chunk(n: u64) -> Result<Vec<AuditEntry>, SessionError> {
    Ok(records::read(RecordKind::AuditLog, &chunk_id(n))?.unwrap_or_default())
}

fn remove(id: &str) -> Result<(), SessionError> {
    let id = RecordId::new(id)?;
    session::with(|s| -> Result<(), SessionError> { Ok(s.vault()?.remove_record(RecordKind::AuditLog, &id)?) })?
}

/// Appends entries to the log at the present time (see [`append_at`]). Call inside
/// [`crate::session::transact`].
pub fn append(entries: Vec<AuditEntry>) -> Result<(), SessionError> {
    append_at(entries, js_sys::Date::now() as i64)
}

/// Appends entries: the newest chunk is opened, filled up to [`CHUNK`] and sealed again, further chunks started
/// as needed; then [`prune`] at `now_ms`. An old single-record log is moved in first ([`migrate`]). Only the
/// newest chunk and the new ones are written, never the whole log.
pub fn append_at(entries: Vec<AuditEntry>, now_ms: i64) -> Result<(), SessionError> {
    migrate_at(now_ms)?;
    if entries.is_empty() {
        return Ok(());
    }
    push(entries)?;
    prune(now_ms).map(|_| ())
}

fn push(entries: Vec<AuditEntry>) -> Result<(), SessionError> {
    let numbers = chunk_numbers()?;
    let (mut n, mut chunk) = match numbers.last() {
        Some(&n) => (n, read_chunk(n)?),
        None => (0, Vec::new()),
    };
    let mut dirty = false;
    for entry in entries {
        if chunk.len() >= CHUNK {
            if dirty {
                records::write(RecordKind::AuditLog, &chunk_id(n), &chunk)?;
            }
            n += 1;
            chunk.clear();
        }
        chunk.push(entry);
        dirty = true;
    }
    if dirty {
        records::write(RecordKind::AuditLog, &chunk_id(n), &chunk)?;
    }
    Ok(())
}

/// Removes whole chunks from the oldest end: while more than [`HARD_BOUND`] entries are stored; and while the
/// oldest chunk lies beyond the newest [`KEEP_NEWEST`] entries and its every entry is older than [`KEEP_MS`].
/// An entry is thus kept when it is among the newest 100,000 or younger than a year, up to the hard bound.
/// Returns how many chunks went.
pub fn prune(now_ms: i64) -> Result<usize, SessionError> {
    let numbers = chunk_numbers()?;
    let Some(&newest) = numbers.last() else { return Ok(0) };
    let mut total = (numbers.len() - 1) * CHUNK + read_chunk(newest)?.len();
    let mut removed = 0;
    for &n in &numbers[..numbers.len() - 1] {
        let after = total - CHUNK;
        let go = total > HARD_BOUND
            || (after >= KEEP_NEWEST
                && read_chunk(n)?.iter().map(|e| e.time_ms).max().is_none_or(|t| t < now_ms - KEEP_MS));
        if !go {
            break;
        }
        remove(&chunk_id(n))?;
        total = after;
        removed += 1;
    }
    Ok(removed)
}

/// Moves the audit log of earlier versions (one record, `audit`) into chunks, after any chunk already stored,
/// and removes it: all in the caller's commit, so an interrupted migration leaves the old record whole and no
/// chunk of it (nothing lost, nothing twice). Call inside [`crate::session::transact`]. Returns how many entries
/// moved.
pub fn migrate() -> Result<usize, SessionError> {
    migrate_at(js_sys::Date::now() as i64)
}

fn migrate_at(now_ms: i64) -> Result<usize, SessionError> {
    let Some(old) = records::read::<Vec<AuditEntry>>(RecordKind::AuditLog, ids::AUDIT)? else { return Ok(0) };
    let moved = old.len();
    remove(ids::AUDIT)?;
    push(old)?;
    prune(now_ms)?;
    Ok(moved)
}

/// Every stored entry, oldest first (an old single record not yet migrated comes last).
pub fn all() -> Result<Vec<AuditEntry>, SessionError> {
    let mut out = Vec::new();
    for n in chunk_numbers()? {
        out.extend(read_chunk(n)?);
    }
    if let Some(old) = records::read::<Vec<AuditEntry>>(RecordKind::AuditLog, ids::AUDIT)? {
        out.extend(old);
    }
    Ok(out)
}

/// Every stored entry, newest first, reading the chunks in turn and letting the page run between them.
pub async fn load_newest_first() -> Result<Vec<AuditEntry>, SessionError> {
    let mut out = Vec::new();
    if let Some(old) = records::read::<Vec<AuditEntry>>(RecordKind::AuditLog, ids::AUDIT)? {
        out.extend(old.into_iter().rev());
    }
    for n in chunk_numbers()?.into_iter().rev() {
        out.extend(read_chunk(n)?.into_iter().rev());
        crate::next_tick().await;
    }
    // in time order, newest first (a stable sort: entries of one millisecond keep the order they were sent in)
    out.sort_by_key(|e| std::cmp::Reverse(e.time_ms));
    Ok(out)
}

/// What the screen shows: entries of one account, venue and outcome (`None`: any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// The entry's `account` (a credential id, `connect:{name}`, or empty for a public read).
    pub account: Option<String>,
    /// `binance` or `bitget`.
    pub venue: Option<String>,
    /// How it ended.
    pub outcome: Option<Outcome>,
}

impl Filter {
    /// Whether the entry passes.
    pub fn matches(&self, e: &AuditEntry) -> bool {
        self.account.as_ref().is_none_or(|a| *a == e.account)
            && self.venue.as_ref().is_none_or(|v| *v == e.venue)
            && self.outcome.is_none_or(|o| o == outcome_of(e))
    }
}

/// The accounts and venues the entries name, for the filters' choices.
pub fn choices(entries: &[AuditEntry]) -> (BTreeSet<String>, BTreeSet<String>) {
    let accounts = entries.iter().map(|e| e.account.clone()).collect();
    let venues = entries.iter().map(|e| e.venue.clone()).collect();
    (accounts, venues)
}

/// An entry's account as the user knows it: the account's name, `{name} (connecting)` for a key being
/// connected, `public data` for a read without a key, or `removed account` for an account no longer connected.
pub fn account_name(names: &records::AccountNames, account: &str) -> String {
    if account.is_empty() {
        return "public data (no key)".into();
    }
    if let Some(name) = account.strip_prefix("connect:") {
        return format!("{name} (connecting)");
    }
    names.account(account).map_or_else(|| "removed account".into(), str::to_owned)
}

/// The entries as CSV (RFC 4180, through the csv crate): a header, then one row per entry in the order given.
/// Times in UTC (RFC 3339, milliseconds), accounts by name.
pub fn csv(entries: &[AuditEntry], names: &records::AccountNames) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["time_utc", "account", "venue", "request", "status", "outcome", "error", "relay"]);
    for e in entries {
        let status = if e.status == 0 { String::new() } else { e.status.to_string() };
        let _ = w.write_record([
            ledger::Timestamp(e.time_ms).to_string().as_str(),
            account_name(names, &e.account).as_str(),
            records::venue_name(&e.venue).as_str(),
            e.endpoint.as_str(),
            status.as_str(),
            outcome_of(e).label(),
            e.error.as_deref().unwrap_or(""),
            e.relay.as_str(),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The entries of a connect, recorded under `connect:{name}`, given to the account it made.
pub fn attribute(mut entries: Vec<AuditEntry>, credential: &str) -> Vec<AuditEntry> {
    for e in &mut entries {
        if e.account.starts_with("connect:") {
            e.account = credential.to_string();
        }
    }
    entries
}
