//! Generator determinism and ground-truth consistency.

use std::collections::HashSet;

use simvenues::generator::{Size, World};
use simvenues::truth;

const ANCHOR: i64 = 1_780_000_000_000;

#[test]
fn same_seed_same_world_different_seed_different_world() {
    let a = truth::ledger(&World::generate(42, Size::Small, ANCHOR));
    let b = truth::ledger(&World::generate(42, Size::Small, ANCHOR));
    let c = truth::ledger(&World::generate(43, Size::Small, ANCHOR));
    assert_eq!(a, b);
    assert_ne!(a, c);
    let ids_a: Vec<&str> = a.iter().map(|e| e.id.as_str()).collect();
    let ids_c: Vec<&str> = c.iter().map(|e| e.id.as_str()).collect();
    assert_ne!(ids_a, ids_c);
}

#[test]
fn small_world_is_a_believable_portfolio() {
    let w = World::generate(1, Size::Small, ANCHOR);
    let events = truth::ledger(&w);
    let main: Vec<_> = events.iter().filter(|e| e.account.as_str().starts_with("binance/main/")).collect();
    eprintln!("small: {} events, {} fills, binance/main {}", events.len(), w.fill_count(), main.len());
    assert!((200..5000).contains(&events.len()), "{} events", events.len());
    for kind in ["trade", "deposit", "withdrawal", "transfer", "income"] {
        assert!(main.iter().any(|e| serde_json::to_value(e).unwrap()["kind"] == kind), "binance/main has no {kind}");
    }
    assert!(events.iter().any(|e| e.id.contains(":convert:")));
    assert!(events.iter().any(|e| e.id.contains(":dust:")));
    // Binance-to-Bitget transfers: a Binance withdrawal and a later Bitget deposit with the same txid and amount
    use ledger::EventKind;
    let pairs = events
        .iter()
        .filter_map(|w| match &w.kind {
            EventKind::Withdrawal { txid: Some(t), amount, .. } if w.account.venue() == "binance" => {
                Some((w, t, amount))
            }
            _ => None,
        })
        .filter(|(w, t, amount)| {
            events.iter().any(|d| {
                matches!(&d.kind, EventKind::Deposit { txid: Some(x), amount: a, .. } if x == *t && a == *amount)
                    && d.account.venue() == "bitget"
                    && d.time > w.time
            })
        })
        .count();
    assert!(pairs >= 2, "{pairs} Binance-to-Bitget transfers");
    assert!(events.iter().any(|e| e.id.contains(":income:FUNDING_FEE:")));
    assert!(events.iter().any(|e| e.id.starts_with("bitget/unified/unified:")));
    assert!(events.iter().any(|e| e.id.starts_with("bitget/main/futures:bill:")));
    // converts at Bitget (classic, small balances to BGB, unified) and futures fills at both venues
    for prefix in [
        "bitget/main/spot:convert:",
        "bitget/main/spot:bgb_convert:",
        "bitget/unified/unified:convert:",
        "binance/main/usdm:futures_trade:",
        "bitget/main/futures:futures_trade:",
        "bitget/unified/unified:futures_trade:",
    ] {
        let n = events.iter().filter(|e| e.id.starts_with(prefix)).count();
        eprintln!("{prefix} {n}");
        assert!(n > 0, "no {prefix}");
    }
}

#[test]
fn ledger_ids_are_unique_and_events_valid() {
    for size in [Size::Tiny, Size::Small] {
        let events = truth::ledger(&World::generate(9, size, ANCHOR));
        let mut seen = HashSet::new();
        for e in &events {
            e.validate().unwrap_or_else(|err| panic!("{}: {err}", e.id));
            assert!(seen.insert(e.id.clone()), "duplicate id {}", e.id);
        }
    }
}

#[test]
fn balances_equal_the_sum_of_the_ledger() {
    for seed in [1, 2, 3, 4, 5] {
        let w = World::generate(seed, Size::Small, ANCHOR);
        let events = truth::ledger(&w);
        let folded = truth::fold(&events);
        let stated = truth::balances(&w);
        assert_eq!(folded, stated, "seed {seed}");
        for (acc, assets) in &stated {
            for (asset, amount) in assets {
                // a Bitget crypto loan still open owes its principal: the loan wallet's negative holding (docs/venues.md
                // §2.17); every other balance is a holding
                let owed = acc.ends_with("/loan") && asset == "USDT";
                assert!(owed || *amount > rust_decimal::Decimal::ZERO, "{acc} {asset} {amount}");
                assert!(!owed || *amount < rust_decimal::Decimal::ZERO, "{acc} {asset} {amount}");
            }
        }
    }
}

