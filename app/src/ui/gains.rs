//! The Gains report tab: the realized gains of the dashboard's period and method, every disposal with the lots it
//! used, income by type, fees, futures and funding, and totals that add up to the dashboard's realized figure
//! (docs/accounting.md §3c); a CSV download of the same rows (`formats::gains`) and a print stylesheet
//! (`static/report.css`). Also the returns card, shown here and on the dashboard (docs/accounting.md §11).

use std::sync::Arc;

use formats::gains::{HoldingPreset, Term, category_name};
use ledger::{Decimal, Timestamp};
use leptos::prelude::*;
use leptos::task::spawn_local;
use pnl::Returns;

use crate::format::{amount, count, date_time, exact, money, percent, utc_day};
use crate::records::{AppSettings, Setting};
use crate::report::{Dashboard, Total};
use crate::sync::Data;

/// Disposals shown per page: a large report stays responsive (tens of thousands of disposals are pages, not rows).
pub const PAGE: usize = 50;

pub use crate::gains::{Gains, csv, gains_of, realized_total};

/// A rate as a percentage, or "not computable" (never 0) when the engine could not compute it.
fn rate(r: Option<Decimal>) -> (String, Option<String>) {
    match r {
        Some(r) => (percent(r), Some(r.normalize().to_string())),
        None => ("not computable".into(), None),
    }
}

/// The period's time- and money-weighted returns, each with a line that says what it measures.
#[component]
pub fn ReturnsCard(
    /// The report's returns.
    returns: Returns,
) -> impl IntoView {
    let (tw, tw_value) = rate(returns.time_weighted);
    let (mw, mw_value) = rate(returns.money_weighted);
    let tw_missing = tw_value.is_none();
    let mw_missing = mw_value.is_none();
    view! {
        <section class="card returns" data-testid="returns" aria-label="Returns">
            <h2>"Returns"</h2>
            <dl class="returns-list">
                <div>
                    <dt>"Time-weighted"</dt>
                    <dd class:muted=tw_missing data-testid="return-time-weighted" data-value=tw_value
                        data-computable=(!tw_missing).to_string()>{tw}</dd>
                    <dd class="muted">{if tw_missing {
                        "Nothing was invested on any day of the period."
                    } else {
                        "How the holdings performed, whatever was deposited or withdrawn and when: each day's change chained over the period."
                    }}</dd>
                </div>
                <div>
                    <dt>"Money-weighted (per year)"</dt>
                    <dd class:muted=mw_missing data-testid="return-money-weighted" data-value=mw_value
                        data-computable=(!mw_missing).to_string()>{mw}</dd>
                    <dd class="muted">{if mw_missing {
                        "Needs money put in and a value taken out (or held at the end) within the period."
                    } else {
                        "What your own money earned per year, deposits and withdrawals counted when they happened (internal rate of return)."
                    }}</dd>
                </div>
            </dl>
        </section>
    }
}

fn sign_class(d: Decimal) -> &'static str {
    if d.is_zero() {
        ""
    } else if d.is_sign_negative() {
        "loss"
    } else {
        "gain"
    }
}

/// A money cell with its exact value for the tests.
fn money_cell(d: Decimal, currency: &str, testid: &'static str) -> impl IntoView + use<> {
    view! { <td class=sign_class(d) data-testid=testid data-value=d.normalize().to_string() title=exact(d)>{money(d, currency)}</td> }
}

fn window_text(from: Option<Timestamp>, to: Option<Timestamp>) -> String {
    match (from, to) {
        (None, None) => "All time".into(),
        (f, t) => format!(
            "{} to {} (UTC days)",
            f.map_or_else(|| "the first event".into(), utc_day),
            t.map_or_else(|| "the last event".into(), utc_day)
        ),
    }
}

/// The report: header, totals, income, returns, then the disposals a page at a time (every page when printing).
#[component]
pub fn GainsReportView(
    /// What to show.
    gains: Gains,
    /// The holding preset (the term names).
    preset: RwSignal<HoldingPreset>,
) -> impl IntoView {
    let g = Arc::new(gains);
    // every disposal on the page while printing, else one page at a time
    let all = RwSignal::new(false);
    view! {
        <section class="card gains-report" data-testid="gains-report" data-currency=g.report.currency.clone() data-method=g.report.method.to_string()>
            <ReportHeader g=g.clone() preset all />
            <TotalsTables g=g.clone() preset />
            <IncomeByType g=g.clone() />
        </section>
        <ReturnsCard returns=g.returns.clone() />
        <Disposals g preset all />
    }
}

