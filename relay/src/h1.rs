//! HTTP/1.1 on the wire, by hand, for the forwarding hot path: the client's request head, the venue's response head
//! and body framing, and the pieces of the relay's own response heads.
//!
//! Why by hand: per forwarded read, hyper's server and client, tokio tasks for each upstream connection, axum and
//! `http::HeaderMap`s cost about twice nginx's user-space CPU, spread thinly over many places. The forwarded read
//! itself needs little: parse one head with `httparse` (the parser hyper uses), let [`policy::decide`] judge the
//! raw bytes, write one request, parse one response head, pass the body. Everything here is pure (no IO) and
//! total; [`classify`] is fuzzed in `relay/fuzz` (target `head`).
//!
//! The hot path takes a request only when it is sure hyper would have accepted it and the policy allows it
//! ([`Head::Forward`]); anything else, malformed, refused, not a forward, or simply unusual, is left to hyper and
//! axum ([`Head::Fallback`]), which answer it exactly as they always did.

use std::ops::Range;

use catalogue::Endpoint;

use crate::policy::{self, Allowed, Decision};

/// The largest request head read before the request is left to hyper (which answers 431): hyper's own buffer cap.
pub const MAX_REQUEST_HEAD: usize = policy::MAX_TARGET_BYTES + policy::MAX_HEADER_BYTES;
/// The largest upstream response head accepted (hyper's client default buffer cap is about this).
pub const MAX_RESPONSE_HEAD: usize = 400 * 1024;
/// The most upstream response header lines accepted (hyper's client default).
pub const MAX_RESPONSE_HEADERS: usize = 100;

/// Bytes read and not yet consumed: `data[start..end]`.
pub struct ReadBuffer {
    data: Vec<u8>,
    start: usize,
    end: usize,
}

impl ReadBuffer {
    /// An empty buffer of `capacity` bytes (it grows on demand, see [`ReadBuffer::spare`]).
    pub fn new(capacity: usize) -> ReadBuffer {
        ReadBuffer { data: vec![0; capacity], start: 0, end: 0 }
    }

    /// A buffer of at least `capacity` bytes holding `bytes`, already read.
    pub fn with_bytes(capacity: usize, bytes: &[u8]) -> ReadBuffer {
        let mut data = vec![0; capacity.max(bytes.len())];
        data[..bytes.len()].copy_from_slice(bytes);
        ReadBuffer { data, start: 0, end: bytes.len() }
    }

    /// The unconsumed bytes.
    pub fn filled(&self) -> &[u8] {
        &self.data[self.start..self.end]
    }

