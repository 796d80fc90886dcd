//! The setup guide's "Relay IPs to allow-list": only a list the relay's operator signed and this app verified
//! (`crate::relay_ips`); otherwise the reason, as an error, and no IP (docs/relay.md, "The signed IP list").

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::relay_ips::{self, VerifiedIps};

/// The relay's signed IP list, fetched and verified: `None` until then, then the IPs or why there are none. Read
/// into a plain signal, not a resource: a resource read would suspend the Suspense around the whole tracker
/// (lib.rs), which takes the page out and puts it back, and the keyboard's focus with it.
pub fn fetch_signed_ips() -> RwSignal<Option<Result<VerifiedIps, String>>> {
    let state = RwSignal::new(None);
    spawn_local(async move { state.set(Some(relay_ips::verified_ips().await.map_err(|e| e.to_string()))) });
    state
}

/// The verified egress IPs with a copy button, or why there are none.
#[component]
pub fn SignedRelayIps(
    /// The list, from [`fetch_signed_ips`].
    state: RwSignal<Option<Result<VerifiedIps, String>>>,
) -> impl IntoView {
    let (copied, set_copied) = signal(false);
    let copy = move |_| {
        let text = state.with(|s| match s {
            Some(Ok(v)) => v.ips.join(" "),
            _ => String::new(),
        });
        if let Some(w) = web_sys::window() {
            let _ = w.navigator().clipboard().write_text(&text);
            set_copied.set(true);
        }
    };
    view! {
        <p>"Relay IPs to allow-list:"</p>
        {move || match state.get() {
            None => view! { <p class="muted" data-testid="relay-ips-checking">"Checking the relay's signed IP list…"</p> }.into_any(),
            Some(Ok(v)) => view! {
                <p class="ips" data-testid="relay-ips">{v.ips.join(", ")}</p>
                <p class="hint" data-testid="relay-ips-verified">
                    {format!("Signed by the relay's operator (key {}…, {}), list {}, valid until {}.", v.key, v.key_source, v.serial, v.valid_until)}
                </p>
                <button type="button" class="secondary" data-testid="copy-ips" on:click=copy>
                    {move || if copied.get() { "Copied" } else { "Copy IPs" }}
                </button>
            }.into_any(),
            Some(Err(e)) => view! { <p class="error" role="alert" data-testid="relay-ips-error">{e}</p> }.into_any(),
        }}
    }
}

/// Settings: the relay operator's public key the app checks the IP list with. A key configured here replaces the
/// built-in one (for a relay run by another operator); cleared, the built-in one applies again.
#[component]
pub fn OperatorKeySetting() -> impl IntoView {
    let current = RwSignal::new(relay_ips::configured_key().ok().flatten());
    let (msg, set_msg) = signal(None::<String>);
    let (err, set_err) = signal(None::<String>);
    let field = NodeRef::<leptos::html::Input>::new();
    let store = move |key: Option<String>| {
        set_msg.set(None);
        set_err.set(None);
        spawn_local(async move {
            match relay_ips::set_configured_key(key).await {
                Ok(()) => {
                    let now = relay_ips::configured_key().ok().flatten();
                    set_msg.set(Some(match &now {
                        Some(k) => format!("Saved: relay IPs are checked with key {}…", &k[..16]),
                        None => "Cleared: relay IPs are checked with the built-in key, if any.".to_owned(),
                    }));
                    current.set(now);
                    if let Some(f) = field.get_untracked() {
                        f.set_value("");
                    }
                }
                Err(e) => set_err.set(Some(e)),
            }
        });
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        store(Some(field.get_untracked().map(|f| f.value()).unwrap_or_default()));
    };
    let built = relay_ips::OPERATOR_KEY.map_or_else(|| "none".to_owned(), |k| format!("{}…", &k[..k.len().min(16)]));
    view! {
        <section class="card" data-testid="relay-ips-key">
            <h2>"Relay operator key"</h2>
            <p class="muted">"The setup guide shows the relay's IPs only from a list signed with this key. Built in: "
                {built} ". Configured: "
                <span data-testid="relay-ips-key-current">{move || current.get().map_or_else(|| "none".to_owned(), |k| format!("{}…", &k[..16]))}</span> "."</p>
            <form on:submit=save>
                <label for="relay-ips-key-input">"Public key (64 hex digits, from the relay's operator)"</label>
                <input id="relay-ips-key-input" data-testid="relay-ips-key-input" autocomplete="off" spellcheck="false" node_ref=field />
                <div class="actions">
                    <button type="submit" data-testid="relay-ips-key-save">"Save key"</button>
                    <button type="button" class="secondary" data-testid="relay-ips-key-clear" on:click=move |_| store(None)>"Use the built-in key"</button>
                </div>
            </form>
            <p class="notice" role="status" data-testid="relay-ips-key-result">{move || msg.get()}</p>
            <p class="error" role="alert" data-testid="relay-ips-key-error">{move || err.get()}</p>
        </section>
    }
}
