//! The ground truth of a generated world: the normalized ledger a correct sync must produce, and the balances
//! the venues' balance endpoints report.
//!
//! # Ledger id scheme
//!
//! Every id is `{account}:{kind}:{venue row id...}`, where `{account}` is the ledger account `venue/label/wallet`
//! (for a transfer, the sending wallet) and the venue row ids are exactly the fields the venue returns, so a client
//! that syncs the venue can rebuild the same ids. `L` is the key label.
//!
//! | venue row (endpoint) | ledger event | id |
//! |---|---|---|
//! | Binance spot fill (`/api/v3/myTrades`) | trade | `binance/L/spot:trade:{symbol}:{id}` |
//! | Binance deposit (`/sapi/v1/capital/deposit/hisrec`) | deposit | `binance/L/spot:deposit:{id}` |
//! | Binance withdrawal (`/sapi/v1/capital/withdraw/history`) | withdrawal | `binance/L/spot:withdrawal:{id}` |
//! | Binance universal transfer (`/sapi/v1/asset/transfer`, by `type`) | transfer | `binance/L/{from}:transfer:{type}:{tranId}` with `{from}` = `spot` for `MAIN_*`, `usdm` for `UMFUTURE_*`, `coinm` for `CMFUTURE_*`, `funding` for `FUNDING_*` |
//! | Binance convert (`/sapi/v1/convert/tradeFlow`) | trade | `binance/L/spot:convert:{orderId}` |
//! | Binance dust (`/sapi/v1/asset/dribblet`, one per detail) | trade | `binance/L/spot:dust:{transId}:{fromAsset}` |
//! | Binance income (`/fapi/v1/income`) `REALIZED_PNL`, `COMMISSION`, `FUNDING_FEE` | income | `binance/L/usdm:income:{incomeType}:{tranId}` |
//! | Binance COIN-M income (`/dapi/v1/income`), the same types, in the margin coin | income | `binance/L/coinm:income:{incomeType}:{tranId}` |
//! | Binance asset dividend (`/sapi/v1/asset/assetDividend`) | income other in spot | `binance/L/spot:dividend:{id}` |
//! | Binance fiat deposit / withdrawal (`/sapi/v1/fiat/orders`, `Successful` or `Finished`) | deposit of `amount` / withdrawal of `amount`, `totalFee` on top | `binance/L/spot:fiat_deposit:{orderNo}`, `binance/L/spot:fiat_withdrawal:{orderNo}` |
//! | Binance card purchase (`/sapi/v1/fiat/payments`, `Completed`) | deposit of `sourceAmount`, trade of `sourceAmount − totalFee` for `obtainAmount` with `totalFee` in the fiat | `binance/L/spot:fiat_payment:{orderNo}:deposit`, `…:trade` |
//! | Binance P2P order (`/sapi/v1/c2c/orderMatch/listUserOrderHistory`, `COMPLETED`) | BUY: deposit of `totalPrice`, trade fiat → `amount`; SELL: trade `amount` → `totalPrice`, `commission` in the crypto, withdrawal of `totalPrice` | `binance/L/funding:p2p:{orderNumber}:deposit`, `…:trade`, `…:withdrawal` |
//! | Binance Pay (`/sapi/v1/pay/transactions`; a payment combining wallets, each wallet's part of `fundsDetail`) | deposit (amount > 0) / withdrawal (< 0) in each wallet that paid or received (1 funding, 2 spot) | `binance/L/{wallet}:pay:{transactionId}` |
//! | Binance ETH / SOL staking, redemption, WBETH wrap / unwrap (`/sapi/v1/{eth,sol}-staking/…/history/…`, `SUCCESS`) | migration in spot of what left to what arrived | `binance/L/spot:{eth_stake, eth_redemption, wbeth_wrap, wbeth_unwrap, sol_stake, sol_redemption}:{time}:{amount}` |
//! | Binance BETH reward (`/sapi/v1/eth-staking/eth/history/rewardsHistory`) | income interest in spot | `binance/L/spot:beth_reward:{time}:{amount}` |
//! | Binance Simple Earn subscription (`/sapi/v1/simple-earn/{flexible,locked}/history/subscriptionRecord`) | transfer spot → earn | `binance/L/spot:earn_subscription:{flexible or locked}:{purchaseId}` |
//! | Binance Simple Earn redemption (`.../history/redemptionRecord`) | transfer earn → spot (locked: the `originalAmount`) | `binance/L/earn:earn_redemption:{flexible or locked}:{redeemId}` |
//! | Binance locked redemption paying more than its `originalAmount` | income interest in spot | `binance/L/spot:earn_interest:locked:{redeemId}` |
//! | Binance Simple Earn reward (`.../history/rewardsRecord`; flexible `REALTIME`, locked `Locked Rewards`) | income interest (flexible in earn, locked in spot) | `binance/L/earn:earn_reward:flexible:{productId}:REALTIME:{time}:{asset}`, `binance/L/spot:earn_reward:locked:{positionId}:Locked_Rewards:{time}:{asset}` |
//! | Bitget spot fill (`/api/v2/spot/trade/fills`) | trade | `bitget/L/spot:trade:{symbol}:{tradeId}` |
//! | Bitget deposit (`/api/v2/spot/wallet/deposit-records`) | deposit | `bitget/L/spot:deposit:{orderId}` |
//! | Bitget withdrawal (`/api/v2/spot/wallet/withdrawal-records`) | withdrawal | `bitget/L/spot:withdrawal:{orderId}` |
//! | Bitget transfer (`/api/v2/spot/account/transferRecords`) | transfer | `bitget/L/{fromType}:transfer:{transferId}` with `spot` or `futures` (= `usdt_futures`) |
//! | Bitget futures bill (`/api/v2/mix/account/bill`) `open_*`/`close_*` | income commission (`fee`) and, when `amount` ≠ 0, realized PnL | `bitget/L/futures:bill:{billId}:fee`, `bitget/L/futures:bill:{billId}:pnl` |
//! | Bitget futures bill `contract_settle_fee` | income funding | `bitget/L/futures:bill:{billId}` |
//! | Bitget unified spot fill (`/api/v3/trade/fills`, category SPOT) | trade | `bitget/L/unified:trade:{symbol}:{execId}` |
//! | Bitget unified futures fill (`/api/v3/trade/fills`, USDT-FUTURES) | income commission, realized PnL (`execPnl` ≠ 0) | `bitget/L/unified:fill:{execId}:fee`, `bitget/L/unified:fill:{execId}:pnl` |
//! | Bitget unified funding (`/api/v3/account/financial-records`, type `FUNDING_FEE`) | income funding | `bitget/L/unified:funding:{id}` |
//! | Binance futures fill (`/fapi/v1/userTrades`) | futures_trade (informational) | `binance/L/usdm:futures_trade:{symbol}:{id}` |
//! | Binance COIN-M fill (`/dapi/v1/userTrades`), quantity `baseQty` in coins | futures_trade (informational) | `binance/L/coinm:futures_trade:{symbol}:{id}` |
//! | Bitget futures fill (`/api/v2/mix/order/fill-history`; unified: `/api/v3/trade/fills` USDT-FUTURES) | futures_trade (informational) | `bitget/L/futures:futures_trade:{symbol}:{tradeId}`, `bitget/L/unified:futures_trade:{symbol}:{execId}` |
//! | Bitget convert (`/api/v2/convert/convert-record`) | trade | `bitget/L/spot:convert:{id}` |
//! | Bitget BGB convert (`/api/v2/convert/bgb-convert-records`, status success) | trade, the BGB fee charged on the gross `toAmount` | `bitget/L/spot:bgb_convert:{orderId}` |
//! | Bitget unified convert (`/api/v3/account/convert-records`, rows without id) | trade | `bitget/L/unified:convert:{fromCoin}:{toCoin}:{ts}:{fromCoinSize}:{toCoinSize}` |
//! | Bitget unified deposit / withdrawal (`/api/v3/account/deposit-records`, `withdrawal-records`) | deposit / withdrawal | `bitget/L/unified:deposit:{orderId}`, `bitget/L/unified:withdrawal:{orderId}` |
//! | Binance cross margin fill (`/sapi/v1/margin/myTrades`) | trade in margin, quote `price × qty` | `binance/L/margin:trade:{symbol}:{id}` |
//! | Binance margin borrow / repay (`/sapi/v1/margin/borrow-repay`, `CONFIRMED`) | loan borrow / repay (`principal`, `interest` apart) | `binance/L/margin:borrow:{txId}`, `binance/L/margin:repay:{txId}` |
//! | Binance margin interest (`/sapi/v1/margin/interestHistory`) | loan interest | `binance/L/margin:interest:{txId}:{asset}:{interestAccuredTime}` |
//! | Binance margin liquidation fee (`/sapi/v1/margin/capital-flow`, `LIQUIDATION_FEE`) | income other, − amount | `binance/L/margin:capital_flow:LIQUIDATION_FEE:{id}` |
//! | Binance spot ↔ cross margin transfer (`MAIN_MARGIN`, `MARGIN_MAIN`) | transfer | `binance/L/{from}:transfer:{type}:{tranId}` |
//! | Binance isolated margin fill, borrow / repay, interest (the reads above with `isIsolated=TRUE`, `isolatedSymbol`) | as the cross ones, in the pair's wallet | `binance/L/isolated-{SYMBOL}:trade:{symbol}:{id}`, `…:borrow:{txId}`, `…:repay:{txId}`, `…:interest:{txId}:{asset}:{interestAccuredTime}` |
//! | Binance cross margin ↔ isolated pair transfer (`MARGIN_ISOLATEDMARGIN` with `toSymbol`, `ISOLATEDMARGIN_MARGIN` with `fromSymbol`) | transfer | `binance/L/{from}:transfer:{type}:{tranId}` |
//! | Bitget COIN-M / USDC-M futures bill and fill (`/api/v2/mix/account/bill`, `fill-history` with `productType=COIN-FUTURES`, `USDC-FUTURES`) | as the USDT-M ones, in the margin coin (BTC, USDC) | `bitget/L/coinm:bill:{billId}:fee`, `…:pnl`, `bitget/L/usdcm:futures_trade:{symbol}:{tradeId}` |
//! | Bitget cross margin fill, borrow, repay, interest (`/api/v2/margin/crossed/fills`, `financial-records` types `borrow` and `repay`, `interest-history`) | trade; loan borrow, repay (the flow's amount, interest included), interest | `bitget/L/margin:trade:{symbol}:{tradeId}`, `bitget/L/margin:borrow:{marginId}`, `…:repay:{marginId}`, `…:interest:{interestId}` |
//! | Bitget isolated margin fill, borrow, repay, interest (`/api/v2/margin/isolated/fills`, `financial-records`, `interest-history` with `symbol`) and transfers (`isolated_margin` with `toSymbol` / `fromSymbol`) | as the cross ones, in the pair's wallet | `bitget/L/isolated-{SYMBOL}:trade:{symbol}:{tradeId}`, `…:borrow:{marginId}`, `…:repay:{marginId}`, `…:interest:{interestId}`, `bitget/L/{from}:transfer:{transferId}` |
//! | Bitget unified margin fill, borrow, repay, interest (`/api/v3/trade/fills` category MARGIN; `financial-records` category MARGIN, types `BORROW`, `REPAYMENT`, `INTEREST_REPAYMENT`, `INTEREST_SETTLEMENT_OUT`) | trade; loan borrow, repay (principal and interest as two rows), interest | `bitget/L/unified:trade:{symbol}:{execId}`, `bitget/L/unified:borrow:{id}`, `…:repay:{id}`, `…:interest_repay:{id}`, `…:interest:{id}` |
//! | Bitget income only the tax records show (`/api/v2/tax/spot-record`: `Airdrop Reward-A`, `Rebate rewards`) | income other | `bitget/L/spot:tax:{type}:{id}` (type in lower case, `_` for the rest) |
//!
//! Futures fills are `futures_trade` events for the record only: their money is the income rows (Binance) or bills
//! (Bitget) of the same fills, so they change no balance.
//!
//! Rows that mirror another row are not separate events: Binance income `TRANSFER` rows carry the `tranId` of the
//! universal transfer; Bitget `trans_from_exchange`/`trans_to_exchange` futures bills and `TRANSFER_*` spot bills
//! mirror transfer records; spot bills mirror fills, deposits and withdrawals; unified financial records other than
//! funding and loans mirror fills, deposits and withdrawals.
//!
//! # Amounts
//!
//! A trade's balance effect is `+receive - spend - fees` (a fee in the received asset is charged on top of the
//! gross `receive`). Binance spot: `receive` is the gross quantity, the fee is the `commission` in its asset. Bitget
//! spot: the same with `feeDetail.totalFee` (shown negative by the venue). Convert: no fee. Dust: `spend` is the
//! dust amount, `receive` the BNB before the service charge, `fees` the service charge. A withdrawal's `amount`
//! excludes its `fee`, both leave the account. Income amounts are signed.
//!
//! # Balances
//!
//! `balances.json` holds wallet balances (unrealized PnL excluded), as the venues report them: Binance spot
//! `/api/v3/account` free + locked; funding `POST /sapi/v1/asset/get-funding-asset` free; USDⓈ-M `/fapi/v2/balance`
//! `balance`; earn: Simple Earn flexible `totalAmount` plus locked `amount`; Bitget spot `/api/v2/spot/account/assets` available + frozen + locked; Bitget futures
//! `/api/v2/mix/account/accounts` `accountEquity - unrealizedPL`; Bitget unified `/api/v3/account/assets`
//! `assets[].balance`.

