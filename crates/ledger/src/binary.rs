//! A compact binary form of a list of events, for storage the app writes and reads itself (its sealed ledger
//! chunks, docs/app-storage.md "Ledger chunks"): the same events as the JSON form, read without scanning text.
//! Decoding a million events as JSON was most of the time the app took to open a heavy account.
//!
//! Layout (docs/app-storage.md): a version byte, the number of events, then each event: `id`, `time`, `account`, a
//! kind byte and the kind's fields in the order [`EventKind`] declares them. Strings are a length and UTF-8 bytes;
//! lengths and counts are LEB128 varints; a time is its milliseconds as a zigzag varint; a decimal is the 16 bytes
//! of [`Decimal::serialize`]; an option is a byte 0 or 1 and then the value; enums are their declaration index.
//! Price points have the same frame: the version byte, their number, then each point's `time`, `asset`, `quote` and
//! `price`.
//! Anything malformed (a truncated field, an index out of range, a decimal whose scale is above 28, invalid UTF-8,
//! bytes left over) is an error naming the event and what is wrong; nothing panics.

use crate::{AccountId, Decimal, Event, EventKind, IncomeType, LoanAction, Money, Name, PricePoint, Side, Timestamp};

/// The layout's version, the first byte. A field added to an event changes the layout (the encoder and decoder stop
/// compiling until they write and read it): raise the version then, and keep reading the layouts sealed before.
const VERSION: u8 = 1;

/// Each enum's values by their index in the layout; [`income_index`], [`side_index`] and [`loan_index`] are the
/// other way, exhaustive, so a new variant does not compile until it has its index here.
const INCOME_TYPES: [IncomeType; 5] =
    [IncomeType::RealizedPnl, IncomeType::Funding, IncomeType::Commission, IncomeType::Other, IncomeType::Interest];
const LOAN_ACTIONS: [LoanAction; 3] = [LoanAction::Borrow, LoanAction::Repay, LoanAction::Interest];
const SIDES: [Side; 2] = [Side::Buy, Side::Sell];

fn income_index(t: IncomeType) -> u8 {
    match t {
        IncomeType::RealizedPnl => 0,
        IncomeType::Funding => 1,
        IncomeType::Commission => 2,
        IncomeType::Other => 3,
        IncomeType::Interest => 4,
    }
}

fn side_index(s: Side) -> u8 {
    match s {
        Side::Buy => 0,
        Side::Sell => 1,
    }
}

fn loan_index(a: LoanAction) -> u8 {
    match a {
        LoanAction::Borrow => 0,
        LoanAction::Repay => 1,
        LoanAction::Interest => 2,
    }
}

/// Why bytes are not a list of events or price points.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{item} {index}: {reason}")]
pub struct BinaryError {
    /// What the list holds: `event` or `price point`.
    pub item: &'static str,
    /// The item being read (0-based), or the count read so far.
    pub index: usize,
    /// What is wrong.
    pub reason: String,
}

/// Encodes events in the binary form.
pub fn encode_events(events: &[Event]) -> Vec<u8> {
    let mut w = Writer::list(events.len(), 120);
    for e in events {
        w.str(&e.id);
        w.varint(zigzag(e.time.0));
        w.str(e.account.as_str());
        match &e.kind {
            EventKind::Trade { spend, receive, fees, symbol } => {
                w.0.push(0);
                w.money(spend);
                w.money(receive);
                w.moneys(fees);
                w.opt_str(symbol.as_deref());
            }
            EventKind::Deposit { asset, amount, txid } => {
                w.0.push(1);
                w.str(asset);
                w.dec(*amount);
                w.opt_str(txid.as_deref());
            }
            EventKind::Withdrawal { asset, amount, fee, txid } => {
                w.0.push(2);
                w.str(asset);
                w.dec(*amount);
                w.opt_dec(*fee);
                w.opt_str(txid.as_deref());
            }
            EventKind::Transfer { from_account, to_account, asset, amount } => {
                w.0.push(3);
                w.str(from_account.as_str());
                w.str(to_account.as_str());
                w.str(asset);
                w.dec(*amount);
            }
            EventKind::Income { income_type, asset, amount, symbol } => {
                w.0.push(4);
                w.0.push(income_index(*income_type));
                w.str(asset);
                w.dec(*amount);
                w.opt_str(symbol.as_deref());
            }
            EventKind::FuturesTrade { symbol, side, price, qty, fees, realized_pnl, order_id } => {
                w.0.push(5);
                w.str(symbol);
                w.0.push(side_index(*side));
                w.dec(*price);
                w.dec(*qty);
                w.moneys(fees);
                w.opt_dec(*realized_pnl);
                w.opt_str(order_id.as_deref());
            }
            EventKind::Migration { from, to } => {
                w.0.push(6);
                w.money(from);
                w.money(to);
            }
            EventKind::Loan { action, asset, amount, interest } => {
                w.0.push(7);
                w.0.push(loan_index(*action));
                w.str(asset);
                w.dec(*amount);
                w.opt_dec(*interest);
            }
        }
    }
    w.0
}

