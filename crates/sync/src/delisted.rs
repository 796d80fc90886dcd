//! Binance spot pairs that `exchangeInfo` no longer lists (docs/venues.md §1.6, "Delisted pairs"; docs/sync.md,
//! "Delisted pairs"), without IO: which assets no listed symbol names, which pairs to ask `myTrades` for, and which
//! assets' trades could not be found.
//!
//! An asset the account touched (in its balances or any event) that no listed symbol names has been traded, if at
//! all, on a pair that left `exchangeInfo`. Its candidates are the asset against the quote assets most used in
//! `exchangeInfo`, and every other asset the account touched against it: a quote asset that left (BUSD) took all its
//! pairs with it, so `BTCBUSD` is asked because BUSD is an orphan. A full cycle asks `myTrades` for each once. A pair that answers trades is kept (and read like any
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
//! assert_eq!(asked, ["FTTUSDT", "BTCFTT", "USDTFTT"]);
//! for s in &asked {
//!     st.no_pair.insert(s.clone(), 0);
//! }
//! assert!(candidates(&st, 1).is_empty(), "remembered");
//! assert_eq!(unfound(&st)["FTT"], ["BTCFTT", "FTTUSDT", "USDTFTT"]);
//! ```

use std::collections::{BTreeMap, BTreeSet};

use crate::plan::{DAY, Stream};
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
/// (docs/venues.md §1.15), and where it trades the venue lists its pairs (`EURUSDT`, `USDTTRY`). Nor is a staking
/// receipt token ([`Stream::STAKING_RECEIPTS`], docs/venues.md §1.16), for the same reasons.
pub fn orphans(st: &AccountState) -> BTreeSet<String> {
    let named: BTreeSet<&str> = st
        .symbols
        .symbols
        .iter()
        .filter(|(s, _)| !st.delisted.contains_key(*s))
        .flat_map(|(_, (b, q))| [b.as_str(), q.as_str()])
        .collect();
    let other_source = |a: &str| venues::market::fiat(a).is_some() || Stream::STAKING_RECEIPTS.contains(&a);
    st.assets.iter().filter(|a| !named.contains(a.as_str()) && !other_source(a)).cloned().collect()
}

/// Every pair `orphan` may have traded on: the orphan against each of `quotes` (as the base), then each other asset
/// the account touched against it (the orphan as the quote), symbol -> (base, quote).
fn pairs_of(st: &AccountState, orphan: &str, quotes: &[String]) -> Vec<(String, (String, String))> {
    let as_base = quotes.iter().filter(|q| q.as_str() != orphan).map(|q| (orphan.to_string(), q.clone()));
    let as_quote = st.assets.iter().filter(|a| a.as_str() != orphan).map(|a| (a.clone(), orphan.to_string()));
    as_base.chain(as_quote).map(|(b, q)| (format!("{b}{q}"), (b, q))).collect()
}

/// The pairs to ask `myTrades` for at venue time `now`: each orphan asset's pairs (`pairs_of`: against each quote,
/// and each touched asset against it), leaving out symbols already known (listed or found), those asked for
/// another orphan, and those that answered nothing less than [`RETRY_MS`] ago. Empty when the symbols have not been
/// read.
pub fn candidates(st: &AccountState, now: i64) -> Vec<(String, (String, String))> {
    let quotes = quotes(st);
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for asset in orphans(st) {
        for (symbol, pair) in pairs_of(st, &asset, &quotes) {
            if st.symbols.symbols.contains_key(&symbol)
                || st.no_pair.get(&symbol).is_some_and(|t| now - t < RETRY_MS)
                || !seen.insert(symbol.clone())
            {
                continue;
            }
            out.push((symbol, pair));
        }
    }
    out
}

/// Orphan assets none of whose pairs answered trades, each with the pairs that were tried and answered nothing
/// (sorted).
pub fn unfound(st: &AccountState) -> BTreeMap<String, Vec<String>> {
    let found: BTreeSet<&str> = st.delisted.values().flat_map(|(b, q)| [b.as_str(), q.as_str()]).collect();
    let quotes = quotes(st);
    orphans(st)
        .into_iter()
        .filter(|a| !found.contains(a.as_str()))
        .map(|a| {
            let mut tried: Vec<String> =
                pairs_of(st, &a, &quotes).into_iter().map(|(s, _)| s).filter(|s| st.no_pair.contains_key(s)).collect();
            tried.sort();
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

    #[test]
    fn a_staking_receipt_token_is_no_orphan() {
        let st = st(&[("ETHUSDT", "ETH", "USDT")], &["ETH", "USDT", "WBETH", "BETH", "BNSOL", "FTT"]);
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
        // each orphan against the quotes, then each touched asset against the orphan; LUNAFTT is asked once
        let ftt = ["FTTUSDT", "FTTBTC", "FTTEUR", "BTCFTT", "ETHFTT", "LUNAFTT", "USDTFTT"];
        let luna = ["LUNAUSDT", "LUNABTC", "LUNAEUR", "BTCLUNA", "ETHLUNA", "FTTLUNA", "USDTLUNA"];
        assert_eq!(asked, [&ftt[..], &luna[..]].concat());
        // FTTUSDT answered trades: kept and merged into the symbols; the rest answered -1121
        s.delisted.insert("FTTUSDT".into(), ("FTT".into(), "USDT".into()));
        s.symbols.symbols.insert("FTTUSDT".into(), ("FTT".into(), "USDT".into()));
        for sym in asked.iter().filter(|x| *x != "FTTUSDT") {
            s.no_pair.insert(sym.clone(), 100);
        }
        assert_eq!(quotes(&s), ["USDT", "BTC", "EUR"], "a found pair does not count as listed");
        assert!(candidates(&s, 100 + RETRY_MS - 1).is_empty(), "nothing asked again before the retry time");
        let again: Vec<String> = candidates(&s, 100 + RETRY_MS).into_iter().map(|c| c.0).collect();
        assert_eq!(again, [&ftt[1..], &luna[..]].concat());
        // LUNA's trades are nowhere: listed with what was tried; FTT's were found
        let u = unfound(&s);
        assert_eq!(u.keys().collect::<Vec<_>>(), ["LUNA"]);
        assert_eq!(u["LUNA"], ["BTCLUNA", "ETHLUNA", "FTTLUNA", "LUNABTC", "LUNAEUR", "LUNAUSDT", "USDTLUNA"]);
    }

    #[test]
    fn a_quote_asset_that_left_is_tried_as_the_quote_of_every_touched_asset() {
        // BUSD's pairs all left exchangeInfo: the account's BTC bought with BUSD was traded on BTCBUSD
        let mut s = st(&[("BTCUSDT", "BTC", "USDT")], &["BTC", "USDT", "BUSD"]);
        let asked: Vec<String> = candidates(&s, 0).into_iter().map(|c| c.0).collect();
        assert_eq!(asked, ["BUSDUSDT", "BTCBUSD", "USDTBUSD"]);
        s.delisted.insert("BTCBUSD".into(), ("BTC".into(), "BUSD".into()));
        s.symbols.symbols.insert("BTCBUSD".into(), ("BTC".into(), "BUSD".into()));
        s.no_pair.insert("BUSDUSDT".into(), 0);
        s.no_pair.insert("USDTBUSD".into(), 0);
        assert!(unfound(&s).is_empty(), "BUSD's trades were found, as the quote of BTCBUSD");
        assert!(candidates(&s, 1).is_empty());
    }
}
