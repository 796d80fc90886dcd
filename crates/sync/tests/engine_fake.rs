//! The engine against a small in-process fake of Binance with a virtual clock: paging across window and page
//! limits, retries through injected faults, the weight budget, and resuming after being killed at random points.
//! (The end-to-end tests against the simulated venues and the relay are in `sandbox.rs`.)

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use catalogue::Method;
use ledger::{Event, EventKind};
use serde_json::{Value, json};
use sync_engine::native::DirStore;
use sync_engine::plan::DAY;
use sync_engine::{AccountConfig, Engine, Sink, SyncOptions};
use venues::{Credentials, Request, Response, Secret, Transport, TransportError};

mod common;

use common::tmp;

const NOW: i64 = 1_800_000_000_000;

struct World {
    trades: BTreeMap<&'static str, Vec<(u64, i64)>>,
    deposits: Vec<(String, i64)>,
    income: Vec<(u64, i64)>,
    /// USDⓈ-M fills of BTCUSDT: more than a page per week, two per millisecond.
    futures: Vec<(u64, i64)>,
    /// Asset dividends: more than two pages of 500 in one window, three per millisecond.
    dividends: Vec<(u64, i64)>,
}

fn world() -> World {
    let mut r = fastrand::Rng::with_seed(7);
    let mut trades = BTreeMap::new();
    for (sym, n) in [("BTCUSDT", 2345u64), ("ETHBTC", 1000), ("XRPUSDT", 3)] {
        let mut rows: Vec<(u64, i64)> =
            (0..n).map(|i| (i * 3 + 1, NOW - 80 * DAY + (r.u64(..79 * DAY as u64)) as i64)).collect();
        rows.sort_by_key(|x| x.0);
        trades.insert(sym, rows);
    }
    let mut deposits: Vec<(String, i64)> =
        (0..2500).map(|i| (format!("d{i}"), NOW - 85 * DAY + (r.u64(..84 * DAY as u64)) as i64)).collect();
    deposits.sort_by_key(|d| d.1);
    // income: many rows share a millisecond (funding of several positions at once)
    let mut income = Vec::new();
    for i in 0..2600u64 {
        let t = NOW - 80 * DAY + (i / 4) as i64 * 3_600_000;
        income.push((i + 1, t));
    }
    let futures = (0..2300u64).map(|i| (i + 1, NOW - 30 * DAY + (i / 2) as i64 * 600_000)).collect();
    let dividends = (0..1300u64).map(|i| (i + 1, NOW - 60 * DAY + (i / 3) as i64 * 3_600_000)).collect();
    World { trades, deposits, income, futures, dividends }
}

struct Fake {
    world: World,
    now: Cell<i64>,
    requests: Cell<u64>,
    fault_rate: u64,
    rng: RefCell<fastrand::Rng>,
    kill_at: Option<u64>,
    killed: Cell<bool>,
    paths: RefCell<BTreeSet<(String, String)>>,
    /// The `transactionType` of each fiat order read, in order.
    fiat_orders: RefCell<Vec<String>>,
}

