//! The sandbox end to end: the venues' balance endpoints report the ground truth, paging through the venues
//! rebuilds the ground-truth ledger ids, Binance 429 then 418 per client IP, injected faults, the breach file.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use simvenues::client::{binance_get, binance_signed_query, bitget_get, request};
use simvenues::faults::{FaultConfig, FaultKind};
use simvenues::generator::Size;
use simvenues::http::now_ms;
use simvenues::keys::{DemoKey, KeyType, Venue};
use simvenues::sandbox::{Sandbox, SandboxConfig};

fn dec(v: &Value) -> Decimal {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}")).parse().unwrap()
}

fn bn(sb: &Sandbox, label: &str) -> DemoKey {
    sb.keys()
        .iter()
        .find(|k| k.venue == Venue::Binance && k.label == label && k.key_type == KeyType::HmacSha256)
        .unwrap()
        .clone()
}

fn non_zero(m: BTreeMap<String, Decimal>) -> BTreeMap<String, Decimal> {
    m.into_iter().filter(|(_, v)| !v.is_zero()).collect()
}

#[tokio::test]
async fn balance_endpoints_report_the_ground_truth() {
    let sb = Sandbox::start(SandboxConfig { seed: 5, size: Size::Small, ..Default::default() }).await.unwrap();
    let truth = sb.truth_balances();
    let k = bn(&sb, "main");
    // spot
    let r =
        binance_get(sb.binance_spot_url(), &k, "/api/v3/account", "omitZeroBalances=true", None).await.unwrap().json();
    let spot: BTreeMap<String, Decimal> = r["balances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["asset"].as_str().unwrap().to_string(), dec(&b["free"]) + dec(&b["locked"])))
        .collect();
    assert_eq!(spot, truth["binance/main/spot"]);
    // funding (read-only POST)
    let q = binance_signed_query(&k, "", now_ms());
    let r = request(
        sb.binance_spot_url(),
        "POST",
        &format!("/sapi/v1/asset/get-funding-asset?{q}"),
        &[("X-MBX-APIKEY".into(), k.api_key.clone())],
        b"",
        None,
    )
    .await
    .unwrap();
    let funding: BTreeMap<String, Decimal> = r
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["asset"].as_str().unwrap().to_string(), dec(&b["free"])))
        .collect();
    assert_eq!(funding, truth.get("binance/main/funding").cloned().unwrap_or_default());
    assert!(sb.breaches().is_empty(), "a read-only POST is not a breach");
    // USDⓈ-M wallet balance
    let r = binance_get(sb.binance_futures_url(), &k, "/fapi/v2/balance", "", None).await.unwrap().json();
    let usdm = non_zero(
        r.as_array().unwrap().iter().map(|b| (b["asset"].as_str().unwrap().to_string(), dec(&b["balance"]))).collect(),
    );
    assert_eq!(usdm, truth["binance/main/usdm"]);
    // Bitget classic spot and futures (wallet = equity - unrealized PnL)
    let g = sb.key(Venue::Bitget, "main").unwrap();
    let r = bitget_get(sb.bitget_url(), g, "/api/v2/spot/account/assets", "", None).await.unwrap().json();
    let bspot: BTreeMap<String, Decimal> = r["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (b["coin"].as_str().unwrap().to_string(), dec(&b["available"]) + dec(&b["frozen"]) + dec(&b["locked"]))
        })
        .collect();
    assert_eq!(bspot, truth["bitget/main/spot"]);
    let r = bitget_get(sb.bitget_url(), g, "/api/v2/mix/account/accounts", "productType=USDT-FUTURES", None)
        .await
        .unwrap()
        .json();
    let acc = &r["data"][0];
    assert_eq!(dec(&acc["accountEquity"]) - dec(&acc["unrealizedPL"]), truth["bitget/main/futures"]["USDT"]);
    // Bitget unified: `balance − debt` (the account ends owing a margin loan, docs/venues.md §2.8)
    let u = sb.key(Venue::Bitget, "unified").unwrap();
    let r = bitget_get(sb.bitget_url(), u, "/api/v3/account/assets", "", None).await.unwrap().json();
    let uta: BTreeMap<String, Decimal> = non_zero(
        r["data"]["assets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| (b["coin"].as_str().unwrap().to_string(), dec(&b["balance"]) - dec(&b["debt"])))
            .collect(),
    );
    assert_eq!(uta, truth["bitget/unified/unified"]);
    let owed: Vec<&Value> =
        r["data"]["assets"].as_array().unwrap().iter().filter(|b| dec(&b["debt"]) > Decimal::ZERO).collect();
    assert_eq!(owed.len(), 1, "the open loan: {owed:?}");
}

