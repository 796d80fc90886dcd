//! Bitget endpoint handlers: data shapes (all numbers as strings), windows, `idLessThan` and `cursor` paging
//! (rows with ids below the cursor, newest first), as docs/venues.md §2 describes them.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{ApiError, Ctx};
use crate::generator::{
    BITGET_PRODUCTS, BgbConvert, Bill, BitgetAccount, BitgetConvert, Deposit, FuturesFill, Withdrawal,
};
use crate::market::{DAY, HOUR, MINUTE};

mod copy;
pub(super) use copy::{follower_orders, profit_shares, trader_orders};

fn s(d: Decimal) -> String {
    d.normalize().to_string()
}

fn int(ctx: &Ctx<'_>, name: &str) -> Result<Option<i64>, ApiError> {
    ctx.params.get(name).map(|v| v.parse::<i64>().map_err(|_| ApiError::invalid(name))).transpose()
}

fn uint(ctx: &Ctx<'_>, name: &str) -> Result<Option<u64>, ApiError> {
    ctx.params.get(name).map(|v| v.parse::<u64>().map_err(|_| ApiError::invalid(name))).transpose()
}

fn limit(ctx: &Ctx<'_>, default: usize, max: usize) -> Result<usize, ApiError> {
    Ok(uint(ctx, "limit")?.map(|l| (l as usize).clamp(1, max)).unwrap_or(default))
}

fn acct<'a>(ctx: &Ctx<'a>) -> &'a BitgetAccount {
    ctx.account.expect("private endpoint has an account")
}

/// `[start, end]`: both optional (defaulting to the `access_days` look-back and now), at most `max_days` apart,
/// never older than `access_days`.
fn window(
    ctx: &Ctx<'_>,
    required: bool,
    max_days: i64,
    default_days: i64,
    access_days: i64,
) -> Result<(i64, i64), ApiError> {
    let now = ctx.req.now;
    let start = int(ctx, "startTime")?;
    let end = int(ctx, "endTime")?;
    if required {
        if start.is_none() {
            return Err(ApiError::empty("startTime"));
        }
        if end.is_none() {
            return Err(ApiError::empty("endTime"));
        }
    }
    let (a, b) = match (start, end) {
        (Some(a), Some(b)) => (a, b),
        (Some(a), None) => (a, (a + default_days * DAY).min(now)),
        (None, Some(b)) => (b - default_days * DAY, b),
        (None, None) => (now - default_days * DAY, now),
    };
    if b < a {
        return Err(ApiError::new("20001", "startTime should be less than endTime"));
    }
    if b - a > max_days * DAY {
        return Err(ApiError::window(max_days));
    }
    Ok((a.max(now - access_days * DAY), b))
}

/// Rows with `id < cursor`, newest first, at most `limit`.
fn page<'a, T>(
    rows: impl DoubleEndedIterator<Item = &'a T>,
    id: impl Fn(&T) -> u64,
    cursor: Option<u64>,
    limit: usize,
) -> Vec<&'a T>
where
    T: 'a,
{
    rows.rev().filter(|r| cursor.is_none_or(|c| id(r) < c)).take(limit).collect()
}

/// The page in the venue's order: newest first by default (Bitget's order is UNCONFIRMED, see
/// `Settings::newest_first`). Cursors (`endId`, `cursor`) are always the smallest id of the page.
fn ordered<T>(ctx: &Ctx<'_>, mut v: Vec<T>) -> Vec<T> {
    if !ctx.settings.newest_first {
        v.reverse();
    }
    v
}

pub(super) fn time(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    Ok(json!({"serverTime": ctx.req.now.to_string()}))
}

pub(super) fn spot_symbols(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let want = ctx.params.get("symbol");
    Ok(Value::Array(
        ctx.world
            .bitget_spot
            .iter()
            .filter(|n| want.is_none_or(|w| w == &***n))
            .map(|n| {
                let m = ctx.world.market.symbol(n).expect("listed");
                json!({
                    "symbol": m.name, "baseCoin": m.base, "quoteCoin": m.quote, "minTradeAmount": "0",
                    "maxTradeAmount": "900000000000000000000", "takerFeeRate": "0.001", "makerFeeRate": "0.001",
                    "pricePrecision": m.price_dp.to_string(), "quantityPrecision": m.qty_dp.to_string(), "quotePrecision": "6",
                    "status": "online", "minTradeUSDT": "1", "buyLimitPriceRatio": "0.05", "sellLimitPriceRatio": "0.05",
                    "areaSymbol": "no", "orderQuantity": "200", "openTime": "1532454360000", "offTime": ""
                })
            })
            .collect(),
    ))
}

/// `GET /api/v2/spot/public/coins`: the coins and their chains.
pub(super) fn coins(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let want = ctx.params.get("coin");
    let mut coins: Vec<&str> = crate::market::ASSETS.iter().map(|a| a.0).collect();
    coins.push("USDT");
    coins.sort();
    Ok(Value::Array(
        coins
            .iter()
            .enumerate()
            .filter(|(_, c)| want.is_none_or(|w| w.eq_ignore_ascii_case(c)))
            .map(|(i, c)| {
                let chains: Vec<(&str, &str)> = match *c {
                    "USDT" => vec![("TRC20", "1"), ("ERC20", "4")],
                    "BTC" => vec![("BTC", "0.0002")],
                    "ETH" => vec![("ERC20", "0.0012")],
                    _ => vec![("BEP20", "0.01")],
                };
                json!({
                    "coinId": (i + 1).to_string(), "coin": c, "transfer": "true", "areaCoin": "no",
                    "chains": chains.iter().map(|(n, fee)| json!({
                        "chain": n, "needTag": "false", "withdrawable": "true", "rechargeable": "true", "withdrawFee": fee,
                        "extraWithdrawFee": "0", "depositConfirm": "12", "withdrawConfirm": "12", "minDepositAmount": "0.0001",
                        "minWithdrawAmount": fee, "browserUrl": "", "contractAddress": "", "withdrawStep": "0",
                        "withdrawMinScale": "8", "congestion": "normal"
                    })).collect::<Vec<_>>()
                })
            })
            .collect(),
    ))
}

