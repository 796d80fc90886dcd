//! docs/accounting.md §8a for Bitget's Earn shark fin (Example 43): a subscription and the settlement's principal
//! are transfers between the user's own wallets (the lot goes to `sharkfin` and back with its cost and date, no
//! PnL); the yield paid at settlement is interest income at market value, opening a lot.

mod common;

use common::*;
use ledger::IncomeType;
use pnl::{Pools, Settings, compute};

const SPOT: &str = "bitget/main/spot";
const SHARKFIN: &str = "bitget/main/sharkfin";

#[test]
fn sharkfin_moves_lots_and_books_its_yield_as_income() {
    // the ids the parser gives (docs/venues.md §2.16)
    let events = vec![
        trade("bitget/main/spot:trade:BTCUSDT:1", at(1, 0), SPOT, ("20000", "USDT"), ("1", "BTC"), &[]),
        transfer("bitget/main/sharkfin:sharkfin:subscription:2", at(2, 0), SPOT, SHARKFIN, "0.5", "BTC"),
        transfer("bitget/main/sharkfin:sharkfin:redemption:3", at(9, 0), SHARKFIN, SPOT, "0.5", "BTC"),
        income("bitget/main/sharkfin:sharkfin:interest:4", at(9, 0), SPOT, IncomeType::Interest, "0.002", "BTC"),
        trade("bitget/main/spot:trade:BTCUSDT:5", at(10, 0), SPOT, ("1.002", "BTC"), ("40080", "USDT"), &[]),
    ];
    let prices = vec![price(at(9, 0), "BTC", "USD", "30000"), price(at(10, 0), "BTC", "USD", "40000")];
    let per = Settings { pools: Pools::PerAccount, ..Settings::default() };
    // while subscribed, half the lot is in the shark fin wallet's pool with half the cost, and nothing is realized
    let at_2 = compute(&events[..2], &prices, &per);
    let mut pools: Vec<(&str, _, _)> = at_2.open_lots.iter().map(|l| (l.pool.as_str(), l.amount, l.cost)).collect();
    pools.sort();
    assert_eq!(pools, vec![(SHARKFIN, d("0.5"), d("10000")), (SPOT, d("0.5"), d("10000"))]);
    assert_eq!(at_2.realized.total, d("0"), "a subscription is no PnL");
    // settled: the principal back with its lot (no PnL), the yield 0.002 × 30000 income opening a lot of that cost
    let at_9 = compute(&events[..4], &prices, &per);
    assert_eq!((at_9.realized.other, at_9.realized.trade), (d("60"), d("0")));
    assert!(at_9.open_lots.iter().all(|l| l.pool == SPOT), "nothing left in the shark fin wallet");
    // the sale of 1.002 BTC: cost 20000 + 60
    let r = compute(&events, &prices, &per);
    assert_eq!(r.disposals[0].cost, d("20060"));
    assert_eq!((r.realized.trade, r.realized.other, r.realized.total), (d("20020"), d("60"), d("20080")));
    assert!(r.missing_acquisitions.is_empty(), "{:?}", r.missing_acquisitions);
    assert!(r.identity.holds, "identity does not hold: {:?}", r.identity);
}

/// A crypto loan's event in the loan wallet (the ids the parser gives, docs/venues.md §2.17).
fn loan(
    id: &str,
    t: ledger::Timestamp,
    action: ledger::LoanAction,
    amount: &str,
    interest: Option<&str>,
) -> ledger::Event {
    ledger::Event {
        id: format!("bitget/main/loan:loan:{id}"),
        time: t,
        account: ledger::AccountId(LOAN.into()),
        kind: ledger::EventKind::Loan { action, asset: "USDT".into(), amount: d(amount), interest: interest.map(d) },
    }
}

const LOAN: &str = "bitget/main/loan";

/// docs/accounting.md Example 44: a Bitget crypto loan (§8f). USDT borrowed against BTC pledged: the borrow is no
/// income, the collateral moves to the loan wallet and back with its lot (no PnL), the interest paid is an expense,
/// the repay of what was borrowed no disposal at a gain or loss (USDT counts as USD).
#[test]
fn a_crypto_loan_is_no_income_its_collateral_keeps_its_lot_and_its_interest_is_an_expense() {
    use ledger::LoanAction::{Borrow, Interest, Repay};
    let t = |what: &str, id: &str| format!("bitget/main/loan:loan:{what}:{id}");
    let events = vec![
        trade("bitget/main/spot:trade:BTCUSDT:1", at(1, 0), SPOT, ("20000", "USDT"), ("1", "BTC"), &[]),
        // day 2: 0.5 BTC pledged, 5000 USDT borrowed and credited to spot
        loan("borrow:7", at(2, 0), Borrow, "5000", None),
        transfer(&t("borrowed", "7"), at(2, 0), LOAN, SPOT, "5000", "USDT"),
        transfer(&t("pledge", "7"), at(2, 0), SPOT, LOAN, "0.5", "BTC"),
        // day 9: 10 USDT of interest paid with the 5000 repaid, the collateral released
        loan("interest:7:9", at(9, 0), Interest, "10", None),
        transfer(&t("pay", "7:9"), at(9, 0), SPOT, LOAN, "5010", "USDT"),
        loan("repay:7:9", at(9, 0), Repay, "5000", Some("10")),
        transfer(&t("unlock", "7:9"), at(9, 0), LOAN, SPOT, "0.5", "BTC"),
        trade("bitget/main/spot:trade:BTCUSDT:2", at(10, 0), SPOT, ("1", "BTC"), ("40000", "USDT"), &[]),
    ];
    let prices = vec![
        price(at(2, 0), "BTC", "USD", "20000"),
        price(at(9, 0), "BTC", "USD", "30000"),
        price(at(10, 0), "BTC", "USD", "40000"),
    ];
    let per = Settings { pools: Pools::PerAccount, ..Settings::default() };
    // while the loan is open: half the BTC lot is collateral in the loan wallet, nothing is realized
    let open = compute(&events[..4], &prices, &per);
    let mut pools: Vec<(&str, _, _)> = open.open_lots.iter().map(|l| (l.pool.as_str(), l.amount, l.cost)).collect();
    pools.retain(|p| p.0 != LOAN || p.1 != d("0"));
    assert!(pools.contains(&(LOAN, d("0.5"), d("10000"))), "{pools:?}");
    assert!(pools.contains(&(SPOT, d("0.5"), d("10000"))), "{pools:?}");
    assert_eq!(open.realized.total, d("0"), "a borrow is no income");
    assert!(open.identity.holds, "{:?}", open.identity);
    // repaid: the interest is the only cost (a fee of −10); the sale realizes 40000 − 20000
    let r = compute(&events, &prices, &per);
    assert_eq!((r.realized.fee, r.realized.trade, r.realized.total), (d("-10"), d("20000"), d("19990")));
    assert!(r.missing_acquisitions.is_empty(), "{:?}", r.missing_acquisitions);
    assert!(r.identity.holds, "identity does not hold: {:?}", r.identity);
}
