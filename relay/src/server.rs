//! The HTTP/1 accept loop: a cap on concurrent connections, per client IP too, a header read timeout and a cap on
//! the request head. Each connection is served by [`crate::conn`]: forwarded reads on the hand-written hot path,
//! everything else by hyper.
//!
//! Requests hyper's parser refuses before the relay sees them (a malformed request line or header line, bytes
//! outside the URI grammar, bad framing headers, heads over the size cap) get hyper's automatic 400/414/431. The
//! connection's IO wrapper recognises that automatic response as it is written (a status line followed only by
//! `connection: close`, `content-length: 0` and `date`, a shape no relay response has) and writes the relay's JSON
//! refusal with the same status instead. Only an HTTP/2 preface gets no body: the peer speaks HTTP/2 and could not
//! read an HTTP/1.1 response; the connection is closed and the refusal counted.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, AtomicU64};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::Relay;
use crate::errors::Shape;
use crate::policy::Refusal;

/// Open client connections per client address, shared by the worker threads (sharded to keep the locks short and
/// rarely contended; touched once when a connection opens and once when it closes). A client address is grouped as
/// the budget groups it (docs/relay.md, Fairness): an IPv4 address (an IPv4-mapped IPv6 address counts as its IPv4
/// address), or the /64 of an IPv6 address, so that a client cannot open the limit again from every address of its
/// /64.
pub struct PerIp {
    shards: [std::sync::Mutex<HashMap<IpAddr, u32>>; 16],
}

impl Default for PerIp {
    fn default() -> Self {
        PerIp { shards: std::array::from_fn(|_| std::sync::Mutex::default()) }
    }
}

/// The address a connection is counted under: IPv4 as it is (IPv4-mapped IPv6 as IPv4), IPv6 by its /64.
fn group(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        },
        v4 => v4,
    }
}

impl PerIp {
    fn shard(&self, ip: IpAddr) -> &std::sync::Mutex<HashMap<IpAddr, u32>> {
        let b = match ip {
            IpAddr::V4(v) => v.octets()[3] ^ v.octets()[2],
            IpAddr::V6(v) => v.octets()[15] ^ v.octets()[7],
        };
        &self.shards[usize::from(b) % 16]
    }

    /// Counts a connection from `ip` unless `limit` (non-zero) are open already.
    pub fn acquire(self: &Arc<Self>, ip: IpAddr, limit: usize) -> Option<IpSlot> {
        if limit == 0 {
            return Some(IpSlot(None));
        }
        let ip = group(ip);
        let mut map = self.shard(ip).lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(ip).or_insert(0);
        if *n as usize >= limit {
            return None;
        }
        *n += 1;
        Some(IpSlot(Some((self.clone(), ip))))
    }

    /// Connections open now from `ip`'s group (its IPv4 address or IPv6 /64; for tests).
    pub fn open(&self, ip: IpAddr) -> u32 {
        let ip = group(ip);
        self.shard(ip).lock().unwrap_or_else(|p| p.into_inner()).get(&ip).copied().unwrap_or(0)
    }
}

/// A counted connection; uncounted on drop.
pub struct IpSlot(Option<(Arc<PerIp>, IpAddr)>);

