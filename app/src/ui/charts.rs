//! The dashboard's equity chart: SVG with a value axis and date axis, the value of the day under the pointer (mouse,
//! pen or touch), markers on the days with deposits or withdrawals, and a table of month ends as its text
//! alternative. No chart library: a path, a few lines and labels. Amounts stay decimals until the last step, where
//! they become coordinates (ARCHITECTURE.md, "amounts are decimals"; charts may convert at the last step).

use ledger::Decimal;
use leptos::prelude::*;
use pnl::EquityPoint;

use crate::format::{money, utc_date};

const W: f64 = 720.0;
const H: f64 = 260.0;
/// Room for the value labels on the left and the dates below.
const LEFT: f64 = 86.0;
const RIGHT: f64 = 10.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 28.0;

fn f(d: Decimal) -> f64 {
    d.to_string().parse::<f64>().unwrap_or(0.0)
}

/// A coordinate in tenths of a pixel (integer formatting, no float printing in the bundle).
fn tenths(v: f64) -> String {
    let t = (v * 10.0).round() as i64;
    format!("{}{}.{}", if t < 0 { "-" } else { "" }, t.abs() / 10, t.abs() % 10)
}

/// The month ends of a curve (and its last day), with the month's deposits and withdrawals: the table under the
/// chart.
fn month_rows(points: &[EquityPoint]) -> Vec<(String, Decimal, Decimal, Decimal)> {
    let mut rows: Vec<(String, Decimal, Decimal, Decimal)> = Vec::new();
    for p in points {
        let month = &p.date[..7.min(p.date.len())];
        match rows.last_mut() {
            Some(r) if r.0.starts_with(month) => {
                r.0 = p.date.clone();
                r.1 = p.equity;
                r.2 += p.inflow;
                r.3 += p.outflow;
            }
            _ => rows.push((p.date.clone(), p.equity, p.inflow, p.outflow)),
        }
    }
    rows
}

