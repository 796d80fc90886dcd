//! What the app's browser tests share (`mod common;` in each file): a container of the test's own on the page,
//! querying and clicking by test id, typing into an input, waiting for the page to reach a state, a fresh vault.
#![allow(dead_code)]

use app::session;
use wasm_bindgen::JsCast;

/// The test passphrase of [`fresh_vault`].
pub const PASS: &str = "correct horse battery staple";

/// Milliseconds since the epoch, from the browser's clock.
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// A container of the test's own on the page (the tests of a file share one page).
pub fn own_container() -> web_sys::HtmlElement {
    let doc = web_sys::window().unwrap().document().unwrap();
    let div: web_sys::HtmlElement = doc.create_element("div").unwrap().dyn_into().unwrap();
    doc.body().unwrap().append_child(&div).unwrap();
    div
}

/// The elements under `root` that `sel` selects (querySelectorAll through js-sys: the app's web-sys build has no
/// `NodeList` feature).
pub fn all(root: &web_sys::HtmlElement, sel: &str) -> Vec<web_sys::Element> {
    let qsa: js_sys::Function = js_sys::Reflect::get(root, &"querySelectorAll".into()).unwrap().into();
    let list = qsa.call1(root, &sel.into()).unwrap();
    js_sys::Array::from(&list).iter().map(|e| e.dyn_into::<web_sys::Element>().unwrap()).collect()
}

/// The element with `data-testid` `testid` under `root`; panics when there is none.
pub fn by_testid<T: JsCast>(root: &web_sys::HtmlElement, testid: &str) -> T {
    let el = root.query_selector(&format!("[data-testid='{testid}']")).unwrap();
    el.unwrap_or_else(|| panic!("no {testid} in {}", root.inner_html())).dyn_into().unwrap()
}

/// Clicks the element with `data-testid` `testid`.
pub fn click(root: &web_sys::HtmlElement, testid: &str) {
    by_testid::<web_sys::HtmlElement>(root, testid).click();
}

/// Types `value` into the input with `data-testid` `testid`, as a user's keystrokes end (an `input` event).
pub fn set_input(root: &web_sys::HtmlElement, testid: &str, value: &str) {
    let el: web_sys::HtmlInputElement = by_testid(root, testid);
    el.set_value(value);
    el.dispatch_event(&web_sys::Event::new("input").unwrap()).unwrap();
}

/// Lets the page run, a turn of the event loop at a time, until `done` holds. Two minutes without it is a hang,
/// not a slow machine: no step of these tests comes near.
pub async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let start = now_ms();
    while !done() {
        assert!(now_ms() - start < 120_000, "never happened: {what}");
        app::next_tick().await;
    }
}

/// A fresh vault of the test's own (a database no other test uses, named after `file` and `name`), unlocked with
/// [`PASS`]; returns the database's name.
pub async fn fresh_vault(file: &str, name: &str) -> String {
    let db = format!("meetcrypt-test-{file}-{name}-{}", now_ms());
    assert_eq!(session::load(&db).await.unwrap(), session::Start::FirstRun);
    session::create(&vault::Passphrase::new(PASS)).await.unwrap();
    db
}

/// Stores one regular Binance account under credential id `cred` as the only account (its ledger chunks are then
/// `ledger-{cred}-{n}`).
pub fn one_binance_account(cred: &str) {
    let meta = app::records::AccountMeta {
        credential: cred.into(),
        venue: catalogue::Venue::Binance,
        label: "main".into(),
        account_kind: vault::AccountKind::Regular,
        mode: venues::AccountMode::Binance,
        ip_restricted: true,
        warnings: vec![],
        added_ms: 0,
        last_sync: None,
    };
    app::records::set_accounts(&[(cred.to_string(), meta)].into_iter().collect()).unwrap();
}
