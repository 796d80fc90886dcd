//! The vault in the user's hands, in headless Chromium against the relay and the simulated venues: the passphrase
//! changed and the data keys rotated from Settings (each followed by the offer of a fresh encrypted backup), with
//! everything still there after a reload.

use catalogue::Venue;
use e2e::{Browser, RunningRelay, TempDir, equity, sync_finished, wait_for};
use fantoccini::Locator;
use simvenues::sandbox::{Sandbox, SandboxConfig};

const PASSPHRASE: &str = "correct horse battery staple 42";
const NEW_PASSPHRASE: &str = "a different stapler, 7 horses";

/// The simulated venues and the relay serving the built app in front of them.
struct World {
    sandbox: Sandbox,
    relay: RunningRelay,
    _dir: TempDir,
}

impl World {
    async fn start() -> World {
        let sandbox = Sandbox::start(SandboxConfig { seed: 11, ..SandboxConfig::default() }).await.expect("sandbox");
        let dir = TempDir::new("meetcrypt-vault-e2e");
        let relay = RunningRelay::serving_demo(&sandbox, &dir).await;
        World { sandbox, relay, _dir: dir }
    }

    fn key(&self, venue: Venue) -> simvenues::keys::DemoKey {
        let v = match venue {
            Venue::Binance => simvenues::keys::Venue::Binance,
            Venue::Bitget => simvenues::keys::Venue::Bitget,
        };
        self.sandbox.key(v, "main").unwrap_or_else(|| panic!("no {venue} key main")).clone()
    }
}

/// A new vault in a fresh profile, on the dashboard.
async fn first_run(b: &Browser, w: &World) {
    b.create_vault(&w.relay.url(), PASSPHRASE).await;
}

/// Fills the connect form (the Accounts tab is open) and presses Connect.
async fn fill_connect(b: &Browser, venue: Venue, label: &str, api_key: &str, secret: &str, passphrase: &str) {
    b.client
        .find(Locator::Css(&format!("[data-testid='venue'] option[value='{}']", venue.as_str())))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.fill("label", label).await;
    b.fill("api-key", api_key).await;
    b.fill("api-secret", secret).await;
    if venue == Venue::Bitget {
        b.fill("api-passphrase", passphrase).await;
    }
    b.click_testid("connect").await;
}

async fn connect_binance(b: &Browser, w: &World) {
    let key = w.key(Venue::Binance);
    b.click_testid("add-account").await;
    fill_connect(b, Venue::Binance, "Binance main", &key.api_key, key.secret.expose(), "").await;
    b.wait_text("connect-result", "binance connected", |t| t.starts_with("Connected Binance main")).await;
}

async fn unlock_with(b: &Browser, passphrase: &str) {
    b.fill("passphrase", passphrase).await;
    b.click_testid("unlock").await;
}

/// What the input with this `data-testid` holds now (its `value` property).
async fn input_value(b: &Browser, testid: &str) -> String {
    let script = format!("const e = document.querySelector(\"[data-testid='{testid}']\"); return e ? e.value : null;");
    let v = b.client.execute(&script, vec![]).await.expect("read an input");
    v.as_str().unwrap_or_else(|| panic!("no input {testid}")).to_string()
}

