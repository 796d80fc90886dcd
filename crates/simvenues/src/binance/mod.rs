//! The simulated Binance: spot and wallet (`api`, SAPI) on one server, USDⓈ-M futures (`fapi`) on another, sharing
//! the accounts and keys. Requests are checked as Binance does: API key, IP restriction, `timestamp` and
//! `recvWindow` (including the 1 s ahead tolerance and the 60000 maximum), HMAC-SHA256 hex (either case) or Ed25519
//! base64 signature over the raw query string followed by the raw body, then the key's permissions.

mod auth;
mod copy;
mod endpoints;
mod fiat;
mod margin;
pub mod register;
mod staking;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use catalogue::Limiter;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::breach::{Breach, BreachLog};
use crate::faults::{FaultKind, Faults, broken_body};
use crate::generator::World;
use crate::http::{Params, Req, json_response, now_ms};
use crate::keys::{DemoKey, WriteClass};
use crate::ratelimit::{BinanceWeights, Limits, Verdict, usage_header};
use crate::stage::Stage;

pub use auth::{hmac_hex, verify_ed25519};

/// Binance behaviours that docs/venues.md §5 marks UNCONFIRMED, as settings defaulting to the documented behaviour.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    /// Futures reads (`/fapi/*` and `/dapi/*` signed) need `enableFutures` (default false: reading is enough).
    pub futures_reads_need_enable_futures: bool,
    /// HTTP status of `-2014 API-key format invalid.` (default 401).
    pub bad_key_format_status: u16,
    /// Message of `-1131` for recvWindow > 60000.
    pub recv_window_msg: String,
    /// Maximum days between startTime and endTime of `/fapi/v1/income` (default none: not documented).
    pub income_max_window_days: Option<i64>,
    /// Added to the system clock to get the venue's server time.
    pub clock_offset_ms: i64,
    /// The venue's server time, fixed (tests replay documented examples at their own time with it: a clock that
    /// runs would give a slow machine only the timestamp tolerance to send them).
    pub fixed_clock_ms: Option<i64>,
    /// Serves the flexible Simple Earn rewards with this `type` instead of `REALTIME` (a test control, not a venue
    /// fact: a type the client does not know, which it must keep as other income with a warning).
    pub earn_reward_type: Option<String>,
    /// Test control, not a venue fact: serve the COIN-M funding rows of `/dapi/v1/income` under this income type
    /// instead of `FUNDING_FEE` (a type the client does not know, which it must keep as other income with a warning).
    pub coinm_funding_type: Option<String>,
    /// `myTrades` of a pair exchangeInfo no longer lists answers the account's trades (default true); false: -1121
    /// like any unknown symbol. The venue's pages do not say which (docs/venues.md §5).
    pub delisted_trades_served: bool,
    /// Listed pairs `exchangeInfo` leaves out while their `myTrades` still answers (default none): a pair removed
    /// from the list while other listed pairs name both its assets (`ETHBTC` while `ETHUSDT` and `BTCUSDT` trade
    /// on; docs/venues.md §1.6, "Delisted pairs"). A test control: the accounts' trades stay as generated.
    #[serde(default)]
    pub unlisted: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            futures_reads_need_enable_futures: false,
            bad_key_format_status: 401,
            recv_window_msg: "recvWindow must be less than 60000".into(),
            income_max_window_days: None,
            clock_offset_ms: 0,
            fixed_clock_ms: None,
            earn_reward_type: None,
            coinm_funding_type: None,
            delisted_trades_served: true,
            unlisted: Vec::new(),
        }
    }
}

impl Settings {
    /// The venue's server time now.
    pub fn now_ms(&self) -> i64 {
        self.fixed_clock_ms.unwrap_or_else(|| now_ms() + self.clock_offset_ms)
    }
}

/// Which server a request arrived at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host {
    /// `api.binance.com`: `/api/*` and `/sapi/*`.
    Spot,
    /// `fapi.binance.com`: `/fapi/*`.
    Futures,
    /// `dapi.binance.com`: `/dapi/*` (COIN-M futures).
    CoinFutures,
}

impl Host {
    /// The catalogue's name for this host.
    pub fn catalogue(self) -> catalogue::Host {
        match self {
            Host::Spot => catalogue::Host::BinanceSpot,
            Host::Futures => catalogue::Host::BinanceFutures,
            Host::CoinFutures => catalogue::Host::BinanceCoinFutures,
        }
    }

