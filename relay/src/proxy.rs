//! The real client behind a load balancer or reverse proxy: the PROXY protocol (v1 text and v2 binary) and
//! `X-Forwarded-For`, both believed only from the configured `trusted_proxies`, so that the per-IP connection limit
//! and the budget's fairness see the client rather than the proxy.
//!
//! - A connection from a trusted proxy may start with a PROXY header; its source address is then the connection's
//!   client (for the per-IP limit, taken only once the header is read, and for everything after). A connection from
//!   a trusted proxy without one is the proxy's own. A malformed header from a trusted proxy is refused
//!   (`bad_proxy_header`).
//! - A PROXY header from any other address is refused (`proxy_header_not_trusted`): a client cannot claim an address.
//! - `X-Forwarded-For` is read only when the connection's client (after any PROXY header) is a trusted proxy: the
//!   client is the rightmost address in the header that is not itself a trusted proxy (entries are walked from the
//!   right while they are trusted; an entry that is not an IP address stops the walk at the last trusted hop). From
//!   anyone else the header is ignored (and, as ever, never forwarded).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The PROXY protocol v2 signature.
pub const V2_SIGNATURE: &[u8; 12] = b"\r\n\r\n\0\r\nQUIT\n";
/// The longest PROXY v1 line, CRLF included (the protocol's own limit).
const V1_MAX: usize = 107;
/// The longest PROXY v2 header accepted (addresses and TLVs); longer ones are refused.
const V2_MAX: usize = 16 + 512;

/// An address block: an IP address and a prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `IP/PREFIX` or a bare IP (a single address).
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let bad = || format!("'{s}' is not an address block; write e.g. 10.0.0.0/8, 203.0.113.7 or 2001:db8::/32");
        let (ip, prefix) = match s.trim().split_once('/') {
            Some((ip, p)) => (ip, Some(p)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = ip.parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
            None => max,
        };
        Ok(Cidr { addr, prefix })
    }

    /// Whether `ip` is in the block (an IPv4-mapped IPv6 address counts as its IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// Whether `ip` is in any of `trusted`.
pub fn is_trusted(trusted: &[Cidr], ip: IpAddr) -> bool {
    trusted.iter().any(|c| c.contains(ip))
}

/// What the start of a connection holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// Not a PROXY header (the first request begins here).
    NotProxy,
    /// Could be one: read more.
    Partial,
    /// A PROXY header of `len` bytes; `source`: the client's address (`None`: `LOCAL`/`UNKNOWN`, the connection is
    /// the proxy's own, e.g. a health check).
    Header {
        /// Header length.
        len: usize,
        /// The client.
        source: Option<SocketAddr>,
    },
}

/// A PROXY header that cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadHeader;

/// Whether bytes at the start of a connection begin like a PROXY header (v1 `PROXY ` or the v2 signature), as far
/// as they go.
pub fn looks_like_proxy(start: &[u8]) -> bool {
    !start.is_empty()
        && (b"PROXY ".starts_with(&start[..start.len().min(6)])
            || V2_SIGNATURE.starts_with(&start[..start.len().min(12)]))
}

/// Reads a PROXY header (v1 or v2) at the start of `buf`.
pub fn parse(buf: &[u8]) -> Result<Start, BadHeader> {
    if buf.is_empty() {
        return Ok(Start::Partial);
    }
    let v1 = b"PROXY ";
    if v1.starts_with(&buf[..buf.len().min(v1.len())]) {
        return if buf.len() < v1.len() { Ok(Start::Partial) } else { parse_v1(buf) };
    }
    if V2_SIGNATURE.starts_with(&buf[..buf.len().min(V2_SIGNATURE.len())]) {
        return if buf.len() < 16 { Ok(Start::Partial) } else { parse_v2(buf) };
    }
    Ok(Start::NotProxy)
}

fn parse_v1(buf: &[u8]) -> Result<Start, BadHeader> {
    let Some(end) = buf.windows(2).take(V1_MAX - 1).position(|w| w == b"\r\n") else {
        return if buf.len() >= V1_MAX { Err(BadHeader) } else { Ok(Start::Partial) };
    };
    let line = std::str::from_utf8(&buf[6..end]).map_err(|_| BadHeader)?;
    let len = end + 2;
    let parts: Vec<&str> = line.split(' ').collect();
    match parts.as_slice() {
        ["UNKNOWN", ..] => Ok(Start::Header { len, source: None }),
        [family @ ("TCP4" | "TCP6"), src, dst, sport, dport] => {
            let (src, dst): (IpAddr, IpAddr) =
                (src.parse().map_err(|_| BadHeader)?, dst.parse().map_err(|_| BadHeader)?);
            let v4 = *family == "TCP4";
            if src.is_ipv4() != v4 || dst.is_ipv4() != v4 {
                return Err(BadHeader);
            }
            let port = |p: &str| {
                (!p.is_empty()
                    && p.len() <= 5
                    && p.bytes().all(|b| b.is_ascii_digit())
                    && (p == "0" || !p.starts_with('0')))
                .then(|| p.parse::<u16>().ok())
                .flatten()
                .ok_or(BadHeader)
            };
            let sport = port(sport)?;
            port(dport)?;
            Ok(Start::Header { len, source: Some(SocketAddr::new(src, sport)) })
        }
        _ => Err(BadHeader),
    }
}

