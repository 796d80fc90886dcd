//! The weight budget: per egress IP and venue limiter, track the venue's used weight, stop before its limit, back
//! off after a 429/418 on exactly the limiter that answered, and share capacity fairly between clients.
//!
//! The limits are the catalogue's [`Limiter`]s. Binance counts request weight per IP in clock-minute windows
//! (`X-MBX-USED-WEIGHT-1M` for `/api` and `/fapi`, `X-SAPI-USED-IP-WEIGHT-1M` for IP-weighted `/sapi`): the relay
//! keeps those windows per egress IP ([`shared_ip_limiter`]). UID-weighted SAPI endpoints (the withdrawal history,
//! 18,000 of 180,000 a minute) are counted by the venue per account: the relay keeps that window per key, and
//! charges 1 to the IP's SAPI window for each. Bitget limits each endpoint per second, per IP for public endpoints
//! and per account (here: per key) for signed ones. The relay lets itself use `budget_fraction` of each limit.
//!
//! Identities (docs/relay.md, Fairness): a request comes from a client address (IPv6 grouped by /64) and may carry
//! a key. Public reads are the address's, whatever key header they carry. A signed read is its key's only once the
//! venue has accepted a request signed with that key (a 2xx), and only for the first `max_keys_per_address` keys an
//! address brings in a minute; before that, or beyond the cap, it is the address's. So made-up keys add no
//! identity.
//!
//! Fairness: in a window, an identity may use at most the usable budget divided by the identities that asked in it,
//! and the identities of one address together at most the usable budget divided by the addresses that asked in it;
//! never more than half either way, so a client arriving late in the minute still finds half of the window. Past
//! its share a client is answered 429 `fair_share` with Retry-After until the next window.
//!
//! Back-off (docs/relay.md, Back-off): a venue 418 is an IP ban: that host, from that egress IP, for everyone. A 429
//! backs off the limiter that answered: a per-IP weight (Binance `/api`, IP-weighted `/sapi`, `/fapi`) from that
//! egress IP, a Bitget public endpoint from that egress IP, and a per-account limit (Binance's UID weight, a Bitget
//! signed endpoint) for that key only.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Mutex;

pub use catalogue::Limiter;
use catalogue::{CountedPer, Endpoint, Host, Security};

use crate::config::Limits;

/// Whether the relay keeps windows of a limiter per egress IP: a weight every endpoint shares, counted per IP
/// (Binance's `/api`, IP-weighted `/sapi` and `/fapi` weight).
fn is_shared_ip(l: Limiter) -> bool {
    l.counted_per() == CountedPer::Ip && l.shared_limit().is_some()
}

/// Whether the relay keeps windows of a limiter per key: a weight every endpoint shares, counted per account
/// (Binance's UID-weighted `/sapi`).
fn is_shared_account(l: Limiter) -> bool {
    l.counted_per() == CountedPer::Account && l.shared_limit().is_some()
}

/// The limiter whose windows the relay keeps per egress IP that an endpoint draws from, if any.
pub fn shared_ip_limiter(e: &Endpoint) -> Option<Limiter> {
    Some(e.limiter()).filter(|l| is_shared_ip(*l))
}

/// The limiter whose used weight the venue's answer reports and the relay reads (its usage header): the per-IP or
/// per-account weight the endpoint draws from, if the relay keeps windows of it.
pub fn usage_limiter(e: &Endpoint) -> Option<Limiter> {
    Some(e.limiter()).filter(|l| is_shared_ip(*l) || is_shared_account(*l))
}

/// What a request charges to its egress IP's shared windows: its own per-IP weight, or 1 on the per-IP limiter its
/// limiter also counts against (the IP's SAPI weight for a UID-weighted SAPI endpoint, Bitget's per-IP minute for a
/// Bitget endpoint), as the venue counts it.
fn ip_charge(e: &Endpoint, weight: u32) -> Option<(Limiter, u32)> {
    let l = e.limiter();
    if is_shared_ip(l) { Some((l, weight)) } else { l.also_counts().filter(|o| is_shared_ip(*o)).map(|o| (o, 1)) }
}

/// Who asks: the client's address (a salted hash, IPv6 by its /64) and the key the request carries, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Who {
    /// The client address's identity.
    pub address: u64,
    /// The key's identity (a salted hash of the first credential header), if the request carries one.
    pub key: Option<u64>,
}

/// What a back-off applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Scope {
    /// A host from an egress IP (a venue's IP ban, 418).
    Host(usize, Host),
    /// A per-IP weight from an egress IP (Binance).
    IpLimiter(usize, Limiter),
    /// A per-IP endpoint limit from an egress IP (Bitget public).
    IpEndpoint(usize, &'static str),
    /// A per-account weight for a key (Binance UID weight).
    Account(u64, Limiter),
    /// A per-account endpoint limit for a key (Bitget signed).
    AccountEndpoint(u64, &'static str),
}

/// The scope a venue's 429 or 418 on `e` applies to.
fn backoff_scope(e: &Endpoint, status: u16, egress: usize, key: Option<u64>) -> Scope {
    let l = e.limiter();
    match (status, l.counted_per(), key) {
        (429, CountedPer::Ip, _) if is_shared_ip(l) => Scope::IpLimiter(egress, l),
        (429, CountedPer::Ip, _) => Scope::IpEndpoint(egress, e.path),
        (429, CountedPer::Account, Some(k)) if is_shared_account(l) => Scope::Account(k, l),
        (429, CountedPer::Account, Some(k)) => Scope::AccountEndpoint(k, e.path),
        // A 418 (an IP ban), or a per-account limit without a key to scope it to: the whole host from that IP.
        _ => Scope::Host(egress, e.host),
    }
}

/// Why the budget refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DenyReason {
    /// The relay's share of a venue limit is spent for this window.
    BudgetExhausted,
    /// The key's own account limit (counted per account, not per IP) is spent.
    AccountBudgetExhausted,
    /// This client used its fair share of the window.
    FairShare,
    /// The venue told this relay to back off (429 or 418).
    VenueBackoff,
}

