//! Responses into ledger events, one parser per stream. Every event id is derived from the venue's own row id
//! (see [`ids`](crate::ids)), so parsing the same row twice gives the same event and re-syncing never duplicates.
//! A response that does not have the documented shape is an error naming the venue and endpoint.

use std::collections::BTreeMap;

use catalogue::{Endpoint, Venue};
use ledger::{AccountId, Decimal, Event, EventKind, IncomeType, Money, Name, Position, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::VenueError;
use crate::ids;

/// Balances: account id -> asset -> amount (non-zero only).
pub type Balances = BTreeMap<String, BTreeMap<String, Decimal>>;

/// An open futures position as an account summary shows it (Binance `GET /fapi/v3/account`): no entry price.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionSize {
    /// Contract symbol.
    pub symbol: String,
    /// `long`, `short` or `both` (one-way mode).
    pub side: String,
    /// Signed size in base units.
    #[serde(with = "rust_decimal::serde::str")]
    pub size: Decimal,
    /// When the position last changed (venue ms).
    pub update_time: i64,
    /// Unrealized PnL in the margin asset.
    #[serde(with = "rust_decimal::serde::str")]
    pub unrealized_pnl: Decimal,
    /// Size times mark price.
    #[serde(with = "rust_decimal::serde::str")]
    pub notional: Decimal,
}

/// A Binance COIN-M contract as `GET /dapi/v1/exchangeInfo` lists it (docs/venues.md §1.14): what an open position of
/// it needs to be valued.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoinmContract {
    /// USD per contract (`contractSize`: 100 for BTC contracts, 10 for the others).
    #[serde(with = "rust_decimal::serde::str")]
    pub contract_size: Decimal,
    /// The coin its margin and PnL are in (`marginAsset`).
    pub margin_asset: String,
}

/// COIN-M contracts by symbol (`BTCUSD_PERP`, `BTCUSD_200925`).
pub type CoinmContracts = BTreeMap<String, CoinmContract>;

/// One page of a stream: its events and what pagination needs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    /// Ledger events (rows that are not events, such as pending deposits, give none).
    pub events: Vec<Event>,
    /// Rows in the response (for "a full page means there may be more").
    pub rows: usize,
    /// Largest numeric row id (Binance `fromId` paging).
    pub max_id: Option<u64>,
    /// Smallest row id as the venue wrote it (Bitget `idLessThan`/cursor paging).
    pub min_id: Option<String>,
    /// Latest row time.
    pub max_time: Option<i64>,
    /// Earliest row time.
    pub min_time: Option<i64>,
    /// The venue's next-page cursor (`endId`, `cursor`), or its "more data" flag as "more".
    pub cursor: Option<String>,
    /// Total rows the venue reports (`total`), when it does.
    pub total: Option<u64>,
    /// Symbols the rows name whose fills must be read (Binance margin: the capital flow, the liquidation orders).
    pub symbols: std::collections::BTreeSet<String>,
    /// Rows kept in a form that needs a reader's eye (an unknown type or wallet): each names the row and its raw
    /// value. The row is never dropped.
    pub warnings: Vec<String>,
}

/// Parses fields of one row, naming the venue and endpoint in every error.
pub(crate) struct Row<'a> {
    venue: Venue,
    endpoint: &'static str,
    obj: &'a Map<String, Value>,
}

impl<'a> Row<'a> {
    fn new(venue: Venue, endpoint: &'static str, v: &'a Value) -> Result<Self, VenueError> {
        let obj = v.as_object().ok_or_else(|| VenueError::malformed(venue, endpoint, "a row is not an object"))?;
        Ok(Row { venue, endpoint, obj })
    }
    fn err(&self, detail: String) -> VenueError {
        VenueError::malformed(self.venue, self.endpoint, detail)
    }
    fn get(&self, name: &str) -> Result<&'a Value, VenueError> {
        self.obj.get(name).ok_or_else(|| self.err(format!("missing field `{name}`")))
    }
    /// A string, or a number written as text (ids are numbers on some pages and strings on others).
    fn text(&self, name: &str) -> Result<String, VenueError> {
        match self.get(name)? {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            other => Err(self.err(format!("field `{name}` is {other}, expected a string"))),
        }
    }
    fn opt_text(&self, name: &str) -> Option<String> {
        match self.obj.get(name) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        }
    }
    fn dec(&self, name: &str) -> Result<Decimal, VenueError> {
        let t = self.text(name)?;
        // A JSON number with a fraction went through binary floating point (Bitget's convert record shows
        // `fromCoinSize` as a number): its shortest text is the venue's decimal only up to 15 significant digits.
        if let Some(Value::Number(n)) = self.obj.get(name)
            && n.is_f64()
        {
            let digits = t.split(['e', 'E']).next().unwrap_or("").trim_start_matches(['-', '0', '.']);
            if digits.chars().filter(char::is_ascii_digit).count() > 15 {
                return Err(self.err(format!("field `{name}` = {t} is a JSON number too precise to read exactly")));
            }
        }
        if t.is_empty() {
            return Ok(Decimal::ZERO);
        }
        parse_decimal(&t).ok_or_else(|| self.err(format!("field `{name}` = {t:?} is not a decimal")))
    }
    fn opt_dec(&self, name: &str) -> Result<Decimal, VenueError> {
        if self.obj.get(name).is_none_or(Value::is_null) { Ok(Decimal::ZERO) } else { self.dec(name) }
    }
    fn ms(&self, name: &str) -> Result<i64, VenueError> {
        let t = self.text(name)?;
        t.parse::<i64>().map_err(|_| self.err(format!("field `{name}` = {t:?} is not a time in ms")))
    }
    fn int(&self, name: &str) -> Result<u64, VenueError> {
        let t = self.text(name)?;
        t.parse::<u64>().map_err(|_| self.err(format!("field `{name}` = {t:?} is not an integer id")))
    }
    fn boolean(&self, name: &str) -> Result<bool, VenueError> {
        self.get(name)?.as_bool().ok_or_else(|| self.err(format!("field `{name}` is not a boolean")))
    }
    fn asset(&self, name: &str) -> Result<String, VenueError> {
        let a = self.text(name)?.to_ascii_uppercase();
        if a.is_empty() { Err(self.err(format!("field `{name}` is empty"))) } else { Ok(a) }
    }
}

/// Parses a decimal as venues write it (plain or scientific notation).
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let t = text.trim();
    t.parse::<Decimal>().ok().or_else(|| Decimal::from_scientific(t).ok()).map(|d| d.normalize())
}

fn array<'a>(venue: Venue, endpoint: &'static str, v: &'a Value) -> Result<&'a Vec<Value>, VenueError> {
    v.as_array().ok_or_else(|| VenueError::malformed(venue, endpoint, "expected a JSON array"))
}

/// The rows of a JSON array, each a [`Row`] (or, for an element that is not an object, an error naming the
/// endpoint): the one loop every parser reads its rows with.
fn rows<'a>(
    venue: Venue,
    endpoint: &'static str,
    v: &'a Value,
) -> Result<impl Iterator<Item = Result<Row<'a>, VenueError>> + use<'a>, VenueError> {
    Ok(array(venue, endpoint, v)?.iter().map(move |row| Row::new(venue, endpoint, row)))
}

fn field<'a>(venue: Venue, endpoint: &'static str, v: &'a Value, name: &str) -> Result<&'a Value, VenueError> {
    v.get(name).ok_or_else(|| VenueError::malformed(venue, endpoint, format!("missing field `{name}`")))
}

fn account(venue: Venue, label: &str, wallet: &str) -> AccountId {
    AccountId::new(venue.as_str(), label, wallet)
}

impl Page {
    /// The page's rows ([`rows`]), counted in [`Page::rows`] (a full page means there may be more).
    fn read<'a>(
        &mut self,
        venue: Venue,
        endpoint: &'static str,
        v: &'a Value,
    ) -> Result<impl Iterator<Item = Result<Row<'a>, VenueError>> + use<'a>, VenueError> {
        self.rows += array(venue, endpoint, v)?.len();
        rows(venue, endpoint, v)
    }
    /// This page with each of its rows ([`Page::read`]) given to `each`, which notes the row's time and id and
    /// pushes its event, if the row is one.
    fn each(
        mut self,
        venue: Venue,
        endpoint: &'static str,
        v: &Value,
        mut each: impl FnMut(&mut Page, &Row<'_>) -> Result<(), VenueError>,
    ) -> Result<Page, VenueError> {
        for r in self.read(venue, endpoint, v)? {
            each(&mut self, &r?)?;
        }
        Ok(self)
    }
    /// Notes a row's time for paging, and returns it.
    fn noted(&mut self, time: i64) -> i64 {
        self.note(time);
        time
    }
    fn note(&mut self, time: i64) {
        self.max_time = Some(self.max_time.map_or(time, |t| t.max(time)));
        self.min_time = Some(self.min_time.map_or(time, |t| t.min(time)));
    }
    fn note_id(&mut self, id: u64) {
        self.max_id = Some(self.max_id.map_or(id, |m| m.max(id)));
    }
    fn note_text_id(&mut self, id: &str) {
        let smaller = match &self.min_id {
            None => true,
            Some(m) => match (id.parse::<u128>(), m.parse::<u128>()) {
                (Ok(a), Ok(b)) => a < b,
                _ => id < m.as_str(),
            },
        };
        if smaller {
            self.min_id = Some(id.to_string());
        }
    }
    fn push(&mut self, id: String, time: i64, account: AccountId, kind: EventKind) {
        self.events.push(Event { id, time: Timestamp(time), account, kind });
    }
}

fn trade(spend: (String, Decimal), receive: (String, Decimal), fees: Vec<Money>, symbol: Option<String>) -> EventKind {
    EventKind::Trade {
        spend: Money::new(spend.0, spend.1),
        receive: Money::new(receive.0, receive.1),
        fees,
        symbol: symbol.map(Name::from),
    }
}

