//! Bitget Earn savings (docs/venues.md §2.14): a classic data account subscribes part of its spot USDT and BTC to
//! flexible savings a fifth of the way through its history, is paid interest into spot every day after, and
//! redeems part of each holding three quarters of the way through. The holdings are the `earn` wallet; the spot
//! tax record lists each change (`Subscribe`, `Interest`, `Redemption`).

use super::*;

/// A savings record (`GET /api/v2/earn/savings/records` row), flexible.
#[derive(Clone, Debug)]
pub struct SavingsRecord {
    /// `orderId`.
    pub id: u64,
    /// `ts`, ms.
    pub time: i64,
    /// `coinName` and `settleCoinName`.
    pub coin: Symbol,
    /// `orderType`: `subscribe`, `redeem` or `pay_interest`.
    pub order_type: &'static str,
    /// `amount`, positive.
    pub amount: Decimal,
}

/// The coins subscribed: coin, share of the spot balance subscribed (percent), decimals, yearly rate (percent).
const SAVINGS_COINS: [(&str, i64, u32, i64); 2] = [("USDT", 30, 2, 5), ("BTC", 20, 6, 1)];

/// What happens to the savings at a time of the account's timeline.
#[derive(Clone, Copy, Debug)]
pub(super) enum SavingsAct {
    Subscribe,
    Interest,
    Redeem,
}

/// A classic account's savings timeline, latest first (so that the activity pops the next one): the subscription
/// a fifth of the way through `plan`, interest at 00:05 UTC each day after until `end`, the redemption three
/// quarters of the way through; each at a millisecond of its own. None for a unified account or a one-day one.
pub(super) fn savings_plan(plan: &[(i64, Act)], unified: bool, days: i64, end: i64) -> Vec<(i64, SavingsAct)> {
    if unified || days <= 1 || plan.is_empty() {
        return Vec::new();
    }
    let subscribe = plan[plan.len() / 5].0 + 5;
    let mut out = vec![(subscribe, SavingsAct::Subscribe), (plan[3 * plan.len() / 4].0 + 7, SavingsAct::Redeem)];
    let mut day = subscribe.div_euclid(DAY) * DAY + DAY + 5 * MINUTE + 11;
    while day < end {
        out.push((day, SavingsAct::Interest));
        day += DAY;
    }
    out.sort_by_key(|(t, _)| std::cmp::Reverse(*t));
    out
}

impl BitgetActivity<'_> {
    /// One act of the savings timeline at `t`, for each coin: a subscription of a share of spot, the day's
    /// interest on the holding (paid to spot), or the redemption of 40 % of the holding. Nothing when there is
    /// nothing to move.
    pub(super) fn savings(&mut self, t: i64, act: SavingsAct) {
        let (start, index) = (self.start, self.index);
        for (slot, (coin, share, dp, apy)) in SAVINGS_COINS.into_iter().enumerate() {
            let Self { a, spot, earn, .. } = self;
            let (order_type, amount) = match act {
                SavingsAct::Subscribe => ("subscribe", (bal(spot, coin) * Decimal::new(share, 2)).round_dp(dp)),
                SavingsAct::Redeem => ("redeem", (bal(earn, coin) * Decimal::new(40, 2)).round_dp(dp)),
                SavingsAct::Interest => {
                    ("pay_interest", (bal(earn, coin) * Decimal::new(apy, 2) / Decimal::from(365)).round_dp(8))
                }
            };
            if amount <= Decimal::ZERO {
                continue;
            }
            match act {
                SavingsAct::Subscribe => {
                    add(spot, coin, -amount);
                    add(earn, coin, amount);
                }
                SavingsAct::Redeem => {
                    add(earn, coin, -amount);
                    add(spot, coin, amount);
                }
                SavingsAct::Interest => add(spot, coin, amount),
            }
            let base = 1_900_000_000_000_000_000 + slot as u64 * 1_000_000_000_000_000;
            let id = rid(base, start, t, index);
            a.savings.push(SavingsRecord { id, time: t, coin: interned(coin), order_type, amount });
        }
    }
}