    /// Marks `n` bytes consumed.
    pub fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Room to read into, making some (moving the unconsumed bytes to the front, then growing up to `max` bytes
    /// in all); empty when `max` unconsumed bytes are held already.
    pub fn spare(&mut self, max: usize) -> &mut [u8] {
        if self.end == self.data.len() {
            if self.start > 0 {
                self.data.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else if self.data.len() < max {
                let grown = (self.data.len() * 2).clamp(1024, max);
                self.data.resize(grown, 0);
            }
        }
        &mut self.data[self.end..]
    }

    /// Marks `n` bytes of [`ReadBuffer::spare`] filled.
    pub fn advance(&mut self, n: usize) {
        self.end = (self.end + n).min(self.data.len());
    }

    /// Takes the unconsumed bytes out (for handing the connection to hyper).
    pub fn take(self) -> Vec<u8> {
        let mut data = self.data;
        data.truncate(self.end);
        data.drain(..self.start);
        data
    }
}

/// What to do with the bytes at the start of a client connection's buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Head {
    /// The head is not complete yet: read more (unless [`MAX_REQUEST_HEAD`] bytes are buffered already).
    Partial,
    /// Leave this request, and the rest of the connection, to hyper.
    Fallback,
    /// A read the policy allows, on the hot path.
    Forward(Forward),
}

/// A request head the hot path forwards. Ranges are positions in the buffer given to [`classify`].
#[derive(Debug, PartialEq, Eq)]
pub struct Forward {
    /// Length of the head in bytes (the request has no body: the next request starts here).
    pub len: usize,
    /// The catalogue entry the policy matched.
    pub endpoint: &'static Endpoint,
    /// The upstream path and query ([`Allowed::target`]).
    pub target: Range<usize>,
    /// The query ([`Allowed::query`]).
    pub query: Range<usize>,
    /// The request asked to close the connection after the response (`Connection: close`).
    pub close: bool,
    /// The allowed cross-origin `Origin` to answer with CORS headers, if the request had one.
    pub origin: Option<Range<usize>>,
    /// The value of the venue's first credential header, if sent (the client's identity for fairness).
    pub key: Option<Range<usize>>,
    /// The value of the `X-Forwarded-For` header, if sent (believed only from a trusted proxy).
    pub forwarded_for: Option<Range<usize>>,
}

impl Forward {
    /// The policy's decision again, borrowing from the same buffer.
    pub fn allowed<'a>(&self, buf: &'a [u8]) -> Allowed<'a> {
        let text = |r: &Range<usize>| std::str::from_utf8(&buf[r.clone()]).unwrap_or("");
        Allowed { endpoint: self.endpoint, target: text(&self.target), query: text(&self.query) }
    }
}

/// How many request headers the hot path parses; a request with more goes to hyper, which refuses it (431).
const MAX_HEADERS: usize = policy::MAX_HEADERS;
// `classify` marks headers already forwarded in a 64-bit set.
const _: () = assert!(MAX_HEADERS <= 64);

/// Reads a request head at the start of `buf` and decides whether the hot path takes it: an HTTP/1.1 `GET` that
/// `httparse` parses completely, that [`policy::decide`] allows (given the headers as on the wire), and whose
/// `Origin`, if any, is the relay's own host or in `allowed_origins`. For a forward, the header lines that may go
/// to the venue ([`policy::forwarded_header`]) are appended to `forwarded` as `name: value\r\n`, names in lower
/// case.
pub fn classify(buf: &[u8], allowed_origins: &[String], forwarded: &mut Vec<u8>) -> Head {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Head::Partial,
        Err(_) => return Head::Fallback,
    };
    // Only HTTP/1.1 GET: HTTP/1.0 keep-alive rules, POST (the one read-only POST) and everything else stay with
    // hyper.
    if req.version != Some(1) || req.method != Some("GET") {
        return Head::Fallback;
    }
    let Some(target) = req.path else { return Head::Fallback };
    let mut pairs: [(&[u8], &[u8]); MAX_HEADERS] = [(&[], &[]); MAX_HEADERS];
    let n = req.headers.len();
    for (p, h) in pairs.iter_mut().zip(req.headers.iter()) {
        *p = (h.name.as_bytes(), h.value);
    }
    let pairs = &pairs[..n];
    let allowed = match policy::decide(b"GET", target.as_bytes(), pairs) {
        Decision::Allow(a) => a,
        Decision::Refuse(_) => return Head::Fallback,
    };
    let first = |name: &str| pairs.iter().find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes())).map(|(_, v)| *v);
    let origin = first("origin");
    if origin.is_some_and(|o| !origin_allowed(o, first("host"), allowed_origins)) {
        return Head::Fallback;
    }
    let close = pairs
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(b"connection"))
        .filter_map(|(_, v)| as_str(v))
        .any(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close")));
    let venue = allowed.endpoint.venue;
    let key = policy::auth_headers(venue).first().and_then(|h| first(h));
    // One `X-Forwarded-For` line at most on the hot path; hyper reads several as one list.
    let mut xff = pairs.iter().filter(|(n, _)| n.eq_ignore_ascii_case(b"x-forwarded-for")).map(|(_, v)| *v);
    let forwarded_for = xff.next();
    if xff.next().is_some() {
        return Head::Fallback;
    }
    forward_headers(pairs, venue, forwarded);
    let at = |s: &[u8]| {
        let start = (s.as_ptr() as usize).wrapping_sub(buf.as_ptr() as usize).min(buf.len());
        start..(start + s.len()).min(buf.len())
    };
    Head::Forward(Forward {
        len,
        endpoint: allowed.endpoint,
        target: at(allowed.target.as_bytes()),
        query: at(allowed.query.as_bytes()),
        close,
        origin: origin.map(at),
        key: key.map(at),
        forwarded_for: forwarded_for.map(at),
    })
}

