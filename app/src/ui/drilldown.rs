//! The drill-down: one asset or one account of the dashboard, for the dashboard's period, method and currency,
//! opened in place from the holdings table and the PnL breakdowns (docs/accounting.md §3d). An asset: its holdings
//! per account and wallet, its open lots, its disposals in the period (the Gains tab's rows), its income by type, its
//! fees and the identity of its units. An account: its holdings and value, realized and unrealized PnL, income, fees
//! and funding, its contributions and the engine's identity of the account. Pure functions make the rows; the
//! components below only render them.

use std::sync::Arc;

use formats::gains::{IncomeCount, income_by_type};
use ledger::{Decimal, Event, EventKind, Timestamp};
use leptos::prelude::*;
use leptos::task::spawn_local;
use pnl::{Figure, Identity, OpenLot, RealizedSplit, Report, Window};

use crate::format::{amount, count, date_time, money};
use crate::report::{Dashboard, Missing, Total};
use crate::sync::Data;
use crate::tracker::GainsCache;

// ---- the rows ------------------------------------------------------------------------------------------------

/// What the drill-down shows: an asset, or an account (a ledger account id, `venue/credential/wallet`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// An asset, e.g. `BTC`.
    Asset(String),
    /// An account.
    Account(String),
}

/// Units of an asset in one account (or of one asset in an account), with their value at the report's price.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holding {
    /// The account id (an asset's rows) or the asset (an account's rows).
    pub name: String,
    /// Units at the report time.
    pub amount: Decimal,
    /// `amount x price`; `None` without a price.
    pub value: Option<Decimal>,
}

fn price_of(report: &Report, asset: &str) -> Option<Decimal> {
    report.assets.get(asset).and_then(|p| p.price)
}

/// An asset's units per account and wallet at the report time (the accounts' balances).
pub fn asset_holdings(report: &Report, asset: &str) -> Vec<Holding> {
    let price = price_of(report, asset);
    let held = |(id, s): (&String, &pnl::AccountSummary)| {
        let amount = *s.balances.get(asset)?;
        Some(Holding { name: id.clone(), amount, value: price.map(|p| (p * amount).normalize()) })
    };
    report.accounts.iter().filter_map(held).collect()
}

/// An account's balances at the report time, each valued at its asset's price.
pub fn account_holdings(report: &Report, account: &str) -> Vec<Holding> {
    let Some(summary) = report.accounts.get(account) else { return Vec::new() };
    let row = |(asset, amount): (&String, &Decimal)| Holding {
        name: asset.clone(),
        amount: *amount,
        value: price_of(report, asset).map(|p| (p * amount).normalize()),
    };
    summary.balances.iter().map(row).collect()
}

/// The prices `assets` lack, one per asset, from the first time the report needed one (else the report time).
fn lacking<'a>(report: &Report, assets: impl IntoIterator<Item = &'a str>) -> Vec<Missing> {
    let since = |asset: &str| {
        let needed = report.missing_prices.iter().filter(|m| m.asset == asset).map(|m| m.time).min();
        needed.or(report.as_of).unwrap_or_default()
    };
    let mut out: Vec<Missing> = Vec::new();
    for asset in assets {
        if !out.iter().any(|m| m.asset == asset) {
            out.push(Missing { asset: asset.into(), quote: report.currency.clone(), since: since(asset) });
        }
    }
    out
}

/// The value of some holdings: their sum (`total`, the engine's) when every one is priced, else what is missing.
pub fn holdings_total(
    report: &Report,
    rows: &[Holding],
    total: Decimal,
    asset_of: impl Fn(&Holding) -> String,
) -> Total {
    let unpriced: Vec<String> = rows.iter().filter(|h| h.value.is_none()).map(&asset_of).collect();
    if unpriced.is_empty() {
        Total::Value(total.normalize())
    } else {
        Total::Incomplete(lacking(report, unpriced.iter().map(String::as_str)))
    }
}

/// The realized lines of an asset or an account in the period (zero when it has none), or the prices missing: a
/// missing price in any realized value can reach every later disposal through a lot's cost (as the dashboard's).
pub fn realized_lines(report: &Report, split: Option<&RealizedSplit>) -> Result<RealizedSplit, Vec<Missing>> {
    let missing = crate::report::missing(report, Figure::Realized);
    if missing.is_empty() { Ok(split.cloned().unwrap_or_default()) } else { Err(missing) }
}

