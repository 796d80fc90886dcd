//! Property tests over generated ledgers, with a small deterministic PRNG (no proptest): quantities conserved,
//! the identity holds, FIFO and ACB agree with one buy, order of equal-time-free input does not matter.

mod common;

use std::collections::BTreeMap;

use common::*;
use ledger::{Decimal, Event, IncomeType, PricePoint};
use pnl::{
    Extension, Incremental, Method, Pools, Recomputed, Report, Settings, Window, compute, compute_with_positions,
};

/// Test cases drawn from a seeded generator (fastrand's).
struct Rng(fastrand::Rng);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(fastrand::Rng::with_seed(seed))
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0.u64(..n)
    }
    /// A decimal in [lo, hi) with `scale` decimals.
    fn dec(&mut self, lo: i64, hi: i64, scale: u32) -> Decimal {
        let unit = 10i64.pow(scale);
        let span = ((hi - lo) * unit) as u64;
        Decimal::new(lo * unit + self.below(span.max(1)) as i64, scale)
    }
}

const ACCOUNTS: [&str; 3] = ["binance/main/spot", "bitget/main/spot", "binance/main/usdm"];
const ASSETS: [&str; 3] = ["BTC", "ETH", "BNB"];

struct Generated {
    events: Vec<Event>,
    prices: Vec<PricePoint>,
}

/// A random ledger: deposits of USDT, buys, sells (sometimes more than held), fees in the quote, the base or BNB,
/// transfers between accounts (internal, or a withdrawal matched by a deposit), income in USDT and in BTC. `clean` keeps spends within balances and prices complete.
fn generate(seed: u64, n: usize, clean: bool) -> Generated {
    let mut rng = Rng::new(seed);
    let mut events = Vec::new();
    let mut prices = Vec::new();
    let mut held: BTreeMap<(usize, usize), Decimal> = BTreeMap::new();
    let mut px = [d("30000"), d("2000"), d("300")];
    for i in 0..n {
        let t = at(1, 0).millis() + i as i64 * 3_600_000;
        let t = ledger::Timestamp::from_millis(t);
        // prices move every hour
        for (k, p) in px.iter_mut().enumerate() {
            let step = rng.dec(-2, 2, 2) / d("100");
            *p = (*p * (Decimal::ONE + step)).round_dp(2);
            if !clean || k != 2 || rng.below(5) != 0 {
                prices.push(PricePoint { time: t, asset: ASSETS[k].into(), quote: "USDT".into(), price: *p });
            }
        }
        let acct = rng.below(3) as usize;
        let account = ACCOUNTS[acct];
        let id = format!("e{i}");
        let k = rng.below(3) as usize;
        let fee_pick = rng.below(4);
        let roll = rng.below(10);
        let e = match roll {
            0 => deposit(&id, t, account, &rng.dec(100, 5000, 2).to_string(), "USDT", None),
            1..=4 => {
                let usd = rng.dec(10, 500, 2);
                let qty = (usd / px[k]).round_dp(8);
                if qty.is_zero() {
                    continue;
                }
                *held.entry((acct, k)).or_default() += qty;
                let fees: Vec<(String, String)> = match fee_pick {
                    0 => vec![],
                    1 => vec![((usd / d("1000")).round_dp(4).to_string(), "USDT".into())],
                    2 => {
                        let f = (qty / d("1000")).round_dp(8);
                        *held.entry((acct, k)).or_default() -= f;
                        vec![(f.to_string(), ASSETS[k].into())]
                    }
                    _ => {
                        let bnb = held.entry((acct, 2)).or_default();
                        let f = d("0.001");
                        if clean && *bnb < f {
                            vec![]
                        } else {
                            *bnb -= f;
                            vec![(f.to_string(), "BNB".into())]
                        }
                    }
                };
                let fees: Vec<(&str, &str)> = fees.iter().map(|(a, s)| (a.as_str(), s.as_str())).collect();
                trade(&id, t, account, (&usd.to_string(), "USDT"), (&qty.to_string(), ASSETS[k]), &fees)
            }
            5..=7 => {
                let have = held.get(&(acct, k)).copied().unwrap_or_default();
                let qty = if clean { (have * rng.dec(0, 1, 2)).round_dp(8) } else { rng.dec(0, 2, 3) };
                if qty <= Decimal::ZERO {
                    continue;
                }
                *held.entry((acct, k)).or_default() -= qty;
                let usd = (qty * px[k]).round_dp(2);
                let fees = if fee_pick == 1 { vec![("0.1", "USDT")] } else { vec![] };
                trade(&id, t, account, (&qty.to_string(), ASSETS[k]), (&usd.to_string(), "USDT"), &fees)
            }
            8 => {
                let to = (acct + 1 + rng.below(2) as usize) % 3;
                let have = held.get(&(acct, k)).copied().unwrap_or_default();
                let qty = if clean { (have / d("2")).round_dp(8) } else { rng.dec(0, 1, 3) };
                if qty <= Decimal::ZERO {
                    continue;
                }
                *held.entry((acct, k)).or_default() -= qty;
                if rng.below(2) == 0 {
                    *held.entry((to, k)).or_default() += qty;
                    transfer(&id, t, account, ACCOUNTS[to], &qty.to_string(), ASSETS[k])
                } else {
                    // a withdrawal and, half an hour later, a deposit of 99 % of it elsewhere: matched
                    let received = (qty * d("0.99")).round_dp(8);
                    *held.entry((to, k)).or_default() += received;
                    events.push(withdrawal(&id, t, account, &qty.to_string(), ASSETS[k], None, None));
                    let later = ledger::Timestamp::from_millis(t.millis() + 1_800_000);
                    deposit(&format!("{id}-in"), later, ACCOUNTS[to], &received.to_string(), ASSETS[k], None)
                }
            }
            _ => {
                let ty = [IncomeType::RealizedPnl, IncomeType::Funding, IncomeType::Commission, IncomeType::Other]
                    [rng.below(4) as usize];
                if rng.below(2) == 0 {
                    income(&id, t, account, ty, &rng.dec(-20, 20, 2).to_string(), "USDT")
                } else {
                    let amt = rng.dec(0, 100, 6) / d("10000");
                    *held.entry((acct, 0)).or_default() += amt;
                    income(&id, t, account, ty, &amt.to_string(), "BTC")
                }
            }
        };
        events.push(e);
    }
    Generated { events, prices }
}

