//! The built app in headless Chromium, served by the relay: the pipeline from `scripts/build-app` to a rendered
//! page works end to end.

use catalogue::Venue;
use e2e::{Browser, RunningRelay, TempDir, built_static_dir, connect, equity, sync_ended, sync_finished, wait_for};
use fantoccini::Locator;
use simvenues::generator::Size;
use simvenues::sandbox::{Sandbox, SandboxConfig};

const PASSPHRASE: &str = "correct horse battery staple orbit";

/// The page loads from the relay, the wasm runs and renders the first-run screen. Fails if the wasm did not load:
/// the `app` element exists only when the bundle ran, and the boot script shows `boot-error` otherwise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_built_app_loads_from_the_relay_and_renders() {
    let dir = built_static_dir();
    let relay = RunningRelay::start(&["--static", dir.to_str().unwrap()]).await;
    let browser = Browser::start().await;
    browser.client.goto(&relay.url()).await.expect("open the app");
    let app = browser.wait_testid("app").await;
    assert!(app.text().await.unwrap().contains("Meetcrypt"));
    // a fresh profile has no vault: the first-run screen asks for a passphrase
    browser.wait_testid("create-vault-form").await;
    assert!(
        browser.client.find(Locator::Css("[data-testid='boot-error']")).await.is_err(),
        "the boot script reported an error"
    );
    let title = browser.client.title().await.unwrap();
    assert_eq!(title, "Meetcrypt");
    browser.screenshot("first-run").await;
    browser.close().await;
}

/// The bundle is split (app/src/split.rs): the first screen needs only the main module, and a module that cannot be
/// fetched is a clear error, not a blank page. Served without the tracker's and the engine's modules, the app still
/// shows the first-run screen and creates the vault; opening the tracker then says what went wrong.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_screen_needs_only_the_main_module() {
    let served = TempDir::new("meetcrypt-static");
    let held_back = copy_built_app(&served, |name| name.starts_with("pkg/split_") || name.starts_with("pkg/chunk_"));
    assert!(
        held_back.iter().any(|n| n.starts_with("pkg/split_tracker-"))
            && held_back.iter().any(|n| n.starts_with("pkg/split_engine-")),
        "the built bundle is not split at the tracker and the engine: {held_back:?}"
    );
    let relay = RunningRelay::start(&["--static", served.0.to_str().unwrap()]).await;
    let browser = Browser::start().await;
    browser.client.goto(&relay.url()).await.expect("open the app");
    browser.capture_errors().await;
    browser.wait_testid("create-vault-form").await;
    for (id, text) in [
        ("passphrase", "correct horse battery staple orbit"),
        ("passphrase-confirm", "correct horse battery staple orbit"),
    ] {
        browser.wait_testid(id).await.send_keys(text).await.unwrap();
    }
    browser.wait_testid("create-vault").await.click().await.unwrap();
    let error = browser.wait_testid("load-error").await.text().await.unwrap();
    assert!(error.contains("could not be loaded") && error.contains("reload"), "the error says what to do: {error}");
    browser.close().await;
}

/// Copies the built app (`static/`) into `to`, but for the files whose path under `static/` `hold_back` names;
/// returns those paths.
fn copy_built_app(to: &TempDir, hold_back: impl Fn(&str) -> bool) -> Vec<String> {
    let built = built_static_dir();
    let mut held_back = Vec::new();
    for entry in walk(&built) {
        let rel = entry.strip_prefix(&built).unwrap();
        let name = rel.to_string_lossy();
        if hold_back(&name) {
            held_back.push(name.into_owned());
            continue;
        }
        std::fs::create_dir_all(to.0.join(rel).parent().unwrap()).unwrap();
        std::fs::copy(&entry, to.0.join(rel)).unwrap();
    }
    held_back
}

