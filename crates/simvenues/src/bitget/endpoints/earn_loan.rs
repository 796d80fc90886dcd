//! Bitget Earn crypto loans (docs/venues.md §2.17) in the pages' shapes: `data` a list. The open loans (`orderId`,
//! `loanCoin`, `pledgeCoin` filtering); the loan history and the repays, `startTime` and `endTime` required (at most
//! three months apart, no further back than three months), `pageNo` with `pageSize` (default 10, at most 100), newest
//! first. The loan history lists the loans repaid (`status` `REPAY`); an open loan is on the open loans' page only
//! (**UNCONFIRMED**, docs/venues.md §5).

use super::*;
use crate::generator::EarnLoan;

/// `pageNo` (from 1) and `pageSize` (default 10, at most 100).
fn page_no(ctx: &Ctx<'_>) -> Result<(usize, usize), ApiError> {
    let no = uint(ctx, "pageNo")?.unwrap_or(1).max(1) as usize;
    let size = uint(ctx, "pageSize")?.map(|l| (l as usize).clamp(1, 100)).unwrap_or(10);
    Ok((no, size))
}

/// The loans whose `orderId`, `loanCoin` and `pledgeCoin` match the filters given.
fn filtered<'a>(ctx: &Ctx<'a>) -> impl Iterator<Item = &'a EarnLoan> + use<'a> {
    let (order, loan, pledge) = (ctx.params.get("orderId"), ctx.params.get("loanCoin"), ctx.params.get("pledgeCoin"));
    let (order, loan, pledge) = (order.map(str::to_string), loan.map(str::to_string), pledge.map(str::to_string));
    acct(ctx).earn_loans.iter().filter(move |l| {
        order.as_ref().is_none_or(|o| *o == l.id.to_string())
            && loan.as_ref().is_none_or(|c| c.eq_ignore_ascii_case(&l.loan_coin))
            && pledge.as_ref().is_none_or(|c| c.eq_ignore_ascii_case(&l.pledge_coin))
    })
}

/// One page of `rows` (already newest first) by `pageNo`.
fn numbered(rows: Vec<Value>, (no, size): (usize, usize)) -> Value {
    Value::Array(rows.into_iter().skip((no - 1) * size).take(size).collect())
}

/// `GET /api/v2/earn/loan/ongoing-orders`: the open loans, their interest accrued until now.
pub(in crate::bitget) fn loan_orders(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let now = ctx.req.now;
    let rows: Vec<Value> = filtered(ctx)
        .filter(|l| l.repay.is_none())
        .map(|l| {
            json!({"orderId": l.id.to_string(), "loanCoin": &*l.loan_coin, "loanAmount": s(l.loan_amount),
                   "interestAmount": s(l.interest_at(now)), "hourInterestRate": s(l.hour_rate * Decimal::from(100)),
                   "pledgeCoin": &*l.pledge_coin, "pledgeAmount": s(l.pledge_amount), "pledgeRate": "50",
                   "supRate": "75", "forceRate": "83", "borrowTime": l.time.to_string(),
                   "expireTime": (l.time + 7 * DAY).to_string()})
        })
        .collect();
    Ok(Value::Array(rows))
}

/// `GET /api/v2/earn/loan/borrow-history`: the loans repaid, taken in the window.
pub(in crate::bitget) fn loan_history(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let (a, b) = window(ctx, true, 90, 90, 90)?;
    let pages = page_no(ctx)?;
    let mut loans: Vec<&EarnLoan> = filtered(ctx).filter(|l| l.repay.is_some() && l.time >= a && l.time <= b).collect();
    if ctx.params.get("status").is_some_and(|s| s != "REPAY") {
        loans.clear();
    }
    loans.sort_by_key(|l| std::cmp::Reverse((l.time, l.id)));
    let rows = loans
        .into_iter()
        .map(|l| {
            json!({"orderId": l.id.to_string(), "loanCoin": &*l.loan_coin, "pledgeCoin": &*l.pledge_coin,
                   "initPledgeAmount": s(l.pledge_amount), "initLoanAmount": s(l.loan_amount),
                   "hourRate": s(l.hour_rate * Decimal::from(100)), "daily": "7", "borrowTime": l.time.to_string(),
                   "status": "REPAY"})
        })
        .collect();
    Ok(numbered(rows, pages))
}

/// `GET /api/v2/earn/loan/repay-history`: the repays in the window.
pub(in crate::bitget) fn loan_repays(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let (a, b) = window(ctx, true, 90, 90, 90)?;
    let pages = page_no(ctx)?;
    let mut repays: Vec<(&EarnLoan, &crate::generator::EarnLoanRepay)> = filtered(ctx)
        .filter_map(|l| l.repay.as_ref().map(|r| (l, r)))
        .filter(|(_, r)| r.time >= a && r.time <= b)
        .collect();
    repays.sort_by_key(|(l, r)| std::cmp::Reverse((r.time, l.id)));
    let rows = repays
        .into_iter()
        .map(|(l, r)| {
            json!({"orderId": l.id.to_string(), "loanCoin": &*l.loan_coin, "pledgeCoin": &*l.pledge_coin,
                   "repayAmount": s(r.principal + r.interest), "payInterest": s(r.interest),
                   "repayLoanAmount": s(r.principal), "repayUnlockAmount": s(r.unlocked),
                   "repayTime": r.time.to_string()})
        })
        .collect();
    Ok(numbered(rows, pages))
}
