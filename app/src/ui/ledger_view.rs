//! The ledger: every event, newest first, filtered and searched, in a virtualized list (only the visible rows are
//! in the DOM, so 100,000+ events scroll smoothly).

use std::collections::BTreeSet;
use std::sync::Arc;

use ledger::{Decimal, Event, EventKind};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::format::{amount, count, date_time, exact};
use crate::records::{self, AccountNames};
use crate::report::Dashboard;
use crate::session;
use crate::sync::Data;

const ROW_PX: f64 = 36.0;
const VIEW_ROWS: usize = 18;
const OVERSCAN: usize = 8;

/// One event as table cells: its kind and what happened, with amounts written by `amount` (the locale's format
/// on screen, every digit for a title and for search) and accounts named by `names`.
pub fn describe(e: &Event, amount: &dyn Fn(Decimal) -> String, names: &AccountNames) -> (&'static str, String) {
    match &e.kind {
        EventKind::Trade { spend, receive, fees, symbol } => {
            let fee = fees.iter().map(|f| format!("{} {}", amount(f.amount), f.asset)).collect::<Vec<_>>().join(", ");
            let s = format!(
                "{} {} → {} {}{}{}",
                amount(spend.amount),
                spend.asset,
                amount(receive.amount),
                receive.asset,
                symbol.as_ref().map(|s| format!(" ({s})")).unwrap_or_default(),
                if fee.is_empty() { String::new() } else { format!(" · fee {fee}") }
            );
            ("trade", s)
        }
        EventKind::Deposit { asset, amount: a, .. } => ("deposit", format!("{} {asset}", amount(*a))),
        EventKind::Withdrawal { asset, amount: a, fee, .. } => (
            "withdrawal",
            format!("{} {asset}{}", amount(*a), fee.map(|f| format!(" · fee {}", amount(f))).unwrap_or_default()),
        ),
        EventKind::Transfer { from_account, to_account, asset, amount: a } => (
            "transfer",
            format!(
                "{} {asset}: {} → {}",
                amount(*a),
                names.wallet(from_account.as_str()),
                names.wallet(to_account.as_str())
            ),
        ),
        EventKind::Income { income_type, asset, amount: a, symbol } => (
            "income",
            format!(
                "{:?}: {} {asset}{}",
                income_type,
                amount(*a),
                symbol.as_ref().map(|s| format!(" ({s})")).unwrap_or_default()
            ),
        ),
        EventKind::Loan { action, asset, amount: a, interest } => (
            "loan",
            format!(
                "{action:?} {} {asset}{}",
                amount(*a),
                interest.map(|i| format!(" · interest {}", amount(i))).unwrap_or_default()
            ),
        ),
        EventKind::FuturesTrade { symbol, side, price, qty: q, .. } => (
            "futures_trade",
            format!("{side:?} {} {symbol} @ {} (moves no money: see income)", amount(*q), amount(*price)),
        ),
        EventKind::Migration { from, to } => (
            "migration",
            format!("{} {} → {} {} (lots carried over)", amount(from.amount), from.asset, amount(to.amount), to.asset),
        ),
    }
}

/// An event's kind, as the filter names it.
fn kind_of(e: &Event) -> &'static str {
    match &e.kind {
        EventKind::Trade { .. } => "trade",
        EventKind::Deposit { .. } => "deposit",
        EventKind::Withdrawal { .. } => "withdrawal",
        EventKind::Transfer { .. } => "transfer",
        EventKind::Income { .. } => "income",
        EventKind::Loan { .. } => "loan",
        EventKind::FuturesTrade { .. } => "futures_trade",
        EventKind::Migration { .. } => "migration",
    }
}

/// An amount with every digit, unformatted: what the ledger holds, for search.
fn plain(d: Decimal) -> String {
    d.normalize().to_string()
}

/// Changes the settings, saves them and recomputes.
fn save_settings(
    change: impl FnOnce(&mut records::AppSettings) + 'static,
    on_change: impl Fn() + 'static,
    set_error: WriteSignal<Option<String>>,
) {
    leptos::task::spawn_local(async move {
        let result = session::transact(|| {
            records::settings().and_then(|mut s| {
                change(&mut s);
                records::write(vault::RecordKind::Settings, records::ids::SETTINGS, &s)
            })
        })
        .await;
        match result {
            Ok(()) => on_change(),
            Err(e) => set_error.set(Some(e.to_string())),
        }
    });
}

