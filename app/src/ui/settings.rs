//! Settings, exports and the encrypted backup.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;

use vault::Passphrase;

use crate::records::{self, AppSettings, Setting};
use crate::report;
use crate::session::{self, SessionError};
use crate::strength::{Strength, strength};
use crate::sync;
use crate::ui::gate::repaint;
use crate::ui::take_field;

/// Offers bytes as a file download.
pub fn download(name: &str, mime: &str, bytes: &[u8]) -> Result<(), String> {
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob =
        web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &opts).map_err(|_| "cannot make a file")?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| "cannot make a download link")?;
    let doc = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement =
        doc.create_element("a").map_err(|_| "no anchor")?.dyn_into().map_err(|_| "no anchor")?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// Reads the file chosen in an `<input type=file>`.
pub async fn read_file(input: &web_sys::HtmlInputElement) -> Result<Vec<u8>, String> {
    let file = input.files().and_then(|f| f.get(0)).ok_or("choose a file first")?;
    let buf =
        wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await.map_err(|_| "the file could not be read")?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

async fn export(what: &str) -> Result<(), SessionError> {
    let data = sync::load_data().await?;
    let settings = records::settings()?;
    match what {
        "ledger" => {
            let mut out = Vec::new();
            ledger::write_jsonl(&mut out, &data.events).map_err(|e| SessionError::Export(e.to_string()))?;
            download("meetcrypt-ledger.jsonl", "application/x-ndjson", &out).map_err(SessionError::Export)
        }
        "koinly" => download("meetcrypt-koinly.csv", "text/csv", formats::koinly_csv(&data.events, None).as_bytes())
            .map_err(SessionError::Export),
        "report" => {
            let r = pnl::compute(&data.events, &data.prices.points, &report::engine_settings(&settings));
            download("meetcrypt-report.csv", "text/csv", formats::report_csv(&r, &data.events).as_bytes())
                .map_err(SessionError::Export)
        }
        "bundle" => {
            let b = pnl::bundle::Bundle::new(data.events, data.prices.points, report::engine_settings(&settings));
            let json = serde_json::to_vec_pretty(&b).map_err(|e| SessionError::Export(e.to_string()))?;
            download("meetcrypt-bundle.json", "application/json", &json).map_err(SessionError::Export)
        }
        "backup" => {
            // on the latest stored vault, swept: a backup never carries an orphaned record
            session::transact(records::sweep_orphans).await?;
            let bytes = session::with(|s| -> Result<Vec<u8>, SessionError> { Ok(s.vault()?.export_backup()?) })??;
            download("meetcrypt-vault.backup", "application/octet-stream", &bytes).map_err(SessionError::Export)
        }
        _ => Err(SessionError::Export(format!("unknown export `{what}`"))),
    }
}

/// The settings screen.
#[component]
pub fn SettingsView(
    /// The settings, updated on save.
    settings: RwSignal<AppSettings>,
    /// Called after a change that alters the report.
    on_change: impl Fn() + Clone + 'static,
) -> impl IntoView {
    let draft = RwSignal::new(settings.get_untracked());
    let (msg, set_msg) = signal(None::<String>);
    let (err, set_err) = signal(None::<String>);
    let save = {
        let on_change = on_change.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            set_msg.set(None);
            set_err.set(None);
            let form = draft.get_untracked();
            let new_currency =
                settings.with_untracked(|c| c.currency != form.currency).then(|| form.currency.get().to_string());
            let on_change = on_change.clone();
            spawn_local(async move {
                let r = session::transact(|| {
                    let mut s = records::settings()?;
                    apply_form(&form, &mut s);
                    records::write(vault::RecordKind::Settings, records::ids::SETTINGS, &s).map(|()| s)
                })
                .await;
                match r {
                    Ok(s) => {
                        settings.set(s);
                        set_err.set(None);
                        // a new reporting currency: its rate is read before the dashboard is recomputed, no sync
                        // needed (docs/accounting.md §10, "Valuation"); without it the totals show as incomplete
                        if let Some(currency) = new_currency {
                            set_msg.set(Some(format!("Saved. Reading the {currency} rate…")));
                            if let Err(e) = sync::refresh_currency(&currency).await {
                                set_err.set(Some(e.to_string()));
                            }
                        }
                        set_msg.set(Some("Saved.".into()));
                        on_change();
                    }
                    Err(e) => set_err.set(Some(e.to_string())),
                }
            });
        }
    };
    view! {
        <section class="card" data-testid="settings">
            <h2>"Settings"</h2>
            <p class="error" role="alert" data-testid="unknown-settings">{move || settings.with(|s| s.unknown().join(" "))}</p>
            <form on:submit=save class="settings-grid">
                <ReportChoices draft />
                <SyncChoices draft />
                <button type="submit" data-testid="save-settings">"Save settings"</button>
            </form>
            <p class="notice" role="status">{move || msg.get()}</p>
            <p class="error" role="alert">{move || err.get()}</p>
        </section>
        <ExportCard set_msg set_err />
        <VaultKeys />
        <crate::ui::relay_ips::OperatorKeySetting />
    }
}