/// `GET /api/v2/margin/currencies`: the spot symbols, all margin-tradable.
pub(super) fn margin_currencies(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    Ok(Value::Array(
        ctx.world
            .bitget_spot
            .iter()
            .map(|n| {
                let m = ctx.world.market.symbol(n).expect("listed");
                json!({
                    "symbol": m.name, "baseCoin": m.base, "quoteCoin": m.quote, "maxCrossedLeverage": "3",
                    "maxIsolatedLeverage": "10", "warningRiskRatio": "0.8", "liquidationRiskRatio": "1", "minTradeAmount": "0",
                    "maxTradeAmount": "1000000", "takerFeeRate": "0.001", "makerFeeRate": "0.001", "priceScale": m.price_dp.to_string(),
                    "quantityScale": m.qty_dp.to_string(), "status": "1", "minTradeUSDT": "5", "isBorrowable": true,
                    "userMinBorrow": "0", "isIsolatedBaseBorrowable": true, "isIsolatedQuoteBorrowable": true, "isCrossBorrowable": true
                })
            })
            .collect(),
    ))
}

pub(super) fn contracts(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let pt = ctx.params.get("productType").ok_or_else(|| ApiError::empty("productType"))?;
    if !pt.eq_ignore_ascii_case("USDT-FUTURES") {
        return Ok(json!([]));
    }
    Ok(Value::Array(
        ctx.world
            .bitget_futures
            .iter()
            .filter(|n| ctx.params.get("symbol").is_none_or(|w| w == &***n))
            .map(|n| {
                let m = ctx.world.market.symbol(n).expect("listed");
                json!({
                    "symbol": m.name, "baseCoin": m.base, "quoteCoin": m.quote, "buyLimitPriceRatio": "0.01",
                    "sellLimitPriceRatio": "0.01", "feeRateUpRatio": "0.005", "makerFeeRate": "0.0002", "takerFeeRate": "0.0006",
                    "openCostUpRatio": "0.01", "supportMarginCoins": ["USDT"], "minTradeNum": s(Decimal::new(1, m.qty_dp.min(3))),
                    "priceEndStep": "1", "volumePlace": m.qty_dp.min(3).to_string(), "pricePlace": m.price_dp.to_string(),
                    "sizeMultiplier": s(Decimal::new(1, m.qty_dp.min(3))), "symbolType": "perpetual", "minTradeUSDT": "5",
                    "maxSymbolOrderNum": "200", "maxProductOrderNum": "400", "maxPositionNum": "150", "symbolStatus": "normal",
                    "offTime": "-1", "limitOpenTime": "-1", "deliveryTime": "", "deliveryStartTime": "", "deliveryPeriod": "",
                    "launchTime": "", "fundInterval": "8", "minLever": "1", "maxLever": "125", "posLimit": "0.05",
                    "maintainTime": "", "maxMarketOrderQty": "220", "maxOrderQty": "1200"
                })
            })
            .collect(),
    ))
}

pub(super) fn tickers(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let want = ctx.params.get("symbol");
    if let Some(w) = want
        && !ctx.world.bitget_spot.iter().any(|n| &**n == w)
    {
        return Err(ApiError::new("40034", "Parameter does not exist"));
    }
    let now = ctx.req.now;
    let m = &ctx.world.market;
    Ok(Value::Array(
        ctx.world
            .bitget_spot
            .iter()
            .filter(|n| want.is_none_or(|w| w == &***n))
            .map(|n| {
                let day = m.candle(n, ctx.world.end - DAY, DAY);
                let last = m.last(n);
                let change = if day.open.is_zero() { Decimal::ZERO } else { ((last - day.open) / day.open).round_dp(4) };
                json!({
                    "symbol": &**n, "high24h": s(day.high), "open": s(day.open), "low24h": s(day.low), "lastPr": s(last),
                    "quoteVolume": s(day.quote_volume), "baseVolume": s(day.volume), "usdtVolume": s(day.quote_volume),
                    "bidPr": s(last), "askPr": s(last), "bidSz": "1", "askSz": "1", "openUtc": s(day.open), "ts": now.to_string(),
                    "changeUtc24h": s(change), "change24h": s(change)
                })
            })
            .collect(),
    ))
}

fn granularity(g: &str) -> Option<i64> {
    Some(match g {
        "1min" => MINUTE,
        "3min" => 3 * MINUTE,
        "5min" => 5 * MINUTE,
        "15min" => 15 * MINUTE,
        "30min" => 30 * MINUTE,
        "1h" => HOUR,
        "4h" => 4 * HOUR,
        "6h" | "6Hutc" => 6 * HOUR,
        "12h" | "12Hutc" => 12 * HOUR,
        "1day" | "1Dutc" => DAY,
        "3day" | "3Dutc" => 3 * DAY,
        "1week" | "1Wutc" => 7 * DAY,
        _ => return None,
    })
}

pub(super) fn candles(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let sym = ctx.params.get("symbol").ok_or_else(|| ApiError::empty("symbol"))?;
    if !ctx.world.bitget_spot.iter().chain(&ctx.world.bitget_fiat).any(|n| &**n == sym) {
        return Err(ApiError::new("40034", "Parameter does not exist"));
    }
    let g = ctx.params.get("granularity").ok_or_else(|| ApiError::empty("granularity"))?;
    let ms = granularity(g).ok_or_else(|| ApiError::invalid("granularity"))?;
    let limit = limit(ctx, 100, 1000)?;
    let end = int(ctx, "endTime")?.unwrap_or(ctx.req.now);
    let start = int(ctx, "startTime")?;
    let rows = ctx.world.market.candles(sym, ms, start, end, limit);
    Ok(Value::Array(
        rows.iter()
            .map(|c| {
                json!([
                    c.open_time.to_string(),
                    s(c.open),
                    s(c.high),
                    s(c.low),
                    s(c.close),
                    s(c.volume),
                    s(c.quote_volume),
                    s(c.quote_volume)
                ])
            })
            .collect(),
    ))
}

