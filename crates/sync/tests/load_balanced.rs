//! Several relay instances behind HAProxy, for real (docs/relay.md, "Several instances behind HAProxy"): Debian's
//! HAProxy in TCP mode in front of three relays, each with an egress IP of its own (127.0.0.2, 127.0.0.3, 127.0.0.4),
//! sending them the PROXY protocol v2 from an address of its own (127.0.0.10, the relays' only trusted proxy). A full
//! sync of the simulated venues runs through it; one relay is killed after the n-th request it forwarded (counted
//! in the relays' own log events, never in time). The sync finishes, the ledger and balances equal the sandbox's
//! ground truth event for event, and every request the relays forwarded is logged under the test client's address,
//! read from the PROXY header, never under HAProxy's.
//!
//! The relays run in-process, each on a runtime of its own: killing one shuts its runtime down, which drops its
//! listener and every connection it holds, as a crashed process would. HAProxy runs as a child process
//! (`haproxy -f <generated config> -db`), killed at the end. `scripts/test` installs it (`ensure_haproxy`).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use ledger::Event;
use relay::Relay;
use simvenues::generator::Size;
use simvenues::keys::{DemoKey, Profile};
use simvenues::sandbox::{Sandbox, SandboxConfig};
use sync_engine::native::{DirStore, HttpTransport, Route};
use sync_engine::{AccountConfig, SyncOptions};
use tracing_subscriber::layer::SubscriberExt;
mod common;

use common::{connect_retrying, copy_trading, credentials, relay_config, synced_despite};

/// The relays' egress IPs, one each.
const EGRESS: [Ipv4Addr; 3] = [Ipv4Addr::new(127, 0, 0, 2), Ipv4Addr::new(127, 0, 0, 3), Ipv4Addr::new(127, 0, 0, 4)];
/// The address HAProxy connects to the relays from (its `source`), the one proxy they trust.
const PROXY_SOURCE: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 10);
/// The test client's address: it connects to HAProxy on 127.0.0.1, from 127.0.0.1.
const CLIENT: Ipv4Addr = Ipv4Addr::LOCALHOST;
/// A relay is killed once it has forwarded this many of the sync's requests.
const KILL_AFTER: usize = 12;
/// Bounds only a hang reaches.
const HANG: Duration = Duration::from_secs(60);

// ---- the relays' log events ----

/// One `forwarded` log event of a relay: its egress IP and the client address it logged.
#[derive(Clone, Debug)]
struct Forwarded {
    egress: String,
    address: String,
}

/// What the relays logged, and the trip wire that kills one.
#[derive(Default)]
struct Logs {
    forwarded: Mutex<Vec<Forwarded>>,
    trip: Mutex<Option<Trip>>,
}

/// Armed when the sync starts: the first relay (by egress) to forward `after` more requests is named on `tx`, once.
struct Trip {
    after: usize,
    counts: BTreeMap<String, usize>,
    tx: tokio::sync::mpsc::UnboundedSender<String>,
}

struct Layer(Arc<Logs>);

#[derive(Default)]
struct Fields {
    message: String,
    egress: String,
    address: String,
}

impl tracing::field::Visit for Fields {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        match field.name() {
            "egress" => self.egress = value.to_owned(),
            "address" => self.address = value.to_owned(),
            _ => {}
        }
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Layer {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if !event.metadata().target().starts_with("relay") {
            return;
        }
        let mut f = Fields::default();
        event.record(&mut f);
        if f.message != "forwarded" {
            return;
        }
        if let Some(trip) = self.0.trip.lock().unwrap().as_mut() {
            let n = trip.counts.entry(f.egress.clone()).or_default();
            *n += 1;
            if *n == trip.after {
                let _ = trip.tx.send(f.egress.clone());
                trip.after = usize::MAX;
            }
        }
        self.0.forwarded.lock().unwrap().push(Forwarded { egress: f.egress, address: f.address });
    }
}

/// The relays' log events, captured for the whole test binary (its one test).
fn logs() -> Arc<Logs> {
    static LOGS: OnceLock<Arc<Logs>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Logs::default());
        let subscriber = tracing_subscriber::registry().with(Layer(logs.clone()));
        tracing::subscriber::set_global_default(subscriber).expect("no other subscriber in this test binary");
        logs
    })
    .clone()
}

// ---- the relays ----

