//! Bitget Earn savings (docs/venues.md §2.14) in the pages' shapes: `{resultList, endId}`, `periodType` required,
//! `limit` default 20 and at most 100, `idLessThan` pages down the ids, newest first. The generated accounts hold
//! flexible products only: a `fixed` read answers none.

use super::*;
use crate::generator::SavingsRecord;

/// The required `periodType`, and whether it is `flexible` (the generated products).
fn flexible(ctx: &Ctx<'_>) -> Result<bool, ApiError> {
    match ctx.params.get("periodType") {
        Some("flexible") => Ok(true),
        Some("fixed") => Ok(false),
        Some(_) => Err(ApiError::invalid("periodType")),
        None => Err(ApiError::empty("periodType")),
    }
}

/// `{resultList, endId}`: `endId` the smallest id of the page, empty when it has none.
fn result_list(ctx: &Ctx<'_>, rows: Vec<Value>, end_id: Option<u64>) -> Value {
    json!({"resultList": ordered(ctx, rows), "endId": end_id.map(|i| i.to_string()).unwrap_or_default()})
}

/// `GET /api/v2/earn/savings/assets`: one holding per coin of the `earn` wallet (`productId` and `orderId` a
/// number of the coin's own), `holdAmount` its balance.
pub(in crate::bitget) fn savings_assets(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let flexible = flexible(ctx)?;
    window(ctx, false, 90, 90, 3650)?;
    let (limit, cursor) = (limit(ctx, 20, 100)?, uint(ctx, "idLessThan")?);
    let held: Vec<(u64, &String, &Decimal)> = match acct(ctx).wallets.get("earn").filter(|_| flexible) {
        Some(w) => w.iter().enumerate().map(|(i, (coin, v))| (i as u64 + 1, coin, v)).collect(),
        None => Vec::new(),
    };
    let rows = page(held.iter(), |h| h.0, cursor, limit);
    let end_id = rows.iter().map(|h| h.0).min();
    let rows = rows
        .into_iter()
        .map(|(id, coin, v)| {
            json!({"productId": id.to_string(), "orderId": "", "productCoin": coin, "interestCoin": coin,
                   "periodType": "flexible", "period": "", "holdAmount": s(**v), "lastProfit": "0",
                   "totalProfit": "0", "holdDays": "", "status": "in_holding", "allowRedemption": "",
                   "productLevel": "normal",
                   "apy": [{"rateLevel": "1", "minApy": "0", "maxApy": "200", "currentApy": "5.00"}]})
        })
        .collect();
    Ok(result_list(ctx, rows, end_id))
}

/// `GET /api/v2/earn/savings/records`: the records in the window (at most three months, the last three months by
/// default), of `orderType` and `coin` when given.
pub(in crate::bitget) fn savings_records(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let flexible = flexible(ctx)?;
    let (a, b) = window(ctx, false, 90, 90, 3650)?;
    let (limit, cursor) = (limit(ctx, 20, 100)?, uint(ctx, "idLessThan")?);
    let (coin, order_type) = (ctx.params.get("coin"), ctx.params.get("orderType"));
    let mut rows: Vec<&SavingsRecord> = acct(ctx)
        .savings
        .iter()
        .filter(|r| flexible && r.time >= a && r.time <= b)
        .filter(|r| {
            coin.is_none_or(|c| c.eq_ignore_ascii_case(&r.coin)) && order_type.is_none_or(|t| t == r.order_type)
        })
        .collect();
    rows.sort_by_key(|r| r.id);
    let rows = page(rows.into_iter(), |r| r.id, cursor, limit);
    let end_id = rows.iter().map(|r| r.id).min();
    let rows = rows
        .into_iter()
        .map(|r| {
            json!({"orderId": r.id.to_string(), "coinName": &*r.coin, "settleCoinName": &*r.coin,
                   "productType": "flexible", "period": "", "productLevel": "normal", "amount": s(r.amount),
                   "ts": r.time.to_string(), "orderType": r.order_type})
        })
        .collect();
    Ok(result_list(ctx, rows, end_id))
}
