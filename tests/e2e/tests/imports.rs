//! Transactions from elsewhere, as a user adds them: a Koinly universal CSV chosen in the Ledger tab's file input is
//! read, sealed and shown in the ledger and on the dashboard (docs/app-storage.md, "Imported transactions"); a
//! reload keeps it; Remove takes it away.

use e2e::{Browser, RunningRelay, TempDir, wait_for};
use fantoccini::Locator;
use simvenues::sandbox::{Sandbox, SandboxConfig};

const PASSPHRASE: &str = "correct horse battery staple 42";

const KRAKEN: &str = "Date,Sent Amount,Sent Currency,Received Amount,Received Currency,Fee Amount,Fee Currency,\
Net Worth Amount,Net Worth Currency,Label,Description,TxHash
2024-01-02 09:00:00 UTC,,,2000,EUR,,,,,,,
2024-01-03 10:00:00 UTC,1000,EUR,0.025,BTC,1.5,EUR,,,,,
2024-02-01 00:00:00 UTC,,,0.0001,BTC,,,,,staking,,
";

/// The accounts the ledger's visible rows name.
async fn ledger_accounts(b: &Browser) -> Vec<String> {
    let mut out = Vec::new();
    for el in b.client.find_all(Locator::Css("[data-testid='ledger-account']")).await.unwrap() {
        out.push(el.text().await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_koinly_file_chosen_in_the_ledger_tab_joins_the_ledger_and_can_be_removed() {
    let sandbox = Sandbox::start(SandboxConfig { seed: 5, ..SandboxConfig::default() }).await.expect("sandbox");
    let dir = TempDir::new("meetcrypt-imports");
    let relay = RunningRelay::serving_demo(&sandbox, &dir).await;
    let file = dir.0.join("kraken.csv");
    std::fs::write(&file, KRAKEN).unwrap();
    let b = Browser::start().await;
    b.create_vault(&relay.url(), PASSPHRASE).await;

    b.click_testid("tab-ledger").await;
    b.fill("import-account", "Kraken").await;
    b.wait_testid("import-file").await.send_keys(file.to_str().unwrap()).await.unwrap();
    b.click_testid("import-koinly").await;
    b.wait_text("import-status", "the import's outcome", |t| t.contains("Imported 3 transactions from kraken.csv"))
        .await;
    b.wait_text("ledger-count", "the ledger to show them", |t| t == "3 events").await;
    let accounts = ledger_accounts(&b).await;
    assert_eq!(accounts.len(), 3, "{accounts:?}");
    assert!(accounts.iter().all(|a| a == "Kraken (imported)"), "{accounts:?}");
    b.screenshot("imported").await;

    // sealed in the vault: a reload and an unlock show it again
    b.client.refresh().await.unwrap();
    b.fill("passphrase", PASSPHRASE).await;
    b.click_testid("unlock").await;
    b.click_testid("tab-ledger").await;
    b.wait_text("ledger-count", "the ledger after a reload", |t| t == "3 events").await;
    let source = b.wait_text("import-source", "the source listed", |t| !t.is_empty()).await;
    assert!(source.contains("kraken.csv") && source.contains("3 transactions"), "{source}");

    b.click_testid("import-remove").await;
    b.wait_text("ledger-count", "the ledger without them", |t| t == "0 events").await;
    wait_for("the source to leave the list", || async {
        b.client.find(Locator::Css("[data-testid='import-source']")).await.is_err().then_some(())
    })
    .await;
}
