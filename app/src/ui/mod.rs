//! The app's screens. Components render state and send intents; the work is done by the library crates.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use sync_engine::Progress;

use crate::format;
use crate::records::{self, AccountMeta, AccountNames};
use crate::report::{self, Dashboard};
use crate::sync::{self, Data};

pub mod accounts;
pub mod audit;
pub mod charts;
pub mod dashboard;
pub mod gains;
pub mod gate;
pub mod keygen;
pub mod ledger_view;
pub mod relay_catalogue;
pub mod relay_ips;
pub mod settings;
pub mod theme;
pub mod warnings;

/// The tabs of the tracker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Totals, charts, breakdowns.
    Dashboard,
    /// The realized-gains report of the period.
    Gains,
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
    /// The last press found another tab syncing.
    pub elsewhere: bool,
    /// What started the running (or last) sync.
    pub started_by: Option<Trigger>,
    /// The sync timer's period in milliseconds (`None`: off).
    pub every_ms: Option<u64>,
}

/// What starts a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The user pressed Sync now.
    Button,
    /// The timer of the sync interval setting.
    Timer,
}

impl Trigger {
    /// `button` or `timer` (the sync panel's `data-started-by`).
    pub fn name(self) -> &'static str {
        match self {
            Trigger::Button => "button",
            Trigger::Timer => "timer",
        }
    }
}

/// The length of a minute for the sync timer: 60,000 ms, unless a browser test shortened it by setting the page's
/// `meetcryptTestMinuteMs` global (a test-only knob: at least 100 ms; it changes nothing but how often the timer
/// syncs, and is read each time the interval is set).
fn timer_minute_ms() -> u64 {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &"meetcryptTestMinuteMs".into()).ok())
        .and_then(|v| v.as_f64())
        .filter(|ms| ms.is_finite() && *ms >= 100.0 && *ms <= 60_000.0)
        .map_or(60_000, |ms| ms as u64)
}

