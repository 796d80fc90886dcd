//! Native IO for the CLI and tests: an HTTP/1.1 [`Transport`] over plain HTTP (the relay, or simulated venues, on
//! loopback), and [`DirStore`], a [`Sink`] that keeps the ledger, balances and resumable state in a directory.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use catalogue::Host;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use ledger::{Decimal, Event, Position};
use venues::parse::Balances;
use venues::{Request, Response, Transport, TransportError};

use crate::run::{Sink, SinkError};
use crate::state::SyncState;

/// Where requests go.
#[derive(Clone, Debug)]
pub enum Route {
    /// Through the relay: `{base}/v1/{venue}{path}?{query}`.
    Relay(String),
    /// Straight to each host's base URL (tests without a relay).
    Direct(BTreeMap<Host, String>),
}

/// HTTP/1.1 over plain TCP with a per-request timeout.
#[derive(Clone)]
pub struct HttpTransport {
    client: HyperClient<HttpConnector, Full<Bytes>>,
    route: Route,
    timeout: Duration,
}

impl HttpTransport {
    /// A transport along `route`, giving up on a request after `timeout`.
    pub fn new(route: Route, timeout: Duration) -> Self {
        Self::from(route, timeout, None)
    }

    /// The same, its connections made from `local` (a loopback address of its own per simulated user in the load
    /// harness, `examples/capacity.rs`, so that the relay sees each user as a client address of its own).
    pub fn with_local_address(route: Route, timeout: Duration, local: std::net::IpAddr) -> Self {
        Self::from(route, timeout, Some(local))
    }

    fn from(route: Route, timeout: Duration, local: Option<std::net::IpAddr>) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_local_address(local);
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(timeout));
        let client = HyperClient::builder(TokioExecutor::new()).pool_max_idle_per_host(4).build(connector);
        HttpTransport { client, route, timeout }
    }

    fn url(&self, request: &Request) -> Result<String, TransportError> {
        match &self.route {
            Route::Relay(base) => Ok(request.relay_url(base)),
            Route::Direct(hosts) => hosts
                .get(&request.endpoint.host)
                .map(|b| request.direct_url(b))
                .ok_or_else(|| TransportError(format!("no base URL for {}", request.endpoint.host.as_str()))),
        }
    }
}

impl Transport for HttpTransport {
    async fn send(&self, request: &Request) -> Result<Response, TransportError> {
        let url = self.url(request)?;
        let mut builder = hyper::Request::builder().method(request.endpoint.method.as_str()).uri(&url);
        for (name, value) in &request.headers {
            builder = builder.header(*name, value.expose());
        }
        let http = builder
            .body(Full::new(Bytes::from(request.body.clone())))
            .map_err(|e| TransportError(format!("bad request: {e}")))?;
        let exchange = async {
            let resp = self.client.request(http).await.map_err(|e| TransportError(format!("{e}")))?;
            let (parts, body) = resp.into_parts();
            let body = body.collect().await.map_err(|e| TransportError(format!("body cut: {e}")))?.to_bytes();
            let headers = parts
                .headers
                .iter()
                .filter_map(|(n, v)| Some((n.as_str().to_ascii_lowercase(), v.to_str().ok()?.to_string())))
                .collect();
            Ok(Response { status: parts.status.as_u16(), headers, body: body.to_vec() })
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(r) => r,
            Err(_) => Err(TransportError(format!("timed out after {} ms", self.timeout.as_millis()))),
        }
    }

    fn now_ms(&self) -> i64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
    }

    async fn sleep(&self, ms: u64) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

