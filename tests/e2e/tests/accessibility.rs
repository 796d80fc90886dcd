//! Accessibility in headless Chromium against the relay and the simulated venues:
//!
//! - the journey by keyboard only (Tab, Shift+Tab, Enter, the arrow keys; no click): create the vault, add two
//!   accounts (one left unnamed), sync, move between the tabs, rename an account in place, switch the theme, lock
//!   and unlock;
//! - axe-core (`package.json` pins it; the harness injects it) on every screen at 1280 and 390 px wide, with the
//!   sync's data on screen, and on the dashboard in the dark theme: any violation of impact serious or critical
//!   fails the test; every violation found is printed, minor and moderate ones included;
//! - what people read first: dates in their own format and time zone (no ISO timestamps), money with its currency
//!   symbol in the browser's locale, the same account names on the dashboard and in the ledger, no card that
//!   scrolls sideways at 1280 px.

use std::collections::BTreeMap;

use e2e::{AXE_IMPACTS, AxeViolation, Browser, PATIENCE, RunningRelay, TempDir};
use fantoccini::key::Key;
use simvenues::keys::Venue;
use simvenues::sandbox::{Sandbox, SandboxConfig};

const PASSPHRASE: &str = "correct horse battery staple 42";
/// The widths every screen is checked at: a laptop and a phone.
const WIDTHS: [(u32, u32); 2] = [(1280, 900), (390, 844)];

/// Every violation axe-core found, by screen and width.
#[derive(Default)]
struct Audit {
    found: Vec<(String, u32, Vec<AxeViolation>)>,
}

impl Audit {
    /// Runs axe-core on what the page shows at each width (back to 1280 px afterwards).
    async fn screen(&mut self, b: &Browser, screen: &str) {
        for (width, height) in WIDTHS {
            b.client.set_window_size(width, height).await.unwrap();
            let found = b.axe().await;
            self.found.push((screen.to_string(), width, found));
        }
        b.client.set_window_size(WIDTHS[0].0, WIDTHS[0].1).await.unwrap();
    }

    /// Runs axe-core at the current width only, under `screen`'s name.
    async fn at_this_width(&mut self, b: &Browser, screen: &str, width: u32) {
        let found = b.axe().await;
        self.found.push((screen.to_string(), width, found));
    }

    /// Prints the counts by impact for each screen and width and every violation; the serious and critical ones.
    fn report(&self) -> Vec<String> {
        println!("axe-core: violations (rules; elements) by impact");
        println!("{:<18} {:>5}  {}", "screen", "width", AXE_IMPACTS.map(|i| format!("{i:>10}")).join(" "));
        let mut failing = Vec::new();
        for (screen, width, found) in &self.found {
            let counts = AXE_IMPACTS.map(|impact| {
                let rules: Vec<_> = found.iter().filter(|v| v.impact == impact).collect();
                format!("{:>10}", format!("{}; {}", rules.len(), rules.iter().map(|v| v.nodes).sum::<usize>()))
            });
            println!("{screen:<18} {width:>5}  {}", counts.join(" "));
            for v in found {
                println!("    {} {} ({} elements): {} {:?}", v.impact, v.id, v.nodes, v.help, v.targets);
                if v.impact == "serious" || v.impact == "critical" {
                    failing.push(format!("{screen} at {width} px: {} {} {:?}", v.impact, v.id, v.targets));
                }
            }
        }
        failing
    }
}

