//! A deterministic mini-fuzz of the request-to-decision function: random byte mutations of catalogue reads and of
//! tricks; no panic, and every Allow is exactly a catalogue endpoint with a byte-exact upstream target.

use catalogue::{ENDPOINTS, Method, Venue};
use relay::policy::{Decision, decide};

const INTERESTING: &[&[u8]] = &[
    b"/",
    b"//",
    b".",
    b"..",
    b"%2e",
    b"%2f",
    b"%",
    b"\\",
    b";",
    b"?",
    b"#",
    b"&",
    b"=",
    b"\0",
    b" ",
    b"\t",
    b"\r\n",
    b"\xc3\xb6",
    b"A",
    b"v3",
    b"api",
    b"sapi",
    b"fapi",
    b"binance",
    b"bitget",
    b"order",
    b"account",
];

/// Checks the invariant of one decision independently of the policy's code: an Allow must name the catalogue entry
/// for exactly the path between `/v1/{venue}` and `?`, and its target must be the request's tail, byte for byte.
fn check(method: &[u8], target: &[u8], headers: &[(&[u8], &[u8])]) -> bool {
    match decide(method, target, headers) {
        Decision::Refuse(r) => {
            assert!((400..500).contains(&r.status()));
            false
        }
        Decision::Allow(a) => {
            let t = std::str::from_utf8(target).expect("allowed targets are ASCII");
            let prefix = format!("/v1/{}", a.endpoint.venue.as_str());
            assert_eq!(format!("{prefix}{}", a.target), t, "target must be the request's tail");
            let path = a.target.split('?').next().unwrap();
            assert_eq!(path, a.endpoint.path, "allowed a path that is not the endpoint's");
            let m = match method {
                b"GET" => Method::Get,
                b"POST" => Method::Post,
                _ => panic!("allowed method {:?}", String::from_utf8_lossy(method)),
            };
            let found = ENDPOINTS.iter().find(|e| e.venue == a.endpoint.venue && e.method == m && e.path == path);
            assert!(found.is_some(), "allowed {t} outside the catalogue");
            assert!(path.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-_".contains(&b)));
            assert!(a.target.bytes().all(|b| b.is_ascii_graphic() && b != b'#'));
            true
        }
    }
}

#[test]
fn mutated_requests_never_panic_and_never_escape_the_catalogue() {
    let mut rng = fastrand::Rng::with_seed(0x9E37_79B9_7F4A_7C15);
    let key: &[(&[u8], &[u8])] = &[
        (b"X-MBX-APIKEY", b"k"),
        (b"ACCESS-KEY", b"k"),
        (b"ACCESS-SIGN", b"s"),
        (b"ACCESS-TIMESTAMP", b"1"),
        (b"ACCESS-PASSPHRASE", b"p"),
    ];
    let seeds: Vec<(Vec<u8>, Vec<u8>)> = ENDPOINTS
        .iter()
        .map(|e| {
            let venue = match e.venue {
                Venue::Binance => "binance",
                Venue::Bitget => "bitget",
            };
            (
                e.method.as_str().as_bytes().to_vec(),
                format!("/v1/{venue}{}?symbol=BTCUSDT&timestamp=1&signature=ab", e.path).into_bytes(),
            )
        })
        .collect();
    let methods: [&[u8]; 8] = [b"GET", b"POST", b"PUT", b"DELETE", b"get", b"HEAD", b"CONNECT", b"OPTIONS"];
    let (mut allowed, mut refused) = (0u32, 0u32);
    for _ in 0..200_000 {
        let (m, t) = &seeds[rng.usize(..seeds.len())];
        let mut t = t.clone();
        let mut m = m.clone();
        for _ in 0..1 + rng.usize(..4) {
            match rng.usize(..6) {
                0 if !t.is_empty() => {
                    let i = rng.usize(..t.len());
                    t[i] = rng.u8(..);
                }
                1 if !t.is_empty() => {
                    let i = rng.usize(..t.len());
                    t.remove(i);
                }
                2 => {
                    let i = rng.usize(..t.len() + 1);
                    let ins = INTERESTING[rng.usize(..INTERESTING.len())];
                    t.splice(i..i, ins.iter().copied());
                }
                3 => {
                    let i = rng.usize(..t.len() + 1);
                    t.insert(i, rng.u8(..128));
                }
                4 => m = methods[rng.usize(..methods.len())].to_vec(),
                _ => {
                    let i = rng.usize(..t.len() + 1);
                    if i < t.len() {
                        t[i] = t[i].to_ascii_uppercase();
                    }
                }
            }
        }
        let headers: &[(&[u8], &[u8])] = if rng.usize(..4) == 0 { &[] } else { key };
        if check(&m, &t, headers) {
            allowed += 1;
        } else {
            refused += 1;
        }
    }
    // Both outcomes happen, so the loop explores the boundary rather than one side of it.
    assert!(allowed > 1_000 && refused > 100_000, "allowed {allowed}, refused {refused}");
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = fastrand::Rng::with_seed(42);
    for _ in 0..100_000 {
        let n = rng.usize(..64);
        let t: Vec<u8> = (0..n).map(|_| rng.u8(..)).collect();
        let m: Vec<u8> = (0..rng.usize(..8)).map(|_| rng.u8(..)).collect();
        let hv: Vec<u8> = (0..rng.usize(..16)).map(|_| rng.u8(..)).collect();
        let headers: [(&[u8], &[u8]); 2] = [(b"content-length", &hv), (b"X-MBX-APIKEY", &hv)];
        assert!(!check(&m, &t, &headers) || t.starts_with(b"/v1/"));
    }
}
