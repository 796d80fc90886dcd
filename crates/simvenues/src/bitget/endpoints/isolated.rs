//! The simulated Bitget's isolated margin reads (docs/venues.md §2.18): the cross margin reads' shapes
//! ([`super::margin`]) with the pair in each row (`symbol`), under `/api/v2/margin/isolated/`. The finance flow, the
//! interest history and the fills need `symbol` (the flow's page says so; the other two are taken as the flow,
//! UNCONFIRMED); the assets list every pair, `symbol` narrowing it. An account without isolated margin has no rows.

use super::margin::{listed, margin_window};
use super::*;
use crate::generator::{
    BITGET_ISOLATED_PAIR, BITGET_ISOLATED_WALLET, BitgetMarginFlow, BitgetMarginInterest, SpotFill,
};

/// The required `symbol`, and whether it is the account's one pair.
fn pair(ctx: &Ctx<'_>) -> Result<bool, ApiError> {
    let symbol = ctx.params.get("symbol").ok_or_else(|| ApiError::empty("symbol"))?;
    Ok(symbol.eq_ignore_ascii_case(BITGET_ISOLATED_PAIR))
}

/// `GET /api/v2/margin/isolated/account/assets`: each coin of each pair held or owed; `symbol` narrows it.
pub(in crate::bitget) fn isolated_assets(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let a = acct(ctx);
    let Some(net) = a.wallets.get(BITGET_ISOLATED_WALLET) else { return Ok(json!([])) };
    if ctx.params.get("symbol").is_some_and(|s| !s.eq_ignore_ascii_case(BITGET_ISOLATED_PAIR)) {
        return Ok(json!([]));
    }
    let mut coins: Vec<String> = net.keys().cloned().collect();
    coins.extend(a.isolated.flows.iter().map(|f| f.coin.to_string()));
    coins.sort();
    coins.dedup();
    let t = ctx.world.end.to_string();
    let rows = coins.iter().map(|c| {
        let net = net.get(c).copied().unwrap_or_default();
        let (borrow, interest) = a.isolated.owed(c);
        let available = net + borrow + interest;
        json!({"symbol": BITGET_ISOLATED_PAIR, "coin": c, "totalAmount": s(available), "available": s(available),
               "frozen": "0", "borrow": s(borrow), "interest": s(interest), "net": s(net), "cTime": t, "uTime": t,
               "coupon": "0"})
    });
    Ok(Value::Array(rows.collect()))
}

/// `GET /api/v2/margin/isolated/financial-records`: `symbol` required; `marginType` and `coin` narrow it.
pub(in crate::bitget) fn isolated_flow(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let ours = pair(ctx)?;
    let (a, b) = margin_window(ctx)?;
    limit(ctx, 100, 500)?;
    uint(ctx, "idLessThan")?;
    let (ty, coin) = (ctx.params.get("marginType"), ctx.params.get("coin"));
    let rows: Vec<&BitgetMarginFlow> = acct(ctx)
        .isolated
        .flows
        .iter()
        .filter(|f| ours && f.time >= a && f.time <= b && ty.is_none_or(|t| t == f.kind))
        .filter(|f| coin.is_none_or(|c| c.eq_ignore_ascii_case(&f.coin)))
        .collect();
    Ok(listed(
        ctx,
        "resultList",
        rows,
        |f| f.id,
        |f| {
            json!({"coin": &*f.coin, "symbol": BITGET_ISOLATED_PAIR, "marginId": f.id.to_string(), "amount": s(f.amount),
               "balance": "0", "fee": s(f.fee), "marginType": f.kind, "cTime": f.time.to_string(),
               "uTime": f.time.to_string()})
        },
    ))
}

/// `GET /api/v2/margin/isolated/interest-history`: `symbol` required; `coin` narrows it.
pub(in crate::bitget) fn isolated_interest(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let ours = pair(ctx)?;
    let (a, b) = margin_window(ctx)?;
    limit(ctx, 100, 500)?;
    uint(ctx, "idLessThan")?;
    let coin = ctx.params.get("coin");
    let rows: Vec<&BitgetMarginInterest> = acct(ctx)
        .isolated
        .interest
        .iter()
        .filter(|i| ours && i.time >= a && i.time <= b && coin.is_none_or(|c| c.eq_ignore_ascii_case(&i.coin)))
        .collect();
    Ok(listed(
        ctx,
        "resultList",
        rows,
        |i| i.id,
        |i| {
            json!({"interestId": i.id.to_string(), "symbol": BITGET_ISOLATED_PAIR, "loanCoin": &*i.coin,
               "interestCoin": &*i.coin, "dailyInterestRate": "0.0003", "interestAmount": s(i.amount),
               "interstType": i.kind, "uTime": i.time.to_string(), "cTime": i.time.to_string()})
        },
    ))
}

/// `GET /api/v2/margin/isolated/fills`: `symbol` required.
pub(in crate::bitget) fn isolated_fills(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let ours = pair(ctx)?;
    let (a, b) = margin_window(ctx)?;
    limit(ctx, 100, 500)?;
    uint(ctx, "idLessThan")?;
    let order = uint(ctx, "orderId")?;
    let rows: Vec<&SpotFill> = acct(ctx)
        .isolated
        .fills
        .iter()
        .filter(|f| ours && f.time >= a && f.time <= b)
        .filter(|f| order.is_none_or(|o| o == f.order_id))
        .collect();
    Ok(listed(
        ctx,
        "fills",
        rows,
        |f| f.id,
        |f| {
            json!({"orderId": f.order_id.to_string(), "tradeId": f.id.to_string(), "symbol": BITGET_ISOLATED_PAIR,
               "orderType": "market", "side": if f.is_buyer { "buy" } else { "sell" }, "priceAvg": s(f.price),
               "size": s(f.qty), "amount": s(f.quote_qty), "tradeScope": "taker", "cTime": f.time.to_string(),
               "uTime": f.time.to_string(),
               "feeDetail": {"deduction": "no", "feeCoin": &*f.commission_asset, "totalDeductionFee": "0",
                             "totalFee": s(-f.commission)}})
        },
    ))
}
