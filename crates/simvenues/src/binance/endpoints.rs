//! Binance endpoint handlers: JSON shapes, windows, limits and pagination as documented (docs/venues.md §1.5–§1.9).

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{ApiError, Ctx};
use crate::generator::{BinanceAccount, COINM_CONTRACTS, CoinmContract, EarnKind, EarnRow, Position, coinm_contract};
use crate::keys::WriteClass;
use crate::market::{DAY, HOUR};

/// A decimal with exactly 8 places, as Binance writes amounts.
pub(crate) fn f8(d: Decimal) -> String {
    let mut x = d.round_dp(8);
    x.rescale(8);
    x.to_string()
}

/// `YYYY-MM-DD HH:MM:SS` UTC, as the withdraw history writes times.
pub(crate) fn datetime(ms: i64) -> String {
    let t = ledger::Timestamp::from_millis(ms);
    let s = ms.rem_euclid(DAY) / 1000;
    format!("{} {:02}:{:02}:{:02}", t.date_string(), s / 3600, (s / 60) % 60, s % 60)
}

pub(super) fn int(ctx: &Ctx<'_>, name: &str) -> Result<Option<i64>, ApiError> {
    match ctx.params.get(name) {
        None => Ok(None),
        Some(v) => {
            let n: i64 = v.parse().map_err(|_| {
                ApiError::bad(
                    -1100,
                    format!("Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'."),
                )
            })?;
            // timestamps may come in microseconds
            Ok(Some(if (name.ends_with("Time")) && n > 100_000_000_000_000 { n / 1000 } else { n }))
        }
    }
}

pub(super) fn limit(ctx: &Ctx<'_>, default: i64, max: i64) -> Result<usize, ApiError> {
    let l = int(ctx, "limit")?.unwrap_or(default);
    if l <= 0 {
        return Err(ApiError::invalid("limit"));
    }
    Ok(l.min(max) as usize)
}

pub(super) fn acct<'a>(ctx: &Ctx<'a>) -> &'a BinanceAccount {
    ctx.account.expect("signed endpoint has an account")
}

fn symbol_param(ctx: &Ctx<'_>, futures: bool) -> Result<String, ApiError> {
    let s = ctx.params.get("symbol").ok_or_else(|| ApiError::mandatory("symbol"))?;
    let listed = if futures { &ctx.world.binance_futures } else { &ctx.world.binance_spot };
    // a delisted pair: not in exchangeInfo, its trades still served (docs/venues.md §1.6, §5)
    let delisted =
        !futures && ctx.settings.delisted_trades_served && ctx.world.binance_delisted.iter().any(|x| &**x == s);
    if !listed.iter().any(|x| &**x == s) && !delisted {
        return Err(ApiError::bad(-1121, "Invalid symbol."));
    }
    Ok(s.to_string())
}

pub(super) fn time(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    Ok(json!({"serverTime": ctx.req.now}))
}

fn spot_symbol_json(ctx: &Ctx<'_>, name: &str) -> Value {
    let s = ctx.world.market.symbol(name).expect("listed");
    let tick = f8(Decimal::new(1, s.price_dp));
    let step = f8(Decimal::new(1, s.qty_dp));
    json!({
        "symbol": s.name, "status": "TRADING", "baseAsset": s.base, "baseAssetPrecision": 8, "quoteAsset": s.quote,
        "quotePrecision": 8, "quoteAssetPrecision": 8, "baseCommissionPrecision": 8, "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"],
        "icebergAllowed": true, "ocoAllowed": true, "otoAllowed": true, "opoAllowed": false, "quoteOrderQtyMarketAllowed": true,
        "allowTrailingStop": true, "cancelReplaceAllowed": true, "amendAllowed": true, "pegInstructionsAllowed": false,
        "isSpotTradingAllowed": true, "isMarginTradingAllowed": true,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "1000000.00000000", "tickSize": tick},
            {"filterType": "LOT_SIZE", "minQty": step, "maxQty": "9000.00000000", "stepSize": step},
            {"filterType": "NOTIONAL", "minNotional": "5.00000000", "applyMinToMarket": true, "maxNotional": "9000000.00000000", "applyMaxToMarket": false, "avgPriceMins": 5},
            {"filterType": "MARKET_LOT_SIZE", "minQty": "0.00000000", "maxQty": "100.00000000", "stepSize": "0.00000000"},
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200}
        ],
        "permissions": [], "permissionSets": [["SPOT", "MARGIN"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT"]
    })
}

pub(super) fn exchange_info(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let mut names: Vec<String> =
        ctx.world.binance_spot.iter().map(|s| s.to_string()).filter(|s| !ctx.settings.unlisted.contains(s)).collect();
    if let Some(s) = ctx.params.get("symbol") {
        if !names.iter().any(|n| n == s) {
            return Err(ApiError::bad(-1121, "Invalid symbol."));
        }
        names = vec![s.to_string()];
    } else if let Some(list) = ctx.params.get("symbols") {
        let wanted: Vec<String> = serde_json::from_str(list).map_err(|_| ApiError::invalid("symbols"))?;
        if wanted.iter().any(|w| !names.contains(w)) {
            return Err(ApiError::bad(-1121, "Invalid symbol."));
        }
        names = wanted;
    }
    Ok(json!({
        "timezone": "UTC",
        "serverTime": ctx.req.now,
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
            {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
            {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000}
        ],
        "exchangeFilters": [],
        "symbols": names.iter().map(|n| spot_symbol_json(ctx, n)).collect::<Vec<_>>(),
        "sors": []
    }))
}

/// A symbol whose market data is served: a spot symbol or a fiat market.
fn market_symbol(ctx: &Ctx<'_>) -> Result<String, ApiError> {
    let s = ctx.params.get("symbol").ok_or_else(|| ApiError::mandatory("symbol"))?;
    if !ctx.world.binance_spot.iter().chain(&ctx.world.binance_price_only).any(|x| &**x == s) {
        return Err(ApiError::bad(-1121, "Invalid symbol."));
    }
    Ok(s.to_string())
}

pub(super) fn ticker_price(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let m = &ctx.world.market;
    let row = |n: &str| json!({"symbol": n, "price": f8(m.last(n))});
    let served = || ctx.world.binance_spot.iter().chain(&ctx.world.binance_price_only);
    if ctx.params.get("symbol").is_some() {
        if ctx.params.has("symbols") {
            return Err(ApiError::bad(-1101, "Too many parameters; expected 'symbol' or 'symbols'."));
        }
        return Ok(row(&market_symbol(ctx)?));
    }
    let names: Vec<String> = match ctx.params.get("symbols") {
        Some(list) => {
            let wanted: Vec<String> = serde_json::from_str(list).map_err(|_| ApiError::invalid("symbols"))?;
            if wanted.iter().any(|w| !served().any(|s| &**s == w)) {
                return Err(ApiError::bad(-1121, "Invalid symbol."));
            }
            wanted
        }
        None => served().map(|s| s.to_string()).collect(),
    };
    Ok(Value::Array(names.iter().map(|n| row(n)).collect()))
}

/// Milliseconds of a Binance kline interval.
pub(crate) fn interval_ms(i: &str) -> Option<i64> {
    Some(match i {
        "1m" => 60_000,
        "3m" => 180_000,
        "5m" => 300_000,
        "15m" => 900_000,
        "30m" => 1_800_000,
        "1h" => HOUR,
        "2h" => 2 * HOUR,
        "4h" => 4 * HOUR,
        "6h" => 6 * HOUR,
        "8h" => 8 * HOUR,
        "12h" => 12 * HOUR,
        "1d" => DAY,
        "3d" => 3 * DAY,
        "1w" => 7 * DAY,
        _ => return None,
    })
}