use std::collections::BTreeMap;

use ledger::{AccountId, Event, EventKind, IncomeType, LoanAction, Money, Name, Side, Timestamp};
use rust_decimal::Decimal;

use crate::generator::{
    BinanceAccount, BitgetAccount, CoinmContract, Deposit, EarnKind, FuturesFill, LEAD_PROFIT_SHARE, MarginInterest,
    MarginLoan, STRATEGY_TRANSFER, SpotFill, Symbol, Withdrawal, World,
};
use crate::keys::AccountMode;

/// Balances by ledger account id (`binance/main/spot`) then asset.
pub type AccountBalances = BTreeMap<String, BTreeMap<String, Decimal>>;

fn ev(id: String, t: i64, account: &str, kind: EventKind) -> Event {
    Event { id, time: Timestamp::from_millis(t), account: AccountId(account.into()), kind }
}

fn money(asset: &str, amount: Decimal) -> Money {
    Money::new(asset, amount)
}

fn binance_wallet_of_type(t: &str) -> (&'static str, &'static str) {
    match t {
        "MAIN_UMFUTURE" => ("spot", "usdm"),
        "UMFUTURE_MAIN" => ("usdm", "spot"),
        "MAIN_FUNDING" => ("spot", "funding"),
        "FUNDING_UMFUTURE" => ("funding", "usdm"),
        "UMFUTURE_FUNDING" => ("usdm", "funding"),
        "MAIN_CMFUTURE" => ("spot", "coinm"),
        "CMFUTURE_MAIN" => ("coinm", "spot"),
        "FUNDING_CMFUTURE" => ("funding", "coinm"),
        "CMFUTURE_FUNDING" => ("coinm", "funding"),
        "MAIN_MARGIN" => ("spot", "margin"),
        "MARGIN_MAIN" => ("margin", "spot"),
        _ => ("funding", "spot"),
    }
}

