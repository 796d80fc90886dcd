//! Open futures positions: what the venue parsers read, the apps keep with the balances, and the PnL engine values.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::{AccountId, Decimal, Timestamp};

/// An open futures position as the venue reports it, normalized: `amount` is signed (negative when short), so
/// unrealized PnL is `amount x (mark_price - entry_price)` in the margin asset for both venues' linear contracts, and
/// `amount x contract_size x (1/entry_price - 1/mark_price)` for an inverse one (Binance COIN-M, docs/accounting.md
/// §4, open positions). In a file it is one JSON object (`docs/ledger-format.md`, open futures positions).
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
    /// An inverse contract's size in quote currency per contract (Binance COIN-M `contractSize`: 100 USD for BTC, 10
    /// for the others); `amount` then counts contracts and the PnL is in the coin. `None` for a linear contract.
    #[serde(with = "rust_decimal::serde::str_option", skip_serializing_if = "Option::is_none")]
    pub contract_size: Option<Decimal>,
}

/// Why a position cannot be valued: an inverse contract whose size, entry or mark price is not positive (its PnL
/// divides by both prices). The venue parsers and the JSON reader refuse such a position with this reason, so none
/// reaches the engine from a venue or a file; the engine lists one built otherwise as unvalued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unvalued(pub String);

impl std::fmt::Display for Unvalued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unvalued {}

impl Position {
    /// Unrealized PnL in the margin asset, or why it cannot be computed (docs/accounting.md §9, open positions).
    ///
    /// Linear contracts: `amount x (mark_price - entry_price)`, the venues' own formula (Binance
    /// `positionAmt x (markPrice - entryPrice)`; Bitget's `total x (markPrice - openPriceAvg)` with the side's sign is
    /// the same with `amount` signed). Inverse contracts (`contract_size` set): `amount x contract_size x
    /// (1/entry_price - 1/mark_price)`, computed as `amount x contract_size x (mark_price - entry_price) /
    /// (entry_price x mark_price)` (one division, exact to 28 digits); a size or price that is not positive, or a
    /// result out of `Decimal`'s range, is [`Unvalued`], never a zero.
    pub fn try_unrealized(&self) -> Result<Decimal, Unvalued> {
        let Some(size) = self.contract_size else {
            return Ok(self.amount * (self.mark_price - self.entry_price));
        };
        self.check()?;
        let overflow = || Unvalued(format!("{} {}: unrealized PnL out of range", self.account, self.symbol));
        let numerator = self
            .amount
            .checked_mul(size)
            .and_then(|n| n.checked_mul(self.mark_price - self.entry_price))
            .ok_or_else(overflow)?;
        let denominator = self.entry_price.checked_mul(self.mark_price).ok_or_else(overflow)?;
        numerator.checked_div(denominator).ok_or_else(overflow)
    }

    /// [`try_unrealized`](Self::try_unrealized), for a position that passed [`check`](Self::check) (every position a
    /// venue parser or the JSON reader yields): zero for one that did not, which the engine lists as unvalued.
    pub fn unrealized(&self) -> Decimal {
        self.try_unrealized().unwrap_or_default()
    }

    /// Whether the position can be valued: an inverse contract needs a positive contract size, entry price and mark
    /// price; the reason names the account, symbol and field otherwise.
    pub fn check(&self) -> Result<(), Unvalued> {
        let Some(size) = self.contract_size else { return Ok(()) };
        for (name, v) in [("contract_size", size), ("entry_price", self.entry_price), ("mark_price", self.mark_price)] {
            if v <= Decimal::ZERO {
                return Err(Unvalued(format!(
                    "{} {}: an inverse contract's {name} is {v}, so its PnL cannot be computed",
                    self.account, self.symbol
                )));
            }
        }
        Ok(())
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
    #[serde(default, with = "rust_decimal::serde::str_option")]
    contract_size: Option<Decimal>,
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
                contract_size: None,
            });
        }
        let p: Documented = serde_json::from_value(Value::Object(object)).map_err(D::Error::custom)?;
        let position = Position {
            time: p.time,
            account: p.account,
            symbol: p.symbol,
            margin_asset: p.margin_asset,
            amount: p.amount,
            entry_price: p.entry_price,
            mark_price: p.mark_price,
            contract_size: p.contract_size,
        };
        position.check().map_err(D::Error::custom)?;
        Ok(position)
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

    /// Binance's COIN-M sample (Position Information, `/dapi/v1/positionRisk`): 1 contract `BTCUSD_201225` of 100 USD
    /// at 11707.70000003, marked at 11788.66626667, shows `unRealizedProfit` 0.00005866 BTC.
    #[test]
    fn an_inverse_position_is_valued_in_the_coin() {
        let line = r#"{"time":"2021-07-23T07:54:41.327Z","account":"binance/main/coinm","symbol":"BTCUSD_201225","margin_asset":"BTC","amount":"1","entry_price":"11707.70000003","mark_price":"11788.66626667","contract_size":"100"}"#;
        let long: Position = serde_json::from_str(line).unwrap();
        assert_eq!(long.contract_size, Some(d("100")));
        assert_eq!(long.unrealized().round_dp(8), d("0.00005866"));
        assert_eq!(serde_json::to_string(&long).unwrap(), line);
        // a short of 3 contracts loses when the mark rises: 3 x 100 x (1/11707.70000003 - 1/11788.66626667)
        let short = Position { amount: d("-3"), ..long.clone() };
        assert_eq!(short.unrealized().round_dp(8), d("-0.00017599"));
        // and gains when it falls: 3 x 10 x (1/2000 - 1/1600) = -0.00375 for the long side, so +0.00375 short
        let eth = Position {
            amount: d("-3"),
            contract_size: Some(d("10")),
            entry_price: d("2000"),
            mark_price: d("1600"),
            ..long.clone()
        };
        assert_eq!(eth.try_unrealized(), Ok(d("0.00375")));
        // without a contract size the same numbers are a linear contract's
        let linear = Position { contract_size: None, ..long.clone() };
        assert_eq!(linear.unrealized(), d("80.96626664"));
    }

    #[test]
    fn an_inverse_position_with_a_zero_price_is_unvalued_not_zero() {
        let p = Position {
            time: None,
            account: AccountId::new("binance", "main", "coinm"),
            symbol: "BTCUSD_PERP".into(),
            margin_asset: "BTC".into(),
            amount: d("2"),
            entry_price: d("0"),
            mark_price: d("50000"),
            contract_size: Some(d("100")),
        };
        let err = p.try_unrealized().unwrap_err();
        assert!(err.0.contains("BTCUSD_PERP") && err.0.contains("entry_price is 0"), "{err}");
        let zero_mark = Position { entry_price: d("40000"), mark_price: Decimal::ZERO, ..p.clone() };
        assert!(zero_mark.try_unrealized().unwrap_err().0.contains("mark_price is 0"));
        let zero_size = Position { entry_price: d("40000"), contract_size: Some(Decimal::ZERO), ..p.clone() };
        assert!(zero_size.check().unwrap_err().0.contains("contract_size is 0"));
        // a linear contract at entry 0 is still valued (its formula does not divide)
        assert_eq!(Position { contract_size: None, ..p.clone() }.try_unrealized(), Ok(d("100000")));
        // the reader refuses it, naming why
        let line = serde_json::to_string(&p).unwrap();
        let e = serde_json::from_str::<Position>(&line).unwrap_err().to_string();
        assert!(e.contains("entry_price is 0"), "{e}");
    }
}
