//! Where the bundle splits. Built with the `split` feature (as `scripts/build-app` builds the app), each split
//! point here moves its code, and everything only it reaches, into a separate wasm module that the browser fetches
//! the first time it is needed (`wasm_split_helpers`, the mechanism behind Leptos' `#[lazy]`; the build splits the
//! module with `wasm-split-cli`). The first screens (create or unlock the vault, import a backup) then need only the
//! main module: the Leptos runtime, the vault, browser storage. The tracker (the dashboard and the accounts) and the
//! PnL engine come after, fetched while the passphrase is typed. The tracker's later screens (the Gains report, the
//! ledger with its transfer matching, the audit log, settings with the vault's keys and the exports) are a module of
//! their own, fetched the first time one of them is opened. A sync run (the sync engine, the venues' clients and
//! parsers, the price reads: what [`crate::sync::sync_all`] reaches) is another, fetched in the background once the
//! tracker is open; a sync that starts before it is here waits for it. A module that cannot be fetched is an error
//! where its code was needed ([`LoadFailed`]), never a blank page; nothing is lost, and the next use fetches it again.
//!
//! Without the feature (the wasm tests) the same functions run in one module. A split function takes and returns
//! owned values; between modules it is called through the C ABI, so its work comes back as a boxed future.

use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;
use sync_engine::Progress;

use crate::opened::Read;
use crate::session::SessionError;
use crate::sync::{Suspects, Synced};

/// Work whose code may live in another module of the bundle.
pub type Later<T> = Pin<Box<dyn Future<Output = T>>>;

/// A part of the app's code could not be fetched (offline, the relay restarted with another build). Nothing is
/// lost; trying again fetches it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadFailed;

impl std::error::Error for LoadFailed {}

impl std::fmt::Display for LoadFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "a part of the app's code could not be loaded; check the connection to the relay and reload the page",
        )
    }
}

#[cfg(feature = "split")]
impl From<leptos::wasm_split::SplitLoaderError> for LoadFailed {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        LoadFailed
    }
}

/// The tracker once the vault is unlocked: everything past the gate. Untracked, so that building it never
/// subscribes the caller to the signals it reads.
fn tracker_view() -> Later<AnyView> {
    Box::pin(async { untrack(|| view! { <crate::ui::Tracker /> }.into_any()) })
}

/// A later screen of the tracker ([`Screen`]), built under the tracker's context. Untracked, like the tracker.
fn screen_view(screen: Screen) -> Later<AnyView> {
    Box::pin(async move { untrack(|| crate::ui::later_screen(screen)) })
}

/// The tracker's screens that come in a module of their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    /// The realized-gains report.
    Gains,
    /// The ledger, with transfer matching and deposit costs.
    Ledger,
    /// Settings: the report, the sync, the vault's keys, the exports.
    Settings,
    /// The audit log.
    Audit,
}

/// A sync run of every account ([`crate::sync::sync_all`]), its progress told to `on_progress`, reading after it
/// what was sealed since `base`.
fn sync_run(
    on_progress: Box<dyn Fn(&Progress)>,
    base: Option<Read>,
    suspects: Suspects,
) -> Later<Result<Synced, SessionError>> {
    Box::pin(async move { crate::sync::sync_all(&*on_progress, base, suspects).await })
}

/// The engine worker's answer to one job message (decode a ledger chunk, compute a report).
fn engine_answer(msg: wasm_bindgen::JsValue) -> Result<Option<String>, String> {
    crate::worker::on_job_message(&msg)
}

#[cfg(feature = "split")]
mod points {
    use super::*;

