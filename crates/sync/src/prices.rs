//! Prices for valuation, read from the venues' public market data: daily klines for history (each kline gives the
//! open price at its open time and the close at its close time, so the price in force at a time never comes from
//! the future) and the latest ticker for now. Which market prices an asset is [`venues::market::price_markets`]'s
//! chain (docs/accounting.md §10, "Valuation"): `XUSDT` on Binance, then on Bitget; a fiat currency (the reporting
//! currency among them) its usual symbol (`EURUSDT`, or `USDTTRY` the other way round), then the other way round,
//! on Binance then Bitget. Every point is the market's own price, asset and quote as the symbol has them
//! (`USDT/TRY 34.2` from `USDTTRY`): the engine inverts a rate exactly when it converts (it keeps the fraction and
//! divides once), so nothing is rounded here. How the requests and answers read is [`venues::market`]'s; this is
//! the plan: which assets, from when, on which venue.

use std::collections::{BTreeMap, BTreeSet};

use catalogue::Venue;
use ledger::{Decimal, PricePoint, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use venues::market::{self, KLINES_PER_REQUEST, PriceMarket};
use venues::{ApiProblem, Request, Transport, TransportError, VenueError};

use crate::plan::DAY;

/// Cached prices and how far each asset is covered.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PriceCache {
    /// Every point, any order.
    pub points: Vec<PricePoint>,
    /// asset -> open time of the last complete daily kline read.
    pub covered_until: BTreeMap<String, i64>,
    /// Assets no market of their chain lists (shown as missing prices).
    pub unpriced: BTreeSet<String>,
}

