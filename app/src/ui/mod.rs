//! The app's screens. Components render state and send intents; the work is done by the library crates.

use leptos::prelude::*;

use crate::format;
use crate::records::AccountNames;
use crate::report::Dashboard;
use crate::split::Screen;
use crate::tracker::{TrackerState, use_tracker};

pub mod accounts;
pub mod audit;
pub mod charts;
pub mod dashboard;
pub mod drilldown;
pub mod gains;
pub mod gate;
pub mod imports;
pub mod keygen;
pub mod ledger_view;
pub mod relay_catalogue;
pub mod relay_ips;
pub mod residuals;
pub mod settings;
pub mod theme;
pub mod warnings;

pub use crate::tracker::{SyncView, Tab, Trigger};

fn eta(ms: Option<u64>) -> String {
    match ms {
        None => String::new(),
        Some(ms) if ms < 60_000 => format!(", about {} s left", ms.div_ceil(1000)),
        Some(ms) => format!(", about {} min left", ms.div_ceil(60_000)),
    }
}

/// The tracker once the vault is unlocked: its state ([`TrackerState`], in context for every screen), the tab bar,
/// the sync panel and the tab shown.
#[component]
pub fn Tracker() -> impl IntoView {
    let t = TrackerState::unlocked();
    provide_context(t);
    // a warning's button opens the tab where it is resolved (ui/warnings.rs)
    provide_context(warnings::OpenTab(t.tab.write_only()));
    provide_context(warnings::LedgerFocus(RwSignal::new(None)));
    t.open();
    view! {
        <TabBar />
        <p class="error" role="alert">{move || t.error.get()}</p>
        <SyncPanel />
        <TabPanel />
    }
}

/// The tabs (the WAI-ARIA tab pattern: one tab in the Tab order; the arrow keys, Home and End move between tabs
/// and show each one's panel), the theme toggle and Sync now.
#[component]
fn TabBar() -> impl IntoView {
    let t = use_tracker();
    let tab = t.tab;
    let tablist = NodeRef::<leptos::html::Div>::new();
    let on_tab_key = move |ev: leptos::ev::KeyboardEvent| {
        let n = TABS.len();
        let i = TABS.iter().position(|x| x.tab == tab.get_untracked()).unwrap_or(0);
        let next = match ev.key().as_str() {
            "ArrowRight" => (i + 1) % n,
            "ArrowLeft" => (i + n - 1) % n,
            "Home" => 0,
            "End" => n - 1,
            _ => return,
        };
        ev.prevent_default();
        tab.set(TABS[next].tab);
        focus_id(TABS[next].id);
    };
    // the tracker replaces the form that unlocked it: the keyboard's focus goes to the selected tab
    Effect::new(move |_| {
        if tablist.get().is_some() {
            request_animation_frame(move || {
                focus_id(TABS.iter().find(|x| x.tab == tab.get_untracked()).map_or("", |x| x.id));
            });
        }
    });
    let (sync_view, accounts) = (t.sync_view, t.accounts);
    view! {
        <div class="tabbar">
            <div class="tabs" role="tablist" aria-label="Sections" node_ref=tablist on:keydown=on_tab_key>
                {TABS.iter().map(|x| {
                    let this = x.tab;
                    view! {
                        <button role="tab" type="button" id=x.id data-testid=x.testid aria-controls="tabpanel"
                            class=move || if tab.get() == this { "tab active" } else { "tab" }
                            aria-selected=move || (tab.get() == this).to_string()
                            tabindex=move || if tab.get() == this { "0" } else { "-1" }
                            on:click=move |_| tab.set(this)>
                            {x.label}
                        </button>
                    }
                }).collect_view()}
            </div>
            <div class="tools">
                <theme::ThemeToggle settings=t.settings />
                <button class="sync" data-testid="sync-now" disabled=move || sync_view.with(|v| v.running) || accounts.with(|a| a.is_empty())
                    data-every-ms=move || sync_view.with(|v| v.every_ms.map_or("off".to_string(), |ms| ms.to_string()))
                    on:click=move |_| t.start_sync(Trigger::Button)>
                    {move || if sync_view.with(|v| v.running) { "Syncing…" } else { "Sync now" }}
                </button>
            </div>
        </div>
    }
}