fn q(req: &Request) -> BTreeMap<String, String> {
    req.query.split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn ok(v: Value) -> Response {
    Response { status: 200, headers: vec![], body: v.to_string().into_bytes() }
}

impl Fake {
    fn new(fault_rate: u64, seed: u64, kill_at: Option<u64>) -> Self {
        Fake {
            world: world(),
            now: Cell::new(NOW),
            requests: Cell::new(0),
            fault_rate,
            rng: RefCell::new(fastrand::Rng::with_seed(seed)),
            kill_at,
            killed: Cell::new(false),
            paths: RefCell::new(BTreeSet::new()),
            fiat_orders: RefCell::new(Vec::new()),
        }
    }

    fn answer(&self, req: &Request) -> Response {
        let p = q(req);
        let int = |k: &str| p.get(k).map(|v| v.parse::<i64>().unwrap());
        let path = req.endpoint.path;
        let body = match path {
            "/api/v3/time" | "/fapi/v1/time" => json!({"serverTime": self.now.get()}),
            "/api/v3/exchangeInfo" => json!({"symbols": [
                {"symbol": "BTCUSDT", "baseAsset": "BTC", "quoteAsset": "USDT"},
                {"symbol": "ETHBTC", "baseAsset": "ETH", "quoteAsset": "BTC"},
                {"symbol": "XRPUSDT", "baseAsset": "XRP", "quoteAsset": "USDT"},
                {"symbol": "DOGEEUR", "baseAsset": "DOGE", "quoteAsset": "EUR"}]}),
            "/sapi/v1/account/apiRestrictions" => json!({"ipRestrict": true, "enableReading": true}),
            "/api/v3/account" => {
                json!({"balances": [{"asset": "BTC", "free": "1", "locked": "0"}, {"asset": "USDT", "free": "5", "locked": "1"}]})
            }
            "/sapi/v1/asset/get-funding-asset" | "/fapi/v3/positionRisk" => json!([]),
            // an account that never used margin: no margin history is read
            "/sapi/v1/margin/account" => json!({"created": false, "userAssets": []}),
            "/fapi/v3/account" => json!({"assets": [{"asset": "USDT", "walletBalance": "10"}], "positions": []}),
            // an account without COIN-M: no wallet, no position, no income
            "/dapi/v1/account" => json!({"assets": [{"asset": "BTC", "walletBalance": "0.00000000"}], "positions": []}),
            "/dapi/v1/income" => {
                let (s, e) = (int("startTime").unwrap(), int("endTime").unwrap());
                assert!(e - s <= 365 * DAY, "COIN-M income window");
                json!([])
            }
            "/api/v3/myTrades" => {
                let sym = p["symbol"].as_str();
                let from = int("fromId").unwrap() as u64;
                let limit = int("limit").unwrap() as usize;
                assert!(limit <= 1000);
                let rows: Vec<Value> = self
                    .world
                    .trades
                    .get(sym)
                    .into_iter()
                    .flatten()
                    .filter(|(id, _)| *id >= from)
                    .take(limit)
                    .map(|(id, t)| {
                        json!({"symbol": sym, "id": id, "price": "1", "qty": "2", "quoteQty": "2",
                        "commission": "0.001", "commissionAsset": "BNB", "time": t, "isBuyer": id % 2 == 0})
                    })
                    .collect();
                Value::Array(rows)
            }
            "/sapi/v1/capital/deposit/hisrec" => {
                let (s, e) = (int("startTime").unwrap(), int("endTime").unwrap());
                assert!(e - s < 90 * DAY, "deposit window too long");
                let (offset, limit) = (int("offset").unwrap() as usize, int("limit").unwrap() as usize);
                let rows: Vec<Value> = self.world.deposits.iter().rev()
                    .filter(|(_, t)| *t >= s && *t <= e).skip(offset).take(limit)
                    .map(|(id, t)| json!({"id": id, "amount": "1", "coin": "ETH", "status": 1, "txId": id, "insertTime": t}))
                    .collect();
                Value::Array(rows)
            }
            "/fapi/v1/income" => {
                let (s, e) = (int("startTime").unwrap(), int("endTime").unwrap());
                let limit = int("limit").unwrap() as usize;
                let rows: Vec<Value> = self
                    .world
                    .income
                    .iter()
                    .filter(|(_, t)| *t >= s && *t <= e)
                    .take(limit)
                    .map(|(id, t)| {
                        json!({"symbol": "BTCUSDT", "incomeType": "FUNDING_FEE", "income": "-0.1",
                        "asset": "USDT", "time": t, "tranId": id})
                    })
                    .collect();
                Value::Array(rows)
            }
            "/fapi/v1/userTrades" => {
                assert_eq!(p["symbol"], "BTCUSDT", "the symbol comes from the income rows");
                assert!(!p.contains_key("fromId"), "fromId cannot go with startTime/endTime");
                let (s, e) = (int("startTime").unwrap(), int("endTime").unwrap());
                assert!(e - s <= 7 * DAY && s >= self.now.get() - 180 * DAY, "userTrades window");
                let limit = int("limit").unwrap() as usize;
                assert!(limit <= 1000);
                let rows: Vec<Value> = self
                    .world
                    .futures
                    .iter()
                    .filter(|(_, t)| *t >= s && *t <= e)
                    .take(limit)
                    .map(|(id, t)| {
                        json!({"buyer": id % 2 == 0, "commission": "0.01", "commissionAsset": "USDT", "id": id,
                        "maker": false, "orderId": id + 100, "price": "60000", "qty": "0.001", "quoteQty": "60",
                        "realizedPnl": "0", "side": if id % 2 == 0 { "BUY" } else { "SELL" }, "positionSide": "BOTH",
                        "symbol": "BTCUSDT", "time": t})
                    })
                    .collect();
                Value::Array(rows)
            }
            "/sapi/v1/capital/withdraw/history" => json!([]),
            "/sapi/v1/asset/transfer" => json!({"total": 0}),
            "/sapi/v1/convert/tradeFlow" => {
                let (s, e) = (int("startTime").unwrap(), int("endTime").unwrap());
                assert!(e - s <= 30 * DAY, "convert window too long");
                json!({"list": [], "moreData": false})
            }
            "/sapi/v1/asset/dribblet" => json!({"total": 0, "userAssetDribblets": []}),
            "/sapi/v1/asset/assetDividend" => {
                let (s, e) = (int("startTime").unwrap(), int("endTime").unwrap());
                assert!(e - s < 180 * DAY, "dividend window too long");
                let limit = int("limit").unwrap() as usize;
                assert!(limit <= 500);
                // oldest first, cut at `limit`: a client that paged by the oldest time of a page would miss rows
                let rows: Vec<&(u64, i64)> = self.world.dividends.iter().filter(|(_, t)| *t >= s && *t <= e).collect();
                let total = rows.len();
                let rows: Vec<Value> = rows
                    .into_iter()
                    .take(limit)
                    .map(|(id, t)| {
                        json!({"id": id, "amount": "0.5", "asset": "BNB", "divTime": t, "enInfo": "BNB distribution",
                        "tranId": id + 7})
                    })
                    .collect();
                json!({"rows": rows, "total": total})
            }
            // no fiat, card, P2P or Pay activity (docs/venues.md §1.15), the windows within what the sync plans
            "/sapi/v1/fiat/orders" | "/sapi/v1/fiat/payments" => {
                assert!(["0", "1"].contains(&p["transactionType"].as_str()), "transactionType is mandatory");
                let (s, e) = (int("beginTime").unwrap(), int("endTime").unwrap());
                assert!(e - s < 365 * DAY && int("rows").unwrap() <= 500 && !p.contains_key("startTime"));
                if path == "/sapi/v1/fiat/orders" {
                    self.fiat_orders.borrow_mut().push(p["transactionType"].clone());
                }
                json!({"code": "000000", "message": "success", "data": [], "total": 0, "success": true})
            }
            "/sapi/v1/c2c/orderMatch/listUserOrderHistory" => {
                let (s, e) = (int("startTime").unwrap(), int("endTime").unwrap());
                assert!(e - s < 30 * DAY && int("page").unwrap() >= 1, "P2P window too long");
                json!({"code": "000000", "message": "success", "data": [], "total": 0, "success": true})
            }
            "/sapi/v1/pay/transactions" => {
                let (s, e) = (int("startTime").unwrap(), int("endTime").unwrap());
                assert!(e - s < 90 * DAY && int("limit").unwrap() <= 100, "Pay window too long");
                json!({"code": "000000", "message": "success", "data": [], "success": true})
            }
            // an empty Simple Earn (positions and histories: `{"rows": [], "total": 0}`), windows at most 3 months
            path if path.starts_with("/sapi/v1/simple-earn/") => {
                if let (Some(s), Some(e)) = (int("startTime"), int("endTime")) {
                    assert!(e - s < 90 * DAY, "Simple Earn window too long");
                }
                json!({"rows": [], "total": 0})
            }
            // no ETH or SOL staking (docs/venues.md §1.16), windows at most 3 months, pages of 100 by `current`
            path if path.contains("-staking/") => {
                let (s, e) = (int("startTime").unwrap(), int("endTime").unwrap());
                assert!(e - s < 90 * DAY && int("size").unwrap() <= 100 && int("current").unwrap() >= 1, "{path}");
                json!({"rows": [], "total": 0})
            }
            other => panic!("unexpected path {other}"),
        };
        ok(body)
    }
}

impl Transport for Fake {
    fn send(&self, req: &Request) -> impl Future<Output = Result<Response, TransportError>> {
        let n = self.requests.get() + 1;
        self.requests.set(n);
        self.paths.borrow_mut().insert((req.endpoint.method.as_str().to_string(), req.endpoint.path.to_string()));
        assert!(catalogue::lookup(req.endpoint.venue, req.endpoint.method, req.endpoint.path).is_some());
        assert!(req.endpoint.method == Method::Get || *req.endpoint == catalogue::BINANCE_FUNDING_ASSETS);
        self.now.set(self.now.get() + 5);
        let killed = self.kill_at.is_some_and(|k| n >= k);
        if killed {
            self.killed.set(true);
        }
        let fault = self.fault_rate > 0 && self.rng.borrow_mut().u64(..100) < self.fault_rate;
        let result = if fault {
            match self.rng.borrow_mut().u64(..4) {
                0 => Err(TransportError("connection reset".into())),
                1 => Ok(Response { status: 503, headers: vec![], body: b"unavailable".to_vec() }),
                2 => Ok(Response { status: 429, headers: vec![("retry-after".into(), "1".into())], body: vec![] }),
                _ => {
                    let mut r = self.answer(req);
                    r.body.truncate(r.body.len() / 2);
                    Ok(r)
                }
            }
        } else {
            Ok(self.answer(req))
        };
        async move {
            if killed {
                std::future::pending::<()>().await;
            }
            result
        }
    }
    fn now_ms(&self) -> i64 {
        self.now.get()
    }
    fn sleep(&self, ms: u64) -> impl Future<Output = ()> {
        self.now.set(self.now.get() + ms as i64);
        std::future::ready(())
    }
}

fn account() -> AccountConfig {
    AccountConfig {
        credentials: Credentials::new(catalogue::Venue::Binance, "main", "key", Secret::new("secret"), None),
        copy_trading: false,
    }
}

/// Runs one sync to completion or until the fake kills it; `true` when it completed.
fn run_once(fake: &Fake, dir: &std::path::Path) -> (bool, u64, u64) {
    let (mut store, mut state) = DirStore::open(dir).unwrap();
    let mut engine = Engine::new(fake, SyncOptions { backoff_ms: 50, ..SyncOptions::default() });
    let accounts = [account()];
    let done = {
        let mut fut = pin!(engine.sync(&accounts, &mut state, &mut store));
        match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(results) => {
                for (a, r) in results {
                    r.unwrap_or_else(|e| panic!("{a}: {e}"));
                }
                true
            }
            Poll::Pending => false,
        }
    };
    if done {
        store.finish().unwrap();
    }
    (done, engine.stats.requests, engine.stats.lower_bound)
}

