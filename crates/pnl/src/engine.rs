//! The state machine: events oldest first, lots per pool, balances per account, and the report at the end.

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};
use std::ops::{Deref, Not};
use std::sync::Arc;

use ledger::{AccountId, Decimal, Event, EventKind, IncomeType, LoanAction, PricePoint, Timestamp};

use crate::intern::{FxMap, Interner};
use crate::prices::{PriceBook, Rate, Route};
use crate::report::*;
use crate::returns::{self, Day};
use crate::settings::{Method, Pools, Settings};
use crate::transfers::{NONE, match_transfers};
use crate::uk::{self, DayFlow};

/// A lot: units acquired together, with what they cost.
#[derive(Clone, Copy, Debug)]
struct Lot {
    time: Timestamp,
    remaining: Decimal,
    cost: Decimal,
    /// Unit cost at acquisition, kept for HIFO's ordering (zero for the other methods, which never need it).
    unit: Decimal,
    /// The account the units were acquired in (`UNIVERSAL` for a pooled lot of several accounts' units, under ACB
    /// and UK share pooling); the gains report's "acquired in" (docs/accounting.md §3c).
    account: u32,
}

/// The lots of one asset (in one account, with per-account pools).
#[derive(Clone, Default)]
struct Pool {
    asset: u32,
    /// `u32::MAX` for the universal pool.
    account: u32,
    lots: VecDeque<Lot>,
}

/// What an account owes of one asset (docs/accounting.md §8f): the loans not yet repaid, oldest first, each with
/// the value it was booked at.
#[derive(Clone)]
struct DebtBook {
    asset: u32,
    account: u32,
    debts: VecDeque<Debt>,
}

/// Units borrowed or charged as interest together, with their value when booked.
#[derive(Clone, Copy, Debug)]
struct Debt {
    units: Decimal,
    booked: Decimal,
}

impl DebtBook {
    fn owed(&self) -> Decimal {
        self.debts.iter().map(|d| d.units).sum()
    }

    fn booked(&self) -> Decimal {
        self.debts.iter().map(|d| d.booked).sum()
    }

    /// Removes up to `units`, oldest first; returns the units found and their booked value.
    fn settle(&mut self, units: Decimal) -> (Decimal, Decimal) {
        let (mut need, mut booked) = (units, Decimal::ZERO);
        while need > Decimal::ZERO
            && let Some(front) = self.debts.front_mut()
        {
            if front.units <= need {
                need -= front.units;
                booked += front.booked;
                self.debts.pop_front();
            } else {
                let part = front.booked * need / front.units;
                front.units -= need;
                front.booked -= part;
                booked += part;
                need = Decimal::ZERO;
            }
        }
        (units - need, booked)
    }
}

/// Causes of the identity residual that arise at events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Drift {
    TradeFees,
    Deposits,
    Withdrawals,
    Transfers,
    Income,
    Loans,
    /// UK share pooling: cost booked to disposals in the window from acquisitions after its end (§3a).
    AfterEnd,
}

const CAUSES: usize = 7;

const DRIFT_NAMES: [&str; CAUSES] = [
    "fees_valued_at_market_minus_their_cost",
    "deposits_without_cost_basis",
    "withdrawals_at_market_minus_cost",
    "transfers_at_market_minus_cost",
    "income",
    "repaid_without_a_recorded_borrow",
    "cost_matched_with_acquisitions_after_the_end",
];

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Affects {
    Realized,
    Contributions,
    EquityCurve,
    Equity,
    Unrealized,
}

impl Affects {
    fn name(self) -> &'static str {
        match self {
            Affects::Realized => "realized",
            Affects::Contributions => "contributions",
            Affects::EquityCurve => "equity_curve",
            Affects::Equity => "equity",
            Affects::Unrealized => "unrealized",
        }
    }
}

#[derive(Clone)]
struct MissingPriceAcc {
    first: Timestamp,
    last: Timestamp,
    count: u64,
}

const UNIVERSAL: u32 = u32::MAX;

/// What a spend's units reserved under the UK same-day or 30-day rule do with their cost once the acquisition
/// day ends and the cost is known (docs/accounting.md §3a).
#[derive(Clone, Copy, Debug)]
enum Deferred {
    /// Not a spend that the rules apply to (lots moved between pools).
    None,
    /// A disposal: its PnL falls by the cost, booked as it would have been at the disposal.
    Pnl {
        asset: u32,
        account: u32,
        symbol: Option<u32>,
        category: Category,
        in_window: bool,
        disposal: Option<usize>,
        /// The disposal's month (its PnL is booked there).
        month: u32,
    },
    /// Units that left without PnL (a fee in cost basis, a withdrawal): the cost is a residual of that cause.
    Drift(Drift),
    /// An unvalued trade's spend: the cost carries over to the received asset's pool.
    Carry(usize),
}

/// Units reserved under the same-day or 30-day rule, waiting for the end of their acquisition day.
#[derive(Clone)]
struct Pending {
    asset: u32,
    units: Decimal,
    then: Deferred,
    /// Index into the report's lot uses, for a recorded disposal.
    lot_use: Option<usize>,
}

/// UK share pooling's state: the plan, the reserved days' acquisitions and the reservations waiting for them.
#[derive(Clone, Default)]
struct UkState {
    plan: uk::Plan,
    /// Acquisition day -> asset -> (units, cost) acquired that day, held back from the pool until the day ends.
    buffers: BTreeMap<i64, FxMap<u32, (Decimal, Decimal)>>,
    /// Acquisition day -> the reservations it settles.
    pending: BTreeMap<i64, Vec<Pending>>,
    /// With a window end: the events of the 30 days after the end's day, which the plan counted and the run does
    /// not process (their acquisitions' cost settles reservations of disposals in the window).
    after_end: Option<AfterEnd>,
    /// In the copy that processes `after_end`: each reservation's cost as settled, by (acquisition day, index in
    /// that day's list).
    settled: Option<FxMap<(i64, usize), Decimal>>,
    /// Per asset: units matched with acquisitions after the window's end, and their cost.
    matched_after_end: BTreeMap<u32, (Decimal, Decimal)>,
}

/// The events after a window's end that UK share pooling looks at, in processing order, with their transfer
/// partners among themselves.
#[derive(Clone)]
struct AfterEnd {
    order: Vec<u32>,
    partner: Vec<u32>,
}

/// One account's side of the identity (per-account pools only): its lots' cost, its cash, the value that came in
/// (deposits and transfers from the user's other accounts at market), its realized PnL, and the residual causes.
#[derive(Clone, Copy, Default)]
struct AccountBook {
    lot_cost: Decimal,
    cash: Decimal,
    /// The booked value of what the account owes (§8f).
    debt: Decimal,
    contributions: Decimal,
    realized: Decimal,
    drift: [Decimal; CAUSES],
}

impl AccountBook {
    fn value(&self) -> Decimal {
        self.lot_cost + self.cash - self.debt - self.contributions - self.realized
    }
}

/// The ledger the engine reads: borrowed for one report, or shared with the [`crate::Incremental`] that appends to
/// it (cloning either is cheap).
#[derive(Clone)]
pub(crate) enum Events<'a> {
    Borrowed(&'a [Event]),
    Shared(Arc<Vec<Event>>),
}

impl Deref for Events<'_> {
    type Target = [Event];

    fn deref(&self) -> &[Event] {
        match self {
            Events::Borrowed(e) => e,
            Events::Shared(e) => e,
        }
    }
}

#[derive(Clone)]
pub(crate) struct Engine<'a> {
    s: Cow<'a, Settings>,
    events: Events<'a>,
    book: PriceBook,
    currency_routes: FxMap<u32, Vec<Route>>,
    assets: Interner,
    accounts: Interner,
    symbols: Interner,
    cash: Vec<bool>,
    pools: Vec<Pool>,
    pool_index: FxMap<u64, u32>,
    /// [account][asset]
    /// Net of what is owed: units held minus units owed (docs/accounting.md §8f).
    balances: Vec<Vec<Decimal>>,
    /// What accounts owe, per asset and account (empty without loans).
    debts: Vec<DebtBook>,
    debt_index: FxMap<u64, u32>,
    // identity
    lot_cost_total: Decimal,
    /// The booked value of every debt.
    debt_total: Decimal,
    cash_total: Decimal,
    contributions: Decimal,
    /// Per account, with per-account pools (empty otherwise).
    books: Vec<AccountBook>,
    per_account: bool,
    /// One pool per asset (the `universal` setting, and always under UK share pooling).
    universal: bool,
    uk: Option<Box<UkState>>,
    realized_lifetime: Decimal,
    drift: [Decimal; CAUSES],
    // report parts
    realized: RealizedSplit,
    by_asset: Vec<RealizedSplit>,
    by_account: Vec<RealizedSplit>,
    by_symbol: Vec<RealizedSplit>,
    /// Realized in the window by UTC month (`year * 12 + month - 1`), for the monthly chart.
    by_month: BTreeMap<u32, RealizedSplit>,
    /// The current event's month and the day it was computed for.
    month: u32,
    month_day: i64,
    missing_acq: Vec<MissingAcquisition>,
    missing_prices: BTreeMap<(u32, Affects), MissingPriceAcc>,
    unvalued: Vec<String>,
    transfers: Transfers,
    curve: Vec<EquityPoint>,
    day_in: Decimal,
    day_out: Decimal,
    disposals: Vec<Disposal>,
    lot_uses: Vec<LotUse>,
    /// The window's trade disposals' proceeds and cost held more than a year (docs/accounting.md §3b).
    long_term: (Decimal, Decimal),
    /// Whether the report lists the open lots (not in a summary, [`Engine::copy_without_rows`]).
    open_lot_rows: bool,
    scratch: Vec<Lot>,
    // the event being processed
    cur: usize,
    in_window: bool,
    record: bool,
}

/// The days of a run: the first event's, and the next to close (every day before it has its equity point).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Days {
    pub(crate) first: Option<i64>,
    pub(crate) next: i64,
}

/// The outcome of taking units from a pool.
#[derive(Clone, Copy)]
struct Taken {
    found: Decimal,
    cost: Decimal,
}

