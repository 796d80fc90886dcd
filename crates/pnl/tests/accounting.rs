//! Table tests: the worked examples of docs/accounting.md §13 and hand-checked cases for each of its rules.

mod common;

use common::*;
use ledger::{Decimal, IncomeType};
use pnl::LegMark;
use pnl::{Category, Method, Pools, Report, Settings, Window, compute};

const SPOT: &str = "binance/main/spot";

fn settings(currency: &str, method: Method, fees_in_cost_basis: bool) -> Settings {
    Settings { currency: currency.into(), method, fees_in_cost_basis, ..Settings::default() }
}

fn disposal_pnls(r: &Report, category: Category) -> Vec<Decimal> {
    r.disposals.iter().filter(|x| x.category == category).map(|x| (x.proceeds - x.cost).normalize()).collect()
}

fn ds(list: &[&str]) -> Vec<Decimal> {
    list.iter().map(|s| d(s)).collect()
}

fn assert_identity(r: &Report) {
    assert!(r.identity.holds, "identity does not hold: {:?}", r.identity);
}

/// rotki issue 5561 (Canada ACB): prices equal trade prices, profit currency EUR.
fn canada() -> Vec<ledger::Event> {
    vec![
        trade("b1", at(1, 0), SPOT, ("5000", "EUR"), ("100", "ETH"), &[("10", "EUR")]),
        trade("s1", at(2, 0), SPOT, ("50", "ETH"), ("6000", "EUR"), &[("10", "EUR")]),
        trade("b2", at(3, 0), SPOT, ("6500", "EUR"), ("50", "ETH"), &[("10", "EUR")]),
        trade("s2", at(4, 0), SPOT, ("40", "ETH"), ("3600", "EUR"), &[("10", "EUR")]),
    ]
}

#[test]
fn canada_acb_fees_in_cost_basis() {
    let events = canada();
    let s = settings("EUR", Method::Acb, true);
    let r = compute(&events, &[], &s);
    assert_eq!(disposal_pnls(&r, Category::Trade), ds(&["3485", "-16"]));
    assert_eq!(r.realized.trade, d("3469"));
    assert_eq!(r.realized.fee, d("0"));
    let eth = &r.assets["ETH"];
    assert_eq!((eth.amount, eth.cost_basis), (d("60"), d("5409")));
    // after buy 3 the pool is 9015 for 100 ETH
    let mut upto = s.clone();
    upto.window.to = Some(at(3, 0));
    let r3 = compute(&events, &[], &upto);
    assert_eq!((r3.assets["ETH"].amount, r3.assets["ETH"].cost_basis), (d("100"), d("9015")));
    assert_identity(&r);
}

#[test]
fn canada_fifo_fees_not_in_cost_basis() {
    let r = compute(&canada(), &[], &settings("EUR", Method::Fifo, false));
    assert_eq!(disposal_pnls(&r, Category::Trade), ds(&["3500", "1600"]));
    assert_eq!(r.realized.trade, d("5100"));
    assert_eq!(r.realized.fee, d("-40"));
    assert_eq!(r.realized.total, d("5060"));
    let lots: Vec<(Decimal, Decimal)> = r.open_lots.iter().map(|l| (l.amount, l.cost / l.amount)).collect();
    assert_eq!(lots, vec![(d("10"), d("50")), (d("50"), d("130"))]);
    assert_identity(&r);
}

#[test]
fn acb_walk_through_with_missing_acquisitions() {
    // (buy?, amount, price)
    let steps = [
        (true, "2", "10"),
        (false, "1", "15"),
        (true, "1", "30"),
        (false, "1.5", "10"),
        (true, "3", "20"),
        (false, "2", "30"),
        (false, "1.5", "10"),
        (true, "1", "10"),
        (false, "0.5", "5"),
        (false, "0.6", "5"),
        (false, "0.5", "5"),
    ];
    let mut events = Vec::new();
    let mut prices = Vec::new();
    for (n, (buy, amount, p)) in steps.iter().enumerate() {
        let t = at(n as i64 + 1, 0);
        let usd = (d(amount) * d(p)).to_string();
        prices.push(price(t, "ETH", "USD", p));
        events.push(if *buy {
            trade(&format!("e{n}"), t, SPOT, (&usd, "USD"), (amount, "ETH"), &[])
        } else {
            trade(&format!("e{n}"), t, SPOT, (amount, "ETH"), (&usd, "USD"), &[])
        });
    }
    let r = compute(&events, &prices, &settings("USD", Method::Acb, true));
    assert_eq!(disposal_pnls(&r, Category::Trade), ds(&["5", "-15", "20", "-15", "-2.5", "-2", "2.5"]));
    let missing: Vec<(String, Decimal, Decimal)> =
        r.missing_acquisitions.iter().map(|m| (m.event.clone(), m.found, m.missing)).collect();
    assert_eq!(missing, vec![("e9".into(), d("0.5"), d("0.1")), ("e10".into(), d("0"), d("0.5"))]);
    assert!(!r.complete);
    // the balance is -0.6 ETH: units spent that were never acquired; the identity itemizes them
    assert_eq!(r.assets["ETH"].amount, d("-0.6"));
    assert_eq!(r.identity.residual["holdings_without_lots_at_market"], d("-3"));
    assert_identity(&r);
}

fn lot_order_events() -> Vec<ledger::Event> {
    vec![
        trade("a", at(1, 0), SPOT, ("6", "USD"), ("2", "X"), &[]),
        trade("b", at(2, 0), SPOT, ("5", "USD"), ("5", "X"), &[]),
        trade("c", at(3, 0), SPOT, ("1", "X"), ("1", "USD"), &[]),
        trade("d", at(4, 0), SPOT, ("2", "USD"), ("1", "X"), &[]),
        trade("e", at(5, 0), SPOT, ("6", "X"), ("6", "USD"), &[]),
    ]
}

#[test]
fn hifo_and_lifo_lot_order() {
    let uses = |r: &Report, n: usize| -> Vec<(Decimal, Decimal)> {
        r.lot_uses[r.disposals[n].lots.clone()].iter().map(|u| (u.amount, u.cost)).collect()
    };
    let hifo = compute(&lot_order_events(), &[], &settings("USD", Method::Hifo, true));
    assert_eq!(hifo.disposals[0].cost, d("3"));
    assert_eq!(uses(&hifo, 1), vec![(d("1"), d("3")), (d("1"), d("2")), (d("4"), d("4"))]);
    assert_eq!(hifo.disposals[1].cost, d("9"));
    assert_eq!(hifo.open_lots.len(), 1);
    assert_eq!((hifo.open_lots[0].amount, hifo.open_lots[0].cost), (d("1"), d("1")));

    // LIFO by hand: spend 1 takes the newest (@1); spend 6 takes 1 @2, 4 @1, then 1 @3; 1 @3 is left.
    let lifo = compute(&lot_order_events(), &[], &settings("USD", Method::Lifo, true));
    assert_eq!(lifo.disposals[0].cost, d("1"));
    assert_eq!(uses(&lifo, 1), vec![(d("1"), d("2")), (d("4"), d("4")), (d("1"), d("3"))]);
    assert_eq!((lifo.open_lots[0].amount, lifo.open_lots[0].cost), (d("1"), d("3")));

    // FIFO by hand: spend 1 takes @3; spend 6 takes 1 @3, 5 @1; 1 @2 is left.
    let fifo = compute(&lot_order_events(), &[], &settings("USD", Method::Fifo, true));
    assert_eq!(fifo.disposals[1].cost, d("8"));
    assert_eq!((fifo.open_lots[0].amount, fifo.open_lots[0].cost), (d("1"), d("2")));
}

/// Third-asset fee (BNB), by hand: BNB bought at 200, valued 300 at the trades.
fn bnb_events() -> (Vec<ledger::Event>, Vec<ledger::PricePoint>) {
    let events = vec![
        deposit("dep", at(1, 0), SPOT, "3000", "USDT", None),
        trade("bnb", at(1, 1), SPOT, ("200", "USDT"), ("1", "BNB"), &[]),
        trade("buy", at(2, 0), SPOT, ("2000", "USDT"), ("1", "ETH"), &[("0.01", "BNB")]),
        trade("sell", at(3, 0), SPOT, ("1", "ETH"), ("2500", "USDT"), &[("0.01", "BNB")]),
    ];
    let prices = vec![price(at(1, 1), "BNB", "USDT", "200"), price(at(2, 0), "BNB", "USDT", "300")];
    (events, prices)
}

#[test]
fn third_asset_fee_in_cost_basis() {
    let (events, prices) = bnb_events();
    let r = compute(&events, &prices, &Settings::default());
    // ETH lot 2000 + 0.01 x 300 = 2003; sale proceeds 2500 - 3 = 2497; PnL 494
    assert_eq!(disposal_pnls(&r, Category::Trade), ds(&["494"]));
    assert_eq!(r.realized.total, d("494"));
    assert_eq!((r.assets["BNB"].amount, r.assets["BNB"].cost_basis), (d("0.98"), d("196")));
    // equity 3300 USDT + 0.98 x 300 = 3594 = 3000 + 494 + 98 unrealized + 2 (fees valued 3 that cost 2, twice)
    assert_eq!(r.identity.equity, d("3594"));
    assert_eq!(r.identity.unrealized, d("98"));
    assert_eq!(r.identity.residual["fees_valued_at_market_minus_their_cost"], d("2"));
    assert_identity(&r);
}

#[test]
fn third_asset_fee_not_in_cost_basis() {
    let (events, prices) = bnb_events();
    let r = compute(&events, &prices, &settings("USD", Method::Fifo, false));
    // ETH lot 2000, sale 2500 - 2000 = 500; each fee a disposal of 0.01 BNB costing 2
    assert_eq!(disposal_pnls(&r, Category::Trade), ds(&["500"]));
    assert_eq!(disposal_pnls(&r, Category::Fee), ds(&["-2", "-2"]));
    assert_eq!((r.realized.trade, r.realized.fee, r.realized.total), (d("500"), d("-4"), d("496")));
    assert!(r.identity.residual.is_empty(), "{:?}", r.identity.residual);
    assert_identity(&r);
}

#[test]
fn crypto_to_crypto_trades() {
    let events = vec![
        trade("1", at(1, 0), SPOT, ("2000", "USD"), ("1", "ETH"), &[]),
        // valued at the spent asset's price: 1 ETH x 2500
        trade("2", at(2, 0), SPOT, ("1", "ETH"), ("0.1", "BTC"), &[]),
        // BTC has no price: valued by the received asset's price, 100 x 30 = 3000
        trade("3", at(3, 0), SPOT, ("0.05", "BTC"), ("100", "XYZ"), &[]),
        // neither priced: unvalued, never valued at 0; the cost carries over
        trade("4", at(4, 0), SPOT, ("0.05", "BTC"), ("7", "NOPE"), &[]),
    ];
    let prices = vec![price(at(2, 0), "ETH", "USD", "2500"), price(at(3, 0), "XYZ", "USD", "30")];
    let r = compute(&events, &prices, &Settings::default());
    assert_eq!(disposal_pnls(&r, Category::Trade), ds(&["500", "1750"]));
    assert_eq!(r.assets["XYZ"].cost_basis, d("3000"));
    assert_eq!(r.assets["NOPE"].cost_basis, d("1250"));
    assert_eq!(r.unvalued_trades, vec!["4".to_string()]);
    assert!(r.missing_prices.iter().any(|m| m.asset == "NOPE" && m.affects == "realized"));
    assert!(!r.complete);
    assert_identity(&r);
}