pub(super) fn klines(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let s = market_symbol(ctx)?;
    let iv = ctx.params.get("interval").ok_or_else(|| ApiError::mandatory("interval"))?;
    let ms = interval_ms(iv).ok_or_else(|| ApiError::bad(-1120, "Invalid interval."))?;
    let limit = limit(ctx, 500, 1000)?;
    let start = int(ctx, "startTime")?;
    let end = int(ctx, "endTime")?.unwrap_or(ctx.req.now);
    let rows = ctx.world.market.candles(&s, ms, start, end, limit);
    Ok(Value::Array(
        rows.iter()
            .map(|c| {
                json!([
                    c.open_time,
                    f8(c.open),
                    f8(c.high),
                    f8(c.low),
                    f8(c.close),
                    f8(c.volume),
                    c.open_time + ms - 1,
                    f8(c.quote_volume),
                    c.trades,
                    f8(c.volume / Decimal::from(2)),
                    f8(c.quote_volume / Decimal::from(2)),
                    "0"
                ])
            })
            .collect(),
    ))
}

pub(super) fn account(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let a = acct(ctx);
    let omit = ctx.params.get("omitZeroBalances") == Some("true");
    let spot = &a.wallets["spot"];
    let mut assets: Vec<String> = crate::market::ASSETS.iter().map(|x| x.0.to_string()).collect();
    assets.push("USDT".into());
    for k in spot.keys() {
        if !assets.contains(k) {
            assets.push(k.clone());
        }
    }
    assets.sort();
    let balances: Vec<Value> = assets
        .iter()
        .filter_map(|asset| {
            let v = spot.get(asset).copied().unwrap_or_default();
            if omit && v.is_zero() {
                None
            } else {
                Some(json!({"asset": asset, "free": f8(v), "locked": f8(Decimal::ZERO)}))
            }
        })
        .collect();
    Ok(json!({
        "makerCommission": 10, "takerCommission": 10, "buyerCommission": 0, "sellerCommission": 0,
        "commissionRates": {"maker": "0.00100000", "taker": "0.00100000", "buyer": "0.00000000", "seller": "0.00000000"},
        "canTrade": true, "canWithdraw": true, "canDeposit": true, "brokered": false,
        "requireSelfTradePrevention": false, "preventSor": false, "updateTime": ctx.world.end,
        "accountType": "SPOT", "balances": balances, "permissions": ["SPOT"], "uid": a.uid
    }))
}

pub(super) fn my_trades(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let s = symbol_param(ctx, false)?;
    let order_id = int(ctx, "orderId")?;
    let start = int(ctx, "startTime")?;
    let end = int(ctx, "endTime")?;
    let from_id = int(ctx, "fromId")?;
    let limit = limit(ctx, 500, 1000)?;
    let combo = (order_id.is_some(), start.is_some(), end.is_some(), from_id.is_some());
    // the combinations the venue documents, one per line (orderId, startTime, endTime, fromId)
    #[allow(clippy::unnested_or_patterns)]
    let allowed = matches!(
        combo,
        (false, false, false, false)
            | (true, false, false, false)
            | (false, true, false, false)
            | (false, false, true, false)
            | (false, false, false, true)
            | (false, true, true, false)
            | (true, false, false, true)
    );
    if !allowed {
        return Err(ApiError::bad(-1128, "Combination of optional parameters invalid."));
    }
    if let (Some(a), Some(b)) = (start, end)
        && (b - a > DAY || b < a)
    {
        return Err(ApiError::hours(24));
    }
    let empty = Vec::new();
    let rows = acct(ctx).trades.get(s.as_str()).unwrap_or(&empty);
    let rows: Vec<_> = rows.iter().filter(|f| order_id.is_none_or(|o| f.order_id as i64 == o)).collect();
    let picked: Vec<_> = if let Some(f) = from_id {
        rows.into_iter().filter(|r| r.id as i64 >= f).take(limit).collect()
    } else if let Some(st) = start {
        rows.into_iter().filter(|r| r.time >= st && end.is_none_or(|e| r.time <= e)).take(limit).collect()
    } else {
        let e = end.unwrap_or(i64::MAX);
        let v: Vec<_> = rows.into_iter().filter(|r| r.time <= e).collect();
        let n = v.len();
        v.into_iter().skip(n.saturating_sub(limit)).collect()
    };
    Ok(Value::Array(
        picked
            .iter()
            .map(|f| {
                json!({
                    "symbol": s, "id": f.id, "orderId": f.order_id, "orderListId": -1, "price": f8(f.price), "qty": f8(f.qty),
                    "quoteQty": f8(f.quote_qty), "commission": f8(f.commission), "commissionAsset": &*f.commission_asset,
                    "time": f.time, "isBuyer": f.is_buyer, "isMaker": f.is_maker, "isBestMatch": true
                })
            })
            .collect(),
    ))
}

pub(super) fn api_restrictions(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    Ok(ctx.key.expect("signed").binance_restrictions(ctx.world.start - 30 * DAY))
}

/// `[start, end]` of a wallet history query: defaults to the last 90 days, at most `max_days` apart.
pub(super) fn window(ctx: &Ctx<'_>, default_days: i64, max_days: i64) -> Result<(i64, i64), ApiError> {
    let now = ctx.req.now;
    let start = int(ctx, "startTime")?;
    let end = int(ctx, "endTime")?;
    let (s, e) = match (start, end) {
        (Some(s), Some(e)) => (s, e),
        (Some(s), None) => (s, (s + default_days * DAY).min(now)),
        (None, Some(e)) => (e - default_days * DAY, e),
        (None, None) => (now - default_days * DAY, now),
    };
    if e - s > max_days * DAY || e < s {
        return Err(ApiError::hours(max_days * 24));
    }
    Ok((s, e))
}

/// Networks of a coin as the generator uses them: (network, withdraw fee).
pub(crate) fn networks(coin: &str) -> Vec<(&'static str, &'static str)> {
    match coin {
        "USDT" => vec![("TRX", "1"), ("ETH", "4"), ("BSC", "0.5")],
        "BTC" => vec![("BTC", "0.0002")],
        "ETH" => vec![("ETH", "0.0012")],
        _ => vec![("BSC", "0.01")],
    }
}

/// `GET /sapi/v1/capital/config/getall`: every coin with the account's spot balance and its networks.
pub(super) fn coins(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let spot = &acct(ctx).wallets["spot"];
    let mut coins: Vec<&str> = crate::market::ASSETS.iter().map(|a| a.0).collect();
    coins.push("USDT");
    coins.sort();
    Ok(Value::Array(
        coins
            .iter()
            .map(|c| {
                let nets = networks(c);
                json!({
                    "coin": c, "depositAllEnable": true, "withdrawAllEnable": true, "name": c,
                    "free": f8(spot.get(*c).copied().unwrap_or_default()), "locked": "0", "freeze": "0", "withdrawing": "0",
                    "ipoing": "0", "ipoable": "0", "storage": "0", "isLegalMoney": false, "trading": true,
                    "networkList": nets.iter().enumerate().map(|(i, (n, fee))| json!({
                        "network": n, "coin": c, "withdrawIntegerMultiple": "0.00000001", "isDefault": i == 0,
                        "depositEnable": true, "withdrawEnable": true, "depositDesc": "", "withdrawDesc": "",
                        "specialTips": "", "name": n, "resetAddressStatus": false, "addressRegex": "^.+$", "memoRegex": "",
                        "withdrawFee": fee, "withdrawMin": fee, "withdrawMax": "9999999999.99999999", "minConfirm": 12,
                        "unLockConfirm": 0, "sameAddress": false, "estimatedArrivalTime": 5, "busy": false,
                        "contractAddressUrl": "", "contractAddress": ""
                    })).collect::<Vec<_>>()
                })
            })
            .collect(),
    ))
}

/// `GET /sapi/v1/margin/allPairs` (and the isolated variant): the spot symbols, all margin-tradable.
pub(super) fn margin_pairs(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    Ok(Value::Array(
        ctx.world
            .binance_spot
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let s = ctx.world.market.symbol(n).expect("listed");
                json!({"id": 351637150141315861u64 + i as u64, "symbol": s.name, "base": s.base, "quote": s.quote,
                       "isMarginTrade": true, "isBuyAllowed": true, "isSellAllowed": true})
            })
            .collect(),
    ))
}

