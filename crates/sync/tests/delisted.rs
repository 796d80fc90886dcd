//! Binance spot pairs exchangeInfo no longer lists (docs/sync.md, "Delisted pairs"), against a small in-process
//! fake of Binance with a virtual clock: the assets no listed symbol names get candidate pairs (against the quotes,
//! and as the quote of every other asset the account touched), asked in full cycles only; a pair that answers trades is kept and read from its cursor; a -1121 is remembered, not an error, and not
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

/// Binance with `BTCUSDT` and `ETHBTC` listed; the account holds BTC, USDT, FTT, LUNA and BUSD. `FTTUSDT` (not
/// listed) still answers the account's one trade there, and `BTCBUSD` (BUSD's pairs all left: it is the quote) its
/// one there; every other unlisted symbol answers -1121.
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
                {"asset": "FTT", "free": "0.5", "locked": "0"}, {"asset": "LUNA", "free": "3", "locked": "0"},
                {"asset": "BUSD", "free": "2", "locked": "0"}]}),
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
                    "BTCBUSD" if from <= 9 => {
                        json!([{"symbol": "BTCBUSD", "id": 9, "orderId": 90, "orderListId": -1,
                        "price": "20000", "qty": "0.001", "quoteQty": "20", "commission": "0.000001",
                        "commissionAsset": "BTC", "time": NOW - 40 * DAY, "isBuyer": true, "isMaker": false,
                        "isBestMatch": true}])
                    }
                    "BTCBUSD" => json!([]),
                    _ => {
                        let body = json!({"code": -1121, "msg": "Invalid symbol."}).to_string().into_bytes();
                        return Response { status: 400, headers: vec![], body };
                    }
                }
            }
            "/sapi/v1/asset/transfer" => json!({"total": 0}),
            // an account that never used margin: no margin history is read
            "/sapi/v1/margin/account" => json!({"created": false, "userAssets": []}),
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
        copy_trading: false,
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
    // the backfill: BUSD, FTT and LUNA are named by no listed symbol; the quotes are USDT and BTC; each orphan is
    // asked against the quotes, and each other asset the account touched against it
    let asked = sync(&fake, &mut state, &mut sink, NOW, true);
    let busd = ["BUSDBTC", "BUSDUSDT", "BTCBUSD", "FTTBUSD", "LUNABUSD", "USDTBUSD"];
    let ftt = ["FTTBTC", "FTTUSDT", "BTCFTT", "BUSDFTT", "LUNAFTT", "USDTFTT"];
    let luna = ["LUNABTC", "LUNAUSDT", "BTCLUNA", "BUSDLUNA", "FTTLUNA", "USDTLUNA"];
    assert_eq!(asked, [&["BTCUSDT", "ETHBTC"][..], &busd, &ftt, &luna].concat());
    let st = &state.accounts["binance/main"];
    assert_eq!(st.delisted["FTTUSDT"], ("FTT".to_string(), "USDT".to_string()), "answered trades: kept");
    assert_eq!(st.delisted["BTCBUSD"], ("BTC".to_string(), "BUSD".to_string()), "BUSD as the quote: kept");
    let mut unanswered: Vec<&str> = [busd, ftt, luna].concat();
    unanswered.retain(|s| *s != "FTTUSDT" && *s != "BTCBUSD");
    unanswered.sort();
    assert_eq!(st.no_pair.keys().collect::<Vec<_>>(), unanswered);
    assert!(st.no_pair.values().all(|t| *t >= NOW), "remembered with the time asked");
    for id in ["binance/main/spot:trade:FTTUSDT:7", "binance/main/spot:trade:BTCBUSD:9"] {
        assert!(sink.events.contains_key(id), "the delisted pair's trade {id} is in the ledger");
    }
    // an incremental tick never asks for candidates
    let asked = sync(&fake, &mut state, &mut sink, NOW + 60_000, false);
    assert!(asked.iter().all(|s| !unanswered.contains(&s.as_str())), "{asked:?}");
    // a full cycle a day later: the kept pairs from their cursors like listed ones, the -1121 ones not asked
    let kept = ["BTCUSDT", "ETHBTC", "BTCBUSD", "FTTUSDT"];
    let asked = sync(&fake, &mut state, &mut sink, NOW + DAY, true);
    assert_eq!(asked, kept);
    assert_eq!(state.accounts["binance/main"].next_id["BinanceSpotTrades:FTTUSDT"], 8);
    assert_eq!(state.accounts["binance/main"].next_id["BinanceSpotTrades:BTCBUSD"], 10);
    // and still not just before the retry time, but again after it
    let asked = sync(&fake, &mut state, &mut sink, NOW + RETRY_MS - DAY, true);
    assert_eq!(asked, kept);
    let asked = sync(&fake, &mut state, &mut sink, NOW + RETRY_MS + DAY, true);
    assert_eq!(&asked[..4], kept);
    let mut again = asked[4..].to_vec();
    again.sort();
    assert_eq!(again, unanswered, "every unanswered pair asked again after the retry time");
    assert!(state.accounts["binance/main"].no_pair.values().all(|t| *t >= NOW + RETRY_MS + DAY), "asked again then");
}

#[test]
fn an_asset_whose_trades_are_found_nowhere_is_listed_with_what_was_tried() {
    let fake = Fake { now: Cell::new(NOW), asked: RefCell::new(Vec::new()), gone: Cell::new(false) };
    let (mut state, mut sink) = (SyncState::new(), Memory::default());
    sync(&fake, &mut state, &mut sink, NOW, true);
    let unfound = &state.accounts["binance/main"].unfound_trades;
    assert_eq!(unfound.keys().collect::<Vec<_>>(), ["LUNA"], "FTT's trades were found on FTTUSDT, BUSD's on BTCBUSD");
    let luna = ["BTCLUNA", "BUSDLUNA", "FTTLUNA", "LUNABTC", "LUNAUSDT", "USDTLUNA"];
    assert_eq!(unfound["LUNA"], luna);
    // still listed by the next full cycle, which asks nothing new
    sync(&fake, &mut state, &mut sink, NOW + DAY, true);
    assert_eq!(state.accounts["binance/main"].unfound_trades["LUNA"], luna);
    // a kept pair that answers -1121 later: no error, no longer kept, and its asset is listed too
    fake.gone.set(true);
    sync(&fake, &mut state, &mut sink, NOW + 2 * DAY, true);
    let st = &state.accounts["binance/main"];
    assert!(!st.delisted.contains_key("FTTUSDT") && !st.symbols.symbols.contains_key("FTTUSDT"));
    assert!(st.delisted.contains_key("BTCBUSD"), "the other kept pair stays");
    assert_eq!(st.unfound_trades["FTT"], ["BTCFTT", "BUSDFTT", "FTTBTC", "FTTUSDT", "LUNAFTT", "USDTFTT"]);
    assert!(sink.events.contains_key("binance/main/spot:trade:FTTUSDT:7"), "what was read stays");
}
