//! The dashboard's drill-down in a real browser (headless Chromium): `cargo test --target wasm32-unknown-unknown -p
//! app --test drilldown`. A small ledger, the dashboard rendered, an asset and an account opened, each row and
//! identity checked against the engine's own report of the same ledger and settings.
#![cfg(target_arch = "wasm32")]

mod common;

use app::ui::drilldown::{self, DrillDown, LotRow, UnitFlows};
use ledger::{AccountId, Decimal, Event, EventKind, IncomeType, Money, PricePoint, Timestamp};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

use common::{own_container, until};

wasm_bindgen_test_configure!(run_in_browser);

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

const A: &str = "binance/ca/spot";
const B: &str = "bitget/cb/spot";

fn event(id: &str, time: &str, account: &str, kind: EventKind) -> Event {
    let mut parts = account.split('/');
    let (venue, label, wallet) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    Event { id: id.into(), time: t(time), account: AccountId::new(venue, label, wallet), kind }
}

fn trade(spend: (&str, &str), receive: (&str, &str), fee: (&str, &str)) -> EventKind {
    EventKind::Trade {
        spend: Money::new(spend.1, d(spend.0)),
        receive: Money::new(receive.1, d(receive.0)),
        fees: vec![Money::new(fee.1, d(fee.0))],
        symbol: Some("BTCUSDT".into()),
    }
}

fn deposit(amount: &str, asset: &str) -> EventKind {
    EventKind::Deposit { asset: asset.into(), amount: d(amount), txid: None }
}

/// BTC bought in two accounts, part sold in the second (a fee in BTC), some sent out of the first (with a fee),
/// interest paid in BTC, funding paid in USDT, and a deposit of XYZ, which has no price.
fn ledger() -> app::sync::Data {
    let events = vec![
        event("da", "2023-01-01T00:00:00Z", A, deposit("1000", "USDT")),
        event("buy-a", "2023-01-10T00:00:00Z", A, trade(("299", "USDT"), ("0.5", "BTC"), ("1", "USDT"))),
        event("db", "2023-12-01T00:00:00Z", B, deposit("1000", "USDT")),
        event("buy-b", "2024-01-01T00:00:00Z", B, trade(("399", "USDT"), ("0.5", "BTC"), ("1", "USDT"))),
        event("sell", "2024-02-01T00:00:00Z", B, trade(("0.25", "BTC"), ("225", "USDT"), ("0.001", "BTC"))),
        event(
            "wd",
            "2024-02-02T00:00:00Z",
            A,
            EventKind::Withdrawal { asset: "BTC".into(), amount: d("0.1"), fee: Some(d("0.0005")), txid: None },
        ),
        event(
            "int",
            "2024-02-03T00:00:00Z",
            B,
            EventKind::Income {
                income_type: IncomeType::Interest,
                asset: "BTC".into(),
                amount: d("0.002"),
                symbol: None,
            },
        ),
        event(
            "fund",
            "2024-02-04T00:00:00Z",
            "bitget/cb/futures",
            EventKind::Income { income_type: IncomeType::Funding, asset: "USDT".into(), amount: d("-5"), symbol: None },
        ),
        event("dx", "2024-02-05T00:00:00Z", A, deposit("10", "XYZ")),
    ];
    let point =
        |time: &str, p: &str| PricePoint { time: t(time), asset: "BTC".into(), quote: "USDT".into(), price: d(p) };
    let mut data = app::sync::Data { events, ..app::sync::Data::default() };
    data.prices.points = vec![
        point("2023-01-10T00:00:00Z", "600"),
        point("2024-01-01T00:00:00Z", "800"),
        point("2024-02-01T00:00:00Z", "900"),
    ];
    data
}

fn find(root: &web_sys::HtmlElement, selector: &str) -> web_sys::Element {
    root.query_selector(selector).unwrap().unwrap_or_else(|| panic!("{selector} shown in {}", root.inner_html()))
}

fn value(root: &web_sys::HtmlElement, selector: &str) -> Option<String> {
    find(root, selector).get_attribute("data-value")
}

fn n(x: Decimal) -> Option<String> {
    Some(x.normalize().to_string())
}

/// How many elements of this test id are shown.
fn count(root: &web_sys::HtmlElement, testid: &str) -> usize {
    root.inner_html().matches(&format!("data-testid=\"{testid}\"")).count()
}

