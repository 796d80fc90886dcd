//! Every log line the relay writes (at trace level) and its metrics, captured while it handles signed reads,
//! refusals (a forged PROXY header included), budget refusals, upstream failures and scrapes of its metrics with a
//! right and a wrong token, hold no key, signature, passphrase, query value or metrics token.

mod common;

use std::io::Write;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use common::*;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const QUERY_VALUE: &str = "QueryValueDoNotLog9f8e7d";
/// The metrics listener's bearer token, and a wrong one a client tries.
const METRICS_TOKEN: &str = "MetricsTokenDoNotLog-5b1c9a7e";
const WRONG_TOKEN: &str = "WrongMetricsTokenDoNotLog-0d2f";

fn secrets() -> [&'static str; 8] {
    [
        BINANCE_KEY,
        BINANCE_SIGNATURE,
        BITGET_KEY,
        BITGET_SIGN,
        BITGET_PASSPHRASE,
        QUERY_VALUE,
        METRICS_TOKEN,
        WRONG_TOKEN,
    ]
}

fn hits(text: &str) -> Vec<&'static str> {
    secrets().into_iter().filter(|s| text.contains(s)).collect()
}

/// Scrapes the metrics listener with the token, without it and with a wrong one: the metrics text.
async fn scrape(metrics: std::net::SocketAddr) -> String {
    assert_eq!(get(metrics, "/metrics", &[]).await.status, 401);
    let wrong = format!("Bearer {WRONG_TOKEN}");
    assert_eq!(get(metrics, "/metrics", &[("Authorization", &wrong)]).await.status, 401);
    let right = format!("Bearer {METRICS_TOKEN}");
    let r = get(metrics, "/metrics", &[("Authorization", &right)]).await;
    assert_eq!(r.status, 200);
    r.text()
}

async fn exercise(addr: std::net::SocketAddr, up: &Upstream) {
    let bkey = [("X-MBX-APIKEY", BINANCE_KEY)];
    let bitget = [
        ("ACCESS-KEY", BITGET_KEY),
        ("ACCESS-SIGN", BITGET_SIGN),
        ("ACCESS-TIMESTAMP", "1700000000000"),
        ("ACCESS-PASSPHRASE", BITGET_PASSPHRASE),
    ];
    let q = format!("symbol={QUERY_VALUE}&timestamp=1700000000000&signature={BINANCE_SIGNATURE}");
    for e in catalogue::ENDPOINTS {
        let t = format!("/v1/{}{}?{q}", e.venue.as_str(), e.path);
        let h: &[(&str, &str)] = if e.venue == catalogue::Venue::Binance { &bkey } else { &bitget };
        request(addr, e.method.as_str(), &t, h).await;
    }
    // Refusals of every kind carrying the secrets.
    for t in [
        format!("/v1/binance/api/v3/order?{q}"),
        format!("/v1/binance/api/v3/../order?{q}"),
        format!("/v1/binance/{BINANCE_KEY}/{BINANCE_SIGNATURE}"),
        format!("/v1/{QUERY_VALUE}/api/v3/account"),
        format!("/v1/bitget/api/v2/spot/trade/place-order?{q}"),
    ] {
        get(addr, &t, &bkey).await;
        request(addr, "DELETE", &t, &bitget).await;
    }
    request(
        addr,
        "POST",
        &format!("/v1/binance/api/v3/order?{q}"),
        &[("X-MBX-APIKEY", BINANCE_KEY), ("Content-Length", "0")],
    )
    .await;
    get(
        addr,
        &format!("/v1/binance/api/v3/account?{q}"),
        &[("X-MBX-APIKEY", BINANCE_KEY), ("X-MBX-APIKEY", BINANCE_KEY)],
    )
    .await;
    get(
        addr,
        &format!("/v1/binance/api/v3/account?{q}"),
        &[("X-MBX-APIKEY", BINANCE_KEY), ("Origin", "https://evil.example")],
    )
    .await;
    // A forged PROXY header in front of a signed read (refused: these relays trust no proxy), and an
    // X-Forwarded-For that means nothing from this address.
    let signed = format!(
        "GET /v1/binance/api/v3/account?{q} HTTP/1.1\r\nHost: x\r\nX-MBX-APIKEY: {BINANCE_KEY}\r\nConnection: close\r\n\r\n"
    );
    raw(addr, format!("PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\n{signed}").as_bytes(), HANG).await;
    get(addr, &format!("/v1/binance/api/v3/time?{q}"), &[("X-Forwarded-For", QUERY_VALUE)]).await;
    // Upstream failures and venue back-off.
    for m in [Mode::Status(503), Mode::Reset, Mode::Status(429)] {
        up.set(m);
        get(addr, &format!("/v1/binance/api/v3/account?{q}"), &bkey).await;
    }
    get(addr, &format!("/v1/binance/api/v3/account?{q}"), &bkey).await; // relay's own 429
    up.set(Mode::Ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_any_log_line_or_metric() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let mut config = config_for(&up);
    config.metrics_token = Some(secret::Secret::new(METRICS_TOKEN));
    let relay = start_relay(config).await;
    exercise(relay.addr, &up).await;
    let metrics = scrape(relay.metrics).await;
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.lines().count() > 50, "the relay logged: {logs}");
    assert!(logs.contains("forwarded") && logs.contains("refused") && logs.contains("budget refusal"));
    // The key appears only as its short salted hash.
    assert!(logs.contains(&format!("key:{}", relay.relay.tag(BINANCE_KEY.as_bytes()))));
    assert_eq!(hits(&logs), Vec::<&str>::new(), "secrets in logs");
    assert_eq!(hits(&metrics), Vec::<&str>::new(), "secrets in metrics");
    // The upstream did receive them: the test really sent the secrets.
    assert!(
        up.seen().iter().any(|s| s.target.contains(BINANCE_SIGNATURE) && s.header("x-mbx-apikey") == Some(BINANCE_KEY))
    );
    assert!(up.seen().iter().any(|s| s.header("access-passphrase") == Some(BITGET_PASSPHRASE)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_the_binary_s_stderr() {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let env = [
        ("RELAY_LOG", "trace".to_owned()),
        ("RELAY_UPSTREAM_BINANCE_SPOT", up.url()),
        ("RELAY_UPSTREAM_BINANCE_FUTURES", up.url()),
        ("RELAY_UPSTREAM_BINANCE_COIN_FUTURES", up.url()),
        ("RELAY_UPSTREAM_BITGET", up.url()),
        ("RELAY_METRICS_TOKEN", METRICS_TOKEN.to_owned()),
    ];
    let mut relay = RelayProcess::start(&["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"], &env);
    exercise(relay.addr, &up).await;
    let metrics = scrape(relay.metrics.expect("the metrics listener is announced")).await;
    assert_eq!(hits(&metrics), Vec::<&str>::new(), "secrets in the binary's metrics");
    // SIGTERM: the relay finishes, writes its buffered log lines and exits.
    let (status, logs) = relay.stop().await;
    assert!(status.success(), "graceful stop exits 0");
    assert!(logs.contains("forwarded") && logs.contains("refused") && logs.contains("relay stopped"), "{logs}");
    assert_eq!(hits(&logs), Vec::<&str>::new(), "secrets in the binary's logs");
}
