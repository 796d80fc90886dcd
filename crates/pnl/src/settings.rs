//! The user's accounting choices: profit currency, cost-basis method, fees, pools and the report window.

use std::fmt;
use std::str::FromStr;

use ledger::Timestamp;
use serde::{Deserialize, Serialize};

/// Stablecoins that count as USD at 1 unless [`Settings::stablecoins_as_usd`] is off.
pub const USD_STABLECOINS: [&str; 4] = ["USDT", "USDC", "FDUSD", "BUSD"];

/// How a spend picks the lots it consumes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// First in, first out (default).
    #[default]
    Fifo,
    /// Last in, first out.
    Lifo,
    /// Highest unit cost first, ties by older time.
    Hifo,
    /// Average cost: every spend is costed at the running average taken before it.
    Acb,
    /// UK share pooling (HMRC): a disposal is matched with the same day's acquisitions, then with those of the
    /// next 30 days (earliest first), then with the section 104 pool at its average cost (docs/accounting.md §3a).
    /// Pools are always universal under it.
    Uk,
}

/// Whether lots are pooled across all accounts or kept per account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pools {
    /// One pool of lots per asset across every account and venue (default).
    #[default]
    Universal,
    /// One pool per asset and account; a matched transfer moves the specific lots.
    PerAccount,
}

/// A value that is not one of the accepted spellings of a setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {given:?}: expected one of {expected}")]
pub struct SettingError {
    /// Which setting.
    pub what: &'static str,
    /// What was given.
    pub given: String,
    /// The accepted values.
    pub expected: &'static str,
}

impl FromStr for Method {
    type Err = SettingError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "fifo" => Ok(Method::Fifo),
            "lifo" => Ok(Method::Lifo),
            "hifo" => Ok(Method::Hifo),
            "acb" | "average" => Ok(Method::Acb),
            "uk" => Ok(Method::Uk),
            _ => Err(SettingError { what: "method", given: s.into(), expected: "fifo, lifo, hifo, acb, uk" }),
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::Fifo => "fifo",
            Method::Lifo => "lifo",
            Method::Hifo => "hifo",
            Method::Acb => "acb",
            Method::Uk => "uk",
        })
    }
}

impl FromStr for Pools {
    type Err = SettingError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "universal" => Ok(Pools::Universal),
            "per-account" | "per_account" | "per-wallet" => Ok(Pools::PerAccount),
            _ => Err(SettingError { what: "pools", given: s.into(), expected: "universal, per-account" }),
        }
    }
}

impl fmt::Display for Pools {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Pools::Universal => "universal",
            Pools::PerAccount => "per-account",
        })
    }
}

/// The report window: which events count towards the window's PnL. Events are always processed from the first
/// one; events after `to` are not processed at all (the report is as of `to`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// First instant counted (inclusive); `None` is the beginning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Timestamp>,
    /// Last instant counted (inclusive); `None` is the last event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Timestamp>,
}

impl Window {
    /// Whether an instant falls in the window.
    pub fn contains(&self, t: Timestamp) -> bool {
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|e| t <= e)
    }
}

/// A reporting period as a user picks it (docs/accounting.md §2, `window`): the whole ledger, a calendar year, a UK
/// tax year (6 April to 5 April) or any range of UTC days. Written as `all`, `year:2025`, `uk-tax:2025` (the year
/// starting 6 April 2025) or `range:2025-01-01:2025-06-30` (both days included; either may be empty).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Period {
    /// Every event.
    #[default]
    All,
    /// 1 January to 31 December, UTC.
    CalendarYear(i32),
    /// 6 April of the year to 5 April of the next, UTC.
    UkTaxYear(i32),
    /// From the start of one UTC day to the end of another, both optional.
    Range(Option<Timestamp>, Option<Timestamp>),
}

const PERIOD_FORMS: &str = "all, year:YYYY, uk-tax:YYYY, range:YYYY-MM-DD:YYYY-MM-DD";
const LAST_MS_OF_DAY: i64 = 86_400_000 - 1;