/// The report's header (period, method, currency, holding periods, accounts) and its actions: the holding-period
/// names, the CSV download and printing (every disposal on the page for the printout).
#[component]
fn ReportHeader(g: Arc<Gains>, preset: RwSignal<HoldingPreset>, all: RwSignal<bool>) -> impl IntoView {
    let r = &g.report;
    let accounts: Vec<String> = r.accounts.iter().map(|a| g.names.wallet(a)).collect();
    let print = move |_| {
        all.set(true);
        spawn_local(async move {
            crate::next_tick().await;
            if let Some(w) = web_sys::window() {
                let _ = w.print();
            }
            all.set(false);
        });
    };
    let (error, set_error) = signal(None::<String>);
    let download = {
        let g = g.clone();
        move |_| {
            let mut shown = (*g).clone();
            shown.report.preset = preset.get_untracked();
            if let Err(e) = super::settings::download("meetcrypt-gains.csv", "text/csv", csv(&shown).as_bytes()) {
                set_error.set(Some(e));
            }
        }
    };
    view! {
        <header class="report-header">
            <h2>"Realized gains report"</h2>
            <dl class="report-meta">
                <div><dt>"Period"</dt><dd data-testid="gains-period">{window_text(r.from, r.to)}</dd></div>
                <div><dt>"Method"</dt><dd>{r.method.to_string()}</dd></div>
                <div><dt>"Currency"</dt><dd>{r.currency.clone()}</dd></div>
                <div><dt>"Holding periods"</dt><dd>{move || { let (s, l) = preset.get().term_names(); format!("{s} / {l}, split at one year") }}</dd></div>
                <div><dt>"Accounts"</dt><dd data-testid="gains-accounts">{accounts.join(", ")}</dd></div>
            </dl>
            {(!r.complete).then(|| view! { <p class="badge warn">"Incomplete: the dashboard's warnings say what is missing."</p> })}
        </header>
        <div class="report-actions no-print">
            <label for="holding-preset">"Holding periods"</label>
            <select id="holding-preset" data-testid="holding-preset"
                prop:value=move || preset.get().as_str()
                on:change=move |ev| if let Ok(p) = event_target_value(&ev).parse() { preset.set(p) }>
                <option value="one-year">"Short / long term (one year)"</option>
                <option value="tax-free-after-one-year">"Taxable / tax-free after one year"</option>
            </select>
            <button type="button" data-testid="gains-download" on:click=download>"Download CSV"</button>
            <button type="button" data-testid="gains-print" on:click=print>"Print"</button>
            <p class="error" role="alert">{move || error.get()}</p>
        </div>
    }
}

/// The realized figure's cell: the number, or "Incomplete" with the prices it lacks.
fn realized_cell(realized: &Total, currency: &str) -> AnyView {
    match realized {
        Total::Value(v) => view! {
            <td class=sign_class(*v) data-testid="gains-realized" data-value=v.normalize().to_string()>{money(*v, currency)}</td>
        }
        .into_any(),
        Total::Incomplete(missing) => view! {
            <td data-testid="gains-realized" data-incomplete="true">
                <span class="incomplete">"Incomplete"</span>
                <ul class="figure-missing muted" data-testid="gains-realized-missing">
                    {missing.iter().map(|x| view! {
                        <li>{format!("no price for {} in {} from the UTC day of {}", x.asset, x.quote, utc_day(x.since))}</li>
                    }).collect_view()}
                </ul>
            </td>
        }
        .into_any(),
    }
}

