//! The browser session: the vault over IndexedDB. The vault runs on an in-memory [`Snapshot`] of the stored
//! objects; after each operation its writes are applied to IndexedDB in one transaction, so a closed tab or a
//! failed write leaves the stored vault as it was before the operation, never half-changed.

use std::cell::RefCell;

use vault::{KdfParams, Passphrase, Snapshot, Vault, VaultError};

use crate::idb::{Idb, IdbError, Write};

/// The IndexedDB database that holds the vault's objects (all sealed, or the public header).
pub const DATABASE: &str = "meetcrypt";

/// What went wrong, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionError(pub String);

impl std::fmt::Display for SessionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<VaultError> for SessionError {
    fn from(e: VaultError) -> Self {
        SessionError(e.to_string())
    }
}

impl From<IdbError> for SessionError {
    fn from(e: IdbError) -> Self {
        SessionError(e.to_string())
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
}

thread_local! {
    static SESSION: RefCell<Option<Session>> = const { RefCell::new(None) };
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
        None => Err(SessionError("the app is still loading its storage".into())),
    })
}

/// Opens IndexedDB, loads every stored object and says whether a vault is there.
pub async fn load(database: &str) -> Result<Start, SessionError> {
    let idb = Idb::open(database).await?;
    let mut objects = Vec::new();
    for key in idb.keys("").await? {
        if let Some(value) = idb.get(&key).await? {
            objects.push((key, value));
        }
    }
    let (vault, start) = match Vault::open(Snapshot::load(objects.clone())) {
        Ok(v) if v.kdf().is_insecure() => return Err(insecure_kdf()),
        Ok(v) => (Some(v), Start::Locked),
        Err(VaultError::NoVault) => (None, Start::FirstRun),
        Err(e) => return Err(e.into()),
    };
    SESSION.with(|s| *s.borrow_mut() = Some(Session { idb, vault, objects_at_load: objects }));
    Ok(start)
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

    fn pending_writes(&mut self) -> Vec<Write> {
        self.vault.as_mut().map(|v| to_idb(v.store_mut().take_writes())).unwrap_or_default()
    }
}

/// Applies the vault's pending writes to IndexedDB in one transaction. On failure the in-memory vault is reloaded
/// from what IndexedDB holds, so memory never runs ahead of storage.
pub async fn persist() -> Result<(), SessionError> {
    let (idb, writes) = with(|s| (s.idb.clone(), s.pending_writes()))?;
    if let Err(e) = idb.apply(&writes).await {
        let _ = load(DATABASE).await;
        return Err(e.into());
    }
    Ok(())
}

/// Creates the vault with Argon2id at OWASP's parameters (the only ones the app makes or opens).
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
    SessionError(
        "this vault uses the test-only key derivation, which protects nothing: Meetcrypt does not open it. Restore a \
         backup made by Meetcrypt, or start over in a fresh browser profile."
            .into(),
    )
}

/// Unlocks the vault; a wrong passphrase is a clear error.
pub fn unlock(passphrase: &Passphrase, now: std::time::Duration) -> Result<(), SessionError> {
    with(|s| -> Result<(), SessionError> {
        let v = s.vault.as_mut().ok_or(SessionError(VaultError::NoVault.to_string()))?;
        v.unlock(passphrase)?;
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
