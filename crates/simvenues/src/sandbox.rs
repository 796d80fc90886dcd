//! The sandbox: the generated world served by the three simulated servers (Binance spot, Binance USDⓈ-M futures,
//! Bitget) on loopback, with the demo keys, the ground truth and the breach log.
//!
//! ```no_run
//! # async fn demo() -> Result<(), simvenues::sandbox::SandboxError> {
//! use simvenues::sandbox::{Sandbox, SandboxConfig};
//! let sb = Sandbox::start(SandboxConfig { seed: 7, ..Default::default() }).await?;
//! let key = sb.key(simvenues::keys::Venue::Binance, "main").unwrap();
//! println!("{} {}", sb.binance_spot_url(), key.api_key);
//! assert!(sb.breaches().is_empty());
//! # Ok(()) }
//! ```

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::binance::{self, Binance, Host};
use crate::bitget::{self, Bitget};
use crate::breach::{Breach, BreachLog};
use crate::faults::FaultConfig;
use crate::generator::{Size, World};
use crate::http::now_ms;
use crate::keys::{DemoKey, Venue};
use crate::ratelimit::Limits;
use crate::stage::Stage;
use crate::truth::{self, AccountBalances};

/// How to start a sandbox.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Seed of the generated world.
    pub seed: u64,
    /// Size of the generated world.
    pub size: Size,
    /// Address to listen on (loopback).
    pub bind: IpAddr,
    /// Fixed ports: Binance spot at `p`, USDⓈ-M futures at `p + 1`, Bitget at `p + 2`, COIN-M futures at `p + 3`; ephemeral when `None`.
    pub port_base: Option<u16>,
    /// End of the generated history, ms (floored to the day); today when `None`.
    pub anchor_ms: Option<i64>,
    /// Fault injection.
    pub faults: FaultConfig,
    /// Rate limits.
    pub limits: Limits,
    /// Binance settings for UNCONFIRMED behaviours.
    pub binance: binance::Settings,
    /// Bitget settings for UNCONFIRMED behaviours.
    pub bitget: bitget::Settings,
    /// Where to append breaches as JSON Lines, besides memory.
    pub breach_file: Option<PathBuf>,
    /// Keys added to the generated ones (their labels must name generated accounts), e.g. a key with the secret of
    /// a documented signature example.
    pub extra_keys: Vec<DemoKey>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            seed: 1,
            size: Size::Small,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port_base: None,
            anchor_ms: None,
            faults: FaultConfig::default(),
            limits: Limits::default(),
            binance: binance::Settings::default(),
            bitget: bitget::Settings::default(),
            breach_file: None,
            extra_keys: Vec::new(),
        }
    }
}

/// Why a sandbox did not start.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// A port could not be bound.
    #[error("cannot listen on {addr}: {source}; choose another --port-base or free the port")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}; check that the directory is writable")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// A running sandbox. Dropping it stops the servers.
pub struct Sandbox {
    world: Arc<World>,
    stage: Arc<Stage>,
    urls: [String; 4],
    breaches: Arc<BreachLog>,
    stop: watch::Sender<bool>,
}

/// The `sandbox.json` manifest.
#[derive(Serialize)]
pub struct Manifest<'a> {
    /// Binance spot/SAPI base URL.
    pub binance_spot: &'a str,
    /// Binance USDⓈ-M futures base URL.
    pub binance_futures: &'a str,
    /// Binance COIN-M futures base URL.
    pub binance_coin_futures: &'a str,
    /// Bitget base URL.
    pub bitget: &'a str,
    /// Seed.
    pub seed: u64,
    /// Size.
    pub size: String,
    /// First and last day of history, ms.
    pub history: [i64; 2],
    /// Demo keys.
    pub keys: &'a [DemoKey],
}

async fn listen(addr: SocketAddr, router: Router, mut stop: watch::Receiver<bool>) -> Result<String, SandboxError> {
    let listener = TcpListener::bind(addr).await.map_err(|source| SandboxError::Bind { addr, source })?;
    let local = listener.local_addr().map_err(|source| SandboxError::Bind { addr, source })?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await;
    });
    Ok(format!("http://{local}"))
}

impl Sandbox {
    /// Generates the world and starts the four servers.
    pub async fn start(cfg: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let anchor = cfg.anchor_ms.unwrap_or_else(now_ms);
        let (seed, size) = (cfg.seed, cfg.size);
        let mut world =
            tokio::task::spawn_blocking(move || World::generate(seed, size, anchor)).await.expect("generator panicked");
        world.keys.extend(cfg.extra_keys.iter().cloned());
        Self::serve(Arc::new(world), cfg).await
    }