/// Decodes events encoded by [`encode_events`].
pub fn decode_events(bytes: &[u8]) -> Result<Vec<Event>, BinaryError> {
    // every event takes at least 20 bytes; its names shared with the equal ones before it (`interning`)
    crate::interning(|| decode_list(bytes, 20, "event", Reader::event))
}

/// A list in the frame both layouts share: the version byte, the number of items, the items (each read by `item`
/// and taking at least `least` bytes: a count beyond what the bytes can hold is refused before allocating), and
/// nothing after them. An error names the item it happened in.
fn decode_list<'b, T>(
    bytes: &'b [u8],
    least: usize,
    what: &'static str,
    mut item: impl FnMut(&mut Reader<'b>) -> Read<T>,
) -> Result<Vec<T>, BinaryError> {
    let mut r = Reader { bytes, at: 0 };
    let fail = |index: usize, reason: String| BinaryError { item: what, index, reason };
    match r.byte() {
        Ok(VERSION) => {}
        Ok(v) => return Err(fail(0, format!("layout version {v}, this build reads {VERSION}"))),
        Err(reason) => return Err(fail(0, reason)),
    }
    let count = r.varint().map_err(|reason| fail(0, reason))?;
    if count > (bytes.len() / least) as u64 {
        return Err(fail(0, format!("{count} claimed in {} bytes", bytes.len())));
    }
    let mut items = Vec::with_capacity(count as usize);
    for index in 0..count as usize {
        items.push(item(&mut r).map_err(|reason| fail(index, reason))?);
    }
    if r.at != bytes.len() {
        return Err(fail(items.len(), format!("{} bytes after the last one", bytes.len() - r.at)));
    }
    Ok(items)
}

/// Encodes price points in the binary form.
pub fn encode_prices(points: &[PricePoint]) -> Vec<u8> {
    let mut w = Writer::list(points.len(), 32);
    for p in points {
        w.varint(zigzag(p.time.0));
        w.str(&p.asset);
        w.str(&p.quote);
        w.dec(p.price);
    }
    w.0
}

