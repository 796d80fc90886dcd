//! The simulated Bitget: classic v2 and unified-account v3 endpoints on one server. Private requests are checked as
//! Bitget does: `ACCESS-KEY`, `ACCESS-PASSPHRASE`, `ACCESS-TIMESTAMP` within 30 s, the key's IP list, then
//! `ACCESS-SIGN` = base64(HMAC-SHA256(secret, timestamp + METHOD + path + "?" + query + body)), then the account
//! mode (a unified key on v2 gets 40085, a classic key on v3 gets 40084) and the key's authorities. Errors use
//! Bitget's envelope `{"code":"40009","msg":"sign signature error","requestTime":…,"data":null}`.

mod endpoints;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::breach::{Breach, BreachLog};
use crate::faults::{FaultConfig, FaultKind, Faults, broken_body};
use crate::generator::{BitgetAccount, World};
use crate::http::{Params, Req, json_response, now_ms, percent_decode};
use crate::keys::{AccountMode, DemoKey, Venue, WriteClass};
use crate::ratelimit::{BitgetCounters, Limits};
use crate::stage::Stage;

/// Bitget behaviours that docs/venues.md §5 marks UNCONFIRMED, as settings defaulting to the documented behaviour.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    /// Allowed distance between `ACCESS-TIMESTAMP` and server time, ms (documented: 30 s).
    pub timestamp_tolerance_ms: i64,
    /// Code for an unknown key: `40006` (Invalid ACCESS_KEY, seen with HTTP 400) or `40037` (Apikey does not exist).
    pub unknown_key_code: String,
    /// Also accept a signature over the query sorted by key (CCXT and the official SDK sort).
    pub accept_sorted_query: bool,
    /// Maximum days between startTime and endTime of deposit and withdrawal records (CCXT uses 90).
    pub deposit_window_days: i64,
    /// Message of 40084 (classic key on a v3 endpoint); no capture of the real text exists.
    pub classic_on_v3_msg: String,
    /// HTTP status of auth errors (the older error list gives 400 for every code).
    pub error_status: u16,
    /// Added to the system clock to get the venue's server time.
    pub clock_offset_ms: i64,
    /// The venue's server time, fixed (tests replay documented examples at their own time with it: a clock that
    /// runs would give a slow machine only the timestamp tolerance to send them).
    pub fixed_clock_ms: Option<i64>,
    /// Pages list rows newest first (docs/venues.md §5: the order under `idLessThan`/`cursor` is UNCONFIRMED); false:
    /// the same rows oldest first. Either way a page holds the newest rows below the cursor.
    pub newest_first: bool,
    /// `GET /api/v2/convert/convert-record` writes `fromCoinSize` as a JSON number, as the documented example does
    /// (the field table says String); when false, as a string like every other amount.
    pub convert_size_as_number: bool,
    /// Time key of `GET /api/v2/convert/bgb-convert-records` rows: `ctime` in the documented example, `ts` in its
    /// field table.
    pub bgb_time_key: String,
    /// A copy-trading trader's reads (order history, profit shares) asked of an account that is not a trader answer
    /// 40732 "Not currently a trader" (the error list's words; what the reads answer is UNCONFIRMED,
    /// docs/venues.md §5); when false, an empty list.
    pub not_a_trader_error: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            timestamp_tolerance_ms: 30_000,
            unknown_key_code: "40006".into(),
            accept_sorted_query: true,
            deposit_window_days: 90,
            classic_on_v3_msg:
                "You are in Classic Account mode, and the Unified Account API is not supported at this time".into(),
            error_status: 400,
            clock_offset_ms: 0,
            fixed_clock_ms: None,
            newest_first: true,
            convert_size_as_number: true,
            bgb_time_key: "ctime".into(),
            not_a_trader_error: true,
        }
    }
}

impl Settings {
    /// The venue's server time now.
    pub fn now_ms(&self) -> i64 {
        self.fixed_clock_ms.unwrap_or_else(|| now_ms() + self.clock_offset_ms)
    }
}

/// A Bitget error: code and message in the envelope, HTTP status.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Bitget code (a string, leading zeros matter).
    pub code: String,
    /// Message.
    pub msg: String,
}

