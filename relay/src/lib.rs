//! The Meetcrypt relay: forwards exactly the catalogue's signed reads to the venues from fixed egress IPs, and
//! serves the app.
//!
//! - [`policy`]: the pure request-to-decision function (strict parsing, then the catalogue).
//! - [`forward`]: byte-exact forwarding over pooled connections bound to the egress IPs, with caps and timeouts.
//! - [`h1`]: HTTP/1.1 on the wire for the hot path: request heads, the venue's response heads and body framing.
//! - [`errors`]: the relay's JSON errors, in the error shape of the route's venue.
//! - [`conn`]: a client connection: the hand-written hot path for forwarded reads, hyper and axum for the rest.
//! - [`budget`]: per-egress-IP venue weight accounting, back-off and fairness.
//! - [`web`]: the router: `/v1/{venue}/...`, `/v1/ips`, `/v1/catalogue`, `/healthz` and the static app; `/metrics` apart.
//! - [`server`]: the HTTP/1 accept loop with connection and header limits, and the metrics listener.
//! - [`tls`]: HTTPS on the listener with rustls, the certificate reloaded on SIGHUP.
//! - [`proxy`]: the real client behind trusted proxies: the PROXY protocol and `X-Forwarded-For`.
//! - [`config`]: TOML file, environment, sandbox file and flags.
//! - [`sandbox`]: demo and tests only: registering a self-generated key with the simulated Binance.
//! - [`ips`]: the operator's signed egress IP list: `relay ips keygen | sign | verify`, and what `/v1/ips/signed` serves.
//!
//! Nothing a request carries is ever logged or used as a metric label: keys appear only as a short salted hash.
#![deny(missing_docs)]

pub mod budget;
pub mod config;
pub mod conn;
pub mod errors;
pub mod forward;
pub mod h1;
pub mod ips;
pub mod logwriter;
pub mod metrics;
pub mod policy;
pub mod proxy;
pub mod sandbox;
pub mod server;
pub mod tls;
pub mod web;

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

pub use config::{Args, Config, ConfigError};
pub use server::{serve, serve_metrics};
pub use web::app;

/// Everything the handlers share.
pub struct Relay {
    /// The resolved configuration.
    pub config: Config,
    /// Counters for `/metrics`.
    pub metrics: Arc<metrics::Metrics>,
    /// The weight budget.
    pub budget: Arc<budget::Budget>,
    /// Upstream clients, one pool per egress IP.
    pub upstream: forward::Upstreams,
    /// Open client connections per client IP, shared by the workers.
    pub connections_per_ip: Arc<server::PerIp>,
    /// HTTPS on the listener (`tls_cert`, `tls_key`), shared by the workers; `None`: plain HTTP.
    pub tls: Option<Arc<tls::Tls>>,
    /// The signed egress IP list served at `/v1/ips/signed`, shared by the workers; `None`: not configured.
    pub signed_ips: Option<Arc<ips::SignedIps>>,
    salt: [u8; 16],
    egress_labels: Vec<String>,
}

/// A client as logs and the budget know it: salted hashes of its address and API key, never the things themselves.
#[derive(Clone, Copy, Debug)]
pub struct Client {
    /// Who asks, for the budget: the address's identity and the key's, if any (docs/relay.md, Fairness).
    pub who: budget::Who,
    /// `kind:xxxxxxxx` (kind `key` or `ip`, 8 hex digits), ASCII.
    label: [u8; 12],
}

impl Client {
    /// The same client signing with `key` (a client made by [`Relay::client`] from the key): its address, the
    /// key's identity, and the key's log label.
    pub fn signing_with(self, key: &Client) -> Client {
        Client { who: budget::Who { address: self.who.address, key: Some(key.who.address) }, label: key.label }
    }

    /// The log form, `key:xxxxxxxx` or `ip:xxxxxxxx`.
    pub fn as_str(&self) -> &str {
        let len = if self.label[11] == 0 { 11 } else { 12 };
        std::str::from_utf8(&self.label[..len]).unwrap_or("?")
    }

    /// The client's address in its log form, `ip:xxxxxxxx`, also when the request is signed (whose [`Client::as_str`]
    /// is the key's): the label [`Relay::ip_client`] gives that address, so that a log shows which address (behind
    /// a trusted proxy: the one its PROXY header or `X-Forwarded-For` names) sent each request.
    pub fn address_tag(&self) -> AddressTag {
        let mut label = [0u8; 11];
        label[..3].copy_from_slice(b"ip:");
        hex_into(&self.who.address.to_le_bytes()[..4], &mut label[3..]);
        AddressTag(label)
    }
}

/// A client address's log form, `ip:xxxxxxxx` (see [`Client::address_tag`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddressTag([u8; 11]);

impl AddressTag {
    /// `ip:xxxxxxxx`.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("?")
    }
}

