//! Binance cross and isolated margin (docs/venues.md §1.18; the accounting in docs/accounting.md §8f): balances net
//! of what is owed, borrows and repays, interest charged, margin fills, liquidation orders and the capital flow that
//! checks the other streams are complete.

use super::*;
use catalogue::{
    BINANCE_ISOLATED_ACCOUNT, BINANCE_MARGIN_ACCOUNT, BINANCE_MARGIN_BORROW_REPAY, BINANCE_MARGIN_CAPITAL_FLOW,
    BINANCE_MARGIN_INTEREST, BINANCE_MARGIN_LIQUIDATIONS, BINANCE_MARGIN_TRADES,
};
use ledger::{LoanAction, Name};

/// How an isolated margin pair's wallet name begins: `isolated-BTCUSDT`.
pub const ISOLATED_WALLET_PREFIX: &str = "isolated-";

/// An isolated margin pair's wallet name, `isolated-{SYMBOL}`.
pub fn isolated_wallet(symbol: &str) -> String {
    format!("{ISOLATED_WALLET_PREFIX}{symbol}")
}

/// The wallet of the cross margin account (`margin`) or of one isolated pair (`isolated-BTCUSDT`).
pub fn margin_wallet(label: &str, isolated_symbol: Option<&str>) -> AccountId {
    match isolated_symbol {
        Some(symbol) => account(V, label, &isolated_wallet(symbol)),
        None => account(V, label, "margin"),
    }
}

/// A margin balance row's `netAsset`, checked against `free + locked − borrowed − interest` (an error naming the
/// asset when they differ: a balance the ledger could not explain either way).
fn net_asset(r: &Row<'_>) -> Result<Decimal, VenueError> {
    let net = r.dec("netAsset")?;
    let parts = r.dec("free")? + r.dec("locked")? - r.dec("borrowed")? - r.dec("interest")?;
    if net != parts {
        let asset = r.text("asset")?;
        return Err(r.err(format!("{asset}: netAsset {net} is not free + locked - borrowed - interest = {parts}")));
    }
    Ok(net)
}

/// `GET /sapi/v1/margin/account`: the cross margin wallet, each asset's `netAsset` (what is held net of what is
/// owed), and whether the account exists: no wallet when it was never created (`created: false`).
pub fn margin_balances(data: &Value, label: &str, out: &mut Balances) -> Result<bool, VenueError> {
    const E: &str = BINANCE_MARGIN_ACCOUNT.path;
    if data.get("created").and_then(Value::as_bool) == Some(false) {
        return Ok(false);
    }
    let acc = margin_wallet(label, None);
    read_balances(out, &acc, V, E, field(V, E, data, "userAssets")?, "asset", net_asset)?;
    Ok(true)
}

/// `GET /sapi/v1/margin/isolated/account`: each isolated pair's wallet (its base and quote assets' `netAsset`), and
/// the pairs' symbols. A pair with `isolatedCreated: false` was never opened: no wallet, no symbol (a disabled pair,
/// `enabled: false`, is kept: it has a history).
pub fn isolated_balances(data: &Value, label: &str, out: &mut Balances) -> Result<Vec<String>, VenueError> {
    const E: &str = BINANCE_ISOLATED_ACCOUNT.path;
    let mut symbols = Vec::new();
    for r in rows(V, E, field(V, E, data, "assets")?)? {
        let r = r?;
        if r.obj.get("isolatedCreated").and_then(Value::as_bool) == Some(false) {
            continue;
        }
        let symbol = r.asset("symbol")?;
        let acc = margin_wallet(label, Some(&symbol));
        for side in ["baseAsset", "quoteAsset"] {
            let asset = Row::new(V, E, r.get(side)?)?;
            add_balance(out, acc.as_str(), asset.asset("asset")?, net_asset(&asset)?);
        }
        symbols.push(symbol);
    }
    Ok(symbols)
}

/// The `{"rows": [...], "total": n}` envelope of the margin histories; `rows` null or absent is an empty page.
fn rows_page<'a>(
    e: &'static str,
    data: &'a Value,
) -> Result<(Page, impl Iterator<Item = Result<Row<'a>, VenueError>> + use<'a>), VenueError> {
    let total = data.get("total").and_then(|t| t.as_u64().or_else(|| t.as_str()?.parse().ok()));
    let mut page = Page { total, ..Page::default() };
    let rows = match data.get("rows") {
        None | Some(Value::Null) => None,
        Some(rows) => Some(page.read(V, e, rows)?),
    };
    Ok((page, rows.into_iter().flatten()))
}

/// The wallet a history row belongs to: its `isolatedSymbol`, or cross margin.
fn row_wallet(r: &Row<'_>, label: &str) -> AccountId {
    margin_wallet(label, r.opt_text("isolatedSymbol").as_deref())
}

