//! Component tests in a real browser (headless Chromium): `cargo test --target wasm32-unknown-unknown -p app`.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

/// A container of the test's own on the page, for a view it mounts: the tests of this file share one page, so a
/// view mounted on the body would stay there for the next test to find.
fn own_container() -> web_sys::HtmlElement {
    use wasm_bindgen::JsCast;
    let doc = web_sys::window().unwrap().document().unwrap();
    let div: web_sys::HtmlElement = doc.create_element("div").unwrap().dyn_into().unwrap();
    doc.body().unwrap().append_child(&div).unwrap();
    div
}

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn app_mounts_and_renders_the_shell() {
    leptos::mount::mount_to_body(app::App);
    leptos::task::tick().await;
    let doc = web_sys::window().unwrap().document().unwrap();
    let shell = doc.query_selector("[data-testid='app']").unwrap().expect("the app rendered its shell");
    assert!(shell.text_content().unwrap().contains("Meetcrypt"));
}

#[wasm_bindgen_test]
async fn indexeddb_batches_round_trip() {
    use app::idb::{Idb, Write};
    let db = Idb::open("meetcrypt-test-kv").await.unwrap();
    db.apply(&[
        Write::Put("a/1".into(), vec![1, 2, 3]),
        Write::Put("a/2".into(), vec![]),
        Write::Put("b".into(), vec![9]),
    ])
    .await
    .unwrap();
    assert_eq!(db.get("a/1").await.unwrap(), Some(vec![1, 2, 3]));
    assert_eq!(db.get("a/2").await.unwrap(), Some(vec![]));
    assert_eq!(db.get("missing").await.unwrap(), None);
    assert_eq!(db.keys("a/").await.unwrap(), vec!["a/1".to_string(), "a/2".to_string()]);
    db.apply(&[Write::Delete("a/1".into()), Write::Put("a/2".into(), vec![7])]).await.unwrap();
    assert_eq!(db.get("a/1").await.unwrap(), None);
    assert_eq!(db.get("a/2").await.unwrap(), Some(vec![7]));
    // reopening sees the same data: it is persisted, not held in memory
    let again = Idb::open("meetcrypt-test-kv").await.unwrap();
    assert_eq!(again.get("b").await.unwrap(), Some(vec![9]));
}

/// The vault in IndexedDB: create, reload from storage, wrong passphrase refused, right one opens.
#[wasm_bindgen_test]
async fn vault_persists_in_indexeddb_and_refuses_a_wrong_passphrase() {
    use app::session;
    use vault::Passphrase;
    let db = "meetcrypt-test-vault";
    assert_eq!(session::load(db).await.unwrap(), session::Start::FirstRun);
    session::create(&Passphrase::new("correct horse battery staple")).await.unwrap();
    assert!(session::with(|s| s.vault().unwrap().kdf().is_insecure()).map(|i| !i).unwrap());
    // a new load reads only what IndexedDB holds
    assert_eq!(session::load(db).await.unwrap(), session::Start::Locked);
    let err = session::unlock(&Passphrase::new("wrong horse"), app::now()).unwrap_err();
    assert!(err.0.starts_with("wrong passphrase"), "{err}");
    session::unlock(&Passphrase::new("correct horse battery staple"), app::now()).unwrap();
    assert!(session::with(|s| s.is_unlocked()).unwrap());
}

/// A vault made with the vault crate's test-only KDF (m = 8 KiB, t = 1) protects nothing: the app refuses to open
/// it from storage and refuses to import it from a backup, saying why.
#[wasm_bindgen_test]
async fn a_vault_with_the_test_only_kdf_is_refused() {
    use app::idb::{Idb, Write};
    use app::session;
    use vault::{KdfParams, Passphrase, Snapshot, Vault};
    let pass = Passphrase::new("correct horse battery staple");
    let mut weak = Vault::create(Snapshot::load(Vec::new()), &pass, KdfParams::InsecureTestOnly).unwrap();
    let backup = weak.export_backup().unwrap();
    let writes: Vec<Write> = weak
        .store_mut()
        .take_writes()
        .into_iter()
        .map(|w| match w {
            vault::Write::Put { key, value } => Write::Put(key, value),
            vault::Write::Delete { key } => Write::Delete(key),
        })
        .collect();
    Idb::open("meetcrypt-test-weak").await.unwrap().apply(&writes).await.unwrap();
    let err = session::load("meetcrypt-test-weak").await.unwrap_err();
    assert!(err.0.contains("test-only key derivation"), "{err}");
    // the same vault as a backup, into empty storage: refused, and the storage stays empty
    assert_eq!(session::load("meetcrypt-test-weak-import").await.unwrap(), session::Start::FirstRun);
    let err = session::import_backup(&backup, &pass, app::now()).await.unwrap_err();
    assert!(err.0.contains("test-only key derivation"), "{err}");
    assert!(!session::with(|s| s.is_unlocked()).unwrap());
    assert_eq!(session::load("meetcrypt-test-weak-import").await.unwrap(), session::Start::FirstRun);
}

