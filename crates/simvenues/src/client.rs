//! A minimal HTTP/1.1 client and the venues' signing schemes, for tests and checks against the simulated venues.
//! It can bind the client side to a chosen loopback address (e.g. 127.0.0.2) to exercise IP-restricted keys.

use std::net::{IpAddr, SocketAddr};

use base64::Engine;
use ed25519_dalek::Signer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

use crate::http::percent_encode;
use crate::keys::{DemoKey, KeyType};

/// A response.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A header value.
    pub fn header(&self, name: &str) -> Option<&str> {
        let n = name.to_ascii_lowercase();
        self.headers.iter().find(|(k, _)| *k == n).map(|(_, v)| v.as_str())
    }
    /// The body as JSON (Null if it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(pos) = b.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(std::str::from_utf8(&b[..pos]).unwrap_or("0").trim(), 16).unwrap_or(0);
        if size == 0 || b.len() < pos + 2 + size {
            break;
        }
        out.extend_from_slice(&b[pos + 2..pos + 2 + size]);
        b = &b[(pos + 4 + size).min(b.len())..];
    }
    out
}

/// Sends one request to `base` (`http://host:port`) and reads the whole response. `local` binds the client side.
pub async fn request(
    base: &str,
    method: &str,
    path_and_query: &str,
    headers: &[(String, String)],
    body: &[u8],
    local: Option<IpAddr>,
) -> std::io::Result<HttpResponse> {
    let hostport = base.trim_start_matches("http://").trim_end_matches('/');
    let addr: SocketAddr = hostport.parse().map_err(std::io::Error::other)?;
    let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    if let Some(ip) = local {
        socket.bind(SocketAddr::new(ip, 0))?;
    }
    let mut stream = socket.connect(addr).await?;
    let mut req = format!("{method} {path_and_query} HTTP/1.1\r\nHost: {hostport}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method != "GET" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| std::io::Error::other("no header end"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string())))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked")) {
        body = dechunk(&body);
    }
    Ok(HttpResponse { status, headers, body })
}

/// The Ed25519 private key seed inside a PKCS#8 PEM (as Binance hands out).
pub fn ed25519_seed_from_pem(pem: &str) -> Option<[u8; 32]> {
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    der.get(der.len().checked_sub(32)?..)?.try_into().ok()
}

/// The Binance `signature` parameter value for `payload` with `key` (hex HMAC, or percent-encoded base64 Ed25519).
pub fn binance_signature(key: &DemoKey, payload: &str) -> String {
    match key.key_type {
        KeyType::HmacSha256 => crate::binance::hmac_hex(key.secret.expose(), payload),
        KeyType::Ed25519 => {
            let seed = ed25519_seed_from_pem(key.secret.expose()).expect("Ed25519 key holds a PKCS#8 PEM");
            let sk = ed25519_dalek::SigningKey::from_bytes(&seed);
            percent_encode(&base64::engine::general_purpose::STANDARD.encode(sk.sign(payload.as_bytes()).to_bytes()))
        }
    }
}

/// `query&timestamp=…&signature=…` for a signed Binance GET.
pub fn binance_signed_query(key: &DemoKey, query: &str, timestamp: i64) -> String {
    let payload =
        if query.is_empty() { format!("timestamp={timestamp}") } else { format!("{query}&timestamp={timestamp}") };
    let sig = binance_signature(key, &payload);
    format!("{payload}&signature={sig}")
}

/// A signed Binance GET: `path?query&timestamp&signature` with the key header.
pub async fn binance_get(
    base: &str,
    key: &DemoKey,
    path: &str,
    query: &str,
    local: Option<IpAddr>,
) -> std::io::Result<HttpResponse> {
    let q = binance_signed_query(key, query, crate::http::now_ms());
    request(base, "GET", &format!("{path}?{q}"), &[("X-MBX-APIKEY".into(), key.api_key.clone())], b"", local).await
}

/// The Bitget private headers for a request.
pub fn bitget_headers(
    key: &DemoKey,
    timestamp: i64,
    method: &str,
    path: &str,
    query: &str,
    body: &str,
) -> Vec<(String, String)> {
    let q = if query.is_empty() { String::new() } else { format!("?{query}") };
    let sign = crate::bitget::sign(key.secret.expose(), &format!("{timestamp}{method}{path}{q}{body}"));
    vec![
        ("ACCESS-KEY".into(), key.api_key.clone()),
        ("ACCESS-SIGN".into(), sign),
        ("ACCESS-TIMESTAMP".into(), timestamp.to_string()),
        ("ACCESS-PASSPHRASE".into(), key.passphrase.expose().to_string()),
        ("Content-Type".into(), "application/json".into()),
        ("locale".into(), "en-US".into()),
    ]
}

/// A signed Bitget GET.
pub async fn bitget_get(
    base: &str,
    key: &DemoKey,
    path: &str,
    query: &str,
    local: Option<IpAddr>,
) -> std::io::Result<HttpResponse> {
    let h = bitget_headers(key, crate::http::now_ms(), "GET", path, query, "");
    let target = if query.is_empty() { path.to_string() } else { format!("{path}?{query}") };
    request(base, "GET", &target, &h, b"", local).await
}
