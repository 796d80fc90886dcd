//! Binance spot pairs that `exchangeInfo` no longer lists (docs/venues.md §1.6, "Delisted pairs"; docs/sync.md,
//! "Delisted pairs"), without IO: which assets no listed symbol names, which pairs to ask `myTrades` for, and which
//! assets' trades could not be found.
//!
//! An asset the account touched (in its balances or any event) that no listed symbol names has been traded, if at
//! all, on a pair that left `exchangeInfo`. Its candidates are the asset against the quote assets most used in
//! `exchangeInfo`; a full cycle asks `myTrades` for each once. A pair that answers trades is kept (and read like any
//! other symbol from then on); one that answers -1121 (no such pair) or no trades is remembered for [`RETRY_MS`]. An
//! asset none of whose candidates answered trades is listed in [`AccountState::unfound_trades`], with the pairs tried.
//!
//! ```
//! use std::collections::BTreeMap;
//! use sync_engine::delisted::{candidates, unfound};
//! use sync_engine::state::AccountState;
//! let mut st = AccountState::default();
//! st.symbols.symbols = BTreeMap::from([("BTCUSDT".to_string(), ("BTC".to_string(), "USDT".to_string()))]);
//! st.assets = ["BTC", "USDT", "FTT"].iter().map(|a| a.to_string()).collect();
//! let asked: Vec<String> = candidates(&st, 0).into_iter().map(|(s, _)| s).collect();
//! assert_eq!(asked, ["FTTUSDT"]);
//! st.no_pair.insert("FTTUSDT".into(), 0);
//! assert!(candidates(&st, 1).is_empty(), "remembered");
//! assert_eq!(unfound(&st)["FTT"], ["FTTUSDT"]);
//! ```

use std::collections::{BTreeMap, BTreeSet};

use crate::plan::DAY;
use crate::state::AccountState;

/// How long a pair that answered -1121 or no trades is not asked again (a week): a pair that existed but answered
/// nothing then (the venue's archive not yet served) is asked again after it.
pub const RETRY_MS: i64 = 7 * DAY;

/// How many quote assets an asset is tried against: the ones the most listed symbols use.
pub const QUOTES: usize = 10;

/// The quote assets of the listed symbols (`exchangeInfo`, delisted pairs found left out), the most used first
/// (ties by name), at most [`QUOTES`] of them.
pub fn quotes(st: &AccountState) -> Vec<String> {
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for (s, (_, q)) in &st.symbols.symbols {
        if !st.delisted.contains_key(s) {
            *count.entry(q.as_str()).or_default() += 1;
        }
    }
    let mut v: Vec<(&str, usize)> = count.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.into_iter().take(QUOTES).map(|(q, _)| q.to_string()).collect()
}

/// Assets the account touched that no listed symbol names (as base or quote; delisted pairs found do not count).
/// A fiat currency of [`venues::market::FIAT`] is none: it arrives and leaves through the fiat and P2P histories
/// (docs/venues.md §1.15), and where it trades the venue lists its pairs (`EURUSDT`, `USDTTRY`).
pub fn orphans(st: &AccountState) -> BTreeSet<String> {
    let named: BTreeSet<&str> = st
        .symbols
        .symbols
        .iter()
        .filter(|(s, _)| !st.delisted.contains_key(*s))
        .flat_map(|(_, (b, q))| [b.as_str(), q.as_str()])
        .collect();
    st.assets.iter().filter(|a| !named.contains(a.as_str()) && venues::market::fiat(a).is_none()).cloned().collect()
}

/// The pairs to ask `myTrades` for at venue time `now`: each orphan asset against each quote, symbol -> (base,
/// quote), leaving out symbols already known (listed or found) and those that answered nothing less than
/// [`RETRY_MS`] ago. Empty when the symbols have not been read.
pub fn candidates(st: &AccountState, now: i64) -> Vec<(String, (String, String))> {
    let quotes = quotes(st);
    let mut out = Vec::new();
    for asset in orphans(st) {
        for q in &quotes {
            let symbol = format!("{asset}{q}");
            if *q == asset
                || st.symbols.symbols.contains_key(&symbol)
                || st.no_pair.get(&symbol).is_some_and(|t| now - t < RETRY_MS)
            {
                continue;
            }
            out.push((symbol, (asset.clone(), q.clone())));
        }
    }
    out
}

