//! Reporting in another currency, as a user does it on the demo: connect, sync, then pick EUR (TRY, CHF) in Settings
//! and save. The app reads the currency's rate from the venues' own markets without a new sync (EURUSDT on Binance,
//! USDTTRY the other way round, USDTCHF from Bitget as the fallback: docs/accounting.md §10, "Valuation"), and the
//! dashboard shows a positive total in that currency with no missing price, equal to the USD figures at the rate
//! the simulated venues serve. Then the period: a calendar year and a range of days give the engine its window.

use std::time::{Duration, Instant};

use catalogue::Venue;
use e2e::{Browser, PATIENCE, RunningRelay, TempDir, connect};
use fantoccini::Locator;
use ledger::Decimal;
use simvenues::generator::Size;
use simvenues::market::DAY;
use simvenues::sandbox::{Sandbox, SandboxConfig};

const PASSPHRASE: &str = "correct horse battery staple 42";

/// The dashboard's figures in the report's currency: total equity, the open positions' unrealized PnL (valued at
/// the latest prices), the report time (ms), and the missing-price warnings.
struct Shown {
    total: Decimal,
    positions: Decimal,
    as_of: i64,
    missing: Vec<String>,
}

async fn attr(b: &Browser, testid: &str, name: &str) -> Option<String> {
    b.wait_testid(testid).await.attr(name).await.unwrap()
}