/// Whether a request with this `Origin` may be forwarded: as `web::origin_allowed`, the app's own origin (the
/// `Host` it was served from) or an allowed one; an Origin that is not visible ASCII compares as empty.
fn origin_allowed(origin: &[u8], host: Option<&[u8]>, allowed_origins: &[String]) -> bool {
    let o = as_str(origin).unwrap_or("");
    let same = host
        .and_then(as_str)
        .is_some_and(|host| o.strip_prefix("http://").or_else(|| o.strip_prefix("https://")) == Some(host));
    same || allowed_origins.iter().any(|a| a == o)
}

/// Writes the headers forwarded to `venue` into `forwarded`, in the order hyper's `HeaderMap` gives them to the
/// axum path: names in the order of their first line, each name's lines together in their order (a name repeated
/// around another is regrouped).
fn forward_headers(pairs: &[(&[u8], &[u8])], venue: catalogue::Venue, forwarded: &mut Vec<u8>) {
    let mut lower = [0u8; 32];
    let mut done = 0u64;
    for (i, (name, value)) in pairs.iter().enumerate() {
        // Every forwarded name is short; a longer one is not forwarded.
        let Some(l) = lower.get_mut(..name.len()) else { continue };
        l.copy_from_slice(name);
        l.make_ascii_lowercase();
        if done & (1 << i) != 0 {
            continue;
        }
        if let Ok(l) = std::str::from_utf8(l)
            && policy::forwarded_header(venue, l)
        {
            header(forwarded, l, value);
            for (j, (other, value)) in pairs.iter().enumerate().skip(i + 1) {
                if other.eq_ignore_ascii_case(l.as_bytes()) {
                    header(forwarded, l, value);
                    done |= 1 << j;
                }
            }
        }
    }
}

/// A header value as text, as `http::HeaderValue::to_str` sees it (visible ASCII, space and tab only).
fn as_str(v: &[u8]) -> Option<&str> {
    if v.iter().all(|&b| b == b'\t' || (32..127).contains(&b)) { std::str::from_utf8(v).ok() } else { None }
}

/// How the venue's response body is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No body (1xx, 204, 304).
    Empty,
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the venue closes the connection.
    Close,
}

/// A venue's response head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponseHead {
    /// Length of the head in bytes.
    pub len: usize,
    /// The status code.
    pub status: u16,
    /// How the body is delimited.
    pub framing: Framing,
    /// Whether the connection can carry another request after this body (HTTP/1.1 without `Connection: close`,
    /// unambiguous framing).
    pub reusable: bool,
    /// The first `weight_header` value, as a number.
    pub used_weight: Option<u64>,
    /// The first `Retry-After` value, as a number of seconds.
    pub retry_after: Option<u64>,
}

/// The venue's response head is not acceptable HTTP/1.1 (or too large).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadResponse;