/// Orphan assets none of whose pairs answered trades, each with the pairs that were tried and answered nothing.
pub fn unfound(st: &AccountState) -> BTreeMap<String, Vec<String>> {
    let found: BTreeSet<&str> = st.delisted.values().flat_map(|(b, q)| [b.as_str(), q.as_str()]).collect();
    orphans(st)
        .into_iter()
        .filter(|a| !found.contains(a.as_str()))
        .map(|a| {
            let tried = st
                .no_pair
                .keys()
                .filter(|s| s.strip_prefix(a.as_str()).is_some_and(|q| st.symbols.symbols.values().any(|p| p.1 == q)))
                .cloned()
                .collect();
            (a, tried)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fiat_currency_is_no_orphan() {
        let st = st(&[("BTCUSDT", "BTC", "USDT")], &["BTC", "USDT", "EUR", "FTT"]);
        assert_eq!(orphans(&st), BTreeSet::from(["FTT".to_string()]));
    }

    fn st(symbols: &[(&str, &str, &str)], assets: &[&str]) -> AccountState {
        let mut st = AccountState::default();
        for (s, b, q) in symbols {
            st.symbols.symbols.insert(s.to_string(), (b.to_string(), q.to_string()));
        }
        st.assets = assets.iter().map(|a| a.to_string()).collect();
        st
    }

    #[test]
    fn orphans_are_tried_against_the_most_used_quotes_once_until_the_retry_time() {
        let mut s = st(
            &[
                ("BTCUSDT", "BTC", "USDT"),
                ("ETHUSDT", "ETH", "USDT"),
                ("ETHBTC", "ETH", "BTC"),
                ("DOGEEUR", "DOGE", "EUR"),
            ],
            &["BTC", "USDT", "ETH", "FTT", "LUNA"],
        );
        assert_eq!(quotes(&s), ["USDT", "BTC", "EUR"]);
        assert_eq!(orphans(&s), BTreeSet::from(["FTT".to_string(), "LUNA".to_string()]));
        let asked: Vec<String> = candidates(&s, 0).into_iter().map(|c| c.0).collect();
        assert_eq!(asked, ["FTTUSDT", "FTTBTC", "FTTEUR", "LUNAUSDT", "LUNABTC", "LUNAEUR"]);
        // FTTUSDT answered trades: kept and merged into the symbols; the rest answered -1121
        s.delisted.insert("FTTUSDT".into(), ("FTT".into(), "USDT".into()));
        s.symbols.symbols.insert("FTTUSDT".into(), ("FTT".into(), "USDT".into()));
        for sym in ["FTTBTC", "FTTEUR", "LUNAUSDT", "LUNABTC", "LUNAEUR"] {
            s.no_pair.insert(sym.into(), 100);
        }
        assert_eq!(quotes(&s), ["USDT", "BTC", "EUR"], "a found pair does not count as listed");
        assert!(candidates(&s, 100 + RETRY_MS - 1).is_empty(), "nothing asked again before the retry time");
        let again: Vec<String> = candidates(&s, 100 + RETRY_MS).into_iter().map(|c| c.0).collect();
        assert_eq!(again, ["FTTBTC", "FTTEUR", "LUNAUSDT", "LUNABTC", "LUNAEUR"]);
        // LUNA's trades are nowhere: listed with what was tried; FTT's were found
        let u = unfound(&s);
        assert_eq!(u.keys().collect::<Vec<_>>(), ["LUNA"]);
        assert_eq!(u["LUNA"], ["LUNABTC", "LUNAEUR", "LUNAUSDT"]);
    }
}