fn parse_v2(buf: &[u8]) -> Result<Start, BadHeader> {
    let ver_cmd = buf[12];
    let family = buf[13];
    let body = usize::from(u16::from_be_bytes([buf[14], buf[15]]));
    if ver_cmd >> 4 != 2 || 16 + body > V2_MAX {
        return Err(BadHeader);
    }
    let len = 16 + body;
    if buf.len() < len {
        return Ok(Start::Partial);
    }
    let a = &buf[16..len];
    match ver_cmd & 0x0f {
        // LOCAL: the proxy's own connection; the addresses (if any) are to be ignored.
        0 => Ok(Start::Header { len, source: None }),
        1 => match family {
            // TCP over IPv4 / IPv6 (and UDP, which the relay does not serve, is refused).
            0x11 if a.len() >= 12 => {
                let ip = Ipv4Addr::new(a[0], a[1], a[2], a[3]);
                Ok(Start::Header { len, source: Some(SocketAddr::new(ip.into(), u16::from_be_bytes([a[8], a[9]]))) })
            }
            0x21 if a.len() >= 36 => {
                let mut o = [0u8; 16];
                o.copy_from_slice(&a[..16]);
                let port = u16::from_be_bytes([a[32], a[33]]);
                Ok(Start::Header { len, source: Some(SocketAddr::new(Ipv6Addr::from(o).into(), port)) })
            }
            // UNSPEC: addresses unknown; the connection is taken as the proxy's.
            0x00 => Ok(Start::Header { len, source: None }),
            _ => Err(BadHeader),
        },
        _ => Err(BadHeader),
    }
}