/// Unlock with the production KDF (the default: Argon2id, m = 64 MiB, t = 3, p = 4) works in the browser; the time it took is
/// printed for the vault issue's figures (`unlock_ms=`).
#[wasm_bindgen_test]
async fn vault_unlocks_with_the_default_argon2id_in_the_browser() {
    use vault::{KdfParams, MemoryStore, Passphrase, Vault};
    let pass = Passphrase::new("a long enough passphrase for the benchmark");
    let vault = Vault::create(MemoryStore::new(), &pass, KdfParams::default()).unwrap();
    let mut vault = Vault::open(vault.into_store()).unwrap();
    let t0 = app::now();
    vault.unlock(&pass).unwrap();
    let ms = (app::now() - t0).as_millis();
    wasm_bindgen_test::console_log!("unlock_ms={ms} ({:?}, wasm, headless Chromium)", KdfParams::default());
    assert!(vault.is_unlocked());
}

#[wasm_bindgen_test]
fn history_setting_gives_the_days_to_read() {
    use app::records::AppSettings;
    let now = 1_764_201_600_000; // 2025-11-27T00:00:00Z
    assert_eq!(AppSettings::default().history_days_at(now), 365);
    let all = AppSettings { history_days: 0, ..AppSettings::default() };
    // 2017-07-01 to 2025-11-27 is 3,071 days; the start day included
    assert_eq!(all.history_days_at(now), 3_072);
}

#[wasm_bindgen_test]
fn passphrase_strength_ranks_as_expected() {
    use app::strength::{Strength, strength};
    assert_eq!(strength(""), Strength::Empty);
    assert_eq!(strength("password123"), Strength::Weak);
    assert_eq!(strength("aaaaaaaaaaaaaaaaaaaa"), Strength::Weak);
    assert!(strength("correct horse battery staple").acceptable());
    assert_eq!(strength("Tr0ub4dor&3-correct-HORSE-battery"), Strength::Strong);
}

