//! Bitget's tax records against the pages' samples (docs/venues.md §2.13): what is booked from a row, what the
//! completeness check counts, and an unknown type kept with a warning.

use ledger::{Decimal, EventKind, IncomeType};
use serde_json::json;
use venues::parse::bitget::{self, TaxRecords, TaxUse};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// The sample's `Interest` is Earn savings interest paid to spot (docs/venues.md §2.14): the savings records book
/// it, so the tax record checks it (group `earn`) and books nothing, which would count it twice.
#[test]
fn spot_sample_interest_is_checked_against_the_savings_records_not_booked() {
    let data = json!([{"id": "1", "coin": "AIBB", "spotTaxType": "Interest", "amount": "6018333.33333333", "fee": "0",
        "balance": "468575833.33333306", "bizOrderId": "1333333333333333333", "ts": "1686128884851"}]);
    let page = bitget::tax_records(&data, "main", TaxRecords::Spot).unwrap();
    assert_eq!((page.rows, page.min_id.as_deref(), page.warnings.len()), (1, Some("1"), 0));
    assert!(page.events.is_empty(), "{page:?}");
    let checks = bitget::tax_checks(&data, "main", TaxRecords::Spot).unwrap();
    assert_eq!(checks.len(), 1);
    let c = &checks[0];
    assert_eq!((c.wallet.as_str(), c.coin.as_str(), c.group.as_str()), ("bitget/main/spot", "AIBB", "earn"));
    assert_eq!(c.change, d("6018333.33333333"));
    for ty in ["Subscribe", "Redemption", "Interest", "Penalty"] {
        assert_eq!(TaxRecords::Spot.use_of(ty), Some(TaxUse::Checked("earn")), "{ty}");
    }
}

#[test]
fn futures_sample_is_a_trade_the_bills_book_and_the_check_counts() {
    // the example writes `close_long`, the table `CLOSE_LONG`: both are a trade
    let data = json!([{"id": "1", "symbol": "TRXUSDT", "marginCoin": "USDT", "futureTaxType": "close_long",
        "amount": "0.10545", "fee": "-0.02134863", "ts": "1679909309766"}]);
    let records = TaxRecords::Futures { wallet: "futures" };
    let page = bitget::tax_records(&data, "main", records).unwrap();
    assert!(page.events.is_empty() && page.warnings.is_empty(), "{page:?}");
    let checks = bitget::tax_checks(&data, "main", records).unwrap();
    assert_eq!(checks.len(), 1);
    let c = &checks[0];
    assert_eq!((c.wallet.as_str(), c.coin.as_str(), c.group.as_str()), ("bitget/main/futures", "USDT", "trade"));
    assert_eq!(c.change, d("0.08410137"), "amount plus the (negative) fee");
    let coinm = bitget::tax_checks(&data, "main", TaxRecords::Futures { wallet: "coinm" }).unwrap();
    assert_eq!(coinm[0].wallet, "bitget/main/coinm");
    assert_eq!(records.use_of("CONTRACT_MAIN_SETTLE_FEE_USER_OUT"), Some(TaxUse::Checked("funding")));
    assert_eq!(records.use_of("TRANSFER_IN"), Some(TaxUse::Checked("transfer")));
}