    /// Serves an already generated world.
    pub async fn serve(world: Arc<World>, cfg: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let breaches = Arc::new(BreachLog::with_file(cfg.breach_file.clone()));
        let stage = Arc::new(Stage::new(world.clone()));
        let bn = Arc::new(Binance::new(
            stage.clone(),
            cfg.binance.clone(),
            cfg.limits.clone(),
            breaches.clone(),
            cfg.faults.clone(),
        ));
        let bg = Arc::new(Bitget::new(
            stage.clone(),
            cfg.bitget.clone(),
            cfg.limits.clone(),
            breaches.clone(),
            cfg.faults.clone(),
        ));
        let (stop, rx) = watch::channel(false);
        let port = |i: u16| cfg.port_base.map(|p| p + i).unwrap_or(0);
        let spot = Router::new().fallback(binance::handler).with_state((bn.clone(), Host::Spot));
        let fut = Router::new().fallback(binance::handler).with_state((bn.clone(), Host::Futures));
        let coin = Router::new().fallback(binance::handler).with_state((bn, Host::CoinFutures));
        let bgr = Router::new().fallback(bitget::handler).with_state(bg);
        let u0 = listen(SocketAddr::new(cfg.bind, port(0)), spot, rx.clone()).await?;
        let u1 = listen(SocketAddr::new(cfg.bind, port(1)), fut, rx.clone()).await?;
        let u2 = listen(SocketAddr::new(cfg.bind, port(2)), bgr, rx.clone()).await?;
        let u3 = listen(SocketAddr::new(cfg.bind, port(3)), coin, rx).await?;
        Ok(Sandbox { world, stage, urls: [u0, u1, u2, u3], breaches, stop })
    }

    /// Binance spot and SAPI base URL (`http://127.0.0.1:port`).
    pub fn binance_spot_url(&self) -> &str {
        &self.urls[0]
    }
    /// Binance USDⓈ-M futures base URL.
    pub fn binance_futures_url(&self) -> &str {
        &self.urls[1]
    }
    /// Binance COIN-M futures base URL.
    pub fn binance_coin_futures_url(&self) -> &str {
        &self.urls[3]
    }
    /// Bitget base URL.
    pub fn bitget_url(&self) -> &str {
        &self.urls[2]
    }
    /// The generated world (the whole history, whatever [`Sandbox::set_as_of`] serves).
    pub fn world(&self) -> &World {
        &self.world
    }
    /// The world the venues serve now: the generated one, or the same as of an earlier time.
    pub fn served(&self) -> Arc<World> {
        self.stage.world()
    }
    /// Serves the world as its venues showed it at venue time `t` ([`crate::stage::as_of`]), with the venues' clock
    /// stopped at `t`: it moves on only by [`Sandbox::advance_clock`], so what the venues serve and what their clock
    /// says agree however long a client takes to read it (a clock running on past rows cut at `t` shows them late,
    /// which no venue does beyond the sync's settling minute). `None` serves the whole history on the system clock.
    pub fn set_as_of(&self, t: Option<i64>) {
        match t {
            Some(t) => self.stage.set(Arc::new(crate::stage::as_of(&self.world, t)), Some(t)),
            None => self.stage.set(self.world.clone(), None),
        }
    }
    /// The venues' clock now (ms): stopped where [`Sandbox::set_as_of`] set it and moved on since, or the system's.
    pub fn clock(&self) -> i64 {
        self.stage.clock(now_ms())
    }
    /// Moves a stopped venue clock `ms` on, the rows served staying as they are (a client waiting for a rate-limit
    /// window moves it: the wait is that much venue time); returns the venues' time.
    pub fn advance_clock(&self, ms: i64) -> i64 {
        self.stage.advance(ms, now_ms())
    }
    /// All demo keys.
    pub fn keys(&self) -> &[DemoKey] {
        &self.world.keys
    }
    /// The first key of `venue` with `label` (the HMAC one when a label has several).
    pub fn key(&self, venue: Venue, label: &str) -> Option<&DemoKey> {
        self.world.keys.iter().find(|k| k.venue == venue && k.label == label)
    }
    /// The ground-truth ledger of the world served now.
    pub fn truth_ledger(&self) -> Vec<ledger::Event> {
        truth::ledger(&self.stage.world())
    }
    /// The ground-truth balances (account -> asset -> amount) of the world served now.
    pub fn truth_balances(&self) -> AccountBalances {
        truth::balances(&self.stage.world())
    }
    /// The open Binance COIN-M positions of the world served now, with the unrealized PnL the venue reports.
    pub fn truth_coinm_positions(&self) -> Vec<truth::OpenPosition> {
        truth::coinm_positions(&self.stage.world())
    }
    /// Write requests that reached a venue.
    pub fn breaches(&self) -> Vec<Breach> {
        self.breaches.entries()
    }
    /// The manifest written to `sandbox.json`.
    pub fn manifest(&self) -> Manifest<'_> {
        Manifest {
            binance_spot: &self.urls[0],
            binance_futures: &self.urls[1],
            binance_coin_futures: &self.urls[3],
            bitget: &self.urls[2],
            seed: self.world.seed,
            size: format!("{:?}", self.world.size).to_lowercase(),
            history: [self.world.start, self.world.end],
            keys: &self.world.keys,
        }
    }
    /// Writes `dir/truth/ledger.jsonl`, `dir/truth/balances.json` and then `dir/sandbox.json` (last, so a waiter
    /// that sees it can read everything).
    pub fn write_dir(&self, dir: &Path) -> Result<(), SandboxError> {
        let w = |path: PathBuf| move |source| SandboxError::Write { path, source };
        truth::write(&self.world, &dir.join("truth")).map_err(w(dir.join("truth")))?;
        let path = dir.join("sandbox.json");
        let tmp = dir.join(".sandbox.json.tmp");
        let json =
            serde_json::to_vec_pretty(&self.manifest()).map_err(std::io::Error::other).map_err(w(tmp.clone()))?;
        std::fs::write(&tmp, json).map_err(w(tmp.clone()))?;
        std::fs::rename(&tmp, &path).map_err(w(path))?;
        Ok(())
    }
    /// Stops the servers.
    pub fn shutdown(&self) {
        let _ = self.stop.send(true);
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.shutdown();
    }
}
