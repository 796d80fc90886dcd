//! The simulated Bitget's isolated margin reads (docs/venues.md §2.18): the cross margin reads' shapes
//! ([`super::margin`]) with the pair in each row (`symbol`), under `/api/v2/margin/isolated/`. The finance flow, the
//! interest history and the fills need `symbol` (the flow's page says so; the other two are taken as the flow,
//! UNCONFIRMED); the assets list every pair, `symbol` narrowing it. An account without isolated margin has no rows.

use super::margin::{Served, fills_page, flow_page, interest_page};
use super::*;
use crate::generator::{BITGET_ISOLATED_PAIR, BITGET_ISOLATED_WALLET};

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

/// The pair's records, none when the request names another pair.
fn isolated<'a>(ctx: &Ctx<'a>) -> Result<Served<'a>, ApiError> {
    let none = !pair(ctx)?;
    Ok(Served { records: &acct(ctx).isolated, pair: Some(BITGET_ISOLATED_PAIR), daily_rate: "0.0003", none })
}

/// `GET /api/v2/margin/isolated/financial-records`: `symbol` required; `marginType` and `coin` narrow it.
pub(in crate::bitget) fn isolated_flow(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    flow_page(ctx, &isolated(ctx)?)
}

/// `GET /api/v2/margin/isolated/interest-history`: `symbol` required; `coin` narrows it.
pub(in crate::bitget) fn isolated_interest(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    interest_page(ctx, &isolated(ctx)?)
}

/// `GET /api/v2/margin/isolated/fills`: `symbol` required.
pub(in crate::bitget) fn isolated_fills(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    fills_page(ctx, &isolated(ctx)?)
}