#[tokio::test]
async fn paging_the_venues_rebuilds_the_truth_ids() {
    let sb = Sandbox::start(SandboxConfig { seed: 6, size: Size::Small, ..Default::default() }).await.unwrap();
    let truth: BTreeSet<String> = sb.truth_ledger().into_iter().map(|e| e.id).collect();
    let k = bn(&sb, "main");
    // Binance spot fills: every symbol of exchangeInfo, fromId paging with a small limit
    let info = request(sb.binance_spot_url(), "GET", "/api/v3/exchangeInfo", &[], b"", None).await.unwrap().json();
    let mut symbols: Vec<&str> =
        info["symbols"].as_array().unwrap().iter().map(|s| s["symbol"].as_str().unwrap()).collect();
    // and the delisted pair: not in exchangeInfo, its trades still served (docs/venues.md §1.6, "Delisted pairs")
    assert!(!symbols.contains(&"FTTUSDT"), "{symbols:?}");
    symbols.push("FTTUSDT");
    let mut ids = BTreeSet::new();
    for sym in symbols {
        let mut from = 0u64;
        loop {
            let r = binance_get(
                sb.binance_spot_url(),
                &k,
                "/api/v3/myTrades",
                &format!("symbol={sym}&fromId={from}&limit=7"),
                None,
            )
            .await
            .unwrap()
            .json();
            let rows = r.as_array().unwrap();
            for t in rows {
                ids.insert(format!("binance/main/spot:trade:{sym}:{}", t["id"]));
            }
            if rows.len() < 7 {
                break;
            }
            from = rows.last().unwrap()["id"].as_u64().unwrap() + 1;
        }
    }
    let expected: BTreeSet<String> =
        truth.iter().filter(|i| i.starts_with("binance/main/spot:trade:")).cloned().collect();
    assert!(expected.len() > 20);
    assert!(expected.iter().any(|i| i.contains(":trade:FTTUSDT:")), "main traded the delisted pair");
    assert_eq!(ids, expected);
    // Binance income: FUNDING_FEE rows over 30-day windows with startTime paging
    let now = now_ms();
    let mut funding = BTreeSet::new();
    let mut start = now - 89 * 86_400_000;
    while start < now {
        let end = (start + 30 * 86_400_000).min(now);
        let q = format!("incomeType=FUNDING_FEE&startTime={start}&endTime={end}&limit=1000");
        for row in binance_get(sb.binance_futures_url(), &k, "/fapi/v1/income", &q, None)
            .await
            .unwrap()
            .json()
            .as_array()
            .unwrap()
        {
            funding.insert(format!("binance/main/usdm:income:FUNDING_FEE:{}", row["tranId"]));
        }
        start = end + 1;
    }
    let expected: BTreeSet<String> =
        truth.iter().filter(|i| i.starts_with("binance/main/usdm:income:FUNDING_FEE:")).cloned().collect();
    assert_eq!(funding, expected);
    // Bitget spot fills: idLessThan paging inside the 90-day window
    let g = sb.key(Venue::Bitget, "main").unwrap();
    let mut ids = BTreeSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut q = format!("endTime={now}&limit=50&startTime={}", now - 89 * 86_400_000);
        if let Some(c) = &cursor {
            q = format!("{q}&idLessThan={c}");
        }
        let r = bitget_get(sb.bitget_url(), g, "/api/v2/spot/trade/fills", &q, None).await.unwrap().json();
        let rows = r["data"].as_array().unwrap().clone();
        for f in &rows {
            ids.insert(format!(
                "bitget/main/spot:trade:{}:{}",
                f["symbol"].as_str().unwrap(),
                f["tradeId"].as_str().unwrap()
            ));
        }
        if rows.len() < 50 {
            break;
        }
        cursor = Some(rows.last().unwrap()["tradeId"].as_str().unwrap().to_string());
    }
    let expected: BTreeSet<String> =
        truth.iter().filter(|i| i.starts_with("bitget/main/spot:trade:")).cloned().collect();
    assert!(expected.len() > 20);
    assert_eq!(ids, expected);
}