/// One open lot of an asset at the report time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LotRow {
    /// When its units were acquired.
    pub acquired: Timestamp,
    /// The pool holding it: an account id, or `*` (the universal pool).
    pub pool: String,
    /// The account the units were acquired in; `None` for a pooled cost (ACB, UK share pooling).
    pub acquired_in: Option<String>,
    /// Units.
    pub amount: Decimal,
    /// Their remaining cost.
    pub cost: Decimal,
    /// `cost / amount`; `None` for a lot of no units (a cost carried over).
    pub unit_cost: Option<Decimal>,
    /// Whole UTC days from the acquisition to the report time.
    pub days_held: i64,
    /// Value minus cost; `None` without a price.
    pub unrealized: Option<Decimal>,
}

/// The open lots of `asset` at the report time `as_of`, oldest first.
pub fn open_lot_rows(lots: &[OpenLot], asset: &str, as_of: Option<Timestamp>) -> Vec<LotRow> {
    let mut rows: Vec<LotRow> = lots
        .iter()
        .filter(|l| l.asset == asset)
        .map(|l| LotRow {
            acquired: l.time,
            pool: l.pool.clone(),
            acquired_in: l.acquired_in.clone(),
            amount: l.amount,
            cost: l.cost,
            unit_cost: l.cost.checked_div(l.amount).map(|u| u.normalize()),
            days_held: as_of.map_or(0, |t| t.day() - l.time.day()),
            unrealized: l.unrealized,
        })
        .collect();
    rows.sort_by_key(|r| r.acquired);
    rows
}

/// Where a lot's units were acquired, as the user reads it (`name` names an account id), and where they are held
/// now when a per-account pool holds them elsewhere.
pub fn lot_account(row: &LotRow, name: impl Fn(&str) -> String) -> String {
    let acquired = row.acquired_in.as_deref().map_or_else(|| "pooled (several accounts)".to_string(), &name);
    match row.acquired_in.as_deref() {
        Some(a) if row.pool != "*" && row.pool != a => format!("{acquired} (now in {})", name(&row.pool)),
        _ => acquired,
    }
}

/// An asset's units in the period: held at its start, acquired (trades, income), disposed of (trades, fees,
/// negative income), sent out (withdrawals with their fees) and received (deposits). Moves between two of the
/// user's accounts (transfers) change no total and are not counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnitFlows {
    /// Held at the period's start (zero for all time).
    pub opening: Decimal,
    /// Acquired.
    pub acquired: Decimal,
    /// Disposed of.
    pub disposed: Decimal,
    /// Sent out.
    pub sent_out: Decimal,
    /// Received.
    pub received: Decimal,
}

impl UnitFlows {
    /// What the flows say is held at the period's end.
    pub fn expected(&self) -> Decimal {
        (self.opening + self.acquired - self.disposed - self.sent_out + self.received).normalize()
    }

    /// Adds one event's movements of `asset`.
    fn add(&mut self, e: &Event, asset: &str) {
        let of = |a: &str, q: Decimal| if a == asset { q } else { Decimal::ZERO };
        match &e.kind {
            EventKind::Trade { spend, receive, fees, .. } => {
                self.acquired += of(&receive.asset, receive.amount);
                self.disposed += of(&spend.asset, spend.amount);
                self.disposed += fees.iter().map(|f| of(&f.asset, f.amount)).sum::<Decimal>();
            }
            EventKind::Deposit { asset: a, amount, .. } => self.received += of(a, *amount),
            EventKind::Withdrawal { asset: a, amount, fee, .. } => {
                self.sent_out += of(a, *amount + fee.unwrap_or_default());
            }
            EventKind::Income { asset: a, amount, .. } if amount.is_sign_negative() => self.disposed -= of(a, *amount),
            EventKind::Income { asset: a, amount, .. } => self.acquired += of(a, *amount),
            // the old asset's units leave, the new one's arrive (docs/accounting.md §8d)
            EventKind::Migration { from, to } => {
                self.acquired += of(&to.asset, to.amount);
                self.disposed += of(&from.asset, from.amount);
            }
            // the holding is net of what is owed: only interest charged moves it (docs/accounting.md §8f)
            EventKind::Loan { action, asset: a, amount, .. } => self.disposed -= of(a, action.net_change(*amount)),
            EventKind::Transfer { .. } | EventKind::FuturesTrade { .. } => {}
        }
    }
}

/// The units of `asset` that moved, as the engine counts them: events up to the window's end, those before its
/// start summed into the opening holding.
pub fn unit_flows(events: &[Event], asset: &str, window: Window) -> UnitFlows {
    let mut flows = UnitFlows::default();
    let mut before = UnitFlows::default();
    for e in events.iter().filter(|e| window.to.is_none_or(|to| e.time <= to)) {
        if window.from.is_some_and(|from| e.time < from) { before.add(e, asset) } else { flows.add(e, asset) }
    }
    flows.opening = before.expected();
    flows
}

