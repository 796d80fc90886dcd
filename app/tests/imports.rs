//! Transactions from elsewhere (`app::imports`, docs/app-storage.md "Imported transactions"), in headless
//! Chromium: a Koinly universal CSV imported and a transaction entered by hand are sealed, join the ledger the
//! dashboard loads, survive a reload and the orphan sweep, and go when removed; a bad file stores nothing; the
//! Ledger screen's form adds and removes an entry.
//! `cargo test --target wasm32-unknown-unknown -p app --test imports`
#![cfg(target_arch = "wasm32")]

mod common;

use app::imports::{self, ImportError};
use app::session;
use ledger::{EventKind, IncomeType};
use vault::Passphrase;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

use common::{PASS, click, fresh_vault, set_input, until};

wasm_bindgen_test_configure!(run_in_browser);

const KRAKEN: &str = "Date,Sent Amount,Sent Currency,Received Amount,Received Currency,Fee Amount,Fee Currency,\
Net Worth Amount,Net Worth Currency,Label,Description,TxHash
2024-01-02 09:00:00 UTC,,,2000,EUR,,,,,,,
2024-01-03 10:00:00 UTC,1000,EUR,0.025,BTC,1.5,EUR,,,,,
2024-02-01 00:00:00 UTC,,,0.0001,BTC,,,,,staking,,
";

async fn ledger() -> Vec<ledger::Event> {
    app::sync::load_data().await.unwrap().events
}

fn entry(date: &str, sent: (&str, &str), received: (&str, &str)) -> formats::KoinlyEntry {
    formats::KoinlyEntry {
        date: date.into(),
        sent: (sent.0.into(), sent.1.into()),
        received: (received.0.into(), received.1.into()),
        ..formats::KoinlyEntry::default()
    }
}

#[wasm_bindgen_test]
async fn an_imported_file_and_a_typed_entry_join_the_ledger_until_removed() {
    let db = fresh_vault("imports", "join").await;
    assert_eq!(imports::import_koinly("Kraken", "kraken.csv", KRAKEN, 1_000).await.unwrap(), 3);
    let events = ledger().await;
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(events.iter().all(|e| e.account.as_str() == "import/Kraken/main"), "{events:?}");
    // each row's id names its source: another file's line 2 is another event
    assert!(events.iter().all(|e| e.id.starts_with("import-k1000:koinly:")), "{events:?}");
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::Deposit { .. })));
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::Income { income_type: IncomeType::Other, .. })));

    // the same file into the same account again is refused (it would count twice); into another account it is not
    let again = imports::import_koinly("Kraken", "kraken.csv", KRAKEN, 2_000).await.unwrap_err();
    assert!(again.to_string().contains("already imported into Kraken"), "{again}");
    assert_eq!(ledger().await.len(), 3);

    let id =
        imports::add_entry("Ledger Nano", &entry("2024-03-01T12:00", ("", ""), ("0.5", "eth")), 5_000).await.unwrap();
    assert_eq!(id, "manual:5000");
    let second =
        imports::add_entry("Ledger Nano", &entry("2024-03-02T12:00", ("0.1", "ETH"), ("", "")), 5_000).await.unwrap();
    assert_eq!(second, "manual:5001", "a taken id is not reused");
    let events = ledger().await;
    assert_eq!(events.len(), 5);
    let typed = events.iter().find(|e| e.id == id).unwrap();
    assert_eq!(typed.account.as_str(), "import/Ledger Nano/main");
    assert!(matches!(&typed.kind, EventKind::Deposit { asset, .. } if asset == "ETH"), "{typed:?}");

    // sealed, not held in memory: a reload and the orphan sweep (which removes ledgers of removed accounts) keep
    // every source
    assert_eq!(session::load(&db).await.unwrap(), session::Start::Locked);
    session::unlock(&Passphrase::new(PASS), app::now()).unwrap();
    session::transact(app::records::sweep_orphans).await.unwrap();
    assert_eq!(ledger().await.len(), 5);
    assert_eq!(imports::sources().unwrap().len(), 2);

    imports::remove_entry(&id).await.unwrap();
    assert_eq!(ledger().await.len(), 4);
    assert_eq!(imports::entries().unwrap().len(), 1);
    imports::remove_source("k1000").await.unwrap();
    let left = ledger().await;
    assert_eq!(left.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), vec![second.as_str()]);
}