/// Parses a venue's response head at the start of `buf` (`Ok(None)`: incomplete). The headers the client may see
/// ([`policy::returned_header`]) are appended to `returned` as `name: value\r\n` lines, names in lower case as
/// hyper writes them. `weight_header` (lower case) is the venue's used-weight header to read, if any.
pub fn parse_response(
    buf: &[u8],
    weight_header: Option<&str>,
    returned: &mut Vec<u8>,
) -> Result<Option<ResponseHead>, BadResponse> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_RESPONSE_HEADERS];
    let mut resp = httparse::Response::new(&mut headers);
    let len = match resp.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() >= MAX_RESPONSE_HEAD => return Err(BadResponse),
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(BadResponse),
    };
    let status = resp.code.ok_or(BadResponse)?;
    let http11 = resp.version == Some(1);
    let mut content_length: Option<u64> = None;
    let mut chunked = None::<bool>;
    let mut close = !http11;
    let mut used_weight = None;
    let mut retry_after = None;
    let mut name_buf = [0u8; 64];
    let mut long_name = Vec::new();
    let mark = returned.len();
    for h in resp.headers.iter() {
        let lower: &str = if h.name.len() <= name_buf.len() {
            let b = &mut name_buf[..h.name.len()];
            b.copy_from_slice(h.name.as_bytes());
            b.make_ascii_lowercase();
            std::str::from_utf8(b).map_err(|_| BadResponse)?
        } else {
            long_name.clear();
            long_name.extend(h.name.bytes().map(|b| b.to_ascii_lowercase()));
            std::str::from_utf8(&long_name).map_err(|_| BadResponse)?
        };
        match lower {
            "content-length" => content_length = Some(length(h.value, content_length)?),
            "transfer-encoding" => {
                // The final coding decides; a later header line continues the list.
                let last = h.value.rsplit(|&b| b == b',').next().unwrap_or(b"").trim_ascii();
                chunked = Some(last.eq_ignore_ascii_case(b"chunked"));
            }
            "connection" if h.value.split(|&b| b == b',').any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close")) => {
                close = true;
            }
            "retry-after" if retry_after.is_none() => retry_after = number(h.value),
            _ => {}
        }
        if weight_header == Some(lower) && used_weight.is_none() {
            used_weight = number(h.value);
        }
        if policy::returned_header(lower) {
            returned.extend_from_slice(lower.as_bytes());
            returned.extend_from_slice(b": ");
            returned.extend_from_slice(h.value);
            returned.extend_from_slice(b"\r\n");
        }
    }
    let framing = framing(status, chunked, content_length);
    if (100..=199).contains(&status) {
        // An informational response: its lines are not the final response's.
        returned.truncate(mark);
    }
    // Both Transfer-Encoding and Content-Length: the body is read as chunked, but the connection is not trusted
    // for another request (RFC 9112 §6.3).
    let reusable = !close && framing != Framing::Close && !(chunked.is_some() && content_length.is_some());
    Ok(Some(ResponseHead { len, status, framing, reusable, used_weight, retry_after }))
}

/// One `Content-Length` line: a plain decimal number, equal to any line before it (`before`; RFC 9112 §6.3).
fn length(value: &[u8], before: Option<u64>) -> Result<u64, BadResponse> {
    let v = as_str(value).map(str::trim).filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()));
    let n: u64 = v.and_then(|v| v.parse().ok()).ok_or(BadResponse)?;
    if before.is_some_and(|c| c != n) {
        return Err(BadResponse);
    }
    Ok(n)
}

/// How the body ends (RFC 9112 §6.3): no body after a 1xx, 204 or 304; chunked when the final transfer coding is;
/// at the connection's close after another coding or without either header; else after the length.
fn framing(status: u16, chunked: Option<bool>, content_length: Option<u64>) -> Framing {
    match (status, chunked, content_length) {
        (100..=199 | 204 | 304, _, _) => Framing::Empty,
        (_, Some(true), _) => Framing::Chunked,
        (_, Some(false), _) => Framing::Close,
        (_, None, Some(n)) => Framing::Length(n),
        (_, None, None) => Framing::Close,
    }
}

/// A header value read as `header_u64` always did: visible ASCII, trimmed, a decimal `u64`.
fn number(v: &[u8]) -> Option<u64> {
    as_str(v)?.trim().parse().ok()
}

