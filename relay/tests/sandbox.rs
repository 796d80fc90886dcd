//! The sandbox's key registration (demo and tests only, `relay::sandbox`): served with `--sandbox`, a 404 without,
//! and never reachable through the allow-list under `/v1/`.

mod common;

use std::time::Duration;

use common::*;
use simvenues::generator::Size;
use simvenues::sandbox::{Sandbox, SandboxConfig};

const RFC8410: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";

async fn post(addr: std::net::SocketAddr, target: &str, body: &str) -> Resp {
    let req = format!(
        "POST {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    raw(addr, req.as_bytes(), Duration::from_secs(30)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_is_served_with_a_sandbox_only_and_never_under_v1() {
    let sb = Sandbox::start(SandboxConfig { seed: 3, size: Size::Tiny, ..Default::default() }).await.unwrap();
    let dir = std::env::temp_dir().join(format!("relay-sandbox-route-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    sb.write_dir(&dir).unwrap();
    let config = relay::Args { sandbox: Some(dir.clone()), ..Default::default() }.resolve(|_| None).unwrap();
    let relay = start_relay(config).await;
    let body = serde_json::json!({"publicKey": RFC8410, "ipList": ["127.0.0.2"]}).to_string();

    // under /v1/: the policy refuses it, whatever the method; the venue never hears of it
    for target in ["/v1/binance/sandbox/ed25519-keys", "/v1/binance/sandbox/binance/ed25519-keys"] {
        let r = post(relay.addr, target, &body).await;
        let j = r.json();
        assert_eq!((r.status, j["relay_reason"].as_str()), (400, Some("body_not_allowed")), "{}", r.text());
        for method in ["POST", "GET"] {
            let r = request(relay.addr, method, target, &[]).await;
            let j = r.json();
            let refused = (r.status, j["source"].as_str(), j["relay_reason"].as_str());
            assert_eq!(refused, (404, Some("relay"), Some("unknown_endpoint")), "{method} {target}: {}", r.text());
        }
    }
    assert!(sb.breaches().is_empty(), "{:?}", sb.breaches());

    // the sandbox route: a read-only key restricted to the given IPs
    let r = post(relay.addr, relay::sandbox::ROUTE, &body).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let answer = r.json();
    assert!(answer["apiKey"].as_str().is_some_and(|k| k.len() >= 8), "{answer}");
    assert_eq!(answer["ipList"], serde_json::json!(["127.0.0.2"]));
    assert_eq!(answer["apiRestrictions"]["enableWithdrawals"], serde_json::json!(false));
    // the venue's refusal passes through with its status and body
    let r = post(relay.addr, relay::sandbox::ROUTE, &body).await;
    assert_eq!((r.status, r.json()["code"].clone()), (400, serde_json::json!(-1130)), "{}", r.text());

    // a relay without a sandbox has no such route
    let plain = start_relay(relay::Config::default()).await;
    let r = post(plain.addr, relay::sandbox::ROUTE, &body).await;
    assert_eq!(r.status, 404, "{}", r.text());
    std::fs::remove_dir_all(dir).unwrap();
}

/// COIN-M reads go to the dapi host the sandbox file names (docs/venues.md §1.14), signed as the app signs them; its
/// order and leverage writes are refused by the relay and never reach the venue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coin_m_reads_reach_the_dapi_host_and_its_writes_do_not() {
    use simvenues::keys::{KeyType, Venue};
    let sb = Sandbox::start(SandboxConfig { seed: 5, size: Size::Tiny, ..Default::default() }).await.unwrap();
    let dir = std::env::temp_dir().join(format!("relay-sandbox-dapi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    sb.write_dir(&dir).unwrap();
    let config = relay::Args { sandbox: Some(dir.clone()), ..Default::default() }.resolve(|_| None).unwrap();
    assert_eq!(config.upstreams[&catalogue::Host::BinanceCoinFutures].base(), sb.binance_coin_futures_url());
    let relay = start_relay(config).await;
    let key = sb
        .keys()
        .iter()
        .find(|k| k.venue == Venue::Binance && k.key_type == KeyType::HmacSha256 && k.ip_allow.is_empty())
        .expect("an HMAC Binance key without IP restriction")
        .clone();
    let q = simvenues::client::binance_signed_query(&key, "", simvenues::http::now_ms());
    let target = format!("/v1/binance/dapi/v1/balance?{q}");
    let r = request(relay.addr, "GET", &target, &[("X-MBX-APIKEY", key.api_key.as_str())]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let coins: Vec<String> =
        r.json().as_array().unwrap().iter().map(|b| b["asset"].as_str().unwrap().to_owned()).collect();
    assert_eq!(coins, ["BTC", "ETH"], "the COIN-M wallet, from the simulated dapi server");
    assert!(r.header("x-mbx-used-weight-1m").is_some(), "the dapi weight header passes");
    let r = request(relay.addr, "GET", "/v1/binance/dapi/v1/exchangeInfo", &[]).await;
    assert_eq!((r.status, r.json()["symbols"][0]["contractSize"].as_u64()), (200, Some(100)), "{}", r.text());
    for path in ["/dapi/v1/order", "/dapi/v1/leverage", "/dapi/v1/marginType", "/dapi/v1/positionMargin"] {
        let r = request(relay.addr, "POST", &format!("/v1/binance{path}?{q}"), &[("X-MBX-APIKEY", &key.api_key)]).await;
        assert_eq!(r.json()["source"].as_str(), Some("relay"), "{path}: {}", r.text());
        assert!(r.status >= 400, "{path}: {}", r.text());
    }
    assert!(sb.breaches().is_empty(), "{:?}", sb.breaches());
    std::fs::remove_dir_all(dir).unwrap();
}
