//! Prices for valuation: the sync engine's price reads ([`sync_engine::prices`]) for every asset the engine does not
//! count as USD, and for the reporting currency's own rate (docs/accounting.md §10, "Valuation"), through the app's
//! transport.

use std::collections::BTreeSet;

pub use sync_engine::prices::{PriceCache, PriceError};
use venues::Transport;

/// Whether `asset` needs a price read: USD and the stablecoins the engine counts as USD do not.
pub fn needs_price(asset: &str) -> bool {
    asset != "USD" && !pnl::USD_STABLECOINS.contains(&asset)
}

/// Brings the cache up to date for `assets` and the reporting `currency` from `first_ms` to `now`: a value in EUR
/// needs EUR's rate even when no EUR is held.
pub async fn refresh<T: Transport>(
    t: &T,
    cache: &mut PriceCache,
    assets: &BTreeSet<String>,
    currency: &str,
    first_ms: i64,
    now: i64,
) -> Result<(), PriceError> {
    let priced: BTreeSet<String> =
        assets.iter().map(String::as_str).chain([currency]).filter(|a| needs_price(a)).map(String::from).collect();
    sync_engine::prices::refresh(t, cache, &priced, first_ms, now).await
}
