//! The unlocked tracker's state and what it does on its own: the data and dashboard it shows, the accounts and
//! settings, the sync and its timer, and what another tab changed. One [`TrackerState`], made when the vault is
//! unlocked and handed to the screens through Leptos context ([`use_tracker`]); the screens (`ui/`) read it and
//! call its intents ([`TrackerState::recompute`], [`TrackerState::start_sync`]). Nothing here knows a screen.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos::task::spawn_local;
use sync_engine::Progress;

use crate::records::{self, AccountMeta, AccountNames, AppSettings};
use crate::report::{self, Dashboard};
use crate::sync::{self, Data};

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

/// The Gains report of one dashboard version ([`Dashboard::version`]), kept across visits to its tab: it is
/// computed again only when the dashboard changed.
pub type GainsCache = RwSignal<Option<(u64, crate::gains::Gains)>>;

/// The unlocked tracker's state: signals, so it is `Copy` and every screen and task holds the same.
#[derive(Clone, Copy)]
pub struct TrackerState {
    /// The tab shown.
    pub tab: RwSignal<Tab>,
    /// The connected accounts' metadata.
    pub accounts: RwSignal<BTreeMap<String, AccountMeta>>,
    /// The synced data the dashboard was computed from.
    pub data: RwSignal<Option<Data>>,
    /// The dashboard of `data` under `settings`.
    pub dash: RwSignal<Option<Dashboard>>,
    /// The settings.
    pub settings: RwSignal<AppSettings>,
    /// The sync's progress and outcome.
    pub sync_view: RwSignal<SyncView>,
    /// The last error of the tracker's own work (not a screen's form), in words.
    pub error: RwSignal<Option<String>>,
    /// The Gains tab's report ([`GainsCache`]).
    pub gains: GainsCache,
    /// The latest dashboard computation asked for: an older one that finishes later is not shown.
    latest: StoredValue<u64>,
}

/// The tracker's state, from context (inside [`crate::ui::Tracker`]).
pub fn use_tracker() -> TrackerState {
    expect_context::<TrackerState>()
}

impl TrackerState {
    /// The state of a tracker just unlocked, read from the vault (nothing computed yet: [`TrackerState::open`] starts its work).
    /// A record that cannot be read (damaged, or written by a later version) is said, never silently replaced:
    /// the error names it, and the defaults stand in until the user saves again.
    pub fn unlocked() -> TrackerState {
        let mut unread = Vec::new();
        let accounts = records::accounts().unwrap_or_else(|e| {
            unread.push(format!("The account list could not be read ({e})."));
            BTreeMap::new()
        });
        let settings = records::settings().unwrap_or_else(|e| {
            unread.push(format!("The settings could not be read ({e}): the defaults stand in until you save them."));
            AppSettings::default()
        });
        TrackerState {
            tab: RwSignal::new(Tab::Dashboard),
            accounts: RwSignal::new(accounts),
            data: RwSignal::new(None),
            dash: RwSignal::new(None),
            settings: RwSignal::new(settings),
            sync_view: RwSignal::new(SyncView::default()),
            error: RwSignal::new((!unread.is_empty()).then(|| unread.join(" "))),
            gains: RwSignal::new(None),
            latest: StoredValue::new(0),
        }
    }

    /// What follows an unlock: the user's auto-lock delay, a full cycle at the first sync, orphaned records swept
    /// and an older audit log migrated (under the vault's lock), then what the vault holds shown at once (no sync
    /// is needed to see the last known state); and from then on the sync timer, another tab's changes and account
    /// renames followed.
    pub fn open(self) {
        let idle = self.settings.with_untracked(|s| s.auto_lock_min.max(1));
        let idle = std::time::Duration::from_secs(60 * u64::from(idle));
        let _ = crate::session::with(|s| s.vault().map(|v| v.set_idle_timeout(idle)));
        sync::after_unlock();
        spawn_local(async move {
            // here, not in the gate: the first screen's code stays small
            if let Err(e) = crate::session::transact(records::sweep_orphans).await {
                self.error.set(Some(e.to_string()));
            }
            // an audit log of an earlier version (one record) moves into chunks (docs/app-storage.md)
            if let Err(e) = crate::session::transact(crate::audit::migrate).await {
                self.error.set(Some(e.to_string()));
            }
            self.recompute();
        });
        // the sync's code, fetched before the first sync needs it
        crate::split::preload_sync();
        self.sync_on_timer();
        self.follow_other_tabs();
        self.follow_renames();
    }

    /// A new dashboard computation: whatever an older one computes is not shown (0 once the tracker is gone, a
    /// lock: then nothing is).
    fn next_computation(self) -> u64 {
        self.latest
            .try_update_value(|n| {
                *n += 1;
                *n
            })
            .unwrap_or(0)
    }

    /// Shows a dashboard and the data it was computed from.
    fn show(self, data: Data, dashboard: Dashboard) {
        self.dash.set(Some(dashboard));
        self.data.set(Some(data));
    }

    /// Shows a dashboard and the ledger read again after a sync: the new events join the ledger shown when they
    /// follow its read; otherwise (another computation replaced it meanwhile) the whole is recomputed.
    fn show_opened(self, opened: sync::Opened, dashboard: Dashboard) {
        match opened {
            sync::Opened::Whole(data) => self.show(data, dashboard),
            sync::Opened::More { more, rest } => {
                let joined = self.data.try_update(|d| d.as_mut().is_some_and(|d| d.join(more, rest))).unwrap_or(false);
                if joined {
                    self.dash.set(Some(dashboard));
                } else {
                    self.recompute();
                }
            }
        }
    }

