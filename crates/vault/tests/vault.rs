//! Behaviour of the vault through its public API: round trips, tampering, crashes, backups, secrecy.
#![cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use catalogue::Venue;
use sha2::{Digest, Sha256};
use vault::layout::{CHECKSUM_LEN, HEADER_KEY, HEADER_PREFIX_LEN, NONCE_LEN, RECORD_HEADER_LEN, WRAPPED_KEY_LEN};
use vault::{
    AccountKind, Credential, CredentialId, FileStore, KdfParams, MemoryStore, Passphrase, RecordId, RecordKind, Secret,
    Snapshot, Store, StoreError, Vault, VaultError, Write,
};

const PASSPHRASE: &str = "pass-phrase-Q9x!";
const NEW_PASSPHRASE: &str = "new-phrase-Z7k#";
const BINANCE_KEY: &str = "BINANCE-API-KEY-4e1d0c";
const BINANCE_SECRET: &str = "BINANCE-API-SECRET-a93f22";
const BITGET_KEY: &str = "BITGET-API-KEY-77bb10";
const BITGET_SECRET: &str = "BITGET-API-SECRET-c0ffee";
const BITGET_PASSPHRASE: &str = "BITGET-PASSPHRASE-5150aa";
const LEDGER_PLAINTEXT: &[u8] = b"LEDGER-PLAINTEXT fill BTCUSDT qty 0.5 price 64000";
const SETTINGS_PLAINTEXT: &[u8] = b"SETTINGS-PLAINTEXT holdings visible";
const AUDIT_PLAINTEXT: &[u8] = b"AUDIT-PLAINTEXT unlocked at 10:00";

/// Every plaintext that must never appear in stored bytes, Debug output or error messages.
fn secrets() -> Vec<&'static [u8]> {
    vec![
        PASSPHRASE.as_bytes(),
        NEW_PASSPHRASE.as_bytes(),
        BINANCE_KEY.as_bytes(),
        BINANCE_SECRET.as_bytes(),
        BITGET_KEY.as_bytes(),
        BITGET_SECRET.as_bytes(),
        BITGET_PASSPHRASE.as_bytes(),
        LEDGER_PLAINTEXT,
        SETTINGS_PLAINTEXT,
        AUDIT_PLAINTEXT,
    ]
}

fn pass() -> Passphrase {
    Passphrase::new(PASSPHRASE)
}

fn new_pass() -> Passphrase {
    Passphrase::new(NEW_PASSPHRASE)
}

fn binance() -> Credential {
    Credential {
        venue: Venue::Binance,
        label: "Binance main".into(),
        account_kind: AccountKind::Regular,
        api_key: Secret::new(BINANCE_KEY),
        api_secret: Secret::new(BINANCE_SECRET),
        passphrase: None,
    }
}

fn bitget() -> Credential {
    Credential {
        venue: Venue::Bitget,
        label: "Bitget copy trading".into(),
        account_kind: AccountKind::CopyTrading,
        api_key: Secret::new(BITGET_KEY),
        api_secret: Secret::new(BITGET_SECRET),
        passphrase: Some(Secret::new(BITGET_PASSPHRASE)),
    }
}

fn rid(s: &str) -> RecordId {
    RecordId::new(s).unwrap()
}

/// Decrypted non-credential records by kind and id.
type Records = BTreeMap<(RecordKind, RecordId), Vec<u8>>;

/// Everything a vault holds, decrypted: compared before and after operations.
#[derive(Debug, PartialEq)]
struct Contents {
    credentials: Vec<(CredentialId, Credential)>,
    records: Records,
}

fn contents<S: Store>(vault: &Vault<S>) -> Result<Contents, VaultError> {
    let credentials = vault.credentials()?;
    let mut records = BTreeMap::new();
    for kind in [RecordKind::LedgerCache, RecordKind::Settings, RecordKind::AuditLog] {
        for id in vault.record_ids(kind)? {
            let bytes = vault.open_record(kind, &id)?.expect("listed record exists");
            records.insert((kind, id), bytes.expose().to_vec());
        }
    }
    Ok(Contents { credentials, records })
}

/// Opens the vault in `store` with `passphrase` and reads everything.
fn read_all(store: MemoryStore, passphrase: &Passphrase) -> Result<Contents, VaultError> {
    let mut vault = Vault::open(store)?;
    vault.unlock(passphrase)?;
    contents(&vault)
}

/// A small vault: two credentials and one record of every other kind.
fn small_vault() -> Vault<MemoryStore> {
    let mut vault = Vault::create(MemoryStore::new(), &pass(), KdfParams::InsecureTestOnly).unwrap();
    vault.add_credential(&binance()).unwrap();
    vault.add_credential(&bitget()).unwrap();
    vault.seal_record(RecordKind::LedgerCache, &rid("binance-main.2024"), LEDGER_PLAINTEXT).unwrap();
    vault.seal_record(RecordKind::Settings, &rid("display"), SETTINGS_PLAINTEXT).unwrap();
    vault.seal_record(RecordKind::AuditLog, &rid("log"), AUDIT_PLAINTEXT).unwrap();
    vault
}

/// A store whose writes fail once `writes_left` is used up: a crash after exactly that many writes.
struct FaultyStore {
    inner: MemoryStore,
    writes_left: usize,
    faulted: bool,
}

impl FaultyStore {
    fn new(inner: MemoryStore, writes_left: usize) -> Self {
        FaultyStore { inner, writes_left, faulted: false }
    }
    fn spend(&mut self) -> Result<(), StoreError> {
        if self.faulted || self.writes_left == 0 {
            self.faulted = true;
            return Err(StoreError::Backend("injected crash".into()));
        }
        self.writes_left -= 1;
        Ok(())
    }
}