pub(super) fn symbol_price(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let sym = ctx.params.get("symbol").ok_or_else(|| ApiError::empty("symbol"))?;
    ctx.params.get("productType").ok_or_else(|| ApiError::empty("productType"))?;
    if !ctx.world.bitget_futures.iter().any(|n| &**n == sym) {
        return Err(ApiError::new("40034", "Parameter does not exist"));
    }
    let p = s(ctx.world.market.last(sym));
    Ok(json!([{"symbol": sym, "price": p, "indexPrice": p, "markPrice": p, "ts": ctx.req.now.to_string()}]))
}

pub(super) fn account_info(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let a = acct(ctx);
    let k = ctx.key.expect("private");
    let ips: Vec<String> = k.ip_allow.iter().map(|i| i.to_string()).collect();
    Ok(json!({
        "userId": a.uid.to_string(), "inviterId": "0", "ips": ips.join(","), "authorities": k.bitget_authorities(),
        "parentId": a.uid, "traderType": "not_trader", "channelCode": "", "channel": "", "regisTime": (ctx.world.start - 400 * DAY).to_string()
    }))
}

pub(super) fn spot_assets(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let a = acct(ctx);
    let coin = ctx.params.get("coin");
    let all = ctx.params.get("assetType") == Some("all");
    let w = &a.wallets["spot"];
    let mut coins: Vec<String> = w.keys().cloned().collect();
    if all {
        for c in ["USDT", "BTC", "ETH", "BGB"] {
            if !coins.iter().any(|x| x == c) {
                coins.push(c.into());
            }
        }
        coins.sort();
    }
    Ok(Value::Array(
        coins
            .iter()
            .filter(|c| coin.is_none_or(|x| x.eq_ignore_ascii_case(c)))
            .map(|c| {
                let v = w.get(c).copied().unwrap_or_default();
                json!({"coin": c, "available": s(v), "frozen": "0", "locked": "0", "limitAvailable": "0", "uTime": ctx.world.end.to_string()})
            })
            .collect(),
    ))
}

pub(super) fn spot_bills(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let (a, b) = window(ctx, false, 90, 90, 90)?;
    let limit = limit(ctx, 100, 500)?;
    let cursor = uint(ctx, "idLessThan")?;
    let coin = ctx.params.get("coin");
    let gt = ctx.params.get("groupType");
    let bt = ctx.params.get("businessType");
    let rows = acct(ctx).spot_bills.iter().filter(|x| {
        x.time >= a
            && x.time <= b
            && coin.is_none_or(|c| c.eq_ignore_ascii_case(&x.coin))
            && gt.is_none_or(|g| g == x.group_type)
            && bt.is_none_or(|t| t.eq_ignore_ascii_case(x.business_type))
    });
    let rows: Vec<&Bill> = rows.collect();
    Ok(Value::Array(
        ordered(ctx, page(rows.into_iter(), |x: &Bill| x.id, cursor, limit))
            .into_iter()
            .map(|x| {
                json!({"cTime": x.time.to_string(), "coin": &*x.coin, "groupType": x.group_type, "businessType": x.business_type,
                       "size": s(x.amount), "balance": s(x.balance), "fees": s(x.fee), "billId": x.id.to_string()})
            })
            .collect(),
    ))
}

fn bitget_wallet(w: &str) -> &'static str {
    match w {
        "futures" => "usdt_futures",
        "coinm" => "coin_futures",
        "usdcm" => "usdc_futures",
        "margin" => "crossed_margin",
        w if w.starts_with("isolated-") => "isolated_margin",
        _ => "spot",
    }
}

pub(super) fn transfer_records(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let coin = ctx.params.get("coin").ok_or_else(|| ApiError::empty("coin"))?;
    let from = ctx.params.get("fromType");
    let (a, b) = window(ctx, false, 90, 90, 90)?;
    let limit = limit(ctx, 100, 500)?;
    let cursor = uint(ctx, "idLessThan")?;
    let rows: Vec<_> = acct(ctx)
        .transfers
        .iter()
        .filter(|t| {
            t.time >= a
                && t.time <= b
                && coin.eq_ignore_ascii_case(&t.asset)
                && from.is_none_or(|f| f == bitget_wallet(t.from))
        })
        .collect();
    Ok(Value::Array(
        ordered(ctx, page(rows.into_iter(), |t| t.id, cursor, limit))
            .into_iter()
            .map(|t| {
                // an isolated pair's symbol beside its type (docs/venues.md §2.18)
                let pair = |w: &str| w.strip_prefix("isolated-").unwrap_or_default().to_string();
                json!({"coin": &*t.asset, "status": "Successful", "toType": bitget_wallet(t.to), "toSymbol": pair(t.to), "fromType": bitget_wallet(t.from),
                       "fromSymbol": pair(t.from), "size": s(t.amount), "ts": t.time.to_string(), "clientOid": "", "transferId": t.id.to_string()})
            })
            .collect(),
    ))
}

pub(super) fn spot_fills(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let sym = ctx.params.get("symbol");
    let order = uint(ctx, "orderId")?;
    let (a, b) = window(ctx, false, 90, 90, 90)?;
    let limit = limit(ctx, 100, 100)?;
    let cursor = uint(ctx, "idLessThan")?;
    let acc = acct(ctx);
    let rows: Vec<_> = acc
        .spot_fills
        .iter()
        .filter(|f| {
            f.time >= a && f.time <= b && sym.is_none_or(|x| x == &*f.symbol) && order.is_none_or(|o| o == f.order_id)
        })
        .collect();
    Ok(Value::Array(
        ordered(ctx, page(rows.into_iter(), |f| f.id, cursor, limit))
            .into_iter()
            .map(|f| {
                json!({
                    "userId": acc.uid.to_string(), "symbol": &*f.symbol, "orderId": f.order_id.to_string(), "tradeId": f.id.to_string(),
                    "orderType": "market", "side": if f.buy { "buy" } else { "sell" }, "priceAvg": s(f.price), "size": s(f.size),
                    "amount": s(f.amount),
                    "feeDetail": {"deduction": "no", "feeCoin": &*f.fee_coin, "totalDeductionFee": "", "totalFee": s(-f.fee)},
                    "tradeScope": if f.maker { "maker" } else { "taker" }, "cTime": f.time.to_string(), "uTime": f.time.to_string()
                })
            })
            .collect(),
    ))
}

