//! The Meetcrypt app: Leptos components that render state and send intents. Logic lives in the library crates
//! (vault, venues, sync, ledger, pnl); this crate is the browser edge: IndexedDB, fetch, timers and the UI.
#![deny(missing_docs)]

use leptos::prelude::*;
use leptos::task::spawn_local;

pub mod accounts;
pub mod audit;
pub mod format;
pub mod gains;
pub mod idb;
pub mod imports;
pub mod opened;
pub mod prices;
pub mod records;
pub mod relay;
pub mod relay_ips;
pub mod report;
pub mod session;
pub mod split;
pub mod strength;
pub mod sync;
pub mod tabs;
pub mod tracker;
pub mod ui;
pub mod warnings;
pub mod worker;

/// Where the app is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Opening browser storage.
    Loading,
    /// Browser storage could not be opened.
    StorageError,
    /// No vault yet.
    FirstRun,
    /// A vault exists, locked.
    Locked,
    /// Unlocked: the tracker.
    Unlocked,
}

/// Milliseconds since the page loaded, as a duration (the vault's idle clock).
pub fn now() -> std::time::Duration {
    let ms = web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or(0.0);
    std::time::Duration::from_micros((ms * 1000.0) as u64)
}

/// Waits `ms` milliseconds on a browser timer, letting the page run (paint, handle input) meanwhile.
pub async fn sleep_ms(ms: u64) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let ms = ms.min(i32::MAX as u64) as i32;
        let _ = web_sys::window().unwrap().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Lets the browser run before continuing: a zero-delay timer.
pub async fn next_tick() {
    sleep_ms(0).await;
}

/// Locks the vault after the idle timeout: user activity touches the vault's idle clock, a timer checks it.
fn install_auto_lock(set_phase: WriteSignal<Phase>) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let window = web_sys::window().unwrap();
    let touch = Closure::<dyn Fn()>::new(|| {
        let _ = session::with(|s| {
            if let Ok(v) = s.vault() {
                v.touch(now());
            }
        });
    });
    for event in ["pointerdown", "keydown", "wheel", "touchstart"] {
        let _ = window.add_event_listener_with_callback(event, touch.as_ref().unchecked_ref());
    }
    // the page's activity, for its whole life (the vault locks when it stops): never removed, never dropped
    touch.forget();
    let check = Closure::<dyn Fn()>::new(move || {
        let locked = session::with(|s| s.vault().map(|v| v.lock_if_idle(now())).unwrap_or(false)).unwrap_or(false);
        if locked {
            set_phase.set(Phase::Locked);
        }
    });
    let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(check.as_ref().unchecked_ref(), 5_000);
    check.forget();
}

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    let (phase, set_phase) = signal(Phase::Loading);
    let (load_error, set_load_error) = signal(None::<String>);
    spawn_local(async move {
        match session::load(session::DATABASE).await {
            Ok(session::Start::FirstRun) => set_phase.set(Phase::FirstRun),
            Ok(session::Start::Locked) => set_phase.set(Phase::Locked),
            Err(e) => {
                set_load_error.set(Some(e.to_string()));
                set_phase.set(Phase::StorageError);
            }
        }
        // the first screen is on the page: a mark for the load-time figure (tests/e2e/tests/browser.rs)
        if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
            let _ = p.mark("meetcrypt:first-screen");
        }
    });
    install_auto_lock(set_phase);
    // another tab made the vault, or changed its passphrase or data keys: this tab asks for the passphrase
    let listener = session::on_change(move |changed| {
        let phase_now = phase.get_untracked();
        let has_vault = session::with(|s| s.has_vault()).unwrap_or(false);
        if (changed.relocked && phase_now == Phase::Unlocked) || (phase_now == Phase::FirstRun && has_vault) {
            set_phase.set(Phase::Locked);
        }
    });
    on_cleanup(move || session::off_change(listener));
    let lock = move |_| {
        let _ = session::with(|s| s.lock());
        set_phase.set(Phase::Locked);
    };
    view! {
        <main class="shell" data-testid="app">
            <header class="topbar">
                <h1 class="brand">"Meetcrypt"</h1>
                <p class="tagline">"Read-only portfolio and PnL. Your keys never leave this browser."</p>
                <Show when=move || phase.get() == Phase::Unlocked>
                    <button class="secondary" data-testid="lock" on:click=lock>"Lock"</button>
                </Show>
            </header>
            <ui::gate::OutdatedNotice />
            {move || match phase.get() {
                Phase::Loading => view! { <p class="muted" data-testid="loading">"Opening browser storage…"</p> }.into_any(),
                Phase::StorageError => view! {
                    <section class="card" data-testid="storage-error">
                        <h2>"Browser storage is unavailable"</h2>
                        <p class="error">{move || load_error.get()}</p>
                        <p>"Meetcrypt keeps your encrypted vault in IndexedDB. Private windows and some settings block it."</p>
                    </section>
                }.into_any(),
                Phase::FirstRun => view! { <ui::gate::CreateVault set_phase /> }.into_any(),
                Phase::Locked => view! { <ui::gate::Unlock set_phase /> }.into_any(),
                Phase::Unlocked => view! {
                    <Suspense fallback=|| view! { <p class="muted" data-testid="loading">"Opening the tracker…"</p> }>
                        // the page has one thread: the wrapper only tells Suspend so
                        {Suspend::new(send_wrapper::SendWrapper::new(async move {
                            match split::tracker().await {
                                Ok(tracker) => tracker,
                                Err(e) => view! { <p class="error" role="alert" data-testid="load-error">{e.to_string()}</p> }.into_any(),
                            }
                        }))}
                    </Suspense>
                }.into_any(),
            }}
        </main>
    }
}
