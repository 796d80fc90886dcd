//! What the vault keeps: record kinds and ids, and exchange credentials.

use std::fmt;

use catalogue::Venue;
use zeroize::Zeroizing;

use crate::VaultError;
use crate::crypto::random_fill;
use crate::format::{Reader, put_bytes};
use crate::secret::Secret;

/// The kinds of sealed record. The kind is bound into each record's associated data, so a record cannot be
/// read as another kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordKind {
    /// An exchange API credential (written through the credential API only).
    Credential,
    /// A chunk of the ledger cache (normalized events of one account).
    LedgerCache,
    /// Settings that reveal holdings (accounts, display choices).
    Settings,
    /// The audit log.
    AuditLog,
    /// A key pair generated in the vault whose API key is not attached yet (written through the key-generation
    /// API only; its private key is never read out as raw bytes).
    PendingKey,
}

impl RecordKind {
    /// Every kind.
    pub const ALL: [RecordKind; 5] = [
        RecordKind::Credential,
        RecordKind::LedgerCache,
        RecordKind::Settings,
        RecordKind::AuditLog,
        RecordKind::PendingKey,
    ];

    /// Kinds that hold secrets and are read and written only through their own functions, never as raw bytes.
    pub fn is_reserved(self) -> bool {
        matches!(self, RecordKind::Credential | RecordKind::PendingKey)
    }

    /// The one-byte code bound into the associated data.
    pub(crate) fn code(self) -> u8 {
        match self {
            RecordKind::Credential => 1,
            RecordKind::LedgerCache => 2,
            RecordKind::Settings => 3,
            RecordKind::AuditLog => 4,
            RecordKind::PendingKey => 5,
        }
    }

