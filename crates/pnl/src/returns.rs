//! Time-weighted and money-weighted returns over daily points, in Decimal arithmetic.

use ledger::Decimal;

/// One day for the return calculations: value at the start (the previous day's end), flows, value at the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Day {
    /// Equity at the end of the day.
    pub end: Decimal,
    /// Value that came in (counted at the start of the day).
    pub inflow: Decimal,
    /// Value that went out, positive (counted at the end of the day).
    pub outflow: Decimal,
}

/// True time-weighted return (Portfolio Performance's TTWROR with daily sub-periods): the product over days of
/// `(end + outflow) / (previous end + inflow)`, minus 1. Days with nothing invested are skipped. `None` when no
/// day had anything invested.
pub fn time_weighted(start: Decimal, days: &[Day]) -> Option<Decimal> {
    let mut growth = Decimal::ONE;
    let mut previous = start;
    let mut any = false;
    for d in days {
        let base = previous + d.inflow;
        if base > Decimal::ZERO {
            growth = growth.checked_mul((d.end + d.outflow).checked_div(base)?)?;
            any = true;
        }
        previous = d.end;
    }
    any.then(|| growth - Decimal::ONE)
}

/// `base^exp` by squaring; `None` on overflow.
fn powi(base: Decimal, mut exp: u64) -> Option<Decimal> {
    let mut result = Decimal::ONE;
    let mut b = base;
    while exp > 0 {
        if exp & 1 == 1 {
            result = result.checked_mul(b)?;
        }
        exp >>= 1;
        if exp > 0 {
            b = b.checked_mul(b)?;
        }
    }
    Some(result)
}

/// Money-weighted return: the annual IRR of the investor's cash flows. `flows` are (days before the end, amount)
/// with amounts from the investor's side (money put in negative, the final value positive). Solved for the daily
/// rate `d` by bisection (`sum amount x (1+d)^days = 0`), then annualized as `(1+d)^365 - 1`. `None` when there is
/// no sign change to solve for.
pub fn money_weighted(flows: &[(u64, Decimal)]) -> Option<Decimal> {
    solve_money_weighted(flows, true)
}

