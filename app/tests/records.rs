//! The app's sealed records as stored: settings and account metadata written before their fields were typed read
//! unchanged, and a value this version does not know is named, never silently replaced. Run with
//! `cargo test --target wasm32-unknown-unknown -p app --test records` (headless Chromium, like `web.rs`).
#![cfg(target_arch = "wasm32")]

use app::records::{AccountMeta, AppSettings, Currency, Setting};
use catalogue::Venue;
use serde_json::{Value, json};
use vault::AccountKind;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Every field of the old form is written back as it was (fields added later may follow).
fn assert_same_fields(written: &Value, old: &Value) {
    for (key, value) in old.as_object().unwrap() {
        assert_eq!(written.get(key), Some(value), "field `{key}`");
    }
}

/// Settings as the app wrote them when every choice was a plain string.
fn settings_in_the_old_form(method: &str) -> Value {
    json!({
        "currency": "EUR",
        "stablecoins_as_usd": false,
        "method": method,
        "fees_in_cost_basis": false,
        "pools": "per-account",
        "sync_interval_min": 10,
        "history_days": 0,
        "auto_lock_min": 30,
        "relays": ["https://relay.example"],
        "manual_matches": [["w1", "d1"]],
        "deposits_at_market": true,
        "leg_marks": {},
        "theme": "dark",
        "period": "year:2025"
    })
}

#[wasm_bindgen_test]
fn settings_written_as_strings_read_as_the_same_choices_and_write_back_the_same_bytes() {
    let old = settings_in_the_old_form("hifo");
    let s: AppSettings = serde_json::from_value(old.clone()).unwrap();
    assert_eq!(s.currency, Setting::Known("EUR".parse::<Currency>().unwrap()));
    assert_eq!(s.method, Setting::Known(pnl::Method::Hifo));
    assert_eq!(s.pools, Setting::Known(pnl::Pools::PerAccount));
    assert_eq!(s.theme, Setting::Known(app::records::Theme::Dark));
    assert_eq!(s.period, Setting::Known(pnl::Period::CalendarYear(2025)));
    assert!(s.unknown().is_empty(), "{:?}", s.unknown());
    let engine = app::report::engine_settings(&s);
    assert_eq!(
        (engine.currency.as_str(), engine.method, engine.pools),
        ("EUR", pnl::Method::Hifo, pnl::Pools::PerAccount)
    );
    // the stored representation is unchanged: what this version writes, the previous one reads
    assert_same_fields(&serde_json::to_value(&s).unwrap(), &old);
}

#[wasm_bindgen_test]
fn an_unknown_stored_setting_is_kept_as_stored_and_named_while_the_default_stands_in() {
    let old = settings_in_the_old_form("fifo-by-wallet");
    let s: AppSettings = serde_json::from_value(old.clone()).unwrap();
    assert_eq!(s.method, Setting::Unknown("fifo-by-wallet".into()));
    assert_eq!(s.method.get(), pnl::Method::Fifo);
    assert_eq!(app::report::engine_settings(&s).method, pnl::Method::Fifo);
    let said = s.unknown();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("cost-basis method `fifo-by-wallet`") && said[0].contains("fifo is used"), "{}", said[0]);
    // saving the other settings loses nothing: the unknown value is written back as it was read
    assert_same_fields(&serde_json::to_value(&s).unwrap(), &old);
    // a currency the venues do not quote is unknown too, not a currency the engine would silently value in
    let mut odd = settings_in_the_old_form("fifo");
    odd["currency"] = json!("XYZ");
    let s: AppSettings = serde_json::from_value(odd).unwrap();
    assert_eq!(s.currency, Setting::Unknown("XYZ".into()));
    assert_eq!(app::report::engine_settings(&s).currency, "USD");
    assert!(s.unknown()[0].contains("profit currency `XYZ`"), "{:?}", s.unknown());
    // a colour scheme of a later version: the page follows the system meanwhile, and says why
    let mut odd = settings_in_the_old_form("fifo");
    odd["theme"] = json!("sepia");
    let s: AppSettings = serde_json::from_value(odd.clone()).unwrap();
    assert_eq!(s.theme.get(), app::records::Theme::System);
    assert!(s.unknown()[0].contains("colour scheme `sepia`"), "{:?}", s.unknown());
    assert_same_fields(&serde_json::to_value(&s).unwrap(), &odd);
    // a period of a later version: the dashboard shows all time meanwhile, and says why
    let mut odd = settings_in_the_old_form("fifo");
    odd["period"] = json!("quarter:2025:1");
    let s: AppSettings = serde_json::from_value(odd.clone()).unwrap();
    assert_eq!(s.period.get(), pnl::Period::All);
    assert!(s.unknown()[0].contains("dashboard period `quarter:2025:1`"), "{:?}", s.unknown());
    assert_same_fields(&serde_json::to_value(&s).unwrap(), &odd);
    // holding-period names: settings stored before they were saved read as the default; one of a later version
    // is kept and named
    let s: AppSettings = serde_json::from_value(settings_in_the_old_form("fifo")).unwrap();
    assert_eq!(s.holding_preset, Setting::Known(formats::gains::HoldingPreset::OneYearSplit));
    let mut odd = settings_in_the_old_form("fifo");
    odd["holding_preset"] = json!("three-years");
    let s: AppSettings = serde_json::from_value(odd.clone()).unwrap();
    assert_eq!(s.holding_preset.get(), formats::gains::HoldingPreset::OneYearSplit);
    assert!(s.unknown()[0].contains("holding periods `three-years`"), "{:?}", s.unknown());
    assert_same_fields(&serde_json::to_value(&s).unwrap(), &odd);
    odd["holding_preset"] = json!("tax-free-after-one-year");
    let s: AppSettings = serde_json::from_value(odd).unwrap();
    assert_eq!(s.holding_preset, Setting::Known(formats::gains::HoldingPreset::TaxFreeAfterOneYear));
}

