//! The report: what the engine returns, serializable as JSON with every amount a decimal string.

use std::collections::BTreeMap;
use std::sync::Arc;

use ledger::{Decimal, Timestamp};
use serde::{Deserialize, Serialize};

use crate::settings::{Method, Settings};

/// Realized PnL split by cause, in the profit currency.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealizedSplit {
    /// Spot trades: proceeds minus matched cost.
    pub trade: Decimal,
    /// Fees that are disposals of their own (fees not in cost basis, transfer fees).
    pub fee: Decimal,
    /// Futures realized PnL (income type `realized_pnl`).
    pub futures: Decimal,
    /// Funding fees.
    pub funding: Decimal,
    /// Futures commissions.
    pub commission: Decimal,
    /// Other income: rebates, rewards, airdrops.
    pub other: Decimal,
    /// Sum of the above.
    pub total: Decimal,
}

/// Which line of [`RealizedSplit`] a PnL goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// A trade's spend leg.
    Trade,
    /// A fee disposal (fees not in cost basis, a transfer fee).
    Fee,
    /// Futures realized PnL.
    Futures,
    /// Funding.
    Funding,
    /// Commission.
    Commission,
    /// Other income.
    Other,
}

impl RealizedSplit {
    /// Adds to one line; [`RealizedSplit::normalize`] sums the total (the hot loop does half the additions).
    #[inline]
    pub(crate) fn add(&mut self, category: Category, pnl: Decimal) {
        let line = match category {
            Category::Trade => &mut self.trade,
            Category::Fee => &mut self.fee,
            Category::Futures => &mut self.futures,
            Category::Funding => &mut self.funding,
            Category::Commission => &mut self.commission,
            Category::Other => &mut self.other,
        };
        *line += pnl;
    }

    pub(crate) fn merge(&mut self, other: &RealizedSplit) {
        self.trade += other.trade;
        self.fee += other.fee;
        self.futures += other.futures;
        self.funding += other.funding;
        self.commission += other.commission;
        self.other += other.other;
        self.total += other.total;
    }

    /// Sums the total and normalizes every line.
    pub(crate) fn normalize(&mut self) {
        self.total = self.trade + self.fee + self.futures + self.funding + self.commission + self.other;
        for v in [
            &mut self.trade,
            &mut self.fee,
            &mut self.futures,
            &mut self.funding,
            &mut self.commission,
            &mut self.other,
        ] {
            *v = v.normalize();
        }
        self.total = self.total.normalize();
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.total.is_zero()
            && self.trade.is_zero()
            && self.fee.is_zero()
            && self.futures.is_zero()
            && self.funding.is_zero()
            && self.commission.is_zero()
            && self.other.is_zero()
    }
}

/// Holdings of one asset at the report time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetPosition {
    /// Units held across accounts, net of the units owed (the ledger's balance; negative when more is owed than
    /// held).
    pub amount: Decimal,
    /// Units covered by lots (differs from `amount` after missing acquisitions or deposits without cost).
    pub lots_amount: Decimal,
    /// Remaining cost of the lots (for the profit currency: the amount).
    pub cost_basis: Decimal,
    /// Unit price in the profit currency at the report time, if known.
    pub price: Option<Decimal>,
    /// `amount x price`.
    pub value: Option<Decimal>,
    /// `lots_amount x price - cost_basis`.
    pub unrealized: Option<Decimal>,
    /// The prices the valuation used (`ETH/USD 2300 @ 2024-01-02T00:00:00Z`, with stablecoins as USD; `^-1` when
    /// inverted); absent for the profit currency and without a price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_source: Option<String>,
    /// Units owed on margin loans (docs/accounting.md §8f), already subtracted from `amount`; their booked value
    /// minus their market value is in `unrealized`.
    #[serde(default, skip_serializing_if = "Decimal::is_zero")]
    pub owed: Decimal,
}

/// One account at the report time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSummary {
    /// The venue the account belongs to.
    pub venue: String,
    /// Non-zero balances by asset.
    pub balances: BTreeMap<String, Decimal>,
    /// Value of the balances that have a price.
    pub equity: Decimal,
}

