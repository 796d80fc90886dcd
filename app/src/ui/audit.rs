//! The audit log screen: every request this browser sent, newest first, filtered by account, venue and outcome,
//! a page at a time (never the whole log in the DOM), and the filtered entries exported as CSV
//! (docs/app-storage.md, "The audit log").

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::audit::{self, Filter, Outcome};
use crate::format::{count, date_time};
use crate::records::{self, AccountNames};
use crate::relay::AuditEntry;
use crate::session;

/// Rows on one page.
pub const PAGE: usize = 50;

/// A filter's choice for "any".
const ANY: &str = "*";

fn chosen(value: String) -> Option<String> {
    (value != ANY).then_some(value)
}

/// The audit screen's state: the log as read (newest first), the names of the accounts, the filters and the page.
#[derive(Clone, Copy)]
struct AuditView {
    /// None while the chunks are read.
    log: RwSignal<Option<Result<Vec<AuditEntry>, String>>>,
    names: RwSignal<AccountNames>,
    account: RwSignal<String>,
    venue: RwSignal<String>,
    outcome: RwSignal<String>,
    page: RwSignal<usize>,
    /// The positions of the matching entries in `log` (the entries themselves stay there).
    matching: Memo<Vec<usize>>,
}

impl AuditView {
    /// Reads the log now, and again whenever it changes (another tab appended, or a sync here did).
    fn new() -> AuditView {
        let log = RwSignal::new(None::<Result<Vec<AuditEntry>, String>>);
        let names = RwSignal::new(AccountNames::stored());
        let (account, venue, outcome) =
            (RwSignal::new(ANY.to_string()), RwSignal::new(ANY.to_string()), RwSignal::new(ANY.to_string()));
        let load = move || {
            spawn_local(async move {
                let read = audit::load_newest_first().await.map_err(|e| e.to_string());
                names.set(AccountNames::stored());
                log.set(Some(read));
            });
        };
        load();
        let listener = session::on_change(move |changed| {
            if changed.touches(vault::RecordKind::AuditLog) {
                load();
            }
        });
        on_cleanup(move || session::off_change(listener));
        let matching = Memo::new(move |_| {
            let f = Filter {
                account: chosen(account.get()),
                venue: chosen(venue.get()),
                outcome: chosen(outcome.get()).and_then(|o| Outcome::parse(&o)),
            };
            log.with(|l| match l {
                Some(Ok(v)) => v.iter().enumerate().filter(|(_, e)| f.matches(e)).map(|(i, _)| i).collect(),
                _ => Vec::new(),
            })
        });
        AuditView { log, names, account, venue, outcome, page: RwSignal::new(0), matching }
    }

    fn pages(self) -> usize {
        self.matching.with(|m| m.len().div_ceil(PAGE).max(1))
    }

    /// The matching entries as CSV, the accounts named as on the screen.
    fn csv(self) -> Option<String> {
        self.log.with_untracked(|l| match l {
            Some(Ok(v)) => {
                let picked: Vec<AuditEntry> =
                    self.matching.with_untracked(|m| m.iter().map(|&i| v[i].clone()).collect());
                Some(self.names.with_untracked(|n| audit::csv(&picked, n)))
            }
            _ => None,
        })
    }

    /// Which entries the page shows, in words.
    fn shown(self) -> String {
        let total = self.matching.with(Vec::len);
        let start = self.page.get() * PAGE;
        if total == 0 {
            return "No entries match.".to_string();
        }
        format!(
            "Entries {} to {} of {}, newest first",
            count(start + 1),
            count((start + PAGE).min(total)),
            count(total)
        )
    }
}

/// The audit log: every request this browser sent through the relay, filtered, a page at a time, and as CSV.
#[component]
pub fn AuditScreen() -> impl IntoView {
    let v = AuditView::new();
    let log = v.log;
    view! {
        <section class="card" data-testid="audit">
            <h2>"Audit log"</h2>
            <p class="muted">
                "Every request this browser sent through the relay: time, account, venue, method and path, status. "
                "Never a key, a signature or a parameter. Kept for a year or the newest 100,000 requests, whichever "
                "is more (at most 300,000)."
            </p>
            <AuditFilters v />
            <p role="status" data-testid="audit-count" data-count=move || v.matching.with(Vec::len).to_string()
                data-loaded=move || log.with(Option::is_some).to_string()>
                {move || if log.with(Option::is_none) { "Reading the audit log…".to_string() } else { v.shown() }}
            </p>
            <div class="table-scroll" role="region" aria-label="Requests, newest first" tabindex="0">
                <table class="table">
                    <thead><tr><th scope="col">"Time"</th><th scope="col">"Account"</th><th scope="col">"Venue"</th>
                        <th scope="col">"Request"</th><th scope="col">"Status"</th><th scope="col">"Outcome"</th>
                        <th scope="col">"Error"</th><th scope="col">"Relay"</th></tr></thead>
                    <tbody>{move || audit_rows(v)}</tbody>
                </table>
            </div>
            <div class="filters">
                <button type="button" class="secondary" data-testid="audit-newer"
                    disabled=move || v.page.get() == 0 on:click=move |_| v.page.update(|p| *p = p.saturating_sub(1))>
                    "Newer"
                </button>
                <span data-testid="audit-page">{move || format!("Page {} of {}", count(v.page.get() + 1), count(v.pages()))}</span>
                <button type="button" class="secondary" data-testid="audit-older"
                    disabled=move || { v.page.get() + 1 >= v.pages() } on:click=move |_| v.page.update(|p| *p += 1)>
                    "Older"
                </button>
            </div>
        </section>
    }
}

