//! The simulated Binance's fiat, card purchase, P2P and Pay histories (docs/venues.md §1.15), in the pages' shapes:
//! `{"code": "000000", "message": "success", "data": [...], "total": n, "success": true}` (Pay without `total`),
//! newest first (the pages do not state an order).

use serde_json::{Value, json};

use super::endpoints::{acct, f8, int, limit};
use super::{ApiError, Ctx};
use crate::market::DAY;

fn envelope(data: Vec<Value>, total: Option<usize>) -> Value {
    let mut v = json!({"code": "000000", "message": "success", "data": data, "success": true});
    if let Some(total) = total {
        v["total"] = json!(total);
    }
    v
}

/// The mandatory `transactionType`: `0` or `1`.
fn transaction_type(ctx: &Ctx<'_>) -> Result<bool, ApiError> {
    match ctx.params.get("transactionType") {
        None => Err(ApiError::mandatory("transactionType")),
        Some("0") => Ok(false),
        Some("1") => Ok(true),
        Some(_) => Err(ApiError::invalid("transactionType")),
    }
}

/// `beginTime`/`endTime` of the fiat histories: without both, the last 30 days; no longest span is stated.
fn fiat_window(ctx: &Ctx<'_>) -> Result<(i64, i64), ApiError> {
    let now = ctx.req.now;
    let (s, e) = match (int(ctx, "beginTime")?, int(ctx, "endTime")?) {
        (Some(s), Some(e)) => (s, e),
        (Some(s), None) => (s, now),
        (None, Some(e)) => (e - 30 * DAY, e),
        (None, None) => (now - 30 * DAY, now),
    };
    if e < s {
        return Err(ApiError::invalid("endTime"));
    }
    Ok((s, e))
}

/// One page (`page` from 1, `rows` default 100, at most 500) of `rows`, newest first, with their total.
fn fiat_page(ctx: &Ctx<'_>, rows: Vec<Value>) -> Result<Value, ApiError> {
    let page = int(ctx, "page")?.unwrap_or(1).max(1) as usize;
    let size = int(ctx, "rows")?.unwrap_or(100).clamp(1, 500) as usize;
    let total = rows.len();
    let data = rows.into_iter().rev().skip((page - 1) * size).take(size).collect();
    Ok(envelope(data, Some(total)))
}

/// `GET /sapi/v1/fiat/orders`.
pub(super) fn orders(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let withdraw = transaction_type(ctx)?;
    let (s, e) = fiat_window(ctx)?;
    let rows = acct(ctx)
        .fiat_orders
        .iter()
        .filter(|o| o.withdraw == withdraw && o.time >= s && o.time <= e)
        .map(|o| {
            json!({"orderNo": o.order_no, "fiatCurrency": &*o.fiat, "indicatedAmount": o.indicated.to_string(),
                   "amount": o.amount.to_string(), "totalFee": o.fee.to_string(), "method": "BankAccount",
                   "status": o.status, "createTime": o.time, "updateTime": o.time})
        })
        .collect();
    fiat_page(ctx, rows)
}

/// `GET /sapi/v1/fiat/payments`.
pub(super) fn payments(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let sell = transaction_type(ctx)?;
    let (s, e) = fiat_window(ctx)?;
    let rows = acct(ctx)
        .fiat_payments
        .iter()
        .filter(|p| p.sell == sell && p.time >= s && p.time <= e)
        .map(|p| {
            let mut row = json!({"orderNo": p.order_no, "sourceAmount": p.source_amount.to_string(),
                "fiatCurrency": &*p.fiat, "obtainAmount": p.obtain_amount.to_string(), "cryptoCurrency": &*p.crypto,
                "totalFee": p.fee.to_string(), "price": p.price.to_string(), "status": "Completed",
                "createTime": p.time, "updateTime": p.time});
            // only a purchase's row says how it was paid
            if !sell {
                row["paymentMethod"] = json!("Credit Card");
            }
            row
        })
        .collect();
    fiat_page(ctx, rows)
}