/// Figures for the app issue: computing and rendering the dashboard of a 100,000-event account in the browser.
/// Asserts that the dashboard shows the computed totals; prints `dashboard_100k_ms=` (run with `--nocapture`).
#[wasm_bindgen_test]
async fn dashboard_of_100k_events_renders() {
    use app::records::AppSettings;
    use app::sync::{AccountSnapshot, Data};
    use ledger::{AccountId, Decimal, Event, EventKind, Money, PricePoint, Timestamp};
    let day = 86_400_000i64;
    let start = 1_700_000_000_000i64;
    let account = AccountId::new("binance", "main", "spot");
    let mut events = vec![Event {
        id: "dep".into(),
        time: Timestamp(start),
        account: account.clone(),
        kind: EventKind::Deposit { asset: "USDT".into(), amount: Decimal::from(1_000_000), txid: None },
    }];
    let mut prices = Vec::new();
    let assets = ["BTC", "ETH", "SOL", "BNB"];
    // 100,000 in the optimised build that scripts/test runs; fewer in a debug build, which is ~10x slower and would
    // block the page past the test runner's patience
    let n: i64 = if cfg!(debug_assertions) { 5_000 } else { 100_000 };
    for i in 0..n {
        let t = start + 60_000 * (i + 1);
        let asset = assets[(i % 4) as usize];
        let price = Decimal::from(100 + (i % 97)) + Decimal::new(i % 100, 2);
        let qty = Decimal::new(1 + i % 7, 2);
        let (spend, receive) = if (i / 4) % 3 == 2 {
            (Money::new(asset, qty), Money::new("USDT", qty * price))
        } else {
            (Money::new("USDT", qty * price), Money::new(asset, qty))
        };
        events.push(Event {
            id: format!("t{i}"),
            time: Timestamp(t),
            account: account.clone(),
            kind: EventKind::Trade {
                spend,
                receive,
                fees: vec![Money::new("USDT", Decimal::new(1, 2))],
                symbol: Some(format!("{asset}USDT")),
            },
        });
        if i % 1440 == 0 {
            for a in assets {
                prices.push(PricePoint { time: Timestamp(t), asset: a.into(), quote: "USDT".into(), price });
            }
        }
    }
    // store it as the app does: sealed chunks of 1,000 events in the vault, the account in the account list
    use app::{records, session};
    assert_eq!(session::load("meetcrypt-test-100k").await.unwrap(), session::Start::FirstRun);
    session::create(&vault::Passphrase::new("bench passphrase")).await.unwrap();
    let cred = "c100k";
    let meta = records::AccountMeta {
        credential: cred.into(),
        venue: "binance".into(),
        label: "main".into(),
        account_kind: "regular".into(),
        mode: venues::AccountMode::Binance,
        ip_restricted: true,
        warnings: vec![],
        added_ms: 0,
        last_sync: None,
    };
    records::set_accounts(&[(cred.to_string(), meta)].into_iter().collect()).unwrap();
    for (n, chunk) in events.chunks(1000).enumerate() {
        let id = format!("{}-{n:06}", app::sync::cache_id(cred));
        records::write(vault::RecordKind::LedgerCache, &id, &chunk.to_vec()).unwrap();
    }
    let cache = app::prices::PriceCache { points: prices, ..Default::default() };
    records::write(vault::RecordKind::LedgerCache, "prices", &cache).unwrap();
    session::persist().await.unwrap();
    let _ = (day, AccountSnapshot::default(), Data::default());
    // Chromium reports main-thread tasks over 50 ms; the longest is the page's worst freeze
    js_sys::eval(
        "window.__longest = 0; new PerformanceObserver(l => { for (const e of l.getEntries()) \
         window.__longest = Math.max(window.__longest, e.duration); }).observe({type: 'longtask'});",
    )
    .unwrap();
    // the report is computed in the engine worker, as the app does; this page is the test runner's, so the worker
    // script loads the test runner's build of the module
    app::worker::set_script(&test_worker_script());
    let t0 = app::now();
    let (data, dashboard) = app::report::load_and_compute(&AppSettings::default()).await.unwrap();
    assert_eq!(data.events.len() as i64, n + 1);
    assert_eq!(dashboard.computed_in, app::worker::ComputedIn::Worker, "the engine worker computed the report");
    let computed = app::now();
    let total = dashboard.total_equity.value().expect("every balance priced");
    let realized = dashboard.report.realized.total;
    let from_worker = dashboard.report.clone();
    let root = own_container();
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        leptos::view! { <app::ui::dashboard::DashboardView dashboard=dashboard.clone() currency="USD".to_string() /> }
    });
    leptos::task::tick().await;
    let rendered = app::now();
    let shown = root.query_selector("[data-testid='total-equity']").unwrap().expect("total equity shown");
    assert_eq!(shown.get_attribute("data-value").unwrap(), total.normalize().to_string());
    let shown = root.query_selector("[data-testid='realized-pnl']").unwrap().expect("realized shown");
    assert_eq!(shown.get_attribute("data-value").unwrap(), realized.normalize().to_string());
    let shown = root.query_selector("[data-testid='dashboard']").unwrap().expect("dashboard shown");
    assert_eq!(shown.get_attribute("data-computed-in").as_deref(), Some("worker"));
    app::next_tick().await;
    let longest = js_sys::eval("window.__longest").unwrap().as_f64().unwrap_or(-1.0);
    wasm_bindgen_test::console_log!("longest_main_thread_task_ms={longest} (tasks over 50 ms only; 0: none)");
    wasm_bindgen_test::console_log!(
        "dashboard_ms={} for {} events (open the sealed ledger, decode it on the page and in the worker, report in \
         the worker: {} ms; render {} ms)",
        (rendered - t0).as_millis(),
        n + 1,
        (computed - t0).as_millis(),
        (rendered - computed).as_millis()
    );
    // the worker's report is the page's, bit for bit, less the per-lot detail that never leaves the worker (open
    // lots, disposals and their lot uses: the exports recompute them)
    let t1 = app::now();
    let mut on_page = app::report::compute(&data, &AppSettings::default()).report;
    wasm_bindgen_test::console_log!(
        "page_compute_ms={} (the same report on the main thread)",
        (app::now() - t1).as_millis()
    );
    assert!(!on_page.open_lots.is_empty());
    on_page.open_lots.clear();
    on_page.disposals.clear();
    on_page.lot_uses.clear();
    if on_page != from_worker {
        // name the fields that differ (the whole reports are too large to print)
        let a = serde_json::to_value(&on_page).unwrap();
        let b = serde_json::to_value(&from_worker).unwrap();
        let differ: Vec<&String> = a.as_object().unwrap().keys().filter(|k| a.get(*k) != b.get(*k)).collect();
        panic!("the worker's report differs from the page's in {differ:?} (or in fields not in the JSON)");
    }
}

