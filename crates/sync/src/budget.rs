//! The weight budget: never more than `percent` (40 by default) of a venue's per-IP limit, from our own accounting
//! and the usage headers, and a cool-down after 429/418. The limits, windows and headers are the catalogue's
//! [`Limiter`]s.
//!
//! Through the relay a per-IP usage header is this client's own position against its fair share of the egress IP,
//! in the venue's units (docs/relay.md, "Used-weight headers"), not the IP's total: so `percent` of it is that
//! share of the client's own, and other clients of the relay (an abusive one included) do not make the sync hold
//! back. Straight to the venue it is the IP's figure (docs/sync.md).

use std::collections::{BTreeMap, VecDeque};

use catalogue::{CountedPer, Endpoint, Limiter};

/// Share of a per-account limit (Binance UID weight, Bitget per-UID rates) a sync may use, in percent.
pub const PER_ACCOUNT_PERCENT: u32 = 75;

/// What the budget meters: one of the catalogue's [`Limiter`]s, for one account when the venue counts it per
/// account, and for one endpoint when each endpoint has a limit of its own (Bitget).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Meter {
    /// The venue's limiter.
    pub limiter: Limiter,
    /// The account (`venue/label`), when the venue counts the limiter per account.
    pub account: Option<String>,
    /// The endpoint's path, when the limit is the endpoint's own.
    pub endpoint: Option<&'static str>,
}

impl Meter {
    /// The meter of a request to `endpoint` for `account`, with its limit per window and the window (ms).
    pub fn of(endpoint: &Endpoint, account: &str) -> (Meter, u32, i64) {
        let limiter = endpoint.limiter();
        let meter = Meter {
            limiter,
            account: (limiter.counted_per() == CountedPer::Account).then(|| account.to_string()),
            endpoint: limiter.shared_limit().is_none().then_some(endpoint.path),
        };
        (meter, endpoint.limit(), limiter.window_ms())
    }

    /// Its name in the statistics: the limiter's, then the account and the endpoint it is kept for
    /// (`binance_spot_ip`, `binance_sapi_uid:binance/main`, `bitget:bitget/main:/api/v2/spot/trade/fills`).
    pub fn name(&self) -> String {
        let mut name = self.limiter.as_str().to_string();
        for part in self.account.as_deref().into_iter().chain(self.endpoint) {
            name.push(':');
            name.push_str(part);
        }
        name
    }

    /// The usage header that reports this meter's use, if any.
    pub fn header(&self) -> Option<&'static str> {
        self.limiter.usage_header()
    }
}

#[derive(Clone, Debug, Default)]
struct Usage {
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
    meters: BTreeMap<Meter, Usage>,
    /// Fraction of each limit that may be used, in percent (50: never more than half).
    pub percent: u32,
}

impl Budget {
    /// A budget that uses at most `percent` % of each limit.
    pub fn new(percent: u32) -> Self {
        Budget { meters: BTreeMap::new(), percent }
    }

    /// How long to wait (ms) before sending `weight` more on `meter` at venue time `now`; 0 to send now.
    pub fn wait_ms(&mut self, meter: &Meter, limit: u32, window: i64, weight: u32, now: i64) -> i64 {
        // IP limits are shared with everyone behind the same relay IP: at most `percent`. A per-account limit
        // (Binance UID weight, Bitget's per-UID endpoint rates) is the account's own, so the sync may use more of
        // it, though less than the relay lets one key use (80 % of a Bitget rate by default).
        let per_account = meter.account.is_some();
        let percent = if per_account { self.percent.max(PER_ACCOUNT_PERCENT) } else { self.percent };
        let allowed = (limit as u64 * percent as u64 / 100) as u32;
        let m = self.meters.entry(meter.clone()).or_default();
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
    pub fn sent(&mut self, meter: &Meter, weight: u32, now: i64) {
        let m = self.meters.entry(meter.clone()).or_default();
        m.sent.push_back((now, weight));
        let own: u32 = m.sent.iter().map(|(_, w)| w).sum();
        m.peak = m.peak.max(own);
    }

    /// Records the usage a response header reported.
    pub fn reported(&mut self, meter: &Meter, used: u32, window: i64, now: i64) {
        let m = self.meters.entry(meter.clone()).or_default();
        m.reported = Some((now.div_euclid(window), used));
        m.peak = m.peak.max(used);
    }

    /// After a 429/418: no request on this meter for `ms`.
    pub fn cool_down(&mut self, meter: &Meter, ms: i64, now: i64) {
        let m = self.meters.entry(meter.clone()).or_default();
        m.cool_until = m.cool_until.max(now + ms);
    }

    /// The highest usage seen per meter.
    pub fn peaks(&self) -> Vec<(Meter, u32)> {
        self.meters.iter().map(|(l, m)| (l.clone(), m.peak)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meters_are_shared_per_ip_or_kept_per_account_and_endpoint() {
        use catalogue::*;
        let of = |e: &Endpoint, account: &str| {
            let (m, limit, window) = Meter::of(e, account);
            (m.name(), limit, window, m.header())
        };
        let mbx = Some("x-mbx-used-weight-1m");
        assert_eq!(of(&BINANCE_ACCOUNT, "binance/a"), ("binance_spot_ip".into(), 6_000, 60_000, mbx));
        let sapi_ip = ("binance_sapi_ip".into(), 12_000, 60_000, Some("x-sapi-used-ip-weight-1m"));
        assert_eq!(of(&BINANCE_DEPOSITS, "binance/a"), sapi_ip);
        let uid = ("binance_sapi_uid:binance/a".into(), 180_000, 60_000, Some("x-sapi-used-uid-weight-1m"));
        assert_eq!(of(&BINANCE_WITHDRAWALS, "binance/a"), uid);
        assert_eq!(of(&BINANCE_FUTURES_INCOME, "binance/a"), ("binance_futures_ip".into(), 2_400, 60_000, mbx));
        let fills = ("bitget:bitget/b:/api/v2/spot/trade/fills".into(), 10, 1_000, None);
        assert_eq!(of(&BITGET_SPOT_FILLS, "bitget/b"), fills);
        assert_ne!(Meter::of(&BITGET_SPOT_FILLS, "bitget/b").0, Meter::of(&BITGET_SPOT_FILLS, "bitget/c").0);
        assert_eq!(Meter::of(&BINANCE_ACCOUNT, "binance/a").0, Meter::of(&BINANCE_MY_TRADES, "binance/c").0);
    }

    #[test]
    fn never_more_than_half() {
        let mut b = Budget::new(50);
        // (the sync's default is 40 %: the relay gives one client address at most half of its 80 %)
        let (l, _, _) = Meter::of(&catalogue::BINANCE_ACCOUNT, "binance/main");
        assert_eq!(l.limiter, Limiter::BinanceSpotIp);
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
        let (l, _, _) = Meter::of(&catalogue::BINANCE_FUTURES_INCOME, "binance/main");
        assert_eq!(l.limiter, Limiter::BinanceFuturesIp);
        b.reported(&l, 1195, 60_000, 61_000);
        assert_eq!(b.wait_ms(&l, 2400, 60_000, 5, 61_500), 0);
        assert_eq!(b.wait_ms(&l, 2400, 60_000, 6, 61_500), 120_000 - 61_500);
        b.cool_down(&l, 30_000, 70_000);
        assert_eq!(b.wait_ms(&l, 2400, 60_000, 1, 80_000), 20_000);
    }
}