/// How a borrow or repay was made: the kinds the page lists; a repay in BNB or points is named in a warning.
const BORROW_REPAY_KINDS: [&str; 4] = ["AUTO", "MANUAL", "BNB_AUTO_REPAY", "POINT_AUTO_REPAY"];

/// `GET /sapi/v1/margin/borrow-repay` with `type=BORROW` (`repay` false) or `REPAY`: each `CONFIRMED` row is a loan
/// event; `PENDING` and `FAILED` rows move nothing. A repay is its `principal` with its `interest` apart, and they
/// must add up to its `amount`.
pub fn borrow_repay(data: &Value, label: &str, repay: bool) -> Result<Page, VenueError> {
    const E: &str = BINANCE_MARGIN_BORROW_REPAY.path;
    let (mut page, rows) = rows_page(E, data)?;
    for r in rows {
        let r = r?;
        let time = page.noted(r.ms("timestamp")?);
        let id = r.text("txId")?;
        match r.text("status")?.as_str() {
            "CONFIRMED" => {}
            "PENDING" | "FAILED" => continue,
            other => {
                page.warnings.push(format!("{E} row {id}: unknown status {other:?}, no event"));
                continue;
            }
        }
        let how = r.opt_text("type").unwrap_or_default();
        if !BORROW_REPAY_KINDS.contains(&how.as_str()) {
            page.warnings.push(format!("{E} row {id}: unknown kind {how:?}, booked as the page's other rows"));
        } else if how.ends_with("_AUTO_REPAY") {
            page.warnings.push(format!("{E} row {id}: repaid by {how:?}: booked as a repay in the asset owed"));
        }
        let (acc, asset, amount) = (row_wallet(&r, label), r.asset("asset")?, r.dec("amount")?);
        let kind = if repay {
            let (principal, interest) = (r.dec("principal")?, r.opt_dec("interest")?);
            if principal + interest != amount {
                return Err(r.err(format!("repay {id}: principal {principal} + interest {interest} != {amount}")));
            }
            let interest = (!interest.is_zero()).then_some(interest);
            EventKind::Loan { action: LoanAction::Repay, asset: asset.into(), amount: principal, interest }
        } else {
            EventKind::Loan { action: LoanAction::Borrow, asset: asset.into(), amount, interest: None }
        };
        let stream = if repay { "repay" } else { "borrow" };
        page.push(ids::row(&acc, stream, &id), time, acc.clone(), kind);
    }
    Ok(page)
}

/// Interest types of `GET /sapi/v1/margin/interestHistory`; another is booked the same way, with a warning.
const INTEREST_TYPES: [&str; 5] = ["PERIODIC", "ON_BORROW", "PERIODIC_CONVERTED", "ON_BORROW_CONVERTED", "PORTFOLIO"];

/// `GET /sapi/v1/margin/interestHistory`: each row is interest charged, in `asset` (BNB for the converted types),
/// added to what the wallet owes.
pub fn interest_history(data: &Value, label: &str) -> Result<Page, VenueError> {
    const E: &str = BINANCE_MARGIN_INTEREST.path;
    let (mut page, rows) = rows_page(E, data)?;
    for r in rows {
        let r = r?;
        let time = page.noted(r.ms("interestAccuredTime")?);
        let (tx, asset) = (r.text("txId")?, r.asset("asset")?);
        let ty = r.text("type")?;
        if !INTEREST_TYPES.contains(&ty.as_str()) {
            page.warnings.push(format!("{E} row {tx}: unknown interest type {ty:?}, booked as interest charged"));
        }
        let acc = row_wallet(&r, label);
        let kind = EventKind::Loan {
            action: LoanAction::Interest,
            asset: asset.clone().into(),
            amount: r.dec("interest")?,
            interest: None,
        };
        page.push(ids::row(&acc, "interest", &format!("{tx}:{asset}:{time}")), time, acc.clone(), kind);
    }
    Ok(page)
}