#[tokio::test]
async fn binance_429_then_418_per_client_ip() {
    // The weights are counted per minute: a run that straddles a minute boundary is run again, from the start of the
    // next minute (a whole minute: only a hang does not fit).
    let mut runs = 0;
    let (first, second, limited, banned, other_ip) = loop {
        let sec = (now_ms() / 1000) % 60;
        if sec > 50 || runs > 0 {
            tokio::time::sleep(std::time::Duration::from_secs(61 - sec as u64)).await;
        }
        runs += 1;
        let mut cfg = SandboxConfig { seed: 7, size: Size::Tiny, ..Default::default() };
        cfg.limits.binance_api_weight = 40;
        cfg.limits.binance_429s_before_ban = 1;
        let sb = Sandbox::start(cfg).await.unwrap();
        let minute = now_ms() / 60_000;
        let k = bn(&sb, "main");
        let get = |local: Option<IpAddr>| binance_get(sb.binance_spot_url(), &k, "/api/v3/account", "", local);
        let first = get(None).await.unwrap();
        let second = get(None).await.unwrap();
        let limited = get(None).await.unwrap();
        let banned = get(None).await.unwrap();
        // another client IP has its own budget
        let other_ip = get(Some("127.0.0.3".parse().unwrap())).await.unwrap();
        if now_ms() / 60_000 == minute {
            break (first, second, limited, banned, other_ip);
        }
        assert!(runs < 3, "the requests straddled a minute boundary twice, once from a minute's start");
    };
    assert_eq!(first.header("x-mbx-used-weight-1m"), Some("20"));
    assert_eq!(second.header("x-mbx-used-weight-1m"), Some("40"));
    let r = limited;
    assert_eq!(r.status, 429);
    assert_eq!(r.json()["code"], json!(-1003));
    assert!(
        r.json()["msg"]
            .as_str()
            .unwrap()
            .starts_with("Too much request weight used; current limit is 40 request weight per 1 MINUTE.")
    );
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() <= 60);
    let r = banned;
    assert_eq!(r.status, 418);
    assert!(r.json()["msg"].as_str().unwrap().starts_with("Way too much request weight used; IP banned until "));
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() >= 100);
    assert_eq!(other_ip.status, 200);
}