impl Drop for IpSlot {
    fn drop(&mut self) {
        if let Some((per_ip, ip)) = self.0.take() {
            let mut map = per_ip.shard(ip).lock().unwrap_or_else(|p| p.into_inner());
            if let Some(n) = map.get_mut(&ip) {
                *n -= 1;
                if *n == 0 {
                    map.remove(&ip);
                }
            }
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then waits (at most the header read timeout) for open
/// connections to finish.
pub async fn serve(listener: TcpListener, relay: Arc<Relay>, router: Router, shutdown: impl Future<Output = ()>) {
    serve_worker(listener, relay, router, shutdown, None).await;
}

/// Most connections the metrics listener serves at once; more are closed at once.
const METRICS_CONNECTIONS: usize = 16;

/// Serves [`crate::web::metrics_app`] on its own listener (`metrics_listen`) until `shutdown` resolves: one request
/// per connection, each connection closed after `header_read_timeout_ms` whatever it is doing (a scrape takes
/// milliseconds), and at most a few at once, so that it costs the relay nothing even if it is reachable.
pub async fn serve_metrics(listener: TcpListener, relay: Arc<Relay>, shutdown: impl Future<Output = ()>) {
    let router = crate::web::metrics_app(relay.clone());
    let permits = Arc::new(tokio::sync::Semaphore::new(METRICS_CONNECTIONS));
    let timeout = Duration::from_millis(relay.config.limits.header_read_timeout_ms.max(1));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            a = listener.accept() => match a {
                Ok((stream, _)) => stream,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            () = &mut shutdown => return,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else { continue };
        let router = router.clone();
        tokio::spawn(async move {
            use tower::ServiceExt;
            let svc = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                router.clone().oneshot(req)
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .keep_alive(false)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), svc);
            let _ = tokio::time::timeout(timeout, conn).await;
            drop(permit);
        });
    }
}

/// A connection handed from the worker that accepted it to a less busy one.
struct Handoff {
    stream: std::net::TcpStream,
    peer: SocketAddr,
    ip_slot: IpSlot,
}

/// Spreads connections over the worker threads that accept from one shared socket: the worker that accepts a
/// connection while it serves two or more connections more than another worker hands it to that worker. (Accepting
/// from a shared socket alone lets whichever worker wakes first take a whole burst of connections; SO_REUSEPORT
/// spreads them by a hash of the address, unevenly. Either way one worker can end up with most of the load while
/// the other idles.)
pub struct Balancer {
    open: Vec<std::sync::atomic::AtomicUsize>,
    senders: Vec<tokio::sync::mpsc::UnboundedSender<Handoff>>,
    receivers: std::sync::Mutex<Vec<Option<tokio::sync::mpsc::UnboundedReceiver<Handoff>>>>,
}

impl Balancer {
    /// A balancer for `workers` worker threads.
    pub fn new(workers: usize) -> Arc<Balancer> {
        let (senders, receivers) =
            (0..workers).map(|_| tokio::sync::mpsc::unbounded_channel()).unzip::<_, _, Vec<_>, Vec<_>>();
        Arc::new(Balancer {
            open: (0..workers).map(|_| std::sync::atomic::AtomicUsize::new(0)).collect(),
            senders,
            receivers: std::sync::Mutex::new(receivers.into_iter().map(Some).collect()),
        })
    }
}

/// Worker `index` of a [`Balancer`].
pub struct Worker {
    /// The shared balancer.
    pub balancer: Arc<Balancer>,
    /// This worker's index.
    pub index: usize,
}

/// [`serve`] for one of several worker threads sharing a listening socket and balancing connections.
pub async fn serve_worker(
    listener: TcpListener,
    relay: Arc<Relay>,
    router: Router,
    shutdown: impl Future<Output = ()>,
    worker: Option<Worker>,
) {
    let limits = relay.config.limits.clone();
    let max = limits.max_connections.clamp(1, u32::MAX as usize >> 4);
    let permits = Arc::new(tokio::sync::Semaphore::new(max));
    let inbox = worker.as_ref().and_then(|w| {
        w.balancer.receivers.lock().unwrap_or_else(|p| p.into_inner()).get_mut(w.index).and_then(Option::take)
    });
    accept_loop(&listener, &relay, &router, &permits, shutdown, worker.as_ref(), inbox).await;
    drop(listener);
    let grace = Duration::from_millis(limits.header_read_timeout_ms.max(1000));
    let _ = tokio::time::timeout(grace, permits.acquire_many(max as u32)).await;
}

async fn accept_loop(
    listener: &TcpListener,
    relay: &Arc<Relay>,
    router: &Router,
    permits: &Arc<tokio::sync::Semaphore>,
    shutdown: impl Future<Output = ()>,
    worker: Option<&Worker>,
    mut inbox: Option<tokio::sync::mpsc::UnboundedReceiver<Handoff>>,
) {
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
            () = &mut shutdown => return,
        };
        let (stream, peer, ip_slot, permit) = tokio::select! {
            a = listener.accept() => match a {
                Ok((stream, peer)) => match admit_connection(stream, peer, relay, worker, permit) {
                    Some(Admitted { stream, peer, ip_slot, permit }) => (stream, peer, ip_slot, permit),
                    None => continue,
                },
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            Some(h) = async { match inbox.as_mut() { Some(rx) => rx.recv().await, None => std::future::pending().await } } => {
                match tokio::net::TcpStream::from_std(h.stream) {
                    Ok(stream) => (stream, h.peer, h.ip_slot, permit),
                    Err(_) => {
                        if let Some(w) = worker {
                            w.balancer.open[w.index].fetch_sub(1, Ordering::Relaxed);
                        }
                        continue;
                    }
                }
            }
            () = &mut shutdown => return,
        };
        let balance_slot = worker.map(|w| (w.balancer.clone(), w.index));
        tokio::spawn(serve_connection(stream, peer, ip_slot, permit, relay.clone(), router.clone(), balance_slot));
    }
}