fn deposit_json(d: &Deposit, v3: bool) -> Value {
    let mut v = json!({
        "orderId": d.id.to_string(), "coin": &*d.coin, "type": "deposit", "size": s(d.amount), "status": "success",
        "toAddress": d.address, "dest": "on_chain", "chain": d.network, "fromAddress": format!("0x{}", &d.txid[..40.min(d.txid.len())])
    });
    if v3 {
        v["recordId"] = json!(d.txid);
        v["createdTime"] = json!(d.time.to_string());
        v["updatedTime"] = json!((d.time + 60_000).to_string());
    } else {
        v["tradeId"] = json!(d.txid);
        v["cTime"] = json!(d.time.to_string());
        v["uTime"] = json!((d.time + 60_000).to_string());
    }
    v
}

fn withdrawal_json(w: &Withdrawal, v3: bool) -> Value {
    let mut v = json!({
        "orderId": w.id, "coin": &*w.coin, "dest": "on_chain", "clientOid": "", "type": "withdraw", "tag": "",
        "size": s(w.amount), "status": "success", "toAddress": w.address, "fromAddress": "", "confirm": "30", "chain": w.network
    });
    if v3 {
        v["recordId"] = json!(w.txid);
        v["fee"] = json!(s(w.fee));
        v["createdTime"] = json!(w.time.to_string());
        v["updatedTime"] = json!(w.complete_time.to_string());
    } else {
        v["tradeId"] = json!(w.txid);
        v["fee"] = json!(s(-w.fee));
        v["cTime"] = json!(w.time.to_string());
        v["uTime"] = json!(w.complete_time.to_string());
    }
    v
}

fn deposits(ctx: &Ctx<'_>, v3: bool) -> Result<Value, ApiError> {
    let (a, b) = window(ctx, true, ctx.settings.deposit_window_days, 90, 3650)?;
    let limit = limit(ctx, 20, 100)?;
    let cursor = uint(ctx, if v3 { "cursor" } else { "idLessThan" })?;
    let coin = ctx.params.get("coin");
    let order = uint(ctx, "orderId")?;
    let rows: Vec<_> = acct(ctx)
        .deposits
        .iter()
        .filter(|d| {
            order.is_some_and(|o| o == d.id)
                || (order.is_none()
                    && d.time >= a
                    && d.time <= b
                    && coin.is_none_or(|c| c.eq_ignore_ascii_case(&d.coin)))
        })
        .collect();
    Ok(Value::Array(
        ordered(ctx, page(rows.into_iter(), |d| d.id, cursor, limit))
            .into_iter()
            .map(|d| deposit_json(d, v3))
            .collect(),
    ))
}

fn withdrawals(ctx: &Ctx<'_>, v3: bool) -> Result<Value, ApiError> {
    let (a, b) = window(ctx, true, ctx.settings.deposit_window_days, 90, 3650)?;
    let limit = limit(ctx, 20, 100)?;
    let cursor = uint(ctx, if v3 { "cursor" } else { "idLessThan" })?;
    let coin = ctx.params.get("coin");
    let order = ctx.params.get("orderId");
    let rows: Vec<_> = acct(ctx)
        .withdrawals
        .iter()
        .filter(|w| {
            order.is_some_and(|o| o == w.id)
                || (order.is_none()
                    && w.time >= a
                    && w.time <= b
                    && coin.is_none_or(|c| c.eq_ignore_ascii_case(&w.coin)))
        })
        .collect();
    Ok(Value::Array(
        ordered(ctx, page(rows.into_iter(), |w| w.id.parse().unwrap_or(0), cursor, limit))
            .into_iter()
            .map(|w| withdrawal_json(w, v3))
            .collect(),
    ))
}

pub(super) fn deposit_records(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    deposits(ctx, false)
}

pub(super) fn withdrawal_records(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    withdrawals(ctx, false)
}

pub(super) fn uta_deposit_records(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    deposits(ctx, true)
}

pub(super) fn uta_withdrawal_records(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    withdrawals(ctx, true)
}

/// The futures book a request's `productType` reads (docs/venues.md §2.12): USDT-M's, or a COIN-M or USDC-M one;
/// `None` for a product type the account never used (its reads answer nothing).
struct Book<'a> {
    /// The margin coin.
    coin: &'static str,
    /// The market a COIN-M or USDC-M contract is marked by.
    index: Option<&'static str>,
    fills: &'a [FuturesFill],
    bills: &'a [Bill],
    positions: &'a std::collections::BTreeMap<crate::generator::Symbol, crate::generator::Position>,
}

/// The USDT-M book: the account's own futures fields (the unified account's futures too).
fn usdt_book(a: &BitgetAccount) -> Book<'_> {
    Book { coin: "USDT", index: None, fills: &a.mix_fills, bills: &a.mix_bills, positions: &a.positions }
}

fn book<'a>(ctx: &Ctx<'a>) -> Result<Option<Book<'a>>, ApiError> {
    let pt = ctx.params.get("productType").ok_or_else(|| ApiError::empty("productType"))?;
    let a = acct(ctx);
    if pt.eq_ignore_ascii_case("USDT-FUTURES") {
        return Ok(Some(usdt_book(a)));
    }
    let Some(p) = BITGET_PRODUCTS.iter().find(|p| p.product_type.eq_ignore_ascii_case(pt)) else {
        return Ok(None);
    };
    let (wallet, coin, index) = (p.wallet, p.coin, p.index);
    Ok(a.product_futures.get(wallet).map(|p| Book {
        coin,
        index: Some(index),
        fills: &p.fills,
        bills: &p.bills,
        positions: &p.positions,
    }))
}