/// A worker script for the test runner's page: the engine worker of `static/worker.js`, loading the module this
/// page loaded (found in the page's resource timings).
fn test_worker_script() -> String {
    js_sys::eval(
        r#"(() => {
            const wasm = performance.getEntriesByType('resource').map(e => e.name).find(n => n.endsWith('_bg.wasm'));
            const js = wasm.replace(/_bg\.wasm$/, '.js');
            const src = `const early = []; self.onmessage = (e) => early.push(e);
                const m = await import(${JSON.stringify(js)});
                await m.default({ module_or_path: ${JSON.stringify(wasm)} });
                await m.serve_worker(); for (const e of early) self.onmessage(e);`;
            return URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
        })()"#,
    )
    .unwrap()
    .as_string()
    .unwrap()
}

/// Dates and numbers follow the locale and the time zone (Intl), and a crypto amount keeps every digit for its
/// title: a German user in Berlin reads `77.559,46 €`, `03.12.2026, 22:18:55`; the equity curve's days are UTC days.
#[wasm_bindgen_test]
fn dates_and_numbers_follow_the_locale_and_time_zone() {
    use app::format::Formats;
    use ledger::{Decimal, Timestamp};
    let d = |s: &str| s.parse::<Decimal>().unwrap();
    let de = Formats::new(Some("de-DE"), Some("Europe/Berlin"));
    let us = Formats::new(Some("en-US"), Some("America/New_York"));
    // Intl separates a currency symbol from the number with a no-break space
    assert_eq!(de.money(d("77559.456"), "EUR"), "77.559,46\u{a0}€");
    assert_eq!(us.money(d("77559.456"), "USD"), "$77,559.46");
    assert_eq!(us.money(d("-1234.5"), "USD"), "-$1,234.50");
    assert_eq!(us.money(d("-0.001"), "USD"), "$0.00", "no minus sign on an amount that rounds to zero");
    // every digit of a Decimal, past what a float holds
    assert_eq!(us.exact(d("12345678.123456789012345678")), "12,345,678.123456789012345678");
    // more digits than Intl takes: as the ledger holds it
    assert_eq!(us.exact(d("0.1234567890123456789012345")), "0.1234567890123456789012345");
    assert_eq!(de.exact(d("0.000000012345")), "0,000000012345");
    assert_eq!(us.amount(d("0.123456789")), "0.12345679");
    assert_eq!(de.amount(d("1234.5")), "1.234,5");
    assert_eq!(us.count(12345), "12,345");
    assert_eq!(us.percent(d("0.1234")), "12.3%");
    // 2026-12-03T21:18:55.869Z
    let t = Timestamp(1_796_332_735_869);
    assert_eq!(de.date_time(t), "03.12.2026, 22:18:55");
    // (ICU writes a narrow no-break space before PM, some browsers a plain one)
    assert_eq!(us.date_time(t).replace('\u{202f}', " "), "Dec 3, 2026, 4:18:55 PM");
    // a UTC day stays that day in any time zone
    assert_eq!(us.utc_day(Timestamp(1_796_256_000_000)), "Dec 3, 2026");
    assert_eq!(de.utc_date("2026-12-03"), "03.12.2026");
}