impl ApiError {
    pub(crate) fn new(code: &str, msg: impl Into<String>) -> Self {
        ApiError { status: StatusCode::BAD_REQUEST, code: code.into(), msg: msg.into() }
    }
    pub(crate) fn empty(p: &str) -> Self {
        Self::new("40019", format!("Parameter {p} cannot be empty"))
    }
    pub(crate) fn window(days: i64) -> Self {
        Self::new("00001", format!("startTime and endTime interval cannot be greater than {days} days"))
    }
    pub(crate) fn invalid(p: &str) -> Self {
        Self::new("40017", format!("Parameter verification failed {p}"))
    }
}

/// An authenticated (or public) request.
pub(crate) struct Ctx<'a> {
    pub req: &'a Req,
    pub params: Params,
    pub world: &'a World,
    pub account: Option<&'a BitgetAccount>,
    pub key: Option<&'a DemoKey>,
    pub settings: &'a Settings,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Public,
    Classic,
    Unified,
}

struct Endpoint {
    kind: Kind,
    per_sec: u32,
    handler: fn(&Ctx<'_>) -> Result<Value, ApiError>,
}

/// What a request asks for: an endpoint of the catalogue (what Meetcrypt reads, found by the catalogue's lookup), or
/// one the catalogue leaves out that other clients (CCXT) read. Kind and rate are the simulated venue's own, declared
/// here: the tests compare them with the catalogue's.
fn route(method: &Method, path: &str) -> Option<Endpoint> {
    use catalogue as c;
    use endpoints as e;
    if method != Method::GET {
        return None;
    }
    let ep = |kind, per_sec, handler| Some(Endpoint { kind, per_sec, handler });
    if let Some(known) = c::lookup(c::Venue::Bitget, c::Method::Get, path) {
        return match *known {
            c::BITGET_TIME => ep(Kind::Public, 20, e::time),
            c::BITGET_TICKERS => ep(Kind::Public, 20, e::tickers),
            c::BITGET_CANDLES => ep(Kind::Public, 20, e::candles),
            c::BITGET_SYMBOL_PRICE => ep(Kind::Public, 20, e::symbol_price),
            c::BITGET_ACCOUNT_INFO => ep(Kind::Classic, 1, e::account_info),
            c::BITGET_SPOT_ASSETS => ep(Kind::Classic, 10, e::spot_assets),
            c::BITGET_SPOT_BILLS => ep(Kind::Classic, 10, e::spot_bills),
            c::BITGET_TRANSFERS => ep(Kind::Classic, 20, e::transfer_records),
            c::BITGET_SPOT_FILLS => ep(Kind::Classic, 10, e::spot_fills),
            c::BITGET_DEPOSITS => ep(Kind::Classic, 10, e::deposit_records),
            c::BITGET_WITHDRAWALS => ep(Kind::Classic, 10, e::withdrawal_records),
            c::BITGET_FUTURES_ACCOUNTS => ep(Kind::Classic, 10, e::mix_accounts),
            c::BITGET_FUTURES_BILLS => ep(Kind::Classic, 10, e::mix_bill),
            c::BITGET_POSITIONS => ep(Kind::Classic, 5, e::all_position),
            c::BITGET_FUTURES_FILLS => ep(Kind::Classic, 10, e::fill_history),
            c::BITGET_CONVERTS => ep(Kind::Classic, 10, e::convert_record),
            c::BITGET_BGB_CONVERTS => ep(Kind::Classic, 10, e::bgb_convert_records),
            c::BITGET_UNIFIED_CONVERTS => ep(Kind::Unified, 20, e::uta_convert_records),
            c::BITGET_UNIFIED_ACCOUNT_INFO => ep(Kind::Unified, 5, e::uta_account_info),
            c::BITGET_UNIFIED_ASSETS => ep(Kind::Unified, 20, e::uta_assets),
            c::BITGET_UNIFIED_FUNDING_ASSETS => ep(Kind::Unified, 20, e::uta_funding_assets),
            c::BITGET_UNIFIED_FINANCIAL_RECORDS => ep(Kind::Unified, 20, e::uta_financial_records),
            c::BITGET_UNIFIED_FILLS => ep(Kind::Unified, 20, e::uta_fills),
            c::BITGET_UNIFIED_DEPOSITS => ep(Kind::Unified, 10, e::uta_deposit_records),
            c::BITGET_UNIFIED_WITHDRAWALS => ep(Kind::Unified, 10, e::uta_withdrawal_records),
            c::BITGET_COPY_FOLLOWER_ORDERS => ep(Kind::Classic, 5, e::follower_orders),
            c::BITGET_COPY_TRADER_ORDERS => ep(Kind::Classic, 5, e::trader_orders),
            c::BITGET_COPY_PROFIT_SHARES => ep(Kind::Classic, 5, e::profit_shares),
            c::BITGET_TAX_SPOT => ep(Kind::Classic, 1, e::tax_spot_record),
            c::BITGET_TAX_FUTURES => ep(Kind::Classic, 1, e::tax_future_record),
            c::BITGET_TAX_MARGIN => ep(Kind::Classic, 1, e::tax_margin_record),
            c::BITGET_TAX_P2P => ep(Kind::Classic, 1, e::tax_no_record),
            c::BITGET_SAVINGS_ASSETS => ep(Kind::Classic, 10, e::savings_assets),
            c::BITGET_SAVINGS_RECORDS => ep(Kind::Classic, 10, e::savings_records),
            c::BITGET_EARN_ASSETS => ep(Kind::Classic, 10, e::earn_assets),
            c::BITGET_SHARKFIN_RECORDS => ep(Kind::Classic, 10, e::sharkfin_records),
            c::BITGET_LOAN_ORDERS => ep(Kind::Classic, 10, e::loan_orders),
            c::BITGET_LOAN_BORROWS => ep(Kind::Classic, 10, e::loan_history),
            c::BITGET_LOAN_REPAYS => ep(Kind::Classic, 10, e::loan_repays),
            c::BITGET_MARGIN_CROSS_ASSETS => ep(Kind::Classic, 10, e::cross_assets),
            c::BITGET_MARGIN_CROSS_FLOW => ep(Kind::Classic, 10, e::cross_flow),
            c::BITGET_MARGIN_CROSS_INTEREST => ep(Kind::Classic, 10, e::cross_interest),
            c::BITGET_MARGIN_CROSS_FILLS => ep(Kind::Classic, 10, e::cross_fills),
            c::BITGET_MARGIN_ISOLATED_ASSETS => ep(Kind::Classic, 10, e::isolated_assets),
            c::BITGET_MARGIN_ISOLATED_FLOW => ep(Kind::Classic, 10, e::isolated_flow),
            c::BITGET_MARGIN_ISOLATED_INTEREST => ep(Kind::Classic, 10, e::isolated_interest),
            c::BITGET_MARGIN_ISOLATED_FILLS => ep(Kind::Classic, 10, e::isolated_fills),
            _ => None,
        };
    }
    match path {
        "/api/v2/spot/public/symbols" => ep(Kind::Public, 20, e::spot_symbols),
        "/api/v2/spot/public/coins" => ep(Kind::Public, 3, e::coins),
        "/api/v2/margin/currencies" => ep(Kind::Public, 10, e::margin_currencies),
        "/api/v2/mix/market/contracts" => ep(Kind::Public, 20, e::contracts),
        _ => None,
    }
}

/// The Bitget success envelope.
pub(crate) fn envelope(now: i64, data: Value) -> Value {
    json!({"code": "00000", "msg": "success", "requestTime": now, "data": data})
}

/// base64 HMAC-SHA256 of a pre-hash string, as `ACCESS-SIGN`.
pub fn sign(secret: &str, prehash: &str) -> String {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    m.update(prehash.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes())
}

struct KeyEntry {
    key: DemoKey,
    account: usize,
}

/// The simulated Bitget.
pub struct Bitget {
    stage: Arc<Stage>,
    keys: HashMap<String, KeyEntry>,
    settings: Settings,
    limits: Limits,
    counters: BitgetCounters,
    breaches: Arc<BreachLog>,
    faults: Faults,
}

impl Bitget {
    /// The venue over the staged world's Bitget accounts and keys.
    pub fn new(
        stage: Arc<Stage>,
        settings: Settings,
        limits: Limits,
        breaches: Arc<BreachLog>,
        faults: FaultConfig,
    ) -> Self {
        let world = stage.world();
        let keys = world
            .keys
            .iter()
            .filter(|k| k.venue == Venue::Bitget)
            .map(|k| {
                let account = world.bitget.iter().position(|a| a.label == k.label).expect("key of a generated account");
                (k.api_key.clone(), KeyEntry { key: k.clone(), account })
            })
            .collect();
        Bitget {
            stage,
            keys,
            settings,
            limits,
            counters: BitgetCounters::default(),
            breaches,
            faults: Faults::new(faults, 3),
        }
    }