/// Fees paid in an asset in the period: on trades, and on withdrawals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeeUnits {
    /// Trades that charged a fee in the asset.
    pub trades: usize,
    /// Their fees, in units.
    pub trade_fees: Decimal,
    /// Withdrawals that charged a fee in the asset.
    pub withdrawals: usize,
    /// Their fees, in units.
    pub withdrawal_fees: Decimal,
}

/// The fees paid in `asset` by the window's events.
pub fn fee_units(events: &[Event], asset: &str, window: Window) -> FeeUnits {
    let mut out = FeeUnits::default();
    for e in events.iter().filter(|e| window.contains(e.time)) {
        match &e.kind {
            EventKind::Trade { fees, .. } => {
                let paid: Decimal = fees.iter().filter(|f| f.asset == asset).map(|f| f.amount).sum();
                out.trades += usize::from(!paid.is_zero());
                out.trade_fees += paid;
            }
            EventKind::Withdrawal { asset: a, fee: Some(fee), .. } if a == asset && !fee.is_zero() => {
                out.withdrawals += 1;
                out.withdrawal_fees += *fee;
            }
            _ => {}
        }
    }
    out
}

/// The window's income events paid in `asset`, by type (the Gains report's table, for one asset).
pub fn asset_income(events: &[Event], asset: &str, window: Window) -> Vec<IncomeCount> {
    let paid_in = |e: &&Event| matches!(&e.kind, EventKind::Income { asset: a, .. } if a == asset);
    income_by_type(events.iter().filter(|e| window.contains(e.time)).filter(paid_in))
}

/// An account's deposits and withdrawals from outside in the period (the unmatched legs), at their value when they
/// happened; the legs without a price are what is missing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contributions {
    /// Deposits' value.
    pub deposits: Decimal,
    /// Withdrawals' value, positive.
    pub withdrawals: Decimal,
    /// The prices the legs lack.
    pub missing: Vec<Missing>,
}

/// The contributions of `account` in the report's window.
pub fn account_contributions(report: &Report, account: &str) -> Contributions {
    let window = report.settings.window;
    let mut out = Contributions::default();
    for leg in report.transfers.unmatched.iter().filter(|l| l.account == account && window.contains(l.time)) {
        match leg.value {
            Some(v) if v.is_sign_negative() => out.withdrawals -= v,
            Some(v) => out.deposits += v,
            None if out.missing.iter().any(|m| m.asset == leg.asset) => {}
            None => {
                out.missing.push(Missing { asset: leg.asset.clone(), quote: report.currency.clone(), since: leg.time });
            }
        }
    }
    out
}

/// An account's unrealized PnL: the engine's per-account identity's (per-account pools), incomplete when a lot of
/// the account has no price; `None` under the universal pool, whose lots belong to no account.
pub fn account_unrealized(report: &Report, account: &str) -> Option<Total> {
    let id = report.identity_by_account.get(account)?;
    if !id.residual.contains_key("cost_of_unpriced_holdings") {
        return Some(Total::Value(id.unrealized));
    }
    let rows = account_holdings(report, account);
    let mut missing = lacking(report, rows.iter().filter(|h| h.value.is_none()).map(|h| h.name.as_str()));
    if missing.is_empty() {
        missing = crate::report::missing(report, Figure::Unrealized);
    }
    Some(Total::Incomplete(missing))
}

/// The prices an account's identity lacks: its balances without one (at nothing in its equity) and its deposits and
/// withdrawals without one (at nothing in its contributions), since the first event.
pub fn identity_missing(report: &Report, account: &str) -> Vec<Missing> {
    let unpriced = account_holdings(report, account).into_iter().filter(|h| h.value.is_none()).map(|h| h.name);
    let legs = report.transfers.unmatched.iter().filter(|l| l.account == account && l.value.is_none());
    let assets: Vec<String> = unpriced.chain(legs.map(|l| l.asset.clone())).collect();
    lacking(report, assets.iter().map(String::as_str))
}

/// The identity's residual items in words (`holdings without lots at market`).
pub fn residual_items(id: &Identity) -> Vec<(String, Decimal)> {
    id.residual.iter().map(|(k, v)| (k.replace('_', " "), *v)).collect()
}

// ---- the state -----------------------------------------------------------------------------------------------

/// The drill-down's state: what is open (nothing: the dashboard), the button that opened it (the keyboard's focus
/// returns there), and where the lots and disposals come from: the synced data and the dashboard, through the Gains
/// report the Gains tab computes and keeps (`cache`), so both show the same rows.
#[derive(Clone, Copy)]
pub struct DrillDown {
    shown: RwSignal<Option<Target>>,
    opener: RwSignal<Option<String>>,
    data: RwSignal<Option<Data>>,
    dash: RwSignal<Option<Dashboard>>,
    cache: GainsCache,
    /// The user's settings (the holding periods' names); the default names without.
    settings: Option<RwSignal<crate::records::AppSettings>>,
}

