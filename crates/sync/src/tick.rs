//! The incremental tick's rule, without IO: what the balances say moved since the last tick, which streams can
//! explain it, and whether the events they returned do, amount for amount (docs/sync.md).
//!
//! A tick reads every wallet's balances first. Against the balances of the last completed tick, each (wallet,
//! asset) moved by some amount; every event the tick reads that happened after the last reading and up to this one
//! accounts for part of it. Whatever is left unexplained sends the tick to a full cycle.
//!
//! ```
//! use std::collections::BTreeMap;
//! use ledger::{AccountId, Decimal, Event, EventKind, Timestamp};
//! use sync_engine::tick::Check;
//! let wallet = |usdt: i64| BTreeMap::from([("binance/main/spot".to_string(), BTreeMap::from([
//!     ("USDT".to_string(), Decimal::from(usdt))]))]);
//! let mut check = Check::new(&wallet(100), 1_000, &wallet(150), 2_000, &[]);
//! assert_eq!(check.unexplained().len(), 1);
//! let deposit = Event { id: "binance/main/spot:deposit:1".into(), time: Timestamp::from_millis(1_500),
//!     account: AccountId("binance/main/spot".into()),
//!     kind: EventKind::Deposit { asset: "USDT".into(), amount: Decimal::from(50), txid: None } };
//! check.note(&[deposit.clone(), deposit]);
//! assert!(check.unexplained().is_empty(), "counted once, however often it is read");
//! ```

use std::collections::{BTreeMap, BTreeSet};

use ledger::{Decimal, Event, EventKind};
use venues::parse::{Balances, SymbolBook};

/// A wallet (ledger account id, `binance/main/spot`) and an asset.
pub type Slot = (String, String);

/// What an event does to balances: (ledger account, asset, signed amount). Futures fills move nothing (their money
/// is in the income rows of the same fills).
pub fn effects(e: &Event) -> Vec<(String, String, Decimal)> {
    let acc = e.account.as_str().to_string();
    match &e.kind {
        EventKind::Trade { spend, receive, fees, .. } => {
            let mut out = vec![(acc.clone(), spend.asset.to_string(), -spend.amount)];
            out.push((acc.clone(), receive.asset.to_string(), receive.amount));
            out.extend(fees.iter().map(|f| (acc.clone(), f.asset.to_string(), -f.amount)));
            out
        }
        EventKind::Deposit { asset, amount, .. } => vec![(acc, asset.to_string(), *amount)],
        EventKind::Withdrawal { asset, amount, fee, .. } => {
            vec![(acc, asset.to_string(), -(*amount + fee.unwrap_or_default()))]
        }
        EventKind::Transfer { from_account, to_account, asset, amount } => vec![
            (from_account.as_str().to_string(), asset.to_string(), -*amount),
            (to_account.as_str().to_string(), asset.to_string(), *amount),
        ],
        EventKind::Income { asset, amount, .. } => vec![(acc, asset.to_string(), *amount)],
        // balances net of what is owed (a margin wallet's netAsset)
        EventKind::Loan { action, asset, amount, .. } => vec![(acc, asset.to_string(), action.net_change(*amount))],
        EventKind::FuturesTrade { .. } => Vec::new(),
        EventKind::Migration { from, to } => {
            vec![(acc.clone(), from.asset.to_string(), -from.amount), (acc, to.asset.to_string(), to.amount)]
        }
    }
}

/// `after - before` per wallet and asset, zero differences left out.
pub fn movement(before: &Balances, after: &Balances) -> BTreeMap<Slot, Decimal> {
    let mut out: BTreeMap<Slot, Decimal> = BTreeMap::new();
    for (sign, side) in [(Decimal::NEGATIVE_ONE, before), (Decimal::ONE, after)] {
        for (acc, assets) in side {
            for (asset, v) in assets {
                *out.entry((acc.clone(), asset.clone())).or_default() += sign * v;
            }
        }
    }
    out.retain(|_, d| !d.is_zero());
    out
}

