//! The user's journey in headless Chromium against the relay and the simulated venues: first run, connect keys
//! (and see the unsafe ones refused with the permission to turn off), sync, read the dashboard, lock and unlock
//! without a new sync, and nothing secret in the browser's storage afterwards.

use std::collections::BTreeMap;
use std::time::Duration;

use catalogue::Venue;
use e2e::{Browser, CapturedLogs, PATIENCE, RunningRelay, TempDir, connect};
use fantoccini::Locator;
use ledger::Decimal;
use simvenues::keys::Profile;
use simvenues::sandbox::{Sandbox, SandboxConfig};

fn sim(v: Venue) -> simvenues::keys::Venue {
    match v {
        Venue::Binance => simvenues::keys::Venue::Binance,
        Venue::Bitget => simvenues::keys::Venue::Bitget,
    }
}

const PASSPHRASE: &str = "correct horse battery staple 42";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_connect_sync_dashboard_relock() {
    let logs = CapturedLogs::install();
    let sandbox = Sandbox::start(SandboxConfig { seed: 11, ..SandboxConfig::default() }).await.expect("sandbox");
    let dir = TempDir::new("meetcrypt-journey");
    let relay = RunningRelay::serving_demo(&sandbox, &dir).await;
    let key = |venue: Venue, label: &str| {
        sandbox.key(sim(venue), label).unwrap_or_else(|| panic!("no {venue} key {label}")).clone()
    };
    let b = Browser::start().await;

    // first run
    b.create_vault(&relay.url(), PASSPHRASE).await;

    // refusals name the permission to turn off
    b.click_testid("add-account").await;
    let trader = key(Venue::Binance, "trader");
    assert_eq!(trader.permissions, Profile::TradeEnabled);
    connect(&b, Venue::Binance, "trader", &trader).await;
    let refused = b.wait_text("connect-error", "trade refusal", |t| !t.is_empty()).await;
    assert!(refused.contains("can trade: turn off") && refused.contains("Enable Spot & Margin Trading"), "{refused}");
    let withdrawer = key(Venue::Binance, "withdrawer");
    connect(&b, Venue::Binance, "withdrawer", &withdrawer).await;
    let refused = b.wait_text("connect-error", "withdraw refusal", |t| t.contains("withdraw")).await;
    assert!(refused.contains("can withdraw: turn off") && refused.contains("Enable Withdrawals"), "{refused}");
    let bitget_trader = key(Venue::Bitget, "trader");
    connect(&b, Venue::Bitget, "bitget trader", &bitget_trader).await;
    let refused =
        b.wait_text("connect-error", "bitget trade refusal", |t| t.contains("Bitget") || t.contains("bitget")).await;
    assert!(refused.contains("can trade"), "{refused}");
    b.screenshot("connect-refused").await;

    // read-only keys connect
    connect(&b, Venue::Binance, "Binance main", &key(Venue::Binance, "main")).await;
    b.wait_text("connect-result", "binance connected", |t| t.starts_with("Connected Binance main")).await;
    connect(&b, Venue::Bitget, "Bitget main", &key(Venue::Bitget, "main")).await;
    b.wait_text("connect-result", "bitget connected", |t| t.starts_with("Connected Bitget main")).await;
    // a unified-account (v3) key: classic v2 answers 40085, and the app switches to the v3 API
    connect(&b, Venue::Bitget, "Bitget unified", &key(Venue::Bitget, "unified")).await;
    b.wait_text("connect-result", "bitget unified connected", |t| t.starts_with("Connected Bitget unified")).await;
    assert_eq!(b.client.find_all(Locator::Css("[data-testid='account-row']")).await.unwrap().len(), 3);
    b.client.execute("window.scrollTo(0, 0); return 0;", vec![]).await.unwrap();
    b.screenshot("accounts").await;

    // sync with progress, then the dashboard; long main-thread tasks are recorded for the app's figures
    b.client
        .execute(
            "window.__longest = 0; new PerformanceObserver(l => { for (const e of l.getEntries()) \
             window.__longest = Math.max(window.__longest, e.duration); }).observe({type: 'longtask'}); return 0;",
            vec![],
        )
        .await
        .unwrap();
    b.click_testid("sync-now").await;
    b.wait_testid("sync-progress").await;
    e2e::sync_finished(&b).await;
    let stall = b.client.execute("return window.__longest;", vec![]).await.unwrap();
    println!("longest_main_thread_task_during_sync_ms={stall}");
    b.click_testid("tab-dashboard").await;
    let equity = b.wait_testid("total-equity").await.attr("data-value").await.unwrap().unwrap();
    b.client.execute("window.scrollTo(0, 0); return 0;", vec![]).await.unwrap();
    b.screenshot("dashboard").await;
    // at phone width the same figures stay readable
    b.client.set_window_size(390, 844).await.unwrap();
    b.screenshot("dashboard-phone").await;
    b.client.set_window_size(1280, 900).await.unwrap();

    // the holdings equal the ground truth's balances of the two synced accounts, asset by asset
    let mut truth: BTreeMap<String, Decimal> = BTreeMap::new();
    for (account, assets) in sandbox.truth_balances() {
        if ["binance/main/", "bitget/main/", "bitget/unified/"].iter().any(|p| account.starts_with(p)) {
            for (asset, amount) in assets {
                *truth.entry(asset).or_default() += amount;
            }
        }
    }
    truth.retain(|_, v| !v.is_zero());
    // the cell shows the amount in the browser's locale; its every digit is in data-value (and in its title)
    let mut shown: BTreeMap<String, Decimal> = BTreeMap::new();
    for row in b.client.find_all(Locator::Css("[data-testid='holdings'] tbody tr")).await.unwrap() {
        let asset = row.attr("data-asset").await.unwrap().unwrap();
        let cell = row.find(Locator::Css("[data-testid='holding-amount']")).await.unwrap();
        let amount: Decimal = cell.attr("data-value").await.unwrap().unwrap().parse().unwrap();
        shown.insert(asset, amount.round_dp(8).normalize());
    }
    let rounded: BTreeMap<String, Decimal> =
        truth.iter().map(|(a, v)| (a.clone(), v.round_dp(8).normalize())).collect();
    assert_eq!(shown, rounded, "dashboard holdings differ from the sandbox ground truth");

    // an unmatched deposit marked as income: its value becomes realized PnL (other income), equity is unchanged
    let realized_before = b.wait_testid("realized-pnl").await.attr("data-value").await.unwrap().unwrap();
    b.click_testid("tab-ledger").await;
    b.wait_testid("transfer-matching").await;
    b.client
        .find(Locator::Css("[data-testid='match-deposit'] option:nth-child(2)"))
        .await
        .expect("an unmatched deposit to mark")
        .click()
        .await
        .unwrap();
    b.click_testid("mark-income").await;
    b.click_testid("tab-dashboard").await;
    let realized_after = b.wait_text("realized-pnl", "realized PnL after marking income", |_| true).await;
    let start = std::time::Instant::now();
    let mut after = b.wait_testid("realized-pnl").await.attr("data-value").await.unwrap().unwrap();
    while after == realized_before && start.elapsed() < PATIENCE {
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = b.wait_testid("realized-pnl").await.attr("data-value").await.unwrap().unwrap();
    }
    let (before, after): (Decimal, Decimal) = (realized_before.parse().unwrap(), after.parse().unwrap());
    assert!(
        after > before,
        "marking a deposit as income raised realized PnL ({before} -> {after}, shown {realized_after})"
    );
    let equity_now = b.wait_testid("total-equity").await.attr("data-value").await.unwrap().unwrap();
    assert_eq!(equity_now, equity, "marking a leg does not change equity");

    // a deposit from outside gets the cost the user enters: nothing without a deposit chosen, never a negative
    // cost, and once saved (sealed with the settings) it is listed with its event id
    b.click_testid("tab-ledger").await;
    b.wait_testid("transfer-matching").await;
    b.fill("deposit-cost", "-1").await;
    b.click_testid("set-deposit-cost").await;
    let e = b.wait_text("matching-error", "no deposit chosen", |t| !t.is_empty()).await;
    assert!(e.contains("Choose the deposit"), "{e}");
    let chosen = b
        .client
        .find(Locator::Css("[data-testid='match-deposit'] option:nth-child(2)"))
        .await
        .expect("an unmatched deposit to give a cost");
    let id = chosen.attr("value").await.unwrap().expect("a deposit's event id");
    chosen.click().await.unwrap();
    b.click_testid("set-deposit-cost").await;
    b.wait_text("matching-error", "a negative cost refused", |t| t.contains("cannot be negative")).await;
    b.fill("deposit-cost", "123.45").await;
    b.click_testid("set-deposit-cost").await;
    let entered = b.wait_text("deposit-cost-entered", "the cost entered", |t| t.contains("cost 123.45")).await;
    assert!(entered.starts_with(&id), "{entered} names {id}");
    b.click_testid("tab-dashboard").await;

    // lock, wrong passphrase, right passphrase: the data is there without a new sync
    b.client.refresh().await.unwrap();
    b.fill("passphrase", "not the passphrase").await;
    b.click_testid("unlock").await;
    let err = b.wait_text("unlock-error", "wrong passphrase", |t| !t.is_empty()).await;
    assert!(err.starts_with("wrong passphrase"), "{err}");
    b.fill("passphrase", PASSPHRASE).await;
    b.click_testid("unlock").await;
    let again = b.wait_testid("total-equity").await.attr("data-value").await.unwrap().unwrap();
    assert_eq!(again, equity, "after unlock the dashboard shows the stored data");
    // the report was computed off the page, in the engine worker (static/worker.js), under the relay's CSP
    let computed_in = b.wait_testid("dashboard").await.attr("data-computed-in").await.unwrap();
    assert_eq!(computed_in.as_deref(), Some("worker"), "the dashboard's report came from the engine worker");

    // no secret in the browser's storage
    let dump = b.storage_dump().await;
    assert!(dump.len() > 1000, "the storage dump is suspiciously small: {} bytes", dump.len());
    for k in [key(Venue::Binance, "main"), key(Venue::Bitget, "main"), key(Venue::Bitget, "unified")] {
        for secret in [k.secret.expose(), k.api_key.as_str(), k.passphrase.expose()] {
            if !secret.is_empty() {
                assert!(!dump.contains(secret), "a key, secret or passphrase is stored in plaintext");
            }
        }
    }
    assert!(!dump.contains(PASSPHRASE));

    // export the encrypted backup and restore it in a fresh browser profile
    b.click_testid("tab-settings").await;
    b.click_testid("export-backup").await;
    let downloaded = b.download("meetcrypt-vault.backup").await;
    let bytes = std::fs::read(&downloaded).unwrap();
    // the browser's download folder goes with it: keep the file
    let backup = dir.0.join("meetcrypt-vault.backup");
    std::fs::write(&backup, &bytes).unwrap();
    for k in [key(Venue::Binance, "main"), key(Venue::Bitget, "main")] {
        assert!(!String::from_utf8_lossy(&bytes).contains(k.secret.expose()), "the backup holds a plaintext secret");
    }
    b.close().await;
    let fresh = Browser::start().await;
    fresh.client.goto(&relay.url()).await.unwrap();
    fresh.wait_testid("import-backup-form").await;
    fresh.wait_testid("backup-file").await.send_keys(backup.to_str().unwrap()).await.unwrap();
    fresh.fill("backup-passphrase", PASSPHRASE).await;
    fresh.click_testid("import-backup").await;
    let restored = fresh.wait_testid("total-equity").await.attr("data-value").await.unwrap().unwrap();
    assert_eq!(restored, equity, "the restored vault shows the same portfolio without a sync");
    fresh.screenshot("restored").await;
    fresh.close().await;

    // nothing secret in what the relay logged, and no write reached a venue
    let logged = logs.text();
    assert!(logged.contains("binance"), "the relay logged nothing: the search below would prove nothing");
    for k in [key(Venue::Binance, "main"), key(Venue::Bitget, "main"), trader, withdrawer, bitget_trader] {
        for secret in [k.secret.expose(), k.api_key.as_str(), k.passphrase.expose()] {
            if !secret.is_empty() {
                assert!(!logged.contains(secret), "the relay logged a key, secret or passphrase");
            }
        }
    }
    assert!(sandbox.breaches().is_empty(), "a write reached the venue: {:?}", sandbox.breaches());
}
