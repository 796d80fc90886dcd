//! Configuration: a TOML file, overridden by environment variables, a sandbox file and command-line flags.
//!
//! ```toml
//! listen = "0.0.0.0:8080"
//! metrics_listen = "127.0.0.1:9184"
//! static_dir = "static"
//! egress = ["203.0.113.10", "203.0.113.11"]
//! allowed_origins = ["https://app.example.org"]
//! tls_cert = "/etc/meetcrypt/fullchain.pem"   # both or neither: HTTPS with rustls; neither: plain HTTP
//! tls_key = "/etc/meetcrypt/privkey.pem"
//! ips_signed_file = "/etc/meetcrypt/ips.signed.json"  # or ips_signing_key: GET /v1/ips/signed (docs/relay.md)
//! [upstreams]
//! binance_spot = "https://api.binance.com"
//! binance_futures = "https://fapi.binance.com"
//! binance_coin_futures = "https://dapi.binance.com"
//! bitget = "https://api.bitget.com"
//! [limits]
//! max_response_bytes = 67108864
//! max_connections_per_ip = 256
//! ```
//!
//! Environment: `RELAY_LISTEN`, `RELAY_STATIC_DIR`, `RELAY_EGRESS` and `RELAY_ALLOWED_ORIGINS` (comma-separated),
//! `RELAY_UPSTREAM_BINANCE_SPOT`, `RELAY_UPSTREAM_BINANCE_FUTURES`, `RELAY_UPSTREAM_BINANCE_COIN_FUTURES`,
//! `RELAY_UPSTREAM_BITGET`, `RELAY_METRICS_LISTEN`,
//! `RELAY_METRICS_TOKEN`, `RELAY_TRUSTED_PROXIES` (comma-separated), `RELAY_TLS_CERT`, `RELAY_TLS_KEY`,
//! `RELAY_IPS_SIGNED_FILE`, `RELAY_IPS_SIGNING_KEY`.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use catalogue::{Host, Limiter};
use serde::Deserialize;

/// A configuration that cannot be used. Each message names the place and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config or sandbox file could not be read.
    #[error("cannot read {path}: {reason}; check the path")]
    Read {
        /// The file.
        path: String,
        /// The OS error.
        reason: String,
    },
    /// The config file is not valid TOML or holds an unknown or mistyped key.
    #[error("config file {path} line {line}: {reason}; fix that line and start again")]
    Syntax {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A value is malformed (upstream URL, IP, address).
    #[error("{place}: {reason}")]
    Value {
        /// Where the value came from (file and line, environment variable, flag or sandbox file).
        place: String,
        /// What is wrong and what to do.
        reason: String,
    },
}

/// An upstream base URL, checked: `http` or `https`, a host, no path, query or credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upstream {
    /// `http` or `https`.
    pub scheme: http::uri::Scheme,
    /// Host and optional port.
    pub authority: http::uri::Authority,
}

impl Upstream {
    /// Parses and checks a base URL; the error says what is wrong.
    pub fn parse(url: &str) -> Result<Upstream, String> {
        let uri: http::Uri =
            url.parse().map_err(|e| format!("'{url}' is not a URL ({e}); write e.g. https://api.binance.com"))?;
        let scheme =
            uri.scheme().cloned().ok_or_else(|| format!("'{url}' has no scheme; write http:// or https://"))?;
        if scheme != http::uri::Scheme::HTTP && scheme != http::uri::Scheme::HTTPS {
            return Err(format!("'{url}' must use http or https"));
        }
        let authority = uri.authority().cloned().ok_or_else(|| format!("'{url}' has no host"))?;
        if authority.as_str().contains('@') {
            return Err(format!("'{url}' must not hold credentials"));
        }
        if authority.host().is_empty() {
            return Err(format!("'{url}' has no host"));
        }
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            return Err(format!("'{url}' must be a bare base URL without path or query"));
        }
        Ok(Upstream { scheme, authority })
    }

    /// `scheme://authority`.
    pub fn base(&self) -> String {
        format!("{}://{}", self.scheme, self.authority)
    }
}

