//! The weight budget: never more than half of a venue's per-IP limit, from our own accounting and the venue's (or
//! relay's) usage headers, and a cool-down after 429/418.

use std::collections::{BTreeMap, VecDeque};

use catalogue::{Cost, Endpoint, Host};

/// Share of a per-account limit (Binance UID weight, Bitget per-UID rates) a sync may use, in percent.
pub const PER_ACCOUNT_PERCENT: u32 = 75;

/// A rate limiter a request draws from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Limiter {
    /// Binance `/api/*` request weight per IP (6000/min).
    BinanceSpotIp,
    /// Binance `/sapi/*` IP weight (12000/min).
    BinanceSapiIp,
    /// Binance `/sapi/*` UID weight (180000/min), per account.
    BinanceSapiUid(String),
    /// Binance `/fapi/*` request weight per IP (2400/min).
    BinanceFuturesIp,
    /// Bitget: one endpoint's per-second limit, per account for signed endpoints.
    BitgetEndpoint(&'static str, String),
}

impl Limiter {
    /// The limiter of a request to `endpoint` for `account`, and the per-window limit and window (ms).
    pub fn of(endpoint: &Endpoint, account: &str) -> (Limiter, u32, i64) {
        match (endpoint.cost, endpoint.host) {
            (Cost::BinanceUid(_), _) => (Limiter::BinanceSapiUid(account.to_string()), 180_000, 60_000),
            (Cost::BinanceIp(_), Host::BinanceFutures) => (Limiter::BinanceFuturesIp, 2_400, 60_000),
            (Cost::BinanceIp(_), _) if endpoint.path.starts_with("/sapi/") => (Limiter::BinanceSapiIp, 12_000, 60_000),
            (Cost::BinanceIp(_), _) => (Limiter::BinanceSpotIp, 6_000, 60_000),
            (Cost::BitgetPerSecond(n), _) => (Limiter::BitgetEndpoint(endpoint.path, account.to_string()), n, 1_000),
        }
    }