    #[leptos::wasm_split::wasm_split(tracker, wasm_split_path = ::leptos::wasm_split, fallible,
        preload(#[doc(hidden)] preload_tracker))]
    pub fn tracker() -> Result<Later<AnyView>, LoadFailed> {
        Ok(tracker_view())
    }

    // One split function per screen (a split function's arguments cross the C ABI: none here), all in one module.
    #[leptos::wasm_split::wasm_split(screens, wasm_split_path = ::leptos::wasm_split, fallible)]
    pub fn gains_screen() -> Result<Later<AnyView>, LoadFailed> {
        Ok(screen_view(Screen::Gains))
    }

    #[leptos::wasm_split::wasm_split(screens, wasm_split_path = ::leptos::wasm_split, fallible)]
    pub fn ledger_screen() -> Result<Later<AnyView>, LoadFailed> {
        Ok(screen_view(Screen::Ledger))
    }

    #[leptos::wasm_split::wasm_split(screens, wasm_split_path = ::leptos::wasm_split, fallible)]
    pub fn settings_screen() -> Result<Later<AnyView>, LoadFailed> {
        Ok(screen_view(Screen::Settings))
    }

    #[leptos::wasm_split::wasm_split(screens, wasm_split_path = ::leptos::wasm_split, fallible)]
    pub fn audit_screen() -> Result<Later<AnyView>, LoadFailed> {
        Ok(screen_view(Screen::Audit))
    }

    #[leptos::wasm_split::wasm_split(sync, wasm_split_path = ::leptos::wasm_split, fallible,
        preload(#[doc(hidden)] preload_sync))]
    pub fn sync_all(
        on_progress: Box<dyn Fn(&Progress)>,
        base: Option<Read>,
        suspects: Suspects,
    ) -> Result<Later<Result<Synced, SessionError>>, LoadFailed> {
        Ok(sync_run(on_progress, base, suspects))
    }

    #[leptos::wasm_split::wasm_split(engine, wasm_split_path = ::leptos::wasm_split, fallible,
        preload(#[doc(hidden)] preload_engine))]
    pub fn engine_job(msg: wasm_bindgen::JsValue) -> Result<Result<Option<String>, String>, LoadFailed> {
        Ok(engine_answer(msg))
    }
}

/// The tracker's view, once its code is here.
pub async fn tracker() -> Result<AnyView, LoadFailed> {
    #[cfg(feature = "split")]
    let view = points::tracker().await?;
    #[cfg(not(feature = "split"))]
    let view = tracker_view();
    Ok(view.await)
}

/// A later screen's view, once its code is here.
pub async fn screen(screen: Screen) -> Result<AnyView, LoadFailed> {
    #[cfg(feature = "split")]
    let view = match screen {
        Screen::Gains => points::gains_screen().await?,
        Screen::Ledger => points::ledger_screen().await?,
        Screen::Settings => points::settings_screen().await?,
        Screen::Audit => points::audit_screen().await?,
    };
    #[cfg(not(feature = "split"))]
    let view = screen_view(screen);
    Ok(view.await)
}

/// A sync run of every account, once the sync's code is here ([`crate::sync::sync_all`]). A failure to fetch that
/// code is the run's error ([`SessionError::Load`]): nothing was read or changed, and the next run fetches it again.
pub async fn sync_all(
    on_progress: Box<dyn Fn(&Progress)>,
    base: Option<Read>,
    suspects: Suspects,
) -> Result<Synced, SessionError> {
    #[cfg(feature = "split")]
    let run = points::sync_all(on_progress, base, suspects).await?;
    #[cfg(not(feature = "split"))]
    let run = sync_run(on_progress, base, suspects);
    run.await
}

/// The engine's answer to a job message, once its code is here.
pub async fn engine_job(msg: wasm_bindgen::JsValue) -> Result<Result<Option<String>, String>, LoadFailed> {
    #[cfg(feature = "split")]
    return points::engine_job(msg).await;
    #[cfg(not(feature = "split"))]
    Ok(engine_answer(msg))
}

/// Starts fetching the tracker's code in the background, while the passphrase is typed.
pub fn preload_tracker() {
    #[cfg(feature = "split")]
    leptos::task::spawn_local(async {
        // a failure is retried when the tracker is opened, and reported there
        let _ = points::preload_tracker().await;
    });
}

/// Starts fetching the sync's code in the background, once the tracker is open (its first sync then need not wait
/// for it).
pub fn preload_sync() {
    #[cfg(feature = "split")]
    leptos::task::spawn_local(async {
        // a failure is retried by the next sync, and reported there
        let _ = points::preload_sync().await;
    });
}

/// Fetches the engine's code; the worker waits for it before it takes jobs.
pub async fn preload_engine() -> Result<(), LoadFailed> {
    #[cfg(feature = "split")]
    points::preload_engine().await?;
    Ok(())
}