/// Limits and budgets. Every field has a default.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest upstream response body forwarded; larger ones are cut and answered 502.
    pub max_response_bytes: u64,
    /// TCP (and TLS) connect timeout to the upstream, milliseconds.
    pub connect_timeout_ms: u64,
    /// Total time for an upstream exchange (headers and body), milliseconds.
    pub total_timeout_ms: u64,
    /// Time a client has to send its request head, milliseconds.
    pub header_read_timeout_ms: u64,
    /// Time a client has to take any byte of a response the relay is writing to it, milliseconds: a write that
    /// makes no progress for this long closes the connection (as nginx's `send_timeout`).
    pub client_write_timeout_ms: u64,
    /// Most client connections served at once; more wait in the accept queue.
    pub max_connections: usize,
    /// Most connections open at once from one client IP address (an IPv6 client by its /64), across all worker
    /// threads; more are answered 429 `too_many_connections` and closed. 0: no limit (e.g. behind a reverse proxy,
    /// where every client has its address).
    pub max_connections_per_ip: usize,
    /// Worker threads, each with its own runtime and upstream pools, accepting from one shared socket; 0: one per
    /// core.
    pub worker_threads: usize,
    /// Pin each worker thread to a CPU of its own when there is exactly one worker per CPU the process may run on
    /// (as with the default `worker_threads`). Unpinned, the scheduler tends to stack the workers on one core,
    /// where each waits for the other; pinned, each keeps its core. With a different worker count, or off, the
    /// scheduler places the workers.
    pub pin_workers: bool,
    /// Idle pooled upstream connections kept per egress IP and host.
    pub pool_idle_per_host: usize,
    /// Share of each venue limit the relay lets itself use (0 < f <= 1).
    pub budget_fraction: f64,
    /// Binance spot `/api` request weight per minute per IP.
    pub binance_spot_weight_per_minute: u32,
    /// Binance `/sapi` IP weight per minute per IP.
    pub binance_sapi_ip_weight_per_minute: u32,
    /// Binance USDⓈ-M futures request weight per minute per IP.
    pub binance_futures_weight_per_minute: u32,
    /// Binance COIN-M futures (`/dapi`) request weight per minute per IP.
    pub binance_coin_futures_weight_per_minute: u32,
    /// Bitget's overall requests per minute per IP, whatever the endpoint.
    pub bitget_requests_per_minute: u32,
    /// Most keys one client address brings as identities of their own in a minute (docs/relay.md, Fairness): past
    /// it, its further keys count as the address's. Only keys the venue has accepted count at all.
    pub max_keys_per_address: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_response_bytes: 64 * 1024 * 1024,
            connect_timeout_ms: 5_000,
            total_timeout_ms: 30_000,
            header_read_timeout_ms: 10_000,
            client_write_timeout_ms: 10_000,
            max_connections: 10_000,
            max_connections_per_ip: 256,
            worker_threads: 0,
            pin_workers: true,
            pool_idle_per_host: 256,
            budget_fraction: 0.8,
            binance_spot_weight_per_minute: shared_limit(Limiter::BinanceSpotIp),
            binance_sapi_ip_weight_per_minute: shared_limit(Limiter::BinanceSapiIp),
            binance_futures_weight_per_minute: shared_limit(Limiter::BinanceFuturesIp),
            binance_coin_futures_weight_per_minute: shared_limit(Limiter::BinanceCoinFuturesIp),
            bitget_requests_per_minute: shared_limit(Limiter::BitgetIp),
            max_keys_per_address: 4,
        }
    }
}

/// The venue's limit of a limiter, as the catalogue states it.
const fn shared_limit(l: Limiter) -> u32 {
    match l.shared_limit() {
        Some(n) => n,
        None => 0,
    }
}

impl Limits {
    /// The configured limit per window of a limiter every endpoint shares per IP; the catalogue's for any other.
    pub fn shared_ip_limit(&self, l: Limiter) -> u32 {
        match l {
            Limiter::BinanceSpotIp => self.binance_spot_weight_per_minute,
            Limiter::BinanceSapiIp => self.binance_sapi_ip_weight_per_minute,
            Limiter::BinanceFuturesIp => self.binance_futures_weight_per_minute,
            Limiter::BinanceCoinFuturesIp => self.binance_coin_futures_weight_per_minute,
            Limiter::BitgetIp => self.bitget_requests_per_minute,
            other => shared_limit(other),
        }
    }
}

/// Where `/metrics` is served by default: loopback only, on a port of its own (not 9090, Prometheus's own).
pub const DEFAULT_METRICS_LISTEN: SocketAddr = SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 9184);

