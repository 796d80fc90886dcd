//! Binance cross margin in the sync (docs/sync.md, "Margin"; docs/venues.md §1.18): which symbols' margin fills a
//! full cycle reads, and the symbols named whose fills cannot be read (fail closed: the account is not complete).

use std::collections::{BTreeMap, BTreeSet};

use ledger::{Event, EventKind};
use venues::parse::Balances;

use crate::state::AccountState;

/// The cross margin wallet's key, `binance/{label}/margin`.
pub fn wallet(label: &str) -> String {
    format!("binance/{label}/margin")
}

/// Whether a ledger account is a Binance margin wallet (cross, or an isolated pair's).
pub fn is_margin_wallet(account: &str) -> bool {
    let wallet = account.rsplit('/').next().unwrap_or_default();
    account.starts_with("binance/") && (wallet == "margin" || wallet.starts_with("isolated-"))
}

/// Notes the assets the events move in a margin wallet (a loan, a fill, a transfer to or from it): with the margin
/// balances' assets, they say which pairs can have margin fills.
pub fn note_assets(st: &mut AccountState, events: &[Event]) {
    for e in events {
        let into_margin = match &e.kind {
            EventKind::Transfer { to_account, .. } => is_margin_wallet(to_account.as_str()),
            _ => false,
        };
        if into_margin || is_margin_wallet(e.account.as_str()) {
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
}
