//! `meetcrypt sync --relay URL --keys FILE --out DIR`: checks every key, then syncs the accepted ones through the
//! relay into DIR/ledger.jsonl (the open ledger format) and DIR/balances.json, resuming from DIR when run again.

use std::path::PathBuf;
use std::time::Duration;

use catalogue::Venue;
use ledger::Position;
use serde::Deserialize;
use sync_engine::native::{DirStore, HttpTransport, Route, relay_ips};
use sync_engine::{AccountConfig, Progress, Sink, SyncOptions, SyncState, sync_by_venue};
use venues::parse::Balances;
use venues::{Client, ConnectError, ConnectPolicy, Credentials, Secret};

const USAGE: &str = "usage: meetcrypt sync --relay URL --keys FILE --out DIR [--days N] [--full] [--allow-trade] \
[--allow-transfer] [--allow-borrow] [--timeout-ms MS] [--quiet]

  --relay URL      the relay, e.g. http://127.0.0.1:8080
  --keys FILE      keys as JSON: {\"keys\":[{\"venue\",\"label\",\"api_key\",\"secret\",\"passphrase\"}, ...]}
                   (the sandbox's sandbox.json works as is)
  --out DIR        where ledger.jsonl, balances.json, positions.json and sync-state.json are kept; a second run
                   resumes and brings them up to date
  --days N         history to backfill, in days (default 90; streams the venue keeps for less start there)
  --full           read every stream from its cursor (a full cycle); without it, a run over a directory synced
                   within the hour reads the balances and only the streams that can explain what moved
  --allow-trade, --allow-transfer, --allow-borrow
                   accept keys with those permissions (refused by default); withdrawal keys are always refused";

#[derive(Deserialize)]
struct KeyFile {
    keys: Vec<KeyEntry>,
}

#[derive(Deserialize)]
struct KeyEntry {
    venue: String,
    label: String,
    api_key: String,
    secret: Secret,
    #[serde(default)]
    passphrase: Option<Secret>,
}

struct Args {
    relay: String,
    keys: PathBuf,
    out: PathBuf,
    days: i64,
    full: bool,
    policy: ConnectPolicy,
    timeout: Duration,
    quiet: bool,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let (mut relay, mut keys, mut out) = (None, None, None);
    let mut days = 90;
    let mut full = false;
    let mut policy = ConnectPolicy::default();
    let mut timeout = Duration::from_secs(10);
    let mut quiet = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--relay" => relay = Some(value("--relay")?),
            "--keys" => keys = Some(PathBuf::from(value("--keys")?)),
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            "--days" => days = value("--days")?.parse().map_err(|_| "--days needs a whole number of days")?,
            "--timeout-ms" => {
                timeout = Duration::from_millis(value("--timeout-ms")?.parse().map_err(|_| "--timeout-ms needs ms")?);
            }
            "--full" => full = true,
            "--allow-trade" => policy.allow_trade = true,
            "--allow-transfer" => policy.allow_transfer = true,
            "--allow-borrow" => policy.allow_borrow = true,
            "--quiet" => quiet = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        relay: relay.ok_or("--relay is required")?,
        keys: keys.ok_or("--keys is required")?,
        out: out.ok_or("--out is required")?,
        days,
        full,
        policy,
        timeout,
        quiet,
    })
}

fn load_keys(path: &PathBuf) -> Result<Vec<Credentials>, String> {
    let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file: KeyFile =
        serde_json::from_slice(&text).map_err(|e| format!("{}: not a key list: {e}", path.display()))?;
    file.keys
        .into_iter()
        .enumerate()
        .map(|(i, k)| {
            let venue = Venue::parse(&k.venue).ok_or_else(|| {
                format!("{}: key {}: unknown venue {:?} (binance or bitget)", path.display(), i + 1, k.venue)
            })?;
            let passphrase = k.passphrase.filter(|p| !p.is_empty());
            Ok(Credentials::new(venue, k.label, k.api_key, k.secret, passphrase))
        })
        .collect()
}

/// The store, with progress on the terminal.
struct Terminal {
    store: DirStore,
    quiet: bool,
}

impl Sink for Terminal {
    fn checkpoint(&mut self, state: &SyncState, events: &[ledger::Event]) -> Result<(), String> {
        self.store.checkpoint(state, events)
    }
    fn snapshot(&mut self, account: &str, balances: &Balances, positions: &[Position]) -> Result<(), String> {
        self.store.snapshot(account, balances, positions)
    }
    fn progress(&mut self, p: &Progress) {
        if self.quiet {
            return;
        }
        let total = p.total.map(|t| format!("/{t}")).unwrap_or_default();
        let eta = p.eta_ms.map(|ms| format!(", about {} s left", ms.div_ceil(1000))).unwrap_or_default();
        eprintln!("  {} {}: {}{} tasks, {} rows{}", p.account, p.stream, p.done, total, p.rows, eta);
    }
}

