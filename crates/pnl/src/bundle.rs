//! A verifiable bundle: the ledger, prices, positions and settings a report was computed from, with the report,
//! in one JSON document (docs/ledger-format.md, "Bundle"). [`Bundle::verify`] recomputes and compares.

use ledger::{Event, PricePoint};
use serde::{Deserialize, Serialize};

use crate::report::Report;
use crate::settings::Settings;
use crate::{LimitError, RejectedEvent};

/// The bundle format tag.
pub const BUNDLE_FORMAT: &str = "meetcrypt-bundle/1";

/// Everything needed to recompute a report, and the report itself to check against: one JSON document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    /// [`BUNDLE_FORMAT`].
    pub format: String,
    /// The engine that made the report.
    pub engine_version: String,
    /// The settings used.
    pub settings: Settings,
    /// The ledger, in the open format.
    pub ledger: Vec<Event>,
    /// The prices.
    pub prices: Vec<PricePoint>,
    /// Open futures positions, if any were given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub positions: Vec<ledger::Position>,
    /// The report as computed then (JSON).
    pub report: serde_json::Value,
}

/// A bundle that does not verify.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// Not a bundle this engine reads.
    #[error("not a meetcrypt bundle (format {0:?}, expected {BUNDLE_FORMAT:?})")]
    Format(String),
    /// A ledger event in the bundle breaks the format's rules.
    #[error("ledger event {index} ({id}) in the bundle is invalid: {reason}")]
    Event {
        /// Position in the bundle's ledger.
        index: usize,
        /// Event id.
        id: String,
        /// What is wrong.
        reason: RejectedEvent,
    },
    /// A price in the bundle is out of range.
    #[error("price {index} in the bundle is invalid: {reason}")]
    Price {
        /// Position in the bundle's prices.
        index: usize,
        /// What is wrong.
        reason: LimitError,
    },
    /// The recomputed report differs from the stored one.
    #[error(
        "the recomputed report differs from the one in the bundle at {path} (bundle made by {bundle}, this is \
         {engine}); the bundle was edited or another engine version computes differently"
    )]
    Mismatch {
        /// JSON path of the first difference.
        path: String,
        /// Engine version in the bundle.
        bundle: String,
        /// This engine's version.
        engine: String,
    },
}

impl Bundle {
    /// Bundles a ledger, its prices, the settings and the report computed from them.
    pub fn new(ledger: Vec<Event>, prices: Vec<PricePoint>, settings: Settings) -> Self {
        Self::with_positions(ledger, prices, Vec::new(), settings)
    }

    /// [`Bundle::new`] with open futures positions.
    pub fn with_positions(
        ledger: Vec<Event>,
        prices: Vec<PricePoint>,
        positions: Vec<ledger::Position>,
        settings: Settings,
    ) -> Self {
        let report = crate::compute_with_positions(&ledger, &prices, &positions, &settings);
        let report = serde_json::to_value(&report).expect("a report always serializes");
        Bundle {
            format: BUNDLE_FORMAT.into(),
            engine_version: crate::ENGINE_VERSION.into(),
            settings,
            ledger,
            prices,
            positions,
            report,
        }
    }

    /// Recomputes the report and checks it equals the stored one exactly.
    pub fn verify(&self) -> Result<Report, BundleError> {
        if self.format != BUNDLE_FORMAT {
            return Err(BundleError::Format(self.format.clone()));
        }
        for (index, e) in self.ledger.iter().enumerate() {
            crate::check_event(e).map_err(|reason| BundleError::Event { index, id: e.id.clone(), reason })?;
        }
        for (index, p) in self.prices.iter().enumerate() {
            crate::check_price(p).map_err(|reason| BundleError::Price { index, reason })?;
        }
        let report = crate::compute_with_positions(&self.ledger, &self.prices, &self.positions, &self.settings);
        let value = serde_json::to_value(&report).expect("a report always serializes");
        if let Some(path) = first_difference(&self.report, &value, String::new()) {
            return Err(BundleError::Mismatch {
                path,
                bundle: self.engine_version.clone(),
                engine: crate::ENGINE_VERSION.into(),
            });
        }
        Ok(report)
    }
}

