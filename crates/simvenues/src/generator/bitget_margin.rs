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

/// Daily interest rate of the BTC loan (charged hourly, a 24th of it).
fn daily_rate() -> Decimal {
    Decimal::new(24, 5)
}

impl BitgetActivity<'_> {
    /// The cross margin acts of a classic account.
    pub(super) fn margin_act(&mut self, t: i64, act: Act) {
        match act {
            Act::MarginIn | Act::MarginOut => self.margin_transfer(t, act == Act::MarginIn),
            Act::MarginBorrow => self.bitget_borrow(t),
            Act::MarginSell => {
                if let Some((principal, _)) = self.margin_debt {
                    self.bitget_margin_fill(t, false, principal);
                }
            }
            Act::MarginInterest => self.bitget_interest(t, "scheduled"),
            Act::MarginBuyBack => {
                if let Some((principal, interest)) = self.margin_debt {
                    self.bitget_margin_fill(t, true, principal + interest);
                }
            }
            Act::MarginRepay => self.bitget_repay(t),
            _ => {}
        }
    }

    /// A finance flow row at `t` (ids grow with time; rows of one millisecond in the order made).
    fn margin_flow(
        &mut self,
        t: i64,
        kind: &'static str,
        coin: &str,
        amount: Decimal,
        fee: Decimal,
        interest: Decimal,
    ) {
        let (start, index) = (self.start, self.index);
        let n = self.a.margin.flows.iter().filter(|f| f.time == t).count() as u64;
        let id = rid(190_000_000_000_000_000, start, t, index) * 8 + n;
        let coin = interned(coin);
        self.a.margin.flows.push(BitgetMarginFlow { id, time: t, coin, kind, amount, fee, interest });
    }

    /// 200 USDT from spot in (when spot holds them), or all but 20 USDT back out: a transfer record, the spot bill
    /// and the finance flow's row.
    fn margin_transfer(&mut self, t: i64, into: bool) {
        let (start, index) = (self.start, self.index);
        let amount = if into { Decimal::from(200) } else { bal(&self.margin, "USDT") - Decimal::from(20) };
        let from_spot = if into { bal(&self.spot, "USDT") } else { amount };
        if amount <= Decimal::ZERO || from_spot < amount || self.market.symbol(BITGET_MARGIN_PAIR).is_none() {
            return;
        }
        let signed = if into { amount } else { -amount };
        add(&mut self.spot, "USDT", -signed);
        add(&mut self.margin, "USDT", signed);
        let (from, to) = if into { ("spot", "margin") } else { ("margin", "spot") };
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
        let kind = if into { "transfer_in" } else { "transfer_out" };
        self.margin_flow(t, kind, "USDT", signed, Decimal::ZERO, Decimal::ZERO);
    }

    /// Borrows BTC worth about 100 USDT (the net balance does not move), and the first interest on borrowing.
    fn bitget_borrow(&mut self, t: i64) {
        let price = self.market.price(BITGET_MARGIN_PAIR, t);
        if self.margin.is_empty() || price.is_zero() {
            return;
        }
        let principal = (Decimal::from(100) / price).round_dp(5);
        self.margin_debt = Some((principal, Decimal::ZERO));
        self.margin_flow(t, "borrow", "BTC", principal, Decimal::ZERO, Decimal::ZERO);
        self.bitget_interest(t + 1, "first");
    }

    /// An hour's interest on the open loan: owed, so the net balance falls.
    fn bitget_interest(&mut self, t: i64, kind: &'static str) {
        let (start, index) = (self.start, self.index);
        let Some((principal, interest)) = self.margin_debt else { return };
        let amount = (principal * daily_rate() / Decimal::from(24)).round_dp(8);
        self.margin_debt = Some((principal, interest + amount));
        add(&mut self.margin, "BTC", -amount);
        let id = rid(1_910_000_000_000_000_000, start, t, index);
        self.a.margin.interest.push(BitgetMarginInterest { id, time: t, coin: interned("BTC"), amount, kind });
    }

    /// A BTCUSDT fill of `qty` BTC at the market, 0.1 % commission in USDT: the wallet's changes and the finance
    /// flow's `deal_out` and `deal_in` rows (the commission as the USDT row's fee).
    fn bitget_margin_fill(&mut self, t: i64, buy: bool, qty: Decimal) {
        let (start, index) = (self.start, self.index);
        let id = rid(1_920_000_000_000_000_000, start, t, index);
        let f = pair_fill(id, t, self.market.price(BITGET_MARGIN_PAIR, t), buy, qty, None);
        let commission = f.fill.commission;
        let mut legs = f.changes.to_vec();
        legs.sort_by_key(|(_, change)| !change.is_sign_negative());
        for (coin, change) in legs {
            add(&mut self.margin, coin, change);
            let (amount, fee) =
                if coin == "USDT" { (change + commission, -commission) } else { (change, Decimal::ZERO) };
            let kind = if amount.is_sign_negative() { "deal_out" } else { "deal_in" };
            self.margin_flow(t, kind, coin, amount, fee, Decimal::ZERO);
        }
        self.a.margin.fills.push(f.fill);
    }

    /// Repays the loan with its interest: units and debt leave together (the net balance does not move); the
    /// finance flow's one `repay` row is the whole, its interest noted for the tax record.
    fn bitget_repay(&mut self, t: i64) {
        let Some((principal, interest)) = self.margin_debt.take() else { return };
        self.margin_flow(t, "repay", "BTC", -(principal + interest), Decimal::ZERO, -interest);
    }
}
