//! From the synced data to what the dashboard shows: the PnL engine's report plus the open futures positions read
//! from the venues (their unrealized PnL by the venues' own formulas).

use ledger::Decimal;
use pnl::{Method, Pools, Report, Settings};

use crate::records::AppSettings;
use crate::session::SessionError;
use crate::sync::Data;
use crate::worker::ComputedIn;

/// The engine settings of the user's settings; an unknown stored value falls back to the default, visibly.
pub fn engine_settings(s: &AppSettings) -> Settings {
    Settings {
        currency: s.currency.clone(),
        stablecoins_as_usd: s.stablecoins_as_usd,
        method: s.method.parse::<Method>().unwrap_or_default(),
        fees_in_cost_basis: s.fees_in_cost_basis,
        pools: s.pools.parse::<Pools>().unwrap_or_default(),
        manual_matches: s.manual_matches.clone(),
        deposits_at_market: s.deposits_at_market,
        leg_marks: s.leg_marks.clone(),
        ..Settings::default()
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
    /// Unrealized PnL in the margin asset (USDT: counts as USD).
    pub unrealized: Decimal,
}

/// What the dashboard shows.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// The engine's report.
    pub report: Report,
    /// Open futures positions.
    pub positions: Vec<OpenPosition>,
    /// Sum of their unrealized PnL.
    pub futures_unrealized: Decimal,
    /// Total equity: priced balances plus futures unrealized PnL.
    pub total_equity: Decimal,
    /// Equity change over the last day of the curve.
    pub day_change: Option<Decimal>,
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

/// Reads the ledger from the vault and computes the dashboard (see [`finish`]).
pub async fn load_and_compute(settings: &AppSettings) -> Result<(Data, Dashboard), SessionError> {
    let job = begin_job();
    let data = crate::sync::load(job.as_ref()).await?;
    let dashboard = finish(job, &data, settings).await;
    Ok((data, dashboard))
}

/// The dashboard of a report and the synced snapshots.
pub fn dashboard(report: Report, data: &Data, computed_in: ComputedIn) -> Dashboard {
    let mut positions = Vec::new();
    for snap in data.snapshots.values() {
        for p in &snap.positions {
            if p.amount.is_zero() {
                continue;
            }
            positions.push(OpenPosition {
                account: p.account.to_string(),
                symbol: p.symbol.clone(),
                side: if p.amount.is_sign_negative() { "short".into() } else { "long".into() },
                size: p.amount,
                entry: p.entry_price,
                mark: p.mark_price,
                unrealized: p.unrealized(),
            });
        }
    }
    let futures_unrealized: Decimal = positions.iter().map(|p| p.unrealized).sum();
    let total_equity = report.identity.equity + futures_unrealized;
    let curve = &report.equity_curve;
    let day_change = (curve.len() >= 2).then(|| curve[curve.len() - 1].equity - curve[curve.len() - 2].equity);
    let names = crate::records::AccountNames::stored();
    Dashboard { report, positions, futures_unrealized, total_equity, day_change, names, computed_in }
}