/// Lower-case hex of `bytes` into `out` (twice as long).
fn hex_into(bytes: &[u8], out: &mut [u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (byte, pair) in bytes.iter().zip(out.chunks_mut(2)) {
        pair[0] = HEX[usize::from(byte >> 4)];
        pair[1] = HEX[usize::from(byte & 15)];
    }
}

impl std::fmt::Display for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Relay {
    /// Builds the shared state (creates the upstream pools; does not connect yet).
    pub fn new(config: Config) -> Result<Arc<Relay>, forward::BuildError> {
        let upstream = forward::Upstreams::new(&config)?;
        let tls = match &config.tls {
            Some(files) => Some(Arc::new(tls::Tls::load(files).map_err(forward::BuildError::Certificate)?)),
            None => None,
        };
        let signed_ips =
            ips::SignedIps::load(&config, now_ms() / 1000).map_err(forward::BuildError::SignedIps)?.map(Arc::new);
        let budget = Arc::new(budget::Budget::new(config.egress.len(), &config.limits));
        let mut salt = [0u8; 16];
        for chunk in salt.chunks_mut(8) {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(std::process::id() as u64);
            chunk.copy_from_slice(&h.finish().to_le_bytes());
        }
        let egress_labels = config.egress.iter().map(|ip| ip.to_string()).collect();
        Ok(Arc::new(Relay {
            config,
            metrics: Arc::default(),
            budget,
            upstream,
            connections_per_ip: Arc::default(),
            tls,
            signed_ips,
            salt,
            egress_labels,
        }))
    }

    /// The state for another worker thread: the same budget, metrics and salt, its own upstream pools (so a
    /// request and its pooled upstream connection stay on one thread).
    pub fn worker(&self) -> Result<Arc<Relay>, forward::BuildError> {
        Ok(Arc::new(Relay {
            config: self.config.clone(),
            metrics: self.metrics.clone(),
            budget: self.budget.clone(),
            upstream: forward::Upstreams::new(&self.config)?,
            connections_per_ip: self.connections_per_ip.clone(),
            tls: self.tls.clone(),
            signed_ips: self.signed_ips.clone(),
            salt: self.salt,
            egress_labels: self.egress_labels.clone(),
        }))
    }

    /// A short salted hash of a credential or client address, the only form in which one may be logged.
    pub fn tag(&self, secret: &[u8]) -> String {
        hex::encode(&self.tag_bytes(secret)[..4])
    }

    /// The client behind a credential (`key`) or an address (`ip`), for fairness and logs: `who.address` is the
    /// salted hash of `secret`, with no key.
    pub fn client(&self, kind: &'static str, secret: &[u8]) -> Client {
        let b = self.tag_bytes(secret);
        let mut label = [0u8; 12];
        let i = kind.len().min(3);
        label[..i].copy_from_slice(&kind.as_bytes()[..i]);
        label[i] = b':';
        hex_into(&b[..4], &mut label[i + 1..i + 9]);
        let address = u64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8]));
        Client { who: budget::Who { address, key: None }, label }
    }

    /// The client at an address, without a key: an IPv4 address (an IPv4-mapped IPv6 address counts as its IPv4
    /// address), or the /64 of an IPv6 address (one subscriber's usual allocation, so that a client cannot become
    /// many by changing the low bits). The hashed bytes start with a NUL, which no key holds.
    pub fn ip_client(&self, ip: std::net::IpAddr) -> Client {
        let ip = match ip {
            std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, std::net::IpAddr::V4),
            v4 => v4,
        };
        match ip {
            std::net::IpAddr::V4(ip) => {
                let o = ip.octets();
                self.client("ip", &[0, 4, o[0], o[1], o[2], o[3]])
            }
            std::net::IpAddr::V6(ip) => {
                let mut b = [0u8; 10];
                b[1] = 6;
                b[2..].copy_from_slice(&ip.octets()[..8]);
                self.client("ip", &b)
            }
        }
    }

    fn tag_bytes(&self, secret: &[u8]) -> [u8; 32] {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(self.salt);
        h.update(secret);
        h.finalize().into()
    }

    /// The label of an egress pool (its IP, or `default` when unbound).
    pub fn egress_label(&self, i: usize) -> &str {
        self.egress_labels.get(i).map_or("default", String::as_str)
    }
}

/// Unix time in milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    #[test]
    fn addresses_are_ipv4_or_an_ipv6_64() {
        let relay = crate::Relay::new(crate::Config::default()).unwrap();
        let id = |s: &str| relay.ip_client(s.parse().unwrap()).who;
        assert_eq!(id("2001:db8:1:2::1"), id("2001:db8:1:2:ffff:1:2:3"), "one /64");
        assert_ne!(id("2001:db8:1:2::1"), id("2001:db8:1:3::1"));
        assert_eq!(id("::ffff:203.0.113.7"), id("203.0.113.7"), "IPv4-mapped");
        assert_ne!(id("203.0.113.7"), id("203.0.113.8"));
        assert_eq!(id("203.0.113.7").key, None);
        let k = relay.client("key", b"some-api-key");
        let c = relay.ip_client("203.0.113.7".parse().unwrap()).signing_with(&k);
        assert_eq!(
            (c.who.address, c.who.key, c.as_str()),
            (id("203.0.113.7").address, Some(k.who.address), k.as_str())
        );
    }

    #[test]
    fn client_labels_are_kind_and_eight_hex_digits() {
        let relay = crate::Relay::new(crate::Config::default()).unwrap();
        let k = relay.client("key", b"some-api-key");
        let ip = relay.client("ip", &[127, 0, 0, 1]);
        for (c, kind) in [(k, "key:"), (ip, "ip:")] {
            let s = c.as_str();
            assert!(s.starts_with(kind) && s.len() == kind.len() + 8, "{s}");
            assert!(s[kind.len()..].bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()), "{s}");
            assert_eq!(c.to_string(), s);
        }
        assert_eq!(&k.as_str()[4..], &relay.tag(b"some-api-key"));
    }

    #[test]
    fn a_signed_request_s_address_tag_is_its_address_s_label() {
        let relay = crate::Relay::new(crate::Config::default()).unwrap();
        let ip = relay.ip_client("203.0.113.7".parse().unwrap());
        let other = relay.ip_client("203.0.113.8".parse().unwrap());
        let signed = ip.signing_with(&relay.client("key", b"some-api-key"));
        assert!(signed.as_str().starts_with("key:"));
        assert_eq!(signed.address_tag().as_str(), ip.as_str());
        assert_eq!(ip.address_tag().as_str(), ip.as_str());
        assert_ne!(other.address_tag(), ip.address_tag());
    }
}