/// An open lot at the report time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenLot {
    /// Asset of the lot.
    pub asset: String,
    /// The pool's account (`*` for the universal pool).
    pub pool: String,
    /// When the lot was acquired.
    pub time: Timestamp,
    /// The account the units were acquired in (as [`LotUse::account`]; a lot moved between per-account pools keeps
    /// it); `None` for a pooled cost of several accounts' units (ACB, UK share pooling).
    #[serde(default)]
    pub acquired_in: Option<String>,
    /// Remaining units.
    pub amount: Decimal,
    /// Remaining cost.
    pub cost: Decimal,
    /// Market value, if priced.
    pub value: Option<Decimal>,
    /// `value - cost`, if priced.
    pub unrealized: Option<Decimal>,
}

/// A spend that found fewer lots than it needed: the missing part was matched at zero cost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingAcquisition {
    /// Asset spent.
    pub asset: String,
    /// When.
    pub time: Timestamp,
    /// Event id.
    pub event: String,
    /// Units found in lots.
    pub found: Decimal,
    /// Units missing.
    pub missing: Decimal,
}

/// A value the engine could not compute for lack of a price (deduplicated by asset and affected total).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingPrice {
    /// Asset without a price.
    pub asset: String,
    /// The quote asked for (the profit currency).
    pub quote: String,
    /// First time the price was needed.
    pub time: Timestamp,
    /// Last time the price was needed.
    pub last_time: Timestamp,
    /// How many times.
    pub count: u64,
    /// Which total it affects: `realized`, `unrealized`, `contributions`, `equity_curve`, `equity`.
    pub affects: String,
}

/// A withdrawal and a deposit recognized as one internal move.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedTransfer {
    /// Withdrawal event id.
    pub withdrawal: String,
    /// Deposit event id.
    pub deposit: String,
    /// Asset.
    pub asset: String,
    /// Sending and receiving accounts.
    pub from_account: String,
    /// Receiving account.
    pub to_account: String,
    /// Units that left (fee field excluded).
    pub sent: Decimal,
    /// Units that arrived.
    pub received: Decimal,
    /// Transfer fee: the withdrawal's fee field plus `sent - received`.
    pub fee: Decimal,
}

/// A deposit or withdrawal left unmatched, for the user to match or mark as income or expense.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnmatchedLeg {
    /// Event id.
    pub event: String,
    /// `deposit` or `withdrawal`.
    pub kind: String,
    /// Account.
    pub account: String,
    /// Asset.
    pub asset: String,
    /// Amount.
    pub amount: Decimal,
    /// When.
    pub time: Timestamp,
    /// Value counted as a contribution (negative for a withdrawal), if priced.
    pub value: Option<Decimal>,
}

/// An open futures position at the report time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionValue {
    /// Account.
    pub account: String,
    /// Contract symbol.
    pub symbol: String,
    /// Signed size.
    pub amount: Decimal,
    /// Entry price.
    pub entry_price: Decimal,
    /// Mark price.
    pub mark_price: Decimal,
    /// Margin asset.
    pub margin_asset: String,
    /// Unrealized PnL in the margin asset: `amount x (mark - entry)`, or for an inverse contract (Binance COIN-M)
    /// `amount x contract_size x (1/entry - 1/mark)` in the coin ([`ledger::Position::try_unrealized`]).
    pub unrealized: Decimal,
    /// The same in the profit currency, if the margin asset has a price.
    pub unrealized_value: Option<Decimal>,
}

/// Matched and unmatched transfers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfers {
    /// Withdrawal + deposit pairs (Koinly's rule).
    pub matched: Vec<MatchedTransfer>,
    /// Legs without a partner.
    pub unmatched: Vec<UnmatchedLeg>,
}

/// One UTC day of the equity curve.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EquityPoint {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Value of all balances at the end of the day (prices in force at 23:59:59.999).
    pub equity: Decimal,
    /// Value deposited that day (unmatched deposits).
    pub inflow: Decimal,
    /// Value withdrawn that day (unmatched withdrawals), positive.
    pub outflow: Decimal,
    /// False when some balance had no price.
    pub complete: bool,
}

