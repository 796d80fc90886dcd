//! The request-to-decision function: strict parsing of the raw request target and headers, then the catalogue.
//!
//! Pure and total: no IO, no allocation-dependent behaviour, never panics (fuzzed in `relay/fuzz` and by the
//! mini-fuzz in `tests/policy.rs`). An [`Allowed`] decision always names a catalogue endpoint whose path is exactly
//! the upstream path, and its upstream target is a byte-for-byte slice of the request target.

use catalogue::{Endpoint, Method, Security, Venue};

/// The longest request target (path and query) the relay accepts.
pub const MAX_TARGET_BYTES: usize = 8192;
/// The largest total size of request header names and values the relay accepts.
pub const MAX_HEADER_BYTES: usize = 16384;
/// The most request headers the relay accepts.
pub const MAX_HEADERS: usize = 64;

/// Headers that carry a Binance credential, forwarded as is and never logged.
pub const BINANCE_AUTH_HEADERS: &[&str] = &["x-mbx-apikey"];
/// Headers that carry Bitget credentials, forwarded as is and never logged.
pub const BITGET_AUTH_HEADERS: &[&str] = &["access-key", "access-sign", "access-timestamp", "access-passphrase"];
/// Other Bitget request headers that are forwarded (language and demo trading).
pub const BITGET_OTHER_HEADERS: &[&str] = &["locale", "paptrading"];
/// Headers forwarded for every venue.
pub const COMMON_HEADERS: &[&str] = &["accept", "content-type"];

/// The request the relay will forward.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allowed<'a> {
    /// The catalogue entry matched.
    pub endpoint: &'static Endpoint,
    /// Upstream path and query, a byte-exact slice of the request target (`/api/v3/myTrades?symbol=...`).
    pub target: &'a str,
    /// The query alone (without `?`), empty when there is none.
    pub query: &'a str,
}

/// What to do with a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision<'a> {
    /// Forward to the endpoint's upstream host.
    Allow(Allowed<'a>),
    /// Refuse with this reason.
    Refuse(Refusal),
}

