//! The realized-gains report of a period (docs/accounting.md §3c): every disposal with the lots it used, the
//! holding term of each lot under a preset, the realized lines (income by type, fees, futures, funding) and totals
//! that add up to the report's realized figure. The app's Gains screen shows it and [`gains_csv`] writes it, so the
//! screen and the download are the same rows. Column layout: docs/ledger-format.md, "Gains report CSV".

use std::sync::Arc;

use ledger::{Decimal, Event, EventKind, IncomeType, Timestamp};
use pnl::{Category, Method, Report};

use crate::csv_text::Table;

/// How a lot's holding period is named (docs/accounting.md §3b, §3c).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HoldingPreset {
    /// Short term (held one year or less) and long term (more than one year).
    #[default]
    OneYearSplit,
    /// Taxable (held one year or less) and tax-free (more than one year), as Germany's rule for private disposals.
    TaxFreeAfterOneYear,
}

impl HoldingPreset {
    /// `one-year` or `tax-free-after-one-year`.
    pub fn as_str(self) -> &'static str {
        match self {
            HoldingPreset::OneYearSplit => "one-year",
            HoldingPreset::TaxFreeAfterOneYear => "tax-free-after-one-year",
        }
    }

    /// The names of the two terms: (held one year or less, held more than one year).
    pub fn term_names(self) -> (&'static str, &'static str) {
        match self {
            HoldingPreset::OneYearSplit => ("short term", "long term"),
            HoldingPreset::TaxFreeAfterOneYear => ("taxable", "tax-free"),
        }
    }

    /// The name of a term under this preset.
    pub fn name(self, term: Term) -> &'static str {
        let (short, long) = self.term_names();
        match term {
            Term::Short => short,
            Term::Long => long,
            Term::Mixed => "mixed",
            Term::Pooled => "pooled cost",
        }
    }
}

impl std::fmt::Display for HoldingPreset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for HoldingPreset {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "one-year" => Ok(HoldingPreset::OneYearSplit),
            "tax-free-after-one-year" => Ok(HoldingPreset::TaxFreeAfterOneYear),
            _ => Err(format!("unknown holding preset {s:?}: expected one-year or tax-free-after-one-year")),
        }
    }
}

/// The holding term of a lot or a disposal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Term {
    /// Held one year or less (also: units matched at zero cost for lack of lots, whose date is unknown).
    Short,
    /// Held more than one year.
    Long,
    /// A disposal whose lots are of both terms.
    Mixed,
    /// A pooled cost without a single acquisition date (ACB, UK share pooling): no term.
    Pooled,
}

impl Term {
    /// `short`, `long`, `mixed` or `pooled` (the CSV's `term` column).
    pub fn as_str(self) -> &'static str {
        match self {
            Term::Short => "short",
            Term::Long => "long",
            Term::Mixed => "mixed",
            Term::Pooled => "pooled",
        }
    }
}

/// One lot a disposal used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LotRow {
    /// When the units were acquired (the pool's oldest time under ACB and UK share pooling).
    pub acquired: Timestamp,
    /// The account they were acquired in; `None` for a pooled cost of several accounts' units.
    pub account: Option<Arc<str>>,
    /// Units.
    pub amount: Decimal,
    /// Their cost.
    pub cost: Decimal,
    /// Whole UTC days from acquisition to disposal.
    pub held_days: i64,
    /// Short or long (pooled under ACB and UK share pooling).
    pub term: Term,
}