#[allow(clippy::too_many_arguments)]
fn futures_trade(
    r: &Row<'_>,
    symbol: String,
    side: &str,
    price: Decimal,
    qty: Decimal,
    fees: Vec<Money>,
    realized_pnl: Option<Decimal>,
    order_id: Option<String>,
) -> Result<EventKind, VenueError> {
    let side = match side.to_ascii_lowercase().as_str() {
        "buy" => ledger::Side::Buy,
        "sell" => ledger::Side::Sell,
        other => return Err(r.err(format!("side {other:?} is neither buy nor sell"))),
    };
    if qty <= Decimal::ZERO {
        return Err(r.err(format!("fill quantity {qty} is not positive")));
    }
    Ok(EventKind::FuturesTrade { symbol: symbol.into(), side, price, qty, fees, realized_pnl, order_id })
}

/// Base and quote of spot symbols (from Binance `exchangeInfo`, or by quote suffix for Bitget).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SymbolBook {
    /// symbol -> (base, quote)
    pub symbols: BTreeMap<String, (String, String)>,
}

/// Quote assets Bitget spot symbols end with, longest first where one is a suffix of another.
pub const BITGET_QUOTES: [&str; 10] = ["USDT", "USDC", "FDUSD", "USDE", "BTC", "ETH", "EUR", "BGB", "BRL", "TRY"];

impl SymbolBook {
    /// Base and quote of a symbol. Unknown Bitget symbols are split at a known quote suffix.
    pub fn split(&self, venue: Venue, symbol: &str) -> Option<(String, String)> {
        if let Some(bq) = self.symbols.get(symbol) {
            return Some(bq.clone());
        }
        if venue == Venue::Bitget {
            let mut best: Option<&str> = None;
            for q in BITGET_QUOTES {
                if symbol.len() > q.len() && symbol.ends_with(q) && best.is_none_or(|b| q.len() > b.len()) {
                    best = Some(q);
                }
            }
            return best.map(|q| (symbol[..symbol.len() - q.len()].to_string(), q.to_string()));
        }
        None
    }
}

/// Binance and Bitget response parsers.
pub mod binance {
    use super::*;
    use catalogue::{
        BINANCE_ACCOUNT, BINANCE_ASSET_DIVIDENDS, BINANCE_COINM_ACCOUNT, BINANCE_COINM_EXCHANGE_INFO,
        BINANCE_COINM_INCOME, BINANCE_COINM_POSITIONS, BINANCE_COINM_TRADES, BINANCE_CONVERTS, BINANCE_DEPOSITS,
        BINANCE_DUST, BINANCE_EARN_FLEXIBLE_POSITION, BINANCE_EARN_FLEXIBLE_REDEMPTIONS, BINANCE_EARN_FLEXIBLE_REWARDS,
        BINANCE_EARN_FLEXIBLE_SUBSCRIPTIONS, BINANCE_EARN_LOCKED_REDEMPTIONS, BINANCE_EARN_LOCKED_REWARDS,
        BINANCE_EARN_LOCKED_SUBSCRIPTIONS, BINANCE_FUNDING_ASSETS, BINANCE_FUTURES_ACCOUNT, BINANCE_FUTURES_INCOME,
        BINANCE_FUTURES_TRADES, BINANCE_MY_TRADES, BINANCE_POSITIONS, BINANCE_TRANSFERS, BINANCE_WITHDRAWALS,
    };

    const V: Venue = Venue::Binance;

    mod fiat;
    pub use fiat::{fiat_buys, fiat_deposits, fiat_sells, fiat_withdrawals, p2p_trades, pay_transactions};
    mod staking;
    pub use staking::{
        beth_rewards, eth_redemptions, eth_stakings, sol_boost_claims, sol_redemptions, sol_stakings, wbeth_unwraps,
        wbeth_wraps,
    };

    mod copy;
    pub use copy::{lead_income, lead_status};
    mod margin;
    pub use margin::{
        CAPITAL_FLOW_COVERED, CapitalFlow, ISOLATED_WALLET_PREFIX, borrow_repay, capital_flow, force_liquidations,
        interest_history, isolated_balances, isolated_wallet, margin_balances, margin_trades, margin_wallet,
    };

    /// `GET /api/v3/exchangeInfo` (or `/fapi/v1/exchangeInfo`): every symbol's base and quote.
    pub fn exchange_info(data: &Value, endpoint: &Endpoint) -> Result<SymbolBook, VenueError> {
        let endpoint = endpoint.path;
        let mut book = SymbolBook::default();
        for r in rows(V, endpoint, field(V, endpoint, data, "symbols")?)? {
            let r = r?;
            book.symbols.insert(r.text("symbol")?, (r.asset("baseAsset")?, r.asset("quoteAsset")?));
        }
        Ok(book)
    }

    /// `GET /api/v3/account`: spot balances (free + locked).
    pub fn spot_balances(data: &Value, label: &str, out: &mut Balances) -> Result<(), VenueError> {
        const E: &str = BINANCE_ACCOUNT.path;
        let acc = account(V, label, "spot");
        read_balances(out, &acc, V, E, field(V, E, data, "balances")?, "asset", |r| {
            Ok(r.dec("free")? + r.dec("locked")?)
        })
    }

    /// `POST /sapi/v1/asset/get-funding-asset`: funding wallet (free + locked + freeze + withdrawing).
    pub fn funding_balances(data: &Value, label: &str, out: &mut Balances) -> Result<(), VenueError> {
        const E: &str = BINANCE_FUNDING_ASSETS.path;
        let acc = account(V, label, "funding");
        read_balances(out, &acc, V, E, data, "asset", |r| {
            Ok(r.dec("free")? + r.opt_dec("locked")? + r.opt_dec("freeze")? + r.opt_dec("withdrawing")?)
        })
    }

    /// `GET /fapi/v3/positionRisk`: open positions, their mark price read at venue time `time`.
    pub fn positions(data: &Value, label: &str, time: Timestamp) -> Result<Vec<Position>, VenueError> {
        const E: &str = BINANCE_POSITIONS.path;
        collect_rows(V, E, data, |r| {
            let size = r.dec("positionAmt")?;
            if size.is_zero() {
                return Ok(None);
            }
            Ok(Some(Position {
                time: Some(time),
                account: account(V, label, "usdm"),
                symbol: r.text("symbol")?,
                margin_asset: r.asset("marginAsset")?,
                amount: size,
                entry_price: r.dec("entryPrice")?,
                mark_price: r.dec("markPrice")?,
                contract_size: None,
            }))
        })
    }

    /// `GET /api/v3/myTrades`: spot fills.
    pub fn my_trades(data: &Value, label: &str, book: &SymbolBook) -> Result<Page, VenueError> {
        const E: &str = BINANCE_MY_TRADES.path;
        let acc = account(V, label, "spot");
        Page::default().each(V, E, data, |page, r| {
            let symbol = r.text("symbol")?;
            let id = r.int("id")?;
            let time = page.noted(r.ms("time")?);
            page.note_id(id);
            let (base, quote) =
                book.split(V, &symbol).ok_or_else(|| r.err(format!("symbol {symbol} is not in exchangeInfo")))?;
            let (qty, quote_qty) = (r.dec("qty")?, r.dec("quoteQty")?);
            let fees = vec![Money::new(r.asset("commissionAsset")?, r.dec("commission")?)];
            let kind = if r.boolean("isBuyer")? {
                trade((quote, quote_qty), (base, qty), fees, Some(symbol.clone()))
            } else {
                trade((base, qty), (quote, quote_qty), fees, Some(symbol.clone()))
            };
            page.push(ids::binance_trade(&acc, &symbol, id), time, acc.clone(), kind);
            Ok(())
        })
    }

    /// `GET /sapi/v1/capital/deposit/hisrec`: credited deposits (status 1 success, 6 credited).
    pub fn deposits(data: &Value, label: &str) -> Result<Page, VenueError> {
        const E: &str = BINANCE_DEPOSITS.path;
        let acc = account(V, label, "spot");
        Page::default().each(V, E, data, |page, r| {
            let time = page.noted(r.ms("insertTime")?);
            let status = r.int("status")?;
            if !matches!(status, 1 | 6) {
                return Ok(());
            }
            let kind = EventKind::Deposit {
                asset: r.asset("coin")?.into(),
                amount: r.dec("amount")?,
                txid: r.opt_text("txId"),
            };
            page.push(ids::row(&acc, "deposit", &r.text("id")?), time, acc.clone(), kind);
            Ok(())
        })
    }

    /// Parses Binance's `YYYY-MM-DD HH:MM:SS` (UTC) withdrawal times.
    pub fn parse_utc(text: &str) -> Option<i64> {
        let iso = format!("{}Z", text.trim().replacen(' ', "T", 1));
        iso.parse::<Timestamp>().ok().map(Timestamp::millis)
    }

    /// `GET /sapi/v1/capital/withdraw/history`: completed withdrawals (status 6).
    pub fn withdrawals(data: &Value, label: &str) -> Result<Page, VenueError> {
        const E: &str = BINANCE_WITHDRAWALS.path;
        let acc = account(V, label, "spot");
        Page::default().each(V, E, data, |page, r| {
            let apply = r.text("applyTime")?;
            let time =
                parse_utc(&apply).ok_or_else(|| r.err(format!("applyTime {apply:?} is not YYYY-MM-DD HH:MM:SS")));
            let time = page.noted(time?);
            if r.int("status")? != 6 {
                return Ok(());
            }
            let fee = if r.obj.contains_key("transactionFee") { Some(r.dec("transactionFee")?) } else { None };
            let kind = EventKind::Withdrawal {
                asset: r.asset("coin")?.into(),
                amount: r.dec("amount")?,
                fee,
                txid: r.opt_text("txId"),
            };
            page.push(ids::row(&acc, "withdrawal", &r.text("id")?), time, acc.clone(), kind);
            Ok(())
        })
    }

