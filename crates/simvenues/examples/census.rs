//! Counts ledger events by kind for a few seeds: `cargo run -p simvenues --example census -- small`.

use std::collections::BTreeMap;

use simvenues::generator::{Size, World};

fn main() {
    let size: Size = std::env::args().nth(1).unwrap_or_else(|| "small".into()).parse().expect("size");
    for seed in 1..=5 {
        let w = World::generate(seed, size, 1_780_000_000_000);
        let mut m = BTreeMap::<String, usize>::new();
        for e in simvenues::truth::ledger(&w) {
            let kind = e.id.split(':').nth(1).unwrap_or("").to_string();
            *m.entry(format!("{}:{kind}", e.account.venue())).or_default() += 1;
        }
        println!("seed {seed}: {m:?}");
    }
}
