//! Bitget Earn savings, flexible and fixed-term (docs/venues.md §2.14; the accounting in docs/accounting.md §8a):
//! the holdings are the `earn` wallet's balances, a subscription a transfer from spot into it, a redemption one back
//! to spot, interest income paid to spot. Every event's id is the earn wallet's
//! (`bitget/{label}/earn:savings:{periodType}:{orderType}:{orderId}`), wherever its money lands.

use super::*;
use catalogue::{BITGET_SAVINGS_ASSETS, BITGET_SAVINGS_RECORDS};

/// The savings products' `periodType`s: each is read on its own (the parameter is required on both pages).
pub const SAVINGS_PERIODS: [&str; 2] = ["flexible", "fixed"];

/// What a savings record's `orderType` is (the page's table), or `None` for a type it does not list.
fn savings_kind(order_type: &str) -> Option<SavingsKind> {
    Some(match order_type {
        "subscribe" => SavingsKind::Subscribe,
        "redeem" => SavingsKind::Redeem,
        "pay_interest" => SavingsKind::Interest,
        "deduction" => SavingsKind::Penalty,
        _ => return None,
    })
}

#[derive(Clone, Copy)]
enum SavingsKind {
    Subscribe,
    Redeem,
    Interest,
    Penalty,
}

/// `GET /api/v2/earn/savings/records` of one `periodType` (`{resultList, endId}`, paged by `idLessThan` = `endId`):
/// a `subscribe` is a transfer of `amount` of `coinName` from spot to `earn`, a `redeem` one from `earn` to spot,
/// a `pay_interest` interest income of `amount` of `settleCoinName` (or `coinName` when it is empty) in spot, a
/// `deduction` (a fixed-term product's penalty on early redemption) interest income of minus `amount` in spot. An
/// `orderType` the page does not list is kept as other income in `earn` of `amount`, its raw type in the id, with a
/// warning naming it.
pub fn savings_records(data: &Value, label: &str, period: &str) -> Result<Page, VenueError> {
    const E: &str = BITGET_SAVINGS_RECORDS.path;
    let (earn, spot) = (account(V, label, "earn"), account(V, label, "spot"));
    let (page, list) = super::copy::end_id_page(E, data, "resultList")?;
    page.each(V, E, list, |page, r| {
        let id = r.text("orderId")?;
        page.note_text_id(&id);
        let time = page.noted(r.ms("ts")?);
        let order_type = r.text("orderType")?;
        let (coin, amount) = (r.asset("coinName")?, r.dec("amount")?);
        let settle = r.opt_text("settleCoinName").map_or(Ok(coin.clone()), |_| r.asset("settleCoinName"))?;
        let event_id = ids::row(&earn, "savings", &format!("{period}:{}:{id}", super::tax::id_type(&order_type)));
        let transfer = |from: &AccountId, to: &AccountId| EventKind::Transfer {
            from_account: from.clone(),
            to_account: to.clone(),
            asset: coin.clone().into(),
            amount,
        };
        let interest = |amount| EventKind::Income {
            income_type: IncomeType::Interest,
            asset: settle.clone().into(),
            amount,
            symbol: None,
        };
        let (acc, kind) = match savings_kind(&order_type) {
            Some(SavingsKind::Subscribe) => (spot.clone(), transfer(&spot, &earn)),
            Some(SavingsKind::Redeem) => (earn.clone(), transfer(&earn, &spot)),
            Some(SavingsKind::Interest) => (spot.clone(), interest(amount)),
            Some(SavingsKind::Penalty) => (spot.clone(), interest(-amount.abs())),
            None => {
                page.warnings.push(format!("{E} row {id}: unknown orderType {order_type:?}, kept as other income"));
                let kind = EventKind::Income {
                    income_type: IncomeType::Other,
                    asset: coin.clone().into(),
                    amount,
                    symbol: None,
                };
                (earn.clone(), kind)
            }
        };
        if !amount.is_zero() {
            page.push(event_id, time, acc, kind);
        }
        Ok(())
    })
}

/// `GET /api/v2/earn/savings/assets` of one `periodType` (`{resultList, endId}`): each holding's `holdAmount` of
/// `productCoin` in the `earn` wallet. Returns the rows of this page and its `endId`, for paging (`idLessThan`).
pub fn savings_balances(data: &Value, label: &str, out: &mut Balances) -> Result<(usize, Option<String>), VenueError> {
    const E: &str = BITGET_SAVINGS_ASSETS.path;
    let earn = account(V, label, "earn");
    let (page, list) = super::copy::end_id_page(E, data, "resultList")?;
    read_balances(out, &earn, V, E, list, "productCoin", |r| r.dec("holdAmount"))?;
    Ok((list.as_array().map_or(0, Vec::len), page.cursor))
}