#[tokio::test]
async fn injected_faults() {
    let cfg = |kind| SandboxConfig {
        seed: 8,
        size: Size::Tiny,
        faults: FaultConfig { seed: 1, rate: 1.0, kinds: vec![kind], ..Default::default() },
        ..Default::default()
    };
    let sb = Sandbox::start(cfg(FaultKind::ServerError)).await.unwrap();
    let r = request(sb.binance_spot_url(), "GET", "/api/v3/time", &[], b"", None).await.unwrap();
    assert_eq!((r.status, r.json()["code"].clone()), (503, json!(-1001)));
    let r = request(sb.bitget_url(), "GET", "/api/v2/public/time", &[], b"", None).await.unwrap();
    assert_eq!((r.status, r.json()["code"].clone()), (503, json!("40015")));
    drop(sb);
    let sb = Sandbox::start(cfg(FaultKind::Truncated)).await.unwrap();
    let r = request(sb.binance_spot_url(), "GET", "/api/v3/exchangeInfo", &[], b"", None).await;
    match r {
        Ok(r) => {
            let promised: usize = r.header("content-length").unwrap().parse().unwrap();
            assert!(r.body.len() < promised, "{} of {promised} bytes", r.body.len());
            assert!(serde_json::from_slice::<Value>(&r.body).is_err());
        }
        Err(e) => panic!("the truncated answer should arrive as a short body: {e:?}"),
    }
    drop(sb);
    let sb = Sandbox::start(cfg(FaultKind::TooManyRequests)).await.unwrap();
    let r = request(sb.bitget_url(), "GET", "/api/v2/public/time", &[], b"", None).await.unwrap();
    assert_eq!((r.status, r.json()["code"].clone()), (429, json!("429")));
    drop(sb);
    let sb = Sandbox::start(cfg(FaultKind::Reset)).await.unwrap();
    match request(sb.bitget_url(), "GET", "/api/v2/public/time", &[], b"", None).await {
        Ok(r) => {
            let promised: usize = r.header("content-length").unwrap().parse().unwrap();
            assert!(r.body.is_empty() && promised > 0, "a reset answers headers, then nothing");
        }
        Err(e) => panic!("the reset should arrive as headers without a body: {e:?}"),
    }
    drop(sb);
    let mut slow = cfg(FaultKind::Slow);
    slow.faults.slow_ms = 300;
    let sb = Sandbox::start(slow).await.unwrap();
    let t = std::time::Instant::now();
    let r = request(sb.binance_spot_url(), "GET", "/api/v3/time", &[], b"", None).await.unwrap();
    assert_eq!(r.status, 200);
    assert!(t.elapsed() >= std::time::Duration::from_millis(300), "{:?}", t.elapsed());
    // without faults nothing is injected
    let sb = Sandbox::start(SandboxConfig { seed: 8, size: Size::Tiny, ..Default::default() }).await.unwrap();
    for _ in 0..20 {
        assert_eq!(request(sb.binance_spot_url(), "GET", "/api/v3/time", &[], b"", None).await.unwrap().status, 200);
    }
}

#[tokio::test]
async fn breach_file_and_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let cfg = SandboxConfig {
        seed: 9,
        size: Size::Tiny,
        breach_file: Some(dir.join("breaches.jsonl")),
        ..Default::default()
    };
    let sb = Sandbox::start(cfg).await.unwrap();
    sb.write_dir(&dir).unwrap();
    let manifest: Value = serde_json::from_slice(&std::fs::read(dir.join("sandbox.json")).unwrap()).unwrap();
    assert_eq!(manifest["binance_spot"], json!(sb.binance_spot_url()));
    let keys = manifest["keys"].as_array().unwrap();
    let has = |venue: &str, perm: &str| keys.iter().any(|k| k["venue"] == venue && k["permissions"] == perm);
    for (v, p) in [
        ("binance", "read-only"),
        ("binance", "trade-enabled"),
        ("binance", "withdraw-enabled"),
        ("binance", "transfer-enabled"),
        ("bitget", "read-only"),
        ("bitget", "trade-enabled"),
        ("bitget", "withdraw-enabled"),
    ] {
        assert!(has(v, p), "{v} {p}");
    }
    assert!(keys.iter().any(|k| k["venue"] == "bitget" && k["account_kind"] == "unified"));
    assert!(keys.iter().any(|k| k["ip_allow"] == json!(["127.0.0.2"]) && k["permissions"] == "read-only"));
    let ledger = std::fs::read(dir.join("truth/ledger.jsonl")).unwrap();
    let events = ledger::read_ledger(&ledger[..], "ledger.jsonl").unwrap();
    assert_eq!(events, sb.truth_ledger());
    // a withdrawal request through the read-only key lands in the file
    let k = bn(&sb, "main");
    let q = binance_signed_query(&k, "coin=USDT&address=TXYZ&amount=10", now_ms());
    request(
        sb.binance_spot_url(),
        "POST",
        &format!("/sapi/v1/capital/withdraw/apply?{q}"),
        &[("X-MBX-APIKEY".into(), k.api_key.clone())],
        b"",
        None,
    )
    .await
    .unwrap();
    let text = std::fs::read_to_string(dir.join("breaches.jsonl")).unwrap();
    let line: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(
        (line["venue"].clone(), line["path"].clone()),
        (json!("binance"), json!("/sapi/v1/capital/withdraw/apply"))
    );
    assert!(!text.contains(k.secret.expose()), "the breach log never holds secrets");
}

