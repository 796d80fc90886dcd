//! The dashboard: equity, PnL lines, allocation, the equity curve, PnL breakdowns, positions and warnings.

use std::collections::BTreeMap;

use ledger::Decimal;
use leptos::prelude::*;
use pnl::RealizedSplit;

use crate::report::{Dashboard, money, qty};

fn sign_class(d: Decimal) -> &'static str {
    if d.is_sign_negative() && !d.is_zero() {
        "loss"
    } else if d.is_zero() {
        ""
    } else {
        "gain"
    }
}

/// One headline figure.
#[component]
fn Figure(
    /// Caption.
    label: &'static str,
    /// Value.
    value: Decimal,
    /// Test id.
    testid: &'static str,
    /// Colour by sign.
    #[prop(default = true)]
    signed: bool,
) -> impl IntoView {
    let class = if signed { format!("figure-value {}", sign_class(value)) } else { "figure-value".into() };
    view! {
        <div class="figure">
            <div class="figure-label">{label}</div>
            <div class=class data-testid=testid data-value=value.normalize().to_string()>{money(value)}</div>
        </div>
    }
}

/// The equity curve as an SVG line, with the selected range.
/// A coordinate in tenths of a pixel, as SVG path text (integer formatting: no float printing in the bundle).
fn tenths(v: f64) -> String {
    let t = (v * 10.0).round() as i64;
    format!("{}{}.{}", if t < 0 { "-" } else { "" }, t.abs() / 10, t.abs() % 10)
}

fn curve_svg(points: &[(String, f64)], low: Decimal, high: Decimal) -> impl IntoView + use<> {
    let (w, h, pad) = (720.0_f64, 220.0_f64, 8.0_f64);
    if points.len() < 2 {
        return view! { <p class="muted">"Not enough history for a curve yet."</p> }.into_any();
    }
    let min = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let max = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let span = if (max - min).abs() < f64::EPSILON { 1.0 } else { max - min };
    let n = (points.len() - 1) as f64;
    let path: String = points
        .iter()
        .enumerate()
        .map(|(i, (_, v))| {
            let x = pad + (w - 2.0 * pad) * i as f64 / n;
            let y = h - pad - (h - 2.0 * pad) * (v - min) / span;
            format!("{}{},{}", if i == 0 { "M" } else { " L" }, tenths(x), tenths(y))
        })
        .collect();
    let first = points.first().map(|p| p.0.clone()).unwrap_or_default();
    let last = points.last().map(|p| p.0.clone()).unwrap_or_default();
    view! {
        <figure class="chart">
            <svg viewBox="0 0 720 220" role="img" aria-label=format!("Equity from {first} to {last}")
                data-testid="equity-curve">
                <path d=path class="curve" fill="none" />
            </svg>
            <figcaption class="muted">{format!("{first} → {last} · low {} · high {}", money(low), money(high))}</figcaption>
        </figure>
    }
    .into_any()
}

