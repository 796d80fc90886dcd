//! The catalogue of venue facts: the one list of what the app may request and the relay may forward, and the rate
//! limits those requests count against.
//!
//! Architecture invariant: this is the only allow-list in the product. Every endpoint is a constant here
//! ([`BINANCE_MY_TRADES`], [`BITGET_SPOT_FILLS`], ...) and [`ENDPOINTS`] lists them all. The venue clients take these
//! constants, never a path (an [`Endpoint`] cannot be built outside this crate), so a request the app can build is by
//! construction one the relay forwards, and a misspelt endpoint does not compile. The relay enforces the list on every
//! request (matching `(venue, method, path)` after strict parsing with [`lookup`]). Every entry is a read: Binance's
//! one read-only POST (funding-wallet balances) is the only non-GET, as ARCHITECTURE.md's invariants
//! allow (docs/venues.md §1.7).
//!
//! Rate limits: each endpoint draws from a [`Limiter`] (its window, limit, usage header and whether the venue counts
//! it per IP or per account); the sync engine's budget and the relay's both meter requests by it.
//!
//! ```
//! use catalogue::{BINANCE_MY_TRADES, CountedPer, Host, Limiter, Method, Venue, lookup};
//! let e = lookup(Venue::Binance, Method::Get, "/api/v3/myTrades").unwrap();
//! assert_eq!(*e, BINANCE_MY_TRADES);
//! assert_eq!(e.host, Host::BinanceSpot);
//! assert_eq!(e.weight("symbol=BTCUSDT"), 20);
//! assert_eq!(e.limiter(), Limiter::BinanceSpotIp);
//! assert_eq!(e.limiter().usage_header(), Some("x-mbx-used-weight-1m"));
//! assert_eq!(e.limiter().counted_per(), CountedPer::Ip);
//! assert!(lookup(Venue::Binance, Method::Post, "/api/v3/order").is_none());
//! ```
#![deny(missing_docs)]

use std::fmt;

/// A venue the product reads from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Venue {
    /// Binance: spot, wallet (SAPI), USDⓈ-M and COIN-M futures.
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

    /// The upstream host an upstream path goes to, chosen by its first segment (`api`/`sapi`, `fapi` or `dapi` for
    /// Binance). `None` when the path cannot belong to this venue.
    pub fn host_for(self, path: &str) -> Option<Host> {
        let first = path.strip_prefix('/')?.split('/').next()?;
        match (self, first) {
            (Venue::Binance, "api" | "sapi") => Some(Host::BinanceSpot),
            (Venue::Binance, "fapi") => Some(Host::BinanceFutures),
            (Venue::Binance, "dapi") => Some(Host::BinanceCoinFutures),
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
    /// `https://dapi.binance.com`: `/dapi/*` (COIN-M futures, docs/venues.md §1.14).
    BinanceCoinFutures,
    /// `https://api.bitget.com`.
    Bitget,
}

impl Host {
    /// Every host.
    pub const ALL: [Host; 4] = [Host::BinanceSpot, Host::BinanceFutures, Host::BinanceCoinFutures, Host::Bitget];

    /// The production base URL.
    pub fn default_base_url(self) -> &'static str {
        match self {
            Host::BinanceSpot => "https://api.binance.com",
            Host::BinanceFutures => "https://fapi.binance.com",
            Host::BinanceCoinFutures => "https://dapi.binance.com",
            Host::Bitget => "https://api.bitget.com",
        }
    }

    /// The venue this host belongs to.
    pub const fn venue(self) -> Venue {
        match self {
            Host::BinanceSpot | Host::BinanceFutures | Host::BinanceCoinFutures => Venue::Binance,
            Host::Bitget => Venue::Bitget,
        }
    }

    /// A short name for configuration keys and metrics (`binance_spot`, `binance_futures`, `binance_coin_futures`,
    /// `bitget`).
    pub fn as_str(self) -> &'static str {
        match self {
            Host::BinanceSpot => "binance_spot",
            Host::BinanceFutures => "binance_futures",
            Host::BinanceCoinFutures => "binance_coin_futures",
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

/// How much of its [`Limiter`] one request to an endpoint uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cost {
    /// Binance request weight of an IP-weighted endpoint (see [`Endpoint::weight`] for the parameters that change it).
    BinanceIp(u32),
    /// Binance SAPI weight counted per account (UID).
    BinanceUid(u32),
    /// Bitget: one request, of at most this many per second to this endpoint.
    BitgetPerSecond(u32),
}

/// A rate limit of a venue: what requests count against, within a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Limiter {
    /// Binance `/api/*` request weight: 6000 a minute per IP, reported in `X-MBX-USED-WEIGHT-1M`.
    BinanceSpotIp,
    /// Binance IP-weighted `/sapi/*` endpoints: 12000 a minute per IP, reported in `X-SAPI-USED-IP-WEIGHT-1M`.
    BinanceSapiIp,
    /// Binance UID-weighted `/sapi/*` endpoints: 180000 a minute per account, reported in `X-SAPI-USED-UID-WEIGHT-1M`.
    BinanceSapiUid,
    /// Binance `/fapi/*` request weight: 2400 a minute per IP, reported in `X-MBX-USED-WEIGHT-1M`.
    BinanceFuturesIp,
    /// Binance `/dapi/*` (COIN-M) request weight: 6000 a minute per IP, reported in `X-MBX-USED-WEIGHT-1M`, counted
    /// apart from `/fapi/*` (docs/venues.md §1.14).
    BinanceCoinFuturesIp,
    /// Bitget public endpoints: each its own number of requests per second, per IP; no usage header.
    BitgetPublic,
    /// Bitget signed endpoints: each its own number of requests per second, per account (UID); no usage header.
    BitgetSigned,
    /// Bitget's overall limit: 6000 requests a minute per IP, whatever the endpoint, besides each endpoint's own
    /// (docs/venues.md §2.1); no usage header. No endpoint draws from it alone: see [`Limiter::also_counts`].
    BitgetIp,
}

/// Whom a venue counts a limiter's use against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CountedPer {
    /// The address the request comes from: shared by everyone behind the same relay egress IP.
    Ip,
    /// The account (Binance UID, Bitget UID) of the key: the account's own.
    Account,
}

impl Limiter {
    /// Every limiter.
    pub const ALL: [Limiter; 8] = [
        Limiter::BinanceSpotIp,
        Limiter::BinanceSapiIp,
        Limiter::BinanceSapiUid,
        Limiter::BinanceFuturesIp,
        Limiter::BinanceCoinFuturesIp,
        Limiter::BitgetPublic,
        Limiter::BitgetSigned,
        Limiter::BitgetIp,
    ];