/// `GET /sapi/v1/c2c/orderMatch/listUserOrderHistory`: at most 30 days between `startTime` and `endTime` (without
/// them, the last 7 days), 200 rows a page by `page`.
pub(super) fn p2p(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let now = ctx.req.now;
    let (s, e) = match (int(ctx, "startTime")?, int(ctx, "endTime")?) {
        (Some(s), Some(e)) => (s, e),
        (Some(s), None) => (s, (s + 30 * DAY).min(now)),
        (None, Some(e)) => (e - 7 * DAY, e),
        (None, None) => (now - 7 * DAY, now),
    };
    if e - s > 30 * DAY || e < s {
        return Err(ApiError::hours(30 * 24));
    }
    let page = int(ctx, "page")?.unwrap_or(1).max(1) as usize;
    let rows: Vec<Value> = acct(ctx)
        .p2p
        .iter()
        .filter(|p| p.time >= s && p.time <= e)
        .map(|p| {
            json!({"orderNumber": p.order_number, "advNo": format!("1{}", p.order_number),
                   "tradeType": if p.buy { "BUY" } else { "SELL" }, "asset": &*p.asset, "fiat": &*p.fiat,
                   "fiatSymbol": "€", "amount": f8(p.amount), "totalPrice": f8(p.total_price),
                   "unitPrice": p.unit_price.to_string(), "orderStatus": "COMPLETED", "createTime": p.time,
                   "commission": p.commission.to_string(), "counterPartNickName": "Ma***",
                   "advertisementRole": if p.commission.is_zero() { "TAKER" } else { "MAKER" }})
        })
        .collect();
    let total = rows.len();
    let data = rows.into_iter().rev().skip((page - 1) * 200).take(200).collect();
    Ok(envelope(data, Some(total)))
}

/// `GET /sapi/v1/pay/transactions`: at most 90 days between `startTime` and `endTime` (without them, the last 90
/// days), `limit` default and max 100, no paging parameter: the newest `limit` rows of the window.
pub(super) fn pay(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let now = ctx.req.now;
    let (s, e) = match (int(ctx, "startTime")?, int(ctx, "endTime")?) {
        (Some(s), Some(e)) => (s, e),
        (Some(s), None) => (s, (s + 90 * DAY).min(now)),
        (None, Some(e)) => (e - 90 * DAY, e),
        (None, None) => (now - 90 * DAY, now),
    };
    if e - s > 90 * DAY || e < s {
        return Err(ApiError::hours(90 * 24));
    }
    let limit = limit(ctx, 100, 100)?;
    let data = acct(ctx)
        .pay
        .iter()
        .filter(|p| p.time >= s && p.time <= e)
        .rev()
        .take(limit)
        .map(|p| {
            let (payer, receiver) = if p.amount.is_sign_negative() {
                (json!({"binanceId": "350000001"}), json!({"name": "Merchant", "type": "MERCHANT"}))
            } else {
                (json!({"name": "Friend", "type": "USER", "accountId": "67736251"}), json!({"binanceId": "350000001"}))
            };
            let wallet_types: Vec<u8> = p.wallets.iter().map(|w| w.0).collect();
            let costs: Vec<Value> = p.wallets.iter().map(|(w, a)| json!({w.to_string(): f8(a.abs())})).collect();
            json!({"orderType": p.order_type, "transactionId": p.id, "transactionTime": p.time,
                   "amount": f8(p.amount), "currency": &*p.currency, "walletType": wallet_types[0],
                   "walletTypes": wallet_types,
                   "fundsDetail": [{"currency": &*p.currency, "amount": f8(p.amount.abs()), "walletAssetCost": costs}],
                   "payerInfo": payer, "receiverInfo": receiver})
        })
        .collect();
    Ok(envelope(data, None))
}
