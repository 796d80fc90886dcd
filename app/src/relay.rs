//! The browser's transport to the venues: fetch through the relay (`{relay}/v1/{venue}{path}?{query}`), with
//! failover between the configured relays, and an audit entry (time, venue, endpoint, status: never a key, a
//! signature or a query value) for every request sent.

use std::cell::RefCell;
use std::rc::Rc;

use serde::{Deserialize, Serialize};
use venues::{Request, Response, Transport, TransportError};

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When it was sent, ms since the epoch.
    pub time_ms: i64,
    /// `binance` or `bitget`.
    pub venue: String,
    /// `GET /api/v3/myTrades`.
    pub endpoint: String,
    /// HTTP status, or 0 when no answer came.
    pub status: u16,
    /// Which relay answered.
    pub relay: String,
    /// The account whose key signed it (its credential id; `connect:{name}` for a key being connected; empty for
    /// a read without a key).
    #[serde(default)]
    pub account: String,
    /// How it ended (`None` in entries stored before this was recorded: see `audit::outcome_of`).
    #[serde(default)]
    pub outcome: Option<crate::audit::Outcome>,
    /// What went wrong: the venue's or relay's code and message (never a key, a signature or a query value).
    #[serde(default)]
    pub error: Option<String>,
}

/// Fetch through one of several relays, first that answers.
#[derive(Clone)]
pub struct RelayTransport {
    relays: Rc<Vec<String>>,
    audit: Rc<RefCell<Vec<AuditEntry>>>,
    /// API key -> the account its requests are recorded under.
    accounts: Rc<RefCell<Vec<(venues::Secret, String)>>>,
}

impl RelayTransport {
    /// Relays in order of preference (base URLs; empty string = the relay serving this page).
    pub fn new(relays: Vec<String>) -> Self {
        let relays = if relays.is_empty() { vec![String::new()] } else { relays };
        RelayTransport { relays: Rc::new(relays), audit: Rc::default(), accounts: Rc::default() }
    }

    /// Records the requests signed with `api_key` under `account` in the audit log.
    pub fn name_account(&self, api_key: venues::Secret, account: String) {
        self.accounts.borrow_mut().push((api_key, account));
    }

    /// Takes the audit entries recorded since the last call.
    pub fn take_audit(&self) -> Vec<AuditEntry> {
        std::mem::take(&mut self.audit.borrow_mut())
    }

    async fn send_to(&self, base: &str, request: &Request) -> Result<Response, TransportError> {
        let url = request.relay_url(base);
        let method = request.endpoint.method.as_str();
        let mut builder = gloo_net::http::RequestBuilder::new(&url).method(match method {
            "POST" => gloo_net::http::Method::POST,
            _ => gloo_net::http::Method::GET,
        });
        for (name, value) in &request.headers {
            builder = builder.header(name, value.expose());
        }
        // The error text of fetch never includes the URL's query (it is not in gloo-net's messages).
        let response = builder.send().await.map_err(|e| TransportError(format!("relay unreachable: {e}")))?;
        let status = response.status();
        let headers = response.headers().entries().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect();
        let body = response.binary().await.map_err(|e| TransportError(format!("response cut: {e}")))?;
        Ok(Response { status, headers, body })
    }
}

impl Transport for RelayTransport {
    async fn send(&self, request: &Request) -> Result<Response, TransportError> {
        let mut last = TransportError("no relay configured".into());
        for base in self.relays.iter() {
            let result = self.send_to(base, request).await;
            let status = result.as_ref().map(|r| r.status).unwrap_or(0);
            let (outcome, error) = crate::audit::classify(request, &result);
            let account = self
                .accounts
                .borrow()
                .iter()
                .find(|(key, _)| request.headers.iter().any(|(_, v)| v == key))
                .map(|(_, a)| a.clone())
                .unwrap_or_default();
            self.audit.borrow_mut().push(AuditEntry {
                time_ms: js_sys::Date::now() as i64,
                venue: request.endpoint.venue.as_str().to_string(),
                endpoint: format!("{} {}", request.endpoint.method.as_str(), request.endpoint.path),
                status,
                relay: if base.is_empty() { "this site".into() } else { base.clone() },
                account,
                outcome: Some(outcome),
                error,
            });
            match result {
                // A relay that cannot reach the venue: try the next relay.
                Ok(r) if matches!(r.status, 502..=504) && self.relays.len() > 1 => {
                    last = TransportError(format!("relay {base} answered {}", r.status));
                }
                Ok(r) => return Ok(r),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    fn now_ms(&self) -> i64 {
        js_sys::Date::now() as i64
    }

    async fn sleep(&self, ms: u64) {
        crate::sleep_ms(ms).await;
    }
}
