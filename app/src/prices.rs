//! Prices for valuation, read from the venues' public market data through the relay: daily klines for history
//! (each kline gives the open price at its open time and the close at its close time, so the price in force at a
//! time never comes from the future) and the latest ticker for now. Binance first; Bitget's candles for assets
//! Binance does not list. Every point records its source in its quote (`USDT` from a `XUSDT` pair).

use std::collections::{BTreeMap, BTreeSet};

use catalogue::{BINANCE_KLINES, BINANCE_TICKER_PRICE, BITGET_CANDLES, Endpoint};
use ledger::{Decimal, PricePoint, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use venues::{Transport, request};

const DAY: i64 = 86_400_000;

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

fn dec(v: &Value) -> Option<Decimal> {
    v.as_str()?.parse().ok()
}

fn int(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str()?.parse().ok())
}

async fn get<T: Transport>(t: &T, endpoint: &'static Endpoint, params: &[(&str, String)]) -> Result<Value, String> {
    let req = request::public(endpoint, params);
    let resp = t.send(&req).await.map_err(|e| e.to_string())?;
    venues::transport::decode(endpoint.venue, req.endpoint.name, &resp).map_err(|e| e.to_string())
}

/// Daily klines of `ASSETUSDT` from `from` (ms), Binance then Bitget. Returns points and the last open time read.
async fn daily<T: Transport>(
    t: &T,
    asset: &str,
    from: i64,
    now: i64,
) -> Result<Option<(Vec<PricePoint>, i64)>, String> {
    let symbol = format!("{asset}USDT");
    let mut points = Vec::new();
    let mut last_open = None;
    let mut start = from;
    // Binance: up to 1000 klines per request.
    loop {
        let data = get(
            t,
            &BINANCE_KLINES,
            &[
                ("symbol", symbol.clone()),
                ("interval", "1d".into()),
                ("startTime", start.to_string()),
                ("limit", "1000".into()),
            ],
        )
        .await;
        let rows = match data {
            Ok(Value::Array(rows)) => rows,
            // -1121 invalid symbol: not on Binance
            Err(e) if e.contains("-1121") || e.to_lowercase().contains("invalid symbol") => break,
            Err(e) => return Err(e),
            Ok(_) => return Err("Binance klines: not an array".into()),
        };
        let n = rows.len();
        for row in rows {
            let (Some(open_t), Some(open), Some(close), Some(close_t)) =
                (int(&row[0]), dec(&row[1]), dec(&row[4]), int(&row[6]))
            else {
                return Err(format!("Binance klines {symbol}: malformed row"));
            };
            points.push(PricePoint { time: Timestamp(open_t), asset: asset.into(), quote: "USDT".into(), price: open });
            if close_t < now {
                points.push(PricePoint {
                    time: Timestamp(close_t),
                    asset: asset.into(),
                    quote: "USDT".into(),
                    price: close,
                });
                last_open = Some(open_t);
            }
            start = open_t + DAY;
        }
        if n < 1000 || start > now {
            break;
        }
    }
    if let Some(last) = last_open {
        return Ok(Some((points, last)));
    }
    if !points.is_empty() {
        return Ok(Some((points, from - DAY)));
    }
    // Bitget: candles, up to 1000 per request, newest window first is not guaranteed: walk forward by windows.
    let mut start = from;
    let mut found = false;
    while start <= now {
        let end = (start + 999 * DAY).min(now);
        let data = get(
            t,
            &BITGET_CANDLES,
            &[
                ("symbol", symbol.clone()),
                ("granularity", "1day".into()),
                ("startTime", start.to_string()),
                ("endTime", end.to_string()),
                ("limit", "1000".into()),
            ],
        )
        .await;
        let rows = match data {
            Ok(Value::Array(rows)) => rows,
            Err(e) if e.contains("40034") || e.to_lowercase().contains("not exist") => break,
            Err(e) => return Err(e),
            Ok(_) => return Err("Bitget candles: not an array".into()),
        };
        for row in rows {
            let (Some(open_t), Some(open), Some(close)) = (int(&row[0]), dec(&row[1]), dec(&row[4])) else {
                return Err(format!("Bitget candles {symbol}: malformed row"));
            };
            found = true;
            points.push(PricePoint { time: Timestamp(open_t), asset: asset.into(), quote: "USDT".into(), price: open });
            if open_t + DAY <= now {
                points.push(PricePoint {
                    time: Timestamp(open_t + DAY - 1),
                    asset: asset.into(),
                    quote: "USDT".into(),
                    price: close,
                });
                last_open = Some(open_t);
            }
        }
        start = end + 1;
    }
    Ok(found.then(|| (points, last_open.unwrap_or(from - DAY))))
}

/// The latest prices of every Binance symbol, as points at `now`.
async fn latest<T: Transport>(t: &T, assets: &BTreeSet<String>, now: i64) -> Result<Vec<PricePoint>, String> {
    let data = get(t, &BINANCE_TICKER_PRICE, &[]).await?;
    let rows = data.as_array().ok_or("Binance ticker: not an array")?;
    let mut out = Vec::new();
    for row in rows {
        let (Some(symbol), Some(price)) = (row["symbol"].as_str(), dec(&row["price"])) else { continue };
        if let Some(asset) = symbol.strip_suffix("USDT")
            && assets.contains(asset)
        {
            out.push(PricePoint { time: Timestamp(now), asset: asset.into(), quote: "USDT".into(), price });
        }
    }
    Ok(out)
}

/// Brings the cache up to date for `assets` from `first_day` (ms) to `now`.
pub async fn refresh<T: Transport>(
    t: &T,
    cache: &mut PriceCache,
    assets: &BTreeSet<String>,
    first_ms: i64,
    now: i64,
) -> Result<(), String> {
    let first_day = first_ms.div_euclid(DAY) * DAY;
    let priced: BTreeSet<String> =
        assets.iter().filter(|a| !pnl::USD_STABLECOINS.contains(&a.as_str()) && a.as_str() != "USD").cloned().collect();
    for asset in &priced {
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
    cache.points.extend(latest(t, &priced, now).await?);
    // the same (asset, time) read twice (today's open on every refresh) is kept once
    cache.points.sort_by(|a, b| (&a.asset, a.time).cmp(&(&b.asset, b.time)));
    cache.points.dedup_by(|a, b| a.asset == b.asset && a.time == b.time);
    Ok(())
}
