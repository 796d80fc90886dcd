//! The router: `/v1/{venue}/...` through the policy to the venue, `/v1/ips`, `/v1/ips/signed`, `/v1/catalogue`, `/healthz`, and the built app with
//! cache and security headers; `/metrics` on a router of its own ([`metrics_app`]), served on the metrics listener
//! only (the public router answers 404 for it).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::Response;
use axum::routing::{any, get};
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use tower::ServiceExt;

use crate::errors::Shape;
use crate::forward::{forward, relay_error};
use crate::policy::{self, Decision, Refusal};
use crate::{Relay, now_ms};

/// The Content-Security-Policy of the app: scripts and wasm from the relay only, no inline script, fetches to the
/// relay only.
pub const APP_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; object-src 'none'; base-uri 'none'; \
    frame-ancestors 'none'; form-action 'self'";

/// The app's CSP with the configured failover relays added to `connect-src`.
pub fn app_csp(failover_relays: &[String]) -> String {
    if failover_relays.is_empty() {
        return APP_CSP.to_owned();
    }
    APP_CSP.replacen("connect-src 'self'", &format!("connect-src 'self' {}", failover_relays.join(" ")), 1)
}

/// The CSP of API responses: nothing.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Builds the public router.
pub fn app(relay: Arc<Relay>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        // Metrics are on their own listener: here, never, and not the app's index.html either.
        .route("/metrics", any(not_found))
        .route("/metrics/", any(not_found))
        .route("/v1/ips", get(ips))
        .route("/v1/catalogue", get(catalogue))
        .route(crate::sandbox::ROUTE, axum::routing::post(crate::sandbox::register))
        .route("/v1/ips/signed", get(signed_ips))
        .fallback(dispatch)
        .with_state(relay)
}

/// Builds the router of the metrics listener: `GET /metrics`, behind the bearer token if one is configured.
pub fn metrics_app(relay: Arc<Relay>) -> Router {
    Router::new().route("/metrics", get(metrics)).fallback(not_found).with_state(relay)
}

async fn not_found() -> Response {
    json(
        StatusCode::NOT_FOUND,
        serde_json::json!({ "source": "relay", "code": "not_found", "message": "no such route" }),
    )
}

fn json(status: StatusCode, v: serde_json::Value) -> Response {
    let mut r = Response::new(Body::from(v.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    api_headers(r.headers_mut());
    r
}

fn api_headers(h: &mut HeaderMap) {
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(API_CSP));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
}

async fn healthz() -> Response {
    json(StatusCode::OK, serde_json::json!({ "status": "ok" }))
}

async fn ips(State(relay): State<Arc<Relay>>) -> Response {
    let ips: Vec<String> = relay.config.egress.iter().map(|ip| ip.to_string()).collect();
    json(StatusCode::OK, serde_json::json!({ "ips": ips }))
}

/// The operator's signed egress IP list (docs/relay.md, "The signed IP list"), or 404 `no_signed_ips` when the
/// relay is given none.
async fn signed_ips(State(relay): State<Arc<Relay>>) -> Response {
    match &relay.signed_ips {
        Some(s) => {
            let mut r = Response::new(Body::from(s.body(now_ms() / 1000)));
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            api_headers(r.headers_mut());
            r
        }
        None => json(
            StatusCode::NOT_FOUND,
            serde_json::json!({
                "source": "relay",
                "code": "no_signed_ips",
                "message": "this relay serves no signed IP list: its operator has not configured one"
            }),
        ),
    }
}

/// The allow-list, published: every read the relay forwards (venue, method, exact path), what it costs and the
/// limit it counts against. Anything not listed is refused. The app's setup guide shows it.
async fn catalogue() -> Response {
    let endpoints: Vec<serde_json::Value> = catalogue::ENDPOINTS
        .iter()
        .map(|e| {
            let limiter = e.limiter();
            serde_json::json!({
                "venue": e.venue.as_str(),
                "method": e.method.as_str(),
                "path": e.path,
                "signed": e.security == catalogue::Security::Signed,
                "weight": e.weight(""),
                "limiter": limiter.as_str(),
                "counted_per": match limiter.counted_per() {
                    catalogue::CountedPer::Ip => "ip",
                    catalogue::CountedPer::Account => "account",
                },
                "reads": e.name,
            })
        })
        .collect();
    json(StatusCode::OK, serde_json::json!({ "endpoints": endpoints }))
}

async fn metrics(State(relay): State<Arc<Relay>>, headers: HeaderMap) -> Response {
    if let Some(token) = &relay.config.metrics_token {
        let given = headers.get(header::AUTHORIZATION).and_then(|v| v.as_bytes().strip_prefix(b"Bearer "));
        if !given.is_some_and(|g| secret::constant_time_eq(g, token.expose().as_bytes())) {
            let mut r = json(
                StatusCode::UNAUTHORIZED,
                serde_json::json!({ "source": "relay", "code": "unauthorized", "message": "send Authorization: Bearer <metrics_token>" }),
            );
            r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return r;
        }
    }
    let weights: Vec<_> = relay
        .budget
        .snapshot(now_ms())
        .into_iter()
        .map(|(i, l, used, limit)| (relay.egress_label(i).to_owned(), l.as_str(), used, limit))
        .collect();
    let mut r = Response::new(Body::from(relay.metrics.render(&weights)));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    r
}

/// Answers a policy refusal in the route's error `shape`, counting it and closing the connection when the request's
/// framing is suspect.
pub fn refuse(relay: &Relay, r: Refusal, shape: Shape) -> Response {
    relay.metrics.refusal(r.code());
    tracing::info!(reason = r.code(), status = r.status(), "refused");
    let mut resp = relay_error(shape, r.status(), r.code(), r.message(), None);
    api_headers(resp.headers_mut());
    if matches!(
        r,
        Refusal::ConflictingFraming
            | Refusal::BodyNotAllowed
            | Refusal::UpgradeNotAllowed
            | Refusal::HeadersTooLarge
            | Refusal::NotOriginForm
    ) {
        resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    resp
}

/// Whether the Origin is the relay itself (same host) or configured; `None` when the request has no Origin.
fn origin_allowed(relay: &Relay, headers: &HeaderMap) -> Option<(bool, HeaderValue)> {
    let origin = headers.get(header::ORIGIN)?;
    let o = origin.to_str().unwrap_or("");
    let same = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|host| o.strip_prefix("http://").or_else(|| o.strip_prefix("https://")) == Some(host));
    let ok = same || relay.config.allowed_origins.iter().any(|a| a == o);
    Some((ok, origin.clone()))
}

/// The response headers a cross-origin caller may read.
pub const EXPOSED: &str = "retry-after, x-mbx-used-weight-1m, x-sapi-used-ip-weight-1m, x-sapi-used-uid-weight-1m";
const ALLOWED_HEADERS: &str =
    "x-mbx-apikey, access-key, access-sign, access-timestamp, access-passphrase, locale, paptrading, content-type";

fn cors(h: &mut HeaderMap, origin: HeaderValue) {
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    h.insert(header::VARY, HeaderValue::from_static("origin"));
    h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSED));
}

