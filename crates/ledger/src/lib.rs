//! The open ledger format: the normalized events of a portfolio, as the venue parsers produce them, the simulated
//! venues state them as ground truth, and the PnL engine consumes them.
//!
//! A ledger is JSON Lines, one [`Event`] per line; amounts are decimal strings, times RFC 3339 UTC. A prices file
//! is JSON Lines of [`PricePoint`], a positions file JSON Lines of open futures [`Position`]s. See `docs/ledger-format.md` for the format as users and accountants read it.
//!
//! ```
//! use ledger::{Event, read_ledger};
//! let line = r#"{"id":"binance/main/spot:trade:42","time":"2024-03-01T12:00:00Z","account":"binance/main/spot","kind":"trade","spend":{"asset":"USDT","amount":"100"},"receive":{"asset":"BTC","amount":"0.002"},"fees":[{"asset":"BNB","amount":"0.0001"}],"symbol":"BTCUSDT"}"#;
//! let events: Vec<Event> = read_ledger(line.as_bytes(), "ledger.jsonl").unwrap();
//! assert_eq!(events[0].account.as_str(), "binance/main/spot");
//! ```
#![deny(missing_docs)]

pub mod binary;
mod de;
mod name;
mod position;
mod time;

use std::fmt;
use std::io::{BufRead, Write};

pub use name::{Name, interning};
pub use position::{Position, Unvalued};
pub use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
pub use time::{Timestamp, TimestampError};

/// An account: one wallet of one API key at one venue, written `venue/label/wallet`, e.g. `binance/main/spot`,
/// `binance/main/usdm`, `bitget/copy/futures`. Wallets: `spot`, `funding`, `usdm` (Binance USDⓈ-M futures),
/// `futures` (Bitget USDT-M futures), `unified` (Bitget unified account), `earn` (Binance Simple Earn, flexible
/// and locked products together), `margin` (Binance cross margin), `isolated-<SYMBOL>` (one Binance isolated margin
/// pair, `isolated-BTCUSDT`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountId(pub Name);

impl AccountId {
    /// Builds `venue/label/wallet`.
    pub fn new(venue: &str, label: &str, wallet: &str) -> Self {
        AccountId(Name::from(format!("{venue}/{label}/{wallet}")))
    }
    /// The id as written in the ledger.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The venue part (`binance`, `bitget`).
    pub fn venue(&self) -> &str {
        self.0.split('/').next().unwrap_or("")
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A quantity of one asset. Amounts in a ledger are never negative, except an income amount, whose sign is the
/// direction of the cash flow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// Asset symbol as the venue names it, upper case (`BTC`, `USDT`).
    pub asset: Name,
    /// The amount, a decimal string in the file.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

impl Money {
    /// A quantity of `asset`.
    pub fn new(asset: impl Into<Name>, amount: Decimal) -> Self {
        Money { asset: asset.into(), amount }
    }
}

/// The type of an income row: a cash flow in the margin asset, not a lot movement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncomeType {
    /// Futures realized PnL of a closing fill.
    RealizedPnl,
    /// Funding fee paid or received.
    Funding,
    /// Trading commission on a futures fill (negative when paid).
    Commission,
    /// Anything else: rebates, referral kickbacks, rewards, airdrops.
    Other,
    /// Interest earned by holding: Simple Earn rewards, and interest a redemption pays beyond the principal and the
    /// rewards reported (docs/accounting.md, "Earn"). Income at market value; it opens a lot.
    Interest,
}

/// What a [`EventKind::Loan`] does to a margin loan (docs/accounting.md, "Loans").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoanAction {
    /// Units borrowed: they arrive in the account, and the account owes as many.
    Borrow,
    /// Units paid back: they leave the account, and the account owes as many fewer.
    Repay,
    /// Interest charged: the account owes more units, none arrive.
    Interest,
}

impl LoanAction {
    /// What the action does to an account's balance net of what it owes (docs/accounting.md §8f): a borrow and a
    /// repay move units and debt alike, so nothing; interest charged adds to the debt, so minus its amount.
    pub fn net_change(self, amount: Decimal) -> Decimal {
        match self {
            LoanAction::Borrow | LoanAction::Repay => Decimal::ZERO,
            LoanAction::Interest => -amount,
        }
    }
}

