//! The catalogue of venue read endpoints: the one list of what the app may request and the relay may forward.
//!
//! Architecture invariant: this is the only allow-list in the product. The relay enforces it on every request
//! (matching `(venue, method, path)` after strict parsing), and the app's request builders take their paths from it,
//! so a request the app can build is by construction one the relay forwards, and nothing else is. Every entry is a
//! read: Binance's one read-only POST (funding-wallet balances) is the only non-GET, as ARCHITECTURE.md's invariants
//! allow (docs/venues.md §1.7).
//!
//! ```
//! use catalogue::{lookup, Method, Venue, Host};
//! let e = lookup(Venue::Binance, Method::Get, "/api/v3/myTrades").unwrap();
//! assert_eq!(e.host, Host::BinanceSpot);
//! assert_eq!(e.weight("symbol=BTCUSDT"), 20);
//! assert!(lookup(Venue::Binance, Method::Post, "/api/v3/order").is_none());
//! ```
#![deny(missing_docs)]

use std::fmt;

/// A venue the product reads from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Venue {
    /// Binance: spot, wallet (SAPI) and USDⓈ-M futures.
    Binance,
    /// Bitget: classic v2 spot and USDT-M futures, and the v3 unified account.
    Bitget,
}

impl Venue {
    /// Every venue.
    pub const ALL: [Venue; 2] = [Venue::Binance, Venue::Bitget];

    /// The name used in relay routes (`/v1/{venue}/...`) and account ids.
    pub fn as_str(self) -> &'static str {
        match self {
            Venue::Binance => "binance",
            Venue::Bitget => "bitget",
        }
    }

    /// Parses a route segment; exact lower case only.
    pub fn parse(s: &str) -> Option<Venue> {
        Venue::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The upstream host an upstream path goes to, chosen by its first segment (`api`/`sapi` or `fapi` for
    /// Binance). `None` when the path cannot belong to this venue.
    pub fn host_for(self, path: &str) -> Option<Host> {
        let first = path.strip_prefix('/')?.split('/').next()?;
        match (self, first) {
            (Venue::Binance, "api" | "sapi") => Some(Host::BinanceSpot),
            (Venue::Binance, "fapi") => Some(Host::BinanceFutures),
            (Venue::Bitget, "api") => Some(Host::Bitget),
            _ => None,
        }
    }
}

impl fmt::Display for Venue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An upstream host. Which real host (or simulated one) each maps to is configuration, never the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Host {
    /// `https://api.binance.com`: `/api/*` and `/sapi/*`.
    BinanceSpot,
    /// `https://fapi.binance.com`: `/fapi/*`.
    BinanceFutures,
    /// `https://api.bitget.com`.
    Bitget,
}

impl Host {
    /// Every host.
    pub const ALL: [Host; 3] = [Host::BinanceSpot, Host::BinanceFutures, Host::Bitget];

    /// The production base URL.
    pub fn default_base_url(self) -> &'static str {
        match self {
            Host::BinanceSpot => "https://api.binance.com",
            Host::BinanceFutures => "https://fapi.binance.com",
            Host::Bitget => "https://api.bitget.com",
        }
    }

    /// The venue this host belongs to.
    pub fn venue(self) -> Venue {
        match self {
            Host::BinanceSpot | Host::BinanceFutures => Venue::Binance,
            Host::Bitget => Venue::Bitget,
        }
    }

    /// A short name for configuration keys and metrics (`binance_spot`, `binance_futures`, `bitget`).
    pub fn as_str(self) -> &'static str {
        match self {
            Host::BinanceSpot => "binance_spot",
            Host::BinanceFutures => "binance_futures",
            Host::Bitget => "bitget",
        }
    }
}

/// HTTP method of an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET.
    Get,
    /// POST (only Binance's read-only funding-wallet query).
    Post,
}