/// One tick's balance check: what moved between two readings, and how much of it the events read so far explain.
#[derive(Clone, Debug)]
pub struct Check {
    since: i64,
    until: i64,
    moved: BTreeMap<Slot, Decimal>,
    explained: BTreeMap<Slot, Decimal>,
    counted: BTreeSet<String>,
    later: BTreeMap<String, Event>,
}

impl Check {
    /// Balances `before` read at venue time `since`, `after` read at `until`; `carried` are events an earlier tick
    /// read that happened after its reading ([`Check::carry`]).
    pub fn new(before: &Balances, since: i64, after: &Balances, until: i64, carried: &[Event]) -> Check {
        let mut c = Check {
            since,
            until,
            moved: movement(before, after),
            explained: BTreeMap::new(),
            counted: BTreeSet::new(),
            later: BTreeMap::new(),
        };
        c.note(carried);
        c
    }

    /// Counts events read by this tick: each once, and only those between the two readings (an older one is in
    /// `before` already; a newer one is carried to the next tick).
    pub fn note(&mut self, events: &[Event]) {
        for e in events {
            let t = e.time.0;
            if t <= self.since || self.counted.contains(&e.id) {
                continue;
            }
            if t > self.until {
                self.later.insert(e.id.clone(), e.clone());
                continue;
            }
            self.counted.insert(e.id.clone());
            for (acc, asset, d) in effects(e) {
                *self.explained.entry((acc, asset)).or_default() += d;
            }
        }
    }

    /// What moved, per wallet and asset.
    pub fn moved(&self) -> &BTreeMap<Slot, Decimal> {
        &self.moved
    }

    /// Whether anything in the wallet `account` moved.
    pub fn wallet_moved(&self, account: &str) -> bool {
        self.moved.keys().any(|(a, _)| a == account)
    }

    /// Wallets and assets whose movement the events counted so far do not add up to (including events that moved
    /// what did not move).
    pub fn unexplained(&self) -> BTreeSet<Slot> {
        let zero = Decimal::ZERO;
        self.moved
            .keys()
            .chain(self.explained.keys())
            .filter(|k| self.moved.get(*k).unwrap_or(&zero) != self.explained.get(*k).unwrap_or(&zero))
            .cloned()
            .collect()
    }

    /// The unexplained assets of one wallet.
    pub fn unexplained_in(&self, account: &str) -> BTreeSet<String> {
        self.unexplained().into_iter().filter(|(a, _)| a == account).map(|(_, asset)| asset).collect()
    }

    /// Events read that happened after this tick's reading: the next tick counts them.
    pub fn carry(&self) -> Vec<Event> {
        self.later.values().cloned().collect()
    }
}

