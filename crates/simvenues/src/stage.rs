//! What the simulated venues serve: the generated world, or the same world as the venues showed it at an earlier
//! venue time, so that a test can let history happen between two syncs.
//!
//! [`as_of`] cuts a world at a venue time `t`: every row after `t` is gone, and the balances and open positions are
//! those at `t` (the truth's ledger up to `t`, folded; the futures fills up to `t`, replayed). A [`Stage`] holds the
//! world being served and, for an earlier time's, the venues' clock stopped at it (moved on only when told:
//! [`Stage::advance`]); [`crate::sandbox::Sandbox::set_as_of`] sets it.
//! Prices stay those of the whole history (marks and tickers show the last price), which no ledger depends on.
//!
//! ```
//! use simvenues::generator::{Size, World};
//! use simvenues::stage::as_of;
//! let world = World::generate(7, Size::Tiny, 1_700_000_000_000);
//! let earlier = as_of(&world, world.end - 86_400_000);
//! let events = simvenues::truth::ledger(&earlier);
//! assert!(events.len() < simvenues::truth::ledger(&world).len());
//! assert_eq!(simvenues::truth::fold(&events), simvenues::truth::balances(&earlier));
//! ```

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use rust_decimal::Decimal;

use crate::generator::{
    BinanceAccount, BitgetAccount, FuturesFill, IsolatedPair, Position, ProductFutures, Symbol, World,
};
use crate::truth;

/// No stopped clock: the venues' clock is the system's.
const RUNNING: i64 = i64::MIN;

/// The world the venues serve and where their clock stands: stopped (at the time the world is cut at, plus what it
/// was moved on since), or running with the system's.
#[derive(Debug)]
pub struct Stage {
    world: RwLock<Arc<World>>,
    stopped_at: AtomicI64,
}

impl Stage {
    /// Serves `world` on the system clock.
    pub fn new(world: Arc<World>) -> Self {
        Stage { world: RwLock::new(world), stopped_at: AtomicI64::new(RUNNING) }
    }

    /// The world served now.
    pub fn world(&self) -> Arc<World> {
        self.world.read().expect("stage lock").clone()
    }

    /// The venues' clock (ms) when the system's reads `system_ms`: where it is stopped, if it is.
    pub fn clock(&self, system_ms: i64) -> i64 {
        match self.stopped_at.load(Ordering::SeqCst) {
            RUNNING => system_ms,
            t => t,
        }
    }

    /// Moves a stopped clock `ms` on (a running one moves by itself); returns the venues' time.
    pub fn advance(&self, ms: i64, system_ms: i64) -> i64 {
        match self.stopped_at.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |t| (t != RUNNING).then(|| t + ms)) {
            Ok(t) => t + ms,
            Err(_) => system_ms,
        }
    }

    /// Serves `world` from now on, with the venues' clock stopped at `stopped_at` (`None`: the system clock).
    pub fn set(&self, world: Arc<World>, stopped_at: Option<i64>) {
        *self.world.write().expect("stage lock") = world;
        self.stopped_at.store(stopped_at.unwrap_or(RUNNING), Ordering::SeqCst);
    }
}

/// Open positions after `fills` (chronological within each symbol), as the generator keeps them: an opening fill
/// averages the entry price, a reducing one keeps it, a position back at zero is gone.
fn replay<'a>(fills: impl Iterator<Item = &'a FuturesFill>) -> BTreeMap<Symbol, Position> {
    let mut out: BTreeMap<Symbol, Position> = BTreeMap::new();
    for f in fills {
        let pos = out.entry(f.symbol.clone()).or_default();
        let signed = if f.buyer { f.qty } else { -f.qty };
        if f.opening {
            let amt = pos.amt + signed;
            pos.entry = ((pos.entry * pos.amt.abs() + f.price * f.qty) / amt.abs()).round_dp(8);
            pos.amt = amt;
        } else {
            pos.amt += signed;
            if pos.amt.is_zero() {
                pos.entry = Decimal::ZERO;
            }
        }
        pos.update_time = f.time;
    }
    out.retain(|_, p| !p.amt.is_zero());
    out
}

fn upto<T: Clone>(rows: &[T], t: i64, time: impl Fn(&T) -> i64) -> Vec<T> {
    rows.iter().filter(|r| time(r) <= t).cloned().collect()
}

/// Each symbol's rows up to `t`; a symbol left with none is gone.
fn upto_each<T: Clone>(
    rows: &BTreeMap<Symbol, Vec<T>>,
    t: i64,
    time: impl Fn(&T) -> i64 + Copy,
) -> BTreeMap<Symbol, Vec<T>> {
    rows.iter().map(|(s, v)| (s.clone(), upto(v, t, time))).filter(|(_, v)| !v.is_empty()).collect()
}