impl<'a> Engine<'a> {
    pub(crate) fn new(events: Events<'a>, prices: &[PricePoint], s: Cow<'a, Settings>) -> Self {
        Engine {
            events,
            book: PriceBook::new(prices, s.stablecoins_as_usd),
            currency_routes: FxMap::default(),
            assets: Interner::default(),
            accounts: Interner::default(),
            symbols: Interner::default(),
            cash: Vec::new(),
            pools: Vec::new(),
            pool_index: FxMap::default(),
            balances: Vec::new(),
            debts: Vec::new(),
            debt_index: FxMap::default(),
            lot_cost_total: Decimal::ZERO,
            debt_total: Decimal::ZERO,
            cash_total: Decimal::ZERO,
            contributions: Decimal::ZERO,
            books: Vec::new(),
            per_account: s.pools == Pools::PerAccount && s.method != Method::Uk,
            universal: s.pools == Pools::Universal || s.method == Method::Uk,
            uk: None,
            realized_lifetime: Decimal::ZERO,
            drift: [Decimal::ZERO; CAUSES],
            realized: RealizedSplit::default(),
            by_asset: Vec::new(),
            by_account: Vec::new(),
            by_symbol: Vec::new(),
            by_month: BTreeMap::new(),
            month: 0,
            month_day: i64::MIN,
            missing_acq: Vec::new(),
            missing_prices: BTreeMap::new(),
            unvalued: Vec::new(),
            transfers: Transfers::default(),
            curve: Vec::new(),
            day_in: Decimal::ZERO,
            day_out: Decimal::ZERO,
            disposals: Vec::new(),
            lot_uses: Vec::new(),
            long_term: (Decimal::ZERO, Decimal::ZERO),
            open_lot_rows: true,
            scratch: Vec::new(),
            cur: 0,
            in_window: true,
            record: false,
            s,
        }
    }

    // ---- for the incremental report ([`crate::Incremental`]) ----------------------------------------------------

    pub(crate) fn events(&self) -> &[Event] {
        &self.events
    }

    /// The ledger to append to: the engine's own (shared) one, when nothing else holds it.
    pub(crate) fn events_mut(&mut self) -> Option<&mut Vec<Event>> {
        match &mut self.events {
            Events::Shared(events) => Arc::get_mut(events),
            Events::Borrowed(_) => None,
        }
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.s
    }

    pub(crate) fn prices(&self) -> &PriceBook {
        &self.book
    }

    /// Prices from now on: a book that [`PriceBook::only_adds_after`] the engine's, after the events processed.
    pub(crate) fn set_prices(&mut self, book: PriceBook) {
        self.book = book;
    }

    // ---- ids -------------------------------------------------------------------------------------------------

    #[inline]
    fn asset(&mut self, name: &str) -> u32 {
        let id = self.assets.id(name);
        if id as usize == self.cash.len() {
            self.cash.push(self.s.is_profit_currency(name));
            self.by_asset.push(RealizedSplit::default());
            for b in &mut self.balances {
                b.push(Decimal::ZERO);
            }
        }
        id
    }

    #[inline]
    fn account(&mut self, id: &AccountId) -> u32 {
        let n = self.accounts.id(id.as_str());
        if n as usize == self.balances.len() {
            self.balances.push(vec![Decimal::ZERO; self.assets.len()]);
            self.by_account.push(RealizedSplit::default());
            if self.per_account {
                self.books.push(AccountBook::default());
            }
        }
        n
    }

    #[inline]
    fn symbol(&mut self, name: Option<&str>) -> Option<u32> {
        let name = name?;
        let id = self.symbols.id(name);
        if id as usize == self.by_symbol.len() {
            self.by_symbol.push(RealizedSplit::default());
        }
        Some(id)
    }

    fn pool(&mut self, asset: u32, account: u32) -> usize {
        let account = if self.universal { UNIVERSAL } else { account };
        let key = (u64::from(asset) << 32) | u64::from(account);
        let next = self.pools.len() as u32;
        let id = *self.pool_index.entry(key).or_insert(next);
        if id == next {
            self.pools.push(Pool { asset, account, lots: VecDeque::new() });
        }
        id as usize
    }

    // ---- prices ----------------------------------------------------------------------------------------------

    /// Rate of an asset to the profit currency at `t` (1 for cash).
    fn price(&mut self, asset: u32, t: Timestamp) -> Option<Rate> {
        if self.cash[asset as usize] {
            return Some(Rate::ONE);
        }
        if !self.currency_routes.contains_key(&asset) {
            let routes = self.book.routes(self.assets.name(asset), &self.s.currency);
            self.currency_routes.insert(asset, routes);
        }
        self.book.rate_by_routes(&self.currency_routes[&asset], t)
    }

    fn price_source(&mut self, asset: u32, t: Timestamp) -> Option<String> {
        self.price(asset, t)?;
        self.book.source(&self.currency_routes[&asset], t).filter(|s| !s.is_empty())
    }

    fn note_missing_price(&mut self, asset: u32, t: Timestamp, affects: Affects) {
        let acc =
            self.missing_prices.entry((asset, affects)).or_insert(MissingPriceAcc { first: t, last: t, count: 0 });
        acc.first = acc.first.min(t);
        acc.last = acc.last.max(t);
        acc.count += 1;
    }

    fn price_or_note(&mut self, asset: u32, t: Timestamp, affects: Affects) -> Option<Rate> {
        let p = self.price(asset, t);
        if p.is_none() {
            self.note_missing_price(asset, t, affects);
        }
        p
    }

    // ---- lots ------------------------------------------------------------------------------------------------

    fn acquire(&mut self, pool: usize, time: Timestamp, amount: Decimal, cost: Decimal, acquired_in: u32) {
        if amount.is_zero() && cost.is_zero() {
            return;
        }
        self.lot_cost_total += cost;
        let account = self.pools[pool].account;
        if account != UNIVERSAL {
            self.books[account as usize].lot_cost += cost;
        }
        if let Some(uk) = self.uk.as_deref_mut() {
            let asset = self.pools[pool].asset;
            if uk.plan.reserved.contains_key(&(asset, time.day())) {
                let (units, total) = uk.buffers.entry(time.day()).or_default().entry(asset).or_default();
                *units += amount;
                *total += cost;
                return;
            }
        }
        let lots = &mut self.pools[pool].lots;
        if matches!(self.s.method, Method::Acb | Method::Uk)
            && let Some(lot) = lots.front_mut()
        {
            lot.remaining += amount;
            lot.cost += cost;
            if lot.account != acquired_in {
                lot.account = UNIVERSAL;
            }
            return;
        }
        let unit = if self.s.method == Method::Hifo && !amount.is_zero() { cost / amount } else { Decimal::ZERO };
        insert_by_time(lots, Lot { time, remaining: amount, cost, unit, account: acquired_in });
    }

    /// Takes `amount` units from a pool by the method's order; each piece goes to `self.scratch` when `keep`.
    /// Under UK share pooling, units reserved for the spend's day come first; their cost is settled as `then` says
    /// when their acquisition day ends, and is not in the returned cost.
    fn take(&mut self, pool: usize, amount: Decimal, keep: bool, record: bool, then: Deferred) -> Taken {
        let method = self.s.method;
        let mut need = amount;
        if let Some(uk) = self.uk.as_deref_mut()
            && !matches!(then, Deferred::None)
        {
            let asset = self.pools[pool].asset;
            if let Some(list) = uk.plan.matches.get_mut(&(asset, self.events[self.cur].time.day())) {
                while need > Decimal::ZERO
                    && let Some(front) = list.front_mut()
                {
                    let units = need.min(front.1);
                    let day = front.0;
                    front.1 -= units;
                    if front.1.is_zero() {
                        list.pop_front();
                    }
                    need -= units;
                    let lot_use = record.then(|| {
                        let lot_time = uk.plan.reserved[&(asset, day)];
                        self.lot_uses.push(LotUse { lot_time, amount: units, cost: Decimal::ZERO, account: None });
                        self.lot_uses.len() - 1
                    });
                    uk.pending.entry(day).or_default().push(Pending { asset, units, then, lot_use });
                }
            }
        }
        let lots = &mut self.pools[pool].lots;
        let mut cost = Decimal::ZERO;
        while need > Decimal::ZERO {
            let idx = match method {
                Method::Fifo | Method::Acb | Method::Uk => 0,
                Method::Lifo => lots.len().wrapping_sub(1),
                Method::Hifo => hifo_index(lots),
            };
            let Some(lot) = lots.get_mut(idx) else { break };
            let piece = if lot.remaining <= need {
                let piece = *lot;
                lots.remove(idx);
                piece
            } else {
                // the average before the spend, so the pool's average does not move (ACB); same for a split lot
                let part = lot.cost * need / lot.remaining;
                lot.remaining -= need;
                lot.cost -= part;
                Lot { time: lot.time, remaining: need, cost: part, unit: lot.unit, account: lot.account }
            };
            need -= piece.remaining;
            cost += piece.cost;
            if record {
                let account = (piece.account != UNIVERSAL).then(|| self.accounts.name(piece.account).clone());
                self.lot_uses.push(LotUse { lot_time: piece.time, amount: piece.remaining, cost: piece.cost, account });
            }
            if keep {
                self.scratch.push(piece);
            }
        }
        self.lot_cost_total -= cost;
        let account = self.pools[pool].account;
        if account != UNIVERSAL {
            self.books[account as usize].lot_cost -= cost;
        }
        Taken { found: amount - need, cost }
    }

    /// A disposal: takes lots, books `proceeds - cost` under `category`, records missing acquisitions.
    #[allow(clippy::too_many_arguments)]
    fn dispose(
        &mut self,
        asset: u32,
        account: u32,
        symbol: Option<u32>,
        amount: Decimal,
        proceeds: Decimal,
        category: Category,
        pnl_of: impl Fn(Decimal, Decimal) -> Decimal,
    ) {
        let start = self.lot_uses.len();
        let then = Deferred::Pnl {
            asset,
            account,
            symbol,
            category,
            in_window: self.in_window,
            month: self.month,
            disposal: self.record.then_some(self.disposals.len()),
        };
        let taken = self.spend_units(asset, account, amount, self.record, then);
        let pnl = pnl_of(proceeds, taken.cost);
        self.book_pnl(asset, account, symbol, category, pnl);
        let missing = amount - taken.found;
        if self.record {
            let time = self.events[self.cur].time;
            self.disposals.push(Disposal {
                event: self.cur,
                asset: self.assets.name(asset).clone(),
                time,
                category,
                amount,
                proceeds,
                cost: taken.cost,
                missing,
                lots: start..self.lot_uses.len(),
            });
            if category == Category::Trade
                && !amount.is_zero()
                && matches!(self.s.method, Method::Fifo | Method::Lifo | Method::Hifo)
            {
                self.note_long_term(start, time, amount, proceeds);
            }
        }
    }

    /// Takes units that leave for good; a shortfall is a missing acquisition, matched at zero cost.
    fn spend_units(&mut self, asset: u32, account: u32, amount: Decimal, record: bool, then: Deferred) -> Taken {
        let pool = self.pool(asset, account);
        let taken = self.take(pool, amount, false, record, then);
        self.note_missing(asset, amount, taken.found);
        taken
    }

    /// Records the units of `amount` the current event found no lots for, if any.
    fn note_missing(&mut self, asset: u32, amount: Decimal, found: Decimal) {
        let missing = amount - found;
        if missing > Decimal::ZERO {
            let events = self.events.clone();
            let e = &events[self.cur];
            self.missing_acq.push(MissingAcquisition {
                asset: self.assets.name(asset).to_string(),
                time: e.time,
                event: e.id.clone(),
                found: found.normalize(),
                missing: missing.normalize(),
            });
        }
    }

