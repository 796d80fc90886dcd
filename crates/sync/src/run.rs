//! The runner: executes the plan through a [`Transport`], within the weight budget, retrying what may succeed,
//! checkpointing after every page so that an interrupted sync resumes without gaps or duplicates.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use catalogue::{
    BINANCE_ACCOUNT, BINANCE_COINM_ACCOUNT, BINANCE_COINM_EXCHANGE_INFO, BINANCE_COINM_POSITIONS,
    BINANCE_EARN_FLEXIBLE_POSITION, BINANCE_EARN_LOCKED_POSITION, BINANCE_EXCHANGE_INFO, BINANCE_FUNDING_ASSETS,
    BINANCE_FUTURES_ACCOUNT, BINANCE_FUTURES_TIME, BINANCE_ISOLATED_ACCOUNT, BINANCE_MARGIN_ACCOUNT, BINANCE_POSITIONS,
    BITGET_EARN_ASSETS, BITGET_FUTURES_ACCOUNTS, BITGET_LOAN_ORDERS, BITGET_MARGIN_CROSS_ASSETS,
    BITGET_MARGIN_ISOLATED_ASSETS, BITGET_POSITIONS, BITGET_SAVINGS_ASSETS, BITGET_SPOT_ASSETS, BITGET_UNIFIED_ASSETS,
    BITGET_UNIFIED_FUNDING_ASSETS, Endpoint, Host, Venue,
};
use futures_util::future::join_all;
use ledger::{AccountId, Decimal, Event, Position, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use venues::parse::{self, Balances, Page, PositionSize, SymbolBook};
use venues::{AccountMode, ApiProblem, Client, Credentials, Reply, Transport, VenueError};

use crate::budget::{Budget, Meter};
use crate::pager::Pager;
use crate::plan::{self, BinanceStream, BitgetStream, DAY, Paging, Stream, Task};
use crate::retry::{Retry, RetryPolicy};
use crate::state::{AccountState, SyncState};
use crate::tick::{self, Check};

/// Rows newer than this (ms before venue "now") are re-read next time: the venue may not show them all yet.
pub const SETTLE_MS: i64 = 60_000;

/// One key to sync.
#[derive(Clone, Debug)]
pub struct AccountConfig {
    /// The key.
    pub credentials: Credentials,
    /// A copy-trading account (a lead portfolio, a follower's or trader's copy account: docs/venues.md §1.17, §2.11),
    /// read as what it is ([`Stream::copy_trading`]).
    pub copy_trading: bool,
}

impl AccountConfig {
    /// `venue/label`, the key of its state.
    pub fn key(&self) -> String {
        format!("{}/{}", self.credentials.venue, self.credentials.label)
    }
}

/// How a sync runs.
#[derive(Clone, Debug)]
pub struct SyncOptions {
    /// How many days of history a backfill reads (streams the venue keeps for less start at its retention).
    pub history_days: i64,
    /// Percent of each per-IP rate limit the sync may use: 40 by default, under half of the limit (docs/venues.md) and
    /// within the share the relay gives one client address (half of its 80 %), so the relay never has to refuse.
    pub budget_percent: u32,
    /// Attempts per request before giving up on a retryable error ([`RetryPolicy::max_attempts`]).
    pub max_attempts: u32,
    /// First retry delay, doubled per attempt, capped at 5 s ([`RetryPolicy::first_delay_ms`]).
    pub backoff_ms: u64,
    /// Skip what was synced less than this long ago (ms): an account whose last sync completed, and a stream
    /// covered up to then. 0 syncs everything every time; resuming an interrupted sync with a few minutes here
    /// does not redo what the interrupted run finished.
    pub fresh_ms: i64,
    /// Read every stream from its cursor this time (a full cycle): the caller's first sync after a restart (the
    /// app's first after unlock, the CLI's `--full`). Otherwise a sync is incremental when it can be (docs/sync.md).
    pub full: bool,
    /// Longest venue time between two full cycles, ms (an hour by default): what an incremental tick cannot see
    /// (trades that move no balance at all) is read within this.
    pub full_every_ms: i64,
    /// How long the cached spot symbols (Binance `exchangeInfo`) are used before they are read again, ms (a day).
    pub symbols_every_ms: i64,
    /// Per Binance account (`binance/main`), the spot assets whose balance the caller's ledger does not explain (the
    /// spot rows of its residuals: [`crate::delisted::add_effects`], then [`crate::delisted::unexplained`]), for a
    /// sink that has no ledger at hand ([`Sink::wallet_ledger`]): noted in the account's state
    /// ([`AccountState::suspects`]), so that its next full cycle asks the pairs among them (docs/sync.md, "Delisted
    /// pairs").
    pub suspects: BTreeMap<String, BTreeSet<String>>,
}

impl SyncOptions {
    /// The retry policy these options set: every venue request of the sync retries by it.
    pub fn retry_policy(&self) -> RetryPolicy {
        RetryPolicy { max_attempts: self.max_attempts, first_delay_ms: self.backoff_ms }
    }
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            history_days: 90,
            budget_percent: 40,
            max_attempts: 8,
            backoff_ms: 100,
            fresh_ms: 0,
            full: false,
            full_every_ms: DAY / 24,
            symbols_every_ms: DAY,
            suspects: BTreeMap::new(),
        }
    }
}

/// The state key of one of the account's wallets (`binance/main/spot`).
fn wallet(mode: AccountMode, label: &str, w: &str) -> String {
    format!("{}/{label}/{w}", if mode == AccountMode::Binance { "binance" } else { "bitget" })
}

/// Whether the wallet's balances moved since the last tick.
fn moved(cx: &RefCell<Cx<'_, '_>>, mode: AccountMode, label: &str, w: &str) -> bool {
    cx.borrow().check.as_ref().is_some_and(|c| c.wallet_moved(&wallet(mode, label, w)))
}

/// The assets whose balance in the wallet moved since the last tick.
fn assets_moved(cx: &RefCell<Cx<'_, '_>>, mode: AccountMode, label: &str, w: &str) -> BTreeSet<String> {
    let acc = wallet(mode, label, w);
    let c = cx.borrow();
    c.check.as_ref().map(|c| c.moved().keys().filter(|k| k.0 == acc).map(|k| k.1.clone()).collect()).unwrap_or_default()
}

/// Closes a tick in the account's state: what it read (balances, positions, the movement carried to the next
/// tick) and when; `full`: the reason of the full cycle it ran, if it ran one.
fn close_tick(
    st: &mut AccountState,
    now: i64,
    history_start: i64,
    full: Option<Option<&'static str>>,
    check: Option<Check>,
    balances: &Balances,
    positions: &[Position],
) {
    if let Some(reason) = full {
        let residue = check.as_ref().map(|c| c.unexplained()).unwrap_or_default();
        st.last_full = Some(now);
        st.history_from = Some(history_start);
        // once more in full next time (the symbols read again), unless this was that once more already
        st.recheck = !residue.is_empty() && reason != Some("the last full cycle left movement unexplained");
    }
    st.carry = check.map(|c| c.carry()).unwrap_or_default();
    st.balances = Some(balances.clone());
    st.balances_at = Some(now);
    st.positions = positions.to_vec();
    st.tick_open = false;
    st.last_sync = Some(now);
    st.backfilled_at.get_or_insert(now);
}

/// Where a sync is, for the UI and the terminal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// `venue/label`.
    pub account: String,
    /// The stream instance (`BinanceSpotTrades:BTCUSDT`) or phase (`balances`).
    pub stream: String,
    /// Tasks (windows, symbols) done in this account so far.
    pub done: usize,
    /// Tasks planned in this account so far (grows as discovery finds symbols).
    pub total: Option<usize>,
    /// Rows read in this account.
    pub rows: u64,
    /// Estimated ms to finish the account, from the pace so far.
    pub eta_ms: Option<u64>,
}

/// What a sync delivers besides progress: events as they arrive, with the state to resume from, and snapshots.
pub trait Sink {
    /// New events (possibly already known: the sink de-duplicates by id) and the state that includes them. Called
    /// after every page; persisting both makes the sync resumable from here.
    fn checkpoint(&mut self, state: &SyncState, events: &[Event]) -> Result<(), SinkError>;
    /// Balances and open positions of one account, read during its sync.
    fn snapshot(&mut self, account: &str, balances: &Balances, positions: &[Position]) -> Result<(), SinkError>;
    /// Progress.
    fn progress(&mut self, _progress: &Progress) {}
    /// What the ledger kept so far holds in one wallet (`binance/main/spot`) at venue time `at`: per asset, the sum
    /// of the effects ([`crate::tick::effects`]) of its events at or before `at`, each event once. `None` when the
    /// sink has no ledger at hand; a full cycle then uses the assets the caller noted ([`SyncOptions::suspects`]).
    /// With it, a full cycle finds a Binance pair `exchangeInfo` no longer lists while listed pairs still name both
    /// its assets (docs/sync.md, "Delisted pairs").
    fn wallet_ledger(&self, _wallet: &str, _at: i64) -> Option<BTreeMap<String, Decimal>> {
        None
    }
}

/// Why a sink could not keep a checkpoint or a snapshot: the sink's own error, kept as its type (a store's crash,
/// the vault refusing a write). The sync stops there; what the sink kept stays, and the next sync resumes from it.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct SinkError(Box<dyn std::error::Error + Send + Sync + 'static>);

impl SinkError {
    /// Wraps the sink's error.
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        SinkError(Box::new(error))
    }

    /// The sink's error, if it is an `E`.
    pub fn get<E: std::error::Error + 'static>(&self) -> Option<&E> {
        self.0.downcast_ref()
    }
}

/// Request counts and weight, for the efficiency report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Requests sent, retries included.
    pub requests: u64,
    /// Of which retries.
    pub retries: u64,
    /// Binance weight sent, per meter name ([`Meter::name`]).
    pub weight: BTreeMap<String, u64>,
    /// The fewest requests the plan could have used: one per task, plus one per further full page of rows it
    /// returned, plus the snapshot and clock requests.
    pub lower_bound: u64,
    /// Rows read.
    pub rows: u64,
    /// Events delivered.
    pub events: u64,
    /// Time spent waiting for the budget or backing off, ms.
    pub waited_ms: u64,
    /// Highest usage seen per meter (own accounting or venue headers), by name ([`Meter::name`]).
    pub peak_usage: BTreeMap<String, u32>,
    /// Retried failures by kind (`429 /api/v2/...`, `transport /api/v3/...`).
    pub retried: BTreeMap<String, u64>,
    /// Accounts synced in a full cycle (every stream from its cursor).
    #[serde(default)]
    pub full_ticks: u64,
    /// Accounts synced incrementally (the streams that can explain what moved).
    #[serde(default)]
    pub incremental_ticks: u64,
    /// Of those, ticks whose reads did not explain what moved and went on to a full cycle.
    #[serde(default)]
    pub escalations: u64,
    /// Rows kept in a form that needs a reader's eye (an unknown type or wallet), each naming the row and its raw
    /// value, once each.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// A sync that could not finish.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The venue refused or kept failing.
    #[error("{account}: {source}")]
    Venue {
        /// `venue/label`.
        account: String,
        /// The venue error.
        source: VenueError,
    },
    /// The sink could not persist.
    #[error("could not save the sync: {0}")]
    Sink(#[source] SinkError),
}

/// The sync engine for one run.
pub struct Engine<'t, T: Transport> {
    transport: &'t T,
    options: SyncOptions,
    /// Shared by the streams of one account that run at the same time (Binance spot and futures hosts).
    budget: RefCell<Budget>,
    /// The counters as they grow; copied to `stats` when an account is done.
    live: RefCell<Stats>,
    /// Counters of this run.
    pub stats: Stats,
}