/// A connection this worker serves, with the slots it holds until it closes.
struct Admitted {
    stream: TcpStream,
    peer: SocketAddr,
    ip_slot: IpSlot,
    permit: tokio::sync::OwnedSemaphorePermit,
}

/// A connection just accepted: counted under its address (unless it comes from a trusted proxy, whose client is
/// counted once its PROXY header is read), refused if that address has too many, else served here or handed to a
/// less busy worker (`None` for both of those).
fn admit_connection(
    stream: TcpStream,
    peer: SocketAddr,
    relay: &Arc<Relay>,
    worker: Option<&Worker>,
    permit: tokio::sync::OwnedSemaphorePermit,
) -> Option<Admitted> {
    let limit = if crate::proxy::is_trusted(&relay.config.trusted_proxies, peer.ip()) {
        0
    } else {
        relay.config.limits.max_connections_per_ip
    };
    let Some(ip_slot) = relay.connections_per_ip.acquire(peer.ip(), limit) else {
        // Over the per-IP limit: answered and closed by a short task that holds no slot.
        let relay = relay.clone();
        tokio::spawn(async move {
            let mut stream = stream;
            refuse_connection(&mut stream, &relay, Refusal::TooManyConnections).await;
            drop(permit);
        });
        return None;
    };
    let (stream, peer, ip_slot) = hand_off(worker, stream, peer, ip_slot)?;
    Some(Admitted { stream, peer, ip_slot, permit })
}

/// Serves one connection to its end, under the idle watchdog, then gives back its slots: the per-IP one, the
/// worker's count and the connection permit.
async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    ip_slot: IpSlot,
    permit: tokio::sync::OwnedSemaphorePermit,
    relay: Arc<Relay>,
    router: Router,
    balance_slot: Option<(Arc<Balancer>, usize)>,
) {
    let _ = stream.set_nodelay(true);
    let header_timeout = Duration::from_millis(relay.config.limits.header_read_timeout_ms);
    // A TLS handshake ends within the header read timeout from the accept (before the watchdog's first look).
    let handshake_by = tokio::time::Instant::now() + header_timeout;
    relay.metrics.accepted_connections.fetch_add(1, Ordering::Relaxed);
    relay.metrics.open_connections.fetch_add(1, Ordering::Relaxed);
    let activity = Arc::new(Activity::default());
    let conn = serve_client(stream, peer, &relay, router, &activity, handshake_by);
    watch_idle(conn, &activity, header_timeout).await;
    relay.metrics.open_connections.fetch_sub(1, Ordering::Relaxed);
    if let Some((b, i)) = balance_slot {
        b.open[i].fetch_sub(1, Ordering::Relaxed);
    }
    drop(ip_slot);
    drop(permit);
}

/// The connection's client side: its PROXY header first if it comes from a trusted proxy (the client is then the
/// one the header names, counted under its own address; the header comes in plain text, before any TLS), then
/// TLS if the relay serves it, then HTTP.
async fn serve_client(
    stream: TcpStream,
    peer: SocketAddr,
    relay: &Arc<Relay>,
    router: Router,
    activity: &Arc<Activity>,
    handshake_by: tokio::time::Instant,
) {
    let (mut stream, mut client, mut initial, mut slot) = (stream, peer, Vec::new(), None);
    if crate::proxy::is_trusted(&relay.config.trusted_proxies, peer.ip()) {
        let Some((named, rest)) = read_proxy_header(&mut stream, peer, relay).await else { return };
        let limit = relay.config.limits.max_connections_per_ip;
        let Some(s) = relay.connections_per_ip.acquire(named.ip(), limit) else {
            return refuse_connection(&mut stream, relay, Refusal::TooManyConnections).await;
        };
        (client, initial, slot) = (named, rest, Some(s));
    }
    match relay.tls.clone() {
        None => crate::conn::serve(stream, client, initial, relay.clone(), router, activity.clone()).await,
        Some(tls) => serve_tls(stream, client, initial, relay, router, activity, &tls, handshake_by).await,
    }
    drop(slot);
}