macro_rules! refusals {
    ($( $(#[$doc:meta])* $name:ident = $status:literal, $code:literal, $msg:literal; )*) => {
        /// Why a request was refused. Each has an HTTP status, a stable code and a message saying what to do.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Refusal { $( $(#[$doc])* $name, )* }

        impl Refusal {
            /// Every reason (for metrics).
            pub const ALL: &'static [Refusal] = &[ $( Refusal::$name, )* ];
            /// The HTTP status to answer with.
            pub fn status(self) -> u16 { match self { $( Refusal::$name => $status, )* } }
            /// A stable machine-readable code (also the metrics label).
            pub fn code(self) -> &'static str { match self { $( Refusal::$name => $code, )* } }
            /// What happened and what to do.
            pub fn message(self) -> &'static str { match self { $( Refusal::$name => $msg, )* } }
        }
    };
}

refusals! {
    /// Absolute-form, authority-form (CONNECT) or asterisk-form target.
    NotOriginForm = 400, "not_origin_form", "the request target must be a path starting with '/': absolute URLs, CONNECT and '*' are refused";
    /// Method other than the endpoint's (GET, or POST for the one read-only POST).
    MethodNotAllowed = 405, "method_not_allowed", "only GET (and POST for Binance's funding-wallet read) of catalogue endpoints is forwarded";
    /// Target longer than [`MAX_TARGET_BYTES`].
    TargetTooLong = 414, "target_too_long", "the request target is longer than 8192 bytes";
    /// A control, space, non-ASCII or otherwise invalid byte in the target.
    BadTargetByte = 400, "bad_target_byte", "the request target holds a byte that is not allowed in a URL; percent-encode query values";
    /// A `#` fragment in the target.
    Fragment = 400, "fragment", "the request target holds a '#' fragment";
    /// Not under `/v1/{venue}/`.
    NotRelayRoute = 404, "not_relay_route", "relay routes are /v1/{venue}/{upstream path}?{query}";
    /// Venue segment is not `binance` or `bitget`.
    UnknownVenue = 404, "unknown_venue", "the venue must be 'binance' or 'bitget' (lower case)";
    /// Percent-encoding in the path.
    EncodedPath = 400, "encoded_path", "percent-encoded bytes are not allowed in the path; send the catalogue path as is";
    /// A backslash in the path.
    Backslash = 400, "backslash", "backslashes are not allowed in the path";
    /// A `;` path parameter.
    PathParameter = 400, "path_parameter", "';' parameters are not allowed in the path";
    /// An empty segment (`//`).
    DoubleSlash = 400, "double_slash", "empty path segments ('//') are not allowed";
    /// A `.` or `..` segment.
    DotSegment = 400, "dot_segment", "'.' and '..' path segments are not allowed";
    /// A path byte outside `[A-Za-z0-9/_-]`.
    BadPathByte = 400, "bad_path_byte", "the path holds a character that no catalogue endpoint has";
    /// The path differs from a catalogue path only in letter case.
    CaseVariant = 404, "case_variant", "paths are case-sensitive: use the catalogue's exact spelling";
    /// Not a catalogue endpoint.
    UnknownEndpoint = 404, "unknown_endpoint", "this endpoint is not in the relay's catalogue of read endpoints";
    /// Malformed percent-encoding in the query.
    BadQueryEncoding = 400, "bad_query_encoding", "the query holds a '%' not followed by two hex digits";
    /// A request body (Content-Length other than 0, or Transfer-Encoding).
    BodyNotAllowed = 400, "body_not_allowed", "requests must not carry a body: send parameters in the query";
    /// Both Content-Length and Transfer-Encoding, several Content-Length, or an invalid one.
    ConflictingFraming = 400, "conflicting_framing", "conflicting or invalid Content-Length / Transfer-Encoding headers";
    /// Upgrade or HTTP/2 settings headers.
    UpgradeNotAllowed = 400, "upgrade_not_allowed", "protocol upgrades are not allowed";
    /// Too many headers or too many header bytes.
    HeadersTooLarge = 431, "headers_too_large", "too many request headers or header bytes";
    /// A venue credential header given twice.
    DuplicateAuthHeader = 400, "duplicate_auth_header", "a venue credential header appears more than once";
    /// A venue credential header with bytes outside visible ASCII.
    BadAuthHeader = 400, "bad_auth_header", "a venue credential header holds a byte outside visible ASCII";
    /// A signed endpoint without the venue's credential headers.
    MissingAuthHeader = 401, "missing_auth_header", "signed endpoints need the venue's key headers (X-MBX-APIKEY, or ACCESS-KEY/SIGN/TIMESTAMP/PASSPHRASE)";
    /// Cross-origin request from an origin not configured.
    OriginNotAllowed = 403, "origin_not_allowed", "this origin is not in the relay's allowed_origins";
    /// The HTTP parser could not read the request: a malformed request line or header line, a byte outside the URI
    /// grammar in the target, a bad Content-Length or Transfer-Encoding, an unsupported HTTP version.
    MalformedRequest = 400, "malformed_request", "the request is not valid HTTP/1.1 (request line, header lines or framing); percent-encode bytes such as \" < > { } | in the target";
    /// A PROXY protocol header from an address that is not a trusted proxy.
    ProxyHeaderNotTrusted = 400, "proxy_header_not_trusted", "a PROXY protocol header is accepted only from the relay's trusted proxies (trusted_proxies)";
    /// A PROXY protocol header from a trusted proxy that cannot be read.
    BadProxyHeader = 400, "bad_proxy_header", "the PROXY protocol header (v1 or v2) could not be read";
    /// Plain text (HTTP) on the relay's HTTPS listener.
    TlsRequired = 400, "tls_required", "this address serves HTTPS only: use an https:// URL";
    /// More connections from the client's IP address than `max_connections_per_ip`.
    TooManyConnections = 429, "too_many_connections", "too many open connections from this IP address; close some, or reuse keep-alive connections, and retry";
}

/// The credential headers of a venue.
pub fn auth_headers(venue: Venue) -> &'static [&'static str] {
    match venue {
        Venue::Binance => BINANCE_AUTH_HEADERS,
        Venue::Bitget => BITGET_AUTH_HEADERS,
    }
}

/// Whether a request header (lower-case name) may be forwarded to this venue.
pub fn forwarded_header(venue: Venue, lower_name: &str) -> bool {
    COMMON_HEADERS.contains(&lower_name)
        || auth_headers(venue).contains(&lower_name)
        || (venue == Venue::Bitget && BITGET_OTHER_HEADERS.contains(&lower_name))
}

/// Whether a response header (lower-case name) from the venue is passed back to the client.
pub fn returned_header(lower_name: &str) -> bool {
    matches!(lower_name, "content-type" | "content-encoding" | "retry-after")
        || lower_name.starts_with("x-mbx-used-weight")
        || lower_name.starts_with("x-sapi-used-")
        || lower_name.starts_with("x-ratelimit-")
}

/// Decides what to do with a request: `method` as on the wire, `target` the raw request target, `headers` the
/// request headers (names in any case). Nothing is normalised: a request is either exactly a catalogue read or
/// refused.
pub fn decide<'a>(method: &[u8], target: &'a [u8], headers: &[(&[u8], &[u8])]) -> Decision<'a> {
    match decide_inner(method, target, headers) {
        Ok(a) => Decision::Allow(a),
        Err(r) => Decision::Refuse(r),
    }
}

