//! Bitget cross margin (docs/venues.md §2.15; the accounting in docs/accounting.md §8f): the wallet `margin`'s
//! balances net of what is owed, its finance flow (borrows and repays as `loan` events, the flows no other stream
//! books as other income), the interest charged and the fills. Transfers in and out are the transfer records'
//! (`crossed_margin`, [`super::wallet_of`]); the flow's transfer rows give no event, nor do its fills' legs.

use super::*;
use catalogue::{
    BITGET_MARGIN_CROSS_ASSETS, BITGET_MARGIN_CROSS_FILLS, BITGET_MARGIN_CROSS_FLOW, BITGET_MARGIN_CROSS_INTEREST,
};
use ledger::LoanAction;

/// The cross margin wallet (`bitget/{label}/margin`).
pub const MARGIN_WALLET: &str = "margin";

/// The transfer records' account type of the cross margin wallet (`fromType`, `toType`).
pub const MARGIN_ACCOUNT_TYPE: &str = "crossed_margin";

/// `GET /api/v2/margin/crossed/account/assets`: the cross margin wallet, each coin's `available + frozen − borrow −
/// interest` (the page's definition of `net`, which its own sample does not satisfy: the parts are read, not `net`;
/// docs/venues.md §2.15). A coin owed and not held is a negative holding, as Binance's `netAsset`.
pub fn cross_balances(data: &Value, label: &str, out: &mut Balances) -> Result<(), VenueError> {
    const E: &str = BITGET_MARGIN_CROSS_ASSETS.path;
    let acc = account(V, label, MARGIN_WALLET);
    read_balances(out, &acc, V, E, data, "coin", |r| {
        Ok(r.dec("available")? + r.opt_dec("frozen")? - r.opt_dec("borrow")? - r.opt_dec("interest")?)
    })
}

/// The `{"resultList": [...], "minId", "maxId"}` or `{"fills": [...]}` envelope of the margin histories; a list
/// null or absent is an empty page.
pub(super) fn listed<'a>(e: &'static str, data: &'a Value, list: &str) -> Result<Option<&'a Value>, VenueError> {
    match data {
        Value::Null => Ok(None),
        Value::Object(o) => Ok(o.get(list).filter(|v| !v.is_null())),
        _ => Err(VenueError::malformed(V, e, format!("expected an object with `{list}`"))),
    }
}

/// Finance flow types another stream books: no event (docs/venues.md §2.15).
pub const FLOW_COVERED: [(&str, &str); 4] = [
    ("transfer_in", "transfer records"),
    ("transfer_out", "transfer records"),
    ("deal_in", "cross margin fills"),
    ("deal_out", "cross margin fills"),
];

/// Finance flow types the page lists that no stream books, with their direction: out, in, or as the amount's sign.
const FLOW_UNCOVERED: [(&str, i8); 7] = [
    ("liquidation_fee", -1),
    ("confiscated", -1),
    ("exchange_out", -1),
    ("compensate", 1),
    ("exchange_in", 1),
    ("sys_exchange_in", 0),
    ("sys_exchange_out", 0),
];

/// `GET /api/v2/margin/crossed/financial-records`: a `borrow` is a loan borrow and a `repay` a loan repay of the
/// row's amount (unsigned: the page's samples sign it one way or the other; the flow lists no interest of its own,
/// so a repay's amount is what left the wallet, interest included); transfers and fills' legs give no event; any
/// other type, listed or not, is other income in the wallet named by its raw type, with a warning: never dropped.
pub fn cross_finance_flow(data: &Value, label: &str) -> Result<Page, VenueError> {
    let acc = account(V, label, MARGIN_WALLET);
    finance_flow(BITGET_MARGIN_CROSS_FLOW.path, data, &|_| Ok(acc.clone()))
}

