//! End to end: the simulated venues (the `simvenues` sandbox) behind the relay, the engine syncing every key the
//! connect check accepts, and the result compared with the sandbox's ground truth exactly: ledger and balances,
//! cleanly, with 5 % injected faults, and after being killed and resumed at points counted in the sync's own progress.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicU32};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use catalogue::{Host, Venue};
use ledger::Event;

use simvenues::faults::FaultConfig;
use simvenues::generator::Size;
use simvenues::keys::{DemoKey, Venue as SimVenue};
use simvenues::sandbox::{Sandbox, SandboxConfig};
use sync_engine::native::{CrashPlan, Cut, DirStore, HttpTransport, Route, StoreError, StoreWrite};
use sync_engine::{AccountConfig, SinkError, SyncOptions};
use venues::{Client, ConnectPolicy, Credentials, Request, Response, Secret, Transport, TransportError};

mod common;

use common::{connect_retrying, copy_trading, credentials, relay_for, synced_despite, tmp};

struct Running {
    sandbox: Sandbox,
    relay: common::RunningRelay,
}

async fn start(seed: u64, size: Size, fault_rate: f64, egress: Option<IpAddr>) -> Running {
    start_with(seed, size, fault_rate, egress, |_| {}).await
}

async fn start_with(
    seed: u64,
    size: Size,
    fault_rate: f64,
    egress: Option<IpAddr>,
    adjust: impl FnOnce(&mut SandboxConfig),
) -> Running {
    let faults = FaultConfig { seed, rate: fault_rate, timeout_ms: 30_000, slow_ms: 300, ..FaultConfig::default() };
    let mut cfg = SandboxConfig { seed, size, faults, ..SandboxConfig::default() };
    adjust(&mut cfg);
    let sandbox = Sandbox::start(cfg).await.unwrap();
    let relay = relay_for(&sandbox, |c| c.egress = egress.into_iter().collect()).await;
    Running { sandbox, relay }
}

/// Records every (venue, method, path) sent, to prove they are all in the catalogue.
struct Recording<T> {
    inner: T,
    seen: Mutex<BTreeSet<(Venue, &'static str, &'static str)>>,
    /// Requests sent, by path.
    sent: Mutex<BTreeMap<&'static str, usize>>,
    /// Requests in flight to Binance's spot and futures hosts (USDⓈ-M and COIN-M), and whether both ever had one at
    /// once.
    in_flight: Mutex<(u32, u32, bool)>,
}