#[test]
fn fills_trade_inside_their_minute_kline() {
    let w = World::generate(11, Size::Small, ANCHOR);
    let mut checked = 0;
    for a in &w.binance {
        for (sym, fills) in &a.trades {
            for f in fills {
                let k = w.market.candle(sym, f.time - f.time.rem_euclid(60_000), 60_000);
                assert!(k.low <= f.price && f.price <= k.high, "{sym} {} outside {:?}", f.price, k);
                checked += 1;
            }
        }
    }
    assert!(checked > 50);
}

/// Bitget futures bill ids grow with time, as the venue's do: a client paging by `idLessThan` and one paging by
/// time see the same rows. (Spot bills are not read by the sync; their ids are not ordered across kinds.)
#[test]
fn bitget_bill_ids_grow_with_time() {
    // medium: several futures symbols settle funding at the same instant
    for seed in [1, 2] {
        let w = World::generate(seed, Size::Medium, 1_760_000_000_000);
        for a in &w.bitget {
            let mut by_time: Vec<_> = a.mix_bills.iter().map(|b| (b.time, b.id)).collect();
            by_time.sort();
            assert!(by_time.len() > 1 || a.label != "main", "seed {seed}: the main account has futures bills");
            assert!(by_time.windows(2).all(|p| p[0].1 < p[1].1), "seed {seed}: futures bill ids out of time order");
        }
    }
}

/// The last two days of the Tiny and Small histories hold what an incremental sync must not miss: a pair of trades
/// that nets out with its fees in BNB, one that nets out with no fee at all, the first trade on a symbol listed all
/// along but never traded before, a deposit and transfers.
#[test]
fn late_history_nets_out_and_trades_a_new_symbol() {
    use ledger::EventKind;
    use rust_decimal::Decimal;
    for (seed, size) in [(1, Size::Tiny), (2, Size::Small), (3, Size::Small)] {
        let w = World::generate(seed, size, ANCHOR);
        let late = w.end - 2 * 86_400_000;
        let events = truth::ledger(&w);
        let main: Vec<_> = events.iter().filter(|e| e.account.as_str().starts_with("binance/main/")).collect();
        let trades: Vec<_> = main
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Trade { spend, receive, fees, symbol: Some(s) } => Some((e, spend, receive, fees, s)),
                _ => None,
            })
            .collect();
        // pairs: a buy and a sell of the same BTC quantity for the same USDT, in one minute
        let mut pairs = Vec::new();
        for (b, spend, receive, fees, s) in &trades {
            if s.as_str() != "BTCUSDT" || receive.asset != "BTC" || b.time.0 < late {
                continue;
            }
            let sell = trades.iter().find(|(e, sp, re, _, s2)| {
                s2 == s && sp.asset == "BTC" && sp.amount == receive.amount && re.amount == spend.amount && {
                    let (t0, t1) = (b.time.0, e.time.0);
                    t1 > t0 && t1 - t0 <= 60_000 && t1 / 60_000 == t0 / 60_000
                }
            });
            if let Some((_, _, _, sell_fees, _)) = sell {
                pairs.push((fees[0].clone(), sell_fees[0].clone()));
            }
        }
        assert!(
            pairs.iter().any(|(a, b)| a.asset == "BNB" && b.asset == "BNB" && !a.amount.is_zero()),
            "seed {seed}: no pair that nets out with BNB fees: {pairs:?}"
        );
        assert!(
            pairs.iter().any(|(a, b)| a.amount == Decimal::ZERO && b.amount == Decimal::ZERO),
            "seed {seed}: no pair that nets out without fees: {pairs:?}"
        );
        // a symbol listed all along whose only trades are late
        let late_symbol = w.binance_spot.last().unwrap().to_string();
        let on_it: Vec<_> = trades.iter().filter(|t| *t.4 == late_symbol).collect();
        assert!(!on_it.is_empty() && on_it.iter().all(|t| t.0.time.0 >= late), "seed {seed}: {late_symbol}");
        for kind in ["deposit", "transfer"] {
            assert!(
                main.iter().any(|e| e.time.0 >= late && serde_json::to_value(e).unwrap()["kind"] == kind),
                "seed {seed}: no late {kind}"
            );
        }
    }
}

