//! The simulated Binance rejects what Binance rejects, with Binance's bodies and statuses, and accepts the
//! documented signature examples (docs/venues.md §1.3, §4).

use std::net::IpAddr;

use serde_json::json;
use simvenues::client::{binance_get, binance_signed_query, request};
use simvenues::generator::Size;
use simvenues::http::now_ms;
use simvenues::keys::{DemoKey, KeyType, Profile, Secret, Venue};
use simvenues::sandbox::{Sandbox, SandboxConfig};

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig { seed: 21, size: Size::Tiny, ..Default::default() }).await.unwrap()
}

fn key(sb: &Sandbox, label: &str) -> DemoKey {
    sb.keys()
        .iter()
        .find(|k| k.venue == Venue::Binance && k.label == label && k.key_type == KeyType::HmacSha256)
        .unwrap()
        .clone()
}

async fn get_raw(
    base: &str,
    api_key: &str,
    path_and_query: &str,
    local: Option<IpAddr>,
) -> simvenues::client::HttpResponse {
    request(base, "GET", path_and_query, &[("X-MBX-APIKEY".into(), api_key.into())], b"", local).await.unwrap()
}

#[tokio::test]
async fn bad_signature_is_1022_with_http_400() {
    let sb = sandbox().await;
    let k = key(&sb, "main");
    // a wide recvWindow: the three requests below need not arrive within 5 s of the signing
    let q = binance_signed_query(&k, "recvWindow=59000", now_ms());
    let tampered = q.replace("recvWindow=59000", "recvWindow=59001");
    let r = get_raw(sb.binance_spot_url(), &k.api_key, &format!("/api/v3/account?{tampered}"), None).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json(), json!({"code": -1022, "msg": "Signature for this request is not valid."}));
    // the genuine one passes, and so does the same signature in upper case
    let ok = get_raw(sb.binance_spot_url(), &k.api_key, &format!("/api/v3/account?{q}"), None).await;
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    let (payload, sig) = q.rsplit_once("&signature=").unwrap();
    let upper = format!("{payload}&signature={}", sig.to_ascii_uppercase());
    let ok = get_raw(sb.binance_spot_url(), &k.api_key, &format!("/api/v3/account?{upper}"), None).await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn timestamps_outside_the_window_are_1021() {
    let sb = sandbox().await;
    let k = key(&sb, "main");
    let stale = binance_signed_query(&k, "recvWindow=5000", now_ms() - 6_000);
    let r = get_raw(sb.binance_spot_url(), &k.api_key, &format!("/api/v3/account?{stale}"), None).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json(), json!({"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."}));
    // a minute ahead: still ahead by more than the 1 s tolerance when a slow machine delivers it late
    let ahead = binance_signed_query(&k, "", now_ms() + 60_000);
    let r = get_raw(sb.binance_spot_url(), &k.api_key, &format!("/api/v3/account?{ahead}"), None).await;
    assert_eq!(
        r.json(),
        json!({"code": -1021, "msg": "Timestamp for this request was 1000ms ahead of the server's time."})
    );
    // 500 ms ahead is inside the 1 s tolerance; a 10 s old request passes with recvWindow=60000
    let slightly = binance_signed_query(&k, "", now_ms() + 500);
    assert_eq!(
        get_raw(sb.binance_spot_url(), &k.api_key, &format!("/api/v3/account?{slightly}"), None).await.status,
        200
    );
    let old = binance_signed_query(&k, "recvWindow=60000", now_ms() - 10_000);
    assert_eq!(get_raw(sb.binance_spot_url(), &k.api_key, &format!("/api/v3/account?{old}"), None).await.status, 200);
    let too_big = binance_signed_query(&k, "recvWindow=60001", now_ms());
    let r = get_raw(sb.binance_spot_url(), &k.api_key, &format!("/api/v3/account?{too_big}"), None).await;
    assert_eq!((r.status, r.json()["code"].clone()), (400, json!(-1131)));
}

