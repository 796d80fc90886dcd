//! The realized-gains report of the dashboard's settings (docs/accounting.md §3c): computed from the same data as
//! the dashboard, with the disposals and open lots the dashboard's report leaves behind; the Gains tab (`ui/gains.rs`)
//! and the drill-down (`ui/drilldown.rs`) show it.

use formats::gains::{GainsReport, HoldingPreset};
use pnl::{Figure, OpenLot, Report, Returns};

use crate::records::AccountNames;
use crate::report::{Dashboard, Missing, Total};
use crate::sync::Data;

/// The realized figure of a report as a [`Total`]: incomplete, with what is missing, when a price it depends on is
/// missing (as the dashboard's, docs/accounting.md §10).
pub fn realized_total(report: &Report) -> Total {
    let mut missing: Vec<Missing> = Vec::new();
    for m in report.missing_for(Figure::Realized) {
        match missing.iter_mut().find(|x| x.asset == m.asset) {
            Some(x) => x.since = x.since.min(m.time),
            None => missing.push(Missing { asset: m.asset.clone(), quote: m.quote.clone(), since: m.time }),
        }
    }
    if missing.is_empty() { Total::Value(report.realized.total.normalize()) } else { Total::Incomplete(missing) }
}

/// What the Gains tab shows: the report of the dashboard's settings (period, method, currency) with its disposals,
/// which the dashboard's report (from the engine worker) does not carry.
#[derive(Clone, Debug)]
pub struct Gains {
    /// The rows and totals.
    pub report: GainsReport,
    /// The realized figure, or what it lacks.
    pub realized: Total,
    /// The period's returns.
    pub returns: Returns,
    /// The accounts' names.
    pub names: AccountNames,
    /// The open lots at the period's end (the worker's report leaves them behind too), for the drill-down.
    pub open_lots: Vec<OpenLot>,
}

/// The gains of the dashboard's settings, computed on this thread from the data the dashboard was computed from.
pub fn gains_of(data: &Data, dashboard: &Dashboard, preset: HoldingPreset) -> Gains {
    let mut report = pnl::compute(&data.events, &data.prices.points, &dashboard.report.settings);
    Gains {
        report: GainsReport::of(&report, &data.events, preset),
        realized: realized_total(&report),
        returns: report.returns.clone(),
        names: dashboard.names.clone(),
        open_lots: std::mem::take(&mut report.open_lots),
    }
}

/// The CSV the Download button saves: [`formats::gains_csv`] with the accounts as the user names them.
pub fn csv(g: &Gains) -> String {
    formats::gains_csv(&g.report, &|id: &str| g.names.wallet(id))
}