fn all_settings() -> Vec<Settings> {
    let mut out = Vec::new();
    for method in [Method::Fifo, Method::Lifo, Method::Hifo, Method::Acb, Method::Uk] {
        for pools in [Pools::Universal, Pools::PerAccount] {
            if method == Method::Uk && pools == Pools::PerAccount {
                continue; // UK share pooling is always universal
            }
            for fees_in_cost_basis in [true, false] {
                out.push(Settings { method, pools, fees_in_cost_basis, ..Settings::default() });
            }
        }
    }
    out
}

fn missing_by_asset(r: &Report) -> BTreeMap<String, Decimal> {
    let mut m = BTreeMap::new();
    for x in &r.missing_acquisitions {
        *m.entry(x.asset.clone()).or_default() += x.missing;
    }
    m
}

#[test]
fn lots_equal_balances_plus_missing() {
    for seed in 0..6 {
        let g = generate(seed, 300, seed % 2 == 0);
        for s in all_settings() {
            let r = compute(&g.events, &g.prices, &s);
            let missing = missing_by_asset(&r);
            for (asset, pos) in &r.assets {
                if asset == "USDT" {
                    continue;
                }
                let expected = pos.amount + missing.get(asset).copied().unwrap_or_default();
                assert_eq!(pos.lots_amount, expected, "seed {seed} {s:?} {asset}");
                let lot_sum: Decimal = r.open_lots.iter().filter(|l| &l.asset == asset).map(|l| l.amount).sum();
                assert_eq!(lot_sum, pos.lots_amount);
            }
            if seed % 2 == 0 {
                assert!(r.missing_acquisitions.is_empty(), "clean ledger {seed} {s:?}: {:?}", r.missing_acquisitions);
                assert!(r.transfers.unmatched.iter().all(|u| u.asset == "USDT"), "{:?}", r.transfers.unmatched);
                assert!(!r.transfers.matched.is_empty());
            }
        }
    }
}

