//! The one retry policy of every venue call (the sync's reads and the key check at connect): which failed requests
//! are tried again, how often, and how long to wait first.
//!
//! The rules:
//! - Only errors that may succeed next time are retried ([`VenueError::is_retryable`]: transport failures, 429/418,
//!   5xx, a cut or malformed body, a clock-skew refusal); anything else is returned at once.
//! - At most `max_attempts` attempts in all (the first one included); the last error is then returned.
//! - Before retry `n` (1, 2, …) the wait is `first_delay_ms × 2ⁿ`, doubling at most six times and never over 5 s.
//! - A rate limit (429/418) waits what the venue said in `Retry-After`; without it, the back-off but at least 1 s,
//!   since the venue asked to slow down. The caller decides where that wait goes: a request through the weight
//!   budget pauses the budget's limiter (so every request on it waits), a request outside the budget sleeps.

use crate::VenueError;

/// Longest wait between two attempts, unless the venue asks for longer with `Retry-After`.
pub const MAX_DELAY_MS: u64 = 5_000;
/// Shortest wait after a rate limit that named no `Retry-After`.
pub const MIN_RATE_LIMIT_DELAY_MS: u64 = 1_000;

/// How many attempts a request gets and how the wait between them grows (see the module's rules).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 means never retry).
    pub max_attempts: u32,
    /// The wait before the first retry, doubled for each further one.
    pub first_delay_ms: u64,
}

/// What to do before the next attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// The venue rate-limited the request: hold requests of its limiter for this many ms.
    RateLimited(u64),
    /// Any other retryable failure: wait this many ms.
    After(u64),
}

impl Retry {
    /// The wait in ms, whatever its reason.
    pub fn ms(self) -> u64 {
        match self {
            Retry::RateLimited(ms) | Retry::After(ms) => ms,
        }
    }
}

impl RetryPolicy {
    /// Whether and how to retry after `failed` attempts (1 after the first) ended with `error`: `None` gives up.
    pub fn after(&self, failed: u32, error: &VenueError) -> Option<Retry> {
        if !error.is_retryable() || failed >= self.max_attempts {
            return None;
        }
        let backoff = self.backoff_ms(failed);
        Some(match error {
            VenueError::RateLimited { retry_after_ms, .. } => {
                Retry::RateLimited(retry_after_ms.unwrap_or(backoff.max(MIN_RATE_LIMIT_DELAY_MS)))
            }
            _ => Retry::After(backoff),
        })
    }

    /// The back-off before retry number `retry` (1 for the first), without a venue's `Retry-After`.
    pub fn backoff_ms(&self, retry: u32) -> u64 {
        (self.first_delay_ms << retry.min(6)).min(MAX_DELAY_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use catalogue::Venue;

    const POLICY: RetryPolicy = RetryPolicy { max_attempts: 4, first_delay_ms: 100 };

    fn server() -> VenueError {
        VenueError::Server { venue: Venue::Binance, endpoint: "/api/v3/myTrades", status: 503 }
    }

    fn limited(retry_after_ms: Option<u64>) -> VenueError {
        VenueError::RateLimited { venue: Venue::Binance, endpoint: "/api/v3/myTrades", status: 429, retry_after_ms }
    }

    #[test]
    fn the_wait_doubles_per_retry_up_to_five_seconds() {
        let waits: Vec<u64> = (1..=8).map(|n| POLICY.backoff_ms(n)).collect();
        assert_eq!(waits, [200, 400, 800, 1_600, 3_200, 5_000, 5_000, 5_000]);
        let slow = RetryPolicy { max_attempts: 4, first_delay_ms: 4_000 };
        assert_eq!(slow.backoff_ms(1), MAX_DELAY_MS);
    }

    #[test]
    fn gives_up_after_max_attempts() {
        assert_eq!(POLICY.after(1, &server()), Some(Retry::After(200)));
        assert_eq!(POLICY.after(3, &server()), Some(Retry::After(800)));
        assert_eq!(POLICY.after(4, &server()), None);
        let once = RetryPolicy { max_attempts: 1, ..POLICY };
        assert_eq!(once.after(1, &server()), None);
    }

    #[test]
    fn an_error_that_would_fail_again_is_not_retried() {
        let key = VenueError::Key(crate::sign::KeyError::BadEd25519Pem);
        assert!(!key.is_retryable());
        assert_eq!(POLICY.after(1, &key), None);
    }

    #[test]
    fn a_rate_limit_waits_what_the_venue_said_or_at_least_a_second() {
        assert_eq!(POLICY.after(1, &limited(Some(30_000))), Some(Retry::RateLimited(30_000)));
        assert_eq!(POLICY.after(1, &limited(None)), Some(Retry::RateLimited(MIN_RATE_LIMIT_DELAY_MS)));
        assert_eq!(POLICY.after(3, &limited(None)).map(Retry::ms), Some(MIN_RATE_LIMIT_DELAY_MS));
        assert_eq!(POLICY.after(1, &server()).map(Retry::ms), Some(200));
    }
}
