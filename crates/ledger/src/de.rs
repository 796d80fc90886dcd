//! Reading an [`Event`]: one pass over the JSON object into a flat set of optional fields, then the enum.
//!
//! The derived form (`#[serde(flatten)]` over an internally tagged enum) buffers every object into serde's generic
//! `Content` tree, then buffers the unknown part again to find the tag, and only then reads the fields: most of the
//! time it took to read a large ledger went there, and to the allocations it makes. This reads each field once, as
//! its type, straight from the input. The wire format and its rules are the derive's: the tag may come anywhere,
//! unknown kinds and fields are rejected (`unknown variant`, `unknown field`, with the same lists of what is
//! expected), required fields are required, a field given twice is an error, `null` is accepted where the field is
//! optional. A line with one fault gives the derive's message; with several, which one is named may differ.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::{AccountId, Decimal, Event, EventKind, IncomeType, LoanAction, Money, Name, Side, Timestamp};

const VARIANTS: &[&str] =
    &["trade", "deposit", "withdrawal", "transfer", "income", "futures_trade", "migration", "loan"];

/// Every key an event may have; a kind's fields are a bit set of them (`1 << F::X as u32`).
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum F {
    Id,
    Time,
    Account,
    Kind,
    Spend,
    Receive,
    Fees,
    Symbol,
    Asset,
    Amount,
    Txid,
    Fee,
    FromAccount,
    ToAccount,
    Type,
    Side,
    Price,
    Qty,
    RealizedPnl,
    OrderId,
    From,
    To,
    Action,
    Interest,
}

const NAMES: [&str; 24] = [
    "id",
    "time",
    "account",
    "kind",
    "spend",
    "receive",
    "fees",
    "symbol",
    "asset",
    "amount",
    "txid",
    "fee",
    "from_account",
    "to_account",
    "type",
    "side",
    "price",
    "qty",
    "realized_pnl",
    "order_id",
    "from",
    "to",
    "action",
    "interest",
];

/// In the list of keys met, the first key that no kind has.
const UNKNOWN: u8 = u8::MAX;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Trade,
    Deposit,
    Withdrawal,
    Transfer,
    Income,
    FuturesTrade,
    Migration,
    Loan,
}

impl Kind {
    /// The kind's fields, as the derive lists them in its errors.
    fn fields(self) -> &'static [&'static str] {
        match self {
            Kind::Trade => &["spend", "receive", "fees", "symbol"],
            Kind::Deposit => &["asset", "amount", "txid"],
            Kind::Withdrawal => &["asset", "amount", "fee", "txid"],
            Kind::Transfer => &["from_account", "to_account", "asset", "amount"],
            Kind::Income => &["type", "asset", "amount", "symbol"],
            Kind::FuturesTrade => &["symbol", "side", "price", "qty", "fees", "realized_pnl", "order_id"],
            Kind::Migration => &["from", "to"],
            Kind::Loan => &["action", "asset", "amount", "interest"],
        }
    }

    fn allows(self, f: u8) -> bool {
        let bits = |fs: &[F]| fs.iter().fold(0u32, |m, f| m | 1 << *f as u32);
        let mask = match self {
            Kind::Trade => bits(&[F::Spend, F::Receive, F::Fees, F::Symbol]),
            Kind::Deposit => bits(&[F::Asset, F::Amount, F::Txid]),
            Kind::Withdrawal => bits(&[F::Asset, F::Amount, F::Fee, F::Txid]),
            Kind::Transfer => bits(&[F::FromAccount, F::ToAccount, F::Asset, F::Amount]),
            Kind::Income => bits(&[F::Type, F::Asset, F::Amount, F::Symbol]),
            Kind::FuturesTrade => bits(&[F::Symbol, F::Side, F::Price, F::Qty, F::Fees, F::RealizedPnl, F::OrderId]),
            Kind::Migration => bits(&[F::From, F::To]),
            Kind::Loan => bits(&[F::Action, F::Asset, F::Amount, F::Interest]),
        };
        mask & (1 << f) != 0
    }
}