fn click(root: &web_sys::HtmlElement, selector: &str) {
    find(root, selector).dyn_into::<web_sys::HtmlElement>().unwrap().click();
}

fn focused_id() -> String {
    web_sys::window().unwrap().document().unwrap().active_element().map(|e| e.id()).unwrap_or_default()
}

#[wasm_bindgen_test]
async fn an_asset_and_an_account_drill_down_match_the_engine() {
    use app::records::{AppSettings, Setting};
    use leptos::prelude::*;
    let data = ledger();
    let settings = AppSettings {
        pools: Setting::Known(pnl::Pools::PerAccount),
        holding_preset: Setting::Known(formats::gains::HoldingPreset::TaxFreeAfterOneYear),
        ..AppSettings::default()
    };
    let dash = app::report::compute(&data, &settings);
    let engine = pnl::compute(&data.events, &data.prices.points, &dash.report.settings);
    let drill =
        DrillDown::new(RwSignal::new(Some(data.clone())), RwSignal::new(Some(dash.clone())), RwSignal::new(None))
            .with_settings(RwSignal::new(settings.clone()));
    let root = own_container();
    let _view = leptos::mount::mount_to(root.clone(), {
        let dash = dash.clone();
        move || leptos::view! { <app::ui::dashboard::DashboardView dashboard=dash.clone() currency="USD".to_string() drill /> }
    });
    leptos::task::tick().await;

    // the holdings table's BTC opens the asset, in place; the keyboard's focus is on its heading
    click(&root, "[id='open-holdings-BTC']");
    until("the drill-down", || root.query_selector("[data-testid='drilldown']").unwrap().is_some()).await;
    assert!(root.query_selector("[data-testid='holdings']").unwrap().is_none(), "the dashboard is replaced");
    until("the heading focused", || focused_id() == "drilldown-heading").await;
    // holdings per account and wallet: the engine's balances
    for account in [A, B] {
        let units = engine.accounts[account].balances["BTC"];
        assert_eq!(
            value(&root, &format!("[data-key='{account}'] [data-testid='drill-amount']")),
            n(units),
            "{account}"
        );
    }
    assert_eq!(value(&root, "[data-testid='drill-amount-total']"), n(engine.assets["BTC"].amount));
    assert_eq!(value(&root, "[data-testid='drill-value-total']"), engine.assets["BTC"].value.and_then(n));
    // the open lots (from the Gains report, computed after a paint): the engine's, oldest first
    until("the lots", || root.query_selector("[data-testid='drill-lots']").unwrap().is_some()).await;
    let lots: Vec<&pnl::OpenLot> = engine.open_lots.iter().filter(|l| l.asset == "BTC").collect();
    assert_eq!(count(&root, "drill-lot"), lots.len());
    assert_eq!(lots.len(), 3, "A's lot, B's lot and the interest's: {lots:?}");
    for (i, lot) in lots.iter().enumerate() {
        let row = format!("[data-testid='drill-lot']:nth-of-type({})", i + 1);
        assert_eq!(value(&root, &format!("{row} [data-testid='lot-amount']")), n(lot.amount));
        assert_eq!(value(&root, &format!("{row} [data-testid='lot-cost']")), n(lot.cost));
        assert_eq!(value(&root, &format!("{row} [data-testid='lot-unit-cost']")), n(lot.cost / lot.amount));
        let days = engine.as_of.unwrap().day() - lot.time.day();
        assert_eq!(value(&root, &format!("{row} [data-testid='lot-days']")), Some(days.to_string()));
    }
    // A's lot (0.3995 left: 0.1 and its fee went out) names the Binance account it was bought in
    let first = find(&root, "[data-testid='drill-lot']:nth-of-type(1)").text_content().unwrap();
    assert!(first.contains("Binance"), "{first}");
    // the disposals: the Gains tab's rows of BTC (the sale, the withdrawal's fee)
    let disposals = engine.disposals.iter().filter(|x| &*x.asset == "BTC").count();
    assert_eq!(value(&root, "[data-testid='drill-disposals-count']"), Some(disposals.to_string()));
    assert_eq!(count(&root, "gains-disposal"), disposals);
    // named as the user's settings name the holding periods: the sale's lot was held 31 days
    let sale = find(&root, "[data-testid='gains-disposal'][data-event='sell']").text_content().unwrap();
    assert!(sale.contains("taxable") && !sale.contains("short term"), "{sale}");
    // the realized lines of BTC: the engine's
    let split = &engine.realized_by_asset["BTC"];
    assert_eq!(value(&root, "[data-testid='drill-realized'] [data-line='total'] td"), n(split.total));
    assert_eq!(value(&root, "[data-testid='drill-realized'] [data-line='other'] td"), n(split.other));
    // income by type and fees, in units of BTC
    assert_eq!(value(&root, "[data-type='interest'] [data-testid='income-units']"), n(d("0.002")));
    assert_eq!(value(&root, "[data-fee='trade'] [data-testid='fee-units']"), n(d("0.001")));
    assert_eq!(value(&root, "[data-fee='withdrawal'] [data-testid='fee-units']"), n(d("0.0005")));
    // the units' identity: 1.002 acquired − 0.251 disposed − 0.1005 sent out + 0 received = held
    let term = |key: &str| value(&root, &format!("[data-testid='units-identity'] [data-term='{key}']"));
    assert_eq!(term("acquired"), n(d("1.002")));
    assert_eq!(term("disposed"), n(d("0.251")));
    assert_eq!(term("sent_out"), n(d("0.1005")));
    assert_eq!(term("received"), n(d("0")));
    assert_eq!(term("held"), n(engine.assets["BTC"].amount));
    assert_eq!(engine.assets["BTC"].amount, d("0.6505"));
    assert_eq!(
        find(&root, "[data-testid='units-identity-holds']").get_attribute("data-holds").as_deref(),
        Some("true")
    );

    // back: the dashboard again, the focus on the button that opened the drill-down
    click(&root, "[data-testid='drill-back']");
    until("the dashboard", || root.query_selector("[data-testid='holdings']").unwrap().is_some()).await;
    until("the opener focused", || focused_id() == "open-holdings-BTC").await;

    // Bitget spot from the PnL by account: its holdings, value, PnL, contributions and the engine's identity
    click(&root, &format!("[id='open-pnl-by-account-{B}']"));
    until("the account", || root.query_selector("[data-testid='drilldown'][data-kind='account']").unwrap().is_some())
        .await;
    let summary = &engine.accounts[B];
    for (asset, units) in &summary.balances {
        assert_eq!(value(&root, &format!("[data-key='{asset}'] [data-testid='drill-amount']")), n(*units), "{asset}");
    }
    assert_eq!(value(&root, "[data-testid='drill-value-total']"), n(summary.equity));
    let split = &engine.realized_by_account[B];
    assert_eq!(value(&root, "[data-testid='drill-realized'] [data-line='total'] td"), n(split.total));
    assert_eq!(value(&root, "[data-testid='drill-realized'] [data-line='trade'] td"), n(split.trade));
    assert_eq!(value(&root, "[data-testid='drill-deposits']"), n(d("1000")));
    assert_eq!(value(&root, "[data-testid='drill-contributions']"), n(d("1000")));
    let id = &engine.identity_by_account[B];
    assert_eq!(value(&root, "[data-testid='drill-unrealized']"), n(id.unrealized));
    let term = |key: &str| value(&root, &format!("[data-testid='account-identity'] [data-term='{key}']"));
    assert_eq!(term("net_contributions"), n(id.net_contributions));
    assert_eq!(term("realized"), n(id.realized));
    assert_eq!(term("unrealized"), n(id.unrealized));
    assert_eq!(term("equity"), n(id.equity));
    assert!(id.holds);
    assert!(root.query_selector("[data-testid='account-identity-incomplete']").unwrap().is_none(), "B lacks no price");
    assert_eq!(
        find(&root, "[data-testid='account-identity-holds']").get_attribute("data-holds").as_deref(),
        Some("true")
    );

    // Binance spot holds XYZ, which has no price: its value and contributions are incomplete, never a number
    click(&root, "[data-testid='drill-back']");
    until("the dashboard", || root.query_selector("[data-testid='holdings']").unwrap().is_some()).await;
    click(&root, "[id='open-holdings-XYZ']");
    until("XYZ", || root.query_selector("[data-testid='drill-holdings']").unwrap().is_some()).await;
    let total = find(&root, "[data-testid='drill-value-total']");
    assert_eq!(
        (total.get_attribute("data-incomplete").as_deref(), total.get_attribute("data-value")),
        (Some("true"), None)
    );
    assert!(total.text_content().unwrap().contains("no price for XYZ in USD"), "{}", total.text_content().unwrap());
    click(&root, "[data-testid='drill-back']");
    until("the dashboard", || root.query_selector("[data-testid='pnl-by-account']").unwrap().is_some()).await;
    drill.open(drilldown::Target::Account(A.into()), String::new());
    until("Binance spot", || root.query_selector("[data-testid='drilldown'][data-kind='account']").unwrap().is_some())
        .await;
    for testid in ["drill-value-total", "drill-contributions"] {
        let cell = find(&root, &format!("[data-testid='{testid}']"));
        assert_eq!(cell.get_attribute("data-value"), None, "{testid} is a number without XYZ's price");
        assert_eq!(cell.get_attribute("data-incomplete").as_deref(), Some("true"), "{testid}");
    }
    // its identity holds in the engine's terms (XYZ's deposit opened no lot) but says what it lacks
    assert!(engine.identity_by_account[A].holds);
    let lacks = find(&root, "[data-testid='account-identity-missing']").text_content().unwrap();
    assert!(lacks.contains("no price for XYZ in USD"), "{lacks}");
}

