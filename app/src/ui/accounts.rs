//! Accounts: connect a key (validated before it is stored), with the setup guide beside the form; rename, re-key,
//! remove; connector health. The operations themselves are in `crate::accounts`.

use std::collections::BTreeMap;

use catalogue::Venue;
use leptos::prelude::*;
use leptos::task::spawn_local;
use vault::{AccountKind, Secret};

use crate::accounts::{connect_account, remove_account, rename_account};
use crate::records::{self, AccountMeta, AccountNames, SyncOutcome};
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
    let form = ConnectForm::new();
    let (venue, rekey) = (form.venue, form.rekey);
    // the signed egress IP list (docs/relay.md, "The signed IP list"), fetched and verified once for the guide and
    // the key generator; the generator gets no IP when it does not verify, and the sandbox then refuses to register
    // a key without IPs
    let signed = crate::ui::relay_ips::fetch_signed_ips();
    let ips = Signal::derive(move || {
        signed.with(|s| s.as_ref().map(|r| r.as_ref().map(|v| v.ips.clone()).unwrap_or_default()))
    });
    view! {
        <AccountList accounts form />
        <div class="two-col">
            <ConnectCard accounts form />
            <aside class="card guide-card" data-testid="setup-guide">
                <h2>"Setting up the key"</h2>
                {move || guide(venue.get())}
                <crate::ui::relay_ips::SignedRelayIps state=signed />
                <crate::ui::relay_catalogue::ForwardedReads venue=venue.read_only() />
                <p class="muted">"Meetcrypt refuses keys that can trade, transfer or withdraw: it only ever reads."</p>
            </aside>
        </div>
        <Show when=move || venue.get() == Venue::Binance && rekey.get().is_none()>
            <crate::ui::keygen::KeyGen accounts ips />
        </Show>
    }
}

/// The connect form's state: what is typed (never the secrets: they are read from their fields on Connect), the
/// account being re-keyed, and the outcome of the last try.
#[derive(Clone, Copy)]
struct ConnectForm {
    venue: RwSignal<Venue>,
    label: RwSignal<String>,
    copy_trading: RwSignal<bool>,
    api_key: RwSignal<String>,
    secret_field: NodeRef<leptos::html::Input>,
    passphrase_field: NodeRef<leptos::html::Input>,
    error: RwSignal<Option<String>>,
    notice: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
    /// The credential whose key is being replaced.
    rekey: RwSignal<Option<String>>,
}

impl ConnectForm {
    fn new() -> ConnectForm {
        ConnectForm {
            venue: RwSignal::new(Venue::Binance),
            label: RwSignal::new(String::new()),
            copy_trading: RwSignal::new(false),
            api_key: RwSignal::new(String::new()),
            secret_field: NodeRef::new(),
            passphrase_field: NodeRef::new(),
            error: RwSignal::new(None),
            notice: RwSignal::new(None),
            busy: RwSignal::new(false),
            rekey: RwSignal::new(None),
        }
    }

    /// Starts replacing the key of an account of `venue`.
    fn start_rekey(self, venue: Venue, credential: String) {
        self.venue.set(venue);
        self.rekey.set(Some(credential));
    }

    /// Checks the key through the relay and, accepted, stores the account; the secret fields are emptied now,
    /// whatever the answer (success, refusal, no answer).
    fn connect(self, accounts: RwSignal<BTreeMap<String, AccountMeta>>) {
        self.busy.set(true);
        self.error.set(None);
        self.notice.set(None);
        let v = self.venue.get_untracked();
        // left empty, the account is called after its venue and type (records::AccountNames)
        let l = self.label.get_untracked();
        let kind = if self.copy_trading.get_untracked() { AccountKind::CopyTrading } else { AccountKind::Regular };
        let s = Secret::new(take_field(self.secret_field)).trimmed();
        let pass = Secret::new(take_field(self.passphrase_field)).trimmed();
        let pass = (v == Venue::Bitget).then_some(pass);
        let (k, replace) = (self.api_key.get_untracked(), self.rekey.get_untracked());
        spawn_local(async move {
            match connect_account(v, l, kind, k, s, pass, replace).await {
                Ok(meta) => self.connected(meta, accounts),
                Err(e) => self.error.set(Some(e.to_string())),
            }
            self.busy.set(false);
        });
    }

