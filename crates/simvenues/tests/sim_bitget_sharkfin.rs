//! The simulated Bitget's Earn shark fin (docs/venues.md §2.16): the records in the documented shape
//! (`{resultList, endId}`, `type` required, `idLessThan` paging by `endId`, newest first), a product subscribed and
//! settled with interest and one still running, the Earn overview as the savings and shark fin holdings together,
//! and the spot tax record's rows of the same changes.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use simvenues::client::bitget_get;
use simvenues::generator::Size;
use simvenues::http::now_ms;
use simvenues::keys::Venue;
use simvenues::sandbox::{Sandbox, SandboxConfig};

const DAY: i64 = 86_400_000;

async fn get(sb: &Sandbox, path: &str, q: &str) -> Value {
    let k = sb.key(Venue::Bitget, "main").unwrap().clone();
    bitget_get(sb.bitget_url(), &k, path, q, None).await.unwrap().json()
}

fn dec(v: &Value) -> Decimal {
    v.as_str().unwrap_or_else(|| panic!("{v} is not a string")).parse().unwrap()
}

#[tokio::test]
async fn sharkfin_records_and_the_earn_overview_follow_the_documented_shapes() {
    let mut cfg = SandboxConfig { seed: 4, size: Size::Small, ..Default::default() };
    cfg.limits.bitget_limit_factor = 1000;
    let sb = Sandbox::start(cfg).await.unwrap();
    const RECORDS: &str = "/api/v2/earn/sharkfin/records";
    assert_eq!(get(&sb, RECORDS, "").await["msg"], json!("Parameter type cannot be empty"));
    assert_eq!(get(&sb, RECORDS, "type=bonus").await["code"], json!("40017"), "an unknown type is refused");
    let now = now_ms();
    let v = get(&sb, RECORDS, &format!("endTime={now}&startTime={}&type=interest", now - 91 * DAY)).await;
    assert_eq!(v["code"], json!("00001"), "three months at most: {v}");
    // every record of each type, one at a time by `endId`, newest first
    let mut rows_of: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    let mut ids = Vec::<u64>::new();
    for ty in ["subscription", "redemption", "interest"] {
        let mut cursor = String::new();
        loop {
            let v = get(&sb, RECORDS, &format!("{cursor}limit=1&type={ty}")).await;
            let rows = v["data"]["resultList"].as_array().unwrap_or_else(|| panic!("{v}")).clone();
            for r in &rows {
                assert_eq!(r["type"], json!(ty), "{r}");
                assert!(r["product"].as_str().unwrap().starts_with("USDT/BTC_"), "{r}");
                assert!(dec(&r["amount"]) > Decimal::ZERO && r["ts"].is_string() && r["period"].is_string(), "{r}");
                let id: u64 = r["orderId"].as_str().unwrap().parse().unwrap();
                assert_eq!(v["data"]["endId"], json!(id.to_string()), "endId is the page's smallest id");
                ids.push(id);
                cursor = format!("idLessThan={id}&");
            }
            rows_of.entry(ty).or_default().extend(rows.iter().cloned());
            if rows.is_empty() {
                assert_eq!(v["data"]["endId"], json!(""));
                break;
            }
        }
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "each record once");
    let (subs, reds, ints) = (&rows_of["subscription"], &rows_of["redemption"], &rows_of["interest"]);
    assert_eq!((subs.len(), reds.len(), ints.len()), (2, 1, 1), "two products, the first settled with interest");
    // the settled product: its principal back and its interest at the same time, the product's name
    let first = subs.iter().find(|s| s["product"] == reds[0]["product"]).expect("the settled product");
    assert_eq!(dec(&first["amount"]), dec(&reds[0]["amount"]));
    assert_eq!((&reds[0]["ts"], &reds[0]["product"]), (&ints[0]["ts"], &ints[0]["product"]));
    let running = subs.iter().find(|s| s["product"] != reds[0]["product"]).expect("the running product");
    let held = dec(&running["amount"]);
    // the overview: the savings holdings and the running shark fin product together
    let savings = get(&sb, "/api/v2/earn/savings/assets", "periodType=flexible").await;
    let saved: Decimal = savings["data"]["resultList"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["productCoin"] == json!("USDT"))
        .map(|h| dec(&h["holdAmount"]))
        .sum();
    let overview = get(&sb, "/api/v2/earn/account/assets", "").await;
    let usdt = overview["data"].as_array().unwrap().iter().find(|r| r["coin"] == json!("USDT")).unwrap();
    assert_eq!(dec(&usdt["amount"]), saved + held, "{overview}");
    let only_btc = get(&sb, "/api/v2/earn/account/assets", "coin=BTC").await;
    assert!(only_btc["data"].as_array().unwrap().iter().all(|r| r["coin"] == json!("BTC")), "{only_btc}");
    // the spot tax record lists each change with the savings' types, signed as it moves spot
    let mut tax = BTreeMap::<u64, (String, Decimal)>::new();
    for w in 0..3 {
        let (start, end) = (now - (w + 1) * 30 * DAY + 1, now - w * 30 * DAY);
        let v = get(&sb, "/api/v2/tax/spot-record", &format!("endTime={end}&limit=500&startTime={start}")).await;
        for r in v["data"].as_array().unwrap() {
            let id: u64 = r["id"].as_str().unwrap().parse().unwrap();
            if ids.contains(&id) {
                tax.insert(id, (r["spotTaxType"].as_str().unwrap().to_string(), dec(&r["amount"])));
            }
        }
    }
    for (ty, tax_type, sign) in
        [("subscription", "Subscribe", -1), ("redemption", "Redemption", 1), ("interest", "Interest", 1)]
    {
        for r in &rows_of[ty] {
            let id: u64 = r["orderId"].as_str().unwrap().parse().unwrap();
            assert_eq!(tax.get(&id), Some(&(tax_type.to_string(), dec(&r["amount"]) * Decimal::from(sign))), "{r}");
        }
    }
}
