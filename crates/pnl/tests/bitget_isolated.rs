//! docs/accounting.md Example 45: a Bitget isolated margin pair (§8f; docs/venues.md §2.18), the wallet
//! `bitget/{label}/isolated-BTCUSDT`, under the loan rules: the transfers in and out are moves between one's own
//! wallets (no PnL), the borrow is neither income nor a disposal, the interest an expense, the repay (its amount all
//! it paid, as Bitget's finance flow writes it) settles the debts and realizes their booked value − the cost of the
//! units given back.

mod common;

use common::*;
use ledger::{AccountId, Event, EventKind, LoanAction, Timestamp};
use pnl::{Method, Pools, Settings, compute};

const SPOT: &str = "bitget/main/spot";
const PAIR: &str = "bitget/main/isolated-BTCUSDT";

fn loan(id: &str, t: Timestamp, action: LoanAction, amount: &str) -> Event {
    Event {
        id: id.into(),
        time: t,
        account: AccountId(PAIR.into()),
        kind: EventKind::Loan { action, asset: "BTC".into(), amount: d(amount), interest: None },
    }
}

/// 100 USDT deposited to spot and moved into the pair; borrow 0.001 BTC at 50000 and sell it for 50 USDT (0 and 0);
/// 0.00001 BTC of interest at 50000 (`fee` −0.5); BTC at 40000: buy 0.00101 BTC for 40.4 USDT and repay 0.00101
/// (debts booked 50 + 0.5 − the lot's 40.4 = +10.1 on `trade`); all but 20 USDT (89.6) back to spot. In all +9.6, the
/// 109.6 USDT the pair ended with less the 100 moved in; the transfers are no flow and no PnL.
#[test]
fn a_bitget_isolated_pair_is_a_wallet_under_the_loan_rules() {
    use LoanAction::{Borrow, Interest, Repay};
    let events = vec![
        deposit("in", at(1, 0), SPOT, "100", "USDT", None),
        transfer("to_pair", at(1, 1), SPOT, PAIR, "100", "USDT"),
        loan("borrow", at(1, 2), Borrow, "0.001"),
        trade("sell", at(1, 3), PAIR, ("0.001", "BTC"), ("50", "USDT"), &[]),
        loan("interest", at(2, 0), Interest, "0.00001"),
        trade("buy", at(3, 0), PAIR, ("40.4", "USDT"), ("0.00101", "BTC"), &[]),
        loan("repay", at(3, 1), Repay, "0.00101"),
        transfer("back", at(3, 2), PAIR, SPOT, "89.6", "USDT"),
    ];
    let prices: Vec<_> = [(1, "50000"), (2, "50000"), (3, "40000")]
        .into_iter()
        .map(|(day, p)| price(at(day, 0), "BTC", "USD", p))
        .collect();
    for method in [Method::Fifo, Method::Hifo, Method::Acb] {
        for pools in [Pools::Universal, Pools::PerAccount] {
            let r = compute(&events, &prices, &Settings { method, pools, ..Settings::default() });
            let x = &r.realized;
            assert_eq!((x.fee, x.trade, x.total), (d("-0.5"), d("10.1"), d("9.6")), "{method:?} {pools:?}");
            assert_eq!(r.identity.net_contributions, d("100"), "the moves to and from the pair are no flows");
            assert_eq!(r.accounts[PAIR].balances["USDT"], d("20"));
            assert_eq!(r.accounts[SPOT].balances["USDT"], d("89.6"));
            assert!(!r.assets.contains_key("BTC"), "nothing held, nothing owed");
            assert!(r.identity.holds, "{:?}", r.identity);
        }
    }
    // while the loan is open (after the interest): the pair owes 0.00101 BTC, a holding of −0.00101 at market
    let open = Settings { window: pnl::Window { from: None, to: Some(at(2, 1)) }, ..Settings::default() };
    let r = compute(&events, &prices, &open);
    let btc = &r.assets["BTC"];
    assert_eq!((btc.amount, btc.owed), (d("-0.00101"), d("0.00101")));
    assert_eq!((r.realized.fee, r.realized.trade), (d("-0.5"), d("0")));
    assert!(r.identity.holds);
}
