//! The ledger: every event, newest first, filtered and searched, in a virtualized list (only the visible rows are
//! in the DOM, so 100,000+ events scroll smoothly).

use ledger::{Event, EventKind};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::report::qty;
use crate::sync::Data;

const ROW_PX: f64 = 36.0;
const VIEW_ROWS: usize = 18;
const OVERSCAN: usize = 8;

/// One event as table cells: kind, what, amount text.
pub fn describe(e: &Event) -> (&'static str, String) {
    match &e.kind {
        EventKind::Trade { spend, receive, fees, symbol } => {
            let fee = fees.iter().map(|f| format!("{} {}", qty(f.amount), f.asset)).collect::<Vec<_>>().join(", ");
            let s = format!(
                "{} {} → {} {}{}{}",
                qty(spend.amount),
                spend.asset,
                qty(receive.amount),
                receive.asset,
                symbol.as_ref().map(|s| format!(" ({s})")).unwrap_or_default(),
                if fee.is_empty() { String::new() } else { format!(" · fee {fee}") }
            );
            ("trade", s)
        }
        EventKind::Deposit { asset, amount, .. } => ("deposit", format!("{} {asset}", qty(*amount))),
        EventKind::Withdrawal { asset, amount, fee, .. } => (
            "withdrawal",
            format!("{} {asset}{}", qty(*amount), fee.map(|f| format!(" · fee {}", qty(f))).unwrap_or_default()),
        ),
        EventKind::Transfer { from_account, to_account, asset, amount } => {
            ("transfer", format!("{} {asset}: {from_account} → {to_account}", qty(*amount)))
        }
        EventKind::Income { income_type, asset, amount, symbol } => (
            "income",
            format!(
                "{:?}: {} {asset}{}",
                income_type,
                qty(*amount),
                symbol.as_ref().map(|s| format!(" ({s})")).unwrap_or_default()
            ),
        ),
    }
}

/// The ledger screen.
#[component]
pub fn LedgerView(
    /// The synced data.
    data: RwSignal<Option<Data>>,
) -> impl IntoView {
    let (kind, set_kind) = signal(String::new());
    let (search, set_search) = signal(String::new());
    let (scroll, set_scroll) = signal(0.0_f64);
    // newest first, filtered
    let rows = Memo::new(move |_| {
        let k = kind.get();
        let q = search.get().to_lowercase();
        data.with(|d| {
            let Some(d) = d else { return Vec::new() };
            let mut out: Vec<(String, String, &'static str, String)> = d
                .events
                .iter()
                .filter_map(|e| {
                    let (kd, text) = describe(e);
                    if !k.is_empty() && kd != k {
                        return None;
                    }
                    let row = (e.time.to_string(), e.account.to_string(), kd, text);
                    if !q.is_empty() && !format!("{} {} {}", row.1, row.3, e.id).to_lowercase().contains(&q) {
                        return None;
                    }
                    Some(row)
                })
                .collect();
            out.sort_by(|a, b| b.0.cmp(&a.0));
            out
        })
    });
    let visible = move || {
        let start = ((scroll.get() / ROW_PX) as usize).saturating_sub(OVERSCAN);
        rows.with(|r| {
            let end = (start + VIEW_ROWS + 2 * OVERSCAN).min(r.len());
            (start, r.len(), r.get(start.min(r.len())..end).map(|s| s.to_vec()).unwrap_or_default())
        })
    };
    view! {
        <section class="card" data-testid="ledger">
            <h2>"Ledger"</h2>
            <div class="filters">
                <label for="ledger-kind" class="sr-only">"Kind"</label>
                <select id="ledger-kind" data-testid="ledger-kind" on:change=move |ev| set_kind.set(event_target_value(&ev))>
                    <option value="">"All events"</option>
                    <option value="trade">"Trades"</option>
                    <option value="income">"Income (PnL, funding, commission)"</option>
                    <option value="deposit">"Deposits"</option>
                    <option value="withdrawal">"Withdrawals"</option>
                    <option value="transfer">"Transfers"</option>
                </select>
                <label for="ledger-search" class="sr-only">"Search"</label>
                <input id="ledger-search" type="search" placeholder="Search asset, account, id…" data-testid="ledger-search"
                    on:input=move |ev| set_search.set(event_target_value(&ev)) />
                <span class="muted" data-testid="ledger-count">{move || format!("{} events", rows.with(|r| r.len()))}</span>
            </div>
            <div class="vlist" style=format!("height: {}px", ROW_PX as usize * VIEW_ROWS)
                on:scroll=move |ev| {
                    if let Some(el) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
                        set_scroll.set(el.scroll_top() as f64);
                    }
                }>
                {move || {
                    let (start, total, slice) = visible();
                    let top = start as f64 * ROW_PX;
                    let bottom = (total.saturating_sub(start + slice.len())) as f64 * ROW_PX;
                    view! {
                        <div style=format!("height: {top}px")></div>
                        {slice.into_iter().map(|(t, a, k, text)| view! {
                            <div class="vrow" data-testid="ledger-row">
                                <span class="t">{t}</span><span class=format!("k {k}")>{k}</span>
                                <span class="a">{a}</span><span class="d">{text}</span>
                            </div>
                        }).collect_view()}
                        <div style=format!("height: {bottom}px")></div>
                    }
                }}
            </div>
        </section>
    }
}