/// Every data account trades COIN-M (docs/venues.md §1.14): BTC moved into the `coinm` wallet, a long closed with
/// its inverse PnL in BTC (contracts × 100 × (1/entry − 1/exit)), funding and commission in BTC, a short left open;
/// the truth's `coinm` balance is what the transfers and income rows add up to.
#[test]
fn coin_m_activity_is_inverse_and_in_the_coin() {
    use rust_decimal::Decimal;
    for seed in [1, 7, 42] {
        let w = World::generate(seed, Size::Small, ANCHOR);
        let events = truth::ledger(&w);
        let balances = truth::balances(&w);
        let traders: Vec<_> = w.binance.iter().filter(|a| !a.trades.is_empty()).collect();
        assert!(!traders.is_empty());
        for a in traders {
            let fills = &a.coinm_trades["BTCUSD_PERP"];
            let (open, close) = (&fills[0], &fills[1]);
            assert!(open.opening && open.buyer && !close.opening && !close.buyer, "seed {seed} {}", a.label);
            let inverse =
                (open.qty * Decimal::from(100) * (Decimal::ONE / open.price - Decimal::ONE / close.price)).round_dp(8);
            assert_eq!(close.realized_pnl, inverse, "seed {seed} {}", a.label);
            let types: HashSet<&str> = a.coinm_income.iter().map(|i| i.income_type).collect();
            assert_eq!(types, HashSet::from(["TRANSFER", "REALIZED_PNL", "COMMISSION", "FUNDING_FEE"]));
            assert!(a.coinm_income.iter().all(|i| &*i.asset == "BTC"));
            assert!(a.coinm_positions["BTCUSD_PERP"].amt < Decimal::ZERO, "a short stays open");
            let coinm = format!("binance/{}/coinm", a.label);
            let flows: Decimal = a
                .coinm_income
                .iter()
                .filter(|i| i.income_type != "TRANSFER")
                .map(|i| i.income)
                .chain(a.transfers.iter().filter(|t| t.to == "coinm").map(|t| t.amount))
                .chain(a.transfers.iter().filter(|t| t.from == "coinm").map(|t| -t.amount))
                .sum();
            assert_eq!(balances[&coinm]["BTC"], flows, "seed {seed} {}", a.label);
            assert!(events.iter().any(|e| e.id.starts_with(&format!("{coinm}:income:REALIZED_PNL:"))));
        }
    }
}

