//! The identity per account, wallet and asset (docs/sync.md, "Balances explained") on the simulated venues behind
//! the relay: after a full sync of the generated world every account's residuals are zero; with a history that
//! starts late, they are non-zero exactly where the history before the start moved a balance, by exactly that
//! amount, and named as older than the history read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use ledger::{Decimal, Event};
use simvenues::generator::Size;
use simvenues::keys::DemoKey;
use simvenues::sandbox::{Sandbox, SandboxConfig};
use sync_engine::native::{DirStore, HttpTransport, Route};
use sync_engine::residual::{AccountResiduals, Cause, of_state};
use sync_engine::tick::effects;
use sync_engine::{AccountConfig, SyncOptions};

mod common;

use common::{connect_retrying, copy_trading, credentials, relay_for, synced_despite, tmp};

struct Running {
    sandbox: Sandbox,
    relay: common::RunningRelay,
}

async fn start(seed: u64, size: Size) -> Running {
    let sandbox = Sandbox::start(SandboxConfig { seed, size, ..SandboxConfig::default() }).await.unwrap();
    let relay = relay_for(&sandbox, |_| {}).await;
    Running { sandbox, relay }
}

/// The keys the connect check accepts (as crates/sync/tests/sandbox.rs checks them), one per account.
async fn accepted(t: &HttpTransport, keys: &[DemoKey]) -> Vec<AccountConfig> {
    let mut out: Vec<AccountConfig> = Vec::new();
    for k in keys {
        let creds = credentials(k);
        let ok = match connect_retrying(t, &creds).await {
            Ok(_) => true,
            Err(e) => synced_despite(k, &e),
        };
        let config = AccountConfig { credentials: creds, copy_trading: copy_trading(k) };
        if ok && !out.iter().any(|a| a.key() == config.key()) {
            out.push(config);
        }
    }
    out
}

/// Syncs `history_days` into `dir`, then returns every account's residuals from what the sync wrote (its state and
/// ledger, read back from the directory as `meetcrypt pnl --state` reads them), and the ledger.
async fn sync_and_residuals(
    t: &HttpTransport,
    accounts: &[AccountConfig],
    dir: &Path,
    history_days: i64,
) -> (BTreeMap<String, AccountResiduals>, Vec<Event>) {
    let (mut store, mut state) = DirStore::open(dir).unwrap();
    let options = SyncOptions { backoff_ms: 50, history_days, ..SyncOptions::default() };
    let (results, _) = sync_engine::sync_by_venue(t, &options, accounts, &mut state, &mut store).await;
    for (a, r) in results {
        r.unwrap_or_else(|e| panic!("{a}: {e}"));
    }
    store.finish().unwrap();
    drop(store);
    let (_, state) = DirStore::open(dir).unwrap();
    let text = std::fs::read(dir.join("ledger.jsonl")).unwrap();
    let events = ledger::read_ledger(text.as_slice(), "ledger.jsonl").unwrap();
    let mut out = BTreeMap::new();
    for a in accounts {
        let st = &state.accounts[&a.key()];
        let r = of_state(&a.key(), st, &events).unwrap_or_else(|| panic!("{}: no balances read", a.key()));
        out.insert(a.key(), r);
    }
    (out, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_history_explains_every_balance_and_a_late_start_leaves_exactly_the_older_history() {
    let r = start(4, Size::Small).await;
    let t = HttpTransport::new(Route::Relay(r.relay.url.clone()), Duration::from_secs(2));
    let accounts = accepted(&t, r.sandbox.keys()).await;
    assert!(
        accounts.iter().any(|a| a.key().starts_with("binance/"))
            && accounts.iter().any(|a| a.key() == "bitget/unified")
    );

    // the whole generated history (90 days): every balance explained
    let full = tmp("full");
    let (residuals, events) = sync_and_residuals(&t, &accounts, &full, 90).await;
    for (key, res) in &residuals {
        assert!(res.complete(), "{key}: {:#?} {:?}", res.rows, res.trades_not_found);
        assert!(res.history_from.is_some(), "{key}: a full cycle records where its history starts");
    }
    // among them an isolated margin pair's wallet (docs/sync.md, "Margin"): its balance read, its events synced
    let balances: BTreeMap<String, BTreeMap<String, String>> =
        serde_json::from_slice(&std::fs::read(full.join("balances.json")).unwrap()).unwrap();
    let isolated: Vec<&String> = balances.keys().filter(|w| w.ends_with("/isolated-BTCUSDT")).collect();
    assert!(!isolated.is_empty(), "no isolated pair's balance was read");
    // Binance's and Bitget's (docs/venues.md §2.18)
    assert!(isolated.iter().any(|w| w.starts_with("bitget/")), "no Bitget isolated pair's balance: {isolated:?}");
    for w in isolated {
        assert!(!balances[w].is_empty(), "{w}: {:?}", balances[w]);
        assert!(events.iter().any(|e| e.account.as_str() == w), "{w}: no event synced");
    }
    // and each classic Bitget data account's shark fin wallet (docs/venues.md §2.16): its balance read (the Earn
    // overview beyond the savings), its events synced, its residuals zero above with the rest
    let sharkfin: Vec<&String> = balances.keys().filter(|w| w.ends_with("/sharkfin")).collect();
    assert!(!sharkfin.is_empty(), "no shark fin balance was read");
    for w in sharkfin {
        assert!(balances[w].get("USDT").is_some_and(|v| v != "0"), "{w}: {:?}", balances[w]);
        assert!(events.iter().any(|e| e.account.as_str() == w), "{w}: no event synced");
    }

    // 30 days: windowed history older than that is not read, and what it moved is the residual
    let late = tmp("late");
    let (residuals, synced) = sync_and_residuals(&t, &accounts, &late, 30).await;
    let ids: BTreeSet<&str> = synced.iter().map(|e| e.id.as_str()).collect();
    let mut nonzero = 0;
    for (key, res) in &residuals {
        let prefix = format!("{key}/");
        // what the truth's events the sync did not read (all older than the history start) moved, per wallet and
        // asset, up to the balances' reading
        let mut unread: BTreeMap<(String, String), Decimal> = BTreeMap::new();
        for e in r.sandbox.truth_ledger() {
            if !e.account.as_str().starts_with(&prefix) || ids.contains(e.id.as_str()) || e.time.0 > res.at {
                continue;
            }
            assert!(e.time.0 < res.history_from.unwrap(), "{key}: unread event {} is newer than the start", e.id);
            for (wallet, asset, d) in effects(&e) {
                *unread.entry((wallet, asset)).or_default() += d;
            }
        }
        unread.retain(|_, d| !d.is_zero());
        let shown: BTreeMap<(String, String), Decimal> =
            res.rows.iter().map(|x| ((x.wallet.clone(), x.asset.clone()), x.residual)).collect();
        let expected: BTreeMap<(String, String), Decimal> =
            unread.into_iter().map(|(k, v)| (k, v.normalize())).collect();
        assert_eq!(shown, expected, "{key}");
        for x in &res.rows {
            assert_eq!(x.cause, Cause::BeforeHistory { from: res.history_from.unwrap() }, "{key}: {x:?}");
            assert!(!x.streams.is_empty(), "{key}: {x:?}");
            assert_eq!(x.residual, x.venue - x.ledger);
        }
        assert_eq!(res.complete(), res.rows.is_empty() && res.trades_not_found.is_empty());
        nonzero += res.rows.len();
    }
    assert!(nonzero > 0, "a 30-day history explained every balance: the world has no older history");
}
