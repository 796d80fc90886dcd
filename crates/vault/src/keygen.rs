//! Key pairs born in the vault: an Ed25519 private key generated from the vault's randomness and sealed in the
//! same call (a pending-key record), whose public key the user registers with Binance; the API key Binance returns
//! then makes it an ordinary credential. Format in `docs/vault-format.md` ("Pending key").
//!
//! The private key is never returned as plain bytes or text: [`PendingKey`] holds only the public key, raw access
//! to the record kind is refused ([`RecordKind::is_reserved`]), and the only way out is
//! [`Vault::pending_key_credential`], a [`Credential`] whose secret is a redacted, zeroized [`Secret`] for signing.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use catalogue::Venue;
use ed25519_dalek::SigningKey;
use zeroize::Zeroizing;

use crate::VaultError;
use crate::crypto::random_fill;
use crate::format::{Reader, put_bytes, record_key};
use crate::record::{AccountKind, Credential, RecordId, RecordKind};
use crate::secret::Secret;
use crate::store::Store;
use crate::vault::Vault;

/// DER prefix of an Ed25519 PKCS#8 v1 private key (RFC 8410 §7): the 32-byte seed follows.
const PKCS8_PREFIX: [u8; 16] =
    [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
/// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4): the 32-byte public key follows.
const SPKI_PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

const PENDING_KEY_ENCODING: u8 = 1;

/// A key pair generated in the vault, waiting for its API key. Only public facts: safe to show and log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingKey {
    /// The record id (32 random hex digits).
    pub id: RecordId,
    /// The venue the key is for (Binance: the only one that accepts self-generated keys).
    pub venue: Venue,
    /// The public key as a PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`), what Binance asks for.
    pub public_key_pem: String,
}

/// The PEM SubjectPublicKeyInfo of an Ed25519 public key.
pub fn ed25519_public_pem(public_key: &[u8; 32]) -> String {
    let mut der = SPKI_PREFIX.to_vec();
    der.extend_from_slice(public_key);
    format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", B64.encode(der))
}

/// The sealed plaintext: `0x01 || bytes(venue) || seed (32)`.
fn encode(venue: Venue, seed: &[u8; 32]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(64));
    out.push(PENDING_KEY_ENCODING);
    put_bytes(&mut out, venue.as_str().as_bytes());
    out.extend_from_slice(seed);
    out
}

fn decode(bytes: &[u8]) -> Option<(Venue, Zeroizing<[u8; 32]>)> {
    let mut r = Reader::new(bytes);
    if r.u8()? != PENDING_KEY_ENCODING {
        return None;
    }
    let venue = Venue::parse(std::str::from_utf8(r.bytes()?).ok()?)?;
    let seed = Zeroizing::new(r.array::<32>()?);
    (r.remaining() == 0).then_some((venue, seed))
}

fn pending(id: RecordId, venue: Venue, seed: &[u8; 32]) -> PendingKey {
    let public = SigningKey::from_bytes(seed).verifying_key().to_bytes();
    PendingKey { id, venue, public_key_pem: ed25519_public_pem(&public) }
}

impl<S: Store> Vault<S> {
    /// Generates an Ed25519 key pair for `venue` (Binance only) and seals its private key at once as a pending-key
    /// record. Returns the public facts; the private key stays sealed.
    pub fn generate_ed25519_key(&mut self, venue: Venue) -> Result<PendingKey, VaultError> {
        if venue != Venue::Binance {
            return Err(VaultError::InvalidCredential(
                "only Binance accepts a self-generated key: create the key on the exchange instead",
            ));
        }
        self.require_unlocked()?;
        let id = RecordId::random()?;
        let mut seed = Zeroizing::new([0u8; 32]);
        random_fill(&mut seed[..])?;
        self.seal_raw(RecordKind::PendingKey, &id, &encode(venue, &seed))?;
        Ok(pending(id, venue, &seed))
    }

    fn open_pending(&self, id: &RecordId) -> Result<(Venue, Zeroizing<[u8; 32]>), VaultError> {
        let plain = self
            .open_raw(RecordKind::PendingKey, id)?
            .ok_or_else(|| VaultError::NotFound { kind: RecordKind::PendingKey, id: id.clone() })?;
        decode(&plain).ok_or_else(|| VaultError::Corrupted {
            object: record_key(RecordKind::PendingKey, id),
            detail: "the pending key does not decode",
        })
    }