/// Why the budget refused a request, with the seconds to wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Denied {
    /// Why.
    pub reason: DenyReason,
    /// Seconds until a retry may succeed (at least 1).
    pub retry_after_s: u64,
}

impl Denied {
    /// The stable code clients and metrics see: `budget_exhausted`, `account_budget_exhausted`, `fair_share` or
    /// `venue_backoff` (docs/relay.md, "Refusals").
    pub fn code(&self) -> &'static str {
        match self.reason {
            DenyReason::BudgetExhausted => "budget_exhausted",
            DenyReason::AccountBudgetExhausted => "account_budget_exhausted",
            DenyReason::FairShare => "fair_share",
            DenyReason::VenueBackoff => "venue_backoff",
        }
    }

    /// What happened and what to do.
    pub fn message(&self) -> &'static str {
        match self.reason {
            DenyReason::VenueBackoff => {
                "the venue asked this relay to back off (429/418); retry after Retry-After seconds"
            }
            DenyReason::FairShare => {
                "this client used its fair share of the relay's venue budget; retry after Retry-After seconds"
            }
            DenyReason::AccountBudgetExhausted => {
                "this key's account used its own venue weight for this minute (counted per account, not per relay IP); \
                 retry after Retry-After seconds"
            }
            DenyReason::BudgetExhausted => {
                "the relay's venue weight budget for this minute is spent; retry after Retry-After seconds"
            }
        }
    }
}

/// A request admitted by the budget; give it back with [`Budget::complete`].
#[derive(Clone, Copy, Debug)]
pub struct Ticket {
    /// Index of the egress IP to send from.
    pub egress: usize,
    endpoint: &'static Endpoint,
    ip: Option<(Limiter, u32)>,
    /// The key's per-account window charged: key, limiter, weight, window number.
    account: Option<(u64, Limiter, u32, u64)>,
    key: Option<u64>,
    /// The identity and the client address the request was budgeted under.
    ident: u64,
    address: u64,
    minute: u64,
}

/// A fast hasher for small keys. Client ids are salted SHA-256 outputs, so clients cannot aim collisions.
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
    /// Weight per identity.
    clients: FxMap<u64, u32>,
    /// Weight per client address (all its identities together).
    addresses: FxMap<u64, u32>,
    /// Weight charged to identities in this window (the part of `used + reserved` the relay can attribute).
    charged: u32,
}

/// A per-key window of a per-account weight.
#[derive(Default, Clone, Copy)]
struct AccountWindow {
    minute: u64,
    used: u32,
    reserved: u32,
}

#[derive(Default)]
struct State {
    windows: FxMap<(usize, Limiter), Window>,
    accounts: FxMap<(u64, Limiter), AccountWindow>,
    per_second: FxMap<(usize, &'static str, u64), (u64, u32)>,
    blocked_until_ms: FxMap<Scope, u64>,
    /// Keys the venue accepted a signed request with, and when it last did.
    verified: FxMap<u64, u64>,
    /// The keys each address brought as identities in the current minute.
    keys_of_address: FxMap<u64, (u64, Vec<u64>)>,
}

/// The budget of every egress IP.
pub struct Budget {
    egress_count: usize,
    fraction: f64,
    /// The limiters kept per egress IP or per key, with their limit per window (configurable for the per-IP ones,
    /// the catalogue's by default).
    limits: Vec<(Limiter, u32)>,
    max_keys_per_address: usize,
    state: Mutex<State>,
}

/// Most distinct clients remembered per window (bounds memory under a flood of made-up keys or addresses).
const MAX_CLIENTS_PER_WINDOW: usize = 100_000;
/// Most entries in each of the other maps before the stale ones are dropped.
const MAX_ENTRIES: usize = 100_000;
/// Most keys remembered as accepted by the venue; past it, keys not accepted for a day are forgotten, and a new key
/// that still finds no room counts as its address's until there is (fail closed: no new identity).
const MAX_VERIFIED: usize = 200_000;
const DAY_MS: u64 = 86_400_000;

fn window_ms(l: Limiter) -> u64 {
    l.window_ms() as u64
}

fn secs_until_next_window(l: Limiter, now_ms: u64) -> u64 {
    (window_ms(l) - now_ms % window_ms(l)).div_ceil(1000).max(1)
}

/// A client's position in a per-IP window, in the venue's units: its own weight times the identities that asked in
/// the window (and its address's weight times the addresses, if that is more), plus the weight the venue counted
/// that no identity was charged for. A client using exactly its share of the venue's limit (the limit divided by
/// the identities) reads the limit; a client alone on the egress IP reads the IP's whole usage, as the venue
/// reports it. Another client's weight never shows (docs/relay.md, "Used-weight headers").
fn client_position(w: &Window, ident: u64, address: u64) -> u32 {
    let mine = u64::from(w.clients.get(&ident).copied().unwrap_or(0));
    let ours = u64::from(w.addresses.get(&address).copied().unwrap_or(0));
    let identities = (w.clients.len() as u64).max(1);
    let addresses = (w.addresses.len() as u64).max(1);
    let unattributed = u64::from((w.used + w.reserved).saturating_sub(w.charged));
    let position = (mine * identities).max(ours * addresses) + unattributed;
    u32::try_from(position).unwrap_or(u32::MAX)
}

/// Whether a response header (lower-case name) reports a weight the venue counts per IP (Binance's
/// `X-MBX-USED-WEIGHT*` and `X-SAPI-USED-IP-WEIGHT*`): the egress IP's total, which the relay replaces with the
/// client's own position ([`Budget::complete`]).
pub fn reports_ip_weight(lower_name: &[u8]) -> bool {
    lower_name.starts_with(b"x-mbx-used-weight") || lower_name.starts_with(b"x-sapi-used-ip-weight")
}

/// A back-off in force on `scope` at `now_ms`, as the denial it gives.
fn backoff(st: &State, scope: Scope, now_ms: u64) -> Option<Denied> {
    st.blocked_until_ms
        .get(&scope)
        .filter(|until| **until > now_ms)
        .map(|until| Denied { reason: DenyReason::VenueBackoff, retry_after_s: (until - now_ms).div_ceil(1000).max(1) })
}

/// One request being admitted: what it asks of which limiters, by whom, when.
struct Ask {
    endpoint: &'static Endpoint,
    who: Who,
    /// The identity it is budgeted under ([`Budget::identity`]).
    ident: u64,
    /// The per-IP window it is charged to, and how much.
    ip: Option<(Limiter, u32)>,
    now_ms: u64,
    /// The per-IP window's number (0 without one).
    minute: u64,
    /// The endpoint limiter's window number (its second, for a per-second limit).
    second: u64,
}

impl Ask {
    fn new(endpoint: &'static Endpoint, weight: u32, who: Who, ident: u64, now_ms: u64) -> Ask {
        let ip = ip_charge(endpoint, weight);
        let minute = ip.map_or(0, |(l, _)| now_ms / window_ms(l));
        Ask { endpoint, who, ident, ip, now_ms, minute, second: now_ms / window_ms(endpoint.limiter()) }
    }

