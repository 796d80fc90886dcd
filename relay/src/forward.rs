//! Forwarding: the upstream request built byte for byte from the allowed target, pooled connections bound to the
//! egress IPs, connect and total timeouts, a response size cap, and upstream failures answered 502/504 in JSON.
//!
//! The upstream side is a small hand-written HTTP/1.1 client ([`crate::h1`] parses the venue's heads): a request
//! is one write of bytes built here, the response head is parsed with `httparse`, and the body is passed on piece
//! by piece ([`UpBody`]) as it arrives. No task per connection, no `http::HeaderMap`: per forwarded read this is
//! much of the CPU hyper's client cost. Connections are made by the `hyper-rustls` connector (DNS, egress bind,
//! connect timeout, TLS with the webpki roots) and used as plain TCP or rustls streams alike.
//!
//! The pool is the relay's own, small and per worker thread: for each (egress IP, upstream host) a LIFO stack of
//! idle connections. A connection goes back to the stack only once its response body has been read to the end and
//! the venue did not ask to close it (so it is known to be reusable), and is dropped (closed) after the idle
//! timeout, when the venue closed it, or when the stack is full. Whether an idle connection was closed by the venue
//! (or sent anything unasked) is read from the reactor's readiness, without a system call. A request is retried on
//! another connection only when writing it to a pooled connection failed before a byte was written; a request that
//! may have reached the venue is never sent twice.
//!
//! The result of an exchange is an [`Outcome`]: the relay's own JSON error, or the venue's response head with its
//! body. The hot path in [`crate::conn`] writes it to the client itself; [`forward`] makes an axum `Response` of it
//! for the requests that go through axum.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use catalogue::{Endpoint, Host};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper_rustls::MaybeHttpsStream;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tower::ServiceExt;

use crate::config::Config;
use crate::errors::{Shape, error_body};
use crate::h1::{self, ChunkStep, Chunked, Framing, ReadBuffer, ResponseHead};
use crate::policy::{self, Allowed};
use crate::{Client, Relay, now_ms};

type Connector = hyper_rustls::HttpsConnector<HttpConnector>;
type TlsStream = tokio_rustls::client::TlsStream<TokioIo<TokioIo<TcpStream>>>;

/// How long an unused pooled connection is kept.
const IDLE_TIMEOUT: Duration = Duration::from_secs(50);
/// The read buffer of an upstream connection (most venue responses arrive in one read).
const UPSTREAM_BUFFER: usize = 16 * 1024;

/// The upstream pools could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// TLS setup failed.
    #[error("cannot set up TLS for upstream connections: {0}; this is a bug, please report it")]
    Tls(String),
    /// The listener's certificate or key cannot be used (the message names the file and says what to do).
    #[error("{0}")]
    Certificate(String),
    /// The signed IP list or its key cannot be used (the message names the file and says what to do).
    #[error("signed IP list: {0}")]
    SignedIps(String),
}

/// An upstream connection's stream: plain TCP or TLS, as the connector made it.
enum Io {
    Plain(TcpStream),
    Tls(Box<TlsStream>),
}

impl Io {
    /// The TCP socket underneath.
    fn tcp(&self) -> &TcpStream {
        match self {
            Io::Plain(s) => s,
            Io::Tls(t) => t.get_ref().0.inner().inner(),
        }
    }
}