#[test]
fn transfer_matching_koinly_rule() {
    let b = "binance/main/spot";
    let g = "bitget/main/spot";
    let events = vec![
        trade("buy", at(1, 0), b, ("20000", "USDT"), ("1", "BTC"), &[]),
        // matched: 0.999 arrives an hour later; fee = 0.0005 + (0.5 - 0.499)
        withdrawal("w1", at(2, 0), b, "0.5", "BTC", Some("0.0005"), Some("0xAA")),
        deposit("d1", at(2, 1), g, "0.499", "BTC", Some("0xaa")),
        // more than 12 h later: unmatched
        withdrawal("w2", at(3, 0), b, "0.1", "BTC", None, None),
        deposit("d2", at(3, 13), g, "0.1", "BTC", None),
        // less than 80 %: unmatched
        withdrawal("w3", at(4, 0), b, "0.1", "BTC", None, None),
        deposit("d3", at(4, 1), g, "0.07", "BTC", None),
        // transaction ids differ: unmatched
        withdrawal("w4", at(5, 0), b, "0.1", "BTC", None, Some("0x1")),
        deposit("d4", at(5, 1), g, "0.1", "BTC", Some("0x2")),
    ];
    let prices = vec![price(at(1, 0), "BTC", "USD", "20000")];
    let r = compute(&events, &prices, &Settings::default());
    assert_eq!(r.transfers.matched.len(), 1);
    let m = &r.transfers.matched[0];
    assert_eq!((m.withdrawal.as_str(), m.deposit.as_str(), m.fee), ("w1", "d1", d("0.0015")));
    let unmatched: Vec<&str> = r.transfers.unmatched.iter().map(|u| u.event.as_str()).collect();
    assert_eq!(unmatched, vec!["w2", "d2", "w3", "d3", "w4", "d4"]);
    // the transfer fee is a disposal: 0.0015 BTC costing 20000 each
    assert_eq!(r.realized.fee, d("-30"));
    assert_eq!(r.realized.trade, d("0"));
    assert!(!r.complete);
    assert_identity(&r);
}

#[test]
fn manual_matches_pair_legs_the_rule_leaves_apart() {
    let b = "binance/main/spot";
    let g = "bitget/main/spot";
    let events = vec![
        trade("buy", at(1, 0), b, ("20000", "USDT"), ("1", "BTC"), &[]),
        // 13 h apart and 70 %: Koinly's rule leaves both unmatched
        withdrawal("w", at(2, 0), b, "0.1", "BTC", None, None),
        deposit("d", at(2, 13), g, "0.07", "BTC", None),
        withdrawal("w2", at(3, 0), b, "0.1", "BTC", None, None),
        deposit("d2", at(3, 13), g, "0.1", "BTC", None),
    ];
    let prices = vec![price(at(1, 0), "BTC", "USD", "20000")];
    let auto = compute(&events, &prices, &Settings::default());
    assert!(auto.transfers.matched.is_empty());
    // the user pairs w and d; a pair with an unknown id, or a deposit before its withdrawal, is ignored
    let settings = Settings {
        manual_matches: vec![("w".into(), "d".into()), ("w2".into(), "nope".into()), ("w2".into(), "buy".into())],
        ..Settings::default()
    };
    let r = compute(&events, &prices, &settings);
    assert_eq!(r.transfers.matched.len(), 1);
    let m = &r.transfers.matched[0];
    assert_eq!((m.withdrawal.as_str(), m.deposit.as_str(), m.fee), ("w", "d", d("0.03")));
    // the lost 0.03 BTC is the transfer fee: a disposal at cost 20000 each
    assert_eq!(r.realized.fee, d("-600"));
    let unmatched: Vec<&str> = r.transfers.unmatched.iter().map(|u| u.event.as_str()).collect();
    assert_eq!(unmatched, vec!["w2", "d2"]);
    assert_identity(&r);
}

#[test]
fn legs_marked_income_or_expense_follow_the_other_income_rule() {
    let b = "binance/main/spot";
    let events = vec![
        deposit("airdrop", at(1, 0), b, "1", "BTC", None),
        trade("sell", at(2, 0), b, ("1", "BTC"), ("25000", "USDT"), &[]),
        trade("buy", at(3, 0), b, ("1000", "USDT"), ("1", "ETH"), &[]),
        withdrawal("pay", at(4, 0), b, "0.5", "ETH", Some("0.01"), None),
    ];
    let prices = vec![price(at(1, 0), "BTC", "USD", "20000"), price(at(3, 0), "ETH", "USD", "1000")];
    // unmarked: the deposit brings no cost, so the sale is all gain and a missing acquisition
    let plain = compute(&events, &prices, &Settings::default());
    assert_eq!(plain.realized.trade, d("25000"));
    assert_eq!(plain.missing_acquisitions.len(), 1);
    let marks = [("airdrop".to_string(), LegMark::Income), ("pay".to_string(), LegMark::Expense)];
    let r = compute(&events, &prices, &Settings { leg_marks: marks.into_iter().collect(), ..Settings::default() });
    // income at market value (20000) opens a lot at that price: the sale gains 5000
    assert_eq!(r.realized.trade, d("5000"));
    // the payment disposes of 0.51 ETH at cost 1000 each
    assert_eq!(r.realized.other, d("20000") - d("510"));
    assert!(r.missing_acquisitions.is_empty());
    assert!(r.transfers.unmatched.is_empty(), "marked legs are no longer unmatched");
    assert_eq!(r.assets["ETH"].amount, d("0.49"));
    assert_identity(&r);
}

#[test]
fn per_account_pools_move_lots_on_transfer() {
    let b = "binance/main/spot";
    let g = "bitget/main/spot";
    let events = vec![
        trade("1", at(1, 0), b, ("20000", "USDT"), ("1", "BTC"), &[]),
        trade("2", at(2, 0), g, ("30000", "USDT"), ("1", "BTC"), &[]),
        transfer("3", at(3, 0), b, g, "0.5", "BTC"),
        trade("4", at(4, 0), g, ("1", "BTC"), ("40000", "USDT"), &[]),
    ];
    let per = Settings { pools: Pools::PerAccount, ..Settings::default() };
    let r = compute(&events, &[], &per);
    // bitget's pool: 0.5 @20000 (moved, keeps its date) then 1 @30000; FIFO takes 10000 + 15000
    assert_eq!(r.disposals[0].cost, d("25000"));
    assert_eq!(r.realized.trade, d("15000"));
    let pools: Vec<(&str, Decimal, Decimal)> =
        r.open_lots.iter().map(|l| (l.pool.as_str(), l.amount, l.cost)).collect();
    assert_eq!(pools, vec![(b, d("0.5"), d("10000")), (g, d("0.5"), d("15000"))]);
    let uni = compute(&events, &[], &Settings::default());
    assert_eq!(uni.disposals[0].cost, d("20000"));
    assert_eq!(uni.realized.trade, d("20000"));
}

#[test]
fn futures_income_lines() {
    let f = "binance/main/usdm";
    let events = vec![
        deposit("0", at(1, 0), SPOT, "1000", "USDT", None),
        transfer("1", at(1, 1), SPOT, f, "1000", "USDT"),
        with_symbol(income("2", at(2, 0), f, IncomeType::RealizedPnl, "50", "USDT"), "BTCUSDT"),
        with_symbol(income("3", at(2, 8), f, IncomeType::Funding, "-1.2", "USDT"), "BTCUSDT"),
        with_symbol(income("4", at(2, 0), f, IncomeType::Commission, "-0.8", "USDT"), "ETHUSDT"),
        income("5", at(3, 0), f, IncomeType::Other, "5", "USDT"),
        // COIN-M: a positive BTC amount is an acquisition at market value, a negative one a disposal at cost
        income("6", at(4, 0), "binance/main/coinm", IncomeType::RealizedPnl, "0.01", "BTC"),
        income("7", at(5, 0), "binance/main/coinm", IncomeType::Funding, "-0.005", "BTC"),
    ];
    let prices = vec![price(at(1, 0), "BTC", "USDT", "30000"), price(at(5, 0), "BTC", "USDT", "40000")];
    let r = compute(&events, &prices, &Settings::default());
    let x = &r.realized;
    assert_eq!(
        (x.futures, x.funding, x.commission, x.other, x.trade, x.fee),
        (d("350"), d("-151.2"), d("-0.8"), d("5"), d("0"), d("0"))
    );
    assert_eq!(x.total, d("203"));
    assert_eq!(r.realized_by_symbol["BTCUSDT"].total, d("48.8"));
    assert_eq!(r.realized_by_symbol["ETHUSDT"].commission, d("-0.8"));
    assert_eq!(r.realized_by_venue["binance"].total, d("203"));
    // Binance: wallet balance = net transfers + realized PnL + funding - commission
    assert_eq!(r.accounts[f].balances["USDT"], d("1053"));
    assert_eq!((r.assets["BTC"].amount, r.assets["BTC"].cost_basis), (d("0.005"), d("150")));
    assert_identity(&r);
}

/// docs/accounting.md §9, COIN-M: the venue's inverse PnL (10 contracts of 100 USD, long from 50000 to 62500:
/// 1000 × (1/50000 − 1/62500) = +0.004 BTC) is booked as reported: a lot of 0.004 BTC at 62500 = 250 on the futures
/// line; the BTC commission is a disposal at that lot's cost.
#[test]
fn coin_m_inverse_pnl_is_booked_as_the_venue_reports_it() {
    let c = "binance/main/coinm";
    let inverse = Decimal::from(1000) * (Decimal::ONE / d("50000") - Decimal::ONE / d("62500"));
    assert_eq!(inverse, d("0.004"));
    let events = vec![
        with_symbol(income("1", at(2, 0), c, IncomeType::RealizedPnl, "0.004", "BTC"), "BTCUSD_PERP"),
        with_symbol(income("2", at(2, 0), c, IncomeType::Commission, "-0.0001", "BTC"), "BTCUSD_PERP"),
    ];
    let prices = vec![price(at(1, 0), "BTC", "USD", "62500")];
    let r = compute(&events, &prices, &Settings::default());
    assert_eq!((r.realized.futures, r.realized.commission), (d("250"), d("-6.25")));
    assert_eq!(r.realized_by_symbol["BTCUSD_PERP"].total, d("243.75"));
    assert_eq!(r.accounts[c].balances["BTC"], d("0.0039"));
    assert_identity(&r);
}

/// docs/accounting.md §8 and §9: a COIN-M loss paid in BTC that came from outside with no cost (a deposit, which
/// opens no lot unless deposits count at market value) disposes of units of unknown cost: no PnL is booked, the
/// units are a missing acquisition, and the account's realized split, all zero, is left out of
/// `realized_by_account`. With deposits at market value the same loss is −50 at the deposit's cost.
#[test]
fn a_coin_m_loss_in_btc_of_unknown_cost_books_no_pnl_and_names_the_missing_units() {
    let c = "bitget/main/coinm";
    let events = vec![
        deposit("in", at(1, 0), c, "0.01", "BTC", None),
        with_symbol(income("1", at(2, 0), c, IncomeType::RealizedPnl, "-0.001", "BTC"), "BTCUSD"),
        with_symbol(income("2", at(2, 0), c, IncomeType::Commission, "-0.0001", "BTC"), "BTCUSD"),
    ];
    let prices = vec![price(at(1, 0), "BTC", "USD", "50000")];
    let r = compute(&events, &prices, &Settings::default());
    assert_eq!((r.realized.futures, r.realized.commission), (d("0"), d("0")));
    assert!(!r.realized_by_account.contains_key(c), "{:?}", r.realized_by_account);
    let missing: Vec<(&str, Decimal)> =
        r.missing_acquisitions.iter().map(|m| (m.asset.as_str(), m.missing.normalize())).collect();
    assert_eq!(missing.iter().map(|(_, m)| *m).sum::<Decimal>(), d("0.0011"), "{missing:?}");
    assert_eq!(r.accounts[c].balances["BTC"], d("0.0089"));
    let at_market = compute(&events, &prices, &Settings { deposits_at_market: true, ..Settings::default() });
    assert_eq!((at_market.realized.futures, at_market.realized.commission), (d("-50"), d("-5")));
    assert_eq!(at_market.realized_by_account[c].futures, d("-50"));
    assert!(at_market.missing_acquisitions.is_empty());
    assert_identity(&at_market);
}

#[test]
fn eur_profit_currency_through_usdt() {
    let events = vec![
        deposit("0", at(1, 0), SPOT, "24000", "EUR", None),
        trade("1", at(1, 1), SPOT, ("24000", "EUR"), ("30000", "USDT"), &[]),
        trade("2", at(2, 0), SPOT, ("30000", "USDT"), ("1", "BTC"), &[]),
    ];
    let prices = vec![
        price(at(1, 0), "EUR", "USDT", "1.25"),
        price(at(2, 0), "EUR", "USDT", "1.2"),
        price(at(2, 0), "BTC", "USDT", "30000"),
        price(at(3, 0), "EUR", "USDT", "1.1"),
        price(at(3, 0), "BTC", "USDT", "33000"),
    ];
    let mut s = settings("EUR", Method::Fifo, true);
    s.window.to = Some(at(3, 0));
    let r = compute(&events, &prices, &s);
    // USDT is an asset in EUR: bought for 24000 EUR, spent when worth 30000 / 1.2 = 25000 EUR
    assert_eq!(disposal_pnls(&r, Category::Trade), ds(&["1000"]));
    assert_eq!(r.assets["BTC"].cost_basis, d("25000"));
    // at day 3: 33000 / 1.1 = 30000 EUR, unrealized 5000
    assert_eq!(r.unrealized, d("5000"));
    assert_eq!(
        r.assets["BTC"].price_source.as_deref(),
        Some("BTC/USD 33000 @ 2024-01-03T00:00:00Z x EUR/USD 1.1^-1 @ 2024-01-03T00:00:00Z")
    );
    assert_eq!(r.identity.equity, d("30000"));
    assert_identity(&r);
}

