//! Open futures positions: what the venue parsers read, the apps keep with the balances, and the PnL engine values.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::{AccountId, Decimal, Timestamp};

/// An open futures position as the venue reports it, normalized: `amount` is signed (negative when short), so
/// unrealized PnL is `amount x (mark_price - entry_price)` in the margin asset for both venues. In a file it is one
/// JSON object (`docs/ledger-format.md`, open futures positions).
///
/// Positions stored before they carried their time and margin asset (`size`, `side` and the venue's
/// `unrealized_pnl`, as the app and `meetcrypt sync` kept them) are still read: without a time, and with the margin
/// asset every contract read then settles in, its quote (`USDT`, or `USDC` for a `...USDC` contract).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Position {
    /// When the mark price was read, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
    /// The futures account (`binance/main/usdm`).
    pub account: AccountId,
    /// Contract symbol (`BTCUSDT`).
    pub symbol: String,
    /// Asset the PnL settles in (`USDT`).
    pub margin_asset: String,
    /// Signed size in contracts' base units: Binance `positionAmt`; Bitget `total`, negated for a short.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// Binance `entryPrice`, Bitget `openPriceAvg`.
    #[serde(with = "rust_decimal::serde::str")]
    pub entry_price: Decimal,
    /// Mark price.
    #[serde(with = "rust_decimal::serde::str")]
    pub mark_price: Decimal,
}

impl Position {
    /// Unrealized PnL in the margin asset: `amount x (mark_price - entry_price)`, the venues' own formula (Binance
    /// `positionAmt x (markPrice - entryPrice)`; Bitget's `total x (markPrice - openPriceAvg)` with the side's sign is
    /// the same with `amount` signed).
    pub fn unrealized(&self) -> Decimal {
        self.amount * (self.mark_price - self.entry_price)
    }
}

/// The documented form.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Documented {
    time: Option<Timestamp>,
    account: AccountId,
    symbol: String,
    margin_asset: String,
    #[serde(with = "rust_decimal::serde::str")]
    amount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    entry_price: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    mark_price: Decimal,
}

/// The form positions were stored in before they carried their time and margin asset.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    account: AccountId,
    symbol: String,
    #[allow(dead_code)]
    side: String,
    #[serde(with = "rust_decimal::serde::str")]
    size: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    entry_price: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    mark_price: Decimal,
    #[allow(dead_code)]
    #[serde(with = "rust_decimal::serde::str")]
    unrealized_pnl: Decimal,
}

impl<'de> Deserialize<'de> for Position {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let object = serde_json::Map::<String, Value>::deserialize(d)?;
        if object.contains_key("size") && !object.contains_key("amount") {
            let s: Stored = serde_json::from_value(Value::Object(object)).map_err(D::Error::custom)?;
            let contract = s.symbol.split('_').next().unwrap_or_default();
            let margin_asset = if contract.ends_with("USDC") { "USDC" } else { "USDT" };
            return Ok(Position {
                time: None,
                account: s.account,
                symbol: s.symbol,
                margin_asset: margin_asset.into(),
                amount: s.size,
                entry_price: s.entry_price,
                mark_price: s.mark_price,
            });
        }
        let p: Documented = serde_json::from_value(Value::Object(object)).map_err(D::Error::custom)?;
        Ok(Position {
            time: p.time,
            account: p.account,
            symbol: p.symbol,
            margin_asset: p.margin_asset,
            amount: p.amount,
            entry_price: p.entry_price,
            mark_price: p.mark_price,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn the_documented_form_round_trips() {
        let line = r#"{"time":"2024-03-04T00:00:00Z","account":"binance/main/usdm","symbol":"ADAUSDT","margin_asset":"USDT","amount":"30","entry_price":"0.385","mark_price":"0.41047590"}"#;
        let p: Position = serde_json::from_str(line).unwrap();
        assert_eq!(p.time, Some("2024-03-04T00:00:00Z".parse().unwrap()));
        // Binance's ADAUSDT example: 30 x (0.41047590 - 0.385) = 0.764277
        assert_eq!(p.unrealized(), d("0.764277"));
        assert_eq!(serde_json::to_string(&p).unwrap(), line);
        for bad in [r#"{"time":"2024-03-04T00:00:00Z"}"#, &line.replace("\"amount\"", "\"amount\":\"1\",\"extra\"")] {
            assert!(serde_json::from_str::<Position>(bad).is_err(), "{bad}");
        }
        let missing = serde_json::from_str::<Position>(r#"{"time":"2024-03-04T00:00:00Z"}"#).unwrap_err();
        assert!(missing.to_string().starts_with("missing field"), "{missing}");
    }

    #[test]
    fn positions_stored_before_they_had_a_time_are_still_read() {
        let stored = r#"{"account":"bitget/main/futures","symbol":"ETHUSDT","side":"short","size":"-2","entry_price":"100","mark_price":"110","unrealized_pnl":"-20"}"#;
        let p: Position = serde_json::from_str(stored).unwrap();
        assert_eq!((p.time, p.margin_asset.as_str(), p.amount), (None, "USDT", d("-2")));
        assert_eq!(p.unrealized(), d("-20"));
        let usdc = stored.replace("ETHUSDT", "BTCUSDC_250328");
        assert_eq!(serde_json::from_str::<Position>(&usdc).unwrap().margin_asset, "USDC");
        // written back, it takes the documented form
        let back: Position = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }
}
