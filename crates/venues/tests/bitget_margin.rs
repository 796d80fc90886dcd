//! Bitget cross margin (docs/venues.md §2.15) from the pages' samples: the wallet `margin` net of what is owed,
//! borrows and repays from the finance flow as loans, interest charged, fills as trades, transfers as the transfer
//! records' `crossed_margin`; a flow no stream books is other income named by its type, never dropped.

use ledger::{Decimal, EventKind, IncomeType, LoanAction, Money};
use serde_json::json;
use venues::parse::{Balances, SymbolBook, bitget};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[test]
fn balances_are_net_of_borrow_and_interest() {
    // the page's sample (its `net` of 0.1 is not its own definition: the parts are read) and a coin owed, not held
    let data = json!([
        {"coin": "USDT", "totalAmount": "12", "available": "2", "frozen": "0", "borrow": "0.1",
         "interest": "0.000001", "net": "0.1", "cTime": "1734567744432", "uTime": "1734567744432", "coupon": "0"},
        {"coin": "btc", "totalAmount": "0", "available": "0", "frozen": "0", "borrow": "0.5", "interest": "0.0001",
         "net": "-0.5001", "cTime": "1734567744432", "uTime": "1734567744432", "coupon": "0"},
        {"coin": "ETH", "totalAmount": "0", "available": "0", "frozen": "0", "borrow": "0", "interest": "0",
         "net": "0", "cTime": "1734567744432", "uTime": "1734567744432", "coupon": "0"}
    ]);
    let mut out = Balances::new();
    bitget::cross_balances(&data, "main", &mut out).unwrap();
    let wallet = &out["bitget/main/margin"];
    assert_eq!(wallet.len(), 2, "a zero row is left out: {wallet:?}");
    assert_eq!((wallet["USDT"], wallet["BTC"]), (d("1.899999"), d("-0.5001")));
    assert!(bitget::cross_balances(&json!([{"coin": "USDT", "available": "x"}]), "m", &mut out).is_err());
}

#[test]
fn the_finance_flow_books_loans_and_what_no_stream_books() {
    let row = |id: &str, ty: &str, coin: &str, amount: &str| {
        json!({"marginId": id, "amount": amount, "coin": coin, "balance": "1", "fee": "0", "marginType": ty,
               "uTime": "1668134458717", "cTime": format!("16681344587{id}")})
    };
    let data = json!({"minId": "10", "maxId": "16", "resultList": [
        row("16", "transfer_in", "USDT", "10.12"),
        row("15", "borrow", "BTC", "0.5"),
        row("14", "deal_out", "BTC", "-0.5"),
        row("13", "repay", "BTC", "-0.5002"),
        row("12", "liquidation_fee", "USDT", "0.3"),
        row("11", "mystery_type", "USDT", "-1.5"),
        row("10", "transfer_out", "USDT", "-10"),
    ]});
    let page = bitget::cross_finance_flow(&data, "main").unwrap();
    let got: Vec<(&str, EventKind)> = page.events.iter().map(|e| (e.id.as_str(), e.kind.clone())).collect();
    let loan = |action, asset: &str, amount| EventKind::Loan { action, asset: asset.into(), amount, interest: None };
    let other =
        |amount| EventKind::Income { income_type: IncomeType::Other, asset: "USDT".into(), amount, symbol: None };
    assert_eq!(
        got,
        [
            ("bitget/main/margin:borrow:15", loan(LoanAction::Borrow, "BTC", d("0.5"))),
            ("bitget/main/margin:repay:13", loan(LoanAction::Repay, "BTC", d("0.5002"))),
            ("bitget/main/margin:finance:liquidation_fee:12", other(d("-0.3"))),
            ("bitget/main/margin:finance:mystery_type:11", other(d("-1.5"))),
        ]
    );
    assert_eq!((page.rows, page.min_id.as_deref()), (7, Some("10")), "every row counts for paging");
    assert_eq!(page.warnings.len(), 2, "{:?}", page.warnings);
    assert!(page.warnings[1].contains("\"mystery_type\"") && page.warnings[1].contains("does not list"));
    // an empty history is an empty page
    let empty = bitget::cross_finance_flow(&json!({"resultList": null, "minId": null}), "main").unwrap();
    assert!(empty.events.is_empty() && empty.rows == 0);
}

