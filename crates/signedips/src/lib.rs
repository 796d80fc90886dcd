//! The relay's egress IP list, signed by its operator (docs/relay.md, "The signed IP list").
//!
//! Users put the relay's egress IPs on their API keys' IP allow-lists, so the list must come from the operator and
//! nobody else. The operator signs it with an Ed25519 key ([`OperatorKey`], `relay ips keygen`); the relay serves
//! the signed list ([`Envelope`], `GET /v1/ips/signed`); the app verifies it against the operator's public key
//! ([`PublicKey`]) before it shows a single IP ([`verify`]).
//!
//! The signed bytes are a small text [`Document`] in one canonical form (the parser accepts nothing else), so a
//! third party verifies the exact bytes it is served, with any Ed25519 library, and no JSON canonicalisation.

use std::fmt;
use std::net::IpAddr;

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

/// The document's first line: the format and its version.
pub const MAGIC: &str = "meetcrypt-relay-ips 1";

/// Why a signed list, a key or a document is refused. No message holds private key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The served JSON or the document does not have the documented form.
    #[error("the signed IP list is malformed: {0}")]
    Malformed(String),
    /// Signed with another key than the one trusted.
    #[error(
        "the IP list is signed by key {signed_by}, not by the trusted operator key {trusted}: \
         do not allow-list these IPs; ask the relay's operator"
    )]
    WrongKey {
        /// The first 16 hex digits of the key named in the envelope.
        signed_by: String,
        /// The first 16 hex digits of the trusted key.
        trusted: String,
    },
    /// The signature does not verify: the document or the signature was changed.
    #[error(
        "the IP list's signature does not verify with the operator key {trusted}: the list was altered; do not \
         allow-list these IPs"
    )]
    BadSignature {
        /// The first 16 hex digits of the trusted key.
        trusted: String,
    },
    /// The validity window has not begun.
    #[error("the signed IP list is valid only from {} (check this computer's clock)", utc(*not_before))]
    NotYetValid {
        /// Unix seconds.
        not_before: u64,
    },
    /// The validity window has ended.
    #[error("the signed IP list expired on {}: the relay's operator must sign it again", utc(*not_after))]
    Expired {
        /// Unix seconds.
        not_after: u64,
    },
    /// A public or private key cannot be read.
    #[error("{0}")]
    Key(String),
}

/// The signed content: which IPs, from when to when, and which version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    /// Increases with every list the operator signs (`relay ips sign` uses the signing time in Unix seconds).
    pub serial: u64,
    /// First second of validity (Unix time, UTC), inclusive.
    pub not_before: u64,
    /// End of validity (Unix time, UTC), exclusive.
    pub not_after: u64,
    /// The egress IPs, ascending, no duplicates, at least one.
    pub ips: Vec<IpAddr>,
}

impl Document {
    /// A document for these IPs (sorted and deduplicated here); refused if empty or if the window is empty.
    pub fn new(serial: u64, not_before: u64, not_after: u64, mut ips: Vec<IpAddr>) -> Result<Document, Error> {
        ips.sort();
        ips.dedup();
        let d = Document { serial, not_before, not_after, ips };
        d.check()?;
        Ok(d)
    }

    fn check(&self) -> Result<(), Error> {
        if self.ips.is_empty() {
            return Err(Error::Malformed("it lists no IP".into()));
        }
        if self.not_before >= self.not_after {
            return Err(Error::Malformed("its validity window is empty (not-before is not before not-after)".into()));
        }
        Ok(())
    }

    /// The canonical text, the bytes that are signed: LF-terminated lines, `MAGIC`, `serial N`, `not-before N`,
    /// `not-after N`, then `ip ADDR` per IP in ascending order (IPv4 before IPv6), in Rust's standard address form.
    pub fn to_text(&self) -> String {
        let mut s =
            format!("{MAGIC}\nserial {}\nnot-before {}\nnot-after {}\n", self.serial, self.not_before, self.not_after);
        for ip in &self.ips {
            s.push_str(&format!("ip {ip}\n"));
        }
        s
    }