/// One disposal of the period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisposalRow {
    /// The ledger event's id.
    pub event: String,
    /// When.
    pub time: Timestamp,
    /// The account it happened in (ledger id, `venue/credential/wallet`).
    pub account: String,
    /// Asset disposed of.
    pub asset: Arc<str>,
    /// Which realized line it goes to.
    pub category: Category,
    /// Units disposed of.
    pub amount: Decimal,
    /// Proceeds in the reporting currency (net of fees when fees are in the cost basis).
    pub proceeds: Decimal,
    /// The event's fees as the venue charged them (`0.1 BNB; 1 USDT`; empty without any).
    pub fees: String,
    /// Matched cost.
    pub cost: Decimal,
    /// `proceeds - cost`.
    pub gain: Decimal,
    /// The part of `gain` of units held more than one year (zero under ACB and UK share pooling).
    pub long_gain: Decimal,
    /// Units matched at zero cost for lack of lots.
    pub missing: Decimal,
    /// The lots used.
    pub lots: Vec<LotRow>,
    /// The disposal's term: the lots' if they agree, else mixed.
    pub term: Term,
}

/// One realized line: the engine's figure, the part from the disposals listed, and the rest (income received or
/// paid in the reporting currency, a swap between two stablecoins counted as the currency: no lots).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Line {
    /// The engine's figure for the period (`Report::realized`).
    pub total: Decimal,
    /// The sum of the listed disposals' gains on this line.
    pub from_disposals: Decimal,
    /// `total - from_disposals`.
    pub without_lots: Decimal,
}

impl Line {
    fn of(total: Decimal, from_disposals: Decimal) -> Line {
        Line {
            total: total.normalize(),
            from_disposals: from_disposals.normalize(),
            without_lots: (total - from_disposals).normalize(),
        }
    }
}

/// The totals of the report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Trade disposals: proceeds.
    pub proceeds: Decimal,
    /// Trade disposals: cost.
    pub cost: Decimal,
    /// Trade line by holding term: held one year or less (with the trades without lots).
    pub short_term: Option<Decimal>,
    /// Held more than one year. `None` (with `short_term`) under ACB and UK share pooling.
    pub long_term: Option<Decimal>,
    /// Spot trades.
    pub trade: Line,
    /// Fees that are disposals of their own or paid in the currency.
    pub fee: Line,
    /// Futures realized PnL.
    pub futures: Line,
    /// Funding.
    pub funding: Line,
    /// Futures commissions.
    pub commission: Line,
    /// Other income: interest, rewards, rebates, airdrops.
    pub other: Line,
    /// The realized total: the dashboard's realized figure for the same period and method.
    pub realized: Decimal,
}

/// Income events of the period by type: how many, and what they paid per asset (the value is on the lines).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncomeCount {
    /// The ledger's income type (`realized_pnl`, `funding`, `commission`, `other`, `interest`).
    pub income_type: &'static str,
    /// Events.
    pub events: usize,
    /// Net amount per asset.
    pub amounts: Vec<(String, Decimal)>,
}

/// The gains report of a period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GainsReport {
    /// The reporting currency.
    pub currency: String,
    /// The method.
    pub method: Method,
    /// The holding preset.
    pub preset: HoldingPreset,
    /// The period's first instant (`None`: from the first event).
    pub from: Option<Timestamp>,
    /// Its last (`None`: to the last event).
    pub to: Option<Timestamp>,
    /// The accounts whose events are in the ledger (ledger ids).
    pub accounts: Vec<String>,
    /// Every disposal in the period, in time order.
    pub disposals: Vec<DisposalRow>,
    /// Income events by type.
    pub income: Vec<IncomeCount>,
    /// The totals.
    pub totals: Totals,
    /// False when a missing price or acquisition makes the figures incomplete (the report's `complete`).
    pub complete: bool,
}

fn fees_text(e: &Event) -> String {
    let list: Vec<String> = match &e.kind {
        EventKind::Trade { fees, .. } => fees
            .iter()
            .filter(|f| !f.amount.is_zero())
            .map(|f| format!("{} {}", f.amount.normalize(), f.asset))
            .collect(),
        EventKind::Withdrawal { asset, fee: Some(fee), .. } if !fee.is_zero() => {
            vec![format!("{} {asset}", fee.normalize())]
        }
        _ => Vec::new(),
    };
    list.join("; ")
}

