//! Fairness between the relay's users, end to end (docs/relay.md, Fairness and Back-off): made-up keys add no
//! identity, and one user's own account limit backs off that user's key, not the egress IP.
//!
//! - `made_up_keys_do_not_starve_honest_users`: one client address sends 260 cheap public reads under a new made-up
//!   `X-MBX-APIKEY` each on spot, and 70 on futures, over one keep-alive connection; honest users on another
//!   address still get `/api/v3/account`, `myTrades` and `/fapi/v1/income`. (Before identities were tied to
//!   addresses and accepted keys, each made-up key was a client of its own, every share fell below 20, and the
//!   honest reads were answered 429 `fair_share`.)
//! - `an_accounts_own_limit_backs_off_only_its_key`: against the simulated Binance, eleven withdrawal-history reads
//!   with one key (18,000 of the account's 180,000 UID weight a minute each): the relay serves eight and refuses
//!   the rest for that key only (`account_budget_exhausted`); the account used up elsewhere, the same key through a
//!   second relay draws the venue's own 429 on the UID weight, which backs off that key on that limiter only; another user's reads on the same
//!   egress IP, the withdrawal history included, are served throughout; a real per-IP 429 (the spot weight) still
//!   backs off the IP for everyone. (Before, the venue's 429 blocked the egress IP's whole host for everyone.)

mod common;

use std::net::{IpAddr, SocketAddr};