    /// The usage header that reports this limiter's use, if any.
    pub fn header(&self) -> Option<&'static str> {
        match self {
            Limiter::BinanceSpotIp | Limiter::BinanceFuturesIp => Some("x-mbx-used-weight-1m"),
            Limiter::BinanceSapiIp => Some("x-sapi-used-ip-weight-1m"),
            Limiter::BinanceSapiUid(_) => Some("x-sapi-used-uid-weight-1m"),
            Limiter::BitgetEndpoint(..) => None,
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Meter {
    /// (venue time ms, weight) of our requests in the current window.
    sent: VecDeque<(i64, u32)>,
    /// Last usage the venue reported, and the window it belongs to.
    reported: Option<(i64, u32)>,
    /// No request before this venue time (429/418 cool-down).
    cool_until: i64,
    /// Highest usage seen (own accounting or header) in any window.
    peak: u32,
}

/// Per-limiter accounting.
#[derive(Clone, Debug, Default)]
pub struct Budget {
    meters: BTreeMap<Limiter, Meter>,
    /// Fraction of each limit that may be used, in percent (50: never more than half).
    pub percent: u32,
}

impl Budget {
    /// A budget that uses at most `percent` % of each limit.
    pub fn new(percent: u32) -> Self {
        Budget { meters: BTreeMap::new(), percent }
    }

    /// How long to wait (ms) before sending `weight` more on `limiter` at venue time `now`; 0 to send now.
    pub fn wait_ms(&mut self, limiter: &Limiter, limit: u32, window: i64, weight: u32, now: i64) -> i64 {
        // IP limits are shared with everyone behind the same relay IP: at most `percent`. A per-account limit
        // (Binance UID weight, Bitget's per-UID endpoint rates) is the account's own, so the sync may use more of
        // it, though less than the relay lets one key use (80 % of a Bitget rate by default).
        let per_account = matches!(limiter, Limiter::BinanceSapiUid(_) | Limiter::BitgetEndpoint(..));
        let percent = if per_account { self.percent.max(PER_ACCOUNT_PERCENT) } else { self.percent };
        let allowed = (limit as u64 * percent as u64 / 100) as u32;
        let m = self.meters.entry(limiter.clone()).or_default();
        if m.cool_until > now {
            return m.cool_until - now;
        }
        while m.sent.front().is_some_and(|(t, _)| *t <= now - window) {
            m.sent.pop_front();
        }
        let own: u32 = m.sent.iter().map(|(_, w)| w).sum();
        // a reported value counts for the calendar window it was reported in
        let reported = match m.reported {
            Some((w, used)) if w == now.div_euclid(window) => used,
            _ => 0,
        };
        let used = own.max(reported);
        // a single request heavier than the allowance (withdrawal history: 18000 UID weight) goes alone
        if used == 0 || used + weight <= allowed {
            return 0;
        }
        let own_free_at = m.sent.front().map(|(t, _)| t + window).unwrap_or(now);
        let window_end = (now.div_euclid(window) + 1) * window;
        let wait_own = if own + weight > allowed { own_free_at - now } else { 0 };
        let wait_reported = if reported + weight > allowed { window_end - now } else { 0 };
        wait_own.max(wait_reported).max(1)
    }

    /// Records a request just sent.
    pub fn sent(&mut self, limiter: &Limiter, weight: u32, now: i64) {
        let m = self.meters.entry(limiter.clone()).or_default();
        m.sent.push_back((now, weight));
        let own: u32 = m.sent.iter().map(|(_, w)| w).sum();
        m.peak = m.peak.max(own);
    }

    /// Records the usage a response header reported.
    pub fn reported(&mut self, limiter: &Limiter, used: u32, window: i64, now: i64) {
        let m = self.meters.entry(limiter.clone()).or_default();
        m.reported = Some((now.div_euclid(window), used));
        m.peak = m.peak.max(used);
    }

    /// After a 429/418: no request on this limiter for `ms`.
    pub fn cool_down(&mut self, limiter: &Limiter, ms: i64, now: i64) {
        let m = self.meters.entry(limiter.clone()).or_default();
        m.cool_until = m.cool_until.max(now + ms);
    }

    /// The highest usage seen per limiter.
    pub fn peaks(&self) -> Vec<(Limiter, u32)> {
        self.meters.iter().map(|(l, m)| (l.clone(), m.peak)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_more_than_half() {
        let mut b = Budget::new(50);
        // (the sync's default is 40 %: the relay gives one key at most half of its 80 %)
        let l = Limiter::BinanceSpotIp;
        let mut t = 0;
        let mut sent = 0;
        // 200 requests of weight 20 in a burst: at most 3000 per 60 s may go
        for _ in 0..200 {
            let w = b.wait_ms(&l, 6000, 60_000, 20, t);
            t += w;
            b.sent(&l, 20, t);
            sent += 1;
            let in_window: u32 = b.meters[&l].sent.iter().filter(|(s, _)| *s > t - 60_000).map(|(_, w)| w).sum();
            assert!(in_window <= 3000, "{in_window} after {sent}");
        }
        assert!(t >= 60_000, "200 x 20 weight cannot fit in one minute at half the limit: t = {t}");
    }

    #[test]
    fn reported_usage_and_cool_down_delay_requests() {
        let mut b = Budget::new(50);
        let l = Limiter::BinanceFuturesIp;
        b.reported(&l, 1195, 60_000, 61_000);
        assert_eq!(b.wait_ms(&l, 2400, 60_000, 5, 61_500), 0);
        assert_eq!(b.wait_ms(&l, 2400, 60_000, 6, 61_500), 120_000 - 61_500);
        b.cool_down(&l, 30_000, 70_000);
        assert_eq!(b.wait_ms(&l, 2400, 60_000, 1, 80_000), 20_000);
    }
}