impl<T: Transport> Transport for Recording<T> {
    async fn send(&self, request: &Request) -> Result<Response, TransportError> {
        let e = request.endpoint;
        self.seen.lock().unwrap().insert((e.venue, e.method.as_str(), e.path));
        *self.sent.lock().unwrap().entry(e.path).or_default() += 1;
        let count = |d: i32| {
            let mut f = self.in_flight.lock().unwrap();
            match e.host {
                Host::BinanceSpot => f.0 = f.0.saturating_add_signed(d),
                Host::BinanceFutures | Host::BinanceCoinFutures => f.1 = f.1.saturating_add_signed(d),
                Host::Bitget => {}
            }
            f.2 |= f.0 > 0 && f.1 > 0;
        };
        count(1);
        let t0 = std::time::Instant::now();
        let r = self.inner.send(request).await;
        count(-1);
        if std::env::var("SYNC_E2E_TRACE").is_ok() {
            eprintln!("{:>6} ms {} {}", t0.elapsed().as_millis(), e.venue, e.path);
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

fn transport(r: &Running) -> Recording<HttpTransport> {
    Recording {
        inner: HttpTransport::new(Route::Relay(r.relay.url.clone()), Duration::from_secs(2)),
        seen: Mutex::new(BTreeSet::new()),
        sent: Mutex::new(BTreeMap::new()),
        in_flight: Mutex::new((0, 0, false)),
    }
}

/// Connect-checks every sandbox key; returns the accepted ones and the refusal messages by `venue/label/profile`.
async fn check_keys<T: Transport>(t: &T, keys: &[DemoKey]) -> (Vec<AccountConfig>, BTreeMap<String, String>) {
    let mut accepted = Vec::new();
    let mut refused = BTreeMap::new();
    for k in keys {
        let creds = credentials(k);
        let name = format!("{}/{}/{:?}", k.venue.as_str(), k.label, k.permissions);
        let account = AccountConfig { credentials: creds.clone(), copy_trading: copy_trading(k) };
        match connect_retrying(t, &creds).await {
            Ok(_) => accepted.push(account),
            Err(e) if synced_despite(k, &e) => accepted.push(account),
            Err(e) => {
                refused.insert(name, e.to_string());
            }
        }
    }
    (accepted, refused)
}

async fn sync_into<T: Transport>(t: &T, accounts: &[AccountConfig], dir: &Path) -> sync_engine::Stats {
    sync_with(t, accounts, dir, 0).await
}

async fn sync_with<T: Transport>(t: &T, accounts: &[AccountConfig], dir: &Path, fresh_ms: i64) -> sync_engine::Stats {
    sync_days(t, accounts, dir, fresh_ms, SyncOptions::default().history_days).await
}

async fn sync_days<T: Transport>(
    t: &T,
    accounts: &[AccountConfig],
    dir: &Path,
    fresh_ms: i64,
    history_days: i64,
) -> sync_engine::Stats {
    let (mut store, mut state) = DirStore::open(dir).unwrap();
    let options = SyncOptions { backoff_ms: 50, fresh_ms, history_days, ..SyncOptions::default() };
    // both venues at once, as the CLI runs them
    let (results, stats) = sync_engine::sync_by_venue(t, &options, accounts, &mut state, &mut store).await;
    for (a, r) in results {
        r.unwrap_or_else(|e| panic!("{a}: {e}"));
    }
    store.finish().unwrap();
    stats
}

fn prefixes(accounts: &[AccountConfig]) -> BTreeSet<String> {
    accounts.iter().map(|a| format!("{}/{}/", a.credentials.venue, a.credentials.label)).collect()
}

fn mine(p: &BTreeSet<String>, account: &str) -> bool {
    p.iter().any(|x| account.starts_with(x.as_str()))
}

/// The synced ledger and balances equal the truth for every synced account (no duplicates, no gaps).
fn assert_matches_truth(r: &Running, accounts: &[AccountConfig], dir: &Path) {
    if let Err(e) = compare_with_truth(r, accounts, dir) {
        panic!("{e}");
    }
}

/// Account -> asset -> amount, as the sync wrote them to `balances.json` and as the sandbox's truth has them, for
/// the accounts of `p`.
type Balances = BTreeMap<String, BTreeMap<String, String>>;
fn synced_and_true_balances(r: &Running, p: &BTreeSet<String>, dir: &Path) -> (Balances, Balances) {
    let synced = serde_json::from_slice(&std::fs::read(dir.join("balances.json")).unwrap()).unwrap();
    let truth = r
        .sandbox
        .truth_balances()
        .into_iter()
        .filter(|(a, _)| mine(p, a))
        .map(|(a, m)| (a, m.into_iter().map(|(k, v)| (k, v.normalize().to_string())).collect()))
        .collect();
    (synced, truth)
}

/// Whether the synced ledger and balances equal the truth, and if not, the first differences.
fn compare_with_truth(r: &Running, accounts: &[AccountConfig], dir: &Path) -> Result<(), String> {
    let p = prefixes(accounts);
    let text = std::fs::read(dir.join("ledger.jsonl")).unwrap();
    let synced = ledger::read_ledger(text.as_slice(), "ledger.jsonl").unwrap();
    let ids: BTreeSet<&str> = synced.iter().map(|e| e.id.as_str()).collect();
    if ids.len() != synced.len() {
        return Err(format!("duplicate ids: {} events, {} ids", synced.len(), ids.len()));
    }
    let by_id = |v: &[Event]| -> BTreeMap<String, Event> { v.iter().map(|e| (e.id.clone(), e.clone())).collect() };
    let truth: Vec<Event> = r.sandbox.truth_ledger().into_iter().filter(|e| mine(&p, e.account.as_str())).collect();
    assert!(!truth.is_empty());
    let (ours, theirs) = (by_id(&synced), by_id(&truth));
    let missing: Vec<_> = theirs.keys().filter(|k| !ours.contains_key(*k)).take(5).collect();
    let extra: Vec<_> = ours.keys().filter(|k| !theirs.contains_key(*k)).take(5).collect();
    if !missing.is_empty() || !extra.is_empty() {
        return Err(format!("missing {missing:?}, extra {extra:?} ({} vs {})", ours.len(), theirs.len()));
    }
    for (id, e) in &theirs {
        let mut expected = e.clone();
        // Binance writes withdrawal times as "YYYY-MM-DD HH:MM:SS": the venue gives no milliseconds, while the
        // generator's truth keeps them. Compare those at the venue's precision.
        if id.starts_with("binance/") && id.contains(":withdrawal:") {
            expected.time = ledger::Timestamp(expected.time.0 - expected.time.0.rem_euclid(1000));
        }
        if ours[id] != expected {
            return Err(format!("event {id}: synced {:?}, truth {expected:?}", ours[id]));
        }
    }
    let (balances, truth_b) = synced_and_true_balances(r, &p, dir);
    if balances != truth_b {
        return Err(format!("balances: synced {balances:?}, truth {truth_b:?}"));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_through_the_relay_equals_the_ground_truth() {
    for (seed, size) in [(1, Size::Tiny), (2, Size::Small), (6, Size::Medium)] {
        let t0 = std::time::Instant::now();
        let r = start(seed, size, 0.0, None).await;
        eprintln!("started in {:?}", t0.elapsed());
        let t = transport(&r);
        let (accepted, refused) = check_keys(&t, r.sandbox.keys()).await;
        // read-only keys are accepted; the others are refused with the permission to turn off
        for (name, msg) in &refused {
            eprintln!("{name}: {msg}");
        }
        assert!(
            refused.iter().any(|(n, m)| n.contains("TradeEnabled") && m.contains("this key can trade: turn off")),
            "{refused:?}"
        );
        // the withdrawal keys may also be IP-restricted to 127.0.0.2 (then they fail on the IP first): refused
        // either way, never synced
        for venue in ["binance", "bitget"] {
            let w = refused.iter().find(|(n, _)| n.starts_with(venue) && n.contains("WithdrawEnabled"));
            assert!(
                w.is_some_and(|(_, m)| m.contains("this key can withdraw: turn off") || m.contains("IP")),
                "{refused:?}"
            );
        }
        assert!(accepted.iter().any(|a| a.key() == "bitget/main"));
        assert!(accepted.iter().any(|a| a.key() == "bitget/unified"));
        // the sandbox's Ed25519 Binance key signs with Ed25519 (its account is also read by an HMAC key)
        assert!(accepted.iter().any(|a| a.credentials.key_kind() == venues::KeyKind::Ed25519));
        eprintln!("keys checked at {:?}", t0.elapsed());
        let dir = tmp(&format!("clean{seed}"));
        let stats = sync_into(&t, &accepted, &dir).await;
        eprintln!("synced at {:?}", t0.elapsed());
        assert_matches_truth(&r, &accepted, &dir);
        eprintln!("compared at {:?}", t0.elapsed());
        // the isolated margin pair of the accounts that use cross margin is among what was compared
        if size != Size::Tiny {
            let p = prefixes(&accepted);
            let truth = r.sandbox.truth_ledger();
            let isolated = |a: &str| mine(&p, a) && a.ends_with("/isolated-BTCUSDT");
            assert!(truth.iter().any(|e| isolated(e.account.as_str())), "seed {seed}: no isolated margin event");
            assert!(r.sandbox.truth_balances().keys().any(|a| isolated(a)), "seed {seed}: no isolated margin balance");
            // Bitget's isolated pair too (docs/venues.md §2.18): events and a balance left in it
            let bitget = |a: &str| isolated(a) && a.starts_with("bitget/");
            assert!(truth.iter().any(|e| bitget(e.account.as_str())), "seed {seed}: no Bitget isolated margin event");
            assert!(r.sandbox.truth_balances().keys().any(|a| bitget(a)), "seed {seed}: no Bitget isolated balance");
        }
        eprintln!(
            "seed {seed}: {} requests, lower bound {}, retries {}, waited {} ms, weight {:?}",
            stats.requests, stats.lower_bound, stats.retries, stats.waited_ms, stats.weight
        );
        assert!(
            stats.requests as f64 <= 1.2 * stats.lower_bound as f64,
            "{} > 1.2 x {}",
            stats.requests,
            stats.lower_bound
        );
        // Binance's spot and futures hosts have separate weight limits: the two sides of an account ran at once
        assert!(t.in_flight.lock().unwrap().2, "no Binance spot and futures requests were ever in flight together");
        // a second run is incremental and changes nothing
        let again = sync_into(&t, &accepted, &dir).await;
        assert_matches_truth(&r, &accepted, &dir);
        assert!(again.rows < stats.rows || stats.rows == 0);
        // every request the client made is in the catalogue
        for (venue, method, path) in t.seen.lock().unwrap().iter() {
            let m = if *method == "GET" { catalogue::Method::Get } else { catalogue::Method::Post };
            assert!(catalogue::lookup(*venue, m, path).is_some(), "{venue} {method} {path}");
        }
        assert!(r.sandbox.breaches().is_empty(), "{:?}", r.sandbox.breaches());
    }
}

/// A history setting made longer later (30 days, then 90): the next sync reads the older windows of every windowed
/// stream, newest first, and the ledger then equals the truth, with no duplicates; a further sync reads none again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_longer_history_reads_the_older_windows() {
    let r = start(4, Size::Small, 0.0, None).await;
    let t = transport(&r);
    let (accepted, _) = check_keys(&t, r.sandbox.keys()).await;
    let dir = tmp("longer");
    sync_days(&t, &accepted, &dir, 0, 30).await;
    // with 30 days, windowed history older than that is not read yet (the test could fail here)
    let text = std::fs::read(dir.join("ledger.jsonl")).unwrap();
    let first = ledger::read_ledger(text.as_slice(), "ledger.jsonl").unwrap();
    let p = prefixes(&accepted);
    let truth = r.sandbox.truth_ledger().into_iter().filter(|e| mine(&p, e.account.as_str())).count();
    assert!(first.len() < truth, "30 days already gave all {truth} events");
    let longer = sync_days(&t, &accepted, &dir, 0, 90).await;
    assert_matches_truth(&r, &accepted, &dir);
    let again = sync_days(&t, &accepted, &dir, 0, 90).await;
    assert_matches_truth(&r, &accepted, &dir);
    assert!(again.requests < longer.requests, "{} then {} requests", longer.requests, again.requests);
    assert!(r.sandbox.breaches().is_empty(), "{:?}", r.sandbox.breaches());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_percent_faults_change_nothing() {
    let mut retries = 0;
    for (seed, size) in [(3, Size::Small), (7, Size::Tiny)] {
        let r = start(seed, size, 0.05, None).await;
        let t = transport(&r);
        let (accepted, _) = check_keys(&t, r.sandbox.keys()).await;
        let dir = tmp(&format!("faults{seed}"));
        let stats = sync_into(&t, &accepted, &dir).await;
        assert_matches_truth(&r, &accepted, &dir);
        eprintln!("seed {seed}: {} requests, {} retried {:?}", stats.requests, stats.retries, stats.retried);
        retries += stats.retries;
    }
    // about 175 requests at 5 %: the chance that no fault hit any of them is below 1 in 5000
    assert!(retries > 0, "faults were injected, so some requests were retried");
}

/// Where a simulated crash stops a sync, counted in the sync's own progress (never in wall time), so that every point
/// is reached on any machine, however slow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum KillPoint {
    /// The n-th request of the run is sent and its answer never arrives.
    Request(u32),
    /// The n-th write of the store never starts.
    Write(u32),
    /// The write that follows the n-th chunk of new events never starts: with the store's order (events, then the
    /// state that covers them), the process dies between a chunk and its state.
    AfterChunk(u32),
    /// The n-th chunk of new events gets halfway: the ledger ends in a cut line.
    TornChunk(u32),
    /// The n-th write of balances or positions never starts.
    Snapshot(u32),
}

impl KillPoint {
    fn kind(self) -> &'static str {
        match self {
            KillPoint::Request(_) => "request",
            KillPoint::Write(_) => "write",
            KillPoint::AfterChunk(_) => "after a chunk",
            KillPoint::TornChunk(_) => "torn chunk",
            KillPoint::Snapshot(_) => "snapshot",
        }
    }
}

/// The process a sync runs in: once it has died, nothing more reaches a venue or the disk.
#[derive(Default)]
struct Process {
    dead: AtomicBool,
    died: tokio::sync::Notify,
    requests: AtomicU32,
    writes: Mutex<Writes>,
}

/// The write a crash stopped, and the one before it.
type Stop = (StoreWrite, Option<StoreWrite>);

/// The store's writes in one process.
#[derive(Clone, Copy, Default)]
struct Writes {
    /// Writes completed.
    count: u32,
    /// Of which chunks of new events.
    chunks: u32,
    /// Of which balances or positions.
    snapshots: u32,
    stopped: Option<Stop>,
}

impl Process {
    fn is_dead(&self) -> bool {
        self.dead.load(SeqCst)
    }
    fn die(&self) {
        self.dead.store(true, SeqCst);
        self.died.notify_one();
    }
}

/// A transport inside a [`Process`]: counts requests, and after death (or at the kill point) never answers.
struct Mortal<'a, T> {
    inner: &'a T,
    process: &'a Process,
    kill: Option<KillPoint>,
}

impl<T: Transport> Transport for Mortal<'_, T> {
    async fn send(&self, request: &Request) -> Result<Response, TransportError> {
        if self.process.is_dead() {
            return std::future::pending().await;
        }
        let n = self.process.requests.fetch_add(1, SeqCst) + 1;
        if self.kill == Some(KillPoint::Request(n)) {
            self.process.die();
            return std::future::pending().await;
        }
        let r = self.inner.send(request).await;
        if self.process.is_dead() {
            return std::future::pending().await;
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

/// The store's crash plan for a kill point: counts the writes and chunks into the process, and stops the write the
/// point names.
fn crash_plan(process: &Arc<Process>, kill: Option<KillPoint>) -> CrashPlan {
    let process = Arc::clone(process);
    let mut previous = None;
    Box::new(move |write| {
        let mut w = process.writes.lock().unwrap();
        let (writes, chunks) = (w.count + 1, w.chunks + u32::from(write == StoreWrite::Chunk));
        let snapshots = w.snapshots + u32::from(write == StoreWrite::Snapshot);
        let cut = match kill {
            Some(KillPoint::Write(n)) if n == writes => Some(Cut::Before),
            Some(KillPoint::AfterChunk(n)) if n == w.chunks && previous == Some(StoreWrite::Chunk) => Some(Cut::Before),
            Some(KillPoint::TornChunk(n)) if n == chunks && write == StoreWrite::Chunk => Some(Cut::Halfway),
            Some(KillPoint::Snapshot(n)) if n == snapshots && write == StoreWrite::Snapshot => Some(Cut::Before),
            _ => None,
        };
        if cut.is_some() {
            w.stopped = Some((write, previous));
            drop(w);
            process.die();
        } else {
            (w.count, w.chunks, w.snapshots) = (writes, chunks, snapshots);
            previous = Some(write);
        }
        cut
    })
}

/// How a checkpoint orders its two writes: [`DirStore`]'s own checkpoint (events, then state), or a deliberately
/// broken store that writes the state first, to show that the kill test catches a resume that loses events.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    Store,
    StateFirst,
}

/// The sync's sink: the store, inside the process.
struct MortalSink<'a> {
    store: &'a mut DirStore,
    process: &'a Process,
    order: Order,
}

impl sync_engine::Sink for MortalSink<'_> {
    fn checkpoint(&mut self, state: &sync_engine::SyncState, events: &[Event]) -> Result<(), SinkError> {
        if self.process.is_dead() {
            return Err(SinkError::new(Died));
        }
        match self.order {
            Order::Store => self.store.checkpoint(state, events),
            Order::StateFirst => {
                self.store.save_state(state).and_then(|()| self.store.append_events(events)).map_err(SinkError::new)
            }
        }
    }

    fn snapshot(
        &mut self,
        account: &str,
        balances: &venues::parse::Balances,
        positions: &[ledger::Position],
    ) -> Result<(), SinkError> {
        if self.process.is_dead() {
            return Err(SinkError::new(Died));
        }
        self.store.snapshot(account, balances, positions)
    }
}

/// What the sink says once the simulated process is dead.
#[derive(Debug, thiserror::Error)]
#[error("the process died")]
struct Died;

/// How one run of a sync ended.
struct Run {
    /// The process was killed (else the sync completed).
    killed: bool,
    requests: u32,
    writes: u32,
    chunks: u32,
    snapshots: u32,
    stopped: Option<Stop>,
}

/// One run of the CLI's sync over `dir`, as a process that dies at `kill` (if the sync gets that far). A dead process
/// leaves its files as they are, as a real crash does; a completed one finishes its store.
async fn run_once<T: Transport>(
    t: &T,
    accounts: &[AccountConfig],
    dir: &Path,
    kill: Option<KillPoint>,
    order: Order,
) -> Run {
    let process = Arc::new(Process::default());
    let mortal = Mortal { inner: t, process: &process, kill };
    let (mut store, mut state) = DirStore::open(dir).unwrap();
    store.crash_when(crash_plan(&process, kill));
    // resuming within 10 minutes does not redo what an earlier run completed
    let options = SyncOptions { backoff_ms: 50, fresh_ms: 600_000, ..SyncOptions::default() };
    {
        let mut sink = MortalSink { store: &mut store, process: &process, order };
        let sync = sync_engine::sync_by_venue(&mortal, &options, accounts, &mut state, &mut sink);
        let results = tokio::select! {
            (results, _) = sync => Some(results),
            () = process.died.notified() => None,
        };
        if !process.is_dead() {
            for (a, r) in results.expect("the sync ended without dying") {
                r.unwrap_or_else(|e| panic!("{a}: {e}"));
            }
        }
    }
    // a completed sync rewrites its files (sorted ledger, balances, positions): the process can die there too
    let killed = process.is_dead()
        || match store.finish() {
            Ok(()) => false,
            Err(StoreError::Crashed) => true,
            Err(e) => panic!("{e}"),
        };
    let w = *process.writes.lock().unwrap();
    Run {
        killed,
        requests: process.requests.load(SeqCst),
        writes: w.count,
        chunks: w.chunks,
        snapshots: w.snapshots,
        stopped: w.stopped,
    }
}

/// Kills a sync over and over at points drawn from `seed`, resuming each time, until a run completes. The points are
/// spread over the work of an uninterrupted sync of the same accounts (counted first, in a scratch directory), about
/// `kills` of them, so each run gets part of the way and every point can be reached. Returns each kill point with
/// the write the store stopped at and the one before it.
async fn kill_and_resume<T: Transport>(
    t: &T,
    accounts: &[AccountConfig],
    dir: &Path,
    seed: u64,
    kills: u32,
    kinds: &[fn(u32) -> KillPoint],
    order: Order,
) -> Vec<(KillPoint, Option<Stop>)> {
    let reference = tmp(&format!("reference-{seed}"));
    let whole = run_once(t, accounts, &reference, None, Order::Store).await;
    assert!(!whole.killed && whole.chunks > 0, "the uninterrupted sync wrote nothing");
    let mut rng = seed;
    let mut next = |bound: u32| {
        rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        1 + ((rng >> 33) % u64::from(bound.max(1))) as u32
    };
    let mut points = Vec::new();
    loop {
        // the kinds in turn, so that every kind is hit however soon the sync finishes
        let kind = kinds[points.len() % kinds.len()];
        // twice the mean step, so that the kills cover the whole run
        let of = match kind(0) {
            KillPoint::Request(_) => whole.requests,
            KillPoint::Write(_) => whole.writes,
            KillPoint::AfterChunk(_) | KillPoint::TornChunk(_) => whole.chunks,
            KillPoint::Snapshot(_) => whole.snapshots,
        };
        let point = kind(next(2 * of / kills));
        let run = run_once(t, accounts, dir, Some(point), order).await;
        if !run.killed {
            break;
        }
        points.push((point, run.stopped));
        // every run that completes a checkpoint makes progress, so this bound is only reached if resuming does not
        assert!(points.len() < 20 * kills as usize, "{} kills and the sync never finished: {points:?}", points.len());
    }
    points
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_points_and_resumed() {
    let r = start(4, Size::Small, 0.0, None).await;
    let t = transport(&r);
    let (accepted, _) = check_keys(&t, r.sandbox.keys()).await;
    let kinds: [fn(u32) -> KillPoint; 5] =
        [KillPoint::Request, KillPoint::Write, KillPoint::AfterChunk, KillPoint::TornChunk, KillPoint::Snapshot];
    for seed in [0x5eed, 0xfeed] {
        let dir = tmp(&format!("killed-{seed}"));
        let points = kill_and_resume(&t, &accepted, &dir, seed, 24, &kinds, Order::Store).await;
        let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
        for (p, _) in &points {
            *by_kind.entry(p.kind()).or_default() += 1;
        }
        eprintln!("seed {seed}: killed {} times: {by_kind:?}", points.len());
        assert_eq!(by_kind.len(), kinds.len(), "some kind of kill point was never reached: {points:?}");
        let between = |s: &Option<Stop>| *s == Some((StoreWrite::State, Some(StoreWrite::Chunk)));
        assert!(points.iter().any(|(_, s)| between(s)), "no kill fell between a chunk and its state: {points:?}");
        assert!(
            points.iter().any(|(p, s)| matches!(p, KillPoint::TornChunk(_)) && s.is_some()),
            "no chunk was torn: {points:?}"
        );
        assert_matches_truth(&r, &accepted, &dir);
    }
}

/// The kill test can fail: a store that writes the state before the events it covers loses the events of a chunk
/// whose process dies between the two writes, and the comparison with the truth says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_writes_its_state_first_loses_events_when_killed() {
    let r = start(9, Size::Tiny, 0.0, None).await;
    let t = transport(&r);
    let (accepted, _) = check_keys(&t, r.sandbox.keys()).await;
    let dir = tmp("state-first");
    // the state-first store's chunk follows the state: stopping the chunk kills it between the two
    let kinds: [fn(u32) -> KillPoint; 1] = [KillPoint::TornChunk];
    let points = kill_and_resume(&t, &accepted, &dir, 0xbad, 8, &kinds, Order::StateFirst).await;
    assert!(points.iter().any(|(_, s)| s.is_some()), "no chunk was stopped: {points:?}");
    let verdict = compare_with_truth(&r, &accepted, &dir);
    eprintln!("{verdict:?}");
    assert!(verdict.is_err_and(|e| e.contains("missing")), "a broken resume went unnoticed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ip_restricted_key_works_only_through_its_egress() {
    let office = "127.0.0.2".parse().unwrap();
    let r = start(5, Size::Tiny, 0.0, Some(office)).await;
    let t = transport(&r);
    let k = r.sandbox.key(SimVenue::Binance, "office").expect("office key").clone();
    let client = Client::new(credentials(&k));
    let report = venues::connect(&t, &client, &ConnectPolicy::default()).await.unwrap();
    assert!(report.ip_restricted && report.warnings.is_empty(), "{report:?}");
    // through the office egress, the withdrawal key's IP passes and its permission is what is refused
    for venue in [SimVenue::Binance, SimVenue::Bitget] {
        let w = r.sandbox.key(venue, "withdrawer").expect("withdrawer key").clone();
        let err = venues::connect(&t, &Client::new(credentials(&w)), &ConnectPolicy::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("this key can withdraw: turn off"), "{err}");
        eprintln!("{err}");
    }
    let r2 = start(5, Size::Tiny, 0.0, None).await;
    let t2 = transport(&r2);
    let err = venues::connect(&t2, &client, &ConnectPolicy::default()).await.unwrap_err().to_string();
    assert!(err.contains("IP"), "{err}");
}

/// A transport whose clock is `skew_ms` off.
struct Skewed<T> {
    inner: T,
    skew_ms: i64,
}

impl<T: Transport> Transport for Skewed<T> {
    async fn send(&self, request: &Request) -> Result<Response, TransportError> {
        self.inner.send(request).await
    }
    fn now_ms(&self) -> i64 {
        self.inner.now_ms() + self.skew_ms
    }
    async fn sleep(&self, ms: u64) {
        self.inner.sleep(ms).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_errors_say_what_is_wrong() {
    let r = start(8, Size::Tiny, 0.0, None).await;
    let t = transport(&r);
    let policy = ConnectPolicy::default();
    let bn = credentials(r.sandbox.key(SimVenue::Binance, "main").unwrap());
    let bg = credentials(r.sandbox.key(SimVenue::Bitget, "main").unwrap());

    let mut wrong_secret = bn.clone();
    wrong_secret.secret = Secret::new("not-the-secret");
    let e = venues::connect(&t, &Client::new(wrong_secret), &policy).await.unwrap_err().to_string();
    assert!(e.contains("the API secret does not belong to this key") && e.contains("-1022"), "{e}");

    let mut unknown = bn.clone();
    unknown.api_key = "A".repeat(64);
    let e = venues::connect(&t, &Client::new(unknown), &policy).await.unwrap_err().to_string();
    assert!(e.contains("-2015") && e.contains("the key is wrong"), "{e}");

    let mut wrong_pass = bg.clone();
    wrong_pass.passphrase = Some(Secret::new("WrongPassphrase1"));
    let e = venues::connect(&t, &Client::new(wrong_pass), &policy).await.unwrap_err().to_string();
    assert!(e.contains("the passphrase is wrong"), "{e}");
    let mut spaced = bg.clone();
    spaced.passphrase = Some(Secret::new("my pass phrase"));
    let e = venues::connect(&t, &Client::new(spaced), &policy).await.unwrap_err().to_string();
    assert!(e.contains("the passphrase holds a space"), "{e}");

    let mut wrong_secret = bg.clone();
    wrong_secret.secret = Secret::new("not-the-secret");
    let e = venues::connect(&t, &Client::new(wrong_secret), &policy).await.unwrap_err().to_string();
    assert!(e.contains("the API secret does not belong to this key") && e.contains("40009"), "{e}");

    let mut unknown = bg.clone();
    unknown.api_key = "bg_unknown".into();
    let e = venues::connect(&t, &Client::new(unknown), &policy).await.unwrap_err().to_string();
    assert!(e.contains("the API key is not known to the venue"), "{e}");

    let mut no_pass = bg.clone();
    no_pass.passphrase = None;
    let e = venues::connect(&t, &Client::new(no_pass), &policy).await.unwrap_err().to_string();
    assert!(e.contains("needs its passphrase"), "{e}");

    // a clock ten minutes off still connects (requests are stamped in venue time) and the user is told
    for key in [bn, bg] {
        let skewed = Skewed { inner: transport(&r), skew_ms: -600_000 };
        let report = venues::connect(&skewed, &Client::new(key), &policy).await.unwrap();
        assert!(report.clock_offset_ms > 590_000, "{report:?}");
        assert!(report.warnings.iter().any(|w| w.contains("clock is 600")), "{:?}", report.warnings);
    }
    drop(t);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ed25519_key_backfills_its_account_alone() {
    let r = start(12, Size::Small, 0.0, None).await;
    let t = transport(&r);
    let ed: Vec<AccountConfig> = r
        .sandbox
        .keys()
        .iter()
        .filter(|k| k.key_type == simvenues::keys::KeyType::Ed25519)
        .map(|k| AccountConfig { credentials: credentials(k), copy_trading: copy_trading(k) })
        .collect();
    assert_eq!(ed.len(), 1);
    assert_eq!(ed[0].credentials.key_kind(), venues::KeyKind::Ed25519);
    venues::connect(&t, &Client::new(ed[0].credentials.clone()), &ConnectPolicy::default()).await.unwrap();
    let dir = tmp("ed25519");
    sync_into(&t, &ed, &dir).await;
    assert_matches_truth(&r, &ed, &dir);
}

/// Bitget facts left open (docs/venues.md §5), each way: pages oldest first, convert sizes as strings rather than the
/// documented JSON numbers, BGB conversion times under `ts` rather than the example's `ctime`, a copy-trading
/// follower's trader reads answering an empty list rather than "not a trader". The sync gets the same ledger.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bitget_unconfirmed_shapes_either_way() {
    let r = start_with(13, Size::Small, 0.0, None, |c| {
        c.bitget.newest_first = false;
        c.bitget.convert_size_as_number = false;
        c.bitget.bgb_time_key = "ts".into();
        c.bitget.not_a_trader_error = false;
    })
    .await;
    let t = transport(&r);
    let (accepted, _) = check_keys(&t, r.sandbox.keys()).await;
    let bitget: Vec<AccountConfig> = accepted.into_iter().filter(|a| a.credentials.venue == Venue::Bitget).collect();
    assert!(bitget.len() >= 2);
    let dir = tmp("bitget-shapes");
    sync_into(&t, &bitget, &dir).await;
    assert_matches_truth(&r, &bitget, &dir);
    let text = std::fs::read_to_string(dir.join("ledger.jsonl")).unwrap();
    for kind in [":convert:", ":bgb_convert:", "unified:convert:", "futures:futures_trade:", "unified:futures_trade:"] {
        assert!(text.contains(kind), "no {kind} in the synced ledger");
    }
}

/// Bad input loses nothing (docs/venues.md §1.12): Simple Earn rewards of a type the client does not know are kept
/// as other income under their own type, each with a warning naming it; every other event equals the truth's, and
/// the balances still do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_earn_reward_types_are_kept_with_a_warning() {
    use ledger::{EventKind, IncomeType};
    let r = start_with(3, Size::Tiny, 0.0, None, |c| c.binance.earn_reward_type = Some("MYSTERY".into())).await;
    let t = transport(&r);
    let (accepted, _) = check_keys(&t, r.sandbox.keys()).await;
    let binance: Vec<AccountConfig> = accepted.into_iter().filter(|a| a.credentials.venue == Venue::Binance).collect();
    let dir = tmp("earn-unknown");
    let stats = sync_into(&t, &binance, &dir).await;
    assert!(stats.warnings.iter().any(|w| w.contains("unknown reward type \"MYSTERY\"")), "{:?}", stats.warnings);
    let text = std::fs::read(dir.join("ledger.jsonl")).unwrap();
    let synced: BTreeMap<String, Event> =
        ledger::read_ledger(text.as_slice(), "ledger.jsonl").unwrap().into_iter().map(|e| (e.id.clone(), e)).collect();
    let p = prefixes(&binance);
    let mut rewards = 0;
    let mut expected: BTreeMap<String, Event> = BTreeMap::new();
    for mut e in r.sandbox.truth_ledger().into_iter().filter(|e| mine(&p, e.account.as_str())) {
        if e.id.contains(":earn_reward:flexible:") {
            rewards += 1;
            e.id = e.id.replace(":REALTIME:", ":MYSTERY:");
            if let EventKind::Income { income_type, .. } = &mut e.kind {
                *income_type = IncomeType::Other;
            }
        }
        if e.id.contains(":withdrawal:") {
            e.time = ledger::Timestamp(e.time.0 - e.time.0.rem_euclid(1000));
        }
        expected.insert(e.id.clone(), e);
    }
    assert!(rewards > 0, "the sandbox paid no flexible rewards");
    assert_eq!(synced, expected);
    let (balances, truth) = synced_and_true_balances(&r, &p, &dir);
    assert!(balances.keys().any(|a| a.ends_with("/earn")), "{balances:?}");
    assert_eq!(balances, truth);
}

/// "Create a key for me" without the browser: a key pair generated in the vault, its public key registered with the
/// simulated Binance (the sandbox-only route, docs/venues.md §1.2 "Self-generated keys") for the relay's egress IP,
/// the API key attached through the vault's pending-key credential: the usual connect-time check accepts it as a
/// read-only, IP-restricted Ed25519 key, and the sync reproduces the account's ground truth.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_born_in_the_vault_connects_and_syncs() {
    let office: IpAddr = "127.0.0.2".parse().unwrap();
    let r = start(6, Size::Tiny, 0.0, Some(office)).await;
    let t = transport(&r);
    let mut v = vault::Vault::create(
        vault::MemoryStore::new(),
        &vault::Passphrase::new("pw"),
        vault::KdfParams::InsecureTestOnly,
    )
    .unwrap();
    let pending = v.generate_ed25519_key(Venue::Binance).unwrap();
    let body = serde_json::json!({"publicKey": pending.public_key_pem, "ipList": [office.to_string()]}).to_string();
    let headers = [("content-type".to_string(), "application/json".to_string())];
    let answer = simvenues::client::request(
        r.sandbox.binance_spot_url(),
        "POST",
        "/sandbox/ed25519-keys",
        &headers,
        body.as_bytes(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
    let api_key = answer.json()["apiKey"].as_str().unwrap().to_string();
    let credential = v
        .pending_key_credential(&pending.id, "main", vault::AccountKind::Regular, Secret::new(api_key.clone()))
        .unwrap();
    let credentials = Credentials::new(Venue::Binance, "main", api_key, credential.api_secret.clone(), None);
    assert_eq!(credentials.key_kind(), venues::KeyKind::Ed25519);
    let report = venues::connect(&t, &Client::new(credentials.clone()), &ConnectPolicy::default()).await.unwrap();
    assert!(report.ip_restricted && report.warnings.is_empty(), "{report:?}");
    let accounts = [AccountConfig { credentials, copy_trading: false }];
    let dir = tmp("born-in-the-vault");
    sync_into(&t, &accounts, &dir).await;
    assert_matches_truth(&r, &accounts, &dir);
    assert!(r.sandbox.breaches().is_empty(), "{:?}", r.sandbox.breaches());
}

/// COIN-M end to end (docs/venues.md §1.14; docs/accounting.md §7): through the relay, every data account's `coinm`
/// wallet equals the truth's, its realized PnL, funding and commission are in the ledger in BTC, and the PnL engine
/// books each account's realized PnL on its futures line (a gain as BTC acquired at market value, a loss as BTC
/// disposed of at cost) and keeps the wallet's BTC as the account's balance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coin_m_balances_equal_the_truth_and_pnl_is_booked() {
    use ledger::{Decimal, EventKind, IncomeType, PricePoint, Timestamp};
    let r = start(4, Size::Small, 0.0, None).await;
    let t = transport(&r);
    let (accepted, _) = check_keys(&t, r.sandbox.keys()).await;
    let dir = tmp("coinm");
    sync_into(&t, &accepted, &dir).await;
    assert_matches_truth(&r, &accepted, &dir);
    let p = prefixes(&accepted);
    let truth = r.sandbox.truth_balances();
    // Binance's COIN-M (Bitget's `coinm` wallets are checked by tests/tax.rs)
    let coinm: Vec<&String> =
        truth.keys().filter(|a| a.starts_with("binance/") && a.ends_with("/coinm") && mine(&p, a)).collect();
    assert!(!coinm.is_empty(), "the data accounts hold COIN-M BTC");
    let balances: BTreeMap<String, BTreeMap<String, String>> =
        serde_json::from_slice(&std::fs::read(dir.join("balances.json")).unwrap()).unwrap();
    let text = std::fs::read(dir.join("ledger.jsonl")).unwrap();
    let synced = ledger::read_ledger(text.as_slice(), "ledger.jsonl").unwrap();
    let price = Decimal::from(50_000);
    let prices = vec![PricePoint { time: Timestamp(0), asset: "BTC".into(), quote: "USD".into(), price }];
    let report = pnl::compute(&synced, &prices, &pnl::Settings::default());
    for acc in coinm {
        assert_eq!(balances[acc]["BTC"], truth[acc]["BTC"].normalize().to_string(), "{acc}");
        assert_eq!(report.accounts[acc].balances["BTC"], truth[acc]["BTC"], "{acc}");
        let income = |ty: IncomeType| -> Vec<Decimal> {
            synced
                .iter()
                .filter(|e| e.account.as_str() == acc)
                .filter_map(|e| match &e.kind {
                    EventKind::Income { income_type, asset, amount, .. } if *income_type == ty && asset == "BTC" => {
                        Some(*amount)
                    }
                    _ => None,
                })
                .collect()
        };
        let (pnl, funding, commission) =
            (income(IncomeType::RealizedPnl), income(IncomeType::Funding), income(IncomeType::Commission));
        assert_eq!(pnl.len(), 1, "{acc}: the long's close");
        assert!(!funding.is_empty() && commission.len() >= 2, "{acc}");
        let futures = report.realized_by_account[acc].futures;
        if pnl[0] > Decimal::ZERO {
            assert_eq!(futures, pnl[0] * price, "{acc}: a gain in BTC is BTC acquired at market value");
        } else {
            assert!(futures < Decimal::ZERO, "{acc}: a loss in BTC disposes of BTC at its cost");
        }
    }
}

/// Open COIN-M positions (docs/venues.md §1.14; docs/accounting.md §9): through the relay, the positions the sync keeps
/// for every data account's `coinm` wallet equal the truth's (contracts, entry and mark price, contract size, margin
/// coin), their unrealized PnL in the coin is what the venue reports, and the report values them in the profit
/// currency at the coin's price. A second, incremental sync keeps them and reads no positionRisk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_coin_m_positions_equal_the_truth_with_their_unrealized_pnl() {
    use ledger::{Decimal, PricePoint, Timestamp};
    let r = start(4, Size::Small, 0.0, None).await;
    let t = transport(&r);
    let (accepted, _) = check_keys(&t, r.sandbox.keys()).await;
    let binance: Vec<AccountConfig> = accepted.into_iter().filter(|a| a.credentials.venue == Venue::Binance).collect();
    let p = prefixes(&binance);
    let dir = tmp("coinm-positions");
    sync_into(&t, &binance, &dir).await;
    let read_positions = || -> Vec<ledger::Position> {
        let text = std::fs::read(dir.join("positions.json")).unwrap();
        serde_json::from_slice::<Vec<ledger::Position>>(&text).unwrap()
    };
    let coinm = |all: Vec<ledger::Position>| -> BTreeMap<(String, String), ledger::Position> {
        all.into_iter()
            .filter(|p| p.account.as_str().ends_with("/coinm"))
            .map(|p| ((p.account.to_string(), p.symbol.clone()), p))
            .collect()
    };
    let synced = coinm(read_positions());
    let truth: BTreeMap<(String, String), simvenues::truth::OpenPosition> = r
        .sandbox
        .truth_coinm_positions()
        .into_iter()
        .filter(|o| mine(&p, o.position.account.as_str()))
        .map(|o| ((o.position.account.to_string(), o.position.symbol.clone()), o))
        .collect();
    assert!(!truth.is_empty(), "the world ends with an open COIN-M position");
    assert_eq!(synced.keys().collect::<Vec<_>>(), truth.keys().collect::<Vec<_>>());
    for (k, o) in &truth {
        let s = &synced[k];
        assert!(s.time.is_some(), "{k:?}: the mark's read time is kept");
        let truth = &o.position;
        assert_eq!(ledger::Position { time: None, mark_price: truth.mark_price, ..s.clone() }, *truth, "{k:?}");
        // the mark is positionRisk's, or (a tick whose sizes did not change, as the second key of an account makes
        // it) the one `/dapi/v1/account`'s PnL implies: off by at most what rounding that PnL to 8 decimals moves it
        let size = truth.contract_size.unwrap();
        let slack = Decimal::new(5, 9) * truth.mark_price * truth.mark_price / (truth.amount.abs() * size);
        assert!((s.mark_price - truth.mark_price).abs() <= slack + Decimal::new(1, 8), "{k:?}: {s:?}");
        assert_eq!(s.contract_size, Some(Decimal::from(100)), "{k:?}: BTCUSD_PERP contracts are 100 USD");
        assert_eq!(s.unrealized().round_dp(8), o.unrealized, "{k:?}: the venue's unRealizedProfit");
        assert!(!o.unrealized.is_zero(), "{k:?}: the mark moved from the entry");
    }
    // the report lists them, in BTC and in USD at BTC's price
    let price = Decimal::from(50_000);
    let prices = vec![PricePoint { time: Timestamp(0), asset: "BTC".into(), quote: "USD".into(), price }];
    let text = std::fs::read(dir.join("ledger.jsonl")).unwrap();
    let events = ledger::read_ledger(text.as_slice(), "ledger.jsonl").unwrap();
    let all = read_positions();
    let report = pnl::compute_with_positions(&events, &prices, &all, &pnl::Settings::default());
    assert!(report.unvalued_positions.is_empty(), "{:?}", report.unvalued_positions);
    for (k, o) in &truth {
        let v = report.positions.iter().find(|v| v.account == k.0 && v.symbol == k.1).expect("listed");
        assert_eq!((v.margin_asset.as_str(), v.unrealized.round_dp(8)), ("BTC", o.unrealized), "{k:?}");
        assert_eq!(v.unrealized_value, Some((v.unrealized * price).normalize()), "{k:?}");
    }
    // an incremental sync: the positions stay, valued the same, without a positionRisk read
    let sent = |path: &str| t.sent.lock().unwrap().get(path).copied().unwrap_or_default();
    let before = sent("/dapi/v1/positionRisk");
    assert!(before >= 1 && sent("/dapi/v1/exchangeInfo") >= 1, "read in the first sync");
    sync_into(&t, &binance, &dir).await;
    assert_eq!(sent("/dapi/v1/positionRisk"), before, "sizes unchanged: no positionRisk read");
    let again = coinm(read_positions());
    assert_eq!(again.keys().collect::<Vec<_>>(), truth.keys().collect::<Vec<_>>());
    for (k, o) in &truth {
        assert_eq!(again[k].unrealized().round_dp(8), o.unrealized, "{k:?}: refreshed from /dapi/v1/account");
    }
}

/// Fail closed on COIN-M (docs/venues.md §1.14): funding rows served under an income type the client does not know
/// are kept, each as other income under its raw type, with a warning naming it; nothing is dropped, and the `coinm`
/// balances still equal the truth.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_coin_m_income_types_are_kept_with_a_warning() {
    use ledger::{EventKind, IncomeType};
    let r = start_with(3, Size::Tiny, 0.0, None, |c| c.binance.coinm_funding_type = Some("MYSTERY_FEE".into())).await;
    let t = transport(&r);
    let (accepted, _) = check_keys(&t, r.sandbox.keys()).await;
    let binance: Vec<AccountConfig> = accepted.into_iter().filter(|a| a.credentials.venue == Venue::Binance).collect();
    let dir = tmp("coinm-unknown");
    let stats = sync_into(&t, &binance, &dir).await;
    assert!(stats.warnings.iter().any(|w| w.contains("unknown income type \"MYSTERY_FEE\"")), "{:?}", stats.warnings);
    let text = std::fs::read(dir.join("ledger.jsonl")).unwrap();
    let synced: BTreeMap<String, Event> =
        ledger::read_ledger(text.as_slice(), "ledger.jsonl").unwrap().into_iter().map(|e| (e.id.clone(), e)).collect();
    let p = prefixes(&binance);
    let mut funding = 0;
    let mut expected: BTreeMap<String, Event> = BTreeMap::new();
    for mut e in r.sandbox.truth_ledger().into_iter().filter(|e| mine(&p, e.account.as_str())) {
        if e.id.contains("/coinm:income:FUNDING_FEE:") {
            funding += 1;
            e.id = e.id.replace(":FUNDING_FEE:", ":MYSTERY_FEE:");
            if let EventKind::Income { income_type, .. } = &mut e.kind {
                *income_type = IncomeType::Other;
            }
        }
        if e.id.contains(":withdrawal:") {
            e.time = ledger::Timestamp(e.time.0 - e.time.0.rem_euclid(1000));
        }
        expected.insert(e.id.clone(), e);
    }
    assert!(funding > 0, "the sandbox paid no COIN-M funding");
    assert_eq!(synced, expected);
    let (balances, truth) = synced_and_true_balances(&r, &p, &dir);
    assert!(balances.keys().any(|a| a.ends_with("/coinm")), "{balances:?}");
    assert_eq!(balances, truth);
}

/// An abuser on an address of its own (127.0.0.5) reads the spot symbols (weight 20) over one keep-alive connection
/// until the relay refuses it; the statuses, in order.
async fn abuse_spot_share(relay_url: &str, reads: usize) -> Vec<u16> {
    use std::io::{Read, Write};
    let to: SocketAddr = relay_url.trim_start_matches("http://").parse().unwrap();
    let s = tokio::net::TcpSocket::new_v4().unwrap();
    s.bind(SocketAddr::new(IpAddr::from([127, 0, 0, 5]), 0)).unwrap();
    let stream = s.connect(to).await.unwrap().into_std().unwrap();
    stream.set_nonblocking(false).unwrap();
    let raw = tokio::task::spawn_blocking(move || {
        let mut stream = stream;
        let mut bytes = Vec::new();
        for i in 0..reads {
            let close = if i + 1 == reads { "Connection: close\r\n" } else { "" };
            let req = format!("GET /v1/binance/api/v3/exchangeInfo HTTP/1.1\r\nHost: relay\r\n{close}\r\n");
            bytes.extend_from_slice(req.as_bytes());
        }
        stream.write_all(&bytes).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        raw
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&raw);
    text.match_indices("HTTP/1.1 ").filter_map(|(i, _)| text.get(i + 9..i + 12)?.parse().ok()).collect()
}

/// One round of `an_abuser_at_its_share_does_not_hold_back_an_honest_sync`: the sync's statistics, and whether the
/// round fitted in one clock minute.
async fn abused_round(round: u64) -> (sync_engine::Stats, bool) {
    let r = start(20 + round, Size::Tiny, 0.0, None).await;
    let t = transport(&r);
    let main = r.sandbox.key(SimVenue::Binance, "main").expect("the sandbox's main Binance key");
    let accounts = [AccountConfig { credentials: credentials(main), copy_trading: false }];
    let minute = relay::now_ms() / 60_000;
    // The abuser takes its whole share of the spot weight: half of the relay's 80 % of 6,000, so 120 reads; the
    // egress IP is then at 40 % of the venue's limit, the sync's own ceiling for a per-IP weight.
    let statuses = abuse_spot_share(&r.relay.url, 130).await;
    assert_eq!(statuses, [vec![200; 120], vec![429; 10]].concat(), "the abuser used exactly its share");
    let dir = tmp(&format!("abused{round}"));
    let stats = sync_into(&t, &accounts, &dir).await;
    assert_matches_truth(&r, &accounts, &dir);
    (stats, relay::now_ms() / 60_000 == minute)
}

/// docs/relay.md, "Used-weight headers": through a shared relay, the used-weight header a sync reads is its own
/// position, so an abuser holding its whole share (the egress IP at 40 % of the venue's spot weight) does not make
/// the sync hold back. Before, the header was the IP's total: the sync read 40 % and waited for the next minute
/// before every further spot read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abuser_at_its_share_does_not_hold_back_an_honest_sync() {
    let mut round = 0;
    let stats = loop {
        // A round takes a few seconds; start it early in a minute so that it fits in one (the weight windows turn
        // with the clock minute).
        let into_minute = relay::now_ms() % 60_000;
        if into_minute > 40_000 || round > 0 {
            tokio::time::sleep(Duration::from_millis((60_000 - into_minute + 200) as u64)).await;
        }
        round += 1;
        // A round that held back is the failure asserted below; one that straddled a minute without holding back
        // (a slow machine) is run again.
        match abused_round(round).await {
            (stats, fitted) if fitted || stats.waited_ms > 0 => break stats,
            _ => assert!(round < 3, "the round straddled a minute boundary twice, once from a minute's start"),
        }
    };
    eprintln!("waited {} ms, peaks {:?}, weight {:?}", stats.waited_ms, stats.peak_usage, stats.weight);
    // What the sync read on the spot weight stayed below its 40 % of 6,000, and it never held back or backed off.
    let spot = stats.peak_usage.get("binance_spot_ip").copied().expect("the sync read the spot weight");
    assert!(spot < 2_400, "the sync read the IP's total: {spot}");
    assert_eq!((stats.waited_ms, stats.retries), (0, 0), "the sync held back: {:?}", stats.retried);
}

/// Delisted pairs (docs/venues.md §1.6 "Delisted pairs", docs/sync.md "Delisted pairs"): every data account traded
/// `FTTUSDT`, which the simulated exchangeInfo does not list, and dusted the FTT left over, so FTT is an asset no
/// listed symbol names. The sync asks `myTrades` for it against the listed quotes (USDT, BTC), and as the quote of
/// the other assets the account touched (`BTCFTT`, ...): `FTTUSDT` answers the
/// trades, which land in the ledger, and the ledger and balances equal the truth; `FTTBTC` answers -1121, remembered
/// and no error. With the venue answering -1121 for `FTTUSDT` too (`delisted_trades_served` off, docs/venues.md §5),
/// the sync still completes and lists FTT as an asset whose trades were not found, with the pairs it tried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delisted_pairs_trades_are_synced_and_an_unfound_asset_is_listed() {
    for served in [true, false] {
        let r = start_with(5, Size::Small, 0.0, None, |c| c.binance.delisted_trades_served = served).await;
        let t = transport(&r);
        let (accepted, _) = check_keys(&t, r.sandbox.keys()).await;
        let binance: Vec<AccountConfig> =
            accepted.into_iter().filter(|a| a.credentials.venue == Venue::Binance).collect();
        let dir = tmp(&format!("delisted-{served}"));
        sync_into(&t, &binance, &dir).await;
        let p = prefixes(&binance);
        // the accounts that traded the delisted pair, by the truth
        let traded: BTreeSet<String> = r
            .sandbox
            .truth_ledger()
            .iter()
            .filter(|e| mine(&p, e.account.as_str()) && e.id.contains(":trade:FTTUSDT:"))
            .map(|e| e.account.as_str().trim_end_matches("/spot").to_string())
            .collect();
        assert!(traded.len() >= 2, "the data accounts trade the delisted pair: {traded:?}");
        let (_, state) = DirStore::open(&dir).unwrap();
        for a in &traded {
            let st = &state.accounts[a];
            assert!(st.no_pair.contains_key("FTTBTC"), "{a}: FTTBTC answered -1121: {:?}", st.no_pair);
            if served {
                assert_eq!(st.delisted["FTTUSDT"], ("FTT".to_string(), "USDT".to_string()), "{a}");
                assert!(st.unfound_trades.is_empty(), "{a}: {:?}", st.unfound_trades);
            } else {
                assert!(st.delisted.is_empty(), "{a}");
                // tried against the quotes, and as the quote of every other asset the account touched
                let tried = &st.unfound_trades["FTT"];
                assert!(tried.iter().any(|p| p == "FTTBTC") && tried.iter().any(|p| p == "FTTUSDT"), "{a}: {tried:?}");
                assert!(tried.iter().all(|p| p.contains("FTT")) && tried.len() > 2, "{a}: {tried:?}");
            }
        }
        if served {
            assert_matches_truth(&r, &binance, &dir);
        } else {
            let diff = compare_with_truth(&r, &binance, &dir).unwrap_err();
            assert!(diff.contains(":trade:FTTUSDT:"), "only the delisted pair's trades are missing: {diff}");
        }
    }
}

