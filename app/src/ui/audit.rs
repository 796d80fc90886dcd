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

/// The audit log.
#[component]
pub fn AuditScreen() -> impl IntoView {
    // None while the chunks are read; the entries newest first
    let log = RwSignal::new(None::<Result<Vec<AuditEntry>, String>>);
    let names = RwSignal::new(AccountNames::stored());
    let account = RwSignal::new(ANY.to_string());
    let venue = RwSignal::new(ANY.to_string());
    let outcome = RwSignal::new(ANY.to_string());
    let page = RwSignal::new(0usize);
    let (export_error, set_export_error) = signal(None::<String>);
    let load = move || {
        spawn_local(async move {
            let read = audit::load_newest_first().await.map_err(|e| e.to_string());
            names.set(AccountNames::stored());
            log.set(Some(read));
        });
    };
    load();
    // another tab appended (or a sync here did): read again
    let listener = session::on_change(move |changed| {
        if changed.touches(vault::RecordKind::AuditLog) {
            load();
        }
    });
    on_cleanup(move || session::off_change(listener));

    let filter = Memo::new(move |_| Filter {
        account: chosen(account.get()),
        venue: chosen(venue.get()),
        outcome: chosen(outcome.get()).and_then(|o| Outcome::parse(&o)),
    });
    // the positions of the matching entries (the entries themselves stay in `log`)
    let matching = Memo::new(move |_| {
        let f = filter.get();
        log.with(|l| match l {
            Some(Ok(v)) => v.iter().enumerate().filter(|(_, e)| f.matches(e)).map(|(i, _)| i).collect::<Vec<_>>(),
            _ => Vec::new(),
        })
    });
    let choices = Memo::new(move |_| {
        log.with(|l| match l {
            Some(Ok(v)) => audit::choices(v),
            _ => Default::default(),
        })
    });
    let pages = move || matching.with(|m| m.len().div_ceil(PAGE).max(1));
    let on_filter = move |signal: RwSignal<String>| {
        move |ev: leptos::ev::Event| {
            signal.set(event_target_value(&ev));
            page.set(0);
        }
    };
    let export = move |_| {
        let csv = log.with_untracked(|l| match l {
            Some(Ok(v)) => {
                let picked: Vec<AuditEntry> = matching.with_untracked(|m| m.iter().map(|&i| v[i].clone()).collect());
                Some(names.with_untracked(|n| audit::csv(&picked, n)))
            }
            _ => None,
        });
        let Some(csv) = csv else { return };
        set_export_error
            .set(crate::ui::settings::download("meetcrypt-audit-log.csv", "text/csv", csv.as_bytes()).err());
    };
    let rows = move || {
        let start = page.get() * PAGE;
        log.with(|l| {
            let Some(Ok(v)) = l else { return Vec::new() };
            names.with(|n| {
                matching.with(|m| {
                    m.iter()
                        .skip(start)
                        .take(PAGE)
                        .map(|&i| {
                            let e = &v[i];
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
                        .collect_view()
                })
            })
        })
    };
    let shown = move || {
        let total = matching.with(Vec::len);
        let start = page.get() * PAGE;
        if total == 0 {
            "No entries match.".to_string()
        } else {
            format!(
                "Entries {} to {} of {}, newest first",
                count(start + 1),
                count((start + PAGE).min(total)),
                count(total)
            )
        }
    };
    view! {
        <section class="card" data-testid="audit">
            <h2>"Audit log"</h2>
            <p class="muted">
                "Every request this browser sent through the relay: time, account, venue, method and path, status. "
                "Never a key, a signature or a parameter. Kept for a year or the newest 100,000 requests, whichever "
                "is more (at most 300,000)."
            </p>
            <div class="filters">
                <label class="sr-only" for="audit-account">"Account"</label>
                <select id="audit-account" data-testid="audit-account" on:change=on_filter(account)>
                    <option value=ANY>"All accounts"</option>
                    {move || choices.with(|(accounts, _)| names.with(|n| accounts.iter().map(|a| {
                        view! { <option value=a.clone()>{audit::account_name(n, a)}</option> }
                    }).collect_view()))}
                </select>
                <label class="sr-only" for="audit-venue">"Venue"</label>
                <select id="audit-venue" data-testid="audit-venue" on:change=on_filter(venue)>
                    <option value=ANY>"All venues"</option>
                    {move || choices.with(|(_, venues)| venues.iter().map(|v| {
                        view! { <option value=v.clone()>{records::venue_name(v)}</option> }
                    }).collect_view())}
                </select>
                <label class="sr-only" for="audit-outcome">"Status"</label>
                <select id="audit-outcome" data-testid="audit-outcome" on:change=on_filter(outcome)>
                    <option value=ANY>"Any status"</option>
                    {Outcome::ALL.into_iter().map(|o| view! { <option value=o.as_str()>{o.label()}</option> }).collect_view()}
                </select>
                <button type="button" class="secondary" data-testid="audit-export" on:click=export
                    disabled=move || matching.with(Vec::is_empty)>"Export CSV"</button>
            </div>
            <p class="error" role="alert" data-testid="audit-error">
                {move || log.with(|l| match l { Some(Err(e)) => Some(e.clone()), _ => None }).or_else(|| export_error.get())}
            </p>
            <p role="status" data-testid="audit-count" data-count=move || matching.with(Vec::len).to_string()
                data-loaded=move || log.with(Option::is_some).to_string()>
                {move || if log.with(Option::is_none) { "Reading the audit log…".to_string() } else { shown() }}
            </p>
            <div class="table-scroll" role="region" aria-label="Requests, newest first" tabindex="0">
                <table class="table">
                    <thead><tr><th scope="col">"Time"</th><th scope="col">"Account"</th><th scope="col">"Venue"</th>
                        <th scope="col">"Request"</th><th scope="col">"Status"</th><th scope="col">"Outcome"</th>
                        <th scope="col">"Error"</th><th scope="col">"Relay"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <div class="filters">
                <button type="button" class="secondary" data-testid="audit-newer"
                    disabled=move || page.get() == 0 on:click=move |_| page.update(|p| *p = p.saturating_sub(1))>
                    "Newer"
                </button>
                <span data-testid="audit-page">{move || format!("Page {} of {}", count(page.get() + 1), count(pages()))}</span>
                <button type="button" class="secondary" data-testid="audit-older"
                    disabled=move || { page.get() + 1 >= pages() } on:click=move |_| page.update(|p| *p += 1)>
                    "Older"
                </button>
            </div>
        </section>
    }
}