    /// The universal-transfer types this client reads, with (from wallet, to wallet).
    pub const TRANSFER_TYPES: [(&str, &str, &str); 12] = [
        ("MAIN_UMFUTURE", "spot", "usdm"),
        ("UMFUTURE_MAIN", "usdm", "spot"),
        ("MAIN_FUNDING", "spot", "funding"),
        ("FUNDING_MAIN", "funding", "spot"),
        ("FUNDING_UMFUTURE", "funding", "usdm"),
        ("UMFUTURE_FUNDING", "usdm", "funding"),
        ("MAIN_CMFUTURE", "spot", "coinm"),
        ("CMFUTURE_MAIN", "coinm", "spot"),
        ("FUNDING_CMFUTURE", "funding", "coinm"),
        ("CMFUTURE_FUNDING", "coinm", "funding"),
        // cross margin (docs/venues.md §1.18)
        ("MAIN_MARGIN", "spot", "margin"),
        ("MARGIN_MAIN", "margin", "spot"),
    ];

    /// The universal-transfer types into and out of an isolated pair (docs/venues.md §1.18), with (from wallet, to
    /// wallet): `margin` is cross margin, and `fromSymbol` or `toSymbol` the pair's wallet `isolated-{SYMBOL}`
    /// named by that request parameter (mandatory for the type: the rows do not name the pair).
    pub const ISOLATED_TRANSFER_TYPES: [(&str, &str, &str); 3] = [
        ("MARGIN_ISOLATEDMARGIN", "margin", "toSymbol"),
        ("ISOLATEDMARGIN_MARGIN", "fromSymbol", "margin"),
        ("ISOLATEDMARGIN_ISOLATEDMARGIN", "fromSymbol", "toSymbol"),
    ];

    /// `GET /sapi/v1/asset/transfer` for one `type`: confirmed transfers between the user's wallets.
    pub fn transfers(data: &Value, label: &str) -> Result<Page, VenueError> {
        transfers_of(data, label, &[])
    }

