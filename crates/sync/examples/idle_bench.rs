//! What keeping an account in sync costs: a backfill of a generated sandbox through the relay, then a tick with
//! nothing new, counted per venue limiter and per account from the requests that actually went out.
//!
//! `cargo run --release -p sync-engine --example idle_bench -- [tiny|small|medium|large] [SEED]`

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use catalogue::{Cost, Host, Venue};
use simvenues::generator::Size;
use simvenues::sandbox::{Sandbox, SandboxConfig};
use sync_engine::native::{DirStore, HttpTransport, Route};
use sync_engine::{AccountConfig, SyncOptions};
use venues::{Request, Response, Transport, TransportError};

#[path = "../tests/common/mod.rs"]
pub mod common;

pub use common::relay_for;
use common::{connect_retrying, copy_trading, credentials, synced_despite};

/// What one tick sent: requests and weight per limiter, per account.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Spent {
    /// Requests per account (`binance/main`), public ones (no key) under `venue/public`.
    pub requests: BTreeMap<String, u64>,
    /// Binance `/api` IP weight (6,000 a minute per IP).
    pub spot_ip: u64,
    /// Binance `/sapi` IP weight (12,000 a minute per IP).
    pub sapi_ip: u64,
    /// Binance `/fapi` IP weight (2,400 a minute per IP).
    pub futures_ip: u64,
    /// Binance `/dapi` (COIN-M) IP weight (6,000 a minute per IP).
    pub coinm_ip: u64,
    /// Binance UID weight per account (180,000 a minute per account).
    pub uid: BTreeMap<String, u64>,
    /// Requests per endpoint path.
    pub paths: BTreeMap<&'static str, u64>,
    /// Answers 429 or 418 (the relay's or the venue's rate limits; the request is sent again).
    pub limited: u64,
}

impl Spent {
    fn venue_requests(&self, venue: &str) -> u64 {
        self.requests.iter().filter(|(k, _)| k.starts_with(venue)).map(|(_, n)| n).sum()
    }
}

/// Counts what goes out, attributing signed requests to their account by the key they carry.
pub struct Counting<T> {
    inner: T,
    accounts: BTreeMap<String, String>,
    cost: Mutex<Spent>,
}

impl<T> Counting<T> {
    /// Counts what `inner` sends for the accounts of `sandbox`'s keys.
    pub fn new(inner: T, sandbox: &Sandbox) -> Self {
        let accounts = sandbox.keys().iter().map(|k| (k.api_key.clone(), format!("{}/{}", k.venue.as_str(), k.label)));
        Counting { inner, accounts: accounts.collect(), cost: Mutex::new(Spent::default()) }
    }

    /// The transport counted.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// Takes the counters so far, leaving them empty.
    pub fn take(&self) -> Spent {
        std::mem::take(&mut *self.cost.lock().unwrap())
    }
}

impl<T: Transport> Transport for Counting<T> {
    async fn send(&self, request: &Request) -> Result<Response, TransportError> {
        let e = request.endpoint;
        let key =
            request.headers.iter().find(|(n, _)| *n == "X-MBX-APIKEY" || *n == "ACCESS-KEY").map(|(_, v)| v.expose());
        let account = key.and_then(|k| self.accounts.get(k).cloned()).unwrap_or_else(|| format!("{}/public", e.venue));
        {
            let mut c = self.cost.lock().unwrap();
            *c.requests.entry(account.clone()).or_default() += 1;
            *c.paths.entry(e.path).or_default() += 1;
            let w = u64::from(request.weight());
            match (e.cost, e.host) {
                (Cost::BinanceUid(_), _) => {
                    *c.uid.entry(account).or_default() += w;
                    c.sapi_ip += 1;
                }
                (Cost::BinanceIp(_), Host::BinanceFutures) => c.futures_ip += w,
                (Cost::BinanceIp(_), Host::BinanceCoinFutures) => c.coinm_ip += w,
                (Cost::BinanceIp(_), _) if e.path.starts_with("/sapi/") => c.sapi_ip += w,
                (Cost::BinanceIp(_), _) => c.spot_ip += w,
                (Cost::BitgetPerSecond(_), _) => {}
            }
        }
        let r = self.inner.send(request).await;
        if r.as_ref().is_ok_and(|r| r.status == 429 || r.status == 418) {
            self.cost.lock().unwrap().limited += 1;
        }
        r
    }
    fn now_ms(&self) -> i64 {
        self.inner.now_ms()
    }
    async fn sleep(&self, ms: u64) {
        self.inner.sleep(ms).await;
    }
}

