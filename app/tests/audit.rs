//! The audit log in a real browser (headless Chromium): sealed chunks, retention, the migration of the single
//! record of earlier versions, the CSV, the filters and the screen (docs/app-storage.md, "The audit log").
//! `cargo test --release --target wasm32-unknown-unknown -p app --test audit -- --nocapture`
#![cfg(target_arch = "wasm32")]

mod common;

use app::audit::{self, CHUNK, Filter, HARD_BOUND, KEEP_MS, KEEP_NEWEST, Outcome};
use app::relay::AuditEntry;
use app::session;
use vault::{Passphrase, RecordKind};
use wasm_bindgen_test::*;

use common::{PASS, click, fresh_vault, own_container, until};

wasm_bindgen_test_configure!(run_in_browser);

const DAY: i64 = 86_400_000;

fn now() -> i64 {
    js_sys::Date::now() as i64
}

/// The same vault as storage holds it: loaded again and unlocked (what a reload of the page does).
async fn reload(db: &str) {
    assert_eq!(session::load(db).await.unwrap(), session::Start::Locked);
    session::unlock(&Passphrase::new(PASS), app::now()).unwrap();
}

fn entry(i: usize, time_ms: i64) -> AuditEntry {
    AuditEntry {
        time_ms,
        venue: if i.is_multiple_of(2) { "binance".into() } else { "bitget".into() },
        endpoint: format!("GET /api/v3/request{i}"),
        status: 200,
        relay: "this site".into(),
        account: format!("acct{}", i % 3),
        outcome: Some(Outcome::Ok),
        error: None,
    }
}

fn entries(range: std::ops::Range<usize>, time_ms: i64) -> Vec<AuditEntry> {
    range.map(|i| entry(i, time_ms)).collect()
}

/// The IndexedDB keys of the pending writes (taken: they are not persisted).
fn pending_keys() -> Vec<String> {
    session::with(|s| s.vault().unwrap().store_mut().take_writes())
        .unwrap()
        .into_iter()
        .map(|w| match w {
            vault::Write::Put { key, .. } | vault::Write::Delete { key } => key,
        })
        .collect()
}

#[wasm_bindgen_test]
async fn an_append_seals_only_the_newest_chunk() {
    let db = fresh_vault("audit", "chunks").await;
    let t = now();
    session::transact(|| audit::append(entries(0..2 * CHUNK + 500, t))).await.unwrap();
    assert_eq!(audit::chunk_numbers().unwrap(), vec![0, 1, 2]);
    // three more: only chunk 2 is written (and no other record)
    audit::append(entries(2 * CHUNK + 500..2 * CHUNK + 503, t)).unwrap();
    assert_eq!(pending_keys(), vec!["record.audit-log.audit-00000002".to_string()]);
    reload(&db).await;
    // filling chunk 2 and starting chunk 3 writes those two
    session::transact(|| audit::append(entries(2 * CHUNK + 500..3 * CHUNK + 10, t))).await.unwrap();
    reload(&db).await;
    assert_eq!(audit::chunk_numbers().unwrap(), vec![0, 1, 2, 3]);
    let all = audit::all().unwrap();
    assert_eq!(all.len(), 3 * CHUNK + 10);
    assert!(all.iter().enumerate().all(|(i, e)| e.endpoint == format!("GET /api/v3/request{i}")), "in order, once");
    audit::append(entries(3 * CHUNK + 10..3 * CHUNK + 11, t)).unwrap();
    assert_eq!(pending_keys(), vec!["record.audit-log.audit-00000003".to_string()]);
}