/// The sync's progress: open while a sync runs; afterwards one line, which opens to the details.
#[component]
fn SyncPanel() -> impl IntoView {
    let TrackerState { sync_view, accounts, .. } = use_tracker();
    view! {
        <section class="card sync-panel" data-testid="sync-progress" aria-label="Sync" data-running=move || sync_view.with(|v| v.running.to_string())
            data-started-by=move || sync_view.with(|v| v.started_by.map(Trigger::name))
            class:hidden=move || sync_view.with(|v| !v.running && !v.elsewhere && v.progress.is_empty() && v.errors.is_empty())>
            <details prop:open=move || sync_view.with(|v| v.running)>
                <summary>{move || sync_view.with(|v| {
                    let rows: usize = v.progress.values().map(|p| p.rows as usize).sum();
                    match (v.running, v.errors.len()) {
                        (true, _) => format!("Syncing… {} rows so far", format::count(rows)),
                        (false, 0) => format!("Synced: {} rows read", format::count(rows)),
                        (false, n) => format!("Sync finished with {} error(s); {} rows read", format::count(n), format::count(rows)),
                    }
                })}</summary>
                <For each=move || sync_view.get().progress.into_values() key=|p| format!("{}{}{}", p.account, p.stream, p.done) let:p>
                    {
                        let name = p.account.split_once('/')
                            .and_then(|(_, cred)| accounts.with_untracked(|a| AccountNames::of(a).account(cred).map(str::to_owned)));
                        let label = format!("{} · {}", name.unwrap_or_else(|| p.account.clone()), p.stream);
                        view! {
                            <div class="progress-row">
                                <span class="progress-label">{label.clone()}</span>
                                <progress aria-label=label max=p.total.unwrap_or(0).max(p.done).max(1).to_string() value=p.done.to_string()></progress>
                                <span class="muted">{format!("{} of {} · {} rows{}", format::count(p.done),
                                    p.total.map(format::count).unwrap_or("?".into()), format::count(p.rows as usize), eta(p.eta_ms))}</span>
                            </div>
                        }
                    }
                </For>
            </details>
            <Show when=move || sync_view.with(|v| v.elsewhere)>
                <p class="muted" role="status" data-testid="sync-elsewhere">"Another tab is syncing: this tab shows what it saves."</p>
            </Show>
            <For each=move || sync_view.get().errors key=|e| e.clone() let:e>
                <p class="error" data-testid="sync-error">{e}</p>
            </For>
        </section>
    }
}

/// The selected tab's screen.
#[component]
fn TabPanel() -> impl IntoView {
    let t = use_tracker();
    let TrackerState { tab, data, dash, settings, accounts, gains, .. } = t;
    let recompute = move || t.recompute();
    // the drill-down stays open while the dashboard is recomputed (a sync, another tab's change)
    let drill = drilldown::DrillDown::new(data, dash, gains).with_settings(settings);
    view! {
        <div class="tabpanel" role="tabpanel" id="tabpanel" tabindex="0"
            aria-labelledby=move || TABS.iter().find(|x| x.tab == tab.get()).map_or("", |x| x.id)>
            {move || match tab.get() {
                Tab::Dashboard => match dash.get() {
                    Some(d) if d.report.events > 0 || !d.positions.is_empty() => {
                        // the report's own currency: the figures are in it until the new currency's report is in
                        let currency = d.report.currency.clone();
                        let first_year = first_year(&d);
                        view! {
                            <dashboard::PeriodPicker settings first_year on_change=recompute />
                            <dashboard::DashboardView dashboard=d currency drill />
                        }
                    }.into_any(),
                    _ => view! { <EmptyDashboard /> }.into_any(),
                },
                Tab::Gains => {
                    // the dashboard's period, picked here too
                    let first_year = dash.with_untracked(|d| d.as_ref().and_then(first_year));
                    view! {
                        <dashboard::PeriodPicker settings first_year on_change=recompute />
                        <LaterScreen screen=Screen::Gains />
                    }
                }.into_any(),
                Tab::Accounts => view! { <accounts::Accounts accounts /> }.into_any(),
                Tab::Ledger => view! { <LaterScreen screen=Screen::Ledger /> }.into_any(),
                Tab::Settings => view! { <LaterScreen screen=Screen::Settings /> }.into_any(),
                Tab::Audit => view! { <LaterScreen screen=Screen::Audit /> }.into_any(),
            }}
        </div>
    }
}