impl Method {
    /// Upper-case name as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// Whether a request needs a key and signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// Market data: no key.
    Public,
    /// Account data: API key header and signature.
    Signed,
}

/// Which rate limiter an endpoint draws from, and how much.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cost {
    /// Binance request weight counted per IP (`X-MBX-USED-WEIGHT-1M` or `X-SAPI-USED-IP-WEIGHT-1M`).
    BinanceIp(u32),
    /// Binance SAPI weight counted per account (`X-SAPI-USED-UID-WEIGHT-1M`).
    BinanceUid(u32),
    /// Bitget: at most this many requests per second (per UID for signed, per IP for public endpoints).
    BitgetPerSecond(u32),
}

/// One allow-listed read endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// The venue.
    pub venue: Venue,
    /// The upstream host.
    pub host: Host,
    /// HTTP method.
    pub method: Method,
    /// Upstream path, exact and case-sensitive.
    pub path: &'static str,
    /// Public or signed.
    pub security: Security,
    /// Rate-limit cost of one request with the base parameters.
    pub cost: Cost,
    /// What it reads, for logs, metrics and the audit log.
    pub name: &'static str,
}

impl Endpoint {
    /// Binance request weight for this query (Binance weights depend on a few parameters); 0 for Bitget.
    pub fn weight(&self, query: &str) -> u32 {
        let has = |key: &str| query.split('&').any(|kv| kv.split('=').next() == Some(key));
        match (self.path, self.cost) {
            ("/api/v3/ticker/price", _) if !has("symbol") => 4,
            ("/api/v3/myTrades", _) if has("orderId") => 5,
            ("/fapi/v1/premiumIndex", _) if !has("symbol") => 10,
            (_, Cost::BinanceIp(w) | Cost::BinanceUid(w)) => w,
            (_, Cost::BitgetPerSecond(_)) => 0,
        }
    }
}

macro_rules! endpoints {
    ($( $venue:ident $host:ident $method:ident $path:literal $sec:ident $cost:ident($n:literal) $name:literal; )*) => {
        /// Every allow-listed endpoint.
        pub static ENDPOINTS: &[Endpoint] = &[ $( Endpoint {
            venue: Venue::$venue, host: Host::$host, method: Method::$method, path: $path,
            security: Security::$sec, cost: Cost::$cost($n), name: $name,
        }, )* ];
    };
}

