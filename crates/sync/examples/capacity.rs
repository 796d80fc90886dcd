//! The relay's load harness (docs/relay.md, "Capacity, measured"): N simulated app users, each a Binance account of
//! its own with a believable history in the sandbox (crates/simvenues), each syncing every interval through one relay
//! process with the real sync engine, from a client address of its own; besides them a few backfills (new users
//! reading their whole history) and one abusive client (made-up keys, a flood of public and signed reads). It
//! reports the venue's 429/418 answers, whether every user's sync finished within its interval, the slowest over the
//! median sync time, requests and weight per minute per egress IP, and the relay process's peak RSS (`VmHWM`).
//!
//! Time: the app syncs every 5 minutes, and so do the users here by default (`--interval 300`). A shorter interval
//! scales time (each user then asks 300/interval times the weight per minute a real one does, against the venues'
//! real one-minute windows), which preserves the weight per window but not the relay's fair share (identities per
//! window) nor the room a sync has to spread over several windows; docs/relay.md, "Capacity, measured", shows both
//! and takes its figures from real-time runs. The hourly full cycle is kept in proportion: one sync in 12.
//!
//! Every run is bounded: `--rounds` intervals after the warm-up, and `--max-secs` in all (the harness stops and
//! reports what it has).
//!
//! ```sh
//! cargo build -p relay --bin relay
//! cargo run -p sync-engine --example capacity -- --users 120 --egress 1 --rounds 2 --max-secs 900
//! ```

use std::collections::BTreeMap;
use std::io::BufRead;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use catalogue::{Host, Venue};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use simvenues::generator::{Size, World};
use simvenues::keys::Venue as SimVenue;
use simvenues::ratelimit::Limits;
use simvenues::sandbox::{Sandbox, SandboxConfig};
use sync_engine::native::{HttpTransport, Route};
use sync_engine::{AccountConfig, Engine, Sink, SinkError, Stats, SyncOptions, SyncState};
use venues::{Credentials, Secret};

/// The app's sync interval, seconds (docs/sync.md).
const REAL_INTERVAL_S: f64 = 300.0;
/// One sync in this many is a full cycle: hourly at a 5-minute interval (docs/sync.md). User i's full cycles are its
/// rounds k with (i + k) % FULL_EVERY == 0, so that they are spread over the users as real users' unlock times are.
const FULL_EVERY: usize = 12;

struct Args {
    users: usize,
    egress: usize,
    interval_s: f64,
    rounds: u32,
    backfills: usize,
    abusive: bool,
    relay: PathBuf,
    max_secs: u64,
    seed: u64,
}

fn usage() -> ! {
    eprintln!(
        "usage: capacity [--users N] [--egress 1|2] [--interval SECONDS] [--rounds R] [--backfills B] [--no-abuse] \
         [--relay PATH] [--max-secs S] [--seed S]"
    );
    std::process::exit(2)
}

fn num<T: std::str::FromStr>(flag: &str, value: &str) -> T {
    value.parse().unwrap_or_else(|_| {
        eprintln!("{flag}: not a number: {value}");
        usage()
    })
}

fn args() -> Args {
    let exe = std::env::current_exe().expect("own path");
    // target/<profile>/examples/capacity -> target/<profile>/relay
    let relay = exe.parent().and_then(|p| p.parent()).map(|p| p.join("relay")).unwrap_or_else(|| "relay".into());
    let mut a = Args {
        users: 20,
        egress: 1,
        interval_s: REAL_INTERVAL_S,
        rounds: 2,
        backfills: 2,
        abusive: true,
        relay,
        max_secs: 900,
        seed: 11,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--no-abuse" {
            a.abusive = false;
            continue;
        }
        let value = it.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--users" => a.users = num(&flag, &value),
            "--egress" => a.egress = num(&flag, &value),
            "--interval" => a.interval_s = num(&flag, &value),
            "--rounds" => a.rounds = num(&flag, &value),
            "--backfills" => a.backfills = num(&flag, &value),
            "--relay" => a.relay = value.clone().into(),
            "--max-secs" => a.max_secs = num(&flag, &value),
            "--seed" => a.seed = num(&flag, &value),
            _ => usage(),
        }
    }
    if !(1..=8).contains(&a.egress) || a.users == 0 || a.rounds == 0 || a.interval_s < 1.0 {
        eprintln!("--egress 1..8, --users and --rounds at least 1, --interval at least 1 s");
        usage()
    }
    a
}

