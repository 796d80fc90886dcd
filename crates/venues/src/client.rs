//! A venue client for one key: builds, signs and sends catalogue requests through a [`Transport`], keeping the
//! clock offset to the venue's server time so that timestamps are accepted whatever the local clock says.

use std::sync::atomic::{AtomicI64, Ordering};

use catalogue::{BINANCE_TIME, BITGET_TIME, Endpoint, Venue};
use serde_json::Value;

use crate::error::{ApiProblem, VenueError};
use crate::request::{self, Request};
use crate::secret::Credentials;
use crate::transport::{Response, Transport, decode};

/// A successful answer: the payload and the response headers (for weight accounting).
#[derive(Clone, Debug)]
pub struct Reply {
    /// Binance's JSON body, or Bitget's `data`.
    pub data: Value,
    /// Response headers, lower-case names.
    pub headers: Vec<(String, String)>,
    /// The request's weight per the catalogue (Binance; 0 for Bitget).
    pub weight: u32,
}

impl Reply {
    /// A numeric header (`x-mbx-used-weight-1m`).
    pub fn header_u32(&self, name: &str) -> Option<u32> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).and_then(|(_, v)| v.trim().parse().ok())
    }
}

/// The server-time endpoint of a venue.
pub fn time_endpoint(venue: Venue) -> &'static Endpoint {
    match venue {
        Venue::Binance => &BINANCE_TIME,
        Venue::Bitget => &BITGET_TIME,
    }
}

/// A client for one key.
#[derive(Debug)]
pub struct Client {
    credentials: Credentials,
    /// Venue time minus local time, ms.
    offset_ms: AtomicI64,
}

impl Client {
    /// A client with no clock offset yet (call [`Client::sync_clock`]).
    pub fn new(credentials: Credentials) -> Self {
        Client { credentials, offset_ms: AtomicI64::new(0) }
    }

    /// The key.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The venue.
    pub fn venue(&self) -> Venue {
        self.credentials.venue
    }

    /// Venue time minus local time, as last measured.
    pub fn clock_offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    /// Sets the clock offset (restored from saved state).
    pub fn set_clock_offset_ms(&self, offset: i64) {
        self.offset_ms.store(offset, Ordering::Relaxed);
    }

    /// Measures the offset to the venue's server time (midpoint of the round trip) and keeps it.
    pub async fn sync_clock<T: Transport>(&self, transport: &T) -> Result<i64, VenueError> {
        let venue = self.venue();
        let req = request::public(time_endpoint(venue), &[]);
        let before = transport.now_ms();
        let resp = send(transport, &req).await?;
        let after = transport.now_ms();
        let data = decode(venue, req.endpoint.path, &resp)?;
        let server = match venue {
            Venue::Binance => data.get("serverTime").and_then(Value::as_i64),
            Venue::Bitget => {
                data.get("serverTime").and_then(|v| v.as_str().and_then(|s| s.parse().ok()).or(v.as_i64()))
            }
        }
        .ok_or_else(|| VenueError::malformed(venue, req.endpoint.path, "no serverTime"))?;
        let offset = server - (before + after) / 2;
        self.set_clock_offset_ms(offset);
        Ok(offset)
    }

    /// Builds (and signs, at venue time) the request to `endpoint` with `params`.
    pub fn request<T: Transport>(
        &self,
        transport: &T,
        endpoint: &'static Endpoint,
        params: &[(&str, String)],
    ) -> Result<Request, VenueError> {
        request::build(&self.credentials, endpoint, params, transport.now_ms() + self.clock_offset_ms())
    }

    /// Sends one request to `endpoint`; a clock-skew refusal re-measures the clock and retries once.
    pub async fn call<T: Transport>(
        &self,
        transport: &T,
        endpoint: &'static Endpoint,
        params: &[(&str, String)],
    ) -> Result<Reply, VenueError> {
        let mut resynced = false;
        loop {
            let req = self.request(transport, endpoint, params)?;
            let resp = send(transport, &req).await?;
            match decode(self.venue(), req.endpoint.path, &resp) {
                Ok(data) => return Ok(Reply { data, headers: resp.headers, weight: req.weight() }),
                Err(e) if e.problem() == Some(ApiProblem::ClockSkew) && !resynced => {
                    resynced = true;
                    self.sync_clock(transport).await?;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

async fn send<T: Transport>(transport: &T, req: &Request) -> Result<Response, VenueError> {
    transport.send(req).await.map_err(|e| VenueError::Transport {
        venue: req.endpoint.venue,
        endpoint: req.endpoint.path,
        detail: e.0,
    })
}
