//! The breach log: every write request that reaches a simulated venue. Meetcrypt is read-only; any entry here
//! means something (the relay, the app) let a write through.

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// One write request that reached a venue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breach {
    /// Server time, ms.
    pub time: i64,
    /// `binance` or `bitget`.
    pub venue: String,
    /// HTTP method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Raw query string.
    pub query: String,
    /// The API key that was sent (the public part), empty if none.
    pub api_key: String,
    /// Peer IP.
    pub peer: IpAddr,
    /// How the venue answered: HTTP status and venue code.
    pub answer: String,
}

/// The log: in memory, and appended to a JSON Lines file when one is set.
#[derive(Debug, Default)]
pub struct BreachLog {
    entries: Mutex<Vec<Breach>>,
    file: Option<PathBuf>,
}

impl BreachLog {
    /// A log that also appends to `file`.
    pub fn with_file(file: Option<PathBuf>) -> Self {
        BreachLog { entries: Mutex::new(Vec::new()), file }
    }
    /// Records one breach.
    pub fn record(&self, b: Breach) {
        if let Some(path) = &self.file
            && let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path)
        {
            let _ = writeln!(f, "{}", serde_json::to_string(&b).unwrap_or_default());
        }
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).push(b);
    }
    /// Everything recorded so far.
    pub fn entries(&self) -> Vec<Breach> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