/// The cost basis a user typed for the chosen deposit (`deposit`: its event id), in the profit currency: a plain
/// decimal, zero or more (docs/accounting.md §8, "Manual cost basis").
pub fn deposit_cost(deposit: &str, typed: &str) -> Result<ledger::Decimal, String> {
    if deposit.is_empty() {
        return Err("Choose the deposit whose cost you enter.".into());
    }
    let typed = typed.trim();
    match typed.parse::<ledger::Decimal>() {
        Ok(c) if c.is_sign_negative() => Err(format!("A cost cannot be negative: {typed}.")),
        Ok(c) if c > pnl::MAX_AMOUNT => Err(format!("{typed} is larger than any amount the engine takes.")),
        Ok(c) => Ok(c.normalize()),
        Err(_) => Err(format!("Enter the cost as a number in the profit currency, like 15000.50 (not {typed:?}).")),
    }
}

/// A change the user made to how the report reads the ledger, listed with the way to take it back.
struct Decision {
    /// What it is, in words.
    label: String,
    /// Its element's test id, if tests look for it.
    testid: Option<&'static str>,
    /// The button's caption.
    button: &'static str,
    /// What taking it back does to the settings.
    undo: Arc<dyn Fn(&mut records::AppSettings) + Send + Sync>,
}

/// The user's decisions in the settings: legs marked income or expense, costs entered for deposits, transfers
/// matched by hand.
fn decisions(s: &records::AppSettings) -> Vec<Decision> {
    let marks = s.leg_marks.iter().map(|(id, mark)| {
        let (label, id) = (
            match mark {
                pnl::LegMark::Income => "income",
                pnl::LegMark::Expense => "expense",
            },
            id.clone(),
        );
        Decision {
            label: format!("{id}: {label}"),
            testid: None,
            button: "Undo",
            undo: Arc::new(move |s| {
                s.leg_marks.remove(&id);
            }),
        }
    });
    let costs = s.deposit_costs.iter().map(|(id, c)| {
        let id = id.clone();
        Decision {
            label: format!("{id}: cost {}", c.normalize()),
            testid: Some("deposit-cost-entered"),
            button: "Undo",
            undo: Arc::new(move |s| {
                s.deposit_costs.remove(&id);
            }),
        }
    });
    let matches = s.manual_matches.iter().map(|(w, d)| {
        let pair = (w.clone(), d.clone());
        Decision {
            label: format!("{w} → {d}"),
            testid: None,
            button: "Unmatch",
            undo: Arc::new(move |s| s.manual_matches.retain(|m| *m != pair)),
        }
    });
    marks.chain(costs).chain(matches).collect()
}

/// Each unmatched leg of `kind` (`withdrawal`, `deposit`) as (event id, its description in the words of the rest of
/// the app: when in the user's time zone, what, which account).
fn unmatched_legs(d: &Dashboard, kind: &str) -> Vec<(String, String)> {
    let legs = d.report.transfers.unmatched.iter().filter(|u| u.kind == kind);
    legs.map(|u| {
        let what = format!("{} · {} {} · {}", date_time(u.time), amount(u.amount), u.asset, d.account_name(&u.account));
        (u.event.clone(), what)
    })
    .collect()
}

/// A change to the settings a button of the transfer form makes.
type Change = Box<dyn FnOnce(&mut records::AppSettings)>;

/// Pairs a withdrawal with the deposit it became.
fn match_pair(withdrawal: String, deposit: String) -> Result<Change, String> {
    if withdrawal.is_empty() || deposit.is_empty() {
        return Err("Choose a withdrawal and the deposit it became.".into());
    }
    Ok(Box::new(move |s| s.manual_matches.push((withdrawal, deposit))))
}

/// Marks a leg: a deposit as income, a withdrawal as an expense.
fn mark(leg: String, as_: pnl::LegMark) -> Result<Change, String> {
    if leg.is_empty() {
        return Err(match as_ {
            pnl::LegMark::Income => "Choose the deposit that was income.",
            pnl::LegMark::Expense => "Choose the withdrawal that was an expense.",
        }
        .into());
    }
    Ok(Box::new(move |s| {
        s.leg_marks.insert(leg, as_);
    }))
}

