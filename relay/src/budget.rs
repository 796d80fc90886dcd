//! The weight budget: per egress IP and venue limiter, track the venue's used weight, stop before its limit, back
//! off after a 429/418, and share capacity fairly between clients.
//!
//! The limits are the catalogue's [`Limiter`]s. Binance counts request weight per IP in clock-minute windows
//! (`X-MBX-USED-WEIGHT-1M` for `/api` and `/fapi`, `X-SAPI-USED-IP-WEIGHT-1M` for IP-weighted `/sapi`): the relay
//! keeps those windows per egress IP ([`shared_ip_limiter`]); UID-weighted SAPI endpoints are counted per account by
//! the venue and do not consume the IP's budget. Bitget limits each endpoint per second, per IP for public endpoints
//! and per account (here: per key) for signed ones. The relay lets itself use `budget_fraction` of each limit.
//!
//! Fairness: a client (a salted hash of its API key, or of its address for public reads) may use at most its fair
//! share of a window: the usable budget divided by the number of clients that asked in this window, and never more
//! than half of it, so one user's backfill cannot starve the rest: a user arriving late in the minute still finds
//! half of the window. Past its share a client is answered 429 with Retry-After until the next window.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Mutex;

pub use catalogue::Limiter;
use catalogue::{CountedPer, Endpoint, Host};

use crate::config::Limits;

/// Whether the relay keeps windows of a limiter per egress IP: a weight every endpoint shares, counted per IP
/// (Binance's `/api`, IP-weighted `/sapi` and `/fapi` weight).
fn is_shared_ip(l: Limiter) -> bool {
    l.counted_per() == CountedPer::Ip && l.shared_limit().is_some()
}

/// The limiter whose windows the relay keeps per egress IP that an endpoint draws from, if any (its usage header is
/// the one to read from the venue's answer).
pub fn shared_ip_limiter(e: &Endpoint) -> Option<Limiter> {
    Some(e.limiter()).filter(|l| is_shared_ip(*l))
}

/// Who a per-endpoint (Bitget) limit is kept for: the egress IP for what the venue counts per IP, the client (its
/// key) on any IP for what it counts per account.
fn per_endpoint_key(e: &Endpoint, egress: usize, client: u64) -> (usize, &'static str, u64) {
    match e.limiter().counted_per() {
        CountedPer::Ip => (egress, e.path, 0),
        CountedPer::Account => (usize::MAX, e.path, client),
    }
}

/// Why the budget refused a request, with the seconds to wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Denied {
    /// Stable code: `budget_exhausted`, `fair_share` or `venue_backoff`.
    pub code: &'static str,
    /// Seconds until a retry may succeed (at least 1).
    pub retry_after_s: u64,
}

impl Denied {
    /// What happened and what to do.
    pub fn message(&self) -> &'static str {
        match self.code {
            "venue_backoff" => "the venue asked this relay to back off (429/418); retry after Retry-After seconds",
            "fair_share" => {
                "this client used its fair share of the relay's venue budget; retry after Retry-After seconds"
            }
            _ => "the relay's venue weight budget for this minute is spent; retry after Retry-After seconds",
        }
    }
}

/// A request admitted by the budget; give it back with [`Budget::complete`].
#[derive(Clone, Copy, Debug)]
pub struct Ticket {
    /// Index of the egress IP to send from.
    pub egress: usize,
    limiter: Option<Limiter>,
    host: Host,
    weight: u32,
    client: u64,
    minute: u64,
}

/// A fast hasher for small integer keys. Client ids are salted SHA-256 outputs, so clients cannot aim collisions.
#[derive(Default, Clone, Copy)]
struct Fx(u64);

