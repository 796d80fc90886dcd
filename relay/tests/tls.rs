//! HTTPS served by the relay itself (docs/relay.md, "HTTPS"): the relay binary with a certificate from the test-only
//! CA in `tests/data/https`, clients trusting that CA. A SIGHUP makes new handshakes present the files' new
//! certificate while a connection opened before keeps working; a reload that fails keeps the certificate in use and
//! says why in one line, without the key; a client that never finishes its handshake is closed at the header read
//! deadline, and handshakes count against the per-IP connection limit. A trusted proxy's PROXY header comes in plain
//! text before the handshake.

mod common;

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use common::*;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

type Tls = tokio_rustls::client::TlsStream<TcpStream>;

const A_PEM: &[u8] = include_bytes!("data/https/a.pem");
const A_KEY: &[u8] = include_bytes!("data/https/a.key");
const B_PEM: &[u8] = include_bytes!("data/https/b.pem");
const B_KEY: &[u8] = include_bytes!("data/https/b.key");
const TIME: &str = "/v1/binance/api/v3/time";

async fn handshake(tcp: TcpStream) -> Tls {
    https_handshake(tcp).await
}

async fn connect(addr: SocketAddr) -> Tls {
    handshake(TcpStream::connect(addr).await.unwrap()).await
}

/// The certificate the relay presented on `s`.
fn presented(s: &Tls) -> Vec<u8> {
    s.get_ref().1.peer_certificates().expect("a certificate")[0].to_vec()
}

fn der(pem: &[u8]) -> Vec<u8> {
    CertificateDer::from_pem_slice(pem).unwrap().to_vec()
}

/// One keep-alive GET on `s`: the response, read to the end of its body.
async fn exchange(s: &mut Tls, target: &str) -> Resp {
    s.write_all(format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let r = parse(raw.clone());
            let whole = match r.header("content-length").and_then(|v| v.parse::<usize>().ok()) {
                Some(n) => raw.len() >= end + 4 + n,
                None => raw.ends_with(b"0\r\n\r\n"),
            };
            if whole {
                return r;
            }
        }
        let n = tokio::time::timeout(HANG, s.read(&mut chunk)).await.expect("a response").unwrap();
        assert!(n > 0, "the relay closed the connection: {}", String::from_utf8_lossy(&raw));
        raw.extend_from_slice(&chunk[..n]);
    }
}