/// A sandbox of `size` behind a relay, and the accounts its read-only keys give (one per account).
pub struct Bench {
    /// The simulated venues.
    pub sandbox: Sandbox,
    /// The counting transport through the relay.
    pub transport: Counting<HttpTransport>,
    /// The regular accounts the connect check accepts.
    pub accounts: Vec<AccountConfig>,
    /// The copy-trading accounts it accepts (docs/venues.md §1.17, §2.11), measured apart.
    pub copy_accounts: Vec<AccountConfig>,
    _relay: common::RunningRelay,
}

impl Bench {
    /// Starts the sandbox and a relay in front of it, and checks every key.
    pub async fn start(size: Size, seed: u64) -> Bench {
        let sandbox = Sandbox::start(SandboxConfig { seed, size, ..SandboxConfig::default() }).await.expect("sandbox");
        let relay = relay_for(&sandbox, |_| {}).await;
        let http = HttpTransport::new(Route::Relay(relay.url.clone()), Duration::from_secs(10));
        let (mut accounts, mut copy_accounts): (Vec<AccountConfig>, Vec<AccountConfig>) = (Vec::new(), Vec::new());
        for k in sandbox.keys() {
            let creds = credentials(k);
            let ok = match connect_retrying(&http, &creds).await {
                Ok(_) => true,
                Err(e) => synced_despite(k, &e),
            };
            // two keys of one account (HMAC and Ed25519) are one account to keep in sync
            let config = AccountConfig { credentials: creds, copy_trading: copy_trading(k) };
            let list = if config.copy_trading { &mut copy_accounts } else { &mut accounts };
            if ok && !list.iter().any(|a| a.key() == config.key()) {
                list.push(config);
            }
        }
        let transport = Counting::new(http, &sandbox);
        Bench { sandbox, transport, accounts, copy_accounts, _relay: relay }
    }

    /// One sync of every regular account into `dir` with `options`; what it sent.
    pub async fn tick(&self, dir: &std::path::Path, options: &SyncOptions) -> Spent {
        self.tick_of(&self.accounts, dir, options).await
    }

    /// One sync of `accounts` into `dir` with `options`; what it sent.
    pub async fn tick_of(&self, accounts: &[AccountConfig], dir: &std::path::Path, options: &SyncOptions) -> Spent {
        let (mut store, mut state) = DirStore::open(dir).expect("store");
        self.transport.take();
        let (results, _) = sync_engine::sync_by_venue(&self.transport, options, accounts, &mut state, &mut store).await;
        for (a, r) in results {
            r.unwrap_or_else(|e| panic!("{a}: {e}"));
        }
        store.finish().expect("finish");
        self.transport.take()
    }

    /// Regular accounts per venue.
    pub fn count(&self, venue: Venue) -> u64 {
        count(&self.accounts, venue)
    }
}

/// Accounts of `venue` among `accounts`.
fn count(accounts: &[AccountConfig], venue: Venue) -> u64 {
    accounts.iter().filter(|a| a.credentials.venue == venue).count() as u64
}