enum Key {
    Known(F),
    Unknown(String),
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl Visitor<'_> for KeySeed {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("field identifier")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(Key::Known(match v {
            "id" => F::Id,
            "time" => F::Time,
            "account" => F::Account,
            "kind" => F::Kind,
            "spend" => F::Spend,
            "receive" => F::Receive,
            "fees" => F::Fees,
            "symbol" => F::Symbol,
            "asset" => F::Asset,
            "amount" => F::Amount,
            "txid" => F::Txid,
            "fee" => F::Fee,
            "from_account" => F::FromAccount,
            "to_account" => F::ToAccount,
            "type" => F::Type,
            "side" => F::Side,
            "price" => F::Price,
            "qty" => F::Qty,
            "realized_pnl" => F::RealizedPnl,
            "order_id" => F::OrderId,
            "from" => F::From,
            "to" => F::To,
            "action" => F::Action,
            "interest" => F::Interest,
            other => return Ok(Key::Unknown(other.to_string())),
        }))
    }
}

/// The tag's value: a kind, or the unknown name (an error once the object is read, as the derive has it).
struct KindSeed;

impl<'de> Deserialize<'de> for KindOrName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // any: a number is an index (see `visit_u64`)
        d.deserialize_any(KindSeed)
    }
}

#[derive(PartialEq, Eq)]
enum KindOrName {
    Kind(Kind),
    Name(String),
}

impl Visitor<'_> for KindSeed {
    type Value = KindOrName;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("variant identifier")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<KindOrName, E> {
        Ok(KindOrName::Kind(match v {
            "trade" => Kind::Trade,
            "deposit" => Kind::Deposit,
            "withdrawal" => Kind::Withdrawal,
            "transfer" => Kind::Transfer,
            "income" => Kind::Income,
            "futures_trade" => Kind::FuturesTrade,
            "migration" => Kind::Migration,
            "loan" => Kind::Loan,
            other => return Ok(KindOrName::Name(other.to_string())),
        }))
    }
    /// The derive also takes a variant's index (`"kind":0` is a trade): kept, so that what was read still is.
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<KindOrName, E> {
        const BY_INDEX: [Kind; 8] = [
            Kind::Trade,
            Kind::Deposit,
            Kind::Withdrawal,
            Kind::Transfer,
            Kind::Income,
            Kind::FuturesTrade,
            Kind::Migration,
            Kind::Loan,
        ];
        match BY_INDEX.get(v as usize) {
            Some(k) => Ok(KindOrName::Kind(*k)),
            None => Err(de::Error::invalid_value(de::Unexpected::Unsigned(v), &"variant index 0 <= i < 8")),
        }
    }
}

/// A decimal string (`rust_decimal::serde::str`, as the derive reads an amount).
struct StrDecimal(Decimal);

impl<'de> Deserialize<'de> for StrDecimal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        rust_decimal::serde::str::deserialize(d).map(StrDecimal)
    }
}

/// An optional decimal string (`opt_decimal`, as the derive reads a withdrawal fee or a realized PnL).
struct OptDecimal(Option<Decimal>);

impl<'de> Deserialize<'de> for OptDecimal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::opt_decimal::deserialize(d).map(OptDecimal)
    }
}

/// A fee list, allocated for what it holds: serde's `Vec` starts with room for four (160 bytes where the usual one
/// fee takes 40), and across a million events that spare room is memory the system must hand out and clear.
struct FeeList(Vec<Money>);

impl<'de> Deserialize<'de> for FeeList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(FeeListVisitor)
    }
}

struct FeeListVisitor;

impl<'de> Visitor<'de> for FeeListVisitor {
    type Value = FeeList;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sequence")
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<FeeList, A::Error> {
        let mut fees = Vec::new();
        while let Some(fee) = seq.next_element::<Money>()? {
            if fees.len() == fees.capacity() {
                fees.reserve_exact(fees.len().max(1));
            }
            fees.push(fee);
        }
        Ok(FeeList(fees))
    }
}

/// A unit-only enum (`type`, `side`) read as the derive reads it from its buffer: a string, or a map of one key (its
/// messages: `expected string or map`).
struct UnitEnum<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for UnitEnum<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UnitEnumVisitor(std::marker::PhantomData)).map(UnitEnum)
    }
}

struct UnitEnumVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for UnitEnumVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("string or map")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        T::deserialize(de::value::StrDeserializer::<E>::new(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map))
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(EventVisitor)
    }
}

struct EventVisitor;

/// Stores a field's value, or fails on the second occurrence of the field.
fn put<'de, A: MapAccess<'de>, T: Deserialize<'de>>(map: &mut A, slot: &mut Option<T>, f: F) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(NAMES[f as usize]));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