#[test]
fn window_counts_only_its_events_but_uses_earlier_lots() {
    let events = vec![
        trade("1", at(1, 0), SPOT, ("100", "USD"), ("1", "ETH"), &[]),
        trade("2", at(2, 0), SPOT, ("0.5", "ETH"), ("100", "USD"), &[]),
        trade("3", at(3, 0), SPOT, ("0.5", "ETH"), ("150", "USD"), &[]),
        trade("4", at(4, 0), SPOT, ("100", "USD"), ("1", "ETH"), &[]),
    ];
    let s = Settings { window: Window { from: Some(at(3, 0)), to: Some(at(3, 12)) }, ..Settings::default() };
    let r = compute(&events, &[], &s);
    assert_eq!(r.realized.trade, d("100"));
    assert_eq!(r.events, 3);
    assert_eq!(r.disposals.len(), 1);
    assert_eq!(r.identity.realized, d("150"));
}

#[test]
fn time_weighted_return_portfolio_performance_example() {
    // Portfolio Performance's TWROR example under its convention (inflows at the start of the day): each day the
    // whole portfolio gains 1 % while money comes in; the cumulative return is 1.01 x 1.01 - 1 = 2.01 %.
    let events = vec![
        deposit("0", at(1, 0), SPOT, "100", "USD", None),
        trade("1", at(1, 0), SPOT, ("100", "USD"), ("100", "X"), &[]),
        deposit("2", at(2, 0), SPOT, "9", "USD", None),
        trade("3", at(2, 0), SPOT, ("9", "USD"), ("9", "X"), &[]),
        deposit("4", at(3, 0), SPOT, "8.91", "USD", None),
        trade("5", at(3, 0), SPOT, ("8.91", "USD"), ("8.82178217821782178217821782", "X"), &[]),
    ];
    let prices = vec![
        price(at(1, 0), "X", "USD", "1"),
        price(at(2, 12), "X", "USD", "1.01"),
        price(at(3, 12), "X", "USD", "1.0201"),
    ];
    let mut s = Settings::default();
    s.window.to = Some(at(3, 23));
    let r = compute(&events, &prices, &s);
    assert_eq!(r.equity_curve.len(), 3);
    assert_eq!(r.equity_curve[0].equity, d("100"));
    assert_eq!(r.equity_curve[1].equity, d("110.09"));
    let twr = r.returns.time_weighted.unwrap();
    assert!((twr - d("0.0201")).abs() < d("0.0000000001"), "{twr}");
    // the window's last day alone: it starts at day 2's 110.09, takes in 8.91 and gains 1 %
    s.window.from = Some(at(3, 0));
    let r = compute(&events, &prices, &s);
    assert_eq!((r.returns.start_equity, r.returns.net_contributions), (d("110.09"), d("8.91")));
    let twr = r.returns.time_weighted.unwrap();
    assert!((twr - d("0.01")).abs() < d("0.0000000001"), "{twr}");
    // simple return over the window: (119 x 1.01 - 119) / 119
    assert!((r.returns.simple.unwrap() - d("0.01")).abs() < d("0.0000000001"));
}

#[test]
fn money_weighted_return_hand_checked() {
    // 1000 in on 2023-01-01; 1000 more on 2023-07-02 (182 days later); worth 2200 at the end of 2023-12-31.
    // IRR r solves 1000 (1+r)^(365/365) + 1000 (1+r)^(183/365) = 2200; by hand f(0.13) < 0 < f(0.135).
    let t0: ledger::Timestamp = "2023-01-01T00:00:00Z".parse().unwrap();
    let t1: ledger::Timestamp = "2023-07-02T00:00:00Z".parse().unwrap();
    let end: ledger::Timestamp = "2023-12-31T23:59:59Z".parse().unwrap();
    let events = vec![
        deposit("0", t0, SPOT, "1000", "USD", None),
        trade("1", t0, SPOT, ("1000", "USD"), ("1000", "X"), &[]),
        deposit("2", t1, SPOT, "1000", "USD", None),
    ];
    let prices = vec![price(t0, "X", "USD", "1"), price(end, "X", "USD", "1.2")];
    let s = Settings { window: Window { from: None, to: Some(end) }, ..Settings::default() };
    let r = compute(&events, &prices, &s);
    assert_eq!(r.returns.end_equity, d("2200"));
    assert_eq!(r.returns.simple, Some(d("0.1")));
    let irr = r.returns.money_weighted.unwrap();
    // check the root independently: 1000 (1+r) + 1000 (1+r)^(183/365) = 2200 with f64 (test only)
    let r64: f64 = irr.to_string().parse().unwrap();
    let f = 1000.0 * (1.0 + r64) + 1000.0 * (1.0 + r64).powf(183.0 / 365.0) - 2200.0;
    assert!(f.abs() < 1e-6, "irr {irr} leaves {f}");
    assert!(r64 > 0.13 && r64 < 0.14, "{irr}");
    // TWR: flat every day until the last, when 1000 X + 1000 cash went from 2000 to 2200: 10 %
    assert_eq!(r.returns.time_weighted, Some(d("0.1")));
}

#[test]
fn equity_curve_carries_forward_from_the_first_event() {
    let events = vec![
        deposit("0", at(1, 0), SPOT, "100", "USDT", None),
        trade("1", at(1, 1), SPOT, ("100", "USDT"), ("1", "ETH"), &[]),
        trade("2", at(5, 0), SPOT, ("0.5", "ETH"), ("60", "USDT"), &[]),
    ];
    let prices = vec![price(at(1, 1), "ETH", "USDT", "100"), price(at(3, 5), "ETH", "USDT", "120")];
    let r = compute(&events, &prices, &Settings::default());
    let curve: Vec<(&str, Decimal)> = r.equity_curve.iter().map(|p| (p.date.as_str(), p.equity)).collect();
    assert_eq!(
        curve,
        vec![
            ("2024-01-01", d("100")),
            ("2024-01-02", d("100")),
            ("2024-01-03", d("120")),
            ("2024-01-04", d("120")),
            ("2024-01-05", d("120")),
        ]
    );
    assert_eq!(r.equity_curve[0].inflow, d("100"));
}

#[test]
fn stablecoins_count_as_usd_unless_turned_off() {
    let events = vec![
        trade("1", at(1, 0), SPOT, ("100", "USDT"), ("1", "ETH"), &[]),
        trade("2", at(2, 0), SPOT, ("1", "ETH"), ("150", "USDC"), &[]),
    ];
    let r = compute(&events, &[], &Settings::default());
    assert_eq!(r.realized.trade, d("50"));
    let off = Settings { stablecoins_as_usd: false, ..Settings::default() };
    let r = compute(&events, &[], &off);
    // without prices for USDT/USDC in USD, both trades are unvalued: nothing silently becomes zero
    assert_eq!(r.unvalued_trades.len(), 2);
    assert!(!r.complete);
}

#[test]
fn unmatched_deposits_have_no_cost_unless_valued_at_market() {
    let events = vec![
        deposit("d", at(1, 0), SPOT, "1", "BTC", None),
        trade("s", at(2, 0), SPOT, ("1", "BTC"), ("25000", "USDT"), &[]),
    ];
    let prices = vec![price(at(1, 0), "BTC", "USDT", "20000"), price(at(2, 0), "BTC", "USDT", "25000")];
    let r = compute(&events, &prices, &Settings::default());
    // rotki's rule: the sale finds no lot, is matched at zero cost and listed
    assert_eq!(r.realized.trade, d("25000"));
    assert_eq!(r.missing_acquisitions.len(), 1);
    assert_eq!((r.missing_acquisitions[0].found, r.missing_acquisitions[0].missing), (d("0"), d("1")));
    assert_eq!(r.identity.net_contributions, d("20000"));
    assert_eq!(r.identity.residual["deposits_without_cost_basis"], d("-20000"));
    assert_identity(&r);
    let at_market = Settings { deposits_at_market: true, ..Settings::default() };
    let r = compute(&events, &prices, &at_market);
    assert_eq!(r.realized.trade, d("5000"));
    assert!(r.missing_acquisitions.is_empty());
    assert!(r.identity.residual.is_empty(), "{:?}", r.identity.residual);
    assert_identity(&r);
}

#[test]
fn a_deposit_from_outside_with_a_cost_the_user_entered_opens_a_lot_at_that_cost() {
    // Example 32 (docs/accounting.md §13)
    let events = vec![
        deposit("d", at(1, 0), SPOT, "1", "BTC", None),
        trade("s", at(2, 0), SPOT, ("1", "BTC"), ("25000", "USDT"), &[]),
    ];
    let prices = vec![price(at(1, 0), "BTC", "USDT", "20000"), price(at(2, 0), "BTC", "USDT", "25000")];
    let entered = |at_market: bool| Settings {
        deposit_costs: [("d".to_string(), d("15000"))].into_iter().collect(),
        deposits_at_market: at_market,
        ..Settings::default()
    };
    // the entered cost wins over "value deposits at market", and over no cost at all
    for at_market in [false, true] {
        let r = compute(&events, &prices, &entered(at_market));
        assert_eq!(r.realized.trade, d("10000"), "at market: {at_market}");
        assert!(r.missing_acquisitions.is_empty());
        assert_eq!(r.identity.net_contributions, d("15000"), "the deposit counts at the cost entered");
        assert!(r.identity.residual.is_empty(), "{:?}", r.identity.residual);
        assert_identity(&r);
    }
    // without a price for the day it still has its cost: nothing is missing for the realized PnL
    let r = compute(&events, &prices[1..], &entered(false));
    assert_eq!(r.realized.trade, d("10000"));
    assert_eq!(r.identity.net_contributions, d("15000"));
    assert_identity(&r);
    // a cost entered for a deposit that turned out to be a transfer is ignored: its lots come from the withdrawal
    let moved = vec![
        trade("b", at(1, 0), "bitget/main/spot", ("20000", "USDT"), ("1", "BTC"), &[]),
        withdrawal("w", at(1, 1), "bitget/main/spot", "1", "BTC", None, None),
        deposit("d", at(1, 2), SPOT, "1", "BTC", None),
        trade("s", at(2, 0), SPOT, ("1", "BTC"), ("25000", "USDT"), &[]),
    ];
    let r = compute(&moved, &prices, &entered(false));
    assert_eq!(r.transfers.matched.len(), 1);
    assert_eq!(r.realized.trade, d("5000"));
    assert_identity(&r);
}

#[test]
fn matched_withdrawal_moves_lots_between_per_account_pools() {
    let b = "binance/main/spot";
    let g = "bitget/main/spot";
    let events = vec![
        trade("buy", at(1, 0), b, ("20000", "USDT"), ("1", "BTC"), &[]),
        // 0.999 sent with a 0.001 fee on top; 0.998 arrives: the transfer fee is 0.001 + 0.001
        withdrawal("w", at(2, 0), b, "0.999", "BTC", Some("0.001"), None),
        deposit("d", at(2, 1), g, "0.998", "BTC", None),
        trade("sell", at(3, 0), g, ("0.998", "BTC"), ("24950", "USDT"), &[]),
    ];
    for pools in [Pools::Universal, Pools::PerAccount] {
        let r = compute(&events, &[], &Settings { pools, ..Settings::default() });
        assert_eq!(r.transfers.matched.len(), 1, "{pools:?}");
        assert_eq!(r.transfers.matched[0].fee, d("0.002"));
        // 0.002 BTC at 20000
        assert_eq!(r.realized.fee, d("-40"), "{pools:?}");
        // the sale on bitget finds the moved lot (per account) or the one pool: 0.998 x 20000
        assert_eq!(disposal_pnls(&r, Category::Trade), ds(&["4990"]), "{pools:?}");
        assert!(r.missing_acquisitions.is_empty(), "{pools:?}: {:?}", r.missing_acquisitions);
        assert!(r.open_lots.is_empty(), "{pools:?}");
        assert_identity(&r);
    }
}

