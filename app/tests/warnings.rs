//! The report's warnings grouped by cause (`app::warnings`) and the dashboard's card of them
//! (`app::ui::warnings`), in headless Chromium: `cargo test --target wasm32-unknown-unknown -p app --test warnings`.
#![cfg(target_arch = "wasm32")]

mod common;

use app::warnings::{Cause, Item, first_few, group, unpriced};
use ledger::{AccountId, Event, EventKind, Money, Timestamp};
use pnl::{MissingAcquisition, MissingPrice, Report, UnmatchedLeg};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

use common::own_container;

wasm_bindgen_test_configure!(run_in_browser);

fn d(s: &str) -> ledger::Decimal {
    s.parse().unwrap()
}

fn leg(i: usize, asset: &str, account: &str) -> UnmatchedLeg {
    UnmatchedLeg {
        event: format!("dep{i}"),
        kind: "deposit".into(),
        account: account.into(),
        asset: asset.into(),
        amount: d("1"),
        time: Timestamp(i as i64),
        value: None,
    }
}

fn price(asset: &str, affects: &str, time: i64, count: u64) -> MissingPrice {
    MissingPrice {
        asset: asset.into(),
        quote: "USD".into(),
        time: Timestamp(time),
        last_time: Timestamp(time + 10),
        count,
        affects: affects.into(),
    }
}

#[wasm_bindgen_test]
fn no_warning_gives_no_group() {
    assert!(group(&Report::default()).is_empty());
}

#[wasm_bindgen_test]
fn warnings_are_grouped_by_cause_in_order_with_counts_and_what_they_concern() {
    let mut r = Report { unvalued_trades: vec!["t1".into(), "t2".into()], ..Report::default() };
    // 5 legs: ETH three times in two accounts, BTC twice
    r.transfers.unmatched = vec![
        leg(0, "ETH", "binance/main/spot"),
        leg(1, "BTC", "bitget/main/spot"),
        leg(2, "ETH", "binance/main/spot"),
        leg(3, "ETH", "bitget/main/spot"),
        leg(4, "BTC", "binance/main/spot"),
    ];
    r.missing_acquisitions = vec![MissingAcquisition {
        asset: "SOL".into(),
        time: Timestamp(7),
        event: "sell".into(),
        found: d("1"),
        missing: d("2"),
    }];
    let groups = group(&r);
    let causes: Vec<Cause> = groups.iter().map(|g| g.cause).collect();
    assert_eq!(causes, [Cause::MissingAcquisition, Cause::UnmatchedTransfer, Cause::UnvaluedTrade]);
    let counts: Vec<usize> = groups.iter().map(|g| g.count()).collect();
    assert_eq!(counts, [1, 5, 2]);
    let transfers = &groups[1];
    assert_eq!(transfers.assets, ["ETH", "BTC"], "most warnings first");
    assert_eq!(transfers.accounts, ["binance/main/spot", "bitget/main/spot"]);
    assert!(matches!(&transfers.items[3], Item::Transfer(u) if u.event == "dep3"), "the engine's order kept");
    assert_eq!(groups[0].assets, ["SOL"]);
    // the events behind each group, for the Ledger to show alone
    assert_eq!(groups[1].event_ids(), (0..5).map(|i| format!("dep{i}")).collect());
    assert_eq!(groups[0].event_ids(), ["sell".to_string()].into());
    // each cause says what resolves it; those with a screen name it
    assert_eq!(Cause::UnmatchedTransfer.screen().map(|s| s.0), Some(app::ui::Tab::Ledger));
    assert_eq!(Cause::MissingAcquisition.screen().map(|s| s.0), Some(app::ui::Tab::Accounts));
    assert!(Cause::MissingAcquisition.action().contains("value deposits at market"));
}