struct PosView {
    symbol: String,
    amt: Decimal,
    entry: Decimal,
    mark: Decimal,
    upnl: Decimal,
    update: i64,
}

fn positions(ctx: &Ctx<'_>, book: &Book<'_>) -> Vec<PosView> {
    book.positions
        .iter()
        .map(|(sym, p)| {
            let mark = ctx.world.market.last(book.index.unwrap_or(sym));
            // linear in a stablecoin; a COIN-M position's PnL is in its coin, the quote PnL at the mark (the
            // page's sample: 0.5 BTC from 60,000 to 61,000 is 0.0082 BTC; docs/venues.md §2.12)
            let quote_pnl = (mark - p.entry) * p.amt;
            let coin_margined = !matches!(book.coin, "USDT" | "USDC");
            PosView {
                symbol: sym.to_string(),
                amt: p.amt,
                entry: p.entry,
                mark,
                upnl: if coin_margined { quote_pnl / mark } else { quote_pnl }.round_dp(8),
                update: p.update_time,
            }
        })
        .collect()
}

pub(super) fn mix_accounts(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let Some(book) = book(ctx)? else { return Ok(json!([])) };
    let wallet_name = BITGET_PRODUCTS.iter().find(|p| p.coin == book.coin).map_or("futures", |p| p.wallet);
    let wallet = acct(ctx).wallets.get(wallet_name).and_then(|w| w.get(book.coin)).copied().unwrap_or_default();
    let ps = positions(ctx, &book);
    let upnl: Decimal = ps.iter().map(|p| p.upnl).sum();
    let margin: Decimal = ps.iter().map(|p| (p.amt.abs() * p.mark / Decimal::from(10)).round_dp(8)).sum();
    let equity = wallet + upnl;
    let avail = (equity - margin).max(Decimal::ZERO);
    let btc = ctx.world.market.last("BTCUSDT");
    Ok(json!([{
        "marginCoin": book.coin, "locked": "0", "available": s(avail), "crossedMaxAvailable": s(avail), "isolatedMaxAvailable": s(avail),
        "maxTransferOut": s(avail.min(wallet)), "accountEquity": s(equity), "usdtEquity": s(equity),
        "btcEquity": s((equity / btc).round_dp(8)), "crossedRiskRate": "0", "unrealizedPL": s(upnl), "coupon": "0"
    }]))
}

pub(super) fn all_position(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let Some(book) = book(ctx)? else { return Ok(json!([])) };
    Ok(Value::Array(
        positions(ctx, &book)
            .iter()
            .map(|p| {
                let total = p.amt.abs();
                json!({
                    "marginCoin": book.coin, "symbol": p.symbol, "holdSide": if p.amt.is_sign_negative() { "short" } else { "long" },
                    "openDelegateSize": "0", "marginSize": s((total * p.entry / Decimal::from(10)).round_dp(8)), "available": s(total),
                    "locked": "0", "total": s(total), "leverage": "10", "achievedProfits": "0", "openPriceAvg": s(p.entry),
                    "marginMode": "crossed", "posMode": "hedge_mode", "unrealizedPL": s(p.upnl), "liquidationPrice": "0",
                    "keepMarginRate": "0.004", "markPrice": s(p.mark), "marginRatio": "0", "breakEvenPrice": s(p.entry),
                    "totalFee": "0", "deductedFee": "0", "grant": "", "assetMode": "single", "autoMargin": "off",
                    "takeProfit": "", "stopLoss": "", "takeProfitId": "", "stopLossId": "", "cTime": p.update.to_string(), "uTime": p.update.to_string()
                })
            })
            .collect(),
    ))
}

pub(super) fn mix_bill(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let Some(book) = book(ctx)? else { return Ok(json!({"bills": [], "endId": null})) };
    let (a, b) = window(ctx, false, 30, 30, 90)?;
    let limit = limit(ctx, 20, 100)?;
    let cursor = uint(ctx, "idLessThan")?;
    let sym = ctx.params.get("symbol");
    let bt = ctx.params.get("businessType");
    let rows: Vec<&Bill> = book
        .bills
        .iter()
        .filter(|x| {
            x.time >= a
                && x.time <= b
                && sym.is_none_or(|y| x.symbol.as_deref() == Some(y))
                && bt.is_none_or(|t| t == x.business_type)
        })
        .collect();
    let picked = page(rows.into_iter(), |x: &Bill| x.id, cursor, limit);
    let end_id = picked.last().map(|x| x.id.to_string());
    let picked = ordered(ctx, picked);
    Ok(json!({
        "bills": picked.iter().map(|x| json!({
            "billId": x.id.to_string(), "symbol": x.symbol.as_deref().unwrap_or(""), "amount": s(x.amount), "fee": s(x.fee),
            "feeByCoupon": "", "businessType": x.business_type, "coin": &*x.coin, "balance": s(x.balance), "cTime": x.time.to_string()
        })).collect::<Vec<_>>(),
        "endId": end_id
    }))
}

fn trade_side(f: &FuturesFill) -> &'static str {
    if f.opening { "open" } else { "close" }
}

pub(super) fn fill_history(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let Some(book) = book(ctx)? else { return Ok(json!({"fillList": [], "endId": null})) };
    let (a, b) = window(ctx, false, 7, 7, 90)?;
    let limit = limit(ctx, 100, 100)?;
    let cursor = uint(ctx, "idLessThan")?;
    let sym = ctx.params.get("symbol");
    let order = uint(ctx, "orderId")?;
    let rows: Vec<&FuturesFill> = book
        .fills
        .iter()
        .filter(|f| {
            f.time >= a && f.time <= b && sym.is_none_or(|y| y == &*f.symbol) && order.is_none_or(|o| o == f.order_id)
        })
        .collect();
    let picked = page(rows.into_iter(), |f: &FuturesFill| f.id, cursor, limit);
    let end_id = picked.last().map(|f| f.id.to_string());
    let picked = ordered(ctx, picked);
    Ok(json!({
        "fillList": picked.iter().map(|f| json!({
            "tradeId": f.id.to_string(), "symbol": &*f.symbol, "orderId": f.order_id.to_string(), "price": s(f.price),
            "baseVolume": s(f.qty), "feeDetail": [{"deduction": "no", "feeCoin": book.coin, "totalDeductionFee": "0", "totalFee": s(-f.commission)}],
            "side": if f.buyer { "buy" } else { "sell" }, "quoteVolume": s((f.price * f.qty).round_dp(8)), "profit": s(f.realized_pnl),
            "enterPointSource": "api", "tradeSide": trade_side(f), "posMode": "hedge_mode",
            "tradeScope": if f.maker { "maker" } else { "taker" }, "cTime": f.time.to_string(), "marginCoin": book.coin
        })).collect::<Vec<_>>(),
        "endId": end_id
    }))
}

