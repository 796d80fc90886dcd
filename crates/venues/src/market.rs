//! Public market data for valuation: daily klines (Binance) and candles (Bitget) of a symbol, and Binance's latest
//! prices, as requests for the catalogue's endpoints and their answers parsed. A symbol the venue does not list is
//! refused with [`ApiProblem::UnknownSymbol`](crate::ApiProblem::UnknownSymbol).

use catalogue::{BINANCE_KLINES, BINANCE_TICKER_PRICE, BITGET_CANDLES, Endpoint, Venue};
use ledger::Decimal;
use serde_json::Value;

use crate::error::VenueError;
use crate::request::{self, Request};

/// One day in ms.
const DAY: i64 = 86_400_000;

/// Most klines (candles) one request returns, on either venue.
pub const KLINES_PER_REQUEST: usize = 1000;

/// One day of a symbol: its open price at its open time and its close price at its close time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kline {
    /// Open time, ms.
    pub open_time: i64,
    /// Open price.
    pub open: Decimal,
    /// Close price.
    pub close: Decimal,
    /// Close time, ms (the last millisecond of the day).
    pub close_time: i64,
}

/// How the venues usually quote a fiat currency against USDT: which way round its symbol is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FiatQuote {
    /// `EURUSDT`: the price is USDT per unit of the currency.
    Direct,
    /// `USDTTRY`: the price is units of the currency per USDT.
    Inverted,
}

/// The reporting currencies with a rate read from the venues' markets, and the way round their symbol usually is
/// (docs/accounting.md §10, "Valuation"): the first symbol tried. USD needs no rate (USDT and the other USD stablecoins
/// count as USD).
pub const FIAT: &[(&str, FiatQuote)] = &[
    ("EUR", FiatQuote::Direct),
    ("GBP", FiatQuote::Direct),
    ("AUD", FiatQuote::Direct),
    ("CHF", FiatQuote::Inverted),
    ("JPY", FiatQuote::Inverted),
    ("CAD", FiatQuote::Inverted),
    ("TRY", FiatQuote::Inverted),
    ("BRL", FiatQuote::Inverted),
];

/// How `code` is quoted, if it is one of the [`FIAT`] currencies.
pub fn fiat(code: &str) -> Option<FiatQuote> {
    FIAT.iter().find(|(c, _)| *c == code).map(|(_, q)| *q)
}

/// A market that prices `asset` in `quote`: one symbol on one venue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceMarket {
    /// Where.
    pub venue: Venue,
    /// The venue's symbol (`BTCUSDT`, `USDTTRY`).
    pub symbol: String,
    /// What one unit of is priced (`BTC`; `USDT` in `USDTTRY`).
    pub asset: String,
    /// In what (`USDT`; `TRY` in `USDTTRY`).
    pub quote: String,
}

/// The markets to read `asset`'s price from, in the order to try them (docs/accounting.md §10, "Valuation"): a crypto
/// asset `X` is `XUSDT` on Binance, then on Bitget; a [`FIAT`] currency is its usual symbol on Binance, the other
/// way round on Binance, then the same two on Bitget. The first market the venue lists is the one used.
pub fn price_markets(asset: &str) -> Vec<PriceMarket> {
    let m = |venue, base: &str, quote: &str| PriceMarket {
        venue,
        symbol: format!("{base}{quote}"),
        asset: base.to_string(),
        quote: quote.to_string(),
    };
    let ways: Vec<(&str, &str)> = match fiat(asset) {
        None => vec![(asset, "USDT")],
        Some(FiatQuote::Direct) => vec![(asset, "USDT"), ("USDT", asset)],
        Some(FiatQuote::Inverted) => vec![("USDT", asset), (asset, "USDT")],
    };
    [Venue::Binance, Venue::Bitget]
        .into_iter()
        .flat_map(|venue| ways.iter().map(move |(b, q)| m(venue, b, q)))
        .collect()
}

/// Binance's daily klines of `symbol` from `start` (ms), at most [`KLINES_PER_REQUEST`].
pub fn binance_daily_klines(symbol: &str, start: i64) -> Request {
    request::public(
        &BINANCE_KLINES,
        &[
            ("symbol", symbol.to_string()),
            ("interval", "1d".into()),
            ("startTime", start.to_string()),
            ("limit", KLINES_PER_REQUEST.to_string()),
        ],
    )
}

/// Bitget's daily candles of `symbol` from `start` to `end` (ms, inclusive), at most [`KLINES_PER_REQUEST`].
pub fn bitget_daily_candles(symbol: &str, start: i64, end: i64) -> Request {
    request::public(
        &BITGET_CANDLES,
        &[
            ("symbol", symbol.to_string()),
            ("granularity", "1day".into()),
            ("startTime", start.to_string()),
            ("endTime", end.to_string()),
            ("limit", KLINES_PER_REQUEST.to_string()),
        ],
    )
}

/// Binance's latest price of every symbol.
pub fn binance_latest_prices() -> Request {
    request::public(&BINANCE_TICKER_PRICE, &[])
}

fn dec(v: &Value) -> Option<Decimal> {
    v.as_str()?.parse().ok()
}

fn int(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_str()?.parse().ok())
}

fn rows<'a>(endpoint: &Endpoint, data: &'a Value) -> Result<&'a Vec<Value>, VenueError> {
    data.as_array().ok_or_else(|| VenueError::malformed(endpoint.venue, endpoint.path, "expected a JSON array"))
}

