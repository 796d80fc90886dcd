//! Sync in the browser: runs the sync engine through the relay for every connected account, seals each page of new
//! events into the vault as it arrives (so a closed tab resumes where it stopped), then refreshes prices.
//!
//! Storage: the engine's resumable state in record `sync-state`; each account's events in append-only chunks
//! `ledger-{credential}-{n}` (a chunk per checkpoint, deduplicated by event id when read); balances and positions in
//! `snapshot-{credential}`; prices in `prices`. All are sealed vault records.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use ledger::{Decimal, Event, Position};
use leptos::prelude::{RwSignal, WithUntracked};
use serde::{Deserialize, Serialize};
use sync_engine::{AccountConfig, Progress, Sink, SinkError, SyncOptions, SyncState};
use vault::{CredentialId, RecordId, RecordKind};
use venues::parse::Balances;

use crate::opened::{More, Read};
use crate::prices::{self, PriceCache};
use crate::records::{self, AccountMeta, SyncOutcome};
use crate::relay::RelayTransport;
use crate::report::{self, Dashboard};
use crate::session::{self, SessionError};

/// The record-id prefix of an account's ledger chunks.
pub fn cache_id(credential: &str) -> String {
    format!("ledger-{credential}")
}

const STATE: &str = "sync-state";
const PRICES: &str = "prices";

/// Balances and open positions of one account, as last read.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AccountSnapshot {
    /// account id -> asset -> amount.
    pub balances: Balances,
    /// Open futures positions.
    pub positions: Vec<Position>,
}

/// Everything the dashboard computes from.
#[derive(Debug, Clone, Default)]
pub struct Data {
    /// Every event of every account, deduplicated by id.
    pub events: Vec<Event>,
    /// Balances and positions per credential.
    pub snapshots: BTreeMap<String, AccountSnapshot>,
    /// Prices.
    pub prices: PriceCache,
    /// The sync engine's state as sealed (each account's last balances, their time and where its history starts):
    /// what the Accounts screen compares the ledger with ([`Data::residuals`]).
    pub sync_state: SyncState,
    /// What the read of `events` took in, for the read after the next sync ([`crate::opened`]).
    pub read: Read,
}

impl Data {
    /// Joins what a read after a sync found ([`Opened::More`]) to this data, when it follows this data's read;
    /// false (and nothing changed) otherwise: the whole ledger is to be read again.
    pub fn join(&mut self, more: More, rest: Data) -> bool {
        if self.read.generation != more.base {
            return false;
        }
        self.read.absorb(&more);
        self.events.extend(more.events);
        self.snapshots = rest.snapshots;
        self.prices = rest.prices;
        self.sync_state = rest.sync_state;
        true
    }

    /// The residuals of an account (`venue/credential`, the engine's key) at its last balances: venue against ledger
    /// per wallet and asset (docs/sync.md, "Balances explained"). `None` before its first completed sync.
    pub fn residuals(&self, key: &str) -> Option<sync_engine::residual::AccountResiduals> {
        sync_engine::residual::of_state(key, self.sync_state.accounts.get(key)?, &self.events)
    }

    /// Each Binance account's spot wallet whose balances a sync read, with the venue time of that reading.
    fn spot_readings(&self) -> BTreeMap<String, i64> {
        let binance = self.sync_state.accounts.iter().filter(|(k, _)| k.starts_with("binance/"));
        binance.filter_map(|(k, st)| Some((format!("{k}/spot"), st.balances_at?))).collect()
    }
}

/// Per Binance account (the engine's key), the spot assets whose balance the ledger does not explain ([`suspects`]).
pub type Suspects = BTreeMap<String, BTreeSet<String>>;