/// A screen whose code comes in the bundle's `screens` module (`crate::split`): fetched the first time it is opened,
/// with a line while it comes and the error if it cannot.
#[component]
fn LaterScreen(screen: Screen) -> impl IntoView {
    view! {
        <Suspense fallback=|| view! { <p class="muted" data-testid="loading-screen">"Opening…"</p> }>
            // the page has one thread: the wrapper only tells Suspend so
            {Suspend::new(send_wrapper::SendWrapper::new(async move {
                match crate::split::screen(screen).await {
                    Ok(view) => view,
                    Err(e) => view! { <p class="error" role="alert" data-testid="load-error">{e.to_string()}</p> }.into_any(),
                }
            }))}
        </Suspense>
    }
}

/// One of the tracker's later screens, from the tracker's state in context (built by `crate::split`).
pub fn later_screen(screen: Screen) -> AnyView {
    let t = use_tracker();
    let TrackerState { data, dash, settings, gains, .. } = t;
    let recompute = move || t.recompute();
    match screen {
        Screen::Gains => view! { <gains::GainsTab data dash settings cache=gains /> }.into_any(),
        Screen::Ledger => view! { <ledger_view::LedgerView data dash on_change=recompute /> }.into_any(),
        Screen::Settings => view! { <settings::SettingsView settings on_change=recompute /> }.into_any(),
        Screen::Audit => view! { <audit::AuditScreen /> }.into_any(),
    }
}

/// The year of a dashboard's first day (the oldest year the period picker offers).
fn first_year(d: &Dashboard) -> Option<i32> {
    d.report.equity_curve.first().and_then(|p| p.date[..4].parse().ok())
}

/// The dashboard before there is anything to show: what to do first.
#[component]
fn EmptyDashboard() -> impl IntoView {
    let TrackerState { tab, accounts, .. } = use_tracker();
    view! {
        <section class="card" data-testid="dashboard-empty">
            <h2>"Your portfolio"</h2>
            <p>{move || if accounts.with(|a| a.is_empty()) {
                "Connect an exchange account with a read-only API key to see your portfolio."
            } else {
                "No history yet: press Sync now."
            }}</p>
            <button on:click=move |_| tab.set(Tab::Accounts)>"Accounts"</button>
        </section>
    }
}

/// A tab: which, its caption, its test id and its element id.
struct TabButton {
    tab: Tab,
    label: &'static str,
    testid: &'static str,
    id: &'static str,
}

/// The tabs, in order.
const TABS: [TabButton; 6] = [
    TabButton { tab: Tab::Dashboard, label: "Dashboard", testid: "tab-dashboard", id: "tab-dashboard" },
    TabButton { tab: Tab::Accounts, label: "Accounts", testid: "add-account", id: "tab-accounts" },
    TabButton { tab: Tab::Ledger, label: "Ledger", testid: "tab-ledger", id: "tab-ledger" },
    TabButton { tab: Tab::Gains, label: "Gains", testid: "tab-gains", id: "tab-gains" },
    TabButton { tab: Tab::Settings, label: "Settings", testid: "tab-settings", id: "tab-settings" },
    TabButton { tab: Tab::Audit, label: "Audit log", testid: "tab-audit", id: "tab-audit" },
];

/// Takes the text of a secret field (a passphrase, an API secret) and empties the field: the text lives on only in
/// the `Passphrase` or `Secret` the caller makes of it at once, never in a signal, and the page no longer holds it.
pub fn take_field(field: NodeRef<leptos::html::Input>) -> String {
    field
        .get_untracked()
        .map(|el| {
            let text = el.value();
            el.set_value("");
            text
        })
        .unwrap_or_default()
}

/// Moves the keyboard's focus to the element with this id, if it is on the page.
pub fn focus_id(id: &str) {
    use wasm_bindgen::JsCast;
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        let _ = el.focus();
    }
}
