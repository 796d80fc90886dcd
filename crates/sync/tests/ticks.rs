//! Incremental ticks against the simulated venues: through the relay, what an idle tick costs next to the backfill
//! (the table of `examples/idle_bench.rs`, printed with `--nocapture`); on the venues' own clock, a property test
//! that lets history happen between 100 ticks and compares the ledger with the truth after every one.

#[allow(dead_code)]
#[path = "../examples/idle_bench.rs"]
mod bench;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use bench::common::{copy_trading, credentials, tmp};
use bench::{Bench, Counting, Spent};
use catalogue::Venue;
use ledger::{Decimal, Event, EventKind};
use simvenues::generator::Size;
use simvenues::keys::Profile;
use simvenues::sandbox::{Sandbox, SandboxConfig};
use sync_engine::native::DirStore;
use sync_engine::run::SETTLE_MS;
use sync_engine::{AccountConfig, Stats, SyncOptions};
use venues::{Request, Response, Transport, TransportError};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// The idle tick's targets (docs/sync.md), as counts: an idle tick costs at most a tenth of the backfill's IP weight per account
/// (Binance spot, futures and COIN-M) and of its requests per Bitget account, and spends no UID weight: the 18,000-weight
/// withdrawal history (and the 3,000-weight converts) run in full cycles only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_tick_costs_a_tenth_of_the_backfill() {
    let bench = Bench::start(Size::Small, 1).await;
    let dir = tmp("idle-cost");
    let rows = bench::measure(&bench, &dir).await;
    let (first, idle, full, mean) = (&rows[0], &rows[1], &rows[2], &rows[3]);
    eprintln!("{}", bench::table(&bench, &rows));
    let (accounts, limit) = mean.per_ip(5.0);
    eprintln!("Binance accounts per egress IP at a 5-minute interval: {accounts:.0} ({limit} binds)");
    assert!(idle.spot_ip * 10.0 <= first.spot_ip, "spot: {} idle, {} backfill", idle.spot_ip, first.spot_ip);
    assert!(idle.futures_ip * 10.0 <= first.futures_ip, "futures: {} vs {}", idle.futures_ip, first.futures_ip);
    assert!(idle.coinm_ip * 10.0 <= first.coinm_ip, "COIN-M: {} vs {}", idle.coinm_ip, first.coinm_ip);
    assert!(idle.bitget_requests * 10.0 <= first.bitget_requests, "Bitget: {idle:?} vs {first:?}");
    assert_eq!(idle.uid, (0, 0), "no UID weight on an idle tick");
    assert!(full.uid.0 >= 18_000, "the withdrawal history is read in the full cycle: {full:?}");
    assert!(idle.sapi_ip * 10.0 <= first.sapi_ip, "SAPI: {} vs {}", idle.sapi_ip, first.sapi_ip);
}

/// What a copy-trading account's tick costs (docs/sync.md, "What it costs"), printed with `--nocapture`: a Binance lead
/// portfolio's idle tick reads its futures wallet only (no spot, SAPI or UID weight), a Bitget copy account's
/// reads no more than a regular one's (its tracking orders and profit shares wait for the full cycle, which reads
/// them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_trading_accounts_idle_tick_reads_its_futures_wallet() {
    let bench = Bench::start(Size::Small, 1).await;
    let copy = &bench.copy_accounts;
    assert_eq!(
        copy.iter().map(|a| a.key()).collect::<BTreeSet<_>>(),
        ["binance/lead", "bitget/follower", "bitget/leader"].map(String::from).into(),
        "the sandbox's copy-trading accounts"
    );
    let dir = tmp("idle-copy");
    let first = bench.tick_of(copy, &dir, &SyncOptions::default()).await;
    let idle = bench.tick_of(copy, &dir, &SyncOptions::default()).await;
    let full = bench.tick_of(copy, &dir, &SyncOptions { full_every_ms: 0, ..SyncOptions::default() }).await;
    let copy_reads = |s: &Spent| s.paths.keys().filter(|p| p.contains("/copy")).count();
    assert_eq!(copy_reads(&idle), 0, "the copy streams wait for the full cycle: {:?}", idle.paths);
    assert_eq!(copy_reads(&full), 3, "the full cycle reads them: {:?}", full.paths);
    // follower and trader told apart: the follower's trader reads answered "not a trader" (no error), so its full
    // cycles ask only the follower's history; the trader's still ask the trader's
    let (_, state) = DirStore::open(&dir).unwrap();
    assert!(state.accounts["bitget/follower"].not_a_trader_at.is_some(), "the follower is known as one");
    assert!(state.accounts["bitget/leader"].not_a_trader_at.is_none(), "the trader is a trader");
    let follower: Vec<AccountConfig> = copy.iter().filter(|a| a.key() == "bitget/follower").cloned().collect();
    let again = bench.tick_of(&follower, &dir, &SyncOptions { full_every_ms: 0, ..SyncOptions::default() }).await;
    let trader_reads: Vec<_> = again.paths.keys().filter(|p| p.contains("/mix-trader/")).collect();
    assert!(trader_reads.is_empty(), "a known follower is not asked the trader's reads: {trader_reads:?}");
    assert!(again.paths.contains_key("/api/v2/copy/mix-follower/query-history-orders"), "{:?}", again.paths);
    let rows = [
        bench::Row::of_accounts(copy, "first sync (backfill)", &first),
        bench::Row::of_accounts(copy, "tick with nothing new (incremental)", &idle),
        bench::Row::of_accounts(copy, "full cycle with nothing new (hourly)", &full),
    ];
    eprintln!("{}", bench::table_of(copy, &rows));
    let (first, idle) = (&rows[0], &rows[1]);
    assert_eq!((idle.spot_ip, idle.sapi_ip, idle.coinm_ip, idle.uid), (0.0, 0.0, 0.0, (0, 0)), "{idle:?}");
    assert_eq!((first.spot_ip, first.sapi_ip, first.coinm_ip), (0.0, 0.0, 0.0), "no spot or COIN-M read: {first:?}");
    assert!(idle.futures_ip * 10.0 <= first.futures_ip, "{idle:?} vs {first:?}");
}