/// `GET /api/v2/convert/convert-record`: `startTime` and `endTime` required, at most 90 days apart; `idLessThan` =
/// the previous page's `endId`; `data` = `{dataList, endId}`. `fromCoinSize` is a JSON number by default, as in the
/// documented example (`Settings::convert_size_as_number`).
pub(super) fn convert_record(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let (a, b) = window(ctx, true, 90, 90, 3650)?;
    let limit = limit(ctx, 20, 100)?;
    let cursor = uint(ctx, "idLessThan")?;
    let rows: Vec<&BitgetConvert> = acct(ctx).converts.iter().filter(|c| c.time >= a && c.time <= b).collect();
    let picked = page(rows.into_iter(), |c: &BitgetConvert| c.id, cursor, limit);
    let end_id = picked.last().map(|c| c.id.to_string());
    let picked = ordered(ctx, picked);
    let size = |d: Decimal| -> Value {
        if ctx.settings.convert_size_as_number {
            // what a venue writing a double shows: the shortest text of the nearest binary value
            serde_json::Number::from_f64(rust_decimal::prelude::ToPrimitive::to_f64(&d).unwrap_or(0.0))
                .map_or(Value::Null, Value::Number)
        } else {
            Value::String(s(d))
        }
    };
    Ok(json!({
        "dataList": picked.iter().map(|c| json!({
            "id": c.id.to_string(), "ts": c.time.to_string(), "cnvtPrice": s(c.price), "fee": "0",
            "fromCoinSize": size(c.from_size), "fromCoin": &*c.from_coin, "toCoinSize": s(c.to_size), "toCoin": &*c.to_coin
        })).collect::<Vec<_>>(),
        "endId": end_id
    }))
}

/// `GET /api/v2/convert/bgb-convert-records`: times optional, at most 90 days apart; `data` is a plain array with
/// no `endId`, so `idLessThan` pages by `orderId`; the time key follows `Settings::bgb_time_key`.
pub(super) fn bgb_convert_records(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let (a, b) = window(ctx, false, 90, 90, 3650)?;
    let limit = limit(ctx, 20, 100)?;
    let cursor = uint(ctx, "idLessThan")?;
    let order = uint(ctx, "orderId")?;
    let rows: Vec<&BgbConvert> = acct(ctx)
        .bgb_converts
        .iter()
        .filter(|c| order.map_or(c.time >= a && c.time <= b, |o| o == c.order_id))
        .collect();
    let picked = ordered(ctx, page(rows.into_iter(), |c: &BgbConvert| c.order_id, cursor, limit));
    let key = ctx.settings.bgb_time_key.as_str();
    Ok(Value::Array(
        picked
            .iter()
            .map(|c| {
                let mut row = json!({
                    "orderId": c.order_id.to_string(), "fromCoin": &*c.from_coin, "fromAmount": s(c.from_amount),
                    "fromCoinPrice": s(c.from_price), "toCoin": "BGB", "toAmount": s(c.to_amount), "toCoinPrice": s(c.to_price),
                    "feeDetail": [{"feeCoin": "BGB", "fee": s(c.fee)}], "status": "success"
                });
                row[key] = json!(c.time.to_string());
                row
            })
            .collect(),
    ))
}

// ---- unified account (v3) ----

/// `GET /api/v3/account/convert-records`: `fromCoin` and `toCoin` required; the last 90 days, at most 30 days per
/// query; `cursor` paging; rows carry no id.
pub(super) fn uta_convert_records(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let from = ctx.params.get("fromCoin").ok_or_else(|| ApiError::empty("fromCoin"))?;
    let to = ctx.params.get("toCoin").ok_or_else(|| ApiError::empty("toCoin"))?;
    let (a, b) = window(ctx, false, 30, 30, 90)?;
    let limit = limit(ctx, 100, 100)?;
    let cursor = uint(ctx, "cursor")?;
    let rows: Vec<&BitgetConvert> = acct(ctx)
        .converts
        .iter()
        .filter(|c| {
            c.time >= a && c.time <= b && from.eq_ignore_ascii_case(&c.from_coin) && to.eq_ignore_ascii_case(&c.to_coin)
        })
        .collect();
    let picked = page(rows.into_iter(), |c: &BitgetConvert| c.id, cursor, limit);
    let next = picked.last().map(|c| c.id.to_string()).unwrap_or_default();
    let picked = ordered(ctx, picked);
    Ok(json!({
        "list": picked.iter().map(|c| json!({
            "fromCoin": &*c.from_coin, "fromCoinSize": s(c.from_size), "toCoin": &*c.to_coin, "toCoinSize": s(c.to_size),
            "price": s(c.price), "ts": c.time.to_string()
        })).collect::<Vec<_>>(),
        "cursor": next
    }))
}

/// `GET /api/v3/account/info`: the unified key's permission type and list, and its IP whitelist.
pub(super) fn uta_account_info(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let a = acct(ctx);
    let k = ctx.key.expect("private");
    let ips: Vec<String> = k.ip_allow.iter().map(|i| i.to_string()).collect();
    let mut permissions = vec!["uta_mgt", "uta_trade"];
    if k.permissions == crate::keys::Profile::WithdrawEnabled {
        permissions.push("withdraw");
    }
    let perm_type = if k.permissions == crate::keys::Profile::ReadOnly { "read-only" } else { "read-and-write" };
    Ok(json!({
        "uid": a.uid.to_string(), "inviterId": "", "parentId": "", "channelCode": "", "channel": "official",
        "ips": ips.join(","), "permType": perm_type, "permissions": permissions,
        "regisTime": (ctx.world.start - 400 * DAY).to_string()
    }))
}

