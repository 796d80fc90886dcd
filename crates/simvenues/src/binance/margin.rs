//! The simulated Binance's cross and isolated margin reads (docs/venues.md §1.18), in the pages' shapes. The
//! generated world's isolated pairs have borrows, repays, interest, fills and a capital flow, no liquidation.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::endpoints::{acct, f8, int, limit};
use super::{ApiError, Ctx};
use crate::generator::{IsolatedPair, MarginInterest, MarginLoan};
use crate::market::DAY;

/// What the cross margin account owes per asset at the served time: (borrowed, interest), from its borrows, repays
/// and interest charged.
fn owed(ctx: &Ctx<'_>) -> BTreeMap<String, (Decimal, Decimal)> {
    let a = acct(ctx);
    owed_of(&a.margin_loans, &a.margin_interest)
}

/// What a margin account owes per asset, (borrowed, interest), from its `loans` and `interest` charged.
fn owed_of(loans: &[MarginLoan], interest: &[MarginInterest]) -> BTreeMap<String, (Decimal, Decimal)> {
    let mut out: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    for l in loans {
        let (borrowed, interest) = out.entry(l.asset.to_string()).or_default();
        if l.repay {
            *borrowed -= l.principal;
            *interest -= l.interest;
        } else {
            *borrowed += l.principal;
        }
    }
    for i in interest {
        out.entry(i.asset.to_string()).or_default().1 += i.interest;
    }
    out
}

/// A balance row of `asset`: its `netAsset` `n` (the wallet), with what it owes as `borrowed` and `interest` and the
/// rest `free`.
fn balance_row(asset: &str, n: Decimal, (borrowed, interest): (Decimal, Decimal)) -> Value {
    json!({"asset": asset, "borrowed": f8(borrowed), "free": f8(n + borrowed + interest), "interest": f8(interest),
           "locked": f8(Decimal::ZERO), "netAsset": f8(n)})
}

/// `GET /sapi/v1/margin/account`: each asset's `netAsset` (the wallet), with what it owes as `borrowed` and
/// `interest` and the rest `free`; `created: false` for an account that never used margin.
pub(super) fn account(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let a = acct(ctx);
    let empty = BTreeMap::new();
    let net = a.wallets.get("margin").unwrap_or(&empty);
    let owed = owed(ctx);
    let assets: std::collections::BTreeSet<&String> = net.keys().chain(owed.keys()).collect();
    let rows: Vec<Value> = assets
        .into_iter()
        .map(|asset| {
            let n = net.get(asset).copied().unwrap_or_default();
            balance_row(asset, n, owed.get(asset).copied().unwrap_or_default())
        })
        .collect();
    let created = a.wallets.contains_key("margin") || !a.margin_loans.is_empty();
    Ok(json!({"created": created, "borrowEnabled": true, "marginLevel": "999.00000000", "totalAssetOfBtc": "0",
              "totalLiabilityOfBtc": "0", "totalNetAssetOfBtc": "0", "tradeEnabled": true, "transferInEnabled": true,
              "transferOutEnabled": true, "accountType": "MARGIN_1", "userAssets": if created { rows } else { vec![] }}))
}

/// `GET /sapi/v1/margin/isolated/account`: each pair of the account (at most 5 `symbols`, or all), its base and
/// quote assets' rows as the cross account's (`netAsset` the pair's wallet).
pub(super) fn isolated_account(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let a = acct(ctx);
    let wanted: Option<Vec<&str>> = ctx.params.get("symbols").map(|s| s.split(',').collect());
    if wanted.as_ref().is_some_and(|w| w.len() > 5) {
        return Err(ApiError::invalid("symbols"));
    }
    let empty = BTreeMap::new();
    let mut assets = Vec::new();
    for (symbol, pair) in a.isolated.iter().filter(|(s, _)| wanted.as_ref().is_none_or(|w| w.contains(&&***s))) {
        let s = ctx.world.market.symbol(symbol).expect("listed symbol");
        let wallet = format!("isolated-{symbol}");
        let net = a.wallets.iter().find(|(w, _)| **w == wallet).map_or(&empty, |(_, b)| b);
        let owed = owed_of(&pair.loans, &pair.interest);
        let side = |asset: &str| {
            let n = net.get(asset).copied().unwrap_or_default();
            let mut row = balance_row(asset, n, owed.get(asset).copied().unwrap_or_default());
            row["borrowEnabled"] = json!(true);
            row["repayEnabled"] = json!(true);
            row["totalAsset"] = row["free"].clone();
            row
        };
        assets.push(json!({"baseAsset": side(&s.base), "quoteAsset": side(&s.quote), "symbol": &**symbol,
                           "isolatedCreated": true, "enabled": true, "marginLevel": "999.00000000",
                           "marginLevelStatus": "EXCESSIVE", "marginRatio": "0.00000000", "tradeEnabled": true}));
    }
    Ok(json!({"assets": assets, "totalAssetOfBtc": "0", "totalLiabilityOfBtc": "0", "totalNetAssetOfBtc": "0"}))
}

