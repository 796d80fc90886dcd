//! Bitget Earn shark fin (docs/venues.md §2.16; the accounting in docs/accounting.md §8a): the holdings are the
//! `sharkfin` wallet, what the Earn overview holds of a coin beyond the savings holdings; a subscription is a transfer
//! from spot into it, a redemption (the principal back at settlement) one back to spot, interest income paid to spot.
//! Every event's id is the shark fin wallet's (`bitget/{label}/sharkfin:sharkfin:{type}:{orderId}`), wherever its
//! money lands.

use super::*;
use catalogue::{BITGET_EARN_ASSETS, BITGET_SHARKFIN_RECORDS};

/// The shark fin wallet (`bitget/{label}/sharkfin`).
pub const SHARKFIN_WALLET: &str = "sharkfin";

/// The records' `type`s: each is read on its own (the parameter is required).
pub const SHARKFIN_TYPES: [&str; 3] = ["subscription", "redemption", "interest"];

/// The coin of a shark fin product name: what comes before its `/` (`USDT/BTC_20231013` is a USDT product on BTC's
/// price; docs/venues.md §2.16, **UNCONFIRMED**), `None` when the name has no such part.
fn product_coin(product: &str) -> Option<String> {
    let (coin, _) = product.split_once('/')?;
    let coin = coin.trim();
    (!coin.is_empty() && coin.chars().all(|c| c.is_ascii_alphanumeric())).then(|| coin.to_ascii_uppercase())
}

/// `GET /api/v2/earn/sharkfin/records` of one `type` (`{resultList, endId}`, paged by `idLessThan` = `endId`): a
/// `subscription` is a transfer of `amount` of the product's coin from spot to `sharkfin`, a `redemption` one from
/// `sharkfin` to spot, an `interest` interest income of `amount` in spot. The coin is the part of `product` before
/// its `/` (the rows name no coin); a product name without one is an error naming the row. A `type` the page does not
/// list is kept as other income in `sharkfin` of `amount`, its raw type in the id, with a warning naming it.
pub fn sharkfin_records(data: &Value, label: &str) -> Result<Page, VenueError> {
    const E: &str = BITGET_SHARKFIN_RECORDS.path;
    let (fin, spot) = (account(V, label, SHARKFIN_WALLET), account(V, label, "spot"));
    let (page, list) = super::copy::end_id_page(E, data, "resultList")?;
    page.each(V, E, list, |page, r| {
        let id = r.text("orderId")?;
        page.note_text_id(&id);
        let time = page.noted(r.ms("ts")?);
        let ty = r.text("type")?;
        let product = r.text("product")?;
        let coin = product_coin(&product)
            .ok_or_else(|| r.err(format!("row {id}: no coin in product {product:?} (expected COIN/…)")))?;
        let amount = r.dec("amount")?;
        let event_id = ids::row(&fin, "sharkfin", &format!("{}:{id}", super::tax::id_type(&ty)));
        let transfer = |from: &AccountId, to: &AccountId| EventKind::Transfer {
            from_account: from.clone(),
            to_account: to.clone(),
            asset: coin.clone().into(),
            amount: amount.abs(),
        };
        let (acc, kind) = match ty.as_str() {
            "subscription" => (spot.clone(), transfer(&spot, &fin)),
            "redemption" => (fin.clone(), transfer(&fin, &spot)),
            "interest" => {
                let kind = EventKind::Income {
                    income_type: IncomeType::Interest,
                    asset: coin.clone().into(),
                    amount,
                    symbol: None,
                };
                (spot.clone(), kind)
            }
            _ => {
                page.warnings.push(format!("{E} row {id}: unknown type {ty:?}, kept as other income"));
                let kind = EventKind::Income {
                    income_type: IncomeType::Other,
                    asset: coin.clone().into(),
                    amount,
                    symbol: None,
                };
                (fin.clone(), kind)
            }
        };
        if !amount.is_zero() {
            page.push(event_id, time, acc, kind);
        }
        Ok(())
    })
}

/// `GET /api/v2/earn/account/assets` (a list of `coin`, `amount`): every Earn product's holdings per coin. The shark
/// fin wallet is what it holds of each coin beyond the savings holdings already in `out` (the `earn` wallet, read in
/// the same tick: [`super::savings_balances`]); a coin the overview holds less of than the savings do is a negative
/// shark fin balance, which its residual shows (docs/venues.md §2.16, **UNCONFIRMED** that the overview is savings
/// and shark fin together).
pub fn sharkfin_balances(data: &Value, label: &str, out: &mut Balances) -> Result<(), VenueError> {
    const E: &str = BITGET_EARN_ASSETS.path;
    let (fin, earn) = (account(V, label, SHARKFIN_WALLET), account(V, label, "earn"));
    let mut overview = Balances::new();
    read_balances(&mut overview, &fin, V, E, data, "coin", |r| r.dec("amount"))?;
    let savings = out.get(earn.as_str()).cloned().unwrap_or_default();
    for (coin, amount) in overview.remove(fin.as_str()).unwrap_or_default() {
        add_balance(out, &fin.0, coin, amount);
    }
    for (coin, held) in savings {
        add_balance(out, &fin.0, coin, -held);
    }
    // no shark fin held: no wallet, as for any other wallet that holds nothing
    if out.get(fin.as_str()).is_some_and(|w| w.is_empty()) {
        out.remove(fin.as_str());
    }
    Ok(())
}
