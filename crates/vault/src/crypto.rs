//! AES-256-GCM with fresh random 96-bit nonces, and the system random source.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key};
use zeroize::Zeroizing;

use crate::VaultError;

/// Bytes in an AES-GCM nonce (96 bits).
pub const NONCE_LEN: usize = 12;
/// Bytes in an AES-GCM tag.
pub const TAG_LEN: usize = 16;
/// Bytes in a data key or key-encryption key.
pub const KEY_LEN: usize = 32;

/// Fills `buf` from the operating system's (or browser's `crypto.getRandomValues`) random source.
pub(crate) fn random_fill(buf: &mut [u8]) -> Result<(), VaultError> {
    getrandom::fill(buf).map_err(|e| VaultError::Randomness(e.to_string()))
}

/// A fresh random 96-bit nonce. With random nonces the chance of any repeat stays below 2^-32 for up to 2^32
/// seals under one key (NIST SP 800-38D, 8.3); data keys are rotated long before that.
pub(crate) fn fresh_nonce() -> Result<[u8; NONCE_LEN], VaultError> {
    let mut nonce = [0u8; NONCE_LEN];
    random_fill(&mut nonce)?;
    Ok(nonce)
}

/// An AES-256 key (a data key or the KEK) with its expanded cipher; both are zeroized on drop.
pub(crate) struct SymmetricKey {
    bytes: Zeroizing<[u8; KEY_LEN]>,
    cipher: Aes256Gcm,
}

impl SymmetricKey {
    pub(crate) fn from_bytes(bytes: Zeroizing<[u8; KEY_LEN]>) -> Self {
        let key = <&Key<Aes256Gcm>>::try_from(&bytes[..]).expect("an AES-256 key is 32 bytes");
        let cipher = Aes256Gcm::new(key);
        SymmetricKey { bytes, cipher }
    }

    pub(crate) fn generate() -> Result<Self, VaultError> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        random_fill(&mut bytes[..])?;
        Ok(Self::from_bytes(bytes))
    }

    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }

    /// Seals `plaintext` under a fresh nonce; returns the nonce and `ciphertext || tag`.
    pub(crate) fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<([u8; NONCE_LEN], Vec<u8>), VaultError> {
        let nonce = fresh_nonce()?;
        let sealed = self
            .cipher
            .encrypt(&nonce.into(), Payload { msg: plaintext, aad })
            .map_err(|_| VaultError::TooLarge { bytes: plaintext.len() })?;
        Ok((nonce, sealed))
    }

    /// Opens `ciphertext || tag`; `None` if the tag does not verify (wrong key, nonce, AAD or any flipped bit).
    pub(crate) fn open(&self, nonce: &[u8; NONCE_LEN], aad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        self.cipher.decrypt(&(*nonce).into(), Payload { msg: sealed, aad }).ok().map(Zeroizing::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn one_million_nonces_never_repeat() {
        let mut seen = HashSet::with_capacity(1_000_000);
        for _ in 0..1_000_000 {
            assert!(seen.insert(fresh_nonce().unwrap()), "a nonce repeated");
        }
        assert_eq!(seen.len(), 1_000_000);
    }

    #[test]
    fn seals_use_distinct_nonces_and_round_trip() {
        let key = SymmetricKey::generate().unwrap();
        let mut nonces = HashSet::new();
        for i in 0..2_000u32 {
            let (nonce, sealed) = key.seal(b"aad", &i.to_le_bytes()).unwrap();
            assert!(nonces.insert(nonce));
            assert_eq!(&**key.open(&nonce, b"aad", &sealed).unwrap(), &i.to_le_bytes());
            assert!(key.open(&nonce, b"aaD", &sealed).is_none());
        }
    }

    /// Known answer from NIST's GCM test vectors (gcmEncryptExtIV256.rsp, Keylen = 256, IVlen = 96, PTlen = 128,
    /// AADlen = 0, Count = 0), checked through `open`.
    #[test]
    fn aes_256_gcm_matches_a_nist_vector() {
        let unhex = |s: &str| {
            (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect::<Vec<u8>>()
        };
        let key: [u8; 32] =
            unhex("31bdadd96698c204aa9ce1448ea94ae1fb4a9a0b3c9d773b51bb1822666b8f22").try_into().unwrap();
        let nonce: [u8; 12] = unhex("0d18e06c7c725ac9e362e1ce").try_into().unwrap();
        let mut sealed = unhex("fa4362189661d163fcd6a56d8bf0405a");
        sealed.extend(unhex("d636ac1bbedd5cc3ee727dc2ab4a9489"));
        let key = SymmetricKey::from_bytes(Zeroizing::new(key));
        let plain = key.open(&nonce, b"", &sealed).expect("NIST vector must open");
        assert_eq!(&**plain, &unhex("2db5168e932556f8089a0622981d017d")[..]);
    }
}
