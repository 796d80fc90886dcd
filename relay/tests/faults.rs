//! Upstream faults (stalls, resets, 5xx, slow and oversized bodies, refused connections), venue back-off, the
//! weight budget under a simulated backfill, and 1,000 concurrent connections.

mod common;

use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::*;

const LO: [u8; 4] = [127, 0, 0, 1];

/// A relay for a venue that answers: its total timeout is a hang's, so a slow machine is never cut by it.
fn patient_limits(up: &Upstream) -> relay::Config {
    let mut c = config_for(up);
    c.limits.total_timeout_ms = HANG.as_millis() as u64;
    c.limits.max_response_bytes = 1024 * 1024;
    c
}

/// A relay whose total timeout is `ms`, for a venue that does not finish its answer: then the deadline is the event
/// under test, and nothing else races it.
fn deadline_limits(up: &Upstream, ms: u64) -> relay::Config {
    let mut c = patient_limits(up);
    c.limits.total_timeout_ms = ms;
    c
}

const TIME: &str = "/v1/binance/api/v3/time";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_failures_map_to_502_and_504() {
    let up = start_upstream(IpAddr::from(LO)).await;

    // A venue that never answers (it holds the request for 60 s, then closes without an answer, which would be a
    // 502): 504 at the relay's total timeout, not later.
    let short = start_relay(deadline_limits(&up, 800)).await;
    up.set(Mode::Stall);
    let r = get(short.addr, TIME, &[]).await;
    assert_eq!((r.status, r.json()["relay_reason"].as_str()), (504, Some("upstream_timeout")), "{}", r.text());
    assert_eq!(
        (r.json()["code"].as_i64(), r.json()["source"].as_str()),
        (Some(-1007), Some("relay")),
        "Binance's shape"
    );

    let relay = start_relay(patient_limits(&up)).await;
    up.set(Mode::Reset);
    let r = get(relay.addr, TIME, &[]).await;
    assert_eq!((r.status, r.json()["relay_reason"].as_str()), (502, Some("upstream_failed")), "{}", r.text());
    assert_eq!(r.json()["code"], -1001, "Binance's shape: {}", r.text());
    // On a Bitget route, Bitget's shape.
    let r = get(relay.addr, "/v1/bitget/api/v2/public/time", &[]).await;
    let j = r.json();
    assert_eq!(
        (r.status, j["relay_reason"].as_str(), j["code"].as_str()),
        (502, Some("upstream_failed"), Some("40015"))
    );
    assert!(j["msg"].as_str().unwrap().contains("upstream_failed") && j["requestTime"].is_u64() && j["data"].is_null());

    for code in [500, 502, 503] {
        up.set(Mode::Status(code));
        let r = get(relay.addr, TIME, &[]).await;
        assert_eq!(r.status, 502);
        assert_eq!(r.json()["relay_reason"], "upstream_error");
        assert_eq!(r.json()["upstream_status"], code);
    }

    up.set(Mode::Big(2 * 1024 * 1024));
    let r = get(relay.addr, TIME, &[]).await;
    assert_eq!((r.status, r.json()["relay_reason"].as_str()), (502, Some("upstream_too_large")));

    // A body without a length that never ends is cut at the cap, never buffered whole, and the connection closed.
    up.set(Mode::EndlessChunked);
    let r = get(relay.addr, TIME, &[]).await;
    assert_eq!(r.status, 200);
    assert!(r.body.len() <= 1024 * 1024, "{} bytes passed the cap", r.body.len());
    assert!(!String::from_utf8_lossy(&r.raw).ends_with("0\r\n\r\n"), "a cut body must not look complete");
    assert!(r.closed, "the relay did not close the connection of a cut body");

    // A slow body is cut at the total deadline: the client sees an incomplete body and the connection closed, not a
    // hang. The venue's head must reach the relay before the deadline: on a machine too slow for that the relay
    // answers 504, and the deadline is doubled (only a hang runs out of doublings).
    up.set(Mode::SlowBody);
    let mut deadline_ms = 1_000;
    let r = loop {
        let cutting = start_relay(deadline_limits(&up, deadline_ms)).await;
        let r = get(cutting.addr, TIME, &[]).await;
        if r.status == 504 && deadline_ms < 64_000 {
            deadline_ms *= 2;
            continue;
        }
        break r;
    };
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.body.len() < 100_000, "body was not cut");
    assert!(r.closed, "the relay did not close the connection of a cut body");

    // Nothing listening: 502 unreachable.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let mut c = patient_limits(&up);
    c.apply_env(|k| (k == "RELAY_UPSTREAM_BINANCE_SPOT").then(|| format!("http://{closed}"))).unwrap();
    let dead = start_relay(c).await;
    let r = get(dead.addr, TIME, &[]).await;
    assert_eq!((r.status, r.json()["relay_reason"].as_str()), (502, Some("upstream_unreachable")));

    // After all that the relay still serves, and every client connection was closed.
    up.set(Mode::Ok);
    assert_eq!(get(relay.addr, TIME, &[]).await.status, 200);
    eventually(|| relay.relay.metrics.open_connections.load(Ordering::SeqCst) == 0).await;
    assert_eq!(relay.relay.metrics.open_connections.load(Ordering::SeqCst), 0);
    let m = relay.metrics_text().await;
    for kind in ["failed", "status_5xx", "too_large"] {
        assert!(
            m.contains(&format!("relay_upstream_errors_total{{host=\"binance_spot\",kind=\"{kind}\"}}")),
            "{kind}: {m}"
        );
    }
    let m = short.metrics_text().await;
    assert!(m.contains("relay_upstream_errors_total{host=\"binance_spot\",kind=\"timeout\"}"), "timeout: {m}");
}

