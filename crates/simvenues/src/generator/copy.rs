//! Copy-trading accounts (docs/venues.md §1.17, §2.11; the accounting in docs/accounting.md §8e): a Binance lead
//! portfolio (a USDⓈ-M account only, funded and emptied by income rows, paid profit shares), a Bitget follower (its
//! closed positions as copied orders, a profit share paid from spot on each profitable one) and a Bitget trader
//! (its closed positions as lead orders, profit shares received into spot). Each is generated as a data account is,
//! then given what makes it a copy-trading one.

use super::*;

/// The income type the simulated Binance pays a lead trader's profit share under. The venue's pages list none
/// (docs/venues.md §1.17): this made-up name checks that the client keeps a type it does not know as other income.
pub const LEAD_PROFIT_SHARE: &str = "COPY_TRADING_PROFIT_SHARE";
/// The income type of some of the money a lead portfolio sends back (docs/venues.md §1.17).
pub const STRATEGY_TRANSFER: &str = "STRATEGY_UMFUTURES_TRANSFER";

/// Which side of copy trading a Bitget account is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyRole {
    /// Copies a trader: its closed positions are served by the follower's history, each profitable one paid a share.
    Follower,
    /// Leads: its closed positions are served by the trader's history, and it receives profit shares.
    Trader,
}

/// A closed tracking order: one position of the account from flat to flat (Bitget's `trackingList` row).
#[derive(Clone, Debug)]
pub struct CopyOrder {
    /// `trackingNo`.
    pub tracking_no: u64,
    /// Contract symbol.
    pub symbol: Symbol,
    /// Long (true) or short.
    pub long: bool,
    /// First opening fill's time (the copy trade's creation time), ms.
    pub open_time: i64,
    /// Last closing fill's time, ms.
    pub close_time: i64,
    /// Quantity opened (= closed).
    pub size: Decimal,
    /// Average opening price.
    pub open_price: Decimal,
    /// Average closing price.
    pub close_price: Decimal,
    /// Opening fees, positive = paid.
    pub open_fee: Decimal,
    /// Closing fees, positive = paid.
    pub close_fee: Decimal,
    /// Realized PnL of the closing fills.
    pub pnl: Decimal,
    /// A follower's profit share paid on it (`achievedPL − netProfit`), zero when none.
    pub share: Decimal,
}

/// A profit share paid to a Bitget trader (`profitList` row), into spot.
#[derive(Clone, Debug)]
pub struct ProfitShare {
    /// `profitId`.
    pub id: u64,
    /// Coin.
    pub coin: Symbol,
    /// Amount received.
    pub profit: Decimal,
    /// Time, ms.
    pub time: i64,
}

/// The history a copy-trading account's futures fills need: no spot fills, the data accounts' futures rate.
fn copy_spec(spec: &SizeSpec) -> SizeSpec {
    SizeSpec {
        data_accounts: 1,
        days: spec.days,
        spot_fills_per_kday: 0,
        futures_fills_per_kday: spec.futures_fills_per_kday,
    }
}

/// A Binance lead portfolio: a data account's USDⓈ-M history alone (fills, income, positions; its `TRANSFER` rows
/// now the portfolio's money in and out, every other outgoing one as `STRATEGY_UMFUTURES_TRANSFER`), and a profit
/// share paid into the wallet every seventh day.
#[allow(clippy::too_many_arguments)]
pub(super) fn binance_lead(
    world_seed: u64,
    market: &Market,
    label: &str,
    index: u64,
    spec: &SizeSpec,
    spot_syms: &[Symbol],
    fut_syms: &[Symbol],
) -> BinanceAccount {
    // the spot side it is generated with is left out: a lead portfolio's key has a futures wallet only
    let mut dropped = Vec::new();
    let spec = &copy_spec(spec);
    let full = gen_binance(world_seed, market, label, index, spec, spec.days, spot_syms, fut_syms, None, &mut dropped);
    let mut usdm = full.wallets.get("usdm").cloned().unwrap_or_default();
    let mut income = full.income;
    for (n, row) in income.iter_mut().filter(|i| i.income_type == "TRANSFER" && i.income.is_sign_negative()).enumerate()
    {
        if n % 2 == 1 {
            row.income_type = STRATEGY_TRANSFER;
        }
    }
    for d in (7..spec.days).step_by(7) {
        let t = market.start + d * DAY + 12 * HOUR + 3;
        let profit = Decimal::new((mix(world_seed, index, d as u64) % 2000 + 100) as i64, 2);
        add(&mut usdm, "USDT", profit);
        income.push(Income {
            tran_id: rid(12_000_000_000, market.start, t, index),
            income_type: LEAD_PROFIT_SHARE,
            income: profit,
            asset: interned("USDT"),
            symbol: None,
            time: t,
            trade_id: None,
        });
    }
    income.sort_by_key(|i| i.time);
    BinanceAccount {
        label: full.label,
        uid: full.uid,
        index,
        copy_trading: true,
        wallets: BTreeMap::from([("usdm", usdm)]),
        futures_trades: full.futures_trades,
        income,
        positions: full.positions,
        ..Default::default()
    }
}