/// Binance universal transfer `type` of a wallet pair.
pub fn binance_transfer_type(from: &str, to: &str) -> &'static str {
    match (from, to) {
        ("spot", "usdm") => "MAIN_UMFUTURE",
        ("usdm", "spot") => "UMFUTURE_MAIN",
        ("spot", "funding") => "MAIN_FUNDING",
        ("funding", "usdm") => "FUNDING_UMFUTURE",
        ("usdm", "funding") => "UMFUTURE_FUNDING",
        ("spot", "coinm") => "MAIN_CMFUTURE",
        ("coinm", "spot") => "CMFUTURE_MAIN",
        ("funding", "coinm") => "FUNDING_CMFUTURE",
        ("coinm", "funding") => "CMFUTURE_FUNDING",
        ("spot", "margin") => "MAIN_MARGIN",
        ("margin", "spot") => "MARGIN_MAIN",
        // an isolated margin pair's wallet is `isolated-{SYMBOL}` (the request names the symbol)
        ("margin", w) if w.starts_with("isolated-") => "MARGIN_ISOLATEDMARGIN",
        (w, "margin") if w.starts_with("isolated-") => "ISOLATEDMARGIN_MARGIN",
        (a, b) if a.starts_with("isolated-") && b.starts_with("isolated-") => "ISOLATEDMARGIN_ISOLATEDMARGIN",
        _ => "FUNDING_MAIN",
    }
}

/// A futures fill as the informational `futures_trade` event: commission positive when paid, the fill's realized
/// PnL, the order id.
fn futures_trade(id: String, account: &str, f: &FuturesFill) -> Event {
    futures_trade_in(id, account, f, "USDT")
}

/// [`futures_trade`] with its fee in `fee_coin` (a Bitget COIN-M or USDC-M fill's margin coin).
fn futures_trade_in(id: String, account: &str, f: &FuturesFill, fee_coin: &str) -> Event {
    let kind = EventKind::FuturesTrade {
        symbol: f.symbol.clone().into(),
        side: if f.buyer { Side::Buy } else { Side::Sell },
        price: f.price,
        qty: f.qty,
        fees: vec![money(fee_coin, f.commission)],
        realized_pnl: Some(f.realized_pnl),
        order_id: Some(f.order_id.to_string()),
    };
    ev(id, f.time, account, kind)
}

/// The ledger of every account of the world, sorted by time then id.
pub fn ledger(world: &World) -> Vec<Event> {
    let mut out = Vec::new();
    for a in &world.binance {
        binance_spot(world, a, &mut out);
        binance_earn(a, &mut out);
        binance_fiat(a, &mut out);
        binance_staking(a, &mut out);
        binance_futures(a, &mut out);
        binance_coinm(a, &mut out);
        binance_lead(a, &mut out);
        binance_margin(world, a, &mut out);
    }
    for a in &world.bitget {
        bitget_spot(world, a, &mut out);
        bitget_futures(a, &mut out);
        bitget_copy(a, &mut out);
        bitget_tax_only(a, &mut out);
        bitget_savings(a, &mut out);
        bitget_sharkfin(a, &mut out);
        bitget_earn_loans(a, &mut out);
        bitget_product_futures(a, &mut out);
        bitget_margin(world, a, &mut out);
        bitget_isolated(world, a, &mut out);
    }
    out.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.id.cmp(&b.id)));
    out
}

/// Binance spot and wallet history: trades, deposits, withdrawals, transfers, converts, dust, dividends.
fn binance_spot(world: &World, a: &BinanceAccount, out: &mut Vec<Event>) {
    let l = &a.label;
    let spot = format!("binance/{l}/spot");
    binance_spot_fills(world, a, out);
    chain_flows(&spot, &a.deposits, &a.withdrawals, out);
    for t in &a.transfers {
        let ty = binance_transfer_type(t.from, t.to);
        // the isolated types' wallets are the pair's, which the type does not name
        let (from, to) = if ty.contains("ISOLATED") { (t.from, t.to) } else { binance_wallet_of_type(ty) };
        let from_acc = format!("binance/{l}/{from}");
        out.push(ev(
            format!("{from_acc}:transfer:{ty}:{}", t.id),
            t.time,
            &from_acc,
            EventKind::Transfer {
                from_account: AccountId(from_acc.clone().into()),
                to_account: AccountId(format!("binance/{l}/{to}").into()),
                asset: t.asset.clone().into(),
                amount: t.amount,
            },
        ));
    }
    binance_conversions(a, out);
    for d in &a.dividends {
        out.push(ev(
            format!("{spot}:dividend:{}", d.id),
            d.time,
            &spot,
            EventKind::Income {
                income_type: IncomeType::Other,
                asset: d.asset.clone().into(),
                amount: d.amount,
                symbol: None,
            },
        ));
    }
}

/// A Binance account's spot fills, each a trade in spot with its commission.
fn binance_spot_fills(world: &World, a: &BinanceAccount, out: &mut Vec<Event>) {
    let spot = format!("binance/{}/spot", a.label);
    for (sym, fills) in &a.trades {
        let s = world.market.symbol(sym).expect("listed symbol");
        for f in fills {
            let (spend, receive) = if f.is_buyer {
                (money(&s.quote, f.quote_qty), money(&s.base, f.qty))
            } else {
                (money(&s.base, f.qty), money(&s.quote, f.quote_qty))
            };
            out.push(ev(
                format!("{spot}:trade:{sym}:{}", f.id),
                f.time,
                &spot,
                EventKind::Trade {
                    spend,
                    receive,
                    fees: vec![money(&f.commission_asset, f.commission)],
                    symbol: Some(sym.into()),
                },
            ));
        }
    }
}

/// A Binance account's converts and dust conversions to BNB, trades in spot (a conversion's charge is its fee).
fn binance_conversions(a: &BinanceAccount, out: &mut Vec<Event>) {
    let spot = format!("binance/{}/spot", a.label);
    for c in &a.converts {
        out.push(ev(
            format!("{spot}:convert:{}", c.order_id),
            c.time,
            &spot,
            EventKind::Trade {
                spend: money(&c.from_asset, c.from_amount),
                receive: money(&c.to_asset, c.to_amount),
                fees: vec![],
                symbol: None,
            },
        ));
    }
    for d in &a.dribblets {
        for x in &d.details {
            out.push(ev(
                format!("{spot}:dust:{}:{}", d.trans_id, x.from_asset),
                d.time,
                &spot,
                EventKind::Trade {
                    spend: money(&x.from_asset, x.amount),
                    receive: money("BNB", x.transfered + x.service_charge),
                    fees: vec![money("BNB", x.service_charge)],
                    symbol: None,
                },
            ));
        }
    }
}

