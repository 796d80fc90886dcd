//! Adding transactions from elsewhere (`crate::imports`): a Koinly universal CSV file, or one transaction typed in
//! the same terms; the sources and the hand-entered transactions listed, each removable.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::imports::{self, ImportError, Source};
use crate::records::AccountNames;

/// What a change to the imports calls when it is stored: the dashboard recomputed from the vault.
type OnChange = std::sync::Arc<dyn Fn() + Send + Sync>;

/// The card: import a file, enter a transaction, and what has been added so far.
#[component]
pub fn AddTransactions(
    /// Called after a source or an entry was added or removed.
    on_change: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    let on_change: OnChange = std::sync::Arc::new(on_change);
    let (error, set_error) = signal(None::<String>);
    let (status, set_status) = signal(None::<String>);
    // bumped after each change: the lists read the vault again
    let version = RwSignal::new(0u32);
    let done = {
        let on_change = on_change.clone();
        move |r: Result<String, ImportError>| match r {
            Ok(said) => {
                set_error.set(None);
                set_status.set(Some(said));
                version.update(|v| *v += 1);
                on_change();
            }
            Err(e) => {
                set_status.set(None);
                set_error.set(Some(e.to_string()));
            }
        }
    };
    let done: std::sync::Arc<dyn Fn(Result<String, ImportError>) + Send + Sync> = std::sync::Arc::new(done);
    view! {
        <section class="card" data-testid="add-transactions">
            <h2>"Transactions from elsewhere"</h2>
            <p class="muted">"Another exchange, a wallet, a purchase outside any venue: import a Koinly universal CSV or enter a "
                "transaction by hand. They are sealed in your vault with the rest, and count in every figure."</p>
            <ImportFile done=done.clone() />
            <EntryForm done=done.clone() />
            <p class="error" role="alert" data-testid="import-error">{move || error.get()}</p>
            <p role="status" data-testid="import-status">{move || status.get()}</p>
            <Added version done />
        </section>
    }
}

/// The file import: an account name and a CSV file.
#[component]
fn ImportFile(done: std::sync::Arc<dyn Fn(Result<String, ImportError>) + Send + Sync>) -> impl IntoView {
    let account = RwSignal::new(String::new());
    let input = NodeRef::<leptos::html::Input>::new();
    let import = move |_| {
        let Some(el) = input.get_untracked() else { return };
        let done = done.clone();
        spawn_local(async move {
            let r = async {
                let name = el.files().and_then(|f| f.get(0)).map(|f| f.name()).unwrap_or_default();
                let bytes = super::settings::read_file(&el).await.map_err(|e| ImportError::Invalid(format!("{e}.")))?;
                let text = String::from_utf8(bytes)
                    .map_err(|_| ImportError::Invalid(format!("{name} is not text (UTF-8): is it a CSV file?")))?;
                let n = imports::import_koinly(&account.get_untracked(), &name, &text, now_ms()).await?;
                el.set_value("");
                Ok(format!("Imported {n} transactions from {name}."))
            }
            .await;
            done(r);
        });
    };
    view! {
        <div class="filters">
            <label for="import-account">"Account"</label>
            <input id="import-account" data-testid="import-account" placeholder="e.g. Kraken"
                on:input=move |ev| account.set(event_target_value(&ev)) />
            <label for="import-file">"Koinly universal CSV"</label>
            <input id="import-file" type="file" accept=".csv,text/csv" data-testid="import-file" node_ref=input />
            <button type="button" data-testid="import-koinly" on:click=import>"Import"</button>
        </div>
    }
}

/// The fields of one hand-entered transaction.
#[derive(Clone, Copy)]
struct EntryFields {
    account: RwSignal<String>,
    date: RwSignal<String>,
    sent: (RwSignal<String>, RwSignal<String>),
    received: (RwSignal<String>, RwSignal<String>),
    fee: (RwSignal<String>, RwSignal<String>),
    label: RwSignal<String>,
}

impl EntryFields {
    fn new() -> Self {
        let pair = || (RwSignal::new(String::new()), RwSignal::new(String::new()));
        EntryFields {
            account: RwSignal::new(String::new()),
            date: RwSignal::new(String::new()),
            sent: pair(),
            received: pair(),
            fee: pair(),
            label: RwSignal::new(String::new()),
        }
    }

    /// The entry as typed; the date input's `YYYY-MM-DDTHH:MM` is read as UTC.
    fn entry(&self) -> formats::KoinlyEntry {
        let pair = |(a, c): (RwSignal<String>, RwSignal<String>)| (a.get_untracked(), c.get_untracked());
        formats::KoinlyEntry {
            date: self.date.get_untracked().replace('T', " "),
            sent: pair(self.sent),
            received: pair(self.received),
            fee: pair(self.fee),
            label: self.label.get_untracked(),
        }
    }
}