#[test]
fn open_positions_use_the_venue_formula() {
    use pnl::Position;
    let f = "binance/main/usdm";
    let events = vec![deposit("0", at(1, 0), f, "100", "USDT", None)];
    let positions = vec![
        // Binance's ADAUSDT example: 30 x (0.41047590 - 0.385) = 0.764277
        Position {
            time: Some(at(1, 1)),
            account: ledger::AccountId(f.into()),
            symbol: "ADAUSDT".into(),
            margin_asset: "USDT".into(),
            amount: d("30"),
            entry_price: d("0.385"),
            mark_price: d("0.41047590"),
            contract_size: None,
        },
        // a short of 2 when the mark rose from 100 to 110: -20
        Position {
            time: Some(at(1, 1)),
            account: ledger::AccountId("bitget/main/futures".into()),
            symbol: "SOLUSDT".into(),
            margin_asset: "USDT".into(),
            amount: d("-2"),
            entry_price: d("100"),
            mark_price: d("110"),
            contract_size: None,
        },
    ];
    let r = pnl::compute_with_positions(&events, &[], &positions, &Settings::default());
    assert_eq!(r.positions[0].unrealized, d("0.764277"));
    assert_eq!(r.positions[1].unrealized_value, Some(d("-20")));
    assert_eq!(r.unrealized_positions, d("-19.235723"));
    // lots' unrealized and the identity are about wallet balances
    assert_eq!(r.unrealized, d("0"));
    assert_identity(&r);
}

/// Open COIN-M positions (docs/accounting.md §9, open positions): inverse contracts valued in the coin with
/// `amount x contract_size x (1/entry - 1/mark)` (Binance's BTCUSD_201225 sample: 0.00005866 BTC), then in the
/// profit currency at the coin's price; a coin without a price leaves the value open and names the price missing;
/// a position that cannot be valued is listed with its reason, never as zero.
#[test]
fn open_coin_m_positions_are_valued_in_the_coin() {
    use pnl::Position;
    let c = "binance/main/coinm";
    let events = vec![deposit("0", at(1, 0), "binance/main/spot", "1", "BTC", None)];
    let coinm = |symbol: &str, coin: &str, amount: &str, entry: &str, mark: &str, size: &str| Position {
        time: Some(at(2, 0)),
        account: ledger::AccountId(c.into()),
        symbol: symbol.into(),
        margin_asset: coin.into(),
        amount: d(amount),
        entry_price: d(entry),
        mark_price: d(mark),
        contract_size: Some(d(size)),
    };
    let positions = vec![
        coinm("BTCUSD_201225", "BTC", "1", "11707.70000003", "11788.66626667", "100"),
        // a short of 3 ETH contracts of 10 USD from 2000 to 1600: -3 x 10 x (1/2000 - 1/1600) = +0.00375 ETH
        coinm("ETHUSD_PERP", "ETH", "-3", "2000", "1600", "10"),
        // a mark price of 0: cannot be valued
        coinm("ADAUSD_PERP", "ADA", "5", "0.4", "0", "10"),
    ];
    let prices = vec![price(at(1, 0), "BTC", "USD", "50000")];
    let r = pnl::compute_with_positions(&events, &prices, &positions, &Settings::default());
    assert_eq!(r.positions.len(), 2, "{:?}", r.positions);
    let btc = &r.positions[0];
    assert_eq!((btc.symbol.as_str(), btc.margin_asset.as_str()), ("BTCUSD_201225", "BTC"));
    assert_eq!(btc.unrealized.round_dp(8), d("0.00005866"));
    let btc_value = btc.unrealized_value.expect("BTC has a price");
    assert_eq!(btc_value, (btc.unrealized * d("50000")).normalize());
    assert_eq!(btc_value.round_dp(2), d("2.93"));
    let eth = &r.positions[1];
    assert_eq!((eth.amount, eth.unrealized, eth.unrealized_value), (d("-3"), d("0.00375"), None));
    assert!(r.missing_prices.iter().any(|m| m.asset == "ETH"), "{:?}", r.missing_prices);
    // only the priced position is in the total
    assert_eq!(r.unrealized_positions, btc_value);
    assert_eq!(r.unvalued_positions.len(), 1);
    assert!(r.unvalued_positions[0].contains("ADAUSD_PERP") && r.unvalued_positions[0].contains("mark_price is 0"));
    assert_identity(&r);
}

#[test]
fn identity_per_account_with_per_account_pools() {
    let b = "binance/main/spot";
    let g = "bitget/main/spot";
    let events = vec![
        deposit("0", at(1, 0), b, "20000", "USDT", None),
        trade("1", at(1, 1), b, ("20000", "USDT"), ("1", "BTC"), &[]),
        transfer("2", at(3, 0), b, g, "0.5", "BTC"),
    ];
    let prices = vec![price(at(1, 0), "BTC", "USDT", "20000"), price(at(3, 0), "BTC", "USDT", "30000")];
    let r = compute(&events, &prices, &Settings { pools: Pools::PerAccount, ..Settings::default() });
    // binance: 0.5 BTC worth 15000 = 20000 in - 15000 out (the transfer at market) + 5000 unrealized
    //          + 5000 (the moved lot cost 10000 but left at 15000)
    let ib = &r.identity_by_account[b];
    assert_eq!((ib.equity, ib.net_contributions, ib.unrealized), (d("15000"), d("5000"), d("5000")));
    assert_eq!(ib.residual["transfers_at_market_minus_cost"], d("5000"));
    assert!(ib.holds);
    // bitget: 15000 = 15000 in + 5000 unrealized - 5000 (received at 15000 a lot that cost 10000)
    let ig = &r.identity_by_account[g];
    assert_eq!((ig.equity, ig.net_contributions, ig.unrealized), (d("15000"), d("15000"), d("5000")));
    assert_eq!(ig.residual["transfers_at_market_minus_cost"], d("-5000"));
    assert!(ig.holds);
    // in total the transfer is neutral
    assert_eq!(
        (r.identity.equity, r.identity.net_contributions, r.identity.unrealized),
        (d("30000"), d("20000"), d("10000"))
    );
    assert!(r.identity.residual.is_empty(), "{:?}", r.identity.residual);
    assert_identity(&r);
    assert!(compute(&events, &prices, &Settings::default()).identity_by_account.is_empty());
}

fn futures_fill(
    id: &str,
    t: ledger::Timestamp,
    account: &str,
    side: ledger::Side,
    fee: &str,
    pnl: &str,
) -> ledger::Event {
    ledger::Event {
        id: id.into(),
        time: t,
        account: ledger::AccountId(account.into()),
        kind: ledger::EventKind::FuturesTrade {
            symbol: "BTCUSDT".into(),
            side,
            price: d("30000"),
            qty: d("0.1"),
            fees: vec![ledger::Money::new("USDT", d(fee))],
            realized_pnl: Some(d(pnl)),
            order_id: Some("7".into()),
        },
    }
}

/// Futures fills are informational: their PnL and commission come from the income rows of the same fills, so a
/// ledger with them gives exactly the report of the ledger without them, whatever the settings and window, even
/// when a fill is the first or the last event, in an account no other event uses.
#[test]
fn futures_fills_change_no_figure() {
    let f = "binance/main/usdm";
    let without = vec![
        deposit("0", at(1, 0), SPOT, "1000", "USDT", None),
        trade("t", at(1, 2), SPOT, ("300", "USDT"), ("0.01", "BTC"), &[("0.3", "USDT")]),
        transfer("1", at(1, 3), SPOT, f, "500", "USDT"),
        with_symbol(income("2", at(2, 0), f, IncomeType::Commission, "-1.2", "USDT"), "BTCUSDT"),
        with_symbol(income("3", at(3, 0), f, IncomeType::RealizedPnl, "40", "USDT"), "BTCUSDT"),
        with_symbol(income("4", at(3, 0), f, IncomeType::Commission, "-1.3", "USDT"), "BTCUSDT"),
    ];
    let mut with = without.clone();
    with.insert(0, futures_fill("f0", at(1, 0), "binance/other/usdm", ledger::Side::Buy, "0.5", "0"));
    with.insert(4, futures_fill("f1", at(2, 0), f, ledger::Side::Buy, "1.2", "0"));
    with.push(futures_fill("f2", at(3, 0), f, ledger::Side::Sell, "-1.3", "40"));
    with.push(futures_fill("f3", at(9, 0), f, ledger::Side::Sell, "2", "999"));
    let prices = vec![price(at(1, 0), "BTC", "USDT", "30000"), price(at(4, 0), "BTC", "USDT", "35000")];
    for pools in [Pools::Universal, Pools::PerAccount] {
        for window in [Window::default(), Window { from: Some(at(2, 0)), to: Some(at(3, 0)) }] {
            let s = Settings { pools, window, ..Settings::default() };
            let (a, b) = (compute(&without, &prices, &s), compute(&with, &prices, &s));
            assert_eq!(a, b, "{pools:?} {window:?}");
            assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
        }
    }
    assert_eq!(compute(&with, &prices, &Settings::default()).realized.futures, d("40"));
}

/// Reporting in EUR with no EUR rate: every total that needs one names what is missing instead of being a number;
/// with the rate (EURUSDT, the venues' way round) they are the USD figures divided by it, exactly.
#[test]
fn a_missing_reporting_currency_rate_makes_the_totals_incomplete_not_a_number() {
    use pnl::Figure;
    // in EUR, USDT is an asset like BTC: its deposit is valued at market, so its lots have a cost in EUR
    let events = vec![
        deposit("0", at(0, 0), SPOT, "20000", "USDT", None),
        trade("1", at(1, 0), SPOT, ("20000", "USDT"), ("1", "BTC"), &[]),
        trade("2", at(2, 0), SPOT, ("0.5", "BTC"), ("12000", "USDT"), &[]),
        income("3", at(2, 8), "binance/main/usdm", IncomeType::Funding, "3", "USDT"),
    ];
    let btc = vec![price(at(1, 0), "BTC", "USDT", "20000"), price(at(2, 0), "BTC", "USDT", "24000")];
    let usd_settings = Settings { deposits_at_market: true, ..Settings::default() };
    let eur = Settings { currency: "EUR".into(), ..usd_settings.clone() };
    let r = compute(&events, &btc, &eur);
    assert!(!r.complete);
    for figure in [Figure::Equity, Figure::Realized, Figure::Unrealized, Figure::EquityCurve] {
        let missing = r.missing_for(figure);
        assert!(!missing.is_empty(), "{figure:?} would be shown as a number");
        // what is missing, in what, since when
        assert!(missing.iter().all(|m| m.quote == "EUR" && m.time >= at(0, 0)), "{missing:?}");
    }
    assert!(r.missing_for(Figure::Equity).iter().any(|m| m.asset == "BTC"));
    assert!(r.equity_curve.iter().all(|p| !p.complete));

    // the same in USD: complete
    let usd = compute(&events, &btc, &usd_settings);
    assert!(usd.complete && usd.missing_prices.is_empty());
    // with EUR/USDT 1.25 from the first day: complete, each total the USD one / 1.25
    let mut with_rate = btc.clone();
    with_rate.push(price(at(0, 0), "EUR", "USDT", "1.25"));
    let r = compute(&events, &with_rate, &eur);
    assert!(r.missing_prices.is_empty(), "{:?}", r.missing_prices);
    for figure in [Figure::Equity, Figure::Realized, Figure::Unrealized, Figure::EquityCurve] {
        assert!(r.missing_for(figure).is_empty(), "{figure:?}");
    }
    let rate = d("1.25");
    assert_eq!(r.identity.equity, usd.identity.equity / rate);
    assert_eq!(r.realized.total, usd.realized.total / rate);
    assert_eq!(r.unrealized, usd.unrealized / rate);
    assert!(r.identity.equity > Decimal::ZERO);
    // and with the rate the other way round (USDT/EUR 0.8, as `USDTTRY` is quoted): the same figures
    let mut inverted = btc;
    inverted.push(price(at(0, 0), "USDT", "EUR", "0.8"));
    let r2 = compute(&events, &inverted, &eur);
    assert_eq!((r2.identity.equity, r2.realized.total), (r.identity.equity, r.realized.total));
}

