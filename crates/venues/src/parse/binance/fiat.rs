//! Binance fiat deposits and withdrawals, card and bank purchases, P2P trades and Binance Pay (docs/venues.md
//! §1.15; the accounting in docs/accounting.md §8c). Money that comes from or goes to outside Binance is a deposit
//! or a withdrawal of the fiat, so that the fiat wallet balances and a purchase's crypto costs what was paid.

use super::*;
use catalogue::{BINANCE_C2C_TRADES, BINANCE_FIAT_ORDERS, BINANCE_FIAT_PAYMENTS, BINANCE_PAY_TRANSACTIONS};

/// The envelope of the fiat, P2P and Pay histories: `{"code": "000000", "message", "data": [...], "total",
/// "success"}`. A `code` other than `"000000"` or `success: false` is an error naming both; `data` null or absent
/// is an empty page.
fn sapi_page<'a>(
    e: &'static str,
    data: &'a Value,
) -> Result<(Page, impl Iterator<Item = Result<Row<'a>, VenueError>> + use<'a>), VenueError> {
    sapi_success(e, data)?;
    let total = data.get("total").and_then(|t| t.as_u64().or_else(|| t.as_str()?.parse().ok()));
    let mut page = Page { total, ..Page::default() };
    let rows = match data.get("data") {
        None | Some(Value::Null) => None,
        Some(rows) => Some(page.read(V, e, rows)?),
    };
    Ok((page, rows.into_iter().flatten()))
}

/// The SAPI envelope's verdict: a `code` other than `"000000"` or `success: false` is an error naming both (the
/// fiat, P2P and Pay histories, and the copy-trading lead status, docs/venues.md §1.17).
pub(super) fn sapi_success(e: &'static str, data: &Value) -> Result<(), VenueError> {
    let code = data.get("code").map(|c| c.to_string().trim_matches('"').to_string());
    let success = data.get("success").and_then(Value::as_bool);
    if code.as_deref().is_some_and(|c| c != "000000") || success == Some(false) {
        let message = data.get("message").and_then(Value::as_str).unwrap_or_default();
        let code = code.unwrap_or_default();
        return Err(VenueError::malformed(V, e, format!("code {code:?}, success {success:?}: {message:?}")));
    }
    Ok(())
}

/// Whether an order's status means its money moved: `done` are the completed ones, `open` those that move nothing
/// (yet, or ever). Any other status moves nothing and is named in a warning (the row is not silently dropped).
fn completed(page: &mut Page, e: &str, id: &str, status: &str, done: &[&str], open: &[&str]) -> bool {
    if done.contains(&status) {
        return true;
    }
    if !open.contains(&status) {
        page.warnings.push(format!("{e} row {id}: unknown status {status:?}, no event (nothing known to have moved)"));
    }
    false
}

/// An external deposit of `amount` `asset` into `acc`.
fn deposit(asset: &str, amount: Decimal) -> EventKind {
    EventKind::Deposit { asset: asset.into(), amount, txid: None }
}

/// A withdrawal of `amount` `asset` to outside, `fee` on top.
fn withdrawal(asset: &str, amount: Decimal, fee: Option<Decimal>) -> EventKind {
    EventKind::Withdrawal { asset: asset.into(), amount, fee, txid: None }
}

/// Statuses of `GET /sapi/v1/fiat/orders`: completed, and those that move nothing.
const FIAT_ORDER_DONE: [&str; 2] = ["Successful", "Finished"];
const FIAT_ORDER_OPEN: [&str; 5] = ["Processing", "Failed", "Expired", "Refunding", "Refunded"];

/// `GET /sapi/v1/fiat/orders` with `transactionType=0` or `1`: a completed fiat deposit credits spot with `amount`
/// (net of the fee, which was taken from the money sent: `indicatedAmount − amount = totalFee`); a completed fiat
/// withdrawal sends `amount` with `totalFee` on top. Other statuses give no event.
fn fiat_orders(data: &Value, label: &str, withdraw: bool) -> Result<Page, VenueError> {
    const E: &str = BINANCE_FIAT_ORDERS.path;
    let (mut page, rows) = sapi_page(E, data)?;
    let acc = account(V, label, "spot");
    for r in rows {
        let r = r?;
        let time = page.noted(r.ms("createTime")?);
        let id = r.text("orderNo")?;
        if !completed(&mut page, E, &id, &r.text("status")?, &FIAT_ORDER_DONE, &FIAT_ORDER_OPEN) {
            continue;
        }
        let (asset, amount) = (r.asset("fiatCurrency")?, r.dec("amount")?);
        let (stream, kind) = if withdraw {
            ("fiat_withdrawal", withdrawal(&asset, amount, Some(r.opt_dec("totalFee")?)))
        } else {
            ("fiat_deposit", deposit(&asset, amount))
        };
        page.push(ids::row(&acc, stream, &id), time, acc.clone(), kind);
    }
    Ok(page)
}

