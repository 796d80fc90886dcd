//! Prices for valuation: the sync engine's price reads ([`sync_engine::prices`]) for every asset the engine does not
//! count as USD, through the app's transport.

use std::collections::BTreeSet;

pub use sync_engine::prices::{PriceCache, PriceError};
use venues::Transport;

/// Brings the cache up to date for `assets` from `first_ms` to `now`: USD and the stablecoins the engine counts as
/// USD need no price.
pub async fn refresh<T: Transport>(
    t: &T,
    cache: &mut PriceCache,
    assets: &BTreeSet<String>,
    first_ms: i64,
    now: i64,
) -> Result<(), PriceError> {
    let priced: BTreeSet<String> =
        assets.iter().filter(|a| !pnl::USD_STABLECOINS.contains(&a.as_str()) && a.as_str() != "USD").cloned().collect();
    sync_engine::prices::refresh(t, cache, &priced, first_ms, now).await
}