impl Store for FaultyStore {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(key)
    }
    fn put(&mut self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.spend()?;
        self.inner.put(key, value)
    }
    fn delete(&mut self, key: &str) -> Result<(), StoreError> {
        self.spend()?;
        self.inner.delete(key)
    }
    fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.inner.list(prefix)
    }
}

/// A vault whose data-key rotation was interrupted after the new key and one re-sealed record were written:
/// two key versions, records under both.
fn vault_with_interrupted_rotation() -> MemoryStore {
    let store = small_vault().into_store();
    let mut vault = Vault::open(FaultyStore::new(store, 2)).unwrap();
    vault.unlock(&pass()).unwrap();
    assert!(matches!(vault.rotate_data_key(), Err(VaultError::Storage(_))));
    let store = vault.into_store().inner;
    let versions: HashSet<u32> = store
        .objects()
        .iter()
        .filter(|(k, _)| k.starts_with("record."))
        .map(|(_, v)| u32::from_le_bytes(v[1..5].try_into().unwrap()))
        .collect();
    assert_eq!(versions, HashSet::from([1, 2]), "records under both key versions");
    store
}

#[test]
fn round_trip_credentials_and_records() {
    let mut vault = small_vault();
    let before = contents(&vault).unwrap();
    assert_eq!(before.credentials.len(), 2);
    assert_eq!(before.records.len(), 3);
    let ids: Vec<CredentialId> = before.credentials.iter().map(|(id, _)| id.clone()).collect();
    let by_venue = |c: &Contents, v: Venue| c.credentials.iter().find(|(_, c)| c.venue == v).unwrap().1.clone();
    assert_eq!(by_venue(&before, Venue::Binance), binance());
    assert_eq!(by_venue(&before, Venue::Bitget), bitget());
    assert_eq!(before.records[&(RecordKind::LedgerCache, rid("binance-main.2024"))], LEDGER_PLAINTEXT);

    // Lock, reopen from the stored bytes alone, unlock: the same contents.
    vault.lock();
    assert!(!vault.is_unlocked());
    assert!(matches!(vault.credentials(), Err(VaultError::Locked)));
    let after = read_all(vault.into_store(), &pass()).unwrap();
    assert_eq!(after, before);

    // Replace and remove.
    let mut vault = Vault::open(small_vault().into_store()).unwrap();
    vault.unlock(&pass()).unwrap();
    let (first, _) = vault.credentials().unwrap().remove(0);
    let mut changed = bitget();
    changed.label = "renamed".into();
    changed.api_secret = Secret::new("rotated-secret");
    vault.replace_credential(&first, &changed).unwrap();
    assert_eq!(vault.credential(&first).unwrap(), changed);
    vault.remove_credential(&first).unwrap();
    assert!(matches!(vault.credential(&first), Err(VaultError::NotFound { .. })));
    assert!(matches!(vault.remove_credential(&first), Err(VaultError::NotFound { .. })));
    assert!(matches!(vault.replace_credential(&first, &binance()), Err(VaultError::NotFound { .. })));
    assert_eq!(vault.credentials().unwrap().len(), 1);
    vault.remove_record(RecordKind::Settings, &rid("display")).unwrap();
    assert_eq!(vault.open_record(RecordKind::Settings, &rid("display")).unwrap(), None);
    assert!(vault.record_ids(RecordKind::Settings).unwrap().is_empty());
    // A large ledger chunk and an empty record.
    let big: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    vault.seal_record(RecordKind::LedgerCache, &rid("big"), &big).unwrap();
    vault.seal_record(RecordKind::AuditLog, &rid("empty"), b"").unwrap();
    assert_eq!(vault.open_record(RecordKind::LedgerCache, &rid("big")).unwrap().unwrap().expose(), &big[..]);
    assert!(vault.open_record(RecordKind::AuditLog, &rid("empty")).unwrap().unwrap().is_empty());
    // Credentials go through their own API only.
    assert!(matches!(
        vault.seal_record(RecordKind::Credential, &rid("x"), b"x"),
        Err(VaultError::CredentialKindReserved)
    ));
    assert!(ids.iter().all(|id| id.to_string().len() == 32));
}

#[test]
fn round_trip_through_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let mut vault = Vault::create(FileStore::open(&dir).unwrap(), &pass(), KdfParams::InsecureTestOnly).unwrap();
    let id = vault.add_credential(&bitget()).unwrap();
    vault.seal_record(RecordKind::LedgerCache, &rid("chunk-0"), LEDGER_PLAINTEXT).unwrap();
    drop(vault);
    let mut vault = Vault::open(FileStore::open(&dir).unwrap()).unwrap();
    vault.unlock(&pass()).unwrap();
    assert_eq!(vault.credential(&id).unwrap(), bitget());
    vault.rotate_data_key().unwrap();
    vault.change_passphrase(&pass(), &new_pass()).unwrap();
    drop(vault);
    let mut vault = Vault::open(FileStore::open(&dir).unwrap()).unwrap();
    vault.unlock(&new_pass()).unwrap();
    assert_eq!(vault.credential(&id).unwrap(), bitget());
    assert_eq!(
        vault.open_record(RecordKind::LedgerCache, &rid("chunk-0")).unwrap().unwrap().expose(),
        LEDGER_PLAINTEXT
    );
    // No secret in any file.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for s in secrets() {
            assert!(!contains(&bytes, s));
        }
    }
}

