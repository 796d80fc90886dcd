//! "Create a key for me" (Binance only): an Ed25519 key pair generated inside the vault, its private key sealed the
//! moment it exists (a pending key, docs/vault-format.md "Pending key") and never shown; the public key (PEM) is
//! shown with the steps to register it on Binance as a read-only, IP-restricted key (docs/venues.md §1.2,
//! "Self-generated keys"); the API key Binance returns is then connected with the sealed private key through the
//! usual connect-time check (`accounts::connect_account`: a key that can trade, transfer or withdraw is refused).
//! In the demo, a button registers the public key with the simulated Binance instead (`POST
//! /sandbox/binance/ed25519-keys`, served by a relay started with `--sandbox` only).

use std::collections::BTreeMap;

use catalogue::Venue;
use leptos::prelude::*;
use leptos::task::spawn_local;
use vault::{AccountKind, PendingKey, RecordId, Secret};

use crate::accounts::connect_account;
use crate::records::{self, AccountMeta};
use crate::session::{self, SessionError};

/// The relay's sandbox route that registers a public key with the simulated Binance (demo only).
const SANDBOX_REGISTER: &str = "/sandbox/binance/ed25519-keys";

fn vault_call<R>(
    f: impl FnOnce(&mut vault::Vault<vault::Snapshot>) -> Result<R, vault::VaultError>,
) -> Result<R, SessionError> {
    session::with(|s| -> Result<R, SessionError> { Ok(f(s.vault()?)?) })?
}

/// The newest pending key, if any (a tab closed before its API key was attached leaves one).
fn stored_pending() -> Option<PendingKey> {
    vault_call(|v| v.pending_keys()).ok().and_then(|mut keys| keys.pop())
}

/// Generates a key pair in the vault; its private key is sealed before this returns.
async fn create() -> Result<PendingKey, SessionError> {
    session::transact(|| vault_call(|v| v.generate_ed25519_key(Venue::Binance))).await
}

/// Discards a pending key.
async fn discard(id: RecordId) -> Result<(), SessionError> {
    session::transact(|| vault_call(|v| v.remove_pending_key(&id))).await
}

/// Registers the public key with the sandbox's simulated Binance, restricted to the relay's IPs; the new API key.
async fn register_in_sandbox(public_key_pem: &str, ips: Vec<String>) -> Result<String, SessionError> {
    let body = serde_json::json!({ "publicKey": public_key_pem, "ipList": ips });
    let response = gloo_net::http::Request::post(SANDBOX_REGISTER).json(&body)?.send().await?;
    if response.status() == 404 {
        return Err(SessionError::Relay("this relay has no sandbox: register the key on Binance (steps above)".into()));
    }
    let answer: serde_json::Value = response.json().await?;
    match answer.get("apiKey").and_then(|k| k.as_str()) {
        Some(key) => Ok(key.to_string()),
        None => Err(SessionError::Relay(format!(
            "the sandbox refused the key: {}",
            answer.get("msg").or(answer.get("message")).and_then(|m| m.as_str()).unwrap_or("no reason given")
        ))),
    }
}

/// Connects the API key with the pending key's sealed private key, then drops the pending key.
async fn attach(pending: &PendingKey, label: String, api_key: String) -> Result<AccountMeta, SessionError> {
    let api_key = api_key.trim().to_string();
    // the private key leaves the vault only inside this credential's `Secret` (redacted, zeroized), for signing
    let credential = vault_call(|v| {
        v.pending_key_credential(&pending.id, "Binance", AccountKind::Regular, Secret::new(api_key.clone()))
    })?;
    let meta = connect_account(Venue::Binance, label, AccountKind::Regular, api_key, credential.api_secret, None, None)
        .await?;
    let id = pending.id.clone();
    session::transact(|| {
        vault_call(|v| match v.remove_pending_key(&id) {
            // removed in another tab already
            Err(vault::VaultError::NotFound { .. }) => Ok(()),
            other => other,
        })
    })
    .await?;
    Ok(meta)
}