/// A transport on the simulated venues' stopped clock ([`Sandbox::set_as_of`]): it reads their time, and its waits
/// (rate-limit windows, back-off) pass and move that clock on as much, so a tick sees the venues as of the time the
/// test set plus what it waited, however long the machine takes to run it.
struct VenueClock<'a, T> {
    inner: T,
    sandbox: &'a Sandbox,
}

impl<T: Transport> Transport for VenueClock<'_, T> {
    async fn send(&self, request: &Request) -> Result<Response, TransportError> {
        self.inner.send(request).await
    }
    fn now_ms(&self) -> i64 {
        self.sandbox.clock()
    }
    async fn sleep(&self, ms: u64) {
        self.inner.sleep(ms).await;
        self.sandbox.advance_clock(ms as i64);
    }
}

/// The read-only keys the relay's egress can use, one per account.
fn accounts(sb: &Sandbox) -> Vec<AccountConfig> {
    let mut out: Vec<AccountConfig> = Vec::new();
    for k in sb.keys().iter().filter(|k| k.permissions == Profile::ReadOnly && k.ip_allow.is_empty()) {
        let config = AccountConfig { credentials: credentials(k), copy_trading: copy_trading(k) };
        if !out.iter().any(|a| a.key() == config.key()) {
            out.push(config);
        }
    }
    out
}

fn mine(accounts: &[AccountConfig], account: &str) -> bool {
    accounts.iter().any(|a| account.starts_with(&format!("{}/", a.key())))
}

/// What one tick did: the engine's counters, what went out, and the state's last full cycle.
struct Ticked {
    stats: Stats,
    spent: Spent,
}

async fn tick<T: Transport>(t: &Counting<T>, accounts: &[AccountConfig], dir: &Path, options: &SyncOptions) -> Ticked {
    let (mut store, mut state) = DirStore::open(dir).unwrap();
    t.take();
    let (results, stats) = sync_engine::sync_by_venue(t, options, accounts, &mut state, &mut store).await;
    for (a, r) in results {
        r.unwrap_or_else(|e| panic!("{a}: {e}"));
    }
    store.finish().unwrap();
    Ticked { stats, spent: t.take() }
}

/// Balances per wallet and asset that `events` add up to, zero sums left out.
fn net(events: &[&Event]) -> BTreeMap<(String, String), Decimal> {
    let mut out: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for e in events {
        for (acc, asset, d) in sync_engine::tick::effects(e) {
            *out.entry((acc, asset)).or_default() += d;
        }
    }
    out.retain(|_, d| !d.is_zero());
    out
}