/// One event of the ledger. Read by a hand-written `Deserialize` (see `de.rs`) that takes the wire format of the
/// derive's `flatten` and `tag`, in one pass.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    /// Stable id, unique in the ledger: the same venue row always maps to the same id, so re-syncing never
    /// duplicates.
    pub id: String,
    /// When the venue says it happened.
    pub time: Timestamp,
    /// The account it happened in (for a transfer: the sending account).
    pub account: AccountId,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What an event is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum EventKind {
    /// A spend of one asset for another (spot fill, convert, dust conversion).
    Trade {
        /// What left the account.
        spend: Money,
        /// What arrived.
        receive: Money,
        /// Fees charged, each in its own asset.
        #[serde(default)]
        fees: Vec<Money>,
        /// The venue's symbol, when it has one (`BTCUSDT`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        symbol: Option<Name>,
    },
    /// Funds arriving from outside the venue.
    Deposit {
        /// Asset received.
        asset: Name,
        /// Amount credited.
        #[serde(with = "rust_decimal::serde::str")]
        amount: Decimal,
        /// On-chain transaction id, if known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        txid: Option<String>,
    },
    /// Funds leaving the venue.
    Withdrawal {
        /// Asset sent.
        asset: Name,
        /// Amount that left for the destination (the fee excluded).
        #[serde(with = "rust_decimal::serde::str")]
        amount: Decimal,
        /// Network fee charged on top, in the same asset.
        #[serde(default, with = "opt_decimal", skip_serializing_if = "Option::is_none")]
        fee: Option<Decimal>,
        /// On-chain transaction id, if known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        txid: Option<String>,
    },
    /// A move between two of the user's own accounts (spot to futures, one venue account to another).
    Transfer {
        /// Sending account.
        from_account: AccountId,
        /// Receiving account.
        to_account: AccountId,
        /// Asset moved.
        asset: Name,
        /// Amount moved.
        #[serde(with = "rust_decimal::serde::str")]
        amount: Decimal,
    },
    /// A cash flow: futures realized PnL, funding, commission or other income.
    Income {
        /// Which kind of cash flow.
        #[serde(rename = "type")]
        income_type: IncomeType,
        /// Asset credited or debited.
        asset: Name,
        /// Signed amount: positive is an inflow.
        #[serde(with = "rust_decimal::serde::str")]
        amount: Decimal,
        /// Contract symbol, when the row has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        symbol: Option<Name>,
    },
    /// A futures fill, for the record only: its money effects (realized PnL, commission) are the `income` events
    /// the venue reports for the same fill, so the PnL engine counts nothing from it, and it moves no balance.
    FuturesTrade {
        /// Contract symbol (`BTCUSDT`).
        symbol: Name,
        /// Buy or sell.
        side: Side,
        /// Fill price.
        #[serde(with = "rust_decimal::serde::str")]
        price: Decimal,
        /// Quantity in base units (positive).
        #[serde(with = "rust_decimal::serde::str")]
        qty: Decimal,
        /// Commission as the venue reports it on the fill, positive when paid, negative for a rebate (for the
        /// record: the money is in the commission income).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        fees: Vec<Money>,
        /// Realized PnL the venue reports on the fill, in the contract's margin asset (for the record: the money
        /// is in the realized PnL income).
        #[serde(default, with = "opt_decimal", skip_serializing_if = "Option::is_none")]
        realized_pnl: Option<Decimal>,
        /// The venue's order id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        order_id: Option<String>,
    },
    /// A token migration or swap at the venue's fixed ratio (ETH staked for WBETH, an old token replaced by its new
    /// one): `from` taken away, `to` given. Not a disposal: the new units inherit the old lots' cost and dates in
    /// proportion (docs/accounting.md, "Migrations").
    Migration {
        /// What was taken away.
        from: Money,
        /// What was given for it.
        to: Money,
    },
    /// A margin loan's borrow, repay or interest charged, in the account that owes it (docs/accounting.md,
    /// "Loans").
    Loan {
        /// Borrow, repay or interest.
        action: LoanAction,
        /// Asset borrowed, repaid or charged.
        asset: Name,
        /// Units borrowed, principal repaid, or interest charged.
        #[serde(with = "rust_decimal::serde::str")]
        amount: Decimal,
        /// A repay only: the interest paid with it, beyond `amount`, when the venue says it apart.
        #[serde(default, with = "opt_decimal", skip_serializing_if = "Option::is_none")]
        interest: Option<Decimal>,
    },
}

