//! A Bitget classic data account's cross margin (docs/venues.md §2.15): 200 USDT moved from spot to cross margin, a
//! BTC borrow worth about 100 USDT sold, interest charged on borrowing and hourly, the BTC owed bought back and the
//! loan repaid with its interest, then all but 20 USDT moved back to spot. Five and a quarter days before the
//! history's end (inside the tiny world's six days); ids come from the time (no draw from the account's random
//! stream). The fills are cross margin's and the isolated pairs' on Binance ([`super::margin::pair_fill`]).

use super::*;
use crate::generator::margin::pair_fill;

/// A row of the cross margin finance flow (`GET /api/v2/margin/crossed/financial-records`), the margin tax
/// record's source.
#[derive(Clone, Debug)]
pub struct BitgetMarginFlow {
    /// `marginId`.
    pub id: u64,
    /// `cTime`, ms.
    pub time: i64,
    /// `coin`.
    pub coin: Symbol,
    /// `marginType`: `transfer_in`, `transfer_out`, `borrow`, `repay`, `deal_in`, `deal_out`.
    pub kind: &'static str,
    /// `amount`, signed: what the row adds to the coin's units in the wallet.
    pub amount: Decimal,
    /// `fee`, signed (a commission paid is negative).
    pub fee: Decimal,
    /// A repay's interest, part of its `amount` (the tax record's `interest_repay`).
    pub interest: Decimal,
}

/// Interest charged (`GET /api/v2/margin/crossed/interest-history`).
#[derive(Clone, Debug)]
pub struct BitgetMarginInterest {
    /// `interestId`.
    pub id: u64,
    /// `cTime`, ms.
    pub time: i64,
    /// `loanCoin` and `interestCoin` (the same here).
    pub coin: Symbol,
    /// `interestAmount`.
    pub amount: Decimal,
    /// `interstType`: `first` (on borrowing) or `scheduled` (hourly).
    pub kind: &'static str,
}

/// A classic account's cross margin records.
#[derive(Clone, Debug, Default)]
pub struct BitgetMargin {
    /// The finance flow, chronological.
    pub flows: Vec<BitgetMarginFlow>,
    /// Interest charged, chronological.
    pub interest: Vec<BitgetMarginInterest>,
    /// Fills of [`BITGET_MARGIN_PAIR`], chronological.
    pub fills: Vec<SpotFill>,
}

impl BitgetMargin {
    /// What the wallet owes of `coin` after its rows: principal borrowed and not repaid, and interest charged and
    /// not repaid (the assets' `borrow` and `interest`).
    pub fn owed(&self, coin: &str) -> (Decimal, Decimal) {
        let mut principal = Decimal::ZERO;
        for f in self.flows.iter().filter(|f| &*f.coin == coin) {
            match f.kind {
                "borrow" => principal += f.amount,
                "repay" => principal += f.amount - f.interest,
                _ => {}
            }
        }
        let charged: Decimal = self.interest.iter().filter(|i| &*i.coin == coin).map(|i| i.amount).sum();
        let repaid: Decimal = -self.flows.iter().filter(|f| &*f.coin == coin).map(|f| f.interest).sum::<Decimal>();
        (principal, charged - repaid)
    }

    /// The records up to `t` (a world as the venue showed it then).
    pub fn upto(&self, t: i64) -> Self {
        BitgetMargin {
            flows: self.flows.iter().filter(|f| f.time <= t).cloned().collect(),
            interest: self.interest.iter().filter(|i| i.time <= t).cloned().collect(),
            fills: self.fills.iter().filter(|f| f.time <= t).cloned().collect(),
        }
    }
}

/// The pair traded on cross margin.
pub const BITGET_MARGIN_PAIR: &str = "BTCUSDT";

/// The script's acts, as times before the history's end (Binance's cross margin acts, and [`Act::MarginOut`]).
pub(super) const BITGET_MARGIN_SCRIPT: &[(i64, Act)] = &[
    (5 * DAY + 6 * HOUR, Act::MarginIn),
    (5 * DAY + 6 * HOUR - MINUTE, Act::MarginBorrow),
    (5 * DAY + 6 * HOUR - 2 * MINUTE, Act::MarginSell),
    (5 * DAY + 5 * HOUR, Act::MarginInterest),
    (5 * DAY + 4 * HOUR, Act::MarginInterest),
    (5 * DAY + 3 * HOUR, Act::MarginBuyBack),
    (5 * DAY + 3 * HOUR - MINUTE, Act::MarginRepay),
    (5 * DAY + 2 * HOUR, Act::MarginOut),
];

