//! From the synced data to what the dashboard shows: the PnL engine's report plus the open futures positions read
//! from the venues (their unrealized PnL by the venues' own formulas).

use ledger::{Decimal, Timestamp};
use pnl::{Figure, PriceBook, Report, Settings};

use crate::records::AppSettings;
use crate::session::SessionError;
use crate::sync::Data;
use crate::worker::ComputedIn;

/// The engine settings of the user's settings; an unknown stored value falls back to the default, visibly: logged
/// here, and shown on the Settings screen (`AppSettings::unknown`).
pub fn engine_settings(s: &AppSettings) -> Settings {
    for unknown in s.unknown() {
        leptos::logging::warn!("{unknown}");
    }
    Settings {
        currency: s.currency.get().into(),
        stablecoins_as_usd: s.stablecoins_as_usd,
        method: s.method.get(),
        fees_in_cost_basis: s.fees_in_cost_basis,
        pools: s.pools.get(),
        manual_matches: s.manual_matches.clone(),
        deposits_at_market: s.deposits_at_market,
        leg_marks: s.leg_marks.clone(),
        deposit_costs: s.deposit_costs.clone(),
        migrations: Default::default(),
        window: s.period.get().window(),
    }
}

/// An open futures position with its unrealized PnL.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenPosition {
    /// Account id.
    pub account: String,
    /// Contract.
    pub symbol: String,
    /// long or short.
    pub side: String,
    /// Signed size.
    pub size: Decimal,
    /// Entry price.
    pub entry: Decimal,
    /// Mark price.
    pub mark: Decimal,
    /// Unrealized PnL in the margin asset.
    pub unrealized: Decimal,
    /// The margin asset (USDT).
    pub margin_asset: String,
    /// The unrealized PnL in the reporting currency, at the margin asset's latest price; `None` without one.
    pub unrealized_value: Option<Decimal>,
}

/// A price a total lacks: no price for `asset` in `quote` from `since` on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// The asset without a price.
    pub asset: String,
    /// The reporting currency.
    pub quote: String,
    /// The first time the price was needed.
    pub since: Timestamp,
}

/// A dashboard total: a number only when every price it depends on is known; otherwise what is missing, so a
/// partial sum is never shown as a number (docs/accounting.md §10, "Valuation").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Total {
    /// Complete.
    Value(Decimal),
    /// Depends on these missing prices (never empty).
    Incomplete(Vec<Missing>),
}

impl Total {
    fn of(value: Decimal, missing: Vec<Missing>) -> Total {
        if missing.is_empty() { Total::Value(value) } else { Total::Incomplete(missing) }
    }

    /// The value, when complete.
    pub fn value(&self) -> Option<Decimal> {
        match self {
            Total::Value(v) => Some(*v),
            Total::Incomplete(_) => None,
        }
    }
}

/// The missing prices of a report's figure, one per asset (the earliest).
pub fn missing(report: &Report, figure: Figure) -> Vec<Missing> {
    let mut out: Vec<Missing> = Vec::new();
    for m in report.missing_for(figure) {
        match out.iter_mut().find(|x| x.asset == m.asset) {
            Some(x) => x.since = x.since.min(m.time),
            None => out.push(Missing { asset: m.asset.clone(), quote: m.quote.clone(), since: m.time }),
        }
    }
    out
}

/// A dashboard version not given out before in this tab ([`Dashboard::version`]).
pub fn next_version() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// What the dashboard shows.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// This dashboard's version: new for each computation and for each change made to it afterwards (an account
    /// renamed), so that what is derived from it (the Gains tab's report) is recomputed exactly when it changed.
    pub version: u64,
    /// The engine's report.
    pub report: Report,
    /// Open futures positions.
    pub positions: Vec<OpenPosition>,
    /// Total equity: the balances plus the futures positions' unrealized PnL, in the reporting currency.
    pub total_equity: Total,
    /// Equity change over the last day of the curve.
    pub day_change: Option<Total>,
    /// Realized PnL (every line).
    pub realized: Total,
    /// Unrealized PnL: the open lots' plus the futures positions'.
    pub unrealized: Total,
    /// Funding.
    pub funding: Total,
    /// Fees and commissions.
    pub fees: Total,
    /// What the equity curve lacks (empty: every point complete).
    pub curve_missing: Vec<Missing>,
    /// The accounts' names, to show `venue/credential/wallet` ledger ids as the user knows them.
    pub names: crate::records::AccountNames,
    /// Where the report was computed.
    pub computed_in: ComputedIn,
}

