//! The two HTTP stacks in the security boundary, compared: the same request bytes go to a relay with the
//! hand-written hot path (`hot_path = true`, the default) and to one that serves everything through hyper and the
//! axum router (`hot_path = false`), both in front of the same recording venue. Each must make the same decision
//! (the same counters move: requests by endpoint and status, refusals by reason, upstream errors), send the same
//! bytes upstream (every request head, byte for byte) and give the client the same answer (every byte of every
//! response on the connection, status line, headers in order, body). A difference is a failing test.
//!
//! Normalised before comparing, because they are not the HTTP path's doing: the `date` header's value and Bitget's
//! `requestTime` (clocks), and the venue's per-second and per-minute budget windows (a case whose answers differ only
//! because a budget window turned between the two runs is run again in the next window).
//!
//! `differences_are_failures` runs a fixed list of requests (forwarded reads in every variant the hot path takes,
//! near misses it must leave to hyper, refusals) over every venue answer shape; `random_requests_agree` runs
//! thousands of generated and mutated ones (a deterministic property test: fixed seeds, so a failure is
//! reproducible from the printed case).

mod common;
mod observed;

use std::net::IpAddr;
use std::time::Duration;

use common::*;
use observed::{Observed, budget_refusal, counters, moved, normalise, read_until_closed, unfinished_malformed_head};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// A relay with the hot path and one without, in front of one venue.
struct Pair {
    hot: Running,
    hyper: Running,
    up: Upstream,
}

async fn pair() -> Pair {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let mut c = config_for(&up);
    c.allowed_origins = vec!["https://app.example.org".into()];
    // Budgets far above what the tests send (the budget is the same code on both paths and has its own tests):
    // Binance's per minute, and for Bitget's per-second limits per egress IP, several egress IPs.
    c.limits.binance_spot_weight_per_minute = 2_000_000_000;
    c.limits.binance_sapi_ip_weight_per_minute = 2_000_000_000;
    c.limits.binance_futures_weight_per_minute = 2_000_000_000;
    c.limits.binance_coin_futures_weight_per_minute = 2_000_000_000;
    c.egress = (1..=8).map(|i| IpAddr::from([127, 0, 0, i])).collect();
    c.limits.total_timeout_ms = HANG.as_millis() as u64;
    c.limits.max_response_bytes = 256 * 1024;
    c.limits.max_connections_per_ip = 0;
    let mut h = c.clone();
    h.hot_path = false;
    Pair { hot: start_relay(c).await, hyper: start_relay(h).await, up }
}

/// Sends `pieces` on one connection (a moment apart, so that a head may arrive split), closes the sending side and
/// reads until the relay closes.
async fn observe(relay: &Running, up: &Upstream, pieces: &[Vec<u8>]) -> Observed {
    let seen_before = up.seen().len();
    let before = counters(&relay.relay);
    let mut s = TcpStream::connect(relay.addr).await.unwrap();
    for (i, p) in pieces.iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        // The relay may have closed already (after a refusal): what it answered is what counts.
        if s.write_all(p).await.is_err() {
            break;
        }
    }
    let _ = s.shutdown().await;
    let raw = read_until_closed(&mut s, HANG).await;
    let raw = raw
        .unwrap_or_else(|| panic!("the relay (hot path: {}) never closed the connection", relay.relay.config.hot_path));
    let upstream = up.seen()[seen_before..].iter().map(|s| String::from_utf8_lossy(&s.raw).into_owned()).collect();
    Observed { answer: normalise(&raw), upstream, counters: moved(&before, counters(&relay.relay)) }
}

/// Runs one case on both relays; the difference, if any.
async fn compare(p: &Pair, name: &str, pieces: &[Vec<u8>]) -> Result<Observed, String> {
    for attempt in 0.. {
        let hot = observe(&p.hot, &p.up, pieces).await;
        let hyper = observe(&p.hyper, &p.up, pieces).await;
        if hot == hyper || unfinished_malformed_head(&pieces.concat(), &hot, &hyper) {
            return Ok(hot);
        }
        if (budget_refusal(&hot) || budget_refusal(&hyper)) && attempt < 3 {
            // A budget window turned between the two runs: the next window, then again.
            let ms = 1000 - relay::now_ms() % 1000 + 5;
            tokio::time::sleep(Duration::from_millis(ms)).await;
            continue;
        }
        let bytes: Vec<u8> = pieces.concat();
        return Err(format!(
            "{name}: the hot path and hyper differ\nrequest: {:?}\nhot path: {hot:#?}\nhyper: {hyper:#?}",
            String::from_utf8_lossy(&bytes)
        ));
    }
    unreachable!()
}