fn income_name(t: IncomeType) -> &'static str {
    match t {
        IncomeType::RealizedPnl => "realized_pnl",
        IncomeType::Funding => "funding",
        IncomeType::Commission => "commission",
        IncomeType::Other => "other",
        IncomeType::Interest => "interest",
    }
}

/// The name of a realized line (the CSV's `category`).
pub fn category_name(c: Category) -> &'static str {
    match c {
        Category::Trade => "trade",
        Category::Fee => "fee",
        Category::Futures => "futures",
        Category::Funding => "funding",
        Category::Commission => "commission",
        Category::Other => "other",
    }
}

/// The income events among `events` by ledger type: how many, and their net amount per asset (the Gains report's
/// period; the drill-down's asset in the period).
pub fn income_by_type<'a>(events: impl IntoIterator<Item = &'a Event>) -> Vec<IncomeCount> {
    let mut income: Vec<IncomeCount> = Vec::new();
    for e in events {
        if let EventKind::Income { income_type, asset, amount, .. } = &e.kind {
            let name = income_name(*income_type);
            let i = match income.iter().position(|c| c.income_type == name) {
                Some(i) => i,
                None => {
                    income.push(IncomeCount { income_type: name, events: 0, amounts: Vec::new() });
                    income.len() - 1
                }
            };
            income[i].add(asset, *amount);
        }
    }
    for c in &mut income {
        c.amounts.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, v) in &mut c.amounts {
            *v = v.normalize();
        }
    }
    income.sort_by_key(|c| c.income_type);
    income
}

impl GainsReport {
    /// The gains report of `report`, computed by [`pnl::compute`] from `events` (the same slice: disposals name
    /// events by index).
    pub fn of(report: &Report, events: &[Event], preset: HoldingPreset) -> GainsReport {
        let pooled = report.holding_periods.is_none();
        let mut sums = DisposalSums::default();
        let disposals = report
            .disposals
            .iter()
            .map(|x| {
                let uses = &report.lot_uses[x.lots.clone()];
                let long_gain = long_gain(x, uses, pooled);
                sums.add(x, long_gain);
                disposal_row(x, &events[x.event], uses, pooled, long_gain)
            })
            .collect();
        let window = report.settings.window;
        GainsReport {
            currency: report.currency.clone(),
            method: report.method,
            preset,
            from: window.from,
            to: window.to,
            accounts: ledger_accounts(events),
            disposals,
            income: income_by_type(events.iter().filter(|e| window.contains(e.time))),
            totals: sums.totals(&report.realized, pooled),
            complete: report.complete,
        }
    }
}

/// The running sums of the disposals that the totals need: the gain per realized line, and the trade disposals'
/// proceeds, cost and gain on units held more than one year.
#[derive(Default)]
struct DisposalSums {
    by_line: [Decimal; 6],
    proceeds: Decimal,
    cost: Decimal,
    long_term: Decimal,
}

impl DisposalSums {
    /// Counts a disposal whose gain on units held more than one year is `long_gain`.
    fn add(&mut self, x: &pnl::Disposal, long_gain: Decimal) {
        self.by_line[x.category as usize] += x.proceeds - x.cost;
        if x.category == Category::Trade {
            self.proceeds += x.proceeds;
            self.cost += x.cost;
            if !x.amount.is_zero() {
                self.long_term += long_gain;
            }
        }
    }

    /// The totals: the engine's realized figures (`r`) line by line beside the disposals' part of each.
    fn totals(&self, r: &pnl::RealizedSplit, pooled: bool) -> Totals {
        let line = |c: Category, total: Decimal| Line::of(total, self.by_line[c as usize]);
        Totals {
            proceeds: self.proceeds.normalize(),
            cost: self.cost.normalize(),
            short_term: (!pooled).then(|| (r.trade - self.long_term).normalize()),
            long_term: (!pooled).then(|| self.long_term.normalize()),
            trade: line(Category::Trade, r.trade),
            fee: line(Category::Fee, r.fee),
            futures: line(Category::Futures, r.futures),
            funding: line(Category::Funding, r.funding),
            commission: line(Category::Commission, r.commission),
            other: line(Category::Other, r.other),
            realized: r.total.normalize(),
        }
    }
}