    /// The name used in store keys (`record.{name}.{id}`).
    pub fn name(self) -> &'static str {
        match self {
            RecordKind::Credential => "credential",
            RecordKind::LedgerCache => "ledger-cache",
            RecordKind::Settings => "settings",
            RecordKind::AuditLog => "audit-log",
            RecordKind::PendingKey => "pending-key",
        }
    }

    /// Inverse of [`RecordKind::name`].
    pub fn from_name(name: &str) -> Option<RecordKind> {
        RecordKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The id of a record within its kind: 1 to 128 characters from `A-Z a-z 0-9 . _ -`, not starting with `.`.
/// Ids are not secret (they appear in store keys and error messages): never put a secret in one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId(String);

impl RecordId {
    /// Longest id accepted.
    pub const MAX_LEN: usize = 128;

    /// Checks and wraps an id.
    pub fn new(id: &str) -> Result<RecordId, VaultError> {
        let ok = !id.is_empty()
            && id.len() <= Self::MAX_LEN
            && !id.starts_with('.')
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if ok { Ok(RecordId(id.to_owned())) } else { Err(VaultError::InvalidRecordId(id.chars().take(140).collect())) }
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The id of a stored credential: 32 random hex digits chosen by the vault when the credential is added.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CredentialId(RecordId);

impl RecordId {
    /// 32 random hex digits.
    pub(crate) fn random() -> Result<RecordId, VaultError> {
        let mut raw = [0u8; 16];
        random_fill(&mut raw)?;
        Ok(RecordId(raw.iter().map(|b| format!("{b:02x}")).collect()))
    }
}

impl CredentialId {
    pub(crate) fn generate() -> Result<CredentialId, VaultError> {
        RecordId::random().map(CredentialId)
    }

    /// Parses an id previously shown by [`CredentialId`]'s `Display`.
    pub fn parse(id: &str) -> Result<CredentialId, VaultError> {
        RecordId::new(id).map(CredentialId)
    }

    /// The record id under which the credential is sealed.
    pub fn record_id(&self) -> &RecordId {
        &self.0
    }
}

impl fmt::Display for CredentialId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Whether an account is an ordinary one or a copy-trading (lead/follower) account, which the venues report
/// through different endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccountKind {
    /// An ordinary account.
    Regular,
    /// A copy-trading account.
    CopyTrading,
}

/// A read-only exchange API credential. The key, secret and passphrase are [`Secret`]s: redacted in `Debug`,
/// zeroized on drop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    /// The venue the key belongs to.
    pub venue: Venue,
    /// The user's name for the account ("Binance main").
    pub label: String,
    /// Regular or copy-trading.
    pub account_kind: AccountKind,
    /// The API key (sent to the venue in a header; still kept secret at rest).
    pub api_key: Secret,
    /// The API secret (HMAC key or Ed25519 private key); never leaves the browser.
    pub api_secret: Secret,
    /// Bitget's API passphrase; Binance has none.
    pub passphrase: Option<Secret>,
}

const CREDENTIAL_ENCODING: u8 = 1;

impl Credential {
    /// Checks the fields a venue needs: a non-empty label, key and secret; Bitget needs its passphrase and
    /// Binance has none.
    pub fn check(&self) -> Result<(), VaultError> {
        let problem = if self.label.trim().is_empty() {
            Some("the label is empty: give the account a name")
        } else if self.api_key.is_empty() {
            Some("the API key is empty: paste the key shown by the exchange")
        } else if self.api_secret.is_empty() {
            Some("the API secret is empty: paste the secret shown by the exchange when the key was created")
        } else {
            match (self.venue, &self.passphrase) {
                (Venue::Bitget, None) => {
                    Some("a Bitget key needs its API passphrase (chosen when the key was created)")
                }
                (Venue::Bitget, Some(p)) if p.is_empty() => {
                    Some("a Bitget key needs its API passphrase (chosen when the key was created)")
                }
                (Venue::Binance, Some(_)) => Some("Binance keys have no passphrase: leave it empty"),
                _ => None,
            }
        };
        match problem {
            Some(p) => Err(VaultError::InvalidCredential(p)),
            None => Ok(()),
        }
    }

    /// The plaintext sealed in a credential record.
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        let capacity = 32
            + self.label.len()
            + self.api_key.expose().len()
            + self.api_secret.expose().len()
            + self.passphrase.as_ref().map_or(0, |p| p.expose().len());
        // Sized up front so the buffer never reallocates and leaves an unzeroized copy behind.
        let mut out = Zeroizing::new(Vec::with_capacity(capacity));
        out.push(CREDENTIAL_ENCODING);
        put_bytes(&mut out, self.venue.as_str().as_bytes());
        put_bytes(&mut out, self.label.as_bytes());
        out.push(match self.account_kind {
            AccountKind::Regular => 1,
            AccountKind::CopyTrading => 2,
        });
        put_bytes(&mut out, self.api_key.expose().as_bytes());
        put_bytes(&mut out, self.api_secret.expose().as_bytes());
        match &self.passphrase {
            None => out.push(0),
            Some(p) => {
                out.push(1);
                put_bytes(&mut out, p.expose().as_bytes());
            }
        }
        debug_assert!(out.len() <= capacity);
        out
    }

    /// Inverse of [`Credential::encode`].
    pub(crate) fn decode(bytes: &[u8]) -> Option<Credential> {
        let mut r = Reader::new(bytes);
        if r.u8()? != CREDENTIAL_ENCODING {
            return None;
        }
        let text = |b: &[u8]| std::str::from_utf8(b).ok().map(str::to_owned);
        let venue = Venue::parse(std::str::from_utf8(r.bytes()?).ok()?)?;
        let label = text(r.bytes()?)?;
        let account_kind = match r.u8()? {
            1 => AccountKind::Regular,
            2 => AccountKind::CopyTrading,
            _ => return None,
        };
        let api_key = Secret::new(text(r.bytes()?)?);
        let api_secret = Secret::new(text(r.bytes()?)?);
        let passphrase = match r.u8()? {
            0 => None,
            1 => Some(Secret::new(text(r.bytes()?)?)),
            _ => return None,
        };
        if r.remaining() != 0 {
            return None;
        }
        Some(Credential { venue, label, account_kind, api_key, api_secret, passphrase })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_ids_accept_the_documented_alphabet_only() {
        for ok in ["a", "binance-main.2024_07", &"x".repeat(128)] {
            assert!(RecordId::new(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".hidden", "a/b", "a b", "é", &"x".repeat(129), "..\\x"] {
            assert!(RecordId::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn credential_encoding_round_trips_and_rejects_trailing_bytes() {
        let c = Credential {
            venue: Venue::Bitget,
            label: "Bitget copy".into(),
            account_kind: AccountKind::CopyTrading,
            api_key: Secret::new("bg_key"),
            api_secret: Secret::new("bg_secret"),
            passphrase: Some(Secret::new("bg_pass")),
        };
        let bytes = c.encode();
        assert_eq!(Credential::decode(&bytes), Some(c));
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert_eq!(Credential::decode(&longer), None);
    }
}
