//! `sandbox --seed N --size tiny|small|medium|large --dir DIR [--port-base P] [--bind IP] [--anchor-ms MS]
//! [--fault-rate R] [--fault-seed N] [--fault-kinds K,...]` (`--help` lists them): generates demo accounts, serves
//! simulated Binance and Bitget on loopback, writes DIR/sandbox.json, DIR/truth/{ledger.jsonl,balances.json}, appends write attempts to DIR/breaches.jsonl,
//! and runs until SIGINT or SIGTERM.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use simvenues::faults::FaultKind;
use simvenues::generator::Size;
use simvenues::sandbox::{Sandbox, SandboxConfig};

/// Simulated Binance and Bitget on loopback, with generated demo accounts and their ground truth.
#[derive(Parser, Debug)]
#[command(name = "sandbox", version)]
struct Args {
    /// Seed of the generated accounts (the same seed gives the same accounts).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How much history: tiny, small, medium or large.
    #[arg(long, default_value = "small")]
    size: Size,
    /// Where to write sandbox.json, truth/ and breaches.jsonl.
    #[arg(long)]
    dir: PathBuf,
    /// First of the ports to listen on (Binance spot, Binance USDⓈ-M futures, Bitget, Binance COIN-M futures); free ports when absent.
    #[arg(long)]
    port_base: Option<u16>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// The day history ends on, in ms since 1970 (default: today).
    #[arg(long)]
    anchor_ms: Option<i64>,
    /// Fraction of requests answered with an injected fault, such as 0.05.
    #[arg(long, default_value_t = 0.0)]
    fault_rate: f64,
    /// Seed of the injected faults.
    #[arg(long)]
    fault_seed: Option<u64>,
    /// Which faults to inject, comma-separated: server-error, too-many-requests, timeout, reset, truncated, slow.
    #[arg(long, value_delimiter = ',', value_parser = fault_kind)]
    fault_kinds: Vec<FaultKind>,
}

fn fault_kind(s: &str) -> Result<FaultKind, String> {
    serde_json::from_value(serde_json::Value::String(s.trim().to_string()))
        .map_err(|_| "expected server-error, too-many-requests, timeout, reset, truncated or slow".to_string())
}

fn config(args: Args) -> (SandboxConfig, PathBuf) {
    let mut cfg = SandboxConfig { seed: args.seed, size: args.size, bind: args.bind, ..SandboxConfig::default() };
    cfg.port_base = args.port_base;
    cfg.anchor_ms = args.anchor_ms;
    cfg.faults.rate = args.fault_rate;
    if let Some(seed) = args.fault_seed {
        cfg.faults.seed = seed;
    }
    if !args.fault_kinds.is_empty() {
        cfg.faults.kinds = args.fault_kinds;
    }
    (cfg, args.dir)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let (mut cfg, dir) = config(Args::parse());
    // signal handlers first: a SIGTERM or SIGINT at any later point stops the sandbox cleanly
    use tokio::signal::unix::{SignalKind, signal};
    let (mut term, mut int) = match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
        (Ok(t), Ok(i)) => (t, i),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("sandbox: cannot listen for SIGTERM/SIGINT: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("cannot create {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    let breaches = dir.join("breaches.jsonl");
    if let Err(e) = std::fs::OpenOptions::new().create(true).append(true).open(&breaches) {
        eprintln!("cannot create {}: {e}", breaches.display());
        return ExitCode::FAILURE;
    }
    cfg.breach_file = Some(breaches);
    let started = std::time::Instant::now();
    let sandbox = match Sandbox::start(cfg).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sandbox: {e}");
            return ExitCode::FAILURE;
        }
    };
    let generated = started.elapsed().as_secs_f64();
    if let Err(e) = sandbox.write_dir(&dir) {
        eprintln!("sandbox: {e}");
        return ExitCode::FAILURE;
    }
    eprintln!(
        "sandbox: {} fills generated in {generated:.2} s, truth written in {:.2} s; binance spot {} futures {} coin-m {} bitget {}",
        sandbox.world().fill_count(),
        started.elapsed().as_secs_f64() - generated,
        sandbox.binance_spot_url(),
        sandbox.binance_futures_url(),
        sandbox.binance_coin_futures_url(),
        sandbox.bitget_url(),
    );
    println!("sandbox ready: {}", dir.join("sandbox.json").display());
    tokio::select! {
        _ = int.recv() => {}
        _ = term.recv() => {}
    }
    sandbox.shutdown();
    eprintln!("sandbox: stopped");
    ExitCode::SUCCESS
}