/// The client of a request from `peer` (the connection's client, after any PROXY header): when `peer` is a trusted
/// proxy, the rightmost `X-Forwarded-For` entry that is not a trusted proxy itself (`values`: the header's lines, in
/// order); otherwise `peer`.
pub fn client_ip<'a>(peer: IpAddr, trusted: &[Cidr], values: impl Iterator<Item = &'a [u8]>) -> IpAddr {
    if !is_trusted(trusted, peer) {
        return peer;
    }
    let mut entries: Vec<&[u8]> = Vec::new();
    for v in values {
        entries.extend(v.split(|&b| b == b',').map(<[u8]>::trim_ascii));
    }
    let mut client = peer;
    for e in entries.iter().rev() {
        if !is_trusted(trusted, client) {
            break;
        }
        match std::str::from_utf8(e).ok().and_then(|s| s.parse::<IpAddr>().ok()) {
            Some(ip) => client = ip,
            None => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidrs(list: &[&str]) -> Vec<Cidr> {
        list.iter().map(|s| Cidr::parse(s).unwrap()).collect()
    }

    #[test]
    fn address_blocks() {
        let c = cidrs(&["10.0.0.0/8", "127.0.0.1", "2001:db8::/32", "0.0.0.0/0"]);
        assert!(c[0].contains("10.255.1.2".parse().unwrap()) && !c[0].contains("11.0.0.1".parse().unwrap()));
        assert!(c[1].contains("127.0.0.1".parse().unwrap()) && !c[1].contains("127.0.0.2".parse().unwrap()));
        assert!(c[1].contains("::ffff:127.0.0.1".parse().unwrap()), "IPv4-mapped");
        assert!(c[2].contains("2001:db8:1::5".parse().unwrap()) && !c[2].contains("2001:db9::1".parse().unwrap()));
        assert!(c[3].contains("203.0.113.9".parse().unwrap()) && !c[3].contains("::1".parse().unwrap()));
        for bad in ["10.0.0.0/33", "x", "10.0.0/8", "::/129", "1.2.3.4/"] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn v1_headers() {
        let h = b"PROXY TCP4 203.0.113.7 10.0.0.1 56324 443\r\nGET / HTTP/1.1\r\n";
        assert_eq!(parse(h), Ok(Start::Header { len: 43, source: Some("203.0.113.7:56324".parse().unwrap()) }));
        let h = b"PROXY TCP6 2001:db8::7 2001:db8::1 1 443\r\n";
        assert_eq!(parse(h), Ok(Start::Header { len: h.len(), source: Some("[2001:db8::7]:1".parse().unwrap()) }));
        assert_eq!(parse(b"PROXY UNKNOWN\r\n"), Ok(Start::Header { len: 15, source: None }));
        assert_eq!(parse(b"PROXY TCP4 203.0.113.7 10.0.0.1 563"), Ok(Start::Partial));
        assert_eq!(parse(b"PRO"), Ok(Start::Partial));
        assert_eq!(parse(b"GET / HTTP/1.1\r\n"), Ok(Start::NotProxy));
        for bad in [
            &b"PROXY TCP4 203.0.113.7 10.0.0.1 56324\r\n"[..],
            b"PROXY TCP4 2001:db8::7 10.0.0.1 1 2\r\n",
            b"PROXY TCP4 203.0.113.7 10.0.0.1 65536 2\r\n",
            b"PROXY TCP4 203.0.113.7 10.0.0.1 01 2\r\n",
            b"PROXY TCP4  203.0.113.7 10.0.0.1 1 2\r\n",
            b"PROXY UDP4 203.0.113.7 10.0.0.1 1 2\r\n",
        ] {
            assert_eq!(parse(bad), Err(BadHeader), "{}", String::from_utf8_lossy(bad));
        }
        let long = [&b"PROXY TCP4 "[..], &[b'1'; 120]].concat();
        assert_eq!(parse(&long), Err(BadHeader));
    }

    #[test]
    fn v2_headers() {
        let mut h = V2_SIGNATURE.to_vec();
        h.extend_from_slice(&[0x21, 0x11, 0, 12, 203, 0, 113, 7, 10, 0, 0, 1, 0xdc, 0x04, 0x01, 0xbb]);
        h.extend_from_slice(b"GET");
        assert_eq!(parse(&h), Ok(Start::Header { len: 28, source: Some("203.0.113.7:56324".parse().unwrap()) }));
        assert_eq!(parse(&h[..20]), Ok(Start::Partial));
        let mut local = V2_SIGNATURE.to_vec();
        local.extend_from_slice(&[0x20, 0x00, 0, 0]);
        assert_eq!(parse(&local), Ok(Start::Header { len: 16, source: None }));
        let mut v6 = V2_SIGNATURE.to_vec();
        v6.extend_from_slice(&[0x21, 0x21, 0, 36]);
        v6.extend_from_slice(&"2001:db8::7".parse::<Ipv6Addr>().unwrap().octets());
        v6.extend_from_slice(&[0; 16]);
        v6.extend_from_slice(&[0, 80, 1, 187]);
        assert_eq!(parse(&v6), Ok(Start::Header { len: 52, source: Some("[2001:db8::7]:80".parse().unwrap()) }));
        let mut bad = h.clone();
        bad[12] = 0x11; // version 1 in a v2 header
        assert_eq!(parse(&bad), Err(BadHeader));
        let mut udp = h.clone();
        udp[13] = 0x12;
        assert_eq!(parse(&udp), Err(BadHeader));
        let mut huge = h.clone();
        huge[14] = 0xff;
        assert_eq!(parse(&huge), Err(BadHeader));
        assert!(looks_like_proxy(&h) && looks_like_proxy(b"PROXY TCP4") && looks_like_proxy(b"\r\n\r\n"));
        assert!(!looks_like_proxy(b"GET /") && !looks_like_proxy(b"\r\nGET"));
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let t = cidrs(&["10.0.0.0/8", "127.0.0.1"]);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let lo = ip("127.0.0.1");
        assert_eq!(client_ip(lo, &t, [&b"203.0.113.7"[..]].into_iter()), ip("203.0.113.7"));
        assert_eq!(client_ip(lo, &t, [&b"198.51.100.1, 203.0.113.7, 10.1.1.1"[..]].into_iter()), ip("203.0.113.7"));
        assert_eq!(client_ip(lo, &t, [&b"198.51.100.1"[..], b"10.0.0.2 ,10.0.0.3"].into_iter()), ip("198.51.100.1"));
        assert_eq!(client_ip(lo, &t, [&b"203.0.113.7, garbage"[..]].into_iter()), lo, "stops at the last trusted hop");
        assert_eq!(client_ip(lo, &t, std::iter::empty()), lo);
        // From an untrusted peer the header says nothing.
        assert_eq!(client_ip(ip("198.51.100.9"), &t, [&b"203.0.113.7"[..]].into_iter()), ip("198.51.100.9"));
        assert_eq!(client_ip(lo, &[], [&b"203.0.113.7"[..]].into_iter()), lo);
    }
}