/// One disposal (`e` its event) with the lots it used (`uses`, its range of the report's lot uses) and their terms.
fn disposal_row(x: &pnl::Disposal, e: &Event, uses: &[pnl::LotUse], pooled: bool, long_gain: Decimal) -> DisposalRow {
    let lots: Vec<LotRow> = uses.iter().map(|u| lot_row(u, x.time, pooled)).collect();
    let gain = x.proceeds - x.cost;
    DisposalRow {
        event: e.id.clone(),
        time: x.time,
        account: e.account.as_str().to_owned(),
        asset: x.asset.clone(),
        category: x.category,
        amount: x.amount.normalize(),
        proceeds: x.proceeds.normalize(),
        fees: fees_text(e),
        cost: x.cost.normalize(),
        gain: gain.normalize(),
        long_gain: long_gain.normalize(),
        missing: x.missing.normalize(),
        term: disposal_term(&lots, x.missing),
        lots,
    }
}

/// A lot a disposal at `sold` used: long when held more than one year, pooled without a single acquisition date.
fn lot_row(u: &pnl::LotUse, sold: Timestamp, pooled: bool) -> LotRow {
    let term = if pooled {
        Term::Pooled
    } else if held_long(u, sold, pooled) {
        Term::Long
    } else {
        Term::Short
    };
    LotRow {
        acquired: u.lot_time,
        account: u.account.clone(),
        amount: u.amount.normalize(),
        cost: u.cost.normalize(),
        held_days: sold.day() - u.lot_time.day(),
        term,
    }
}

/// Whether a lot's units sold at `sold` were held more than one year (never for a pooled cost).
fn held_long(u: &pnl::LotUse, sold: Timestamp, pooled: bool) -> bool {
    !pooled && pnl::held_more_than_a_year(u.lot_time, sold)
}

/// The gain on the units held more than one year, the engine's split (docs/accounting.md §3b): the disposal's
/// proceeds shared by units.
fn long_gain(x: &pnl::Disposal, uses: &[pnl::LotUse], pooled: bool) -> Decimal {
    let (mut units, mut cost) = (Decimal::ZERO, Decimal::ZERO);
    for u in uses.iter().filter(|u| held_long(u, x.time, pooled)) {
        units += u.amount;
        cost += u.cost;
    }
    if units.is_zero() && cost.is_zero() {
        return Decimal::ZERO;
    }
    let p = if units == x.amount { x.proceeds } else { x.proceeds * units / x.amount };
    p - cost
}

/// A disposal's term: its lots' when they agree, else mixed; short when units lacked lots (or no lot was used).
fn disposal_term(lots: &[LotRow], missing: Decimal) -> Term {
    let mut terms = lots.iter().map(|l| l.term);
    let first = if missing > Decimal::ZERO { Some(Term::Short) } else { terms.next() };
    match first {
        None => Term::Short,
        Some(t) if terms.all(|u| u == t) => t,
        Some(_) => Term::Mixed,
    }
}

impl IncomeCount {
    /// One more event of this type, paying `amount` of `asset`.
    fn add(&mut self, asset: &str, amount: Decimal) {
        self.events += 1;
        match self.amounts.iter_mut().find(|(a, _)| a == asset) {
            Some((_, sum)) => *sum += amount,
            None => self.amounts.push((asset.to_owned(), amount)),
        }
    }
}

/// The accounts whose events are in the ledger (ledger ids), sorted, each once.
fn ledger_accounts(events: &[Event]) -> Vec<String> {
    let mut accounts: Vec<String> = events.iter().map(|e| e.account.as_str().to_owned()).collect();
    accounts.sort();
    accounts.dedup();
    accounts
}

