//! What a read of the ledger took in, so that the read after a sync takes only what was sealed since
//! (docs/app-storage.md, "Reading after a sync"): the chunks read and how each was sealed (its stamp), every event
//! id, the latest event and the last day's events. A read after a sync adds the chunks sealed since when nothing
//! read before changed and every new event is later than all of them; anything else reads the whole ledger again.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use ledger::{Event, Timestamp};
use vault::RecordKind;

use crate::records;
use crate::session::{self, SessionError};
use crate::worker::{Job, Merged};

/// How far back from the latest event the events themselves are kept: a sync reads its last settling minute again,
/// so the rows it finds again are among these, and are recognised as the same rows.
const RECENT_MS: i64 = 86_400_000;

/// A ledger chunk as stored: its record id and the stamp of its sealing ([`vault::Vault::record_stamp`]).
pub type Stamps = BTreeMap<String, [u8; 12]>;

/// What a read of the ledger took in.
#[derive(Debug, Clone, Default)]
pub struct Read {
    /// This read (new for each read: a read after a sync applies to the read it started from only).
    pub generation: u64,
    /// Every chunk read, with its stamp.
    chunks: Stamps,
    /// Every event id, hashed.
    ids: Arc<HashSet<u64>>,
    /// The latest event's time.
    latest: Option<Timestamp>,
    /// The earliest event's time (prices are read from there).
    pub first: Option<Timestamp>,
    /// The events of the last [`RECENT_MS`] before `latest`, by id.
    recent: BTreeMap<String, Event>,
    /// Every asset an event names.
    pub assets: BTreeSet<String>,
    /// The engine worker's job these events were sent to (`None`: no worker). The worker keeps them only when that
    /// job's report was computed there; otherwise it refuses to extend them, and the whole ledger is read again.
    pub worker: Option<u32>,
}

