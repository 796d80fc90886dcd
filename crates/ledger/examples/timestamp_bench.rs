//! Benchmark of the ledger's timestamps: [`ledger::Timestamp`] parsed from and formatted to RFC 3339, a million
//! times each. The figures are the thread's CPU time (Linux `/proc`), so that other work on the machine does not
//! count.
//!
//!     cargo run --release -p ledger --example timestamp_bench -- [COUNT=1000000]

use std::fmt::Write;
use std::hint::black_box;

use ledger::Timestamp;

fn main() {
    let count: i64 = std::env::args().nth(1).map_or(1_000_000, |a| a.parse().expect("a whole number"));
    // instants spread over 2017-2026, a third with milliseconds
    let start = 1_483_228_800_000_i64;
    let times: Vec<i64> =
        (0..count).map(|i| start + i * 311_040_000_000 / count + if i % 3 == 0 { i % 1000 } else { 0 }).collect();
    let texts: Vec<String> = times.iter().map(|&t| Timestamp(t).to_string()).collect();
    let n = texts.len() as f64;
    for round in 1..=5 {
        let t = cpu_ns();
        let sum: i64 = texts.iter().map(|s| s.parse::<Timestamp>().expect("valid").millis()).sum();
        let parse = (cpu_ns() - t) as f64 / n;
        black_box(sum);
        let mut out = String::with_capacity(32);
        let t = cpu_ns();
        for &ms in &times {
            out.clear();
            let _ = write!(out, "{}", Timestamp(ms));
            black_box(&out);
        }
        let format = (cpu_ns() - t) as f64 / n;
        println!("round {round}, {count} timestamps: parse {parse:.0} ns, format {format:.0} ns per timestamp");
    }
}

/// CPU time of the calling thread so far, ns (the first field of `/proc/thread-self/schedstat`).
fn cpu_ns() -> u64 {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").expect("Linux /proc");
    text.split_whitespace().next().and_then(|n| n.parse().ok()).expect("a number of ns")
}
