//! The simulated Bitget's copy-trading reads (docs/venues.md §2.11): a follower's and a trader's closed tracking
//! orders and a trader's profit shares, in the pages' shapes, newest first, `idLessThan` paging with `endId` (the
//! smallest id of the page). An account that is not a trader asking a trader's read gets 40732 "Not currently a
//! trader" (`Settings::not_a_trader_error`; else an empty list); one that is not a follower gets an empty list
//! (UNCONFIRMED: what Bitget answers either is not on the pages, docs/venues.md §5).

use super::*;
use crate::generator::{CopyOrder, CopyRole, ProfitShare};

/// Whether the request's `productType` (required) is USDT-FUTURES, the only product type with copy trading here.
fn usdt_futures(ctx: &Ctx<'_>) -> Result<bool, ApiError> {
    let pt = ctx.params.get("productType").ok_or_else(|| ApiError::empty("productType"))?;
    Ok(pt.eq_ignore_ascii_case("USDT-FUTURES"))
}

/// The closed tracking orders of the account if it is on `role`'s side: `productType` required (only USDT-FUTURES
/// has rows), times on the order's creation (its opening), at most three months apart, `limit` default 20, max 100.
fn tracking_page(ctx: &Ctx<'_>, role: CopyRole) -> Result<Value, ApiError> {
    let usdt = usdt_futures(ctx)?;
    let (a, b) = window(ctx, false, 90, 90, 90)?;
    let limit = limit(ctx, 20, 100)?;
    let cursor = uint(ctx, "idLessThan")?;
    let sym = ctx.params.get("symbol");
    let account = acct(ctx);
    let rows: Vec<&CopyOrder> = account
        .copy_orders
        .iter()
        .filter(|_| usdt && account.copy_role == Some(role))
        .filter(|o| o.open_time >= a && o.open_time <= b && sym.is_none_or(|y| y.eq_ignore_ascii_case(&o.symbol)))
        .collect();
    let picked = page(rows.into_iter(), |o: &CopyOrder| o.tracking_no, cursor, limit);
    let end_id = picked.last().map(|o| o.tracking_no.to_string()).unwrap_or_default();
    let list: Vec<Value> = ordered(ctx, picked).into_iter().map(|o| tracking_row(o, role)).collect();
    Ok(json!({"trackingList": list, "endId": end_id}))
}

/// One `trackingList` row: fees negative when paid; a follower's with `netProfit` (`achievedPL` less the share).
fn tracking_row(o: &CopyOrder, role: CopyRole) -> Value {
    let mut row = json!({
        "trackingNo": o.tracking_no.to_string(), "symbol": &*o.symbol, "productType": "usdt-futures",
        "posSide": if o.long { "long" } else { "short" }, "openLeverage": "10",
        "openOrderId": (o.tracking_no + 1).to_string(), "closeOrderId": (o.tracking_no + 2).to_string(),
        "openSize": s(o.size), "closeSize": s(o.size), "openPriceAvg": s(o.open_price), "closePriceAvg": s(o.close_price),
        "openTime": o.open_time.to_string(), "closeTime": o.close_time.to_string(), "achievedPL": s(o.pnl),
        "openFee": s(-o.open_fee), "closeFee": s(-o.close_fee)
    });
    match role {
        CopyRole::Follower => {
            row["netProfit"] = json!(s(o.pnl - o.share));
            row["traderId"] = json!("**********");
        }
        CopyRole::Trader => {
            row["stopType"] = json!(if o.pnl.is_sign_negative() { "loss" } else { "profit" });
            row["cTime"] = json!(o.open_time.to_string());
        }
    }
    row
}

/// `GET /api/v2/copy/mix-follower/query-history-orders`.
pub(in crate::bitget) fn follower_orders(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    tracking_page(ctx, CopyRole::Follower)
}

/// A trader's read asked of an account that is not a trader: 40732, unless the settings say an empty list.
fn not_a_trader(ctx: &Ctx<'_>) -> Result<(), ApiError> {
    if ctx.settings.not_a_trader_error && acct(ctx).copy_role != Some(CopyRole::Trader) {
        return Err(ApiError::new("40732", "Not currently a trader"));
    }
    Ok(())
}

/// `GET /api/v2/copy/mix-trader/order-history-track`.
pub(in crate::bitget) fn trader_orders(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    not_a_trader(ctx)?;
    tracking_page(ctx, CopyRole::Trader)
}

/// `GET /api/v2/copy/mix-trader/profit-history-details`: `coin` optional (the sample's rows are lower case), times
/// at most three months apart, `limit` default and max 100.
pub(in crate::bitget) fn profit_shares(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    not_a_trader(ctx)?;
    let (a, b) = window(ctx, false, 90, 90, 90)?;
    let limit = limit(ctx, 100, 100)?;
    let cursor = uint(ctx, "idLessThan")?;
    let coin = ctx.params.get("coin");
    let rows: Vec<&ProfitShare> = acct(ctx)
        .profit_shares
        .iter()
        .filter(|p| p.time >= a && p.time <= b && coin.is_none_or(|c| c.eq_ignore_ascii_case(&p.coin)))
        .collect();
    let picked = page(rows.into_iter(), |p: &ProfitShare| p.id, cursor, limit);
    let end_id = picked.last().map(|p| p.id.to_string()).unwrap_or_default();
    let list: Vec<Value> = ordered(ctx, picked)
        .into_iter()
        .map(|p| {
            json!({"profitId": p.id.to_string(), "coin": p.coin.to_ascii_lowercase(), "profit": s(p.profit),
                "nickName": "follower", "profitTime": p.time.to_string()})
        })
        .collect();
    Ok(json!({"profitList": list, "endId": end_id}))
}
