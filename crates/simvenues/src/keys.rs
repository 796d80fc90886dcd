//! Demo API keys and their permission profiles, as each venue expresses them: Binance `apiRestrictions` flags,
//! Bitget `authorities` codes. Secrets redact in `Debug` and are zeroized on drop.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

/// Which venue a key belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Venue {
    /// Binance (spot, wallet and USDⓈ-M futures share keys).
    Binance,
    /// Bitget.
    Bitget,
}

impl Venue {
    /// `binance` or `bitget`.
    pub fn as_str(self) -> &'static str {
        match self {
            Venue::Binance => "binance",
            Venue::Bitget => "bitget",
        }
    }
}

/// What a key may do, in the sandbox's own words; each venue renders it its own way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// Reading only (the only kind Meetcrypt accepts).
    ReadOnly,
    /// Reading and spot/futures trading.
    TradeEnabled,
    /// Reading and withdrawals.
    WithdrawEnabled,
    /// Reading and universal transfers (Binance) / wallet transfers (Bitget).
    TransferEnabled,
}

/// Binance key type: HMAC (hex signature) or Ed25519 (base64 signature).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum KeyType {
    /// HMAC-SHA256, the secret is shared.
    HmacSha256,
    /// Ed25519; the `secret` given to the user is the PKCS#8 PEM private key, the venue keeps the public key.
    Ed25519,
}

/// Bitget account mode: classic (API v2) or unified trading account (API v3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountMode {
    /// Classic account, v2 endpoints.
    Classic,
    /// Unified trading account, v3 endpoints.
    Unified,
}

/// A secret string: redacted in `Debug`, zeroized on drop; serialized in clear only into sandbox.json.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The secret in clear, for signing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// One demo key, as written to `sandbox.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DemoKey {
    /// Venue.
    pub venue: Venue,
    /// Label: the account it reads, also the middle part of its ledger account ids (`binance/main/spot`).
    pub label: String,
    /// `spot` (Binance: spot+funding+usdm), `classic` or `unified` (Bitget).
    pub account_kind: String,
    /// Permission profile.
    pub permissions: Profile,
    /// The API key (public part).
    pub api_key: String,
    /// HMAC secret, or for Ed25519 keys the PKCS#8 PEM private key.
    pub secret: Secret,
    /// Bitget passphrase (empty for Binance).
    pub passphrase: Secret,
    /// Allowed client IPs; empty means unrestricted.
    pub ip_allow: Vec<IpAddr>,
    /// Binance key type.
    pub key_type: KeyType,
    /// Ed25519 public key (32 bytes, hex) for Ed25519 keys; empty otherwise.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub public_key: String,
}

impl DemoKey {
    /// Whether a request from `ip` may use this key.
    pub fn ip_allowed(&self, ip: IpAddr) -> bool {
        self.ip_allow.is_empty() || self.ip_allow.contains(&ip)
    }
    /// The Binance `GET /sapi/v1/account/apiRestrictions` body for this key.
    pub fn binance_restrictions(&self, create_time: i64) -> serde_json::Value {
        let p = self.permissions;
        serde_json::json!({
            "ipRestrict": !self.ip_allow.is_empty(),
            "createTime": create_time,
            "enableReading": true,
            "enableWithdrawals": p == Profile::WithdrawEnabled,
            "enableInternalTransfer": false,
            "enableMargin": false,
            "enableFutures": p == Profile::TradeEnabled,
            "permitsUniversalTransfer": p == Profile::TransferEnabled,
            "enableVanillaOptions": false,
            "enableFixApiTrade": false,
            "enableFixReadOnly": true,
            "enableSpotAndMarginTrading": p == Profile::TradeEnabled,
            "enablePortfolioMarginTrading": false
        })
    }
    /// The Bitget `authorities` codes of this key (read codes end in `r`, write codes in `w`).
    pub fn bitget_authorities(&self) -> Vec<&'static str> {
        let mut v = vec!["coor", "cpor", "stor", "wtor", "taxr"];
        match self.permissions {
            Profile::ReadOnly => {}
            Profile::TradeEnabled => v.extend(["coow", "cpow", "stow"]),
            Profile::WithdrawEnabled => v.push("wwow"),
            Profile::TransferEnabled => v.push("wtow"),
        }
        v
    }
    /// Whether this key may perform a write of the given class.
    pub fn may(&self, write: WriteClass) -> bool {
        matches!(
            (self.permissions, write),
            (Profile::TradeEnabled, WriteClass::Trade)
                | (Profile::WithdrawEnabled, WriteClass::Withdraw)
                | (Profile::TransferEnabled, WriteClass::Transfer)
        )
    }
}

/// What a write endpoint would do, to check it against the key's permissions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WriteClass {
    /// Orders, leverage, margin: trading.
    Trade,
    /// Withdrawals.
    Withdraw,
    /// Transfers between wallets or accounts.
    Transfer,
    /// Anything else (listen keys, settings).
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_show_in_debug() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s:?}"), "Secret(***)");
    }

    #[test]
    fn read_only_bitget_key_has_only_read_codes() {
        let k = DemoKey {
            venue: Venue::Bitget,
            label: "main".into(),
            account_kind: "classic".into(),
            permissions: Profile::ReadOnly,
            api_key: "k".into(),
            secret: Secret::new("s"),
            passphrase: Secret::new("p"),
            ip_allow: vec![],
            key_type: KeyType::HmacSha256,
            public_key: String::new(),
        };
        assert!(k.bitget_authorities().iter().all(|c| c.ends_with('r')));
        let w = DemoKey { permissions: Profile::WithdrawEnabled, ..k };
        assert!(w.bitget_authorities().contains(&"wwow"));
    }
}
