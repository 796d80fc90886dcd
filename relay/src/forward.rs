//! Forwarding: the upstream request built byte for byte from the allowed target, pooled connections bound to the
//! egress IPs, connect and total timeouts, a response size cap, and upstream failures answered 502/504 in JSON.
//!
//! The pool is the relay's own, small and per worker thread: for each (egress IP, upstream host) a LIFO stack of
//! idle `hyper::client::conn::http1` senders. A connection goes back to the stack only once its response body has
//! been read to the end (so it is known to be reusable), and is dropped (closed) after the idle timeout, when the
//! venue closed it, or when the stack is full. A request is retried on another connection only when hyper hands it
//! back unsent (the pooled connection was closed before the request was written); a request that may have reached
//! the venue is never sent twice.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use catalogue::Host;
use http::{HeaderMap, HeaderValue, StatusCode};
use http_body::{Body as HttpBody, Frame, SizeHint};
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::client::legacy::connect::HttpConnector;
use tower::ServiceExt;

use crate::config::Config;
use crate::policy::{self, Allowed};
use crate::{Relay, now_ms};

type Connector = hyper_rustls::HttpsConnector<HttpConnector>;
type Sender = SendRequest<Empty<Bytes>>;

/// How long an unused pooled connection is kept.
const IDLE_TIMEOUT: Duration = Duration::from_secs(50);

/// The upstream pools could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// TLS setup failed.
    #[error("cannot set up TLS for upstream connections: {0}; this is a bug, please report it")]
    Tls(String),
}

/// Idle connections to one upstream host from one egress IP.
#[derive(Default)]
struct Pool {
    idle: Mutex<Vec<Idle>>,
}

struct Idle {
    tx: Sender,
    since: Instant,
}

impl Pool {
    /// The most recently used idle connection that is still open and not past the idle timeout.
    fn checkout(&self) -> Option<Sender> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(i) = idle.pop() {
            if !i.tx.is_closed() && i.since.elapsed() < IDLE_TIMEOUT {
                return Some(i.tx);
            }
        }
        None
    }

    /// Returns a connection whose last exchange is complete; dropped (closed) when the pool is full.
    fn put(&self, tx: Sender, max: usize) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < max && !tx.is_closed() {
            idle.push(Idle { tx, since: Instant::now() });
        }
    }

    /// Closes connections idle past the timeout or closed by the venue (the oldest are first).
    fn purge(&self) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        idle.retain(|i| !i.tx.is_closed() && i.since.elapsed() < IDLE_TIMEOUT);
    }
}

/// The pools of one worker, shared with its idle reaper task.
struct Pools {
    /// Indexed by `egress * Host::ALL.len() + host`.
    pools: Vec<Pool>,
    max_idle: usize,
}