/// The shortest `metrics_token` accepted.
pub const MIN_METRICS_TOKEN: usize = 16;

/// The relay's whole configuration, resolved.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Address `/metrics` is served on, apart from the public listener (which answers 404 for it); `None`: off.
    pub metrics_listen: Option<SocketAddr>,
    /// If set, `/metrics` requires `Authorization: Bearer <token>` (compared in constant time; never logged).
    pub metrics_token: Option<secret::Secret>,
    /// The built app to serve at `/`, if any.
    pub static_dir: Option<PathBuf>,
    /// Upstream base URL per host.
    pub upstreams: BTreeMap<Host, Upstream>,
    /// Egress IPs outgoing sockets bind to; empty: the system chooses (one unbound pool).
    pub egress: Vec<IpAddr>,
    /// Origins allowed to call the relay cross-origin (CORS), e.g. `https://app.example.org`.
    pub allowed_origins: Vec<String>,
    /// Other relays the app served here may fail over to (`scheme://host[:port]`): added to the app's CSP
    /// `connect-src`, which otherwise allows only this relay.
    pub failover_relays: Vec<String>,
    /// Limits and budgets.
    pub limits: Limits,
    /// Load balancers and reverse proxies whose PROXY protocol headers and `X-Forwarded-For` are believed
    /// ([`crate::proxy`]); empty (the default): none, every client is its TCP peer.
    pub trusted_proxies: Vec<crate::proxy::Cidr>,
    /// Forwarded reads on the hand-written HTTP/1.1 hot path (`true`, the default), or every request through hyper
    /// and the axum router (`false`: slower, the same answers; the differential tests compare the two).
    pub hot_path: bool,
    /// HTTPS on the listener: the certificate chain and private key files (PEM), read at start and again on SIGHUP
    /// ([`crate::tls`]); `None`: plain HTTP (behind a TLS-terminating proxy).
    pub tls: Option<TlsFiles>,
    /// Trust anchors for upstream TLS besides the webpki roots. Not settable from the file, the environment or
    /// flags: the tests use it for a TLS upstream on loopback with their own certificate authority.
    pub extra_upstream_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
    /// The simulated Binance spot server whose key registration `POST /sandbox/binance/ed25519-keys` forwards to
    /// ([`crate::sandbox`]): set by a sandbox file only (`--sandbox DIR`), `None` otherwise (the route answers 404).
    pub sandbox_registration: Option<Upstream>,
    /// Where `GET /v1/ips/signed` comes from (docs/relay.md, "The signed IP list"); `None`: not served (404).
    pub signed_ips: Option<SignedIpsSource>,
    /// How long a list the relay signs itself (`ips_signing_key`) is valid, in days (1 to 366); it signs a new one
    /// when half of that has passed.
    pub ips_valid_days: u32,
}

/// The source of the signed egress IP list the relay serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignedIpsSource {
    /// A list signed by `relay ips sign` (the operator's whole list, every instance's IPs), served as it is.
    File(PathBuf),
    /// The operator key file (`relay ips keygen`): the relay signs its own egress IPs at start.
    Key(PathBuf),
}

/// The default of `ips_valid_days`.
pub const DEFAULT_IPS_VALID_DAYS: u32 = 7;

