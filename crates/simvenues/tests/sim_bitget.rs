//! The simulated Bitget rejects what Bitget rejects, in Bitget's envelope, and accepts the DERIVED signature
//! vectors of docs/venues.md §4.3.

use std::net::IpAddr;

use serde_json::json;
use simvenues::client::{bitget_get, bitget_headers, request};
use simvenues::generator::Size;
use simvenues::http::now_ms;
use simvenues::keys::{DemoKey, KeyType, Profile, Secret, Venue};
use simvenues::sandbox::{Sandbox, SandboxConfig};

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig { seed: 33, size: Size::Tiny, ..Default::default() }).await.unwrap()
}

fn key(sb: &Sandbox, label: &str) -> DemoKey {
    sb.key(Venue::Bitget, label).unwrap().clone()
}

/// The error envelope without its (time-dependent) requestTime.
fn envelope(v: &serde_json::Value) -> (serde_json::Value, serde_json::Value, serde_json::Value) {
    assert!(v["requestTime"].is_i64(), "{v}");
    (v["code"].clone(), v["msg"].clone(), v["data"].clone())
}

#[tokio::test]
async fn auth_errors_use_bitget_codes_and_envelope() {
    let sb = sandbox().await;
    let k = key(&sb, "main");
    let base = sb.bitget_url();
    let ok = bitget_get(base, &k, "/api/v2/spot/account/assets", "", None).await.unwrap();
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    assert_eq!(ok.json()["code"], json!("00000"));

    // bad signature
    let mut h = bitget_headers(&k, now_ms(), "GET", "/api/v2/spot/account/assets", "coin=USDT", "");
    let r = request(base, "GET", "/api/v2/spot/account/assets?coin=BTC", &h, b"", None).await.unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(envelope(&r.json()), (json!("40009"), json!("sign signature error"), json!(null)));
    // wrong passphrase
    h[3].1 = "not-the-passphrase".into();
    let r = request(base, "GET", "/api/v2/spot/account/assets?coin=USDT", &h, b"", None).await.unwrap();
    assert_eq!(envelope(&r.json()), (json!("40012"), json!("apikey/password is incorrect"), json!(null)));
    // stale timestamp (documented tolerance 30 s)
    let h = bitget_headers(&k, now_ms() - 31_000, "GET", "/api/v2/spot/account/assets", "", "");
    let r = request(base, "GET", "/api/v2/spot/account/assets", &h, b"", None).await.unwrap();
    assert_eq!(envelope(&r.json()), (json!("40008"), json!("Request timestamp expired"), json!(null)));
    // unknown key
    let mut forged = k.clone();
    forged.api_key = "bg_0000".into();
    let r = bitget_get(base, &forged, "/api/v2/spot/account/assets", "", None).await.unwrap();
    assert_eq!((r.status, envelope(&r.json())), (400, (json!("40006"), json!("Invalid ACCESS_KEY"), json!(null))));
    // missing headers
    let r = request(base, "GET", "/api/v2/spot/account/assets", &[], b"", None).await.unwrap();
    assert_eq!(r.json()["code"], json!("40001"));
}

#[tokio::test]
async fn ip_restricted_key_works_only_from_its_address() {
    let sb = sandbox().await;
    let office = key(&sb, "office");
    let r = bitget_get(sb.bitget_url(), &office, "/api/v2/spot/account/info", "", None).await.unwrap();
    assert_eq!(envelope(&r.json()), (json!("40018"), json!("Invalid IP"), json!(null)));
    let relay: IpAddr = "127.0.0.2".parse().unwrap();
    let r = bitget_get(sb.bitget_url(), &office, "/api/v2/spot/account/info", "", Some(relay)).await.unwrap();
    assert_eq!(r.status, 200);
    let data = &r.json()["data"];
    assert_eq!(data["ips"], json!("127.0.0.2"));
    let auth: Vec<String> = serde_json::from_value(data["authorities"].clone()).unwrap();
    assert!(!auth.is_empty() && auth.iter().all(|c| c.ends_with('r')), "{auth:?}");
}