/// Each Binance account's spot assets whose balance, as its last sync read it, the ledger shown does not explain
/// (the spot rows of its residuals), for the next sync: the app's sink keeps no ledger at hand, so the sync takes
/// them from here ([`SyncOptions::suspects`]), and the account's next full cycle asks the pairs among them, where a
/// pair `exchangeInfo` no longer lists while listed pairs name both its assets is found (docs/sync.md, "Delisted
/// pairs"). An account explained in full is given with none, so that what it noted before is cleared.
///
/// Summed time-sliced, like the ledger's reading: the page runs every [`SLICE`]. When `data` is replaced meanwhile
/// (a recomputation shown), nothing is noted this time.
pub async fn suspects(data: RwSignal<Option<Data>>) -> Suspects {
    const STEP: usize = 1_000;
    let Some((wallets, generation, n)) =
        data.with_untracked(|d| d.as_ref().map(|d| (d.spot_readings(), d.read.generation, d.events.len())))
    else {
        return Suspects::new();
    };
    let mut held: BTreeMap<String, BTreeMap<String, Decimal>> = BTreeMap::new();
    let mut next = 0;
    while next < n {
        let same = data.with_untracked(|d| {
            let d = d.as_ref().filter(|d| d.read.generation == generation && d.events.len() == n)?;
            let slice = crate::now();
            while next < n && crate::now() - slice <= SLICE {
                let end = (next + STEP).min(n);
                for e in &d.events[next..end] {
                    sync_engine::delisted::add_effects(e, &wallets, &mut held);
                }
                next = end;
            }
            Some(())
        });
        if same.is_none() {
            return Suspects::new();
        }
        if next < n {
            crate::next_tick().await;
        }
    }
    data.with_untracked(|d| {
        let Some(d) = d.as_ref() else { return Suspects::new() };
        let empty = BTreeMap::new();
        wallets
            .keys()
            .filter_map(|w| {
                let key = w.strip_suffix("/spot")?;
                let venue = d.sync_state.accounts.get(key)?.balances.as_ref()?.get(w);
                Some((key.to_string(), sync_engine::delisted::unexplained(venue, held.get(w).unwrap_or(&empty))))
            })
            .collect()
    })
}

/// The sync-engine's account key for an account (`venue/label`): the label is the account's stable slug, so a
/// rename never changes ledger ids.
fn engine_label(meta: &AccountMeta) -> String {
    meta.credential.clone()
}

/// The longest stretch of work before the page gets to run again.
const SLICE: std::time::Duration = std::time::Duration::from_millis(16);

/// Reads every account's cached events, snapshots and prices from the vault. It hands the page back to the browser
/// every 16 ms of work, so opening a large ledger never freezes the page.
pub async fn load_data() -> Result<Data, SessionError> {
    load(None).await
}

/// [`load_data`], sending each chunk's plaintext to an engine-worker job as it is opened (see [`crate::worker`]):
/// [`unseal`], then [`decode`]. A chunk the worker cannot take fails the job's report, not the load.
pub async fn load(job: Option<&crate::worker::Job>) -> Result<Data, SessionError> {
    let mut data = decode(unseal(job).await?).await?;
    data.read.worker = job.map(crate::worker::Job::id);
    Ok(data)
}

/// Every ledger chunk opened, not yet decoded: what [`unseal`] gives [`decode`].
pub struct Unsealed {
    /// (record id, the stamp of its sealing, plaintext), in reading order; the stamp read with the plaintext.
    chunks: Vec<(String, [u8; 12], Vec<u8>)>,
}