/// The side of a futures fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Bought contracts (opens or adds to a long, or reduces a short).
    Buy,
    /// Sold contracts.
    Sell,
}

impl EventKind {
    /// Whether the event changes balances or money figures: everything except a [`EventKind::FuturesTrade`],
    /// which is informational.
    pub fn moves_money(&self) -> bool {
        !matches!(self, EventKind::FuturesTrade { .. })
    }
}

/// A price: one unit of `asset` cost `price` units of `quote` at `time`. The price in force at a time is the latest
/// at or before it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricePoint {
    /// When the price was observed (kline open time, mark time).
    pub time: Timestamp,
    /// Priced asset.
    pub asset: String,
    /// Currency of the price.
    pub quote: String,
    /// Price of one unit.
    #[serde(with = "rust_decimal::serde::str")]
    pub price: Decimal,
}

mod opt_decimal {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_str(&d.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        s.map(|s| s.parse().map_err(serde::de::Error::custom)).transpose()
    }
}

/// A ledger or prices file that cannot be read, with the file and line at fault.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// The file could not be read.
    #[error("{file}: {source}")]
    Io {
        /// File name as given.
        file: String,
        /// The IO error.
        source: std::io::Error,
    },
    /// A line is not a valid event.
    #[error("{file}:{line}: {reason}")]
    Line {
        /// File name as given.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

impl Event {
    /// The assets the event moves: both legs and the fees of a trade, or the one asset of the other kinds. A
    /// futures fill moves none (its money is in income events).
    pub fn assets(&self) -> impl Iterator<Item = &str> {
        let (first, second, fees): (Option<&str>, Option<&str>, &[Money]) = match &self.kind {
            EventKind::Trade { spend, receive, fees, .. } => (Some(&spend.asset), Some(&receive.asset), fees),
            EventKind::Migration { from, to } => (Some(&from.asset), Some(&to.asset), &[]),
            EventKind::Deposit { asset, .. }
            | EventKind::Withdrawal { asset, .. }
            | EventKind::Transfer { asset, .. }
            | EventKind::Income { asset, .. }
            | EventKind::Loan { asset, .. } => (Some(asset), None, &[]),
            EventKind::FuturesTrade { .. } => (None, None, &[]),
        };
        first.into_iter().chain(second).chain(fees.iter().map(|f| f.asset.as_str()))
    }

    /// Checks the rules that JSON shape alone does not: non-negative amounts (income excepted), non-empty ids,
    /// assets and accounts, a transfer between two different accounts.
    pub fn validate(&self) -> Result<(), InvalidEvent> {
        if self.id.is_empty() {
            return Err(InvalidEvent::EmptyId);
        }
        if self.account.0.is_empty() {
            return Err(InvalidEvent::EmptyAccount);
        }
        let non_negative = |what: &'static str, asset: &str, amount: Decimal| -> Result<(), InvalidEvent> {
            if asset.is_empty() {
                return Err(InvalidEvent::EmptyAsset(what));
            }
            if amount.is_sign_negative() && !amount.is_zero() {
                return Err(InvalidEvent::Negative { what, amount });
            }
            Ok(())
        };
        match &self.kind {
            EventKind::Trade { spend, receive, fees, .. } => {
                non_negative("spend", &spend.asset, spend.amount)?;
                non_negative("receive", &receive.asset, receive.amount)?;
                for fee in fees {
                    non_negative("fee", &fee.asset, fee.amount)?;
                }
            }
            EventKind::Deposit { asset, amount, .. } => non_negative("deposit", asset, *amount)?,
            EventKind::Withdrawal { asset, amount, fee, .. } => {
                non_negative("withdrawal", asset, *amount)?;
                non_negative("withdrawal fee", asset, fee.unwrap_or_default())?;
            }
            EventKind::Transfer { from_account, to_account, asset, amount } => {
                non_negative("transfer", asset, *amount)?;
                if from_account == to_account {
                    return Err(InvalidEvent::TransferToItself);
                }
            }
            EventKind::Income { asset, .. } => {
                if asset.is_empty() {
                    return Err(InvalidEvent::EmptyAsset("income"));
                }
            }
            EventKind::Loan { action, asset, amount, interest } => {
                non_negative("loan", asset, *amount)?;
                if let Some(interest) = interest {
                    if *action != LoanAction::Repay {
                        return Err(InvalidEvent::InterestOutsideRepay);
                    }
                    non_negative("loan interest", asset, *interest)?;
                }
            }
            EventKind::FuturesTrade { symbol, price, qty, fees, .. } => {
                if symbol.is_empty() {
                    return Err(InvalidEvent::EmptySymbol);
                }
                non_negative("futures trade price", symbol, *price)?;
                if *qty <= Decimal::ZERO {
                    return Err(InvalidEvent::QuantityNotPositive(*qty));
                }
                // fees are signed here (a rebate is negative): only the asset is checked
                if fees.iter().any(|f| f.asset.is_empty()) {
                    return Err(InvalidEvent::EmptyAsset("futures trade fee"));
                }
            }
            EventKind::Migration { from, to } => {
                non_negative("migration from", &from.asset, from.amount)?;
                non_negative("migration to", &to.asset, to.amount)?;
            }
        }
        Ok(())
    }
}

