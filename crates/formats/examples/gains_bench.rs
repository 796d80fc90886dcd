//! Benchmark of the gains report (docs/accounting.md §3c): generate N ledger events (default 100,000, the
//! engine benchmark's generator), compute the report with its disposals, then time building the gains report's rows
//! and totals and writing its CSV. The figures are what the app's Gains tab adds to the engine's compute.
//!
//! `cargo run --release -p formats --example gains_bench -- 100000 [fifo|lifo|hifo|acb|uk]`

use std::time::Instant;

use formats::{GainsReport, HoldingPreset, gains_csv};
use pnl::{Method, Settings, compute};

#[path = "../../pnl/examples/gen/mod.rs"]
#[allow(dead_code)] // its report digest is the engine benchmark's
mod generator;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(100_000, |s| s.parse().expect("N must be a number"));
    let method: Method = args.next().map_or(Method::Fifo, |s| s.parse().expect("method"));
    let (events, prices) = generator::generate(n);
    let settings = Settings { method, ..Settings::default() };
    let t0 = Instant::now();
    let report = compute(&events, &prices, &settings);
    let computed = t0.elapsed();
    let t1 = Instant::now();
    let gains = GainsReport::of(&report, &events, HoldingPreset::OneYearSplit);
    let rows = t1.elapsed();
    let t2 = Instant::now();
    let csv = gains_csv(&gains, &|a: &str| a.to_owned());
    let written = t2.elapsed();
    let lots: usize = gains.disposals.iter().map(|x| x.lots.len()).sum();
    println!(
        "{} events, {method}: engine {:.3} s; gains rows {:.3} s ({} disposals, {lots} lots); CSV {:.3} s ({} KB)",
        events.len(),
        computed.as_secs_f64(),
        rows.as_secs_f64(),
        gains.disposals.len(),
        written.as_secs_f64(),
        csv.len() / 1024
    );
    assert_eq!(gains.totals.realized, report.realized.total.normalize(), "the totals add up to the realized figure");
}