pub(super) fn deposits(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let (s, e) = window(ctx, 90, 90)?;
    let offset = int(ctx, "offset")?.unwrap_or(0).max(0) as usize;
    let limit = limit(ctx, 1000, 1000)?;
    let coin = ctx.params.get("coin");
    let tx = ctx.params.get("txId");
    let mut rows: Vec<_> = acct(ctx)
        .deposits
        .iter()
        .filter(|d| d.time >= s && d.time <= e && coin.is_none_or(|c| c == &*d.coin) && tx.is_none_or(|t| t == d.txid))
        .filter(|_| ctx.params.get("status").is_none_or(|st| st == "1"))
        .collect();
    rows.reverse(); // newest first
    Ok(Value::Array(
        rows.iter()
            .skip(offset)
            .take(limit)
            .map(|d| {
                json!({
                    "id": d.id.to_string(), "amount": d.amount.normalize().to_string(), "coin": &*d.coin, "network": d.network,
                    "status": 1, "address": d.address, "addressTag": "", "txId": d.txid, "insertTime": d.time,
                    "completeTime": d.time + 120_000, "transferType": 0, "confirmTimes": "12/12", "unlockConfirm": 0, "walletType": 0
                })
            })
            .collect(),
    ))
}

pub(super) fn withdrawals(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let by_order = ctx.params.has("withdrawOrderId");
    let (s, e) = if by_order { window(ctx, 7, 7)? } else { window(ctx, 90, 90)? };
    let offset = int(ctx, "offset")?.unwrap_or(0).max(0) as usize;
    let limit = limit(ctx, 1000, 1000)?;
    let coin = ctx.params.get("coin");
    let ids: Option<Vec<&str>> = ctx.params.get("idList").map(|l| l.split(',').collect());
    let mut rows: Vec<_> = acct(ctx)
        .withdrawals
        .iter()
        .filter(|w| w.time >= s && w.time <= e && coin.is_none_or(|c| c == &*w.coin))
        .filter(|w| ids.as_ref().is_none_or(|ids| ids.contains(&w.id.as_str())))
        .filter(|_| !by_order && ctx.params.get("status").is_none_or(|st| st == "6"))
        .collect();
    rows.reverse();
    Ok(Value::Array(
        rows.iter()
            .skip(offset)
            .take(limit)
            .map(|w| {
                json!({
                    "id": w.id, "amount": f8(w.amount), "transactionFee": w.fee.normalize().to_string(), "coin": &*w.coin,
                    "status": 6, "address": w.address, "txId": w.txid, "applyTime": datetime(w.time), "network": w.network,
                    "transferType": 0, "info": "", "confirmNo": 12, "walletType": 0, "txKey": "", "completeTime": datetime(w.complete_time)
                })
            })
            .collect(),
    ))
}

pub(super) fn transfers(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let ty = ctx.params.get("type").ok_or_else(|| ApiError::mandatory("type"))?;
    let now = ctx.req.now;
    let start = int(ctx, "startTime")?;
    let end = int(ctx, "endTime")?;
    let (s, e) = match (start, end) {
        (None, None) => (now - 7 * DAY, now),
        (s, e) => (s.unwrap_or(now - 180 * DAY), e.unwrap_or(now)),
    };
    let s = s.max(now - 180 * DAY);
    let current = int(ctx, "current")?.unwrap_or(1).max(1) as usize;
    let size = int(ctx, "size")?.unwrap_or(10).clamp(1, 100) as usize;
    // an isolated pair's types name it: `toSymbol` into the pair, `fromSymbol` out of it, both between two pairs
    // (docs/venues.md §1.18)
    let sides: &[(&str, bool)] = match ty {
        "MARGIN_ISOLATEDMARGIN" => &[("toSymbol", false)],
        "ISOLATEDMARGIN_MARGIN" => &[("fromSymbol", true)],
        "ISOLATEDMARGIN_ISOLATEDMARGIN" => &[("fromSymbol", true), ("toSymbol", false)],
        _ => &[],
    };
    let mut wallets = Vec::with_capacity(sides.len());
    for &(param, from) in sides {
        let pair = ctx.params.get(param).ok_or_else(|| ApiError::mandatory(param))?;
        wallets.push((format!("isolated-{pair}"), from));
    }
    let mut rows: Vec<_> = acct(ctx)
        .transfers
        .iter()
        .filter(|t| crate::truth::binance_transfer_type(t.from, t.to) == ty && t.time >= s && t.time <= e)
        .filter(|t| wallets.iter().all(|(w, from)| (if *from { t.from } else { t.to }) == w))
        .collect();
    rows.reverse(); // newest first
    let total = rows.len();
    if total == 0 {
        return Ok(json!({"total": 0}));
    }
    let page: Vec<Value> = rows
        .iter()
        .skip((current - 1) * size)
        .take(size)
        .map(|t| json!({"asset": &*t.asset, "amount": t.amount.normalize().to_string(), "type": ty, "status": "CONFIRMED", "tranId": t.id, "timestamp": t.time}))
        .collect();
    Ok(json!({"total": total, "rows": page}))
}

pub(super) fn convert_flow(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let s = int(ctx, "startTime")?.ok_or_else(|| ApiError::mandatory("startTime"))?;
    let e = int(ctx, "endTime")?.ok_or_else(|| ApiError::mandatory("endTime"))?;
    if e - s > 30 * DAY || e < s {
        return Err(ApiError::bad(-1127, "More than 30 days between startTime and endTime."));
    }
    let limit = limit(ctx, 100, 1000)?;
    let rows: Vec<_> = acct(ctx).converts.iter().filter(|c| c.time >= s && c.time <= e).collect();
    let more = rows.len() > limit;
    let list: Vec<Value> = rows
        .iter()
        .take(limit)
        .map(|c| {
            json!({
                "quoteId": c.quote_id, "orderId": c.order_id, "orderStatus": "SUCCESS", "fromAsset": &*c.from_asset,
                "fromAmount": c.from_amount.normalize().to_string(), "toAsset": &*c.to_asset, "toAmount": c.to_amount.normalize().to_string(),
                "ratio": (c.to_amount / c.from_amount).round_dp(8).normalize().to_string(),
                "inverseRatio": (c.from_amount / c.to_amount).round_dp(8).normalize().to_string(), "createTime": c.time
            })
        })
        .collect();
    Ok(json!({"list": list, "startTime": s, "endTime": e, "limit": limit, "moreData": more}))
}

pub(super) fn dribblet(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let s = int(ctx, "startTime")?.unwrap_or(i64::MIN);
    let e = int(ctx, "endTime")?.unwrap_or(i64::MAX);
    let rows: Vec<_> = acct(ctx).dribblets.iter().filter(|d| d.time >= s && d.time <= e).collect();
    let n = rows.len();
    let rows: Vec<_> = rows.into_iter().skip(n.saturating_sub(100)).collect();
    let list: Vec<Value> = rows
        .iter()
        .map(|d| {
            let total: Decimal = d.details.iter().map(|x| x.transfered).sum();
            let charge: Decimal = d.details.iter().map(|x| x.service_charge).sum();
            json!({
                "operateTime": d.time, "totalTransferedAmount": total.normalize().to_string(),
                "totalServiceChargeAmount": charge.normalize().to_string(), "transId": d.trans_id,
                "userAssetDribbletDetails": d.details.iter().map(|x| json!({
                    "transId": d.trans_id, "serviceChargeAmount": x.service_charge.normalize().to_string(),
                    "amount": x.amount.normalize().to_string(), "operateTime": d.time,
                    "transferedAmount": x.transfered.normalize().to_string(), "fromAsset": &*x.from_asset
                })).collect::<Vec<_>>()
            })
        })
        .collect();
    Ok(json!({"total": list.len(), "userAssetDribblets": list}))
}

fn btc_value(ctx: &Ctx<'_>, asset: &str, amount: Decimal) -> Decimal {
    let m = &ctx.world.market;
    let usdt = if asset == "USDT" {
        amount
    } else if m.symbol(&format!("{asset}USDT")).is_some() {
        amount * m.last(&format!("{asset}USDT"))
    } else {
        Decimal::ZERO
    };
    let btc = m.last("BTCUSDT");
    if btc.is_zero() { Decimal::ZERO } else { (usdt / btc).round_dp(8) }
}

