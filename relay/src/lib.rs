//! The Meetcrypt relay: forwards exactly the catalogue's signed reads to the venues from fixed egress IPs, and
//! serves the app.
//!
//! - [`policy`]: the pure request-to-decision function (strict parsing, then the catalogue).
//! - [`forward`]: byte-exact forwarding over pooled connections bound to the egress IPs, with caps and timeouts.
//! - [`h1`]: HTTP/1.1 on the wire for the hot path: request heads, the venue's response heads and body framing.
//! - [`errors`]: the relay's JSON errors, in the error shape of the route's venue.
//! - [`conn`]: a client connection: the hand-written hot path for forwarded reads, hyper and axum for the rest.
//! - [`budget`]: per-egress-IP venue weight accounting, back-off and fairness.
//! - [`web`]: the router: `/v1/{venue}/...`, `/v1/ips`, `/healthz` and the static app; `/metrics` apart.
//! - [`server`]: the HTTP/1 accept loop with connection and header limits, and the metrics listener.
//! - [`proxy`]: the real client behind trusted proxies: the PROXY protocol and `X-Forwarded-For`.
//! - [`config`]: TOML file, environment, sandbox file and flags.
//!
//! Nothing a request carries is ever logged or used as a metric label: keys appear only as a short salted hash.
#![deny(missing_docs)]

pub mod budget;
pub mod config;
pub mod conn;
pub mod errors;
pub mod forward;
pub mod h1;
pub mod logwriter;
pub mod metrics;
pub mod policy;
pub mod proxy;
pub mod server;
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
    salt: [u8; 16],
    egress_labels: Vec<String>,
}

/// A client as logs and the budget know it: a salted hash of its API key or address, never the thing itself.
#[derive(Clone, Copy, Debug)]
pub struct Client {
    /// Identity for fairness.
    pub id: u64,
    /// `kind:xxxxxxxx` (kind `key` or `ip`, 8 hex digits), ASCII.
    label: [u8; 12],
}

impl Client {
    /// The log form, `key:xxxxxxxx` or `ip:xxxxxxxx`.
    pub fn as_str(&self) -> &str {
        let len = if self.label[11] == 0 { 11 } else { 12 };
        std::str::from_utf8(&self.label[..len]).unwrap_or("?")
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
            salt: self.salt,
            egress_labels: self.egress_labels.clone(),
        }))
    }

    /// A short salted hash of a credential or client address, the only form in which one may be logged.
    pub fn tag(&self, secret: &[u8]) -> String {
        hex::encode(&self.tag_bytes(secret)[..4])
    }

    /// The client identity for fairness and its log tag, from one salted hash.
    pub fn identify(&self, secret: &[u8]) -> (u64, String) {
        let b = self.tag_bytes(secret);
        (u64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8])), hex::encode(&b[..4]))
    }

    /// The client behind a credential (`key`) or an address (`ip`), for fairness and logs.
    pub fn client(&self, kind: &'static str, secret: &[u8]) -> Client {
        let b = self.tag_bytes(secret);
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut label = [0u8; 12];
        label[..kind.len().min(3)].copy_from_slice(&kind.as_bytes()[..kind.len().min(3)]);
        let mut i = kind.len().min(3);
        label[i] = b':';
        for byte in &b[..4] {
            label[i + 1] = HEX[usize::from(byte >> 4)];
            label[i + 2] = HEX[usize::from(byte & 15)];
            i += 2;
        }
        Client { id: u64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8])), label }
    }

    /// The client behind a read without a key: its address (IPv4, or IPv6 as sent).
    pub fn ip_client(&self, ip: std::net::IpAddr) -> Client {
        match ip {
            std::net::IpAddr::V4(ip) => self.client("ip", &ip.octets()),
            std::net::IpAddr::V6(ip) => self.client("ip", &ip.octets()),
        }
    }

    /// The salted hash as a number (client identity for fairness).
    pub fn client_id(&self, secret: &[u8]) -> u64 {
        let b = self.tag_bytes(secret);
        u64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8]))
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
}