/// An unnamed account is called after its venue and type, the same way on every screen; a second unnamed one of the
/// same venue is numbered; a named one keeps its name.
#[wasm_bindgen_test]
fn accounts_are_named_after_their_venue_when_unnamed() {
    use app::records::{AccountMeta, AccountNames};
    let meta = |cred: &str, venue: &str, label: &str, kind: &str, added_ms: i64| AccountMeta {
        credential: cred.into(),
        venue: venue.into(),
        label: label.into(),
        account_kind: kind.into(),
        mode: venues::AccountMode::Binance,
        ip_restricted: true,
        warnings: vec![],
        added_ms,
        last_sync: None,
    };
    let accounts = [
        meta("c1", "binance", "", "regular", 1),
        meta("c2", "binance", " ", "regular", 2),
        meta("c3", "bitget", "Main", "regular", 3),
        meta("c4", "binance", "", "copy-trading", 4),
    ]
    .into_iter()
    .map(|m| (m.credential.clone(), m))
    .collect();
    let names = AccountNames::of(&accounts);
    assert_eq!(names.account("c1"), Some("Binance"));
    assert_eq!(names.account("c2"), Some("Binance 2"));
    assert_eq!(names.account("c3"), Some("Main"));
    assert_eq!(names.account("c4"), Some("Binance copy-trading"));
    assert_eq!(names.wallet("binance/c1/spot"), "Binance spot");
    assert_eq!(names.wallet("binance/c2/usdm"), "Binance 2 USDS-M futures");
    assert_eq!(names.wallet("bitget/c3/futures"), "Main · USDT-M futures");
    assert_eq!(names.wallet("binance/c3/earn"), "Main · Simple Earn");
    // an account no longer connected: its venue and wallet
    assert_eq!(names.wallet("bitget/gone/spot"), "Bitget spot");
}

/// Reporting in EUR without EUR's rate: every headline total shows as incomplete with what it lacks (asset,
/// currency, UTC day), none as a number; with the rate (EURUSDT) each is a number again (docs/accounting.md §10).
#[wasm_bindgen_test]
async fn totals_without_the_reporting_currency_rate_show_as_incomplete() {
    use app::records::AppSettings;
    use app::report::Total;
    use app::sync::Data;
    use ledger::{AccountId, Event, EventKind, Money, PricePoint, Timestamp};
    let day = 86_400_000i64;
    let t0 = 1_700_006_400_000i64; // 2023-11-15T00:00:00Z
    let account = AccountId::new("binance", "main", "spot");
    let d = |s: &str| s.parse::<ledger::Decimal>().unwrap();
    let events = vec![
        Event {
            id: "dep".into(),
            time: Timestamp(t0),
            account: account.clone(),
            kind: EventKind::Deposit { asset: "USDT".into(), amount: d("30000"), txid: None },
        },
        Event {
            id: "buy".into(),
            time: Timestamp(t0 + day),
            account: account.clone(),
            kind: EventKind::Trade {
                spend: Money::new("USDT", d("30000")),
                receive: Money::new("BTC", d("1")),
                fees: vec![],
                symbol: Some("BTCUSDT".into()),
            },
        },
        Event {
            id: "sell".into(),
            time: Timestamp(t0 + 2 * day),
            account,
            kind: EventKind::Trade {
                spend: Money::new("BTC", d("0.5")),
                receive: Money::new("USDT", d("16000")),
                fees: vec![],
                symbol: Some("BTCUSDT".into()),
            },
        },
    ];
    let point = |t: i64, asset: &str, quote: &str, p: &str| PricePoint {
        time: Timestamp(t),
        asset: asset.into(),
        quote: quote.into(),
        price: d(p),
    };
    let btc = vec![point(t0, "BTC", "USDT", "30000"), point(t0 + 2 * day, "BTC", "USDT", "32000")];
    let eur = AppSettings { currency: "EUR".into(), deposits_at_market: true, ..AppSettings::default() };
    let mut data = Data { events, ..Data::default() };
    data.prices.points = btc.clone();
    let dash = app::report::compute(&data, &eur);
    for (name, total) in [
        ("equity", &dash.total_equity),
        ("realized", &dash.realized),
        ("unrealized", &dash.unrealized),
        ("funding", &dash.funding),
        ("fees", &dash.fees),
    ] {
        let Total::Incomplete(missing) = total else { panic!("{name} is shown as a number without EUR's rate") };
        assert!(missing.iter().all(|m| m.quote == "EUR"), "{name}: {missing:?}");
    }
    assert!(!dash.curve_missing.is_empty());
    let root = own_container();
    let mounted = leptos::mount::mount_to(root.clone(), {
        let dash = dash.clone();
        move || leptos::view! { <app::ui::dashboard::DashboardView dashboard=dash.clone() currency="EUR".to_string() /> }
    });
    leptos::task::tick().await;
    let total = root.query_selector("[data-testid='total-equity']").unwrap().expect("total equity shown");
    assert_eq!(total.get_attribute("data-incomplete").as_deref(), Some("true"));
    assert_eq!(total.get_attribute("data-value"), None, "an incomplete total carries no number");
    assert_eq!(total.text_content().unwrap(), "Incomplete");
    let lacks = root.query_selector("[data-testid='total-equity-missing']").unwrap().unwrap().text_content().unwrap();
    assert!(lacks.contains("no price for BTC in EUR") && lacks.contains("no price for USDT in EUR"), "{lacks}");
    assert!(root.query_selector("[data-testid='curve-incomplete']").unwrap().is_some(), "the curve is not drawn");
    assert!(root.query_selector("[data-testid='equity-curve']").unwrap().is_none());
    assert!(root.query_selector("[data-testid='breakdown-partial']").unwrap().is_some(), "the breakdowns say so");
    for id in ["realized-pnl", "unrealized-pnl", "funding", "fees"] {
        let el = root.query_selector(&format!("[data-testid='{id}']")).unwrap().unwrap();
        assert_eq!(el.get_attribute("data-value"), None, "{id} is shown as a number");
    }
    drop(mounted);
    root.remove();

    // with EURUSDT at 1.25 from the first day: numbers, the USD ones / 1.25
    data.prices.points.push(point(t0, "EUR", "USDT", "1.25"));
    let dash = app::report::compute(&data, &eur);
    let usd = app::report::compute(&data, &AppSettings { deposits_at_market: true, ..AppSettings::default() });
    assert_eq!(dash.total_equity.value(), usd.total_equity.value().map(|v| v / d("1.25")));
    assert_eq!(dash.realized.value(), usd.realized.value().map(|v| v / d("1.25")));
    assert!(dash.total_equity.value().is_some_and(|v| v > ledger::Decimal::ZERO));
    assert!(dash.curve_missing.is_empty());
}

