//! A Binance data account's isolated margin activity on one pair, BTCUSDT (docs/venues.md §1.18), after its cross
//! margin script: 100 USDT moved from cross margin to the pair (`MARGIN_ISOLATEDMARGIN`, `toSymbol`); a BTC borrow
//! in the pair, sold; interest charged on the borrow and an hour later; the BTC owed bought back and the loan repaid
//! with its interest; 10 USDT moved on to a second pair, ETHUSDT (`ISOLATEDMARGIN_ISOLATEDMARGIN`, `fromSymbol` and
//! `toSymbol`), which keeps them; then what the first pair holds but 20 USDT moved back to cross margin
//! (`ISOLATEDMARGIN_MARGIN`, `fromSymbol`), so both pairs' wallets keep a balance. Five days before the history's
//! end, after the cross script's repay; ids come from the time (no draw from the account's random stream).

use super::*;

/// The records of one isolated margin pair (its wallet is `isolated-{SYMBOL}` in [`BinanceAccount::wallets`]).
#[derive(Clone, Debug, Default)]
pub struct IsolatedPair {
    /// Fills in the pair (`myTrades` with `isIsolated=TRUE`), chronological.
    pub trades: Vec<SpotFill>,
    /// Borrows and repays (`borrow-repay` with `isolatedSymbol`), chronological.
    pub loans: Vec<MarginLoan>,
    /// Interest charged (`interestHistory` with `isolatedSymbol`), chronological.
    pub interest: Vec<MarginInterest>,
    /// The pair's capital flow (`capital-flow` with `symbol`), chronological.
    pub flows: Vec<MarginFlow>,
}

/// The isolated script's acts, as times before the history's end.
pub(super) const ISOLATED_SCRIPT: &[(i64, Act)] = &[
    (5 * DAY - 4 * HOUR, Act::IsolatedIn),
    (5 * DAY - 4 * HOUR - MINUTE, Act::IsolatedBorrow),
    (5 * DAY - 4 * HOUR - 2 * MINUTE, Act::IsolatedSell),
    (5 * DAY - 5 * HOUR, Act::IsolatedInterest),
    (5 * DAY - 6 * HOUR, Act::IsolatedBuyBack),
    (5 * DAY - 6 * HOUR - MINUTE, Act::IsolatedRepay),
    (5 * DAY - 6 * HOUR - 3 * MINUTE / 2, Act::IsolatedAcross),
    (5 * DAY - 6 * HOUR - 2 * MINUTE, Act::IsolatedOut),
];

/// The isolated pair.
pub const ISOLATED_PAIR: &str = "BTCUSDT";
/// Its wallet.
pub const ISOLATED_WALLET: &str = "isolated-BTCUSDT";
/// The second pair, which the first sends 10 USDT to.
pub const ACROSS_PAIR: &str = "ETHUSDT";
/// Its wallet.
pub const ACROSS_WALLET: &str = "isolated-ETHUSDT";

/// What the pair keeps when the rest goes back to cross margin.
fn kept() -> Decimal {
    Decimal::from(20)
}