/// Every trading Binance account runs the cross margin script (docs/venues.md §1.18): 200 USDT in; a BTC borrow sold
/// and liquidated (bought back, repaid, a 1 % fee); a BTC borrow sold, interest charged on borrowing and twice
/// hourly, the BTC owed bought back and repaid with its interest. The margin wallet is net of what is owed: no BTC is
/// left, and its USDT is what the fills and the fee say.
#[test]
fn cross_margin_borrows_sells_buys_back_and_repays() {
    use ledger::{EventKind, LoanAction};
    use rust_decimal::Decimal;
    for seed in [1, 7, 42] {
        let w = World::generate(seed, Size::Small, ANCHOR);
        let events = truth::ledger(&w);
        let balances = truth::balances(&w);
        let traders: Vec<_> = w.binance.iter().filter(|a| !a.margin_flows.is_empty()).collect();
        assert!(!traders.is_empty(), "seed {seed}: no account traded on margin");
        for a in traders {
            let margin = format!("binance/{}/margin", a.label);
            let loans: Vec<_> = events.iter().filter(|e| e.account.as_str() == margin).collect();
            let action = |e: &&ledger::Event| match &e.kind {
                EventKind::Loan { action, .. } => Some(*action),
                _ => None,
            };
            let actions: Vec<LoanAction> = loans.iter().filter_map(action).collect();
            use LoanAction::{Borrow, Interest, Repay};
            let expected = [Borrow, Interest, Repay, Borrow, Interest, Interest, Interest, Repay];
            assert_eq!(actions, expected, "seed {seed} {}", a.label);
            let (borrow, repay) = (&a.margin_loans[2], &a.margin_loans[3]);
            let charged: Decimal = a.margin_interest[1..].iter().map(|i| i.interest).sum();
            assert_eq!((repay.principal, repay.interest), (borrow.principal, charged), "seed {seed} {}", a.label);
            let fills = &a.margin_trades["BTCUSDT"];
            assert!(!fills[2].is_buyer && fills[3].is_buyer && fills[3].qty == borrow.principal + charged);
            // the liquidation: its order is the buy-back's, its fee a flow of its own, booked as other income
            let liquidation = &a.margin_liquidations[0];
            assert!(liquidation.buy && liquidation.qty == fills[1].qty && liquidation.order_id == fills[1].order_id);
            let fee: Decimal = a.margin_flows.iter().filter(|f| f.kind == "LIQUIDATION_FEE").map(|f| f.amount).sum();
            assert!(fee > Decimal::ZERO);
            assert!(loans.iter().any(|e| e.id.contains(":capital_flow:LIQUIDATION_FEE:")));
            assert!(!balances[&margin].contains_key("BTC"), "nothing held net of what is owed");
            let signed =
                |f: &simvenues::generator::SpotFill| if f.is_buyer { -f.price * f.qty } else { f.price * f.qty };
            // and what went to the isolated pair and came back
            let isolated: Decimal = a
                .transfers
                .iter()
                .map(|t| match (t.from, t.to) {
                    ("margin", w) if w.starts_with("isolated-") => -t.amount,
                    (w, "margin") if w.starts_with("isolated-") => t.amount,
                    _ => Decimal::ZERO,
                })
                .sum();
            let usdt =
                Decimal::from(200) + fills.iter().map(|f| signed(f) - f.commission).sum::<Decimal>() - fee + isolated;
            assert_eq!(balances[&margin]["USDT"], usdt, "seed {seed} {}", a.label);
        }
    }
}

