//! Bitget Earn shark fin (docs/venues.md §2.16): a classic data account subscribes a fifth of its spot USDT to a
//! shark fin product two fifths of the way through its history, which settles three fifths of the way through (the
//! principal redeemed to spot and the yield paid as interest to spot, at the same millisecond), and subscribes a
//! tenth of its spot USDT to a second product nine tenths of the way through, still running at the end. The holdings
//! are the `sharkfin` wallet; the spot tax record lists each change (`Subscribe`, `Redemption`, `Interest`). Ids
//! come from the time (no draw from the account's random stream).

use super::*;

/// A shark fin record (`GET /api/v2/earn/sharkfin/records` row).
#[derive(Clone, Debug)]
pub struct SharkfinRecord {
    /// `orderId`.
    pub id: u64,
    /// `ts`, ms.
    pub time: i64,
    /// The product's coin (the part of `product` before its `/`).
    pub coin: Symbol,
    /// `product`: `USDT/BTC_{yyyymmdd of the settlement}`.
    pub product: String,
    /// `period`, days.
    pub period: i64,
    /// `type`: `subscription`, `redemption` or `interest`.
    pub kind: &'static str,
    /// `amount`, positive.
    pub amount: Decimal,
}

/// The subscribed coin, the share of its spot balance each product takes (percent) and the yearly yield (percent).
const SHARKFIN_COIN: &str = "USDT";
const SHARKFIN_SHARES: [i64; 2] = [20, 10];
const SHARKFIN_APY: i64 = 8;

/// What happens to a shark fin product (0 or 1) at a time of the account's timeline.
#[derive(Clone, Copy, Debug)]
pub(super) enum SharkfinAct {
    Subscribe(usize),
    Settle,
}

/// A classic account's shark fin timeline, latest first (the activity pops the next one): product 0 subscribed two
/// fifths of the way through `plan` and settled three fifths of the way through, product 1 subscribed nine tenths
/// of the way through and never settled; each nine milliseconds after an act of its own. None for a unified account
/// or a plan too short to space them.
pub(super) fn sharkfin_plan(plan: &[(i64, Act)], unified: bool, days: i64) -> Vec<(i64, SharkfinAct, i64)> {
    let n = plan.len();
    if unified || days <= 1 || n < 10 {
        return Vec::new();
    }
    let at = |i: usize| plan[i].0 + 9;
    let settle = at(3 * n / 5);
    let mut out = vec![
        (at(2 * n / 5), SharkfinAct::Subscribe(0), settle),
        (settle, SharkfinAct::Settle, settle),
        // the second product settles a week after the history's end
        (at(9 * n / 10), SharkfinAct::Subscribe(1), plan[n - 1].0 + 7 * DAY),
    ];
    out.sort_by_key(|(t, _, _)| std::cmp::Reverse(*t));
    out
}

/// A product's name: the coin, the underlying, the settlement date.
fn product_name(settle: i64) -> String {
    let (y, m, d) = ledger::Timestamp::from_millis(settle).date();
    format!("{SHARKFIN_COIN}/BTC_{y:04}{m:02}{d:02}")
}

impl BitgetActivity<'_> {
    /// One act of the shark fin timeline at `t`: a subscription of a share of spot USDT to product `k` (settling at
    /// `settle`), or its settlement (the principal redeemed, the yield for the days held paid as interest). Nothing
    /// when there is nothing to move.
    pub(super) fn sharkfin(&mut self, t: i64, act: SharkfinAct, settle: i64) {
        let (start, index) = (self.start, self.index);
        let Self { a, spot, .. } = self;
        let product = product_name(settle);
        let (subscribed, rows) = match act {
            SharkfinAct::Subscribe(k) => {
                let amount = (bal(spot, SHARKFIN_COIN) * Decimal::new(SHARKFIN_SHARES[k], 2)).round_dp(2);
                if amount <= Decimal::ZERO {
                    return;
                }
                add(spot, SHARKFIN_COIN, -amount);
                (t, vec![("subscription", 0, amount)])
            }
            SharkfinAct::Settle => {
                let Some(sub) = a.sharkfin.iter().find(|r| r.product == product && r.kind == "subscription") else {
                    return;
                };
                let (principal, subscribed) = (sub.amount, sub.time);
                let held = Decimal::from((t - subscribed).div_euclid(DAY).max(1));
                let interest = (principal * Decimal::new(SHARKFIN_APY, 2) * held / Decimal::from(365)).round_dp(8);
                add(spot, SHARKFIN_COIN, principal + interest);
                let mut rows = vec![("redemption", 1, principal)];
                if interest > Decimal::ZERO {
                    rows.push(("interest", 2, interest));
                }
                (subscribed, rows)
            }
        };
        let period = (settle - subscribed).div_euclid(DAY).max(1);
        for (kind, slot, amount) in rows {
            let id = rid(1_930_000_000_000_000_000 + slot * 1_000_000_000_000_000, start, t, index);
            let coin = interned(SHARKFIN_COIN);
            a.sharkfin.push(SharkfinRecord { id, time: t, coin, product: product.clone(), period, kind, amount });
        }
    }

    /// The shark fin wallet at the end: what was subscribed and not redeemed, per coin.
    pub(super) fn sharkfin_wallet(&self) -> Balances {
        let mut w = Balances::new();
        for r in &self.a.sharkfin {
            match r.kind {
                "subscription" => add(&mut w, &r.coin, r.amount),
                "redemption" => add(&mut w, &r.coin, -r.amount),
                _ => {}
            }
        }
        w
    }
}
