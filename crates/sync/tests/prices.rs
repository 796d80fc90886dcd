//! Prices read from the simulated venues, straight to their hosts: Binance's daily klines for what it lists,
//! Bitget's candles for what only Bitget lists, and an asset neither lists left unpriced (told apart by the venues'
//! error codes, -1121 and 40034).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use catalogue::Host;
use simvenues::generator::Size;
use simvenues::sandbox::{Sandbox, SandboxConfig};
use sync_engine::native::{HttpTransport, Route};
use sync_engine::plan::DAY;
use sync_engine::prices::{PriceCache, refresh};
use venues::Transport;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_prices_from_binance_then_bitget_and_none_for_an_unlisted_asset() {
    let sandbox =
        Sandbox::start(SandboxConfig { seed: 3, size: Size::Tiny, ..SandboxConfig::default() }).await.unwrap();
    let route = Route::Direct(BTreeMap::from([
        (Host::BinanceSpot, sandbox.binance_spot_url().to_string()),
        (Host::BinanceFutures, sandbox.binance_futures_url().to_string()),
        (Host::Bitget, sandbox.bitget_url().to_string()),
    ]));
    let t = HttpTransport::new(route, Duration::from_secs(10));
    let now = t.now_ms();
    // BTC is on both venues, BGB on Bitget only (in a tiny world)
    let assets: BTreeSet<String> = ["BTC", "BGB", "NOPE"].map(String::from).into();
    let mut cache = PriceCache::default();
    refresh(&t, &mut cache, &assets, now - 5 * DAY, now).await.unwrap();
    assert_eq!(cache.unpriced, BTreeSet::from(["NOPE".to_string()]));
    let yesterday = (now.div_euclid(DAY) - 1) * DAY;
    for asset in ["BTC", "BGB"] {
        assert_eq!(cache.covered_until.get(asset), Some(&yesterday), "{asset}: {:?}", cache.covered_until);
        let times: Vec<i64> = cache.points.iter().filter(|p| p.asset == asset).map(|p| p.time.0).collect();
        // every day's open, and the close of every day before today
        assert!(times.contains(&yesterday) && times.contains(&(yesterday + DAY - 1)), "{asset}: {times:?}");
        assert!(times.iter().all(|t| *t <= now), "{asset}: a price from the future: {times:?}");
    }
    // the latest price comes from Binance's ticker, so only for what Binance lists
    assert!(cache.points.iter().any(|p| p.asset == "BTC" && p.time.0 == now));
    assert!(!cache.points.iter().any(|p| p.asset == "BGB" && p.time.0 == now));
}
