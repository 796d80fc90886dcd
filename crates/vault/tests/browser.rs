//! The vault in the browser (headless Chromium): it works on wasm32 with the browser's random source, and
//! unlocking at the production KDF parameters (the default) prints its time: a benchmark, not a timed assertion.
//!
//! Run: `CHROMEDRIVER=$(command -v chromedriver) cargo test --target wasm32-unknown-unknown -p vault`
#![cfg(all(target_arch = "wasm32", target_os = "unknown"))]

use vault::{KdfParams, MemoryStore, Passphrase, RecordId, RecordKind, Snapshot, Vault, VaultError};
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn now_ms() -> f64 {
    js_sys::Date::now()
}

#[wasm_bindgen_test]
fn unlock_at_the_default_argon2id_in_the_browser() {
    let pass = Passphrase::new("correct horse battery staple");
    let store = Vault::create(MemoryStore::new(), &pass, KdfParams::default()).unwrap().into_store();
    let mut vault = Vault::open(store).unwrap();
    let runs = 5;
    let mut worst: f64 = 0.0;
    let start = now_ms();
    for _ in 0..runs {
        let t = now_ms();
        vault.lock();
        vault.unlock(&pass).unwrap();
        worst = worst.max(now_ms() - t);
    }
    let mean = (now_ms() - start) / f64::from(runs);
    console_log!("browser unlock, {:?} (the default): mean {mean:.0} ms, worst {worst:.0} ms", KdfParams::default());
    // The figure is a benchmark (printed), not a timed assertion.
    assert!(vault.is_unlocked());
    assert!(matches!(vault.unlock(&Passphrase::new("wrong")), Err(VaultError::WrongPassphrase)));
}

#[wasm_bindgen_test]
fn seal_open_and_rotate_on_a_snapshot_in_the_browser() {
    let pass = Passphrase::new("pw");
    let mut vault = Vault::create(Snapshot::default(), &pass, KdfParams::InsecureTestOnly).unwrap();
    let chunk = vec![42u8; 1 << 20];
    let id = RecordId::new("ledger-0").unwrap();
    let t = now_ms();
    vault.seal_record(RecordKind::LedgerCache, &id, &chunk).unwrap();
    let opened = vault.open_record(RecordKind::LedgerCache, &id).unwrap().unwrap();
    console_log!("browser seal + open of 1 MiB: {:.0} ms", now_ms() - t);
    assert_eq!(opened.expose(), &chunk[..]);
    vault.rotate_data_key().unwrap();
    assert_eq!(vault.open_record(RecordKind::LedgerCache, &id).unwrap().unwrap().expose(), &chunk[..]);
    assert_eq!(vault.store_mut().take_writes().len(), 1 + 1 + 1 + 1 + 1);
}

#[wasm_bindgen_test]
fn a_key_pair_is_generated_and_sealed_in_the_browser() {
    let mut vault = Vault::create(Snapshot::default(), &Passphrase::new("pw"), KdfParams::InsecureTestOnly).unwrap();
    vault.store_mut().take_writes();
    let a = vault.generate_ed25519_key(catalogue::Venue::Binance).unwrap();
    let b = vault.generate_ed25519_key(catalogue::Venue::Binance).unwrap();
    // the browser's random source gives two different pairs, each sealed by its own write
    assert_ne!(a.public_key_pem, b.public_key_pem);
    assert!(a.public_key_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert_eq!(vault.store_mut().take_writes().len(), 2);
    let credential =
        vault.pending_key_credential(&a.id, "Binance", vault::AccountKind::Regular, vault::Secret::new("K")).unwrap();
    assert!(credential.api_secret.expose().starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert!(matches!(vault.open_record(RecordKind::PendingKey, &a.id), Err(VaultError::CredentialKindReserved)));
}
