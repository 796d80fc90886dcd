//! One type for secret text (API keys and secrets, Ed25519 private keys, venue passphrases), shared by the vault
//! that stores it and the venue clients that sign with it, so a secret moves between them without ever being
//! copied into a plain `String`.
//!
//! ```
//! use secret::Secret;
//! let s = Secret::new("my-api-secret");
//! assert_eq!(format!("{s:?} {s}"), "Secret([redacted]) [redacted]");
//! assert_eq!(s.expose(), "my-api-secret");
//! ```
#![deny(missing_docs)]

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// What `Debug` and `Display` print instead of a secret.
pub const REDACTED: &str = "[redacted]";

/// Compares two byte strings in time that depends only on their lengths (the `subtle` crate's comparison, which
/// keeps the optimiser from short-circuiting it).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

/// A secret text value. `Debug` and `Display` print `[redacted]`; the memory is overwritten when the value is
/// dropped; equality takes constant time. Read it with [`Secret::expose`] only at the moment it is used (signing a
/// request, sealing it in the vault). It can be deserialized (with the `serde` feature) but never serialized.
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret; the caller's `String` moves in and is zeroized with the `Secret`.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret text. Never log or format it, nor copy it into long-lived, unzeroized storage.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The secret without the whitespace around it (text pasted into a form often carries some). The untrimmed
    /// text is zeroized with `self`; the trimmed one lives only in the returned `Secret`.
    pub fn trimmed(self) -> Secret {
        match self.0.trim() {
            t if t.len() == self.0.len() => self,
            t => Secret(t.to_owned()),
        }
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({REDACTED})")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_shows_the_value() {
        let s = Secret::new("hunter2-very-secret");
        for shown in [format!("{s:?}"), format!("{s}"), format!("{s:#?}"), format!("{:?}", Some(s.clone()))] {
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains(REDACTED), "{shown}");
        }
        assert_eq!(s.expose(), "hunter2-very-secret");
    }

    #[test]
    fn trimmed_drops_the_whitespace_around_only() {
        assert_eq!(Secret::new("  a secret\t\n").trimmed().expose(), "a secret");
        assert_eq!(Secret::new("as is").trimmed().expose(), "as is");
        assert!(Secret::new(" \n").trimmed().is_empty());
    }

    #[test]
    fn constant_time_eq_compares_contents_and_lengths() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(Secret::new("x") != Secret::new("y"));
        assert!(Secret::new("x") == Secret::new("x"));
        assert!(Secret::default().is_empty());
    }

    #[cfg(feature = "serde")]
    #[test]
    fn deserializes_from_a_string_and_errors_never_echo_it() {
        let s: Secret = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(s.expose(), "abc");
        assert!(serde_json::from_str::<Secret>("12345").is_err());
    }
}