/// Runs `conn` until it ends or the watchdog closes it: over one whole period of `period` it started no request,
/// has none in flight and received none of its response (idle keep-alive connections and clients trickling a
/// request head, slowloris). One timer per connection and period, not per request.
async fn watch_idle(conn: impl Future<Output = ()>, activity: &Activity, period: Duration) {
    let mut conn = std::pin::pin!(conn);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    let mut last = activity.progress();
    loop {
        tokio::select! {
            // The connection first: one that ends as the watchdog fires says why itself (a TLS handshake past its
            // deadline is logged and counted).
            biased;
            () = &mut conn => return,
            _ = tick.tick() => {
                let now = activity.progress();
                if now == last && activity.in_flight.load(Ordering::Relaxed) == 0 {
                    return;
                }
                last = now;
            }
        }
    }
}

/// Counts a new connection for the least busy worker: this one (returned, to serve here), or another one if this
/// one serves two or more connections more (sent there; `None`).
fn hand_off(
    worker: Option<&Worker>,
    stream: TcpStream,
    peer: SocketAddr,
    ip_slot: IpSlot,
) -> Option<(TcpStream, SocketAddr, IpSlot)> {
    let Some(w) = worker else { return Some((stream, peer, ip_slot)) };
    let b = &w.balancer;
    let mine = b.open[w.index].load(Ordering::Relaxed);
    let least = (0..b.open.len()).min_by_key(|&i| b.open[i].load(Ordering::Relaxed)).unwrap_or(w.index);
    if least != w.index && b.open[least].load(Ordering::Relaxed) + 2 <= mine {
        if let Ok(std_stream) = stream.into_std() {
            b.open[least].fetch_add(1, Ordering::Relaxed);
            match b.senders[least].send(Handoff { stream: std_stream, peer, ip_slot }) {
                Ok(()) => return None,
                Err(e) => {
                    // That worker has stopped: serve it here after all.
                    b.open[least].fetch_sub(1, Ordering::Relaxed);
                    let h = e.0;
                    let kept = tokio::net::TcpStream::from_std(h.stream).ok().map(|s| (s, h.peer, h.ip_slot));
                    if kept.is_some() {
                        b.open[w.index].fetch_add(1, Ordering::Relaxed);
                    }
                    return kept;
                }
            }
        }
        return None;
    }
    b.open[w.index].fetch_add(1, Ordering::Relaxed);
    Some((stream, peer, ip_slot))
}

/// The relay's JSON refusal in `shape` as raw HTTP/1.1 bytes, closing the connection (`extra`: more header lines).
fn raw_refusal(r: Refusal, shape: Shape, extra: &str) -> Vec<u8> {
    let body = crate::errors::error_body(shape, r.status(), r.code(), r.message(), None);
    let reason = http::StatusCode::from_u16(r.status()).ok().and_then(|s| s.canonical_reason()).unwrap_or("Error");
    format!(
        "HTTP/1.1 {} {reason}\r\ncontent-type: application/json\r\ncache-control: no-store\r\n\
         x-content-type-options: nosniff\r\ncontent-security-policy: {}\r\nreferrer-policy: no-referrer\r\n\
         connection: close\r\n{extra}content-length: {}\r\n\r\n{body}",
        r.status(),
        crate::web::API_CSP,
        body.len()
    )
    .into_bytes()
}