    /// [`transfers`] with the request's parameters, which name the isolated pairs of a type of
    /// [`ISOLATED_TRANSFER_TYPES`] (its rows do not name them): without them such a type is not one this client
    /// asked for.
    pub fn transfers_of(data: &Value, label: &str, params: &[(&'static str, String)]) -> Result<Page, VenueError> {
        const E: &str = BINANCE_TRANSFERS.path;
        let mut page = Page { total: field(V, E, data, "total")?.as_u64(), ..Page::default() };
        let rows = match data.get("rows") {
            None | Some(Value::Null) => return Ok(page),
            Some(rows) => page.read(V, E, rows)?,
        };
        for r in rows {
            let r = r?;
            let time = page.noted(r.ms("timestamp")?);
            if r.text("status")? != "CONFIRMED" {
                continue;
            }
            let ty = r.text("type")?;
            let not_asked = || r.err(format!("transfer type {ty} is not one this client asked for"));
            // a side named by a request parameter is the pair it names; a type whose pair was not named is refused
            let side = |w: &str| match w.ends_with("Symbol") {
                true => params.iter().find(|(k, _)| *k == w).map(|(_, pair)| isolated_wallet(pair)),
                false => Some(w.to_string()),
            };
            let (from, to) = ISOLATED_TRANSFER_TYPES
                .iter()
                .chain(&TRANSFER_TYPES)
                .find(|(t, _, _)| *t == ty)
                .and_then(|(_, from, to)| side(from).zip(side(to)))
                .ok_or_else(not_asked)?;
            let (from, to) = (account(V, label, &from), account(V, label, &to));
            let kind = EventKind::Transfer {
                from_account: from.clone(),
                to_account: to,
                asset: r.asset("asset")?.into(),
                amount: r.dec("amount")?,
            };
            page.push(ids::binance_transfer(&from, &ty, &r.text("tranId")?), time, from, kind);
        }
        Ok(page)
    }

    /// `GET /sapi/v1/convert/tradeFlow`: successful converts.
    pub fn converts(data: &Value, label: &str) -> Result<Page, VenueError> {
        const E: &str = BINANCE_CONVERTS.path;
        let mut page = Page::default();
        let acc = account(V, label, "spot");
        if data.get("moreData").and_then(Value::as_bool) == Some(true) {
            page.cursor = Some("more".into());
        }
        page.each(V, E, field(V, E, data, "list")?, |page, r| {
            let time = page.noted(r.ms("createTime")?);
            if r.text("orderStatus")? != "SUCCESS" {
                return Ok(());
            }
            let kind = trade(
                (r.asset("fromAsset")?, r.dec("fromAmount")?),
                (r.asset("toAsset")?, r.dec("toAmount")?),
                vec![],
                None,
            );
            page.push(ids::row(&acc, "convert", &r.text("orderId")?), time, acc.clone(), kind);
            Ok(())
        })
    }

    /// `GET /sapi/v1/asset/dribblet`: dust conversions to BNB, one trade per converted asset. `transferedAmount`
    /// is the BNB credited after the service charge, so the gross receive is their sum and the charge the fee.
    pub fn dust(data: &Value, label: &str) -> Result<Page, VenueError> {
        const E: &str = BINANCE_DUST.path;
        let mut page = Page::default();
        let acc = account(V, label, "spot");
        page.total = data.get("total").and_then(Value::as_u64);
        let groups = match data.get("userAssetDribblets") {
            None | Some(Value::Null) => return Ok(page),
            Some(g) => page.read(V, E, g)?,
        };
        for gr in groups {
            let gr = gr?;
            let group_time = page.noted(gr.ms("operateTime")?);
            for r in rows(V, E, gr.get("userAssetDribbletDetails")?)? {
                let r = r?;
                let time = r.opt_text("operateTime").and_then(|t| t.parse().ok()).unwrap_or(group_time);
                let fee = r.dec("serviceChargeAmount")?;
                let net = r.dec("transferedAmount")?;
                let from = r.asset("fromAsset")?;
                let kind = trade(
                    (from.clone(), r.dec("amount")?),
                    ("BNB".into(), net + fee),
                    vec![Money::new("BNB", fee)],
                    None,
                );
                page.push(ids::dust(&acc, &r.text("transId")?, &from), time, acc.clone(), kind);
            }
        }
        Ok(page)
    }

    /// `GET /fapi/v1/income`: realized PnL, funding, commission and other income. `TRANSFER` rows are skipped:
    /// the same movements come, with both sides, from `/sapi/v1/asset/transfer`.
    pub fn income(data: &Value, label: &str) -> Result<Page, VenueError> {
        usdm_income(data, label, &[])
    }

    /// `GET /fapi/v1/income` rows into events: the types in `moves` are money moved into (positive) or out of
    /// (negative) the account, a `deposit` or a `withdrawal` (a copy-trading account's, docs/venues.md §1.17); the
    /// others are income as [`usdm_income_type`] says, `TRANSFER` skipped unless it is in `moves`.
    fn usdm_income(data: &Value, label: &str, moves: &[&str]) -> Result<Page, VenueError> {
        const E: &str = BINANCE_FUTURES_INCOME.path;
        let acc = account(V, label, "usdm");
        Page::default().each(V, E, data, |page, r| {
            let time = page.noted(r.ms("time")?);
            let ty = r.text("incomeType")?;
            let kind = if moves.contains(&ty.as_str()) {
                capital_move(r.asset("asset")?, r.dec("income")?)
            } else if let Some(income_type) = usdm_income_type(&ty) {
                let symbol = r.opt_text("symbol");
                EventKind::Income {
                    income_type,
                    asset: r.asset("asset")?.into(),
                    amount: r.dec("income")?,
                    symbol: symbol.map(Name::from),
                }
            } else {
                return Ok(());
            };
            page.push(ids::income(&acc, &ty, &r.text("tranId")?), time, acc.clone(), kind);
            Ok(())
        })
    }

    /// Money moved into (positive) or out of (negative) an account that only this side's history shows: a
    /// `deposit` or a `withdrawal`, for the transfer matching to pair (docs/accounting.md §8).
    fn capital_move(asset: String, amount: Decimal) -> EventKind {
        if amount.is_sign_negative() {
            EventKind::Withdrawal { asset: asset.into(), amount: -amount, fee: None, txid: None }
        } else {
            EventKind::Deposit { asset: asset.into(), amount, txid: None }
        }
    }

    /// The income line of a USDⓈ-M income type (docs/venues.md §1.8): `None` for `TRANSFER`, whose movements come
    /// with both sides from `/sapi/v1/asset/transfer`; `other` for any type but the three of a position.
    fn usdm_income_type(ty: &str) -> Option<IncomeType> {
        Some(match ty {
            "TRANSFER" => return None,
            "REALIZED_PNL" => IncomeType::RealizedPnl,
            "FUNDING_FEE" => IncomeType::Funding,
            "COMMISSION" => IncomeType::Commission,
            _ => IncomeType::Other,
        })
    }

    /// `GET /fapi/v1/userTrades`: USDⓈ-M fills, for the record (`:futures_trade:{symbol}:{id}`; Binance trade ids
    /// are unique per symbol). Their realized PnL and commission are the income rows of the same fills.
    pub fn user_trades(data: &Value, label: &str) -> Result<Page, VenueError> {
        const E: &str = BINANCE_FUTURES_TRADES.path;
        let acc = account(V, label, "usdm");
        Page::default().each(V, E, data, |page, r| {
            let symbol = r.text("symbol")?;
            let id = r.int("id")?;
            let time = page.noted(r.ms("time")?);
            page.note_id(id);
            let fees = vec![Money::new(r.asset("commissionAsset")?, r.dec("commission")?)];
            let pnl = Some(r.opt_dec("realizedPnl")?);
            let (price, qty) = (r.dec("price")?, r.dec("qty")?);
            let kind =
                futures_trade(r, symbol.clone(), &r.text("side")?, price, qty, fees, pnl, r.opt_text("orderId"))?;
            page.push(ids::symbol_row(&acc, "futures_trade", &symbol, &id.to_string()), time, acc.clone(), kind);
            Ok(())
        })
    }

    /// The open positions' sizes in an account summary's `positions` (USDⓈ-M's `/fapi/v3/account`, COIN-M's
    /// `/dapi/v1/account`), whose notional field is named `notional_field`; rows of size 0 are left out.
    fn position_sizes(
        endpoint: &'static str,
        data: &Value,
        notional_field: &str,
    ) -> Result<Vec<PositionSize>, VenueError> {
        collect_rows(V, endpoint, field(V, endpoint, data, "positions")?, |r| {
            let size = r.dec("positionAmt")?;
            if size.is_zero() {
                return Ok(None);
            }
            Ok(Some(PositionSize {
                symbol: r.text("symbol")?,
                side: r.opt_text("positionSide").unwrap_or_else(|| "BOTH".into()).to_ascii_lowercase(),
                size,
                update_time: r.ms("updateTime")?,
                unrealized_pnl: r.opt_dec("unrealizedProfit")?,
                notional: r.opt_dec(notional_field)?,
            }))
        })
    }

    /// `GET /fapi/v3/account`: USDⓈ-M wallet balances (`assets[].walletBalance`, unrealized PnL excluded) and the
    /// sizes of the open positions. One request (weight 5) where `/fapi/v2/balance` and `/fapi/v3/positionRisk`
    /// take two; it leaves out the entry and mark prices, which `positionRisk` gives.
    pub fn futures_account(data: &Value, label: &str, out: &mut Balances) -> Result<Vec<PositionSize>, VenueError> {
        const E: &str = BINANCE_FUTURES_ACCOUNT.path;
        let acc = account(V, label, "usdm");
        read_balances(out, &acc, V, E, field(V, E, data, "assets")?, "asset", |r| r.dec("walletBalance"))?;
        position_sizes(E, data, "notional")
    }

    /// `GET /dapi/v1/income`: COIN-M realized PnL, funding and commission, in the margin coin (docs/venues.md §1.14),
    /// in the `coinm` wallet. A positive amount in a coin is an acquisition of it, a negative one a disposal
    /// (docs/accounting.md §7). `TRANSFER` rows are skipped as for USDⓈ-M (the universal transfers carry both sides);
    /// the other documented types are `other` income; a type the page does not list is kept as `other` income with a
    /// warning naming it.
    pub fn coinm_income(data: &Value, label: &str) -> Result<Page, VenueError> {
        const E: &str = BINANCE_COINM_INCOME.path;
        let mut page = Page::default();
        let acc = account(V, label, "coinm");
        for i in array(V, E, data)? {
            let r = Row::new(V, E, i)?;
            page.rows += 1;
            let time = r.ms("time")?;
            page.note(time);
            let ty = r.text("incomeType")?;
            let tran_id = r.text("tranId")?;
            let income_type = match ty.as_str() {
                "TRANSFER" => continue,
                "REALIZED_PNL" => IncomeType::RealizedPnl,
                "FUNDING_FEE" => IncomeType::Funding,
                "COMMISSION" => IncomeType::Commission,
                "WELCOME_BONUS" | "INSURANCE_CLEAR" | "DELIVERED_SETTELMENT" => IncomeType::Other,
                _ => {
                    page.warnings.push(format!("{E} row {tran_id}: unknown income type {ty:?}, kept as other income"));
                    IncomeType::Other
                }
            };
            let symbol = r.opt_text("symbol");
            let kind = EventKind::Income {
                income_type,
                asset: r.asset("asset")?.into(),
                amount: r.dec("income")?,
                symbol: symbol.map(Name::from),
            };
            page.push(ids::income(&acc, &ty, &tran_id), time, acc.clone(), kind);
        }
        Ok(page)
    }

    /// `GET /dapi/v1/userTrades` (by `symbol` or `pair`): COIN-M fills, for the record (`:futures_trade:{symbol}:{id}`
    /// in `coinm`); their realized PnL and commission are the income rows of the same fills. `qty` counts contracts;
    /// the event's quantity is `baseQty`, the coin's worth of them, so that price × quantity is the USD notional as
    /// for USDⓈ-M (docs/venues.md §1.14).
    pub fn coinm_trades(data: &Value, label: &str) -> Result<Page, VenueError> {
        const E: &str = BINANCE_COINM_TRADES.path;
        let mut page = Page::default();
        let acc = account(V, label, "coinm");
        for t in array(V, E, data)? {
            let r = Row::new(V, E, t)?;
            page.rows += 1;
            let symbol = r.text("symbol")?;
            let id = r.int("id")?;
            let time = r.ms("time")?;
            page.note_id(id);
            page.note(time);
            let fees = vec![Money::new(r.asset("commissionAsset")?, r.dec("commission")?)];
            let pnl = Some(r.opt_dec("realizedPnl")?);
            let (price, qty) = (r.dec("price")?, r.dec("baseQty")?);
            let kind =
                futures_trade(&r, symbol.clone(), &r.text("side")?, price, qty, fees, pnl, r.opt_text("orderId"))?;
            page.push(ids::symbol_row(&acc, "futures_trade", &symbol, &id.to_string()), time, acc.clone(), kind);
        }
        Ok(page)
    }

    /// `GET /dapi/v1/account`: the COIN-M wallet's balances (`assets[].walletBalance`, unrealized PnL excluded, in
    /// the coin) and the sizes of its open positions (in contracts; their pairs, `BTCUSD` for `BTCUSD_PERP`, are the
    /// fills the sync reads, and a changed size makes it read `/dapi/v1/positionRisk` again, docs/sync.md).
    pub fn coinm_account(data: &Value, label: &str, out: &mut Balances) -> Result<Vec<PositionSize>, VenueError> {
        const E: &str = BINANCE_COINM_ACCOUNT.path;
        let acc = account(V, label, "coinm").0;
        for b in array(V, E, field(V, E, data, "assets")?)? {
            let r = Row::new(V, E, b)?;
            add_balance(out, &acc, r.asset("asset")?, r.dec("walletBalance")?);
        }
        position_sizes(E, data, "notionalValue")
    }

    /// `GET /dapi/v1/exchangeInfo`: every COIN-M contract's `contractSize` and `marginAsset` (docs/venues.md §1.14).
    /// A size that is not positive is an error: a position of it could not be valued.
    pub fn coinm_exchange_info(data: &Value) -> Result<CoinmContracts, VenueError> {
        const E: &str = BINANCE_COINM_EXCHANGE_INFO.path;
        let mut out = CoinmContracts::new();
        for r in rows(V, E, field(V, E, data, "symbols")?)? {
            let r = r?;
            let symbol = r.text("symbol")?;
            let contract_size = r.dec("contractSize")?;
            if contract_size <= Decimal::ZERO {
                return Err(r.err(format!("symbol {symbol}: contractSize {contract_size} is not positive")));
            }
            out.insert(symbol, CoinmContract { contract_size, margin_asset: r.asset("marginAsset")? });
        }
        Ok(out)
    }

    /// `GET /dapi/v1/positionRisk`: open COIN-M positions (non-zero rows; hedge mode's `LONG` and `SHORT` rows each
    /// their own), their mark price read at venue time `time`, in `binance/{label}/coinm`, as inverse contracts with
    /// the contract size and margin coin of `contracts` (exchangeInfo). A symbol `contracts` does not list is an
    /// error (a size is never guessed), and so is a row whose entry or mark price is not positive (it could not be
    /// valued, docs/ledger-format.md).
    pub fn coinm_positions(
        data: &Value,
        label: &str,
        time: Timestamp,
        contracts: &CoinmContracts,
    ) -> Result<Vec<Position>, VenueError> {
        const E: &str = BINANCE_COINM_POSITIONS.path;
        collect_rows(V, E, data, |r| {
            let amount = r.dec("positionAmt")?;
            if amount.is_zero() {
                return Ok(None);
            }
            let symbol = r.text("symbol")?;
            let c = contracts.get(&symbol).ok_or_else(|| {
                r.err(format!(
                    "symbol {symbol} is not in {}: its contract size is unknown",
                    BINANCE_COINM_EXCHANGE_INFO.path
                ))
            })?;
            let p = Position {
                time: Some(time),
                account: account(V, label, "coinm"),
                symbol,
                margin_asset: c.margin_asset.clone(),
                amount,
                entry_price: r.dec("entryPrice")?,
                mark_price: r.dec("markPrice")?,
                contract_size: Some(c.contract_size),
            };
            p.check().map_err(|e| r.err(e.0))?;
            Ok(Some(p))
        })
    }

    /// The pair of a COIN-M contract symbol: `BTCUSD` for `BTCUSD_PERP` and `BTCUSD_200925`.
    pub fn coinm_pair(symbol: &str) -> String {
        symbol.split('_').next().unwrap_or(symbol).to_string()
    }

    /// `GET /sapi/v1/asset/assetDividend`: airdrops, distributions, launchpool and other credits to spot, each
    /// `other` income at market value (docs/venues.md §1.13; docs/accounting.md §8b). `enInfo` is free text, kept in
    /// the warnings only when it names a token swap or migration, whose other side this endpoint does not show.
    pub fn dividends(data: &Value, label: &str) -> Result<Page, VenueError> {
        const E: &str = BINANCE_ASSET_DIVIDENDS.path;
        let (mut page, rows) = earn_page(E, data)?;
        let acc = account(V, label, "spot");
        for r in rows {
            let r = r?;
            let time = page.noted(r.ms("divTime")?);
            let id = r.text("id")?;
            let info = r.opt_text("enInfo").unwrap_or_default();
            let lower = info.to_ascii_lowercase();
            if lower.contains("swap") || lower.contains("migration") || lower.contains("conversion") {
                page.warnings.push(format!(
                    "{E} row {id}: {info:?} may be a token migration: its new asset is booked as income, the old \
                     asset's removal is not in this endpoint"
                ));
            }
            let kind = EventKind::Income {
                income_type: IncomeType::Other,
                asset: r.asset("asset")?.into(),
                amount: r.dec("amount")?,
                symbol: None,
            };
            page.push(ids::row(&acc, "dividend", &id), time, acc.clone(), kind);
        }
        Ok(page)
    }

    /// Simple Earn's `{"rows": [...], "total": n}` (docs/venues.md §1.12): the page with its total, and the rows
    /// (none when `rows` is absent or null, as on an empty page). `total` is a number on some pages, a string on
    /// others.
    fn earn_page<'a>(
        e: &'static str,
        data: &'a Value,
    ) -> Result<(Page, impl Iterator<Item = Result<Row<'a>, VenueError>> + use<'a>), VenueError> {
        let total = match data.get("total") {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(t)) => t.parse().ok(),
            _ => None,
        };
        let mut page = Page { total, ..Page::default() };
        let rows = match data.get("rows") {
            None | Some(Value::Null) => None,
            Some(rows) => Some(page.read(V, e, rows)?),
        };
        Ok((page, rows.into_iter().flatten()))
    }

