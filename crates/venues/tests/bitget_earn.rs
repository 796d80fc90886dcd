//! Bitget Earn savings against the pages' samples (docs/venues.md §2.14): records as transfers into and out of the
//! earn wallet and interest income in spot, holdings as the earn wallet's balances, an unknown type kept with a
//! warning, and the tax record's group of the same events.

use ledger::{AccountId, Decimal, EventKind, IncomeType};
use serde_json::json;
use venues::parse::{Balances, bitget};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn record(id: &str, order_type: &str, amount: &str, ts: &str) -> serde_json::Value {
    json!({"orderId": id, "coinName": "BGB", "settleCoinName": "BGB", "productType": "flexible", "period": "",
           "productLevel": "normal", "amount": amount, "ts": ts, "orderType": order_type})
}

#[test]
fn the_records_sample_redemption_is_a_transfer_from_earn_to_spot() {
    // the page's example, as written
    let data = json!({"resultList": [{"orderId": "123123123123", "coinName": "BGB", "settleCoinName": "BGB",
        "productType": "flexible", "period": "", "productLevel": "normal", "amount": "200.000000",
        "ts": "1695797014392", "orderType": "redeem"}], "endId": "456456456456"});
    let page = bitget::savings_records(&data, "main", "flexible").unwrap();
    assert_eq!(
        (page.rows, page.cursor.as_deref(), page.min_id.as_deref()),
        (1, Some("456456456456"), Some("123123123123"))
    );
    let e = &page.events[0];
    assert_eq!(e.id, "bitget/main/earn:savings:flexible:redeem:123123123123");
    assert_eq!((e.time.0, e.account.as_str()), (1_695_797_014_392, "bitget/main/earn"));
    assert_eq!(
        e.kind,
        EventKind::Transfer {
            from_account: AccountId::new("bitget", "main", "earn"),
            to_account: AccountId::new("bitget", "main", "spot"),
            asset: "BGB".into(),
            amount: d("200"),
        }
    );
    assert_eq!(bitget::event_group(e), Some("earn"));
}

#[test]
fn subscriptions_interest_and_penalties() {
    let data = json!({"resultList": [
        record("4", "deduction", "0.5", "4000"),
        record("3", "pay_interest", "0.016438", "3000"),
        record("2", "subscribe", "100", "2000"),
    ], "endId": "2"});
    let page = bitget::savings_records(&data, "main", "fixed").unwrap();
    assert!(page.warnings.is_empty(), "{:?}", page.warnings);
    let ids: Vec<&str> = page.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "bitget/main/earn:savings:fixed:deduction:4",
            "bitget/main/earn:savings:fixed:pay_interest:3",
            "bitget/main/earn:savings:fixed:subscribe:2"
        ]
    );
    let interest =
        |amount| EventKind::Income { income_type: IncomeType::Interest, asset: "BGB".into(), amount, symbol: None };
    assert_eq!(page.events[0].kind, interest(d("-0.5")), "a penalty is negative interest");
    assert_eq!(page.events[1].kind, interest(d("0.016438")));
    assert!(page.events[..2].iter().all(|e| e.account.as_str() == "bitget/main/spot"), "interest is paid to spot");
    assert_eq!(
        page.events[2].kind,
        EventKind::Transfer {
            from_account: AccountId::new("bitget", "main", "spot"),
            to_account: AccountId::new("bitget", "main", "earn"),
            asset: "BGB".into(),
            amount: d("100"),
        }
    );
    assert!(page.events.iter().all(|e| bitget::event_group(e) == Some("earn")));
}

#[test]
fn an_unknown_record_type_is_other_income_with_a_warning_never_dropped() {
    let data = json!({"resultList": [record("9", "bonus_airdrop", "1.25", "9000")], "endId": "9"});
    let page = bitget::savings_records(&data, "main", "flexible").unwrap();
    assert_eq!(page.events.len(), 1);
    let e = &page.events[0];
    assert_eq!(
        (e.id.as_str(), e.account.as_str()),
        ("bitget/main/earn:savings:flexible:bonus_airdrop:9", "bitget/main/earn")
    );
    assert_eq!(
        e.kind,
        EventKind::Income { income_type: IncomeType::Other, asset: "BGB".into(), amount: d("1.25"), symbol: None }
    );
    assert_eq!(page.warnings.len(), 1);
    assert!(
        page.warnings[0].contains("\"bonus_airdrop\"") && page.warnings[0].contains("/api/v2/earn/savings/records")
    );
    // an empty page, and a missing field named with its endpoint
    let empty = bitget::savings_records(&json!({"resultList": null, "endId": ""}), "main", "fixed").unwrap();
    assert_eq!((empty.rows, empty.events.len(), empty.cursor), (0, 0, None));
    let err =
        bitget::savings_records(&json!({"resultList": [{"orderId": "1", "ts": "1"}]}), "main", "fixed").unwrap_err();
    assert!(err.to_string().contains("orderType") && err.to_string().contains("savings/records"), "{err}");
}

#[test]
fn the_assets_sample_is_the_earn_wallets_balance() {
    let data = json!({"resultList": [{"productId": "123123123", "orderId": "xxxx", "productCoin": "BGB",
        "interestCoin": "BGB", "periodType": "flexible", "period": "", "holdAmount": "100.000", "lastProfit": "0.01643800",
        "totalProfit": "1.25479000", "holdDays": "", "status": "in_holding", "allowRedemption": "", "productLevel": "normal",
        "apy": [{"rateLevel": "1", "minApy": "0.000000", "maxApy": "200.000000", "currentApy": "6.00"}]}],
        "endId": "123456789"});
    let mut out = Balances::new();
    let (rows, end) = bitget::savings_balances(&data, "main", &mut out).unwrap();
    assert_eq!((rows, end.as_deref()), (1, Some("123456789")));
    // a fixed-term holding of the same coin adds to it
    let fixed = json!({"resultList": [{"productId": "7", "orderId": "8", "productCoin": "bgb", "interestCoin": "BGB",
        "periodType": "fixed", "period": "30", "holdAmount": "50.5", "status": "in_holding"}], "endId": "8"});
    bitget::savings_balances(&fixed, "main", &mut out).unwrap();
    assert_eq!(out["bitget/main/earn"]["BGB"], d("150.5"));
}