const KEY: &str = "X-MBX-APIKEY: vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A\r\n";
const BITGET: &str = "ACCESS-KEY: bg_0d4c1d7f\r\nACCESS-SIGN: Jd2Ck7Y+X5tq9yq3Xq8Zq1m0pS0yVb6iV7nW6q2mJ6I=\r\n\
                      ACCESS-TIMESTAMP: 1700000000000\r\nACCESS-PASSPHRASE: pass\r\n";

/// The fixed cases: (name, request bytes).
fn cases() -> Vec<(&'static str, String)> {
    let time = "/v1/binance/api/v3/time";
    let account = "/v1/binance/api/v3/account?timestamp=1700000000000&recvWindow=5000&signature=ab12";
    let assets = "/v1/bitget/api/v2/spot/account/assets?coin=USDT";
    let g = |target: &str, extra: &str| format!("GET {target} HTTP/1.1\r\nHost: relay.test\r\n{extra}\r\n");
    vec![
        ("plain read", g(time, "")),
        ("signed read", g(account, KEY)),
        ("futures read", g("/v1/binance/fapi/v1/time", "")),
        ("query with every allowed byte", g(&format!("{time}?a=-._~!$&'()*+,;=:@/?%20%5B%5d"), "")),
        ("empty query", g(&format!("{time}?"), "")),
        ("bitget signed read", g(assets, BITGET)),
        ("bitget with locale and paptrading", g(assets, &format!("{BITGET}locale: en-US\r\npaptrading: 1\r\n"))),
        ("header names in odd cases", g(account, "x-MBX-apikey: k\r\nACCEPT: application/json\r\nContent-TYPE: x\r\n")),
        (
            "junk headers are dropped",
            g(account, &format!("{KEY}Cookie: a=b\r\nX-Forwarded-For: 1.2.3.4\r\nUser-Agent: ua\r\n")),
        ),
        ("repeated accept", g(time, "Accept: a\r\nAccept: b\r\n")),
        ("repeated accept around another forwarded header", g(account, &format!("Accept: a\r\n{KEY}Accept: b\r\n"))),
        ("repeated accept around content-type", g(time, "Accept: a\r\nContent-Type: c\r\nAccept: b\r\n")),
        ("values with spaces and tabs", g(time, "Accept: \t a b \t\r\n")),
        ("empty value", g(time, "Accept:\r\n")),
        ("obs-text in a value", g(time, "Accept: caf\u{e9}\r\n")),
        ("content-length 0", g(time, "Content-Length: 0\r\n")),
        ("content-length 000", g(time, "Content-Length: 000\r\n")),
        ("connection close", g(time, "Connection: close\r\n")),
        ("connection keep-alive, close", g(time, "Connection: keep-alive, close\r\n")),
        ("connection CLOSE", g(time, "Connection: CLOSE\r\n")),
        ("two connection headers", g(time, "Connection: keep-alive\r\nConnection: close\r\n")),
        ("connection close with junk", g(time, "Connection: closed\r\n")),
        ("allowed origin", g(time, "Origin: https://app.example.org\r\n")),
        ("same-host origin", g(time, "Origin: http://relay.test\r\n")),
        ("same-host origin over https", g(time, "Origin: https://relay.test\r\n")),
        ("other origin", g(time, "Origin: https://evil.example\r\n")),
        ("origin null", g(time, "Origin: null\r\n")),
        ("two origins", g(time, "Origin: https://app.example.org\r\nOrigin: https://evil.example\r\n")),
        ("origin with obs-text", g(time, "Origin: https://app.example.org\u{e9}\r\n")),
        ("no host", format!("GET {time} HTTP/1.1\r\n\r\n")),
        ("two hosts", g(time, "Host: other\r\n")),
        ("HTTP/1.0", format!("GET {time} HTTP/1.0\r\nHost: x\r\n\r\n")),
        ("HTTP/1.0 keep-alive", format!("GET {time} HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")),
        ("bare LF line ends", format!("GET {time} HTTP/1.1\nHost: x\n\n")),
        ("leading blank line", format!("\r\nGET {time} HTTP/1.1\r\nHost: x\r\n\r\n")),
        ("HEAD", format!("HEAD {time} HTTP/1.1\r\nHost: x\r\n\r\n")),
        ("lower-case get", format!("get {time} HTTP/1.1\r\nHost: x\r\n\r\n")),
        (
            "funding POST",
            format!(
                "POST /v1/binance/sapi/v1/asset/get-funding-asset?timestamp=1&signature=s HTTP/1.1\r\nHost: x\r\n{KEY}\r\n"
            ),
        ),
        ("preflight", g(time, "").replacen("GET", "OPTIONS", 1) + ""),
        ("write endpoint", g("/v1/binance/api/v3/order?symbol=BTCUSDT", KEY)),
        ("path trick", g("/v1/binance/api/v3/../v3/time", "")),
        ("missing key", g(account, "")),
        ("upgrade", g(time, "Upgrade: h2c\r\nConnection: Upgrade\r\n")),
        ("a body", format!("GET {time} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab")),
        ("bad byte in the query", g(&format!("{time}?a=\"b\""), "")),
        ("pipelined reads", [g(time, ""), g(account, KEY), g(assets, BITGET)].concat()),
        ("pipelined read, health, read", [g(time, ""), g("/healthz", ""), g(time, "")].concat()),
        ("pipelined read, refusal, read", [g(time, ""), g("/v1/binance/api/v3/order", ""), g(time, "")].concat()),
        ("pipelined read then close", [g(time, "Connection: close\r\n"), g(time, "")].concat()),
        ("read then half a head", [g(time, ""), "GET /v1/binance/api/v3/ti".to_owned()].concat()),
        ("64 headers", g(time, &(0..62).map(|i| format!("X-{i}: v\r\n")).collect::<String>())),
        ("65 headers", g(time, &(0..63).map(|i| format!("X-{i}: v\r\n")).collect::<String>())),
        ("a long header name", g(time, &format!("{}: v\r\n", "X".repeat(40)))),
        ("a long forwarded-looking header name", g(time, &format!("accept{}: v\r\n", "x".repeat(40)))),
        ("X-Forwarded-For (not trusted)", g(time, "X-Forwarded-For: 203.0.113.7\r\n")),
        ("two X-Forwarded-For lines", g(time, "X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-For: 10.0.0.1\r\n")),
        ("PROXY v1 (not trusted)", format!("PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\n{}", g(time, ""))),
        ("PROXY v2 (not trusted)", {
            let mut v = String::from_utf8(relay::proxy::V2_SIGNATURE.to_vec()).unwrap();
            v.push_str("!\u{11}\0\u{c}\u{cb}\0q\u{7}\u{7f}\0\0\u{1}\u{15}\u{33}\0P");
            v + &g(time, "")
        }),
        (
            "PROXY after a read",
            [g(time, ""), "PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\n".to_owned(), g(time, "")].concat(),
        ),
    ]
}