/// An incremental decoder of a chunked body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chunked {
    /// Expecting a chunk-size line.
    Size,
    /// Inside a chunk: this many data bytes left.
    Data(u64),
    /// Expecting the CRLF after a chunk's data.
    DataEnd,
    /// After the last chunk: skipping trailer lines until the empty line.
    Trailers,
    /// The body is complete.
    Done,
}

/// What the chunked decoder found at the start of the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkStep {
    /// More bytes are needed.
    NeedMore,
    /// `n` framing bytes to consume (no data).
    Skip(usize),
    /// `n` bytes of body data to pass on (then consume).
    Data(usize),
}

/// The longest chunk-size or trailer line accepted.
const MAX_CHUNK_LINE: usize = 4096;

impl Chunked {
    /// One step of decoding over `buf`, the bytes buffered now; updates the state.
    pub fn step(&mut self, buf: &[u8]) -> Result<ChunkStep, BadResponse> {
        let line = |buf: &[u8]| -> Result<Option<usize>, BadResponse> {
            match buf.windows(2).position(|w| w == b"\r\n") {
                Some(i) => Ok(Some(i)),
                None if buf.len() > MAX_CHUNK_LINE => Err(BadResponse),
                None => Ok(None),
            }
        };
        match *self {
            Chunked::Size => {
                let Some(i) = line(buf)? else { return Ok(ChunkStep::NeedMore) };
                let l = &buf[..i];
                // chunk-size [ BWS ";" chunk-ext ]: hex digits first, extensions ignored.
                let digits = l.iter().take_while(|b| b.is_ascii_hexdigit()).count();
                let rest = l[digits..].trim_ascii_start();
                if digits == 0 || digits > 16 || !(rest.is_empty() || rest[0] == b';') {
                    return Err(BadResponse);
                }
                let text = std::str::from_utf8(&l[..digits]).map_err(|_| BadResponse)?;
                let n = u64::from_str_radix(text, 16).map_err(|_| BadResponse)?;
                *self = if n == 0 { Chunked::Trailers } else { Chunked::Data(n) };
                Ok(ChunkStep::Skip(i + 2))
            }
            Chunked::Data(left) => {
                if buf.is_empty() {
                    return Ok(ChunkStep::NeedMore);
                }
                let n = (buf.len() as u64).min(left) as usize;
                *self = if n as u64 == left { Chunked::DataEnd } else { Chunked::Data(left - n as u64) };
                Ok(ChunkStep::Data(n))
            }
            Chunked::DataEnd => {
                if buf.len() < 2 {
                    return Ok(ChunkStep::NeedMore);
                }
                if &buf[..2] != b"\r\n" {
                    return Err(BadResponse);
                }
                *self = Chunked::Size;
                Ok(ChunkStep::Skip(2))
            }
            Chunked::Trailers => {
                let Some(i) = line(buf)? else { return Ok(ChunkStep::NeedMore) };
                if i == 0 {
                    *self = Chunked::Done;
                }
                Ok(ChunkStep::Skip(i + 2))
            }
            Chunked::Done => Ok(ChunkStep::Skip(0)),
        }
    }
}