impl DrillDown {
    /// A drill-down on the tracker's data, dashboard and Gains report cache; nothing open.
    pub fn new(data: RwSignal<Option<Data>>, dash: RwSignal<Option<Dashboard>>, cache: GainsCache) -> DrillDown {
        DrillDown { shown: RwSignal::new(None), opener: RwSignal::new(None), data, dash, cache, settings: None }
    }

    /// The same, naming the holding periods as the user's settings do (as the Gains tab).
    pub fn with_settings(self, settings: RwSignal<crate::records::AppSettings>) -> DrillDown {
        DrillDown { settings: Some(settings), ..self }
    }

    /// The holding periods' names the user picked (tracked).
    fn preset(self) -> formats::gains::HoldingPreset {
        self.settings.map(|s| s.with(|s| s.holding_preset.get())).unwrap_or_default()
    }

    /// What is open (tracked).
    pub fn shown(self) -> Option<Target> {
        self.shown.get()
    }

    /// Opens `target`; `opener` is the id of the button pressed.
    pub fn open(self, target: Target, opener: String) {
        self.opener.set(Some(opener));
        self.shown.set(Some(target));
    }

    /// Back to the dashboard, the keyboard's focus on the button that opened the drill-down.
    pub fn back(self) {
        self.shown.set(None);
        if let Some(id) = self.opener.get_untracked() {
            spawn_local(async move {
                crate::next_tick().await;
                super::focus_id(&id);
            });
        }
    }

    /// Reads the Gains report of dashboard version `version`, once computed (`None` until then).
    fn with_gains<T>(self, version: u64, f: impl FnOnce(&crate::gains::Gains) -> T) -> Option<T> {
        self.cache.with(|c| c.as_ref().filter(|(v, _)| *v == version).map(|(_, g)| f(g)))
    }

    /// Reads the synced events (`None` without data).
    fn with_events<T>(self, f: impl FnOnce(&[Event]) -> T) -> Option<T> {
        self.data.with(|d| d.as_ref().map(|d| f(&d.events)))
    }
}

// ---- the components ------------------------------------------------------------------------------------------

/// A breakdown's names as buttons: the drill-down and the target of a row's key.
pub type Opener = (DrillDown, fn(String) -> Target);

/// A name that opens the drill-down: a button, whose id the keyboard's focus returns to.
pub fn open_button(drill: DrillDown, target: Target, id: String, label: String) -> impl IntoView {
    let kind = match &target {
        Target::Asset(_) => "asset",
        Target::Account(_) => "account",
    };
    view! {
        <button type="button" class="link" id=id.clone() data-testid="drill-open" data-kind=kind
            on:click=move |_| drill.open(target.clone(), id.clone())>{label}</button>
    }
}

fn value_cell(v: Option<Decimal>, currency: &str, testid: &'static str) -> AnyView {
    match v {
        Some(v) => {
            view! { <td data-testid=testid data-value=v.normalize().to_string()>{money(v, currency)}</td> }.into_any()
        }
        None => view! { <td data-testid=testid data-incomplete="true">"no price"</td> }.into_any(),
    }
}

/// A total's cell: the number, or "Incomplete" with the prices it lacks (never a partial sum).
fn total_cell(t: &Total, currency: &str, testid: &'static str) -> AnyView {
    match t {
        Total::Value(v) => value_cell(Some(*v), currency, testid),
        Total::Incomplete(missing) => view! {
            <td data-testid=testid data-incomplete="true">"Incomplete"{super::dashboard::missing_list(missing, format!("{testid}-missing"))}</td>
        }
        .into_any(),
    }
}

