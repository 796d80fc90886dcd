//! Vault benchmarks: unlock time at the production KDF parameters, and seal/open throughput for 1 MiB
//! ledger-cache records.
//!
//! Run: `cargo run --release -p vault --example kdf_bench`

use std::time::{Duration, Instant};

use vault::{KdfParams, MemoryStore, Passphrase, RecordId, RecordKind, Vault};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn unlock_time(kdf: KdfParams, runs: usize) -> (Duration, Duration) {
    let passphrase = Passphrase::new("correct horse battery staple");
    let store = Vault::create(MemoryStore::new(), &passphrase, kdf).expect("create").into_store();
    let mut vault = Vault::open(store).expect("open");
    let samples: Vec<Duration> = (0..runs)
        .map(|_| {
            vault.lock();
            let start = Instant::now();
            vault.unlock(&passphrase).expect("unlock");
            start.elapsed()
        })
        .collect();
    let min = *samples.iter().min().expect("runs > 0");
    (min, median(samples))
}

fn main() {
    println!("vault benchmarks (native, release build, one thread)");
    for (name, kdf, runs) in [
        ("Argon2id m=65536 KiB t=3 p=4 (default, Bitwarden's)", KdfParams::BITWARDEN_ARGON2ID, 5),
        ("Argon2id m=19456 KiB t=2 p=1 (OWASP, the earlier default)", KdfParams::OWASP_ARGON2ID, 7),
        ("PBKDF2-HMAC-SHA256 600,000 iterations", KdfParams::OWASP_PBKDF2_SHA256, 5),
    ] {
        let (min, med) = unlock_time(kdf, runs);
        println!("unlock, {name}: median {:.1} ms, min {:.1} ms ({runs} runs)", ms(med), ms(min));
    }

    const MIB: usize = 1024 * 1024;
    const RECORDS: usize = 64;
    let passphrase = Passphrase::new("bench");
    let mut vault = Vault::create(MemoryStore::new(), &passphrase, KdfParams::InsecureTestOnly).expect("create");
    let chunk: Vec<u8> = (0..MIB).map(|i| (i * 31 % 251) as u8).collect();
    let ids: Vec<RecordId> = (0..RECORDS).map(|i| RecordId::new(&format!("ledger-{i}")).expect("id")).collect();

    let start = Instant::now();
    for id in &ids {
        vault.seal_record(RecordKind::LedgerCache, id, &chunk).expect("seal");
    }
    let seal = start.elapsed();

    let start = Instant::now();
    let mut total = 0;
    for id in &ids {
        total += vault.open_record(RecordKind::LedgerCache, id).expect("open").expect("present").len();
    }
    let open = start.elapsed();
    assert_eq!(total, RECORDS * MIB);

    let mib = RECORDS as f64;
    println!(
        "seal, {RECORDS} x 1 MiB ledger-cache records (incl. in-memory store write): {:.0} MiB/s ({:.2} ms per record)",
        mib / seal.as_secs_f64(),
        ms(seal) / mib
    );
    println!(
        "open, {RECORDS} x 1 MiB ledger-cache records (incl. in-memory store read): {:.0} MiB/s ({:.2} ms per record)",
        mib / open.as_secs_f64(),
        ms(open) / mib
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