/// Binance cross and isolated margin (docs/venues.md §1.18, docs/accounting.md §8f): fills in the margin wallet or
/// the isolated pair's (the quote amount price × qty), confirmed borrows and repays (principal and interest apart) and
/// interest charged as loan events; a liquidation fee, which only the capital flow shows, as other income.
fn binance_margin(world: &World, a: &BinanceAccount, out: &mut Vec<Event>) {
    let margin = format!("binance/{}/margin", a.label);
    margin_records(world, &margin, &a.margin_trades, &a.margin_loans, &a.margin_interest, out);
    // a liquidation fee: no stream books it but the capital flow, as other income named by its type
    for f in a.margin_flows.iter().filter(|f| f.kind == "LIQUIDATION_FEE") {
        let symbol = f.symbol.as_deref().map(Name::from);
        let kind = EventKind::Income {
            income_type: IncomeType::Other,
            asset: f.asset.clone().into(),
            amount: -f.amount,
            symbol,
        };
        out.push(ev(format!("{margin}:capital_flow:LIQUIDATION_FEE:{}", f.id), f.time, &margin, kind));
    }
    // each isolated pair's, in its wallet `isolated-{SYMBOL}`
    for (sym, p) in &a.isolated {
        let wallet = format!("binance/{}/isolated-{sym}", a.label);
        let trades = BTreeMap::from([(sym.clone(), p.trades.clone())]);
        margin_records(world, &wallet, &trades, &p.loans, &p.interest, out);
    }
}

/// A margin wallet's fills, borrows, repays and interest as events in `margin` (the cross wallet or a pair's).
fn margin_records(
    world: &World,
    margin: &str,
    trades: &BTreeMap<Symbol, Vec<SpotFill>>,
    loans: &[MarginLoan],
    interest: &[MarginInterest],
    out: &mut Vec<Event>,
) {
    for (sym, fills) in trades {
        let s = world.market.symbol(sym).expect("listed symbol");
        for f in fills {
            let (base, quote) = (money(&s.base, f.qty), money(&s.quote, f.price * f.qty));
            let (spend, receive) = if f.is_buyer { (quote, base) } else { (base, quote) };
            let fees = vec![money(&f.commission_asset, f.commission)];
            let kind = EventKind::Trade { spend, receive, fees, symbol: Some(sym.into()) };
            out.push(ev(format!("{margin}:trade:{sym}:{}", f.id), f.time, margin, kind));
        }
    }
    for l in loans {
        let (stream, action) = if l.repay { ("repay", LoanAction::Repay) } else { ("borrow", LoanAction::Borrow) };
        let interest = (!l.interest.is_zero()).then_some(l.interest);
        let kind = EventKind::Loan { action, asset: l.asset.clone().into(), amount: l.principal, interest };
        out.push(ev(format!("{margin}:{stream}:{}", l.tx_id), l.time, margin, kind));
    }
    for i in interest {
        let kind = EventKind::Loan {
            action: LoanAction::Interest,
            asset: i.asset.clone().into(),
            amount: i.interest,
            interest: None,
        };
        out.push(ev(format!("{margin}:interest:{}:{}:{}", i.tx_id, i.asset, i.time), i.time, margin, kind));
    }
}

/// Binance fiat deposits, card purchases, P2P trades and Binance Pay (docs/venues.md §1.15): the fiat paid or
/// received outside Binance is a deposit or withdrawal around each trade; a failed order is no event.
fn binance_fiat(a: &BinanceAccount, out: &mut Vec<Event>) {
    let l = &a.label;
    let (spot, funding) = (format!("binance/{l}/spot"), format!("binance/{l}/funding"));
    let deposit = |asset: &str, amount| EventKind::Deposit { asset: asset.into(), amount, txid: None };
    let withdrawal = |asset: &str, amount, fee| EventKind::Withdrawal { asset: asset.into(), amount, fee, txid: None };
    let trade = |spend, receive, fee: Option<Money>| EventKind::Trade {
        spend,
        receive,
        fees: fee.into_iter().collect(),
        symbol: None,
    };
    for o in a.fiat_orders.iter().filter(|o| o.status == "Successful") {
        let (stream, kind) = if o.withdraw {
            ("fiat_withdrawal", withdrawal(&o.fiat, o.amount, Some(o.fee)))
        } else {
            ("fiat_deposit", deposit(&o.fiat, o.amount))
        };
        out.push(ev(format!("{spot}:{stream}:{}", o.order_no), o.time, &spot, kind));
    }
    for p in &a.fiat_payments {
        let id = |leg: &str| format!("{spot}:fiat_payment:{}:{leg}", p.order_no);
        let fee = (!p.fee.is_zero()).then(|| money(&p.fiat, p.fee));
        let (fiat, crypto) = (money(&p.fiat, p.source_amount - p.fee), money(&p.crypto, p.obtain_amount));
        if p.sell {
            out.push(ev(id("trade"), p.time, &spot, trade(crypto, fiat, fee)));
            out.push(ev(id("withdrawal"), p.time, &spot, withdrawal(&p.fiat, p.source_amount - p.fee, None)));
        } else {
            out.push(ev(id("deposit"), p.time, &spot, deposit(&p.fiat, p.source_amount)));
            out.push(ev(id("trade"), p.time, &spot, trade(fiat, crypto, fee)));
        }
    }
    for p in &a.p2p {
        let id = |leg: &str| format!("{funding}:p2p:{}:{leg}", p.order_number);
        let fee = (!p.commission.is_zero()).then(|| money(&p.asset, p.commission));
        let (fiat, crypto) = (money(&p.fiat, p.total_price), money(&p.asset, p.amount));
        if p.buy {
            out.push(ev(id("deposit"), p.time, &funding, deposit(&p.fiat, p.total_price)));
            out.push(ev(id("trade"), p.time, &funding, trade(fiat, crypto, fee)));
        } else {
            out.push(ev(id("trade"), p.time, &funding, trade(crypto, fiat, fee)));
            out.push(ev(id("withdrawal"), p.time, &funding, withdrawal(&p.fiat, p.total_price, None)));
        }
    }
    // each wallet's part of a payment, in that wallet (the simulated venue pays from funding and spot only)
    for p in &a.pay {
        for &(wallet_type, amount) in &p.wallets {
            let wallet = format!("binance/{}/{}", a.label, if wallet_type == 2 { "spot" } else { "funding" });
            let kind = if amount.is_sign_negative() {
                withdrawal(&p.currency, -amount, None)
            } else {
                deposit(&p.currency, amount)
            };
            out.push(ev(format!("{wallet}:pay:{}", p.id), p.time, &wallet, kind));
        }
    }
}

/// Binance ETH and SOL staking (docs/venues.md §1.16): each exchange a migration in spot, a BETH reward and a SOL
/// Boost reward claimed interest income.
fn binance_staking(a: &BinanceAccount, out: &mut Vec<Event>) {
    use crate::generator::StakingKind::*;
    let spot = format!("binance/{}/spot", a.label);
    for r in &a.staking {
        let (from, to) = (money(&r.from.0, r.from.1), money(&r.to.0, r.to.1));
        let stream = match r.kind {
            EthStake => "eth_stake",
            EthRedeem => "eth_redemption",
            Wrap => "wbeth_wrap",
            Unwrap => "wbeth_unwrap",
            SolStake => "sol_stake",
            SolRedeem => "sol_redemption",
            // credited units: interest income
            BethReward | SolBoostClaim => {
                let id = match r.kind {
                    BethReward => format!("{spot}:beth_reward:{}:{}", r.time, to.amount.normalize()),
                    _ => format!("{spot}:sol_boost_claim:{}:{}:{}", r.time, to.asset, to.amount.normalize()),
                };
                let kind = EventKind::Income {
                    income_type: IncomeType::Interest,
                    asset: to.asset,
                    amount: to.amount,
                    symbol: None,
                };
                out.push(ev(id, r.time, &spot, kind));
                continue;
            }
        };
        let id = format!("{spot}:{stream}:{}:{}", r.time, from.amount.normalize());
        out.push(ev(id, r.time, &spot, EventKind::Migration { from, to }));
    }
}

