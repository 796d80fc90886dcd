//! HTTPS served by the relay itself (docs/relay.md, "HTTPS"): rustls with the certificate chain and key files the
//! configuration names (`tls_cert`, `tls_key`), read at start and again on SIGHUP.
//!
//! Each connection takes the configuration current when its handshake starts, so a reload changes what new
//! handshakes present and nothing else: open connections keep the session they made. A reload that fails (a file
//! missing or unreadable, not PEM, a key that does not match the certificate) keeps the configuration in use and
//! says why in one line; no message ever holds the key's bytes.

use std::path::Path;
use std::sync::{Arc, RwLock};

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::TlsFiles;

/// The listener's TLS configuration, replaceable while the relay runs.
pub struct Tls {
    files: TlsFiles,
    current: RwLock<Arc<ServerConfig>>,
}

impl Tls {
    /// Reads the certificate chain and key named by `files`; the message says which file is wrong and why.
    pub fn load(files: &TlsFiles) -> Result<Tls, String> {
        let config = server_config(files)?;
        Ok(Tls { files: files.clone(), current: RwLock::new(Arc::new(config)) })
    }

    /// The configuration for a handshake starting now.
    pub fn current(&self) -> Arc<ServerConfig> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Reads the files again and, if they make a working configuration, uses it for the handshakes from now on;
    /// otherwise keeps the one in use and returns why.
    pub fn reload(&self) -> Result<(), String> {
        let config = server_config(&self.files)?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(config);
        Ok(())
    }
}

/// The server configuration for the files: the chain (leaf first) and its key, which must match; HTTP/1.1 only.
fn server_config(files: &TlsFiles) -> Result<ServerConfig, String> {
    let chain = read_chain(&files.cert)?;
    let key = read_key(&files.key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .with_no_client_auth()
        // Checks that the key is the one of the chain's first certificate (rustls compares their public keys).
        .with_single_cert(chain, key)
        .map_err(|e| {
            format!(
                "the TLS key {} does not go with the certificate {} ({e}); give the key of the chain's first \
                 certificate",
                files.key.display(),
                files.cert.display()
            )
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read the TLS certificate file {shown}: {e}"))?;
    let chain = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("the TLS certificate file {shown} is not valid PEM ({e})"))?;
    if chain.is_empty() {
        return Err(format!("the TLS certificate file {shown} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"));
    }
    Ok(chain)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read the TLS key file {shown}: {e}"))?;
    // The PEM parser's own messages may quote a line of the file: only the kind of failure is told.
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => {
            format!("the TLS key file {shown} holds no PEM private key (-----BEGIN PRIVATE KEY-----)")
        }
        _ => format!("the TLS key file {shown} is not a valid PEM private key"),
    })
}
