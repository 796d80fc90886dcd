//! A Bitget classic data account's isolated margin on one pair, BTCUSDT (docs/venues.md §2.18), its wallet
//! `isolated-BTCUSDT`: 100 USDT moved from spot into the pair (a transfer record with `toType` `isolated_margin` and
//! `toSymbol`), a BTC borrow worth about 50 USDT sold, interest charged on borrowing and an hour later, the BTC owed
//! bought back and the loan repaid with its interest, then all but 20 USDT moved back to spot (`fromSymbol`), so the
//! pair keeps a balance. Four days before the history's end (after the cross margin script, inside the tiny world's
//! six days); ids come from the time (no draw from the account's random stream). The rows are the cross margin
//! ones' ([`BitgetMargin`]), served with the pair's `symbol`.

use super::*;
use crate::generator::margin::pair_fill;

/// The isolated pair.
pub const BITGET_ISOLATED_PAIR: &str = "BTCUSDT";
/// Its wallet (`bitget/{label}/isolated-BTCUSDT`).
pub const BITGET_ISOLATED_WALLET: &str = "isolated-BTCUSDT";

/// The script's acts, as times before the history's end (Binance's isolated acts).
pub(super) const BITGET_ISOLATED_SCRIPT: &[(i64, Act)] = &[
    (4 * DAY + 6 * HOUR, Act::IsolatedIn),
    (4 * DAY + 6 * HOUR - MINUTE, Act::IsolatedBorrow),
    (4 * DAY + 6 * HOUR - 2 * MINUTE, Act::IsolatedSell),
    (4 * DAY + 5 * HOUR, Act::IsolatedInterest),
    (4 * DAY + 4 * HOUR, Act::IsolatedBuyBack),
    (4 * DAY + 4 * HOUR - MINUTE, Act::IsolatedRepay),
    (4 * DAY + 3 * HOUR, Act::IsolatedOut),
];

/// What the pair keeps when the rest goes back to spot.
fn kept() -> Decimal {
    Decimal::from(20)
}

/// Daily interest rate of the BTC loan (charged hourly, a 24th of it).
fn daily_rate() -> Decimal {
    Decimal::new(30, 5)
}

impl BitgetActivity<'_> {
    /// The isolated margin acts of a classic account.
    pub(super) fn isolated_act(&mut self, t: i64, act: Act) {
        match act {
            Act::IsolatedIn | Act::IsolatedOut => self.isolated_transfer(t, act == Act::IsolatedIn),
            Act::IsolatedBorrow => self.isolated_borrow(t),
            Act::IsolatedSell => {
                if let Some((principal, _)) = self.isolated_debt {
                    self.isolated_fill(t, false, principal);
                }
            }
            Act::IsolatedInterest => self.isolated_interest(t, "scheduled"),
            Act::IsolatedBuyBack => {
                if let Some((principal, interest)) = self.isolated_debt {
                    self.isolated_fill(t, true, principal + interest);
                }
            }
            Act::IsolatedRepay => self.isolated_repay(t),
            _ => {}
        }
    }

    /// A finance flow row of the pair at `t` (ids grow with time; rows of one millisecond in the order made).
    fn isolated_flow(
        &mut self,
        t: i64,
        kind: &'static str,
        coin: &str,
        amount: Decimal,
        fee: Decimal,
        interest: Decimal,
    ) {
        let (start, index) = (self.start, self.index);
        let n = self.a.isolated.flows.iter().filter(|f| f.time == t).count() as u64;
        let id = rid(195_000_000_000_000_000, start, t, index) * 8 + n;
        let coin = interned(coin);
        self.a.isolated.flows.push(BitgetMarginFlow { id, time: t, coin, kind, amount, fee, interest });
    }

    /// 100 USDT from spot in (when spot holds them), or all but 20 USDT back out: a transfer record, the spot bill
    /// and the finance flow's row.
    fn isolated_transfer(&mut self, t: i64, into: bool) {
        let (start, index) = (self.start, self.index);
        let amount = if into { Decimal::from(100) } else { bal(&self.isolated, "USDT") - kept() };
        let from_spot = if into { bal(&self.spot, "USDT") } else { amount };
        let opened = into || !self.a.isolated.flows.is_empty();
        if !opened
            || amount <= Decimal::ZERO
            || from_spot < amount
            || self.market.symbol(BITGET_ISOLATED_PAIR).is_none()
        {
            return;
        }
        let signed = if into { amount } else { -amount };
        add(&mut self.spot, "USDT", -signed);
        add(&mut self.isolated, "USDT", signed);
        let (from, to) = if into { ("spot", BITGET_ISOLATED_WALLET) } else { (BITGET_ISOLATED_WALLET, "spot") };
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
        self.isolated_flow(t, kind, "USDT", signed, Decimal::ZERO, Decimal::ZERO);
    }

    /// Borrows BTC worth about 50 USDT in the pair (the net balance does not move), and the first interest.
    fn isolated_borrow(&mut self, t: i64) {
        let price = self.market.price(BITGET_ISOLATED_PAIR, t);
        if self.isolated.is_empty() || price.is_zero() {
            return;
        }
        let principal = (Decimal::from(50) / price).round_dp(5);
        self.isolated_debt = Some((principal, Decimal::ZERO));
        self.isolated_flow(t, "borrow", "BTC", principal, Decimal::ZERO, Decimal::ZERO);
        self.isolated_interest(t + 1, "first");
    }

    /// An hour's interest on the pair's open loan: owed, so the net balance falls.
    fn isolated_interest(&mut self, t: i64, kind: &'static str) {
        let (start, index) = (self.start, self.index);
        let Some((principal, interest)) = self.isolated_debt else { return };
        let amount = (principal * daily_rate() / Decimal::from(24)).round_dp(8);
        self.isolated_debt = Some((principal, interest + amount));
        add(&mut self.isolated, "BTC", -amount);
        let id = rid(1_930_000_000_000_000_000, start, t, index);
        self.a.isolated.interest.push(BitgetMarginInterest { id, time: t, coin: interned("BTC"), amount, kind });
    }

    /// A BTCUSDT fill of `qty` BTC in the pair at the market, 0.1 % commission in USDT: the wallet's changes and the
    /// finance flow's `deal_out` and `deal_in` rows.
    fn isolated_fill(&mut self, t: i64, buy: bool, qty: Decimal) {
        let (start, index) = (self.start, self.index);
        let id = rid(1_940_000_000_000_000_000, start, t, index);
        let f = pair_fill(id, t, self.market.price(BITGET_ISOLATED_PAIR, t), buy, qty, None);
        let commission = f.fill.commission;
        let mut legs = f.changes.to_vec();
        legs.sort_by_key(|(_, change)| !change.is_sign_negative());
        for (coin, change) in legs {
            add(&mut self.isolated, coin, change);
            let (amount, fee) =
                if coin == "USDT" { (change + commission, -commission) } else { (change, Decimal::ZERO) };
            let kind = if amount.is_sign_negative() { "deal_out" } else { "deal_in" };
            self.isolated_flow(t, kind, coin, amount, fee, Decimal::ZERO);
        }
        self.a.isolated.fills.push(f.fill);
    }

    /// Repays the pair's loan with its interest in one `repay` row (its interest noted for the tax record).
    fn isolated_repay(&mut self, t: i64) {
        let Some((principal, interest)) = self.isolated_debt.take() else { return };
        self.isolated_flow(t, "repay", "BTC", -(principal + interest), Decimal::ZERO, -interest);
    }
}