impl AsyncRead for Io {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Io::Tls(t) => Pin::new(t.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Io {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Io::Tls(t) => Pin::new(t.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_flush(cx),
            Io::Tls(t) => Pin::new(t.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Io::Tls(t) => Pin::new(t.as_mut()).poll_shutdown(cx),
        }
    }
}

/// A connection to a venue with its read buffer.
struct UpConn {
    io: Io,
    buf: ReadBuffer,
}

impl UpConn {
    /// Whether an idle connection can carry a request: nothing buffered, and the reactor has seen nothing to read
    /// on it since its last response (no EOF, no reset, no stray bytes). Judged from readiness, without a system
    /// call; a readiness that is merely stale only costs a new connection.
    fn idle_ok(&self) -> bool {
        let mut cx = Context::from_waker(Waker::noop());
        self.buf.filled().is_empty() && self.io.tcp().poll_read_ready(&mut cx).is_pending()
    }

    /// For TLS, whether the stream holds nothing more to read: rustls may have decrypted bytes past the response
    /// that never reached our buffer (and so would not show in the socket's readiness). One non-blocking read,
    /// only on TLS connections; a plain connection's stray bytes land in our buffer.
    fn tls_quiet(&mut self) -> bool {
        let Io::Tls(t) = &mut self.io else { return true };
        let mut cx = Context::from_waker(Waker::noop());
        let mut byte = [0u8; 1];
        let mut rb = ReadBuf::new(&mut byte);
        Pin::new(t.as_mut()).poll_read(&mut cx, &mut rb).is_pending()
    }

    /// Reads more into the buffer; `Ok(0)` at EOF.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<usize>> {
        let spare = self.buf.spare(h1::MAX_RESPONSE_HEAD);
        if spare.is_empty() {
            return Poll::Ready(Err(std::io::ErrorKind::OutOfMemory.into()));
        }
        let mut rb = ReadBuf::new(spare);
        std::task::ready!(Pin::new(&mut self.io).poll_read(cx, &mut rb))?;
        let n = rb.filled().len();
        self.buf.advance(n);
        Poll::Ready(Ok(n))
    }

    /// Writes the whole request; on failure, whether the venue may have received part of it.
    async fn write_request(&mut self, req: &[u8]) -> Result<(), WriteFailure> {
        let mut written = 0;
        let failure = |written: usize| if written > 0 { WriteFailure::MaybeSent } else { WriteFailure::Unsent };
        while written < req.len() {
            let n = std::future::poll_fn(|cx| Pin::new(&mut self.io).poll_write(cx, &req[written..]))
                .await
                .map_err(|_| failure(written))?;
            if n == 0 {
                return Err(failure(written));
            }
            written += n;
        }
        std::future::poll_fn(|cx| Pin::new(&mut self.io).poll_flush(cx)).await.map_err(|_| WriteFailure::MaybeSent)
    }

    /// Reads the final response head (informational 1xx responses are skipped).
    async fn read_head(&mut self, weight_header: Option<&str>, returned: &mut Vec<u8>) -> Result<ResponseHead, ()> {
        loop {
            match h1::parse_response(self.buf.filled(), weight_header, returned) {
                Err(_) => return Err(()),
                Ok(Some(h)) if h.status == 101 => return Err(()),
                Ok(Some(h)) if h.status < 200 => self.buf.consume(h.len),
                Ok(Some(h)) => {
                    self.buf.consume(h.len);
                    return Ok(h);
                }
                Ok(None) => match std::future::poll_fn(|cx| self.poll_fill(cx)).await {
                    Ok(0) | Err(_) => return Err(()),
                    Ok(_) => {}
                },
            }
        }
    }
}

/// Idle connections to one upstream host from one egress IP.
#[derive(Default)]
struct Pool {
    idle: Mutex<Vec<Idle>>,
}

struct Idle {
    conn: UpConn,
    since: Instant,
}

impl Pool {
    /// The most recently used idle connection that is still open and not past the idle timeout.
    fn checkout(&self) -> Option<UpConn> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(i) = idle.pop() {
            if i.since.elapsed() < IDLE_TIMEOUT && i.conn.idle_ok() {
                return Some(i.conn);
            }
        }
        None
    }

    /// Returns a connection whose last exchange is complete; dropped (closed) when the pool is full.
    fn put(&self, conn: UpConn, max: usize) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < max {
            idle.push(Idle { conn, since: Instant::now() });
        }
    }

    /// Closes connections idle past the timeout or closed by the venue (the oldest are first).
    fn purge(&self) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        idle.retain(|i| i.since.elapsed() < IDLE_TIMEOUT && i.conn.idle_ok());
    }
}

/// The pools of one worker, shared with its idle reaper task.
struct Pools {
    /// Indexed by `egress * Host::ALL.len() + host`.
    pools: Vec<Pool>,
    max_idle: usize,
}

/// Where a host's requests go: the URI the connector dials and the Host header (the authority as configured).
struct Base {
    uri: http::Uri,
    authority: Box<str>,
}

/// The upstream connections of one worker thread: one connector per egress IP (bound to it), one pool per (egress
/// IP, host), and the base URL of each host.
pub struct Upstreams {
    connectors: Vec<Connector>,
    pools: Arc<Pools>,
    reaper: AtomicBool,
    bases: [Option<Base>; Host::ALL.len()],
    max_response_bytes: u64,
    total_timeout: Duration,
}

