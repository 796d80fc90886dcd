//! The simulated Bitget's Earn savings (docs/venues.md §2.14): the documented shapes (`{resultList, endId}`), the
//! required `periodType`, `idLessThan` paging by `endId`, the holdings as what the records leave, and the spot tax
//! record's rows of the same changes.

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
async fn savings_pages_follow_the_documented_shapes() {
    let mut cfg = SandboxConfig { seed: 4, size: Size::Small, ..Default::default() };
    cfg.limits.bitget_limit_factor = 1000;
    let sb = Sandbox::start(cfg).await.unwrap();
    for path in ["/api/v2/earn/savings/records", "/api/v2/earn/savings/assets"] {
        assert_eq!(get(&sb, path, "").await["msg"], json!("Parameter periodType cannot be empty"), "{path}");
        let fixed = get(&sb, path, "periodType=fixed").await;
        assert_eq!(fixed["data"], json!({"resultList": [], "endId": ""}), "{path}: no fixed-term product");
    }
    let now = now_ms();
    let v = get(
        &sb,
        "/api/v2/earn/savings/records",
        &format!("endTime={now}&periodType=flexible&startTime={}", now - 91 * DAY),
    )
    .await;
    assert_eq!(v["code"], json!("00001"), "three months at most: {v}");
    // every record, two at a time by `endId`, each once, newest first
    let (mut net, mut interest) = (BTreeMap::<String, Decimal>::new(), BTreeMap::<String, Decimal>::new());
    let (mut cursor, mut ids) = (String::new(), Vec::<u64>::new());
    loop {
        let v = get(&sb, "/api/v2/earn/savings/records", &format!("{cursor}limit=2&periodType=flexible")).await;
        let data = &v["data"];
        let rows = data["resultList"].as_array().unwrap_or_else(|| panic!("{v}")).clone();
        let page: Vec<u64> = rows.iter().map(|r| r["orderId"].as_str().unwrap().parse().unwrap()).collect();
        assert!(page.windows(2).all(|w| w[0] > w[1]), "newest first: {page:?}");
        for r in &rows {
            assert_eq!((&r["productType"], &r["coinName"]), (&json!("flexible"), &r["settleCoinName"]), "{r}");
            let (coin, amount) = (r["coinName"].as_str().unwrap().to_string(), dec(&r["amount"]));
            match r["orderType"].as_str().unwrap() {
                "subscribe" => *net.entry(coin).or_default() += amount,
                "redeem" => *net.entry(coin).or_default() -= amount,
                "pay_interest" => *interest.entry(coin).or_default() += amount,
                other => panic!("{other}"),
            }
            assert!(amount > Decimal::ZERO && r["ts"].is_string(), "{r}");
        }
        ids.extend(&page);
        if rows.len() < 2 {
            break;
        }
        assert_eq!(data["endId"].as_str(), Some(page[1].to_string().as_str()), "endId is the page's smallest id");
        cursor = format!("idLessThan={}&", page[1]);
    }
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(unique.len(), ids.len());
    assert!(
        net.contains_key("USDT") && interest.get("USDT").is_some_and(|i| *i > Decimal::ZERO),
        "{net:?} {interest:?}"
    );
    // the holdings are what the records left in them
    let v = get(&sb, "/api/v2/earn/savings/assets", "periodType=flexible").await;
    let held: BTreeMap<String, Decimal> = v["data"]["resultList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["productCoin"].as_str().unwrap().to_string(), dec(&h["holdAmount"])))
        .collect();
    net.retain(|_, v| !v.is_zero());
    assert_eq!(held, net);
    // the spot tax record lists each change with its type, interest as `Interest`
    let mut tax = BTreeMap::<(String, String), Decimal>::new();
    for w in 0..3 {
        let (start, end) = (now - (w + 1) * 30 * DAY + 1, now - w * 30 * DAY);
        let v = get(&sb, "/api/v2/tax/spot-record", &format!("endTime={end}&limit=500&startTime={start}")).await;
        let rows = v["data"].as_array().unwrap();
        assert!(rows.len() < 500, "one page a window");
        for r in rows {
            let ty = r["spotTaxType"].as_str().unwrap();
            // the savings records' rows (shark fin's have the same types, docs/venues.md §2.16)
            let id: u64 = r["id"].as_str().unwrap().parse().unwrap();
            if ["Subscribe", "Redemption", "Interest"].contains(&ty) && ids.contains(&id) {
                *tax.entry((r["coin"].as_str().unwrap().to_string(), ty.to_string())).or_default() += dec(&r["amount"]);
            }
        }
    }
    for (coin, i) in &interest {
        assert_eq!(tax.get(&(coin.clone(), "Interest".to_string())), Some(i), "{coin}");
    }
    let moved: Decimal = tax.iter().filter(|((c, t), _)| c == "USDT" && t != "Interest").map(|(_, v)| *v).sum();
    assert_eq!(-moved, net["USDT"], "Subscribe out of spot, Redemption back");
}
