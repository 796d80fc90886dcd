//! The benchmark in wasm: `prepare(n)` generates the ledger, `run()` recomputes it (FIFO) and `digest()` returns the
//! report's digest, so that JavaScript can time `run` alone and compare the digest with the native benchmark's.
//!
//! ```sh
//! cargo build --release --target wasm32-unknown-unknown -p pnl --example wasm_bench
//! wasm-bindgen --target nodejs --out-dir /tmp/wasm-bench target/wasm32-unknown-unknown/release/examples/wasm_bench.wasm
//! node crates/pnl/examples/wasm_bench.js /tmp/wasm-bench 1000000
//! ```
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code, unused_imports))]

#[path = "gen/mod.rs"]
mod generator;

#[cfg(target_arch = "wasm32")]
mod exports {
    use std::cell::RefCell;

    use ledger::{Event, PricePoint};
    use wasm_bindgen::prelude::*;

    thread_local! {
        static INPUT: RefCell<(Vec<Event>, Vec<PricePoint>)> = const { RefCell::new((Vec::new(), Vec::new())) };
        static REPORT: RefCell<Option<pnl::Report>> = const { RefCell::new(None) };
    }

    /// Generates `n` events and keeps them for `run`.
    #[wasm_bindgen]
    pub fn prepare(n: usize) -> usize {
        let input = super::generator::generate(n);
        let len = input.0.len();
        INPUT.with(|i| *i.borrow_mut() = input);
        len
    }

    /// Recomputes the prepared ledger with the default settings (FIFO); returns the number of disposals.
    #[wasm_bindgen]
    pub fn run() -> usize {
        let report = INPUT.with(|i| {
            let (events, prices) = &*i.borrow();
            pnl::compute(events, prices, &pnl::Settings::default())
        });
        let n = report.disposals.len();
        REPORT.with(|r| *r.borrow_mut() = Some(report));
        n
    }

    /// The digest of the last report (same as the native benchmark's for the same N).
    #[wasm_bindgen]
    pub fn digest() -> String {
        REPORT.with(|r| r.borrow().as_ref().map(super::generator::digest).unwrap_or_default())
    }
}
