//! Bitget isolated margin in the sync (docs/sync.md, "Bitget isolated margin"; docs/venues.md §2.18): each pair a
//! wallet `isolated-{SYMBOL}`, its histories read per pair. Which pairs an account uses (those the assets list, those
//! the isolated margin tax record and the transfer records name, kept once seen in `AccountState::isolated_pairs`),
//! and which coins their transfers are read for.

use std::collections::BTreeSet;

use ledger::{Event, EventKind};
use venues::parse::Balances;
use venues::parse::bitget::{ISOLATED_WALLET_PREFIX, TaxCheck, isolated_pair_of};

use crate::state::AccountState;

/// The prefix of a Bitget account's isolated pair wallets, `bitget/{label}/isolated-`.
pub fn wallet_prefix(label: &str) -> String {
    format!("bitget/{label}/{ISOLATED_WALLET_PREFIX}")
}

/// The pair of a ledger account of `label`'s isolated margin (`bitget/{label}/isolated-BTCUSDT` → `BTCUSDT`).
pub fn pair_of<'a>(label: &str, account: &'a str) -> Option<&'a str> {
    let wallet = account.strip_prefix(&format!("bitget/{label}/"))?;
    isolated_pair_of(wallet)
}

/// Notes the isolated pairs the events name (an event in a pair's wallet, a transfer into one): a pair a transfer
/// record names is one the account uses, even if its balances are gone by now.
pub fn note_pairs(st: &mut AccountState, label: &str, events: &[Event]) {
    for e in events {
        let to = match &e.kind {
            EventKind::Transfer { to_account, .. } => pair_of(label, to_account.as_str()),
            _ => None,
        };
        st.isolated_pairs.extend(pair_of(label, e.account.as_str()).into_iter().chain(to).map(str::to_owned));
    }
}

/// Notes the isolated pairs the margin tax record's isolated rows name (each row's wallet is its pair's).
pub fn note_tax_pairs(st: &mut AccountState, label: &str, rows: &[TaxCheck]) {
    st.isolated_pairs.extend(rows.iter().filter_map(|r| pair_of(label, &r.wallet)).map(str::to_owned));
}

/// The base and the quote of a Bitget pair, by the quotes its symbols end with ([`venues::parse::BITGET_QUOTES`]);
/// `None` for a pair that ends with none of them.
pub fn split(pair: &str) -> Option<(String, String)> {
    let quote = venues::parse::BITGET_QUOTES.iter().find(|q| pair.len() > q.len() && pair.ends_with(*q))?;
    Some((pair[..pair.len() - quote.len()].to_string(), quote.to_string()))
}

/// The coins whose transfers to and from the isolated pairs a full cycle reads: each pair's base and quote (a pair
/// no quote ends is named by the coins its wallet holds), and whatever the pairs' wallets hold.
pub fn coins(st: &AccountState, balances: &Balances, label: &str) -> Vec<String> {
    let prefix = wallet_prefix(label);
    let mut coins: BTreeSet<String> =
        st.isolated_pairs.iter().filter_map(|p| split(p)).flat_map(|(b, q)| [b, q]).collect();
    for (_, held) in balances.iter().filter(|(w, _)| w.starts_with(&prefix)) {
        coins.extend(held.keys().cloned());
    }
    coins.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger::{AccountId, Decimal, Timestamp};

    /// The pairs an account uses are named by its pair wallets' events and by transfers into them, never by another
    /// wallet's; a pair's coins are its base and quote.
    #[test]
    fn pairs_are_noted_from_their_wallets_and_transfers_in() {
        let mut st = AccountState::default();
        let transfer = |from: &str, to: &str| Event {
            id: "t".into(),
            time: Timestamp(1),
            account: AccountId(from.into()),
            kind: EventKind::Transfer {
                from_account: AccountId(from.into()),
                to_account: AccountId(to.into()),
                asset: "USDT".into(),
                amount: Decimal::ONE,
            },
        };
        note_pairs(&mut st, "m", &[transfer("bitget/m/spot", "bitget/m/margin")]);
        assert!(st.isolated_pairs.is_empty());
        note_pairs(&mut st, "m", &[transfer("bitget/m/spot", "bitget/m/isolated-BTCUSDT")]);
        note_pairs(&mut st, "m", &[transfer("bitget/m/isolated-ETHBTC", "bitget/m/spot")]);
        // another account's pair is not this one's
        note_pairs(&mut st, "m", &[transfer("bitget/x/spot", "bitget/x/isolated-SOLUSDT")]);
        assert_eq!(st.isolated_pairs, BTreeSet::from(["BTCUSDT".to_string(), "ETHBTC".to_string()]));
        assert_eq!(split("BTCUSDT"), Some(("BTC".into(), "USDT".into())));
        assert_eq!(split("USDT"), None);
        let mut balances = Balances::new();
        balances.entry("bitget/m/isolated-XYZABC".into()).or_default().insert("XYZ".into(), Decimal::ONE);
        assert_eq!(coins(&st, &balances, "m"), ["BTC", "ETH", "USDT", "XYZ"]);
        assert_eq!(pair_of("m", "bitget/m/isolated-BTCUSDT"), Some("BTCUSDT"));
        assert_eq!(pair_of("m", "bitget/m/margin"), None);
    }
}