pub(super) fn funding_asset(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let want = ctx.params.get("asset");
    let rows: Vec<Value> = acct(ctx).wallets["funding"]
        .iter()
        .filter(|(a, v)| !v.is_zero() && want.is_none_or(|w| w == a.as_str()))
        .map(|(a, v)| {
            json!({"asset": a, "free": v.normalize().to_string(), "locked": "0", "freeze": "0", "withdrawing": "0",
                   "btcValuation": btc_value(ctx, a, *v).normalize().to_string()})
        })
        .collect();
    Ok(Value::Array(rows))
}

pub(super) fn user_asset(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let want = ctx.params.get("asset");
    let rows: Vec<Value> = acct(ctx).wallets["spot"]
        .iter()
        .filter(|(a, v)| !v.is_zero() && want.is_none_or(|w| w == a.as_str()))
        .map(|(a, v)| {
            json!({"asset": a, "free": v.normalize().to_string(), "locked": "0", "freeze": "0", "withdrawing": "0",
                   "ipoable": "0", "btcValuation": btc_value(ctx, a, *v).normalize().to_string()})
        })
        .collect();
    Ok(Value::Array(rows))
}

// ---- USDⓈ-M futures ----

pub(super) fn futures_exchange_info(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let syms: Vec<Value> = ctx
        .world
        .binance_futures
        .iter()
        .map(|n| {
            let s = ctx.world.market.symbol(n).expect("listed");
            let tick = Decimal::new(1, s.price_dp).normalize().to_string();
            let step = Decimal::new(1, s.qty_dp.min(3)).normalize().to_string();
            json!({
                "symbol": s.name, "pair": s.name, "contractType": "PERPETUAL", "deliveryDate": 4133404800000i64,
                "onboardDate": 1569398400000i64, "status": "TRADING", "maintMarginPercent": "2.5000", "requiredMarginPercent": "5.0000",
                "baseAsset": s.base, "quoteAsset": s.quote, "marginAsset": "USDT", "pricePrecision": s.price_dp,
                "quantityPrecision": s.qty_dp.min(3), "baseAssetPrecision": 8, "quotePrecision": 8, "underlyingType": "COIN",
                "underlyingSubType": [], "triggerProtect": "0.0500", "liquidationFee": "0.012500", "marketTakeBound": "0.05",
                "maxMoveOrderLimit": 10000,
                "filters": [
                    {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "4529764", "tickSize": tick},
                    {"filterType": "LOT_SIZE", "minQty": step, "maxQty": "1000", "stepSize": step},
                    {"filterType": "MARKET_LOT_SIZE", "minQty": step, "maxQty": "120", "stepSize": step},
                    {"filterType": "MAX_NUM_ORDERS", "limit": 200},
                    {"filterType": "MIN_NOTIONAL", "notional": "100"},
                    {"filterType": "PERCENT_PRICE", "multiplierUp": "1.0500", "multiplierDown": "0.9500", "multiplierDecimal": "4"}
                ],
                "orderTypes": ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"],
                "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"]
            })
        })
        .collect();
    Ok(json!({
        "timezone": "UTC", "serverTime": ctx.req.now, "futuresType": "U_MARGINED",
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 2400},
            {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300}
        ],
        "exchangeFilters": [],
        "assets": [{"asset": "USDT", "marginAvailable": true, "autoAssetExchange": "-10000"}],
        "symbols": syms
    }))
}

fn next_funding(now: i64) -> i64 {
    now - now.rem_euclid(8 * HOUR) + 8 * HOUR
}

pub(super) fn premium_index(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let m = &ctx.world.market;
    let now = ctx.req.now;
    let row = |n: &str| {
        let mark = m.last(n);
        json!({
            "symbol": n, "markPrice": f8(mark), "indexPrice": f8(mark), "estimatedSettlePrice": f8(mark),
            "lastFundingRate": f8(Decimal::new(1, 4)), "interestRate": "0.00010000", "nextFundingTime": next_funding(now), "time": now
        })
    };
    if ctx.params.has("symbol") {
        let s = symbol_param(ctx, true)?;
        return Ok(row(&s));
    }
    Ok(Value::Array(ctx.world.binance_futures.iter().map(|s| row(s)).collect()))
}

/// `GET /fapi/v1/leverageBracket`: notional brackets per symbol (numbers, as Binance writes them here).
pub(super) fn leverage_bracket(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let want = ctx.params.get("symbol");
    let brackets = json!([
        {"bracket": 1, "initialLeverage": 125, "notionalCap": 50000, "notionalFloor": 0, "maintMarginRatio": 0.004, "cum": 0.0},
        {"bracket": 2, "initialLeverage": 100, "notionalCap": 600000, "notionalFloor": 50000, "maintMarginRatio": 0.005, "cum": 50.0},
        {"bracket": 3, "initialLeverage": 50, "notionalCap": 3000000, "notionalFloor": 600000, "maintMarginRatio": 0.01, "cum": 3050.0}
    ]);
    let rows: Vec<Value> = ctx
        .world
        .binance_futures
        .iter()
        .filter(|s| want.is_none_or(|w| w == &***s))
        .map(|s| json!({"symbol": &**s, "notionalCoef": 1.0, "brackets": brackets}))
        .collect();
    if want.is_some() && rows.is_empty() {
        return Err(ApiError::bad(-1121, "Invalid symbol."));
    }
    Ok(Value::Array(rows))
}

pub(super) fn user_trades(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let s = symbol_param(ctx, true)?;
    let now = ctx.req.now;
    let order_id = int(ctx, "orderId")?;
    let start = int(ctx, "startTime")?;
    let end = int(ctx, "endTime")?;
    let from_id = int(ctx, "fromId")?;
    let limit = limit(ctx, 500, 1000)?;
    if from_id.is_some() && (start.is_some() || end.is_some()) {
        return Err(ApiError::bad(-1128, "Combination of optional parameters invalid."));
    }
    let (lo, hi) = match (start, end) {
        (Some(a), Some(b)) => (a, b),
        (Some(a), None) => (a, a + 7 * DAY),
        (None, Some(b)) => (b - 7 * DAY, b),
        (None, None) => (now - 7 * DAY, now),
    };
    if hi - lo > 7 * DAY || hi < lo {
        return Err(ApiError::bad(-4166, "Search window is restricted to recent 7 days only."));
    }
    let six_months = now - 180 * DAY;
    let empty = Vec::new();
    let rows = acct(ctx).futures_trades.get(s.as_str()).unwrap_or(&empty);
    let rows: Vec<_> =
        rows.iter().filter(|f| f.time >= six_months && order_id.is_none_or(|o| f.order_id as i64 == o)).collect();
    let picked: Vec<_> = if let Some(fid) = from_id {
        rows.into_iter().filter(|r| r.id as i64 >= fid).take(limit).collect()
    } else {
        let v: Vec<_> = rows.into_iter().filter(|r| r.time >= lo && r.time <= hi).collect();
        if start.is_some() {
            v.into_iter().take(limit).collect()
        } else {
            let n = v.len();
            v.into_iter().skip(n.saturating_sub(limit)).collect()
        }
    };
    Ok(Value::Array(
        picked
            .iter()
            .map(|f| {
                json!({
                    "buyer": f.buyer, "commission": f8(f.commission), "commissionAsset": "USDT", "id": f.id, "maker": f.maker,
                    "orderId": f.order_id, "price": f.price.normalize().to_string(), "qty": f.qty.normalize().to_string(),
                    "quoteQty": f8(f.price * f.qty), "realizedPnl": f8(f.realized_pnl), "side": if f.buyer { "BUY" } else { "SELL" },
                    "positionSide": "BOTH", "symbol": s, "time": f.time
                })
            })
            .collect(),
    ))
}