/// A relay on a runtime of its own, listening on 127.0.0.1, its upstream connections bound to `egress`.
struct Instance {
    relay: Arc<Relay>,
    addr: SocketAddr,
    egress: IpAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Instance {
    fn start(sandbox: &Sandbox, egress: IpAddr) -> Instance {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name(format!("relay-{egress}"))
            .enable_all()
            .build()
            .unwrap();
        let mut config = relay_config(sandbox);
        config.egress = vec![egress];
        config.trusted_proxies = vec![relay::proxy::Cidr::parse(&PROXY_SOURCE.to_string()).unwrap()];
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let relay = {
            let _in = runtime.enter();
            Relay::new(config).unwrap()
        };
        let (r, router) = (relay.clone(), relay::app(relay.clone()));
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            relay::serve(listener, r, router, std::future::pending()).await;
        });
        Instance { relay, addr, egress, runtime: Some(runtime) }
    }

    /// The log form of the address this relay sees a client at (its salt is its own).
    fn tag(&self, ip: Ipv4Addr) -> String {
        self.relay.ip_client(IpAddr::V4(ip)).address_tag().as_str().to_owned()
    }

    /// Kills the relay: its runtime stops, dropping the listener and every open connection; returns once they are
    /// closed (bounded: only a hang reaches the bound).
    async fn kill(runtime: tokio::runtime::Runtime) {
        tokio::task::spawn_blocking(move || runtime.shutdown_timeout(HANG)).await.unwrap();
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

// ---- HAProxy ----

/// A port free on 127.0.0.1 now (for HAProxy to bind).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The HAProxy configuration the test runs, also the example in docs/relay.md (checked by
/// `the_documented_haproxy_config_is_the_tested_one`): TCP mode, the PROXY protocol v2 to every relay from `source`
/// (the address the relays list in `trusted_proxies`), HTTP health checks of `/healthz` (with a PROXY header too),
/// and a connection a relay refuses retried on another relay.
fn haproxy_config(bind: &str, source: IpAddr, stats_socket: &Path, relays: &[SocketAddr]) -> String {
    let mut cfg = format!(
        "global
    maxconn 1024
    # `show stat` on this socket lists each relay's status (UP, DOWN)
    stats socket {}

defaults
    mode tcp
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout check 2s
    # a connection a relay refuses is tried again, on another relay
    retries 3
    option redispatch 1

frontend relays
    bind {bind}
    default_backend relays

backend relays
    balance roundrobin
    # the relays list this address in trusted_proxies and take the client's from the PROXY header
    source {source}
    option httpchk
    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host relay
    http-check expect status 200
    # the PROXY protocol v2 on every connection, health checks included; a relay is down after one failed check
    default-server send-proxy-v2 check check-send-proxy inter 1s fall 1 rise 2
",
        stats_socket.display()
    );
    for (i, r) in relays.iter().enumerate() {
        cfg.push_str(&format!("    server relay{} {r}\n", i + 1));
    }
    cfg
}

/// The example configuration of docs/relay.md, "Several instances behind HAProxy".
fn documented_config() -> String {
    let relays: Vec<SocketAddr> = (11..=13).map(|i| SocketAddr::from(([10, 0, 0, i], 8080))).collect();
    let (bind, source) = (":443 ssl crt /etc/haproxy/relay.pem", IpAddr::from([10, 0, 0, 5]));
    haproxy_config(bind, source, Path::new("/run/haproxy/relays.sock"), &relays)
}

#[test]
fn the_documented_haproxy_config_is_the_tested_one() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/relay.md")).unwrap();
    let block = format!("```\n{}```\n", documented_config());
    assert!(doc.contains(&block), "docs/relay.md must show this configuration, as the test runs it:\n{block}");
}

/// HAProxy as a child process, killed when dropped.
struct Haproxy {
    child: Child,
    stats: std::path::PathBuf,
    log: std::path::PathBuf,
}