/// The sync's code is a module of its own (app/src/split.rs), fetched once the tracker is open. Served without it,
/// the tracker opens and connects an account, and Sync now says that a part of the app's code could not be loaded,
/// with nothing changed; once the module can be fetched again (the relay restarted, the network back), the next
/// Sync now fetches it and syncs, in the same page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_whose_code_cannot_be_fetched_says_so_and_the_next_one_syncs() {
    let sandbox =
        Sandbox::start(SandboxConfig { seed: 11, size: Size::Tiny, ..SandboxConfig::default() }).await.unwrap();
    let dir = TempDir::new("meetcrypt-sync-module");
    let served = TempDir::new("meetcrypt-static");
    let held_back = copy_built_app(&served, |name| name.starts_with("pkg/split_sync-"));
    assert!(
        held_back.iter().any(|n| n.starts_with("pkg/split_sync-") && n.ends_with(".wasm")),
        "the built bundle has no sync module: {held_back:?}"
    );
    let relay = RunningRelay::serving_demo_from(&sandbox, &dir, &served.0).await;
    let b = Browser::start().await;
    b.create_vault(&relay.url(), PASSPHRASE).await;
    b.click_testid("add-account").await;
    let key = sandbox.key(simvenues::keys::Venue::Bitget, "main").expect("a Bitget key").clone();
    connect(&b, Venue::Bitget, "Bitget main", &key).await;
    b.wait_text("connect-result", "bitget connected", |t| t.starts_with("Connected Bitget main")).await;

    // the sync's code cannot be fetched: the sync says so, and nothing changed
    b.click_testid("sync-now").await;
    let error = b.wait_text("sync-error", "the sync's error", |t| !t.is_empty()).await;
    assert!(
        error.contains("could not be loaded") && error.contains("try again"),
        "the error says what happened and what to do: {error}"
    );
    sync_ended(&b).await;
    let health = b.wait_testid("account-health").await;
    assert_eq!(health.attr("data-synced-at").await.unwrap(), None, "an account synced without the sync's code");
    assert_eq!(b.account_names().await, ["Bitget main"]);

    // the module is there again: the next sync fetches it and syncs
    for name in &held_back {
        std::fs::copy(built_static_dir().join(name), served.0.join(name)).unwrap();
    }
    b.click_testid("sync-now").await;
    wait_for("the sync's error to clear", || async {
        b.client.find(Locator::Css("[data-testid='sync-error']")).await.is_err().then_some(())
    })
    .await;
    // the whole sync is waited for with the sync's patience; then its account shows it synced
    sync_finished(&b).await;
    wait_for("the account's first sync", || async {
        let health = b.client.find(Locator::Css("[data-testid='account-health']")).await.ok()?;
        health.attr("data-synced-at").await.ok().flatten()
    })
    .await;
    let events = b.wait_testid("account-health").await.attr("data-events").await.unwrap();
    assert!(events.is_some_and(|n| n.parse::<u64>().unwrap() > 0), "the sync read no event");
    let equity = equity(&b).await;
    assert!(equity.parse::<ledger::Decimal>().unwrap() > ledger::Decimal::ZERO, "the dashboard's equity: {equity}");
    assert!(sandbox.breaches().is_empty(), "a write reached the venue: {:?}", sandbox.breaches());
    b.close().await;
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { files.extend(walk(&path)) } else { files.push(path) }
    }
    files
}

/// Over a slow network (10 Mbit/s, 40 ms added per request, as chromedriver emulates it) the first screen waits
/// for the main module only, and that module arrives gzipped. Prints when the first screen was on the page and
/// what had been transferred by then.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_a_slow_network_the_first_screen_waits_for_the_main_module_only() {
    let dir = built_static_dir();
    let relay = RunningRelay::start(&["--static", dir.to_str().unwrap()]).await;
    let browser = Browser::start().await;
    browser.throttle(40, 1_250_000).await;
    browser.client.goto(&relay.url()).await.expect("open the app");
    browser.wait_testid("create-vault-form").await;
    let figure = browser
        .client
        .execute(
            "const mark = performance.getEntriesByName('meetcrypt:first-screen')[0];
             const before = performance.getEntriesByType('resource').filter(r => r.responseEnd <= mark.startTime);
             return {
               first_screen_ms: Math.round(mark.startTime),
               wasm_before: before.filter(r => r.name.endsWith('.wasm')).map(r => r.name.split('/').pop()),
               main: performance.getEntriesByType('resource').filter(r => r.name.endsWith('/app_bg.wasm'))
                 .map(r => ({ transferred: r.transferSize, decoded: r.decodedBodySize }))[0],
               transferred_before: before.reduce((n, r) => n + r.transferSize, 0),
             };",
            vec![],
        )
        .await
        .unwrap();
    println!("slow network (10 Mbit/s, +40 ms): {figure}");
    assert_eq!(
        figure["wasm_before"],
        serde_json::json!(["app_bg.wasm"]),
        "the first screen needs the main module only"
    );
    let (transferred, decoded) =
        (figure["main"]["transferred"].as_u64().unwrap(), figure["main"]["decoded"].as_u64().unwrap());
    assert!(
        transferred > 0 && transferred * 2 < decoded,
        "the main module arrives gzipped: {transferred} of {decoded} bytes"
    );
    browser.close().await;
}
