//! A client connection: the hand-written hot path for forwarded reads, and hyper with the axum router for the
//! rest.
//!
//! The connection starts on the hot path. It reads request heads into its own buffer and, for each one
//! [`h1::classify`] hands it (an HTTP/1.1 `GET` the policy allows), budgets, forwards and writes the response
//! itself, head and body in as few writes as it can, keeping the connection alive for the next request (pipelined
//! ones included: they wait in the buffer). The first request it does not take (malformed, refused, not a forward,
//! an HTTP/2 preface, a head over the size cap, or anything unusual) hands the connection to hyper for good,
//! together with every byte read so far, so hyper sees the byte stream exactly as if it had read it itself and
//! answers as it always did: its own parser refusals (rewritten to the relay's JSON by [`crate::server`]), the
//! policy's refusals, CORS preflights, the static app and the rest.
//!
//! The hot path writes the same response as the axum path: the venue's status and returned headers, then
//! `cache-control`, the API security headers, CORS when asked, `connection: close` when closing, the length (or
//! chunked) and `date`, in hyper's order and spelling.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tower::ServiceExt;

use crate::forward::{self, Outcome, RelayError, UpBody};
use crate::h1::{self, Head, ReadBuffer};
use crate::server::{Activity, CountingIo, InFlight, WriteDeadline};
use crate::{Client, Relay};

/// Flush the response buffer to the client once it holds this much.
const WRITE_CHUNK: usize = 64 * 1024;

/// Serves one client connection until it closes (or the caller's watchdog drops this future). `peer`: the client
/// (from a trusted proxy's PROXY header, or the TCP peer); `initial`: bytes already read after any PROXY header.
pub(crate) async fn serve<S: Stream>(
    stream: S,
    peer: SocketAddr,
    initial: Vec<u8>,
    relay: Arc<Relay>,
    router: Router,
    activity: Arc<Activity>,
) {
    if !relay.config.hot_path {
        // Everything through hyper, from the first byte.
        let io = Rewind { pre: initial, pos: 0, inner: stream };
        return hyper_serve(io, peer, relay, router, activity).await;
    }
    let mut conn = Hot {
        stream,
        buf: ReadBuffer::with_bytes(4096, &initial),
        out: Vec::with_capacity(4096),
        req: Vec::with_capacity(1024),
        forwarded: Vec::with_capacity(256),
        returned: Vec::with_capacity(512),
        ip_client: None,
        key_client: None,
        deadline: WriteDeadline::new(relay.clone()),
        relay: relay.clone(),
        activity: activity.clone(),
        peer,
    };
    if conn.run().await == End::HandOver {
        let pre = conn.buf.take();
        hyper_serve(Rewind { pre, pos: 0, inner: conn.stream }, peer, relay, router, activity).await;
    }
}

/// A client connection's byte stream: the TCP socket for plain HTTP, or TLS over it ([`crate::tls`]). The
/// connection is generic over it, so each kind gets its own compiled copy and the plain one pays nothing for TLS.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> Stream for S {}

/// How the hot path ended.
#[derive(PartialEq, Eq)]
enum End {
    /// The connection is closed (or to be closed).
    Closed,
    /// Hyper takes the connection from the buffered bytes on.
    HandOver,
}

/// The hot path's state for one connection; the buffers are reused from request to request.
struct Hot<S> {
    stream: S,
    buf: ReadBuffer,
    out: Vec<u8>,
    req: Vec<u8>,
    forwarded: Vec<u8>,
    returned: Vec<u8>,
    /// The client identity from the peer address (for reads without a key), made once.
    ip_client: Option<Client>,
    /// The last key seen and its identity (a connection usually carries one key).
    key_client: Option<(Vec<u8>, Client)>,
    /// The deadline of every write to the client.
    deadline: WriteDeadline,
    relay: Arc<Relay>,
    activity: Arc<Activity>,
    peer: SocketAddr,
}

impl<S: Stream> Hot<S> {
    async fn run(&mut self) -> End {
        loop {
            self.forwarded.clear();
            let f = match h1::classify(self.buf.filled(), &self.relay.config.allowed_origins, &mut self.forwarded) {
                Head::Forward(f) => f,
                Head::Fallback => return End::HandOver,
                Head::Partial => {
                    let spare = self.buf.spare(h1::MAX_REQUEST_HEAD);
                    if spare.is_empty() {
                        // Over the head cap: hyper answers 431.
                        return End::HandOver;
                    }
                    match tokio::io::AsyncReadExt::read(&mut self.stream, spare).await {
                        Ok(0) if self.buf.filled().is_empty() => return End::Closed,
                        // A partial head and EOF: hyper answers as it does.
                        Ok(0) => return End::HandOver,
                        Ok(n) => {
                            self.buf.advance(n);
                            continue;
                        }
                        Err(_) => return End::Closed,
                    }
                }
            };
            let in_flight = InFlight::new(self.activity.clone());
            let keep = self.forward(&f).await;
            drop(in_flight);
            if !keep {
                return End::Closed;
            }
            self.buf.consume(f.len);
            if f.close {
                let _ = self.stream.shutdown().await;
                return End::Closed;
            }
        }
    }