    /// The simulated host serving a catalogue host of Binance.
    pub fn of(host: catalogue::Host) -> Host {
        match host {
            catalogue::Host::BinanceFutures => Host::Futures,
            catalogue::Host::BinanceCoinFutures => Host::CoinFutures,
            _ => Host::Spot,
        }
    }
}

/// A venue error: HTTP status, Binance code and message.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Binance error code.
    pub code: i64,
    /// Message.
    pub msg: String,
}

impl ApiError {
    fn new(status: u16, code: i64, msg: impl Into<String>) -> Self {
        ApiError { status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST), code, msg: msg.into() }
    }
    pub(crate) fn bad(code: i64, msg: impl Into<String>) -> Self {
        Self::new(400, code, msg)
    }
    pub(crate) fn mandatory(p: &str) -> Self {
        Self::bad(-1102, format!("Mandatory parameter '{p}' was not sent, was empty/null, or malformed."))
    }
    pub(crate) fn invalid(p: &str) -> Self {
        Self::bad(-1130, format!("Data sent for parameter '{p}' is not valid."))
    }
    pub(crate) fn hours(h: i64) -> Self {
        Self::bad(-1127, format!("More than {h} hours between startTime and endTime."))
    }
}

struct KeyEntry {
    key: DemoKey,
    account: usize,
    verifying: Option<ed25519_dalek::VerifyingKey>,
}

/// The simulated Binance (both servers share one).
pub struct Binance {
    stage: Arc<Stage>,
    /// The generated keys, and the keys registered since (sandbox only, [`register`]).
    keys: std::sync::RwLock<HashMap<String, Arc<KeyEntry>>>,
    settings: Settings,
    limits: Limits,
    weights: BinanceWeights,
    breaches: Arc<BreachLog>,
    faults_spot: Faults,
    faults_futures: Faults,
    faults_coin_futures: Faults,
}

/// An authenticated request.
pub(crate) struct Ctx<'a> {
    pub req: &'a Req,
    pub params: Params,
    pub world: &'a World,
    pub account: Option<&'a crate::generator::BinanceAccount>,
    pub key: Option<&'a DemoKey>,
    /// The venue's settings.
    pub settings: &'a Settings,
}

enum Security {
    None,
    Signed,
}

