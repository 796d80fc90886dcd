//! The built app in headless Chromium, served by the relay: the pipeline from `scripts/build-app` to a rendered
//! page works end to end.

use e2e::{Browser, RunningRelay, TempDir, built_static_dir};
use fantoccini::Locator;

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
    let built = built_static_dir();
    let served = TempDir::new("meetcrypt-static");
    let mut held_back = Vec::new();
    for entry in walk(&built) {
        let rel = entry.strip_prefix(&built).unwrap();
        let name = rel.to_string_lossy();
        if name.starts_with("pkg/split_") || name.starts_with("pkg/chunk_") {
            held_back.push(name.into_owned());
            continue;
        }
        std::fs::create_dir_all(served.0.join(rel).parent().unwrap()).unwrap();
        std::fs::copy(&entry, served.0.join(rel)).unwrap();
    }
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
