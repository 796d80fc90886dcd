//! Forwarding: byte-exact catalogue reads, header filtering both ways, egress binding, the static app, CORS,
//! pooling and configuration errors.

mod common;

use std::collections::BTreeSet;
use std::net::IpAddr;

use catalogue::{ENDPOINTS, Method, Security, Venue};
use common::*;

const LO2: [u8; 4] = [127, 0, 0, 2];

fn auth(venue: Venue) -> Vec<(&'static str, &'static str)> {
    match venue {
        Venue::Binance => vec![("X-MBX-APIKEY", BINANCE_KEY)],
        Venue::Bitget => vec![
            ("ACCESS-KEY", BITGET_KEY),
            ("ACCESS-SIGN", BITGET_SIGN),
            ("ACCESS-TIMESTAMP", "1700000000000"),
            ("ACCESS-PASSPHRASE", BITGET_PASSPHRASE),
            ("locale", "en-US"),
        ],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_catalogue_read_arrives_byte_identical() {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let relay = start_relay(config_for(&up)).await;
    let staking_relay = start_relay(config_for(&up)).await;
    // Unsorted keys, percent-encoding in both cases, sub-delims, an empty value: all must arrive untouched.
    let queries = [
        String::new(),
        format!(
            "zeta=1&symbol=BTCUSDT&alpha=%5b%22A%22%5D&list=a,b&e=&timestamp=1700000000000&recvWindow=5000&signature={BINANCE_SIGNATURE}"
        ),
        "symbol=ETHUSDT&startTime=1&endTime=2&limit=1000&x=a:b@c/d?e".to_owned(),
    ];
    let mut n = 0;
    for e in ENDPOINTS {
        for (i, q) in queries.iter().enumerate() {
            let target = if q.is_empty() { e.path.to_owned() } else { format!("{}?{q}", e.path) };
            let relay_target = format!("/v1/{}{target}", e.venue.as_str());
            let mut headers = if e.security == Security::Signed { auth(e.venue) } else { vec![] };
            // Bitget allows some signed endpoints once a second per key, and Binance's fiat orders cost half a
            // minute of a key's account weight (90,000 UID): one key per query keeps this test fast.
            if let Some(h) = headers.iter_mut().find(|(n, _)| *n == "ACCESS-KEY") {
                h.1 = Box::leak(format!("{BITGET_KEY}{i}").into_boxed_str());
            }
            if *e == catalogue::BINANCE_FIAT_ORDERS
                && let Some(h) = headers.iter_mut().find(|(n, _)| *n == "X-MBX-APIKEY")
            {
                h.1 = Box::leak(format!("{}{i}", &BINANCE_KEY[1..]).into_boxed_str());
            }
            // the staking histories (SAPI 150 each, docs/venues.md §1.16) go through a relay of their own: a
            // relay's SAPI budget of a minute is shared among the identities that ask (docs/relay.md), and three
            // reads each of them and of Simple Earn's would pass this key's share
            let via = if e.path.contains("-staking/") { staking_relay.addr } else { relay.addr };
            let r = request(via, e.method.as_str(), &relay_target, &headers).await;
            assert_eq!(r.status, 200, "{} {relay_target}: {}", e.method.as_str(), r.text());
            assert_eq!(r.text(), format!("{{\"path\":\"{}\"}}", e.path));
            let seen = up.seen();
            let last = seen.last().unwrap();
            assert_eq!(last.method, e.method.as_str());
            assert_eq!(last.target, target, "target must be byte-identical");
            assert_eq!(last.header("host"), Some(up.addr.to_string().as_str()), "Host is the upstream's");
            for (name, value) in &headers {
                assert_eq!(last.header(name), Some(*value), "{name} forwarded as is");
            }
            // Response headers: the used-weight header of the per-IP weight the read was charged to passes (with
            // the client's own position, docs/relay.md "Used-weight headers"), the other per-IP one (the egress
            // IP's total on a weight this read does not draw from) and the rest of the upstream's do not.
            assert_eq!(r.header("content-type"), Some("application/json"));
            let weights: Vec<&str> = ["x-mbx-used-weight-1m", "x-sapi-used-ip-weight-1m"]
                .into_iter()
                .filter(|h| r.header(h).is_some_and(|v| v.parse::<u32>().is_ok()))
                .collect();
            let expected = match e.venue {
                Venue::Binance if e.path.starts_with("/sapi") => vec!["x-sapi-used-ip-weight-1m"],
                Venue::Binance => vec!["x-mbx-used-weight-1m"],
                Venue::Bitget => vec![],
            };
            assert_eq!(weights, expected, "{relay_target}");
            for stripped in ["set-cookie", "x-internal-leak", "server", "access-control-allow-origin"] {
                assert_eq!(r.header(stripped), None, "{stripped} must not come back");
            }
            n += 1;
        }
    }
    assert_eq!(up.seen().len(), n);
    assert_eq!(n, ENDPOINTS.len() * queries.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_venue_auth_and_minimal_headers_pass_upstream() {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let relay = start_relay(config_for(&up)).await;
    let junk = [
        ("Cookie", "session=abc"),
        ("Authorization", "Bearer secret"),
        ("Proxy-Authorization", "Basic eA=="),
        ("X-Forwarded-For", "1.2.3.4"),
        ("X-Forwarded-Host", "evil.example"),
        ("X-Forwarded-Proto", "http"),
        ("Forwarded", "for=1.2.3.4"),
        ("X-Real-IP", "1.2.3.4"),
        ("Via", "1.1 evil"),
        ("Referer", "https://evil.example/"),
        ("User-Agent", "curl/8"),
        ("Accept-Encoding", "gzip"),
        ("TE", "trailers"),
        ("X-Original-URL", "/api/v3/order"),
        ("X-Rewrite-URL", "/api/v3/order"),
        ("X-HTTP-Method-Override", "DELETE"),
        ("Accept", "application/json"),
    ];
    let mut headers = auth(Venue::Bitget);
    headers.extend(junk);
    headers.push(("X-MBX-APIKEY", BINANCE_KEY)); // the other venue's credential is not forwarded either
    let r = get(relay.addr, "/v1/bitget/api/v2/spot/account/assets?coin=USDT", &headers).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let seen = up.seen();
    let names: BTreeSet<String> = seen[0].headers.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
    let expected: BTreeSet<String> = [
        "host",
        "user-agent",
        "accept",
        "access-key",
        "access-sign",
        "access-timestamp",
        "access-passphrase",
        "locale",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(names, expected);
    assert_eq!(seen[0].header("user-agent"), Some("meetcrypt-relay"));
    assert_eq!(seen[0].header("host"), Some(up.addr.to_string().as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalogue_is_published_and_is_exactly_what_is_forwarded() {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let relay = start_relay(config_for(&up)).await;
    let r = get(relay.addr, "/v1/catalogue", &[]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let list = r.json()["endpoints"].as_array().expect("a list of endpoints").clone();
    assert_eq!(list.len(), catalogue::ENDPOINTS.len());
    for (e, listed) in catalogue::ENDPOINTS.iter().zip(&list) {
        assert_eq!(listed["venue"], e.venue.as_str());
        // reads only, but not only GETs: Binance's funding-wallet read is a POST
        assert_eq!(listed["method"], e.method.as_str());
        assert_eq!(listed["path"], e.path);
        assert_eq!(listed["weight"], e.weight(""));
        assert_eq!(listed["limiter"], e.limiter().as_str());
        assert!(listed["counted_per"] == "ip" || listed["counted_per"] == "account", "{listed}");
    }
    // a path the list does not name is refused, in the venue's error shape
    let r = get(relay.addr, "/v1/binance/sapi/v1/capital/withdraw/apply", &[]).await;
    assert_eq!((r.status, r.json()["relay_reason"].as_str()), (404, Some("unknown_endpoint")), "{}", r.text());
    assert!(list.iter().all(|l| l["path"] != "/sapi/v1/capital/withdraw/apply"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn egress_is_bound_and_ip_restricted_keys_work_only_from_it() {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let mut bound = config_for(&up);
    bound.egress = vec![IpAddr::from(LO2)];
    let relay2 = start_relay(bound).await;
    let r =
        get(relay2.addr, "/v1/binance/api/v3/account?timestamp=1&signature=x", &[("X-MBX-APIKEY", "IPKEY-127-0-0-2")])
            .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(up.seen()[0].peer.ip(), IpAddr::from(LO2), "the upstream sees the egress IP");
    let ips = get(relay2.addr, "/v1/ips", &[]).await;
    assert_eq!(ips.json(), serde_json::json!({ "ips": ["127.0.0.2"] }));

    // The same key through a relay bound to 127.0.0.1 is refused by the venue, and the venue's answer reaches the app.
    let mut other = config_for(&up);
    other.egress = vec![IpAddr::from([127, 0, 0, 1])];
    let relay1 = start_relay(other).await;
    let r =
        get(relay1.addr, "/v1/binance/api/v3/account?timestamp=1&signature=x", &[("X-MBX-APIKEY", "IPKEY-127-0-0-2")])
            .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["code"], -2015);
    assert_eq!(up.seen()[1].peer.ip(), IpAddr::from([127, 0, 0, 1]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_connections_are_pooled() {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let relay = start_relay(config_for(&up)).await;
    for _ in 0..30 {
        assert_eq!(get(relay.addr, "/v1/binance/api/v3/time", &[]).await.status, 200);
    }
    let ports: BTreeSet<u16> = up.seen().iter().map(|s| s.peer.port()).collect();
    assert_eq!(up.seen().len(), 30);
    assert!(ports.len() <= 2, "30 sequential requests used {} upstream connections", ports.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_app_with_security_headers_and_health() {
    let dir = std::env::temp_dir().join(format!("relay-static-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>Meetcrypt</title>").unwrap();
    std::fs::write(dir.join("app-0123456789abcdef.wasm"), b"\0asm\0\0\0\0").unwrap();
    // `gzip -9 -n` of those 8 bytes, as scripts/build-app writes it
    let gzipped: Vec<u8> = vec![
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x63, 0x48, 0x2c, 0xce, 0x65, 0x00, 0x02, 0x00,
        0xab, 0x54, 0xf7, 0xa4, 0x08, 0x00, 0x00, 0x00,
    ];
    std::fs::write(dir.join("app-0123456789abcdef.wasm.gz"), &gzipped).unwrap();
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let mut c = config_for(&up);
    c.static_dir = Some(dir.clone());
    let relay = start_relay(c).await;
    let r = get(relay.addr, "/", &[]).await;
    assert_eq!(r.status, 200);
    assert!(r.text().contains("Meetcrypt"));
    let csp = r.header("content-security-policy").unwrap();
    assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval'") && csp.contains("connect-src 'self'"));
    assert!(
        !csp.contains("'unsafe-inline'; ")
            || !csp.split(';').any(|d| d.trim().starts_with("script-src") && d.contains("unsafe-inline"))
    );
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    let w = get(relay.addr, "/app-0123456789abcdef.wasm", &[]).await;
    assert_eq!(w.header("content-type"), Some("application/wasm"));
    assert_eq!(w.header("cache-control"), Some("public, max-age=31536000, immutable"));
    assert_eq!(w.body, b"\0asm\0\0\0\0", "without Accept-Encoding: the file as it is");
    assert_eq!(w.header("content-encoding"), None);
    assert_eq!(w.header("vary"), Some("accept-encoding"));
    // with it: the precompressed file the app build wrote beside it, with the same type and caching
    let z = get(relay.addr, "/app-0123456789abcdef.wasm", &[("Accept-Encoding", "gzip, deflate, br")]).await;
    assert_eq!(z.status, 200);
    assert_eq!(z.header("content-encoding"), Some("gzip"));
    assert_eq!(z.header("content-type"), Some("application/wasm"));
    assert_eq!(z.header("cache-control"), Some("public, max-age=31536000, immutable"));
    assert_eq!(z.body, gzipped, "the .gz is sent byte for byte");
    assert_eq!(get(relay.addr, "/settings", &[]).await.status, 200, "client-side routes get index.html");
    assert_eq!(get(relay.addr, "/missing.js", &[]).await.status, 404);
    for t in ["/../../etc/passwd", "/./index.html", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc/passwd", "/a\\..\\b"] {
        assert_eq!(get(relay.addr, t, &[]).await.status, 404, "{t}");
    }
    assert_eq!(get(relay.addr, "/healthz", &[]).await.json()["status"], "ok");
    let _ = get(relay.addr, "/v1/binance/api/v3/time", &[]).await;
    let m = relay.metrics_text().await;
    assert!(m.contains("relay_requests_total{venue=\"binance\",endpoint=\"/api/v3/time\",status=\"200\"} 1"), "{m}");
    assert!(m.contains("relay_weight_used{egress=\"default\",limiter=\"binance_spot_ip\"} 3"), "{m}");
    assert!(up.seen().iter().all(|s| s.target.starts_with("/api/")), "static requests never go upstream");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_only_for_configured_origins() {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let mut c = config_for(&up);
    c.allowed_origins = vec!["https://app.example.org".into()];
    let relay = start_relay(c).await;
    let pre = request(
        relay.addr,
        "OPTIONS",
        "/v1/binance/api/v3/account",
        &[("Origin", "https://app.example.org"), ("Access-Control-Request-Headers", "x-mbx-apikey")],
    )
    .await;
    assert_eq!(pre.status, 204);
    assert_eq!(pre.header("access-control-allow-origin"), Some("https://app.example.org"));
    assert!(pre.header("access-control-allow-headers").unwrap().contains("x-mbx-apikey"));
    let ok = get(relay.addr, "/v1/binance/api/v3/time", &[("Origin", "https://app.example.org")]).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("access-control-allow-origin"), Some("https://app.example.org"));
    assert!(ok.header("access-control-expose-headers").unwrap().contains("x-mbx-used-weight-1m"));
    let before = up.seen().len();
    let bad = get(relay.addr, "/v1/binance/api/v3/time", &[("Origin", "https://evil.example")]).await;
    assert_eq!(bad.status, 403);
    assert_eq!(bad.json()["relay_reason"], "origin_not_allowed");
    assert_eq!(bad.json()["code"], -1002);
    assert_eq!(bad.header("access-control-allow-origin"), None);
    let bad_pre =
        request(relay.addr, "OPTIONS", "/v1/binance/api/v3/time", &[("Origin", "https://evil.example")]).await;
    assert_eq!(bad_pre.status, 403);
    assert_eq!(up.seen().len(), before, "refused cross-origin requests are not forwarded");
    // Same origin (the relay's own host) is always fine.
    let same = get(relay.addr, "/v1/binance/api/v3/time", &[("Origin", &format!("http://{}", relay.addr))]).await;
    assert_eq!(same.status, 200);
}

#[test]
fn bad_configuration_is_refused_with_line_and_reason() {
    let dir = std::env::temp_dir().join(format!("relay-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        ("listen = \"127.0.0.1:8080\"\negress = [\"127.0.0.2\"\n", "line 2"),
        ("listen = \"127.0.0.1:8080\"\n[upstreams]\nbinance_spott = \"https://x\"\n", "line 3"),
        ("[upstreams]\nbitget = \"ftp://api.bitget.com\"\n", "line 2"),
        ("[upstreams]\n\nbitget = \"https://api.bitget.com/api\"\n", "line 3"),
        ("egress = [\"127.0.0.2\", \"not-an-ip\"]\n", "line 1"),
        ("listen = 8080\n", "line 1"),
        ("[limits]\nmax_response_byte = 5\n", "line 2"),
    ];
    for (i, (text, line)) in cases.iter().enumerate() {
        let path = dir.join(format!("c{i}.toml"));
        std::fs::write(&path, text).unwrap();
        let args = relay::Args { config: Some(path), ..Default::default() };
        let err = args.resolve(|_| None).unwrap_err().to_string();
        assert!(err.contains(line), "case {i}: {err}");
        assert!(!err.contains('\n'), "one line: {err}");
    }
    // A good file, overridden by the environment, overridden by flags.
    let path = dir.join("good.toml");
    std::fs::write(
        &path,
        "listen = \"127.0.0.1:9000\"\negress = [\"127.0.0.2\"]\n[upstreams]\nbitget = \"http://127.0.0.1:7\"\n",
    )
    .unwrap();
    let args = relay::Args { config: Some(path), egress: vec!["127.0.0.3".into()], ..Default::default() };
    let c = args.resolve(|k| (k == "RELAY_LISTEN").then(|| "127.0.0.1:9001".to_owned())).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:9001");
    assert_eq!(c.egress, vec![IpAddr::from([127, 0, 0, 3])]);
    assert_eq!(c.upstreams[&catalogue::Host::Bitget].base(), "http://127.0.0.1:7");
    assert_eq!(c.upstreams[&catalogue::Host::BinanceSpot].base(), "https://api.binance.com");
    // The sandbox file.
    std::fs::write(
        dir.join("sandbox.json"),
        r#"{"binance_spot":"http://127.0.0.1:1","binance_futures":"http://127.0.0.1:2","binance_coin_futures":"http://127.0.0.1:4","bitget":"http://127.0.0.1:3","keys":[]}"#,
    )
    .unwrap();
    let c = relay::Args { sandbox: Some(dir.clone()), ..Default::default() }.resolve(|_| None).unwrap();
    assert_eq!(c.upstreams[&catalogue::Host::BinanceFutures].base(), "http://127.0.0.1:2");
    assert_eq!(c.upstreams[&catalogue::Host::BinanceCoinFutures].base(), "http://127.0.0.1:4");
    std::fs::write(dir.join("sandbox.json"), r#"{"binance_spot":"http://127.0.0.1:1"}"#).unwrap();
    let err = relay::Args { sandbox: Some(dir.clone()), ..Default::default() }.resolve(|_| None).unwrap_err();
    assert!(err.to_string().contains("binance_futures"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_binary_refuses_a_taken_port_and_a_bad_config_in_one_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = run_relay(&["--listen", &addr]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.lines().last().unwrap_or("");
    assert!(last.starts_with("relay: cannot listen on") && last.contains("already in use"), "{err}");
    let out = run_relay(&["--config", "/nonexistent/relay.toml"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/relay.toml"));
    let out = run_relay(&["--static", "/nonexistent-dir"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no index.html"));
    let _ = Method::Get;
}

/// Runs the binary expecting it to exit; kills it and fails if it hangs.
fn run_relay(args: &[&str]) -> std::process::Output {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_relay"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > HANG {
            child.kill().unwrap();
            panic!("relay {args:?} did not exit");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}