/// Every fixed case over every venue answer shape.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn differences_are_failures() {
    let modes = [
        Mode::Ok,
        Mode::Chunked,
        Mode::CloseDelimited,
        Mode::NoBody(204),
        Mode::NoBody(304),
        Mode::Http10,
        Mode::Status(400),
        Mode::Status(503),
        Mode::Big(300 * 1024),
        Mode::Big(64 * 1024),
        Mode::OkThenClose(true),
        Mode::Reset,
    ];
    let mut failures = Vec::new();
    let mut compared = 0;
    for mode in modes {
        // A fresh pair per venue answer: a venue 429 (not in this list) would back the relay off for a while.
        let p = pair().await;
        p.up.set(mode);
        for (name, bytes) in cases() {
            // Whole, and (for the first answer shape) in three pieces: a head the hot path reads in parts.
            let mut variants = vec![vec![bytes.clone().into_bytes()]];
            if mode == Mode::Ok {
                variants.push(bytes.as_bytes().chunks(bytes.len().div_ceil(3)).map(<[u8]>::to_vec).collect());
            }
            for pieces in variants {
                compared += 1;
                if let Err(e) = compare(&p, &format!("{mode:?} / {name}"), &pieces).await {
                    failures.push(e);
                }
            }
        }
    }
    println!("{compared} comparisons, {} differences", failures.len());
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n\n"));
}

