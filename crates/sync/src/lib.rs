//! The sync engine: pulls whole account histories from Binance and Bitget into the ledger, then keeps them current.
//!
//! - [`plan`]: streams, windows and paging (docs/venues.md §3), and the lower bound of requests the plan can prove.
//! - [`budget`]: the weight budget (never more than half of a per-IP limit) and 429/418 cool-downs.
//! - [`run`]: the [`Engine`], generic over [`venues::Transport`], checkpointing into a [`Sink`] after every page.
//! - [`state`]: the serializable cursors a sync resumes from, and what the last tick read (balances, positions).
//! - [`tick`]: the incremental tick's rule: what moved, which streams can explain it, whether they did.
//! - [`residual`]: per account, wallet and asset, the venue's balance against the ledger's, the residual and the
//!   streams that could explain it; an account is complete when every residual is zero.
//! - [`delisted`]: Binance spot pairs `exchangeInfo` no longer lists: which to ask for, which assets stay unfound.
//! - [`margin`]: Binance margin: which symbols' margin fills to read, which named symbols cannot be read.
//! - [`prices`]: daily prices of the assets to value, from the venues' public market data, kept in a [`PriceCache`].
//! - [`schedule`]: the sync timer (every 5 minutes by default) and sync-now.
//! - `native` (not on wasm): an HTTP transport and a directory store for the CLI and tests.
//!
//! ```
//! use sync_engine::plan::{BinanceStream, windows, DAY};
//! // Binance convert history must be read in windows of at most 30 days
//! let spec = BinanceStream::Converts.spec();
//! assert_eq!(windows(&spec, 0, 60 * DAY).len(), 3);
//! ```
#![deny(missing_docs)]

pub mod bitget_isolated;
pub mod budget;
pub mod delisted;
pub mod margin;
#[cfg(not(target_arch = "wasm32"))]
pub mod native;
pub mod pager;
pub mod plan;
pub mod prices;
pub mod residual;
pub mod run;
pub mod schedule;
pub mod state;
pub mod tick;

pub use prices::{PriceCache, PriceError};
pub use run::{AccountConfig, Engine, Progress, Sink, SinkError, Stats, SyncError, SyncOptions, sync_by_venue};
pub use state::SyncState;
/// The one retry policy, shared with key checks at connect: [`venues::retry`].
pub use venues::retry::{self, Retry, RetryPolicy};