/// Binance Simple Earn: subscriptions, redemptions (with unreported interest) and rewards.
fn binance_earn(a: &BinanceAccount, out: &mut Vec<Event>) {
    let l = &a.label;
    let spot = format!("binance/{l}/spot");
    let earn = format!("binance/{l}/earn");
    for e in &a.earn {
        let product = if e.locked { "locked" } else { "flexible" };
        let asset = e.asset.to_string();
        let transfer = |from: &str, to: &str, amount| EventKind::Transfer {
            from_account: AccountId(from.into()),
            to_account: AccountId(to.into()),
            asset: asset.clone().into(),
            amount,
        };
        let interest = |amount| EventKind::Income {
            income_type: IncomeType::Interest,
            asset: asset.clone().into(),
            amount,
            symbol: None,
        };
        match e.kind {
            EarnKind::Subscribe { .. } => out.push(ev(
                format!("{spot}:earn_subscription:{product}:{}", e.id),
                e.time,
                &spot,
                transfer(&spot, &earn, e.amount),
            )),
            EarnKind::Redeem { principal } => {
                out.push(ev(
                    format!("{earn}:earn_redemption:{product}:{}", e.id),
                    e.time,
                    &earn,
                    transfer(&earn, &spot, principal),
                ));
                if e.amount != principal {
                    out.push(ev(
                        format!("{spot}:earn_interest:{product}:{}", e.id),
                        e.time,
                        &spot,
                        interest(e.amount - principal),
                    ));
                }
            }
            EarnKind::Reward if e.locked => out.push(ev(
                format!("{spot}:earn_reward:locked:{}:Locked_Rewards:{}:{asset}", e.position_id, e.time),
                e.time,
                &spot,
                interest(e.amount),
            )),
            EarnKind::Reward => out.push(ev(
                format!("{earn}:earn_reward:flexible:{}:REALTIME:{}:{asset}", e.product, e.time),
                e.time,
                &earn,
                interest(e.amount),
            )),
        }
    }
}

/// Binance USDⓈ-M futures: fills (informational) and income.
fn binance_futures(a: &BinanceAccount, out: &mut Vec<Event>) {
    let l = &a.label;
    let usdm = format!("binance/{l}/usdm");
    for (sym, fills) in &a.futures_trades {
        for f in fills {
            out.push(futures_trade(format!("{usdm}:futures_trade:{sym}:{}", f.id), &usdm, f));
        }
    }
    for i in &a.income {
        let income_type = match i.income_type {
            "REALIZED_PNL" => IncomeType::RealizedPnl,
            "COMMISSION" => IncomeType::Commission,
            "FUNDING_FEE" => IncomeType::Funding,
            _ => continue, // TRANSFER mirrors the universal transfer
        };
        out.push(ev(
            format!("{usdm}:income:{}:{}", i.income_type, i.tran_id),
            i.time,
            &usdm,
            EventKind::Income {
                income_type,
                asset: i.asset.clone().into(),
                amount: i.income,
                symbol: i.symbol.as_deref().map(Name::from),
            },
        ));
    }
}

/// Binance COIN-M futures (docs/venues.md §1.14): fills (informational, in coins: contracts × size / price) and
/// income in the margin coin, in the `coinm` wallet.
fn binance_coinm(a: &BinanceAccount, out: &mut Vec<Event>) {
    let coinm = format!("binance/{}/coinm", a.label);
    for (sym, fills) in &a.coinm_trades {
        let c = crate::generator::coinm_contract(sym).expect("a listed COIN-M contract");
        for f in fills {
            let kind = EventKind::FuturesTrade {
                symbol: sym.into(),
                side: if f.buyer { Side::Buy } else { Side::Sell },
                price: f.price,
                qty: (f.qty * Decimal::from(c.contract_size) / f.price).round_dp(8),
                fees: vec![money(c.coin, f.commission)],
                realized_pnl: Some(f.realized_pnl),
                order_id: Some(f.order_id.to_string()),
            };
            out.push(ev(format!("{coinm}:futures_trade:{sym}:{}", f.id), f.time, &coinm, kind));
        }
    }
    for i in &a.coinm_income {
        let income_type = match i.income_type {
            "REALIZED_PNL" => IncomeType::RealizedPnl,
            "COMMISSION" => IncomeType::Commission,
            "FUNDING_FEE" => IncomeType::Funding,
            _ => continue, // TRANSFER mirrors the universal transfer
        };
        out.push(ev(
            format!("{coinm}:income:{}:{}", i.income_type, i.tran_id),
            i.time,
            &coinm,
            EventKind::Income {
                income_type,
                asset: i.asset.clone().into(),
                amount: i.income,
                symbol: i.symbol.as_deref().map(Name::from),
            },
        ));
    }
}

/// Bitget spot (or unified) history: fills, deposits, withdrawals, transfers, converts, BGB converts.
fn bitget_spot(world: &World, a: &BitgetAccount, out: &mut Vec<Event>) {
    let l = &a.label;
    let unified = a.mode == AccountMode::Unified;
    let spot = if unified { format!("bitget/{l}/unified") } else { format!("bitget/{l}/spot") };
    for f in &a.spot_fills {
        let s = world.market.symbol(&f.symbol).expect("listed symbol");
        let (spend, receive) = if f.buy {
            (money(&s.quote, f.amount), money(&s.base, f.size))
        } else {
            (money(&s.base, f.size), money(&s.quote, f.amount))
        };
        out.push(ev(
            format!("{spot}:trade:{}:{}", f.symbol, f.id),
            f.time,
            &spot,
            EventKind::Trade {
                spend,
                receive,
                fees: vec![money(&f.fee_coin, f.fee)],
                symbol: Some(f.symbol.clone().into()),
            },
        ));
    }
    chain_flows(&spot, &a.deposits, &a.withdrawals, out);
    for t in &a.transfers {
        let from_acc = format!("bitget/{l}/{}", t.from);
        out.push(ev(
            format!("{from_acc}:transfer:{}", t.id),
            t.time,
            &from_acc,
            EventKind::Transfer {
                from_account: AccountId(from_acc.clone().into()),
                to_account: AccountId(format!("bitget/{l}/{}", t.to).into()),
                asset: t.asset.clone().into(),
                amount: t.amount,
            },
        ));
    }
    bitget_conversions(a, &spot, out);
}

/// A Bitget account's converts and small-balance conversions to BGB, trades in `spot` (its spot or unified wallet).
fn bitget_conversions(a: &BitgetAccount, spot: &str, out: &mut Vec<Event>) {
    let unified = a.mode == AccountMode::Unified;
    for c in &a.converts {
        let id = if unified {
            format!(
                "{spot}:convert:{}:{}:{}:{}:{}",
                c.from_coin,
                c.to_coin,
                c.time,
                c.from_size.normalize(),
                c.to_size.normalize()
            )
        } else {
            format!("{spot}:convert:{}", c.id)
        };
        let kind = EventKind::Trade {
            spend: money(&c.from_coin, c.from_size),
            receive: money(&c.to_coin, c.to_size),
            fees: vec![],
            symbol: None,
        };
        out.push(ev(id, c.time, spot, kind));
    }
    for c in &a.bgb_converts {
        let kind = EventKind::Trade {
            spend: money(&c.from_coin, c.from_amount),
            receive: money("BGB", c.to_amount),
            fees: vec![money("BGB", c.fee)],
            symbol: None,
        };
        out.push(ev(format!("{spot}:bgb_convert:{}", c.order_id), c.time, spot, kind));
    }
}

