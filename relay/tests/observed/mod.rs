//! What a relay did with some bytes, as the differential test (`tests/differential.rs`) and the differential fuzz
//! target (`fuzz/fuzz_targets/differential.rs`) compare it between the hot path and hyper: the answer, the request
//! heads upstream and the decision counters that moved; with the clocks' values normalised, and the one difference
//! that is hyper's own recognised.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// What one relay did with some bytes.
#[derive(Debug, PartialEq, Eq)]
pub struct Observed {
    /// Everything the client received, normalised.
    pub answer: String,
    /// Every request head the venue received, byte for byte.
    pub upstream: Vec<String>,
    /// How the decision counters moved.
    pub counters: BTreeMap<String, u64>,
}

/// The decision counters: requests by endpoint and status, refusals by reason, upstream errors, write timeouts.
pub fn counters(relay: &relay::Relay) -> BTreeMap<String, u64> {
    relay
        .metrics
        .render(&[])
        .lines()
        .filter(|l| {
            ["relay_requests_total{", "relay_refusals_total{", "relay_upstream_errors_total{"]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .filter_map(|l| l.rsplit_once(' ').and_then(|(k, v)| Some((k.to_owned(), v.parse().ok()?))))
        .collect()
}

/// The counters that moved from `before` to `after`, by how much.
pub fn moved(before: &BTreeMap<String, u64>, after: BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after
        .into_iter()
        .filter_map(|(k, v)| {
            let d = v - before.get(&k).copied().unwrap_or(0);
            (d > 0).then_some((k, d))
        })
        .collect()
}

/// Reads until the relay closes the connection, or `None` when it has not within `hang`.
pub async fn read_until_closed(s: &mut TcpStream, hang: Duration) -> Option<Vec<u8>> {
    let mut raw = Vec::new();
    let read = tokio::time::timeout(hang, async {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => raw.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok().map(|()| raw)
}

/// The clock's values: `date` headers and Bitget's `requestTime` (13 digits either way, so lengths hold).
pub fn normalise(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw).into_owned();
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find("\r\ndate: ") {
        out.push_str(&rest[..i + 8]);
        rest = &rest[i + 8..];
        let end = rest.find("\r\n").unwrap_or(rest.len());
        out.push_str("<date>");
        rest = &rest[end..];
    }
    out.push_str(rest);
    let mut text = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(i) = rest.find("\"requestTime\":") {
        text.push_str(&rest[..i + 14]);
        rest = &rest[i + 14..];
        let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        text.push_str(&"0".repeat(end));
        rest = &rest[end..];
    }
    text.push_str(rest);
    text
}

/// Whether a budget window (not the HTTP path) explains the answers.
pub fn budget_refusal(o: &Observed) -> bool {
    o.counters.keys().any(|k| k.contains("budget_exhausted") || k.contains("fair_share"))
}

/// The one difference that is hyper's own and not the hot path's: a connection that ends (the client shuts down its
/// sending side) in the middle of a request head that the HTTP parser would refuse. After a partial read, hyper does
/// not parse again until the buffer holds the end of a head (`is_complete_fast` in hyper's `role.rs`), so whether it
/// answers 400 before it sees the end of the stream depends on how the bytes were split into reads: all at once, it
/// refuses; in two reads, it closes without a word. With the hot path in front, hyper always gets the buffered bytes
/// in one read and always refuses. Either way nothing reaches the venue. Accepted only in exactly that form: the
/// same upstream bytes, the hot path's answer is the other's followed by one parser refusal (counted, and the only
/// counter that differs), and the bytes (`sent`) end in an unfinished head.
pub fn unfinished_malformed_head(sent: &[u8], hot: &Observed, hyper: &Observed) -> bool {
    if sent.ends_with(b"\r\n\r\n") || sent.ends_with(b"\n\n") || hot.upstream != hyper.upstream {
        return false;
    }
    let Some(extra) = hot.answer.strip_prefix(hyper.answer.as_str()) else { return false };
    let refusal = ["malformed_request", "headers_too_large", "target_too_long"].into_iter().find(|r| {
        extra.starts_with("HTTP/1.1 4") && extra.matches("\r\n\r\n").count() == 1 && extra.contains(&format!("\"{r}\""))
    });
    let Some(reason) = refusal else { return false };
    let mut counters = hyper.counters.clone();
    *counters.entry(format!("relay_refusals_total{{reason=\"{reason}\"}}")).or_insert(0) += 1;
    counters == hot.counters
}