/// The signed-list setting from its two keys, one at most (`place`: where they were given, for the message).
fn signed_ips(
    file: Option<PathBuf>,
    key: Option<PathBuf>,
    place: &str,
) -> Result<Option<SignedIpsSource>, ConfigError> {
    match (file, key) {
        (Some(f), None) => Ok(Some(SignedIpsSource::File(f))),
        (None, Some(k)) => Ok(Some(SignedIpsSource::Key(k))),
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Err(ConfigError::Value {
            place: place.to_owned(),
            reason: "give either a signed list (ips_signed_file) or the key to sign one with (ips_signing_key), \
                     not both"
                .into(),
        }),
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            metrics_listen: Some(DEFAULT_METRICS_LISTEN),
            metrics_token: None,
            static_dir: None,
            upstreams: Host::ALL
                .into_iter()
                .map(|h| (h, Upstream::parse(h.default_base_url()).expect("default URLs are valid")))
                .collect(),
            egress: Vec::new(),
            allowed_origins: Vec::new(),
            failover_relays: Vec::new(),
            limits: Limits::default(),
            trusted_proxies: Vec::new(),
            hot_path: true,
            tls: None,
            extra_upstream_roots: Vec::new(),
            sandbox_registration: None,
            signed_ips: None,
            ips_valid_days: DEFAULT_IPS_VALID_DAYS,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<toml::Spanned<String>>,
    metrics_listen: Option<toml::Spanned<String>>,
    metrics_token: Option<toml::Spanned<String>>,
    static_dir: Option<PathBuf>,
    egress: Option<Vec<toml::Spanned<String>>>,
    allowed_origins: Option<Vec<String>>,
    failover_relays: Option<Vec<toml::Spanned<String>>>,
    upstreams: Option<FileUpstreams>,
    limits: Option<Limits>,
    hot_path: Option<bool>,
    trusted_proxies: Option<Vec<toml::Spanned<String>>>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    ips_signed_file: Option<PathBuf>,
    ips_signing_key: Option<PathBuf>,
    ips_valid_days: Option<toml::Spanned<u32>>,
}

/// The listener's certificate chain and private key files (PEM).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain: the relay's certificate first, then the intermediates.
    pub cert: PathBuf,
    /// The private key of the first certificate (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// The TLS setting from a certificate path and a key path, given together or not at all (`place`: where they were
/// given, for the message).
fn tls_files(cert: Option<PathBuf>, key: Option<PathBuf>, place: &str) -> Result<Option<TlsFiles>, ConfigError> {
    match (cert, key) {
        (Some(cert), Some(key)) => Ok(Some(TlsFiles { cert, key })),
        (None, None) => Ok(None),
        (Some(_), None) | (None, Some(_)) => Err(ConfigError::Value {
            place: place.to_owned(),
            reason: "the TLS certificate and its key are set together (tls_cert and tls_key): give both for HTTPS, \
                     or neither for plain HTTP"
                .into(),
        }),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileUpstreams {
    binance_spot: Option<toml::Spanned<String>>,
    binance_futures: Option<toml::Spanned<String>>,
    binance_coin_futures: Option<toml::Spanned<String>>,
    bitget: Option<toml::Spanned<String>>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

/// A config file's path and text, to say where a refused value stands: `config file PATH line N (key)`.
struct FilePlace<'a> {
    path: &'a str,
    text: &'a str,
}

impl FilePlace<'_> {
    /// The line of a value, with its key when `key` is given (never the value itself).
    fn of<T>(&self, value: &toml::Spanned<T>, key: Option<&str>) -> String {
        let line = format!("config file {} line {}", self.path, line_of(self.text, value.span().start));
        match key {
            Some(k) => format!("{line} ({k})"),
            None => line,
        }
    }

    /// Settings given as a group (`keys`, e.g. `tls_cert, tls_key`), which have no single line.
    fn keys(&self, keys: &str) -> String {
        format!("config file {} ({keys})", self.path)
    }

    /// A value parsed, or refused with its place.
    fn parse<T>(
        &self,
        value: &toml::Spanned<String>,
        key: Option<&str>,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        parse(value.get_ref()).map_err(|reason| ConfigError::Value { place: self.of(value, key), reason })
    }

    /// Every value of a list parsed, or the first refused with its place.
    fn parse_all<T>(
        &self,
        list: &[toml::Spanned<String>],
        key: Option<&str>,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Vec<T>, ConfigError> {
        list.iter().map(|s| self.parse(s, key, &parse)).collect()
    }
}

impl Config {
    /// Applies a TOML config file's text (`path` only for messages).
    pub fn apply_toml(&mut self, path: &str, text: &str) -> Result<(), ConfigError> {
        let file: FileConfig = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            path: path.to_owned(),
            line: e.span().map_or(1, |s| line_of(text, s.start)),
            reason: e.message().trim().replace('\n', " "),
        })?;
        let at = FilePlace { path, text };
        self.apply_file_listeners(&at, file.listen, file.metrics_listen, file.metrics_token)?;
        if let Some(d) = file.static_dir {
            self.static_dir = Some(d);
        }
        if let Some(h) = file.hot_path {
            self.hot_path = h;
        }
        if file.tls_cert.is_some() || file.tls_key.is_some() {
            self.tls = tls_files(file.tls_cert, file.tls_key, &at.keys("tls_cert, tls_key"))?;
        }
        self.apply_file_signed_ips(&at, file.ips_signed_file, file.ips_signing_key, file.ips_valid_days)?;
        if let Some(list) = file.trusted_proxies {
            self.trusted_proxies = at.parse_all(&list, Some("trusted_proxies"), crate::proxy::Cidr::parse)?;
        }
        if let Some(list) = file.egress {
            self.egress = at.parse_all(&list, None, parse_ip)?;
        }
        if let Some(o) = file.allowed_origins {
            self.allowed_origins = o;
        }
        if let Some(list) = file.failover_relays {
            self.failover_relays =
                at.parse_all(&list, Some("failover_relays"), |s| Upstream::parse(s).map(|u| u.base()))?;
        }
        if let Some(u) = file.upstreams {
            self.apply_file_upstreams(&at, u)?;
        }
        if let Some(l) = file.limits {
            if !(l.budget_fraction > 0.0 && l.budget_fraction <= 1.0) {
                return Err(ConfigError::Value {
                    place: format!("config file {path} [limits]"),
                    reason: "budget_fraction must be in (0, 1]".into(),
                });
            }
            self.limits = l;
        }
        Ok(())
    }

    /// The file's `listen`, `metrics_listen` and `metrics_token`.
    fn apply_file_listeners(
        &mut self,
        at: &FilePlace,
        listen: Option<toml::Spanned<String>>,
        metrics_listen: Option<toml::Spanned<String>>,
        metrics_token: Option<toml::Spanned<String>>,
    ) -> Result<(), ConfigError> {
        if let Some(l) = listen {
            self.listen = at.parse(&l, None, parse_listen)?;
        }
        if let Some(l) = metrics_listen {
            self.metrics_listen = at.parse(&l, Some("metrics_listen"), parse_metrics_listen)?;
        }
        if let Some(t) = metrics_token {
            // The token itself is never part of a message.
            let place = at.of(&t, Some("metrics_token"));
            self.metrics_token =
                Some(parse_metrics_token(t.into_inner()).map_err(|reason| ConfigError::Value { place, reason })?);
        }
        Ok(())
    }

    /// The file's signed egress IP list: `ips_signed_file` or `ips_signing_key`, and `ips_valid_days`.
    fn apply_file_signed_ips(
        &mut self,
        at: &FilePlace,
        signed_file: Option<PathBuf>,
        signing_key: Option<PathBuf>,
        valid_days: Option<toml::Spanned<u32>>,
    ) -> Result<(), ConfigError> {
        if signed_file.is_some() || signing_key.is_some() {
            self.signed_ips = signed_ips(signed_file, signing_key, &at.keys("ips_signed_file, ips_signing_key"))?;
        }
        if let Some(d) = valid_days {
            if !(1..=366).contains(d.get_ref()) {
                return Err(ConfigError::Value {
                    place: at.of(&d, Some("ips_valid_days")),
                    reason: "ips_valid_days is a number of days from 1 to 366".into(),
                });
            }
            self.ips_valid_days = d.into_inner();
        }
        Ok(())
    }

    /// The file's `[upstreams]`: each venue host given replaces its default.
    fn apply_file_upstreams(&mut self, at: &FilePlace, u: FileUpstreams) -> Result<(), ConfigError> {
        for (host, v) in [
            (Host::BinanceSpot, u.binance_spot),
            (Host::BinanceFutures, u.binance_futures),
            (Host::BinanceCoinFutures, u.binance_coin_futures),
            (Host::Bitget, u.bitget),
        ] {
            if let Some(v) = v {
                let up = at.parse(&v, Some(&format!("upstreams.{}", host.as_str())), Upstream::parse)?;
                self.upstreams.insert(host, up);
            }
        }
        Ok(())
    }

    /// Reads and applies a TOML config file.
    pub fn apply_file(&mut self, path: &Path) -> Result<(), ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::Read { path: path.display().to_string(), reason: e.to_string() })?;
        self.apply_toml(&path.display().to_string(), &text)
    }

    /// Applies `RELAY_*` environment variables through `get` (injectable for tests).
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let val =
            |var: &str, reason: String| ConfigError::Value { place: format!("environment variable {var}"), reason };
        if let Some(v) = get("RELAY_LISTEN") {
            self.listen = parse_listen(&v).map_err(|r| val("RELAY_LISTEN", r))?;
        }
        if let Some(v) = get("RELAY_METRICS_LISTEN") {
            self.metrics_listen = parse_metrics_listen(&v).map_err(|r| val("RELAY_METRICS_LISTEN", r))?;
        }
        if let Some(v) = get("RELAY_METRICS_TOKEN") {
            self.metrics_token = Some(parse_metrics_token(v).map_err(|r| val("RELAY_METRICS_TOKEN", r))?);
        }
        if let Some(v) = get("RELAY_STATIC_DIR") {
            self.static_dir = Some(PathBuf::from(v));
        }
        if let Some(v) = get("RELAY_EGRESS") {
            self.egress =
                split_list(&v).map(|s| parse_ip(s).map_err(|r| val("RELAY_EGRESS", r))).collect::<Result<_, _>>()?;
        }
        if let Some(v) = get("RELAY_TRUSTED_PROXIES") {
            self.trusted_proxies = split_list(&v)
                .map(|s| crate::proxy::Cidr::parse(s).map_err(|r| val("RELAY_TRUSTED_PROXIES", r)))
                .collect::<Result<_, _>>()?;
        }
        let (cert, key) = (get("RELAY_TLS_CERT"), get("RELAY_TLS_KEY"));
        if cert.is_some() || key.is_some() {
            self.tls = tls_files(
                cert.map(PathBuf::from),
                key.map(PathBuf::from),
                "environment variables RELAY_TLS_CERT, RELAY_TLS_KEY",
            )?;
        }
        let (file, key) = (get("RELAY_IPS_SIGNED_FILE"), get("RELAY_IPS_SIGNING_KEY"));
        if file.is_some() || key.is_some() {
            self.signed_ips = signed_ips(
                file.map(PathBuf::from),
                key.map(PathBuf::from),
                "environment variables RELAY_IPS_SIGNED_FILE, RELAY_IPS_SIGNING_KEY",
            )?;
        }
        if let Some(v) = get("RELAY_ALLOWED_ORIGINS") {
            self.allowed_origins = split_list(&v).map(str::to_owned).collect();
        }
        for host in Host::ALL {
            let var = format!("RELAY_UPSTREAM_{}", host.as_str().to_ascii_uppercase());
            if let Some(v) = get(&var) {
                self.upstreams.insert(host, Upstream::parse(&v).map_err(|r| val(&var, r))?);
            }
        }
        Ok(())
    }

    /// Applies a sandbox file `DIR/sandbox.json`: `{"binance_spot": URL, "binance_futures": URL,
    /// "binance_coin_futures": URL, "bitget": URL, ...}`
    /// (other fields, such as the demo keys, are ignored).
    pub fn apply_sandbox(&mut self, dir: &Path) -> Result<(), ConfigError> {
        let path = dir.join("sandbox.json");
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::Read {
            path: shown.clone(),
            reason: format!("{e} (start the sandbox first; it writes this file)"),
        })?;
        let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| ConfigError::Syntax {
            path: shown.clone(),
            line: e.line(),
            reason: e.to_string(),
        })?;
        for host in Host::ALL {
            let place = || format!("sandbox file {shown} ({})", host.as_str());
            let url = json.get(host.as_str()).and_then(|v| v.as_str()).ok_or_else(|| ConfigError::Value {
                place: place(),
                reason: format!("missing string field \"{}\"", host.as_str()),
            })?;
            self.upstreams
                .insert(host, Upstream::parse(url).map_err(|reason| ConfigError::Value { place: place(), reason })?);
        }
        self.sandbox_registration = self.upstreams.get(&Host::BinanceSpot).cloned();
        Ok(())
    }
}

