//! The operator's signed egress IP list (docs/relay.md, "The signed IP list"): `relay ips keygen | sign | verify`,
//! and `GET /v1/ips/signed` served from a signed file or signed at start with the operator key.

mod common;

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use common::*;
use relay::config::SignedIpsSource;
use signedips::{Envelope, OperatorKey, PublicKey};

/// A directory of its own under the system's temporary directory, removed at the end.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("relay-signed-ips-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the `relay` binary with `args`: exit code, stdout, stderr.
fn relay_cli(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_relay")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn now() -> u64 {
    relay::now_ms() / 1000
}

fn key_file(dir: &Dir, name: &str, seed: u8) -> (PathBuf, OperatorKey) {
    let key = OperatorKey::from_seed(&[seed; 32]);
    let path = dir.path(name);
    std::fs::write(&path, key.to_file()).unwrap();
    (path, key)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn keygen_sign_and_verify_from_the_command_line() {
    let dir = Dir::new("cli");
    let key = dir.path("operator.key");
    let (code, out, err) = relay_cli(&["ips", "keygen", "--out", s(&key)]);
    assert_eq!(code, 0, "{err}");
    let public = out.lines().find_map(|l| l.strip_prefix("public key: ")).expect("the public key is printed");
    let public = PublicKey::parse(public).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the key file is private to its owner");
    }
    let seed_line = std::fs::read_to_string(&key).unwrap().lines().last().unwrap().to_owned();
    assert_eq!(OperatorKey::parse_file(&std::fs::read_to_string(&key).unwrap()).unwrap().public_key(), public);
    // never over an existing key
    let before = std::fs::read(&key).unwrap();
    let (code, _, err) = relay_cli(&["ips", "keygen", "--out", s(&key)]);
    assert_eq!(code, 2);
    assert!(err.contains("never overwritten"), "{err}");
    assert_eq!(std::fs::read(&key).unwrap(), before);

    let signed = dir.path("ips.signed.json");
    let (code, out, err) = relay_cli(&[
        "ips",
        "sign",
        "--key",
        s(&key),
        "--ip",
        "203.0.113.11",
        "--ip",
        "203.0.113.10",
        "--valid-days",
        "3",
        "--serial",
        "42",
        "--out",
        s(&signed),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("2 IPs, serial 42"), "{out}");
    let doc = signedips::verify_json(&std::fs::read_to_string(&signed).unwrap(), &public, now()).unwrap();
    assert_eq!(doc.serial, 42);
    assert_eq!(doc.ips, ["203.0.113.10".parse::<IpAddr>().unwrap(), "203.0.113.11".parse().unwrap()]);
    assert_eq!(doc.not_after - doc.not_before, 3 * 86_400 + relay::ips::CLOCK_SKEW_SECS);

    let (code, out, err) = relay_cli(&["ips", "verify", "--public-key", &public.to_hex(), s(&signed)]);
    assert_eq!((code, out.starts_with("valid: serial 42")), (0, true), "{out}{err}");
    // another key: refused
    let other = OperatorKey::from_seed(&[7; 32]).public_key().to_hex();
    let (code, _, err) = relay_cli(&["ips", "verify", "--public-key", &other, s(&signed)]);
    assert_eq!(code, 2);
    assert!(err.contains("not by the trusted operator key"), "{err}");
    // a changed IP: refused
    let text = std::fs::read_to_string(&signed).unwrap().replace("203.0.113.11", "198.51.100.9");
    std::fs::write(&signed, text).unwrap();
    let (code, _, err) = relay_cli(&["ips", "verify", "--public-key", &public.to_hex(), s(&signed)]);
    assert_eq!(code, 2);
    assert!(err.contains("does not verify"), "{err}");
    // no output ever holds the private key
    let (_, out, err) = relay_cli(&["ips", "sign", "--key", s(&key), "--ip", "not-an-ip"]);
    assert!(err.contains("not an IP address") && !err.contains(&seed_line) && !out.contains(&seed_line), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_with_the_operator_key_serves_its_egress_ips_signed() {
    let dir = Dir::new("key");
    let (path, key) = key_file(&dir, "operator.key", 3);
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let mut config = config_for(&up);
    config.egress = vec![IpAddr::from([127, 0, 0, 2])];
    config.signed_ips = Some(SignedIpsSource::Key(path));
    let relay = start_relay(config).await;
    let r = get(relay.addr, "/v1/ips/signed", &[]).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    let doc = signedips::verify_json(&r.text(), &key.public_key(), now()).unwrap();
    assert_eq!(doc.ips, [IpAddr::from([127, 0, 0, 2])]);
    assert_eq!(doc.not_after - doc.not_before, 7 * 86_400 + relay::ips::CLOCK_SKEW_SECS, "ips_valid_days' default");
    // the list another key would accept is none of these
    let other = OperatorKey::from_seed(&[4; 32]).public_key();
    assert!(matches!(signedips::verify_json(&r.text(), &other, now()), Err(signedips::Error::WrongKey { .. })));
    // a day past its window, the same list is refused
    let e = signedips::verify_json(&r.text(), &key.public_key(), doc.not_after).unwrap_err();
    assert_eq!(e, signedips::Error::Expired { not_after: doc.not_after });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_serves_the_signed_file_byte_for_byte() {
    let dir = Dir::new("file");
    let key = OperatorKey::from_seed(&[5; 32]);
    let ips = vec![IpAddr::from([127, 0, 0, 2]), IpAddr::from([127, 0, 0, 3])];
    let json = relay::ips::sign(&key, ips.clone(), 9, now(), 86_400).unwrap().to_json();
    let path = dir.path("ips.signed.json");
    std::fs::write(&path, &json).unwrap();
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let mut config = config_for(&up);
    config.signed_ips = Some(SignedIpsSource::File(path));
    let relay = start_relay(config).await;
    let r = get(relay.addr, "/v1/ips/signed", &[]).await;
    assert_eq!((r.status, r.text()), (200, json));
    assert_eq!(signedips::verify_json(&r.text(), &key.public_key(), now()).unwrap().ips, ips);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_list_the_route_answers_404_in_json() {
    let up = start_upstream(IpAddr::from([127, 0, 0, 1])).await;
    let relay = start_relay(config_for(&up)).await;
    let r = get(relay.addr, "/v1/ips/signed", &[]).await;
    assert_eq!((r.status, r.json()["code"].as_str()), (404, Some("no_signed_ips")), "{}", r.text());
    assert!(up.seen().is_empty(), "never forwarded");
}

#[test]
fn a_relay_refuses_to_start_with_a_list_it_cannot_vouch_for() {
    let dir = Dir::new("refuse");
    let key = OperatorKey::from_seed(&[6; 32]);
    let ips = vec![IpAddr::from([127, 0, 0, 2])];
    let start = |source: SignedIpsSource, egress: Vec<IpAddr>| {
        let mut c = relay::Config { signed_ips: Some(source), ..relay::Config::default() };
        c.egress = egress;
        relay::Relay::new(c).map(|_| ()).unwrap_err().to_string()
    };
    // expired
    let expired = dir.path("expired.json");
    let t = now() - 10 * 86_400;
    std::fs::write(&expired, relay::ips::sign(&key, ips.clone(), 1, t, 86_400).unwrap().to_json()).unwrap();
    let e = start(SignedIpsSource::File(expired), ips.clone());
    assert!(e.contains("expired") && e.contains("relay ips sign"), "{e}");
    // altered
    let altered = dir.path("altered.json");
    let json =
        relay::ips::sign(&key, ips.clone(), 1, now(), 86_400).unwrap().to_json().replace("127.0.0.2", "127.0.0.9");
    std::fs::write(&altered, json).unwrap();
    assert!(start(SignedIpsSource::File(altered), ips.clone()).contains("does not verify"));
    // not a signed list
    let junk = dir.path("junk.json");
    std::fs::write(&junk, "{\"ips\": []}").unwrap();
    assert!(start(SignedIpsSource::File(junk), ips.clone()).contains("malformed"));
    // a key but nothing to sign
    let (k, _) = key_file(&dir, "k.key", 6);
    assert!(start(SignedIpsSource::Key(k), vec![]).contains("no egress IPs"));
    // not a key file, and its content not echoed
    let bad = dir.path("bad.key");
    std::fs::write(&bad, "s3cr3t-material\n").unwrap();
    let e = start(SignedIpsSource::Key(bad), ips);
    assert!(e.contains("not a key file") && !e.contains("s3cr3t"), "{e}");
    // both sources at once
    let mut c = relay::Config::default();
    let e = c.apply_toml("r.toml", "ips_signed_file = \"a.json\"\nips_signing_key = \"a.key\"\n").unwrap_err();
    assert!(e.to_string().contains("not both"), "{e}");
    let e = c.apply_toml("r.toml", "ips_valid_days = 0\n").unwrap_err();
    assert!(e.to_string().contains("ips_valid_days"), "{e}");
    c.apply_toml("r.toml", "ips_signing_key = \"/etc/meetcrypt/ips.key\"\nips_valid_days = 30\n").unwrap();
    assert_eq!(c.signed_ips, Some(SignedIpsSource::Key("/etc/meetcrypt/ips.key".into())));
    assert_eq!(c.ips_valid_days, 30);
}

#[test]
fn an_envelope_is_the_documented_json() {
    let key = OperatorKey::from_seed(&[8; 32]);
    let e = relay::ips::sign(&key, vec![IpAddr::from([192, 0, 2, 1])], 5, 10_000, 3_600).unwrap();
    let v: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
    assert_eq!(v.as_object().unwrap().len(), 3);
    assert_eq!(v["document"], "meetcrypt-relay-ips 1\nserial 5\nnot-before 9700\nnot-after 13600\nip 192.0.2.1\n");
    assert_eq!(v["signature"].as_str().unwrap().len(), 128);
    assert_eq!(v["public_key"], key.public_key().to_hex());
    assert_eq!(Envelope::from_json(&e.to_json()).unwrap(), e);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_serves_a_newly_signed_file_and_keeps_the_old_one_when_the_new_one_fails() {
    let dir = Dir::new("hup");
    let key = OperatorKey::from_seed(&[11; 32]);
    let ips = vec![IpAddr::from([127, 0, 0, 2])];
    let path = dir.path("ips.signed.json");
    let write = |serial: u64| {
        let json = relay::ips::sign(&key, ips.clone(), serial, now(), 86_400).unwrap().to_json();
        std::fs::write(&path, &json).unwrap();
        json
    };
    let first = write(1);
    let mut relay = RelayProcess::start(
        &["--listen", "127.0.0.1:0", "--metrics-listen", "off", "--ips-signed-file", s(&path)],
        &[("RELAY_LOG", "warn,relay=info".into())],
    );
    assert_eq!(get(relay.addr, "/v1/ips/signed", &[]).await.text(), first);
    let second = write(2);
    relay.signal("HUP");
    assert!(relay.wait_line("reloaded the signed IP list").contains("serial=2"));
    assert_eq!(get(relay.addr, "/v1/ips/signed", &[]).await.text(), second);
    // a file whose signature does not verify: refused, the previous list stays
    std::fs::write(&path, second.replace("127.0.0.2", "127.0.0.9")).unwrap();
    relay.signal("HUP");
    assert!(relay.wait_line("signed IP list reload failed").contains("does not verify"));
    assert_eq!(get(relay.addr, "/v1/ips/signed", &[]).await.text(), second);
    let (status, _) = relay.stop().await;
    assert!(status.success());
}
