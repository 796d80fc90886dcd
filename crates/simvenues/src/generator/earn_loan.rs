//! Bitget Earn crypto loans (docs/venues.md §2.17): a classic data account pledges a tenth of its spot BTC to borrow
//! USDT worth half of it, halfway through its history, and repays it with the hourly interest seven tenths of the way
//! through, the collateral released; nineteen twentieths of the way through it takes a second loan the same way,
//! still open at the end. The loans' collateral and principal are the `loan` wallet; the borrowed USDT is credited
//! to spot and the repay paid from it. Ids come from the time (no draw from the account's random stream).

use super::*;

/// A crypto loan (`GET /api/v2/earn/loan/borrow-history` row while closed, `ongoing-orders` while open).
#[derive(Clone, Debug)]
pub struct EarnLoan {
    /// `orderId`.
    pub id: u64,
    /// `borrowTime`, ms.
    pub time: i64,
    /// `loanCoin`.
    pub loan_coin: Symbol,
    /// `initLoanAmount` (and `loanAmount` while open).
    pub loan_amount: Decimal,
    /// `pledgeCoin`.
    pub pledge_coin: Symbol,
    /// `initPledgeAmount` (and `pledgeAmount` while open).
    pub pledge_amount: Decimal,
    /// The interest rate per hour (`hourInterestRate`, `hourRate`), a fraction.
    pub hour_rate: Decimal,
    /// The repay, once repaid.
    pub repay: Option<EarnLoanRepay>,
}

/// A crypto loan's repay (`GET /api/v2/earn/loan/repay-history` row): all of it at once.
#[derive(Clone, Debug)]
pub struct EarnLoanRepay {
    /// `repayTime`, ms.
    pub time: i64,
    /// `repayLoanAmount`.
    pub principal: Decimal,
    /// `payInterest`.
    pub interest: Decimal,
    /// `repayUnlockAmount`.
    pub unlocked: Decimal,
}

impl EarnLoan {
    /// The interest accrued at `t` (whole hours since the borrow, at least one), what a repay at `t` pays.
    pub fn interest_at(&self, t: i64) -> Decimal {
        let hours = Decimal::from(((t - self.time) / HOUR).max(1));
        (self.loan_amount * self.hour_rate * hours).round_dp(8)
    }
}

/// What happens to a loan (0 or 1) at a time of the account's timeline.
#[derive(Clone, Copy, Debug)]
pub(super) enum LoanAct {
    Borrow(usize),
    Repay(usize),
}

/// A classic account's crypto loan timeline, latest first (the activity pops the next one), each eleven
/// milliseconds after an act of its own. None for a unified account or a plan too short to space them.
pub(super) fn loan_plan(plan: &[(i64, Act)], unified: bool, days: i64) -> Vec<(i64, LoanAct)> {
    let n = plan.len();
    if unified || days <= 1 || n < 20 {
        return Vec::new();
    }
    let at = |i: usize| plan[i].0 + 11;
    let mut out = vec![
        (at(n / 2), LoanAct::Borrow(0)),
        (at(7 * n / 10), LoanAct::Repay(0)),
        (at(19 * n / 20), LoanAct::Borrow(1)),
    ];
    out.sort_by_key(|(t, _)| std::cmp::Reverse(*t));
    out
}

/// The loan's coin, the collateral's, the pair that prices one in the other.
const LOAN_COIN: &str = "USDT";
const PLEDGE_COIN: &str = "BTC";
const PLEDGE_PAIR: &str = "BTCUSDT";

impl BitgetActivity<'_> {
    /// One act of the loan timeline at `t`: a loan taken (a tenth of spot BTC pledged, half its value borrowed in
    /// USDT, at 0.0005 % an hour), or loan `k` repaid whole with its interest and its collateral released. Nothing
    /// when there is nothing to pledge or to repay.
    pub(super) fn earn_loan(&mut self, t: i64, act: LoanAct) {
        let (start, index) = (self.start, self.index);
        match act {
            LoanAct::Borrow(k) => {
                let price = self.market.price(PLEDGE_PAIR, t);
                let pledge = (bal(&self.spot, PLEDGE_COIN) * Decimal::new(1, 1)).round_dp(6);
                let amount = (pledge * price / Decimal::from(2)).round_dp(2);
                if pledge <= Decimal::ZERO || amount <= Decimal::ZERO {
                    return;
                }
                add(&mut self.spot, PLEDGE_COIN, -pledge);
                add(&mut self.spot, LOAN_COIN, amount);
                let id = rid(1_940_000_000_000_000_000 + k as u64 * 1_000_000_000_000_000, start, t, index);
                self.a.earn_loans.push(EarnLoan {
                    id,
                    time: t,
                    loan_coin: interned(LOAN_COIN),
                    loan_amount: amount,
                    pledge_coin: interned(PLEDGE_COIN),
                    pledge_amount: pledge,
                    hour_rate: Decimal::new(5, 6),
                    repay: None,
                });
            }
            LoanAct::Repay(k) => {
                let Some(loan) = self.a.earn_loans.get(k).filter(|l| l.repay.is_none()) else { return };
                let interest = loan.interest_at(t);
                let (principal, unlocked) = (loan.loan_amount, loan.pledge_amount);
                if bal(&self.spot, LOAN_COIN) < principal + interest {
                    return;
                }
                add(&mut self.spot, LOAN_COIN, -(principal + interest));
                add(&mut self.spot, PLEDGE_COIN, unlocked);
                self.a.earn_loans[k].repay = Some(EarnLoanRepay { time: t, principal, interest, unlocked });
            }
        }
    }

    /// The loan wallet at the end: each open loan's collateral held and principal owed.
    pub(super) fn loan_wallet(&self) -> Balances {
        let mut w = Balances::new();
        for l in self.a.earn_loans.iter().filter(|l| l.repay.is_none()) {
            add(&mut w, &l.pledge_coin, l.pledge_amount);
            add(&mut w, &l.loan_coin, -l.loan_amount);
        }
        w
    }
}