fn split_rows(
    rows: &BTreeMap<String, RealizedSplit>,
    name: &dyn Fn(&str) -> String,
    testid: &'static str,
) -> impl IntoView + use<> {
    let mut rows: Vec<_> = rows.iter().map(|(k, v)| (name(k), v)).collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.1.total.abs()));
    view! {
        <table class="table" data-testid=testid>
            <thead><tr><th>""</th><th>"Trades"</th><th>"Fees"</th><th>"Futures"</th><th>"Funding"</th><th>"Commission"</th><th>"Total"</th></tr></thead>
            <tbody>
                {rows.into_iter().take(50).map(|(k, s)| view! {
                    <tr>
                        <th scope="row">{k.clone()}</th>
                        <td>{money(s.trade)}</td><td>{money(s.fee)}</td><td>{money(s.futures)}</td>
                        <td>{money(s.funding)}</td><td>{money(s.commission)}</td>
                        <td class=sign_class(s.total)>{money(s.total)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The dashboard.
#[component]
pub fn DashboardView(
    /// What to show.
    dashboard: Dashboard,
    /// The profit currency.
    currency: String,
) -> impl IntoView {
    let r = &dashboard.report;
    let (range, set_range) = signal(0usize); // days; 0 = all
    let equities: Vec<Decimal> = r.equity_curve.iter().map(|p| p.equity).collect();
    let curve: Vec<(String, f64)> =
        r.equity_curve.iter().map(|p| (p.date.clone(), p.equity.to_string().parse::<f64>().unwrap_or(0.0))).collect();
    let fees = r.realized.fee + r.realized.commission;
    let mut allocation: Vec<(String, Decimal)> =
        r.assets.iter().filter_map(|(a, p)| p.value.filter(|v| !v.is_zero()).map(|v| (a.clone(), v))).collect();
    allocation.sort_by_key(|a| std::cmp::Reverse(a.1));
    let alloc_total: Decimal = allocation.iter().map(|a| a.1).sum();
    let mut by_account: Vec<(String, Decimal)> =
        r.accounts.iter().map(|(a, s)| (dashboard.account_name(a), s.equity)).collect();
    by_account.sort_by_key(|a| std::cmp::Reverse(a.1));
    let bar = move |items: Vec<(String, Decimal)>, total: Decimal, testid: &'static str| {
        view! {
            <ul class="bars" data-testid=testid>
                {items.into_iter().take(12).map(|(name, v)| {
                    let pct = if total.is_zero() { Decimal::ZERO } else { (v / total * Decimal::ONE_HUNDRED).round_dp(1) };
                    let width = format!("width: {}%", pct.max(Decimal::ZERO).min(Decimal::ONE_HUNDRED));
                    view! {
                        <li>
                            <span class="bar-label">{name}</span>
                            <span class="bar-track"><span class="bar-fill" style=width></span></span>
                            <span class="bar-value">{format!("{} ({pct}%)", money(v))}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
    };
    let mut missing_by_asset: BTreeMap<String, (usize, Decimal, String)> = BTreeMap::new();
    for m in &r.missing_acquisitions {
        let e = missing_by_asset.entry(m.asset.clone()).or_insert((0, Decimal::ZERO, m.time.date_string()));
        e.0 += 1;
        e.1 += m.missing;
    }
    let warnings =
        r.missing_prices.len() + r.missing_acquisitions.len() + r.transfers.unmatched.len() + r.unvalued_trades.len();
    let accounts_total: Decimal = by_account.iter().map(|a| a.1).sum();
    let curve_view = move || {
        let days = range.get();
        let from = if days == 0 || days >= curve.len() { 0 } else { curve.len() - days };
        let low = equities[from..].iter().copied().min().unwrap_or_default();
        let high = equities[from..].iter().copied().max().unwrap_or_default();
        curve_svg(&curve[from..], low, high)
    };
    view! {
        <section class="card" data-testid="dashboard" data-computed-in=dashboard.computed_in.as_str()>
            <div class="figures">
                <Figure label="Total equity" value=dashboard.total_equity testid="total-equity" signed=false />
                {dashboard.day_change.map(|c| view! { <Figure label="Change (1 day)" value=c testid="equity-change" /> })}
                <Figure label="Realized PnL" value=r.realized.total testid="realized-pnl" />
                <Figure label="Unrealized PnL" value=r.unrealized + dashboard.futures_unrealized testid="unrealized-pnl" />
                <Figure label="Funding" value=r.realized.funding testid="funding" />
                <Figure label="Fees" value=fees testid="fees" />
            </div>
            <p class="muted">{format!("All values in {currency}. {} events.", r.events)}
                {(!r.complete).then(|| view! { <span class="badge warn">" incomplete: see warnings"</span> })}</p>
        </section>
        {(warnings > 0).then(|| view! {
            <section class="card warnings" data-testid="warnings">
                <h2>"Warnings"</h2>
                <ul>
                    {r.missing_prices.iter().take(20).map(|m| view! {
                        <li data-testid="missing-price">{format!("No price for {} in {} from {} ({} valuations): affects {}. Prices come from the venues' daily klines.", m.asset, m.quote, m.time, m.count, m.affects)}</li>
                    }).collect_view()}
                    {missing_by_asset.into_iter().map(|(asset, (n, amount, first))| view! {
                        <li data-testid="missing-acquisition">{format!("{} {asset} spent in {n} disposal(s) from {first} with no recorded acquisition: their cost is taken as 0, so their PnL is overstated. Sync the account the {asset} came from, or turn on \"value deposits at market\" in Settings.", qty(amount))}</li>
                    }).collect_view()}
                    {r.transfers.unmatched.iter().take(20).map(|u| view! {
                        <li data-testid="unmatched-transfer">{format!("Unmatched {} of {} {} in {} on {}: match it in the Ledger tab, or it stays a capital flow.", u.kind, qty(u.amount), u.asset, dashboard.account_name(&u.account), u.time)}</li>
                    }).collect_view()}
                    {(!r.unvalued_trades.is_empty()).then(|| view! {
                        <li>{format!("{} trades could not be valued (no price for either asset).", r.unvalued_trades.len())}</li>
                    })}
                </ul>
            </section>
        })}
        <section class="card">
            <div class="chart-head">
                <h2>"Equity"</h2>
                <div class="range" role="group" aria-label="range">
                    {[(7usize, "1W"), (30, "1M"), (90, "3M"), (365, "1Y"), (0, "All")].into_iter().map(|(d, l)| view! {
                        <button class=move || if range.get() == d { "chip active" } else { "chip" } on:click=move |_| set_range.set(d)>{l}</button>
                    }).collect_view()}
                </div>
            </div>
            {curve_view}
        </section>
        <div class="two-col">
            <section class="card"><h2>"Allocation by asset"</h2>{bar(allocation, alloc_total, "allocation-assets")}</section>
            <section class="card"><h2>"By account"</h2>{bar(by_account, accounts_total, "allocation-accounts")}</section>
        </div>
        <section class="card">
            <h2>"Holdings"</h2>
            <table class="table" data-testid="holdings">
                <thead><tr><th>"Asset"</th><th>"Amount"</th><th>"Price"</th><th>"Value"</th><th>"Cost basis"</th><th>"Unrealized"</th></tr></thead>
                <tbody>
                    {r.assets.iter().filter(|(_, p)| !p.amount.is_zero()).map(|(a, p)| view! {
                        <tr data-asset=a.clone()>
                            <th scope="row">{a.clone()}</th>
                            <td data-testid="holding-amount">{qty(p.amount)}</td>
                            <td>{p.price.map(money).unwrap_or_else(|| "no price".into())}</td>
                            <td>{p.value.map(money).unwrap_or_else(|| "—".into())}</td>
                            <td>{money(p.cost_basis)}</td>
                            <td class=p.unrealized.map(sign_class).unwrap_or("")>{p.unrealized.map(money).unwrap_or_else(|| "—".into())}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        {(!dashboard.positions.is_empty()).then(|| view! {
            <section class="card">
                <h2>"Open futures positions"</h2>
                <table class="table" data-testid="positions">
                    <thead><tr><th>"Account"</th><th>"Symbol"</th><th>"Side"</th><th>"Size"</th><th>"Entry"</th><th>"Mark"</th><th>"Unrealized"</th></tr></thead>
                    <tbody>
                        {dashboard.positions.iter().map(|p| view! {
                            <tr><td>{dashboard.account_name(&p.account)}</td><th scope="row">{p.symbol.clone()}</th><td>{p.side.clone()}</td>
                                <td>{qty(p.size)}</td><td>{qty(p.entry)}</td><td>{qty(p.mark)}</td>
                                <td class=sign_class(p.unrealized)>{money(p.unrealized)}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        })}
        <section class="card">
            <h2>"PnL by asset"</h2>{split_rows(&r.realized_by_asset, &|a| a.to_string(), "pnl-by-asset")}
            <h2>"PnL by symbol"</h2>{split_rows(&r.realized_by_symbol, &|a| a.to_string(), "pnl-by-symbol")}
            <h2>"PnL by account"</h2>{split_rows(&r.realized_by_account, &|a| dashboard.account_name(a), "pnl-by-account")}
        </section>
    }
}