    /// The client: its address (the connection's client, or from a trusted proxy the `X-Forwarded-For` value at
    /// `forwarded_for`) and the key at `key` in the buffer, if any, as [`crate::web::api`] makes it.
    fn client(&mut self, key: Option<std::ops::Range<usize>>, forwarded_for: Option<std::ops::Range<usize>>) -> Client {
        let trusted = &self.relay.config.trusted_proxies;
        let address = match forwarded_for {
            Some(r) if crate::proxy::is_trusted(trusted, self.peer.ip()) => {
                let ip = crate::proxy::client_ip(self.peer.ip(), trusted, std::iter::once(&self.buf.filled()[r]));
                self.relay.ip_client(ip)
            }
            _ => *self.ip_client.get_or_insert_with(|| self.relay.ip_client(self.peer.ip())),
        };
        match key.map(|r| &self.buf.filled()[r]) {
            Some(k) => match &self.key_client {
                Some((last, c)) if last.as_slice() == k => address.signing_with(c),
                _ => {
                    let c = self.relay.client("key", k);
                    self.key_client = Some((k.to_vec(), c));
                    address.signing_with(&c)
                }
            },
            None => address,
        }
    }

    /// Forwards one request and writes the response; false when the connection must close.
    async fn forward(&mut self, f: &h1::Forward) -> bool {
        let client = self.client(f.key.clone(), f.forwarded_for.clone());
        let data = self.buf.filled();
        let allowed = f.allowed(data);
        self.returned.clear();
        let outcome =
            forward::exchange(&self.relay, "GET", allowed, &self.forwarded, &client, &mut self.req, &mut self.returned)
                .await;
        let origin = f.origin.clone().map(|r| &data[r]);
        self.out.clear();
        match outcome {
            Outcome::Error(e) => {
                error_head(&mut self.out, &e, origin, f.close);
                self.out.extend_from_slice(e.body().as_bytes());
                self.write_out().await
            }
            Outcome::Response(status, body) => {
                response_head(&mut self.out, status, &self.returned, origin, f.close, &body);
                self.write_body(status, body).await
            }
        }
    }

    /// Streams the body after the head in `out`; false when the connection must close (write error, or the body
    /// was cut: the client sees an incomplete body, as from hyper).
    async fn write_body(&mut self, status: u16, mut body: UpBody) -> bool {
        let chunked = body.known_len().is_none();
        let bodiless = no_body(status);
        loop {
            // Take what is there now; write what is buffered before waiting for more.
            let next = match std::future::poll_fn(|cx| Poll::Ready(body.poll_next(cx))).await {
                Poll::Ready(r) => r,
                Poll::Pending => {
                    if !self.write_out().await {
                        return false;
                    }
                    self.out.clear();
                    std::future::poll_fn(|cx| body.poll_next(cx)).await
                }
            };
            match next {
                Ok(Some(n)) => {
                    if !bodiless {
                        let data = &body.buffered()[..n];
                        if chunked {
                            // Upper-case hex digits, as hyper writes chunk sizes.
                            let _ = std::io::Write::write_fmt(&mut self.out, format_args!("{n:X}\r\n"));
                            self.out.extend_from_slice(data);
                            self.out.extend_from_slice(b"\r\n");
                        } else {
                            self.out.extend_from_slice(data);
                        }
                    }
                    body.consume(n);
                    if self.out.len() >= WRITE_CHUNK {
                        if !self.write_out().await {
                            return false;
                        }
                        self.out.clear();
                    }
                }
                Ok(None) => {
                    if chunked && !bodiless {
                        self.out.extend_from_slice(b"0\r\n\r\n");
                    }
                    // The connection goes back to the pool before the client's write.
                    drop(body);
                    return self.write_out().await;
                }
                Err(_) => {
                    drop(body);
                    let _ = self.write_out().await;
                    return false;
                }
            }
        }
    }

    /// Writes `out` to the client; false on failure, or when the client took no byte within the write deadline.
    async fn write_out(&mut self) -> bool {
        let mut done = 0;
        let r = std::future::poll_fn(|cx| {
            while done < self.out.len() {
                let r = Pin::new(&mut self.stream).poll_write(cx, &self.out[done..]);
                match std::task::ready!(self.deadline.guard(cx, r)) {
                    Ok(0) => return Poll::Ready(Err(())),
                    Ok(n) => done += n,
                    Err(_) => return Poll::Ready(Err(())),
                }
            }
            // TLS keeps what the socket did not take yet in its own buffer: out to the client before waiting for
            // anything else (a no-op on TCP), under the same deadline.
            let r = Pin::new(&mut self.stream).poll_flush(cx).map_ok(|()| 0);
            match std::task::ready!(self.deadline.guard(cx, r)) {
                Ok(_) => Poll::Ready(Ok(())),
                Err(_) => Poll::Ready(Err(())),
            }
        })
        .await;
        self.activity.written.fetch_add(done as u64, Ordering::Relaxed);
        r.is_ok()
    }
}

