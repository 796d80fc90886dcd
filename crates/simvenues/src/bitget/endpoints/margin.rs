//! The simulated Bitget's cross margin reads (docs/venues.md §2.15) in the pages' shapes: the assets (each coin's
//! `available`, `borrow`, `interest` and `net`), the finance flow and the interest history (`{resultList, maxId,
//! minId}`, newest first, `idLessThan` paging, `startTime` required, at most 90 days, `limit` default 100, max 500),
//! and the fills of a `symbol` (required; `{fills, maxId, minId}`, `feeDetail` an object as in the sample). An
//! account without cross margin has no rows.

use super::*;
use crate::generator::{BITGET_MARGIN_PAIR, BitgetMargin, BitgetMarginFlow, BitgetMarginInterest, SpotFill};

/// The history window of a cross margin read: `startTime` required, `endTime` optional, at most 90 days apart.
pub(super) fn margin_window(ctx: &Ctx<'_>) -> Result<(i64, i64), ApiError> {
    if ctx.params.get("startTime").is_none() {
        return Err(ApiError::empty("startTime"));
    }
    window(ctx, false, 90, 90, 3650)
}

/// `{list: rows, maxId, minId}` of the page's rows (ascending ids in, newest first out).
pub(super) fn listed<T>(
    ctx: &Ctx<'_>,
    list: &str,
    rows: Vec<&T>,
    id: impl Fn(&T) -> u64,
    row: impl Fn(&T) -> Value,
) -> Value {
    let cursor = uint(ctx, "idLessThan").ok().flatten();
    let limit = limit(ctx, 100, 500).unwrap_or(100);
    let picked = page(rows.into_iter(), &id, cursor, limit);
    let (max, min) = (picked.first().map(|r| id(r).to_string()), picked.last().map(|r| id(r).to_string()));
    let list_rows: Vec<Value> = ordered(ctx, picked).into_iter().map(row).collect();
    json!({list: list_rows, "maxId": max, "minId": min})
}

/// `GET /api/v2/margin/crossed/account/assets`: each coin held or owed; `coin` narrows it.
pub(in crate::bitget) fn cross_assets(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let a = acct(ctx);
    let Some(net) = a.wallets.get("margin") else { return Ok(json!([])) };
    let mut coins: Vec<String> = net.keys().cloned().collect();
    coins.extend(a.margin.flows.iter().map(|f| f.coin.to_string()));
    coins.sort();
    coins.dedup();
    let coin = ctx.params.get("coin");
    let t = ctx.world.end.to_string();
    let rows = coins.iter().filter(|c| coin.is_none_or(|x| x.eq_ignore_ascii_case(c))).map(|c| {
        let net = net.get(c).copied().unwrap_or_default();
        let (borrow, interest) = a.margin.owed(c);
        let available = net + borrow + interest;
        json!({"coin": c, "totalAmount": s(available), "available": s(available), "frozen": "0", "borrow": s(borrow),
               "interest": s(interest), "net": s(net), "cTime": t, "uTime": t, "coupon": "0"})
    });
    Ok(Value::Array(rows.collect()))
}

/// The rows one margin read serves: cross margin's (rows name no pair) or the isolated pair's (each row names it
/// in `symbol`), with the daily interest rate shown on interest rows; `none` when the request asks for another pair.
pub(super) struct Served<'a> {
    pub records: &'a BitgetMargin,
    pub pair: Option<&'static str>,
    pub daily_rate: &'static str,
    pub none: bool,
}

impl Served<'_> {
    /// `row` with the pair named, for an isolated read.
    fn named(&self, mut row: Value) -> Value {
        if let Some(pair) = self.pair {
            row["symbol"] = json!(pair);
        }
        row
    }
}

/// Cross margin's records.
fn cross<'a>(ctx: &Ctx<'a>) -> Served<'a> {
    Served { records: &acct(ctx).margin, pair: None, daily_rate: "0.00024", none: false }
}

/// `GET /api/v2/margin/crossed/financial-records`: `marginType` and `coin` narrow it.
pub(in crate::bitget) fn cross_flow(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    flow_page(ctx, &cross(ctx))
}