#[wasm_bindgen_test]
async fn retention_keeps_a_year_or_the_newest_100k_up_to_the_hard_bound() {
    let _db = fresh_vault("audit", "retention").await;
    let t = now();
    // 102,000 entries two years old, then one now: all but the newest 100,000 (in whole chunks) go
    session::transact(|| audit::append_at(entries(0..KEEP_NEWEST + 2 * CHUNK, t - 730 * DAY), t)).await.unwrap();
    session::transact(|| audit::append_at(vec![entry(usize::MAX - 1, t)], t)).await.unwrap();
    let kept = audit::all().unwrap();
    assert_eq!(kept.len(), KEEP_NEWEST + 1);
    assert_eq!(kept[0].endpoint, format!("GET /api/v3/request{}", 2 * CHUNK), "the oldest two chunks went");
    // a young log beyond 100,000 keeps everything: the year holds
    let _db = fresh_vault("audit", "retention-young").await;
    session::transact(|| audit::append_at(entries(0..KEEP_NEWEST + 2 * CHUNK, t - 300 * DAY), t)).await.unwrap();
    session::transact(|| audit::append_at(vec![entry(7, t)], t)).await.unwrap();
    assert_eq!(audit::all().unwrap().len(), KEEP_NEWEST + 2 * CHUNK + 1);
    // the same log a bit over a year later: the old part beyond the newest 100,000 goes
    session::transact(|| audit::append_at(vec![entry(8, t + KEEP_MS)], t + KEEP_MS)).await.unwrap();
    assert_eq!(audit::all().unwrap().len(), KEEP_NEWEST + 2);
}

#[wasm_bindgen_test]
async fn the_hard_bound_holds_for_a_very_active_user() {
    let _db = fresh_vault("audit", "bound").await;
    let t = now();
    let started = now();
    session::transact(|| audit::append_at(entries(0..HARD_BOUND + CHUNK + 5, t), t)).await.unwrap();
    let elapsed = now() - started;
    let kept = audit::all().unwrap();
    assert!(kept.len() <= HARD_BOUND, "{} entries stored", kept.len());
    assert_eq!(kept.len(), HARD_BOUND - CHUNK + 5, "whole chunks go from the oldest end");
    assert_eq!(kept.last().unwrap().endpoint, format!("GET /api/v3/request{}", HARD_BOUND + CHUNK + 4));
    // the stored size, for docs/app-storage.md
    let bytes: usize = session::with(|s| {
        s.vault().unwrap().store().objects().iter().filter(|(k, _)| k.contains("audit-log")).map(|(_, v)| v.len()).sum()
    })
    .unwrap();
    console_log!(
        "audit log at the hard bound: {} entries in {} sealed bytes ({} per entry); appended in {elapsed} ms",
        kept.len(),
        bytes,
        bytes / kept.len()
    );
}

#[wasm_bindgen_test]
async fn an_old_single_record_log_migrates_once_even_when_interrupted() {
    let db = fresh_vault("audit", "migrate").await;
    let t = now();
    // the single record of earlier versions: entries without account, outcome or error
    let old: Vec<serde_json::Value> = (0..2 * CHUNK + 300)
        .map(|i| {
            serde_json::json!({ "time_ms": t - 1000 + i as i64, "venue": "binance", "endpoint": format!("GET /old/{i}"),
                "status": if i == 5 { 0 } else if i == 6 { 400 } else { 200 }, "relay": "this site" })
        })
        .collect();
    session::transact(|| app::records::write(RecordKind::AuditLog, "audit", &old)).await.unwrap();
    // interrupted: the migration ran in memory, the tab closed before the commit
    assert_eq!(audit::migrate().unwrap(), old.len());
    reload(&db).await;
    assert!(audit::chunk_numbers().unwrap().is_empty(), "no chunk landed");
    assert!(app::records::read_plain(RecordKind::AuditLog, "audit").unwrap().is_some(), "the old record is whole");
    // at the next open it runs whole
    assert_eq!(session::transact(audit::migrate).await.unwrap(), old.len());
    reload(&db).await;
    assert!(app::records::read_plain(RecordKind::AuditLog, "audit").unwrap().is_none(), "the old record went");
    let all = audit::all().unwrap();
    assert_eq!(all.len(), old.len(), "nothing lost, nothing twice");
    assert!(all.iter().enumerate().all(|(i, e)| e.endpoint == format!("GET /old/{i}")));
    assert_eq!(audit::outcome_of(&all[5]), Outcome::Network);
    assert_eq!(audit::outcome_of(&all[6]), Outcome::Venue);
    assert_eq!(audit::outcome_of(&all[7]), Outcome::Ok);
    assert_eq!(session::transact(audit::migrate).await.unwrap(), 0, "nothing left to move");
    // a tab of the earlier version wrote its record again: its entries follow the chunks
    let newer = vec![serde_json::json!({ "time_ms": t, "venue": "bitget", "endpoint": "GET /newer", "status": 200,
        "relay": "this site" })];
    session::transact(|| app::records::write(RecordKind::AuditLog, "audit", &newer)).await.unwrap();
    session::transact(|| audit::append(vec![entry(1, t + 1)])).await.unwrap();
    let all = audit::all().unwrap();
    assert_eq!(all.len(), old.len() + 2);
    assert_eq!(all[old.len()].endpoint, "GET /newer");
    assert_eq!(all[old.len() + 1].endpoint, "GET /api/v3/request1");
}