/// Decodes price points encoded by [`encode_prices`]; errors name the point (`index`).
pub fn decode_prices(bytes: &[u8]) -> Result<Vec<PricePoint>, BinaryError> {
    // every point takes at least 19 bytes
    decode_list(bytes, 19, "price point", |r| {
        let time = Timestamp(unzigzag(r.varint()?));
        Ok(PricePoint { time, asset: r.str()?, quote: r.str()?, price: r.dec()? })
    })
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

struct Writer(Vec<u8>);

impl Writer {
    /// The frame's start for `count` items of about `each` bytes: the version and the count.
    fn list(count: usize, each: usize) -> Writer {
        let mut w = Writer(Vec::with_capacity(count * each + 16));
        w.0.push(VERSION);
        w.len(count);
        w
    }

    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push(v as u8 | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn len(&mut self, n: usize) {
        self.varint(n as u64);
    }

    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => {
                self.0.push(1);
                self.str(s);
            }
            None => self.0.push(0),
        }
    }

    fn dec(&mut self, d: Decimal) {
        self.0.extend_from_slice(&d.serialize());
    }

    fn opt_dec(&mut self, d: Option<Decimal>) {
        match d {
            Some(d) => {
                self.0.push(1);
                self.dec(d);
            }
            None => self.0.push(0),
        }
    }

    fn money(&mut self, m: &Money) {
        self.str(&m.asset);
        self.dec(m.amount);
    }

    fn moneys(&mut self, list: &[Money]) {
        self.len(list.len());
        for m in list {
            self.money(m);
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

type Read<T> = Result<T, String>;

impl<'b> Reader<'b> {
    fn take(&mut self, n: usize) -> Read<&'b [u8]> {
        let end = self.at.checked_add(n).filter(|&end| end <= self.bytes.len());
        let end = end.ok_or_else(|| format!("truncated: {n} bytes wanted at byte {}", self.at))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn byte(&mut self) -> Read<u8> {
        Ok(self.take(1)?[0])
    }

    fn varint(&mut self) -> Read<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(format!("a number longer than 64 bits at byte {}", self.at))
    }

    fn text(&mut self) -> Read<&'b str> {
        let n = self.varint()?;
        let n = usize::try_from(n).map_err(|_| format!("a string of {n} bytes"))?;
        let bytes = self.take(n)?;
        std::str::from_utf8(bytes).map_err(|e| format!("a string that is not UTF-8: {e}"))
    }

    fn str(&mut self) -> Read<String> {
        self.text().map(str::to_string)
    }

    fn name(&mut self) -> Read<Name> {
        self.text().map(Name::read)
    }

    fn opt_name(&mut self, what: &str) -> Read<Option<Name>> {
        if self.flag(what)? { self.name().map(Some) } else { Ok(None) }
    }

    fn flag(&mut self, what: &str) -> Read<bool> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(format!("{what}: option byte {b}")),
        }
    }

    fn opt_str(&mut self, what: &str) -> Read<Option<String>> {
        if self.flag(what)? { self.str().map(Some) } else { Ok(None) }
    }

    fn dec(&mut self) -> Read<Decimal> {
        let b: [u8; 16] = self.take(16)?.try_into().expect("16 bytes taken");
        // flags: bits 16-23 the scale (at most 28), bit 31 the sign, the rest zero (rust_decimal's layout)
        let flags = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        if flags & 0x7F00_FFFF != 0 || (flags >> 16) & 0xFF > 28 {
            return Err(format!("not a decimal: flags {flags:#010x}"));
        }
        Ok(Decimal::deserialize(b))
    }

    fn opt_dec(&mut self, what: &str) -> Read<Option<Decimal>> {
        if self.flag(what)? { self.dec().map(Some) } else { Ok(None) }
    }

    fn pick<T: Copy>(&mut self, all: &[T], what: &str) -> Read<T> {
        let i = self.byte()?;
        all.get(usize::from(i)).copied().ok_or_else(|| format!("{what} {i} (there are {})", all.len()))
    }

    fn money(&mut self) -> Read<Money> {
        Ok(Money { asset: self.name()?, amount: self.dec()? })
    }

    fn moneys(&mut self) -> Read<Vec<Money>> {
        let n = self.varint()?;
        // each takes at least 17 bytes
        if n > (self.bytes.len() - self.at) as u64 / 17 {
            return Err(format!("{n} amounts claimed with {} bytes left", self.bytes.len() - self.at));
        }
        (0..n).map(|_| self.money()).collect()
    }

    fn event(&mut self) -> Read<Event> {
        let id = self.str()?;
        let time = Timestamp(unzigzag(self.varint()?));
        let account = AccountId(self.name()?);
        let kind = match self.byte()? {
            0 => EventKind::Trade {
                spend: self.money()?,
                receive: self.money()?,
                fees: self.moneys()?,
                symbol: self.opt_name("symbol")?,
            },
            1 => EventKind::Deposit { asset: self.name()?, amount: self.dec()?, txid: self.opt_str("txid")? },
            2 => EventKind::Withdrawal {
                asset: self.name()?,
                amount: self.dec()?,
                fee: self.opt_dec("fee")?,
                txid: self.opt_str("txid")?,
            },
            3 => EventKind::Transfer {
                from_account: AccountId(self.name()?),
                to_account: AccountId(self.name()?),
                asset: self.name()?,
                amount: self.dec()?,
            },
            4 => EventKind::Income {
                income_type: self.pick(&INCOME_TYPES, "income type")?,
                asset: self.name()?,
                amount: self.dec()?,
                symbol: self.opt_name("symbol")?,
            },
            5 => EventKind::FuturesTrade {
                symbol: self.name()?,
                side: self.pick(&SIDES, "side")?,
                price: self.dec()?,
                qty: self.dec()?,
                fees: self.moneys()?,
                realized_pnl: self.opt_dec("realized_pnl")?,
                order_id: self.opt_str("order_id")?,
            },
            6 => EventKind::Migration { from: self.money()?, to: self.money()? },
            7 => EventKind::Loan {
                action: self.pick(&LOAN_ACTIONS, "loan action")?,
                asset: self.name()?,
                amount: self.dec()?,
                interest: self.opt_dec("interest")?,
            },
            k => return Err(format!("event kind {k} (there are 8)")),
        };
        Ok(Event { id, time, account, kind })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn m(asset: &str, amount: &str) -> Money {
        Money::new(asset, d(amount))
    }

    /// One event of every kind, with every optional field present and absent.
    fn every_kind() -> Vec<Event> {
        let kinds = vec![
            EventKind::Trade { spend: m("USDT", "100.50"), receive: m("BTC", "0.002"), fees: vec![], symbol: None },
            EventKind::Trade {
                spend: m("BTC", "0.5"),
                receive: m("ÉTH", "7.123456789012345678901234567"),
                fees: vec![m("BNB", "0.0001"), m("USDT", "0")],
                symbol: Some("ETHBTC".into()),
            },
            EventKind::Deposit { asset: "USDT".into(), amount: d("1000"), txid: None },
            EventKind::Deposit { asset: "BTC".into(), amount: d("0.1"), txid: Some("0xabc".into()) },
            EventKind::Withdrawal { asset: "BTC".into(), amount: d("0.1"), fee: None, txid: None },
            EventKind::Withdrawal {
                asset: "BTC".into(),
                amount: d("0.1"),
                fee: Some(d("0.0005")),
                txid: Some("t".into()),
            },
            EventKind::Transfer {
                from_account: AccountId("binance/main/spot".into()),
                to_account: AccountId("binance/main/usdm".into()),
                asset: "USDT".into(),
                amount: d("250"),
            },
            EventKind::Income {
                income_type: IncomeType::Funding,
                asset: "USDT".into(),
                amount: d("-1.25"),
                symbol: None,
            },
            EventKind::Income {
                income_type: IncomeType::Interest,
                asset: "BTC".into(),
                amount: d("0.00000001"),
                symbol: Some("BTCUSDT".into()),
            },
            EventKind::FuturesTrade {
                symbol: "BTCUSD_PERP".into(),
                side: Side::Sell,
                price: d("65000.1"),
                qty: d("3"),
                fees: vec![m("BTC", "-0.00001")],
                realized_pnl: Some(d("-0.002")),
                order_id: Some("42".into()),
            },
            EventKind::FuturesTrade {
                symbol: "ETHUSDT".into(),
                side: Side::Buy,
                price: d("3000"),
                qty: d("1"),
                fees: vec![],
                realized_pnl: None,
                order_id: None,
            },
            EventKind::Migration { from: m("ETH", "1"), to: m("WBETH", "0.98") },
            EventKind::Loan {
                action: LoanAction::Repay,
                asset: "BTC".into(),
                amount: d("1"),
                interest: Some(d("0.01")),
            },
            EventKind::Loan { action: LoanAction::Borrow, asset: "BTC".into(), amount: d("1"), interest: None },
            EventKind::Loan { action: LoanAction::Interest, asset: "BNB".into(), amount: d("0.3"), interest: None },
        ];
        let times = [0, 1, -86_400_000, 1_735_689_600_123, i64::MAX, i64::MIN];
        kinds
            .into_iter()
            .enumerate()
            .map(|(i, kind)| Event {
                id: format!("binance/main/spot:row:{i}"),
                time: Timestamp(times[i % times.len()]),
                account: AccountId(if i % 2 == 0 { "binance/main/spot" } else { "bitget/copy/futures" }.into()),
                kind,
            })
            .collect()
    }

    #[test]
    fn every_kind_reads_back_as_it_was_written() {
        let events = every_kind();
        assert_eq!(decode_events(&encode_events(&events)).unwrap(), events);
        assert_eq!(decode_events(&encode_events(&[])).unwrap(), vec![]);
        // the JSON form and the binary form are the same events (times the JSON form can write)
        let mut events = events;
        for (i, e) in events.iter_mut().enumerate() {
            e.time = Timestamp(1_735_689_600_123 + i as i64 * 1_000);
        }
        let json = serde_json::to_string(&events).unwrap();
        let from_json: Vec<Event> = serde_json::from_str(&json).unwrap();
        assert_eq!(decode_events(&encode_events(&from_json)).unwrap(), from_json);
    }

    #[test]
    fn price_points_read_back_and_malformed_ones_are_an_error() {
        let points = vec![
            PricePoint {
                time: Timestamp(1_735_689_600_000),
                asset: "BTC".into(),
                quote: "USDT".into(),
                price: d("97000.5"),
            },
            PricePoint { time: Timestamp(-5), asset: "EUR".into(), quote: "USD".into(), price: d("1.0412345678") },
        ];
        let bytes = encode_prices(&points);
        assert_eq!(decode_prices(&bytes).unwrap(), points);
        assert_eq!(decode_prices(&encode_prices(&[])).unwrap(), vec![]);
        for n in 0..bytes.len() {
            assert!(decode_prices(&bytes[..n]).is_err());
        }
        let mut longer = bytes.clone();
        longer.push(7);
        assert!(decode_prices(&longer).unwrap_err().reason.contains("after the last one"));
        // an error names the kind of item, the index and the fault
        let e = decode_prices(&bytes[..bytes.len() - 1]).unwrap_err();
        assert!(e.to_string().starts_with("price point 1: truncated"), "{e}");
        let mut huge = vec![VERSION];
        huge.extend([0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert!(decode_prices(&huge).unwrap_err().reason.contains("claimed"));
    }

    #[test]
    fn malformed_bytes_are_an_error_never_a_panic() {
        let bytes = encode_events(&every_kind());
        // every truncation fails, with the event it stopped in
        for n in 0..bytes.len() {
            let e = decode_events(&bytes[..n]).unwrap_err();
            assert!(e.index <= 15, "{e}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode_events(&longer).unwrap_err().reason.contains("bytes after the last one"));
        let mut version = bytes.clone();
        version[0] = 9;
        assert!(decode_events(&version).unwrap_err().reason.contains("layout version 9"));
        // a count no bytes could hold is refused before allocating
        let mut huge = vec![VERSION];
        huge.extend([0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert!(decode_events(&huge).unwrap_err().reason.contains("claimed"));
        // flipping any one byte gives an error or other events, never a panic
        for i in 0..bytes.len() {
            for bit in [0x01, 0x80] {
                let mut b = bytes.clone();
                b[i] ^= bit;
                let _ = decode_events(&b);
            }
        }
        // a decimal with a scale above 28
        let one = vec![Event {
            id: "x".into(),
            time: Timestamp(0),
            account: AccountId("a/b/c".into()),
            kind: EventKind::Deposit { asset: "BTC".into(), amount: d("1"), txid: None },
        }];
        let mut bad = encode_events(&one);
        let at = bad.len() - 1 - 16; // the amount, before the txid flag
        bad[at + 2] = 29;
        assert!(decode_events(&bad).unwrap_err().reason.contains("not a decimal"), "{:?}", decode_events(&bad));
    }
}
