//! The vault's errors. None of them carries a secret: messages name objects and ids, never contents.

use crate::kdf::KdfParams;
use crate::record::{RecordId, RecordKind};
use crate::store::StoreError;

/// Everything that can go wrong with the vault, with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The passphrase did not unwrap the data key.
    #[error("wrong passphrase: the vault did not open; check the passphrase (it is case-sensitive) and try again")]
    WrongPassphrase,
    /// An operation that needs the keys was called while the vault is locked.
    #[error("the vault is locked: unlock it with the passphrase first")]
    Locked,
    /// The store holds no vault header.
    #[error("there is no vault in this storage: create one, or import a backup")]
    NoVault,
    /// `create` or `import_backup` found a vault already there.
    #[error("this storage already holds a vault: unlock it, or import the backup into empty storage")]
    VaultExists,
    /// `create` found objects that belong to no vault.
    #[error(
        "this storage is not empty ({objects} objects but no vault header): use empty storage for a new vault, \
         or import a backup (which replaces such leftovers)"
    )]
    StoreNotEmpty {
        /// How many objects were found.
        objects: usize,
    },
    /// A stored object failed its checks: changed on disk, truncated, or moved from another slot.
    #[error("the stored object `{object}` is damaged or was tampered with ({detail}); restore the vault from a backup")]
    Corrupted {
        /// The store key of the object.
        object: String,
        /// What failed.
        detail: &'static str,
    },
    /// The header was written by a newer format version.
    #[error("this vault uses format version {0}, newer than this version of Meetcrypt reads; update Meetcrypt")]
    NewerFormat(u16),
    /// KDF parameters outside the bounds every reader accepts.
    #[error("the key derivation settings {0} are outside the range this version accepts; the header may be damaged")]
    UnsupportedKdf(KdfParams),
    /// KDF parameters below OWASP's minimums for a new vault or passphrase.
    #[error(
        "{0} is weaker than OWASP's minimum (Argon2id m >= 19 MiB and t >= 2, or PBKDF2-HMAC-SHA256 >= 600,000 \
         iterations); choose stronger settings"
    )]
    WeakKdf(KdfParams),
    /// An empty passphrase was given for a new vault or a passphrase change.
    #[error("the passphrase is empty: choose a passphrase")]
    EmptyPassphrase,
    /// A record id outside the allowed alphabet or length.
    #[error(
        "`{0}` is not a valid record id: use 1 to 128 characters from A-Z, a-z, 0-9, '.', '_' and '-', not \
         starting with '.'"
    )]
    InvalidRecordId(String),
    /// A credential missing a field its venue needs.
    #[error("the credential is incomplete: {0}")]
    InvalidCredential(&'static str),
    /// No record under that kind and id.
    #[error("there is no {kind} record `{id}` in the vault")]
    NotFound {
        /// The kind looked up.
        kind: RecordKind,
        /// The id looked up.
        id: RecordId,
    },
    /// Raw-bytes access to credential or pending-key records (they are written through their own API only).
    #[error(
        "credential and pending-key records are read and written with the credential and key functions, not as raw \
         bytes"
    )]
    CredentialKindReserved,
    /// The backup file is not one, or is damaged.
    #[error("this is not a usable Meetcrypt vault backup ({0}); export the backup again from the original vault")]
    BadBackup(&'static str),
    /// A plaintext too large for AES-GCM.
    #[error("the record is too large to seal ({bytes} bytes); split it into smaller records")]
    TooLarge {
        /// Size of the plaintext.
        bytes: usize,
    },
    /// The random number generator failed.
    #[error("the system random number generator failed ({0}); the operation was not completed, try again")]
    Randomness(String),
    /// The storage failed.
    #[error("{0}")]
    Storage(#[from] StoreError),
}