    fn book_pnl(&mut self, asset: u32, account: u32, symbol: Option<u32>, category: Category, pnl: Decimal) {
        self.realized_lifetime += pnl;
        if self.per_account {
            self.books[account as usize].realized += pnl;
        }
        if self.in_window {
            self.realized.add(category, pnl);
            self.by_asset[asset as usize].add(category, pnl);
            self.by_account[account as usize].add(category, pnl);
            if let Some(s) = symbol {
                self.by_symbol[s as usize].add(category, pnl);
            }
            self.by_month.entry(self.month).or_default().add(category, pnl);
        }
    }

    /// Removes units with no PnL of their own (a fee whose value went into a cost or the proceeds, a withdrawal).
    fn remove_units(&mut self, asset: u32, account: u32, amount: Decimal) -> Decimal {
        if self.cash[asset as usize] {
            self.cash_change(account, -amount);
            return amount;
        }
        let cause = match self.events[self.cur].kind {
            EventKind::Trade { .. } => Drift::TradeFees,
            EventKind::Withdrawal { .. } => Drift::Withdrawals,
            _ => Drift::Income,
        };
        self.spend_units(asset, account, amount, false, Deferred::Drift(cause)).cost
    }

    fn move_lots(&mut self, asset: u32, from: u32, to: u32, amount: Decimal) {
        if self.universal || self.cash[asset as usize] || amount.is_zero() {
            return;
        }
        let src = self.pool(asset, from);
        let dst = self.pool(asset, to);
        self.scratch.clear();
        let taken = self.take(src, amount, true, false, Deferred::None);
        self.lot_cost_total += taken.cost;
        self.books[to as usize].lot_cost += taken.cost;
        let pieces = std::mem::take(&mut self.scratch);
        self.put_lots(dst, &pieces, self.s.method == Method::Acb);
        self.scratch = pieces;
    }

    /// Puts taken lots into pool `dst` with their dates (merged into the one pooled lot when `pooled`).
    fn put_lots(&mut self, dst: usize, pieces: &[Lot], pooled: bool) {
        for lot in pieces {
            if pooled {
                match self.pools[dst].lots.front_mut() {
                    Some(l) => {
                        l.remaining += lot.remaining;
                        l.cost += lot.cost;
                        if l.account != lot.account {
                            l.account = UNIVERSAL;
                        }
                    }
                    None => self.pools[dst].lots.push_back(*lot),
                }
            } else {
                insert_by_time(&mut self.pools[dst].lots, *lot);
            }
        }
    }

    /// A migration (docs/accounting.md §8d): `from` leaves and `to` arrives at the venue's ratio, and nothing is
    /// disposed of: each lot of the old asset becomes a lot of the new one with its cost and date, its units
    /// scaled by the ratio (the last one takes the rounding, so the new lots hold exactly the units received for
    /// the old units found). Old units with no lot are a missing acquisition. Into or out of a cash asset (which
    /// has no lots) it is a trade.
    fn migration(&mut self, account: u32, t: Timestamp, from: &ledger::Money, to: &ledger::Money) -> Drift {
        let (a, b) = (self.asset(&from.asset), self.asset(&to.asset));
        if self.cash[a as usize] || self.cash[b as usize] || from.amount.is_zero() {
            self.trade(account, None, t, from, to, &[]);
            return Drift::TradeFees;
        }
        self.balance(account, a, -from.amount);
        self.balance(account, b, to.amount);
        self.scratch.clear();
        let src = self.pool(a, account);
        let taken = self.take(src, from.amount, true, false, Deferred::None);
        self.note_missing(a, from.amount, taken.found);
        let mut pieces = std::mem::take(&mut self.scratch);
        let scale = |units: Decimal| units * to.amount / from.amount;
        let mut left = if taken.found == from.amount { to.amount } else { scale(taken.found) };
        let n = pieces.len();
        for (i, lot) in pieces.iter_mut().enumerate() {
            let units = if i + 1 == n { left } else { scale(lot.remaining) };
            left -= units;
            lot.unit = if units.is_zero() { Decimal::ZERO } else { lot.unit * lot.remaining / units };
            lot.remaining = units;
        }
        let dst = self.pool(b, account);
        self.put_lots(dst, &pieces, matches!(self.s.method, Method::Acb | Method::Uk));
        self.lot_cost_total += taken.cost;
        if self.pools[dst].account != UNIVERSAL {
            self.books[self.pools[dst].account as usize].lot_cost += taken.cost;
        }
        self.scratch = pieces;
        Drift::Transfers
    }

    #[inline]
    fn cash_change(&mut self, account: u32, delta: Decimal) {
        self.cash_total += delta;
        if self.per_account {
            self.books[account as usize].cash += delta;
        }
    }

    fn contribute(&mut self, account: u32, value: Decimal) {
        self.contributions += value;
        if self.per_account {
            self.books[account as usize].contributions += value;
        }
    }

    /// A move between two of the user's accounts: no contribution in total, but one account's outflow and the
    /// other's inflow at market value (per-account pools only).
    fn internal_flow(&mut self, asset: u32, from: u32, to: u32, amount: Decimal, t: Timestamp) {
        if !self.per_account || from == to {
            return;
        }
        let v = self.price_or_note(asset, t, Affects::Contributions).map_or(Decimal::ZERO, |p| p.of(amount));
        self.books[from as usize].contributions -= v;
        self.books[to as usize].contributions += v;
    }

    fn balance(&mut self, account: u32, asset: u32, delta: Decimal) {
        self.balances[account as usize][asset as usize] += delta;
    }

    // ---- events ----------------------------------------------------------------------------------------------

    pub(crate) fn run(mut self, positions: &[ledger::Position]) -> Report {
        let (order, partner) = self.start();
        self.reserve_records(order.len());
        let mut days = Days::default();
        self.process(&order, &partner, &mut days);
        let as_of = self.as_of(&order);
        self.conclude(order.len(), as_of, days, positions)
    }

    /// Room for a disposal and a lot use per event to process, reserved at once natively: the vectors then never
    /// grow by copying themselves into fresh memory, and room never used costs no memory there (pages are backed
    /// when first written). Not in wasm, where reserved room is heap the page holds.
    fn reserve_records(&mut self, events: usize) {
        if cfg!(not(target_arch = "wasm32")) {
            self.disposals.reserve(events);
            self.lot_uses.reserve(events);
        }
    }

    /// [`Engine::plan`], and under UK share pooling the plan of its matches.
    pub(crate) fn start(&mut self) -> (Vec<u32>, Vec<u32>) {
        let (order, partner) = self.plan();
        if self.s.method == Method::Uk {
            let after_end = self.after_end();
            let mut flows = FxMap::default();
            self.uk_flows(&order, &partner, &mut flows);
            if let Some(a) = &after_end {
                self.uk_flows(&a.order, &a.partner, &mut flows);
            }
            self.uk = Some(Box::new(UkState { plan: uk::plan(&flows), after_end, ..UkState::default() }));
        }
        (order, partner)
    }

    /// With a window end, the events of the 30 UTC days after the end's day (docs/accounting.md §3a: a disposal in
    /// the window's last 30 days is matched with acquisitions on them), their transfers matched among themselves.
    /// The end's own day is the window's up to the end.
    fn after_end(&self) -> Option<AfterEnd> {
        let to = self.s.window.to?;
        let days = to.day() + 1..=to.day() + uk::THIRTY_DAYS;
        let events = &self.events;
        let mut order: Vec<u32> = (0..events.len() as u32)
            .filter(|&i| events[i as usize].kind.moves_money() && days.contains(&events[i as usize].time.day()))
            .collect();
        if order.is_empty() {
            return None;
        }
        order.sort_by_key(|&i| events[i as usize].time); // stable: ties keep ledger order
        let partner = match_transfers(events, &order, &self.s.manual_matches);
        Some(AfterEnd { order, partner })
    }

    /// The events that count, in processing order (time, ties in ledger order; none after the window's end), and
    /// each event's transfer partner.
    fn plan(&self) -> (Vec<u32>, Vec<u32>) {
        let events = &self.events;
        // futures fills are informational (their money is in the income events of the same fill): left out before
        // anything is counted, so a ledger with them gives the report of the ledger without them
        let mut order: Vec<u32> = (0..events.len() as u32).filter(|&i| events[i as usize].kind.moves_money()).collect();
        if !events.windows(2).all(|w| w[0].time <= w[1].time) {
            order.sort_by_key(|&i| events[i as usize].time); // stable: ties keep ledger order
        }
        if let Some(to) = self.s.window.to {
            let end = order.partition_point(|&i| events[i as usize].time <= to);
            order.truncate(end);
        }
        let partner = match_transfers(events, &order, &self.s.manual_matches);
        (order, partner)
    }

    /// The report time: the window's end, or the last event's time.
    pub(crate) fn as_of(&self, order: &[u32]) -> Option<Timestamp> {
        self.s.window.to.or_else(|| order.last().map(|&i| self.events[i as usize].time))
    }

    /// Processes `order` (events after those processed so far), closing each day before the next event's.
    pub(crate) fn process(&mut self, order: &[u32], partner: &[u32], days: &mut Days) {
        let events = self.events.clone();
        for &i in order {
            let e = &events[i as usize];
            let d = e.time.day();
            if days.first.is_none() {
                *days = Days { first: Some(d), next: d };
            }
            while days.next < d {
                self.close_day(days.next);
                days.next += 1;
            }
            self.cur = i as usize;
            if d != self.month_day {
                let (y, m, _) = e.time.date();
                self.month = (y * 12 + i64::from(m) - 1) as u32;
                self.month_day = d;
            }
            self.in_window = self.s.window.contains(e.time);
            self.record = self.in_window;
            let touched = if self.per_account { self.touched(e, partner[i as usize]) } else { [u32::MAX; 2] };
            let before_accounts = touched.map(|a| self.books.get(a as usize).map(AccountBook::value));
            // Trades watch their own drift (only fees in a non-cash asset can cause one): skip the sums for them.
            let cause = if matches!(e.kind, EventKind::Trade { .. }) {
                self.event(e, partner[i as usize])
            } else {
                let before = self.book();
                let cause = self.event(e, partner[i as usize]);
                self.note_drift(cause, before);
                cause
            };
            for (a, before) in touched.iter().zip(before_accounts) {
                if let Some(before) = before {
                    let book = &mut self.books[*a as usize];
                    let change = book.value() - before;
                    if change.abs() > Decimal::new(1, 16) {
                        book.drift[cause as usize] += change;
                    }
                }
            }
        }
    }