#[test]
fn interest_is_charged_to_the_debt() {
    let data = json!({"minId": "1", "maxId": "2", "resultList": [
        {"interestId": "2", "loanCoin": "BTC", "interestCoin": "BTC", "dailyInterestRate": "0.0001",
         "interestAmount": "0.00005", "interstType": "scheduled", "uTime": "1668138058717", "cTime": "1668138058717"},
        {"interestId": "1", "loanCoin": "USDT", "interestCoin": "USDT", "dailyInterestRate": "0.00001",
         "interestAmount": "1.2", "interstType": "first", "uTime": "1668134458717", "cTime": "1668134458717"}
    ]});
    let page = bitget::cross_interest(&data, "main").unwrap();
    let got: Vec<(&str, i64, EventKind)> =
        page.events.iter().map(|e| (e.id.as_str(), e.time.0, e.kind.clone())).collect();
    let interest = |asset: &str, amount| EventKind::Loan {
        action: LoanAction::Interest,
        asset: asset.into(),
        amount,
        interest: None,
    };
    assert_eq!(
        got,
        [
            ("bitget/main/margin:interest:2", 1668138058717, interest("BTC", d("0.00005"))),
            ("bitget/main/margin:interest:1", 1668134458717, interest("USDT", d("1.2"))),
        ]
    );
    assert!(page.warnings.is_empty());
}

#[test]
fn fills_are_trades_in_the_margin_wallet() {
    // the page's sample: no `symbol` in the row, so the request's; a liquidation's buy back is a buy
    let data = json!({"maxId": "3", "minId": "2", "fills": [
        {"orderId": "121211212122", "tradeId": "3", "orderType": "market", "side": "liquidation_buy",
         "priceAvg": "30000", "size": "0.01", "amount": "300", "tradeScope": "taker", "cTime": "1695629959821",
         "uTime": "1695629959821", "feeDetail": {"deduction": "no", "feeCoin": "USDT", "totalDeductionFee": "0",
         "totalFee": "-0.3"}},
        {"orderId": "121211212122", "tradeId": "2", "orderType": "limit", "side": "sell", "priceAvg": "32111",
         "size": "0.01", "amount": "321.11", "tradeScope": "taker", "cTime": "1695629859821",
         "uTime": "1695629890839", "feeDetail": {"deduction": "yes", "feeCoin": "BGB",
         "totalDeductionFee": "-0.017118519726", "totalFee": "-0.017118519726"}}
    ]});
    let page = bitget::cross_fills(&data, "main", "BTCUSDT", &SymbolBook::default()).unwrap();
    let got: Vec<(&str, EventKind)> = page.events.iter().map(|e| (e.id.as_str(), e.kind.clone())).collect();
    let trade = |spend: Money, receive: Money, fee: Money| EventKind::Trade {
        spend,
        receive,
        fees: vec![fee],
        symbol: Some("BTCUSDT".into()),
    };
    let m = |a: &str, x: &str| Money::new(a.to_string(), d(x));
    assert_eq!(
        got,
        [
            ("bitget/main/margin:trade:BTCUSDT:3", trade(m("USDT", "300"), m("BTC", "0.01"), m("USDT", "0.3"))),
            (
                "bitget/main/margin:trade:BTCUSDT:2",
                trade(m("BTC", "0.01"), m("USDT", "321.11"), m("BGB", "0.017118519726"))
            ),
        ]
    );
    assert_eq!(page.min_id.as_deref(), Some("2"));
    let bad = json!({"fills": [{"tradeId": "1", "cTime": "1", "side": "hold", "size": "1", "amount": "1"}]});
    assert!(bitget::cross_fills(&bad, "main", "BTCUSDT", &SymbolBook::default()).is_err());
}

#[test]
fn transfers_name_the_cross_margin_account_type() {
    assert_eq!(bitget::wallet_of(bitget::MARGIN_ACCOUNT_TYPE), Some(bitget::MARGIN_WALLET));
    let data = json!([{"coin": "USDT", "status": "Successful", "toType": "crossed_margin", "toSymbol": "",
        "fromType": "spot", "fromSymbol": "", "size": "200", "ts": "1683875302853", "clientOid": "", "transferId": "7"}]);
    let page = bitget::transfers(&data, "main").unwrap();
    match &page.events[0].kind {
        EventKind::Transfer { from_account, to_account, .. } => {
            assert_eq!((from_account.as_str(), to_account.as_str()), ("bitget/main/spot", "bitget/main/margin"));
        }
        other => panic!("{other:?}"),
    }
}