fn host_index(h: Host) -> usize {
    Host::ALL.iter().position(|x| *x == h).unwrap_or(0)
}

impl Upstreams {
    /// Builds the pools from the configuration.
    pub fn new(config: &Config) -> Result<Upstreams, BuildError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        for cert in &config.extra_upstream_roots {
            roots.add(cert.clone()).map_err(|e| BuildError::Tls(e.to_string()))?;
        }
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| BuildError::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let limits = &config.limits;
        let locals: Vec<Option<std::net::IpAddr>> =
            if config.egress.is_empty() { vec![None] } else { config.egress.iter().copied().map(Some).collect() };
        let connectors: Vec<Connector> = locals
            .into_iter()
            .map(|local| {
                let mut http = HttpConnector::new();
                http.enforce_http(false);
                http.set_local_address(local);
                http.set_connect_timeout(Some(Duration::from_millis(limits.connect_timeout_ms)));
                http.set_nodelay(true);
                hyper_rustls::HttpsConnectorBuilder::new()
                    .with_tls_config(tls.clone())
                    .https_or_http()
                    .enable_http1()
                    .wrap_connector(http)
            })
            .collect();
        let pools = (0..connectors.len() * Host::ALL.len()).map(|_| Pool::default()).collect();
        let bases = Host::ALL.map(|h| {
            let u = config.upstreams.get(&h)?;
            let uri = http::Uri::builder().scheme(u.scheme.clone()).authority(u.authority.clone()).path_and_query("/");
            Some(Base { uri: uri.build().ok()?, authority: u.authority.as_str().into() })
        });
        Ok(Upstreams {
            connectors,
            pools: Arc::new(Pools { pools, max_idle: limits.pool_idle_per_host }),
            reaper: AtomicBool::new(false),
            bases,
            max_response_bytes: limits.max_response_bytes,
            total_timeout: Duration::from_millis(limits.total_timeout_ms),
        })
    }

    fn pool(&self, egress: usize, host: Host) -> &Pool {
        &self.pools.pools[egress * Host::ALL.len() + host_index(host)]
    }

    /// A new connection to `host` from egress `egress`.
    async fn connect(&self, egress: usize, host: Host) -> Result<UpConn, UpstreamError> {
        self.start_reaper();
        let Some(base) = &self.bases[host_index(host)] else { return Err(UpstreamError::Connect) };
        let Some(connector) = self.connectors.get(egress) else { return Err(UpstreamError::Connect) };
        let io = match connector.clone().oneshot(base.uri.clone()).await.map_err(|_| UpstreamError::Connect)? {
            MaybeHttpsStream::Http(tcp) => Io::Plain(tcp.into_inner()),
            MaybeHttpsStream::Https(tls) => Io::Tls(Box::new(tls.into_inner())),
        };
        Ok(UpConn { io, buf: ReadBuffer::new(UPSTREAM_BUFFER) })
    }

    /// Once per worker, in its runtime: a task that closes connections idle past the timeout.
    fn start_reaper(&self) {
        if self.reaper.swap(true, Ordering::Relaxed) {
            return;
        }
        let pools: Weak<Pools> = Arc::downgrade(&self.pools);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(IDLE_TIMEOUT / 5);
            loop {
                tick.tick().await;
                let Some(p) = pools.upgrade() else { return };
                p.pools.iter().for_each(Pool::purge);
            }
        });
    }

    /// Sends `req` over a pooled connection (or a new one) and reads the response head, returning the connection
    /// with the body still to read.
    async fn send(
        &self,
        egress: usize,
        host: Host,
        req: &[u8],
        weight_header: Option<&str>,
        returned: &mut Vec<u8>,
    ) -> Result<(UpConn, ResponseHead), UpstreamError> {
        let pool = self.pool(egress, host);
        let mut pooled = true;
        loop {
            let (mut conn, reused) = match if pooled { pool.checkout() } else { None } {
                Some(c) => (c, true),
                None => (self.connect(egress, host).await?, false),
            };
            match conn.write_request(req).await {
                Ok(()) => {}
                // Not a byte written: the pooled connection was closed under us. Try once more on a new
                // connection. A request that may have been sent is never retried.
                Err(WriteFailure::Unsent) if reused => {
                    pooled = false;
                    continue;
                }
                Err(_) => return Err(UpstreamError::Failed),
            }
            let head = conn.read_head(weight_header, returned).await.map_err(|()| UpstreamError::Failed)?;
            return Ok((conn, head));
        }
    }
}