/// A Binance account's rows up to `t` and its positions at `t`; its wallets are filled in by [`as_of`].
fn binance_as_of(a: &BinanceAccount, t: i64) -> BinanceAccount {
    BinanceAccount {
        label: a.label.clone(),
        uid: a.uid,
        index: a.index,
        wallets: BTreeMap::new(),
        trades: upto_each(&a.trades, t, |f| f.time),
        deposits: upto(&a.deposits, t, |d| d.time),
        withdrawals: upto(&a.withdrawals, t, |w| w.time),
        transfers: upto(&a.transfers, t, |x| x.time),
        converts: upto(&a.converts, t, |c| c.time),
        dribblets: upto(&a.dribblets, t, |d| d.time),
        futures_trades: upto_each(&a.futures_trades, t, |f| f.time),
        income: upto(&a.income, t, |i| i.time),
        positions: replay(a.futures_trades.values().flatten().filter(|f| f.time <= t)),
        earn: upto(&a.earn, t, |e| e.time),
        dividends: upto(&a.dividends, t, |d| d.time),
        fiat_orders: upto(&a.fiat_orders, t, |o| o.time),
        fiat_payments: upto(&a.fiat_payments, t, |p| p.time),
        p2p: upto(&a.p2p, t, |p| p.time),
        pay: upto(&a.pay, t, |p| p.time),
        coinm_trades: upto_each(&a.coinm_trades, t, |f| f.time),
        coinm_income: upto(&a.coinm_income, t, |i| i.time),
        coinm_positions: replay(a.coinm_trades.values().flatten().filter(|f| f.time <= t)),
        staking: upto(&a.staking, t, |r| r.time),
        copy_trading: a.copy_trading,
        margin_trades: upto_each(&a.margin_trades, t, |f| f.time),
        margin_loans: upto(&a.margin_loans, t, |l| l.time),
        margin_interest: upto(&a.margin_interest, t, |i| i.time),
        margin_flows: upto(&a.margin_flows, t, |f| f.time),
        margin_liquidations: upto(&a.margin_liquidations, t, |l| l.time),
        // a pair exists from its first flow (the transfer that opens it)
        isolated: a
            .isolated
            .iter()
            .map(|(s, p)| {
                let cut = IsolatedPair {
                    trades: upto(&p.trades, t, |f| f.time),
                    loans: upto(&p.loans, t, |l| l.time),
                    interest: upto(&p.interest, t, |i| i.time),
                    flows: upto(&p.flows, t, |f| f.time),
                };
                (s.clone(), cut)
            })
            .filter(|(_, p)| !p.flows.is_empty())
            .collect(),
    }
}

/// A Bitget account's rows up to `t` and its positions at `t`; its wallets are filled in by [`as_of`].
fn bitget_as_of(a: &BitgetAccount, t: i64) -> BitgetAccount {
    BitgetAccount {
        label: a.label.clone(),
        uid: a.uid,
        index: a.index,
        mode: a.mode,
        wallets: BTreeMap::new(),
        spot_fills: upto(&a.spot_fills, t, |f| f.time),
        deposits: upto(&a.deposits, t, |d| d.time),
        withdrawals: upto(&a.withdrawals, t, |w| w.time),
        transfers: upto(&a.transfers, t, |x| x.time),
        spot_bills: upto(&a.spot_bills, t, |b| b.time),
        converts: upto(&a.converts, t, |c| c.time),
        bgb_converts: upto(&a.bgb_converts, t, |c| c.time),
        mix_fills: upto(&a.mix_fills, t, |f| f.time),
        mix_bills: upto(&a.mix_bills, t, |b| b.time),
        positions: replay(a.mix_fills.iter().filter(|f| f.time <= t)),
        copy_role: a.copy_role,
        copy_orders: upto(&a.copy_orders, t, |o| o.close_time),
        profit_shares: upto(&a.profit_shares, t, |p| p.time),
        tax_only: upto(&a.tax_only, t, |b| b.time),
        savings: upto(&a.savings, t, |r| r.time),
        product_futures: a
            .product_futures
            .iter()
            .map(|(w, p)| {
                let cut = ProductFutures {
                    fills: upto(&p.fills, t, |f| f.time),
                    bills: upto(&p.bills, t, |b| b.time),
                    positions: replay(p.fills.iter().filter(|f| f.time <= t)),
                };
                (*w, cut)
            })
            .collect(),
        margin: a.margin.upto(t),
        isolated: a.isolated.upto(t),
        sharkfin: upto(&a.sharkfin, t, |r| r.time),
        earn_loans: a
            .earn_loans
            .iter()
            .filter(|l| l.time <= t)
            .map(|l| {
                let mut l = l.clone();
                l.repay = l.repay.filter(|r| r.time <= t);
                l
            })
            .collect(),
    }
}

/// `world` as its venues showed it at venue time `t`: the rows up to `t`, the balances and positions at `t`.
pub fn as_of(world: &World, t: i64) -> World {
    let binance = world.binance.iter().map(|a| binance_as_of(a, t)).collect();
    let bitget = world.bitget.iter().map(|a| bitget_as_of(a, t)).collect();
    let mut cut = World {
        seed: world.seed,
        size: world.size,
        start: world.start,
        end: world.end,
        market: world.market.clone(),
        binance_spot: world.binance_spot.clone(),
        binance_delisted: world.binance_delisted.clone(),
        binance_futures: world.binance_futures.clone(),
        bitget_spot: world.bitget_spot.clone(),
        bitget_futures: world.bitget_futures.clone(),
        binance_price_only: world.binance_price_only.clone(),
        bitget_fiat: world.bitget_fiat.clone(),
        binance,
        bitget,
        keys: world.keys.clone(),
    };
    // the balances at `t` are what the rows up to `t` add up to (the truth checks fold(ledger) = balances)
    let folded = truth::fold(&truth::ledger(&cut));
    let wallet = |venue: &str, label: &str, w: &str| folded.get(&format!("{venue}/{label}/{w}")).cloned();
    for (a, full) in cut.binance.iter_mut().zip(&world.binance) {
        for w in full.wallets.keys() {
            a.wallets.insert(*w, wallet("binance", &a.label, w).unwrap_or_default());
        }
    }
    for (a, full) in cut.bitget.iter_mut().zip(&world.bitget) {
        for w in full.wallets.keys() {
            a.wallets.insert(*w, wallet("bitget", &a.label, w).unwrap_or_default());
        }
    }
    cut
}