/// Fiat deposits (`transactionType=0`).
pub fn fiat_deposits(data: &Value, label: &str) -> Result<Page, VenueError> {
    fiat_orders(data, label, false)
}

/// Fiat withdrawals (`transactionType=1`).
pub fn fiat_withdrawals(data: &Value, label: &str) -> Result<Page, VenueError> {
    fiat_orders(data, label, true)
}

/// Which way a trade against fiat goes.
#[derive(Clone, Copy)]
enum Side {
    /// Fiat in from outside, spent on the crypto.
    Buy,
    /// Crypto sold for fiat, which then leaves.
    Sell,
}

/// A fee of `amount` in `asset`, or none when it is zero.
fn fee_in(asset: &str, amount: Decimal) -> Vec<Money> {
    if amount.is_zero() { vec![] } else { vec![Money::new(asset.to_string(), amount)] }
}

/// A trade of `fiat` against `crypto` whose fiat crosses from or to outside Binance (docs/accounting.md §8c): a buy
/// is the deposit of `outside` of the fiat, then the trade; a sale the trade, then the withdrawal of `outside`. Ids
/// `{row}:deposit`, `{row}:trade`, `{row}:withdrawal`.
#[allow(clippy::too_many_arguments)]
fn fiat_trade(
    page: &mut Page,
    row: &str,
    time: i64,
    acc: &AccountId,
    side: Side,
    fiat: (String, Decimal),
    crypto: (String, Decimal),
    fees: Vec<Money>,
    outside: Decimal,
) {
    let id = |leg: &str| format!("{row}:{leg}");
    match side {
        Side::Buy => {
            page.push(id("deposit"), time, acc.clone(), deposit(&fiat.0, outside));
            page.push(id("trade"), time, acc.clone(), trade(fiat, crypto, fees, None));
        }
        Side::Sell => {
            let out = withdrawal(&fiat.0, outside, None);
            page.push(id("trade"), time, acc.clone(), trade(crypto, fiat, fees, None));
            page.push(id("withdrawal"), time, acc.clone(), out);
        }
    }
}

/// Statuses of `GET /sapi/v1/fiat/payments`.
const PAYMENT_OPEN: [&str; 3] = ["Processing", "Failed", "Refunded"];

/// `GET /sapi/v1/fiat/payments` with `transactionType=0` (buy) or `1` (sell), completed only, in spot. A buy: the
/// fiat `sourceAmount` arrives from outside (a deposit), then is spent: `sourceAmount − totalFee` for
/// `obtainAmount` of the crypto, `totalFee` in the fiat. A sale the mirror image: `obtainAmount` of the crypto
/// for `sourceAmount − totalFee` of the fiat, which then leaves (a withdrawal). Ids `{spot}:fiat_payment:{orderNo}`
/// with `:deposit`, `:trade`, `:withdrawal`.
fn fiat_payments(data: &Value, label: &str, sell: bool) -> Result<Page, VenueError> {
    const E: &str = BINANCE_FIAT_PAYMENTS.path;
    let (mut page, rows) = sapi_page(E, data)?;
    let acc = account(V, label, "spot");
    for r in rows {
        let r = r?;
        let time = page.noted(r.ms("createTime")?);
        let id = r.text("orderNo")?;
        if !completed(&mut page, E, &id, &r.text("status")?, &["Completed"], &PAYMENT_OPEN) {
            continue;
        }
        let (fiat, gross, fee) = (r.asset("fiatCurrency")?, r.dec("sourceAmount")?, r.opt_dec("totalFee")?);
        let crypto = (r.asset("cryptoCurrency")?, r.dec("obtainAmount")?);
        let fees = fee_in(&fiat, fee);
        // a buy's fee is paid out of the fiat that arrived; a sale's out of what it raised, before it leaves
        let outside = if sell { gross - fee } else { gross };
        let row = ids::row(&acc, "fiat_payment", &id);
        let side = if sell { Side::Sell } else { Side::Buy };
        fiat_trade(&mut page, &row, time, &acc, side, (fiat, gross - fee), crypto, fees, outside);
    }
    Ok(page)
}