#[tokio::test]
async fn account_modes_are_enforced() {
    let sb = sandbox().await;
    let unified = key(&sb, "unified");
    assert_eq!(unified.account_kind, "unified");
    let r = bitget_get(sb.bitget_url(), &unified, "/api/v2/spot/account/assets", "", None).await.unwrap();
    assert_eq!(
        envelope(&r.json()),
        (
            json!("40085"),
            json!("You are in Unified Account mode, and the Classic Account API is not supported at this time"),
            json!(null)
        )
    );
    let r = bitget_get(sb.bitget_url(), &unified, "/api/v3/account/assets", "", None).await.unwrap();
    assert_eq!(r.json()["code"], json!("00000"));
    let r = bitget_get(sb.bitget_url(), &unified, "/api/v3/account/info", "", None).await.unwrap();
    assert_eq!(r.json()["data"]["permType"], json!("read-only"));
    let classic = key(&sb, "main");
    let r = bitget_get(sb.bitget_url(), &classic, "/api/v3/account/assets", "", None).await.unwrap();
    assert_eq!(r.json()["code"], json!("40084"));
}

#[tokio::test]
async fn windows_and_required_parameters() {
    let sb = sandbox().await;
    let k = key(&sb, "main");
    let base = sb.bitget_url();
    let now = now_ms();
    let day = 86_400_000;
    let q = format!("endTime={now}&startTime={}&symbol=BTCUSDT", now - 91 * day);
    let r = bitget_get(base, &k, "/api/v2/spot/trade/fills", &q, None).await.unwrap();
    assert_eq!(
        (r.status, envelope(&r.json())),
        (400, (json!("00001"), json!("startTime and endTime interval cannot be greater than 90 days"), json!(null)))
    );
    let q = format!("endTime={now}&productType=USDT-FUTURES&startTime={}", now - 8 * day);
    let r = bitget_get(base, &k, "/api/v2/mix/order/fill-history", &q, None).await.unwrap();
    assert_eq!(r.json()["msg"], json!("startTime and endTime interval cannot be greater than 7 days"));
    let r = bitget_get(base, &k, "/api/v2/spot/wallet/deposit-records", "", None).await.unwrap();
    assert_eq!(envelope(&r.json()), (json!("40019"), json!("Parameter startTime cannot be empty"), json!(null)));
    let r = bitget_get(base, &k, "/api/v2/mix/account/accounts", "", None).await.unwrap();
    assert_eq!(r.json()["msg"], json!("Parameter productType cannot be empty"));
    let u = key(&sb, "unified");
    let r = bitget_get(base, &u, "/api/v3/account/financial-records", "", None).await.unwrap();
    assert_eq!(r.json()["msg"], json!("Parameter category cannot be empty"));
}

#[tokio::test]
async fn writes_are_refused_without_permission_and_always_logged() {
    let sb = sandbox().await;
    let body = r#"{"symbol":"BTCUSDT","side":"buy","orderType":"limit","force":"gtc","price":"23222.5","size":"1"}"#;
    let send = |k: DemoKey| {
        let base = sb.bitget_url().to_string();
        async move {
            let h = bitget_headers(&k, now_ms(), "POST", "/api/v2/spot/trade/place-order", "", body);
            request(&base, "POST", "/api/v2/spot/trade/place-order", &h, body.as_bytes(), None).await.unwrap()
        }
    };
    let r = send(key(&sb, "main")).await;
    assert_eq!(r.json()["code"], json!("40014"));
    assert!(r.json()["msg"].as_str().unwrap().starts_with("Incorrect permissions, need"));
    let r = send(key(&sb, "trader")).await;
    assert_eq!(r.json()["code"], json!("00000"));
    let b = sb.breaches();
    assert_eq!(b.len(), 2);
    assert!(b.iter().all(|x| x.venue == "bitget" && x.path == "/api/v2/spot/trade/place-order"));
    assert_eq!(b[0].answer, "400 40014");
    assert_eq!(b[1].answer, "200 00000");
}

#[tokio::test]
async fn per_uid_rate_limit_answers_429() {
    let sb = sandbox().await;
    let k = key(&sb, "main");
    // Of requests sent at once, all but the first in a second are refused. A burst that straddles a second boundary,
    // or that a slow machine does not deliver within one second, is sent again (only a hang runs out of time).
    let start = std::time::Instant::now();
    let limited = loop {
        let get = || bitget_get(sb.bitget_url(), &k, "/api/v2/spot/account/info", "", None);
        let (a, b, c) = tokio::join!(get(), get(), get());
        if let Some(r) = [a.unwrap(), b.unwrap(), c.unwrap()].into_iter().find(|r| r.status == 429) {
            break r;
        }
        assert!(start.elapsed().as_secs() < 120, "account/info allows 1 request per second per UID");
    };
    assert_eq!(limited.json()["code"], json!("429"));
}

