//! The simulated Bitget's tax records and COIN-M and USDC-M futures (docs/venues.md §2.12, §2.13): the documented
//! shapes, the required window of at most 30 days, `idLessThan` paging, every product type's own book, and the
//! income only the tax records show.

use serde_json::{Value, json};
use simvenues::client::bitget_get;
use simvenues::generator::Size;
use simvenues::http::now_ms;
use simvenues::keys::Venue;
use simvenues::sandbox::{Sandbox, SandboxConfig};

const DAY: i64 = 86_400_000;

/// A sandbox whose Bitget answers a thousand times its documented per-UID rate, so that this test reads the tax
/// records (1 a second) without waiting; the rate itself is the catalogue's, compared in `bitget/mod.rs`.
async fn sandbox() -> Sandbox {
    let mut cfg = SandboxConfig { seed: 4, size: Size::Small, ..Default::default() };
    cfg.limits.bitget_limit_factor = 1000;
    Sandbox::start(cfg).await.unwrap()
}

async fn get(sb: &Sandbox, path: &str, q: &str) -> Value {
    let k = sb.key(Venue::Bitget, "main").unwrap().clone();
    let r = bitget_get(sb.bitget_url(), &k, path, q, None).await.unwrap();
    r.json()
}

#[tokio::test]
async fn tax_records_window_paging_and_types() {
    let sb = sandbox().await;
    let now = now_ms();
    let v = get(&sb, "/api/v2/tax/spot-record", "").await;
    assert_eq!(v["msg"], json!("Parameter startTime cannot be empty"));
    let v = get(&sb, "/api/v2/tax/spot-record", &format!("endTime={now}&startTime={}", now - 31 * DAY)).await;
    assert_eq!(v["code"], json!("00001"), "{v}");
    // every row of 90 days, two at a time by idLessThan, each once, newest first within a page
    let mut types = Vec::new();
    let mut ids: Vec<u64> = Vec::new();
    for w in 0..3 {
        let (start, end) = (now - (w + 1) * 30 * DAY + 1, now - w * 30 * DAY);
        let mut cursor = String::new();
        loop {
            let v = get(&sb, "/api/v2/tax/spot-record", &format!("endTime={end}{cursor}&limit=200&startTime={start}"))
                .await;
            let rows = v["data"].as_array().unwrap().clone();
            for r in &rows {
                assert!(r["amount"].is_string() && r["fee"].is_string() && r["ts"].is_string(), "{r}");
                types.push(r["spotTaxType"].as_str().unwrap().to_string());
                ids.push(r["id"].as_str().unwrap().parse().unwrap());
            }
            let page: Vec<u64> = rows.iter().map(|r| r["id"].as_str().unwrap().parse().unwrap()).collect();
            assert!(page.windows(2).all(|w| w[0] > w[1]), "newest first: {page:?}");
            if rows.len() < 200 {
                break;
            }
            cursor = format!("&idLessThan={}", page.last().unwrap());
        }
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "no row twice");
    for ty in [
        "Deposit",
        "Buy",
        "Sell",
        "Transfer out",
        "Exchange spending",
        "Exchange income",
        "Airdrop Reward-A",
        "Rebate rewards",
    ] {
        assert!(
            types.iter().any(|t| t == ty),
            "{ty} missing from {:?}",
            types.iter().collect::<std::collections::BTreeSet<_>>()
        );
    }
    // the futures record per product type, in its margin coin; margin and P2P: none generated
    let q = format!("endTime={now}&startTime={}", now - 30 * DAY + 1);
    for (pt, coin) in [("USDT-FUTURES", "USDT"), ("COIN-FUTURES", "BTC"), ("USDC-FUTURES", "USDC")] {
        let v = get(&sb, "/api/v2/tax/future-record", &format!("{q}&productType={pt}")).await;
        let rows = v["data"].as_array().unwrap();
        assert!(rows.iter().all(|r| r["marginCoin"] == json!(coin)), "{pt}: {v}");
    }
    // cross margin (docs/venues.md §2.15): the finance flow's rows, a repay's interest apart; its BTC nets out
    // (borrowed, sold, bought back with the interest, repaid); isolated margin and P2P: none generated
    let v = get(&sb, "/api/v2/tax/margin-record", &format!("{q}&marginType=crossed")).await;
    let rows = v["data"].as_array().unwrap();
    let types: std::collections::BTreeSet<&str> = rows.iter().map(|r| r["marginTaxType"].as_str().unwrap()).collect();
    let expected = ["borrow", "deal_in", "deal_out", "interest_repay", "repay", "transfer_in", "transfer_out"];
    assert_eq!(types, expected.into_iter().collect(), "{v}");
    let btc: rust_decimal::Decimal = rows
        .iter()
        .filter(|r| r["coin"] == json!("BTC"))
        .map(|r| r["amount"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap())
        .sum();
    assert!(btc.is_zero(), "BTC nets out: {btc}");
    // isolated margin (docs/venues.md §2.18): the pair's flow in its own rows, each naming the pair; its BTC nets
    // out too, and none of its rows is a cross one
    let isolated = get(&sb, "/api/v2/tax/margin-record", &format!("{q}&marginType=isolated")).await;
    let iso = isolated["data"].as_array().unwrap();
    assert!(iso.iter().all(|r| r["symbol"] == json!("BTCUSDT")), "{isolated}");
    let types: std::collections::BTreeSet<&str> = iso.iter().map(|r| r["marginTaxType"].as_str().unwrap()).collect();
    assert_eq!(types, expected.into_iter().collect(), "{isolated}");
    let ids = |rows: &[serde_json::Value]| -> std::collections::BTreeSet<String> {
        rows.iter().map(|r| r["id"].as_str().unwrap().to_string()).collect()
    };
    assert!(ids(iso).is_disjoint(&ids(rows)));
    let btc: rust_decimal::Decimal = iso
        .iter()
        .filter(|r| r["coin"] == json!("BTC"))
        .map(|r| r["amount"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap())
        .sum();
    assert!(btc.is_zero(), "BTC nets out: {btc}");
    assert_eq!(get(&sb, "/api/v2/tax/p2p-record", &q).await["data"], json!([]));
}

#[tokio::test]
async fn coin_m_and_usdc_m_are_books_of_their_own() {
    let sb = sandbox().await;
    for (pt, coin, symbol) in [("COIN-FUTURES", "BTC", "BTCUSD"), ("USDC-FUTURES", "USDC", "BTCPERP")] {
        let v = get(&sb, "/api/v2/mix/account/accounts", &format!("productType={pt}")).await;
        assert_eq!(v["data"][0]["marginCoin"], json!(coin), "{v}");
        let v = get(&sb, "/api/v2/mix/position/all-position", &format!("productType={pt}")).await;
        let p = &v["data"][0];
        assert_eq!(
            (p["symbol"].as_str(), p["marginCoin"].as_str(), p["total"].as_str()),
            (Some(symbol), Some(coin), Some("0.01"))
        );
        let q = format!("endTime={}&productType={pt}&startTime={}", now_ms(), now_ms() - 30 * DAY + 1);
        let v = get(&sb, "/api/v2/mix/account/bill", &q).await;
        let bills = v["data"]["bills"].as_array().unwrap();
        assert!(bills.iter().all(|b| b["coin"] == json!(coin)), "{v}");
    }
    // a product type the account never used answers nothing
    let v = get(&sb, "/api/v2/mix/account/accounts", "productType=SUSDT-FUTURES").await;
    assert_eq!(v["data"], json!([]));
}
