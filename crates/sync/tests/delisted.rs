//! Binance spot pairs exchangeInfo no longer lists (docs/sync.md, "Delisted pairs"), against a small in-process
//! fake of Binance with a virtual clock: the assets no listed symbol names get candidate pairs, asked in full cycles
//! only; a pair that answers trades is kept and read from its cursor; a -1121 is remembered, not an error, and not
//! asked again before its retry time; an asset whose trades were found nowhere is listed with what was tried.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use ledger::{Event, Position};
use serde_json::{Value, json};
use sync_engine::delisted::RETRY_MS;
use sync_engine::plan::DAY;
use sync_engine::{AccountConfig, Engine, Sink, SinkError, SyncOptions, SyncState};
use venues::parse::Balances;
use venues::{Credentials, Request, Response, Secret, Transport, TransportError};

const NOW: i64 = 1_800_000_000_000;

/// Binance with `BTCUSDT` and `ETHBTC` listed; the account holds BTC, USDT, FTT and LUNA. `FTTUSDT` (not listed)
/// still answers the account's one trade there; every other unlisted symbol answers -1121.
struct Fake {
    now: Cell<i64>,
    /// `myTrades` symbols asked, in order.
    asked: RefCell<Vec<String>>,
    /// `FTTUSDT` answers -1121 too (the venue stopped serving it).
    gone: Cell<bool>,
}

fn q(req: &Request) -> BTreeMap<String, String> {
    req.query.split('&').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn ok(v: Value) -> Response {
    Response { status: 200, headers: vec![], body: v.to_string().into_bytes() }
}

impl Fake {
    fn answer(&self, req: &Request) -> Response {
        let p = q(req);
        let body = match req.endpoint.path {
            "/api/v3/time" | "/fapi/v1/time" => json!({"serverTime": self.now.get()}),
            "/api/v3/exchangeInfo" => json!({"symbols": [
                {"symbol": "BTCUSDT", "status": "TRADING", "baseAsset": "BTC", "quoteAsset": "USDT"},
                {"symbol": "ETHBTC", "status": "BREAK", "baseAsset": "ETH", "quoteAsset": "BTC"}]}),
            "/api/v3/account" => json!({"balances": [
                {"asset": "BTC", "free": "1", "locked": "0"}, {"asset": "USDT", "free": "5", "locked": "0"},
                {"asset": "FTT", "free": "0.5", "locked": "0"}, {"asset": "LUNA", "free": "3", "locked": "0"}]}),
            "/fapi/v3/account" | "/dapi/v1/account" => json!({"assets": [], "positions": []}),
            "/api/v3/myTrades" => {
                let sym = p["symbol"].clone();
                self.asked.borrow_mut().push(sym.clone());
                let from: u64 = p.get("fromId").map_or(0, |v| v.parse().unwrap());
                match sym.as_str() {
                    "BTCUSDT" | "ETHBTC" => json!([]),
                    "FTTUSDT" if from <= 7 && !self.gone.get() => {
                        json!([{"symbol": "FTTUSDT", "id": 7, "orderId": 70, "orderListId": -1,
                        "price": "2.5", "qty": "0.5", "quoteQty": "1.25", "commission": "0.00125",
                        "commissionAsset": "USDT", "time": NOW - 30 * DAY, "isBuyer": true, "isMaker": false,
                        "isBestMatch": true}])
                    }
                    "FTTUSDT" if !self.gone.get() => json!([]),
                    _ => {
                        let body = json!({"code": -1121, "msg": "Invalid symbol."}).to_string().into_bytes();
                        return Response { status: 400, headers: vec![], body };
                    }
                }
            }
            "/sapi/v1/asset/transfer" => json!({"total": 0}),
            "/sapi/v1/convert/tradeFlow" => json!({"list": [], "moreData": false}),
            "/sapi/v1/asset/dribblet" => json!({"total": 0, "userAssetDribblets": []}),
            path if path.starts_with("/sapi/v1/simple-earn/") || path == "/sapi/v1/asset/assetDividend" => {
                json!({"rows": [], "total": 0})
            }
            _ => json!([]),
        };
        ok(body)
    }
}

impl Transport for Fake {
    fn send(&self, req: &Request) -> impl Future<Output = Result<Response, TransportError>> {
        self.now.set(self.now.get() + 5);
        std::future::ready(Ok(self.answer(req)))
    }
    fn now_ms(&self) -> i64 {
        self.now.get()
    }
    fn sleep(&self, ms: u64) -> impl Future<Output = ()> {
        self.now.set(self.now.get() + ms as i64);
        std::future::ready(())
    }
}

#[derive(Default)]
struct Memory {
    events: BTreeMap<String, Event>,
}

impl Sink for Memory {
    fn checkpoint(&mut self, _: &SyncState, events: &[Event]) -> Result<(), SinkError> {
        self.events.extend(events.iter().map(|e| (e.id.clone(), e.clone())));
        Ok(())
    }
    fn snapshot(&mut self, _: &str, _: &Balances, _: &[Position]) -> Result<(), SinkError> {
        Ok(())
    }
}

/// One sync at venue time `at` (a full cycle when `full`); the `myTrades` symbols it asked.
fn sync(fake: &Fake, state: &mut SyncState, sink: &mut Memory, at: i64, full: bool) -> Vec<String> {
    fake.now.set(at);
    fake.asked.borrow_mut().clear();
    let account = AccountConfig {
        credentials: Credentials::new(catalogue::Venue::Binance, "main", "key", Secret::new("secret"), None),
    };
    let mut engine = Engine::new(fake, SyncOptions { full, ..SyncOptions::default() });
    let mut fut = pin!(engine.sync(std::slice::from_ref(&account), state, sink));
    let Poll::Ready(results) = fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) else {
        panic!("the fake answers at once")
    };
    for (a, r) in results {
        r.unwrap_or_else(|e| panic!("{a}: {e} after {:?}", fake.asked.borrow()));
    }
    fake.asked.borrow().clone()
}