/// One row of the table: per Binance account (requests and weights) and per Bitget account (requests).
#[derive(Clone, Debug)]
pub struct Row {
    /// What the row is.
    pub name: String,
    /// Requests of every account, public ones included.
    pub requests: f64,
    /// Per Binance account: requests, and weight on the spot (`/api`), SAPI IP and futures IP limits.
    pub binance_requests: f64,
    /// Binance `/api` IP weight per account.
    pub spot_ip: f64,
    /// Binance `/sapi` IP weight per account.
    pub sapi_ip: f64,
    /// Binance `/fapi` IP weight per account.
    pub futures_ip: f64,
    /// Binance `/dapi` (COIN-M) IP weight per account.
    pub coinm_ip: f64,
    /// Binance UID weight per account: the lowest and highest.
    pub uid: (u64, u64),
    /// Requests per Bitget account.
    pub bitget_requests: f64,
}

impl Row {
    /// The row of what one tick of the regular accounts sent.
    pub fn of(bench: &Bench, name: &str, c: &Spent) -> Row {
        Row::of_accounts(&bench.accounts, name, c)
    }

    /// The row of what one tick of `accounts` sent.
    pub fn of_accounts(accounts: &[AccountConfig], name: &str, c: &Spent) -> Row {
        let (nb, ng) = (count(accounts, Venue::Binance).max(1) as f64, count(accounts, Venue::Bitget).max(1) as f64);
        let uid: Vec<u64> = accounts
            .iter()
            .filter(|a| a.credentials.venue == Venue::Binance)
            .map(|a| c.uid.get(&a.key()).copied().unwrap_or(0))
            .collect();
        Row {
            name: name.into(),
            requests: c.requests.values().sum::<u64>() as f64,
            binance_requests: c.venue_requests("binance") as f64 / nb,
            spot_ip: c.spot_ip as f64 / nb,
            sapi_ip: c.sapi_ip as f64 / nb,
            futures_ip: c.futures_ip as f64 / nb,
            coinm_ip: c.coinm_ip as f64 / nb,
            uid: (uid.iter().copied().min().unwrap_or(0), uid.iter().copied().max().unwrap_or(0)),
            bitget_requests: c.venue_requests("bitget") as f64 / ng,
        }
    }

    /// The mean of `rows` weighted by how many of each a period holds.
    pub fn mean(name: &str, rows: &[(u32, &Row)]) -> Row {
        let n: f64 = rows.iter().map(|(k, _)| f64::from(*k)).sum();
        let avg = |f: fn(&Row) -> f64| rows.iter().map(|(k, r)| f64::from(*k) * f(r)).sum::<f64>() / n;
        let uid = |f: fn(&Row) -> u64| (rows.iter().map(|(k, r)| f64::from(*k) * f(r) as f64).sum::<f64>() / n) as u64;
        Row {
            name: name.into(),
            requests: avg(|r| r.requests),
            binance_requests: avg(|r| r.binance_requests),
            spot_ip: avg(|r| r.spot_ip),
            sapi_ip: avg(|r| r.sapi_ip),
            futures_ip: avg(|r| r.futures_ip),
            coinm_ip: avg(|r| r.coinm_ip),
            uid: (uid(|r| r.uid.0), uid(|r| r.uid.1)),
            bitget_requests: avg(|r| r.bitget_requests),
        }
    }

    /// Binance accounts one egress IP keeps in sync at this cost per `interval_min` minutes, using 80 % of each
    /// per-IP limit (spot 6,000, SAPI 12,000, futures 2,400, COIN-M 6,000 a minute): the binding limit's figure, and
    /// its name.
    pub fn per_ip(&self, interval_min: f64) -> (f64, &'static str) {
        let room = |limit: f64, used: f64| if used > 0.0 { limit * 0.8 * interval_min / used } else { f64::INFINITY };
        [
            (room(6_000.0, self.spot_ip), "spot"),
            (room(12_000.0, self.sapi_ip), "SAPI"),
            (room(2_400.0, self.futures_ip), "futures"),
            (room(6_000.0, self.coinm_ip), "COIN-M"),
        ]
        .into_iter()
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .expect("four limits")
    }
}

/// The table of the regular accounts in Markdown.
pub fn table(bench: &Bench, rows: &[Row]) -> String {
    table_of(&bench.accounts, rows)
}