/// A data-key rotation whose writes reached IndexedDB only in part (the new key added and one record sealed
/// again: a tab closed mid-way, or an older build) is finished at the next unlock: every record readable, one key
/// version left, and that state stored.
#[wasm_bindgen_test]
async fn an_interrupted_rotation_is_finished_at_unlock() {
    use app::idb::{Idb, Write};
    use app::session;
    use vault::{KdfParams, Passphrase, RecordId, RecordKind, Snapshot, Vault};
    let db = "meetcrypt-test-rotation";
    let pass = Passphrase::new("correct horse battery staple");
    let to_idb = |writes: Vec<vault::Write>| -> Vec<Write> {
        writes
            .into_iter()
            .map(|w| match w {
                vault::Write::Put { key, value } => Write::Put(key, value),
                vault::Write::Delete { key } => Write::Delete(key),
            })
            .collect()
    };
    let mut v = Vault::create(Snapshot::load(Vec::new()), &pass, KdfParams::default()).unwrap();
    for (id, text) in [("one", "first record"), ("two", "second record"), ("three", "third record")] {
        v.seal_record(RecordKind::Settings, &RecordId::new(id).unwrap(), text.as_bytes()).unwrap();
    }
    let idb = Idb::open(db).await.unwrap();
    idb.apply(&to_idb(v.store_mut().take_writes())).await.unwrap();
    v.rotate_data_key().unwrap();
    // the header with both keys, and the first record sealed again: the rest never reached storage
    let partial: Vec<vault::Write> = v.store_mut().take_writes().into_iter().take(2).collect();
    idb.apply(&to_idb(partial)).await.unwrap();

    assert_eq!(session::load(db).await.unwrap(), session::Start::Locked);
    assert!(session::with(|s| s.has_vault()).unwrap());
    session::unlock(&pass, app::now()).unwrap();
    session::persist().await.unwrap();
    // what storage holds now, read afresh
    assert_eq!(session::load(db).await.unwrap(), session::Start::Locked);
    session::unlock(&pass, app::now()).unwrap();
    let (versions, pending) =
        session::with(|s| s.vault().map(|v| (v.key_versions(), v.rotation_pending())).unwrap()).unwrap();
    assert_eq!((versions, pending), (vec![2], false), "the rotation finished and the old key is gone");
    for (id, text) in [("one", "first record"), ("two", "second record"), ("three", "third record")] {
        let plain = app::records::read_plain(RecordKind::Settings, id).unwrap();
        assert_eq!(plain.as_deref(), Some(text.as_bytes()), "{id}");
    }
}