pub(super) fn uta_assets(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let a = acct(ctx);
    let m = &ctx.world.market;
    let upnl: Decimal = positions(ctx, &usdt_book(a)).iter().map(|p| p.upnl).sum();
    let usd = |c: &str, v: Decimal| -> Decimal {
        if c == "USDT" {
            v
        } else if m.symbol(&format!("{c}USDT")).is_some() {
            (v * m.last(&format!("{c}USDT"))).round_dp(8)
        } else {
            Decimal::ZERO
        }
    };
    let w = &a.wallets["unified"];
    // a coin borrowed on margin is in `balance` and owed in `debt` (interest charged too, docs/venues.md §2.8)
    let mut coins: Vec<&str> = w.keys().map(|c| c.as_str()).collect();
    coins.extend(a.margin.flows.iter().map(|f| &*f.coin));
    coins.sort();
    coins.dedup();
    let assets: Vec<Value> = coins
        .into_iter()
        .filter_map(|c| {
            let net = w.get(c).copied().unwrap_or_default();
            let (principal, interest) = a.margin.owed(c);
            let (balance, debt) = (net + principal + interest, principal + interest);
            if balance.is_zero() && debt.is_zero() {
                return None;
            }
            let equity = if c == "USDT" { net + upnl } else { net };
            Some(json!({"coin": c, "equity": s(equity), "usdValue": s(usd(c, equity)), "balance": s(balance),
                "available": s(balance), "debt": s(debt), "locked": "0"}))
        })
        .collect();
    let total: Decimal = w.iter().map(|(c, v)| usd(c, *v)).sum::<Decimal>() + upnl;
    let btc = m.last("BTCUSDT");
    Ok(json!({
        "accountEquity": s(total), "usdtEquity": s(total), "btcEquity": s((total / btc).round_dp(8)), "unrealisedPnl": s(upnl),
        "usdtUnrealisedPnl": s(upnl), "btcUnrealizedPnl": s((upnl / btc).round_dp(8)), "effEquity": s(total), "mmr": "0", "imr": "0",
        "mgnRatio": "0", "positionMgnRatio": "0", "assets": assets
    }))
}

pub(super) fn uta_funding_assets(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let a = acct(ctx);
    let coin = ctx.params.get("coin");
    let rows: Vec<Value> = a
        .wallets
        .get("funding")
        .map(|w| {
            w.iter()
                .filter(|(c, v)| !v.is_zero() && coin.is_none_or(|x| x.eq_ignore_ascii_case(c)))
                .map(|(c, v)| json!({"coin": c, "available": s(*v), "frozen": "0", "balance": s(*v)}))
                .collect()
        })
        .unwrap_or_default();
    Ok(Value::Array(rows))
}

/// The v3 record type of a bill (names beyond the enumeration page, docs/venues.md §2.8: UPPER_SNAKE of the v2 names,
/// `FUNDING_FEE` for funding — UNCONFIRMED).
fn uta_type(b: &Bill) -> String {
    match b.business_type {
        "contract_settle_fee" => "FUNDING_FEE".into(),
        "BUY" | "SELL" => {
            if b.amount.is_sign_negative() {
                "ORDER_DEALT_OUT".into()
            } else {
                "ORDER_DEALT_IN".into()
            }
        }
        other => other.to_ascii_uppercase(),
    }
}

/// A unified account's margin records as the MARGIN category lists them (docs/venues.md §2.8): each finance flow
/// row by its v3 type (`BORROW`, `REPAYMENT`, `INTEREST_REPAYMENT`, a fill's `ORDER_DEALT_IN` and
/// `ORDER_DEALT_FROZEN_OUT` with the commission as the USDT row's fee) and each interest charged as
/// `INTEREST_SETTLEMENT_OUT` of minus its amount, all of the pair traded.
fn uta_margin_records(m: &crate::generator::BitgetMargin) -> Vec<Bill> {
    let record = |id, time, coin: &crate::generator::Symbol, business_type, amount, fee| Bill {
        id,
        time,
        coin: coin.clone(),
        symbol: Some(crate::generator::BITGET_MARGIN_PAIR.into()),
        business_type,
        group_type: "",
        amount,
        fee,
        balance: Decimal::ZERO,
    };
    let flows = m.flows.iter().map(|f| {
        let ty = match f.kind {
            "borrow" => "BORROW",
            "repay" => "REPAYMENT",
            "interest_repay" => "INTEREST_REPAYMENT",
            _ if f.amount.is_sign_negative() => "ORDER_DEALT_FROZEN_OUT",
            _ => "ORDER_DEALT_IN",
        };
        record(f.id, f.time, &f.coin, ty, f.amount, f.fee)
    });
    let interest =
        m.interest.iter().map(|i| record(i.id, i.time, &i.coin, "INTEREST_SETTLEMENT_OUT", -i.amount, Decimal::ZERO));
    flows.chain(interest).collect()
}