impl Haproxy {
    fn start(dir: &Path, config: &str, stats: &Path) -> Haproxy {
        let cfg = dir.join("haproxy.cfg");
        std::fs::write(&cfg, config).unwrap();
        let log = dir.join("haproxy.log");
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new("haproxy")
            .arg("-f")
            .arg(&cfg)
            .arg("-db")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start haproxy ({e}): install Debian's package (apt-get install haproxy; scripts/test does)"
                )
            });
        Haproxy { child, stats: stats.to_owned(), log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Each relay server's status (`UP`, `DOWN`, ...) from `show stat` on the stats socket, or `None` while it
    /// does not answer.
    fn servers(&mut self) -> Option<BTreeMap<String, String>> {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("haproxy exited ({status}):\n{}", self.log());
        }
        let mut s = std::os::unix::net::UnixStream::connect(&self.stats).ok()?;
        s.set_read_timeout(Some(HANG)).ok()?;
        s.write_all(b"show stat\n").ok()?;
        let mut csv = String::new();
        s.read_to_string(&mut csv).ok()?;
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next()?.trim_start_matches("# ").split(',').collect();
        let col = |name: &str| header.iter().position(|h| *h == name);
        let (px, sv, st) = (col("pxname")?, col("svname")?, col("status")?);
        Some(
            lines
                .map(|l| l.split(',').collect::<Vec<_>>())
                .filter(|f| f.get(px) == Some(&"relays") && f.get(sv).is_some_and(|s| s.starts_with("relay")))
                .map(|f| (f[sv].to_owned(), f[st].to_owned()))
                .collect(),
        )
    }

    /// Polls the stats page until `done` holds of the servers' statuses (bounded: only a hang reaches the bound).
    async fn wait_for(&mut self, what: &str, done: impl Fn(&BTreeMap<String, String>) -> bool) {
        let start = Instant::now();
        loop {
            let servers = self.servers();
            if servers.as_ref().is_some_and(&done) {
                return;
            }
            assert!(start.elapsed() < HANG, "{what}: haproxy says {servers:?}\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---- the sync ----

/// Connect-checks `keys` through the pool; every one must be accepted.
async fn connect_all(t: &HttpTransport, keys: &[&DemoKey]) -> Vec<AccountConfig> {
    let mut accepted = Vec::new();
    for k in keys {
        let creds = credentials(k);
        let account = AccountConfig { credentials: creds.clone(), copy_trading: copy_trading(k) };
        match connect_retrying(t, &creds).await {
            Ok(_) => accepted.push(account),
            Err(e) if synced_despite(k, &e) => accepted.push(account),
            Err(e) => panic!("{}/{}: refused through the pool: {e}", k.venue.as_str(), k.label),
        }
    }
    accepted
}

fn mine(accounts: &[AccountConfig], account: &str) -> bool {
    accounts.iter().any(|a| account.starts_with(&format!("{}/{}/", a.credentials.venue, a.credentials.label)))
}

/// The synced ledger and balances equal the sandbox's truth for the synced accounts, event for event (as
/// sandbox.rs compares them): no event missing, none extra, none twice.
fn assert_matches_truth(sandbox: &Sandbox, accounts: &[AccountConfig], dir: &Path) {
    let text = std::fs::read(dir.join("ledger.jsonl")).unwrap();
    let synced = ledger::read_ledger(text.as_slice(), "ledger.jsonl").unwrap();
    let ours: BTreeMap<String, Event> = synced.iter().map(|e| (e.id.clone(), e.clone())).collect();
    assert_eq!(ours.len(), synced.len(), "duplicate events in the synced ledger");
    let theirs: BTreeMap<String, Event> = sandbox
        .truth_ledger()
        .into_iter()
        .filter(|e| mine(accounts, e.account.as_str()))
        .map(|e| (e.id.clone(), e))
        .collect();
    assert!(theirs.len() > 100, "the truth has {} events: too few to prove much", theirs.len());
    let missing: Vec<_> = theirs.keys().filter(|k| !ours.contains_key(*k)).take(5).collect();
    let extra: Vec<_> = ours.keys().filter(|k| !theirs.contains_key(*k)).take(5).collect();
    assert!(missing.is_empty() && extra.is_empty(), "missing {missing:?}, extra {extra:?}");
    for (id, e) in &theirs {
        let mut expected = e.clone();
        // Binance's withdrawal times have no milliseconds (see sandbox.rs)
        if id.starts_with("binance/") && id.contains(":withdrawal:") {
            expected.time = ledger::Timestamp(expected.time.0 - expected.time.0.rem_euclid(1000));
        }
        assert_eq!(ours[id], expected, "event {id}");
    }
    let balances: BTreeMap<String, BTreeMap<String, String>> =
        serde_json::from_slice(&std::fs::read(dir.join("balances.json")).unwrap()).unwrap();
    let truth: BTreeMap<String, BTreeMap<String, String>> = sandbox
        .truth_balances()
        .into_iter()
        .filter(|(a, _)| mine(accounts, a))
        .map(|(a, m)| (a, m.into_iter().map(|(k, v)| (k, v.normalize().to_string())).collect()))
        .collect();
    assert_eq!(balances, truth, "balances");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_through_haproxy_survives_a_killed_relay_and_the_relays_see_the_client() {
    let logs = logs();
    let sandbox =
        Sandbox::start(SandboxConfig { seed: 5, size: Size::Small, ..SandboxConfig::default() }).await.unwrap();
    let instances: Arc<Mutex<Vec<Instance>>> =
        Arc::new(Mutex::new(EGRESS.iter().map(|ip| Instance::start(&sandbox, IpAddr::V4(*ip))).collect()));
    let addrs: Vec<SocketAddr> = instances.lock().unwrap().iter().map(|i| i.addr).collect();
    let dir = tempfile::tempdir().unwrap();
    let (front, stats) = (free_port(), dir.path().join("haproxy.sock"));
    let config = haproxy_config(&format!("127.0.0.1:{front}"), IpAddr::V4(PROXY_SOURCE), &stats, &addrs);
    let mut haproxy = Haproxy::start(dir.path(), &config, &stats);
    haproxy.wait_for("every relay up", |s| s.len() == 3 && s.values().all(|st| st == "UP")).await;

    let t = HttpTransport::new(Route::Relay(format!("http://127.0.0.1:{front}")), Duration::from_secs(10));
    // Every read-only key the three egress IPs may use. A key restricted to some of them (the sandbox's "office"
    // key allows 127.0.0.2 only) fails through the others: operators publish every instance's IPs (docs/relay.md).
    let egress: Vec<IpAddr> = EGRESS.iter().map(|ip| IpAddr::V4(*ip)).collect();
    let keys: Vec<&DemoKey> = sandbox
        .keys()
        .iter()
        .filter(|k| k.permissions == Profile::ReadOnly)
        .filter(|k| k.ip_allow.is_empty() || egress.iter().all(|ip| k.ip_allow.contains(ip)))
        .collect();
    let accounts = connect_all(&t, &keys).await;
    assert!(accounts.len() >= 4, "{} accounts", accounts.len());

    // Arm the trip wire: the first relay to forward KILL_AFTER of the sync's requests is killed.
    let before = logs.forwarded.lock().unwrap().len();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    *logs.trip.lock().unwrap() = Some(Trip { after: KILL_AFTER, counts: BTreeMap::new(), tx });
    let killer = {
        let (instances, logs) = (instances.clone(), logs.clone());
        tokio::spawn(async move {
            let egress = rx.recv().await?;
            let (victim, runtime) = {
                let mut all = instances.lock().unwrap();
                let victim = all.iter().position(|i| i.egress.to_string() == egress)?;
                (victim, all[victim].runtime.take()?)
            };
            Instance::kill(runtime).await;
            Some((victim, logs.forwarded.lock().unwrap().len()))
        })
    };

    let (mut store, mut state) = DirStore::open(&dir.path().join("ledger")).unwrap();
    let options = SyncOptions { backoff_ms: 50, ..SyncOptions::default() };
    let (results, stats_) =
        tokio::time::timeout(HANG * 5, sync_engine::sync_by_venue(&t, &options, &accounts, &mut state, &mut store))
            .await
            .expect("the sync finishes");
    for (a, r) in results {
        r.unwrap_or_else(|e| panic!("{a}: {e}"));
    }
    store.finish().unwrap();
    let (victim, at_kill) = killer.await.unwrap().expect("a relay forwarded enough requests to be killed");
    let forwarded = logs.forwarded.lock().unwrap()[before..].to_vec();
    let at_kill = at_kill - before;
    eprintln!(
        "{} requests, {} retries; relay{} killed after its {KILL_AFTER}th, at the sync's {at_kill}th forwarded request \
         of {}",
        stats_.requests,
        stats_.retries,
        victim + 1,
        forwarded.len()
    );

    // The killed relay forwarded nothing more; the sync went on through the other relays and finished with nothing
    // lost or duplicated.
    let victim_egress = EGRESS[victim].to_string();
    assert!(forwarded[at_kill..].iter().all(|f| f.egress != victim_egress), "the killed relay forwarded more");
    let after = forwarded.len() - at_kill;
    assert!(after >= 10, "only {after} requests forwarded after the kill");
    assert_matches_truth(&sandbox, &accounts, &dir.path().join("ledger"));
    assert!(sandbox.breaches().is_empty(), "{:?}", sandbox.breaches());

    // The dead relay refuses connections, and HAProxy's health checks mark it down (the others stay up).
    assert!(TcpStream::connect(addrs[victim]).is_err(), "the killed relay still accepts connections");
    let victim_name = format!("relay{}", victim + 1);
    haproxy
        .wait_for("the killed relay marked down", |s| {
            s.len() == 3 && s.iter().all(|(name, st)| (st == "UP") != (*name == victim_name))
        })
        .await;

    // Every request every relay forwarded (the connect checks' too) is logged under the test client's address, as
    // the PROXY header gave it, never under HAProxy's own.
    let all = logs.forwarded.lock().unwrap().clone();
    let instances = instances.lock().unwrap();
    let mut per_relay = BTreeMap::new();
    for f in &all {
        let i = instances.iter().find(|i| i.egress.to_string() == f.egress).expect("an egress of the three");
        assert_ne!(f.address, i.tag(PROXY_SOURCE), "relay {} logged HAProxy's address", f.egress);
        assert_eq!(f.address, i.tag(CLIENT), "relay {} logged another client than the test's", f.egress);
        *per_relay.entry(f.egress.clone()).or_insert(0) += 1;
    }
    eprintln!("forwarded per relay: {per_relay:?}");
    let served: BTreeSet<_> = per_relay.keys().collect();
    assert!(served.len() >= 2, "only {served:?} forwarded anything");
    drop(haproxy);
}