/// A pair `exchangeInfo` no longer lists while listed pairs name both its assets (ETHBTC, while ETHUSDT and BTCUSDT
/// trade on: no orphan asset points at it) is found by the spot wallet's residuals (docs/sync.md, "Delisted
/// pairs"). With a sink that keeps no ledger at hand, the sync misses its trades and the residuals show ETH and
/// BTC; noted as the caller's suspects (the app's way), the next full cycle finds the pair. With the store's own
/// ledger (the CLI's way), one sync finds it. Either way the ledger then equals the truth.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pair_removed_while_its_assets_stay_listed_is_found_by_the_residuals() {
    struct NoLedger<'a>(&'a mut DirStore);
    impl sync_engine::Sink for NoLedger<'_> {
        fn checkpoint(&mut self, state: &sync_engine::SyncState, events: &[Event]) -> Result<(), SinkError> {
            self.0.checkpoint(state, events)
        }
        fn snapshot(
            &mut self,
            account: &str,
            balances: &venues::parse::Balances,
            positions: &[ledger::Position],
        ) -> Result<(), SinkError> {
            self.0.snapshot(account, balances, positions)
        }
    }
    use sync_engine::Sink;
    let r = start_with(5, Size::Small, 0.0, None, |c| c.binance.unlisted = vec!["ETHBTC".into()]).await;
    let t = transport(&r);
    let (accepted, _) = check_keys(&t, r.sandbox.keys()).await;
    let binance: Vec<AccountConfig> = accepted.into_iter().filter(|a| a.credentials.venue == Venue::Binance).collect();
    let p = prefixes(&binance);
    // one account that traded ETHBTC, by the truth (a sync through the relay's budget takes minutes)
    let trader = r
        .sandbox
        .truth_ledger()
        .iter()
        .find(|e| mine(&p, e.account.as_str()) && e.id.contains(":trade:ETHBTC:"))
        .map(|e| e.account.as_str().trim_end_matches("/spot").to_string())
        .expect("an account trades ETHBTC");
    let binance: Vec<AccountConfig> = binance.into_iter().filter(|a| a.key() == trader).collect();
    let traded = BTreeSet::from([trader]);
    let options = SyncOptions { backoff_ms: 50, ..SyncOptions::default() };

    // no ledger at hand: the pair is missed, and the residuals say where
    let dir = tmp("unlisted-noted");
    let (mut store, mut state) = DirStore::open(&dir).unwrap();
    let (results, _) = sync_engine::sync_by_venue(&t, &options, &binance, &mut state, &mut NoLedger(&mut store)).await;
    results.into_iter().for_each(|(a, r)| r.unwrap_or_else(|e| panic!("{a}: {e}")));
    store.finish().unwrap();
    let diff = compare_with_truth(&r, &binance, &dir).unwrap_err();
    assert!(diff.contains(":trade:ETHBTC:"), "only the unlisted pair's trades are missing: {diff}");
    let (mut store, mut state) = DirStore::open(&dir).unwrap();
    let events: Vec<Event> = store.events().values().cloned().collect();
    let mut suspects = BTreeMap::new();
    for a in &traded {
        let res = sync_engine::residual::of_state(a, &state.accounts[a], &events).expect("balances read");
        let spot: BTreeSet<String> =
            res.rows.iter().filter(|x| x.wallet == format!("{a}/spot")).map(|x| x.asset.clone()).collect();
        assert!(spot.contains("ETH") && spot.contains("BTC"), "{a}: {spot:?}");
        suspects.insert(a.clone(), spot);
    }
    let again = SyncOptions { full: true, suspects, ..options.clone() };
    let (results, _) = sync_engine::sync_by_venue(&t, &again, &binance, &mut state, &mut NoLedger(&mut store)).await;
    results.into_iter().for_each(|(a, r)| r.unwrap_or_else(|e| panic!("{a}: {e}")));
    for a in &traded {
        assert_eq!(state.accounts[a].delisted["ETHBTC"], ("ETH".to_string(), "BTC".to_string()), "{a}");
    }
    store.finish().unwrap();
    assert_matches_truth(&r, &binance, &dir);

    // the store's own ledger: one sync finds it
    let dir = tmp("unlisted-ledger");
    let (mut store, mut state) = DirStore::open(&dir).unwrap();
    assert!(store.wallet_ledger("binance/x/spot", 0).is_some(), "the store has its ledger at hand");
    let (results, _) = sync_engine::sync_by_venue(&t, &options, &binance, &mut state, &mut store).await;
    results.into_iter().for_each(|(a, r)| r.unwrap_or_else(|e| panic!("{a}: {e}")));
    for a in &traded {
        let st = &state.accounts[a];
        assert_eq!(st.delisted["ETHBTC"], ("ETH".to_string(), "BTC".to_string()), "{a}");
        assert!(st.no_pair.keys().all(|s| !s.starts_with("ETHBTC")), "{a}: {:?}", st.no_pair);
    }
    store.finish().unwrap();
    assert_matches_truth(&r, &binance, &dir);
    drop(t);
}