/// The synced ledger and balances against the truth as of now: no duplicate, no event that differs from the truth's
/// or is not in it, the balances equal; returns the truth's events the ledger lacks.
fn compare(sb: &Sandbox, accounts: &[AccountConfig], dir: &Path) -> Vec<Event> {
    let text = std::fs::read(dir.join("ledger.jsonl")).unwrap();
    let synced = ledger::read_ledger(text.as_slice(), "ledger.jsonl").unwrap();
    let ids: BTreeSet<&str> = synced.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), synced.len(), "duplicate ids");
    let truth: BTreeMap<String, Event> = sb
        .truth_ledger()
        .into_iter()
        .filter(|e| mine(accounts, e.account.as_str()))
        .map(|e| (e.id.clone(), e))
        .collect();
    for e in &synced {
        let mut expected = truth.get(&e.id).unwrap_or_else(|| panic!("{} is not in the truth", e.id)).clone();
        // Binance withdrawal times are whole seconds at the venue
        if e.id.starts_with("binance/") && e.id.contains(":withdrawal:") {
            expected.time = ledger::Timestamp(expected.time.0 - expected.time.0.rem_euclid(1000));
        }
        assert_eq!(*e, expected, "{}", e.id);
    }
    let balances: BTreeMap<String, BTreeMap<String, String>> =
        serde_json::from_slice(&std::fs::read(dir.join("balances.json")).unwrap()).unwrap();
    let truth_b: BTreeMap<String, BTreeMap<String, String>> = sb
        .truth_balances()
        .into_iter()
        .filter(|(a, _)| mine(accounts, a))
        .map(|(a, m)| (a, m.into_iter().map(|(k, v)| (k, v.normalize().to_string())).collect()))
        .collect();
    assert_eq!(balances, truth_b, "balances");
    truth.into_values().filter(|e| !ids.contains(e.id.as_str())).collect()
}

/// Binance spot trades among `new` whose base and quote both net out: pairs that move only their fees, if any.
fn netting<'e>(new: &[&'e Event]) -> Vec<&'e Event> {
    let trades: Vec<&Event> =
        new.iter().filter(|e| e.account.venue() == "binance" && e.id.contains(":trade:")).copied().collect();
    let moved = net(&trades);
    trades
        .into_iter()
        .filter(|e| match &e.kind {
            EventKind::Trade { spend, receive, .. } => [&spend.asset, &receive.asset]
                .iter()
                .all(|a| !moved.contains_key(&(e.account.as_str().to_string(), a.to_string()))),
            _ => false,
        })
        .collect()
}

/// Whether the history between two ticks holds something an incremental tick leaves to a full cycle (docs/sync.md):
/// a Binance withdrawal or convert (UID-weighted), trades on a symbol whose base and quote both net out (only their
/// fees moved), or a row the venue showed late: older than the last tick's balance reading, which did not show it
/// (the simulated venues show the world as of the time they were set to while their clock runs on).
fn leaves_to_full_cycle(new: &[&Event], last: &sync_engine::SyncState) -> Option<&'static str> {
    let binance: Vec<&&Event> = new.iter().filter(|e| e.account.venue() == "binance").collect();
    let read_at = |e: &Event| {
        let key = e.account.as_str().rsplit_once('/').unwrap().0;
        last.accounts.get(key).and_then(|a| a.balances_at).unwrap_or(i64::MIN)
    };
    if !netting(new).is_empty() {
        Some("a pair that nets out")
    } else if binance.iter().any(|e| e.id.contains(":withdrawal:") || e.id.contains(":convert:")) {
        Some("a withdrawal or convert")
    } else if new.iter().any(|e| e.time.0 <= read_at(e)) {
        Some("a row shown late")
    } else if new.iter().any(|e| e.id.contains(":copy_share:") || e.id.contains(":copy_profit:")) {
        // a Bitget copy account's streams run in full cycles only (docs/sync.md, "Copy-trading accounts")
        Some("a profit share")
    } else {
        None
    }
}

/// A Bitget copied or lead order's fill: listed once the order closes, read in full cycles, moving no balance
/// (docs/venues.md §2.11); the ledger may lack it for a while.
fn copied_fill(e: &Event) -> bool {
    e.id.contains(":copy_open:") || e.id.contains(":copy_close:")
}

/// Endpoints a tick reads its balances (and clock and symbols) from: all an idle tick may ask (the Simple Earn
/// positions on a day's first tick).
const BALANCE_READS: [&str; 14] = [
    "/fapi/v1/time",
    "/api/v3/account",
    "/sapi/v1/asset/get-funding-asset",
    "/sapi/v1/simple-earn/flexible/position",
    "/sapi/v1/simple-earn/locked/position",
    "/fapi/v3/account",
    "/dapi/v1/account",
    "/api/v3/exchangeInfo",
    "/api/v2/public/time",
    "/api/v2/spot/account/assets",
    "/api/v2/mix/account/accounts",
    "/api/v2/mix/position/all-position",
    "/api/v3/account/assets",
    "/api/v3/account/funding-assets",
];

