//! A benchmark, not a timed assertion: how long unlocking takes in the shipped bundle (scripts/build-app, headless
//! Chromium) with the vault's key derivation at OWASP's Argon2id parameters and at Bitwarden's default ones. Each
//! vault is made natively, restored from its backup on the first-run screen, then locked and unlocked five times;
//! the app's performance entry `meetcrypt:unlock` times each key derivation. Run with `--nocapture` for the figures
//! (docs/vault-format.md quotes them).

use e2e::{Browser, RunningRelay, TempDir, built_static_dir};
use vault::{KdfParams, MemoryStore, Passphrase, Vault};

const PASSPHRASE: &str = "correct horse battery staple 42";
const RUNS: usize = 5;

/// Unlock times in ms of a vault with `kdf`, restored into a fresh profile and unlocked [`RUNS`] times.
async fn unlock_times(relay: &RunningRelay, kdf: KdfParams) -> Vec<f64> {
    let dir = TempDir::new("meetcrypt-kdf");
    let backup = Vault::create(MemoryStore::new(), &Passphrase::new(PASSPHRASE), kdf).unwrap().export_backup().unwrap();
    let file = dir.0.join("vault.backup");
    std::fs::write(&file, backup).unwrap();

    let b = Browser::start().await;
    b.client.goto(&relay.url()).await.unwrap();
    b.capture_errors().await;
    b.wait_testid("backup-file").await.send_keys(file.to_str().unwrap()).await.unwrap();
    b.fill("backup-passphrase", PASSPHRASE).await;
    b.click_testid("import-backup").await;
    b.wait_testid("lock").await;
    for _ in 0..RUNS {
        b.click_testid("lock").await;
        b.fill("passphrase", PASSPHRASE).await;
        b.click_testid("unlock").await;
        b.wait_testid("lock").await;
    }
    let entries = b
        .client
        .execute("return performance.getEntriesByName('meetcrypt:unlock').map(e => e.duration);", vec![])
        .await
        .unwrap();
    b.close().await;
    entries.as_array().expect("the unlock entries").iter().map(|d| d.as_f64().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlock_time_by_kdf_in_the_shipped_bundle() {
    let static_dir = built_static_dir();
    let relay = RunningRelay::start(&["--static", static_dir.to_str().unwrap()]).await;
    let bitwarden = KdfParams::Argon2id { memory_kib: 64 * 1024, iterations: 3, parallelism: 4 };
    for (name, kdf) in [
        ("Argon2id m=19456 KiB t=2 p=1 (OWASP)", KdfParams::OWASP_ARGON2ID),
        ("Argon2id m=65536 KiB t=3 p=4 (Bitwarden's default)", bitwarden),
    ] {
        let times = unlock_times(&relay, kdf).await;
        assert_eq!(times.len(), RUNS, "one performance entry per unlock: {times:?}");
        let mean = times.iter().sum::<f64>() / RUNS as f64;
        let worst = times.iter().copied().fold(0.0, f64::max);
        let best = times.iter().copied().fold(f64::INFINITY, f64::min);
        println!("unlock, {name}: mean {mean:.0} ms, best {best:.0} ms, worst {worst:.0} ms over {RUNS} unlocks");
    }
}