#[wasm_bindgen_test]
fn a_missing_price_is_one_warning_whatever_totals_it_affects() {
    let mut r = Report {
        missing_prices: vec![
            price("AAA", "equity", 100, 1),
            price("AAA", "equity_curve", 50, 4),
            price("BBB", "equity", 100, 1),
            price("AAA", "unrealized", 100, 1),
        ],
        ..Report::default()
    };
    let u = unpriced(&r);
    assert_eq!(u.len(), 2);
    assert_eq!((u[0].asset.as_str(), u[0].valuations), ("AAA", 6));
    assert_eq!((u[0].since, u[0].until), (Timestamp(50), Timestamp(110)));
    assert_eq!(u[0].affects, ["equity", "equity_curve", "unrealized"]);
    let groups = group(&r);
    assert_eq!(groups.len(), 1);
    assert_eq!((groups[0].cause, groups[0].count()), (Cause::MissingPrice, 2));
    assert!(groups[0].event_ids().is_empty(), "a missing price is per asset, not per event");
    // the same asset in another quote is another price to find
    r.missing_prices.push(MissingPrice { quote: "EUR".into(), ..price("AAA", "equity", 100, 1) });
    assert_eq!(group(&r)[0].count(), 3);
}

#[wasm_bindgen_test]
fn first_few_names_three_then_counts_the_rest() {
    let names = |n: usize| (0..n).map(|i| format!("A{i}")).collect::<Vec<_>>();
    assert_eq!(first_few(&names(0), 3), "");
    assert_eq!(first_few(&names(3), 3), "A0, A1, A2");
    assert_eq!(first_few(&names(7), 3), "A0, A1, A2 and 4 more");
}

/// 20 deposits that no withdrawal matches (two accounts), then three coins bought that no venue prices.
fn ledger_with_20_unmatched_and_3_unpriced() -> app::sync::Data {
    let t0 = 1_700_006_400_000i64; // 2023-11-15T00:00:00Z
    let mut events: Vec<Event> = (0..20i64)
        .map(|i| Event {
            id: format!("dep{i}"),
            time: Timestamp(t0 + i * 3_600_000),
            account: AccountId::new(if i % 2 == 0 { "binance" } else { "bitget" }, "main", "spot"),
            kind: EventKind::Deposit { asset: "USDT".into(), amount: d("100"), txid: None },
        })
        .collect();
    for (i, a) in ["AAA", "BBB", "CCC"].into_iter().enumerate() {
        events.push(Event {
            id: format!("buy{a}"),
            time: Timestamp(t0 + 86_400_000 + i as i64),
            account: AccountId::new("binance", "main", "spot"),
            kind: EventKind::Trade {
                spend: Money::new("USDT", d("10")),
                receive: Money::new(a, d("5")),
                fees: vec![],
                symbol: Some(format!("{a}USDT").into()),
            },
        });
    }
    app::sync::Data { events, ..Default::default() }
}

