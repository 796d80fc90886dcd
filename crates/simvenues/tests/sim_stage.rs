//! The world as of an earlier venue time: rows up to then, balances and positions at then, and the sandbox serving
//! it on a clock set to then.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::Value;
use simvenues::client::{binance_signed_query, bitget_headers, request};
use simvenues::generator::{Size, World};
use simvenues::http::now_ms;
use simvenues::keys::Venue;
use simvenues::market::{DAY, HOUR};
use simvenues::sandbox::{Sandbox, SandboxConfig};
use simvenues::stage::as_of;
use simvenues::truth;

const ANCHOR: i64 = 1_780_000_000_000;

#[test]
fn the_world_as_of_a_time_is_its_history_up_to_then() {
    for (seed, size) in [(3, Size::Tiny), (4, Size::Small)] {
        let world = World::generate(seed, size, ANCHOR);
        let all = truth::ledger(&world);
        // after the last row: the same world
        let whole = as_of(&world, world.end + DAY);
        assert_eq!(truth::ledger(&whole), all);
        assert_eq!(truth::balances(&whole), truth::balances(&world));
        for (a, b) in whole.binance.iter().zip(&world.binance) {
            assert_eq!(a.positions, b.positions, "binance/{}", a.label);
            assert_eq!(a.wallets.keys().collect::<Vec<_>>(), b.wallets.keys().collect::<Vec<_>>());
        }
        for (a, b) in whole.bitget.iter().zip(&world.bitget) {
            assert_eq!(a.positions, b.positions, "bitget/{}", a.label);
        }
        // at earlier times: the ledger up to then, and balances that never went negative (but a margin or loan
        // wallet's)
        let mut t = world.start;
        while t < world.end {
            let cut = as_of(&world, t);
            let events = truth::ledger(&cut);
            // a copied order's opening fill is known once the order closes: the venue lists closed orders only
            let closes_later = |id: &str| {
                let close = id.replace(":copy_open:", ":copy_close:");
                id.contains(":copy_open:") && all.iter().any(|c| c.id == close && c.time.0 > t)
            };
            let expected: Vec<_> = all.iter().filter(|e| e.time.0 <= t && !closes_later(&e.id)).cloned().collect();
            assert_eq!(events, expected, "at {t}");
            for (account, assets) in truth::balances(&cut) {
                // a margin wallet is net of what it owes: a borrowed asset sold is negative until bought back; so is
                // a crypto loan's wallet while the loan is open (docs/venues.md §2.17)
                let margin =
                    account.ends_with("/margin") || account.contains("/isolated-") || account.ends_with("/loan");
                for (asset, v) in assets.into_iter().filter(|_| !margin) {
                    assert!(v > Decimal::ZERO, "{account} {asset} {v} at {t}");
                }
            }
            t += 7 * HOUR + 13;
        }
    }
}

fn dec(v: &Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn the_sandbox_serves_an_earlier_time_on_a_clock_stopped_at_it() {
    let sb = Sandbox::start(SandboxConfig { seed: 6, size: Size::Tiny, ..Default::default() }).await.unwrap();
    let t = sb.world().end - 2 * DAY;
    sb.set_as_of(Some(t));
    let served = sb.served();
    let truth_b = sb.truth_balances();
    assert_eq!(truth_b, truth::balances(&as_of(sb.world(), t)));
    assert!(truth::ledger(&served).iter().all(|e| e.time.0 <= t));
    // the venues' clock reads t, and stays there until moved on
    for _ in 0..2 {
        let r = request(sb.binance_spot_url(), "GET", "/api/v3/time", &[], b"", None).await.unwrap().json();
        assert_eq!(r["serverTime"].as_i64().unwrap(), t);
        let r = request(sb.bitget_url(), "GET", "/api/v2/public/time", &[], b"", None).await.unwrap().json();
        assert_eq!(r["data"]["serverTime"].as_str().unwrap(), t.to_string());
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!((sb.clock(), sb.advance_clock(1_000), sb.clock()), (t, t + 1_000, t + 1_000));
    let r = request(sb.binance_spot_url(), "GET", "/api/v3/time", &[], b"", None).await.unwrap().json();
    assert_eq!(r["serverTime"].as_i64().unwrap(), t + 1_000);
    sb.set_as_of(Some(t));
    // signed requests are stamped in venue time, and see the balances and rows as of t
    let k = sb.keys().iter().find(|k| k.venue == Venue::Binance && k.label == "main").unwrap().clone();
    let q = binance_signed_query(&k, "omitZeroBalances=true", t);
    let head = [("X-MBX-APIKEY".to_string(), k.api_key.clone())];
    let r = request(sb.binance_spot_url(), "GET", &format!("/api/v3/account?{q}"), &head, b"", None).await.unwrap();
    let spot: BTreeMap<String, Decimal> = r.json()["balances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["asset"].as_str().unwrap().to_string(), dec(&b["free"]) + dec(&b["locked"])))
        .collect();
    assert_eq!(spot, truth_b["binance/main/spot"]);
    let symbol = served.binance[0].trades.keys().next().expect("a traded symbol").to_string();
    let q = binance_signed_query(&k, &format!("symbol={symbol}&fromId=0&limit=1000"), t);
    let r = request(sb.binance_spot_url(), "GET", &format!("/api/v3/myTrades?{q}"), &head, b"", None).await.unwrap();
    let rows = r.json();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), served.binance[0].trades[symbol.as_str()].len());
    assert!(rows.len() < sb.world().binance[0].trades[symbol.as_str()].len() || rows.is_empty());
    assert!(rows.iter().all(|r| r["time"].as_i64().unwrap() <= t));
    // Bitget too
    let g = sb.key(Venue::Bitget, "main").unwrap();
    let h = bitget_headers(g, t, "GET", "/api/v2/spot/account/assets", "", "");
    let r = request(sb.bitget_url(), "GET", "/api/v2/spot/account/assets", &h, b"", None).await.unwrap().json();
    let bspot: BTreeMap<String, Decimal> = r["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["coin"].as_str().unwrap().to_string(), dec(&b["available"])))
        .filter(|(_, v)| !v.is_zero())
        .collect();
    assert_eq!(bspot, truth_b["bitget/main/spot"]);
    // and back to the whole history on the system clock
    sb.set_as_of(None);
    let r = request(sb.binance_spot_url(), "GET", "/api/v3/time", &[], b"", None).await.unwrap().json();
    assert!(r["serverTime"].as_i64().unwrap() >= now_ms() - 60_000, "the system clock again");
    assert!(sb.advance_clock(1_000) < now_ms() + 1_000, "a running clock is not moved");
    assert_eq!(sb.truth_balances(), truth::balances(sb.world()));
}
