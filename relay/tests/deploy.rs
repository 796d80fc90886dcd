//! The deployment files in `deploy/` are what docs/relay.md tells an operator to install: the sample configuration
//! must be one the relay accepts, and the systemd unit must pass `systemd-analyze verify` with no warning and keep
//! its hardening.

use std::path::{Path, PathBuf};
use std::process::Command;

fn deploy(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy").join(file)
}

#[test]
fn the_sample_config_is_accepted() {
    let path = deploy("relay.toml");
    let mut c = relay::Config::default();
    c.apply_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(c.listen, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(c.egress.len(), 2, "the sample shows several egress IPs");
    assert_eq!(c.metrics_listen, Some("127.0.0.1:9184".parse().unwrap()));
}

#[test]
fn the_systemd_unit_verifies_and_is_hardened() {
    let unit = std::fs::read_to_string(deploy("meetcrypt-relay.service")).unwrap();
    for line in [
        "DynamicUser=yes",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "PrivateDevices=yes",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        "SystemCallFilter=@system-service",
        "MemoryDenyWriteExecute=yes",
        "CapabilityBoundingSet=\n",
    ] {
        assert!(unit.contains(line), "the unit lost {line:?}");
    }
    // no capability is granted: the unit listens on an unprivileged port
    assert!(!unit.lines().any(|l| l.starts_with("AmbientCapabilities=")), "a capability crept in");

    assert!(unit.contains("ExecReload=/bin/kill -HUP $MAINPID"), "systemctl reload sends SIGHUP");
    verify(&unit, "unit");
}

/// The HTTPS drop-in (docs/relay.md, "HTTPS on the relay itself") grants the capability to bind port 443 and nothing
/// else, takes the certificate and key from systemd's credentials, and the unit with it still verifies.
#[test]
fn the_https_drop_in_grants_only_the_low_port_and_verifies() {
    let unit = std::fs::read_to_string(deploy("meetcrypt-relay.service")).unwrap();
    let drop_in = std::fs::read_to_string(deploy("https.conf")).unwrap();
    let set: Vec<&str> = drop_in.lines().filter(|l| !l.starts_with('#') && l.contains('=')).collect();
    assert!(set.contains(&"CapabilityBoundingSet=CAP_NET_BIND_SERVICE"), "{set:?}");
    assert!(set.contains(&"AmbientCapabilities=CAP_NET_BIND_SERVICE"), "{set:?}");
    let caps: Vec<&&str> = set.iter().filter(|l| l.contains("Capabilit")).collect();
    assert_eq!(caps.len(), 2, "no other capability: {caps:?}");
    for line in ["Environment=RELAY_TLS_CERT=%d/", "Environment=RELAY_TLS_KEY=%d/", "LoadCredential=tls-key:"] {
        assert!(drop_in.contains(line), "the drop-in lost {line:?}");
    }
    // systemd reads a drop-in's [Service] lines after the unit's: the same as appending them to the unit.
    verify(&format!("{unit}\n{drop_in}"), "unit with the HTTPS drop-in");
}

/// Runs `systemd-analyze verify` on `unit` (installed as docs/relay.md says); any finding fails.
fn verify(unit: &str, what: &str) {
    // systemd-analyze checks that ExecStart is executable: point it at the relay this test run built
    let dir = std::env::temp_dir().join(format!("meetcrypt-unit-{}-{}", what.len(), std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let installed = unit.replace("/usr/local/bin/meetcrypt-relay", env!("CARGO_BIN_EXE_relay"));
    assert_ne!(installed, unit, "ExecStart names /usr/local/bin/meetcrypt-relay, as docs/relay.md installs it");
    let path = dir.join("meetcrypt-relay.service");
    std::fs::write(&path, installed).unwrap();
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&path)
        .output()
        .expect("systemd-analyze is missing: scripts/test installs Debian's systemd package");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(out.status.success(), "systemd-analyze verify of the {what} failed:\n{said}");
    // it warns (unknown key, bad value) without failing: any line about the unit is a finding
    let findings: Vec<&str> = said.lines().filter(|l| l.contains("meetcrypt-relay.service")).collect();
    assert!(findings.is_empty(), "systemd-analyze verify of the {what}:\n{}", findings.join("\n"));
}