/// The upstream connections of one worker thread: one connector per egress IP (bound to it), one pool per (egress
/// IP, host), and the base URL of each host.
pub struct Upstreams {
    connectors: Vec<Connector>,
    pools: Arc<Pools>,
    reaper: AtomicBool,
    /// Per host: the URI the connector dials and the Host header.
    bases: [Option<(http::Uri, HeaderValue)>; Host::ALL.len()],
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
        let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
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
        // Per host: the base URL, the URI the connector dials, and the Host header (the authority as configured).
        let bases = Host::ALL.map(|h| {
            let u = config.upstreams.get(&h)?;
            let uri = http::Uri::builder().scheme(u.scheme.clone()).authority(u.authority.clone()).path_and_query("/");
            let host_header = HeaderValue::from_str(u.authority.as_str()).ok()?;
            Some((uri.build().ok()?, host_header))
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

    /// A new connection to `host` from egress `egress`, driven by its own task.
    async fn connect(&self, egress: usize, host: Host) -> Result<Sender, UpstreamError> {
        self.start_reaper();
        let Some((uri, _)) = &self.bases[host_index(host)] else { return Err(UpstreamError::Connect) };
        let Some(connector) = self.connectors.get(egress) else { return Err(UpstreamError::Connect) };
        let io = connector.clone().oneshot(uri.clone()).await.map_err(|_| UpstreamError::Connect)?;
        let (tx, conn) =
            hyper::client::conn::http1::Builder::new().handshake(io).await.map_err(|_| UpstreamError::Connect)?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(tx)
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

    /// Sends `req` over a pooled connection (or a new one) and returns the response head with the connection to
    /// give back once the body is read.
    async fn send(
        &self,
        egress: usize,
        host: Host,
        mut req: hyper::Request<Empty<Bytes>>,
    ) -> Result<(hyper::Response<Incoming>, Sender), UpstreamError> {
        let pool = self.pool(egress, host);
        let mut pooled = true;
        loop {
            let (mut tx, reused) = match if pooled { pool.checkout() } else { None } {
                Some(tx) => (tx, true),
                None => (self.connect(egress, host).await?, false),
            };
            if tx.ready().await.is_err() {
                // Closed before anything was written on it.
                if reused {
                    pooled = false;
                    continue;
                }
                return Err(UpstreamError::Failed);
            }
            match tx.try_send_request(req).await {
                Ok(resp) => return Ok((resp, tx)),
                Err(mut e) => match e.take_message() {
                    // Handed back unsent: the pooled connection was closed before the request was written. Try
                    // once more on a new connection. A request that may have been sent is never retried.
                    Some(r) if reused => {
                        req = r;
                        pooled = false;
                    }
                    _ => return Err(UpstreamError::Failed),
                },
            }
        }
    }
}

/// Why an upstream exchange failed before its response head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UpstreamError {
    /// No connection could be made (DNS, TCP, TLS, connect timeout).
    Connect,
    /// The connection failed after the request may have been sent, or before the response head.
    Failed,
}

/// The relay's own JSON error, with `source: "relay"` so the app can tell it from a venue's error.
pub fn relay_error(status: u16, code: &str, message: &str, extra: Option<(&str, serde_json::Value)>) -> Response {
    let mut body = serde_json::json!({ "source": "relay", "code": code, "message": message });
    if let Some((k, v)) = extra {
        body[k] = v;
    }
    let mut resp = Response::new(Body::from(body.to_string()));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    resp.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp.headers_mut().insert(http::header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn header_u64(h: &HeaderMap, name: &str) -> Option<u64> {
    h.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// Forwards an allowed request for `client`.
pub async fn forward(
    relay: &Arc<Relay>,
    method: &http::Method,
    allowed: Allowed<'_>,
    headers: &HeaderMap,
    client: crate::Client,
) -> Response {
    let e = allowed.endpoint;
    let venue = e.venue.as_str();
    let weight = e.weight(allowed.query);
    let mut ticket = match relay.budget.admit(e, weight, client.id, now_ms()) {
        // Given back on every path, also when the client goes away and this future is dropped mid-flight.
        Ok(t) => TicketGuard { relay: relay.clone(), ticket: Some(t) },
        Err(d) => {
            relay.metrics.refusal(d.code);
            relay.metrics.request(e, 429);
            tracing::warn!(venue, endpoint = e.path, client = client.as_str(), reason = d.code, "budget refusal");
            let mut r = relay_error(429, d.code, d.message(), Some(("retry_after_s", d.retry_after_s.into())));
            r.headers_mut().insert(http::header::RETRY_AFTER, HeaderValue::from(d.retry_after_s));
            return r;
        }
    };
    let up = &relay.upstream;
    let Some((_, host_header)) = &up.bases[host_index(e.host)] else {
        ticket.complete(None, None, None);
        return relay_error(502, "upstream_not_configured", "no upstream is configured for this host", None);
    };
    let mut req = hyper::Request::new(Empty::<Bytes>::new());
    *req.method_mut() = method.clone();
    // Origin-form on the wire: the path and query exactly as the client sent them.
    match http::uri::PathAndQuery::from_maybe_shared(Bytes::copy_from_slice(allowed.target.as_bytes())) {
        Ok(pq) => *req.uri_mut() = http::Uri::from(pq),
        Err(_) => {
            ticket.complete(None, None, None);
            relay.metrics.refusal("bad_target_byte");
            return relay_error(400, "bad_target_byte", "the request target cannot be forwarded as is", None);
        }
    }
    let out = req.headers_mut();
    for (name, value) in headers {
        if policy::forwarded_header(e.venue, name.as_str()) {
            out.append(name.clone(), value.clone());
        }
    }
    out.insert(http::header::USER_AGENT, HeaderValue::from_static("meetcrypt-relay"));
    out.insert(http::header::HOST, host_header.clone());
    let egress = ticket.egress();
    let egress_label = relay.egress_label(egress);
    let start = Instant::now();
    let deadline = tokio::time::Instant::now() + up.total_timeout;
    let result = tokio::time::timeout_at(deadline, up.send(egress, e.host, req)).await;
    let latency = start.elapsed();
    // every upstream failure: counted by kind, logged without any request value, answered in the relay's JSON
    let fail = |kind: &'static str, status: u16, code: &str, message: &str, upstream_status: Option<u16>| {
        relay.metrics.upstream_error(e.host, kind);
        relay.metrics.request(e, status);
        tracing::warn!(
            venue,
            endpoint = e.path,
            egress = egress_label,
            client = client.as_str(),
            kind,
            upstream_status,
            "upstream failure"
        );
        relay_error(status, code, message, upstream_status.map(|s| ("upstream_status", s.into())))
    };
    let (resp, tx) = match result {
        Err(_) => {
            ticket.complete(None, None, None);
            return fail("timeout", 504, "upstream_timeout", "the venue did not answer in time; retry later", None);
        }
        Ok(Err(err)) => {
            ticket.complete(None, None, None);
            return if err == UpstreamError::Connect {
                fail(
                    "connect",
                    502,
                    "upstream_unreachable",
                    "the relay could not connect to the venue; retry later",
                    None,
                )
            } else {
                fail(
                    "failed",
                    502,
                    "upstream_failed",
                    "the connection to the venue failed before a response; retry later",
                    None,
                )
            };
        }
        Ok(Ok(r)) => r,
    };
    relay.metrics.latency(e.host, latency);
    let status = resp.status().as_u16();
    let used = crate::budget::Limiter::of(e).and_then(|l| header_u64(resp.headers(), l.header())).map(|u| u as u32);
    let retry_after = header_u64(resp.headers(), "retry-after");
    ticket.complete(Some(status), used, retry_after);
    if status >= 500 {
        return fail(
            "status_5xx",
            502,
            "upstream_error",
            "the venue answered with a server error; retry later",
            Some(status),
        );
    }
    if let Some(len) = header_u64(resp.headers(), "content-length")
        && len > up.max_response_bytes
    {
        relay.metrics.upstream_error(e.host, "too_large");
        relay.metrics.request(e, 502);
        return relay_error(502, "upstream_too_large", "the venue's response is larger than the relay forwards", None);
    }
    relay.metrics.request(e, status);
    tracing::info!(
        venue,
        endpoint = e.path,
        status,
        latency_us = latency.as_micros() as u64,
        egress = egress_label,
        client = client.as_str(),
        weight,
        "forwarded"
    );
    let (parts, body) = resp.into_parts();
    let mut out = Response::new(Body::new(CappedBody {
        inner: body,
        remaining: up.max_response_bytes,
        deadline,
        timer: None,
        relay: relay.clone(),
        host: e.host,
        egress,
        tx: Some(tx),
        finished: false,
    }));
    *out.status_mut() = parts.status;
    for (name, value) in &parts.headers {
        if policy::returned_header(name.as_str()) {
            out.headers_mut().append(name.clone(), value.clone());
        }
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

    fn complete(&mut self, status: Option<u16>, used: Option<u32>, retry_after: Option<u64>) {
        if let Some(t) = self.ticket.take() {
            self.relay.budget.complete(t, status, used, retry_after, now_ms());
        }
    }
}

impl Drop for TicketGuard {
    fn drop(&mut self) {
        self.complete(None, None, None);
    }
}

/// The upstream body, cut with an error when it exceeds the size cap or the total deadline.
struct CappedBody {
    inner: Incoming,
    remaining: u64,
    deadline: tokio::time::Instant,
    /// The deadline's timer, made only when the body has to be waited for (most arrive with their head).
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    relay: Arc<Relay>,
    host: Host,
    egress: usize,
    /// The connection, given back to the pool once the body has been read to its end.
    tx: Option<Sender>,
    finished: bool,
}

impl Drop for CappedBody {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take()
            && (self.finished || self.inner.is_end_stream())
        {
            let up = &self.relay.upstream;
            up.pool(self.egress, self.host).put(tx, up.pools.max_idle);
        }
    }
}

/// The response body was cut.
#[derive(Debug, thiserror::Error)]
enum BodyCut {
    #[error("upstream response larger than the relay's cap")]
    TooLarge,
    #[error("upstream response not complete before the total timeout")]
    Timeout,
    #[error("upstream connection failed during the body")]
    Upstream,
}

impl HttpBody for CappedBody {
    type Data = Bytes;
    type Error = BodyCut;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BodyCut>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let n = data.len() as u64;
                    if n > this.remaining {
                        this.relay.metrics.upstream_error(this.host, "too_large");
                        return Poll::Ready(Some(Err(BodyCut::TooLarge)));
                    }
                    this.remaining -= n;
                }
                this.finished = this.inner.is_end_stream();
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(_))) => {
                this.relay.metrics.upstream_error(this.host, "body_failed");
                Poll::Ready(Some(Err(BodyCut::Upstream)))
            }
            Poll::Ready(None) => {
                this.finished = true;
                Poll::Ready(None)
            }
            Poll::Pending => match this
                .timer
                .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(this.deadline)))
                .as_mut()
                .poll(cx)
            {
                Poll::Ready(()) => {
                    this.relay.metrics.upstream_error(this.host, "body_timeout");
                    Poll::Ready(Some(Err(BodyCut::Timeout)))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