    /// An account connected: listed, said so, and the form cleared.
    fn connected(self, meta: AccountMeta, accounts: RwSignal<BTreeMap<String, AccountMeta>>) {
        accounts.update(|a| {
            a.insert(meta.credential.clone(), meta.clone());
        });
        let name = accounts.with_untracked(|a| AccountNames::of(a).account(&meta.credential).map(str::to_owned));
        self.notice.set(Some(connected_text(&meta, name)));
        self.api_key.set(String::new());
        self.label.set(String::new());
        self.rekey.set(None);
    }
}

/// What connecting an account says: its name (`name`, else its label), its venue when it has a name of its own,
/// and the warnings of the connect-time check.
pub fn connected_text(meta: &AccountMeta, name: Option<String>) -> String {
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
    text
}

/// The connected accounts, in the order they were added (the map's order is the credential ids', which are random).
#[component]
fn AccountList(accounts: RwSignal<BTreeMap<String, AccountMeta>>, form: ConnectForm) -> impl IntoView {
    view! {
        <section class="card" data-testid="accounts">
            <h2>"Accounts"</h2>
            <Show when=move || accounts.with(|a| a.is_empty())>
                <p class="muted">"No account yet: connect a read-only API key below."</p>
            </Show>
            <ul class="account-list">
                <For each=move || { let mut list: Vec<AccountMeta> = accounts.get().into_values().collect();
                        list.sort_by_key(|m| (m.added_ms, m.credential.clone())); list }
                    key=|m| (m.credential.clone(), m.added_ms, m.last_sync.clone()) let:meta>
                    <AccountRow meta accounts form />
                </For>
            </ul>
        </section>
    }
}

/// The form that connects an account, or replaces the key of one.
#[component]
fn ConnectCard(accounts: RwSignal<BTreeMap<String, AccountMeta>>, form: ConnectForm) -> impl IntoView {
    let ConnectForm { venue, label, copy_trading, api_key, error, notice, busy, rekey, .. } = form;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        form.connect(accounts);
    };
    view! {
        <section class="card" data-testid="add-account-form">
            <h2>{move || if rekey.get().is_some() { "Replace the key" } else { "Add an account" }}</h2>
            <form on:submit=submit>
                <label for="venue">"Exchange"</label>
                <select id="venue" data-testid="venue" prop:value=move || venue.get().as_str()
                    on:change=move |ev| venue.set(Venue::parse(&event_target_value(&ev)).unwrap_or(Venue::Binance))>
                    <option value="binance">"Binance"</option>
                    <option value="bitget">"Bitget"</option>
                </select>
                <label for="label">"Name"</label>
                <input id="label" data-testid="label" aria-describedby="label-help" placeholder="e.g. Binance main" prop:value=label
                    on:input=move |ev| label.set(event_target_value(&ev)) />
                <p class="hint" id="label-help">"Optional: left empty, the account is called after its exchange \
                    (\"Binance\", its wallets \"Binance spot\"). Rename it at any time."</p>
                <label class="inline">
                    <input type="checkbox" data-testid="copy-trading" prop:checked=copy_trading
                        on:change=move |ev| copy_trading.set(event_target_checked(&ev)) />
                    " Copy-trading account"
                </label>
                <label for="api-key">"API key"</label>
                <input id="api-key" data-testid="api-key" autocomplete="off" spellcheck="false" prop:value=api_key
                    on:input=move |ev| api_key.set(event_target_value(&ev)) />
                <SecretFields form />
                <p class="error" role="alert" data-testid="connect-error">{move || error.get()}</p>
                <p class="notice" role="status" data-testid="connect-result">{move || notice.get()}</p>
                <button type="submit" data-testid="connect" disabled=busy>
                    {move || if busy.get() { "Checking the key…" } else { "Connect" }}
                </button>
                <Show when=move || rekey.get().is_some()>
                    <button type="button" class="secondary" on:click=move |_| rekey.set(None)>"Cancel"</button>
                </Show>
            </form>
        </section>
    }
}

