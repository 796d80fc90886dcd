//! Account operations, for the accounts screen (`ui/accounts.rs`) and the key generator (`ui/keygen.rs`): connect
//! a key (checked through the relay before it is stored: docs/venues.md §1.5 and §2.4, "Key permission check"), remove and rename an
//! account. Each change of the vault runs whole under the vault's lock (`session::transact`), so the credential and
//! the account list that references it land together.

use catalogue::Venue;
use vault::{AccountKind, Credential, CredentialId, Secret};

use crate::records::{self, AccountMeta};
use crate::relay::RelayTransport;
use crate::session::{self, SessionError};

/// Checks a key through the relay and, if accepted, stores it in the vault. Returns the account's metadata. The
/// API secret and the Bitget passphrase arrive as `Secret`s (read from the form straight into them) and stay so.
pub async fn connect_account(
    venue: Venue,
    label: String,
    account_kind: AccountKind,
    api_key: String,
    api_secret: Secret,
    passphrase: Option<Secret>,
    replace: Option<String>,
) -> Result<AccountMeta, SessionError> {
    let settings = records::settings()?;
    // the name shown (empty: called after its venue, see records::AccountNames); a new key for an account keeps
    // its name unless another is given
    let label = label.trim().to_string();
    let shown_label = match (&replace, label.is_empty()) {
        (Some(existing), true) => records::accounts()?.get(existing).map(|m| m.label.clone()).unwrap_or_default(),
        _ => label.clone(),
    };
    // the vault names every credential: an unnamed one by its venue
    let label = if shown_label.is_empty() { records::venue_name(venue.as_str()) } else { shown_label.clone() };
    let transport = RelayTransport::new(settings.relays.clone());
    transport.name_account(Secret::new(api_key.trim()), format!("connect:{label}"));
    let creds = venues::Credentials::new(venue, &label, api_key.trim(), api_secret.clone(), passphrase.clone());
    let client = venues::Client::new(creds);
    // the IPs a warning names are the operator's signed ones only (none if they do not verify)
    let signed = crate::relay_ips::verified_ips().await.map(|v| v.ips).unwrap_or_default();
    // a copy-trading account's key that can change copy settings is refused (docs/venues.md §1.17, §2.11)
    let copy_trading = account_kind == AccountKind::CopyTrading;
    let policy = venues::ConnectPolicy { relay_ips: signed, copy_trading, ..Default::default() };
    let result = venues::connect(&transport, &client, &policy).await;
    let audit = transport.take_audit();
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            let _ = session::transact(|| records::append_audit(audit)).await;
            return Err(e.into());
        }
    };
    let credential =
        Credential { venue, label, account_kind, api_key: Secret::new(api_key.trim()), api_secret, passphrase };
    // the credential and the account that references it land together, on the latest stored account list
    session::transact(|| -> Result<AccountMeta, SessionError> {
        let id = session::with(|s| -> Result<CredentialId, SessionError> {
            let v = s.vault()?;
            match &replace {
                Some(existing) => {
                    let id = CredentialId::parse(existing)?;
                    v.replace_credential(&id, &credential)?;
                    Ok(id)
                }
                None => Ok(v.add_credential(&credential)?),
            }
        })??;
        let credential_id = id.record_id().as_str().to_string();
        let _ = records::append_audit(crate::audit::attribute(audit, &credential_id));
        let mut accounts = records::accounts()?;
        let meta = AccountMeta {
            credential: credential_id.clone(),
            venue,
            label: shown_label,
            account_kind,
            mode: report.mode,
            ip_restricted: report.ip_restricted,
            warnings: report.warnings,
            added_ms: js_sys::Date::now() as i64,
            last_sync: accounts.get(&credential_id).and_then(|m| m.last_sync.clone()),
        };
        accounts.insert(credential_id, meta.clone());
        records::set_accounts(&accounts)?;
        Ok(meta)
    })
    .await
}

/// Removes an account: its credential, metadata and ledger cache.
pub async fn remove_account(credential: &str) -> Result<(), SessionError> {
    session::transact(|| -> Result<(), SessionError> {
        session::with(|s| -> Result<(), SessionError> {
            let v = s.vault()?;
            let id = CredentialId::parse(credential)?;
            // removed in another tab already: the rest goes all the same
            match v.remove_credential(&id) {
                Ok(()) | Err(vault::VaultError::NotFound { .. }) => Ok(()),
                Err(e) => Err(e.into()),
            }
        })??;
        crate::sync::forget_account(credential)?;
        let mut accounts = records::accounts()?;
        accounts.remove(credential);
        records::set_accounts(&accounts)
    })
    .await
}

/// Renames an account (label only; its ledger keeps its ids).
pub async fn rename_account(credential: &str, label: &str) -> Result<(), SessionError> {
    session::transact(|| -> Result<(), SessionError> {
        let mut accounts = records::accounts()?;
        let meta = accounts.get_mut(credential).ok_or(SessionError::NoSuchAccount)?;
        meta.label = label.trim().to_string();
        records::set_accounts(&accounts)
    })
    .await
}
