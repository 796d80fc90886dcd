//! The audit log holds exactly one entry per request a sync sends. The requests are counted independently of the
//! app, by the relay's own metrics (`relay_requests_total`, by venue, endpoint and status), and compared with the
//! audit log's count on screen and with its CSV export, endpoint by endpoint (docs/app-storage.md, "The audit
//! log").

use std::collections::BTreeMap;
use std::sync::Arc;

use catalogue::Venue;
use e2e::{Browser, TempDir, built_static_dir, connect, sync_finished, wait_for};
use fantoccini::Locator;
use simvenues::sandbox::{Sandbox, SandboxConfig};

const PASSPHRASE: &str = "correct horse battery staple 42";

/// (venue, path, status) -> requests.
type Counts = BTreeMap<(String, String, u16), u64>;

/// The relay's count of forwarded requests, from its metrics text.
fn relay_counts(relay: &relay::Relay) -> Counts {
    let text = relay.metrics.render(&[]);
    let mut counts = Counts::new();
    for line in text.lines().filter(|l| l.starts_with("relay_requests_total{")) {
        let field = |name: &str| {
            let start = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            line[start..].split('"').next().unwrap().to_string()
        };
        let n: u64 = line.rsplit(' ').next().unwrap().parse().unwrap();
        counts.insert((field("venue"), field("endpoint"), field("status").parse().unwrap()), n);
    }
    counts
}

fn total(c: &Counts) -> u64 {
    c.values().sum()
}

/// The fields of one CSV line (RFC 4180 quoting).
fn fields(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut chars) = (Vec::new(), String::new(), false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// The audit screen's count of entries (read again: the screen is mounted anew).
async fn audit_count(b: &Browser) -> u64 {
    b.click_testid("tab-dashboard").await;
    b.click_testid("tab-audit").await;
    wait_for("the audit log to be read", || async {
        let el = b.client.find(Locator::Css("[data-testid='audit-count']")).await.ok()?;
        if el.attr("data-loaded").await.ok()?.as_deref() != Some("true") {
            return None;
        }
        el.attr("data-count").await.ok()?.and_then(|n| n.parse().ok())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_leaves_one_audit_entry_per_request() {
    let sandbox = Sandbox::start(SandboxConfig { seed: 16, ..SandboxConfig::default() }).await.expect("sandbox");
    let dir = TempDir::new("meetcrypt-audit");
    sandbox.write_dir(&dir.0).expect("write the sandbox's files");
    // the demo's relay, in this process: its metrics are read directly
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind relay");
    let addr = listener.local_addr().unwrap();
    let static_dir = built_static_dir();
    let argv: Vec<String> = [
        "--static",
        static_dir.to_str().unwrap(),
        "--sandbox",
        dir.0.to_str().unwrap(),
        "--egress",
        "127.0.0.2",
        "--listen",
        &addr.to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let config = relay::Args::from_argv(argv).unwrap().resolve(|_| None).expect("relay config");
    let relay: Arc<relay::Relay> = relay::Relay::new(config).expect("relay");
    let server = tokio::spawn(relay::serve(listener, relay.clone(), relay::app(relay.clone()), std::future::pending()));
    let key = sandbox.key(simvenues::keys::Venue::Binance, "main").expect("a Binance key").clone();

    let b = Browser::start().await;
    b.create_vault(&format!("http://{addr}"), PASSPHRASE).await;
    b.click_testid("add-account").await;
    connect(&b, Venue::Binance, "Binance main", &key).await;
    b.wait_text("connect-result", "binance connected", |t| t.starts_with("Connected Binance main")).await;

    // the connect's requests are in the log already, one each
    let before = relay_counts(&relay);
    assert!(total(&before) > 0, "the connect sent requests");
    assert_eq!(audit_count(&b).await, total(&before), "an entry per request of the connect");

    b.click_testid("sync-now").await;
    b.wait_testid("sync-progress").await;
    sync_finished(&b).await;
    let after = relay_counts(&relay);
    let sync_requests = total(&after) - total(&before);
    assert!(sync_requests > 10, "the sync sent {sync_requests} requests");
    let logged = audit_count(&b).await;
    assert_eq!(logged - total(&before), sync_requests, "one audit entry per request of the sync");
    println!("connect: {} requests; sync: {sync_requests} requests; audit log: {logged} entries", total(&before));
    assert_eq!(relay.metrics.refusals_of("not_allowed"), 0);

    // the export: the same requests, endpoint by endpoint and status by status
    b.click_testid("audit-export").await;
    let csv = std::fs::read_to_string(b.download("meetcrypt-audit-log.csv").await).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("time_utc,account,venue,request,status,outcome,error,relay"));
    let mut exported = Counts::new();
    for line in lines {
        let f = fields(line);
        assert_eq!(f.len(), 8, "{line}");
        assert!(f[1] == "Binance main" || f[1] == "public data (no key)", "every entry names its account: {line}");
        let path = f[3].split_once(' ').expect("method and path").1.to_string();
        assert!(!path.contains('?') && !line.contains("signature"), "no query in the log: {line}");
        *exported.entry((f[2].to_lowercase(), path, f[4].parse().unwrap())).or_default() += 1;
    }
    assert_eq!(exported, after, "the log's requests are the relay's, endpoint by endpoint");
    b.close().await;
    server.abort();
}