/// Waits for the dashboard of a report in `currency`, then reads it.
async fn dashboard_in(b: &Browser, currency: &str) -> Shown {
    b.click_testid("tab-dashboard").await;
    let start = Instant::now();
    while attr(b, "dashboard", "data-currency").await.as_deref() != Some(currency) {
        assert!(start.elapsed() < PATIENCE, "no dashboard in {currency}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let total = b.wait_testid("total-equity").await;
    let value = total.attr("data-value").await.unwrap();
    let Some(value) = value else {
        panic!("the total in {currency} is not a number: {}", total.text().await.unwrap());
    };
    // the open positions' unrealized PnL in the report's currency, USDT-margined and COIN-M (in BTC) alike
    let mut positions = Decimal::ZERO;
    for cell in b.client.find_all(Locator::Css("[data-testid='position-unrealized']")).await.unwrap() {
        let value = cell.attr("data-currency-value").await.unwrap();
        let asset = cell.attr("data-margin-asset").await.unwrap();
        let value = value.unwrap_or_else(|| panic!("a position in {asset:?} has no value in {currency}"));
        positions += value.parse::<Decimal>().unwrap();
    }
    let mut missing = Vec::new();
    for li in b.client.find_all(Locator::Css("[data-testid='missing-price']")).await.unwrap() {
        missing.push(li.text().await.unwrap());
    }
    Shown {
        total: value.parse().unwrap(),
        positions,
        as_of: attr(b, "dashboard", "data-as-of").await.unwrap().parse().unwrap(),
        missing,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn picking_eur_try_or_chf_in_settings_prices_the_dashboard_in_it() {
    let sandbox =
        Sandbox::start(SandboxConfig { seed: 11, size: Size::Tiny, ..SandboxConfig::default() }).await.unwrap();
    let dir = TempDir::new("meetcrypt-currency");
    let relay = RunningRelay::serving_demo(&sandbox, &dir).await;
    let key = |venue: Venue| {
        let v = match venue {
            Venue::Binance => simvenues::keys::Venue::Binance,
            Venue::Bitget => simvenues::keys::Venue::Bitget,
        };
        sandbox.key(v, "main").unwrap().clone()
    };
    let b = Browser::start().await;
    b.create_vault(&relay.url(), PASSPHRASE).await;
    b.click_testid("add-account").await;
    connect(&b, Venue::Binance, "Binance main", &key(Venue::Binance)).await;
    b.wait_text("connect-result", "binance connected", |t| t.starts_with("Connected Binance main")).await;
    connect(&b, Venue::Bitget, "Bitget main", &key(Venue::Bitget)).await;
    b.wait_text("connect-result", "bitget connected", |t| t.starts_with("Connected Bitget main")).await;

    // one sync, in USD
    b.click_testid("sync-now").await;
    e2e::sync_finished(&b).await;
    let usd = dashboard_in(&b, "USD").await;
    assert!(usd.missing.is_empty(), "missing prices in USD already: {:?}", usd.missing);
    assert!(usd.total > Decimal::ZERO);
    let wallets_usd = usd.total - usd.positions;

    // the rates as the simulated venues serve them: the day's open in force at the report time (the daily
    // klines' rule), the latest price for the positions (valued now)
    let market = &sandbox.world().market;
    let day = usd.as_of - usd.as_of.rem_euclid(DAY);
    for (currency, symbol, usdt_per_unit) in
        [("EUR", "EURUSDT", true), ("TRY", "USDTTRY", false), ("CHF", "USDTCHF", false)]
    {
        let then = market.candle(symbol, day, DAY).open;
        let now = market.last(symbol);
        // USD (USDT) -> currency: divide by EURUSDT, multiply by USDTTRY
        let convert = |usd: Decimal, rate: Decimal| if usdt_per_unit { usd / rate } else { usd * rate };
        let expected = convert(wallets_usd, then) + convert(usd.positions, now);

        // pick the currency in Settings and save: no sync
        b.click_testid("tab-settings").await;
        // the Settings screen comes in a module of its own (app/src/split.rs): wait for it to be there
        b.wait_testid("currency").await;
        let option = format!("[data-testid='currency'] option[value='{currency}']");
        b.client.find(Locator::Css(&option)).await.unwrap().click().await.unwrap();
        b.click_testid("save-settings").await;
        let shown = dashboard_in(&b, currency).await;
        let warned: Vec<&String> = shown.missing.iter().filter(|m| m.contains(&format!(" in {currency} "))).collect();
        assert!(warned.is_empty(), "{currency}: {warned:?}");
        assert!(shown.total > Decimal::ZERO, "{currency}: {}", shown.total);
        assert_eq!(shown.as_of, usd.as_of);
        // every figure complete, none "incomplete"
        assert!(b.client.find(Locator::Css("[data-incomplete]")).await.is_err(), "{currency}: a figure is incomplete");
        let off = (shown.total - expected).abs();
        println!("total_{currency}={} expected={expected} (USD {} at {then} then, {now} now)", shown.total, usd.total);
        assert!(
            off < Decimal::new(1, 9),
            "{currency}: shown {} but the USD figures at the rate give {expected}",
            shown.total
        );
        if currency == "EUR" {
            b.client.execute("window.scrollTo(0, 0); return 0;", vec![]).await.unwrap();
            b.screenshot("dashboard-eur").await;
        }
    }

    // the period: the engine gets its window, the report is as of the period's end
    let day_ms = |date: &str| format!("{date}T00:00:00Z").parse::<ledger::Timestamp>().unwrap().0;
    let as_of_after = |b: &Browser, wanted: i64| {
        let b = b.client.clone();
        async move {
            let start = Instant::now();
            loop {
                let shown = b.find(Locator::Css("[data-testid='dashboard']")).await.ok();
                let at = match shown {
                    Some(el) => el.attr("data-as-of").await.ok().flatten(),
                    None => None,
                };
                if at.as_deref() == Some(wanted.to_string().as_str()) {
                    return;
                }
                assert!(start.elapsed() < PATIENCE, "the dashboard is as of {at:?}, not {wanted}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    let year = ledger::Timestamp(usd.as_of).date_string()[..4].to_string();
    let option = format!("[data-testid='period-select'] option[value='year:{year}']");
    b.client.find(Locator::Css(&option)).await.unwrap().click().await.unwrap();
    let next_year: i32 = year.parse::<i32>().unwrap() + 1;
    as_of_after(&b, day_ms(&format!("{next_year}-01-01")) - 1).await;
    let shown = b.wait_text("period-shown", "the calendar year", |t| !t.is_empty()).await;
    assert_eq!(shown, format!("Period: {year}-01-01 to {year}-12-31 (UTC)."));
    // any range: up to the day before the last event's; the date inputs are set as a date picker sets them
    b.client
        .find(Locator::Css("[data-testid='period-select'] option[value='range']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let day_before = ledger::Timestamp(usd.as_of - DAY).date_string();
    b.wait_testid("period-to").await;
    b.client
        .execute(
            "const el = document.querySelector(\"[data-testid='period-to']\"); el.value = arguments[0]; \
             el.dispatchEvent(new Event('input', {bubbles: true})); return 0;",
            vec![serde_json::json!(day_before)],
        )
        .await
        .unwrap();
    b.click_testid("period-apply").await;
    as_of_after(&b, day_ms(&day_before) + DAY - 1).await;
    let shown = b.wait_text("period-shown", "the range", |t| t.contains(&day_before)).await;
    assert_eq!(shown, format!("Period: the first event to {day_before} (UTC)."));
    assert!(sandbox.breaches().is_empty(), "a write reached the venue: {:?}", sandbox.breaches());
    b.close().await;
}