use common::*;
use simvenues::keys::{DemoKey, KeyType, Profile, Venue};
use simvenues::sandbox::{Sandbox, SandboxConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends every target on one keep-alive connection from `from` (pipelined, the last with `Connection: close`), each
/// with its own header line; the statuses, in order.
async fn pipelined(from: IpAddr, to: SocketAddr, requests: &[(String, String)]) -> Vec<u16> {
    let mut s = connect_from(from, to).await;
    let mut bytes = Vec::new();
    for (i, (target, header)) in requests.iter().enumerate() {
        let close = if i + 1 == requests.len() { "Connection: close\r\n" } else { "" };
        bytes.extend_from_slice(format!("GET {target} HTTP/1.1\r\nHost: relay\r\n{header}\r\n{close}\r\n").as_bytes());
    }
    s.write_all(&bytes).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(HANG, s.read_to_end(&mut raw)).await.expect("the relay never closed").unwrap();
    let text = String::from_utf8_lossy(&raw);
    let statuses: Vec<u16> = text
        .match_indices("HTTP/1.1 ")
        .filter(|(i, _)| *i == 0 || text[..*i].ends_with('}'))
        .filter_map(|(i, _)| text[i + 9..i + 12].parse().ok())
        .collect();
    assert_eq!(statuses.len(), requests.len(), "{text}");
    statuses
}

/// What the honest users got while an adversary flooded the relay with made-up keys, or `None` when the run
/// straddled a minute (the budget's windows turned, and the run means nothing).
async fn flood_then_honest() -> Option<Vec<Resp>> {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let relay = start_relay(config_for(&up)).await;
    let minute = relay::now_ms() / 60_000;
    let adversary = IpAddr::from([127, 0, 0, 5]);
    let mut flood: Vec<(String, String)> =
        (0..260).map(|i| ("/v1/binance/api/v3/time".into(), format!("X-MBX-APIKEY: madeup{i:05}"))).collect();
    flood.extend((0..70).map(|i| ("/v1/binance/fapi/v1/time".into(), format!("X-MBX-APIKEY: futures{i:05}"))));
    let statuses = pipelined(adversary, relay.addr, &flood).await;
    assert!(statuses.iter().all(|s| *s == 200), "the flood's cheap reads are within one address's half");
    let mut honest = Vec::new();
    for (i, target) in [
        "/v1/binance/api/v3/account?timestamp=1&signature=s",
        "/v1/binance/api/v3/myTrades?symbol=BTCUSDT&timestamp=1&signature=s",
        "/v1/binance/fapi/v1/income?timestamp=1&signature=s",
    ]
    .into_iter()
    .enumerate()
    {
        for user in 0..2 {
            let key = format!("honest{user}key{i}");
            honest.push(get(relay.addr, target, &[("X-MBX-APIKEY", &key)]).await);
        }
    }
    (relay::now_ms() / 60_000 == minute).then_some(honest)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn made_up_keys_do_not_starve_honest_users() {
    let mut runs = 0;
    let honest = loop {
        runs += 1;
        match flood_then_honest().await {
            Some(h) => break h,
            None => assert!(runs < 3, "every run straddled a minute"),
        }
    };
    for r in &honest {
        assert_eq!(r.status, 200, "an honest user was starved: {}", r.text());
    }
}

/// Two read-only HMAC keys of different simulated Binance accounts, usable from any IP.
fn two_accounts(sb: &Sandbox) -> (DemoKey, DemoKey) {
    let usable = |k: &&DemoKey| {
        k.venue == Venue::Binance
            && k.permissions == Profile::ReadOnly
            && k.key_type == KeyType::HmacSha256
            && k.ip_allow.is_empty()
    };
    let first = sb.keys().iter().find(usable).expect("a read-only Binance key").clone();
    let second = sb.keys().iter().filter(usable).find(|k| k.label != first.label).expect("a second account").clone();
    (first, second)
}

/// A signed Binance read through the relay from 127.0.0.1.
async fn signed(relay: &Running, key: &DemoKey, path: &str, query: &str) -> Resp {
    let q = simvenues::client::binance_signed_query(key, query, simvenues::http::now_ms());
    get(relay.addr, &format!("/v1/binance{path}?{q}"), &[("X-MBX-APIKEY", &key.api_key)]).await
}

const WITHDRAWALS: &str = "/sapi/v1/capital/withdraw/history";

/// One round against a fresh simulated Binance and relay; `None` when it straddled a minute (both sides' weight
/// windows turn with the clock minute).
async fn own_limit_round() -> Option<()> {
    // The spot weight a tenth of Binance's, so that one user's heavy reads reach it within their share of the relay.
    let limits = simvenues::ratelimit::Limits { binance_api_weight: 600, ..Default::default() };
    let sb = Sandbox::start(SandboxConfig {
        seed: 5,
        size: simvenues::generator::Size::Small,
        limits,
        ..Default::default()
    })
    .await
    .unwrap();
    let (me, other) = two_accounts(&sb);
    let config = || {
        let mut c = relay::Config::default();
        c.apply_env(|k| match k {
            "RELAY_UPSTREAM_BINANCE_SPOT" => Some(sb.binance_spot_url().to_owned()),
            "RELAY_UPSTREAM_BINANCE_FUTURES" => Some(sb.binance_futures_url().to_owned()),
            "RELAY_UPSTREAM_BINANCE_COIN_FUTURES" => Some(sb.binance_coin_futures_url().to_owned()),
            "RELAY_UPSTREAM_BITGET" => Some(sb.bitget_url().to_owned()),
            _ => None,
        })
        .unwrap();
        c
    };
    let relay = start_relay(config()).await;
    let minute = relay::now_ms() / 60_000;
    // Eleven withdrawal-history reads with one key: the relay keeps the key's UID weight (80% of 180,000: eight),
    // and refuses the rest itself, for that key only.
    let mut statuses = Vec::new();
    for _ in 0..11 {
        let r = signed(&relay, &me, WITHDRAWALS, "").await;
        statuses.push((r.status, r.json()["relay_reason"].as_str().map(str::to_owned)));
    }
    let refused = (429, Some("account_budget_exhausted".to_owned()));
    assert_eq!(statuses, [vec![(200, None); 8], vec![refused; 3]].concat());
    for path in [WITHDRAWALS, "/api/v3/account"] {
        let r = signed(&relay, &other, path, "").await;
        assert_eq!(r.status, 200, "another user's {path} was blocked: {}", r.text());
    }
    // The key's account used elsewhere too (the user's own script, straight to the venue), up to its limit; then
    // read through another relay, which has not seen it: the venue itself says 429, on the UID weight.
    for i in 1..=2 {
        let r = simvenues::client::binance_get(sb.binance_spot_url(), &me, WITHDRAWALS, "", None).await.unwrap();
        assert_eq!(r.status, 200, "direct withdrawal history {i}");
    }
    let relay = start_relay(config()).await;
    let r = signed(&relay, &me, WITHDRAWALS, "").await;
    if relay::now_ms() / 60_000 != minute {
        return None;
    }
    assert_eq!(r.status, 429, "past the account's UID weight: {}", r.text());
    assert!(r.json()["source"].is_null() && r.json()["code"] == -1003, "the venue's own answer: {}", r.text());
    // Backed off: that key, on that limiter, answered by the relay itself until the venue's Retry-After.
    let r = signed(&relay, &me, WITHDRAWALS, "").await;
    assert_eq!((r.status, r.json()["relay_reason"].as_str()), (429, Some("venue_backoff")), "{}", r.text());
    // Not the IP: the same key's per-IP reads, and another user's, the withdrawal history included.
    assert_eq!(signed(&relay, &me, "/api/v3/account", "").await.status, 200);
    for path in [WITHDRAWALS, "/api/v3/account", "/sapi/v1/capital/deposit/hisrec"] {
        let r = signed(&relay, &other, path, "").await;
        assert_eq!(r.status, 200, "another user's {path} was blocked: {}", r.text());
    }
    // A real per-IP 429 still backs off the IP for everyone: the venue's spot weight (600 a minute here) spent by
    // one user's heavy reads (20 each).
    let mut venue_429 = None;
    for _ in 0..40 {
        let r = signed(&relay, &me, "/api/v3/myTrades", "symbol=BTCUSDT").await;
        if r.status == 429 {
            venue_429 = Some(r);
            break;
        }
    }
    let r = venue_429.expect("the venue never said 429 on the spot weight");
    if relay::now_ms() / 60_000 != minute {
        return None;
    }
    assert!(r.json()["source"].is_null(), "the venue's 429, not the relay's: {}", r.text());
    let r = signed(&relay, &other, "/api/v3/account", "").await;
    assert_eq!((r.status, r.json()["relay_reason"].as_str()), (429, Some("venue_backoff")), "{}", r.text());
    let r = get(relay.addr, "/v1/binance/api/v3/time", &[]).await;
    assert_eq!((r.status, r.json()["relay_reason"].as_str()), (429, Some("venue_backoff")), "{}", r.text());
    sb.shutdown();
    (relay::now_ms() / 60_000 == minute).then_some(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accounts_own_limit_backs_off_only_its_key() {
    within_one_minute(own_limit_round).await;
}

/// Runs `round`, which judges what the venue and the relay count per minute, inside one minute of the relay's
/// clock: it starts early in a minute (a round takes a few seconds; a whole minute: only a hang does not fit), and
/// a round that straddled a minute boundary (`None`) runs again from the next minute's start, once more at most.
async fn within_one_minute<F: std::future::Future<Output = Option<()>>>(round: impl Fn() -> F) {
    let mut runs = 0;
    loop {
        let into_minute = relay::now_ms() % 60_000;
        if into_minute > 40_000 || runs > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(60_000 - into_minute + 200)).await;
        }
        runs += 1;
        match round().await {
            Some(()) => break,
            None => assert!(runs < 3, "the round straddled a minute boundary twice, once from a minute's start"),
        }
    }
}

/// One round of `the_usage_header_reports_the_clients_own_position`: `None` when it straddled a minute.
async fn own_position_round() -> Option<()> {
    let sb = Sandbox::start(SandboxConfig { seed: 6, size: simvenues::generator::Size::Small, ..Default::default() })
        .await
        .unwrap();
    let (me, _) = two_accounts(&sb);
    let mut c = relay::Config::default();
    c.apply_env(|k| match k {
        "RELAY_UPSTREAM_BINANCE_SPOT" => Some(sb.binance_spot_url().to_owned()),
        "RELAY_UPSTREAM_BINANCE_FUTURES" => Some(sb.binance_futures_url().to_owned()),
        "RELAY_UPSTREAM_BITGET" => Some(sb.bitget_url().to_owned()),
        _ => None,
    })
    .unwrap();
    let relay = start_relay(c).await;
    let minute = relay::now_ms() / 60_000;
    // The adversary, alone on the relay so far, reads the spot symbols (weight 20) until the relay says its share
    // is spent: half of the relay's 80 % of 6,000, so 120 reads, and the rest refused `fair_share`.
    let adversary = IpAddr::from([127, 0, 0, 5]);
    let flood: Vec<(String, String)> =
        (0..130).map(|i| ("/v1/binance/api/v3/exchangeInfo".into(), format!("X-Flood: {i}"))).collect();
    let statuses = pipelined(adversary, relay.addr, &flood).await;
    assert_eq!(statuses, [vec![200; 120], vec![429; 10]].concat(), "the adversary used exactly its whole share");
    // The venue's count for the egress IP is the adversary's 2,400 and more; the honest client's answer says only
    // its own 20, as a position against its share: 20 times the two identities that asked in the minute.
    let r = signed(&relay, &me, "/api/v3/account", "").await;
    if relay::now_ms() / 60_000 != minute {
        return None;
    }
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("x-mbx-used-weight-1m"), Some("40"), "the honest client sees its own usage, not the IP's");
    // Straight to the venue, the IP's whole usage (the adversary's included): what the header said before.
    let direct = simvenues::client::binance_get(sb.binance_spot_url(), &me, "/api/v3/account", "", None).await.unwrap();
    let ip_total: u32 = direct.header("x-mbx-used-weight-1m").expect("the venue's usage header").parse().unwrap();
    assert!(ip_total >= 2_440, "the venue counted the adversary's weight: {ip_total}");
    sb.shutdown();
    (relay::now_ms() / 60_000 == minute).then_some(())
}

/// docs/relay.md, "Used-weight headers": an adversary uses its whole fair share of the spot weight; an honest
/// client's answer reports its own usage against its own share, not the egress IP's total (which the sync would
/// read as the IP being nearly full and hold back on).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_usage_header_reports_the_clients_own_position() {
    within_one_minute(own_position_round).await;
}