/// A sync's files in one directory: `ledger.jsonl` (the open ledger format, de-duplicated by id, sorted by time
/// then id when a sync completes), `balances.json` (account -> asset -> amount), `positions.json`, and
/// `sync-state.json` (the cursors to resume from). Events are appended before the state that covers them is
/// written, so a crash at any point loses nothing and a resume duplicates nothing.
pub struct DirStore {
    dir: PathBuf,
    events: BTreeMap<String, Event>,
    balances: Balances,
    positions: BTreeMap<String, Vec<Position>>,
    ledger: Option<std::fs::File>,
    /// A crash test's plan, asked before every write ([`DirStore::crash_when`]), and whether it has stopped the store.
    crash: Option<CrashPlan>,
    crashed: bool,
}

/// A crash test's plan: asked before each write of a [`DirStore`] what it is, it answers whether the process dies
/// there, and how far the write gets.
pub type CrashPlan = Box<dyn FnMut(StoreWrite) -> Option<Cut> + Send>;

/// How far the write a crash stops gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    /// Not a byte is written.
    Before,
    /// Half of it: an appended chunk ends in a cut line; a replaced file's temporary copy is cut and never renamed.
    Halfway,
}

/// What one write of a [`DirStore`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum StoreWrite {
    /// New events appended to `ledger.jsonl`.
    Chunk,
    /// `sync-state.json` replaced.
    State,
    /// `balances.json` or `positions.json` replaced.
    Snapshot,
    /// `ledger.jsonl` rewritten whole, sorted.
    Ledger,
}

/// A store that cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// IO.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: String,
        /// Error.
        source: std::io::Error,
    },
    /// A file that is not what this store writes.
    #[error("{path}: {detail}; move the directory away to start a fresh sync")]
    Format {
        /// File.
        path: String,
        /// What is wrong.
        detail: String,
    },
    /// A crash test stopped the store ([`DirStore::crash_when`]).
    #[error("the store was stopped by a crash test")]
    Crashed,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.display().to_string(), source }
}

