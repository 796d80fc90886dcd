//! Behind a load balancer: the PROXY protocol (v1 and v2) and `X-Forwarded-For`, believed only from the configured
//! `trusted_proxies`, so that the per-IP connection limit and the budget's fairness see the real client; from any
//! other address a PROXY header is refused and `X-Forwarded-For` means nothing. Both HTTP paths (the hot path and
//! hyper) are run.

mod common;

use std::net::IpAddr;

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TIME: &str = "/v1/binance/api/v3/time";
/// Weight 20: a client's fair share of a 300-weight budget (80% usable, at most half per client) is six of them.
const HEAVY: &str = "/v1/binance/api/v3/exchangeInfo";

fn v1(src: &str, sport: u16) -> Vec<u8> {
    let family = if src.contains(':') { "TCP6" } else { "TCP4" };
    let dst = if src.contains(':') { "::1" } else { "127.0.0.1" };
    format!("PROXY {family} {src} {dst} {sport} 8080\r\n").into_bytes()
}

fn v2(src: IpAddr, sport: u16) -> Vec<u8> {
    let mut h = relay::proxy::V2_SIGNATURE.to_vec();
    match src {
        IpAddr::V4(ip) => {
            h.extend_from_slice(&[0x21, 0x11, 0, 12]);
            h.extend_from_slice(&ip.octets());
            h.extend_from_slice(&[127, 0, 0, 1]);
        }
        IpAddr::V6(ip) => {
            h.extend_from_slice(&[0x21, 0x21, 0, 36]);
            h.extend_from_slice(&ip.octets());
            h.extend_from_slice(&std::net::Ipv6Addr::LOCALHOST.octets());
        }
    }
    h.extend_from_slice(&sport.to_be_bytes());
    h.extend_from_slice(&8080u16.to_be_bytes());
    h
}

/// A relay for `up` trusting 127.0.0.1 (and nothing else), with a small budget and `per_ip` connections per client.
async fn relay_behind_proxy(up: &Upstream, hot_path: bool, per_ip: usize) -> Running {
    let mut c = config_for(up);
    c.hot_path = hot_path;
    c.trusted_proxies = vec![relay::proxy::Cidr::parse("127.0.0.1/32").unwrap()];
    c.limits.max_connections_per_ip = per_ip;
    c.limits.binance_spot_weight_per_minute = 300;
    start_relay(c).await
}

