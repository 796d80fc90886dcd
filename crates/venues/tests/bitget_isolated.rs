//! Bitget isolated margin (docs/venues.md §2.18): each pair its own wallet `isolated-{SYMBOL}`, read through the
//! cross margin rows with the pair named: balances net of what is owed, borrows and repays from the finance flow as
//! loans (the isolated page's own sample), interest charged, fills as trades, transfers as the transfer records'
//! `isolated_margin` with `toSymbol` / `fromSymbol`; a flow no stream books is other income named by its type, never
//! dropped; the margin tax record's isolated rows land in their pairs' wallets.

use ledger::{Decimal, EventKind, IncomeType, LoanAction, Money};
use serde_json::json;
use venues::parse::{Balances, SymbolBook, bitget};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

#[test]
fn each_pair_is_a_wallet_net_of_borrow_and_interest() {
    let row = |symbol: &str, coin: &str, available: &str, borrow: &str, interest: &str| {
        json!({"symbol": symbol, "coin": coin, "totalAmount": available, "available": available, "frozen": "0",
               "borrow": borrow, "interest": interest, "net": "0", "cTime": "1", "uTime": "1", "coupon": "0"})
    };
    let data = json!([
        row("BTCUSDT", "USDT", "150", "0", "0"),
        row("BTCUSDT", "BTC", "0.001", "0.002", "0.00001"),
        row("ETHUSDT", "ETH", "0", "0", "0"),
        row("ethusdt", "USDT", "0", "0", "0"),
    ]);
    let mut out = Balances::new();
    let pairs = bitget::isolated_balances(&data, "main", &mut out).unwrap();
    // a pair listed with nothing in it is still a pair in use: its histories are read
    assert_eq!(pairs, ["BTCUSDT", "ETHUSDT"]);
    let btc = &out["bitget/main/isolated-BTCUSDT"];
    assert_eq!((btc["USDT"], btc["BTC"]), (d("150"), d("-0.00101")));
    assert!(!out.contains_key("bitget/main/isolated-ETHUSDT"), "zero rows are left out: {out:?}");
    assert!(!out.contains_key("bitget/main/margin"), "never the cross wallet");
    // a row without its pair has no wallet
    let no_pair = json!([{"coin": "USDT", "available": "1"}]);
    assert!(bitget::isolated_balances(&no_pair, "main", &mut out).is_err());
}

#[test]
fn the_finance_flow_books_loans_in_the_pairs_wallet() {
    // the isolated page's sample row (a `repay` of -1 BTC), and the types around it
    let row = |id: &str, ty: &str, coin: &str, amount: &str| {
        json!({"coin": coin, "symbol": "BTCUSDT", "marginId": id, "amount": amount, "balance": "199999.0036963",
               "fee": "0", "marginType": ty, "cTime": format!("16956246160{id}"), "uTime": "1695624616058"})
    };
    let data = json!({"resultList": [
        row("58", "repay", "BTC", "-1"),
        row("57", "deal_in", "BTC", "1"),
        row("56", "liquidation_fee", "USDT", "-2"),
        row("55", "compensate", "USDT", "0.5"),
        row("54", "isolated_novelty", "USDT", "3"),
        row("53", "deal_out", "BTC", "-1"),
        row("52", "borrow", "BTC", "1"),
        row("51", "transfer_in", "USDT", "100"),
    ], "maxId": "58", "minId": "51"});
    let page = bitget::isolated_finance_flow(&data, "main", "BTCUSDT").unwrap();
    let got: Vec<(&str, EventKind)> = page.events.iter().map(|e| (e.id.as_str(), e.kind.clone())).collect();
    let loan = |action, amount| EventKind::Loan { action, asset: "BTC".into(), amount, interest: None };
    let other =
        |amount| EventKind::Income { income_type: IncomeType::Other, asset: "USDT".into(), amount, symbol: None };
    let w = "bitget/main/isolated-BTCUSDT";
    assert_eq!(
        got,
        [
            (&*format!("{w}:repay:58"), loan(LoanAction::Repay, d("1"))),
            (&*format!("{w}:finance:liquidation_fee:56"), other(d("-2"))),
            (&*format!("{w}:finance:compensate:55"), other(d("0.5"))),
            (&*format!("{w}:finance:isolated_novelty:54"), other(d("3"))),
            (&*format!("{w}:borrow:52"), loan(LoanAction::Borrow, d("1"))),
        ]
    );
    assert!(page.events.iter().all(|e| e.account.as_str() == w));
    assert_eq!((page.rows, page.min_id.as_deref()), (8, Some("51")), "every row counts for paging");
    assert_eq!(page.warnings.len(), 3, "{:?}", page.warnings);
    assert!(page.warnings[2].contains("\"isolated_novelty\"") && page.warnings[2].contains("does not list"));
    // a row without `symbol` is the request's pair's; none at all is an error, not a guess
    let bare = json!({"resultList": [{"coin": "BTC", "marginId": "1", "amount": "1", "fee": "0",
        "marginType": "borrow", "cTime": "1", "uTime": "1"}]});
    let page = bitget::isolated_finance_flow(&bare, "main", "ethbtc").unwrap();
    assert_eq!(page.events[0].account.as_str(), "bitget/main/isolated-ETHBTC");
    assert!(bitget::isolated_finance_flow(&bare, "main", "").is_err());
}