/// The isolated pair an `isolatedSymbol` names (`None`: cross margin), or an empty one when the account has no such
/// pair.
fn isolated_pair<'a>(ctx: &Ctx<'a>, param: &str) -> Option<&'a IsolatedPair> {
    static EMPTY: std::sync::OnceLock<IsolatedPair> = std::sync::OnceLock::new();
    let symbol = ctx.params.get(param)?;
    Some(
        acct(ctx)
            .isolated
            .iter()
            .find(|(s, _)| &***s == symbol)
            .map_or_else(|| EMPTY.get_or_init(Default::default), |(_, p)| p),
    )
}

/// `{"rows": [...], "total": n}`: one page (`current` from 1, `size` default 10, at most 100) of `rows` given
/// oldest first, served newest first.
fn rows_page(ctx: &Ctx<'_>, rows: Vec<Value>) -> Result<Value, ApiError> {
    let current = int(ctx, "current")?.unwrap_or(1).max(1) as usize;
    let size = int(ctx, "size")?.unwrap_or(10).clamp(1, 100) as usize;
    let total = rows.len();
    let page: Vec<Value> = rows.into_iter().rev().skip((current - 1) * size).take(size).collect();
    Ok(json!({"rows": page, "total": total}))
}

/// `GET /sapi/v1/margin/borrow-repay`: `type` mandatory, `txId` or `startTime` required; without an `asset` the rows
/// of the 7 days before `endTime` (30 with one).
pub(super) fn borrow_repay(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let repay = match ctx.params.get("type") {
        Some("BORROW") => false,
        Some("REPAY") => true,
        Some(_) => return Err(ApiError::invalid("type")),
        None => return Err(ApiError::mandatory("type")),
    };
    let tx = int(ctx, "txId")?;
    let Some(start) = int(ctx, "startTime")?.or(tx.map(|_| 0)) else {
        return Err(ApiError::mandatory("startTime"));
    };
    let end = int(ctx, "endTime")?.unwrap_or(ctx.req.now);
    let days = if ctx.params.get("asset").is_some() { 30 } else { 7 };
    let start = start.max(end - days * DAY);
    let asset = ctx.params.get("asset");
    let pair = isolated_pair(ctx, "isolatedSymbol");
    let loans = pair.map_or(&acct(ctx).margin_loans, |p| &p.loans);
    let rows = loans
        .iter()
        .filter(|l| l.repay == repay && tx.is_none_or(|t| l.tx_id as i64 == t))
        .filter(|l| l.time >= start && l.time <= end && asset.is_none_or(|a| a == &*l.asset))
        .map(|l| {
            let mut row = json!({"type": "MANUAL", "amount": f8(l.principal + l.interest), "asset": &*l.asset,
                                 "interest": f8(l.interest), "principal": f8(l.principal), "status": "CONFIRMED",
                                 "timestamp": l.time, "txId": l.tx_id});
            if pair.is_some() {
                row["isolatedSymbol"] = json!(ctx.params.get("isolatedSymbol"));
            }
            row
        })
        .collect();
    rows_page(ctx, rows)
}

/// `GET /sapi/v1/margin/interestHistory`: at most 30 days between `startTime` and `endTime` (without them the last
/// 7 days; with `startTime` alone up to now).
pub(super) fn interest_history(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let now = ctx.req.now;
    let (s, e) = match (int(ctx, "startTime")?, int(ctx, "endTime")?) {
        (Some(s), Some(e)) => (s, e),
        (Some(s), None) => (s.max(now - 30 * DAY), now),
        (None, Some(e)) => (e - 7 * DAY, e),
        (None, None) => (now - 7 * DAY, now),
    };
    if e - s > 30 * DAY || e < s {
        return Err(ApiError::hours(30 * 24));
    }
    let pair = isolated_pair(ctx, "isolatedSymbol");
    let interest = pair.map_or(&acct(ctx).margin_interest, |p| &p.interest);
    let rows = interest
        .iter()
        .filter(|i| i.time >= s && i.time <= e)
        .map(|i| {
            let mut row = json!({"txId": i.tx_id, "interestAccuredTime": i.time, "asset": &*i.asset,
                                 "rawAsset": &*i.asset, "principal": f8(i.principal), "interest": f8(i.interest),
                                 "interestRate": "0.00001000", "type": i.kind});
            if pair.is_some() {
                row["isolatedSymbol"] = json!(ctx.params.get("isolatedSymbol"));
            }
            row
        })
        .collect();
    rows_page(ctx, rows)
}