/// [`money_weighted`], with or without the floating-point bracket.
fn solve_money_weighted(flows: &[(u64, Decimal)], float_bracket: bool) -> Option<Decimal> {
    if !flows.iter().any(|(_, a)| *a > Decimal::ZERO) || !flows.iter().any(|(_, a)| *a < Decimal::ZERO) {
        return None;
    }
    let max_days = flows.iter().map(|(d, _)| *d).max().unwrap_or(0);
    if max_days == 0 {
        return None;
    }
    // The sign of the future value at rate d; both forms differ by the positive factor (1+d)^max_days. Each form
    // visits the flows in order of their exponent and raises the power a step at a time (one multiplication a
    // day instead of a power per flow: about 1,000 days of flows took 75 ms a report,
    // docs/accounting.md §11).
    let mut by_days: Vec<(u64, Decimal)> = flows.to_vec();
    by_days.sort_by_key(|(days, _)| *days);
    let sign = |d: Decimal| -> Option<bool> {
        let g = Decimal::ONE + d;
        let mut sum = Decimal::ZERO;
        if d >= Decimal::ZERO {
            // present value at the first flow: amount / (1+d)^(max - days), latest flows (smallest power) first;
            // once the power overflows, what is left is ~0
            let (mut power, mut at) = (Some(Decimal::ONE), 0);
            for (days, amount) in by_days.iter().rev() {
                let exp = max_days - days;
                while at < exp {
                    power = power.and_then(|p| p.checked_mul(g));
                    at += 1;
                }
                let Some(f) = power else { break };
                sum = sum.checked_add(amount.checked_div(f)?)?;
            }
        } else {
            let (mut power, mut at) = (Decimal::ONE, 0);
            for (days, amount) in &by_days {
                while at < *days {
                    power = power.checked_mul(g)?;
                    at += 1;
                }
                sum = sum.checked_add(amount.checked_mul(power)?)?;
            }
        }
        Some(sum > Decimal::ZERO)
    };
    let (mut lo, mut hi) = (Decimal::new(-99, 2), Decimal::ONE);
    let (slo, shi) = (sign(lo)?, sign(hi)?);
    if slo == shi {
        return None;
    }
    // The same bisection in floating point first, for a bracket 2e-12 wide around the root that the decimal one
    // then narrows: about 48 decimal steps instead of 88, the same result (the bracket is checked in decimals,
    // the whole range kept when it does not hold).
    if let Some(estimate) = float_root(&by_days, max_days, slo).filter(|_| float_bracket) {
        let width = Decimal::new(1, 12);
        let (near_lo, near_hi) = ((estimate - width).max(lo), (estimate + width).min(hi));
        if near_lo < near_hi && sign(near_lo)? == slo && sign(near_hi)? == shi {
            (lo, hi) = (near_lo, near_hi);
        }
    }
    let two = Decimal::TWO;
    for _ in 0..120 {
        let mid = (lo + hi) / two;
        if sign(mid)? == slo {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < Decimal::new(1, 26) {
            break;
        }
    }
    let daily = (lo + hi) / two;
    Some((powi(Decimal::ONE + daily, 365)? - Decimal::ONE).round_dp(10))
}

/// The daily rate where the flows' value changes sign, by bisection in `f64` over the decimal search's range
/// (`sign_at_low`: the sign of the value at its low end); `None` when floating point cannot say.
fn float_root(by_days: &[(u64, Decimal)], max_days: u64, sign_at_low: bool) -> Option<Decimal> {
    use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
    let flows: Vec<(u64, f64)> = by_days.iter().map(|(d, a)| a.to_f64().map(|a| (*d, a))).collect::<Option<_>>()?;
    let sign = |d: f64| -> bool {
        let g = 1.0 + d;
        let mut sum = 0.0;
        if d >= 0.0 {
            let (mut power, mut at) = (1.0_f64, 0);
            for (days, amount) in flows.iter().rev() {
                while at < max_days - days {
                    power *= g;
                    at += 1;
                }
                sum += amount / power;
            }
        } else {
            let (mut power, mut at) = (1.0_f64, 0);
            for (days, amount) in &flows {
                while at < *days {
                    power *= g;
                    at += 1;
                }
                sum += amount * power;
            }
        }
        sum > 0.0
    };
    let (mut lo, mut hi) = (-0.99_f64, 1.0_f64);
    for _ in 0..80 {
        let mid = (lo + hi) / 2.0;
        if mid <= lo || mid >= hi {
            break;
        }
        if sign(mid) == sign_at_low {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Decimal::from_f64((lo + hi) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn irr_of_one_year_at_ten_percent() {
        // 100 in, 365 days later worth 110: 10 % a year.
        let irr = money_weighted(&[(365, d("-100")), (0, d("110"))]).unwrap();
        assert!((irr - d("0.1")).abs() < d("0.000001"), "{irr}");
    }

    #[test]
    fn the_float_bracket_changes_no_digit() {
        // flows over about three years, in and out, as a trader's deposits and withdrawals
        let mut flows = vec![(0, d("15234.17"))];
        for k in 1..60u64 {
            let amount = Decimal::from((k * 7919) % 2000) - Decimal::from(900) + d("0.37");
            flows.push((k * 17, amount));
        }
        flows.push((1_000, d("-10000")));
        let with_bracket = money_weighted(&flows).unwrap();
        assert_eq!(with_bracket, decimal_only(&flows).unwrap());
        // the bracket is found: the floating-point root is the decimal one's daily rate to about 1e-12
        use rust_decimal::prelude::ToPrimitive;
        let mut by_days = flows.clone();
        by_days.sort_by_key(|(days, _)| *days);
        let daily = (1.0 + with_bracket.to_f64().unwrap()).powf(1.0 / 365.0) - 1.0;
        let found = [true, false]
            .map(|low| float_root(&by_days, by_days.last().unwrap().0, low).and_then(|r| r.to_f64()).unwrap());
        assert!(found.iter().any(|r| (r - daily).abs() < 1e-9), "{found:?} against {daily}");
        let one_year = [(365, d("-100")), (200, d("-50")), (0, d("171.5"))];
        assert_eq!(money_weighted(&one_year), decimal_only(&one_year));
    }

    /// [`money_weighted`] without the floating-point bracket: the decimal bisection over the whole range.
    fn decimal_only(flows: &[(u64, Decimal)]) -> Option<Decimal> {
        solve_money_weighted(flows, false)
    }

    #[test]
    fn irr_needs_both_signs() {
        assert_eq!(money_weighted(&[(10, d("-100"))]), None);
        assert_eq!(money_weighted(&[(0, d("-100")), (0, d("110"))]), None);
    }

    #[test]
    fn twr_skips_empty_days() {
        let days = [
            Day { end: d("0"), inflow: d("0"), outflow: d("0") },
            Day { end: d("110"), inflow: d("100"), outflow: d("0") },
        ];
        assert_eq!(time_weighted(Decimal::ZERO, &days), Some(d("0.1")));
        assert_eq!(time_weighted(Decimal::ZERO, &days[..1]), None);
    }
}