const TEST_SECRET: &str = "TEST_SECRET_DO_NOT_USE_0123456789abcdef";
const TS: i64 = 1_659_076_670_000;

#[tokio::test]
async fn derived_signature_vectors_are_accepted() {
    let k = DemoKey {
        venue: Venue::Bitget,
        label: "main".into(),
        account_kind: "classic".into(),
        permissions: Profile::ReadOnly,
        api_key: "bg_vector_key".into(),
        secret: Secret::new(TEST_SECRET),
        passphrase: Secret::new("vector-pass"),
        ip_allow: vec![],
        key_type: KeyType::HmacSha256,
        public_key: String::new(),
    };
    let mut cfg = SandboxConfig { seed: 33, size: Size::Tiny, extra_keys: vec![k], ..Default::default() };
    cfg.bitget.fixed_clock_ms = Some(TS);
    let sb = Sandbox::start(cfg).await.unwrap();
    let hdr = |sign: &str| {
        vec![
            ("ACCESS-KEY".to_string(), "bg_vector_key".to_string()),
            ("ACCESS-SIGN".to_string(), sign.to_string()),
            ("ACCESS-TIMESTAMP".to_string(), TS.to_string()),
            ("ACCESS-PASSPHRASE".to_string(), "vector-pass".to_string()),
        ]
    };
    for (target, sign) in [
        ("/api/v2/spot/account/info", "nse8nja+rpZXc8S/dB3pYx1GyKboJCMQ+niikThMFEI="),
        ("/api/v2/spot/account/assets?coin=USDT", "CkUBSS3OU2LN2IUqB6Afqv6yJ+VTvOp00XH+jrHsw6g="),
        // sent unsorted, signed sorted (as CCXT does)
        (
            "/api/v2/spot/trade/fills?symbol=BTCUSDT&startTime=1659036670000&endTime=1659076670000&limit=100",
            "lqD85USRi6MDx8cFodwXFMUfKRBE0tX+KigAU5wHi+E=",
        ),
        (
            "/api/v2/mix/account/bill?businessType=contract_settle_fee&productType=USDT-FUTURES",
            "z0em4SGUTqe62HH/NGw+vKAekcfNuzsx9cLzdYza0Wk=",
        ),
    ] {
        let r = request(sb.bitget_url(), "GET", target, &hdr(sign), b"", None).await.unwrap();
        assert_eq!(r.json()["code"], json!("00000"), "{target}: {}", String::from_utf8_lossy(&r.body));
    }
    // a POST vector reaches the venue (a read-only key: refused with 40014, logged)
    let body = r#"{"symbol":"BTCUSDT","side":"buy","orderType":"limit","force":"gtc","price":"23222.5","size":"1"}"#;
    let r = request(
        sb.bitget_url(),
        "POST",
        "/api/v2/spot/trade/place-order",
        &hdr("CZne83ZUZA33JB6ZTGqKBLRYZMgUYNvW7azqXYIESOY="),
        body.as_bytes(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.json()["code"], json!("40014"), "the signature passed, the permission did not");
    assert_eq!(sb.breaches().len(), 1);
    // one changed character: 40009
    let r = request(
        sb.bitget_url(),
        "GET",
        "/api/v2/spot/account/assets?coin=USDC",
        &hdr("CkUBSS3OU2LN2IUqB6Afqv6yJ+VTvOp00XH+jrHsw6g="),
        b"",
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.json()["code"], json!("40009"));
    // the official doc's pre-hash example signs to the documented value with the made-up secret
    assert_eq!(
        simvenues::bitget::sign(TEST_SECRET, "16273667805456GET/api/mix/v2/market/depth?symbol=BTCUSDT&limit=20"),
        "CC15d4BPVBhFWgEnvtOXQt1YXptrfw5KKKkF1VPV//w="
    );
}

#[tokio::test]
async fn page_order_is_a_setting_and_cursors_stay_the_smallest_id() {
    let mut cfg = SandboxConfig { seed: 33, size: Size::Small, ..Default::default() };
    cfg.bitget.newest_first = false;
    let old_first = Sandbox::start(cfg).await.unwrap();
    let new_first = Sandbox::start(SandboxConfig { seed: 33, size: Size::Small, ..Default::default() }).await.unwrap();
    let now = now_ms();
    let q = format!("endTime={now}&limit=5&productType=USDT-FUTURES&startTime={}", now - 29 * 86_400_000);
    let a = bitget_get(old_first.bitget_url(), &key(&old_first, "main"), "/api/v2/mix/account/bill", &q, None)
        .await
        .unwrap()
        .json();
    let b = bitget_get(new_first.bitget_url(), &key(&new_first, "main"), "/api/v2/mix/account/bill", &q, None)
        .await
        .unwrap()
        .json();
    let ids = |v: &serde_json::Value| -> Vec<u64> {
        v["data"]["bills"].as_array().unwrap().iter().map(|x| x["billId"].as_str().unwrap().parse().unwrap()).collect()
    };
    let (ia, mut ib) = (ids(&a), ids(&b));
    assert_eq!(ia.len(), 5);
    assert!(ib.windows(2).all(|w| w[0] > w[1]), "newest first: {ib:?}");
    ib.reverse();
    assert_eq!(ia, ib, "the same rows, oldest first");
    let smallest = ia[0].to_string();
    assert_eq!(a["data"]["endId"], json!(smallest));
    assert_eq!(b["data"]["endId"], json!(smallest));
}

/// Convert history: classic `convert-record` (times required, 90 days, `endId` paging, `fromCoinSize` a JSON number
/// as documented, or a string), `bgb-convert-records` (times optional, a plain array paged by `orderId`, `ctime` or
/// `ts`), unified `convert-records` (both coins required, 30-day windows, `cursor`).
#[tokio::test]
async fn convert_records_page_and_check_their_windows() {
    for documented in [true, false] {
        let mut cfg = SandboxConfig { seed: 4, size: Size::Small, ..Default::default() };
        if !documented {
            cfg.bitget.convert_size_as_number = false;
            cfg.bitget.bgb_time_key = "ts".into();
        }
        let sb = Sandbox::start(cfg).await.unwrap();
        let (base, k, u) = (sb.bitget_url(), key(&sb, "main"), key(&sb, "unified"));
        let (now, day) = (now_ms(), 86_400_000);
        let get = |k: &DemoKey, path: &'static str, q: String| {
            let (base, k) = (base.to_string(), k.clone());
            async move { bitget_get(&base, &k, path, &q, None).await.unwrap().json() }
        };
        let v = get(&k, "/api/v2/convert/convert-record", String::new()).await;
        assert_eq!(v["msg"], json!("Parameter startTime cannot be empty"));
        let v = get(&k, "/api/v2/convert/convert-record", format!("endTime={now}&startTime={}", now - 91 * day)).await;
        assert_eq!(v["code"], json!("00001"));
        // page by endId, two at a time
        let mut ids = Vec::new();
        let mut cursor = String::new();
        loop {
            let q = format!("endTime={now}&limit=2&startTime={}{cursor}", now - 90 * day + 3_600_000);
            let v = get(&k, "/api/v2/convert/convert-record", q).await;
            let list = v["data"]["dataList"].as_array().unwrap().clone();
            for row in &list {
                assert_eq!(row["fromCoinSize"].is_number(), documented, "{row}");
                ids.push(row["id"].as_str().unwrap().to_string());
            }
            if list.len() < 2 {
                break;
            }
            cursor = format!("&idLessThan={}", v["data"]["endId"].as_str().unwrap());
        }
        let world = sb.world().bitget_account("main").unwrap();
        assert!(world.converts.len() >= 3, "{}", world.converts.len());
        assert_eq!(ids.len(), world.converts.len());
        // BGB conversions: no times needed, no endId, paged by orderId
        let v = get(&k, "/api/v2/convert/bgb-convert-records", String::new()).await;
        let rows = v["data"].as_array().unwrap();
        assert_eq!(rows.len(), world.bgb_converts.len().min(20));
        let time_key = if documented { "ctime" } else { "ts" };
        assert!(rows.iter().all(|r| r[time_key].is_string() && r["feeDetail"][0]["feeCoin"] == json!("BGB")));
        let v =
            get(&k, "/api/v2/convert/bgb-convert-records", format!("endTime={now}&startTime={}", now - 91 * day)).await;
        assert_eq!(v["code"], json!("00001"));
        // unified: both coins required, 30 days per query, classic keys refused
        let v = get(&u, "/api/v3/account/convert-records", "toCoin=BTC".into()).await;
        assert_eq!(v["msg"], json!("Parameter fromCoin cannot be empty"));
        let q = format!("endTime={now}&fromCoin=USDT&startTime={}&toCoin=BTC", now - 31 * day);
        assert_eq!(get(&u, "/api/v3/account/convert-records", q).await["code"], json!("00001"));
        assert_eq!(
            get(&k, "/api/v3/account/convert-records", "fromCoin=USDT&toCoin=BTC".into()).await["code"],
            json!("40084")
        );
        let uw = sb.world().bitget_account("unified").unwrap();
        let mut seen = 0;
        for (from, to) in [("USDT", "BTC"), ("BTC", "USDT"), ("USDT", "ETH"), ("ETH", "USDT")] {
            for w in 0..3 {
                let (s, e) = (
                    now - 90 * day + 3_600_000 + w * 30 * day,
                    (now - 90 * day + 3_600_000 + (w + 1) * 30 * day - 1).min(now),
                );
                let q = format!("endTime={e}&fromCoin={from}&limit=100&startTime={s}&toCoin={to}");
                let v = get(&u, "/api/v3/account/convert-records", q).await;
                let list = v["data"]["list"].as_array().unwrap();
                assert!(list.iter().all(|r| r["fromCoin"] == json!(from) && r.get("id").is_none()));
                seen += list.len();
            }
        }
        assert!(seen > 0 && seen == uw.converts.len(), "{seen} of {}", uw.converts.len());
    }
}