endpoints! {
    // Binance spot: market data
    Binance BinanceSpot Get "/api/v3/time" Public BinanceIp(1) "spot server time";
    Binance BinanceSpot Get "/api/v3/exchangeInfo" Public BinanceIp(20) "spot symbols";
    Binance BinanceSpot Get "/api/v3/ticker/price" Public BinanceIp(2) "spot prices";
    Binance BinanceSpot Get "/api/v3/klines" Public BinanceIp(2) "spot klines";
    // Binance spot: account
    Binance BinanceSpot Get "/api/v3/account" Signed BinanceIp(20) "spot balances";
    Binance BinanceSpot Get "/api/v3/myTrades" Signed BinanceIp(20) "spot fills";
    // Binance wallet (SAPI)
    Binance BinanceSpot Get "/sapi/v1/account/apiRestrictions" Signed BinanceIp(1) "key permissions";
    Binance BinanceSpot Get "/sapi/v1/capital/deposit/hisrec" Signed BinanceIp(1) "deposits";
    Binance BinanceSpot Get "/sapi/v1/capital/withdraw/history" Signed BinanceUid(18000) "withdrawals";
    Binance BinanceSpot Get "/sapi/v1/asset/transfer" Signed BinanceIp(1) "wallet transfers";
    Binance BinanceSpot Get "/sapi/v1/convert/tradeFlow" Signed BinanceUid(3000) "convert trades";
    Binance BinanceSpot Get "/sapi/v1/asset/dribblet" Signed BinanceIp(1) "dust conversions";
    Binance BinanceSpot Post "/sapi/v1/asset/get-funding-asset" Signed BinanceIp(1) "funding wallet balances";
    // Binance USDⓈ-M futures
    Binance BinanceFutures Get "/fapi/v1/time" Public BinanceIp(1) "futures server time";
    Binance BinanceFutures Get "/fapi/v1/exchangeInfo" Public BinanceIp(1) "futures symbols";
    Binance BinanceFutures Get "/fapi/v1/premiumIndex" Public BinanceIp(1) "futures mark prices";
    Binance BinanceFutures Get "/fapi/v1/userTrades" Signed BinanceIp(5) "futures fills";
    Binance BinanceFutures Get "/fapi/v1/income" Signed BinanceIp(30) "futures income";
    Binance BinanceFutures Get "/fapi/v2/balance" Signed BinanceIp(5) "futures balances";
    Binance BinanceFutures Get "/fapi/v3/account" Signed BinanceIp(5) "futures account";
    Binance BinanceFutures Get "/fapi/v3/positionRisk" Signed BinanceIp(5) "futures positions";
    // Bitget public
    Bitget Bitget Get "/api/v2/public/time" Public BitgetPerSecond(20) "server time";
    Bitget Bitget Get "/api/v2/spot/market/tickers" Public BitgetPerSecond(20) "spot prices";
    Bitget Bitget Get "/api/v2/spot/market/candles" Public BitgetPerSecond(20) "spot candles";
    Bitget Bitget Get "/api/v2/mix/market/symbol-price" Public BitgetPerSecond(20) "futures mark prices";
    // Bitget classic v2: spot
    Bitget Bitget Get "/api/v2/spot/account/info" Signed BitgetPerSecond(1) "key permissions";
    Bitget Bitget Get "/api/v2/spot/account/assets" Signed BitgetPerSecond(10) "spot balances";
    Bitget Bitget Get "/api/v2/spot/account/bills" Signed BitgetPerSecond(10) "spot bills";
    Bitget Bitget Get "/api/v2/spot/account/transferRecords" Signed BitgetPerSecond(20) "wallet transfers";
    Bitget Bitget Get "/api/v2/spot/trade/fills" Signed BitgetPerSecond(10) "spot fills";
    Bitget Bitget Get "/api/v2/spot/wallet/deposit-records" Signed BitgetPerSecond(10) "deposits";
    Bitget Bitget Get "/api/v2/spot/wallet/withdrawal-records" Signed BitgetPerSecond(10) "withdrawals";
    Bitget Bitget Get "/api/v2/convert/convert-record" Signed BitgetPerSecond(10) "convert trades";
    Bitget Bitget Get "/api/v2/convert/bgb-convert-records" Signed BitgetPerSecond(10) "small balances to BGB";
    // Bitget classic v2: USDT-M futures
    Bitget Bitget Get "/api/v2/mix/account/accounts" Signed BitgetPerSecond(10) "futures balances";
    Bitget Bitget Get "/api/v2/mix/account/bill" Signed BitgetPerSecond(10) "futures bills";
    Bitget Bitget Get "/api/v2/mix/position/all-position" Signed BitgetPerSecond(5) "futures positions";
    Bitget Bitget Get "/api/v2/mix/order/fill-history" Signed BitgetPerSecond(10) "futures fills";
    // Bitget unified account v3
    Bitget Bitget Get "/api/v3/account/info" Signed BitgetPerSecond(1) "unified key permissions";
    Bitget Bitget Get "/api/v3/account/assets" Signed BitgetPerSecond(20) "unified balances";
    Bitget Bitget Get "/api/v3/account/funding-assets" Signed BitgetPerSecond(20) "unified funding balances";
    Bitget Bitget Get "/api/v3/account/financial-records" Signed BitgetPerSecond(20) "unified financial records";
    Bitget Bitget Get "/api/v3/trade/fills" Signed BitgetPerSecond(20) "unified fills";
    Bitget Bitget Get "/api/v3/account/deposit-records" Signed BitgetPerSecond(20) "unified deposits";
    Bitget Bitget Get "/api/v3/account/withdrawal-records" Signed BitgetPerSecond(20) "unified withdrawals";
    Bitget Bitget Get "/api/v3/account/convert-records" Signed BitgetPerSecond(20) "unified convert trades";
}

