//! Historical prices as input: the price in force at a time is the latest at or before it, and a value converts
//! through quote chains (`ETH -> USDT -> USD`, `EUR` via `EUR/USDT` inverted).

use std::collections::HashMap;

use ledger::{Decimal, PricePoint, Timestamp};

use crate::intern::FxMap;
use crate::settings::canonical;

/// One step of a conversion route: a price series, used as is or inverted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Step {
    series: u32,
    inverse: bool,
}

/// A conversion from one asset to another through up to three price series.
pub(crate) type Route = Vec<Step>;

/// A conversion rate kept as a fraction until it is applied to an amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rate {
    pub(crate) num: Decimal,
    pub(crate) den: Decimal,
}

impl Rate {
    pub(crate) const ONE: Rate = Rate { num: Decimal::ONE, den: Decimal::ONE };

    /// `amount` converted.
    #[inline]
    pub(crate) fn of(self, amount: Decimal) -> Decimal {
        let v = amount * self.num;
        if self.den == Decimal::ONE { v } else { v / self.den }
    }

    /// The price of one unit.
    pub(crate) fn unit(self) -> Decimal {
        self.of(Decimal::ONE)
    }
}

/// Prices by (asset, quote), each series sorted by time. Stablecoins are merged into `USD` when they count as USD.
#[derive(Clone, Debug, Default)]
pub struct PriceBook {
    stablecoins_as_usd: bool,
    /// (asset, quote) -> series index.
    pairs: HashMap<(String, String), u32>,
    /// Per series: (time, price), sorted by time; equal times keep file order (the later one is in force).
    series: Vec<Vec<(i64, Decimal)>>,
    /// Per series: `ASSET/QUOTE` as canonical names.
    names: Vec<String>,
    /// Asset -> the series it appears in, with whether it is the quote.
    edges: HashMap<String, Vec<(u32, bool, String)>>,
}

impl PriceBook {
    /// Builds a book from price points. With `stablecoins_as_usd`, USDT/USDC/FDUSD/BUSD quotes and assets are USD.
    pub fn new(points: &[PricePoint], stablecoins_as_usd: bool) -> Self {
        let mut book = PriceBook { stablecoins_as_usd, ..Default::default() };
        // each pair as written -> its series (None: a pair of one asset), so that a point of a pair seen before costs
        // one lookup of the names it borrows: a sync sends the whole list, tens of thousands of points, every time
        let mut seen: FxMap<(&str, &str), Option<u32>> = FxMap::default();
        for p in points {
            let idx = *seen.entry((p.asset.as_str(), p.quote.as_str())).or_insert_with(|| book.series_of(p));
            if let Some(idx) = idx {
                book.series[idx as usize].push((p.time.millis(), p.price));
            }
        }
        for s in &mut book.series {
            s.sort_by_key(|(t, _)| *t); // stable: equal times keep file order
        }
        book
    }

    /// The series of `p`'s pair by its canonical names, added when new; `None` when both name the same asset.
    fn series_of(&mut self, p: &PricePoint) -> Option<u32> {
        let asset = canonical(&p.asset, self.stablecoins_as_usd).into_owned();
        let quote = canonical(&p.quote, self.stablecoins_as_usd).into_owned();
        if asset == quote {
            return None;
        }
        let next = self.series.len() as u32;
        let idx = *self.pairs.entry((asset.clone(), quote.clone())).or_insert(next);
        if idx == next {
            self.series.push(Vec::new());
            self.names.push(format!("{asset}/{quote}"));
            self.edges.entry(asset.clone()).or_default().push((idx, false, quote.clone()));
            self.edges.entry(quote).or_default().push((idx, true, asset));
        }
        Some(idx)
    }

    /// Whether this book is `earlier` with points after `after` (ms) added and nothing else: the same series,
    /// each beginning with `earlier`'s points. A value at or before `after` is then the same in both books.
    pub(crate) fn only_adds_after(&self, earlier: &PriceBook, after: i64) -> bool {
        self.stablecoins_as_usd == earlier.stablecoins_as_usd
            && self.pairs == earlier.pairs
            && self.series.iter().zip(&earlier.series).all(|(new, old)| {
                new.len() >= old.len()
                    && new[..old.len()] == old[..]
                    && new[old.len()..].iter().all(|(t, _)| *t > after)
            })
    }

    /// Number of price points held.
    pub fn len(&self) -> usize {
        self.series.iter().map(Vec::len).sum()
    }

    /// Whether the book holds no price.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// The price of one `asset` in `quote` in force at `time`, converting through other quotes when needed.
    pub fn price(&self, asset: &str, quote: &str, time: Timestamp) -> Option<Decimal> {
        let routes = self.routes(asset, quote);
        self.rate_by_routes(&routes, time).map(|r| r.unit())
    }

    /// `amount` of `asset` in `quote` at `time`, through the same routes as [`PriceBook::price`], dividing once
    /// (10 USDT at EUR/USDT 3 is 10 / 3, not 10 x (1 / 3) rounded twice).
    pub fn value(&self, amount: Decimal, asset: &str, quote: &str, time: Timestamp) -> Option<Decimal> {
        let routes = self.routes(asset, quote);
        self.rate_by_routes(&routes, time).map(|r| r.of(amount))
    }