    /// Closes the days left up to `as_of`'s and makes the report of the `processed` events.
    pub(crate) fn conclude(
        mut self,
        processed: usize,
        as_of: Option<Timestamp>,
        mut days: Days,
        positions: &[ledger::Position],
    ) -> Report {
        if let (Some(_), Some(end)) = (days.first, as_of) {
            while days.next <= end.day() {
                self.close_day(days.next);
                days.next += 1;
            }
        }
        self.settle_after_end(days);
        let mut report = self.finish(processed, as_of, days.first, positions);
        report.missing_prices.sort_by(|a, b| (&a.asset, &a.affects, a.time).cmp(&(&b.asset, &b.affects, b.time)));
        report
    }

    /// The accounts an event changes (at most two), interned.
    fn touched(&mut self, e: &Event, partner: u32) -> [u32; 2] {
        match &e.kind {
            EventKind::Transfer { from_account, to_account, .. } => {
                [self.account(from_account), self.account(to_account)]
            }
            EventKind::Withdrawal { .. } if partner != NONE => {
                let events = self.events.clone();
                [self.account(&e.account), self.account(&events[partner as usize].account)]
            }
            _ => [self.account(&e.account), u32::MAX],
        }
    }

    /// Lot costs plus cash minus contributions and realized PnL: an event that changes it has a residual cause.
    fn book(&self) -> Decimal {
        self.lot_cost_total + self.cash_total - self.debt_total - self.contributions - self.realized_lifetime
    }

    fn note_drift(&mut self, cause: Drift, before: Decimal) {
        let change = self.book() - before;
        // below 1e-16 the difference is Decimal rounding of the running totals, not a cause
        if change.abs() > Decimal::new(1, 16) {
            self.drift[cause as usize] += change;
        }
    }

    fn event(&mut self, e: &Event, partner: u32) -> Drift {
        let account = self.account(&e.account);
        match &e.kind {
            EventKind::Trade { spend, receive, fees, symbol } => {
                let symbol = self.symbol(symbol.as_deref());
                self.trade(account, symbol, e.time, spend, receive, fees);
                Drift::TradeFees
            }
            EventKind::Deposit { asset, amount, .. } => {
                let asset = self.asset(asset);
                self.balance(account, asset, *amount);
                if partner != NONE {
                    // an internal move: lots were moved at the withdrawal; cash simply arrives
                    if self.cash[asset as usize] {
                        self.cash_change(account, *amount);
                    }
                    return Drift::Transfers;
                }
                self.deposit(e, account, asset, *amount)
            }
            EventKind::Withdrawal { asset, amount, fee, .. } => {
                let asset = self.asset(asset);
                let fee = fee.unwrap_or_default();
                self.balance(account, asset, -(*amount + fee));
                if partner != NONE {
                    return self.internal_withdrawal(e, account, asset, *amount, fee, partner);
                }
                self.withdrawal(e, account, asset, *amount, fee)
            }
            EventKind::Transfer { from_account, to_account, asset, amount } => {
                let asset = self.asset(asset);
                let from = self.account(from_account);
                let to = self.account(to_account);
                self.balance(from, asset, -*amount);
                self.balance(to, asset, *amount);
                self.move_lots(asset, from, to, *amount);
                self.internal_flow(asset, from, to, *amount, e.time);
                Drift::Transfers
            }
            EventKind::Income { income_type, asset, amount, symbol } => {
                let symbol = self.symbol(symbol.as_deref());
                let asset = self.asset(asset);
                self.balance(account, asset, *amount);
                self.income(account, asset, symbol, income_category(*income_type), *amount, e.time)
            }
            EventKind::Loan { action, asset, amount, interest } => {
                let asset = self.asset(asset);
                self.loan(account, asset, *action, *amount, interest.unwrap_or_default(), e.time)
            }
            // `run` leaves futures fills out; were one to come here, it would change nothing
            EventKind::FuturesTrade { .. } => Drift::Income,
            EventKind::Migration { from, to } => self.migration(account, e.time, from, to),
        }
    }

    // ---- loans (docs/accounting.md §8f) -----------------------------------------------------------------------

    /// A borrow, a repay (principal and interest) or interest charged.
    fn loan(
        &mut self,
        account: u32,
        asset: u32,
        action: LoanAction,
        amount: Decimal,
        interest: Decimal,
        t: Timestamp,
    ) -> Drift {
        match action {
            LoanAction::Borrow => self.borrow(account, asset, amount, t),
            LoanAction::Interest => {
                let value = self.market_value(asset, amount, t);
                self.owe(account, asset, amount, value);
                self.book_pnl(asset, account, None, Category::Fee, -value);
            }
            LoanAction::Repay => self.repay(account, asset, amount + interest, t),
        }
        Drift::Loans
    }

    /// The value of `amount` units at `t`; a missing price is noted (affecting `realized`) and values them at 0.
    fn market_value(&mut self, asset: u32, amount: Decimal, t: Timestamp) -> Decimal {
        self.price_or_note(asset, t, Affects::Realized).map_or(Decimal::ZERO, |p| p.of(amount))
    }

    /// Borrowed units arrive as a lot at market value, and are owed at the same value: no PnL.
    fn borrow(&mut self, account: u32, asset: u32, amount: Decimal, t: Timestamp) {
        let value = self.market_value(asset, amount, t);
        if self.cash[asset as usize] {
            self.cash_change(account, amount);
        } else {
            let pool = self.pool(asset, account);
            self.acquire(pool, t, amount, value, account);
        }
        // units in, as many owed: the balance, net of what is owed, does not move
        self.owe(account, asset, amount, value);
        self.balance(account, asset, amount);
    }

    /// Units repaid leave by the method's lot order and settle the oldest debts: PnL = the debts' booked value − the
    /// units' cost. Units beyond what is owed repay a borrow the ledger does not have: they count at market value
    /// (no gain or loss on that part of the liability), are listed as a missing acquisition, and their value is a
    /// residual item of its own (§12).
    fn repay(&mut self, account: u32, asset: u32, units: Decimal, t: Timestamp) {
        let slot = self.debt_slot(asset, account);
        let (found, mut booked) = self.debts[slot].settle(units);
        self.debt_total -= booked;
        if self.per_account {
            self.books[account as usize].debt -= booked;
        }
        // the units leave; the debt settled no longer counts against the balance
        self.balance(account, asset, found - units);
        if found < units {
            booked += self.market_value(asset, units - found, t);
            self.note_unrecorded_borrow(asset, found, units - found);
        }
        if self.cash[asset as usize] {
            self.cash_change(account, -units);
            self.book_pnl(asset, account, None, Category::Trade, booked - units);
        } else {
            self.dispose(asset, account, None, units, booked, Category::Trade, |p, c| p - c);
        }
    }

    /// A repay of more than the ledger's borrows: listed as a missing acquisition (the borrow), as a disposal
    /// without lots is.
    fn note_unrecorded_borrow(&mut self, asset: u32, found: Decimal, missing: Decimal) {
        let e = &self.events[self.cur];
        self.missing_acq.push(MissingAcquisition {
            asset: self.assets.name(asset).to_string(),
            time: e.time,
            event: e.id.clone(),
            found: found.normalize(),
            missing: missing.normalize(),
        });
    }

    /// Adds a debt of `units` booked at `value`; the account's balance falls by the units owed.
    fn owe(&mut self, account: u32, asset: u32, units: Decimal, value: Decimal) {
        let slot = self.debt_slot(asset, account);
        self.debts[slot].debts.push_back(Debt { units, booked: value });
        self.debt_total += value;
        if self.per_account {
            self.books[account as usize].debt += value;
        }
        self.balance(account, asset, -units);
    }

    fn debt_slot(&mut self, asset: u32, account: u32) -> usize {
        let key = (u64::from(asset) << 32) | u64::from(account);
        let next = self.debts.len() as u32;
        let id = *self.debt_index.entry(key).or_insert(next);
        if id == next {
            self.debts.push(DebtBook { asset, account, debts: VecDeque::new() });
        }
        id as usize
    }

    /// A deposit from outside (no withdrawal of the user's matches it): a contribution at market value, or at the
    /// cost the user entered (docs/accounting.md §8); a lot when deposits are valued at market or a cost was given.
    #[inline]
    fn deposit(&mut self, e: &Event, account: u32, asset: u32, amount: Decimal) -> Drift {
        let t = e.time;
        let cash = self.cash[asset as usize];
        // a cost the user entered: the lot's cost and the contribution (docs/accounting.md §8)
        let manual = self.s.deposit_costs.get(&e.id).copied().filter(|_| !cash);
        let value = match manual {
            Some(_) => self.price(asset, t).map(|p| p.of(amount)),
            None => self.price_or_note(asset, t, Affects::Contributions).map(|p| p.of(amount)),
        };
        if cash {
            self.cash_change(account, amount);
        } else if let Some(cost) = manual.or(value.filter(|_| self.s.deposits_at_market)) {
            let pool = self.pool(asset, account);
            self.acquire(pool, t, amount, cost, account);
        }
        self.contribute(account, manual.or(value).unwrap_or_default());
        // the day's inflow for the returns is what entered the equity: the market value when known
        self.day_in += value.or(manual).unwrap_or_default();
        self.unmatched(e, "deposit", asset, amount, value);
        Drift::Deposits
    }

    /// A withdrawal to outside: its fee a disposal, the units removed, a negative contribution at market value.
    #[inline]
    fn withdrawal(&mut self, e: &Event, account: u32, asset: u32, amount: Decimal, fee: Decimal) -> Drift {
        self.fee_disposal(asset, account, None, fee);
        let value = self.price_or_note(asset, e.time, Affects::Contributions).map(|p| p.of(amount));
        self.remove_units(asset, account, amount);
        let v = value.unwrap_or_default();
        self.contribute(account, -v);
        self.day_out += v;
        self.unmatched(e, "withdrawal", asset, amount, value.map(|v| -v));
        Drift::Withdrawals
    }

    /// A withdrawal matched to a deposit of the user's (`partner`): the fee and what was lost on the way are a fee
    /// disposal, then the lots move to the receiving account; the match is listed.
    #[inline]
    fn internal_withdrawal(
        &mut self,
        e: &Event,
        account: u32,
        asset: u32,
        amount: Decimal,
        fee: Decimal,
        partner: u32,
    ) -> Drift {
        let events = self.events.clone();
        let d = &events[partner as usize];
        let EventKind::Deposit { amount: received, .. } = &d.kind else { unreachable!("partner of a deposit") };
        let received = *received;
        let to = self.account(&d.account);
        // the fee first, then the move: per-account pools then give what the universal pool gives
        let transfer_fee = fee + (amount - received);
        self.fee_disposal(asset, account, None, transfer_fee);
        self.move_lots(asset, account, to, received);
        if self.cash[asset as usize] {
            self.cash_change(account, -received);
        }
        self.internal_flow(asset, account, to, received, e.time);
        self.transfers.matched.push(MatchedTransfer {
            withdrawal: e.id.clone(),
            deposit: d.id.clone(),
            asset: self.assets.name(asset).to_string(),
            from_account: e.account.to_string(),
            to_account: d.account.to_string(),
            sent: amount.normalize(),
            received: received.normalize(),
            fee: transfer_fee.normalize(),
        });
        Drift::Transfers
    }

