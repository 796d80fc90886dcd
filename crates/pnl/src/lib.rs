//! The PnL engine: a pure function from a ledger, prices and settings to a report, following docs/accounting.md.
//!
//! Roles:
//! - [`Settings`]: profit currency (USD default, stablecoins counting as USD), method (FIFO, LIFO, HIFO, ACB, UK share pooling), fees
//!   in cost basis, universal or per-account pools, the report window.
//! - [`PriceBook`]: prices as input; the price in force at a time is the latest at or before it, converted through
//!   quote chains (`ETH -> USDT -> USD`).
//! - [`compute`]: events oldest first from the first event, lots per pool, and a [`Report`]: realized PnL split by
//!   cause, unrealized per open lot, holdings and cost basis, missing acquisitions and prices, matched and unmatched
//!   transfers, the daily UTC equity curve, returns and the identity check.
//! - [`compute_with_positions`]: the same with open futures [`Position`]s, valued with the venues' formula.
//! - [`bundle`]: a verifiable bundle (ledger, prices, settings and the report, recomputed to check). The CSV files
//!   for other tools are the `formats` crate's.
//!
//! No IO, no clock, no UI: the same inputs give the same report, natively and in wasm.
//!
//! ```
//! use ledger::read_ledger;
//! use pnl::{Settings, compute};
//! let ledger = r#"{"id":"1","time":"2024-01-01T00:00:00Z","account":"binance/main/spot","kind":"trade","spend":{"asset":"USDT","amount":"100"},"receive":{"asset":"ETH","amount":"1"}}
//! {"id":"2","time":"2024-01-02T00:00:00Z","account":"binance/main/spot","kind":"trade","spend":{"asset":"ETH","amount":"1"},"receive":{"asset":"USDT","amount":"150"}}"#;
//! let events = read_ledger(ledger.as_bytes(), "ledger.jsonl").unwrap();
//! let report = compute(&events, &[], &Settings::default());
//! assert_eq!(report.realized.trade.to_string(), "50");
//! ```
#![deny(missing_docs)]

pub mod bundle;
mod engine;
pub mod futures;
mod incremental;
mod intern;
pub mod prices;
pub mod report;
pub mod returns;
pub mod settings;
mod transfers;
mod uk;

use std::borrow::Cow;

use engine::Events;

pub use incremental::{Extension, Incremental, Recomputed};
pub use ledger::{Decimal, Event, Position, PricePoint, Timestamp};
pub use prices::PriceBook;
pub use report::*;
pub use settings::{LegMark, Method, Period, Pools, SettingError, Settings, USD_STABLECOINS, Window};
pub use transfers::MATCH_WINDOW_MS;
pub use uk::held_more_than_a_year;

/// The engine version written into every report and bundle; a bundle recomputes only with the same version.
pub const ENGINE_VERSION: &str = concat!("pnl/", env!("CARGO_PKG_VERSION"));

/// The largest amount the engine accepts (10^15 units). With prices up to [`MAX_PRICE`] a single value is at most
/// 10^27, inside `Decimal`'s range (about 7.9 x 10^28); only totals beyond that, which no real portfolio reaches,
/// could overflow.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0);

/// The largest price the engine accepts (10^12, e.g. BTC in IDR is about 10^9).
pub const MAX_PRICE: Decimal = Decimal::from_parts(0xD4A5_1000, 0xE8, 0, false, 0);

/// An amount or a price beyond what the engine accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// An amount beyond [`MAX_AMOUNT`] (which amount, and its value).
    #[error("{what} amount {amount} is larger than the engine's limit of 10^15 units")]
    Amount {
        /// Which amount.
        what: &'static str,
        /// Its value.
        amount: Decimal,
    },
    /// A price beyond [`MAX_PRICE`].
    #[error("price {0} is larger than the engine's limit of 10^12")]
    Price(Decimal),
    /// A negative price.
    #[error("negative price {0}")]
    NegativePrice(Decimal),
}

/// Checks that an event's amounts are within [`MAX_AMOUNT`]; readers call it per line so the error names the line.
pub fn check_amounts(event: &Event) -> Result<(), LimitError> {
    use ledger::EventKind;
    let too_big = |what: &'static str, amount: &Decimal| -> Result<(), LimitError> {
        if amount.abs() > MAX_AMOUNT { Err(LimitError::Amount { what, amount: *amount }) } else { Ok(()) }
    };
    match &event.kind {
        EventKind::Trade { spend, receive, fees, .. } => {
            too_big("spend", &spend.amount)?;
            too_big("receive", &receive.amount)?;
            fees.iter().try_for_each(|f| too_big("fee", &f.amount))
        }
        EventKind::Deposit { amount, .. } => too_big("deposit", amount),
        EventKind::Withdrawal { amount, fee, .. } => {
            too_big("withdrawal", amount)?;
            fee.as_ref().map_or(Ok(()), |f| too_big("withdrawal fee", f))
        }
        EventKind::Transfer { amount, .. } => too_big("transfer", amount),
        EventKind::Income { amount, .. } => too_big("income", amount),
        EventKind::Loan { amount, interest, .. } => {
            too_big("loan", amount)?;
            interest.as_ref().map_or(Ok(()), |i| too_big("loan interest", i))
        }
        // informational: the engine reads nothing from it
        EventKind::FuturesTrade { .. } => Ok(()),
        EventKind::Migration { from, to } => {
            too_big("migration from", &from.amount)?;
            too_big("migration to", &to.amount)
        }
    }
}

