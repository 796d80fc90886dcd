//! Checking a key before it is stored: it must be able to read, must not be able to withdraw (ever), and by
//! default must not be able to trade, transfer or borrow. Every refusal names the permission as the venue's own
//! key-management page labels it, so the user knows which box to untick.

use std::fmt;

use catalogue::{
    BINANCE_API_RESTRICTIONS, BINANCE_COPY_LEAD_STATUS, BITGET_ACCOUNT_INFO, BITGET_UNIFIED_ACCOUNT_INFO, Endpoint,
    Venue,
};
use serde_json::Value;

use crate::client::Client;
use crate::error::{ApiProblem, VenueError};
use crate::retry::RetryPolicy;
use crate::secret::{Credentials, KeyKind};
use crate::sign;
use crate::transport::Transport;

/// What a permission lets a key do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Capability {
    /// Read account data: required.
    Read,
    /// Place orders.
    Trade,
    /// Move funds between accounts or wallets.
    Transfer,
    /// Borrow (margin loans).
    Borrow,
    /// Withdraw funds: always refused.
    Withdraw,
    /// A flag this client does not know: refused (fail closed).
    Unknown,
}

/// Which permissions a user accepts beyond reading. Withdrawal is never accepted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectPolicy {
    /// Accept keys that can trade.
    pub allow_trade: bool,
    /// Accept keys that can transfer.
    pub allow_transfer: bool,
    /// Accept keys that can borrow.
    pub allow_borrow: bool,
    /// The relay's egress IPs, shown when a key is not IP-restricted.
    pub relay_ips: Vec<String>,
    /// The key is a copy-trading account's: a permission that can change its copy settings or trade for the
    /// followers who copy it ([`COPY_WRITES`]) is refused whatever `allow_trade` says (docs/venues.md §1.17, §2.11).
    pub copy_trading: bool,
}

/// The permissions that can change a copy-trading account's copy settings or place the orders its followers copy:
/// Bitget's classic `ttow` (Copy trading: Read/Write) and unified copy scopes, Binance's Enable Futures (a lead
/// portfolio trades USDⓈ-M futures; Binance publishes no copy-settings write).
pub const COPY_WRITES: [&str; 4] = ["ttow", "copy_futures_position", "copy_futures_order", "enableFutures"];

/// How a key's account is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountMode {
    /// Binance spot, wallet and USDⓈ-M futures.
    Binance,
    /// Bitget classic account: v2 endpoints.
    BitgetClassic,
    /// Bitget unified trading account: v3 endpoints.
    BitgetUnified,
}

/// One permission that makes the key unacceptable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// What the permission allows.
    pub capability: Capability,
    /// The permission as the venue's UI (or API, for unknown flags) names it.
    pub permission: String,
    /// The venue's answer does not say whether the key has it: refused, since it cannot be ruled out.
    pub unstated: bool,
}

impl Refusal {
    /// A permission the key has.
    pub fn new(capability: Capability, permission: impl Into<String>) -> Self {
        Refusal { capability, permission: permission.into(), unstated: false }
    }

    /// A permission the venue's answer does not mention.
    pub fn unstated(capability: Capability, permission: impl Into<String>) -> Self {
        Refusal { capability, permission: permission.into(), unstated: true }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.permission;
        if self.unstated {
            let what = match self.capability {
                Capability::Read => "read",
                Capability::Trade => "trade",
                Capability::Transfer => "transfer funds",
                Capability::Borrow => "borrow",
                Capability::Withdraw => "withdraw",
                Capability::Unknown => "do more than read",
            };
            return write!(
                f,
                "the venue did not say whether this key can {what}: its answer does not include {p}; create a new \
                 read-only key with {p} off"
            );
        }
        match self.capability {
            Capability::Read => write!(f, "this key cannot read: turn on {p}"),
            Capability::Trade => write!(f, "this key can trade: turn off {p}"),
            Capability::Transfer => write!(f, "this key can transfer funds: turn off {p}"),
            Capability::Borrow => write!(f, "this key can borrow: turn off {p}"),
            Capability::Withdraw => {
                write!(f, "this key can withdraw: turn off {p} (meetcrypt never accepts such a key)")
            }
            Capability::Unknown => {
                write!(
                    f,
                    "this key has a permission meetcrypt does not know ({p}): turn it off, or create a read-only key"
                )
            }
        }
    }
}