    /// The wallet a Simple Earn row names as its source or destination; an unknown one becomes a wallet of its own
    /// name, with a warning (the row is kept, and the balance check names the wallet).
    fn earn_wallet(page: &mut Page, e: &str, id: &str, raw: &str) -> String {
        match raw {
            "SPOT" => "spot".into(),
            "FUNDING" => "funding".into(),
            _ => {
                let wallet = raw.to_ascii_lowercase();
                page.warnings.push(format!("{e} row {id}: unknown wallet {raw:?}, kept as the wallet {wallet:?}"));
                wallet
            }
        }
    }

    /// A subscription (flexible or locked): a transfer from the source wallet(s) into `earn`. `internal` types move
    /// within the Earn wallet (locked to flexible, a restake) and give no event; `known` types are plain
    /// subscriptions; any other type is kept as one, with a warning naming it.
    fn earn_subscriptions(
        data: &Value,
        label: &str,
        e: &'static str,
        product: &str,
        known: &[&str],
        internal: &[&str],
    ) -> Result<Page, VenueError> {
        let (mut page, rows) = earn_page(e, data)?;
        let earn = account(V, label, "earn");
        for r in rows {
            let r = r?;
            let time = page.noted(r.ms("time")?);
            if r.text("status")? != "SUCCESS" {
                continue;
            }
            let id = r.text("purchaseId")?;
            let ty = r.text("type")?;
            if internal.contains(&ty.as_str()) {
                continue;
            }
            if !known.contains(&ty.as_str()) {
                page.warnings.push(format!("{e} row {id}: unknown subscription type {ty:?}, kept as a subscription"));
            }
            let asset = r.asset("asset")?;
            let source = r.text("sourceAccount")?;
            let legs = if source == "SPOTANDFUNDING" {
                vec![("spot".to_string(), r.dec("amtFromSpot")?), ("funding".to_string(), r.dec("amtFromFunding")?)]
            } else {
                vec![(earn_wallet(&mut page, e, &id, &source), r.dec("amount")?)]
            };
            for (wallet, amount) in legs {
                if amount.is_zero() {
                    continue;
                }
                let from = account(V, label, &wallet);
                let kind = EventKind::Transfer {
                    from_account: from.clone(),
                    to_account: earn.clone(),
                    asset: asset.clone().into(),
                    amount,
                };
                page.push(ids::earn(&from, "earn_subscription", product, &id), time, from, kind);
            }
        }
        Ok(page)
    }

    /// `GET /sapi/v1/simple-earn/flexible/history/subscriptionRecord`: successful subscriptions, each a transfer
    /// from spot or funding (or both) into `earn`; `CONVERT` and `TRANSFER` (locked to flexible) stay in `earn`.
    pub fn earn_flexible_subscriptions(data: &Value, label: &str) -> Result<Page, VenueError> {
        let known = ["AUTO", "NORMAL", "LOAN", "AI"];
        earn_subscriptions(
            data,
            label,
            BINANCE_EARN_FLEXIBLE_SUBSCRIPTIONS.path,
            "flexible",
            &known,
            &["CONVERT", "TRANSFER"],
        )
    }

    /// `GET /sapi/v1/simple-earn/locked/history/subscriptionRecord`: successful subscriptions into `earn`; a
    /// `RESTAKE` stays in `earn`.
    pub fn earn_locked_subscriptions(data: &Value, label: &str) -> Result<Page, VenueError> {
        let known = ["AUTO", "NORMAL", "ACTIVITY"];
        earn_subscriptions(data, label, BINANCE_EARN_LOCKED_SUBSCRIPTIONS.path, "locked", &known, &["RESTAKE"])
    }

    /// `GET /sapi/v1/simple-earn/flexible/history/redemptionRecord`: paid redemptions, each a transfer from `earn`
    /// to the destination wallet of the amount paid.
    pub fn earn_flexible_redemptions(data: &Value, label: &str) -> Result<Page, VenueError> {
        const E: &str = BINANCE_EARN_FLEXIBLE_REDEMPTIONS.path;
        let (mut page, rows) = earn_page(E, data)?;
        let earn = account(V, label, "earn");
        for r in rows {
            let r = r?;
            let time = page.noted(r.ms("time")?);
            if r.text("status")? != "PAID" {
                continue;
            }
            let id = r.text("redeemId")?;
            let to = account(V, label, &earn_wallet(&mut page, E, &id, &r.text("destAccount")?));
            let kind = EventKind::Transfer {
                from_account: earn.clone(),
                to_account: to,
                asset: r.asset("asset")?.into(),
                amount: r.dec("amount")?,
            };
            page.push(ids::earn(&earn, "earn_redemption", "flexible", &id), time, earn.clone(), kind);
        }
        Ok(page)
    }

    /// `GET /sapi/v1/simple-earn/locked/history/redemptionRecord`: paid redemptions. The principal
    /// (`originalAmount`) moves from `earn` to spot (`MATURE`, `AHEAD`) or stays in `earn` (`NEW_TRANSFERRED`, to a
    /// flexible product); what the redemption pays beyond it (`amount - originalAmount`: interest no reward row
    /// reported, or negative, what an early redemption forfeits) is interest income where the money arrives
    /// (docs/accounting.md, "Earn"). An unknown type is kept as a redemption to spot, with a warning.
    pub fn earn_locked_redemptions(data: &Value, label: &str) -> Result<Page, VenueError> {
        const E: &str = BINANCE_EARN_LOCKED_REDEMPTIONS.path;
        let (mut page, rows) = earn_page(E, data)?;
        let earn = account(V, label, "earn");
        for r in rows {
            let r = r?;
            let time = page.noted(r.ms("time")?);
            if r.text("status")? != "PAID" {
                continue;
            }
            let id = r.text("redeemId")?;
            let ty = r.text("type")?;
            let asset = r.asset("asset")?;
            let (paid, principal) = (r.dec("amount")?, r.dec("originalAmount")?);
            let to = match ty.as_str() {
                "MATURE" | "AHEAD" => account(V, label, "spot"),
                "NEW_TRANSFERRED" => earn.clone(),
                _ => {
                    page.warnings.push(format!("{E} row {id}: unknown redemption type {ty:?}, kept as one to spot"));
                    account(V, label, "spot")
                }
            };
            if to != earn && !principal.is_zero() {
                let kind = EventKind::Transfer {
                    from_account: earn.clone(),
                    to_account: to.clone(),
                    asset: asset.clone().into(),
                    amount: principal,
                };
                page.push(ids::earn(&earn, "earn_redemption", "locked", &id), time, earn.clone(), kind);
            }
            let interest = paid - principal;
            if !interest.is_zero() {
                let kind = EventKind::Income {
                    income_type: IncomeType::Interest,
                    asset: asset.into(),
                    amount: interest,
                    symbol: None,
                };
                page.push(ids::earn(&to, "earn_interest", "locked", &id), time, to, kind);
            }
        }
        Ok(page)
    }

    /// Simple Earn rewards: interest income, in `wallet` (flexible rewards compound into the position: `earn`;
    /// locked rewards are paid to spot). Rows have no id: the id is the product or position, the type, the time and
    /// the asset. An unknown type is kept as other income, with a warning.
    #[allow(clippy::too_many_arguments)]
    fn earn_rewards(
        data: &Value,
        label: &str,
        e: &'static str,
        product: &str,
        wallet: &str,
        (holder, amount_field): (&str, &str),
        known: &[&str],
    ) -> Result<Page, VenueError> {
        let (mut page, rows) = earn_page(e, data)?;
        let acc = account(V, label, wallet);
        for r in rows {
            let r = r?;
            let time = page.noted(r.ms("time")?);
            let ty = r.text("type")?;
            let asset = r.asset("asset")?;
            let income_type = if known.contains(&ty.as_str()) {
                IncomeType::Interest
            } else {
                page.warnings.push(format!("{e} row at {time}: unknown reward type {ty:?}, kept as other income"));
                IncomeType::Other
            };
            let row_id = format!("{}:{}:{time}:{asset}", r.text(holder)?, ty.replace(' ', "_"));
            let kind =
                EventKind::Income { income_type, asset: asset.into(), amount: r.dec(amount_field)?, symbol: None };
            page.push(ids::earn(&acc, "earn_reward", product, &row_id), time, acc.clone(), kind);
        }
        Ok(page)
    }

    /// `GET /sapi/v1/simple-earn/flexible/history/rewardsRecord` (`type=ALL`): rewards credited to the position.
    pub fn earn_flexible_rewards(data: &Value, label: &str) -> Result<Page, VenueError> {
        let e = BINANCE_EARN_FLEXIBLE_REWARDS.path;
        earn_rewards(data, label, e, "flexible", "earn", ("projectId", "rewards"), &["BONUS", "REALTIME", "REWARDS"])
    }

