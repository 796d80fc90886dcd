//! Bitget's tax records (docs/venues.md §2.13): every balance change of the generated flows with its type, in the
//! documented shapes. `startTime` and `endTime` required, at most 30 days apart; `limit` default and maximum 500;
//! `idLessThan` pages down the ids, newest first. The spot record is made of the spot bills (deposits, withdrawals,
//! fills' legs, transfers), the converts' and BGB converts' two legs (`Exchange spending`, `Exchange income`), the
//! Earn savings and shark fin records (`Subscribe`, `Redemption`, `Interest`) and the income only the tax records
//! show; the futures record of each product type's bills; the margin record of cross margin's finance flow
//! (docs/venues.md §2.15), and with `marginType=isolated` of the isolated pair's (§2.18). P2P: the generated
//! accounts have none.

use super::*;

/// One tax row as served.
struct TaxRow<'a> {
    id: u64,
    time: i64,
    coin: &'a str,
    symbol: &'a str,
    ty: String,
    amount: Decimal,
    fee: Decimal,
}

/// A second leg's id: the first's in a range no other record uses.
const SECOND_LEG: u64 = 10_000_000_000_000_000;

fn spot_type(business_type: &str) -> &str {
    match business_type {
        "DEPOSIT" => "Deposit",
        "WITHDRAW" => "Withdrawal",
        "TRANSFER_IN" => "Transfer in",
        "TRANSFER_OUT" => "Transfer out",
        "BUY" => "Buy",
        "SELL" => "Sell",
        other => other,
    }
}

fn bill_row<'a>(b: &'a Bill, ty: String) -> TaxRow<'a> {
    let symbol = b.symbol.as_deref().unwrap_or("");
    TaxRow { id: b.id, time: b.time, coin: &b.coin, symbol, ty, amount: b.amount, fee: b.fee }
}

fn spot_rows(a: &BitgetAccount) -> Vec<TaxRow<'_>> {
    let mut rows: Vec<TaxRow<'_>> =
        a.spot_bills.iter().map(|b| bill_row(b, spot_type(b.business_type).into())).collect();
    let leg = |id, time, coin, ty: &str, amount, fee| TaxRow { id, time, coin, symbol: "", ty: ty.into(), amount, fee };
    for c in &a.converts {
        rows.push(leg(c.id, c.time, &*c.from_coin, "Exchange spending", -c.from_size, Decimal::ZERO));
        rows.push(leg(c.id + SECOND_LEG, c.time, &*c.to_coin, "Exchange income", c.to_size, Decimal::ZERO));
    }
    for c in &a.bgb_converts {
        rows.push(leg(c.order_id, c.time, &*c.from_coin, "Exchange spending", -c.from_amount, Decimal::ZERO));
        rows.push(leg(c.order_id + SECOND_LEG, c.time, "BGB", "Exchange income", c.to_amount, -c.fee));
    }
    rows.extend(a.tax_only.iter().map(|b| bill_row(b, b.business_type.into())));
    // copy trading (docs/venues.md §2.11): a follower's profit share paid from spot, a trader's received into it
    for o in a.copy_orders.iter().filter(|o| !o.share.is_zero()) {
        rows.push(leg(
            o.tracking_no + 2 * SECOND_LEG,
            o.close_time,
            "USDT",
            "Copy Trade expense",
            -o.share,
            Decimal::ZERO,
        ));
    }
    for p in &a.profit_shares {
        rows.push(leg(p.id + 2 * SECOND_LEG, p.time, &*p.coin, "Copy Trade profit", p.profit, Decimal::ZERO));
    }
    // Earn savings (docs/venues.md §2.14): what each record moves in spot
    for r in &a.savings {
        let (ty, amount) = match r.order_type {
            "subscribe" => ("Subscribe", -r.amount),
            "redeem" => ("Redemption", r.amount),
            _ => ("Interest", r.amount),
        };
        rows.push(leg(r.id, r.time, &*r.coin, ty, amount, Decimal::ZERO));
    }
    // Earn shark fin (docs/venues.md §2.16): the same types as the savings' (UNCONFIRMED, §5)
    for r in &a.sharkfin {
        let (ty, amount) = match r.kind {
            "subscription" => ("Subscribe", -r.amount),
            "redemption" => ("Redemption", r.amount),
            _ => ("Interest", r.amount),
        };
        rows.push(leg(r.id, r.time, &*r.coin, ty, amount, Decimal::ZERO));
    }
    rows
}

fn futures_type(b: &Bill) -> String {
    match b.business_type {
        "trans_from_exchange" => "TRANSFER_IN".into(),
        "trans_to_exchange" => "TRANSFER_OUT".into(),
        "contract_settle_fee" if b.amount.is_sign_negative() => "CONTRACT_MAIN_SETTLE_FEE_USER_OUT".into(),
        "contract_settle_fee" => "CONTRACT_MAIN_SETTLE_FEE_USER_IN".into(),
        other => other.to_ascii_uppercase(),
    }
}

