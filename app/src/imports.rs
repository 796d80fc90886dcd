//! Transactions from elsewhere (docs/app-storage.md, "Imported transactions"): a Koinly universal CSV file from
//! another tracker, a wallet or an exchange Meetcrypt does not read, or transactions entered by hand. Each file is
//! a source of its own; hand-entered ones share the source `manual`. A source's events are sealed in one record
//! and join the venues' events in the ledger and the report; a file is removed as a whole, an entry one by one.

use ledger::{AccountId, Event};
use serde::{Deserialize, Serialize};
use vault::RecordKind;

use crate::records;
use crate::session::{self, SessionError};

/// The list of sources (a `ledger-cache` record).
const SOURCES: &str = "imports";
/// The source of hand-entered transactions.
pub const MANUAL: &str = "manual";
/// The venue part of an imported event's account: `import/{name}/main`.
pub const VENUE: &str = "import";

/// Where imported events came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// Its id (`k{ms}` for a file, [`MANUAL`]); its events are in the record `imported-{id}`.
    pub id: String,
    /// A file's name as the user chose it, or "Entered by hand".
    pub name: String,
    /// The account name its events are booked in (a file's), empty for [`MANUAL`] (each entry names its own).
    pub account: String,
    /// When it was added (ms since the epoch).
    pub added_ms: i64,
    /// How many events it holds.
    pub events: usize,
}

/// Why an import or an entry was not stored. Nothing is stored when there is one.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file or the entry does not read (the reason names the line or the field).
    #[error("{0}")]
    Invalid(String),
    /// The vault could not be read or written.
    #[error(transparent)]
    Session(#[from] SessionError),
}

fn chunk(source: &str) -> String {
    format!("imported-{source}")
}

/// The account an imported event is booked in, from the name the user gave (`Kraken`, `Ledger Nano`).
pub fn account_of(name: &str) -> Result<AccountId, ImportError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ImportError::Invalid("Name the account these transactions belong to (e.g. Kraken).".into()));
    }
    if name.contains('/') || name.chars().count() > 40 {
        return Err(ImportError::Invalid(format!("{name:?}: an account name is at most 40 characters, without `/`.")));
    }
    Ok(AccountId::new(VENUE, name, "main"))
}

/// The sources stored, oldest first.
pub fn sources() -> Result<Vec<Source>, SessionError> {
    Ok(records::read(RecordKind::LedgerCache, SOURCES)?.unwrap_or_default())
}

/// The events of every source, as sealed (one record each), for the ledger's load.
pub fn chunks() -> Result<Vec<(String, Vec<u8>)>, SessionError> {
    let mut out = Vec::new();
    for s in sources()? {
        let id = chunk(&s.id);
        if let Some(plain) = records::read_plain(RecordKind::LedgerCache, &id)? {
            out.push((id, plain));
        }
    }
    Ok(out)
}

/// The record ids of every source's chunk.
pub fn chunk_ids() -> Result<Vec<String>, SessionError> {
    Ok(sources()?.iter().map(|s| chunk(&s.id)).collect())
}

fn events_of(source: &str) -> Result<Vec<Event>, SessionError> {
    let id = chunk(source);
    let Some(plain) = records::read_plain(RecordKind::LedgerCache, &id)? else { return Ok(Vec::new()) };
    crate::worker::decode_chunk(&plain).map_err(|reason| SessionError::Undecodable {
        kind: RecordKind::LedgerCache,
        id,
        reason,
    })
}

/// Stores a source's events and its entry in the list (both or neither: the caller holds the lock).
fn store(source: Source, events: &[Event]) -> Result<(), SessionError> {
    let mut list = sources()?;
    records::write_plain(RecordKind::LedgerCache, &chunk(&source.id), &crate::worker::encode_chunk(events))?;
    match list.iter_mut().find(|s| s.id == source.id) {
        Some(s) => *s = source,
        None => list.push(source),
    }
    records::write(RecordKind::LedgerCache, SOURCES, &list)
}

