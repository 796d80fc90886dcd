//! UK share pooling (docs/accounting.md §3a): before the run, which acquisitions each day's disposals of an asset are
//! matched with under the same-day rule and the 30-day rule, worked out from the units each UTC day adds to and
//! takes from the asset's pool. What the rules leave is matched with the section 104 pool during the run.

use std::collections::VecDeque;

use ledger::{Decimal, Timestamp};

use crate::intern::FxMap;

/// The 30-day rule looks at acquisitions on the 30 days after the day of the disposal.
pub(crate) const THIRTY_DAYS: i64 = 30;

/// Units one asset's pool gains and loses on one UTC day.
#[derive(Clone, Copy)]
pub(crate) struct DayFlow {
    /// Days since 1970-01-01.
    pub day: i64,
    /// Time of the day's first acquisition (the reserved units' acquisition time in the report).
    pub first_acquired: Option<Timestamp>,
    /// Units acquired that day (all acquisitions of a day count as one).
    pub acquired: Decimal,
    /// Units disposed of that day (all disposals of a day count as one).
    pub disposed: Decimal,
}

/// Which acquisitions the disposals are matched with under the same-day and 30-day rules.
#[derive(Clone, Default)]
pub(crate) struct Plan {
    /// (asset, disposal day) -> (acquisition day, units) in matching order: the same day first, then the next 30
    /// days earliest first. The day's disposals take from the front, in ledger order.
    pub matches: FxMap<(u32, i64), VecDeque<(i64, Decimal)>>,
    /// (asset, acquisition day) some of whose units are reserved -> time of that day's first acquisition. The
    /// day's acquisitions wait until the day ends; what is not reserved then joins the pool.
    pub reserved: FxMap<(u32, i64), Timestamp>,
}

/// Matches each asset's days: first every day's disposals with the same day's acquisitions, then the disposals left,
/// earliest day first, with the acquisitions left on the next 30 days, earliest first (docs/accounting.md §3a).
/// `flows` holds each asset's days in ascending order.
pub(crate) fn plan(flows: &FxMap<u32, Vec<DayFlow>>) -> Plan {
    let mut plan = Plan::default();
    for (&asset, days) in flows {
        let mut acquired: Vec<Decimal> = days.iter().map(|f| f.acquired).collect();
        let mut disposed: Vec<Decimal> = days.iter().map(|f| f.disposed).collect();
        let reserve = |plan: &mut Plan, disposal: usize, acquisition: usize, units: Decimal| {
            plan.matches.entry((asset, days[disposal].day)).or_default().push_back((days[acquisition].day, units));
            let first = days[acquisition].first_acquired.unwrap_or(Timestamp::start_of_day(days[acquisition].day));
            plan.reserved.insert((asset, days[acquisition].day), first);
        };
        // the same-day rule
        for i in 0..days.len() {
            let units = acquired[i].min(disposed[i]);
            if units > Decimal::ZERO {
                reserve(&mut plan, i, i, units);
                acquired[i] -= units;
                disposed[i] -= units;
            }
        }
        // the 30-day rule: `next` is the first day after the disposal that still has units; earlier disposals
        // take first, so the days before `next` are used up
        let mut next = 0;
        for i in 0..days.len() {
            if disposed[i] <= Decimal::ZERO {
                continue;
            }
            next = next.max(i + 1);
            let last_day = days[i].day + THIRTY_DAYS;
            while next < days.len() && days[next].day <= last_day && disposed[i] > Decimal::ZERO {
                if acquired[next] > Decimal::ZERO {
                    let units = acquired[next].min(disposed[i]);
                    reserve(&mut plan, i, next, units);
                    acquired[next] -= units;
                    disposed[i] -= units;
                }
                if acquired[next] <= Decimal::ZERO {
                    next += 1;
                }
            }
        }
    }
    plan
}

/// Whether units acquired at `acquired` and disposed of at `disposed` were held more than one year
/// (docs/accounting.md §3b): the disposal's UTC date is after the acquisition date's anniversary a year later; the
/// anniversary of 29 February is 28 February.
pub fn held_more_than_a_year(acquired: Timestamp, disposed: Timestamp) -> bool {
    let (y, m, d) = acquired.date();
    let d = if m == 2 && d == 29 { 28 } else { d };
    let anniversary = Timestamp::from_date(y + 1, m, d).expect("the day exists a year later (29 February moved to 28)");
    disposed.day() > anniversary.day()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn more_than_a_year_is_after_the_anniversary() {
        let bought = t("2023-03-01T10:00:00Z");
        assert!(!held_more_than_a_year(bought, t("2024-03-01T23:59:59Z")));
        assert!(held_more_than_a_year(bought, t("2024-03-02T00:00:00Z")));
        // a leap year in between changes nothing: the calendar date counts, not 365 days
        assert!(!held_more_than_a_year(t("2023-02-28T00:00:00Z"), t("2024-02-28T12:00:00Z")));
        assert!(held_more_than_a_year(t("2023-02-28T00:00:00Z"), t("2024-02-29T00:00:00Z")));
        // bought on a leap day: the anniversary is 28 February
        assert!(!held_more_than_a_year(t("2024-02-29T12:00:00Z"), t("2025-02-28T23:00:00Z")));
        assert!(held_more_than_a_year(t("2024-02-29T12:00:00Z"), t("2025-03-01T00:00:00Z")));
        assert_eq!(Timestamp::from_date(2024, 2, 29).map(Timestamp::date), Some((2024, 2, 29)));
        assert_eq!(Timestamp::from_date(2023, 2, 29), None);
    }
}
