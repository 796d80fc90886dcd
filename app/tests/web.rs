//! Component tests in a real browser (headless Chromium): `cargo test --target wasm32-unknown-unknown -p app`.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn app_mounts_and_renders_the_shell() {
    leptos::mount::mount_to_body(app::App);
    leptos::task::tick().await;
    let doc = web_sys::window().unwrap().document().unwrap();
    let shell = doc.query_selector("[data-testid='app']").unwrap().expect("the app rendered its shell");
    assert!(shell.text_content().unwrap().contains("Meetcrypt"));
}
