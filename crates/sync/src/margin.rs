//! Binance cross and isolated margin in the sync (docs/sync.md, "Margin"; docs/venues.md §1.18): which symbols'
//! margin fills a full cycle reads, which requests read an isolated pair's histories, and the symbols named whose
//! fills cannot be read (fail closed: the account is not complete).

use std::collections::{BTreeMap, BTreeSet};

use ledger::{Event, EventKind};
use venues::parse::Balances;
use venues::parse::binance::ISOLATED_WALLET_PREFIX;

use crate::plan::{BinanceStream, Stream};
use crate::state::AccountState;

/// The cross margin wallet's key, `binance/{label}/margin`.
pub fn wallet(label: &str) -> String {
    format!("binance/{label}/margin")
}

/// The instances of `stream` that read the isolated `pairs`' histories: borrows, repays, interest and liquidation
/// orders with `isolatedSymbol`, the capital flow with `symbol`, fills with `symbol` and `isIsolated=TRUE`, and the
/// two transfer types between cross margin and a pair (`MARGIN_ISOLATEDMARGIN` with `toSymbol`,
/// `ISOLATEDMARGIN_MARGIN` with `fromSymbol`). None for another stream.
pub fn isolated_instances(stream: Stream, pairs: &[String]) -> Vec<Vec<(&'static str, String)>> {
    let each = |f: &dyn Fn(&String) -> Vec<(&'static str, String)>| pairs.iter().map(f).collect();
    match stream {
        Stream::Binance(BinanceStream::MarginBorrows) => {
            each(&|p| vec![("type", "BORROW".into()), ("isolatedSymbol", p.clone())])
        }
        Stream::Binance(BinanceStream::MarginRepays) => {
            each(&|p| vec![("type", "REPAY".into()), ("isolatedSymbol", p.clone())])
        }
        Stream::Binance(BinanceStream::MarginInterest | BinanceStream::MarginLiquidations) => {
            each(&|p| vec![("isolatedSymbol", p.clone())])
        }
        Stream::Binance(BinanceStream::MarginCapitalFlow) => each(&|p| vec![("symbol", p.clone())]),
        Stream::Binance(BinanceStream::MarginTrades) => {
            each(&|p| vec![("symbol", p.clone()), ("isIsolated", "TRUE".into())])
        }
        // the types that name one pair, for each pair; the type between two pairs, for each two (both ways)
        Stream::Binance(BinanceStream::Transfers) => {
            let mut out = Vec::new();
            for &(ty, from, to) in &venues::parse::binance::ISOLATED_TRANSFER_TYPES {
                let named = |w: &'static str| w.ends_with("Symbol").then_some(w);
                let request = |sides: &[(&'static str, &String)]| {
                    let mut params = vec![("type", ty.to_string())];
                    params.extend(sides.iter().map(|(k, p)| (*k, (*p).clone())));
                    params
                };
                match (named(from), named(to)) {
                    (Some(f), Some(t)) => {
                        for a in pairs {
                            out.extend(pairs.iter().filter(|b| *b != a).map(|b| request(&[(f, a), (t, b)])));
                        }
                    }
                    (Some(k), None) | (None, Some(k)) => out.extend(pairs.iter().map(|p| request(&[(k, p)]))),
                    (None, None) => {}
                }
            }
            out
        }
        _ => vec![],
    }
}

/// The isolated pair a stream instance reads ([`isolated_instances`]), `None` for a cross margin or other one.
pub fn isolated_symbol(stream: Stream, params: &[(&'static str, String)]) -> Option<String> {
    let param = |k: &str| params.iter().find(|(p, _)| *p == k).map(|(_, v)| v.clone());
    match stream {
        Stream::Binance(
            BinanceStream::MarginBorrows
            | BinanceStream::MarginRepays
            | BinanceStream::MarginInterest
            | BinanceStream::MarginLiquidations,
        ) => param("isolatedSymbol"),
        Stream::Binance(BinanceStream::MarginCapitalFlow) => param("symbol"),
        Stream::Binance(BinanceStream::MarginTrades) => {
            param("isIsolated").filter(|v| v == "TRUE").and(param("symbol"))
        }
        Stream::Binance(BinanceStream::Transfers) => param("toSymbol").or_else(|| param("fromSymbol")),
        _ => None,
    }
}

/// The isolated pairs whose fills can be read (those in the symbol list) and, per pair that cannot, its entry in
/// `AccountState::unfound_trades` (`isolated SYMBOL`).
pub fn isolated_fill_pairs(st: &AccountState) -> (Vec<String>, BTreeMap<String, Vec<String>>) {
    let (listed, unlisted): (Vec<String>, Vec<String>) =
        st.isolated_pairs.iter().cloned().partition(|p| st.symbols.symbols.contains_key(p));
    (listed, unlisted.into_iter().map(|p| (format!("isolated {p}"), vec![p])).collect())
}

/// Whether a ledger account is a margin wallet: Binance's cross or an isolated pair's, or Bitget's cross margin
/// (docs/venues.md §2.15).
pub fn is_margin_wallet(account: &str) -> bool {
    let wallet = account.rsplit('/').next().unwrap_or_default();
    let binance = account.starts_with("binance/") && (wallet == "margin" || wallet.starts_with(ISOLATED_WALLET_PREFIX));
    binance || (account.starts_with("bitget/") && wallet == venues::parse::bitget::MARGIN_WALLET)
}

/// Bitget's cross margin wallet's key, `bitget/{label}/margin`.
pub fn bitget_wallet(label: &str) -> String {
    format!("bitget/{label}/{}", venues::parse::bitget::MARGIN_WALLET)
}

/// The Bitget symbols whose cross margin fills a full cycle reads (docs/sync.md, "Margin"): Bitget lists no pairs
/// the sync keeps, so each asset of the margin wallet (its balances, and its loans, fills and transfers) against
/// each of them that is a quote Bitget's symbols end with ([`venues::parse::BITGET_QUOTES`]), the quote ranked
/// before the base where both are quotes (`BTCUSDT`, never `USDTBTC`).
pub fn bitget_fill_symbols(st: &AccountState, balances: &Balances, label: &str) -> Vec<String> {
    let mut assets: BTreeSet<&str> = st.margin_assets.iter().map(String::as_str).collect();
    assets.extend(balances.get(&bitget_wallet(label)).into_iter().flat_map(|b| b.keys().map(String::as_str)));
    bitget_symbols_of(&assets)
}

/// The coins of Bitget's cross margin wallet: its balances' and those its events moved (loans, fills, transfers
/// in), whose transfers out of it a full cycle reads (docs/sync.md, "Bitget cross margin").
pub fn bitget_coins(st: &AccountState, balances: &Balances, label: &str) -> Vec<String> {
    let mut coins: BTreeSet<String> = st.margin_assets.clone();
    coins.extend(balances.get(&bitget_wallet(label)).into_iter().flat_map(|b| b.keys().cloned()));
    coins.into_iter().collect()
}

/// The Bitget symbols two of `assets` make, base against a quote ranked before it ([`bitget_fill_symbols`]).
pub fn bitget_symbols_of(assets: &BTreeSet<&str>) -> Vec<String> {
    let rank = |a: &str| venues::parse::BITGET_QUOTES.iter().position(|q| *q == a);
    let mut out = Vec::new();
    for quote in assets.iter().filter(|a| rank(a).is_some()) {
        for base in assets.iter().filter(|b| b != &quote && rank(b).is_none_or(|r| Some(r) > rank(quote))) {
            out.push(format!("{base}{quote}"));
        }
    }
    out.sort();
    out
}

/// Notes the assets the events move in the cross margin wallet (a loan, a fill, a transfer to or from it): with the
/// margin balances' assets, they say which pairs can have cross margin fills (an isolated pair's fills are its own
/// symbol's: [`isolated_instances`]).
pub fn note_assets(st: &mut AccountState, events: &[Event]) {
    let cross = |account: &str| is_margin_wallet(account) && account.ends_with("/margin");
    for e in events {
        let into_margin = match &e.kind {
            EventKind::Transfer { to_account, .. } => cross(to_account.as_str()),
            _ => false,
        };
        if into_margin || cross(e.account.as_str()) {
            st.margin_assets.extend(e.assets().map(str::to_owned));
        }
    }
}

/// The symbols whose margin fills a full cycle reads: those the capital flow and the liquidation orders named, and
/// the listed symbols whose base and quote are both assets of the margin wallet (its balances, or events in it).
pub fn fill_symbols(st: &AccountState, balances: &Balances, label: &str) -> Vec<String> {
    let mut assets: BTreeSet<&str> = st.margin_assets.iter().map(String::as_str).collect();
    assets.extend(balances.get(&wallet(label)).into_iter().flat_map(|b| b.keys().map(String::as_str)));
    let mut symbols: BTreeSet<String> =
        st.margin_symbols.iter().filter(|s| st.symbols.symbols.contains_key(*s)).cloned().collect();
    symbols.extend(
        st.symbols
            .symbols
            .iter()
            .filter(|(_, (b, q))| assets.contains(b.as_str()) && assets.contains(q.as_str()))
            .map(|(s, _)| s.clone()),
    );
    symbols.into_iter().collect()
}

/// The symbols the margin streams named that the symbol list does not have: their fills cannot be parsed, so they
/// are listed as not found (`AccountState::unfound_trades`, under `margin SYMBOL`), never skipped in silence.
pub fn unfound(st: &AccountState) -> BTreeMap<String, Vec<String>> {
    st.margin_symbols
        .iter()
        .filter(|s| !st.symbols.symbols.contains_key(*s))
        .map(|s| (format!("margin {s}"), vec![s.clone()]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger::{AccountId, Decimal, LoanAction, Timestamp};

    fn state() -> AccountState {
        let mut st = AccountState::default();
        for (s, b, q) in [("BTCUSDT", "BTC", "USDT"), ("ETHUSDT", "ETH", "USDT"), ("ETHBTC", "ETH", "BTC")] {
            st.symbols.symbols.insert(s.into(), (b.into(), q.into()));
        }
        st
    }

    #[test]
    fn fills_are_read_for_the_pairs_of_the_margin_wallets_assets_and_the_symbols_named() {
        let mut st = state();
        let borrow = Event {
            id: "b".into(),
            time: Timestamp(1),
            account: AccountId("binance/m/margin".into()),
            kind: EventKind::Loan {
                action: LoanAction::Borrow,
                asset: "BTC".into(),
                amount: Decimal::ONE,
                interest: None,
            },
        };
        note_assets(&mut st, &[borrow]);
        let mut balances = Balances::new();
        balances.entry(wallet("m")).or_default().insert("USDT".into(), Decimal::TEN);
        assert_eq!(fill_symbols(&st, &balances, "m"), ["BTCUSDT"]);
        st.margin_symbols.insert("ETHBTC".into());
        st.margin_symbols.insert("XYZUSDT".into());
        assert_eq!(fill_symbols(&st, &balances, "m"), ["BTCUSDT", "ETHBTC"]);
        // a symbol named but not listed cannot be read: it keeps the account incomplete
        assert_eq!(unfound(&st), BTreeMap::from([("margin XYZUSDT".to_string(), vec!["XYZUSDT".to_string()])]));
        assert!(is_margin_wallet("binance/m/isolated-BTCUSDT") && !is_margin_wallet("binance/m/spot"));
    }

    /// An isolated pair's histories are the cross ones with the pair named (docs/venues.md §1.18): each request names
    /// it where the venue wants it, and the pair read back from the request is the pair asked for; cross margin's
    /// requests name none. A pair not in the symbol list cannot have its fills read: it is unfound.
    #[test]
    fn each_isolated_pair_is_read_with_its_symbol_where_the_venue_wants_it() {
        let pairs = ["BTCUSDT".to_string(), "ETHBTC".to_string()];
        let p = |k: &'static str, v: &str| (k, v.to_string());
        assert_eq!(
            isolated_instances(Stream::Binance(BinanceStream::MarginBorrows), &pairs),
            [
                vec![p("type", "BORROW"), p("isolatedSymbol", "BTCUSDT")],
                vec![p("type", "BORROW"), p("isolatedSymbol", "ETHBTC")]
            ]
        );
        assert_eq!(
            isolated_instances(Stream::Binance(BinanceStream::MarginCapitalFlow), &pairs[..1]),
            [vec![p("symbol", "BTCUSDT")]]
        );
        assert_eq!(
            isolated_instances(Stream::Binance(BinanceStream::MarginTrades), &pairs[..1]),
            [vec![p("symbol", "BTCUSDT"), p("isIsolated", "TRUE")]]
        );
        // one pair: in from cross margin and out to it; two pairs: those of each, and between them both ways
        assert_eq!(
            isolated_instances(Stream::Binance(BinanceStream::Transfers), &pairs[..1]),
            [
                vec![p("type", "MARGIN_ISOLATEDMARGIN"), p("toSymbol", "BTCUSDT")],
                vec![p("type", "ISOLATEDMARGIN_MARGIN"), p("fromSymbol", "BTCUSDT")]
            ]
        );
        let between = |from: &str, to: &str| {
            vec![p("type", "ISOLATEDMARGIN_ISOLATEDMARGIN"), p("fromSymbol", from), p("toSymbol", to)]
        };
        assert_eq!(
            isolated_instances(Stream::Binance(BinanceStream::Transfers), &pairs)[4..],
            [between("BTCUSDT", "ETHBTC"), between("ETHBTC", "BTCUSDT")]
        );
        assert!(isolated_instances(Stream::Binance(BinanceStream::SpotTrades), &pairs).is_empty());
        for stream in Stream::BINANCE_MARGIN
            .into_iter()
            .chain([Stream::Binance(BinanceStream::MarginTrades), Stream::Binance(BinanceStream::Transfers)])
        {
            let instances = isolated_instances(stream, &pairs);
            // three transfer requests a pair here (in, out, and to the other pair), one of each other stream
            let per = if stream == Stream::Binance(BinanceStream::Transfers) { 3 } else { 1 };
            assert_eq!(instances.len(), pairs.len() * per, "{stream:?}");
            for params in &instances {
                let pair = isolated_symbol(stream, params).expect("an isolated request names its pair");
                assert!(pairs.contains(&pair), "{stream:?} {params:?}");
            }
            let named: BTreeSet<String> = instances.iter().filter_map(|i| isolated_symbol(stream, i)).collect();
            assert_eq!(named.len(), pairs.len(), "{stream:?}: every pair is read");
            // the cross instances name no pair
            for params in crate::plan::instances(stream, &pairs, &[]) {
                assert_eq!(isolated_symbol(stream, &params), None, "{stream:?} {params:?}");
            }
        }
        let mut st = state();
        st.isolated_pairs.extend(["BTCUSDT".to_string(), "XYZUSDT".to_string()]);
        let (listed, unfound) = isolated_fill_pairs(&st);
        assert_eq!(listed, ["BTCUSDT"]);
        assert_eq!(unfound, BTreeMap::from([("isolated XYZUSDT".to_string(), vec!["XYZUSDT".to_string()])]));
    }

    /// The assets noted for cross margin fills are cross margin's: a fill in an isolated pair names none.
    #[test]
    fn an_isolated_pairs_events_do_not_widen_the_cross_fills_read() {
        let mut st = state();
        let fill = |account: &str| Event {
            id: "f".into(),
            time: Timestamp(1),
            account: AccountId(account.into()),
            kind: EventKind::Loan {
                action: LoanAction::Borrow,
                asset: "ETH".into(),
                amount: Decimal::ONE,
                interest: None,
            },
        };
        note_assets(&mut st, &[fill("binance/m/isolated-ETHBTC")]);
        assert!(st.margin_assets.is_empty());
        note_assets(&mut st, &[fill("binance/m/margin")]);
        assert_eq!(st.margin_assets, BTreeSet::from(["ETH".to_string()]));
    }

    /// Bitget's cross margin fills are read for the symbols the wallet's assets make, the quote ranked first where
    /// both are quotes (docs/venues.md §2.15); an asset with no quote beside it makes none, and a transfer into the
    /// wallet or a loan in it names its assets.
    #[test]
    fn bitget_margin_fills_are_read_for_the_pairs_its_assets_make() {
        let of = |assets: &[&str]| bitget_symbols_of(&assets.iter().copied().collect());
        assert_eq!(of(&["BTC", "USDT"]), ["BTCUSDT"]);
        assert_eq!(of(&["BTC", "ETH", "USDT"]), ["BTCUSDT", "ETHBTC", "ETHUSDT"]);
        assert!(of(&["BTC"]).is_empty() && of(&["PEPE", "XYZ"]).is_empty());
        let mut st = state();
        let event = |account: &str, kind| Event {
            id: "e".into(),
            time: Timestamp(1),
            account: AccountId(account.into()),
            kind,
        };
        let borrow =
            EventKind::Loan { action: LoanAction::Borrow, asset: "BTC".into(), amount: Decimal::ONE, interest: None };
        let transfer = EventKind::Transfer {
            from_account: AccountId("bitget/m/spot".into()),
            to_account: AccountId("bitget/m/margin".into()),
            asset: "USDT".into(),
            amount: Decimal::ONE,
        };
        note_assets(&mut st, &[event("bitget/m/margin", borrow), event("bitget/m/spot", transfer)]);
        assert_eq!(bitget_fill_symbols(&st, &Balances::new(), "m"), ["BTCUSDT"]);
        assert_eq!(bitget_coins(&st, &Balances::new(), "m"), ["BTC", "USDT"]);
        assert!(is_margin_wallet("bitget/m/margin") && !is_margin_wallet("bitget/m/isolated-BTCUSDT"));
    }
}
