//! The request plumbing shared by the simulated venues: one fallback handler per server receives every request with
//! its raw query and body and the connecting socket's peer address, so signatures are checked over the bytes the
//! client sent and IP-restricted keys over the real peer IP.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;

/// Milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// One request as the venue sees it.
#[derive(Debug)]
pub struct Req {
    /// Method.
    pub method: Method,
    /// Path without query.
    pub path: String,
    /// The query string exactly as received (without `?`).
    pub raw_query: String,
    /// Headers.
    pub headers: HeaderMap,
    /// Body bytes.
    pub body: Bytes,
    /// The connecting socket's peer address.
    pub peer: IpAddr,
    /// Server time when the request arrived, ms.
    pub now: i64,
}

impl Req {
    /// A header as a string.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Decodes `%XX` escapes and, in form encoding, `+` as space.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if c.is_ascii_alphanumeric() || b"-._~".contains(&c) {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

/// Decoded `key=value` pairs in order.
#[derive(Debug, Default, Clone)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// Parses a query string or form body.
    pub fn parse(s: &str) -> Params {
        Params(
            s.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (percent_decode(k), percent_decode(v))
                })
                .collect(),
        )
    }
    /// The first value of `k`, if present and non-empty.
    pub fn get(&self, k: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }
    /// Whether `k` was sent.
    pub fn has(&self, k: &str) -> bool {
        self.get(k).is_some()
    }
    /// Appends the pairs of `other` whose names are not present yet (the query wins over the body).
    pub fn merge(&mut self, other: Params) {
        for (k, v) in other.0 {
            if !self.0.iter().any(|(n, _)| *n == k) {
                self.0.push((k, v));
            }
        }
    }
}

/// A JSON response with extra headers.
pub fn json_response(status: StatusCode, body: &serde_json::Value, headers: &[(&str, String)]) -> Response {
    let mut r = Response::new(Body::from(serde_json::to_vec(body).unwrap_or_default()));
    *r.status_mut() = status;
    r.headers_mut().insert("content-type", HeaderValue::from_static("application/json;charset=UTF-8"));
    for (k, v) in headers {
        if let (Ok(name), Ok(val)) = (axum::http::HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(v)) {
            r.headers_mut().insert(name, val);
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_and_encode_round_trip() {
        assert_eq!(percent_decode("%EF%BC%91a+b%2"), "１a b%2");
        assert_eq!(percent_encode("１ a"), "%EF%BC%91%20a");
        let p = Params::parse("symbol=BTCUSDT&limit=5&x=");
        assert_eq!(p.get("limit"), Some("5"));
        assert_eq!(p.get("x"), None);
    }
}
