//! Benchmark of the report kept up to date ([`pnl::Incremental`]): N generated events (default 1,000,000) with the
//! last 1,000 held back, the state built from the others, then the 1,000 added as a timer sync adds them and the
//! report made. Engine alone, on events already in memory (what the app's engine worker holds between syncs).
//!
//! `cargo run --release -p pnl --example incremental -- 1000000 [fifo|lifo|hifo|acb]`
//!
//! Prints each step's time (median of 5), the report's JSON size and encoding time (the
//! worker sends the report as JSON), and checks the report against the whole ledger's.

use std::time::Instant;

use pnl::{Extension, Incremental, Method, Settings, compute};

#[path = "gen/mod.rs"]
mod generator;

const NEW: usize = 1_000;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(1_000_000, |s| s.parse().expect("N must be a number"));
    let method: Method = args.next().map_or(Method::Fifo, |s| s.parse().expect("method"));
    let (events, prices) = generator::generate(n);
    let settings = Settings { method, ..Settings::default() };
    let (before, new) = events.split_at(events.len() - NEW);
    let until = before.last().map(|e| e.time).unwrap_or_default();
    let known: Vec<_> = prices.iter().filter(|p| p.time <= until).cloned().collect();

    let (mut builds, mut adds, mut reports, mut encodes) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut summaries = Vec::new();
    let mut last = None;
    for _ in 0..5 {
        let t = Instant::now();
        let mut inc = Incremental::new(before.to_vec(), &known, settings.clone());
        builds.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let outcome = inc.extend(new.to_vec(), &prices);
        adds.push(t.elapsed().as_secs_f64());
        assert_eq!(outcome, Extension::Applied, "the generated events come in time order");
        let t = Instant::now();
        let report = inc.report(&[]);
        reports.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let summary = inc.summary(&[]);
        summaries.push(t.elapsed().as_secs_f64());
        assert!(summary.disposals.is_empty() && summary.realized == report.realized);
        let t = Instant::now();
        let json = serde_json::to_string(&report).expect("a report encodes");
        encodes.push(t.elapsed().as_secs_f64());
        last = Some((report, json.len()));
    }
    let (report, json_len) = last.expect("five runs");
    println!(
        "state of {} events built: {:.3} s (median of 5; the whole ledger's computation)",
        before.len(),
        median(builds)
    );
    println!("add {NEW} events: {:.1} ms (median of 5)", median(adds) * 1e3);
    println!("report from the kept state: {:.1} ms (median of 5)", median(reports) * 1e3);
    println!(
        "summary from the kept state (the report without its rows: disposals, lot uses, open lots, matched transfers; as the app's worker makes it): {:.1} ms (median of 5)",
        median(summaries) * 1e3
    );
    println!("report as JSON: {:.1} ms, {:.1} MB (median of 5)", median(encodes) * 1e3, json_len as f64 / 1e6);
    let t = Instant::now();
    let whole = compute(&events, &prices, &settings);
    println!("the whole ledger computed again instead: {:.3} s", t.elapsed().as_secs_f64());
    assert_eq!(report, whole, "the kept state's report is the whole ledger's");
    println!("report digest {} (equal to the whole ledger's)", generator::digest(&report));
}