    /// The pending key `id` (its public facts).
    pub fn pending_key(&self, id: &RecordId) -> Result<PendingKey, VaultError> {
        let (venue, seed) = self.open_pending(id)?;
        Ok(pending(id.clone(), venue, &seed))
    }

    /// Every pending key, in id order.
    pub fn pending_keys(&self) -> Result<Vec<PendingKey>, VaultError> {
        self.require_unlocked()?;
        self.ids(RecordKind::PendingKey)?.into_iter().map(|id| self.pending_key(&id)).collect()
    }

    /// Removes the pending key `id` (discarded, or attached to its API key as a credential).
    pub fn remove_pending_key(&mut self, id: &RecordId) -> Result<(), VaultError> {
        self.open_pending(id)?;
        self.store.delete(&record_key(RecordKind::PendingKey, id))?;
        Ok(())
    }

    /// The credential the pending key `id` becomes once its API key is known, not stored: the caller checks it
    /// with the venue, stores it with [`Vault::add_credential`] and then removes the pending key. Its secret is
    /// the private key as an unencrypted PKCS#8 PEM inside a [`Secret`] (redacted, zeroized), the form the Binance
    /// signer reads.
    pub fn pending_key_credential(
        &self,
        id: &RecordId,
        label: &str,
        account_kind: AccountKind,
        api_key: Secret,
    ) -> Result<Credential, VaultError> {
        let (venue, seed) = self.open_pending(id)?;
        let mut der = Zeroizing::new(Vec::with_capacity(48));
        der.extend_from_slice(&PKCS8_PREFIX);
        der.extend_from_slice(&seed[..]);
        let body = Zeroizing::new(B64.encode(&der[..]));
        let mut pem = String::with_capacity(100);
        pem.push_str("-----BEGIN PRIVATE KEY-----\n");
        pem.push_str(&body);
        pem.push_str("\n-----END PRIVATE KEY-----\n");
        let credential = Credential {
            venue,
            label: label.to_owned(),
            account_kind,
            api_key,
            api_secret: Secret::new(pem),
            passphrase: None,
        };
        credential.check()?;
        Ok(credential)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KdfParams, MemoryStore, Passphrase};
    use ed25519_dalek::{Signer as _, Verifier as _, VerifyingKey};

    fn vault() -> Vault<MemoryStore> {
        Vault::create(MemoryStore::new(), &Passphrase::new("pw"), KdfParams::InsecureTestOnly).unwrap()
    }

    fn seed_of(pem: &str) -> [u8; 32] {
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = B64.decode(body).unwrap();
        assert_eq!(der.len(), 48);
        assert_eq!(der[..16], PKCS8_PREFIX);
        der[16..].try_into().unwrap()
    }

    fn public_of(pem: &str) -> VerifyingKey {
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"), "{pem}");
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = B64.decode(body).unwrap();
        assert_eq!(der.len(), 44);
        assert_eq!(der[..12], SPKI_PREFIX);
        VerifyingKey::from_bytes(&der[12..].try_into().unwrap()).unwrap()
    }

    #[test]
    fn rfc8410_public_key_example_encodes_as_printed() {
        // RFC 8410 §10.1: the example public key and its PEM
        let key: [u8; 32] =
            hex_bytes("19bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1").try_into().unwrap();
        assert_eq!(
            ed25519_public_pem(&key),
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n"
        );
    }