/// Waits until `script` returns true (a hang fails after [`PATIENCE`]).
async fn wait_js(b: &Browser, script: &str, what: &str) {
    let start = std::time::Instant::now();
    while js(b, script).await != serde_json::Value::Bool(true) {
        if start.elapsed() > PATIENCE {
            let page = js_string(b, "return document.body.innerText.slice(0, 3000);").await;
            panic!("timed out waiting for {what}; the page shows:\n{page}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn js(b: &Browser, script: &str) -> serde_json::Value {
    b.client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("{script}: {e}"))
}

async fn js_string(b: &Browser, script: &str) -> String {
    js(b, script).await.as_str().unwrap_or_default().to_string()
}

/// The selected tab's test id, after checking that it alone is selected and in the Tab order and that the panel
/// is labelled by it.
async fn selected_tab(b: &Browser) -> String {
    let state = js(
        b,
        "const tabs = [...document.querySelectorAll('[role=tablist] [role=tab]')];
         const selected = tabs.filter(t => t.getAttribute('aria-selected') === 'true');
         const panel = document.querySelector('[role=tabpanel]');
         return { selected: selected.map(t => t.dataset.testid), tabbable: tabs.filter(t => t.tabIndex === 0).length,
                  labelled: !!selected[0] && panel && panel.getAttribute('aria-labelledby') === selected[0].id };",
    )
    .await;
    assert_eq!(state["selected"].as_array().map(Vec::len), Some(1), "one tab is selected: {state}");
    assert_eq!(state["tabbable"], 1, "only the selected tab is in the Tab order: {state}");
    assert_eq!(state["labelled"], true, "the tab panel is labelled by the selected tab: {state}");
    state["selected"][0].as_str().unwrap().to_string()
}

/// Presses an arrow (or Home, End) key on the tab list: the next tab is selected and has the focus.
async fn arrow(b: &Browser, key: Key, expect: &str) {
    b.press(key).await;
    b.wait_focus(expect).await;
    wait_js(
        b,
        &format!("return document.querySelector('[data-testid={expect}]').getAttribute('aria-selected') === 'true';"),
        &format!("{expect} selected"),
    )
    .await;
    assert_eq!(selected_tab(b).await, expect);
}

/// The page's text holds no ISO 8601 timestamp (`2026-12-03T21:18:55.869Z`).
async fn no_iso_times(b: &Browser, screen: &str) {
    let found = js_string(
        b,
        "const m = document.body.innerText.match(/\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d[^\\s]*/); return m ? m[0] : '';",
    )
    .await;
    assert!(found.is_empty(), "{screen} shows a raw ISO time: {found}");
}

/// Cards that scroll sideways (a card wider than its content box), by their test id or heading.
async fn overflowing_cards(b: &Browser) -> Vec<String> {
    let found = js(
        b,
        "return [...document.querySelectorAll('.card')].filter(c => c.scrollWidth > c.clientWidth + 1)
           .map(c => c.dataset.testid || (c.querySelector('h2') || {}).textContent || c.className);",
    )
    .await;
    serde_json::from_value(found).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_only_journey_with_axe_on_every_screen() {
    let sandbox = Sandbox::start(SandboxConfig { seed: 11, ..SandboxConfig::default() }).await.expect("sandbox");
    let dir = TempDir::new("meetcrypt-a11y");
    let relay = RunningRelay::serving_demo(&sandbox, &dir).await;
    let key = |venue: Venue, label: &str| sandbox.key(venue, label).expect("a demo key").clone();
    let b = Browser::start().await;
    b.color_scheme("light").await;
    b.client.goto(&relay.url()).await.unwrap();
    b.capture_errors().await;
    let mut audit = Audit::default();

    // first run: the passphrase twice, Enter
    b.wait_testid("create-vault-form").await;
    audit.screen(&b, "first-run").await;
    b.tab_to("passphrase", false).await;
    b.type_text(PASSPHRASE).await;
    b.tab_to("passphrase-confirm", false).await;
    b.type_text(PASSPHRASE).await;
    b.press(Key::Enter).await;
    b.wait_testid("dashboard-empty").await;
    // the tracker gives the focus to the selected tab; the right arrow opens the next one
    b.wait_focus("tab-dashboard").await;
    assert_eq!(selected_tab(&b).await, "tab-dashboard");
    arrow(&b, Key::Right, "add-account").await;

    // an account left unnamed: it is called after its venue
    b.wait_testid("add-account-form").await;
    let binance = key(Venue::Binance, "main");
    b.tab_to("api-key", false).await;
    b.type_text(&binance.api_key).await;
    b.tab_to("api-secret", false).await;
    b.type_text(binance.secret.expose()).await;
    b.press(Key::Enter).await;
    b.wait_text("connect-result", "the unnamed Binance account connected", |t| t.starts_with("Connected Binance."))
        .await;
    b.wait_text("account-name", "the unnamed account's name", |t| t == "Binance").await;
    // a named Bitget account: the exchange chosen with the arrow key
    b.tab_to("venue", true).await;
    b.press(Key::Down).await;
    b.wait_testid("api-passphrase").await;
    let bitget = key(Venue::Bitget, "main");
    b.tab_to("label", false).await;
    b.type_text("Bitget main").await;
    for (field, text) in [
        ("api-key", bitget.api_key.as_str()),
        ("api-secret", bitget.secret.expose()),
        ("api-passphrase", bitget.passphrase.expose()),
    ] {
        b.tab_to(field, false).await;
        b.type_text(text).await;
    }
    b.press(Key::Enter).await;
    b.wait_text("connect-result", "Bitget connected", |t| t.starts_with("Connected Bitget main")).await;

    // sync: back to the Sync button, Enter
    b.tab_to("sync-now", true).await;
    b.press(Key::Enter).await;
    b.wait_testid("sync-progress").await;
    e2e::sync_finished(&b).await;

    // the tabs by the arrow keys: Accounts is the one in the Tab order
    b.tab_to("add-account", false).await;
    arrow(&b, Key::Left, "tab-dashboard").await;
    b.wait_testid("total-equity").await;
    no_iso_times(&b, "the dashboard").await;
    // money in the browser's locale, with the currency's symbol
    let (shown, expected) = {
        let v = js(
            &b,
            "const e = document.querySelector('[data-testid=total-equity]');
             return [e.textContent, new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD' })
               .format(e.dataset.value)];",
        )
        .await;
        (v[0].as_str().unwrap().to_string(), v[1].as_str().unwrap().to_string())
    };
    assert_eq!(shown, expected, "total equity in the browser's locale, with the currency symbol");
    // the unnamed account's wallets are "Binance spot" on the dashboard
    let by_account = b.wait_text("allocation-accounts", "accounts by name", |t| t.contains("Bitget main")).await;
    assert!(by_account.contains("Binance spot"), "the unnamed account's spot wallet is Binance spot: {by_account}");
    assert!(!by_account.contains('/'), "no raw account id on the dashboard: {by_account}");
    audit.screen(&b, "dashboard").await;
    // the warnings, a collapsed line per cause: every group expanded to its events, and audited so
    let groups = js(
        &b,
        "const d = [...document.querySelectorAll('[data-testid=warning-group] details')];
         d.forEach(e => { e.open = true; }); return d.length;",
    )
    .await;
    println!("warning groups on the dashboard: {groups}");
    assert!(groups.as_u64().is_some_and(|n| n > 0), "the demo's warnings are grouped on the dashboard");
    audit.screen(&b, "dashboard, warnings expanded").await;
    js(
        &b,
        "document.querySelectorAll('[data-testid=warning-group] details').forEach(e => { e.open = false; }); return 0;",
    )
    .await;

    // a warning's button, by keyboard: the Ledger shows that warning's events alone (audited so), then every
    // event again; back to the dashboard's tab, where the journey goes on
    b.tab_until(
        "e.dataset.testid === 'warning-action' && e.textContent === 'Match in the Ledger'",
        "the unmatched transfers' button",
        false,
    )
    .await;
    b.press(Key::Enter).await;
    b.wait_testid("ledger-focus").await;
    audit.screen(&b, "ledger, a warning's events").await;
    b.tab_to("ledger-focus-clear", false).await;
    b.press(Key::Enter).await;
    wait_js(&b, "return !document.querySelector('[data-testid=ledger-focus]');", "every event shown again").await;
    b.tab_to("tab-ledger", true).await;
    arrow(&b, Key::Home, "tab-dashboard").await;
    b.wait_testid("total-equity").await;

    // an asset of the holdings, by keyboard: its drill-down in place, the focus on its heading (audited at both
    // widths), then back to the dashboard, the focus on the asset's button again
    b.tab_until("e.dataset.testid === 'drill-open' && e.dataset.kind === 'asset'", "an asset's button", false).await;
    b.press(Key::Enter).await;
    b.wait_focus("drilldown-heading").await;
    let lots = "return !!document.querySelector('[data-testid=drill-lots], [data-testid=drill-lots-none]');";
    wait_js(&b, lots, "the asset's open lots").await;
    for (width, height) in WIDTHS {
        b.client.set_window_size(width, height).await.unwrap();
        let overflowing = overflowing_cards(&b).await;
        assert!(overflowing.is_empty(), "cards scroll sideways at {width} px: {overflowing:?}");
    }
    b.client.set_window_size(1280, 900).await.unwrap();
    audit.screen(&b, "drill-down of an asset").await;
    b.tab_to("drill-back", true).await;
    b.press(Key::Enter).await;
    b.wait_focus("drill-open").await;
    b.wait_testid("total-equity").await;
    b.tab_to("tab-dashboard", true).await;

    arrow(&b, Key::Right, "add-account").await;
    b.wait_testid("accounts").await;
    audit.screen(&b, "accounts").await;

    arrow(&b, Key::Right, "tab-ledger").await;
    b.wait_testid("ledger-row").await;
    b.wait_testid("transfer-matching").await;
    no_iso_times(&b, "the ledger").await;
    let accounts_in_ledger =
        js(&b, "return [...document.querySelectorAll('[data-testid=ledger-account]')].map(e => e.textContent);").await;
    let accounts_in_ledger: Vec<String> = serde_json::from_value(accounts_in_ledger).unwrap();
    assert!(
        accounts_in_ledger.iter().all(|a| !a.contains('/')),
        "the ledger names accounts as the dashboard does: {accounts_in_ledger:?}"
    );
    for (width, height) in WIDTHS {
        b.client.set_window_size(width, height).await.unwrap();
        let overflowing = overflowing_cards(&b).await;
        assert!(overflowing.is_empty(), "cards scroll sideways at {width} px: {overflowing:?}");
    }
    b.client.set_window_size(1280, 900).await.unwrap();
    audit.screen(&b, "ledger").await;
    b.screenshot("ledger").await;

    arrow(&b, Key::Right, "tab-gains").await;
    b.wait_testid("gains-report").await;
    b.wait_testid("gains-disposal").await;
    // the pager's buttons are buttons with their label (an unbraced `>=` in a view attribute once ended the tag
    // and put the rest of the code on the page as text)
    for (id, label) in [("gains-prev", "Previous"), ("gains-next", "Next")] {
        b.wait_text(id, label, |t| t.trim() == label).await;
    }
    no_iso_times(&b, "the gains report").await;
    for (width, height) in WIDTHS {
        b.client.set_window_size(width, height).await.unwrap();
        let overflowing = overflowing_cards(&b).await;
        assert!(overflowing.is_empty(), "cards scroll sideways at {width} px: {overflowing:?}");
    }
    b.client.set_window_size(1280, 900).await.unwrap();
    audit.screen(&b, "gains report").await;
    b.screenshot("gains").await;

    arrow(&b, Key::Right, "tab-settings").await;
    b.wait_testid("settings").await;
    audit.screen(&b, "settings").await;

    arrow(&b, Key::Right, "tab-audit").await;
    b.wait_testid("audit-row").await;
    no_iso_times(&b, "the audit log").await;
    audit.screen(&b, "audit log").await;

    // Home, End and wrapping around
    arrow(&b, Key::Home, "tab-dashboard").await;
    arrow(&b, Key::Left, "tab-audit").await;
    arrow(&b, Key::Right, "tab-dashboard").await;
    arrow(&b, Key::End, "tab-audit").await;

    // rename the unnamed account in place: Rename, type, Enter; the dashboard and the ledger follow
    arrow(&b, Key::Home, "tab-dashboard").await;
    arrow(&b, Key::Right, "add-account").await;
    b.wait_testid("accounts").await;
    b.tab_until(
        "e.dataset.testid === 'rename-account' && \
         e.closest('[data-testid=account-row]').querySelector('[data-testid=account-name]').textContent === 'Binance'",
        "the unnamed account's Rename button",
        false,
    )
    .await;
    b.press(Key::Enter).await;
    b.wait_focus("account-name-input").await;
    b.type_text("Binance main").await;
    b.press(Key::Enter).await;
    b.wait_focus("rename-account").await;
    // the name is saved in the vault, then shown
    wait_js(
        &b,
        "return [...document.querySelectorAll('[data-testid=account-name]')].some(e => e.textContent === 'Binance main');",
        "the account renamed in place",
    )
    .await;
    b.tab_to("add-account", true).await;
    arrow(&b, Key::Left, "tab-dashboard").await;
    b.wait_text("allocation-accounts", "the new name on the dashboard", |t| t.contains("Binance main · spot")).await;
    arrow(&b, Key::Right, "add-account").await;
    arrow(&b, Key::Right, "tab-ledger").await;
    b.wait_testid("ledger-row").await;
    let accounts_in_ledger =
        js(&b, "return [...document.querySelectorAll('[data-testid=ledger-account]')].map(e => e.textContent);").await;
    let accounts_in_ledger: Vec<String> = serde_json::from_value(accounts_in_ledger).unwrap();
    assert!(
        accounts_in_ledger.iter().any(|a| a.starts_with("Binance main · ") || a.starts_with("Bitget main · ")),
        "the ledger uses the names the dashboard uses: {accounts_in_ledger:?}"
    );
    arrow(&b, Key::Home, "tab-dashboard").await;

    // dark: the page follows the system's setting, and the toggle (pressed) says so
    let bg = "return getComputedStyle(document.documentElement).getPropertyValue('--bg').trim();";
    assert_eq!(js_string(&b, bg).await, "#f6f7f9", "light while the system is light");
    b.color_scheme("dark").await;
    assert_eq!(js_string(&b, bg).await, "#0e1116", "dark when the system is dark");
    // the toggle hears of the system's change by an event
    let pressed_is = |v: &str| {
        format!("return document.querySelector('[data-testid=theme-toggle]').getAttribute('aria-pressed') === '{v}';")
    };
    wait_js(&b, &pressed_is("true"), "the toggle pressed").await;
    b.wait_testid("total-equity").await;
    b.client.execute("window.scrollTo(0, 0); return 0;", vec![]).await.unwrap();
    b.screenshot("dashboard-dark").await;
    audit.at_this_width(&b, "dashboard, dark", 1280).await;
    b.client.set_window_size(390, 844).await.unwrap();
    b.screenshot("dashboard-phone-dark").await;
    audit.at_this_width(&b, "dashboard, dark", 390).await;
    b.client.set_window_size(1280, 900).await.unwrap();
    // the toggle by keyboard: light although the system is dark, and kept in the sealed settings
    b.tab_to("theme-toggle", false).await;
    b.press(Key::Enter).await;
    let theme = "return document.documentElement.dataset.theme || 'system';";
    let theme_is = |t: &str| format!("return (document.documentElement.dataset.theme || 'system') === '{t}';");
    wait_js(&b, &theme_is("light"), "the light theme chosen").await;
    assert_eq!(js_string(&b, bg).await, "#f6f7f9", "light by the user's choice");
    wait_js(&b, &pressed_is("false"), "the toggle released").await;

    // lock by keyboard; the unlock screen takes the focus
    b.tab_to("lock", true).await;
    b.press(Key::Enter).await;
    b.wait_testid("unlock-form").await;
    b.wait_focus("passphrase").await;
    audit.screen(&b, "unlock").await;
    // a new page load knows no choice until the vault is open: it follows the system, then the stored choice
    b.client.refresh().await.unwrap();
    b.wait_testid("unlock-form").await;
    assert_eq!(js_string(&b, theme).await, "system");
    b.wait_focus("passphrase").await;
    b.type_text(PASSPHRASE).await;
    b.press(Key::Enter).await;
    b.wait_testid("total-equity").await;
    // the theme chosen is kept in the settings
    wait_js(&b, &theme_is("light"), "the stored theme applied").await;

    let errors = js(&b, "return window.__errors || [];").await;
    println!("console errors: {errors}");
    b.close().await;

    let failing = audit.report();
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, _, found) in &audit.found {
        for v in found {
            *by_rule.entry(v.id.as_str()).or_default() += 1;
        }
    }
    println!("axe-core rules violated (screens x widths): {by_rule:?}");
    assert!(failing.is_empty(), "axe-core found serious or critical violations:\n{}", failing.join("\n"));
}
