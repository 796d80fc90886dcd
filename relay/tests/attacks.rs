//! The attack corpus: every write endpoint (docs/venues.md §1.10, §2.9, tests/data) in every method, path and header
//! tricks, and request-smuggling attempts over raw sockets. Not one reaches the upstream; each gets a refusal with
//! the relay's JSON body, also those the HTTP parser refuses before the policy sees them (only an HTTP/2 preface is
//! closed without one: an HTTP/2 client could not read it). On a `/v1/binance` route the body has Binance's error
//! shape (a negative integer `code` and `msg`), on `/v1/bitget` Bitget's (`code` a string of digits, `msg`,
//! `requestTime`, `data: null`), so that a venue's client library reads it as that venue's error; elsewhere the
//! relay's own (`code` and `message`). Every shape carries `source: "relay"` and the relay's reason. Forged PROXY
//! protocol headers (v1 and v2, from an address that is not a trusted proxy) are refused too. A relay serving HTTPS
//! refuses the whole corpus sent inside TLS the same way, and the whole corpus sent in plain text to its HTTPS port
//! with a plain-text JSON refusal (`tls_required`, or `proxy_header_not_trusted` for a forged PROXY header).

mod common;

use std::net::{IpAddr, SocketAddr};

use common::*;

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

/// (venue, path) of every write endpoint listed in the test data.
fn write_endpoints() -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let files = [
        include_str!("data/binance-non-get-endpoints.txt"),
        include_str!("data/bitget-write-endpoints.txt"),
        include_str!("data/api-md-write-endpoints.txt"),
    ];
    for (i, text) in files.iter().enumerate() {
        for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let words: Vec<&str> = line.split_whitespace().collect();
            let (venue, path) = match (i, words.as_slice()) {
                (1, [_, p]) => ("bitget", p),
                (_, ["BITGET", _, p]) => ("bitget", p),
                (_, [_, p]) => ("binance", p),
                _ => panic!("bad line {line}"),
            };
            out.push((venue, path.to_string()));
        }
    }
    out.sort();
    out.dedup();
    out
}

fn in_catalogue(venue: &str, method: &str, path: &str) -> bool {
    let v = catalogue::Venue::parse(venue).unwrap();
    let m = match method {
        "GET" => catalogue::Method::Get,
        "POST" => catalogue::Method::Post,
        _ => return false,
    };
    catalogue::lookup(v, m, path).is_some()
}

fn auth_lines(venue: &str) -> String {
    match venue {
        "binance" => format!("X-MBX-APIKEY: {BINANCE_KEY}\r\n"),
        _ => format!(
            "ACCESS-KEY: {BITGET_KEY}\r\nACCESS-SIGN: {BITGET_SIGN}\r\nACCESS-TIMESTAMP: 1700000000000\r\nACCESS-PASSPHRASE: {BITGET_PASSPHRASE}\r\n"
        ),
    }
}

/// One attack: raw bytes and whether the policy refuses it (false: the HTTP parser does). Both get the JSON body.
struct Attack {
    name: String,
    bytes: Vec<u8>,
    json: bool,
}

fn req(method: &str, target: &str, extra: &str) -> Vec<u8> {
    format!("{method} {target} HTTP/1.1\r\nHost: relay.test\r\nConnection: close\r\n{extra}\r\n").into_bytes()
}