/// 100 ticks over the last three days of a Small history, with the venues showing it as of each tick's time: random
/// steps of a few minutes (mostly nothing new), to just after the next few rows (trades on several symbols,
/// deposits, transfers, income, futures fills, the pair that nets out with BNB fees, the first trade on a symbol
/// never traded before, the pair that nets out with no fee), or a few hours. After every tick the ledger holds no
/// duplicate and nothing the truth does not, the balances equal the truth's, and what it lacks is only trades that
/// together move no balance, newer than the last full cycle, and the copy-trading accounts' copied and lead fills
/// (listed when an order closes, read in full cycles); a tick that escalates to a full cycle had a reason to (a
/// profit share among them);
/// a tick with nothing new reads balances only, and none but full cycles spend UID weight.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_ticks_keep_the_ledger_equal_to_the_truth() {
    let sb = Sandbox::start(SandboxConfig { seed: 2, size: Size::Small, ..SandboxConfig::default() }).await.unwrap();
    // straight to the venues, whose clock is the test's (a relay counts its rate-limit minutes on its own clock,
    // which stays put while the venues' moves hours between ticks; the relay's part is measured by the tests above)
    let http = bench::common::straight_to(&sb);
    let t = Counting::new(VenueClock { inner: http, sandbox: &sb }, &sb);
    let accounts = accounts(&sb);
    let regular_binance = accounts.iter().filter(|a| a.credentials.venue == Venue::Binance && !a.copy_trading);
    assert_eq!(regular_binance.count(), 2, "main and alt");
    assert_eq!(accounts.iter().filter(|a| a.copy_trading).count(), 3, "the lead portfolio, follower and trader");
    let all: Vec<Event> = sb.truth_ledger().into_iter().filter(|e| mine(&accounts, e.account.as_str())).collect();
    let end = sb.world().end;
    let mut at = end - 3 * DAY;
    let times: Vec<i64> = all.iter().map(|e| e.time.0).filter(|x| *x > at).collect();
    let set_time = |x: i64| sb.set_as_of(Some(x));
    set_time(at);
    let dir = tmp("hundred");
    // full cycles every 12 hours of venue time: the test's steps are longer than the default hour; the whole of the
    // venues' per-IP limits: a tick that waited a rate-limit minute would move the venues' clock a minute past the
    // rows cut at the tick's time (asserted below)
    let options =
        SyncOptions { backoff_ms: 50, full_every_ms: 12 * HOUR, budget_percent: 100, ..SyncOptions::default() };
    let first = tick(&t, &accounts, &dir, &options).await;
    assert!(sb.clock() - at < SETTLE_MS, "the backfill waited {} ms", sb.clock() - at);
    assert_eq!(first.stats.full_ticks, accounts.len() as u64);
    assert!(compare(&sb, &accounts, &dir).is_empty(), "the backfill is complete");
    let read_state = || -> sync_engine::SyncState {
        serde_json::from_slice(&std::fs::read(dir.join("sync-state.json")).unwrap()).unwrap()
    };
    let mut last = read_state();
    // the steps' seed: any that lands some tick just after a whole pair (the COIN-M funding rows every 8 hours moved
    // where the previous seed's steps cut, and it no longer did)
    let mut rng = 0x1d1f_u64;
    let mut next = |bound: u64| {
        rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (rng >> 33) % bound.max(1)
    };
    let (mut idle, mut incremental, mut full, mut lagged) = (0, 0, 0, BTreeSet::new());
    let mut escalated: BTreeMap<&str, u32> = BTreeMap::new();
    let mut whole_pairs = 0;
    for i in 0..100 {
        let before = at;
        // a step of a minute up to twice what is left per tick (the ticks cover the three days), every other time
        // cut to just after the first row in it; always forward, as the venues' clock only goes forward
        let mean = (end + HOUR - at) / (100 - i as i64);
        let mut step = MINUTE + next((2 * mean - MINUTE).max(1) as u64) as i64;
        if let Some(x) = times.iter().copied().find(|x| *x > at && *x < at + step)
            && next(2) == 0
        {
            step = (x + 1 + next(120_000) as i64 - at).max(MINUTE);
        }
        at += step;
        set_time(at);
        let new: Vec<&Event> = all.iter().filter(|e| e.time.0 > before && e.time.0 <= at).collect();
        let fee_paid =
            |e: &&Event| matches!(&e.kind, EventKind::Trade { fees, .. } if fees.iter().any(|f| !f.amount.is_zero()));
        if netting(&new).iter().any(fee_paid) {
            whole_pairs += 1;
        }
        let r = tick(&t, &accounts, &dir, &options).await;
        assert!(sb.clock() - at < SETTLE_MS, "tick {i} waited {} ms", sb.clock() - at);
        let missing = compare(&sb, &accounts, &dir);
        let s = &r.stats;
        let was_full = s.full_ticks > 0 || s.escalations > 0;
        let state = read_state();
        eprintln!(
            "tick {i}: +{} min, {} new, {} requests, {} full, {} incremental ({} escalated), {} lagging",
            (at - before) / MINUTE,
            new.len(),
            r.spent.requests.values().sum::<u64>(),
            s.full_ticks,
            s.incremental_ticks,
            s.escalations,
            missing.len()
        );
        // what the ledger lacks moves no balance: trades that net out, newer than their account's last full cycle
        let lacking: Vec<&Event> = missing.iter().collect();
        assert!(net(&lacking).is_empty(), "tick {i}: missing events that move balances: {missing:?}");
        for e in missing.iter().filter(|e| !copied_fill(e)) {
            let key = e.account.as_str().rsplit_once('/').unwrap().0;
            let full_at = state.accounts[key].last_full.unwrap();
            assert!(e.id.contains("/spot:trade:") && e.time.0 > full_at, "tick {i}: {e:?} (full cycle at {full_at})");
            lagged.insert(e.id.clone());
        }
        // escalations have a reason
        if s.escalations > 0 {
            let why = leaves_to_full_cycle(&new, &last);
            *escalated.entry(why.unwrap_or_else(|| panic!("tick {i} escalated on {new:?}"))).or_default() += 1;
        }
        if s.full_ticks > 0 {
            full += 1;
        } else {
            incremental += 1;
        }
        // UID weight only in full cycles; nothing new, nothing but balances read
        if !was_full {
            assert!(r.spent.uid.values().all(|w| *w == 0), "tick {i}: UID weight {:?}", r.spent.uid);
        }
        if new.is_empty() && !was_full {
            idle += 1;
            let other: Vec<_> = r.spent.paths.keys().filter(|p| !BALANCE_READS.contains(p)).collect();
            assert!(other.is_empty(), "tick {i} with nothing new read {other:?}");
        }
        last = state;
    }
    eprintln!(
        "{incremental} incremental ticks ({idle} with nothing new; escalated on {escalated:?}), {full} full; lagged \
         until a full cycle: {lagged:?}"
    );
    assert!(idle > 10 && incremental > 50, "the ticks did not exercise the rule");
    // (whether that tick was incremental and escalated, or a full cycle anyway, the ledger had the pair after it)
    assert!(whole_pairs > 0, "no tick saw a pair that nets out with its fees in BNB whole");
    // a final full cycle reads what moved no balance
    let last = tick(&t, &accounts, &dir, &SyncOptions { full: true, ..options.clone() }).await;
    assert!(last.stats.full_ticks > 0);
    assert!(compare(&sb, &accounts, &dir).is_empty(), "a full cycle leaves nothing out");
    // the history the ticks went through holds what the test is about
    let late: Vec<&Event> = all.iter().filter(|e| e.time.0 > end - 3 * DAY).collect();
    for kind in [":deposit:", ":transfer:", ":income:", ":futures_trade:"] {
        assert!(late.iter().any(|e| e.id.contains(kind)), "no {kind} in the last three days");
    }
    let late_symbol = sb.world().binance_spot.last().unwrap().to_string();
    assert!(late.iter().any(|e| e.id.contains(&format!(":trade:{late_symbol}:"))), "no trade on {late_symbol}");
}