#[test]
fn identity_holds_on_generated_ledgers() {
    for seed in 10..16 {
        let clean = seed % 2 == 0;
        let g = generate(seed, 300, clean);
        for s in all_settings() {
            let r = compute(&g.events, &g.prices, &s);
            assert!(r.identity.holds, "seed {seed} {s:?}: {:?}", r.identity);
            if s.pools == Pools::PerAccount {
                assert_eq!(r.identity_by_account.len(), r.accounts.len());
                for (account, identity) in &r.identity_by_account {
                    assert!(identity.holds, "seed {seed} {s:?} {account}: {identity:?}");
                }
                // the accounts add up to the total, except for moves between them, which cancel out
                let sum = |f: fn(&pnl::Identity) -> Decimal| -> Decimal { r.identity_by_account.values().map(f).sum() };
                assert!((sum(|i| i.equity) - r.identity.equity).abs() < d("0.000000001"));
                assert!((sum(|i| i.realized) - r.identity.realized).abs() < d("0.000000001"));
                assert!((sum(|i| i.unrealized) - r.identity.unrealized).abs() < d("0.000000001"));
            }
            // the identity's parts are computed independently of the itemization: check them too
            let equity: Decimal = r.assets.values().filter_map(|a| a.value).sum();
            assert!((equity - r.identity.equity).abs() < d("0.000000001"));
            let unrealized: Decimal = r.open_lots.iter().filter_map(|l| l.unrealized).sum();
            assert!((unrealized - r.identity.unrealized).abs() < d("0.000000001"));
            if clean && !s.fees_in_cost_basis {
                // no missing acquisitions, no unmatched crypto flows, fees disposed at cost: nothing to itemize
                // except holdings without a price
                let unexpected: Vec<_> =
                    r.identity.residual.keys().filter(|k| k.as_str() != "cost_of_unpriced_holdings").collect();
                assert!(unexpected.is_empty(), "seed {seed} {s:?}: {:?}", r.identity.residual);
            }
        }
    }
}

#[test]
fn fifo_and_acb_agree_with_one_buy() {
    for seed in 20..40 {
        let mut rng = Rng::new(seed);
        let qty = rng.dec(1, 100, 4);
        let mut events = vec![trade(
            "buy",
            at(1, 0),
            ACCOUNTS[0],
            (&rng.dec(100, 10000, 2).to_string(), "USDT"),
            (&qty.to_string(), "ETH"),
            &[],
        )];
        let mut left = qty;
        for i in 0..5 {
            let q = (left * rng.dec(0, 1, 3)).round_dp(6);
            left -= q;
            events.push(trade(
                &format!("s{i}"),
                at(2 + i, 0),
                ACCOUNTS[0],
                (&q.to_string(), "ETH"),
                (&rng.dec(1, 5000, 2).to_string(), "USDT"),
                &[("0.5", "USDT")],
            ));
        }
        let fifo = compute(&events, &[], &Settings { method: Method::Fifo, ..Settings::default() });
        for method in [Method::Acb, Method::Lifo, Method::Hifo, Method::Uk] {
            let other = compute(&events, &[], &Settings { method, ..Settings::default() });
            assert_eq!(fifo.realized, other.realized, "seed {seed} {method:?}");
            assert_eq!(fifo.assets["ETH"], other.assets["ETH"], "seed {seed} {method:?}");
        }
    }
}

#[test]
fn input_order_does_not_matter_and_results_repeat() {
    let g = generate(99, 200, false);
    let s = Settings::default();
    let a = compute(&g.events, &g.prices, &s);
    let mut shuffled = g.events.clone();
    let mut rng = Rng::new(7);
    for i in (1..shuffled.len()).rev() {
        shuffled.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut prices = g.prices.clone();
    prices.reverse();
    let b = compute(&shuffled, &prices, &s);
    assert_eq!(a.realized, b.realized);
    assert_eq!(a.assets, b.assets);
    assert_eq!(a.identity, b.identity);
    assert_eq!(a.equity_curve, b.equity_curve);
    let again = compute(&g.events, &g.prices, &s);
    assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&again).unwrap());
}