/// The "Create a key for me" card.
#[component]
pub fn KeyGen(
    /// The connected accounts; the new one is added here.
    accounts: RwSignal<BTreeMap<String, AccountMeta>>,
    /// The relay's egress IPs (`None` while loading).
    ips: Signal<Option<Vec<String>>>,
) -> impl IntoView {
    let pending = RwSignal::new(stored_pending());
    let (api_key, set_api_key) = signal(String::new());
    let (label, set_label) = signal(String::new());
    let (error, set_error) = signal(None::<String>);
    let (notice, set_notice) = signal(None::<String>);
    let (busy, set_busy) = signal(false);

    let run = move |work: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>| {
        set_busy.set(true);
        set_error.set(None);
        set_notice.set(None);
        spawn_local(async move {
            work.await;
            set_busy.set(false);
        });
    };
    let on_create = move |_| {
        run(Box::pin(async move {
            match create().await {
                Ok(key) => pending.set(Some(key)),
                Err(e) => set_error.set(Some(e.to_string())),
            }
        }));
    };
    let on_discard = move |_| {
        let Some(key) = pending.get_untracked() else { return };
        run(Box::pin(async move {
            match discard(key.id).await {
                Ok(()) => {
                    pending.set(None);
                    set_api_key.set(String::new());
                }
                Err(e) => set_error.set(Some(e.to_string())),
            }
        }));
    };
    let on_register = move |_| {
        let Some(key) = pending.get_untracked() else { return };
        let relay_ips = ips.get_untracked().unwrap_or_default();
        run(Box::pin(async move {
            match register_in_sandbox(&key.public_key_pem, relay_ips).await {
                Ok(k) => {
                    set_api_key.set(k);
                    set_notice.set(Some("Registered in the sandbox: its API key is filled in below.".into()));
                }
                Err(e) => set_error.set(Some(e.to_string())),
            }
        }));
    };
    let on_connect = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(key) = pending.get_untracked() else { return };
        let (l, k) = (label.get_untracked(), api_key.get_untracked());
        run(Box::pin(async move {
            match attach(&key, l, k).await {
                Ok(meta) => {
                    let name = records::venue_name(meta.venue.as_str());
                    accounts.update(|a| {
                        a.insert(meta.credential.clone(), meta.clone());
                    });
                    pending.set(None);
                    set_api_key.set(String::new());
                    set_label.set(String::new());
                    set_notice.set(Some(format!("Connected your self-generated {name} key.")));
                }
                Err(e) => set_error.set(Some(e.to_string())),
            }
        }));
    };
    let ip_text = move || match ips.get() {
        None => "(loading)".to_string(),
        Some(v) if v.is_empty() => "(the relay did not list any: ask its operator)".to_string(),
        Some(v) => v.join(", "),
    };

    view! {
        <section class="card" data-testid="keygen">
            <h2>"Create a key for me"</h2>
            <p class="hint">"Binance accepts a key you generate yourself: Meetcrypt creates the key pair inside your \
                vault, seals the private key at once and never shows or sends it. You register only the public key \
                on Binance."</p>
            <Show when=move || pending.get().is_none()>
                <button type="button" data-testid="keygen-create" disabled=busy on:click=on_create>
                    "Create a key for me"
                </button>
            </Show>
            <Show when=move || pending.get().is_some()>
                <label for="keygen-public-key">"Public key (give this to Binance)"</label>
                <textarea id="keygen-public-key" data-testid="keygen-public-key" readonly rows="4" spellcheck="false"
                    prop:value=move || pending.get().map(|k| k.public_key_pem).unwrap_or_default()></textarea>
                <ol class="guide" data-testid="keygen-steps">
                    <li>"Binance → Account → API Management → Create API → " <strong>"Self-generated"</strong>
                        "; paste the public key above and name the key."</li>
                    <li>"Leave only " <strong>"Enable Reading"</strong> " on: no trading, margin, futures, transfer \
                        or withdrawal."</li>
                    <li>"Choose " <strong>"Restrict access to trusted IPs only"</strong> " and add the relay's IPs: "
                        <span class="ips" data-testid="keygen-ips">{ip_text}</span></li>
                    <li>"Paste the API key Binance shows below and connect."</li>
                </ol>
                <p class="hint">"Trying the demo? The sandbox's simulated Binance can register it for you, \
                    read-only and restricted to the relay's IPs."</p>
                <button type="button" class="secondary" data-testid="keygen-register-sandbox" disabled=busy
                    on:click=on_register>"Register it in the sandbox (demo only)"</button>
                <form on:submit=on_connect>
                    <label for="keygen-label">"Name"</label>
                    <input id="keygen-label" data-testid="keygen-label" placeholder="e.g. Binance main" prop:value=label
                        on:input=move |ev| set_label.set(event_target_value(&ev)) />
                    <label for="keygen-api-key">"API key from Binance"</label>
                    <input id="keygen-api-key" data-testid="keygen-api-key" autocomplete="off" spellcheck="false"
                        prop:value=api_key on:input=move |ev| set_api_key.set(event_target_value(&ev)) />
                    <button type="submit" data-testid="keygen-connect" disabled=busy>
                        {move || if busy.get() { "Working…" } else { "Connect" }}
                    </button>
                    <button type="button" class="secondary" data-testid="keygen-discard" disabled=busy
                        on:click=on_discard>"Discard this key"</button>
                </form>
            </Show>
            <p class="error" role="alert" data-testid="keygen-error">{move || error.get()}</p>
            <p class="notice" role="status" data-testid="keygen-result">{move || notice.get()}</p>
        </section>
    }
}