/// The settings the form edits, copied onto the stored ones when it is saved. What other screens save on their own
/// (the theme toggle, the dashboard's period, the ledger's matches, marks and deposit costs, the Gains tab's holding
/// periods) is not the form's: its older copy of those is never written.
pub fn apply_form(form: &AppSettings, stored: &mut AppSettings) {
    stored.currency = form.currency.clone();
    stored.stablecoins_as_usd = form.stablecoins_as_usd;
    stored.method = form.method.clone();
    stored.fees_in_cost_basis = form.fees_in_cost_basis;
    stored.deposits_at_market = form.deposits_at_market;
    stored.pools = form.pools.clone();
    stored.history_days = form.history_days;
    stored.sync_interval_min = form.sync_interval_min;
    stored.auto_lock_min = form.auto_lock_min;
    stored.relays = form.relays.clone();
}

/// The choices that change the report: currency, stablecoins, method, fees, deposits, pools.
#[component]
fn ReportChoices(draft: RwSignal<AppSettings>) -> impl IntoView {
    view! {
        <label for="currency">"Profit currency"</label>
        // USD and the currencies whose rate the venues quote (venues::market::FIAT)
        <select id="currency" data-testid="currency" prop:value=move || draft.with(|d| d.currency.to_string())
            on:change=move |ev| draft.update(|d| d.currency = Setting::parse(&event_target_value(&ev)))>
            {std::iter::once("USD").chain(venues::market::FIAT.iter().map(|(c, _)| *c)).map(|c| view! {
                <option value=c>{c}</option>
            }).collect_view()}
        </select>
        <label class="inline"><input type="checkbox" prop:checked=move || draft.with(|d| d.stablecoins_as_usd)
            on:change=move |ev| draft.update(|d| d.stablecoins_as_usd = event_target_checked(&ev)) />
            " USDT, USDC, FDUSD and BUSD count as USD"</label>
        <label for="method">"Cost-basis method"</label>
        <select id="method" data-testid="method" prop:value=move || draft.with(|d| d.method.to_string())
            on:change=move |ev| draft.update(|d| d.method = Setting::parse(&event_target_value(&ev)))>
            <option value="fifo">"FIFO (first in, first out)"</option>
            <option value="lifo">"LIFO (last in, first out)"</option>
            <option value="hifo">"HIFO (highest cost first)"</option>
            <option value="acb">"ACB (average cost)"</option>
            <option value="uk">"UK share pooling (same day, 30 days, section 104 pool)"</option>
        </select>
        <label class="inline"><input type="checkbox" prop:checked=move || draft.with(|d| d.fees_in_cost_basis)
            on:change=move |ev| draft.update(|d| d.fees_in_cost_basis = event_target_checked(&ev)) />
            " Fees in cost basis"</label>
        <label class="inline"><input type="checkbox" data-testid="deposits-at-market" prop:checked=move || draft.with(|d| d.deposits_at_market)
            on:change=move |ev| draft.update(|d| d.deposits_at_market = event_target_checked(&ev)) />
            " Value deposits from outside at their market price (otherwise they have no cost basis)"</label>
        <label for="pools">"Cost-basis pools"</label>
        <select id="pools" prop:value=move || draft.with(|d| d.pools.to_string())
            on:change=move |ev| draft.update(|d| d.pools = Setting::parse(&event_target_value(&ev)))>
            <option value="universal">"Universal: one pool per asset"</option>
            <option value="per-account">"Per account (wallet)"</option>
        </select>
    }
}