#[wasm_bindgen_test]
async fn dashboard_shows_20_unmatched_transfers_and_3_missing_prices_as_two_collapsed_groups() {
    use leptos::prelude::*;
    let dash = app::report::compute(&ledger_with_20_unmatched_and_3_unpriced(), &Default::default());
    // the engine reports a missing price per total it affects: more than 3 entries, one per line before
    assert!(dash.report.missing_prices.len() > 3, "{:?}", dash.report.missing_prices);
    let tab = RwSignal::new(app::ui::Tab::Dashboard);
    let focus = RwSignal::new(None);
    let root = own_container();
    let mounted = leptos::mount::mount_to(root.clone(), {
        let dash = dash.clone();
        move || {
            provide_context(app::ui::warnings::OpenTab(tab.write_only()));
            provide_context(app::ui::warnings::LedgerFocus(focus));
            leptos::view! { <app::ui::dashboard::DashboardView dashboard=dash.clone() currency="USD".to_string() /> }
        }
    });
    leptos::task::tick().await;
    // querySelectorAll through js-sys: the app's web-sys build has no `NodeList` feature
    let all = |sel: &str| {
        let qsa: js_sys::Function = js_sys::Reflect::get(&root, &"querySelectorAll".into()).unwrap().into();
        let list = qsa.call1(&root, &sel.into()).unwrap();
        js_sys::Array::from(&list).iter().map(|e| e.dyn_into::<web_sys::Element>().unwrap()).collect::<Vec<_>>()
    };
    let groups = all("[data-testid='warning-group']");
    let seen: Vec<(String, String)> = groups
        .iter()
        .map(|g| (g.get_attribute("data-cause").unwrap(), g.get_attribute("data-count").unwrap()))
        .collect();
    assert_eq!(
        seen,
        [("missing-price".to_string(), "3".to_string()), ("unmatched-transfer".to_string(), "20".to_string())]
    );
    let text = |e: &web_sys::Element| e.text_content().unwrap_or_default();
    let summaries = all("[data-testid='warning-group'] summary");
    assert!(text(&summaries[0]).starts_with("3 Missing prices: AAA, BBB, CCC"), "{}", text(&summaries[0]));
    assert!(
        text(&summaries[1]).starts_with("20 Unmatched transfers: USDT in Binance spot, Bitget spot"),
        "{}",
        text(&summaries[1])
    );
    // collapsed: the events are behind the summary, every one of them
    assert!(all("[data-testid='warning-group'] details").iter().all(|e| !e.has_attribute("open")));
    assert_eq!(all("[data-testid='warning-events'] [data-testid='unmatched-transfer']").len(), 20);
    assert_eq!(all("[data-testid='warning-events'] [data-testid='missing-price']").len(), 3);
    // below the headline figures, not above them
    let figures = root.query_selector("[data-testid='dashboard']").unwrap().unwrap();
    let warnings = root.query_selector("[data-testid='warnings']").unwrap().unwrap();
    assert_eq!(
        figures.compare_document_position(&warnings) & web_sys::Node::DOCUMENT_POSITION_FOLLOWING,
        web_sys::Node::DOCUMENT_POSITION_FOLLOWING
    );
    // the transfers' action opens the Ledger, where they are matched; the missing prices have no screen
    let actions = all("[data-testid='warning-action']");
    assert_eq!(actions.len(), 1);
    assert_eq!(text(&actions[0]), "Match in the Ledger");
    actions[0].clone().dyn_into::<web_sys::HtmlElement>().unwrap().click();
    assert_eq!(tab.get_untracked(), app::ui::Tab::Ledger);
    // ... showing the 20 deposits alone
    let (what, ids) = focus.get_untracked().expect("the Ledger is focused on the warning's events");
    assert_eq!(what, "Unmatched transfers");
    assert_eq!(ids, (0..20).map(|i| format!("dep{i}")).collect());
    drop(mounted);
    root.remove();
}

#[wasm_bindgen_test]
async fn the_ledger_opened_from_a_warning_shows_its_events_alone_until_asked_for_all() {
    use leptos::prelude::*;
    let data = ledger_with_20_unmatched_and_3_unpriced();
    let ids: std::collections::BTreeSet<String> = (0..20).map(|i| format!("dep{i}")).collect();
    let focus = RwSignal::new(Some(("Unmatched transfers".to_string(), ids)));
    let data = RwSignal::new(Some(data));
    let dash = RwSignal::new(None);
    let root = own_container();
    let mounted = leptos::mount::mount_to(root.clone(), move || {
        provide_context(app::ui::warnings::LedgerFocus(focus));
        leptos::view! { <app::ui::ledger_view::LedgerView data dash on_change=|| () /> }
    });
    leptos::task::tick().await;
    let text = |sel: &str| root.query_selector(sel).unwrap().map(|e| e.text_content().unwrap_or_default());
    assert_eq!(text("[data-testid='ledger-count']").as_deref(), Some("20 events"));
    let said = text("[data-testid='ledger-focus']").expect("the Ledger says what it shows");
    assert!(said.contains("20 events of the warning \u{201c}Unmatched transfers\u{201d}"), "{said}");
    let clear: web_sys::HtmlElement =
        root.query_selector("[data-testid='ledger-focus-clear']").unwrap().unwrap().dyn_into().unwrap();
    clear.click();
    leptos::task::tick().await;
    assert_eq!(text("[data-testid='ledger-count']").as_deref(), Some("23 events"));
    assert!(text("[data-testid='ledger-focus']").is_none());
    assert!(focus.get_untracked().is_none());
    drop(mounted);
    root.remove();
}