#[test]
fn wrong_passphrase_is_refused_and_the_vault_stays_locked() {
    let store = small_vault().into_store();
    let mut vault = Vault::open(store).unwrap();
    for wrong in ["", "pass-phrase-Q9x", "pass-phrase-Q9x!!", "PASS-PHRASE-Q9X!", NEW_PASSPHRASE] {
        assert!(matches!(vault.unlock(&Passphrase::new(wrong)), Err(VaultError::WrongPassphrase)), "{wrong}");
        assert!(!vault.is_unlocked());
        assert!(matches!(vault.record_ids(RecordKind::Settings), Err(VaultError::Locked)));
    }
    vault.unlock(&pass()).unwrap();
    assert!(vault.is_unlocked());
}

#[test]
fn create_open_and_kdf_rules() {
    assert!(matches!(Vault::open(MemoryStore::new()), Err(VaultError::NoVault)));
    let store = small_vault().into_store();
    assert!(matches!(Vault::create(store, &pass(), KdfParams::InsecureTestOnly), Err(VaultError::VaultExists)));
    let mut stray = MemoryStore::new();
    stray.put("record.settings.x", b"leftover").unwrap();
    assert!(matches!(
        Vault::create(stray, &pass(), KdfParams::InsecureTestOnly),
        Err(VaultError::StoreNotEmpty { objects: 1 })
    ));
    assert!(matches!(
        Vault::create(MemoryStore::new(), &Passphrase::new(""), KdfParams::InsecureTestOnly),
        Err(VaultError::EmptyPassphrase)
    ));
    let weak = KdfParams::Argon2id { memory_kib: 4096, iterations: 2, parallelism: 1 };
    assert!(matches!(Vault::create(MemoryStore::new(), &pass(), weak), Err(VaultError::WeakKdf(_))));
    assert!(matches!(
        Vault::create(MemoryStore::new(), &pass(), KdfParams::Pbkdf2Sha256 { iterations: 100_000 }),
        Err(VaultError::WeakKdf(_))
    ));
    assert_eq!(KdfParams::default(), KdfParams::Argon2id { memory_kib: 65_536, iterations: 3, parallelism: 4 });
    assert_eq!(KdfParams::OWASP_PBKDF2_SHA256, KdfParams::Pbkdf2Sha256 { iterations: 600_000 });
    let vault = small_vault();
    assert!(vault.kdf().is_insecure());
    assert_eq!(vault.key_versions(), vec![1]);
    // Credentials a venue cannot use are refused before anything is stored.
    let mut vault = small_vault();
    let mut no_pass = bitget();
    no_pass.passphrase = None;
    assert!(matches!(vault.add_credential(&no_pass), Err(VaultError::InvalidCredential(_))));
    let mut binance_with_pass = binance();
    binance_with_pass.passphrase = Some(Secret::new("x"));
    assert!(matches!(vault.add_credential(&binance_with_pass), Err(VaultError::InvalidCredential(_))));
    let mut empty_secret = binance();
    empty_secret.api_secret = Secret::new("");
    assert!(matches!(vault.add_credential(&empty_secret), Err(VaultError::InvalidCredential(_))));
    assert_eq!(vault.credentials().unwrap().len(), 2);
}

fn flip(bytes: &mut [u8], bit: usize) {
    bytes[bit / 8] ^= 1 << (bit % 8);
}

/// Flips every bit of every stored object, one at a time, and reads the whole vault: every flip must fail.
fn every_bit_flip_is_detected(store: MemoryStore) {
    let keys: Vec<String> = store.objects().keys().cloned().collect();
    let mut unlocked = Vault::open(store.clone()).unwrap();
    unlocked.unlock(&pass()).unwrap();
    let expected = contents(&unlocked).unwrap();
    let mut flips = 0;
    for key in &keys {
        let len = store.objects()[key].len();
        for bit in 0..len * 8 {
            let outcome = if key == HEADER_KEY {
                // The header is read at open and unlock.
                let mut tampered = store.clone();
                flip(tampered.objects_mut().get_mut(key).unwrap(), bit);
                read_all(tampered, &pass())
            } else {
                // Records are read under an unlocked vault: flip in place, read, flip back.
                flip(unlocked.store_mut().objects_mut().get_mut(key).unwrap(), bit);
                let outcome = contents(&unlocked);
                flip(unlocked.store_mut().objects_mut().get_mut(key).unwrap(), bit);
                outcome
            };
            // Damage is reported as damage (the header checksum, the records' tags), never as a wrong passphrase.
            match outcome {
                Err(VaultError::Corrupted { object, .. }) => assert_eq!(&object, key),
                other => panic!("flipping bit {bit} of `{key}` was not detected as damage: {other:?}"),
            }
            flips += 1;
        }
    }
    assert_eq!(contents(&unlocked).unwrap(), expected, "the vault reads again once restored");
    assert!(flips > 4000, "only {flips} flips");
}

#[test]
fn flipping_any_bit_of_a_stored_vault_is_detected() {
    every_bit_flip_is_detected(small_vault().into_store());
}

#[test]
fn flipping_any_bit_of_a_vault_mid_rotation_is_detected() {
    every_bit_flip_is_detected(vault_with_interrupted_rotation());
}

