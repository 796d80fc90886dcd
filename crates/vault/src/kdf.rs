//! Key derivation: passphrase + salt -> the 256-bit key-encryption key (KEK).

use std::fmt;

use zeroize::Zeroizing;

use crate::VaultError;
use crate::secret::Passphrase;

/// Length of the random salt stored in the vault header.
pub const SALT_LEN: usize = 16;

/// The key derivation function and its parameters, recorded in the vault header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KdfParams {
    /// Argon2id (RFC 9106), version 0x13, 32-byte output. Memory-hard; the default.
    Argon2id {
        /// Memory in KiB (OWASP minimum: 19,456 KiB = 19 MiB).
        memory_kib: u32,
        /// Passes over memory (OWASP minimum at 19 MiB: 2).
        iterations: u32,
        /// Lanes (1: the browser runs one thread).
        parallelism: u32,
    },
    /// PBKDF2-HMAC-SHA256, 32-byte output (OWASP minimum: 600,000 iterations). For platforms where Argon2id
    /// is too slow; not memory-hard.
    Pbkdf2Sha256 {
        /// Iteration count.
        iterations: u32,
    },
    /// Argon2id with m = 8 KiB, t = 1, p = 1: so cheap that it protects nothing. Exists only so that tests can
    /// build and reopen many small vaults quickly; the header records it, and [`KdfParams::is_insecure`] lets the
    /// app refuse such a vault.
    InsecureTestOnly,
}

impl Default for KdfParams {
    /// Bitwarden's default Argon2id parameters: unlocking stays under a second in the browser (figures in
    /// docs/vault-format.md).
    fn default() -> Self {
        KdfParams::BITWARDEN_ARGON2ID
    }
}

/// Bounds that stop a tampered header from asking for absurd work before the passphrase check can fail.
const MAX_ARGON2_MEMORY_KIB: u32 = 4 * 1024 * 1024;
const MAX_ARGON2_ITERATIONS: u32 = 64;
const MAX_ARGON2_PARALLELISM: u32 = 16;
const MAX_PBKDF2_ITERATIONS: u32 = 50_000_000;

impl KdfParams {
    /// OWASP's recommended Argon2id parameters: m = 19 MiB, t = 2, p = 1. The minimum for a new vault (and the
    /// default before [`KdfParams::BITWARDEN_ARGON2ID`]).
    pub const OWASP_ARGON2ID: KdfParams = KdfParams::Argon2id { memory_kib: 19 * 1024, iterations: 2, parallelism: 1 };

    /// Bitwarden's default Argon2id parameters: m = 64 MiB, t = 3, p = 4. The default for new vaults, and for a
    /// vault whose passphrase changes while it is at weaker Argon2id parameters ([`KdfParams::upgraded`]).
    pub const BITWARDEN_ARGON2ID: KdfParams =
        KdfParams::Argon2id { memory_kib: 64 * 1024, iterations: 3, parallelism: 4 };

    /// The parameters a passphrase change moves to: the default when these are Argon2id no stronger than it in
    /// memory, passes and lanes (an older default, such as OWASP's), else these unchanged (PBKDF2, stronger
    /// Argon2id, the test-only set).
    pub fn upgraded(self) -> KdfParams {
        match (self, KdfParams::default()) {
            (
                KdfParams::Argon2id { memory_kib, iterations, parallelism },
                KdfParams::Argon2id { memory_kib: m, iterations: t, parallelism: p },
            ) if memory_kib <= m && iterations <= t && parallelism <= p => KdfParams::default(),
            _ => self,
        }
    }

    /// OWASP's recommended PBKDF2-HMAC-SHA256 iteration count: 600,000.
    pub const OWASP_PBKDF2_SHA256: KdfParams = KdfParams::Pbkdf2Sha256 { iterations: 600_000 };

    /// The test-only parameters of [`KdfParams::InsecureTestOnly`] as Argon2id `(m KiB, t, p)`.
    pub const INSECURE_TEST_ARGON2ID: (u32, u32, u32) = (8, 1, 1);

    /// Whether these are the test-only parameters that protect nothing.
    pub fn is_insecure(&self) -> bool {
        matches!(self, KdfParams::InsecureTestOnly)
    }

