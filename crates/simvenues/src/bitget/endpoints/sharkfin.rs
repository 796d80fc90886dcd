//! Bitget Earn shark fin (docs/venues.md §2.16) in the pages' shapes: the Earn overview (`data` a list of `coin`,
//! `amount`: every Earn product's holdings, the savings and shark fin wallets together) and the shark fin records
//! (`{resultList, endId}`, `type` required, `limit` default 20 and at most 100, `idLessThan` pages down the ids,
//! newest first).

use super::*;
use crate::generator::SharkfinRecord;
use std::collections::BTreeMap;

/// `GET /api/v2/earn/account/assets`: each coin the `earn` and `sharkfin` wallets hold together, `coin` filtering.
pub(in crate::bitget) fn earn_assets(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let a = acct(ctx);
    let coin = ctx.params.get("coin");
    let mut held: BTreeMap<&str, Decimal> = BTreeMap::new();
    for w in ["earn", "sharkfin"] {
        for (c, v) in a.wallets.get(w).into_iter().flatten() {
            *held.entry(c.as_str()).or_default() += *v;
        }
    }
    let rows: Vec<Value> = held
        .into_iter()
        .filter(|(c, v)| !v.is_zero() && coin.is_none_or(|x| x.eq_ignore_ascii_case(c)))
        .map(|(c, v)| json!({"coin": c, "amount": s(v)}))
        .collect();
    Ok(Value::Array(rows))
}

/// `GET /api/v2/earn/sharkfin/records`: the records of the required `type` in the window (at most three months, the
/// last three months by default), of `coin` when given.
pub(in crate::bitget) fn sharkfin_records(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let ty = match ctx.params.get("type") {
        Some(t @ ("subscription" | "redemption" | "interest")) => t,
        Some(_) => return Err(ApiError::invalid("type")),
        None => return Err(ApiError::empty("type")),
    };
    let (a, b) = window(ctx, false, 90, 90, 3650)?;
    let (limit, cursor) = (limit(ctx, 20, 100)?, uint(ctx, "idLessThan")?);
    let coin = ctx.params.get("coin");
    let mut rows: Vec<&SharkfinRecord> = acct(ctx)
        .sharkfin
        .iter()
        .filter(|r| r.kind == ty && r.time >= a && r.time <= b)
        .filter(|r| coin.is_none_or(|c| c.eq_ignore_ascii_case(&r.coin)))
        .collect();
    rows.sort_by_key(|r| r.id);
    let rows = page(rows.into_iter(), |r| r.id, cursor, limit);
    let end_id = rows.iter().map(|r| r.id).min();
    let rows = rows
        .into_iter()
        .map(|r| {
            json!({"orderId": r.id.to_string(), "product": r.product, "period": r.period.to_string(),
                   "amount": s(r.amount), "ts": r.time.to_string(), "type": r.kind})
        })
        .collect();
    Ok(json!({"resultList": ordered(ctx, rows), "endId": end_id.map(|i| i.to_string()).unwrap_or_default()}))
}