/// The query both futures income endpoints take: `symbol`, `incomeType`, the window (`startTime`/`endTime`, the
/// last 7 days when neither is given), `limit` (100 by default, 1000 at most) and `page`.
struct IncomeQuery<'a> {
    sym: Option<&'a str>,
    ty: Option<&'a str>,
    start: Option<i64>,
    end: Option<i64>,
    lo: i64,
    hi: i64,
    limit: usize,
    page: usize,
}

impl<'a> IncomeQuery<'a> {
    fn read(ctx: &'a Ctx<'_>) -> Result<IncomeQuery<'a>, ApiError> {
        let now = ctx.req.now;
        let (start, end) = (int(ctx, "startTime")?, int(ctx, "endTime")?);
        let (lo, hi) = match (start, end) {
            (None, None) => (now - 7 * DAY, now),
            (s, e) => (s.unwrap_or(i64::MIN), e.unwrap_or(now)),
        };
        Ok(IncomeQuery {
            sym: ctx.params.get("symbol"),
            ty: ctx.params.get("incomeType"),
            start,
            end,
            lo,
            hi,
            limit: limit(ctx, 100, 1000)?,
            page: int(ctx, "page")?.unwrap_or(1).max(1) as usize,
        })
    }
}

pub(super) fn income(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let now = ctx.req.now;
    let IncomeQuery { sym, ty, start, end, lo, hi, limit, page } = IncomeQuery::read(ctx)?;
    if let (Some(max), Some(s), Some(e)) = (ctx.world_settings_income_days(), start, end)
        && e - s > max * DAY
    {
        return Err(ApiError::bad(-4166, format!("Search window is restricted to recent {max} days only.")));
    }
    let three_months = now - 90 * DAY;
    let rows: Vec<Value> = acct(ctx)
        .income
        .iter()
        .filter(|i| i.time >= lo.max(three_months) && i.time <= hi)
        .filter(|i| ty.is_none_or(|t| t == i.income_type))
        .filter(|i| sym.is_none_or(|s| i.symbol.as_deref() == Some(s)))
        .skip((page - 1) * limit)
        .take(limit)
        .map(|i| {
            json!({
                "symbol": i.symbol.as_deref().unwrap_or(""), "incomeType": i.income_type, "income": f8(i.income),
                "asset": &*i.asset, "info": i.income_type, "time": i.time, "tranId": i.tran_id,
                "tradeId": i.trade_id.map(|t| t.to_string()).unwrap_or_default()
            })
        })
        .collect();
    Ok(Value::Array(rows))
}

impl Ctx<'_> {
    fn world_settings_income_days(&self) -> Option<i64> {
        INCOME_MAX_DAYS.with(|c| c.get())
    }
}

thread_local! {
    /// The income window setting of the venue serving this thread's request (set by the venue before handlers run).
    pub(super) static INCOME_MAX_DAYS: std::cell::Cell<Option<i64>> = const { std::cell::Cell::new(None) };
}

struct PosView {
    symbol: String,
    amt: Decimal,
    entry: Decimal,
    mark: Decimal,
    upnl: Decimal,
    notional: Decimal,
    update: i64,
}

fn positions(ctx: &Ctx<'_>) -> Vec<PosView> {
    let m = &ctx.world.market;
    acct(ctx)
        .positions
        .iter()
        .map(|(s, p): (_, &Position)| {
            let mark = m.last(s);
            PosView {
                symbol: s.to_string(),
                amt: p.amt,
                entry: p.entry,
                mark,
                upnl: ((mark - p.entry) * p.amt).round_dp(8),
                notional: (p.amt * mark).round_dp(8),
                update: p.update_time,
            }
        })
        .collect()
}

pub(super) fn futures_balance(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let a = acct(ctx);
    let wallet = a.wallets["usdm"].get("USDT").copied().unwrap_or_default();
    let upnl: Decimal = positions(ctx).iter().map(|p| p.upnl).sum();
    let margin: Decimal = positions(ctx).iter().map(|p| p.notional.abs() / Decimal::from(10)).sum();
    let avail = (wallet + upnl - margin).max(Decimal::ZERO);
    let alias = format!("{:04X}", a.uid % 65536);
    let mut rows = vec![json!({
        "accountAlias": alias, "asset": "USDT", "balance": f8(wallet), "crossWalletBalance": f8(wallet),
        "crossUnPnl": f8(upnl), "availableBalance": f8(avail), "maxWithdrawAmount": f8(avail.min(wallet)),
        "marginAvailable": true, "updateTime": ctx.world.end
    })];
    for asset in ["BNB", "USDC", "FDUSD"] {
        rows.push(json!({
            "accountAlias": alias, "asset": asset, "balance": f8(Decimal::ZERO), "crossWalletBalance": f8(Decimal::ZERO),
            "crossUnPnl": f8(Decimal::ZERO), "availableBalance": f8(Decimal::ZERO), "maxWithdrawAmount": f8(Decimal::ZERO),
            "marginAvailable": true, "updateTime": 0
        }));
    }
    Ok(Value::Array(rows))
}

pub(super) fn futures_account(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let a = acct(ctx);
    let wallet = a.wallets["usdm"].get("USDT").copied().unwrap_or_default();
    let ps = positions(ctx);
    let upnl: Decimal = ps.iter().map(|p| p.upnl).sum();
    let im: Decimal = ps.iter().map(|p| (p.notional.abs() / Decimal::from(10)).round_dp(8)).sum();
    let mm: Decimal = ps.iter().map(|p| (p.notional.abs() * Decimal::new(4, 3)).round_dp(8)).sum();
    let avail = (wallet + upnl - im).max(Decimal::ZERO);
    Ok(json!({
        "totalInitialMargin": f8(im), "totalMaintMargin": f8(mm), "totalWalletBalance": f8(wallet),
        "totalUnrealizedProfit": f8(upnl), "totalMarginBalance": f8(wallet + upnl), "totalPositionInitialMargin": f8(im),
        "totalOpenOrderInitialMargin": f8(Decimal::ZERO), "totalCrossWalletBalance": f8(wallet), "totalCrossUnPnl": f8(upnl),
        "availableBalance": f8(avail), "maxWithdrawAmount": f8(avail.min(wallet)),
        "assets": [{
            "asset": "USDT", "walletBalance": f8(wallet), "unrealizedProfit": f8(upnl), "marginBalance": f8(wallet + upnl),
            "maintMargin": f8(mm), "initialMargin": f8(im), "positionInitialMargin": f8(im), "openOrderInitialMargin": f8(Decimal::ZERO),
            "crossWalletBalance": f8(wallet), "crossUnPnl": f8(upnl), "availableBalance": f8(avail),
            "maxWithdrawAmount": f8(avail.min(wallet)), "updateTime": ctx.world.end
        }],
        "positions": ps.iter().map(|p| json!({
            "symbol": p.symbol, "positionSide": "BOTH", "positionAmt": p.amt.normalize().to_string(),
            "unrealizedProfit": f8(p.upnl), "isolatedMargin": "0.00000000", "notional": f8(p.notional), "isolatedWallet": "0",
            "initialMargin": f8(p.notional.abs() / Decimal::from(10)), "maintMargin": f8(p.notional.abs() * Decimal::new(4, 3)),
            "updateTime": p.update
        })).collect::<Vec<_>>()
    }))
}

pub(super) fn position_risk_v3(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let want = ctx.params.get("symbol");
    Ok(Value::Array(
        positions(ctx)
            .iter()
            .filter(|p| want.is_none_or(|w| w == p.symbol))
            .map(|p| {
                let im = (p.notional.abs() / Decimal::from(10)).round_dp(8);
                json!({
                    "symbol": p.symbol, "positionSide": "BOTH", "positionAmt": p.amt.normalize().to_string(),
                    "entryPrice": p.entry.normalize().to_string(), "breakEvenPrice": p.entry.normalize().to_string(),
                    "markPrice": f8(p.mark), "unRealizedProfit": f8(p.upnl), "liquidationPrice": "0", "isolatedMargin": "0",
                    "notional": f8(p.notional), "marginAsset": "USDT", "isolatedWallet": "0", "initialMargin": f8(im),
                    "maintMargin": f8(p.notional.abs() * Decimal::new(4, 3)), "positionInitialMargin": f8(im),
                    "openOrderInitialMargin": "0", "adl": 1, "bidNotional": "0", "askNotional": "0", "updateTime": p.update
                })
            })
            .collect(),
    ))
}