/// `GET /sapi/v1/margin/myTrades`: margin fills, as spot fills (the quote amount is `price × qty`: the rows have no
/// `quoteQty`), in the cross wallet or, `isIsolated`, the pair's.
pub fn margin_trades(data: &Value, label: &str, book: &SymbolBook) -> Result<Page, VenueError> {
    const E: &str = BINANCE_MARGIN_TRADES.path;
    Page::default().each(V, E, data, |page, r| {
        let symbol = r.text("symbol")?;
        let id = r.int("id")?;
        let time = page.noted(r.ms("time")?);
        page.note_id(id);
        let (base, quote) =
            book.split(V, &symbol).ok_or_else(|| r.err(format!("symbol {symbol} is not in exchangeInfo")))?;
        let isolated = r.obj.get("isIsolated").and_then(Value::as_bool).unwrap_or(false);
        let acc = margin_wallet(label, isolated.then_some(symbol.as_str()));
        let qty = r.dec("qty")?;
        let quote_qty = (r.dec("price")? * qty).normalize();
        let fees = vec![Money::new(r.asset("commissionAsset")?, r.dec("commission")?)];
        let kind = if r.boolean("isBuyer")? {
            trade((quote, quote_qty), (base, qty), fees, Some(symbol.clone()))
        } else {
            trade((base, qty), (quote, quote_qty), fees, Some(symbol.clone()))
        };
        page.push(ids::binance_trade(&acc, &symbol, id), time, acc, kind);
        Ok(())
    })
}

/// `GET /sapi/v1/margin/forceLiquidationRec`: liquidation orders. An order is no event (its fills are `myTrades`
/// rows): the page names the symbols whose fills must be read ([`Page::symbols`]).
pub fn force_liquidations(data: &Value) -> Result<Page, VenueError> {
    const E: &str = BINANCE_MARGIN_LIQUIDATIONS.path;
    let (mut page, rows) = rows_page(E, data)?;
    for r in rows {
        let r = r?;
        page.note(r.ms("updatedTime")?);
        page.symbols.insert(r.asset("symbol")?);
    }
    Ok(page)
}

/// Capital flow types with the stream that books them (docs/venues.md §1.18).
pub const CAPITAL_FLOW_COVERED: [(&str, &str); 11] = [
    ("TRANSFER", "transfers between wallets"),
    ("BORROW", "margin borrows and repays"),
    ("REPAY", "margin borrows and repays"),
    ("REPAY_LIQUIDATION", "margin borrows and repays"),
    ("BUY_INCOME", "margin fills"),
    ("BUY_EXPENSE", "margin fills"),
    ("SELL_INCOME", "margin fills"),
    ("SELL_EXPENSE", "margin fills"),
    ("TRADING_COMMISSION", "margin fills"),
    ("BUY_LIQUIDATION", "margin fills"),
    ("SELL_LIQUIDATION", "margin fills"),
];

/// The direction of a flow no stream covers: out, in, or as the amount's sign says.
fn uncovered_sign(ty: &str, amount: Decimal) -> Decimal {
    match ty {
        "LIQUIDATION_FEE" | "OTHER_LIQUIDATION" => -amount.abs(),
        "COMMISSION_RETURN" => amount.abs(),
        _ => amount,
    }
}

/// What a capital flow page says beyond its events (the symbols it names are [`Page::symbols`]): per covered type,
/// its rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CapitalFlow {
    /// Rows of each covered type (`BORROW` → 3): what the covering streams must have booked.
    pub covered: BTreeMap<String, usize>,
}

/// `GET /sapi/v1/margin/capital-flow` (cross, or one isolated pair's with `symbol`): the completeness check of the
/// margin streams. A flow of a type another stream books gives no event (it is counted in [`CapitalFlow::covered`]);
/// any other type is `other` income in the flow's wallet, named by its raw type in the event id and a warning, never
/// dropped.
pub fn capital_flow(data: &Value, label: &str, isolated: Option<&str>) -> Result<(Page, CapitalFlow), VenueError> {
    const E: &str = BINANCE_MARGIN_CAPITAL_FLOW.path;
    let acc = margin_wallet(label, isolated);
    let mut flow = CapitalFlow::default();
    let page = Page::default().each(V, E, data, |page, r| {
        let id = r.int("id")?;
        page.note_id(id);
        let time = page.noted(r.ms("timestamp")?);
        if let Some(symbol) = r.opt_text("symbol") {
            page.symbols.insert(symbol.to_ascii_uppercase());
        }
        let ty = r.text("type")?;
        if CAPITAL_FLOW_COVERED.iter().any(|(t, _)| *t == ty) {
            *flow.covered.entry(ty).or_default() += 1;
            return Ok(());
        }
        let (asset, amount) = (r.asset("asset")?, uncovered_sign(&ty, r.dec("amount")?));
        page.warnings.push(format!(
            "{E} row {id}: type {ty:?}, which no stream books: kept as other income of {amount} {asset}"
        ));
        let kind = EventKind::Income {
            income_type: IncomeType::Other,
            asset: asset.into(),
            amount,
            symbol: r.opt_text("symbol").map(Name::from),
        };
        page.push(ids::row(&acc, &format!("capital_flow:{ty}"), &id.to_string()), time, acc.clone(), kind);
        Ok(())
    })?;
    Ok((page, flow))
}
