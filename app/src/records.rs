//! The app's data at rest, each a sealed vault record holding JSON: settings, account metadata, each account's
//! ledger cache and sync state, and the audit log. Nothing here is ever stored unsealed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use vault::{RecordId, RecordKind};

use crate::relay::AuditEntry;
use crate::session::{self, SessionError};

/// User settings (they reveal nothing by themselves, but sealed all the same).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppSettings {
    /// Profit currency: USD (stablecoins count as USD) or one of `venues::market::FIAT` (EUR, GBP, ...).
    pub currency: String,
    /// Whether USDT, USDC, FDUSD and BUSD count as USD at 1.
    pub stablecoins_as_usd: bool,
    /// fifo, lifo, hifo, acb or uk.
    pub method: String,
    /// Fees in cost basis.
    pub fees_in_cost_basis: bool,
    /// universal or per-account.
    pub pools: String,
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
    /// The colour scheme: `system` (follow the system's setting), `light` or `dark`.
    pub theme: String,
    /// The dashboard's period (`pnl::Period`: `all`, `year:2025`, `uk-tax:2025`, `range:FROM:TO`).
    pub period: String,
}

impl AppSettings {
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
            currency: "USD".into(),
            stablecoins_as_usd: true,
            method: "fifo".into(),
            fees_in_cost_basis: true,
            pools: "universal".into(),
            sync_interval_min: 5,
            history_days: 365,
            auto_lock_min: 15,
            relays: Vec::new(),
            manual_matches: Vec::new(),
            deposits_at_market: false,
            leg_marks: BTreeMap::new(),
            theme: "system".into(),
            period: "all".into(),
        }
    }
}

/// What the app knows about a connected account besides its credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountMeta {
    /// The vault's credential id.
    pub credential: String,
    /// `binance` or `bitget`.
    pub venue: String,
    /// The user's label.
    pub label: String,
    /// regular or copy-trading.
    pub account_kind: String,
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
        serde_json::from_slice(bytes.expose())
            .map(Some)
            .map_err(|e| SessionError(format!("stored {kind} `{}` does not decode: {e}", id.as_str())))
    })?
}

/// The plaintext of a sealed record, if there is one.
pub fn read_plain(kind: RecordKind, id: &str) -> Result<Option<Vec<u8>>, SessionError> {
    let id = rid(id)?;
    session::with(|s| -> Result<Option<Vec<u8>>, SessionError> {
        Ok(s.vault()?.open_record(kind, &id)?.map(|b| b.expose().to_vec()))
    })?
}

/// Seals a JSON record (persist with [`session::persist`] afterwards).
pub fn write<T: Serialize>(kind: RecordKind, id: &str, value: &T) -> Result<(), SessionError> {
    let id = rid(id)?;
    let bytes = serde_json::to_vec(value).map_err(|e| SessionError(format!("cannot encode {kind}: {e}")))?;
    session::with(|s| -> Result<(), SessionError> { Ok(s.vault()?.seal_record(kind, &id, &bytes)?) })?
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

/// A wallet of an account (the last part of a ledger account id) in words: `spot`, `USDS-M futures`, `Simple Earn`. Binance's
/// own name, USDⓈ-M, is written as its plain-ASCII alternative: the circled S is missing from common fonts.
pub fn wallet_name(wallet: &str) -> &str {
    match wallet {
        "usdm" => "USDS-M futures",
        "futures" => "USDT-M futures",
        "earn" => "Simple Earn",
        w => w,
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
            let mut base = venue_name(&meta.venue);
            if meta.account_kind == "copy-trading" {
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
    /// account no longer connected by its venue and wallet.
    pub fn wallet(&self, id: &str) -> String {
        let mut parts = id.splitn(3, '/');
        let (venue, cred, wallet) = (parts.next().unwrap_or(id), parts.next(), parts.next());
        let wallet = wallet.map(wallet_name);
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

/// Appends entries to the audit log (kept to the last 10,000).
pub fn append_audit(entries: Vec<AuditEntry>) -> Result<(), SessionError> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut log: Vec<AuditEntry> = read(RecordKind::AuditLog, ids::AUDIT)?.unwrap_or_default();
    log.extend(entries);
    let excess = log.len().saturating_sub(10_000);
    log.drain(..excess);
    write(RecordKind::AuditLog, ids::AUDIT, &log)
}

/// The audit log, oldest first.
pub fn audit() -> Result<Vec<AuditEntry>, SessionError> {
    Ok(read(RecordKind::AuditLog, ids::AUDIT)?.unwrap_or_default())
}
