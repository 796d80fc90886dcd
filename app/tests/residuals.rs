//! An account's balances explained on the Accounts screen (`app::ui::residuals`, docs/sync.md "Balances
//! explained"), from the tracker's data (`app::sync::Data::residuals`: the sealed sync state and ledger), in
//! headless Chromium: `cargo test --target wasm32-unknown-unknown -p app --test residuals`.
#![cfg(target_arch = "wasm32")]

mod common;

use std::collections::BTreeMap;

use app::sync::Data;
use ledger::{AccountId, Decimal, Event, EventKind, Timestamp};
use leptos::prelude::*;
use sync_engine::SyncState;
use sync_engine::state::AccountState;
use wasm_bindgen_test::*;

use common::{all, own_container};

wasm_bindgen_test_configure!(run_in_browser);

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

const KEY: &str = "binance/c1";
const SPOT: &str = "binance/c1/spot";

fn deposit(id: &str, t: i64, asset: &str, amount: &str) -> Event {
    Event {
        id: id.into(),
        time: Timestamp::from_millis(t),
        account: AccountId(SPOT.into()),
        kind: EventKind::Deposit { asset: asset.into(), amount: d(amount), txid: None },
    }
}

/// The tracker's data of one account whose last sync read `balances` (spot) at venue time 1,000, its history from
/// 100, with a ledger of one 500 USDT deposit.
fn data(balances: &[(&str, &str)]) -> Data {
    let spot: BTreeMap<String, Decimal> = balances.iter().map(|(a, v)| (a.to_string(), d(v))).collect();
    let st = AccountState {
        balances: Some(BTreeMap::from([(SPOT.to_string(), spot)])),
        balances_at: Some(1_000),
        history_from: Some(100),
        ..AccountState::default()
    };
    let mut sync_state = SyncState::new();
    sync_state.accounts.insert(KEY.into(), st);
    Data { events: vec![deposit("d1", 500, "USDT", "500")], sync_state, ..Data::default() }
}

#[wasm_bindgen_test]
async fn an_account_shows_balances_explained_or_its_residual_rows() {
    let tracker_data = RwSignal::new(Some(data(&[("USDT", "500")])));
    let residuals = Signal::derive(move || tracker_data.with(|d| d.as_ref().and_then(|d| d.residuals(KEY))));
    let root = own_container();
    let mounted = leptos::mount::mount_to(root.clone(), move || {
        leptos::view! { <app::ui::residuals::AccountBalances residuals /> }
    });
    leptos::task::tick().await;
    // the ledger explains the 500 USDT: complete
    let complete = all(&root, "[data-testid='account-complete']");
    assert_eq!(complete.len(), 1, "{}", root.inner_html());
    assert_eq!(complete[0].text_content().unwrap().trim(), "Balances explained");
    assert!(all(&root, "[data-testid='residual-row']").is_empty());

    // the venue shows 750 USDT and 2 ETH the ledger does not have: two residual assets, collapsed
    tracker_data.set(Some(data(&[("USDT", "750"), ("ETH", "2")])));
    leptos::task::tick().await;
    assert!(all(&root, "[data-testid='account-complete']").is_empty(), "{}", root.inner_html());
    let details = all(&root, "details[data-testid='account-residuals']");
    assert_eq!(details.len(), 1, "{}", root.inner_html());
    assert!(!details[0].has_attribute("open"), "the rows are collapsed until asked for");
    let summary = all(&root, "details > summary")[0].text_content().unwrap();
    assert_eq!(summary, "2 assets not explained by the ledger");
    let rows = all(&root, "[data-testid='residual-row']");
    let seen: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r.get_attribute("data-asset").unwrap(),
                r.get_attribute("data-wallet").unwrap(),
                r.get_attribute("data-residual").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [("ETH".to_string(), SPOT.to_string(), "2".to_string()), ("USDT".into(), SPOT.into(), "250".into())]
    );
    // wallet, asset, venue balance, ledger balance, residual, what could explain it
    let cells: Vec<String> = all(&root, "[data-asset='USDT'] td").iter().map(|c| c.text_content().unwrap()).collect();
    assert_eq!(cells.len(), 6, "{cells:?}");
    assert_eq!((cells[0].as_str(), cells[1].as_str()), ("spot", "USDT"));
    for (cell, digits) in [(&cells[2], "750"), (&cells[3], "500"), (&cells[4], "250")] {
        assert!(cell.chars().filter(char::is_ascii_digit).collect::<String>().starts_with(digits), "{cells:?}");
    }
    assert!(cells[5].contains("an opening balance older than the history read"), "{}", cells[5]);
    assert!(cells[5].contains("deposits") && cells[5].contains("Binance spot trades"), "{}", cells[5]);

    // every balance agrees, but LUNA's trades were found on no pair: not complete, the asset listed with the pairs
    let mut unfound = data(&[("USDT", "500")]);
    unfound.sync_state.accounts.get_mut(KEY).unwrap().unfound_trades =
        BTreeMap::from([("LUNA".to_string(), vec!["LUNABTC".to_string(), "LUNAUSDT".to_string()])]);
    tracker_data.set(Some(unfound));
    leptos::task::tick().await;
    assert!(all(&root, "[data-testid='account-complete'], [data-testid='residual-row']").is_empty());
    assert_eq!(all(&root, "details > summary")[0].text_content().unwrap(), "1 asset not explained by the ledger");
    let missing = all(&root, "[data-testid='trades-not-found']");
    assert_eq!(missing.len(), 1, "{}", root.inner_html());
    assert_eq!(missing[0].get_attribute("data-asset").as_deref(), Some("LUNA"));
    let text = missing[0].text_content().unwrap();
    assert!(text.contains("trades of LUNA not found") && text.contains("LUNABTC, LUNAUSDT"), "{text}");

    // an account no sync has read: said so, neither complete nor rows
    tracker_data.set(Some(Data::default()));
    leptos::task::tick().await;
    assert!(all(&root, "[data-testid='account-complete'], [data-testid='residual-row']").is_empty());
    let text = all(&root, "[data-testid='account-balances']")[0].text_content().unwrap();
    assert!(text.contains("not compared yet"), "{text}");
    drop(mounted);
}

