//! UTC timestamps in milliseconds, written as RFC 3339 (`2024-03-01T12:00:00.250Z`). No clock here: the ledger and
//! the PnL engine never ask what time it is.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// Milliseconds since 1970-01-01T00:00:00Z, the venues' own resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

/// A time string that is not RFC 3339 UTC.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid time {0:?}: expected RFC 3339 UTC such as 2024-03-01T12:00:00Z")]
pub struct TimestampError(pub String);

const MS_PER_DAY: i64 = 86_400_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

impl Timestamp {
    /// From milliseconds since the epoch.
    pub const fn from_millis(ms: i64) -> Self {
        Timestamp(ms)
    }
    /// Milliseconds since the epoch.
    pub const fn millis(self) -> i64 {
        self.0
    }
    /// The UTC day this instant falls in, as days since 1970-01-01.
    pub const fn day(self) -> i64 {
        self.0.div_euclid(MS_PER_DAY)
    }
    /// Midnight UTC starting the given day number.
    pub const fn start_of_day(day: i64) -> Self {
        Timestamp(day * MS_PER_DAY)
    }
    /// The UTC date: (year, month 1–12, day 1–31).
    pub fn date(self) -> (i64, u32, u32) {
        let (y, m, d) = civil_from_days(self.day());
        (y, m as u32, d as u32)
    }
    /// Midnight UTC starting a date, or `None` if there is no such date (30 February).
    pub fn from_date(year: i64, month: u32, day: u32) -> Option<Self> {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        let valid = (1..=12).contains(&month) && day >= 1 && day <= month_days[month as usize - 1];
        valid.then(|| Timestamp::start_of_day(days_from_civil(year, i64::from(month), i64::from(day))))
    }
    /// `YYYY-MM-DD` of the UTC day.
    pub fn date_string(self) -> String {
        let (y, m, d) = civil_from_days(self.day());
        format!("{y:04}-{m:02}-{d:02}")
    }
}

impl fmt::Display for Timestamp {
    /// `YYYY-MM-DDTHH:MM:SS[.mmm]Z`, the milliseconds only when they are not zero; the date from the `time` crate's
    /// calendar (years -9999 to 9999; further out, the same arithmetic by hand).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms_of_day = self.0.rem_euclid(MS_PER_DAY);
        let (y, mo, d) = match OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000) {
            Ok(t) => (i64::from(t.year()), i64::from(u8::from(t.month())), i64::from(t.day())),
            Err(_) => civil_from_days(self.day()),
        };
        let (h, mi, s, ms) = (ms_of_day / 3_600_000, ms_of_day / 60_000 % 60, ms_of_day / 1000 % 60, ms_of_day % 1000);
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}")?;
        if ms != 0 {
            write!(f, ".{ms:03}")?;
        }
        f.write_str("Z")
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    /// RFC 3339 as the `time` crate reads it (four-digit year, `T`, seconds, an offset), then the ledger's own
    /// rules (docs/ledger-format.md): UTC only (`Z`, `+00:00`), and millisecond precision: finer digits must be
    /// zero, so that nothing is silently dropped.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || TimestampError(s.to_string());
        let t = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| err())?;
        if t.offset() != UtcOffset::UTC || t.nanosecond() % 1_000_000 != 0 {
            return Err(err());
        }
        i64::try_from(t.unix_timestamp_nanos() / 1_000_000).map(Timestamp).map_err(|_| err())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        let cases = [
            ("1970-01-01T00:00:00Z", 0),
            ("2017-07-14T02:40:00Z", 1_500_000_000_000),
            ("2024-02-29T23:59:59.999Z", 1_709_251_199_999),
            ("2024-03-01T00:00:00.250Z", 1_709_251_200_250),
            ("1969-12-31T23:59:59Z", -1000),
        ];
        for (text, ms) in cases {
            let t: Timestamp = text.parse().unwrap();
            assert_eq!(t.millis(), ms, "{text}");
            assert_eq!(t.to_string(), text);
        }
        for utc in ["2024-03-01T00:00:00+00:00", "2024-03-01T00:00:00-00:00", "2024-03-01t00:00:00z"] {
            assert_eq!(utc.parse::<Timestamp>().unwrap().millis(), 1_709_251_200_000, "{utc}");
        }
        assert_eq!("2024-03-01T00:00:00.5000Z".parse::<Timestamp>().unwrap().millis(), 1_709_251_200_500);
    }

    #[test]
    fn rejects_what_is_not_utc_rfc3339() {
        for bad in [
            "2024-02-30T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-03-01 00:00:00",
            "2024-03-01T00:00:00+01:00",
            "2024-03-01T24:00:00Z",
            "2024-03-01T00:00:00.Z",
            "2024-03-01T00:00:00.0001Z",
            "+024-03-01T00:00:00Z",
            "2024-03-01T23:59:60Z",
            "2024-03-01T00:00:00.000000001Z",
            "",
        ] {
            assert!(bad.parse::<Timestamp>().is_err(), "{bad}");
        }
    }

    #[test]
    fn every_day_round_trips_over_four_centuries() {
        for day in (-200_000..200_000).step_by(7) {
            let t = Timestamp::start_of_day(day);
            assert_eq!(t.to_string().parse::<Timestamp>().unwrap(), t);
        }
    }
}
