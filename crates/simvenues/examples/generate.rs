//! Measures generation and ground-truth time of one size: `cargo run --release -p simvenues --example
//! generate -- large`.

use std::time::Instant;

use simvenues::generator::{Size, World};

fn main() {
    let size: Size = std::env::args().nth(1).unwrap_or_else(|| "small".into()).parse().expect("size");
    let t = Instant::now();
    let w = World::generate(7, size, 1_780_000_000_000);
    let g = t.elapsed().as_secs_f64();
    let fills = w.fill_count();
    let t = Instant::now();
    let events = simvenues::truth::ledger(&w);
    let l = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut out = Vec::with_capacity(1 << 20);
    ledger::write_jsonl(&mut out, &events).expect("write");
    let s = t.elapsed().as_secs_f64();
    println!(
        "{size:?}: {fills} fills generated in {g:.2} s; {} ledger events in {l:.2} s; serialized {} MB in {s:.2} s",
        events.len(),
        out.len() >> 20
    );
}
