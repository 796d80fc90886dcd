//! The key vault: exchange API secrets and everything else the app keeps at rest, encrypted under a key derived
//! from a passphrase only the user knows.
//!
//! Roles:
//! - [`KdfParams`]: passphrase + salt -> key-encryption key (KEK). Argon2id at Bitwarden's default parameters
//!   (m = 64 MiB, t = 3, p = 4) by default, OWASP's (m = 19 MiB, t = 2, p = 1) at least; PBKDF2-HMAC-SHA256
//!   (600,000 iterations) as the documented alternative.
//! - The KEK wraps versioned data keys (DEKs) with AES-256-GCM; a wrong passphrase fails that unwrap and is
//!   reported as [`VaultError::WrongPassphrase`], never as garbage.
//! - Every record is sealed with AES-256-GCM under the current DEK, a fresh random 96-bit nonce, and associated
//!   data binding it to (vault id, record kind, record id, key version), so records cannot be swapped between
//!   slots, kinds, vaults or key versions.
//! - [`Store`]: where the encrypted objects live ([`MemoryStore`], [`FileStore`] natively, and [`Snapshot`] for
//!   the browser's asynchronous IndexedDB). Every operation is a sequence of single-object atomic writes after
//!   each of which the vault opens with nothing lost (passphrase change, data-key rotation, import).
//! - [`Vault::generate_ed25519_key`]: an Ed25519 key pair born in the vault, its private key sealed at once as a
//!   pending key ([`PendingKey`] shows only the public key) until the API key Binance returns is attached.
//! - [`Secret`], [`Passphrase`], [`SecretBytes`]: redacted in `Debug` and `Display`, zeroized on drop.
//!
//! The byte format is specified in `docs/vault-format.md`.
//!
//! ```
//! use vault::{AccountKind, Credential, KdfParams, MemoryStore, Passphrase, RecordId, RecordKind, Secret, Vault};
//! use catalogue::Venue;
//!
//! // Tests use the insecure test-only KDF; real vaults use KdfParams::default().
//! let mut vault = Vault::create(MemoryStore::new(), &Passphrase::new("correct horse"), KdfParams::InsecureTestOnly)?;
//! let id = vault.add_credential(&Credential {
//!     venue: Venue::Binance,
//!     label: "Binance main".into(),
//!     account_kind: AccountKind::Regular,
//!     api_key: Secret::new("my-api-key"),
//!     api_secret: Secret::new("my-api-secret"),
//!     passphrase: None,
//! })?;
//! vault.seal_record(RecordKind::Settings, &RecordId::new("display")?, b"{\"currency\":\"USD\"}")?;
//!
//! vault.lock();
//! assert!(matches!(vault.unlock(&Passphrase::new("wrong")), Err(vault::VaultError::WrongPassphrase)));
//! vault.unlock(&Passphrase::new("correct horse"))?;
//! assert_eq!(vault.credential(&id)?.api_secret.expose(), "my-api-secret");
//! assert_eq!(format!("{:?}", vault.credential(&id)?.api_secret), "Secret([redacted])");
//! # Ok::<(), vault::VaultError>(())
//! ```
#![deny(missing_docs)]

mod crypto;
mod error;
mod format;
mod kdf;
mod keygen;
mod record;
mod secret;
mod store;
mod vault;

pub use error::VaultError;
pub use kdf::{KdfParams, SALT_LEN};
pub use keygen::{PendingKey, ed25519_public_pem};
pub use record::{AccountKind, Credential, CredentialId, RecordId, RecordKind};
pub use secret::{Passphrase, REDACTED, Secret, SecretBytes};
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
pub use store::FileStore;
pub use store::{MemoryStore, Snapshot, Store, StoreError, Write};
pub use vault::{DEFAULT_IDLE_TIMEOUT, Rotation, Vault};

/// Constants of the stored format, for tools and tests that inspect stored bytes (see `docs/vault-format.md`).
pub mod layout {
    pub use crate::crypto::{KEY_LEN, NONCE_LEN, TAG_LEN};
    pub use crate::format::{
        BACKUP_MAGIC, BACKUP_VERSION, CHECKSUM_LEN, FORMAT_VERSION, HEADER_KEY, HEADER_MAGIC, HEADER_PREFIX_LEN,
        RECORD_HEADER_LEN, RECORD_PREFIX, RECORD_VERSION, WRAPPED_KEY_LEN,
    };
}