    /// Income (`category`, its realized line): cash is PnL as it comes; an asset received is a lot at its market
    /// value, which is the PnL; an asset paid is a disposal at no proceeds.
    #[inline]
    fn income(
        &mut self,
        account: u32,
        asset: u32,
        symbol: Option<u32>,
        category: Category,
        amount: Decimal,
        t: Timestamp,
    ) -> Drift {
        if self.cash[asset as usize] {
            self.cash_change(account, amount);
            self.book_pnl(asset, account, symbol, category, amount);
        } else if amount.is_sign_positive() {
            let value = self.price_or_note(asset, t, Affects::Realized).map(|p| p.of(amount));
            let value = value.unwrap_or_default();
            let pool = self.pool(asset, account);
            self.acquire(pool, t, amount, value, account);
            self.book_pnl(asset, account, symbol, category, value);
        } else {
            self.dispose(asset, account, symbol, -amount, Decimal::ZERO, category, |_, cost| -cost);
        }
        Drift::Income
    }

    fn unmatched(&mut self, e: &Event, kind: &str, asset: u32, amount: Decimal, value: Option<Decimal>) {
        self.transfers.unmatched.push(UnmatchedLeg {
            event: e.id.clone(),
            kind: kind.into(),
            account: e.account.to_string(),
            asset: self.assets.name(asset).to_string(),
            amount: amount.normalize(),
            time: e.time,
            value: value.map(|v| v.normalize()),
        });
    }

    /// A fee that is a disposal of its own: PnL is minus the cost of its units (minus the amount for cash).
    fn fee_disposal(&mut self, asset: u32, account: u32, symbol: Option<u32>, amount: Decimal) {
        if amount.is_zero() {
            return;
        }
        if self.cash[asset as usize] {
            self.cash_change(account, -amount);
            self.book_pnl(asset, account, symbol, Category::Fee, -amount);
        } else {
            self.dispose(asset, account, symbol, amount, Decimal::ZERO, Category::Fee, |_, cost| -cost);
        }
    }

    fn trade(
        &mut self,
        account: u32,
        symbol: Option<u32>,
        t: Timestamp,
        spend: &ledger::Money,
        receive: &ledger::Money,
        fees: &[ledger::Money],
    ) {
        let (a, b) = (self.asset(&spend.asset), self.asset(&receive.asset));
        let (qa, qb) = (spend.amount, receive.amount);
        self.balance(account, a, -qa);
        self.balance(account, b, qb);
        let value = self.trade_value(a, b, qa, qb, t);
        let legs = TradeLegs { a, b, qa, qb, cash_a: self.cash[a as usize], cash_b: self.cash[b as usize], value };
        let in_basis = self.s.fees_in_cost_basis;
        let fees = self.trade_fees(account, t, fees, &legs, in_basis);
        let watch = in_basis && fees.all_cash(&self.cash).not();
        let before = if watch { self.book() } else { Decimal::ZERO };
        // 1. the spend leg
        let carried_cost = self.spend_leg(account, symbol, &legs, fees.value, in_basis);
        // 2. fees in the spent asset
        for &(f, q) in fees.all() {
            if f == a {
                self.fee(f, account, symbol, q, in_basis);
            }
        }
        // 3. the acquisition
        self.receive_leg(account, t, &legs, carried_cost, fees.value, in_basis);
        // 4. fees in the received asset or a third asset
        for &(f, q) in fees.all() {
            if f != a {
                self.fee(f, account, symbol, q, in_basis);
            }
        }
        if watch {
            self.note_drift(Drift::TradeFees, before);
        }
    }

    /// The trade's value: an amount of the profit currency, else the spent asset's price, else the received
    /// asset's; `None` (both prices noted missing, the trade listed as unvalued) when none is known.
    #[inline]
    fn trade_value(&mut self, a: u32, b: u32, qa: Decimal, qb: Decimal, t: Timestamp) -> Option<Decimal> {
        if self.cash[a as usize] {
            Some(qa)
        } else if self.cash[b as usize] {
            Some(qb)
        } else if let Some(p) = self.price(a, t) {
            Some(p.of(qa))
        } else if let Some(p) = self.price(b, t) {
            Some(p.of(qb))
        } else {
            self.note_missing_price(a, t, Affects::Realized);
            self.note_missing_price(b, t, Affects::Realized);
            self.unvalued.push(self.events[self.cur].id.clone());
            None
        }
    }

    /// A trade's fees taken from the account's balances, interned, and with fees in cost basis, their value.
    #[inline]
    fn trade_fees(
        &mut self,
        account: u32,
        t: Timestamp,
        fees: &[ledger::Money],
        legs: &TradeLegs,
        in_basis: bool,
    ) -> TradeFees {
        let mut out =
            TradeFees { first: [(0, Decimal::ZERO); 4], count: fees.len(), extra: Vec::new(), value: Decimal::ZERO };
        for (n, fee) in fees.iter().enumerate() {
            let f = self.asset(&fee.asset);
            self.balance(account, f, -fee.amount);
            if n < 4 {
                out.first[n] = (f, fee.amount);
            } else {
                out.extra.push((f, fee.amount));
            }
            if in_basis && !fee.amount.is_zero() {
                match self.fee_value(f, fee.amount, t, legs) {
                    Some(v) => out.value += v,
                    None => self.note_missing_price(f, t, Affects::Realized),
                }
            }
        }
        out
    }

    /// A fee's value at its market price (the trade's implied price for a leg asset).
    #[inline]
    fn fee_value(&mut self, f: u32, amount: Decimal, t: Timestamp, legs: &TradeLegs) -> Option<Decimal> {
        if self.cash[f as usize] {
            Some(amount)
        } else if let Some(p) = self.price(f, t) {
            Some(p.of(amount))
        } else if f == legs.a && !legs.qa.is_zero() {
            legs.value.map(|v| amount * v / legs.qa)
        } else if f == legs.b && !legs.qb.is_zero() {
            legs.value.map(|v| amount * v / legs.qb)
        } else {
            None
        }
    }

    /// The spent leg: cash paid (a profit-currency swap's PnL), a disposal at the trade's value, or, unvalued, the
    /// units taken without PnL; returns the cost that carries over to what was received (zero unless unvalued).
    #[inline]
    fn spend_leg(
        &mut self,
        account: u32,
        symbol: Option<u32>,
        legs: &TradeLegs,
        fee_value: Decimal,
        in_basis: bool,
    ) -> Decimal {
        let &TradeLegs { a, b, qa, qb, cash_a, cash_b, value } = legs;
        if cash_a {
            self.cash_change(account, -qa);
            if cash_b {
                // profit currency for profit currency (USDT -> USDC): the difference is the trade's PnL
                let proceeds = qb - if in_basis { fee_value } else { Decimal::ZERO };
                self.book_pnl(a, account, symbol, Category::Trade, proceeds - qa);
            }
        } else if let Some(v) = value {
            let proceeds = if cash_b && in_basis { v - fee_value } else { v };
            self.dispose(a, account, symbol, qa, proceeds, Category::Trade, |p, c| p - c);
        } else {
            // unvalued: no PnL; the cost carries over to what was received
            // (under UK share pooling, the cost of units reserved for later acquisitions follows when known)
            let then = if self.uk.is_some() { Deferred::Carry(self.pool(b, account)) } else { Deferred::None };
            return self.spend_units(a, account, qa, false, then).cost;
        }
        Decimal::ZERO
    }

    /// The received leg: cash arrives, or a lot at the trade's value (the carried cost when unvalued), plus the
    /// fees with fees in cost basis.
    #[inline]
    fn receive_leg(
        &mut self,
        account: u32,
        t: Timestamp,
        legs: &TradeLegs,
        carried_cost: Decimal,
        fee_value: Decimal,
        in_basis: bool,
    ) {
        if legs.cash_b {
            self.cash_change(account, legs.qb);
        } else {
            let cost = legs.value.unwrap_or(carried_cost) + if in_basis { fee_value } else { Decimal::ZERO };
            let pool = self.pool(legs.b, account);
            self.acquire(pool, t, legs.qb, cost, account);
        }
    }

    fn fee(&mut self, asset: u32, account: u32, symbol: Option<u32>, amount: Decimal, in_basis: bool) {
        if amount.is_zero() {
            return;
        }
        if in_basis {
            self.remove_units(asset, account, amount);
        } else {
            self.fee_disposal(asset, account, symbol, amount);
        }
    }

    // ---- UK share pooling (docs/accounting.md §3a) ------------------------------------------------------------

    /// The units each UTC day adds to and takes from each asset's pool, following what [`Engine::event`] does with
    /// universal pools: every `acquire` is an acquisition, every `take` a disposal.
    fn uk_flows(&mut self, order: &[u32], partner: &[u32], flows: &mut FxMap<u32, Vec<DayFlow>>) {
        let events = self.events.clone();
        let mut moves = Vec::new();
        for &i in order {
            let e = &events[i as usize];
            let partner = Some(partner[i as usize]).filter(|p| *p != NONE).map(|p| &events[p as usize]);
            moves.clear();
            self.uk_moves(e, partner, &mut moves);
            for &(asset, units, acquired) in &moves {
                if units <= Decimal::ZERO || self.cash[asset as usize] {
                    continue;
                }
                let days = flows.entry(asset).or_default();
                let day = e.time.day();
                if days.last().is_none_or(|f| f.day != day) {
                    days.push(DayFlow { day, first_acquired: None, acquired: Decimal::ZERO, disposed: Decimal::ZERO });
                }
                let f = days.last_mut().expect("pushed");
                if acquired {
                    f.acquired += units;
                    f.first_acquired.get_or_insert(e.time);
                } else {
                    f.disposed += units;
                }
            }
        }
    }

