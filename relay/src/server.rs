//! The HTTP/1 accept loop: a cap on concurrent connections, a header read timeout and a cap on the request head.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, AtomicU64};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::Relay;

/// Serves `router` on `listener` until `shutdown` resolves, then waits (at most the header read timeout) for open
/// connections to finish.
pub async fn serve(listener: TcpListener, relay: Arc<Relay>, router: Router, shutdown: impl Future<Output = ()>) {
    let limits = relay.config.limits.clone();
    let max = limits.max_connections.clamp(1, u32::MAX as usize >> 4);
    let permits = Arc::new(tokio::sync::Semaphore::new(max));
    accept_loop(&listener, &relay, &router, &permits, shutdown).await;
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
) {
    let limits = relay.config.limits.clone();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
            () = &mut shutdown => return,
        };
        let (stream, peer) = tokio::select! {
            a = listener.accept() => match a {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            () = &mut shutdown => return,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let relay = relay.clone();
        let header_timeout = Duration::from_millis(limits.header_read_timeout_ms);
        tokio::spawn(async move {
            relay.metrics.accepted_connections.fetch_add(1, Ordering::Relaxed);
            relay.metrics.open_connections.fetch_add(1, Ordering::Relaxed);
            let svc_relay = relay.clone();
            let activity = Arc::new(Activity::default());
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
            builder
                .max_buf_size(crate::policy::MAX_TARGET_BYTES + crate::policy::MAX_HEADER_BYTES)
                .max_headers(crate::policy::MAX_HEADERS)
                .keep_alive(true);
            let io = TokioIo::new(CountingIo { inner: stream, activity: activity.clone() });
            let conn = builder.serve_connection(io, svc);
            let mut conn = std::pin::pin!(conn);
            // The watchdog closes a connection that, over one whole period, started no request, has none in
            // flight and received none of its response: idle keep-alive connections and clients trickling a
            // request head (slowloris). One timer per connection and period, not per request.
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + header_timeout, header_timeout);
            let mut last = activity.progress();
            loop {
                tokio::select! {
                    _ = &mut conn => break,
                    _ = tick.tick() => {
                        let now = activity.progress();
                        if now == last && activity.in_flight.load(Ordering::Relaxed) == 0 {
                            break;
                        }
                        last = now;
                    }
                }
            }
            relay.metrics.open_connections.fetch_sub(1, Ordering::Relaxed);
            drop(permit);
        });
    }
}

/// What a connection has done, for the idle watchdog.
#[derive(Default)]
struct Activity {
    started: AtomicU64,
    written: AtomicU64,
    in_flight: AtomicI64,
}

impl Activity {
    fn progress(&self) -> (u64, u64) {
        (self.started.load(Ordering::Relaxed), self.written.load(Ordering::Relaxed))
    }
}

/// A request being handled; counted until its handler finishes or is dropped.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(a: Arc<Activity>) -> InFlight {
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

/// The client socket, counting the bytes written to it.
struct CountingIo<T> {
    inner: T,
    activity: Arc<Activity>,
}

impl<T: AsyncRead + Unpin> AsyncRead for CountingIo<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for CountingIo<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
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
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
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