/// A Bitget tax-record disagreement (docs/venues.md §2.13): every balance agrees, but the spot tax records' USDT
/// deposits add up to 600 where the ledger's add up to 500; the account is not complete and the screen says so.
#[wasm_bindgen_test]
async fn a_tax_record_disagreement_keeps_the_account_incomplete_and_is_named() {
    let mut disagreeing = data(&[("USDT", "500")]);
    let st = disagreeing.sync_state.accounts.get_mut(KEY).unwrap();
    st.covered_from.insert("BitgetTaxSpot".into(), 100);
    st.covered_until.insert("BitgetTaxSpot".into(), 1_000);
    st.tax.insert(
        "BitgetTaxSpot".into(),
        sync_engine::state::TaxTally {
            wallet: SPOT.into(),
            sums: BTreeMap::from([("USDT deposit".to_string(), d("600"))]),
        },
    );
    let tracker_data = RwSignal::new(Some(disagreeing));
    let residuals = Signal::derive(move || tracker_data.with(|d| d.as_ref().and_then(|d| d.residuals(KEY))));
    let root = own_container();
    let mounted = leptos::mount::mount_to(root.clone(), move || {
        leptos::view! { <app::ui::residuals::AccountBalances residuals /> }
    });
    leptos::task::tick().await;
    assert!(all(&root, "[data-testid='account-complete'], [data-testid='residual-row']").is_empty());
    assert_eq!(all(&root, "details > summary")[0].text_content().unwrap(), "1 asset not explained by the ledger");
    let named = all(&root, "[data-testid='tax-disagreement']");
    assert_eq!(named.len(), 1, "{}", root.inner_html());
    assert_eq!(named[0].get_attribute("data-asset").as_deref(), Some("USDT"));
    let text = named[0].text_content().unwrap();
    assert!(text.contains("tax records' deposit is 600") && text.contains("the ledger's 500"), "{text}");
    drop(mounted);
}

/// What the app notes for the next sync (`app::sync::suspects`, docs/sync.md "Delisted pairs"): each Binance
/// account's spot assets its residuals name, summed over slices of the ledger; an account explained in full with
/// none (so that what it noted before is cleared); no account of another venue or with no balances read yet.
#[wasm_bindgen_test]
async fn the_spot_assets_the_residuals_name_are_noted_for_the_next_sync() {
    // 500 USDT in 2,500 deposits (more than one slice's step), 2 ETH the ledger does not have
    let many = |balances: &[(&str, &str)]| {
        let mut data = data(balances);
        data.events = (0..2_500).map(|i| deposit(&format!("d{i}"), 500, "USDT", "0.2")).collect();
        data
    };
    let mut unexplained = many(&[("USDT", "500"), ("ETH", "2")]);
    let mut bitget = unexplained.sync_state.accounts[KEY].clone();
    bitget.balances =
        Some(BTreeMap::from([("bitget/c2/spot".to_string(), BTreeMap::from([("BTC".to_string(), d("1"))]))]));
    unexplained.sync_state.accounts.insert("bitget/c2".into(), bitget);
    unexplained.sync_state.accounts.insert("binance/c3".into(), AccountState::default());
    let residual_assets: Vec<String> =
        unexplained.residuals(KEY).unwrap().rows.iter().map(|r| r.asset.clone()).collect();
    let noted = app::sync::suspects(RwSignal::new(Some(unexplained))).await;
    assert_eq!(noted.keys().collect::<Vec<_>>(), [KEY], "{noted:?}");
    assert_eq!(noted[KEY].iter().collect::<Vec<_>>(), ["ETH"]);
    assert_eq!(residual_assets, ["ETH"], "the same assets as the residuals the Accounts screen shows");
    let explained = app::sync::suspects(RwSignal::new(Some(many(&[("USDT", "500")])))).await;
    assert!(explained[KEY].is_empty(), "{explained:?}");
    assert!(app::sync::suspects(RwSignal::new(None)).await.is_empty(), "nothing read yet");
}