    /// What `e` acquires and disposes of, for share pooling: (asset, units, acquired); the caller leaves out cash
    /// and what is not positive. `partner`: the deposit a withdrawal was matched with (a matched deposit acquires
    /// nothing: the lots moved with it).
    fn uk_moves(&mut self, e: &Event, partner: Option<&Event>, out: &mut Vec<(u32, Decimal, bool)>) {
        match &e.kind {
            EventKind::Trade { spend, receive, fees, .. } => {
                out.push((self.asset(&spend.asset), spend.amount, false));
                for fee in fees {
                    out.push((self.asset(&fee.asset), fee.amount, false));
                }
                out.push((self.asset(&receive.asset), receive.amount, true));
            }
            EventKind::Deposit { asset, amount, .. } => {
                let asset = self.asset(asset);
                if partner.is_none()
                    && !self.cash[asset as usize]
                    && (self.s.deposit_costs.contains_key(&e.id)
                        || (self.s.deposits_at_market && self.price(asset, e.time).is_some()))
                {
                    out.push((asset, *amount, true));
                }
            }
            EventKind::Withdrawal { asset, amount, fee, .. } => {
                let (asset, fee) = (self.asset(asset), fee.unwrap_or_default());
                match partner.map(|p| &p.kind) {
                    None => out.extend([(asset, fee, false), (asset, *amount, false)]),
                    Some(EventKind::Deposit { amount: received, .. }) => {
                        out.push((asset, fee + (*amount - *received), false));
                    }
                    Some(_) => unreachable!("partner of a deposit"),
                }
            }
            EventKind::Income { asset, amount, .. } => {
                let asset = self.asset(asset);
                out.push(if amount.is_sign_positive() { (asset, *amount, true) } else { (asset, -*amount, false) });
            }
            // a migration carries lots over, neither acquiring nor disposing, unless a leg is cash: then it is a
            // trade (docs/accounting.md §8d)
            EventKind::Migration { from, to } => {
                let (a, b) = (self.asset(&from.asset), self.asset(&to.asset));
                if self.cash[a as usize] != self.cash[b as usize] {
                    out.extend([(a, from.amount, false), (b, to.amount, true)]);
                }
            }
            EventKind::Loan { action, asset, amount, interest } => {
                let asset = self.asset(asset);
                match action {
                    LoanAction::Borrow => out.push((asset, *amount, true)),
                    LoanAction::Repay => out.push((asset, *amount + interest.unwrap_or_default(), false)),
                    LoanAction::Interest => {}
                }
            }
            EventKind::Transfer { .. } | EventKind::FuturesTrade { .. } => {}
        }
    }

    /// At the end of a day: the day's reserved acquisitions settle the reservations waiting for them (each takes its
    /// share of the day's cost), and what is left of them joins the pool at its cost.
    fn uk_settle(&mut self, day: i64) {
        let Some(mut uk) = self.uk.take() else { return };
        while let Some(entry) = uk.pending.first_entry()
            && *entry.key() <= day
        {
            let (d, list) = entry.remove_entry();
            let mut bought = uk.buffers.remove(&d).unwrap_or_default();
            for (k, p) in list.into_iter().enumerate() {
                let (units, cost) = bought.entry(p.asset).or_default();
                // the plan counts the units the run acquires: a reservation always finds them
                debug_assert!(p.units <= *units, "UK plan reserved {} of day {d}, the run bought {units}", p.units);
                // pro rata, as a lot taken in part; the last reservation takes what is left
                let part = if p.units >= *units || units.is_zero() { *cost } else { *cost * p.units / *units };
                *units -= p.units.min(*units);
                *cost -= part;
                if let Some(settled) = uk.settled.as_mut() {
                    settled.insert((d, k), part);
                }
                self.uk_settle_one(&p, part);
            }
            self.uk_pool_rest(&uk, d, bought);
        }
        while let Some(entry) = uk.buffers.first_entry()
            && *entry.key() <= day
        {
            let (d, bought) = entry.remove_entry();
            self.uk_pool_rest(&uk, d, bought);
        }
        self.uk = Some(uk);
    }

    /// What is left of a day's reserved acquisitions joins the pool (its cost is already in the lot total).
    fn uk_pool_rest(&mut self, uk: &UkState, day: i64, bought: FxMap<u32, (Decimal, Decimal)>) {
        let mut rest: Vec<(u32, Decimal, Decimal)> = bought.into_iter().map(|(a, (u, c))| (a, u, c)).collect();
        rest.sort_by_key(|r| r.0);
        for (asset, units, cost) in rest {
            if units.is_zero() && cost.is_zero() {
                continue;
            }
            let pool = self.pool(asset, UNIVERSAL);
            let time = uk.plan.reserved.get(&(asset, day)).copied().unwrap_or(Timestamp::start_of_day(day));
            match self.pools[pool].lots.front_mut() {
                Some(lot) => {
                    lot.remaining += units;
                    lot.cost += cost;
                    lot.account = UNIVERSAL;
                }
                None => self.pools[pool].lots.push_back(Lot {
                    time,
                    remaining: units,
                    cost,
                    unit: Decimal::ZERO,
                    account: UNIVERSAL,
                }),
            }
        }
    }

    /// Under UK share pooling with a window end, the reservations still waiting: disposals in the window's last 30
    /// days matched with acquisitions after its end (docs/accounting.md §3a). A copy of the engine processes the 30
    /// days after the end and settles them; this engine books the same costs to the disposals, while its pool, its
    /// balances and everything else stay as at the end. The cost is the identity's item
    /// `cost_matched_with_acquisitions_after_the_end`: it is not yet paid at the end, and the pool still holds the
    /// units.
    fn settle_after_end(&mut self, days: Days) {
        let Some(uk) = self.uk.as_deref_mut() else { return };
        let after = uk.after_end.take();
        let end_day = self.s.window.to.map_or(i64::MAX, Timestamp::day);
        // the plan's matches for disposals after the end are not this run's
        uk.plan.matches.retain(|&(_, day), _| day <= end_day);
        let Some(&last) = uk.pending.keys().next_back() else { return };
        let Some(after) = after else { return };
        let mut ahead = self.clone();
        ahead.uk.as_deref_mut().expect("UK state").settled = Some(FxMap::default());
        let mut ahead_days = days;
        ahead.process(&after.order, &after.partner, &mut ahead_days);
        while ahead_days.next <= last {
            ahead.close_day(ahead_days.next);
            ahead_days.next += 1;
        }
        let settled = ahead.uk.and_then(|uk| uk.settled).unwrap_or_default();
        let pending = std::mem::take(&mut self.uk.as_deref_mut().expect("UK state").pending);
        for (day, list) in pending {
            for (k, p) in list.into_iter().enumerate() {
                // the plan reserved what the copy's run acquires: every reservation is settled there
                debug_assert!(settled.contains_key(&(day, k)), "UK reservation on day {day} not settled after the end");
                let cost = settled.get(&(day, k)).copied().unwrap_or_default();
                // the acquisition's cost enters the lot total as in the run, and leaves it with the reservation
                self.lot_cost_total += cost;
                self.uk_settle_one(&p, cost);
                self.drift[Drift::AfterEnd as usize] += cost;
                let row = self.uk.as_deref_mut().expect("UK state").matched_after_end.entry(p.asset).or_default();
                row.0 += p.units;
                row.1 += cost;
            }
        }
    }

    /// Settles one reservation with its cost.
    fn uk_settle_one(&mut self, p: &Pending, cost: Decimal) {
        if let Some(i) = p.lot_use {
            self.lot_uses[i].cost = cost;
        }
        self.lot_cost_total -= cost;
        match p.then {
            Deferred::Pnl { asset, account, symbol, category, in_window, disposal, month } => {
                let (now, this_month) = (self.in_window, self.month);
                self.in_window = in_window;
                self.month = month;
                self.book_pnl(asset, account, symbol, category, -cost);
                self.in_window = now;
                self.month = this_month;
                if let Some(x) = disposal {
                    self.disposals[x].cost += cost;
                }
            }
            Deferred::Drift(cause) => self.drift[cause as usize] -= cost,
            Deferred::Carry(pool) => {
                self.lot_cost_total += cost;
                match self.pools[pool].lots.front_mut() {
                    Some(lot) => lot.cost += cost,
                    None => {
                        let time = self.events[self.cur].time;
                        self.pools[pool].lots.push_back(Lot {
                            time,
                            remaining: Decimal::ZERO,
                            cost,
                            unit: Decimal::ZERO,
                            account: UNIVERSAL,
                        });
                    }
                }
            }
            Deferred::None => self.lot_cost_total += cost,
        }
    }

    // ---- days ------------------------------------------------------------------------------------------------

    fn close_day(&mut self, day: i64) {
        if self.uk.is_some() {
            self.uk_settle(day);
        }
        let end = Timestamp::from_millis(Timestamp::start_of_day(day + 1).millis() - 1);
        let (equity, complete) = self.equity_at(end, Affects::EquityCurve);
        self.curve.push(EquityPoint {
            date: Timestamp::start_of_day(day).date_string(),
            equity: equity.normalize(),
            inflow: self.day_in.normalize(),
            outflow: self.day_out.normalize(),
            complete,
        });
        self.day_in = Decimal::ZERO;
        self.day_out = Decimal::ZERO;
    }

    /// Value of all balances at `t`, and whether every non-zero balance had a price.
    fn equity_at(&mut self, t: Timestamp, affects: Affects) -> (Decimal, bool) {
        let mut equity = Decimal::ZERO;
        let mut complete = true;
        for asset in 0..self.assets.len() as u32 {
            let total: Decimal = self.balances.iter().map(|b| b[asset as usize]).sum();
            if total.is_zero() {
                continue;
            }
            match self.price(asset, t) {
                Some(p) => equity += p.of(total),
                None => {
                    complete = false;
                    self.note_missing_price(asset, t, affects);
                }
            }
        }
        (equity, complete)
    }

    // ---- the report ------------------------------------------------------------------------------------------

    fn finish(
        mut self,
        processed: usize,
        as_of: Option<Timestamp>,
        first_day: Option<i64>,
        positions: &[ledger::Position],
    ) -> Report {
        debug_assert!(
            self.uk.as_ref().is_none_or(|uk| uk.pending.is_empty()
                && uk.buffers.is_empty()
                && uk.plan.matches.values().all(|m| m.is_empty())),
            "the UK plan and the run disagree"
        );
        let t = as_of.unwrap_or_default();
        let (position_values, unrealized_positions, unvalued_positions) = self.value_positions(positions, t);
        let prices: Vec<Option<Rate>> = (0..self.assets.len() as u32).map(|a| self.price(a, t)).collect();
        let holdings = self.holdings(&prices, t);
        let accounts = self.account_summaries(&prices);
        let identity_by_account = if self.per_account { self.identities_by_account(&prices) } else { BTreeMap::new() };
        let identity = self.identity_of(&holdings);
        let returns = self.returns(first_day);
        let breakdowns = self.breakdowns();
        let mut realized = self.realized.clone();
        realized.normalize();
        let holding_periods = matches!(self.s.method, Method::Fifo | Method::Lifo | Method::Hifo)
            .then(|| self.holding_periods(self.realized.trade));
        let missing_prices = self.missing_price_list();
        let complete = missing_prices.is_empty() && self.nothing_missing();
        let matched_after_end = self.uk.as_deref().map_or_else(Vec::new, |uk| {
            let rows = uk.matched_after_end.iter();
            rows.map(|(&a, &(units, cost))| MatchedAfterEnd {
                asset: self.assets.name(a).to_string(),
                units: units.normalize(),
                cost: cost.normalize(),
            })
            .collect()
        });

        Report {
            engine_version: crate::ENGINE_VERSION.into(),
            currency: self.s.currency.clone(),
            method: self.s.method,
            settings: self.s.as_ref().clone(),
            as_of,
            events: processed,
            complete,
            realized,
            holding_periods,
            unrealized: holdings.unrealized.normalize(),
            positions: position_values,
            unrealized_positions: unrealized_positions.normalize(),
            unvalued_positions,
            realized_by_asset: breakdowns.by_asset,
            realized_by_account: breakdowns.by_account,
            realized_by_venue: breakdowns.by_venue,
            realized_by_symbol: breakdowns.by_symbol,
            realized_by_month: self.take_months(),
            assets: holdings.assets,
            accounts,
            open_lots: holdings.open_lots,
            missing_acquisitions: std::mem::take(&mut self.missing_acq),
            matched_after_end,
            missing_prices,
            unvalued_trades: std::mem::take(&mut self.unvalued),
            transfers: std::mem::take(&mut self.transfers),
            equity_curve: std::mem::take(&mut self.curve),
            returns,
            identity,
            identity_by_account,
            disposals: std::mem::take(&mut self.disposals),
            lot_uses: std::mem::take(&mut self.lot_uses),
        }
    }