/// Reads until the relay closes the connection (or a hang): true when it closed it.
async fn closed_by_relay(s: &mut TcpStream) -> bool {
    let mut chunk = [0u8; 1024];
    tokio::time::timeout(HANG, async {
        loop {
            match s.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

/// Which of three connections the relay closes first (bounded by [`HANG`]).
async fn first_closed_by_relay([a, b, c]: &mut [TcpStream; 3]) -> Option<usize> {
    async fn closed(s: &mut TcpStream) {
        let mut chunk = [0u8; 1024];
        while let Ok(n) = s.read(&mut chunk).await {
            if n == 0 {
                return;
            }
        }
    }
    let first = async {
        tokio::select! {
            () = closed(a) => 0,
            () = closed(b) => 1,
            () = closed(c) => 2,
        }
    };
    tokio::time::timeout(HANG, first).await.ok()
}

/// A fresh directory for one test's certificate files and configuration.
fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("relay-tls-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A fresh directory holding certificate A as `cert.pem` and its key as `key.pem`, what [`start`] serves.
fn dir_with_a(name: &str) -> PathBuf {
    let d = dir(name);
    std::fs::write(d.join("cert.pem"), A_PEM).unwrap();
    std::fs::write(d.join("key.pem"), A_KEY).unwrap();
    d
}

/// Replaces `path` with `bytes` at once (a rename, as certificate tools do).
fn replace(path: &Path, bytes: &[u8]) {
    let tmp = path.with_extension("new");
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// Starts the relay binary serving HTTPS with `dir/cert.pem` and `dir/key.pem`, forwarding to `up`; `limits`: lines
/// of its `[limits]` table.
fn start(dir: &Path, up: &Upstream, limits: &str) -> RelayProcess {
    let config = dir.join("relay.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\nmetrics_listen = \"off\"\ntls_cert = \"{}\"\ntls_key = \"{}\"\n\
             [upstreams]\nbinance_spot = \"{u}\"\nbinance_futures = \"{u}\"\nbinance_coin_futures = \"{u}\"\nbitget = \"{u}\"\n[limits]\n{limits}\n",
            dir.join("cert.pem").display(),
            dir.join("key.pem").display(),
            u = up.url()
        ),
    )
    .unwrap();
    RelayProcess::start(&["--config", config.to_str().unwrap()], &[("RELAY_LOG", "warn,relay=info".into())])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_serves_and_forwards_and_sighup_swaps_the_certificate_for_new_connections_only() {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let d = dir_with_a("reload");
    let mut relay = start(&d, &up, "");
    assert!(relay.stderr_has("scheme=\"https\""), "the listening line says HTTPS");

    let mut before = connect(relay.addr).await;
    assert_eq!(presented(&before), der(A_PEM));
    let r = exchange(&mut before, "/healthz").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.raw));
    let r = exchange(&mut before, TIME).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.raw));
    assert_eq!(up.seen().last().map(|s| s.target.clone()).as_deref(), Some("/api/v3/time"), "forwarded upstream");

    // New files, then SIGHUP: new handshakes present the new certificate.
    replace(&d.join("cert.pem"), B_PEM);
    replace(&d.join("key.pem"), B_KEY);
    relay.signal("HUP");
    relay.wait_line("reloaded the TLS certificate");
    let mut after = connect(relay.addr).await;
    assert_eq!(presented(&after), der(B_PEM), "a new connection sees the new certificate");
    assert_eq!(exchange(&mut after, "/healthz").await.status, 200);
    // The connection opened before keeps its session and keeps working, forwarded reads included.
    assert_eq!(exchange(&mut before, "/healthz").await.status, 200);
    assert_eq!(exchange(&mut before, TIME).await.status, 200);

    // A key that does not go with the certificate: refused, the certificate in use stays.
    replace(&d.join("key.pem"), A_KEY);
    relay.signal("HUP");
    let line = relay.wait_line("TLS reload failed");
    assert!(line.contains("does not go with the certificate"), "{line}");
    let mut third = connect(relay.addr).await;
    assert_eq!(presented(&third), der(B_PEM), "a failed reload keeps the certificate in use");
    assert_eq!(exchange(&mut third, "/healthz").await.status, 200);

    // A missing certificate file: the same.
    replace(&d.join("key.pem"), B_KEY);
    std::fs::remove_file(d.join("cert.pem")).unwrap();
    relay.signal("HUP");
    let line = relay.wait_line("TLS reload failed");
    assert!(line.contains("cannot read the TLS certificate file"), "{line}");
    // A file that is not PEM at all.
    std::fs::write(d.join("cert.pem"), B_PEM).unwrap();
    replace(&d.join("key.pem"), b"not a key\n");
    relay.signal("HUP");
    let line = relay.wait_line("TLS reload failed");
    assert!(line.contains("holds no PEM private key"), "{line}");
    let mut fourth = connect(relay.addr).await;
    assert_eq!(presented(&fourth), der(B_PEM));
    assert_eq!(exchange(&mut fourth, TIME).await.status, 200);
    assert_eq!(exchange(&mut before, TIME).await.status, 200, "the first connection still works");

    drop((before, after, third, fourth));
    let (status, log) = relay.stop().await;
    assert!(status.success(), "{log}");
    for key in [A_KEY, B_KEY] {
        let body: String = String::from_utf8_lossy(key).lines().filter(|l| !l.starts_with("-----")).collect();
        for part in body.as_bytes().chunks_exact(16) {
            let part = std::str::from_utf8(part).unwrap();
            assert!(!log.contains(part), "key material {part} in the log:\n{log}");
        }
    }
    let _ = std::fs::remove_dir_all(&d);
}

/// The listening line is said once the signal handlers are in place: a SIGHUP sent the moment it appears reloads (one
/// sent before the handlers would stop the relay, or be lost where SIGHUP is ignored, as under `nohup`: a CI run on
/// a busy machine lost one so, between the line and the handlers).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sighup_as_soon_as_the_relay_says_it_listens_is_handled() {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let d = dir_with_a("early-hup");
    let mut relay = start(&d, &up, "");
    replace(&d.join("cert.pem"), B_PEM);
    replace(&d.join("key.pem"), B_KEY);
    relay.signal("HUP");
    relay.wait_line("reloaded the TLS certificate");
    let mut after = connect(relay.addr).await;
    assert_eq!(presented(&after), der(B_PEM), "the reload took");
    assert_eq!(exchange(&mut after, "/healthz").await.status, 200);
    drop(after);
    let (status, log) = relay.stop().await;
    assert!(status.success(), "{log}");
    let _ = std::fs::remove_dir_all(&d);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_handshake_is_closed_at_the_deadline() {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let d = dir_with_a("deadline");
    let mut relay = start(&d, &up, "header_read_timeout_ms = 300");
    // Opens TCP and sends nothing.
    let mut silent = TcpStream::connect(relay.addr).await.unwrap();
    // Sends the start of a TLS record (a handshake, 512 bytes announced) and stalls.
    let mut stalled = TcpStream::connect(relay.addr).await.unwrap();
    stalled.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01]).await.unwrap();
    assert!(closed_by_relay(&mut silent).await, "the silent client is closed");
    assert!(closed_by_relay(&mut stalled).await, "the stalled handshake is closed");
    relay.wait_line("reason=\"tls_handshake_timeout\"");
    // The relay still serves. An honest client has the same 300 ms for its handshake and request head: on a slow or
    // busy machine it may miss them, and the relay closes it too, as it should. So it tries again until one attempt
    // is served; what it checks is that the relay serves at all after the stalled clients, not how fast the machine
    // is. Any other answer than a close or a 200 fails. Bounded by HANG, which only a relay that stopped serving
    // reaches.
    let started = std::time::Instant::now();
    let mut closed_at_deadline = 0;
    loop {
        match healthz_once(relay.addr).await {
            Some(status) => {
                assert_eq!(status, 200);
                break;
            }
            None => closed_at_deadline += 1,
        }
        assert!(started.elapsed() < HANG, "no honest request served in {closed_at_deadline} attempts");
    }
    eprintln!("honest attempts closed at the deadline before one was served: {closed_at_deadline}");
    let _ = std::fs::remove_dir_all(&d);
}