/// The drill-down of `target`, in place of the dashboard: a way back, the heading (which takes the keyboard's
/// focus), the period, method and currency, then the asset's or the account's sections.
#[component]
pub fn DrillDownView(
    /// The dashboard it drills into.
    d: Arc<Dashboard>,
    /// The asset or account.
    target: Target,
    /// Its state (the way back).
    drill: DrillDown,
    /// The reporting currency.
    currency: String,
) -> impl IntoView {
    let heading = NodeRef::<leptos::html::H2>::new();
    Effect::new(move |_| {
        if let Some(h) = heading.get() {
            let _ = h.focus();
        }
    });
    let (kind, title) = match &target {
        Target::Asset(a) => ("asset", a.clone()),
        Target::Account(id) => ("account", d.account_name(id)),
    };
    let r = &d.report;
    let period = super::dashboard::period_text(r.settings.window).unwrap_or_else(|| "All time.".into());
    let context = format!("{period} Method {}, values in {currency}; holdings as of the period's end.", r.method);
    let body = match target {
        Target::Asset(asset) => view! { <AssetDrill d=d.clone() asset drill currency /> }.into_any(),
        Target::Account(account) => view! { <AccountDrill d=d.clone() account currency /> }.into_any(),
    };
    view! {
        <section class="card drilldown" data-testid="drilldown" data-kind=kind aria-labelledby="drilldown-heading">
            <button type="button" data-testid="drill-back" on:click=move |_| drill.back()>"← Back to the dashboard"</button>
            <h2 id="drilldown-heading" data-testid="drilldown-heading" tabindex="-1" node_ref=heading>{title}</h2>
            <p class="muted" data-testid="drill-context">{context}</p>
        </section>
        {body}
    }
}

/// An asset: holdings per account, open lots, disposals, realized lines, income and fees, the units' identity.
#[component]
fn AssetDrill(d: Arc<Dashboard>, asset: String, drill: DrillDown, currency: String) -> impl IntoView {
    // the lots and disposals come with the Gains report, computed once per dashboard version
    let _ = super::gains::follow_gains(drill.data, drill.dash, drill.cache);
    let realized = realized_lines(&d.report, d.report.realized_by_asset.get(&asset));
    view! {
        <AssetHoldings d=d.clone() asset=asset.clone() currency=currency.clone() />
        <AssetLots d=d.clone() asset=asset.clone() drill currency=currency.clone() />
        <AssetDisposals d=d.clone() asset=asset.clone() drill />
        <RealizedTable realized label=format!("Realized PnL of {asset}") currency=currency.clone() />
        <AssetIncomeFees window=d.report.settings.window asset=asset.clone() drill />
        <UnitsIdentity d asset drill />
    }
}

/// The asset's units and value per account and wallet, and in all.
#[component]
fn AssetHoldings(d: Arc<Dashboard>, asset: String, currency: String) -> impl IntoView {
    let r = &d.report;
    let holdings = asset_holdings(r, &asset);
    let position = r.assets.get(&asset);
    let units = position.map_or(Decimal::ZERO, |p| p.amount);
    let value = holdings_total(r, &holdings, position.and_then(|p| p.value).unwrap_or_default(), |_| asset.clone());
    let rows = holdings.into_iter().map(|h| (d.account_name(&h.name), h)).collect();
    let head = ("Holdings by account", "Account", "All accounts");
    view! { <HoldingsTable head rows units=Some(units) value currency /> }
}