/// Opens every ledger chunk (each account's, then each imported source's), sending each plaintext to `job` as it
/// is opened: once this returns the worker has the whole ledger, and can be asked for the report while the page
/// decodes its own copy ([`decode`]). Time-sliced like the decoding.
pub async fn unseal(job: Option<&crate::worker::Job>) -> Result<Unsealed, SessionError> {
    let accounts = records::accounts()?;
    let all = session::with(|s| -> Result<Vec<RecordId>, SessionError> {
        Ok(s.vault()?.record_ids(RecordKind::LedgerCache)?)
    })??;
    let mut ids: Vec<String> = Vec::new();
    for cred in accounts.keys() {
        let prefix = format!("{}-", cache_id(cred));
        ids.extend(all.iter().filter(|i| i.as_str().starts_with(&prefix)).map(|i| i.as_str().to_owned()));
    }
    // transactions imported or entered by hand join the venues' (docs/app-storage.md, "Imported transactions")
    ids.extend(crate::imports::chunk_ids()?);
    let mut chunks = Vec::with_capacity(ids.len());
    let mut slice = crate::now();
    for id in ids {
        // time-sliced: after about a frame's worth of work the page gets to run (paint, input)
        if crate::now() - slice > SLICE {
            crate::next_tick().await;
            slice = crate::now();
        }
        let Some(plain) = records::read_plain(RecordKind::LedgerCache, &id)? else { continue };
        let stamp = records::stamp(RecordKind::LedgerCache, &id)?.unwrap_or_default();
        if let Some(job) = job {
            // a chunk the worker cannot take fails the job's report, not the load
            let _ = job.add_chunk(&plain);
        }
        chunks.push((id, stamp, plain));
    }
    Ok(Unsealed { chunks })
}

/// Decodes the chunks opened into the page's data (every event once: a later chunk's copy of an id replaces an
/// earlier one), with the snapshots, prices and sync state as stored. A chunk that does not decode fails the load,
/// naming its record.
pub async fn decode(unsealed: Unsealed) -> Result<Data, SessionError> {
    let mut merged = crate::worker::Merged::default();
    let mut read = Read::begin();
    let mut slice = crate::now();
    for (id, stamp, plain) in unsealed.chunks {
        if crate::now() - slice > SLICE {
            crate::next_tick().await;
            slice = crate::now();
        }
        let chunk = crate::worker::decode_chunk(&plain).map_err(|reason| SessionError::Undecodable {
            kind: RecordKind::LedgerCache,
            id: id.clone(),
            reason,
        })?;
        read.add(&id, stamp);
        merged.add(chunk);
    }
    let events = merged.into_events();
    read.take_in_whole(&events).await;
    let mut data = Data { events, read, ..Data::default() };
    read_others(&mut data)?;
    Ok(data)
}

/// Removes an account's cached ledger, snapshot and sync state.
pub fn forget_account(credential: &str) -> Result<(), SessionError> {
    let prefix = format!("{}-", cache_id(credential));
    let snapshot = format!("snapshot-{credential}");
    session::with(|s| -> Result<(), SessionError> {
        let v = s.vault()?;
        for id in v.record_ids(RecordKind::LedgerCache)? {
            if id.as_str().starts_with(&prefix) || id.as_str() == snapshot {
                v.remove_record(RecordKind::LedgerCache, &id)?;
            }
        }
        Ok(())
    })??;
    let mut state: SyncState = records::read(RecordKind::LedgerCache, STATE)?.unwrap_or_default();
    state.accounts.retain(|k, _| !k.ends_with(&format!("/{credential}")));
    records::write(RecordKind::LedgerCache, STATE, &state)
}

/// The sink: seals every checkpoint into the vault and persists it in the background.
struct VaultSink<'a> {
    /// engine account key (`venue/credential`) -> credential id
    credential_of: BTreeMap<String, String>,
    next_chunk: BTreeMap<String, usize>,
    on_progress: &'a dyn Fn(&Progress),
    events: usize,
}

impl VaultSink<'_> {
    fn credential_for_event(&self, e: &Event) -> Option<String> {
        // account ids are venue/credential/wallet
        let mut parts = e.account.as_str().splitn(3, '/');
        let key = format!("{}/{}", parts.next()?, parts.next()?);
        self.credential_of.get(&key).cloned()
    }
}

/// The sync handed the sink an account no connected credential has (removed in another tab meanwhile).
#[derive(Debug, thiserror::Error)]
#[error("unknown account {0}: it was removed while the sync ran")]
struct UnknownAccount(String);

