//! The app's data at rest, each a sealed vault record holding JSON: settings, account metadata, each account's
//! ledger cache and sync state, and the audit log. Nothing here is ever stored unsealed.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use catalogue::Venue;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use vault::{AccountKind, RecordId, RecordKind};

use crate::relay::AuditEntry;
use crate::session::{self, SessionError};

/// User settings (they reveal nothing by themselves, but sealed all the same).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppSettings {
    /// Profit currency: USD (stablecoins count as USD) or one of `venues::market::FIAT` (EUR, GBP, ...).
    pub currency: Setting<Currency>,
    /// Whether USDT, USDC, FDUSD and BUSD count as USD at 1.
    pub stablecoins_as_usd: bool,
    /// fifo, lifo, hifo, acb or uk.
    pub method: Setting<pnl::Method>,
    /// Fees in cost basis.
    pub fees_in_cost_basis: bool,
    /// universal or per-account.
    pub pools: Setting<pnl::Pools>,
    /// Minutes between automatic syncs while the app is open (0: off).
    pub sync_interval_min: u32,
    /// Days of history the sync reads for the streams the venues serve by time window (deposits, withdrawals,
    /// transfers, converts, income); 0: everything since July 2017. Trades are read in full regardless.
    pub history_days: u32,
    /// Minutes of inactivity before the vault locks.
    pub auto_lock_min: u32,
    /// Relay base URLs in order of preference; empty: the relay serving this page.
    pub relays: Vec<String>,
    /// Transfers matched by hand: (withdrawal id, deposit id).
    pub manual_matches: Vec<(String, String)>,
    /// Deposits from outside open a lot at their market value (off: no lot, as rotki does).
    pub deposits_at_market: bool,
    /// Unmatched legs the user marked as income (deposits) or expense (withdrawals), by event id.
    pub leg_marks: BTreeMap<String, pnl::LegMark>,
    /// The cost basis entered for deposits from outside, by event id, in the profit currency (docs/accounting.md §8,
    /// "Manual cost basis").
    pub deposit_costs: BTreeMap<String, ledger::Decimal>,
    /// The colour scheme: `system` (follow the system's setting), `light` or `dark`.
    pub theme: Setting<Theme>,
    /// The dashboard's period (`pnl::Period`: `all`, `year:2025`, `uk-tax:2025`, `range:FROM:TO`).
    pub period: Setting<pnl::Period>,
    /// How the Gains report names the two holding periods (`one-year` or `tax-free-after-one-year`).
    pub holding_preset: Setting<formats::gains::HoldingPreset>,
}

impl AppSettings {
    /// The stored settings this version does not know, each in words for the user: the default stands in for
    /// them (shown on the Settings screen and logged when the report is computed) until another is chosen.
    pub fn unknown(&self) -> Vec<String> {
        let default = AppSettings::default();
        [
            ("profit currency", self.currency.unknown(), default.currency.to_string()),
            ("cost-basis method", self.method.unknown(), default.method.to_string()),
            ("cost-basis pools", self.pools.unknown(), default.pools.to_string()),
            ("colour scheme", self.theme.unknown(), default.theme.to_string()),
            ("dashboard period", self.period.unknown(), default.period.to_string()),
            ("holding periods", self.holding_preset.unknown(), default.holding_preset.to_string()),
        ]
        .into_iter()
        .filter_map(|(what, value, default)| {
            value.map(|v| {
                format!(
                    "The stored {what} `{v}` is not one this version knows: {default} is used until you choose one."
                )
            })
        })
        .collect()
    }

    /// The history the sync reads, in days back from `now_ms`.
    pub fn history_days_at(&self, now_ms: i64) -> i64 {
        // 2017-07-01T00:00:00Z: before the venues' first records
        const SINCE_2017_07: i64 = 1_498_867_200_000;
        match self.history_days {
            0 => (now_ms - SINCE_2017_07) / 86_400_000 + 1,
            d => i64::from(d),
        }
    }
}