impl Dashboard {
    /// A ledger account id as the user knows it (see [`crate::records::AccountNames::wallet`]).
    pub fn account_name(&self, id: &str) -> String {
        self.names.wallet(id)
    }
}

/// Computes the dashboard on this thread.
pub fn compute(data: &Data, settings: &AppSettings) -> Dashboard {
    let report = pnl::compute(&data.events, &data.prices.points, &engine_settings(settings));
    dashboard(report, data, ComputedIn::Page)
}

/// Starts an engine-worker job for a ledger about to be opened (see [`crate::sync::load`]); `None` when the worker
/// is unavailable, and the page will compute.
pub fn begin_job() -> Option<crate::worker::Job> {
    crate::worker::Job::begin().map_err(|e| leptos::logging::warn!("{e}")).ok()
}

/// The dashboard of data opened into `job`: the worker decoded each chunk as the page opened it and now computes
/// the report; the page only adds the venues' open positions. Without the worker (or if it fails) the page
/// computes the report itself, and the dashboard says where it was computed.
pub async fn finish(job: Option<crate::worker::Job>, data: &Data, settings: &AppSettings) -> Dashboard {
    let report = match job {
        Some(job) => job.report(&data.prices.points, &engine_settings(settings)).await,
        None => Err("no engine worker".into()),
    };
    match report {
        Ok(report) => dashboard(report, data, ComputedIn::Worker),
        Err(e) => {
            leptos::logging::warn!("computing the report on the page: {e}");
            crate::next_tick().await;
            compute(data, settings)
        }
    }
}

/// The dashboard of a ledger read again after a sync: read whole, as [`finish`]; read since an earlier read, the
/// engine worker applies the new events to the ledger it kept from that read ([`pnl::Incremental`],
/// docs/app-storage.md "Reading after a sync"). An error when the worker no longer keeps that ledger (another
/// computation since, a restart, no worker): the caller reads the whole ledger.
pub async fn finish_opened(
    job: Option<crate::worker::Job>,
    opened: crate::sync::Opened,
    settings: &AppSettings,
) -> Result<(crate::sync::Opened, Dashboard), String> {
    use crate::sync::Opened;
    match opened {
        Opened::Whole(data) => {
            let dashboard = finish(job, &data, settings).await;
            Ok((Opened::Whole(data), dashboard))
        }
        Opened::More { mut more, rest } => {
            let job = job.ok_or("no engine worker")?;
            let id = job.id();
            let report = job.extend(more.base_worker, &rest.prices.points, &engine_settings(settings)).await?;
            more.worker = Some(id);
            let dashboard = dashboard(report, &rest, ComputedIn::Worker);
            Ok((Opened::More { more, rest }, dashboard))
        }
    }
}

/// Reads the ledger again and computes the dashboard: only what was sealed since `base` when it can (see
/// [`crate::sync::reopen`], [`finish_opened`]), else the whole ledger.
pub async fn reload(
    base: Option<&crate::opened::Read>,
    settings: &AppSettings,
) -> Result<(crate::sync::Opened, Dashboard), SessionError> {
    let job = begin_job();
    let opened = crate::sync::reopen(base, job.as_ref()).await?;
    match finish_opened(job, opened, settings).await {
        Ok(view) => Ok(view),
        Err(e) => {
            leptos::logging::warn!("reading the whole ledger again: {e}");
            let (data, dashboard) = load_and_compute(settings).await?;
            Ok((crate::sync::Opened::Whole(data), dashboard))
        }
    }
}

