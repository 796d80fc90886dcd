//! The vault: create, unlock, lock, records, passphrase change, data-key rotation, backup, auto-lock.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::crypto::{SymmetricKey, random_fill};
use crate::error::VaultError;
use crate::format::{
    BACKUP_MAGIC, BACKUP_VERSION, CHECKSUM_LEN, Envelope, HEADER_KEY, Header, HeaderProblem, RECORD_PREFIX, Reader,
    VaultIdBytes, WrappedKey, parse_record_key, put_bytes, record_aad, record_key,
};
use crate::kdf::{KdfParams, SALT_LEN};
use crate::record::{Credential, CredentialId, RecordId, RecordKind};
use crate::secret::{Passphrase, SecretBytes, constant_time_eq};
use crate::store::{MemoryStore, Store, check_key};

type HmacSha256 = Hmac<Sha256>;

/// The default idle time before [`Vault::should_lock`] says to lock: 15 minutes.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// The keys held while the vault is unlocked; dropping them zeroizes them.
struct Keys {
    kek: SymmetricKey,
    data: BTreeMap<u32, SymmetricKey>,
}

/// What a data-key rotation did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rotation {
    /// The version of the data key every record is now sealed under.
    pub key_version: u32,
    /// How many records were re-encrypted by this call.
    pub reencrypted: usize,
    /// The versions of the data keys destroyed at the end.
    pub retired: Vec<u32>,
}

/// A vault over a [`Store`]: locked (only the header is known) or unlocked (the data keys are in memory).
///
/// All ciphertext lives in the store; the vault keeps only the parsed header and, while unlocked, the keys.
pub struct Vault<S: Store> {
    pub(crate) store: S,
    header: Header,
    keys: Option<Keys>,
    idle_timeout: Duration,
    last_activity: Option<Duration>,
}

impl<S: Store> fmt::Debug for Vault<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("id", &self.id())
            .field("kdf", &self.header.kdf)
            .field("unlocked", &self.is_unlocked())
            .field("key_versions", &self.key_versions())
            .field("current_key_version", &self.header.current)
            .finish_non_exhaustive()
    }
}

fn read_header(store: &dyn Store) -> Result<Header, VaultError> {
    let bytes = store.get(HEADER_KEY)?.ok_or(VaultError::NoVault)?;
    Header::decode(&bytes).map_err(|p| match p {
        HeaderProblem::NotAHeader => VaultError::Corrupted { object: HEADER_KEY.into(), detail: "not a vault header" },
        HeaderProblem::Damaged(detail) => VaultError::Corrupted { object: HEADER_KEY.into(), detail },
        HeaderProblem::NewerFormat(v) => VaultError::NewerFormat(v),
    })
}

/// A header for `data` keys wrapped under `kek`.
fn wrap_keys<'a>(
    vault_id: VaultIdBytes,
    kdf: KdfParams,
    salt: [u8; SALT_LEN],
    current: u32,
    kek: &SymmetricKey,
    data: impl IntoIterator<Item = (u32, &'a SymmetricKey)>,
) -> Result<Header, VaultError> {
    let data: Vec<(u32, &SymmetricKey)> = data.into_iter().collect();
    let mut header = Header { vault_id, kdf, salt, current, keys: Vec::with_capacity(data.len()) };
    for (version, key) in &data {
        let aad = header.wrap_aad(data.len(), *version);
        let (nonce, sealed) = kek.seal(&aad, key.bytes())?;
        let wrapped = sealed.try_into().expect("a 32-byte key seals to 48 bytes");
        header.keys.push(WrappedKey { version: *version, nonce, wrapped });
    }
    Ok(header)
}

/// Unwraps every data key: the current one first, whose failure means a wrong passphrase.
fn unwrap_keys(header: &Header, kek: &SymmetricKey) -> Result<BTreeMap<u32, SymmetricKey>, VaultError> {
    let mut order: Vec<&WrappedKey> = header.keys.iter().collect();
    order.sort_by_key(|k| k.version != header.current);
    let mut data = BTreeMap::new();
    for wrapped in order {
        let aad = header.wrap_aad(header.keys.len(), wrapped.version);
        let Some(bytes) = kek.open(&wrapped.nonce, &aad, &wrapped.wrapped) else {
            return Err(if data.is_empty() {
                VaultError::WrongPassphrase
            } else {
                VaultError::Corrupted { object: HEADER_KEY.into(), detail: "a retired data key does not unwrap" }
            });
        };
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&bytes);
        data.insert(wrapped.version, SymmetricKey::from_bytes(key));
    }
    Ok(data)
}