    /// `GET /sapi/v1/simple-earn/locked/history/rewardsRecord`: rewards paid to the spot wallet.
    pub fn earn_locked_rewards(data: &Value, label: &str) -> Result<Page, VenueError> {
        let e = BINANCE_EARN_LOCKED_REWARDS.path;
        earn_rewards(data, label, e, "locked", "spot", ("positionId", "amount"), &["Locked Rewards", "Boost Rewards"])
    }

    /// `GET /sapi/v1/simple-earn/flexible/position` or `.../locked/position`: the Earn wallet's balances
    /// (flexible `totalAmount`, locked `amount`, both in `earn`). Returns the rows of this page and the venue's
    /// total, for paging (`current`, `size`).
    pub fn earn_positions(
        data: &Value,
        label: &str,
        endpoint: &Endpoint,
        out: &mut Balances,
    ) -> Result<(usize, Option<u64>), VenueError> {
        let e = endpoint.path;
        let field = if *endpoint == BINANCE_EARN_FLEXIBLE_POSITION { "totalAmount" } else { "amount" };
        let (page, rows) = earn_page(e, data)?;
        let acc = account(V, label, "earn").0;
        for r in rows {
            let r = r?;
            add_balance(out, &acc, r.asset("asset")?, r.dec(field)?);
        }
        Ok((page.rows, page.total))
    }

