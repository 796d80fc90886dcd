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

#[wasm_bindgen_test]
async fn indexeddb_batches_round_trip() {
    use app::idb::{Idb, Write};
    let db = Idb::open("meetcrypt-test-kv").await.unwrap();
    db.apply(&[
        Write::Put("a/1".into(), vec![1, 2, 3]),
        Write::Put("a/2".into(), vec![]),
        Write::Put("b".into(), vec![9]),
    ])
    .await
    .unwrap();
    assert_eq!(db.get("a/1").await.unwrap(), Some(vec![1, 2, 3]));
    assert_eq!(db.get("a/2").await.unwrap(), Some(vec![]));
    assert_eq!(db.get("missing").await.unwrap(), None);
    assert_eq!(db.keys("a/").await.unwrap(), vec!["a/1".to_string(), "a/2".to_string()]);
    db.apply(&[Write::Delete("a/1".into()), Write::Put("a/2".into(), vec![7])]).await.unwrap();
    assert_eq!(db.get("a/1").await.unwrap(), None);
    assert_eq!(db.get("a/2").await.unwrap(), Some(vec![7]));
    // reopening sees the same data: it is persisted, not held in memory
    let again = Idb::open("meetcrypt-test-kv").await.unwrap();
    assert_eq!(again.get("b").await.unwrap(), Some(vec![9]));
}