impl Default for AppSettings {
    fn default() -> Self {
        AppSettings {
            currency: Setting::Known(Currency::default()),
            stablecoins_as_usd: true,
            method: Setting::Known(pnl::Method::Fifo),
            fees_in_cost_basis: true,
            pools: Setting::Known(pnl::Pools::Universal),
            sync_interval_min: 5,
            history_days: 365,
            auto_lock_min: 15,
            relays: Vec::new(),
            manual_matches: Vec::new(),
            deposits_at_market: false,
            leg_marks: BTreeMap::new(),
            deposit_costs: BTreeMap::new(),
            theme: Setting::Known(Theme::System),
            period: Setting::Known(pnl::Period::All),
            holding_preset: Setting::Known(formats::gains::HoldingPreset::default()),
        }
    }
}

/// A stored setting: a value this version knows, or one it does not (written by a later version, or damaged),
/// kept as stored so that saving the other settings loses nothing; [`Setting::get`] reads the latter as the
/// default, and [`AppSettings::unknown`] says so. Stored as the plain string it was before it was typed (`"fifo"`,
/// `"year:2025"`): written with the value's `Display`, read with its `FromStr`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting<T> {
    /// A value this version knows.
    Known(T),
    /// A value it does not, as stored.
    Unknown(String),
}

impl<T: Clone + Default> Setting<T> {
    /// The value, or the default in place of an unknown one.
    pub fn get(&self) -> T {
        match self {
            Setting::Known(t) => t.clone(),
            Setting::Unknown(_) => T::default(),
        }
    }
}

impl<T> Setting<T> {
    /// The stored value this version does not know, if it is one.
    pub fn unknown(&self) -> Option<&str> {
        match self {
            Setting::Known(_) => None,
            Setting::Unknown(v) => Some(v),
        }
    }
}

impl<T: FromStr> Setting<T> {
    /// A value as a form gives it (the value of a `<select>`'s option).
    pub fn parse(s: &str) -> Setting<T> {
        s.parse().map_or_else(|_| Setting::Unknown(s.to_string()), Setting::Known)
    }
}

impl<T: fmt::Display> Serialize for Setting<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de, T: FromStr> Deserialize<'de> for Setting<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Setting::parse(&String::deserialize(d)?))
    }
}

impl<T: fmt::Display> fmt::Display for Setting<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Setting::Known(t) => t.fmt(f),
            Setting::Unknown(v) => f.write_str(v),
        }
    }
}

/// The colour scheme the user chose (`ui/theme.rs`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Theme {
    /// Follow the system's setting (`prefers-color-scheme`).
    #[default]
    System,
    /// Light, whatever the system's setting.
    Light,
    /// Dark, whatever the system's setting.
    Dark,
}

impl Theme {
    /// As stored: `system`, `light`, `dark`.
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}

impl FromStr for Theme {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "system" => Ok(Theme::System),
            "light" => Ok(Theme::Light),
            "dark" => Ok(Theme::Dark),
            _ => Err(format!("unknown colour scheme `{s}`: expected system, light or dark")),
        }
    }
}

impl fmt::Display for Theme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reporting currency: USD, or one whose rate the venues quote (`venues::market::FIAT`, docs/accounting.md §10).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Currency(String);

impl Currency {
    /// Its code: `USD`, `EUR`, ...
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Currency {
    fn default() -> Self {
        Currency("USD".into())
    }
}

impl FromStr for Currency {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "USD" || venues::market::FIAT.iter().any(|(c, _)| *c == s) {
            Ok(Currency(s.to_string()))
        } else {
            Err(format!("`{s}` is not a reporting currency: USD or one of the venues' fiat currencies"))
        }
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An account kind as stored and shown: `regular` or `copy-trading`.
pub fn kind_name(kind: AccountKind) -> &'static str {
    match kind {
        AccountKind::Regular => "regular",
        AccountKind::CopyTrading => "copy-trading",
    }
}

/// What the sync reads of an account, as its row says it: its mode's wallets, or for a copy-trading account what it
/// is (docs/venues.md §1.17, §2.11): a Binance lead portfolio (its USDⓈ-M futures wallet only), a Bitget follower's
/// or trader's copy account (a classic account with its tracking orders and profit shares).
pub fn what_is_read(mode: venues::AccountMode, kind: AccountKind) -> &'static str {
    use venues::AccountMode::{Binance, BitgetClassic, BitgetUnified};
    match (mode, kind) {
        (Binance, AccountKind::Regular) => "spot, wallet, USDS-M futures, Simple Earn",
        (BitgetClassic, AccountKind::Regular) => {
            "classic: spot, USDT-M futures, Earn savings, shark fin and crypto loans, cross and isolated margin"
        }
        (BitgetUnified, AccountKind::Regular) => "unified account",
        (Binance, AccountKind::CopyTrading) => "lead portfolio: its USDS-M futures wallet",
        (BitgetClassic, AccountKind::CopyTrading) => {
            "follower or trader: spot, USDT-M futures, copied and lead orders, profit shares"
        }
        (BitgetUnified, AccountKind::CopyTrading) => "unified account (copy trading is read on classic accounts only)",
    }
}