fn midnight(date: &str) -> Option<Timestamp> {
    format!("{date}T00:00:00Z").parse().ok().filter(|_| date.len() == 10)
}

impl Period {
    /// The engine's window: from the first instant to the last millisecond of the period.
    pub fn window(self) -> Window {
        let day = |y: i32, md: &str| midnight(&format!("{y:04}-{md}"));
        let end_before = |t: Option<Timestamp>| t.map(|t| Timestamp(t.0 - 1));
        match self {
            Period::All => Window::default(),
            Period::CalendarYear(y) => Window { from: day(y, "01-01"), to: end_before(day(y + 1, "01-01")) },
            Period::UkTaxYear(y) => Window { from: day(y, "04-06"), to: end_before(day(y + 1, "04-06")) },
            Period::Range(from, to) => Window { from, to: to.map(|t| Timestamp(t.0 + LAST_MS_OF_DAY)) },
        }
    }
}

impl FromStr for Period {
    type Err = SettingError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || SettingError { what: "period", given: s.into(), expected: PERIOD_FORMS };
        let year = |y: &str| {
            let n = y.parse::<i32>().ok().filter(|n| (1970..=9998).contains(n))?;
            (n.to_string() == y).then_some(n)
        };
        match s.split_once(':') {
            None if s == "all" => Ok(Period::All),
            Some(("year", y)) => year(y).map(Period::CalendarYear).ok_or_else(bad),
            Some(("uk-tax", y)) => year(y).map(Period::UkTaxYear).ok_or_else(bad),
            Some(("range", dates)) => {
                let (from, to) = dates.split_once(':').ok_or_else(bad)?;
                let day = |d: &str| if d.is_empty() { Ok(None) } else { midnight(d).map(Some).ok_or_else(bad) };
                let (from, to) = (day(from)?, day(to)?);
                if let (Some(f), Some(t)) = (from, to)
                    && f > t
                {
                    return Err(bad());
                }
                Ok(Period::Range(from, to))
            }
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let date = |t: &Option<Timestamp>| t.map(Timestamp::date_string).unwrap_or_default();
        match self {
            Period::All => f.write_str("all"),
            Period::CalendarYear(y) => write!(f, "year:{y}"),
            Period::UkTaxYear(y) => write!(f, "uk-tax:{y}"),
            Period::Range(from, to) => write!(f, "range:{}:{}", date(from), date(to)),
        }
    }
}

/// Everything that changes how a ledger is turned into a report. The defaults follow docs/accounting.md §2.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Profit currency (`USD` default, `EUR`, ...). Every value in the report is in it.
    pub currency: String,
    /// USDT, USDC, FDUSD and BUSD count as USD at 1 (default on).
    pub stablecoins_as_usd: bool,
    /// Cost-basis method.
    pub method: Method,
    /// Fees raise the acquired lot's cost or reduce the proceeds (default on); off: each fee is a disposal.
    pub fees_in_cost_basis: bool,
    /// Universal or per-account pools.
    pub pools: Pools,
    /// An unmatched deposit of a non-cash asset opens a lot at its market value (default off: no lot, so a later
    /// spend of it is a missing acquisition, as rotki does).
    pub deposits_at_market: bool,
    /// The report window.
    pub window: Window,
    /// Transfers the user matched by hand: (withdrawal id, deposit id). They are matched whatever Koinly's rule says
    /// (another asset name, a longer delay, a bigger fee), before the automatic matching of the other legs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub manual_matches: Vec<(String, String)>,
    /// Unmatched legs the user classified, by event id: a deposit that was income (an airdrop, a payment received)
    /// or a withdrawal that was an expense (a payment made). Both become income rows of type `other`, so the rules
    /// of docs/accounting.md §7 apply: a new lot at market value with that PnL, or a disposal whose PnL is
    /// minus the cost basis.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub leg_marks: std::collections::BTreeMap<String, LegMark>,
    /// The cost basis the user entered for deposits from outside, by event id, in the profit currency: such a
    /// deposit of a non-cash asset opens a lot at that cost, whatever `deposits_at_market` says, and counts as a
    /// contribution of that amount (docs/accounting.md §8, "Manual cost basis"). A deposit matched with a
    /// withdrawal ignores it: its lots come from the withdrawal.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub deposit_costs: std::collections::BTreeMap<String, ledger::Decimal>,
    /// Token migrations the user declared, by the id of the positive `income` event that credited the new asset (a
    /// migration the venue reports only as its new asset, docs/venues.md §1.13): the old asset and amount it
    /// replaced. That income becomes a `migration` from them to what it credited, same id, time and account: the
    /// old lots carry over (docs/accounting.md §8d).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub migrations: std::collections::BTreeMap<String, ledger::Money>,
}