/// Imports a Koinly universal CSV (`text`, the file `file`) into the account named `account`: each row an event
/// (docs/ledger-format.md, "Koinly universal CSV"); rows Meetcrypt exported keep their id and account, so importing
/// an export again duplicates nothing. Returns the number of events.
pub async fn import_koinly(account: &str, file: &str, text: &str, now_ms: i64) -> Result<usize, ImportError> {
    let acct = account_of(account)?;
    let mut events =
        formats::ledger_from_koinly_csv(text, acct.as_str(), file).map_err(|e| ImportError::Invalid(e.to_string()))?;
    if events.is_empty() {
        return Err(ImportError::Invalid(format!("{file} holds no transaction.")));
    }
    let id = format!("k{now_ms}");
    // a row's own id is its line (`koinly:12`): unique in its file only, so prefixed with the source
    for e in &mut events {
        if e.id.starts_with("koinly:") {
            e.id = format!("{VENUE}-{id}:{}", e.id);
        }
    }
    let n = events.len();
    let source = Source { id, name: file.to_owned(), account: account.trim().to_owned(), added_ms: now_ms, events: n };
    session::transact(|| -> Result<(), ImportError> {
        // the same file into the same account twice would count its transactions twice
        if sources()?.iter().any(|s| s.name == source.name && s.account == source.account) {
            return Err(ImportError::Invalid(format!(
                "{file} is already imported into {}: remove it first to import it again.",
                source.account
            )));
        }
        Ok(store(source, &events)?)
    })
    .await?;
    Ok(n)
}

/// Adds a transaction entered by hand to the account named `account`, with id `manual:{now_ms}` (a later number
/// if taken). Returns the event's id.
pub async fn add_entry(account: &str, entry: &formats::KoinlyEntry, now_ms: i64) -> Result<String, ImportError> {
    let acct = account_of(account)?;
    let new = formats::ledger_from_koinly_entry(entry, acct.as_str(), "-").map_err(ImportError::Invalid)?;
    session::transact(|| -> Result<String, ImportError> {
        let mut events = events_of(MANUAL)?;
        let mut ms = now_ms;
        while events.iter().any(|e| e.id == format!("manual:{ms}")) {
            ms += 1;
        }
        let id = format!("manual:{ms}");
        events.extend(new.into_iter().map(|e| Event { id: id.clone(), ..e }));
        let added_ms = sources()?.iter().find(|s| s.id == MANUAL).map_or(now_ms, |s| s.added_ms);
        let source = Source {
            id: MANUAL.into(),
            name: "Entered by hand".into(),
            account: String::new(),
            added_ms,
            events: events.len(),
        };
        store(source, &events)?;
        Ok(id)
    })
    .await
}

/// Removes a source and its events.
pub async fn remove_source(id: &str) -> Result<(), ImportError> {
    session::transact(|| -> Result<(), SessionError> {
        let list: Vec<Source> = sources()?.into_iter().filter(|s| s.id != id).collect();
        session::with(|s| -> Result<(), SessionError> {
            let rid = vault::RecordId::new(&chunk(id)).map_err(SessionError::from)?;
            Ok(s.vault()?.remove_record(RecordKind::LedgerCache, &rid)?)
        })??;
        records::write(RecordKind::LedgerCache, SOURCES, &list)
    })
    .await?;
    Ok(())
}

/// Removes one hand-entered transaction.
pub async fn remove_entry(event: &str) -> Result<(), ImportError> {
    session::transact(|| -> Result<(), SessionError> {
        let events: Vec<Event> = events_of(MANUAL)?.into_iter().filter(|e| e.id != event).collect();
        let Some(mut source) = sources()?.into_iter().find(|s| s.id == MANUAL) else { return Ok(()) };
        source.events = events.len();
        store(source, &events)
    })
    .await?;
    Ok(())
}

/// The hand-entered transactions, newest first.
pub fn entries() -> Result<Vec<Event>, SessionError> {
    let mut events = events_of(MANUAL)?;
    events.sort_by(|a, b| b.time.cmp(&a.time).then_with(|| b.id.cmp(&a.id)));
    Ok(events)
}