/// An amount and its currency, as two inputs.
#[component]
fn AmountInputs(what: &'static str, testid: &'static str, pair: (RwSignal<String>, RwSignal<String>)) -> impl IntoView {
    let (amount, currency) = pair;
    view! {
        <input aria-label=format!("{what} amount") data-testid=format!("{testid}-amount") inputmode="decimal"
            placeholder=format!("{what} amount") prop:value=move || amount.get()
            on:input=move |ev| amount.set(event_target_value(&ev)) />
        <input aria-label=format!("{what} currency") data-testid=format!("{testid}-currency") placeholder="currency"
            prop:value=move || currency.get() on:input=move |ev| currency.set(event_target_value(&ev)) />
    }
}

/// The manual entry form, in Koinly's terms: sent, received, fee, a label.
#[component]
fn EntryForm(done: std::sync::Arc<dyn Fn(Result<String, ImportError>) + Send + Sync>) -> impl IntoView {
    let f = EntryFields::new();
    let add = move |_| {
        let done = done.clone();
        spawn_local(async move {
            let r = imports::add_entry(&f.account.get_untracked(), &f.entry(), now_ms()).await;
            if r.is_ok() {
                for (a, c) in [f.sent, f.received, f.fee] {
                    a.set(String::new());
                    c.set(String::new());
                }
            }
            done(r.map(|id| format!("Added {id}.")));
        });
    };
    view! {
        <fieldset data-testid="entry-form">
            <legend>"Enter a transaction"</legend>
            <div class="filters">
                <input aria-label="Account" data-testid="entry-account" placeholder="Account, e.g. Ledger Nano"
                    on:input=move |ev| f.account.set(event_target_value(&ev)) />
                <label for="entry-date">"When (UTC)"</label>
                <input id="entry-date" type="datetime-local" data-testid="entry-date"
                    on:input=move |ev| f.date.set(event_target_value(&ev)) />
                <select aria-label="Label" data-testid="entry-label" on:change=move |ev| f.label.set(event_target_value(&ev))>
                    <option value="">"Trade, deposit or withdrawal (from the amounts)"</option>
                    {["income", "reward", "airdrop", "cost", "margin fee", "realized gain"]
                        .map(|l| view! { <option value=l>{l}</option> })}
                </select>
            </div>
            <div class="filters">
                <AmountInputs what="Sent" testid="entry-sent" pair=f.sent />
                <AmountInputs what="Received" testid="entry-received" pair=f.received />
                <AmountInputs what="Fee" testid="entry-fee" pair=f.fee />
                <button type="button" data-testid="entry-add" on:click=add>"Add"</button>
            </div>
        </fieldset>
    }
}

/// The sources added and the hand-entered transactions, each with its Remove button.
#[component]
fn Added(
    version: RwSignal<u32>,
    done: std::sync::Arc<dyn Fn(Result<String, ImportError>) + Send + Sync>,
) -> impl IntoView {
    let names = StoredValue::new(AccountNames::stored());
    let lists = move || {
        version.track();
        let sources = imports::sources().unwrap_or_default();
        let entries = imports::entries().unwrap_or_default();
        (sources, entries)
    };
    let remove = move |what: Removal| {
        let done = done.clone();
        move |_| {
            let (done, what) = (done.clone(), what.clone());
            spawn_local(async move {
                let r = match &what {
                    Removal::Source(id) => imports::remove_source(id).await,
                    Removal::Entry(id) => imports::remove_entry(id).await,
                };
                done(r.map(|()| "Removed.".to_string()));
            });
        }
    };
    view! {
        {move || {
            let (sources, entries) = lists();
            let files: Vec<Source> = sources.into_iter().filter(|s| s.id != imports::MANUAL).collect();
            view! {
                <ul class="marks" data-testid="import-sources">
                    {files.into_iter().map(|s| view! {
                        <li data-testid="import-source">{format!("{} · {} (imported) · {} transactions ", s.name, s.account, s.events)}
                            <button type="button" data-testid="import-remove" on:click=remove(Removal::Source(s.id.clone()))>"Remove"</button>
                        </li>
                    }).collect_view()}
                </ul>
                <ul class="marks" data-testid="entries">
                    {entries.into_iter().map(|e| {
                        let (kind, what) = names.with_value(|n| super::ledger_view::describe(&e, &crate::format::exact, n));
                        let label = format!("{} · {} · {kind} {what}", crate::format::date_time(e.time), names.with_value(|n| n.wallet(e.account.as_str())));
                        view! {
                            <li data-testid="entry">{label}" "
                                <button type="button" data-testid="entry-remove" on:click=remove(Removal::Entry(e.id.clone()))>"Remove"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }
        }}
    }
}

/// What a Remove button removes.
#[derive(Clone)]
enum Removal {
    /// An imported file, by source id.
    Source(String),
    /// A hand-entered transaction, by event id.
    Entry(String),
}

fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}