/// An attacker who rewrites the header and fixes its checksum still cannot get a vault that opens: every field
/// is bound into the data-key wraps.
#[test]
fn header_tampering_with_a_recomputed_checksum_is_detected() {
    let store = vault_with_interrupted_rotation();
    let header = store.objects()[HEADER_KEY].clone();
    assert_eq!(header.len(), HEADER_PREFIX_LEN + 2 * WRAPPED_KEY_LEN + CHECKSUM_LEN);
    let body_len = header.len() - CHECKSUM_LEN;
    for bit in 0..body_len * 8 {
        let mut tampered = header.clone();
        flip(&mut tampered, bit);
        let checksum = Sha256::digest(&tampered[..body_len]);
        tampered[body_len..].copy_from_slice(&checksum);
        let mut s = store.clone();
        s.objects_mut().insert(HEADER_KEY.into(), tampered);
        match read_all(s, &pass()) {
            Err(
                VaultError::Corrupted { .. }
                | VaultError::WrongPassphrase
                | VaultError::NewerFormat(_)
                | VaultError::UnsupportedKdf(_),
            ) => {}
            other => panic!("header bit {bit} with a fixed checksum was not detected: {other:?}"),
        }
    }
}

#[test]
fn records_moved_to_another_slot_are_rejected() {
    let mut vault = small_vault();
    let creds = vault.credentials().unwrap();
    let (a, b) = (&creds[0].0, &creds[1].0);
    let key_of = |kind: RecordKind, id: &str| format!("record.{}.{}", kind.name(), id);
    let objects = vault.store().objects().clone();

    // Credential A's record copied over credential B's id.
    let a_bytes = objects[&key_of(RecordKind::Credential, &a.to_string())].clone();
    vault.store_mut().put(&key_of(RecordKind::Credential, &b.to_string()), &a_bytes).unwrap();
    assert!(matches!(vault.credential(b), Err(VaultError::Corrupted { .. })));
    assert_eq!(vault.credential(a).unwrap(), creds[0].1);

    // A record moved to another id of the same kind, and to the same id of another kind.
    let settings = objects[&key_of(RecordKind::Settings, "display")].clone();
    vault.store_mut().put(&key_of(RecordKind::Settings, "other"), &settings).unwrap();
    assert!(matches!(vault.open_record(RecordKind::Settings, &rid("other")), Err(VaultError::Corrupted { .. })));
    vault.store_mut().put(&key_of(RecordKind::AuditLog, "display"), &settings).unwrap();
    assert!(matches!(vault.open_record(RecordKind::AuditLog, &rid("display")), Err(VaultError::Corrupted { .. })));

    // A record from another vault (same passphrase, same id).
    let mut other = Vault::create(MemoryStore::new(), &pass(), KdfParams::InsecureTestOnly).unwrap();
    other.seal_record(RecordKind::Settings, &rid("display"), b"other vault").unwrap();
    let foreign = other.store().objects()[&key_of(RecordKind::Settings, "display")].clone();
    vault.store_mut().put(&key_of(RecordKind::Settings, "display"), &foreign).unwrap();
    assert!(matches!(vault.open_record(RecordKind::Settings, &rid("display")), Err(VaultError::Corrupted { .. })));
}

#[test]
fn a_record_relabelled_with_another_key_version_is_rejected() {
    // Mid-rotation both key versions are unwrapped, so the relabelled version names a real key.
    let mut vault = Vault::open(vault_with_interrupted_rotation()).unwrap();
    vault.unlock(&pass()).unwrap();
    assert_eq!(vault.key_versions(), vec![1, 2]);
    let keys: Vec<String> = vault.store().objects().keys().filter(|k| k.starts_with("record.")).cloned().collect();
    let mut relabelled = 0;
    for key in keys {
        let original = vault.store().objects()[&key].clone();
        let version = u32::from_le_bytes(original[1..5].try_into().unwrap());
        for other in [1u32, 2, 3] {
            if other == version {
                continue;
            }
            let mut bytes = original.clone();
            bytes[1..5].copy_from_slice(&other.to_le_bytes());
            vault.store_mut().put(&key, &bytes).unwrap();
            assert!(matches!(contents(&vault), Err(VaultError::Corrupted { .. })), "{key} as version {other}");
            relabelled += 1;
        }
        vault.store_mut().put(&key, &original).unwrap();
    }
    assert_eq!(relabelled, 2 * 5);
    contents(&vault).unwrap();
}

#[test]
fn old_version_records_open_during_and_after_rotation() {
    let expected = contents(&small_vault()).unwrap();
    // Mid-rotation: records under version 1 and 2 both open.
    let store = vault_with_interrupted_rotation();
    let mut vault = Vault::open(store).unwrap();
    vault.unlock(&pass()).unwrap();
    assert!(vault.rotation_pending());
    assert_eq!(strip_ids(contents(&vault).unwrap()), strip_ids(expected));
    // Finishing re-seals the rest and retires version 1.
    let rotation = vault.rotate_data_key().unwrap();
    assert_eq!(rotation.key_version, 2);
    assert_eq!(rotation.retired, vec![1]);
    assert_eq!(rotation.reencrypted, 4, "five records, one re-sealed before the interruption");
    assert!(!vault.rotation_pending());
    assert_eq!(vault.key_versions(), vec![2]);
    for (key, bytes) in vault.store().objects() {
        if key.starts_with("record.") {
            assert_eq!(u32::from_le_bytes(bytes[1..5].try_into().unwrap()), 2, "{key}");
        }
    }
    let after = contents(&vault).unwrap();
    // A second rotation from scratch.
    let rotation = vault.rotate_data_key().unwrap();
    assert_eq!((rotation.key_version, rotation.reencrypted, rotation.retired), (3, 5, vec![2]));
    assert_eq!(contents(&vault).unwrap(), after);
    let reread = read_all(vault.into_store(), &pass()).unwrap();
    assert_eq!(reread, after);
}

