//! The app's screens. Components render state and send intents; the work is done by the library crates.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use sync_engine::Progress;

use crate::records::{self, AccountMeta};
use crate::report::{self, Dashboard};
use crate::sync::{self, Data};

pub mod accounts;
pub mod dashboard;
pub mod gate;
pub mod ledger_view;
pub mod settings;

/// The tabs of the tracker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Totals, charts, breakdowns.
    Dashboard,
    /// Connected accounts.
    Accounts,
    /// Every event.
    Ledger,
    /// Settings, export and import.
    Settings,
    /// Every signed request sent.
    Audit,
}

/// Sync progress per account and stream.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncView {
    /// Whether a sync runs.
    pub running: bool,
    /// Latest progress per account.
    pub progress: BTreeMap<String, Progress>,
    /// The last sync's errors, in words.
    pub errors: Vec<String>,
}

thread_local! {
    /// The latest recompute: an older one that finishes later does not overwrite it.
    static GENERATION: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// A new dashboard generation: whatever an older one computes is not shown.
fn next_generation() -> u64 {
    GENERATION.with(|g| {
        g.set(g.get() + 1);
        g.get()
    })
}

/// Recomputes the dashboard from the vault's data; the report is computed in the engine worker.
fn recompute(data: RwSignal<Option<Data>>, dash: RwSignal<Option<Dashboard>>, error: WriteSignal<Option<String>>) {
    let generation = next_generation();
    spawn_local(async move {
        let settings = records::settings().unwrap_or_default();
        match report::load_and_compute(&settings).await {
            Ok((d, dashboard)) => {
                if GENERATION.with(|g| g.get()) == generation {
                    dash.set(Some(dashboard));
                    data.set(Some(d));
                }
            }
            Err(e) => error.set(Some(e.to_string())),
        }
    });
}

/// Starts a sync of every account, unless one runs.
fn start_sync(
    view: RwSignal<SyncView>,
    accounts: RwSignal<BTreeMap<String, AccountMeta>>,
    data: RwSignal<Option<Data>>,
    dash: RwSignal<Option<Dashboard>>,
    set_error: WriteSignal<Option<String>>,
) {
    if view.get_untracked().running || accounts.with_untracked(|a| a.is_empty()) {
        return;
    }
    view.update(|v| {
        v.running = true;
        v.errors.clear();
    });
    spawn_local(async move {
        let on_progress = move |p: &Progress| {
            let p = p.clone();
            view.update(|v| {
                v.progress.insert(p.account.clone(), p);
            });
        };
        let synced = match sync::sync_all(&on_progress).await {
            Ok(synced) => {
                let errors: Vec<String> = synced.outcomes.iter().filter_map(|(_, o)| o.error.clone()).collect();
                view.update(|v| v.errors = errors);
                synced.view
            }
            Err(e) => {
                view.update(|v| v.errors = vec![e.to_string()]);
                None
            }
        };
        if let Ok(a) = records::accounts() {
            accounts.set(a);
        }
        match synced {
            // the sync computed the dashboard from its own read of the ledger; a recompute still running is older
            Some((d, dashboard)) => {
                next_generation();
                dash.set(Some(dashboard));
                data.set(Some(d));
            }
            None => recompute(data, dash, set_error),
        }
        view.update(|v| v.running = false);
    });
}

fn eta(ms: Option<u64>) -> String {
    match ms {
        None => String::new(),
        Some(ms) if ms < 60_000 => format!(", about {} s left", ms.div_ceil(1000)),
        Some(ms) => format!(", about {} min left", ms.div_ceil(60_000)),
    }
}

/// The tracker once the vault is unlocked.
#[component]
pub fn Tracker() -> impl IntoView {
    let (tab, set_tab) = signal(Tab::Dashboard);
    let (error, set_error) = signal(None::<String>);
    let accounts = RwSignal::new(records::accounts().unwrap_or_default());
    let data = RwSignal::new(None::<Data>);
    let dash = RwSignal::new(None::<Dashboard>);
    let sync_view = RwSignal::new(SyncView::default());
    let settings = RwSignal::new(records::settings().unwrap_or_default());
    // the user's auto-lock delay
    let idle = std::time::Duration::from_secs(60 * u64::from(settings.get_untracked().auto_lock_min.max(1)));
    let _ = crate::session::with(|s| s.vault().map(|v| v.set_idle_timeout(idle)));
    // the tracker is built at every unlock: its first sync is a full cycle
    sync::after_unlock();
    // Show what the vault holds at once: no sync is needed to see the last known state.
    recompute(data, dash, set_error);

    // Sync on a timer while the app is open.
    let interval = settings.get_untracked().sync_interval_min;
    if interval > 0 {
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;
        let tick = Closure::<dyn Fn()>::new(move || {
            if crate::session::with(|s| s.is_unlocked()).unwrap_or(false) {
                start_sync(sync_view, accounts, data, dash, set_error);
            }
        });
        if let Some(w) = web_sys::window()
            && let Ok(handle) = w.set_interval_with_callback_and_timeout_and_arguments_0(
                tick.as_ref().unchecked_ref(),
                (interval as i32).saturating_mul(60_000),
            )
        {
            // the tracker is rebuilt at every unlock: its timer goes with it
            on_cleanup(move || {
                if let Some(w) = web_sys::window() {
                    w.clear_interval_with_handle(handle);
                }
            });
        }
        tick.forget();
    }

    let tab_button = move |t: Tab, label: &'static str, testid: &'static str| {
        view! {
            <button role="tab" class=move || if tab.get() == t { "tab active" } else { "tab" }
                aria-selected=move || (tab.get() == t).to_string() data-testid=testid on:click=move |_| set_tab.set(t)>
                {label}
            </button>
        }
    };
    let currency = move || settings.with(|s| s.currency.clone());
    view! {
        <nav class="tabs" role="tablist">
            {tab_button(Tab::Dashboard, "Dashboard", "tab-dashboard")}
            {tab_button(Tab::Accounts, "Accounts", "add-account")}
            {tab_button(Tab::Ledger, "Ledger", "tab-ledger")}
            {tab_button(Tab::Settings, "Settings", "tab-settings")}
            {tab_button(Tab::Audit, "Audit log", "tab-audit")}
            <button class="sync" data-testid="sync-now" disabled=move || sync_view.with(|v| v.running) || accounts.with(|a| a.is_empty())
                on:click=move |_| start_sync(sync_view, accounts, data, dash, set_error)>
                {move || if sync_view.with(|v| v.running) { "Syncing…" } else { "Sync now" }}
            </button>
        </nav>
        <p class="error" role="alert">{move || error.get()}</p>
        <section class="card sync-panel" data-testid="sync-progress" data-running=move || sync_view.with(|v| v.running.to_string())
            class:hidden=move || sync_view.with(|v| !v.running && v.progress.is_empty() && v.errors.is_empty())>
            <For each=move || sync_view.get().progress.into_values() key=|p| format!("{}{}{}", p.account, p.stream, p.done) let:p>
                <div class="progress-row">
                    <span class="progress-label">{
                        let name = p.account.split_once('/').and_then(|(_, cred)| accounts.with_untracked(|a| a.get(cred).map(|m| m.label.clone())));
                        format!("{} · {}", name.unwrap_or_else(|| p.account.clone()), p.stream)
                    }</span>
                    <progress max=p.total.unwrap_or(0).max(p.done).max(1).to_string() value=p.done.to_string()></progress>
                    <span class="muted">{format!("{} of {}{} · {} rows{}", p.done, p.total.map(|t| t.to_string()).unwrap_or("?".into()), "", p.rows, eta(p.eta_ms))}</span>
                </div>
            </For>
            <For each=move || sync_view.get().errors key=|e| e.clone() let:e>
                <p class="error" data-testid="sync-error">{e}</p>
            </For>
        </section>
        {move || match tab.get() {
            Tab::Dashboard => match dash.get() {
                Some(d) if d.report.events > 0 || !d.positions.is_empty() => view! { <dashboard::DashboardView dashboard=d currency=currency() /> }.into_any(),
                _ => view! {
                    <section class="card" data-testid="dashboard-empty">
                        <h2>"Your portfolio"</h2>
                        <p>{move || if accounts.with(|a| a.is_empty()) {
                            "Connect an exchange account with a read-only API key to see your portfolio."
                        } else {
                            "No history yet: press Sync now."
                        }}</p>
                        <button on:click=move |_| set_tab.set(Tab::Accounts)>"Accounts"</button>
                    </section>
                }.into_any(),
            },
            Tab::Accounts => view! { <accounts::Accounts accounts /> }.into_any(),
            Tab::Ledger => view! { <ledger_view::LedgerView data dash on_change=move || recompute(data, dash, set_error) /> }.into_any(),
            Tab::Settings => view! { <settings::SettingsView settings on_change=move || recompute(data, dash, set_error) /> }.into_any(),
            Tab::Audit => view! { <settings::AuditView /> }.into_any(),
        }}
    }
}
