//! Fuzzes the relay's request-to-decision function: input bytes are split into method, target and headers.
//! Invariants: no panic; every Allow names the catalogue endpoint of exactly the path it forwards, with the
//! request's tail as its byte-exact upstream target.
#![no_main]

use catalogue::{ENDPOINTS, Method};
use libfuzzer_sys::fuzz_target;
use relay::policy::{Decision, decide};

fuzz_target!(|data: &[u8]| {
    // Layout: method \n target \n (name \0 value \n)*
    let mut parts = data.splitn(3, |&b| b == b'\n');
    let method = parts.next().unwrap_or(b"");
    let target = parts.next().unwrap_or(b"");
    let rest = parts.next().unwrap_or(b"");
    let headers: Vec<(&[u8], &[u8])> = rest
        .split(|&b| b == b'\n')
        .filter_map(|h| {
            let i = h.iter().position(|&b| b == 0)?;
            Some((&h[..i], &h[i + 1..]))
        })
        .collect();
    if let Decision::Allow(a) = decide(method, target, &headers) {
        let t = std::str::from_utf8(target).expect("allowed targets are ASCII");
        assert_eq!(format!("/v1/{}{}", a.endpoint.venue.as_str(), a.target), t);
        let path = a.target.split('?').next().unwrap();
        let m = match method {
            b"GET" => Method::Get,
            b"POST" => Method::Post,
            _ => panic!("allowed a method outside the catalogue"),
        };
        assert!(
            ENDPOINTS.iter().any(|e| e.venue == a.endpoint.venue && e.method == m && e.path == path),
            "allowed a path outside the catalogue"
        );
    }
});
