//! The report's warnings grouped by cause: one group per cause with its count, the assets and accounts concerned,
//! the action that resolves it and the screen where that is done. Pure (no DOM, no formatting): the dashboard's
//! warnings card (`ui/warnings.rs`) renders the groups, and the wasm tests check them directly.
//!
//! Each cause is one of the things the engine reports instead of silently counting it as zero (ARCHITECTURE.md,
//! "nothing silently becomes zero"; docs/accounting.md): a spend without a recorded acquisition, a value without a
//! price, a deposit or withdrawal without its partner, a trade of which neither asset has a price.

use std::collections::{BTreeMap, BTreeSet};

use pnl::{MissingAcquisition, Report, Timestamp, UnmatchedLeg};

use crate::tracker::Tab;

/// Why a warning is raised; the groups come in this order (the first overstates PnL, the last only leaves a trade
/// unvalued).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cause {
    /// Disposals that spent more than the recorded acquisitions: the rest's cost is taken as 0.
    MissingAcquisition,
    /// Values without a price: the totals that need them are incomplete.
    MissingPrice,
    /// Deposits and withdrawals without their partner: capital flows, in or out.
    UnmatchedTransfer,
    /// Trades of which neither asset has a price.
    UnvaluedTrade,
}

impl Cause {
    /// The group's name, as its line starts.
    pub fn title(self) -> &'static str {
        match self {
            Cause::MissingAcquisition => "Disposals with no recorded acquisition",
            Cause::MissingPrice => "Missing prices",
            Cause::UnmatchedTransfer => "Unmatched transfers",
            Cause::UnvaluedTrade => "Trades that could not be valued",
        }
    }

    /// What it does to the figures and what resolves it, in words.
    pub fn action(self) -> &'static str {
        match self {
            Cause::MissingAcquisition => {
                "Their cost is taken as 0, so their PnL is overstated. Sync the account the coins came from (connect \
                 it in Accounts if it is missing), or turn on \"value deposits at market\" in Settings to take an \
                 external deposit's cost as its market value on the day."
            }
            Cause::MissingPrice => {
                "The totals that need these values show as incomplete. Prices are the venues' daily klines, read at \
                 each sync: sync again; an asset no venue lists stays unpriced."
            }
            Cause::UnmatchedTransfer => {
                "Match each withdrawal with the deposit it became in the Ledger tab; an unmatched one stays a \
                 capital flow (money in or out), never PnL."
            }
            Cause::UnvaluedTrade => {
                "Neither asset of the trade has a price, so its PnL is left out. Sync again to read the prices."
            }
        }
    }

    /// The screen where the action is done, if there is one, and the button's words.
    pub fn screen(self) -> Option<(Tab, &'static str)> {
        match self {
            Cause::MissingAcquisition => Some((Tab::Accounts, "Open Accounts")),
            Cause::MissingPrice => None,
            Cause::UnmatchedTransfer => Some((Tab::Ledger, "Match in the Ledger")),
            Cause::UnvaluedTrade => Some((Tab::Ledger, "Open the Ledger")),
        }
    }

    /// The group's test id and `data-cause`.
    pub fn id(self) -> &'static str {
        match self {
            Cause::MissingAcquisition => "missing-acquisition",
            Cause::MissingPrice => "missing-price",
            Cause::UnmatchedTransfer => "unmatched-transfer",
            Cause::UnvaluedTrade => "unvalued-trade",
        }
    }
}

/// One event (or run of valuations) behind a warning, as the engine reported it.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A disposal short of lots.
    Acquisition(MissingAcquisition),
    /// An asset without a price in a quote.
    Price(Unpriced),
    /// A deposit or withdrawal without its partner.
    Transfer(UnmatchedLeg),
    /// A trade's event id.
    Trade(String),
}

/// An asset without a price in a quote: the engine's `MissingPrice`s of the pair, one per total it affects,
/// made one (a user resolves a missing price once, whatever it affects).
#[derive(Debug, Clone, PartialEq)]
pub struct Unpriced {
    /// The asset.
    pub asset: String,
    /// What it lacks a price in.
    pub quote: String,
    /// The first valuation without one.
    pub since: Timestamp,
    /// The last.
    pub until: Timestamp,
    /// Valuations without a price, over every total.
    pub valuations: u64,
    /// The totals it leaves incomplete (`equity`, `equity_curve`, ...), in the engine's order, once each.
    pub affects: Vec<String>,
}

