//! The simulated Bitget's Earn crypto loans (docs/venues.md §2.17): the pages' shapes (`data` a list), the required
//! window of the loan history and repays (three months at most), `pageNo` paging, a loan taken against BTC and repaid
//! with its interest and a second one still open.

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
async fn a_loan_repaid_with_interest_and_one_open_in_the_documented_shapes() {
    let mut cfg = SandboxConfig { seed: 4, size: Size::Small, ..Default::default() };
    cfg.limits.bitget_limit_factor = 1000;
    let sb = Sandbox::start(cfg).await.unwrap();
    const HISTORY: &str = "/api/v2/earn/loan/borrow-history";
    const REPAYS: &str = "/api/v2/earn/loan/repay-history";
    let now = now_ms();
    for path in [HISTORY, REPAYS] {
        assert_eq!(get(&sb, path, "").await["msg"], json!("Parameter startTime cannot be empty"), "{path}");
        let v = get(&sb, path, &format!("endTime={now}&startTime={}", now - 91 * DAY)).await;
        assert_eq!(v["code"], json!("00001"), "{path}: three months at most: {v}");
    }
    let window = format!("endTime={now}&startTime={}", now - 89 * DAY);
    // the open loan: BTC pledged, USDT owed, its interest accrued so far
    let open = get(&sb, "/api/v2/earn/loan/ongoing-orders", "").await;
    let open = open["data"].as_array().unwrap_or_else(|| panic!("{open}")).clone();
    assert_eq!(open.len(), 1, "{open:?}");
    let o = &open[0];
    assert_eq!((&o["loanCoin"], &o["pledgeCoin"]), (&json!("USDT"), &json!("BTC")));
    assert!(dec(&o["loanAmount"]) > Decimal::ZERO && dec(&o["pledgeAmount"]) > Decimal::ZERO, "{o}");
    assert!(dec(&o["interestAmount"]) > Decimal::ZERO && o["borrowTime"].is_string(), "{o}");
    let by_id =
        get(&sb, "/api/v2/earn/loan/ongoing-orders", &format!("orderId={}", o["orderId"].as_str().unwrap())).await;
    assert_eq!(by_id["data"].as_array().unwrap().len(), 1);
    assert_eq!(get(&sb, "/api/v2/earn/loan/ongoing-orders", "loanCoin=ETH").await["data"], json!([]));
    // the loan repaid: in the history (not the open one), and its repay
    let history = get(&sb, HISTORY, &window).await;
    let history = history["data"].as_array().unwrap_or_else(|| panic!("{history}")).clone();
    assert_eq!(history.len(), 1, "{history:?}");
    let h = &history[0];
    assert_eq!(h["status"], json!("REPAY"));
    assert_ne!(h["orderId"], o["orderId"]);
    let repays = get(&sb, REPAYS, &window).await;
    let repays = repays["data"].as_array().unwrap_or_else(|| panic!("{repays}")).clone();
    assert_eq!(repays.len(), 1, "{repays:?}");
    let r = &repays[0];
    assert_eq!(r["orderId"], h["orderId"]);
    assert_eq!(dec(&r["repayLoanAmount"]), dec(&h["initLoanAmount"]), "repaid whole");
    assert_eq!(dec(&r["repayUnlockAmount"]), dec(&h["initPledgeAmount"]), "the collateral released");
    assert!(dec(&r["payInterest"]) > Decimal::ZERO, "{r}");
    assert_eq!(dec(&r["repayAmount"]), dec(&r["repayLoanAmount"]) + dec(&r["payInterest"]));
    assert!(r["repayTime"].as_str().unwrap() > h["borrowTime"].as_str().unwrap());
    // page numbers: a page of one, then none
    let second = get(&sb, HISTORY, &format!("{window}&pageNo=2&pageSize=1")).await;
    assert_eq!(second["data"], json!([]));
    let first = get(&sb, HISTORY, &format!("{window}&pageNo=1&pageSize=1")).await;
    assert_eq!(first["data"].as_array().unwrap().len(), 1);
    assert_eq!(get(&sb, HISTORY, &format!("{window}&status=FORCE")).await["data"], json!([]));
}
