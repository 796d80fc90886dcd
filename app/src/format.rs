//! Dates and numbers as the user reads them: in the browser's locale and time zone (`Intl.DateTimeFormat`,
//! `Intl.NumberFormat`), never one fixed format for everyone.
//!
//! Amounts reach `Intl.NumberFormat` as decimal strings, which it formats exactly (ECMA-402 2023): no digit of a
//! `Decimal` passes through a float. Accounting stays in UTC days (the equity curve, the daily prices); the
//! functions that show a UTC day say so in their names, and the screens say "UTC" only where a day's boundary
//! matters. Every other time is shown in the user's own time zone.

use std::cell::RefCell;
use std::collections::BTreeMap;

use js_sys::{Array, Function, Intl, Object, Reflect};
use ledger::{Decimal, Timestamp};
use wasm_bindgen::JsValue;

/// The most fraction digits every browser's `Intl.NumberFormat` takes (ECMA-402 allowed 20 before 2023); an amount
/// with more (a `Decimal` has up to 28) is shown as the ledger holds it.
const FULL_PRECISION: u32 = 20;
/// The fraction digits of a crypto amount in tables and sentences (its full precision is in the title).
const SHOWN_PRECISION: u32 = 8;

/// Formatters for one locale and time zone; each `Intl` object is made once, on first use.
pub struct Formats {
    locales: Array,
    time_zone: Option<String>,
    made: RefCell<BTreeMap<String, Function>>,
}

fn options(pairs: &[(&str, JsValue)]) -> Object {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o
}

fn call(f: &Function, value: &JsValue) -> String {
    f.call1(&JsValue::UNDEFINED, value).ok().and_then(|s| s.as_string()).unwrap_or_default()
}

impl Formats {
    /// Formatters for `locale` (a BCP 47 tag; `None`: the browser's) and `time_zone` (an IANA name; `None`: the
    /// system's).
    pub fn new(locale: Option<&str>, time_zone: Option<&str>) -> Formats {
        let locales = Array::new();
        if let Some(l) = locale {
            locales.push(&JsValue::from_str(l));
        }
        Formats { locales, time_zone: time_zone.map(str::to_owned), made: RefCell::new(BTreeMap::new()) }
    }

    fn number(&self, key: &str, opts: impl FnOnce() -> Vec<(&'static str, JsValue)>) -> Function {
        if let Some(f) = self.made.borrow().get(key) {
            return f.clone();
        }
        let f = Intl::NumberFormat::new(&self.locales, &options(&opts())).format();
        self.made.borrow_mut().insert(key.to_string(), f.clone());
        f
    }

    fn date(&self, key: &str, utc: bool, opts: Vec<(&'static str, JsValue)>) -> Function {
        if let Some(f) = self.made.borrow().get(key) {
            return f.clone();
        }
        let mut opts = opts;
        match (utc, &self.time_zone) {
            (true, _) => opts.push(("timeZone", "UTC".into())),
            (false, Some(zone)) => opts.push(("timeZone", zone.as_str().into())),
            (false, None) => {}
        }
        let f = Intl::DateTimeFormat::new(&self.locales, &options(&opts)).format();
        self.made.borrow_mut().insert(key.to_string(), f.clone());
        f
    }

    /// A money amount in `currency` (ISO 4217), 2 decimals, with the currency's symbol: `$77,559.46`,
    /// `77.559,46 €`. A negative amount that rounds to zero shows no minus sign.
    pub fn money(&self, d: Decimal, currency: &str) -> String {
        let f = self.number(&format!("money {currency}"), || {
            vec![
                ("style", "currency".into()),
                ("currency", currency.into()),
                ("minimumFractionDigits", 2.into()),
                ("maximumFractionDigits", 2.into()),
                ("signDisplay", "negative".into()),
            ]
        });
        call(&f, &JsValue::from_str(&d.to_string()))
    }

    /// A crypto amount, up to 8 decimals, trailing zeros dropped: `1,234.5`, `0,00012345`.
    pub fn amount(&self, d: Decimal) -> String {
        let f = self.number("amount", || {
            vec![("maximumFractionDigits", SHOWN_PRECISION.into()), ("signDisplay", "negative".into())]
        });
        call(&f, &JsValue::from_str(&d.to_string()))
    }

    /// A crypto amount with every digit it has (for a title on hover): `0.123456789012`.
    pub fn exact(&self, d: Decimal) -> String {
        let d = d.normalize();
        if d.scale() > FULL_PRECISION {
            return d.to_string();
        }
        let f = self.number("exact", || vec![("maximumFractionDigits", FULL_PRECISION.into())]);
        call(&f, &JsValue::from_str(&d.to_string()))
    }

    /// A count: `12,345`.
    pub fn count(&self, n: usize) -> String {
        let f = self.number("count", Vec::new);
        call(&f, &JsValue::from_str(&n.to_string()))
    }

    /// A share of a whole (`0.123` is `12.3%`), one decimal.
    pub fn percent(&self, share: Decimal) -> String {
        let f = self.number("percent", || vec![("style", "percent".into()), ("maximumFractionDigits", 1.into())]);
        call(&f, &JsValue::from_str(&share.to_string()))
    }

    /// An instant as a date and time in the user's time zone: `Dec 3, 2026, 10:18:55 PM`, `03.12.2026, 22:18:55`.
    pub fn date_time(&self, t: Timestamp) -> String {
        let f = self.date("date_time", false, vec![("dateStyle", "medium".into()), ("timeStyle", "medium".into())]);
        call(&f, &js_sys::Date::new(&JsValue::from_f64(t.millis() as f64)))
    }

    /// The UTC day an instant falls in, as a date: `Dec 3, 2026`. Callers say it is a UTC day.
    pub fn utc_day(&self, t: Timestamp) -> String {
        let f = self.date("utc_day", true, vec![("dateStyle", "medium".into())]);
        call(&f, &js_sys::Date::new(&JsValue::from_f64(t.millis() as f64)))
    }

    /// A UTC day written `YYYY-MM-DD` (the equity curve's), as a date: `Dec 3, 2026`; the text itself when it is
    /// not such a day.
    pub fn utc_date(&self, day: &str) -> String {
        match format!("{day}T00:00:00Z").parse::<Timestamp>() {
            Ok(t) => self.utc_day(t),
            Err(_) => day.to_string(),
        }
    }
}

thread_local! {
    static USER: Formats = Formats::new(None, None);
}

/// [`Formats::money`] in the user's locale.
pub fn money(d: Decimal, currency: &str) -> String {
    USER.with(|f| f.money(d, currency))
}

/// [`Formats::amount`] in the user's locale.
pub fn amount(d: Decimal) -> String {
    USER.with(|f| f.amount(d))
}

/// [`Formats::exact`] in the user's locale.
pub fn exact(d: Decimal) -> String {
    USER.with(|f| f.exact(d))
}

/// [`Formats::count`] in the user's locale.
pub fn count(n: usize) -> String {
    USER.with(|f| f.count(n))
}

/// [`Formats::percent`] in the user's locale.
pub fn percent(share: Decimal) -> String {
    USER.with(|f| f.percent(share))
}

/// [`Formats::date_time`] in the user's locale and time zone.
pub fn date_time(t: Timestamp) -> String {
    USER.with(|f| f.date_time(t))
}

/// [`Formats::utc_day`] in the user's locale.
pub fn utc_day(t: Timestamp) -> String {
    USER.with(|f| f.utc_day(t))
}

/// [`Formats::utc_date`] in the user's locale.
pub fn utc_date(day: &str) -> String {
    USER.with(|f| f.utc_date(day))
}
