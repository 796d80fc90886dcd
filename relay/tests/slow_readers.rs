//! Clients that never read their response: every write to a client has a deadline (`client_write_timeout_ms`), on the
//! hand-written hot path and on the hyper path alike, over HTTPS too, so such a client cannot hold its connection, its
//! per-IP place or a worker's connection slot; it is closed, counted in `relay_client_write_timeouts_total`, and other
//! clients are not affected. The watchdog is set far beyond a hang here, so only the write deadline can close it.

mod common;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;

use common::*;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// The body the stuck client is sent and never reads: 1 MB.
const BODY: usize = 1 << 20;
const STUCK: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 5));
const OTHER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 6));

/// A relay whose spot host answers `BODY` bytes and whose futures host answers small bodies; one connection per
/// client address; the idle watchdog far beyond a hang; a short write deadline.
async fn relay_for(big: &Upstream, small: &Upstream, static_dir: Option<std::path::PathBuf>) -> Running {
    relay_with(big, small, static_dir, false).await
}

/// [`relay_for`], serving HTTPS when `https`.
async fn relay_with(big: &Upstream, small: &Upstream, static_dir: Option<std::path::PathBuf>, https: bool) -> Running {
    let mut c = config_for(small);
    c.apply_env(|k| (k == "RELAY_UPSTREAM_BINANCE_SPOT").then(|| big.url())).unwrap();
    c.limits.max_connections_per_ip = 1;
    c.limits.header_read_timeout_ms = 10 * HANG.as_millis() as u64;
    c.limits.total_timeout_ms = HANG.as_millis() as u64;
    c.limits.client_write_timeout_ms = 500;
    c.static_dir = static_dir;
    if https {
        c.tls = Some(https_files("a"));
    }
    start_relay(c).await
}

/// Connects from `from` as a client across the internet would, sends `request` and never reads.
async fn never_reads(from: IpAddr, to: SocketAddr, request: &str) -> TcpStream {
    let mut s = slow_socket(from, to).await;
    s.write_all(request.as_bytes()).await.unwrap();
    s
}