    /// Parses a document, accepting only its canonical text (anything else is [`Error::Malformed`]).
    pub fn parse(text: &str) -> Result<Document, Error> {
        let bad = |m: &str| Error::Malformed(m.to_owned());
        let body = text.strip_suffix('\n').ok_or_else(|| bad("the document does not end with a line feed"))?;
        let mut lines = body.split('\n');
        if lines.next() != Some(MAGIC) {
            return Err(bad("the document's first line is not 'meetcrypt-relay-ips 1'"));
        }
        let mut number = |name: &str| -> Result<u64, Error> {
            lines
                .next()
                .and_then(|l| l.strip_prefix(name))
                .and_then(|l| l.strip_prefix(' '))
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| Error::Malformed(format!("the document lacks its '{name} N' line")))
        };
        let (serial, not_before, not_after) = (number("serial")?, number("not-before")?, number("not-after")?);
        let ips = lines
            .map(|l| {
                l.strip_prefix("ip ")
                    .and_then(|ip| ip.parse().ok())
                    .ok_or_else(|| Error::Malformed(format!("'{}' is not an 'ip ADDRESS' line", l.escape_debug())))
            })
            .collect::<Result<Vec<IpAddr>, Error>>()?;
        let d = Document { serial, not_before, not_after, ips };
        d.check()?;
        if !d.ips.windows(2).all(|w| w[0] < w[1]) || d.to_text() != text {
            return Err(bad("the document is not in canonical form (IPs ascending without duplicates, plain numbers)"));
        }
        Ok(d)
    }

    /// Whether `now` (Unix seconds) is inside the window, with the error that says which side it is not.
    pub fn valid_at(&self, now: u64) -> Result<(), Error> {
        if now < self.not_before {
            return Err(Error::NotYetValid { not_before: self.not_before });
        }
        if now >= self.not_after {
            return Err(Error::Expired { not_after: self.not_after });
        }
        Ok(())
    }
}

/// What the relay serves: the document's exact text, its signature and the signer's public key (informational:
/// a verifier uses the key it trusts, never this one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// The canonical document text, exactly the signed bytes (UTF-8).
    pub document: String,
    /// The Ed25519 signature of `document`'s bytes (RFC 8032), 128 lower-case hex digits.
    pub signature: String,
    /// The signer's public key, 64 lower-case hex digits.
    pub public_key: String,
}

impl Envelope {
    /// The envelope as the relay serves it (JSON).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// Reads the served JSON.
    pub fn from_json(text: &str) -> Result<Envelope, Error> {
        serde_json::from_str(text).map_err(|e| Error::Malformed(format!("not the documented JSON ({e})")))
    }
}

/// An operator's public key: 32 bytes, written as 64 hex digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Parses 64 hex digits (surrounding whitespace ignored).
    pub fn parse(hex_text: &str) -> Result<PublicKey, Error> {
        let bytes: [u8; 32] = hex::decode(hex_text.trim()).ok().and_then(|b| b.try_into().ok()).ok_or_else(|| {
            Error::Key("an operator public key is 64 hex digits (as `relay ips keygen` prints it)".into())
        })?;
        VerifyingKey::from_bytes(&bytes)
            .map(PublicKey)
            .map_err(|_| Error::Key("these 64 hex digits are not an Ed25519 public key".into()))
    }

    /// 64 lower-case hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.to_bytes())
    }

    /// The first 16 hex digits, to name the key in messages.
    pub fn short(&self) -> String {
        self.to_hex()[..16].to_owned()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

/// The operator's private signing key. Its `Debug` shows only the public key; it is zeroized on drop.
pub struct OperatorKey(SigningKey);

/// The key file's comment line, before the seed.
const KEY_FILE_HEADER: &str = "# meetcrypt relay IP-list signing key (Ed25519 seed, hex): keep it private";

impl OperatorKey {
    /// The key of a 32-byte seed (from a CSPRNG: `relay ips keygen` uses the operating system's).
    pub fn from_seed(seed: &[u8; 32]) -> OperatorKey {
        OperatorKey(SigningKey::from_bytes(seed))
    }

    /// Reads a key file: `#` comment lines and blank lines, and one line of 64 hex digits (the seed).
    pub fn parse_file(text: &str) -> Result<OperatorKey, Error> {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'));
        // decoded in place (no copy left behind), and zeroed once the key holds it
        let mut seed = [0u8; 32];
        let ok = match (lines.next(), lines.next()) {
            (Some(l), None) => hex::decode_to_slice(l, &mut seed).is_ok(),
            _ => false,
        };
        let key = ok.then(|| OperatorKey::from_seed(&seed));
        zeroize::Zeroize::zeroize(&mut seed);
        // never echo the file: it is a private key
        key.ok_or_else(|| {
            Error::Key("not a key file from `relay ips keygen` (one line of 64 hex digits besides # comments)".into())
        })
    }

    /// The key file's text (written with mode 0600 by `relay ips keygen`).
    pub fn to_file(&self) -> String {
        format!("{KEY_FILE_HEADER}\n# public key: {}\n{}\n", self.public_key().to_hex(), hex::encode(self.0.to_bytes()))
    }

    /// Its public key, to publish and to build the app with.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Signs a document.
    pub fn sign(&self, document: &Document) -> Envelope {
        let text = document.to_text();
        let signature = self.0.sign(text.as_bytes());
        Envelope {
            document: text,
            signature: hex::encode(signature.to_bytes()),
            public_key: self.public_key().to_hex(),
        }
    }
}

impl fmt::Debug for OperatorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OperatorKey(public {})", self.public_key().to_hex())
    }
}

