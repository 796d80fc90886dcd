//! The dashboard: equity, PnL lines, allocation, the equity curve, PnL breakdowns, positions and warnings; an asset
//! or an account opens its drill-down in place (`drilldown.rs`).

use std::sync::Arc;

use std::collections::BTreeMap;

use ledger::{Decimal, Timestamp};
use leptos::prelude::*;
use pnl::RealizedSplit;

use leptos::task::spawn_local;
use pnl::Period;

use crate::format::{amount, count, exact, money, percent, utc_day};
use crate::records::{self, AppSettings};
use crate::report::{Dashboard, Missing, Total};
use crate::session;

use super::drilldown::{DrillDown, DrillDownView, Opener, Target, open_button};

fn sign_class(d: Decimal) -> &'static str {
    if d.is_sign_negative() && !d.is_zero() {
        "loss"
    } else if d.is_zero() {
        ""
    } else {
        "gain"
    }
}

/// What a total lacks, as the user reads it: each price, in what, from which UTC day (at most three, then a count).
pub(super) fn missing_list(missing: &[Missing], testid: String) -> impl IntoView + use<> {
    let more = missing.len().saturating_sub(3);
    view! {
        <ul class="figure-missing muted" data-testid=testid>
            {missing.iter().take(3).map(|m| view! {
                <li>{format!("no price for {} in {} from the UTC day of {}", m.asset, m.quote, utc_day(m.since))}</li>
            }).collect_view()}
            {(more > 0).then(|| view! { <li>{format!("and {more} more (see the warnings)")}</li> })}
        </ul>
    }
}

/// One headline figure: its value, or "incomplete" with what it lacks (a partial sum is never shown as a number).
#[component]
fn Figure(
    /// Caption.
    label: &'static str,
    /// Value.
    value: Total,
    /// The profit currency.
    currency: String,
    /// Test id.
    testid: &'static str,
    /// Colour by sign.
    #[prop(default = true)]
    signed: bool,
) -> impl IntoView {
    let shown = match value {
        Total::Value(value) => {
            let class = if signed { format!("figure-value {}", sign_class(value)) } else { "figure-value".into() };
            view! { <div class=class data-testid=testid data-value=value.normalize().to_string()>{money(value, &currency)}</div> }
                .into_any()
        }
        Total::Incomplete(missing) => view! {
            <div class="figure-value incomplete" data-testid=testid data-incomplete="true">"Incomplete"</div>
            {missing_list(&missing, format!("{testid}-missing"))}
        }
        .into_any(),
    };
    view! {
        <div class="figure">
            <div class="figure-label">{label}</div>
            {shown}
        </div>
    }
}

/// A table that scrolls sideways on its own when it is wider than the screen; the region takes the keyboard's
/// focus, so it scrolls with the arrow keys too.
pub(super) fn scroll_region(label: &'static str, table: impl IntoView) -> impl IntoView {
    view! { <div class="table-scroll" role="region" aria-label=label tabindex="0">{table}</div> }
}

/// A crypto amount: up to 8 decimals shown, every digit in the title (on hover).
pub(super) fn amount_cell(d: Decimal, testid: Option<&'static str>) -> impl IntoView + use<> {
    view! { <td data-testid=testid data-value=d.normalize().to_string() title=exact(d)>{amount(d)}</td> }
}

