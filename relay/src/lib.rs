//! The Meetcrypt relay: forwards exactly the catalogue's signed reads to the venues from fixed egress IPs, and
//! serves the app.
//!
//! - [`policy`]: the pure request-to-decision function (strict parsing, then the catalogue).
//! - [`forward`]: byte-exact forwarding over pooled connections bound to the egress IPs, with caps and timeouts.
//! - [`budget`]: per-egress-IP venue weight accounting, back-off and fairness.
//! - [`web`]: the router: `/v1/{venue}/...`, `/v1/ips`, `/healthz`, `/metrics` and the static app.
//! - [`server`]: the HTTP/1 accept loop with connection and header limits.
//! - [`config`]: TOML file, environment, sandbox file and flags.
//!
//! Nothing a request carries is ever logged or used as a metric label: keys appear only as a short salted hash.
#![deny(missing_docs)]

pub mod budget;
pub mod config;
pub mod forward;
pub mod logwriter;
pub mod metrics;
pub mod policy;
pub mod server;
pub mod web;

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

pub use config::{Args, Config, ConfigError};
pub use server::serve;
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
    salt: [u8; 16],
    egress_labels: Vec<String>,
}

/// A client as logs and the budget know it: a salted hash of its API key or address, never the thing itself.
#[derive(Clone, Copy, Debug)]
pub struct Client {
    /// Identity for fairness.
    pub id: u64,
    tag: [u8; 4],
    kind: &'static str,
}

impl std::fmt::Display for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:", self.kind)?;
        self.tag.iter().try_for_each(|b| write!(f, "{b:02x}"))
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
        Ok(Arc::new(Relay { config, metrics: Arc::default(), budget, upstream, salt, egress_labels }))
    }

    /// The state for another worker thread: the same budget, metrics and salt, its own upstream pools (so a
    /// request and its pooled upstream connection stay on one thread).
    pub fn worker(&self) -> Result<Arc<Relay>, forward::BuildError> {
        Ok(Arc::new(Relay {
            config: self.config.clone(),
            metrics: self.metrics.clone(),
            budget: self.budget.clone(),
            upstream: forward::Upstreams::new(&self.config)?,
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
        Client { id: u64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8])), tag: [b[0], b[1], b[2], b[3]], kind }
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