/// Credential ids are random per vault: compare contents without them.
fn strip_ids(c: Contents) -> (Vec<Credential>, Records) {
    let mut creds: Vec<Credential> = c.credentials.into_iter().map(|(_, c)| c).collect();
    creds.sort_by(|a, b| a.label.cmp(&b.label));
    (creds, c.records)
}

/// Runs `operation` on a copy of `store` whose writes fail after `n` succeed, for n = 0, 1, 2, ... until the
/// operation completes; hands each interrupted store to `check`. Returns the number of writes the operation
/// makes.
fn interrupt_after_every_write(
    store: &MemoryStore,
    operation: impl Fn(&mut Vault<FaultyStore>) -> Result<(), VaultError>,
    check: impl Fn(usize, MemoryStore),
) -> usize {
    for n in 0.. {
        let mut vault = Vault::open(FaultyStore::new(store.clone(), n)).unwrap();
        vault.unlock(&pass()).unwrap();
        let result = operation(&mut vault);
        let faulty = vault.into_store();
        match result {
            Ok(()) => {
                assert!(!faulty.faulted);
                check(n, faulty.inner);
                return n - faulty.writes_left;
            }
            Err(VaultError::Storage(_)) => check(n, faulty.inner),
            Err(other) => panic!("unexpected error after {n} writes: {other}"),
        }
        assert!(n < 100, "the operation never completed");
    }
    unreachable!()
}

#[test]
fn rotation_interrupted_after_any_write_loses_nothing_and_resumes() {
    let original = small_vault().into_store();
    let expected = read_all(original.clone(), &pass()).unwrap();
    let writes = interrupt_after_every_write(
        &original,
        |vault| vault.rotate_data_key().map(drop),
        |n, store| {
            assert_eq!(read_all(store.clone(), &pass()).unwrap(), expected, "after {n} writes");
            // Resume: a plain rotate call finishes the interrupted rotation.
            let mut vault = Vault::open(store).unwrap();
            vault.unlock(&pass()).unwrap();
            let pending = vault.rotation_pending();
            let rotation = vault.rotate_data_key().unwrap();
            if pending {
                assert_eq!(rotation.key_version, 2, "resumed, not restarted, after {n} writes");
            }
            assert_eq!(vault.key_versions().len(), 1);
            assert_eq!(contents(&vault).unwrap(), expected, "after {n} writes and a resume");
        },
    );
    assert_eq!(writes, 1 + 5 + 1, "new key, five records, retire old key");
}

#[test]
fn passphrase_change_interrupted_after_any_write_loses_nothing() {
    let original = vault_with_interrupted_rotation();
    let expected = read_all(original.clone(), &pass()).unwrap();
    let writes = interrupt_after_every_write(
        &original,
        |vault| vault.change_passphrase(&pass(), &new_pass()),
        |n, store| {
            let old = read_all(store.clone(), &pass());
            let new = read_all(store, &new_pass());
            match (old, new) {
                (Ok(c), Err(VaultError::WrongPassphrase)) | (Err(VaultError::WrongPassphrase), Ok(c)) => {
                    assert_eq!(c, expected, "after {n} writes");
                }
                other => panic!("after {n} writes exactly one passphrase must open the vault: {other:?}"),
            }
        },
    );
    assert_eq!(writes, 1, "a passphrase change is one header write");
}

#[test]
fn passphrase_change_needs_the_current_passphrase_and_rewraps_only() {
    let mut vault = small_vault();
    let before: BTreeMap<String, Vec<u8>> = vault
        .store()
        .objects()
        .iter()
        .filter(|(k, _)| k.starts_with("record."))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert!(matches!(vault.change_passphrase(&new_pass(), &new_pass()), Err(VaultError::WrongPassphrase)));
    assert!(matches!(vault.change_passphrase(&pass(), &Passphrase::new("")), Err(VaultError::EmptyPassphrase)));
    vault.change_passphrase(&pass(), &new_pass()).unwrap();
    let after: BTreeMap<String, Vec<u8>> = vault
        .store()
        .objects()
        .iter()
        .filter(|(k, _)| k.starts_with("record."))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(before, after, "records are not re-encrypted by a passphrase change");
    let expected = contents(&vault).unwrap();
    let store = vault.into_store();
    assert!(matches!(read_all(store.clone(), &pass()), Err(VaultError::WrongPassphrase)));
    assert_eq!(read_all(store, &new_pass()).unwrap(), expected);
}

#[test]
fn backup_imports_into_an_empty_store() {
    let vault = small_vault();
    let expected = contents(&vault).unwrap();
    let backup = vault.export_backup().unwrap();
    for s in secrets() {
        assert!(!contains(&backup, s));
    }

    let imported = Vault::import_backup(MemoryStore::new(), &backup, &pass()).unwrap();
    assert_eq!(contents(&imported).unwrap(), expected);
    assert_eq!(imported.id(), vault.id());
    assert_eq!(imported.store().objects(), vault.store().objects(), "byte-identical objects");
    assert_eq!(read_all(imported.into_store(), &pass()).unwrap(), expected);

    // Into files.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("vault");
    let imported = Vault::import_backup(FileStore::open(&dir).unwrap(), &backup, &pass()).unwrap();
    assert_eq!(contents(&imported).unwrap(), expected);
    drop(imported);

    // Refusals: a wrong passphrase, a store that holds a vault.
    assert!(matches!(Vault::import_backup(MemoryStore::new(), &backup, &new_pass()), Err(VaultError::WrongPassphrase)));
    assert!(matches!(Vault::import_backup(small_vault().into_store(), &backup, &pass()), Err(VaultError::VaultExists)));
    // A backup taken mid-rotation imports too, and the rotation can be finished there.
    let mut mid = Vault::open(vault_with_interrupted_rotation()).unwrap();
    mid.unlock(&pass()).unwrap();
    let mut imported = Vault::import_backup(MemoryStore::new(), &mid.export_backup().unwrap(), &pass()).unwrap();
    assert!(imported.rotation_pending());
    imported.rotate_data_key().unwrap();
    assert_eq!(strip_ids(contents(&imported).unwrap()), strip_ids(expected));
}

