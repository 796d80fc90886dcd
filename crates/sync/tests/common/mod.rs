//! Shared by the sync's tests and benches against the simulated venues: the sandbox behind an in-process relay, the
//! sandbox's keys as venue credentials, the connect check as the app runs it, and scratch directories. Each test
//! file uses its part (`#[path]`-included by the examples too).
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;

use catalogue::{Host, Venue};
use relay::{Config, Relay};
use simvenues::keys::{DemoKey, Venue as SimVenue};
use simvenues::sandbox::Sandbox;
use venues::{Client, ConnectError, ConnectPolicy, ConnectReport, Credentials, Secret, Transport};

/// A transport straight to the sandbox's hosts (no relay), with a ten-second timeout per request.
pub fn straight_to(sandbox: &Sandbox) -> sync_engine::native::HttpTransport {
    let route = sync_engine::native::Route::Direct(std::collections::BTreeMap::from([
        (Host::BinanceSpot, sandbox.binance_spot_url().to_string()),
        (Host::BinanceFutures, sandbox.binance_futures_url().to_string()),
        (Host::BinanceCoinFutures, sandbox.binance_coin_futures_url().to_string()),
        (Host::Bitget, sandbox.bitget_url().to_string()),
    ]));
    sync_engine::native::HttpTransport::new(route, std::time::Duration::from_secs(10))
}

/// A relay serving in this process, in front of a sandbox; it stops when dropped.
pub struct RunningRelay {
    /// Its base URL (`http://127.0.0.1:port`).
    pub url: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// A relay configuration whose upstreams are `sandbox`'s venues, the rest the defaults.
pub fn relay_config(sandbox: &Sandbox) -> Config {
    let mut config = Config::default();
    for (host, url) in [
        (Host::BinanceSpot, sandbox.binance_spot_url()),
        (Host::BinanceFutures, sandbox.binance_futures_url()),
        (Host::BinanceCoinFutures, sandbox.binance_coin_futures_url()),
        (Host::Bitget, sandbox.bitget_url()),
    ] {
        config.upstreams.insert(host, relay::config::Upstream::parse(url).expect("a sandbox URL"));
    }
    config
}

/// Starts a relay in front of `sandbox`'s venues, its configuration adjusted by `adjust` (egress IPs, budgets).
pub async fn relay_for(sandbox: &Sandbox, adjust: impl FnOnce(&mut Config)) -> RunningRelay {
    let mut config = relay_config(sandbox);
    adjust(&mut config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the relay");
    let addr: SocketAddr = listener.local_addr().expect("the relay's address");
    let relay = Relay::new(config).expect("a relay");
    let router = relay::app(relay.clone());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(relay::serve(listener, relay, router, async move {
        let _ = stopped.await;
    }));
    RunningRelay { url: format!("http://{addr}"), _stop: stop }
}

/// A sandbox key as the venue client's credentials.
pub fn credentials(k: &DemoKey) -> Credentials {
    let venue = match k.venue {
        SimVenue::Binance => Venue::Binance,
        SimVenue::Bitget => Venue::Bitget,
    };
    let pass = (!k.passphrase.expose().is_empty()).then(|| Secret::new(k.passphrase.expose()));
    Credentials::new(venue, k.label.clone(), k.api_key.clone(), Secret::new(k.secret.expose()), pass)
}

/// The connect check, asked again up to eight times while the venue answers a retryable error (the sandbox's
/// injected faults outlast the check's own retries).
pub async fn connect_retrying<T: Transport>(t: &T, creds: &Credentials) -> Result<ConnectReport, ConnectError> {
    let client = Client::new(creds.clone());
    let mut r = venues::connect(t, &client, &ConnectPolicy::default()).await;
    for _ in 0..8 {
        match &r {
            Err(ConnectError::Venue(e)) if e.is_retryable() => {
                r = venues::connect(t, &client, &ConnectPolicy::default()).await;
            }
            _ => break,
        }
    }
    r
}

/// Whether the sandbox registered the key's account as a copy-trading one (docs/venues.md §1.17, §2.11): it is
/// synced as what it is.
pub fn copy_trading(k: &DemoKey) -> bool {
    k.account_kind == "copy-trading"
}

/// Whether a refused key is synced all the same: should the simulated Bitget not serve
/// `GET /api/v3/account/info` (docs/venues.md §2.4), a unified key's permissions cannot be read there and connect
/// refuses it (fail closed); its data is still synced so that the unified (v3) streams are tested end to end.
pub fn synced_despite(k: &DemoKey, e: &ConnectError) -> bool {
    k.account_kind == "unified" && e.to_string().contains("40404")
}

/// A scratch directory, removed when dropped.
pub struct Scratch(tempfile::TempDir);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        self.0.path()
    }
}

/// A fresh scratch directory whose name starts with `name`.
pub fn tmp(name: &str) -> Scratch {
    Scratch(tempfile::Builder::new().prefix(&format!("sync-{name}-")).tempdir().expect("a scratch directory"))
}