/// Gives a deposit from outside the cost the user typed ([`deposit_cost`]).
fn set_cost(deposit: String, typed: &str) -> Result<Change, String> {
    let cost = deposit_cost(&deposit, typed)?;
    Ok(Box::new(move |s| {
        s.deposit_costs.insert(deposit, cost);
    }))
}

/// Saves a change the form asked for, or says why it cannot be made.
fn apply(change: Result<Change, String>, on_change: impl Fn() + 'static, set_error: WriteSignal<Option<String>>) {
    match change {
        Ok(change) => {
            set_error.set(None);
            save_settings(change, on_change, set_error);
        }
        Err(e) => set_error.set(Some(e)),
    }
}

/// Unmatched withdrawals and deposits: a form to pair them by hand, to say what a leg was (income, an expense) or
/// what a deposit from outside cost, and the decisions made so far.
#[component]
fn TransferMatching(
    /// The report (its unmatched legs).
    dash: RwSignal<Option<Dashboard>>,
    /// Called after a change.
    on_change: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let (withdrawal, deposit) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let (error, set_error) = signal(None::<String>);
    let options = move |kind: &'static str| {
        move || {
            let legs = dash.with(|d| d.as_ref().map(|d| unmatched_legs(d, kind)).unwrap_or_default());
            legs.into_iter().map(|(id, label)| view! { <option value=id>{label}</option> }).collect_view()
        }
    };
    let pair = {
        let on_change = on_change.clone();
        move |_| apply(match_pair(withdrawal.get_untracked(), deposit.get_untracked()), on_change.clone(), set_error)
    };
    view! {
        <section class="card" data-testid="transfer-matching">
            <h2>"Unmatched transfers"</h2>
            <p class="muted">"A withdrawal and a deposit between your own accounts are a move of capital, not a sale and a purchase. "
                "Meetcrypt pairs them by Koinly's rule (same asset, within 12 hours, 80–100 % received, same transaction id); "
                "pair the others here. The difference becomes the transfer fee."</p>
            <div class="filters">
                <select aria-label="Withdrawal" data-testid="match-withdrawal" on:change=move |ev| withdrawal.set(event_target_value(&ev))>
                    <option value="">"Withdrawal…"</option>
                    {options("withdrawal")}
                </select>
                <select aria-label="Deposit" data-testid="match-deposit" on:change=move |ev| deposit.set(event_target_value(&ev))>
                    <option value="">"Deposit…"</option>
                    {options("deposit")}
                </select>
                <button data-testid="match-transfer" on:click=pair>"Match"</button>
            </div>
            <LegActions withdrawal deposit on_change=on_change.clone() set_error />
            <p class="error" role="alert" data-testid="matching-error">{move || error.get()}</p>
            <Decisions dash on_change set_error />
        </section>
    }
}

/// What the form has chosen: the legs' event ids (empty: none) and the cost typed.
#[derive(Clone, Copy)]
struct Chosen {
    withdrawal: RwSignal<String>,
    deposit: RwSignal<String>,
    cost: RwSignal<String>,
}

/// What the chosen legs were: a deposit that was income, a withdrawal that was an expense, the cost of a deposit
/// from outside.
#[component]
fn LegActions(
    withdrawal: RwSignal<String>,
    deposit: RwSignal<String>,
    on_change: impl Fn() + Clone + Send + Sync + 'static,
    set_error: WriteSignal<Option<String>>,
) -> impl IntoView {
    let chosen = Chosen { withdrawal, deposit, cost: RwSignal::new(String::new()) };
    let cost = chosen.cost;
    let on = move |change: fn(Chosen) -> Result<Change, String>| {
        let on_change = on_change.clone();
        move |_| apply(change(chosen), on_change.clone(), set_error)
    };
    view! {
        <div class="actions">
            <button class="secondary" data-testid="mark-income"
                on:click=on(|c| mark(c.deposit.get_untracked(), pnl::LegMark::Income))>"The deposit was income"</button>
            <button class="secondary" data-testid="mark-expense"
                on:click=on(|c| mark(c.withdrawal.get_untracked(), pnl::LegMark::Expense))>"The withdrawal was an expense"</button>
        </div>
        <div class="filters">
            <label for="deposit-cost">"Its cost, if it came from outside"</label>
            <input id="deposit-cost" type="text" inputmode="decimal" autocomplete="off" data-testid="deposit-cost"
                placeholder="e.g. 15000" on:input=move |ev| cost.set(event_target_value(&ev)) prop:value=cost />
            <button class="secondary" data-testid="set-deposit-cost"
                on:click=on(|c| set_cost(c.deposit.get_untracked(), &c.cost.get_untracked()))>"Set the deposit's cost"</button>
        </div>
    }
}