/// The allow-listed endpoint for exactly this venue, method and path (case-sensitive, no normalisation: the
/// caller parses strictly first), or `None`: refuse.
pub fn lookup(venue: Venue, method: Method, path: &str) -> Option<&'static Endpoint> {
    ENDPOINTS.iter().find(|e| e.venue == venue && e.method == method && e.path == path)
}

/// The allow-listed endpoint at this path for this venue, whatever the method (for request builders).
pub fn endpoint(venue: Venue, path: &str) -> Option<&'static Endpoint> {
    ENDPOINTS.iter().find(|e| e.venue == venue && e.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_unique_and_consistent() {
        for (i, a) in ENDPOINTS.iter().enumerate() {
            assert_eq!(a.venue.host_for(a.path), Some(a.host), "{} is on the wrong host", a.path);
            assert_eq!(a.host.venue(), a.venue);
            assert!(a.path.starts_with('/') && !a.path.ends_with('/') && !a.path.contains("//"));
            assert!(a.path.bytes().all(|c| c.is_ascii_alphanumeric() || b"/-_".contains(&c)), "{}", a.path);
            for b in &ENDPOINTS[i + 1..] {
                assert!((a.venue, a.path) != (b.venue, b.path), "duplicate {}", a.path);
            }
        }
    }

    #[test]
    fn the_only_non_get_is_binance_funding_wallet() {
        let posts: Vec<_> = ENDPOINTS.iter().filter(|e| e.method != Method::Get).map(|e| e.path).collect();
        assert_eq!(posts, ["/sapi/v1/asset/get-funding-asset"]);
    }

    #[test]
    fn lookups_are_exact() {
        assert!(lookup(Venue::Binance, Method::Get, "/api/v3/account").is_some());
        for refused in ["/api/v3/account/", "/API/v3/account", "/api/v3/order", "/api/v3//account", "api/v3/account"] {
            assert!(lookup(Venue::Binance, Method::Get, refused).is_none(), "{refused}");
        }
        assert!(lookup(Venue::Bitget, Method::Get, "/api/v3/account").is_none());
        assert!(lookup(Venue::Binance, Method::Post, "/api/v3/account").is_none());
    }

    #[test]
    fn weights_follow_parameters() {
        let price = lookup(Venue::Binance, Method::Get, "/api/v3/ticker/price").unwrap();
        assert_eq!(price.weight("symbol=BTCUSDT"), 2);
        assert_eq!(price.weight(""), 4);
        assert_eq!(price.weight("symbols=%5B%22BTCUSDT%22%5D"), 4);
        let trades = lookup(Venue::Binance, Method::Get, "/api/v3/myTrades").unwrap();
        assert_eq!(trades.weight("symbol=BTCUSDT&orderId=1"), 5);
        assert_eq!(trades.weight("symbol=BTCUSDT&fromId=1"), 20);
        assert_eq!(endpoint(Venue::Binance, "/sapi/v1/capital/withdraw/history").unwrap().weight(""), 18000);
    }

    #[test]
    fn hosts_follow_the_first_segment() {
        assert_eq!(Venue::Binance.host_for("/sapi/v1/x"), Some(Host::BinanceSpot));
        assert_eq!(Venue::Binance.host_for("/fapi/v1/x"), Some(Host::BinanceFutures));
        assert_eq!(Venue::Binance.host_for("/dapi/v1/x"), None);
        assert_eq!(Venue::Bitget.host_for("/fapi/v1/x"), None);
        assert_eq!(Venue::parse("Binance"), None);
    }
}