/// How writing a request upstream failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WriteFailure {
    /// Not a byte left: the request can be sent again on another connection.
    Unsent,
    /// Some bytes may have reached the venue: the request is never sent again.
    MaybeSent,
}

/// Why an upstream exchange failed before its response head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UpstreamError {
    /// No connection could be made (DNS, TCP, TLS, connect timeout).
    Connect,
    /// The connection failed after the request may have been sent, or before the response head.
    Failed,
}

/// The relay's own JSON error in the route's shape ([`crate::errors`]), with `source: "relay"` so the app can tell
/// it from a venue's error.
pub fn relay_error(
    shape: Shape,
    status: u16,
    code: &str,
    message: &str,
    extra: Option<(&str, serde_json::Value)>,
) -> Response {
    let mut resp = Response::new(Body::from(error_body(shape, status, code, message, extra)));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    resp.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp.headers_mut().insert(http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The relay's answer in place of the venue's: budget refusals and upstream failures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayError {
    /// The venue of the route: the error has its shape.
    pub venue: catalogue::Venue,
    /// HTTP status.
    pub status: u16,
    /// Stable code.
    pub code: &'static str,
    /// What happened and what to do.
    pub message: &'static str,
    /// One more JSON field (`retry_after_s` or `upstream_status`).
    pub extra: Option<(&'static str, u64)>,
    /// A `Retry-After` header, in seconds.
    pub retry_after: Option<u64>,
}

impl RelayError {
    /// An error without `Retry-After`, with at most one more field.
    fn upstream(
        venue: catalogue::Venue,
        status: u16,
        code: &'static str,
        message: &'static str,
        extra: Option<(&'static str, u64)>,
    ) -> RelayError {
        RelayError { venue, status, code, message, extra, retry_after: None }
    }

    /// The JSON body.
    pub fn body(&self) -> String {
        error_body(
            Shape::Venue(self.venue),
            self.status,
            self.code,
            self.message,
            self.extra.map(|(k, v)| (k, v.into())),
        )
    }

    /// As an axum response (before the API headers).
    pub fn response(&self) -> Response {
        let mut r = relay_error(
            Shape::Venue(self.venue),
            self.status,
            self.code,
            self.message,
            self.extra.map(|(k, v)| (k, v.into())),
        );
        if let Some(s) = self.retry_after {
            r.headers_mut().insert(http::header::RETRY_AFTER, HeaderValue::from(s));
        }
        r
    }
}

/// What an exchange with the venue came to.
pub enum Outcome {
    /// The relay answers itself.
    Error(RelayError),
    /// The venue's status; its headers for the client were appended to the caller's `returned` lines; the body
    /// follows.
    Response(u16, UpBody),
}

/// Forwards an allowed request for `client` and returns the venue's response head (or the relay's error).
/// `forwarded`: the request's header lines that may go to this venue ([`policy::forwarded_header`]), as
/// `name: value\r\n` with lower-case names. `req` is scratch for the upstream request; the client's headers from
/// the venue ([`policy::returned_header`]) are appended to `returned`.
///
/// The steps: the budget admits the request ([`admit`]), the request is written ([`write_request`]) and sent
/// within the total timeout, a failure or an unacceptable head becomes the relay's error ([`Failure`]), and an
/// accepted head is logged and its body handed on ([`UpBody`]).
pub async fn exchange(
    relay: &Arc<Relay>,
    method: &str,
    allowed: Allowed<'_>,
    forwarded: &[u8],
    client: &Client,
    req: &mut Vec<u8>,
    returned: &mut Vec<u8>,
) -> Outcome {
    let e = allowed.endpoint;
    let weight = e.weight(allowed.query);
    let mut ticket = match admit(relay, e, weight, client) {
        Ok(ticket) => ticket,
        Err(refusal) => return Outcome::Error(refusal),
    };
    let up = &relay.upstream;
    let Some(base) = &up.bases[host_index(e.host)] else {
        ticket.complete(None, None, None);
        return Outcome::Error(RelayError::upstream(e.venue, 502, "upstream_not_configured", NOT_CONFIGURED, None));
    };
    write_request(req, method, allowed.target, forwarded, &base.authority);
    let exchange = Exchange { relay, endpoint: e, client, egress: ticket.egress(), mark: returned.len() };
    let start = Instant::now();
    let deadline = tokio::time::Instant::now() + up.total_timeout;
    let weight_header = crate::budget::usage_limiter(e).and_then(|l| l.usage_header());
    let sent = up.send(exchange.egress, e.host, req, weight_header, returned);
    let result = tokio::time::timeout_at(deadline, sent).await;
    let latency = start.elapsed();
    let (conn, head) = match result {
        Ok(Ok(answered)) => answered,
        Err(_) => {
            ticket.complete(None, None, None);
            return exchange.fail(returned, Failure::TIMEOUT);
        }
        Ok(Err(error)) => {
            ticket.complete(None, None, None);
            return exchange.fail(returned, Failure::of(error));
        }
    };
    relay.metrics.latency(e.host, latency);
    let position = ticket.complete(Some(head.status), head.used_weight.map(|u| u as u32), head.retry_after);
    if let Some((limiter, used)) = position {
        report_position(returned, exchange.mark, limiter, used);
    }
    if let Some(failure) = Failure::of_head(&head, up.max_response_bytes) {
        return exchange.fail(returned, failure);
    }
    exchange.forwarded(head.status, latency, weight);
    let body = UpBody::new(conn, &head, deadline, relay.clone(), e.host, exchange.egress);
    Outcome::Response(head.status, body)
}

/// Replaces the venue's per-IP used-weight headers among the client's header lines (`returned[mark..]`) with the
/// client's own position on the limiter its request was charged to (docs/relay.md, "Used-weight headers"): that
/// limiter's header gets the position, any other per-IP used-weight header is left out. The egress IP's total,
/// which every client of the relay adds to, never reaches a client. Both paths to the client (the hot path and
/// hyper) take the lines from here, so they send the same bytes.
fn report_position(returned: &mut Vec<u8>, mark: usize, limiter: crate::budget::Limiter, used: u32) {
    fn name_of(line: &[u8]) -> &[u8] {
        line.split(|&b| b == b':').next().unwrap_or(b"")
    }
    if !returned[mark..].split_inclusive(|&b| b == b'\n').any(|l| crate::budget::reports_ip_weight(name_of(l))) {
        return;
    }
    let header = limiter.usage_header().unwrap_or_default();
    let mut out = Vec::with_capacity(returned.len() - mark + 16);
    for line in returned[mark..].split_inclusive(|&b| b == b'\n') {
        let name = name_of(line);
        if !crate::budget::reports_ip_weight(name) {
            out.extend_from_slice(line);
        } else if header.as_bytes() == name {
            h1::header(&mut out, header, used.to_string().as_bytes());
        }
    }
    returned.truncate(mark);
    returned.extend_from_slice(&out);
}

const NOT_CONFIGURED: &str = "no upstream is configured for this host";

/// Asks the budget for room for `weight` of `e`: a ticket that is given back on every path (also when the client
/// goes away and the exchange is dropped mid-flight), or the budget's refusal, counted and logged.
fn admit(relay: &Arc<Relay>, e: &'static Endpoint, weight: u32, client: &Client) -> Result<TicketGuard, RelayError> {
    match relay.budget.admit(e, weight, client.who, now_ms()) {
        Ok(t) => Ok(TicketGuard { relay: relay.clone(), ticket: Some(t) }),
        Err(d) => {
            relay.metrics.refusal(d.code());
            relay.metrics.request(e, 429);
            let address = client.address_tag();
            tracing::warn!(
                venue = e.venue.as_str(),
                endpoint = e.path,
                client = client.as_str(),
                address = address.as_str(),
                reason = d.code(),
                "budget refusal"
            );
            let mut refusal = RelayError::upstream(e.venue, 429, d.code(), d.message(), None);
            refusal.extra = Some(("retry_after_s", d.retry_after_s));
            refusal.retry_after = Some(d.retry_after_s);
            Err(refusal)
        }
    }
}

/// Writes the upstream request into `req` in origin-form: the path and query exactly as the client sent them (the
/// policy allows only visible ASCII), the allowed headers, our User-Agent and the upstream's Host, in the order
/// hyper wrote them.
fn write_request(req: &mut Vec<u8>, method: &str, target: &str, forwarded: &[u8], authority: &str) {
    req.clear();
    req.extend_from_slice(method.as_bytes());
    req.push(b' ');
    req.extend_from_slice(target.as_bytes());
    req.extend_from_slice(b" HTTP/1.1\r\n");
    req.extend_from_slice(forwarded);
    req.extend_from_slice(b"user-agent: meetcrypt-relay\r\nhost: ");
    req.extend_from_slice(authority.as_bytes());
    req.extend_from_slice(b"\r\n\r\n");
}

/// An upstream failure the relay answers itself with a 502 or 504: its kind (the metric's label), status, code
/// and message, and the venue's status when the venue answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Failure {
    kind: &'static str,
    status: u16,
    code: &'static str,
    message: &'static str,
    upstream_status: Option<u16>,
}

impl Failure {
    const TIMEOUT: Failure = Failure {
        kind: "timeout",
        status: 504,
        code: "upstream_timeout",
        message: "the venue did not answer in time; retry later",
        upstream_status: None,
    };
    const CONNECT: Failure = Failure {
        kind: "connect",
        status: 502,
        code: "upstream_unreachable",
        message: "the relay could not connect to the venue; retry later",
        upstream_status: None,
    };
    const FAILED: Failure = Failure {
        kind: "failed",
        status: 502,
        code: "upstream_failed",
        message: "the connection to the venue failed before a response; retry later",
        upstream_status: None,
    };
    const TOO_LARGE: Failure = Failure {
        kind: "too_large",
        status: 502,
        code: "upstream_too_large",
        message: "the venue's response is larger than the relay forwards",
        upstream_status: None,
    };

    fn of(error: UpstreamError) -> Failure {
        match error {
            UpstreamError::Connect => Failure::CONNECT,
            UpstreamError::Failed => Failure::FAILED,
        }
    }

    /// A head the relay does not pass on: a venue 5xx, or a declared length over the cap.
    fn of_head(head: &ResponseHead, max_response_bytes: u64) -> Option<Failure> {
        if head.status >= 500 {
            return Some(Failure {
                kind: "status_5xx",
                status: 502,
                code: "upstream_error",
                message: "the venue answered with a server error; retry later",
                upstream_status: Some(head.status),
            });
        }
        match head.framing {
            Framing::Length(len) if len > max_response_bytes => Some(Failure::TOO_LARGE),
            _ => None,
        }
    }
}

/// One request on its way upstream: what its failure and its success are counted and logged with.
struct Exchange<'a> {
    relay: &'a Relay,
    endpoint: &'static Endpoint,
    client: &'a Client,
    egress: usize,
    /// The length of the caller's `returned` before this exchange appended the venue's headers.
    mark: usize,
}

impl Exchange<'_> {
    /// Counts `failure` by kind, logs it without any request value, and answers it in the relay's JSON (none of
    /// the venue's headers reach the client).
    fn fail(&self, returned: &mut Vec<u8>, failure: Failure) -> Outcome {
        let e = self.endpoint;
        returned.truncate(self.mark);
        self.relay.metrics.upstream_error(e.host, failure.kind);
        self.relay.metrics.request(e, failure.status);
        let address = self.client.address_tag();
        tracing::warn!(
            venue = e.venue.as_str(),
            endpoint = e.path,
            egress = self.relay.egress_label(self.egress),
            client = self.client.as_str(),
            address = address.as_str(),
            kind = failure.kind,
            upstream_status = failure.upstream_status,
            "upstream failure"
        );
        let extra = failure.upstream_status.map(|s| ("upstream_status", u64::from(s)));
        Outcome::Error(RelayError::upstream(e.venue, failure.status, failure.code, failure.message, extra))
    }

    /// Counts and logs a response passed on to the client.
    fn forwarded(&self, status: u16, latency: Duration, weight: u32) {
        let e = self.endpoint;
        self.relay.metrics.request(e, status);
        let address = self.client.address_tag();
        tracing::info!(
            venue = e.venue.as_str(),
            endpoint = e.path,
            status,
            latency_us = latency.as_micros() as u64,
            egress = self.relay.egress_label(self.egress),
            client = self.client.as_str(),
            address = address.as_str(),
            weight,
            "forwarded"
        );
    }
}

/// Forwards an allowed request that came through axum for `client`.
pub async fn forward(
    relay: &Arc<Relay>,
    method: &http::Method,
    allowed: Allowed<'_>,
    headers: &HeaderMap,
    client: Client,
) -> Response {
    let mut forwarded = Vec::new();
    for (name, value) in headers {
        if policy::forwarded_header(allowed.endpoint.venue, name.as_str()) {
            h1::header(&mut forwarded, name.as_str(), value.as_bytes());
        }
    }
    let (mut req, mut returned) = (Vec::new(), Vec::new());
    let (status, body) =
        match exchange(relay, method.as_str(), allowed, &forwarded, &client, &mut req, &mut returned).await {
            Outcome::Error(e) => return e.response(),
            Outcome::Response(status, body) => (status, body),
        };
    let mut out = Response::new(Body::new(BodyStream(body)));
    *out.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    for line in returned.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(i) = line.iter().position(|&b| b == b':') else { continue };
        let (Ok(name), Ok(value)) = (HeaderName::from_bytes(&line[..i]), HeaderValue::from_bytes(&line[i + 2..]))
        else {
            continue;
        };
        out.headers_mut().append(name, value);
    }
    out.headers_mut().insert(http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    out
}

/// A budget ticket that is given back exactly once: explicitly with the response, or on drop.
struct TicketGuard {
    relay: Arc<Relay>,
    ticket: Option<crate::budget::Ticket>,
}

impl TicketGuard {
    fn egress(&self) -> usize {
        self.ticket.map_or(0, |t| t.egress)
    }

    /// Gives the ticket back; the client's position on its per-IP weight ([`crate::budget::Budget::complete`]).
    fn complete(
        &mut self,
        status: Option<u16>,
        used: Option<u32>,
        retry_after: Option<u64>,
    ) -> Option<(crate::budget::Limiter, u32)> {
        let t = self.ticket.take()?;
        self.relay.budget.complete(t, status, used, retry_after, now_ms())
    }
}

impl Drop for TicketGuard {
    fn drop(&mut self) {
        self.complete(None, None, None);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BodyState {
    /// This many bytes left.
    Length(u64),
    Chunked(Chunked),
    /// Until the venue closes.
    Close,
    /// Read to the end.
    Done,
}

/// The venue's response body, read piece by piece, cut with an error when it exceeds the size cap or the total
/// deadline. The connection goes back to the pool when the body was read to its end (and the venue allows).
pub struct UpBody {
    conn: Option<UpConn>,
    state: BodyState,
    reusable: bool,
    /// Body bytes still allowed under the cap.
    remaining: u64,
    deadline: tokio::time::Instant,
    /// The deadline's timer, made only when the body has to be waited for (most arrive with their head).
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    relay: Arc<Relay>,
    host: Host,
    egress: usize,
}

/// The response body was cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BodyCut {
    /// Past the cap.
    #[error("upstream response larger than the relay's cap")]
    TooLarge,
    /// Past the total deadline.
    #[error("upstream response not complete before the total timeout")]
    Timeout,
    /// The venue's connection failed or framed the body wrongly.
    #[error("upstream connection failed during the body")]
    Upstream,
}

impl UpBody {
    /// The body of `head`, read from `conn` until `deadline` and within the relay's size cap.
    fn new(
        conn: UpConn,
        head: &ResponseHead,
        deadline: tokio::time::Instant,
        relay: Arc<Relay>,
        host: Host,
        egress: usize,
    ) -> UpBody {
        let state = match head.framing {
            Framing::Empty => BodyState::Length(0),
            Framing::Length(n) => BodyState::Length(n),
            Framing::Chunked => BodyState::Chunked(Chunked::Size),
            Framing::Close => BodyState::Close,
        };
        let remaining = relay.upstream.max_response_bytes;
        UpBody {
            conn: Some(conn),
            state,
            reusable: head.reusable,
            remaining,
            deadline,
            timer: None,
            relay,
            host,
            egress,
        }
    }

    /// The body's length when known now (sent to the client as `Content-Length`; otherwise chunked).
    pub fn known_len(&self) -> Option<u64> {
        match self.state {
            BodyState::Length(n) => Some(n),
            BodyState::Done => Some(0),
            _ => None,
        }
    }

    /// Whether the body was read to its end.
    pub fn is_end(&self) -> bool {
        matches!(self.state, BodyState::Length(0) | BodyState::Done)
    }

    /// The bytes buffered; after [`UpBody::poll_next`] gave `Some(n)`, the first `n` are body data.
    pub fn buffered(&self) -> &[u8] {
        self.conn.as_ref().map_or(&[], |c| c.buf.filled())
    }

    /// Marks `n` bytes of data (as given by [`UpBody::poll_next`]) passed on.
    pub fn consume(&mut self, n: usize) {
        if let Some(c) = self.conn.as_mut() {
            c.buf.consume(n);
        }
    }

    fn cut(&mut self, why: BodyCut) -> Poll<Result<Option<usize>, BodyCut>> {
        let kind = match why {
            BodyCut::TooLarge => "too_large",
            BodyCut::Timeout => "body_timeout",
            BodyCut::Upstream => "body_failed",
        };
        self.relay.metrics.upstream_error(self.host, kind);
        self.conn = None;
        self.state = BodyState::Done;
        self.reusable = false;
        Poll::Ready(Err(why))
    }

    /// The next piece of body: `Some(n)`, the first `n` bytes of [`UpBody::buffered`], to pass on and then
    /// [`UpBody::consume`]; `None` at the end.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Result<Option<usize>, BodyCut>> {
        loop {
            let Some(conn) = self.conn.as_mut() else { return Poll::Ready(Ok(None)) };
            let avail = conn.buf.filled();
            let data = match &mut self.state {
                BodyState::Done | BodyState::Length(0) => return Poll::Ready(Ok(None)),
                BodyState::Length(left) if !avail.is_empty() => {
                    let n = (avail.len() as u64).min(*left) as usize;
                    *left -= n as u64;
                    Some(n)
                }
                BodyState::Close if !avail.is_empty() => Some(avail.len()),
                BodyState::Chunked(c) => match c.step(avail) {
                    Err(_) => return self.cut(BodyCut::Upstream),
                    Ok(ChunkStep::Data(n)) => Some(n),
                    Ok(ChunkStep::Skip(n)) => {
                        conn.buf.consume(n);
                        if *c == Chunked::Done {
                            self.state = BodyState::Done;
                        }
                        continue;
                    }
                    Ok(ChunkStep::NeedMore) => None,
                },
                _ => None,
            };
            if let Some(n) = data {
                if n as u64 > self.remaining {
                    return self.cut(BodyCut::TooLarge);
                }
                self.remaining -= n as u64;
                return Poll::Ready(Ok(Some(n)));
            }
            match conn.poll_fill(cx) {
                Poll::Ready(Ok(0)) if self.state == BodyState::Close => {
                    self.state = BodyState::Done;
                    self.reusable = false;
                }
                Poll::Ready(Ok(0) | Err(_)) => return self.cut(BodyCut::Upstream),
                Poll::Ready(Ok(_)) => {}
                Poll::Pending => {
                    let deadline = self.deadline;
                    let timer = self.timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                    return match timer.as_mut().poll(cx) {
                        Poll::Ready(()) => self.cut(BodyCut::Timeout),
                        Poll::Pending => Poll::Pending,
                    };
                }
            }
        }
    }
}

impl Drop for UpBody {
    fn drop(&mut self) {
        if let Some(mut conn) = self.conn.take()
            && self.reusable
            && self.is_end()
            && conn.tls_quiet()
        {
            let up = &self.relay.upstream;
            up.pool(self.egress, self.host).put(conn, up.pools.max_idle);
        }
    }
}

/// An [`UpBody`] as an `http_body::Body`, for responses through axum.
struct BodyStream(UpBody);

impl HttpBody for BodyStream {
    type Data = Bytes;
    type Error = BodyCut;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BodyCut>>> {
        let body = &mut self.0;
        match std::task::ready!(body.poll_next(cx)) {
            Ok(Some(n)) => {
                let data = Bytes::copy_from_slice(&body.buffered()[..n]);
                body.consume(n);
                Poll::Ready(Some(Ok(Frame::data(data))))
            }
            Ok(None) => Poll::Ready(None),
            Err(e) => Poll::Ready(Some(Err(e))),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_end()
    }

    fn size_hint(&self) -> SizeHint {
        match self.0.known_len() {
            Some(n) => SizeHint::with_exact(n),
            None => SizeHint::default(),
        }
    }
}