/// Returns over the window.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Returns {
    /// Equity at the start of the window (0 from the first event).
    pub start_equity: Decimal,
    /// Equity at the end.
    pub end_equity: Decimal,
    /// Net contributions in the window: deposits minus withdrawals at their value when they happened.
    pub net_contributions: Decimal,
    /// `end - start - net contributions`.
    pub pnl: Decimal,
    /// `pnl / (start + net contributions)`.
    pub simple: Option<Decimal>,
    /// Time-weighted (daily sub-periods, inflows at the start of a day, outflows at its end).
    pub time_weighted: Option<Decimal>,
    /// Money-weighted: the annual internal rate of return.
    pub money_weighted: Option<Decimal>,
}

/// The identity `equity = net contributions + realized + unrealized + residual`, since the first event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// Equity at the report time (priced balances).
    pub equity: Decimal,
    /// Deposits minus withdrawals since the first event, valued when they happened.
    pub net_contributions: Decimal,
    /// Realized PnL since the first event (all categories).
    pub realized: Decimal,
    /// Unrealized PnL of the priced lots.
    pub unrealized: Decimal,
    /// The residual, itemized by cause (only non-zero items).
    pub residual: BTreeMap<String, Decimal>,
    /// What the items do not explain (Decimal rounding only; should be ~0).
    pub unexplained: Decimal,
    /// Whether `|unexplained|` is below 1e-12.
    pub holds: bool,
}

/// The window's realized trade PnL by holding period (docs/accounting.md §3b): units held more than one year are
/// long term, everything else on the `trade` line is short term, so `short_term + long_term = realized.trade`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldingPeriods {
    /// Trade PnL of units held one year or less, of units matched at zero cost for lack of lots, and of trades
    /// between two assets counting as the profit currency.
    pub short_term: Decimal,
    /// Trade PnL of units held more than one year: `long_term_proceeds - long_term_cost`.
    pub long_term: Decimal,
    /// Proceeds of the units held more than one year (a disposal's proceeds shared by units).
    pub long_term_proceeds: Decimal,
    /// Cost of the units held more than one year.
    pub long_term_cost: Decimal,
}

/// Lots consumed by one disposal (in memory only, as [`Disposal`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LotUse {
    /// Acquisition time of the lot.
    pub lot_time: Timestamp,
    /// Units taken.
    pub amount: Decimal,
    /// Cost taken.
    pub cost: Decimal,
    /// The account the units were acquired in; `None` for a pooled cost of several accounts' units (ACB, UK share
    /// pooling) and for units reserved by the UK same-day and 30-day rules (docs/accounting.md §3c).
    pub account: Option<Arc<str>>,
}

/// Units of one asset matched with acquisitions after the report's end (UK share pooling).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedAfterEnd {
    /// The asset.
    pub asset: String,
    /// Units disposed of in the window and matched with acquisitions after its end.
    pub units: Decimal,
    /// The cost those acquisitions gave them.
    pub cost: Decimal,
}

/// One disposal in the window, for the per-disposal CSV.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disposal {
    /// Index of the event in the ledger slice given to [`crate::compute`].
    pub event: usize,
    /// Asset disposed of.
    pub asset: Arc<str>,
    /// When.
    pub time: Timestamp,
    /// Which PnL line.
    pub category: Category,
    /// Units disposed of.
    pub amount: Decimal,
    /// Proceeds in the profit currency.
    pub proceeds: Decimal,
    /// Matched cost.
    pub cost: Decimal,
    /// Units matched at zero cost for lack of lots.
    pub missing: Decimal,
    /// Range of [`Report::lot_uses`].
    pub lots: std::ops::Range<usize>,
}

