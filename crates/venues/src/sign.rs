//! Request signatures: Binance HMAC-SHA256 (hex) and Ed25519 (base64), Bitget HMAC-SHA256 (base64).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signer as _, SigningKey};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::secret::Secret;

/// A private key that cannot be used for signing.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// The Ed25519 key is not an unencrypted PKCS#8 PEM.
    #[error(
        "the Ed25519 private key is not an unencrypted PKCS#8 PEM (-----BEGIN PRIVATE KEY-----): paste the private \
         key file Binance's key generator wrote, not the public key"
    )]
    BadEd25519Pem,
}

fn hmac_sha256(secret: &[u8], payload: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(payload);
    mac.finalize().into_bytes().into()
}

/// Binance HMAC signature: lowercase hex of HMAC-SHA256(secret, query string + body).
pub fn binance_hmac(secret: &Secret, payload: &str) -> String {
    hex::encode(hmac_sha256(secret.expose().as_bytes(), payload.as_bytes()))
}

/// The 32-byte seed inside an Ed25519 PKCS#8 v1 private key (RFC 8410): the DER is a fixed 48-byte structure.
fn ed25519_seed(pem: &str) -> Result<Zeroizing<[u8; 32]>, KeyError> {
    const PREFIX: [u8; 16] =
        [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
    let body: Zeroizing<String> = Zeroizing::new(
        pem.lines()
            .map(str::trim)
            .skip_while(|l| *l != "-----BEGIN PRIVATE KEY-----")
            .skip(1)
            .take_while(|l| *l != "-----END PRIVATE KEY-----")
            .collect(),
    );
    let der = Zeroizing::new(B64.decode(body.as_bytes()).map_err(|_| KeyError::BadEd25519Pem)?);
    if der.len() != 48 || der[..16] != PREFIX {
        return Err(KeyError::BadEd25519Pem);
    }
    let mut seed = Zeroizing::new([0u8; 32]);
    seed.copy_from_slice(&der[16..]);
    Ok(seed)
}

/// Binance Ed25519 signature: base64 of the Ed25519 signature of the payload (to be percent-encoded in a query).
pub fn binance_ed25519(private_key_pem: &Secret, payload: &str) -> Result<String, KeyError> {
    let seed = ed25519_seed(private_key_pem.expose())?;
    let key = SigningKey::from_bytes(&seed);
    Ok(B64.encode(key.sign(payload.as_bytes()).to_bytes()))
}

/// Checks that a PEM holds a usable Ed25519 private key.
pub fn check_ed25519(private_key_pem: &Secret) -> Result<(), KeyError> {
    ed25519_seed(private_key_pem.expose()).map(|_| ())
}

/// Bitget's pre-hash string: `timestamp + METHOD + path + ("?" + query if any) + body`.
pub fn bitget_prehash(timestamp: i64, method: &str, path: &str, query: &str, body: &str) -> String {
    let mut s = format!("{timestamp}{}{path}", method.to_ascii_uppercase());
    if !query.is_empty() {
        s.push('?');
        s.push_str(query);
    }
    s.push_str(body);
    s
}

/// Bitget signature: base64 of HMAC-SHA256(secret, pre-hash).
pub fn bitget(secret: &Secret, timestamp: i64, method: &str, path: &str, query: &str, body: &str) -> String {
    B64.encode(hmac_sha256(secret.expose().as_bytes(), bitget_prehash(timestamp, method, path, query, body).as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};

    const BINANCE_SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

    /// docs/venues.md §4.1 (official) and §4.2 (derived, computed independently with Python's hmac).
    #[test]
    fn binance_hmac_vectors() {
        let secret = Secret::new(BINANCE_SECRET);
        let cases = [
            (
                "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
                "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71",
            ),
            (
                "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
                "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3",
            ),
            ("timestamp=1499827319559", "2222d49722f6af5da13f6da6bfc0d7de19ca2815ebc98bbc49e4942268472f3f"),
            (
                "recvWindow=5000&timestamp=1499827319559",
                "82f4e72e95e63d666b6da651e82a701722ad8a785a169318d91f36f279c55821",
            ),
            (
                "omitZeroBalances=true&recvWindow=5000&timestamp=1499827319559",
                "807e9f33e2180fee3162aaa9fddb73c600a957ca7e8353e2c50ba2a31430a41f",
            ),
            (
                "symbol=BTCUSDT&startTime=1499740919559&endTime=1499827319559&limit=1000&recvWindow=5000&timestamp=1499827319559",
                "63b342ea51de1630f3e0e6ba3ef5304a482a127c004b7336891840192518c575",
            ),
            (
                "symbol=BTCUSDT&incomeType=FUNDING_FEE&startTime=1499740919559&endTime=1499827319559&limit=1000&timestamp=1499827319559",
                "d64f48d3a76c522af1dbdfad7b418999269df30380fd0bd7c34d08b45bdf26e2",
            ),
        ];
        for (payload, expected) in cases {
            assert_eq!(binance_hmac(&secret, payload), expected, "{payload}");
        }
    }

    /// docs/venues.md §4.3 (derived; the first row cross-checked with openssl).
    #[test]
    fn bitget_vectors() {
        let secret = Secret::new("TEST_SECRET_DO_NOT_USE_0123456789abcdef");
        let t = 1659076670000;
        assert_eq!(
            bitget(&secret, t, "GET", "/api/v2/spot/account/info", "", ""),
            "nse8nja+rpZXc8S/dB3pYx1GyKboJCMQ+niikThMFEI="
        );
        assert_eq!(
            bitget(&secret, t, "GET", "/api/v2/spot/account/assets", "coin=USDT", ""),
            "CkUBSS3OU2LN2IUqB6Afqv6yJ+VTvOp00XH+jrHsw6g="
        );
        assert_eq!(
            bitget(
                &secret,
                t,
                "GET",
                "/api/v2/spot/trade/fills",
                "endTime=1659076670000&limit=100&startTime=1659036670000&symbol=BTCUSDT",
                ""
            ),
            "lqD85USRi6MDx8cFodwXFMUfKRBE0tX+KigAU5wHi+E="
        );
        assert_eq!(
            bitget(
                &secret,
                t,
                "GET",
                "/api/v2/mix/account/bill",
                "businessType=contract_settle_fee&productType=USDT-FUTURES",
                ""
            ),
            "z0em4SGUTqe62HH/NGw+vKAekcfNuzsx9cLzdYza0Wk="
        );
        assert_eq!(
            bitget(&secret, 16273667805456, "get", "/api/mix/v2/market/depth", "symbol=BTCUSDT&limit=20", ""),
            "CC15d4BPVBhFWgEnvtOXQt1YXptrfw5KKKkF1VPV//w="
        );
        let body =
            r#"{"symbol":"BTCUSDT","side":"buy","orderType":"limit","force":"gtc","price":"23222.5","size":"1"}"#;
        assert_eq!(
            bitget(&secret, t, "POST", "/api/v2/spot/trade/place-order", "", body),
            "CZne83ZUZA33JB6ZTGqKBLRYZMgUYNvW7azqXYIESOY="
        );
        assert_eq!(
            bitget_prehash(t, "get", "/api/v2/spot/account/assets", "coin=USDT", ""),
            "1659076670000GET/api/v2/spot/account/assets?coin=USDT"
        );
    }

    /// RFC 8032 §7.1 test 1: the seed, public key and signature of the empty message; the key is wrapped in the
    /// PKCS#8 PEM that `openssl genpkey -algorithm ed25519` writes.
    #[test]
    fn ed25519_rfc8032_vector_through_pem() {
        let seed = hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60").unwrap();
        let mut der = hex::decode("302e020100300506032b657004220420").unwrap();
        der.extend_from_slice(&seed);
        let pem = format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", B64.encode(&der));
        let sig = binance_ed25519(&Secret::new(pem), "").unwrap();
        let expected = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
        assert_eq!(hex::encode(B64.decode(&sig).unwrap()), expected);
        let public = hex::decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a").unwrap();
        let vk = VerifyingKey::from_bytes(&public.try_into().unwrap()).unwrap();
        let raw: [u8; 64] = B64.decode(&sig).unwrap().try_into().unwrap();
        assert!(vk.verify(b"", &Signature::from_bytes(&raw)).is_ok());
        assert!(vk.verify(b"x", &Signature::from_bytes(&raw)).is_err());
    }

    #[test]
    fn ed25519_rejects_what_is_not_a_private_key() {
        let public_pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----";
        assert_eq!(binance_ed25519(&Secret::new(public_pem), "x"), Err(KeyError::BadEd25519Pem));
        assert_eq!(
            check_ed25519(&Secret::new("-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----")),
            Err(KeyError::BadEd25519Pem)
        );
    }
}