/// The per-IP connection limit groups IPv6 clients by /64, as the budget does (docs/relay.md, Fairness): every
/// address of one /64 shares the limit, so a client cannot open it again from each of its 2^64 addresses; another
/// /64 has its own; an IPv4-mapped IPv6 address counts as its IPv4 address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_from_one_ipv6_slash_64_share_the_per_ip_limit() {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let relay = relay_behind_proxy(&up, true, 2).await;
    let lo = IpAddr::from([127, 0, 0, 1]);
    let get = format!("GET {TIME} HTTP/1.1\r\nHost: x\r\n\r\n");
    let through = |source: &'static str| {
        let get = get.clone();
        let addr = relay.addr;
        async move {
            let mut s = connect_from(lo, addr).await;
            s.write_all(&[v1(source, 1000), get.into_bytes()].concat()).await.unwrap();
            let r = response(&mut s).await;
            (s, r)
        }
    };
    // Two addresses of 2001:db8:1:2::/64 fill its limit of two.
    let (a, ra) = through("2001:db8:1:2::1").await;
    let (b, rb) = through("2001:db8:1:2:ffff:ffff:ffff:fffe").await;
    assert_eq!((ra.status, rb.status), (200, 200));
    let slash64: IpAddr = "2001:db8:1:2::".parse().unwrap();
    assert_eq!(relay.relay.connections_per_ip.open(slash64), 2, "both counted under their /64");
    // A third address of the same /64 is over the limit.
    let (_c, rc) = through("2001:db8:1:2:1234::9").await;
    assert_eq!((rc.status, rc.json()["code"].as_str()), (429, Some("too_many_connections")));
    // The neighbouring /64 has a limit of its own.
    let (_d, rd) = through("2001:db8:1:3::1").await;
    assert_eq!(rd.status, 200, "another /64");
    // Closing one frees a place for any address of the /64.
    drop(a);
    assert!(eventually(|| relay.relay.connections_per_ip.open(slash64) < 2).await);
    let (_e, re) = through("2001:db8:1:2::77").await;
    assert_eq!(re.status, 200);
    drop(b);
    // An IPv4-mapped IPv6 address is its IPv4 address.
    let (_f, rf) = through("::ffff:203.0.113.9").await;
    assert_eq!(rf.status, 200);
    assert_eq!(relay.relay.connections_per_ip.open(IpAddr::from([203, 0, 113, 9])), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_proxy_s_headers_name_the_client_for_the_per_ip_limit() {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    for hot_path in [true, false] {
        let relay = relay_behind_proxy(&up, hot_path, 2).await;
        let lo = IpAddr::from([127, 0, 0, 1]);
        let get = format!("GET {TIME} HTTP/1.1\r\nHost: x\r\n\r\n");
        for (name, a, b) in [
            ("v1", v1("203.0.113.7", 1000), v1("198.51.100.1", 1000)),
            ("v1 IPv6", v1("2001:db8::7", 1000), v1("2001:db8:0:1::8", 1000)),
            ("v2", v2("203.0.113.7".parse().unwrap(), 1000), v2("198.51.100.1".parse().unwrap(), 1000)),
            ("v2 IPv6", v2("2001:db8::7".parse().unwrap(), 1000), v2("2001:db8:0:1::8".parse().unwrap(), 1000)),
        ] {
            let client: IpAddr = match relay::proxy::parse(&a).unwrap() {
                relay::proxy::Start::Header { source: Some(s), .. } => s.ip(),
                other => panic!("{other:?}"),
            };
            // Two connections through the proxy for one client, the header and a request in one write each.
            let mut held = Vec::new();
            for _ in 0..2 {
                let mut s = connect_from(lo, relay.addr).await;
                s.write_all(&[a.clone(), get.clone().into_bytes()].concat()).await.unwrap();
                assert_eq!(response(&mut s).await.status, 200, "{name} (hot path {hot_path})");
                held.push(s);
            }
            assert_eq!(relay.relay.connections_per_ip.open(client), 2, "{name}: counted under the client's address");
            assert_eq!(relay.relay.connections_per_ip.open(lo), 0, "{name}: not under the proxy's");
            // A third for the same client is over its limit; another client through the same proxy is not.
            let mut s = connect_from(lo, relay.addr).await;
            s.write_all(&[a.clone(), get.clone().into_bytes()].concat()).await.unwrap();
            let r = response(&mut s).await;
            assert_eq!((r.status, r.json()["code"].as_str()), (429, Some("too_many_connections")), "{name}");
            let mut s = connect_from(lo, relay.addr).await;
            // The header in a write of its own, the request later.
            s.write_all(&b).await.unwrap();
            s.write_all(get.as_bytes()).await.unwrap();
            assert_eq!(response(&mut s).await.status, 200, "{name}: another client");
            drop(held);
            drop(s);
            assert!(eventually(|| relay.relay.connections_per_ip.open(client) == 0).await);
        }
        // LOCAL (a health check from the proxy itself) and no header at all: the proxy's own connection.
        let mut local = relay::proxy::V2_SIGNATURE.to_vec();
        local.extend_from_slice(&[0x20, 0x00, 0, 0]);
        for start in [local, b"PROXY UNKNOWN\r\n".to_vec(), Vec::new()] {
            let mut s = connect_from(lo, relay.addr).await;
            s.write_all(&[start, get.clone().into_bytes()].concat()).await.unwrap();
            assert_eq!(response(&mut s).await.status, 200);
            assert_eq!(relay.relay.connections_per_ip.open(lo), 1);
            // Closed before the next one: the relay counts it out when it sees the close, not before.
            drop(s);
            assert!(eventually(|| relay.relay.connections_per_ip.open(lo) == 0).await);
        }
        // A header the relay cannot read, from a trusted proxy: refused, and nothing forwarded.
        let before = up.seen().len();
        for bad in [&b"PROXY TCP4 203.0.113.7 127.0.0.1 1\r\n"[..], b"PROXY TCP4 nowhere 127.0.0.1 1 2\r\n"] {
            let mut s = connect_from(lo, relay.addr).await;
            s.write_all(&[bad, get.as_bytes()].concat()).await.unwrap();
            let r = response(&mut s).await;
            assert_eq!((r.status, r.json()["code"].as_str()), (400, Some("bad_proxy_header")), "{}", r.text());
            assert_eq!(r.header("connection"), Some("close"));
        }
        assert_eq!(up.seen().len(), before);
        assert_eq!(relay.relay.metrics.refusals_of("bad_proxy_header"), 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_header_from_an_untrusted_address_is_refused() {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    for hot_path in [true, false] {
        let relay = relay_behind_proxy(&up, hot_path, 256).await;
        let untrusted = IpAddr::from([127, 0, 0, 5]);
        let smuggled = b"DELETE /v1/binance/api/v3/order HTTP/1.1\r\nHost: x\r\n\r\n";
        let starts: Vec<Vec<u8>> = vec![
            v1("203.0.113.7", 1000),
            v1("2001:db8::7", 1000),
            v2("203.0.113.7".parse().unwrap(), 1000),
            b"PROXY UNKNOWN\r\n".to_vec(),
            b"PROXY TCP4 garbage\r\n".to_vec(),
        ];
        for start in starts {
            let mut s = connect_from(untrusted, relay.addr).await;
            s.write_all(
                &[&start[..], &format!("GET {TIME} HTTP/1.1\r\nHost: x\r\n\r\n").into_bytes(), smuggled].concat(),
            )
            .await
            .unwrap();
            let mut out = Vec::new();
            let _ = tokio::time::timeout(HANG, s.read_to_end(&mut out)).await;
            let r = parse(out);
            let j = r.json();
            assert_eq!(
                (r.status, j["code"].as_str(), j["source"].as_str()),
                (400, Some("proxy_header_not_trusted"), Some("relay")),
                "{:?} (hot path {hot_path}): {}",
                String::from_utf8_lossy(&start),
                String::from_utf8_lossy(&r.raw)
            );
            assert_eq!(r.header("connection"), Some("close"));
            assert_eq!(relay.relay.connections_per_ip.open(IpAddr::from([203, 0, 113, 7])), 0);
        }
        assert!(up.seen().is_empty(), "a request behind a forged PROXY header reached the venue");
        assert_eq!(relay.relay.metrics.refusals_of("proxy_header_not_trusted"), 5);
    }
}

/// Requests for `HEAVY` from `send` until the budget refuses one (at most 20); the refusal.
async fn exhaust(mut send: impl AsyncFnMut() -> Resp) -> Resp {
    for _ in 0..20 {
        let r = send().await;
        if r.status != 200 {
            return r;
        }
    }
    panic!("the budget never refused");
}

/// One fairness round: client A through `a` until its fair share runs out, then client B through `b`. Whether B
/// was served (its own share) or refused (A's share, as the same client); `None` when the round straddled a
/// minute (the budget's window turned, and the round means nothing).
async fn fair_round(relay: &Running, a: &[u8], b: &[u8], from: IpAddr, header: &str) -> Option<bool> {
    let minute = relay::now_ms() / 60_000;
    let send = |start: Vec<u8>, forwarded: &'static str| {
        let addr = relay.addr;
        let header = header.to_owned();
        async move || {
            let mut s = connect_from(from, addr).await;
            let req = format!("GET {HEAVY} HTTP/1.1\r\nHost: x\r\n{header}{forwarded}Connection: close\r\n\r\n");
            s.write_all(&[start.clone(), req.into_bytes()].concat()).await.unwrap();
            response(&mut s).await
        }
    };
    let (xa, xb) = if header.is_empty() { (a.to_vec(), b.to_vec()) } else { (Vec::new(), Vec::new()) };
    let (fa, fb): (&'static str, &'static str) = if header.is_empty() {
        ("", "")
    } else {
        ("X-Forwarded-For: 203.0.113.7\r\n", "X-Forwarded-For: 198.51.100.1\r\n")
    };
    let refused = exhaust(send(xa, fa)).await;
    assert_eq!(refused.json()["relay_reason"], "fair_share", "{}", refused.text());
    let r = send(xb, fb)().await;
    (relay::now_ms() / 60_000 == minute).then_some(r.status == 200)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fairness_sees_the_client_behind_a_trusted_proxy_only() {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let lo = IpAddr::from([127, 0, 0, 1]);
    let untrusted = IpAddr::from([127, 0, 0, 5]);
    let (a, b) = (v1("203.0.113.7", 1), v2("198.51.100.1".parse().unwrap(), 2));
    for hot_path in [true, false] {
        // (from, PROXY headers or X-Forwarded-For, the same made-up key header on both clients' public reads (their
        // addresses decide, not the key), whether B has a share of its own)
        for (from, xff, key, own_share) in [
            (lo, false, false, true),
            (lo, true, false, true),
            (lo, true, true, true),
            (untrusted, true, false, false),
            (untrusted, true, true, false),
        ] {
            let mut rounds = 0;
            let served = loop {
                rounds += 1;
                // A fresh relay (and budget) per round.
                let relay = relay_behind_proxy(&up, hot_path, 256).await;
                let header = match (xff, key) {
                    (false, _) => "",
                    (true, false) => "X-Trace: 1\r\n",
                    (true, true) => "X-MBX-APIKEY: madeUpSharedKey1\r\n",
                };
                match fair_round(&relay, &a, &b, from, header).await {
                    Some(served) => break served,
                    None => assert!(rounds < 3, "every round straddled a minute"),
                }
            };
            assert_eq!(
                served,
                own_share,
                "hot path {hot_path}, from {from}, X-Forwarded-For {xff}, key {key}: client B {}",
                if served { "had a share of its own" } else { "was taken for client A" }
            );
        }
    }
}

#[test]
fn trusted_proxies_are_configured_by_file_and_environment() {
    let mut c = relay::Config::default();
    assert!(c.trusted_proxies.is_empty(), "nobody is trusted by default");
    c.apply_toml("r.toml", "trusted_proxies = [\"10.0.0.0/8\", \"127.0.0.1\", \"2001:db8::/32\"]\n").unwrap();
    assert_eq!(
        c.trusted_proxies.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["10.0.0.0/8", "127.0.0.1/32", "2001:db8::/32"]
    );
    let err = c.apply_toml("r.toml", "\ntrusted_proxies = [\"10.0.0.0/33\"]\n").unwrap_err().to_string();
    assert!(err.contains("r.toml line 2") && err.contains("trusted_proxies"), "{err}");
    let c = relay::Args::default()
        .resolve(|k| (k == "RELAY_TRUSTED_PROXIES").then(|| "192.0.2.0/24, ::1".to_owned()))
        .unwrap();
    assert_eq!(c.trusted_proxies.len(), 2);
    let err = relay::Args::default()
        .resolve(|k| (k == "RELAY_TRUSTED_PROXIES").then(|| "everyone".to_owned()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("RELAY_TRUSTED_PROXIES"), "{err}");
}