#[test]
fn interest_and_fills_are_the_pairs() {
    let data = json!({"minId": "1", "maxId": "1", "resultList": [
        {"interestId": "1", "symbol": "BTCUSDT", "loanCoin": "BTC", "interestCoin": "BTC", "dailyInterestRate": "0.0003",
         "interestAmount": "0.0000125", "interstType": "first", "uTime": "1668134458717", "cTime": "1668134458717"}
    ]});
    let page = bitget::isolated_interest(&data, "main", "BTCUSDT").unwrap();
    assert_eq!(page.events[0].id, "bitget/main/isolated-BTCUSDT:interest:1");
    assert_eq!(
        page.events[0].kind,
        EventKind::Loan { action: LoanAction::Interest, asset: "BTC".into(), amount: d("0.0000125"), interest: None }
    );
    let fill = |symbol: &str| {
        json!({"maxId": "3", "minId": "3", "fills": [
            {"orderId": "9", "tradeId": "3", "symbol": symbol, "orderType": "market", "side": "system_repay_buy",
             "priceAvg": "30000", "size": "0.01", "amount": "300", "tradeScope": "taker", "cTime": "1695629959821",
             "uTime": "1695629959821", "feeDetail": {"deduction": "no", "feeCoin": "USDT", "totalDeductionFee": "0",
             "totalFee": "-0.3"}}]})
    };
    let page = bitget::isolated_fills(&fill("BTCUSDT"), "main", "BTCUSDT", &SymbolBook::default()).unwrap();
    let m = |a: &str, x: &str| Money::new(a.to_string(), d(x));
    assert_eq!(page.events[0].id, "bitget/main/isolated-BTCUSDT:trade:BTCUSDT:3");
    assert_eq!(
        page.events[0].kind,
        EventKind::Trade {
            spend: m("USDT", "300"),
            receive: m("BTC", "0.01"),
            fees: vec![m("USDT", "0.3")],
            symbol: Some("BTCUSDT".into())
        }
    );
    // a fill of another pair in a pair's fills would land in the wrong wallet: an error
    assert!(bitget::isolated_fills(&fill("ETHUSDT"), "main", "BTCUSDT", &SymbolBook::default()).is_err());
}

