//! The browser session: the vault over IndexedDB. The vault runs on an in-memory [`Snapshot`] of the stored
//! objects; after each operation its writes are applied to IndexedDB in one transaction, so a closed tab or a
//! failed write leaves the stored vault as it was before the operation, never half-changed.
//!
//! Any number of tabs share the stored vault (docs/app-storage.md): every commit runs under the vault's Web Lock,
//! checks that the stored version is the one its snapshot was based on (re-basing its writes on storage when it is
//! not), raises the version and tells the other tabs, which re-read the changed objects. A read-modify-write of a
//! record runs whole under the lock ([`transact`]).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use vault::{KdfParams, Passphrase, Snapshot, Store, Vault, VaultError};

use crate::idb::{Idb, IdbError, Write};
use crate::tabs::{self, Change};

/// The IndexedDB key of the stored vault's version: a counter that every commit raises, in the same transaction
/// as its writes. Not a vault object (the vault and its backups never see it).
pub const VERSION_KEY: &str = "meta.version";

/// The IndexedDB key of the newest storage format a tab committed with (docs/app-storage.md, "The storage format"):
/// 4 bytes little-endian, absent meaning 0 (builds before it). Not a vault object.
pub const FORMAT_KEY: &str = "meta.format";

/// The storage format this build reads and writes. Raise it with any change whose writes an earlier build cannot
/// read (a new chunk layout, a record's new shape): a tab still running an earlier build then stops and asks for a
/// reload instead of failing on what it cannot decode, or writing over it.
pub const STORAGE_FORMAT: u32 = 1;

/// The vault's header object (`vault::format::HEADER_KEY`): it changes only with the passphrase or the data keys.
const HEADER_KEY: &str = "vault";

/// The IndexedDB database that holds the vault's objects (all sealed, or the public header).
pub const DATABASE: &str = "meetcrypt";