/// Prices that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PriceError {
    /// No answer (the relay or the network).
    #[error("{0}")]
    Transport(#[from] TransportError),
    /// The venue refused the request or answered something unexpected.
    #[error(transparent)]
    Venue(#[from] VenueError),
}

async fn get<T: Transport>(t: &T, req: &Request) -> Result<Value, PriceError> {
    let resp = t.send(req).await?;
    Ok(venues::transport::decode(req.endpoint.venue, req.endpoint.path, &resp)?)
}

/// The answer, or `None` when the venue does not list the symbol.
async fn listed<T: Transport>(t: &T, req: &Request) -> Result<Option<Value>, PriceError> {
    match get(t, req).await {
        Err(PriceError::Venue(e)) if e.problem() == Some(ApiProblem::UnknownSymbol) => Ok(None),
        other => other.map(Some),
    }
}

fn point(m: &PriceMarket, time: i64, price: Decimal) -> PricePoint {
    PricePoint { time: Timestamp(time), asset: m.asset.clone(), quote: m.quote.clone(), price }
}

/// Daily points of one market from `from` (ms) and the open time of the last closed day read; `None` when the venue
/// does not list the symbol or has no day from `from`.
async fn daily_on<T: Transport>(
    t: &T,
    m: &PriceMarket,
    from: i64,
    now: i64,
) -> Result<Option<(Vec<PricePoint>, i64)>, PriceError> {
    let mut points = Vec::new();
    let mut last_open = None;
    let mut start = from;
    match m.venue {
        // Binance: forward from `from`, a page of klines per request.
        Venue::Binance => loop {
            let Some(data) = listed(t, &market::binance_daily_klines(&m.symbol, start)).await? else { break };
            let klines = market::binance_klines(&data)?;
            let n = klines.len();
            for k in klines {
                points.push(point(m, k.open_time, k.open));
                if k.close_time < now {
                    points.push(point(m, k.close_time, k.close));
                    last_open = Some(k.open_time);
                }
                start = k.open_time + DAY;
            }
            if n < KLINES_PER_REQUEST || start > now {
                break;
            }
        },
        // Bitget: candles in windows of a page, walking forward.
        Venue::Bitget => {
            while start <= now {
                let end = (start + (KLINES_PER_REQUEST as i64 - 1) * DAY).min(now);
                let req = market::bitget_daily_candles(&m.symbol, start, end);
                let Some(data) = listed(t, &req).await? else { break };
                for k in market::bitget_candles(&data)? {
                    points.push(point(m, k.open_time, k.open));
                    if k.close_time < now {
                        points.push(point(m, k.close_time, k.close));
                        last_open = Some(k.open_time);
                    }
                }
                start = end + 1;
            }
        }
    }
    Ok((!points.is_empty()).then(|| (points, last_open.unwrap_or(from - DAY))))
}

/// Daily points of `asset` from `from` (ms), from the first market of its chain that has them.
async fn daily<T: Transport>(
    t: &T,
    asset: &str,
    from: i64,
    now: i64,
) -> Result<Option<(Vec<PricePoint>, i64)>, PriceError> {
    for m in market::price_markets(asset) {
        if let Some(found) = daily_on(t, &m, from, now).await? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// The latest prices from Binance's ticker, as points at `now`: for each asset, the first Binance market of its
/// chain that the ticker has.
async fn latest<T: Transport>(t: &T, assets: &BTreeSet<String>, now: i64) -> Result<Vec<PricePoint>, PriceError> {
    let data = get(t, &market::binance_latest_prices()).await?;
    let ticker: BTreeMap<String, Decimal> = market::binance_latest(&data)?.into_iter().collect();
    Ok(assets
        .iter()
        .filter_map(|asset| {
            market::price_markets(asset)
                .into_iter()
                .filter(|m| m.venue == Venue::Binance)
                .find_map(|m| ticker.get(&m.symbol).map(|price| point(&m, now, *price)))
        })
        .collect())
}

/// Brings the cache up to date for `assets` (those that need a price, the reporting currency among them) from
/// `first_ms` to `now`: the days after what is covered, and the latest price of each.
pub async fn refresh<T: Transport>(
    t: &T,
    cache: &mut PriceCache,
    assets: &BTreeSet<String>,
    first_ms: i64,
    now: i64,
) -> Result<(), PriceError> {
    let first_day = first_ms.div_euclid(DAY) * DAY;
    for asset in assets {
        // an unlisted crypto asset is not asked again; a fiat currency is (at most four requests), so a cache from
        // before its market was known, or listed, catches up
        if cache.unpriced.contains(asset) && market::fiat(asset).is_none() {
            continue;
        }
        let from = cache.covered_until.get(asset).map_or(first_day, |d| d + DAY);
        if from + DAY > now {
            continue;
        }
        match daily(t, asset, from, now).await? {
            Some((points, last)) => {
                cache.points.extend(points);
                cache.covered_until.insert(asset.clone(), last);
                cache.unpriced.remove(asset);
            }
            None => {
                cache.unpriced.insert(asset.clone());
            }
        }
    }
    cache.points.extend(latest(t, assets, now).await?);
    // the same (asset, quote, time) read twice (today's open on every refresh) is kept once; `USDT/TRY` and
    // `USDT/BRL` share an asset, not a series
    cache.points.sort_by(|a, b| (&a.asset, &a.quote, a.time).cmp(&(&b.asset, &b.quote, b.time)));
    cache.points.dedup_by(|a, b| a.asset == b.asset && a.quote == b.quote && a.time == b.time);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use catalogue::{BINANCE_KLINES, BINANCE_TICKER_PRICE, BITGET_CANDLES};
    use serde_json::json;
    use venues::Response;

    use super::*;

    /// Answers from a table: Binance lists BTC, Bitget lists BTC and XYZ; anything else is an unknown symbol.
    struct Venues {
        sent: RefCell<Vec<String>>,
    }

    fn answer(status: u16, body: Value) -> Response {
        Response { status, headers: Vec::new(), body: body.to_string().into_bytes() }
    }

    fn kline(day: i64, open: &str, close: &str) -> Value {
        json!([day * DAY, open, "0", "0", close, "0", (day + 1) * DAY - 1, "0", 0, "0", "0", "0"])
    }

    impl Transport for Venues {
        async fn send(&self, request: &Request) -> Result<Response, TransportError> {
            let q = request.path_and_query();
            self.sent.borrow_mut().push(q.clone());
            let has = |s: &str| q.contains(s);
            Ok(match *request.endpoint {
                BINANCE_KLINES if has("symbol=BTCUSDT") => {
                    answer(200, json!([kline(0, "10", "11"), kline(1, "11", "12"), kline(2, "12", "13")]))
                }
                // fiat: EUR the usual way round (EURUSDT), TRY the other way (USDTTRY)
                BINANCE_KLINES if has("symbol=EURUSDT") => {
                    answer(200, json!([kline(0, "1.1", "1.2"), kline(1, "1.2", "1.25"), kline(2, "1.25", "1.3")]))
                }
                BINANCE_KLINES if has("symbol=USDTTRY") => {
                    answer(200, json!([kline(0, "30", "31"), kline(1, "31", "32"), kline(2, "32", "33")]))
                }
                // CHF: on Binance neither way; Bitget has it the other way round than usual (CHFUSDT)
                BITGET_CANDLES if has("symbol=CHFUSDT") => answer(
                    200,
                    json!({"code": "00000", "msg": "success", "data": [
                        ["0", "1.1", "0", "0", "1.12", "0", "0", "0"],
                        [(DAY).to_string(), "1.12", "0", "0", "1.13", "0", "0", "0"]
                    ]}),
                ),
                BINANCE_KLINES => answer(400, json!({"code": -1121, "msg": "Invalid symbol."})),
                BITGET_CANDLES if has("symbol=XYZUSDT") => answer(
                    200,
                    json!({"code": "00000", "msg": "success", "data": [[(DAY).to_string(), "5", "0", "0", "6", "0", "0", "0"]]}),
                ),
                BITGET_CANDLES => {
                    answer(400, json!({"code": "40034", "msg": "Parameter does not exist", "data": null}))
                }
                BINANCE_TICKER_PRICE => answer(
                    200,
                    json!([{"symbol": "BTCUSDT", "price": "13.5"}, {"symbol": "XYZBTC", "price": "1"},
                           {"symbol": "EURUSDT", "price": "1.28"}, {"symbol": "USDTTRY", "price": "32.5"}]),
                ),
                other => panic!("unexpected {}", other.path),
            })
        }
        fn now_ms(&self) -> i64 {
            0
        }
        async fn sleep(&self, _ms: u64) {}
    }

    /// Runs a future that never waits (the table answers at once).
    fn run<F: Future>(f: F) -> F::Output {
        let mut f = pin!(f);
        match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("the table transport never waits"),
        }
    }

    fn prices(cache: &PriceCache, asset: &str) -> Vec<(i64, String)> {
        cache.points.iter().filter(|p| p.asset == asset).map(|p| (p.time.0, p.price.to_string())).collect()
    }

    #[test]
    fn binance_first_then_bitget_and_an_asset_neither_lists_is_unpriced() {
        let t = Venues { sent: RefCell::new(Vec::new()) };
        let assets: BTreeSet<String> = ["BTC", "XYZ", "NOPE"].map(String::from).into();
        let mut cache = PriceCache::default();
        // noon of day 2: days 0 and 1 are closed, day 2 is open
        let now = 2 * DAY + DAY / 2;
        run(refresh(&t, &mut cache, &assets, 0, now)).unwrap();
        let btc = prices(&cache, "BTC");
        let closes = [(DAY - 1, "11".to_string()), (2 * DAY - 1, "12".to_string())];
        assert_eq!(btc[..2], [(0, "10".to_string()), closes[0].clone()]);
        assert!(btc.contains(&closes[1]) && btc.contains(&(2 * DAY, "12".into())), "{btc:?}");
        assert_eq!(btc.last(), Some(&(now, "13.5".to_string())), "the latest price at now");
        assert!(!btc.iter().any(|(t, _)| *t == 3 * DAY - 1), "day 2 has not closed: {btc:?}");
        assert_eq!(cache.covered_until["BTC"], DAY);
        // not on Binance (-1121): Bitget's candle of day 1
        assert_eq!(prices(&cache, "XYZ"), [(DAY, "5".to_string()), (2 * DAY - 1, "6".to_string())]);
        assert_eq!(cache.covered_until["XYZ"], DAY);
        // on neither (-1121, then 40034): unpriced, and not asked again
        assert_eq!(cache.unpriced, BTreeSet::from(["NOPE".to_string()]));
        let asked = t.sent.borrow().len();
        run(refresh(&t, &mut cache, &BTreeSet::from(["NOPE".to_string()]), 0, now)).unwrap();
        assert_eq!(t.sent.borrow().len(), asked + 1, "only the latest prices: {:?}", t.sent.borrow());
    }

    #[test]
    fn a_fiat_rate_from_its_usual_symbol_the_other_way_round_or_the_next_venue() {
        let t = Venues { sent: RefCell::new(Vec::new()) };
        let assets: BTreeSet<String> = ["EUR", "TRY", "CHF", "BRL"].map(String::from).into();
        let mut cache = PriceCache::default();
        let now = 2 * DAY + DAY / 2;
        run(refresh(&t, &mut cache, &assets, 0, now)).unwrap();
        let series = |asset: &str, quote: &str| -> Vec<(i64, String)> {
            let of = cache.points.iter().filter(|p| p.asset == asset && p.quote == quote);
            of.map(|p| (p.time.0, p.price.to_string())).collect()
        };
        // direct: EURUSDT's prices are EUR in USDT, history and now
        let eur = series("EUR", "USDT");
        assert_eq!(eur[..2], [(0, "1.1".to_string()), (DAY - 1, "1.2".to_string())]);
        assert_eq!(eur.last(), Some(&(now, "1.28".to_string())));
        // inverted: USDTTRY's prices are USDT in TRY, kept as the venue quotes them (the engine inverts exactly)
        let usdt_try = series("USDT", "TRY");
        assert_eq!(usdt_try[..2], [(0, "30".to_string()), (DAY - 1, "31".to_string())]);
        assert_eq!(usdt_try.last(), Some(&(now, "32.5".to_string())));
        assert!(series("TRY", "USDT").is_empty());
        // fallback: CHF is on neither of Binance's symbols, nor Bitget's usual USDTCHF: Bitget's CHFUSDT
        assert_eq!(
            series("CHF", "USDT"),
            [(0, "1.1".into()), (DAY - 1, "1.12".into()), (DAY, "1.12".into()), (2 * DAY - 1, "1.13".into())]
        );
        let sent = t.sent.borrow().clone();
        let chf: Vec<&String> = sent.iter().filter(|q| q.contains("CHF")).collect();
        let asked: Vec<&str> = chf.iter().map(|q| q.split(['?', '&']).nth(1).unwrap_or_default()).collect();
        // Binance's USDTCHF and CHFUSDT, then Bitget's USDTCHF and CHFUSDT (found)
        assert_eq!(asked, ["symbol=USDTCHF", "symbol=CHFUSDT", "symbol=USDTCHF", "symbol=CHFUSDT"], "{chf:?}");
        assert!(chf[2].starts_with("/api/v2/spot/market/candles"), "{chf:?}");
        // no market at all: unpriced, so the totals that need it say so
        assert_eq!(cache.unpriced, BTreeSet::from(["BRL".to_string()]));
        // a cache that marked TRY unpriced (as when only TRYUSDT was tried) reads it again; a crypto asset is not
        let mut stale = PriceCache { unpriced: ["TRY", "NOPE"].map(String::from).into(), ..PriceCache::default() };
        let asked = t.sent.borrow().len();
        run(refresh(&t, &mut stale, &["TRY", "NOPE"].map(String::from).into(), 0, now)).unwrap();
        assert_eq!(stale.unpriced, BTreeSet::from(["NOPE".to_string()]));
        assert_eq!(stale.covered_until.get("TRY"), Some(&DAY));
        assert_eq!(
            t.sent.borrow().len(),
            asked + 2,
            "USDTTRY's klines and the ticker: {:?}",
            &t.sent.borrow()[asked..]
        );
        for code in ["EUR", "TRY", "CHF"] {
            assert_eq!(cache.covered_until[code], DAY, "{code}");
        }
        // a BTC value in TRY, through the engine: 13.5 USDT x 32.5 TRY/USDT
        let mut points = cache.points.clone();
        run(refresh(&t, &mut cache, &BTreeSet::from(["BTC".to_string()]), 0, now)).unwrap();
        points.extend(cache.points.iter().filter(|p| p.asset == "BTC").cloned());
        let book = pnl::PriceBook::new(&points, true);
        assert_eq!(book.price("BTC", "TRY", Timestamp(now)), Some("438.75".parse().unwrap()));
        // and in EUR: 13.5 / 1.28, one division
        assert_eq!(
            book.price("BTC", "EUR", Timestamp(now)),
            Some("13.5".parse::<Decimal>().unwrap() / "1.28".parse::<Decimal>().unwrap())
        );
    }

    #[test]
    fn a_refused_request_that_is_not_an_unknown_symbol_fails_the_refresh() {
        struct Refusing;
        impl Transport for Refusing {
            async fn send(&self, _: &Request) -> Result<Response, TransportError> {
                Ok(answer(400, json!({"code": -1100, "msg": "Illegal characters found in parameter 'symbol'."})))
            }
            fn now_ms(&self) -> i64 {
                0
            }
            async fn sleep(&self, _ms: u64) {}
        }
        let mut cache = PriceCache::default();
        let err = run(refresh(&Refusing, &mut cache, &BTreeSet::from(["BTC".to_string()]), 0, 5 * DAY)).unwrap_err();
        assert!(matches!(&err, PriceError::Venue(e) if e.problem() == Some(ApiProblem::BadRequest)), "{err}");
        assert!(cache.unpriced.is_empty());
    }
}
