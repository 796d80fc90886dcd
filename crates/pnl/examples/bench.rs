//! Benchmark: generate N ledger events (default 1,000,000) and time the recompute (FIFO unless a method is given).
//!
//! `cargo run --release -p pnl --example bench -- 1000000 [fifo|lifo|hifo|acb|uk] [DIR]`
//!
//! With DIR, also writes the generated `DIR/ledger.jsonl` and `DIR/prices.jsonl` (to time `meetcrypt pnl` end to end,
//! reading and parsing included; the figure above is the engine alone, on events already in memory):
//!
//! ```text
//! cargo build --release -p meetcrypt
//! /usr/bin/time -v target/release/meetcrypt pnl --ledger DIR/ledger.jsonl --prices DIR/prices.jsonl --out DIR/report.json
//! ```
//!
//! (1,000,000 events make a 218 MB ledger: delete DIR afterwards.)
//!
//! Prints the generation time, the compute time, a digest of the report (to compare runs, e.g. native and wasm)
//! and, on Linux, the peak resident memory (VmHWM).

use std::time::Instant;

use pnl::{Method, Settings, compute};

#[path = "gen/mod.rs"]
mod generator;

/// CPU time of this thread in nanoseconds (Linux schedstat), which a busy shared machine does not inflate.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat").ok()?.split_whitespace().next()?.parse().ok()
}

fn peak_memory_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(1_000_000, |s| s.parse().expect("N must be a number"));
    let method: Method = args.next().map_or(Method::Fifo, |s| s.parse().expect("method"));
    let dir = args.next();
    let t0 = Instant::now();
    let (events, prices) = generator::generate(n);
    let generated = t0.elapsed();
    let memory_before = peak_memory_kb();
    let settings = Settings { method, ..Settings::default() };
    let cpu0 = thread_cpu_ns();
    let t1 = Instant::now();
    let report = compute(&events, &prices, &settings);
    let took = t1.elapsed();
    let cpu = cpu0.zip(thread_cpu_ns()).map(|(a, b)| (b - a) as f64 / 1e9);
    println!("events: {} ({} prices), generated in {:.3} s", events.len(), prices.len(), generated.as_secs_f64());
    match cpu {
        Some(cpu) => println!("{method} recompute: {:.3} s wall, {cpu:.3} s CPU", took.as_secs_f64()),
        None => println!("{method} recompute: {:.3} s wall", took.as_secs_f64()),
    }
    println!(
        "realized total {} | unrealized {} | open lots {} | days {} | disposals {} | identity holds {}",
        report.realized.total.round_dp(2),
        report.unrealized.round_dp(2),
        report.open_lots.len(),
        report.equity_curve.len(),
        report.disposals.len(),
        report.identity.holds
    );
    println!("report digest {}", generator::digest(&report));
    if let Some(dir) = dir {
        let write = |name: &str, f: &dyn Fn(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>| {
            let path = std::path::Path::new(&dir).join(name);
            let mut w = std::io::BufWriter::new(std::fs::File::create(&path).expect("create output file"));
            f(&mut w).expect("write output file");
            println!("wrote {}", path.display());
        };
        write("ledger.jsonl", &|w| ledger::write_jsonl(w, &events));
        write("prices.jsonl", &|w| ledger::write_jsonl(w, &prices));
    }
    if let (Some(before), Some(peak)) = (memory_before, peak_memory_kb()) {
        println!(
            "peak RSS (VmHWM): {:.1} MB after generating, {:.1} MB after computing",
            before as f64 / 1024.0,
            peak as f64 / 1024.0
        );
    }
}
