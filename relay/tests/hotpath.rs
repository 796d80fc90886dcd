//! The hand-written hot path for forwarded reads (`relay::conn`, `relay::h1`): pipelined requests, a connection
//! handed to hyper midway without losing bytes, upstream bodies in every framing, and a TLS upstream (the path real
//! venues take) beside the plain one the other tests use.

mod common;

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const TIME: &str = "/v1/binance/api/v3/time";

/// Reads responses off `s` until it closes (or a hang) and splits them (each framed by Content-Length, or
/// chunked).
async fn responses(s: &mut TcpStream) -> Vec<Resp> {
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(HANG, s.read_to_end(&mut raw)).await;
    split(&raw)
}

fn split(mut raw: &[u8]) -> Vec<Resp> {
    let mut out = Vec::new();
    while let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
        let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
        let len = if head.contains("transfer-encoding: chunked") {
            // Up to and including the last chunk.
            let body = &raw[end + 4..];
            body.windows(5).position(|w| w == b"0\r\n\r\n").map_or(body.len(), |i| i + 5)
        } else {
            head.lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0)
        };
        let total = (end + 4 + len).min(raw.len());
        out.push(parse(raw[..total].to_vec()));
        raw = &raw[total..];
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_reads_are_answered_in_order_and_a_handover_loses_no_byte() {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let relay = start_relay(config_for(&up)).await;
    // Reads on the hot path, then /healthz (hyper takes the connection with the bytes already read), then more
    // reads and a refused write, all in one write.
    let pipelined = format!(
        "GET {TIME}?a=1 HTTP/1.1\r\nHost: x\r\n\r\n\
         GET /v1/binance/fapi/v1/time HTTP/1.1\r\nHost: x\r\n\r\n\
         GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n\
         GET {TIME}?a=2 HTTP/1.1\r\nHost: x\r\n\r\n\
         DELETE /v1/binance/api/v3/order HTTP/1.1\r\nHost: x\r\n\r\n\
         GET {TIME}?a=3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    );
    let mut s = TcpStream::connect(relay.addr).await.unwrap();
    s.write_all(pipelined.as_bytes()).await.unwrap();
    let rs = responses(&mut s).await;
    let got: Vec<(u16, String)> = rs.iter().map(|r| (r.status, r.text())).collect();
    assert_eq!(got.len(), 6, "{got:?}");
    assert_eq!(got[0], (200, r#"{"path":"/api/v3/time"}"#.to_owned()));
    assert_eq!(got[1], (200, r#"{"path":"/fapi/v1/time"}"#.to_owned()));
    assert_eq!(got[2], (200, r#"{"status":"ok"}"#.to_owned()));
    assert_eq!(got[3], (200, r#"{"path":"/api/v3/time"}"#.to_owned()));
    assert_eq!(rs[4].status, 405);
    assert_eq!(rs[4].json()["source"], "relay");
    assert_eq!(got[5].0, 200);
    let targets: Vec<String> = up.seen().iter().map(|s| s.target.clone()).collect();
    assert_eq!(targets, ["/api/v3/time?a=1", "/fapi/v1/time", "/api/v3/time?a=2", "/api/v3/time?a=3"]);
    // The hot path's responses carry the same headers as those through axum.
    for r in [&rs[0], &rs[3]] {
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
        assert!(r.header("content-security-policy").is_some() && r.header("date").is_some());
        // Alone on the relay, the client's position is the IP's usage: the venue's 3, or the relay's own count of
        // the weight it sent when that is more (docs/relay.md, "Used-weight headers").
        let used: u32 = r.header("x-mbx-used-weight-1m").expect("the used-weight header").parse().unwrap();
        assert!(used >= 3, "{used}");
        assert_eq!(r.header("set-cookie"), None);
    }
    assert_eq!(rs[5].header("connection"), Some("close"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_split_over_many_reads_is_forwarded_once() {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let relay = start_relay(config_for(&up)).await;
    let mut s = TcpStream::connect(relay.addr).await.unwrap();
    let req =
        format!("GET {TIME}?x=split HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nConnection: close\r\n\r\n");
    for piece in req.as_bytes().chunks(7) {
        s.write_all(piece).await.unwrap();
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let rs = responses(&mut s).await;
    assert_eq!(rs.len(), 1);
    assert_eq!(rs[0].status, 200);
    assert_eq!(up.seen().len(), 1);
    assert_eq!(up.seen()[0].header("accept"), Some("application/json"));
}

/// A TLS upstream on loopback: a certificate for localhost from the test CA in `tests/data/tls`. It answers every
/// request 200, with a Content-Length body, or a chunked one (with an extension and a trailer the client must not
/// see) when the query holds `mode=chunked`.
struct TlsUpstream {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<(String, SocketAddr)>>>,
}

async fn start_tls_upstream() -> TlsUpstream {
    let certs = vec![CertificateDer::from_pem_slice(include_bytes!("data/tls/leaf.pem")).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(include_bytes!("data/tls/leaf.key")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let up = TlsUpstream { addr: listener.local_addr().unwrap(), seen: Arc::default() };
    let seen = up.seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((sock, peer)) = listener.accept().await else { continue };
            let (acceptor, seen) = (acceptor.clone(), seen.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(sock).await else { return };
                let mut buf = Vec::new();
                loop {
                    let end = loop {
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i;
                        }
                        let mut chunk = [0u8; 4096];
                        match tls.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                    buf.drain(..end + 4);
                    let target = head.split(' ').nth(1).unwrap_or("").to_owned();
                    seen.lock().unwrap().push((head.clone(), peer));
                    let path = target.split('?').next().unwrap_or("");
                    let body = format!("{{\"path\":\"{path}\",\"tls\":true}}");
                    let resp = if target.contains("mode=chunked") {
                        let (a, b) = body.split_at(5);
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n\
                             {:x};ext=1\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\nX-Trailer-Leak: t\r\n\r\n",
                            a.len(),
                            b.len()
                        )
                    } else {
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-MBX-USED-WEIGHT-1M: 5\r\n\
                             Server: tls-sim\r\nContent-Length: {}\r\n\r\n{body}",
                            body.len()
                        )
                    };
                    if tls.write_all(resp.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    up
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_upstream_is_forwarded_to_over_pooled_connections() {
    let up = start_tls_upstream().await;
    let mut c = relay::Config::default();
    let url = format!("https://localhost:{}", up.addr.port());
    c.apply_env(|k| k.starts_with("RELAY_UPSTREAM_").then(|| url.clone())).unwrap();
    c.extra_upstream_roots = vec![CertificateDer::from_pem_slice(include_bytes!("data/tls/ca.pem")).unwrap()];
    let relay = start_relay(c).await;
    // Hot path (GET), content-length and chunked bodies, over keep-alive.
    let mut s = TcpStream::connect(relay.addr).await.unwrap();
    let reqs = format!(
        "GET {TIME}?a=1 HTTP/1.1\r\nHost: x\r\n\r\n\
         GET {TIME}?mode=chunked HTTP/1.1\r\nHost: x\r\n\r\n\
         GET {TIME}?a=3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    );
    s.write_all(reqs.as_bytes()).await.unwrap();
    let rs = responses(&mut s).await;
    assert_eq!(rs.len(), 3, "{:?}", rs.iter().map(|r| r.text()).collect::<Vec<_>>());
    for r in &rs {
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.raw));
        assert_eq!(r.text(), r#"{"path":"/api/v3/time","tls":true}"#);
        assert_eq!(r.header("server"), None);
    }
    assert_eq!(rs[0].header("x-mbx-used-weight-1m"), Some("5"));
    assert_eq!(rs[1].header("transfer-encoding"), Some("chunked"));
    let raw1 = String::from_utf8_lossy(&rs[1].raw).into_owned();
    assert!(!raw1.contains("ext=1") && !raw1.contains("X-Trailer-Leak"), "chunk extensions and trailers stay: {raw1}");
    // The funding-wallet POST goes through axum, over the same kind of connection.
    let r = request(
        relay.addr,
        "POST",
        "/v1/binance/sapi/v1/asset/get-funding-asset?timestamp=1&signature=s",
        &[("X-MBX-APIKEY", BINANCE_KEY)],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), r#"{"path":"/sapi/v1/asset/get-funding-asset","tls":true}"#);
    let seen = up.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 4);
    assert!(seen[0].0.starts_with("GET /api/v3/time?a=1 HTTP/1.1\r\n"), "{}", seen[0].0);
    assert!(seen[0].0.contains(&format!("host: localhost:{}", up.addr.port())), "{}", seen[0].0);
    assert!(seen[3].0.starts_with("POST /sapi/v1/asset/get-funding-asset?timestamp=1&signature=s HTTP/1.1\r\n"));
    // One TLS connection carried all of them.
    let peers: std::collections::HashSet<_> = seen.iter().map(|s| s.1).collect();
    assert_eq!(peers.len(), 1, "{peers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_tls_upstream_is_unreachable() {
    let up = start_tls_upstream().await;
    let mut c = relay::Config::default();
    let url = format!("https://localhost:{}", up.addr.port());
    c.apply_env(|k| k.starts_with("RELAY_UPSTREAM_").then(|| url.clone())).unwrap();
    let relay = start_relay(c).await;
    let r = get(relay.addr, TIME, &[]).await;
    assert_eq!((r.status, r.json()["relay_reason"].as_str()), (502, Some("upstream_unreachable")), "{}", r.text());
    assert!(up.seen.lock().unwrap().is_empty());
}