#[tokio::test]
async fn unknown_key_wrong_ip_and_missing_permission_are_2015_with_http_401() {
    let sb = sandbox().await;
    let main = key(&sb, "main");
    let mut forged = main.clone();
    forged.api_key = "A".repeat(64);
    let r = binance_get(sb.binance_spot_url(), &forged, "/api/v3/account", "", None).await.unwrap();
    assert_eq!(r.status, 401);
    assert_eq!(r.json(), json!({"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."}));

    let office = key(&sb, "office");
    assert_eq!(office.ip_allow, vec!["127.0.0.2".parse::<IpAddr>().unwrap()]);
    let r = binance_get(sb.binance_spot_url(), &office, "/api/v3/account", "", None).await.unwrap();
    assert_eq!((r.status, r.json()["code"].clone()), (401, json!(-2015)));
    // futures answers with the request ip appended
    let r = binance_get(sb.binance_futures_url(), &office, "/fapi/v2/balance", "", None).await.unwrap();
    assert_eq!(
        r.json(),
        json!({"code": -2015, "msg": "Invalid API-key, IP, or permissions for action, request ip: 127.0.0.1"})
    );
    let relay: IpAddr = "127.0.0.2".parse().unwrap();
    let r = binance_get(sb.binance_spot_url(), &office, "/api/v3/account", "", Some(relay)).await.unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let r =
        binance_get(sb.binance_spot_url(), &office, "/sapi/v1/account/apiRestrictions", "", Some(relay)).await.unwrap();
    assert_eq!(r.json()["ipRestrict"], json!(true));

    // a read-only key placing an order: refused, and recorded as a breach
    let q = binance_signed_query(&main, "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.001", now_ms());
    let r = request(
        sb.binance_spot_url(),
        "POST",
        &format!("/api/v3/order?{q}"),
        &[("X-MBX-APIKEY".into(), main.api_key.clone())],
        b"",
        None,
    )
    .await
    .unwrap();
    assert_eq!((r.status, r.json()["code"].clone()), (401, json!(-2015)));
    let b = sb.breaches();
    assert_eq!(b.len(), 1);
    assert_eq!(
        (b[0].method.as_str(), b[0].path.as_str(), b[0].answer.as_str()),
        ("POST", "/api/v3/order", "401 -2015")
    );
    assert_eq!(b[0].api_key, main.api_key);
}

#[tokio::test]
async fn permission_flags_describe_each_demo_key() {
    let sb = sandbox().await;
    let flags = |label: &'static str| {
        let k = key(&sb, label);
        let base = sb.binance_spot_url().to_string();
        async move {
            let local = if k.ip_allow.is_empty() { None } else { Some(k.ip_allow[0]) };
            binance_get(&base, &k, "/sapi/v1/account/apiRestrictions", "", local).await.unwrap().json()
        }
    };
    let ro = flags("main").await;
    assert_eq!(ro["enableReading"], json!(true));
    for f in [
        "enableSpotAndMarginTrading",
        "enableWithdrawals",
        "enableInternalTransfer",
        "enableFutures",
        "permitsUniversalTransfer",
        "enableMargin",
    ] {
        assert_eq!(ro[f], json!(false), "{f}");
    }
    assert_eq!(flags("trader").await["enableSpotAndMarginTrading"], json!(true));
    let w = flags("withdrawer").await;
    assert_eq!((w["enableWithdrawals"].clone(), w["ipRestrict"].clone()), (json!(true), json!(true)));
    assert_eq!(flags("mover").await["permitsUniversalTransfer"], json!(true));
}

#[tokio::test]
async fn documented_windows_and_mandatory_parameters() {
    let sb = sandbox().await;
    let k = key(&sb, "main");
    let base = sb.binance_spot_url();
    let r = binance_get(base, &k, "/api/v3/myTrades", "", None).await.unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json(),
        json!({"code": -1102, "msg": "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."})
    );
    let now = now_ms();
    let q = format!("symbol=BTCUSDT&startTime={}&endTime={now}", now - 86_400_001);
    let r = binance_get(base, &k, "/api/v3/myTrades", &q, None).await.unwrap();
    assert_eq!(r.json(), json!({"code": -1127, "msg": "More than 24 hours between startTime and endTime."}));
    let q = format!("symbol=BTCUSDT&startTime={}&endTime={now}", now - 86_400_000);
    assert_eq!(binance_get(base, &k, "/api/v3/myTrades", &q, None).await.unwrap().status, 200);
    let q = format!("symbol=BTCUSDT&fromId=1&startTime={now}");
    assert_eq!(binance_get(base, &k, "/api/v3/myTrades", &q, None).await.unwrap().json()["code"], json!(-1128));
    let q = format!("startTime={}&endTime={now}", now - 91 * 86_400_000);
    let r = binance_get(base, &k, "/sapi/v1/capital/deposit/hisrec", &q, None).await.unwrap();
    assert_eq!((r.status, r.json()["code"].clone()), (400, json!(-1127)));
    let r = binance_get(base, &k, "/sapi/v1/asset/transfer", "", None).await.unwrap();
    assert_eq!(r.json()["code"], json!(-1102));
    let q = format!("symbol=BTCUSDT&startTime={}&endTime={now}", now - 8 * 86_400_000);
    let r = binance_get(sb.binance_futures_url(), &k, "/fapi/v1/userTrades", &q, None).await.unwrap();
    assert_eq!(r.status, 400);
    // weights are reported per endpoint
    let r = binance_get(base, &k, "/api/v3/account", "", None).await.unwrap();
    let before: u32 = r.header("x-mbx-used-weight-1m").unwrap().parse().unwrap();
    let r = binance_get(base, &k, "/api/v3/account", "", None).await.unwrap();
    let after: u32 = r.header("x-mbx-used-weight-1m").unwrap().parse().unwrap();
    assert!(after == before + 20 || after == 20, "{before} -> {after}");
    let r = binance_get(base, &k, "/sapi/v1/capital/withdraw/history", "", None).await.unwrap();
    assert_eq!(r.header("x-sapi-used-uid-weight-1m"), Some("18000"));
}