/// An event that breaks a rule of the ledger format (docs/ledger-format.md) that its JSON shape alone does not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidEvent {
    /// The id is empty.
    #[error("empty id")]
    EmptyId,
    /// The account is empty.
    #[error("empty account")]
    EmptyAccount,
    /// An amount names no asset (which amount).
    #[error("{0}: empty asset")]
    EmptyAsset(&'static str),
    /// An amount that must not be negative is.
    #[error("{what}: negative amount {amount}")]
    Negative {
        /// Which amount.
        what: &'static str,
        /// Its value.
        amount: Decimal,
    },
    /// A transfer from an account to the same account.
    #[error("transfer to the same account")]
    TransferToItself,
    /// A futures trade without a symbol.
    #[error("futures trade: empty symbol")]
    EmptySymbol,
    /// A loan event other than a repay with an `interest` part (interest charged is an `interest` action).
    #[error("loan: interest given apart on a borrow or interest event")]
    InterestOutsideRepay,
    /// A futures trade of zero or negative quantity.
    #[error("futures trade: quantity {0} is not positive")]
    QuantityNotPositive(Decimal),
}

/// Reads a JSON Lines file of `T`, skipping blank lines; every error names `file` and the line.
pub fn read_jsonl<T, R, E>(reader: R, file: &str, check: impl Fn(&T) -> Result<(), E>) -> Result<Vec<T>, FormatError>
where
    T: for<'de> Deserialize<'de>,
    R: BufRead,
    E: std::fmt::Display,
{
    let mut out = Vec::new();
    // one buffer for every line (a line's `\n`, or `\r\n`, is whitespace to JSON)
    let mut line = String::new();
    let mut reader = reader;
    for i in 0.. {
        line.clear();
        let read = reader.read_line(&mut line).map_err(|source| FormatError::Io { file: file.to_string(), source })?;
        if read == 0 {
            break;
        }
        if line.trim().is_empty() {
            continue;
        }
        let at = |reason: String| FormatError::Line { file: file.to_string(), line: i + 1, reason };
        let value: T = serde_json::from_str(&line).map_err(|e| at(e.to_string()))?;
        check(&value).map_err(|e| at(e.to_string()))?;
        out.push(value);
    }
    Ok(out)
}

/// Reads a ledger (JSON Lines of [`Event`]), validating every event; its names are shared ([`interning`]).
pub fn read_ledger<R: BufRead>(reader: R, file: &str) -> Result<Vec<Event>, FormatError> {
    interning(|| read_jsonl(reader, file, Event::validate))
}

/// Reads a prices file (JSON Lines of [`PricePoint`]); a negative price is an error.
pub fn read_prices<R: BufRead>(reader: R, file: &str) -> Result<Vec<PricePoint>, FormatError> {
    read_jsonl(reader, file, |p: &PricePoint| {
        if p.price.is_sign_negative() && !p.price.is_zero() {
            Err(format!("negative price {}", p.price))
        } else {
            Ok(())
        }
    })
}