/// The API secret, and Bitget's passphrase: fields without a signal, read and emptied on Connect.
#[component]
fn SecretFields(form: ConnectForm) -> impl IntoView {
    let venue = form.venue;
    view! {
        <label for="api-secret">"API secret"</label>
        <input id="api-secret" type="password" data-testid="api-secret" autocomplete="off"
            aria-describedby="secret-help" node_ref=form.secret_field />
        <Show when=move || venue.get() == Venue::Bitget>
            <label for="api-passphrase">"API passphrase"</label>
            <input id="api-passphrase" type="password" data-testid="api-passphrase" autocomplete="off"
                aria-describedby="secret-help" node_ref=form.passphrase_field />
        </Show>
        <p class="hint" id="secret-help">"The secret fields are emptied when you press Connect, whatever \
            the answer: the key is checked with them, then sealed in the vault or dropped."</p>
    }
}

/// One account in the list, with its health and actions; its name is renamed in place.
#[component]
fn AccountRow(
    /// The account.
    meta: AccountMeta,
    /// The list, for rename/remove.
    accounts: RwSignal<BTreeMap<String, AccountMeta>>,
    /// The connect form, to replace this account's key.
    form: ConnectForm,
) -> impl IntoView {
    let credential = meta.credential.clone();
    let (status, health) = sync_health(meta.last_sync.as_ref());
    // the ledger against the balances its last sync read, from the tracker's loaded data (docs/sync.md, "Balances
    // explained"); outside a tracker (a test mounting the screen alone) there is none
    let residuals = {
        let data = use_context::<crate::tracker::TrackerState>().map(|t| t.data);
        let key = format!("{}/{}", meta.venue.as_str(), credential);
        Signal::derive(move || data.and_then(|d| d.with(|d| d.as_ref().and_then(|d| d.residuals(&key)))))
    };
    let last = meta.last_sync.as_ref();
    let synced_at = last.map(|s| s.at_ms.to_string());
    let added = last.and_then(|s| s.added).map(|n| n.to_string());
    let events = last.map(|s| s.events.to_string());
    let rename = Rename::new(&meta.label);
    let what = format!(
        " · {} · {} · {}",
        records::venue_name(meta.venue.as_str()),
        records::kind_name(meta.account_kind),
        records::what_is_read(meta.mode, meta.account_kind)
    );
    view! {
        <li class="account" data-testid="account-row">
            <div>
                <AccountName meta=meta.clone() accounts rename />
                <span class="muted">{what}</span>
                {(!meta.ip_restricted).then(|| view! { <span class="badge warn">"not IP-restricted"</span> })}
            </div>
            <div class=format!("health {status}") data-testid="account-health" data-synced-at=synced_at
                data-added=added data-events=events>{health}</div>
            <crate::ui::residuals::AccountBalances residuals />
            <AccountActions venue=meta.venue credential accounts form rename />
        </li>
    }
}

/// When an account last synced and what that found, as `(status, text)`: the status is `pending` (never synced),
/// `ok` or `error` (the row's class); the text says when, and the events it added or what went wrong.
pub fn sync_health(last: Option<&SyncOutcome>) -> (&'static str, String) {
    let Some(s) = last else { return ("pending", "not synced yet".to_string()) };
    let when = crate::format::date_time(ledger::Timestamp(s.at_ms));
    let count = crate::format::count;
    let found = match s.added {
        Some(0) => format!("nothing new, {} events in all", count(s.events)),
        Some(1) => format!("1 new event, {} in all", count(s.events)),
        Some(n) => format!("{} new events, {} in all", count(n), count(s.events)),
        None => format!("{} events", count(s.events)),
    };
    match &s.error {
        None => ("ok", format!("Synced {when}: {found}")),
        Some(e) => ("error", format!("Sync failed {when}: {e} ({found})")),
    }
}

/// What an account's mode reads.
/// The name an account would have without its label: its venue and type.
fn default_name(meta: &AccountMeta) -> String {
    let mut unnamed = meta.clone();
    unnamed.label.clear();
    AccountNames::of(&[(unnamed.credential.clone(), unnamed)].into_iter().collect())
        .account(&meta.credential)
        .unwrap_or_default()
        .to_string()
}