/// One honest HTTPS `GET /healthz` on a new connection: its status, or `None` when the relay closed the connection
/// before the whole response (the handshake or the request head missed the deadline).
async fn healthz_once(addr: SocketAddr) -> Option<u16> {
    let tcp = TcpStream::connect(addr).await.ok()?;
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut s = https_client().connect(name, tcp).await.ok()?;
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").await.ok()?;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let r = parse(raw.clone());
            let length = r.header("content-length").and_then(|v| v.parse::<usize>().ok())?;
            if raw.len() >= end + 4 + length {
                return Some(r.status);
            }
        }
        let n = tokio::time::timeout(HANG, s.read(&mut chunk)).await.expect("an answer or a close").ok()?;
        if n == 0 {
            return None;
        }
        raw.extend_from_slice(&chunk[..n]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshakes_count_against_the_per_ip_connection_limit() {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let d = dir_with_a("per-ip");
    // A deadline no test run reaches: the held connections stay open until dropped.
    let mut relay = start(&d, &up, "header_read_timeout_ms = 600000\nmax_connections_per_ip = 2");
    let addr = relay.addr;
    let connect_from = |ip: [u8; 4]| async move {
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.bind(SocketAddr::new(IpAddr::from(ip), 0)).unwrap();
        sock.connect(addr).await.unwrap()
    };
    // Three connections that never start their handshake, for the address's two slots: the relay refuses one and
    // keeps the other two. Which one it refuses is whichever its workers accept last (each worker accepts on its
    // own), not always the third connected.
    let mut held =
        [connect_from([127, 0, 0, 7]).await, connect_from([127, 0, 0, 7]).await, connect_from([127, 0, 0, 7]).await];
    let refused = first_closed_by_relay(&mut held).await.expect("one connection from the address is closed");
    relay.wait_line("reason=\"too_many_connections\"");
    for (i, kept) in held.iter().enumerate().filter(|(i, _)| *i != refused) {
        let open = matches!(kept.try_read(&mut [0u8; 1]), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock);
        assert!(open, "connection {i} of the address is kept open");
    }
    // Another address handshakes and is served.
    let mut other = handshake(connect_from([127, 0, 0, 8]).await).await;
    assert_eq!(exchange(&mut other, "/healthz").await.status, 200);
    drop(held);
    let _ = std::fs::remove_dir_all(&d);
}

/// In-process: a trusted proxy's PROXY header, in plain text, then TLS on the same connection; the relay counts the
/// connection under the client the header names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_proxy_s_proxy_header_comes_before_the_handshake() {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let mut config = config_for(&up);
    config.tls = Some(https_files("a"));
    config.trusted_proxies = vec![relay::proxy::Cidr::parse("127.0.0.1/32").unwrap()];
    let running = start_relay(config).await;
    let mut tcp = TcpStream::connect(running.addr).await.unwrap();
    tcp.write_all(b"PROXY TCP4 203.0.113.9 127.0.0.1 5555 443\r\n").await.unwrap();
    let mut s = handshake(tcp).await;
    assert_eq!(presented(&s), der(A_PEM));
    assert_eq!(exchange(&mut s, TIME).await.status, 200);
    assert_eq!(running.relay.connections_per_ip.open(IpAddr::from([203, 0, 113, 9])), 1, "counted as the client");
    drop(s);
}