pub(super) fn position_risk_v2(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let want = ctx.params.get("symbol");
    let ps = positions(ctx);
    let m = &ctx.world.market;
    Ok(Value::Array(
        ctx.world
            .binance_futures
            .iter()
            .filter(|s| want.is_none_or(|w| w == &***s))
            .map(|s| {
                let p = ps.iter().find(|p| p.symbol == **s);
                let (amt, entry, upnl, notional, update) =
                    p.map(|p| (p.amt, p.entry, p.upnl, p.notional, p.update)).unwrap_or_default();
                json!({
                    "symbol": &**s, "positionAmt": amt.normalize().to_string(), "entryPrice": entry.normalize().to_string(),
                    "breakEvenPrice": entry.normalize().to_string(), "markPrice": f8(m.last(s)), "unRealizedProfit": f8(upnl),
                    "liquidationPrice": "0", "leverage": "10", "maxNotionalValue": "250000000", "marginType": "cross",
                    "isolatedMargin": "0.00000000", "isAutoAddMargin": "false", "positionSide": "BOTH", "notional": f8(notional),
                    "isolatedWallet": "0", "updateTime": update, "isolated": false, "adlQuantile": 1
                })
            })
            .collect(),
    ))
}

/// What Binance answers to an accepted write (nothing is executed: the sandbox only records it).
pub(super) fn write_ack(path: &str, params: &crate::http::Params, now: i64, class: WriteClass) -> Value {
    match class {
        WriteClass::Withdraw => json!({"id": format!("{:032x}", now)}),
        WriteClass::Transfer => json!({"tranId": now}),
        WriteClass::Trade if path.contains("order") => json!({
            "symbol": params.get("symbol").unwrap_or(""), "orderId": now, "orderListId": -1,
            "clientOrderId": params.get("newClientOrderId").unwrap_or("sandbox"), "transactTime": now
        }),
        _ => json!({}),
    }
}

/// A page of Simple Earn rows, newest first: `current` from 1, `size` at most 100 (10 by default), with the total
/// (docs/venues.md §1.12).
pub(super) fn earn_page(ctx: &Ctx<'_>, rows: Vec<Value>) -> Result<Value, ApiError> {
    let current = int(ctx, "current")?.unwrap_or(1).max(1) as usize;
    let size = int(ctx, "size")?.unwrap_or(10).clamp(1, 100) as usize;
    let total = rows.len();
    let page: Vec<Value> = rows.into_iter().rev().skip((current - 1) * size).take(size).collect();
    Ok(json!({"rows": page, "total": total}))
}

/// The account's Simple Earn rows of one product kind in the query's window (the last 30 days by default, at most
/// 90 apart: the pages say three months), chronological.
fn earn_rows<'a>(ctx: &Ctx<'a>, locked: bool, keep: impl Fn(&EarnRow) -> bool) -> Result<Vec<&'a EarnRow>, ApiError> {
    let (s, e) = window(ctx, 30, 90)?;
    Ok(acct(ctx).earn.iter().filter(|r| r.locked == locked && r.time >= s && r.time <= e && keep(r)).collect())
}

fn subscription_type(r: &EarnRow) -> &'static str {
    if matches!(r.kind, EarnKind::Subscribe { auto: true }) { "AUTO" } else { "NORMAL" }
}

pub(super) fn earn_flexible_subscriptions(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let rows = earn_rows(ctx, false, |r| matches!(r.kind, EarnKind::Subscribe { .. }))?;
    let rows = rows
        .into_iter()
        .map(|r| {
            json!({"amount": f8(r.amount), "asset": &*r.asset, "time": r.time, "purchaseId": r.id,
                   "productId": r.product, "type": subscription_type(r), "sourceAccount": "SPOT", "status": "SUCCESS"})
        })
        .collect();
    earn_page(ctx, rows)
}

pub(super) fn earn_locked_subscriptions(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let rows = earn_rows(ctx, true, |r| matches!(r.kind, EarnKind::Subscribe { .. }))?;
    let rows = rows
        .into_iter()
        .map(|r| {
            json!({"positionId": r.position_id, "purchaseId": r.id.to_string(), "projectId": r.product, "time": r.time,
                   "asset": &*r.asset, "amount": f8(r.amount), "lockPeriod": r.lock_days.to_string(),
                   "type": subscription_type(r), "sourceAccount": "SPOT", "status": "SUCCESS"})
        })
        .collect();
    earn_page(ctx, rows)
}

pub(super) fn earn_flexible_redemptions(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let rows = earn_rows(ctx, false, |r| matches!(r.kind, EarnKind::Redeem { .. }))?;
    let rows = rows
        .into_iter()
        .map(|r| {
            json!({"amount": f8(r.amount), "asset": &*r.asset, "time": r.time, "projectId": r.product,
                   "redeemId": r.id, "destAccount": "SPOT", "status": "PAID"})
        })
        .collect();
    earn_page(ctx, rows)
}

/// Rewards a locked position was paid, up to `t`.
fn locked_rewards(a: &BinanceAccount, position_id: u64, t: i64) -> Decimal {
    a.earn
        .iter()
        .filter(|r| r.locked && r.position_id == position_id && r.kind == EarnKind::Reward && r.time <= t)
        .map(|r| r.amount)
        .sum()
}

pub(super) fn earn_locked_redemptions(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let rows = earn_rows(ctx, true, |r| matches!(r.kind, EarnKind::Redeem { .. }))?;
    let rows = rows
        .into_iter()
        .map(|r| {
            let EarnKind::Redeem { principal } = r.kind else { unreachable!("filtered") };
            json!({"positionId": r.position_id, "redeemId": r.id, "time": r.time, "asset": &*r.asset,
                   "lockPeriod": r.lock_days.to_string(), "amount": f8(r.amount), "originalAmount": f8(principal),
                   "type": "MATURE", "deliverDate": r.time.to_string(), "lossAmount": f8(Decimal::ZERO),
                   "isComplete": true, "rewardAsset": &*r.asset,
                   "rewardAmt": f8(locked_rewards(acct(ctx), r.position_id, r.time)), "status": "PAID"})
        })
        .collect();
    earn_page(ctx, rows)
}

pub(super) fn earn_flexible_rewards(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    // the generator's flexible rewards are all real-time APR rewards
    let wanted = match ctx.params.get("type") {
        None => return Err(ApiError::mandatory("type")),
        Some("ALL" | "REALTIME") => true,
        Some("BONUS" | "REWARDS") => false,
        Some(_) => return Err(ApiError::invalid("type")),
    };
    let rows = earn_rows(ctx, false, |r| wanted && r.kind == EarnKind::Reward)?;
    let ty = ctx.settings.earn_reward_type.as_deref().unwrap_or("REALTIME");
    let rows = rows
        .into_iter()
        .map(|r| {
            json!({"asset": &*r.asset, "rewards": f8(r.amount), "projectId": r.product, "type": ty,
                   "time": r.time})
        })
        .collect();
    earn_page(ctx, rows)
}

pub(super) fn earn_locked_rewards(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let rows = earn_rows(ctx, true, |r| r.kind == EarnKind::Reward)?;
    let rows = rows
        .into_iter()
        .map(|r| {
            json!({"positionId": r.position_id, "time": r.time, "asset": &*r.asset,
                   "lockPeriod": r.lock_days.to_string(), "amount": f8(r.amount), "type": "Locked Rewards"})
        })
        .collect();
    earn_page(ctx, rows)
}