/// The totals: each realized line (from the disposals, without lots, in all) adding up to the realized PnL, and the
/// trades' proceeds, cost and holding periods.
#[component]
fn TotalsTables(g: Arc<Gains>, preset: RwSignal<HoldingPreset>) -> impl IntoView {
    let (r, t) = (&g.report, &g.report.totals);
    let c = r.currency.clone();
    let line_row = |label: &'static str, key: &'static str, l: &formats::gains::Line| {
        view! {
            <tr data-line=key>
                <th scope="row">{label}</th>
                {money_cell(l.from_disposals, &c, "line-from-disposals")}
                {money_cell(l.without_lots, &c, "line-without-lots")}
                {money_cell(l.total, &c, "line-total")}
            </tr>
        }
    };
    let term_rows = {
        let (short_term, long_term, method, c) = (t.short_term, t.long_term, r.method, c.clone());
        move || {
            let (short, long) = preset.get().term_names();
            match (short_term, long_term) {
                (Some(s), Some(l)) => view! {
                    <tr><th scope="row">{format!("Trades, {short} (held one year or less)")}</th>
                        <td data-testid="term-short" data-value=s.normalize().to_string()>{money(s, &c)}</td></tr>
                    <tr><th scope="row">{format!("Trades, {long} (held more than one year)")}</th>
                        <td data-testid="term-long" data-value=l.normalize().to_string()>{money(l, &c)}</td></tr>
                }
                .into_any(),
                _ => view! {
                    <tr><th scope="row">"Holding periods"</th>
                        <td data-testid="term-none">{format!("none under {method}: a pooled cost has no single acquisition date")}</td></tr>
                }
                .into_any(),
            }
        }
    };
    view! {
        <h3>"Totals"</h3>
        <div class="table-scroll" role="region" aria-label="Totals" tabindex="0">
            <table class="table" data-testid="gains-totals">
                <thead><tr><th scope="col">"Line"</th><th scope="col">"From the disposals below"</th>
                    <th scope="col">"Without lots"</th><th scope="col">"Total"</th></tr></thead>
                <tbody>
                    {line_row("Trades", "trade", &t.trade)}
                    {line_row("Fees", "fee", &t.fee)}
                    {line_row("Futures realized PnL", "futures", &t.futures)}
                    {line_row("Funding", "funding", &t.funding)}
                    {line_row("Futures commission", "commission", &t.commission)}
                    {line_row("Other income (interest, rewards, rebates)", "other", &t.other)}
                    <tr class="total"><th scope="row">"Realized PnL"</th><td></td><td></td>{realized_cell(&g.realized, &c)}</tr>
                </tbody>
            </table>
        </div>
        <p class="muted">"“Without lots”: income and fees received or paid in the reporting currency, and swaps between two assets counted as it, which use no lots. The realized PnL is the dashboard's for the same period and method."</p>
        <div class="table-scroll" role="region" aria-label="Trades by holding period" tabindex="0">
            <table class="table" data-testid="gains-terms">
                <tbody>
                    <tr><th scope="row">"Trade proceeds"</th><td data-testid="trade-proceeds" data-value=t.proceeds.to_string()>{money(t.proceeds, &c)}</td></tr>
                    <tr><th scope="row">"Trade cost"</th><td data-testid="trade-cost" data-value=t.cost.to_string()>{money(t.cost, &c)}</td></tr>
                    {term_rows}
                </tbody>
            </table>
        </div>
    }
}

