//! Fuzzes the two HTTP stacks against each other: the input bytes are sent, as one connection, to a relay with the
//! hand-written hot path and to one that serves everything through hyper (`hot_path = false`), both in front of one
//! recording venue on loopback. Invariant: the same decision (the same counters move), the same request heads
//! upstream byte for byte, and the same bytes answered, dates and Bitget's `requestTime` aside; one difference that
//! is hyper's own is allowed in exactly its form (`unfinished_malformed_head`, shared with `tests/differential.rs`).
#![no_main]

#[path = "../../tests/observed/mod.rs"]
mod observed;

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use observed::{Observed, budget_refusal, counters, moved, normalise, read_until_closed, unfinished_malformed_head};

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

async fn observe(w: &World, (addr, relay): &(SocketAddr, Arc<relay::Relay>), data: &[u8]) -> Observed {
    let seen_before = w.seen.lock().unwrap().len();
    let before = counters(relay);
    let mut s = TcpStream::connect(addr).await.unwrap();
    let _ = s.write_all(data).await;
    let _ = s.shutdown().await;
    let raw = read_until_closed(&mut s, HANG).await;
    let raw =
        raw.unwrap_or_else(|| panic!("the relay (hot path: {}) never closed the connection", relay.config.hot_path));
    let upstream =
        w.seen.lock().unwrap()[seen_before..].iter().map(|h| String::from_utf8_lossy(h).into_owned()).collect();
    Observed { answer: normalise(&raw), upstream, counters: moved(&before, counters(relay)) }
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
