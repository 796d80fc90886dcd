//! A Bitget unified account (docs/venues.md §2.8): one wallet, `unified`, for spot, margin and futures. Its balances
//! are net of what it owes (`balance − debt`); margin fills are trades; the financial records of every category give
//! funding, loans (borrow, repay of principal and of interest, interest charged) and, for a type no stream books or
//! the page does not list, other income named by its type with a warning; rows another stream books give nothing.

use ledger::{Decimal, EventKind, IncomeType, LoanAction};
use serde_json::{Value, json};
use venues::parse::{Balances, SymbolBook, bitget};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[test]
fn balances_are_net_of_debt() {
    let asset = |coin: &str, balance: &str, debt: &str| {
        json!({"coin": coin, "equity": balance, "usdValue": "0", "balance": balance, "available": balance,
               "debt": debt, "locked": "0"})
    };
    // the page's sample has no `debt` on the account, only on each coin
    let data = json!({"accountEquity": "0", "assets": [
        asset("USDT", "180.5", "0"),
        asset("BTC", "0.0012", "0.00100011"),
        asset("ETH", "0.5", "0.5"),
    ]});
    let mut out = Balances::new();
    bitget::unified_balances(&data, "uta", &mut out).unwrap();
    let wallet = &out["bitget/uta/unified"];
    assert_eq!(wallet.get("USDT"), Some(&d("180.5")));
    assert_eq!(wallet.get("BTC"), Some(&d("0.00019989")), "balance − debt");
    assert!(!wallet.contains_key("ETH"), "all of it owed: nothing held, net");
    // a row without `debt` owes nothing
    let data = json!({"assets": [{"coin": "BGB", "balance": "2", "available": "2"}]});
    let mut out = Balances::new();
    bitget::unified_balances(&data, "uta", &mut out).unwrap();
    assert_eq!(out["bitget/uta/unified"].get("BGB"), Some(&d("2")));
}

fn fill(category: &str, side: &str) -> Value {
    json!({"list": [{"execId": "77", "orderId": "78", "category": category, "symbol": "BTCUSDT", "orderType": "market",
        "side": side, "execPrice": "60000", "execQty": "0.001", "execValue": "60", "tradeScope": "taker",
        "tradeSide": "", "feeDetail": [{"feeCoin": "USDT", "fee": "0.06"}], "createdTime": "1750000000000",
        "updatedTime": "1750000000000", "execPnl": "0"}], "cursor": ""})
}

#[test]
fn a_margin_fill_is_a_trade_of_the_unified_wallet() {
    let page = bitget::unified_fills(&fill("MARGIN", "sell"), "uta", &SymbolBook::default()).unwrap();
    assert_eq!(page.events.len(), 1);
    let e = &page.events[0];
    assert_eq!(e.id, "bitget/uta/unified:trade:BTCUSDT:77");
    match &e.kind {
        EventKind::Trade { spend, receive, fees, .. } => {
            assert_eq!((&*spend.asset, spend.amount), ("BTC", d("0.001")));
            assert_eq!((&*receive.asset, receive.amount), ("USDT", d("60")));
            assert_eq!((&*fees[0].asset, fees[0].amount), ("USDT", d("0.06")));
        }
        other => panic!("a margin fill is a trade, not {other:?}"),
    }
    // a futures fill is not: its money is its commission (and realized PnL)
    let page = bitget::unified_fills(&fill("USDT-FUTURES", "sell"), "uta", &SymbolBook::default()).unwrap();
    assert!(page.events.iter().all(|e| !matches!(e.kind, EventKind::Trade { .. })));
}

fn record(id: &str, ty: &str, coin: &str, amount: &str) -> Value {
    json!({"category": "MARGIN", "id": id, "symbol": "BTCUSDT", "coin": coin, "type": ty, "amount": amount,
           "fee": "0", "balance": "0", "ts": "1750000000000"})
}

#[test]
fn margin_records_are_loans_and_what_no_stream_books_is_kept_with_a_warning() {
    let data = json!({"list": [
        record("1", "BORROW", "BTC", "0.001"),
        record("2", "ORDER_DEALT_FROZEN_OUT", "BTC", "-0.001"),
        record("3", "INTEREST_SETTLEMENT_OUT", "BTC", "-0.00000011"),
        record("4", "REPAYMENT", "BTC", "-0.001"),
        record("5", "INTEREST_REPAYMENT", "BTC", "-0.00000011"),
        record("6", "LIQ_FEE", "USDT", "-1.5"),
        record("7", "A_NEW_TYPE", "USDT", "2"),
        record("8", "CONTRACT_MAIN_SETTLE_FEE_USER_OUT", "USDT", "-0.3"),
        record("9", "TRANSFER_IN", "USDT", "100"),
        record("10", "DEPOSIT", "USDT", "100"),
        record("11", "BORROW", "BTC", "0"),
    ], "cursor": "11"});
    let page = bitget::unified_financial_records(&data, "uta").unwrap();
    assert_eq!(page.cursor.as_deref(), Some("11"));
    let got: Vec<(&str, &EventKind)> = page.events.iter().map(|e| (e.id.as_str(), &e.kind)).collect();
    let loan =
        |action, amount: &str| EventKind::Loan { action, asset: "BTC".into(), amount: d(amount), interest: None };
    let income = |income_type, amount: &str| EventKind::Income {
        income_type,
        asset: "USDT".into(),
        amount: d(amount),
        symbol: Some("BTCUSDT".into()),
    };
    let want = [
        ("bitget/uta/unified:borrow:1", loan(LoanAction::Borrow, "0.001")),
        ("bitget/uta/unified:interest:3", loan(LoanAction::Interest, "0.00000011")),
        ("bitget/uta/unified:repay:4", loan(LoanAction::Repay, "0.001")),
        ("bitget/uta/unified:interest_repay:5", loan(LoanAction::Repay, "0.00000011")),
        ("bitget/uta/unified:record:6", income(IncomeType::Other, "-1.5")),
        ("bitget/uta/unified:record:7", income(IncomeType::Other, "2")),
        ("bitget/uta/unified:funding:8", income(IncomeType::Funding, "-0.3")),
    ];
    assert_eq!(got.len(), want.len(), "{got:?}");
    for ((id, kind), (want_id, want_kind)) in got.iter().zip(&want) {
        assert_eq!((*id, *kind), (*want_id, want_kind));
    }
    // the two kept as other income are named, each with its type
    assert_eq!(page.warnings.len(), 2, "{:?}", page.warnings);
    assert!(page.warnings[0].contains("\"LIQ_FEE\"") && page.warnings[0].contains("no stream books"));
    assert!(page.warnings[1].contains("\"A_NEW_TYPE\"") && page.warnings[1].contains("does not list"));
}

#[test]
fn a_record_in_an_unexpected_shape_is_an_error_not_a_guess() {
    let bad = json!({"list": [record("1", "BORROW", "BTC", "lots")]});
    assert!(bitget::unified_financial_records(&bad, "uta").is_err());
    let no_type = json!({"list": [{"id": "1", "coin": "BTC", "amount": "1", "ts": "1750000000000"}]});
    assert!(bitget::unified_financial_records(&no_type, "uta").is_err());
}