impl Sink for VaultSink<'_> {
    fn checkpoint(&mut self, state: &SyncState, events: &[Event]) -> Result<(), SinkError> {
        let mut by_cred: BTreeMap<String, Vec<Event>> = BTreeMap::new();
        for e in events {
            let cred = self
                .credential_for_event(e)
                .ok_or_else(|| SinkError::new(UnknownAccount(e.account.as_str().to_string())))?;
            by_cred.entry(cred).or_default().push(e.clone());
        }
        for (cred, chunk) in by_cred {
            let n = self.next_chunk.entry(cred.clone()).or_insert(0);
            let id = format!("{}-{:06}", cache_id(&cred), *n);
            *n += 1;
            self.events += chunk.len();
            records::write_plain(RecordKind::LedgerCache, &id, &crate::worker::encode_chunk(&chunk))
                .map_err(SinkError::new)?;
        }
        records::write(RecordKind::LedgerCache, STATE, state).map_err(SinkError::new)?;
        leptos::task::spawn_local(async {
            if let Err(e) = session::persist().await {
                leptos::logging::error!("saving the sync failed: {e}");
            }
        });
        Ok(())
    }

    fn snapshot(&mut self, account: &str, balances: &Balances, positions: &[Position]) -> Result<(), SinkError> {
        let cred = self
            .credential_of
            .get(account)
            .cloned()
            .ok_or_else(|| SinkError::new(UnknownAccount(account.to_string())))?;
        let snap = AccountSnapshot { balances: balances.clone(), positions: positions.to_vec() };
        records::write(RecordKind::LedgerCache, &format!("snapshot-{cred}"), &snap).map_err(SinkError::new)
    }

    fn progress(&mut self, progress: &Progress) {
        (self.on_progress)(progress);
    }
}

thread_local! {
    static RUNNING: RefCell<bool> = const { RefCell::new(false) };
    /// The next sync is the first since the vault was unlocked: a full cycle (docs/sync.md).
    static FIRST_SINCE_UNLOCK: RefCell<bool> = const { RefCell::new(true) };
}

/// The vault was unlocked: the next sync reads every stream from its cursor, and later ones only what the balances
/// say moved (with a full cycle at least hourly).
pub fn after_unlock() {
    FIRST_SINCE_UNLOCK.with(|f| *f.borrow_mut() = true);
}

/// What a sync did.
pub struct Synced {
    /// Each account's outcome.
    pub outcomes: Vec<(String, SyncOutcome)>,
    /// The synced data and its dashboard: the sync opens the ledger once (what was sealed since the dashboard's
    /// read, or the whole), for its own counts and for the report. `None` when another sync was running.
    pub view: Option<(Opened, Dashboard)>,
    /// Another tab was syncing: this one did not (it reads that sync's writes as they are announced).
    pub elsewhere: bool,
}

/// Syncs every connected account, then prices, then computes the dashboard. A second call while one runs, in this
/// tab or another (the sync's Web Lock), returns at once, with no outcome. `base` is the read of the dashboard shown:
/// the sync reads only what was sealed since, when it can ([`reopen`]).
pub async fn sync_all(
    on_progress: &dyn Fn(&Progress),
    base: Option<Read>,
    suspects: Suspects,
) -> Result<Synced, SessionError> {
    if RUNNING.with(|r| r.replace(true)) {
        return Ok(Synced { outcomes: Vec::new(), view: None, elsewhere: false });
    }
    let result = match crate::tabs::acquire(crate::tabs::SYNC_LOCK, true).await {
        Some(_lock) => sync_all_inner(on_progress, base, suspects).await,
        None => Ok(Synced { outcomes: Vec::new(), view: None, elsewhere: true }),
    };
    RUNNING.with(|r| *r.borrow_mut() = false);
    result
}