#[tokio::test]
async fn same_seed_same_keys_and_truth() {
    let a = Sandbox::start(SandboxConfig { seed: 10, size: Size::Tiny, ..Default::default() }).await.unwrap();
    let b = Sandbox::start(SandboxConfig { seed: 10, size: Size::Tiny, ..Default::default() }).await.unwrap();
    let ka: Vec<_> = a.keys().iter().map(|k| (k.api_key.clone(), k.secret.expose().to_string())).collect();
    let kb: Vec<_> = b.keys().iter().map(|k| (k.api_key.clone(), k.secret.expose().to_string())).collect();
    assert_eq!(ka, kb);
    assert_eq!(a.truth_ledger(), b.truth_ledger());
    assert_ne!(a.binance_spot_url(), b.binance_spot_url());
}

#[tokio::test]
async fn unified_and_futures_rows_rebuild_the_truth_ids() {
    let sb = Sandbox::start(SandboxConfig { seed: 12, size: Size::Small, ..Default::default() }).await.unwrap();
    let truth: BTreeSet<String> = sb.truth_ledger().into_iter().map(|e| e.id).collect();
    let now = now_ms();
    let day = 86_400_000i64;
    // unified fills and funding: 30-day windows, cursor paging
    let u = sb.key(Venue::Bitget, "unified").unwrap();
    let mut ids = BTreeSet::new();
    for w in 0..3 {
        let (a, b) = (now - (w + 1) * 30 * day + 1, now - w * 30 * day);
        let mut cursor = String::new();
        loop {
            let mut q = format!("endTime={b}&limit=20&startTime={a}");
            if !cursor.is_empty() {
                q.push_str(&format!("&cursor={cursor}"));
            }
            let r = bitget_get(sb.bitget_url(), u, "/api/v3/trade/fills", &q, None).await.unwrap().json();
            let list = r["data"]["list"].as_array().unwrap().clone();
            for f in &list {
                let id = f["execId"].as_str().unwrap();
                if f["category"] == "SPOT" || f["category"] == "MARGIN" {
                    ids.insert(format!("bitget/unified/unified:trade:{}:{id}", f["symbol"].as_str().unwrap()));
                } else {
                    ids.insert(format!("bitget/unified/unified:fill:{id}:fee"));
                    if dec(&f["execPnl"]) != Decimal::ZERO {
                        ids.insert(format!("bitget/unified/unified:fill:{id}:pnl"));
                    }
                }
            }
            if list.len() < 20 {
                break;
            }
            cursor = r["data"]["cursor"].as_str().unwrap().to_string();
        }
        // funding, and the margin loans by their types
        let loans = [("BORROW", "borrow"), ("REPAYMENT", "repay"), ("INTEREST_REPAYMENT", "interest_repay")];
        let loans = loans.into_iter().chain([("INTEREST_SETTLEMENT_OUT", "interest")]);
        let reads =
            [("USDT-FUTURES", "FUNDING_FEE", "funding")].into_iter().chain(loans.map(|(t, w)| ("MARGIN", t, w)));
        for (category, ty, word) in reads {
            let q = format!("category={category}&endTime={b}&limit=100&startTime={a}&type={ty}");
            let mut cursor = String::new();
            loop {
                let q = if cursor.is_empty() { q.clone() } else { format!("{q}&cursor={cursor}") };
                let r =
                    bitget_get(sb.bitget_url(), u, "/api/v3/account/financial-records", &q, None).await.unwrap().json();
                let list = r["data"]["list"].as_array().unwrap().clone();
                for x in &list {
                    ids.insert(format!("bitget/unified/unified:{word}:{}", x["id"].as_str().unwrap()));
                }
                if list.len() < 100 {
                    break;
                }
                cursor = r["data"]["cursor"].as_str().unwrap().to_string();
            }
        }
    }
    let expected: BTreeSet<String> = truth
        .iter()
        .filter(|i| {
            let words = ["trade", "fill", "funding", "borrow", "repay", "interest_repay", "interest"];
            words.iter().any(|w| i.starts_with(&format!("bitget/unified/unified:{w}:")))
        })
        .cloned()
        .collect();
    assert!(expected.len() > 50, "{}", expected.len());
    assert!(expected.iter().any(|i| i.contains(":interest_repay:")), "the margin loans are among them");
    assert_eq!(ids, expected);

    // classic futures bills: 30-day windows, idLessThan paging
    let g = sb.key(Venue::Bitget, "main").unwrap();
    let mut ids = BTreeSet::new();
    for w in 0..3 {
        let (a, b) = (now - (w + 1) * 30 * day + 1, now - w * 30 * day);
        let mut cursor: Option<String> = None;
        loop {
            let mut q = format!("endTime={b}&limit=100&productType=USDT-FUTURES&startTime={a}");
            if let Some(c) = &cursor {
                q.push_str(&format!("&idLessThan={c}"));
            }
            let r = bitget_get(sb.bitget_url(), g, "/api/v2/mix/account/bill", &q, None).await.unwrap().json();
            let bills = r["data"]["bills"].as_array().unwrap().clone();
            for x in &bills {
                let id = x["billId"].as_str().unwrap();
                match x["businessType"].as_str().unwrap() {
                    "contract_settle_fee" => {
                        ids.insert(format!("bitget/main/futures:bill:{id}"));
                    }
                    t if t.starts_with("open_") || t.starts_with("close_") => {
                        ids.insert(format!("bitget/main/futures:bill:{id}:fee"));
                        if dec(&x["amount"]) != Decimal::ZERO {
                            ids.insert(format!("bitget/main/futures:bill:{id}:pnl"));
                        }
                    }
                    _ => {}
                }
            }
            if bills.len() < 100 {
                break;
            }
            cursor = r["data"]["endId"].as_str().map(str::to_string);
        }
    }
    let expected: BTreeSet<String> =
        truth.iter().filter(|i| i.starts_with("bitget/main/futures:bill:")).cloned().collect();
    assert!(expected.len() > 50);
    assert_eq!(ids, expected);
}

