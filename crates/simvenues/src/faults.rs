//! Fault injection by seed and rate: 5xx, 429, timeouts, connection resets, truncated bodies, slow responses.
//! Whether request number `n` of a server is faulted, and how, is a pure function of the seed and `n`.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use http_body::Frame;
use serde::{Deserialize, Serialize};

use crate::rng::mix;

/// A kind of fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// 503 with the venue's internal-error body.
    ServerError,
    /// 429 with the venue's rate-limit body (no weight consumed).
    TooManyRequests,
    /// No answer for `timeout_ms`, then 504.
    Timeout,
    /// Headers, then the connection drops.
    Reset,
    /// Half the body, then the connection drops.
    Truncated,
    /// A correct answer after `slow_ms`.
    Slow,
}

/// Fault settings. The default injects nothing.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FaultConfig {
    /// Seed of the fault sequence.
    pub seed: u64,
    /// Fraction of requests faulted, 0..=1.
    pub rate: f64,
    /// Kinds to draw from (all when empty).
    pub kinds: Vec<FaultKind>,
    /// Delay of a slow answer, ms.
    pub slow_ms: u64,
    /// How long a timeout hangs, ms.
    pub timeout_ms: u64,
}

impl Default for FaultConfig {
    fn default() -> Self {
        FaultConfig { seed: 0, rate: 0.0, kinds: Vec::new(), slow_ms: 1500, timeout_ms: 30_000 }
    }
}

const ALL: [FaultKind; 6] = [
    FaultKind::ServerError,
    FaultKind::TooManyRequests,
    FaultKind::Timeout,
    FaultKind::Reset,
    FaultKind::Truncated,
    FaultKind::Slow,
];

/// Draws faults for one server.
#[derive(Debug)]
pub struct Faults {
    cfg: FaultConfig,
    salt: u64,
    counter: AtomicU64,
}

impl Faults {
    /// Faults of one server (`salt` distinguishes the servers).
    pub fn new(cfg: FaultConfig, salt: u64) -> Self {
        Faults { cfg, salt, counter: AtomicU64::new(0) }
    }
    /// The settings.
    pub fn config(&self) -> &FaultConfig {
        &self.cfg
    }
    /// The fault for the next request, if any.
    pub fn draw(&self) -> Option<FaultKind> {
        if self.cfg.rate <= 0.0 {
            return None;
        }
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let h = mix(self.cfg.seed, self.salt, n);
        let threshold = (self.cfg.rate.clamp(0.0, 1.0) * u32::MAX as f64) as u64;
        if (h & 0xFFFF_FFFF) > threshold {
            return None;
        }
        let kinds: &[FaultKind] = if self.cfg.kinds.is_empty() { &ALL } else { &self.cfg.kinds };
        Some(kinds[((h >> 32) % kinds.len() as u64) as usize])
    }
    /// Sleeps for a slow answer.
    pub async fn slow(&self) {
        tokio::time::sleep(Duration::from_millis(self.cfg.slow_ms)).await;
    }
    /// Sleeps for a timeout.
    pub async fn hang(&self) {
        tokio::time::sleep(Duration::from_millis(self.cfg.timeout_ms)).await;
    }
}

/// A body that yields `data`, pauses so the server flushes it, then fails, so the server drops the connection
/// mid-body. The pause starts once the data is handed over (the server flushes while the body is pending), never
/// earlier: a server that a busy machine polls late still gets its pause.
pub struct BrokenBody {
    data: Option<Bytes>,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl http_body::Body for BrokenBody {
    type Data = Bytes;
    type Error = std::io::Error;
    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Some(d) = self.data.take() {
            return Poll::Ready(Some(Ok(Frame::data(d))));
        }
        let pause = self.pause.get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::from_millis(50))));
        match pause.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => {
                Poll::Ready(Some(Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "injected fault"))))
            }
        }
    }
}

/// A body that sends the first half of `full` (or nothing) and then drops the connection.
pub fn broken_body(full: &[u8], keep_half: bool) -> Body {
    let data = if keep_half { Bytes::copy_from_slice(&full[..full.len() / 2]) } else { Bytes::new() };
    Body::new(BrokenBody { data: Some(data), pause: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_is_respected_and_sequence_is_deterministic() {
        let cfg = FaultConfig { seed: 5, rate: 0.2, ..Default::default() };
        let a = Faults::new(cfg.clone(), 1);
        let b = Faults::new(cfg, 1);
        let da: Vec<_> = (0..5000).map(|_| a.draw()).collect();
        let db: Vec<_> = (0..5000).map(|_| b.draw()).collect();
        assert_eq!(da, db);
        let n = da.iter().filter(|d| d.is_some()).count();
        assert!((800..1200).contains(&n), "{n} faults of 5000 at rate 0.2");
        assert!(Faults::new(FaultConfig::default(), 1).draw().is_none());
    }
}