/// docs/accounting.md Example 23: Simple Earn. A subscription and a redemption are transfers between the user's own
/// wallets (per-account pools: the lot goes to `earn` and back with its cost and date, no PnL); a reward and the
/// interest a redemption pays beyond its principal are interest income at market value, each opening a lot.
#[test]
fn simple_earn_moves_lots_and_books_interest_as_income() {
    let earn = "binance/main/earn";
    let events = vec![
        trade("1", at(1, 0), SPOT, ("20000", "USDT"), ("1", "BTC"), &[]),
        transfer("2", at(2, 0), SPOT, earn, "1", "BTC"),
        income("3", at(3, 0), SPOT, IncomeType::Interest, "0.001", "BTC"),
        transfer("4", at(4, 0), earn, SPOT, "1", "BTC"),
        income("5", at(4, 0), SPOT, IncomeType::Interest, "0.0005", "BTC"),
        trade("6", at(5, 0), SPOT, ("1.0015", "BTC"), ("40060", "USDT"), &[]),
    ];
    let prices = vec![price(at(3, 0), "BTC", "USD", "30000"), price(at(5, 0), "BTC", "USD", "40000")];
    let per = Settings { pools: Pools::PerAccount, ..Settings::default() };
    let r = compute(&events, &prices, &per);
    // while subscribed, the lot is in the earn wallet's pool, with its cost
    let at_2 = compute(&events[..2], &prices, &per);
    let pools: Vec<(&str, Decimal, Decimal)> =
        at_2.open_lots.iter().map(|l| (l.pool.as_str(), l.amount, l.cost)).collect();
    assert_eq!(pools, vec![(earn, d("1"), d("20000"))]);
    assert_eq!(at_2.realized.total, d("0"), "a subscription is no PnL");
    // the reward (0.001 × 30000) and the unreported interest (0.0005 × 30000) are income opening lots
    assert_eq!(r.realized.other, d("45"));
    // the sale of 1.0015 BTC: cost 20000 + 30 + 15
    assert_eq!(r.disposals[0].cost, d("20045"));
    assert_eq!(r.realized.trade, d("20015"));
    assert_eq!(r.realized.total, d("20060"));
    assert!(r.missing_acquisitions.is_empty(), "{:?}", r.missing_acquisitions);
    assert_identity(&r);
}

fn ts(s: &str) -> ledger::Timestamp {
    s.parse().unwrap()
}

/// The lot uses of each disposal: (acquisition date, units, cost).
fn lot_uses(r: &Report) -> Vec<Vec<(String, Decimal, Decimal)>> {
    r.disposals
        .iter()
        .map(|x| {
            r.lot_uses[x.lots.clone()]
                .iter()
                .map(|u| (u.lot_time.date_string(), u.amount.normalize(), u.cost.normalize()))
                .collect()
        })
        .collect()
}

fn uses(list: &[(&str, &str, &str)]) -> Vec<(String, Decimal, Decimal)> {
    list.iter().map(|(t, a, c)| (t.to_string(), d(a), d(c))).collect()
}

/// docs/accounting.md Example 24: HMRC-style share pooling with a same-day, a 30-day and a pool match.
fn uk_pooling_events() -> Vec<ledger::Event> {
    vec![
        trade("b1", ts("2024-01-01T10:00:00Z"), SPOT, ("1000", "GBP"), ("100", "TOK"), &[]),
        trade("b2", ts("2024-03-01T10:00:00Z"), SPOT, ("1000", "GBP"), ("50", "TOK"), &[]),
        trade("s1", ts("2024-05-10T09:00:00Z"), SPOT, ("120", "TOK"), ("3600", "GBP"), &[]),
        trade("b3", ts("2024-05-10T15:00:00Z"), SPOT, ("700", "GBP"), ("20", "TOK"), &[]),
        trade("b4", ts("2024-05-25T10:00:00Z"), SPOT, ("1000", "GBP"), ("40", "TOK"), &[]),
        trade("b5", ts("2024-07-01T10:00:00Z"), SPOT, ("200", "GBP"), ("10", "TOK"), &[]),
        trade("s2", ts("2024-09-01T10:00:00Z"), SPOT, ("100", "TOK"), ("2000", "GBP"), &[]),
    ]
}

#[test]
fn uk_share_pooling_same_day_then_30_days_then_the_pool() {
    let events = uk_pooling_events();
    let s = settings("GBP", Method::Uk, true);
    let r = compute(&events, &[], &s);
    // s1: 20 same day (700) + 40 on 25 May (1000) + 60 of the pool's 150 (2000 x 60 / 150 = 800)
    // s2: the whole pool, 90 left at 1200 plus b5's 10 at 200
    assert_eq!(disposal_pnls(&r, Category::Trade), ds(&["1100", "600"]));
    assert_eq!(
        lot_uses(&r),
        vec![
            uses(&[("2024-05-10", "20", "700"), ("2024-05-25", "40", "1000"), ("2024-01-01", "60", "800")]),
            uses(&[("2024-01-01", "100", "1400")]),
        ]
    );
    assert_eq!(r.realized.trade, d("1700"));
    assert_eq!(r.holding_periods, None, "pooled cost has no acquisition date");
    assert!(r.missing_acquisitions.is_empty());
    assert_identity(&r);
    // the pool after s1: 90 units at 1200 (b3 and b4 went to s1, not into the pool)
    let mut upto = s.clone();
    upto.window.to = Some(ts("2024-06-30T00:00:00Z"));
    let r = compute(&events, &[], &upto);
    assert_eq!((r.assets["TOK"].amount, r.assets["TOK"].cost_basis), (d("90"), d("1200")));
    assert_identity(&r);
    // a window from 20 May: the May sale is outside it, though its 30-day match (25 May) settles inside
    let mut from = s.clone();
    from.window.from = Some(ts("2024-05-20T00:00:00Z"));
    let r = compute(&events, &[], &from);
    assert_eq!(r.realized.trade, d("600"));
    assert_eq!(r.identity.realized, d("1700"));
    assert_identity(&r);
    // FIFO on the same ledger takes the oldest lots instead (the same total: everything bought is sold)
    let fifo = compute(&events, &[], &settings("GBP", Method::Fifo, true));
    assert_eq!(disposal_pnls(&fifo, Category::Trade), ds(&["2200", "-500"]));
}

#[test]
fn uk_same_day_rule_comes_before_an_earlier_disposals_30_day_rule() {
    let events = vec![
        trade("b1", ts("2024-01-01T10:00:00Z"), SPOT, ("100", "GBP"), ("10", "TOK"), &[]),
        trade("s1", ts("2024-02-01T10:00:00Z"), SPOT, ("5", "TOK"), ("100", "GBP"), &[]),
        trade("s2", ts("2024-02-10T09:00:00Z"), SPOT, ("5", "TOK"), ("150", "GBP"), &[]),
        trade("b2", ts("2024-02-10T18:00:00Z"), SPOT, ("125", "GBP"), ("5", "TOK"), &[]),
    ];
    let r = compute(&events, &[], &settings("GBP", Method::Uk, true));
    // s2 takes b2 (same day); s1's 30-day window holds only b2, which is used up: s1 takes the pool at 10
    assert_eq!(disposal_pnls(&r, Category::Trade), ds(&["50", "25"]));
    assert_eq!(lot_uses(&r), vec![uses(&[("2024-01-01", "5", "50")]), uses(&[("2024-02-10", "5", "125")])]);
    assert_eq!(r.assets["TOK"].cost_basis, d("50"));
    assert_identity(&r);
}

#[test]
fn uk_disposal_larger_than_the_pool() {
    let events = vec![
        trade("b1", ts("2024-01-01T10:00:00Z"), SPOT, ("100", "GBP"), ("10", "TOK"), &[]),
        trade("s1", ts("2024-02-01T10:00:00Z"), SPOT, ("15", "TOK"), ("300", "GBP"), &[]),
        trade("b2", ts("2024-02-20T10:00:00Z"), SPOT, ("90", "GBP"), ("3", "TOK"), &[]),
        trade("b3", ts("2024-03-05T10:00:00Z"), SPOT, ("40", "GBP"), ("2", "TOK"), &[]),
    ];
    let r = compute(&events, &[], &settings("GBP", Method::Uk, true));
    // 3 from 20 Feb (90), the pool's 10 (100), 2 never acquired within 30 days: matched at zero cost
    // (b3 on 5 March is 33 days later: it goes to the pool)
    assert_eq!(disposal_pnls(&r, Category::Trade), ds(&["110"]));
    assert_eq!(lot_uses(&r), vec![uses(&[("2024-02-20", "3", "90"), ("2024-01-01", "10", "100")])]);
    assert_eq!(r.missing_acquisitions.len(), 1);
    assert_eq!((r.missing_acquisitions[0].found, r.missing_acquisitions[0].missing), (d("13"), d("2")));
    assert!(!r.complete);
    let tok = &r.assets["TOK"];
    assert_eq!((tok.amount, tok.lots_amount, tok.cost_basis), (d("0"), d("2"), d("40")));
    assert_identity(&r);
}

#[test]
fn uk_fees_raise_the_cost_and_reduce_the_proceeds() {
    let events = vec![
        trade("b1", ts("2024-01-01T10:00:00Z"), SPOT, ("1000", "GBP"), ("10", "TOK"), &[("10", "GBP")]),
        trade("s1", ts("2024-02-01T10:00:00Z"), SPOT, ("4", "TOK"), ("600", "GBP"), &[("6", "GBP")]),
        trade("b2", ts("2024-02-01T16:00:00Z"), SPOT, ("160", "GBP"), ("1", "TOK"), &[("2", "GBP")]),
        trade("s2", ts("2024-03-01T10:00:00Z"), SPOT, ("2", "TOK"), ("300", "GBP"), &[("0.1", "TOK")]),
    ];
    let r = compute(&events, &[], &settings("GBP", Method::Uk, true));
    // s1: proceeds 594; 1 same day at 162, 3 of the pool's 10 at 1010 (303): gain 129
    // s2: proceeds 300 less the 0.1 TOK fee valued at the trade's price (15): 285; 2 of 7 at 707 (202): gain 83;
    //     the fee's 0.1 units leave the pool at cost (10.1) with no PnL of their own
    assert_eq!(disposal_pnls(&r, Category::Trade), ds(&["129", "83"]));
    assert_eq!(lot_uses(&r)[0], uses(&[("2024-02-01", "1", "162"), ("2024-01-01", "3", "303")]));
    let tok = &r.assets["TOK"];
    assert_eq!((tok.amount, tok.cost_basis), (d("4.9"), d("494.9")));
    assert_identity(&r);
    // fees not in cost basis: each fee is a disposal of its own on the fee line
    let r = compute(&events, &[], &settings("GBP", Method::Uk, false));
    // s1: 600 - (160 + 300) = 140; s2: 300 - 2 x 100 = 100; fees: -10 -6 -2 and the 0.1 TOK at pool cost (-10)
    assert_eq!(disposal_pnls(&r, Category::Trade), ds(&["140", "100"]));
    assert_eq!(r.realized.fee, d("-28"));
    assert_identity(&r);
}

#[test]
fn uk_pools_are_universal_whatever_the_pools_setting() {
    let events = vec![
        trade("b1", ts("2024-01-01T10:00:00Z"), SPOT, ("100", "GBP"), ("10", "TOK"), &[]),
        trade("b2", ts("2024-01-02T10:00:00Z"), "bitget/main/spot", ("300", "GBP"), ("10", "TOK"), &[]),
        trade("s1", ts("2024-02-01T10:00:00Z"), SPOT, ("10", "TOK"), ("250", "GBP"), &[]),
    ];
    let mut s = settings("GBP", Method::Uk, true);
    s.pools = Pools::PerAccount;
    let r = compute(&events, &[], &s);
    // one pool of 20 at 400: the Binance sale takes 10 at the average 20
    assert_eq!(disposal_pnls(&r, Category::Trade), ds(&["50"]));
    assert!(r.identity_by_account.is_empty());
    assert_identity(&r);
}

