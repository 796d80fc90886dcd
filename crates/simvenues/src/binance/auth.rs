//! Binance SIGNED request checks (docs/venues.md §1.2, §1.3).

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use rust_decimal::Decimal;
use sha2::Sha256;

use super::{ApiError, Settings};
use crate::http::{Params, Req, percent_decode};

/// Lower-case hex HMAC-SHA256 of `payload` with `secret`.
pub fn hmac_hex(secret: &str, payload: &str) -> String {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    m.update(payload.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// Verifies a base64 Ed25519 signature of `payload`.
pub fn verify_ed25519(key: &ed25519_dalek::VerifyingKey, payload: &str, signature_b64: &str) -> bool {
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(signature_b64.trim()) else { return false };
    let Ok(sig) = ed25519_dalek::Signature::from_slice(&bytes) else { return false };
    key.verify_strict(payload.as_bytes(), &sig).is_ok()
}

/// Splits the `signature` parameter out of a raw query or body: (the rest as sent, the raw signature value).
fn strip_signature(raw: &str) -> (String, Option<String>) {
    let mut sig = None;
    let rest: Vec<&str> = raw
        .split('&')
        .filter(|p| {
            if let Some(v) = p.strip_prefix("signature=") {
                sig = Some(v.to_string());
                false
            } else {
                true
            }
        })
        .collect();
    (rest.join("&"), sig)
}

/// Checks timestamp, recvWindow and signature of a SIGNED request.
pub(super) fn check_signed(
    req: &Req,
    params: &Params,
    secret: &str,
    ed25519: Option<&ed25519_dalek::VerifyingKey>,
    settings: &Settings,
) -> Result<(), ApiError> {
    let ts_raw = params.get("timestamp").ok_or_else(|| ApiError::mandatory("timestamp"))?;
    let mut ts: i64 = ts_raw.parse().map_err(|_| {
        ApiError::bad(-1100, "Illegal characters found in parameter 'timestamp'; legal range is '^[0-9]{1,20}$'.")
    })?;
    if ts > 100_000_000_000_000 {
        ts /= 1000; // microseconds
    }
    let recv_window: Decimal = match params.get("recvWindow") {
        Some(v) => v.parse().map_err(|_| {
            ApiError::bad(
                -1100,
                "Illegal characters found in parameter 'recvWindow'; legal range is '^[0-9]{1,6}(\\.[0-9]{1,3})?$'.",
            )
        })?,
        None => Decimal::from(5000),
    };
    if recv_window > Decimal::from(60_000) {
        return Err(ApiError::bad(-1131, settings.recv_window_msg.clone()));
    }
    let now = req.now;
    if ts >= now + 1000 {
        return Err(ApiError::bad(-1021, "Timestamp for this request was 1000ms ahead of the server's time."));
    }
    if Decimal::from(now - ts) > recv_window {
        return Err(ApiError::bad(-1021, "Timestamp for this request is outside of the recvWindow."));
    }
    let body = if req.method == axum::http::Method::GET {
        String::new()
    } else {
        String::from_utf8_lossy(&req.body).into_owned()
    };
    let (q, qsig) = strip_signature(&req.raw_query);
    let (b, bsig) = strip_signature(&body);
    let sig = qsig.or(bsig).filter(|s| !s.is_empty()).ok_or_else(|| ApiError::mandatory("signature"))?;
    let payload = format!("{q}{b}");
    let ok = match ed25519 {
        Some(key) => verify_ed25519(key, &payload, &percent_decode(&sig)),
        None => hmac_hex(secret, &payload).eq_ignore_ascii_case(&sig),
    };
    if ok { Ok(()) } else { Err(ApiError::bad(-1022, "Signature for this request is not valid.")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

    #[test]
    fn official_vectors_api_md_4_1() {
        assert_eq!(
            hmac_hex(
                SECRET,
                "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
            ),
            "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
        );
        assert_eq!(
            hmac_hex(
                SECRET,
                "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
            ),
            "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3"
        );
    }

    #[test]
    fn signature_is_removed_wherever_it_is() {
        assert_eq!(strip_signature("a=1&signature=ff&b=2"), ("a=1&b=2".into(), Some("ff".into())));
        assert_eq!(strip_signature("a=1"), ("a=1".into(), None));
    }
}