impl DirStore {
    /// Opens (or creates) the directory and loads what an earlier sync left: the ledger and the state.
    pub fn open(dir: &Path) -> Result<(DirStore, SyncState), StoreError> {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let ledger_path = dir.join("ledger.jsonl");
        let mut events = BTreeMap::new();
        if ledger_path.exists() {
            let f = std::fs::File::open(&ledger_path).map_err(io_err(&ledger_path))?;
            let lines: Vec<String> =
                std::io::BufReader::new(f).lines().collect::<Result<_, _>>().map_err(io_err(&ledger_path))?;
            let n = lines.len();
            for (i, line) in lines.into_iter().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Event>(&line) {
                    Ok(e) => {
                        events.insert(e.id.clone(), e);
                    }
                    // a crash can cut the last line; its events come back when the sync resumes
                    Err(_) if i + 1 == n => {}
                    Err(e) => {
                        return Err(StoreError::Format {
                            path: ledger_path.display().to_string(),
                            detail: format!("line {}: {e}", i + 1),
                        });
                    }
                }
            }
        }
        let state_path = dir.join("sync-state.json");
        let state = if state_path.exists() {
            let text = std::fs::read(&state_path).map_err(io_err(&state_path))?;
            serde_json::from_slice(&text)
                .map_err(|e| StoreError::Format { path: state_path.display().to_string(), detail: e.to_string() })?
        } else {
            SyncState::new()
        };
        let balances_path = dir.join("balances.json");
        let balances = if balances_path.exists() {
            let text = std::fs::read(&balances_path).map_err(io_err(&balances_path))?;
            serde_json::from_slice(&text)
                .map_err(|e| StoreError::Format { path: balances_path.display().to_string(), detail: e.to_string() })?
        } else {
            Balances::new()
        };
        let positions_path = dir.join("positions.json");
        let mut positions: BTreeMap<String, Vec<Position>> = BTreeMap::new();
        if positions_path.exists() {
            let text = std::fs::read(&positions_path).map_err(io_err(&positions_path))?;
            let list: Vec<Position> = serde_json::from_slice(&text).map_err(|e| StoreError::Format {
                path: positions_path.display().to_string(),
                detail: e.to_string(),
            })?;
            for p in list {
                let key = p.account.as_str().rsplit_once('/').map_or(p.account.to_string(), |(k, _)| k.to_string());
                positions.entry(key).or_default().push(p);
            }
        }
        let mut store =
            DirStore { dir: dir.to_path_buf(), events, balances, positions, ledger: None, crash: None, crashed: false };
        // rewrite the ledger without a cut last line before appending to it
        store.finish()?;
        Ok((store, state))
    }

    /// Gives the store a crash test's plan: before each write, `plan` is told what the write is and answers whether
    /// the process dies there. From then on every call fails with [`StoreError::Crashed`] and writes nothing, and the
    /// files stay as such a crash leaves them.
    pub fn crash_when(&mut self, plan: CrashPlan) {
        self.crash = Some(plan);
    }

    /// Whether a crash test's plan has stopped the store.
    pub fn crashed(&self) -> bool {
        self.crashed
    }

    /// Asks the crash plan about a write of `len` bytes: how many of them to write before the store stops, or `None`
    /// to write them all.
    fn begin_write(&mut self, kind: StoreWrite, len: usize) -> Result<Option<usize>, StoreError> {
        if self.crashed {
            return Err(StoreError::Crashed);
        }
        let cut = self.crash.as_mut().and_then(|plan| plan(kind));
        self.crashed = cut.is_some();
        Ok(cut.map(|c| if c == Cut::Halfway { len / 2 } else { 0 }))
    }

    /// Events known so far, by id.
    pub fn events(&self) -> &BTreeMap<String, Event> {
        &self.events
    }

    /// Balances read so far.
    pub fn balances(&self) -> &Balances {
        &self.balances
    }

    fn write_atomic(&mut self, kind: StoreWrite, name: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let path = self.dir.join(name);
        let tmp = self.dir.join(format!(".{name}.tmp"));
        if let Some(cut) = self.begin_write(kind, bytes.len())? {
            if cut > 0 {
                std::fs::write(&tmp, &bytes[..cut]).map_err(io_err(&tmp))?;
            }
            return Err(StoreError::Crashed);
        }
        std::fs::write(&tmp, bytes).map_err(io_err(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io_err(&path))
    }

    /// Rewrites the ledger sorted by time then id, and writes balances and positions.
    pub fn finish(&mut self) -> Result<(), StoreError> {
        self.ledger = None;
        let mut sorted: Vec<&Event> = self.events.values().collect();
        sorted.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.id.cmp(&b.id)));
        let mut buf = Vec::new();
        ledger::write_jsonl(&mut buf, sorted).map_err(io_err(&self.dir))?;
        self.write_atomic(StoreWrite::Ledger, "ledger.jsonl", &buf)?;
        self.write_balances()
    }

    fn write_balances(&mut self) -> Result<(), StoreError> {
        let b: BTreeMap<&String, BTreeMap<&String, String>> = self
            .balances
            .iter()
            .map(|(a, m)| (a, m.iter().map(|(k, v)| (k, v.normalize().to_string())).collect()))
            .collect();
        let b = serde_json::to_vec_pretty(&b).expect("serializable");
        self.write_atomic(StoreWrite::Snapshot, "balances.json", &b)?;
        let p: Vec<&Position> = self.positions.values().flatten().collect();
        let p = serde_json::to_vec_pretty(&p).expect("serializable");
        self.write_atomic(StoreWrite::Snapshot, "positions.json", &p)
    }

    /// Appends the events not yet known to `ledger.jsonl`: the first half of a checkpoint. Until
    /// [`DirStore::save_state`] follows, a crash leaves these events in the ledger and the old state, which the
    /// resumed sync reads again (the ledger is de-duplicated by id), so nothing is lost and nothing doubles.
    pub fn append_events(&mut self, new: &[Event]) -> Result<(), StoreError> {
        let path = self.dir.join("ledger.jsonl");
        if self.ledger.is_none() {
            let f = std::fs::OpenOptions::new().create(true).append(true).open(&path).map_err(io_err(&path))?;
            self.ledger = Some(f);
        }
        let fresh: Vec<Event> = new.iter().filter(|e| !self.events.contains_key(&e.id)).cloned().collect();
        if self.crashed {
            return Err(StoreError::Crashed);
        } else if fresh.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::new();
        ledger::write_jsonl(&mut buf, &fresh).map_err(io_err(&path))?;
        let cut = self.begin_write(StoreWrite::Chunk, buf.len())?;
        let f = self.ledger.as_mut().expect("opened above");
        if let Some(cut) = cut {
            f.write_all(&buf[..cut]).map_err(io_err(&path))?;
            return Err(StoreError::Crashed);
        }
        f.write_all(&buf).map_err(io_err(&path))?;
        for e in fresh {
            self.events.insert(e.id.clone(), e);
        }
        Ok(())
    }

    /// Replaces `sync-state.json` atomically: the second half of a checkpoint, always after the events it covers.
    pub fn save_state(&mut self, state: &SyncState) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(state).expect("serializable");
        self.write_atomic(StoreWrite::State, "sync-state.json", &bytes)
    }
}