/// Deposits from and withdrawals to outside, in `spot`.
fn chain_flows(spot: &str, deposits: &[Deposit], withdrawals: &[Withdrawal], out: &mut Vec<Event>) {
    for d in deposits {
        out.push(ev(
            format!("{spot}:deposit:{}", d.id),
            d.time,
            spot,
            EventKind::Deposit { asset: d.coin.clone().into(), amount: d.amount, txid: Some(d.txid.clone()) },
        ));
    }
    for w in withdrawals {
        out.push(ev(
            format!("{spot}:withdrawal:{}", w.id),
            w.time,
            spot,
            EventKind::Withdrawal {
                asset: w.coin.clone().into(),
                amount: w.amount,
                fee: Some(w.fee),
                txid: Some(w.txid.clone()),
            },
        ));
    }
}

/// Bitget futures: fills (informational), commissions, realized PnL and funding, from the unified account or the futures wallet.
fn bitget_futures(a: &BitgetAccount, out: &mut Vec<Event>) {
    let l = &a.label;
    let unified = a.mode == AccountMode::Unified;
    let spot = if unified { format!("bitget/{l}/unified") } else { format!("bitget/{l}/spot") };
    let fut = if unified { spot.clone() } else { format!("bitget/{l}/futures") };
    for f in &a.mix_fills {
        out.push(futures_trade(format!("{fut}:futures_trade:{}:{}", f.symbol, f.id), &fut, f));
    }
    if unified {
        for f in &a.mix_fills {
            let base = format!("{spot}:fill:{}", f.id);
            out.push(ev(
                format!("{base}:fee"),
                f.time,
                &spot,
                EventKind::Income {
                    income_type: IncomeType::Commission,
                    asset: "USDT".into(),
                    amount: -f.commission,
                    symbol: Some(f.symbol.clone().into()),
                },
            ));
            if !f.realized_pnl.is_zero() {
                out.push(ev(
                    format!("{base}:pnl"),
                    f.time,
                    &spot,
                    EventKind::Income {
                        income_type: IncomeType::RealizedPnl,
                        asset: "USDT".into(),
                        amount: f.realized_pnl,
                        symbol: Some(f.symbol.clone().into()),
                    },
                ));
            }
        }
        for b in a.mix_bills.iter().filter(|b| b.business_type == "contract_settle_fee") {
            out.push(ev(
                format!("{spot}:funding:{}", b.id),
                b.time,
                &spot,
                EventKind::Income {
                    income_type: IncomeType::Funding,
                    asset: b.coin.clone().into(),
                    amount: b.amount,
                    symbol: b.symbol.as_deref().map(Name::from),
                },
            ));
        }
    } else {
        classic_bills(&format!("bitget/{l}/futures"), &a.mix_bills, out);
    }
}

/// A Bitget classic futures wallet's bills (`fut`: `bitget/L/futures`, `coinm`, `usdcm`) as the client books them:
/// funding, and for trade bills the fee as commission and a non-zero amount as realized PnL.
fn classic_bills(fut: &str, bills: &[crate::generator::Bill], out: &mut Vec<Event>) {
    for b in bills {
        let symbol = b.symbol.as_deref().map(Name::from);
        match b.business_type {
            "contract_settle_fee" => out.push(ev(
                format!("{fut}:bill:{}", b.id),
                b.time,
                fut,
                EventKind::Income {
                    income_type: IncomeType::Funding,
                    asset: b.coin.clone().into(),
                    amount: b.amount,
                    symbol,
                },
            )),
            "open_long" | "open_short" | "close_long" | "close_short" => {
                out.push(ev(
                    format!("{fut}:bill:{}:fee", b.id),
                    b.time,
                    fut,
                    EventKind::Income {
                        income_type: IncomeType::Commission,
                        asset: b.coin.clone().into(),
                        amount: b.fee,
                        symbol: symbol.clone(),
                    },
                ));
                if !b.amount.is_zero() {
                    out.push(ev(
                        format!("{fut}:bill:{}:pnl", b.id),
                        b.time,
                        fut,
                        EventKind::Income {
                            income_type: IncomeType::RealizedPnl,
                            asset: b.coin.clone().into(),
                            amount: b.amount,
                            symbol,
                        },
                    ));
                }
            }
            _ => {}
        }
    }
}

/// A Binance lead portfolio's money in and out and its profit shares (docs/accounting.md §8e): its `TRANSFER` and
/// `STRATEGY_UMFUTURES_TRANSFER` income rows a deposit (positive) or a withdrawal (negative) of `usdm`, its profit
/// shares other income. Nothing for a regular account.
fn binance_lead(a: &BinanceAccount, out: &mut Vec<Event>) {
    if !a.copy_trading {
        return;
    }
    let usdm = format!("binance/{}/usdm", a.label);
    for i in &a.income {
        let asset = i.asset.to_string();
        let kind = match i.income_type {
            "TRANSFER" | STRATEGY_TRANSFER if i.income.is_sign_negative() => {
                EventKind::Withdrawal { asset: asset.into(), amount: -i.income, fee: None, txid: None }
            }
            "TRANSFER" | STRATEGY_TRANSFER => EventKind::Deposit { asset: asset.into(), amount: i.income, txid: None },
            LEAD_PROFIT_SHARE => EventKind::Income {
                income_type: IncomeType::Other,
                asset: asset.into(),
                amount: i.income,
                symbol: None,
            },
            _ => continue, // the position's rows, booked by `binance_futures`
        };
        out.push(ev(format!("{usdm}:income:{}:{}", i.income_type, i.tran_id), i.time, &usdm, kind));
    }
}

/// A Bitget copy-trading account's tracking orders and profit shares (docs/venues.md §2.11): each closed order an
/// opening and a closing fill for the record, a follower's profit share paid other income of minus it in spot, a
/// trader's profit share received other income in spot.
fn bitget_copy(a: &BitgetAccount, out: &mut Vec<Event>) {
    let (futures, spot) = (format!("bitget/{}/futures", a.label), format!("bitget/{}/spot", a.label));
    for o in &a.copy_orders {
        let fill = |buy: bool, price, fee, pnl, order: u64| EventKind::FuturesTrade {
            symbol: o.symbol.clone().into(),
            side: if buy { Side::Buy } else { Side::Sell },
            price,
            qty: o.size,
            fees: vec![money("USDT", fee)],
            realized_pnl: pnl,
            order_id: Some(order.to_string()),
        };
        let (n, open, close) = (o.tracking_no, o.tracking_no + 1, o.tracking_no + 2);
        let opening = fill(o.long, o.open_price, o.open_fee, None, open);
        out.push(ev(format!("{futures}:copy_open:{n}"), o.open_time, &futures, opening));
        let closing = fill(!o.long, o.close_price, o.close_fee, Some(o.pnl), close);
        out.push(ev(format!("{futures}:copy_close:{n}"), o.close_time, &futures, closing));
        if !o.share.is_zero() {
            let kind = EventKind::Income {
                income_type: IncomeType::Other,
                asset: "USDT".into(),
                amount: -o.share,
                symbol: None,
            };
            out.push(ev(format!("{spot}:copy_share:{n}"), o.close_time, &spot, kind));
        }
    }
    for p in &a.profit_shares {
        let kind = EventKind::Income {
            income_type: IncomeType::Other,
            asset: p.coin.clone().into(),
            amount: p.profit,
            symbol: None,
        };
        out.push(ev(format!("{spot}:copy_profit:{}", p.id), p.time, &spot, kind));
    }
}