#[test]
fn any_bit_flip_or_truncation_of_a_backup_is_refused() {
    let backup = small_vault().export_backup().unwrap();
    for bit in 0..backup.len() * 8 {
        let mut tampered = backup.clone();
        flip(&mut tampered, bit);
        assert!(Vault::import_backup(MemoryStore::new(), &tampered, &pass()).is_err(), "bit {bit}");
    }
    for len in [0, 7, 8, 20, backup.len() / 2, backup.len() - 1] {
        assert!(Vault::import_backup(MemoryStore::new(), &backup[..len], &pass()).is_err(), "length {len}");
    }
    // Trailing bytes are refused.
    assert!(matches!(
        Vault::import_backup(MemoryStore::new(), &[&backup[..], b"x"].concat(), &pass()),
        Err(VaultError::BadBackup(_))
    ));
}

/// A stored object as (key, bytes).
type Object = (Vec<u8>, Vec<u8>);

/// Splits a backup per docs/vault-format.md: objects in order, and the trailing MAC.
fn parse_backup(backup: &[u8]) -> (Vec<Object>, Vec<u8>) {
    let (framed, mac) = backup.split_at(backup.len() - 32);
    assert_eq!(&framed[..8], b"MCVBACK\0");
    let count = u32::from_le_bytes(framed[10..14].try_into().unwrap());
    let mut pos = 14;
    let mut field = || {
        let n = u32::from_le_bytes(framed[pos..pos + 4].try_into().unwrap()) as usize;
        pos += 4 + n;
        framed[pos - n..pos].to_vec()
    };
    let objects = (0..count).map(|_| (field(), field())).collect();
    (objects, mac.to_vec())
}

fn frame_backup(objects: &[Object], mac: &[u8]) -> Vec<u8> {
    let mut out = b"MCVBACK\0".to_vec();
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&(objects.len() as u32).to_le_bytes());
    for (k, v) in objects {
        for f in [k, v] {
            out.extend_from_slice(&(f.len() as u32).to_le_bytes());
            out.extend_from_slice(f);
        }
    }
    out.extend_from_slice(mac);
    out
}

#[test]
fn a_backup_with_a_record_dropped_or_swapped_is_refused() {
    let backup = small_vault().export_backup().unwrap();
    let (objects, mac) = parse_backup(&backup);
    assert_eq!(frame_backup(&objects, &mac), backup, "the documented framing");
    assert_eq!(objects.len(), 6);
    // Every record individually still authenticates, so only the backup MAC can notice these.
    for drop_at in 1..objects.len() {
        let mut fewer = objects.clone();
        fewer.remove(drop_at);
        let result = Vault::import_backup(MemoryStore::new(), &frame_backup(&fewer, &mac), &pass());
        assert!(matches!(result, Err(VaultError::BadBackup(_))), "record {drop_at} dropped");
    }
    // Two records' contents from an older backup of the same vault (a rollback of one record).
    let mut vault = Vault::open(small_vault().into_store()).unwrap();
    vault.unlock(&pass()).unwrap();
    let old = vault.export_backup().unwrap();
    vault.seal_record(RecordKind::Settings, &rid("display"), b"newer settings").unwrap();
    let new = vault.export_backup().unwrap();
    let (old_objects, _) = parse_backup(&old);
    let (mut new_objects, new_mac) = parse_backup(&new);
    let i = new_objects.iter().position(|(k, _)| k == b"record.settings.display").unwrap();
    new_objects[i].1 = old_objects[i].1.clone();
    let result = Vault::import_backup(MemoryStore::new(), &frame_backup(&new_objects, &new_mac), &pass());
    assert!(matches!(result, Err(VaultError::BadBackup(_))));
}

