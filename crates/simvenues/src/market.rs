//! Prices: one hourly random walk per asset (in USDT), shared by both venues, and per-minute klines derived from it
//! by a stateless function, so a kline can be recomputed for any minute without storing it. Every generated fill
//! is priced inside the range of the 1-minute kline it falls in, so klines are consistent with fills and marks.

use std::collections::HashMap;
use std::sync::OnceLock;

use rust_decimal::Decimal;

use crate::rng::{SplitMix64, hash_str, mix};

/// Milliseconds in a minute, hour, day.
pub const MINUTE: i64 = 60_000;
/// Milliseconds in an hour.
pub const HOUR: i64 = 3_600_000;
/// Milliseconds in a day.
pub const DAY: i64 = 86_400_000;

/// A tradable pair as a venue lists it.
#[derive(Clone, Debug)]
pub struct Symbol {
    /// `BTCUSDT`.
    pub name: String,
    /// `BTC`.
    pub base: String,
    /// `USDT`.
    pub quote: String,
    /// Decimal places of a price.
    pub price_dp: u32,
    /// Decimal places of a quantity.
    pub qty_dp: u32,
}

/// One kline (candle).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candle {
    /// Open time, ms.
    pub open_time: i64,
    /// First price.
    pub open: Decimal,
    /// Highest price.
    pub high: Decimal,
    /// Lowest price.
    pub low: Decimal,
    /// Last price.
    pub close: Decimal,
    /// Base volume.
    pub volume: Decimal,
    /// Quote volume.
    pub quote_volume: Decimal,
    /// Number of trades.
    pub trades: u64,
}

/// Static description of the assets the generator knows: start price in USDT, price and quantity decimals.
pub const ASSETS: &[(&str, &str, u32, u32)] = &[
    ("BTC", "60000", 2, 5),
    ("ETH", "3000", 2, 4),
    ("BNB", "600", 2, 3),
    ("SOL", "150", 2, 2),
    ("XRP", "0.6", 4, 1),
    ("ADA", "0.45", 4, 1),
    ("DOGE", "0.12", 5, 0),
    ("LTC", "80", 2, 3),
    ("TRX", "0.15", 5, 0),
    ("BGB", "1.2", 4, 2),
    ("LINK", "15", 3, 2),
];

/// Assets traded only on a Binance spot pair exchangeInfo no longer lists ([`crate::generator::World`]'s
/// `binance_delisted`): start price in USDT, price and quantity decimals, like [`ASSETS`].
pub const DELISTED: &[(&str, &str, u32, u32)] = &[("FTT", "2", 4, 2)];

/// Assets the generated accounts hold but never trade on a listed pair: Binance's staking receipt tokens
/// (docs/venues.md §1.16), which a stake or a redemption gives. Start price in USDT, decimals, like [`ASSETS`].
pub const RECEIPT_TOKENS: &[(&str, &str, u32, u32)] =
    &[("WBETH", "3100", 2, 4), ("BETH", "3000", 2, 4), ("BNSOL", "160", 2, 2)];

/// Fiat currencies the venues quote against USDT, for valuation in a reporting currency: the start price in USDT
/// of one unit. Their walks move a tenth as fast as a crypto asset's.
pub const FIAT: &[(&str, &str)] = &[
    ("EUR", "1.08"),
    ("GBP", "1.27"),
    ("AUD", "0.66"),
    ("CHF", "1.13"),
    ("JPY", "0.0067"),
    ("CAD", "0.73"),
    ("TRY", "0.029"),
    ("BRL", "0.18"),
];

/// The fiat markets of each venue (base, quote): the usual way round (`EURUSDT`) or the other (`USDTTRY`, whose
/// price is the walk's inverse). Binance has neither of CHF's and CAD's: Bitget does (docs/accounting.md,
/// "Valuation": the chain's fallback).
pub const BINANCE_FIAT: &[(&str, &str)] =
    &[("EUR", "USDT"), ("GBP", "USDT"), ("AUD", "USDT"), ("USDT", "TRY"), ("USDT", "BRL"), ("USDT", "JPY")];
/// Binance's markets of the staking receipt tokens ([`RECEIPT_TOKENS`]), served for prices (klines, ticker) and
/// not listed in exchangeInfo, like the fiat ones: no generated account trades them.
pub const BINANCE_RECEIPT: &[(&str, &str)] = &[("WBETH", "USDT"), ("BETH", "USDT"), ("BNSOL", "USDT")];
/// Bitget's fiat markets (see [`BINANCE_FIAT`]).
pub const BITGET_FIAT: &[(&str, &str)] = &[("EUR", "USDT"), ("USDT", "CHF"), ("USDT", "CAD")];