/// The rows of `rows` in the request's window, coin and page, newest first.
fn tax_page<'a>(ctx: &Ctx<'_>, mut rows: Vec<TaxRow<'a>>, coin_param: &str) -> Result<Vec<TaxRow<'a>>, ApiError> {
    let (a, b) = window(ctx, true, 30, 30, 3650)?;
    let limit = limit(ctx, 500, 500)?;
    let cursor = uint(ctx, "idLessThan")?;
    let coin = ctx.params.get(coin_param);
    rows.retain(|r| r.time >= a && r.time <= b && coin.is_none_or(|c| c.eq_ignore_ascii_case(r.coin)));
    rows.sort_by_key(|r| r.id);
    let ids: Vec<u64> = page(rows.iter().map(|r| &r.id), |id| *id, cursor, limit).into_iter().copied().collect();
    rows.retain(|r| ids.contains(&r.id));
    rows.sort_by_key(|r| std::cmp::Reverse(r.id));
    Ok(ordered(ctx, rows))
}

/// `GET /api/v2/tax/spot-record`.
pub(in crate::bitget) fn spot_record(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let rows = tax_page(ctx, spot_rows(acct(ctx)), "coin")?;
    Ok(Value::Array(
        rows.iter()
            .map(|r| {
                json!({"id": r.id.to_string(), "coin": r.coin, "spotTaxType": r.ty, "amount": s(r.amount),
                       "fee": s(r.fee), "balance": "0", "bizOrderId": r.id.to_string(), "ts": r.time.to_string()})
            })
            .collect(),
    ))
}

/// `GET /api/v2/tax/future-record`: the bills of the `productType` asked (default `USDT-FUTURES`).
pub(in crate::bitget) fn future_record(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let pt = ctx.params.get("productType").unwrap_or("USDT-FUTURES");
    let a = acct(ctx);
    let bills: &[Bill] = if pt.eq_ignore_ascii_case("USDT-FUTURES") {
        &a.mix_bills
    } else {
        let wallet = BITGET_PRODUCTS.iter().find(|p| p.product_type.eq_ignore_ascii_case(pt)).map(|p| p.wallet);
        wallet.and_then(|w| a.product_futures.get(w)).map_or(&[], |p| &p.bills)
    };
    let rows = tax_page(ctx, bills.iter().map(|b| bill_row(b, futures_type(b))).collect(), "marginCoin")?;
    Ok(Value::Array(
        rows.iter()
            .map(|r| {
                json!({"id": r.id.to_string(), "symbol": r.symbol, "marginCoin": r.coin, "futureTaxType": r.ty,
                       "amount": s(r.amount), "fee": s(r.fee), "ts": r.time.to_string()})
            })
            .collect(),
    ))
}

/// The cross margin record's rows (docs/venues.md §2.15): the finance flow's, a repay split into its principal
/// (`repay`) and its interest (`interest_repay`, a second leg), as the tax page lists the types.
fn margin_rows<'a>(m: &'a crate::generator::BitgetMargin, pair: &'a str) -> Vec<TaxRow<'a>> {
    let mut rows = Vec::new();
    for f in &m.flows {
        let row = |id, ty: &str, amount, fee| TaxRow {
            id,
            time: f.time,
            coin: &f.coin,
            symbol: pair,
            ty: ty.into(),
            amount,
            fee,
        };
        rows.push(row(f.id, f.kind, f.amount - f.interest, f.fee));
        if !f.interest.is_zero() {
            rows.push(row(f.id + SECOND_LEG, "interest_repay", f.interest, Decimal::ZERO));
        }
    }
    rows
}

/// `GET /api/v2/tax/margin-record`: cross margin's rows (`marginType` `crossed`, the default), or the isolated pair's
/// (`isolated`, each row with its pair in `symbol`; docs/venues.md §2.18).
pub(in crate::bitget) fn margin_record(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let a = acct(ctx);
    let rows = match ctx.params.get("marginType") {
        None | Some("crossed") => margin_rows(&a.margin, crate::generator::BITGET_MARGIN_PAIR),
        Some("isolated") => margin_rows(&a.isolated, crate::generator::BITGET_ISOLATED_PAIR),
        Some(_) => return Err(ApiError::invalid("marginType")),
    };
    let rows = tax_page(ctx, rows, "coin")?;
    Ok(Value::Array(
        rows.iter()
            .map(|r| {
                json!({"id": r.id.to_string(), "coin": r.coin, "marginTaxType": r.ty, "amount": s(r.amount),
                       "fee": s(r.fee), "total": "0", "symbol": r.symbol, "ts": r.time.to_string()})
            })
            .collect(),
    ))
}

/// `GET /api/v2/tax/p2p-record`: the window checked, no rows.
pub(in crate::bitget) fn no_record(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    tax_page(ctx, Vec::new(), "coin")?;
    Ok(json!([]))
}
