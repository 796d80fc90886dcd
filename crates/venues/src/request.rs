//! Requests as the venues want them: every request is for a catalogue endpoint (a constant such as
//! [`catalogue::BINANCE_MY_TRADES`]), the query is built once, signed and sent byte for byte as signed (the relay
//! forwards it unchanged).

use std::fmt;

use catalogue::{Endpoint, Method, Security, Venue};

use crate::error::VenueError;
use crate::secret::{Credentials, KeyKind, Secret};
use crate::sign;

/// Binance's `recvWindow` in ms: how old a signed request may be when the venue receives it.
pub const BINANCE_RECV_WINDOW_MS: u32 = 10_000;

/// A request ready to send: the catalogue endpoint, the exact query string, body and headers.
#[derive(Clone)]
pub struct Request {
    /// The allow-listed endpoint (method, host, path, weight).
    pub endpoint: &'static Endpoint,
    /// The query string exactly as signed, without the leading `?`; may be empty.
    pub query: String,
    /// The body (always empty here: even Binance's read-only POST carries its parameters in the query).
    pub body: String,
    /// Header names and values: the venue's auth headers. Values include the key, the signature and Bitget's
    /// passphrase, so each is a [`Secret`]: redacted in `Debug`, zeroized on drop, exposed only by the transport that
    /// sends it.
    pub headers: Vec<(&'static str, Secret)>,
}

impl Request {
    /// The upstream path and query: `/api/v3/myTrades?symbol=...`.
    pub fn path_and_query(&self) -> String {
        if self.query.is_empty() {
            self.endpoint.path.to_string()
        } else {
            format!("{}?{}", self.endpoint.path, self.query)
        }
    }

    /// The URL through the relay: `{relay}/v1/{venue}{path}?{query}`.
    pub fn relay_url(&self, relay_base: &str) -> String {
        format!("{}/v1/{}{}", relay_base.trim_end_matches('/'), self.endpoint.venue, self.path_and_query())
    }

    /// The URL straight to a venue host's base URL (tests against simulated venues without a relay).
    pub fn direct_url(&self, host_base: &str) -> String {
        format!("{}{}", host_base.trim_end_matches('/'), self.path_and_query())
    }

    /// Binance weight of this request (0 for Bitget).
    pub fn weight(&self) -> u32 {
        self.endpoint.weight(&self.query)
    }