const OFFICIAL_KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
const OFFICIAL_SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
const OFFICIAL_TS: i64 = 1_499_827_319_559;

#[tokio::test]
async fn documented_signature_examples_are_accepted() {
    // The official example's key, secret and clock (docs/venues.md §1.2, §4.1, §4.2), replayed byte for byte.
    let official = DemoKey {
        venue: Venue::Binance,
        label: "trader".into(),
        account_kind: "spot".into(),
        permissions: Profile::TradeEnabled,
        api_key: OFFICIAL_KEY.into(),
        secret: Secret::new(OFFICIAL_SECRET),
        passphrase: Secret::new(""),
        ip_allow: vec![],
        key_type: KeyType::HmacSha256,
        public_key: String::new(),
    };
    let mut cfg = SandboxConfig { seed: 21, size: Size::Tiny, extra_keys: vec![official], ..Default::default() };
    cfg.binance.fixed_clock_ms = Some(OFFICIAL_TS + 200);
    let sb = Sandbox::start(cfg).await.unwrap();
    let hdr = vec![("X-MBX-APIKEY".to_string(), OFFICIAL_KEY.to_string())];
    let post = |payload: &'static str, sig: &'static str| {
        let base = sb.binance_spot_url().to_string();
        let hdr = hdr.clone();
        async move {
            let body = format!("{payload}&signature={sig}");
            request(
                &base,
                "POST",
                "/api/v3/order",
                &[hdr[0].clone(), ("Content-Type".into(), "application/x-www-form-urlencoded".into())],
                body.as_bytes(),
                None,
            )
            .await
            .unwrap()
        }
    };
    let r = post(
        "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
        "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71",
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["symbol"], json!("LTCBTC"));
    let r = post(
        "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
        "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3",
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["symbol"], json!("１２３４５６"));
    // both orders reached the venue: both are breaches
    assert_eq!(sb.breaches().len(), 2);

    // DERIVED read-only vectors (§4.2) as query strings
    let spot = sb.binance_spot_url();
    for (path, payload, sig) in [
        (
            "/sapi/v1/account/apiRestrictions",
            "timestamp=1499827319559",
            "2222d49722f6af5da13f6da6bfc0d7de19ca2815ebc98bbc49e4942268472f3f",
        ),
        (
            "/api/v3/account",
            "recvWindow=5000&timestamp=1499827319559",
            "82f4e72e95e63d666b6da651e82a701722ad8a785a169318d91f36f279c55821",
        ),
        (
            "/api/v3/account",
            "omitZeroBalances=true&recvWindow=5000&timestamp=1499827319559",
            "807e9f33e2180fee3162aaa9fddb73c600a957ca7e8353e2c50ba2a31430a41f",
        ),
        (
            "/api/v3/myTrades",
            "symbol=BTCUSDT&startTime=1499740919559&endTime=1499827319559&limit=1000&recvWindow=5000&timestamp=1499827319559",
            "63b342ea51de1630f3e0e6ba3ef5304a482a127c004b7336891840192518c575",
        ),
    ] {
        let r = get_raw(spot, OFFICIAL_KEY, &format!("{path}?{payload}&signature={sig}"), None).await;
        assert_eq!(r.status, 200, "{path}: {}", String::from_utf8_lossy(&r.body));
    }
    let r = get_raw(
        sb.binance_futures_url(),
        OFFICIAL_KEY,
        "/fapi/v1/income?symbol=BTCUSDT&incomeType=FUNDING_FEE&startTime=1499740919559&endTime=1499827319559&limit=1000&timestamp=1499827319559&signature=d64f48d3a76c522af1dbdfad7b418999269df30380fd0bd7c34d08b45bdf26e2",
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    // one changed character of the query: -1022
    let r = get_raw(spot, OFFICIAL_KEY, "/api/v3/account?recvWindow=5001&timestamp=1499827319559&signature=82f4e72e95e63d666b6da651e82a701722ad8a785a169318d91f36f279c55821", None).await;
    assert_eq!(r.json()["code"], json!(-1022));
}

#[tokio::test]
async fn ed25519_keys_sign_with_base64() {
    let sb = sandbox().await;
    let ed = sb.keys().iter().find(|k| k.venue == Venue::Binance && k.key_type == KeyType::Ed25519).unwrap().clone();
    assert!(ed.secret.expose().starts_with("-----BEGIN PRIVATE KEY-----"));
    let r = binance_get(sb.binance_spot_url(), &ed, "/api/v3/account", "omitZeroBalances=true", None).await.unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let mut wrong = ed.clone();
    wrong.key_type = KeyType::HmacSha256; // hex HMAC sent for an Ed25519 key
    let r = binance_get(sb.binance_spot_url(), &wrong, "/api/v3/account", "", None).await.unwrap();
    assert_eq!(r.json()["code"], json!(-1022));
}

#[tokio::test]
async fn futures_read_permission_is_a_setting_and_microsecond_timestamps_work() {
    // UNCONFIRMED (docs/venues.md §1.5): reading suffices for /fapi by default; the setting makes them need futures
    let mut cfg = SandboxConfig { seed: 21, size: Size::Tiny, ..Default::default() };
    cfg.binance.futures_reads_need_enable_futures = true;
    let sb = Sandbox::start(cfg).await.unwrap();
    let r = binance_get(sb.binance_futures_url(), &key(&sb, "main"), "/fapi/v2/balance", "", None).await.unwrap();
    assert_eq!((r.status, r.json()["code"].clone()), (401, json!(-2015)));
    let r = binance_get(sb.binance_futures_url(), &key(&sb, "trader"), "/fapi/v2/balance", "", None).await.unwrap();
    assert_eq!(r.status, 200);
    let sb = sandbox().await;
    let k = key(&sb, "main");
    let r = binance_get(sb.binance_futures_url(), &k, "/fapi/v2/balance", "", None).await.unwrap();
    assert_eq!(r.status, 200, "documented default: a read-only key reads futures");
    let q = binance_signed_query(&k, "", now_ms() * 1000);
    let r = get_raw(sb.binance_spot_url(), &k.api_key, &format!("/api/v3/account?{q}"), None).await;
    assert_eq!(r.status, 200, "timestamps may be sent in microseconds");
}

/// Eleven withdrawal-history reads with one key within a minute; the answers, or `None` when they straddled a
/// minute (the venue's windows turn with the clock minute).
async fn eleven_withdrawal_reads(sb: &Sandbox, k: &DemoKey) -> Option<Vec<simvenues::client::HttpResponse>> {
    let minute = now_ms() / 60_000;
    let mut out = Vec::new();
    for _ in 0..11 {
        out.push(binance_get(sb.binance_spot_url(), k, "/sapi/v1/capital/withdraw/history", "", None).await.unwrap());
    }
    (now_ms() / 60_000 == minute).then_some(out)
}

#[tokio::test]
async fn the_uid_weight_is_the_accounts_own_and_answers_429_past_it() {
    let sb = Sandbox::start(SandboxConfig { seed: 21, size: Size::Small, ..Default::default() }).await.unwrap();
    let (main, alt) = (key(&sb, "main"), key(&sb, "alt"));
    let mut runs = 0;
    let answers = loop {
        // From a minute's start when the rest of this one is short (a whole minute: only a hang does not fit).
        let into_minute = now_ms() % 60_000;
        if into_minute > 50_000 || runs > 0 {
            tokio::time::sleep(std::time::Duration::from_millis((60_000 - into_minute + 200) as u64)).await;
        }
        runs += 1;
        match eleven_withdrawal_reads(&sb, &main).await {
            Some(a) => break a,
            None => assert!(runs < 3, "the reads straddled a minute boundary twice, once from a minute's start"),
        }
    };
    // 18,000 of the account's 180,000 a minute each: ten, then 429 in Binance's shape, with the UID counter.
    for (i, r) in answers[..10].iter().enumerate() {
        assert_eq!(r.status, 200, "read {}", i + 1);
        assert_eq!(r.header("x-sapi-used-uid-weight-1m"), Some((18_000 * (i + 1)).to_string().as_str()));
    }
    let r = &answers[10];
    assert_eq!((r.status, r.json()["code"].clone()), (429, json!(-1003)));
    assert!(r.json()["msg"].as_str().unwrap().contains("180000 request weight per 1 MINUTE"), "{:?}", r.json());
    assert_eq!(r.header("x-sapi-used-uid-weight-1m"), Some("198000"));
    assert!(r.header("retry-after").is_some_and(|s| s.parse::<u64>().is_ok_and(|n| (1..=60).contains(&n))));
    // The account's own: another account, and this account's per-IP reads, from the same IP are served.
    let r = binance_get(sb.binance_spot_url(), &alt, "/sapi/v1/capital/withdraw/history", "", None).await.unwrap();
    assert_eq!((r.status, r.header("x-sapi-used-uid-weight-1m")), (200, Some("18000")));
    assert_eq!(binance_get(sb.binance_spot_url(), &main, "/api/v3/account", "", None).await.unwrap().status, 200);
}

/// Simple Earn as the pages document it (docs/venues.md §1.12): `{"rows", "total"}` pages of at most 100 by
/// `current`, windows of at most three months, `type` mandatory on the flexible rewards; the generated script is
/// there (an auto-subscription, a locked product that matured paying more than its principal), and the positions add
/// up to the truth's `earn` wallet.
#[tokio::test]
async fn simple_earn_pages_follow_the_documented_shapes() {
    let sb = sandbox().await;
    let k = key(&sb, "main");
    let w = sb.world();
    let (start, end) = (w.start, w.end);
    let get =
        async |path: &str, query: String| binance_get(sb.binance_spot_url(), &k, path, &query, None).await.unwrap();
    let window = format!("startTime={start}&endTime={}", start + 90 * 86_400_000 - 1);
    // the flexible subscriptions hold an auto-subscription, from spot
    let r = get("/sapi/v1/simple-earn/flexible/history/subscriptionRecord", format!("{window}&size=100")).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let subs = r.json();
    let rows = subs["rows"].as_array().unwrap();
    assert_eq!(subs["total"].as_u64(), Some(rows.len() as u64));
    assert!(rows.iter().any(|x| x["type"] == "AUTO" && x["sourceAccount"] == "SPOT" && x["status"] == "SUCCESS"));
    // size pages: one row per page, page 2 is the second newest
    let r = get("/sapi/v1/simple-earn/flexible/history/subscriptionRecord", format!("{window}&size=1&current=2")).await;
    assert_eq!(r.json()["rows"][0], rows[1]);
    // the locked product matured paying more than its principal
    let r = get("/sapi/v1/simple-earn/locked/history/redemptionRecord", window.clone()).await;
    let red = &r.json()["rows"][0];
    let (paid, principal): (rust_decimal::Decimal, rust_decimal::Decimal) =
        (red["amount"].as_str().unwrap().parse().unwrap(), red["originalAmount"].as_str().unwrap().parse().unwrap());
    assert!(paid > principal, "{red}");
    assert_eq!((red["type"].as_str(), red["status"].as_str()), (Some("MATURE"), Some("PAID")));
    // the flexible rewards need `type`; a window longer than three months is refused
    let r = get("/sapi/v1/simple-earn/flexible/history/rewardsRecord", window.clone()).await;
    assert_eq!((r.status, r.json()["code"].clone()), (400, json!(-1102)));
    let r = get("/sapi/v1/simple-earn/flexible/history/rewardsRecord", format!("{window}&type=ALL")).await;
    assert!(r.json()["total"].as_u64().unwrap() > 0);
    let long = format!("startTime={}&endTime={end}&type=ALL", end - 91 * 86_400_000);
    let r = get("/sapi/v1/simple-earn/flexible/history/rewardsRecord", long).await;
    assert_eq!(r.status, 400);
    // the positions are the earn wallet of the truth
    let r = get("/sapi/v1/simple-earn/flexible/position", "size=100".into()).await;
    let usdt: rust_decimal::Decimal = r.json()["rows"][0]["totalAmount"].as_str().unwrap().parse().unwrap();
    assert_eq!(usdt, sb.truth_balances()["binance/main/earn"]["USDT"]);
    assert!(sb.truth_ledger().iter().any(|e| e.id.starts_with("binance/main/spot:earn_interest:locked:")));
}

/// SANDBOX ONLY (docs/venues.md §1.2 "Self-generated keys"): a registered public key gets an API key that reads its
/// account, only from the IPs it was registered with, with reading the only permission; a second registration of
/// the same key is refused.
#[tokio::test]
async fn a_registered_public_key_reads_its_account_from_its_ips_only() {
    use base64::Engine as _;
    let sb = sandbox().await;
    let seed = [7u8; 32];
    let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key().to_bytes();
    let mut der = vec![0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
    der.extend_from_slice(&public);
    let pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        base64::engine::general_purpose::STANDARD.encode(der)
    );
    let body = json!({"publicKey": pem, "ipList": ["127.0.0.2"], "account": "main"}).to_string();
    let headers = [("content-type".to_string(), "application/json".to_string())];
    let r =
        request(sb.binance_spot_url(), "POST", "/sandbox/ed25519-keys", &headers, body.as_bytes(), None).await.unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let answer = r.json();
    assert_eq!(answer["ipList"], json!(["127.0.0.2"]));
    let api_key = answer["apiKey"].as_str().unwrap().to_string();
    let mut k = key(&sb, "main");
    k.api_key = api_key;
    k.key_type = KeyType::Ed25519;
    k.secret = Secret::new(simvenues::generator::ed25519_pem(&seed));
    let office: IpAddr = "127.0.0.2".parse().unwrap();
    let r = binance_get(sb.binance_spot_url(), &k, "/sapi/v1/account/apiRestrictions", "", Some(office)).await.unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let rights = r.json();
    assert_eq!(rights["ipRestrict"], json!(true));
    for flag in ["enableWithdrawals", "enableSpotAndMarginTrading", "enableFutures", "permitsUniversalTransfer"] {
        assert_eq!(rights[flag], json!(false), "{flag}");
    }
    let r = binance_get(sb.binance_spot_url(), &k, "/api/v3/account", "", Some(office)).await.unwrap();
    assert_eq!(r.status, 200);
    // from another IP: refused like any IP-restricted key
    let local: IpAddr = "127.0.0.1".parse().unwrap();
    let r = binance_get(sb.binance_spot_url(), &k, "/api/v3/account", "", Some(local)).await.unwrap();
    assert_eq!((r.status, r.json()["code"].clone()), (401, json!(-2015)));
    // the same public key twice: refused
    let again =
        request(sb.binance_spot_url(), "POST", "/sandbox/ed25519-keys", &headers, body.as_bytes(), None).await.unwrap();
    assert_eq!((again.status, again.json()["code"].clone()), (400, json!(-1130)));
    assert!(sb.breaches().is_empty(), "{:?}", sb.breaches());
}

/// COIN-M (docs/venues.md §1.14): the dapi server answers the documented shapes with the same signature check as
/// fapi, counts its own weight minute apart from fapi's, and enforces `userTrades`' symbol-or-pair rule.
#[tokio::test]
async fn coin_m_reads_are_signed_weighted_apart_and_checked() {
    let sb = sandbox().await;
    let k = key(&sb, "main");
    let dapi = sb.binance_coin_futures_url();
    // unsigned: refused like fapi's reads
    let r = get_raw(dapi, &k.api_key, "/dapi/v1/balance", None).await;
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    let r = binance_get(dapi, &k, "/dapi/v1/balance", "", None).await.unwrap();
    assert_eq!(r.status, 200);
    let balances = r.json();
    for b in balances.as_array().unwrap() {
        for f in ["accountAlias", "asset", "balance", "withdrawAvailable", "crossWalletBalance", "crossUnPnl"] {
            assert!(b[f].is_string(), "{f} in {b}");
        }
    }
    // its weight counts on the dapi minute only: fapi's counter starts afresh
    let used = |r: &simvenues::client::HttpResponse| r.header("x-mbx-used-weight-1m").unwrap().parse::<u32>().unwrap();
    let before = used(&r);
    let r = binance_get(dapi, &k, "/dapi/v1/userTrades", "pair=BTCUSD", None).await.unwrap();
    assert_eq!((r.status, used(&r)), (200, before + 40), "pair costs 40");
    let r = binance_get(dapi, &k, "/dapi/v1/income", "", None).await.unwrap();
    assert_eq!((r.status, used(&r)), (200, before + 60), "income costs 20");
    let f = binance_get(sb.binance_futures_url(), &k, "/fapi/v2/balance", "", None).await.unwrap();
    assert_eq!(used(&f), 5, "fapi's minute is its own");
    // userTrades: a symbol or a pair, not both, not neither; fromId not with a pair
    for q in ["", "symbol=BTCUSD_PERP&pair=BTCUSD", "pair=BTCUSD&fromId=1"] {
        let r = binance_get(dapi, &k, "/dapi/v1/userTrades", q, None).await.unwrap();
        assert_eq!((r.status, r.json()["code"].as_i64()), (400, Some(-1128)), "{q}");
    }
    let r = binance_get(dapi, &k, "/dapi/v1/userTrades", "symbol=BTCUSDT", None).await.unwrap();
    assert_eq!(r.json()["code"].as_i64(), Some(-1121));
    let day = 86_400_000;
    let q = format!("symbol=BTCUSD_PERP&startTime={}&endTime={}", now_ms() - 8 * day, now_ms());
    let r = binance_get(dapi, &k, "/dapi/v1/userTrades", &q, None).await.unwrap();
    assert_eq!(r.json()["code"].as_i64(), Some(-4166), "seven days at most");
    // public: the contracts with their size and margin coin
    let r = get_raw(dapi, "", "/dapi/v1/exchangeInfo", None).await;
    let info = r.json();
    let btc = info["symbols"].as_array().unwrap().iter().find(|s| s["symbol"] == "BTCUSD_PERP").unwrap().clone();
    assert_eq!((btc["contractSize"].as_u64(), btc["marginAsset"].as_str()), (Some(100), Some("BTC")));
    // positionRisk shows the truth's open positions: entry, mark, and the inverse PnL in the coin
    let open = sb.truth_coinm_positions();
    assert!(!open.is_empty(), "the world ends with an open COIN-M position");
    for o in &open {
        let label = o.position.account.as_str().split('/').nth(1).unwrap();
        let r = binance_get(dapi, &key(&sb, label), "/dapi/v1/positionRisk", "", None).await.unwrap();
        let rows = r.json();
        let row = rows.as_array().unwrap().iter().find(|p| p["symbol"] == o.position.symbol.as_str()).unwrap().clone();
        let dec = |f: &str| row[f].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap();
        assert_eq!(dec("positionAmt"), o.position.amount, "{row}");
        assert_eq!((dec("entryPrice"), dec("markPrice")), (o.position.entry_price, o.position.mark_price), "{row}");
        assert_eq!(dec("unRealizedProfit"), o.unrealized, "{row}");
        let size = o.position.contract_size.unwrap();
        let (e, m) = (o.position.entry_price, o.position.mark_price);
        let inverse =
            (o.position.amount * size * (rust_decimal::Decimal::ONE / e - rust_decimal::Decimal::ONE / m)).round_dp(8);
        assert_eq!(o.unrealized, inverse, "amount x size x (1/entry - 1/mark)");
    }
    // a COIN-M path on the USDⓈ-M server is not found
    let r = binance_get(sb.binance_futures_url(), &k, "/dapi/v1/balance", "", None).await.unwrap();
    assert_eq!(r.status, 404);
}

/// The fiat, card, P2P and Pay histories (docs/venues.md §1.15) in the pages' shapes, and in the truth: a failed
/// fiat deposit is served and is no event; a Pay payment combines wallets; the P2P window is at most 30 days, Pay's
/// 90; `transactionType` is mandatory.
#[tokio::test]
async fn fiat_p2p_and_pay_pages_follow_the_documented_shapes() {
    let sb = sandbox().await;
    let k = key(&sb, "main");
    let end = sb.world().end;
    let get =
        async |path: &str, query: String| binance_get(sb.binance_spot_url(), &k, path, &query, None).await.unwrap();
    let month = format!("startTime={}&endTime={end}", end - 30 * 86_400_000);
    // Pay first: the two fiat order reads below take the account's whole UID weight of the minute (90,000 each)
    let r = get("/sapi/v1/pay/transactions", format!("{month}&limit=100")).await;
    let pay = r.json();
    assert!(pay.get("total").is_none(), "{pay}");
    let amounts: Vec<&str> =
        pay["data"].as_array().expect("data").iter().map(|p| p["amount"].as_str().unwrap()).collect();
    assert_eq!(amounts, ["-8.00000000", "-5.00000000", "15.00000000"]);
    // the newest combines wallets: 5 USDT from funding (1) and 3 from spot (2), the main wallet first
    let split = &pay["data"][0];
    assert_eq!((split["walletType"].clone(), split["walletTypes"].clone()), (json!(1), json!([1, 2])), "{split}");
    assert_eq!(split["fundsDetail"][0]["walletAssetCost"], json!([{"1": "5.00000000"}, {"2": "3.00000000"}]));
    let r = get("/sapi/v1/fiat/payments", format!("beginTime={}&endTime={end}", end - 30 * 86_400_000)).await;
    assert_eq!((r.status, r.json()["code"].clone()), (400, json!(-1102)), "transactionType is mandatory");
    let r = get("/sapi/v1/fiat/orders", format!("transactionType=0&beginTime={}&endTime={end}", end - 30 * 86_400_000))
        .await;
    let orders = r.json();
    assert_eq!(
        (orders["code"].as_str(), orders["success"].as_bool(), orders["total"].as_u64()),
        (Some("000000"), Some(true), Some(2))
    );
    let statuses: Vec<&str> =
        orders["data"].as_array().unwrap().iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["Failed", "Successful"], "newest first");
    let r = get(
        "/sapi/v1/fiat/payments",
        format!("transactionType=0&rows=1&page=1&beginTime={}&endTime={end}", end - 30 * 86_400_000),
    )
    .await;
    let buy = &r.json()["data"][0];
    assert_eq!(
        (buy["fiatCurrency"].as_str(), buy["cryptoCurrency"].as_str(), buy["paymentMethod"].as_str()),
        (Some("EUR"), Some("BTC"), Some("Credit Card"))
    );
    let p2p = get("/sapi/v1/c2c/orderMatch/listUserOrderHistory", month.clone()).await.json();
    let sides: Vec<&str> = p2p["data"].as_array().unwrap().iter().map(|o| o["tradeType"].as_str().unwrap()).collect();
    assert_eq!(sides, ["SELL", "BUY"]);
    let long = format!("startTime={}&endTime={end}", end - 31 * 86_400_000);
    assert_eq!(get("/sapi/v1/c2c/orderMatch/listUserOrderHistory", long).await.status, 400);
    // the truth: the fiat deposit but not the failed one, the card purchase's two legs, the P2P orders' four, Pay's
    // three in funding and the combined payment's part in spot
    let ledger = sb.truth_ledger();
    let count = |prefix: &str| ledger.iter().filter(|e| e.id.starts_with(prefix)).count();
    assert_eq!(count("binance/main/spot:fiat_deposit:"), 1);
    assert_eq!(count("binance/main/spot:fiat_payment:"), 2);
    assert_eq!(count("binance/main/funding:p2p:"), 4);
    assert_eq!(count("binance/main/funding:pay:"), 3);
    assert_eq!(count("binance/main/spot:pay:"), 1);
    let failed = statuses.iter().position(|s| *s == "Failed").unwrap();
    let failed_no = orders["data"][failed]["orderNo"].as_str().unwrap();
    assert!(!ledger.iter().any(|e| e.id.contains(failed_no)), "a failed order is no event");
}