#[test]
fn uk_pooling_holds_with_deposits_at_market_and_windows() {
    // the engine checks (in debug builds) that the UK plan's reservations meet exactly what the run acquires
    let mut matched_after_end = 0;
    for seed in 40..46 {
        let g = generate(seed, 300, seed % 2 == 0);
        let first = g.events.iter().map(|e| e.time).min().unwrap();
        let last = g.events.iter().map(|e| e.time).max().unwrap();
        let mid = ledger::Timestamp::from_millis((first.millis() + last.millis()) / 2);
        for window in [Window::default(), Window { from: Some(mid), to: None }, Window { from: None, to: Some(mid) }] {
            let s = Settings { method: Method::Uk, deposits_at_market: true, window, ..Settings::default() };
            let r = compute(&g.events, &g.prices, &s);
            assert!(r.identity.holds, "seed {seed} {window:?}: {:?}", r.identity);
            assert_eq!(r.holding_periods, None);
            let missing = missing_by_asset(&r);
            // the pool still holds units sold in the window's last 30 days and matched with later purchases
            let after: BTreeMap<&str, Decimal> =
                r.matched_after_end.iter().map(|m| (m.asset.as_str(), m.units)).collect();
            for (asset, pos) in r.assets.iter().filter(|(a, _)| a.as_str() != "USDT") {
                let expected = pos.amount + missing.get(asset).copied().unwrap_or_default();
                if pos.lots_amount != expected + after.get(asset.as_str()).copied().unwrap_or_default() {
                    // only units deposited without a price have no lot
                    assert!(r.missing_prices.iter().any(|m| &m.asset == asset), "seed {seed} {asset} {pos:?}");
                }
            }
        }
        // a report that ends with a UTC day gives each of its disposals the cost the whole ledger gives it: the
        // rules look 30 days ahead, whatever the window
        let day_end = ledger::Timestamp::from_millis(ledger::Timestamp::start_of_day(mid.day() + 1).millis() - 1);
        let s = Settings { method: Method::Uk, deposits_at_market: true, ..Settings::default() };
        let whole = compute(&g.events, &g.prices, &s);
        let ended = compute(&g.events, &g.prices, &Settings { window: Window { from: None, to: Some(day_end) }, ..s });
        let costs = |r: &Report| -> Vec<(usize, Decimal, Decimal, Decimal)> {
            let rows = r.disposals.iter().filter(|x| x.time <= day_end);
            rows.map(|x| (x.event, x.amount, x.proceeds, x.cost)).collect()
        };
        assert_eq!(costs(&ended), costs(&whole), "seed {seed}");
        matched_after_end += ended.matched_after_end.len();
    }
    assert!(matched_after_end > 0, "no generated ledger sold in a window's last 30 days and bought again after it");
}

/// The ledger given so far and its prices: the prices known up to its last event.
fn so_far(g: &Generated, n: usize) -> (Vec<Event>, Vec<PricePoint>) {
    let events = g.events[..n].to_vec();
    let until = events.iter().map(|e| e.time).max().unwrap_or_default();
    (events, g.prices.iter().filter(|p| p.time <= until).cloned().collect())
}

/// Feeds `g` to an [`Incremental`] in pieces of 1 to 40 events, each with the prices known by then, and checks the
/// report after every piece against the whole ledger's [`compute_with_positions`]. Returns how each piece went.
fn feed_in_pieces(g: &Generated, settings: &Settings, seed: u64) -> Vec<Extension> {
    let mut rng = Rng::new(seed);
    let mut n = 1 + rng.below(40) as usize;
    let (events, prices) = so_far(g, n);
    let mut inc = Incremental::new(events, &prices, settings.clone());
    let mut outcomes = Vec::new();
    while n < g.events.len() {
        let next = (n + 1 + rng.below(40) as usize).min(g.events.len());
        let (events, prices) = so_far(g, next);
        outcomes.push(inc.extend(events[n..].to_vec(), &prices));
        n = next;
        let whole = compute_with_positions(&events, &prices, &[], settings);
        let kept = inc.report(&[]);
        assert_eq!(kept, whole, "after {n} events ({:?}), settings {settings:?}", outcomes.last());
        // exactly: the same JSON (equal decimals may differ in scale), and the rows the JSON leaves out
        assert_eq!(serde_json::to_string(&kept).unwrap(), serde_json::to_string(&whole).unwrap());
        assert_eq!((&kept.disposals, &kept.lot_uses), (&whole.disposals, &whole.lot_uses));
        assert_eq!(inc.events(), &events[..]);
        // the summary is the report without its rows
        let (mut rowless, summary) = (kept, inc.summary(&[]));
        rowless.disposals.clear();
        rowless.lot_uses.clear();
        rowless.transfers.matched.clear();
        rowless.open_lots.clear();
        assert_eq!(summary, rowless);
    }
    outcomes
}

