//! The operator's signed egress IP list (docs/relay.md, "The signed IP list"): the `relay ips keygen | sign |
//! verify` commands, and the list `GET /v1/ips/signed` serves ([`SignedIps`]), read from a file `relay ips sign`
//! wrote or signed here at start with the operator key. The document, signing and verifying are `signedips`'s.

use std::io::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use signedips::{Document, Envelope, OperatorKey, PublicKey};

use crate::config::{Config, SignedIpsSource};

/// A list is signed to be valid from this many seconds before its signing time, for clocks a little behind.
pub const CLOCK_SKEW_SECS: u64 = 300;

/// `relay ips ...`: the operator's commands, instead of running the relay.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum Command {
    /// The signed egress IP list: make the operator key, sign the list, check a signed list.
    #[command(subcommand)]
    Ips(IpsCommand),
}

/// The `relay ips` commands.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum IpsCommand {
    /// Writes a new Ed25519 operator key to FILE (mode 0600; an existing file is never overwritten) and prints its
    /// public key, which the app is built with (MEETCRYPT_RELAY_IPS_KEY) and users can check.
    Keygen {
        /// The key file to create.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Signs the egress IP list (every instance's IPs): writes the JSON a relay serves with --ips-signed-file.
    Sign {
        /// The operator key file (from `relay ips keygen`).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// An egress IP to list (repeat for each).
        #[arg(long = "ip", value_name = "IP", required = true)]
        ips: Vec<String>,
        /// Days the list is valid from now (1 to 366).
        #[arg(long, value_name = "DAYS", default_value_t = 30)]
        valid_days: u32,
        /// The list's serial, greater than the last one published (default: the time now, in Unix seconds).
        #[arg(long, value_name = "N")]
        serial: Option<u64>,
        /// Where to write the signed list (default: standard output).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Verifies a signed list against an operator public key, as the app does, and prints its IPs.
    Verify {
        /// The operator public key (64 hex digits).
        #[arg(long, value_name = "HEX")]
        public_key: String,
        /// The signed list (JSON, as `relay ips sign` writes it and /v1/ips/signed serves it).
        file: PathBuf,
    },
}

/// Runs a `relay ips` command at `now` (Unix seconds); the text for standard output, or what went wrong.
pub fn run(command: &Command, now: u64) -> Result<String, String> {
    let Command::Ips(command) = command;
    match command {
        IpsCommand::Keygen { out } => keygen(out),
        IpsCommand::Sign { key, ips, valid_days, serial, out } => {
            let key = read_key(key)?;
            let ips = ips
                .iter()
                .map(|s| crate::config::parse_ip(s).map_err(|e| format!("--ip: {e}")))
                .collect::<Result<Vec<IpAddr>, String>>()?;
            if !(1..=366).contains(valid_days) {
                return Err("--valid-days is a number of days from 1 to 366".into());
            }
            let envelope = sign(&key, ips, serial.unwrap_or(now), now, u64::from(*valid_days) * 86_400)?;
            let json = envelope.to_json();
            match out {
                None => Ok(json),
                Some(path) => {
                    write_new_version(path, &json)?;
                    let doc = Document::parse(&envelope.document).map_err(|e| e.to_string())?;
                    Ok(format!(
                        "wrote {}: {} IPs, serial {}, valid until {}, signed by {}\n",
                        path.display(),
                        doc.ips.len(),
                        doc.serial,
                        signedips::utc(doc.not_after),
                        envelope.public_key
                    ))
                }
            }
        }
        IpsCommand::Verify { public_key, file } => {
            let key = PublicKey::parse(public_key).map_err(|e| format!("--public-key: {e}"))?;
            let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let doc = signedips::verify_json(&text, &key, now).map_err(|e| format!("{}: {e}", file.display()))?;
            let ips: Vec<String> = doc.ips.iter().map(IpAddr::to_string).collect();
            Ok(format!(
                "valid: serial {}, until {}, IPs {}\n",
                doc.serial,
                signedips::utc(doc.not_after),
                ips.join(" ")
            ))
        }
    }
}

/// A new key in a new file, private to its owner (created with mode 0600, never over an existing file).
fn keygen(out: &Path) -> Result<String, String> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("the operating system gave no random bytes: {e}"))?;
    let key = OperatorKey::from_seed(&seed);
    zeroize::Zeroize::zeroize(&mut seed);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(out).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            format!("{} exists: a key is never overwritten; move it away or choose another --out", out.display())
        }
        _ => format!("cannot create {}: {e}", out.display()),
    })?;
    // the file's text holds the seed: zeroized when dropped
    let text = secret::Secret::new(key.to_file());
    file.write_all(text.expose().as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    Ok(format!(
        "wrote the operator key to {} (mode 0600: keep it private)\npublic key: {}\n",
        out.display(),
        key.public_key().to_hex()
    ))
}

/// Reads an operator key file; the message names the file, never its content.
pub fn read_key(path: &Path) -> Result<OperatorKey, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read the key {}: {e}", path.display()))?;
    // the file's text holds the seed: zeroized when dropped
    let text = secret::Secret::new(text);
    OperatorKey::parse_file(text.expose()).map_err(|e| format!("{}: {e}", path.display()))
}