fn sample() -> Vec<AuditEntry> {
    let mut v = vec![entry(0, 1_733_400_000_000), entry(1, 1_733_400_001_000), entry(2, 1_733_400_002_500)];
    v[1].status = 400;
    v[1].outcome = Some(Outcome::Venue);
    v[1].error = Some("HTTP 400, code 40009: sign signature error, \"bad\"".into());
    v[2].account = String::new();
    v[2].status = 0;
    v[2].outcome = Some(Outcome::Network);
    v[2].error = Some("relay unreachable: TypeError".into());
    v
}

#[wasm_bindgen_test]
async fn the_csv_has_one_row_per_entry_in_utc_with_names() {
    let names = app::records::AccountNames::default();
    let csv = audit::csv(&sample(), &names);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines,
        vec![
            "time_utc,account,venue,request,status,outcome,error,relay",
            "2024-12-05T12:00:00Z,removed account,Binance,GET /api/v3/request0,200,ok,,this site",
            "2024-12-05T12:00:01Z,removed account,Bitget,GET /api/v3/request1,400,venue error,\"HTTP 400, code 40009: sign \
             signature error, \"\"bad\"\"\",this site",
            "2024-12-05T12:00:02.500Z,public data (no key),Binance,GET /api/v3/request2,,network,relay unreachable: \
             TypeError,this site",
        ]
    );
}

#[wasm_bindgen_test]
async fn filters_by_account_venue_and_outcome() {
    let all = sample();
    let pick = |f: Filter| all.iter().filter(|e| f.matches(e)).map(|e| e.endpoint.clone()).collect::<Vec<_>>();
    assert_eq!(pick(Filter::default()).len(), 3);
    assert_eq!(pick(Filter { venue: Some("bitget".into()), ..Filter::default() }), vec!["GET /api/v3/request1"]);
    assert_eq!(pick(Filter { account: Some(String::new()), ..Filter::default() }), vec!["GET /api/v3/request2"]);
    assert_eq!(pick(Filter { outcome: Some(Outcome::Venue), ..Filter::default() }), vec!["GET /api/v3/request1"]);
    assert_eq!(
        pick(Filter { venue: Some("binance".into()), outcome: Some(Outcome::Ok), ..Filter::default() }),
        vec!["GET /api/v3/request0"]
    );
    assert!(pick(Filter { venue: Some("bitget".into()), outcome: Some(Outcome::Ok), ..Filter::default() }).is_empty());
}