#[test]
fn an_incremental_report_equals_the_whole_ledgers_after_every_piece() {
    let mut applied = 0;
    let mut recomputed: BTreeMap<String, usize> = BTreeMap::new();
    for seed in 1..=4 {
        let g = generate(seed, 240, seed % 2 == 0);
        for (k, base) in all_settings().into_iter().enumerate() {
            let mid = g.events[g.events.len() / 2].time;
            let windows =
                [Window::default(), Window { from: Some(mid), to: None }, Window { from: None, to: Some(mid) }];
            for window in windows {
                let settings = Settings { window, ..base.clone() };
                for outcome in feed_in_pieces(&g, &settings, seed * 100 + k as u64) {
                    match outcome {
                        Extension::Applied => applied += 1,
                        Extension::Recomputed(why) => *recomputed.entry(format!("{why:?}")).or_default() += 1,
                    }
                }
            }
        }
    }
    // the kept state is what answers, and each way back to the whole ledger was taken and checked
    let total_recomputed: usize = recomputed.values().sum();
    assert!(applied > 4 * total_recomputed, "applied {applied}, recomputed {recomputed:?}");
    assert!(recomputed.contains_key("UkPooling") && recomputed.contains_key("CompletesTransfer"), "{recomputed:?}");
}

#[test]
fn an_incremental_report_recomputes_for_an_earlier_event_changed_prices_and_a_hand_made_match() {
    let g = generate(7, 120, true);
    let (events, prices) = so_far(&g, 100);
    let rest = g.events[100..].to_vec();
    let check = |inc: &Incremental, events: &[Event], prices: &[PricePoint], settings: &Settings| {
        assert_eq!(inc.report(&[]), compute(events, prices, settings));
    };
    let settings = Settings::default();

    // an event earlier than the last one processed
    let mut inc = Incremental::new(events.clone(), &prices, settings.clone());
    let mut early = rest[0].clone();
    early.id = "early".into();
    early.time = events[50].time;
    assert_eq!(inc.extend(vec![early.clone()], &prices), Extension::Recomputed(Recomputed::Earlier));
    let mut all = events.clone();
    all.push(early);
    check(&inc, &all, &prices, &settings);

    // a price corrected before the last event: values already booked change
    let mut inc = Incremental::new(events.clone(), &prices, settings.clone());
    let mut corrected = prices.clone();
    corrected[10].price *= d("1.5");
    assert_eq!(inc.extend(rest.clone(), &corrected), Extension::Recomputed(Recomputed::Prices));
    check(&inc, &g.events, &corrected, &settings);
    // and a price after it is taken as it comes
    let mut inc = Incremental::new(events.clone(), &prices, settings.clone());
    assert_eq!(inc.extend(rest.clone(), &g.prices), Extension::Applied);
    check(&inc, &g.events, &g.prices, &settings);

    // a withdrawal matched by hand with a deposit that arrives later
    let w = events.iter().rposition(|e| matches!(e.kind, ledger::EventKind::Withdrawal { .. })).expect("a withdrawal");
    let w_id = events[w].id.clone();
    let account = if events[w].account.as_str() == ACCOUNTS[0] { ACCOUNTS[1] } else { ACCOUNTS[0] };
    let late = ledger::Timestamp::from_millis(g.events[119].time.millis() + 1);
    let ledger::EventKind::Withdrawal { asset, amount, .. } = &events[w].kind else { unreachable!() };
    let dep = deposit("late-in", late, account, &(*amount * d("0.5")).to_string(), asset, None);
    let settings = Settings { manual_matches: vec![(w_id, "late-in".into())], ..Settings::default() };
    let mut inc = Incremental::new(events.clone(), &prices, settings.clone());
    let mut more = rest.clone();
    more.push(dep);
    assert_eq!(inc.extend(more.clone(), &g.prices), Extension::Recomputed(Recomputed::ManualMatch));
    let mut all = events.clone();
    all.extend(more);
    check(&inc, &all, &g.prices, &settings);
    assert!(inc.report(&[]).transfers.matched.iter().any(|m| m.deposit == "late-in"));
}

#[test]
fn an_incremental_report_keeps_leg_marks_on_new_events() {
    let g = generate(3, 150, true);
    let marks: BTreeMap<String, pnl::LegMark> = g
        .events
        .iter()
        .filter(|e| matches!(e.kind, ledger::EventKind::Deposit { .. }))
        .step_by(2)
        .map(|e| (e.id.clone(), pnl::LegMark::Income))
        .collect();
    assert!(marks.len() > 3);
    let settings = Settings { leg_marks: marks.into_iter().collect(), ..Settings::default() };
    let outcomes = feed_in_pieces(&g, &settings, 5);
    assert!(outcomes.contains(&Extension::Applied));
}
