//! Prices read from the simulated venues, straight to their hosts: Binance's daily klines for what it lists,
//! Bitget's candles for what only Bitget lists, and an asset neither lists left unpriced (told apart by the venues'
//! error codes, -1121 and 40034).

mod common;

use std::collections::BTreeSet;

use simvenues::generator::Size;
use simvenues::sandbox::{Sandbox, SandboxConfig};
use sync_engine::plan::DAY;
use sync_engine::prices::{PriceCache, refresh};
use venues::Transport;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_prices_from_binance_then_bitget_and_none_for_an_unlisted_asset() {
    let sandbox =
        Sandbox::start(SandboxConfig { seed: 3, size: Size::Tiny, ..SandboxConfig::default() }).await.unwrap();
    let t = common::straight_to(&sandbox);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reporting_currencies_from_a_direct_an_inverted_and_a_fallback_market() {
    let sandbox =
        Sandbox::start(SandboxConfig { seed: 3, size: Size::Tiny, ..SandboxConfig::default() }).await.unwrap();
    let t = common::straight_to(&sandbox);
    let now = t.now_ms();
    let codes = ["EUR", "GBP", "CHF", "JPY", "AUD", "CAD", "TRY", "BRL"];
    let assets: BTreeSet<String> = codes.iter().map(|c| c.to_string()).chain(["BTC".to_string()]).collect();
    let mut cache = PriceCache::default();
    refresh(&t, &mut cache, &assets, now - 5 * DAY, now).await.unwrap();
    assert!(cache.unpriced.is_empty(), "{:?}", cache.unpriced);
    let yesterday = (now.div_euclid(DAY) - 1) * DAY;
    let series =
        |asset: &str, quote: &str| cache.points.iter().filter(|p| p.asset == asset && p.quote == quote).count();
    // EUR the usual way round on Binance, TRY the other way round on Binance, CHF only on Bitget (USDTCHF)
    assert!(series("EUR", "USDT") >= 10 && series("USDT", "EUR") == 0);
    assert!(series("USDT", "TRY") >= 10 && series("TRY", "USDT") == 0);
    assert!(series("USDT", "CHF") >= 10);
    for code in codes {
        assert_eq!(cache.covered_until.get(code), Some(&yesterday), "{code}");
    }
    // now: Binance's ticker for what Binance quotes, none for CHF (Bitget's history ends at today's open)
    assert!(cache.points.iter().any(|p| p.asset == "USDT" && p.quote == "TRY" && p.time.0 == now));
    assert!(!cache.points.iter().any(|p| p.quote == "CHF" && p.time.0 == now));
    // every currency values BTC, through the engine, at the venues' own rates: BTC/USDT x USDT/TRY exactly
    let book = pnl::PriceBook::new(&cache.points, true);
    let at = ledger::Timestamp(now);
    let btc = book.price("BTC", "USD", at).unwrap();
    let usdt_try = cache.points.iter().rfind(|p| p.asset == "USDT" && p.quote == "TRY").unwrap().price;
    assert_eq!(book.price("BTC", "TRY", at), Some(btc * usdt_try));
    let eur_usdt = cache.points.iter().rfind(|p| p.asset == "EUR" && p.quote == "USDT").unwrap().price;
    assert_eq!(book.price("BTC", "EUR", at), Some(btc / eur_usdt));
    for code in codes {
        assert!(book.price("BTC", code, at).is_some_and(|p| p > btc / rust_decimal::Decimal::TWO), "{code}");
    }
}
