//! `meetcrypt sync --relay URL --keys FILE --out DIR`: checks every key, then syncs the accepted ones through the
//! relay into DIR/ledger.jsonl (the open ledger format) and DIR/balances.json, resuming from DIR when run again.

use std::path::PathBuf;
use std::time::Duration;

use catalogue::Venue;
use ledger::Position;
use serde::Deserialize;
use sync_engine::native::{DirStore, HttpTransport, Route, relay_ips};
use sync_engine::{AccountConfig, Progress, Sink, SinkError, SyncOptions, SyncState, sync_by_venue};
use venues::parse::Balances;
use venues::{Client, ConnectError, ConnectPolicy, Credentials, Secret};

use crate::args::SyncArgs;

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
    /// `copy-trading` for a copy-trading account (docs/venues.md §1.17, §2.11); anything else is a regular one.
    #[serde(default)]
    account_kind: String,
}

/// The key file's accounts, each read as its kind says.
fn load_keys(path: &PathBuf) -> Result<Vec<AccountConfig>, String> {
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
            let copy_trading = k.account_kind == "copy-trading";
            Ok(AccountConfig {
                credentials: Credentials::new(venue, k.label, k.api_key, k.secret, passphrase),
                copy_trading,
            })
        })
        .collect()
}

/// The store, with progress on the terminal.
struct Terminal {
    store: DirStore,
    quiet: bool,
}

impl Sink for Terminal {
    fn checkpoint(&mut self, state: &SyncState, events: &[ledger::Event]) -> Result<(), SinkError> {
        self.store.checkpoint(state, events)
    }
    fn snapshot(&mut self, account: &str, balances: &Balances, positions: &[Position]) -> Result<(), SinkError> {
        self.store.snapshot(account, balances, positions)
    }
    fn wallet_ledger(&self, wallet: &str, at: i64) -> Option<std::collections::BTreeMap<String, ledger::Decimal>> {
        self.store.wallet_ledger(wallet, at)
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
pub fn run(args: SyncArgs) -> i32 {
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

async fn sync(args: SyncArgs, keys: Vec<AccountConfig>) -> i32 {
    let timeout = Duration::from_millis(args.timeout_ms);
    let mut policy = ConnectPolicy {
        allow_trade: args.allow_trade,
        allow_transfer: args.allow_transfer,
        allow_borrow: args.allow_borrow,
        ..ConnectPolicy::default()
    };
    let (store, mut state) = match DirStore::open(&args.out) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("meetcrypt sync: {e}");
            return 1;
        }
    };
    let transport = HttpTransport::new(Route::Relay(args.relay.clone()), timeout);
    match relay_ips(&args.relay, timeout).await {
        Ok(ips) => policy.relay_ips = ips,
        Err(e) => eprintln!("meetcrypt sync: could not read the relay's IPs ({e}); continuing"),
    }
    let (accepted, refused) = connect_all(&transport, &policy, keys).await;
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
    // rows kept in a form that needs a reader's eye (an unknown type or wallet), each named once
    for w in &s.warnings {
        eprintln!("warning: {w}");
    }
    // each account's residuals and unfound trades, printed and counted in the summary
    let events: Vec<ledger::Event> = sink.store.events().values().cloned().collect();
    let residuals = print_residuals(&results, &state, &events);
    let unfound: std::collections::BTreeMap<&String, _> = state
        .accounts
        .iter()
        .filter(|(_, st)| !st.unfound_trades.is_empty())
        .map(|(k, st)| (k, &st.unfound_trades))
        .collect();
    let summary = serde_json::json!({
        "synced": results.len() - failed, "failed": failed, "refused": refused,
        "events": sink.store.events().len(), "requests": s.requests, "retries": s.retries,
        "lower_bound": s.lower_bound, "weight": s.weight, "rows": s.rows,
        "full_cycles": s.full_ticks, "incremental": s.incremental_ticks, "escalated": s.escalations,
        "warnings": s.warnings, "residuals": residuals, "unfound_trades": unfound, "out": args.out.display().to_string(),
    });
    println!("{summary}");
    if failed > 0 { 1 } else { 0 }
}

/// Checks each key with the venue (retrying what the venue says may pass later), prints why a key is refused, and
/// returns the accounts to sync with the number refused.
async fn connect_all(
    transport: &HttpTransport,
    policy: &ConnectPolicy,
    keys: Vec<AccountConfig>,
) -> (Vec<AccountConfig>, usize) {
    let mut accepted = Vec::new();
    let mut refused = 0;
    for account in keys {
        let creds = account.credentials.clone();
        let name = format!("{}/{}", creds.venue, creds.label);
        let client = Client::new(creds.clone());
        // a copy-trading account's key that can change copy settings is refused (docs/venues.md §1.17, §2.11)
        let policy = ConnectPolicy { copy_trading: account.copy_trading, ..policy.clone() };
        let mut result = venues::connect(transport, &client, &policy).await;
        for attempt in 1..6u64 {
            match &result {
                Err(ConnectError::Venue(e)) if e.is_retryable() => {
                    tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
                    result = venues::connect(transport, &client, &policy).await;
                }
                _ => break,
            }
        }
        match result {
            Ok(report) => {
                for w in &report.warnings {
                    eprintln!("{name}: warning: {w}");
                }
                accepted.push(account);
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
    (accepted, refused)
}

/// Prints, per account synced, "complete" or the residuals of its wallets and assets and the assets whose trades
/// were found on no listed or delisted pair (docs/sync.md, "Balances explained"); returns each account's count of
/// residual rows for the summary.
fn print_residuals(
    results: &[(String, Result<(), sync_engine::SyncError>)],
    state: &SyncState,
    events: &[ledger::Event],
) -> serde_json::Map<String, serde_json::Value> {
    let mut residuals = serde_json::Map::new();
    for (key, r) in results {
        // an account read by two keys (HMAC and Ed25519) is shown once
        if r.is_err() || residuals.contains_key(key) {
            continue;
        }
        if let Some(res) = state.accounts.get(key).and_then(|st| sync_engine::residual::of_state(key, st, events)) {
            for line in sync_engine::residual::lines(&res) {
                eprintln!("{line}");
            }
            residuals.insert(key.clone(), res.rows.len().into());
        }
    }
    residuals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_in_the_sandbox_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sandbox.json");
        std::fs::write(
            &path,
            r#"{"binance_spot":"http://x","keys":[
              {"venue":"binance","label":"main","account_kind":"spot","permissions":"read-only","api_key":"k1",
               "secret":"s1","passphrase":"","ip_allow":[],"key_type":"HMAC_SHA256"},
              {"venue":"bitget","label":"unified","account_kind":"unified","permissions":"read-only","api_key":"k2",
               "secret":"s2","passphrase":"p2","ip_allow":["127.0.0.2"]}]}"#,
        )
        .unwrap();
        let accounts = load_keys(&path).unwrap();
        assert!(accounts.iter().all(|a| !a.copy_trading));
        let keys: Vec<Credentials> = accounts.into_iter().map(|a| a.credentials).collect();
        assert_eq!(keys.len(), 2);
        assert_eq!(
            (keys[0].venue, keys[0].label.as_str(), keys[0].passphrase.is_none()),
            (Venue::Binance, "main", true)
        );
        assert_eq!(keys[1].passphrase.as_ref().unwrap().expose(), "p2");
        std::fs::write(&path, r#"{"keys":[{"venue":"kraken","label":"x","api_key":"k","secret":"s"}]}"#).unwrap();
        assert!(load_keys(&path).unwrap_err().contains("unknown venue \"kraken\""));
    }
}