/// A unified account's margin script (docs/venues.md §2.8): the cross margin acts in the unified wallet, with no
/// transfer in or out (spot and margin are one wallet), the loan repaid as two rows (principal, then the interest
/// charged), and a second borrow a day before the history's end left open with its interest, so the account ends
/// owing it: its assets show the borrowed coins in `balance` and what is owed in `debt`.
pub(super) const BITGET_UNIFIED_MARGIN_SCRIPT: &[(i64, Act)] = &[
    (5 * DAY + 6 * HOUR - MINUTE, Act::MarginBorrow),
    (5 * DAY + 6 * HOUR - 2 * MINUTE, Act::MarginSell),
    (5 * DAY + 5 * HOUR, Act::MarginInterest),
    (5 * DAY + 4 * HOUR, Act::MarginInterest),
    (5 * DAY + 3 * HOUR, Act::MarginBuyBack),
    (5 * DAY + 3 * HOUR - MINUTE, Act::MarginRepay),
    (DAY, Act::MarginBorrow),
    (DAY - HOUR, Act::MarginInterest),
];

/// Which margin wallet a script act is in: a classic account's cross margin or isolated pair
/// ([`super::bitget_isolated`]), or a unified account's one wallet. The scripts are the same acts with their own
/// amounts, rates and ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum MarginKind {
    Cross,
    Isolated,
    Unified,
}

/// What sets one margin script apart from the other.
struct MarginRules {
    /// The wallet (`margin`, `isolated-BTCUSDT`).
    wallet: &'static str,
    /// The pair traded.
    pair: &'static str,
    /// USDT moved in from spot.
    moved_in: i64,
    /// The borrow's worth in USDT.
    borrow_worth: i64,
    /// Daily interest rate of the BTC loan, in hundred-thousandths (charged hourly, a 24th of it).
    daily_rate: i64,
    /// The id ranges of the finance flow's rows, the interest rows and the fills.
    ids: (u64, u64, u64),
}

impl MarginKind {
    fn rules(self) -> MarginRules {
        match self {
            MarginKind::Cross => MarginRules {
                wallet: "margin",
                pair: BITGET_MARGIN_PAIR,
                moved_in: 200,
                borrow_worth: 100,
                daily_rate: 24,
                ids: (190_000_000_000_000_000, 1_910_000_000_000_000_000, 1_920_000_000_000_000_000),
            },
            MarginKind::Isolated => MarginRules {
                wallet: BITGET_ISOLATED_WALLET,
                pair: BITGET_ISOLATED_PAIR,
                moved_in: 100,
                borrow_worth: 50,
                daily_rate: 30,
                ids: (195_000_000_000_000_000, 1_930_000_000_000_000_000, 1_940_000_000_000_000_000),
            },
            MarginKind::Unified => MarginRules {
                wallet: "unified",
                pair: BITGET_MARGIN_PAIR,
                moved_in: 0,
                borrow_worth: 60,
                daily_rate: 24,
                ids: (197_000_000_000_000_000, 1_950_000_000_000_000_000, 1_960_000_000_000_000_000),
            },
        }
    }
}

/// What a margin wallet keeps when the rest goes back to spot.
fn kept() -> Decimal {
    Decimal::from(20)
}