fn backup_mac(key: &SymmetricKey, framed: &[u8]) -> HmacSha256 {
    let mut derive = <HmacSha256 as KeyInit>::new_from_slice(key.bytes()).expect("HMAC takes any key length");
    derive.update(b"meetcrypt-vault/v1/backup-mac-key");
    let mut mac_key = Zeroizing::new([0u8; 32]);
    mac_key.copy_from_slice(&derive.finalize().into_bytes());
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&mac_key[..]).expect("HMAC takes any key length");
    mac.update(framed);
    mac
}

impl<S: Store> Vault<S> {
    /// Creates a new vault in empty storage and returns it unlocked.
    ///
    /// Use [`KdfParams::default()`] (Argon2id at Bitwarden's default parameters) for real vaults.
    pub fn create(mut store: S, passphrase: &Passphrase, kdf: KdfParams) -> Result<Vault<S>, VaultError> {
        if passphrase.is_empty() {
            return Err(VaultError::EmptyPassphrase);
        }
        kdf.check_for_new_vault()?;
        if store.get(HEADER_KEY)?.is_some() {
            return Err(VaultError::VaultExists);
        }
        let objects = store.list("")?.len();
        if objects > 0 {
            return Err(VaultError::StoreNotEmpty { objects });
        }
        let mut vault_id = [0u8; 16];
        random_fill(&mut vault_id)?;
        let mut salt = [0u8; SALT_LEN];
        random_fill(&mut salt)?;
        let kek = SymmetricKey::from_bytes(kdf.derive_kek(passphrase, &salt)?);
        let data_key = SymmetricKey::generate()?;
        let header = wrap_keys(vault_id, kdf, salt, 1, &kek, [(1, &data_key)])?;
        store.put(HEADER_KEY, &header.encode())?;
        let keys = Keys { kek, data: BTreeMap::from([(1, data_key)]) };
        Ok(Vault { store, header, keys: Some(keys), idle_timeout: DEFAULT_IDLE_TIMEOUT, last_activity: None })
    }

    /// Opens the vault in `store`, locked. Fails if there is no vault or its header is damaged.
    pub fn open(store: S) -> Result<Vault<S>, VaultError> {
        let header = read_header(&store)?;
        Ok(Vault { store, header, keys: None, idle_timeout: DEFAULT_IDLE_TIMEOUT, last_activity: None })
    }

    /// Unlocks with the passphrase: derives the KEK and unwraps the data keys. A wrong passphrase is
    /// [`VaultError::WrongPassphrase`], never a vault of garbage. Call [`Vault::touch`] afterwards.
    pub fn unlock(&mut self, passphrase: &Passphrase) -> Result<(), VaultError> {
        let header = read_header(&self.store)?;
        let kek = SymmetricKey::from_bytes(header.kdf.derive_kek(passphrase, &header.salt)?);
        let data = unwrap_keys(&header, &kek)?;
        self.header = header;
        self.keys = Some(Keys { kek, data });
        self.last_activity = None;
        Ok(())
    }

    /// Reads the header again after another writer changed it (another tab rotated the data keys or changed the
    /// passphrase). An unlocked vault unwraps the stored data keys with the KEK it holds: after a rotation it stays
    /// unlocked with the new keys; after a passphrase change (a new salt, so another KEK) the keys no longer
    /// unwrap and it locks (so does a header that no longer reads). Returns whether it is unlocked afterwards.
    pub fn reload_header(&mut self) -> Result<bool, VaultError> {
        let header = read_header(&self.store).inspect_err(|_| self.lock())?;
        let Some(keys) = self.keys.as_mut() else {
            self.header = header;
            return Ok(false);
        };
        match unwrap_keys(&header, &keys.kek) {
            Ok(data) => {
                keys.data = data;
                self.header = header;
                Ok(true)
            }
            Err(VaultError::WrongPassphrase) => {
                self.header = header;
                self.lock();
                Ok(false)
            }
            Err(e) => {
                self.lock();
                Err(e)
            }
        }
    }