/// Reads a trusted proxy's PROXY header, if the connection starts with one: the client (the header's source, or
/// the proxy itself for `LOCAL`/`UNKNOWN` or no header) and the bytes read after the header. `None` when the
/// connection closed first, or the header could not be read (then refused with `bad_proxy_header`). Bounded by the
/// connection's watchdog (reading makes no progress) and by the header's size.
async fn read_proxy_header(stream: &mut TcpStream, peer: SocketAddr, relay: &Relay) -> Option<(SocketAddr, Vec<u8>)> {
    use crate::proxy::Start;
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::with_capacity(1024);
    loop {
        match crate::proxy::parse(&buf) {
            Ok(Start::NotProxy) => return Some((peer, buf)),
            Ok(Start::Header { len, source }) => {
                let rest = buf.split_off(len);
                return Some((source.unwrap_or(peer), rest));
            }
            Ok(Start::Partial) => {
                let mut chunk = [0u8; 1024];
                match stream.read(&mut chunk).await {
                    Ok(0) | Err(_) if buf.is_empty() => return None,
                    // The start of a header, then the end: what was read goes to the parser, which refuses it.
                    Ok(0) | Err(_) => return Some((peer, buf)),
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
            }
            Err(_) => {
                refuse_connection(stream, relay, Refusal::BadProxyHeader).await;
                return None;
            }
        }
    }
}

/// The first byte of a TLS connection: a handshake record (the ClientHello).
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// Serves a connection of the HTTPS listener ([`crate::tls`]): `initial` holds the bytes read after any PROXY
/// header. The TLS handshake must end by `deadline` (the header read timeout from the accept): a client that opens
/// the connection and sends no ClientHello, or stalls in the handshake, is closed then. A connection that starts
/// with plain HTTP, or with a PROXY header from an address not trusted, gets the relay's JSON refusal in plain text
/// and is closed.
#[allow(clippy::too_many_arguments)]
async fn serve_tls(
    mut stream: TcpStream,
    client: SocketAddr,
    mut initial: Vec<u8>,
    relay: &Arc<Relay>,
    router: Router,
    activity: &Arc<Activity>,
    tls: &crate::tls::Tls,
    deadline: tokio::time::Instant,
) {
    use tokio::io::AsyncReadExt;
    let timed_out = |relay: &Relay| {
        relay.metrics.refusal("tls_handshake_timeout");
        tracing::info!(reason = "tls_handshake_timeout", "closed a client connection");
    };
    if initial.is_empty() {
        let mut chunk = [0u8; 1024];
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => initial.extend_from_slice(&chunk[..n]),
            Ok(_) => return,
            Err(_) => return timed_out(relay),
        }
    }
    if initial.first() != Some(&TLS_HANDSHAKE_RECORD) {
        let r = match crate::proxy::parse(&initial) {
            Ok(crate::proxy::Start::NotProxy) => Refusal::TlsRequired,
            _ => Refusal::ProxyHeaderNotTrusted,
        };
        return refuse_connection(&mut stream, relay, r).await;
    }
    let acceptor = tokio_rustls::TlsAcceptor::from(tls.current());
    let stream =
        match tokio::time::timeout_at(deadline, acceptor.accept(crate::conn::Rewind::new(initial, stream))).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => {
                relay.metrics.refusal("tls_handshake_failed");
                tracing::info!(reason = "tls_handshake_failed", error = %e, "closed a client connection");
                return;
            }
            Err(_) => return timed_out(relay),
        };
    crate::conn::serve(stream, client, Vec::new(), relay.clone(), router, activity.clone()).await;
}

/// Answers a connection with a refusal at once and closes it: over the per-IP limit (429 `too_many_connections`,
/// without waiting for the request head, so the refusal costs no header-read timeout), or a PROXY header that
/// cannot be read; then a short lingering close so that the client reads the answer rather than a reset.
async fn refuse_connection(stream: &mut TcpStream, relay: &Relay, r: Refusal) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    relay.metrics.refusal(r.code());
    tracing::warn!(reason = r.code(), "refused connection");
    if r == Refusal::TooManyConnections && relay.tls.is_some() {
        // A TLS client could not read a plain-text answer, and a handshake is what the limit saves: closed.
        return;
    }
    // Answered before a request is read: no route, so the relay's own shape.
    let extra = if r == Refusal::TooManyConnections { "retry-after: 1\r\n" } else { "" };
    let answer = raw_refusal(r, Shape::Relay, extra);
    let _ = tokio::time::timeout(Duration::from_millis(500), async {
        stream.write_all(&answer).await?;
        stream.shutdown().await?;
        // Discard what the client sends (its request) until it closes: at most 64 KiB, within half a second.
        let mut buf = [0u8; 4096];
        let mut left: usize = 64 * 1024;
        while left > 0 {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            left = left.saturating_sub(n);
        }
        Ok::<_, std::io::Error>(())
    })
    .await;
}