/// Verifies a signed list against the trusted key at `now` (Unix seconds): the signature over the document's exact
/// bytes (strict RFC 8032 verification), then its form, then its window. Returns the document only if all hold.
pub fn verify(envelope: &Envelope, trusted: &PublicKey, now: u64) -> Result<Document, Error> {
    let named = PublicKey::parse(&envelope.public_key).ok();
    if named.is_some_and(|k| k != *trusted) {
        return Err(Error::WrongKey {
            signed_by: envelope.public_key.get(..16).unwrap_or_default().to_owned(),
            trusted: trusted.short(),
        });
    }
    let signature: [u8; 64] = hex::decode(&envelope.signature)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Error::Malformed("the signature is not 128 hex digits".into()))?;
    trusted
        .0
        .verify_strict(envelope.document.as_bytes(), &Signature::from_bytes(&signature))
        .map_err(|_| Error::BadSignature { trusted: trusted.short() })?;
    let document = Document::parse(&envelope.document)?;
    document.valid_at(now)?;
    Ok(document)
}

/// [`verify`] of the served JSON.
pub fn verify_json(json: &str, trusted: &PublicKey, now: u64) -> Result<Document, Error> {
    verify(&Envelope::from_json(json)?, trusted, now)
}

/// `YYYY-MM-DD HH:MM UTC` of Unix seconds (the proleptic Gregorian calendar; days from civil, H. Hinnant).
pub fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", rem / 3_600, rem % 3_600 / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> OperatorKey {
        OperatorKey::from_seed(&[n; 32])
    }

    fn doc() -> Document {
        Document::new(7, 1_000, 2_000, vec!["203.0.113.11".parse().unwrap(), "203.0.113.10".parse().unwrap()]).unwrap()
    }

    #[test]
    fn a_signed_list_verifies_with_its_key_inside_its_window() {
        let k = key(1);
        let env = k.sign(&doc());
        let json = env.to_json();
        let got = verify_json(&json, &k.public_key(), 1_500).unwrap();
        assert_eq!(got, doc());
        assert_eq!(got.ips[0].to_string(), "203.0.113.10", "sorted");
        assert_eq!(
            env.document,
            "meetcrypt-relay-ips 1\nserial 7\nnot-before 1000\nnot-after 2000\nip 203.0.113.10\nip 203.0.113.11\n"
        );
        // the window's ends: inclusive start, exclusive end
        assert!(verify(&env, &k.public_key(), 1_000).is_ok());
        assert_eq!(verify(&env, &k.public_key(), 2_000), Err(Error::Expired { not_after: 2_000 }));
        assert_eq!(verify(&env, &k.public_key(), 999), Err(Error::NotYetValid { not_before: 1_000 }));
    }

    #[test]
    fn tampered_documents_and_signatures_are_refused() {
        let k = key(1);
        let env = k.sign(&doc());
        let mut t = env.clone();
        t.document = t.document.replace("203.0.113.11", "198.51.100.66");
        assert!(matches!(verify(&t, &k.public_key(), 1_500), Err(Error::BadSignature { .. })));
        let mut t = env.clone();
        t.document = t.document.replace("not-after 2000", "not-after 9000");
        assert!(matches!(verify(&t, &k.public_key(), 1_500), Err(Error::BadSignature { .. })));
        let mut t = env.clone();
        let flipped = if t.signature.starts_with('0') { "1" } else { "0" };
        t.signature.replace_range(..1, flipped);
        assert!(matches!(verify(&t, &k.public_key(), 1_500), Err(Error::BadSignature { .. })));
        let mut t = env;
        t.signature.truncate(10);
        assert!(matches!(verify(&t, &k.public_key(), 1_500), Err(Error::Malformed(_))));
    }

    #[test]
    fn another_key_is_refused_even_when_the_envelope_names_the_trusted_one() {
        let (trusted, other) = (key(1), key(2));
        let env = other.sign(&doc());
        let e = verify(&env, &trusted.public_key(), 1_500).unwrap_err();
        assert!(matches!(e, Error::WrongKey { .. }), "{e}");
        assert!(e.to_string().contains(&trusted.public_key().short()), "{e}");
        let mut lying = env;
        lying.public_key = trusted.public_key().to_hex();
        assert!(matches!(verify(&lying, &trusted.public_key(), 1_500), Err(Error::BadSignature { .. })));
    }

    #[test]
    fn only_the_canonical_text_parses() {
        let text = doc().to_text();
        assert_eq!(Document::parse(&text).unwrap(), doc());
        for bad in [
            text.replace("ip 203.0.113.10\nip 203.0.113.11\n", "ip 203.0.113.11\nip 203.0.113.10\n"),
            text.replace("\n", "\r\n"),
            text.trim_end().to_owned(),
            text.replace("serial 7", "serial 07"),
            text.replace("serial 7", "serial  7"),
            text.replace("ip 203.0.113.11\n", "ip 203.0.113.10\n"),
            text.replace("ip 203.0.113.10\nip 203.0.113.11\n", ""),
            text.replace("not-after 2000", "not-after 1000"),
            text.replacen("ips 1", "ips 2", 1),
            format!("{text}extra\n"),
        ] {
            assert!(matches!(Document::parse(&bad), Err(Error::Malformed(_))), "{bad:?}");
        }
        let v6 = Document::new(1, 1, 2, vec!["2001:db8::1".parse().unwrap(), "192.0.2.1".parse().unwrap()]).unwrap();
        assert!(v6.to_text().ends_with("ip 192.0.2.1\nip 2001:db8::1\n"), "IPv4 first");
        assert!(Document::new(1, 5, 5, vec!["192.0.2.1".parse().unwrap()]).is_err());
        assert!(Document::new(1, 1, 5, vec![]).is_err());
    }

    #[test]
    fn key_files_round_trip_and_never_show_the_seed() {
        let k = key(9);
        let file = k.to_file();
        let back = OperatorKey::parse_file(&file).unwrap();
        assert_eq!(back.public_key(), k.public_key());
        let seed = hex::encode([9u8; 32]);
        assert!(!format!("{k:?}").contains(&seed));
        let err = OperatorKey::parse_file(&format!("{seed}\n{seed}\n")).unwrap_err().to_string();
        assert!(!err.contains(&seed), "{err}");
        assert!(OperatorKey::parse_file("zz").is_err());
        assert_eq!(PublicKey::parse(&k.public_key().to_hex()).unwrap(), k.public_key());
        assert!(PublicKey::parse("abcd").is_err());
    }

    #[test]
    fn rfc8032_test_vector_1() {
        // RFC 8032 §7.1, TEST 1: the empty message.
        let seed: [u8; 32] = hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            .unwrap()
            .try_into()
            .unwrap();
        let k = OperatorKey::from_seed(&seed);
        assert_eq!(k.public_key().to_hex(), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        let sig = k.0.sign(b"");
        assert_eq!(
            hex::encode(sig.to_bytes()),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc(1_796_512_800), "2026-12-05 23:20 UTC");
    }
}