/// A sink that keeps nothing (the engine's state is kept by the caller) and counts events.
#[derive(Default)]
struct Counting {
    events: u64,
}

impl Sink for Counting {
    fn checkpoint(&mut self, _: &SyncState, events: &[ledger::Event]) -> Result<(), SinkError> {
        self.events += events.len() as u64;
        Ok(())
    }
    fn snapshot(&mut self, _: &str, _: &venues::parse::Balances, _: &[ledger::Position]) -> Result<(), SinkError> {
        Ok(())
    }
}

/// The world: the generated one, plus `n` Binance accounts `u0`.. each a copy of the "main" account's history with
/// a uid and a read-only key of its own.
fn world(seed: u64, n: usize) -> (World, Vec<Credentials>) {
    let mut world = World::generate(seed, Size::Small, simvenues::http::now_ms());
    let template = world.binance_account("main").expect("a main account").clone();
    let key = world
        .keys
        .iter()
        .find(|k| k.venue == SimVenue::Binance && k.label == "main" && k.public_key.is_empty())
        .expect("main's key")
        .clone();
    let mut creds = Vec::new();
    for i in 0..n {
        let mut acc = template.clone();
        acc.label = format!("u{i}");
        acc.uid = 8_000_000 + i as u64;
        world.binance.push(acc);
        let mut k = key.clone();
        k.label = format!("u{i}");
        k.api_key = format!("{}{:08}", &key.api_key[..key.api_key.len() - 8], i);
        creds.push(Credentials::new(
            Venue::Binance,
            k.label.clone(),
            k.api_key.clone(),
            Secret::new(k.secret.expose()),
            None,
        ));
        world.keys.push(k);
    }
    (world, creds)
}

/// A loopback address of its own per simulated client: user i at 127.1.x.y, backfill j at 127.2.0.j, the abuser at
/// 127.66.0.1.
fn user_ip(i: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 1, (i / 250) as u8, (i % 250 + 1) as u8))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Requests and weight per limiter in one minute on one egress IP.
type Window = (u64, BTreeMap<&'static str, u64>);

/// What the relay's `forwarded` log lines said, per minute (the log's UTC `YYYY-MM-DDTHH:MM`) and egress IP.
#[derive(Default)]
struct Traffic {
    /// (minute, egress) -> requests and weight
    windows: BTreeMap<(String, String), Window>,
    /// Venue answers 429 and 418 the relay forwarded.
    venue_429: u64,
    venue_418: u64,
    /// Lines that were neither forwarded nor info (warnings, errors), first few kept.
    other: Vec<String>,
}

fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let at = line.find(&format!(" {name}="))? + name.len() + 2;
    let rest = &line[at..];
    if let Some(quoted) = rest.strip_prefix('"') { quoted.split('"').next() } else { rest.split(' ').next() }
}