#[test]
fn margin_and_p2p_samples() {
    // cross margin's types are checked against its streams (docs/venues.md §2.15): the sample's transfer against
    // the transfer records, loans by the units they move
    let margin = json!([{"id": "1", "coin": "USDT", "marginTaxType": "transfer_in", "amount": "13333", "fee": "0",
        "total": "13333", "symbol": "BTCUSDT", "ts": "1686129284474"}]);
    let checks = bitget::tax_checks(&margin, "main", TaxRecords::Margin).unwrap();
    assert_eq!((checks[0].wallet.as_str(), checks[0].group.as_str()), ("bitget/main/margin", "transfer"));
    assert_eq!(checks[0].change, d("13333"));
    assert!(bitget::tax_records(&margin, "main", TaxRecords::Margin).unwrap().events.is_empty());
    let m = TaxRecords::Margin;
    for (ty, group) in
        [("deal_in", "trade"), ("borrow", "loan"), ("interest_repay", "loan"), ("liquidation_fee", "other")]
    {
        assert_eq!(m.use_of(ty), Some(TaxUse::Checked(group)), "{ty}");
    }
    assert_eq!(m.use_of("sys_exchange_in"), Some(TaxUse::Checked("other")), "the finance flow books it");
    assert_eq!(m.use_of("margin_gift"), None, "a type neither page lists: other income, named");
    let loan = |action, amount: &str, interest: Option<&str>| ledger::Event {
        id: "l".into(),
        time: ledger::Timestamp(1),
        account: ledger::AccountId("bitget/main/margin".into()),
        kind: EventKind::Loan { action, asset: "BTC".into(), amount: d(amount), interest: interest.map(d) },
    };
    use ledger::LoanAction::{Borrow, Interest, Repay};
    assert_eq!(bitget::loan_units(&loan(Borrow, "0.5", None)), Some(("BTC", d("0.5"))));
    assert_eq!(bitget::loan_units(&loan(Repay, "0.5", Some("0.01"))), Some(("BTC", d("-0.51"))));
    assert_eq!(bitget::loan_units(&loan(Interest, "0.01", None)), Some(("BTC", d("0"))));
    assert_eq!(bitget::event_group(&loan(Borrow, "0.5", None)), Some("loan"));
    // the P2P example writes `transfer-in` and the quantity as `balance`
    let p2p = json!([{"id": "152526631", "coin": "USDT", "p2pTaxType": "transfer-in", "balance": "1", "ts": "1755846320684"}]);
    let checks = bitget::tax_checks(&p2p, "main", TaxRecords::P2p).unwrap();
    assert_eq!(
        (checks[0].wallet.as_str(), checks[0].group.as_str(), checks[0].change),
        ("bitget/main/funding", "transfer", d("1"))
    );
    let buy = json!([{"id": "9", "coin": "USDT", "p2pTaxType": "buy", "balance": "50", "ts": "1755846320684"}]);
    let page = bitget::tax_records(&buy, "main", TaxRecords::P2p).unwrap();
    assert_eq!(
        page.events[0].kind,
        EventKind::Deposit { asset: "USDT".into(), amount: d("50"), txid: None },
        "crypto bought from outside, its cost the user's to give"
    );
}

#[test]
fn an_unknown_type_is_other_income_with_a_warning_never_dropped() {
    let data = json!([
        {"id": "5", "coin": "BGB", "spotTaxType": "Airdrop Reward-A", "amount": "12.5", "fee": "0", "balance": "12.5", "ts": "1686128884851"},
        {"id": "4", "coin": "USDT", "spotTaxType": "Mystery bonus", "amount": "-3", "fee": "0", "balance": "1", "ts": "1686128884000"},
        {"id": "3", "coin": "USDT", "spotTaxType": "Buy", "amount": "-100", "fee": "0", "balance": "4", "ts": "1686128883000"},
        {"id": "2", "coin": "USDT", "spotTaxType": "Withdrawal frozen", "amount": "-7", "fee": "0", "balance": "104", "ts": "1686128882000"}]);
    let page = bitget::tax_records(&data, "main", TaxRecords::Spot).unwrap();
    let ids: Vec<&str> = page.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["bitget/main/spot:tax:airdrop_reward_a:5", "bitget/main/spot:tax:mystery_bonus:4"]);
    assert!(
        matches!(&page.events[1].kind, EventKind::Income { income_type: IncomeType::Other, amount, .. } if *amount == d("-3"))
    );
    assert_eq!(page.warnings.len(), 1);
    assert!(page.warnings[0].contains("\"Mystery bonus\"") && page.warnings[0].contains("/api/v2/tax/spot-record"));
    assert_eq!((page.rows, page.min_id.as_deref()), (4, Some("2")));
    // the buy is checked against the spot fills; the frozen amount is inside the wallet
    let checks = bitget::tax_checks(&data, "main", TaxRecords::Spot).unwrap();
    assert_eq!(checks.len(), 1);
    assert_eq!((checks[0].group.as_str(), checks[0].change), ("trade", d("-100")));
    let err =
        bitget::tax_records(&json!([{"id": "1", "coin": "USDT", "ts": "1"}]), "main", TaxRecords::Spot).unwrap_err();
    assert!(err.to_string().contains("spotTaxType"), "{err}");
}