/// The balances the venues report, by ledger account: the generator's wallets, zero balances left out.
pub fn balances(world: &World) -> AccountBalances {
    let mut out = AccountBalances::new();
    for a in &world.binance {
        for (w, b) in &a.wallets {
            out.insert(
                format!("binance/{}/{w}", a.label),
                b.iter().filter(|(_, v)| !v.is_zero()).map(|(k, v)| (k.clone(), *v)).collect(),
            );
        }
    }
    for a in &world.bitget {
        for (w, b) in &a.wallets {
            out.insert(
                format!("bitget/{}/{w}", a.label),
                b.iter().filter(|(_, v)| !v.is_zero()).map(|(k, v)| (k.clone(), *v)).collect(),
            );
        }
    }
    out.retain(|_, v| !v.is_empty());
    out
}

/// An open futures position as the venue shows it, with the unrealized PnL it reports (`unRealizedProfit`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenPosition {
    /// The position as a correct sync reads it, without its read time (`time` is `None`).
    pub position: ledger::Position,
    /// What the venue reports as its unrealized PnL, in the margin asset, to 8 decimals.
    pub unrealized: Decimal,
}

/// A COIN-M contract's mark price in the world: its index's last price, to the contract's tick of 0.1.
pub fn coinm_mark(world: &World, contract: &CoinmContract) -> Decimal {
    world.market.last(contract.index).round_dp(1)
}

/// Unrealized PnL of an inverse position, in the coin, to 8 decimals: `amt x size x (1/entry - 1/mark)`
/// (docs/accounting.md §9, open positions), as the simulated Binance reports it.
pub fn coinm_unrealized(amt: Decimal, contract: &CoinmContract, entry: Decimal, mark: Decimal) -> Decimal {
    let size = Decimal::from(contract.contract_size);
    (amt * size * (mark - entry) / (entry * mark)).round_dp(8)
}

/// The open Binance COIN-M positions of the world (docs/venues.md §1.14), every data account's: inverse contracts in
/// `binance/L/coinm`, with their contract size and margin coin, marked at [`coinm_mark`], and the unrealized PnL the
/// venue reports for them.
pub fn coinm_positions(world: &World) -> Vec<OpenPosition> {
    let mut out = Vec::new();
    for a in &world.binance {
        for (symbol, p) in &a.coinm_positions {
            let c = crate::generator::coinm_contract(symbol).expect("a listed COIN-M contract");
            let mark = coinm_mark(world, c);
            out.push(OpenPosition {
                position: ledger::Position {
                    time: None,
                    account: AccountId::new("binance", &a.label, "coinm"),
                    symbol: symbol.to_string(),
                    margin_asset: c.coin.to_string(),
                    amount: p.amt,
                    entry_price: p.entry,
                    mark_price: mark,
                    contract_size: Some(Decimal::from(c.contract_size)),
                },
                unrealized: coinm_unrealized(p.amt, c, p.entry, mark),
            });
        }
    }
    out
}

/// Balances implied by a ledger: every event's effect summed per account and asset (zero balances left out).
/// Independent of the generator, so `fold(ledger) == balances` checks both.
pub fn fold(events: &[Event]) -> AccountBalances {
    let mut out = AccountBalances::new();
    let mut add = |acc: &str, asset: &str, d: Decimal| {
        *out.entry(acc.to_string()).or_default().entry(asset.to_string()).or_default() += d;
    };
    for e in events {
        let acc = e.account.as_str();
        match &e.kind {
            EventKind::Trade { spend, receive, fees, .. } => {
                add(acc, &spend.asset, -spend.amount);
                add(acc, &receive.asset, receive.amount);
                for f in fees {
                    add(acc, &f.asset, -f.amount);
                }
            }
            EventKind::Deposit { asset, amount, .. } => add(acc, asset, *amount),
            EventKind::Withdrawal { asset, amount, fee, .. } => add(acc, asset, -(*amount + fee.unwrap_or_default())),
            EventKind::Transfer { from_account, to_account, asset, amount } => {
                add(from_account.as_str(), asset, -*amount);
                add(to_account.as_str(), asset, *amount);
            }
            EventKind::Income { asset, amount, .. } => add(acc, asset, *amount),
            // balances net of what is owed (a margin wallet's netAsset)
            EventKind::Loan { action, asset, amount, .. } => add(acc, asset, action.net_change(*amount)),
            // informational: its money is in the income events
            EventKind::FuturesTrade { .. } => {}
            EventKind::Migration { from, to } => {
                add(acc, &from.asset, -from.amount);
                add(acc, &to.asset, to.amount);
            }
        }
    }
    for v in out.values_mut() {
        v.retain(|_, d| !d.is_zero());
    }
    out.retain(|_, v| !v.is_empty());
    out
}

/// Writes `dir/ledger.jsonl` and `dir/balances.json`.
pub fn write(world: &World, dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let events = ledger(world);
    let f = std::io::BufWriter::new(std::fs::File::create(dir.join("ledger.jsonl"))?);
    ledger::write_jsonl(f, &events)?;
    let b: BTreeMap<String, BTreeMap<String, String>> = balances(world)
        .into_iter()
        .map(|(k, v)| (k, v.into_iter().map(|(a, d)| (a, d.normalize().to_string())).collect()))
        .collect();
    std::fs::write(dir.join("balances.json"), serde_json::to_vec_pretty(&b).map_err(std::io::Error::other)?)?;
    Ok(())
}

/// Bitget income only the tax records show (docs/venues.md §2.13): other income in spot, `:tax:{type}:{id}` with
/// the type in lower case and `_` for anything else.
fn bitget_tax_only(a: &BitgetAccount, out: &mut Vec<Event>) {
    let spot = format!("bitget/{}/spot", a.label);
    for b in &a.tax_only {
        let ty: String = b
            .business_type
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
            .collect();
        let kind = EventKind::Income {
            income_type: IncomeType::Other,
            asset: b.coin.clone().into(),
            amount: b.amount,
            symbol: None,
        };
        out.push(ev(format!("{spot}:tax:{ty}:{}", b.id), b.time, &spot, kind));
    }
}

/// Bitget Earn savings (docs/venues.md §2.14), in the wallet `earn`, ids `:savings:flexible:{orderType}:{orderId}`.
fn bitget_savings(a: &BitgetAccount, out: &mut Vec<Event>) {
    let rows = a.savings.iter().map(|r| EarnRow {
        what: r.order_type,
        id: r.id,
        time: r.time,
        coin: &r.coin,
        amount: r.amount,
    });
    bitget_earn_product(&a.label, "earn", "savings:flexible", ("subscribe", "redeem"), rows, out);
}

/// Bitget Earn shark fin (docs/venues.md §2.16), in the wallet `sharkfin`, ids `:sharkfin:{type}:{orderId}`.
fn bitget_sharkfin(a: &BitgetAccount, out: &mut Vec<Event>) {
    let rows =
        a.sharkfin.iter().map(|r| EarnRow { what: r.kind, id: r.id, time: r.time, coin: &r.coin, amount: r.amount });
    bitget_earn_product(&a.label, "sharkfin", "sharkfin", ("subscription", "redemption"), rows, out);
}