fn first_difference(a: &serde_json::Value, b: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value::{Array, Object};
    match (a, b) {
        (Object(x), Object(y)) => {
            let key = |k: &str| if k.contains('/') { format!("{path}/{k:?}") } else { format!("{path}/{k}") };
            for (k, v) in x {
                let p = key(k);
                match y.get(k) {
                    Some(w) => {
                        if let Some(d) = first_difference(v, w, p) {
                            return Some(d);
                        }
                    }
                    None => return Some(p),
                }
            }
            y.keys().find(|k| !x.contains_key(*k)).map(|k| key(k))
        }
        (Array(x), Array(y)) => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                if let Some(d) = first_difference(v, w, format!("{path}/{i}")) {
                    return Some(d);
                }
            }
            (x.len() != y.len()).then(|| format!("{path}/{}", x.len().min(y.len())))
        }
        _ => (a != b).then(|| if path.is_empty() { "/".into() } else { path }),
    }
}

#[cfg(test)]
mod tests {
    use ledger::{Decimal, EventKind};

    use super::*;

    fn ev(line: &str) -> Event {
        ledger::read_ledger(line.as_bytes(), "t").unwrap().remove(0)
    }

    fn sample() -> Vec<Event> {
        [
            r#"{"id":"a","time":"2024-01-01T00:00:00Z","account":"binance/main/spot","kind":"deposit","asset":"USDT","amount":"1000","txid":"0xab"}"#,
            r#"{"id":"b,1","time":"2024-01-01T01:00:00.250Z","account":"binance/main/spot","kind":"trade","spend":{"asset":"USDT","amount":"100"},"receive":{"asset":"BTC","amount":"0.002"},"fees":[{"asset":"BNB","amount":"0.0001"},{"asset":"USDT","amount":"0.1"}],"symbol":"BTCUSDT"}"#,
            r#"{"id":"c","time":"2024-01-02T00:00:00Z","account":"binance/main/spot","kind":"withdrawal","asset":"BTC","amount":"0.001","fee":"0.0001"}"#,
            r#"{"id":"d","time":"2024-01-03T00:00:00Z","account":"binance/main/spot","kind":"transfer","from_account":"binance/main/spot","to_account":"binance/main/usdm","asset":"USDT","amount":"50"}"#,
            r#"{"id":"e","time":"2024-01-04T00:00:00Z","account":"binance/main/usdm","kind":"income","type":"funding","asset":"USDT","amount":"-0.12","symbol":"BTCUSDT"}"#,
            r#"{"id":"f","time":"2024-01-04T00:00:00Z","account":"binance/main/usdm","kind":"income","type":"realized_pnl","asset":"USDT","amount":"3.5"}"#,
        ]
        .iter()
        .map(|l| ev(l))
        .collect()
    }

    #[test]
    fn bundle_verifies_and_detects_edits() {
        let bundle = Bundle::new(sample(), vec![], Settings::default());
        let json = serde_json::to_string(&bundle).unwrap();
        let read: Bundle = serde_json::from_str(&json).unwrap();
        let report = read.verify().unwrap();
        assert_eq!(serde_json::to_value(&report).unwrap(), bundle.report);
        let mut edited = read.clone();
        if let EventKind::Income { amount, .. } = &mut edited.ledger[5].kind {
            *amount = Decimal::new(4, 0);
        }
        let err = edited.verify().unwrap_err().to_string();
        // the first difference in key order: the futures account's balance, then the realized lines
        assert!(
            err.contains("differs from the one in the bundle at /accounts/\"binance/main/usdm\"/balances/USDT"),
            "{err}"
        );
    }
}
