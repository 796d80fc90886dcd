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
//! A removed pair both of whose assets listed symbols still name leaves no orphan; its trades leave both assets'
//! spot balances unexplained instead. Those assets ([`unexplained`], kept as [`AccountState::suspects`]) are asked
//! against each other ([`suspect_candidates`]), remembered the same way.
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

use ledger::{Decimal, Event};

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

/// The assets of one wallet whose balance the ledger does not explain: those where the venue's balance (`venue`,
/// as the tick read it) and the ledger's (`ledger`, the sum of the events' effects up to that reading) differ,
/// either missing counting as zero.
pub fn unexplained(venue: Option<&BTreeMap<String, Decimal>>, ledger: &BTreeMap<String, Decimal>) -> BTreeSet<String> {
    let empty = BTreeMap::new();
    let venue = venue.unwrap_or(&empty);
    let at = |m: &BTreeMap<String, Decimal>, a: &str| m.get(a).copied().unwrap_or_default();
    venue.keys().chain(ledger.keys()).filter(|a| at(venue, a) != at(ledger, a)).cloned().collect()
}

/// Adds to `held` what `e` moves in each of `wallets` (wallet -> the venue time of its balances' reading: an event
/// after it is not counted), per wallet and asset, as [`crate::tick::effects`] counts it. Sums add up, so a caller
/// may feed the events in slices; each event is to be fed once. The ledger side of [`unexplained`]: what a sink's
/// [`crate::Sink::wallet_ledger`] gives, and what the app sums, time-sliced, for [`crate::SyncOptions::suspects`].
pub fn add_effects(e: &Event, wallets: &BTreeMap<String, i64>, held: &mut BTreeMap<String, BTreeMap<String, Decimal>>) {
    for (wallet, asset, d) in crate::tick::effects(e) {
        if wallets.get(&wallet).is_some_and(|at| e.time.0 <= *at) {
            *held.entry(wallet).or_default().entry(asset).or_default() += d;
        }
    }
}

/// The most suspect pairs a full cycle asks (each is one `myTrades`, weight 20); the rest wait for the next one.
pub const SUSPECT_PAIRS: usize = 40;

/// The pairs to ask `myTrades` for among the account's [`AccountState::suspects`] at venue time `now`: a pair
/// `exchangeInfo` no longer lists while listed pairs still name both its assets (a removed `ETHBTC` while `ETHUSDT`
/// and `BTCUSDT` trade on) leaves both assets unexplained, so each suspect is asked against each other one, those
/// whose quote is among the most used quote assets ([`quotes`]) first, at most [`SUSPECT_PAIRS`]. Symbols already
/// known, and those that answered nothing less than [`RETRY_MS`] ago, are left out.
pub fn suspect_candidates(st: &AccountState, now: i64) -> Vec<(String, (String, String))> {
    let quotes = quotes(st);
    let mut out: Vec<(bool, String, (String, String))> = Vec::new();
    for base in &st.suspects {
        for quote in st.suspects.iter().filter(|q| *q != base) {
            let symbol = format!("{base}{quote}");
            if st.symbols.symbols.contains_key(&symbol) || st.no_pair.get(&symbol).is_some_and(|t| now - t < RETRY_MS) {
                continue;
            }
            out.push((!quotes.contains(quote), symbol, (base.clone(), quote.clone())));
        }
    }
    out.sort();
    out.into_iter().take(SUSPECT_PAIRS).map(|(_, s, p)| (s, p)).collect()
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
    fn unexplained_listed_assets_are_asked_against_each_other_once_until_the_retry_time() {
        let d = |v: &str| v.parse::<Decimal>().unwrap();
        let venue =
            BTreeMap::from([("BTC".to_string(), d("1.5")), ("ETH".to_string(), d("2")), ("USDT".to_string(), d("10"))]);
        let ledger = BTreeMap::from([
            ("BTC".to_string(), d("1.6")),
            ("ETH".to_string(), d("0")),
            ("USDT".to_string(), d("10")),
            ("DOGE".to_string(), d("5")),
        ]);
        // ETH bought with BTC on a pair the list no longer has; DOGE's ledger has what the venue shows no more
        let sus = unexplained(Some(&venue), &ledger);
        assert_eq!(sus, BTreeSet::from(["BTC".to_string(), "DOGE".to_string(), "ETH".to_string()]));
        assert_eq!(unexplained(None, &BTreeMap::new()), BTreeSet::new());
        let mut s = st(
            &[
                ("BTCUSDT", "BTC", "USDT"),
                ("ETHUSDT", "ETH", "USDT"),
                ("DOGEBTC", "DOGE", "BTC"),
                ("DOGEUSDT", "DOGE", "USDT"),
            ],
            &["BTC", "USDT", "ETH", "DOGE"],
        );
        assert!(suspect_candidates(&s, 0).is_empty(), "no suspects, nothing asked");
        s.suspects = sus;
        assert_eq!(quotes(&s), ["USDT", "BTC"]);
        // each suspect against each other, those quoted in a most used quote first; the listed DOGEBTC left out
        let asked: Vec<String> = suspect_candidates(&s, 0).into_iter().map(|c| c.0).collect();
        assert_eq!(asked, ["ETHBTC", "BTCDOGE", "BTCETH", "DOGEETH", "ETHDOGE"]);
        assert!(orphans(&s).is_empty() && candidates(&s, 0).is_empty(), "no orphan: these are the residuals' own");
        for sym in &asked {
            s.no_pair.insert(sym.clone(), 0);
        }
        assert!(suspect_candidates(&s, RETRY_MS - 1).is_empty(), "remembered");
        assert_eq!(suspect_candidates(&s, RETRY_MS).len(), 5, "asked again after the retry time");
        // many suspects: the most suspect pairs first, a bounded number per cycle
        s.suspects = (0..10).map(|i| format!("A{i}")).chain(["BTC".to_string()]).collect();
        let many = suspect_candidates(&s, 0);
        assert_eq!(many.len(), SUSPECT_PAIRS);
        assert!(many[..10].iter().all(|(_, (_, q))| q == "BTC"), "{many:?}");
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