/// `tls_cert` and `tls_key` from the file, `RELAY_TLS_CERT` and `RELAY_TLS_KEY`, `--tls-cert` and `--tls-key`, in
/// that order of precedence, and always as a pair.
#[test]
fn tls_is_configured_by_file_environment_and_flags_as_a_pair() {
    let d = dir("config");
    let file = d.join("relay.toml");
    std::fs::write(&file, "tls_cert = \"/f/cert.pem\"\ntls_key = \"/f/key.pem\"\n").unwrap();
    let files = |cert: &str, key: &str| Some(relay::config::TlsFiles { cert: cert.into(), key: key.into() });
    let args = relay::Args { config: Some(file.clone()), ..Default::default() };
    assert_eq!(args.resolve(|_| None).unwrap().tls, files("/f/cert.pem", "/f/key.pem"));
    let env = |k: &str| match k {
        "RELAY_TLS_CERT" => Some("/e/cert.pem".to_owned()),
        "RELAY_TLS_KEY" => Some("/e/key.pem".to_owned()),
        _ => None,
    };
    assert_eq!(args.resolve(env).unwrap().tls, files("/e/cert.pem", "/e/key.pem"));
    let flags = relay::Args::from_argv(
        ["--config", file.to_str().unwrap(), "--tls-cert", "/a/cert.pem", "--tls-key", "/a/key.pem"].map(String::from),
    )
    .unwrap();
    assert_eq!(flags.resolve(env).unwrap().tls, files("/a/cert.pem", "/a/key.pem"));
    assert_eq!(relay::Args::default().resolve(|_| None).unwrap().tls, None, "no certificate: plain HTTP");
    // One without the other: refused, saying where and what to do.
    std::fs::write(&file, "listen = \"127.0.0.1:0\"\ntls_cert = \"/f/cert.pem\"\n").unwrap();
    let err = args.resolve(|_| None).unwrap_err().to_string();
    assert!(err.contains("relay.toml") && err.contains("give both"), "{err}");
    let err = relay::Args::default()
        .resolve(|k| (k == "RELAY_TLS_KEY").then(|| "/e/key.pem".to_owned()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("RELAY_TLS_CERT") && err.contains("give both"), "{err}");
    let err = relay::Args::from_argv(["--tls-key", "/a/key.pem"].map(String::from))
        .unwrap()
        .resolve(|_| None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("--tls-cert") && err.contains("give both"), "{err}");
    let _ = std::fs::remove_dir_all(&d);
}

/// The binary does not start with a certificate it cannot use: exit code 2 and one line naming the file and the
/// fault, never the key.
#[test]
fn the_binary_refuses_an_unusable_certificate_at_start_in_one_line() {
    let d = dir("start");
    std::fs::write(d.join("a.pem"), A_PEM).unwrap();
    std::fs::write(d.join("a.key"), A_KEY).unwrap();
    std::fs::write(d.join("b.key"), B_KEY).unwrap();
    std::fs::write(d.join("garbage.key"), b"-----BEGIN PRIVATE KEY-----\nnot base64 at all!\n").unwrap();
    let p = |name: &str| d.join(name).to_str().unwrap().to_owned();
    for (cert, key, said) in [
        (p("a.pem"), p("b.key"), "does not go with the certificate"),
        (p("missing.pem"), p("a.key"), "cannot read the TLS certificate file"),
        (p("a.pem"), p("missing.key"), "cannot read the TLS key file"),
        (p("a.key"), p("a.key"), "holds no PEM certificate"),
        (p("a.pem"), p("garbage.key"), "is not a valid PEM private key"),
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_relay"))
            .args(["--listen", "127.0.0.1:0", "--metrics-listen", "off", "--tls-cert", &cert, "--tls-key", &key])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut err = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(2), "{err}");
        let last = err.lines().last().unwrap_or("");
        assert!(last.starts_with("relay: ") && last.contains(said), "{cert} {key}: {err}");
        assert!(!err.contains("not base64") && !err.contains("MIG"), "key material in {err}");
    }
    let _ = std::fs::remove_dir_all(&d);
}