    /// A short name for metrics and statistics (`binance_spot_ip`, ..., `bitget_public`, `bitget`).
    pub fn as_str(self) -> &'static str {
        match self {
            Limiter::BinanceSpotIp => "binance_spot_ip",
            Limiter::BinanceSapiIp => "binance_sapi_ip",
            Limiter::BinanceSapiUid => "binance_sapi_uid",
            Limiter::BinanceFuturesIp => "binance_futures_ip",
            Limiter::BinanceCoinFuturesIp => "binance_coin_futures_ip",
            Limiter::BitgetPublic => "bitget_public",
            Limiter::BitgetSigned => "bitget",
            Limiter::BitgetIp => "bitget_ip",
        }
    }

    /// The window the venue counts in, ms: Binance's clock minute, Bitget's second.
    pub const fn window_ms(self) -> i64 {
        match self {
            Limiter::BinanceSpotIp
            | Limiter::BinanceSapiIp
            | Limiter::BinanceSapiUid
            | Limiter::BinanceFuturesIp
            | Limiter::BinanceCoinFuturesIp => 60_000,
            Limiter::BitgetPublic | Limiter::BitgetSigned => 1_000,
            Limiter::BitgetIp => 60_000,
        }
    }

    /// The weight one window holds when every endpoint of the limiter shares it (Binance); `None` when each endpoint
    /// has a limit of its own (Bitget: [`Endpoint::limit`]).
    pub const fn shared_limit(self) -> Option<u32> {
        match self {
            Limiter::BinanceSpotIp => Some(6_000),
            Limiter::BinanceSapiIp => Some(12_000),
            Limiter::BinanceSapiUid => Some(180_000),
            Limiter::BinanceFuturesIp => Some(2_400),
            Limiter::BinanceCoinFuturesIp => Some(6_000),
            Limiter::BitgetIp => Some(6_000),
            Limiter::BitgetPublic | Limiter::BitgetSigned => None,
        }
    }

    /// Whether the venue counts it per IP or per account.
    pub const fn counted_per(self) -> CountedPer {
        match self {
            Limiter::BinanceSpotIp
            | Limiter::BinanceSapiIp
            | Limiter::BinanceFuturesIp
            | Limiter::BinanceCoinFuturesIp
            | Limiter::BitgetPublic
            | Limiter::BitgetIp => CountedPer::Ip,
            Limiter::BinanceSapiUid | Limiter::BitgetSigned => CountedPer::Account,
        }
    }

    /// The response header (lower case) in which the venue reports the weight used in the current window, if any.
    pub const fn usage_header(self) -> Option<&'static str> {
        match self {
            Limiter::BinanceSpotIp | Limiter::BinanceFuturesIp | Limiter::BinanceCoinFuturesIp => {
                Some("x-mbx-used-weight-1m")
            }
            Limiter::BinanceSapiIp => Some("x-sapi-used-ip-weight-1m"),
            Limiter::BinanceSapiUid => Some("x-sapi-used-uid-weight-1m"),
            Limiter::BitgetPublic | Limiter::BitgetSigned | Limiter::BitgetIp => None,
        }
    }

    /// The other limiter each request drawing from this one counts against too, one unit per request, whatever its
    /// own cost: Binance's IP SAPI weight for a UID-weighted SAPI endpoint (1 each), Bitget's overall per-IP minute
    /// for every Bitget endpoint (docs/venues.md §1.4, §2.1).
    pub const fn also_counts(self) -> Option<Limiter> {
        match self {
            Limiter::BinanceSapiUid => Some(Limiter::BinanceSapiIp),
            Limiter::BitgetPublic | Limiter::BitgetSigned => Some(Limiter::BitgetIp),
            _ => None,
        }
    }
}

/// One allow-listed read endpoint. Only this crate makes them: use the constants ([`BINANCE_MY_TRADES`], ...) or
/// [`lookup`]. Neither an endpoint the catalogue does not list nor a misspelt one compiles:
///
/// ```compile_fail
/// use catalogue::*;
/// let order = Endpoint {
///     venue: Venue::Binance, host: Host::BinanceSpot, method: Method::Post, path: "/api/v3/order",
///     security: Security::Signed, cost: Cost::BinanceIp(1), name: "orders",
/// };
/// ```
/// ```compile_fail
/// let fills = catalogue::BINANCE_MY_TRADE;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
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
        match (*self, self.cost) {
            (BINANCE_TICKER_PRICE, _) if !has("symbol") => 4,
            (BINANCE_MY_TRADES, _) if has("orderId") => 5,
            (BINANCE_PREMIUM_INDEX, _) if !has("symbol") => 10,
            (BINANCE_COINM_TRADES, _) if has("pair") => 40,
            (_, Cost::BinanceIp(w) | Cost::BinanceUid(w)) => w,
            (_, Cost::BitgetPerSecond(_)) => 0,
        }
    }

    /// The rate limiter its requests count against.
    pub fn limiter(&self) -> Limiter {
        match (self.cost, self.host, self.security) {
            (Cost::BinanceUid(_), _, _) => Limiter::BinanceSapiUid,
            (Cost::BinanceIp(_), Host::BinanceFutures, _) => Limiter::BinanceFuturesIp,
            (Cost::BinanceIp(_), Host::BinanceCoinFutures, _) => Limiter::BinanceCoinFuturesIp,
            (Cost::BinanceIp(_), _, _) if self.path.starts_with("/sapi/") => Limiter::BinanceSapiIp,
            (Cost::BinanceIp(_), _, _) => Limiter::BinanceSpotIp,
            (Cost::BitgetPerSecond(_), _, Security::Public) => Limiter::BitgetPublic,
            (Cost::BitgetPerSecond(_), _, Security::Signed) => Limiter::BitgetSigned,
        }
    }

    /// How much one window of its limiter holds for it: the shared weight (Binance) or its own requests (Bitget).
    pub fn limit(&self) -> u32 {
        match self.cost {
            Cost::BitgetPerSecond(n) => n,
            Cost::BinanceIp(_) | Cost::BinanceUid(_) => self.limiter().shared_limit().unwrap_or(0),
        }
    }
}

/// Declares every endpoint: a constant each, and [`ENDPOINTS`] with all of them. An entry reads
/// `NAME = Method "path" Host Security Cost "what it reads";`.
macro_rules! endpoints {
    ($( $id:ident = $method:ident $path:literal $host:ident $sec:ident $cost:ident($n:literal) $name:literal; )*) => {
        $(
            #[doc = concat!("`", $path, "`: ", $name, ".")]
            pub const $id: Endpoint = Endpoint {
                venue: Host::$host.venue(), host: Host::$host, method: Method::$method, path: $path,
                security: Security::$sec, cost: Cost::$cost($n), name: $name,
            };
        )*
        /// Every allow-listed endpoint.
        pub static ENDPOINTS: &[Endpoint] = &[ $( $id, )* ];
    };
}

