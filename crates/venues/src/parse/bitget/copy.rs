//! Bitget futures copy trading (docs/venues.md §2.11; the accounting in docs/accounting.md §8e): a follower's or a
//! trader's closed tracking orders are futures fills for the record (their money is in the futures bills), a
//! follower's profit share paid an expense, a trader's profit share received other income, both in spot.

use super::*;
use catalogue::{BITGET_COPY_FOLLOWER_ORDERS, BITGET_COPY_PROFIT_SHARES, BITGET_COPY_TRADER_ORDERS};

/// `GET /api/v2/copy/mix-follower/query-history-orders`: the follower's closed copied orders ([`tracking_orders`]),
/// and for each the profit share it paid, `achievedPL − netProfit` when positive: `other` income of minus it in
/// spot (`:copy_share:{trackingNo}`, at `closeTime`; docs/venues.md §2.11, UNCONFIRMED).
pub fn follower_orders(data: &Value, label: &str) -> Result<Page, VenueError> {
    tracking_orders(BITGET_COPY_FOLLOWER_ORDERS.path, data, label, true)
}

/// `GET /api/v2/copy/mix-trader/order-history-track`: the trader's closed lead orders ([`tracking_orders`]).
pub fn trader_orders(data: &Value, label: &str) -> Result<Page, VenueError> {
    tracking_orders(BITGET_COPY_TRADER_ORDERS.path, data, label, false)
}

/// `GET /api/v2/copy/mix-trader/profit-history-details`: each profit share paid to the trader is `other` income of
/// `profit` in `coin` (upper-cased), in spot (`:copy_profit:{profitId}`, at `profitTime`). `data` is
/// `{profitList, endId}`.
pub fn profit_shares(data: &Value, label: &str) -> Result<Page, VenueError> {
    const E: &str = BITGET_COPY_PROFIT_SHARES.path;
    let spot = account(V, label, "spot");
    let (page, list) = end_id_page(E, data, "profitList")?;
    page.each(V, E, list, |page, r| {
        let id = r.text("profitId")?;
        page.note_text_id(&id);
        let time = page.noted(r.ms("profitTime")?);
        let kind = EventKind::Income {
            income_type: IncomeType::Other,
            asset: r.asset("coin")?.into(),
            amount: r.dec("profit")?,
            symbol: None,
        };
        page.push(ids::row(&spot, "copy_profit", &id), time, spot.clone(), kind);
        Ok(())
    })
}

/// A page answered as `{<list>, endId}`: the page with `endId` as its cursor, and the list (`null` read as none).
pub(super) fn end_id_page<'a>(e: &'static str, data: &'a Value, list: &str) -> Result<(Page, &'a Value), VenueError> {
    static EMPTY: Value = Value::Array(Vec::new());
    let mut page = Page::default();
    if let Some(end) = data.get("endId").and_then(Value::as_str).filter(|s| !s.is_empty()) {
        page.cursor = Some(end.to_string());
    }
    let rows = match field(V, e, data, list)? {
        Value::Null => &EMPTY,
        rows => rows,
    };
    Ok((page, rows))
}

/// Closed tracking orders (`data.trackingList`, cursor `endId`): each an opening and a closing fill in the USDT-M
/// `futures` wallet (`:copy_open:{trackingNo}` at `openTime`, `:copy_close:{trackingNo}` at `closeTime`), buy then
/// sell for `long`, sell then buy for `short`, the fees (negative when paid, USDT) positive on the fills and the
/// closing fill carrying `achievedPL`. The price is `openPriceAvg` (the sample) or `openAvgPrice` (the table), and
/// so for the close. With `follower`, the profit share paid as [`follower_orders`] says.
fn tracking_orders(e: &'static str, data: &Value, label: &str, follower: bool) -> Result<Page, VenueError> {
    let (futures, spot) = (account(V, label, "futures"), account(V, label, "spot"));
    let (page, list) = end_id_page(e, data, "trackingList")?;
    page.each(V, e, list, |page, r| {
        let id = r.text("trackingNo")?;
        page.note_text_id(&id);
        let (open_time, close_time) = (page.noted(r.ms("openTime")?), r.ms("closeTime")?);
        let symbol = r.text("symbol")?.to_ascii_uppercase();
        let (open_side, close_side) = match r.text("posSide")?.as_str() {
            "long" => ("buy", "sell"),
            "short" => ("sell", "buy"),
            other => return Err(r.err(format!("posSide {other:?} is neither long nor short"))),
        };
        let price = |sample: &str, table: &str| if r.obj.contains_key(sample) { r.dec(sample) } else { r.dec(table) };
        let fee = |name: &str| -> Result<Vec<Money>, VenueError> { Ok(vec![Money::new("USDT", -r.opt_dec(name)?)]) };
        let pnl = r.dec("achievedPL")?;
        let (open_price, close_price) =
            (price("openPriceAvg", "openAvgPrice")?, price("closePriceAvg", "closeAvgPrice")?);
        let (open_order, close_order) = (r.opt_text("openOrderId"), r.opt_text("closeOrderId"));
        let open = futures_trade(
            r,
            symbol.clone(),
            open_side,
            open_price,
            r.dec("openSize")?,
            fee("openFee")?,
            None,
            open_order,
        )?;
        let close = futures_trade(
            r,
            symbol,
            close_side,
            close_price,
            r.dec("closeSize")?,
            fee("closeFee")?,
            Some(pnl),
            close_order,
        )?;
        page.push(ids::row(&futures, "copy_open", &id), open_time, futures.clone(), open);
        page.push(ids::row(&futures, "copy_close", &id), close_time, futures.clone(), close);
        if follower {
            profit_share_paid(page, r, &spot, &id, close_time, pnl)?;
        }
        Ok(())
    })
}

/// The profit share a follower paid on a closed copied order: `achievedPL − netProfit` when positive, `other`
/// income of minus it in spot; a `netProfit` above `achievedPL` is kept as a warning naming both, never dropped.
fn profit_share_paid(
    page: &mut Page,
    r: &Row<'_>,
    spot: &AccountId,
    id: &str,
    time: i64,
    pnl: Decimal,
) -> Result<(), VenueError> {
    let net = r.dec("netProfit")?;
    let share = pnl - net;
    if share.is_sign_negative() && !share.is_zero() {
        page.warnings.push(format!(
            "{} row {id}: netProfit {net} is above achievedPL {pnl}, no profit share booked",
            BITGET_COPY_FOLLOWER_ORDERS.path
        ));
    } else if !share.is_zero() {
        let kind =
            EventKind::Income { income_type: IncomeType::Other, asset: "USDT".into(), amount: -share, symbol: None };
        page.push(ids::row(spot, "copy_share", id), time, spot.clone(), kind);
    }
    Ok(())
}