/// The filters (account, venue, outcome: each back to the first page), the CSV export and the errors.
#[component]
fn AuditFilters(v: AuditView) -> impl IntoView {
    let (export_error, set_export_error) = signal(None::<String>);
    let choices = Memo::new(move |_| {
        v.log.with(|l| match l {
            Some(Ok(entries)) => audit::choices(entries),
            _ => Default::default(),
        })
    });
    let on_filter = move |signal: RwSignal<String>| {
        move |ev: leptos::ev::Event| {
            signal.set(event_target_value(&ev));
            v.page.set(0);
        }
    };
    let export = move |_| {
        let Some(csv) = v.csv() else { return };
        set_export_error
            .set(crate::ui::settings::download("meetcrypt-audit-log.csv", "text/csv", csv.as_bytes()).err());
    };
    let names = v.names;
    view! {
        <div class="filters">
            <label class="sr-only" for="audit-account">"Account"</label>
            <select id="audit-account" data-testid="audit-account" on:change=on_filter(v.account)>
                <option value=ANY>"All accounts"</option>
                {move || choices.with(|(accounts, _)| names.with(|n| accounts.iter().map(|a| {
                    view! { <option value=a.clone()>{audit::account_name(n, a)}</option> }
                }).collect_view()))}
            </select>
            <label class="sr-only" for="audit-venue">"Venue"</label>
            <select id="audit-venue" data-testid="audit-venue" on:change=on_filter(v.venue)>
                <option value=ANY>"All venues"</option>
                {move || choices.with(|(_, venues)| venues.iter().map(|x| {
                    view! { <option value=x.clone()>{records::venue_name(x)}</option> }
                }).collect_view())}
            </select>
            <label class="sr-only" for="audit-outcome">"Status"</label>
            <select id="audit-outcome" data-testid="audit-outcome" on:change=on_filter(v.outcome)>
                <option value=ANY>"Any status"</option>
                {Outcome::ALL.into_iter().map(|o| view! { <option value=o.as_str()>{o.label()}</option> }).collect_view()}
            </select>
            <button type="button" class="secondary" data-testid="audit-export" on:click=export
                disabled=move || v.matching.with(Vec::is_empty)>"Export CSV"</button>
        </div>
        <p class="error" role="alert" data-testid="audit-error">
            {move || v.log.with(|l| match l { Some(Err(e)) => Some(e.clone()), _ => None }).or_else(|| export_error.get())}
        </p>
    }
}

/// The page's rows: time, account, venue, request, status, outcome, error, relay.
fn audit_rows(v: AuditView) -> impl IntoView {
    let start = v.page.get() * PAGE;
    v.log.with(|l| {
        let Some(Ok(entries)) = l else { return Vec::new() };
        v.names.with(|n| {
            v.matching.with(|m| {
                m.iter()
                    .skip(start)
                    .take(PAGE)
                    .map(|&i| {
                        let e = &entries[i];
                        let o = audit::outcome_of(e);
                        view! {
                            <tr data-testid="audit-row" data-outcome=o.as_str()>
                                <td>{date_time(ledger::Timestamp(e.time_ms))}</td>
                                <td>{audit::account_name(n, &e.account)}</td>
                                <td>{records::venue_name(&e.venue)}</td>
                                <td>{e.endpoint.clone()}</td>
                                <td>{if e.status == 0 { "no answer".to_string() } else { e.status.to_string() }}</td>
                                <td>{o.label()}</td>
                                <td>{e.error.clone().unwrap_or_default()}</td>
                                <td>{e.relay.clone()}</td>
                            </tr>
                        }
                    })
                    .collect::<Vec<_>>()
            })
        })
    })
}