/// The price world of one generated sandbox.
#[derive(Debug)]
pub struct Market {
    seed: u64,
    /// First hour of history (ms, hour aligned).
    pub start: i64,
    /// End of history (ms, day aligned); prices stay flat after it.
    pub end: i64,
    symbols: HashMap<String, Symbol>,
    /// Hourly anchor prices per symbol, index 0 at `start`.
    paths: HashMap<String, Vec<Decimal>>,
    hourly: HashMap<String, OnceLock<Vec<Candle>>>,
}

fn asset_info(asset: &str) -> (Decimal, u32, u32) {
    if let Some((_, p)) = FIAT.iter().find(|f| f.0 == asset) {
        return (p.parse().expect("static price"), 5, 2);
    }
    let (_, p, pdp, qdp) = ASSETS
        .iter()
        .chain(DELISTED)
        .chain(RECEIPT_TOKENS)
        .find(|a| a.0 == asset)
        .copied()
        .unwrap_or(("USDT", "1", 4, 2));
    (p.parse().expect("static price"), pdp, qdp)
}

impl Market {
    /// Builds the walks for `symbols` (names like `BTCUSDT`, `ETHBTC`) over `[start, end]`.
    pub fn new(seed: u64, start: i64, end: i64, symbols: &[(&str, &str)]) -> Self {
        let hours = ((end - start) / HOUR + 1) as usize;
        let mut usdt_paths: HashMap<String, Vec<Decimal>> = HashMap::new();
        let walk = |asset: &str| -> Vec<Decimal> {
            let (p0, _, _) = asset_info(asset);
            let mut r = SplitMix64::new(mix(seed, hash_str(asset), 1));
            let mut p = p0;
            let mut v = Vec::with_capacity(hours);
            // fiat moves a tenth as fast
            let scale = if FIAT.iter().any(|f| f.0 == asset) { 5 } else { 4 };
            for _ in 0..hours {
                v.push(p);
                // -0.6 % .. +0.62 % per hour, slight upward drift
                let step = Decimal::new(r.range(-60, 62), scale);
                p = (p * (Decimal::ONE + step)).round_dp(8);
            }
            v
        };
        let mut out =
            Market { seed, start, end, symbols: HashMap::new(), paths: HashMap::new(), hourly: HashMap::new() };
        for (base, quote) in symbols {
            for a in [*base, *quote] {
                if a != "USDT" && !usdt_paths.contains_key(a) {
                    let w = walk(a);
                    usdt_paths.insert(a.to_string(), w);
                }
            }
            let name = format!("{base}{quote}");
            let (_, bpdp, qdp) = asset_info(base);
            let path: Vec<Decimal> = if *quote == "USDT" {
                usdt_paths[*base].clone()
            } else if *base == "USDT" {
                // the other way round (`USDTTRY`): units of the quote per USDT
                usdt_paths[*quote].iter().map(|q| (Decimal::ONE / q).round_dp(8)).collect()
            } else {
                let (b, q) = (&usdt_paths[*base], &usdt_paths[*quote]);
                b.iter().zip(q).map(|(b, q)| (b / q).round_dp(8)).collect()
            };
            let price_dp = if *quote == "USDT" {
                bpdp
            } else if *base == "USDT" {
                3
            } else {
                6
            };
            let sym =
                Symbol { name: name.clone(), base: base.to_string(), quote: quote.to_string(), price_dp, qty_dp: qdp };
            out.symbols.insert(name.clone(), sym);
            out.paths.insert(name.clone(), path);
            out.hourly.insert(name, OnceLock::new());
        }
        out
    }

    /// A symbol by name.
    pub fn symbol(&self, name: &str) -> Option<&Symbol> {
        self.symbols.get(name)
    }