/// Card and bank purchases (`transactionType=0`).
pub fn fiat_buys(data: &Value, label: &str) -> Result<Page, VenueError> {
    fiat_payments(data, label, false)
}

/// Sales to a card or bank (`transactionType=1`).
pub fn fiat_sells(data: &Value, label: &str) -> Result<Page, VenueError> {
    fiat_payments(data, label, true)
}

/// P2P statuses that move nothing (yet, or ever).
const P2P_OPEN: [&str; 7] =
    ["PENDING", "TRADING", "BUYER_PAYED", "DISTRIBUTING", "IN_APPEAL", "CANCELLED", "CANCELLED_BY_SYSTEM"];

/// `GET /sapi/v1/c2c/orderMatch/listUserOrderHistory`: completed P2P trades in the funding wallet. The fiat is paid
/// outside Binance: a `BUY` is a deposit of `totalPrice` of the fiat then a trade of it for `amount` of the crypto;
/// a `SELL` a trade of `amount` of the crypto for `totalPrice` of the fiat then its withdrawal. `commission` is in
/// the crypto. Ids `{funding}:p2p:{orderNumber}` with `:deposit`, `:trade`, `:withdrawal`.
pub fn p2p_trades(data: &Value, label: &str) -> Result<Page, VenueError> {
    const E: &str = BINANCE_C2C_TRADES.path;
    let (mut page, rows) = sapi_page(E, data)?;
    let acc = account(V, label, "funding");
    for r in rows {
        let r = r?;
        let time = page.noted(r.ms("createTime")?);
        let id = r.text("orderNumber")?;
        if !completed(&mut page, E, &id, &r.text("orderStatus")?, &["COMPLETED"], &P2P_OPEN) {
            continue;
        }
        let crypto = (r.asset("asset")?, r.dec("amount")?);
        let fiat = (r.asset("fiat")?, r.dec("totalPrice")?);
        let fees = fee_in(&crypto.0, r.opt_dec("commission")?);
        let side = match r.text("tradeType")?.as_str() {
            "BUY" => Side::Buy,
            "SELL" => Side::Sell,
            other => return Err(r.err(format!("row {id}: unknown tradeType {other:?}"))),
        };
        let outside = fiat.1;
        fiat_trade(&mut page, &ids::row(&acc, "p2p", &id), time, &acc, side, fiat, crypto, fees, outside);
    }
    Ok(page)
}

/// The Binance Pay order types the pages list.
const PAY_ORDER_TYPES: [&str; 9] = [
    "PAY",
    "PAY_REFUND",
    "C2C",
    "CRYPTO_BOX",
    "CRYPTO_BOX_RF",
    "C2C_HOLDING",
    "C2C_HOLDING_RF",
    "PAYOUT",
    "REMITTANCE",
];

/// The wallet a Pay row's `walletType` names: 1 funding, 2 spot. A card (4, 6) moves no wallet: `None`. Anything
/// else (3 fiat, 5 earn, unknown) is booked in funding with a warning naming it.
fn pay_wallet(page: &mut Page, id: &str, wallet_type: &str) -> Option<&'static str> {
    match wallet_type {
        "1" => Some("funding"),
        "2" => Some("spot"),
        "4" | "6" => {
            let e = BINANCE_PAY_TRANSACTIONS.path;
            page.warnings.push(format!("{e} row {id}: paid by card (walletType {wallet_type}), no wallet moved"));
            None
        }
        other => {
            let e = BINANCE_PAY_TRANSACTIONS.path;
            page.warnings.push(format!("{e} row {id}: walletType {other:?} booked in the funding wallet"));
            Some("funding")
        }
    }
}