/// Every data account that uses cross margin also uses the isolated pair BTCUSDT (docs/venues.md §1.18): 100 USDT in
/// from cross margin, a BTC borrow sold, interest on borrowing and an hour later, the BTC owed bought back and repaid
/// with its interest, 10 USDT on to a second pair (ETHUSDT), and all but 20 USDT back to cross margin; the venue
/// serves it in the pages' shapes.
#[test]
fn isolated_margin_borrows_sells_buys_back_and_repays() {
    use ledger::{EventKind, LoanAction};
    use rust_decimal::Decimal;
    for seed in [1, 7, 42] {
        let w = World::generate(seed, Size::Small, ANCHOR);
        let events = truth::ledger(&w);
        let balances = truth::balances(&w);
        let traders: Vec<_> = w.binance.iter().filter(|a| !a.margin_flows.is_empty()).collect();
        assert!(!traders.is_empty(), "seed {seed}: no account traded on margin");
        for a in traders {
            let pair = &a.isolated["BTCUSDT"];
            let wallet = format!("binance/{}/isolated-BTCUSDT", a.label);
            let mine: Vec<_> = events.iter().filter(|e| e.account.as_str() == wallet).collect();
            let actions: Vec<LoanAction> = mine
                .iter()
                .filter_map(|e| match &e.kind {
                    EventKind::Loan { action, .. } => Some(*action),
                    _ => None,
                })
                .collect();
            use LoanAction::{Borrow, Interest, Repay};
            assert_eq!(actions, [Borrow, Interest, Interest, Repay], "seed {seed} {}", a.label);
            let (borrow, repay) = (&pair.loans[0], &pair.loans[1]);
            let charged: Decimal = pair.interest.iter().map(|i| i.interest).sum();
            assert_eq!((repay.principal, repay.interest), (borrow.principal, charged), "seed {seed} {}", a.label);
            assert!(!pair.trades[0].is_buyer && pair.trades[1].is_buyer);
            assert_eq!(pair.trades[1].qty, borrow.principal + charged);
            // the transfers in from cross margin, on to the second pair and back out, and each pair's capital flow
            // names its own
            let moves: Vec<_> = a
                .transfers
                .iter()
                .filter(|t| t.from.starts_with("isolated-") || t.to.starts_with("isolated-"))
                .collect();
            assert_eq!(moves.len(), 3, "seed {seed} {}", a.label);
            let ends: Vec<(&str, &str)> = moves.iter().map(|m| (m.from, m.to)).collect();
            assert_eq!(
                ends,
                [
                    ("margin", "isolated-BTCUSDT"),
                    ("isolated-BTCUSDT", "isolated-ETHUSDT"),
                    ("isolated-BTCUSDT", "margin")
                ]
            );
            let ids: HashSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
            let into = format!("binance/{}/margin:transfer:MARGIN_ISOLATEDMARGIN:{}", a.label, moves[0].id);
            let across = format!("{wallet}:transfer:ISOLATEDMARGIN_ISOLATEDMARGIN:{}", moves[1].id);
            let out = format!("{wallet}:transfer:ISOLATEDMARGIN_MARGIN:{}", moves[2].id);
            for id in [&into, &across, &out] {
                assert!(ids.contains(id.as_str()), "seed {seed} {}: {id}", a.label);
            }
            assert_eq!(pair.flows.iter().filter(|f| f.kind == "TRANSFER").count(), 3);
            let second = &a.isolated["ETHUSDT"];
            assert_eq!(
                second.flows.iter().map(|f| (f.kind, f.tran_id)).collect::<Vec<_>>(),
                [("TRANSFER", moves[1].id)]
            );
            // nothing owed at the end, 20 USDT kept in the pair and the 10 sent on in the second
            let held: Vec<_> = balances[&wallet].iter().collect();
            assert_eq!(held, [(&"USDT".to_string(), &Decimal::from(20))], "seed {seed} {}", a.label);
            let second_wallet = format!("binance/{}/isolated-ETHUSDT", a.label);
            let held: Vec<_> = balances[&second_wallet].iter().collect();
            assert_eq!(held, [(&"USDT".to_string(), &Decimal::from(10))], "seed {seed} {}", a.label);
            let usdt = Decimal::from(100)
                + pair
                    .trades
                    .iter()
                    .map(|f| if f.is_buyer { -f.price * f.qty } else { f.price * f.qty } - f.commission)
                    .sum::<Decimal>()
                - moves[1].amount
                - moves[2].amount;
            assert_eq!(usdt, Decimal::from(20), "seed {seed} {}", a.label);
        }
    }
}

/// Each classic Bitget data account moves 200 USDT to cross margin, borrows BTC, sells it, is charged interest on
/// borrowing and hourly, buys back what it owes, repays it with its interest in one finance flow row and moves all
/// but 20 USDT back (docs/venues.md §2.15): the truth has the loans, the fills and the transfers, the margin
/// wallet ends with 20 USDT and no BTC, and the flow's rows add up to the wallet's units.
#[test]
fn bitget_cross_margin_borrows_sells_buys_back_and_repays() {
    use ledger::{EventKind, LoanAction};
    use rust_decimal::Decimal;
    for (seed, size) in [(1, Size::Small), (7, Size::Small), (42, Size::Small), (11, Size::Tiny)] {
        let w = World::generate(seed, size, ANCHOR);
        let (events, balances) = (truth::ledger(&w), truth::balances(&w));
        let data = |a: &&simvenues::generator::BitgetAccount| ["main", "alt", "third"].contains(&a.label.as_str());
        let classic: Vec<_> =
            w.bitget.iter().filter(data).filter(|a| a.mode == simvenues::keys::AccountMode::Classic).collect();
        assert!(!classic.is_empty());
        for a in classic {
            let m = &a.margin;
            assert!(!m.flows.is_empty(), "seed {seed} {}: no cross margin", a.label);
            let margin = format!("bitget/{}/margin", a.label);
            let actions: Vec<LoanAction> = events
                .iter()
                .filter(|e| e.account.as_str() == margin)
                .filter_map(|e| match &e.kind {
                    EventKind::Loan { action, .. } => Some(*action),
                    _ => None,
                })
                .collect();
            use LoanAction::{Borrow, Interest, Repay};
            assert_eq!(actions, [Borrow, Interest, Interest, Interest, Repay], "seed {seed} {}", a.label);
            let charged: Decimal = m.interest.iter().map(|i| i.amount).sum();
            let borrowed = m.flows.iter().find(|f| f.kind == "borrow").unwrap().amount;
            let repay = m.flows.iter().find(|f| f.kind == "repay").unwrap();
            assert_eq!((repay.amount, repay.interest), (-(borrowed + charged), -charged));
            assert!(!m.fills[0].is_buyer && m.fills[1].is_buyer && m.fills[1].qty == borrowed + charged);
            assert_eq!(m.owed("BTC"), (Decimal::ZERO, Decimal::ZERO), "the loan is settled");
            assert_eq!(balances[&margin].get("USDT"), Some(&Decimal::from(20)), "seed {seed}: {:?}", balances[&margin]);
            assert!(!balances[&margin].contains_key("BTC"));
            let units = |coin: &str| -> Decimal {
                m.flows
                    .iter()
                    .filter(|f| &*f.coin == coin && f.kind != "borrow" && f.kind != "repay")
                    .map(|f| f.amount + f.fee)
                    .sum()
            };
            assert_eq!((units("USDT"), units("BTC")), (Decimal::from(20), charged), "seed {seed}");
            let transfers: Vec<_> = a.transfers.iter().filter(|t| t.from == "margin" || t.to == "margin").collect();
            assert_eq!(transfers.len(), 2);
        }
    }
}