#[test]
fn holding_periods_split_trade_pnl_at_more_than_one_year() {
    let events = |sold: &str| {
        vec![
            trade("b1", ts("2023-03-01T10:00:00Z"), SPOT, ("100", "USD"), ("1", "BTC"), &[]),
            trade("b2", ts("2024-01-01T10:00:00Z"), SPOT, ("200", "USD"), ("1", "BTC"), &[]),
            trade("s1", ts(sold), SPOT, ("2", "BTC"), ("600", "USD"), &[]),
            trade("x1", ts(sold), SPOT, ("10", "USDT"), ("11", "USDC"), &[]),
        ]
    };
    // one year to the day is not more than a year
    let r = compute(&events("2024-03-01T23:00:00Z"), &[], &settings("USD", Method::Fifo, true));
    let h = r.holding_periods.clone().unwrap();
    assert_eq!((h.short_term, h.long_term), (d("301"), d("0")));
    assert_eq!((h.long_term_proceeds, h.long_term_cost), (d("0"), d("0")));
    // a day later the first coin is long term: half the proceeds, its cost 100
    let r = compute(&events("2024-03-02T00:00:00Z"), &[], &settings("USD", Method::Fifo, true));
    let h = r.holding_periods.clone().unwrap();
    assert_eq!((h.long_term_proceeds, h.long_term_cost, h.long_term), (d("300"), d("100"), d("200")));
    assert_eq!(h.short_term, d("101"), "the other coin (100) and the USDT/USDC swap (1)");
    assert_eq!(h.short_term + h.long_term, r.realized.trade);
    // LIFO takes the newer coin first: here both coins go, so the split is the same
    let r = compute(&events("2024-03-02T00:00:00Z"), &[], &settings("USD", Method::Lifo, true));
    assert_eq!(r.holding_periods.unwrap().long_term, d("200"));
    // under average cost, as under UK pooling, a cost has no single acquisition date: no split
    let r = compute(&events("2024-03-02T00:00:00Z"), &[], &settings("USD", Method::Acb, true));
    assert_eq!(r.holding_periods, None);
}

#[test]
fn holding_periods_from_a_leap_day() {
    let events = |sold: &str| {
        vec![
            trade("b1", ts("2024-02-29T10:00:00Z"), SPOT, ("100", "USD"), ("1", "BTC"), &[]),
            trade("s1", ts(sold), SPOT, ("0.5", "BTC"), ("80", "USD"), &[]),
        ]
    };
    let r = compute(&events("2025-02-28T23:59:59Z"), &[], &settings("USD", Method::Fifo, true));
    assert_eq!(r.holding_periods.unwrap().long_term_proceeds, d("0"));
    let r = compute(&events("2025-03-01T00:00:00Z"), &[], &settings("USD", Method::Fifo, true));
    let h = r.holding_periods.unwrap();
    assert_eq!(
        (h.long_term_proceeds, h.long_term_cost, h.long_term, h.short_term),
        (d("80"), d("50"), d("30"), d("0"))
    );
    assert!(pnl::held_more_than_a_year(ts("2023-03-01T00:00:00Z"), ts("2024-03-02T00:00:00Z")));
    assert!(!pnl::held_more_than_a_year(ts("2023-03-01T00:00:00Z"), ts("2024-03-01T23:59:59Z")));
}

#[test]
fn uk_a_days_acquisitions_count_as_one_and_the_30th_day_is_in() {
    let events = vec![
        trade("b0", ts("2024-01-01T10:00:00Z"), SPOT, ("100", "GBP"), ("9", "TOK"), &[]),
        trade("s1", ts("2024-01-10T10:00:00Z"), SPOT, ("1", "TOK"), ("50", "GBP"), &[]),
        trade("b1", ts("2024-01-10T11:00:00Z"), SPOT, ("100", "GBP"), ("1", "TOK"), &[]),
        trade("b2", ts("2024-01-10T12:00:00Z"), SPOT, ("200", "GBP"), ("1", "TOK"), &[]),
        trade("s2", ts("2024-02-01T10:00:00Z"), SPOT, ("2", "TOK"), ("100", "GBP"), &[]),
        trade("b3", ts("2024-03-02T23:00:00Z"), SPOT, ("70", "GBP"), ("1", "TOK"), &[]),
        trade("b4", ts("2024-03-03T00:00:00Z"), SPOT, ("80", "GBP"), ("1", "TOK"), &[]),
    ];
    let r = compute(&events, &[], &settings("GBP", Method::Uk, true));
    // s1 takes one of 10 January's two units at their average 150; the other joins the pool (10 at 250)
    // s2 takes 2 March (the 30th day after 1 February) and one unit of the pool at 25; 3 March joins the pool
    assert_eq!(disposal_pnls(&r, Category::Trade), ds(&["-100", "5"]));
    assert_eq!(
        lot_uses(&r),
        vec![uses(&[("2024-01-10", "1", "150")]), uses(&[("2024-03-02", "1", "70"), ("2024-01-01", "1", "25")])]
    );
    assert_eq!((r.assets["TOK"].amount, r.assets["TOK"].cost_basis), (d("10"), d("305")));
    assert_identity(&r);
}

#[test]
fn lot_uses_name_the_account_the_units_were_acquired_in() {
    // the universal pool (the default): one sale in a third account takes both accounts' lots, oldest first
    let (a, b) = ("binance/main/spot", "bitget/main/spot");
    let events = vec![
        trade("b1", at(1, 0), a, ("100", "USD"), ("1", "BTC"), &[]),
        trade("b2", at(2, 0), b, ("200", "USD"), ("1", "BTC"), &[]),
        trade("s1", at(3, 0), b, ("2", "BTC"), ("500", "USD"), &[]),
    ];
    let accounts = |r: &Report| -> Vec<Option<String>> {
        r.lot_uses.iter().map(|u| u.account.as_deref().map(str::to_owned)).collect()
    };
    let r = compute(&events, &[], &settings("USD", Method::Fifo, true));
    assert_eq!(accounts(&r), vec![Some(a.to_owned()), Some(b.to_owned())]);
    // average cost mixes both accounts' units in one pooled cost: no single account
    let r = compute(&events, &[], &settings("USD", Method::Acb, true));
    assert_eq!(accounts(&r), vec![None]);
    // a pool of one account's units keeps its account under ACB
    let r = compute(&events[1..], &[], &settings("USD", Method::Acb, true));
    assert_eq!(r.lot_uses.len(), 1);
    assert_eq!(r.lot_uses[0].account.as_deref(), Some(b));
}

#[test]
fn open_lots_name_the_account_the_units_were_acquired_in() {
    let (a, b) = ("binance/main/spot", "bitget/main/spot");
    let events = vec![
        trade("b1", at(1, 0), a, ("100", "USD"), ("1", "BTC"), &[]),
        trade("b2", at(2, 0), b, ("200", "USD"), ("1", "BTC"), &[]),
        transfer("t1", at(3, 0), a, b, "0.5", "BTC"),
        trade("s1", at(4, 0), b, ("0.25", "BTC"), ("150", "USD"), &[]),
    ];
    let lots = |r: &Report| -> Vec<(String, Option<String>, Decimal, Decimal)> {
        r.open_lots.iter().map(|l| (l.pool.clone(), l.acquired_in.clone(), l.amount, l.cost)).collect()
    };
    let (star, some) = ("*".to_owned(), |x: &str| Some(x.to_owned()));
    // the universal pool: the sale took a quarter of a's lot (FIFO); each open lot names where it was bought
    let r = compute(&events, &[], &settings("USD", Method::Fifo, true));
    assert_eq!(lots(&r), vec![(star.clone(), some(a), d("0.75"), d("75")), (star.clone(), some(b), d("1"), d("200"))]);
    // per-account pools: half of a's lot moved to b, where the sale took half of it; what is left there is held in
    // b's pool and still names a, where it was bought
    let per = Settings { pools: Pools::PerAccount, ..settings("USD", Method::Fifo, true) };
    let r = compute(&events, &[], &per);
    assert_eq!(
        lots(&r),
        vec![
            (a.into(), some(a), d("0.5"), d("50")),
            (b.into(), some(a), d("0.25"), d("25")),
            (b.into(), some(b), d("1"), d("200"))
        ]
    );
    // average cost in one pool of both accounts' units: no single account
    let r = compute(&events, &[], &settings("USD", Method::Acb, true));
    assert_eq!(lots(&r), vec![(star, None, d("1.75"), d("262.5"))]);
}

#[test]
fn realized_by_month_adds_up_and_keeps_a_uk_disposal_in_its_month() {
    let events = vec![
        trade("b1", ts("2024-01-02T10:00:00Z"), SPOT, ("100", "GBP"), ("2", "TOK"), &[]),
        trade("s1", ts("2024-01-31T10:00:00Z"), SPOT, ("1", "TOK"), ("80", "GBP"), &[]),
        trade("b2", ts("2024-02-01T10:00:00Z"), SPOT, ("70", "GBP"), ("1", "TOK"), &[]),
        trade("s2", ts("2024-03-05T10:00:00Z"), SPOT, ("1", "TOK"), ("90", "GBP"), &[]),
    ];
    let months = |r: &Report| -> Vec<(String, Decimal)> {
        r.realized_by_month.iter().map(|(k, v)| (k.clone(), v.total)).collect()
    };
    // FIFO: January sells the first unit (cost 50), March the second (50)
    let r = compute(&events, &[], &settings("GBP", Method::Fifo, true));
    assert_eq!(months(&r), vec![("2024-01".into(), d("30")), ("2024-03".into(), d("40"))]);
    // UK: the January sale takes 1 February's unit (the 30-day rule, settled when that day ends): gain 10, still in
    // January; March takes one of the pool's (b1's 2 units at 100, so 50): gain 40
    let r = compute(&events, &[], &settings("GBP", Method::Uk, true));
    assert_eq!(months(&r), vec![("2024-01".into(), d("10")), ("2024-03".into(), d("40"))]);
    let sum: Decimal = r.realized_by_month.values().map(|v| v.total).sum();
    assert_eq!(sum, r.realized.total);
    // a window keeps its own months only
    let mut s = settings("GBP", Method::Fifo, true);
    s.window = Window { from: Some(ts("2024-02-01T00:00:00Z")), to: None };
    assert_eq!(months(&compute(&events, &[], &s)), vec![("2024-03".into(), d("40"))]);
}

/// docs/accounting.md Example 33: Binance fiat (§8c). A bank deposit of 200 EUR arrives as 199.6 (the 0.4 fee never
/// reached the wallet); a card purchase is the fiat from outside, then the trade (98 EUR for 0.002 BTC, a 2 EUR fee);
/// a P2P buy the same in funding (50 EUR for 50 USDT); a P2P sell the trade (20 USDT for 21 EUR) then the fiat out;
/// a bank withdrawal of 99.1 EUR with 0.5 on top. In EUR: the BTC costs what was paid, the fiat wallets balance,
/// the only gain is the USDT sold (1 EUR), the fees are fee lines, and the fiat in and out are contributions.
#[test]
fn fiat_from_outside_is_a_deposit_around_each_trade() {
    let funding = "binance/main/funding";
    let events = vec![
        deposit("bank_in", at(1, 0), SPOT, "199.6", "EUR", None),
        deposit("card:deposit", at(2, 0), SPOT, "100", "EUR", None),
        trade("card:trade", at(2, 0), SPOT, ("98", "EUR"), ("0.002", "BTC"), &[("2", "EUR")]),
        deposit("p2p_buy:deposit", at(3, 0), funding, "50", "EUR", None),
        trade("p2p_buy:trade", at(3, 0), funding, ("50", "EUR"), ("50", "USDT"), &[]),
        trade("p2p_sell:trade", at(4, 0), funding, ("20", "USDT"), ("21", "EUR"), &[]),
        withdrawal("p2p_sell:withdrawal", at(4, 0), funding, "21", "EUR", None, None),
        withdrawal("bank_out", at(5, 0), SPOT, "99.1", "EUR", Some("0.5"), None),
    ];
    let r = compute(&events, &[], &settings("EUR", Method::Fifo, false));
    assert_eq!(r.assets["BTC"].cost_basis, d("98"), "the crypto costs the fiat paid for it");
    assert_eq!(r.assets["USDT"].cost_basis, d("30"));
    assert_eq!(r.realized.trade, d("1"));
    assert_eq!(r.realized.fee, d("-2.5"), "the card fee and the withdrawal fee");
    assert_eq!(r.realized.total, d("-1.5"));
    assert_eq!(r.identity.net_contributions, d("229.5"));
    assert!(r.missing_acquisitions.is_empty(), "{:?}", r.missing_acquisitions);
    assert_identity(&r);
}

