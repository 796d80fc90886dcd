//! Efficiency benchmark: a full backfill of a generated sandbox through the relay, with the request count and
//! Binance weight against the lower bound the planner proves and against a naive crawl of every exchangeInfo
//! symbol, and the wall time.
//!
//! `cargo run --release -p sync-engine --example backfill_bench -- [tiny|small|medium|large] [SEED]`

use std::time::{Duration, Instant};

use catalogue::Venue;
use simvenues::generator::Size;
use simvenues::sandbox::{Sandbox, SandboxConfig};
use sync_engine::native::{DirStore, HttpTransport, Route};
use sync_engine::{AccountConfig, SyncOptions};

#[path = "../tests/common/mod.rs"]
mod common;

use common::{connect_retrying, copy_trading, credentials, relay_for, synced_despite, tmp};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let size: Size = args.first().map(|s| s.parse().expect("size")).unwrap_or(Size::Small);
    let seed: u64 = args.get(1).map(|s| s.parse().expect("seed")).unwrap_or(1);
    let t0 = Instant::now();
    let sandbox = Sandbox::start(SandboxConfig { seed, size, ..SandboxConfig::default() }).await.expect("sandbox");
    eprintln!("sandbox {size:?} seed {seed}: {} fills, generated in {:?}", sandbox.world().fill_count(), t0.elapsed());
    let relay = relay_for(&sandbox, |_| {}).await;
    let transport = HttpTransport::new(Route::Relay(relay.url.clone()), Duration::from_secs(10));

    let mut accounts: Vec<AccountConfig> = Vec::new();
    for k in sandbox.keys() {
        let creds = credentials(k);
        let ok = match connect_retrying(&transport, &creds).await {
            Ok(_) => true,
            Err(e) => synced_despite(k, &e),
        };
        let config = AccountConfig { credentials: creds, copy_trading: copy_trading(k) };
        if ok && !accounts.iter().any(|a| a.key() == config.key()) {
            accounts.push(config);
        }
    }
    let dir = tmp("backfill-bench");
    let (mut store, mut state) = DirStore::open(&dir).expect("store");
    let t1 = Instant::now();
    let (results, stats) =
        sync_engine::sync_by_venue(&transport, &SyncOptions::default(), &accounts, &mut state, &mut store).await;
    for (a, r) in results {
        r.unwrap_or_else(|e| panic!("{a}: {e}"));
    }
    let wall = t1.elapsed();
    store.finish().expect("finish");
    let s = &stats;
    // a naive crawl asks every exchangeInfo symbol once more per symbol the planner skipped (weight 20 each)
    let mut skipped = 0u64;
    for a in &accounts {
        if let Some(st) = state.accounts.get(&a.key()).filter(|_| a.credentials.venue == Venue::Binance) {
            let asked =
                st.symbols.symbols.values().filter(|(b, q)| st.assets.contains(b) || st.assets.contains(q)).count();
            skipped += (st.symbols.symbols.len() - asked) as u64;
        }
    }
    let truth = sandbox.truth_ledger();
    let keys: std::collections::BTreeSet<String> = accounts.iter().map(|a| format!("{}/", a.key())).collect();
    let expected = truth.iter().filter(|e| keys.iter().any(|k| e.account.as_str().starts_with(k.as_str()))).count();
    let mut missing: std::collections::BTreeMap<String, usize> = Default::default();
    for e in truth.iter().filter(|e| keys.iter().any(|k| e.account.as_str().starts_with(k.as_str()))) {
        if !store.events().contains_key(&e.id) {
            let kind: Vec<&str> = e.id.split(':').take(2).collect();
            *missing.entry(kind.join(":")).or_default() += 1;
            if missing.len() < 3 && missing.values().sum::<usize>() < 3 {
                eprintln!("missing {} at {}", e.id, e.time);
            }
        }
    }
    if !missing.is_empty() {
        eprintln!("missing by stream: {missing:?}");
    }
    println!(
        "{}",
        serde_json::json!({
            "size": format!("{size:?}"), "seed": seed, "accounts": accounts.len(),
            "events": store.events().len(), "truth_events": expected,
            "requests": s.requests, "retries": s.retries, "lower_bound": s.lower_bound,
            "ratio": s.requests as f64 / s.lower_bound.max(1) as f64,
            "naive_crawl_requests": s.requests + skipped, "naive_extra_weight": skipped * 20,
            "weight": s.weight, "peak_usage": s.peak_usage, "waited_ms": s.waited_ms, "retried": s.retried,
            "wall_ms": wall.as_millis() as u64,
        })
    );
}
