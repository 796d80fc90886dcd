//! SANDBOX ONLY: registering a self-generated Ed25519 public key, the simulated counterpart of Binance's web page
//! "Create API → Self-generated" (Binance does this in its web interface, not through its API; docs/venues.md
//! §1.2 "Self-generated keys"). `POST /sandbox/ed25519-keys` on the spot server takes
//! `{"publicKey": PEM, "ipList": [IP, ...], "account": LABEL}` and answers the new API key: read-only, restricted
//! to the given IPs (at least one), reading the generated account `LABEL` (default `main`). Nothing of the catalogue:
//! the relay forwards no such path under `/v1/`.

use std::net::IpAddr;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::ApiError;
use crate::keys::{DemoKey, KeyType, Profile, Secret, Venue};

/// The path of the registration route on the simulated Binance spot server.
pub const REGISTER_PATH: &str = "/sandbox/ed25519-keys";

/// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4).
const SPKI_PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Registration {
    public_key: String,
    #[serde(default)]
    ip_list: Vec<String>,
    #[serde(default)]
    account: Option<String>,
}

/// The Ed25519 public key of a PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`).
pub fn parse_public_pem(pem: &str) -> Option<ed25519_dalek::VerifyingKey> {
    let pem = pem.trim();
    let body = pem.strip_prefix("-----BEGIN PUBLIC KEY-----")?.strip_suffix("-----END PUBLIC KEY-----")?;
    let b64: String = body.split_whitespace().collect();
    let der = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    let raw: [u8; 32] = der.strip_prefix(&SPKI_PREFIX[..])?.try_into().ok()?;
    ed25519_dalek::VerifyingKey::from_bytes(&raw).ok()
}

/// Checks a registration and builds its key. `accounts` are the generated Binance accounts' labels; `taken` says
/// whether an API key already exists.
pub(super) fn register(
    body: &[u8],
    accounts: &[&str],
    taken: impl Fn(&str) -> bool,
) -> Result<(DemoKey, ed25519_dalek::VerifyingKey), ApiError> {
    let reg: Registration = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad(-1102, format!("send JSON {{\"publicKey\": PEM, \"ipList\": [IP], \"account\": LABEL}}: {e}"))
    })?;
    let verifying = parse_public_pem(&reg.public_key).ok_or_else(|| {
        ApiError::bad(-1130, "Data sent for parameter 'publicKey' is not valid: not an Ed25519 public key PEM.")
    })?;
    if reg.ip_list.is_empty() {
        return Err(ApiError::bad(
            -1102,
            "Mandatory parameter 'ipList' was not sent: a self-generated key here is always restricted to trusted IPs.",
        ));
    }
    let ips = reg
        .ip_list
        .iter()
        .map(|ip| ip.trim().parse::<IpAddr>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| ApiError::bad(-1130, "Data sent for parameter 'ipList' is not valid: not an IP address."))?;
    let account = reg.account.unwrap_or_else(|| "main".into());
    if !accounts.contains(&account.as_str()) {
        return Err(ApiError::bad(
            -1130,
            format!("Data sent for parameter 'account' is not valid: no account {account}."),
        ));
    }
    let public_key = hex::encode(verifying.to_bytes());
    let api_key = hex::encode(Sha256::digest(format!("meetcrypt-sandbox/ed25519/{public_key}")));
    if taken(&api_key) {
        return Err(ApiError::bad(
            -1130,
            "Data sent for parameter 'publicKey' is not valid: it is registered already.",
        ));
    }
    let key = DemoKey {
        venue: Venue::Binance,
        label: account,
        account_kind: "spot".into(),
        permissions: Profile::ReadOnly,
        api_key,
        secret: Secret::default(),
        passphrase: Secret::default(),
        ip_allow: ips,
        key_type: KeyType::Ed25519,
        public_key,
    };
    Ok((key, verifying))
}

/// The answer to a registration.
pub(super) fn answer(key: &DemoKey, now: i64) -> Value {
    json!({
        "apiKey": key.api_key,
        "account": key.label,
        "keyType": "ED25519",
        "ipList": key.ip_allow.iter().map(|ip| ip.to_string()).collect::<Vec<_>>(),
        "apiRestrictions": key.binance_restrictions(now),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC8410: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";

    #[test]
    fn a_registration_gives_a_read_only_ip_restricted_key() {
        let body = json!({"publicKey": RFC8410, "ipList": ["127.0.0.2"], "account": "alt"}).to_string();
        let (key, _) = register(body.as_bytes(), &["main", "alt"], |_| false).unwrap();
        assert_eq!(key.label, "alt");
        assert_eq!(key.permissions, Profile::ReadOnly);
        assert_eq!(key.ip_allow, vec!["127.0.0.2".parse::<IpAddr>().unwrap()]);
        assert_eq!(key.public_key, "19bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1");
        let a = answer(&key, 1);
        assert_eq!(a["apiRestrictions"]["ipRestrict"], true);
        assert_eq!(a["apiRestrictions"]["enableWithdrawals"], false);
        assert_eq!(a["apiRestrictions"]["enableSpotAndMarginTrading"], false);
        assert!(a["apiKey"].as_str().unwrap().bytes().all(|b| b.is_ascii_alphanumeric()));
    }

    #[test]
    fn bad_registrations_are_refused_with_the_reason() {
        let cases = [
            (json!({"publicKey": RFC8410}), "ipList"),
            (json!({"publicKey": RFC8410, "ipList": []}), "ipList"),
            (json!({"publicKey": RFC8410, "ipList": ["nope"]}), "ipList"),
            (
                json!({"publicKey": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "ipList": ["127.0.0.2"]}),
                "publicKey",
            ),
            (json!({"publicKey": RFC8410.replace("PUBLIC", "PRIVATE"), "ipList": ["127.0.0.2"]}), "publicKey"),
            (json!({"publicKey": RFC8410, "ipList": ["127.0.0.2"], "account": "nobody"}), "account"),
            (json!({"publicKey": RFC8410, "ipList": ["127.0.0.2"], "permissions": "trade"}), "unknown field"),
        ];
        for (body, reason) in cases {
            let e = register(body.to_string().as_bytes(), &["main"], |_| false).expect_err("refused");
            assert!(e.msg.contains(reason), "{body}: {}", e.msg);
        }
        let body = json!({"publicKey": RFC8410, "ipList": ["127.0.0.2"]}).to_string();
        let e = register(body.as_bytes(), &["main"], |_| true).expect_err("refused");
        assert!(e.msg.contains("registered already"), "{}", e.msg);
    }
}