/// The report's missing prices, one per asset and quote, in the order the engine first reports each.
pub fn unpriced(report: &Report) -> Vec<Unpriced> {
    let mut out: Vec<Unpriced> = Vec::new();
    for m in &report.missing_prices {
        match out.iter_mut().find(|u| u.asset == m.asset && u.quote == m.quote) {
            Some(u) => {
                u.since = u.since.min(m.time);
                u.until = u.until.max(m.last_time);
                u.valuations += m.count;
                if !u.affects.contains(&m.affects) {
                    u.affects.push(m.affects.clone());
                }
            }
            None => out.push(Unpriced {
                asset: m.asset.clone(),
                quote: m.quote.clone(),
                since: m.time,
                until: m.last_time,
                valuations: m.count,
                affects: vec![m.affects.clone()],
            }),
        }
    }
    out
}

/// The warnings of one cause.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Why.
    pub cause: Cause,
    /// The assets concerned, most warnings first (then by name).
    pub assets: Vec<String>,
    /// The ledger accounts concerned (`venue/label/wallet`), most warnings first; empty when the engine does not
    /// say (prices are per asset, not per account).
    pub accounts: Vec<String>,
    /// Every warning of the cause, in the engine's order.
    pub items: Vec<Item>,
}

impl Group {
    /// How many warnings the group holds.
    pub fn count(&self) -> usize {
        self.items.len()
    }

    /// The ledger events behind the group's warnings, to show them alone in the Ledger (none for missing prices,
    /// which are per asset, not per event).
    pub fn event_ids(&self) -> BTreeSet<String> {
        self.items
            .iter()
            .filter_map(|i| match i {
                Item::Acquisition(m) => Some(m.event.clone()),
                Item::Transfer(u) => Some(u.event.clone()),
                Item::Trade(id) => Some(id.clone()),
                Item::Price(_) => None,
            })
            .collect()
    }
}

/// Distinct names, most frequent first, ties by name.
fn by_frequency<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for n in names {
        *seen.entry(n).or_default() += 1;
    }
    let mut out: Vec<(&str, usize)> = seen.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    out.into_iter().map(|(n, _)| n.to_string()).collect()
}

/// The report's warnings grouped by cause, one group per cause that has any, in [`Cause`]'s order.
pub fn group(report: &Report) -> Vec<Group> {
    let mut groups = Vec::new();
    let acq = &report.missing_acquisitions;
    if !acq.is_empty() {
        groups.push(Group {
            cause: Cause::MissingAcquisition,
            assets: by_frequency(acq.iter().map(|m| m.asset.as_str())),
            accounts: Vec::new(),
            items: acq.iter().cloned().map(Item::Acquisition).collect(),
        });
    }
    let prices = unpriced(report);
    if !prices.is_empty() {
        groups.push(Group {
            cause: Cause::MissingPrice,
            assets: by_frequency(prices.iter().map(|m| m.asset.as_str())),
            accounts: Vec::new(),
            items: prices.into_iter().map(Item::Price).collect(),
        });
    }
    let legs = &report.transfers.unmatched;
    if !legs.is_empty() {
        groups.push(Group {
            cause: Cause::UnmatchedTransfer,
            assets: by_frequency(legs.iter().map(|u| u.asset.as_str())),
            accounts: by_frequency(legs.iter().map(|u| u.account.as_str())),
            items: legs.iter().cloned().map(Item::Transfer).collect(),
        });
    }
    if !report.unvalued_trades.is_empty() {
        groups.push(Group {
            cause: Cause::UnvaluedTrade,
            assets: Vec::new(),
            accounts: Vec::new(),
            items: report.unvalued_trades.iter().cloned().map(Item::Trade).collect(),
        });
    }
    groups
}

/// The first `n` names, then how many more: `BTC, ETH, SOL and 4 more`; empty for none.
pub fn first_few(names: &[String], n: usize) -> String {
    let shown = names.iter().take(n).cloned().collect::<Vec<_>>().join(", ");
    match names.len().saturating_sub(n) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}