pub(super) fn earn_flexible_position(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    // per product: subscriptions and rewards in, redemptions out
    let mut products: std::collections::BTreeMap<&str, (&str, Decimal, Decimal)> = Default::default();
    for r in acct(ctx).earn.iter().filter(|r| !r.locked) {
        let p = products.entry(&r.product).or_insert((&r.asset, Decimal::ZERO, Decimal::ZERO));
        match r.kind {
            EarnKind::Subscribe { .. } => p.1 += r.amount,
            EarnKind::Redeem { .. } => p.1 -= r.amount,
            EarnKind::Reward => {
                p.1 += r.amount;
                p.2 += r.amount;
            }
        }
    }
    let rows = products
        .into_iter()
        .filter(|(_, (_, amount, _))| !amount.is_zero())
        .map(|(product, (asset, amount, rewards))| {
            json!({"totalAmount": f8(amount), "tierAnnualPercentageRate": {}, "latestAnnualPercentageRate": "0.03650000",
                   "yesterdayAirdropPercentageRate": "0", "asset": asset, "airDropAsset": "", "canRedeem": true,
                   "collateralAmount": f8(Decimal::ZERO), "productId": product, "yesterdayRealTimeRewards": "0",
                   "cumulativeBonusRewards": f8(Decimal::ZERO), "cumulativeRealTimeRewards": f8(rewards),
                   "cumulativeTotalRewards": f8(rewards), "autoSubscribe": true})
        })
        .collect();
    earn_page(ctx, rows)
}

pub(super) fn earn_locked_position(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let a = acct(ctx);
    let redeemed = |id: u64| a.earn.iter().any(|r| r.position_id == id && matches!(r.kind, EarnKind::Redeem { .. }));
    let rows = a
        .earn
        .iter()
        .filter(|r| r.locked && matches!(r.kind, EarnKind::Subscribe { .. }) && !redeemed(r.position_id))
        .map(|r| {
            let deliver = r.time + r.lock_days * DAY;
            json!({"positionId": r.position_id, "parentPositionId": 0, "projectId": r.product, "asset": &*r.asset,
                   "amount": f8(r.amount), "purchaseTime": r.time.to_string(), "duration": r.lock_days.to_string(),
                   "accrualDays": ((ctx.req.now - r.time) / DAY).to_string(), "rewardAsset": &*r.asset,
                   "APY": "0.1095", "rewardAmt": f8(locked_rewards(a, r.position_id, ctx.req.now)),
                   "nextPay": f8((r.amount * Decimal::new(3, 4)).round_dp(8)),
                   "nextPayDate": (crate::generator::day_floor(ctx.req.now) + DAY).to_string(), "payPeriod": "1",
                   "redeemAmountEarly": f8(r.amount), "rewardsEndDate": deliver.to_string(),
                   "deliverDate": deliver.to_string(), "redeemPeriod": "1", "redeemingAmt": f8(Decimal::ZERO),
                   "redeemTo": "SPOT", "canRedeemEarly": true, "canFastRedemption": false, "autoSubscribe": false,
                   "type": "NORMAL", "status": "HOLDING", "canReStake": false})
        })
        .collect();
    earn_page(ctx, rows)
}

/// `GET /sapi/v1/asset/assetDividend`: at most 180 days between `startTime` and `endTime` (without them, the last 180
/// days), `limit` default 20, max 500, newest first (the order is not stated), `total` the rows of the query.
pub(super) fn asset_dividends(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let (s, e) = window(ctx, 180, 180)?;
    let limit = limit(ctx, 20, 500)?;
    let asset = ctx.params.get("asset");
    let rows: Vec<_> = acct(ctx)
        .dividends
        .iter()
        .filter(|d| d.time >= s && d.time <= e && asset.is_none_or(|a| a == &*d.asset))
        .collect();
    let total = rows.len();
    let page: Vec<Value> = rows
        .into_iter()
        .rev()
        .take(limit)
        .map(|d| {
            json!({"id": d.id, "amount": f8(d.amount), "asset": &*d.asset, "divTime": d.time, "enInfo": d.info,
                   "tranId": d.tran_id})
        })
        .collect();
    Ok(json!({"rows": page, "total": total}))
}

// ---- COIN-M futures (docs/venues.md §1.14) ----

pub(super) fn coinm_exchange_info(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let syms: Vec<Value> = COINM_CONTRACTS
        .iter()
        .map(|c| {
            json!({
                "filters": [
                    {"filterType": "PRICE_FILTER", "maxPrice": "100000", "minPrice": "0.1", "tickSize": "0.1"},
                    {"filterType": "LOT_SIZE", "maxQty": "100000", "minQty": "1", "stepSize": "1"},
                    {"filterType": "MARKET_LOT_SIZE", "maxQty": "100000", "minQty": "1", "stepSize": "1"},
                    {"filterType": "MAX_NUM_ORDERS", "limit": 200},
                    {"filterType": "PERCENT_PRICE", "multiplierUp": "1.0500", "multiplierDown": "0.9500", "multiplierDecimal": 4}
                ],
                "OrderType": ["LIMIT", "MARKET", "STOP", "TAKE_PROFIT", "TRAILING_STOP_MARKET"],
                "timeInForce": ["GTC", "IOC", "FOK", "GTX"], "liquidationFee": "0.010000", "marketTakeBound": "0.30",
                "symbol": c.symbol, "pair": c.pair, "contractType": "PERPETUAL", "deliveryDate": 4133404800000i64,
                "onboardDate": 1590739200000i64, "contractStatus": "TRADING", "contractSize": c.contract_size,
                "quoteAsset": "USD", "baseAsset": c.coin, "marginAsset": c.coin, "pricePrecision": 1, "quantityPrecision": 0,
                "baseAssetPrecision": 8, "quotePrecision": 8, "equalQtyPrecision": 4, "triggerProtect": "0.0500",
                "maintMarginPercent": "2.5000", "requiredMarginPercent": "5.0000", "underlyingType": "COIN",
                "underlyingSubType": []
            })
        })
        .collect();
    Ok(json!({
        "exchangeFilters": [],
        "rateLimits": [
            {"interval": "MINUTE", "intervalNum": 1, "limit": 6000, "rateLimitType": "REQUEST_WEIGHT"},
            {"interval": "MINUTE", "intervalNum": 1, "limit": 6000, "rateLimitType": "ORDERS"}
        ],
        "serverTime": ctx.req.now, "symbols": syms, "timezone": "UTC"
    }))
}

struct CoinmPos {
    contract: &'static CoinmContract,
    amt: Decimal,
    entry: Decimal,
    mark: Decimal,
    /// In the coin: contracts × size × (1/entry − 1/mark).
    upnl: Decimal,
    update: i64,
}

fn coinm_positions(ctx: &Ctx<'_>) -> Vec<CoinmPos> {
    acct(ctx)
        .coinm_positions
        .iter()
        .filter_map(|(s, p): (_, &Position)| {
            let contract = coinm_contract(s)?;
            let mark = crate::truth::coinm_mark(ctx.world, contract);
            let upnl = crate::truth::coinm_unrealized(p.amt, contract, p.entry, mark);
            Some(CoinmPos { contract, amt: p.amt, entry: p.entry, mark, upnl, update: p.update_time })
        })
        .collect()
}

/// The COIN-M wallet: every listed margin coin, zero or not.
fn coinm_wallet(ctx: &Ctx<'_>) -> Vec<(&'static str, Decimal)> {
    let w = acct(ctx).wallets.get("coinm");
    COINM_CONTRACTS.iter().map(|c| (c.coin, w.and_then(|w| w.get(c.coin)).copied().unwrap_or_default())).collect()
}

pub(super) fn coinm_balance(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let ps = coinm_positions(ctx);
    let alias = format!("{:04X}", acct(ctx).uid % 65536);
    Ok(Value::Array(
        coinm_wallet(ctx)
            .into_iter()
            .map(|(coin, wallet)| {
                let upnl: Decimal = ps.iter().filter(|p| p.contract.coin == coin).map(|p| p.upnl).sum();
                json!({
                    "accountAlias": alias, "asset": coin, "balance": f8(wallet), "withdrawAvailable": f8(wallet),
                    "crossWalletBalance": f8(wallet), "crossUnPnl": f8(upnl), "availableBalance": f8(wallet + upnl),
                    "updateTime": ctx.world.end
                })
            })
            .collect(),
    ))
}