endpoints! {
    // Binance spot: market data
    BINANCE_TIME = Get "/api/v3/time" BinanceSpot Public BinanceIp(1) "spot server time";
    BINANCE_EXCHANGE_INFO = Get "/api/v3/exchangeInfo" BinanceSpot Public BinanceIp(20) "spot symbols";
    BINANCE_TICKER_PRICE = Get "/api/v3/ticker/price" BinanceSpot Public BinanceIp(2) "spot prices";
    BINANCE_KLINES = Get "/api/v3/klines" BinanceSpot Public BinanceIp(2) "spot klines";
    // Binance spot: account
    BINANCE_ACCOUNT = Get "/api/v3/account" BinanceSpot Signed BinanceIp(20) "spot balances";
    BINANCE_MY_TRADES = Get "/api/v3/myTrades" BinanceSpot Signed BinanceIp(20) "spot fills";
    // Binance wallet (SAPI)
    BINANCE_API_RESTRICTIONS = Get "/sapi/v1/account/apiRestrictions" BinanceSpot Signed BinanceIp(1) "key permissions";
    BINANCE_DEPOSITS = Get "/sapi/v1/capital/deposit/hisrec" BinanceSpot Signed BinanceIp(1) "deposits";
    BINANCE_WITHDRAWALS = Get "/sapi/v1/capital/withdraw/history" BinanceSpot Signed BinanceUid(18000) "withdrawals";
    BINANCE_TRANSFERS = Get "/sapi/v1/asset/transfer" BinanceSpot Signed BinanceIp(1) "wallet transfers";
    BINANCE_CONVERTS = Get "/sapi/v1/convert/tradeFlow" BinanceSpot Signed BinanceUid(3000) "convert trades";
    BINANCE_DUST = Get "/sapi/v1/asset/dribblet" BinanceSpot Signed BinanceIp(1) "dust conversions";
    BINANCE_FUNDING_ASSETS = Post "/sapi/v1/asset/get-funding-asset" BinanceSpot Signed BinanceIp(1)
        "funding wallet balances";
    BINANCE_ASSET_DIVIDENDS = Get "/sapi/v1/asset/assetDividend" BinanceSpot Signed BinanceIp(10)
        "asset dividends (airdrops, distributions)";
    // Binance Simple Earn (docs/venues.md §1.12): positions and histories, reads only
    BINANCE_EARN_FLEXIBLE_POSITION = Get "/sapi/v1/simple-earn/flexible/position" BinanceSpot Signed BinanceIp(150)
        "Simple Earn flexible positions";
    BINANCE_EARN_LOCKED_POSITION = Get "/sapi/v1/simple-earn/locked/position" BinanceSpot Signed BinanceIp(150)
        "Simple Earn locked positions";
    BINANCE_EARN_FLEXIBLE_SUBSCRIPTIONS = Get "/sapi/v1/simple-earn/flexible/history/subscriptionRecord" BinanceSpot
        Signed BinanceIp(150) "Simple Earn flexible subscriptions";
    BINANCE_EARN_FLEXIBLE_REDEMPTIONS = Get "/sapi/v1/simple-earn/flexible/history/redemptionRecord" BinanceSpot
        Signed BinanceIp(150) "Simple Earn flexible redemptions";
    BINANCE_EARN_FLEXIBLE_REWARDS = Get "/sapi/v1/simple-earn/flexible/history/rewardsRecord" BinanceSpot Signed
        BinanceIp(150) "Simple Earn flexible rewards";
    BINANCE_EARN_LOCKED_SUBSCRIPTIONS = Get "/sapi/v1/simple-earn/locked/history/subscriptionRecord" BinanceSpot
        Signed BinanceIp(150) "Simple Earn locked subscriptions";
    BINANCE_EARN_LOCKED_REDEMPTIONS = Get "/sapi/v1/simple-earn/locked/history/redemptionRecord" BinanceSpot Signed
        BinanceIp(150) "Simple Earn locked redemptions";
    BINANCE_EARN_LOCKED_REWARDS = Get "/sapi/v1/simple-earn/locked/history/rewardsRecord" BinanceSpot Signed
        BinanceIp(150) "Simple Earn locked rewards";
    // Binance fiat, card purchases, P2P and Binance Pay (docs/venues.md §1.15): histories, reads only
    BINANCE_FIAT_ORDERS = Get "/sapi/v1/fiat/orders" BinanceSpot Signed BinanceUid(90000)
        "fiat deposits and withdrawals";
    BINANCE_FIAT_PAYMENTS = Get "/sapi/v1/fiat/payments" BinanceSpot Signed BinanceIp(1)
        "crypto bought or sold with a card or bank";
    BINANCE_C2C_TRADES = Get "/sapi/v1/c2c/orderMatch/listUserOrderHistory" BinanceSpot Signed BinanceIp(1)
        "P2P trades";
    BINANCE_PAY_TRANSACTIONS = Get "/sapi/v1/pay/transactions" BinanceSpot Signed BinanceUid(3000)
        "Binance Pay payments";
    // Binance ETH and SOL staking (docs/venues.md §1.16): histories, reads only
    BINANCE_ETH_STAKINGS = Get "/sapi/v1/eth-staking/eth/history/stakingHistory" BinanceSpot Signed BinanceIp(150)
        "ETH staked for WBETH";
    BINANCE_ETH_REDEMPTIONS = Get "/sapi/v1/eth-staking/eth/history/redemptionHistory" BinanceSpot Signed
        BinanceIp(150) "WBETH or BETH redeemed for ETH";
    BINANCE_BETH_REWARDS = Get "/sapi/v1/eth-staking/eth/history/rewardsHistory" BinanceSpot Signed BinanceIp(150)
        "BETH staking rewards";
    BINANCE_WBETH_WRAPS = Get "/sapi/v1/eth-staking/wbeth/history/wrapHistory" BinanceSpot Signed BinanceIp(150)
        "BETH wrapped into WBETH";
    BINANCE_WBETH_UNWRAPS = Get "/sapi/v1/eth-staking/wbeth/history/unwrapHistory" BinanceSpot Signed
        BinanceIp(150) "WBETH unwrapped into BETH";
    BINANCE_SOL_STAKINGS = Get "/sapi/v1/sol-staking/sol/history/stakingHistory" BinanceSpot Signed BinanceIp(150)
        "SOL staked for BNSOL";
    BINANCE_SOL_REDEMPTIONS = Get "/sapi/v1/sol-staking/sol/history/redemptionHistory" BinanceSpot Signed
        BinanceIp(150) "BNSOL redeemed for SOL";
    BINANCE_SOL_BOOST_REWARDS = Get "/sapi/v1/sol-staking/sol/history/boostRewardsHistory" BinanceSpot Signed
        BinanceIp(150) "SOL staking Boost rewards";
    // Binance cross and isolated margin (docs/venues.md §1.18): balances and histories, reads only
    BINANCE_MARGIN_ACCOUNT = Get "/sapi/v1/margin/account" BinanceSpot Signed BinanceIp(10) "cross margin balances";
    BINANCE_ISOLATED_ACCOUNT = Get "/sapi/v1/margin/isolated/account" BinanceSpot Signed BinanceIp(10)
        "isolated margin balances";
    BINANCE_MARGIN_BORROW_REPAY = Get "/sapi/v1/margin/borrow-repay" BinanceSpot Signed BinanceIp(10)
        "margin borrows and repays";
    BINANCE_MARGIN_INTEREST = Get "/sapi/v1/margin/interestHistory" BinanceSpot Signed BinanceIp(1)
        "margin interest charged";
    BINANCE_MARGIN_TRADES = Get "/sapi/v1/margin/myTrades" BinanceSpot Signed BinanceIp(10) "margin fills";
    BINANCE_MARGIN_LIQUIDATIONS = Get "/sapi/v1/margin/forceLiquidationRec" BinanceSpot Signed BinanceIp(1)
        "margin liquidation orders";
    BINANCE_MARGIN_CAPITAL_FLOW = Get "/sapi/v1/margin/capital-flow" BinanceSpot Signed BinanceIp(100)
        "margin capital flow";
    // Binance USDⓈ-M futures
    BINANCE_FUTURES_TIME = Get "/fapi/v1/time" BinanceFutures Public BinanceIp(1) "futures server time";
    BINANCE_FUTURES_EXCHANGE_INFO = Get "/fapi/v1/exchangeInfo" BinanceFutures Public BinanceIp(1) "futures symbols";
    BINANCE_PREMIUM_INDEX = Get "/fapi/v1/premiumIndex" BinanceFutures Public BinanceIp(1) "futures mark prices";
    BINANCE_FUTURES_TRADES = Get "/fapi/v1/userTrades" BinanceFutures Signed BinanceIp(5) "futures fills";
    BINANCE_FUTURES_INCOME = Get "/fapi/v1/income" BinanceFutures Signed BinanceIp(30) "futures income";
    BINANCE_FUTURES_BALANCES = Get "/fapi/v2/balance" BinanceFutures Signed BinanceIp(5) "futures balances";
    BINANCE_FUTURES_ACCOUNT = Get "/fapi/v3/account" BinanceFutures Signed BinanceIp(5) "futures account";
    BINANCE_POSITIONS = Get "/fapi/v3/positionRisk" BinanceFutures Signed BinanceIp(5) "futures positions";
    // Binance COIN-M futures (docs/venues.md §1.14): inverse contracts margined and settled in the coin
    BINANCE_COINM_EXCHANGE_INFO = Get "/dapi/v1/exchangeInfo" BinanceCoinFutures Public BinanceIp(1)
        "COIN-M symbols";
    BINANCE_COINM_BALANCES = Get "/dapi/v1/balance" BinanceCoinFutures Signed BinanceIp(1) "COIN-M balances";
    BINANCE_COINM_ACCOUNT = Get "/dapi/v1/account" BinanceCoinFutures Signed BinanceIp(5) "COIN-M account";
    BINANCE_COINM_POSITIONS = Get "/dapi/v1/positionRisk" BinanceCoinFutures Signed BinanceIp(1) "COIN-M positions";
    BINANCE_COINM_INCOME = Get "/dapi/v1/income" BinanceCoinFutures Signed BinanceIp(20) "COIN-M income";
    BINANCE_COINM_TRADES = Get "/dapi/v1/userTrades" BinanceCoinFutures Signed BinanceIp(20) "COIN-M fills";
    // Bitget public
    BITGET_TIME = Get "/api/v2/public/time" Bitget Public BitgetPerSecond(20) "server time";
    BITGET_TICKERS = Get "/api/v2/spot/market/tickers" Bitget Public BitgetPerSecond(20) "spot prices";
    BITGET_CANDLES = Get "/api/v2/spot/market/candles" Bitget Public BitgetPerSecond(20) "spot candles";
    BITGET_SYMBOL_PRICE = Get "/api/v2/mix/market/symbol-price" Bitget Public BitgetPerSecond(20) "futures mark prices";
    // Bitget classic v2: spot
    BITGET_ACCOUNT_INFO = Get "/api/v2/spot/account/info" Bitget Signed BitgetPerSecond(1) "key permissions";
    BITGET_SPOT_ASSETS = Get "/api/v2/spot/account/assets" Bitget Signed BitgetPerSecond(10) "spot balances";
    BITGET_SPOT_BILLS = Get "/api/v2/spot/account/bills" Bitget Signed BitgetPerSecond(10) "spot bills";
    BITGET_TRANSFERS = Get "/api/v2/spot/account/transferRecords" Bitget Signed BitgetPerSecond(20) "wallet transfers";
    BITGET_SPOT_FILLS = Get "/api/v2/spot/trade/fills" Bitget Signed BitgetPerSecond(10) "spot fills";
    BITGET_DEPOSITS = Get "/api/v2/spot/wallet/deposit-records" Bitget Signed BitgetPerSecond(10) "deposits";
    BITGET_WITHDRAWALS = Get "/api/v2/spot/wallet/withdrawal-records" Bitget Signed BitgetPerSecond(10) "withdrawals";
    BITGET_CONVERTS = Get "/api/v2/convert/convert-record" Bitget Signed BitgetPerSecond(10) "convert trades";
    BITGET_BGB_CONVERTS = Get "/api/v2/convert/bgb-convert-records" Bitget Signed BitgetPerSecond(10)
        "small balances to BGB";
    // Bitget classic v2: USDT-M futures
    BITGET_FUTURES_ACCOUNTS = Get "/api/v2/mix/account/accounts" Bitget Signed BitgetPerSecond(10) "futures balances";
    BITGET_FUTURES_BILLS = Get "/api/v2/mix/account/bill" Bitget Signed BitgetPerSecond(10) "futures bills";
    BITGET_POSITIONS = Get "/api/v2/mix/position/all-position" Bitget Signed BitgetPerSecond(5) "futures positions";
    BITGET_FUTURES_FILLS = Get "/api/v2/mix/order/fill-history" Bitget Signed BitgetPerSecond(10) "futures fills";
    // Bitget cross margin (docs/venues.md §2.15): the wallet's assets, its finance flow (transfers, borrows,
    // repays, fills' legs, liquidation fees), interest charged and fills; reads only, 10 a second per UID each
    BITGET_MARGIN_CROSS_ASSETS = Get "/api/v2/margin/crossed/account/assets" Bitget Signed BitgetPerSecond(10)
        "cross margin balances";
    BITGET_MARGIN_CROSS_FLOW = Get "/api/v2/margin/crossed/financial-records" Bitget Signed BitgetPerSecond(10)
        "cross margin finance flow";
    BITGET_MARGIN_CROSS_INTEREST = Get "/api/v2/margin/crossed/interest-history" Bitget Signed BitgetPerSecond(10)
        "cross margin interest";
    BITGET_MARGIN_CROSS_FILLS = Get "/api/v2/margin/crossed/fills" Bitget Signed BitgetPerSecond(10)
        "cross margin fills";
    // Bitget isolated margin (docs/venues.md §2.18): the cross reads with `isolated` in the path, each pair a wallet
    // of its own; reads only, 10 a second per UID each
    BITGET_MARGIN_ISOLATED_ASSETS = Get "/api/v2/margin/isolated/account/assets" Bitget Signed BitgetPerSecond(10)
        "isolated margin balances";
    BITGET_MARGIN_ISOLATED_FLOW = Get "/api/v2/margin/isolated/financial-records" Bitget Signed BitgetPerSecond(10)
        "isolated margin finance flow";
    BITGET_MARGIN_ISOLATED_INTEREST = Get "/api/v2/margin/isolated/interest-history" Bitget Signed
        BitgetPerSecond(10) "isolated margin interest";
    BITGET_MARGIN_ISOLATED_FILLS = Get "/api/v2/margin/isolated/fills" Bitget Signed BitgetPerSecond(10)
        "isolated margin fills";
    // Bitget unified account v3
    BITGET_UNIFIED_ACCOUNT_INFO = Get "/api/v3/account/info" Bitget Signed BitgetPerSecond(1) "unified key permissions";
    BITGET_UNIFIED_ASSETS = Get "/api/v3/account/assets" Bitget Signed BitgetPerSecond(20) "unified balances";
    BITGET_UNIFIED_FUNDING_ASSETS = Get "/api/v3/account/funding-assets" Bitget Signed BitgetPerSecond(20)
        "unified funding balances";
    BITGET_UNIFIED_FINANCIAL_RECORDS = Get "/api/v3/account/financial-records" Bitget Signed BitgetPerSecond(20)
        "unified financial records";
    BITGET_UNIFIED_FILLS = Get "/api/v3/trade/fills" Bitget Signed BitgetPerSecond(20) "unified fills";
    BITGET_UNIFIED_DEPOSITS = Get "/api/v3/account/deposit-records" Bitget Signed BitgetPerSecond(10)
        "unified deposits";
    BITGET_UNIFIED_WITHDRAWALS = Get "/api/v3/account/withdrawal-records" Bitget Signed BitgetPerSecond(10)
        "unified withdrawals";
    BITGET_UNIFIED_CONVERTS = Get "/api/v3/account/convert-records" Bitget Signed BitgetPerSecond(20)
        "unified convert trades";
    // Copy trading (docs/venues.md §1.17, §2.11): the lead trader's status, copied and lead orders closed, profit
    // shares received; reads only
    BINANCE_COPY_LEAD_STATUS = Get "/sapi/v1/copyTrading/futures/userStatus" BinanceSpot Signed BinanceUid(20)
        "lead trader status";
    BITGET_COPY_FOLLOWER_ORDERS = Get "/api/v2/copy/mix-follower/query-history-orders" Bitget Signed
        BitgetPerSecond(5) "copied orders closed";
    BITGET_COPY_TRADER_ORDERS = Get "/api/v2/copy/mix-trader/order-history-track" Bitget Signed BitgetPerSecond(5)
        "lead orders closed";
    BITGET_COPY_PROFIT_SHARES = Get "/api/v2/copy/mix-trader/profit-history-details" Bitget Signed
        BitgetPerSecond(5) "profit shares received";
    // Bitget tax records (docs/venues.md §2.13): every balance change with its type, the completeness check;
    // 1 request a second per UID each
    BITGET_TAX_SPOT = Get "/api/v2/tax/spot-record" Bitget Signed BitgetPerSecond(1) "spot tax records";
    BITGET_TAX_FUTURES = Get "/api/v2/tax/future-record" Bitget Signed BitgetPerSecond(1) "futures tax records";
    BITGET_TAX_MARGIN = Get "/api/v2/tax/margin-record" Bitget Signed BitgetPerSecond(1) "margin tax records";
    BITGET_TAX_P2P = Get "/api/v2/tax/p2p-record" Bitget Signed BitgetPerSecond(1) "P2P tax records";
    // Bitget Earn savings (docs/venues.md §2.14): the holdings, flexible and fixed-term, and their subscriptions,
    // redemptions and interest; 10 requests a second per UID each
    BITGET_SAVINGS_ASSETS = Get "/api/v2/earn/savings/assets" Bitget Signed BitgetPerSecond(10) "Earn savings holdings";
    BITGET_SAVINGS_RECORDS = Get "/api/v2/earn/savings/records" Bitget Signed BitgetPerSecond(10)
        "Earn savings subscriptions, redemptions and interest";
    // Bitget Earn shark fin (docs/venues.md §2.16): the Earn overview (every Earn product's holdings per coin, of
    // which the shark fin wallet is what the savings holdings leave) and the shark fin subscriptions, redemptions and
    // interest; 10 requests a second per UID each
    BITGET_EARN_ASSETS = Get "/api/v2/earn/account/assets" Bitget Signed BitgetPerSecond(10)
        "Earn holdings per coin, every product";
    BITGET_SHARKFIN_RECORDS = Get "/api/v2/earn/sharkfin/records" Bitget Signed BitgetPerSecond(10)
        "Earn shark fin subscriptions, redemptions and interest";
    // Bitget Earn crypto loans (docs/venues.md §2.17): the open loans (the loan wallet's collateral and debt), the
    // loans taken and the repays; 10 requests a second per UID each
    BITGET_LOAN_ORDERS = Get "/api/v2/earn/loan/ongoing-orders" Bitget Signed BitgetPerSecond(10)
        "open crypto loans: collateral and principal";
    BITGET_LOAN_BORROWS = Get "/api/v2/earn/loan/borrow-history" Bitget Signed BitgetPerSecond(10) "crypto loans taken";
    BITGET_LOAN_REPAYS = Get "/api/v2/earn/loan/repay-history" Bitget Signed BitgetPerSecond(10) "crypto loan repays";
}