/// [`cross_finance_flow`] of endpoint `e`, each row in the wallet `wallet` names (an isolated pair's, by its symbol).
pub(super) fn finance_flow(
    e: &'static str,
    data: &Value,
    wallet: &dyn Fn(&Row<'_>) -> Result<AccountId, VenueError>,
) -> Result<Page, VenueError> {
    let Some(list) = listed(e, data, "resultList")? else { return Ok(Page::default()) };
    Page::default().each(V, e, list, |page, r| {
        let acc = wallet(r)?;
        let id = r.text("marginId")?;
        let time = page.noted(r.ms("cTime")?);
        page.note_text_id(&id);
        let (ty, asset, amount) = (r.text("marginType")?, r.asset("coin")?, r.dec("amount")?);
        let loan =
            |action| EventKind::Loan { action, asset: asset.clone().into(), amount: amount.abs(), interest: None };
        let (stream, kind) = match ty.as_str() {
            "borrow" => ("borrow".to_string(), loan(LoanAction::Borrow)),
            "repay" => ("repay".to_string(), loan(LoanAction::Repay)),
            t if FLOW_COVERED.iter().any(|(c, _)| *c == t) => return Ok(()),
            t => {
                let known = FLOW_UNCOVERED.iter().find(|(u, _)| *u == t);
                let signed = match known.map(|(_, s)| *s) {
                    Some(-1) => -amount.abs(),
                    Some(1) => amount.abs(),
                    _ => amount,
                };
                let what = if known.is_some() { "which no stream books" } else { "a type the page does not list" };
                page.warnings
                    .push(format!("{e} row {id}: type {ty:?}, {what}: kept as other income of {signed} {asset}"));
                let kind = EventKind::Income {
                    income_type: IncomeType::Other,
                    asset: asset.clone().into(),
                    amount: signed,
                    symbol: None,
                };
                (format!("finance:{ty}"), kind)
            }
        };
        if !amount.is_zero() {
            page.push(ids::row(&acc, &stream, &id), time, acc.clone(), kind);
        }
        Ok(())
    })
}

/// Interest types of the interest history (`interstType`, as the page spells it); another is booked the same way,
/// with a warning.
const INTEREST_TYPES: [&str; 2] = ["first", "scheduled"];

/// `GET /api/v2/margin/crossed/interest-history`: each row is interest charged in `interestCoin`, added to what the
/// wallet owes (a `loan` `interest`, docs/accounting.md §8f). Id `{wallet}:interest:{interestId}`.
pub fn cross_interest(data: &Value, label: &str) -> Result<Page, VenueError> {
    let acc = account(V, label, MARGIN_WALLET);
    interest(BITGET_MARGIN_CROSS_INTEREST.path, data, &|_| Ok(acc.clone()))
}

/// [`cross_interest`] of endpoint `e`, each row in the wallet `wallet` names.
pub(super) fn interest(
    e: &'static str,
    data: &Value,
    wallet: &dyn Fn(&Row<'_>) -> Result<AccountId, VenueError>,
) -> Result<Page, VenueError> {
    let Some(list) = listed(e, data, "resultList")? else { return Ok(Page::default()) };
    Page::default().each(V, e, list, |page, r| {
        let acc = wallet(r)?;
        let id = r.text("interestId")?;
        let time = page.noted(r.ms("cTime")?);
        page.note_text_id(&id);
        let ty = r.opt_text("interstType").or_else(|| r.opt_text("interestType")).unwrap_or_default();
        if !INTEREST_TYPES.contains(&ty.as_str()) {
            page.warnings.push(format!("{e} row {id}: unknown interest type {ty:?}, booked as interest charged"));
        }
        let (asset, amount) = (r.asset("interestCoin")?, r.dec("interestAmount")?.abs());
        let kind = EventKind::Loan { action: LoanAction::Interest, asset: asset.into(), amount, interest: None };
        page.push(ids::row(&acc, "interest", &id), time, acc.clone(), kind);
        Ok(())
    })
}

/// A fill's fee: `feeDetail` (an object in the page's sample) with its coin as `feeCoin` (the sample) or
/// `feecoinCode` (the table), `totalFee` negative when paid.
fn margin_fee(r: &Row<'_>) -> Result<Vec<Money>, VenueError> {
    let Some(detail) = r.obj.get("feeDetail").filter(|d| !d.is_null()) else { return Ok(vec![]) };
    let one = |d: &Value| -> Result<Option<Money>, VenueError> {
        let f = Row::new(V, r.endpoint, d)?;
        let coin = f.opt_text("feeCoin").or_else(|| f.opt_text("feecoinCode"));
        let fee = f.opt_dec("totalFee")?.abs();
        match coin {
            Some(c) => Ok(Some(Money::new(c.to_ascii_uppercase(), fee))),
            None if fee.is_zero() => Ok(None),
            None => Err(f.err("a fee without its coin".into())),
        }
    };
    match detail {
        Value::Array(a) => Ok(a.iter().map(one).collect::<Result<Vec<_>, _>>()?.into_iter().flatten().collect()),
        d => Ok(one(d)?.into_iter().collect()),
    }
}

/// `GET /api/v2/margin/crossed/fills` of `symbol` (the request's; a row's own `symbol` wins when it has one): each
/// fill is a trade in the margin wallet, the venue's liquidation and system-repay buys and sells as well
/// (`liquidation_buy`, `system_repay_sell`, ...). `size` is the base quantity, `amount` the quote's. Id
/// `{wallet}:trade:{symbol}:{tradeId}`, as spot fills'.
pub fn cross_fills(data: &Value, label: &str, symbol: &str, book: &SymbolBook) -> Result<Page, VenueError> {
    fills(BITGET_MARGIN_CROSS_FILLS.path, data, &account(V, label, MARGIN_WALLET), symbol, book)
}

/// [`cross_fills`] of endpoint `e` into the wallet `acc`.
pub(super) fn fills(
    e: &'static str,
    data: &Value,
    acc: &AccountId,
    symbol: &str,
    book: &SymbolBook,
) -> Result<Page, VenueError> {
    let Some(list) = listed(e, data, "fills")? else { return Ok(Page::default()) };
    Page::default().each(V, e, list, |page, r| {
        let id = r.text("tradeId")?;
        let time = page.noted(r.ms("cTime")?);
        page.note_text_id(&id);
        let symbol = r.opt_text("symbol").unwrap_or_else(|| symbol.to_string()).to_ascii_uppercase();
        let (base, quote) = book.split(V, &symbol).ok_or_else(|| r.err(format!("cannot split symbol {symbol}")))?;
        let (size, amount, fees) = (r.dec("size")?, r.dec("amount")?, margin_fee(r)?);
        let side = r.text("side")?;
        let kind = match side.rsplit('_').next() {
            Some("buy") => trade((quote, amount), (base, size), fees, Some(symbol.clone())),
            Some("sell") => trade((base, size), (quote, amount), fees, Some(symbol.clone())),
            _ => return Err(r.err(format!("side {side:?} is neither a buy nor a sell"))),
        };
        page.push(ids::symbol_row(acc, "trade", &symbol, &id), time, acc.clone(), kind);
        Ok(())
    })
}
