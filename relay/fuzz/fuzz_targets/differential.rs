//! Fuzzes the two HTTP stacks against each other: the input bytes are sent, as one connection, to a relay with the
//! hand-written hot path and to one that serves everything through hyper (`hot_path = false`), both in front of one
//! recording venue on loopback. Invariant: the same decision (the same counters move), the same request heads
//! upstream byte for byte, and the same bytes answered, dates and Bitget's `requestTime` aside; one difference that
//! is hyper's own is allowed in exactly its form (see `unfinished_malformed_head`, as in `tests/differential.rs`).
#![no_main]

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Longer than anything but a hang.
const HANG: Duration = Duration::from_secs(60);

struct World {
    rt: tokio::runtime::Runtime,
    hot: (SocketAddr, Arc<relay::Relay>),
    hyper: (SocketAddr, Arc<relay::Relay>),
    /// Every request head the venue received.
    seen: Arc<Mutex<Vec<Vec<u8>>>>,
}

/// A venue that records each request head and answers 200 with a small JSON body and a weight header.
async fn venue(listener: TcpListener, seen: Arc<Mutex<Vec<Vec<u8>>>>) {
    loop {
        let Ok((mut sock, _)) = listener.accept().await else { continue };
        let seen = seen.clone();
        tokio::spawn(async move {
            let mut buf = Vec::new();
            loop {
                let end = loop {
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                    let mut chunk = [0u8; 4096];
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                };
                let head: Vec<u8> = buf.drain(..end).collect();
                seen.lock().unwrap().push(head);
                let body = r#"{"ok":true}"#;
                let r = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-MBX-USED-WEIGHT-1M: 3\r\nServer: sim\r\n\
                     Content-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                if sock.write_all(r.as_bytes()).await.is_err() {
                    return;
                }
            }
        });
    }
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (hot, hyper) = rt.block_on(async {
            let up = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", up.local_addr().unwrap());
            tokio::spawn(venue(up, seen.clone()));
            let mut c = relay::Config::default();
            c.apply_env(|k| k.starts_with("RELAY_UPSTREAM_").then(|| url.clone())).unwrap();
            c.allowed_origins = vec!["https://app.example.org".into()];
            c.limits.binance_spot_weight_per_minute = 2_000_000_000;
            c.limits.binance_sapi_ip_weight_per_minute = 2_000_000_000;
            c.limits.binance_futures_weight_per_minute = 2_000_000_000;
            c.limits.binance_coin_futures_weight_per_minute = 2_000_000_000;
            // Bitget limits public reads per egress IP and second: many egress IPs keep the budget out of the way.
            c.egress = (1..=32).map(|i| IpAddr::from([127, 0, 0, i])).collect();
            c.limits.max_connections_per_ip = 0;
            c.limits.header_read_timeout_ms = 2_000;
            let mut h = c.clone();
            h.hot_path = false;
            let mut out = Vec::new();
            for config in [c, h] {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                let relay = relay::Relay::new(config).unwrap();
                tokio::spawn(relay::serve(listener, relay.clone(), relay::app(relay.clone()), std::future::pending()));
                out.push((addr, relay));
            }
            let hyper = out.pop().unwrap();
            (out.pop().unwrap(), hyper)
        });
        World { rt, hot, hyper, seen }
    })
}

#[derive(Debug, PartialEq, Eq)]
struct Observed {
    answer: String,
    upstream: Vec<String>,
    counters: BTreeMap<String, u64>,
}

fn counters(relay: &relay::Relay) -> BTreeMap<String, u64> {
    relay
        .metrics
        .render(&[])
        .lines()
        .filter(|l| {
            ["relay_requests_total{", "relay_refusals_total{", "relay_upstream_errors_total{"]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .filter_map(|l| l.rsplit_once(' ').and_then(|(k, v)| Some((k.to_owned(), v.parse().ok()?))))
        .collect()
}

/// `date` values and `requestTime` digits replaced (the clock is not the HTTP path's doing).
fn normalise(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw).into_owned();
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("\r\ndate: ") {
        out.push_str(&rest[..i + 8]);
        rest = &rest[i + 8..];
        rest = &rest[rest.find("\r\n").unwrap_or(rest.len())..];
        out.push_str("<date>");
    }
    out.push_str(rest);
    let mut text = String::new();
    let mut rest = out.as_str();
    while let Some(i) = rest.find("\"requestTime\":") {
        text.push_str(&rest[..i + 14]);
        rest = &rest[i + 14..];
        let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        text.push_str(&"0".repeat(end));
        rest = &rest[end..];
    }
    text.push_str(rest);
    text
}

async fn observe(w: &World, (addr, relay): &(SocketAddr, Arc<relay::Relay>), data: &[u8]) -> Observed {
    let seen_before = w.seen.lock().unwrap().len();
    let before = counters(relay);
    let mut s = TcpStream::connect(addr).await.unwrap();
    let _ = s.write_all(data).await;
    let _ = s.shutdown().await;
    let mut raw = Vec::new();
    let read = tokio::time::timeout(HANG, async {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => raw.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the relay (hot path: {}) never closed the connection", relay.config.hot_path);
    let upstream =
        w.seen.lock().unwrap()[seen_before..].iter().map(|h| String::from_utf8_lossy(h).into_owned()).collect();
    let counters = counters(relay)
        .into_iter()
        .filter_map(|(k, v)| {
            let d = v - before.get(&k).copied().unwrap_or(0);
            (d > 0).then_some((k, d))
        })
        .collect();
    Observed { answer: normalise(&raw), upstream, counters }
}

/// As in `tests/differential.rs`: hyper answers a connection that ends inside a head its parser would refuse with
/// that refusal or with a silent close, depending on how the bytes were split into reads; the hot path always
/// hands hyper the buffered bytes in one read.
fn unfinished_malformed_head(data: &[u8], hot: &Observed, hyper: &Observed) -> bool {
    if data.ends_with(b"\r\n\r\n") || data.ends_with(b"\n\n") || hot.upstream != hyper.upstream {
        return false;
    }
    let Some(extra) = hot.answer.strip_prefix(hyper.answer.as_str()) else { return false };
    let Some(reason) = ["malformed_request", "headers_too_large", "target_too_long"].into_iter().find(|r| {
        extra.starts_with("HTTP/1.1 4") && extra.matches("\r\n\r\n").count() == 1 && extra.contains(&format!("\"{r}\""))
    }) else {
        return false;
    };
    let mut counters = hyper.counters.clone();
    *counters.entry(format!("relay_refusals_total{{reason=\"{reason}\"}}")).or_insert(0) += 1;
    counters == hot.counters
}

fn budget_refusal(o: &Observed) -> bool {
    o.counters.keys().any(|k| k.contains("budget_exhausted") || k.contains("fair_share"))
}

fuzz_target!(|data: &[u8]| {
    let w = world();
    w.rt.block_on(async {
        let hot = observe(w, &w.hot, data).await;
        let hyper = observe(w, &w.hyper, data).await;
        if hot == hyper || unfinished_malformed_head(data, &hot, &hyper) {
            return;
        }
        if budget_refusal(&hot) || budget_refusal(&hyper) {
            // A budget window (Bitget's are per second) turned between the two runs: not the HTTP path's doing, and
            // this input says nothing this time. (`tests/differential.rs` waits for the next window and runs such a
            // case again; here that wait would cost the fuzzer's bounded time.)
            return;
        }
        panic!(
            "the hot path and hyper differ\nrequest: {:?}\nhot path: {hot:#?}\nhyper: {hyper:#?}",
            String::from_utf8_lossy(data)
        );
    });
});