/// The choices of the sync and the session: history, timer, auto-lock, relays.
#[component]
fn SyncChoices(draft: RwSignal<AppSettings>) -> impl IntoView {
    view! {
        <label for="history">"History to read"</label>
        <select id="history" data-testid="history" aria-describedby="history-help"
            prop:value=move || draft.with(|d| d.history_days.to_string())
            on:change=move |ev| draft.update(|d| d.history_days = event_target_value(&ev).parse().unwrap_or(d.history_days))>
            <option value="365">"The last year"</option>
            <option value="730">"2 years"</option>
            <option value="1095">"3 years"</option>
            <option value="1825">"5 years"</option>
            <option value="0">"Everything (since July 2017)"</option>
        </select>
        <p class="muted" id="history-help">"Deposits, withdrawals, transfers, converts and futures income are read \
            this far back (trades always in full). A longer history makes the first sync slower; making it \
            longer later reads the older part at the next sync."</p>
        <label for="sync-interval">"Sync every (minutes, 0 = off; a change applies once saved)"</label>
        <input id="sync-interval" data-testid="sync-interval" type="number" min="0" max="1440"
            prop:value=move || draft.with(|d| d.sync_interval_min.to_string())
            on:input=move |ev| draft.update(|d| d.sync_interval_min = event_target_value(&ev).parse().unwrap_or(d.sync_interval_min)) />
        <label for="auto-lock">"Lock after idle (minutes)"</label>
        <input id="auto-lock" type="number" min="1" max="240"
            prop:value=move || draft.with(|d| d.auto_lock_min.to_string())
            on:input=move |ev| draft.update(|d| d.auto_lock_min = event_target_value(&ev).parse().unwrap_or(d.auto_lock_min)) />
        <label for="relays">"Relays (one URL per line, in order; empty: this site)"</label>
        <textarea id="relays" data-testid="relays" rows="3" prop:value=move || draft.with(|d| d.relays.join("\n"))
            on:input=move |ev| draft.update(|d| d.relays = event_target_value(&ev).lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect())></textarea>
    }
}

/// The exports: the ledger, the report, a verifiable bundle, the encrypted backup.
#[component]
fn ExportCard(set_msg: WriteSignal<Option<String>>, set_err: WriteSignal<Option<String>>) -> impl IntoView {
    let do_export = move |what: &'static str| {
        move |_| {
            spawn_local(async move {
                match export(what).await {
                    Ok(()) => set_msg.set(Some(format!("Exported {what}."))),
                    Err(e) => set_err.set(Some(e.to_string())),
                }
            });
        }
    };
    view! {
    <section class="card">
        <h2>"Export"</h2>
        <div class="actions">
            <button class="secondary" data-testid="export-ledger" on:click=do_export("ledger")>"Ledger (open format, JSON Lines)"</button>
            <button class="secondary" data-testid="export-koinly" on:click=do_export("koinly")>"Ledger (Koinly CSV)"</button>
            <button class="secondary" data-testid="export-report" on:click=do_export("report")>"Report (CSV)"</button>
            <button class="secondary" data-testid="export-bundle" on:click=do_export("bundle")>"Verifiable bundle"</button>
            <button class="secondary" data-testid="export-backup" on:click=do_export("backup")>"Encrypted vault backup"</button>
        </div>
        <p class="muted">"The backup is encrypted with your passphrase: import it on another browser's first-run screen. "
            "`meetcrypt pnl --bundle FILE` recomputes a bundle's report exactly."</p>
    </section>
    }
}