    /// All symbol names, sorted.
    pub fn symbol_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.symbols.keys().cloned().collect();
        v.sort();
        v
    }

    fn anchor(&self, name: &str, hour: i64) -> Decimal {
        let p = &self.paths[name];
        p[(hour.max(0) as usize).min(p.len() - 1)]
    }

    /// The 1-minute candle starting at `minute_start` (ms, minute aligned). Flat after the end of history.
    pub fn minute(&self, name: &str, minute_start: i64) -> Candle {
        let sym = &self.symbols[name];
        let dp = sym.price_dp;
        let m = ((minute_start.min(self.end) - self.start) / MINUTE).max(0);
        let price_at = |m: i64| -> Decimal {
            let h = m / 60;
            let (a, b) = (self.anchor(name, h), self.anchor(name, h + 1));
            let lin = a + (b - a) * Decimal::from(m % 60) / Decimal::from(60);
            // +-0.05 % noise per minute
            let n = (mix(self.seed ^ hash_str(name), 2, m as u64) % 101) as i64 - 50;
            (lin * (Decimal::ONE + Decimal::new(n, 5))).round_dp(dp)
        };
        let tick = Decimal::new(1, dp);
        let flat = minute_start >= self.end;
        let open = price_at(m);
        let close = if flat { open } else { price_at(m + 1) };
        let h = mix(self.seed ^ hash_str(name), 3, m as u64);
        let spread = (open * Decimal::new(3, 4)).round_dp(dp).max(tick);
        let (up, down) =
            if flat { (Decimal::ZERO, Decimal::ZERO) } else { (Decimal::from(h % 3), Decimal::from((h >> 8) % 3)) };
        let high = open.max(close) + spread * up / Decimal::from(2);
        let low = (open.min(close) - spread * down / Decimal::from(2)).max(tick);
        let volume = if flat { Decimal::ZERO } else { Decimal::from((h >> 16) % 5000 + 100) * Decimal::new(1, 2) };
        Candle {
            open_time: minute_start,
            open,
            high: high.round_dp(dp),
            low: low.round_dp(dp),
            close,
            volume,
            quote_volume: (volume * close).round_dp(8),
            trades: if flat { 0 } else { (h >> 32) % 90 + 10 },
        }
    }

    fn hourly(&self, name: &str) -> &Vec<Candle> {
        self.hourly[name].get_or_init(|| {
            let hours = (self.end - self.start) / HOUR;
            (0..hours)
                .map(|h| self.aggregate(name, self.start + h * HOUR, 60, MINUTE, |t| self.minute(name, t)))
                .collect()
        })
    }

    fn aggregate(&self, _name: &str, t0: i64, n: i64, step: i64, f: impl Fn(i64) -> Candle) -> Candle {
        let mut c = f(t0);
        for i in 1..n {
            let x = f(t0 + i * step);
            c.high = c.high.max(x.high);
            c.low = c.low.min(x.low);
            c.close = x.close;
            c.volume += x.volume;
            c.quote_volume += x.quote_volume;
            c.trades += x.trades;
        }
        c.open_time = t0;
        c
    }

    /// The candle of `interval_ms` starting at `t0` (aligned). Intervals of an hour or more aggregate cached hours.
    pub fn candle(&self, name: &str, t0: i64, interval_ms: i64) -> Candle {
        if interval_ms < HOUR || interval_ms % HOUR != 0 {
            return self.aggregate(name, t0, interval_ms / MINUTE, MINUTE, |t| self.minute(name, t));
        }
        let hourly = self.hourly(name);
        let flat_hour = |t: i64| -> Candle {
            let idx = (t - self.start) / HOUR;
            if idx >= 0 && (idx as usize) < hourly.len() { hourly[idx as usize] } else { self.minute(name, t) }
        };
        self.aggregate(name, t0, interval_ms / HOUR, HOUR, flat_hour)
    }

    /// A price inside the 1-minute candle at `t`, chosen by `pick` (any u64): what a fill at `t` trades at.
    pub fn fill_price(&self, name: &str, t: i64, pick: u64) -> Decimal {
        let c = self.minute(name, t - t.rem_euclid(MINUTE));
        let dp = self.symbols[name].price_dp;
        let ticks: u64 = ((c.high - c.low) * Decimal::from(10u64.pow(dp))).trunc().try_into().unwrap_or(0);
        (c.low + Decimal::from(pick % (ticks + 1)) * Decimal::new(1, dp)).round_dp(dp)
    }

    /// The latest price at `t` (the close of the minute before), used as last price and mark.
    pub fn price(&self, name: &str, t: i64) -> Decimal {
        let t = t.min(self.end);
        self.minute(name, t - t.rem_euclid(MINUTE)).open
    }

    /// The last price of the history: what tickers and marks report now.
    pub fn last(&self, name: &str) -> Decimal {
        self.price(name, self.end)
    }

    /// Candles of `interval_ms` between `start` and `end` (inclusive open times), at most `limit`, oldest first.
    /// Without a start, the most recent `limit` candles up to `end`. Nothing before the history starts.
    pub fn candles(&self, name: &str, interval_ms: i64, start: Option<i64>, end: i64, limit: usize) -> Vec<Candle> {
        let align = |t: i64| t - t.rem_euclid(interval_ms);
        let end = align(end);
        let first_possible = align(self.start).max(self.start);
        let begin = match start {
            Some(s) => {
                let a = align(s);
                if a < s { a + interval_ms } else { a }
            }
            None => end - interval_ms * (limit as i64 - 1),
        }
        .max(if interval_ms >= DAY { align(self.start) } else { first_possible });
        let mut out = Vec::new();
        let mut t = begin;
        while t <= end && out.len() < limit {
            if t > self.start - interval_ms {
                out.push(self.candle(name, t.max(self.start), interval_ms));
                if let Some(last) = out.last_mut() {
                    last.open_time = t;
                }
            }
            t += interval_ms;
        }
        out
    }
}