    /// Routes from `asset` to `quote`, shortest first (the identity route is empty).
    pub(crate) fn routes(&self, asset: &str, quote: &str) -> Vec<Route> {
        let from = canonical(asset, self.stablecoins_as_usd);
        let to = canonical(quote, self.stablecoins_as_usd);
        if from == to {
            return vec![Vec::new()];
        }
        let mut found = Vec::new();
        let mut path: Vec<(Step, &str)> = Vec::new();
        for depth in 1..=3 {
            self.walk(&from, &to, depth, &mut path, &mut found);
        }
        found.truncate(8);
        found
    }

    fn walk<'a>(&'a self, at: &str, to: &str, depth: usize, path: &mut Vec<(Step, &'a str)>, found: &mut Vec<Route>) {
        if found.len() >= 8 {
            return;
        }
        let Some(edges) = self.edges.get(at) else { return };
        for (series, inverse, next) in edges {
            if path.iter().any(|(_, n)| *n == next.as_str()) {
                continue;
            }
            path.push((Step { series: *series, inverse: *inverse }, next.as_str()));
            if path.len() == depth {
                if next == to {
                    found.push(path.iter().map(|(s, _)| *s).collect());
                }
            } else if next != to {
                self.walk(next, to, depth, path, found);
            }
            path.pop();
        }
    }

    /// The first route that has a price at `time` for every step, as a ratio `(numerator, denominator)`, so that
    /// `amount x numerator / denominator` divides once (`30000 USDT / 1.2` is exactly 25000 EUR).
    pub(crate) fn rate_by_routes(&self, routes: &[Route], time: Timestamp) -> Option<Rate> {
        'route: for route in routes {
            let (mut num, mut den) = (Decimal::ONE, Decimal::ONE);
            for step in route {
                let Some(p) = self.at(step.series, time) else { continue 'route };
                if step.inverse {
                    if p.is_zero() {
                        continue 'route;
                    }
                    den = den.checked_mul(p)?;
                } else {
                    num = num.checked_mul(p)?;
                }
            }
            return Some(Rate { num, den });
        }
        None
    }

    fn at(&self, series: u32, time: Timestamp) -> Option<Decimal> {
        self.point(series, time).map(|(_, p)| p)
    }

    fn point(&self, series: u32, time: Timestamp) -> Option<(i64, Decimal)> {
        let s = &self.series[series as usize];
        let n = s.partition_point(|(t, _)| *t <= time.millis());
        if n == 0 { None } else { Some(s[n - 1]) }
    }

    /// Where the value at `time` comes from: each price used, as `ASSET/QUOTE PRICE @ TIME` (`^-1` when inverted),
    /// joined by ` x `; `None` without a price, an empty string when no price is needed.
    pub(crate) fn source(&self, routes: &[Route], time: Timestamp) -> Option<String> {
        'route: for route in routes {
            let mut parts = Vec::new();
            for step in route {
                let Some((t, p)) = self.point(step.series, time) else { continue 'route };
                let inv = if step.inverse { "^-1" } else { "" };
                parts.push(format!("{} {p}{inv} @ {}", self.names[step.series as usize], Timestamp::from_millis(t)));
            }
            return Some(parts.join(" x "));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pp(time: &str, asset: &str, quote: &str, price: &str) -> PricePoint {
        PricePoint {
            time: time.parse().unwrap(),
            asset: asset.into(),
            quote: quote.into(),
            price: price.parse().unwrap(),
        }
    }

    #[test]
    fn latest_at_or_before_and_chains() {
        let book = PriceBook::new(
            &[
                pp("2024-01-01T00:00:00Z", "ETH", "USDT", "2000"),
                pp("2024-01-02T00:00:00Z", "ETH", "USDT", "2100"),
                pp("2024-01-01T00:00:00Z", "EUR", "USDT", "1.25"),
                pp("2024-01-01T00:00:00Z", "PEPE", "ETH", "0.000001"),
            ],
            true,
        );
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(book.price("ETH", "USD", t("2023-12-31T23:59:59Z")), None);
        assert_eq!(book.price("ETH", "USD", t("2024-01-01T00:00:00Z")), Some(d("2000")));
        assert_eq!(book.price("ETH", "USD", t("2024-01-01T23:59:59Z")), Some(d("2000")));
        assert_eq!(book.price("ETH", "USDC", t("2024-01-02T00:00:00Z")), Some(d("2100")));
        // ETH -> USD(T) -> EUR: 2000 / 1.25
        assert_eq!(book.price("ETH", "EUR", t("2024-01-01T12:00:00Z")), Some(d("1600")));
        // PEPE -> ETH -> USD
        assert_eq!(book.price("PEPE", "USD", t("2024-01-02T00:00:00Z")), Some(d("0.0021")));
        assert_eq!(book.price("USDT", "USD", t("2020-01-01T00:00:00Z")), Some(Decimal::ONE));
        // a value divides once
        let thirds = PriceBook::new(&[pp("2024-01-01T00:00:00Z", "EUR", "USDT", "3")], true);
        let at = t("2024-01-02T00:00:00Z");
        assert_eq!(thirds.value(d("10"), "USDT", "EUR", at), Some(d("10") / d("3")));
        assert_ne!(thirds.value(d("10"), "USDT", "EUR", at), thirds.price("USDT", "EUR", at).map(|p| d("10") * p));
        let strict = PriceBook::new(&[pp("2024-01-01T00:00:00Z", "ETH", "USDT", "2000")], false);
        assert_eq!(strict.price("ETH", "USD", t("2024-01-02T00:00:00Z")), None);
    }
}