/// The allow-listed endpoint for exactly this venue, method and path (case-sensitive, no normalisation: the
/// caller parses strictly first), or `None`: refuse.
pub fn lookup(venue: Venue, method: Method, path: &str) -> Option<&'static Endpoint> {
    ENDPOINTS.iter().find(|e| e.venue == venue && e.method == method && e.path == path)
}

/// The allow-listed endpoint at this path for this venue, whatever the method.
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
    fn every_endpoint_a_client_can_name_is_allow_listed() {
        // An `Endpoint` cannot be made outside this crate, so the constants are every endpoint a client can build a
        // request for; each is what the relay's lookup finds for its venue, method and path.
        for e in ENDPOINTS {
            assert_eq!(lookup(e.venue, e.method, e.path), Some(e), "{}", e.path);
        }
        for (constant, path) in [
            (BINANCE_MY_TRADES, "/api/v3/myTrades"),
            (BINANCE_FUNDING_ASSETS, "/sapi/v1/asset/get-funding-asset"),
            (BINANCE_POSITIONS, "/fapi/v3/positionRisk"),
            (BITGET_SPOT_FILLS, "/api/v2/spot/trade/fills"),
            (BITGET_UNIFIED_CONVERTS, "/api/v3/account/convert-records"),
            (BINANCE_EARN_FLEXIBLE_POSITION, "/sapi/v1/simple-earn/flexible/position"),
            (BINANCE_EARN_LOCKED_REWARDS, "/sapi/v1/simple-earn/locked/history/rewardsRecord"),
            (BINANCE_COINM_INCOME, "/dapi/v1/income"),
        ] {
            assert_eq!(constant.path, path);
            assert_eq!(lookup(constant.venue, constant.method, path), Some(&constant));
        }
    }

    #[test]
    fn the_only_non_get_is_binance_funding_wallet() {
        let posts: Vec<_> = ENDPOINTS.iter().filter(|e| e.method != Method::Get).map(|e| e.path).collect();
        assert_eq!(posts, [BINANCE_FUNDING_ASSETS.path]);
    }

    /// The write siblings of what the catalogue reads (each from the venue's documentation, docs/venues.md §1.10 and
    /// §2.9): orders, withdrawals, transfers, converts, Earn subscriptions and redemptions, margin borrowing and
    /// repaying, COIN-M orders, P2P, Pay and copy-trading settings. None is allow-listed.
    #[test]
    fn write_siblings_stay_refused() {
        let writes: &[(Venue, &str)] = &[
            // Binance spot and wallet
            (Venue::Binance, "/api/v3/order"),
            (Venue::Binance, "/api/v3/order/oco"),
            (Venue::Binance, "/api/v3/orderList/oto"),
            (Venue::Binance, "/api/v3/order/cancelReplace"),
            (Venue::Binance, "/api/v3/openOrders"),
            (Venue::Binance, "/sapi/v1/capital/withdraw/apply"),
            (Venue::Binance, "/sapi/v1/asset/transfer"),
            (Venue::Binance, "/sapi/v1/asset/dust"),
            (Venue::Binance, "/sapi/v1/convert/getQuote"),
            (Venue::Binance, "/sapi/v1/convert/acceptQuote"),
            (Venue::Binance, "/sapi/v1/sub-account/universalTransfer"),
            (Venue::Binance, "/sapi/v1/simple-earn/flexible/subscribe"),
            (Venue::Binance, "/sapi/v1/simple-earn/flexible/redeem"),
            (Venue::Binance, "/sapi/v1/simple-earn/locked/subscribe"),
            (Venue::Binance, "/sapi/v1/simple-earn/locked/redeem"),
            (Venue::Binance, "/sapi/v1/simple-earn/flexible/setAutoSubscribe"),
            (Venue::Binance, "/sapi/v1/simple-earn/locked/setAutoSubscribe"),
            (Venue::Binance, "/sapi/v1/simple-earn/locked/setRedeemOption"),
            (Venue::Binance, "/sapi/v1/staking/purchase"),
            (Venue::Binance, "/sapi/v1/margin/borrow-repay"),
            (Venue::Binance, "/sapi/v1/margin/order"),
            (Venue::Binance, "/sapi/v1/margin/transfer"),
            (Venue::Binance, "/sapi/v1/margin/isolated/transfer"),
            (Venue::Binance, "/sapi/v1/pay/transactions/transfer"),
            (Venue::Binance, "/sapi/v1/c2c/orderMatch/placeOrder"),
            // Binance fiat, P2P and Pay (docs/venues.md §1.15): only their histories are read
            (Venue::Binance, "/sapi/v1/fiat/deposit"),
            (Venue::Binance, "/sapi/v1/fiat/withdraw"),
            (Venue::Binance, "/sapi/v1/fiat/get-order-detail"),
            (Venue::Binance, "/sapi/v1/c2c/ads/post"),
            (Venue::Binance, "/sapi/v1/c2c/orderMatch/markOrderAsPaid"),
            (Venue::Binance, "/sapi/v1/c2c/orderMatch/releaseCoin"),
            (Venue::Binance, "/sapi/v1/c2c/orderMatch/cancelOrder"),
            (Venue::Binance, "/sapi/v1/pay/transfer"),
            // Binance ETH and SOL staking (docs/venues.md §1.16): only their histories are read
            (Venue::Binance, "/sapi/v2/eth-staking/eth/stake"),
            (Venue::Binance, "/sapi/v1/eth-staking/eth/stake"),
            (Venue::Binance, "/sapi/v1/eth-staking/eth/redeem"),
            (Venue::Binance, "/sapi/v1/eth-staking/wbeth/wrap"),
            (Venue::Binance, "/sapi/v1/sol-staking/sol/stake"),
            (Venue::Binance, "/sapi/v1/sol-staking/sol/redeem"),
            (Venue::Binance, "/sapi/v1/sol-staking/sol/claim"),
            (Venue::Binance, "/sapi/v1/copyTrading/futures/leadSymbol"),
            // Binance margin (docs/venues.md §1.18): borrowing, repaying, orders, transfers, enabling or disabling
            // an isolated pair (POST and DELETE at the isolated account's read path), liquidating, small liabilities
            (Venue::Binance, "/sapi/v1/margin/isolated/account"),
            (Venue::Binance, "/sapi/v1/margin/manual-liquidation"),
            (Venue::Binance, "/sapi/v1/margin/exchange-small-liability"),
            (Venue::Binance, "/sapi/v1/margin/order/oco"),
            (Venue::Binance, "/sapi/v1/margin/openOrders"),
            (Venue::Binance, "/sapi/v1/margin/loan"),
            (Venue::Binance, "/sapi/v1/margin/repay"),
            // Binance futures (USDⓈ-M and COIN-M)
            (Venue::Binance, "/fapi/v1/order"),
            (Venue::Binance, "/fapi/v1/batchOrders"),
            (Venue::Binance, "/fapi/v1/leverage"),
            (Venue::Binance, "/fapi/v1/marginType"),
            (Venue::Binance, "/fapi/v1/positionMargin"),
            (Venue::Binance, "/dapi/v1/order"),
            (Venue::Binance, "/dapi/v1/leverage"),
            (Venue::Binance, "/dapi/v1/batchOrders"),
            (Venue::Binance, "/dapi/v1/marginType"),
            (Venue::Binance, "/dapi/v1/positionMargin"),
            (Venue::Binance, "/dapi/v1/positionSide/dual"),
            (Venue::Binance, "/dapi/v1/listenKey"),
            // Bitget
            (Venue::Bitget, "/api/v2/spot/trade/place-order"),
            (Venue::Bitget, "/api/v2/spot/trade/cancel-order"),
            (Venue::Bitget, "/api/v2/spot/wallet/withdrawal"),
            (Venue::Bitget, "/api/v2/spot/wallet/transfer"),
            (Venue::Bitget, "/api/v2/spot/wallet/subaccount-transfer"),
            (Venue::Bitget, "/api/v2/mix/order/place-order"),
            (Venue::Bitget, "/api/v2/mix/account/set-leverage"),
            (Venue::Bitget, "/api/v2/mix/account/set-margin"),
            (Venue::Bitget, "/api/v2/convert/trade"),
            (Venue::Bitget, "/api/v2/earn/savings/subscribe"),
            (Venue::Bitget, "/api/v2/earn/savings/redeem"),
            (Venue::Bitget, "/api/v2/earn/sharkfin/subscribe"),
            (Venue::Bitget, "/api/v2/earn/loan/borrow"),
            (Venue::Bitget, "/api/v2/earn/loan/repay"),
            // shark fin and crypto loans (docs/venues.md §2.16): redeeming, and adding or taking back collateral
            (Venue::Bitget, "/api/v2/earn/sharkfin/redeem"),
            (Venue::Bitget, "/api/v2/earn/loan/revise-pledge"),
            (Venue::Bitget, "/api/v2/earn/loan/pledge"),
            (Venue::Bitget, "/api/v2/margin/crossed/account/borrow"),
            (Venue::Bitget, "/api/v2/margin/crossed/account/repay"),
            (Venue::Bitget, "/api/v2/margin/isolated/account/borrow"),
            (Venue::Bitget, "/api/v2/margin/crossed/place-order"),
            (Venue::Bitget, "/api/v2/copy/mix-follower/settings"),
            (Venue::Bitget, "/api/v2/copy/mix-trader/order-close-positions"),
            (Venue::Bitget, "/api/v2/p2p/advList"),
            (Venue::Bitget, "/api/v3/trade/place-order"),
            (Venue::Bitget, "/api/v3/account/transfer"),
            (Venue::Bitget, "/api/v3/account/set-leverage"),
            // copy trading (docs/venues.md §1.17, §2.11): settings, closing, take-profit and stop-loss, following
            (Venue::Bitget, "/api/v2/copy/mix-follower/setting-tpsl"),
            (Venue::Bitget, "/api/v2/copy/mix-follower/close-positions"),
            (Venue::Bitget, "/api/v2/copy/mix-follower/cancel-trader"),
            (Venue::Bitget, "/api/v2/copy/mix-trader/order-modify-tpsl"),
            (Venue::Bitget, "/api/v2/copy/mix-trader/config-setting-symbols"),
            (Venue::Bitget, "/api/v2/copy/mix-trader/config-setting-base"),
            (Venue::Bitget, "/api/v2/copy/mix-trader/remove-follower"),
            (Venue::Bitget, "/api/mix/v1/trace/closeTrackOrder"),
            (Venue::Bitget, "/api/mix/v1/trace/modifyTPSL"),
            (Venue::Bitget, "/api/v2/copy/mix-trader/order-close-tracking"),
            // COIN-M and USDC-M futures are the same paths with another productType (docs/venues.md §2.12)
            (Venue::Bitget, "/api/v2/mix/order/batch-place-order"),
            (Venue::Bitget, "/api/v2/mix/order/close-positions"),
            (Venue::Bitget, "/api/v2/mix/account/set-margin-mode"),
            (Venue::Bitget, "/api/v2/mix/account/set-position-mode"),
            // Bitget cross margin (docs/venues.md §2.15), besides borrowing, repaying and placing an order above: flash
            // repay, batch orders, cancels
            (Venue::Bitget, "/api/v2/margin/crossed/account/flash-repay"),
            (Venue::Bitget, "/api/v2/margin/crossed/batch-place-order"),
            (Venue::Bitget, "/api/v2/margin/crossed/cancel-order"),
            (Venue::Bitget, "/api/v2/margin/crossed/batch-cancel-order"),
            // Bitget isolated margin (docs/venues.md §2.18), besides borrowing above: repay, flash repay, orders,
            // cancels (transfers in and out are `/api/v2/spot/wallet/transfer`, above)
            (Venue::Bitget, "/api/v2/margin/isolated/account/repay"),
            (Venue::Bitget, "/api/v2/margin/isolated/account/flash-repay"),
            (Venue::Bitget, "/api/v2/margin/isolated/place-order"),
            (Venue::Bitget, "/api/v2/margin/isolated/batch-place-order"),
            (Venue::Bitget, "/api/v2/margin/isolated/cancel-order"),
            (Venue::Bitget, "/api/v2/margin/isolated/batch-cancel-order"),
        ];
        // Writes are POST (DELETE and PUT are not methods the catalogue can list at all); a GET at the same path is
        // the read sibling (`/sapi/v1/asset/transfer` lists transfers), allowed only where listed above.
        for &(venue, path) in writes {
            assert!(lookup(venue, Method::Post, path).is_none(), "{venue} POST {path} is allow-listed");
        }
        let reads_at_write_paths: Vec<&str> =
            writes.iter().filter(|(v, p)| lookup(*v, Method::Get, p).is_some()).map(|(_, p)| *p).collect();
        assert_eq!(
            reads_at_write_paths,
            ["/sapi/v1/asset/transfer", "/sapi/v1/margin/borrow-repay", "/sapi/v1/margin/isolated/account"]
        );
    }

    /// Margin is read through seven GETs, each counted per IP on the SAPI limiter with the weights of docs/venues.md
    /// §1.18; none is UID-weighted. Their write siblings (borrow, repay, orders, transfers, enabling an isolated pair)
    /// stay refused above.
    #[test]
    fn margin_entries_are_reads() {
        let margin: Vec<&Endpoint> = ENDPOINTS.iter().filter(|e| e.path.starts_with("/sapi/v1/margin/")).collect();
        let weights: Vec<(&str, u32)> = margin.iter().map(|e| (e.path, e.weight("symbol=BTCUSDT"))).collect();
        assert_eq!(
            weights,
            [
                ("/sapi/v1/margin/account", 10),
                ("/sapi/v1/margin/isolated/account", 10),
                ("/sapi/v1/margin/borrow-repay", 10),
                ("/sapi/v1/margin/interestHistory", 1),
                ("/sapi/v1/margin/myTrades", 10),
                ("/sapi/v1/margin/forceLiquidationRec", 1),
                ("/sapi/v1/margin/capital-flow", 100),
            ]
        );
        for e in margin {
            assert_eq!((e.method, e.security, e.limiter()), (Method::Get, Security::Signed, Limiter::BinanceSapiIp));
            assert!(lookup(Venue::Binance, Method::Post, e.path).is_none(), "{}", e.path);
        }
    }

    /// Bitget cross margin is read through four signed GETs at 10 a second per UID (docs/venues.md §2.15); its
    /// write siblings (borrow, repay, orders) stay refused above, and nothing under the cross margin path is a POST.
    #[test]
    fn bitget_cross_margin_entries_are_reads() {
        let margin: Vec<&Endpoint> =
            ENDPOINTS.iter().filter(|e| e.path.starts_with("/api/v2/margin/crossed/")).collect();
        let paths: Vec<&str> = margin.iter().map(|e| e.path).collect();
        assert_eq!(
            paths,
            [
                "/api/v2/margin/crossed/account/assets",
                "/api/v2/margin/crossed/financial-records",
                "/api/v2/margin/crossed/interest-history",
                "/api/v2/margin/crossed/fills",
            ]
        );
        for e in margin {
            assert_eq!((e.method, e.security, e.cost), (Method::Get, Security::Signed, Cost::BitgetPerSecond(10)));
            assert_eq!(e.limiter(), Limiter::BitgetSigned, "{}", e.path);
            assert!(lookup(Venue::Bitget, Method::Post, e.path).is_none(), "{}", e.path);
        }
    }

    /// Bitget isolated margin is read through four signed GETs at 10 a second per UID, the cross ones with `isolated`
    /// in the path (docs/venues.md §2.18); its write siblings (borrow, repay, flash repay, orders) stay refused above,
    /// and nothing under the isolated margin path is a POST.
    #[test]
    fn bitget_isolated_margin_entries_are_reads() {
        let margin: Vec<&Endpoint> =
            ENDPOINTS.iter().filter(|e| e.path.starts_with("/api/v2/margin/isolated/")).collect();
        let paths: Vec<&str> = margin.iter().map(|e| e.path).collect();
        let cross: Vec<String> = ENDPOINTS
            .iter()
            .filter(|e| e.path.starts_with("/api/v2/margin/crossed/"))
            .map(|e| e.path.replace("/crossed/", "/isolated/"))
            .collect();
        assert_eq!(paths, cross);
        assert_eq!(paths.len(), 4);
        for e in margin {
            assert_eq!((e.method, e.security, e.cost), (Method::Get, Security::Signed, Cost::BitgetPerSecond(10)));
            assert_eq!(e.limiter(), Limiter::BitgetSigned, "{}", e.path);
            assert!(lookup(Venue::Bitget, Method::Post, e.path).is_none(), "{}", e.path);
        }
    }

    /// Copy trading is read through four GETs (docs/venues.md §1.17, §2.11): Binance's lead status on the SAPI UID
    /// limiter (weight 20), Bitget's closed copied and lead orders and profit shares at 5 a second per UID; their
    /// settings, closing and follow siblings stay refused above, and the reads the sync does not need (the lead
    /// symbols, the open tracking orders, the profit summary) are not listed.
    #[test]
    fn copy_trading_entries_are_reads() {
        assert_eq!(BINANCE_COPY_LEAD_STATUS.limiter(), Limiter::BinanceSapiUid);
        assert_eq!(BINANCE_COPY_LEAD_STATUS.weight(""), 20);
        let copy: Vec<&Endpoint> = ENDPOINTS.iter().filter(|e| e.path.contains("/copy")).collect();
        assert_eq!(copy.len(), 4);
        for e in copy {
            assert_eq!((e.method, e.security), (Method::Get, Security::Signed), "{}", e.path);
        }
        for read_not_needed in [
            (Venue::Binance, "/sapi/v1/copyTrading/futures/leadSymbol"),
            (Venue::Bitget, "/api/v2/copy/mix-follower/query-current-orders"),
            (Venue::Bitget, "/api/v2/copy/mix-trader/order-current-track"),
            (Venue::Bitget, "/api/v2/copy/mix-trader/profit-history-summarys"),
        ] {
            assert!(lookup(read_not_needed.0, Method::Get, read_not_needed.1).is_none(), "{}", read_not_needed.1);
        }
        for e in [&BITGET_COPY_FOLLOWER_ORDERS, &BITGET_COPY_TRADER_ORDERS, &BITGET_COPY_PROFIT_SHARES] {
            assert_eq!((e.cost, e.limiter()), (Cost::BitgetPerSecond(5), Limiter::BitgetSigned), "{}", e.path);
        }
    }

    /// Simple Earn is read through its positions and histories only, each a GET of weight 150 counted per IP on the
    /// SAPI limiter (docs/venues.md §1.12); its subscribe, redeem and auto-subscribe siblings stay refused above.
    #[test]
    fn simple_earn_entries_are_reads() {
        let earn: Vec<&Endpoint> = ENDPOINTS.iter().filter(|e| e.path.starts_with("/sapi/v1/simple-earn/")).collect();
        assert_eq!(earn.len(), 8);
        for e in earn {
            assert_eq!(
                (e.method, e.security, e.cost),
                (Method::Get, Security::Signed, Cost::BinanceIp(150)),
                "{}",
                e.path
            );
            assert_eq!(e.limiter(), Limiter::BinanceSapiIp, "{}", e.path);
            assert!(e.path.ends_with("/position") || e.path.contains("/history/"), "{} is not a read", e.path);
        }
    }

    /// ETH and SOL staking are read through their histories only, each a GET of weight 150 counted per IP on the
    /// SAPI limiter (docs/venues.md §1.16); the stake, redeem, wrap and claim siblings stay refused above.
    #[test]
    fn staking_entries_are_history_reads() {
        let staking: Vec<&Endpoint> = ENDPOINTS.iter().filter(|e| e.path.contains("-staking/")).collect();
        assert_eq!(staking.len(), 8);
        for e in staking {
            assert_eq!(
                (e.method, e.security, e.cost),
                (Method::Get, Security::Signed, Cost::BinanceIp(150)),
                "{}",
                e.path
            );
            assert_eq!(e.limiter(), Limiter::BinanceSapiIp, "{}", e.path);
            assert!(e.path.contains("/history/"), "{} is not a history read", e.path);
        }
    }

    /// COIN-M is read through six GETs on the dapi host, each counted on the dapi's own per-IP minute (6000, apart
    /// from fapi's 2400), with the weights of docs/venues.md §1.14; its order, leverage and margin siblings stay
    /// refused above.
    #[test]
    fn coin_m_entries_are_reads_on_the_dapi_host() {
        let coinm: Vec<&Endpoint> = ENDPOINTS.iter().filter(|e| e.path.starts_with("/dapi/")).collect();
        let weights: Vec<(&str, u32)> = coinm.iter().map(|e| (e.path, e.weight("symbol=BTCUSD_PERP"))).collect();
        assert_eq!(
            weights,
            [
                ("/dapi/v1/exchangeInfo", 1),
                ("/dapi/v1/balance", 1),
                ("/dapi/v1/account", 5),
                ("/dapi/v1/positionRisk", 1),
                ("/dapi/v1/income", 20),
                ("/dapi/v1/userTrades", 20),
            ]
        );
        for e in &coinm {
            assert_eq!(
                (e.method, e.host, e.limiter()),
                (Method::Get, Host::BinanceCoinFutures, Limiter::BinanceCoinFuturesIp)
            );
        }
        assert_eq!(BINANCE_COINM_TRADES.weight("pair=BTCUSD&startTime=1"), 40);
        assert_eq!(BINANCE_COINM_EXCHANGE_INFO.security, Security::Public);
        assert_eq!(Limiter::BinanceCoinFuturesIp.shared_limit(), Some(6_000));
        assert_eq!(Limiter::BinanceCoinFuturesIp.usage_header(), Some("x-mbx-used-weight-1m"));
        assert_eq!(Limiter::BinanceCoinFuturesIp.counted_per(), CountedPer::Ip);
        assert_eq!(Host::BinanceCoinFutures.default_base_url(), "https://dapi.binance.com");
    }

    /// Asset dividends are a read of weight 10 on the SAPI IP limiter (docs/venues.md §1.13).
    #[test]
    fn asset_dividends_are_a_read() {
        let e = lookup(Venue::Binance, Method::Get, "/sapi/v1/asset/assetDividend").unwrap();
        assert_eq!((*e, e.weight("limit=500"), e.limiter()), (BINANCE_ASSET_DIVIDENDS, 10, Limiter::BinanceSapiIp));
        assert!(lookup(Venue::Binance, Method::Post, "/sapi/v1/asset/assetDividend").is_none());
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
        assert_eq!(BINANCE_PREMIUM_INDEX.weight(""), 10);
        assert_eq!(BINANCE_PREMIUM_INDEX.weight("symbol=BTCUSDT"), 1);
        assert_eq!(BITGET_SPOT_FILLS.weight("symbol=BTCUSDT"), 0);
    }

    #[test]
    fn limiters_follow_host_path_and_security() {
        assert_eq!(BINANCE_ACCOUNT.limiter(), Limiter::BinanceSpotIp);
        assert_eq!(BINANCE_DEPOSITS.limiter(), Limiter::BinanceSapiIp);
        assert_eq!(BINANCE_WITHDRAWALS.limiter(), Limiter::BinanceSapiUid);
        assert_eq!(BINANCE_CONVERTS.limiter(), Limiter::BinanceSapiUid);
        // fiat orders and Pay are counted per account (UID), card payments and P2P per IP (docs/venues.md §1.15)
        assert_eq!((BINANCE_FIAT_ORDERS.limiter(), BINANCE_FIAT_ORDERS.weight("")), (Limiter::BinanceSapiUid, 90000));
        assert_eq!(
            (BINANCE_PAY_TRANSACTIONS.limiter(), BINANCE_PAY_TRANSACTIONS.weight("")),
            (Limiter::BinanceSapiUid, 3000)
        );
        assert_eq!((BINANCE_FIAT_PAYMENTS.limiter(), BINANCE_FIAT_PAYMENTS.weight("")), (Limiter::BinanceSapiIp, 1));
        assert_eq!((BINANCE_C2C_TRADES.limiter(), BINANCE_C2C_TRADES.weight("")), (Limiter::BinanceSapiIp, 1));
        assert_eq!(BINANCE_FUTURES_INCOME.limiter(), Limiter::BinanceFuturesIp);
        assert_eq!(BITGET_CANDLES.limiter(), Limiter::BitgetPublic);
        assert_eq!(BITGET_SPOT_FILLS.limiter(), Limiter::BitgetSigned);
        assert_eq!(
            (BINANCE_ACCOUNT.limit(), BINANCE_WITHDRAWALS.limit(), BINANCE_FUTURES_INCOME.limit()),
            (6_000, 180_000, 2_400)
        );
        assert_eq!((BINANCE_DUST.limit(), BITGET_POSITIONS.limit(), BITGET_CANDLES.limit()), (12_000, 5, 20));
        for e in ENDPOINTS {
            let l = e.limiter();
            assert_eq!(l.shared_limit().is_none(), e.venue == Venue::Bitget, "{}", e.path);
            assert_eq!(l.usage_header().is_some(), e.venue == Venue::Binance, "{}", e.path);
            assert_eq!(l.window_ms(), if e.venue == Venue::Binance { 60_000 } else { 1_000 });
            // Bitget counts public endpoints per IP and signed ones per account
            if e.venue == Venue::Bitget {
                let per = if e.security == Security::Public { CountedPer::Ip } else { CountedPer::Account };
                assert_eq!(l.counted_per(), per, "{}", e.path);
            }
        }
        assert_eq!(Limiter::BinanceSapiUid.counted_per(), CountedPer::Account);
        assert_eq!(Limiter::BinanceSapiIp.usage_header(), Some("x-sapi-used-ip-weight-1m"));
        assert_eq!(Limiter::BinanceSapiUid.usage_header(), Some("x-sapi-used-uid-weight-1m"));
        assert_eq!(Limiter::BinanceFuturesIp.usage_header(), Some("x-mbx-used-weight-1m"));
        // Bitget's overall per-IP minute, counted besides each endpoint's own limit; no endpoint draws from it alone
        let bitget_ip = Limiter::BitgetIp;
        assert_eq!(
            (bitget_ip.shared_limit(), bitget_ip.window_ms(), bitget_ip.counted_per()),
            (Some(6_000), 60_000, CountedPer::Ip)
        );
        for e in ENDPOINTS {
            assert_ne!(e.limiter(), Limiter::BitgetIp);
            let also = if e.venue == Venue::Bitget { Some(Limiter::BitgetIp) } else { None };
            let also = if e.limiter() == Limiter::BinanceSapiUid { Some(Limiter::BinanceSapiIp) } else { also };
            assert_eq!(e.limiter().also_counts(), also, "{}", e.path);
        }
    }

    #[test]
    fn hosts_follow_the_first_segment() {
        assert_eq!(Venue::Binance.host_for("/sapi/v1/x"), Some(Host::BinanceSpot));
        assert_eq!(Venue::Binance.host_for("/fapi/v1/x"), Some(Host::BinanceFutures));
        assert_eq!(Venue::Binance.host_for("/dapi/v1/x"), Some(Host::BinanceCoinFutures));
        assert_eq!(Venue::Binance.host_for("/eapi/v1/x"), None);
        assert_eq!(Venue::Bitget.host_for("/fapi/v1/x"), None);
        assert_eq!(Venue::parse("Binance"), None);
    }

    /// Bitget Earn is read through its savings holdings and records (docs/venues.md §2.14), the Earn overview and the
    /// shark fin records (§2.16) and the crypto loans' open orders, loan history and repays (§2.17), seven signed GETs
    /// at 10 a second per UID; the savings account's estimates, the shark fin products page (no quantity), the loans'
    /// debts, liquidations and collateral changes are not read, and the subscribe, redeem, borrow, repay and pledge
    /// siblings stay refused above.
    #[test]
    fn bitget_earn_entries_are_savings_sharkfin_and_loan_reads() {
        let earn: Vec<&Endpoint> = ENDPOINTS.iter().filter(|e| e.path.starts_with("/api/v2/earn/")).collect();
        let paths: Vec<&str> = earn.iter().map(|e| e.path).collect();
        assert_eq!(
            paths,
            [
                "/api/v2/earn/savings/assets",
                "/api/v2/earn/savings/records",
                "/api/v2/earn/account/assets",
                "/api/v2/earn/sharkfin/records",
                "/api/v2/earn/loan/ongoing-orders",
                "/api/v2/earn/loan/borrow-history",
                "/api/v2/earn/loan/repay-history"
            ]
        );
        for e in earn {
            assert_eq!(
                (e.method, e.security, e.cost, e.limiter()),
                (Method::Get, Security::Signed, Cost::BitgetPerSecond(10), Limiter::BitgetSigned),
                "{}",
                e.path
            );
            assert!(lookup(Venue::Bitget, Method::Post, e.path).is_none(), "{}", e.path);
        }
        let not_read = [
            "/api/v2/earn/savings/account",
            "/api/v2/earn/sharkfin/assets",
            "/api/v2/earn/loan/debts",
            "/api/v2/earn/loan/reduces",
            "/api/v2/earn/loan/revise-history",
        ];
        for not_read in not_read {
            assert!(lookup(Venue::Bitget, Method::Get, not_read).is_none(), "{not_read}");
        }
    }

    /// Bitget's tax records (docs/venues.md §2.13) are four signed GETs, each limited to one request a second per
    /// UID; the tax pages document no write sibling, and no POST at their paths is allow-listed.
    #[test]
    fn bitget_tax_records_are_reads_of_one_a_second() {
        let tax: Vec<&Endpoint> = ENDPOINTS.iter().filter(|e| e.path.starts_with("/api/v2/tax/")).collect();
        let paths: Vec<&str> = tax.iter().map(|e| e.path).collect();
        assert_eq!(
            paths,
            [
                "/api/v2/tax/spot-record",
                "/api/v2/tax/future-record",
                "/api/v2/tax/margin-record",
                "/api/v2/tax/p2p-record"
            ]
        );
        for e in tax {
            assert_eq!(
                (e.method, e.security, e.cost, e.limit()),
                (Method::Get, Security::Signed, Cost::BitgetPerSecond(1), 1)
            );
            assert_eq!(e.limiter(), Limiter::BitgetSigned, "{}", e.path);
            assert!(lookup(Venue::Bitget, Method::Post, e.path).is_none(), "{}", e.path);
        }
    }
}
