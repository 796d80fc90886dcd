//! Bitget Earn crypto loans against the pages' samples (docs/venues.md §2.17): the open loans as the loan wallet's
//! collateral and principal owed and as the loans taken, the loan history's loans taken (a failed one none), the
//! repays as interest charged, principal and interest paid from spot, the repay and the collateral released, in that
//! order; none of them in a tax group.

use ledger::{AccountId, Decimal, EventKind, LoanAction};
use serde_json::json;
use venues::parse::{Balances, bitget};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn transfer(from: &str, to: &str, asset: &str, amount: &str) -> EventKind {
    EventKind::Transfer {
        from_account: AccountId::new("bitget", "main", from),
        to_account: AccountId::new("bitget", "main", to),
        asset: asset.into(),
        amount: d(amount),
    }
}

fn loan(action: LoanAction, asset: &str, amount: &str, interest: Option<&str>) -> EventKind {
    EventKind::Loan { action, asset: asset.into(), amount: d(amount), interest: interest.map(d) }
}

/// The open loans page's sample, as written.
fn ongoing() -> serde_json::Value {
    json!([{"orderId": "1", "loanCoin": "ETH", "loanAmount": "1", "interestAmount": "0.00000229",
        "hourInterestRate": "0.000229", "pledgeCoin": "USDT", "pledgeAmount": "2619.69231032", "pledgeRate": "65",
        "supRate": "75", "forceRate": "83", "borrowTime": "1692434472156", "expireTime": "1693036799999"}])
}

#[test]
fn an_open_loan_is_collateral_held_and_principal_owed_in_the_loan_wallet() {
    let mut b = Balances::new();
    bitget::loan_balances(&ongoing(), "main", &mut b).unwrap();
    // the accrued interest (0.00000229 ETH) is booked when paid, with the repay: not in the balance
    assert_eq!(b["bitget/main/loan"], [("ETH".to_string(), d("-1")), ("USDT".to_string(), d("2619.69231032"))].into());
    // no open loan: no balance; a missing field names the endpoint
    let mut b = Balances::new();
    bitget::loan_balances(&json!([]), "main", &mut b).unwrap();
    bitget::loan_balances(&serde_json::Value::Null, "main", &mut b).unwrap();
    assert!(b.is_empty(), "{b:?}");
    let err = bitget::loan_balances(&json!([{"orderId": "1", "loanCoin": "ETH"}]), "main", &mut b).unwrap_err();
    assert!(err.to_string().contains("/api/v2/earn/loan/ongoing-orders"), "{err}");
}

#[test]
fn an_open_loan_is_a_borrow_moved_to_spot_and_its_collateral_moved_from_spot() {
    let page = bitget::loan_orders(&ongoing(), "main").unwrap();
    let got: Vec<(&str, i64, &str, &EventKind)> =
        page.events.iter().map(|e| (e.id.as_str(), e.time.0, e.account.as_str(), &e.kind)).collect();
    let t = 1_692_434_472_156;
    assert_eq!(
        got,
        [
            ("bitget/main/loan:loan:borrow:1", t, "bitget/main/loan", &loan(LoanAction::Borrow, "ETH", "1", None)),
            ("bitget/main/loan:loan:borrowed:1", t, "bitget/main/loan", &transfer("loan", "spot", "ETH", "1")),
            (
                "bitget/main/loan:loan:pledge:1",
                t,
                "bitget/main/spot",
                &transfer("spot", "loan", "USDT", "2619.69231032")
            ),
        ]
    );
    // the tax records list no crypto loan type: none of these is compared with them
    assert!(page.events.iter().all(|e| bitget::event_group(e).is_none()));
}