/// The equity curve of `points` (UTC days) in `currency`.
#[component]
pub fn EquityChart(
    /// The days shown.
    points: Vec<EquityPoint>,
    /// The reporting currency.
    currency: String,
) -> impl IntoView {
    if points.len() < 2 {
        return view! { <p class="muted">"Not enough history for a curve yet."</p> }.into_any();
    }
    let plot = Plot::of(&points);
    let (low, high) = (plot.low, plot.high);
    let path: String = points
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{}{},{}", if i == 0 { "M" } else { " L" }, tenths(plot.x(i)), tenths(plot.y(p.equity))))
        .collect();
    // value axis: low, middle, high; date axis: first, middle, last day
    let y_labels = [low, (low + high) / Decimal::TWO, high].map(|v| (tenths(plot.y(v)), money(v, &currency)));
    let last = points.len() - 1;
    let x_labels = [(0, "start"), (last / 2, "middle"), (last, "end")]
        .map(|(i, anchor)| (tenths(plot.x(i)), utc_date(&points[i].date), anchor));
    let markers = flow_markers(&points, &plot, &currency);
    let deposits = markers.iter().filter(|m| m.deposit).count();
    let withdrawals = markers.len() - deposits;
    // the day under the pointer
    let (hover, set_hover) = signal(None::<usize>);
    let svg = NodeRef::<leptos::svg::Svg>::new();
    let pick = move |client_x: f64| {
        if let Some(i) = svg.get_untracked().and_then(|el| plot.day_at(&el, client_x)) {
            set_hover.set(Some(i));
        }
    };
    let (pts, cur) = (points.clone(), currency.clone());
    let readout = move || hover.get().map(|i| day_text(&pts[i], &cur));
    let cursor = move || {
        hover.get().map(|i| {
            let x = tenths(plot.x(i));
            view! { <line class="chart-cursor" x1=x.clone() x2=x y1=tenths(TOP) y2=tenths(H - BOTTOM) /> }
        })
    };
    let label = format!(
        "Equity at the end of each UTC day from {} to {}, between {} and {}; {deposits} days with deposits, {withdrawals} with withdrawals. The table below lists each month's end.",
        utc_date(&points[0].date),
        utc_date(&points[last].date),
        money(low, &currency),
        money(high, &currency)
    );
    view! {
        <figure class="chart equity-chart">
            <svg viewBox="0 0 720 260" role="img" aria-label=label data-testid="equity-curve" node_ref=svg
                data-deposits=deposits.to_string() data-withdrawals=withdrawals.to_string()
                on:pointermove=move |ev: leptos::ev::PointerEvent| pick(ev.client_x() as f64)
                on:pointerdown=move |ev: leptos::ev::PointerEvent| pick(ev.client_x() as f64)
                on:pointerleave=move |_| set_hover.set(None)>
                <g class="chart-axis" aria-hidden="true">
                    {y_labels.into_iter().map(|(y, text)| view! {
                        <line class="chart-grid" x1=tenths(LEFT) x2=tenths(W - RIGHT) y1=y.clone() y2=y.clone() />
                        <text x=tenths(LEFT - 6.0) y=y text-anchor="end" dominant-baseline="middle">{text}</text>
                    }).collect_view()}
                    {x_labels.into_iter().map(|(x, text, anchor)| view! {
                        <text x=x y=tenths(H - 8.0) text-anchor=anchor>{text}</text>
                    }).collect_view()}
                </g>
                <path d=path class="curve" fill="none" />
                {markers.into_iter().map(|m| view! {
                    <path d=m.path class=m.class data-testid="flow-marker"><title>{m.title}</title></path>
                }).collect_view()}
                {cursor}
            </svg>
            <figcaption>
                <p class="muted chart-readout" aria-live="polite" data-testid="equity-readout">
                    {move || readout().unwrap_or_else(|| "Point at (or touch) the chart for a day's value. ▲ deposit, ▼ withdrawal.".into())}
                </p>
                <EquityTable points currency />
            </figcaption>
        </figure>
    }
    .into_any()
}

/// Where the equity chart draws a day and a value: the days spread over the width, the values between the lowest
/// and the highest over the height.
#[derive(Clone, Copy)]
struct Plot {
    low: Decimal,
    high: Decimal,
    /// The last day's index (the number of gaps between days), at least 1.
    n: f64,
    min: f64,
    span: f64,
}

impl Plot {
    fn of(points: &[EquityPoint]) -> Plot {
        let low = points.iter().map(|p| p.equity).min().unwrap_or_default();
        let high = points.iter().map(|p| p.equity).max().unwrap_or_default();
        let (min, max) = (f(low), f(high));
        let span = if (max - min).abs() < f64::EPSILON { 1.0 } else { max - min };
        Plot { low, high, n: (points.len().max(2) - 1) as f64, min, span }
    }

    /// The x of day `i` in the view box.
    fn x(self, i: usize) -> f64 {
        LEFT + (W - LEFT - RIGHT) * i as f64 / self.n
    }

    /// The y of a value in the view box.
    fn y(self, v: Decimal) -> f64 {
        H - BOTTOM - (H - TOP - BOTTOM) * (f(v) - self.min) / self.span
    }

    /// The day nearest the page's x `client_x` over the chart `el`, if it has a size.
    fn day_at(self, el: &web_sys::SvgElement, client_x: f64) -> Option<usize> {
        let vx = view_x(el, client_x)?;
        // the nearest day
        let i = ((vx - LEFT) / (W - LEFT - RIGHT) * self.n).round();
        Some(i.clamp(0.0, self.n) as usize)
    }
}