/// Spot symbols of `book` whose trades can explain movement in `assets`: with `both`, the symbols whose base and
/// quote both moved (a trade always moves both); otherwise those with either (the other side explained by
/// something else, or moved back by another trade).
pub fn symbols_for(book: &SymbolBook, assets: &BTreeSet<String>, both: bool) -> Vec<String> {
    book.symbols
        .iter()
        .filter(
            |(_, (b, q))| {
                if both { assets.contains(b) && assets.contains(q) } else { assets.contains(b) || assets.contains(q) }
            },
        )
        .map(|(s, _)| s.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledger::{AccountId, Money, Timestamp};

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn bal(rows: &[(&str, &str, &str)]) -> Balances {
        let mut b = Balances::new();
        for (acc, asset, v) in rows {
            b.entry(acc.to_string()).or_default().insert(asset.to_string(), d(v));
        }
        b
    }

    fn trade(id: &str, t: i64, spend: (&str, &str), receive: (&str, &str), fee: (&str, &str)) -> Event {
        Event {
            id: id.into(),
            time: Timestamp::from_millis(t),
            account: AccountId("binance/m/spot".into()),
            kind: EventKind::Trade {
                spend: Money::new(spend.0, d(spend.1)),
                receive: Money::new(receive.0, d(receive.1)),
                fees: vec![Money::new(fee.0, d(fee.1))],
                symbol: Some("BTCUSDT".into()),
            },
        }
    }

    const S: &str = "binance/m/spot";

    #[test]
    fn a_trade_explains_its_base_quote_and_fee() {
        let before = bal(&[(S, "USDT", "1000"), (S, "BNB", "1")]);
        let after = bal(&[(S, "USDT", "900"), (S, "BTC", "0.002"), (S, "BNB", "0.99")]);
        let mut c = Check::new(&before, 10, &after, 20, &[]);
        assert_eq!(c.unexplained_in(S), BTreeSet::from(["USDT".into(), "BTC".into(), "BNB".into()]));
        c.note(&[trade("t1", 15, ("USDT", "100"), ("BTC", "0.002"), ("BNB", "0.01"))]);
        assert!(c.unexplained().is_empty());
    }

    #[test]
    fn a_pair_that_nets_out_leaves_only_its_fees_and_reading_it_explains_them() {
        let before = bal(&[(S, "USDT", "1000"), (S, "BNB", "1")]);
        let after = bal(&[(S, "USDT", "1000"), (S, "BNB", "0.98")]);
        let mut c = Check::new(&before, 10, &after, 20, &[]);
        // only BNB moved: no symbol has both sides moved, and BNB's own symbols cannot explain a fee
        assert_eq!(c.unexplained_in(S), BTreeSet::from(["BNB".into()]));
        let book = SymbolBook {
            symbols: BTreeMap::from([
                ("BTCUSDT".into(), ("BTC".into(), "USDT".into())),
                ("BNBUSDT".into(), ("BNB".into(), "USDT".into())),
            ]),
        };
        assert!(symbols_for(&book, &c.unexplained_in(S), true).is_empty());
        assert_eq!(symbols_for(&book, &c.unexplained_in(S), false), ["BNBUSDT"]);
        c.note(&[
            trade("buy", 12, ("USDT", "100"), ("BTC", "0.002"), ("BNB", "0.01")),
            trade("sell", 13, ("BTC", "0.002"), ("USDT", "100"), ("BNB", "0.01")),
        ]);
        assert!(c.unexplained().is_empty());
        // a pair with no fee moves nothing at all: nothing to explain, nothing to see
        let c = Check::new(&before, 10, &before, 20, &[]);
        assert!(c.moved().is_empty() && c.unexplained().is_empty());
    }

    #[test]
    fn events_outside_the_readings_are_not_counted_and_later_ones_are_carried() {
        let before = bal(&[(S, "USDT", "100")]);
        let after = bal(&[(S, "USDT", "150")]);
        let dep = |id: &str, t: i64| Event {
            id: id.into(),
            time: Timestamp::from_millis(t),
            account: AccountId(S.into()),
            kind: EventKind::Deposit { asset: "USDT".into(), amount: d("50"), txid: None },
        };
        let mut c = Check::new(&before, 10, &after, 20, &[]);
        c.note(&[dep("old", 10), dep("next", 21)]);
        assert_eq!(c.unexplained().len(), 1, "one before the first reading, one after the second");
        assert_eq!(c.carry().len(), 1);
        // the next tick counts the carried one once, even when it reads it again
        let after2 = bal(&[(S, "USDT", "200")]);
        let mut next = Check::new(&after, 20, &after2, 30, &c.carry());
        next.note(&[dep("next", 21)]);
        assert!(next.unexplained().is_empty());
        // an event that moved what did not move is unexplained too
        let mut c = Check::new(&before, 10, &before, 20, &[]);
        c.note(&[dep("x", 15)]);
        assert_eq!(c.unexplained().len(), 1);
    }

    #[test]
    fn transfers_move_two_wallets() {
        let f = "binance/m/funding";
        let before = bal(&[(S, "USDT", "100")]);
        let after = bal(&[(S, "USDT", "60"), (f, "USDT", "40")]);
        let mut c = Check::new(&before, 0, &after, 9, &[]);
        assert!(c.wallet_moved(f) && c.wallet_moved(S) && !c.wallet_moved("binance/m/usdm"));
        c.note(&[Event {
            id: "t".into(),
            time: Timestamp::from_millis(5),
            account: AccountId(S.into()),
            kind: EventKind::Transfer {
                from_account: AccountId(S.into()),
                to_account: AccountId(f.into()),
                asset: "USDT".into(),
                amount: d("40"),
            },
        }]);
        assert!(c.unexplained().is_empty());
    }
}