impl Sink for DirStore {
    fn checkpoint(&mut self, state: &SyncState, events: &[Event]) -> Result<(), SinkError> {
        self.append_events(events).map_err(SinkError::new)?;
        self.save_state(state).map_err(SinkError::new)
    }

    fn snapshot(&mut self, account: &str, balances: &Balances, positions: &[Position]) -> Result<(), SinkError> {
        // replace this key's accounts (`venue/label/…`) with the fresh reading
        let prefix = format!("{account}/");
        self.balances.retain(|a, _| !a.starts_with(&prefix));
        self.balances.extend(balances.iter().map(|(a, m)| (a.clone(), m.clone())));
        self.positions.insert(account.to_string(), positions.to_vec());
        // persisted at once: a later interruption must not lose a reading the resumed sync will not repeat
        self.write_balances().map_err(SinkError::new)
    }

    fn wallet_ledger(&self, wallet: &str, at: i64) -> Option<BTreeMap<String, Decimal>> {
        let wallets = BTreeMap::from([(wallet.to_string(), at)]);
        let mut held = BTreeMap::new();
        // the account's events (another wallet's, a transfer, may move this one)
        let account: Vec<&str> = wallet.splitn(3, '/').take(2).collect();
        let prefix = format!("{}/", account.join("/"));
        for e in self.events.values().filter(|e| e.account.as_str().starts_with(&prefix)) {
            crate::delisted::add_effects(e, &wallets, &mut held);
        }
        Some(held.remove(wallet).unwrap_or_default())
    }
}

/// The relay's egress IPs (`GET {relay}/v1/ips` -> `{"ips": [...]}`), to show next to an IP-restriction warning.
pub async fn relay_ips(relay: &str, timeout: Duration) -> Result<Vec<String>, TransportError> {
    let client: HyperClient<HttpConnector, Full<Bytes>> = HyperClient::builder(TokioExecutor::new()).build_http();
    let url = format!("{}/v1/ips", relay.trim_end_matches('/'));
    let uri: hyper::Uri = url.parse().map_err(|e| TransportError(format!("bad relay URL {url}: {e}")))?;
    let fetch = async {
        let resp = client.get(uri).await.map_err(|e| TransportError(format!("{url}: {e}")))?;
        let body = resp.into_body().collect().await.map_err(|e| TransportError(format!("{url}: {e}")))?.to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| TransportError(format!("{url}: {e}")))?;
        Ok(v.get("ips")
            .and_then(|a| a.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
            .unwrap_or_default())
    };
    tokio::time::timeout(timeout, fetch).await.map_err(|_| TransportError(format!("{url}: timed out")))?
}