#[tokio::test]
async fn klines_served_contain_every_fill_price() {
    let sb = Sandbox::start(SandboxConfig { seed: 13, size: Size::Small, ..Default::default() }).await.unwrap();
    let acc = sb.world().binance_account("main").unwrap();
    let mut checked = 0;
    for (sym, fills) in &acc.trades {
        if sb.world().binance_delisted.contains(sym) {
            // a pair exchangeInfo no longer lists has no market data either (docs/venues.md §1.6, "Delisted pairs")
            let q = format!("/api/v3/klines?symbol={sym}&interval=1m&limit=1");
            let k = request(sb.binance_spot_url(), "GET", &q, &[], b"", None).await.unwrap().json();
            assert_eq!(k["code"], -1121, "{k}");
            continue;
        }
        for f in fills.iter().step_by(9) {
            let minute = f.time - f.time.rem_euclid(60_000);
            let q = format!("/api/v3/klines?symbol={sym}&interval=1m&startTime={minute}&limit=1");
            let k = request(sb.binance_spot_url(), "GET", &q, &[], b"", None).await.unwrap().json();
            let row = &k[0];
            assert_eq!(row[0].as_i64(), Some(minute));
            let (high, low) = (dec(&row[2]), dec(&row[3]));
            assert!(low <= f.price && f.price <= high, "{sym} {} outside [{low}, {high}]", f.price);
            checked += 1;
        }
    }
    assert!(checked > 5);
    // a daily candle spans its minutes: high >= every fill of the day
    let (sym, fills) = acc.trades.iter().next().unwrap();
    let f = &fills[0];
    let day = f.time - f.time.rem_euclid(86_400_000);
    let k = request(
        sb.binance_spot_url(),
        "GET",
        &format!("/api/v3/klines?symbol={sym}&interval=1d&startTime={day}&limit=1"),
        &[],
        b"",
        None,
    )
    .await
    .unwrap()
    .json();
    assert!(dec(&k[0][2]) >= f.price && dec(&k[0][3]) <= f.price);
}