/// The decisions made so far ([`decisions`]), each with its Undo (or Unmatch); read again after every recompute,
/// which follows every change.
#[component]
fn Decisions(
    dash: RwSignal<Option<Dashboard>>,
    on_change: impl Fn() + Clone + Send + Sync + 'static,
    set_error: WriteSignal<Option<String>>,
) -> impl IntoView {
    view! {
        <ul class="marks">
            {move || {
                dash.track();
                let on_change = on_change.clone();
                decisions(&records::settings().unwrap_or_default()).into_iter().map(move |d| {
                    let (on_change, undo) = (on_change.clone(), d.undo.clone());
                    view! {
                        <li data-testid=d.testid>{format!("{} ", d.label)}
                            <button class="secondary" on:click=move |_| {
                                let undo = undo.clone();
                                save_settings(move |s| undo(s), on_change.clone(), set_error);
                            }>{d.button}</button>
                        </li>
                    }
                }).collect_view()
            }}
        </ul>
    }
}

/// The ledger screen.
#[component]
pub fn LedgerView(
    /// The synced data.
    data: RwSignal<Option<Data>>,
    /// The report, for transfer matching.
    dash: RwSignal<Option<Dashboard>>,
    /// Called after a change to the matches.
    on_change: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let (kind, set_kind) = signal(String::new());
    let (search, set_search) = signal(String::new());
    // read once: a rename happens in the Accounts tab, and the ledger is built anew when its tab is opened
    let names = StoredValue::new(AccountNames::stored());
    // opened from a dashboard warning: its events alone, until the user asks for every event or leaves the tab
    let focus = use_context::<super::warnings::LedgerFocus>().map(|f| f.0);
    if let Some(f) = focus {
        on_cleanup(move || {
            f.try_set(None);
        });
    }
    let rows = Memo::new(move |_| {
        let (k, q) = (kind.get(), search.get().to_lowercase());
        let only = focus.and_then(|f| f.get()).map(|(_, ids)| ids);
        names.with_value(|names| {
            data.with(|d| d.as_ref().map(|d| ledger_rows(d, &k, &q, only.as_ref(), names)).unwrap_or_default())
        })
    });
    view! {
        <super::imports::AddTransactions on_change=on_change.clone() />
        <TransferMatching dash on_change />
        <section class="card" data-testid="ledger">
            <h2 id="ledger-heading">"Ledger"</h2>
            {move || focus.and_then(|f| f.get()).map(|(what, ids)| view! {
                <p data-testid="ledger-focus">{format!("Showing the {} events of the warning \u{201c}{what}\u{201d}. ", count(ids.len()))}
                    <button data-testid="ledger-focus-clear" on:click=move |_| { if let Some(f) = focus { f.set(None) } }>"Show every event"</button></p>
            })}
            <div class="filters">
                <label for="ledger-kind" class="sr-only">"Kind"</label>
                <select id="ledger-kind" data-testid="ledger-kind" on:change=move |ev| set_kind.set(event_target_value(&ev))>
                    <option value="">"All events"</option>
                    <option value="trade">"Trades"</option>
                    <option value="income">"Income (PnL, funding, commission)"</option>
                    <option value="deposit">"Deposits"</option>
                    <option value="withdrawal">"Withdrawals"</option>
                    <option value="transfer">"Transfers"</option>
                    <option value="futures_trade">"Futures fills"</option>
                    <option value="loan">"Margin loans"</option>
                </select>
                <label for="ledger-search" class="sr-only">"Search"</label>
                <input id="ledger-search" type="search" placeholder="Search asset, account, id…" data-testid="ledger-search"
                    on:input=move |ev| set_search.set(event_target_value(&ev)) />
                <span class="muted" data-testid="ledger-count" role="status">{move || format!("{} events", count(rows.with(|r| r.len())))}</span>
            </div>
            <LedgerRows data rows names />
        </section>
    }
}