/// The vault in the user's hands: change the passphrase, rotate the data keys; after either, a fresh encrypted
/// backup is offered (an older backup still opens with the old passphrase and holds the old keys).
#[component]
fn VaultKeys() -> impl IntoView {
    let state = KeysState {
        busy: RwSignal::new(false),
        msg: RwSignal::new(None),
        err: RwSignal::new(None),
        offer_backup: RwSignal::new(false),
    };
    let key_version = RwSignal::new(session::key_version().unwrap_or(0));
    // another tab's rotation, read in from storage
    let listener = session::on_change(move |_| {
        if let Ok(v) = session::key_version() {
            key_version.set(v);
        }
    });
    on_cleanup(move || session::off_change(listener));
    let KeysState { busy, msg, err, offer_backup } = state;
    let rotate = move |_| {
        state.start();
        spawn_local(async move {
            repaint().await;
            match session::rotate_data_key().await {
                Ok(r) => {
                    key_version.set(r.key_version);
                    state.done(format!(
                        "Data keys rotated: {} records sealed again under key version {}, the old key destroyed. \
                         Backups made before still hold the old key.",
                        crate::format::count(r.reencrypted),
                        r.key_version
                    ));
                }
                Err(e) => state.failed(e.to_string()),
            }
        });
    };
    let backup = move |_| {
        spawn_local(async move {
            match export("backup").await {
                Ok(()) => msg.set(Some("A fresh encrypted backup was downloaded.".into())),
                Err(e) => err.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <section class="card" data-testid="vault-keys">
            <h2>"Passphrase and keys"</h2>
            <ChangePassphrase state />
            <p class="muted" data-testid="key-version" data-version=move || key_version.get().to_string()>
                {move || format!("Your records are sealed under data key version {}. Rotating seals every record \
                    again under a new key and destroys the old one.", key_version.get())}
            </p>
            <div class="actions">
                <button type="button" class="secondary" data-testid="rotate-keys" disabled=busy on:click=rotate>
                    "Rotate data keys"
                </button>
                <Show when=move || offer_backup.get()>
                    <button type="button" data-testid="fresh-backup" on:click=backup>
                        "Download a fresh encrypted backup"
                    </button>
                </Show>
            </div>
            <p class="notice" role="status" data-testid="vault-keys-result">{move || msg.get()}</p>
            <p class="error" role="alert" data-testid="vault-keys-error">{move || err.get()}</p>
        </section>
    }
}

/// The passphrase and key operations' shared state: one runs at a time; what it said; whether to offer a backup.
#[derive(Clone, Copy)]
struct KeysState {
    busy: RwSignal<bool>,
    msg: RwSignal<Option<String>>,
    err: RwSignal<Option<String>>,
    offer_backup: RwSignal<bool>,
}

impl KeysState {
    fn start(self) {
        self.busy.set(true);
        self.msg.set(None);
        self.err.set(None);
    }
    /// Done: what was done, and a fresh backup offered (the older ones hold the old passphrase or key).
    fn done(self, what: String) {
        self.msg.set(Some(what));
        self.offer_backup.set(true);
        self.busy.set(false);
    }
    fn failed(self, why: String) {
        self.err.set(Some(why));
        self.busy.set(false);
    }
}

/// Why a passphrase change cannot be tried (`None`: it can): the current passphrase missing, a weak new one, the
/// two new ones different, or the new one the same as the current.
pub fn passphrase_change_problem(current: &str, new: &str, again: &str) -> Option<String> {
    if current.is_empty() {
        Some("Type the passphrase in use now.".to_string())
    } else if !strength(new).acceptable() {
        Some(format!("The new passphrase is too weak. {}", Strength::Weak.label()))
    } else if new != again {
        Some("The two new passphrases differ: type the same new passphrase twice.".into())
    } else if new == current {
        Some("The new passphrase is the one in use: choose another.".into())
    } else {
        None
    }
}

/// The form that changes the passphrase. Its fields are read only when it is submitted and emptied at once,
/// whatever comes next (a refusal, a wrong passphrase, success); only the rating of what is typed is kept.
#[component]
fn ChangePassphrase(state: KeysState) -> impl IntoView {
    let current = NodeRef::<leptos::html::Input>::new();
    let new = NodeRef::<leptos::html::Input>::new();
    let confirm = NodeRef::<leptos::html::Input>::new();
    let (rating, set_rating) = signal(Strength::Empty);
    let busy = state.busy;
    let change = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (cur, new_text, again) = (take_field(current), take_field(new), take_field(confirm));
        set_rating.set(Strength::Empty);
        state.start();
        let problem = passphrase_change_problem(&cur, &new_text, &again);
        let (cur, new_pass) = (Passphrase::new(cur), Passphrase::new(new_text));
        drop(Passphrase::new(again));
        if let Some(problem) = problem {
            state.failed(format!("{problem} Nothing was changed."));
            return;
        }
        spawn_local(async move {
            repaint().await;
            match session::change_passphrase(&cur, &new_pass).await {
                Ok(()) => state.done(
                    "Passphrase changed: unlock with the new one from now on (other open tabs ask for it). \
                     Backups made before still open only with the old passphrase."
                        .into(),
                ),
                Err(e) => state.failed(e.to_string()),
            }
        });
    };
    view! {
        <form on:submit=change class="settings-grid" data-testid="change-passphrase-form">
            <label for="current-passphrase">"Current passphrase"</label>
            <input id="current-passphrase" type="password" autocomplete="current-password" node_ref=current
                data-testid="current-passphrase" />
            <label for="new-passphrase">"New passphrase"</label>
            <input id="new-passphrase" type="password" autocomplete="new-password" node_ref=new
                data-testid="new-passphrase" aria-describedby="new-passphrase-strength"
                on:input=move |ev| set_rating.set(strength(&event_target_value(&ev))) />
            <meter min="0" max="3" low="1.5" high="2.5" optimum="3" aria-label="new passphrase strength"
                value=move || (rating.get() as u8).to_string()></meter>
            <p class="hint" id="new-passphrase-strength" aria-live="polite">{move || rating.get().label()}</p>
            <label for="new-passphrase-confirm">"New passphrase again"</label>
            <input id="new-passphrase-confirm" type="password" autocomplete="new-password" node_ref=confirm
                data-testid="new-passphrase-confirm" />
            <button type="submit" data-testid="change-passphrase" disabled=busy>
                {move || if busy.get() { "Working…" } else { "Change passphrase" }}
            </button>
        </form>
    }
}