/// The relay's own upstream pool: connections are reused, a connection the venue closed is not used again (or the
/// request, handed back unsent, goes over a new one), and a request that may have reached the venue is never sent
/// twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pooled_connections_are_reused_and_requests_never_sent_twice() {
    let up = start_upstream(IpAddr::from(LO)).await;
    let relay = start_relay(patient_limits(&up)).await;
    let accepted = || relay.relay.metrics.accepted_connections.load(Ordering::SeqCst);
    // Sequential reads reuse one upstream connection.
    for _ in 0..10 {
        assert_eq!(get(relay.addr, TIME, &[]).await.status, 200);
    }
    assert_eq!(up.seen().len(), 10);
    let peers: std::collections::HashSet<_> = up.seen().iter().map(|s| s.peer).collect();
    assert_eq!(peers.len(), 1, "one pooled connection for sequential reads: {peers:?}");
    // A venue that closes after each response, announced (at once) or silently (after 50 ms idle, before the next
    // read: the test waits until the venue has closed it): every read still succeeds, each is sent exactly once, and
    // a closed connection is never reused. (A venue closing silently at the very moment a request is written cannot
    // be told from a failure after sending: that request is answered 502 rather than sent twice, as below.)
    for (announce, n) in [(true, 20), (false, 8)] {
        up.set(Mode::OkThenClose(announce));
        let before = up.seen().len();
        for i in 0..n {
            let r = get(relay.addr, TIME, &[]).await;
            assert_eq!(r.status, 200, "announce {announce}, read {i}: {}", r.text());
            if !announce {
                let gone = eventually(|| up.open.load(Ordering::SeqCst) == 0).await;
                assert!(gone, "the venue did not close its idle connection");
            }
        }
        let seen = up.seen();
        assert_eq!(seen.len() - before, n, "announce {announce}: a read was sent twice or lost");
        let peers: std::collections::HashSet<_> = seen[before..].iter().map(|s| s.peer).collect();
        assert_eq!(peers.len(), n, "announce {announce}: a closed connection was reused");
    }
    // A reset after the venue read the request, on a pooled (reused) connection: 502, and not retried.
    up.set(Mode::Ok);
    assert_eq!(get(relay.addr, TIME, &[]).await.status, 200);
    up.set(Mode::Reset);
    let before = up.seen().len();
    let r = get(relay.addr, TIME, &[]).await;
    assert_eq!((r.status, r.json()["relay_reason"].as_str()), (502, Some("upstream_failed")), "{}", r.text());
    assert_eq!(up.seen().len() - before, 1, "a request that reached the venue was sent again");
    // Idle pooled connections are bounded by the concurrency, and the relay still serves.
    up.set(Mode::Ok);
    assert_eq!(get(relay.addr, TIME, &[]).await.status, 200);
    assert!(up.open.load(Ordering::SeqCst) <= 2, "{} upstream connections open", up.open.load(Ordering::SeqCst));
    assert_eq!(accepted(), 41);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn venue_429_and_418_are_honoured() {
    for code in [429u16, 418] {
        let up = start_upstream(IpAddr::from(LO)).await;
        let relay = start_relay(config_for(&up)).await;
        up.set(Mode::Status(code));
        let r = get(relay.addr, TIME, &[]).await;
        assert_eq!(r.status, code, "the venue's own answer reaches the app");
        assert_eq!(r.header("retry-after"), Some("600"));
        assert_eq!(r.json()["code"], -1003);
        up.set(Mode::Ok);
        // Until Retry-After passes (600 s: the test ends long before), the relay answers itself and the venue is
        // left alone.
        for _ in 0..5 {
            let r = get(relay.addr, "/v1/binance/api/v3/exchangeInfo", &[]).await;
            assert_eq!(r.status, 429);
            assert_eq!(r.json()["relay_reason"], "venue_backoff");
            assert_eq!((r.json()["code"].as_i64(), r.json()["source"].as_str()), (Some(-1003), Some("relay")));
            let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
            assert!((1..=600).contains(&wait));
        }
        assert_eq!(up.seen().len(), 1);
        // Other hosts are not affected.
        assert_eq!(get(relay.addr, "/v1/binance/fapi/v1/time", &[]).await.status, 200);
    }
}