/// The stored forms of an account's venue (`binance`) and kind (`copy-trading`): an unknown one makes the account
/// list fail to decode with an error that names it, never a guess (an account of an unknown venue cannot be read).
mod stored {
    use catalogue::Venue;
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serializer};
    use vault::AccountKind;

    pub mod venue {
        use super::*;
        pub fn serialize<S: Serializer>(v: &Venue, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(v.as_str())
        }
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Venue, D::Error> {
            let s = String::deserialize(d)?;
            Venue::parse(&s).ok_or_else(|| D::Error::custom(format!("unknown venue `{s}`: expected binance or bitget")))
        }
    }

    pub mod kind {
        use super::*;
        pub fn serialize<S: Serializer>(k: &AccountKind, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(crate::records::kind_name(*k))
        }
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<AccountKind, D::Error> {
            let s = String::deserialize(d)?;
            match s.as_str() {
                "regular" => Ok(AccountKind::Regular),
                "copy-trading" => Ok(AccountKind::CopyTrading),
                _ => Err(D::Error::custom(format!("unknown account kind `{s}`: expected regular or copy-trading"))),
            }
        }
    }
}

/// What the app knows about a connected account besides its credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountMeta {
    /// The vault's credential id.
    pub credential: String,
    /// `binance` or `bitget`.
    #[serde(with = "stored::venue")]
    pub venue: Venue,
    /// The user's label.
    pub label: String,
    /// regular or copy-trading.
    #[serde(with = "stored::kind")]
    pub account_kind: AccountKind,
    /// binance, bitget_classic or bitget_unified.
    pub mode: venues::AccountMode,
    /// Whether the key is IP-restricted.
    pub ip_restricted: bool,
    /// Warnings from connect.
    pub warnings: Vec<String>,
    /// When it was connected (ms).
    pub added_ms: i64,
    /// Last sync: time (ms) and outcome.
    #[serde(default)]
    pub last_sync: Option<SyncOutcome>,
}

/// How the last sync of an account ended.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SyncOutcome {
    /// When it ended (ms).
    pub at_ms: i64,
    /// None on success, else what went wrong and what to do.
    pub error: Option<String>,
    /// Events in the account's ledger after it.
    pub events: usize,
    /// Events it added to the account's ledger (`None`: an outcome stored before this was counted).
    #[serde(default)]
    pub added: Option<usize>,
}

impl SyncOutcome {
    /// The outcome of a sync that ended at `at_ms` with `events` in the account's ledger, after `previous`: the
    /// events it added are those beyond the count the previous sync left (all of them at the first sync).
    pub fn after(previous: Option<&SyncOutcome>, at_ms: i64, error: Option<String>, events: usize) -> SyncOutcome {
        let added = events.saturating_sub(previous.map_or(0, |p| p.events));
        SyncOutcome { at_ms, error, events, added: Some(added) }
    }
}

/// The record ids used by the app.
pub mod ids {
    /// Settings record with [`super::AppSettings`].
    pub const SETTINGS: &str = "app";
    /// Settings record with the account list.
    pub const ACCOUNTS: &str = "accounts";
    /// Audit log record.
    pub const AUDIT: &str = "audit";
}

fn rid(id: &str) -> Result<RecordId, SessionError> {
    RecordId::new(id).map_err(SessionError::from)
}