/// Statuses whose responses have no body (and no length).
fn no_body(status: u16) -> bool {
    matches!(status, 100..=199 | 204 | 304)
}

/// The headers every API response carries after its own: security headers, then CORS for an allowed Origin, then
/// `connection: close` when closing (as `web::api_headers`, `web::cors` and hyper add them).
fn api_headers(out: &mut Vec<u8>, origin: Option<&[u8]>, close: bool) {
    out.extend_from_slice(b"x-content-type-options: nosniff\r\ncontent-security-policy: ");
    out.extend_from_slice(crate::web::API_CSP.as_bytes());
    out.extend_from_slice(b"\r\nreferrer-policy: no-referrer\r\n");
    if let Some(o) = origin {
        h1::header(out, "access-control-allow-origin", o);
        out.extend_from_slice(b"vary: origin\r\n");
        h1::header(out, "access-control-expose-headers", crate::web::EXPOSED.as_bytes());
    }
    if close {
        out.extend_from_slice(b"connection: close\r\n");
    }
}

/// The head of the relay's own JSON error.
fn error_head(out: &mut Vec<u8>, e: &RelayError, origin: Option<&[u8]>, close: bool) {
    h1::status_line(out, e.status);
    out.extend_from_slice(b"content-type: application/json\r\ncache-control: no-store\r\n");
    if let Some(s) = e.retry_after {
        h1::header(out, "retry-after", itoa::Buffer::new().format(s).as_bytes());
    }
    api_headers(out, origin, close);
    h1::content_length(out, e.body().len() as u64);
    h1::date_and_end(out);
}

/// The head of a venue's response.
fn response_head(out: &mut Vec<u8>, status: u16, returned: &[u8], origin: Option<&[u8]>, close: bool, body: &UpBody) {
    h1::status_line(out, status);
    out.extend_from_slice(returned);
    out.extend_from_slice(b"cache-control: no-store\r\n");
    api_headers(out, origin, close);
    if !no_body(status) {
        match body.known_len() {
            Some(n) => h1::content_length(out, n),
            None => out.extend_from_slice(b"transfer-encoding: chunked\r\n"),
        }
    }
    h1::date_and_end(out);
}

/// Serves the rest of a connection with hyper and the router, starting with the bytes the hot path read.
async fn hyper_serve<S: Stream>(
    io: Rewind<S>,
    peer: SocketAddr,
    relay: Arc<Relay>,
    router: Router,
    activity: Arc<Activity>,
) {
    let svc_relay = relay.clone();
    let svc_activity = activity.clone();
    let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
        let (relay, router) = (svc_relay.clone(), router.clone());
        let in_flight = InFlight::new(svc_activity.clone());
        async move {
            let _in_flight = in_flight;
            // API requests go straight to the policy; the router serves the rest.
            if crate::web::is_api(req.method(), req.uri()) {
                Ok::<_, std::convert::Infallible>(crate::web::api(relay, req.into_parts().0).await)
            } else {
                router.oneshot(req).await
            }
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // half_close: a client that shuts down its sending side after its request still gets the answer, as on the
    // hot path (hyper's default drops the request in flight when it reads the end of the stream).
    builder
        .max_buf_size(h1::MAX_REQUEST_HEAD)
        .max_headers(crate::policy::MAX_HEADERS)
        .keep_alive(true)
        .half_close(true);
    let io = TokioIo::new(CountingIo::new(io, activity, relay.clone()));
    if let Err(e) = builder.serve_connection(io, svc).await
        && e.is_parse_version_h2()
    {
        // An HTTP/2 client cannot read an HTTP/1.1 refusal: closed, counted.
        relay.metrics.refusal("http2_not_supported");
        tracing::info!(reason = "http2_not_supported", "refused");
    }
}

/// The client socket, replaying the bytes the hot path already read before reading more.
pub(crate) struct Rewind<S> {
    pre: Vec<u8>,
    pos: usize,
    inner: S,
}

impl<S> Rewind<S> {
    /// `inner`, read after the bytes `pre` already taken from it.
    pub(crate) fn new(pre: Vec<u8>, inner: S) -> Rewind<S> {
        Rewind { pre, pos: 0, inner }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Rewind<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        if self.pos < self.pre.len() {
            let n = (self.pre.len() - self.pos).min(buf.remaining());
            buf.put_slice(&self.pre[self.pos..self.pos + n]);
            self.pos += n;
            if self.pos == self.pre.len() {
                self.pre = Vec::new();
                self.pos = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Rewind<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
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