/// Why the engine refuses an event: it breaks the ledger format's rules, or an amount is beyond the engine's limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RejectedEvent {
    /// The ledger format's rules.
    #[error(transparent)]
    Invalid(#[from] ledger::InvalidEvent),
    /// The engine's limits.
    #[error(transparent)]
    Limit(#[from] LimitError),
}

/// Every check an event passes before the engine takes it: [`Event::validate`] and [`check_amounts`].
pub fn check_event(event: &Event) -> Result<(), RejectedEvent> {
    event.validate()?;
    Ok(check_amounts(event)?)
}

/// Checks that a price is neither negative nor beyond [`MAX_PRICE`].
pub fn check_price(point: &PricePoint) -> Result<(), LimitError> {
    price_in_range(point.price)
}

fn price_in_range(price: Decimal) -> Result<(), LimitError> {
    if price.is_sign_negative() && !price.is_zero() {
        Err(LimitError::NegativePrice(price))
    } else if price > MAX_PRICE {
        Err(LimitError::Price(price))
    } else {
        Ok(())
    }
}

/// Checks an open futures position: its amount within [`MAX_AMOUNT`], its prices (and an inverse contract's size)
/// neither negative nor beyond [`MAX_PRICE`].
pub fn check_position(position: &Position) -> Result<(), LimitError> {
    if position.amount.abs() > MAX_AMOUNT {
        return Err(LimitError::Amount { what: "position", amount: position.amount });
    }
    if let Some(size) = position.contract_size {
        price_in_range(size)?;
    }
    price_in_range(position.entry_price)?;
    price_in_range(position.mark_price)
}

/// Computes the report of a ledger. Events may come in any order: they are processed by time, ties in ledger
/// order; `prices` in any order too. Amounts and prices are expected within [`MAX_AMOUNT`] and [`MAX_PRICE`]
/// (see [`check_amounts`], [`check_price`]).
pub fn compute(events: &[Event], prices: &[PricePoint], settings: &Settings) -> Report {
    compute_with_positions(events, prices, &[], settings)
}

/// The ledger with the user's [`LegMark`]s and declared migrations applied: a marked deposit or withdrawal becomes
/// an income row of type `other` (a withdrawal's fee included), a positive income declared a migration becomes a
/// `migration` from the old asset it replaced ([`Settings::migrations`]); same id, time and account, so indices
/// into the ledger stay valid.
fn apply_leg_marks(events: &[Event], settings: &Settings) -> Option<Vec<Event>> {
    use ledger::{EventKind, IncomeType};
    if settings.leg_marks.is_empty() && settings.migrations.is_empty() {
        return None;
    }
    let marked = events
        .iter()
        .map(|e| {
            if let (EventKind::Income { asset, amount, .. }, Some(from)) = (&e.kind, settings.migrations.get(&e.id))
                && amount.is_sign_positive()
            {
                let kind = EventKind::Migration { from: from.clone(), to: ledger::Money::new(asset.clone(), *amount) };
                return Event { id: e.id.clone(), time: e.time, account: e.account.clone(), kind };
            }
            let kind = match (&e.kind, settings.leg_marks.get(&e.id)) {
                (EventKind::Deposit { asset, amount, .. }, Some(LegMark::Income)) => EventKind::Income {
                    income_type: IncomeType::Other,
                    asset: asset.clone(),
                    amount: *amount,
                    symbol: None,
                },
                (EventKind::Withdrawal { asset, amount, fee, .. }, Some(LegMark::Expense)) => EventKind::Income {
                    income_type: IncomeType::Other,
                    asset: asset.clone(),
                    amount: -(*amount + fee.unwrap_or_default()),
                    symbol: None,
                },
                (kind, _) => kind.clone(),
            };
            Event { id: e.id.clone(), time: e.time, account: e.account.clone(), kind }
        })
        .collect();
    Some(marked)
}

/// [`compute`] with the open futures positions, whose unrealized PnL the report lists per position.
pub fn compute_with_positions(
    events: &[Event],
    prices: &[PricePoint],
    positions: &[Position],
    settings: &Settings,
) -> Report {
    match apply_leg_marks(events, settings) {
        Some(marked) => engine::Engine::new(Events::Borrowed(&marked), prices, Cow::Borrowed(settings)).run(positions),
        None => engine::Engine::new(Events::Borrowed(events), prices, Cow::Borrowed(settings)).run(positions),
    }
}

#[cfg(test)]
mod limits {
    use super::*;

    #[test]
    fn limits_are_powers_of_ten() {
        assert_eq!(MAX_AMOUNT, "1000000000000000".parse::<Decimal>().unwrap());
        assert_eq!(MAX_PRICE, "1000000000000".parse::<Decimal>().unwrap());
        // the largest value fits, and so does a total of 79 of them
        let worst = MAX_AMOUNT.checked_mul(MAX_PRICE).unwrap();
        assert!(worst.checked_mul(Decimal::from(79)).is_some());
    }
}