/// Isolated margin as it happens (docs/sync.md, "Margin"): a full cycle after each act of a Binance account's
/// isolated script (cross margin to the pair, borrow, sell, interest, buy back, repay, on to a second pair, back to
/// cross margin) reads the
/// pair's new rows from its cursors, and the ledger and balances then equal the truth's, the pair's wallet included;
/// an incremental tick with nothing new reads no margin endpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn isolated_margin_is_read_act_by_act() {
    let sb = Sandbox::start(SandboxConfig { seed: 2, size: Size::Small, ..SandboxConfig::default() }).await.unwrap();
    let http = bench::common::straight_to(&sb);
    let t = Counting::new(VenueClock { inner: http, sandbox: &sb }, &sb);
    let accounts = accounts(&sb);
    let all: Vec<Event> = sb.truth_ledger().into_iter().filter(|e| mine(&accounts, e.account.as_str())).collect();
    let isolated = |e: &Event| e.account.as_str().contains("/isolated-") || e.id.contains("ISOLATEDMARGIN");
    let mut times: Vec<i64> = all.iter().filter(|e| isolated(e)).map(|e| e.time.0).collect();
    times.sort();
    times.dedup();
    assert!(times.len() >= 8, "the isolated script's acts: {times:?}");
    let dir = tmp("isolated-ticks");
    let options = SyncOptions { backoff_ms: 50, budget_percent: 100, ..SyncOptions::default() };
    // the backfill before the pair was opened: no isolated event, no isolated wallet
    sb.set_as_of(Some(times[0] - MINUTE));
    tick(&t, &accounts, &dir, &options).await;
    assert!(compare(&sb, &accounts, &dir).is_empty(), "the backfill is complete");
    let (mut seen, mut shown) = (0, i64::MIN);
    // each act, with what follows it in the same millisecond or the next (interest charged on borrowing)
    for (i, at) in times.iter().copied().enumerate() {
        if at <= shown {
            continue;
        }
        shown = at + 1;
        sb.set_as_of(Some(shown));
        let r = tick(&t, &accounts, &dir, &SyncOptions { full: true, ..options.clone() }).await;
        assert!(sb.clock() - shown < SETTLE_MS, "act {i}: the tick waited {} ms", sb.clock() - shown);
        assert!(r.spent.paths.contains_key("/sapi/v1/margin/isolated/account"), "act {i}: {:?}", r.spent.paths);
        assert!(compare(&sb, &accounts, &dir).is_empty(), "act {i}: a full cycle leaves nothing out");
        let text = std::fs::read(dir.join("ledger.jsonl")).unwrap();
        let synced = ledger::read_ledger(text.as_slice(), "ledger.jsonl").unwrap();
        let now = synced.iter().filter(|e| isolated(e)).count();
        assert!(now > seen, "act {i}: no new isolated event");
        seen = now;
    }
    let balances: BTreeMap<String, BTreeMap<String, String>> =
        serde_json::from_slice(&std::fs::read(dir.join("balances.json")).unwrap()).unwrap();
    assert!(balances.keys().any(|w| w.ends_with("/isolated-BTCUSDT")), "{:?}", balances.keys());
    // nothing new: an incremental tick at the last tick's venue time (nothing can have happened since; a minute
    // later another script's act may fall, such as a Bitget crypto loan) reads balances only, neither margin account
    sb.set_as_of(Some(shown));
    let idle = tick(&t, &accounts, &dir, &options).await;
    assert_eq!(idle.stats.full_ticks, 0);
    let margin: Vec<_> = idle.spent.paths.keys().filter(|p| p.contains("/margin/")).collect();
    assert!(margin.is_empty(), "an idle tick read {margin:?}");
    assert!(compare(&sb, &accounts, &dir).is_empty());
}