    /// Locks: the KEK and data keys are dropped and zeroized.
    pub fn lock(&mut self) {
        self.keys = None;
        self.last_activity = None;
    }

    /// Whether the keys are in memory.
    pub fn is_unlocked(&self) -> bool {
        self.keys.is_some()
    }

    /// The vault's random id, in hex.
    pub fn id(&self) -> String {
        self.header.vault_id.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The key derivation function and parameters recorded in the header.
    pub fn kdf(&self) -> KdfParams {
        self.header.kdf
    }

    /// The versions of the data keys in the header (two while a rotation is unfinished).
    pub fn key_versions(&self) -> Vec<u32> {
        self.header.keys.iter().map(|k| k.version).collect()
    }

    /// The version of the data key new records are sealed under.
    pub fn current_key_version(&self) -> u32 {
        self.header.current
    }

    /// Whether a data-key rotation was interrupted: call [`Vault::rotate_data_key`] to finish it.
    pub fn rotation_pending(&self) -> bool {
        self.header.keys.len() > 1
    }

    /// The underlying store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The underlying store, mutably (to take a [`crate::Snapshot`]'s pending writes).
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// Locks and returns the store.
    pub fn into_store(mut self) -> S {
        self.lock();
        let Vault { store, .. } = self;
        store
    }

    // ----- auto-lock -----

    /// Sets how long the vault may stay idle before [`Vault::should_lock`] is true.
    pub fn set_idle_timeout(&mut self, timeout: Duration) {
        self.idle_timeout = timeout;
    }

    /// Records user activity at `now` (time since any fixed origin, e.g. `performance.now()`).
    pub fn touch(&mut self, now: Duration) {
        if self.is_unlocked() {
            self.last_activity = Some(now);
        }
    }

    /// Whether the vault is unlocked and has been idle for the timeout or longer. An unlocked vault never
    /// touched since unlocking counts as idle (fail closed).
    pub fn should_lock(&self, now: Duration) -> bool {
        self.is_unlocked() && self.last_activity.is_none_or(|t| now.saturating_sub(t) >= self.idle_timeout)
    }

    /// Locks if [`Vault::should_lock`]; returns whether it locked.
    pub fn lock_if_idle(&mut self, now: Duration) -> bool {
        let idle = self.should_lock(now);
        if idle {
            self.lock();
        }
        idle
    }

    // ----- records -----

    fn keys(&self) -> Result<&Keys, VaultError> {
        self.keys.as_ref().ok_or(VaultError::Locked)
    }

    /// Fails with `Locked` unless the vault is unlocked.
    pub(crate) fn require_unlocked(&self) -> Result<(), VaultError> {
        self.keys().map(|_| ())
    }

    pub(crate) fn seal_raw(&mut self, kind: RecordKind, id: &RecordId, plaintext: &[u8]) -> Result<(), VaultError> {
        let keys = self.keys.as_ref().ok_or(VaultError::Locked)?;
        let version = self.header.current;
        let key = keys.data.get(&version).expect("the current data key is unwrapped while unlocked");
        let (nonce, sealed) = key.seal(&record_aad(&self.header.vault_id, kind, id, version), plaintext)?;
        self.store.put(&record_key(kind, id), &Envelope::encode(version, &nonce, &sealed))?;
        Ok(())
    }

    fn open_bytes(&self, kind: RecordKind, id: &RecordId, bytes: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let keys = self.keys()?;
        let corrupted = |detail| VaultError::Corrupted { object: record_key(kind, id), detail };
        let envelope = Envelope::decode(bytes).map_err(corrupted)?;
        let key = keys
            .data
            .get(&envelope.key_version)
            .ok_or(corrupted("it names a data key version this vault does not have"))?;
        let aad = record_aad(&self.header.vault_id, kind, id, envelope.key_version);
        key.open(&envelope.nonce, &aad, envelope.sealed)
            .ok_or(corrupted("authentication failed: it was modified, or moved from another slot or vault"))
    }

    pub(crate) fn open_raw(&self, kind: RecordKind, id: &RecordId) -> Result<Option<Zeroizing<Vec<u8>>>, VaultError> {
        self.keys()?;
        match self.store.get(&record_key(kind, id))? {
            None => Ok(None),
            Some(bytes) => self.open_bytes(kind, id, &bytes).map(Some),
        }
    }

    pub(crate) fn ids(&self, kind: RecordKind) -> Result<Vec<RecordId>, VaultError> {
        let prefix = format!("{RECORD_PREFIX}{}.", kind.name());
        Ok(self.store.list(&prefix)?.iter().filter_map(|k| parse_record_key(k)).map(|(_, id)| id).collect())
    }

    /// Seals `plaintext` as the record `(kind, id)`, replacing any previous one. Not for credentials.
    pub fn seal_record(&mut self, kind: RecordKind, id: &RecordId, plaintext: &[u8]) -> Result<(), VaultError> {
        if kind.is_reserved() {
            return Err(VaultError::CredentialKindReserved);
        }
        self.seal_raw(kind, id, plaintext)
    }

    /// Opens the record `(kind, id)`; `None` if there is none. Not for credentials.
    pub fn open_record(&self, kind: RecordKind, id: &RecordId) -> Result<Option<SecretBytes>, VaultError> {
        if kind.is_reserved() {
            return Err(VaultError::CredentialKindReserved);
        }
        Ok(self.open_raw(kind, id)?.map(SecretBytes::new))
    }

    /// Which sealing of the record `(kind, id)` is stored, without opening it: the random nonce it was sealed
    /// under (public, as in every AES-GCM envelope), new at every seal, key rotation included; `None` if there is
    /// no such record. Two equal stamps are the same bytes (docs/vault-format.md, "Record stamps"). Not for
    /// credentials.
    pub fn record_stamp(&self, kind: RecordKind, id: &RecordId) -> Result<Option<[u8; 12]>, VaultError> {
        if kind.is_reserved() {
            return Err(VaultError::CredentialKindReserved);
        }
        self.keys()?;
        let Some(bytes) = self.store.get(&record_key(kind, id))? else { return Ok(None) };
        let corrupted = |detail| VaultError::Corrupted { object: record_key(kind, id), detail };
        Ok(Some(Envelope::decode(&bytes).map_err(corrupted)?.nonce))
    }

    /// Removes the record `(kind, id)`; removing a missing record is not an error. Not for credentials.
    pub fn remove_record(&mut self, kind: RecordKind, id: &RecordId) -> Result<(), VaultError> {
        if kind.is_reserved() {
            return Err(VaultError::CredentialKindReserved);
        }
        self.keys()?;
        self.store.delete(&record_key(kind, id))?;
        Ok(())
    }

    /// The ids of the records of `kind`, in ascending order.
    pub fn record_ids(&self, kind: RecordKind) -> Result<Vec<RecordId>, VaultError> {
        self.keys()?;
        self.ids(kind)
    }

    // ----- credentials -----

    /// Adds a credential; returns its new id.
    pub fn add_credential(&mut self, credential: &Credential) -> Result<CredentialId, VaultError> {
        credential.check()?;
        self.keys()?;
        let id = CredentialId::generate()?;
        self.seal_raw(RecordKind::Credential, id.record_id(), &credential.encode())?;
        Ok(id)
    }

    /// Replaces the credential `id` (e.g. after the user re-creates the API key).
    pub fn replace_credential(&mut self, id: &CredentialId, credential: &Credential) -> Result<(), VaultError> {
        credential.check()?;
        self.require_credential(id)?;
        self.seal_raw(RecordKind::Credential, id.record_id(), &credential.encode())
    }

    /// Removes the credential `id`.
    pub fn remove_credential(&mut self, id: &CredentialId) -> Result<(), VaultError> {
        self.require_credential(id)?;
        self.store.delete(&record_key(RecordKind::Credential, id.record_id()))?;
        Ok(())
    }

    fn require_credential(&self, id: &CredentialId) -> Result<(), VaultError> {
        self.keys()?;
        match self.store.get(&record_key(RecordKind::Credential, id.record_id()))? {
            Some(_) => Ok(()),
            None => Err(VaultError::NotFound { kind: RecordKind::Credential, id: id.record_id().clone() }),
        }
    }

    /// The credential `id`.
    pub fn credential(&self, id: &CredentialId) -> Result<Credential, VaultError> {
        let plain = self
            .open_raw(RecordKind::Credential, id.record_id())?
            .ok_or_else(|| VaultError::NotFound { kind: RecordKind::Credential, id: id.record_id().clone() })?;
        Credential::decode(&plain).ok_or_else(|| VaultError::Corrupted {
            object: record_key(RecordKind::Credential, id.record_id()),
            detail: "the credential does not decode",
        })
    }

    /// Every credential with its id, in id order.
    pub fn credentials(&self) -> Result<Vec<(CredentialId, Credential)>, VaultError> {
        self.keys()?;
        self.ids(RecordKind::Credential)?
            .into_iter()
            .map(|id| {
                let id = CredentialId::parse(id.as_str())?;
                let credential = self.credential(&id)?;
                Ok((id, credential))
            })
            .collect()
    }

    // ----- passphrase and keys -----

    /// Changes the passphrase: derives a new KEK under a fresh salt and re-wraps the data keys; records are not
    /// touched. One atomic write of the header, so an interruption leaves either passphrase working. A vault at
    /// weaker Argon2id parameters than today's default (an older default) moves to the default
    /// ([`KdfParams::upgraded`]).
    pub fn change_passphrase(&mut self, current: &Passphrase, new: &Passphrase) -> Result<(), VaultError> {
        if new.is_empty() {
            return Err(VaultError::EmptyPassphrase);
        }
        let keys = self.keys.as_ref().ok_or(VaultError::Locked)?;
        let check = self.header.kdf.derive_kek(current, &self.header.salt)?;
        if !constant_time_eq(&check[..], keys.kek.bytes()) {
            return Err(VaultError::WrongPassphrase);
        }
        let mut salt = [0u8; SALT_LEN];
        random_fill(&mut salt)?;
        let h = &self.header;
        let kdf = h.kdf.upgraded();
        let kek = SymmetricKey::from_bytes(kdf.derive_kek(new, &salt)?);
        let header = wrap_keys(h.vault_id, kdf, salt, h.current, &kek, keys.data.iter().map(|(v, k)| (*v, k)))?;
        self.store.put(HEADER_KEY, &header.encode())?;
        self.header = header;
        self.keys.as_mut().expect("unlocked").kek = kek;
        Ok(())
    }

    /// Rotates the data key: adds a new key version and makes it current (one header write), re-seals every
    /// record under it (one write per record), then destroys the old key (one header write). Interrupted at any
    /// point, the vault opens with every record readable; calling this again finishes the interrupted rotation
    /// instead of starting another.
    pub fn rotate_data_key(&mut self) -> Result<Rotation, VaultError> {
        let keys = self.keys.as_ref().ok_or(VaultError::Locked)?;
        if !self.rotation_pending() {
            let h = &self.header;
            let version = h.current.checked_add(1).ok_or(VaultError::Corrupted {
                object: HEADER_KEY.into(),
                detail: "the data key version cannot grow further",
            })?;
            let new_key = SymmetricKey::generate()?;
            let all = keys.data.iter().map(|(v, k)| (*v, k)).chain([(version, &new_key)]);
            let header = wrap_keys(h.vault_id, h.kdf, h.salt, version, &keys.kek, all)?;
            self.store.put(HEADER_KEY, &header.encode())?;
            self.header = header;
            self.keys.as_mut().expect("unlocked").data.insert(version, new_key);
        }
        let current = self.header.current;
        let mut reencrypted = 0;
        for key in self.store.list(RECORD_PREFIX)? {
            let Some((kind, id)) = parse_record_key(&key) else { continue };
            let Some(bytes) = self.store.get(&key)? else { continue };
            let version = Envelope::decode(&bytes)
                .map_err(|detail| VaultError::Corrupted { object: key.clone(), detail })?
                .key_version;
            if version == current {
                continue;
            }
            let plain = self.open_bytes(kind, &id, &bytes)?;
            self.seal_raw(kind, &id, &plain)?;
            reencrypted += 1;
        }
        let retired: Vec<u32> = self.key_versions().into_iter().filter(|v| *v != current).collect();
        if !retired.is_empty() {
            let keys = self.keys.as_ref().expect("unlocked");
            let h = &self.header;
            let header = wrap_keys(h.vault_id, h.kdf, h.salt, current, &keys.kek, [(current, &keys.data[&current])])?;
            self.store.put(HEADER_KEY, &header.encode())?;
            self.header = header;
            self.keys.as_mut().expect("unlocked").data.retain(|v, _| *v == current);
        }
        Ok(Rotation { key_version: current, reencrypted, retired })
    }

    // ----- backup -----

    /// Exports the whole vault as one encrypted byte blob: the header and every record exactly as stored, with
    /// an HMAC-SHA256 over all of it under a key derived from the current data key. Protected by the same
    /// passphrase; importing needs it.
    pub fn export_backup(&self) -> Result<Vec<u8>, VaultError> {
        let keys = self.keys()?;
        let mut objects = vec![(HEADER_KEY.to_owned(), self.header.encode())];
        for key in self.store.list(RECORD_PREFIX)? {
            if parse_record_key(&key).is_some()
                && let Some(bytes) = self.store.get(&key)?
            {
                objects.push((key, bytes));
            }
        }
        let mut out = Vec::new();
        out.extend_from_slice(BACKUP_MAGIC);
        out.extend_from_slice(&BACKUP_VERSION.to_le_bytes());
        out.extend_from_slice(&u32::try_from(objects.len()).expect("fewer than 2^32 objects").to_le_bytes());
        for (key, value) in &objects {
            put_bytes(&mut out, key.as_bytes());
            put_bytes(&mut out, value);
        }
        let mac = backup_mac(&keys.data[&self.header.current], &out).finalize().into_bytes();
        out.extend_from_slice(&mac);
        Ok(out)
    }

    /// Imports a backup into storage that holds no vault, checking everything before writing anything: the
    /// passphrase, the backup's HMAC and every record. Objects left by an earlier interrupted import are
    /// replaced; the header is written last, so an interrupted import leaves no half vault. Returns the vault
    /// unlocked.
    pub fn import_backup(mut store: S, backup: &[u8], passphrase: &Passphrase) -> Result<Vault<S>, VaultError> {
        let bad = VaultError::BadBackup;
        if store.get(HEADER_KEY)?.is_some() {
            return Err(VaultError::VaultExists);
        }
        if backup.len() < BACKUP_MAGIC.len() || &backup[..BACKUP_MAGIC.len()] != BACKUP_MAGIC {
            return Err(bad("it does not start like a vault backup"));
        }
        if backup.len() < BACKUP_MAGIC.len() + 6 + CHECKSUM_LEN {
            return Err(bad("it is truncated"));
        }
        let (framed, mac) = backup.split_at(backup.len() - CHECKSUM_LEN);
        let mut r = Reader::new(framed);
        r.take(BACKUP_MAGIC.len());
        if r.u16() != Some(BACKUP_VERSION) {
            return Err(bad("unknown backup version or damaged file"));
        }
        let count = r.u32().ok_or(bad("it is truncated"))?;
        let mut staged = MemoryStore::new();
        for _ in 0..count {
            let key = r.bytes().and_then(|k| std::str::from_utf8(k).ok()).ok_or(bad("an object name is damaged"))?;
            let value = r.bytes().ok_or(bad("it is truncated"))?;
            if check_key(key).is_err() || (key != HEADER_KEY && parse_record_key(key).is_none()) {
                return Err(bad("it holds an object that is not part of a vault"));
            }
            if staged.objects_mut().insert(key.to_owned(), value.to_vec()).is_some() {
                return Err(bad("it holds an object twice"));
            }
        }
        if r.remaining() != 0 {
            return Err(bad("it has trailing bytes"));
        }
        let mut checked = Vault::open(staged).map_err(|e| match e {
            VaultError::NoVault => bad("it has no vault header"),
            other => other,
        })?;
        checked.unlock(passphrase)?;
        let current = &checked.keys()?.data[&checked.header.current];
        backup_mac(current, framed).verify_slice(mac).map_err(|_| bad("its authentication code does not match"))?;
        for key in checked.store.list(RECORD_PREFIX)? {
            let (kind, id) = parse_record_key(&key).expect("checked above");
            let bytes = checked.store.get(&key)?.expect("listed");
            checked.open_bytes(kind, &id, &bytes)?;
        }

        if store.get(HEADER_KEY)?.is_some() {
            return Err(VaultError::VaultExists);
        }
        for leftover in store.list("")? {
            store.delete(&leftover)?;
        }
        let header_bytes = checked.header.encode();
        for (key, value) in checked.store.objects() {
            if key != HEADER_KEY {
                store.put(key, value)?;
            }
        }
        store.put(HEADER_KEY, &header_bytes)?;
        let keys = checked.keys.take();
        Ok(Vault {
            store,
            header: checked.header.clone(),
            keys,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            last_activity: None,
        })
    }
}