    /// Where the endpoint's own per-second count is kept: per egress IP for a limit the venue counts per IP, per
    /// key (else address) for one it counts per account. Made-up keys bring limits of their own, but every Bitget
    /// request also counts in the egress IP's per-minute window, shared fairly between addresses.
    fn per_second_key(&self, egress: usize) -> (usize, &'static str, u64) {
        match self.endpoint.limiter().counted_per() {
            CountedPer::Ip => (egress, self.endpoint.path, 0),
            CountedPer::Account => (usize::MAX, self.endpoint.path, self.who.key.unwrap_or(self.who.address)),
        }
    }
}

impl Budget {
    /// A budget for `egress_count` egress IPs (at least one pool).
    pub fn new(egress_count: usize, limits: &Limits) -> Budget {
        Budget {
            egress_count: egress_count.max(1),
            fraction: limits.budget_fraction,
            limits: Limiter::ALL
                .into_iter()
                .filter(|l| is_shared_ip(*l) || is_shared_account(*l))
                .map(|l| (l, limits.shared_ip_limit(l)))
                .collect(),
            max_keys_per_address: limits.max_keys_per_address,
            state: Mutex::new(State::default()),
        }
    }

    /// The venue's limit for a limiter per window (0 for a limiter the relay does not keep windows of).
    pub fn limit(&self, l: Limiter) -> u32 {
        self.limits.iter().find(|(x, _)| *x == l).map_or(0, |(_, n)| *n)
    }

    fn cap(&self, l: Limiter) -> u32 {
        ((self.limit(l) as f64) * self.fraction).floor() as u32
    }

    /// The identity a request is budgeted under: its key's once the venue accepted the key (and within the
    /// address's cap), else its address's.
    fn identity(&self, st: &mut State, e: &Endpoint, who: Who, now_ms: u64) -> u64 {
        let Some(key) = who.key.filter(|_| e.security == Security::Signed) else { return who.address };
        if !st.verified.contains_key(&key) {
            return who.address;
        }
        let minute = now_ms / 60_000;
        if st.keys_of_address.len() >= MAX_ENTRIES && !st.keys_of_address.contains_key(&who.address) {
            st.keys_of_address.retain(|_, (m, _)| *m == minute);
            if st.keys_of_address.len() >= MAX_ENTRIES {
                return who.address;
            }
        }
        let slot = st.keys_of_address.entry(who.address).or_default();
        if slot.0 != minute {
            *slot = (minute, Vec::new());
        }
        if slot.1.contains(&key) {
            key
        } else if slot.1.len() < self.max_keys_per_address {
            slot.1.push(key);
            key
        } else {
            who.address
        }
    }

    /// Admits a request to `e` of `weight` from `who` at `now_ms` (Unix ms), or says why not.
    pub fn admit(&self, e: &'static Endpoint, weight: u32, who: Who, now_ms: u64) -> Result<Ticket, Denied> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        // The key's own limits first: a back-off of its account, its account's weight.
        let account = self.account_charge(&st, e, weight, who, now_ms)?;
        let ident = self.identity(&mut st, e, who, now_ms);
        let ask = Ask::new(e, weight, who, ident, now_ms);
        let egress = self.least_loaded_egress(&mut st, &ask)?;
        self.reserve(&mut st, &ask, egress, account);
        Ok(Ticket {
            egress,
            endpoint: e,
            ip: ask.ip,
            account,
            key: who.key,
            ident,
            address: who.address,
            minute: ask.minute,
        })
    }

