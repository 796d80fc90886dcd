//! The relay's own JSON errors (refusals, budget refusals, upstream failures), in the error shape of the route's
//! venue, so that a client library written for the venue (ccxt, the venues' own SDKs, a user's script) reads them
//! as that venue's errors rather than crashing on them:
//!
//! - on a `/v1/binance` route, Binance's: `{"code": -1020, "msg": "..."}` (a negative integer code);
//! - on a `/v1/bitget` route, Bitget's: `{"code": "40404", "msg": "...", "requestTime": 1700000000000, "data": null}`;
//! - anywhere else (another path, or before the request is read), the relay's own: `{"code": "...", "message": "..."}`.
//!
//! Every shape carries `"source": "relay"` (so the app can tell the relay's errors from the venue's), and the
//! relay's machine-readable reason: `relay_reason` in the venue shapes (also in `msg`, as `relay <reason>: ...`),
//! `code` in the relay's own. The venue codes are chosen so that clients treat refusals as errors not to retry
//! (the documented mapping is in docs/relay.md, "Refusals"): the request itself is wrong and will be refused again.

use catalogue::Venue;

/// The error shape of a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// The relay's own: `source`, `code` (the reason), `message`.
    Relay,
    /// The venue's (a `/v1/{venue}` route).
    Venue(Venue),
}

impl Shape {
    /// The shape for the start of a request target whose end was not read (the HTTP parser refused a byte in it):
    /// the venue's only if the start already holds `/v1/{venue}` and the byte after it (`/`, `?` or `#`), so that
    /// it is the same whatever part of the target was read.
    pub fn of_target_start(start: &[u8]) -> Shape {
        match Shape::of_target(start) {
            Shape::Venue(v) if start.get(4 + v.as_str().len()).is_some_and(|b| b"/?#".contains(b)) => Shape::Venue(v),
            _ => Shape::Relay,
        }
    }

    /// The shape for a request target as sent: the venue's on `/v1/{venue}` and below it (the path up to `?` or
    /// `#`), the relay's on any other target (absolute-form ones included).
    pub fn of_target(target: &[u8]) -> Shape {
        let end = target.iter().position(|&b| b == b'?' || b == b'#').unwrap_or(target.len());
        let Some(rest) = target[..end].strip_prefix(b"/v1/") else { return Shape::Relay };
        Venue::ALL
            .iter()
            .find(|v| rest.strip_prefix(v.as_str().as_bytes()).is_some_and(|tail| tail.is_empty() || tail[0] == b'/'))
            .map_or(Shape::Relay, |v| Shape::Venue(*v))
    }
}

/// Binance's and Bitget's error codes for a relay error with this HTTP status and reason.
///
/// | status | reasons | Binance | Bitget |
/// |---|---|---|---|
/// | 400, 401 | `missing_auth_header`, `duplicate_auth_header`, `bad_auth_header` | -2014 | 40001 |
/// | 400, 414, 431 | the request's form (path, query, framing, headers, parser) | -1100 | 40017 |
/// | 403 | `origin_not_allowed` | -1002 | 40014 |
/// | 404, 405 | not a catalogue endpoint or method | -1020 | 40404 |
/// | 429 | budget, fairness, venue back-off, connections | -1003 | 429 |
/// | 504 | `upstream_timeout` | -1007 | 40015 |
/// | 502 and other 5xx | upstream failures | -1001 | 40015 |
pub fn venue_codes(status: u16, reason: &str) -> (i64, &'static str) {
    match (status, reason) {
        (_, "missing_auth_header" | "duplicate_auth_header" | "bad_auth_header") => (-2014, "40001"),
        (403, _) => (-1002, "40014"),
        (404 | 405, _) => (-1020, "40404"),
        (429, _) => (-1003, "429"),
        (504, _) => (-1007, "40015"),
        (500..=599, _) => (-1001, "40015"),
        _ => (-1100, "40017"),
    }
}