/// A Binance key connected as copy-trading has its lead status read (docs/venues.md §1.17): the lead portfolio's
/// key connects with no warning about it, a regular account's key is told its account is not a lead trader, and
/// neither is refused for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_trading_binance_key_is_told_whether_it_is_a_lead_portfolio() {
    let r = start(9, Size::Tiny, 0.0, None).await;
    let t = transport(&r);
    let policy = ConnectPolicy { copy_trading: true, ..ConnectPolicy::default() };
    let lead = credentials(r.sandbox.key(SimVenue::Binance, "lead").unwrap());
    let report = venues::connect(&t, &Client::new(lead), &policy).await.unwrap();
    assert!(!report.warnings.iter().any(|w| w.contains("lead trader")), "{:?}", report.warnings);
    let main = credentials(r.sandbox.key(SimVenue::Binance, "main").unwrap());
    let report = venues::connect(&t, &Client::new(main.clone()), &policy).await.unwrap();
    assert!(report.warnings.iter().any(|w| w.contains("not a lead trader")), "{:?}", report.warnings);
    let regular = venues::connect(&t, &Client::new(main), &ConnectPolicy::default()).await.unwrap();
    assert!(!regular.warnings.iter().any(|w| w.contains("lead trader")), "a regular account is not asked");
    drop(t);
}