async fn sync_all_inner(
    on_progress: &dyn Fn(&Progress),
    base: Option<Read>,
    suspects: Suspects,
) -> Result<Synced, SessionError> {
    // the accounts and the ledger as stored now, with whatever another tab connected or removed
    session::refresh().await?;
    let settings = records::settings()?;
    let accounts = records::accounts()?;
    let transport = RelayTransport::new(settings.relays.clone());
    let Engines { configs, credential_of, next_chunk } = engine_accounts(&accounts, &transport)?;
    let mut state: SyncState = records::read(RecordKind::LedgerCache, STATE)?.unwrap_or_default();
    let mut sink = VaultSink { credential_of: credential_of.clone(), next_chunk, on_progress, events: 0 };
    let history_days = settings.history_days_at(js_sys::Date::now() as i64);
    let full = FIRST_SINCE_UNLOCK.with(|f| *f.borrow());
    let options = SyncOptions { history_days, full, suspects, ..SyncOptions::default() };
    // Binance accounts one after another (they share the relay's per-IP weight), each Bitget account alongside
    let (results, _stats) = sync_engine::sync_by_venue(&transport, &options, &configs, &mut state, &mut sink).await;
    // (an account whose sync did not complete reads every stream next time anyway: the engine keeps that)
    FIRST_SINCE_UNLOCK.with(|f| *f.borrow_mut() = false);
    let audit = transport.take_audit();
    session::transact(|| records::append_audit(audit)).await?;

    // the one read of the ledger: only the chunks sealed since the read the dashboard shows when it can, else the
    // whole ledger; the engine worker decodes it alongside, for the report at the end
    let job = report::begin_job();
    let mut opened = reopen(base.as_ref(), job.as_ref()).await?;
    let now = js_sys::Date::now() as i64;
    let outcomes: Vec<(String, SyncOutcome)> = results
        .into_iter()
        .filter_map(|(key, result)| {
            let cred = credential_of.get(&key)?;
            let prefix = format!("{key}/");
            let previous = accounts.get(cred).and_then(|m| m.last_sync.as_ref());
            let events = opened.events_of(&prefix, previous);
            Some((cred.clone(), SyncOutcome::after(previous, now, result.err().map(|e| e.to_string()), events)))
        })
        .collect();
    store_outcomes(&outcomes).await?;
    let (assets, first) = opened.assets_and_first(base.as_ref());
    refresh_prices(&transport, opened.data_mut(), &assets, first, on_progress, now).await?;
    // read again: the user may have changed the settings while the sync ran
    let settings = records::settings()?;
    let view = match report::finish_opened(job, opened, &settings).await {
        Ok(view) => view,
        // the worker keeps another ledger now (or none): the whole ledger, read again
        Err(e) => {
            leptos::logging::warn!("reading the whole ledger again: {e}");
            let (data, dashboard) = report::load_and_compute(&settings).await?;
            (Opened::Whole(data), dashboard)
        }
    };
    Ok(Synced { outcomes, view: Some(view), elsewhere: false })
}

/// The ledger read again after a sync.
#[derive(Debug)]
pub enum Opened {
    /// Read whole.
    Whole(Data),
    /// Read since an earlier read: the new events, and the rest of the data read again (its `events` empty).
    More {
        /// The new events.
        more: More,
        /// Balances, prices and the sync state as stored now.
        rest: Data,
    },
}

impl Opened {
    /// The events of the accounts whose ids start with `prefix` (`venue/credential/`), `previous` the count of the
    /// account's last sync outcome.
    fn events_of(&self, prefix: &str, previous: Option<&SyncOutcome>) -> usize {
        let count = |events: &[Event]| events.iter().filter(|e| e.account.as_str().starts_with(prefix)).count();
        match self {
            Opened::Whole(data) => count(&data.events),
            Opened::More { more, .. } => previous.map_or(0, |p| p.events) + count(&more.events),
        }
    }