/// Reads the ledger from the vault and computes the dashboard: every chunk is opened and sent to the engine worker
/// first, then the report is asked for, and the page decodes its own copy while the worker computes (see
/// [`finish`] for the fallback to the page).
pub async fn load_and_compute(settings: &AppSettings) -> Result<(Data, Dashboard), SessionError> {
    let job = begin_job();
    let id = job.as_ref().map(crate::worker::Job::id);
    let unsealed = crate::sync::unseal(job.as_ref()).await?;
    let prices = crate::sync::stored_prices()?;
    let asked = job.and_then(|job| {
        job.ask_report(&prices.points, &engine_settings(settings)).map_err(|e| leptos::logging::warn!("{e}")).ok()
    });
    let mut data = crate::sync::decode(unsealed).await?;
    data.read.worker = id;
    let report = match asked {
        Some(asked) => asked.answer().await,
        None => Err("no engine worker".into()),
    };
    let dashboard = match report {
        Ok(report) => dashboard(report, &data, ComputedIn::Worker),
        Err(e) => {
            leptos::logging::warn!("computing the report on the page: {e}");
            crate::next_tick().await;
            compute(&data, settings)
        }
    };
    Ok((data, dashboard))
}

/// The dashboard of a report and the synced snapshots.
pub fn dashboard(report: Report, data: &Data, computed_in: ComputedIn) -> Dashboard {
    // the positions' PnL is in their margin asset: converted at its latest price, in the report's currency
    let currency = report.settings.currency.clone();
    let book = PriceBook::new(&data.prices.points, report.settings.stablecoins_as_usd);
    let now = Timestamp(js_sys::Date::now() as i64);
    let mut positions = Vec::new();
    let mut positions_missing: Vec<Missing> = Vec::new();
    for snap in data.snapshots.values() {
        for p in &snap.positions {
            if p.amount.is_zero() {
                continue;
            }
            let unrealized = p.unrealized();
            let unrealized_value = book.value(unrealized, &p.margin_asset, &currency, now);
            if unrealized_value.is_none() && !positions_missing.iter().any(|m| m.asset == p.margin_asset) {
                let since = p.time.unwrap_or(now);
                positions_missing.push(Missing { asset: p.margin_asset.clone(), quote: currency.clone(), since });
            }
            positions.push(OpenPosition {
                account: p.account.to_string(),
                symbol: p.symbol.clone(),
                side: if p.amount.is_sign_negative() { "short".into() } else { "long".into() },
                size: p.amount,
                entry: p.entry_price,
                mark: p.mark_price,
                unrealized,
                margin_asset: p.margin_asset.clone(),
                unrealized_value,
            });
        }
    }
    // the positions are as the venues report them now: they count only in a period that reaches now
    let current = report.settings.window.to.is_none_or(|to| to >= now);
    if !current {
        positions_missing.clear();
    }
    let futures_unrealized: Decimal =
        if current { positions.iter().filter_map(|p| p.unrealized_value).sum() } else { Decimal::ZERO };
    let with_positions = |mut m: Vec<Missing>| {
        for p in &positions_missing {
            if !m.iter().any(|x| x.asset == p.asset) {
                m.push(p.clone());
            }
        }
        m
    };
    let total_equity =
        Total::of(report.identity.equity + futures_unrealized, with_positions(missing(&report, Figure::Equity)));
    let unrealized =
        Total::of(report.unrealized + futures_unrealized, with_positions(missing(&report, Figure::Unrealized)));
    let realized_missing = missing(&report, Figure::Realized);
    let realized = Total::of(report.realized.total, realized_missing.clone());
    let funding = Total::of(report.realized.funding, realized_missing.clone());
    let fees = Total::of(report.realized.fee + report.realized.commission, realized_missing);
    let curve = &report.equity_curve;
    let curve_missing =
        if curve.iter().all(|p| p.complete) { Vec::new() } else { missing(&report, Figure::EquityCurve) };
    let day_change = (curve.len() >= 2).then(|| {
        let (a, b) = (&curve[curve.len() - 2], &curve[curve.len() - 1]);
        let lacks = if a.complete && b.complete { Vec::new() } else { missing(&report, Figure::EquityCurve) };
        Total::of(b.equity - a.equity, lacks)
    });
    let names = crate::records::AccountNames::stored();
    Dashboard {
        version: next_version(),
        report,
        positions,
        total_equity,
        day_change,
        realized,
        unrealized,
        funding,
        fees,
        curve_missing,
        names,
        computed_in,
    }
}
