//! The benchmark's ledger generator, shared by the native and the wasm benchmark.

use ledger::{AccountId, Decimal, Event, EventKind, IncomeType, Money, PricePoint, Timestamp};

/// SplitMix64, written here rather than taken from a crate: the benchmark ledger it draws must stay the same
/// events from one version to the next (README "Performance" compares figures measured on it), whatever a
/// generator crate's next release does to its sequences.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const ASSETS: [&str; 5] = ["BTC", "ETH", "BNB", "SOL", "XRP"];
const START: i64 = 1_704_067_200_000; // 2024-01-01

pub fn generate(n: usize) -> (Vec<Event>, Vec<PricePoint>) {
    let mut rng = Rng(42);
    let accounts = [AccountId::new("binance", "main", "spot"), AccountId::new("bitget", "main", "spot")];
    let futures = AccountId::new("binance", "main", "usdm");
    let mut px: [i64; 5] = [3_000_000, 200_000, 30_000, 10_000, 50]; // cents
    let mut held = [[0i64; 5]; 2]; // in 1e-6 units
    let mut events = Vec::with_capacity(n);
    let mut prices = Vec::new();
    let minute = 60_000;
    for i in 0..n {
        let t = Timestamp::from_millis(START + i as i64 * minute);
        if i % 60 == 0 {
            for (k, p) in px.iter_mut().enumerate() {
                let step = rng.below(201) as i64 - 100; // +-1 %
                *p = (*p + *p * step / 10_000).max(1);
                prices.push(PricePoint {
                    time: t,
                    asset: ASSETS[k].into(),
                    quote: "USDT".into(),
                    price: Decimal::new(*p, 2),
                });
            }
        }
        let a = rng.below(2) as usize;
        let k = rng.below(5) as usize;
        let id = format!("e{i}");
        let kind = match rng.below(20) {
            0 => EventKind::Deposit { asset: "USDT".into(), amount: Decimal::new(100_000, 0), txid: None },
            1 => EventKind::Income {
                income_type: IncomeType::Funding,
                asset: "USDT".into(),
                amount: Decimal::new(rng.below(200) as i64 - 100, 2),
                symbol: Some("BTCUSDT".into()),
            },
            2..=11 => {
                let usd_cents = 1_000 + rng.below(100_000) as i64;
                let qty_micro = usd_cents * 1_000_000 / px[k];
                held[a][k] += qty_micro;
                EventKind::Trade {
                    spend: Money::new("USDT", Decimal::new(usd_cents, 2)),
                    receive: Money::new(ASSETS[k], Decimal::new(qty_micro, 6)),
                    fees: vec![Money::new("USDT", Decimal::new(usd_cents, 5))],
                    symbol: None,
                }
            }
            _ => {
                let qty_micro = held[a][k] * (1 + rng.below(50) as i64) / 100;
                if qty_micro == 0 {
                    events.push(Event {
                        id,
                        time: t,
                        account: futures.clone(),
                        kind: EventKind::Income {
                            income_type: IncomeType::Commission,
                            asset: "USDT".into(),
                            amount: Decimal::new(-1, 2),
                            symbol: None,
                        },
                    });
                    continue;
                }
                held[a][k] -= qty_micro;
                let usd_cents = qty_micro * px[k] / 1_000_000;
                EventKind::Trade {
                    spend: Money::new(ASSETS[k], Decimal::new(qty_micro, 6)),
                    receive: Money::new("USDT", Decimal::new(usd_cents, 2)),
                    fees: vec![Money::new("USDT", Decimal::new(usd_cents, 5))],
                    symbol: None,
                }
            }
        };
        events.push(Event { id, time: t, account: accounts[a].clone(), kind });
    }
    (events, prices)
}

/// FNV-1a 64 of the report's JSON and its disposals: equal digests mean equal reports.
pub fn digest(report: &pnl::Report) -> String {
    let json = serde_json::to_string(report).expect("report serializes");
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x100_0000_01b3);
        }
    };
    feed(json.as_bytes());
    for d in &report.disposals {
        feed(format!("{}|{}|{}|{}", d.event, d.amount, d.proceeds, d.cost).as_bytes());
    }
    format!("{h:016x}")
}