/// Bitget cross margin as it happens (docs/sync.md, "Bitget cross margin"): after the transfer in, an incremental
/// tick reads the margin assets (spot moved) and the margin streams, and the ledger equals the truth; a full cycle
/// after each later act (borrow, sell, interest, buy back, repay) reads its new rows from their cursors; the
/// transfer out is found by an incremental tick again; an idle tick then reads no margin endpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bitget_cross_margin_is_read_act_by_act() {
    let sb = Sandbox::start(SandboxConfig { seed: 2, size: Size::Small, ..SandboxConfig::default() }).await.unwrap();
    let http = bench::common::straight_to(&sb);
    let t = Counting::new(VenueClock { inner: http, sandbox: &sb }, &sb);
    let accounts: Vec<AccountConfig> =
        accounts(&sb).into_iter().filter(|a| a.credentials.venue == Venue::Bitget).collect();
    let all: Vec<Event> = sb.truth_ledger().into_iter().filter(|e| mine(&accounts, e.account.as_str())).collect();
    let in_margin = |e: &Event| {
        let margin = |a: &str| a.starts_with("bitget/") && a.ends_with("/margin");
        margin(e.account.as_str())
            || matches!(&e.kind, EventKind::Transfer { to_account, .. } if margin(to_account.as_str()))
    };
    let mut times: Vec<i64> = all.iter().filter(|e| in_margin(e)).map(|e| e.time.0).collect();
    times.sort();
    times.dedup();
    assert!(times.len() >= 8, "the cross margin script's acts: {times:?}");
    let dir = tmp("bitget-margin-ticks");
    let options = SyncOptions { backoff_ms: 50, budget_percent: 100, ..SyncOptions::default() };
    sb.set_as_of(Some(times[0] - MINUTE));
    tick(&t, &accounts, &dir, &options).await;
    assert!(compare(&sb, &accounts, &dir).is_empty(), "the backfill is complete");
    let margin_events = |dir: &Path| {
        let text = std::fs::read(dir.join("ledger.jsonl")).unwrap();
        ledger::read_ledger(text.as_slice(), "ledger.jsonl").unwrap().iter().filter(|e| in_margin(e)).count()
    };
    let (mut seen, mut shown) = (0, i64::MIN);
    let last = times.len() - 1;
    for (i, at) in times.iter().copied().enumerate() {
        if at <= shown {
            continue;
        }
        shown = at + 1;
        sb.set_as_of(Some(shown));
        // the transfers move spot: an incremental tick finds them; the acts inside the wallet wait for a full cycle
        let transfer = i == 0 || i == last;
        let r = tick(&t, &accounts, &dir, &SyncOptions { full: !transfer, ..options.clone() }).await;
        assert!(r.spent.paths.contains_key("/api/v2/margin/crossed/account/assets"), "act {i}: {:?}", r.spent.paths);
        assert!(r.spent.paths.contains_key("/api/v2/margin/crossed/financial-records"), "act {i}");
        if transfer {
            assert_eq!(r.stats.escalations, 0, "act {i}: the incremental tick explained the transfer");
        }
        assert!(compare(&sb, &accounts, &dir).is_empty(), "act {i}: the ledger equals the truth");
        let now = margin_events(&dir);
        assert!(now > seen, "act {i}: no new margin event");
        seen = now;
    }
    // nothing new: an incremental tick reads balances only, not cross margin's
    sb.set_as_of(Some(times[last] + MINUTE));
    let idle = tick(&t, &accounts, &dir, &options).await;
    assert_eq!(idle.stats.full_ticks, 0);
    let margin: Vec<_> = idle.spent.paths.keys().filter(|p| p.contains("/margin/")).collect();
    assert!(margin.is_empty(), "an idle tick read {margin:?}");
    assert!(compare(&sb, &accounts, &dir).is_empty());
}