/// The sync timer's period for an interval of `minutes` (0: no timer).
fn sync_period(minutes: u32) -> Option<std::time::Duration> {
    (minutes > 0).then(|| std::time::Duration::from_millis(u64::from(minutes) * timer_minute_ms()))
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
    by: Trigger,
) {
    if view.get_untracked().running || accounts.with_untracked(|a| a.is_empty()) {
        return;
    }
    view.update(|v| {
        v.running = true;
        v.started_by = Some(by);
        v.errors.clear();
        v.elsewhere = false;
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
                view.update(|v| {
                    v.errors = errors;
                    v.elsewhere = synced.elsewhere;
                });
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
    // a warning's button opens the tab where it is resolved (ui/warnings.rs)
    provide_context(warnings::OpenTab(set_tab));
    provide_context(warnings::LedgerFocus(RwSignal::new(None)));
    let (error, set_error) = signal(None::<String>);
    let accounts = RwSignal::new(records::accounts().unwrap_or_default());
    let data = RwSignal::new(None::<Data>);
    let dash = RwSignal::new(None::<Dashboard>);
    let sync_view = RwSignal::new(SyncView::default());
    let settings = RwSignal::new(records::settings().unwrap_or_default());
    let gains_cache: gains::GainsCache = RwSignal::new(None);
    // the user's auto-lock delay
    let idle = std::time::Duration::from_secs(60 * u64::from(settings.get_untracked().auto_lock_min.max(1)));
    let _ = crate::session::with(|s| s.vault().map(|v| v.set_idle_timeout(idle)));
    // the tracker is built at every unlock: its first sync is a full cycle
    sync::after_unlock();
    // At every unlock, under the vault's lock: a sealed credential, ledger or snapshot that no account references
    // is removed (here, not in the gate: the first screen's code stays small). Then what the vault holds is shown
    // at once: no sync is needed to see the last known state.
    spawn_local(async move {
        if let Err(e) = crate::session::transact(records::sweep_orphans).await {
            set_error.set(Some(e.to_string()));
        }
        // an audit log of an earlier version (one record) moves into chunks (docs/app-storage.md)
        if let Err(e) = crate::session::transact(crate::audit::migrate).await {
            set_error.set(Some(e.to_string()));
        }
        recompute(data, dash, set_error);
    });

    // Sync on a timer while the app is open. The timer follows the interval setting: a new interval (saved here or
    // in another tab) replaces the running timer at once; the tracker's cleanup clears it (a lock, another unlock).
    let interval_min = Memo::new(move |_| settings.with(|s| s.sync_interval_min));
    let timer = std::sync::Arc::new(std::sync::Mutex::new(None::<IntervalHandle>));
    let stop = {
        let timer = timer.clone();
        move || {
            if let Some(handle) = timer.lock().ok().and_then(|mut t| t.take()) {
                handle.clear();
            }
        }
    };
    Effect::new({
        let stop = stop.clone();
        move |_| {
            let minutes = interval_min.get();
            stop();
            let period = sync_period(minutes);
            sync_view.update(|v| v.every_ms = period.map(|p| p.as_millis() as u64));
            let Some(period) = period else { return };
            let tick = move || {
                if crate::session::with(|s| s.is_unlocked()).unwrap_or(false) {
                    start_sync(sync_view, accounts, data, dash, set_error, Trigger::Timer);
                }
            };
            match set_interval_with_handle(tick, period) {
                Ok(handle) => {
                    if let Ok(mut t) = timer.lock() {
                        *t = Some(handle);
                    }
                }
                Err(_) => set_error.set(Some("the sync timer could not be started: press Sync now".into())),
            }
        }
    });
    on_cleanup(stop);

    // another tab's change, read in from storage: the accounts, the settings and the dashboard follow
    let pending = std::rc::Rc::new(std::cell::Cell::new(false));
    let listener = crate::session::on_change(move |changed| {
        if changed.relocked {
            return;
        }
        if changed.touches(vault::RecordKind::Settings) {
            if let Ok(a) = records::accounts()
                && accounts.with_untracked(|now| *now != a)
            {
                accounts.set(a);
            }
            if let Ok(s) = records::settings()
                && settings.with_untracked(|now| *now != s)
            {
                settings.set(s);
            }
        }
        // one recompute for a burst of changes (another tab's sync saves a chunk at every checkpoint)
        if (changed.touches(vault::RecordKind::LedgerCache) || changed.touches(vault::RecordKind::Settings))
            && !pending.replace(true)
        {
            let pending = pending.clone();
            spawn_local(async move {
                crate::sleep_ms(300).await;
                pending.set(false);
                if crate::session::with(|s| s.is_unlocked()).unwrap_or(false) {
                    recompute(data, dash, set_error);
                }
            });
        }
    });
    on_cleanup(move || crate::session::off_change(listener));

    // an account renamed in the Accounts tab is renamed on the dashboard at once
    Effect::new(move |_| {
        let names = accounts.with(AccountNames::of);
        if dash.with_untracked(|d| d.as_ref().is_some_and(|d| d.names != names)) {
            dash.update(|d| {
                if let Some(d) = d {
                    d.names = names;
                    d.version = report::next_version();
                }
            });
        }
    });

    // the tab pattern (WAI-ARIA): one tab in the Tab order, the arrow keys, Home and End move between tabs and
    // show each one's panel
    let tablist = NodeRef::<leptos::html::Div>::new();
    let on_tab_key = move |ev: leptos::ev::KeyboardEvent| {
        let n = TABS.len();
        let i = TABS.iter().position(|t| t.tab == tab.get_untracked()).unwrap_or(0);
        let next = match ev.key().as_str() {
            "ArrowRight" => (i + 1) % n,
            "ArrowLeft" => (i + n - 1) % n,
            "Home" => 0,
            "End" => n - 1,
            _ => return,
        };
        ev.prevent_default();
        set_tab.set(TABS[next].tab);
        focus_id(TABS[next].id);
    };
    // the tracker replaces the form that unlocked it: the keyboard's focus goes to the selected tab
    Effect::new(move |_| {
        if tablist.get().is_some() {
            request_animation_frame(move || {
                focus_id(TABS.iter().find(|t| t.tab == tab.get_untracked()).map_or("", |t| t.id));
            });
        }
    });
    view! {
        <div class="tabbar">
            <div class="tabs" role="tablist" aria-label="Sections" node_ref=tablist on:keydown=on_tab_key>
                {TABS.iter().map(|t| {
                    let this = t.tab;
                    view! {
                        <button role="tab" type="button" id=t.id data-testid=t.testid aria-controls="tabpanel"
                            class=move || if tab.get() == this { "tab active" } else { "tab" }
                            aria-selected=move || (tab.get() == this).to_string()
                            tabindex=move || if tab.get() == this { "0" } else { "-1" }
                            on:click=move |_| set_tab.set(this)>
                            {t.label}
                        </button>
                    }
                }).collect_view()}
            </div>
            <div class="tools">
                <theme::ThemeToggle settings />
                <button class="sync" data-testid="sync-now" disabled=move || sync_view.with(|v| v.running) || accounts.with(|a| a.is_empty())
                    data-every-ms=move || sync_view.with(|v| v.every_ms.map_or("off".to_string(), |ms| ms.to_string()))
                    on:click=move |_| start_sync(sync_view, accounts, data, dash, set_error, Trigger::Button)>
                    {move || if sync_view.with(|v| v.running) { "Syncing…" } else { "Sync now" }}
                </button>
            </div>
        </div>
        <p class="error" role="alert">{move || error.get()}</p>
        <section class="card sync-panel" data-testid="sync-progress" aria-label="Sync" data-running=move || sync_view.with(|v| v.running.to_string())
            data-started-by=move || sync_view.with(|v| v.started_by.map(Trigger::name))
            class:hidden=move || sync_view.with(|v| !v.running && !v.elsewhere && v.progress.is_empty() && v.errors.is_empty())>
            // open while a sync runs; afterwards one line, which opens to the details
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
        <div class="tabpanel" role="tabpanel" id="tabpanel" tabindex="0"
            aria-labelledby=move || TABS.iter().find(|t| t.tab == tab.get()).map_or("", |t| t.id)>
            {move || match tab.get() {
                Tab::Dashboard => match dash.get() {
                    Some(d) if d.report.events > 0 || !d.positions.is_empty() => {
                        // the report's own currency: the figures are in it until the new currency's report is in
                        let currency = d.report.currency.clone();
                        let first_year = d.report.equity_curve.first().and_then(|p| p.date[..4].parse().ok());
                        view! {
                            <dashboard::PeriodPicker settings first_year
                                on_change=move || recompute(data, dash, set_error) />
                            <dashboard::DashboardView dashboard=d currency />
                        }
                    }.into_any(),
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
                Tab::Gains => {
                    // the dashboard's period, picked here too
                    let first_year = dash.with_untracked(|d| d.as_ref().and_then(|d| d.report.equity_curve.first().and_then(|p| p.date[..4].parse().ok())));
                    view! {
                        <dashboard::PeriodPicker settings first_year on_change=move || recompute(data, dash, set_error) />
                        <gains::GainsTab data dash settings cache=gains_cache />
                    }
                }.into_any(),
                Tab::Accounts => view! { <accounts::Accounts accounts /> }.into_any(),
                Tab::Ledger => view! { <ledger_view::LedgerView data dash on_change=move || recompute(data, dash, set_error) /> }.into_any(),
                Tab::Settings => view! { <settings::SettingsView settings on_change=move || recompute(data, dash, set_error) /> }.into_any(),
                Tab::Audit => view! { <audit::AuditScreen /> }.into_any(),
            }}
        </div>
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
