//! Rate limits as the venues count them: Binance request weight per client IP per minute (separately for `/api`,
//! `/fapi`, SAPI IP and SAPI UID weights: the catalogue's [`Limiter`]s), 429 past the limit, then 418 with an
//! escalating ban for clients that keep going; Bitget request counts per UID per endpoint per second, 429 past the
//! limit.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use catalogue::Limiter;
use serde::{Deserialize, Serialize};

/// Limits; the defaults are the venues' documented ones (the catalogue's).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Limits {
    /// Binance `/api/*` REQUEST_WEIGHT per minute per IP (6000).
    pub binance_api_weight: u32,
    /// Binance `/fapi/*` REQUEST_WEIGHT per minute per IP (2400).
    pub binance_fapi_weight: u32,
    /// Binance SAPI IP weight per minute (12000).
    pub binance_sapi_ip_weight: u32,
    /// Binance SAPI UID weight per minute (180000).
    pub binance_sapi_uid_weight: u32,
    /// Requests answered 429 in one minute after which the IP is banned (418).
    pub binance_429s_before_ban: u32,
    /// First ban, seconds (Binance: 2 minutes), doubling per ban up to `binance_ban_max_secs`.
    pub binance_ban_secs: u64,
    /// Longest ban (3 days).
    pub binance_ban_max_secs: u64,
    /// Multiplier applied to Bitget's per-endpoint per-UID limits (1 = documented).
    pub bitget_limit_factor: u32,
    /// Bitget's overall limit, requests per IP per minute (6000).
    pub bitget_ip_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            binance_api_weight: documented(Limiter::BinanceSpotIp),
            binance_fapi_weight: documented(Limiter::BinanceFuturesIp),
            binance_sapi_ip_weight: documented(Limiter::BinanceSapiIp),
            binance_sapi_uid_weight: documented(Limiter::BinanceSapiUid),
            binance_429s_before_ban: 10,
            binance_ban_secs: 120,
            binance_ban_max_secs: 3 * 86_400,
            bitget_limit_factor: 1,
            bitget_ip_per_minute: 6000,
        }
    }
}

fn documented(l: Limiter) -> u32 {
    l.shared_limit().unwrap_or(0)
}

/// The response header reporting a Binance weight counter.
pub fn usage_header(l: Limiter) -> &'static str {
    l.usage_header().expect("every Binance weight limiter has a usage header")
}

#[derive(Debug, Default)]
struct Ban {
    until: i64,
    bans: u32,
    strikes_minute: i64,
    strikes: u32,
}

/// The outcome of counting one request.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Within the limit; the counter's value after this request.
    Ok(u32),
    /// Over the limit: 429, retry after seconds; the counter's value.
    TooMany {
        /// Counter after this request.
        used: u32,
        /// The limit.
        limit: u32,
        /// Seconds until the window resets.
        retry_after: u64,
    },
    /// Banned: 418 until the given time (ms).
    Banned {
        /// End of the ban, ms.
        until: i64,
    },
}

/// Binance weight counters.
#[derive(Debug, Default)]
pub struct BinanceWeights {
    windows: Mutex<HashMap<(Limiter, String), (i64, u32)>>,
    bans: Mutex<HashMap<IpAddr, Ban>>,
}

impl BinanceWeights {
    /// Counts `weight` for `who` (an IP or a uid) on the Binance weight `limiter` at `now`; bans apply per IP.
    pub fn count(&self, limits: &Limits, limiter: Limiter, ip: IpAddr, who: &str, weight: u32, now: i64) -> Verdict {
        let minute = now / 60_000;
        let mut bans = self.bans.lock().unwrap_or_else(|e| e.into_inner());
        let ban = bans.entry(ip).or_default();
        if ban.until > now {
            return Verdict::Banned { until: ban.until };
        }
        let limit = match limiter {
            Limiter::BinanceSpotIp => limits.binance_api_weight,
            Limiter::BinanceFuturesIp => limits.binance_fapi_weight,
            Limiter::BinanceSapiIp => limits.binance_sapi_ip_weight,
            Limiter::BinanceSapiUid => limits.binance_sapi_uid_weight,
            other => documented(other),
        };
        let mut w = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let e = w.entry((limiter, who.to_string())).or_insert((minute, 0));
        if e.0 != minute {
            *e = (minute, 0);
        }
        e.1 = e.1.saturating_add(weight);
        let used = e.1;
        if used <= limit {
            return Verdict::Ok(used);
        }
        if ban.strikes_minute != minute {
            ban.strikes_minute = minute;
            ban.strikes = 0;
        }
        ban.strikes += 1;
        if ban.strikes > limits.binance_429s_before_ban {
            let secs =
                limits.binance_ban_secs.saturating_mul(1u64 << ban.bans.min(20)).min(limits.binance_ban_max_secs);
            ban.bans += 1;
            ban.strikes = 0;
            ban.until = now + secs as i64 * 1000;
            return Verdict::Banned { until: ban.until };
        }
        Verdict::TooMany { used, limit, retry_after: (60 - (now / 1000) % 60) as u64 }
    }