/// Bitget isolated margin as it happens (docs/sync.md, "Bitget isolated margin"): after the transfer from spot into
/// the pair, an incremental tick reads the isolated assets (spot moved) and the pair's histories, and the ledger
/// equals the truth; a full cycle after each later act (borrow, sell, interest, buy back, repay) reads its new rows
/// from their cursors; the transfer back to spot is found by an incremental tick again; an idle tick then reads no
/// isolated margin endpoint, and the pair's wallet keeps the balance it was left with.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bitget_isolated_margin_is_read_act_by_act() {
    let sb = Sandbox::start(SandboxConfig { seed: 2, size: Size::Small, ..SandboxConfig::default() }).await.unwrap();
    let http = bench::common::straight_to(&sb);
    let t = Counting::new(VenueClock { inner: http, sandbox: &sb }, &sb);
    let accounts: Vec<AccountConfig> =
        accounts(&sb).into_iter().filter(|a| a.credentials.venue == Venue::Bitget).collect();
    let all: Vec<Event> = sb.truth_ledger().into_iter().filter(|e| mine(&accounts, e.account.as_str())).collect();
    let in_pair = |e: &Event| {
        let pair = |a: &str| a.starts_with("bitget/") && a.ends_with("/isolated-BTCUSDT");
        pair(e.account.as_str())
            || matches!(&e.kind, EventKind::Transfer { to_account, .. } if pair(to_account.as_str()))
    };
    let mut times: Vec<i64> = all.iter().filter(|e| in_pair(e)).map(|e| e.time.0).collect();
    times.sort();
    times.dedup();
    assert!(times.len() >= 7, "the isolated margin script's acts: {times:?}");
    let dir = tmp("bitget-isolated-ticks");
    let options = SyncOptions { backoff_ms: 50, budget_percent: 100, ..SyncOptions::default() };
    sb.set_as_of(Some(times[0] - MINUTE));
    tick(&t, &accounts, &dir, &options).await;
    assert!(compare(&sb, &accounts, &dir).is_empty(), "the backfill is complete");
    let pair_events = |dir: &Path| {
        let text = std::fs::read(dir.join("ledger.jsonl")).unwrap();
        ledger::read_ledger(text.as_slice(), "ledger.jsonl").unwrap().iter().filter(|e| in_pair(e)).count()
    };
    assert_eq!(pair_events(&dir), 0, "nothing in the pair before its first act");
    let (mut seen, mut shown) = (0, i64::MIN);
    let last = times.len() - 1;
    for (i, at) in times.iter().copied().enumerate() {
        if at <= shown {
            continue;
        }
        shown = at + 1;
        sb.set_as_of(Some(shown));
        // the transfers move spot: an incremental tick finds them; the acts inside the pair wait for a full cycle
        let transfer = i == 0 || i == last;
        let r = tick(&t, &accounts, &dir, &SyncOptions { full: !transfer, ..options.clone() }).await;
        assert!(r.spent.paths.contains_key("/api/v2/margin/isolated/account/assets"), "act {i}: {:?}", r.spent.paths);
        assert!(r.spent.paths.contains_key("/api/v2/margin/isolated/financial-records"), "act {i}");
        if transfer {
            assert_eq!(r.stats.escalations, 0, "act {i}: the incremental tick explained the transfer");
        } else {
            // a full cycle checks the pair's rows against the margin tax record's isolated ones
            assert!(r.spent.paths.contains_key("/api/v2/tax/margin-record"), "act {i}");
        }
        assert!(compare(&sb, &accounts, &dir).is_empty(), "act {i}: the ledger equals the truth");
        let now = pair_events(&dir);
        assert!(now > seen, "act {i}: no new isolated margin event");
        seen = now;
    }
    // nothing new: an incremental tick at the last tick's venue time (nothing can have happened since; a minute
    // later another script's act may fall, such as a crypto loan) reads balances only, not isolated margin's
    sb.set_as_of(Some(shown));
    let idle = tick(&t, &accounts, &dir, &options).await;
    assert_eq!(idle.stats.full_ticks, 0);
    let isolated: Vec<_> = idle.spent.paths.keys().filter(|p| p.contains("/margin/isolated/")).collect();
    assert!(isolated.is_empty(), "an idle tick read {isolated:?}");
    assert!(compare(&sb, &accounts, &dir).is_empty());
    let balances: BTreeMap<String, BTreeMap<String, String>> =
        serde_json::from_slice(&std::fs::read(dir.join("balances.json")).unwrap()).unwrap();
    let kept: Vec<_> = balances.iter().filter(|(w, b)| w.ends_with("/isolated-BTCUSDT") && !b.is_empty()).collect();
    assert!(!kept.is_empty(), "the pair keeps a balance: {balances:?}");
}