struct Endpoint {
    security: Security,
    /// The weight counter it draws from.
    limiter: Limiter,
    weight: fn(&Params) -> u32,
    handler: fn(&Ctx<'_>) -> Result<Value, ApiError>,
}

fn w(n: u32) -> fn(&Params) -> u32 {
    match n {
        1 => |_| 1,
        2 => |_| 2,
        5 => |_| 5,
        20 => |_| 20,
        10 => |_| 10,
        30 => |_| 30,
        40 => |_| 40,
        100 => |_| 100,
        150 => |_| 150,
        3000 => |_| 3000,
        18000 => |_| 18000,
        90000 => |_| 90000,
        _ => |_| 1,
    }
}

/// What a request asks for: an endpoint of the catalogue (what Meetcrypt reads, found by the catalogue's lookup on
/// the host it belongs to), or one the catalogue leaves out that other clients (CCXT) read. Security, weight and
/// counter are the simulated venue's own, declared here: the tests compare them with the catalogue's.
fn route(host: Host, method: &Method, path: &str) -> Option<Endpoint> {
    let method = match *method {
        Method::GET => catalogue::Method::Get,
        Method::POST => catalogue::Method::Post,
        _ => return None,
    };
    match catalogue::lookup(catalogue::Venue::Binance, method, path).filter(|k| k.host == host.catalogue()) {
        Some(known) => catalogued(known),
        None => uncatalogued(host, method, path),
    }
}

fn ep(
    security: Security,
    limiter: Limiter,
    weight: fn(&Params) -> u32,
    handler: fn(&Ctx<'_>) -> Result<Value, ApiError>,
) -> Option<Endpoint> {
    Some(Endpoint { security, limiter, weight, handler })
}

/// The simulated venue's answer to an endpoint of the catalogue: its security, weight and handler.
fn catalogued(known: &catalogue::Endpoint) -> Option<Endpoint> {
    use Limiter::{
        BinanceCoinFuturesIp as Dapi, BinanceFuturesIp as Fapi, BinanceSapiIp as SapiIp, BinanceSapiUid as SapiUid,
        BinanceSpotIp as Api,
    };
    use catalogue as c;
    use endpoints as e;
    match *known {
        c::BINANCE_TIME => ep(Security::None, Api, w(1), e::time),
        c::BINANCE_EXCHANGE_INFO => ep(Security::None, Api, w(20), e::exchange_info),
        c::BINANCE_TICKER_PRICE => ep(Security::None, Api, |p| if p.has("symbol") { 2 } else { 4 }, e::ticker_price),
        c::BINANCE_KLINES => ep(Security::None, Api, w(2), e::klines),
        c::BINANCE_ACCOUNT => ep(Security::Signed, Api, w(20), e::account),
        c::BINANCE_MY_TRADES => ep(Security::Signed, Api, |p| if p.has("orderId") { 5 } else { 20 }, e::my_trades),
        c::BINANCE_API_RESTRICTIONS => ep(Security::Signed, SapiIp, w(1), e::api_restrictions),
        c::BINANCE_DEPOSITS => ep(Security::Signed, SapiIp, w(1), e::deposits),
        c::BINANCE_WITHDRAWALS => ep(Security::Signed, SapiUid, w(18000), e::withdrawals),
        c::BINANCE_TRANSFERS => ep(Security::Signed, SapiIp, w(1), e::transfers),
        c::BINANCE_CONVERTS => ep(Security::Signed, SapiUid, w(3000), e::convert_flow),
        c::BINANCE_DUST => ep(Security::Signed, SapiIp, w(1), e::dribblet),
        c::BINANCE_FUNDING_ASSETS => ep(Security::Signed, SapiIp, w(1), e::funding_asset),
        c::BINANCE_ASSET_DIVIDENDS => ep(Security::Signed, SapiIp, w(10), e::asset_dividends),
        c::BINANCE_FIAT_ORDERS => ep(Security::Signed, SapiUid, w(90000), fiat::orders),
        c::BINANCE_FIAT_PAYMENTS => ep(Security::Signed, SapiIp, w(1), fiat::payments),
        c::BINANCE_C2C_TRADES => ep(Security::Signed, SapiIp, w(1), fiat::p2p),
        c::BINANCE_PAY_TRANSACTIONS => ep(Security::Signed, SapiUid, w(3000), fiat::pay),
        c::BINANCE_ETH_STAKINGS => ep(Security::Signed, SapiIp, w(150), staking::eth_stakings),
        c::BINANCE_ETH_REDEMPTIONS => ep(Security::Signed, SapiIp, w(150), staking::eth_redemptions),
        c::BINANCE_BETH_REWARDS => ep(Security::Signed, SapiIp, w(150), staking::beth_rewards),
        c::BINANCE_WBETH_WRAPS => ep(Security::Signed, SapiIp, w(150), staking::wbeth_wraps),
        c::BINANCE_WBETH_UNWRAPS => ep(Security::Signed, SapiIp, w(150), staking::wbeth_unwraps),
        c::BINANCE_SOL_STAKINGS => ep(Security::Signed, SapiIp, w(150), staking::sol_stakings),
        c::BINANCE_SOL_REDEMPTIONS => ep(Security::Signed, SapiIp, w(150), staking::sol_redemptions),
        c::BINANCE_SOL_BOOST_REWARDS => ep(Security::Signed, SapiIp, w(150), staking::sol_boost_rewards),
        c::BINANCE_MARGIN_ACCOUNT => ep(Security::Signed, SapiIp, w(10), margin::account),
        c::BINANCE_ISOLATED_ACCOUNT => ep(Security::Signed, SapiIp, w(10), margin::isolated_account),
        c::BINANCE_MARGIN_BORROW_REPAY => ep(Security::Signed, SapiIp, w(10), margin::borrow_repay),
        c::BINANCE_MARGIN_INTEREST => ep(Security::Signed, SapiIp, w(1), margin::interest_history),
        c::BINANCE_MARGIN_TRADES => ep(Security::Signed, SapiIp, w(10), margin::my_trades),
        c::BINANCE_MARGIN_LIQUIDATIONS => ep(Security::Signed, SapiIp, w(1), margin::force_liquidations),
        c::BINANCE_MARGIN_CAPITAL_FLOW => ep(Security::Signed, SapiIp, w(100), margin::capital_flow),
        c::BINANCE_EARN_FLEXIBLE_POSITION => ep(Security::Signed, SapiIp, w(150), e::earn_flexible_position),
        c::BINANCE_EARN_LOCKED_POSITION => ep(Security::Signed, SapiIp, w(150), e::earn_locked_position),
        c::BINANCE_EARN_FLEXIBLE_SUBSCRIPTIONS => ep(Security::Signed, SapiIp, w(150), e::earn_flexible_subscriptions),
        c::BINANCE_EARN_FLEXIBLE_REDEMPTIONS => ep(Security::Signed, SapiIp, w(150), e::earn_flexible_redemptions),
        c::BINANCE_EARN_FLEXIBLE_REWARDS => ep(Security::Signed, SapiIp, w(150), e::earn_flexible_rewards),
        c::BINANCE_EARN_LOCKED_SUBSCRIPTIONS => ep(Security::Signed, SapiIp, w(150), e::earn_locked_subscriptions),
        c::BINANCE_EARN_LOCKED_REDEMPTIONS => ep(Security::Signed, SapiIp, w(150), e::earn_locked_redemptions),
        c::BINANCE_EARN_LOCKED_REWARDS => ep(Security::Signed, SapiIp, w(150), e::earn_locked_rewards),
        c::BINANCE_FUTURES_TIME => ep(Security::None, Fapi, w(1), e::time),
        c::BINANCE_FUTURES_EXCHANGE_INFO => ep(Security::None, Fapi, w(1), e::futures_exchange_info),
        c::BINANCE_PREMIUM_INDEX => {
            ep(Security::None, Fapi, |p| if p.has("symbol") { 1 } else { 10 }, e::premium_index)
        }
        c::BINANCE_FUTURES_TRADES => ep(Security::Signed, Fapi, w(5), e::user_trades),
        c::BINANCE_FUTURES_INCOME => ep(Security::Signed, Fapi, w(30), e::income),
        c::BINANCE_FUTURES_BALANCES => ep(Security::Signed, Fapi, w(5), e::futures_balance),
        c::BINANCE_FUTURES_ACCOUNT => ep(Security::Signed, Fapi, w(5), e::futures_account),
        c::BINANCE_POSITIONS => ep(Security::Signed, Fapi, w(5), e::position_risk_v3),
        c::BINANCE_COINM_EXCHANGE_INFO => ep(Security::None, Dapi, w(1), e::coinm_exchange_info),
        c::BINANCE_COINM_BALANCES => ep(Security::Signed, Dapi, w(1), e::coinm_balance),
        c::BINANCE_COINM_ACCOUNT => ep(Security::Signed, Dapi, w(5), e::coinm_account),
        c::BINANCE_COINM_POSITIONS => ep(Security::Signed, Dapi, w(1), e::coinm_position_risk),
        c::BINANCE_COINM_INCOME => ep(Security::Signed, Dapi, w(20), e::coinm_income),
        c::BINANCE_COINM_TRADES => {
            ep(Security::Signed, Dapi, |p| if p.has("pair") { 40 } else { 20 }, e::coinm_user_trades)
        }
        c::BINANCE_COPY_LEAD_STATUS => ep(Security::Signed, SapiUid, w(20), copy::lead_status),
        _ => None,
    }
}

/// The endpoints the venue has that the catalogue leaves out (the app never reads them; they answer as Binance
/// does, for the tests that probe them).
fn uncatalogued(host: Host, method: catalogue::Method, path: &str) -> Option<Endpoint> {
    use Limiter::{BinanceFuturesIp as Fapi, BinanceSapiIp as SapiIp};
    use endpoints as e;
    let (get, post) = (method == catalogue::Method::Get, method == catalogue::Method::Post);
    match (host, path) {
        (Host::Spot, "/sapi/v1/capital/config/getall") if get => ep(Security::Signed, SapiIp, |_| 10, e::coins),
        (Host::Spot, "/sapi/v1/margin/allPairs") if get => ep(Security::None, SapiIp, |_| 1, e::margin_pairs),
        (Host::Spot, "/sapi/v1/margin/isolated/allPairs") if get => {
            ep(Security::Signed, SapiIp, |_| 10, e::margin_pairs)
        }
        (Host::Spot, "/sapi/v3/asset/getUserAsset") if post => ep(Security::Signed, SapiIp, w(5), e::user_asset),
        (Host::Futures, "/fapi/v1/leverageBracket") if get => ep(Security::Signed, Fapi, w(1), e::leverage_bracket),
        (Host::Futures, "/fapi/v3/balance") if get => ep(Security::Signed, Fapi, w(5), e::futures_balance),
        (Host::Futures, "/fapi/v2/account") if get => ep(Security::Signed, Fapi, w(5), e::futures_account),
        (Host::Futures, "/fapi/v2/positionRisk") if get => ep(Security::Signed, Fapi, w(5), e::position_risk_v2),
        _ => None,
    }
}

/// What a non-GET request would do, for the permission check and the breach log's answer.
fn write_class(path: &str) -> WriteClass {
    let p = path.to_ascii_lowercase();
    if p.contains("withdraw") {
        WriteClass::Withdraw
    } else if p.contains("transfer") || p.contains("subtomaster") || p.contains("subtosub") {
        WriteClass::Transfer
    } else if p.contains("listenkey") || p.contains("userdatastream") {
        WriteClass::Other
    } else {
        WriteClass::Trade
    }
}

impl Binance {
    /// The venue over the staged world's Binance accounts and keys.
    pub fn new(
        stage: Arc<Stage>,
        settings: Settings,
        limits: Limits,
        breaches: Arc<BreachLog>,
        faults: crate::faults::FaultConfig,
    ) -> Self {
        let world = stage.world();
        let mut keys = HashMap::new();
        for k in world.keys.iter().filter(|k| k.venue == crate::keys::Venue::Binance) {
            let account = world.binance.iter().position(|a| a.label == k.label).expect("key of a generated account");
            let verifying = if k.public_key.is_empty() {
                None
            } else {
                let bytes: [u8; 32] =
                    hex::decode(&k.public_key).ok().and_then(|b| b.try_into().ok()).expect("32-byte key");
                ed25519_dalek::VerifyingKey::from_bytes(&bytes).ok()
            };
            keys.insert(k.api_key.clone(), Arc::new(KeyEntry { key: k.clone(), account, verifying }));
        }
        Binance {
            stage,
            keys: std::sync::RwLock::new(keys),
            settings,
            limits,
            weights: BinanceWeights::default(),
            breaches,
            faults_spot: Faults::new(faults.clone(), 1),
            faults_futures: Faults::new(faults.clone(), 2),
            faults_coin_futures: Faults::new(faults, 3),
        }
    }

    /// The venue's server time now: the settings' clock, or the stage's when it is stopped.
    pub fn now_ms(&self) -> i64 {
        self.settings.fixed_clock_ms.unwrap_or_else(|| self.stage.clock(self.settings.now_ms()))
    }

    fn error(&self, host: Host, e: &ApiError, headers: &[(&str, String)]) -> Response {
        let _ = host;
        json_response(e.status, &json!({"code": e.code, "msg": e.msg}), headers)
    }

    /// Serves one request.
    pub async fn serve(&self, host: Host, req: Req) -> Response {
        let faults = match host {
            Host::Spot => &self.faults_spot,
            Host::Futures => &self.faults_futures,
            Host::CoinFutures => &self.faults_coin_futures,
        };
        let fault = faults.draw();
        match fault {
            Some(FaultKind::ServerError) => {
                return self.error(
                    host,
                    &ApiError::new(503, -1001, "Internal error; unable to process your request. Please try again."),
                    &[],
                );
            }
            Some(FaultKind::TooManyRequests) => {
                return self.error(host, &ApiError::new(429, -1003, "Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute. Please use the websocket for live updates to avoid polling the API."), &[("Retry-After", "1".into())]);
            }
            Some(FaultKind::Timeout) => {
                faults.hang().await;
                return self.error(host, &ApiError::new(504, -1007, "Timeout waiting for response from backend server. Send status unknown; execution status unknown."), &[]);
            }
            Some(FaultKind::Slow) => faults.slow().await,
            _ => {}
        }
        let mut resp = self.answer(host, &req);
        if let Some(k @ (FaultKind::Reset | FaultKind::Truncated)) = fault {
            let status = resp.status();
            let headers = resp.headers().clone();
            let body = axum::body::to_bytes(std::mem::take(resp.body_mut()), usize::MAX).await.unwrap_or_default();
            let mut r = Response::new(broken_body(&body, k == FaultKind::Truncated));
            *r.status_mut() = status;
            *r.headers_mut() = headers;
            r.headers_mut().insert("content-length", body.len().into());
            return r;
        }
        resp
    }

    fn answer(&self, host: Host, req: &Req) -> Response {
        let mut params = Params::parse(&req.raw_query);
        let is_form = req.method != Method::GET && !req.body.is_empty();
        if is_form {
            params.merge(Params::parse(&String::from_utf8_lossy(&req.body)));
        }
        let world = self.stage.world();
        if host == Host::Spot && req.path == register::REGISTER_PATH && req.method == Method::POST {
            return self.register(req);
        }
        let endpoint = route(host, &req.method, &req.path);
        if endpoint.is_none() && req.method != Method::GET {
            return self.write_attempt(host, req, &params);
        }
        let Some(ep) = endpoint else {
            return json_response(StatusCode::NOT_FOUND, &json!({"code": -5000, "msg": "Path not found"}), &[]);
        };
        // IP weight first: Binance counts every request, even rejected ones
        let ip = req.peer;
        let uid_weighted = ep.limiter == Limiter::BinanceSapiUid;
        let ip_limiter = if uid_weighted { Limiter::BinanceSapiIp } else { ep.limiter };
        let ip_weight = if uid_weighted { 1 } else { (ep.weight)(&params) };
        let mut headers: Vec<(&str, String)> = Vec::new();
        match self.weights.count(&self.limits, ip_limiter, ip, &ip.to_string(), ip_weight, req.now) {
            Verdict::Ok(used) => headers.push((usage_header(ip_limiter), used.to_string())),
            v => return self.limited(host, v, ip_limiter),
        }
        let entry = match ep.security {
            Security::None => None,
            Security::Signed => match self.authenticate(host, req, &params) {
                Ok(k) => Some(k),
                Err(e) => return self.error(host, &e, &headers),
            },
        };
        let account = entry.as_ref().map(|k| &world.binance[k.account]);
        let key = entry.as_ref().map(|k| &k.key);
        if uid_weighted {
            let uid = account.map(|a| a.uid.to_string()).unwrap_or_default();
            let uid_limiter = Limiter::BinanceSapiUid;
            match self.weights.count(&self.limits, uid_limiter, ip, &uid, (ep.weight)(&params), req.now) {
                Verdict::Ok(used) => headers.push((usage_header(uid_limiter), used.to_string())),
                v => return self.limited(host, v, uid_limiter),
            }
        }
        let ctx = Ctx { req, params, world: &world, account, key, settings: &self.settings };
        endpoints::INCOME_MAX_DAYS.with(|c| c.set(self.settings.income_max_window_days));
        match (ep.handler)(&ctx) {
            Ok(v) => json_response(StatusCode::OK, &v, &headers),
            Err(e) => self.error(host, &e, &headers),
        }
    }

    fn limited(&self, host: Host, v: Verdict, limiter: Limiter) -> Response {
        match v {
            Verdict::TooMany { used, limit, retry_after } => {
                let e = ApiError::new(
                    429,
                    -1003,
                    format!(
                        "Too much request weight used; current limit is {limit} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API."
                    ),
                );
                self.error(
                    host,
                    &e,
                    &[("Retry-After", retry_after.to_string()), (usage_header(limiter), used.to_string())],
                )
            }
            Verdict::Banned { until } => {
                let now = self.now_ms();
                let e = ApiError::new(
                    418,
                    -1003,
                    format!(
                        "Way too much request weight used; IP banned until {until}. Please use WebSocket Streams for live updates to avoid bans."
                    ),
                );
                self.error(host, &e, &[("Retry-After", (((until - now).max(0) + 999) / 1000).to_string())])
            }
            Verdict::Ok(_) => unreachable!("limited() is only called for refusals"),
        }
    }

    /// Sandbox only: registers a self-generated Ed25519 public key ([`register`]).
    fn register(&self, req: &Req) -> Response {
        let world = self.stage.world();
        let labels: Vec<&str> = world.binance.iter().map(|a| a.label.as_str()).collect();
        let mut keys = self.keys.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        match register::register(&req.body, &labels, |k| keys.contains_key(k)) {
            Ok((key, verifying)) => {
                let account = labels.iter().position(|l| *l == key.label).expect("checked by register");
                let body = register::answer(&key, req.now);
                keys.insert(key.api_key.clone(), Arc::new(KeyEntry { key, account, verifying: Some(verifying) }));
                json_response(StatusCode::OK, &body, &[])
            }
            Err(e) => self.error(Host::Spot, &e, &[]),
        }
    }

    fn authenticate(&self, host: Host, req: &Req, params: &Params) -> Result<Arc<KeyEntry>, ApiError> {
        let key_hdr = req.header("x-mbx-apikey").unwrap_or("");
        let rejected = |ip: IpAddr| {
            let mut msg = "Invalid API-key, IP, or permissions for action".to_string();
            if host != Host::Spot {
                msg.push_str(&format!(", request ip: {ip}"));
            } else {
                msg.push('.');
            }
            ApiError::new(401, -2015, msg)
        };
        if key_hdr.is_empty() || key_hdr.len() < 8 || !key_hdr.bytes().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ApiError::new(self.settings.bad_key_format_status, -2014, "API-key format invalid."));
        }
        let entry = self
            .keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(key_hdr)
            .cloned()
            .ok_or_else(|| rejected(req.peer))?;
        if !entry.key.ip_allowed(req.peer) {
            return Err(rejected(req.peer));
        }
        auth::check_signed(req, params, entry.key.secret.expose(), entry.verifying.as_ref(), &self.settings)?;
        if host != Host::Spot
            && self.settings.futures_reads_need_enable_futures
            && entry.key.permissions != crate::keys::Profile::TradeEnabled
        {
            return Err(rejected(req.peer));
        }
        Ok(entry)
    }

