//! `meetcrypt sync` end to end: the binary against the simulated venues behind a relay (both in this process, on
//! loopback), then `meetcrypt pnl --state` on what it wrote. The sync engine's own tests check the ledger event by
//! event (crates/sync/tests/sandbox.rs); these check the command: its exit code, its summary, the residuals it
//! prints, and that a second run resumes.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use simvenues::sandbox::{Sandbox, SandboxConfig};

/// A relay serving in this process in front of the sandbox whose files are in `dir`, as `relay --sandbox` runs
/// (from egress IP 127.0.0.2, as the demo: the sandbox's keys allow it).
async fn relay(dir: &Path) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the relay");
    let addr = listener.local_addr().expect("its address");
    let argv =
        ["--sandbox", dir.to_str().expect("a UTF-8 path"), "--egress", "127.0.0.2", "--listen", &addr.to_string()];
    let args = relay::Args::from_argv(argv.iter().map(|s| s.to_string())).expect("relay arguments");
    let relay = relay::Relay::new(args.resolve(|_| None).expect("relay config")).expect("a relay");
    let router = relay::app(relay.clone());
    (format!("http://{addr}"), tokio::spawn(relay::serve(listener, relay, router, std::future::pending())))
}

/// Runs the `meetcrypt` binary with `args` (off the runtime's threads: the relay serves meanwhile).
async fn meetcrypt(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_meetcrypt")).args(&args).output().expect("run meetcrypt")
    })
    .await
    .expect("the command's thread")
}

fn summary(out: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_else(|| panic!("no summary; stderr:\n{}", stderr(out)));
    serde_json::from_str(last).unwrap_or_else(|e| panic!("summary `{last}`: {e}"))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn ledger_ids(dir: &Path) -> BTreeSet<String> {
    let text = std::fs::read(dir.join("ledger.jsonl")).expect("ledger.jsonl written");
    ledger::read_ledger(text.as_slice(), "ledger.jsonl").expect("a valid ledger").into_iter().map(|e| e.id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_through_the_relay_writes_the_venues_history_and_prints_every_account_complete() {
    let sandbox = Sandbox::start(SandboxConfig { seed: 23, ..SandboxConfig::default() }).await.expect("sandbox");
    let venues = tempfile::tempdir().expect("a directory");
    sandbox.write_dir(venues.path()).expect("the sandbox's files");
    let (url, serving) = relay(venues.path()).await;
    let out = tempfile::tempdir().expect("a directory");
    let keys = venues.path().join("sandbox.json").display().to_string();
    let args = |extra: &[&str]| -> Vec<String> {
        let base = ["sync", "--relay", &url, "--keys", &keys, "--out", &out.path().display().to_string(), "--quiet"];
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    };

    let first = meetcrypt(args(&["--full"])).await;
    assert!(first.status.success(), "exit {:?}; stderr:\n{}", first.status, stderr(&first));
    let s = summary(&first);
    assert_eq!(s["failed"], 0, "{s}");
    let synced = s["synced"].as_u64().expect("synced");
    assert!(synced > 0, "{s}");
    // every account synced explains every balance: no residual row, and stderr says so per account
    let residuals = s["residuals"].as_object().expect("residuals");
    assert!(!residuals.is_empty(), "{s}");
    assert!(residuals.values().all(|n| n == 0), "residual rows: {s}\n{}", stderr(&first));
    let complete = stderr(&first).lines().filter(|l| l.contains(": complete (")).count();
    assert!(complete >= residuals.len(), "one `complete` line per account:\n{}", stderr(&first));

    // the ledger written is the venues' history of the accounts synced, event for event (by id)
    let ids = ledger_ids(out.path());
    assert_eq!(ids.len() as u64, s["events"].as_u64().expect("events"), "{s}");
    let accounts: BTreeSet<String> =
        ids.iter().filter_map(|id| id.split(':').next()).map(str::to_owned).collect::<BTreeSet<_>>();
    let truth: BTreeSet<String> =
        sandbox.truth_ledger().into_iter().filter(|e| accounts.contains(e.account.as_str())).map(|e| e.id).collect();
    let missing: Vec<_> = truth.difference(&ids).take(5).collect();
    assert!(missing.is_empty(), "{} of the truth's events missing, e.g. {missing:?}", truth.difference(&ids).count());

    // a second run resumes: nothing new to write, fewer requests
    let again = meetcrypt(args(&[])).await;
    assert!(again.status.success(), "stderr:\n{}", stderr(&again));
    let s2 = summary(&again);
    assert_eq!(ledger_ids(out.path()), ids, "the second run changed the ledger");
    assert!(s2["requests"].as_u64() < s["requests"].as_u64(), "{s} then {s2}");

    // `meetcrypt pnl --state` on what sync wrote says the same: every account complete
    let ledger = out.path().join("ledger.jsonl").display().to_string();
    let state = out.path().join("sync-state.json").display().to_string();
    let report = out.path().join("report.json").display().to_string();
    let pnl =
        meetcrypt(["pnl", "--ledger", &ledger, "--state", &state, "--out", &report].map(String::from).to_vec()).await;
    assert!(pnl.status.success(), "stderr:\n{}", stderr(&pnl));
    let pnl_err = stderr(&pnl);
    assert!(pnl_err.lines().filter(|l| l.contains(": complete (")).count() >= residuals.len(), "{pnl_err}");
    serving.abort();
}
