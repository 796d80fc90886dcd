//! The same ledger gives the same report natively and in wasm, bit for bit (ARCHITECTURE.md: the engine is pure).
//!
//! `scripts/test` runs the native test first, which records the digest of the report of a generated ledger in
//! `$CARGO_TARGET_TMPDIR/pnl-native-digest.txt`; it then builds the wasm test with that digest in
//! `PNL_NATIVE_DIGEST`, and the wasm test, run in headless Chromium, compares its own digest with it.

#[path = "../examples/gen/mod.rs"]
#[allow(dead_code)]
mod generator;

/// The digests of the default (FIFO) report and of the UK share pooling report, whose plan and settling use maps
/// of their own (docs/accounting.md §3a).
fn digest_of_generated_ledger() -> String {
    let (events, prices) = generator::generate(20_000);
    let report = pnl::compute(&events, &prices, &pnl::Settings::default());
    assert!(report.events >= 20_000, "the generated ledger is not empty");
    let uk = pnl::compute(&events, &prices, &pnl::Settings { method: pnl::Method::Uk, ..pnl::Settings::default() });
    format!("fifo {} uk {}", generator::digest(&report), generator::digest(&uk))
}

#[cfg(not(target_arch = "wasm32"))]
#[test]
fn native_digest_is_recorded_for_the_wasm_run() {
    let digest = digest_of_generated_ledger();
    assert_eq!(digest, digest_of_generated_ledger(), "two native runs differ");
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("pnl-native-digest.txt");
    std::fs::write(&path, &digest).expect("record the native digest");
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    #[wasm_bindgen_test]
    fn wasm_report_equals_the_native_report() {
        let native = option_env!("PNL_NATIVE_DIGEST").expect(
            "PNL_NATIVE_DIGEST is not set: run the wasm tests through scripts/test, which records the native digest first",
        );
        assert_eq!(super::digest_of_generated_ledger(), native, "wasm and native reports differ");
    }
}