fn decide_inner<'a>(method: &[u8], target: &'a [u8], headers: &[(&[u8], &[u8])]) -> Result<Allowed<'a>, Refusal> {
    if method == b"CONNECT" || target.first() != Some(&b'/') {
        return Err(Refusal::NotOriginForm);
    }
    if target.len() > MAX_TARGET_BYTES {
        return Err(Refusal::TargetTooLong);
    }
    if !target.iter().all(|b| b.is_ascii_graphic()) {
        return Err(Refusal::BadTargetByte);
    }
    // All bytes are ASCII, so this cannot fail.
    let target = std::str::from_utf8(target).map_err(|_| Refusal::BadTargetByte)?;
    if target.contains('#') {
        return Err(Refusal::Fragment);
    }
    check_headers(headers)?;
    let (path, query) = match target.find('?') {
        Some(i) => (&target[..i], &target[i + 1..]),
        None => (target, ""),
    };
    check_path(path)?;
    let rest = path.strip_prefix("/v1/").ok_or(Refusal::NotRelayRoute)?;
    let (venue_seg, upstream_path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => return Err(Refusal::NotRelayRoute),
    };
    let venue = match Venue::parse(venue_seg) {
        Some(v) => v,
        None if Venue::ALL.iter().any(|v| v.as_str().eq_ignore_ascii_case(venue_seg)) => {
            return Err(Refusal::CaseVariant);
        }
        None => return Err(Refusal::UnknownVenue),
    };
    check_query(query)?;
    let method = match method {
        b"GET" => Some(Method::Get),
        b"POST" => Some(Method::Post),
        _ => None,
    };
    let endpoint = match method.and_then(|m| catalogue::lookup(venue, m, upstream_path)) {
        Some(e) => e,
        None if catalogue::endpoint(venue, upstream_path).is_some() => return Err(Refusal::MethodNotAllowed),
        None if method.is_none() => return Err(Refusal::MethodNotAllowed),
        None if catalogue::ENDPOINTS.iter().any(|e| e.venue == venue && e.path.eq_ignore_ascii_case(upstream_path)) => {
            return Err(Refusal::CaseVariant);
        }
        None => return Err(Refusal::UnknownEndpoint),
    };
    check_auth(venue, endpoint.security, headers)?;
    // The upstream target starts at the upstream path: everything after `/v1/{venue}`.
    let start = "/v1/".len() + venue_seg.len();
    Ok(Allowed { endpoint, target: &target[start..], query })
}

fn check_path(path: &str) -> Result<(), Refusal> {
    if path.contains('%') {
        return Err(Refusal::EncodedPath);
    }
    if path.contains('\\') {
        return Err(Refusal::Backslash);
    }
    if path.contains(';') {
        return Err(Refusal::PathParameter);
    }
    if path.contains("//") {
        return Err(Refusal::DoubleSlash);
    }
    if path.split('/').any(|s| s == "." || s == "..") {
        return Err(Refusal::DotSegment);
    }
    if !path.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-_".contains(&b)) {
        return Err(Refusal::BadPathByte);
    }
    Ok(())
}

/// RFC 3986 query characters: unreserved, sub-delims, ':', '@', '/', '?' and well-formed percent-encoding.
fn check_query(query: &str) -> Result<(), Refusal> {
    let bytes = query.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = |j: usize| bytes.get(j).is_some_and(|c| c.is_ascii_hexdigit());
            if !(hex(i + 1) && hex(i + 2)) {
                return Err(Refusal::BadQueryEncoding);
            }
            i += 3;
            continue;
        }
        if !(b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?".contains(&b)) {
            return Err(Refusal::BadTargetByte);
        }
        i += 1;
    }
    Ok(())
}