#[wasm_bindgen_test]
fn unit_flows_count_the_period_and_open_with_what_was_held_before() {
    let data = ledger();
    let year = pnl::Window { from: Some(t("2024-01-01T00:00:00Z")), to: Some(t("2024-02-02T23:59:59Z")) };
    let f = drilldown::unit_flows(&data.events, "BTC", year);
    // held on 1 January 2024: A's 0.5; in the period: B's buy, the sale and its fee, the withdrawal with its fee;
    // the interest (3 February) is after the period
    let expected = UnitFlows {
        opening: d("0.5"),
        acquired: d("0.5"),
        disposed: d("0.251"),
        sent_out: d("0.1005"),
        received: d("0"),
    };
    assert_eq!(f, expected);
    assert_eq!(f.expected(), d("0.6485"));
    let all = drilldown::unit_flows(&data.events, "USDT", pnl::Window::default());
    // 2000 deposited + 225 received for BTC − 698 spent − 2 fees − 5 funding
    assert_eq!((all.received, all.acquired, all.disposed), (d("2000"), d("225"), d("705")));
    assert_eq!(all.expected(), d("1520"));
    let fees = drilldown::fee_units(&data.events, "USDT", year);
    assert_eq!((fees.trades, fees.trade_fees, fees.withdrawals), (1, d("1"), 0));
}