    /// The identity in total, with these holdings.
    fn identity_of(&self, holdings: &Holdings) -> Identity {
        let totals = Totals {
            equity: holdings.equity,
            contributions: self.contributions,
            realized: self.realized_lifetime,
            unrealized: holdings.unrealized,
            unlotted_value: holdings.unlotted_value,
            unpriced_cost: holdings.unpriced_cost,
        };
        identity(totals, &self.drift)
    }

    /// No missing acquisition, unvalued trade or unmatched transfer of an asset that is not cash (the report is
    /// complete when, besides, no price is missing).
    fn nothing_missing(&self) -> bool {
        self.missing_acq.is_empty()
            && self.unvalued.is_empty()
            && self.transfers.unmatched.iter().all(|l| self.cash_asset_name(&l.asset))
    }

    /// The window's realized lines by month, as `YYYY-MM`.
    fn take_months(&mut self) -> BTreeMap<String, RealizedSplit> {
        std::mem::take(&mut self.by_month)
            .into_iter()
            .map(|(k, mut v)| {
                v.normalize();
                (format!("{:04}-{:02}", k / 12, k % 12 + 1), v)
            })
            .collect()
    }

    /// Adds the part of a trade disposal just recorded (`amount` for `proceeds` at `time`, its lot uses from
    /// `start`) that was held more than a year to the window's long-term proceeds and cost. A lot use's cost is
    /// final when recorded under FIFO, LIFO and HIFO, the methods with holding periods.
    fn note_long_term(&mut self, start: usize, time: Timestamp, amount: Decimal, proceeds: Decimal) {
        let mut units = Decimal::ZERO;
        let mut units_cost = Decimal::ZERO;
        for u in &self.lot_uses[start..] {
            if crate::uk::held_more_than_a_year(u.lot_time, time) {
                units += u.amount;
                units_cost += u.cost;
            }
        }
        if units.is_zero() && units_cost.is_zero() {
            return;
        }
        self.long_term.0 += if units == amount { proceeds } else { proceeds * units / amount };
        self.long_term.1 += units_cost;
    }

    /// A copy of the state without the rows a summary leaves out, which a large ledger has hundreds of thousands
    /// of: the disposals and lot uses recorded, the transfers matched; its report lists no open lots either. Not
    /// under UK share pooling, whose pending reservations point into the rows.
    pub(crate) fn copy_without_rows(&mut self) -> Engine<'a> {
        debug_assert!(self.uk.is_none());
        let disposals = std::mem::take(&mut self.disposals);
        let lot_uses = std::mem::take(&mut self.lot_uses);
        let matched = std::mem::take(&mut self.transfers.matched);
        let mut copy = self.clone();
        copy.open_lot_rows = false;
        self.disposals = disposals;
        self.lot_uses = lot_uses;
        self.transfers.matched = matched;
        copy
    }

    /// The window's trade PnL by holding period (docs/accounting.md §3b), from the trade disposals' lot uses (summed
    /// as each disposal is recorded, [`Engine::note_long_term`]).
    fn holding_periods(&self, trade: Decimal) -> HoldingPeriods {
        let (proceeds, cost) = self.long_term;
        let long_term = proceeds - cost;
        HoldingPeriods {
            short_term: (trade - long_term).normalize(),
            long_term: long_term.normalize(),
            long_term_proceeds: proceeds.normalize(),
            long_term_cost: cost.normalize(),
        }
    }

    /// Open futures positions valued in the profit currency at `t` (linear or inverse, docs/accounting.md §9), their
    /// unrealized PnL in total, and the reasons of those that cannot be valued (never counted as zero).
    fn value_positions(
        &mut self,
        positions: &[ledger::Position],
        t: Timestamp,
    ) -> (Vec<PositionValue>, Decimal, Vec<String>) {
        let mut values = Vec::with_capacity(positions.len());
        let mut unvalued = Vec::new();
        let mut total = Decimal::ZERO;
        for p in positions {
            let unrealized = match p.try_unrealized() {
                Ok(u) => u,
                Err(reason) => {
                    unvalued.push(reason.0);
                    continue;
                }
            };
            let margin = self.asset(&p.margin_asset);
            let value = self.price_or_note(margin, t, Affects::Unrealized).map(|r| r.of(unrealized));
            total += value.unwrap_or_default();
            values.push(PositionValue {
                account: p.account.to_string(),
                symbol: p.symbol.clone(),
                amount: p.amount.normalize(),
                entry_price: p.entry_price.normalize(),
                mark_price: p.mark_price.normalize(),
                margin_asset: p.margin_asset.clone(),
                unrealized: unrealized.normalize(),
                unrealized_value: value.map(|v| v.normalize()),
            });
        }
        (values, total, unvalued)
    }

    /// Every asset held or lotted, the open lots, and the sums the identity needs; notes the prices missing at `t`.
    fn holdings(&mut self, prices: &[Option<Rate>], t: Timestamp) -> Holdings {
        let n_assets = self.assets.len();
        let mut h = Holdings::default();
        let mut lots_amount = vec![Decimal::ZERO; n_assets];
        let mut lots_cost = vec![Decimal::ZERO; n_assets];
        let mut lots_unrealized = vec![Decimal::ZERO; n_assets];
        for pool in &self.pools {
            let p = prices[pool.asset as usize];
            let pool_name: String =
                if pool.account == UNIVERSAL { "*".into() } else { self.accounts.name(pool.account).to_string() };
            for lot in &pool.lots {
                lots_amount[pool.asset as usize] += lot.remaining;
                lots_cost[pool.asset as usize] += lot.cost;
                let value = p.map(|p| p.of(lot.remaining));
                let unrealized = value.map(|v| v - lot.cost);
                if let Some(u) = unrealized {
                    h.unrealized += u;
                    lots_unrealized[pool.asset as usize] += u;
                }
                if !self.open_lot_rows {
                    continue;
                }
                h.open_lots.push(OpenLot {
                    asset: self.assets.name(pool.asset).to_string(),
                    pool: pool_name.clone(),
                    time: lot.time,
                    acquired_in: (lot.account != UNIVERSAL).then(|| self.accounts.name(lot.account).to_string()),
                    amount: lot.remaining.normalize(),
                    cost: lot.cost.normalize(),
                    value: value.map(|v| v.normalize()),
                    unrealized: unrealized.map(|u| u.normalize()),
                });
            }
        }
        let (owed, debts_unrealized) = self.debts_by_asset(prices, &mut h);
        for a in 0..n_assets {
            let amount: Decimal = self.balances.iter().map(|b| b[a]).sum();
            let cash = self.cash[a];
            if amount.is_zero() && lots_amount[a].is_zero() && owed[a].is_zero() {
                continue;
            }
            let p = prices[a];
            if p.is_none() && !amount.is_zero() {
                self.note_missing_price(a as u32, t, Affects::Equity);
            }
            if p.is_none() && !lots_amount[a].is_zero() {
                self.note_missing_price(a as u32, t, Affects::Unrealized);
                h.unpriced_cost += lots_cost[a];
            }
            if let Some(p) = p {
                h.equity += p.of(amount);
                if !cash {
                    // the units held are the balance plus what is owed
                    h.unlotted_value += p.of(amount + owed[a]) - p.of(lots_amount[a]);
                }
            }
            let (lots_amt, cost) = if cash { (amount, amount) } else { (lots_amount[a], lots_cost[a]) };
            let unrealized = if cash { Decimal::ZERO } else { lots_unrealized[a] } + debts_unrealized[a];
            h.assets.insert(
                self.assets.name(a as u32).to_string(),
                AssetPosition {
                    amount: amount.normalize(),
                    lots_amount: lots_amt.normalize(),
                    cost_basis: cost.normalize(),
                    price: p.map(|p| p.unit().normalize()),
                    value: p.map(|p| p.of(amount).normalize()),
                    unrealized: p.map(|_| unrealized.normalize()),
                    price_source: if cash { None } else { self.price_source(a as u32, t) },
                    owed: owed[a].normalize(),
                },
            );
        }
        h.open_lots.sort_by(|x, y| (&x.asset, &x.pool, x.time).cmp(&(&y.asset, &y.pool, y.time)));
        h
    }

    /// Units owed per asset and the debts' unrealized PnL per asset (booked value − market value); the debts' sums
    /// go into the holdings' unrealized PnL, or, unpriced, their booked value out of the unpriced cost.
    fn debts_by_asset(&self, prices: &[Option<Rate>], h: &mut Holdings) -> (Vec<Decimal>, Vec<Decimal>) {
        let n_assets = self.assets.len();
        let (mut owed, mut unrealized) = (vec![Decimal::ZERO; n_assets], vec![Decimal::ZERO; n_assets]);
        for book in &self.debts {
            let (units, booked) = (book.owed(), book.booked());
            owed[book.asset as usize] += units;
            match prices[book.asset as usize] {
                Some(p) => {
                    unrealized[book.asset as usize] += booked - p.of(units);
                    h.unrealized += booked - p.of(units);
                }
                None => h.unpriced_cost -= booked,
            }
        }
        (owed, unrealized)
    }

    /// Each account's balances and equity.
    fn account_summaries(&self, prices: &[Option<Rate>]) -> BTreeMap<String, AccountSummary> {
        let mut accounts = BTreeMap::new();
        for (n, bal) in self.balances.iter().enumerate() {
            let name = self.accounts.name(n as u32);
            let mut summary =
                AccountSummary { venue: AccountId((&**name).into()).venue().to_string(), ..Default::default() };
            for (a, amount) in bal.iter().enumerate() {
                if amount.is_zero() {
                    continue;
                }
                summary.balances.insert(self.assets.name(a as u32).to_string(), amount.normalize());
                if let Some(p) = prices[a] {
                    summary.equity += p.of(*amount);
                }
            }
            summary.equity = summary.equity.normalize();
            accounts.insert(name.to_string(), summary);
        }
        accounts
    }

    /// The identity of each account, for per-account pools (each account has its own lots).
    fn identities_by_account(&self, prices: &[Option<Rate>]) -> BTreeMap<String, Identity> {
        let n_assets = self.assets.len();
        let n_accounts = self.balances.len();
        let mut lots_by = vec![vec![(Decimal::ZERO, Decimal::ZERO); n_assets]; n_accounts];
        let mut unrealized_by = vec![Decimal::ZERO; n_accounts];
        for pool in &self.pools {
            let (amount, cost) = &mut lots_by[pool.account as usize][pool.asset as usize];
            for lot in &pool.lots {
                *amount += lot.remaining;
                *cost += lot.cost;
                if let Some(p) = prices[pool.asset as usize] {
                    unrealized_by[pool.account as usize] += p.of(lot.remaining) - lot.cost;
                }
            }
        }
        let mut out = BTreeMap::new();
        let mut owed_by = vec![vec![Decimal::ZERO; n_assets]; n_accounts];
        let mut unpriced_debt_by = vec![Decimal::ZERO; n_accounts];
        for debt in &self.debts {
            let (units, booked) = (debt.owed(), debt.booked());
            owed_by[debt.account as usize][debt.asset as usize] += units;
            match prices[debt.asset as usize] {
                Some(p) => unrealized_by[debt.account as usize] += booked - p.of(units),
                None => unpriced_debt_by[debt.account as usize] += booked,
            }
        }
        for (a, book) in self.books.iter().enumerate() {
            let mut totals = Totals {
                contributions: book.contributions,
                realized: book.realized,
                unrealized: unrealized_by[a],
                ..Totals::default()
            };
            for (x, &(lots, cost)) in lots_by[a].iter().enumerate() {
                let balance = self.balances[a][x];
                match prices[x] {
                    Some(p) => {
                        totals.equity += p.of(balance);
                        if !self.cash[x] {
                            totals.unlotted_value += p.of(balance + owed_by[a][x]) - p.of(lots);
                        }
                    }
                    None => totals.unpriced_cost += cost,
                }
            }
            totals.unpriced_cost -= unpriced_debt_by[a];
            out.insert(self.accounts.name(a as u32).to_string(), identity(totals, &book.drift));
        }
        out
    }

    /// Realized PnL by asset, account, venue and symbol (only the non-zero ones).
    fn breakdowns(&mut self) -> Breakdowns {
        let named = |interner: &Interner, splits: &mut [RealizedSplit]| -> BTreeMap<String, RealizedSplit> {
            let mut out = BTreeMap::new();
            for (n, s) in splits.iter_mut().enumerate() {
                if !s.is_zero() {
                    s.normalize();
                    out.insert(interner.name(n as u32).to_string(), s.clone());
                }
            }
            out
        };
        let by_asset = named(&self.assets, &mut self.by_asset);
        let by_account = named(&self.accounts, &mut self.by_account);
        let by_symbol = named(&self.symbols, &mut self.by_symbol);
        let mut by_venue: BTreeMap<String, RealizedSplit> = BTreeMap::new();
        for (account, split) in &by_account {
            by_venue.entry(AccountId(account.into()).venue().to_string()).or_default().merge(split);
        }
        Breakdowns { by_asset, by_account, by_venue, by_symbol }
    }

    /// The prices that were missing, one line per asset and what they affect.
    fn missing_price_list(&self) -> Vec<MissingPrice> {
        self.missing_prices
            .iter()
            .map(|((asset, affects), acc)| MissingPrice {
                asset: self.assets.name(*asset).to_string(),
                quote: self.s.currency.clone(),
                time: acc.first,
                last_time: acc.last,
                count: acc.count,
                affects: affects.name().into(),
            })
            .collect()
    }

    fn cash_asset_name(&self, asset: &str) -> bool {
        self.s.is_profit_currency(asset)
    }

    fn returns(&self, first_day: Option<i64>) -> Returns {
        let Some(first_day) = first_day else { return Returns::default() };
        let from_day = self.s.window.from.map_or(first_day, |f| f.day().max(first_day));
        let skip = (from_day - first_day) as usize;
        let start =
            if skip == 0 { Decimal::ZERO } else { self.curve.get(skip - 1).map_or(Decimal::ZERO, |p| p.equity) };
        let points = self.curve.get(skip..).unwrap_or(&[]);
        let days: Vec<Day> =
            points.iter().map(|p| Day { end: p.equity, inflow: p.inflow, outflow: p.outflow }).collect();
        let end = days.last().map_or(start, |d| d.end);
        let net: Decimal = days.iter().map(|d| d.inflow - d.outflow).sum();
        let pnl = end - start - net;
        let invested = start + net;
        let simple = if invested > Decimal::ZERO { pnl.checked_div(invested).map(|r| r.round_dp(10)) } else { None };
        let time_weighted = returns::time_weighted(start, &days).map(|r| r.round_dp(10).normalize());
        // IRR: inflows at the start of their day, outflows and the final value at the end of theirs
        let n = days.len() as u64;
        let mut flows = Vec::with_capacity(days.len() * 2 + 2);
        if !start.is_zero() {
            flows.push((n, -start));
        }
        for (i, d) in days.iter().enumerate() {
            let i = i as u64;
            if !d.inflow.is_zero() {
                flows.push((n - i, -d.inflow));
            }
            if !d.outflow.is_zero() {
                flows.push((n - 1 - i, d.outflow));
            }
        }
        flows.push((0, end));
        let money_weighted = returns::money_weighted(&flows).map(|r| r.normalize());
        Returns {
            start_equity: start.normalize(),
            end_equity: end.normalize(),
            net_contributions: net.normalize(),
            pnl: pnl.normalize(),
            simple: simple.map(|r| r.normalize()),
            time_weighted,
            money_weighted,
        }
    }
}