fn read_log(traffic: Arc<Mutex<Traffic>>, stderr: std::process::ChildStderr) {
    for line in std::io::BufReader::new(stderr).lines() {
        let Ok(line) = line else { break };
        let mut t = traffic.lock().unwrap();
        if !line.contains(" forwarded ") {
            if !line.contains("  INFO ") && t.other.len() < 3 {
                t.other.push(line);
            }
            continue;
        }
        let minute = line.get(..16).unwrap_or("?").to_string();
        let egress = field(&line, "egress").unwrap_or("?").to_string();
        let status: u16 = field(&line, "status").and_then(|s| s.parse().ok()).unwrap_or(0);
        let weight: u64 = field(&line, "weight").and_then(|s| s.parse().ok()).unwrap_or(0);
        let venue = match field(&line, "venue") {
            Some("binance") => Venue::Binance,
            _ => Venue::Bitget,
        };
        let limiter = field(&line, "endpoint")
            .and_then(|p| catalogue::endpoint(venue, p))
            .map(|e| e.limiter().as_str())
            .unwrap_or("?");
        match status {
            429 => t.venue_429 += 1,
            418 => t.venue_418 += 1,
            _ => {}
        }
        let w = t.windows.entry((minute, egress)).or_default();
        w.0 += 1;
        *w.1.entry(limiter).or_default() += weight;
    }
}

/// The relay as a child process, killed when dropped.
struct RelayProcess {
    child: Child,
    base: String,
    metrics: String,
}

