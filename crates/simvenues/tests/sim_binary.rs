//! The `sandbox` binary: writes its files, announces readiness, serves, and stops cleanly on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn sandbox_binary_writes_files_serves_and_stops_on_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sandbox");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sandbox"))
        .args(["--seed", "3", "--size", "tiny", "--dir"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line.trim(), format!("sandbox ready: {}", dir.join("sandbox.json").display()));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("sandbox.json")).unwrap()).unwrap();
    for f in ["truth/ledger.jsonl", "truth/balances.json", "breaches.jsonl"] {
        assert!(dir.join(f).exists(), "{f}");
    }
    let balances: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("truth/balances.json")).unwrap()).unwrap();
    assert!(balances["binance/main/spot"]["USDT"].is_string());
    // it serves: /api/v3/time over a plain socket
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let r = rt
        .block_on(simvenues::client::request(
            manifest["binance_spot"].as_str().unwrap(),
            "GET",
            "/api/v3/time",
            &[],
            b"",
            None,
        ))
        .unwrap();
    assert_eq!(r.status, 200);
    assert!(r.json()["serverTime"].is_i64());
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let started = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            assert!(st.success(), "{st:?}");
            break;
        }
        // A bound only a hang reaches.
        assert!(started.elapsed() < Duration::from_secs(120), "sandbox did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sandbox_binary_explains_bad_arguments() {
    let out =
        Command::new(env!("CARGO_BIN_EXE_sandbox")).args(["--seed", "x", "--dir", "/tmp/never"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid value 'x' for '--seed <SEED>'") && err.contains("--help"), "{err}");
    let out =
        Command::new(env!("CARGO_BIN_EXE_sandbox")).args(["--size", "huge", "--dir", "/tmp/never"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown size \"huge\": use tiny, small, medium or large"));
    let out = Command::new(env!("CARGO_BIN_EXE_sandbox"))
        .args(["--fault-kinds", "reset,gremlins", "--dir", "/tmp/never"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("'gremlins'"));
    // --help lists every option
    let help = Command::new(env!("CARGO_BIN_EXE_sandbox")).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--seed",
        "--size",
        "--dir",
        "--port-base",
        "--bind",
        "--anchor-ms",
        "--fault-rate",
        "--fault-seed",
        "--fault-kinds",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help: {help}");
    }
}