fn expected_ids() -> BTreeSet<String> {
    let w = world();
    let mut ids = BTreeSet::new();
    for (sym, rows) in &w.trades {
        for (id, _) in rows {
            ids.insert(format!("binance/main/spot:trade:{sym}:{id}"));
        }
    }
    for (id, t) in &w.deposits {
        if *t >= NOW - 90 * DAY {
            ids.insert(format!("binance/main/spot:deposit:{id}"));
        }
    }
    for (id, _) in &w.income {
        ids.insert(format!("binance/main/usdm:income:FUNDING_FEE:{id}"));
    }
    for (id, _) in &w.futures {
        ids.insert(format!("binance/main/usdm:futures_trade:BTCUSDT:{id}"));
    }
    for (id, _) in &w.dividends {
        ids.insert(format!("binance/main/spot:dividend:{id}"));
    }
    ids
}

fn ledger_ids(dir: &std::path::Path) -> (Vec<Event>, BTreeSet<String>) {
    let text = std::fs::read(dir.join("ledger.jsonl")).unwrap();
    let events = ledger::read_ledger(text.as_slice(), "ledger.jsonl").unwrap();
    let ids: BTreeSet<String> = events.iter().map(|e| e.id.clone()).collect();
    assert_eq!(ids.len(), events.len(), "no duplicate ids in the ledger");
    (events, ids)
}

