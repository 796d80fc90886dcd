//! Benchmark of the relay's log path: threads log the relay's `forwarded` line (the one every request writes at
//! `info`) through the relay's subscriber setup (`relay::logwriter`, the line format and the non-blocking stderr
//! writer). Prints the CPU time per line on the logging threads (what a request pays) and in the whole process
//! (the writer thread included), both CPU time rather than wall time so that other work on the machine does not
//! count (Linux: `/proc`), and the wall time until every line has been written.
//!
//!     cargo run --release -p relay --example log_bench -- [THREADS=2] [LINES_PER_THREAD=500000] [BATCH=0] 2>/dev/null
//!
//! BATCH > 0 paces the threads: each logs BATCH lines, then pauses a millisecond (a steady load, which the writer
//! should keep up with: no line dropped); only the logging is timed. 0 logs as fast as the threads can (a burst,
//! where lines may be dropped).
//!
//! stderr is where the lines go: send it to /dev/null (or a file) so the terminal does not set the pace. The
//! figures are printed on stdout.

use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>().expect("a whole number"));
    let threads = args.next().unwrap_or(2);
    let lines = args.next().unwrap_or(500_000);
    let batch = args.next().unwrap_or(0);
    let log = relay::logwriter::NonBlockingStderr::new();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .event_format(relay::logwriter::LineFormat)
        .with_writer(log.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    let process_cpu = process_cpu_ms();
    let start = Instant::now();
    let per_thread: Vec<f64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let cpu = thread_cpu_ns();
                    for i in 0..lines {
                        if batch > 0 && i > 0 && i % batch == 0 {
                            std::thread::sleep(std::time::Duration::from_millis(1));
                        }
                        tracing::info!(
                            venue = "binance",
                            endpoint = "/api/v3/myTrades",
                            status = 200u16,
                            latency_us = 1234 + i % 1000,
                            egress = "default",
                            client = "c3f1a2b4d5e6f708",
                            address = "a1b2c3d4",
                            weight = 20u32,
                            thread = t,
                            "forwarded"
                        );
                    }
                    (thread_cpu_ns() - cpu) as f64 / lines as f64
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a logging thread")).collect()
    });
    let logged = start.elapsed();
    log.flush();
    let written = start.elapsed();
    let process_ns = (process_cpu_ms() - process_cpu) as f64 * 1e6 / (threads * lines) as f64;
    let total = threads * lines;
    let mean = per_thread.iter().sum::<f64>() / per_thread.len() as f64;
    println!(
        "{threads} threads x {lines} lines (batch {batch}): CPU per line {mean:.0} ns on a logging thread, \
         {process_ns:.0} ns in the process; all logged in {:.0} ms ({:.2} M lines/s), all written in {:.0} ms; \
         dropped {}",
        logged.as_secs_f64() * 1e3,
        total as f64 / logged.as_secs_f64() / 1e6,
        written.as_secs_f64() * 1e3,
        relay::logwriter::dropped_lines(),
    );
}

/// CPU time of the calling thread so far, ns (the first field of `/proc/thread-self/schedstat`).
fn thread_cpu_ns() -> u64 {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").expect("Linux /proc");
    text.split_whitespace().next().and_then(|n| n.parse().ok()).expect("a number of ns")
}

/// CPU time of the whole process so far (user + system, every thread, finished ones included), ms.
fn process_cpu_ms() -> u64 {
    let text = std::fs::read_to_string("/proc/self/stat").expect("Linux /proc");
    let after_name = &text[text.rfind(')').expect("the command name") + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name, in ticks of 10 ms
    (fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")) * 10
}
