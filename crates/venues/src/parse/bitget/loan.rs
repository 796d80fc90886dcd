//! Bitget Earn crypto loans (docs/venues.md §2.17; the accounting in docs/accounting.md §8f): a loan is the wallet
//! `loan` (`bitget/{label}/loan`), which holds the collateral pledged and owes what was borrowed. A borrow is a `loan`
//! borrow there with the units moved on to spot (where Bitget credits them) and the collateral moved from spot into
//! it; a repay pays the interest and the principal from spot (interest charged, the units moved in, the repay) and
//! moves the collateral it releases back to spot. Every event's id is the loan wallet's,
//! `bitget/{label}/loan:loan:{what}:{orderId}` (a repay's with its `repayTime`: its rows have no id of their own).

use super::*;
use catalogue::{BITGET_LOAN_BORROWS, BITGET_LOAN_ORDERS, BITGET_LOAN_REPAYS};
use ledger::LoanAction;

/// The crypto loans wallet (`bitget/{label}/loan`).
pub const LOAN_WALLET: &str = "loan";

/// The rows of a loan page (`data` a list; null or absent is none).
fn loan_rows<'a>(e: &'static str, data: &'a Value) -> Result<&'a Value, VenueError> {
    static EMPTY: Value = Value::Array(Vec::new());
    match data {
        Value::Null => Ok(&EMPTY),
        Value::Array(_) => Ok(data),
        _ => Err(VenueError::malformed(V, e, "expected a list")),
    }
}

/// The events of a loan taken (`loan`, `spot`: the wallets): the borrow of `amount` of `coin` in `loan`, the units
/// moved to spot, and the collateral (`pledge` of `pledge_coin`) moved from spot into `loan`; ids
/// `…:loan:borrow:{orderId}`, `…:loan:borrowed:{orderId}`, `…:loan:pledge:{orderId}` (in that order at one time).
fn borrowed(page: &mut Page, label: &str, order: &str, time: i64, loan: (String, Decimal), pledge: (String, Decimal)) {
    let (acc, spot) = (account(V, label, LOAN_WALLET), account(V, label, "spot"));
    let id = |what: &str| ids::row(&acc, "loan", &format!("{what}:{order}"));
    let ((coin, amount), (pledge_coin, pledged)) = (loan, pledge);
    if !amount.is_zero() {
        let borrow = EventKind::Loan { action: LoanAction::Borrow, asset: coin.clone().into(), amount, interest: None };
        page.push(id("borrow"), time, acc.clone(), borrow);
        let out =
            EventKind::Transfer { from_account: acc.clone(), to_account: spot.clone(), asset: coin.into(), amount };
        page.push(id("borrowed"), time, acc.clone(), out);
    }
    if !pledged.is_zero() {
        let kind = EventKind::Transfer {
            from_account: spot.clone(),
            to_account: acc.clone(),
            asset: pledge_coin.into(),
            amount: pledged,
        };
        page.push(id("pledge"), time, spot, kind);
    }
}

/// `GET /api/v2/earn/loan/ongoing-orders` (`data` a list): each open loan's collateral (`pledgeAmount` of
/// `pledgeCoin`) held in the `loan` wallet and its principal (`loanAmount` of `loanCoin`) owed, a negative holding
/// (net of what is owed, as margin's). The interest accrued (`interestAmount`) is not counted: it is booked when it is
/// paid, with the repay (docs/venues.md §2.17, **UNCONFIRMED** that `loanAmount` leaves it out).
pub fn loan_balances(data: &Value, label: &str, out: &mut Balances) -> Result<(), VenueError> {
    const E: &str = BITGET_LOAN_ORDERS.path;
    let acc = account(V, label, LOAN_WALLET);
    for r in rows(V, E, loan_rows(E, data)?)? {
        let r = r?;
        add_balance(out, &acc.0, r.asset("pledgeCoin")?, r.dec("pledgeAmount")?);
        add_balance(out, &acc.0, r.asset("loanCoin")?, -r.dec("loanAmount")?);
    }
    Ok(())
}

/// `GET /api/v2/earn/loan/ongoing-orders` as a history: each open loan taken at `borrowTime`, its `loanAmount` of
/// `loanCoin` borrowed and its `pledgeAmount` of `pledgeCoin` pledged ([`borrowed`]'s events). The same ids as the
/// loan history's ([`loan_history`]), which lists the loan once it is closed: the ledger keeps one. The amounts are
/// the current ones (**UNCONFIRMED** that a loan partly repaid or whose collateral was changed before the sync first
/// saw it is rare: its residual in `loan` names it).
pub fn loan_orders(data: &Value, label: &str) -> Result<Page, VenueError> {
    const E: &str = BITGET_LOAN_ORDERS.path;
    let page = Page::default();
    page.each(V, E, loan_rows(E, data)?, |page, r| {
        let order = r.text("orderId")?;
        let time = page.noted(r.ms("borrowTime")?);
        let loan = (r.asset("loanCoin")?, r.dec("loanAmount")?);
        let pledge = (r.asset("pledgeCoin")?, r.dec("pledgeAmount")?);
        borrowed(page, label, &order, time, loan, pledge);
        Ok(())
    })
}