/// The wallet of a Bitget futures task: its `productType`'s ([`parse::bitget::FUTURES_PRODUCTS`]).
fn futures_wallet(params: &[(&'static str, String)]) -> &'static str {
    params
        .iter()
        .find(|(k, _)| *k == "productType")
        .and_then(|(_, v)| parse::bitget::futures_wallet(v))
        .unwrap_or("futures")
}

/// The Bitget classic futures product types other than USDT-M whose bills and fills a full cycle reads: those
/// in use, or all on a first sync (what an account did before it was added is found only by reading).
fn other_products(st: &AccountState) -> Vec<&'static str> {
    parse::bitget::FUTURES_PRODUCTS
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| *p != "USDT-FUTURES" && (st.backfilled_at.is_none() || st.futures_products.contains(*p)))
        .collect()
}

/// Bitget classic transfer instances: each coin from spot and from USDT-M (`plan::instances`), and from each of
/// the other `wallets` given (`coin_futures`, `usdc_futures`, cross margin's `crossed_margin`).
fn bitget_transfer_instances(coins: &[String], wallets: &[&str]) -> Vec<Vec<(&'static str, String)>> {
    let mut out = plan::instances(Stream::Bitget(BitgetStream::Transfers), &[], coins);
    let margin = (parse::bitget::MARGIN_WALLET, parse::bitget::MARGIN_ACCOUNT_TYPE);
    // every isolated pair at once: the records are asked for by coin, not by pair (docs/venues.md §2.18)
    let isolated = (parse::bitget::ISOLATED_WALLET_PREFIX, parse::bitget::ISOLATED_ACCOUNT_TYPE);
    let others = parse::bitget::FUTURES_FROM_TYPES.into_iter().chain([margin, isolated]);
    for (_, from) in others.filter(|(w, _)| wallets.contains(w)) {
        out.extend(coins.iter().map(|c| vec![("coin", c.clone()), ("fromType", from.to_string())]));
    }
    out
}

/// The tax record a Bitget tax task reads (docs/venues.md §2.13), `None` for any other stream.
fn tax_records_of(stream: Stream, params: &[(&'static str, String)]) -> Option<parse::bitget::TaxRecords> {
    use parse::bitget::TaxRecords;
    match stream {
        Stream::Bitget(BitgetStream::TaxSpot) => Some(TaxRecords::Spot),
        Stream::Bitget(BitgetStream::TaxFutures) => Some(TaxRecords::Futures { wallet: futures_wallet(params) }),
        Stream::Bitget(BitgetStream::TaxMargin) => Some(TaxRecords::Margin),
        Stream::Bitget(BitgetStream::TaxIsolated) => Some(TaxRecords::IsolatedMargin),
        Stream::Bitget(BitgetStream::TaxP2p) => Some(TaxRecords::P2p),
        _ => None,
    }
}

/// Adds a tax page's checked rows up to `until` (venue ms) to `tally`, per `"{coin} {group}"`: rows after it are
/// counted by the read of the next window, which starts after what this one covers.
fn tally_tax(
    tally: &mut BTreeMap<String, Decimal>,
    records: parse::bitget::TaxRecords,
    data: &Value,
    label: &str,
    until: i64,
) -> Result<(), VenueError> {
    for row in parse::bitget::tax_checks(data, label, records)?.into_iter().filter(|r| r.time <= until) {
        *tally.entry(format!("{} {}", row.coin, row.group)).or_default() += row.change;
    }
    Ok(())
}

/// The instances of a Bitget futures stream (bills, fills) for the given product types.
fn product_instances(products: &[&str]) -> Vec<Vec<(&'static str, String)>> {
    products.iter().map(|p| vec![("productType", p.to_string())]).collect()
}

/// A page's rows, read by its stream's parser ([`parse_binance`], [`parse_bitget`]).
fn parse_page(
    stream: Stream,
    data: &Value,
    label: &str,
    book: &SymbolBook,
    params: &[(&'static str, String)],
) -> Result<Page, VenueError> {
    match stream {
        Stream::Binance(stream) => parse_binance(stream, data, label, book, params),
        Stream::Bitget(stream) => parse_bitget(stream, data, label, book, params),
    }
}

/// The parser of each Binance stream ([`parse::binance`]).
fn parse_binance(
    stream: BinanceStream,
    data: &Value,
    label: &str,
    book: &SymbolBook,
    params: &[(&'static str, String)],
) -> Result<Page, VenueError> {
    use parse::binance as b;
    match stream {
        BinanceStream::SpotTrades => b::my_trades(data, label, book),
        BinanceStream::Deposits => b::deposits(data, label),
        BinanceStream::Withdrawals => b::withdrawals(data, label),
        BinanceStream::Transfers => b::transfers_of(data, label, params),
        BinanceStream::Converts => b::converts(data, label),
        BinanceStream::Dust => b::dust(data, label),
        BinanceStream::Income => b::income(data, label),
        BinanceStream::FuturesTrades => b::user_trades(data, label),
        BinanceStream::Dividends => b::dividends(data, label),
        BinanceStream::FiatDeposits => b::fiat_deposits(data, label),
        BinanceStream::FiatWithdrawals => b::fiat_withdrawals(data, label),
        BinanceStream::FiatBuys => b::fiat_buys(data, label),
        BinanceStream::FiatSells => b::fiat_sells(data, label),
        BinanceStream::P2p => b::p2p_trades(data, label),
        BinanceStream::Pay => b::pay_transactions(data, label),
        BinanceStream::EthStakings => b::eth_stakings(data, label),
        BinanceStream::EthRedemptions => b::eth_redemptions(data, label),
        BinanceStream::BethRewards => b::beth_rewards(data, label),
        BinanceStream::WbethWraps => b::wbeth_wraps(data, label),
        BinanceStream::WbethUnwraps => b::wbeth_unwraps(data, label),
        BinanceStream::SolStakings => b::sol_stakings(data, label),
        BinanceStream::SolRedemptions => b::sol_redemptions(data, label),
        BinanceStream::SolBoostClaims => b::sol_boost_claims(data, label),
        BinanceStream::CoinmIncome => b::coinm_income(data, label),
        BinanceStream::CoinmTrades => b::coinm_trades(data, label),
        BinanceStream::EarnFlexibleSubscriptions => b::earn_flexible_subscriptions(data, label),
        BinanceStream::EarnFlexibleRedemptions => b::earn_flexible_redemptions(data, label),
        BinanceStream::EarnFlexibleRewards => b::earn_flexible_rewards(data, label),
        BinanceStream::EarnLockedSubscriptions => b::earn_locked_subscriptions(data, label),
        BinanceStream::EarnLockedRedemptions => b::earn_locked_redemptions(data, label),
        BinanceStream::EarnLockedRewards => b::earn_locked_rewards(data, label),
        BinanceStream::LeadIncome => b::lead_income(data, label),
        BinanceStream::MarginBorrows => b::borrow_repay(data, label, false),
        BinanceStream::MarginRepays => b::borrow_repay(data, label, true),
        BinanceStream::MarginInterest => b::interest_history(data, label),
        BinanceStream::MarginLiquidations => b::force_liquidations(data),
        BinanceStream::MarginCapitalFlow => {
            let isolated = crate::margin::isolated_symbol(Stream::Binance(stream), params);
            b::capital_flow(data, label, isolated.as_deref()).map(|(page, _)| page)
        }
        BinanceStream::MarginTrades => b::margin_trades(data, label, book),
    }
}

/// The parser of each Bitget stream ([`parse::bitget`]).
fn parse_bitget(
    stream: BitgetStream,
    data: &Value,
    label: &str,
    book: &SymbolBook,
    params: &[(&'static str, String)],
) -> Result<Page, VenueError> {
    use parse::bitget as g;
    // the margin streams' pair or symbol
    let symbol = param(params, "symbol").unwrap_or("");
    match stream {
        BitgetStream::FuturesFills => g::futures_fills_in(data, label, futures_wallet(params)),
        BitgetStream::Converts => g::converts(data, label),
        BitgetStream::BgbConverts => g::bgb_converts(data, label),
        BitgetStream::UnifiedConverts => g::unified_converts(data, label),
        BitgetStream::SpotFills => g::spot_fills(data, label, book),
        BitgetStream::Deposits => g::deposits(data, label),
        BitgetStream::Withdrawals => g::withdrawals(data, label),
        BitgetStream::Transfers => g::transfers(data, label),
        BitgetStream::FuturesBills => g::futures_bills_in(data, label, futures_wallet(params)),
        BitgetStream::TaxSpot
        | BitgetStream::TaxFutures
        | BitgetStream::TaxMargin
        | BitgetStream::TaxP2p
        | BitgetStream::TaxIsolated => {
            g::tax_records(data, label, tax_records_of(Stream::Bitget(stream), params).expect("a tax stream"))
        }
        BitgetStream::UnifiedFills => g::unified_fills(data, label, book),
        BitgetStream::UnifiedFinancial => g::unified_financial_records(data, label),
        BitgetStream::UnifiedDeposits => g::unified_deposits(data, label),
        BitgetStream::UnifiedWithdrawals => g::unified_withdrawals(data, label),
        BitgetStream::CopyFollowerOrders => g::follower_orders(data, label),
        BitgetStream::CopyTraderOrders => g::trader_orders(data, label),
        BitgetStream::CopyProfitShares => g::profit_shares(data, label),
        BitgetStream::Savings => g::savings_records(data, label, param(params, "periodType").unwrap_or("flexible")),
        BitgetStream::Sharkfin => g::sharkfin_records(data, label),
        BitgetStream::LoanOrders => g::loan_orders(data, label),
        BitgetStream::LoanBorrows => g::loan_history(data, label),
        BitgetStream::LoanRepays => g::loan_repays(data, label),
        BitgetStream::MarginFlow => g::cross_finance_flow(data, label),
        BitgetStream::MarginInterest => g::cross_interest(data, label),
        BitgetStream::MarginFills => g::cross_fills(data, label, symbol, book),
        BitgetStream::IsolatedFlow => g::isolated_finance_flow(data, label, symbol),
        BitgetStream::IsolatedInterest => g::isolated_interest(data, label, symbol),
        BitgetStream::IsolatedFills => g::isolated_fills(data, label, symbol, book),
    }
}

/// The value of the fixed parameter `key` of a task.
fn param<'a>(params: &'a [(&'static str, String)], key: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_str())
}

fn note_assets(st: &mut AccountState, events: &[Event]) {
    st.assets.extend(events.iter().flat_map(Event::assets).map(str::to_owned));
    // the symbols of futures income (realized PnL, commission, funding) are the symbols that have fills
    for e in events {
        // a Bitget COIN-M or USDC-M wallet with events is one the account uses (docs/sync.md, "The tick")
        if let Some((product, _)) = parse::bitget::FUTURES_PRODUCTS
            .iter()
            .find(|(_, w)| e.account.as_str().starts_with("bitget/") && e.account.as_str().ends_with(&format!("/{w}")))
        {
            st.futures_products.insert(product.to_string());
            continue;
        }
        if let ledger::EventKind::Income { symbol: Some(s), .. } = &e.kind {
            if e.account.as_str().ends_with("/usdm") {
                st.futures_symbols.insert(s.to_string());
            } else if e.account.as_str().ends_with("/coinm") {
                st.coinm_pairs.insert(parse::binance::coinm_pair(s));
            }
        }
    }
}

struct AccountRun<'a> {
    key: String,
    label: String,
    now: i64,
    history_start: i64,
    done: usize,
    total: usize,
    rows: u64,
    started_local: i64,
    sink: &'a mut dyn Sink,
    /// The account is a copy-trading one ([`AccountConfig::copy_trading`]).
    copy_trading: bool,
}

/// What one tick read of an account before its streams: every wallet's balances, the open positions, the symbols
/// of positions that changed, and (Binance) whether this is the first tick of a UTC day.
#[derive(Default)]
struct Snapshot {
    balances: Balances,
    positions: Vec<Position>,
    moved_positions: BTreeSet<String>,
    new_day: bool,
    /// Binance: the margin balances were read in this tick and the margin account exists (else they are as last
    /// read, or there is none).
    margin_read: bool,
}

impl Snapshot {
    /// A wallet not read in this tick: its balances as last read, if it had any.
    fn keep_last(&mut self, st: &AccountState, wallet: String) {
        if let Some(b) = st.balances.as_ref().and_then(|b| b.get(&wallet)) {
            self.balances.insert(wallet, b.clone());
        }
    }
}

/// What the streams of one account share while they run (at the same time on Binance's two hosts): the run and
/// the state. Borrowed only between requests, never across one.
struct Cx<'a, 's> {
    run: AccountRun<'a>,
    state: &'s mut SyncState,
    /// What the balances say moved since the last tick, and what the events read so far explain.
    check: Option<Check>,
    moved: Moved,
    /// Stream instances (cursor keys) read in this tick: never twice.
    read: BTreeSet<String>,
    /// Candidate delisted pairs being asked for in this tick (docs/sync.md, "Delisted pairs"): their fills parse
    /// with this book until they are known.
    probes: SymbolBook,
}

/// Futures symbols whose fills may be new: of positions that changed, of income rows read in this tick.
#[derive(Default)]
struct Moved {
    positions: BTreeSet<String>,
    income_symbols: BTreeSet<String>,
    /// Binance COIN-M pairs of income rows read in this tick.
    coinm_pairs: BTreeSet<String>,
    /// Binance: the first tick of a UTC day, when Simple Earn pays rewards.
    new_day: bool,
    /// A full cycle reads the Earn histories (Binance's six Simple Earn ones of weight 150, Bitget's two savings
    /// records): always, except an hourly one in which neither the earn nor the spot wallet moved (docs/sync.md).
    earn_in_full: bool,
    /// Binance: how a full cycle reads the fiat deposit and withdrawal histories: see [`FiatOrders::of`].
    fiat_orders: FiatOrders,
    /// Binance: a full cycle reads the ETH and SOL staking histories (7 requests of weight 150): always, except an
    /// hourly one in which no staking asset moved in spot (docs/sync.md).
    staking_in_full: bool,
    /// Binance: the margin balances were read in this tick, so a full cycle reads the margin histories up to now
    /// (docs/sync.md, "Margin").
    margin_in_full: bool,
}

impl Moved {
    /// What a tick of `reason` (none: incremental) reads beyond the streams whose wallets moved, from what `check`
    /// says moved since the last tick (none before the first): the Simple Earn histories in a full cycle unless it
    /// is an hourly one in which neither the earn nor the spot wallet moved, the fiat orders as [`FiatOrders::of`]
    /// says, the staking histories unless it is an hourly one in which no staking asset moved in spot.
    fn of(reason: Option<&'static str>, check: Option<&Check>, label: &str) -> Self {
        let due = reason == Some("due");
        // the check holds one account's wallets, Binance's or Bitget's
        let earn_in_full = !due
            || check.is_none_or(|c| {
                ["binance", "bitget"].iter().any(|v| {
                    c.wallet_moved(&format!("{v}/{label}/earn")) || c.wallet_moved(&format!("{v}/{label}/spot"))
                }) || ["sharkfin", "loan"].iter().any(|w| c.wallet_moved(&format!("bitget/{label}/{w}")))
            });
        let staking_in_full = !due || check.is_none_or(|c| staking_moved(c, label));
        let fiat_orders = FiatOrders::of(reason, check, label);
        Moved { earn_in_full, fiat_orders, staking_in_full, ..Moved::default() }
    }
}

/// How a full cycle reads Binance's fiat deposits and withdrawals (docs/sync.md, "The tick"), whose 90,000 UID
/// weight each (half a minute of the account's limit) would otherwise hold every hourly cycle up.
#[derive(Clone, Copy, Default)]
struct FiatOrders {
    /// Read however recently they were (else each once a day).
    wanted: bool,
    /// The first of them may wait for the UID weight (else one that would wait is left to the next full cycle).
    may_wait: bool,
}

impl FiatOrders {
    /// Wanted on a first sync, when the history starts earlier or the last full cycle left movement unexplained
    /// (then the first may wait: nothing else would read them), and when a fiat currency moved in spot since the
    /// last tick.
    fn of(reason: Option<&str>, check: Option<&Check>, label: &str) -> Self {
        let spot = format!("binance/{label}/spot");
        let fiat_moved = check
            .is_none_or(|c| c.moved().keys().any(|(acc, asset)| *acc == spot && venues::market::fiat(asset).is_some()));
        let may_wait = matches!(
            reason,
            Some("first sync" | "the history starts earlier" | "the last full cycle left movement unexplained")
        );
        FiatOrders { wanted: may_wait || fiat_moved, may_wait }
    }
}

/// Whether one of the staking assets moved in the account's spot wallet since the last tick (docs/venues.md §1.16).
fn staking_moved(check: &Check, label: &str) -> bool {
    let spot = format!("binance/{label}/spot");
    check.moved().keys().any(|(acc, asset)| *acc == spot && Stream::STAKING_ASSETS.contains(&asset.as_str()))
}

/// What tells whether open positions changed between two account reads: symbol, side, size and update time.
fn position_shape(v: &[PositionSize]) -> BTreeSet<(String, String, Decimal, i64)> {
    v.iter().map(|p| (p.symbol.clone(), p.side.clone(), p.size, p.update_time)).collect()
}

/// The positions last read in `account`.
fn positions_in(st: &AccountState, account: &AccountId) -> Vec<Position> {
    st.positions.iter().filter(|p| p.account == *account).cloned().collect()
}

/// Positions as last read in full, with the unrealized PnL (and the mark price it implies) of an account summary
/// whose sizes are the same: `entry + upnl / size` for a linear contract; for an inverse one (COIN-M, `upnl = size x
/// contract_size x (1/entry - 1/mark)`) `mark = size x contract_size x entry / (size x contract_size - upnl x entry)`.
/// A mark that cannot be derived (an out-of-range or non-positive result) stays as last read, with its time.
/// The mark price is read at `now` when it is refreshed.
fn refreshed(positions: &[Position], sizes: &[PositionSize], now: i64) -> Vec<Position> {
    positions
        .iter()
        .map(|p| {
            let mut p = p.clone();
            if let Some(s) = sizes.iter().find(|s| s.symbol == p.symbol && s.size == p.amount)
                && !s.size.is_zero()
                && let Some(mark) = implied_mark(&p, s.unrealized_pnl)
            {
                p.mark_price = mark;
                p.time = Some(Timestamp(now));
            }
            p
        })
        .collect()
}

/// The mark price at which `p` shows unrealized PnL `upnl` (see [`refreshed`]), to 8 decimals; `None` when there is
/// none that can value it.
fn implied_mark(p: &Position, upnl: Decimal) -> Option<Decimal> {
    let mark = match p.contract_size {
        None => p.entry_price.checked_add(upnl.checked_div(p.amount)?)?,
        Some(size) => {
            let notional = p.amount.checked_mul(size)?;
            let denominator = notional.checked_sub(upnl.checked_mul(p.entry_price)?)?;
            notional.checked_mul(p.entry_price)?.checked_div(denominator)?
        }
    }
    .round_dp(8);
    (p.contract_size.is_none() || mark > Decimal::ZERO).then_some(mark)
}

/// Runs two sides of an account at once (Binance's spot and futures hosts).
async fn both<'f>(
    a: impl std::future::Future<Output = Result<(), SyncError>> + 'f,
    b: impl std::future::Future<Output = Result<(), SyncError>> + 'f,
) -> Result<(), SyncError> {
    let (a, b) = futures_util::future::join(a, b).await;
    a.and(b)
}

impl<'t, T: Transport> Engine<'t, T> {
    /// An engine sending through `transport`.
    pub fn new(transport: &'t T, options: SyncOptions) -> Self {
        let budget = RefCell::new(Budget::new(options.budget_percent));
        Engine { transport, options, budget, live: RefCell::new(Stats::default()), stats: Stats::default() }
    }

    /// Syncs every account in turn; an account that fails does not stop the others. Returns each account's result.
    pub async fn sync(
        &mut self,
        accounts: &[AccountConfig],
        state: &mut SyncState,
        sink: &mut dyn Sink,
    ) -> Vec<(String, Result<(), SyncError>)> {
        let mut out = Vec::new();
        for a in accounts {
            let r = self.sync_account(a, state, sink).await;
            out.push((a.key(), r));
        }
        self.stats = self.live.borrow().clone();
        for (meter, peak) in self.budget.borrow().peaks() {
            self.stats.peak_usage.insert(meter.name(), peak);
        }
        out
    }

    async fn call(
        &self,
        client: &Client,
        account: &str,
        endpoint: &'static Endpoint,
        params: &[(&str, String)],
    ) -> Result<Reply, VenueError> {
        self.call_timed(client, account, endpoint, params).await.map(|(reply, _, _)| reply)
    }

    /// [`Engine::call`], with the local times the answered attempt was sent and its answer arrived.
    async fn call_timed(
        &self,
        client: &Client,
        account: &str,
        endpoint: &'static Endpoint,
        params: &[(&str, String)],
    ) -> Result<(Reply, i64, i64), VenueError> {
        let venue = client.venue();
        let (meter, limit, window) = Meter::of(endpoint, account);
        let query: String = params.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
        let weight = match venue {
            Venue::Binance => endpoint.weight(&query),
            Venue::Bitget => 1,
        };
        let mut attempt = 0u32;
        loop {
            let now = self.transport.now_ms() + client.clock_offset_ms();
            let wait = self.budget.borrow_mut().wait_ms(&meter, limit, window, weight, now);
            if wait > 0 {
                self.live.borrow_mut().waited_ms += wait as u64;
                self.transport.sleep(wait as u64).await;
                continue;
            }
            self.budget.borrow_mut().sent(&meter, weight, now);
            {
                let mut stats = self.live.borrow_mut();
                stats.requests += 1;
                if venue == Venue::Binance {
                    *stats.weight.entry(meter.name()).or_default() += weight as u64;
                }
            }
            let sent = self.transport.now_ms();
            match client.call(self.transport, endpoint, params).await {
                Ok(reply) => {
                    if let Some(used) = meter.header().and_then(|h| reply.header_u32(h)) {
                        self.budget.borrow_mut().reported(&meter, used, window, now);
                    }
                    return Ok((reply, sent, self.transport.now_ms()));
                }
                Err(e) => {
                    attempt += 1;
                    let Some(retry) = self.options.retry_policy().after(attempt, &e) else { return Err(e) };
                    self.count_retry(endpoint, &e);
                    match retry {
                        Retry::RateLimited(ms) => self.budget.borrow_mut().cool_down(&meter, ms as i64, now),
                        Retry::After(ms) => {
                            self.live.borrow_mut().waited_ms += ms;
                            self.transport.sleep(ms).await;
                        }
                    }
                }
            }
        }
    }

    /// Counts a retry of `endpoint` in the stats, by kind of failure (`429 /api/v3/myTrades`, `transport …`).
    fn count_retry(&self, endpoint: &Endpoint, e: &VenueError) {
        let kind = match e {
            VenueError::RateLimited { status, .. } | VenueError::Server { status, .. } => status.to_string(),
            VenueError::Transport { .. } => "transport".into(),
            VenueError::Malformed { .. } => "malformed".into(),
            _ => "other".into(),
        };
        let mut live = self.live.borrow_mut();
        live.retries += 1;
        *live.retried.entry(format!("{kind} {}", endpoint.path)).or_default() += 1;
    }

    /// Measures the venue's clock, retrying like any request. Binance's is read on the futures host
    /// (`/fapi/v1/time`, the same venue clock): its weight limit has more room per account than the spot host's,
    /// where an idle tick's one other request (`/api/v3/account`, 20) already goes.
    async fn sync_clock(&self, client: &Client, account: &str) -> Result<i64, VenueError> {
        if client.venue() == Venue::Binance {
            let (reply, sent, received) = self.call_timed(client, account, &BINANCE_FUTURES_TIME, &[]).await?;
            let server = reply
                .data
                .get("serverTime")
                .and_then(Value::as_i64)
                .ok_or_else(|| VenueError::malformed(Venue::Binance, BINANCE_FUTURES_TIME.path, "no serverTime"))?;
            let offset = server - (sent + received) / 2;
            client.set_clock_offset_ms(offset);
            return Ok(offset);
        }
        let mut attempt = 0u32;
        loop {
            self.live.borrow_mut().requests += 1;
            match client.sync_clock(self.transport).await {
                Ok(offset) => return Ok(offset),
                Err(e) => {
                    attempt += 1;
                    // Outside the weight budget: a rate limit is waited out here, like any other back-off.
                    let Some(retry) = self.options.retry_policy().after(attempt, &e) else { return Err(e) };
                    {
                        let mut live = self.live.borrow_mut();
                        live.retries += 1;
                        live.waited_ms += retry.ms();
                    }
                    self.transport.sleep(retry.ms()).await;
                }
            }
        }
    }

    fn progress(&self, run: &mut AccountRun<'_>, stream: &str) {
        let elapsed = (self.transport.now_ms() - run.started_local).max(0) as u64;
        let eta_ms =
            (run.done > 0 && run.total >= run.done).then(|| elapsed * (run.total - run.done) as u64 / run.done as u64);
        run.sink.progress(&Progress {
            account: run.key.clone(),
            stream: stream.to_string(),
            done: run.done,
            total: Some(run.total),
            rows: run.rows,
            eta_ms,
        });
    }

    async fn snapshot_call(
        &self,
        client: &Client,
        run: &AccountRun<'_>,
        endpoint: &'static Endpoint,
        params: &[(&str, String)],
    ) -> Result<Value, SyncError> {
        self.live.borrow_mut().lower_bound += 1;
        self.call(client, &run.key, endpoint, params)
            .await
            .map(|r| r.data)
            .map_err(|source| SyncError::Venue { account: run.key.clone(), source })
    }

    /// Syncs one account: clock, mode, balances and positions, then every stream from its cursor to now.
    pub async fn sync_account(
        &mut self,
        account: &AccountConfig,
        state: &mut SyncState,
        sink: &mut dyn Sink,
    ) -> Result<(), SyncError> {
        let r = self.account(account, state, sink).await;
        self.stats = self.live.borrow().clone();
        r
    }

    /// Why this tick reads every stream, or `None` for an incremental tick (docs/sync.md).
    fn full_reason(&self, st: &AccountState, now: i64, history_start: i64) -> Option<&'static str> {
        if st.backfilled_at.is_none() || st.balances.is_none() || st.balances_at.is_none() {
            Some("first sync")
        } else if st.tick_open {
            Some("the last tick did not complete")
        } else if self.options.full {
            Some("asked for")
        } else if st.recheck {
            Some("the last full cycle left movement unexplained")
        } else if st.history_from.is_none_or(|h| history_start < h) {
            Some("the history starts earlier")
        } else if st.last_full.is_none_or(|t| now - t >= self.options.full_every_ms) {
            Some("due")
        } else {
            None
        }
    }

    async fn account(
        &self,
        account: &AccountConfig,
        state: &mut SyncState,
        sink: &mut dyn Sink,
    ) -> Result<(), SyncError> {
        let key = account.key();
        let venue_err = |source| SyncError::Venue { account: key.clone(), source };
        let mut st = state.accounts.get(&key).cloned().unwrap_or_default();
        if let Some(suspects) = self.options.suspects.get(&key) {
            st.suspects.clone_from(suspects);
        }
        let local_now = self.transport.now_ms() + st.clock_offset_ms;
        if self.options.fresh_ms > 0 && st.last_sync.is_some_and(|t| t >= local_now - self.options.fresh_ms) {
            return Ok(());
        }
        let client = Client::new(account.credentials.clone());
        client.set_clock_offset_ms(st.clock_offset_ms);
        self.live.borrow_mut().lower_bound += 1;
        st.clock_offset_ms = self.sync_clock(&client, &key).await.map_err(venue_err)?;
        let now = self.transport.now_ms() + st.clock_offset_ms;
        // an hour short of whole days, so that 90 days fit one 90-day window rather than spilling into a second
        let history_start = now - self.options.history_days * DAY + DAY / 24;
        let reason = self.full_reason(&st, now, history_start);
        let mut run = AccountRun {
            key: key.clone(),
            label: account.credentials.label.clone(),
            now,
            history_start,
            done: 0,
            total: 0,
            rows: 0,
            started_local: self.transport.now_ms(),
            sink,
            copy_trading: account.copy_trading,
        };
        let label = run.label.clone();
        let venue = account.credentials.venue;
        // mode and snapshots; the balance reads double as discovery
        let mode = self.account_mode(&client, &key, venue, st.mode).await.map_err(venue_err)?;
        st.mode = Some(mode);
        self.progress(&mut run, "balances");
        let Snapshot { balances, positions, moved_positions, new_day, margin_read } =
            self.snapshot(&client, &run, &mut st, mode, reason).await?;
        // what moved since the last tick, against the balances it read (none before the first tick)
        let check = match (&st.balances, st.balances_at) {
            (Some(before), Some(at)) => Some(Check::new(before, at, &balances, now, &st.carry)),
            _ => None,
        };
        // a tick that does not complete makes the next one a full cycle
        st.tick_open = true;
        state.accounts.insert(key.clone(), st);
        run.sink.checkpoint(state, &[]).map_err(SyncError::Sink)?;
        self.progress(&mut run, if reason.is_some() { "full cycle" } else { "incremental" });

        let full = reason.is_some();
        let mut moved = Moved::of(reason, check.as_ref(), &label);
        (moved.positions, moved.new_day, moved.margin_in_full) = (moved_positions, new_day, margin_read);
        let cell = RefCell::new(Cx { run, state, check, moved, read: BTreeSet::new(), probes: SymbolBook::default() });
        let escalated = self.read_streams(&client, &cell, mode, &key, &label, &balances, full).await?;
        let Cx { mut run, state, check, .. } = cell.into_inner();
        {
            let mut live = self.live.borrow_mut();
            if full {
                live.full_ticks += 1;
            } else {
                live.incremental_ticks += 1;
            }
        }
        let st = state.accounts.get_mut(&key).expect("inserted above");
        let was_full = (full || escalated).then_some(reason);
        close_tick(st, now, history_start, was_full, check, &balances, &positions);
        // the snapshot before the checkpoint that marks the account done: a resume skips a done account, so a crash
        // between the two must leave it not done rather than done without its balances
        run.sink.snapshot(&key, &balances, &positions).map_err(SyncError::Sink)?;
        run.sink.checkpoint(state, &[]).map_err(SyncError::Sink)?;
        self.progress(&mut run, "done");
        Ok(())
    }

    /// Every wallet's balances and the open positions, in `mode`; with the symbols of futures positions that
    /// changed since the last tick (their fills may be new), and for Binance whether this is the first tick of a UTC
    /// day (Simple Earn rewards). The assets held join the account's known assets.
    async fn snapshot(
        &self,
        client: &Client,
        run: &AccountRun<'_>,
        st: &mut AccountState,
        mode: AccountMode,
        reason: Option<&'static str>,
    ) -> Result<Snapshot, SyncError> {
        let mut snap = Snapshot::default();
        match mode {
            AccountMode::Binance => self.binance_snapshot(client, run, st, reason, &mut snap).await?,
            AccountMode::BitgetClassic => {
                self.bitget_classic_snapshot(client, run, st, &mut snap).await?;
                self.bitget_savings_snapshot(client, run, st, reason, &mut snap).await?;
                self.bitget_margin_snapshot(client, run, st, reason.is_some(), &mut snap).await?;
                self.bitget_isolated_snapshot(client, run, st, reason.is_some(), &mut snap).await?;
            }
            AccountMode::BitgetUnified => self.bitget_unified_snapshot(client, run, &mut snap).await?,
        }
        for assets in snap.balances.values() {
            st.assets.extend(assets.keys().cloned());
        }
        Ok(snap)
    }

    /// The account's mode: Binance has one; a Bitget key's is remembered, or found by reading the classic spot
    /// assets (a unified account refuses them).
    async fn account_mode(
        &self,
        client: &Client,
        key: &str,
        venue: Venue,
        known: Option<AccountMode>,
    ) -> Result<AccountMode, VenueError> {
        match (venue, known) {
            (Venue::Binance, _) => Ok(AccountMode::Binance),
            (Venue::Bitget, Some(mode)) => Ok(mode),
            (Venue::Bitget, None) => {
                self.live.borrow_mut().lower_bound += 1;
                match self.call(client, key, &BITGET_SPOT_ASSETS, &[]).await {
                    Ok(_) => Ok(AccountMode::BitgetClassic),
                    Err(e) if e.problem() == Some(ApiProblem::UnifiedAccount) => Ok(AccountMode::BitgetUnified),
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// Reads the account's streams: a full cycle, or an incremental tick that turns into a full cycle (fail
    /// closed) when the events it read do not account for what moved. Whether it did.
    #[allow(clippy::too_many_arguments)]
    async fn read_streams(
        &self,
        client: &Client,
        cell: &RefCell<Cx<'_, '_>>,
        mode: AccountMode,
        key: &str,
        label: &str,
        balances: &Balances,
        full: bool,
    ) -> Result<bool, SyncError> {
        if full {
            self.full_cycle(client, cell, mode, key, label, balances).await?;
            return Ok(false);
        }
        self.incremental(client, cell, mode, key, label).await?;
        let unexplained = cell.borrow().check.as_ref().map(|c| c.unexplained()).unwrap_or_default();
        if unexplained.is_empty() {
            return Ok(false);
        }
        self.live.borrow_mut().escalations += 1;
        let what: Vec<String> = unexplained.iter().map(|(w, a)| format!("{a} in {w}")).collect();
        let why = format!("full cycle: {} moved unexplained", what.join(", "));
        self.progress(&mut cell.borrow_mut().run, &why);
        self.full_cycle(client, cell, mode, key, label, balances).await?;
        Ok(true)
    }

    /// A Binance account's balances (spot, funding, USDⓈ-M futures, Simple Earn) and open positions (docs/sync.md:
    /// positions' prices only when a size changed, Simple Earn in full cycles, on a day's first tick or when spot or
    /// funding moved, the symbols daily or when an unknown asset moved).
    async fn binance_snapshot(
        &self,
        client: &Client,
        run: &AccountRun<'_>,
        st: &mut AccountState,
        reason: Option<&'static str>,
        snap: &mut Snapshot,
    ) -> Result<(), SyncError> {
        if run.copy_trading {
            // a lead portfolio's key has a futures wallet only (docs/venues.md §1.17)
            return self.usdm_snapshot(client, run, st, reason, snap).await;
        }
        let (label, now) = (run.label.as_str(), run.now);
        let parse_err = |e: VenueError| SyncError::Venue { account: run.key.clone(), source: e };
        let d = self.snapshot_call(client, run, &BINANCE_ACCOUNT, &[("omitZeroBalances", "true".into())]).await?;
        parse::binance::spot_balances(&d, label, &mut snap.balances).map_err(parse_err)?;
        let d = self.snapshot_call(client, run, &BINANCE_FUNDING_ASSETS, &[]).await?;
        parse::binance::funding_balances(&d, label, &mut snap.balances).map_err(parse_err)?;
        self.usdm_snapshot(client, run, st, reason, snap).await?;
        self.coinm_snapshot(client, run, st, reason, snap).await?;
        // Simple Earn positions (weight 150 a page, docs/sync.md): in a full cycle, on the first tick of a UTC
        // day (rewards are paid daily) and when spot or funding moved (a subscription or redemption moves
        // one of them); otherwise the earn wallet is as last read
        let earn = format!("binance/{label}/earn");
        let touched = |b: &Balances| {
            let (spot, funding) = (format!("binance/{label}/spot"), format!("binance/{label}/funding"));
            tick::movement(b, &snap.balances).keys().any(|(acc, _)| *acc == spot || *acc == funding)
        };
        snap.new_day = st.earn_at.is_none_or(|t| t.div_euclid(DAY) < now.div_euclid(DAY));
        let spot_or_funding_moved = st.balances.as_ref().is_none_or(touched);
        if reason.is_some() || snap.new_day || spot_or_funding_moved {
            self.earn_snapshot(client, run, st, snap).await?;
        } else {
            snap.keep_last(st, earn);
        }
        self.margin_snapshot(client, run, st, reason.is_some(), spot_or_funding_moved, snap).await?;
        // the spot symbols: cached, read again daily, after a full cycle left movement unexplained, or when
        // an asset that no known symbol names moved
        let spot = format!("binance/{label}/spot");
        let moved = st.balances.as_ref().map(|b| tick::movement(b, &snap.balances)).unwrap_or_default();
        let unknown = moved
            .keys()
            .any(|(acc, asset)| *acc == spot && !st.symbols.symbols.values().any(|(b, q)| b == asset || q == asset));
        let stale = st.symbols_at.is_none_or(|t| now - t >= self.options.symbols_every_ms);
        if st.symbols.symbols.is_empty() || stale || st.recheck || unknown {
            let info = self.snapshot_call(client, run, &BINANCE_EXCHANGE_INFO, &[]).await?;
            st.symbols = parse::binance::exchange_info(&info, &BINANCE_EXCHANGE_INFO).map_err(parse_err)?;
            st.symbols_at = Some(now);
            // the delisted pairs found are read like the listed ones (docs/sync.md, "Delisted pairs"); one listed
            // again is a listed one
            let AccountState { symbols, delisted, .. } = &mut *st;
            delisted.retain(|s, _| !symbols.symbols.contains_key(s));
            symbols.symbols.extend(delisted.iter().map(|(s, p)| (s.clone(), p.clone())));
        }
        Ok(())
    }

    /// Binance cross margin balances (weight 10, docs/sync.md "Margin"): in a full cycle and when spot or funding
    /// moved (a transfer to or from margin moves one of them); otherwise the margin wallet is as last read. The
    /// isolated pairs' balances (weight 10) are read with them, of an account with a margin account, in a full cycle
    /// and when the cross margin wallet moved (a transfer to or from a pair moves it); otherwise the isolated
    /// wallets are as last read.
    async fn margin_snapshot(
        &self,
        client: &Client,
        run: &AccountRun<'_>,
        st: &mut AccountState,
        full: bool,
        spot_or_funding_moved: bool,
        snap: &mut Snapshot,
    ) -> Result<(), SyncError> {
        let (label, now) = (run.label.as_str(), run.now);
        let parse_err = |e: VenueError| SyncError::Venue { account: run.key.clone(), source: e };
        let margin = crate::margin::wallet(label);
        let mut isolated_read = false;
        if full || spot_or_funding_moved {
            let d = self.snapshot_call(client, run, &BINANCE_MARGIN_ACCOUNT, &[]).await?;
            // an account that never used margin has no margin history to read
            snap.margin_read = parse::binance::margin_balances(&d, label, &mut snap.balances).map_err(parse_err)?;
            st.margin_at = Some(now);
            let cross_moved = st.balances.as_ref().is_none_or(|b| b.get(&margin) != snap.balances.get(&margin));
            if snap.margin_read && (full || cross_moved) {
                let d = self.snapshot_call(client, run, &BINANCE_ISOLATED_ACCOUNT, &[]).await?;
                let pairs = parse::binance::isolated_balances(&d, label, &mut snap.balances).map_err(parse_err)?;
                st.isolated_pairs.extend(pairs);
                st.isolated_at = Some(now);
                isolated_read = true;
            }
        } else {
            snap.keep_last(st, margin);
        }
        if !isolated_read {
            let prefix = format!("binance/{label}/{}", parse::binance::ISOLATED_WALLET_PREFIX);
            let last = st.balances.iter().flatten().filter(|(w, _)| w.starts_with(&prefix));
            snap.balances.extend(last.map(|(w, b)| (w.clone(), b.clone())));
        }
        Ok(())
    }

    /// The COIN-M wallet and its open positions' sizes (docs/venues.md §1.14); their prices under the same rule as
    /// USDⓈ-M: read again in a full cycle or when the sizes changed, else refreshed from the sizes' PnL.
    async fn coinm_snapshot(
        &self,
        client: &Client,
        run: &AccountRun<'_>,
        st: &mut AccountState,
        reason: Option<&'static str>,
        snap: &mut Snapshot,
    ) -> Result<(), SyncError> {
        let (label, now) = (run.label.as_str(), run.now);
        let parse_err = |e: VenueError| SyncError::Venue { account: run.key.clone(), source: e };
        let coinm_last = positions_in(st, &AccountId::new("binance", label, "coinm"));
        let d = self.snapshot_call(client, run, &BINANCE_COINM_ACCOUNT, &[]).await?;
        let sizes = parse::binance::coinm_account(&d, label, &mut snap.balances).map_err(parse_err)?;
        st.coinm_pairs.extend(sizes.iter().map(|p| parse::binance::coinm_pair(&p.symbol)));
        let (was, is) = (position_shape(&st.coinm_position_sizes), position_shape(&sizes));
        if sizes.is_empty() {
            // nothing open: no positionRisk read
        } else if reason.is_some() || was != is || coinm_last.len() != sizes.len() {
            // the contracts' sizes: cached, read again daily or when an open position's symbol is not among them
            let unknown = sizes.iter().any(|p| !st.coinm_contracts.contains_key(&p.symbol));
            let stale = st.coinm_contracts_at.is_none_or(|t| now - t >= self.options.symbols_every_ms);
            if unknown || stale {
                let info = self.snapshot_call(client, run, &BINANCE_COINM_EXCHANGE_INFO, &[]).await?;
                st.coinm_contracts = parse::binance::coinm_exchange_info(&info).map_err(parse_err)?;
                st.coinm_contracts_at = Some(now);
            }
            let d = self.snapshot_call(client, run, &BINANCE_COINM_POSITIONS, &[]).await?;
            let open = parse::binance::coinm_positions(&d, label, Timestamp(now), &st.coinm_contracts);
            snap.positions.extend(open.map_err(parse_err)?);
        } else {
            snap.positions.extend(refreshed(&coinm_last, &sizes, now));
        }
        st.coinm_position_sizes = sizes;
        Ok(())
    }

    /// The Simple Earn positions, flexible and locked, into the earn wallet (weight 150 a page, docs/sync.md).
    async fn earn_snapshot(
        &self,
        client: &Client,
        run: &AccountRun<'_>,
        st: &mut AccountState,
        snap: &mut Snapshot,
    ) -> Result<(), SyncError> {
        let parse_err = |e: VenueError| SyncError::Venue { account: run.key.clone(), source: e };
        for endpoint in [&BINANCE_EARN_FLEXIBLE_POSITION, &BINANCE_EARN_LOCKED_POSITION] {
            for current in 1.. {
                let params = [("current", current.to_string()), ("size", "100".to_string())];
                let d = self.snapshot_call(client, run, endpoint, &params).await?;
                let (rows, total) =
                    parse::binance::earn_positions(&d, run.label.as_str(), endpoint, &mut snap.balances)
                        .map_err(parse_err)?;
                if rows < 100 || total.is_some_and(|t| (current * 100) as u64 >= t) {
                    break;
                }
            }
        }
        st.earn_at = Some(run.now);
        Ok(())
    }

    /// A Binance account's USDⓈ-M wallet and position sizes in one request; the positions' entry and mark prices
    /// only in a full cycle or when a size changed (docs/sync.md).
    async fn usdm_snapshot(
        &self,
        client: &Client,
        run: &AccountRun<'_>,
        st: &mut AccountState,
        reason: Option<&'static str>,
        snap: &mut Snapshot,
    ) -> Result<(), SyncError> {
        let (label, now) = (run.label.as_str(), run.now);
        let parse_err = |e: VenueError| SyncError::Venue { account: run.key.clone(), source: e };
        let d = self.snapshot_call(client, run, &BINANCE_FUTURES_ACCOUNT, &[]).await?;
        let sizes = parse::binance::futures_account(&d, label, &mut snap.balances).map_err(parse_err)?;
        let (was, is) = (position_shape(&st.position_sizes), position_shape(&sizes));
        snap.moved_positions.extend(was.symmetric_difference(&is).map(|p| p.0.clone()));
        let usdm_last = positions_in(st, &AccountId::new("binance", label, "usdm"));
        if reason.is_some() || was != is || usdm_last.len() != sizes.len() {
            let d = self.snapshot_call(client, run, &BINANCE_POSITIONS, &[]).await?;
            snap.positions = parse::binance::positions(&d, label, Timestamp(now)).map_err(parse_err)?;
        } else {
            snap.positions = refreshed(&usdm_last, &sizes, now);
        }
        st.futures_symbols.extend(snap.positions.iter().map(|p| p.symbol.clone()));
        st.position_sizes = sizes;
        Ok(())
    }

    /// A classic Bitget account's balances (spot and the USDT-M, COIN-M and USDC-M futures wallets) and open
    /// positions: USDT-M's always, another product type's when its wallet holds something or held a position at
    /// the last tick (docs/sync.md, "The tick"); the product types in use are noted in the state.
    async fn bitget_classic_snapshot(
        &self,
        client: &Client,
        run: &AccountRun<'_>,
        st: &mut AccountState,
        snap: &mut Snapshot,
    ) -> Result<(), SyncError> {
        let (label, now) = (run.label.as_str(), run.now);
        let parse_err = |e: VenueError| SyncError::Venue { account: run.key.clone(), source: e };
        let d = self.snapshot_call(client, run, &BITGET_SPOT_ASSETS, &[]).await?;
        parse::bitget::spot_balances(&d, label, &mut snap.balances).map_err(parse_err)?;
        for (product, wallet) in parse::bitget::FUTURES_PRODUCTS {
            let pt = [("productType", product.to_string())];
            let d = self.snapshot_call(client, run, &BITGET_FUTURES_ACCOUNTS, &pt).await?;
            parse::bitget::futures_balances_in(&d, label, wallet, &mut snap.balances).map_err(parse_err)?;
            let acc = AccountId::new("bitget", label, wallet);
            let held = snap.balances.contains_key(acc.as_str()) || st.positions.iter().any(|p| p.account == acc);
            if held {
                st.futures_products.insert(product.to_string());
            }
            if wallet == "futures" || held {
                let d = self.snapshot_call(client, run, &BITGET_POSITIONS, &pt).await?;
                let open = parse::bitget::positions_in(&d, label, wallet, Timestamp(now)).map_err(parse_err)?;
                snap.positions.extend(open);
            }
        }
        let shape = |v: &[Position]| -> BTreeSet<(String, Decimal)> {
            v.iter().map(|p| (p.symbol.clone(), p.amount)).collect()
        };
        let (was, is) = (shape(&st.positions), shape(&snap.positions));
        snap.moved_positions.extend(was.symmetric_difference(&is).map(|p| p.0.clone()));
        Ok(())
    }

    /// A classic Bitget account's Earn savings holdings, flexible and fixed-term, into the earn wallet, the Earn
    /// overview, whose holdings beyond the savings are the shark fin wallet (docs/venues.md §2.16), and the open
    /// crypto loans, the loan wallet (§2.17) (10 a second per UID each, docs/sync.md): in a full cycle and when spot
    /// moved (a subscription, a redemption, interest, a borrow or a repay moves it); otherwise the three wallets are
    /// as last read (`AccountState::earn_at`).
    async fn bitget_savings_snapshot(
        &self,
        client: &Client,
        run: &AccountRun<'_>,
        st: &mut AccountState,
        reason: Option<&'static str>,
        snap: &mut Snapshot,
    ) -> Result<(), SyncError> {
        let (spot, earn) = (format!("bitget/{}/spot", run.label), format!("bitget/{}/earn", run.label));
        let spot_moved =
            st.balances.as_ref().is_none_or(|b| tick::movement(b, &snap.balances).keys().any(|(acc, _)| *acc == spot));
        let sharkfin = format!("bitget/{}/{}", run.label, parse::bitget::SHARKFIN_WALLET);
        if reason.is_none() && !spot_moved {
            snap.keep_last(st, earn);
            snap.keep_last(st, sharkfin);
            snap.keep_last(st, format!("bitget/{}/{}", run.label, parse::bitget::LOAN_WALLET));
            return Ok(());
        }
        let parse_err = |e: VenueError| SyncError::Venue { account: run.key.clone(), source: e };
        for period in parse::bitget::SAVINGS_PERIODS {
            let mut before: Option<String> = None;
            loop {
                let mut params = vec![("periodType", period.to_string()), ("limit", "100".to_string())];
                params.extend(before.take().map(|b| ("idLessThan", b)));
                let d = self.snapshot_call(client, run, &BITGET_SAVINGS_ASSETS, &params).await?;
                let (rows, end) =
                    parse::bitget::savings_balances(&d, &run.label, &mut snap.balances).map_err(parse_err)?;
                before = end.filter(|_| rows == 100);
                if before.is_none() {
                    break;
                }
            }
        }
        // after the savings holdings: the shark fin wallet is what the overview holds beyond them
        let d = self.snapshot_call(client, run, &BITGET_EARN_ASSETS, &[]).await?;
        parse::bitget::sharkfin_balances(&d, &run.label, &mut snap.balances).map_err(parse_err)?;
        // the open crypto loans: the loan wallet's collateral and principal owed (docs/venues.md §2.17)
        let d = self.snapshot_call(client, run, &BITGET_LOAN_ORDERS, &[]).await?;
        parse::bitget::loan_balances(&d, &run.label, &mut snap.balances).map_err(parse_err)?;
        st.earn_at = Some(run.now);
        Ok(())
    }

    /// Bitget cross margin balances (docs/sync.md, "Margin"): in a full cycle and when another wallet moved (a transfer
    /// to or from cross margin moves one of them); otherwise the margin wallet is as last read. A full cycle reads the
    /// margin histories when the balances were read and the account uses cross margin: its first sync, a balance now
    /// or at the last reading, or an event seen in the wallet.
    async fn bitget_margin_snapshot(
        &self,
        client: &Client,
        run: &AccountRun<'_>,
        st: &mut AccountState,
        full: bool,
        snap: &mut Snapshot,
    ) -> Result<(), SyncError> {
        let label = run.label.as_str();
        let parse_err = |e: VenueError| SyncError::Venue { account: run.key.clone(), source: e };
        let margin = crate::margin::bitget_wallet(label);
        let last = st.balances.as_ref();
        // the isolated pairs are read after this (not yet in the snapshot): not a movement
        let isolated = crate::bitget_isolated::wallet_prefix(label);
        let others_moved = last.is_none_or(|b| {
            tick::movement(b, &snap.balances).keys().any(|(acc, _)| *acc != margin && !acc.starts_with(&isolated))
        });
        if !(full || others_moved) {
            snap.keep_last(st, margin);
            return Ok(());
        }
        let d = self.snapshot_call(client, run, &BITGET_MARGIN_CROSS_ASSETS, &[]).await?;
        parse::bitget::cross_balances(&d, label, &mut snap.balances).map_err(parse_err)?;
        st.margin_at = Some(run.now);
        let held = snap.balances.contains_key(&margin) || last.is_some_and(|b| b.contains_key(&margin));
        snap.margin_read = st.backfilled_at.is_none() || held || !st.margin_assets.is_empty();
        Ok(())
    }

    /// Bitget isolated margin balances, every pair at once (docs/sync.md, "Bitget isolated margin"): in a full cycle
    /// and when another wallet moved (a transfer to or from a pair moves spot); otherwise the pairs' wallets are as
    /// last read. The pairs listed are noted as used (`AccountState::isolated_pairs`).
    async fn bitget_isolated_snapshot(
        &self,
        client: &Client,
        run: &AccountRun<'_>,
        st: &mut AccountState,
        full: bool,
        snap: &mut Snapshot,
    ) -> Result<(), SyncError> {
        let label = run.label.as_str();
        let parse_err = |e: VenueError| SyncError::Venue { account: run.key.clone(), source: e };
        let prefix = crate::bitget_isolated::wallet_prefix(label);
        let last = st.balances.as_ref();
        let others_moved =
            last.is_none_or(|b| tick::movement(b, &snap.balances).keys().any(|(acc, _)| !acc.starts_with(&prefix)));
        if !(full || others_moved) {
            let pairs: Vec<String> =
                last.into_iter().flatten().map(|(w, _)| w).filter(|w| w.starts_with(&prefix)).cloned().collect();
            for wallet in pairs {
                snap.keep_last(st, wallet);
            }
            return Ok(());
        }
        let d = self.snapshot_call(client, run, &BITGET_MARGIN_ISOLATED_ASSETS, &[]).await?;
        let pairs = parse::bitget::isolated_balances(&d, label, &mut snap.balances).map_err(parse_err)?;
        st.isolated_pairs.extend(pairs);
        st.isolated_at = Some(run.now);
        Ok(())
    }

    /// A unified Bitget account's balances (unified and funding).
    async fn bitget_unified_snapshot(
        &self,
        client: &Client,
        run: &AccountRun<'_>,
        snap: &mut Snapshot,
    ) -> Result<(), SyncError> {
        let label = run.label.as_str();
        let parse_err = |e: VenueError| SyncError::Venue { account: run.key.clone(), source: e };
        let d = self.snapshot_call(client, run, &BITGET_UNIFIED_ASSETS, &[]).await?;
        parse::bitget::unified_balances(&d, label, &mut snap.balances).map_err(parse_err)?;
        let d = self.snapshot_call(client, run, &BITGET_UNIFIED_FUNDING_ASSETS, &[]).await?;
        parse::bitget::unified_funding_balances(&d, label, &mut snap.balances).map_err(parse_err)?;
        Ok(())
    }

    /// Every stream from its cursor (what a sync did before incremental ticks): the backfill, the hourly cycle, and
    /// the escalation of a tick whose reads did not explain what moved. Streams already read in this tick are not
    /// read again.
    async fn full_cycle(
        &self,
        client: &Client,
        cx: &RefCell<Cx<'_, '_>>,
        mode: AccountMode,
        key: &str,
        label: &str,
        balances: &Balances,
    ) -> Result<(), SyncError> {
        let copy_trading = cx.borrow().run.copy_trading;
        match mode {
            AccountMode::Binance if copy_trading => self.lead_cycle(client, cx, key, mode).await,
            AccountMode::Binance => self.binance_cycle(client, cx, key, label, balances).await,
            AccountMode::BitgetClassic | AccountMode::BitgetUnified => {
                self.bitget_cycle(client, cx, mode, key, label, balances).await
            }
        }
    }

    /// A Binance account's full cycle: the spot host's streams (then the spot fills of the symbols of the assets
    /// found, the delisted pairs and margin) beside the futures hosts' (then the fills of the symbols and pairs
    /// found), each within its own host's budget.
    async fn binance_cycle(
        &self,
        client: &Client,
        cx: &RefCell<Cx<'_, '_>>,
        key: &str,
        label: &str,
        balances: &Balances,
    ) -> Result<(), SyncError> {
        let mode = AccountMode::Binance;
        // The spot host (`/api`, `/sapi`) and the futures hosts (`/fapi`, `/dapi`) have separate weight
        // limits: their streams run at the same time, each within its own host's budget.
        let (futures_side, spot_side): (Vec<Stream>, Vec<Stream>) =
            Stream::independent(mode).iter().partition(|s| s.spec().endpoint.host != Host::BinanceSpot);
        let earn = cx.borrow().moved.earn_in_full;
        let staking = cx.borrow().moved.staking_in_full;
        let spot = async move {
            for stream in spot_side {
                let fiat_orders = Stream::BINANCE_FIAT_ORDERS.contains(&stream);
                let skipped_staking = !staking && Stream::BINANCE_STAKING.contains(&stream);
                if (!earn && Stream::BINANCE_EARN.contains(&stream)) || fiat_orders || skipped_staking {
                    continue;
                }
                self.run_stream(client, cx, stream, plan::instances(stream, &[], &[])).await?;
            }
            self.fiat_orders(client, cx, key).await?;
            // spot fills of the symbols whose assets were found so far
            let symbols: Vec<String> = {
                let c = cx.borrow();
                let st = &c.state.accounts[key];
                st.symbols
                    .symbols
                    .iter()
                    .filter(|(s, _)| !st.delisted.contains_key(*s))
                    .filter(|(_, (b, q))| st.assets.contains(b) || st.assets.contains(q))
                    .map(|(s, _)| s.clone())
                    .collect()
            };
            let instances = plan::instances(Stream::Binance(BinanceStream::SpotTrades), &symbols, &[]);
            self.run_stream(client, cx, Stream::Binance(BinanceStream::SpotTrades), instances).await?;
            // the pairs exchangeInfo no longer lists: those found, then the candidates
            self.find_delisted(client, cx, key).await?;
            self.margin_full(client, cx, key, label, balances).await?;
            // and those whose assets listed pairs name, which the spot wallet's residuals betray
            self.find_unlisted(client, cx, key, label, balances).await
        };
        let futures = async move {
            self.run_streams(client, cx, &futures_side).await?;
            // fills of the symbols of income rows and open positions
            let symbols: Vec<String> = cx.borrow().state.accounts[key].futures_symbols.iter().cloned().collect();
            let instances = plan::instances(Stream::Binance(BinanceStream::FuturesTrades), &symbols, &[]);
            self.run_stream(client, cx, Stream::Binance(BinanceStream::FuturesTrades), instances).await?;
            // COIN-M fills of the pairs of income rows and open positions
            let pairs: Vec<String> = cx.borrow().state.accounts[key].coinm_pairs.iter().cloned().collect();
            let instances = plan::instances(Stream::Binance(BinanceStream::CoinmTrades), &pairs, &[]);
            self.run_stream(client, cx, Stream::Binance(BinanceStream::CoinmTrades), instances).await
        };
        both(spot, futures).await
    }

    /// A Bitget account's full cycle: the streams that need no discovery, the other product types' bills and fills,
    /// the streams that need the assets found so far, and a copy-trading account's own.
    async fn bitget_cycle(
        &self,
        client: &Client,
        cx: &RefCell<Cx<'_, '_>>,
        mode: AccountMode,
        key: &str,
        label: &str,
        balances: &Balances,
    ) -> Result<(), SyncError> {
        let copy_trading = cx.borrow().run.copy_trading;
        // streams that need no discovery (the Earn records unless an hourly cycle finds neither spot nor an Earn wallet
        // moved)
        let earn = cx.borrow().moved.earn_in_full;
        let streams: Vec<Stream> =
            Stream::independent(mode).iter().copied().filter(|s| earn || !Stream::BITGET_EARN.contains(s)).collect();
        self.run_streams(client, cx, &streams).await?;
        // the COIN-M and USDC-M bills and fills of the product types in use (all of them on a first sync)
        let others =
            if mode == AccountMode::BitgetClassic { other_products(&cx.borrow().state.accounts[key]) } else { vec![] };
        let product_streams = [
            Stream::Bitget(BitgetStream::FuturesBills),
            Stream::Bitget(BitgetStream::FuturesFills),
            Stream::Bitget(BitgetStream::TaxFutures),
        ];
        for stream in product_streams.into_iter().filter(|_| !others.is_empty()) {
            self.run_stream(client, cx, stream, product_instances(&others)).await?;
        }
        // streams that need the assets found so far
        let instances = if mode == AccountMode::BitgetClassic {
            // cross margin's coins (when it is in use): read out of it, and out of spot and USDT-M into it
            let margin = if self.bitget_margin_full(client, cx, key, label, balances).await? {
                crate::margin::bitget_coins(&cx.borrow().state.accounts[key], balances, label)
            } else {
                Vec::new()
            };
            // the isolated pairs' coins (when in use): read out of them, and out of spot and USDT-M into them
            let isolated = self.bitget_isolated_full(client, cx, key, label, balances).await?;
            // USDT-M futures move USDT (plus whatever the futures wallets hold): those are the coins that can have
            // been transferred between the spot and futures wallets
            let mut coins: BTreeSet<String> = BTreeSet::from(["USDT".to_string()]);
            coins.extend(margin.iter().cloned());
            coins.extend(isolated.iter().cloned());
            let wallets: Vec<&str> = others.iter().filter_map(|p| parse::bitget::futures_wallet(p)).collect();
            for w in wallets.iter().copied().chain(["futures"]) {
                coins.extend(balances.get(&format!("bitget/{label}/{w}")).into_iter().flat_map(|b| b.keys().cloned()));
            }
            let coins: Vec<String> = coins.into_iter().collect();
            let mut instances = bitget_transfer_instances(&coins, &wallets);
            instances.extend(bitget_transfer_instances(&margin, &[parse::bitget::MARGIN_WALLET]));
            instances.extend(bitget_transfer_instances(&isolated, &[parse::bitget::ISOLATED_WALLET_PREFIX]));
            (Stream::Bitget(BitgetStream::Transfers), instances)
        } else {
            // convert records need both coins: every ordered pair of the coins found so far
            let coins: Vec<String> = cx.borrow().state.accounts[key].assets.iter().cloned().collect();
            (
                Stream::Bitget(BitgetStream::UnifiedConverts),
                plan::instances(Stream::Bitget(BitgetStream::UnifiedConverts), &[], &coins),
            )
        };
        self.run_stream(client, cx, instances.0, instances.1).await?;
        if copy_trading {
            self.bitget_copy_cycle(client, cx, key, mode).await?;
        }
        Ok(())
    }

    /// A Bitget copy-trading account's streams in a full cycle (docs/sync.md, "Copy-trading accounts"): the
    /// follower's orders, and the trader's orders and profit shares unless the account answered "not a trader"
    /// less than a week ago. A trader's read answering so is no error: the account is a follower, remembered.
    async fn bitget_copy_cycle(
        &self,
        client: &Client,
        cx: &RefCell<Cx<'_, '_>>,
        key: &str,
        mode: AccountMode,
    ) -> Result<(), SyncError> {
        let now = cx.borrow().run.now;
        let asked = cx.borrow().state.accounts[key].not_a_trader_at;
        let mut follower = asked.is_some_and(|t| now - t < crate::delisted::RETRY_MS);
        for &stream in Stream::copy_trading(mode) {
            let trader = stream != Stream::Bitget(BitgetStream::CopyFollowerOrders);
            if trader && follower {
                continue;
            }
            match self.run_stream(client, cx, stream, plan::instances(stream, &[], &[])).await {
                Err(SyncError::Venue { source, .. }) if trader && source.problem() == Some(ApiProblem::NotATrader) => {
                    follower = true;
                    cx.borrow_mut().state.accounts.get_mut(key).expect("account state").not_a_trader_at = Some(now);
                }
                Ok(()) if trader => {
                    cx.borrow_mut().state.accounts.get_mut(key).expect("account state").not_a_trader_at = None;
                }
                other => other?,
            }
        }
        Ok(())
    }

    /// Bitget cross margin in a full cycle (docs/sync.md, "Margin"): when its balances were read in this tick and the
    /// account uses it, the finance flow and the interest history, then the fills of the symbols its assets make
    /// ([`crate::margin::bitget_fill_symbols`]). Whether it read them (its transfers are then read too).
    async fn bitget_margin_full(
        &self,
        client: &Client,
        cx: &RefCell<Cx<'_, '_>>,
        key: &str,
        label: &str,
        balances: &Balances,
    ) -> Result<bool, SyncError> {
        if !cx.borrow().moved.margin_in_full {
            return Ok(false);
        }
        self.run_streams(client, cx, &Stream::BITGET_MARGIN).await?;
        let symbols = crate::margin::bitget_fill_symbols(&cx.borrow().state.accounts[key], balances, label);
        let instances = plan::instances(Stream::Bitget(BitgetStream::MarginFills), &symbols, &[]);
        self.run_stream(client, cx, Stream::Bitget(BitgetStream::MarginFills), instances).await?;
        Ok(true)
    }

    /// Bitget isolated margin in a full cycle (docs/sync.md, "Bitget isolated margin"): on the account's first sync
    /// and once it uses a pair, the margin tax record's isolated rows (which name the pairs with a history, a pair
    /// closed before the first sync too), then per pair used the finance flow, the interest history and the fills.
    /// The coins whose transfers to and from the pairs are to be read (none when not in use).
    async fn bitget_isolated_full(
        &self,
        client: &Client,
        cx: &RefCell<Cx<'_, '_>>,
        key: &str,
        label: &str,
        balances: &Balances,
    ) -> Result<Vec<String>, SyncError> {
        let (first, used) = {
            let c = cx.borrow();
            let st = &c.state.accounts[key];
            (st.backfilled_at.is_none(), !st.isolated_pairs.is_empty())
        };
        if !(first || used) {
            return Ok(Vec::new());
        }
        let tax = plan::instances(Stream::Bitget(BitgetStream::TaxIsolated), &[], &[]);
        self.run_stream(client, cx, Stream::Bitget(BitgetStream::TaxIsolated), tax).await?;
        let pairs: Vec<String> = cx.borrow().state.accounts[key].isolated_pairs.iter().cloned().collect();
        for stream in Stream::BITGET_ISOLATED {
            self.run_stream(client, cx, stream, plan::instances(stream, &pairs, &[])).await?;
        }
        Ok(crate::bitget_isolated::coins(&cx.borrow().state.accounts[key], balances, label))
    }

    /// A Binance lead portfolio's full cycle (docs/venues.md §1.17): its income, then the fills of the symbols of
    /// income rows and open positions; no spot, wallet or COIN-M stream (its key has a futures wallet only).
    async fn lead_cycle(
        &self,
        client: &Client,
        cx: &RefCell<Cx<'_, '_>>,
        key: &str,
        mode: AccountMode,
    ) -> Result<(), SyncError> {
        self.run_streams(client, cx, Stream::copy_trading(mode)).await?;
        let symbols: Vec<String> = cx.borrow().state.accounts[key].futures_symbols.iter().cloned().collect();
        let instances = plan::instances(Stream::Binance(BinanceStream::FuturesTrades), &symbols, &[]);
        self.run_stream(client, cx, Stream::Binance(BinanceStream::FuturesTrades), instances).await
    }

    /// Binance margin in a full cycle (docs/sync.md, "Margin"): its histories and each isolated pair's (with the
    /// pair's fills and transfers), when the margin balances were read in this tick, then the margin fills of the
    /// symbols [`crate::margin::fill_symbols`] names; the symbols and pairs named that cannot be read join the assets
    /// whose trades were not found.
    async fn margin_full(
        &self,
        client: &Client,
        cx: &RefCell<Cx<'_, '_>>,
        key: &str,
        label: &str,
        balances: &Balances,
    ) -> Result<(), SyncError> {
        let mut isolated_unfound = BTreeMap::new();
        if cx.borrow().moved.margin_in_full {
            self.run_streams(client, cx, &Stream::BINANCE_MARGIN).await?;
            let (pairs, unfound): (Vec<String>, _) = {
                let st = &cx.borrow().state.accounts[key];
                (st.isolated_pairs.iter().cloned().collect(), crate::margin::isolated_fill_pairs(st))
            };
            for stream in Stream::BINANCE_MARGIN.into_iter().chain([Stream::Binance(BinanceStream::Transfers)]) {
                self.run_stream(client, cx, stream, crate::margin::isolated_instances(stream, &pairs)).await?;
            }
            let (listed, unlisted) = unfound;
            let instances = crate::margin::isolated_instances(Stream::Binance(BinanceStream::MarginTrades), &listed);
            self.run_stream(client, cx, Stream::Binance(BinanceStream::MarginTrades), instances).await?;
            isolated_unfound = unlisted;
        }
        let symbols = crate::margin::fill_symbols(&cx.borrow().state.accounts[key], balances, label);
        let instances = plan::instances(Stream::Binance(BinanceStream::MarginTrades), &symbols, &[]);
        self.run_stream(client, cx, Stream::Binance(BinanceStream::MarginTrades), instances).await?;
        let mut c = cx.borrow_mut();
        let Cx { run, state, .. } = &mut *c;
        let st = state.accounts.get_mut(key).expect("account state");
        let unfound = crate::margin::unfound(st);
        st.unfound_trades.extend(unfound);
        st.unfound_trades.extend(isolated_unfound);
        run.sink.checkpoint(state, &[]).map_err(SyncError::Sink)
    }

    /// Binance's fiat deposits and withdrawals in a full cycle (docs/sync.md, "The tick"): each when wanted or not
    /// read for a day ([`FiatOrders`]), the one read longest ago first; one that would wait for the account's UID
    /// weight (90,000 each, 75 % of 180,000 a minute) is left to the next full cycle, its movement shown meanwhile
    /// as a residual that names it, unless it is the first and may wait.
    async fn fiat_orders(&self, client: &Client, cx: &RefCell<Cx<'_, '_>>, key: &str) -> Result<(), SyncError> {
        let (now, FiatOrders { wanted, may_wait }) = (cx.borrow().run.now, cx.borrow().moved.fiat_orders);
        let mut due: Vec<(Option<i64>, Stream)> = {
            let read_at = &cx.borrow().state.accounts[key].fiat_orders_at;
            Stream::BINANCE_FIAT_ORDERS.iter().map(|s| (read_at.get(s).copied(), *s)).collect()
        };
        due.retain(|(at, _)| wanted || at.is_none_or(|t| now - t >= DAY));
        due.sort();
        for (i, (_, stream)) in due.into_iter().enumerate() {
            if (i > 0 || !may_wait) && self.would_wait(client, key, stream.spec().endpoint) {
                self.progress(&mut cx.borrow_mut().run, "fiat orders: the rest in the next full cycle (UID weight)");
                continue;
            }
            self.run_stream(client, cx, stream, plan::instances(stream, &[], &[])).await?;
            cx.borrow_mut().state.accounts.get_mut(key).expect("account state").fiat_orders_at.insert(stream, now);
        }
        Ok(())
    }

    /// Whether a request to `endpoint` for `account` would have to wait for the weight budget now.
    fn would_wait(&self, client: &Client, account: &str, endpoint: &'static Endpoint) -> bool {
        let (meter, limit, window) = Meter::of(endpoint, account);
        let now = self.transport.now_ms() + client.clock_offset_ms();
        self.budget.borrow_mut().wait_ms(&meter, limit, window, endpoint.weight(""), now) > 0
    }

    /// Reads the delisted pairs found so far from their cursors, then asks `myTrades` for the candidate pairs of
    /// the assets no listed symbol names (docs/sync.md, "Delisted pairs"; [`crate::delisted`]): a pair that
    /// answers trades is kept as a delisted symbol, read from its cursor from then on; one that answers -1121 (no
    /// such pair) or no trades is remembered, never an error (a kept pair that answers -1121 is no longer kept).
    /// Then lists the assets whose trades were not found.
    async fn find_delisted(&self, client: &Client, cx: &RefCell<Cx<'_, '_>>, key: &str) -> Result<(), SyncError> {
        let now = cx.borrow().run.now;
        let known: Vec<String> = cx.borrow().state.accounts[key].delisted.keys().cloned().collect();
        for symbol in known {
            let instances =
                plan::instances(Stream::Binance(BinanceStream::SpotTrades), std::slice::from_ref(&symbol), &[]);
            match self.run_stream(client, cx, Stream::Binance(BinanceStream::SpotTrades), instances).await {
                Err(SyncError::Venue { source, .. }) if source.problem() == Some(ApiProblem::UnknownSymbol) => {
                    let mut c = cx.borrow_mut();
                    let st = c.state.accounts.get_mut(key).expect("account state");
                    st.delisted.remove(&symbol);
                    st.symbols.symbols.remove(&symbol);
                    st.no_pair.insert(symbol, now);
                }
                other => other?,
            }
        }
        let candidates = crate::delisted::candidates(&cx.borrow().state.accounts[key], now);
        self.probe_pairs(client, cx, key, candidates).await
    }

    /// The pairs `exchangeInfo` no longer lists whose assets listed pairs still name (docs/sync.md, "Delisted
    /// pairs"): the spot assets whose balance (`balances`, this tick's reading) the ledger does not explain, from
    /// the sink's ledger when it has one at hand, else as the caller noted them, asked against each other.
    async fn find_unlisted(
        &self,
        client: &Client,
        cx: &RefCell<Cx<'_, '_>>,
        key: &str,
        label: &str,
        balances: &Balances,
    ) -> Result<(), SyncError> {
        let spot = wallet(AccountMode::Binance, label, "spot");
        let now = cx.borrow().run.now;
        let ledger = cx.borrow().run.sink.wallet_ledger(&spot, now);
        if let Some(ledger) = ledger {
            let mut c = cx.borrow_mut();
            let st = c.state.accounts.get_mut(key).expect("account state");
            st.suspects = crate::delisted::unexplained(balances.get(&spot), &ledger);
        }
        let candidates = crate::delisted::suspect_candidates(&cx.borrow().state.accounts[key], now);
        if candidates.is_empty() {
            return Ok(());
        }
        self.probe_pairs(client, cx, key, candidates).await
    }

    /// Asks `myTrades` for each candidate pair (symbol -> base, quote) from its start: one that answers trades is
    /// kept as a delisted pair (and its trades read), one that answers -1121 or nothing is remembered. Then the
    /// assets whose trades were not found are listed again, and the state checkpointed.
    async fn probe_pairs(
        &self,
        client: &Client,
        cx: &RefCell<Cx<'_, '_>>,
        key: &str,
        candidates: Vec<(String, (String, String))>,
    ) -> Result<(), SyncError> {
        let now = cx.borrow().run.now;
        for (symbol, pair) in candidates {
            cx.borrow_mut().probes.symbols.insert(symbol.clone(), pair.clone());
            let instances =
                plan::instances(Stream::Binance(BinanceStream::SpotTrades), std::slice::from_ref(&symbol), &[]);
            let task_key = plan::task_key(Stream::Binance(BinanceStream::SpotTrades), &instances[0]);
            let answer = self.run_stream(client, cx, Stream::Binance(BinanceStream::SpotTrades), instances).await;
            let mut c = cx.borrow_mut();
            c.probes.symbols.remove(&symbol);
            let st = c.state.accounts.get_mut(key).expect("account state");
            match answer {
                // a cursor means it answered rows: a pair the account traded on
                Ok(()) if st.next_id.contains_key(&task_key) => {
                    st.no_pair.remove(&symbol);
                    st.symbols.symbols.insert(symbol.clone(), pair.clone());
                    st.delisted.insert(symbol, pair);
                }
                Ok(()) => {
                    st.no_pair.insert(symbol, now);
                }
                Err(SyncError::Venue { source, .. }) if source.problem() == Some(ApiProblem::UnknownSymbol) => {
                    st.no_pair.insert(symbol, now);
                }
                Err(e) => return Err(e),
            }
        }
        let mut c = cx.borrow_mut();
        let Cx { run, state, .. } = &mut *c;
        let st = state.accounts.get_mut(key).expect("account state");
        st.unfound_trades = crate::delisted::unfound(st);
        run.sink.checkpoint(state, &[]).map_err(SyncError::Sink)
    }

    /// The streams that can explain what moved, and nothing else (docs/sync.md): a wallet that did not move has no
    /// new rows to read. Binance spot fills are read per symbol, first those whose base and quote both moved
    /// unexplained, then those with either; the UID-heavy withdrawal and convert histories only in a full cycle.
    /// An incremental tick: the streams that can explain what moved since the last tick (docs/sync.md).
    async fn incremental(
        &self,
        client: &Client,
        cx: &RefCell<Cx<'_, '_>>,
        mode: AccountMode,
        key: &str,
        label: &str,
    ) -> Result<(), SyncError> {
        let copy_trading = cx.borrow().run.copy_trading;
        match mode {
            AccountMode::Binance if copy_trading => self.lead_incremental(client, cx, label).await,
            AccountMode::Binance => self.binance_incremental(client, cx, key, label).await,
            AccountMode::BitgetClassic => self.bitget_classic_incremental(client, cx, label).await,
            AccountMode::BitgetUnified => self.bitget_unified_incremental(client, cx, label).await,
        }
    }

    /// Reads each of `streams` whole (one instance: no symbol or coin parameter).
    async fn run_streams(
        &self,
        client: &Client,
        cx: &RefCell<Cx<'_, '_>>,
        streams: &[Stream],
    ) -> Result<(), SyncError> {
        for &stream in streams {
            self.run_stream(client, cx, stream, plan::instances(stream, &[], &[])).await?;
        }
        Ok(())
    }

    /// Margin in an incremental tick where its wallet moved: its loans and interest, then the fills of the pairs
    /// whose assets moved unexplained (the capital flow, weight 100, in full cycles only).
    async fn margin_incremental(
        &self,
        client: &Client,
        cx: &RefCell<Cx<'_, '_>>,
        key: &str,
        label: &str,
    ) -> Result<(), SyncError> {
        let streams = [
            Stream::Binance(BinanceStream::MarginBorrows),
            Stream::Binance(BinanceStream::MarginRepays),
            Stream::Binance(BinanceStream::MarginInterest),
        ];
        self.run_streams(client, cx, &streams).await?;
        let symbols = {
            let c = cx.borrow();
            let assets = c.check.as_ref().map(|c| c.unexplained_in(&wallet(AccountMode::Binance, label, "margin")));
            tick::symbols_for(&c.state.accounts[key].symbols, &assets.unwrap_or_default(), false)
        };
        let instances = plan::instances(Stream::Binance(BinanceStream::MarginTrades), &symbols, &[]);
        self.run_stream(client, cx, Stream::Binance(BinanceStream::MarginTrades), instances).await
    }

    /// Isolated margin in an incremental tick (docs/sync.md, "Margin"): the transfers between cross margin and each
    /// pair when cross margin moved, and of a pair whose wallet moved; then that pair's loans, interest and fills.
    async fn isolated_incremental(
        &self,
        client: &Client,
        cx: &RefCell<Cx<'_, '_>>,
        key: &str,
        label: &str,
        margin_moved: bool,
    ) -> Result<(), SyncError> {
        let pairs: Vec<String> = cx.borrow().state.accounts[key].isolated_pairs.iter().cloned().collect();
        let pair_moved = |p: &String| moved(cx, AccountMode::Binance, label, &parse::binance::isolated_wallet(p));
        let moved_pairs: Vec<String> = pairs.iter().filter(|p| pair_moved(p)).cloned().collect();
        let transfer_pairs = if margin_moved { &pairs } else { &moved_pairs };
        let instances = crate::margin::isolated_instances(Stream::Binance(BinanceStream::Transfers), transfer_pairs);
        self.run_stream(client, cx, Stream::Binance(BinanceStream::Transfers), instances).await?;
        for stream in [
            Stream::Binance(BinanceStream::MarginBorrows),
            Stream::Binance(BinanceStream::MarginRepays),
            Stream::Binance(BinanceStream::MarginInterest),
        ] {
            self.run_stream(client, cx, stream, crate::margin::isolated_instances(stream, &moved_pairs)).await?;
        }
        // the fills of a pair the symbol list has (a full cycle names the others as unfound)
        let listed = crate::margin::isolated_fill_pairs(&cx.borrow().state.accounts[key]).0;
        let fill_pairs: Vec<String> = moved_pairs.into_iter().filter(|p| listed.contains(p)).collect();
        let instances = crate::margin::isolated_instances(Stream::Binance(BinanceStream::MarginTrades), &fill_pairs);
        self.run_stream(client, cx, Stream::Binance(BinanceStream::MarginTrades), instances).await
    }

    /// The spot side's end of a Binance incremental tick: the fills of the symbols whose base and quote both moved
    /// unexplained, then of either; then the staking histories when a staking asset is still unexplained in spot
    /// (docs/venues.md §1.16).
    async fn unexplained_spot_fills(
        &self,
        client: &Client,
        cx: &RefCell<Cx<'_, '_>>,
        key: &str,
        label: &str,
    ) -> Result<(), SyncError> {
        let spot = wallet(AccountMode::Binance, label, "spot");
        for both_sides in [true, false] {
            let symbols = {
                let c = cx.borrow();
                let Some(check) = c.check.as_ref() else { break };
                let assets = check.unexplained_in(&spot);
                tick::symbols_for(&c.state.accounts[key].symbols, &assets, both_sides)
            };
            if !symbols.is_empty() {
                let instances = plan::instances(Stream::Binance(BinanceStream::SpotTrades), &symbols, &[]);
                self.run_stream(client, cx, Stream::Binance(BinanceStream::SpotTrades), instances).await?;
            }
        }
        let staking = cx
            .borrow()
            .check
            .as_ref()
            .is_some_and(|c| c.unexplained_in(&spot).iter().any(|a| Stream::STAKING_ASSETS.contains(&a.as_str())));
        if staking {
            self.run_streams(client, cx, &Stream::BINANCE_STAKING).await?;
        }
        Ok(())
    }

    /// A Binance account's incremental tick: the spot host's streams and the futures host's at the same time.
    async fn binance_incremental(
        &self,
        client: &Client,
        cx: &RefCell<Cx<'_, '_>>,
        key: &str,
        label: &str,
    ) -> Result<(), SyncError> {
        let mode = AccountMode::Binance;
        let (spot_moved, usdm_moved) = (moved(cx, mode, label, "spot"), moved(cx, mode, label, "usdm"));
        let coinm_moved = moved(cx, mode, label, "coinm");
        let funding_moved = moved(cx, mode, label, "funding");
        let margin_moved = moved(cx, mode, label, "margin");
        // the Earn histories when the earn wallet moved, or spot on the day's first tick (locked rewards are
        // paid to spot)
        let earn_moved = moved(cx, mode, label, "earn") || (spot_moved && cx.borrow().moved.new_day);
        let spot = async move {
            if spot_moved {
                self.run_streams(
                    client,
                    cx,
                    &[
                        Stream::Binance(BinanceStream::Deposits),
                        Stream::Binance(BinanceStream::Dust),
                        Stream::Binance(BinanceStream::Dividends),
                    ],
                )
                .await?;
            }
            if earn_moved {
                self.run_streams(client, cx, &Stream::BINANCE_EARN).await?;
            }
            // transfers of the types whose sending or receiving wallet moved
            let wallet_moved = |w: &str| match w {
                "spot" => spot_moved,
                "usdm" => usdm_moved,
                "coinm" => coinm_moved,
                "margin" => margin_moved,
                _ => funding_moved,
            };
            let types: Vec<Vec<(&'static str, String)>> = venues::parse::binance::TRANSFER_TYPES
                .iter()
                .filter(|(_, from, to)| wallet_moved(from) || wallet_moved(to))
                .map(|(t, _, _)| vec![("type", t.to_string())])
                .collect();
            self.run_stream(client, cx, Stream::Binance(BinanceStream::Transfers), types).await?;
            if margin_moved {
                self.margin_incremental(client, cx, key, label).await?;
            }
            self.isolated_incremental(client, cx, key, label, margin_moved).await?;
            self.unexplained_spot_fills(client, cx, key, label).await
        };
        let futures = async move {
            if usdm_moved {
                self.run_streams(client, cx, &[Stream::Binance(BinanceStream::Income)]).await?;
            }
            // fills of the symbols with new income rows or a position that changed
            let symbols: Vec<String> = {
                let c = cx.borrow();
                c.moved.income_symbols.union(&c.moved.positions).cloned().collect()
            };
            let instances = plan::instances(Stream::Binance(BinanceStream::FuturesTrades), &symbols, &[]);
            self.run_stream(client, cx, Stream::Binance(BinanceStream::FuturesTrades), instances).await?;
            // COIN-M: income when its wallet moved, then the fills of the pairs with new income rows
            if coinm_moved {
                self.run_streams(client, cx, &[Stream::Binance(BinanceStream::CoinmIncome)]).await?;
            }
            let pairs: Vec<String> = cx.borrow().moved.coinm_pairs.iter().cloned().collect();
            let instances = plan::instances(Stream::Binance(BinanceStream::CoinmTrades), &pairs, &[]);
            self.run_stream(client, cx, Stream::Binance(BinanceStream::CoinmTrades), instances).await
        };
        both(spot, futures).await
    }

    /// A Binance lead portfolio's incremental tick: its income when the futures wallet moved, then the fills of the
    /// symbols with new income rows or a position that changed.
    async fn lead_incremental(&self, client: &Client, cx: &RefCell<Cx<'_, '_>>, label: &str) -> Result<(), SyncError> {
        if moved(cx, AccountMode::Binance, label, "usdm") {
            let stream = Stream::Binance(BinanceStream::LeadIncome);
            self.run_stream(client, cx, stream, plan::instances(stream, &[], &[])).await?;
        }
        let symbols: Vec<String> = {
            let c = cx.borrow();
            c.moved.income_symbols.union(&c.moved.positions).cloned().collect()
        };
        let instances = plan::instances(Stream::Binance(BinanceStream::FuturesTrades), &symbols, &[]);
        self.run_stream(client, cx, Stream::Binance(BinanceStream::FuturesTrades), instances).await
    }

    /// A Bitget classic account's incremental tick.
    async fn bitget_classic_incremental(
        &self,
        client: &Client,
        cx: &RefCell<Cx<'_, '_>>,
        label: &str,
    ) -> Result<(), SyncError> {
        let mode = AccountMode::BitgetClassic;
        let (spot_moved, futures_moved) = (moved(cx, mode, label, "spot"), moved(cx, mode, label, "futures"));
        let positions_moved = !cx.borrow().moved.positions.is_empty();
        let mut streams = Vec::new();
        if spot_moved {
            streams.extend([
                Stream::Bitget(BitgetStream::Deposits),
                Stream::Bitget(BitgetStream::Withdrawals),
                Stream::Bitget(BitgetStream::SpotFills),
                Stream::Bitget(BitgetStream::Converts),
                Stream::Bitget(BitgetStream::BgbConverts),
            ]);
        }
        if futures_moved || positions_moved {
            streams.extend([Stream::Bitget(BitgetStream::FuturesBills), Stream::Bitget(BitgetStream::FuturesFills)]);
        }
        // Earn savings: a subscription, a redemption or interest moves spot (docs/venues.md §2.14)
        if spot_moved || moved(cx, mode, label, "earn") {
            streams.push(Stream::Bitget(BitgetStream::Savings));
        }
        // Earn shark fin (docs/venues.md §2.16): a subscription or a settlement moves the shark fin wallet
        if moved(cx, mode, label, parse::bitget::SHARKFIN_WALLET) {
            streams.push(Stream::Bitget(BitgetStream::Sharkfin));
        }
        // Earn crypto loans (docs/venues.md §2.17): a borrow, a repay moves the loan wallet's collateral or debt
        if moved(cx, mode, label, parse::bitget::LOAN_WALLET) {
            streams.extend(Stream::BITGET_LOANS);
        }
        self.run_streams(client, cx, &streams).await?;
        // transfers of the coins that moved in both wallets
        let coins: Vec<String> = assets_moved(cx, mode, label, "spot")
            .intersection(&assets_moved(cx, mode, label, "futures"))
            .cloned()
            .collect();
        let instances = plan::instances(Stream::Bitget(BitgetStream::Transfers), &[], &coins);
        self.run_stream(client, cx, Stream::Bitget(BitgetStream::Transfers), instances).await?;
        self.bitget_other_futures_incremental(client, cx, label, positions_moved).await?;
        self.bitget_margin_incremental(client, cx, label).await?;
        self.bitget_isolated_incremental(client, cx, label).await
    }

    /// Bitget isolated margin in an incremental tick (docs/sync.md, "Bitget isolated margin"): for each pair whose
    /// wallet moved, its finance flow and interest, the transfers of the coins that moved in the pairs (to and from
    /// them), then the fills of the pairs with an asset still unexplained.
    async fn bitget_isolated_incremental(
        &self,
        client: &Client,
        cx: &RefCell<Cx<'_, '_>>,
        label: &str,
    ) -> Result<(), SyncError> {
        let prefix = crate::bitget_isolated::wallet_prefix(label);
        let (pairs, coins) = {
            let c = cx.borrow();
            let moved = c.check.as_ref().map(|c| c.moved().keys().cloned().collect::<Vec<_>>()).unwrap_or_default();
            let mine = moved.into_iter().filter(|(w, _)| w.starts_with(&prefix));
            let (mut pairs, mut coins) = (BTreeSet::new(), BTreeSet::new());
            for (w, asset) in mine {
                pairs.insert(w[prefix.len()..].to_string());
                coins.insert(asset);
            }
            (pairs.into_iter().collect::<Vec<String>>(), coins.into_iter().collect::<Vec<String>>())
        };
        if pairs.is_empty() {
            return Ok(());
        }
        for stream in [Stream::Bitget(BitgetStream::IsolatedFlow), Stream::Bitget(BitgetStream::IsolatedInterest)] {
            self.run_stream(client, cx, stream, plan::instances(stream, &pairs, &[])).await?;
        }
        let instances = bitget_transfer_instances(&coins, &[parse::bitget::ISOLATED_WALLET_PREFIX]);
        self.run_stream(client, cx, Stream::Bitget(BitgetStream::Transfers), instances).await?;
        let unexplained: Vec<String> = {
            let c = cx.borrow();
            let check = c.check.as_ref();
            pairs
                .iter()
                .filter(|p| check.is_some_and(|c| !c.unexplained_in(&format!("{prefix}{p}")).is_empty()))
                .cloned()
                .collect()
        };
        let instances = plan::instances(Stream::Bitget(BitgetStream::IsolatedFills), &unexplained, &[]);
        self.run_stream(client, cx, Stream::Bitget(BitgetStream::IsolatedFills), instances).await
    }

    /// Bitget cross margin in an incremental tick where its wallet moved (docs/sync.md, "Margin"): the finance flow
    /// and the interest, the transfers of the coins that moved in it (to and from it), then the fills of the symbols
    /// with an asset still unexplained in it.
    async fn bitget_margin_incremental(
        &self,
        client: &Client,
        cx: &RefCell<Cx<'_, '_>>,
        label: &str,
    ) -> Result<(), SyncError> {
        let (mode, margin) = (AccountMode::BitgetClassic, parse::bitget::MARGIN_WALLET);
        if !moved(cx, mode, label, margin) {
            return Ok(());
        }
        self.run_streams(client, cx, &Stream::BITGET_MARGIN).await?;
        let coins: Vec<String> = assets_moved(cx, mode, label, margin).into_iter().collect();
        let instances = bitget_transfer_instances(&coins, &[margin]);
        self.run_stream(client, cx, Stream::Bitget(BitgetStream::Transfers), instances).await?;
        let symbols = {
            let c = cx.borrow();
            let unexplained =
                c.check.as_ref().map(|c| c.unexplained_in(&wallet(mode, label, margin))).unwrap_or_default();
            let st = &c.state.accounts[&c.run.key];
            let assets = st.margin_assets.iter().map(String::as_str).chain(unexplained.iter().map(String::as_str));
            let symbols = crate::margin::bitget_symbols_of(&assets.collect());
            let names = |s: &String| unexplained.iter().any(|a| s.starts_with(a.as_str()) || s.ends_with(a.as_str()));
            symbols.into_iter().filter(names).collect::<Vec<String>>()
        };
        let instances = plan::instances(Stream::Bitget(BitgetStream::MarginFills), &symbols, &[]);
        self.run_stream(client, cx, Stream::Bitget(BitgetStream::MarginFills), instances).await
    }

    /// The COIN-M and USDC-M part of a Bitget classic incremental tick: a product type's bills and fills when its
    /// wallet moved, or a position moved and it is in use; the transfers of the coins that moved in it and in spot.
    async fn bitget_other_futures_incremental(
        &self,
        client: &Client,
        cx: &RefCell<Cx<'_, '_>>,
        label: &str,
        positions_moved: bool,
    ) -> Result<(), SyncError> {
        let mode = AccountMode::BitgetClassic;
        let key = cx.borrow().run.key.clone();
        let used = other_products(&cx.borrow().state.accounts[&key]);
        for (product, wallet) in parse::bitget::FUTURES_PRODUCTS.into_iter().filter(|(_, w)| *w != "futures") {
            if moved(cx, mode, label, wallet) || (positions_moved && used.contains(&product)) {
                for stream in [Stream::Bitget(BitgetStream::FuturesBills), Stream::Bitget(BitgetStream::FuturesFills)] {
                    self.run_stream(client, cx, stream, product_instances(&[product])).await?;
                }
            }
            let coins: Vec<String> = assets_moved(cx, mode, label, "spot")
                .intersection(&assets_moved(cx, mode, label, wallet))
                .cloned()
                .collect();
            let instances = bitget_transfer_instances(&coins, &[wallet]);
            self.run_stream(client, cx, Stream::Bitget(BitgetStream::Transfers), instances).await?;
        }
        Ok(())
    }

    /// A Bitget unified account's incremental tick.
    async fn bitget_unified_incremental(
        &self,
        client: &Client,
        cx: &RefCell<Cx<'_, '_>>,
        label: &str,
    ) -> Result<(), SyncError> {
        let mode = AccountMode::BitgetUnified;
        if moved(cx, mode, label, "unified") {
            self.run_streams(client, cx, Stream::independent(mode)).await?;
        }
        // converts of the pairs of coins that both moved
        let coins: Vec<String> = assets_moved(cx, mode, label, "unified").into_iter().collect();
        let instances = plan::instances(Stream::Bitget(BitgetStream::UnifiedConverts), &[], &coins);
        self.run_stream(client, cx, Stream::Bitget(BitgetStream::UnifiedConverts), instances).await
    }

    async fn run_stream(
        &self,
        client: &Client,
        cx: &RefCell<Cx<'_, '_>>,
        stream: Stream,
        instances: Vec<Vec<(&'static str, String)>>,
    ) -> Result<(), SyncError> {
        let spec = stream.spec();
        let mut tasks = Vec::new();
        {
            let mut c = cx.borrow_mut();
            let c = &mut *c;
            let (run, state) = (&mut c.run, &mut *c.state);
            for params in instances {
                let key = plan::task_key(stream, &params);
                if !c.read.insert(key.clone()) {
                    continue;
                }
                let st = state.accounts.get_mut(&run.key).expect("account state");
                let covered = st.covered_until.get(&key).copied();
                let history_start = run.history_start - stream.lookback();
                let floor = plan::start_of(&spec, None, history_start, run.now);
                if let Some(c) = covered
                    && spec.span.is_some()
                {
                    // the history now starts before what this stream was read from: read the older windows, newest
                    // first (each one extends `covered_from` backwards, so an interrupted run resumes cleanly)
                    let from = *st.covered_from.entry(key.clone()).or_insert(floor.min(c));
                    if floor < from {
                        for window in plan::windows(&spec, floor, from - 1).into_iter().rev() {
                            tasks.push(Task { stream, key: key.clone(), params: params.clone(), window, older: true });
                        }
                    }
                }
                if self.options.fresh_ms > 0
                    && covered.is_some_and(|c| c >= run.now - SETTLE_MS - self.options.fresh_ms)
                {
                    continue;
                }
                let start = plan::start_of(&spec, covered, history_start, run.now);
                for window in plan::windows(&spec, start, run.now) {
                    tasks.push(Task { stream, key: key.clone(), params: params.clone(), window, older: false });
                }
            }
            run.total += tasks.len();
        }
        for task in tasks {
            self.run_task(client, cx, &task).await?;
            let mut c = cx.borrow_mut();
            c.run.done += 1;
            self.progress(&mut c.run, &task.key);
        }
        Ok(())
    }

    async fn run_task(&self, client: &Client, cx: &RefCell<Cx<'_, '_>>, task: &Task) -> Result<(), SyncError> {
        let spec = task.stream.spec();
        let limit = spec.limit;
        let (key, label) = {
            let c = cx.borrow();
            (c.run.key.clone(), c.run.label.clone())
        };
        let venue_err = |source| SyncError::Venue { account: key.clone(), source };
        let from_id = cx.borrow().state.accounts[&key].next_id.get(&task.key).copied().unwrap_or(0);
        let mut pager = Pager::new(spec.paging, limit, task.window, from_id);
        let mut task_rows = 0usize;
        // a tax task's checked rows, up to what the window will cover (docs/venues.md §2.13), kept in the state
        // with the cursor once the window is read whole, so that a resumed window is not counted twice
        let tax = tax_records_of(task.stream, &task.params);
        let mut tally: BTreeMap<String, Decimal> = BTreeMap::new();
        let now = cx.borrow().run.now;
        let tax_until = task.window.map_or(now, |(_, end)| if task.older { end } else { end.min(now - SETTLE_MS) });
        loop {
            let mut params = task.params.clone();
            pager.params(&mut params);
            let reply = self.call(client, &key, spec.endpoint, &params).await.map_err(venue_err)?;
            let mut c = cx.borrow_mut();
            let Cx { run, state, check, moved, probes, .. } = &mut *c;
            let st = &state.accounts[&key];
            let probing = task.stream == Stream::Binance(BinanceStream::SpotTrades)
                && task.params.first().is_some_and(|(_, s)| probes.symbols.contains_key(s));
            let book = if probing { &*probes } else { &st.symbols };
            let page = parse_page(task.stream, &reply.data, &label, book, &task.params).map_err(venue_err)?;
            if let Some(records) = tax {
                tally_tax(&mut tally, records, &reply.data, &label, tax_until).map_err(venue_err)?;
            }
            if let Some(check) = check {
                check.note(&page.events);
            }
            moved.note_income(&page.events);
            task_rows += page.rows;
            run.rows += page.rows as u64;
            self.live.borrow_mut().count(&page);
            let st = state.accounts.get_mut(&key).expect("account state");
            note_assets(st, &page.events);
            crate::margin::note_assets(st, &page.events);
            // the isolated pairs the events and the isolated margin tax rows name (docs/sync.md, "Bitget isolated
            // margin")
            if task.stream.venue() == Venue::Bitget {
                crate::bitget_isolated::note_pairs(st, &label, &page.events);
            }
            if let Some(records @ parse::bitget::TaxRecords::IsolatedMargin) = tax {
                let rows = parse::bitget::tax_checks(&reply.data, &label, records).map_err(venue_err)?;
                crate::bitget_isolated::note_tax_pairs(st, &label, &rows);
            }
            // the symbols a cross margin page names have cross fills; an isolated pair's fills are its own
            if crate::margin::isolated_symbol(task.stream, &task.params).is_none() {
                st.margin_symbols.extend(page.symbols.iter().cloned());
            }
            let more = pager.advance(&page).map_err(|stuck| {
                venue_err(VenueError::malformed(task.stream.venue(), spec.endpoint.path, stuck.to_string()))
            })?;
            if matches!(spec.paging, Paging::FromId | Paging::FromIdAfter) && page.max_id.is_some() {
                st.next_id.insert(task.key.clone(), pager.from_id);
            }
            if !more && let Some(window) = task.window {
                cover(st, task, window, run.now);
            }
            if !more && let Some(records) = tax {
                let t = st.tax.entry(task.key.clone()).or_default();
                t.wallet = AccountId::new("bitget", &label, records.wallet()).0.to_string();
                for (k, v) in std::mem::take(&mut tally) {
                    *t.sums.entry(k).or_default() += v;
                }
            }
            run.sink.checkpoint(state, &page.events).map_err(SyncError::Sink)?;
            if !more {
                break;
            }
        }
        self.live.borrow_mut().lower_bound += (task_rows / limit + 1) as u64;
        Ok(())
    }
}

/// Notes `window` of `task` read whole in the account's state at `now`: a newer window covers up to its end, or up to
/// a settling minute before now (a venue may show a row a little after its time); an older one (a backfill reaching
/// further back, newest first) extends where the covered range begins.
fn cover(st: &mut AccountState, task: &Task, (first, end): (i64, i64), now: i64) {
    if task.older {
        let from = st.covered_from.entry(task.key.clone()).or_insert(first);
        *from = (*from).min(first);
    } else {
        let covered = end.min(now - SETTLE_MS);
        if !st.covered_until.contains_key(&task.key) {
            // the first window of a backfill: the stream is read from here on
            st.covered_from.insert(task.key.clone(), first);
        }
        let c = st.covered_until.entry(task.key.clone()).or_insert(covered);
        *c = (*c).max(covered);
    }
}

impl Moved {
    /// The futures symbols (USDⓈ-M) and pairs (COIN-M) of Binance income rows among `events`: their fills may be new.
    fn note_income(&mut self, events: &[ledger::Event]) {
        for e in events.iter().filter(|e| e.account.as_str().starts_with("binance/")) {
            if let ledger::EventKind::Income { symbol: Some(s), .. } = &e.kind {
                if e.account.as_str().ends_with("/coinm") {
                    self.coinm_pairs.insert(parse::binance::coinm_pair(s));
                } else {
                    self.income_symbols.insert(s.to_string());
                }
            }
        }
    }
}

/// Account state for a key, for callers that inspect it.
pub fn account_state<'a>(state: &'a SyncState, account: &AccountConfig) -> Option<&'a AccountState> {
    state.accounts.get(&account.key())
}

/// The shared end of [`sync_by_venue`]: the whole state and the caller's sink.
struct Shared<'s> {
    state: SyncState,
    sink: &'s mut dyn Sink,
}

/// One venue's view of the shared sink: merges its accounts' state into the whole before every checkpoint.
struct Merge<'a, 's> {
    shared: &'a std::cell::RefCell<Shared<'s>>,
}

impl Sink for Merge<'_, '_> {
    fn checkpoint(&mut self, part: &SyncState, events: &[Event]) -> Result<(), SinkError> {
        let mut shared = self.shared.borrow_mut();
        let Shared { state, sink } = &mut *shared;
        for (k, v) in &part.accounts {
            state.accounts.insert(k.clone(), v.clone());
        }
        sink.checkpoint(state, events)
    }
    fn snapshot(&mut self, account: &str, balances: &Balances, positions: &[Position]) -> Result<(), SinkError> {
        self.shared.borrow_mut().sink.snapshot(account, balances, positions)
    }
    fn progress(&mut self, progress: &Progress) {
        self.shared.borrow_mut().sink.progress(progress);
    }
    fn wallet_ledger(&self, wallet: &str, at: i64) -> Option<BTreeMap<String, Decimal>> {
        self.shared.borrow().sink.wallet_ledger(wallet, at)
    }
}

impl Stats {
    /// Counts a page read: its rows, its events and any warning not yet given.
    fn count(&mut self, page: &venues::parse::Page) {
        self.rows += page.rows as u64;
        self.events += page.events.len() as u64;
        for w in &page.warnings {
            if !self.warnings.contains(w) {
                self.warnings.push(w.clone());
            }
        }
    }

    /// Adds another run's counters.
    pub fn add(&mut self, other: &Stats) {
        self.requests += other.requests;
        self.retries += other.retries;
        self.lower_bound += other.lower_bound;
        self.rows += other.rows;
        self.events += other.events;
        self.waited_ms = self.waited_ms.max(other.waited_ms);
        for (k, v) in &other.weight {
            *self.weight.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.peak_usage {
            let p = self.peak_usage.entry(k.clone()).or_default();
            *p = (*p).max(*v);
        }
        for (k, v) in &other.retried {
            *self.retried.entry(k.clone()).or_default() += v;
        }
        self.full_ticks += other.full_ticks;
        self.incremental_ticks += other.incremental_ticks;
        self.escalations += other.escalations;
        for w in &other.warnings {
            if !self.warnings.contains(w) {
                self.warnings.push(w.clone());
            }
        }
    }
}

/// Syncs independent rate-limit groups at the same time: Binance accounts in turn (they share the IP's weight; within
/// an account the spot and futures hosts, whose limits are separate, run at once), each Bitget account on its own
/// (Bitget limits each account separately), so a backfill takes as long as the slowest group rather than the sum.
/// Results are in `accounts` order; the stats are summed (`waited_ms` is the longest group's wait).
pub async fn sync_by_venue<T: Transport>(
    transport: &T,
    options: &SyncOptions,
    accounts: &[AccountConfig],
    state: &mut SyncState,
    sink: &mut dyn Sink,
) -> (Vec<(String, Result<(), SyncError>)>, Stats) {
    let shared = std::cell::RefCell::new(Shared { state: std::mem::take(state), sink });
    let group = |a: &AccountConfig| match a.credentials.venue {
        Venue::Binance => "binance".to_string(),
        Venue::Bitget => a.key(),
    };
    let groups: BTreeSet<String> = accounts.iter().map(group).collect();
    let runs = groups
        .into_iter()
        .map(|g| {
            let shared = &shared;
            let mine: Vec<AccountConfig> = accounts.iter().filter(|a| group(a) == g).cloned().collect();
            async move {
                let keys: BTreeSet<String> = mine.iter().map(AccountConfig::key).collect();
                let mut part = {
                    let s = shared.borrow();
                    SyncState {
                        version: s.state.version,
                        accounts: s
                            .state
                            .accounts
                            .iter()
                            .filter(|(k, _)| keys.contains(*k))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect(),
                    }
                };
                let mut engine = Engine::new(transport, options.clone());
                let mut merge = Merge { shared };
                let results = engine.sync(&mine, &mut part, &mut merge).await;
                (results, engine.stats)
            }
        })
        .collect::<Vec<_>>();
    let mut results = Vec::new();
    let mut stats = Stats::default();
    for (r, s) in join_all(runs).await {
        results.extend(r);
        stats.add(&s);
    }
    *state = shared.into_inner().state;
    if state.version == 0 {
        state.version = crate::state::STATE_VERSION;
    }
    let order: Vec<String> = accounts.iter().map(AccountConfig::key).collect();
    results.sort_by_key(|(k, _)| order.iter().position(|o| o == k));
    (results, stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// An idle tick keeps the positions read in full and takes the mark price the account summary's unrealized PnL
    /// implies (docs/sync.md): for Binance's COIN-M sample (1 BTCUSD_201225 contract of 100 USD at 11707.70000003
    /// showing 0.00005866 BTC) a mark that values it at that PnL again; a summary that no mark can explain keeps the
    /// mark and time last read.
    #[test]
    fn an_inverse_position_is_refreshed_from_the_account_summary() {
        let p = Position {
            time: Some(Timestamp(1)),
            account: AccountId::new("binance", "main", "coinm"),
            symbol: "BTCUSD_201225".into(),
            margin_asset: "BTC".into(),
            amount: d("1"),
            entry_price: d("11707.70000003"),
            mark_price: d("11700"),
            contract_size: Some(d("100")),
        };
        let size = |upnl: &str| PositionSize {
            symbol: "BTCUSD_201225".into(),
            side: "both".into(),
            size: d("1"),
            update_time: 1,
            unrealized_pnl: d(upnl),
            notional: Decimal::ZERO,
        };
        let r = refreshed(std::slice::from_ref(&p), &[size("0.00005866")], 99);
        assert_eq!(r[0].time, Some(Timestamp(99)));
        assert!((r[0].mark_price - d("11788.66626667")).abs() < d("0.01"), "{}", r[0].mark_price);
        assert_eq!(r[0].unrealized().round_dp(8), d("0.00005866"));
        // a PnL of a whole contract's worth (100 USD / entry) or more: no positive mark explains it
        let r = refreshed(std::slice::from_ref(&p), &[size("0.01")], 99);
        assert_eq!((r[0].time, r[0].mark_price), (Some(Timestamp(1)), d("11700")));
        // a linear position: entry + upnl / size
        let usdm =
            Position { contract_size: None, entry_price: d("0.385"), symbol: "ADAUSDT".into(), amount: d("30"), ..p };
        let s = PositionSize { symbol: "ADAUSDT".into(), size: d("30"), ..size("0.764277") };
        assert_eq!(refreshed(&[usdm], &[s], 99)[0].mark_price, d("0.4104759"));
    }
}