    fn hex_bytes(h: &str) -> Vec<u8> {
        (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn a_generated_key_is_sealed_at_once_and_its_credential_signs_for_the_public_key() {
        let mut v = vault();
        let key = v.generate_ed25519_key(Venue::Binance).unwrap();
        assert_eq!(key.venue, Venue::Binance);
        // sealed at once: the store holds exactly one pending-key record under the returned id
        let stored = v.store().objects().keys().filter(|k| k.starts_with("record.pending-key.")).count();
        assert_eq!(stored, 1);
        assert_eq!(v.pending_keys().unwrap(), vec![key.clone()]);
        let c = v.pending_key_credential(&key.id, "Binance", AccountKind::Regular, Secret::new("K1")).unwrap();
        assert_eq!(c.venue, Venue::Binance);
        assert!(c.passphrase.is_none());
        let signing = SigningKey::from_bytes(&seed_of(c.api_secret.expose()));
        let signature = signing.sign(b"timestamp=1");
        public_of(&key.public_key_pem).verify(b"timestamp=1", &signature).unwrap();
        // two keys are two different pairs
        let other = v.generate_ed25519_key(Venue::Binance).unwrap();
        assert_ne!(other.public_key_pem, key.public_key_pem);
        assert_ne!(other.id, key.id);
    }

    #[test]
    fn the_private_key_is_nowhere_in_plain_sight() {
        let mut v = vault();
        let key = v.generate_ed25519_key(Venue::Binance).unwrap();
        let c = v.pending_key_credential(&key.id, "B", AccountKind::Regular, Secret::new("K1")).unwrap();
        let seed = seed_of(c.api_secret.expose());
        let body: String = c.api_secret.expose().lines().filter(|l| !l.starts_with("-----")).collect();
        let needles: Vec<Vec<u8>> = vec![seed.to_vec(), body.clone().into_bytes(), B64.encode(seed).into_bytes()];
        // not in the stored bytes, not in a backup
        let mut haystacks: Vec<Vec<u8>> = v.store().objects().values().cloned().collect();
        haystacks.push(v.export_backup().unwrap());
        // not in any Debug
        haystacks.push(format!("{key:?} {c:?} {v:?}").into_bytes());
        for hay in &haystacks {
            for needle in &needles {
                assert!(!hay.windows(needle.len()).any(|w| w == &needle[..]), "the private key leaked");
            }
        }
        // no raw access to the kind
        assert!(matches!(v.open_record(RecordKind::PendingKey, &key.id), Err(VaultError::CredentialKindReserved)));
        assert!(matches!(
            v.seal_record(RecordKind::PendingKey, &key.id, b"x"),
            Err(VaultError::CredentialKindReserved)
        ));
        assert!(matches!(v.remove_record(RecordKind::PendingKey, &key.id), Err(VaultError::CredentialKindReserved)));
    }

    #[test]
    fn only_binance_and_only_unlocked() {
        let mut v = vault();
        assert!(matches!(v.generate_ed25519_key(Venue::Bitget), Err(VaultError::InvalidCredential(_))));
        let key = v.generate_ed25519_key(Venue::Binance).unwrap();
        v.lock();
        assert!(matches!(v.generate_ed25519_key(Venue::Binance), Err(VaultError::Locked)));
        assert!(matches!(v.pending_keys(), Err(VaultError::Locked)));
        assert!(matches!(
            v.pending_key_credential(&key.id, "B", AccountKind::Regular, Secret::new("K")),
            Err(VaultError::Locked)
        ));
        v.unlock(&Passphrase::new("pw")).unwrap();
        // an empty API key is refused like any credential's
        assert!(matches!(
            v.pending_key_credential(&key.id, "B", AccountKind::Regular, Secret::new("")),
            Err(VaultError::InvalidCredential(_))
        ));
    }

    #[test]
    fn removal_and_missing_keys() {
        let mut v = vault();
        let key = v.generate_ed25519_key(Venue::Binance).unwrap();
        v.remove_pending_key(&key.id).unwrap();
        assert!(v.pending_keys().unwrap().is_empty());
        assert!(matches!(v.pending_key(&key.id), Err(VaultError::NotFound { kind: RecordKind::PendingKey, .. })));
        assert!(matches!(v.remove_pending_key(&key.id), Err(VaultError::NotFound { .. })));
    }

    #[test]
    fn the_backup_carries_it_and_rotation_keeps_it() {
        let mut v = vault();
        let key = v.generate_ed25519_key(Venue::Binance).unwrap();
        let before = v.pending_key_credential(&key.id, "B", AccountKind::Regular, Secret::new("K")).unwrap();
        v.rotate_data_key().unwrap();
        let backup = v.export_backup().unwrap();
        let restored = Vault::import_backup(MemoryStore::new(), &backup, &Passphrase::new("pw")).unwrap();
        assert_eq!(restored.pending_keys().unwrap(), vec![key.clone()]);
        let after = restored.pending_key_credential(&key.id, "B", AccountKind::Regular, Secret::new("K")).unwrap();
        assert_eq!(after.api_secret, before.api_secret);
    }

    #[test]
    fn a_damaged_record_is_reported_not_read() {
        assert!(decode(&[1, 7, 0, 0, 0]).is_none());
        let mut ok = encode(Venue::Binance, &[3; 32]).to_vec();
        assert!(decode(&ok).is_some());
        ok.push(0);
        assert!(decode(&ok).is_none());
        ok.truncate(ok.len() - 2);
        assert!(decode(&ok).is_none());
    }
}