/// `GET /api/v2/earn/loan/borrow-history` (`data` a list, paged by `pageNo`): each loan taken at `borrowTime`, its
/// `initLoanAmount` of `loanCoin` borrowed and `initPledgeAmount` of `pledgeCoin` pledged ([`borrowed`]'s events).
/// `status` `REPAY` (repaid) and `FORCE` (liquidated: the liquidation records are not read, docs/venues.md §2.17) are
/// loans taken; `ROLLBACK` (a failed borrow) moved nothing and gives no event. Any other status is booked as a loan
/// taken, with a warning naming it.
pub fn loan_history(data: &Value, label: &str) -> Result<Page, VenueError> {
    const E: &str = BITGET_LOAN_BORROWS.path;
    let page = Page::default();
    page.each(V, E, loan_rows(E, data)?, |page, r| {
        let order = r.text("orderId")?;
        let time = page.noted(r.ms("borrowTime")?);
        let status = r.opt_text("status").unwrap_or_default();
        match status.as_str() {
            "ROLLBACK" => return Ok(()),
            "REPAY" | "FORCE" => {}
            other => page.warnings.push(format!("{E} order {order}: unknown status {other:?}, booked as a loan taken")),
        }
        let loan = (r.asset("loanCoin")?, r.dec("initLoanAmount")?);
        let pledge = (r.asset("pledgeCoin")?, r.dec("initPledgeAmount")?);
        borrowed(page, label, &order, time, loan, pledge);
        Ok(())
    })
}

/// `GET /api/v2/earn/loan/repay-history` (`data` a list, paged by `pageNo`): each repay at `repayTime`, in this order
/// at that time: the interest paid (`payInterest` of `loanCoin`) charged to the loan, an expense (`…:interest:…`);
/// the principal and the interest moved from spot into `loan` (`…:pay:…`); the `loan` repay of `repayLoanAmount`
/// with that interest (`…:repay:…`); the collateral released (`repayUnlockAmount` of `pledgeCoin`) moved back to spot
/// (`…:unlock:…`). Ids end `{orderId}:{repayTime}`. What left spot is read as `repayLoanAmount + payInterest`, the
/// parts, not `repayAmount` (the page's sample does not add up: docs/venues.md §2.17).
pub fn loan_repays(data: &Value, label: &str) -> Result<Page, VenueError> {
    const E: &str = BITGET_LOAN_REPAYS.path;
    let (acc, spot) = (account(V, label, LOAN_WALLET), account(V, label, "spot"));
    let page = Page::default();
    page.each(V, E, loan_rows(E, data)?, |page, r| {
        let order = r.text("orderId")?;
        let time = page.noted(r.ms("repayTime")?);
        let (coin, pledge_coin) = (r.asset("loanCoin")?, r.asset("pledgeCoin")?);
        let (principal, interest) = (r.dec("repayLoanAmount")?, r.opt_dec("payInterest")?);
        let unlocked = r.opt_dec("repayUnlockAmount")?;
        let id = |what: &str| ids::row(&acc, "loan", &format!("{what}:{order}:{time}"));
        if !interest.is_zero() {
            let kind = EventKind::Loan {
                action: LoanAction::Interest,
                asset: coin.clone().into(),
                amount: interest,
                interest: None,
            };
            page.push(id("interest"), time, acc.clone(), kind);
        }
        let paid = principal + interest;
        if !paid.is_zero() {
            let kind = EventKind::Transfer {
                from_account: spot.clone(),
                to_account: acc.clone(),
                asset: coin.clone().into(),
                amount: paid,
            };
            page.push(id("pay"), time, spot.clone(), kind);
            let interest = (!interest.is_zero()).then_some(interest);
            let kind =
                EventKind::Loan { action: LoanAction::Repay, asset: coin.clone().into(), amount: principal, interest };
            page.push(id("repay"), time, acc.clone(), kind);
        }
        if !unlocked.is_zero() {
            let kind = EventKind::Transfer {
                from_account: acc.clone(),
                to_account: spot.clone(),
                asset: pledge_coin.into(),
                amount: unlocked,
            };
            page.push(id("unlock"), time, acc.clone(), kind);
        }
        Ok(())
    })
}