/// The events to list, newest first: their indexes in `d.events`, of kind `kind` (empty: any), among `only` if
/// given (a warning's events), whose account, description or id contains `query` (lower case; a search reads every
/// digit, as the ledger holds it).
fn ledger_rows(d: &Data, kind: &str, query: &str, only: Option<&BTreeSet<String>>, names: &AccountNames) -> Vec<usize> {
    let mut out: Vec<usize> = (0..d.events.len())
        .filter(|&i| {
            let e = &d.events[i];
            if only.is_some_and(|ids| !ids.contains(&e.id)) || (!kind.is_empty() && kind_of(e) != kind) {
                return false;
            }
            query.is_empty() || {
                let (_, text) = describe(e, &plain, names);
                format!("{} {} {}", names.wallet(e.account.as_str()), text, e.id).to_lowercase().contains(query)
            }
        })
        .collect();
    out.sort_by(|&a, &b| d.events[b].time.cmp(&d.events[a].time));
    out
}

/// The listed events as a scrolling table of which only the rows on screen are in the page (written out in the
/// user's locale and time zone). To assistive technology it is a table whose rows carry their index; the scrolling
/// body takes the keyboard's focus, so the arrow keys and Page Down scroll it.
#[component]
fn LedgerRows(data: RwSignal<Option<Data>>, rows: Memo<Vec<usize>>, names: StoredValue<AccountNames>) -> impl IntoView {
    let (scroll, set_scroll) = signal(0.0_f64);
    let visible = move || {
        let start = ((scroll.get() / ROW_PX) as usize).saturating_sub(OVERSCAN);
        let names = names.get_value();
        rows.with(|r| {
            let end = (start + VIEW_ROWS + 2 * OVERSCAN).min(r.len());
            let slice = data.with(|d| {
                let Some(d) = d else { return Vec::new() };
                let shown = r.get(start.min(r.len())..end).unwrap_or_default();
                shown
                    .iter()
                    .map(|&i| {
                        let e = &d.events[i];
                        let ((k, text), (_, full)) = (describe(e, &amount, &names), describe(e, &exact, &names));
                        (date_time(e.time), names.wallet(e.account.as_str()), k, text, full)
                    })
                    .collect::<Vec<_>>()
            });
            (start, r.len(), slice)
        })
    };
    view! {
        <div class="vtable" role="table" aria-labelledby="ledger-heading" aria-rowcount=move || rows.with(|r| r.len() + 1)>
            <div role="rowgroup">
                <div class="vrow vhead" role="row" aria-rowindex="1">
                    <span class="t" role="columnheader">"Time"</span><span class="k" role="columnheader">"Kind"</span>
                    <span class="a" role="columnheader">"Account"</span><span class="d" role="columnheader">"Details"</span>
                </div>
            </div>
            <div class="vlist" role="rowgroup" tabindex="0" aria-label="Events, newest first"
                style=format!("height: {}px", ROW_PX as usize * VIEW_ROWS)
                on:scroll=move |ev| {
                    if let Some(el) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
                        set_scroll.set(el.scroll_top() as f64);
                    }
                }>
                {move || {
                    let (start, total, slice) = visible();
                    // whole pixels, printed as integers
                    let top = (start as f64 * ROW_PX) as u64;
                    let bottom = (total.saturating_sub(start + slice.len()) as f64 * ROW_PX) as u64;
                    view! {
                        <div aria-hidden="true" style=format!("height: {top}px")></div>
                        {slice.into_iter().enumerate().map(|(n, (t, a, k, text, full))| view! {
                            <div class="vrow" role="row" data-testid="ledger-row" aria-rowindex=(start + n + 2).to_string()>
                                <span class="t" role="cell">{t}</span><span class=format!("k {k}") role="cell">{k}</span>
                                <span class="a" role="cell" data-testid="ledger-account">{a}</span>
                                <span class="d" role="cell" title=full>{text}</span>
                            </div>
                        }).collect_view()}
                        <div aria-hidden="true" style=format!("height: {bottom}px")></div>
                    }
                }}
            </div>
        </div>
    }
}