/// If `head` is hyper's automatic answer to a request its parser refused (`HTTP/1.1 400|414|431`, then only
/// `connection: close`, `content-length: 0` and `date` header lines), the relay's JSON refusal to send instead, in
/// `shape` (that of the refused request's route); `proxy_header`: the connection began with a PROXY header that no
/// trusted proxy sent.
fn parse_refusal(head: &[u8], shape: Shape, proxy_header: bool) -> Option<(Refusal, Vec<u8>)> {
    let text = std::str::from_utf8(head.strip_suffix(b"\r\n\r\n")?).ok()?;
    let mut lines = text.split("\r\n");
    let status = lines.next()?.strip_prefix("HTTP/1.1 ")?.get(..3)?;
    let r = match status {
        // A PROXY header where none is believed: the parser could not read it as a request.
        "400" if proxy_header => Refusal::ProxyHeaderNotTrusted,
        "400" => Refusal::MalformedRequest,
        "414" => Refusal::TargetTooLong,
        "431" => Refusal::HeadersTooLarge,
        _ => return None,
    };
    let mut date = None;
    let mut empty = false;
    for line in lines {
        let (name, value) = line.split_once(": ")?;
        match name {
            "content-length" if value == "0" => empty = true,
            "connection" if value == "close" => {}
            "date" => date = Some(value),
            _ => return None,
        }
    }
    if !empty {
        return None;
    }
    let date = date.map(|d| format!("date: {d}\r\n")).unwrap_or_default();
    Some((r, raw_refusal(r, shape, &date)))
}

/// The deadline of every write to a client: a write that takes no byte for `client_write_timeout_ms` fails with
/// `TimedOut`, and the connection is closed (as nginx's `send_timeout`: the time between two successive writes that
/// make progress, not the time for the whole response). The timer is made at the first write that has to wait and
/// reused; a write the socket takes at once costs no timer.
pub(crate) struct WriteDeadline {
    timeout: Duration,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    /// The timer runs for the write now waiting.
    armed: bool,
    relay: Arc<Relay>,
}

impl WriteDeadline {
    pub(crate) fn new(relay: Arc<Relay>) -> WriteDeadline {
        let timeout = Duration::from_millis(relay.config.limits.client_write_timeout_ms.max(1));
        WriteDeadline { timeout, timer: None, armed: false, relay }
    }

    /// Passes on the result of a write to the client, turning a wait past the deadline into `TimedOut` (counted in
    /// `relay_client_write_timeouts_total` and logged, once).
    pub(crate) fn guard(
        &mut self,
        cx: &mut Context<'_>,
        r: Poll<std::io::Result<usize>>,
    ) -> Poll<std::io::Result<usize>> {
        match r {
            Poll::Pending => {
                if !self.armed {
                    let at = tokio::time::Instant::now() + self.timeout;
                    match &mut self.timer {
                        Some(t) => t.as_mut().reset(at),
                        None => self.timer = Some(Box::pin(tokio::time::sleep_until(at))),
                    }
                    self.armed = true;
                }
                match self.timer.as_mut().map(|t| t.as_mut().poll(cx)) {
                    Some(Poll::Ready(())) => {
                        self.armed = false;
                        self.relay.metrics.client_write_timeouts.fetch_add(1, Ordering::Relaxed);
                        tracing::info!(reason = "client_write_timeout", "closed a client connection");
                        Poll::Ready(Err(std::io::ErrorKind::TimedOut.into()))
                    }
                    _ => Poll::Pending,
                }
            }
            Poll::Ready(r) => {
                self.armed = false;
                Poll::Ready(r)
            }
        }
    }
}

/// What a connection has done, for the idle watchdog.
#[derive(Default)]
pub(crate) struct Activity {
    started: AtomicU64,
    pub(crate) written: AtomicU64,
    in_flight: AtomicI64,
}

