//! Builders for ledger events in tests.
#![allow(dead_code)]

use ledger::{AccountId, Decimal, Event, EventKind, IncomeType, Money, PricePoint, Timestamp};

pub fn d(s: &str) -> Decimal {
    s.parse().unwrap_or_else(|_| panic!("bad decimal {s}"))
}

/// Day `n` of 2024 (1-based in January, spilling over), at `hour`.
pub fn at(day: i64, hour: i64) -> Timestamp {
    let base: Timestamp = "2024-01-01T00:00:00Z".parse().unwrap();
    Timestamp::from_millis(base.millis() + (day - 1) * 86_400_000 + hour * 3_600_000)
}

pub fn trade(
    id: &str,
    t: Timestamp,
    account: &str,
    spend: (&str, &str),
    receive: (&str, &str),
    fees: &[(&str, &str)],
) -> Event {
    Event {
        id: id.into(),
        time: t,
        account: AccountId(account.into()),
        kind: EventKind::Trade {
            spend: Money::new(spend.1, d(spend.0)),
            receive: Money::new(receive.1, d(receive.0)),
            fees: fees.iter().map(|(a, s)| Money::new(*s, d(a))).collect(),
            symbol: None,
        },
    }
}

pub fn with_symbol(mut e: Event, sym: &str) -> Event {
    if let EventKind::Trade { symbol, .. } | EventKind::Income { symbol, .. } = &mut e.kind {
        *symbol = Some(sym.into());
    }
    e
}

pub fn deposit(id: &str, t: Timestamp, account: &str, amount: &str, asset: &str, txid: Option<&str>) -> Event {
    Event {
        id: id.into(),
        time: t,
        account: AccountId(account.into()),
        kind: EventKind::Deposit { asset: asset.into(), amount: d(amount), txid: txid.map(Into::into) },
    }
}

pub fn withdrawal(
    id: &str,
    t: Timestamp,
    account: &str,
    amount: &str,
    asset: &str,
    fee: Option<&str>,
    txid: Option<&str>,
) -> Event {
    Event {
        id: id.into(),
        time: t,
        account: AccountId(account.into()),
        kind: EventKind::Withdrawal {
            asset: asset.into(),
            amount: d(amount),
            fee: fee.map(d),
            txid: txid.map(Into::into),
        },
    }
}

pub fn transfer(id: &str, t: Timestamp, from: &str, to: &str, amount: &str, asset: &str) -> Event {
    Event {
        id: id.into(),
        time: t,
        account: AccountId(from.into()),
        kind: EventKind::Transfer {
            from_account: AccountId(from.into()),
            to_account: AccountId(to.into()),
            asset: asset.into(),
            amount: d(amount),
        },
    }
}

pub fn income(id: &str, t: Timestamp, account: &str, ty: IncomeType, amount: &str, asset: &str) -> Event {
    Event {
        id: id.into(),
        time: t,
        account: AccountId(account.into()),
        kind: EventKind::Income { income_type: ty, asset: asset.into(), amount: d(amount), symbol: None },
    }
}

pub fn price(t: Timestamp, asset: &str, quote: &str, p: &str) -> PricePoint {
    PricePoint { time: t, asset: asset.into(), quote: quote.into(), price: d(p) }
}

pub fn migration(id: &str, t: Timestamp, account: &str, from: (&str, &str), to: (&str, &str)) -> Event {
    Event {
        id: id.into(),
        time: t,
        account: AccountId(account.into()),
        kind: EventKind::Migration { from: Money::new(from.1, d(from.0)), to: Money::new(to.1, d(to.0)) },
    }
}