/// Reads a sealed JSON record, `None` when absent. A record that does not decode is an error, never a default.
pub fn read<T: DeserializeOwned>(kind: RecordKind, id: &str) -> Result<Option<T>, SessionError> {
    let id = rid(id)?;
    session::with(|s| -> Result<Option<T>, SessionError> {
        let Some(bytes) = s.vault()?.open_record(kind, &id)? else { return Ok(None) };
        serde_json::from_slice(bytes.expose()).map(Some).map_err(|e| SessionError::Undecodable {
            kind,
            id: id.as_str().into(),
            reason: e.to_string(),
        })
    })?
}

/// The plaintext of a sealed record, if there is one.
pub fn read_plain(kind: RecordKind, id: &str) -> Result<Option<Vec<u8>>, SessionError> {
    let id = rid(id)?;
    session::with(|s| -> Result<Option<Vec<u8>>, SessionError> {
        Ok(s.vault()?.open_record(kind, &id)?.map(|b| b.expose().to_vec()))
    })?
}

/// Which sealing of a record is stored ([`vault::Vault::record_stamp`]); `None` when absent.
pub fn stamp(kind: RecordKind, id: &str) -> Result<Option<[u8; 12]>, SessionError> {
    let id = rid(id)?;
    session::with(|s| -> Result<Option<[u8; 12]>, SessionError> { Ok(s.vault()?.record_stamp(kind, &id)?) })?
}

/// Seals a JSON record (persist with [`session::persist`] afterwards).
pub fn write<T: Serialize>(kind: RecordKind, id: &str, value: &T) -> Result<(), SessionError> {
    let id = rid(id)?;
    let bytes = serde_json::to_vec(value).map_err(|e| SessionError::Unencodable { kind, reason: e.to_string() })?;
    session::with(|s| -> Result<(), SessionError> { Ok(s.vault()?.seal_record(kind, &id, &bytes)?) })?
}

/// Seals bytes as they are (a ledger chunk, `crate::worker::encode_chunk`); persist with [`session::persist`]
/// afterwards.
pub fn write_plain(kind: RecordKind, id: &str, bytes: &[u8]) -> Result<(), SessionError> {
    let id = rid(id)?;
    session::with(|s| -> Result<(), SessionError> { Ok(s.vault()?.seal_record(kind, &id, bytes)?) })?
}

/// Settings, defaults when none stored yet.
pub fn settings() -> Result<AppSettings, SessionError> {
    Ok(read(RecordKind::Settings, ids::SETTINGS)?.unwrap_or_default())
}

/// The connected accounts by credential id.
pub fn accounts() -> Result<BTreeMap<String, AccountMeta>, SessionError> {
    Ok(read(RecordKind::Settings, ids::ACCOUNTS)?.unwrap_or_default())
}

/// A venue as people write it: `Binance`, `Bitget`.
pub fn venue_name(venue: &str) -> String {
    match catalogue::Venue::parse(venue) {
        Some(catalogue::Venue::Binance) => "Binance".into(),
        Some(catalogue::Venue::Bitget) => "Bitget".into(),
        None => venue.to_string(),
    }
}

/// A wallet of an account (the last part of a ledger account id) in words, as its venue names it: `spot`,
/// `USDS-M futures`, `COIN-M futures`, Binance's `Simple Earn`, Bitget's `Earn`. Binance's own name, USDⓈ-M, is
/// written as its plain-ASCII alternative: the circled S is missing from common fonts.
pub fn wallet_name<'a>(venue: &str, wallet: &'a str) -> &'a str {
    match (venue, wallet) {
        (_, "usdm") => "USDS-M futures",
        (_, "futures") => "USDT-M futures",
        ("binance", "earn") => "Simple Earn",
        (_, "earn") => "Earn",
        (_, "margin") => "cross margin",
        ("bitget", "sharkfin") => "Shark Fin",
        ("bitget", "loan") => "crypto loans",
        (_, "coinm") => "COIN-M futures",
        (_, "usdcm") => "USDC-M futures",
        (_, w) => w,
    }
}

/// What each account is called on every screen (the account list, the sync's progress, the dashboard, the
/// ledger): the name the user gave it or, when they left it empty, its venue and type: `Binance`, `Binance
/// copy-trading`, and `Binance 2` for a second unnamed one. A wallet of an account is `Binance spot` when the
/// account is unnamed, `Main · spot` when it is named.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountNames(BTreeMap<String, (String, bool)>);

