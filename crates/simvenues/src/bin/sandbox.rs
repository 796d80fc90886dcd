//! `sandbox --seed N --size tiny|small|medium|large --dir DIR [--port-base P] [--bind IP] [--anchor-ms MS]
//! [--fault-rate R] [--fault-seed N] [--fault-kinds K,...]`: generates demo accounts, serves simulated Binance and Bitget on loopback,
//! writes DIR/sandbox.json, DIR/truth/{ledger.jsonl,balances.json}, appends write attempts to DIR/breaches.jsonl,
//! and runs until SIGINT or SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;

use simvenues::sandbox::{Sandbox, SandboxConfig};

const USAGE: &str = "usage: sandbox --seed N --size tiny|small|medium|large --dir DIR [--port-base P] [--bind IP] \
[--anchor-ms MS] [--fault-rate R] [--fault-seed N] [--fault-kinds server-error,too-many-requests,timeout,reset,truncated,slow]";

fn parse() -> Result<(SandboxConfig, PathBuf), String> {
    let mut cfg = SandboxConfig::default();
    let mut dir = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.into());
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let bad = |what: &str| format!("{flag} {value:?}: expected {what}\n{USAGE}");
        match flag.as_str() {
            "--seed" => cfg.seed = value.parse().map_err(|_| bad("a number"))?,
            "--size" => cfg.size = value.parse().map_err(|e: String| format!("{e}\n{USAGE}"))?,
            "--dir" => dir = Some(PathBuf::from(value)),
            "--port-base" => cfg.port_base = Some(value.parse().map_err(|_| bad("a port number"))?),
            "--bind" => cfg.bind = value.parse().map_err(|_| bad("an IP address such as 127.0.0.1"))?,
            "--anchor-ms" => cfg.anchor_ms = Some(value.parse().map_err(|_| bad("milliseconds since 1970"))?),
            "--fault-rate" => cfg.faults.rate = value.parse().map_err(|_| bad("a fraction such as 0.05"))?,
            "--fault-seed" => cfg.faults.seed = value.parse().map_err(|_| bad("a number"))?,
            "--fault-kinds" => {
                cfg.faults.kinds = value
                    .split(',')
                    .map(|k| serde_json::from_value(serde_json::Value::String(k.trim().to_string())))
                    .collect::<Result<_, _>>()
                    .map_err(|_| bad("a list of server-error, too-many-requests, timeout, reset, truncated, slow"))?
            }
            other => return Err(format!("unknown flag {other}\n{USAGE}")),
        }
    }
    let dir = dir.ok_or_else(|| format!("--dir is required\n{USAGE}"))?;
    Ok((cfg, dir))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let (mut cfg, dir) = match parse() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
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
        "sandbox: {} fills generated in {generated:.2} s, truth written in {:.2} s; binance spot {} futures {} bitget {}",
        sandbox.world().fill_count(),
        started.elapsed().as_secs_f64() - generated,
        sandbox.binance_spot_url(),
        sandbox.binance_futures_url(),
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