fn id_hash(id: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

impl Read {
    /// A read about to begin.
    pub fn begin() -> Read {
        Read { generation: crate::report::next_version(), ..Read::default() }
    }

    /// Takes in the chunk `id`, sealed as `stamp`.
    pub fn add(&mut self, id: &str, stamp: [u8; 12]) {
        self.chunks.insert(id.to_owned(), stamp);
    }

    /// Takes in the events of a whole read, a slice at a time: the page gets to run between slices (hashing a
    /// million ids takes a few hundred milliseconds).
    pub async fn take_in_whole(&mut self, events: &[Event]) {
        for part in events.chunks(50_000) {
            self.note(part);
            crate::next_tick().await;
        }
        self.keep_recent(events);
    }

    /// Takes in events read after the others.
    fn take_in(&mut self, events: &[Event]) {
        self.note(events);
        self.keep_recent(events);
    }

    /// Notes the ids, times and assets of `events`.
    fn note(&mut self, events: &[Event]) {
        let ids = Arc::make_mut(&mut self.ids);
        ids.reserve(events.len());
        for e in events {
            ids.insert(id_hash(&e.id));
            self.latest = self.latest.max(Some(e.time));
            self.first = Some(self.first.map_or(e.time, |f| f.min(e.time)));
            for a in e.assets() {
                if !self.assets.contains(a) {
                    self.assets.insert(a.to_owned());
                }
            }
        }
    }

    /// Keeps the events of the last [`RECENT_MS`] before the latest, of those kept and `events`.
    fn keep_recent(&mut self, events: &[Event]) {
        let Some(latest) = self.latest else { return };
        let since = Timestamp(latest.0 - RECENT_MS);
        self.recent.retain(|_, e| e.time >= since);
        self.recent.extend(events.iter().filter(|e| e.time >= since).map(|e| (e.id.clone(), e.clone())));
    }

    /// This read with `more` taken in (the events it adds go after the ledger's, in its order).
    pub fn absorb(&mut self, more: &More) {
        self.take_in(&more.events);
        self.chunks.extend(more.chunks.iter().map(|(k, v)| (k.clone(), *v)));
        self.generation = more.generation;
        self.worker = more.worker;
    }
}

/// The ledger chunks sealed since a read: their new events, after all of the read's.
#[derive(Debug, Clone)]
pub struct More {
    /// The read this follows.
    pub base: u64,
    /// The engine worker's job that keeps the ledger of that read.
    pub base_worker: u32,
    /// The read after it.
    pub generation: u64,
    /// The new events, in id order, none seen before.
    pub events: Vec<Event>,
    /// The chunks they came from.
    chunks: Stamps,
    /// The engine worker's job that keeps the ledger with them (set by the report).
    pub worker: Option<u32>,
}

/// Every ledger chunk stored now: each account's (`ledger-{credential}-{n}`), then each imported source's.
pub fn stored_chunks() -> Result<Stamps, SessionError> {
    let accounts = records::accounts()?;
    let prefixes: Vec<String> = accounts.keys().map(|c| format!("{}-", crate::sync::cache_id(c))).collect();
    let mut ids: Vec<String> = session::with(|s| -> Result<Vec<String>, SessionError> {
        let ids = s.vault()?.record_ids(RecordKind::LedgerCache)?;
        Ok(ids
            .into_iter()
            .map(|i| i.as_str().to_owned())
            .filter(|i| prefixes.iter().any(|p| i.starts_with(p)))
            .collect())
    })??;
    ids.extend(crate::imports::chunk_ids()?);
    let mut out = Stamps::new();
    for id in ids {
        if let Some(stamp) = records::stamp(RecordKind::LedgerCache, &id)? {
            out.insert(id, stamp);
        }
    }
    Ok(out)
}

/// The chunks sealed since `base`, read (and sent to `job` as one chunk of their new events): `None` when the
/// whole ledger must be read again, because a chunk read before changed or went (an account removed, an import
/// changed, a key rotation), or a new event is not later than every event read before, or has the id of one read
/// before with other contents. An event found again as it was (a sync reads its last settling minute again) is not
/// new.
pub async fn read_more(base: &Read, job: &Job) -> Result<Option<More>, SessionError> {
    // why the whole ledger is read (the console says it: how often a sync falls back is a figure to watch)
    let whole = |why: &str| {
        leptos::logging::log!("reading the whole ledger: {why}");
        Ok(None)
    };
    let stored = stored_chunks()?;
    if let Some((id, _)) = base.chunks.iter().find(|(id, stamp)| stored.get(*id) != Some(*stamp)) {
        return whole(&format!("chunk {id} was removed or sealed again"));
    }
    let mut merged = Merged::default();
    let mut chunks = Stamps::new();
    for (id, stamp) in stored.into_iter().filter(|(id, _)| !base.chunks.contains_key(id)) {
        let Some(plain) = records::read_plain(RecordKind::LedgerCache, &id)? else { return whole("a chunk went") };
        let events = crate::worker::decode_chunk(&plain).map_err(|reason| SessionError::Undecodable {
            kind: RecordKind::LedgerCache,
            id: id.clone(),
            reason,
        })?;
        merged.add(events);
        chunks.insert(id, stamp);
        crate::next_tick().await;
    }
    let mut events = Vec::new();
    for e in merged.into_events() {
        if base.ids.contains(&id_hash(&e.id)) {
            match base.recent.get(&e.id) {
                Some(seen) if *seen == e => continue,
                _ => return whole(&format!("event {} was read before with other contents", e.id)),
            }
        }
        if base.latest.is_some_and(|latest| e.time <= latest) {
            return whole(&format!("event {} is not later than every event read before", e.id));
        }
        events.push(e);
    }
    if let Err(e) = job.add_chunk(&crate::worker::encode_chunk(&events)) {
        return whole(&e);
    }
    let base_worker = base.worker.unwrap_or(0);
    Ok(Some(More {
        base: base.generation,
        base_worker,
        generation: crate::report::next_version(),
        events,
        chunks,
        worker: None,
    }))
}