/// The result of [`crate::compute`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Engine version that produced the report.
    pub engine_version: String,
    /// Profit currency.
    pub currency: String,
    /// Method.
    pub method: Method,
    /// All settings used.
    pub settings: Settings,
    /// The report time: the window end or the last event.
    pub as_of: Option<Timestamp>,
    /// Number of events processed.
    pub events: usize,
    /// False when a missing acquisition, missing price, unvalued trade or unmatched transfer makes it incomplete.
    pub complete: bool,
    /// Realized PnL in the window.
    pub realized: RealizedSplit,
    /// The trade line of `realized` split by holding period; `None` under UK share pooling and ACB, where a pooled
    /// cost has no single acquisition date (docs/accounting.md §3b).
    #[serde(default)]
    pub holding_periods: Option<HoldingPeriods>,
    /// Unrealized PnL of priced lots at the report time.
    pub unrealized: Decimal,
    /// Open futures positions given to [`crate::compute_with_positions`], with their unrealized PnL (not part of
    /// `unrealized`, nor of the identity, whose equity is the wallets' balances).
    pub positions: Vec<PositionValue>,
    /// Sum of the positions' unrealized PnL in the profit currency (priced ones).
    pub unrealized_positions: Decimal,
    /// Positions given that cannot be valued (an inverse contract with a price or size that is not positive), each
    /// with the reason; they are in neither `positions` nor `unrealized_positions` (docs/ledger-format.md, open
    /// futures positions). The venue parsers and the positions reader refuse such positions, so this is empty for
    /// positions read from a venue or a file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unvalued_positions: Vec<String>,
    /// Realized in the window by asset (the asset disposed of, or the income asset).
    pub realized_by_asset: BTreeMap<String, RealizedSplit>,
    /// By account.
    pub realized_by_account: BTreeMap<String, RealizedSplit>,
    /// By venue.
    pub realized_by_venue: BTreeMap<String, RealizedSplit>,
    /// By symbol (trades and income rows that carry one).
    pub realized_by_symbol: BTreeMap<String, RealizedSplit>,
    /// Realized in the window by UTC month (`YYYY-MM`), the lines as in `realized`; a UK disposal's PnL is in its
    /// own month even when its cost is settled later (docs/accounting.md §11).
    #[serde(default)]
    pub realized_by_month: BTreeMap<String, RealizedSplit>,
    /// Holdings by asset.
    pub assets: BTreeMap<String, AssetPosition>,
    /// Balances by account.
    pub accounts: BTreeMap<String, AccountSummary>,
    /// Open lots with their unrealized PnL.
    pub open_lots: Vec<OpenLot>,
    /// Spends without enough lots.
    pub missing_acquisitions: Vec<MissingAcquisition>,
    /// Under UK share pooling with a window end, per asset: the units disposed of in the window's last 30 days that
    /// the 30-day rule matches with acquisitions after the end, and the cost they took from them
    /// (docs/accounting.md §3a). The pool at the report time still holds these units, so the asset's lots exceed
    /// its balance by them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matched_after_end: Vec<MatchedAfterEnd>,
    /// Values without a price.
    pub missing_prices: Vec<MissingPrice>,
    /// Trades that could not be valued (neither asset priced): event ids.
    pub unvalued_trades: Vec<String>,
    /// Transfer matching.
    pub transfers: Transfers,
    /// Daily UTC equity curve from the first event.
    pub equity_curve: Vec<EquityPoint>,
    /// Returns over the window.
    pub returns: Returns,
    /// The identity check, in total.
    pub identity: Identity,
    /// The identity per account, with per-account pools (each account's lots are its own; transfers between the
    /// user's accounts count as the sender's outflow and the receiver's inflow at market value). Empty with the
    /// universal pool, where lots belong to no account.
    pub identity_by_account: BTreeMap<String, Identity>,
    /// Disposals in the window (not in the JSON; `formats::report_csv` writes them as CSV).
    #[serde(skip)]
    pub disposals: Vec<Disposal>,
    /// Lots used by the disposals.
    #[serde(skip)]
    pub lot_uses: Vec<LotUse>,
}

/// A headline figure of the report, for [`Report::missing_for`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figure {
    /// Total equity at the report time (`identity.equity`).
    Equity,
    /// Realized PnL and every line of it: trades, fees, futures, funding, commission, other. A missing price in
    /// any realized value can reach every later disposal through a lot's cost, so they share one dependency.
    Realized,
    /// Unrealized PnL of the open lots.
    Unrealized,
    /// The daily equity curve (each point also says whether it is complete).
    EquityCurve,
}

impl Report {
    /// The missing prices `figure` depends on (docs/accounting.md §10, "Valuation"): when there is any, the figure is a
    /// partial sum and must be shown as incomplete, with what is missing, never as a number.
    pub fn missing_for(&self, figure: Figure) -> Vec<&MissingPrice> {
        let affects = match figure {
            Figure::Equity => "equity",
            Figure::Realized => "realized",
            Figure::Unrealized => "unrealized",
            Figure::EquityCurve => "equity_curve",
        };
        self.missing_prices.iter().filter(|m| m.affects == affects).collect()
    }
}
