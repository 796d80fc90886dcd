//! Key material: the API secret and the Bitget passphrase live in [`Secret`], which never prints and is wiped on drop.

use std::fmt;

use catalogue::Venue;

pub use secret::Secret;

/// How a Binance key signs: an HMAC secret, or an Ed25519 private key (PKCS#8 PEM), which Binance recommends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// HMAC-SHA256 with the secret; hex signature. Also Bitget's only kind here.
    Hmac,
    /// Ed25519 private key; base64 signature.
    Ed25519,
}

/// One API key as the user entered it.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The venue the key belongs to.
    pub venue: Venue,
    /// The user's label for the account (`main`, `copy`); the middle part of account ids.
    pub label: String,
    /// The public API key (sent to the venue in a header; not secret, but not logged either).
    pub api_key: String,
    /// The API secret or Ed25519 private key.
    pub secret: Secret,
    /// Bitget's passphrase (sent as a header, not signed).
    pub passphrase: Option<Secret>,
}

impl Credentials {
    /// Builds credentials; a Bitget key needs its passphrase.
    pub fn new(
        venue: Venue,
        label: impl Into<String>,
        api_key: impl Into<String>,
        secret: Secret,
        passphrase: Option<Secret>,
    ) -> Self {
        Credentials { venue, label: label.into(), api_key: api_key.into(), secret, passphrase }
    }

    /// The signing scheme this secret implies: a PEM private key is Ed25519, anything else HMAC.
    pub fn key_kind(&self) -> KeyKind {
        if self.venue == Venue::Binance && self.secret.expose().contains("PRIVATE KEY") {
            KeyKind::Ed25519
        } else {
            KeyKind::Hmac
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("venue", &self.venue)
            .field("label", &self.label)
            .field("api_key", &redact_key(&self.api_key))
            .field("secret", &self.secret)
            .field("passphrase", &self.passphrase)
            .finish()
    }
}

/// An API key shortened for messages: the first four characters and its length (`vmPU…(64)`).
pub fn redact_key(key: &str) -> String {
    let head: String = key.chars().take(4).collect();
    format!("{head}…({})", key.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let c = Credentials::new(
            Venue::Bitget,
            "main",
            "bg_0123456789abcdef",
            Secret::new("s3cr3t-value"),
            Some(Secret::new("pass-phrase")),
        );
        let shown = format!("{c:?} {} {}", c.secret, c.passphrase.as_ref().unwrap());
        for leak in ["s3cr3t", "pass-phrase", "0123456789abcdef"] {
            assert!(!shown.contains(leak), "{leak} leaked in {shown}");
        }
        assert!(shown.contains("bg_0…(19)"), "{shown}");
        assert_eq!(c.secret.expose(), "s3cr3t-value");
    }

    #[test]
    fn pem_secrets_are_ed25519() {
        let pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----";
        let c = Credentials::new(Venue::Binance, "m", "k", Secret::new(pem), None);
        assert_eq!(c.key_kind(), KeyKind::Ed25519);
        let c = Credentials::new(Venue::Binance, "m", "k", Secret::new("abc"), None);
        assert_eq!(c.key_kind(), KeyKind::Hmac);
    }
}