/// The fields of one event as they are read, each at most once; which of them its kind has is checked after.
#[derive(Default)]
struct Fields {
    id: Option<String>,
    time: Option<Timestamp>,
    account: Option<AccountId>,
    kind: Option<KindOrName>,
    spend: Option<Money>,
    receive: Option<Money>,
    fees: Option<FeeList>,
    symbol: Option<Option<Name>>,
    asset: Option<Name>,
    amount: Option<StrDecimal>,
    txid: Option<Option<String>>,
    fee: Option<OptDecimal>,
    from_account: Option<AccountId>,
    to_account: Option<AccountId>,
    income_type: Option<UnitEnum<IncomeType>>,
    side: Option<UnitEnum<Side>>,
    price: Option<StrDecimal>,
    qty: Option<StrDecimal>,
    realized_pnl: Option<OptDecimal>,
    order_id: Option<Option<String>>,
    from: Option<Money>,
    to: Option<Money>,
    action: Option<UnitEnum<LoanAction>>,
    interest: Option<OptDecimal>,
}

impl Fields {
    /// Reads the value of field `f`; its second occurrence is an error, and so is a kind after an unknown one (the
    /// derive reads the tag first of all: an unknown kind is named before a second one).
    fn read<'de, A: MapAccess<'de>>(&mut self, map: &mut A, f: F) -> Result<(), A::Error> {
        match f {
            F::Id => put(map, &mut self.id, f),
            F::Time => put(map, &mut self.time, f),
            F::Account => put(map, &mut self.account, f),
            F::Kind => {
                if let Some(KindOrName::Name(name)) = &self.kind {
                    return Err(de::Error::unknown_variant(name, VARIANTS));
                }
                put(map, &mut self.kind, f)
            }
            F::Spend => put(map, &mut self.spend, f),
            F::Receive => put(map, &mut self.receive, f),
            F::Fees => put(map, &mut self.fees, f),
            F::Symbol => put(map, &mut self.symbol, f),
            F::Asset => put(map, &mut self.asset, f),
            F::Amount => put(map, &mut self.amount, f),
            F::Txid => put(map, &mut self.txid, f),
            F::Fee => put(map, &mut self.fee, f),
            F::FromAccount => put(map, &mut self.from_account, f),
            F::ToAccount => put(map, &mut self.to_account, f),
            F::Type => put(map, &mut self.income_type, f),
            F::Side => put(map, &mut self.side, f),
            F::Price => put(map, &mut self.price, f),
            F::Qty => put(map, &mut self.qty, f),
            F::RealizedPnl => put(map, &mut self.realized_pnl, f),
            F::OrderId => put(map, &mut self.order_id, f),
            F::From => put(map, &mut self.from, f),
            F::To => put(map, &mut self.to, f),
            F::Action => put(map, &mut self.action, f),
            F::Interest => put(map, &mut self.interest, f),
        }
    }

    /// The event of kind `k` from the fields read, or the error for the first field it is missing.
    fn into_kind<E: de::Error>(self, k: Kind) -> Result<EventKind, E> {
        let missing = |name: &'static str| E::missing_field(name);
        let dec = |d: Option<StrDecimal>, name| d.map(|d| d.0).ok_or_else(|| missing(name));
        Ok(match k {
            Kind::Trade => EventKind::Trade {
                spend: self.spend.ok_or_else(|| missing("spend"))?,
                receive: self.receive.ok_or_else(|| missing("receive"))?,
                fees: self.fees.map(|f| f.0).unwrap_or_default(),
                symbol: self.symbol.flatten(),
            },
            Kind::Deposit => EventKind::Deposit {
                asset: self.asset.ok_or_else(|| missing("asset"))?,
                amount: dec(self.amount, "amount")?,
                txid: self.txid.flatten(),
            },
            Kind::Withdrawal => EventKind::Withdrawal {
                asset: self.asset.ok_or_else(|| missing("asset"))?,
                amount: dec(self.amount, "amount")?,
                fee: self.fee.and_then(|f| f.0),
                txid: self.txid.flatten(),
            },
            Kind::Transfer => EventKind::Transfer {
                from_account: self.from_account.ok_or_else(|| missing("from_account"))?,
                to_account: self.to_account.ok_or_else(|| missing("to_account"))?,
                asset: self.asset.ok_or_else(|| missing("asset"))?,
                amount: dec(self.amount, "amount")?,
            },
            Kind::Income => EventKind::Income {
                income_type: self.income_type.ok_or_else(|| missing("type"))?.0,
                asset: self.asset.ok_or_else(|| missing("asset"))?,
                amount: dec(self.amount, "amount")?,
                symbol: self.symbol.flatten(),
            },
            Kind::FuturesTrade => EventKind::FuturesTrade {
                // required here: `null` is not a symbol
                symbol: match self.symbol {
                    Some(Some(s)) => s,
                    Some(None) => return Err(de::Error::invalid_type(de::Unexpected::Unit, &"a string")),
                    None => return Err(missing("symbol")),
                },
                side: self.side.ok_or_else(|| missing("side"))?.0,
                price: dec(self.price, "price")?,
                qty: dec(self.qty, "qty")?,
                fees: self.fees.map(|f| f.0).unwrap_or_default(),
                realized_pnl: self.realized_pnl.and_then(|r| r.0),
                order_id: self.order_id.flatten(),
            },
            Kind::Migration => EventKind::Migration {
                from: self.from.ok_or_else(|| missing("from"))?,
                to: self.to.ok_or_else(|| missing("to"))?,
            },
            Kind::Loan => EventKind::Loan {
                action: self.action.ok_or_else(|| missing("action"))?.0,
                asset: self.asset.ok_or_else(|| missing("asset"))?,
                amount: dec(self.amount, "amount")?,
                interest: self.interest.and_then(|i| i.0),
            },
        })
    }
}