    /// The per-account window a request to `e` is charged to (key, limiter, weight, window number), if its limiter
    /// is counted per account; refused while the key's account is backed off or its weight for the window is spent.
    fn account_charge(
        &self,
        st: &State,
        e: &'static Endpoint,
        weight: u32,
        who: Who,
        now_ms: u64,
    ) -> Result<Option<(u64, Limiter, u32, u64)>, Denied> {
        let Some(key) = who.key else { return Ok(None) };
        let l = e.limiter();
        if l.counted_per() == CountedPer::Account {
            let scope = if is_shared_account(l) { Scope::Account(key, l) } else { Scope::AccountEndpoint(key, e.path) };
            if let Some(d) = backoff(st, scope, now_ms) {
                return Err(d);
            }
        }
        if !is_shared_account(l) {
            return Ok(None);
        }
        let minute = now_ms / window_ms(l);
        let w = st.accounts.get(&(key, l)).copied().filter(|w| w.minute == minute).unwrap_or_default();
        if w.used + w.reserved + weight > self.cap(l) {
            return Err(Denied {
                reason: DenyReason::AccountBudgetExhausted,
                retry_after_s: secs_until_next_window(l, now_ms),
            });
        }
        Ok(Some((key, l, weight, minute)))
    }

    /// The egress IP with the least load that can take the request, or the denial that clears soonest. Every
    /// identity and address that asks in a window counts as active there, admitted or not.
    fn least_loaded_egress(&self, st: &mut State, ask: &Ask) -> Result<usize, Denied> {
        let mut best: Option<(usize, u32)> = None;
        let mut denial: Option<Denied> = None;
        for egress in 0..self.egress_count {
            match self.load_on(st, ask, egress) {
                Ok(load) => {
                    if best.is_none_or(|(_, l)| load < l) {
                        best = Some((egress, load));
                    }
                }
                Err(d) => {
                    if denial.is_none_or(|old| d.retry_after_s < old.retry_after_s) {
                        denial = Some(d);
                    }
                }
            }
        }
        best.map(|(egress, _)| egress)
            .ok_or_else(|| denial.unwrap_or(Denied { reason: DenyReason::BudgetExhausted, retry_after_s: 1 }))
    }

    /// How loaded `egress` is for the request (the weight used and reserved in its per-IP window, else the
    /// endpoint's count this second), or why it cannot take it: a back-off, the window's budget, the client's fair
    /// share of it, or the endpoint's limit per second.
    fn load_on(&self, st: &mut State, ask: &Ask, egress: usize) -> Result<u32, Denied> {
        let (e, now_ms) = (ask.endpoint, ask.now_ms);
        let per_ip_endpoint = e.limiter().counted_per() == CountedPer::Ip && e.limiter().shared_limit().is_none();
        let scopes = [
            Some(Scope::Host(egress, e.host)),
            ask.ip.map(|(l, _)| Scope::IpLimiter(egress, l)),
            per_ip_endpoint.then_some(Scope::IpEndpoint(egress, e.path)),
        ];
        if let Some(d) = scopes.into_iter().flatten().find_map(|s| backoff(st, s, now_ms)) {
            return Err(d);
        }
        let mut load = 0;
        if let Some((l, charge)) = ask.ip {
            let cap = self.cap(l);
            let w = st.windows.entry((egress, l)).or_default();
            if w.minute != ask.minute {
                *w = Window { minute: ask.minute, ..Window::default() };
            }
            let total = w.used + w.reserved;
            if total + charge > cap {
                return Err(Denied {
                    reason: DenyReason::BudgetExhausted,
                    retry_after_s: secs_until_next_window(l, now_ms),
                });
            }
            // Bounded maps: past the bound a new client is not remembered (and counts as using nothing).
            if w.clients.len() < MAX_CLIENTS_PER_WINDOW {
                w.clients.entry(ask.ident).or_insert(0);
            }
            if w.addresses.len() < MAX_CLIENTS_PER_WINDOW {
                w.addresses.entry(ask.who.address).or_insert(0);
            }
            let mine = w.clients.get(&ask.ident).copied().unwrap_or(0);
            let ours = w.addresses.get(&ask.who.address).copied().unwrap_or(0);
            let (identities, addresses) = ((w.clients.len() as u32).max(2), (w.addresses.len() as u32).max(2));
            if mine + charge > cap / identities || ours + charge > cap / addresses {
                return Err(Denied { reason: DenyReason::FairShare, retry_after_s: secs_until_next_window(l, now_ms) });
            }
            load = total;
        }
        if e.limiter().shared_limit().is_none() {
            // Each endpoint's own limit per second (Bitget): public endpoints per IP; signed ones per account,
            // whatever the IP.
            let cap = (((e.limit() as f64) * self.fraction).floor() as u32).max(1);
            let (sec, count) = st.per_second.get(&ask.per_second_key(egress)).copied().unwrap_or((ask.second, 0));
            let count = if sec == ask.second { count } else { 0 };
            if count + 1 > cap {
                return Err(Denied { reason: DenyReason::BudgetExhausted, retry_after_s: 1 });
            }
            if ask.ip.is_none() {
                load = count;
            }
        }
        Ok(load)
    }