/// `GET /sapi/v1/pay/transactions`: a payment received (positive `amount`) is a deposit from outside into the wallet
/// `walletType` names; a payment sent (negative) is a withdrawal from each wallet that paid, of what `fundsDetail`
/// says it paid of each asset (`walletAssetCost`), or of the whole amount from `walletType` when the row has no
/// detail. An order type the pages do not list is booked the same way and named in a warning. Id
/// `{wallet}:pay:{transactionId}`, with `:{asset}` after it for a part paid in another asset than `currency`.
pub fn pay_transactions(data: &Value, label: &str) -> Result<Page, VenueError> {
    const E: &str = BINANCE_PAY_TRANSACTIONS.path;
    let (mut page, rows) = sapi_page(E, data)?;
    for r in rows {
        let r = r?;
        let time = page.noted(r.ms("transactionTime")?);
        let id = r.text("transactionId")?;
        let order_type = r.text("orderType")?;
        if !PAY_ORDER_TYPES.contains(&order_type.as_str()) {
            page.warnings.push(format!("{E} row {id}: unknown orderType {order_type:?}, booked by its amount's sign"));
        }
        let (asset, amount) = (r.asset("currency")?, r.dec("amount")?);
        let parts = if amount.is_sign_negative() { pay_parts(&r)? } else { Vec::new() };
        if parts.is_empty() {
            if r.obj.get("walletTypes").and_then(Value::as_array).is_some_and(|w| w.len() > 1) {
                page.warnings
                    .push(format!("{E} row {id}: several wallets (walletTypes), booked whole in its walletType"));
            }
            let Some(wallet) = pay_wallet(&mut page, &id, &r.text("walletType")?) else { continue };
            let acc = account(V, label, wallet);
            let kind =
                if amount.is_sign_negative() { withdrawal(&asset, -amount, None) } else { deposit(&asset, amount) };
            page.push(ids::row(&acc, "pay", &id), time, acc.clone(), kind);
            continue;
        }
        let paid: Decimal = parts.iter().filter(|p| p.1 == asset).map(|p| p.2).sum();
        if parts.iter().all(|p| p.1 == asset) && paid != -amount {
            page.warnings.push(format!(
                "{E} row {id}: its wallets paid {paid} {asset} for an amount of {amount}; booked as paid"
            ));
        }
        let mut legs: BTreeMap<(&'static str, String), Decimal> = BTreeMap::new();
        for (wallet_type, part_asset, units) in parts {
            if let Some(wallet) = pay_wallet(&mut page, &id, &wallet_type) {
                *legs.entry((wallet, part_asset)).or_default() += units;
            }
        }
        for ((wallet, part_asset), units) in legs.into_iter().filter(|(_, units)| !units.is_zero()) {
            let acc = account(V, label, wallet);
            let row_id = if part_asset == asset { id.clone() } else { format!("{id}:{part_asset}") };
            page.push(ids::row(&acc, "pay", &row_id), time, acc.clone(), withdrawal(&part_asset, units, None));
        }
    }
    Ok(page)
}

/// What each wallet paid of a payment sent, from `fundsDetail`: (wallet type code, asset, units) for each entry of
/// each asset's `walletAssetCost` (`[{"1": "0.6"}, {"2": "0.6"}]`). Empty without the field.
fn pay_parts(r: &Row) -> Result<Vec<(String, String, Decimal)>, VenueError> {
    let Some(detail) = r.obj.get("fundsDetail").and_then(Value::as_array) else { return Ok(Vec::new()) };
    let mut parts = Vec::new();
    for d in detail {
        let d = Row::new(V, r.endpoint, d)?;
        let asset = d.asset("currency")?;
        let costs =
            d.get("walletAssetCost")?.as_array().ok_or_else(|| d.err("`walletAssetCost` is not a list".into()))?;
        for cost in costs {
            let cost = cost.as_object().ok_or_else(|| d.err("a `walletAssetCost` entry is not an object".into()))?;
            for (wallet_type, units) in cost {
                let units = units
                    .as_str()
                    .and_then(|u| u.parse::<Decimal>().ok())
                    .filter(|u| !u.is_sign_negative())
                    .ok_or_else(|| d.err(format!("`walletAssetCost` {wallet_type:?} = {units} is not a quantity")))?;
                parts.push((wallet_type.clone(), asset.clone(), units));
            }
        }
    }
    Ok(parts)
}