fn request(venue: catalogue::Venue) -> venues::Request {
    let endpoint = match venue {
        catalogue::Venue::Binance => &catalogue::BINANCE_ACCOUNT,
        catalogue::Venue::Bitget => &catalogue::BITGET_SPOT_ASSETS,
    };
    venues::Request {
        endpoint,
        query: "timestamp=1733400000000&signature=0123456789abcdef0123".into(),
        body: String::new(),
        headers: vec![("X-MBX-APIKEY", venues::Secret::new("the-api-key-1234"))],
    }
}

fn answer(status: u16, body: &str) -> Result<venues::Response, venues::TransportError> {
    Ok(venues::Response { status, headers: Vec::new(), body: body.as_bytes().to_vec() })
}

#[wasm_bindgen_test]
async fn outcomes_tell_the_venue_the_relay_and_the_network_apart() {
    use catalogue::Venue::{Binance, Bitget};
    assert_eq!(audit::classify(&request(Binance), &answer(200, "{}")), (Outcome::Ok, None));
    let (o, e) = audit::classify(
        &request(Binance),
        &answer(400, r#"{"code":-1022,"msg":"Signature 0123456789abcdef0123 for key the-api-key-1234 is not valid."}"#),
    );
    assert_eq!(o, Outcome::Venue);
    let e = e.unwrap();
    assert!(e.starts_with("HTTP 400, code -1022: Signature"), "{e}");
    assert!(!e.contains("0123456789abcdef0123") && !e.contains("the-api-key-1234"), "{e}");
    let (o, e) = audit::classify(&request(Bitget), &answer(200, r#"{"code":"40009","msg":"sign signature error"}"#));
    assert_eq!((o, e.as_deref()), (Outcome::Venue, Some("HTTP 200, code 40009: sign signature error")));
    let ok = r#"{"code":"00000","msg":"success","data":[]}"#;
    assert_eq!(audit::classify(&request(Bitget), &answer(200, ok)), (Outcome::Ok, None));
    let refused = r#"{"code":-1020,"msg":"relay not_allowed: no","source":"relay","relay_reason":"not_allowed"}"#;
    let (o, e) = audit::classify(&request(Binance), &answer(404, refused));
    assert_eq!((o, e.as_deref()), (Outcome::Relay, Some("HTTP 404, not_allowed: relay not_allowed: no")));
    let (o, e) =
        audit::classify(&request(Binance), &Err(venues::TransportError("relay unreachable: TypeError".into())));
    assert_eq!((o, e.as_deref()), (Outcome::Network, Some("relay unreachable: TypeError")));
}

fn attr(root: &web_sys::HtmlElement, testid: &str, name: &str) -> Option<String> {
    root.query_selector(&format!("[data-testid='{testid}']")).unwrap().and_then(|e| e.get_attribute(name))
}

fn rows(root: &web_sys::HtmlElement) -> Vec<String> {
    let mut out = Vec::new();
    let mut row = root.query_selector("[data-testid='audit-row']").unwrap();
    while let Some(r) = row {
        out.push(r.text_content().unwrap());
        row = r.next_element_sibling();
    }
    out
}

fn choose(root: &web_sys::HtmlElement, testid: &str, value: &str) {
    let select = root.query_selector(&format!("[data-testid='{testid}']")).unwrap().unwrap();
    js_sys::Reflect::set(&select, &"value".into(), &value.into()).unwrap();
    select.dispatch_event(&web_sys::Event::new("change").unwrap()).unwrap();
}

#[wasm_bindgen_test]
async fn the_screen_pages_newest_first_and_filters() {
    let _db = fresh_vault("audit", "screen").await;
    let t = now();
    // 130 entries, one a second; every tenth a venue error
    let log: Vec<AuditEntry> = (0..130)
        .map(|i| {
            let mut e = entry(i, t - 1_000_000 + i as i64 * 1000);
            if i % 10 == 0 {
                e.status = 401;
                e.outcome = Some(Outcome::Venue);
                e.error = Some("HTTP 401, code -2015: Invalid API-key".into());
            }
            e
        })
        .collect();
    session::transact(|| audit::append(log)).await.unwrap();
    let root = own_container();
    let mounted = leptos::mount::mount_to(root.clone(), app::ui::audit::AuditScreen);
    until("the log to be read", || attr(&root, "audit-count", "data-loaded").as_deref() == Some("true")).await;
    assert_eq!(attr(&root, "audit-count", "data-count").as_deref(), Some("130"));
    let page = rows(&root);
    assert_eq!(page.len(), app::ui::audit::PAGE, "one page in the DOM, never the whole log");
    assert!(page[0].contains("GET /api/v3/request129") && page[49].contains("GET /api/v3/request80"), "newest first");
    assert_eq!(attr(&root, "audit-older", "disabled"), None);
    click(&root, "audit-older");
    until("the second page", || rows(&root).first().is_some_and(|r| r.contains("GET /api/v3/request79"))).await;
    assert_eq!(rows(&root).len(), app::ui::audit::PAGE);
    click(&root, "audit-older");
    until("the last page", || rows(&root).len() == 30).await;
    assert!(rows(&root)[29].contains("GET /api/v3/request0"), "the oldest last");
    // a filter goes back to the first page of what matches
    choose(&root, "audit-outcome", "venue");
    until("the filter", || rows(&root).len() == 13).await;
    assert_eq!(attr(&root, "audit-count", "data-count").as_deref(), Some("13"));
    let page = rows(&root);
    assert_eq!(page.len(), 13);
    assert!(page.iter().all(|r| r.contains("venue error") && r.contains("Invalid API-key")), "{page:?}");
    choose(&root, "audit-venue", "bitget");
    until("the filter", || rows(&root).is_empty()).await;
    assert_eq!(attr(&root, "audit-count", "data-count").as_deref(), Some("0"), "every tenth is a Binance one");
    choose(&root, "audit-outcome", "*");
    choose(&root, "audit-account", "acct1");
    until("the filters", || rows(&root).len() == 22).await;
    // acct1: i % 3 == 1, bitget: i odd -> i % 6 == 1: 1, 7, ..., 127
    assert_eq!(attr(&root, "audit-count", "data-count").as_deref(), Some("22"));
    drop(mounted);
    root.remove();
}

/// The unlock form keeps no copy of what was typed: after a wrong passphrase the field is empty, and the page
/// (its DOM, its attributes) holds the text nowhere.
#[wasm_bindgen_test]
async fn a_failed_unlock_leaves_the_field_empty() {
    use wasm_bindgen::JsCast;
    let db = fresh_vault("audit", "unlock").await;
    assert_eq!(session::load(&db).await.unwrap(), session::Start::Locked);
    let root = own_container();
    let (_, set_phase) = leptos::prelude::signal(app::Phase::Locked);
    let mounted = leptos::mount::mount_to(root.clone(), move || leptos::view! { <app::ui::gate::Unlock set_phase /> });
    leptos::task::tick().await;
    let typed = "wrong horse battery staple, 42 times";
    let input: web_sys::HtmlInputElement =
        root.query_selector("[data-testid='passphrase']").unwrap().unwrap().dyn_into().unwrap();
    input.set_value(typed);
    input.dispatch_event(&web_sys::Event::new("input").unwrap()).unwrap();
    click(&root, "unlock");
    until("the refusal", || {
        root.query_selector("[data-testid='unlock-error']")
            .unwrap()
            .and_then(|e| e.text_content())
            .is_some_and(|t| t.starts_with("wrong passphrase"))
    })
    .await;
    assert_eq!(input.value(), "", "the field is emptied");
    leptos::task::tick().await;
    assert_eq!(input.value(), "", "and stays empty: no signal puts the text back");
    assert!(!root.outer_html().contains(typed), "the page holds no copy");
    assert!(!session::with(|s| s.is_unlocked()).unwrap());
    drop(mounted);
    root.remove();
}