#[test]
fn import_interrupted_after_any_write_can_be_retried() {
    let vault = small_vault();
    let expected = contents(&vault).unwrap();
    let backup = vault.export_backup().unwrap();
    for n in 0.. {
        match Vault::import_backup(FaultyStore::new(MemoryStore::new(), n), &backup, &pass()) {
            Ok(v) => {
                assert_eq!(contents(&v).unwrap(), expected);
                assert_eq!(n, 6, "five records, then the header");
                break;
            }
            Err(VaultError::Storage(_)) => {}
            Err(other) => panic!("{other}"),
        }
        // The interrupted store holds no header: it is not a vault yet, and the import can be run again.
        let mut faulty = FaultyStore::new(MemoryStore::new(), n);
        let _ = Vault::import_backup(&mut faulty, &backup, &pass());
        assert!(matches!(Vault::open(faulty.inner.clone()), Err(VaultError::NoVault)));
        let retried = Vault::import_backup(faulty.inner, &backup, &pass()).unwrap();
        assert_eq!(contents(&retried).unwrap(), expected);
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn no_secret_in_stored_bytes_debug_output_or_errors() {
    let mut vault = small_vault();
    let id = vault.credentials().unwrap()[0].0.clone();
    vault.rotate_data_key().unwrap();
    let mut outputs: Vec<String> = Vec::new();

    // Stored objects (including the keys' names) and the backup.
    for (key, bytes) in vault.store().objects() {
        for s in secrets() {
            assert!(!contains(bytes, s), "a secret in stored object {key}");
            assert!(!contains(key.as_bytes(), s));
        }
    }
    let backup = vault.export_backup().unwrap();

    // Debug and Display of every public type that can hold or touch a secret.
    let credentials = vault.credentials().unwrap();
    outputs.push(format!("{credentials:?}"));
    for (_, c) in &credentials {
        outputs.push(format!("{c:?} {} {} {:?}", c.api_key, c.api_secret, c.passphrase));
    }
    outputs.push(format!("{:?} {}", pass(), pass()));
    outputs.push(format!("{:?} {}", Secret::new(BINANCE_SECRET), Secret::new(BINANCE_SECRET)));
    let opened = vault.open_record(RecordKind::LedgerCache, &rid("binance-main.2024")).unwrap().unwrap();
    outputs.push(format!("{opened:?}"));
    outputs.push(format!("{vault:?} {:?} {id:?} {id}", vault.kdf()));
    outputs.push(format!("{:?}", vault.rotate_data_key().unwrap()));
    outputs.push(format!("{:?}", vault.store()));
    let mut snapshot = Snapshot::load(vault.store().objects().clone());
    outputs.push(format!("{snapshot:?}"));
    let mut on_snapshot = Vault::open(&mut snapshot).unwrap();
    on_snapshot.unlock(&pass()).unwrap();
    on_snapshot.add_credential(&bitget()).unwrap();
    drop(on_snapshot);
    outputs.push(format!("{:?}", snapshot.take_writes()));

    // Every error the API produced along the way, with a secret-bearing input where there is one.
    let mut errors: Vec<VaultError> = Vec::new();
    let mut locked = Vault::open(vault.store().clone()).unwrap();
    errors.push(locked.unlock(&new_pass()).unwrap_err());
    errors.push(locked.credentials().unwrap_err());
    locked.unlock(&pass()).unwrap();
    errors.push(locked.change_passphrase(&new_pass(), &Passphrase::new(BINANCE_SECRET)).unwrap_err());
    let mut bad = binance();
    bad.passphrase = Some(Secret::new(BITGET_PASSPHRASE));
    errors.push(locked.add_credential(&bad).unwrap_err());
    let mut tampered = locked.store().clone();
    for bytes in tampered.objects_mut().values_mut() {
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
    }
    errors.push(Vault::open(tampered.clone()).unwrap_err());
    let mut records_only = locked.store().clone();
    for (key, bytes) in records_only.objects_mut().iter_mut() {
        if key != HEADER_KEY {
            bytes[RECORD_HEADER_LEN] ^= 1;
        }
    }
    let mut v = Vault::open(records_only).unwrap();
    v.unlock(&pass()).unwrap();
    errors.push(v.credential(&id).unwrap_err());
    errors.push(v.open_record(RecordKind::LedgerCache, &rid("binance-main.2024")).unwrap_err());
    errors.push(Vault::import_backup(MemoryStore::new(), &backup, &new_pass()).unwrap_err());
    errors.push(Vault::import_backup(MemoryStore::new(), &backup[..backup.len() - 1], &pass()).unwrap_err());
    errors.push(RecordId::new("bad/id").unwrap_err());
    errors.push(Vault::create(MemoryStore::new(), &pass(), KdfParams::Pbkdf2Sha256 { iterations: 1 }).unwrap_err());
    errors.push(VaultError::from(FileStore::open("/proc/no-such-dir/x").unwrap_err()));
    assert!(errors.len() >= 12);
    for e in &errors {
        outputs.push(format!("{e:?} {e}"));
    }

    for out in &outputs {
        for s in secrets() {
            assert!(!contains(out.as_bytes(), s), "a secret in: {out}");
        }
    }
    // The redaction marker is what appears instead.
    assert!(outputs.iter().any(|o| o.contains("[redacted]")));
    assert!(format!("{:?}", errors[0]).contains("WrongPassphrase"));
}

#[test]
fn nonces_of_stored_records_never_repeat() {
    let mut vault = Vault::create(MemoryStore::new(), &pass(), KdfParams::InsecureTestOnly).unwrap();
    let mut nonces = HashSet::new();
    let id = rid("same-slot");
    for i in 0..5_000u32 {
        // The same plaintext into the same slot: only a fresh nonce keeps the ciphertexts apart.
        vault.seal_record(RecordKind::AuditLog, &id, b"same").unwrap();
        let bytes = &vault.store().objects()["record.audit-log.same-slot"];
        let nonce: [u8; NONCE_LEN] = bytes[5..5 + NONCE_LEN].try_into().unwrap();
        assert!(nonces.insert(nonce), "nonce repeated at seal {i}");
    }
}

#[test]
fn auto_lock_after_idle_with_an_injected_clock() {
    let mut vault = small_vault();
    let t = Duration::from_secs;
    vault.set_idle_timeout(t(300));
    assert!(vault.should_lock(t(0)), "never touched since unlock counts as idle");
    vault.touch(t(1000));
    assert!(!vault.should_lock(t(1000)));
    assert!(!vault.should_lock(t(1299)));
    assert!(vault.should_lock(t(1300)));
    vault.touch(t(1200));
    assert!(!vault.lock_if_idle(t(1499)));
    assert!(vault.is_unlocked());
    assert!(!vault.should_lock(t(500)), "a clock that went backwards is not idleness");
    assert!(vault.lock_if_idle(t(1500)));
    assert!(!vault.is_unlocked());
    assert!(!vault.should_lock(t(99_999)), "a locked vault has nothing to lock");
    vault.touch(t(5));
    vault.unlock(&pass()).unwrap();
    assert!(vault.should_lock(t(6)), "unlocking does not inherit activity from before");
}

#[test]
fn snapshot_writes_replayed_in_order_reproduce_the_vault() {
    // The browser flow: load every object, operate, persist the writes in one transaction.
    let mut indexed_db = small_vault().into_store();
    let mut snapshot = Snapshot::load(indexed_db.objects().clone());
    let mut vault = Vault::open(snapshot).unwrap();
    vault.unlock(&pass()).unwrap();
    vault.seal_record(RecordKind::LedgerCache, &rid("chunk-1"), b"more events").unwrap();
    vault.rotate_data_key().unwrap();
    vault.change_passphrase(&pass(), &new_pass()).unwrap();
    let expected = contents(&vault).unwrap();
    snapshot = vault.into_store();
    let writes = snapshot.take_writes();
    assert_eq!(writes.len(), 1 + 1 + 6 + 1 + 1);
    for w in writes {
        match w {
            Write::Put { key, value } => indexed_db.put(&key, &value).unwrap(),
            Write::Delete { key } => indexed_db.delete(&key).unwrap(),
        }
    }
    assert_eq!(indexed_db.objects(), snapshot.objects());
    assert_eq!(read_all(indexed_db, &new_pass()).unwrap(), expected);
}

#[test]
fn another_writer_s_rotation_is_adopted_and_its_passphrase_change_locks() {
    // two tabs on one store: `a` rotates and then changes the passphrase; `b` reads the header again each time
    let mut a = small_vault();
    let mut b = Vault::open(a.store().clone()).unwrap();
    b.unlock(&pass()).unwrap();
    let expected = contents(&a).unwrap();

    a.rotate_data_key().unwrap();
    *b.store_mut() = a.store().clone();
    assert!(b.reload_header().unwrap(), "a rotation keeps the other writer unlocked (same passphrase, same KEK)");
    assert_eq!(b.current_key_version(), 2);
    assert_eq!(contents(&b).unwrap(), expected, "every record opens under the adopted key");
    b.seal_record(RecordKind::Settings, &rid("from-b"), b"sealed under the new key").unwrap();
    assert_eq!(a.store().get("record.settings.from-b").unwrap(), None);

    a.change_passphrase(&pass(), &new_pass()).unwrap();
    *b.store_mut() = a.store().clone();
    assert!(!b.reload_header().unwrap(), "a passphrase change locks the other writer");
    assert!(!b.is_unlocked());
    assert!(matches!(b.unlock(&pass()), Err(VaultError::WrongPassphrase)));
    b.unlock(&new_pass()).unwrap();
    assert_eq!(contents(&b).unwrap(), expected);
}

#[test]
fn a_passphrase_change_moves_a_vault_at_the_old_default_to_the_new_one() {
    let mut vault = Vault::create(MemoryStore::new(), &pass(), KdfParams::OWASP_ARGON2ID).unwrap();
    let id = vault.add_credential(&binance()).unwrap();
    vault.change_passphrase(&pass(), &new_pass()).unwrap();
    assert_eq!(vault.kdf(), KdfParams::default(), "the new passphrase is derived at the new default");
    let mut reopened = Vault::open(vault.into_store()).unwrap();
    assert_eq!(reopened.kdf(), KdfParams::default(), "and the header records it");
    reopened.unlock(&new_pass()).unwrap();
    assert_eq!(reopened.credential(&id).unwrap().api_secret.expose(), BINANCE_SECRET);
}

#[test]
fn a_record_stamp_changes_with_every_seal_and_only_then() {
    let mut vault = small_vault();
    let id = rid("binance-main.2024");
    let first = vault.record_stamp(RecordKind::LedgerCache, &id).unwrap().expect("the record is there");
    assert_eq!(vault.record_stamp(RecordKind::LedgerCache, &id).unwrap(), Some(first), "reading changes nothing");
    vault.open_record(RecordKind::LedgerCache, &id).unwrap();
    assert_eq!(vault.record_stamp(RecordKind::LedgerCache, &id).unwrap(), Some(first));
    // the same bytes sealed again: another sealing, another stamp
    vault.seal_record(RecordKind::LedgerCache, &id, LEDGER_PLAINTEXT).unwrap();
    let second = vault.record_stamp(RecordKind::LedgerCache, &id).unwrap().unwrap();
    assert_ne!(second, first);
    // a key rotation re-seals every record
    vault.rotate_data_key().unwrap();
    let third = vault.record_stamp(RecordKind::LedgerCache, &id).unwrap().unwrap();
    assert!(third != second && third != first);
    assert_eq!(vault.record_stamp(RecordKind::LedgerCache, &rid("absent")).unwrap(), None);
    let (cred, _) = vault.credentials().unwrap().remove(0);
    assert!(matches!(
        vault.record_stamp(RecordKind::Credential, cred.record_id()),
        Err(VaultError::CredentialKindReserved)
    ));
    vault.lock();
    assert!(matches!(vault.record_stamp(RecordKind::LedgerCache, &id), Err(VaultError::Locked)));
}
