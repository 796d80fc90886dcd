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
    let state = KeyGenState::new();
    let KeyGenState { pending, busy, error, notice, .. } = state;
    view! {
        <section class="card" data-testid="keygen">
            <h2>"Create a key for me"</h2>
            <p class="hint">"Binance accepts a key you generate yourself: Meetcrypt creates the key pair inside your \
                vault, seals the private key at once and never shows or sends it. You register only the public key \
                on Binance."</p>
            <Show when=move || pending.get().is_none()>
                <button type="button" data-testid="keygen-create" disabled=busy on:click=move |_| state.create()>
                    "Create a key for me"
                </button>
            </Show>
            <Show when=move || pending.get().is_some()>
                <PublicKeySteps state ips />
                <ConnectGeneratedKey state accounts />
            </Show>
            <p class="error" role="alert" data-testid="keygen-error">{move || error.get()}</p>
            <p class="notice" role="status" data-testid="keygen-result">{move || notice.get()}</p>
        </section>
    }
}

/// The key generator's state: the pending key (generated, its API key not attached yet), what is typed, one
/// operation at a time and its outcome.
#[derive(Clone, Copy)]
struct KeyGenState {
    pending: RwSignal<Option<PendingKey>>,
    api_key: RwSignal<String>,
    label: RwSignal<String>,
    error: RwSignal<Option<String>>,
    notice: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
}

impl KeyGenState {
    fn new() -> KeyGenState {
        KeyGenState {
            pending: RwSignal::new(stored_pending()),
            api_key: RwSignal::new(String::new()),
            label: RwSignal::new(String::new()),
            error: RwSignal::new(None),
            notice: RwSignal::new(None),
            busy: RwSignal::new(false),
        }
    }

    /// Runs `work` as the one operation: busy until it ends, the last outcome cleared; `Err` is shown.
    fn run(self, work: impl std::future::Future<Output = Result<(), SessionError>> + 'static) {
        self.busy.set(true);
        self.error.set(None);
        self.notice.set(None);
        spawn_local(async move {
            if let Err(e) = work.await {
                self.error.set(Some(e.to_string()));
            }
            self.busy.set(false);
        });
    }

    fn create(self) {
        self.run(async move {
            self.pending.set(Some(create().await?));
            Ok(())
        });
    }

    fn discard(self) {
        let Some(key) = self.pending.get_untracked() else { return };
        self.run(async move {
            discard(key.id).await?;
            self.pending.set(None);
            self.api_key.set(String::new());
            Ok(())
        });
    }

    /// Registers the public key with the sandbox's simulated Binance, restricted to `ips`; fills in its API key.
    fn register(self, ips: Vec<String>) {
        let Some(key) = self.pending.get_untracked() else { return };
        self.run(async move {
            self.api_key.set(register_in_sandbox(&key.public_key_pem, ips).await?);
            self.notice.set(Some("Registered in the sandbox: its API key is filled in below.".into()));
            Ok(())
        });
    }

    /// Connects the API key typed with the pending key, and lists the account.
    fn connect(self, accounts: RwSignal<BTreeMap<String, AccountMeta>>) {
        let Some(key) = self.pending.get_untracked() else { return };
        let (l, k) = (self.label.get_untracked(), self.api_key.get_untracked());
        self.run(async move {
            let meta = attach(&key, l, k).await?;
            let name = records::venue_name(meta.venue.as_str());
            accounts.update(|a| {
                a.insert(meta.credential.clone(), meta.clone());
            });
            self.pending.set(None);
            self.api_key.set(String::new());
            self.label.set(String::new());
            self.notice.set(Some(format!("Connected your self-generated {name} key.")));
            Ok(())
        });
    }
}

/// The relay's IPs to allow-list as the steps show them: still loading, none listed, or the list.
pub fn relay_ips_text(ips: Option<&[String]>) -> String {
    match ips {
        None => "(loading)".to_string(),
        Some([]) => "(the relay did not list any: ask its operator)".to_string(),
        Some(v) => v.join(", "),
    }
}

/// The pending key's public key and the steps to register it on Binance (or in the demo's sandbox).
#[component]
fn PublicKeySteps(state: KeyGenState, ips: Signal<Option<Vec<String>>>) -> impl IntoView {
    let (pending, busy) = (state.pending, state.busy);
    let ip_text = move || ips.with(|v| relay_ips_text(v.as_deref()));
    view! {
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
            on:click=move |_| state.register(ips.get_untracked().unwrap_or_default())>
            "Register it in the sandbox (demo only)"</button>
    }
}

/// The form that connects the API key Binance gave for the pending key, or discards the key.
#[component]
fn ConnectGeneratedKey(state: KeyGenState, accounts: RwSignal<BTreeMap<String, AccountMeta>>) -> impl IntoView {
    let KeyGenState { label, api_key, busy, .. } = state;
    let on_connect = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        state.connect(accounts);
    };
    view! {
        <form on:submit=on_connect>
            <label for="keygen-label">"Name"</label>
            <input id="keygen-label" data-testid="keygen-label" placeholder="e.g. Binance main" prop:value=label
                on:input=move |ev| label.set(event_target_value(&ev)) />
            <label for="keygen-api-key">"API key from Binance"</label>
            <input id="keygen-api-key" data-testid="keygen-api-key" autocomplete="off" spellcheck="false"
                prop:value=api_key on:input=move |ev| api_key.set(event_target_value(&ev)) />
            <button type="submit" data-testid="keygen-connect" disabled=busy>
                {move || if busy.get() { "Working…" } else { "Connect" }}
            </button>
            <button type="button" class="secondary" data-testid="keygen-discard" disabled=busy
                on:click=move |_| state.discard()>"Discard this key"</button>
        </form>
    }
}
