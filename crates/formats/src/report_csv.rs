//! The report as CSV: the disposals with the lots they used, then the summary and the settings.

use std::fmt::Write as _;

use ledger::{Decimal, Event, Timestamp};
use pnl::{Category, Report};

use crate::csv_text::Table;

/// The report as CSV: one row per disposal in the window with the lots and cost used (`time amount cost` per lot,
/// separated by `;`), then a blank line and the summary with method and settings. `events` is the slice given to
/// [`pnl::compute`].
pub fn report_csv(report: &Report, events: &[Event]) -> String {
    let mut out = Table::new();
    out.row(&["event", "time", "account", "asset", "category", "amount", "proceeds", "cost", "pnl", "missing", "lots"]);
    for x in &report.disposals {
        let e = &events[x.event];
        let category = match x.category {
            Category::Trade => "trade",
            Category::Fee => "fee",
            Category::Futures => "futures",
            Category::Funding => "funding",
            Category::Commission => "commission",
            Category::Other => "other",
        };
        let mut lots = String::new();
        for (i, u) in report.lot_uses[x.lots.clone()].iter().enumerate() {
            if i > 0 {
                lots.push(';');
            }
            let _ = write!(lots, "{} {} {}", u.lot_time, u.amount.normalize(), u.cost.normalize());
        }
        let n = |d: Decimal| d.normalize().to_string();
        out.row(&[
            &e.id,
            &x.time.to_string(),
            e.account.as_str(),
            &x.asset,
            category,
            &n(x.amount),
            &n(x.proceeds),
            &n(x.cost),
            &n(x.proceeds - x.cost),
            &n(x.missing),
            &lots,
        ]);
    }
    out.blank_line();
    out.row(&["summary", "value"]);
    let s = &report.settings;
    let r = &report.realized;
    let window = |t: Option<Timestamp>| t.map(|t| t.to_string()).unwrap_or_default();
    // empty under ACB and UK share pooling, where a pooled cost has no acquisition date (docs/accounting.md §3b)
    let held = |f: fn(&pnl::HoldingPeriods) -> Decimal| {
        report.holding_periods.as_ref().map(|h| f(h).to_string()).unwrap_or_default()
    };
    let lines: Vec<(&str, String)> = vec![
        ("engine_version", report.engine_version.clone()),
        ("currency", s.currency.clone()),
        ("stablecoins_as_usd", s.stablecoins_as_usd.to_string()),
        ("method", s.method.to_string()),
        ("fees_in_cost_basis", s.fees_in_cost_basis.to_string()),
        ("pools", s.pools.to_string()),
        ("deposits_at_market", s.deposits_at_market.to_string()),
        ("from", window(s.window.from)),
        ("to", window(s.window.to)),
        ("as_of", window(report.as_of)),
        ("complete", report.complete.to_string()),
        ("realized_trade", r.trade.to_string()),
        ("realized_fee", r.fee.to_string()),
        ("realized_futures", r.futures.to_string()),
        ("realized_funding", r.funding.to_string()),
        ("realized_commission", r.commission.to_string()),
        ("realized_other", r.other.to_string()),
        ("realized_total", r.total.to_string()),
        ("realized_trade_short_term", held(|h| h.short_term)),
        ("realized_trade_long_term", held(|h| h.long_term)),
        ("long_term_proceeds", held(|h| h.long_term_proceeds)),
        ("long_term_cost", held(|h| h.long_term_cost)),
        ("unrealized", report.unrealized.to_string()),
        ("missing_acquisitions", report.missing_acquisitions.len().to_string()),
        ("missing_prices", report.missing_prices.len().to_string()),
    ];
    for (k, v) in lines {
        out.row(&[k, &v]);
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use pnl::Settings;

    use super::*;

    fn ev(line: &str) -> Event {
        ledger::read_ledger(line.as_bytes(), "t").unwrap().remove(0)
    }

    #[test]
    fn report_csv_lists_disposals_with_lots() {
        let events = vec![
            ev(
                r#"{"id":"1","time":"2024-01-01T00:00:00Z","account":"x/y/spot","kind":"trade","spend":{"asset":"USD","amount":"6"},"receive":{"asset":"X","amount":"2"}}"#,
            ),
            ev(
                r#"{"id":"2","time":"2024-01-02T00:00:00Z","account":"x/y/spot","kind":"trade","spend":{"asset":"USD","amount":"5"},"receive":{"asset":"X","amount":"5"}}"#,
            ),
            ev(
                r#"{"id":"3","time":"2024-01-03T00:00:00Z","account":"x/y/spot","kind":"trade","spend":{"asset":"X","amount":"3"},"receive":{"asset":"USD","amount":"9"}}"#,
            ),
        ];
        let report = pnl::compute(&events, &[], &Settings::default());
        let csv = report_csv(&report, &events);
        let lines: Vec<&str> = csv.lines().collect();
        // FIFO: 2 @3 (cost 6) then 1 @1 (cost 1): cost 7, pnl 2
        assert_eq!(
            lines[1],
            "3,2024-01-03T00:00:00Z,x/y/spot,X,trade,3,9,7,2,0,2024-01-01T00:00:00Z 2 6;2024-01-02T00:00:00Z 1 1"
        );
        assert!(lines.contains(&"method,fifo"));
        assert!(lines.contains(&"realized_total,2"));
        // held a day or two: all short term
        assert!(lines.contains(&"realized_trade_short_term,2"));
        assert!(lines.contains(&"realized_trade_long_term,0"));
    }

    #[test]
    fn report_csv_summary_splits_by_holding_period_and_leaves_it_empty_under_uk() {
        let events = vec![
            ev(
                r#"{"id":"1","time":"2023-01-01T00:00:00Z","account":"x/y/spot","kind":"trade","spend":{"asset":"USD","amount":"10"},"receive":{"asset":"X","amount":"1"}}"#,
            ),
            ev(
                r#"{"id":"2","time":"2024-01-01T00:00:00Z","account":"x/y/spot","kind":"trade","spend":{"asset":"USD","amount":"20"},"receive":{"asset":"X","amount":"1"}}"#,
            ),
            ev(
                r#"{"id":"3","time":"2024-01-02T00:00:00Z","account":"x/y/spot","kind":"trade","spend":{"asset":"X","amount":"2"},"receive":{"asset":"USD","amount":"50"}}"#,
            ),
        ];
        let fifo = report_csv(&pnl::compute(&events, &[], &Settings::default()), &events);
        // the 2023 unit: proceeds 25, cost 10, gain 15; the 2024 unit: 25 - 20 = 5
        for line in
            ["realized_trade_short_term,5", "realized_trade_long_term,15", "long_term_proceeds,25", "long_term_cost,10"]
        {
            assert!(fifo.lines().any(|l| l == line), "{line} in\n{fifo}");
        }
        let uk = Settings { method: pnl::Method::Uk, ..Settings::default() };
        let uk = report_csv(&pnl::compute(&events, &[], &uk), &events);
        assert!(uk.lines().any(|l| l == "method,uk"));
        assert!(uk.lines().any(|l| l == "realized_trade_long_term,"), "{uk}");
    }
}