/// Runs `meetcrypt sync` with the arguments after `sync`; returns the exit code.
pub fn run(args: &[String]) -> i32 {
    let args = match parse_args(args) {
        Ok(a) => a,
        Err(e) if e.is_empty() => {
            println!("{USAGE}");
            return 0;
        }
        Err(e) => {
            eprintln!("meetcrypt sync: {e}\n{USAGE}");
            return 2;
        }
    };
    let keys = match load_keys(&args.keys) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("meetcrypt sync: {e}");
            return 2;
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("meetcrypt sync: cannot start: {e}");
            return 1;
        }
    };
    rt.block_on(sync(args, keys))
}

async fn sync(mut args: Args, keys: Vec<Credentials>) -> i32 {
    let (store, mut state) = match DirStore::open(&args.out) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("meetcrypt sync: {e}");
            return 1;
        }
    };
    let transport = HttpTransport::new(Route::Relay(args.relay.clone()), args.timeout);
    match relay_ips(&args.relay, args.timeout).await {
        Ok(ips) => args.policy.relay_ips = ips,
        Err(e) => eprintln!("meetcrypt sync: could not read the relay's IPs ({e}); continuing"),
    }
    let mut accepted = Vec::new();
    let mut refused = 0;
    for creds in keys {
        let name = format!("{}/{}", creds.venue, creds.label);
        let client = Client::new(creds.clone());
        let mut result = venues::connect(&transport, &client, &args.policy).await;
        for attempt in 1..6u64 {
            match &result {
                Err(ConnectError::Venue(e)) if e.is_retryable() => {
                    tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
                    result = venues::connect(&transport, &client, &args.policy).await;
                }
                _ => break,
            }
        }
        match result {
            Ok(report) => {
                for w in &report.warnings {
                    eprintln!("{name}: warning: {w}");
                }
                accepted.push(AccountConfig { credentials: creds });
            }
            Err(e @ ConnectError::Refused { .. }) => {
                refused += 1;
                eprintln!("{name}: {e}");
            }
            Err(e) => {
                refused += 1;
                eprintln!("{name}: not synced: {e}");
            }
        }
    }
    let options = SyncOptions { history_days: args.days, full: args.full, ..SyncOptions::default() };
    let mut sink = Terminal { store, quiet: args.quiet };
    let (results, stats) = sync_by_venue(&transport, &options, &accepted, &mut state, &mut sink).await;
    let mut failed = 0;
    for (_, r) in &results {
        if let Err(e) = r {
            failed += 1;
            eprintln!("sync failed: {e}");
        }
    }
    if let Err(e) = sink.store.finish() {
        eprintln!("meetcrypt sync: {e}");
        return 1;
    }
    let s = &stats;
    let summary = serde_json::json!({
        "synced": results.len() - failed, "failed": failed, "refused": refused,
        "events": sink.store.events().len(), "requests": s.requests, "retries": s.retries,
        "lower_bound": s.lower_bound, "weight": s.weight, "rows": s.rows,
        "full_cycles": s.full_ticks, "incremental": s.incremental_ticks, "escalated": s.escalations,
        "out": args.out.display().to_string(),
    });
    println!("{summary}");
    if failed > 0 { 1 } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn arguments() {
        let a = parse_args(&strings(&[
            "--relay",
            "http://127.0.0.1:8080",
            "--keys",
            "k.json",
            "--out",
            "d",
            "--days",
            "30",
        ]))
        .unwrap();
        assert_eq!(
            (a.relay.as_str(), a.days, a.policy.allow_trade, a.full),
            ("http://127.0.0.1:8080", 30, false, false)
        );
        let a =
            parse_args(&strings(&["--relay", "r", "--keys", "k", "--out", "d", "--allow-trade", "--full"])).unwrap();
        assert!(a.policy.allow_trade && !a.policy.allow_transfer && a.full);
        assert_eq!(parse_args(&strings(&["--keys", "k", "--out", "d"])).err().unwrap(), "--relay is required");
        assert!(parse_args(&strings(&["--relay"])).err().unwrap().contains("needs a value"));
        assert!(parse_args(&strings(&["--bogus"])).err().unwrap().contains("unknown argument --bogus"));
    }

    #[test]
    fn key_file_in_the_sandbox_format() {
        let dir = std::env::temp_dir().join(format!("meetcrypt-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("sandbox.json");
        std::fs::write(
            &path,
            r#"{"binance_spot":"http://x","keys":[
              {"venue":"binance","label":"main","account_kind":"spot","permissions":"read-only","api_key":"k1",
               "secret":"s1","passphrase":"","ip_allow":[],"key_type":"HMAC_SHA256"},
              {"venue":"bitget","label":"unified","account_kind":"unified","permissions":"read-only","api_key":"k2",
               "secret":"s2","passphrase":"p2","ip_allow":["127.0.0.2"]}]}"#,
        )
        .unwrap();
        let keys = load_keys(&path).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(
            (keys[0].venue, keys[0].label.as_str(), keys[0].passphrase.is_none()),
            (Venue::Binance, "main", true)
        );
        assert_eq!(keys[1].passphrase.as_ref().unwrap().expose(), "p2");
        std::fs::write(&path, r#"{"keys":[{"venue":"kraken","label":"x","api_key":"k","secret":"s"}]}"#).unwrap();
        assert!(load_keys(&path).unwrap_err().contains("unknown venue \"kraken\""));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