/// A trade's two legs, interned: spent `qa` of `a`, received `qb` of `b`, whether each is cash (the profit
/// currency), and the trade's value (`None`: unvalued).
struct TradeLegs {
    a: u32,
    b: u32,
    qa: Decimal,
    qb: Decimal,
    cash_a: bool,
    cash_b: bool,
    value: Option<Decimal>,
}

/// A trade's fees, interned, in the ledger's order (the first four inline, any more in `extra`), and their value
/// when fees are in cost basis.
struct TradeFees {
    first: [(u32, Decimal); 4],
    count: usize,
    extra: Vec<(u32, Decimal)>,
    value: Decimal,
}

impl TradeFees {
    /// Every fee, in order.
    #[inline]
    fn all(&self) -> impl Iterator<Item = &(u32, Decimal)> {
        self.first[..self.count.min(4)].iter().chain(&self.extra)
    }

    /// Whether every fee is zero or in cash: then fees in cost basis cannot change the book.
    #[inline]
    fn all_cash(&self, cash: &[bool]) -> bool {
        all_fee_assets_cash(cash, &self.first[..self.count.min(4)], &self.extra)
    }
}

/// The realized line an income type goes to.
#[inline]
fn income_category(t: IncomeType) -> Category {
    match t {
        IncomeType::RealizedPnl => Category::Futures,
        IncomeType::Funding => Category::Funding,
        IncomeType::Commission => Category::Commission,
        IncomeType::Other | IncomeType::Interest => Category::Other,
    }
}

fn all_fee_assets_cash(cash: &[bool], fees: &[(u32, Decimal)], extra: &[(u32, Decimal)]) -> bool {
    fees.iter().chain(extra).all(|(f, q)| q.is_zero() || cash[*f as usize])
}

/// Inserts a lot after every lot of the same or an earlier time (ledger order for ties).
fn insert_by_time(lots: &mut VecDeque<Lot>, lot: Lot) {
    if lots.back().is_none_or(|l| l.time <= lot.time) {
        lots.push_back(lot);
    } else {
        let at = lots.partition_point(|l| l.time <= lot.time);
        lots.insert(at, lot);
    }
}

/// HIFO: the highest unit cost, ties by older time (the lower index, lots being in time order).
fn hifo_index(lots: &VecDeque<Lot>) -> usize {
    let mut best: Option<(usize, Decimal)> = None;
    for (i, lot) in lots.iter().enumerate() {
        if lot.remaining.is_zero() {
            return i;
        }
        if best.is_none_or(|(_, b)| lot.unit > b) {
            best = Some((i, lot.unit));
        }
    }
    best.map_or(usize::MAX, |(i, _)| i)
}

/// What the identity adds up, for the whole ledger or one account (docs/accounting.md, the identity).
#[derive(Default)]
struct Totals {
    /// Priced balances at the report time.
    equity: Decimal,
    /// Deposits minus withdrawals, valued when they happened.
    contributions: Decimal,
    /// Realized PnL since the first event.
    realized: Decimal,
    /// Unrealized PnL of the priced lots.
    unrealized: Decimal,
    /// Market value of holdings that have no lots (non-cash assets).
    unlotted_value: Decimal,
    /// Cost of lots whose asset has no price.
    unpriced_cost: Decimal,
}

/// The identity: equity = contributions + realized + unrealized + the itemized residual (drift, holdings without
/// lots at market, minus the cost of unpriced holdings); what the items leave is `unexplained`.
fn identity(t: Totals, drift: &[Decimal; CAUSES]) -> Identity {
    let mut residual = BTreeMap::new();
    for (n, v) in drift.iter().enumerate() {
        if !v.is_zero() {
            residual.insert(DRIFT_NAMES[n].to_string(), v.normalize());
        }
    }
    if !t.unlotted_value.is_zero() {
        residual.insert("holdings_without_lots_at_market".into(), t.unlotted_value.normalize());
    }
    if !t.unpriced_cost.is_zero() {
        residual.insert("cost_of_unpriced_holdings".into(), (-t.unpriced_cost).normalize());
    }
    let items: Decimal = residual.values().copied().sum();
    let unexplained = t.equity - t.contributions - t.realized - t.unrealized - items;
    Identity {
        equity: t.equity.normalize(),
        net_contributions: t.contributions.normalize(),
        realized: t.realized.normalize(),
        unrealized: t.unrealized.normalize(),
        residual,
        unexplained: unexplained.normalize(),
        holds: unexplained.abs() < Decimal::new(1, 12),
    }
}

/// The holdings part of a report, with the sums the identity needs.
#[derive(Default)]
struct Holdings {
    assets: BTreeMap<String, AssetPosition>,
    open_lots: Vec<OpenLot>,
    equity: Decimal,
    unrealized: Decimal,
    unlotted_value: Decimal,
    unpriced_cost: Decimal,
}

/// Realized PnL split four ways.
struct Breakdowns {
    by_asset: BTreeMap<String, RealizedSplit>,
    by_account: BTreeMap<String, RealizedSplit>,
    by_venue: BTreeMap<String, RealizedSplit>,
    by_symbol: BTreeMap<String, RealizedSplit>,
}