/// Whether a request is for the relay API (and so goes through the policy) rather than the static app.
pub fn is_api(method: &Method, uri: &http::Uri) -> bool {
    let path = uri.path();
    uri.scheme().is_some()
        || uri.authority().is_some()
        || method == Method::CONNECT
        || (path.starts_with("/v1/") && !matches!(path, "/v1/ips" | "/v1/ips/signed" | "/v1/catalogue"))
        || path == "/v1"
        || !path.starts_with('/')
}

async fn dispatch(State(relay): State<Arc<Relay>>, req: Request) -> Response {
    if !is_api(req.method(), req.uri()) {
        return match &relay.config.static_dir {
            Some(dir) if req.method() == Method::GET || req.method() == Method::HEAD => {
                serve_static(dir, &relay.config.failover_relays, req).await
            }
            _ => refuse(&relay, Refusal::NotRelayRoute, Shape::of_target(req.uri().path().as_bytes())),
        };
    }
    api(relay, req.into_parts().0).await
}

/// Handles an API request (`/v1/{venue}/...` or anything that must be refused as one): policy, budget, forward.
/// Only the request head is used; a body is never read.
pub async fn api(relay: Arc<Relay>, parts: http::request::Parts) -> Response {
    let raw_target = match parts.uri.scheme() {
        // Absolute-form: reconstruct so the policy sees what was sent (and refuses it).
        Some(_) => std::borrow::Cow::Owned(parts.uri.to_string()),
        None => match parts.uri.path_and_query() {
            Some(pq) => std::borrow::Cow::Borrowed(pq.as_str()),
            None => std::borrow::Cow::Owned(parts.uri.to_string()),
        },
    };
    // Refusals on a venue's route have that venue's error shape.
    let shape = Shape::of_target(raw_target.as_bytes());
    let origin = origin_allowed(&relay, &parts.headers);
    if let Some((false, _)) = origin {
        return refuse(&relay, Refusal::OriginNotAllowed, shape);
    }
    if parts.method == Method::OPTIONS && parts.uri.scheme().is_none() {
        // CORS preflight from an allowed origin: answered here, never forwarded.
        return match origin {
            Some((true, o)) => {
                let mut r = Response::new(Body::empty());
                *r.status_mut() = StatusCode::NO_CONTENT;
                let h = r.headers_mut();
                cors(h, o);
                h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST"));
                h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static(ALLOWED_HEADERS));
                h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
                r
            }
            _ => refuse(&relay, Refusal::MethodNotAllowed, shape),
        };
    }
    let header_list: Vec<(&[u8], &[u8])> =
        parts.headers.iter().map(|(n, v)| (n.as_str().as_bytes(), v.as_bytes())).collect();
    let decision = policy::decide(parts.method.as_str().as_bytes(), raw_target.as_bytes(), &header_list);
    let allowed = match decision {
        Decision::Refuse(r) => {
            let mut resp = refuse(&relay, r, shape);
            if let Some((true, o)) = origin {
                cors(resp.headers_mut(), o);
            }
            return resp;
        }
        Decision::Allow(a) => a,
    };
    // The client for the budget and logs: its address (X-Forwarded-For believed only from a trusted proxy), and the
    // key's salted hash when it sends one (the hot path's `Hot::client` makes the same).
    let address = match parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()) {
        Some(peer) => {
            let xff = parts.headers.get_all("x-forwarded-for").into_iter().map(HeaderValue::as_bytes);
            relay.ip_client(crate::proxy::client_ip(peer, &relay.config.trusted_proxies, xff))
        }
        None => relay.client("ip", &[]),
    };
    let key = policy::auth_headers(allowed.endpoint.venue).first().and_then(|h| parts.headers.get(*h));
    let client = match key {
        Some(k) => address.signing_with(&relay.client("key", k.as_bytes())),
        None => address,
    };
    let mut resp = forward(&relay, &parts.method, allowed, &parts.headers, client).await;
    api_headers(resp.headers_mut());
    if let Some((true, o)) = origin {
        cors(resp.headers_mut(), o);
    }
    resp
}

