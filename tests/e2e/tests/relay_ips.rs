//! The setup guide's relay IPs are the operator's signed list, verified by the app (docs/relay.md, "The signed IP
//! list"): the demo relay signs its egress IP with the demo operator key and the app, built with its public key,
//! shows it; a list past its window, a relay whose list another key signed, or one that publishes none, gets an
//! error on screen and no IP, until the user configures that other operator's key in Settings.
//! The guide also lists what the relay forwards for the picked exchange (`GET /v1/catalogue`).

use catalogue::Venue;
use e2e::{Browser, RunningRelay, TempDir};
use fantoccini::Locator;
use simvenues::generator::Size;
use simvenues::sandbox::{Sandbox, SandboxConfig};

const PASSPHRASE: &str = "correct horse battery staple 42";

/// Opens the app at `url`, creates a vault and opens the connect form with its setup guide.
async fn setup_guide(b: &Browser, url: &str) {
    b.create_vault(url, PASSPHRASE).await;
    b.click_testid("add-account").await;
    b.wait_testid("setup-guide").await;
}

async fn count(b: &Browser, testid: &str) -> usize {
    b.client.find_all(Locator::Css(&format!("[data-testid='{testid}']"))).await.unwrap().len()
}

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig { seed: 3, size: Size::Tiny, ..SandboxConfig::default() }).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_setup_guide_shows_the_verified_ips_and_what_the_relay_forwards() {
    let sandbox = sandbox().await;
    let dir = TempDir::new("meetcrypt-signed-ips");
    let relay = RunningRelay::serving_demo(&sandbox, &dir).await;
    let b = Browser::start().await;
    setup_guide(&b, &relay.url()).await;
    let verified = b
        .wait_text("relay-ips-verified", "the list verified", |t| t.starts_with("Signed by the relay's operator"))
        .await;
    // the demo operator key (scripts/lib.sh, DEMO_RELAY_IPS_KEY)
    assert!(verified.contains("key 86ab0323f2afe87b"), "{verified}");
    assert_eq!(b.wait_testid("relay-ips").await.text().await.unwrap(), "127.0.0.2");
    assert_eq!(count(&b, "relay-ips-error").await, 0);
    assert_eq!(count(&b, "copy-ips").await, 1);

    // what a key will be used for: the picked exchange's reads, as the relay publishes them
    for venue in [Venue::Binance, Venue::Bitget] {
        let option = format!("[data-testid='venue'] option[value='{}']", venue.as_str());
        b.client.find(Locator::Css(&option)).await.unwrap().click().await.unwrap();
        let n = catalogue::ENDPOINTS.iter().filter(|e| e.venue == venue).count();
        b.wait_text("relay-catalogue", "the venue's reads", |t| t.contains(&format!("the {n} reads"))).await;
        assert_eq!(count(&b, "relay-catalogue-row").await, n, "{venue:?}");
    }
    b.click_testid("relay-catalogue").await;
    let first = b.wait_testid("relay-catalogue-row").await.text().await.unwrap();
    let first = first.split_whitespace().collect::<Vec<_>>().join(" ");
    let e = catalogue::ENDPOINTS.iter().find(|e| e.venue == Venue::Bitget).unwrap();
    assert_eq!(first, format!("{} {} {}", e.method.as_str(), e.path, e.weight("")), "method, path, weight");
    b.screenshot("setup-guide-signed-ips").await;

    // the same list once its window has passed (the page's clock moved to 2100): an error, and no IP
    b.client.execute("Date.now = () => 4102444800000;", vec![]).await.unwrap();
    b.click_testid("tab-dashboard").await;
    b.click_testid("add-account").await;
    let e = b.wait_text("relay-ips-error", "the list expired", |t| !t.is_empty()).await;
    assert!(e.contains("expired on") && e.contains("sign it again"), "{e}");
    assert_eq!((count(&b, "relay-ips").await, count(&b, "copy-ips").await), (0, 0));
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_signed_by_another_key_or_none_shows_an_error_and_no_ip_unless_settings_trust_that_key() {
    let sandbox = sandbox().await;
    let dir = TempDir::new("meetcrypt-signed-ips-other");
    sandbox.write_dir(&dir.0).expect("write the sandbox's files");
    let other = dir.0.join("other-operator.key");
    let other_operator = signedips::OperatorKey::from_seed(&[42; 32]);
    std::fs::write(&other, other_operator.to_file()).unwrap();
    let other_key = other_operator.public_key();
    let app = e2e::built_static_dir();
    let (app, venues) = (app.to_str().unwrap(), dir.0.to_str().unwrap());
    let b = Browser::start().await;

    let forged = RunningRelay::start(&[
        "--static",
        app,
        "--sandbox",
        venues,
        "--egress",
        "127.0.0.2",
        "--ips-signing-key",
        other.to_str().unwrap(),
    ])
    .await;
    setup_guide(&b, &forged.url()).await;
    let e = b.wait_text("relay-ips-error", "the refusal", |t| !t.is_empty()).await;
    assert!(e.contains("refused") && e.contains("not by the trusted operator key 86ab0323f2afe87b"), "{e}");
    assert_eq!((count(&b, "relay-ips").await, count(&b, "copy-ips").await), (0, 0), "no IP, nothing to copy");
    let page: String = b.client.find(Locator::Css("body")).await.unwrap().text().await.unwrap();
    assert!(!page.contains("127.0.0.2"), "no IP anywhere on the page");

    // the user trusts that relay's operator: its key, configured in Settings, replaces the built-in one
    b.click_testid("tab-settings").await;
    b.fill("relay-ips-key-input", "not a key").await;
    b.click_testid("relay-ips-key-save").await;
    let e = b.wait_text("relay-ips-key-error", "a bad key refused", |t| !t.is_empty()).await;
    assert!(e.contains("64 hex digits"), "{e}");
    assert_eq!(b.wait_testid("relay-ips-key-current").await.text().await.unwrap(), "none");
    b.fill("relay-ips-key-input", &other_key.to_hex()).await;
    b.click_testid("relay-ips-key-save").await;
    b.wait_text("relay-ips-key-result", "the key saved", |t| t.starts_with("Saved")).await;
    b.click_testid("add-account").await;
    let v = b.wait_text("relay-ips-verified", "verified with the configured key", |t| !t.is_empty()).await;
    assert!(v.contains(&format!("key {}…, configured in Settings", other_key.short())), "{v}");
    assert_eq!(b.wait_testid("relay-ips").await.text().await.unwrap(), "127.0.0.2");
    // cleared: the built-in key again, and the same refusal
    b.click_testid("tab-settings").await;
    b.click_testid("relay-ips-key-clear").await;
    b.wait_text("relay-ips-key-result", "the key cleared", |t| t.starts_with("Cleared")).await;
    b.click_testid("add-account").await;
    let e = b.wait_text("relay-ips-error", "refused again", |t| !t.is_empty()).await;
    assert!(e.contains("not by the trusted operator key 86ab0323f2afe87b"), "{e}");
    assert_eq!(count(&b, "relay-ips").await, 0);

    let unsigned = RunningRelay::start(&["--static", app, "--sandbox", venues, "--egress", "127.0.0.2"]).await;
    setup_guide(&b, &unsigned.url()).await;
    let e = b.wait_text("relay-ips-error", "no list", |t| !t.is_empty()).await;
    assert!(e.contains("publishes no signed IP list"), "{e}");
    assert_eq!(count(&b, "relay-ips").await, 0);
    b.close().await;
}
