//! The built app in headless Chromium, served by the relay: the pipeline from `scripts/build-app` to a rendered
//! page works end to end.

use e2e::{Browser, RunningRelay, built_static_dir};
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