/// The gains report as CSV: a `disposal` row for each disposal followed by a `lot` row for each lot it used, then
/// a blank line and the header and totals as `key,value` lines. Columns: docs/ledger-format.md, "Gains report CSV".
/// `account_name` turns a ledger account id into the name the user knows (the identity keeps the ids).
pub fn gains_csv(g: &GainsReport, account_name: &dyn Fn(&str) -> String) -> String {
    let mut out = Table::new();
    out.row(&[
        "row",
        "event",
        "time",
        "account",
        "asset",
        "category",
        "amount",
        "proceeds",
        "fees",
        "cost",
        "gain",
        "held_days",
        "term",
    ]);
    let (short, long) = g.preset.term_names();
    let term = |t: Term| match t {
        Term::Short => short,
        Term::Long => long,
        other => other.as_str(),
    };
    for x in &g.disposals {
        disposal_rows(&mut out, x, &term, account_name);
    }
    out.blank_line();
    out.row(&["summary", "value"]);
    for (k, v) in summary_lines(g, account_name) {
        out.row(&[&k, &v]);
    }
    out.finish()
}

/// A decimal as the CSV writes it: without trailing zeros.
fn plain(d: Decimal) -> String {
    d.normalize().to_string()
}

/// One disposal's rows: the disposal, each lot it took, and the units no acquisition explains.
fn disposal_rows(
    out: &mut Table,
    x: &DisposalRow,
    term: &dyn Fn(Term) -> &'static str,
    account_name: &dyn Fn(&str) -> String,
) {
    let n = plain;
    out.row(&[
        "disposal",
        &x.event,
        &x.time.to_string(),
        &account_name(&x.account),
        &x.asset,
        category_name(x.category),
        &n(x.amount),
        &n(x.proceeds),
        &x.fees,
        &n(x.cost),
        &n(x.gain),
        "",
        term(x.term),
    ]);
    for l in &x.lots {
        let account = l.account.as_deref().map_or_else(|| "pooled".to_owned(), account_name);
        out.row(&[
            "lot",
            &x.event,
            &l.acquired.to_string(),
            &account,
            &x.asset,
            "",
            &n(l.amount),
            "",
            "",
            &n(l.cost),
            "",
            &l.held_days.to_string(),
            term(l.term),
        ]);
    }
    if x.missing > Decimal::ZERO {
        out.row(&[
            "lot",
            &x.event,
            "",
            "missing acquisition",
            &x.asset,
            "",
            &n(x.missing),
            "",
            "",
            "0",
            "",
            "",
            term(Term::Short),
        ]);
    }
}

/// The summary's name/value lines: the report's scope, then its totals per line of the realized PnL and income.
fn summary_lines(g: &GainsReport, account_name: &dyn Fn(&str) -> String) -> Vec<(String, String)> {
    let n = plain;
    let (short, long) = g.preset.term_names();
    let t = &g.totals;
    let when = |t: Option<Timestamp>| t.map(|t| t.to_string()).unwrap_or_default();
    let opt = |d: Option<Decimal>| d.map(n).unwrap_or_default();
    let accounts: Vec<String> = g.accounts.iter().map(|a| account_name(a)).collect();
    let mut lines: Vec<(String, String)> = vec![
        ("currency".into(), g.currency.clone()),
        ("method".into(), g.method.to_string()),
        ("holding_preset".into(), g.preset.as_str().into()),
        ("from".into(), when(g.from)),
        ("to".into(), when(g.to)),
        ("accounts".into(), accounts.join("; ")),
        ("complete".into(), g.complete.to_string()),
        ("disposals".into(), g.disposals.len().to_string()),
        ("trade_proceeds".into(), n(t.proceeds)),
        ("trade_cost".into(), n(t.cost)),
        (format!("trade_{}", short.replace([' ', '-'], "_")), opt(t.short_term)),
        (format!("trade_{}", long.replace([' ', '-'], "_")), opt(t.long_term)),
    ];
    for (name, line) in [
        ("trade", &t.trade),
        ("fee", &t.fee),
        ("futures", &t.futures),
        ("funding", &t.funding),
        ("commission", &t.commission),
        ("other", &t.other),
    ] {
        lines.push((format!("realized_{name}"), n(line.total)));
        lines.push((format!("realized_{name}_from_disposals"), n(line.from_disposals)));
        lines.push((format!("realized_{name}_without_lots"), n(line.without_lots)));
    }
    lines.push(("realized_total".into(), n(t.realized)));
    for c in &g.income {
        let amounts: Vec<String> = c.amounts.iter().map(|(a, v)| format!("{v} {a}")).collect();
        lines.push((format!("income_{}_events", c.income_type), c.events.to_string()));
        lines.push((format!("income_{}_amounts", c.income_type), amounts.join("; ")));
    }
    lines
}