impl Activity {
    fn progress(&self) -> (u64, u64) {
        (self.started.load(Ordering::Relaxed), self.written.load(Ordering::Relaxed))
    }
}

/// A request being handled; counted until its handler finishes or is dropped.
pub(crate) struct InFlight(Arc<Activity>);

impl InFlight {
    pub(crate) fn new(a: Arc<Activity>) -> InFlight {
        a.started.fetch_add(1, Ordering::Relaxed);
        a.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(a)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The client socket, counting the bytes written to it, and putting the relay's JSON body on hyper's own parser
/// refusals.
pub(crate) struct CountingIo<T> {
    inner: T,
    activity: Arc<Activity>,
    relay: Arc<Relay>,
    deadline: WriteDeadline,
    /// The relay's refusal being written in place of hyper's: bytes, how many are written, and how many bytes of
    /// hyper's to report written once it is out.
    answer: Option<(Vec<u8>, usize, usize)>,
    /// The routes of the requests read, for the shape of a parser refusal.
    routes: Routes,
}

/// Follows the request heads hyper reads, by their request lines and blank lines, to know the route of the request
/// its parser refuses, so that the refusal has that route's error shape. Hyper serves requests in order and
/// refuses the first it cannot parse: the refused one is the first not yet served (hyper's service counts them in
/// [`Activity`]'s `started`). A request with a body on a connection kept alive (never an API request: those are
/// refused and closed) would put this off by its body; then a refusal may have the relay's own shape instead.
/// Memory: one byte per request line read and not yet served.
struct Routes {
    /// `Activity::started` when hyper took the connection: requests served since are hyper's.
    base: u64,
    /// The shapes of the request lines read and not yet known to be served, oldest first, with how many of the
    /// connection's requests were dropped from the front.
    shapes: std::collections::VecDeque<Shape>,
    dropped: u64,
    state: Scan,
    /// The start of the current request target (enough for `/v1/binance/`).
    target: [u8; 16],
    target_len: usize,
    /// The connection's first bytes, when hyper has it from its start (enough for a PROXY header's signature);
    /// `first_len` is `usize::MAX` when it does not.
    first: [u8; 12],
    first_len: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scan {
    /// Before a request line (blank lines are skipped, as the parser does).
    Start,
    /// In the method.
    Method,
    /// In the request target.
    Target,
    /// In the rest of the head; `true` just after a line feed.
    Head(bool),
}

/// More request lines than this read ahead of the service are not tracked (their refusal has the relay's shape).
const MAX_TRACKED_REQUESTS: usize = 4096;

impl Routes {
    fn new(base: u64) -> Routes {
        Routes {
            base,
            shapes: Default::default(),
            dropped: 0,
            state: Scan::Start,
            target: [0; 16],
            target_len: 0,
            first: [0; 12],
            // Only a connection that hyper reads from its first byte (the hot path served nothing) has them.
            first_len: if base == 0 { 0 } else { usize::MAX },
        }
    }

    /// Whether the refused request is the connection's first and the connection began like a PROXY header (from
    /// an address that is not a trusted proxy: a trusted proxy's header was read before).
    fn refused_proxy_header(&self, started: u64) -> bool {
        started == 0 && self.first_len != usize::MAX && crate::proxy::looks_like_proxy(&self.first[..self.first_len])
    }

    fn end_target(&mut self) {
        // The prefix kept decides as the whole target would: `/v1/`, the venue, then the end, `/`, `?` or `#`.
        let shape = Shape::of_target(&self.target[..self.target_len]);
        if self.shapes.len() < MAX_TRACKED_REQUESTS {
            self.shapes.push_back(shape);
        }
        self.state = Scan::Head(false);
    }

    /// Scans bytes as read.
    fn read(&mut self, bytes: &[u8]) {
        if self.first_len < self.first.len() {
            let n = (self.first.len() - self.first_len).min(bytes.len());
            self.first[self.first_len..self.first_len + n].copy_from_slice(&bytes[..n]);
            self.first_len += n;
        }
        for &b in bytes {
            match self.state {
                Scan::Start if b == b'\r' || b == b'\n' => {}
                Scan::Start => self.state = Scan::Method,
                Scan::Method if b == b' ' => {
                    self.state = Scan::Target;
                    self.target_len = 0;
                }
                Scan::Method if b == b'\n' => {
                    self.target_len = 0;
                    self.end_target();
                    self.state = Scan::Head(true);
                }
                Scan::Method => {}
                Scan::Target if matches!(b, b' ' | b'\t' | b'\r' | b'\n') => {
                    self.end_target();
                    if b == b'\n' {
                        self.state = Scan::Head(true);
                    }
                }
                Scan::Target => {
                    if self.target_len < self.target.len() {
                        self.target[self.target_len] = b;
                        self.target_len += 1;
                    }
                }
                Scan::Head(true) if b == b'\n' => self.state = Scan::Start,
                Scan::Head(after_lf) if b == b'\r' => self.state = Scan::Head(after_lf),
                Scan::Head(_) => self.state = Scan::Head(b == b'\n'),
            }
        }
    }

    /// The shape of the first request not served yet (`started`: `Activity::started` now).
    fn refused(&mut self, started: u64) -> Shape {
        let served = started.saturating_sub(self.base);
        while self.dropped < served && self.shapes.pop_front().is_some() {
            self.dropped += 1;
        }
        if self.dropped < served {
            return Shape::Relay;
        }
        match self.shapes.front() {
            Some(s) => *s,
            // The parser refused a byte of a target it had not read to its end.
            None if self.state == Scan::Target => Shape::of_target_start(&self.target[..self.target_len]),
            None => Shape::Relay,
        }
    }
}

impl<T> CountingIo<T> {
    /// Wraps a connection's socket.
    pub(crate) fn new(inner: T, activity: Arc<Activity>, relay: Arc<Relay>) -> CountingIo<T> {
        let routes = Routes::new(activity.started.load(Ordering::Relaxed));
        CountingIo { inner, activity, deadline: WriteDeadline::new(relay.clone()), relay, answer: None, routes }
    }
}

impl<T: AsyncWrite + Unpin> CountingIo<T> {
    /// Replaces hyper's automatic parse-error response (`first`: the first buffer of a write of `total` bytes).
    fn intercept(&mut self, first: &[u8], total: usize) {
        // Cheap test first: only a bodiless 4xx head written as one buffer can be hyper's automatic answer.
        if self.answer.is_some() || first.len() != total || total > 256 || !first.starts_with(b"HTTP/1.1 4") {
            return;
        }
        let started = self.activity.started.load(Ordering::Relaxed);
        let proxy = self.routes.refused_proxy_header(started);
        let shape = self.routes.refused(started);
        if let Some((r, bytes)) = parse_refusal(first, shape, proxy) {
            self.relay.metrics.refusal(r.code());
            tracing::info!(reason = r.code(), status = r.status(), "refused");
            self.answer = Some((bytes, 0, total));
        }
    }

    /// Writes the pending replacement; `Ready(Some(n))` once it is out (`n`: hyper's byte count).
    fn poll_answer(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<Option<usize>>> {
        let Some((bytes, written, total)) = &mut self.answer else { return Poll::Ready(Ok(None)) };
        while *written < bytes.len() {
            let r = Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]);
            match self.deadline.guard(cx, r) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    *written += n;
                    self.activity.written.fetch_add(n as u64, Ordering::Relaxed);
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        let total = *total;
        self.answer = None;
        Poll::Ready(Ok(Some(total)))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for CountingIo<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if r.is_ready() {
            let this = &mut *self;
            this.routes.read(&buf.filled()[before..]);
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for CountingIo<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.intercept(buf, buf.len());
        if let Some(n) = std::task::ready!(self.poll_answer(cx))? {
            return Poll::Ready(Ok(n));
        }
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        let r = self.deadline.guard(cx, r);
        if let Poll::Ready(Ok(n)) = r {
            self.activity.written.fetch_add(n as u64, Ordering::Relaxed);
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        if let Some(first) = bufs.iter().find(|b| !b.is_empty()) {
            self.intercept(first, bufs.iter().map(|b| b.len()).sum());
        }
        if let Some(n) = std::task::ready!(self.poll_answer(cx))? {
            return Poll::Ready(Ok(n));
        }
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        let r = self.deadline.guard(cx, r);
        if let Poll::Ready(Ok(n)) = r {
            self.activity.written.fetch_add(n as u64, Ordering::Relaxed);
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