#[tokio::test]
async fn fiat_markets_for_valuation_the_usual_way_round_and_the_other() {
    let sb = Sandbox::start(SandboxConfig { seed: 13, size: Size::Tiny, ..Default::default() }).await.unwrap();
    let get = |url: &str, q: String| {
        let url = url.to_string();
        async move { request(&url, "GET", &q, &[], b"", None).await.unwrap() }
    };
    let day = sb.world().end - 86_400_000;
    let kline = |sym: &str| format!("/api/v3/klines?symbol={sym}&interval=1d&startTime={day}&limit=1");
    // Binance: EURUSDT is USDT per EUR (about 1.08), USDTTRY is TRY per USDT (about 34)
    let eur = get(sb.binance_spot_url(), kline("EURUSDT")).await.json();
    let eur_close = dec(&eur[0][4]);
    assert!(eur_close > Decimal::ONE && eur_close < Decimal::TWO, "{eur}");
    let usdt_try = get(sb.binance_spot_url(), kline("USDTTRY")).await.json();
    let try_close = dec(&usdt_try[0][4]);
    assert!(try_close > Decimal::from(20) && try_close < Decimal::from(50), "{usdt_try}");
    // the same answer for the same seed: deterministic
    assert_eq!(get(sb.binance_spot_url(), kline("EURUSDT")).await.json(), eur);
    // the other way round is not listed (-1121), nor is CHF on Binance: the chain's fallback goes to Bitget
    for sym in ["TRYUSDT", "USDTEUR", "USDTCHF", "CHFUSDT"] {
        let r = get(sb.binance_spot_url(), kline(sym)).await;
        assert_eq!((r.status, r.json()["code"].as_i64()), (400, Some(-1121)), "{sym}");
    }
    let candles = |sym: &str| {
        format!("/api/v2/spot/market/candles?symbol={sym}&granularity=1day&startTime={day}&endTime={day}&limit=1")
    };
    let chf = get(sb.bitget_url(), candles("USDTCHF")).await.json();
    let chf_close = dec(&chf["data"][0][4]);
    assert!(chf_close > Decimal::new(5, 1) && chf_close < Decimal::ONE, "{chf}");
    assert_eq!(get(sb.bitget_url(), candles("CHFUSDT")).await.json()["code"], "40034");
    // the ticker has the fiat markets, the exchange's symbol list does not (no account trades them)
    let ticker = get(sb.binance_spot_url(), "/api/v3/ticker/price".into()).await.json();
    let names: Vec<&str> = ticker.as_array().unwrap().iter().filter_map(|r| r["symbol"].as_str()).collect();
    assert!(names.contains(&"EURUSDT") && names.contains(&"USDTJPY"), "{names:?}");
    let info = get(sb.binance_spot_url(), "/api/v3/exchangeInfo".into()).await.json();
    assert!(!info["symbols"].as_array().unwrap().iter().any(|s| s["symbol"] == "EURUSDT"));
}
