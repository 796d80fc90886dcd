//! What a sync remembers between runs: per account, the detected mode, discovered assets and symbols, and a cursor
//! per stream. Serializable, so a crash or a closed tab resumes where the last checkpoint left off.

use std::collections::{BTreeMap, BTreeSet};

use ledger::{Event, Position};

use crate::plan::Stream;
use serde::{Deserialize, Serialize};
use venues::AccountMode;
use venues::parse::{Balances, CoinmContracts, PositionSize, SymbolBook};

/// The state file's format version.
pub const STATE_VERSION: u32 = 1;

/// Everything a sync resumes from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncState {
    /// Format version ([`STATE_VERSION`]).
    pub version: u32,
    /// Per account key (`binance/main`).
    pub accounts: BTreeMap<String, AccountState>,
}

/// One key's sync state.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountState {
    /// Classic or unified (Bitget), once detected.
    pub mode: Option<AccountMode>,
    /// Venue time minus local time, as last measured.
    pub clock_offset_ms: i64,
    /// Assets seen in balances, deposits, withdrawals, transfers, converts, dust and income.
    pub assets: BTreeSet<String>,
    /// Futures symbols seen in income rows and open positions (Binance: which `userTrades` to read). Kept, as the
    /// income they came from ages out before the fills do.
    #[serde(default)]
    pub futures_symbols: BTreeSet<String>,
    /// COIN-M pairs (`BTCUSD`) seen in income rows and open positions (which `/dapi/v1/userTrades` to read, by
    /// pair: every contract of it at once). Kept like `futures_symbols`.
    #[serde(default)]
    pub coinm_pairs: BTreeSet<String>,
    /// Spot symbols (Binance exchangeInfo), read again daily, or when an asset no symbol names moved.
    #[serde(default)]
    pub symbols: SymbolBook,
    /// Venue time `symbols` were read.
    #[serde(default)]
    pub symbols_at: Option<i64>,
    /// Binance spot pairs `exchangeInfo` no longer lists whose `myTrades` answered trades (docs/sync.md, "Delisted
    /// pairs"): symbol -> (base, quote). Kept in `symbols` too, so they are read like any other symbol.
    #[serde(default)]
    pub delisted: BTreeMap<String, (String, String)>,
    /// Candidate pairs that answered -1121 (no such pair) or no trades: symbol -> venue time asked. Not asked again
    /// before [`crate::delisted::RETRY_MS`] has passed.
    #[serde(default)]
    pub no_pair: BTreeMap<String, i64>,
    /// Binance spot assets whose balance the ledger did not explain at the last full cycle, though listed symbols
    /// name them (docs/sync.md, "Delisted pairs"): a pair `exchangeInfo` no longer lists may hold their trades, so
    /// the unlisted pairs among them are asked for ([`crate::delisted::suspect_candidates`]).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub suspects: BTreeSet<String>,
    /// A Bitget copy-trading account whose trader reads answered "not a trader" (a follower): the venue time it
    /// last did. Those reads are not asked again before [`crate::delisted::RETRY_MS`] has passed (docs/sync.md,
    /// "Copy-trading accounts").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_a_trader_at: Option<i64>,
    /// Assets whose trades cannot be found (no listed symbol names them, and no delisted pair tried answered
    /// trades): asset -> the pairs tried. Set by every Binance full cycle; the app and the CLI show it.
    #[serde(default)]
    pub unfound_trades: BTreeMap<String, Vec<String>>,
    /// Windowed streams: everything up to this venue time (ms) is in the ledger.
    pub covered_until: BTreeMap<String, i64>,
    /// Windowed streams: everything from this venue time (ms) up to `covered_until` is in the ledger. When a later
    /// sync starts its history earlier (a longer history setting), the windows before it are read too. Absent in
    /// states written before it existed: then the stream counts as read from the history start of the sync that
    /// finds it missing.
    #[serde(default)]
    pub covered_from: BTreeMap<String, i64>,
    /// Id-paged streams (Binance myTrades per symbol): the next `fromId`.
    pub next_id: BTreeMap<String, u64>,
    /// Venue time of the first completed full sync.
    pub backfilled_at: Option<i64>,
    /// Venue time of the last completed sync.
    pub last_sync: Option<i64>,
    /// Venue time of the last completed full cycle (every stream read from its cursor).
    #[serde(default)]
    pub last_full: Option<i64>,
    /// The history start of the last completed full cycle: a sync that starts earlier (a longer history setting)
    /// is a full one.
    #[serde(default)]
    pub history_from: Option<i64>,
    /// A tick started and has not completed: the next one is a full cycle.
    #[serde(default)]
    pub tick_open: bool,
    /// The last full cycle left balance movement its events did not explain: the next tick is a full cycle too, and
    /// reads the spot symbols again.
    #[serde(default)]
    pub recheck: bool,
    /// Every wallet's balances at the last completed tick: what the next tick compares with.
    #[serde(default)]
    pub balances: Option<Balances>,
    /// Venue time just before `balances` were read.
    #[serde(default)]
    pub balances_at: Option<i64>,
    /// Events the last tick read that happened after its balances were read: the next tick's check counts them.
    #[serde(default)]
    pub carry: Vec<Event>,
    /// Open positions as last read in full (Binance `positionRisk`; Bitget `all-position`).
    #[serde(default)]
    pub positions: Vec<Position>,
    /// Binance: position sizes as `/fapi/v3/account` last showed them; a change reads `positionRisk` again.
    #[serde(default)]
    pub position_sizes: Vec<PositionSize>,
    /// Binance: COIN-M position sizes as `/dapi/v1/account` last showed them; a change reads `/dapi/v1/positionRisk`
    /// again (docs/sync.md).
    #[serde(default)]
    pub coinm_position_sizes: Vec<PositionSize>,
    /// Binance: COIN-M contracts' sizes and margin coins (`/dapi/v1/exchangeInfo`), read again daily, or when an open
    /// position's symbol is not among them.
    #[serde(default)]
    pub coinm_contracts: CoinmContracts,
    /// Venue time `coinm_contracts` were read.
    #[serde(default)]
    pub coinm_contracts_at: Option<i64>,
    /// Venue time the Earn holdings were last read: Binance's Simple Earn positions, Bitget's savings holdings with the
    /// Earn overview and the open crypto loans (the earn, sharkfin and loan wallets in `balances` are as of then).
    #[serde(default)]
    pub earn_at: Option<i64>,
    /// Binance: venue time each of the fiat deposit and withdrawal histories was last read (read again daily at
    /// least, docs/sync.md).
    #[serde(default)]
    pub fiat_orders_at: BTreeMap<Stream, i64>,
    /// Binance: venue time the cross margin balances were last read (the margin wallet in `balances` is as of then;
    /// docs/sync.md, "Margin").
    #[serde(default)]
    pub margin_at: Option<i64>,
    /// Binance: assets seen in the margin wallets (balances aside): loans, fills, transfers to and from them.
    #[serde(default)]
    pub margin_assets: BTreeSet<String>,
    /// Binance: symbols the margin capital flow and liquidation orders named (their margin fills are read).
    #[serde(default)]
    pub margin_symbols: BTreeSet<String>,
    /// The isolated margin pairs in use (their histories are read in full cycles; docs/sync.md, "Margin"), kept once
    /// seen: Binance's the isolated account listed as created; Bitget's those its isolated assets list, or its
    /// transfer records and isolated margin tax record name (docs/sync.md, "Bitget isolated margin").
    #[serde(default)]
    pub isolated_pairs: BTreeSet<String>,
    /// Binance and Bitget: venue time the isolated margin balances were last read (the `isolated-{SYMBOL}` wallets in
    /// `balances` are as of then).
    #[serde(default)]
    pub isolated_at: Option<i64>,
    /// Bitget classic: the futures product types (`COIN-FUTURES`, ...) the account uses: a balance, an open
    /// position or an event seen in its wallet. Only these have their bills, fills and positions read after the
    /// first sync (docs/sync.md, "The tick").
    #[serde(default)]
    pub futures_products: BTreeSet<String>,
    /// Bitget classic: what the tax records read so far add up to (docs/venues.md §2.13), per tax task (its cursor
    /// key, whose `covered_from`..`covered_until` is the range summed): the completeness check's venue side.
    #[serde(default)]
    pub tax: BTreeMap<String, TaxTally>,
}

/// The sums of one tax task's rows over its covered range: the wallet they move and, per `"{coin} {group}"`
/// (`"USDT trade"`, `"BTC unread: borrow"`), the sum of their changes (docs/venues.md §2.13).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TaxTally {
    /// The wallet's ledger account id (`bitget/main/spot`).
    pub wallet: String,
    /// Per coin and group, the sum of the changes.
    pub sums: BTreeMap<String, ledger::Decimal>,
}

impl SyncState {
    /// An empty state of the current version.
    pub fn new() -> Self {
        SyncState { version: STATE_VERSION, accounts: BTreeMap::new() }
    }
}