/// A breakdown's rows; with `open`, each name is a button that opens its drill-down (`open` makes the target of a
/// row's key).
fn split_rows(
    rows: &BTreeMap<String, RealizedSplit>,
    by: &'static str,
    name: &dyn Fn(&str) -> String,
    testid: &'static str,
    currency: &str,
    open: Option<Opener>,
) -> impl IntoView + use<> {
    let mut rows: Vec<_> = rows.iter().map(|(k, v)| (k.clone(), name(k), v)).collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.2.total.abs()));
    let head = move |key: String, label: String| match open {
        Some((drill, target)) => {
            open_button(drill, target(key.clone()), format!("open-{testid}-{key}"), label).into_any()
        }
        None => label.into_any(),
    };
    let m = |d: Decimal| money(d, currency);
    let table = view! {
        <table class="table" data-testid=testid>
            <thead><tr><th scope="col">{by}</th><th scope="col">"Trades"</th><th scope="col">"Fees"</th><th scope="col">"Futures"</th>
                <th scope="col">"Funding"</th><th scope="col">"Commission"</th><th scope="col">"Total"</th></tr></thead>
            <tbody>
                {rows.into_iter().take(50).map(|(key, k, s)| view! {
                    <tr>
                        <th scope="row">{head(key, k)}</th>
                        <td>{m(s.trade)}</td><td>{m(s.fee)}</td><td>{m(s.futures)}</td>
                        <td>{m(s.funding)}</td><td>{m(s.commission)}</td>
                        <td class=sign_class(s.total)>{m(s.total)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    };
    let label = match by {
        "Asset" => "PnL by asset",
        "Symbol" => "PnL by symbol",
        _ => "PnL by account",
    };
    scroll_region(label, table)
}

/// The UTC year of now.
fn this_year() -> i32 {
    js_sys::Date::new_0().get_utc_full_year() as i32
}

/// The period the dashboard's figures cover (docs/accounting.md §2, `window`): all time, a calendar year, a UK tax
/// year or any range of UTC days. A choice is saved in the settings and the dashboard recomputed.
#[component]
pub fn PeriodPicker(
    /// The settings (their `period`).
    settings: RwSignal<AppSettings>,
    /// The year of the first event (the oldest year offered).
    first_year: Option<i32>,
    /// Called after the period changed.
    on_change: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    let stored = settings.with_untracked(|s| s.period.get());
    let (choice, set_choice) = signal(match stored {
        Period::Range(..) => "range".to_string(),
        p => p.to_string(),
    });
    let (error, set_error) = signal(None::<String>);
    let on_change: OnPeriod = Arc::new(on_change);
    let on_select = {
        let on_change = on_change.clone();
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            set_choice.set(value.clone());
            if value != "range"
                && let Ok(p) = value.parse::<Period>()
            {
                save_period(settings, p, on_change.clone(), set_error);
            }
        }
    };
    view! {
        <section class="card period" data-testid="period">
            <label for="period">"Period"</label>
            <select id="period" data-testid="period-select" prop:value=move || choice.get() on:change=on_select>
                <PeriodOptions first_year />
            </select>
            <Show when=move || choice.get() == "range">
                <PeriodRange settings stored on_change=on_change.clone() set_error />
            </Show>
            <p class="error" role="alert">{move || error.get()}</p>
            <p class="muted">"PnL counts the period's events; equity and holdings are as of its end (UTC)."</p>
        </section>
    }
}

/// What runs after the period changed.
type OnPeriod = Arc<dyn Fn() + Send + Sync>;

/// Saves the chosen period in the settings record, then updates the signal and calls `on_change`; a failed write
/// is shown and changes nothing.
fn save_period(
    settings: RwSignal<AppSettings>,
    period: Period,
    on_change: OnPeriod,
    set_error: WriteSignal<Option<String>>,
) {
    set_error.set(None);
    spawn_local(async move {
        let r = session::transact(|| {
            let mut s = records::settings()?;
            s.period = records::Setting::Known(period);
            records::write(vault::RecordKind::Settings, records::ids::SETTINGS, &s)
        })
        .await;
        match r {
            Ok(()) => {
                settings.update(|s| s.period = records::Setting::Known(period));
                on_change();
            }
            Err(e) => set_error.set(Some(e.to_string())),
        }
    });
}

/// The periods offered: all time, each calendar year and UK tax year from the first event's to this one, a range.
#[component]
fn PeriodOptions(first_year: Option<i32>) -> impl IntoView {
    let last = this_year();
    let first = first_year.unwrap_or(last).min(last);
    let years: Vec<i32> = (first..=last).rev().collect();
    // a UK tax year starts on 6 April: the one in force on the first event's day may have begun the year before
    let tax_years: Vec<i32> = (first - 1..=last).rev().collect();
    view! {
        <option value="all">"All time"</option>
        {years.into_iter().map(|y| view! { <option value=format!("year:{y}")>{format!("Calendar year {y}")}</option> }).collect_view()}
        {tax_years.into_iter().map(|y| view! {
            <option value=format!("uk-tax:{y}")>{format!("UK tax year {y}/{:02} (6 April to 5 April)", (y + 1) % 100)}</option>
        }).collect_view()}
        <option value="range">"From … to … (UTC days)"</option>
    }
}

/// A range of UTC days: two date inputs (either may be empty), saved with Apply.
#[component]
fn PeriodRange(
    settings: RwSignal<AppSettings>,
    stored: Period,
    on_change: OnPeriod,
    set_error: WriteSignal<Option<String>>,
) -> impl IntoView {
    let (from, to) = match stored {
        Period::Range(f, t) => (f.map(Timestamp::date_string), t.map(Timestamp::date_string)),
        _ => (None, None),
    };
    let (from, set_from) = signal(from.unwrap_or_default());
    let (to, set_to) = signal(to.unwrap_or_default());
    let apply = move |_| match format!("range:{}:{}", from.get_untracked(), to.get_untracked()).parse::<Period>() {
        Ok(p) => save_period(settings, p, on_change.clone(), set_error),
        Err(_) => set_error.set(Some("Pick a start day before the end day (either may be left empty).".into())),
    };
    view! {
        <label for="period-from">"From"</label>
        <input id="period-from" type="date" data-testid="period-from" prop:value=move || from.get()
            on:input=move |ev| set_from.set(event_target_value(&ev)) />
        <label for="period-to">"To"</label>
        <input id="period-to" type="date" data-testid="period-to" prop:value=move || to.get()
            on:input=move |ev| set_to.set(event_target_value(&ev)) />
        <button type="button" data-testid="period-apply" on:click=apply>"Apply"</button>
    }
}

/// The report's window as the user reads it (UTC days), when it is not the whole ledger.
pub(super) fn period_text(w: pnl::Window) -> Option<String> {
    let day = |t: Option<Timestamp>, none: &str| t.map_or_else(|| none.to_string(), Timestamp::date_string);
    (w.from.is_some() || w.to.is_some())
        .then(|| format!("Period: {} to {} (UTC).", day(w.from, "the first event"), day(w.to, "the last event")))
}

/// The dashboard.
#[component]
pub fn DashboardView(
    /// What to show.
    dashboard: Dashboard,
    /// The profit currency.
    currency: String,
    /// The drill-down an asset or an account opens in place (the tracker's, which outlives a recomputed dashboard);
    /// without one, a drill-down of its own, without the synced data (no lots, disposals or units).
    #[prop(optional)]
    drill: Option<DrillDown>,
) -> impl IntoView {
    let d = Arc::new(dashboard);
    let drill = drill.unwrap_or_else(|| DrillDown::new(RwSignal::new(None), RwSignal::new(None), RwSignal::new(None)));
    move || match drill.shown() {
        Some(target) => view! { <DrillDownView d=d.clone() target drill currency=currency.clone() /> }.into_any(),
        None => dashboard_cards(d.clone(), drill, currency.clone()).into_any(),
    }
}

/// The dashboard's cards, top to bottom.
fn dashboard_cards(d: Arc<Dashboard>, drill: DrillDown, currency: String) -> impl IntoView {
    let r = &d.report;
    view! {
        <Headline d=d.clone() currency=currency.clone() />
        // grouped by cause, collapsed: a line per cause below the figures, not one per event above them
        <super::warnings::WarningsCard dashboard=(*d).clone() />
        <crate::ui::gains::ReturnsCard returns=r.returns.clone() />
        <EquityCard d=d.clone() currency=currency.clone() />
        <section class="card">
            <h2>"Realized PnL by month"</h2>
            {super::charts::monthly(&d.realized, &r.realized_by_month, &currency)}
        </section>
        <Allocation d=d.clone() currency=currency.clone() />
        <Holdings d=d.clone() drill currency=currency.clone() />
        {(!d.positions.is_empty()).then(|| view! { <Positions d=d.clone() currency=currency.clone() /> })}
        <Breakdown d drill currency />
    }
}

/// The headline figures: total equity, the last day's change, realized and unrealized PnL, funding, fees.
#[component]
fn Headline(d: Arc<Dashboard>, currency: String) -> impl IntoView {
    let r = &d.report;
    let figure = |label: &'static str, value: Total, testid: &'static str, signed: bool| {
        view! { <Figure label value currency=currency.clone() testid signed /> }
    };
    view! {
        // the balances are valued at the report time (the last event's), in UTC ms for the tests
        <section class="card" data-testid="dashboard" data-computed-in=d.computed_in.as_str()
            data-as-of=r.as_of.map(|t| t.millis().to_string()) data-currency=r.currency.clone()>
            <div class="figures">
                {figure("Total equity", d.total_equity.clone(), "total-equity", false)}
                // the curve's last two points: the change over the last UTC day
                {d.day_change.clone().map(|c| figure("Change (last UTC day)", c, "equity-change", true))}
                {figure("Realized PnL", d.realized.clone(), "realized-pnl", true)}
                {figure("Unrealized PnL", d.unrealized.clone(), "unrealized-pnl", true)}
                {figure("Funding", d.funding.clone(), "funding", true)}
                {figure("Fees", d.fees.clone(), "fees", true)}
            </div>
            <p class="muted">{format!("All values in {currency}. {} events.", count(r.events))}
                {period_text(r.settings.window).map(|t| view! { " " <span data-testid="period-shown">{t}</span> })}
                {(!r.complete).then(|| view! { <span class="badge warn">" incomplete: see warnings"</span> })}</p>
        </section>
    }
}

/// The equity curve over a range the user picks, or why it is not drawn.
#[component]
fn EquityCard(d: Arc<Dashboard>, currency: String) -> impl IntoView {
    let (range, set_range) = signal(0usize); // days; 0 = all
    let curve_view = move || {
        if !d.curve_missing.is_empty() {
            // a curve that leaves out unpriced balances would draw a wrong line: none is drawn
            return view! {
                <div data-testid="curve-incomplete">
                    <p class="muted">"The equity curve is incomplete, so it is not drawn:"</p>
                    {missing_list(&d.curve_missing, "curve-missing".into())}
                </div>
            }
            .into_any();
        }
        let curve = &d.report.equity_curve;
        let days = range.get();
        let from = if days == 0 || days >= curve.len() { 0 } else { curve.len() - days };
        view! { <super::charts::EquityChart points=curve[from..].to_vec() currency=currency.clone() /> }.into_any()
    };
    view! {
        <section class="card">
            <div class="chart-head">
                <h2>"Equity"</h2>
                <div class="range" role="group" aria-label="Range">
                    {[(7usize, "1W", "1 week"), (30, "1M", "1 month"), (90, "3M", "3 months"), (365, "1Y", "1 year"), (0, "All", "all")].into_iter().map(|(d, l, long)| view! {
                        <button class=move || if range.get() == d { "chip active" } else { "chip" } title=long
                            aria-pressed=move || (range.get() == d).to_string() on:click=move |_| set_range.set(d)>{l}</button>
                    }).collect_view()}
                </div>
            </div>
            {curve_view}
        </section>
    }
}

/// Bars of shares of a total, the largest twelve.
fn bars(items: Vec<(String, Decimal)>, total: Decimal, testid: &'static str, currency: &str) -> impl IntoView + use<> {
    let currency = currency.to_string();
    view! {
        <ul class="bars" data-testid=testid>
            {items.into_iter().take(12).map(|(name, v)| {
                let share = if total.is_zero() { Decimal::ZERO } else { v / total };
                let pct = (share * Decimal::ONE_HUNDRED).round_dp(1);
                let width = format!("width: {}%", pct.max(Decimal::ZERO).min(Decimal::ONE_HUNDRED));
                let title = name.clone();
                view! {
                    <li>
                        <span class="bar-label" title=title>{name}</span>
                        <span class="bar-track" aria-hidden="true"><span class="bar-fill" style=width></span></span>
                        <span class="bar-value">{format!("{} ({})", money(v, &currency), percent(share))}</span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// The allocation by asset and by account (their values; incomplete when a balance has no price).
#[component]
fn Allocation(d: Arc<Dashboard>, currency: String) -> impl IntoView {
    let r = &d.report;
    let mut by_asset: Vec<(String, Decimal)> =
        r.assets.iter().filter_map(|(a, p)| p.value.filter(|v| !v.is_zero()).map(|v| (a.clone(), v))).collect();
    by_asset.sort_by_key(|a| std::cmp::Reverse(a.1));
    let asset_total: Decimal = by_asset.iter().map(|a| a.1).sum();
    let mut by_account: Vec<(String, Decimal)> =
        r.accounts.iter().map(|(a, s)| (d.account_name(a), s.equity)).collect();
    by_account.sort_by_key(|a| std::cmp::Reverse(a.1));
    let account_total: Decimal = by_account.iter().map(|a| a.1).sum();
    let equity_partial = d.total_equity.value().is_none();
    let partial = move || {
        equity_partial.then(|| {
            view! { <p class="muted" data-testid="allocation-partial">"Incomplete: balances without a price are left out."</p> }
        })
    };
    view! {
        <div class="two-col">
            <section class="card"><h2>"Allocation by asset"</h2>{partial()}{bars(by_asset, asset_total, "allocation-assets", &currency)}</section>
            <section class="card"><h2>"By account"</h2>{partial()}{bars(by_account, account_total, "allocation-accounts", &currency)}</section>
        </div>
    }
}

/// Every asset held: amount, price, value, cost basis, unrealized PnL; each asset opens its drill-down.
#[component]
fn Holdings(d: Arc<Dashboard>, drill: DrillDown, currency: String) -> impl IntoView {
    let m = |v: Decimal| money(v, &currency);
    view! {
        <section class="card">
            <h2>"Holdings"</h2>
            {scroll_region("Holdings", view! {
                <table class="table" data-testid="holdings">
                    <thead><tr><th scope="col">"Asset"</th><th scope="col">"Amount"</th><th scope="col">"Price"</th><th scope="col">"Value"</th>
                        <th scope="col">"Cost basis"</th><th scope="col">"Unrealized"</th></tr></thead>
                    <tbody>
                        {d.report.assets.iter().filter(|(_, p)| !p.amount.is_zero()).map(|(a, p)| view! {
                            <tr data-asset=a.clone()>
                                <th scope="row">{open_button(drill, Target::Asset(a.clone()), format!("open-holdings-{a}"), a.clone())}</th>
                                {amount_cell(p.amount, Some("holding-amount"))}
                                <td>{p.price.map(m).unwrap_or_else(|| "no price".into())}</td>
                                <td>{p.value.map(m).unwrap_or_else(|| "—".into())}</td>
                                <td>{m(p.cost_basis)}</td>
                                <td class=p.unrealized.map(sign_class).unwrap_or("")>{p.unrealized.map(m).unwrap_or_else(|| "—".into())}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
}

/// The open futures positions, in the reporting currency at the margin asset's latest price; without one, in the
/// margin asset.
#[component]
fn Positions(d: Arc<Dashboard>, currency: String) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Open futures positions"</h2>
            {scroll_region("Open futures positions", view! {
                <table class="table" data-testid="positions">
                    <thead><tr><th scope="col">"Account"</th><th scope="col">"Symbol"</th><th scope="col">"Side"</th><th scope="col">"Size"</th>
                        <th scope="col">"Entry"</th><th scope="col">"Mark"</th><th scope="col">"Unrealized"</th></tr></thead>
                    <tbody>
                        {d.positions.iter().map(|p| view! {
                            <tr><td>{d.account_name(&p.account)}</td><th scope="row">{p.symbol.clone()}</th><td>{p.side.clone()}</td>
                                {amount_cell(p.size, None)}{amount_cell(p.entry, None)}{amount_cell(p.mark, None)}
                                <td class=sign_class(p.unrealized) data-testid="position-unrealized" data-value=p.unrealized.normalize().to_string()
                                    data-margin-asset=p.margin_asset.clone() data-currency-value=p.unrealized_value.map(|v| v.normalize().to_string())>{p.unrealized_value.map(|v| money(v, &currency)).unwrap_or_else(|| format!("{} {} (no {currency} rate)", amount(p.unrealized), p.margin_asset))}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
}

/// Realized PnL by asset, by symbol and by account; an asset or an account opens its drill-down.
#[component]
fn Breakdown(d: Arc<Dashboard>, drill: DrillDown, currency: String) -> impl IntoView {
    let r = &d.report;
    view! {
        <section class="card">
            {d.realized.value().is_none().then(|| view! {
                <p class="muted" data-testid="breakdown-partial">"Incomplete: values without a price are left out of these rows (see the warnings)."</p>
            })}
            <h2>"PnL by asset"</h2>{split_rows(&r.realized_by_asset, "Asset", &|a| a.to_string(), "pnl-by-asset", &currency, Some((drill, Target::Asset)))}
            <h2>"PnL by symbol"</h2>{split_rows(&r.realized_by_symbol, "Symbol", &|a| a.to_string(), "pnl-by-symbol", &currency, None)}
            <h2>"PnL by account"</h2>{split_rows(&r.realized_by_account, "Account", &|a| d.account_name(a), "pnl-by-account", &currency, Some((drill, Target::Account)))}
        </section>
    }
}