#[cfg(test)]
mod tests {
    use pnl::Settings;

    use super::*;

    fn ev(line: &str) -> Event {
        ledger::read_ledger(line.as_bytes(), "t").unwrap().remove(0)
    }

    /// Two accounts buy X; a third-year sale takes both lots (one held more than a year); a funding payment in USD.
    fn ledger() -> Vec<Event> {
        vec![
            ev(
                r#"{"id":"b1","time":"2023-01-01T00:00:00Z","account":"binance/a/spot","kind":"trade","spend":{"asset":"USD","amount":"10"},"receive":{"asset":"X","amount":"1"}}"#,
            ),
            ev(
                r#"{"id":"b2","time":"2024-01-01T00:00:00Z","account":"bitget/b/spot","kind":"trade","spend":{"asset":"USD","amount":"20"},"receive":{"asset":"X","amount":"1"}}"#,
            ),
            ev(
                r#"{"id":"s1","time":"2024-01-02T00:00:00Z","account":"bitget/b/spot","kind":"trade","spend":{"asset":"X","amount":"2"},"receive":{"asset":"USD","amount":"50"},"fees":[{"asset":"USD","amount":"1"}]}"#,
            ),
            ev(
                r#"{"id":"f1","time":"2024-01-03T00:00:00Z","account":"bitget/b/futures","kind":"income","type":"funding","asset":"USD","amount":"-2"}"#,
            ),
        ]
    }

    #[test]
    fn gains_rows_and_totals_add_up_to_the_realized_figure() {
        let events = ledger();
        let report = pnl::compute(&events, &[], &Settings::default());
        let g = GainsReport::of(&report, &events, HoldingPreset::OneYearSplit);
        assert_eq!(g.disposals.len(), 1);
        let x = &g.disposals[0];
        // fees in cost basis (the default): proceeds 50 - 1
        assert_eq!((x.proceeds, x.cost, x.gain), (Decimal::from(49), Decimal::from(30), Decimal::from(19)));
        assert_eq!(x.fees, "1 USD");
        assert_eq!(x.term, Term::Mixed);
        let acquired: Vec<Option<&str>> = x.lots.iter().map(|l| l.account.as_deref()).collect();
        assert_eq!(acquired, vec![Some("binance/a/spot"), Some("bitget/b/spot")]);
        assert_eq!((x.lots[0].term, x.lots[0].held_days), (Term::Long, 366));
        assert_eq!((x.lots[1].term, x.lots[1].held_days), (Term::Short, 1));
        // the 2023 unit: 24.5 - 10
        assert_eq!(x.long_gain, "14.5".parse().unwrap());
        let t = &g.totals;
        assert_eq!(t.long_term, Some("14.5".parse().unwrap()));
        assert_eq!(t.short_term, Some("4.5".parse().unwrap()));
        assert_eq!(t.long_term, report.holding_periods.as_ref().map(|h| h.long_term));
        assert_eq!(t.funding, Line { total: (-2).into(), from_disposals: 0.into(), without_lots: (-2).into() });
        // the identity the screen shows: the lines add up to the realized figure
        let sum = t.trade.total + t.fee.total + t.futures.total + t.funding.total + t.commission.total + t.other.total;
        assert_eq!(sum, t.realized);
        assert_eq!(t.realized, report.realized.total);
        assert_eq!(t.realized, Decimal::from(17));
        assert_eq!(
            g.income,
            vec![IncomeCount { income_type: "funding", events: 1, amounts: vec![("USD".into(), (-2).into())] }]
        );
        assert_eq!(g.accounts, vec!["binance/a/spot", "bitget/b/futures", "bitget/b/spot"]);
    }

