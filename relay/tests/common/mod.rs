//! Test harness: a small recording upstream speaking raw HTTP/1.1 (so it sees the exact bytes the relay sends and
//! can stall, reset, fail or trickle), the relay started in-process, and a raw-socket client.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use relay::{Config, Relay};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How long a test waits for an event before it fails: only a hang takes this long, never a slow machine. Tests wait
/// on the event itself (a response, a closed connection, a counter reaching a value); this only bounds a hang.
pub const HANG: Duration = Duration::from_secs(120);

/// Waits until `done` holds (checked every 10 ms); false if it still does not after [`HANG`].
pub async fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let start = tokio::time::Instant::now();
    while !done() {
        if start.elapsed() > HANG {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    true
}

/// Weight used per (peer IP, minute), and whether a 429 was already sent in that minute.
type Weights = Arc<Mutex<HashMap<(IpAddr, u64), (u32, bool)>>>;

/// One request as the upstream received it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub target: String,
    /// Header lines exactly as received (name as sent, value).
    pub headers: Vec<(String, String)>,
    pub peer: SocketAddr,
    /// The request head exactly as received, up to and including its blank line.
    pub raw: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// How the upstream answers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    /// 200 with a JSON body, weight headers and headers the relay must strip.
    Ok,
    /// Reads the request and never answers.
    Stall,
    /// Reads the request and resets the connection.
    Reset,
    /// Answers this status with a JSON body and Retry-After: 600 (longer than any test runs).
    Status(u16),
    /// Declares a body of 100,000 bytes, sends 10, then trickles a byte every 200 ms (for hours, unless the relay
    /// closes the connection first).
    SlowBody,
    /// Declares a body of this many bytes (and sends it).
    Big(usize),
    /// Chunked body that never ends (1 KiB chunks, as fast as they are read).
    EndlessChunked,
    /// Simulated Binance per-IP weight limit per minute: 429 past it, 418 if hit again after a 429.
    Weights(u32),
    /// 200 as `Ok`, then closes the connection: at once with `Connection: close` in the response when `true`,
    /// silently 50 ms later (as a venue's idle keep-alive timeout does) when `false`.
    OkThenClose(bool),
    /// 200 with a chunked body in three chunks, a chunk extension and a trailer, and a `Content-Encoding`.
    Chunked,
    /// 200 without a length: the body ends when the venue closes the connection.
    CloseDelimited,
    /// This bodiless status (204, 304) with the weight and type headers.
    NoBody(u16),
    /// An HTTP/1.0 response with a length (the connection then closes).
    Http10,
}

pub struct Upstream {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub mode: Arc<Mutex<Mode>>,
    pub count_429: Arc<AtomicU64>,
    pub count_418: Arc<AtomicU64>,
    pub open: Arc<AtomicU64>,
    pub max_concurrent: Arc<AtomicU64>,
}

impl Upstream {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
    pub fn set(&self, m: Mode) {
        *self.mode.lock().unwrap() = m;
    }
}

/// The weight the simulated venue charges (an independent table, from docs/venues.md §1.6–§1.9).
fn sim_weight(path: &str) -> u32 {
    match path {
        "/api/v3/account" | "/api/v3/myTrades" | "/api/v3/exchangeInfo" => 20,
        "/api/v3/klines" | "/api/v3/ticker/price" => 2,
        _ => 1,
    }
}