/// docs/accounting.md Example 34: Binance Pay (§8c). 15 USDT received and 5 USDT paid are a deposit and a
/// withdrawal: capital flows, no PnL, both unmatched. Marked by the user as income and expense, they are other
/// income of 15 and an expense of 5 at cost.
#[test]
fn pay_payments_are_capital_flows_until_marked() {
    let funding = "binance/main/funding";
    let events = vec![
        deposit("pay_in", at(1, 0), funding, "15", "USDT", None),
        withdrawal("pay_out", at(2, 0), funding, "5", "USDT", None, None),
    ];
    let plain = compute(&events, &[], &Settings::default());
    assert_eq!(plain.realized.total, d("0"));
    assert_eq!(plain.transfers.unmatched.len(), 2);
    assert_eq!(plain.identity.net_contributions, d("10"));
    let marks = [("pay_in".to_string(), LegMark::Income), ("pay_out".to_string(), LegMark::Expense)];
    let r = compute(&events, &[], &Settings { leg_marks: marks.into_iter().collect(), ..Settings::default() });
    assert_eq!(r.realized.other, d("10"));
    assert!(r.transfers.unmatched.is_empty());
    assert_identity(&r);
}

/// docs/accounting.md Example 35: staking ETH for WBETH and redeeming it (§8d). The stake and the redemption are
/// migrations: no PnL, the receipt token's lots keep the ETH lots' cost and dates in proportion, and so do the ETH
/// lots the redemption gives back; a BETH reward is interest income opening a lot.
#[test]
fn staking_for_a_receipt_token_carries_the_lots_over() {
    let events = vec![
        trade("1", at(1, 0), SPOT, ("2000", "USDT"), ("1", "ETH"), &[]),
        trade("2", at(10, 0), SPOT, ("3000", "USDT"), ("1", "ETH"), &[]),
        migration("stake", at(20, 0), SPOT, ("2", "ETH"), ("1.6", "WBETH")),
        income("beth", at(30, 0), SPOT, IncomeType::Interest, "0.01", "BETH"),
        migration("redeem", at(40, 0), SPOT, ("0.8", "WBETH"), ("1.04", "ETH")),
        trade("3", at(50, 0), SPOT, ("1.04", "ETH"), ("4160", "USDT"), &[]),
    ];
    let prices = vec![
        price(at(20, 0), "ETH", "USD", "3500"),
        price(at(30, 0), "BETH", "USD", "3600"),
        price(at(50, 0), "ETH", "USD", "4000"),
    ];
    let staked = compute(&events[..3], &prices, &Settings::default());
    assert_eq!(staked.realized.total, d("0"), "a stake is no disposal");
    let lots: Vec<(String, Decimal, Decimal)> = staked
        .open_lots
        .iter()
        .map(|l| (format!("{} {}", l.asset, l.time.date_string()), l.amount.normalize(), l.cost))
        .collect();
    assert_eq!(
        lots,
        vec![("WBETH 2024-01-01".into(), d("0.8"), d("2000")), ("WBETH 2024-01-10".into(), d("0.8"), d("3000"))]
    );
    let r = compute(&events, &prices, &Settings::default());
    assert_eq!(r.realized.other, d("36"), "the BETH reward at market value");
    // the sale takes the ETH the redemption gave back: the first WBETH lot's cost and date
    assert_eq!(lot_uses(&r), vec![uses(&[("2024-01-01", "1.04", "2000")])]);
    assert_eq!(r.realized.trade, d("2160"));
    assert_eq!(r.assets["WBETH"].cost_basis, d("3000"));
    assert!(r.missing_acquisitions.is_empty(), "{:?}", r.missing_acquisitions);
    assert_identity(&r);
    // pooled (ACB): the one pool's cost moves whole, its units scaled
    let acb = compute(&events[..3], &prices, &Settings { method: Method::Acb, ..Settings::default() });
    assert_eq!((acb.assets["WBETH"].amount, acb.assets["WBETH"].cost_basis), (d("1.6"), d("5000")));
    assert_identity(&acb);
}

/// docs/accounting.md §8d: a migration of units no lot holds names the old asset's missing acquisition, and the
/// new asset holds only the units carried.
#[test]
fn a_migration_without_lots_is_a_missing_acquisition() {
    let events = vec![
        trade("1", at(1, 0), SPOT, ("100", "USDT"), ("1", "OLD"), &[]),
        migration("swap", at(2, 0), SPOT, ("3", "OLD"), ("300", "NEW")),
    ];
    let r = compute(&events, &[], &Settings::default());
    let missing: Vec<(&str, Decimal)> =
        r.missing_acquisitions.iter().map(|m| (m.asset.as_str(), m.missing.normalize())).collect();
    assert_eq!(missing, vec![("OLD", d("2"))]);
    assert_eq!(
        r.open_lots.iter().map(|l| (l.amount.normalize(), l.cost)).collect::<Vec<_>>(),
        vec![(d("100"), d("100"))]
    );
}

/// docs/accounting.md Example 37: a migration the venue reports only as the new asset credited (a Binance asset
/// dividend, §8b) is `other` income at market value, the old asset still held in the ledger; declared by the user
/// (`Settings::migrations`), the income becomes a migration: the new asset carries the old lots' cost, no income.
#[test]
fn a_declared_migration_turns_the_credit_into_a_migration() {
    let events = vec![
        trade("1", at(1, 0), SPOT, ("100", "USDT"), ("10", "OLD"), &[]),
        income("div", at(2, 0), SPOT, IncomeType::Other, "1", "NEW"),
    ];
    let prices = vec![price(at(2, 0), "NEW", "USD", "150"), price(at(2, 0), "OLD", "USD", "15")];
    let plain = compute(&events, &prices, &Settings::default());
    assert_eq!(plain.realized.other, d("150"), "the credit alone is income at market value");
    assert_eq!(plain.assets["OLD"].amount, d("10"), "the old asset stays in the ledger");
    let declared = [("div".to_string(), ledger::Money::new("OLD", d("10")))].into_iter().collect();
    let r = compute(&events, &prices, &Settings { migrations: declared, ..Settings::default() });
    assert_eq!(r.realized.total, d("0"));
    assert!(!r.assets.contains_key("OLD") || r.assets["OLD"].amount.is_zero());
    assert_eq!((r.assets["NEW"].amount, r.assets["NEW"].cost_basis), (d("1"), d("100")));
    assert_identity(&r);
}

/// docs/accounting.md Example 38: copy trading (§8e). A Bitget follower's copied order is futures income, the profit
/// share it pays an expense (other income, negative), its moves between spot and futures transfers; a Binance lead
/// portfolio's money in and out are deposit and withdrawal legs (unmatched: the main account shows neither), the
/// profit share it receives other income.
#[test]
fn copy_trading_profit_sharing_is_other_income_and_moves_are_transfers() {
    let (spot, futures) = ("bitget/follow/spot", "bitget/follow/futures");
    let follower = vec![
        deposit("in", at(1, 0), spot, "500", "USDT", None),
        transfer("to_copy", at(1, 1), spot, futures, "500", "USDT"),
        with_symbol(income("pnl", at(2, 0), futures, IncomeType::RealizedPnl, "100", "USDT"), "BTCUSDT"),
        with_symbol(income("open_fee", at(1, 2), futures, IncomeType::Commission, "-0.6", "USDT"), "BTCUSDT"),
        with_symbol(income("close_fee", at(2, 0), futures, IncomeType::Commission, "-0.6", "USDT"), "BTCUSDT"),
        transfer("from_copy", at(2, 1), futures, spot, "598.8", "USDT"),
        income("share_paid", at(2, 2), spot, IncomeType::Other, "-10", "USDT"),
    ];
    let r = compute(&follower, &[], &Settings::default());
    let x = &r.realized;
    assert_eq!((x.futures, x.commission, x.other, x.total), (d("100"), d("-1.2"), d("-10"), d("88.8")));
    assert_eq!(r.identity.net_contributions, d("500"), "moves between spot and the copy account are no flows");
    assert_eq!(r.accounts[spot].balances["USDT"], d("588.8"));
    assert!(r.accounts[futures].balances.get("USDT").is_none_or(|b| b.is_zero()));
    assert!(r.transfers.unmatched.len() == 1, "only the deposit from outside: {:?}", r.transfers.unmatched);
    assert_identity(&r);

    let lead = "binance/lead/usdm";
    let portfolio = vec![
        deposit("lead_in", at(1, 0), lead, "1000", "USDT", None),
        with_symbol(income("lead_pnl", at(2, 0), lead, IncomeType::RealizedPnl, "50", "USDT"), "ETHUSDT"),
        income("share_received", at(3, 0), lead, IncomeType::Other, "15", "USDT"),
        withdrawal("lead_out", at(4, 0), lead, "1065", "USDT", None, None),
    ];
    let r = compute(&portfolio, &[], &Settings::default());
    assert_eq!((r.realized.futures, r.realized.other, r.realized.total), (d("50"), d("15"), d("65")));
    assert_eq!(r.identity.net_contributions, d("-65"));
    assert_eq!(r.transfers.unmatched.len(), 2);
    assert!(r.accounts[lead].balances.get("USDT").is_none_or(|b| b.is_zero()));
    assert_identity(&r);
}

const MARGIN: &str = "binance/main/margin";

/// A margin loan's borrow, interest or repay (docs/accounting.md §8f).
fn loan(
    id: &str,
    t: ledger::Timestamp,
    action: ledger::LoanAction,
    amount: &str,
    interest: Option<&str>,
) -> ledger::Event {
    ledger::Event {
        id: id.into(),
        time: t,
        account: ledger::AccountId(MARGIN.into()),
        kind: ledger::EventKind::Loan { action, asset: "BTC".into(), amount: d(amount), interest: interest.map(d) },
    }
}

fn btc_prices(days: &[(i64, &str)]) -> Vec<ledger::PricePoint> {
    days.iter().map(|(day, p)| price(at(*day, 0), "BTC", "USD", p)).collect()
}

/// docs/accounting.md Example 39: a short through a margin loan (§8f). 100 USDT in; borrow 1 BTC at 100, sell it for
/// 100; the price falls to 80; buy 1 BTC back for 80 and repay: the borrow and the sale book 0, the repay +20 (the
/// debt's booked 100 − the 80 the units cost). Until the buy-back BTC is a holding of −1 at market: equity 100 at
/// 100, 120 at 80, and the debt's unrealized +20. With no price change every step is zero.
#[test]
fn a_short_through_a_margin_loan_realizes_at_the_repay() {
    use ledger::LoanAction::{Borrow, Repay};
    let events = vec![
        deposit("in", at(1, 0), MARGIN, "100", "USDT", None),
        loan("borrow", at(1, 1), Borrow, "1", None),
        trade("sell", at(1, 2), MARGIN, ("1", "BTC"), ("100", "USDT"), &[]),
        trade("buy", at(2, 2), MARGIN, ("80", "USDT"), ("1", "BTC"), &[]),
        loan("repay", at(2, 3), Repay, "1", None),
    ];
    let prices = btc_prices(&[(1, "100"), (2, "80")]);
    for method in [Method::Fifo, Method::Lifo, Method::Hifo, Method::Acb, Method::Uk] {
        for pools in [Pools::Universal, Pools::PerAccount] {
            let s = Settings { method, pools, ..Settings::default() };
            let r = compute(&events, &prices, &s);
            assert_eq!(disposal_pnls(&r, Category::Trade), ds(&["0", "20"]), "{method:?} {pools:?}");
            assert_eq!((r.realized.trade, r.realized.total), (d("20"), d("20")));
            assert_eq!(r.assets["USDT"].amount, d("120"));
            assert!(!r.assets.contains_key("BTC"), "nothing held, nothing owed: {:?}", r.assets.get("BTC"));
            let curve: Vec<Decimal> = r.equity_curve.iter().map(|p| p.equity).collect();
            assert_eq!(curve, ds(&["100", "120"]));
            assert!(r.missing_acquisitions.is_empty() && r.complete);
            assert_identity(&r);
            let per_account = pools == Pools::PerAccount && method != Method::Uk;
            assert_eq!(r.identity_by_account.len(), usize::from(per_account));
            for id in r.identity_by_account.values() {
                assert!(id.holds, "{id:?}");
            }
        }
    }
    // before the buy-back: 1 BTC owed, a holding of −1 at 80, the debt's gain unrealized
    let open = Settings { window: Window { from: None, to: Some(at(2, 1)) }, ..Settings::default() };
    let r = compute(&events, &prices, &open);
    let btc = &r.assets["BTC"];
    assert_eq!((btc.amount, btc.owed, btc.value, btc.unrealized), (d("-1"), d("1"), Some(d("-80")), Some(d("20"))));
    assert_eq!(r.accounts[MARGIN].equity, d("120"));
    assert_eq!((r.realized.total, r.unrealized), (d("0"), d("20")));
    assert_identity(&r);
    // no price change: borrow, sell, buy back and repay at 100 book nothing
    let flat_events: Vec<_> = events
        .iter()
        .map(|e| match e.id.as_str() {
            "buy" => trade("buy", at(2, 2), MARGIN, ("100", "USDT"), ("1", "BTC"), &[]),
            _ => e.clone(),
        })
        .collect();
    let flat_after = compute(&flat_events, &btc_prices(&[(1, "100")]), &Settings::default());
    assert_eq!(disposal_pnls(&flat_after, Category::Trade), ds(&["0", "0"]));
    assert_eq!(flat_after.realized.total, d("0"));
    assert_identity(&flat_after);
}