/// The page's x `client_x` as an x of the chart `el`'s view box, if the chart has a size.
fn view_x(el: &web_sys::SvgElement, client_x: f64) -> Option<f64> {
    // getBoundingClientRect through Reflect: no web-sys feature (and rebuild) for one call
    let get = |o: &wasm_bindgen::JsValue, k: &str| js_sys::Reflect::get(o, &k.into()).ok();
    let rect = get(el, "getBoundingClientRect")
        .and_then(|f| wasm_bindgen::JsCast::dyn_into::<js_sys::Function>(f).ok())
        .and_then(|f| f.call0(el).ok())?;
    let left = get(&rect, "left").and_then(|v| v.as_f64())?;
    let width = get(&rect, "width").and_then(|v| v.as_f64()).filter(|w| *w > 0.0)?;
    Some((client_x - left) * W / width)
}

/// A deposit (a triangle up under the curve) or withdrawal (down, above it) on a day of the curve.
struct Marker {
    path: String,
    class: &'static str,
    deposit: bool,
    title: String,
}

/// The deposits and withdrawals of each day, placed on the curve.
fn flow_markers(points: &[EquityPoint], plot: &Plot, currency: &str) -> Vec<Marker> {
    let mut out = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let (x, y, day) = (plot.x(i), plot.y(p.equity), utc_date(&p.date));
        if p.inflow > Decimal::ZERO {
            let path = format!("M{},{} l-5,9 h10 z", tenths(x), tenths(y + 3.0));
            let title = format!("{day}: deposited {}", money(p.inflow, currency));
            out.push(Marker { path, class: "marker deposit", deposit: true, title });
        }
        if p.outflow > Decimal::ZERO {
            let path = format!("M{},{} l-5,-9 h10 z", tenths(x), tenths(y - 3.0));
            let title = format!("{day}: withdrew {}", money(p.outflow, currency));
            out.push(Marker { path, class: "marker withdrawal", deposit: false, title });
        }
    }
    out
}

/// A day of the curve in words: its equity, and what was deposited or withdrawn.
fn day_text(p: &EquityPoint, currency: &str) -> String {
    let mut text = format!("{}: {}", utc_date(&p.date), money(p.equity, currency));
    if p.inflow > Decimal::ZERO {
        text.push_str(&format!(" · deposited {}", money(p.inflow, currency)));
    }
    if p.outflow > Decimal::ZERO {
        text.push_str(&format!(" · withdrew {}", money(p.outflow, currency)));
    }
    text
}