    /// Every asset the ledger names, and its first event's time.
    fn assets_and_first(&self, base: Option<&Read>) -> (BTreeSet<String>, Option<ledger::Timestamp>) {
        match (self, base) {
            // the base's, with the new events' (not the whole read absorbed: that would copy every id's hash)
            (Opened::More { more, .. }, Some(base)) => {
                let mut assets = base.assets.clone();
                assets.extend(more.events.iter().flat_map(Event::assets).map(str::to_owned));
                let first = more.events.iter().map(|e| e.time).chain(base.first).min();
                (assets, first)
            }
            (Opened::Whole(data), _) | (Opened::More { rest: data, .. }, None) => {
                (data.read.assets.clone(), data.read.first)
            }
        }
    }

    /// The data besides the new events.
    fn data_mut(&mut self) -> &mut Data {
        match self {
            Opened::Whole(data) | Opened::More { rest: data, .. } => data,
        }
    }
}

/// Reads the ledger again: only the chunks sealed since `base` when the engine worker keeps `base`'s ledger and
/// nothing read before changed ([`crate::opened::read_more`]), else whole.
pub async fn reopen(base: Option<&Read>, job: Option<&crate::worker::Job>) -> Result<Opened, SessionError> {
    if let (Some(base), Some(job)) = (base, job)
        && base.worker.is_some()
        && let Some(more) = crate::opened::read_more(base, job).await?
    {
        let mut rest = Data::default();
        read_others(&mut rest)?;
        return Ok(Opened::More { more, rest });
    }
    Ok(Opened::Whole(load(job).await?))
}

/// The prices as stored.
pub fn stored_prices() -> Result<PriceCache, SessionError> {
    Ok(records::read(RecordKind::LedgerCache, PRICES)?.unwrap_or_default())
}

/// Reads every account's snapshot, the prices and the sync state into `data`.
fn read_others(data: &mut Data) -> Result<(), SessionError> {
    for cred in records::accounts()?.keys() {
        if let Some(snap) = records::read::<AccountSnapshot>(RecordKind::LedgerCache, &format!("snapshot-{cred}"))? {
            data.snapshots.insert(cred.clone(), snap);
        }
    }
    data.prices = stored_prices()?;
    data.sync_state = records::read(RecordKind::LedgerCache, STATE)?.unwrap_or_default();
    Ok(())
}

/// The stored accounts as the sync engine takes them.
struct Engines {
    configs: Vec<AccountConfig>,
    /// engine account key (`venue/credential`) -> credential id
    credential_of: BTreeMap<String, String>,
    /// credential id -> the number of ledger chunks it has stored (the next chunk's index)
    next_chunk: BTreeMap<String, usize>,
}

/// Each stored account's credentials, opened from the vault, named to the relay transport (for the audit log).
fn engine_accounts(
    accounts: &BTreeMap<String, AccountMeta>,
    transport: &RelayTransport,
) -> Result<Engines, SessionError> {
    let mut engines = Engines { configs: Vec::new(), credential_of: BTreeMap::new(), next_chunk: BTreeMap::new() };
    let chunk_ids = session::with(|s| -> Result<Vec<RecordId>, SessionError> {
        Ok(s.vault()?.record_ids(RecordKind::LedgerCache)?)
    })??;
    for (cred_id, meta) in accounts {
        let credential = session::with(|s| -> Result<vault::Credential, SessionError> {
            let id = CredentialId::parse(cred_id)?;
            Ok(s.vault()?.credential(&id)?)
        })??;
        let creds = venues::Credentials::new(
            credential.venue,
            engine_label(meta),
            credential.api_key.expose(),
            credential.api_secret.clone(),
            credential.passphrase.clone(),
        );
        transport.name_account(credential.api_key.clone(), cred_id.clone());
        let copy_trading = meta.account_kind == vault::AccountKind::CopyTrading;
        let config = AccountConfig { credentials: creds, copy_trading };
        engines.credential_of.insert(config.key(), cred_id.clone());
        let prefix = format!("{}-", cache_id(cred_id));
        let used = chunk_ids.iter().filter(|i| i.as_str().starts_with(&prefix)).count();
        engines.next_chunk.insert(cred_id.clone(), used);
        engines.configs.push(config);
    }
    Ok(engines)
}