#[test]
fn backfill_reads_every_row_once_within_windows_and_pages() {
    let fake = Fake::new(0, 1, None);
    let dir = tmp("clean");
    let (done, requests, lower_bound) = run_once(&fake, &dir);
    assert!(done);
    let (events, ids) = ledger_ids(&dir);
    assert_eq!(ids, expected_ids());
    // DOGEEUR has neither asset in the account: never asked for
    assert!(!ids.iter().any(|i| i.contains("DOGE")));
    assert!(events.iter().all(|e| e.validate().is_ok()));
    let trades = events.iter().filter(|e| matches!(e.kind, EventKind::Trade { .. })).count();
    assert_eq!(trades, 2345 + 1000 + 3);
    let fills = events.iter().filter(|e| matches!(e.kind, EventKind::FuturesTrade { .. })).count();
    assert_eq!(fills, 2300, "every futures fill once, across 7-day windows and full pages");
    let dividends = events.iter().filter(|e| e.id.contains(":dividend:")).count();
    assert_eq!(dividends, 1300, "every dividend once: full pages bisect their window, whatever the order");
    // no retries, so the only overhead over the bound is the clock and key checks the bound counts too
    assert!(requests <= lower_bound + lower_bound / 5, "{requests} requests, lower bound {lower_bound}");
    let balances: Value = serde_json::from_slice(&std::fs::read(dir.join("balances.json")).unwrap()).unwrap();
    assert_eq!(balances["binance/main/spot"]["USDT"], "6");
    assert_eq!(balances["binance/main/usdm"]["USDT"], "10");
    // a second sync is incremental: far fewer requests, same ledger
    let (done, again, _) = run_once(&fake, &dir);
    assert!(done);
    // one request per snapshot and per stream instance: clock, 5 snapshots, deposits, withdrawals, each transfer
    // type, converts, dust, income, 3 spot symbols, 1 futures symbol
    let most = 15 + venues::parse::binance::TRANSFER_TYPES.len() as u64;
    assert!(again <= most && again < requests, "incremental sync used {again} requests, backfill {requests}");
    assert_eq!(ledger_ids(&dir).1, expected_ids());
    let paths = fake.paths.borrow();
    assert!(paths.iter().all(|(m, p)| {
        catalogue::lookup(catalogue::Venue::Binance, if m == "GET" { Method::Get } else { Method::Post }, p).is_some()
    }));
}