pub(super) fn uta_financial_records(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let cat = ctx.params.get("category").ok_or_else(|| ApiError::empty("category"))?;
    let (a, b) = window(ctx, false, 30, 30, 90)?;
    let limit = limit(ctx, 100, 100)?;
    let cursor = uint(ctx, "cursor")?;
    let coin = ctx.params.get("coin");
    let ty = ctx.params.get("type");
    let acc = acct(ctx);
    let margin;
    let source: &[Bill] = match cat {
        "SPOT" => &acc.spot_bills,
        "MARGIN" => {
            margin = uta_margin_records(&acc.margin);
            &margin
        }
        "USDT-FUTURES" => &acc.mix_bills,
        _ => &[],
    };
    let mut rows: Vec<&Bill> = source
        .iter()
        .filter(|x| {
            x.time >= a
                && x.time <= b
                && coin.is_none_or(|c| c.eq_ignore_ascii_case(&x.coin))
                && ty.is_none_or(|t| t == uta_type(x))
        })
        .collect();
    rows.sort_by_key(|x| x.id);
    let picked = page(rows.into_iter(), |x: &Bill| x.id, cursor, limit);
    let next = picked.last().map(|x| x.id.to_string()).unwrap_or_default();
    let picked = ordered(ctx, picked);
    Ok(json!({
        "list": picked.iter().map(|x| json!({
            "category": cat, "id": x.id.to_string(), "symbol": x.symbol.as_deref().unwrap_or(""), "coin": &*x.coin,
            "type": uta_type(x), "amount": s(x.amount), "fee": s(x.fee), "balance": s(x.balance), "ts": x.time.to_string()
        })).collect::<Vec<_>>(),
        "cursor": next
    }))
}

pub(super) fn uta_fills(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let cat = ctx.params.get("category");
    let (a, b) = window(ctx, false, 30, 30, 90)?;
    let limit = limit(ctx, 100, 100)?;
    let cursor = uint(ctx, "cursor")?;
    let order = uint(ctx, "orderId")?;
    let acc = acct(ctx);
    // both kinds merged by id; JSON only for the page
    enum Fill<'a> {
        Spot(&'a crate::generator::BitgetSpotFill),
        Futures(&'a FuturesFill),
        Margin(&'a crate::generator::SpotFill),
    }
    let mut ids: Vec<(u64, Fill<'_>)> = Vec::new();
    if cat.is_none_or(|c| c == "SPOT") {
        ids.extend(
            acc.spot_fills
                .iter()
                .filter(|f| f.time >= a && f.time <= b && order.is_none_or(|o| o == f.order_id))
                .map(|f| (f.id, Fill::Spot(f))),
        );
    }
    if cat.is_none_or(|c| c == "USDT-FUTURES") {
        ids.extend(
            acc.mix_fills
                .iter()
                .filter(|f| f.time >= a && f.time <= b && order.is_none_or(|o| o == f.order_id))
                .map(|f| (f.id, Fill::Futures(f))),
        );
    }
    if cat.is_none_or(|c| c == "MARGIN") {
        ids.extend(
            acc.margin
                .fills
                .iter()
                .filter(|f| f.time >= a && f.time <= b && order.is_none_or(|o| o == f.order_id))
                .map(|f| (f.id, Fill::Margin(f))),
        );
    }
    ids.sort_by_key(|r| r.0);
    let picked: Vec<&(u64, Fill<'_>)> =
        ids.iter().rev().filter(|r| cursor.is_none_or(|c| r.0 < c)).take(limit).collect();
    let mut rows: Vec<(u64, Value)> = Vec::new();
    for (id, fill) in picked {
        match fill {
            Fill::Spot(f) => rows.push((*id, json!({
                "execId": f.id.to_string(), "execLinkId": f.id.to_string(), "orderId": f.order_id.to_string(), "clientOid": "",
                "category": "SPOT", "symbol": &*f.symbol, "orderType": "market", "side": if f.buy { "buy" } else { "sell" },
                "execPrice": s(f.price), "execQty": s(f.size), "execValue": s(f.amount), "tradeScope": if f.maker { "maker" } else { "taker" },
                "tradeSide": "", "feeDetail": [{"feeCoin": &*f.fee_coin, "fee": s(f.fee)}], "createdTime": f.time.to_string(),
                "updatedTime": f.time.to_string(), "execPnl": "0"
            }))),
            Fill::Futures(f) => rows.push((*id, json!({
                "execId": f.id.to_string(), "execLinkId": f.id.to_string(), "orderId": f.order_id.to_string(), "clientOid": "",
                "category": "USDT-FUTURES", "symbol": &*f.symbol, "orderType": "market", "side": if f.buyer { "buy" } else { "sell" },
                "execPrice": s(f.price), "execQty": s(f.qty), "execValue": s((f.price * f.qty).round_dp(8)),
                "tradeScope": if f.maker { "maker" } else { "taker" }, "tradeSide": trade_side(f),
                "feeDetail": [{"feeCoin": "USDT", "fee": s(f.commission)}], "createdTime": f.time.to_string(),
                "updatedTime": f.time.to_string(), "execPnl": s(f.realized_pnl)
            }))),
            Fill::Margin(f) => rows.push((*id, json!({
                "execId": f.id.to_string(), "execLinkId": f.id.to_string(), "orderId": f.order_id.to_string(), "clientOid": "",
                "category": "MARGIN", "symbol": crate::generator::BITGET_MARGIN_PAIR, "orderType": "market",
                "side": if f.is_buyer { "buy" } else { "sell" }, "execPrice": s(f.price), "execQty": s(f.qty),
                "execValue": s(f.quote_qty), "tradeScope": if f.is_maker { "maker" } else { "taker" }, "tradeSide": "",
                "feeDetail": [{"feeCoin": &*f.commission_asset, "fee": s(f.commission)}], "createdTime": f.time.to_string(),
                "updatedTime": f.time.to_string(), "execPnl": "0"
            }))),
        }
    }
    let next = rows.last().map(|r| r.0.to_string()).unwrap_or_default();
    let rows = ordered(ctx, rows);
    Ok(json!({"list": rows.into_iter().map(|r| r.1).collect::<Vec<_>>(), "cursor": next}))
}

mod earn;
pub(super) use earn::{savings_assets, savings_records};
mod sharkfin;
pub(super) use sharkfin::{earn_assets, sharkfin_records};
mod earn_loan;
pub(super) use earn_loan::{loan_history, loan_orders, loan_repays};
mod tax;
pub(super) use tax::{
    future_record as tax_future_record, margin_record as tax_margin_record, no_record as tax_no_record,
    spot_record as tax_spot_record,
};
mod margin;
pub(super) use margin::{cross_assets, cross_fills, cross_flow, cross_interest};
mod isolated;
pub(super) use isolated::{isolated_assets, isolated_fills, isolated_flow, isolated_interest};