#[wasm_bindgen_test]
async fn a_bad_file_or_entry_says_why_and_stores_nothing() {
    fresh_vault("imports", "bad").await;
    let bad = KRAKEN.replace("0.025,BTC", "0,025,BTC");
    let err = imports::import_koinly("Kraken", "bad.csv", &bad, 1).await.unwrap_err();
    assert!(matches!(err, ImportError::Invalid(_)), "{err:?}");
    assert!(err.to_string().starts_with("bad.csv:3:"), "the error names the file and line: {err}");
    let err = imports::import_koinly("", "kraken.csv", KRAKEN, 1).await.unwrap_err();
    assert!(err.to_string().contains("Name the account"), "{err}");
    let err = imports::import_koinly("a/b", "kraken.csv", KRAKEN, 1).await.unwrap_err();
    assert!(err.to_string().contains("without `/`"), "{err}");
    let header_only = KRAKEN.lines().next().unwrap();
    let err = imports::import_koinly("Kraken", "empty.csv", header_only, 1).await.unwrap_err();
    assert!(err.to_string().contains("holds no transaction"), "{err}");
    let err = imports::add_entry("Wallet", &entry("2024-03-01T12:00", ("", ""), ("-1", "BTC")), 1).await.unwrap_err();
    assert!(err.to_string().contains("negative"), "{err}");
    assert!(imports::sources().unwrap().is_empty());
    assert!(ledger().await.is_empty());
}

/// A Meetcrypt export imported again restores its events with their own ids: nothing counts twice.
#[wasm_bindgen_test]
async fn an_export_imported_again_duplicates_nothing() {
    fresh_vault("imports", "export").await;
    imports::add_entry("Wallet", &entry("2024-03-01T12:00", ("", ""), ("2", "SOL")), 7).await.unwrap();
    let before = ledger().await;
    let csv = formats::koinly_csv(&before, None);
    assert_eq!(imports::import_koinly("Elsewhere", "export.csv", &csv, 8).await.unwrap(), 1);
    assert_eq!(ledger().await, before);
}

#[wasm_bindgen_test]
async fn the_ledger_screens_form_adds_and_removes_a_typed_transaction() {
    fresh_vault("imports", "form").await;
    let doc = web_sys::window().unwrap().document().unwrap();
    let root: web_sys::HtmlElement = doc.create_element("div").unwrap().dyn_into().unwrap();
    doc.body().unwrap().append_child(&root).unwrap();
    let changes = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = changes.clone();
    let _mounted = leptos::mount::mount_to(root.clone(), move || {
        let counted = counted.clone();
        leptos::view! { <app::ui::imports::AddTransactions on_change=move || { counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst); } /> }
    });
    leptos::task::tick().await;
    let text = |sel: &str| root.query_selector(sel).unwrap().map(|e| e.text_content().unwrap_or_default());

    // nothing typed: the error says what is missing, nothing is added
    click(&root, "entry-add");
    until("the error", || text("[data-testid='import-error']").is_some_and(|t| t.contains("Name the account"))).await;
    assert_eq!(changes.load(std::sync::atomic::Ordering::SeqCst), 0);

    set_input(&root, "entry-account", "Ledger Nano");
    set_input(&root, "entry-date", "2024-05-01T08:30");
    set_input(&root, "entry-received-amount", "0.5");
    set_input(&root, "entry-received-currency", "BTC");
    click(&root, "entry-add");
    until("the entry listed", || text("[data-testid='entry']").is_some()).await;
    let row = text("[data-testid='entry']").unwrap();
    assert!(row.contains("Ledger Nano (imported)") && row.contains("0.5 BTC"), "{row}");
    assert_eq!(changes.load(std::sync::atomic::Ordering::SeqCst), 1, "the dashboard recomputed once");
    assert_eq!(imports::entries().unwrap().len(), 1);
    // the amounts are cleared for the next entry
    let amount: web_sys::HtmlInputElement =
        root.query_selector("[data-testid='entry-received-amount']").unwrap().unwrap().dyn_into().unwrap();
    assert_eq!(amount.value(), "");

    click(&root, "entry-remove");
    until("the entry removed", || text("[data-testid='entry']").is_none()).await;
    assert!(imports::entries().unwrap().is_empty());
    assert_eq!(changes.load(std::sync::atomic::Ordering::SeqCst), 2);
}