/// Renaming an account in place: whether its name is being edited, the name typed, the field, and the Rename
/// button that gets the focus back when it ends.
#[derive(Clone, Copy)]
struct Rename {
    editing: RwSignal<bool>,
    label: RwSignal<String>,
    input: NodeRef<leptos::html::Input>,
    button: NodeRef<leptos::html::Button>,
}

impl Rename {
    fn new(label: &str) -> Rename {
        let rename = Rename {
            editing: RwSignal::new(false),
            label: RwSignal::new(label.to_owned()),
            input: NodeRef::new(),
            button: NodeRef::new(),
        };
        // the name field takes the focus as it replaces the name
        Effect::new(move |_| {
            if rename.editing.get()
                && let Some(el) = rename.input.get()
            {
                request_animation_frame(move || {
                    let _ = el.focus();
                    el.select();
                });
            }
        });
        rename
    }

    /// Saves the name typed for `credential` (empty: the default name) and ends the edit.
    fn save(self, credential: String, accounts: RwSignal<BTreeMap<String, AccountMeta>>) {
        let l = self.label.get_untracked();
        spawn_local(async move {
            if rename_account(&credential, &l).await.is_ok() {
                accounts.update(|a| {
                    if let Some(m) = a.get_mut(&credential) {
                        m.label = l.trim().into();
                    }
                });
            }
        });
        self.end();
    }

    /// Ends the edit; the focus goes back to the Rename button.
    fn end(self) {
        self.editing.set(false);
        if let Some(b) = self.button.get_untracked() {
            let _ = b.focus();
        }
    }
}

/// An account's name (its label, or its venue and type when unnamed, and a number beside another unnamed one), or
/// the field that renames it (Enter saves, Escape cancels).
#[component]
fn AccountName(meta: AccountMeta, accounts: RwSignal<BTreeMap<String, AccountMeta>>, rename: Rename) -> impl IntoView {
    let credential = meta.credential.clone();
    let name = {
        let c = credential.clone();
        move || accounts.with(|a| AccountNames::of(a).account(&c).unwrap_or_default().to_string())
    };
    let placeholder = default_name(&meta);
    move || {
        if rename.editing.get() {
            let c = credential.clone();
            view! {
                <input class="rename" node_ref=rename.input aria-label="Name of this account" data-testid="account-name-input"
                    placeholder=placeholder.clone() prop:value=rename.label
                    on:input=move |ev| rename.label.set(event_target_value(&ev))
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
                        "Enter" => { ev.prevent_default(); rename.save(c.clone(), accounts) }
                        "Escape" => { ev.prevent_default(); rename.end() }
                        _ => {}
                    } />
            }
            .into_any()
        } else {
            view! { <strong data-testid="account-name">{name.clone()}</strong> }.into_any()
        }
    }
}

/// An account's actions: rename (then save the name), replace its key, remove it.
#[component]
fn AccountActions(
    venue: Venue,
    credential: String,
    accounts: RwSignal<BTreeMap<String, AccountMeta>>,
    form: ConnectForm,
    rename: Rename,
) -> impl IntoView {
    let (c1, c2, c3) = (credential.clone(), credential.clone(), credential);
    let remove = move |_| {
        let c = c3.clone();
        spawn_local(async move {
            if remove_account(&c).await.is_ok() {
                accounts.update(|a| {
                    a.remove(&c);
                });
            }
        });
    };
    view! {
        <div class="actions">
            <button class="secondary" data-testid="rename-account" node_ref=rename.button on:click=move |_| {
                if rename.editing.get_untracked() { rename.save(c1.clone(), accounts) } else { rename.editing.set(true) }
            }>{move || if rename.editing.get() { "Save name" } else { "Rename" }}</button>
            <button class="secondary" on:click=move |_| form.start_rekey(venue, c2.clone())>"Replace key"</button>
            <button class="danger" data-testid="remove-account" on:click=remove>"Remove"</button>
        </div>
    }
}
