//! The one IO seam: a [`Transport`] sends a [`Request`] and tells the time; the browser implements it with fetch,
//! the CLI and tests with a native HTTP client. Everything else here is pure.

use std::future::Future;

use catalogue::Venue;
use serde_json::Value;

use crate::error::{ApiProblem, VenueError};
use crate::request::Request;

/// An HTTP answer.
#[derive(Clone, Debug, Default)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Headers with lower-case names.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// A header's value by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A transport failure before any HTTP answer (or with a cut body).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct TransportError(pub String);

/// Sends requests, tells the time and waits. Implemented by the app (browser fetch through the relay) and by the
/// native client in `sync-engine`.
pub trait Transport {
    /// Sends one request and returns the venue's (or relay's) answer.
    fn send(&self, request: &Request) -> impl Future<Output = Result<Response, TransportError>>;
    /// Local wall-clock time in ms since the epoch.
    fn now_ms(&self) -> i64;
    /// Waits `ms` milliseconds.
    fn sleep(&self, ms: u64) -> impl Future<Output = ()>;
}

/// Turns an HTTP answer into the payload (`data` for Bitget) or a classified error.
pub fn decode(venue: Venue, endpoint: &'static str, response: &Response) -> Result<Value, VenueError> {
    let status = response.status;
    if status == 429 || status == 418 {
        let retry_after_ms =
            response.header("retry-after").and_then(|v| v.trim().parse::<u64>().ok()).map(|s| s * 1000);
        return Err(VenueError::RateLimited { venue, endpoint, status, retry_after_ms });
    }
    // 5xx from the venue or the relay (whatever the body says): the outcome is unknown and every request here is
    // a read, so it is retried
    if status >= 500 {
        return Err(VenueError::Server { venue, endpoint, status });
    }
    let parsed: Option<Value> = serde_json::from_slice(&response.body).ok();
    let api_error = |code: String, msg: String| {
        let problem = ApiProblem::classify(venue, &code);
        VenueError::Api { venue, endpoint, status, code, msg, problem }
    };
    match venue {
        Venue::Binance => {
            if let Some(Value::Object(o)) = &parsed
                && let (Some(code), Some(msg)) = (o.get("code"), o.get("msg"))
                && status != 200
            {
                return Err(api_error(
                    code.to_string().trim_matches('"').to_string(),
                    msg.as_str().unwrap_or("").into(),
                ));
            }
            if status >= 500 || (status != 200 && parsed.is_none()) {
                return Err(VenueError::Server { venue, endpoint, status });
            }
            if status != 200 {
                return Err(VenueError::malformed(venue, endpoint, format!("HTTP {status} without an error code")));
            }
            parsed.ok_or_else(|| VenueError::malformed(venue, endpoint, "the body is not JSON (cut or garbled)"))
        }
        Venue::Bitget => {
            let Some(Value::Object(mut o)) = parsed else {
                if status >= 500 || status != 200 {
                    return Err(VenueError::Server { venue, endpoint, status });
                }
                return Err(VenueError::malformed(venue, endpoint, "the body is not a JSON object (cut or garbled)"));
            };
            let code = match o.get("code") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ if status >= 500 => return Err(VenueError::Server { venue, endpoint, status }),
                _ => return Err(VenueError::malformed(venue, endpoint, "no `code` in the envelope")),
            };
            if code != "00000" {
                if code == "429" {
                    return Err(VenueError::RateLimited { venue, endpoint, status: 429, retry_after_ms: None });
                }
                let msg = o.get("msg").or_else(|| o.get("message")).and_then(Value::as_str).unwrap_or("").to_string();
                return Err(api_error(code, msg));
            }
            Ok(o.remove("data").unwrap_or(Value::Null))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> Response {
        Response { status, headers: vec![("retry-after".into(), "7".into())], body: body.as_bytes().to_vec() }
    }

    #[test]
    fn classifies_documented_error_bodies() {
        let e = decode(
            Venue::Binance,
            "/api/v3/account",
            &resp(400, r#"{"code":-1022,"msg":"Signature for this request is not valid."}"#),
        )
        .unwrap_err();
        assert_eq!(e.problem(), Some(ApiProblem::BadSignature));
        assert!(e.to_string().starts_with("binance /api/v3/account: the signature was refused"), "{e}");
        let e = decode(
            Venue::Binance,
            "/x",
            &resp(400, r#"{"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}"#),
        )
        .unwrap_err();
        assert_eq!(e.problem(), Some(ApiProblem::ClockSkew));
        assert!(e.is_retryable());
        let e = decode(Venue::Bitget, "/api/v2/spot/account/info", &resp(400, r#"{"code":"40085","msg":"You are in Unified Account mode, and the Classic Account API is not supported at this time","requestTime":1,"data":null}"#)).unwrap_err();
        assert_eq!(e.problem(), Some(ApiProblem::UnifiedAccount));
        let e = decode(
            Venue::Bitget,
            "/x",
            &resp(400, r#"{"code":"40012","msg":"apikey/password is incorrect","requestTime":1,"data":null}"#),
        )
        .unwrap_err();
        assert_eq!(e.problem(), Some(ApiProblem::WrongPassphrase));
        assert!(!e.is_retryable());
        // a trader's copy-trading read asked of a follower (the error list's three codes for it)
        for code in ["31001", "31025", "40732"] {
            let body = format!(r#"{{"code":"{code}","msg":"Not currently a trader","requestTime":1,"data":null}}"#);
            let e =
                decode(Venue::Bitget, "/api/v2/copy/mix-trader/order-history-track", &resp(400, &body)).unwrap_err();
            assert_eq!(e.problem(), Some(ApiProblem::NotATrader), "{code}");
            assert!(!e.is_retryable(), "{code}");
        }
    }

    #[test]
    fn an_unlisted_symbol_is_its_own_problem() {
        let binance = resp(400, r#"{"code":-1121,"msg":"Invalid symbol."}"#);
        let e = decode(Venue::Binance, "/api/v3/klines", &binance).unwrap_err();
        assert_eq!(e.problem(), Some(ApiProblem::UnknownSymbol));
        assert!(!e.is_retryable());
        let bitget = resp(400, r#"{"code":"40034","msg":"Parameter does not exist","requestTime":1,"data":null}"#);
        let e = decode(Venue::Bitget, "/api/v2/spot/market/candles", &bitget).unwrap_err();
        assert_eq!(e.problem(), Some(ApiProblem::UnknownSymbol));
        // another refused parameter is not taken for an unknown symbol
        let e = decode(Venue::Binance, "/x", &resp(400, r#"{"code":-1100,"msg":"Illegal characters."}"#)).unwrap_err();
        assert_eq!(e.problem(), Some(ApiProblem::BadRequest));
    }

    #[test]
    fn rate_limits_server_errors_and_cut_bodies() {
        match decode(Venue::Binance, "/x", &resp(418, "")).unwrap_err() {
            VenueError::RateLimited { status: 418, retry_after_ms: Some(7000), .. } => {}
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            decode(Venue::Bitget, "/x", &resp(502, "bad gateway")).unwrap_err(),
            VenueError::Server { status: 502, .. }
        ));
        let relay = r#"{"code":"upstream_error","msg":"the venue answered with a server error; retry later"}"#;
        assert!(decode(Venue::Bitget, "/x", &resp(502, relay)).unwrap_err().is_retryable());
        assert!(decode(Venue::Binance, "/x", &resp(504, relay)).unwrap_err().is_retryable());
        let cut = decode(Venue::Binance, "/api/v3/myTrades", &resp(200, r#"[{"symbol":"BTC"#)).unwrap_err();
        assert!(matches!(cut, VenueError::Malformed { .. }) && cut.is_retryable(), "{cut}");
        assert!(cut.to_string().contains("binance /api/v3/myTrades"));
    }

    #[test]
    fn bitget_envelope_yields_data() {
        let v = decode(
            Venue::Bitget,
            "/x",
            &resp(200, r#"{"code":"00000","message":"success","requestTime":1,"data":[1]}"#),
        )
        .unwrap();
        assert_eq!(v, serde_json::json!([1]));
    }
}