/// Connects from `from` as a client across the internet would (a 1460-byte MSS: loopback's 64 KiB segments would
/// let the relay's kernel buffer a whole megabyte, and the relay would never wait) with a small receive buffer.
#[allow(unsafe_code)] // setsockopt(TCP_MAXSEG), which tokio does not expose: a test-only use of libc
async fn slow_socket(from: IpAddr, to: SocketAddr) -> TcpStream {
    use std::os::fd::AsRawFd;
    let s = TcpSocket::new_v4().unwrap();
    s.set_recv_buffer_size(4096).unwrap();
    let mss: libc::c_int = 1460;
    // SAFETY: a valid socket, and an int option of the size given.
    let set = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_MAXSEG,
            (&mss as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(set, 0, "TCP_MAXSEG: {}", std::io::Error::last_os_error());
    s.bind(SocketAddr::new(from, 0)).unwrap();
    s.connect(to).await.unwrap()
}

/// A `Connection: close` GET from `from`, read to the end.
async fn get_from(from: IpAddr, to: SocketAddr, target: &str) -> Resp {
    let s = TcpSocket::new_v4().unwrap();
    s.bind(SocketAddr::new(from, 0)).unwrap();
    let mut s = s.connect(to).await.unwrap();
    s.write_all(format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(HANG, s.read_to_end(&mut out)).await;
    parse(out)
}

/// The stuck client is closed by the write deadline and counted; its places are freed; another client is served
/// meanwhile, and the stuck client's address is served again afterwards (with one place per address, only because
/// the stuck connection's place was given back).
async fn stuck_client_is_closed(relay: &Running, request: &str, served: impl Fn() -> usize) {
    let metrics = &relay.relay.metrics;
    let mut stuck = never_reads(STUCK, relay.addr, request).await;
    assert!(eventually(|| served() == 1).await, "the stuck client's request was not served");
    let r = get_from(OTHER, relay.addr, "/v1/binance/fapi/v1/time").await;
    assert_eq!(r.status, 200, "another client was affected: {}", String::from_utf8_lossy(&r.raw));
    assert!(
        eventually(|| relay.relay.connections_per_ip.open(STUCK) == 0).await,
        "a client that never reads still holds its connection and its per-IP place past the write deadline"
    );
    assert!(eventually(|| metrics.open_connections.load(Ordering::SeqCst) == 0).await, "its connection still counts");
    assert_eq!(metrics.client_write_timeouts.load(Ordering::SeqCst), 1, "the close was not counted");
    // What the kernel had taken before the deadline reaches the client, then the close: an incomplete response.
    assert_closed_mid_body(&mut stuck).await;
    let again = get_from(STUCK, relay.addr, "/v1/binance/fapi/v1/time").await;
    assert_eq!(again.status, 200, "{}", String::from_utf8_lossy(&again.raw));
    let text = metrics.render(&[]);
    assert!(text.contains("relay_client_write_timeouts_total 1\n"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_a_forwarded_read_on_the_hot_path_is_closed() {
    let (big, small) =
        (start_upstream(IpAddr::from([127, 0, 0, 1])).await, start_upstream(IpAddr::from([127, 0, 0, 1])).await);
    big.set(Mode::Big(BODY));
    let relay = relay_for(&big, &small, None).await;
    let request = "GET /v1/binance/api/v3/time HTTP/1.1\r\nHost: x\r\n\r\n";
    stuck_client_is_closed(&relay, request, || big.seen().len()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_a_forwarded_read_through_hyper_is_closed() {
    let (big, small) =
        (start_upstream(IpAddr::from([127, 0, 0, 1])).await, start_upstream(IpAddr::from([127, 0, 0, 1])).await);
    big.set(Mode::Big(BODY));
    let relay = relay_for(&big, &small, None).await;
    // The funding-wallet POST always goes through hyper and axum.
    let request = format!(
        "POST /v1/binance/sapi/v1/asset/get-funding-asset?timestamp=1&signature=s HTTP/1.1\r\nHost: x\r\n\
         X-MBX-APIKEY: {BINANCE_KEY}\r\n\r\n"
    );
    stuck_client_is_closed(&relay, &request, || big.seen().len()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_a_static_file_is_closed() {
    let dir = std::env::temp_dir().join(format!("relay-slow-readers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html>").unwrap();
    std::fs::write(dir.join("big.json"), vec![b'7'; BODY]).unwrap();
    let (big, small) =
        (start_upstream(IpAddr::from([127, 0, 0, 1])).await, start_upstream(IpAddr::from([127, 0, 0, 1])).await);
    let relay = relay_for(&big, &small, Some(dir.clone())).await;
    let accepted = || relay.relay.metrics.accepted_connections.load(Ordering::SeqCst) as usize;
    stuck_client_is_closed(&relay, "GET /big.json HTTP/1.1\r\nHost: x\r\n\r\n", accepted).await;
    std::fs::remove_dir_all(dir).unwrap();
}

/// Over HTTPS the same: the deadline holds for the TLS layer's writes (and its flush), on the hot path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_over_https_is_closed() {
    let (big, small) =
        (start_upstream(IpAddr::from([127, 0, 0, 1])).await, start_upstream(IpAddr::from([127, 0, 0, 1])).await);
    big.set(Mode::Big(BODY));
    let relay = relay_with(&big, &small, None, true).await;
    let metrics = &relay.relay.metrics;
    let mut stuck = https_handshake(slow_socket(STUCK, relay.addr).await).await;
    stuck.write_all(b"GET /v1/binance/api/v3/time HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    assert!(eventually(|| big.seen().len() == 1).await, "the stuck client's request was not served");
    let other = b"GET /v1/binance/fapi/v1/time HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let r = raw_https(relay.addr, other, HANG).await;
    assert_eq!(r.status, 200, "another client was affected: {}", String::from_utf8_lossy(&r.raw));
    assert!(
        eventually(|| relay.relay.connections_per_ip.open(STUCK) == 0).await,
        "a TLS client that never reads still holds its connection past the write deadline"
    );
    assert_eq!(metrics.client_write_timeouts.load(Ordering::SeqCst), 1, "the close was not counted");
    assert_closed_mid_body(&mut stuck).await;
}

/// Reads what a stuck client's connection still delivers: the start of a 200 response, not the whole body, then the
/// relay's close (within [`HANG`]).
async fn assert_closed_mid_body(stuck: &mut (impl AsyncRead + Unpin)) {
    let mut got = Vec::new();
    let read = tokio::time::timeout(HANG, async {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match stuck.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the relay never closed the stuck connection");
    assert!(got.starts_with(b"HTTP/1.1 200 "), "{}", String::from_utf8_lossy(&got[..got.len().min(200)]));
    assert!(got.len() < BODY, "the whole body was sent ({} bytes): the client was not stuck", got.len());
}
