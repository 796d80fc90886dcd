//! The dashboard's warnings card: one line per cause (`crate::warnings`) with its count, the assets and accounts
//! concerned and the action that resolves it, with a button to the screen where it is done; each line expands
//! (a `<details>`, collapsed by default) to list its events.

use std::collections::BTreeSet;

use leptos::prelude::*;

use crate::format::{amount, count, date_time, exact, utc_day};
use crate::report::Dashboard;
use crate::ui::Tab;
use crate::warnings::{self, Group, Item};

/// Opens a tab of the tracker: provided by the tracker, so a warning's button leads to where it is resolved.
/// Without it (a dashboard mounted alone) the action is shown in words only.
#[derive(Debug, Clone, Copy)]
pub struct OpenTab(pub WriteSignal<Tab>);

/// The events the Ledger shows alone, when a warning's button opened it: the warning's words and the events' ids.
/// Provided by the tracker; the Ledger offers to show every event again, and forgets it when closed.
#[derive(Debug, Clone, Copy)]
pub struct LedgerFocus(pub RwSignal<Option<(String, BTreeSet<String>)>>);

/// At most this many events are listed under an expanded group; the rest are counted.
const LISTED: usize = 50;
/// Assets or accounts named on a group's line before "and N more".
const NAMED: usize = 3;

fn item_text(item: &Item, dashboard: &Dashboard) -> (String, Option<String>) {
    match item {
        Item::Acquisition(m) => (
            format!(
                "{} {} of {} spent on {} with no recorded acquisition",
                amount(m.missing),
                m.asset,
                amount(m.missing + m.found),
                date_time(m.time)
            ),
            Some(format!("{} {} (event {})", exact(m.missing), m.asset, m.event)),
        ),
        // prices are daily klines: which UTC day lacks one is what matters
        Item::Price(m) => (
            format!(
                "No price for {} in {} from the UTC day of {} ({} valuations): affects {}",
                m.asset,
                m.quote,
                utc_day(m.since),
                count(m.valuations as usize),
                m.affects.iter().map(|a| a.replace('_', " ")).collect::<Vec<_>>().join(", ")
            ),
            None,
        ),
        Item::Transfer(u) => (
            format!(
                "{} of {} {} in {} on {}",
                if u.kind == "withdrawal" { "Withdrawal" } else { "Deposit" },
                amount(u.amount),
                u.asset,
                dashboard.account_name(&u.account),
                date_time(u.time)
            ),
            Some(format!("{} {} (event {})", exact(u.amount), u.asset, u.event)),
        ),
        Item::Trade(id) => (format!("Trade {id}"), None),
    }
}

fn group_line(group: Group, dashboard: &Dashboard, open: Option<OpenTab>) -> impl IntoView + use<> {
    let cause = group.cause;
    let n = group.count();
    let mut concerned = Vec::new();
    if !group.assets.is_empty() {
        concerned.push(warnings::first_few(&group.assets, NAMED));
    }
    if !group.accounts.is_empty() {
        let names: Vec<String> = group.accounts.iter().map(|a| dashboard.account_name(a)).collect();
        concerned.push(format!("in {}", warnings::first_few(&names, NAMED)));
    }
    let concerned = (!concerned.is_empty()).then(|| format!(": {}", concerned.join(" ")));
    let more = n.saturating_sub(LISTED);
    let items: Vec<_> = group.items.iter().take(LISTED).map(|i| item_text(i, dashboard)).collect();
    // the Ledger opened from a warning shows its events alone
    let focus = use_context::<LedgerFocus>();
    let ids = group.event_ids();
    let button = cause.screen().zip(open).map(|((tab, label), OpenTab(set))| {
        view! { <button data-testid="warning-action" on:click=move |_| {
            if let (Tab::Ledger, Some(LedgerFocus(f))) = (tab, focus) {
                f.set(Some((cause.title().to_string(), ids.clone())));
            }
            set.set(tab);
        }>{label}</button> }
    });
    view! {
        <li class="warning-group" data-testid="warning-group" data-cause=cause.id() data-count=n.to_string()>
            <details>
                <summary>
                    <strong>{format!("{} {}", count(n), cause.title())}</strong>
                    {concerned}
                </summary>
                <ul class="warning-events" data-testid="warning-events">
                    {items.into_iter().map(|(text, title)| view! {
                        <li data-testid=cause.id() title=title>{text}</li>
                    }).collect_view()}
                    {(more > 0).then(|| view! { <li class="muted">{format!("and {} more", count(more))}</li> })}
                </ul>
            </details>
            <p class="muted warning-action">{cause.action()} " " {button}</p>
        </li>
    }
}

/// The warnings card of the dashboard: nothing when the report has none.
#[component]
pub fn WarningsCard(
    /// The dashboard whose report's warnings are shown.
    dashboard: Dashboard,
) -> impl IntoView {
    let groups = warnings::group(&dashboard.report);
    let open = use_context::<OpenTab>();
    (!groups.is_empty()).then(|| {
        let total: usize = groups.iter().map(Group::count).sum();
        view! {
            <section class="card warnings" data-testid="warnings">
                <h2>{format!("Warnings ({})", count(total))}</h2>
                <ul class="warning-groups">
                    {groups.into_iter().map(|g| group_line(g, &dashboard, open)).collect_view()}
                </ul>
            </section>
        }
    })
}