/// What went wrong, by what failed; its `Display` is the message the user reads.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The storage is not open yet (the app is still starting).
    #[error("the app is still loading its storage")]
    Loading,
    /// The vault is locked: unlock it first.
    #[error("{}", VaultError::Locked)]
    Locked,
    /// The vault refused or failed (wrong passphrase, a record that does not open, ...).
    #[error(transparent)]
    Vault(VaultError),
    /// IndexedDB failed; nothing was written.
    #[error(transparent)]
    Storage(#[from] IdbError),
    /// A sync holds the sync's lock (in this tab or another): a change of the vault's header waits for it.
    #[error("a sync is running (in this tab or another): try again when it has finished. Nothing was changed.")]
    SyncRunning,
    /// Other tabs kept committing while this one tried: its writes were not saved.
    #[error("another tab keeps changing the vault: nothing was saved, try again")]
    Conflict,
    /// A newer build of the app committed in another tab ([`STORAGE_FORMAT`]): this tab reads and writes nothing
    /// more until it is reloaded.
    #[error(
        "Meetcrypt was updated in another tab (storage format {stored}, this tab's {STORAGE_FORMAT}): reload this \
         tab to go on. Nothing was saved here; nothing is lost."
    )]
    Outdated {
        /// The stored format.
        stored: u32,
    },
    /// The stored vault uses the test-only key derivation.
    #[error(
        "this vault uses the test-only key derivation, which protects nothing: Meetcrypt does not open it. Restore a \
         backup made by Meetcrypt, or start over in a fresh browser profile."
    )]
    InsecureKdf,
    /// A sealed record opened but its JSON does not decode: it is left as stored, never replaced by a default.
    #[error("stored {kind} `{id}` does not decode: {reason}")]
    Undecodable {
        /// The record's kind.
        kind: vault::RecordKind,
        /// The record's id.
        id: String,
        /// The decoder's words.
        reason: String,
    },
    /// A record could not be encoded.
    #[error("cannot encode {kind}: {reason}")]
    Unencodable {
        /// The record's kind.
        kind: vault::RecordKind,
        /// The encoder's words.
        reason: String,
    },
    /// The venue refused the key at connect time, or could not be asked.
    #[error(transparent)]
    Connect(#[from] venues::ConnectError),
    /// The price reads failed (the venue or the relay did not answer as expected).
    #[error("prices could not be read: {0}")]
    Prices(crate::prices::PriceError),
    /// The reporting currency's rate could not be read.
    #[error("the {currency} rate could not be read: {source}")]
    Rate {
        /// The reporting currency.
        currency: String,
        /// Why.
        source: crate::prices::PriceError,
    },
    /// The relay (or the network to it) did not answer as expected.
    #[error("{0}")]
    Relay(String),
    /// A request to the relay could not be made or its answer read.
    #[error("the relay did not answer: {0}")]
    Network(#[from] gloo_net::Error),
    /// An export could not be written.
    #[error("the export could not be written: {0}")]
    Export(String),
    /// The account is not (or no longer) connected.
    #[error("no such account")]
    NoSuchAccount,
    /// A part of the app's code could not be fetched (`crate::split`): nothing was done; trying again fetches it
    /// again.
    #[error("{0}, or try again")]
    Load(#[from] crate::split::LoadFailed),
    /// The browser refused a file operation (a download, a file read).
    #[error("{0}")]
    Browser(&'static str),
}

impl From<VaultError> for SessionError {
    fn from(e: VaultError) -> Self {
        match e {
            VaultError::Locked => SessionError::Locked,
            e => SessionError::Vault(e),
        }
    }
}

impl From<SessionError> for String {
    fn from(e: SessionError) -> Self {
        e.to_string()
    }
}

/// Where the user stands when the app opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// No vault in this browser yet.
    FirstRun,
    /// A vault exists and is locked.
    Locked,
}

/// The open session: IndexedDB and the vault on its snapshot.
pub struct Session {
    idb: Idb,
    vault: Option<Vault<Snapshot>>,
    objects_at_load: Vec<(String, Vec<u8>)>,
    /// The stored version the snapshot is based on.
    version: u64,
}

/// What a refresh from storage brought: the objects another tab changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changed {
    /// Every object may have changed (the tab missed an announcement, or storage was read whole).
    pub all: bool,
    /// The IndexedDB keys changed, when not `all`.
    pub keys: Vec<String>,
    /// The vault's header changed (another passphrase or data key): this tab locked itself.
    pub relocked: bool,
    /// A newer build committed in another tab: this tab read nothing of it and saves nothing until it is reloaded
    /// ([`SessionError::Outdated`]).
    pub outdated: bool,
}

impl Changed {
    /// Whether records of this kind may have changed.
    pub fn touches(&self, kind: vault::RecordKind) -> bool {
        let prefix = format!("record.{}.", kind.name());
        self.all || self.keys.iter().any(|k| k.starts_with(&prefix))
    }
}

type Listener = Rc<dyn Fn(&Changed)>;

thread_local! {
    static SESSION: RefCell<Option<Session>> = const { RefCell::new(None) };
    static LISTENERS: RefCell<Vec<(u64, Listener)>> = const { RefCell::new(Vec::new()) };
    static NEXT_LISTENER: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Calls `f` after every refresh that brought another tab's changes; returns a handle for [`off_change`].
pub fn on_change(f: impl Fn(&Changed) + 'static) -> u64 {
    let id = NEXT_LISTENER.with(|n| {
        n.set(n.get() + 1);
        n.get()
    });
    LISTENERS.with(|l| l.borrow_mut().push((id, Rc::new(f))));
    id
}

/// Stops calling a listener.
pub fn off_change(id: u64) {
    LISTENERS.with(|l| l.borrow_mut().retain(|(i, _)| *i != id));
}

fn notify(changed: &Changed) {
    let listeners: Vec<Listener> = LISTENERS.with(|l| l.borrow().iter().map(|(_, f)| f.clone()).collect());
    for f in listeners {
        f(changed);
    }
}

fn decode_version(bytes: &[u8]) -> u64 {
    bytes.try_into().map(u64::from_le_bytes).unwrap_or(0)
}

/// A stored object: its IndexedDB key and bytes.
type Object = (String, Vec<u8>);

fn decode_format(bytes: &[u8]) -> u32 {
    bytes.try_into().map(u32::from_le_bytes).unwrap_or(0)
}

/// Splits the version counter and the storage format off the stored objects; a format newer than this build's
/// is an error.
fn split_version(mut objects: Vec<Object>) -> Result<(u64, Vec<Object>), SessionError> {
    let meta = |key: &str| objects.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_slice());
    let version = meta(VERSION_KEY).map(decode_version).unwrap_or(0);
    check_format(meta(FORMAT_KEY).map(decode_format).unwrap_or(0))?;
    objects.retain(|(k, _)| k != VERSION_KEY && k != FORMAT_KEY);
    Ok((version, objects))
}

/// A stored format this build can read, or [`SessionError::Outdated`].
fn check_format(stored: u32) -> Result<(), SessionError> {
    if stored > STORAGE_FORMAT { Err(SessionError::Outdated { stored }) } else { Ok(()) }
}

async fn stored_version(idb: &Idb) -> Result<u64, SessionError> {
    Ok(idb.get(VERSION_KEY).await?.map(|v| decode_version(&v)).unwrap_or(0))
}

/// Records `writes` as pending in `store` again (applying them to its objects).
fn replay(store: &mut Snapshot, writes: Vec<vault::Write>) {
    for w in writes {
        let _ = match w {
            vault::Write::Put { key, value } => store.put(&key, &value),
            vault::Write::Delete { key } => store.delete(&key),
        };
    }
}

fn to_idb(writes: Vec<vault::Write>) -> Vec<Write> {
    writes
        .into_iter()
        .map(|w| match w {
            vault::Write::Put { key, value } => Write::Put(key, value),
            vault::Write::Delete { key } => Write::Delete(key),
        })
        .collect()
}

/// Runs `f` with the open session.
pub fn with<R>(f: impl FnOnce(&mut Session) -> R) -> Result<R, SessionError> {
    SESSION.with(|s| match s.borrow_mut().as_mut() {
        Some(session) => Ok(f(session)),
        None => Err(SessionError::Loading),
    })
}

/// Opens IndexedDB, loads every stored object and says whether a vault is there.
pub async fn load(database: &str) -> Result<Start, SessionError> {
    let idb = Idb::open(database).await?;
    let (version, objects) = split_version(idb.all().await?)?;
    let (vault, start) = match Vault::open(Snapshot::load(objects.clone())) {
        Ok(v) if v.kdf().is_insecure() => return Err(insecure_kdf()),
        Ok(v) => (Some(v), Start::Locked),
        Err(VaultError::NoVault) => (None, Start::FirstRun),
        Err(e) => return Err(e.into()),
    };
    SESSION.with(|s| *s.borrow_mut() = Some(Session { idb, vault, objects_at_load: objects, version }));
    // what the other tabs commit is read in as they announce it
    tabs::listen(|change| leptos::task::spawn_local(on_announce(change)));
    Ok(start)
}

/// Another tab committed `change`: re-read it under the lock.
async fn on_announce(change: Change) {
    let _lock = tabs::acquire(tabs::VAULT_LOCK, false).await;
    if let Err(e) = refresh_locked(Some(&change)).await {
        leptos::logging::error!("reading another tab's change failed: {e}");
    }
}

impl Session {
    /// The unlocked vault, or an error saying it is locked.
    pub fn vault(&mut self) -> Result<&mut Vault<Snapshot>, SessionError> {
        match self.vault.as_mut() {
            Some(v) if v.is_unlocked() => Ok(v),
            Some(_) => Err(VaultError::Locked.into()),
            None => Err(VaultError::NoVault.into()),
        }
    }

    /// Whether a vault exists and is unlocked.
    pub fn is_unlocked(&self) -> bool {
        self.vault.as_ref().is_some_and(|v| v.is_unlocked())
    }

    /// Locks the vault: keys dropped and zeroized.
    pub fn lock(&mut self) {
        if let Some(v) = self.vault.as_mut() {
            v.lock();
        }
    }

    /// Whether a vault exists in this browser (locked or not).
    pub fn has_vault(&self) -> bool {
        self.vault.is_some()
    }

    fn take_pending(&mut self) -> Vec<vault::Write> {
        self.vault.as_mut().map(|v| v.store_mut().take_writes()).unwrap_or_default()
    }

    fn restore_pending(&mut self, writes: Vec<vault::Write>) {
        if let Some(v) = self.vault.as_mut() {
            replay(v.store_mut(), writes);
        }
    }

    /// Moves the snapshot to the stored `version`: `stored` is every object (`all`) or the changed ones (`None`:
    /// deleted). This tab's pending writes stay on top. A changed header (another passphrase or data key) locks
    /// the vault: its keys in memory are no longer the stored ones.
    fn rebase(&mut self, version: u64, stored: Vec<(String, Option<Vec<u8>>)>, all: bool) -> bool {
        self.version = version;
        let Some(v) = self.vault.as_mut() else {
            // no vault here yet: another tab may have made one (it opens locked)
            let mut objects: BTreeMap<String, Vec<u8>> =
                if all { BTreeMap::new() } else { std::mem::take(&mut self.objects_at_load).into_iter().collect() };
            for (key, value) in stored {
                match value {
                    Some(value) => objects.insert(key, value),
                    None => objects.remove(&key),
                };
            }
            self.objects_at_load = objects.into_iter().collect();
            self.vault = Vault::open(Snapshot::load(self.objects_at_load.clone())).ok();
            return false;
        };
        let header_before = v.store().get(HEADER_KEY).ok().flatten();
        let pending = v.store_mut().take_writes();
        let mut objects: BTreeMap<String, Vec<u8>> = if all { BTreeMap::new() } else { v.store().objects().clone() };
        for (key, value) in stored {
            match value {
                Some(value) => objects.insert(key, value),
                None => objects.remove(&key),
            };
        }
        let header_changed = objects.get(HEADER_KEY) != header_before.as_ref();
        let mut snapshot = Snapshot::load(objects);
        if header_changed {
            // Another tab rotated the data keys (the keys held here unwrap the new ones: the tab stays unlocked)
            // or changed the passphrase (they do not: it locks). This tab's pending writes were sealed under keys
            // the stored header may have retired: they are dropped (the rotation and the passphrase change take
            // the sync's lock, so no sync of any tab has writes pending then).
            *v.store_mut() = snapshot;
            return !v.reload_header().unwrap_or(false);
        }
        replay(&mut snapshot, pending);
        *v.store_mut() = snapshot;
        false
    }
}

/// Brings the snapshot up to the stored version (call with the vault's lock held): only the objects of `hint`
/// when it is the one change since this tab's version, else every object. Tells the listeners what changed.
async fn refresh_locked(hint: Option<&Change>) -> Result<(), SessionError> {
    let (idb, version) = with(|s| (s.idb.clone(), s.version))?;
    let stored = stored_version(&idb).await?;
    if stored == version {
        return Ok(());
    }
    // a newer build committed: nothing of it is read (this build may not decode it), and the screens are told
    let format = idb.get(FORMAT_KEY).await?.map(|f| decode_format(&f)).unwrap_or(0);
    if let Err(e) = check_format(format) {
        notify(&Changed { outdated: true, ..Changed::default() });
        return Err(e);
    }
    let (objects, all) = match hint.filter(|c| c.previous == version && c.version == stored) {
        Some(change) => (idb.get_many(&change.keys).await?, false),
        None => {
            let (at, objects) = split_version(idb.all().await?)?;
            // the same transaction's version (a commit may have landed between the two reads)
            return finish_refresh(at, objects.into_iter().map(|(k, v)| (k, Some(v))).collect(), true, Vec::new());
        }
    };
    let keys = objects.iter().map(|(k, _)| k.clone()).collect();
    finish_refresh(stored, objects, all, keys)
}

fn finish_refresh(
    version: u64,
    objects: Vec<(String, Option<Vec<u8>>)>,
    all: bool,
    keys: Vec<String>,
) -> Result<(), SessionError> {
    let relocked = with(|s| s.rebase(version, objects, all))?;
    notify(&Changed { all, keys, relocked, outdated: false });
    Ok(())
}

/// Commits the pending writes (call with the vault's lock held): re-based on storage when another tab committed
/// since this tab's version, then compare-and-swap: the writes land, with the next version, only on the version
/// they were based on. On a failed write the in-memory vault is reloaded from what IndexedDB holds, so memory
/// never runs ahead of storage.
async fn commit_locked() -> Result<(), SessionError> {
    for _ in 0..3 {
        refresh_locked(None).await?;
        let (idb, writes, version) = with(|s| (s.idb.clone(), s.take_pending(), s.version))?;
        if writes.is_empty() {
            return Ok(());
        }
        // a writer that does not take the lock (a browser without Web Locks) got in: re-base and try again
        if stored_version(&idb).await? != version {
            with(|s| s.restore_pending(writes))?;
            continue;
        }
        let mut writes = to_idb(writes);
        let keys: Vec<String> = writes
            .iter()
            .map(|w| match w {
                Write::Put(k, _) | Write::Delete(k) => k.clone(),
            })
            .collect();
        let next = version + 1;
        writes.push(Write::Put(VERSION_KEY.into(), next.to_le_bytes().to_vec()));
        writes.push(Write::Put(FORMAT_KEY.into(), STORAGE_FORMAT.to_le_bytes().to_vec()));
        if let Err(e) = idb.apply(&writes).await {
            let _ = load(DATABASE).await;
            return Err(e.into());
        }
        with(|s| s.version = next)?;
        tabs::announce(&Change { version: next, previous: version, keys });
        return Ok(());
    }
    Err(SessionError::Conflict)
}

/// Applies the vault's pending writes to IndexedDB in one transaction, under the vault's lock, on the latest
/// stored version (see [`commit_locked`]).
pub async fn persist() -> Result<(), SessionError> {
    let _lock = tabs::acquire(tabs::VAULT_LOCK, false).await;
    commit_locked().await
}

/// Reads in what other tabs committed since this tab's version.
pub async fn refresh() -> Result<(), SessionError> {
    let _lock = tabs::acquire(tabs::VAULT_LOCK, false).await;
    refresh_locked(None).await
}

/// Runs a read-modify-write of the vault's records whole under the vault's lock: on the latest stored version,
/// and committed before another tab may write. When `f` fails, its writes are dropped (the snapshot is read again
/// from storage).
pub async fn transact<R, E: From<SessionError>>(f: impl FnOnce() -> Result<R, E>) -> Result<R, E> {
    let _lock = tabs::acquire(tabs::VAULT_LOCK, false).await;
    // what this tab has not saved yet (a sync's checkpoint) lands first, so a failure of `f` drops only its own
    commit_locked().await?;
    match f() {
        Ok(r) => {
            commit_locked().await?;
            Ok(r)
        }
        Err(e) => {
            with(|s| s.version = u64::MAX)?;
            let _ = with(|s| s.take_pending());
            refresh_locked(None).await?;
            Err(e)
        }
    }
}

/// Runs a change of the vault's header (a passphrase change, a data-key rotation) whole under the vault's lock and
/// the sync's: no other tab commits meanwhile and no sync of any tab has writes pending, then the other tabs are
/// told (a changed header: after a rotation they unwrap the new data key with the keys they hold, after a
/// passphrase change they lock and ask for the new one). When `f` fails its writes are dropped.
async fn change_header<R>(f: impl FnOnce(&mut Vault<Snapshot>) -> Result<R, VaultError>) -> Result<R, SessionError> {
    let Some(_sync) = tabs::acquire(tabs::SYNC_LOCK, true).await else {
        return Err(SessionError::SyncRunning);
    };
    transact(|| with(|s| -> Result<R, SessionError> { Ok(f(s.vault()?)?) })?).await
}

/// Changes the passphrase (see [`change_header`]): the data keys are wrapped again under a key derived from the new
/// passphrase with a fresh salt; records are untouched. The other tabs lock.
pub async fn change_passphrase(current: &Passphrase, new: &Passphrase) -> Result<(), SessionError> {
    change_header(|v| v.change_passphrase(current, new)).await
}

/// Rotates the data key (see [`change_header`]): every record is sealed again under a new data key and the old
/// one is destroyed, all in one IndexedDB transaction. Returns the new key version and how many records moved.
pub async fn rotate_data_key() -> Result<vault::Rotation, SessionError> {
    change_header(|v| v.rotate_data_key()).await
}

/// The version of the data key the records are sealed under.
pub fn key_version() -> Result<u32, SessionError> {
    with(|s| s.vault().map(|v| v.current_key_version()))?
}

/// Creates the vault with the vault's default key derivation (Argon2id at Bitwarden's default parameters,
/// docs/vault-format.md).
pub async fn create(passphrase: &Passphrase) -> Result<(), SessionError> {
    with(|s| -> Result<(), SessionError> {
        let objects = std::mem::take(&mut s.objects_at_load);
        s.vault = Some(Vault::create(Snapshot::load(objects), passphrase, KdfParams::default())?);
        Ok(())
    })??;
    persist().await
}

/// The refusal of a vault whose key derivation is the test-only set: it would protect nothing.
fn insecure_kdf() -> SessionError {
    SessionError::InsecureKdf
}

/// Unlocks the vault; a wrong passphrase is a clear error.
pub fn unlock(passphrase: &Passphrase, now: std::time::Duration) -> Result<(), SessionError> {
    with(|s| -> Result<(), SessionError> {
        let v = s.vault.as_mut().ok_or(SessionError::Vault(VaultError::NoVault))?;
        // the key derivation's time, as the page's performance entry `meetcrypt:unlock` (the KDF figures in
        // docs/vault-format.md are read from it)
        let performance = web_sys::window().and_then(|w| w.performance());
        if let Some(p) = &performance {
            let _ = p.mark("meetcrypt:unlock-start");
        }
        let unlocked = v.unlock(passphrase);
        if let Some(p) = &performance {
            let _ = p.measure_with_start_mark("meetcrypt:unlock", "meetcrypt:unlock-start");
        }
        unlocked?;
        // A data-key rotation interrupted earlier (closed tab) is finished now: nothing is lost either way.
        if v.rotation_pending() {
            v.rotate_data_key()?;
        }
        v.touch(now);
        Ok(())
    })?
}

/// Imports an encrypted backup into this browser's empty storage and unlocks it with its passphrase.
pub async fn import_backup(
    backup: &[u8],
    passphrase: &Passphrase,
    now: std::time::Duration,
) -> Result<(), SessionError> {
    with(|s| -> Result<(), SessionError> {
        if s.vault.is_some() {
            return Err(VaultError::VaultExists.into());
        }
        let objects = s.objects_at_load.clone();
        let mut vault = Vault::import_backup(Snapshot::load(objects), backup, passphrase)?;
        if vault.kdf().is_insecure() {
            return Err(insecure_kdf());
        }
        s.objects_at_load.clear();
        if !vault.is_unlocked() {
            vault.unlock(passphrase)?;
        }
        vault.touch(now);
        s.vault = Some(vault);
        Ok(())
    })??;
    persist().await
}