fn check_headers(headers: &[(&[u8], &[u8])]) -> Result<(), Refusal> {
    if headers.len() > MAX_HEADERS {
        return Err(Refusal::HeadersTooLarge);
    }
    let total: usize = headers.iter().map(|(n, v)| n.len() + v.len()).sum();
    if total > MAX_HEADER_BYTES {
        return Err(Refusal::HeadersTooLarge);
    }
    let is = |n: &[u8], name: &str| n.eq_ignore_ascii_case(name.as_bytes());
    let mut content_length: Option<&[u8]> = None;
    let mut transfer_encoding = false;
    for (name, value) in headers {
        if is(name, "content-length") {
            if content_length.is_some() {
                return Err(Refusal::ConflictingFraming);
            }
            content_length = Some(value);
        } else if is(name, "transfer-encoding") {
            transfer_encoding = true;
        } else if is(name, "upgrade") || is(name, "http2-settings") {
            return Err(Refusal::UpgradeNotAllowed);
        } else if is(name, "connection") {
            let lower = value.to_ascii_lowercase();
            if lower.windows(7).any(|w| w == b"upgrade") {
                return Err(Refusal::UpgradeNotAllowed);
            }
        }
    }
    match (content_length, transfer_encoding) {
        (Some(_), true) => Err(Refusal::ConflictingFraming),
        (None, true) => Err(Refusal::BodyNotAllowed),
        (Some(v), false) if v.is_empty() || !v.iter().all(u8::is_ascii_digit) => Err(Refusal::ConflictingFraming),
        (Some(v), false) if v.iter().any(|&b| b != b'0') => Err(Refusal::BodyNotAllowed),
        _ => Ok(()),
    }
}

fn check_auth(venue: Venue, security: Security, headers: &[(&[u8], &[u8])]) -> Result<(), Refusal> {
    for name in auth_headers(venue) {
        let mut found = headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()));
        match (found.next(), found.next()) {
            (Some(_), Some(_)) => return Err(Refusal::DuplicateAuthHeader),
            (Some((_, v)), None) => {
                if v.is_empty() || !v.iter().all(u8::is_ascii_graphic) {
                    return Err(Refusal::BadAuthHeader);
                }
            }
            (None, _) if security == Security::Signed => return Err(Refusal::MissingAuthHeader),
            (None, _) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(method: &str, target: &str) -> Decision<'static> {
        let t: &'static str = Box::leak(target.to_owned().into_boxed_str());
        decide(
            method.as_bytes(),
            t.as_bytes(),
            &[
                (b"X-MBX-APIKEY", b"k"),
                (b"ACCESS-KEY", b"k"),
                (b"ACCESS-SIGN", b"s"),
                (b"ACCESS-TIMESTAMP", b"1"),
                (b"ACCESS-PASSPHRASE", b"p"),
            ],
        )
    }

    #[test]
    fn catalogue_reads_are_allowed_byte_exact() {
        match go("GET", "/v1/binance/api/v3/myTrades?symbol=BTCUSDT&timestamp=1&signature=ab") {
            Decision::Allow(a) => {
                assert_eq!(a.target, "/api/v3/myTrades?symbol=BTCUSDT&timestamp=1&signature=ab");
                assert_eq!(a.query, "symbol=BTCUSDT&timestamp=1&signature=ab");
                assert_eq!(a.endpoint.path, "/api/v3/myTrades");
            }
            d => panic!("{d:?}"),
        }
    }

    #[test]
    fn tricks_are_refused_with_their_reason() {
        let cases = [
            ("GET", "http://evil/v1/binance/api/v3/time", Refusal::NotOriginForm),
            ("GET", "*", Refusal::NotOriginForm),
            ("DELETE", "/v1/binance/api/v3/time", Refusal::MethodNotAllowed),
            ("POST", "/v1/binance/api/v3/order", Refusal::UnknownEndpoint),
            ("GET", "/v1/binance/api/v3/./time", Refusal::DotSegment),
            ("GET", "/v1/binance/api/v3/../v3/time", Refusal::DotSegment),
            ("GET", "/v1/binance/api/v3//time", Refusal::DoubleSlash),
            ("GET", "/v1/binance/api/v3/%74ime", Refusal::EncodedPath),
            ("GET", "/v1/binance/api\\v3/time", Refusal::Backslash),
            ("GET", "/v1/binance/api/v3/time;x=1", Refusal::PathParameter),
            ("GET", "/v1/binance/API/v3/time", Refusal::CaseVariant),
            ("GET", "/v1/Binance/api/v3/time", Refusal::CaseVariant),
            ("GET", "/v1/kraken/api/v3/time", Refusal::UnknownVenue),
            ("GET", "/v1/binance/api/v3/time#x", Refusal::Fragment),
            ("GET", "/v1/binance/api/v3/time?a=%zz", Refusal::BadQueryEncoding),
            ("GET", "/v1/binance/api/v3/time?a=\"", Refusal::BadTargetByte),
        ];
        for (m, t, want) in cases {
            assert_eq!(go(m, t), Decision::Refuse(want), "{m} {t}");
        }
    }
}