/// The period's income events by type, with their amounts (their value is on the totals' lines).
#[component]
fn IncomeByType(g: Arc<Gains>) -> impl IntoView {
    let income = &g.report.income;
    view! {
        <h3>"Income by type"</h3>
        {if income.is_empty() {
            view! { <p class="muted" data-testid="gains-income-none">"No income in the period."</p> }.into_any()
        } else {
            view! {
                <div class="table-scroll" role="region" aria-label="Income by type" tabindex="0">
                <table class="table" data-testid="gains-income">
                    <thead><tr><th scope="col">"Type"</th><th scope="col">"Events"</th><th scope="col">"Amounts"</th></tr></thead>
                    <tbody>
                        {income.iter().map(|c| view! {
                            <tr data-type=c.income_type><th scope="row">{c.income_type.replace('_', " ")}</th><td>{count(c.events)}</td>
                                <td>{c.amounts.iter().map(|(a, v)| format!("{} {a}", amount(*v))).collect::<Vec<_>>().join(", ")}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
                </div>
            }.into_any()
        }}
        <p class="muted">"Their value in the reporting currency is on the lines above (futures, funding, commission, other)."</p>
    }
}

/// The disposals, a page at a time (every one while `all`), each with the lots it used.
#[component]
fn Disposals(g: Arc<Gains>, preset: RwSignal<HoldingPreset>, all: RwSignal<bool>) -> impl IntoView {
    let n = g.report.disposals.len();
    let pages = n.div_ceil(PAGE).max(1);
    let (page, set_page) = signal(0usize);
    let rows = move || {
        let (start, end) = if all.get() {
            (0, n)
        } else {
            let p = page.get().min(pages - 1);
            (p * PAGE, ((p + 1) * PAGE).min(n))
        };
        let preset = preset.get();
        g.report.disposals[start..end].iter().map(|x| disposal_rows(x, &g, preset)).collect_view()
    };
    view! {
        <section class="card gains-disposals">
            <h3>{format!("Disposals ({})", count(n))}</h3>
            <nav class="pager no-print" aria-label="Disposal pages" data-testid="gains-pager">
                <button type="button" data-testid="gains-prev" disabled=move || page.get() == 0
                    on:click=move |_| set_page.update(|p| *p = p.saturating_sub(1))>"Previous"</button>
                <span data-testid="gains-page">{move || {
                    let p = page.get().min(pages - 1);
                    if n == 0 { "No disposals".to_string() } else {
                        format!("{}–{} of {}", count(p * PAGE + 1), count(((p + 1) * PAGE).min(n)), count(n))
                    }
                }}</span>
                <button type="button" data-testid="gains-next" disabled=move || { page.get() + 1 >= pages }
                    on:click=move |_| set_page.update(|p| *p = (*p + 1).min(pages - 1))>"Next"</button>
            </nav>
            {disposal_table("Disposals", "gains-disposals", rows)}
        </section>
    }
}

/// The disposals' table (its head, then `rows`: each [`disposal_rows`]), scrolling sideways on a narrow screen.
pub fn disposal_table(label: &'static str, testid: &'static str, rows: impl IntoView) -> impl IntoView {
    view! {
        <div class="table-scroll" role="region" aria-label=label tabindex="0">
            <table class="table gains-table" data-testid=testid>
                <thead><tr><th scope="col">"Disposed"</th><th scope="col">"What"</th><th scope="col">"Account"</th>
                    <th scope="col">"Amount"</th><th scope="col">"Proceeds"</th><th scope="col">"Fees"</th><th scope="col">"Cost"</th>
                    <th scope="col">"Gain"</th><th scope="col">"Held"</th><th scope="col">"Term"</th></tr></thead>
                {rows}
            </table>
        </div>
    }
}

/// One disposal's rows: the disposal, then each lot it used (acquired when and where, units, cost, days held,
/// term), then the units no acquisition was recorded for.
pub fn disposal_rows(x: &formats::gains::DisposalRow, g: &Gains, preset: HoldingPreset) -> impl IntoView + use<> {
    let c = g.report.currency.as_str();
    let lots = x.lots.iter().map(|l| {
        let acquired_in = l.account.as_deref().map_or_else(|| "pooled".to_string(), |a| g.names.wallet(a));
        view! {
            <tr class="lot" data-testid="gains-lot">
                <td></td>
                <td>{if l.term == Term::Pooled { "pooled cost".to_string() } else { format!("acquired {}", date_time(l.acquired)) }}</td>
                <td>{acquired_in}</td>
                <td data-value=l.amount.to_string() title=exact(l.amount)>{amount(l.amount)}</td>
                <td></td><td></td>
                <td data-testid="lot-cost" data-value=l.cost.to_string()>{money(l.cost, c)}</td>
                <td></td>
                <td>{if l.term == Term::Pooled { "—".to_string() } else { format!("{} days", count(l.held_days.max(0) as usize)) }}</td>
                <td>{preset.name(l.term)}</td>
            </tr>
        }
    }).collect_view();
    let missing = (x.missing > Decimal::ZERO).then(|| {
        view! {
            <tr class="lot" data-testid="gains-lot-missing">
                <td></td><td>"no acquisition recorded"</td><td>"—"</td>
                <td title=exact(x.missing)>{amount(x.missing)}</td><td></td><td></td><td>{money(Decimal::ZERO, c)}</td>
                <td></td><td>"unknown"</td><td>{preset.name(Term::Short)}</td>
            </tr>
        }
    });
    view! {
        <tbody class="disposal" data-testid="gains-disposal" data-event=x.event.clone()>
            <tr>
                <th scope="row">{date_time(x.time)}</th>
                <td>{format!("{} ({})", x.asset, category_name(x.category))}</td>
                <td>{g.names.wallet(&x.account)}</td>
                <td data-value=x.amount.to_string() title=exact(x.amount)>{amount(x.amount)}</td>
                {money_cell(x.proceeds, c, "disposal-proceeds")}
                <td>{x.fees.clone()}</td>
                {money_cell(x.cost, c, "disposal-cost")}
                {money_cell(x.gain, c, "disposal-gain")}
                <td></td>
                <td>{preset.name(x.term)}</td>
            </tr>
            {lots}
            {missing}
        </tbody>
    }
}

pub use crate::tracker::GainsCache;

/// The Gains tab: computes the report of the dashboard's settings from the same data (on this thread, once per
/// dashboard version: the worker's report leaves the disposals behind), keeps it in `cache`, and shows it. The
/// holding-period names the user picks are saved with the settings.
#[component]
pub fn GainsTab(
    /// The synced data.
    data: RwSignal<Option<Data>>,
    /// The dashboard (its settings: period, method, currency).
    dash: RwSignal<Option<Dashboard>>,
    /// The settings (their `holding_preset`, read and saved here).
    settings: RwSignal<AppSettings>,
    /// The report of the latest dashboard version computed, across visits to the tab.
    cache: GainsCache,
) -> impl IntoView {
    let preset = RwSignal::new(settings.with_untracked(|s| s.holding_preset.get()));
    let (error, set_error) = signal(None::<String>);
    // the user's choice is saved; a choice another tab saved is followed here
    Effect::new(move |before: Option<HoldingPreset>| {
        let p = preset.get();
        if before.is_some_and(|b| b != p) && settings.with_untracked(|s| s.holding_preset.get()) != p {
            save_preset(settings, p, set_error);
        }
        p
    });
    Effect::new(move |_| {
        let stored = settings.with(|s| s.holding_preset.get());
        if preset.get_untracked() != stored {
            preset.set(stored);
        }
    });
    let shown = follow_gains(data, dash, cache);
    view! {
        <p class="error" role="alert">{move || error.get()}</p>
        {move || match shown() {
            Some(g) => view! { <GainsReportView gains=g preset /> }.into_any(),
            None => view! {
                <section class="card" data-testid="gains-computing"><p class="muted">{move || {
                    if data.with(|d| d.is_none()) { "No data yet: sync or unlock first." } else { "Computing the report…" }
                }}</p></section>
            }
            .into_any(),
        }}
    }
}

/// Keeps `cache` holding the Gains report of the dashboard `dash` shows: computed on this thread once per dashboard
/// version, after the page painted (the Gains tab and the drill-down share it). Returns the report of the version
/// shown, once computed.
pub fn follow_gains(
    data: RwSignal<Option<Data>>,
    dash: RwSignal<Option<Dashboard>>,
    cache: GainsCache,
) -> impl Fn() -> Option<Gains> + Copy + Send + Sync + 'static {
    let version = move || dash.with(|d| d.as_ref().map(|d| d.version));
    Effect::new(move |_| {
        let (Some(v), true) = (version(), data.with(Option::is_some)) else { return };
        if cache.with_untracked(|c| c.as_ref().is_some_and(|(k, _)| *k == v)) {
            return;
        }
        spawn_local(async move {
            // let the screen paint "Computing…" first
            crate::next_tick().await;
            let current = || dash.with_untracked(|d| d.as_ref().map(|d| d.version)) == Some(v);
            if !current() {
                return;
            }
            let g = data.with_untracked(|d| {
                dash.with_untracked(|s| match (d, s) {
                    (Some(d), Some(s)) => Some(gains_of(d, s, HoldingPreset::default())),
                    _ => None,
                })
            });
            // a newer dashboard that came meanwhile has a computation of its own
            if let Some(g) = g.filter(|_| current()) {
                cache.set(Some((v, g)));
            }
        });
    });
    move || {
        let v = version()?;
        cache.with(|c| c.as_ref().filter(|(k, _)| *k == v).map(|(_, g)| g.clone()))
    }
}

/// Saves the holding-period names with the settings (the vault's settings record).
fn save_preset(settings: RwSignal<AppSettings>, preset: HoldingPreset, error: WriteSignal<Option<String>>) {
    error.set(None);
    spawn_local(async move {
        let saved = crate::session::transact(|| {
            let mut s = crate::records::settings()?;
            s.holding_preset = Setting::Known(preset);
            crate::records::write(vault::RecordKind::Settings, crate::records::ids::SETTINGS, &s)
        })
        .await;
        match saved {
            Ok(()) => settings.update(|s| s.holding_preset = Setting::Known(preset)),
            Err(e) => error.set(Some(format!("The holding periods could not be saved: {e}"))),
        }
    });
}