/// An account as the app stored it when its venue and kind were plain strings.
fn account_in_the_old_form(venue: &str, kind: &str) -> Value {
    json!({
        "credential": "c1",
        "venue": venue,
        "label": "",
        "account_kind": kind,
        "mode": "bitget_unified",
        "ip_restricted": true,
        "warnings": ["a warning"],
        "added_ms": 1_700_000_000_000_i64,
        "last_sync": { "at_ms": 1_700_000_100_000_i64, "error": null, "events": 3, "added": 3 }
    })
}

#[wasm_bindgen_test]
fn accounts_written_as_strings_read_as_venue_and_kind_and_write_back_the_same_bytes() {
    let old = account_in_the_old_form("bitget", "copy-trading");
    let meta: AccountMeta = serde_json::from_value(old.clone()).unwrap();
    assert_eq!(meta.venue, Venue::Bitget);
    assert_eq!(meta.account_kind, AccountKind::CopyTrading);
    assert_same_fields(&serde_json::to_value(&meta).unwrap(), &old);
    let names = app::records::AccountNames::of(&[("c1".to_string(), meta)].into_iter().collect());
    assert_eq!(names.account("c1"), Some("Bitget copy-trading"));
}

#[wasm_bindgen_test]
fn an_account_of_an_unknown_venue_or_kind_is_an_error_that_names_the_value() {
    let err = serde_json::from_value::<AccountMeta>(account_in_the_old_form("kraken", "regular")).unwrap_err();
    assert!(err.to_string().contains("unknown venue `kraken`"), "{err}");
    let err = serde_json::from_value::<AccountMeta>(account_in_the_old_form("binance", "margin")).unwrap_err();
    assert!(err.to_string().contains("unknown account kind `margin`"), "{err}");
}

#[wasm_bindgen_test]
fn the_settings_form_writes_its_own_choices_and_keeps_what_other_screens_saved() {
    use app::ui::settings::apply_form;
    // the form was opened before other screens saved their choices: its copy of those is older
    let form = AppSettings {
        currency: Setting::parse("EUR"),
        method: Setting::Known(pnl::Method::Hifo),
        sync_interval_min: 10,
        relays: vec!["https://relay.example".into()],
        ..AppSettings::default()
    };
    let mut stored = AppSettings {
        theme: Setting::Known(app::records::Theme::Dark),
        period: Setting::Known(pnl::Period::CalendarYear(2025)),
        manual_matches: vec![("w1".into(), "d1".into())],
        holding_preset: Setting::Known(formats::gains::HoldingPreset::TaxFreeAfterOneYear),
        ..AppSettings::default()
    };
    stored.leg_marks.insert("d2".into(), pnl::LegMark::Income);
    stored.deposit_costs.insert("d3".into(), "15000".parse().unwrap());
    let others = stored.clone();
    apply_form(&form, &mut stored);
    // the form's choices are saved
    assert_eq!(stored.currency, form.currency);
    assert_eq!(stored.method, form.method);
    assert_eq!((stored.sync_interval_min, &stored.relays), (10, &form.relays));
    // what other screens saved stays
    assert_eq!(stored.theme, others.theme);
    assert_eq!(stored.period, others.period);
    assert_eq!(stored.manual_matches, others.manual_matches);
    assert_eq!(stored.leg_marks, others.leg_marks);
    assert_eq!(stored.deposit_costs, others.deposit_costs);
    assert_eq!(stored.holding_preset, others.holding_preset);
}

/// A copy-trading account's row says what it is and what is read of it (docs/venues.md §1.17, §2.11); a regular
/// one's says its mode's wallets, as before.
#[wasm_bindgen_test]
fn a_copy_trading_account_says_what_it_is() {
    use app::records::what_is_read;
    use venues::AccountMode;
    assert_eq!(
        what_is_read(AccountMode::Binance, AccountKind::CopyTrading),
        "lead portfolio: its USDS-M futures wallet"
    );
    assert!(what_is_read(AccountMode::BitgetClassic, AccountKind::CopyTrading).starts_with("follower or trader"));
    assert_eq!(what_is_read(AccountMode::Binance, AccountKind::Regular), "spot, wallet, USDS-M futures, Simple Earn");
    assert_eq!(
        what_is_read(AccountMode::BitgetClassic, AccountKind::Regular),
        "classic: spot, USDT-M futures, Earn savings, shark fin and crypto loans, cross and isolated margin"
    );
}