pub(super) fn coinm_account(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let ps = coinm_positions(ctx);
    let assets: Vec<Value> = coinm_wallet(ctx)
        .into_iter()
        .map(|(coin, wallet)| {
            let upnl: Decimal = ps.iter().filter(|p| p.contract.coin == coin).map(|p| p.upnl).sum();
            json!({
                "asset": coin, "walletBalance": f8(wallet), "unrealizedProfit": f8(upnl), "marginBalance": f8(wallet + upnl),
                "maintMargin": "0.00000000", "initialMargin": "0.00000000", "positionInitialMargin": "0.00000000",
                "openOrderInitialMargin": "0.00000000", "maxWithdrawAmount": f8(wallet), "crossWalletBalance": f8(wallet),
                "crossUnPnl": f8(upnl), "availableBalance": f8(wallet + upnl), "updateTime": ctx.world.end
            })
        })
        .collect();
    let positions: Vec<Value> = ps
        .iter()
        .map(|p| {
            json!({
                "symbol": p.contract.symbol, "positionAmt": p.amt.normalize().to_string(), "initialMargin": "0",
                "maintMargin": "0", "unrealizedProfit": f8(p.upnl), "positionInitialMargin": "0",
                "openOrderInitialMargin": "0", "leverage": "20", "isolated": false, "positionSide": "BOTH",
                "entryPrice": p.entry.normalize().to_string(), "breakEvenPrice": p.entry.normalize().to_string(),
                "maxQty": "50", "updateTime": p.update
            })
        })
        .collect();
    Ok(json!({
        "assets": assets, "positions": positions, "canDeposit": true, "canTrade": true, "canWithdraw": true,
        "feeTier": 0, "updateTime": 0
    }))
}

pub(super) fn coinm_position_risk(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let (coin, pair) = (ctx.params.get("marginAsset"), ctx.params.get("pair"));
    let ps = coinm_positions(ctx);
    Ok(Value::Array(
        COINM_CONTRACTS
            .iter()
            .filter(|c| coin.is_none_or(|x| x == c.coin) && pair.is_none_or(|x| x == c.pair))
            .map(|c| {
                let p = ps.iter().find(|p| p.contract.symbol == c.symbol);
                let (amt, entry, upnl, update) = p.map(|p| (p.amt, p.entry, p.upnl, p.update)).unwrap_or_default();
                let mark = p.map(|p| p.mark).unwrap_or_else(|| crate::truth::coinm_mark(ctx.world, c));
                json!({
                    "symbol": c.symbol, "positionAmt": amt.normalize().to_string(), "entryPrice": entry.normalize().to_string(),
                    "breakEvenPrice": entry.normalize().to_string(), "markPrice": f8(mark), "unRealizedProfit": f8(upnl),
                    "liquidationPrice": "0", "leverage": "20", "maxQty": "50", "marginType": "cross",
                    "isolatedMargin": "0.00000000", "isAutoAddMargin": "false", "positionSide": "BOTH", "updateTime": update
                })
            })
            .collect(),
    ))
}

/// `GET /dapi/v1/income`: like USDⓈ-M's, amounts in the margin coin; the window is at most a year.
pub(super) fn coinm_income(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let IncomeQuery { sym, ty, start, end, lo, hi, limit, page } = IncomeQuery::read(ctx)?;
    if let (Some(s), Some(e)) = (start, end)
        && e - s > 365 * DAY
    {
        return Err(ApiError::bad(-4166, "The time between startTime and endTime can not be longer than 1 year."));
    }
    let served = |i: &crate::generator::Income| match (i.income_type, &ctx.settings.coinm_funding_type) {
        ("FUNDING_FEE", Some(other)) => other.clone(),
        (t, _) => t.to_string(),
    };
    let rows: Vec<Value> = acct(ctx)
        .coinm_income
        .iter()
        .filter(|i| i.time >= lo && i.time <= hi)
        .filter(|i| ty.is_none_or(|t| t == served(i)))
        .filter(|i| sym.is_none_or(|s| i.symbol.as_deref() == Some(s)))
        .skip((page - 1) * limit)
        .take(limit)
        .map(|i| {
            json!({
                "symbol": i.symbol.as_deref().unwrap_or(""), "incomeType": served(i), "income": f8(i.income),
                "asset": &*i.asset, "info": "", "time": i.time, "tranId": i.tran_id.to_string(),
                "tradeId": i.trade_id.map(|t| t.to_string()).unwrap_or_default()
            })
        })
        .collect();
    Ok(Value::Array(rows))
}

/// `GET /dapi/v1/userTrades`: by `symbol` or by `pair` (every contract of the pair), not both; `fromId` only with a
/// symbol and never with a window; at most 7 days a query, the last 7 days by default; 50 rows by default, 1000 at
/// most.
pub(super) fn coinm_user_trades(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let now = ctx.req.now;
    let (symbol, pair) = (ctx.params.get("symbol"), ctx.params.get("pair"));
    let contracts: Vec<&CoinmContract> = match (symbol, pair) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(ApiError::bad(-1128, "Combination of optional parameters invalid."));
        }
        (Some(s), None) => vec![coinm_contract(s).ok_or_else(|| ApiError::bad(-1121, "Invalid symbol."))?],
        (None, Some(p)) => {
            let v: Vec<_> = COINM_CONTRACTS.iter().filter(|c| c.pair == p).collect();
            if v.is_empty() {
                return Err(ApiError::bad(-1121, "Invalid pair."));
            }
            v
        }
    };
    let order_id = int(ctx, "orderId")?;
    let start = int(ctx, "startTime")?;
    let end = int(ctx, "endTime")?;
    let from_id = int(ctx, "fromId")?;
    let limit = limit(ctx, 50, 1000)?;
    if (from_id.is_some() && (pair.is_some() || start.is_some() || end.is_some()))
        || (order_id.is_some() && pair.is_some())
    {
        return Err(ApiError::bad(-1128, "Combination of optional parameters invalid."));
    }
    let (lo, hi) = match (start, end) {
        (Some(a), Some(b)) => (a, b),
        (Some(a), None) => (a, a + 7 * DAY),
        (None, Some(b)) => (b - 7 * DAY, b),
        (None, None) => (now - 7 * DAY, now),
    };
    if hi - lo > 7 * DAY || hi < lo {
        return Err(ApiError::bad(-4166, "Search window is restricted to recent 7 days only."));
    }
    let a = acct(ctx);
    let mut rows: Vec<(&CoinmContract, &crate::generator::FuturesFill)> = contracts
        .iter()
        .flat_map(|c| a.coinm_trades.get(c.symbol).into_iter().flatten().map(move |f| (*c, f)))
        .filter(|(_, f)| order_id.is_none_or(|o| f.order_id as i64 == o))
        .collect();
    rows.sort_by_key(|(_, f)| (f.time, f.id));
    let picked: Vec<_> = if let Some(fid) = from_id {
        rows.into_iter().filter(|(_, f)| f.id as i64 >= fid).take(limit).collect()
    } else {
        let v: Vec<_> = rows.into_iter().filter(|(_, f)| f.time >= lo && f.time <= hi).collect();
        if start.is_some() {
            v.into_iter().take(limit).collect()
        } else {
            let n = v.len();
            v.into_iter().skip(n.saturating_sub(limit)).collect()
        }
    };
    Ok(Value::Array(
        picked
            .iter()
            .map(|(c, f)| {
                let base_qty = (f.qty * Decimal::from(c.contract_size) / f.price).round_dp(8);
                json!({
                    "symbol": c.symbol, "id": f.id, "orderId": f.order_id, "pair": c.pair,
                    "side": if f.buyer { "BUY" } else { "SELL" }, "price": f.price.normalize().to_string(),
                    "qty": f.qty.normalize().to_string(), "realizedPnl": f8(f.realized_pnl), "marginAsset": c.coin,
                    "baseQty": f8(base_qty), "commission": f8(f.commission), "commissionAsset": c.coin, "time": f.time,
                    "positionSide": "BOTH", "buyer": f.buyer, "maker": f.maker
                })
            })
            .collect(),
    ))
}