/// Each classic Bitget data account also uses an isolated pair, BTCUSDT (docs/venues.md §2.18): 100 USDT from spot
/// into the pair, a BTC borrow sold, interest on borrowing and an hour later, the BTC owed bought back, the loan
/// repaid with its interest, all but 20 USDT back to spot. The truth has the loans, the fills and the two transfers
/// in the pair's wallet `isolated-BTCUSDT` (never in cross margin's), the pair ends with 20 USDT and no BTC, and the
/// flow's rows add up to the wallet's units.
#[test]
fn bitget_isolated_margin_borrows_sells_buys_back_and_repays_in_its_pair() {
    use ledger::{EventKind, LoanAction};
    use rust_decimal::Decimal;
    use simvenues::generator::BITGET_ISOLATED_WALLET;
    for (seed, size) in [(1, Size::Small), (7, Size::Small), (42, Size::Small), (11, Size::Tiny)] {
        let w = World::generate(seed, size, ANCHOR);
        let (events, balances) = (truth::ledger(&w), truth::balances(&w));
        let data = |a: &&simvenues::generator::BitgetAccount| ["main", "alt", "third"].contains(&a.label.as_str());
        let classic: Vec<_> =
            w.bitget.iter().filter(data).filter(|a| a.mode == simvenues::keys::AccountMode::Classic).collect();
        assert!(!classic.is_empty());
        for a in classic {
            let m = &a.isolated;
            assert!(!m.flows.is_empty(), "seed {seed} {}: no isolated margin", a.label);
            let pair = format!("bitget/{}/{BITGET_ISOLATED_WALLET}", a.label);
            let actions: Vec<LoanAction> = events
                .iter()
                .filter(|e| e.account.as_str() == pair)
                .filter_map(|e| match &e.kind {
                    EventKind::Loan { action, .. } => Some(*action),
                    _ => None,
                })
                .collect();
            use LoanAction::{Borrow, Interest, Repay};
            assert_eq!(actions, [Borrow, Interest, Interest, Repay], "seed {seed} {}", a.label);
            let charged: Decimal = m.interest.iter().map(|i| i.amount).sum();
            let borrowed = m.flows.iter().find(|f| f.kind == "borrow").unwrap().amount;
            let repay = m.flows.iter().find(|f| f.kind == "repay").unwrap();
            assert_eq!((repay.amount, repay.interest), (-(borrowed + charged), -charged));
            assert!(!m.fills[0].is_buyer && m.fills[1].is_buyer && m.fills[1].qty == borrowed + charged);
            assert_eq!(m.owed("BTC"), (Decimal::ZERO, Decimal::ZERO), "the loan is settled");
            assert_eq!(balances[&pair].get("USDT"), Some(&Decimal::from(20)), "seed {seed}: {:?}", balances[&pair]);
            assert!(!balances[&pair].contains_key("BTC"));
            let units = |coin: &str| -> Decimal {
                m.flows
                    .iter()
                    .filter(|f| &*f.coin == coin && f.kind != "borrow" && f.kind != "repay")
                    .map(|f| f.amount + f.fee)
                    .sum()
            };
            assert_eq!((units("USDT"), units("BTC")), (Decimal::from(20), charged), "seed {seed}");
            let transfers: Vec<_> = a
                .transfers
                .iter()
                .filter(|t| t.from == BITGET_ISOLATED_WALLET || t.to == BITGET_ISOLATED_WALLET)
                .collect();
            assert_eq!(transfers.len(), 2);
            assert!(transfers.iter().all(|t| t.from == "spot" || t.to == "spot"), "spot in, spot out");
            // the pair's records are its own: the cross margin rows are distinct
            assert!(m.flows.iter().all(|f| a.margin.flows.iter().all(|c| c.id != f.id)));
        }
    }
}