#[test]
fn the_loan_history_books_loans_taken_with_the_open_loans_ids_and_a_failed_one_not() {
    // the page's sample (two identical rows: one event each) and a failed borrow
    let row = json!({"orderId": "12121212121", "loanCoin": "TRX", "pledgeCoin": "USDT", "initPledgeAmount": "0.757",
        "initLoanAmount": "4321321.23820848", "hourRate": "59.1", "daily": "7", "borrowTime": "1684747528424",
        "status": "REPAY"});
    let mut failed = row.clone();
    failed["orderId"] = json!("7");
    failed["status"] = json!("ROLLBACK");
    let mut odd = row.clone();
    odd["orderId"] = json!("8");
    odd["status"] = json!("PENDING");
    let page = bitget::loan_history(&json!([row, row, failed, odd]), "main").unwrap();
    assert_eq!(page.rows, 4);
    let ids: Vec<&str> = page.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "bitget/main/loan:loan:borrow:12121212121",
            "bitget/main/loan:loan:borrowed:12121212121",
            "bitget/main/loan:loan:pledge:12121212121",
            "bitget/main/loan:loan:borrow:12121212121",
            "bitget/main/loan:loan:borrowed:12121212121",
            "bitget/main/loan:loan:pledge:12121212121",
            "bitget/main/loan:loan:borrow:8",
            "bitget/main/loan:loan:borrowed:8",
            "bitget/main/loan:loan:pledge:8",
        ]
    );
    assert_eq!(page.events[0].kind, loan(LoanAction::Borrow, "TRX", "4321321.23820848", None));
    assert_eq!(page.events[2].kind, transfer("spot", "loan", "USDT", "0.757"));
    assert!(page.warnings.iter().any(|w| w.contains("PENDING") && w.contains("order 8")), "{:?}", page.warnings);
}

#[test]
fn a_repay_charges_its_interest_pays_from_spot_repays_and_releases_the_collateral() {
    // the page's sample, whose `repayAmount` is not `repayLoanAmount + payInterest`: the parts are read
    let data = json!([{"orderId": "12121212121", "loanCoin": "TRX", "pledgeCoin": "USDT",
        "repayAmount": "1566.23820848", "payInterest": "0.1185634", "repayLoanAmount": "1566.22635214",
        "repayUnlockAmount": "195", "repayTime": "1684747525424"}]);
    let page = bitget::loan_repays(&data, "main").unwrap();
    let got: Vec<(&str, &str, &EventKind)> =
        page.events.iter().map(|e| (e.id.as_str(), e.account.as_str(), &e.kind)).collect();
    let id = |what: &str| format!("bitget/main/loan:loan:{what}:12121212121:1684747525424");
    let ids: Vec<String> = ["interest", "pay", "repay", "unlock"].iter().map(|w| id(w)).collect();
    assert_eq!(
        got,
        [
            (ids[0].as_str(), "bitget/main/loan", &loan(LoanAction::Interest, "TRX", "0.1185634", None)),
            (ids[1].as_str(), "bitget/main/spot", &transfer("spot", "loan", "TRX", "1566.34491554")),
            (ids[2].as_str(), "bitget/main/loan", &loan(LoanAction::Repay, "TRX", "1566.22635214", Some("0.1185634"))),
            (ids[3].as_str(), "bitget/main/loan", &transfer("loan", "spot", "USDT", "195")),
        ]
    );
    // the ids sort in the order the engine must apply them at one time (ties keep the ledger's order)
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(sorted, ids);
    // what the loan wallet's balance does, net of what is owed: the interest charged and the principal paid in
    // leave the principal repaid; the collateral leaves
    let net: Decimal = page
        .events
        .iter()
        .map(|e| match &e.kind {
            EventKind::Loan { action, amount, .. } => action.net_change(*amount),
            EventKind::Transfer { to_account, asset, amount, .. }
                if asset == "TRX" && to_account.as_str().ends_with("/loan") =>
            {
                *amount
            }
            _ => Decimal::ZERO,
        })
        .sum();
    assert_eq!(net, d("1566.22635214"));
    assert!(page.events.iter().all(|e| bitget::event_group(e).is_none()));
    // a repay with no interest: no interest event, a repay without interest
    let data = json!([{"orderId": "5", "loanCoin": "ETH", "pledgeCoin": "USDT", "repayAmount": "1",
        "payInterest": "0", "repayLoanAmount": "1", "repayUnlockAmount": "0", "repayTime": "9"}]);
    let page = bitget::loan_repays(&data, "main").unwrap();
    let kinds: Vec<&EventKind> = page.events.iter().map(|e| &e.kind).collect();
    assert_eq!(kinds, [&transfer("spot", "loan", "ETH", "1"), &loan(LoanAction::Repay, "ETH", "1", None)]);
}
