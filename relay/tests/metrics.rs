//! `/metrics` is not on the public listener: it answers 404 there, whatever the method and with or without the
//! static app, and the metrics are served on their own listener (`metrics_listen`, loopback by default, or off),
//! optionally behind a bearer token (`metrics_token`).

mod common;

use std::net::IpAddr;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_listener_answers_404_for_metrics() {
    let dir = std::env::temp_dir().join(format!("relay-metrics-static-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>Meetcrypt</title>").unwrap();
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    for static_dir in [None, Some(dir.clone())] {
        let mut c = config_for(&up);
        c.static_dir = static_dir.clone();
        let relay = start_relay(c).await;
        assert_eq!(get(relay.addr, "/v1/binance/api/v3/time", &[]).await.status, 200);
        for (method, target) in [
            ("GET", "/metrics"),
            ("HEAD", "/metrics"),
            ("POST", "/metrics"),
            ("GET", "/metrics?x=1"),
            ("GET", "/metrics/"),
        ] {
            let r = request(relay.addr, method, target, &[]).await;
            assert_eq!(r.status, 404, "{method} {target} (static {static_dir:?}): {}", String::from_utf8_lossy(&r.raw));
            assert!(!r.text().contains("relay_requests_total"), "{method} {target}: {}", r.text());
            if method != "HEAD" {
                assert_eq!(r.json()["source"], "relay", "{method} {target}: {}", r.text());
            }
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_on_their_own_listener_behind_an_optional_token() {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let relay = start_relay(config_for(&up)).await;
    assert_eq!(get(relay.addr, "/v1/binance/api/v3/time", &[]).await.status, 200);
    let r = get(relay.metrics, "/metrics", &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/plain; version=0.0.4"));
    assert!(r.text().contains("relay_requests_total{venue=\"binance\",endpoint=\"/api/v3/time\",status=\"200\"} 1"));
    // Nothing else is served there: not the API, not the app.
    for target in ["/", "/healthz", "/v1/binance/api/v3/time", "/metrics/x"] {
        assert_eq!(get(relay.metrics, target, &[]).await.status, 404, "{target}");
    }
    assert_eq!(request(relay.metrics, "POST", "/metrics", &[]).await.status, 405);
    assert_eq!(up.seen().len(), 1, "the metrics listener forwards nothing");

    // With a token: only `Authorization: Bearer <token>` gets the metrics.
    let token = "0123456789abcdef-metrics";
    let mut c = config_for(&up);
    c.metrics_token = Some(secret::Secret::new(token));
    let relay = start_relay(c).await;
    let bearer = format!("Bearer {token}");
    let wrong = format!("Bearer {token}x");
    let basic = format!("Basic {token}");
    for (headers, want) in [
        (vec![], 401),
        (vec![("Authorization", wrong.as_str())], 401),
        (vec![("Authorization", basic.as_str())], 401),
        (vec![("Authorization", "Bearer ")], 401),
        (vec![("Authorization", bearer.as_str())], 200),
    ] {
        let r = get(relay.metrics, "/metrics", &headers).await;
        assert_eq!(r.status, want, "{headers:?}: {}", r.text());
        if want == 401 {
            assert_eq!(r.header("www-authenticate"), Some("Bearer"));
            assert_eq!(r.json()["code"], "unauthorized");
            assert!(!r.text().contains(token));
        } else {
            assert!(r.text().contains("relay_open_connections"));
        }
    }
    // The token does not open the public listener's /metrics either.
    assert_eq!(get(relay.addr, "/metrics", &[("Authorization", bearer.as_str())]).await.status, 404);
}

#[test]
fn metrics_listen_and_token_are_configured_by_file_environment_and_flag() {
    let c = relay::Config::default();
    assert_eq!(c.metrics_listen, Some("127.0.0.1:9184".parse().unwrap()), "loopback by default");
    assert!(c.metrics_token.is_none());
    let mut c = relay::Config::default();
    c.apply_toml("r.toml", "metrics_listen = \"off\"\n").unwrap();
    assert_eq!(c.metrics_listen, None);
    c.apply_toml("r.toml", "metrics_listen = \"10.0.0.5:9100\"\nmetrics_token = \"0123456789abcdef\"\n").unwrap();
    assert_eq!(c.metrics_listen, Some("10.0.0.5:9100".parse().unwrap()));
    assert_eq!(c.metrics_token.as_ref().map(|t| t.expose()), Some("0123456789abcdef"));
    // The token never shows in Debug output.
    assert!(!format!("{c:?}").contains("0123456789abcdef"));
    let err = c.apply_toml("r.toml", "\nmetrics_listen = \"9100\"\n").unwrap_err().to_string();
    assert!(err.contains("r.toml line 2") && err.contains("metrics_listen") && err.contains("off"), "{err}");
    let err = c.apply_toml("r.toml", "metrics_token = \"short-secret\"\n").unwrap_err().to_string();
    assert!(err.contains("r.toml line 1") && err.contains("metrics_token"), "{err}");
    assert!(!err.contains("short-secret"), "the token is in the message: {err}");
    // Environment, then the flag.
    let env = |k: &str| match k {
        "RELAY_METRICS_LISTEN" => Some("127.0.0.1:9300".to_owned()),
        "RELAY_METRICS_TOKEN" => Some("an-env-token-of-enough-length".to_owned()),
        _ => None,
    };
    let c = relay::Args::default().resolve(env).unwrap();
    assert_eq!(c.metrics_listen, Some("127.0.0.1:9300".parse().unwrap()));
    assert_eq!(c.metrics_token.as_ref().map(|t| t.expose()), Some("an-env-token-of-enough-length"));
    let args = relay::Args::from_argv(["--metrics-listen".to_owned(), "off".to_owned()]).unwrap();
    assert_eq!(args.resolve(env).unwrap().metrics_listen, None);
    let err = relay::Args::from_argv(["--metrics-listen".to_owned(), "nope".to_owned()])
        .unwrap()
        .resolve(|_| None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("--metrics-listen"), "{err}");
    let bad = |k: &str| (k == "RELAY_METRICS_TOKEN").then(|| "with space in it, long enough".to_owned());
    let err = relay::Args::default().resolve(bad).unwrap_err().to_string();
    assert!(err.contains("RELAY_METRICS_TOKEN") && !err.contains("with space"), "{err}");
    let help = relay::Args::from_argv(["--help".to_owned()]).unwrap_err();
    assert_eq!(help.kind(), clap::error::ErrorKind::DisplayHelp);
    assert!(help.to_string().contains("--metrics-listen <IP:PORT|off>"), "{help}");
}

/// The binary: metrics on the announced address, 404 on the public one, and a taken metrics port refused at start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_metrics_apart_and_refuses_a_taken_metrics_port() {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let env = [
        ("RELAY_LOG", "warn,relay=info".to_owned()),
        ("RELAY_UPSTREAM_BINANCE_SPOT", up.url()),
        ("RELAY_UPSTREAM_BINANCE_FUTURES", up.url()),
        ("RELAY_UPSTREAM_BINANCE_COIN_FUTURES", up.url()),
        ("RELAY_UPSTREAM_BITGET", up.url()),
    ];
    let mut relay = RelayProcess::start(&["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"], &env);
    let metrics = relay.metrics.expect("the metrics listener is announced");
    assert_ne!(metrics, relay.addr);
    assert_eq!(get(relay.addr, "/v1/binance/api/v3/time", &[]).await.status, 200);
    assert_eq!(get(relay.addr, "/metrics", &[]).await.status, 404);
    let m = get(metrics, "/metrics", &[]).await;
    assert_eq!(m.status, 200);
    assert!(m.text().contains("relay_requests_total{venue=\"binance\",endpoint=\"/api/v3/time\",status=\"200\"} 1"));
    let (status, _) = relay.stop().await;
    assert!(status.success());
    // Off: announced as such, nothing listens.
    let mut off = RelayProcess::start(&["--listen", "127.0.0.1:0", "--metrics-listen", "off"], &env);
    assert_eq!(off.metrics, None);
    let (_, logs) = off.stop().await;
    assert!(logs.contains("metrics=off"), "{logs}");
    // A taken metrics port: exit 2 and one line saying what to do.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_relay"))
        .args(["--listen", "127.0.0.1:0", "--metrics-listen", &taken.local_addr().unwrap().to_string()])
        .env("RELAY_LOG", "off")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.trim().starts_with("relay: cannot listen for metrics on") && err.contains("--metrics-listen"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}