impl AccountNames {
    /// The names of these accounts (by credential id).
    pub fn of(accounts: &BTreeMap<String, AccountMeta>) -> AccountNames {
        let mut names = BTreeMap::new();
        let mut unnamed: Vec<&AccountMeta> = Vec::new();
        for (cred, meta) in accounts {
            match meta.label.trim() {
                "" => unnamed.push(meta),
                label => {
                    names.insert(cred.clone(), (label.to_string(), true));
                }
            }
        }
        // the first unnamed account of a kind keeps the plain name; later ones are numbered in the order added
        unnamed.sort_by_key(|m| (m.added_ms, m.credential.clone()));
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for meta in unnamed {
            let mut base = venue_name(meta.venue.as_str());
            if meta.account_kind == AccountKind::CopyTrading {
                base.push_str(" copy-trading");
            }
            let n = seen.entry(base.clone()).or_default();
            *n += 1;
            let name = if *n == 1 { base } else { format!("{base} {n}") };
            names.insert(meta.credential.clone(), (name, false));
        }
        AccountNames(names)
    }

    /// The names of the stored accounts.
    pub fn stored() -> AccountNames {
        AccountNames::of(&accounts().unwrap_or_default())
    }

    /// An account's name, by credential id.
    pub fn account(&self, credential: &str) -> Option<&str> {
        self.0.get(credential).map(|(name, _)| name.as_str())
    }

    /// A ledger account id (`venue/credential/wallet`) as the user knows it: `Binance spot`, `Main · spot`; an
    /// account no longer connected by its venue and wallet; imported transactions' `Kraken (imported)`.
    pub fn wallet(&self, id: &str) -> String {
        let mut parts = id.splitn(3, '/');
        let (venue, cred, wallet) = (parts.next().unwrap_or(id), parts.next(), parts.next());
        // transactions imported or entered by hand: the account name the user gave them
        if let (crate::imports::VENUE, Some(name)) = (venue, cred) {
            return format!("{name} (imported)");
        }
        let wallet = wallet.map(|w| wallet_name(venue, w));
        match (cred.and_then(|c| self.0.get(c)), wallet) {
            (Some((name, true)), Some(w)) => format!("{name} · {w}"),
            (Some((name, false)), Some(w)) => format!("{name} {w}"),
            (Some((name, _)), None) => name.clone(),
            (None, Some(w)) => format!("{} {w}", venue_name(venue)),
            (None, None) => id.to_string(),
        }
    }
}

/// Removes what no account references: a sealed credential, and an account's ledger chunks (`ledger-{id}-{n}`)
/// and snapshot (`snapshot-{id}`). Run under the vault's lock ([`session::transact`]): at unlock and before a
/// backup, which then never carries an orphan. Returns how many records went.
pub fn sweep_orphans() -> Result<usize, SessionError> {
    let accounts = accounts()?;
    session::with(|s| -> Result<usize, SessionError> {
        let v = s.vault()?;
        let mut removed = 0;
        for id in v.record_ids(RecordKind::Credential)? {
            if !accounts.contains_key(id.as_str()) {
                v.remove_credential(&vault::CredentialId::parse(id.as_str())?)?;
                removed += 1;
            }
        }
        for id in v.record_ids(RecordKind::LedgerCache)? {
            let owner = match id.as_str().strip_prefix("snapshot-") {
                Some(cred) => Some(cred),
                None => id.as_str().strip_prefix("ledger-").and_then(|rest| rest.rsplit_once('-')).map(|(c, _)| c),
            };
            if owner.is_some_and(|cred| !accounts.contains_key(cred)) {
                v.remove_record(RecordKind::LedgerCache, &id)?;
                removed += 1;
            }
        }
        Ok(removed)
    })?
}

/// Replaces the account list.
pub fn set_accounts(accounts: &BTreeMap<String, AccountMeta>) -> Result<(), SessionError> {
    write(RecordKind::Settings, ids::ACCOUNTS, accounts)
}

/// Appends entries to the audit log (sealed chunks, kept for a year or the newest 100,000: `crate::audit`).
pub fn append_audit(entries: Vec<AuditEntry>) -> Result<(), SessionError> {
    crate::audit::append(entries)
}

/// The audit log, oldest first.
pub fn audit() -> Result<Vec<AuditEntry>, SessionError> {
    crate::audit::all()
}
