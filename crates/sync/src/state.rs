//! What a sync remembers between runs: per account, the detected mode, discovered assets and symbols, and a cursor
//! per stream. Serializable, so a crash or a closed tab resumes where the last checkpoint left off.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use venues::AccountMode;
use venues::parse::SymbolBook;

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
    /// Spot symbols (Binance exchangeInfo), refreshed each sync.
    #[serde(default)]
    pub symbols: SymbolBook,
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
}

impl SyncState {
    /// An empty state of the current version.
    pub fn new() -> Self {
        SyncState { version: STATE_VERSION, accounts: BTreeMap::new() }
    }
}