/// Cases drawn from a seeded generator (fastrand's), so a failing case is replayed from its seed.
struct Rng(fastrand::Rng);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0.u64(..)
    }
    fn below(&mut self, n: usize) -> usize {
        self.0.usize(..n.max(1))
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.0.u64(..100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A header name in a random letter case.
fn any_case(rng: &mut Rng, name: &str) -> String {
    match rng.below(4) {
        0 => name.to_ascii_lowercase(),
        1 => name.to_ascii_uppercase(),
        2 => name.to_owned(),
        _ => {
            name.chars().map(|c| if rng.chance(50) { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() }).collect()
        }
    }
}

/// One generated request (bytes): mostly near a catalogue read, often slightly off.
fn request(rng: &mut Rng, case: usize) -> Vec<u8> {
    let method = match rng.below(100) {
        0..75 => "GET",
        75..80 => "POST",
        80..85 => "HEAD",
        85..88 => "OPTIONS",
        88..90 => "get",
        90..93 => "DELETE",
        93..95 => "PUT",
        _ => *rng.pick(&["PATCH", "TRACE", "CONNECT", "PRI", "G\tET", ""]),
    };
    let e = rng.pick(catalogue::ENDPOINTS);
    let mut target = match rng.below(100) {
        0..85 => format!("/v1/{}{}", e.venue.as_str(), e.path),
        _ => rng
            .pick(&[
                "/healthz",
                "/v1/ips",
                "/v1/ips/signed",
                "/v1/catalogue",
                "/metrics",
                "/",
                "/v1/binance",
                "/v1/bitget/",
                "/v1/kraken/0/private/Balance",
                "/index.html",
                "http://relay.test/v1/binance/api/v3/time",
                "*",
                "/v1/binance/api/v3/order",
            ])
            .to_string(),
    };
    if rng.chance(10) {
        // A path trick somewhere in the path.
        let at = target.rfind('/').unwrap_or(0);
        let trick = *rng.pick(&["/.", "/..", "/", "%2e", ";x", "\\", "%41", "A", "~"]);
        target.insert_str(at, trick);
    }
    if rng.chance(70) {
        let pieces = ["symbol=BTCUSDT", "timestamp=1700000000000", "recvWindow=5000", "limit=1000", "coin=USDT"];
        let mut q: Vec<String> = (0..rng.below(4)).map(|_| rng.pick(&pieces).to_string()).collect();
        q.push(format!("signature={:016x}", rng.next()));
        let mut q = q.join("&");
        if rng.chance(15) {
            let odd = *rng.pick(&[
                "%20",
                "%zz",
                "%4",
                "\"",
                "<",
                "|",
                "{}",
                "[1]",
                "^",
                "`",
                "#frag",
                "\u{e9}",
                "'",
                "!*()",
                "%5B%22X%22%5D",
            ]);
            let at = rng.below(q.len() + 1);
            if q.is_char_boundary(at) {
                q.insert_str(at, odd);
            }
        }
        target = format!("{target}?{q}");
    }
    let version = match rng.below(100) {
        0..92 => "HTTP/1.1",
        92..98 => "HTTP/1.0",
        _ => *rng.pick(&["HTTP/2.0", "HTTP/1.2", "HTTP/1", "http/1.1"]),
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    if rng.chance(92) {
        headers.push(("Host".into(), "relay.test".into()));
    }
    let key = format!("vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zv{case:08}");
    let mut add = |rng: &mut Rng, name: &str, value: String| {
        let name = any_case(rng, name);
        let value = match rng.below(20) {
            0 => format!(" {value} "),
            1 => format!("\t{value}"),
            _ => value,
        };
        headers.push((name, value));
    };
    if rng.chance(60) {
        let v = match rng.below(20) {
            0 => String::new(),
            1 => "a\tb".into(),
            _ => key.clone(),
        };
        add(rng, "X-MBX-APIKEY", v);
        if rng.chance(3) {
            add(rng, "X-MBX-APIKEY", key.clone());
        }
    }
    if rng.chance(40) {
        // A key per case: Bitget budgets some signed reads per key and second.
        add(rng, "ACCESS-KEY", format!("bg_{case:08}"));
        add(rng, "ACCESS-SIGN", "Jd2Ck7Y+X5tq9yq3Xq8Zq1m0pS0yVb6iV7nW6q2mJ6I=".into());
        add(rng, "ACCESS-TIMESTAMP", "1700000000000".into());
        if rng.chance(90) {
            add(rng, "ACCESS-PASSPHRASE", "pass".into());
        }
    }
    for _ in 0..rng.below(4) {
        let (name, value): (String, &str) = match rng.below(16) {
            0 | 1 => ("Accept".into(), *rng.pick(&["application/json", "*/*", "", "caf\u{e9}"])),
            2 => ("Content-Type".into(), "application/json"),
            3 => ("locale".into(), "en-US"),
            4 => ("paptrading".into(), "1"),
            5 => (
                "Origin".into(),
                *rng.pick(&["https://app.example.org", "http://relay.test", "https://evil.example", "null", ""]),
            ),
            6 => (
                "Connection".into(),
                *rng.pick(&["close", "keep-alive", "Upgrade", "CLOSE", "keep-alive, close", "te"]),
            ),
            7 => ("Content-Length".into(), *rng.pick(&["0", "00", "5", "-1", "", "0, 0"])),
            8 => ("Transfer-Encoding".into(), *rng.pick(&["chunked", "identity", "gzip, chunked"])),
            9 => ("Upgrade".into(), "h2c"),
            10 => ("Cookie".into(), "session=1"),
            11 => ("X-Forwarded-For".into(), "1.2.3.4"),
            12 => ("User-Agent".into(), "script/1.0"),
            13 => (format!("X-Long-{}", "n".repeat(rng.below(40))), "v"),
            14 => ("Accept-Encoding".into(), "gzip"),
            _ => ("Expect".into(), "100-continue"),
        };
        add(rng, &name, value.to_owned());
    }
    // Shuffle a little: the order of header lines is the client's.
    for _ in 0..rng.below(3) {
        if headers.len() > 1 {
            let (a, b) = (rng.below(headers.len()), rng.below(headers.len()));
            headers.swap(a, b);
        }
    }
    let eol = if rng.chance(4) { "\n" } else { "\r\n" };
    let mut out = format!("{method} {target} {version}{eol}");
    for (n, v) in &headers {
        out.push_str(&format!("{n}:{}{v}{eol}", if rng.chance(90) { " " } else { "" }));
    }
    out.push_str(eol);
    out.into_bytes()
}

/// A connection's worth of bytes: one to three requests, sometimes with a byte or two changed, added or removed.
fn connection(rng: &mut Rng, case: usize) -> Vec<u8> {
    let mut bytes: Vec<u8> = (0..1 + rng.below(3)).flat_map(|_| request(rng, case)).collect();
    if rng.chance(4) {
        // A PROXY header (from an address these relays do not trust).
        let v1 = b"PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\n".to_vec();
        let mut v2 = relay::proxy::V2_SIGNATURE.to_vec();
        v2.extend_from_slice(&[0x21, 0x11, 0, 12, 203, 0, 113, 7, 127, 0, 0, 1, 0x15, 0xb3, 0, 80]);
        bytes.splice(0..0, if rng.chance(50) { v1 } else { v2 });
    }
    if rng.chance(12) {
        for _ in 0..1 + rng.below(2) {
            let at = rng.below(bytes.len());
            match rng.below(3) {
                0 => bytes[at] = (rng.next() & 0xff) as u8,
                1 => bytes.insert(at, *rng.pick(b" \t\r\n:/?%\0\x7f\xff")),
                _ => {
                    bytes.remove(at);
                }
            }
        }
    }
    bytes
}

/// The property: for generated and mutated requests, on every venue answer shape, both paths agree. Deterministic
/// (a fixed seed); `DIFFERENTIAL_CASES` runs more cases, `DIFFERENTIAL_SEED` others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_requests_agree() {
    let cases: usize = std::env::var("DIFFERENTIAL_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(600);
    let p = pair().await;
    let modes = [
        Mode::Ok,
        Mode::Ok,
        Mode::Ok,
        Mode::Chunked,
        Mode::CloseDelimited,
        Mode::NoBody(204),
        Mode::Status(400),
        Mode::Status(503),
    ];
    let seed = std::env::var("DIFFERENTIAL_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x5eed_1234_abcd_0001);
    let mut rng = Rng(fastrand::Rng::with_seed(seed));
    let mut failures = Vec::new();
    let mut forwarded = 0;
    for case in 0..cases {
        let bytes = connection(&mut rng, case);
        let pieces: Vec<Vec<u8>> = if rng.chance(30) {
            let mut cuts: Vec<usize> = (0..1 + rng.below(3)).map(|_| rng.below(bytes.len())).collect();
            cuts.sort_unstable();
            cuts.dedup();
            let mut last = 0;
            let mut out: Vec<Vec<u8>> = cuts
                .iter()
                .map(|&c| {
                    let piece = bytes[last..c].to_vec();
                    last = c;
                    piece
                })
                .collect();
            out.push(bytes[last..].to_vec());
            out.retain(|p| !p.is_empty());
            out
        } else {
            vec![bytes.clone()]
        };
        p.up.set(*rng.pick(&modes));
        match compare(&p, &format!("case {case}"), &pieces).await {
            Ok(o) => forwarded += o.upstream.len(),
            Err(e) => failures.push(e),
        }
        if failures.len() >= 5 {
            break;
        }
    }
    println!("{cases} cases, {forwarded} requests forwarded on each path, {} differences", failures.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // a fifth at least (the default seed forwards 141 of 600: most catalogue reads are signed, and a generated
    // request without the venue's auth header is refused, which both paths must also agree on)
    assert!(forwarded > cases / 5, "too few of the generated requests were forwarded ({forwarded}) to compare much");
}