pub async fn start_upstream(ip: IpAddr) -> Upstream {
    let listener = TcpListener::bind((ip, 0)).await.unwrap();
    let up = Upstream {
        addr: listener.local_addr().unwrap(),
        seen: Arc::default(),
        mode: Arc::new(Mutex::new(Mode::Ok)),
        count_429: Arc::default(),
        count_418: Arc::default(),
        open: Arc::default(),
        max_concurrent: Arc::default(),
    };
    let (seen, mode, c429, c418, open, maxc) = (
        up.seen.clone(),
        up.mode.clone(),
        up.count_429.clone(),
        up.count_418.clone(),
        up.open.clone(),
        up.max_concurrent.clone(),
    );
    // Weight per (peer ip, minute), and whether a 429 was already sent in that minute.
    let weights: Weights = Arc::default();
    tokio::spawn(async move {
        loop {
            let Ok((sock, peer)) = listener.accept().await else { continue };
            let (seen, mode, c429, c418, open, maxc, weights) =
                (seen.clone(), mode.clone(), c429.clone(), c418.clone(), open.clone(), maxc.clone(), weights.clone());
            tokio::spawn(async move {
                let n = open.fetch_add(1, Ordering::SeqCst) + 1;
                maxc.fetch_max(n, Ordering::SeqCst);
                let _ = conn(sock, peer, seen, mode, c429, c418, weights).await;
                open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    up
}

async fn conn(
    mut sock: TcpStream,
    peer: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    mode: Arc<Mutex<Mode>>,
    c429: Arc<AtomicU64>,
    c418: Arc<AtomicU64>,
    weights: Weights,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    loop {
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i;
            }
            let mut chunk = [0u8; 4096];
            let n = sock.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let raw: Vec<u8> = buf.drain(..head_end + 4).collect();
        let mut lines = head.split("\r\n");
        let mut first = lines.next().unwrap_or("").split(' ');
        let method = first.next().unwrap_or("").to_owned();
        let target = first.next().unwrap_or("").to_owned();
        let headers: Vec<(String, String)> =
            lines.filter_map(|l| l.split_once(':')).map(|(n, v)| (n.to_owned(), v.trim().to_owned())).collect();
        let s = Seen { method, target: target.clone(), headers, peer, raw };
        let key = s.header("x-mbx-apikey").map(str::to_owned);
        seen.lock().unwrap().push(s);
        let m = *mode.lock().unwrap();
        let path = target.split('?').next().unwrap_or("").to_owned();
        let body = format!("{{\"path\":\"{path}\"}}");
        // A key restricted to 127.0.0.2, as the venues check it: against the connecting socket's address.
        if key.as_deref() == Some("IPKEY-127-0-0-2") && peer.ip() != IpAddr::from([127, 0, 0, 2]) {
            let b = r#"{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}"#;
            let r = format!(
                "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
                b.len()
            );
            sock.write_all(r.as_bytes()).await?;
            continue;
        }
        match m {
            Mode::Ok => {
                let r = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nX-MBX-USED-WEIGHT-1M: 3\r\n\
                     X-SAPI-USED-IP-WEIGHT-1M: 2\r\nSet-Cookie: session=UPSTREAMCOOKIE\r\nX-Internal-Leak: upstream-only\r\n\
                     Server: sim\r\nAccess-Control-Allow-Origin: *\r\n\r\n{body}",
                    body.len()
                );
                sock.write_all(r.as_bytes()).await?;
            }
            Mode::OkThenClose(announce) => {
                let close = if announce { "Connection: close\r\n" } else { "" };
                let r = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{close}Content-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                sock.write_all(r.as_bytes()).await?;
                if !announce {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                return Ok(());
            }
            Mode::Stall => {
                tokio::time::sleep(Duration::from_secs(60)).await;
                return Ok(());
            }
            #[allow(deprecated)]
            Mode::Reset => {
                sock.set_linger(Some(Duration::ZERO))?;
                return Ok(());
            }
            Mode::Status(code) => {
                let b = r#"{"code":-1003,"msg":"Too much request weight used"}"#;
                let r = format!(
                    "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nRetry-After: 600\r\nContent-Length: {}\r\n\r\n{b}",
                    b.len()
                );
                sock.write_all(r.as_bytes()).await?;
            }
            Mode::SlowBody => {
                sock.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n0123456789",
                )
                .await?;
                for _ in 10..100_000 {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    sock.write_all(b"x").await?;
                }
            }
            Mode::Big(n) => {
                let r = format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {n}\r\n\r\n");
                sock.write_all(r.as_bytes()).await?;
                let chunk = vec![b'a'; 64 * 1024];
                let mut left = n;
                while left > 0 {
                    let k = left.min(chunk.len());
                    sock.write_all(&chunk[..k]).await?;
                    left -= k;
                }
            }
            Mode::Chunked => {
                let (a, b) = body.split_at(body.len() / 2);
                let r = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: identity\r\n\
                     X-MBX-USED-WEIGHT-1M: 4\r\nTransfer-Encoding: chunked\r\n\r\n{:x};ext=1\r\n{a}\r\n{:x}\r\n{b}\r\n\
                     0\r\nX-Trailer: t\r\n\r\n",
                    a.len(),
                    b.len()
                );
                sock.write_all(r.as_bytes()).await?;
            }
            Mode::CloseDelimited => {
                let r = format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{body}");
                sock.write_all(r.as_bytes()).await?;
                return Ok(());
            }
            Mode::NoBody(code) => {
                let r = format!(
                    "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nX-MBX-USED-WEIGHT-1M: 2\r\nRetry-After: 3\r\n\r\n"
                );
                sock.write_all(r.as_bytes()).await?;
            }
            Mode::Http10 => {
                let r = format!(
                    "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                sock.write_all(r.as_bytes()).await?;
                return Ok(());
            }
            Mode::EndlessChunked => {
                sock.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
                )
                .await?;
                let chunk = format!("400\r\n{}\r\n", "b".repeat(1024));
                loop {
                    sock.write_all(chunk.as_bytes()).await?;
                }
            }
            Mode::Weights(limit) => {
                let minute = relay::now_ms() / 60_000;
                let w = sim_weight(&path);
                let (status, used) = {
                    let mut map = weights.lock().unwrap();
                    let e = map.entry((peer.ip(), minute)).or_insert((0, false));
                    e.0 += w;
                    if e.0 > limit {
                        if e.1 {
                            c418.fetch_add(1, Ordering::SeqCst);
                            (418, e.0)
                        } else {
                            e.1 = true;
                            c429.fetch_add(1, Ordering::SeqCst);
                            (429, e.0)
                        }
                    } else {
                        (200, e.0)
                    }
                };
                let extra = if status == 200 { String::new() } else { "Retry-After: 30\r\n".to_owned() };
                let r = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nX-MBX-USED-WEIGHT-1M: {used}\r\n{extra}Content-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                sock.write_all(r.as_bytes()).await?;
            }
        }
    }
}

/// A relay running in-process on 127.0.0.1:0, its metrics listener on another port.
pub struct Running {
    pub addr: SocketAddr,
    /// The metrics listener.
    pub metrics: SocketAddr,
    pub relay: Arc<Relay>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Running {
    /// `GET /metrics` from the metrics listener (with the configured token, if any): the text.
    pub async fn metrics_text(&self) -> String {
        let token = self.relay.config.metrics_token.as_ref().map(|t| format!("Bearer {}", t.expose()));
        let headers: Vec<(&str, &str)> = token.iter().map(|t| ("Authorization", t.as_str())).collect();
        let r = get(self.metrics, "/metrics", &headers).await;
        assert_eq!(r.status, 200, "metrics: {}", String::from_utf8_lossy(&r.raw));
        r.text()
    }
}

/// A configuration with every host pointing at `up`.
pub fn config_for(up: &Upstream) -> Config {
    let mut c = Config::default();
    c.apply_env(|k| match k {
        "RELAY_UPSTREAM_BINANCE_SPOT"
        | "RELAY_UPSTREAM_BINANCE_FUTURES"
        | "RELAY_UPSTREAM_BINANCE_COIN_FUTURES"
        | "RELAY_UPSTREAM_BITGET" => Some(up.url()),
        _ => None,
    })
    .unwrap();
    c
}

pub async fn start_relay(config: Config) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let relay = Relay::new(config).unwrap();
    let router = relay::app(relay.clone());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let metrics_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics = metrics_listener.local_addr().unwrap();
    tokio::spawn(relay::serve(listener, relay.clone(), router, async move {
        let _ = rx.await;
    }));
    // Until the test's runtime ends.
    tokio::spawn(relay::serve_metrics(metrics_listener, relay.clone(), std::future::pending()));
    Running { addr, metrics, relay, _stop: tx }
}

/// A response read off a raw socket.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Everything received.
    pub raw: Vec<u8>,
    /// Whether the server closed the connection (known to [`raw`] only; `false` when its wait passed first).
    pub closed: bool,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends raw bytes, reads until the server closes (or `wait` passes), parses the first response.
pub async fn raw(addr: SocketAddr, bytes: &[u8], wait: Duration) -> Resp {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let closed = tokio::time::timeout(wait, async {
        let mut chunk = [0u8; 8192];
        loop {
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await
    .is_ok();
    Resp { closed, ..parse(out) }
}

/// A TCP connection to `to` from the loopback address `ip` (any of 127.0.0.0/8: a client of its own for the relay's
/// per-IP limits).
pub async fn connect_from(ip: IpAddr, to: SocketAddr) -> TcpStream {
    let s = tokio::net::TcpSocket::new_v4().unwrap();
    s.bind(SocketAddr::new(ip, 0)).unwrap();
    s.connect(to).await.unwrap()
}

/// Reads one Content-Length-framed response off a kept-alive connection (or what came before the close), at most
/// [`HANG`].
pub async fn response(s: &mut TcpStream) -> Resp {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let _ = tokio::time::timeout(HANG, async {
        loop {
            let n = s.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
            let r = parse(out.clone());
            if r.status != 0 && r.header("content-length").and_then(|l| l.parse().ok()) == Some(r.body.len()) {
                break;
            }
        }
    })
    .await;
    parse(out)
}

pub fn parse(raw: Vec<u8>) -> Resp {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Resp { status: 0, headers: vec![], body: vec![], raw, closed: false };
    };
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(n, v)| (n.to_owned(), v.trim().to_owned())).collect();
    let rest = &raw[end + 4..];
    let chunked = headers.iter().any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        let mut body = Vec::new();
        let mut r = rest;
        while let Some(i) = r.windows(2).position(|w| w == b"\r\n") {
            let n = usize::from_str_radix(String::from_utf8_lossy(&r[..i]).trim(), 16).unwrap_or(0);
            if n == 0 || r.len() < i + 2 + n {
                break;
            }
            body.extend_from_slice(&r[i + 2..i + 2 + n]);
            r = &r[(i + 4 + n).min(r.len())..];
        }
        body
    } else {
        let len = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(rest.len());
        rest[..len.min(rest.len())].to_vec()
    };
    Resp { status, headers, body, raw, closed: false }
}

/// A request with `Connection: close`, read until the relay closes the connection (or a [`HANG`]).
pub async fn request(addr: SocketAddr, method: &str, target: &str, headers: &[(&str, &str)]) -> Resp {
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("\r\n");
    raw(addr, req.as_bytes(), HANG).await
}

pub async fn get(addr: SocketAddr, target: &str, headers: &[(&str, &str)]) -> Resp {
    request(addr, "GET", target, headers).await
}

/// A GET with `Connection: close` from the local address `from` (a loopback address: a client of its own).
pub async fn get_from(from: IpAddr, addr: SocketAddr, target: &str, headers: &[(&str, &str)]) -> Resp {
    let mut req = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.bind(SocketAddr::new(from, 0)).unwrap();
    let mut s = sock.connect(addr).await.unwrap();
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let closed = tokio::time::timeout(HANG, s.read_to_end(&mut out)).await.is_ok();
    Resp { closed, ..parse(out) }
}

/// Binance credential headers used by the tests (grepped for in logs).
pub const BINANCE_KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
pub const BINANCE_SIGNATURE: &str = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";
pub const BITGET_KEY: &str = "bg_0d4c1d7f3e9a8b6c5d4e3f2a1b0c9d8e";
pub const BITGET_SIGN: &str = "Jd2Ck7Y+X5tq9yq3Xq8Zq1m0pS0yVb6iV7nW6q2mJ6I=";
pub const BITGET_PASSPHRASE: &str = "Passphrase-Do-Not-Log-42";

/// The `relay` binary run by a test. Its stderr is read as it comes (so the pipe never fills), and its address is
/// the one it announces in its `relay listening` line: it binds the port itself (`--listen 127.0.0.1:0`), and the
/// test connects only once it listens.
pub struct RelayProcess {
    child: std::process::Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Where it serves metrics (`None`: off), as announced.
    pub metrics: Option<SocketAddr>,
    lines: std::sync::mpsc::Receiver<String>,
    /// The stderr lines read so far.
    stderr: Vec<String>,
}

impl RelayProcess {
    /// Starts the binary with `args` and `env` and waits until it listens. `RELAY_LOG` must let `relay=info` through.
    pub fn start(args: &[&str], env: &[(&str, String)]) -> RelayProcess {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_relay"))
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = std::io::BufReader::new(stderr);
            let mut line = Vec::new();
            // Until the end of the pipe, even when nobody listens any more: the relay must never block on stderr.
            while std::io::BufRead::read_until(&mut reader, b'\n', &mut line).is_ok_and(|n| n > 0) {
                let _ = tx.send(String::from_utf8_lossy(line.trim_ascii_end()).into_owned());
                line.clear();
            }
        });
        let mut p =
            RelayProcess { child, addr: SocketAddr::from(([0, 0, 0, 0], 0)), metrics: None, lines, stderr: Vec::new() };
        loop {
            let line = match p.lines.recv_timeout(HANG) {
                Ok(line) => line,
                Err(e) => panic!("the relay did not say it listens ({e}); its stderr:\n{}", p.stderr.join("\n")),
            };
            let field = |name: &str| {
                line.contains("relay listening")
                    .then(|| line.split_whitespace().find_map(|w| w.strip_prefix(name)))
                    .flatten()
                    .map(|a| a.trim_matches('"').to_owned())
            };
            let addr = field("listen=").map(|a| a.parse::<SocketAddr>().unwrap());
            let metrics = field("metrics=").and_then(|a| a.parse::<SocketAddr>().ok());
            p.stderr.push(line);
            if let Some(addr) = addr {
                p.addr = addr;
                p.metrics = metrics;
                return p;
            }
        }
    }

    /// Whether a stderr line read so far contains `text`.
    pub fn stderr_has(&self, text: &str) -> bool {
        self.stderr.iter().any(|l| l.contains(text))
    }

    /// Sends `signal` (a name `kill` knows: `HUP`, `TERM`) to the relay.
    pub fn signal(&self, signal: &str) {
        let pid = self.child.id().to_string();
        assert!(std::process::Command::new("kill").args([&format!("-{signal}"), &pid]).status().unwrap().success());
    }

    /// Waits for the next stderr line that contains `text` (lines before it are kept for [`RelayProcess::stop`]).
    pub fn wait_line(&mut self, text: &str) -> String {
        loop {
            let line = match self.lines.recv_timeout(HANG) {
                Ok(line) => line,
                Err(e) => panic!("the relay never said {text:?} ({e}); its stderr:\n{}", self.stderr.join("\n")),
            };
            self.stderr.push(line.clone());
            if line.contains(text) {
                return line;
            }
        }
    }

    /// Sends SIGTERM and waits for the relay to exit; its exit status and everything it wrote to stderr.
    pub async fn stop(&mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let start = tokio::time::Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(start.elapsed() < HANG, "the relay did not stop on SIGTERM");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        // The reader ends at the end of the pipe, which the exit closed.
        self.stderr.extend(self.lines.iter());
        (status, self.stderr.join("\n"))
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The relay's HTTPS certificate and key from the test-only files in `tests/data/https` (`name`: `a` or `b`).
pub fn https_files(name: &str) -> relay::config::TlsFiles {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/https");
    relay::config::TlsFiles { cert: data.join(format!("{name}.pem")), key: data.join(format!("{name}.key")) }
}

/// A TLS client trusting only the test CA of `tests/data/https`.
pub fn https_client() -> tokio_rustls::TlsConnector {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(include_bytes!("../data/https/ca.pem")).unwrap()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// A TLS connection over `tcp` to a relay with a certificate from the test CA, for `localhost`.
pub async fn https_handshake(tcp: TcpStream) -> tokio_rustls::client::TlsStream<TcpStream> {
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    https_client().connect(name, tcp).await.expect("the TLS handshake")
}

/// [`raw`] over HTTPS: sends the bytes inside a TLS connection, reads until the relay closes it (a close_notify or
/// the end of the TCP stream) or `wait` passes, and parses the first response.
pub async fn raw_https(addr: SocketAddr, bytes: &[u8], wait: Duration) -> Resp {
    let mut s = https_handshake(TcpStream::connect(addr).await.unwrap()).await;
    s.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let closed = tokio::time::timeout(wait, async {
        let mut chunk = [0u8; 8192];
        loop {
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await
    .is_ok();
    Resp { closed, ..parse(out) }
}