/// What one run of the backfill saw.
struct Backfill {
    /// The heavy client's reads served before its first refusal, and that refusal.
    heavy_ok: u32,
    heavy_refusal: Resp,
    /// The light clients' answers.
    light: Vec<Resp>,
    /// The storm's statuses, counted.
    storm: std::collections::BTreeMap<u16, u32>,
    /// What the venue saw: requests, 429s and 418s.
    forwarded: usize,
    venue_429: u64,
    venue_418: u64,
}

/// A heavy backfill, light clients, then a storm from many clients, against a fresh venue and relay; `None` if the
/// run straddled a minute boundary, where both sides' weight windows reset and its figures mean nothing.
async fn backfill_in_one_minute() -> Option<Backfill> {
    let up = start_upstream(IpAddr::from(LO)).await;
    up.set(Mode::Weights(300));
    let mut c = config_for(&up);
    c.limits.binance_spot_weight_per_minute = 300;
    let relay = start_relay(c).await;
    let minute = relay::now_ms() / 60_000;
    let account = "/v1/binance/api/v3/account?timestamp=1&signature=s"; // weight 20
    // Each user from an address of its own (one address is one client for fairness, whatever keys it sends).
    let send = |key: String, from: u8| {
        let addr = relay.addr;
        async move { get_from(IpAddr::from([127, 0, 0, from]), addr, account, &[("X-MBX-APIKEY", &key)]).await }
    };
    // A heavy backfill starts alone (bounded: a broken budget must not loop forever).
    let mut heavy_ok = 0;
    let heavy_refusal = loop {
        let r = send("heavy".into(), 1).await;
        if r.status != 200 || heavy_ok == 100 {
            break r;
        }
        heavy_ok += 1;
    };
    // Light users arriving later.
    let mut light = Vec::new();
    for i in 0..3 {
        light.push(send(format!("light{i}"), 10 + i).await);
    }
    // Then a storm from many clients at once.
    let mut tasks = Vec::new();
    for i in 0..20 {
        for _ in 0..10 {
            tasks.push(tokio::spawn(send(format!("storm{i}"), 20 + i)));
        }
    }
    let mut storm = std::collections::BTreeMap::new();
    for t in tasks {
        *storm.entry(t.await.unwrap().status).or_insert(0) += 1;
    }
    (relay::now_ms() / 60_000 == minute).then(|| Backfill {
        heavy_ok,
        heavy_refusal,
        light,
        storm,
        forwarded: up.seen().len(),
        venue_429: up.count_429.load(Ordering::SeqCst),
        venue_418: up.count_418.load(Ordering::SeqCst),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_from_many_clients_never_draws_a_418() {
    // Both sides' weight windows reset at minute boundaries: a run that straddles one is run again, from the start of
    // the next minute (a whole minute: only a hang does not fit).
    let mut runs = 0;
    let b = loop {
        let into_minute = relay::now_ms() % 60_000;
        if into_minute > 50_000 || runs > 0 {
            tokio::time::sleep(Duration::from_millis(60_000 - into_minute + 200)).await;
        }
        runs += 1;
        match backfill_in_one_minute().await {
            Some(b) => break b,
            None => assert!(runs < 3, "the backfill straddled a minute boundary twice, once from a minute's start"),
        }
    };
    // The heavy backfill got at most half of the usable 240, and was then told to wait.
    let r = &b.heavy_refusal;
    assert_eq!(r.status, 429, "{}", r.text());
    assert_eq!(r.json()["relay_reason"], "fair_share");
    assert_eq!(r.json()["code"], -1003);
    assert_eq!(r.json()["retry_after_s"].as_u64().map(|s| s.to_string()).as_deref(), r.header("retry-after"));
    assert!(r.header("retry-after").is_some());
    assert_eq!(b.heavy_ok, 6, "half of 80% of 300, at weight 20");
    // Light users arriving later are still served.
    for (i, r) in b.light.iter().enumerate() {
        assert_eq!(r.status, 200, "light client {i} starved: {}", r.text());
    }
    // The storm: refused by the relay where the budget ends, never by the venue.
    assert_eq!(b.venue_418, 0, "the venue banned the IP");
    assert_eq!(b.venue_429, 0, "the venue had to say 429");
    assert!(b.forwarded * 20 <= 240, "{} requests of weight 20 exceed the usable budget", b.forwarded);
    assert!(b.storm.get(&429).copied().unwrap_or(0) > 0, "{:?}", b.storm);
    assert!(b.storm.keys().all(|s| *s == 200 || *s == 429), "{:?}", b.storm);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_connections() {
    let up = start_upstream(IpAddr::from(LO)).await;
    let mut c = config_for(&up);
    c.limits.max_connections = 256; // more wait in the accept queue
    let relay = start_relay(c).await;
    let rss_before = rss_kib();
    let mut tasks = Vec::new();
    for i in 0..1000 {
        let addr = relay.addr;
        tasks.push(tokio::spawn(async move {
            // Half hold their connection open a while before sending, as slow clients do.
            if i % 2 == 0 {
                let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
                tokio::time::sleep(Duration::from_millis(50)).await;
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                s.write_all(format!("GET {TIME} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
                    .await
                    .unwrap();
                let mut out = Vec::new();
                let _ = tokio::time::timeout(HANG, s.read_to_end(&mut out)).await;
                parse(out).status
            } else {
                get(addr, TIME, &[]).await.status
            }
        }));
    }
    let mut ok = 0;
    for t in tasks {
        if t.await.unwrap() == 200 {
            ok += 1;
        }
    }
    assert_eq!(ok, 1000);
    // The relay ends a connection's task just after closing it: wait for the count to settle.
    eventually(|| relay.relay.metrics.open_connections.load(Ordering::SeqCst) == 0).await;
    assert_eq!(relay.relay.metrics.open_connections.load(Ordering::SeqCst), 0, "client connections leaked");
    assert_eq!(relay.relay.metrics.accepted_connections.load(Ordering::SeqCst), 1000);
    // Idle upstream connections stay pooled, bounded by the concurrency, not by the request count (the venue sees
    // the ones the relay dropped close a moment later).
    eventually(|| up.open.load(Ordering::SeqCst) <= 256 + 1).await;
    assert!(up.open.load(Ordering::SeqCst) <= 256 + 1, "{} upstream connections open", up.open.load(Ordering::SeqCst));
    if let (Some(a), Some(b)) = (rss_before, rss_kib()) {
        assert!(b.saturating_sub(a) < 200 * 1024, "RSS grew from {a} KiB to {b} KiB");
    }
}

fn rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()
}

/// Reads `s` until the peer closes it (or a hang); what was read.
async fn read_until_closed(s: &mut tokio::net::TcpStream) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut out = Vec::new();
    let closed = tokio::time::timeout(HANG, async {
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the relay never closed the connection");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_trickling_clients_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let up = start_upstream(IpAddr::from(LO)).await;
    let mut c = config_for(&up);
    c.limits.header_read_timeout_ms = 300;
    c.limits.total_timeout_ms = 2_000;
    let relay = start_relay(c).await;
    // The watchdog closes a connection that did nothing for a whole period (300 ms). A client that this busy machine
    // did not run for that long between connecting and sending is rightly closed before its request (it gets
    // nothing at all): such a try is made again.
    // Idle keep-alive after one request: answered, then closed, and not before a whole period without activity.
    let start = Instant::now();
    let (response, idle_for) = loop {
        assert!(start.elapsed() < HANG, "every try was closed before its request");
        let mut s = tokio::net::TcpStream::connect(relay.addr).await.unwrap();
        // Before the request is sent, so before the response: `idle_for` is at least the time from the response to
        // the close.
        let t = Instant::now();
        s.write_all(format!("GET {TIME} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes()).await.unwrap();
        let got = read_until_closed(&mut s).await;
        if !got.is_empty() {
            break (got, t.elapsed());
        }
    };
    assert!(String::from_utf8_lossy(&response).starts_with("HTTP/1.1 200"), "{}", String::from_utf8_lossy(&response));
    assert!(idle_for >= Duration::from_millis(250), "closed after {idle_for:?}");
    // A client trickling its request head a byte at a time, a head that never ends, is closed too.
    let mut s = tokio::net::TcpStream::connect(relay.addr).await.unwrap();
    let (mut rd, mut wr) = s.split();
    let head = format!("GET {TIME} HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    let trickle = async {
        for b in head.bytes().chain(std::iter::repeat(b'a')) {
            // A write fails once the relay has closed the connection.
            if wr.write_all(&[b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let mut buf = [0u8; 4096];
    let closed = tokio::time::timeout(HANG, async {
        tokio::select! {
            n = rd.read(&mut buf) => matches!(n, Ok(0) | Err(_)),
            () = trickle => true,
        }
    })
    .await;
    assert_eq!(closed, Ok(true), "the trickling client was answered or never closed");
    // A request waiting on a slow upstream is not cut by the watchdog (only by the total timeout).
    up.set(Mode::Stall);
    let start = Instant::now();
    let (r, waited) = loop {
        assert!(start.elapsed() < HANG, "every try was closed before its request");
        let t = Instant::now();
        let r = get(relay.addr, TIME, &[]).await;
        if !r.raw.is_empty() {
            break (r, t.elapsed());
        }
    };
    assert_eq!(r.status, 504, "{}", r.text());
    assert!(waited >= Duration::from_millis(1800), "cut after {waited:?}");
    eventually(|| relay.relay.metrics.open_connections.load(Ordering::SeqCst) == 0).await;
    assert_eq!(relay.relay.metrics.open_connections.load(Ordering::SeqCst), 0);
}
