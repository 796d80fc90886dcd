//! Secret strings and bytes: redacted in `Debug` and `Display`, zeroized on drop. [`Secret`] is the shared
//! `secret` crate's, the same type the venue clients sign with.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

pub(crate) use secret::constant_time_eq;
pub use secret::{REDACTED, Secret};

/// The passphrase that unlocks a vault. Only the user knows it; it is never stored.
///
/// `Debug` and `Display` print `[redacted]`; zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Passphrase(String);

impl Passphrase {
    /// Wraps a passphrase typed by the user.
    pub fn new(value: impl Into<String>) -> Self {
        Passphrase(value.into())
    }

    /// The passphrase bytes fed to the key derivation function.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// Whether the passphrase is empty (an empty passphrase is refused).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Passphrase({REDACTED})")
    }
}

impl fmt::Display for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Decrypted record contents (a ledger cache chunk, settings, an audit log): redacted in `Debug`, zeroized on
/// drop. Read them with [`SecretBytes::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    pub(crate) fn new(bytes: Zeroizing<Vec<u8>>) -> Self {
        SecretBytes(bytes)
    }

    /// The plaintext bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Number of plaintext bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no plaintext bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes({} bytes, {REDACTED})", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares_contents_and_lengths() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