    /// Recomputes the dashboard from the vault's data, the report in the engine worker: what was sealed since the
    /// data shown (another tab's sync) joins it when nothing read before changed and the worker keeps its ledger
    /// with the same settings; otherwise the whole ledger is read again ([`report::reload`]).
    pub fn recompute(self) {
        let mine = self.next_computation();
        spawn_local(async move {
            let settings = records::settings().unwrap_or_else(|e| {
                self.error.set(Some(format!("The settings could not be read ({e}): the report uses the defaults.")));
                AppSettings::default()
            });
            let base = self.data.with_untracked(|d| d.as_ref().map(|d| d.read.clone()));
            match report::reload(base.as_ref(), &settings).await {
                Ok((opened, dashboard)) if mine != 0 && self.latest.try_get_value() == Some(mine) => {
                    self.show_opened(opened, dashboard);
                }
                Ok(_) => {}
                Err(e) => self.error.set(Some(e.to_string())),
            }
        });
    }

    /// Starts a sync of every account, unless one runs or there is none.
    pub fn start_sync(self, by: Trigger) {
        if self.sync_view.get_untracked().running || self.accounts.with_untracked(BTreeMap::is_empty) {
            return;
        }
        self.sync_view.update(|v| {
            v.running = true;
            v.started_by = Some(by);
            v.errors.clear();
            v.elsewhere = false;
        });
        spawn_local(async move {
            let on_progress = move |p: &Progress| {
                let p = p.clone();
                self.sync_view.update(|v| {
                    v.progress.insert(p.account.clone(), p);
                });
            };
            let base = self.data.with_untracked(|d| d.as_ref().map(|d| d.read.clone()));
            // the spot assets the ledger shown does not explain: where a pair the venue no longer lists may be
            let suspects = crate::sync::suspects(self.data).await;
            let synced = match crate::split::sync_all(Box::new(on_progress), base, suspects).await {
                Ok(synced) => {
                    let errors: Vec<String> = synced.outcomes.iter().filter_map(|(_, o)| o.error.clone()).collect();
                    self.sync_view.update(|v| {
                        v.errors = errors;
                        v.elsewhere = synced.elsewhere;
                    });
                    synced.view
                }
                Err(e) => {
                    self.sync_view.update(|v| v.errors = vec![e.to_string()]);
                    None
                }
            };
            if let Ok(a) = records::accounts() {
                self.accounts.set(a);
            }
            match synced {
                // the sync computed the dashboard from its own read of the ledger; a recompute still running is
                // older
                Some((opened, dashboard)) => {
                    self.next_computation();
                    self.show_opened(opened, dashboard);
                }
                None => self.recompute(),
            }
            self.sync_view.update(|v| v.running = false);
        });
    }

    /// Syncs on a timer while the app is open. The timer follows the interval setting: a new interval (saved here
    /// or in another tab) replaces the running timer at once; the tracker's cleanup clears it (a lock, another
    /// unlock).
    fn sync_on_timer(self) {
        let interval_min = Memo::new(move |_| self.settings.with(|s| s.sync_interval_min));
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
                self.sync_view.update(|v| v.every_ms = period.map(|p| p.as_millis() as u64));
                let Some(period) = period else { return };
                let tick = move || {
                    if crate::session::with(|s| s.is_unlocked()).unwrap_or(false) {
                        self.start_sync(Trigger::Timer);
                    }
                };
                match set_interval_with_handle(tick, period) {
                    Ok(handle) => {
                        if let Ok(mut t) = timer.lock() {
                            *t = Some(handle);
                        }
                    }
                    Err(_) => self.error.set(Some("the sync timer could not be started: press Sync now".into())),
                }
            }
        });
        on_cleanup(stop);
    }

    /// Another tab's change, read in from storage: the accounts, the settings and the dashboard follow (one
    /// recompute for a burst of changes: another tab's sync saves a chunk at every checkpoint).
    fn follow_other_tabs(self) {
        let pending = std::rc::Rc::new(std::cell::Cell::new(false));
        let listener = crate::session::on_change(move |changed| {
            if changed.relocked {
                return;
            }
            if changed.touches(vault::RecordKind::Settings) {
                if let Ok(a) = records::accounts()
                    && self.accounts.with_untracked(|now| *now != a)
                {
                    self.accounts.set(a);
                }
                if let Ok(s) = records::settings()
                    && self.settings.with_untracked(|now| *now != s)
                {
                    self.settings.set(s);
                }
            }
            if (changed.touches(vault::RecordKind::LedgerCache) || changed.touches(vault::RecordKind::Settings))
                && !pending.replace(true)
            {
                let pending = pending.clone();
                spawn_local(async move {
                    crate::sleep_ms(300).await;
                    pending.set(false);
                    if crate::session::with(|s| s.is_unlocked()).unwrap_or(false) {
                        self.recompute();
                    }
                });
            }
        });
        on_cleanup(move || crate::session::off_change(listener));
    }

    /// An account renamed in the Accounts tab is renamed on the dashboard at once (a new dashboard version).
    fn follow_renames(self) {
        Effect::new(move |_| {
            let names = self.accounts.with(AccountNames::of);
            if self.dash.with_untracked(|d| d.as_ref().is_some_and(|d| d.names != names)) {
                self.dash.update(|d| {
                    if let Some(d) = d {
                        d.names = names;
                        d.version = report::next_version();
                    }
                });
            }
        });
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