    fn write_attempt(&self, host: Host, req: &Req, params: &Params) -> Response {
        let class = write_class(&req.path);
        let api_key = req.header("x-mbx-apikey").unwrap_or("").to_string();
        let resp: Result<Value, ApiError> = self.authenticate(host, req, params).and_then(|k| {
            if !k.key.may(class) {
                let mut msg = "Invalid API-key, IP, or permissions for action".to_string();
                if host != Host::Spot {
                    msg.push_str(&format!(", request ip: {}", req.peer));
                } else {
                    msg.push('.');
                }
                return Err(ApiError::new(401, -2015, msg));
            }
            Ok(endpoints::write_ack(&req.path, params, req.now, class))
        });
        let (answer, response) = match resp {
            Ok(v) => ("200".to_string(), json_response(StatusCode::OK, &v, &[])),
            Err(e) => (format!("{} {}", e.status.as_u16(), e.code), self.error(host, &e, &[])),
        };
        self.breaches.record(Breach {
            time: req.now,
            venue: "binance".into(),
            method: req.method.to_string(),
            path: req.path.clone(),
            query: req.raw_query.clone(),
            api_key,
            peer: req.peer,
            answer,
        });
        response
    }
}

/// The axum handler of one Binance server.
pub async fn handler(
    State((venue, host)): State<(Arc<Binance>, Host)>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let now = venue.now_ms();
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
    let req = Req {
        method: parts.method,
        path: parts.uri.path().to_string(),
        raw_query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts.headers,
        body,
        peer: peer.ip(),
        now,
    };
    venue.serve(host, req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_every_catalogue_endpoint_on_its_host_as_the_catalogue_describes_it() {
        for known in catalogue::ENDPOINTS.iter().filter(|e| e.venue == catalogue::Venue::Binance) {
            let host = Host::of(known.host);
            let method = Method::from_bytes(known.method.as_str().as_bytes()).unwrap();
            let ep = route(host, &method, known.path).unwrap_or_else(|| panic!("{} is not served", known.path));
            let signed = known.security == catalogue::Security::Signed;
            assert_eq!(matches!(ep.security, Security::Signed), signed, "{}", known.path);
            assert_eq!(ep.limiter, known.limiter(), "{}", known.path);
            for q in ["", "symbol=BTCUSDT", "symbol=BTCUSDT&orderId=1", "pair=BTCUSD"] {
                assert_eq!((ep.weight)(&Params::parse(q)), known.weight(q), "{} {q}", known.path);
            }
            for other in [Host::Spot, Host::Futures, Host::CoinFutures].into_iter().filter(|h| *h != host) {
                assert!(route(other, &method, known.path).is_none(), "{} on another host", known.path);
            }
        }
    }
}