impl BinanceActivity<'_> {
    /// The pair's records.
    fn pair_records(&mut self) -> &mut IsolatedPair {
        self.a.isolated.entry(interned(ISOLATED_PAIR)).or_default()
    }

    /// A capital flow row of the pair.
    fn isolated_flow(&mut self, t: i64, kind: &'static str, asset: &str, amount: Decimal, tran_id: u64) {
        self.pair_flow(ISOLATED_PAIR, t, kind, asset, amount, tran_id);
    }

    /// A capital flow row of `symbol`'s pair.
    fn pair_flow(&mut self, symbol: &str, t: i64, kind: &'static str, asset: &str, amount: Decimal, tran_id: u64) {
        let (start, index) = (self.start, self.index);
        let pair = self.a.isolated.entry(interned(symbol)).or_default();
        let n = pair.flows.len() as u64;
        pair.flows.push(MarginFlow {
            id: rid(85_000_000_000, start, t, index) * 8 + n % 8,
            tran_id,
            asset: interned(asset),
            symbol: Some(interned(symbol)),
            kind,
            amount,
            time: t,
        });
    }

    /// 10 USDT from the pair to the second pair, with a flow in each, when the pair owes nothing.
    pub(super) fn isolated_across(&mut self, t: i64) {
        let amount = Decimal::from(10);
        if self.isolated_debt.is_some()
            || bal(&self.isolated, "USDT") < amount
            || self.market.symbol(ACROSS_PAIR).is_none()
        {
            return;
        }
        let id = rid(12_000_000_000, self.start, t, self.index);
        add(&mut self.isolated, "USDT", -amount);
        add(&mut self.across, "USDT", amount);
        let transfer =
            Transfer { id, from: ISOLATED_WALLET, to: ACROSS_WALLET, asset: interned("USDT"), amount, time: t };
        self.a.transfers.push(transfer);
        self.isolated_flow(t, "TRANSFER", "USDT", amount, id);
        self.pair_flow(ACROSS_PAIR, t, "TRANSFER", "USDT", amount, id);
    }

    /// A universal transfer of USDT between cross margin and the pair (`into`: to the pair), with its flow in the
    /// pair.
    fn isolated_transfer(&mut self, t: i64, into: bool, amount: Decimal) {
        let (start, index) = (self.start, self.index);
        let id = rid(11_000_000_000, start, t, index);
        let (from, to) = if into { ("margin", ISOLATED_WALLET) } else { (ISOLATED_WALLET, "margin") };
        let sign = if into { Decimal::ONE } else { Decimal::NEGATIVE_ONE };
        add(&mut self.margin, "USDT", -sign * amount);
        add(&mut self.isolated, "USDT", sign * amount);
        self.a.transfers.push(Transfer { id, from, to, asset: interned("USDT"), amount, time: t });
        self.isolated_flow(t, "TRANSFER", "USDT", amount, id);
    }

    /// 100 USDT from cross margin to the pair, when cross margin holds them and owes nothing.
    pub(super) fn isolated_in(&mut self, t: i64) {
        let amount = Decimal::from(100);
        if bal(&self.margin, "USDT") < amount
            || self.margin_debt.is_some()
            || self.market.symbol(ISOLATED_PAIR).is_none()
        {
            return;
        }
        self.isolated_transfer(t, true, amount);
    }

    /// What the pair holds back to cross margin, but 20 USDT.
    pub(super) fn isolated_out(&mut self, t: i64) {
        let amount = bal(&self.isolated, "USDT") - kept();
        if self.isolated_debt.is_some() || amount <= Decimal::ZERO {
            return;
        }
        self.isolated_transfer(t, false, amount);
    }

    /// Borrows BTC worth about 50 USDT in the pair.
    pub(super) fn isolated_borrow(&mut self, t: i64) {
        let (start, index) = (self.start, self.index);
        let price = self.g.usdt_value("BTC", t);
        if self.isolated.is_empty() || price.is_zero() {
            return;
        }
        let principal = (Decimal::from(50) / price).round_dp(5);
        let tx_id = rid(86_000_000_000, start, t, index);
        self.isolated_debt = Some((tx_id, principal, Decimal::ZERO));
        let loan =
            MarginLoan { tx_id, repay: false, asset: interned("BTC"), principal, interest: Decimal::ZERO, time: t };
        self.pair_records().loans.push(loan);
        self.isolated_flow(t, "BORROW", "BTC", principal, tx_id);
        self.isolated_charge(t + 1, "ON_BORROW");
    }

    /// Interest on the pair's open loan at the cross loan's hourly rate.
    fn isolated_charge(&mut self, t: i64, kind: &'static str) {
        let Some((tx_id, principal, interest)) = self.isolated_debt else { return };
        let charged = (principal * Decimal::new(1, 5)).round_dp(8);
        self.isolated_debt = Some((tx_id, principal, interest + charged));
        add(&mut self.isolated, "BTC", -charged);
        let row = MarginInterest { tx_id, asset: interned("BTC"), principal, interest: charged, kind, time: t };
        self.pair_records().interest.push(row);
    }

    /// Hourly interest on the pair's open loan.
    pub(super) fn isolated_interest(&mut self, t: i64) {
        self.isolated_charge(t, "PERIODIC");
    }

    /// A fill in the pair of `qty` BTC at the market (a whole price), 0.1 % commission in USDT, with its flows.
    fn isolated_fill(&mut self, t: i64, buy: bool, qty: Decimal) {
        let (start, index) = (self.start, self.index);
        let id = rid(87_000_000_000, start, t, index);
        let f = super::margin::pair_fill(id, t, self.market.price(ISOLATED_PAIR, t), buy, qty, None);
        for (asset, change) in f.changes {
            add(&mut self.isolated, asset, change);
        }
        self.pair_records().trades.push(f.fill);
        for (flow, asset, amount) in f.flows {
            self.isolated_flow(t, flow, asset, amount, id);
        }
    }

    /// Sells the borrowed BTC.
    pub(super) fn isolated_sell(&mut self, t: i64) {
        if let Some((_, principal, _)) = self.isolated_debt {
            self.isolated_fill(t, false, principal);
        }
    }

    /// Buys back what is owed: the principal and the interest.
    pub(super) fn isolated_buy_back(&mut self, t: i64) {
        if let Some((_, principal, interest)) = self.isolated_debt {
            self.isolated_fill(t, true, principal + interest);
        }
    }

    /// Repays the pair's loan with its interest.
    pub(super) fn isolated_repay(&mut self, t: i64) {
        let (start, index) = (self.start, self.index);
        let Some((_, principal, interest)) = self.isolated_debt.take() else { return };
        let tx_id = rid(88_000_000_000, start, t, index);
        let loan = MarginLoan { tx_id, repay: true, asset: interned("BTC"), principal, interest, time: t };
        self.pair_records().loans.push(loan);
        self.isolated_flow(t, "REPAY", "BTC", principal + interest, tx_id);
    }
}