    /// Checks parameters for a new vault or a new passphrase: at least OWASP's minimums (or the explicit test-only
    /// set) and within the upper bounds every reader accepts.
    pub(crate) fn check_for_new_vault(&self) -> Result<(), VaultError> {
        self.check_bounds()?;
        match *self {
            KdfParams::Argon2id { memory_kib, iterations, parallelism } => {
                if memory_kib < 19 * 1024 || iterations < 2 || parallelism < 1 {
                    return Err(VaultError::WeakKdf(*self));
                }
            }
            KdfParams::Pbkdf2Sha256 { iterations } => {
                if iterations < 600_000 {
                    return Err(VaultError::WeakKdf(*self));
                }
            }
            KdfParams::InsecureTestOnly => {}
        }
        Ok(())
    }

    /// Checks the upper and algorithmic lower bounds every reader enforces.
    pub(crate) fn check_bounds(&self) -> Result<(), VaultError> {
        let ok = match *self {
            KdfParams::Argon2id { memory_kib, iterations, parallelism } => {
                (1..=MAX_ARGON2_PARALLELISM).contains(&parallelism)
                    && (8 * parallelism..=MAX_ARGON2_MEMORY_KIB).contains(&memory_kib)
                    && (1..=MAX_ARGON2_ITERATIONS).contains(&iterations)
            }
            KdfParams::Pbkdf2Sha256 { iterations } => (1..=MAX_PBKDF2_ITERATIONS).contains(&iterations),
            KdfParams::InsecureTestOnly => true,
        };
        if ok { Ok(()) } else { Err(VaultError::UnsupportedKdf(*self)) }
    }

    /// The format's one-byte KDF identifier and three parameter words.
    pub(crate) fn encode(&self) -> (u8, [u32; 3]) {
        match *self {
            KdfParams::Argon2id { memory_kib, iterations, parallelism } => (1, [memory_kib, iterations, parallelism]),
            KdfParams::Pbkdf2Sha256 { iterations } => (2, [iterations, 0, 0]),
            KdfParams::InsecureTestOnly => {
                let (m, t, p) = Self::INSECURE_TEST_ARGON2ID;
                (0xFE, [m, t, p])
            }
        }
    }

    /// Inverse of [`KdfParams::encode`]; `None` for an unknown identifier or inconsistent words.
    pub(crate) fn decode(id: u8, words: [u32; 3]) -> Option<KdfParams> {
        match id {
            1 => Some(KdfParams::Argon2id { memory_kib: words[0], iterations: words[1], parallelism: words[2] }),
            2 if words[1] == 0 && words[2] == 0 => Some(KdfParams::Pbkdf2Sha256 { iterations: words[0] }),
            0xFE if (words[0], words[1], words[2]) == Self::INSECURE_TEST_ARGON2ID => Some(KdfParams::InsecureTestOnly),
            _ => None,
        }
    }

    /// Derives the 32-byte KEK from the passphrase and salt.
    pub(crate) fn derive_kek(&self, passphrase: &Passphrase, salt: &[u8]) -> Result<Zeroizing<[u8; 32]>, VaultError> {
        self.check_bounds()?;
        derive_raw(self, passphrase.as_bytes(), salt)
    }
}

fn derive_raw(params: &KdfParams, password: &[u8], salt: &[u8]) -> Result<Zeroizing<[u8; 32]>, VaultError> {
    let mut out = Zeroizing::new([0u8; 32]);
    let argon2 = |m: u32, t: u32, p: u32, out: &mut [u8; 32]| -> Result<(), VaultError> {
        let params = argon2::Params::new(m, t, p, Some(32)).map_err(|_| VaultError::UnsupportedKdf(*params))?;
        argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
            .hash_password_into(password, salt, out)
            .map_err(|_| {
                VaultError::UnsupportedKdf(KdfParams::Argon2id { memory_kib: m, iterations: t, parallelism: p })
            })
    };
    match *params {
        KdfParams::Argon2id { memory_kib, iterations, parallelism } => {
            argon2(memory_kib, iterations, parallelism, &mut out)?;
        }
        KdfParams::InsecureTestOnly => {
            let (m, t, p) = KdfParams::INSECURE_TEST_ARGON2ID;
            argon2(m, t, p, &mut out)?;
        }
        KdfParams::Pbkdf2Sha256 { iterations } => {
            pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, iterations, out.as_mut_slice());
        }
    }
    Ok(out)
}