impl RelayProcess {
    fn start(args: &Args, sandbox: &Sandbox, dir: &std::path::Path, traffic: Arc<Mutex<Traffic>>) -> RelayProcess {
        let (port, mport) = (free_port(), free_port());
        let egress: Vec<String> = (0..args.egress).map(|i| format!("\"127.0.0.{}\"", i + 2)).collect();
        let config = format!(
            "listen = \"127.0.0.1:{port}\"\nmetrics_listen = \"127.0.0.1:{mport}\"\negress = [{}]\n\
             [upstreams]\nbinance_spot = \"{}\"\nbinance_futures = \"{}\"\nbitget = \"{}\"\n",
            egress.join(", "),
            sandbox.binance_spot_url(),
            sandbox.binance_futures_url(),
            sandbox.bitget_url()
        );
        let path = dir.join("relay.toml");
        std::fs::write(&path, config).unwrap();
        let mut child = Command::new(&args.relay)
            .arg("--config")
            .arg(&path)
            .env("RELAY_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start the relay {} ({e}): cargo build -p relay --bin relay", args.relay.display())
            });
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || read_log(traffic, stderr));
        RelayProcess { child, base: format!("http://127.0.0.1:{port}"), metrics: format!("127.0.0.1:{mport}") }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The relay's peak resident set (`VmHWM` in /proc/<pid>/status), kB.
    fn peak_rss_kb(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// `GET path` on the metrics listener, the body.
    fn metrics_text(&self) -> Option<String> {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&self.metrics).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        write!(s, "GET /metrics HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n").ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        Some(out.split_once("\r\n\r\n")?.1.to_string())
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One sync of one user.
struct SyncRun {
    user: usize,
    /// Started this late after its scheduled time, ms.
    late_ms: u64,
    took: Duration,
    ok: Result<(), String>,
    stats: Stats,
}

async fn sync_once(
    t: &HttpTransport,
    options: &SyncOptions,
    account: &AccountConfig,
    state: &mut SyncState,
) -> (Result<(), String>, Stats) {
    let mut engine = Engine::new(t, options.clone());
    let mut sink = Counting::default();
    let results = engine.sync(std::slice::from_ref(account), state, &mut sink).await;
    let ok = results.into_iter().try_for_each(|(a, r)| r.map_err(|e| format!("{a}: {e}")));
    (ok, engine.stats)
}

/// The abusive client: `conns` keep-alive connections from one address, each sending as fast as answered: public
/// reads and signed reads, every one under a made-up key. Returns status -> count.
async fn abuse(base: String, until: Instant, conns: usize) -> BTreeMap<u16, u64> {
    let counts = Rc::new(std::cell::RefCell::new(BTreeMap::new()));
    let mut tasks = Vec::new();
    for c in 0..conns {
        let (base, counts) = (base.clone(), counts.clone());
        tasks.push(async move {
            let mut connector = HttpConnector::new();
            connector.set_local_address(Some(IpAddr::V4(Ipv4Addr::new(127, 66, 0, 1))));
            let client: HyperClient<HttpConnector, Full<Bytes>> =
                HyperClient::builder(TokioExecutor::new()).pool_max_idle_per_host(1).build(connector);
            let mut n: u64 = 0;
            while Instant::now() < until {
                n += 1;
                let key = format!("madeup{c:02}{n:056}");
                let url = if n.is_multiple_of(2) {
                    format!("{base}/v1/binance/api/v3/ticker/price?symbol=BTCUSDT")
                } else {
                    let ts = simvenues::http::now_ms();
                    format!("{base}/v1/binance/api/v3/account?timestamp={ts}&signature={}", "ab".repeat(32))
                };
                let req = hyper::Request::get(url).header("X-MBX-APIKEY", key).body(Full::new(Bytes::new())).unwrap();
                let status = match tokio::time::timeout(Duration::from_secs(10), client.request(req)).await {
                    Ok(Ok(resp)) => {
                        let status = resp.status().as_u16();
                        let _ = resp.into_body().collect().await;
                        status
                    }
                    _ => 0,
                };
                *counts.borrow_mut().entry(status).or_insert(0) += 1;
            }
        });
    }
    futures_util::future::join_all(tasks).await;
    counts.take()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let args = args();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let local = tokio::task::LocalSet::new();
    let code = rt.block_on(local.run_until(run(args)));
    std::process::exit(code);
}

async fn run(args: Args) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(args.max_secs);
    let scale = REAL_INTERVAL_S / args.interval_s;
    let interval = Duration::from_secs_f64(args.interval_s);
    let total = args.users + args.backfills;
    eprintln!(
        "capacity: {} users syncing every {} s (time scaled x{scale:.0}: one stands for {scale:.0} real users), {} \
         backfills, abusive client {}, {} egress IP(s), {} rounds, at most {} s",
        args.users,
        args.interval_s,
        args.backfills,
        if args.abusive { "on" } else { "off" },
        args.egress,
        args.rounds,
        args.max_secs
    );
    let seed = args.seed;
    let (world, creds) = tokio::task::spawn_blocking(move || world(seed, total)).await.unwrap();
    let world = Arc::new(world);
    // Two sandboxes serve the same world: one without limits for the warm-up (the users' earlier syncs, straight to
    // the venue), one with the venues' documented limits for the measured run (through the relay).
    let unlimited = Limits {
        binance_api_weight: u32::MAX / 4,
        binance_fapi_weight: u32::MAX / 4,
        binance_sapi_ip_weight: u32::MAX / 4,
        binance_sapi_uid_weight: u32::MAX / 4,
        bitget_limit_factor: 1000,
        bitget_ip_per_minute: u32::MAX / 4,
        ..Limits::default()
    };
    let warm = Sandbox::serve(world.clone(), SandboxConfig { limits: unlimited, ..SandboxConfig::default() })
        .await
        .expect("warm-up sandbox");
    let venue = Sandbox::serve(world.clone(), SandboxConfig::default()).await.expect("sandbox");
    let direct: BTreeMap<Host, String> = [
        (Host::BinanceSpot, warm.binance_spot_url().to_string()),
        (Host::BinanceFutures, warm.binance_futures_url().to_string()),
        (Host::Bitget, warm.bitget_url().to_string()),
    ]
    .into();

    // Warm-up: each steady user's history read once (a full cycle), as the app did on earlier days.
    let accounts: Vec<AccountConfig> =
        creds.iter().map(|c| AccountConfig { credentials: c.clone(), copy_trading: false }).collect();
    let started = Instant::now();
    let warm_t = HttpTransport::new(Route::Direct(direct), Duration::from_secs(30));
    let warm_options = SyncOptions { full: true, budget_percent: 100_000, ..SyncOptions::default() };
    let mut states: Vec<SyncState> = Vec::new();
    let mut warm_weight = Vec::new();
    for chunk in accounts[..args.users].chunks(8) {
        let runs = chunk.iter().map(|a| {
            let (t, o) = (&warm_t, &warm_options);
            async move {
                let mut state = SyncState::default();
                let (ok, stats) = sync_once(t, o, a, &mut state).await;
                ok.unwrap_or_else(|e| panic!("warm-up: {e}"));
                (state, stats)
            }
        });
        for (state, stats) in futures_util::future::join_all(runs).await {
            warm_weight.push(stats.weight.values().sum::<u64>());
            states.push(state);
        }
        if Instant::now() > deadline {
            eprintln!("--max-secs reached during the warm-up");
            return 1;
        }
    }
    eprintln!(
        "warm-up: {} users' backfills in {:.1} s (straight to an unlimited sandbox), {} weight each",
        args.users,
        started.elapsed().as_secs_f64(),
        warm_weight.first().copied().unwrap_or(0)
    );
    drop(warm);

    let dir = std::env::temp_dir().join(format!("capacity-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let traffic = Arc::new(Mutex::new(Traffic::default()));
    let relay = RelayProcess::start(&args, &venue, &dir, traffic.clone());
    let base = relay.base.clone();
    // Ready when /healthz answers (bounded: only a hang reaches it).
    let probe = HttpTransport::new(Route::Relay(base.clone()), Duration::from_secs(5));
    let ready = Instant::now();
    while sync_engine::native::relay_ips(&base, Duration::from_secs(5)).await.is_err() {
        assert!(ready.elapsed() < Duration::from_secs(60), "the relay did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(probe);

    // The measured run.
    // The engine's own hourly full cycle is off: the harness asks for one sync in FULL_EVERY (see there).
    let options = SyncOptions { full_every_ms: i64::MAX / 4, ..SyncOptions::default() };
    let start = Instant::now() + Duration::from_millis(500);
    let end = start + interval * args.rounds;
    let stop = end.min(deadline);
    let runs: Rc<std::cell::RefCell<Vec<SyncRun>>> = Rc::default();
    let mut users = Vec::new();
    for (i, mut state) in states.into_iter().enumerate() {
        let (account, options, runs, base) = (accounts[i].clone(), options.clone(), runs.clone(), base.clone());
        let (rounds, n) = (args.rounds, args.users);
        users.push(async move {
            let t = HttpTransport::with_local_address(Route::Relay(base), Duration::from_secs(30), user_ip(i));
            let offset = interval.mul_f64(i as f64 / n as f64);
            for k in 0..rounds {
                let at = start + offset + interval * k;
                if at >= stop {
                    break;
                }
                tokio::time::sleep_until(at.into()).await;
                let begun = Instant::now();
                let late_ms = begun.saturating_duration_since(at).as_millis() as u64;
                let options = SyncOptions { full: (i + k as usize).is_multiple_of(FULL_EVERY), ..options.clone() };
                let sync = sync_once(&t, &options, &account, &mut state);
                let (ok, stats) =
                    match tokio::time::timeout_at(stop.max(begun + interval).min(deadline).into(), sync).await {
                        Ok(r) => r,
                        Err(_) => (Err("still running when the run ended".into()), Stats::default()),
                    };
                runs.borrow_mut().push(SyncRun { user: i, late_ms, took: begun.elapsed(), ok, stats });
            }
        });
    }
    // Backfills: new users reading their whole history through the relay, from the start to the end of the run.
    let backfills: Rc<std::cell::RefCell<Vec<(bool, Stats, Duration)>>> = Rc::default();
    let mut fills = Vec::new();
    for j in 0..args.backfills {
        let (account, base, backfills) = (accounts[args.users + j].clone(), base.clone(), backfills.clone());
        fills.push(async move {
            let ip = IpAddr::V4(Ipv4Addr::new(127, 2, 0, j as u8 + 1));
            let t = HttpTransport::with_local_address(Route::Relay(base), Duration::from_secs(30), ip);
            tokio::time::sleep_until(start.into()).await;
            let begun = Instant::now();
            let mut engine = Engine::new(&t, SyncOptions { full: true, ..SyncOptions::default() });
            let mut state = SyncState::default();
            let mut sink = Counting::default();
            let done = tokio::time::timeout_at(
                stop.into(),
                engine.sync(std::slice::from_ref(&account), &mut state, &mut sink),
            )
            .await
            .is_ok_and(|r| r.iter().all(|(_, r)| r.is_ok()));
            backfills.borrow_mut().push((done, engine.stats.clone(), begun.elapsed()));
        });
    }
    // The relay's weight gauges, sampled every second: the highest per (egress, limiter).
    let gauges: Rc<std::cell::RefCell<BTreeMap<String, (u64, u64)>>> = Rc::default();
    let sampler = {
        let gauges = gauges.clone();
        let relay = &relay;
        async move {
            while Instant::now() < stop {
                if let Some(text) = relay.metrics_text() {
                    let mut g = gauges.borrow_mut();
                    for line in text.lines() {
                        let (used, name) = if let Some(r) = line.strip_prefix("relay_weight_used") {
                            (true, r)
                        } else if let Some(r) = line.strip_prefix("relay_weight_limit") {
                            (false, r)
                        } else {
                            continue;
                        };
                        let Some((labels, value)) = name.rsplit_once(' ') else { continue };
                        let value: u64 = value.parse().unwrap_or(0);
                        let e = g.entry(labels.to_string()).or_default();
                        if used {
                            e.0 = e.0.max(value);
                        } else {
                            e.1 = value;
                        }
                    }
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    let abuser = async {
        if args.abusive {
            tokio::time::sleep_until(start.into()).await;
            abuse(base.clone(), stop, 4).await
        } else {
            BTreeMap::new()
        }
    };
    let (_, _, _, abused) = futures_util::future::join4(
        futures_util::future::join_all(users),
        futures_util::future::join_all(fills),
        sampler,
        abuser,
    )
    .await;
    let rss = relay.peak_rss_kb();
    let refusals: Vec<String> = relay
        .metrics_text()
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("relay_refusals_total"))
        .map(str::to_string)
        .collect();
    // The log thread has read everything the relay wrote up to its last flush (every 20 ms).
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(relay);
    let _ = std::fs::remove_dir_all(&dir);

    // ---- the report ----
    let runs = runs.take();
    let expected: usize = (0..args.users)
        .map(|i| {
            let offset = interval.mul_f64(i as f64 / args.users as f64);
            (0..args.rounds).filter(|k| start + offset + interval * *k < stop).count()
        })
        .sum();
    let within: Vec<&SyncRun> =
        runs.iter().filter(|r| r.ok.is_ok() && r.took + Duration::from_millis(r.late_ms) <= interval).collect();
    let mut times: Vec<f64> = runs.iter().map(|r| r.took.as_secs_f64() * 1000.0).collect();
    times.sort_by(|a, b| a.total_cmp(b));
    let (median, slowest) = (percentile(&times, 0.5), times.last().copied().unwrap_or(0.0));
    let mut weights: Vec<u64> = runs.iter().map(|r| r.stats.weight.values().sum()).collect();
    weights.sort();
    let per_meter = |r: &SyncRun| -> BTreeMap<String, u64> {
        let mut m = BTreeMap::new();
        for (k, v) in &r.stats.weight {
            *m.entry(k.split(':').next().unwrap_or(k).to_string()).or_insert(0) += v;
        }
        m
    };
    // Weight per limiter per sync, for incremental ticks and full cycles apart: (syncs, limiter -> weight).
    let mut by_kind: BTreeMap<&str, (u64, BTreeMap<String, u64>)> = BTreeMap::new();
    for r in &runs {
        let kind = if r.stats.full_ticks > 0 { "full cycle" } else { "incremental tick" };
        let e = by_kind.entry(kind).or_default();
        e.0 += 1;
        for (k, v) in per_meter(r) {
            *e.1.entry(k).or_insert(0) += v;
        }
    }
    let full_cycles: u64 = runs.iter().map(|r| r.stats.full_ticks).sum();
    let requests: u64 = runs.iter().map(|r| r.stats.requests).sum();
    let mut retried: BTreeMap<String, u64> = BTreeMap::new();
    for r in &runs {
        for (k, v) in &r.stats.retried {
            *retried.entry(k.split(' ').next().unwrap_or(k).to_string()).or_insert(0) += v;
        }
    }
    let t = traffic.lock().unwrap();
    println!(
        "== capacity: {} users, {} egress IP(s), interval {} s (x{scale:.0}), {} rounds",
        args.users, args.egress, args.interval_s, args.rounds
    );
    println!("venue 429: {}, venue 418: {}", t.venue_429, t.venue_418);
    println!(
        "syncs: {} of {} scheduled ran, {} finished within their interval; failed: {}",
        runs.len(),
        expected,
        within.len(),
        runs.iter().filter(|r| r.ok.is_err()).count()
    );
    for r in runs.iter().filter(|r| r.ok.is_err()).take(3) {
        println!("  user {}: {}", r.user, r.ok.as_ref().unwrap_err());
    }
    println!(
        "sync time ms: median {median:.0}, p90 {:.0}, slowest {slowest:.0}; slowest/median {:.2}; latest start {} ms late",
        percentile(&times, 0.9),
        if median > 0.0 { slowest / median } else { 0.0 },
        runs.iter().map(|r| r.late_ms).max().unwrap_or(0)
    );
    println!(
        "per sync: {:.1} requests, weight median {} max {} (full cycles: {full_cycles} of {} syncs)",
        requests as f64 / runs.len().max(1) as f64,
        percentile(&weights.iter().map(|w| *w as f64).collect::<Vec<_>>(), 0.5),
        weights.last().copied().unwrap_or(0),
        runs.len(),
    );
    for (kind, (n, meters)) in &by_kind {
        let w: Vec<String> = meters.iter().map(|(k, v)| format!("{k} {:.1}", *v as f64 / *n as f64)).collect();
        println!("  weight per {kind} ({n}): {}", w.join(", "));
    }
    println!(
        "retried by the users' syncs: {retried:?}; longest wait for the sync's own budget in one sync: {} ms",
        runs.iter().map(|r| r.stats.waited_ms).max().unwrap_or(0)
    );
    let fills = backfills.take();
    for (done, stats, took) in &fills {
        println!(
            "backfill: {} in {:.1} s, {} requests, weight {}",
            if *done { "finished" } else { "unfinished" },
            took.as_secs_f64(),
            stats.requests,
            stats.weight.values().sum::<u64>()
        );
    }
    println!("abusive client answers by status: {abused:?}");
    println!("relay refusals: {}", refusals.join("; "));
    println!("requests and weight per minute per egress IP (from the relay's log):");
    for ((minute, egress), (n, w)) in &t.windows {
        let w: Vec<String> = w.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!("  {minute} {egress}: {n} requests; weight {}", w.join(", "));
    }
    println!("highest weight gauges seen (used / limit):");
    for (labels, (used, limit)) in &gauges.take() {
        if *used > 0 {
            println!("  {labels}: {used} / {limit}");
        }
    }
    for l in &t.other {
        println!("relay said: {l}");
    }
    match rss {
        Some(kb) => println!("relay peak RSS (VmHWM): {:.1} MB", kb as f64 / 1024.0),
        None => println!("relay peak RSS: unreadable"),
    }
    let pass = t.venue_429 == 0 && t.venue_418 == 0 && within.len() == expected && runs.len() == expected;
    println!(
        "verdict: {} (no venue 429/418: {}; every sync within its interval: {})",
        if pass { "MEETS" } else { "FAILS" },
        t.venue_429 + t.venue_418 == 0,
        within.len() == expected
    );
    i32::from(!pass)
}
