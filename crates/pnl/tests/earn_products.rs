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
    assert_eq!(pools, vec![(SPOT, d("0.5"), d("10000")), (SHARKFIN, d("0.5"), d("10000"))]);
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