/// Saves each account's sync outcome, on the account list as stored now: an account connected or removed in
/// another tab meanwhile stays so.
async fn store_outcomes(outcomes: &[(String, SyncOutcome)]) -> Result<(), SessionError> {
    session::transact(|| -> Result<(), SessionError> {
        let mut stored = records::accounts()?;
        for (cred, outcome) in outcomes {
            if let Some(meta) = stored.get_mut(cred) {
                meta.last_sync = Some(outcome.clone());
            }
        }
        records::set_accounts(&stored)?;
        // the ledger of an account removed while it synced goes with it
        records::sweep_orphans().map(|_| ())
    })
    .await
}

/// Prices for every asset the ledger or a balance names, from the first event, and the reporting currency's rate
/// (as the settings are now: a change saved meanwhile reads its own). Stored, with the audit of the reads, before a
/// failure is returned.
async fn refresh_prices(
    transport: &RelayTransport,
    data: &mut Data,
    ledger_assets: &BTreeSet<String>,
    first: Option<ledger::Timestamp>,
    on_progress: &dyn Fn(&Progress),
    now: i64,
) -> Result<(), SessionError> {
    let mut assets = ledger_assets.clone();
    for snap in data.snapshots.values() {
        for balances in snap.balances.values() {
            assets.extend(balances.keys().cloned());
        }
    }
    let first = first.map_or(now, |t| t.0);
    let mut cache: PriceCache = std::mem::take(&mut data.prices);
    let progress = |stream: &str, done: usize, rows: u64| Progress {
        account: "prices".into(),
        stream: stream.into(),
        done,
        total: Some(assets.len()),
        rows,
        eta_ms: None,
    };
    on_progress(&progress("daily klines", 0, 0));
    let currency = String::from(records::settings()?.currency.get());
    let price_result = prices::refresh(transport, &mut cache, &assets, &currency, first, now).await;
    let stream = if price_result.is_ok() { "daily klines: done" } else { "daily klines: failed" };
    on_progress(&progress(stream, assets.len(), cache.points.len() as u64));
    let audit = transport.take_audit();
    session::transact(|| -> Result<(), SessionError> {
        records::write(RecordKind::LedgerCache, PRICES, &cache)?;
        records::append_audit(audit)
    })
    .await?;
    price_result.map_err(SessionError::Prices)?;
    data.prices = cache;
    Ok(())
}

/// Reads the reporting currency's rate into the price cache, without a sync: what saving a new currency in the
/// settings does before the dashboard is recomputed. Its history starts where the cached prices start (the first
/// event's day); it runs under the sync's lock, so it never races a sync's write of the same cache. Nothing to
/// read for USD.
pub async fn refresh_currency(currency: &str) -> Result<(), SessionError> {
    if !prices::needs_price(currency) {
        return Ok(());
    }
    let _lock = crate::tabs::acquire(crate::tabs::SYNC_LOCK, false).await;
    session::refresh().await?;
    let settings = records::settings()?;
    let transport = RelayTransport::new(settings.relays.clone());
    let mut cache: PriceCache = records::read(RecordKind::LedgerCache, PRICES)?.unwrap_or_default();
    let now = js_sys::Date::now() as i64;
    let first = cache.points.iter().map(|p| p.time.0).min().unwrap_or(now);
    let result = prices::refresh(&transport, &mut cache, &BTreeSet::new(), currency, first, now).await;
    let audit = transport.take_audit();
    session::transact(|| -> Result<(), SessionError> {
        records::write(RecordKind::LedgerCache, PRICES, &cache)?;
        records::append_audit(audit)
    })
    .await?;
    result.map_err(|source| SessionError::Rate { currency: currency.into(), source })
}