fn corpus() -> Vec<Attack> {
    let mut out = Vec::new();
    let q =
        format!("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=1&timestamp=1700000000000&signature={BINANCE_SIGNATURE}");
    // 1. Every write endpoint, every method (except a method+path the catalogue lists as a read).
    for (venue, path) in write_endpoints() {
        for m in METHODS {
            if in_catalogue(venue, m, &path) {
                continue;
            }
            out.push(Attack {
                name: format!("{m} {venue}{path}"),
                bytes: req(m, &format!("/v1/{venue}{path}?{q}"), &auth_lines(venue)),
                json: true,
            });
        }
    }
    // 2. Path tricks around a read and a write.
    let b = "/v1/binance";
    let paths = [
        format!("{b}/api/v3/./order"),
        format!("{b}/api/v3/account/../order"),
        format!("{b}/api/v3/account/..%2forder"),
        format!("{b}/api/v3/account%2F..%2Forder"),
        format!("{b}/api/v3/%6frder"),
        format!("{b}/api/v3/%2e%2e/order"),
        format!("{b}/api/v3/order%00"),
        format!("{b}/api/v3/account%20"),
        format!("{b}//api/v3/account"),
        format!("{b}/api/v3//account"),
        format!("{b}/api/v3/account/"),
        format!("{b}/api/v3/account//"),
        format!("{b}/api\\v3\\account"),
        format!("{b}/api/v3/account\\..\\order"),
        format!("{b}/api/v3/account;jsessionid=1"),
        format!("{b}/api/v3/account;/../order"),
        format!("{b}/API/v3/account"),
        format!("{b}/api/V3/account"),
        format!("{b}/api/v3/Account"),
        format!("{b}/api/v3/ACCOUNT"),
        "/v1/BINANCE/api/v3/account".to_owned(),
        "/v1/Binance/api/v3/account".to_owned(),
        format!("{b}/api/v3/account.json"),
        // COIN-M is read through the six listed dapi paths only: its order path, an unlisted version, another venue
        format!("{b}/dapi/v1/order"),
        format!("{b}/dapi/v2/account"),
        format!("{b}/dapi/v1/account/"),
        "/v1/bitget/dapi/v1/account".to_owned(),
        format!("{b}/eapi/v1/account"),
        format!("{b}/papi/v1/account"),
        format!("{b}/wapi/v3/withdraw.html"),
        "/v1/bitget/fapi/v1/income".to_owned(),
        format!("{b}/api/v2/spot/account/assets"),
        "/v1/bitget/api/v3/account".to_owned(),
        b.to_owned(),
        format!("{b}/"),
        "/v1/".to_owned(),
        "/v1".to_owned(),
        "/v2/binance/api/v3/account".to_owned(),
        "/v1/kraken/0/private/Balance".to_owned(),
        "/v1/../v1/binance/api/v3/order".to_owned(),
        "/v1/./binance/api/v3/account".to_owned(),
        format!("{b}/api/v3/account?x=%zz"),
        format!("{b}/api/v3/account?x=%4"),
        format!("{b}/api/v3/account?x=\"y\""),
        format!("{b}/api/v3/account?x=<script>"),
        format!("{b}/api/v3/account?x={{}}"),
        format!("{b}/api/v3/account?x=a|b"),
        format!("{b}/api/v3/account?x=a^b"),
        format!("{b}/api/v3/account?x=`id`"),
        format!("{b}/api/v3/account?x=[1]"),
        format!("{b}/api/v3/acc%C3%B6unt"),
        format!("{b}/sapi/v1/capital/withdraw/apply"),
        format!("{b}/sapi/v1/capital/withdraw/history/../apply"),
        format!("{b}/api/v3/myTrades/../order"),
        format!("{b}/api/v3/order?origin=/api/v3/account"),
        "/v1/bitget/api/v2/spot/trade/place-order".to_owned(),
        "/v1/bitget/api/v2/spot/wallet/withdrawal".to_owned(),
        "/v1/bitget/api/v2/spot/account/assets/../../trade/place-order".to_owned(),
        "/v1/bitget/api/v2/spot/account/assets;.json".to_owned(),
        "/v1/bitget/API/v2/spot/account/assets".to_owned(),
    ];
    for p in paths {
        // Bytes outside the URI grammar are refused by the HTTP parser (400 without a body) before the relay sees them.
        let json = !p.bytes().any(|b| b"\"<>{}|^`[]".contains(&b));
        out.push(Attack { name: format!("path {p}"), bytes: req("GET", &p, &auth_lines("binance")), json });
    }
    let long = format!("{b}/api/v3/account?x={}", "a".repeat(9000));
    out.push(Attack { name: "target over 8 KiB".into(), bytes: req("GET", &long, ""), json: true });
    // 3. Request-target forms and methods.
    let forms = [
        ("GET", "http://127.0.0.1:1/v1/binance/api/v3/account".to_owned()),
        ("GET", "http://api.binance.com/api/v3/order".to_owned()),
        ("GET", "https://api.binance.com/v1/binance/api/v3/account".to_owned()),
        ("POST", "http://relay.test/v1/binance/sapi/v1/asset/get-funding-asset".to_owned()),
        ("CONNECT", "api.binance.com:443".to_owned()),
        ("CONNECT", "127.0.0.1:80".to_owned()),
        ("OPTIONS", "*".to_owned()),
        ("TRACE", "/v1/binance/api/v3/account".to_owned()),
        ("get", "/v1/binance/api/v3/account".to_owned()),
        ("Get", "/v1/binance/api/v3/time".to_owned()),
        ("PROPFIND", "/v1/binance/api/v3/account".to_owned()),
        ("PURGE", "/v1/binance/api/v3/time".to_owned()),
        ("DELETE", "/v1/binance/api/v3/account".to_owned()),
        ("PUT", "/v1/binance/api/v3/account".to_owned()),
        ("POST", "/v1/binance/api/v3/account".to_owned()),
        ("GET", "/v1/binance/sapi/v1/asset/get-funding-asset".to_owned()),
        ("POST", "/v1/bitget/api/v2/spot/account/assets".to_owned()),
    ];
    for (m, t) in forms {
        out.push(Attack { name: format!("{m} {t}"), bytes: req(m, &t, &auth_lines("binance")), json: true });
    }
    // 4. Header tricks on an otherwise allowed read.
    let read = "/v1/binance/api/v3/account?timestamp=1&signature=ab";
    let key = format!("X-MBX-APIKEY: {BINANCE_KEY}\r\n");
    let header_tricks = [
        ("no key on a signed read", String::new()),
        ("duplicate key", format!("{key}{key}")),
        ("empty key", "X-MBX-APIKEY: \r\n".to_owned()),
        ("key with a tab", "X-MBX-APIKEY: a\tb\r\n".to_owned()),
        ("upgrade h2c", format!("{key}Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n")),
        ("connection upgrade", format!("{key}Connection: Upgrade\r\nUpgrade: websocket\r\n")),
        ("connection keep-alive, upgrade", format!("{key}Connection: keep-alive, Upgrade\r\n")),
        ("websocket", format!("{key}Upgrade: websocket\r\nSec-WebSocket-Key: x\r\n")),
        ("body on GET", format!("{key}Content-Length: 5\r\n\r\nhello")),
        ("chunked GET", format!("{key}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n")),
        ("CL and TE", format!("{key}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n")),
        ("TE and CL", format!("{key}Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n")),
    ];
    for (name, extra) in header_tricks {
        out.push(Attack { name: format!("header: {name}"), bytes: req("GET", read, &extra), json: true });
    }
    let bitget_read = "/v1/bitget/api/v2/spot/account/assets";
    let bitget_partial = [
        (
            "bitget no passphrase",
            format!("ACCESS-KEY: {BITGET_KEY}\r\nACCESS-SIGN: {BITGET_SIGN}\r\nACCESS-TIMESTAMP: 1\r\n"),
        ),
        ("bitget binance key only", key.clone()),
        ("bitget duplicate sign", format!("{}ACCESS-SIGN: other\r\n", auth_lines("bitget"))),
    ];
    for (name, extra) in bitget_partial {
        out.push(Attack { name: format!("header: {name}"), bytes: req("GET", bitget_read, &extra), json: true });
    }
    let many: String = (0..100).map(|i| format!("X-Pad-{i}: {i}\r\n")).collect();
    out.push(Attack { name: "100 headers".into(), bytes: req("GET", read, &format!("{key}{many}")), json: false });
    let big = format!("{key}X-Big: {}\r\n", "b".repeat(30_000));
    out.push(Attack { name: "30 KB header".into(), bytes: req("GET", read, &big), json: false });
    // 5. Smuggling and malformed framing over raw sockets; the smuggled request is always a write.
    let smuggled = "DELETE /v1/binance/api/v3/order?symbol=BTCUSDT HTTP/1.1\r\nHost: relay.test\r\n\r\n";
    let raw_attacks: Vec<(&str, String, bool)> = vec![
        (
            "CL.TE",
            format!(
                "POST /v1/binance/sapi/v1/asset/get-funding-asset HTTP/1.1\r\nHost: x\r\n{key}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}"
            ),
            true,
        ),
        (
            "TE.CL",
            format!(
                "POST /v1/binance/sapi/v1/asset/get-funding-asset HTTP/1.1\r\nHost: x\r\n{key}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n5c\r\n{smuggled}\r\n0\r\n\r\n"
            ),
            true,
        ),
        (
            "TE.TE obfuscated",
            format!(
                "GET {read} HTTP/1.1\r\nHost: x\r\n{key}Transfer-Encoding: chunked\r\nTransfer-encoding: identity\r\n\r\n0\r\n\r\n{smuggled}"
            ),
            false,
        ),
        (
            "TE xchunked",
            format!("GET {read} HTTP/1.1\r\nHost: x\r\n{key}Transfer-Encoding: xchunked\r\n\r\n{smuggled}"),
            false,
        ),
        (
            "TE chunked, identity",
            format!("GET {read} HTTP/1.1\r\nHost: x\r\n{key}Transfer-Encoding: chunked, identity\r\n\r\n{smuggled}"),
            false,
        ),
        (
            "TE space before colon",
            format!("GET {read} HTTP/1.1\r\nHost: x\r\n{key}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n{smuggled}"),
            false,
        ),
        (
            "TE obs-fold",
            format!("GET {read} HTTP/1.1\r\nHost: x\r\n{key}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n{smuggled}"),
            false,
        ),
        (
            "two different CL",
            format!(
                "GET {read} HTTP/1.1\r\nHost: x\r\n{key}Content-Length: 0\r\nContent-Length: {}\r\n\r\n{smuggled}",
                smuggled.len()
            ),
            false,
        ),
        ("CL negative", format!("GET {read} HTTP/1.1\r\nHost: x\r\n{key}Content-Length: -1\r\n\r\n{smuggled}"), false),
        (
            "CL plus sign",
            format!("GET {read} HTTP/1.1\r\nHost: x\r\n{key}Content-Length: +{}\r\n\r\n{smuggled}", smuggled.len()),
            false,
        ),
        ("CL hex", format!("GET {read} HTTP/1.1\r\nHost: x\r\n{key}Content-Length: 0x10\r\n\r\n{smuggled}"), false),
        (
            "GET body hides request",
            format!("GET {read} HTTP/1.1\r\nHost: x\r\n{key}Content-Length: {}\r\n\r\n{smuggled}", smuggled.len()),
            true,
        ),
        (
            "chunk size overflow",
            format!(
                "GET {read} HTTP/1.1\r\nHost: x\r\n{key}Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF0\r\n{smuggled}"
            ),
            true,
        ),
        (
            "HTTP/1.0 with TE",
            format!("GET {read} HTTP/1.0\r\nHost: x\r\n{key}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n{smuggled}"),
            false,
        ),
        ("pipelined writes", format!("GET /v1/binance/api/v3/order HTTP/1.1\r\nHost: x\r\n\r\n{smuggled}"), true),
        ("bare LF", format!("GET /v1/binance/api/v3/order HTTP/1.1\nHost: x\n\n{smuggled}"), true),
        ("header without colon", format!("GET {read} HTTP/1.1\r\nHost: x\r\n{key}Smuggle\r\n\r\n"), false),
        ("NUL in header", format!("GET {read} HTTP/1.1\r\nHost: x\r\n{key}X-A: a\0b\r\n\r\n"), false),
        (
            "CR in header value",
            format!("GET {read} HTTP/1.1\r\nHost: x\r\n{key}X-A: a\rTransfer-Encoding: chunked\r\n\r\n"),
            false,
        ),
        (
            "space in target",
            "GET /v1/binance/api/v3/account HTTP/1.1 /v1/binance/api/v3/order HTTP/1.1\r\nHost: x\r\n\r\n".to_owned(),
            false,
        ),
        ("HTTP/0.9", "GET /v1/binance/api/v3/order\r\n\r\n".to_owned(), false),
        ("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_owned(), false),
        ("HTTP/1.2", format!("GET {read} HTTP/1.2\r\nHost: x\r\n{key}\r\n"), false),
        ("tab in target", "GET /v1/binance/api/v3/order\t HTTP/1.1\r\nHost: x\r\n\r\n".to_owned(), false),
        (
            "absolute-form smuggle",
            format!("GET http://api.binance.com/api/v3/order HTTP/1.1\r\nHost: api.binance.com\r\n{key}\r\n"),
            true,
        ),
        ("host header only", format!("DELETE /api/v3/order HTTP/1.1\r\nHost: api.binance.com\r\n{key}\r\n"), true),
        ("raw upstream path", format!("GET /api/v3/account HTTP/1.1\r\nHost: api.binance.com\r\n{key}\r\n"), true),
        // Forged PROXY protocol headers (this relay trusts no proxy): refused, whatever follows.
        ("PROXY v1 forged", format!("PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\n{smuggled}"), false),
        (
            "PROXY v1 IPv6 forged",
            format!("PROXY TCP6 2001:db8::7 ::1 5555 80\r\nGET {read} HTTP/1.1\r\nHost: x\r\n{key}\r\n"),
            false,
        ),
        ("PROXY v1 UNKNOWN forged", format!("PROXY UNKNOWN\r\n{smuggled}"), false),
        ("PROXY v1 without a request", "PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\n".to_owned(), false),
        (
            "PROXY header after a request",
            format!(
                "GET /v1/binance/api/v3/order HTTP/1.1\r\nHost: x\r\n\r\nPROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\n{smuggled}"
            ),
            true,
        ),
    ];
    for (name, bytes, json) in raw_attacks {
        out.push(Attack { name: format!("raw: {name}"), bytes: bytes.into_bytes(), json });
    }
    // A forged PROXY v2 header (binary), before a write and before a read.
    for (name, after) in [
        ("PROXY v2 forged", smuggled.to_owned()),
        ("PROXY v2 forged, then a read", format!("GET {read} HTTP/1.1\r\nHost: x\r\n{key}\r\n")),
    ] {
        let mut bytes = relay::proxy::V2_SIGNATURE.to_vec();
        bytes.extend_from_slice(&[0x21, 0x11, 0, 12, 203, 0, 113, 7, 127, 0, 0, 1, 0x15, 0xb3, 0, 80]);
        bytes.extend_from_slice(after.as_bytes());
        out.push(Attack { name: format!("raw: {name}"), bytes, json: false });
    }
    out
}

/// Sends one attack and reads every response until the relay closes the connection: at once after most refusals,
/// else (a refusal on a connection kept alive) when the idle watchdog closes it. A connection the watchdog closed
/// before its request arrived (the client was not run for a whole period after connecting) gets nothing at all:
/// then the attack is sent again. Only the HTTP/2 preface is rightly answered with nothing.
async fn run(addr: SocketAddr, bytes: Vec<u8>, https: bool) -> Resp {
    let h2 = bytes.starts_with(b"PRI * HTTP/2.0");
    let start = tokio::time::Instant::now();
    loop {
        let r = if https { raw_https(addr, &bytes, HANG).await } else { raw(addr, &bytes, HANG).await };
        assert!(r.closed, "the relay never closed the connection: {}", String::from_utf8_lossy(&r.raw));
        if h2 || !r.raw.is_empty() || start.elapsed() > HANG {
            return r;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_attack_reaches_the_upstream_and_each_is_refused() {
    every_attack_is_refused(false).await;
}

/// The same corpus inside TLS connections to a relay serving HTTPS: the same refusals.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_attack_over_https_reaches_the_upstream_and_each_is_refused() {
    every_attack_is_refused(true).await;
}

/// The fuzz targets (relay/fuzz) feed their bytes to the relay in plain text; over HTTPS the relay's own code sees the
/// same bytes once rustls has decrypted them (docs/relay.md, Fuzzing). This holds it: every attack of the corpus gets
/// the same answer, byte for byte (the `Date` header and Bitget's `requestTime` aside), from a relay serving HTTPS as
/// from one serving plain HTTP, and neither sends anything upstream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_attack_gets_the_same_answer_over_https_as_in_plain_text() {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let start = |tls: bool| {
        let mut config = config_for(&up);
        config.limits.header_read_timeout_ms = 1_000;
        if tls {
            config.tls = Some(https_files("a"));
        }
        start_relay(config)
    };
    let (plain, https) = (start(false).await, start(true).await);
    let corpus = corpus();
    let mut differences = Vec::new();
    for chunk in corpus.chunks(32) {
        let p = futures_join(chunk.iter().map(|a| run(plain.addr, a.bytes.clone(), false))).await;
        let t = futures_join(chunk.iter().map(|a| run(https.addr, a.bytes.clone(), true))).await;
        for ((a, p), t) in chunk.iter().zip(p).zip(t) {
            let (p, t) = (comparable(&p.raw), comparable(&t.raw));
            if p != t {
                differences.push(format!("{}:\n  plain: {p}\n  https: {t}", a.name));
            }
        }
    }
    assert!(differences.is_empty(), "{} of {} differ:\n{}", differences.len(), corpus.len(), differences.join("\n"));
    assert!(up.seen().is_empty(), "an attack reached the upstream");
}

/// An answer's bytes without what differs from one moment to the next: `Date` header lines and the value of
/// Bitget's `requestTime`.
fn comparable(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut out = String::new();
    for line in text.split("\r\n").filter(|l| !l.to_ascii_lowercase().starts_with("date:")) {
        let mut line = line.to_string();
        if let Some(at) = line.find("\"requestTime\":") {
            let digits = line[at + 14..].bytes().take_while(u8::is_ascii_digit).count();
            line.replace_range(at + 14..at + 14 + digits, "T");
        }
        out.push_str(&line);
        out.push_str("\r\n");
    }
    out
}

async fn every_attack_is_refused(https: bool) {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let mut config = config_for(&up);
    // The watchdog's period: a connection kept alive after its refusals is closed within two (see `run`).
    config.limits.header_read_timeout_ms = 1_000;
    if https {
        config.tls = Some(https_files("a"));
    }
    let relay = start_relay(config).await;
    let corpus = corpus();
    assert!(corpus.len() >= 200, "corpus has {} requests", corpus.len());
    let mut json_refusals = 0;
    let mut parser_refusals = 0;
    let mut h2_closed = 0;
    let mut by_route = std::collections::BTreeMap::new();
    let mut failures = Vec::new();
    // Several at a time, bounded.
    for chunk in corpus.chunks(32) {
        let results = futures_join(chunk.iter().map(|a| run(relay.addr, a.bytes.clone(), https))).await;
        for (a, r) in chunk.iter().zip(results) {
            // An HTTP/2 preface on this HTTP/1 server is answered by closing the connection.
            let h2 = a.name.contains("HTTP/2 preface");
            let first_ok = (400..500).contains(&r.status) || (h2 && r.status == 0 && r.raw.is_empty());
            if !first_ok {
                failures.push(format!("{}: status {} {}", a.name, r.status, String::from_utf8_lossy(&r.raw)));
                continue;
            }
            // Every response on the connection is a refusal (pipelined requests included).
            let text = String::from_utf8_lossy(&r.raw);
            for line in text.lines().filter(|l| l.starts_with("HTTP/1.1 ")) {
                let code: u16 = line[9..12].parse().unwrap_or(0);
                if !(400..500).contains(&code) {
                    failures.push(format!("{}: a later response was {line}", a.name));
                }
            }
            if a.name.starts_with("HEAD ") {
                // A HEAD response has no body: the status and content type are the refusal.
                if r.status != 405 || r.header("content-type") != Some("application/json") {
                    failures.push(format!("{}: {}", a.name, String::from_utf8_lossy(&r.raw)));
                }
                json_refusals += 1;
            } else if h2 {
                h2_closed += 1;
            } else {
                let j = r.json();
                let venue = route_venue(&a.bytes);
                let code = match refusal_reason(venue, &j) {
                    Ok(code) => code,
                    Err(e) => {
                        failures.push(format!("{} (route {venue:?}): {e}: {}", a.name, r.text()));
                        continue;
                    }
                };
                *by_route.entry(venue.unwrap_or("relay")).or_insert(0) += 1;
                if r.header("content-type") != Some("application/json") || r.header("cache-control") != Some("no-store")
                {
                    failures.push(format!("{}: refusal headers: {:?}", a.name, r.headers));
                }
                let status_matches = match code.as_str() {
                    "malformed_request" => r.status == 400,
                    "headers_too_large" => r.status == 431,
                    "target_too_long" => r.status == 414,
                    _ => (400..500).contains(&r.status),
                };
                if !status_matches {
                    failures.push(format!("{}: status {} with code {code}", a.name, r.status));
                }
                if ["malformed_request", "headers_too_large", "target_too_long"].contains(&code.as_str()) && !a.json {
                    // The HTTP parser's refusals: the relay's body on hyper's status, and the connection closed.
                    if r.header("connection") != Some("close") {
                        failures.push(format!("{}: parser refusal {code} without Connection: close", a.name));
                    }
                    parser_refusals += 1;
                } else {
                    json_refusals += 1;
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    let seen = up.seen();
    assert!(seen.is_empty(), "requests reached the upstream: {:?}", seen.iter().map(|s| &s.target).collect::<Vec<_>>());
    println!(
        "corpus: {} attacks, {json_refusals} policy refusals, {parser_refusals} HTTP parser refusals (all with the \
         relay's JSON body), {h2_closed} HTTP/2 preface closed",
        corpus.len()
    );
    println!("refusals by route shape: {by_route:?}");
    assert_eq!(h2_closed, 1);
    assert_eq!(relay.relay.metrics.refusals_of("proxy_header_not_trusted"), 6, "forged PROXY headers");
    assert!(by_route.get("binance").is_some_and(|n| *n > 800), "{by_route:?}");
    assert!(by_route.get("bitget").is_some_and(|n| *n > 400), "{by_route:?}");
    assert!(by_route.get("relay").is_some_and(|n| *n > 10), "{by_route:?}");
    assert!(parser_refusals >= 20, "{parser_refusals} parser refusals");
    // Parser refusals are counted like the policy's.
    let m = relay.relay.metrics.render(&[]);
    for reason in ["malformed_request", "headers_too_large", "http2_not_supported"] {
        assert!(m.contains(&format!("relay_refusals_total{{reason=\"{reason}\"}}")), "{reason} not counted:\n{m}");
    }
    // The relay still serves reads afterwards.
    let read = b"GET /v1/binance/api/v3/time HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let r = if https { raw_https(relay.addr, read, HANG).await } else { raw(relay.addr, read, HANG).await };
    assert_eq!(r.status, 200);
    assert_eq!(up.seen().len(), 1);
}

/// On the HTTPS port, every attack sent in plain text (HTTP, an HTTP/2 preface, forged PROXY headers from an address
/// that is not a trusted proxy) is answered in plain text with the relay's JSON refusal and the connection closed,
/// before any TLS: `tls_required`, or `proxy_header_not_trusted` for a PROXY header. Bytes that start like a TLS
/// handshake but are not one are closed without an answer. Nothing reaches the upstream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_text_to_the_https_port_is_refused_cleanly() {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let mut config = config_for(&up);
    config.tls = Some(https_files("a"));
    let relay = start_relay(config).await;
    let corpus = corpus();
    let mut failures = Vec::new();
    let mut proxy = 0;
    for chunk in corpus.chunks(32) {
        let results = futures_join(chunk.iter().map(|a| {
            let bytes = a.bytes.clone();
            let addr = relay.addr;
            async move { raw(addr, &bytes, HANG).await }
        }))
        .await;
        for (a, r) in chunk.iter().zip(results) {
            let forged = a.bytes.starts_with(b"PROXY ") || a.bytes.starts_with(relay::proxy::V2_SIGNATURE);
            let want = if forged { "proxy_header_not_trusted" } else { "tls_required" };
            proxy += usize::from(forged);
            let j = r.json();
            if !r.closed || r.status != 400 || j["code"] != want || j["source"] != "relay" || !j["message"].is_string()
            {
                failures.push(format!("{}: {}", a.name, String::from_utf8_lossy(&r.raw)));
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(proxy, 6, "the forged PROXY headers of the corpus");
    assert_eq!(relay.relay.metrics.refusals_of("proxy_header_not_trusted"), 6);
    assert_eq!(relay.relay.metrics.refusals_of("tls_required") as usize, corpus.len() - 6);
    // A TLS record header followed by garbage: the handshake fails, the connection is closed with no answer.
    let r = raw(relay.addr, b"\x16\x03\x01\x00\x05hello", HANG).await;
    assert!(r.closed && r.status == 0, "{}", String::from_utf8_lossy(&r.raw));
    assert_eq!(relay.relay.metrics.refusals_of("tls_handshake_failed"), 1);
    assert!(up.seen().is_empty(), "requests reached the upstream");
    // HTTPS is served.
    let r =
        raw_https(relay.addr, b"GET /v1/binance/api/v3/time HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", HANG)
            .await;
    assert_eq!(r.status, 200);
}

/// The venue whose route the first request line names (`/v1/{venue}` or below it), read as a client would.
fn route_venue(bytes: &[u8]) -> Option<&'static str> {
    let text = String::from_utf8_lossy(bytes);
    let line = text.trim_start_matches(['\r', '\n']).split(['\r', '\n']).next()?;
    let target = line.split(' ').nth(1)?;
    let path = target.split(['?', '#']).next()?;
    ["binance", "bitget"].into_iter().find(|v| path == format!("/v1/{v}") || path.starts_with(&format!("/v1/{v}/")))
}

/// Checks a refusal's body against its route's shape; its reason, or what is wrong.
fn refusal_reason(venue: Option<&str>, j: &serde_json::Value) -> Result<String, String> {
    if j["source"] != "relay" {
        return Err("no source: relay".into());
    }
    let reason = match venue {
        None => j["code"].as_str().filter(|_| j["message"].is_string()).ok_or("not the relay's shape")?,
        Some(_) => j["relay_reason"].as_str().ok_or("no relay_reason")?,
    };
    let msg = j["msg"].as_str().unwrap_or("");
    match venue {
        None => {}
        // ccxt and Binance's own clients read `code` as an integer.
        Some("binance") if j["code"].as_i64().is_none_or(|c| c >= 0) || !msg.contains(reason) => {
            return Err("not Binance's shape (a negative integer code, a msg with the reason)".into());
        }
        Some("binance") => {}
        Some(_) => {
            let code = j["code"].as_str().unwrap_or("");
            if code.is_empty()
                || !code.bytes().all(|b| b.is_ascii_digit())
                || !msg.contains(reason)
                || !j["requestTime"].is_u64()
                || !j["data"].is_null()
                || j.get("data").is_none()
            {
                return Err(
                    "not Bitget's shape (a code of digits, msg with the reason, requestTime, data: null)".into()
                );
            }
        }
    }
    Ok(reason.to_owned())
}

async fn futures_join<F: Future<Output = Resp> + Send + 'static>(it: impl Iterator<Item = F>) -> Vec<Resp> {
    let handles: Vec<_> = it.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

/// A request hyper's parser refuses after requests it served on the same connection (pipelined, or on keep-alive
/// after the hot path's): its refusal has its own route's shape, not that of the requests before it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parser_refusal_after_served_requests_has_its_own_route_s_shape() {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let relay = start_relay(config_for(&up)).await;
    // `"` in a query: the HTTP parser refuses it (400) before the policy sees it.
    for (before, refused, venue) in [
        (
            "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/ips HTTP/1.1\r\nHost: x\r\n\r\n",
            "/v1/bitget/api/v2/public/time?x=\"",
            Some("bitget"),
        ),
        ("GET /v1/binance/api/v3/time HTTP/1.1\r\nHost: x\r\n\r\n", "/v1/binance/api/v3/time?x=\"", Some("binance")),
        (
            "GET /v1/bitget/api/v2/public/time HTTP/1.1\r\nHost: x\r\n\r\n",
            "/v1/binance/api/v3/time?x=\"",
            Some("binance"),
        ),
        ("\r\nGET /v1/binance/api/v3/time HTTP/1.1\r\nHost: x\r\n\r\n\r\n", "/healthz?x=\"", None),
        ("GET /healthz HTTP/1.1\nHost: x\n\n", "/v1/binance?\"", Some("binance")),
    ] {
        let bytes = format!("{before}GET {refused} HTTP/1.1\r\nHost: x\r\n\r\n");
        let r = raw(relay.addr, bytes.as_bytes(), HANG).await;
        let text = String::from_utf8_lossy(&r.raw).into_owned();
        let last = text.rfind("HTTP/1.1 400 ").unwrap();
        let resp = parse(r.raw[last..].to_vec());
        assert_eq!(resp.status, 400, "{text}");
        let reason = refusal_reason(venue, &resp.json()).unwrap_or_else(|e| panic!("{bytes:?}: {e}: {text}"));
        assert_eq!(reason, "malformed_request");
    }
}