/// docs/accounting.md Example 40: interest on a loan (§8f). Buy 0.01 BTC for 1 USDT at 100; borrow 1 BTC at 100;
/// 0.01 BTC of interest is charged at 110: a `fee` of −1.1, the debt 1.01 BTC booked at 101.1; repay 1 BTC and the
/// 0.01 interest at 120: FIFO gives back the bought 0.01 (cost 1) and the borrowed 1 (cost 100), PnL 101.1 − 101 =
/// +0.1 on the line `trade`. In all −1: the 1 USDT the interest cost.
#[test]
fn interest_on_a_loan_is_an_expense_and_its_repay_follows_the_rule() {
    use ledger::LoanAction::{Borrow, Interest, Repay};
    let events = vec![
        deposit("in", at(1, 0), MARGIN, "10", "USDT", None),
        trade("buy", at(1, 1), MARGIN, ("1", "USDT"), ("0.01", "BTC"), &[]),
        loan("borrow", at(1, 2), Borrow, "1", None),
        loan("interest", at(2, 0), Interest, "0.01", None),
        loan("repay", at(3, 0), Repay, "1", Some("0.01")),
    ];
    let prices = btc_prices(&[(1, "100"), (2, "110"), (3, "120")]);
    let mid = Settings { window: Window { from: None, to: Some(at(2, 1)) }, ..Settings::default() };
    let r = compute(&events, &prices, &mid);
    assert_eq!((r.realized.fee, r.realized.trade), (d("-1.1"), d("0")));
    let btc = &r.assets["BTC"];
    // 1.01 held, 1.01 owed: net 0; the lots' 111.1 − 101 and the debt's 101.1 − 111.1
    assert_eq!((btc.amount, btc.owed, btc.unrealized), (d("0"), d("1.01"), Some(d("0.1"))));
    assert_identity(&r);
    let r = compute(&events, &prices, &Settings::default());
    assert_eq!(disposal_pnls(&r, Category::Trade), ds(&["0.1"]));
    assert_eq!((r.realized.fee, r.realized.trade, r.realized.total), (d("-1.1"), d("0.1"), d("-1")));
    assert!(!r.assets.contains_key("BTC"));
    assert_eq!(r.identity.equity, d("9"));
    assert_identity(&r);
}

/// docs/accounting.md Example 41: a liquidation (§8f) is the venue's fills, its repay and its fee. On isolated
/// margin with 200 USDT: borrow 1 BTC at 100 and sell it; at 250 the venue buys 1 BTC back for 250 with a 5 USDT
/// liquidation fee and repays the loan: PnL 100 − 255 = −155 (fees in the cost basis; with fees apart −150 and a
/// `fee` of −5); 45 USDT left.
#[test]
fn a_liquidation_is_fills_a_repay_and_a_fee() {
    use ledger::LoanAction::{Borrow, Repay};
    let events = vec![
        deposit("in", at(1, 0), MARGIN, "200", "USDT", None),
        loan("borrow", at(1, 1), Borrow, "1", None),
        trade("sell", at(1, 2), MARGIN, ("1", "BTC"), ("100", "USDT"), &[]),
        trade("liquidation", at(2, 0), MARGIN, ("250", "USDT"), ("1", "BTC"), &[("5", "USDT")]),
        loan("liquidation:repay", at(2, 0), Repay, "1", None),
    ];
    let prices = btc_prices(&[(1, "100"), (2, "250")]);
    let r = compute(&events, &prices, &Settings::default());
    assert_eq!((r.realized.trade, r.realized.fee), (d("-155"), d("0")));
    assert_eq!(r.assets["USDT"].amount, d("45"));
    assert_identity(&r);
    let r = compute(&events, &prices, &settings("USD", Method::Fifo, false));
    assert_eq!((r.realized.trade, r.realized.fee, r.realized.total), (d("-150"), d("-5"), d("-155")));
    assert_identity(&r);
}

/// §8f: a repay of more than the ledger's borrows (the borrow is older than the history read) counts the extra units
/// at market value, lists them as a missing acquisition and names the residual; never a silent zero.
#[test]
fn a_repay_without_a_recorded_borrow_is_listed() {
    use ledger::LoanAction::Repay;
    let events = vec![
        trade("buy", at(1, 0), MARGIN, ("100", "USDT"), ("1", "BTC"), &[]),
        loan("repay", at(2, 0), Repay, "1", None),
    ];
    let r = compute(&events, &btc_prices(&[(1, "100"), (2, "120")]), &Settings::default());
    assert_eq!(r.missing_acquisitions.len(), 1);
    assert_eq!((r.missing_acquisitions[0].event.as_str(), r.missing_acquisitions[0].missing), ("repay", d("1")));
    assert!(!r.complete);
    assert_eq!(r.realized.trade, d("20"), "the units given back at market 120 against their cost of 100");
    assert_eq!(r.identity.residual["repaid_without_a_recorded_borrow"], d("-120"));
    assert_identity(&r);
}

/// §8f over many steps: borrows, interest, sells and buys (sometimes of more than is held), borrowed units moved to
/// another of the user's accounts and back, repays (the last of more than is owed). Under every method and pool the
/// identity holds, in total and per account, and the report's BTC is the units held net of those owed.
#[test]
fn loans_keep_the_identity_under_every_setting() {
    use ledger::LoanAction::{Borrow, Interest, Repay};
    let spot = "binance/main/spot";
    let mut seed = 7u64;
    let mut next = |n: u64| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    };
    let mut events = vec![deposit("in", at(1, 0), MARGIN, "100000", "USDT", None)];
    let (mut prices, mut net, mut owed) = (Vec::new(), Decimal::ZERO, Decimal::ZERO);
    for i in 1..=240 {
        let t = at(1, i);
        let p = Decimal::from(100 + next(50));
        prices.push(ledger::PricePoint { time: t, asset: "BTC".into(), quote: "USD".into(), price: p });
        let id = format!("e{i}");
        let tenth = Decimal::new(1, 1);
        match next(7) {
            0 | 1 => {
                let amount = Decimal::new(1 + next(5) as i64, 1);
                owed += amount;
                events.push(loan(&id, t, Borrow, &amount.to_string(), None));
            }
            2 => {
                owed += Decimal::new(1, 3);
                net -= Decimal::new(1, 3);
                events.push(loan(&id, t, Interest, "0.001", None));
            }
            3 => {
                net -= tenth;
                events.push(trade(&id, t, MARGIN, ("0.1", "BTC"), (&(p * tenth).to_string(), "USDT"), &[]));
            }
            4 => {
                net += tenth;
                events.push(trade(
                    &id,
                    t,
                    MARGIN,
                    (&(p * tenth).to_string(), "USDT"),
                    ("0.1", "BTC"),
                    &[("0.01", "USDT")],
                ));
            }
            5 => {
                events.push(transfer(&id, t, MARGIN, spot, "0.05", "BTC"));
                events.push(transfer(&format!("{id}b"), at(1, i), spot, MARGIN, "0.05", "BTC"));
            }
            _ => {
                let repaid = owed.min(Decimal::new(2, 1));
                owed -= repaid;
                if !repaid.is_zero() {
                    events.push(loan(&id, t, Repay, &repaid.to_string(), None));
                }
            }
        }
    }
    // the last repay gives back 0.3 more than is owed: a borrow older than the ledger
    net -= Decimal::new(3, 1);
    events.push(loan("last", at(1, 241), Repay, &(owed + Decimal::new(3, 1)).to_string(), None));
    owed = Decimal::ZERO;
    assert!(events.iter().filter(|e| matches!(e.kind, ledger::EventKind::Loan { .. })).count() > 100);
    for method in [Method::Fifo, Method::Lifo, Method::Hifo, Method::Acb, Method::Uk] {
        for pools in [Pools::Universal, Pools::PerAccount] {
            for fees_in_cost_basis in [true, false] {
                let s = Settings { method, pools, fees_in_cost_basis, ..Settings::default() };
                let r = compute(&events, &prices, &s);
                assert_identity(&r);
                for (account, id) in &r.identity_by_account {
                    assert!(id.holds, "{method:?} {pools:?} {account}: {id:?}");
                }
                let btc = &r.assets["BTC"];
                assert_eq!((btc.amount, btc.owed), (net, owed), "{method:?} {pools:?}");
                assert!(r.identity.residual.contains_key("repaid_without_a_recorded_borrow"));
            }
        }
    }
}

#[test]
fn uk_a_disposal_near_the_windows_end_is_matched_with_a_purchase_after_it() {
    // Example 42: the tax year ends 5 April; the 20 March sale is matched with the 10 April purchase (day 21)
    let events = vec![
        trade("b0", ts("2024-01-01T10:00:00Z"), SPOT, ("100", "GBP"), ("10", "TOK"), &[]),
        trade("s1", ts("2024-03-20T10:00:00Z"), SPOT, ("5", "TOK"), ("100", "GBP"), &[]),
        trade("b1", ts("2024-04-10T10:00:00Z"), SPOT, ("75", "GBP"), ("5", "TOK"), &[]),
    ];
    let prices = vec![price(ts("2024-04-05T12:00:00Z"), "TOK", "GBP", "12")];
    let tax_year = Window { from: Some(ts("2023-04-06T00:00:00Z")), to: Some(ts("2024-04-05T23:59:59Z")) };
    let s = Settings { window: tax_year, ..settings("GBP", Method::Uk, true) };
    let r = compute(&events, &prices, &s);
    assert_eq!(disposal_pnls(&r, Category::Trade), ds(&["25"]));
    assert_eq!(lot_uses(&r), vec![uses(&[("2024-04-10", "5", "75")])]);
    assert_eq!(r.events, 2);
    // at the end the wallet holds 5 and the pool still 10 at 100: the sale took none of it
    let tok = &r.assets["TOK"];
    assert_eq!((tok.amount, tok.lots_amount, tok.cost_basis), (d("5"), d("10"), d("100")));
    assert_eq!(r.matched_after_end.len(), 1);
    let m = &r.matched_after_end[0];
    assert_eq!((m.asset.as_str(), m.units, m.cost), ("TOK", d("5"), d("75")));
    assert_eq!(r.identity.residual["cost_matched_with_acquisitions_after_the_end"], d("75"));
    assert_eq!(r.identity.residual["holdings_without_lots_at_market"], d("-60"));
    assert_identity(&r);
    // the whole ledger gives the sale the same gain; the purchase never joins the pool
    let whole = compute(&events, &prices, &settings("GBP", Method::Uk, true));
    assert_eq!(disposal_pnls(&whole, Category::Trade), ds(&["25"]));
    assert_eq!((whole.assets["TOK"].amount, whole.assets["TOK"].cost_basis), (d("10"), d("100")));
    assert!(whole.matched_after_end.is_empty());
    // a purchase on the 31st day is not matched: the sale takes the pool
    let mut late = events.clone();
    late[2] = trade("b1", ts("2024-04-20T10:00:00Z"), SPOT, ("75", "GBP"), ("5", "TOK"), &[]);
    let r = compute(&late, &prices, &s);
    assert_eq!(disposal_pnls(&r, Category::Trade), ds(&["50"]));
    assert!(r.matched_after_end.is_empty());
    assert_eq!(r.assets["TOK"].lots_amount, d("5"));
    assert_identity(&r);
    // a ledger that ends at the window's end cannot know the purchase yet: the sale takes the pool
    let r = compute(&events[..2], &prices, &s);
    assert_eq!(disposal_pnls(&r, Category::Trade), ds(&["50"]));
}