/// The captions of a holdings table: its title, its first column, its total row.
type HoldingsHead = (&'static str, &'static str, &'static str);

/// Holdings (each row's label and [`Holding`]; `data-key` is the account id or the asset) with their units in all (an
/// asset's) and their value in all.
#[component]
fn HoldingsTable(
    head: HoldingsHead,
    rows: Vec<(String, Holding)>,
    units: Option<Decimal>,
    value: Total,
    currency: String,
) -> impl IntoView {
    let (title, column, total) = head;
    let cells = |h: &Holding| {
        (super::dashboard::amount_cell(h.amount, Some("drill-amount")), value_cell(h.value, &currency, "drill-value"))
    };
    let row = |(label, h): &(String, Holding)| {
        view! { <tr data-key=h.name.clone()><th scope="row">{label.clone()}</th>{cells(h)}</tr> }
    };
    let units = units
        .map(|u| super::dashboard::amount_cell(u, Some("drill-amount-total")).into_any())
        .unwrap_or_else(|| view! { <td></td> }.into_any());
    view! {
        <section class="card">
            <h3>{title}</h3>
            {super::dashboard::scroll_region(title, view! {
                <table class="table" data-testid="drill-holdings">
                    <thead><tr><th scope="col">{column}</th><th scope="col">"Amount"</th><th scope="col">"Value"</th></tr></thead>
                    <tbody>
                        {rows.iter().map(row).collect_view()}
                        <tr class="total"><th scope="row">{total}</th>{units}{total_cell(&value, &currency, "drill-value-total")}</tr>
                    </tbody>
                </table>
            })}
        </section>
    }
}

/// While the Gains report is computed (or without synced data): what the section waits for.
fn waiting(drill: DrillDown) -> AnyView {
    let text = if drill.data.with(Option::is_none) { "No synced data yet." } else { "Computing…" };
    view! { <p class="muted" data-testid="drill-computing">{text}</p> }.into_any()
}

/// The asset's open lots at the period's end: acquired when and where, units, cost, cost per unit, days held.
#[component]
fn AssetLots(d: Arc<Dashboard>, asset: String, drill: DrillDown, currency: String) -> impl IntoView {
    let (version, as_of) = (d.version, d.report.as_of);
    let row = move |l: LotRow| {
        view! {
            <tr data-testid="drill-lot">
                <th scope="row">{date_time(l.acquired)}</th><td>{lot_account(&l, |id| d.account_name(id))}</td>
                {super::dashboard::amount_cell(l.amount, Some("lot-amount"))}
                {value_cell(Some(l.cost), &currency, "lot-cost")}{value_cell(l.unit_cost, &currency, "lot-unit-cost")}
                <td data-testid="lot-days" data-value=l.days_held.to_string()>{format!("{} days", count(l.days_held.max(0) as usize))}</td>
                {value_cell(l.unrealized, &currency, "lot-unrealized")}
            </tr>
        }
    };
    let table = move || {
        let rows = drill.with_gains(version, |g| open_lot_rows(&g.open_lots, &asset, as_of));
        let Some(rows) = rows else { return waiting(drill) };
        if rows.is_empty() {
            return view! { <p class="muted" data-testid="drill-lots-none">"No open lots."</p> }.into_any();
        }
        super::dashboard::scroll_region("Open lots", view! {
            <table class="table" data-testid="drill-lots">
                <thead><tr><th scope="col">"Acquired"</th><th scope="col">"Account"</th><th scope="col">"Amount"</th><th scope="col">"Cost"</th>
                    <th scope="col">"Cost per unit"</th><th scope="col">"Held"</th><th scope="col">"Unrealized"</th></tr></thead>
                <tbody>{rows.into_iter().map(row.clone()).collect_view()}</tbody>
            </table>
        })
        .into_any()
    };
    view! { <section class="card"><h3>"Open lots"</h3>{table}</section> }
}

/// The asset's disposals in the period: the Gains tab's rows (with their lots), the first 50 until "Show all".
#[component]
fn AssetDisposals(d: Arc<Dashboard>, asset: String, drill: DrillDown) -> impl IntoView {
    let version = d.version;
    let all = RwSignal::new(false);
    let rows = move || {
        let shown = drill.with_gains(version, |g| {
            let mine: Vec<_> = g.report.disposals.iter().filter(|x| *x.asset == *asset).collect();
            let take = if all.get() { mine.len() } else { super::gains::PAGE };
            let views =
                mine.iter().take(take).map(|x| super::gains::disposal_rows(x, g, drill.preset())).collect_view();
            (mine.len(), views)
        });
        let Some((n, views)) = shown else { return waiting(drill) };
        view! {
            <p class="muted" data-testid="drill-disposals-count" data-value=n.to_string()>{format!("{} in the period.", count(n))}</p>
            {(n > 0).then(|| super::gains::disposal_table("Disposals", "drill-disposals", views))}
            {(n > super::gains::PAGE && !all.get()).then(|| view! {
                <button type="button" data-testid="drill-disposals-all" on:click=move |_| all.set(true)>{format!("Show all {}", count(n))}</button>
            })}
        }
        .into_any()
    };
    view! { <section class="card"><h3>"Disposals"</h3>{rows}</section> }
}

/// Realized lines (period) of an asset or an account: each line and the total, or incomplete with what is missing.
#[component]
fn RealizedTable(realized: Result<RealizedSplit, Vec<Missing>>, label: String, currency: String) -> impl IntoView {
    let lines = |s: &RealizedSplit| {
        [
            ("trade", "Trades", s.trade),
            ("fee", "Fees", s.fee),
            ("futures", "Futures realized PnL", s.futures),
            ("funding", "Funding", s.funding),
            ("commission", "Futures commission", s.commission),
            ("other", "Other income (interest, rewards, rebates)", s.other),
            ("total", "Realized PnL", s.total),
        ]
    };
    let body = match &realized {
        Ok(s) => lines(s)
            .into_iter()
            .map(|(key, name, v)| view! { <tr data-line=key><th scope="row">{name}</th>{value_cell(Some(v), &currency, "drill-line")}</tr> })
            .collect_view()
            .into_any(),
        Err(missing) => view! {
            <tr data-line="total"><th scope="row">"Realized PnL"</th>{total_cell(&Total::Incomplete(missing.clone()), &currency, "drill-line")}</tr>
        }
        .into_any(),
    };
    view! {
        <section class="card">
            <h3>{label.clone()}</h3>
            {super::dashboard::scroll_region("Realized PnL", view! { <table class="table" data-testid="drill-realized"><tbody>{body}</tbody></table> })}
        </section>
    }
}

/// The asset's income in the period by type (count and units) and the fees paid in it; their value is on the
/// realized lines above.
#[component]
fn AssetIncomeFees(window: Window, asset: String, drill: DrillDown) -> impl IntoView {
    let shown = drill.with_events(|events| (asset_income(events, &asset, window), fee_units(events, &asset, window)));
    let Some((income, fees)) = shown else { return waiting(drill) };
    let income_row = |c: &IncomeCount| {
        let units: Decimal = c.amounts.iter().map(|(_, v)| *v).sum();
        view! {
            <tr data-type=c.income_type><th scope="row">{c.income_type.replace('_', " ")}</th><td>{count(c.events)}</td>
                {super::dashboard::amount_cell(units, Some("income-units"))}</tr>
        }
    };
    let fee_row = |key: &'static str, name: &'static str, n: usize, units: Decimal| {
        view! { <tr data-fee=key><th scope="row">{name}</th><td>{count(n)}</td>{super::dashboard::amount_cell(units, Some("fee-units"))}</tr> }
    };
    view! {
        <section class="card">
            <h3>"Income and fees"</h3>
            {super::dashboard::scroll_region("Income and fees", view! {
                <table class="table" data-testid="drill-income-fees">
                    <thead><tr><th scope="col">"Type"</th><th scope="col">"Events"</th><th scope="col">{format!("Units of {asset}")}</th></tr></thead>
                    <tbody>
                        {income.iter().map(income_row).collect_view()}
                        {fee_row("trade", "Fees on trades", fees.trades, fees.trade_fees)}
                        {fee_row("withdrawal", "Fees on withdrawals", fees.withdrawals, fees.withdrawal_fees)}
                    </tbody>
                </table>
            })}
            <p class="muted">"Their value is on the realized lines above (fees there are those that were disposals of their own: with fees in the cost basis, a trade's fees are in its cost and proceeds)."</p>
        </section>
    }
    .into_any()
}

/// The identity of the asset's units: held at the start + acquired − disposed − sent out + received = held at the
/// end, against the engine's balances; said when it does not hold.
#[component]
fn UnitsIdentity(d: Arc<Dashboard>, asset: String, drill: DrillDown) -> impl IntoView {
    let window = d.report.settings.window;
    let Some(f) = drill.with_events(|events| unit_flows(events, &asset, window)) else { return waiting(drill) };
    let held = d.report.assets.get(&asset).map_or(Decimal::ZERO, |p| p.amount);
    let expected = f.expected();
    let term = |sign: &'static str, name: &'static str, key: &'static str, v: Decimal| {
        view! { <span class="term" data-term=key data-value=v.normalize().to_string()>{format!("{sign}{name} {}", amount(v))}</span> " " }
    };
    let verdict = if expected == held.normalize() {
        view! { <p data-testid="units-identity-holds" data-holds="true">"The identity holds."</p> }.into_any()
    } else {
        let differs = format!(
            "It does not hold: the events give {}, the balances {} (a difference of {}).",
            amount(expected),
            amount(held),
            amount(held - expected)
        );
        view! { <p class="error" data-testid="units-identity-holds" data-holds="false">{differs}</p> }.into_any()
    };
    view! {
        <section class="card">
            <h3>"Units: where the holding comes from"</h3>
            <p data-testid="units-identity">
                {window.from.is_some().then(|| term("", "held at the start", "opening", f.opening))}
                {term(if window.from.is_some() { "+ " } else { "" }, "acquired", "acquired", f.acquired)}
                {term("− ", "disposed of", "disposed", f.disposed)}{term("− ", "sent out", "sent_out", f.sent_out)}
                {term("+ ", "received", "received", f.received)}{term("= ", "held", "held", held)}
            </p>
            {verdict}
            <p class="muted">"Disposed of: trades' spent units, fees and negative income. Sent out: withdrawals with their fees. Moves between your own accounts change no total."</p>
        </section>
    }
    .into_any()
}