#[wasm_bindgen_test]
fn lot_rows_give_the_unit_cost_the_days_held_and_where_the_units_came_from() {
    let lot = |pool: &str, acquired_in: Option<&str>, amount: &str| pnl::OpenLot {
        asset: "BTC".into(),
        pool: pool.into(),
        time: t("2024-01-01T12:00:00Z"),
        acquired_in: acquired_in.map(Into::into),
        amount: d(amount),
        cost: d("100"),
        value: None,
        unrealized: None,
    };
    let lots = [lot(B, Some(A), "0.3"), lot("*", None, "0"), lot(A, Some(A), "1")];
    let rows: Vec<LotRow> = drilldown::open_lot_rows(&lots, "BTC", Some(t("2024-01-31T00:00:00Z")));
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].unit_cost, Some((d("100") / d("0.3")).normalize()));
    assert_eq!(rows[1].unit_cost, None, "a lot of no units has no unit cost, not a zero one");
    assert_eq!(rows[2].unit_cost, Some(d("100")));
    assert!(rows.iter().all(|r| r.days_held == 30));
    let name = |id: &str| id.split('/').next().unwrap().to_string();
    assert_eq!(drilldown::lot_account(&rows[0], name), "binance (now in bitget)");
    assert_eq!(drilldown::lot_account(&rows[1], name), "pooled (several accounts)");
    assert_eq!(drilldown::lot_account(&rows[2], name), "binance");
    assert!(drilldown::open_lot_rows(&lots, "ETH", None).is_empty());
}
