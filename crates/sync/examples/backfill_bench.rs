//! Efficiency benchmark: a full backfill of a generated sandbox through the relay, with the request count and
//! Binance weight against the lower bound the planner proves and against a naive crawl of every exchangeInfo
//! symbol, and the wall time.
//!
//! `cargo run --release -p sync-engine --example backfill_bench -- [tiny|small|medium|large] [SEED]`

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use catalogue::{Host, Venue};
use relay::{Config, Relay};
use simvenues::generator::Size;
use simvenues::keys::Venue as SimVenue;
use simvenues::sandbox::{Sandbox, SandboxConfig};
use sync_engine::native::{DirStore, HttpTransport, Route};
use sync_engine::{AccountConfig, SyncOptions};
use venues::{Client, ConnectPolicy, Credentials, Secret};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let size: Size = args.first().map(|s| s.parse().expect("size")).unwrap_or(Size::Small);
    let seed: u64 = args.get(1).map(|s| s.parse().expect("seed")).unwrap_or(1);
    let t0 = Instant::now();
    let sandbox = Sandbox::start(SandboxConfig { seed, size, ..SandboxConfig::default() }).await.expect("sandbox");
    eprintln!("sandbox {size:?} seed {seed}: {} fills, generated in {:?}", sandbox.world().fill_count(), t0.elapsed());
    let mut config = Config::default();
    for (host, url) in [
        (Host::BinanceSpot, sandbox.binance_spot_url()),
        (Host::BinanceFutures, sandbox.binance_futures_url()),
        (Host::BinanceCoinFutures, sandbox.binance_coin_futures_url()),
        (Host::Bitget, sandbox.bitget_url()),
    ] {
        config.upstreams.insert(host, relay::config::Upstream::parse(url).expect("url"));
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    let relay = Relay::new(config).expect("relay");
    let router = relay::app(relay.clone());
    tokio::spawn(relay::serve(listener, relay, router, std::future::pending()));
    let transport = HttpTransport::new(Route::Relay(format!("http://{addr}")), Duration::from_secs(10));

    let mut accounts = Vec::new();
    for k in sandbox.keys() {
        let venue = if k.venue == SimVenue::Binance { Venue::Binance } else { Venue::Bitget };
        let pass = (!k.passphrase.expose().is_empty()).then(|| Secret::new(k.passphrase.expose()));
        let creds = Credentials::new(venue, k.label.clone(), k.api_key.clone(), Secret::new(k.secret.expose()), pass);
        // (the simulated Bitget lacks GET /api/v3/account/info, so unified keys are taken as they are)
        let ok = venues::connect(&transport, &Client::new(creds.clone()), &ConnectPolicy::default()).await.is_ok()
            || k.account_kind == "unified";
        if ok && !accounts.iter().any(|a: &AccountConfig| a.key() == format!("{venue}/{}", k.label)) {
            accounts.push(AccountConfig { credentials: creds });
        }
    }
    let dir = std::env::temp_dir().join(format!("backfill-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
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
