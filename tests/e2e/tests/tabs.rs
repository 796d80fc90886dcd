//! Two tabs of one browser profile share one vault in IndexedDB: an account connected in one tab survives a sync in
//! the other, both tabs end showing every account and the same portfolio, and no sealed credential is left behind
//! without an account.

use catalogue::Venue;
use e2e::{Browser, RunningRelay, TempDir, connect, equity, sync_finished, wait_for};
use fantoccini::Locator;
use fantoccini::wd::WindowHandle;
use simvenues::sandbox::{Sandbox, SandboxConfig};

const PASSPHRASE: &str = "correct horse battery staple 42";

async fn unlock(b: &Browser) {
    b.fill("passphrase", PASSPHRASE).await;
    b.click_testid("unlock").await;
    b.wait_testid("sync-now").await;
}

/// The keys of the sealed credentials in the page's IndexedDB.
async fn credential_records(b: &Browser) -> Vec<String> {
    let script = r#"
        const done = arguments[arguments.length - 1];
        const r = indexedDB.open("meetcrypt");
        r.onerror = () => done("ERROR open");
        r.onsuccess = () => {
          const db = r.result;
          const q = db.transaction("kv").objectStore("kv").getAllKeys();
          q.onerror = () => done("ERROR keys");
          q.onsuccess = () => { db.close(); done(q.result.filter(k => String(k).startsWith("record.credential."))); };
        };
    "#;
    let v = b.client.execute_async(script, vec![]).await.expect("list the credentials");
    let keys = v.as_array().unwrap_or_else(|| panic!("{v}"));
    keys.iter().map(|k| k.as_str().unwrap().to_string()).collect()
}

async fn switch(b: &Browser, to: &WindowHandle) {
    b.client.switch_to_window(to.clone()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_tabs_lose_nothing() {
    let sandbox = Sandbox::start(SandboxConfig { seed: 11, ..SandboxConfig::default() }).await.expect("sandbox");
    let dir = TempDir::new("meetcrypt-tabs");
    let relay = RunningRelay::serving_demo(&sandbox, &dir).await;
    let key = |venue: Venue| {
        let v = match venue {
            Venue::Binance => simvenues::keys::Venue::Binance,
            Venue::Bitget => simvenues::keys::Venue::Bitget,
        };
        sandbox.key(v, "main").unwrap_or_else(|| panic!("no {venue} key main")).clone()
    };
    let b = Browser::start().await;

    // tab A: a new vault with one account
    b.create_vault(&relay.url(), PASSPHRASE).await;
    let a = b.client.window().await.unwrap();
    b.click_testid("add-account").await;
    connect(&b, Venue::Binance, "Binance main", &key(Venue::Binance)).await;
    b.wait_text("connect-result", "binance connected", |t| t.starts_with("Connected Binance main")).await;

    // tab B: the same profile, unlocked while the vault holds one account
    let tab_b = b.client.new_window(true).await.unwrap().handle;
    switch(&b, &tab_b).await;
    b.client.goto(&relay.url()).await.unwrap();
    b.capture_errors().await;
    unlock(&b).await;
    assert_eq!(b.account_names().await, ["Binance main"]);

    // A connects a second account; B syncs
    switch(&b, &a).await;
    connect(&b, Venue::Bitget, "Bitget main", &key(Venue::Bitget)).await;
    b.wait_text("connect-result", "bitget connected", |t| t.starts_with("Connected Bitget main")).await;
    switch(&b, &tab_b).await;
    b.click_testid("sync-now").await;
    b.wait_testid("sync-progress").await;
    sync_finished(&b).await;
    let equity_b = equity(&b).await;
    // A was told of B's sync and shows its result without a reload
    switch(&b, &a).await;
    let equity_a = wait_for("tab A to show tab B's sync", || async {
        let Ok(el) = b.client.find(Locator::Css("[data-testid='total-equity']")).await else {
            let _ = b.client.find(Locator::Css("[data-testid='tab-dashboard']")).await.ok()?.click().await;
            return None;
        };
        el.attr("data-value").await.ok()?
    })
    .await;
    assert_eq!(equity_a, equity_b, "tab A shows the portfolio tab B synced");

    // both reloaded: every account, no orphaned credential, the same equity
    let mut equities = Vec::new();
    for tab in [&a, &tab_b] {
        switch(&b, tab).await;
        b.client.refresh().await.unwrap();
        unlock(&b).await;
        assert_eq!(b.account_names().await, ["Binance main", "Bitget main"], "an account is lost");
        assert_eq!(credential_records(&b).await.len(), 2, "a sealed credential without an account is left behind");
        equities.push(equity(&b).await);
    }
    assert_eq!(equities[0], equities[1], "both tabs show the same equity");
    assert_eq!(equities[0], equity_b, "the reloaded tabs show what the sync stored");
    b.close().await;
}