/// `GET /sapi/v1/margin/myTrades`: `symbol` mandatory; from `fromId` (ids ≥ it), in a window under 24 hours, or the
/// last 24 hours; the rows have no quote quantity (the page's shape).
pub(super) fn my_trades(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let s = ctx.params.get("symbol").ok_or_else(|| ApiError::mandatory("symbol"))?;
    if !ctx.world.binance_spot.iter().any(|x| &**x == s) {
        return Err(ApiError::bad(-1121, "Invalid symbol."));
    }
    let isolated = match ctx.params.get("isIsolated") {
        None | Some("FALSE") => false,
        Some("TRUE") => true,
        Some(_) => return Err(ApiError::invalid("isIsolated")),
    };
    let limit = limit(ctx, 500, 1000)?;
    let (from_id, start, end) = (int(ctx, "fromId")?, int(ctx, "startTime")?, int(ctx, "endTime")?);
    let empty = Vec::new();
    let fills = if isolated {
        acct(ctx).isolated.get(s).map_or(&empty, |p| &p.trades)
    } else {
        acct(ctx).margin_trades.get(s).unwrap_or(&empty)
    };
    let picked: Vec<_> = if let Some(f) = from_id {
        fills.iter().filter(|r| r.id as i64 >= f).take(limit).collect()
    } else {
        let e = end.unwrap_or(ctx.req.now);
        let st = start.unwrap_or(e - DAY);
        if e - st > DAY || e < st {
            return Err(ApiError::hours(24));
        }
        fills.iter().filter(|r| r.time >= st && r.time <= e).take(limit).collect()
    };
    let rows = picked
        .iter()
        .map(|f| {
            json!({"commission": f8(f.commission), "commissionAsset": &*f.commission_asset, "id": f.id,
                   "isBestMatch": true, "isBuyer": f.is_buyer, "isMaker": f.is_maker, "orderId": f.order_id,
                   "price": f8(f.price), "qty": f8(f.qty), "symbol": s, "isIsolated": isolated, "time": f.time})
        })
        .collect();
    Ok(Value::Array(rows))
}

/// `GET /sapi/v1/margin/forceLiquidationRec`: the cross account's liquidation orders in `startTime`..`endTime`; an
/// isolated pair's (`isolatedSymbol`) none (the generated pairs are never liquidated).
pub(super) fn force_liquidations(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let (s, e) = (int(ctx, "startTime")?.unwrap_or(0), int(ctx, "endTime")?.unwrap_or(ctx.req.now));
    let isolated = ctx.params.get("isolatedSymbol").is_some();
    let rows = acct(ctx)
        .margin_liquidations
        .iter()
        .filter(|l| !isolated && l.time >= s && l.time <= e)
        .map(|l| {
            json!({"avgPrice": f8(l.price), "executedQty": f8(l.qty), "orderId": l.order_id, "price": f8(l.price),
                   "qty": f8(l.qty), "side": if l.buy { "BUY" } else { "SELL" }, "symbol": &*l.symbol,
                   "timeInForce": "IOC", "isIsolated": false, "updatedTime": l.time})
        })
        .collect();
    rows_page(ctx, rows)
}

/// `GET /sapi/v1/margin/capital-flow`: the last 90 days only; from `fromId` the rows with a larger id, oldest first,
/// else the latest; at most `limit` (default 500, max 1000).
pub(super) fn capital_flow(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let now = ctx.req.now;
    let limit = limit(ctx, 500, 1000)?;
    let (start, end) = (int(ctx, "startTime")?.unwrap_or(0).max(now - 90 * DAY), int(ctx, "endTime")?.unwrap_or(now));
    // `symbol` asks for an isolated pair's flows
    let flows = isolated_pair(ctx, "symbol").map_or(&acct(ctx).margin_flows, |p| &p.flows);
    let flows: Vec<_> = flows
        .iter()
        .filter(|f| f.time >= start && f.time <= end)
        .filter(|f| ctx.params.get("type").is_none_or(|t| t == f.kind))
        .collect();
    let picked: Vec<_> = match int(ctx, "fromId")? {
        Some(from) => flows.into_iter().filter(|f| f.id as i64 > from).take(limit).collect(),
        None => {
            let n = flows.len();
            flows.into_iter().skip(n.saturating_sub(limit)).collect()
        }
    };
    let rows = picked
        .iter()
        .map(|f| {
            let mut row = json!({"id": f.id, "tranId": f.tran_id, "timestamp": f.time, "asset": &*f.asset,
                                 "type": f.kind, "amount": f8(f.amount)});
            if let Some(s) = &f.symbol {
                row["symbol"] = json!(&**s);
            }
            row
        })
        .collect();
    Ok(Value::Array(rows))
}
