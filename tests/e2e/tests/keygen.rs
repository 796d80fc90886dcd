//! "Create a key for me" in headless Chromium against the relay and the simulated venues: an Ed25519 key pair
//! generated in the vault, its public key registered with the sandbox's simulated Binance (the sandbox-only route,
//! docs/venues.md §1.2 "Self-generated keys"), the API key connected, a sync, the account's holdings on the
//! dashboard; then no trace of the private key in IndexedDB, the relay's log, the DOM or any input; and the
//! encrypted backup restored in a fresh profile still signs.

use std::collections::BTreeMap;

use base64::Engine as _;
use e2e::{Browser, CapturedLogs, RunningRelay, TempDir, sync_finished};
use fantoccini::Locator;
use ledger::Decimal;
use simvenues::sandbox::{Sandbox, SandboxConfig};
use vault::{MemoryStore, Passphrase, Vault};

const PASSPHRASE: &str = "correct horse battery staple 42";

/// The value of every input, textarea and select on the page.
async fn every_input_value(b: &Browser) -> String {
    let script =
        "return Array.from(document.querySelectorAll('input, textarea, select')).map(e => e.value).join('\\n');";
    b.client.execute(script, vec![]).await.expect("read the inputs").as_str().unwrap_or_default().to_string()
}

/// The value of the input or textarea with this `data-testid`.
async fn input_value(b: &Browser, testid: &str) -> String {
    let script = format!("const e = document.querySelector(\"[data-testid='{testid}']\"); return e ? e.value : null;");
    let v = b.client.execute(&script, vec![]).await.expect("read an input");
    v.as_str().unwrap_or_default().to_string()
}

/// Waits until the input with this `data-testid` holds something; its value.
async fn wait_value(b: &Browser, testid: &str) -> String {
    e2e::wait_for(testid, || async {
        let v = input_value(b, testid).await;
        (!v.is_empty()).then_some(v)
    })
    .await
}

async fn sync_now(b: &Browser) {
    b.click_testid("sync-now").await;
    b.wait_testid("sync-progress").await;
    sync_finished(b).await;
}

