//! The byte layout of everything the vault stores (see `docs/vault-format.md`, which this file implements).

use sha2::{Digest, Sha256};

use crate::crypto::{KEY_LEN, NONCE_LEN, TAG_LEN};
use crate::kdf::{KdfParams, SALT_LEN};
use crate::record::{RecordId, RecordKind};

/// Store key of the vault header (which holds the wrapped data keys).
pub const HEADER_KEY: &str = "vault";
/// Prefix of every record's store key: `record.{kind}.{id}`.
pub const RECORD_PREFIX: &str = "record.";

/// First bytes of a vault header.
pub const HEADER_MAGIC: &[u8; 8] = b"MCVAULT\0";
/// The format version this code writes and reads.
pub const FORMAT_VERSION: u16 = 1;
/// The record envelope version this code writes and reads.
pub const RECORD_VERSION: u8 = 1;
/// First bytes of a backup file.
pub const BACKUP_MAGIC: &[u8; 8] = b"MCVBACK\0";
/// The backup framing version this code writes and reads.
pub const BACKUP_VERSION: u16 = 1;

/// Bytes of the header before the wrapped keys: magic, version, vault id, KDF id and words, salt, current
/// version, key count.
pub const HEADER_PREFIX_LEN: usize = 8 + 2 + 16 + 1 + 12 + SALT_LEN + 4 + 1;
/// Bytes of one wrapped data key entry: version, nonce, wrapped key and tag.
pub const WRAPPED_KEY_LEN: usize = 4 + NONCE_LEN + KEY_LEN + TAG_LEN;
/// Bytes of the trailing SHA-256 checksum.
pub const CHECKSUM_LEN: usize = 32;
/// Bytes of a record envelope before the ciphertext: envelope version, key version, nonce.
pub const RECORD_HEADER_LEN: usize = 1 + 4 + NONCE_LEN;
/// At most this many data keys in one header (two during a rotation).
pub const MAX_KEYS: usize = 16;

/// Domain-separation labels at the start of every associated-data string.
const DATA_KEY_AAD_LABEL: &[u8] = b"meetcrypt-vault/v1/data-key";
const RECORD_AAD_LABEL: &[u8] = b"meetcrypt-vault/v1/record";

/// The 16-byte random identity of a vault, bound into every ciphertext.
pub type VaultIdBytes = [u8; 16];

/// One data key as stored: its version and its AES-256-GCM wrapping under the KEK.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrappedKey {
    pub version: u32,
    pub nonce: [u8; NONCE_LEN],
    pub wrapped: [u8; KEY_LEN + TAG_LEN],
}

/// The parsed vault header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub vault_id: VaultIdBytes,
    pub kdf: KdfParams,
    pub salt: [u8; SALT_LEN],
    pub current: u32,
    pub keys: Vec<WrappedKey>,
}

/// Why a header did not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderProblem {
    /// Not a vault header at all (wrong magic).
    NotAHeader,
    /// Damaged: wrong length, checksum mismatch or inconsistent fields.
    Damaged(&'static str),
    /// A newer format version this code cannot read.
    NewerFormat(u16),
}

impl Header {
    /// The bytes before the wrapped keys, with the key count `n`; bound into every key wrap.
    pub fn prefix(&self, key_count: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_PREFIX_LEN);
        out.extend_from_slice(HEADER_MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&self.vault_id);
        let (id, words) = self.kdf.encode();
        out.push(id);
        for w in words {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.extend_from_slice(&self.salt);
        out.extend_from_slice(&self.current.to_le_bytes());
        out.push(u8::try_from(key_count).expect("at most MAX_KEYS data keys"));
        debug_assert_eq!(out.len(), HEADER_PREFIX_LEN);
        out
    }

    /// The associated data of the wrap of data key `version` in a header with `key_count` keys.
    pub fn wrap_aad(&self, key_count: usize, version: u32) -> Vec<u8> {
        let mut aad = DATA_KEY_AAD_LABEL.to_vec();
        aad.extend_from_slice(&self.prefix(key_count));
        aad.extend_from_slice(&version.to_le_bytes());
        aad
    }