/// Appends `HTTP/1.1 {status} {reason}\r\n` as hyper writes it.
pub fn status_line(out: &mut Vec<u8>, status: u16) {
    if status == 200 {
        out.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
        return;
    }
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(itoa::Buffer::new().format(status).as_bytes());
    out.push(b' ');
    let reason = http::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("<none>");
    out.extend_from_slice(reason.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends a `name: value\r\n` line.
pub fn header(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Appends `content-length: n\r\n`.
pub fn content_length(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(b"content-length: ");
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends `date: ...\r\n\r\n`, the end of a head (an IMF-fixdate, formatted once a second per thread).
pub fn date_and_end(out: &mut Vec<u8>) {
    thread_local! {
        static DATE: std::cell::RefCell<(u64, [u8; 29])> = const { std::cell::RefCell::new((u64::MAX, [0; 29])) };
    }
    let now = std::time::SystemTime::now();
    let secs = now.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    DATE.with(|d| {
        let mut d = d.borrow_mut();
        if d.0 != secs {
            let text = httpdate::fmt_http_date(now);
            if text.len() == 29 {
                d.1.copy_from_slice(text.as_bytes());
                d.0 = secs;
            }
        }
        out.extend_from_slice(b"date: ");
        out.extend_from_slice(&d.1);
        out.extend_from_slice(b"\r\n\r\n");
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "X-MBX-APIKEY: k\r\n";

    fn go(s: &str, origins: &[String]) -> (Head, Vec<u8>) {
        let mut fwd = Vec::new();
        (classify(s.as_bytes(), origins, &mut fwd), fwd)
    }

    #[test]
    fn allowed_gets_take_the_hot_path_everything_else_falls_back() {
        let ok = "GET /v1/binance/api/v3/time?x=1 HTTP/1.1\r\nHost: r\r\nAccept: */*\r\nCookie: c\r\n\r\nGET /next";
        match go(ok, &[]) {
            (Head::Forward(f), fwd) => {
                assert_eq!(f.len, ok.len() - "GET /next".len());
                let a = f.allowed(ok.as_bytes());
                assert_eq!((a.target, a.query), ("/api/v3/time?x=1", "x=1"));
                assert!(!f.close && f.origin.is_none() && f.key.is_none());
                assert_eq!(fwd, b"accept: */*\r\n");
            }
            h => panic!("{h:?}"),
        }
        let signed = format!(
            "GET /v1/binance/api/v3/account?timestamp=1&signature=s HTTP/1.1\r\n{KEY}Connection: keep-alive, close\r\n\r\n"
        );
        match go(&signed, &[]) {
            (Head::Forward(f), fwd) => {
                assert!(f.close);
                assert_eq!(&signed.as_bytes()[f.key.unwrap()], b"k");
                assert_eq!(fwd, b"x-mbx-apikey: k\r\n");
            }
            h => panic!("{h:?}"),
        }
        assert_eq!(go("GET /v1/binance/api/v3/time HTTP/1.1\r\nHost: r\r\n", &[]).0, Head::Partial);
        for fallback in [
            "GET /v1/binance/api/v3/time HTTP/1.0\r\n\r\n",
            "POST /v1/binance/sapi/v1/asset/get-funding-asset HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\n\r\n",
            "GET /v1/ips HTTP/1.1\r\n\r\n",
            "GET /v1/binance/api/v3/order HTTP/1.1\r\n\r\n",
            "GET /v1/binance/api/v3/account HTTP/1.1\r\n\r\n",
            "GET /v1/binance/api/v3/time HTTP/1.1\r\nContent-Length: 1\r\n\r\nx",
            "GET /v1/binance/api/v3/time HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            "GET /v1/binance/api/v3/time HTTP/1.1\r\nA:\r\n b\r\n\r\n",
            "GET http://x/v1/binance/api/v3/time HTTP/1.1\r\n\r\n",
            "get /v1/binance/api/v3/time HTTP/1.1\r\n\r\n",
            "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            "GET /v1/binance/api/v3/time HTTP/1.1\r\nOrigin: https://evil.example\r\n\r\n",
        ] {
            assert_eq!(go(fallback, &[]).0, Head::Fallback, "{fallback:?}");
        }
        let many: String = (0..65).map(|i| format!("X-{i}: 1\r\n")).collect();
        assert_eq!(go(&format!("GET /v1/binance/api/v3/time HTTP/1.1\r\n{many}\r\n"), &[]).0, Head::Fallback);
        let cors = "GET /v1/binance/api/v3/time HTTP/1.1\r\nOrigin: https://app.example.org\r\n\r\n";
        assert!(matches!(go(cors, &["https://app.example.org".into()]).0, Head::Forward(_)));
        let same =
            "GET /v1/binance/api/v3/time HTTP/1.1\r\nHost: relay.test:8080\r\nOrigin: http://relay.test:8080\r\n\r\n";
        assert!(matches!(go(same, &[]).0, Head::Forward(f) if f.origin.is_some()));
    }

    #[test]
    fn response_heads_frame_and_filter() {
        let mut lines = Vec::new();
        let h = parse_response(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\nX-MBX-USED-WEIGHT-1M: 7\r\nSet-Cookie: a\r\nRetry-After: 3\r\n\r\nhello",
            Some("x-mbx-used-weight-1m"),
            &mut lines,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (h.status, h.framing, h.reusable, h.used_weight, h.retry_after),
            (200, Framing::Length(5), true, Some(7), Some(3))
        );
        assert_eq!(lines, b"content-type: application/json\r\nx-mbx-used-weight-1m: 7\r\nretry-after: 3\r\n");
        let mut l = Vec::new();
        let chunked =
            parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", None, &mut l).unwrap().unwrap();
        assert_eq!((chunked.framing, chunked.reusable), (Framing::Chunked, true));
        let both =
            parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", None, &mut l)
                .unwrap()
                .unwrap();
        assert_eq!((both.framing, both.reusable), (Framing::Chunked, false));
        let close = parse_response(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", None, &mut l)
            .unwrap()
            .unwrap();
        assert!(!close.reusable);
        let old = parse_response(b"HTTP/1.0 200 OK\r\n\r\n", None, &mut l).unwrap().unwrap();
        assert_eq!((old.framing, old.reusable), (Framing::Close, false));
        assert_eq!(
            parse_response(b"HTTP/1.1 204 No Content\r\n\r\n", None, &mut l).unwrap().unwrap().framing,
            Framing::Empty
        );
        assert_eq!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Le", None, &mut l), Ok(None));
        for bad in [
            &b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nA:\r\n b\r\n\r\n",
            b"HTTP/1.1 2000 OK\r\n\r\n",
        ] {
            assert_eq!(parse_response(bad, None, &mut l), Err(BadResponse), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn chunked_bodies_decode_across_reads() {
        let body = b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n";
        // Fed one byte more at a time, as reads may deliver it.
        let mut state = Chunked::Size;
        let (mut pos, mut avail, mut out) = (0, 0, Vec::new());
        while state != Chunked::Done {
            match state.step(&body[pos..avail]).unwrap() {
                ChunkStep::NeedMore => avail += 1,
                ChunkStep::Skip(n) => pos += n,
                ChunkStep::Data(n) => {
                    out.extend_from_slice(&body[pos..pos + n]);
                    pos += n;
                }
            }
        }
        assert_eq!((out.as_slice(), pos), (&b"hello world"[..], body.len()));
        for bad in [&b"x\r\n"[..], b"\r\n", b"FFFFFFFFFFFFFFFFF0\r\n", b"5 x\r\n"] {
            assert_eq!(Chunked::Size.step(bad), Err(BadResponse), "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(Chunked::DataEnd.step(b"xx"), Err(BadResponse));
    }

    #[test]
    fn status_lines_and_dates_match_hyper() {
        let mut out = Vec::new();
        status_line(&mut out, 200);
        status_line(&mut out, 418);
        status_line(&mut out, 599);
        assert_eq!(out, b"HTTP/1.1 200 OK\r\nHTTP/1.1 418 I'm a teapot\r\nHTTP/1.1 599 <none>\r\n");
        out.clear();
        date_and_end(&mut out);
        assert!(out.starts_with(b"date: ") && out.ends_with(b" GMT\r\n\r\n") && out.len() == 6 + 29 + 4);
    }
}