/// Whether a file name carries a content hash (trunk's `name-0123456789abcdef.ext`), so it can be cached forever.
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    let stem = name.split('.').next().unwrap_or("");
    stem.rsplit_once('-').is_some_and(|(_, h)| h.len() >= 16 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

async fn serve_static(dir: &std::path::Path, failover_relays: &[String], req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let lower = path.to_ascii_lowercase();
    if path.split('/').any(|s| s == "." || s == "..")
        || lower.contains("%2e")
        || lower.contains("%2f")
        || lower.contains("%5c")
        || path.contains('\\')
    {
        let mut r = relay_error(Shape::Relay, 404, "not_found", "no such file", None);
        api_headers(r.headers_mut());
        return r;
    }
    let last = path.rsplit('/').next().unwrap_or("");
    // Client-side routes (no extension) get the app's index.html.
    let resp = if !path.ends_with('/') && !last.contains('.') {
        tower_http::services::ServeFile::new(dir.join("index.html")).oneshot(req).await
    } else {
        // the app build writes a .gz beside each bundle file: sent as is to browsers that accept gzip
        tower_http::services::ServeDir::new(dir).precompressed_gzip().oneshot(req).await
    };
    let mut resp = match resp {
        Ok(r) => r.map(Body::new),
        Err(never) => match never {},
    };
    let cache =
        if resp.status().is_success() && is_hashed(&path) { "public, max-age=31536000, immutable" } else { "no-cache" };
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    // the same path answers in two encodings: caches must key on Accept-Encoding
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    let csp = if failover_relays.is_empty() {
        HeaderValue::from_static(APP_CSP)
    } else {
        HeaderValue::from_str(&app_csp(failover_relays)).unwrap_or(HeaderValue::from_static(APP_CSP))
    };
    h.insert(header::CONTENT_SECURITY_POLICY, csp);
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    resp
}

#[cfg(test)]
mod csp_tests {
    use super::*;

    #[test]
    fn failover_relays_join_connect_src_only() {
        assert_eq!(app_csp(&[]), APP_CSP);
        let csp = app_csp(&["https://relay2.example.org".into(), "https://relay3.example.org:8443".into()]);
        assert!(
            csp.contains("connect-src 'self' https://relay2.example.org https://relay3.example.org:8443;"),
            "{csp}"
        );
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval';"), "scripts stay same-origin: {csp}");
    }

    #[test]
    fn failover_relays_are_validated_urls() {
        let mut c = crate::Config::default();
        c.apply_toml("r.toml", "failover_relays = [\"https://relay2.example.org\"]\n").unwrap();
        assert_eq!(c.failover_relays, vec!["https://relay2.example.org".to_string()]);
        let err = c.apply_toml("r.toml", "\nfailover_relays = [\"relay2 example\"]\n").unwrap_err().to_string();
        assert!(err.contains("r.toml line 2") && err.contains("failover_relays"), "{err}");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashed_names() {
        assert!(super::is_hashed("/app-1a2b3c4d5e6f7a8b_bg.wasm") || super::is_hashed("/app-1a2b3c4d5e6f7a8b.js"));
        assert!(!super::is_hashed("/index.html"));
        assert!(!super::is_hashed("/my-app.js"));
    }
}