/// A Bitget follower or trader: a classic data account whose closed positions are its tracking orders; a
/// follower pays 10 % of each profitable one's PnL from spot USDT (as long as spot ends with enough), a trader is
/// paid a profit share into spot every seventh day.
#[allow(clippy::too_many_arguments)]
pub(super) fn bitget_copy(
    world_seed: u64,
    market: &Market,
    label: &str,
    index: u64,
    spec: &SizeSpec,
    spot_syms: &[Symbol],
    fut_syms: &[Symbol],
    role: CopyRole,
) -> BitgetAccount {
    let mut a = gen_bitget(
        world_seed,
        market,
        label,
        index,
        AccountMode::Classic,
        &copy_spec(spec),
        spec.days,
        spot_syms,
        fut_syms,
        &[],
    );
    a.copy_role = Some(role);
    a.copy_orders = tracking_orders(&a.mix_fills, market.start, index);
    let spot = a.wallets.entry("spot").or_default();
    match role {
        CopyRole::Follower => {
            for o in a.copy_orders.iter_mut().filter(|o| o.pnl.is_sign_positive() && !o.pnl.is_zero()) {
                let share = (o.pnl / Decimal::TEN).round_dp(8);
                if bal(spot, "USDT") >= share {
                    add(spot, "USDT", -share);
                    o.share = share;
                }
            }
        }
        CopyRole::Trader => {
            for d in (7..spec.days).step_by(7) {
                let t = market.start + d * DAY + 12 * HOUR + 5;
                let profit = Decimal::new((mix(world_seed, index, d as u64) % 3000 + 100) as i64, 2);
                add(spot, "USDT", profit);
                let id = rid(1_600_000_000_000_000_000, market.start, t, index);
                a.profit_shares.push(ProfitShare { id, coin: interned("USDT"), profit, time: t });
            }
        }
    }
    a
}

/// The account's positions from flat to flat, each one tracking order (id from its closing time).
fn tracking_orders(fills: &[FuturesFill], start: i64, index: u64) -> Vec<CopyOrder> {
    let mut open: BTreeMap<Symbol, (Decimal, Vec<&FuturesFill>)> = BTreeMap::new();
    let mut out = Vec::new();
    for f in fills {
        let (amt, legs) = open.entry(f.symbol.clone()).or_default();
        *amt += if f.buyer { f.qty } else { -f.qty };
        legs.push(f);
        if amt.is_zero() {
            let (_, legs) = open.remove(&f.symbol).expect("entered above");
            out.push(order_of(&legs, start, index));
        }
    }
    out.sort_by_key(|o| o.tracking_no);
    out
}

/// One tracking order from the fills of a position, opening ones first.
fn order_of(legs: &[&FuturesFill], start: i64, index: u64) -> CopyOrder {
    let (opens, closes): (Vec<&&FuturesFill>, Vec<&&FuturesFill>) = legs.iter().partition(|f| f.opening);
    let size: Decimal = opens.iter().map(|f| f.qty).sum();
    let avg = |v: &[&&FuturesFill]| (v.iter().map(|f| f.qty * f.price).sum::<Decimal>() / size).round_dp(8);
    let close = legs.last().expect("a position has fills");
    CopyOrder {
        tracking_no: rid(1_700_000_000_000_000_000, start, close.time, index),
        symbol: close.symbol.clone(),
        long: opens[0].buyer,
        open_time: opens[0].time,
        close_time: close.time,
        size,
        open_price: avg(&opens),
        close_price: avg(&closes),
        open_fee: opens.iter().map(|f| f.commission).sum(),
        close_fee: closes.iter().map(|f| f.commission).sum(),
        pnl: closes.iter().map(|f| f.realized_pnl).sum(),
        share: Decimal::ZERO,
    }
}