/// The answer of [`binance_daily_klines`]: `[openTime, open, high, low, close, volume, closeTime, ...]` rows.
pub fn binance_klines(data: &Value) -> Result<Vec<Kline>, VenueError> {
    let e = &BINANCE_KLINES;
    rows(e, data)?
        .iter()
        .map(|row| match (int(&row[0]), dec(&row[1]), dec(&row[4]), int(&row[6])) {
            (Some(open_time), Some(open), Some(close), Some(close_time)) => {
                Ok(Kline { open_time, open, close, close_time })
            }
            _ => Err(VenueError::malformed(Venue::Binance, e.path, "a kline row is malformed")),
        })
        .collect()
}

/// The answer of [`bitget_daily_candles`]: `[openTime, open, high, low, close, ...]` rows; a day closes at its
/// last millisecond.
pub fn bitget_candles(data: &Value) -> Result<Vec<Kline>, VenueError> {
    let e = &BITGET_CANDLES;
    rows(e, data)?
        .iter()
        .map(|row| match (int(&row[0]), dec(&row[1]), dec(&row[4])) {
            (Some(open_time), Some(open), Some(close)) => {
                Ok(Kline { open_time, open, close, close_time: open_time + DAY - 1 })
            }
            _ => Err(VenueError::malformed(Venue::Bitget, e.path, "a candle row is malformed")),
        })
        .collect()
}

/// The answer of [`binance_latest_prices`]: (symbol, price) of every row that has both.
pub fn binance_latest(data: &Value) -> Result<Vec<(String, Decimal)>, VenueError> {
    Ok(rows(&BINANCE_TICKER_PRICE, data)?
        .iter()
        .filter_map(|row| Some((row["symbol"].as_str()?.to_string(), dec(&row["price"])?)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_ask_for_daily_rows_of_the_symbol() {
        let r = binance_daily_klines("BTCUSDT", 1_700_000_000_000);
        assert_eq!(*r.endpoint, BINANCE_KLINES);
        assert_eq!(r.query, "symbol=BTCUSDT&interval=1d&startTime=1700000000000&limit=1000");
        let r = bitget_daily_candles("BTCUSDT", 1, 2);
        assert_eq!(
            r.path_and_query(),
            "/api/v2/spot/market/candles?symbol=BTCUSDT&granularity=1day&startTime=1&endTime=2&limit=1000"
        );
        assert_eq!(binance_latest_prices().path_and_query(), "/api/v3/ticker/price");
    }

    #[test]
    fn klines_and_candles_give_open_and_close() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let k =
            binance_klines(&json!([[1000, "1.5", "2", "1", "1.7", "10", 86_400_999, "x", 1, "1", "1", "0"]])).unwrap();
        assert_eq!(k, [Kline { open_time: 1000, open: d("1.5"), close: d("1.7"), close_time: 86_400_999 }]);
        let c = bitget_candles(&json!([["0", "3", "4", "2", "3.5", "1", "1", "1"]])).unwrap();
        assert_eq!(c, [Kline { open_time: 0, open: d("3"), close: d("3.5"), close_time: DAY - 1 }]);
        let bad = binance_klines(&json!([[1000, 1.5]])).unwrap_err();
        assert!(matches!(bad, VenueError::Malformed { .. }), "{bad}");
        assert!(bitget_candles(&json!({"rows": []})).is_err());
    }

    #[test]
    fn fiat_markets_try_the_usual_symbol_then_the_other_way_then_bitget() {
        let names = |a: &str| -> Vec<(Venue, String, String, String)> {
            price_markets(a).into_iter().map(|m| (m.venue, m.symbol, m.asset, m.quote)).collect()
        };
        let s = |v: &str| v.to_string();
        assert_eq!(
            names("BTC"),
            [(Venue::Binance, s("BTCUSDT"), s("BTC"), s("USDT")), (Venue::Bitget, s("BTCUSDT"), s("BTC"), s("USDT"))]
        );
        let eur = names("EUR");
        assert_eq!(eur[0], (Venue::Binance, s("EURUSDT"), s("EUR"), s("USDT")));
        assert_eq!(eur[1], (Venue::Binance, s("USDTEUR"), s("USDT"), s("EUR")));
        assert_eq!(eur[2].0, Venue::Bitget);
        let try_ = names("TRY");
        assert_eq!(try_[0], (Venue::Binance, s("USDTTRY"), s("USDT"), s("TRY")));
        assert_eq!(try_[1], (Venue::Binance, s("TRYUSDT"), s("TRY"), s("USDT")));
        assert_eq!(try_.len(), 4);
        for code in ["EUR", "GBP", "CHF", "JPY", "AUD", "CAD", "TRY", "BRL"] {
            assert!(fiat(code).is_some(), "{code}");
        }
        assert_eq!(fiat("USD"), None);
    }

    #[test]
    fn latest_prices_skip_rows_without_a_price() {
        let rows = json!([{"symbol": "BTCUSDT", "price": "60000.5"}, {"symbol": "ETHUSDT"}, {"price": "1"}]);
        assert_eq!(binance_latest(&rows).unwrap(), [("BTCUSDT".to_string(), "60000.5".parse().unwrap())]);
    }
}