/// A Bitget unified account's margin loans as they happen (docs/sync.md, "Bitget unified accounts"): the wallet is
/// the account's one, so an act that moves its balance net of debt (a sale of the borrowed coins, interest charged,
/// the buy-back) is found by an incremental tick, which reads the financial records of every category and books the
/// loans with it; a borrow or a repay moves nothing net, and the next full cycle reads it. After each act the ledger
/// equals the truth; the account ends owing its second loan, and the balance the sync kept is the truth's, net.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bitget_unified_margin_is_read_act_by_act() {
    let sb = Sandbox::start(SandboxConfig { seed: 2, size: Size::Small, ..SandboxConfig::default() }).await.unwrap();
    let http = bench::common::straight_to(&sb);
    let t = Counting::new(VenueClock { inner: http, sandbox: &sb }, &sb);
    let accounts: Vec<AccountConfig> = accounts(&sb).into_iter().filter(|a| a.key() == "bitget/unified").collect();
    assert_eq!(accounts.len(), 1);
    let a = sb.world().bitget.iter().find(|a| a.label == "unified").unwrap();
    let m = &a.margin;
    // the script's acts: its records' times, each with whether it moves the wallet net of debt
    let mut acts: BTreeMap<i64, bool> = BTreeMap::new();
    for f in &m.flows {
        let net_moves = !matches!(f.kind, "borrow" | "repay" | "interest_repay");
        *acts.entry(f.time).or_default() |= net_moves;
    }
    for i in &m.interest {
        acts.insert(i.time, true);
    }
    assert!(acts.len() >= 7, "the unified margin script's acts: {acts:?}");
    let dir = tmp("bitget-unified-margin-ticks");
    // no full cycle falls due by the clock during the script (a few hours): only the ones asked for
    let options =
        SyncOptions { backoff_ms: 50, budget_percent: 100, full_every_ms: 30 * DAY, ..SyncOptions::default() };
    let first = *acts.keys().next().unwrap();
    sb.set_as_of(Some(first - MINUTE));
    tick(&t, &accounts, &dir, &options).await;
    assert!(compare(&sb, &accounts, &dir).is_empty(), "the backfill is complete");
    let loans = |dir: &Path| {
        let text = std::fs::read(dir.join("ledger.jsonl")).unwrap();
        let events = ledger::read_ledger(text.as_slice(), "ledger.jsonl").unwrap();
        events.iter().filter(|e| matches!(e.kind, EventKind::Loan { .. })).count()
    };
    let before = loans(&dir);
    let mut shown = i64::MIN;
    for (i, (at, net_moves)) in acts.iter().map(|(t, n)| (*t, *n)).enumerate() {
        if at <= shown {
            continue;
        }
        shown = at + 1;
        sb.set_as_of(Some(shown));
        let r = tick(&t, &accounts, &dir, &SyncOptions { full: !net_moves, ..options.clone() }).await;
        if net_moves {
            assert_eq!(r.stats.full_ticks, 0, "act {i}: an incremental tick");
            assert_eq!(r.stats.escalations, 0, "act {i}: the incremental tick explained the move");
        }
        let categories = r.spent.paths.get("/api/v3/account/financial-records").copied().unwrap_or_default();
        assert!(categories >= 6, "act {i}: every category read: {:?}", r.spent.paths);
        assert!(compare(&sb, &accounts, &dir).is_empty(), "act {i}: the ledger equals the truth");
    }
    assert!(loans(&dir) > before, "the loans are in the ledger");
    let (principal, interest) = m.owed("BTC");
    assert!(principal + interest > Decimal::ZERO, "the account ends owing");
    let balances: BTreeMap<String, BTreeMap<String, String>> =
        serde_json::from_slice(&std::fs::read(dir.join("balances.json")).unwrap()).unwrap();
    let net: Decimal = balances["bitget/unified/unified"].get("BTC").map_or(Decimal::ZERO, |v| v.parse().unwrap());
    let truth = simvenues::truth::balances(&sb.served());
    let expected = truth.get("bitget/unified/unified").and_then(|b| b.get("BTC")).copied().unwrap_or_default();
    assert_eq!(net, expected, "BTC net of what is owed, as the venue showed it then");
}