    /// Reserves the request's weight on `egress`: its per-IP window (the client's and its address's part too), the
    /// endpoint's count this second and the key's per-account window.
    fn reserve(&self, st: &mut State, ask: &Ask, egress: usize, account: Option<(u64, Limiter, u32, u64)>) {
        if let Some((l, charge)) = ask.ip {
            let w = st.windows.entry((egress, l)).or_default();
            w.reserved += charge;
            *w.clients.entry(ask.ident).or_default() += charge;
            *w.addresses.entry(ask.who.address).or_default() += charge;
            w.charged += charge;
        }
        if ask.endpoint.limiter().shared_limit().is_none() {
            if st.per_second.len() > MAX_ENTRIES {
                st.per_second.retain(|_, (s, _)| *s == ask.second);
            }
            let slot = st.per_second.entry(ask.per_second_key(egress)).or_insert((ask.second, 0));
            if slot.0 != ask.second {
                *slot = (ask.second, 0);
            }
            slot.1 += 1;
        }
        if let Some((key, l, weight, m)) = account {
            if st.accounts.len() >= MAX_ENTRIES {
                st.accounts.retain(|_, w| w.minute == m);
            }
            let w = st.accounts.entry((key, l)).or_default();
            if w.minute != m {
                *w = AccountWindow { minute: m, ..AccountWindow::default() };
            }
            w.reserved += weight;
        }
    }

    /// Gives back a ticket: the response status (None if the upstream failed), the used weight the venue reported
    /// for the endpoint's [`usage_limiter`] and its Retry-After, at `now_ms`.
    ///
    /// Returns the client's own position on the per-IP weight the request was charged to, in the venue's units
    /// (docs/relay.md, "Used-weight headers"): what the IP-wide usage header of the response says to this client,
    /// or None to pass the venue's value on (a venue 429/418, or no window of this minute).
    pub fn complete(
        &self,
        t: Ticket,
        status: Option<u16>,
        used: Option<u32>,
        retry_after_s: Option<u64>,
        now_ms: u64,
    ) -> Option<(Limiter, u32)> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let e = t.endpoint;
        let reported = usage_limiter(e);
        let mut position = None;
        if let Some((l, charge)) = t.ip {
            let w = st.windows.entry((t.egress, l)).or_default();
            if w.minute == t.minute {
                w.reserved = w.reserved.saturating_sub(charge);
                w.used += charge;
            }
            if let Some(u) = used.filter(|_| reported == Some(l))
                && w.minute == now_ms / window_ms(l)
            {
                w.used = w.used.max(u);
            }
            if w.minute == now_ms / window_ms(l) && !matches!(status, Some(429 | 418)) {
                position = Some((l, client_position(w, t.ident, t.address)));
            }
        }
        if let Some((key, l, weight, m)) = t.account
            && let Some(w) = st.accounts.get_mut(&(key, l))
            && w.minute == m
        {
            w.reserved = w.reserved.saturating_sub(weight);
            w.used += weight;
            if let Some(u) = used.filter(|_| reported == Some(l))
                && m == now_ms / window_ms(l)
            {
                w.used = w.used.max(u);
            }
        }
        match status {
            // The venue accepted a request signed with this key: from now on the key is an identity of its own.
            Some(200..=299) if e.security == Security::Signed => {
                if let Some(key) = t.key {
                    if st.verified.len() >= MAX_VERIFIED && !st.verified.contains_key(&key) {
                        st.verified.retain(|_, last| now_ms.saturating_sub(*last) < DAY_MS);
                    }
                    if st.verified.len() < MAX_VERIFIED || st.verified.contains_key(&key) {
                        st.verified.insert(key, now_ms);
                    }
                }
            }
            Some(s @ (429 | 418)) => {
                let wait = retry_after_s.unwrap_or(if s == 418 { 120 } else { 60 }).max(1);
                let until = now_ms + wait * 1000;
                if st.blocked_until_ms.len() >= MAX_ENTRIES {
                    st.blocked_until_ms.retain(|_, u| *u > now_ms);
                }
                let slot = st.blocked_until_ms.entry(backoff_scope(e, s, t.egress, t.key)).or_insert(0);
                *slot = (*slot).max(until);
            }
            _ => {}
        }
        position
    }