/// The copy-trading reads (docs/venues.md §2.11) in the pages' shapes: the follower's closed copied orders for the
/// follower's key (`trackingList` rows with `netProfit`, `endId` the smallest `trackingNo` of the page), none for a
/// regular key; `productType` is required; the trader's profit shares as `profitList` rows in lower-case coins.
#[tokio::test]
async fn copy_trading_reads_follow_the_documented_shapes() {
    let sb = Sandbox::start(SandboxConfig { seed: 34, size: Size::Small, ..Default::default() }).await.unwrap();
    let base = sb.bitget_url();
    let (follower, main, leader) = (key(&sb, "follower"), key(&sb, "main"), key(&sb, "leader"));
    assert_eq!(follower.account_kind, "copy-trading");
    let path = "/api/v2/copy/mix-follower/query-history-orders";
    let r = bitget_get(base, &follower, path, "productType=USDT-FUTURES&limit=2", None).await.unwrap();
    let data = &r.json()["data"];
    let rows = data["trackingList"].as_array().unwrap_or_else(|| panic!("{data}"));
    assert_eq!(rows.len(), 2, "{data}");
    for field in ["trackingNo", "posSide", "openSize", "closeSize", "openPriceAvg", "closePriceAvg", "achievedPL"] {
        assert!(rows[0][field].is_string(), "{field}: {}", rows[0]);
    }
    assert!(rows.iter().all(|o| o["netProfit"].is_string() && o["openFee"].as_str().unwrap().starts_with('-')));
    let smallest = rows.iter().map(|o| o["trackingNo"].as_str().unwrap().parse::<u64>().unwrap()).min().unwrap();
    assert_eq!(data["endId"].as_str(), Some(smallest.to_string().as_str()));
    let r = bitget_get(base, &main, path, "productType=USDT-FUTURES", None).await.unwrap();
    assert_eq!(r.json()["data"]["trackingList"], json!([]), "a regular account copies nothing");
    let r = bitget_get(base, &follower, path, "", None).await.unwrap();
    assert_ne!(r.json()["code"], json!("00000"), "productType is required");
    let r = bitget_get(base, &leader, "/api/v2/copy/mix-trader/profit-history-details", "", None).await.unwrap();
    let shares = r.json()["data"]["profitList"].as_array().cloned().unwrap_or_default();
    assert!(!shares.is_empty() && shares.iter().all(|p| p["coin"] == json!("usdt")), "{shares:?}");
}