fn split_list(v: &str) -> impl Iterator<Item = &str> {
    v.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// Parses a listen address `IP:PORT`.
pub fn parse_listen(s: &str) -> Result<SocketAddr, String> {
    s.parse().map_err(|_| format!("'{s}' is not an IP:PORT listen address; write e.g. 127.0.0.1:8080"))
}

/// Parses a `metrics_listen` value: `IP:PORT`, or `off` (no metrics listener).
pub fn parse_metrics_listen(s: &str) -> Result<Option<SocketAddr>, String> {
    if s.trim().eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    s.trim()
        .parse()
        .map(Some)
        .map_err(|_| format!("'{s}' is neither an IP:PORT listen address nor 'off'; write e.g. 127.0.0.1:9184, or off"))
}

/// Checks a `metrics_token`: at least [`MIN_METRICS_TOKEN`] visible ASCII characters. The message never holds it.
pub fn parse_metrics_token(token: String) -> Result<secret::Secret, String> {
    let token = secret::Secret::new(token);
    let t = token.expose();
    if t.len() < MIN_METRICS_TOKEN || !t.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "the metrics token must be at least {MIN_METRICS_TOKEN} visible ASCII characters (no spaces); \
             generate one, e.g. with `openssl rand -hex 32`"
        ));
    }
    Ok(token)
}