    /// The used weight of every (egress, limiter) kept per egress IP in the current window, with the venue's limit
    /// (for metrics).
    pub fn snapshot(&self, now_ms: u64) -> Vec<(usize, Limiter, u32, u32)> {
        let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = Vec::new();
        for egress in 0..self.egress_count {
            for &(l, limit) in self.limits.iter().filter(|(l, _)| is_shared_ip(*l)) {
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

    /// A client with its own address and no key.
    fn anon(address: u64) -> Who {
        Who { address, key: None }
    }

    /// A client at `address` signing with `key`.
    fn keyed(address: u64, key: u64) -> Who {
        Who { address, key: Some(key) }
    }

    /// Has the venue accept one signed request with `key` (from its own address, in an earlier minute).
    fn accept(b: &Budget, key: u64) {
        let t = b.admit(&catalogue::BINANCE_DEPOSITS, 1, keyed(key ^ 0xa5a5, key), 0).unwrap();
        b.complete(t, Some(200), None, None, 0);
    }

    #[test]
    fn keeps_windows_of_the_catalogues_per_ip_weights_only() {
        let b = Budget::new(2, &Limits::default());
        let kept: Vec<_> = b.snapshot(0).into_iter().map(|(i, l, used, limit)| (i, l.as_str(), used, limit)).collect();
        let one = |i| {
            [
                (i, "binance_spot_ip", 0, 6_000),
                (i, "binance_sapi_ip", 0, 12_000),
                (i, "binance_futures_ip", 0, 2_400),
                (i, "binance_coin_futures_ip", 0, 6_000),
                (i, "bitget_ip", 0, 6_000),
            ]
        };
        assert_eq!(kept, [one(0), one(1)].concat());
        assert_eq!(shared_ip_limiter(&catalogue::BINANCE_DEPOSITS), Some(Limiter::BinanceSapiIp));
        // the UID weight is the account's own, and Bitget limits each endpoint by the second
        assert_eq!(shared_ip_limiter(&catalogue::BINANCE_WITHDRAWALS), None);
        assert_eq!(usage_limiter(&catalogue::BINANCE_WITHDRAWALS), Some(Limiter::BinanceSapiUid));
        assert_eq!(shared_ip_limiter(&catalogue::BITGET_CANDLES), None);
        assert_eq!(b.limit(Limiter::BinanceSapiUid), 180_000);
    }

    #[test]
    fn stops_before_the_limit_and_resets_next_minute() {
        let b = small();
        let acct = lookup(Venue::Binance, Method::Get, "/api/v3/account").unwrap(); // weight 20
        let t0 = 60_000 * 1000;
        for i in 0..5 {
            let t = b.admit(acct, 20, anon(1 + i), t0).unwrap();
            b.complete(t, Some(200), None, None, t0);
        }
        let d = b.admit(acct, 20, anon(9), t0 + 500).unwrap_err();
        assert_eq!(d.code(), "budget_exhausted");
        assert_eq!(d.retry_after_s, 60);
        assert!(b.admit(acct, 20, anon(2), t0 + 60_000).is_ok());
    }

    #[test]
    fn venue_header_raises_the_count_and_429_blocks() {
        let b = small();
        let time = lookup(Venue::Binance, Method::Get, "/api/v3/time").unwrap();
        let t0 = 60_000 * 2000;
        let t = b.admit(time, 1, anon(1), t0).unwrap();
        b.complete(t, Some(200), Some(100), None, t0);
        assert_eq!(b.admit(time, 1, anon(1), t0).unwrap_err().code(), "budget_exhausted");
        let b = small();
        let t = b.admit(time, 1, anon(1), t0).unwrap();
        b.complete(t, Some(429), None, Some(7), t0);
        let d = b.admit(time, 1, anon(2), t0 + 1000).unwrap_err();
        assert_eq!((d.code(), d.retry_after_s), ("venue_backoff", 6));
        assert!(b.admit(time, 1, anon(2), t0 + 7000).is_ok());
    }

    #[test]
    fn a_heavy_client_cannot_starve_a_light_one() {
        let b = small();
        let time = lookup(Venue::Binance, Method::Get, "/api/v3/time").unwrap();
        let t0 = 60_000 * 3000;
        let mut heavy = 0;
        // Client 1 alone gets half of the window (cap 100)...
        while let Ok(t) = b.admit(time, 1, anon(1), t0) {
            b.complete(t, Some(200), None, None, t0);
            heavy += 1;
        }
        assert_eq!(heavy, 50);
        assert_eq!(b.admit(time, 1, anon(1), t0).unwrap_err().code(), "fair_share");
        // ...so a client arriving later still finds the other half.
        let mut light = 0;
        while let Ok(t) = b.admit(time, 1, anon(2), t0) {
            b.complete(t, Some(200), None, None, t0);
            light += 1;
        }
        assert_eq!(light, 50);
        // With three clients the shares are a third each; the window is now spent.
        assert_eq!(b.admit(time, 1, anon(3), t0).unwrap_err().code(), "budget_exhausted");
    }

    #[test]
    fn each_client_reads_its_own_position_on_the_ips_weight() {
        let b = Budget::new(1, &Limits { budget_fraction: 1.0, ..Limits::default() });
        let t0 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000;
        let spot = Limiter::BinanceSpotIp;
        // Alone: the venue's figure (here more than the relay sent: someone else on the IP, unattributed).
        let t = b.admit(&catalogue::BINANCE_ACCOUNT, 20, anon(1), t0).unwrap();
        assert_eq!(b.complete(t, Some(200), Some(25), None, t0 + 1), Some((spot, 25)));
        // A heavy second address: its own 600 times the two addresses, plus the 5 nobody was charged for.
        for i in 0..30 {
            let t = b.admit(&catalogue::BINANCE_ACCOUNT, 20, anon(2), t0 + 2 + i).unwrap();
            let position = b.complete(t, Some(200), None, None, t0 + 2 + i).unwrap().1;
            assert_eq!(position, (i as u32 + 1) * 20 * 2 + 5);
        }
        // The first client's next read reads its own 40 against its share, not the IP's 645.
        let t = b.admit(&catalogue::BINANCE_ACCOUNT, 20, anon(1), t0 + 40).unwrap();
        assert_eq!(b.complete(t, Some(200), Some(645), None, t0 + 41), Some((spot, 40 * 2 + 5)));
        // A venue 429: the venue's own figure is passed on.
        let t = b.admit(&catalogue::BINANCE_ACCOUNT, 20, anon(1), t0 + 42).unwrap();
        assert_eq!(b.complete(t, Some(429), Some(6_000), None, t0 + 43), None);
        assert!(reports_ip_weight(b"x-mbx-used-weight-1m") && reports_ip_weight(b"x-sapi-used-ip-weight-1m"));
        assert!(!reports_ip_weight(b"x-sapi-used-uid-weight-1m"));
    }

    #[test]
    fn made_up_keys_are_their_address() {
        let b = small();
        let time = &catalogue::BINANCE_TIME;
        let t0 = 60_000 * 4000;
        // Public reads under a new key each: one identity, the address, half of the window.
        let mut served = 0;
        for key in 0..1000 {
            if let Ok(t) = b.admit(time, 1, keyed(7, 1_000_000 + key), t0) {
                b.complete(t, Some(200), None, None, t0);
                served += 1;
            }
        }
        assert_eq!(served, 50);
        // Signed reads with keys the venue refuses: the address's too.
        let acct = &catalogue::BINANCE_ACCOUNT;
        let b = small();
        for key in 0..2 {
            let t = b.admit(acct, 20, keyed(7, 2_000_000 + key), t0).unwrap();
            b.complete(t, Some(401), None, None, t0);
        }
        assert_eq!(b.admit(acct, 20, keyed(7, 3_000_000), t0).unwrap_err().code(), "fair_share");
        // A key the venue accepted is an identity of its own, within its address's half.
        let b = small();
        accept(&b, 42);
        let t = b.admit(acct, 20, keyed(7, 99), t0).unwrap(); // not accepted: the address's
        b.complete(t, Some(200), None, None, t0);
        let t = b.admit(acct, 20, keyed(7, 42), t0).unwrap();
        b.complete(t, Some(200), None, None, t0);
        // the address used 40 of its 50: one more of 20 is past it, whichever of its identities asks
        assert_eq!(b.admit(acct, 20, keyed(7, 42), t0).unwrap_err().code(), "fair_share");
        assert!(b.admit(acct, 20, anon(8), t0).is_ok());
    }

    #[test]
    fn bitgets_per_ip_minute_is_kept_and_shared() {
        let b = Budget::new(1, &Limits { budget_fraction: 1.0, bitget_requests_per_minute: 100, ..Limits::default() });
        let t0 = 60_000 * 9000;
        // ten a second, within each endpoint's own limit: the minute's 100 are the binding limit
        let run = |who: Who| {
            (0..400u64)
                .filter(|i| {
                    let e = if i % 2 == 0 { &catalogue::BITGET_CANDLES } else { &catalogue::BITGET_SPOT_FILLS };
                    b.admit(e, 0, who, t0 + i * 100).map(|t| b.complete(t, Some(200), None, None, t0)).is_ok()
                })
                .count()
        };
        assert_eq!(run(anon(1)), 50, "one address, half of the minute");
        assert_eq!(run(keyed(2, 5)), 50, "another, the other half");
        let d = b.admit(&catalogue::BITGET_CANDLES, 0, anon(3), t0 + 45_000).unwrap_err();
        assert_eq!((d.code(), d.retry_after_s), ("budget_exhausted", 15));
        let used = b.snapshot(t0).into_iter().find(|(_, l, _, _)| *l == Limiter::BitgetIp).unwrap();
        assert_eq!((used.2, used.3), (100, 100));
    }

    #[test]
    fn an_address_brings_at_most_its_cap_of_keys() {
        let limits = Limits { budget_fraction: 1.0, max_keys_per_address: 2, ..Limits::default() };
        let b = Budget::new(1, &limits);
        let acct = &catalogue::BINANCE_ACCOUNT;
        for key in 1..=5 {
            accept(&b, key);
        }
        let t0 = 60_000 * 5000;
        let mut st = b.state.lock().unwrap();
        let ids: Vec<u64> = (1..=5).map(|key| b.identity(&mut st, acct, keyed(7, key), t0)).collect();
        assert_eq!(ids, [1, 2, 7, 7, 7], "two keys, then the address");
        // the next minute, the first two keys to ask
        let ids: Vec<u64> = (3..=5).map(|key| b.identity(&mut st, acct, keyed(7, key), t0 + 60_000)).collect();
        assert_eq!(ids, [3, 4, 7]);
        // public reads are the address's whatever the key
        assert_eq!(b.identity(&mut st, &catalogue::BINANCE_TIME, keyed(7, 3), t0 + 60_000), 7);
    }

    #[test]
    fn the_uid_weight_is_budgeted_per_key() {
        let b = Budget::new(1, &Limits::default());
        let w = &catalogue::BINANCE_WITHDRAWALS;
        let t0 = 60_000 * 6000;
        // 80% of 180,000 a minute: eight of 18,000 per key
        for _ in 0..8 {
            let t = b.admit(w, 18_000, keyed(1, 11), t0).unwrap();
            b.complete(t, Some(200), None, None, t0);
        }
        let d = b.admit(w, 18_000, keyed(1, 11), t0).unwrap_err();
        assert_eq!((d.code(), d.retry_after_s), ("account_budget_exhausted", 60));
        // another key on the same IP is not affected, and each charged 1 to the IP's SAPI weight
        assert!(b.admit(w, 18_000, keyed(1, 12), t0).is_ok());
        let sapi = b.snapshot(t0).into_iter().find(|(_, l, _, _)| *l == Limiter::BinanceSapiIp).unwrap();
        assert_eq!(sapi.2, 8);
        // the venue's header raises the key's count
        let b = Budget::new(1, &Limits::default());
        let t = b.admit(w, 18_000, keyed(1, 11), t0).unwrap();
        b.complete(t, Some(200), Some(170_000), None, t0);
        assert_eq!(b.admit(w, 18_000, keyed(1, 11), t0).unwrap_err().code(), "account_budget_exhausted");
    }

    #[test]
    fn a_429_backs_off_the_limiter_that_answered() {
        let t0 = 60_000 * 7000;
        let (time, sapi, withdrawals) =
            (&catalogue::BINANCE_TIME, &catalogue::BINANCE_DEPOSITS, &catalogue::BINANCE_WITHDRAWALS);
        let futures = &catalogue::BINANCE_FUTURES_TIME;
        let (fills, candles, assets) =
            (&catalogue::BITGET_SPOT_FILLS, &catalogue::BITGET_CANDLES, &catalogue::BITGET_SPOT_ASSETS);
        let backoff = |b: &Budget, e: &'static Endpoint, who: Who| {
            b.admit(e, e.weight(""), who, t0 + 1000).err().map(|d| d.code()) == Some("venue_backoff")
        };
        let after = |e: &'static Endpoint, who: Who, status: u16| {
            let b = Budget::new(1, &Limits::default());
            let t = b.admit(e, e.weight(""), who, t0).unwrap();
            b.complete(t, Some(status), None, Some(30), t0);
            b
        };
        let (me, other) = (keyed(1, 11), keyed(2, 22));
        // An account's own limit: that key, on that limiter (Binance UID weight) or endpoint (Bitget), only.
        let b = after(withdrawals, me, 429);
        assert!(backoff(&b, withdrawals, me) && !backoff(&b, withdrawals, other) && !backoff(&b, time, me));
        assert!(!backoff(&b, sapi, me));
        let b = after(fills, me, 429);
        assert!(backoff(&b, fills, me) && !backoff(&b, fills, other) && !backoff(&b, assets, me));
        // A per-IP weight: everyone on that egress IP, for that limiter.
        let b = after(time, me, 429);
        assert!(backoff(&b, time, other) && backoff(&b, &catalogue::BINANCE_ACCOUNT, other));
        assert!(!backoff(&b, sapi, other) && !backoff(&b, futures, other));
        let b = after(sapi, me, 429);
        assert!(backoff(&b, sapi, other) && backoff(&b, withdrawals, other) && !backoff(&b, time, other));
        // A Bitget public endpoint: that endpoint from that IP.
        let b = after(candles, anon(1), 429);
        assert!(backoff(&b, candles, anon(2)) && !backoff(&b, &catalogue::BITGET_TICKERS, anon(2)));
        // A 418 is an IP ban: the whole host from that IP, whoever asks, whatever the limiter.
        let b = after(withdrawals, me, 418);
        assert!(backoff(&b, time, other) && backoff(&b, sapi, other) && !backoff(&b, futures, other));
        // With a second egress IP, the others go out from it.
        let b = Budget::new(2, &Limits::default());
        let t = b.admit(time, 1, me, t0).unwrap();
        b.complete(t, Some(429), None, Some(30), t0);
        let t = b.admit(time, 1, other, t0 + 1000).unwrap();
        assert_ne!(t.egress, 0);
    }

    /// Fairness with an adversary in the mix, as a property over generated runs: H honest clients (each its own
    /// address and a key the venue accepted) each ask for up to their guaranteed share g = cap / max(2H, H + 1 + K)
    /// in a minute, interleaved at random with one adversarial address that does anything: public reads under new
    /// made-up keys, signed reads with keys the venue refuses, with up to 3K keys the venue accepts, heavy and light,
    /// first or last. Every honest request must be served. (K = `max_keys_per_address`; the adversary's identities
    /// count at most 1 + K, and its address together at most half of the window.)
    #[test]
    fn honest_clients_keep_their_share_whatever_the_adversary_does() {
        let seeds: u64 = std::env::var("FAIRNESS_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(400);
        let endpoints: [&'static Endpoint; 4] = [
            &catalogue::BINANCE_ACCOUNT,
            &catalogue::BINANCE_MY_TRADES,
            &catalogue::BINANCE_TIME,
            &catalogue::BINANCE_EXCHANGE_INFO,
        ];
        for seed in 1..=seeds {
            // seeded, so a failing case is replayed from its seed
            let mut rng = fastrand::Rng::with_seed(seed);
            let k = 1 + rng.u64(..6) as usize;
            let limits = Limits { max_keys_per_address: k, ..Limits::default() };
            let b = Budget::new(1, &limits);
            let cap = b.cap(Limiter::BinanceSpotIp);
            let h = 1 + rng.u64(..12) as u32;
            let g = cap / (2 * h).max(h + 1 + k as u32);
            let adversary = 1_000;
            let real: Vec<u64> = (0..3 * k as u64).map(|i| 5_000 + i).collect();
            for &key in &real {
                accept(&b, key);
            }
            for c in 0..h {
                accept(&b, 100 + u64::from(c));
            }
            let t0 = 60_000 * (10_000 + seed);
            // The honest clients' demand: requests of weight 20 up to their share.
            let mut left: Vec<u32> = (0..h).map(|_| g / 20).collect();
            let mut made_up = 1_000_000u64;
            let mut step = 0;
            while left.iter().any(|n| *n > 0) {
                step += 1;
                if rng.u64(..3) == 0 {
                    let c = loop {
                        let c = rng.u64(..u64::from(h)) as usize;
                        if left[c] > 0 {
                            break c;
                        }
                    };
                    let who = keyed(100 + c as u64 + 10_000, 100 + c as u64);
                    let e = endpoints[rng.u64(..2) as usize];
                    match b.admit(e, 20, who, t0 + step) {
                        Ok(t) => drop(b.complete(t, Some(200), None, None, t0 + step)),
                        Err(d) => panic!(
                            "seed {seed}: honest client {c} of {h} refused {} within its share {g} (cap {cap}, K {k})",
                            d.code()
                        ),
                    }
                    left[c] -= 1;
                } else {
                    for _ in 0..1 + rng.u64(..40) {
                        let e = endpoints[rng.u64(..4) as usize];
                        let (who, status) = match rng.u64(..3) {
                            0 => {
                                made_up += 1;
                                (keyed(adversary, made_up), 200)
                            }
                            1 => {
                                made_up += 1;
                                (keyed(adversary, made_up), if e.security == Security::Signed { 401 } else { 200 })
                            }
                            _ => (keyed(adversary, real[rng.u64(..real.len() as u64) as usize]), 200),
                        };
                        if let Ok(t) = b.admit(e, e.weight(""), who, t0 + step) {
                            b.complete(t, Some(status), None, None, t0 + step);
                        }
                    }
                }
            }
        }
    }
}