/// An account: holdings and value, realized lines (income, fees and funding among them), unrealized PnL,
/// contributions and the engine's identity of the account.
#[component]
fn AccountDrill(d: Arc<Dashboard>, account: String, currency: String) -> impl IntoView {
    let realized = realized_lines(&d.report, d.report.realized_by_account.get(&account));
    view! {
        <AccountHoldings d=d.clone() account=account.clone() currency=currency.clone() />
        <RealizedTable realized label="Realized PnL in the period".into() currency=currency.clone() />
        <AccountFlows d=d.clone() account=account.clone() currency=currency.clone() />
        <AccountIdentity d account currency />
    }
}

/// The account's balances and their value at the period's end.
#[component]
fn AccountHoldings(d: Arc<Dashboard>, account: String, currency: String) -> impl IntoView {
    let r = &d.report;
    let holdings = account_holdings(r, &account);
    let equity = r.accounts.get(&account).map_or(Decimal::ZERO, |s| s.equity);
    let value = holdings_total(r, &holdings, equity, |h| h.name.clone());
    let rows = holdings.into_iter().map(|h| (h.name.clone(), h)).collect();
    let head = ("Holdings", "Asset", "Value");
    view! { <HoldingsTable head rows units=None value currency /> }
}

/// The account's unrealized PnL and its deposits and withdrawals in the period.
#[component]
fn AccountFlows(d: Arc<Dashboard>, account: String, currency: String) -> impl IntoView {
    let r = &d.report;
    let c = account_contributions(r, &account);
    let net = if c.missing.is_empty() {
        Total::Value(c.deposits - c.withdrawals)
    } else {
        Total::Incomplete(c.missing.clone())
    };
    let unrealized = match account_unrealized(r, &account) {
        Some(t) => total_cell(&t, &currency, "drill-unrealized"),
        None => view! { <td data-testid="drill-unrealized">"not per account: the universal pool's lots belong to no account"</td> }.into_any(),
    };
    view! {
        <section class="card">
            <h3>"Unrealized PnL and contributions"</h3>
            {super::dashboard::scroll_region("Unrealized PnL and contributions", view! {
                <table class="table" data-testid="drill-flows">
                    <tbody>
                        <tr><th scope="row">"Unrealized PnL (open lots at the period's end)"</th>{unrealized}</tr>
                        <tr><th scope="row">"Deposits in the period"</th>{value_cell(Some(c.deposits), &currency, "drill-deposits")}</tr>
                        <tr><th scope="row">"Withdrawals in the period"</th>{value_cell(Some(c.withdrawals), &currency, "drill-withdrawals")}</tr>
                        <tr><th scope="row">"Contributions (deposits − withdrawals)"</th>{total_cell(&net, &currency, "drill-contributions")}</tr>
                    </tbody>
                </table>
            })}
            <p class="muted">"Deposits and withdrawals from outside, at their value when they happened; moves between your own accounts are not contributions of the whole portfolio."</p>
        </section>
    }
}