/// A unified Bitget account trades on margin in its one wallet (docs/venues.md §2.8): a BTC borrow sold, interest
/// charged, the BTC bought back and the loan repaid as two rows (principal, then interest), then a second borrow a
/// day before the end left open with its interest. The truth has the loans and the fills in `unified`, the account
/// ends owing the second loan, and the served assets show it: `balance` with the borrowed coins, `debt` what is
/// owed, `balance − debt` the truth's balance.
#[test]
fn a_unified_bitget_account_borrows_repays_and_ends_owing_a_loan() {
    use ledger::{EventKind, LoanAction};
    use rust_decimal::Decimal;
    let mut seen = 0;
    for (seed, size) in [(1, Size::Small), (7, Size::Small), (42, Size::Small), (11, Size::Tiny)] {
        let w = World::generate(seed, size, ANCHOR);
        let (events, balances) = (truth::ledger(&w), truth::balances(&w));
        let unified = w.bitget.iter().filter(|a| a.mode == simvenues::keys::AccountMode::Unified);
        for a in unified.filter(|a| !a.margin.flows.is_empty()) {
            seen += 1;
            let m = &a.margin;
            let wallet = format!("bitget/{}/unified", a.label);
            let actions: Vec<LoanAction> = events
                .iter()
                .filter(|e| e.account.as_str() == wallet)
                .filter_map(|e| match &e.kind {
                    EventKind::Loan { action, .. } => Some(*action),
                    _ => None,
                })
                .collect();
            let kinds: Vec<&str> = m.flows.iter().filter(|f| !f.kind.starts_with("deal")).map(|f| f.kind).collect();
            use LoanAction::{Borrow, Interest, Repay};
            let (principal, interest) = m.owed("BTC");
            if kinds.len() == 4 {
                assert_eq!(kinds, ["borrow", "repay", "interest_repay", "borrow"], "seed {seed} {}", a.label);
                assert_eq!(
                    actions,
                    [Borrow, Interest, Interest, Interest, Repay, Repay, Borrow, Interest, Interest],
                    "seed {seed} {}",
                    a.label
                );
                assert_eq!(principal, m.flows.iter().rev().find(|f| f.kind == "borrow").unwrap().amount);
                assert_eq!(m.fills.len(), 2, "sold and bought back");
            } else {
                // the USDT to buy back was spent: the first loan stays open to the end
                assert_eq!(kinds, ["borrow"], "seed {seed} {}", a.label);
            }
            assert!(principal > Decimal::ZERO && interest > Decimal::ZERO, "seed {seed} {}: owed at the end", a.label);
            // the truth's balance is net of what is owed; the venue's `balance` holds the owed coins
            let net = balances.get(&wallet).and_then(|b| b.get("BTC")).copied().unwrap_or_default();
            assert_eq!(net, a.wallets["unified"].get("BTC").copied().unwrap_or_default(), "seed {seed}");
            assert!(net + principal + interest >= Decimal::ZERO, "seed {seed}: the venue's balance is not negative");
        }
    }
    assert!(seen >= 3, "unified accounts that trade on margin: {seen}");
}