#[test]
fn a_minus_1121_candidate_is_remembered_and_not_asked_again_before_its_retry_time() {
    let fake = Fake { now: Cell::new(NOW), asked: RefCell::new(Vec::new()), gone: Cell::new(false) };
    let (mut state, mut sink) = (SyncState::new(), Memory::default());
    // the backfill: FTT and LUNA are named by no listed symbol; the quotes are USDT and BTC
    let asked = sync(&fake, &mut state, &mut sink, NOW, true);
    assert_eq!(asked, ["BTCUSDT", "ETHBTC", "FTTBTC", "FTTUSDT", "LUNABTC", "LUNAUSDT"]);
    let st = &state.accounts["binance/main"];
    assert_eq!(st.delisted["FTTUSDT"], ("FTT".to_string(), "USDT".to_string()), "answered trades: kept");
    assert_eq!(st.no_pair.keys().collect::<Vec<_>>(), ["FTTBTC", "LUNABTC", "LUNAUSDT"]);
    assert!(st.no_pair.values().all(|t| *t >= NOW), "remembered with the time asked");
    assert!(
        sink.events.contains_key("binance/main/spot:trade:FTTUSDT:7"),
        "the delisted pair's trade is in the ledger"
    );
    // an incremental tick never asks for candidates
    let asked = sync(&fake, &mut state, &mut sink, NOW + 60_000, false);
    assert!(asked.iter().all(|s| s != "FTTBTC" && !s.starts_with("LUNA")), "{asked:?}");
    // a full cycle a day later: the kept pair from its cursor like a listed one, the -1121 ones not asked
    let asked = sync(&fake, &mut state, &mut sink, NOW + DAY, true);
    assert_eq!(asked, ["BTCUSDT", "ETHBTC", "FTTUSDT"]);
    assert_eq!(state.accounts["binance/main"].next_id["BinanceSpotTrades:FTTUSDT"], 8);
    // and still not just before the retry time, but again after it
    let asked = sync(&fake, &mut state, &mut sink, NOW + RETRY_MS - DAY, true);
    assert_eq!(asked, ["BTCUSDT", "ETHBTC", "FTTUSDT"]);
    let asked = sync(&fake, &mut state, &mut sink, NOW + RETRY_MS + DAY, true);
    assert_eq!(asked, ["BTCUSDT", "ETHBTC", "FTTUSDT", "FTTBTC", "LUNABTC", "LUNAUSDT"]);
    assert!(state.accounts["binance/main"].no_pair.values().all(|t| *t >= NOW + RETRY_MS + DAY), "asked again then");
}

#[test]
fn an_asset_whose_trades_are_found_nowhere_is_listed_with_what_was_tried() {
    let fake = Fake { now: Cell::new(NOW), asked: RefCell::new(Vec::new()), gone: Cell::new(false) };
    let (mut state, mut sink) = (SyncState::new(), Memory::default());
    sync(&fake, &mut state, &mut sink, NOW, true);
    let unfound = &state.accounts["binance/main"].unfound_trades;
    assert_eq!(unfound.keys().collect::<Vec<_>>(), ["LUNA"], "FTT's trades were found on FTTUSDT");
    assert_eq!(unfound["LUNA"], ["LUNABTC", "LUNAUSDT"]);
    // still listed by the next full cycle, which asks nothing new
    sync(&fake, &mut state, &mut sink, NOW + DAY, true);
    assert_eq!(state.accounts["binance/main"].unfound_trades["LUNA"], ["LUNABTC", "LUNAUSDT"]);
    // a kept pair that answers -1121 later: no error, no longer kept, and its asset is listed too
    fake.gone.set(true);
    sync(&fake, &mut state, &mut sink, NOW + 2 * DAY, true);
    let st = &state.accounts["binance/main"];
    assert!(st.delisted.is_empty() && !st.symbols.symbols.contains_key("FTTUSDT"));
    assert_eq!(st.unfound_trades["FTT"], ["FTTBTC", "FTTUSDT"]);
    assert!(sink.events.contains_key("binance/main/spot:trade:FTTUSDT:7"), "what was read stays");
}