/// The dashboard's holdings, asset by asset, to 8 decimals.
async fn holdings(b: &Browser) -> BTreeMap<String, Decimal> {
    b.click_testid("tab-dashboard").await;
    b.wait_testid("total-equity").await;
    let mut shown = BTreeMap::new();
    for row in b.client.find_all(Locator::Css("[data-testid='holdings'] tbody tr")).await.unwrap() {
        let asset = row.attr("data-asset").await.unwrap().unwrap();
        let cell = row.find(Locator::Css("[data-testid='holding-amount']")).await.unwrap();
        let amount: Decimal = cell.attr("data-value").await.unwrap().unwrap().parse().unwrap();
        shown.insert(asset, amount.round_dp(8).normalize());
    }
    shown
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_born_in_the_browser_connects_syncs_and_leaves_no_trace() {
    let logs = CapturedLogs::install();
    let sandbox = Sandbox::start(SandboxConfig { seed: 11, ..SandboxConfig::default() }).await.expect("sandbox");
    let dir = TempDir::new("meetcrypt-keygen");
    let relay = RunningRelay::serving_demo(&sandbox, &dir).await;
    let b = Browser::start().await;
    b.create_vault(&relay.url(), PASSPHRASE).await;

    // generate: only the public key is shown, with the steps and the relay's IPs
    b.click_testid("add-account").await;
    b.click_testid("keygen-create").await;
    let public_pem = wait_value(&b, "keygen-public-key").await;
    assert!(public_pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{public_pem}");
    let ips = b.wait_text("keygen-ips", "the relay's IPs in the steps", |t| t.contains("127.0.0.2")).await;
    assert_eq!(ips, "127.0.0.2");
    let steps = b.wait_testid("keygen-steps").await.text().await.unwrap();
    assert!(steps.contains("Self-generated") && steps.contains("Enable Reading"), "{steps}");
    b.client
        .execute("document.querySelector(\"[data-testid='keygen']\").scrollIntoView(); return 0;", vec![])
        .await
        .unwrap();
    b.screenshot("keygen").await;

    // register with the sandbox (through the relay's sandbox-only route), connect, sync
    b.click_testid("keygen-register-sandbox").await;
    let api_key = wait_value(&b, "keygen-api-key").await;
    b.fill("keygen-label", "Binance self").await;
    b.click_testid("keygen-connect").await;
    let connected = b.wait_text("keygen-result", "connected", |t| t.starts_with("Connected")).await;
    assert!(connected.contains("self-generated"), "{connected}");
    let errors = b.wait_testid("keygen-error").await.text().await.unwrap();
    assert!(errors.is_empty(), "{errors}");
    assert_eq!(b.client.find_all(Locator::Css("[data-testid='account-row']")).await.unwrap().len(), 1);
    sync_now(&b).await;

    // the account's equity: the holdings equal the ground truth of the account the key reads (main)
    let mut truth: BTreeMap<String, Decimal> = BTreeMap::new();
    for (account, assets) in sandbox.truth_balances() {
        if account.starts_with("binance/main/") {
            for (asset, amount) in assets {
                *truth.entry(asset).or_default() += amount;
            }
        }
    }
    truth.retain(|_, v| !v.is_zero());
    let truth: BTreeMap<String, Decimal> = truth.into_iter().map(|(a, v)| (a, v.round_dp(8).normalize())).collect();
    assert!(!truth.is_empty());
    assert_eq!(holdings(&b).await, truth, "the dashboard's holdings differ from the account's ground truth");
    let equity: Decimal =
        b.wait_testid("total-equity").await.attr("data-value").await.unwrap().unwrap().parse().unwrap();
    assert!(equity > Decimal::ZERO, "{equity}");

    // the encrypted backup; opened here, natively, it names the private key the searches below look for
    b.click_testid("tab-settings").await;
    b.click_testid("export-backup").await;
    let bytes = std::fs::read(b.download("meetcrypt-vault.backup").await).unwrap();
    let backup = dir.0.join("meetcrypt-vault.backup");
    std::fs::write(&backup, &bytes).unwrap();
    let opened = Vault::import_backup(MemoryStore::new(), &bytes, &Passphrase::new(PASSPHRASE)).unwrap();
    assert!(opened.pending_keys().unwrap().is_empty(), "the pending key went when its API key was attached");
    let credentials = opened.credentials().unwrap();
    assert_eq!(credentials.len(), 1);
    let credential = &credentials[0].1;
    assert_eq!(credential.api_key.expose(), api_key);
    let pem = credential.api_secret.expose().to_string();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(&body).unwrap();
    assert_eq!(der.len(), 48, "an Ed25519 PKCS#8 private key");
    let seed = &der[16..];
    let seed_hex: String = seed.iter().map(|b| format!("{b:02x}")).collect();
    let needles = [
        "PRIVATE KEY".to_string(),
        body.clone(),
        base64::engine::general_purpose::STANDARD.encode(seed),
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(seed),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(seed),
        seed_hex.clone(),
        seed_hex.to_uppercase(),
    ];
    let raw_seed: String = seed.iter().map(|&c| c as char).collect();
    let search = |what: &str, hay: &str| {
        for needle in &needles {
            assert!(!hay.contains(needle.as_str()), "the private key is in {what}");
        }
        assert!(!hay.contains(&raw_seed), "the private key's raw bytes are in {what}");
    };

    // no trace: IndexedDB (every database and store, raw), the relay's log, the DOM, every input
    let dump = b.storage_dump().await;
    assert!(dump.contains("record.credential."), "the dump holds the vault: the search below proves something");
    search("IndexedDB", &dump);
    search("the backup", &String::from_utf8_lossy(&bytes));
    let logged = logs.text();
    assert!(logged.contains("binance"), "the relay logged nothing: the search would prove nothing");
    search("the relay's log", &logged);
    for tab in ["tab-settings", "tab-dashboard", "add-account"] {
        b.click_testid(tab).await;
        let html = b.client.execute("return document.documentElement.outerHTML;", vec![]).await.unwrap();
        let html = html.as_str().unwrap();
        assert!(html.len() > 1000);
        search("the DOM", html);
        search("an input", &every_input_value(&b).await);
    }
    b.close().await;

    // restored in a fresh profile, the key still signs: a sync reads the account again
    let fresh = Browser::start().await;
    fresh.client.goto(&relay.url()).await.unwrap();
    fresh.capture_errors().await;
    fresh.wait_testid("import-backup-form").await;
    fresh.wait_testid("backup-file").await.send_keys(backup.to_str().unwrap()).await.unwrap();
    fresh.fill("backup-passphrase", PASSPHRASE).await;
    fresh.click_testid("import-backup").await;
    fresh.wait_testid("total-equity").await;
    let before = sandbox_requests_signed(&logs);
    sync_now(&fresh).await;
    assert!(sandbox_requests_signed(&logs) > before, "the restored vault's sync sent signed requests");
    assert_eq!(holdings(&fresh).await, truth, "after the restore the sync reads the same account");
    fresh.close().await;
    assert!(sandbox.breaches().is_empty(), "a write reached the venue: {:?}", sandbox.breaches());
}

/// How many signed account reads the relay has forwarded with a 200 so far.
fn sandbox_requests_signed(logs: &CapturedLogs) -> usize {
    logs.text()
        .lines()
        .filter(|l| l.contains("forwarded") && l.contains("/api/v3/account") && l.contains("status=200"))
        .count()
}