/// What an unmatched transfer leg was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegMark {
    /// A deposit that was income.
    Income,
    /// A withdrawal that was an expense.
    Expense,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            currency: "USD".into(),
            stablecoins_as_usd: true,
            method: Method::Fifo,
            fees_in_cost_basis: true,
            pools: Pools::Universal,
            deposits_at_market: false,
            window: Window::default(),
            manual_matches: Vec::new(),
            leg_marks: std::collections::BTreeMap::new(),
            deposit_costs: std::collections::BTreeMap::new(),
            migrations: std::collections::BTreeMap::new(),
        }
    }
}

impl Settings {
    /// The name an asset is valued under: stablecoins become `USD` when they count as USD; everything upper case.
    pub fn canonical<'a>(&self, asset: &'a str) -> std::borrow::Cow<'a, str> {
        canonical(asset, self.stablecoins_as_usd)
    }

    /// Whether `asset` is the profit currency or counts as it.
    pub fn is_profit_currency(&self, asset: &str) -> bool {
        self.canonical(asset) == self.canonical(&self.currency)
    }
}

pub(crate) fn canonical(asset: &str, stablecoins_as_usd: bool) -> std::borrow::Cow<'_, str> {
    if stablecoins_as_usd && USD_STABLECOINS.iter().any(|s| s.eq_ignore_ascii_case(asset)) {
        return "USD".into();
    }
    if asset.bytes().any(|b| b.is_ascii_lowercase()) { asset.to_ascii_uppercase().into() } else { asset.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_and_give_their_windows() {
        let t = |s: &str| Some(s.parse::<Timestamp>().unwrap());
        let w = |p: &str| p.parse::<Period>().unwrap().window();
        assert_eq!(w("all"), Window::default());
        assert_eq!(w("year:2024"), Window { from: t("2024-01-01T00:00:00Z"), to: t("2024-12-31T23:59:59.999Z") });
        assert_eq!(w("uk-tax:2024"), Window { from: t("2024-04-06T00:00:00Z"), to: t("2025-04-05T23:59:59.999Z") });
        assert_eq!(
            w("range:2024-02-29:2024-03-01"),
            Window { from: t("2024-02-29T00:00:00Z"), to: t("2024-03-01T23:59:59.999Z") }
        );
        assert_eq!(w("range::2024-03-01"), Window { from: None, to: t("2024-03-01T23:59:59.999Z") });
        assert_eq!(w("range:2024-03-01:"), Window { from: t("2024-03-01T00:00:00Z"), to: None });
        for p in ["all", "year:2024", "uk-tax:2023", "range:2024-01-01:2024-06-30", "range::2024-06-30"] {
            assert_eq!(p.parse::<Period>().unwrap().to_string(), p);
        }
        for bad in ["", "year", "year:24", "year:+2024", "uk-tax:x", "range:2024-13-01:", "range:2024-03-02:2024-03-01"]
        {
            let e = bad.parse::<Period>().unwrap_err();
            assert_eq!(e.what, "period", "{bad}");
        }
    }
}