impl fmt::Display for KdfParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KdfParams::Argon2id { memory_kib, iterations, parallelism } => {
                write!(f, "Argon2id (m = {memory_kib} KiB, t = {iterations}, p = {parallelism})")
            }
            KdfParams::Pbkdf2Sha256 { iterations } => write!(f, "PBKDF2-HMAC-SHA256 ({iterations} iterations)"),
            KdfParams::InsecureTestOnly => write!(f, "Argon2id with insecure test-only parameters (m = 8 KiB, t = 1)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Known answer from the Argon2 reference implementation's test suite (phc-winner-argon2 `src/test.c`):
    /// Argon2id v=19, m = 256 KiB, t = 2, p = 1, password "password", salt "somesalt".
    #[test]
    fn argon2id_matches_the_reference_implementation() {
        let params = KdfParams::Argon2id { memory_kib: 256, iterations: 2, parallelism: 1 };
        let out = derive_raw(&params, b"password", b"somesalt").unwrap();
        assert_eq!(hex(&*out), "9dfeb910e80bad0311fee20f9c0e2b12c17987b4cac90c2ef54d5b3021c68bfe");
    }

    /// Known answer computed independently with Python's `hashlib.pbkdf2_hmac('sha256', b'passphrase',
    /// b'somesaltsomesalt', 1000)`.
    #[test]
    fn pbkdf2_matches_python_hashlib() {
        let params = KdfParams::Pbkdf2Sha256 { iterations: 1000 };
        let out = derive_raw(&params, b"passphrase", b"somesaltsomesalt").unwrap();
        assert_eq!(hex(&*out), PBKDF2_EXPECTED);
    }

    const PBKDF2_EXPECTED: &str = "4eaf6505b43f837ca4ed9becd23c8073803b725f3e23a5b5d9664f6014143a38";

    #[test]
    fn a_passphrase_change_moves_weaker_argon2id_to_the_default_only() {
        assert_eq!(KdfParams::OWASP_ARGON2ID.upgraded(), KdfParams::BITWARDEN_ARGON2ID);
        assert_eq!(KdfParams::BITWARDEN_ARGON2ID.upgraded(), KdfParams::BITWARDEN_ARGON2ID);
        let stronger = KdfParams::Argon2id { memory_kib: 256 * 1024, iterations: 3, parallelism: 1 };
        assert_eq!(stronger.upgraded(), stronger, "more memory than the default: kept");
        assert_eq!(KdfParams::OWASP_PBKDF2_SHA256.upgraded(), KdfParams::OWASP_PBKDF2_SHA256);
        assert_eq!(KdfParams::InsecureTestOnly.upgraded(), KdfParams::InsecureTestOnly);
    }

    #[test]
    fn encoding_round_trips_and_rejects_inconsistent_words() {
        for p in [
            KdfParams::OWASP_ARGON2ID,
            KdfParams::BITWARDEN_ARGON2ID,
            KdfParams::OWASP_PBKDF2_SHA256,
            KdfParams::InsecureTestOnly,
        ] {
            let (id, words) = p.encode();
            assert_eq!(KdfParams::decode(id, words), Some(p));
        }
        assert_eq!(KdfParams::decode(2, [600_000, 1, 0]), None);
        assert_eq!(KdfParams::decode(0xFE, [9, 1, 1]), None);
        assert_eq!(KdfParams::decode(3, [0, 0, 0]), None);
    }

    #[test]
    fn new_vaults_need_owasp_strength_and_readers_bound_the_work() {
        assert!(KdfParams::OWASP_ARGON2ID.check_for_new_vault().is_ok());
        assert!(KdfParams::BITWARDEN_ARGON2ID.check_for_new_vault().is_ok());
        assert!(KdfParams::OWASP_PBKDF2_SHA256.check_for_new_vault().is_ok());
        assert!(KdfParams::InsecureTestOnly.check_for_new_vault().is_ok());
        let weak = KdfParams::Argon2id { memory_kib: 19 * 1024 - 1, iterations: 2, parallelism: 1 };
        assert!(matches!(weak.check_for_new_vault(), Err(VaultError::WeakKdf(_))));
        assert!(matches!(
            KdfParams::Pbkdf2Sha256 { iterations: 599_999 }.check_for_new_vault(),
            Err(VaultError::WeakKdf(_))
        ));
        let huge = KdfParams::Argon2id { memory_kib: u32::MAX, iterations: 2, parallelism: 1 };
        assert!(matches!(huge.check_bounds(), Err(VaultError::UnsupportedKdf(_))));
    }
}