/// Writes values as JSON Lines.
pub fn write_jsonl<'a, T: Serialize + 'a, W: Write>(
    mut w: W,
    items: impl IntoIterator<Item = &'a T>,
) -> std::io::Result<()> {
    for item in items {
        serde_json::to_writer(&mut w, item)?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Vec<Event>, FormatError> {
        read_ledger(line.as_bytes(), "t.jsonl")
    }

    #[test]
    fn every_kind_round_trips() {
        let lines = [
            r#"{"id":"a","time":"2024-01-01T00:00:00Z","account":"binance/main/spot","kind":"trade","spend":{"asset":"USDT","amount":"100.5"},"receive":{"asset":"BTC","amount":"0.001"},"fees":[{"asset":"BNB","amount":"0.0001"}],"symbol":"BTCUSDT"}"#,
            r#"{"id":"b","time":"2024-01-01T00:00:01.250Z","account":"binance/main/spot","kind":"deposit","asset":"BTC","amount":"1","txid":"0xabc"}"#,
            r#"{"id":"c","time":"2024-01-02T00:00:00Z","account":"bitget/main/spot","kind":"withdrawal","asset":"USDT","amount":"10","fee":"1"}"#,
            r#"{"id":"d","time":"2024-01-03T00:00:00Z","account":"binance/main/spot","kind":"transfer","from_account":"binance/main/spot","to_account":"binance/main/usdm","asset":"USDT","amount":"50"}"#,
            r#"{"id":"e","time":"2024-01-04T00:00:00Z","account":"binance/main/usdm","kind":"income","type":"funding","asset":"USDT","amount":"-0.12","symbol":"BTCUSDT"}"#,
            r#"{"id":"f","time":"2024-01-05T00:00:00Z","account":"binance/main/usdm","kind":"futures_trade","symbol":"BTCUSDT","side":"sell","price":"7819.01","qty":"0.002","fees":[{"asset":"USDT","amount":"-0.0781901"}],"realized_pnl":"-0.91539999","order_id":"25851813"}"#,
            r#"{"id":"g","time":"2024-01-05T00:00:01Z","account":"bitget/main/futures","kind":"futures_trade","symbol":"ETHUSDT","side":"buy","price":"1801.33","qty":"0.02"}"#,
            r#"{"id":"h","time":"2024-01-06T00:00:00Z","account":"binance/main/earn","kind":"income","type":"interest","asset":"USDT","amount":"0.00687654"}"#,
            r#"{"id":"i","time":"2024-01-07T00:00:00Z","account":"binance/main/spot","kind":"migration","from":{"asset":"ETH","amount":"1"},"to":{"asset":"WBETH","amount":"0.99878915"}}"#,
        ];
        let text = lines.join("\n");
        let events = parse(&text).unwrap();
        assert_eq!(events.len(), 9);
        assert_eq!(events[8].assets().collect::<Vec<_>>(), ["ETH", "WBETH"]);
        assert!(matches!(events[7].kind, EventKind::Income { income_type: IncomeType::Interest, .. }));
        assert!(!events[5].kind.moves_money() && events[4].kind.moves_money());
        assert_eq!(events[5].assets().count(), 0);
        let mut out = Vec::new();
        write_jsonl(&mut out, &events).unwrap();
        assert_eq!(String::from_utf8(out).unwrap().trim_end(), text);
    }

    #[test]
    fn errors_name_file_and_line() {
        let text = "\n{\"id\":\"a\",\"time\":\"2024-01-01T00:00:00Z\",\"account\":\"x/y/spot\",\"kind\":\"deposit\",\"asset\":\"BTC\",\"amount\":\"-1\"}";
        let err = parse(text).unwrap_err().to_string();
        assert!(err.starts_with("t.jsonl:2: deposit: negative amount -1"), "{err}");
        let err = parse(r#"{"id":"a","time":"2024-01-01T00:00:00Z","account":"x","kind":"gift"}"#).unwrap_err();
        assert!(err.to_string().contains("t.jsonl:1: unknown variant `gift`"), "{err}");
        // amounts must be strings: a JSON number would already have gone through binary floating point
        let err = parse(
            r#"{"id":"a","time":"2024-01-01T00:00:00Z","account":"x","kind":"deposit","asset":"BTC","amount":0.1}"#,
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("t.jsonl:1:"), "{err}");
    }

    #[test]
    fn futures_trades_are_checked() {
        let base = r#"{"id":"f","time":"2024-01-05T00:00:00Z","account":"x/y/usdm","kind":"futures_trade","symbol":"BTCUSDT","side":"buy","price":"1","qty":"QTY"}"#;
        assert!(parse(&base.replace("QTY", "0.5")).is_ok());
        let err = parse(&base.replace("QTY", "0")).unwrap_err().to_string();
        assert!(err.contains("t.jsonl:1: futures trade: quantity 0 is not positive"), "{err}");
        let err = parse(&base.replace("\"buy\"", "\"long\"").replace("QTY", "1")).unwrap_err().to_string();
        assert!(err.contains("unknown variant `long`"), "{err}");
    }

    #[test]
    fn loans_round_trip_and_are_checked() {
        let lines = [
            r#"{"id":"l1","time":"2024-02-01T00:00:00Z","account":"binance/main/margin","kind":"loan","action":"borrow","asset":"BTC","amount":"0.5"}"#,
            r#"{"id":"l2","time":"2024-02-02T00:00:00Z","account":"binance/main/margin","kind":"loan","action":"interest","asset":"BTC","amount":"0.0001"}"#,
            r#"{"id":"l3","time":"2024-02-03T00:00:00Z","account":"binance/main/isolated-BTCUSDT","kind":"loan","action":"repay","asset":"BTC","amount":"0.5","interest":"0.0001"}"#,
        ];
        let text = lines.join("\n");
        let events = parse(&text).unwrap();
        assert!(matches!(
            events[2].kind,
            EventKind::Loan { action: LoanAction::Repay, interest: Some(i), .. } if i == Decimal::new(1, 4)
        ));
        assert_eq!(events[1].assets().collect::<Vec<_>>(), ["BTC"]);
        let mut out = Vec::new();
        write_jsonl(&mut out, &events).unwrap();
        assert_eq!(String::from_utf8(out).unwrap().trim_end(), text);
        let err = parse(&lines[0].replace("\"0.5\"", "\"-0.5\"")).unwrap_err().to_string();
        assert!(err.contains("t.jsonl:1: loan: negative amount -0.5"), "{err}");
        let err = parse(&lines[0].replace("\"amount\":\"0.5\"", "\"amount\":\"0.5\",\"interest\":\"1\"")).unwrap_err();
        assert!(err.to_string().contains("interest given apart on a borrow"), "{err}");
        let err = parse(&lines[0].replace("borrow", "lend")).unwrap_err().to_string();
        assert!(err.contains("unknown variant `lend`"), "{err}");
    }

    #[test]
    fn assets_of_each_kind() {
        let text = [
            r#"{"id":"a","time":"2024-01-01T00:00:00Z","account":"x/y/spot","kind":"trade","spend":{"asset":"USDT","amount":"1"},"receive":{"asset":"BTC","amount":"1"},"fees":[{"asset":"BNB","amount":"0.1"}]}"#,
            r#"{"id":"b","time":"2024-01-01T00:00:00Z","account":"x/y/usdm","kind":"income","type":"funding","asset":"USDT","amount":"-1"}"#,
        ]
        .join("\n");
        let events = parse(&text).unwrap();
        assert_eq!(events[0].assets().collect::<Vec<_>>(), ["USDT", "BTC", "BNB"]);
        assert_eq!(events[1].assets().collect::<Vec<_>>(), ["USDT"]);
    }

    #[test]
    fn price_file_rejects_negative_prices() {
        let ok = r#"{"time":"2024-01-01T00:00:00Z","asset":"BTC","quote":"USD","price":"42000.10"}"#;
        assert_eq!(read_prices(ok.as_bytes(), "p").unwrap()[0].price.to_string(), "42000.10");
        let bad = ok.replace("42000.10", "-1");
        assert!(read_prices(bad.as_bytes(), "p").unwrap_err().to_string().contains("p:1: negative price"));
    }
}