    /// The current value of a counter (0 if unused this minute).
    pub fn used(&self, limiter: Limiter, who: &str, now: i64) -> u32 {
        let w = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        match w.get(&(limiter, who.to_string())) {
            Some((m, u)) if *m == now / 60_000 => *u,
            _ => 0,
        }
    }
}

/// Bitget per-second counters per (uid or IP, endpoint).
#[derive(Debug, Default)]
pub struct BitgetCounters {
    windows: Mutex<HashMap<(String, String), (i64, u32)>>,
}

impl BitgetCounters {
    /// Counts one request; false when over `per_sec`.
    pub fn allow(&self, who: &str, path: &str, per_sec: u32, now: i64) -> bool {
        let sec = now / 1000;
        let mut w = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let e = w.entry((who.to_string(), path.to_string())).or_insert((sec, 0));
        if e.0 != sec {
            *e = (sec, 0);
        }
        e.1 += 1;
        e.1 <= per_sec
    }

    /// Counts one request against the overall per-IP per-minute limit; false when over it.
    pub fn allow_ip(&self, ip: &str, per_minute: u32, now: i64) -> bool {
        let minute = now / 60_000;
        let mut w = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let e = w.entry((ip.to_string(), "*minute".to_string())).or_insert((minute, 0));
        if e.0 != minute {
            *e = (minute, 0);
        }
        e.1 += 1;
        e.1 <= per_minute
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_then_429_then_escalating_418() {
        let limits = Limits { binance_api_weight: 100, binance_429s_before_ban: 2, ..Default::default() };
        let w = BinanceWeights::default();
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let t = 1_000_000_020_000;
        for i in 1..=5 {
            assert_eq!(w.count(&limits, Limiter::BinanceSpotIp, ip, "127.0.0.1", 20, t), Verdict::Ok(20 * i));
        }
        assert!(matches!(
            w.count(&limits, Limiter::BinanceSpotIp, ip, "127.0.0.1", 20, t),
            Verdict::TooMany { used: 120, limit: 100, .. }
        ));
        assert!(matches!(w.count(&limits, Limiter::BinanceSpotIp, ip, "127.0.0.1", 20, t), Verdict::TooMany { .. }));
        let Verdict::Banned { until } = w.count(&limits, Limiter::BinanceSpotIp, ip, "127.0.0.1", 20, t) else {
            panic!()
        };
        assert_eq!(until, t + 120_000);
        // another IP is not affected
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        assert_eq!(w.count(&limits, Limiter::BinanceSpotIp, other, "127.0.0.2", 20, t), Verdict::Ok(20));
        // after the ban, the next ban is twice as long
        let t2 = until + 1;
        for _ in 0..5 {
            w.count(&limits, Limiter::BinanceSpotIp, ip, "127.0.0.1", 20, t2);
        }
        for _ in 0..2 {
            assert!(matches!(
                w.count(&limits, Limiter::BinanceSpotIp, ip, "127.0.0.1", 20, t2),
                Verdict::TooMany { .. }
            ));
        }
        let Verdict::Banned { until: u2 } = w.count(&limits, Limiter::BinanceSpotIp, ip, "127.0.0.1", 20, t2) else {
            panic!()
        };
        assert_eq!(u2, t2 + 240_000);
    }
}
