//! Forwarding: the upstream request built byte for byte from the allowed target, pooled clients bound to the egress
//! IPs, connect and total timeouts, a response size cap, and upstream failures answered 502/504 in JSON.

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::Arc;
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
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::config::{Config, Upstream};
use crate::policy::{self, Allowed};
use crate::{Relay, now_ms};

type Connector = hyper_rustls::HttpsConnector<HttpConnector>;
type UpClient = Client<Connector, Empty<Bytes>>;

/// The upstream pools could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// TLS setup failed.
    #[error("cannot set up TLS for upstream connections: {0}; this is a bug, please report it")]
    Tls(String),
}

/// The upstream clients: one pool per egress IP (or one unbound pool), and the base URL of each host.
pub struct Upstreams {
    clients: Vec<UpClient>,
    bases: BTreeMap<Host, Upstream>,
    host_headers: BTreeMap<Host, HeaderValue>,
    max_response_bytes: u64,
    total_timeout: Duration,
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
        let clients = locals
            .into_iter()
            .map(|local| {
                let mut http = HttpConnector::new();
                http.enforce_http(false);
                http.set_local_address(local);
                http.set_connect_timeout(Some(Duration::from_millis(limits.connect_timeout_ms)));
                http.set_nodelay(true);
                let https = hyper_rustls::HttpsConnectorBuilder::new()
                    .with_tls_config(tls.clone())
                    .https_or_http()
                    .enable_http1()
                    .wrap_connector(http);
                Client::builder(TokioExecutor::new())
                    .pool_max_idle_per_host(limits.pool_idle_per_host)
                    .pool_idle_timeout(Duration::from_secs(50))
                    .build(https)
            })
            .collect();
        // The Host header of each upstream, computed once (the authority as configured).
        let host_headers = config
            .upstreams
            .iter()
            .filter_map(|(h, u)| HeaderValue::from_str(u.authority.as_str()).ok().map(|v| (*h, v)))
            .collect();
        Ok(Upstreams {
            clients,
            host_headers,
            bases: config.upstreams.clone(),
            max_response_bytes: limits.max_response_bytes,
            total_timeout: Duration::from_millis(limits.total_timeout_ms),
        })
    }
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
            tracing::warn!(venue, endpoint = e.path, client = %client, reason = d.code, "budget refusal");
            let mut r = relay_error(429, d.code, d.message(), Some(("retry_after_s", d.retry_after_s.into())));
            r.headers_mut().insert(http::header::RETRY_AFTER, HeaderValue::from(d.retry_after_s));
            return r;
        }
    };
    let up = &relay.upstream;
    let Some(base) = up.bases.get(&e.host) else {
        ticket.complete(None, None, None);
        return relay_error(502, "upstream_not_configured", "no upstream is configured for this host", None);
    };
    let mut req = hyper::Request::new(Empty::<Bytes>::new());
    *req.method_mut() = method.clone();
    let uri = http::Uri::builder()
        .scheme(base.scheme.clone())
        .authority(base.authority.clone())
        .path_and_query(allowed.target)
        .build();
    match uri {
        Ok(u) => *req.uri_mut() = u,
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
    if let Some(h) = up.host_headers.get(&e.host) {
        out.insert(http::header::HOST, h.clone());
    }
    let egress = ticket.egress();
    let egress_label = relay.egress_label(egress);
    let start = Instant::now();
    let deadline = tokio::time::Instant::now() + up.total_timeout;
    let result = tokio::time::timeout_at(deadline, up.clients[egress].request(req)).await;
    let latency = start.elapsed();
    let resp = match result {
        Err(_) => {
            ticket.complete(None, None, None);
            relay.metrics.upstream_error(e.host, "timeout");
            relay.metrics.request(e, 504);
            tracing::warn!(venue, endpoint = e.path, egress = egress_label, client = %client, "upstream timeout");
            return relay_error(504, "upstream_timeout", "the venue did not answer in time; retry later", None);
        }
        Ok(Err(err)) => {
            ticket.complete(None, None, None);
            let kind = if err.is_connect() { "connect" } else { "failed" };
            relay.metrics.upstream_error(e.host, kind);
            relay.metrics.request(e, 502);
            tracing::warn!(venue, endpoint = e.path, egress = egress_label, client = %client, kind, "upstream failure");
            let (code, msg) = if err.is_connect() {
                ("upstream_unreachable", "the relay could not connect to the venue; retry later")
            } else {
                ("upstream_failed", "the connection to the venue failed before a response; retry later")
            };
            return relay_error(502, code, msg, None);
        }
        Ok(Ok(r)) => r,
    };
    relay.metrics.latency(e.host, latency);
    let status = resp.status().as_u16();
    let used = crate::budget::Limiter::of(e).and_then(|l| header_u64(resp.headers(), l.header())).map(|u| u as u32);
    let retry_after = header_u64(resp.headers(), "retry-after");
    ticket.complete(Some(status), used, retry_after);
    if status >= 500 {
        relay.metrics.upstream_error(e.host, "status_5xx");
        relay.metrics.request(e, 502);
        tracing::warn!(venue, endpoint = e.path, egress = egress_label, client = %client, upstream_status = status, "upstream 5xx");
        return relay_error(
            502,
            "upstream_error",
            "the venue answered with a server error; retry later",
            Some(("upstream_status", status.into())),
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
        latency_ms = latency.as_secs_f64() * 1000.0,
        egress = egress_label,
        client = %client,
        weight,
        "forwarded"
    );
    let (parts, body) = resp.into_parts();
    let mut out = Response::new(Body::new(CappedBody {
        inner: body,
        remaining: up.max_response_bytes,
        deadline: Box::pin(tokio::time::sleep_until(deadline)),
        relay: relay.clone(),
        host: e.host,
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
    deadline: Pin<Box<tokio::time::Sleep>>,
    relay: Arc<Relay>,
    host: Host,
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
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(_))) => {
                this.relay.metrics.upstream_error(this.host, "body_failed");
                Poll::Ready(Some(Err(BodyCut::Upstream)))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
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
