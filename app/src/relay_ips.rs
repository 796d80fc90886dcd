//! The relay's egress IPs to allow-list, only as its operator signed them (docs/relay.md, "The signed IP list"):
//! `GET /v1/ips/signed` from the relay serving the app, verified against the operator's public key and the time
//! now. The key is the one the user configured in Settings (a sealed record, [`configured_key`]), else the one this
//! app was built with (`MEETCRYPT_RELAY_IPS_KEY`, docs/building.md). Fail closed: without a key, a list, a good
//! signature or a current window there are no IPs, only the reason ([`IpsError`]); the screen (`ui::relay_ips`)
//! shows it.

use signedips::{Document, PublicKey};
use vault::RecordKind;

use crate::records;
use crate::session::{self, SessionError};

/// The sealed settings record holding the operator key configured in Settings (JSON: the hex key, or null).
pub const KEY_RECORD: &str = "relay-ips-key";

/// The operator's public key (64 hex digits), compiled in by `scripts/build-app` from `MEETCRYPT_RELAY_IPS_KEY`;
/// `None`: built without one, and no IP is ever shown.
pub const OPERATOR_KEY: Option<&str> = option_env!("MEETCRYPT_RELAY_IPS_KEY");

/// A signed list that verified: the IPs, and what to tell the user about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedIps {
    /// The egress IPs, in the list's order.
    pub ips: Vec<String>,
    /// The list's serial.
    pub serial: u64,
    /// The end of its window, `YYYY-MM-DD HH:MM UTC`.
    pub valid_until: String,
    /// The first 16 hex digits of the operator key that signed it.
    pub key: String,
    /// Where that key came from: "built in" or "configured in Settings".
    pub key_source: &'static str,
}

/// Why no IP is shown. Each message says what it means for the user.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IpsError {
    /// The app was built without an operator key.
    #[error(
        "This app was built without the relay operator's public key and none is configured in Settings, so it \
         cannot check which IPs are the relay's and shows none. Ask the operator for their public key."
    )]
    NoOperatorKey,
    /// The compiled-in key is not a key.
    #[error("The relay operator key this app was built with is not valid ({0}), so it shows no IP.")]
    BadOperatorKey(String),
    /// The relay serves no signed list.
    #[error("The relay publishes no signed IP list, so no IP can be checked and none is shown: ask its operator.")]
    NotPublished,
    /// No answer, or not the documented one.
    #[error("Could not read the relay's signed IP list ({0}); no IP is shown.")]
    Unreadable(String),
    /// The list is refused: another key, a bad signature, a malformed document, outside its window.
    #[error("The relay's IP list is refused, no IP is shown: {0}")]
    Refused(signedips::Error),
}

/// Verifies the served JSON `body` against the operator key `key` (hex; `None`: none known) at `now` (Unix seconds).
pub fn check(body: &str, key: Option<&str>, now: u64) -> Result<VerifiedIps, IpsError> {
    let key = key.filter(|k| !k.trim().is_empty()).ok_or(IpsError::NoOperatorKey)?;
    let key = PublicKey::parse(key).map_err(|e| IpsError::BadOperatorKey(e.to_string()))?;
    let doc: Document = signedips::verify_json(body, &key, now).map_err(IpsError::Refused)?;
    Ok(VerifiedIps {
        ips: doc.ips.iter().map(ToString::to_string).collect(),
        serial: doc.serial,
        valid_until: signedips::utc(doc.not_after),
        key: key.short(),
        key_source: "built in",
    })
}

/// The operator key configured in Settings, if any.
pub fn configured_key() -> Result<Option<String>, SessionError> {
    Ok(records::read::<Option<String>>(RecordKind::Settings, KEY_RECORD)?.flatten())
}

/// Saves (a key, checked first) or clears (`None`) the operator key configured in Settings; the message says what
/// is wrong.
pub async fn set_configured_key(key: Option<String>) -> Result<(), String> {
    let key = match key.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) => Some(PublicKey::parse(k).map_err(|e| e.to_string())?.to_hex()),
        None => None,
    };
    session::transact(|| records::write(RecordKind::Settings, KEY_RECORD, &key)).await.map_err(|e| e.to_string())
}

/// Reads `/v1/ips/signed` and verifies it with [`OPERATOR_KEY`] at the browser's time now.
pub async fn verified_ips() -> Result<VerifiedIps, IpsError> {
    let configured = configured_key().map_err(|e| IpsError::Unreadable(e.to_string()))?;
    let (key, source) = match configured {
        Some(k) => (Some(k), "configured in Settings"),
        None => (OPERATOR_KEY.map(str::to_owned), "built in"),
    };
    if key.is_none() {
        return Err(IpsError::NoOperatorKey);
    }
    let resp =
        gloo_net::http::Request::get("/v1/ips/signed").send().await.map_err(|e| IpsError::Unreadable(e.to_string()))?;
    if resp.status() == 404 {
        return Err(IpsError::NotPublished);
    }
    if !resp.ok() {
        return Err(IpsError::Unreadable(format!("the relay answered {}", resp.status())));
    }
    let body = resp.text().await.map_err(|e| IpsError::Unreadable(e.to_string()))?;
    let verified = check(&body, key.as_deref(), (js_sys::Date::now() / 1000.0) as u64)?;
    Ok(VerifiedIps { key_source: source, ..verified })
}
