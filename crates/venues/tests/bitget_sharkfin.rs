//! Bitget Earn shark fin against the pages' samples (docs/venues.md §2.16): records as transfers into and out of the
//! shark fin wallet and interest income in spot, the coin taken from the product's name, an unknown type kept with a
//! warning, the wallet as what the Earn overview holds beyond the savings, and the tax record's group of the same
//! events.

use ledger::{AccountId, Decimal, EventKind, IncomeType};
use serde_json::json;
use venues::parse::{Balances, bitget};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn record(id: &str, ty: &str, amount: &str, ts: &str) -> serde_json::Value {
    json!({"orderId": id, "product": "USDT/BTC_20231013", "period": "7", "amount": amount, "ts": ts, "type": ty})
}

#[test]
fn the_records_sample_subscription_is_a_transfer_from_spot_to_sharkfin() {
    // the page's example, as written
    let data = json!({"resultList": [{"orderId": "1", "product": "USDT/BTC_20231013", "period": "7",
        "amount": "100.00000000", "ts": "1696756278760", "type": "subscription"}], "endId": "1"});
    let page = bitget::sharkfin_records(&data, "main").unwrap();
    assert_eq!((page.rows, page.cursor.as_deref(), page.min_id.as_deref()), (1, Some("1"), Some("1")));
    assert!(page.warnings.is_empty(), "{:?}", page.warnings);
    let e = &page.events[0];
    assert_eq!(e.id, "bitget/main/sharkfin:sharkfin:subscription:1");
    assert_eq!((e.time.0, e.account.as_str()), (1_696_756_278_760, "bitget/main/spot"));
    assert_eq!(
        e.kind,
        EventKind::Transfer {
            from_account: AccountId::new("bitget", "main", "spot"),
            to_account: AccountId::new("bitget", "main", "sharkfin"),
            asset: "USDT".into(),
            amount: d("100"),
        }
    );
    assert_eq!(bitget::event_group(e), Some("earn"), "checked against the spot tax record's Subscribe");
}

#[test]
fn a_settlement_is_the_principal_back_to_spot_and_interest_income_in_spot() {
    let data = json!({"resultList": [
        record("9", "interest", "0.15342466", "5000"),
        record("8", "redemption", "100", "5000"),
    ], "endId": "8"});
    let page = bitget::sharkfin_records(&data, "alt").unwrap();
    let got: Vec<(&str, &str, &EventKind)> =
        page.events.iter().map(|e| (e.id.as_str(), e.account.as_str(), &e.kind)).collect();
    assert_eq!(
        got,
        [
            (
                "bitget/alt/sharkfin:sharkfin:interest:9",
                "bitget/alt/spot",
                &EventKind::Income {
                    income_type: IncomeType::Interest,
                    asset: "USDT".into(),
                    amount: d("0.15342466"),
                    symbol: None
                }
            ),
            (
                "bitget/alt/sharkfin:sharkfin:redemption:8",
                "bitget/alt/sharkfin",
                &EventKind::Transfer {
                    from_account: AccountId::new("bitget", "alt", "sharkfin"),
                    to_account: AccountId::new("bitget", "alt", "spot"),
                    asset: "USDT".into(),
                    amount: d("100"),
                }
            ),
        ]
    );
    assert!(page.events.iter().all(|e| bitget::event_group(e) == Some("earn")));
}

#[test]
fn an_unknown_type_is_kept_as_other_income_with_a_warning_and_a_product_without_coin_is_an_error() {
    let data = json!({"resultList": [record("5", "bonus", "1.5", "7000")], "endId": "5"});
    let page = bitget::sharkfin_records(&data, "main").unwrap();
    assert_eq!(page.events.len(), 1);
    let e = &page.events[0];
    assert_eq!((e.id.as_str(), e.account.as_str()), ("bitget/main/sharkfin:sharkfin:bonus:5", "bitget/main/sharkfin"));
    assert_eq!(
        e.kind,
        EventKind::Income { income_type: IncomeType::Other, asset: "USDT".into(), amount: d("1.5"), symbol: None }
    );
    assert!(page.warnings.iter().any(|w| w.contains("bonus") && w.contains("row 5")), "{:?}", page.warnings);

    let bad = json!({"resultList": [{"orderId": "6", "product": "SHARKFIN_20231013", "period": "7", "amount": "1",
        "ts": "8000", "type": "subscription"}], "endId": "6"});
    let err = bitget::sharkfin_records(&bad, "main").unwrap_err().to_string();
    assert!(err.contains("/api/v2/earn/sharkfin/records") && err.contains("SHARKFIN_20231013"), "{err}");
    // an empty page (no rows, no endId) is the end
    let page = bitget::sharkfin_records(&json!({"resultList": [], "endId": ""}), "main").unwrap();
    assert_eq!((page.rows, page.cursor), (0, None));
}

#[test]
fn the_sharkfin_wallet_is_the_overview_beyond_the_savings_holdings() {
    // the savings holdings first (the earn wallet), as the sync reads them in the same tick
    let mut b = Balances::new();
    let savings = json!({"resultList": [{"productId": "1", "orderId": "", "productCoin": "USDT", "interestCoin": "USDT",
        "periodType": "flexible", "period": "", "holdAmount": "300", "lastProfit": "0", "totalProfit": "0",
        "holdDays": "", "status": "in_holding", "allowRedemption": "", "productLevel": "normal", "apy": []}],
        "endId": "1"});
    bitget::savings_balances(&savings, "main", &mut b).unwrap();
    // the overview page's sample: 0.1 BTC and 400 USDT across every Earn product
    let overview = json!([{"coin": "BTC", "amount": "0.10000000"}, {"coin": "USDT", "amount": "400.00000000"}]);
    bitget::sharkfin_balances(&overview, "main", &mut b).unwrap();
    assert_eq!(b["bitget/main/earn"], [("USDT".to_string(), d("300"))].into());
    assert_eq!(b["bitget/main/sharkfin"], [("BTC".to_string(), d("0.1")), ("USDT".to_string(), d("100"))].into());
    // a coin the savings hold more of than the overview shows is a negative holding, for the residual to name
    let mut b = Balances::new();
    bitget::savings_balances(&savings, "main", &mut b).unwrap();
    bitget::sharkfin_balances(&json!([]), "main", &mut b).unwrap();
    assert_eq!(b["bitget/main/sharkfin"], [("USDT".to_string(), d("-300"))].into());
    // a missing field is an error naming the endpoint
    let err = bitget::sharkfin_balances(&json!([{"coin": "BTC"}]), "main", &mut Balances::new()).unwrap_err();
    assert!(err.to_string().contains("/api/v2/earn/account/assets"), "{err}");
}