impl BitgetActivity<'_> {
    /// A margin script's act: a classic account's cross margin (`Margin*`) or isolated pair (`Isolated*`), or a
    /// unified account's (`Margin*`, in its one wallet: nothing moves in or out).
    pub(super) fn margin_act(&mut self, t: i64, act: Act) {
        use Act::*;
        let kind = match act {
            _ if self.unified => MarginKind::Unified,
            MarginIn | MarginBorrow | MarginSell | MarginInterest | MarginBuyBack | MarginRepay | MarginOut => {
                MarginKind::Cross
            }
            _ => MarginKind::Isolated,
        };
        match act {
            MarginIn | MarginOut if kind == MarginKind::Unified => {}
            MarginIn | IsolatedIn => self.margin_transfer(kind, t, true),
            MarginOut | IsolatedOut => self.margin_transfer(kind, t, false),
            MarginBorrow | IsolatedBorrow => self.margin_borrow(kind, t),
            MarginSell | IsolatedSell => {
                if let Some((principal, _)) = *self.margin_book(kind).1 {
                    self.margin_fill(kind, t, false, principal);
                }
            }
            MarginInterest | IsolatedInterest => self.margin_interest(kind, t, "scheduled"),
            MarginBuyBack | IsolatedBuyBack => {
                if let Some((principal, interest)) = *self.margin_book(kind).1 {
                    // only with the USDT to pay for it (a unified wallet's may have been spent since the borrow)
                    let price = self.market.price(kind.rules().pair, t);
                    let cost = (principal + interest) * price * Decimal::new(1002, 3);
                    if bal(self.margin_book(kind).0, "USDT") >= cost {
                        self.margin_fill(kind, t, true, principal + interest);
                    }
                }
            }
            MarginRepay | IsolatedRepay => self.margin_repay(kind, t),
            _ => {}
        }
    }

    /// A margin wallet's running balances, its open loan (principal, interest charged) and its records.
    fn margin_book(&mut self, kind: MarginKind) -> (&mut Balances, &mut Option<(Decimal, Decimal)>, &mut BitgetMargin) {
        match kind {
            MarginKind::Cross => (&mut self.margin, &mut self.margin_debt, &mut self.a.margin),
            MarginKind::Isolated => (&mut self.isolated, &mut self.isolated_debt, &mut self.a.isolated),
            MarginKind::Unified => (&mut self.spot, &mut self.margin_debt, &mut self.a.margin),
        }
    }

    /// A finance flow row at `t` (ids grow with time; rows of one millisecond in the order made).
    fn margin_flow(&mut self, kind: MarginKind, t: i64, row: (&'static str, &str, Decimal, Decimal, Decimal)) {
        let (margin_type, coin, amount, fee, interest) = row;
        let (start, index, base) = (self.start, self.index, kind.rules().ids.0);
        let records = self.margin_book(kind).2;
        let n = records.flows.iter().filter(|f| f.time == t).count() as u64;
        let id = rid(base, start, t, index) * 8 + n;
        let coin = interned(coin);
        records.flows.push(BitgetMarginFlow { id, time: t, coin, kind: margin_type, amount, fee, interest });
    }

    /// USDT from spot in (when spot holds them), or all but 20 USDT back out: a transfer record, the spot bill and
    /// the finance flow's row. The isolated pair moves nothing out before it was opened.
    fn margin_transfer(&mut self, kind: MarginKind, t: i64, into: bool) {
        let (start, index, rules) = (self.start, self.index, kind.rules());
        let (wallet, _, records) = self.margin_book(kind);
        let amount = if into { Decimal::from(rules.moved_in) } else { bal(wallet, "USDT") - kept() };
        let opened = into || kind == MarginKind::Cross || !records.flows.is_empty();
        let from_spot = if into { bal(&self.spot, "USDT") } else { amount };
        if !opened || amount <= Decimal::ZERO || from_spot < amount || self.market.symbol(rules.pair).is_none() {
            return;
        }
        let signed = if into { amount } else { -amount };
        add(&mut self.spot, "USDT", -signed);
        add(self.margin_book(kind).0, "USDT", signed);
        let (from, to) = if into { ("spot", rules.wallet) } else { (rules.wallet, "spot") };
        let id = rid(1_500_000_000_000_000_000, start, t, index);
        self.a.transfers.push(Transfer { id, from, to, asset: interned("USDT"), amount, time: t });
        self.a.spot_bills.push(Bill {
            id: rid(1_200_000_000_000_000_000, start, t, index),
            time: t,
            coin: interned("USDT"),
            symbol: None,
            business_type: if into { "TRANSFER_OUT" } else { "TRANSFER_IN" },
            group_type: "transfer",
            amount: -signed,
            fee: Decimal::ZERO,
            balance: bal(&self.spot, "USDT"),
        });
        let margin_type = if into { "transfer_in" } else { "transfer_out" };
        self.margin_flow(kind, t, (margin_type, "USDT", signed, Decimal::ZERO, Decimal::ZERO));
    }

    /// Borrows BTC worth the script's amount (the net balance does not move), and the first interest on borrowing.
    fn margin_borrow(&mut self, kind: MarginKind, t: i64) {
        let rules = kind.rules();
        let price = self.market.price(rules.pair, t);
        let (wallet, debt, _) = self.margin_book(kind);
        // only what the wallet's USDT can buy back, interest and all, and one loan at a time
        let affordable = bal(wallet, "USDT") >= Decimal::from(2 * rules.borrow_worth);
        if price.is_zero() || !affordable || debt.is_some() {
            return;
        }
        let principal = (Decimal::from(rules.borrow_worth) / price).round_dp(5);
        *debt = Some((principal, Decimal::ZERO));
        self.margin_flow(kind, t, ("borrow", "BTC", principal, Decimal::ZERO, Decimal::ZERO));
        self.margin_interest(kind, t + 1, "first");
    }

    /// An hour's interest on the open loan: owed, so the net balance falls.
    fn margin_interest(&mut self, kind: MarginKind, t: i64, interest_type: &'static str) {
        let (start, index, rules) = (self.start, self.index, kind.rules());
        let (wallet, debt, records) = self.margin_book(kind);
        let Some((principal, interest)) = *debt else { return };
        let amount = (principal * Decimal::new(rules.daily_rate, 5) / Decimal::from(24)).round_dp(8);
        *debt = Some((principal, interest + amount));
        add(wallet, "BTC", -amount);
        let id = rid(rules.ids.1, start, t, index);
        records.interest.push(BitgetMarginInterest { id, time: t, coin: interned("BTC"), amount, kind: interest_type });
    }

    /// A fill of `qty` BTC at the market, 0.1 % commission in USDT: the wallet's changes and the finance flow's
    /// `deal_out` and `deal_in` rows (the commission as the USDT row's fee).
    fn margin_fill(&mut self, kind: MarginKind, t: i64, buy: bool, qty: Decimal) {
        let (start, index, rules) = (self.start, self.index, kind.rules());
        let id = rid(rules.ids.2, start, t, index);
        let f = pair_fill(id, t, self.market.price(rules.pair, t), buy, qty, None);
        let commission = f.fill.commission;
        let mut legs = f.changes.to_vec();
        legs.sort_by_key(|(_, change)| !change.is_sign_negative());
        for (coin, change) in legs {
            add(self.margin_book(kind).0, coin, change);
            let (amount, fee) =
                if coin == "USDT" { (change + commission, -commission) } else { (change, Decimal::ZERO) };
            let margin_type = if amount.is_sign_negative() { "deal_out" } else { "deal_in" };
            self.margin_flow(kind, t, (margin_type, coin, amount, fee, Decimal::ZERO));
        }
        self.margin_book(kind).2.fills.push(f.fill);
    }

    /// Repays the loan with its interest: units and debt leave together (the net balance does not move); the
    /// finance flow's one `repay` row is the whole, its interest noted for the tax record. A unified account's
    /// records repay the principal (`repay`, `REPAYMENT`) and the interest (`interest_repay`,
    /// `INTEREST_REPAYMENT`) apart. A loan whose coins were not bought back stays open (the wallet's units would go
    /// below zero).
    fn margin_repay(&mut self, kind: MarginKind, t: i64) {
        let (wallet, debt, _) = self.margin_book(kind);
        if bal(wallet, "BTC") < Decimal::ZERO {
            return;
        }
        let Some((principal, interest)) = debt.take() else { return };
        if kind == MarginKind::Unified {
            self.margin_flow(kind, t, ("repay", "BTC", -principal, Decimal::ZERO, Decimal::ZERO));
            if !interest.is_zero() {
                self.margin_flow(kind, t, ("interest_repay", "BTC", -interest, Decimal::ZERO, -interest));
            }
            return;
        }
        self.margin_flow(kind, t, ("repay", "BTC", -(principal + interest), Decimal::ZERO, -interest));
    }
}