/// One record of a Bitget Earn product: what it is (the product's own word), its order id, time, coin and amount.
struct EarnRow<'a> {
    what: &'static str,
    id: u64,
    time: i64,
    coin: &'a Symbol,
    amount: Decimal,
}

/// A Bitget Earn product's records: a subscription (`words.0`) a transfer from spot into `wallet`, a redemption
/// (`words.1`) one back, anything else interest income in spot; every id the product wallet's, `:{tag}:{what}:{id}`.
fn bitget_earn_product<'a>(
    label: &str,
    wallet: &str,
    tag: &str,
    (subscribe, redeem): (&str, &str),
    rows: impl Iterator<Item = EarnRow<'a>>,
    out: &mut Vec<Event>,
) {
    let (spot, product) = (format!("bitget/{label}/spot"), format!("bitget/{label}/{wallet}"));
    for r in rows {
        let transfer = |from: &str, to: &str| EventKind::Transfer {
            from_account: AccountId(from.into()),
            to_account: AccountId(to.into()),
            asset: r.coin.into(),
            amount: r.amount,
        };
        let (acc, kind) = if r.what == subscribe {
            (&spot, transfer(&spot, &product))
        } else if r.what == redeem {
            (&product, transfer(&product, &spot))
        } else {
            let kind = EventKind::Income {
                income_type: IncomeType::Interest,
                asset: r.coin.into(),
                amount: r.amount,
                symbol: None,
            };
            (&spot, kind)
        };
        out.push(ev(format!("{product}:{tag}:{}:{}", r.what, r.id), r.time, acc, kind));
    }
}

/// Bitget classic cross margin (docs/venues.md §2.15), in the wallet `margin`: the fills as Binance's margin fills,
/// the finance flow's borrows and repays (a repay's amount with its interest, as the flow writes it) and the
/// interest charged as loans; its transfers are the transfer records' ([`bitget_spot`]). A unified account's margin
/// (§2.8) is the same, in its one wallet `unified`, its loan repaid as two rows (principal, interest).
fn bitget_margin(world: &World, a: &BitgetAccount, out: &mut Vec<Event>) {
    let wallet = if a.mode == AccountMode::Unified { "unified" } else { "margin" };
    bitget_margin_in(world, &a.label, wallet, crate::generator::BITGET_MARGIN_PAIR, &a.margin, out);
}

/// Bitget classic isolated margin (docs/venues.md §2.18): the cross margin events of [`bitget_margin`], in the
/// pair's wallet `isolated-BTCUSDT`.
fn bitget_isolated(world: &World, a: &BitgetAccount, out: &mut Vec<Event>) {
    let (pair, wallet) = (crate::generator::BITGET_ISOLATED_PAIR, crate::generator::BITGET_ISOLATED_WALLET);
    bitget_margin_in(world, &a.label, wallet, pair, &a.isolated, out);
}

/// The margin records `m` of `pair` as events in the wallet `bitget/{label}/{wallet}`.
fn bitget_margin_in(
    world: &World,
    label: &str,
    wallet: &str,
    pair: &str,
    m: &crate::generator::BitgetMargin,
    out: &mut Vec<Event>,
) {
    if m.flows.is_empty() {
        return;
    }
    let margin = format!("bitget/{label}/{wallet}");
    let trades = BTreeMap::from([(Symbol::from(pair), m.fills.clone())]);
    margin_records(world, &margin, &trades, &[], &[], out);
    for f in &m.flows {
        let action = match f.kind {
            "borrow" => LoanAction::Borrow,
            "repay" | "interest_repay" => LoanAction::Repay,
            _ => continue,
        };
        let kind = EventKind::Loan { action, asset: f.coin.clone().into(), amount: f.amount.abs(), interest: None };
        out.push(ev(format!("{margin}:{}:{}", f.kind, f.id), f.time, &margin, kind));
    }
    for i in &m.interest {
        let kind = EventKind::Loan {
            action: LoanAction::Interest,
            asset: i.coin.clone().into(),
            amount: i.amount,
            interest: None,
        };
        out.push(ev(format!("{margin}:interest:{}", i.id), i.time, &margin, kind));
    }
}

/// Bitget Earn crypto loans (docs/venues.md §2.17): a loan taken is a borrow in `loan`, the units moved to spot and
/// the collateral moved from spot; a repay the interest charged, principal and interest moved from spot, the repay
/// and the collateral moved back; every id the loan wallet's, `:loan:{what}:{orderId}` (a repay's `:{repayTime}`).
fn bitget_earn_loans(a: &BitgetAccount, out: &mut Vec<Event>) {
    let (spot, loan) = (format!("bitget/{}/spot", a.label), format!("bitget/{}/loan", a.label));
    let transfer = |from: &str, to: &str, asset: &str, amount: Decimal| EventKind::Transfer {
        from_account: AccountId(from.into()),
        to_account: AccountId(to.into()),
        asset: asset.into(),
        amount,
    };
    for l in &a.earn_loans {
        let (id, t) = (l.id, l.time);
        let borrow = EventKind::Loan {
            action: LoanAction::Borrow,
            asset: l.loan_coin.clone().into(),
            amount: l.loan_amount,
            interest: None,
        };
        out.push(ev(format!("{loan}:loan:borrow:{id}"), t, &loan, borrow));
        let moved = transfer(&loan, &spot, &l.loan_coin, l.loan_amount);
        out.push(ev(format!("{loan}:loan:borrowed:{id}"), t, &loan, moved));
        out.push(ev(
            format!("{loan}:loan:pledge:{id}"),
            t,
            &spot,
            transfer(&spot, &loan, &l.pledge_coin, l.pledge_amount),
        ));
        let Some(r) = &l.repay else { continue };
        let t = r.time;
        if !r.interest.is_zero() {
            let kind = EventKind::Loan {
                action: LoanAction::Interest,
                asset: l.loan_coin.clone().into(),
                amount: r.interest,
                interest: None,
            };
            out.push(ev(format!("{loan}:loan:interest:{id}:{t}"), t, &loan, kind));
        }
        let paid = transfer(&spot, &loan, &l.loan_coin, r.principal + r.interest);
        out.push(ev(format!("{loan}:loan:pay:{id}:{t}"), t, &spot, paid));
        let kind = EventKind::Loan {
            action: LoanAction::Repay,
            asset: l.loan_coin.clone().into(),
            amount: r.principal,
            interest: (!r.interest.is_zero()).then_some(r.interest),
        };
        out.push(ev(format!("{loan}:loan:repay:{id}:{t}"), t, &loan, kind));
        out.push(ev(
            format!("{loan}:loan:unlock:{id}:{t}"),
            t,
            &loan,
            transfer(&loan, &spot, &l.pledge_coin, r.unlocked),
        ));
    }
}

/// Bitget classic COIN-M and USDC-M futures (docs/venues.md §2.12): fills for the record (fee in the margin coin) and
/// the bills, in their wallets.
fn bitget_product_futures(a: &BitgetAccount, out: &mut Vec<Event>) {
    for (wallet, book) in &a.product_futures {
        let fut = format!("bitget/{}/{wallet}", a.label);
        let coin = crate::generator::BITGET_PRODUCTS.iter().find(|p| p.wallet == *wallet).map_or("USDT", |p| p.coin);
        for f in &book.fills {
            out.push(futures_trade_in(format!("{fut}:futures_trade:{}:{}", f.symbol, f.id), &fut, f, coin));
        }
        classic_bills(&fut, &book.bills, out);
    }
}