/// Signs `ips` with `key`: serial `serial`, valid from [`CLOCK_SKEW_SECS`] before `now` for `valid_secs` after it.
pub fn sign(key: &OperatorKey, ips: Vec<IpAddr>, serial: u64, now: u64, valid_secs: u64) -> Result<Envelope, String> {
    let doc =
        Document::new(serial, now.saturating_sub(CLOCK_SKEW_SECS), now + valid_secs, ips).map_err(|e| e.to_string())?;
    Ok(key.sign(&doc))
}

/// Writes `text` to `path` through a temporary file and a rename, so a reader never sees half of it.
fn write_new_version(path: &Path, text: &str) -> Result<(), String> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Reads and checks a signed list file at `now`: a signed list whose signature verifies with the key it names and
/// whose window holds `now`; a warning when it lacks one of `egress`. The JSON to serve.
fn read_signed_file(path: &Path, egress: &[IpAddr], now: u64) -> Result<String, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let envelope = Envelope::from_json(&text).map_err(|e| format!("{shown}: {e}"))?;
    let key = PublicKey::parse(&envelope.public_key).map_err(|e| format!("{shown}: {e}"))?;
    let doc = signedips::verify(&envelope, &key, now)
        .map_err(|e| format!("{shown}: {e}; sign a new list with `relay ips sign`"))?;
    let missing: Vec<String> = egress.iter().filter(|ip| !doc.ips.contains(ip)).map(IpAddr::to_string).collect();
    if !missing.is_empty() {
        tracing::warn!(
            missing = %missing.join(", "),
            "the signed IP list does not list every egress IP of this relay: keys allow-listed from it will refuse \
             those requests"
        );
    }
    Ok(envelope.to_json())
}

/// The signed list `GET /v1/ips/signed` serves.
#[derive(Debug)]
pub struct SignedIps(Served);

#[derive(Debug)]
enum Served {
    /// From `relay ips sign`, served byte for byte; read again on SIGHUP ([`SignedIps::reload`]).
    File { path: PathBuf, egress: Vec<IpAddr>, json: Mutex<String> },
    /// Signed here: the key, the egress IPs, the window's length, and the current list with when to renew it.
    Signing { key: Box<OperatorKey>, ips: Vec<IpAddr>, valid_secs: u64, current: Mutex<(String, u64)> },
}

impl SignedIps {
    /// The configured list, checked at `now` (Unix seconds): a file must hold a list whose signature verifies
    /// with the key it names and that is valid now; a key must read and the relay must have egress IPs. `None`
    /// when neither is configured.
    pub fn load(config: &Config, now: u64) -> Result<Option<SignedIps>, String> {
        let Some(source) = &config.signed_ips else { return Ok(None) };
        match source {
            SignedIpsSource::File(path) => {
                let json = Mutex::new(read_signed_file(path, &config.egress, now)?);
                Ok(Some(SignedIps(Served::File { path: path.clone(), egress: config.egress.clone(), json })))
            }
            SignedIpsSource::Key(path) => {
                let key = read_key(path)?;
                if config.egress.is_empty() {
                    return Err(format!(
                        "ips_signing_key {} is set but the relay has no egress IPs to sign: list them (egress)",
                        path.display()
                    ));
                }
                let valid_secs = u64::from(config.ips_valid_days) * 86_400;
                let first = sign(&key, config.egress.clone(), now, now, valid_secs)?.to_json();
                let current = Mutex::new((first, now + valid_secs / 2));
                Ok(Some(SignedIps(Served::Signing {
                    key: Box::new(key),
                    ips: config.egress.clone(),
                    valid_secs,
                    current,
                })))
            }
        }
    }

    /// SIGHUP: a list from a file is read again and, if it passes the checks of [`SignedIps::load`], served from
    /// now on; otherwise the previous one stays. `Ok(None)`: signed here, nothing to read; `Ok(Some(serial))`: the
    /// serial now served.
    pub fn reload(&self, now: u64) -> Result<Option<u64>, String> {
        let Served::File { path, egress, json } = &self.0 else { return Ok(None) };
        let fresh = read_signed_file(path, egress, now)?;
        let serial =
            Envelope::from_json(&fresh).ok().and_then(|e| Document::parse(&e.document).ok()).map_or(0, |d| d.serial);
        *json.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        Ok(Some(serial))
    }

    /// The JSON to serve at `now` (Unix seconds): a list signed here is signed again, with a new serial, once half
    /// of its window has passed.
    pub fn body(&self, now: u64) -> String {
        match &self.0 {
            Served::File { json, .. } => json.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone(),
            Served::Signing { key, ips, valid_secs, current } => {
                let mut current = current.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if now >= current.1
                    && let Ok(envelope) = sign(key, ips.clone(), now, now, *valid_secs)
                {
                    *current = (envelope.to_json(), now + valid_secs / 2);
                }
                current.0.clone()
            }
        }
    }
}
