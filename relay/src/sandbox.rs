//! DEMO AND TESTS ONLY: `POST /sandbox/binance/ed25519-keys`, served only when the relay was started with
//! `--sandbox DIR`. It hands a self-generated Ed25519 public key to the simulated Binance's registration route
//! (`/sandbox/ed25519-keys` on its spot server, `crates/simvenues/src/binance/register.rs`), which answers a new
//! read-only, IP-restricted API key: the sandbox's stand-in for the web page where Binance registers such keys
//! (docs/venues.md §1.2 "Self-generated keys"). It is not a venue read and not in the catalogue: under `/v1/` the
//! policy refuses it like any unknown path, and without a sandbox this route answers 404.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::response::Response;
use http::{HeaderValue, StatusCode, header};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::Relay;

/// The route on the relay.
pub const ROUTE: &str = "/sandbox/binance/ed25519-keys";
/// The route on the simulated Binance spot server.
pub const UPSTREAM_PATH: &str = "/sandbox/ed25519-keys";
/// Largest registration body forwarded (a PEM public key and a few IPs fit many times over).
const MAX_BODY: usize = 8 * 1024;
/// Largest answer read back.
const MAX_ANSWER: usize = 64 * 1024;

fn answer(status: StatusCode, body: impl Into<Body>) -> Response {
    let mut r = Response::new(body.into());
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn problem(status: StatusCode, message: &str) -> Response {
    answer(status, serde_json::json!({ "source": "relay", "code": "sandbox", "message": message }).to_string())
}

/// The handler.
pub async fn register(State(relay): State<Arc<Relay>>, req: Request) -> Response {
    let Some(upstream) = relay.config.sandbox_registration.clone() else {
        return problem(StatusCode::NOT_FOUND, "no such route: registering a key is for the sandbox only");
    };
    let Ok(body) = to_bytes(req.into_body(), MAX_BODY).await else {
        return problem(StatusCode::PAYLOAD_TOO_LARGE, "the registration is too large");
    };
    let work = async {
        let mut stream = tokio::net::TcpStream::connect(upstream.authority.as_str()).await?;
        let head = format!(
            "POST {UPSTREAM_PATH} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n",
            upstream.authority,
            body.len()
        );
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(&body).await?;
        let mut out = Vec::new();
        stream.take(MAX_ANSWER as u64).read_to_end(&mut out).await?;
        Ok::<_, std::io::Error>(out)
    };
    let Ok(Ok(raw)) = tokio::time::timeout(Duration::from_secs(10), work).await else {
        return problem(StatusCode::BAD_GATEWAY, "the sandbox did not answer");
    };
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut parsed = httparse::Response::new(&mut headers);
    match parsed.parse(&raw) {
        Ok(httparse::Status::Complete(n)) => {
            let status = parsed.code.and_then(|c| StatusCode::from_u16(c).ok()).unwrap_or(StatusCode::BAD_GATEWAY);
            answer(status, raw[n..].to_vec())
        }
        _ => problem(StatusCode::BAD_GATEWAY, "the sandbox's answer did not parse"),
    }
}