/// The table in Markdown, with the accounts it covers.
pub fn table_of(accounts: &[AccountConfig], rows: &[Row]) -> String {
    let mut out = format!(
        "{} Binance and {} Bitget accounts; Binance figures per Binance account, Bitget requests per Bitget account\n\n",
        count(accounts, Venue::Binance),
        count(accounts, Venue::Bitget)
    );
    out.push_str(
        "| | requests (all) | Binance requests | Binance spot IP weight | Binance SAPI IP weight | Binance futures IP weight | Binance COIN-M IP weight | UID weight | Bitget requests |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let uid = if r.uid.0 == r.uid.1 { r.uid.0.to_string() } else { format!("{}–{}", r.uid.0, r.uid.1) };
        out.push_str(&format!(
            "| {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {uid} | {:.1} |\n",
            r.name, r.requests, r.binance_requests, r.spot_ip, r.sapi_ip, r.futures_ip, r.coinm_ip, r.bitget_requests
        ));
    }
    out
}

/// The table's rows: a backfill, a tick with nothing new (incremental), a full cycle with nothing new, and the
/// mean 5-minute tick of an hour (eleven incremental ticks and the hourly full cycle).
pub async fn measure(bench: &Bench, dir: &std::path::Path) -> Vec<Row> {
    measure_of(bench, &bench.accounts, dir).await
}

/// [`measure`] of `accounts` (the copy-trading ones: docs/sync.md, "What it costs").
pub async fn measure_of(bench: &Bench, accounts: &[AccountConfig], dir: &std::path::Path) -> Vec<Row> {
    let first = bench.tick_of(accounts, dir, &SyncOptions::default()).await;
    if first.limited > 0 {
        // the backfill used the rate limits' minute up (the large one does): the next tick starts in a fresh minute,
        // as it would five minutes later, so that its figures count no request sent twice
        eprintln!("backfill rate-limited {} times: waiting for the next minute", first.limited);
        tokio::time::sleep(Duration::from_secs(61)).await;
    }
    let idle = bench.tick_of(accounts, dir, &SyncOptions::default()).await;
    // the hourly full cycle: due (an hour is up), not asked for (which also reads what nothing moved, such as the
    // Simple Earn histories)
    let full = bench.tick_of(accounts, dir, &SyncOptions { full_every_ms: 0, ..SyncOptions::default() }).await;
    let first = Row::of_accounts(accounts, "first sync (backfill)", &first);
    let idle = Row::of_accounts(accounts, "tick with nothing new (incremental)", &idle);
    let full = Row::of_accounts(accounts, "full cycle with nothing new (hourly)", &full);
    let mean = Row::mean("mean 5-minute tick (11 incremental, 1 full)", &[(11, &idle), (1, &full)]);
    vec![first, idle, full, mean]
}

#[allow(dead_code)]
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let size: Size = args.first().map(|s| s.parse().expect("size")).unwrap_or(Size::Small);
    let seed: u64 = args.get(1).map(|s| s.parse().expect("seed")).unwrap_or(1);
    let bench = Bench::start(size, seed).await;
    eprintln!("sandbox {size:?} seed {seed}: {} fills", bench.sandbox.world().fill_count());
    let dir = std::env::temp_dir().join(format!("idle-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let t0 = std::time::Instant::now();
    let rows = measure(&bench, &dir).await;
    eprintln!("measured in {:?}", t0.elapsed());
    println!("{}", table(&bench, &rows));
    let (n, limit) = rows[3].per_ip(5.0);
    println!(
        "Binance accounts per egress IP at a 5-minute interval (80 % of each per-IP limit): {n:.0} ({limit} binds)"
    );
    let copy_dir = dir.join("copy-trading");
    let rows = measure_of(&bench, &bench.copy_accounts, &copy_dir).await;
    println!("Copy-trading accounts:\n{}", table_of(&bench.copy_accounts, &rows));
    let _ = std::fs::remove_dir_all(&dir);
}
