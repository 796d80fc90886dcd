//! The per-client-IP connection limit: connections over it are answered 429 `too_many_connections` with the relay's
//! JSON and closed, counted in /metrics, and other clients are not affected. Loopback only (127.0.0.x sources),
//! bounded in count.

mod common;

use std::net::{IpAddr, SocketAddr};

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TIME: &str = "/v1/binance/api/v3/time";
const LIMIT: usize = 8;

/// Sends one keep-alive GET and reads its response (Content-Length framed).
async fn get_on(s: &mut TcpStream) -> Resp {
    s.write_all(format!("GET {TIME} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes()).await.unwrap();
    response(s).await
}

/// Sends a GET with `Connection: close` from `ip` and reads until the relay closes.
async fn get_from(ip: IpAddr, to: SocketAddr) -> Resp {
    let mut s = connect_from(ip, to).await;
    let _ = s.write_all(format!("GET {TIME} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes()).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(HANG, s.read_to_end(&mut out)).await;
    parse(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_per_ip_limit_are_refused_and_other_clients_are_not() {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let mut c = config_for(&up);
    c.limits.max_connections_per_ip = LIMIT;
    let relay = start_relay(c).await;
    let (a, b) = (IpAddr::from([127, 0, 0, 5]), IpAddr::from([127, 0, 0, 6]));
    // The limit's worth of keep-alive connections from one address, each served and held open.
    let mut held = Vec::new();
    for _ in 0..LIMIT {
        let mut s = connect_from(a, relay.addr).await;
        assert_eq!(get_on(&mut s).await.status, 200);
        held.push(s);
    }
    assert_eq!(relay.relay.connections_per_ip.open(a), LIMIT as u32);
    // One more from the same address: refused with the relay's JSON, told to close, and closed.
    for _ in 0..3 {
        let r = get_from(a, relay.addr).await;
        assert_eq!(r.status, 429, "{}", String::from_utf8_lossy(&r.raw));
        let j = r.json();
        assert_eq!(j["source"], "relay");
        assert_eq!(j["code"], "too_many_connections");
        assert!(j["message"].is_string());
        assert_eq!(r.header("connection"), Some("close"));
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("retry-after"), Some("1"));
    }
    // The held connections still work, and another address is not affected (it gets the limit's worth too).
    assert_eq!(get_on(&mut held[0]).await.status, 200);
    let mut others = Vec::new();
    for _ in 0..LIMIT {
        let mut s = connect_from(b, relay.addr).await;
        assert_eq!(get_on(&mut s).await.status, 200);
        others.push(s);
    }
    let m = relay.relay.metrics.render(&[]);
    assert!(m.contains("relay_refusals_total{reason=\"too_many_connections\"} 3"), "{m}");
    assert_eq!(relay.relay.metrics.refusals_of("too_many_connections"), 3);
    // The refused requests never reached the venue: LIMIT + 1 + LIMIT forwarded reads only.
    assert_eq!(up.seen().len(), 2 * LIMIT + 1);
    // A closed connection frees its place.
    drop(held.pop());
    assert!(
        eventually(|| relay.relay.connections_per_ip.open(a) < LIMIT as u32).await,
        "the closed connection still counts"
    );
    assert_eq!(get_from(a, relay.addr).await.status, 200);
    // Everything closed: nothing is left counted.
    drop(held);
    drop(others);
    eventually(|| relay.relay.connections_per_ip.open(a) + relay.relay.connections_per_ip.open(b) == 0).await;
    assert_eq!(relay.relay.connections_per_ip.open(a), 0);
    assert_eq!(relay.relay.connections_per_ip.open(b), 0);
}

#[tokio::test]
async fn the_limit_is_configurable_and_zero_turns_it_off() {
    let mut c = relay::Config::default();
    assert_eq!(c.limits.max_connections_per_ip, 256);
    c.apply_toml("r.toml", "[limits]\nmax_connections_per_ip = 3\n").unwrap();
    assert_eq!(c.limits.max_connections_per_ip, 3);
    let err = c.apply_toml("r.toml", "[limits]\nmax_connections_per_ip = -1\n").unwrap_err().to_string();
    assert!(err.contains("r.toml line 2"), "{err}");
    // 0: no limit.
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let mut c = config_for(&up);
    c.limits.max_connections_per_ip = 0;
    let relay = start_relay(c).await;
    let ip = IpAddr::from([127, 0, 0, 7]);
    let mut held = Vec::new();
    for _ in 0..20 {
        let mut s = connect_from(ip, relay.addr).await;
        assert_eq!(get_on(&mut s).await.status, 200);
        held.push(s);
    }
    assert_eq!(relay.relay.metrics.refusals_of("too_many_connections"), 0);
}

/// The binary with four worker threads: the per-IP limit holds across the workers (one count for all of them), and
/// connections handed between workers to balance them are served like the others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_s_workers_share_the_limit_and_serve_every_connection() {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let dir = std::env::temp_dir().join(format!("relay-conn-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("relay.toml");
    let limit = 12;
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\nmetrics_listen = \"127.0.0.1:0\"\n[upstreams]\nbinance_spot = \"{u}\"\nbinance_futures = \"{u}\"\nbinance_coin_futures = \"{u}\"\nbitget = \"{u}\"\n\
             [limits]\nworker_threads = 4\nmax_connections_per_ip = {limit}\n",
            u = up.url()
        ),
    )
    .unwrap();
    // It binds the port itself; the test connects once it says it listens.
    let relay =
        RelayProcess::start(&["--config", config.to_str().unwrap()], &[("RELAY_LOG", "warn,relay=info".into())]);
    let addr = relay.addr;
    let probe = IpAddr::from([127, 0, 0, 10]);
    let a = IpAddr::from([127, 0, 0, 9]);
    let mut held = Vec::new();
    for _ in 0..limit {
        let mut s = connect_from(a, addr).await;
        assert_eq!(get_on(&mut s).await.status, 200);
        held.push(s);
    }
    // Every held connection, wherever it is served, still answers on keep-alive.
    for s in &mut held {
        assert_eq!(get_on(s).await.status, 200);
    }
    let r = get_from(a, addr).await;
    assert_eq!((r.status, r.json()["code"].as_str()), (429, Some("too_many_connections")), "{}", r.text());
    assert_eq!(get_from(probe, addr).await.status, 200, "another address is not affected");
    let mut s = connect_from(probe, relay.metrics.expect("the metrics listener is announced")).await;
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(HANG, s.read_to_end(&mut out)).await;
    let metrics = parse(out).text();
    assert!(metrics.contains("relay_refusals_total{reason=\"too_many_connections\"} 1"), "{metrics}");
    drop(held);
    drop(relay);
    let _ = std::fs::remove_dir_all(&dir);
}
