//! Prices for valuation, read from the venues' public market data: daily klines for history (each kline gives the
//! open price at its open time and the close at its close time, so the price in force at a time never comes from
//! the future) and the latest ticker for now. Binance first; Bitget's candles for assets Binance does not list. Every
//! point records its source in its quote (`USDT` from a `XUSDT` pair). Which requests the market data takes and how
//! its answers read is [`venues::market`]'s; this is the plan: which assets, from when, on which venue.

use std::collections::{BTreeMap, BTreeSet};

use ledger::{Decimal, PricePoint, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use venues::market::{self, KLINES_PER_REQUEST};
use venues::{ApiProblem, Request, Transport, TransportError, VenueError};

use crate::plan::DAY;

/// Cached prices and how far each asset is covered.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PriceCache {
    /// Every point, any order.
    pub points: Vec<PricePoint>,
    /// asset -> open time of the last complete daily kline read.
    pub covered_until: BTreeMap<String, i64>,
    /// Assets no venue quotes against USDT (shown as missing prices).
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

fn point(asset: &str, time: i64, price: Decimal) -> PricePoint {
    PricePoint { time: Timestamp(time), asset: asset.into(), quote: "USDT".into(), price }
}

/// Daily klines of `ASSETUSDT` from `from` (ms), Binance then Bitget. Returns points and the last open time read.
async fn daily<T: Transport>(
    t: &T,
    asset: &str,
    from: i64,
    now: i64,
) -> Result<Option<(Vec<PricePoint>, i64)>, PriceError> {
    let symbol = format!("{asset}USDT");
    let mut points = Vec::new();
    let mut last_open = None;
    let mut start = from;
    // Binance: forward from `from`, a page of klines per request.
    loop {
        let Some(data) = listed(t, &market::binance_daily_klines(&symbol, start)).await? else { break };
        let klines = market::binance_klines(&data)?;
        let n = klines.len();
        for k in klines {
            points.push(point(asset, k.open_time, k.open));
            if k.close_time < now {
                points.push(point(asset, k.close_time, k.close));
                last_open = Some(k.open_time);
            }
            start = k.open_time + DAY;
        }
        if n < KLINES_PER_REQUEST || start > now {
            break;
        }
    }
    if let Some(last) = last_open {
        return Ok(Some((points, last)));
    }
    if !points.is_empty() {
        return Ok(Some((points, from - DAY)));
    }
    // Bitget: candles, a page per request, newest window first is not guaranteed: walk forward by windows.
    let mut start = from;
    let mut found = false;
    while start <= now {
        let end = (start + (KLINES_PER_REQUEST as i64 - 1) * DAY).min(now);
        let Some(data) = listed(t, &market::bitget_daily_candles(&symbol, start, end)).await? else { break };
        for k in market::bitget_candles(&data)? {
            found = true;
            points.push(point(asset, k.open_time, k.open));
            if k.close_time < now {
                points.push(point(asset, k.close_time, k.close));
                last_open = Some(k.open_time);
            }
        }
        start = end + 1;
    }
    Ok(found.then(|| (points, last_open.unwrap_or(from - DAY))))
}

/// The latest prices of every Binance symbol, as points at `now`.
async fn latest<T: Transport>(t: &T, assets: &BTreeSet<String>, now: i64) -> Result<Vec<PricePoint>, PriceError> {
    let data = get(t, &market::binance_latest_prices()).await?;
    Ok(market::binance_latest(&data)?
        .into_iter()
        .filter_map(|(symbol, price)| {
            let asset = symbol.strip_suffix("USDT")?;
            assets.contains(asset).then(|| point(asset, now, price))
        })
        .collect())
}

/// Brings the cache up to date for `assets` (those that need a price) from `first_ms` to `now`: the days after what
/// is covered, and the latest price of each.
pub async fn refresh<T: Transport>(
    t: &T,
    cache: &mut PriceCache,
    assets: &BTreeSet<String>,
    first_ms: i64,
    now: i64,
) -> Result<(), PriceError> {
    let first_day = first_ms.div_euclid(DAY) * DAY;
    for asset in assets {
        if cache.unpriced.contains(asset) {
            continue;
        }
        let from = cache.covered_until.get(asset).map(|d| d + DAY).unwrap_or(first_day);
        if from + DAY > now {
            continue;
        }
        match daily(t, asset, from, now).await? {
            Some((points, last)) => {
                cache.points.extend(points);
                cache.covered_until.insert(asset.clone(), last);
            }
            None => {
                cache.unpriced.insert(asset.clone());
            }
        }
    }
    cache.points.extend(latest(t, assets, now).await?);
    // the same (asset, time) read twice (today's open on every refresh) is kept once
    cache.points.sort_by(|a, b| (&a.asset, a.time).cmp(&(&b.asset, b.time)));
    cache.points.dedup_by(|a, b| a.asset == b.asset && a.time == b.time);
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
                BINANCE_KLINES => answer(400, json!({"code": -1121, "msg": "Invalid symbol."})),
                BITGET_CANDLES if has("symbol=XYZUSDT") => answer(
                    200,
                    json!({"code": "00000", "msg": "success", "data": [[(DAY).to_string(), "5", "0", "0", "6", "0", "0", "0"]]}),
                ),
                BITGET_CANDLES => {
                    answer(400, json!({"code": "40034", "msg": "Parameter does not exist", "data": null}))
                }
                BINANCE_TICKER_PRICE => {
                    answer(200, json!([{"symbol": "BTCUSDT", "price": "13.5"}, {"symbol": "XYZBTC", "price": "1"}]))
                }
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