    /// The stored bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.prefix(self.keys.len());
        for k in &self.keys {
            out.extend_from_slice(&k.version.to_le_bytes());
            out.extend_from_slice(&k.nonce);
            out.extend_from_slice(&k.wrapped);
        }
        let checksum = Sha256::digest(&out);
        out.extend_from_slice(&checksum);
        out
    }

    /// Parses and checks stored header bytes.
    pub fn decode(bytes: &[u8]) -> Result<Header, HeaderProblem> {
        use HeaderProblem::*;
        if bytes.len() < HEADER_MAGIC.len() || &bytes[..HEADER_MAGIC.len()] != HEADER_MAGIC {
            return Err(NotAHeader);
        }
        if bytes.len() < HEADER_PREFIX_LEN + CHECKSUM_LEN {
            return Err(Damaged("the header is truncated"));
        }
        let (body, checksum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
        if Sha256::digest(body).as_slice() != checksum {
            return Err(Damaged("the header checksum does not match"));
        }
        let mut r = Reader::new(body);
        r.take(HEADER_MAGIC.len());
        let version = r.u16().ok_or(Damaged("the header is truncated"))?;
        if version != FORMAT_VERSION {
            return Err(NewerFormat(version));
        }
        let vault_id: VaultIdBytes = r.array().ok_or(Damaged("the header is truncated"))?;
        let kdf_id = r.u8().ok_or(Damaged("the header is truncated"))?;
        let words = [r.u32(), r.u32(), r.u32()];
        let words = match words {
            [Some(a), Some(b), Some(c)] => [a, b, c],
            _ => return Err(Damaged("the header is truncated")),
        };
        let kdf = KdfParams::decode(kdf_id, words).ok_or(Damaged("unknown key derivation function"))?;
        let salt = r.array().ok_or(Damaged("the header is truncated"))?;
        let current = r.u32().ok_or(Damaged("the header is truncated"))?;
        let count = usize::from(r.u8().ok_or(Damaged("the header is truncated"))?);
        if count == 0 || count > MAX_KEYS {
            return Err(Damaged("the number of data keys is out of range"));
        }
        if r.remaining() != count * WRAPPED_KEY_LEN {
            return Err(Damaged("the header length does not match its number of data keys"));
        }
        let mut keys: Vec<WrappedKey> = Vec::with_capacity(count);
        for _ in 0..count {
            let version = r.u32().ok_or(Damaged("the header is truncated"))?;
            let nonce = r.array().ok_or(Damaged("the header is truncated"))?;
            let wrapped = r.array().ok_or(Damaged("the header is truncated"))?;
            if keys.last().is_some_and(|k| k.version >= version) || version == 0 {
                return Err(Damaged("data key versions are not strictly increasing"));
            }
            keys.push(WrappedKey { version, nonce, wrapped });
        }
        if !keys.iter().any(|k| k.version == current) {
            return Err(Damaged("the current data key is missing"));
        }
        Ok(Header { vault_id, kdf, salt, current, keys })
    }
}

/// A parsed record envelope.
pub struct Envelope<'a> {
    pub key_version: u32,
    pub nonce: [u8; NONCE_LEN],
    pub sealed: &'a [u8],
}

impl<'a> Envelope<'a> {
    pub fn encode(key_version: u32, nonce: &[u8; NONCE_LEN], sealed: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(RECORD_HEADER_LEN + sealed.len());
        out.push(RECORD_VERSION);
        out.extend_from_slice(&key_version.to_le_bytes());
        out.extend_from_slice(nonce);
        out.extend_from_slice(sealed);
        out
    }

    /// Parses an envelope; `Err` with the reason when it is not one this code wrote.
    pub fn decode(bytes: &'a [u8]) -> Result<Envelope<'a>, &'static str> {
        let mut r = Reader::new(bytes);
        match r.u8() {
            Some(RECORD_VERSION) => {}
            Some(_) => return Err("unknown record envelope version"),
            None => return Err("the record is empty"),
        }
        let key_version = r.u32().ok_or("the record is truncated")?;
        let nonce = r.array().ok_or("the record is truncated")?;
        let sealed = r.rest();
        if sealed.len() < TAG_LEN {
            return Err("the record is truncated");
        }
        Ok(Envelope { key_version, nonce, sealed })
    }
}

/// The associated data of a record: binds it to its vault, kind, id and key version.
pub fn record_aad(vault_id: &VaultIdBytes, kind: RecordKind, id: &RecordId, key_version: u32) -> Vec<u8> {
    let id = id.as_str().as_bytes();
    let mut aad = Vec::with_capacity(RECORD_AAD_LABEL.len() + 16 + 3 + id.len() + 4);
    aad.extend_from_slice(RECORD_AAD_LABEL);
    aad.push(RECORD_VERSION);
    aad.extend_from_slice(vault_id);
    aad.push(kind.code());
    aad.push(u8::try_from(id.len()).expect("record ids are at most 128 bytes"));
    aad.extend_from_slice(id);
    aad.extend_from_slice(&key_version.to_le_bytes());
    aad
}

/// The store key of a record.
pub fn record_key(kind: RecordKind, id: &RecordId) -> String {
    format!("{RECORD_PREFIX}{}.{}", kind.name(), id.as_str())
}

/// Inverse of [`record_key`]; `None` for keys that are not records.
pub fn parse_record_key(key: &str) -> Option<(RecordKind, RecordId)> {
    let rest = key.strip_prefix(RECORD_PREFIX)?;
    let (kind, id) = rest.split_once('.')?;
    Some((RecordKind::from_name(kind)?, RecordId::new(id).ok()?))
}

/// A little-endian reader over a byte slice.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }
    pub fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
    pub fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    pub fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.array()?))
    }
    pub fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.array()?))
    }
    /// A `u32`-length-prefixed byte string.
    pub fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.u32()?).ok()?;
        self.take(n)
    }
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }
    pub fn rest(&mut self) -> &'a [u8] {
        let out = &self.buf[self.pos..];
        self.pos = self.buf.len();
        out
    }
}

/// Appends a `u32`-length-prefixed byte string.
pub fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&u32::try_from(bytes.len()).expect("field under 4 GiB").to_le_bytes());
    out.extend_from_slice(bytes);
}