/// The JSON body of a relay error in `shape`; `extra`, one more field (`retry_after_s`, `upstream_status`).
pub fn error_body(
    shape: Shape,
    status: u16,
    code: &str,
    message: &str,
    extra: Option<(&str, serde_json::Value)>,
) -> String {
    let mut body = match shape {
        Shape::Relay => serde_json::json!({ "source": "relay", "code": code, "message": message }),
        Shape::Venue(venue) => {
            let (binance, bitget) = venue_codes(status, code);
            let msg = format!("relay {code}: {message}");
            match venue {
                Venue::Binance => {
                    serde_json::json!({ "code": binance, "msg": msg, "source": "relay", "relay_reason": code })
                }
                Venue::Bitget => serde_json::json!({
                    "code": bitget,
                    "msg": msg,
                    "requestTime": crate::now_ms(),
                    "data": null,
                    "source": "relay",
                    "relay_reason": code,
                }),
            }
        }
    };
    if let Some((k, v)) = extra {
        body[k] = v;
    }
    body.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_follows_the_route() {
        let b = Shape::Venue(Venue::Binance);
        let g = Shape::Venue(Venue::Bitget);
        for (target, want) in [
            ("/v1/binance/api/v3/account?x=1", b),
            ("/v1/binance", b),
            ("/v1/binance?x", b),
            ("/v1/binance#x", b),
            ("/v1/binance/", b),
            ("/v1/bitget/api/v2/spot/account/assets", g),
            ("/v1/binancex/api", Shape::Relay),
            ("/v1/Binance/api/v3/account", Shape::Relay),
            ("/v1/kraken/x", Shape::Relay),
            ("/v2/binance/api/v3/account", Shape::Relay),
            ("http://relay/v1/binance/api/v3/account", Shape::Relay),
            ("/metrics", Shape::Relay),
            ("", Shape::Relay),
        ] {
            assert_eq!(Shape::of_target(target.as_bytes()), want, "{target}");
        }
        assert_eq!(Shape::of_target_start(b"/v1/binance/a"), b);
        assert_eq!(Shape::of_target_start(b"/v1/binance?"), b);
        assert_eq!(Shape::of_target_start(b"/v1/binance"), Shape::Relay);
        assert_eq!(Shape::of_target_start(b"/v1/bitget\x7f"), Shape::Relay);
        assert_eq!(Shape::of_target_start(b"/v1/bitg"), Shape::Relay);
    }

    #[test]
    fn venue_shapes_carry_a_venue_code_and_the_reason() {
        let j: serde_json::Value = serde_json::from_str(&error_body(
            Shape::Venue(Venue::Binance),
            404,
            "unknown_endpoint",
            "not in the catalogue",
            None,
        ))
        .unwrap();
        assert_eq!(j["code"], -1020);
        assert_eq!(j["msg"], "relay unknown_endpoint: not in the catalogue");
        assert_eq!((j["source"].as_str(), j["relay_reason"].as_str()), (Some("relay"), Some("unknown_endpoint")));
        let j: serde_json::Value = serde_json::from_str(&error_body(
            Shape::Venue(Venue::Bitget),
            429,
            "fair_share",
            "wait",
            Some(("retry_after_s", 7.into())),
        ))
        .unwrap();
        assert_eq!((j["code"].as_str(), j["retry_after_s"].as_u64()), (Some("429"), Some(7)));
        assert!(j["requestTime"].is_u64() && j["data"].is_null() && j.get("data").is_some());
        let j: serde_json::Value =
            serde_json::from_str(&error_body(Shape::Relay, 404, "not_found", "no such file", None)).unwrap();
        assert_eq!(j, serde_json::json!({ "source": "relay", "code": "not_found", "message": "no such file" }));
        // Every Binance code is negative, every Bitget code digits.
        for status in [400, 401, 403, 404, 405, 414, 429, 431, 502, 504] {
            for reason in ["x", "missing_auth_header"] {
                let (b, g) = venue_codes(status, reason);
                assert!(b < 0 && !g.is_empty() && g.bytes().all(|c| c.is_ascii_digit()), "{status} {reason}");
            }
        }
    }
}