    /// `venue path` for messages and progress, never with the query.
    pub fn describe(&self) -> String {
        format!("{} {} {}", self.endpoint.venue, self.endpoint.method.as_str(), self.endpoint.path)
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values are the key, signature and passphrase: only their names are shown.
        let names: Vec<_> = self.headers.iter().map(|(n, _)| *n).collect();
        // The query carries Binance's signature: its value is not shown.
        let query: Vec<String> = self
            .query
            .split('&')
            .map(|kv| match kv.split_once('=') {
                Some(("signature", _)) => "signature=[redacted]".to_string(),
                _ => kv.to_string(),
            })
            .collect();
        f.debug_struct("Request")
            .field("endpoint", &self.endpoint.path)
            .field("query", &query.join("&"))
            .field("headers", &names)
            .finish()
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay as they are).
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn join(params: &[(&str, String)], encode: bool) -> String {
    let mut out = String::new();
    for (k, v) in params {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        if encode {
            out.push_str(&percent_encode(v));
        } else {
            out.push_str(v);
        }
    }
    out
}

/// A public (unsigned) request to `endpoint` with `params`.
pub fn public(endpoint: &'static Endpoint, params: &[(&str, String)]) -> Request {
    Request { endpoint, query: join(params, true), body: String::new(), headers: Vec::new() }
}

/// A request to `endpoint` with `params`, signed with `credentials` at venue time `timestamp_ms` when the endpoint
/// is signed. Binance: parameters in the given order, then `recvWindow` and `timestamp`, then `signature`. Bitget:
/// parameters sorted by key (the convention every SDK follows), signed over the decoded query. An endpoint of
/// another venue than the key's is refused before anything is signed.
pub fn build(
    credentials: &Credentials,
    endpoint: &'static Endpoint,
    params: &[(&str, String)],
    timestamp_ms: i64,
) -> Result<Request, VenueError> {
    let venue = credentials.venue;
    if endpoint.venue != venue {
        return Err(VenueError::OtherVenue { venue, endpoint: endpoint.path });
    }
    if endpoint.security == Security::Public {
        return Ok(public(endpoint, params));
    }
    match venue {
        Venue::Binance => {
            let mut all: Vec<(&str, String)> = params.to_vec();
            all.push(("recvWindow", BINANCE_RECV_WINDOW_MS.to_string()));
            all.push(("timestamp", timestamp_ms.to_string()));
            let mut query = join(&all, true);
            let signature = match credentials.key_kind() {
                KeyKind::Hmac => sign::binance_hmac(&credentials.secret, &query),
                KeyKind::Ed25519 => percent_encode(&sign::binance_ed25519(&credentials.secret, &query)?),
            };
            query.push_str("&signature=");
            query.push_str(&signature);
            Ok(Request {
                endpoint,
                query,
                body: String::new(),
                headers: vec![("X-MBX-APIKEY", Secret::new(credentials.api_key.clone()))],
            })
        }
        Venue::Bitget => {
            let mut sorted: Vec<(&str, String)> = params.to_vec();
            sorted.sort_by(|a, b| a.0.cmp(b.0));
            let query = join(&sorted, true);
            let signed_query = join(&sorted, false);
            let method = endpoint.method.as_str();
            let signature = sign::bitget(&credentials.secret, timestamp_ms, method, endpoint.path, &signed_query, "");
            // the passphrase moves into the header as the same secret type: no plain copy per request
            let passphrase = credentials.passphrase.clone().unwrap_or_default();
            Ok(Request {
                endpoint,
                query,
                body: String::new(),
                headers: vec![
                    ("ACCESS-KEY", Secret::new(credentials.api_key.clone())),
                    ("ACCESS-SIGN", Secret::new(signature)),
                    ("ACCESS-TIMESTAMP", Secret::new(timestamp_ms.to_string())),
                    ("ACCESS-PASSPHRASE", passphrase),
                    ("Content-Type", Secret::new("application/json")),
                    ("locale", Secret::new("en-US")),
                ],
            })
        }
    }
}

/// Whether this request's method is GET (the catalogue's one POST is Binance's funding-wallet query).
pub fn is_get(request: &Request) -> bool {
    request.endpoint.method == Method::Get
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use catalogue::{BINANCE_API_RESTRICTIONS, BITGET_SPOT_FILLS};

    #[test]
    fn binance_signed_query_matches_the_derived_vector() {
        let c = Credentials::new(
            Venue::Binance,
            "main",
            "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
            Secret::new("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"),
            None,
        );
        let r = build(&c, &BINANCE_API_RESTRICTIONS, &[], 1499827319559).unwrap();
        // recvWindow is 10000 here, so recompute the expected HMAC over the exact payload with the signer under test
        // only after checking the payload's shape; the docs/venues.md §4.2 vector covers the plain-timestamp payload.
        assert!(r.query.starts_with("recvWindow=10000&timestamp=1499827319559&signature="));
        let payload = "recvWindow=10000&timestamp=1499827319559";
        assert_eq!(&r.query[payload.len() + 11..], sign::binance_hmac(&c.secret, payload));
        assert_eq!(r.headers.len(), 1);
        assert_eq!((r.headers[0].0, r.headers[0].1.expose()), ("X-MBX-APIKEY", c.api_key.as_str()));
        assert_eq!(
            r.relay_url("http://127.0.0.1:9/"),
            format!("http://127.0.0.1:9/v1/binance/sapi/v1/account/apiRestrictions?{}", r.query)
        );
        assert!(!format!("{r:?}").contains("vmPUZE"), "Debug must not show the key");
    }

    #[test]
    fn bitget_sorts_and_signs_the_decoded_query() {
        let c = Credentials::new(
            Venue::Bitget,
            "main",
            "bg_key",
            Secret::new("TEST_SECRET_DO_NOT_USE_0123456789abcdef"),
            Some(Secret::new("pp")),
        );
        let params = [
            ("symbol", "BTCUSDT".to_string()),
            ("startTime", "1659036670000".to_string()),
            ("limit", "100".to_string()),
            ("endTime", "1659076670000".to_string()),
        ];
        let r = build(&c, &BITGET_SPOT_FILLS, &params, 1659076670000).unwrap();
        assert_eq!(r.query, "endTime=1659076670000&limit=100&startTime=1659036670000&symbol=BTCUSDT");
        let sign = r.headers.iter().find(|(n, _)| *n == "ACCESS-SIGN").unwrap();
        assert_eq!(sign.1.expose(), "lqD85USRi6MDx8cFodwXFMUfKRBE0tX+KigAU5wHi+E=");
        let pass = r.headers.iter().find(|(n, _)| *n == "ACCESS-PASSPHRASE").unwrap();
        assert_eq!(pass.1.expose(), "pp");
        assert!(!format!("{r:?}").contains("pp\""), "Debug must not show the passphrase");
    }

    #[test]
    fn another_venues_endpoint_is_refused_before_anything_is_signed() {
        let c = Credentials::new(Venue::Binance, "m", "k", Secret::new("s"), None);
        let err = build(&c, &BITGET_SPOT_FILLS, &[], 1).unwrap_err();
        assert!(matches!(err, VenueError::OtherVenue { venue: Venue::Binance, .. }), "{err}");
        assert!(err.to_string().contains("/api/v2/spot/trade/fills"), "{err}");
    }

    #[test]
    fn percent_encoding_keeps_unreserved_characters() {
        assert_eq!(percent_encode("BTC-USDT_1.0~"), "BTC-USDT_1.0~");
        assert_eq!(percent_encode("[\"A\",\"B\"]"), "%5B%22A%22%2C%22B%22%5D");
        assert_eq!(percent_encode("a+b/="), "a%2Bb%2F%3D");
    }
}

#[cfg(test)]
mod debug_tests {
    use super::*;
    use crate::secret::{Credentials, Secret};
    use catalogue::Venue;

    #[test]
    fn debug_shows_neither_the_signature_nor_header_values() {
        let key = Credentials::new(Venue::Binance, "main", "the-api-key", Secret::new("the-secret"), None);
        let r = build(&key, &catalogue::BINANCE_ACCOUNT, &[], 1_499_827_319_559).unwrap();
        let signature = r.query.split("signature=").nth(1).unwrap().to_string();
        let shown = format!("{r:?}");
        assert!(shown.contains("timestamp=1499827319559") && shown.contains("signature=[redacted]"), "{shown}");
        assert!(!shown.contains(&signature) && !shown.contains("the-api-key") && !shown.contains("the-secret"));
    }
}