/// The engine's identity of the account since the first event: net contributions + realized + unrealized + the
/// residual items = equity; said when it does not hold, and why it is absent under the universal pool.
#[component]
fn AccountIdentity(d: Arc<Dashboard>, account: String, currency: String) -> impl IntoView {
    let Some(id) = d.report.identity_by_account.get(&account) else {
        return view! {
            <section class="card"><h3>"Identity"</h3><p class="muted" data-testid="account-identity-none">
                "The identity per account needs per-account pools (Settings, cost basis pools): with the universal pool, lots belong to no account."</p></section>
        }
        .into_any();
    };
    let m = |v: Decimal| money(v, &currency);
    let term = |sign: &'static str, name: String, key: String, v: Decimal| {
        view! { <span class="term" data-term=key data-value=v.normalize().to_string()>{format!("{sign}{name} {}", m(v))}</span> " " }
    };
    let missing = identity_missing(&d.report, &account);
    let incomplete = (!missing.is_empty()).then(|| view! {
        <p class="muted" data-testid="account-identity-incomplete">"Incomplete: the identity counts only what has a price, and lacks:"</p>
        {super::dashboard::missing_list(&missing, "account-identity-missing".into())}
    });
    let items = residual_items(id).into_iter().map(|(name, v)| term("+ ", name.clone(), name, v)).collect_view();
    let verdict = if id.holds {
        view! { <p data-testid="account-identity-holds" data-holds="true">"The identity holds."</p> }.into_any()
    } else {
        let text = format!("It does not hold: {} unexplained.", m(id.unexplained));
        view! { <p class="error" data-testid="account-identity-holds" data-holds="false">{text}</p> }.into_any()
    };
    view! {
        <section class="card">
            <h3>"Identity (since the first event)"</h3>
            <p data-testid="account-identity">
                {term("", "net contributions".into(), "net_contributions".into(), id.net_contributions)}
                {term("+ ", "realized".into(), "realized".into(), id.realized)}{term("+ ", "unrealized".into(), "unrealized".into(), id.unrealized)}
                {items}{term("= ", "equity".into(), "equity".into(), id.equity)}
            </p>
            {verdict}
            {incomplete}
            <p class="muted">"As the engine computes it (docs/accounting.md §12): moves from and to your other accounts count at market value; balances without a price count at nothing, their lots' cost is the item “cost of unpriced holdings”."</p>
        </section>
    }
    .into_any()
}