/// Parses an egress IP.
pub fn parse_ip(s: &str) -> Result<IpAddr, String> {
    s.parse().map_err(|_| format!("'{s}' is not an IP address; egress entries are the relay host's own IPs"))
}

/// Command-line options, before resolution. Each overrides the file and the environment (docs/relay.md lists the
/// file's keys and the `RELAY_*` variables).
#[derive(Clone, Debug, Default, clap::Parser)]
#[command(
    name = "relay",
    version,
    args_conflicts_with_subcommands = true,
    about = "The meetcrypt relay: forwards the app's signed read-only requests to the venues from fixed egress IPs, \
             refusing everything the catalogue does not list."
)]
pub struct Args {
    /// A TOML configuration file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where to listen for the app and its requests.
    #[arg(long, value_name = "IP:PORT")]
    pub listen: Option<String>,
    /// Where to serve /metrics (default 127.0.0.1:9184), or `off`.
    #[arg(long, value_name = "IP:PORT|off")]
    pub metrics_listen: Option<String>,
    /// The built app to serve (scripts/build-app's output).
    #[arg(long = "static", value_name = "DIR")]
    pub static_dir: Option<PathBuf>,
    /// Forward to the simulated venues whose addresses a running sandbox wrote to DIR/sandbox.json.
    #[arg(long, value_name = "DIR")]
    pub sandbox: Option<PathBuf>,
    /// An egress IP of this host to send from (repeat for several).
    #[arg(long, value_name = "IP")]
    pub egress: Vec<String>,
    /// An origin allowed to call the relay from a browser besides its own (repeat for several).
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allowed_origins: Vec<String>,
    /// Serve HTTPS with this certificate chain (PEM; with --tls-key). Reloaded on SIGHUP.
    #[arg(long, value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// Serve this signed egress IP list (from `relay ips sign`) at /v1/ips/signed.
    #[arg(long, value_name = "FILE")]
    pub ips_signed_file: Option<PathBuf>,
    /// Sign this relay's egress IPs at start with this operator key (from `relay ips keygen`) and serve the list at
    /// /v1/ips/signed.
    #[arg(long, value_name = "FILE")]
    pub ips_signing_key: Option<PathBuf>,
    /// The operator's IP-list commands (keygen, sign, verify) instead of running the relay.
    #[command(subcommand)]
    pub command: Option<crate::ips::Command>,
}

