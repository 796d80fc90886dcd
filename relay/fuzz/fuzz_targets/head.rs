//! Fuzzes the hot path's HTTP/1.1 parsing (`relay::h1`): the client's request head as `classify` reads it, the
//! venue's response head and the chunked body decoder, all on raw bytes.
//! Invariants: no panic; a request the hot path takes is exactly an HTTP/1.1 GET the policy allows, with the same
//! endpoint and upstream target as `decide` gives, and only the venue's allowed headers to forward; a response head
//! never claims more bytes than it was given; the chunk decoder never consumes more than it was given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relay::h1::{self, ChunkStep, Chunked, Head};
use relay::policy::{self, Decision, decide};

fuzz_target!(|data: &[u8]| {
    let origins = vec!["https://app.example.org".to_owned()];
    let mut forwarded = Vec::new();
    if let Head::Forward(f) = h1::classify(data, &origins, &mut forwarded) {
        assert!(f.len <= data.len());
        // Independently: httparse reads the same head as a complete HTTP/1.1 GET the policy allows.
        let mut headers = [httparse::EMPTY_HEADER; policy::MAX_HEADERS];
        let mut req = httparse::Request::new(&mut headers);
        assert_eq!(req.parse(data), Ok(httparse::Status::Complete(f.len)));
        assert_eq!((req.method, req.version), (Some("GET"), Some(1)));
        let target = req.path.unwrap().as_bytes();
        let pairs: Vec<(&[u8], &[u8])> = req.headers.iter().map(|h| (h.name.as_bytes(), h.value)).collect();
        let a = match decide(b"GET", target, &pairs) {
            Decision::Allow(a) => a,
            Decision::Refuse(r) => panic!("the hot path took a request the policy refuses: {r:?}"),
        };
        let mine = f.allowed(data);
        assert_eq!(mine, a);
        assert_eq!(format!("/v1/{}{}", a.endpoint.venue.as_str(), mine.target).as_bytes(), target);
        for line in forwarded.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let name = std::str::from_utf8(&line[..line.iter().position(|&b| b == b':').unwrap()]).unwrap();
            assert!(policy::forwarded_header(a.endpoint.venue, name), "forwarded {name}");
        }
    }
    let mut returned = Vec::new();
    if let Ok(Some(h)) = h1::parse_response(data, Some("x-mbx-used-weight-1m"), &mut returned) {
        assert!(h.len <= data.len());
        for line in returned.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let name = std::str::from_utf8(&line[..line.iter().position(|&b| b == b':').unwrap()]).unwrap();
            assert!(policy::returned_header(name), "returned {name}");
        }
    }
    let mut state = Chunked::Size;
    let mut pos = 0;
    for _ in 0..data.len() + 2 {
        match state.step(&data[pos..]) {
            Ok(ChunkStep::Skip(n) | ChunkStep::Data(n)) => {
                assert!(n <= data.len() - pos);
                pos += n;
            }
            Ok(ChunkStep::NeedMore) | Err(_) => break,
        }
        if state == Chunked::Done {
            break;
        }
    }
});