    /// The symbols that appear in income rows (futures symbol discovery).
    pub fn income_symbols(data: &Value) -> Vec<String> {
        data.as_array()
            .map(|rows| {
                rows.iter()
                    .filter_map(|r| r.get("symbol")?.as_str().filter(|s| !s.is_empty()))
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Bitget response parsers (classic v2 and unified v3); `data` is the envelope's payload.
pub mod bitget {
    use super::*;
    use catalogue::{
        BITGET_BGB_CONVERTS, BITGET_CONVERTS, BITGET_DEPOSITS, BITGET_FUTURES_ACCOUNTS, BITGET_FUTURES_BILLS,
        BITGET_FUTURES_FILLS, BITGET_POSITIONS, BITGET_SPOT_ASSETS, BITGET_SPOT_FILLS, BITGET_TRANSFERS,
        BITGET_UNIFIED_ASSETS, BITGET_UNIFIED_CONVERTS, BITGET_UNIFIED_DEPOSITS, BITGET_UNIFIED_FILLS,
        BITGET_UNIFIED_FUNDING_ASSETS, BITGET_UNIFIED_WITHDRAWALS, BITGET_WITHDRAWALS,
    };

    const V: Venue = Venue::Bitget;

    mod copy;
    pub use copy::{follower_orders, profit_shares, trader_orders};
    mod earn;
    pub use earn::{SAVINGS_PERIODS, savings_balances, savings_records};
    mod loan;
    pub use loan::{LOAN_WALLET, loan_balances, loan_history, loan_orders, loan_repays};
    mod sharkfin;
    pub use sharkfin::{SHARKFIN_TYPES, SHARKFIN_WALLET, sharkfin_balances, sharkfin_records};
    mod margin;
    pub use margin::{
        FLOW_COVERED, MARGIN_ACCOUNT_TYPE, MARGIN_WALLET, cross_balances, cross_fills, cross_finance_flow,
        cross_interest,
    };
    mod isolated;
    pub use isolated::{
        ISOLATED_ACCOUNT_TYPE, ISOLATED_WALLET_PREFIX, isolated_balances, isolated_fills, isolated_finance_flow,
        isolated_interest, isolated_pair_of, isolated_symbol, isolated_wallet,
    };
    mod unified;
    pub use unified::{UNIFIED_CATEGORIES, UnifiedRecord, unified_financial_records, unified_record};
    mod tax;
    pub use tax::{
        ISOLATED_TALLY_WALLET, TaxCheck, TaxRecords, TaxUse, event_group, loan_units, tally_covers, tax_checks,
        tax_records,
    };

    /// `GET /api/v2/spot/account/assets`: spot balances (available + frozen + locked).
    pub fn spot_balances(data: &Value, label: &str, out: &mut Balances) -> Result<(), VenueError> {
        const E: &str = BITGET_SPOT_ASSETS.path;
        let acc = account(V, label, "spot");
        read_balances(out, &acc, V, E, data, "coin", |r| {
            Ok(r.dec("available")? + r.opt_dec("frozen")? + r.opt_dec("locked")?)
        })
    }

    /// `GET /api/v2/mix/account/accounts`: USDT-M wallet balance (equity minus unrealized PnL).
    pub fn futures_balances(data: &Value, label: &str, out: &mut Balances) -> Result<(), VenueError> {
        futures_balances_in(data, label, "futures", out)
    }

    /// The futures product types this client reads, each its own wallet (docs/venues.md §2.6): `productType` ->
    /// the wallet of the ledger account id (`bitget/{label}/{wallet}`). USDT-M keeps `futures`, the wallet it had
    /// before the others were read, so existing ledgers keep their ids.
    pub const FUTURES_PRODUCTS: [(&str, &str); 3] =
        [("USDT-FUTURES", "futures"), ("COIN-FUTURES", "coinm"), ("USDC-FUTURES", "usdcm")];

    /// The wallet of a futures `productType` ([`FUTURES_PRODUCTS`]), `None` for one this client does not read.
    pub fn futures_wallet(product_type: &str) -> Option<&'static str> {
        FUTURES_PRODUCTS.iter().find(|(p, _)| p.eq_ignore_ascii_case(product_type)).map(|(_, w)| *w)
    }

    /// `GET /api/v2/mix/account/accounts` of one product type: its wallet's balance (equity minus unrealized PnL)
    /// per margin coin.
    pub fn futures_balances_in(data: &Value, label: &str, wallet: &str, out: &mut Balances) -> Result<(), VenueError> {
        const E: &str = BITGET_FUTURES_ACCOUNTS.path;
        let acc = account(V, label, wallet);
        read_balances(out, &acc, V, E, data, "marginCoin", |r| Ok(r.dec("accountEquity")? - r.opt_dec("unrealizedPL")?))
    }

    /// `GET /api/v3/account/assets`: unified balances net of what is owed, `balance − debt` (a coin borrowed on
    /// margin is in `balance` and owed in `debt`, interest charged too: UNCONFIRMED, docs/venues.md §2.8, §5).
    pub fn unified_balances(data: &Value, label: &str, out: &mut Balances) -> Result<(), VenueError> {
        const E: &str = BITGET_UNIFIED_ASSETS.path;
        let acc = account(V, label, "unified");
        read_balances(out, &acc, V, E, field(V, E, data, "assets")?, "coin", |r| {
            Ok(r.dec("balance")? - r.opt_dec("debt")?)
        })
    }

    /// `GET /api/v3/account/funding-assets`: the unified account's funding wallet.
    pub fn unified_funding_balances(data: &Value, label: &str, out: &mut Balances) -> Result<(), VenueError> {
        const E: &str = BITGET_UNIFIED_FUNDING_ASSETS.path;
        let acc = account(V, label, "funding");
        read_balances(out, &acc, V, E, data, "coin", |r| {
            let balance = r.opt_dec("balance")?;
            if balance.is_zero() { Ok(r.dec("available")? + r.opt_dec("frozen")?) } else { Ok(balance) }
        })
    }

    /// `GET /api/v2/mix/position/all-position`: open positions, their mark price read at venue time `time`.
    pub fn positions(data: &Value, label: &str, time: Timestamp) -> Result<Vec<Position>, VenueError> {
        positions_in(data, label, "futures", time)
    }

    /// `GET /api/v2/mix/position/all-position` of one product type, its positions in `wallet`. USDT-M and USDC-M
    /// positions are linear (`total × (mark − entry)` in the margin coin). A COIN-M position's PnL is in its coin:
    /// its `total` counts coins, each worth `openPriceAvg` at entry, so it is valued as an inverse contract of that
    /// size, `total × (mark − entry) / mark` coins (the page's own sample: 0.5 BTC, 60,000 to 61,000, `unrealizedPL`
    /// 0.0082; docs/venues.md §2.12).
    pub fn positions_in(data: &Value, label: &str, wallet: &str, time: Timestamp) -> Result<Vec<Position>, VenueError> {
        const E: &str = BITGET_POSITIONS.path;
        collect_rows(V, E, data, |r| {
            let side = r.text("holdSide")?;
            let total = r.dec("total")?;
            if total.is_zero() {
                return Ok(None);
            }
            let entry_price = r.dec("openPriceAvg")?;
            let contract_size = (wallet == "coinm").then_some(entry_price);
            if contract_size.is_some() && entry_price <= Decimal::ZERO {
                return Err(r.err(format!("a COIN-M position's openPriceAvg {entry_price} is not positive")));
            }
            Ok(Some(Position {
                time: Some(time),
                account: account(V, label, wallet),
                symbol: r.text("symbol")?,
                margin_asset: r.asset("marginCoin")?,
                amount: if side == "short" { -total } else { total },
                entry_price,
                mark_price: r.opt_dec("markPrice")?,
                contract_size,
            }))
        })
    }

    fn fee_total(r: &Row<'_>, detail: &Value, fee_key: &str) -> Result<Vec<Money>, VenueError> {
        let one = |d: &Value| -> Result<Money, VenueError> {
            let f = Row::new(r.venue, r.endpoint, d)?;
            Ok(Money::new(f.asset("feeCoin")?, f.dec(fee_key)?.abs()))
        };
        match detail {
            Value::Null => Ok(vec![]),
            Value::Object(_) => Ok(vec![one(detail)?]),
            Value::Array(a) => a.iter().map(one).collect(),
            _ => Err(r.err("feeDetail is neither an object nor an array".into())),
        }
    }

    /// `GET /api/v2/spot/trade/fills`: spot fills.
    pub fn spot_fills(data: &Value, label: &str, book: &SymbolBook) -> Result<Page, VenueError> {
        const E: &str = BITGET_SPOT_FILLS.path;
        let acc = account(V, label, "spot");
        Page::default().each(V, E, data, |page, r| {
            let id = r.text("tradeId")?;
            let time = page.noted(r.ms("cTime")?);
            page.note_text_id(&id);
            let symbol = r.text("symbol")?;
            let symbol_id = symbol.clone();
            let (base, quote) = book.split(V, &symbol).ok_or_else(|| r.err(format!("cannot split symbol {symbol}")))?;
            let fees = fee_total(r, r.obj.get("feeDetail").unwrap_or(&Value::Null), "totalFee")?;
            let (size, amount) = (r.dec("size")?, r.dec("amount")?);
            let kind = match r.text("side")?.as_str() {
                "buy" => trade((quote, amount), (base, size), fees, Some(symbol)),
                "sell" => trade((base, size), (quote, amount), fees, Some(symbol)),
                other => return Err(r.err(format!("side {other:?} is neither buy nor sell"))),
            };
            page.push(ids::symbol_row(&acc, "trade", &symbol_id, &id), time, acc.clone(), kind);
            Ok(())
        })
    }

    fn deposit_like(
        data: &Value,
        label: &str,
        wallet: &str,
        endpoint: &'static str,
        withdrawal: bool,
    ) -> Result<Page, VenueError> {
        let acc = account(V, label, wallet);
        Page::default().each(V, endpoint, data, |page, r| {
            let id = r.text("orderId")?;
            let time = page.noted(r.ms(if r.obj.contains_key("cTime") { "cTime" } else { "createdTime" })?);
            page.note_text_id(&id);
            if r.text("status")? != "success" {
                return Ok(());
            }
            // `tradeId` (v2) / `recordId` (v3): the transaction hash on chain, the order id for internal moves
            let txid = r.opt_text("tradeId").or_else(|| r.opt_text("recordId"));
            let (asset, amount) = (r.asset("coin")?, r.dec("size")?.abs());
            let kind = if withdrawal {
                let fee = if r.obj.contains_key("fee") { Some(r.dec("fee")?.abs()) } else { None };
                EventKind::Withdrawal { asset: asset.into(), amount, fee, txid }
            } else {
                EventKind::Deposit { asset: asset.into(), amount, txid }
            };
            page.push(ids::row(&acc, if withdrawal { "withdrawal" } else { "deposit" }, &id), time, acc.clone(), kind);
            Ok(())
        })
    }

    /// `GET /api/v2/spot/wallet/deposit-records`: successful deposits.
    pub fn deposits(data: &Value, label: &str) -> Result<Page, VenueError> {
        deposit_like(data, label, "spot", BITGET_DEPOSITS.path, false)
    }

    /// `GET /api/v2/spot/wallet/withdrawal-records`: successful withdrawals.
    pub fn withdrawals(data: &Value, label: &str) -> Result<Page, VenueError> {
        deposit_like(data, label, "spot", BITGET_WITHDRAWALS.path, true)
    }

    /// `GET /api/v3/account/deposit-records`: unified deposits.
    pub fn unified_deposits(data: &Value, label: &str) -> Result<Page, VenueError> {
        deposit_like(data, label, "unified", BITGET_UNIFIED_DEPOSITS.path, false)
    }

    /// `GET /api/v3/account/withdrawal-records`: unified withdrawals.
    pub fn unified_withdrawals(data: &Value, label: &str) -> Result<Page, VenueError> {
        deposit_like(data, label, "unified", BITGET_UNIFIED_WITHDRAWALS.path, true)
    }

    /// Bitget account types in transfer records -> wallet names.
    pub fn wallet_of(account_type: &str) -> Option<&'static str> {
        match account_type {
            "spot" => Some("spot"),
            "usdt_futures" => Some("futures"),
            "coin_futures" => Some("coinm"),
            "usdc_futures" => Some("usdcm"),
            "p2p" => Some("funding"),
            margin::MARGIN_ACCOUNT_TYPE => Some(margin::MARGIN_WALLET),
            _ => None,
        }
    }

    /// The `fromType` values this client reads.
    pub const TRANSFER_FROM_TYPES: [&str; 2] = ["spot", "usdt_futures"];

    /// The `fromType` of a transfer out of a COIN-M or USDC-M futures wallet: read for the product types the
    /// account uses (docs/sync.md, "The tick").
    pub const FUTURES_FROM_TYPES: [(&str, &str); 2] = [("coinm", "coin_futures"), ("usdcm", "usdc_futures")];

    /// `GET /api/v2/spot/account/transferRecords`: successful transfers between the user's wallets.
    pub fn transfers(data: &Value, label: &str) -> Result<Page, VenueError> {
        const E: &str = BITGET_TRANSFERS.path;
        Page::default().each(V, E, data, |page, r| {
            let id = r.text("transferId")?;
            let time = page.noted(r.ms("ts")?);
            page.note_text_id(&id);
            if r.text("status")? != "Successful" {
                return Ok(());
            }
            let (ft, tt) = (r.text("fromType")?, r.text("toType")?);
            // an isolated pair's wallet is named by the row's symbol (docs/venues.md §2.18)
            let from = isolated::transfer_wallet(r, &ft, "fromSymbol")?
                .ok_or_else(|| r.err(format!("fromType {ft} is not a wallet this client tracks")))?;
            let to = isolated::transfer_wallet(r, &tt, "toSymbol")?
                .ok_or_else(|| r.err(format!("toType {tt} is not a wallet this client tracks")))?;
            let (from, to) = (account(V, label, &from), account(V, label, &to));
            let kind = EventKind::Transfer {
                from_account: from.clone(),
                to_account: to,
                asset: r.asset("coin")?.into(),
                amount: r.dec("size")?.abs(),
            };
            page.push(ids::row(&from, "transfer", &id), time, from, kind);
            Ok(())
        })
    }

    /// `GET /api/v2/mix/account/bill`: funding (`contract_settle_fee`, id `:bill:{billId}`), and for trade bills
    /// (`open_*`, `close_*`) the fee as commission (`:bill:{billId}:fee`) and a non-zero `amount` as realized PnL
    /// (`:bill:{billId}:pnl`). Transfer bills mirror transfer records and margin moves stay inside the account, so
    /// neither is an event; any other business type is reported as `other` income so that nothing vanishes.
    pub fn futures_bills(data: &Value, label: &str) -> Result<Page, VenueError> {
        futures_bills_in(data, label, "futures")
    }

    /// [`futures_bills`] of one product type, booked to its `wallet` ([`FUTURES_PRODUCTS`]); a COIN-M bill's
    /// amounts are in its coin (`coin`), as the venue writes them.
    pub fn futures_bills_in(data: &Value, label: &str, wallet: &str) -> Result<Page, VenueError> {
        const E: &str = BITGET_FUTURES_BILLS.path;
        const NOT_INCOME: [&str; 5] =
            ["trans_from_exchange", "trans_to_exchange", "append_margin", "reduce_margin", "auto_append_margin"];
        let mut page = Page::default();
        let acc = account(V, label, wallet);
        if let Some(end) = data.get("endId").and_then(Value::as_str).filter(|s| !s.is_empty()) {
            page.cursor = Some(end.to_string());
        }
        page.each(V, E, field(V, E, data, "bills")?, |page, r| {
            let id = r.text("billId")?;
            let time = page.noted(r.ms("cTime")?);
            page.note_text_id(&id);
            let ty = r.text("businessType")?;
            if NOT_INCOME.contains(&ty.as_str()) {
                return Ok(());
            }
            let (asset, symbol) = (r.asset("coin")?, r.opt_text("symbol"));
            let (amount, fee) = (r.dec("amount")?, r.opt_dec("fee")?);
            let income = |income_type, amount| EventKind::Income {
                income_type,
                asset: asset.clone().into(),
                amount,
                symbol: symbol.clone().map(Name::from),
            };
            let is_trade = ["open_", "close_", "force_", "burst_", "delivery_"].iter().any(|p| ty.starts_with(p))
                || ty == "buy"
                || ty == "sell";
            if ty == "contract_settle_fee" {
                page.push(ids::row(&acc, "bill", &id), time, acc.clone(), income(IncomeType::Funding, amount));
            } else if is_trade {
                page.push(
                    ids::row(&acc, "bill", &format!("{id}:fee")),
                    time,
                    acc.clone(),
                    income(IncomeType::Commission, fee),
                );
                if !amount.is_zero() {
                    let kind = income(IncomeType::RealizedPnl, amount);
                    page.push(ids::row(&acc, "bill", &format!("{id}:pnl")), time, acc.clone(), kind);
                }
            } else if !amount.is_zero() || !fee.is_zero() {
                page.push(ids::row(&acc, "bill", &id), time, acc.clone(), income(IncomeType::Other, amount + fee));
            }
            Ok(())
        })
    }

    /// `GET /api/v2/mix/order/fill-history`: USDT-M fills, for the record (`:futures_trade:{symbol}:{tradeId}`);
    /// their realized PnL and fees are the futures bills. `feeDetail[].totalFee` is negative when paid.
    pub fn futures_fills(data: &Value, label: &str) -> Result<Page, VenueError> {
        futures_fills_in(data, label, "futures")
    }

    /// [`futures_fills`] of one product type, for the record in its `wallet` ([`FUTURES_PRODUCTS`]).
    pub fn futures_fills_in(data: &Value, label: &str, wallet: &str) -> Result<Page, VenueError> {
        const E: &str = BITGET_FUTURES_FILLS.path;
        let mut page = Page::default();
        let acc = account(V, label, wallet);
        if let Some(end) = data.get("endId").and_then(Value::as_str).filter(|s| !s.is_empty()) {
            page.cursor = Some(end.to_string());
        }
        let rows = match field(V, E, data, "fillList")? {
            Value::Null => return Ok(page),
            rows => page.read(V, E, rows)?,
        };
        for r in rows {
            let r = r?;
            let id = r.text("tradeId")?;
            let time = page.noted(r.ms("cTime")?);
            page.note_text_id(&id);
            let symbol = r.text("symbol")?;
            let mut fees = Vec::new();
            match r.obj.get("feeDetail") {
                None | Some(Value::Null) => {}
                Some(Value::Array(list)) => {
                    for f in list {
                        let f = Row::new(V, E, f)?;
                        fees.push(Money::new(f.asset("feeCoin")?, -f.dec("totalFee")?));
                    }
                }
                Some(_) => return Err(r.err("feeDetail is not an array".into())),
            }
            let pnl = Some(r.opt_dec("profit")?);
            let (price, qty) = (r.dec("price")?, r.dec("baseVolume")?);
            let kind =
                futures_trade(&r, symbol.clone(), &r.text("side")?, price, qty, fees, pnl, r.opt_text("orderId"))?;
            page.push(ids::symbol_row(&acc, "futures_trade", &symbol, &id), time, acc.clone(), kind);
        }
        Ok(page)
    }

    /// `GET /api/v2/convert/convert-record`: converts in the spot wallet (`:convert:{id}`). `data` is
    /// `{dataList, endId}`; `fromCoinSize` may be a JSON number (the documented example) or a string. The page does
    /// not say which coin `fee` is in; a non-zero fee is taken as charged in the received coin (UNCONFIRMED).
    pub fn converts(data: &Value, label: &str) -> Result<Page, VenueError> {
        const E: &str = BITGET_CONVERTS.path;
        let mut page = Page::default();
        let acc = account(V, label, "spot");
        page.cursor = match data.get("endId") {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let rows = match field(V, E, data, "dataList")? {
            Value::Null => return Ok(page),
            rows => page.read(V, E, rows)?,
        };
        for r in rows {
            let r = r?;
            let id = r.text("id")?;
            let time = page.noted(r.ms("ts")?);
            page.note_text_id(&id);
            let to = r.asset("toCoin")?;
            let fee = r.opt_dec("fee")?.abs();
            let fees = if fee.is_zero() { vec![] } else { vec![Money::new(to.clone(), fee)] };
            let kind = trade((r.asset("fromCoin")?, r.dec("fromCoinSize")?), (to, r.dec("toCoinSize")?), fees, None);
            page.push(ids::row(&acc, "convert", &id), time, acc.clone(), kind);
        }
        Ok(page)
    }

    /// `GET /api/v2/convert/bgb-convert-records`: small balances converted to BGB (`:bgb_convert:{orderId}`),
    /// successful ones only. `toAmount` is the gross BGB (the example's values match at the quoted prices) and
    /// `feeDetail` the charge on it. The time is `ctime` in the example and `ts` in the field table: either is read.
    pub fn bgb_converts(data: &Value, label: &str) -> Result<Page, VenueError> {
        const E: &str = BITGET_BGB_CONVERTS.path;
        let acc = account(V, label, "spot");
        Page::default().each(V, E, data, |page, r| {
            let id = r.text("orderId")?;
            let time = match (r.obj.contains_key("ctime"), r.obj.contains_key("ts")) {
                (true, _) => r.ms("ctime")?,
                (false, true) => r.ms("ts")?,
                (false, false) => return Err(r.err("missing field `ctime` (or `ts`)".into())),
            };
            let time = page.noted(time);
            page.note_text_id(&id);
            if r.text("status")? != "success" {
                return Ok(());
            }
            let fees = fee_total(r, r.obj.get("feeDetail").unwrap_or(&Value::Null), "fee")?;
            let kind = trade(
                (r.asset("fromCoin")?, r.dec("fromAmount")?),
                (r.asset("toCoin")?, r.dec("toAmount")?),
                fees,
                None,
            );
            page.push(ids::row(&acc, "bgb_convert", &id), time, acc.clone(), kind);
            Ok(())
        })
    }

    /// `GET /api/v3/account/convert-records` (one `fromCoin`/`toCoin` pair): unified converts. Rows carry no id, so
    /// the event id is built from every field the venue gives: `:convert:{fromCoin}:{toCoin}:{ts}:{fromSize}:{toSize}`
    /// (sizes normalized), the same on every sync.
    pub fn unified_converts(data: &Value, label: &str) -> Result<Page, VenueError> {
        const E: &str = BITGET_UNIFIED_CONVERTS.path;
        let mut page = Page::default();
        let acc = account(V, label, "unified");
        page.cursor = data.get("cursor").and_then(Value::as_str).filter(|s| !s.is_empty()).map(String::from);
        let rows = match field(V, E, data, "list")? {
            Value::Null => return Ok(page),
            rows => page.read(V, E, rows)?,
        };
        for r in rows {
            let r = r?;
            let time = page.noted(r.ms("ts")?);
            let (from, to) = (r.asset("fromCoin")?, r.asset("toCoin")?);
            let (fs, ts) = (r.dec("fromCoinSize")?, r.dec("toCoinSize")?);
            let id = format!("{from}:{to}:{time}:{}:{}", fs.normalize(), ts.normalize());
            let kind = trade((from, fs), (to, ts), vec![], None);
            page.push(ids::row(&acc, "convert", &id), time, acc.clone(), kind);
        }
        Ok(page)
    }

    /// `GET /api/v3/trade/fills`: unified spot and margin fills become trades (`:trade:{symbol}:{execId}`); futures fills
    /// give their fee as commission (`:fill:{execId}:fee`, the venue shows fees positive) and a non-zero `execPnl`
    /// as realized PnL (`:fill:{execId}:pnl`).
    pub fn unified_fills(data: &Value, label: &str, book: &SymbolBook) -> Result<Page, VenueError> {
        const E: &str = BITGET_UNIFIED_FILLS.path;
        let mut page = Page::default();
        let acc = account(V, label, "unified");
        page.cursor = data.get("cursor").and_then(Value::as_str).filter(|s| !s.is_empty()).map(String::from);
        page.each(V, E, field(V, E, data, "list")?, |page, r| {
            let id = r.text("execId")?;
            let time = page.noted(r.ms("createdTime")?);
            page.note_text_id(&id);
            let symbol = r.text("symbol")?;
            let fees = fee_total(r, r.obj.get("feeDetail").unwrap_or(&Value::Null), "fee")?;
            let category = r.opt_text("category").unwrap_or_else(|| "SPOT".into()).to_ascii_uppercase();
            // a margin fill is a trade of the unified wallet, as a spot one: its money moves the coins
            if category != "SPOT" && category != "MARGIN" {
                let fee: Decimal = fees.iter().map(|f| f.amount).sum();
                let asset = fees.first().map(|f| f.asset.clone()).unwrap_or_else(|| "USDT".into());
                let kind = EventKind::Income {
                    income_type: IncomeType::Commission,
                    asset: asset.clone(),
                    amount: -fee,
                    symbol: Some(symbol.clone().into()),
                };
                page.push(ids::row(&acc, "fill", &format!("{id}:fee")), time, acc.clone(), kind);
                let pnl = r.opt_dec("execPnl")?;
                if !pnl.is_zero() {
                    let kind = EventKind::Income {
                        income_type: IncomeType::RealizedPnl,
                        asset,
                        amount: pnl,
                        symbol: Some(symbol.clone().into()),
                    };
                    page.push(ids::row(&acc, "fill", &format!("{id}:pnl")), time, acc.clone(), kind);
                }
                // and the fill itself, for the record (its money is the two incomes above)
                let (price, qty) = (r.dec("execPrice")?, r.dec("execQty")?);
                let side = r.text("side")?;
                let kind = futures_trade(r, symbol.clone(), &side, price, qty, fees, Some(pnl), r.opt_text("orderId"))?;
                page.push(ids::symbol_row(&acc, "futures_trade", &symbol, &id), time, acc.clone(), kind);
                return Ok(());
            }
            let (base, quote) = book.split(V, &symbol).ok_or_else(|| r.err(format!("cannot split symbol {symbol}")))?;
            let (qty, value) = (r.dec("execQty")?, r.dec("execValue")?);
            let kind = match r.text("side")?.as_str() {
                "buy" => trade((quote, value), (base, qty), fees, Some(symbol.clone())),
                "sell" => trade((base, qty), (quote, value), fees, Some(symbol.clone())),
                other => return Err(r.err(format!("side {other:?} is neither buy nor sell"))),
            };
            page.push(ids::symbol_row(&acc, "trade", &symbol, &id), time, acc.clone(), kind);
            Ok(())
        })
    }
}

/// What `each` makes of the rows of `v` (an array), leaving out the rows it gives `None` for.
fn collect_rows<T>(
    venue: Venue,
    endpoint: &'static str,
    v: &Value,
    mut each: impl FnMut(&Row<'_>) -> Result<Option<T>, VenueError>,
) -> Result<Vec<T>, VenueError> {
    let mut out = Vec::new();
    for r in rows(venue, endpoint, v)? {
        if let Some(t) = each(&r?)? {
            out.push(t);
        }
    }
    Ok(out)
}

/// Adds the balance of each row of `v` (an array) to `wallet` in `out`: the asset from the field `asset`, the amount
/// as `amount` reads it.
fn read_balances(
    out: &mut Balances,
    wallet: &AccountId,
    venue: Venue,
    endpoint: &'static str,
    v: &Value,
    asset: &str,
    amount: impl Fn(&Row<'_>) -> Result<Decimal, VenueError>,
) -> Result<(), VenueError> {
    for r in rows(venue, endpoint, v)? {
        let r = r?;
        let amount = amount(&r)?;
        add_balance(out, &wallet.0, r.asset(asset)?, amount);
    }
    Ok(())
}

fn add_balance(out: &mut Balances, account: &str, asset: String, amount: Decimal) {
    if amount.is_zero() {
        return;
    }
    let slot = out.entry(account.to_string()).or_default().entry(asset).or_default();
    *slot = (*slot + amount).normalize();
    if slot.is_zero()
        && let Some(m) = out.get_mut(account)
    {
        m.retain(|_, v| !v.is_zero());
    }
}
