//! Many tabs, one vault: the browser's Web Locks (one writer at a time across every tab of the origin) and a
//! BroadcastChannel (every other tab is told of each change). See docs/app-storage.md for the rules built on them.

use std::cell::RefCell;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// The lock held around every read-modify-write of the vault's objects in IndexedDB.
pub const VAULT_LOCK: &str = "meetcrypt-vault";
/// The lock a sync holds from start to end: one sync at a time across the tabs.
pub const SYNC_LOCK: &str = "meetcrypt-sync";
/// The channel that announces each committed change.
const CHANNEL: &str = "meetcrypt-vault";

/// A held lock; dropping it releases it (the browser also releases it when the tab closes).
pub struct Held {
    release: Option<Function>,
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            let _ = release.call0(&JsValue::NULL);
        }
    }
}

/// Takes the exclusive lock `name`, waiting for it; `if_available`: `None` at once when another holder has it. A
/// browser without Web Locks (none the app supports) gets a lock that guards nothing.
pub async fn acquire(name: &str, if_available: bool) -> Option<Held> {
    let Some(locks) = web_sys::window()
        .map(|w| JsValue::from(w.navigator()))
        .and_then(|n| Reflect::get(&n, &"locks".into()).ok())
        .filter(|l| !l.is_undefined() && !l.is_null())
    else {
        return Some(Held { release: None });
    };
    let Some(request) = Reflect::get(&locks, &"request".into()).ok().and_then(|r| r.dyn_into::<Function>().ok()) else {
        return Some(Held { release: None });
    };
    let mut release = None;
    let held = Promise::new(&mut |resolve, _| release = Some(resolve));
    let mut granted = None;
    let acquired = Promise::new(&mut |resolve, _| granted = Some(resolve));
    let granted = granted.expect("the promise runs its executor at once");
    // the browser calls back with the lock (null when `ifAvailable` found it taken) and holds it until the
    // returned promise settles
    let callback = Closure::once_into_js(move |lock: JsValue| -> JsValue {
        let got = !lock.is_null();
        let _ = granted.call1(&JsValue::NULL, &JsValue::from_bool(got));
        if got { held.into() } else { JsValue::UNDEFINED }
    });
    let options = Object::new();
    let _ = Reflect::set(&options, &"mode".into(), &"exclusive".into());
    if if_available {
        let _ = Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
    }
    if let Ok(p) = request.call3(&locks, &name.into(), &options, &callback)
        && let Ok(p) = p.dyn_into::<Promise>()
    {
        // the request's own promise settles on release: nothing to wait for, nothing to report
        IGNORE.with(|ignore| {
            let _ = p.catch(ignore);
        });
    }
    let got = JsFuture::from(acquired).await.ok().and_then(|v| v.as_bool()).unwrap_or(false);
    got.then_some(Held { release })
}

/// What a tab announces after it committed: the new version of the stored vault, the one it was based on, and the
/// keys of the objects written. Names of objects and a counter: no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The stored version after the change.
    pub version: u64,
    /// The stored version the change was made on.
    pub previous: u64,
    /// The IndexedDB keys put or deleted.
    pub keys: Vec<String>,
}

impl Change {
    /// `VERSION PREVIOUS`, then a key a line (a store key has no line break). Plain text: no JSON code in the
    /// first screen's module.
    pub fn encode(&self) -> String {
        let mut out = format!("{} {}", self.version, self.previous);
        for k in &self.keys {
            out.push('\n');
            out.push_str(k);
        }
        out
    }

    /// Inverse of [`Change::encode`].
    pub fn decode(text: &str) -> Option<Change> {
        let mut lines = text.split('\n');
        let (version, previous) = lines.next()?.split_once(' ')?;
        Some(Change {
            version: version.parse().ok()?,
            previous: previous.parse().ok()?,
            keys: lines.map(str::to_owned).collect(),
        })
    }
}

thread_local! {
    static IGNORE: Closure<dyn FnMut(JsValue)> = Closure::new(|_: JsValue| {});
    static CHANNEL_OPEN: RefCell<Option<web_sys::BroadcastChannel>> = const { RefCell::new(None) };
}

fn channel() -> Option<web_sys::BroadcastChannel> {
    CHANNEL_OPEN.with(|c| {
        if c.borrow().is_none() {
            *c.borrow_mut() = web_sys::BroadcastChannel::new(CHANNEL).ok();
        }
        c.borrow().clone()
    })
}

/// Tells the other tabs of a committed change.
pub fn announce(change: &Change) {
    if let Some(ch) = channel() {
        let _ = ch.post_message(&JsValue::from_str(&change.encode()));
    }
}

/// Calls `on_change` with every change another tab announces (the tab's own messages never come back to it).
pub fn listen(on_change: impl Fn(Change) + 'static) {
    let Some(ch) = channel() else { return };
    let handler = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
        if let Some(change) = ev.data().as_string().and_then(|t| Change::decode(&t)) {
            on_change(change);
        }
    });
    ch.set_onmessage(Some(handler.as_ref().unchecked_ref()));
    // listened to for the page's whole life: nothing to remove it from, so the closure is never dropped
    handler.forget();
}