impl<'de> Visitor<'de> for EventVisitor {
    type Value = Event;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("struct Event")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Event, A::Error> {
        let mut v = Fields::default();
        // the kind's fields in the order met (each at most once), and the first unknown key, for the errors
        let mut met = [0u8; NAMES.len() + 1];
        let mut n_met = 0;
        let mut unknown: Option<String> = None;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            // once the kind is known, a field it does not have is an error at once (the derive's first error then)
            if let Some(KindOrName::Kind(k)) = &v.kind {
                let k = *k;
                match &key {
                    Key::Unknown(name) => return Err(de::Error::unknown_field(name, k.fields())),
                    Key::Known(f) if !matches!(f, F::Id | F::Time | F::Account | F::Kind) && !k.allows(*f as u8) => {
                        return Err(de::Error::unknown_field(NAMES[*f as usize], k.fields()));
                    }
                    Key::Known(_) => {}
                }
            }
            let f = match key {
                Key::Known(f) => f,
                Key::Unknown(name) => {
                    if unknown.is_none() {
                        unknown = Some(name);
                        met[n_met] = UNKNOWN;
                        n_met += 1;
                    }
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            v.read(&mut map, f)?;
            if !matches!(f, F::Id | F::Time | F::Account | F::Kind) {
                met[n_met] = f as u8;
                n_met += 1;
            }
        }
        let missing = |name: &'static str| <A::Error as de::Error>::missing_field(name);
        let id = v.id.take().ok_or_else(|| missing("id"))?;
        let time = v.time.take().ok_or_else(|| missing("time"))?;
        let account = v.account.take().ok_or_else(|| missing("account"))?;
        let k = match v.kind.take() {
            None => return Err(missing("kind")),
            Some(KindOrName::Name(name)) => return Err(de::Error::unknown_variant(&name, VARIANTS)),
            Some(KindOrName::Kind(k)) => k,
        };
        for &f in &met[..n_met] {
            if f == UNKNOWN {
                return Err(de::Error::unknown_field(unknown.as_deref().unwrap_or_default(), k.fields()));
            }
            if !k.allows(f) {
                return Err(de::Error::unknown_field(NAMES[f as usize], k.fields()));
            }
        }
        let kind = v.into_kind(k)?;
        Ok(Event { id, time, account, kind })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    /// The derived form this module replaces: the reference for what is accepted, what is read and what is said.
    mod derive {
        use super::super::*;

        #[derive(Deserialize)]
        pub struct Event {
            pub id: String,
            pub time: Timestamp,
            pub account: AccountId,
            #[serde(flatten)]
            pub kind: EventKind,
        }
    }

    fn derived(line: &str) -> Result<Event, String> {
        serde_json::from_str::<derive::Event>(line)
            .map(|d| Event { id: d.id, time: d.time, account: d.account, kind: d.kind })
            .map_err(|e| e.to_string())
    }

    fn read(line: &str) -> Result<Event, String> {
        serde_json::from_str::<Event>(line).map_err(|e| e.to_string())
    }

    /// The message without serde_json's position (which says where the reading stopped).
    fn message(e: &str) -> &str {
        e.rfind(" at line ").map_or(e, |at| &e[..at])
    }

    const LINES: [&str; 12] = [
        r#"{"id":"a","time":"2024-01-01T00:00:00Z","account":"binance/main/spot","kind":"trade","spend":{"asset":"USDT","amount":"100.5"},"receive":{"asset":"BTC","amount":"0.001"},"fees":[{"asset":"BNB","amount":"0.0001"}],"symbol":"BTCUSDT"}"#,
        r#"{"id":"a2","time":"2024-01-01T00:00:00Z","account":"binance/main/spot","kind":"trade","spend":{"asset":"USDT","amount":"1"},"receive":{"asset":"BTC","amount":"1e-3"}}"#,
        r#"{"kind":"deposit","id":"b","time":"2024-01-01T00:00:01.250Z","account":"binance/main/spot","asset":"BTC","amount":"1","txid":"0xabc"}"#,
        r#"{"id":"c","time":"2024-01-02T00:00:00Z","account":"bitget/main/spot","kind":"withdrawal","asset":"USDT","amount":"10","fee":"1"}"#,
        r#"{"id":"d","time":"2024-01-03T00:00:00Z","account":"binance/main/spot","kind":"transfer","from_account":"binance/main/spot","to_account":"binance/main/usdm","asset":"USDT","amount":"50"}"#,
        r#"{"id":"e","time":"2024-01-04T00:00:00Z","account":"binance/main/usdm","kind":"income","type":"funding","asset":"USDT","amount":"-0.12","symbol":"BTCUSDT"}"#,
        r#"{"id":"f","time":"2024-01-05T00:00:00Z","account":"binance/main/usdm","kind":"futures_trade","symbol":"BTCUSDT","side":"sell","price":"7819.01","qty":"0.002","fees":[{"asset":"USDT","amount":"-0.0781901"}],"realized_pnl":"-0.91539999","order_id":"25851813"}"#,
        r#"{"id":"g","time":"2024-01-05T00:00:01Z","account":"bitget/main/futures","kind":"futures_trade","symbol":"ETHUSDT","side":"buy","price":"1801.33","qty":"0.02"}"#,
        r#"{"id":"h","time":"2024-01-05T00:00:01Z","account":"x/y/z","kind":"withdrawal","asset":"USDT","amount":"10","fee":null,"txid":null}"#,
        r#"{"id":"m","time":"2024-01-06T00:00:00Z","account":"binance/main/spot","kind":"migration","from":{"asset":"ETH","amount":"1"},"to":{"asset":"WBETH","amount":"0.99878915"}}"#,
        r#"{"id":"i","time":"2024-01-06T00:00:00Z","account":"binance/main/margin","kind":"loan","action":"repay","asset":"BTC","amount":"0.5","interest":"0.0001"}"#,
        r#"{"kind":"loan","id":"j","time":"2024-01-06T00:00:00Z","account":"binance/main/margin","action":"borrow","asset":"BTC","amount":"1","interest":null}"#,
    ];

    #[test]
    fn a_fee_list_holds_no_spare_room() {
        let fees = |n: usize| {
            let list: Vec<String> = (0..n).map(|i| format!(r#"{{"asset":"BNB","amount":"{i}"}}"#)).collect();
            let line = LINES[0]
                .replace(r#""fees":[{"asset":"BNB","amount":"0.0001"}]"#, &format!(r#""fees":[{}]"#, list.join(",")));
            match read(&line).unwrap().kind {
                EventKind::Trade { fees, .. } => (fees.len(), fees.capacity()),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(fees(0), (0, 0));
        assert_eq!(fees(1), (1, 1));
        assert_eq!(fees(2), (2, 2));
        assert_eq!(fees(3).0, 3);
        assert!(fees(3).1 <= 4);
    }

    /// An object's fields in the order written.
    struct Ordered(Vec<(String, String)>);

    impl<'de> Deserialize<'de> for Ordered {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Ordered;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                    let mut fields = Vec::new();
                    while let Some((k, v)) = map.next_entry::<String, Value>()? {
                        fields.push((k, v.to_string()));
                    }
                    Ok(Ordered(fields))
                }
            }
            d.deserialize_map(V)
        }
    }

    /// Every line, and every variation of it with one change: a field left out, given twice, set to another value
    /// (null, a number, text, an object, a list), an unknown field, the kind changed; each also with its fields in
    /// reverse order. With each: whether `kind` comes once and before the kind's own fields (then the message is
    /// the derive's; otherwise a field that the kind does not have may be named by another fault of its value).
    fn variations() -> Vec<(String, bool)> {
        let values = [
            "null",
            "5",
            "0.1",
            "\"\"",
            "\"x\"",
            "\"-1\"",
            "\"1e3\"",
            "\"2024-01-01T00:00:00Z\"",
            "\"buy\"",
            "\"funding\"",
            "\"repay\"",
            "{}",
            "[]",
            r#"{"asset":"BTC","amount":"1"}"#,
            r#"{"asset":"BTC"}"#,
            r#"{"asset":"BTC","amount":"1","more":1}"#,
            r#"{"asset":"BTC","asset":"BTC","amount":"1"}"#,
            r#"[{"asset":"BTC","amount":"1"}]"#,
            r#"[{"asset":"BTC","amount":1}]"#,
            r#"{"funding":null}"#,
            r#"{"buy":null}"#,
            r#"{"buy":null,"sell":null}"#,
        ];
        let kinds = [
            "trade",
            "deposit",
            "withdrawal",
            "transfer",
            "income",
            "futures_trade",
            "migration",
            "loan",
            "gift",
            "Trade",
        ];
        let kinds = kinds
            .map(|k| format!("{k:?}"))
            .into_iter()
            .chain(["0", "5", "6", "7", "8", "-1", "null"].map(String::from));
        let kinds: Vec<String> = kinds.collect();
        let mut variants: Vec<Vec<(String, String)>> = Vec::new();
        for line in LINES {
            let fields = serde_json::from_str::<Ordered>(line).unwrap().0;
            variants.push(fields.clone());
            for i in 0..fields.len() {
                let mut without = fields.clone();
                without.remove(i);
                variants.push(without);
                let mut twice = fields.clone();
                twice.push(fields[i].clone());
                variants.push(twice);
                for v in values {
                    let mut changed = fields.clone();
                    changed[i].1 = v.to_string();
                    variants.push(changed);
                }
            }
            for name in NAMES.iter().chain(&["zzz", "Kind"]) {
                for v in values {
                    let mut more = fields.clone();
                    more.push((name.to_string(), v.to_string()));
                    variants.push(more);
                }
            }
            for kind in &kinds {
                let mut changed = fields.clone();
                changed.iter_mut().filter(|(k, _)| k == "kind").for_each(|f| f.1 = kind.clone());
                variants.push(changed);
            }
        }
        let mut out = Vec::new();
        for fields in variants {
            for fields in [fields.clone(), fields.into_iter().rev().collect()] {
                let event_level = ["id", "time", "account"];
                let kind_at = fields.iter().position(|(k, _)| k == "kind");
                let first_own = fields.iter().position(|(k, _)| !event_level.contains(&k.as_str()) && k != "kind");
                let kinds = fields.iter().filter(|(k, _)| k == "kind").count();
                // an object for `type` or `side`: rejected alike, with another message unless it is `{"buy":null}`
                let enum_map =
                    fields.iter().any(|(k, v)| (k == "type" || k == "side" || k == "action") && v.starts_with('{'));
                let strict = kinds < 2
                    && !enum_map
                    && match (kind_at, first_own) {
                        (Some(k), Some(f)) => k < f,
                        _ => true,
                    };
                let parts: Vec<String> = fields.iter().map(|(k, v)| format!("{k:?}:{v}")).collect();
                out.push((format!("{{{}}}", parts.join(",")), strict));
            }
        }
        let odd = ["{}", "[]", "null", "\"x\"", "{\"kind\":\"trade\"}", "{\"id\":\"a\",\"id\":\"a\"}", "{\"id\":\"a\""];
        out.extend(odd.map(|l| (l.to_string(), true)));
        out
    }

    #[test]
    fn reads_what_the_derive_reads() {
        let (mut same, mut both_fail, mut loose) = (0, 0, 0);
        let mut differ = Vec::new();
        for (line, strict) in variations() {
            match (derived(&line), read(&line)) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a, b, "{line}");
                    same += 1;
                }
                (Err(a), Err(b)) => {
                    both_fail += 1;
                    if message(&a) != message(&b) {
                        if strict {
                            differ.push(format!("{line}\n  derive: {a}\n  now:    {b}"));
                        } else {
                            loose += 1;
                        }
                    }
                }
                (a, b) => panic!("{line}\n  derive: {a:?}\n  now:    {b:?}"),
            }
        }
        println!("{same} read alike, {both_fail} rejected alike, {loose} of them with another fault named");
        assert!(same > 100 && both_fail > 1000, "{same} read, {both_fail} rejected");
        assert!(differ.is_empty(), "{} messages differ:\n{}", differ.len(), differ.join("\n"));
    }
}