#[test]
fn transfers_name_the_pair_of_an_isolated_margin_account() {
    let row = |from: &str, from_symbol: &str, to: &str, to_symbol: &str, id: &str| {
        json!({"coin": "USDT", "status": "Successful", "toType": to, "toSymbol": to_symbol, "fromType": from,
               "fromSymbol": from_symbol, "size": "100", "ts": "1683875302853", "clientOid": "", "transferId": id})
    };
    let data = json!([
        row("spot", "", "isolated_margin", "BTCUSDT", "7"),
        row("isolated_margin", "BTC/USDT", "spot", "", "8"),
        // from one pair to another, and between cross margin and a pair: both sides named
        row("isolated_margin", "BTCUSDT", "isolated_margin", "ETHUSDT", "10"),
        row("crossed_margin", "", "isolated_margin", "ETHUSDT", "11"),
        row("isolated_margin", "ETHUSDT", "crossed_margin", "", "12"),
    ]);
    let page = bitget::transfers(&data, "main").unwrap();
    let got: Vec<(&str, &str, &str)> = page
        .events
        .iter()
        .map(|e| match &e.kind {
            EventKind::Transfer { from_account, to_account, .. } => {
                (e.id.as_str(), from_account.as_str(), to_account.as_str())
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        got,
        [
            ("bitget/main/spot:transfer:7", "bitget/main/spot", "bitget/main/isolated-BTCUSDT"),
            ("bitget/main/isolated-BTCUSDT:transfer:8", "bitget/main/isolated-BTCUSDT", "bitget/main/spot"),
            (
                "bitget/main/isolated-BTCUSDT:transfer:10",
                "bitget/main/isolated-BTCUSDT",
                "bitget/main/isolated-ETHUSDT"
            ),
            ("bitget/main/margin:transfer:11", "bitget/main/margin", "bitget/main/isolated-ETHUSDT"),
            ("bitget/main/isolated-ETHUSDT:transfer:12", "bitget/main/isolated-ETHUSDT", "bitget/main/margin"),
        ]
    );
    // an isolated transfer without its pair has no wallet: an error, not the cross one
    assert!(bitget::transfers(&json!([row("spot", "", "isolated_margin", "", "9")]), "main").is_err());
}

#[test]
fn the_isolated_margin_tax_record_counts_each_row_in_its_pairs_wallet() {
    use bitget::{TaxRecords, tally_covers, tax_checks};
    let row = |id: &str, ty: &str, coin: &str, amount: &str, symbol: &str| {
        json!({"id": id, "coin": coin, "marginTaxType": ty, "amount": amount, "fee": "0", "total": "0",
               "symbol": symbol, "ts": "1686129284474"})
    };
    let data = json!([
        row("1", "transfer_in", "USDT", "100", "BTCUSDT"),
        row("2", "interest_repay", "BTC", "-0.00001", "BTCUSDT"),
        row("3", "borrow", "ETH", "1", "ETHUSDT"),
    ]);
    let checks = tax_checks(&data, "main", TaxRecords::IsolatedMargin).unwrap();
    let got: Vec<(&str, &str, &str)> =
        checks.iter().map(|c| (c.wallet.as_str(), c.coin.as_str(), c.group.as_str())).collect();
    assert_eq!(
        got,
        [
            ("bitget/main/isolated-BTCUSDT", "USDT", "transfer"),
            ("bitget/main/isolated-BTCUSDT", "BTC", "loan"),
            ("bitget/main/isolated-ETHUSDT", "ETH", "loan"),
        ]
    );
    // the record's tally covers every pair's wallet, never cross margin's
    let tally = format!("bitget/main/{}", TaxRecords::IsolatedMargin.wallet());
    assert!(tally_covers(&tally, "bitget/main/isolated-BTCUSDT") && !tally_covers(&tally, "bitget/main/margin"));
    assert!(tally_covers("bitget/main/margin", "bitget/main/margin"));
    assert!(!tally_covers("bitget/main/margin", "bitget/main/isolated-BTCUSDT"));
    // an unknown type is other income in its pair's wallet, with a warning; a row without its pair is an error
    let page =
        bitget::tax_records(&json!([row("4", "odd", "USDT", "2", "BTCUSDT")]), "main", TaxRecords::IsolatedMargin)
            .unwrap();
    assert_eq!(page.events[0].account.as_str(), "bitget/main/isolated-BTCUSDT");
    assert_eq!(page.warnings.len(), 1);
    assert!(tax_checks(&json!([row("5", "borrow", "BTC", "1", "")]), "main", TaxRecords::IsolatedMargin).is_err());
}
