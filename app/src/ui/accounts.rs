//! Accounts: connect a key (validated before it is stored), with the setup guide beside the form; rename, re-key,
//! remove; connector health. The operations themselves are in `crate::accounts`.

use std::collections::BTreeMap;

use catalogue::Venue;
use leptos::prelude::*;
use leptos::task::spawn_local;
use vault::{AccountKind, Secret};

use crate::accounts::{connect_account, remove_account, rename_account};
use crate::records::{self, AccountMeta, AccountNames};
use crate::ui::take_field;

fn guide(venue: Venue) -> impl IntoView {
    match venue {
        Venue::Binance => view! {
            <ol class="guide">
                <li>"Binance → Account → API Management → Create API (system generated HMAC or self-generated Ed25519)."</li>
                <li>"Leave only " <strong>"Enable Reading"</strong> " on. Turn off Enable Spot & Margin Trading, Enable Futures, "
                    "Enable Margin Loan, Repay & Transfer, Permits Universal Transfer and Enable Withdrawals."</li>
                <li>"Choose " <strong>"Restrict access to trusted IPs only"</strong> " and add the relay's IPs below."</li>
            </ol>
        }
        .into_any(),
        Venue::Bitget => view! {
            <ol class="guide">
                <li>"Bitget → Profile → API Key Management → Create API Key (system-generated)."</li>
                <li>"Set a passphrase for the key: Meetcrypt needs it, and never sends it anywhere but Bitget."</li>
                <li>"Grant " <strong>"Read-only"</strong> " permissions only: no Trade, no Transfer, no Withdraw."</li>
                <li>"Bind the relay's IPs below to the key."</li>
            </ol>
        }
        .into_any(),
    }
}