#[test]
fn faults_are_retried_without_gaps_or_duplicates() {
    for seed in [3, 4] {
        let fake = Fake::new(10, seed, None);
        let dir = tmp(&format!("faults{seed}"));
        let (done, requests, lower_bound) = run_once(&fake, &dir);
        assert!(done);
        assert_eq!(ledger_ids(&dir).1, expected_ids(), "seed {seed}");
        assert!(requests > lower_bound, "faults cost retries");
    }
}

#[test]
fn killed_at_random_points_then_resumed() {
    let mut r = fastrand::Rng::with_seed(11);
    let dir = tmp("kill");
    let mut kills = 0;
    for round in 0..40 {
        let kill_at = 1 + r.u64(..12);
        let fake = Fake::new(5, round, Some(kill_at));
        let (done, _, _) = run_once(&fake, &dir);
        if done {
            break;
        }
        assert!(fake.killed.get());
        kills += 1;
    }
    assert!(kills >= 3, "the sync should have been killed several times ({kills})");
    let fake = Fake::new(0, 99, None);
    assert!(run_once(&fake, &dir).0);
    assert_eq!(ledger_ids(&dir).1, expected_ids());
}

#[test]
fn budget_keeps_weight_under_half_the_limit() {
    // every myTrades page weighs 20: at most 2400 per minute at the default 40 % of 6000 (under half: 3000)
    let fake = Fake::new(0, 5, None);
    let dir = tmp("budget");
    let (mut store, mut state) = DirStore::open(&dir).unwrap();
    let mut engine = Engine::new(&fake, SyncOptions::default());
    let accounts = [account()];
    {
        let mut fut = pin!(engine.sync(&accounts, &mut state, &mut store));
        assert!(fut.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_ready());
    }
    let peak = engine.stats.peak_usage.get("binance_spot_ip").copied().unwrap();
    assert!(peak <= 2400, "peak {peak}");
    assert!(engine.stats.weight["binance_spot_ip"] > 0);
}

/// The fiat orders (90,000 UID weight each; docs/sync.md, "The tick"): the backfill reads the deposits and leaves
/// the withdrawals, which would wait a minute for the account's UID weight, to the next full cycle; an hourly cycle
/// reads neither again within a day; a day later the one read longest ago goes first and the other waits for the
/// next cycle again.
#[test]
fn fiat_orders_are_read_daily_one_a_cycle_when_the_other_would_wait() {
    let fake = Fake::new(0, 3, None);
    let dir = tmp("fiat_orders");
    let hour = 3_600_000;
    let mut reads = Vec::new();
    for step in [0, hour, hour, DAY, hour] {
        fake.now.set(fake.now.get() + step);
        assert!(run_once(&fake, &dir).0);
        reads.push(fake.fiat_orders.borrow_mut().drain(..).collect::<Vec<_>>().join(","));
    }
    assert_eq!(reads, ["0", "1", "", "0", "1"]);
}

#[allow(dead_code)]
fn _sink_is_object_safe(_: &mut dyn Sink) {}