    fn error(&self, req: &Req, e: &ApiError) -> Response {
        json_response(e.status, &json!({"code": e.code, "msg": e.msg, "requestTime": req.now, "data": null}), &[])
    }

    fn auth_error(&self, code: &str, msg: &str) -> ApiError {
        let mut e = ApiError::new(code, msg);
        e.status = StatusCode::from_u16(self.settings.error_status).unwrap_or(StatusCode::BAD_REQUEST);
        e
    }

    /// Serves one request.
    pub async fn serve(&self, req: Req) -> Response {
        let fault = self.faults.draw();
        match fault {
            Some(FaultKind::ServerError) => {
                let mut e = ApiError::new("40015", "System is abnormal, please try again later");
                e.status = StatusCode::SERVICE_UNAVAILABLE;
                return self.error(&req, &e);
            }
            Some(FaultKind::TooManyRequests) => {
                let mut e = ApiError::new("429", "Too Many Requests");
                e.status = StatusCode::TOO_MANY_REQUESTS;
                return self.error(&req, &e);
            }
            Some(FaultKind::Timeout) => {
                self.faults.hang().await;
                let mut e = ApiError::new("40010", "Request timed out");
                e.status = StatusCode::GATEWAY_TIMEOUT;
                return self.error(&req, &e);
            }
            Some(FaultKind::Slow) => self.faults.slow().await,
            _ => {}
        }
        let mut resp = self.answer(&req);
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

    fn authenticate(&self, req: &Req) -> Result<&KeyEntry, ApiError> {
        let h = |n: &str| req.header(n).unwrap_or("").to_string();
        let (key, sign_hdr, ts, pass) =
            (h("access-key"), h("access-sign"), h("access-timestamp"), h("access-passphrase"));
        if key.is_empty() {
            return Err(self.auth_error("40001", "ACCESS_KEY cannot be empty"));
        }
        if sign_hdr.is_empty() {
            return Err(self.auth_error("40002", "ACCESS_SIGN cannot be empty"));
        }
        if ts.is_empty() {
            return Err(self.auth_error("40005", "Invalid ACCESS_TIMESTAMP"));
        }
        if pass.is_empty() {
            return Err(self.auth_error("40011", "ACCESS_PASSPHRASE cannot be empty"));
        }
        let entry = self.keys.get(&key).ok_or_else(|| {
            let msg =
                if self.settings.unknown_key_code == "40037" { "Apikey does not exist" } else { "Invalid ACCESS_KEY" };
            self.auth_error(&self.settings.unknown_key_code, msg)
        })?;
        if pass != entry.key.passphrase.expose() {
            return Err(self.auth_error("40012", "apikey/password is incorrect"));
        }
        let t: i64 = ts.parse().map_err(|_| self.auth_error("40005", "Invalid ACCESS_TIMESTAMP"))?;
        if (req.now - t).abs() > self.settings.timestamp_tolerance_ms {
            return Err(self.auth_error("40008", "Request timestamp expired"));
        }
        if !entry.key.ip_allowed(req.peer) {
            return Err(self.auth_error("40018", "Invalid IP"));
        }
        let body = String::from_utf8_lossy(&req.body);
        let secret = entry.key.secret.expose();
        let method = req.method.as_str().to_ascii_uppercase();
        let with_query = |q: &str| {
            let q = if q.is_empty() { String::new() } else { format!("?{q}") };
            sign(secret, &format!("{ts}{method}{}{q}{body}", req.path))
        };
        let mut candidates = vec![with_query(&req.raw_query), with_query(&percent_decode(&req.raw_query))];
        if self.settings.accept_sorted_query {
            let mut pairs: Vec<&str> = req.raw_query.split('&').filter(|p| !p.is_empty()).collect();
            pairs.sort_by_key(|p| p.split('=').next().unwrap_or(""));
            let sorted = pairs.join("&");
            candidates.push(with_query(&percent_decode(&sorted)));
        }
        if !candidates.iter().any(|c| c == &sign_hdr) {
            return Err(self.auth_error("40009", "sign signature error"));
        }
        Ok(entry)
    }

    /// The venue's server time now: the settings' clock, or the stage's when it is stopped.
    pub fn now_ms(&self) -> i64 {
        self.settings.fixed_clock_ms.unwrap_or_else(|| self.stage.clock(self.settings.now_ms()))
    }

    fn answer(&self, req: &Req) -> Response {
        let world = self.stage.world();
        let params = Params::parse(&req.raw_query);
        if !self.counters.allow_ip(&req.peer.to_string(), self.limits.bitget_ip_per_minute, req.now) {
            return self.too_many(req);
        }
        let Some(ep) = route(&req.method, &req.path) else {
            if req.method != Method::GET {
                return self.write_attempt(req);
            }
            let mut e = ApiError::new("40404", "Request URL NOT FOUND");
            e.status = StatusCode::NOT_FOUND;
            return self.error(req, &e);
        };
        let factor = self.limits.bitget_limit_factor.max(1);
        let (account, key) = if ep.kind == Kind::Public {
            if !self.counters.allow(&req.peer.to_string(), &req.path, ep.per_sec * factor, req.now) {
                return self.too_many(req);
            }
            (None, None)
        } else {
            let entry = match self.authenticate(req) {
                Ok(e) => e,
                Err(e) => return self.error(req, &e),
            };
            let acc = &world.bitget[entry.account];
            match (ep.kind, acc.mode) {
                (Kind::Classic, AccountMode::Unified) => {
                    return self.error(req, &ApiError::new("40085", "You are in Unified Account mode, and the Classic Account API is not supported at this time"));
                }
                (Kind::Unified, AccountMode::Classic) => {
                    return self.error(req, &ApiError::new("40084", self.settings.classic_on_v3_msg.clone()));
                }
                _ => {}
            }
            if !self.counters.allow(&acc.uid.to_string(), &req.path, ep.per_sec * factor, req.now) {
                return self.too_many(req);
            }
            (Some(acc), Some(&entry.key))
        };
        let ctx = Ctx { req, params, world: &world, account, key, settings: &self.settings };
        match (ep.handler)(&ctx) {
            Ok(data) => json_response(StatusCode::OK, &envelope(req.now, data), &[]),
            Err(e) => self.error(req, &e),
        }
    }

    fn too_many(&self, req: &Req) -> Response {
        let mut e = ApiError::new("429", "Too Many Requests");
        e.status = StatusCode::TOO_MANY_REQUESTS;
        self.error(req, &e)
    }

    fn write_attempt(&self, req: &Req) -> Response {
        let p = req.path.to_ascii_lowercase();
        let class = if p.contains("withdraw") {
            WriteClass::Withdraw
        } else if p.contains("transfer") {
            WriteClass::Transfer
        } else {
            WriteClass::Trade
        };
        let result = self.authenticate(req).and_then(|entry| {
            if !entry.key.may(class) {
                let need = match class {
                    WriteClass::Withdraw => "wallet withdrawal",
                    WriteClass::Transfer => "wallet transfer",
                    _ if p.contains("/mix/") => "contract order write",
                    _ => "spot order write",
                };
                return Err(ApiError::new("40014", format!("Incorrect permissions, need {need} permissions")));
            }
            let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
            Ok(json!({"orderId": req.now.to_string(), "clientOid": body.get("clientOid").cloned().unwrap_or(Value::String(String::new()))}))
        });
        let (answer, response) = match result {
            Ok(d) => ("200 00000".to_string(), json_response(StatusCode::OK, &envelope(req.now, d), &[])),
            Err(e) => (format!("{} {}", e.status.as_u16(), e.code), self.error(req, &e)),
        };
        self.breaches.record(Breach {
            time: req.now,
            venue: "bitget".into(),
            method: req.method.to_string(),
            path: req.path.clone(),
            query: req.raw_query.clone(),
            api_key: req.header("access-key").unwrap_or("").to_string(),
            peer: req.peer,
            answer,
        });
        response
    }
}

/// The axum handler of the Bitget server.
pub async fn handler(
    State(venue): State<Arc<Bitget>>,
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
    venue.serve(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_every_catalogue_endpoint_public_or_signed_as_the_catalogue_says() {
        for known in catalogue::ENDPOINTS.iter().filter(|e| e.venue == catalogue::Venue::Bitget) {
            let ep = route(&Method::GET, known.path).unwrap_or_else(|| panic!("{} is not served", known.path));
            let public = known.security == catalogue::Security::Public;
            assert_eq!(ep.kind == Kind::Public, public, "{}", known.path);
        }
    }
}