/// The accounts screen.
#[component]
pub fn Accounts(
    /// The connected accounts; updated here.
    accounts: RwSignal<BTreeMap<String, AccountMeta>>,
) -> impl IntoView {
    let (venue, set_venue) = signal(Venue::Binance);
    let (label, set_label) = signal(String::new());
    let (copy_trading, set_copy_trading) = signal(false);
    let (api_key, set_api_key) = signal(String::new());
    // the API secret and passphrase are never in a signal: read from their fields into `Secret`s on Connect
    let secret_field = NodeRef::<leptos::html::Input>::new();
    let passphrase_field = NodeRef::<leptos::html::Input>::new();
    let (error, set_error) = signal(None::<String>);
    let (notice, set_notice) = signal(None::<String>);
    let (busy, set_busy) = signal(false);
    let (rekey, set_rekey) = signal(None::<String>);
    // the signed egress IP list (docs/relay.md, "The signed IP list"), fetched and verified once for the guide and
    // the key generator; the generator gets no IP when it does not verify, and the sandbox then refuses to register
    // a key without IPs
    let signed = crate::ui::relay_ips::fetch_signed_ips();
    let ips = Signal::derive(move || {
        signed.with(|s| s.as_ref().map(|r| r.as_ref().map(|v| v.ips.clone()).unwrap_or_default()))
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        set_busy.set(true);
        set_error.set(None);
        set_notice.set(None);
        let v = venue.get_untracked();
        // left empty, the account is called after its venue and type (records::AccountNames)
        let l = label.get_untracked();
        let kind = if copy_trading.get_untracked() { AccountKind::CopyTrading } else { AccountKind::Regular };
        // the secret fields are emptied now, whatever the answer (success, refusal, no answer)
        let s = Secret::new(take_field(secret_field)).trimmed();
        let pass = Secret::new(take_field(passphrase_field)).trimmed();
        let pass = (v == Venue::Bitget).then_some(pass);
        let (k, replace) = (api_key.get_untracked(), rekey.get_untracked());
        spawn_local(async move {
            match connect_account(v, l, kind, k, s, pass, replace).await {
                Ok(meta) => {
                    accounts.update(|a| {
                        a.insert(meta.credential.clone(), meta.clone());
                    });
                    let name =
                        accounts.with_untracked(|a| AccountNames::of(a).account(&meta.credential).map(str::to_owned));
                    let mut text = format!("Connected {}", name.unwrap_or_else(|| meta.label.clone()));
                    if !meta.label.trim().is_empty() {
                        text.push_str(&format!(" ({})", records::venue_name(meta.venue.as_str())));
                    }
                    text.push('.');
                    for w in &meta.warnings {
                        text.push(' ');
                        text.push_str(w);
                        text.push('.');
                    }
                    set_notice.set(Some(text));
                    set_api_key.set(String::new());
                    set_label.set(String::new());
                    set_rekey.set(None);
                }
                Err(e) => set_error.set(Some(e.to_string())),
            }
            set_busy.set(false);
        });
    };

    view! {
        <section class="card" data-testid="accounts">
            <h2>"Accounts"</h2>
            <Show when=move || accounts.with(|a| a.is_empty())>
                <p class="muted">"No account yet: connect a read-only API key below."</p>
            </Show>
            <ul class="account-list">
                // in the order they were added (the map's order is the credential ids', which are random)
                <For each=move || { let mut list: Vec<AccountMeta> = accounts.get().into_values().collect();
                        list.sort_by_key(|m| (m.added_ms, m.credential.clone())); list }
                    key=|m| (m.credential.clone(), m.added_ms, m.last_sync.clone()) let:meta>
                    <AccountRow meta accounts set_rekey set_venue />
                </For>
            </ul>
        </section>
        <div class="two-col">
            <section class="card" data-testid="add-account-form">
                <h2>{move || if rekey.get().is_some() { "Replace the key" } else { "Add an account" }}</h2>
                <form on:submit=submit>
                    <label for="venue">"Exchange"</label>
                    <select id="venue" data-testid="venue" prop:value=move || venue.get().as_str()
                        on:change=move |ev| set_venue.set(Venue::parse(&event_target_value(&ev)).unwrap_or(Venue::Binance))>
                        <option value="binance">"Binance"</option>
                        <option value="bitget">"Bitget"</option>
                    </select>
                    <label for="label">"Name"</label>
                    <input id="label" data-testid="label" aria-describedby="label-help" placeholder="e.g. Binance main" prop:value=label
                        on:input=move |ev| set_label.set(event_target_value(&ev)) />
                    <p class="hint" id="label-help">"Optional: left empty, the account is called after its exchange \
                        (\"Binance\", its wallets \"Binance spot\"). Rename it at any time."</p>
                    <label class="inline">
                        <input type="checkbox" data-testid="copy-trading" prop:checked=copy_trading
                            on:change=move |ev| set_copy_trading.set(event_target_checked(&ev)) />
                        " Copy-trading account"
                    </label>
                    <label for="api-key">"API key"</label>
                    <input id="api-key" data-testid="api-key" autocomplete="off" spellcheck="false" prop:value=api_key
                        on:input=move |ev| set_api_key.set(event_target_value(&ev)) />
                    <label for="api-secret">"API secret"</label>
                    <input id="api-secret" type="password" data-testid="api-secret" autocomplete="off"
                        aria-describedby="secret-help" node_ref=secret_field />
                    <Show when=move || venue.get() == Venue::Bitget>
                        <label for="api-passphrase">"API passphrase"</label>
                        <input id="api-passphrase" type="password" data-testid="api-passphrase" autocomplete="off"
                            aria-describedby="secret-help" node_ref=passphrase_field />
                    </Show>
                    <p class="hint" id="secret-help">"The secret fields are emptied when you press Connect, whatever \
                        the answer: the key is checked with them, then sealed in the vault or dropped."</p>
                    <p class="error" role="alert" data-testid="connect-error">{move || error.get()}</p>
                    <p class="notice" role="status" data-testid="connect-result">{move || notice.get()}</p>
                    <button type="submit" data-testid="connect" disabled=busy>
                        {move || if busy.get() { "Checking the key…" } else { "Connect" }}
                    </button>
                    <Show when=move || rekey.get().is_some()>
                        <button type="button" class="secondary" on:click=move |_| set_rekey.set(None)>"Cancel"</button>
                    </Show>
                </form>
            </section>
            <aside class="card guide-card" data-testid="setup-guide">
                <h2>"Setting up the key"</h2>
                {move || guide(venue.get())}
                <crate::ui::relay_ips::SignedRelayIps state=signed />
                <crate::ui::relay_catalogue::ForwardedReads venue />
                <p class="muted">"Meetcrypt refuses keys that can trade, transfer or withdraw: it only ever reads."</p>
            </aside>
        </div>
        <Show when=move || venue.get() == Venue::Binance && rekey.get().is_none()>
            <crate::ui::keygen::KeyGen accounts ips />
        </Show>
    }
}

/// One account in the list, with its health and actions; its name is renamed in place.
#[component]
fn AccountRow(
    /// The account.
    meta: AccountMeta,
    /// The list, for rename/remove.
    accounts: RwSignal<BTreeMap<String, AccountMeta>>,
    /// Starts re-keying this account.
    set_rekey: WriteSignal<Option<String>>,
    /// Selects the venue in the form when re-keying.
    set_venue: WriteSignal<Venue>,
) -> impl IntoView {
    let credential = meta.credential.clone();
    // what it is called: its label, or its venue and type when unnamed (and a number beside another unnamed one)
    let name = {
        let c = credential.clone();
        move || accounts.with(|a| AccountNames::of(a).account(&c).unwrap_or_default().to_string())
    };
    let (renaming, set_renaming) = signal(false);
    let (new_label, set_new_label) = signal(meta.label.clone());
    let input = NodeRef::<leptos::html::Input>::new();
    let rename_button = NodeRef::<leptos::html::Button>::new();
    // when it last synced and what that found: the events it added, or what went wrong
    let health = match &meta.last_sync {
        None => ("pending", "not synced yet".to_string()),
        Some(s) => {
            let when = crate::format::date_time(ledger::Timestamp(s.at_ms));
            let found = match s.added {
                Some(0) => format!("nothing new, {} events in all", crate::format::count(s.events)),
                Some(1) => format!("1 new event, {} in all", crate::format::count(s.events)),
                Some(n) => format!("{} new events, {} in all", crate::format::count(n), crate::format::count(s.events)),
                None => format!("{} events", crate::format::count(s.events)),
            };
            match &s.error {
                None => ("ok", format!("Synced {when}: {found}")),
                Some(e) => ("error", format!("Sync failed {when}: {e} ({found})")),
            }
        }
    };
    // the ledger against the balances its last sync read, from the tracker's loaded data (docs/sync.md, "Balances
    // explained"); outside a tracker (a test mounting the screen alone) there is none
    let residuals = {
        let data = use_context::<crate::tracker::TrackerState>().map(|t| t.data);
        let key = format!("{}/{}", meta.venue.as_str(), credential);
        Signal::derive(move || data.and_then(|d| d.with(|d| d.as_ref().and_then(|d| d.residuals(&key)))))
    };
    let synced_at = meta.last_sync.as_ref().map(|s| s.at_ms.to_string());
    let added = meta.last_sync.as_ref().and_then(|s| s.added).map(|n| n.to_string());
    let events = meta.last_sync.as_ref().map(|s| s.events.to_string());
    let mode = match meta.mode {
        venues::AccountMode::Binance => "spot, wallet, USDS-M futures, Simple Earn",
        venues::AccountMode::BitgetClassic => "classic: spot, USDT-M futures",
        venues::AccountMode::BitgetUnified => "unified account",
    };
    let (c1, c2, c3) = (credential.clone(), credential.clone(), credential.clone());
    let venue = meta.venue;
    let save = move || {
        let (c, l) = (c1.clone(), new_label.get_untracked());
        spawn_local(async move {
            if rename_account(&c, &l).await.is_ok() {
                accounts.update(|a| {
                    if let Some(m) = a.get_mut(&c) {
                        m.label = l.trim().into();
                    }
                });
            }
        });
        set_renaming.set(false);
        if let Some(b) = rename_button.get_untracked() {
            let _ = b.focus();
        }
    };
    let cancel = move || {
        set_renaming.set(false);
        if let Some(b) = rename_button.get_untracked() {
            let _ = b.focus();
        }
    };
    let default_name = {
        let mut unnamed = meta.clone();
        unnamed.label.clear();
        AccountNames::of(&[(unnamed.credential.clone(), unnamed)].into_iter().collect())
            .account(&meta.credential)
            .unwrap_or_default()
            .to_string()
    };
    // the name field takes the focus as it replaces the name
    Effect::new(move |_| {
        if renaming.get()
            && let Some(el) = input.get()
        {
            request_animation_frame(move || {
                let _ = el.focus();
                el.select();
            });
        }
    });
    view! {
        <li class="account" data-testid="account-row">
            <div>
                {
                    let save = save.clone();
                    move || if renaming.get() {
                        let save = save.clone();
                        view! {
                            <input class="rename" node_ref=input aria-label="Name of this account" data-testid="account-name-input"
                                placeholder=default_name.clone() prop:value=new_label
                                on:input=move |ev| set_new_label.set(event_target_value(&ev))
                                on:keydown=move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
                                    "Enter" => { ev.prevent_default(); save() }
                                    "Escape" => { ev.prevent_default(); cancel() }
                                    _ => {}
                                } />
                        }.into_any()
                    } else {
                        view! { <strong data-testid="account-name">{name.clone()}</strong> }.into_any()
                    }
                }
                <span class="muted">{format!(" · {} · {} · {}", records::venue_name(meta.venue.as_str()), records::kind_name(meta.account_kind), mode)}</span>
                {(!meta.ip_restricted).then(|| view! { <span class="badge warn">"not IP-restricted"</span> })}
            </div>
            <div class=format!("health {}", health.0) data-testid="account-health" data-synced-at=synced_at
                data-added=added data-events=events>{health.1}</div>
            <crate::ui::residuals::AccountBalances residuals />
            <div class="actions">
                <button class="secondary" data-testid="rename-account" node_ref=rename_button on:click=move |_| {
                    if renaming.get_untracked() { save() } else { set_renaming.set(true) }
                }>{move || if renaming.get() { "Save name" } else { "Rename" }}</button>
                <button class="secondary" on:click=move |_| { set_venue.set(venue); set_rekey.set(Some(c2.clone())) }>"Replace key"</button>
                <button class="danger" data-testid="remove-account" on:click=move |_| {
                    let c = c3.clone();
                    spawn_local(async move {
                        if remove_account(&c).await.is_ok() {
                            accounts.update(|a| { a.remove(&c); });
                        }
                    });
                }>"Remove"</button>
            </div>
        </li>
    }
}