/// The chart's text alternative: the equity at each month's end, with the month's deposits and withdrawals.
#[component]
fn EquityTable(points: Vec<EquityPoint>, currency: String) -> impl IntoView {
    view! {
        <details>
            <summary>"Table of the values (end of each month, UTC)"</summary>
            <div class="table-scroll" role="region" aria-label="Equity by month" tabindex="0">
                <table class="table" data-testid="equity-table">
                    <thead><tr><th scope="col">"Day"</th><th scope="col">"Equity"</th><th scope="col">"Deposited"</th><th scope="col">"Withdrawn"</th></tr></thead>
                    <tbody>
                        {month_rows(&points).into_iter().map(|(day, equity, inflow, outflow)| view! {
                            <tr><th scope="row">{utc_date(&day)}</th><td data-value=equity.normalize().to_string()>{money(equity, &currency)}</td>
                                <td>{money(inflow, &currency)}</td><td>{money(outflow, &currency)}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </details>
    }
}

/// Realized PnL by UTC month as bars above (gain) or below (loss) a zero line, with the month under the pointer
/// and a table of the months as its text alternative.
#[component]
pub fn MonthlyPnlChart(
    /// `(YYYY-MM, realized)` in month order (the report's `realized_by_month`).
    months: Vec<(String, Decimal)>,
    /// The reporting currency.
    currency: String,
) -> impl IntoView {
    if months.is_empty() {
        return view! { <p class="muted" data-testid="monthly-pnl-none">"No realized PnL in the period."</p> }
            .into_any();
    }
    let scale = MonthScale::of(&months);
    let bars = month_bars(&months, &scale, &currency);
    let (hover, set_hover) = signal(None::<usize>);
    let svg = NodeRef::<leptos::svg::Svg>::new();
    let pick = move |client_x: f64| {
        if let Some(i) = svg.get_untracked().and_then(|el| scale.month_at(&el, client_x)) {
            set_hover.set(Some(i));
        }
    };
    let titles: Vec<String> = bars.iter().map(|b| b.title.clone()).collect();
    let label = format!(
        "Realized PnL by month from {} to {}, between {} and {}. The table below lists each month.",
        months[0].0,
        months[months.len() - 1].0,
        money(scale.low, &currency),
        money(scale.high, &currency)
    );
    view! {
        <figure class="chart monthly-chart">
            <svg viewBox="0 0 720 260" role="img" aria-label=label data-testid="monthly-pnl" node_ref=svg
                on:pointermove=move |ev: leptos::ev::PointerEvent| pick(ev.client_x() as f64)
                on:pointerdown=move |ev: leptos::ev::PointerEvent| pick(ev.client_x() as f64)
                on:pointerleave=move |_| set_hover.set(None)>
                {month_axes(&months, scale, &currency)}
                {bars.into_iter().map(|b| view! {
                    <rect x=b.x y=b.y width=b.width height=b.height class=b.class data-testid="month-bar"><title>{b.title}</title></rect>
                }).collect_view()}
            </svg>
            <figcaption>
                <p class="muted chart-readout" aria-live="polite" data-testid="monthly-readout">
                    {move || hover.get().map(|i| titles[i].clone()).unwrap_or_else(|| "Point at (or touch) a month for its realized PnL.".into())}
                </p>
                <MonthlyTable months currency />
            </figcaption>
        </figure>
    }
    .into_any()
}

/// Where the monthly chart draws a month and a value: a slot per month over the width, the values from the lowest
/// (at most zero) to the highest (at least zero) over the height.
#[derive(Clone, Copy)]
struct MonthScale {
    low: Decimal,
    high: Decimal,
    min: f64,
    span: f64,
    /// The width of a month's slot.
    slot: f64,
    count: usize,
}

impl MonthScale {
    fn of(months: &[(String, Decimal)]) -> MonthScale {
        let high = months.iter().map(|m| m.1).max().unwrap_or_default().max(Decimal::ZERO);
        let low = months.iter().map(|m| m.1).min().unwrap_or_default().min(Decimal::ZERO);
        let (min, max) = (f(low), f(high));
        let span = if (max - min).abs() < f64::EPSILON { 1.0 } else { max - min };
        MonthScale { low, high, min, span, slot: (W - LEFT - RIGHT) / months.len() as f64, count: months.len() }
    }

    /// The y of a value in the view box.
    fn y(self, v: f64) -> f64 {
        H - BOTTOM - (H - TOP - BOTTOM) * (v - self.min) / self.span
    }

    /// The month under the page's x `client_x` over the chart `el`, if it has a size.
    fn month_at(self, el: &web_sys::SvgElement, client_x: f64) -> Option<usize> {
        let vx = view_x(el, client_x)?;
        let i = ((vx - LEFT) / self.slot).floor();
        Some(i.clamp(0.0, (self.count - 1) as f64) as usize)
    }
}

/// A month's bar: its rectangle in the view box (tenths of a pixel), its class (gain or loss) and its title.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bar {
    /// Left edge.
    pub x: String,
    /// Top edge.
    pub y: String,
    /// Width.
    pub width: String,
    /// Height.
    pub height: String,
    /// `bar gain-bar` or `bar loss-bar`.
    pub class: &'static str,
    /// `YYYY-MM: amount`.
    pub title: String,
}

/// The bars of `(YYYY-MM, realized)` months: from the zero line up for a gain, down for a loss (at least half a
/// pixel high, so that a month of zero shows).
pub fn monthly_bars(months: &[(String, Decimal)], currency: &str) -> Vec<Bar> {
    if months.is_empty() {
        return Vec::new();
    }
    month_bars(months, &MonthScale::of(months), currency)
}

fn month_bars(months: &[(String, Decimal)], scale: &MonthScale, currency: &str) -> Vec<Bar> {
    let zero = scale.y(0.0);
    months
        .iter()
        .enumerate()
        .map(|(i, (m, v))| {
            let x = LEFT + scale.slot * i as f64 + scale.slot * 0.15;
            let y = scale.y(f(*v));
            let (top, height) = if y < zero { (y, zero - y) } else { (zero, y - zero) };
            // `YYYY-MM`: a UTC month, written the same in every locale
            Bar {
                x: tenths(x),
                y: tenths(top),
                width: tenths(scale.slot * 0.7),
                height: tenths(height.max(0.5)),
                class: if v.is_sign_negative() && !v.is_zero() { "bar loss-bar" } else { "bar gain-bar" },
                title: format!("{m}: {}", money(*v, currency)),
            }
        })
        .collect()
}

/// The monthly chart's axes: the lowest and highest values, the first and last months, the zero line.
fn month_axes(months: &[(String, Decimal)], scale: MonthScale, currency: &str) -> impl IntoView + use<> {
    let y_labels = [scale.low, scale.high].map(|v| (tenths(scale.y(f(v))), money(v, currency)));
    let last = months.len() - 1;
    let x_labels: Vec<(String, String, &'static str)> = if last == 0 {
        vec![(tenths(LEFT + scale.slot / 2.0), months[0].0.clone(), "middle")]
    } else {
        vec![(tenths(LEFT), months[0].0.clone(), "start"), (tenths(W - RIGHT), months[last].0.clone(), "end")]
    };
    let zero = tenths(scale.y(0.0));
    view! {
        <g class="chart-axis" aria-hidden="true">
            {y_labels.into_iter().map(|(y, text)| view! {
                <text x=tenths(LEFT - 6.0) y=y text-anchor="end" dominant-baseline="middle">{text}</text>
            }).collect_view()}
            {x_labels.into_iter().map(|(x, text, anchor)| view! {
                <text x=x y=tenths(H - 8.0) text-anchor=anchor>{text}</text>
            }).collect_view()}
            <line class="chart-grid" x1=tenths(LEFT) x2=tenths(W - RIGHT) y1=zero.clone() y2=zero />
        </g>
    }
}

/// The monthly chart's text alternative: each month's realized PnL.
#[component]
fn MonthlyTable(months: Vec<(String, Decimal)>, currency: String) -> impl IntoView {
    view! {
        <details>
            <summary>"Table of the months"</summary>
            <div class="table-scroll" role="region" aria-label="Realized PnL by month" tabindex="0">
                <table class="table" data-testid="monthly-table">
                    <thead><tr><th scope="col">"Month (UTC)"</th><th scope="col">"Realized PnL"</th></tr></thead>
                    <tbody>
                        {months.into_iter().map(|(m, v)| view! {
                            <tr><th scope="row">{m}</th><td data-value=v.normalize().to_string()>{money(v, &currency)}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </details>
    }
}

/// The monthly chart of a report, or what it lacks when the realized figure is incomplete (never a partial bar).
pub fn monthly(
    realized: &crate::report::Total,
    by_month: &std::collections::BTreeMap<String, pnl::RealizedSplit>,
    currency: &str,
) -> impl IntoView + use<> {
    match realized {
        crate::report::Total::Incomplete(missing) => {
            let assets: Vec<String> = missing.iter().map(|m| m.asset.clone()).collect();
            view! {
                <p class="muted" data-testid="monthly-pnl-incomplete">{format!(
                    "Incomplete, so not drawn: no price in {currency} for {}.", assets.join(", "))}</p>
            }
            .into_any()
        }
        crate::report::Total::Value(_) => {
            let months: Vec<(String, Decimal)> = by_month.iter().map(|(m, v)| (m.clone(), v.total)).collect();
            view! { <MonthlyPnlChart months currency=currency.to_string() /> }.into_any()
        }
    }
}