impl Fx {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(b));
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.add(n.into());
    }
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
    fn write_isize(&mut self, n: isize) {
        self.add(n as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

#[derive(Default)]
struct Window {
    /// The window's number (ms since the epoch / the limiter's window).
    minute: u64,
    used: u32,
    reserved: u32,
    clients: FxMap<u64, u32>,
}

#[derive(Default)]
struct State {
    windows: FxMap<(usize, Limiter), Window>,
    per_second: FxMap<(usize, &'static str, u64), (u64, u32)>,
    blocked_until_ms: FxMap<(usize, Host), u64>,
}

/// The budget of every egress IP.
pub struct Budget {
    egress_count: usize,
    fraction: f64,
    /// The limiters kept per egress IP, with their limit per window (configurable, the catalogue's by default).
    limits: Vec<(Limiter, u32)>,
    state: Mutex<State>,
}

/// Most distinct clients remembered per window (bounds memory under a flood of made-up keys).
const MAX_CLIENTS_PER_WINDOW: usize = 100_000;

fn window_ms(l: Limiter) -> u64 {
    l.window_ms() as u64
}

fn secs_until_next_window(l: Limiter, now_ms: u64) -> u64 {
    (window_ms(l) - now_ms % window_ms(l)).div_ceil(1000).max(1)
}

impl Budget {
    /// A budget for `egress_count` egress IPs (at least one pool).
    pub fn new(egress_count: usize, limits: &Limits) -> Budget {
        Budget {
            egress_count: egress_count.max(1),
            fraction: limits.budget_fraction,
            limits: Limiter::ALL
                .into_iter()
                .filter(|l| is_shared_ip(*l))
                .map(|l| (l, limits.shared_ip_limit(l)))
                .collect(),
            state: Mutex::new(State::default()),
        }
    }

    /// The venue's limit for a limiter per window (0 for a limiter the relay does not keep per egress IP).
    pub fn limit(&self, l: Limiter) -> u32 {
        self.limits.iter().find(|(x, _)| *x == l).map_or(0, |(_, n)| *n)
    }

    fn cap(&self, l: Limiter) -> u32 {
        ((self.limit(l) as f64) * self.fraction).floor() as u32
    }

    /// Admits a request of `weight` for `client` (a salted hash of its key or address) at `now_ms` (Unix ms), or
    /// says why not.
    pub fn admit(&self, e: &Endpoint, weight: u32, client: u64, now_ms: u64) -> Result<Ticket, Denied> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let limiter = shared_ip_limiter(e);
        let minute = limiter.map_or(0, |l| now_ms / window_ms(l));
        let second = now_ms / window_ms(e.limiter());
        let mut best: Option<(usize, u32)> = None;
        let mut denial: Option<Denied> = None;
        let mut deny = |d: Denied| {
            if denial.is_none_or(|old| d.retry_after_s < old.retry_after_s) {
                denial = Some(d);
            }
        };
        for egress in 0..self.egress_count {
            if let Some(&until) = st.blocked_until_ms.get(&(egress, e.host))
                && until > now_ms
            {
                deny(Denied { code: "venue_backoff", retry_after_s: (until - now_ms).div_ceil(1000).max(1) });
                continue;
            }
            let load = match limiter {
                Some(l) => {
                    let cap = self.cap(l);
                    let w = st.windows.entry((egress, l)).or_default();
                    if w.minute != minute {
                        *w = Window { minute, ..Window::default() };
                    }
                    let total = w.used + w.reserved;
                    if total + weight > cap {
                        deny(Denied { code: "budget_exhausted", retry_after_s: secs_until_next_window(l, now_ms) });
                        continue;
                    }
                    // Every client that asks in this window counts as active, admitted or not (bounded map).
                    if w.clients.len() < MAX_CLIENTS_PER_WINDOW {
                        w.clients.entry(client).or_insert(0);
                    }
                    let active = (w.clients.len() as u32).max(2);
                    let mine = w.clients.get(&client).copied().unwrap_or(0);
                    if mine + weight > cap / active {
                        deny(Denied { code: "fair_share", retry_after_s: secs_until_next_window(l, now_ms) });
                        continue;
                    }
                    total
                }
                None => match e.limiter().shared_limit() {
                    None => {
                        let cap = (((e.limit() as f64) * self.fraction).floor() as u32).max(1);
                        // Public endpoints are limited per IP; signed ones per account, whatever the IP.
                        let key = per_endpoint_key(e, egress, client);
                        let (sec, count) = st.per_second.get(&key).copied().unwrap_or((second, 0));
                        let count = if sec == second { count } else { 0 };
                        if count + 1 > cap {
                            deny(Denied { code: "budget_exhausted", retry_after_s: 1 });
                            continue;
                        }
                        count
                    }
                    Some(_) => 0,
                },
            };
            if best.is_none_or(|(_, l)| load < l) {
                best = Some((egress, load));
            }
        }
        let Some((egress, _)) = best else {
            return Err(denial.unwrap_or(Denied { code: "budget_exhausted", retry_after_s: 1 }));
        };
        match limiter {
            Some(l) => {
                let w = st.windows.entry((egress, l)).or_default();
                w.reserved += weight;
                *w.clients.entry(client).or_default() += weight;
            }
            None => {
                if e.limiter().shared_limit().is_none() {
                    if st.per_second.len() > 100_000 {
                        st.per_second.retain(|_, (s, _)| *s == second);
                    }
                    let key = per_endpoint_key(e, egress, client);
                    let slot = st.per_second.entry(key).or_insert((second, 0));
                    if slot.0 != second {
                        *slot = (second, 0);
                    }
                    slot.1 += 1;
                }
            }
        }
        Ok(Ticket { egress, limiter, host: e.host, weight, client, minute })
    }

    /// Gives back a ticket: the response status (None if the upstream failed), the venue's used-weight header and
    /// its Retry-After, at `now_ms`.
    pub fn complete(&self, t: Ticket, status: Option<u16>, used: Option<u32>, retry_after_s: Option<u64>, now_ms: u64) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(l) = t.limiter {
            let w = st.windows.entry((t.egress, l)).or_default();
            if w.minute == t.minute {
                w.reserved = w.reserved.saturating_sub(t.weight);
                w.used += t.weight;
            }
            if let Some(u) = used
                && w.minute == now_ms / window_ms(l)
            {
                w.used = w.used.max(u);
            }
            let _ = t.client;
        }
        if let Some(s @ (429 | 418)) = status {
            let wait = retry_after_s.unwrap_or(if s == 418 { 120 } else { 60 }).max(1);
            let until = now_ms + wait * 1000;
            let slot = st.blocked_until_ms.entry((t.egress, t.host)).or_insert(0);
            *slot = (*slot).max(until);
        }
    }

    /// The used weight of every (egress, limiter) in the current window, with the venue's limit (for metrics).
    pub fn snapshot(&self, now_ms: u64) -> Vec<(usize, Limiter, u32, u32)> {
        let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = Vec::new();
        for egress in 0..self.egress_count {
            for &(l, limit) in &self.limits {
                let window = now_ms / window_ms(l);
                let used = st.windows.get(&(egress, l)).filter(|w| w.minute == window).map_or(0, |w| w.used);
                out.push((egress, l, used, limit));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use catalogue::{Method, Venue, lookup};

    fn small() -> Budget {
        let limits = Limits { binance_spot_weight_per_minute: 100, budget_fraction: 1.0, ..Limits::default() };
        Budget::new(1, &limits)
    }

    #[test]
    fn keeps_windows_of_the_catalogues_per_ip_weights_only() {
        let b = Budget::new(2, &Limits::default());
        let kept: Vec<_> = b.snapshot(0).into_iter().map(|(i, l, used, limit)| (i, l.as_str(), used, limit)).collect();
        let one = |i| {
            [(i, "binance_spot_ip", 0, 6_000), (i, "binance_sapi_ip", 0, 12_000), (i, "binance_futures_ip", 0, 2_400)]
        };
        assert_eq!(kept, [one(0), one(1)].concat());
        assert_eq!(shared_ip_limiter(&catalogue::BINANCE_DEPOSITS), Some(Limiter::BinanceSapiIp));
        // the UID weight is the account's own, and Bitget limits each endpoint by the second
        assert_eq!(shared_ip_limiter(&catalogue::BINANCE_WITHDRAWALS), None);
        assert_eq!(shared_ip_limiter(&catalogue::BITGET_CANDLES), None);
    }

    #[test]
    fn stops_before_the_limit_and_resets_next_minute() {
        let b = small();
        let acct = lookup(Venue::Binance, Method::Get, "/api/v3/account").unwrap(); // weight 20
        let t0 = 60_000 * 1000;
        for i in 0..5 {
            let t = b.admit(acct, 20, 1 + i, t0).unwrap();
            b.complete(t, Some(200), None, None, t0);
        }
        let d = b.admit(acct, 20, 9, t0 + 500).unwrap_err();
        assert_eq!(d.code, "budget_exhausted");
        assert_eq!(d.retry_after_s, 60);
        assert!(b.admit(acct, 20, 2, t0 + 60_000).is_ok());
    }

    #[test]
    fn venue_header_raises_the_count_and_429_blocks() {
        let b = small();
        let time = lookup(Venue::Binance, Method::Get, "/api/v3/time").unwrap();
        let t0 = 60_000 * 2000;
        let t = b.admit(time, 1, 1, t0).unwrap();
        b.complete(t, Some(200), Some(100), None, t0);
        assert_eq!(b.admit(time, 1, 1, t0).unwrap_err().code, "budget_exhausted");
        let b = small();
        let t = b.admit(time, 1, 1, t0).unwrap();
        b.complete(t, Some(429), None, Some(7), t0);
        let d = b.admit(time, 1, 2, t0 + 1000).unwrap_err();
        assert_eq!((d.code, d.retry_after_s), ("venue_backoff", 6));
        assert!(b.admit(time, 1, 2, t0 + 7000).is_ok());
    }

    #[test]
    fn a_heavy_client_cannot_starve_a_light_one() {
        let b = small();
        let time = lookup(Venue::Binance, Method::Get, "/api/v3/time").unwrap();
        let t0 = 60_000 * 3000;
        let mut heavy = 0;
        // Client 1 alone gets half of the window (cap 100)...
        while let Ok(t) = b.admit(time, 1, 1, t0) {
            b.complete(t, Some(200), None, None, t0);
            heavy += 1;
        }
        assert_eq!(heavy, 50);
        assert_eq!(b.admit(time, 1, 1, t0).unwrap_err().code, "fair_share");
        // ...so a client arriving later still finds the other half.
        let mut light = 0;
        while let Ok(t) = b.admit(time, 1, 2, t0) {
            b.complete(t, Some(200), None, None, t0);
            light += 1;
        }
        assert_eq!(light, 50);
        // With three clients the shares are a third each; the window is now spent.
        assert_eq!(b.admit(time, 1, 3, t0).unwrap_err().code, "budget_exhausted");
    }
}