/// A key that may be stored, with what the user should know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectReport {
    /// Which API family reads this account.
    pub mode: AccountMode,
    /// Whether the key is restricted to IP addresses.
    pub ip_restricted: bool,
    /// Warnings to show (not IP-restricted, clock off, accepted write permissions).
    pub warnings: Vec<String>,
    /// Venue time minus local time, ms.
    pub clock_offset_ms: i64,
}

/// Why a key was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The key has permissions the policy refuses.
    #[error("{venue} key refused: {}", grouped(reasons))]
    Refused {
        /// Venue.
        venue: Venue,
        /// Each permission to turn off (or on).
        reasons: Vec<Refusal>,
    },
    /// The venue refused the key or could not be reached; the message says what is wrong.
    #[error(transparent)]
    Venue(#[from] VenueError),
    /// A required field is missing.
    #[error("{0}")]
    Incomplete(String),
}

/// Refusals of the same capability in one sentence: "this key can trade: turn off A and B".
fn grouped(reasons: &[Refusal]) -> String {
    let mut groups: Vec<(Capability, bool, Vec<&str>)> = Vec::new();
    for r in reasons {
        match groups
            .iter_mut()
            .find(|(c, unstated, _)| *c == r.capability && *unstated == r.unstated && *c != Capability::Unknown)
        {
            Some((_, _, perms)) => perms.push(&r.permission),
            None => groups.push((r.capability, r.unstated, vec![&r.permission])),
        }
    }
    groups
        .into_iter()
        .map(|(capability, unstated, perms)| {
            Refusal { capability, permission: perms.join(" and "), unstated }.to_string()
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Clock offsets beyond this are reported to the user (requests are corrected anyway).
pub const CLOCK_WARNING_MS: i64 = 5_000;

fn binance_flag(name: &str) -> Option<(Capability, &'static str)> {
    Some(match name {
        "enableReading" => (Capability::Read, "Enable Reading"),
        "enableSpotAndMarginTrading" => (Capability::Trade, "Enable Spot & Margin Trading"),
        "enableFutures" => (Capability::Trade, "Enable Futures"),
        "enableVanillaOptions" => (Capability::Trade, "Enable European Options"),
        "enablePortfolioMarginTrading" => (Capability::Trade, "Enable Portfolio Margin Trading"),
        "enableFixApiTrade" => (Capability::Trade, "Enable FIX API Trade"),
        "enableMargin" => (Capability::Borrow, "Enable Margin Loan, Repay & Transfer"),
        "enableInternalTransfer" => (Capability::Transfer, "Permits Internal Transfer"),
        "permitsUniversalTransfer" => (Capability::Transfer, "Permits Universal Transfer"),
        "enableWithdrawals" => (Capability::Withdraw, "Enable Withdrawals"),
        _ => return None,
    })
}

/// The flags of Binance's documented answer that grant more than reading: each must be present (and off).
const BINANCE_WRITE_FLAGS: [&str; 9] = [
    "enableSpotAndMarginTrading",
    "enableFutures",
    "enableVanillaOptions",
    "enablePortfolioMarginTrading",
    "enableFixApiTrade",
    "enableMargin",
    "enableInternalTransfer",
    "permitsUniversalTransfer",
    "enableWithdrawals",
];

/// Binance fields that are not permissions.
const BINANCE_INFO_FIELDS: [&str; 4] =
    ["ipRestrict", "createTime", "tradingAuthorityExpirationTime", "enableFixReadOnly"];

/// Whether the policy accepts the venue's permission `code`: as [`decide`] says, except a copy-setting permission
/// of a copy-trading account's key ([`COPY_WRITES`]), never accepted.
fn accepts(capability: Capability, code: &str, policy: &ConnectPolicy) -> bool {
    decide(capability, policy) && !(policy.copy_trading && COPY_WRITES.contains(&code))
}

fn decide(capability: Capability, policy: &ConnectPolicy) -> bool {
    match capability {
        Capability::Read => true,
        Capability::Trade => policy.allow_trade,
        Capability::Transfer => policy.allow_transfer,
        Capability::Borrow => policy.allow_borrow,
        Capability::Withdraw | Capability::Unknown => false,
    }
}

fn not_ip_restricted(venue: Venue, policy: &ConnectPolicy) -> String {
    let ips = if policy.relay_ips.is_empty() { "the relay's IPs".to_string() } else { policy.relay_ips.join(", ") };
    let place = match venue {
        Venue::Binance => "Restrict access to trusted IPs only",
        Venue::Bitget => "the key's IP whitelist",
    };
    format!("this key is not IP-restricted: anyone who steals it can use it from anywhere; add {ips} under {place}")
}

/// Judges Binance's `GET /sapi/v1/account/apiRestrictions` answer.
pub fn check_binance_restrictions(data: &Value, policy: &ConnectPolicy) -> Result<(bool, Vec<String>), ConnectError> {
    let endpoint = BINANCE_API_RESTRICTIONS.path;
    let obj = data.as_object().ok_or_else(|| VenueError::malformed(Venue::Binance, endpoint, "not an object"))?;
    let mut reasons = Vec::new();
    let mut warnings = Vec::new();
    match obj.get("enableReading") {
        Some(Value::Bool(true)) => {}
        Some(Value::Bool(false)) => reasons.push(Refusal::new(Capability::Read, "Enable Reading")),
        _ => return Err(VenueError::malformed(Venue::Binance, endpoint, "no enableReading flag").into()),
    }
    let mut names: Vec<&String> = obj.keys().collect();
    names.sort();
    for name in names {
        let value = &obj[name.as_str()];
        if name == "enableReading" || BINANCE_INFO_FIELDS.contains(&name.as_str()) {
            continue;
        }
        let on = match value {
            Value::Bool(b) => *b,
            // an unknown non-boolean field is not a permission flag unless it is named like one
            _ if name.starts_with("enable") || name.starts_with("permits") => true,
            _ => continue,
        };
        if !on {
            continue;
        }
        let (capability, label) = match binance_flag(name) {
            Some((c, l)) => (c, l.to_string()),
            None => (Capability::Unknown, name.clone()),
        };
        if accepts(capability, name, policy) {
            warnings.push(format!("accepted although {}", Refusal::new(capability, label)));
        } else {
            reasons.push(Refusal::new(capability, label));
        }
    }
    // A permission the answer does not mention may be on: fail closed rather than judge only the flags present.
    for name in BINANCE_WRITE_FLAGS {
        if !obj.contains_key(name) {
            let (capability, label) = binance_flag(name).expect("every write flag is named");
            reasons.push(Refusal::unstated(capability, label));
        }
    }
    let ip_restricted = match obj.get("ipRestrict") {
        Some(Value::Bool(b)) => *b,
        _ => return Err(VenueError::malformed(Venue::Binance, endpoint, "no ipRestrict flag").into()),
    };
    if !reasons.is_empty() {
        return Err(ConnectError::Refused { venue: Venue::Binance, reasons });
    }
    if !ip_restricted {
        warnings.insert(0, not_ip_restricted(Venue::Binance, policy));
    }
    Ok((ip_restricted, warnings))
}

fn bitget_authority(code: &str) -> (Capability, &'static str) {
    match code {
        "coor" | "cpor" | "stor" | "smor" | "ttor" | "wtor" | "taxr" | "chor" | "p2pr" | "pllr" | "readonly" => {
            (Capability::Read, "")
        }
        "coow" => (Capability::Trade, "Futures › Orders: Read/Write"),
        "cpow" => (Capability::Trade, "Futures › Holdings: Read/Write"),
        "stow" => (Capability::Trade, "Spot › Trade: Read/Write"),
        "smow" => (Capability::Borrow, "Margin › Trade: Read/Write"),
        "ttow" => (Capability::Trade, "Copy trading: Read/Write"),
        "p2pw" | "p2p" => (Capability::Trade, "P2P: Read/Write"),
        "trade" => (Capability::Trade, "Trade (Read/Write)"),
        "wtow" => (Capability::Transfer, "Wallet › Transfer: Read/Write"),
        "chow" => (Capability::Transfer, "Sub-account › Manage: Read/Write"),
        "pllw" => (Capability::Borrow, "Pledge loan: Read/Write"),
        "wwow" => (Capability::Withdraw, "Wallet › Withdraw"),
        _ => (Capability::Unknown, ""),
    }
}

fn bitget_ips(data: &Value) -> bool {
    match data.get("ips") {
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        _ => false,
    }
}

/// Judges Bitget classic `GET /api/v2/spot/account/info` (`authorities`, `ips`).
pub fn check_bitget_classic(data: &Value, policy: &ConnectPolicy) -> Result<(bool, Vec<String>), ConnectError> {
    let endpoint = BITGET_ACCOUNT_INFO.path;
    let codes = data
        .get("authorities")
        .and_then(Value::as_array)
        .ok_or_else(|| VenueError::malformed(Venue::Bitget, endpoint, "no authorities list"))?;
    let mut reasons = Vec::new();
    let mut warnings = Vec::new();
    let mut can_read = false;
    for code in codes {
        let code =
            code.as_str().ok_or_else(|| VenueError::malformed(Venue::Bitget, endpoint, "authority not a string"))?;
        let (capability, label) = bitget_authority(code);
        let permission = if label.is_empty() { code.to_string() } else { label.to_string() };
        match capability {
            Capability::Read => can_read = true,
            c if accepts(c, code, policy) => {
                warnings.push(format!("accepted although {}", Refusal::new(c, permission)));
            }
            c => reasons.push(Refusal::new(c, permission)),
        }
    }
    if !can_read && reasons.is_empty() {
        reasons.push(Refusal::new(Capability::Read, "a Read-only permission"));
    }
    finish_bitget(data, policy, reasons, warnings)
}

fn finish_bitget(
    data: &Value,
    policy: &ConnectPolicy,
    reasons: Vec<Refusal>,
    mut warnings: Vec<String>,
) -> Result<(bool, Vec<String>), ConnectError> {
    if !reasons.is_empty() {
        return Err(ConnectError::Refused { venue: Venue::Bitget, reasons });
    }
    let ip_restricted = bitget_ips(data);
    if !ip_restricted {
        warnings.insert(0, not_ip_restricted(Venue::Bitget, policy));
    }
    Ok((ip_restricted, warnings))
}

/// Judges Bitget unified `GET /api/v3/account/info` (`permType`, `permissions`, `ips`).
pub fn check_bitget_unified(data: &Value, policy: &ConnectPolicy) -> Result<(bool, Vec<String>), ConnectError> {
    let endpoint = BITGET_UNIFIED_ACCOUNT_INFO.path;
    let malformed = |d: &str| ConnectError::from(VenueError::malformed(Venue::Bitget, endpoint, d));
    let perm_type = data.get("permType").and_then(Value::as_str).ok_or_else(|| malformed("no permType"))?;
    let read_only = match perm_type {
        "read-only" => true,
        "read-and-write" => false,
        other => {
            return Err(ConnectError::Refused {
                venue: Venue::Bitget,
                reasons: vec![Refusal::new(Capability::Unknown, format!("permType {other}"))],
            });
        }
    };
    let perms = data.get("permissions").and_then(Value::as_array).ok_or_else(|| malformed("no permissions list"))?;
    let mut reasons = Vec::new();
    let mut warnings = Vec::new();
    for p in perms {
        let p = p.as_str().ok_or_else(|| malformed("permission not a string"))?;
        let (capability, label) = match p {
            "withdraw" => (Capability::Withdraw, "Withdraw"),
            "uta_trade" => (Capability::Trade, "UTA trade: Read/Write"),
            "uta_mgt" => (Capability::Transfer, "UTA management: Read/Write"),
            "copy_futures_position" => (Capability::Trade, "Futures copy trading position: Read/Write"),
            "copy_futures_order" => (Capability::Trade, "Futures copy trading order: Read/Write"),
            _ => (Capability::Unknown, ""),
        };
        let permission = if label.is_empty() { p.to_string() } else { label.to_string() };
        // a read-only key's scopes are reads, except withdrawal and anything unknown
        let capability = if read_only && matches!(capability, Capability::Trade | Capability::Transfer) {
            Capability::Read
        } else {
            capability
        };
        match capability {
            Capability::Read => {}
            c if accepts(c, p, policy) => warnings.push(format!("accepted although {}", Refusal::new(c, permission))),
            c => reasons.push(Refusal::new(c, permission)),
        }
    }
    finish_bitget(data, policy, reasons, warnings)
}

/// What a Binance copy-trading key's lead status says (docs/venues.md §1.17): nothing for a lead trader; a warning
/// when the account is not one (only a lead portfolio can be read) or when the status cannot be read (the endpoint
/// is marked `TRADE`: a read-only key may be refused it). Never a refusal: the key's permissions were judged above.
async fn lead_status_warning<T: Transport>(transport: &T, client: &Client) -> Option<String> {
    let status = call_patiently(transport, client, &BINANCE_COPY_LEAD_STATUS).await;
    match status.and_then(|reply| crate::parse::binance::lead_status(&reply.data)) {
        Ok(true) => None,
        Ok(false) => Some(
            "Binance says this key's account is not a lead trader: meetcrypt reads a copy-trading account's USDS-M \
             futures wallet, which is a lead portfolio's; a follower's copy portfolio cannot be read through the API"
                .into(),
        ),
        Err(e) => {
            Some(format!("Binance did not say whether this account is a lead trader ({e}); it is read all the same"))
        }
    }
}

/// How a call during connect is retried: [`crate::retry`]'s rules, four attempts (waits of 300, 600 and 1,200 ms).
const CONNECT_RETRY: RetryPolicy = RetryPolicy { max_attempts: 4, first_delay_ms: 150 };
/// The longest a connect waits for a venue's `Retry-After`: the user is watching, and a key check that would wait
/// longer fails with the venue's answer instead, to be tried again later.
const CONNECT_MAX_WAIT_MS: u64 = 10_000;

/// One call during connect, retried under [`CONNECT_RETRY`] when the venue or the network asks to come back.
async fn call_patiently<T: Transport>(
    transport: &T,
    client: &Client,
    endpoint: &'static Endpoint,
) -> Result<crate::client::Reply, VenueError> {
    let mut failed = 0;
    loop {
        let error = match client.call(transport, endpoint, &[]).await {
            Ok(reply) => return Ok(reply),
            Err(e) => e,
        };
        failed += 1;
        match CONNECT_RETRY.after(failed, &error) {
            Some(retry) if retry.ms() <= CONNECT_MAX_WAIT_MS => transport.sleep(retry.ms()).await,
            _ => return Err(error),
        }
    }
}

/// Checks a key against its venue: measures the clock, reads the key's permissions, detects the Bitget account
/// mode, and accepts or refuses it under `policy`.
pub async fn connect<T: Transport>(
    transport: &T,
    client: &Client,
    policy: &ConnectPolicy,
) -> Result<ConnectReport, ConnectError> {
    let creds: &Credentials = client.credentials();
    if creds.api_key.trim().is_empty() {
        return Err(ConnectError::Incomplete("the API key is empty: paste the key".into()));
    }
    if creds.secret.is_empty() {
        return Err(ConnectError::Incomplete("the API secret is empty: paste the secret".into()));
    }
    if creds.key_kind() == KeyKind::Ed25519 {
        sign::check_ed25519(&creds.secret).map_err(VenueError::from)?;
    }
    if creds.venue == Venue::Bitget && creds.passphrase.as_ref().is_none_or(|p| p.is_empty()) {
        return Err(ConnectError::Incomplete("a Bitget key needs its passphrase: enter it".into()));
    }
    let visible = |v: &str| v.bytes().all(|b| b.is_ascii_graphic());
    if !visible(&creds.api_key) {
        return Err(ConnectError::Incomplete(
            "the API key holds a space or a character that cannot be sent: paste exactly the key".into(),
        ));
    }
    if creds.passphrase.as_ref().is_some_and(|p| !visible(p.expose())) {
        return Err(ConnectError::Incomplete(
            "the passphrase holds a space or a character that cannot be sent: enter exactly the key's passphrase"
                .into(),
        ));
    }
    let offset = client.sync_clock(transport).await?;
    let mut clock_warning = None;
    if offset.abs() > CLOCK_WARNING_MS {
        clock_warning = Some(format!(
            "this device's clock is {:.1} s off the venue's; meetcrypt corrects for it, but set the clock automatically",
            offset as f64 / 1000.0
        ));
    }
    let (mode, (ip_restricted, mut warnings)) = match creds.venue {
        Venue::Binance => {
            let reply = call_patiently(transport, client, &BINANCE_API_RESTRICTIONS).await?;
            let checked = check_binance_restrictions(&reply.data, policy)?;
            (AccountMode::Binance, checked)
        }
        Venue::Bitget => match call_patiently(transport, client, &BITGET_ACCOUNT_INFO).await {
            Ok(reply) => (AccountMode::BitgetClassic, check_bitget_classic(&reply.data, policy)?),
            Err(e) if e.problem() == Some(ApiProblem::UnifiedAccount) => {
                let reply = call_patiently(transport, client, &BITGET_UNIFIED_ACCOUNT_INFO).await?;
                (AccountMode::BitgetUnified, check_bitget_unified(&reply.data, policy)?)
            }
            Err(e) => return Err(e.into()),
        },
    };
    if policy.copy_trading && creds.venue == Venue::Binance {
        warnings.extend(lead_status_warning(transport, client).await);
    }
    warnings.extend(clock_warning);
    Ok(ConnectReport { mode, ip_restricted, warnings, clock_offset_ms: offset })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::cell::RefCell;
    use std::collections::VecDeque;

    use crate::transport::Response;

    /// Answers from a queue, at once; records every wait asked of it.
    struct Scripted {
        answers: RefCell<VecDeque<Response>>,
        waits: RefCell<Vec<u64>>,
    }

    impl Scripted {
        fn new(answers: impl IntoIterator<Item = (u16, &'static str)>) -> Self {
            let answers = answers.into_iter().map(|(status, retry_after)| {
                let headers =
                    if retry_after.is_empty() { vec![] } else { vec![("retry-after".into(), retry_after.into())] };
                let body: &[u8] = match status {
                    200 => b"{}",
                    401 => br#"{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}"#,
                    _ => b"",
                };
                Response { status, headers, body: body.to_vec() }
            });
            Scripted { answers: RefCell::new(answers.collect()), waits: RefCell::new(Vec::new()) }
        }
    }

    impl Transport for Scripted {
        async fn send(&self, _: &crate::Request) -> Result<Response, crate::TransportError> {
            Ok(self.answers.borrow_mut().pop_front().expect("a call past the script"))
        }
        fn now_ms(&self) -> i64 {
            1_700_000_000_000
        }
        async fn sleep(&self, ms: u64) {
            self.waits.borrow_mut().push(ms);
        }
    }

    /// Runs a future whose every step is ready at once (the scripted transport never pends).
    fn ready<F: std::future::Future>(f: F) -> F::Output {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(out) => out,
            std::task::Poll::Pending => panic!("the scripted transport never waits"),
        }
    }

    fn patiently(t: &Scripted) -> Result<crate::client::Reply, VenueError> {
        let key = Credentials::new(Venue::Binance, "main", "key", crate::Secret::new("secret"), None);
        ready(call_patiently(t, &Client::new(key), &BINANCE_API_RESTRICTIONS))
    }

    #[test]
    fn a_call_at_connect_is_retried_under_the_one_retry_policy() {
        let t = Scripted::new([(503, ""), (503, ""), (200, "")]);
        assert!(patiently(&t).is_ok());
        assert_eq!(*t.waits.borrow(), [300, 600]);

        let t = Scripted::new([(503, ""); 4]);
        assert!(matches!(patiently(&t), Err(VenueError::Server { status: 503, .. })));
        assert_eq!(*t.waits.borrow(), [300, 600, 1_200], "four attempts in all");

        let t = Scripted::new([(429, "2"), (200, "")]);
        assert!(patiently(&t).is_ok());
        assert_eq!(*t.waits.borrow(), [2_000], "the venue's Retry-After");
    }

    #[test]
    fn a_rate_limit_longer_than_a_user_should_wait_at_connect_is_returned_at_once() {
        let t = Scripted::new([(429, "60")]);
        assert!(matches!(patiently(&t), Err(VenueError::RateLimited { retry_after_ms: Some(60_000), .. })));
        assert!(t.waits.borrow().is_empty());
        let t = Scripted::new([(401, "")]);
        assert!(patiently(&t).is_err());
        assert!(t.waits.borrow().is_empty(), "a refusal that would fail again is not retried");
    }

    fn read_only_binance() -> Value {
        json!({"ipRestrict": true, "createTime": 1698645219000u64, "enableReading": true, "enableWithdrawals": false,
            "enableInternalTransfer": false, "enableMargin": false, "enableFutures": false,
            "permitsUniversalTransfer": false, "enableVanillaOptions": false, "enableFixApiTrade": false,
            "enableFixReadOnly": true, "enableSpotAndMarginTrading": false, "enablePortfolioMarginTrading": false})
    }

    fn with(mut v: Value, field: &str, on: Value) -> Value {
        v[field] = on;
        v
    }

    #[test]
    fn binance_profiles() {
        let p = ConnectPolicy::default();
        assert_eq!(check_binance_restrictions(&read_only_binance(), &p).unwrap(), (true, vec![]));
        let cases = [
            ("enableSpotAndMarginTrading", "this key can trade: turn off Enable Spot & Margin Trading"),
            ("enableFutures", "this key can trade: turn off Enable Futures"),
            ("enableWithdrawals", "this key can withdraw: turn off Enable Withdrawals"),
            ("permitsUniversalTransfer", "this key can transfer funds: turn off Permits Universal Transfer"),
            ("enableInternalTransfer", "this key can transfer funds: turn off Permits Internal Transfer"),
            ("enableMargin", "this key can borrow: turn off Enable Margin Loan, Repay & Transfer"),
            ("enableShinyNewThing", "permission meetcrypt does not know (enableShinyNewThing)"),
        ];
        for (flag, message) in cases {
            let err = check_binance_restrictions(&with(read_only_binance(), flag, json!(true)), &p).unwrap_err();
            assert!(err.to_string().contains(message), "{flag}: {err}");
        }
        let err =
            check_binance_restrictions(&with(read_only_binance(), "enableReading", json!(false)), &p).unwrap_err();
        assert!(err.to_string().contains("this key cannot read: turn on Enable Reading"), "{err}");
    }

    #[test]
    fn a_binance_write_flag_missing_from_the_answer_is_a_refusal() {
        let p = ConnectPolicy { allow_trade: true, allow_transfer: true, allow_borrow: true, ..Default::default() };
        for flag in BINANCE_WRITE_FLAGS {
            let mut v = read_only_binance();
            v.as_object_mut().unwrap().remove(flag);
            let err = check_binance_restrictions(&v, &ConnectPolicy::default()).unwrap_err().to_string();
            let (_, label) = binance_flag(flag).unwrap();
            assert!(err.contains(&format!("its answer does not include {label};")), "{flag}: {err}");
            // even a policy that accepts trading keys cannot accept a key whose permissions are unknown
            assert!(check_binance_restrictions(&v, &p).is_err(), "{flag}");
        }
        let mut v = read_only_binance();
        v.as_object_mut().unwrap().remove("enableFutures");
        v.as_object_mut().unwrap().remove("enableVanillaOptions");
        let err = check_binance_restrictions(&v, &ConnectPolicy::default()).unwrap_err().to_string();
        assert_eq!(
            err,
            "binance key refused: the venue did not say whether this key can trade: its answer does not include \
             Enable Futures and Enable European Options; create a new read-only key with Enable Futures and Enable \
             European Options off"
        );
    }

    #[test]
    fn refusals_of_one_kind_share_a_sentence() {
        let v =
            with(with(read_only_binance(), "enableFutures", json!(true)), "enableSpotAndMarginTrading", json!(true));
        let v = with(v, "enableWithdrawals", json!(true));
        let err = check_binance_restrictions(&v, &ConnectPolicy::default()).unwrap_err().to_string();
        assert_eq!(
            err,
            "binance key refused: this key can trade: turn off Enable Futures and Enable Spot & Margin Trading; \
             this key can withdraw: turn off Enable Withdrawals (meetcrypt never accepts such a key)"
        );
    }

    #[test]
    fn binance_policy_can_accept_trading_but_never_withdrawal() {
        let p = ConnectPolicy { allow_trade: true, allow_transfer: true, allow_borrow: true, ..Default::default() };
        let trading = with(read_only_binance(), "enableSpotAndMarginTrading", json!(true));
        let (_, warnings) = check_binance_restrictions(&trading, &p).unwrap();
        assert_eq!(warnings, ["accepted although this key can trade: turn off Enable Spot & Margin Trading"]);
        assert!(check_binance_restrictions(&with(read_only_binance(), "enableWithdrawals", json!(true)), &p).is_err());
        assert!(check_binance_restrictions(&with(read_only_binance(), "enableNew", json!(true)), &p).is_err());
    }

    #[test]
    fn unrestricted_keys_are_warned_with_the_relay_ips() {
        let p = ConnectPolicy { relay_ips: vec!["203.0.113.7".into(), "203.0.113.8".into()], ..Default::default() };
        let (restricted, warnings) =
            check_binance_restrictions(&with(read_only_binance(), "ipRestrict", json!(false)), &p).unwrap();
        assert!(!restricted);
        assert!(warnings[0].contains("not IP-restricted") && warnings[0].contains("203.0.113.7, 203.0.113.8"));
        let (restricted, warnings) =
            check_bitget_classic(&json!({"authorities": ["stor", "coor"], "ips": ""}), &p).unwrap();
        assert!(!restricted && warnings[0].contains("203.0.113.8"), "{warnings:?}");
    }

    #[test]
    fn bitget_classic_profiles() {
        let p = ConnectPolicy::default();
        let ok = json!({"authorities": ["stor", "coor", "cpor", "wtor", "taxr"], "ips": "127.0.0.2"});
        assert_eq!(check_bitget_classic(&ok, &p).unwrap(), (true, vec![]));
        let cases = [
            ("stow", "this key can trade: turn off Spot › Trade: Read/Write"),
            ("coow", "this key can trade: turn off Futures › Orders: Read/Write"),
            ("wtow", "this key can transfer funds: turn off Wallet › Transfer: Read/Write"),
            ("wwow", "this key can withdraw: turn off Wallet › Withdraw"),
            ("trade", "this key can trade"),
            ("zzzw", "does not know (zzzw)"),
        ];
        for (code, message) in cases {
            let v = json!({"authorities": ["stor", code], "ips": "127.0.0.2"});
            let err = check_bitget_classic(&v, &p).unwrap_err();
            assert!(err.to_string().contains(message), "{code}: {err}");
        }
    }

    #[test]
    fn bitget_unified_profiles() {
        let p = ConnectPolicy::default();
        let ro = json!({"permType": "read-only", "permissions": ["uta_mgt", "uta_trade"], "ips": "127.0.0.2"});
        assert!(check_bitget_unified(&ro, &p).is_ok());
        let rw = json!({"permType": "read-and-write", "permissions": ["uta_mgt", "uta_trade"], "ips": "1.2.3.4"});
        let err = check_bitget_unified(&rw, &p).unwrap_err().to_string();
        assert!(
            err.contains("can trade: turn off UTA trade: Read/Write") && err.contains("can transfer funds"),
            "{err}"
        );
        let wd = json!({"permType": "read-only", "permissions": ["withdraw"], "ips": "1.2.3.4"});
        assert!(check_bitget_unified(&wd, &p).unwrap_err().to_string().contains("can withdraw: turn off Withdraw"));
    }

    /// A copy-trading account's key that can change copy settings is refused even where trading is accepted
    /// (docs/venues.md §1.17, §2.11): Bitget's `ttow` and unified copy scopes, Binance's Enable Futures; the same keys
    /// of a regular account are accepted with a warning under that policy.
    #[test]
    fn copy_setting_permissions_are_refused_for_a_copy_trading_account() {
        let regular = ConnectPolicy { allow_trade: true, ..Default::default() };
        let copy = ConnectPolicy { copy_trading: true, ..regular.clone() };
        let classic = json!({"authorities": ["ttor", "ttow", "coor"], "ips": "1.2.3.4"});
        assert!(check_bitget_classic(&classic, &regular).unwrap().1.iter().any(|w| w.contains("Copy trading")));
        let err = check_bitget_classic(&classic, &copy).unwrap_err().to_string();
        assert!(err.contains("turn off Copy trading: Read/Write"), "{err}");
        let unified = json!({"permType": "read-and-write", "permissions": ["copy_futures_order"], "ips": "1.2.3.4"});
        assert!(check_bitget_unified(&unified, &regular).is_ok());
        let err = check_bitget_unified(&unified, &copy).unwrap_err().to_string();
        assert!(err.contains("Futures copy trading order"), "{err}");
        let read_only = json!({"permType": "read-only", "permissions": ["copy_futures_order"], "ips": "1.2.3.4"});
        assert!(check_bitget_unified(&read_only, &copy).is_ok(), "a read-only key's copy scope is a read");
        let binance = json!({"ipRestrict": true, "enableReading": true, "enableFutures": true,
            "enableSpotAndMarginTrading": false, "enableVanillaOptions": false, "enablePortfolioMarginTrading": false,
            "enableFixApiTrade": false, "enableMargin": false, "enableInternalTransfer": false,
            "permitsUniversalTransfer": false, "enableWithdrawals": false});
        assert!(check_binance_restrictions(&binance, &regular).is_ok());
        let err = check_binance_restrictions(&binance, &copy).unwrap_err().to_string();
        assert!(err.contains("Enable Futures"), "{err}");
        let mut reading = binance.clone();
        reading["enableFutures"] = json!(false);
        assert!(check_binance_restrictions(&reading, &copy).is_ok(), "a read-only lead key is accepted");
    }
}