    #[test]
    fn a_disposal_term_is_its_lots_when_they_agree_and_units_without_lots_count_as_short() {
        let lot = |term| LotRow {
            acquired: Timestamp(0),
            account: None,
            amount: Decimal::ONE,
            cost: Decimal::ONE,
            held_days: 0,
            term,
        };
        let (long, short) = (lot(Term::Long), lot(Term::Short));
        assert_eq!(disposal_term(&[long.clone(), long.clone()], Decimal::ZERO), Term::Long);
        assert_eq!(disposal_term(&[lot(Term::Pooled)], Decimal::ZERO), Term::Pooled);
        assert_eq!(disposal_term(&[long.clone(), short], Decimal::ZERO), Term::Mixed);
        // units matched at zero cost for lack of lots have no date: short, so beside a long lot mixed
        assert_eq!(disposal_term(&[long], Decimal::ONE), Term::Mixed);
        assert_eq!(disposal_term(&[], Decimal::ONE), Term::Short);
        assert_eq!(disposal_term(&[], Decimal::ZERO), Term::Short);
    }

    #[test]
    fn gains_csv_lists_each_disposal_then_its_lots_then_the_totals() {
        let events = ledger();
        let report = pnl::compute(&events, &[], &Settings::default());
        let g = GainsReport::of(&report, &events, HoldingPreset::TaxFreeAfterOneYear);
        let csv = gains_csv(&g, &|a: &str| a.to_uppercase());
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "row,event,time,account,asset,category,amount,proceeds,fees,cost,gain,held_days,term");
        assert_eq!(lines[1], "disposal,s1,2024-01-02T00:00:00Z,BITGET/B/SPOT,X,trade,2,49,1 USD,30,19,,mixed");
        assert_eq!(lines[2], "lot,s1,2023-01-01T00:00:00Z,BINANCE/A/SPOT,X,,1,,,10,,366,tax-free");
        assert_eq!(lines[3], "lot,s1,2024-01-01T00:00:00Z,BITGET/B/SPOT,X,,1,,,20,,1,taxable");
        assert_eq!(lines[4], "");
        for line in [
            "method,fifo",
            "holding_preset,tax-free-after-one-year",
            "accounts,BINANCE/A/SPOT; BITGET/B/FUTURES; BITGET/B/SPOT",
            "trade_taxable,4.5",
            "trade_tax_free,14.5",
            "realized_funding,-2",
            "realized_funding_without_lots,-2",
            "realized_total,17",
            "income_funding_events,1",
            "income_funding_amounts,-2 USD",
        ] {
            assert!(lines.contains(&line), "{line} in\n{csv}");
        }
        assert!(lines.contains(&format!("complete,{}", report.complete).as_str()));
        // under UK share pooling a cost has no acquisition date: no term, the split left empty
        let uk = Settings { method: Method::Uk, ..Settings::default() };
        let g = GainsReport::of(&pnl::compute(&events, &[], &uk), &events, HoldingPreset::OneYearSplit);
        let csv = gains_csv(&g, &|a: &str| a.to_owned());
        assert!(csv.lines().any(|l| l == "trade_long_term,"), "{csv}");
        assert!(csv.lines().any(|l| l.starts_with("lot,s1,") && l.ends_with(",pooled")), "{csv}");
    }
}