impl Args {
    /// Parses command-line arguments (without the program name). `--help` and `--version` come back as a clap
    /// error of their kind, which `main` prints with clap's exit codes (0 for them, 2 for a mistake).
    pub fn from_argv(args: impl IntoIterator<Item = String>) -> Result<Args, clap::Error> {
        <Args as clap::Parser>::try_parse_from(std::iter::once("relay".to_owned()).chain(args))
    }

    /// Resolves defaults, file, environment, sandbox and flags, in that order of increasing precedence.
    pub fn resolve(&self, env: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let mut c = Config::default();
        if let Some(p) = &self.config {
            c.apply_file(p)?;
        }
        c.apply_env(env)?;
        if let Some(d) = &self.sandbox {
            c.apply_sandbox(d)?;
        }
        if let Some(l) = &self.listen {
            c.listen = parse_listen(l).map_err(|reason| ConfigError::Value { place: "--listen".into(), reason })?;
        }
        if let Some(l) = &self.metrics_listen {
            c.metrics_listen = parse_metrics_listen(l)
                .map_err(|reason| ConfigError::Value { place: "--metrics-listen".into(), reason })?;
        }
        if let Some(d) = &self.static_dir {
            c.static_dir = Some(d.clone());
        }
        if !self.egress.is_empty() {
            c.egress = self
                .egress
                .iter()
                .map(|s| parse_ip(s).map_err(|reason| ConfigError::Value { place: "--egress".into(), reason }))
                .collect::<Result<_, _>>()?;
        }
        if !self.allowed_origins.is_empty() {
            c.allowed_origins = self.allowed_origins.clone();
        }
        if self.tls_cert.is_some() || self.tls_key.is_some() {
            c.tls = tls_files(self.tls_cert.clone(), self.tls_key.clone(), "--tls-cert, --tls-key")?;
        }
        if self.ips_signed_file.is_some() || self.ips_signing_key.is_some() {
            c.signed_ips = signed_ips(
                self.ips_signed_file.clone(),
                self.ips_signing_key.clone(),
                "--ips-signed-file, --ips-signing-key",
            )?;
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The place a refused config file names, or what went wrong otherwise.
    fn refused_at(text: &str) -> String {
        match Config::default().apply_toml("r.toml", text) {
            Err(ConfigError::Value { place, .. }) => place,
            other => panic!("{text:?} gave {other:?}"),
        }
    }

    #[test]
    fn a_config_file_value_is_refused_with_its_line_and_key() {
        assert_eq!(refused_at("\nlisten = \"nowhere\"\n"), "config file r.toml line 2");
        assert_eq!(refused_at("metrics_listen = \"9100\"\n"), "config file r.toml line 1 (metrics_listen)");
        assert_eq!(refused_at("\n\nmetrics_token = \"short\"\n"), "config file r.toml line 3 (metrics_token)");
        assert_eq!(refused_at("tls_cert = \"c.pem\"\n"), "config file r.toml (tls_cert, tls_key)");
        assert_eq!(
            refused_at("ips_signed_file = \"a.json\"\nips_signing_key = \"a.key\"\n"),
            "config file r.toml (ips_signed_file, ips_signing_key)"
        );
        assert_eq!(refused_at("\nips_valid_days = 400\n"), "config file r.toml line 2 (ips_valid_days)");
        // in a list, the line of the value refused
        let proxies = "trusted_proxies = [\n  \"10.0.0.0/8\",\n  \"10.0.0.0/33\",\n]\n";
        assert_eq!(refused_at(proxies), "config file r.toml line 3 (trusted_proxies)");
        assert_eq!(refused_at("egress = [\"192.0.2.1\",\n\"not-an-ip\"]\n"), "config file r.toml line 2");
        assert_eq!(refused_at("failover_relays = [\"ftp://x\"]\n"), "config file r.toml line 1 (failover_relays)");
        assert_eq!(
            refused_at("[upstreams]\nbinance_spot = \"https://api.binance.com\"\nbitget = \"bitget\"\n"),
            "config file r.toml line 3 (upstreams.bitget)"
        );
        assert_eq!(refused_at("[limits]\nbudget_fraction = 1.5\n"), "config file r.toml [limits]");
    }

    #[test]
    fn a_config_file_sets_what_it_names_and_keeps_the_rest() {
        let mut c = Config::default();
        let text = "listen = \"0.0.0.0:9000\"\negress = [\"192.0.2.1\", \"192.0.2.2\"]\nhot_path = false\n\
                    failover_relays = [\"https://relay2.example.org/\"]\n[upstreams]\nbitget = \"http://127.0.0.1:9\"\n";
        c.apply_toml("r.toml", text).unwrap();
        assert_eq!(c.listen, SocketAddr::from(([0, 0, 0, 0], 9000)));
        assert_eq!(c.egress, vec![IpAddr::from([192, 0, 2, 1]), IpAddr::from([192, 0, 2, 2])]);
        assert!(!c.hot_path);
        assert_eq!(c.failover_relays.len(), 1);
        assert_eq!(c.upstreams[&Host::Bitget], Upstream::parse("http://127.0.0.1:9").unwrap());
        // what the file does not name stays as it was
        let default = Config::default();
        assert_eq!(c.upstreams[&Host::BinanceSpot], default.upstreams[&Host::BinanceSpot]);
        assert_eq!((c.metrics_listen, c.ips_valid_days, c.tls), (default.metrics_listen, default.ips_valid_days, None));
    }
}