/// The data-key version of every sealed record in the page's IndexedDB (a record's bytes 1..5, little-endian:
/// docs/vault-format.md), by key.
async fn record_key_versions(b: &Browser) -> Vec<(String, u32)> {
    let script = r#"
        const done = arguments[arguments.length - 1];
        const r = indexedDB.open("meetcrypt");
        r.onerror = () => done("ERROR open");
        r.onsuccess = () => {
          const db = r.result;
          const store = db.transaction("kv").objectStore("kv");
          const keys = store.getAllKeys();
          const values = store.getAll();
          values.onerror = () => done("ERROR values");
          values.onsuccess = () => {
            db.close();
            const out = [];
            keys.result.forEach((k, i) => {
              if (!String(k).startsWith("record.")) return;
              const v = values.result[i];
              const b = v instanceof Uint8Array ? v : new Uint8Array(v.buffer || v);
              out.push([String(k), b[1] | (b[2] << 8) | (b[3] << 16) | (b[4] << 24)]);
            });
            done(out);
          };
        };
    "#;
    let v = b.client.execute_async(script, vec![]).await.expect("read the records");
    let list = v.as_array().unwrap_or_else(|| panic!("{v}"));
    list.iter().map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_u64().unwrap() as u32)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passphrase_changed_in_settings_opens_the_vault_after_a_reload() {
    let w = World::start().await;
    let b = Browser::start().await;
    first_run(&b, &w).await;
    connect_binance(&b, &w).await;

    b.click_testid("tab-settings").await;
    // a wrong current passphrase is refused, and every field is emptied all the same
    b.fill("current-passphrase", "not the passphrase at all").await;
    b.fill("new-passphrase", NEW_PASSPHRASE).await;
    b.fill("new-passphrase-confirm", NEW_PASSPHRASE).await;
    b.click_testid("change-passphrase").await;
    let refused = b.wait_text("vault-keys-error", "the wrong passphrase refused", |t| !t.is_empty()).await;
    assert!(refused.to_lowercase().contains("passphrase"), "{refused}");
    for field in ["current-passphrase", "new-passphrase", "new-passphrase-confirm"] {
        assert_eq!(input_value(&b, field).await, "", "{field} still holds text after a refusal");
    }
    assert!(b.client.find(Locator::Css("[data-testid='fresh-backup']")).await.is_err(), "no backup offered yet");

    b.fill("current-passphrase", PASSPHRASE).await;
    b.fill("new-passphrase", NEW_PASSPHRASE).await;
    b.fill("new-passphrase-confirm", NEW_PASSPHRASE).await;
    b.click_testid("change-passphrase").await;
    b.wait_text("vault-keys-result", "the passphrase changed", |t| t.starts_with("Passphrase changed")).await;
    for field in ["current-passphrase", "new-passphrase", "new-passphrase-confirm"] {
        assert_eq!(input_value(&b, field).await, "", "{field} still holds text after the change");
    }
    // the fresh backup, offered at once
    b.client.execute("document.querySelector(\"[data-testid='vault-keys']\").scrollIntoView();", vec![]).await.unwrap();
    b.screenshot("settings-passphrase-changed").await;
    b.click_testid("fresh-backup").await;
    let backup = b.download("meetcrypt-vault.backup").await;
    assert!(std::fs::read(&backup).unwrap().starts_with(b"MCVB"), "an encrypted vault backup");

    b.client.refresh().await.unwrap();
    b.capture_errors().await;
    unlock_with(&b, PASSPHRASE).await;
    let refused = b.wait_text("unlock-error", "the old passphrase refused", |t| !t.is_empty()).await;
    assert!(refused.to_lowercase().contains("passphrase"), "{refused}");
    unlock_with(&b, NEW_PASSPHRASE).await;
    b.wait_testid("sync-now").await;
    assert_eq!(b.account_names().await, ["Binance main"], "the account is still there");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_keys_rotated_in_settings_keep_every_record_readable() {
    let w = World::start().await;
    let b = Browser::start().await;
    first_run(&b, &w).await;
    connect_binance(&b, &w).await;
    b.click_testid("sync-now").await;
    sync_finished(&b).await;
    let before = equity(&b).await;
    let records = record_key_versions(&b).await;
    assert!(records.len() > 3, "a credential, settings, ledger: {records:?}");
    assert!(records.iter().all(|(_, v)| *v == 1), "{records:?}");

    b.click_testid("tab-settings").await;
    let shown = b.wait_testid("key-version").await;
    assert_eq!(shown.attr("data-version").await.unwrap().as_deref(), Some("1"));
    b.click_testid("rotate-keys").await;
    b.wait_text("vault-keys-result", "the rotation", |t| t.starts_with("Data keys rotated")).await;
    let shown = b.wait_testid("key-version").await;
    assert_eq!(shown.attr("data-version").await.unwrap().as_deref(), Some("2"), "the key version advanced");
    let after = record_key_versions(&b).await;
    assert_eq!(after.len(), records.len(), "no record lost: {after:?}");
    assert!(after.iter().all(|(_, v)| *v == 2), "every record sealed under the new key: {after:?}");
    b.wait_testid("fresh-backup").await;

    b.client.refresh().await.unwrap();
    b.capture_errors().await;
    unlock_with(&b, PASSPHRASE).await;
    b.wait_testid("sync-now").await;
    assert_eq!(equity(&b).await, before, "the ledger reads as before");
    assert_eq!(b.account_names().await, ["Binance main"], "the account is still there");
    b.close().await;
}

/// The page's markup, for the search for a secret typed into the form.
async fn page_html(b: &Browser) -> String {
    let v = b.client.execute("return document.documentElement.outerHTML;", vec![]).await.expect("read the page");
    v.as_str().unwrap().to_string()
}

/// The secret fields are empty and the page holds neither `secret` nor `passphrase`.
async fn no_secret_left(b: &Browser, when: &str, secret: &str, passphrase: &str) {
    assert_eq!(input_value(b, "api-secret").await, "", "the API secret is still in the form after {when}");
    if b.client.find(Locator::Css("[data-testid='api-passphrase']")).await.is_ok() {
        assert_eq!(input_value(b, "api-passphrase").await, "", "the passphrase is still in the form after {when}");
    }
    let html = page_html(b).await;
    assert!(!html.contains(secret), "the API secret is in the page after {when}");
    assert!(passphrase.is_empty() || !html.contains(passphrase), "the passphrase is in the page after {when}");
}

async fn set_relays(b: &Browser, relays: &str) {
    b.click_testid("tab-settings").await;
    b.fill("relays", relays).await;
    b.click_testid("save-settings").await;
    b.wait_text("settings", "the settings saved", |t| t.contains("Saved.")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connect_form_keeps_no_secret_after_a_refusal_a_network_error_or_success() {
    let w = World::start().await;
    let b = Browser::start().await;
    first_run(&b, &w).await;
    let bitget = w.key(Venue::Bitget);
    let binance = w.key(Venue::Binance);

    // refused by the venue: Bitget's key with a secret it did not issue
    let wrong_secret = "not-the-secret-4a7f19c2e8";
    b.click_testid("add-account").await;
    fill_connect(&b, Venue::Bitget, "Bitget main", &bitget.api_key, wrong_secret, bitget.passphrase.expose()).await;
    let refused = b.wait_text("connect-error", "the key refused", |t| !t.is_empty()).await;
    no_secret_left(&b, &format!("a refusal ({refused})"), wrong_secret, bitget.passphrase.expose()).await;

    // no answer: the only relay configured does not listen (loopback, a port nothing serves)
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    set_relays(&b, &dead_url).await;
    b.click_testid("add-account").await;
    fill_connect(&b, Venue::Binance, "Binance main", &binance.api_key, binance.secret.expose(), "").await;
    let failed = b.wait_text("connect-error", "the network error", |t| !t.is_empty()).await;
    no_secret_left(&b, &format!("a network error ({failed})"), binance.secret.expose(), "").await;
    assert!(b.client.find(Locator::Css("[data-testid='account-row']")).await.is_err(), "nothing was connected");

    // success, through the relay serving the page
    set_relays(&b, &w.relay.url()).await;
    b.click_testid("add-account").await;
    fill_connect(&b, Venue::Bitget, "Bitget main", &bitget.api_key, bitget.secret.expose(), bitget.passphrase.expose())
        .await;
    b.wait_text("connect-result", "bitget connected", |t| t.starts_with("Connected Bitget main")).await;
    no_secret_left(&b, "success", bitget.secret.expose(), bitget.passphrase.expose()).await;
    b.close().await;
}

/// The account row's health: its text and its `data-synced-at`, `data-added` and `data-events`.
async fn health(b: &Browser) -> (String, Option<i64>, Option<usize>, Option<usize>) {
    b.click_testid("add-account").await;
    let el = b.wait_testid("account-health").await;
    let num = |v: Option<String>| v.and_then(|s| s.parse::<i64>().ok());
    let text = el.text().await.unwrap();
    let at = num(el.attr("data-synced-at").await.unwrap());
    let added = num(el.attr("data-added").await.unwrap()).map(|n| n as usize);
    let events = num(el.attr("data-events").await.unwrap()).map(|n| n as usize);
    (text, at, added, events)
}

/// Waits until the sync timer runs every `ms` milliseconds (`off`: no timer), as the Sync now button says.
async fn timer_every(b: &Browser, ms: &str) {
    wait_for(&format!("the sync timer at {ms}"), || async {
        let button = b.client.find(Locator::Css("[data-testid='sync-now']")).await.ok()?;
        (button.attr("data-every-ms").await.ok()?.as_deref() == Some(ms)).then_some(())
    })
    .await;
}

async fn set_interval(b: &Browser, minutes: &str) {
    b.click_testid("tab-settings").await;
    b.fill("sync-interval", minutes).await;
    b.click_testid("save-settings").await;
    b.wait_text("settings", "the settings saved", |t| t.contains("Saved.")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sync_timer_follows_a_changed_interval_and_each_account_shows_what_it_found() {
    let w = World::start().await;
    let b = Browser::start().await;
    first_run(&b, &w).await;
    connect_binance(&b, &w).await;
    let (text, at, ..) = health(&b).await;
    assert_eq!((text.as_str(), at), ("not synced yet", None));

    // a sync by hand: every event is new
    b.click_testid("sync-now").await;
    sync_finished(&b).await;
    let (text, first_at, added, events) = health(&b).await;
    let (first_at, events) = (first_at.expect("a sync time"), events.expect("an event count"));
    assert!(events > 0, "the simulated account has history");
    assert_eq!(added, Some(events), "the first sync added every event");
    assert!(text.starts_with("Synced ") && text.contains(&format!("{events} new events")), "{text}");

    // the timer, at the default interval of 5 minutes, has not run; 1 minute takes effect when saved. A test-only
    // knob makes the timer's minute 300 ms (the page's `meetcryptTestMinuteMs`, read when the interval is set).
    timer_every(&b, "300000").await;
    b.client.execute("window.meetcryptTestMinuteMs = 300;", vec![]).await.unwrap();
    set_interval(&b, "1").await;
    timer_every(&b, "300").await;
    // the event: a sync the timer started, and then the account's newer outcome
    wait_for("a sync started by the timer", || async {
        let panel = b.client.find(Locator::Css("[data-testid='sync-progress']")).await.ok()?;
        (panel.attr("data-started-by").await.ok()?.as_deref() == Some("timer")).then_some(())
    })
    .await;
    // off again at once (0): a sync every 300 ms would soon spend the simulated venues' rate limits; the timer goes
    set_interval(&b, "0").await;
    timer_every(&b, "off").await;
    sync_finished(&b).await;
    let (text, at, added) = wait_for("the timer's sync outcome on the account", || async {
        let (text, at, added, _) = health(&b).await;
        at.filter(|at| *at > first_at).map(|at| (text, at, added))
    })
    .await;
    assert!(at > first_at);
    assert_eq!(added, Some(0), "nothing new on the unchanged simulated venue: {text}");
    assert!(text.starts_with("Synced ") && text.contains("nothing new"), "{text}");
    b.close().await;
}

/// Whether the page shows the tracker (unlocked) or the unlock form, once it shows either.
async fn unlocked_or_locked(b: &Browser) -> &'static str {
    wait_for("the tracker or the unlock form", || async {
        if b.client.find(Locator::Css("[data-testid='unlock-form']")).await.is_ok() {
            return Some("locked");
        }
        b.client.find(Locator::Css("[data-testid='sync-now']")).await.ok().map(|_| "unlocked")
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tab_stays_unlocked_after_a_rotation_and_locks_after_a_passphrase_change() {
    let w = World::start().await;
    let b = Browser::start().await;
    first_run(&b, &w).await;
    connect_binance(&b, &w).await;
    let a = b.client.window().await.unwrap();
    let other = b.client.new_window(true).await.unwrap().handle;
    b.client.switch_to_window(other.clone()).await.unwrap();
    b.client.goto(&w.relay.url()).await.unwrap();
    b.capture_errors().await;
    unlock_with(&b, PASSPHRASE).await;
    b.wait_testid("sync-now").await;

    // tab A rotates: the other tab, told, takes the new key with the one it holds and goes on
    b.client.switch_to_window(a.clone()).await.unwrap();
    b.click_testid("tab-settings").await;
    b.click_testid("rotate-keys").await;
    b.wait_text("vault-keys-result", "the rotation", |t| t.starts_with("Data keys rotated")).await;
    b.client.switch_to_window(other.clone()).await.unwrap();
    b.click_testid("tab-settings").await;
    wait_for("the other tab to hold key version 2", || async {
        let el = b.client.find(Locator::Css("[data-testid='key-version']")).await.ok()?;
        (el.attr("data-version").await.ok()?.as_deref() == Some("2")).then_some(())
    })
    .await;
    assert_eq!(unlocked_or_locked(&b).await, "unlocked");
    // and what it writes now is sealed under the new key: a rename, read back after a reload
    b.click_testid("add-account").await;
    b.click_testid("rename-account").await;
    b.fill("account-name-input", "Renamed after the rotation").await;
    b.click_testid("rename-account").await;
    b.wait_text("account-name", "the rename", |t| t == "Renamed after the rotation").await;

    // tab A changes the passphrase: the other tab locks and asks for the new one
    b.client.switch_to_window(a.clone()).await.unwrap();
    b.fill("current-passphrase", PASSPHRASE).await;
    b.fill("new-passphrase", NEW_PASSPHRASE).await;
    b.fill("new-passphrase-confirm", NEW_PASSPHRASE).await;
    b.click_testid("change-passphrase").await;
    b.wait_text("vault-keys-result", "the passphrase changed", |t| t.starts_with("Passphrase changed")).await;
    b.client.switch_to_window(other.clone()).await.unwrap();
    b.wait_testid("unlock-form").await;
    unlock_with(&b, PASSPHRASE).await;
    b.wait_text("unlock-error", "the old passphrase refused", |t| !t.is_empty()).await;
    unlock_with(&b, NEW_PASSPHRASE).await;
    b.wait_testid("sync-now").await;
    assert_eq!(b.account_names().await, ["Renamed after the rotation"]);
    b.close().await;
}