/// A finance flow page of `served`.
pub(super) fn flow_page(ctx: &Ctx<'_>, served: &Served<'_>) -> Result<Value, ApiError> {
    let (a, b) = margin_window(ctx)?;
    limit(ctx, 100, 500)?;
    uint(ctx, "idLessThan")?;
    let (ty, coin) = (ctx.params.get("marginType"), ctx.params.get("coin"));
    let rows: Vec<&BitgetMarginFlow> = served
        .records
        .flows
        .iter()
        .filter(|f| !served.none && f.time >= a && f.time <= b && ty.is_none_or(|t| t == f.kind))
        .filter(|f| coin.is_none_or(|c| c.eq_ignore_ascii_case(&f.coin)))
        .collect();
    Ok(listed(
        ctx,
        "resultList",
        rows,
        |f| f.id,
        |f| {
            served.named(json!({"marginId": f.id.to_string(), "amount": s(f.amount), "coin": &*f.coin,
               "balance": "0", "fee": s(f.fee), "marginType": f.kind, "uTime": f.time.to_string(),
               "cTime": f.time.to_string()}))
        },
    ))
}

/// `GET /api/v2/margin/crossed/interest-history`: `coin` narrows it.
pub(in crate::bitget) fn cross_interest(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    interest_page(ctx, &cross(ctx))
}

/// An interest history page of `served`.
pub(super) fn interest_page(ctx: &Ctx<'_>, served: &Served<'_>) -> Result<Value, ApiError> {
    let (a, b) = margin_window(ctx)?;
    limit(ctx, 100, 500)?;
    uint(ctx, "idLessThan")?;
    let coin = ctx.params.get("coin");
    let rows: Vec<&BitgetMarginInterest> = served
        .records
        .interest
        .iter()
        .filter(|i| !served.none && i.time >= a && i.time <= b && coin.is_none_or(|c| c.eq_ignore_ascii_case(&i.coin)))
        .collect();
    Ok(listed(
        ctx,
        "resultList",
        rows,
        |i| i.id,
        |i| {
            served.named(json!({"interestId": i.id.to_string(), "loanCoin": &*i.coin, "interestCoin": &*i.coin,
               "dailyInterestRate": served.daily_rate, "interestAmount": s(i.amount), "interstType": i.kind,
               "uTime": i.time.to_string(), "cTime": i.time.to_string()}))
        },
    ))
}

/// `GET /api/v2/margin/crossed/fills`: `symbol` required; the rows name no symbol (the page's sample has none).
pub(in crate::bitget) fn cross_fills(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let symbol = ctx.params.get("symbol").ok_or_else(|| ApiError::empty("symbol"))?;
    fills_page(ctx, &Served { none: symbol != BITGET_MARGIN_PAIR, ..cross(ctx) })
}

/// A fills page of `served`.
pub(super) fn fills_page(ctx: &Ctx<'_>, served: &Served<'_>) -> Result<Value, ApiError> {
    let (a, b) = margin_window(ctx)?;
    limit(ctx, 100, 500)?;
    uint(ctx, "idLessThan")?;
    let order = uint(ctx, "orderId")?;
    let rows: Vec<&SpotFill> = served
        .records
        .fills
        .iter()
        .filter(|f| !served.none && f.time >= a && f.time <= b)
        .filter(|f| order.is_none_or(|o| o == f.order_id))
        .collect();
    Ok(listed(
        ctx,
        "fills",
        rows,
        |f| f.id,
        |f| {
            served.named(json!({"orderId": f.order_id.to_string(), "tradeId": f.id.to_string(), "orderType": "market",
               "side": if f.is_buyer { "buy" } else { "sell" }, "priceAvg": s(f.price), "size": s(f.qty),
               "amount": s(f.quote_qty), "tradeScope": "taker", "cTime": f.time.to_string(), "uTime": f.time.to_string(),
               "feeDetail": {"deduction": "no", "feeCoin": &*f.commission_asset, "totalDeductionFee": "0",
                             "totalFee": s(-f.commission)}}))
        },
    ))
}