/// The ETH and SOL staking histories (docs/venues.md §1.16) in the pages' shapes, and in the truth: a generated
/// data account stakes ETH for WBETH, unwraps some into BETH, earns a BETH reward, wraps it back, redeems WBETH for
/// ETH at a higher rate, stakes SOL for BNSOL, redeems some and claims a SOL Boost reward (its time in seconds, as
/// the page's sample writes it); windows are at most three months.
#[tokio::test]
async fn staking_pages_follow_the_documented_shapes() {
    let sb = sandbox().await;
    let k = key(&sb, "main");
    let end = sb.world().end;
    let get =
        async |path: &str, query: String| binance_get(sb.binance_spot_url(), &k, path, &query, None).await.unwrap();
    let month = format!("startTime={}&endTime={end}&size=100", end - 30 * 86_400_000);
    let stake = get("/sapi/v1/eth-staking/eth/history/stakingHistory", month.clone()).await.json();
    assert_eq!(stake["total"], json!(1), "{stake}");
    let row = &stake["rows"][0];
    assert_eq!((row["asset"].as_str(), row["distributeAsset"].as_str()), (Some("ETH"), Some("WBETH")));
    assert!(row["conversionRatio"].is_string() && row["status"] == "SUCCESS", "{row}");
    let redeem = get("/sapi/v1/eth-staking/eth/history/redemptionHistory", month.clone()).await.json();
    let out = &redeem["rows"][0];
    assert_eq!((out["asset"].as_str(), out["distributeAsset"].as_str()), (Some("WBETH"), Some("ETH")));
    assert!(out["arrivalTime"].is_u64(), "{out}");
    let rate = |v: &serde_json::Value, f: &str| v[f].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap();
    assert!(rate(out, "conversionRatio") > rate(row, "conversionRatio"), "the rate grows with the rewards");
    for (path, from, to) in [
        ("/sapi/v1/eth-staking/wbeth/history/unwrapHistory", "WBETH", "BETH"),
        ("/sapi/v1/eth-staking/wbeth/history/wrapHistory", "BETH", "WBETH"),
    ] {
        let r = get(path, month.clone()).await.json();
        assert_eq!((r["rows"][0]["fromAsset"].as_str(), r["rows"][0]["toAsset"].as_str()), (Some(from), Some(to)));
    }
    let reward = get("/sapi/v1/eth-staking/eth/history/rewardsHistory", month.clone()).await.json();
    assert_eq!(reward["rows"][0]["asset"], "BETH", "{reward}");
    let sol = get("/sapi/v1/sol-staking/sol/history/stakingHistory", month.clone()).await.json();
    assert_eq!(sol["rows"][0]["distributeAsset"], "BNSOL", "{sol}");
    assert!(sol["rows"][0]["exchangeRate"].is_string());
    let sol_out = get("/sapi/v1/sol-staking/sol/history/redemptionHistory", month.clone()).await.json();
    assert_eq!(sol_out["rows"][0]["distributeAsset"], "SOL", "{sol_out}");
    let claims =
        get("/sapi/v1/sol-staking/sol/history/boostRewardsHistory", format!("type=CLAIM&{month}")).await.json();
    let claim = &claims["rows"][0];
    assert_eq!((claim["token"].as_str(), claim["status"].as_str()), (Some("SOL"), Some("SUCCESS")), "{claims}");
    let seconds = claim["time"].as_i64().unwrap();
    assert!(seconds < 100_000_000_000 && seconds * 1000 > end - 30 * 86_400_000, "a time in seconds: {claim}");
    let given = get("/sapi/v1/sol-staking/sol/history/boostRewardsHistory", format!("type=DISTRIBUTE&{month}")).await;
    assert!(given.json()["rows"][0]["bnsolHolding"].is_string() && given.json()["rows"][0]["status"].is_null());
    let bad_type = format!("type=ALL&{month}");
    assert_eq!(get("/sapi/v1/sol-staking/sol/history/boostRewardsHistory", bad_type).await.status, 400);
    let long = format!("startTime={}&endTime={end}", end - 91 * 86_400_000);
    assert_eq!(get("/sapi/v1/sol-staking/sol/history/stakingHistory", long).await.status, 400);
    // the truth: six migrations and two interest incomes in spot
    let ledger = sb.truth_ledger();
    let staking: Vec<&str> = ledger
        .iter()
        .filter(|e| {
            ["eth_", "wbeth_", "sol_", "beth_"].iter().any(|s| e.id.starts_with(&format!("binance/main/spot:{s}")))
        })
        .map(|e| e.id.split(':').nth(1).unwrap())
        .collect();
    assert_eq!(
        staking,
        [
            "eth_stake",
            "wbeth_unwrap",
            "beth_reward",
            "wbeth_wrap",
            "eth_redemption",
            "sol_stake",
            "sol_redemption",
            "sol_boost_claim"
        ]
    );
}

/// The lead trader status (docs/venues.md §1.17) in the page's shape: the SAPI envelope with `isLeadTrader` and
/// `time`, true for the lead portfolio's key and false for a regular account's, at UID weight 20.
#[tokio::test]
async fn the_lead_status_says_which_key_is_a_lead_portfolio() {
    let sb = sandbox().await;
    for (label, lead) in [("lead", true), ("main", false)] {
        let k = key(&sb, label);
        let r =
            binance_get(sb.binance_spot_url(), &k, "/sapi/v1/copyTrading/futures/userStatus", "", None).await.unwrap();
        let v = r.json();
        assert_eq!((r.status, v["code"].as_str(), v["success"].as_bool()), (200, Some("000000"), Some(true)), "{v}");
        assert_eq!(v["data"]["isLeadTrader"].as_bool(), Some(lead), "{label}: {v}");
        assert!(v["data"]["time"].is_i64(), "{v}");
        assert_eq!(r.header("x-sapi-used-uid-weight-1m"), Some("20"), "{label}");
    }
    assert_eq!(key(&sb, "lead").account_kind, "copy-trading");
}
