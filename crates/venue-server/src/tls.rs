//! HTTPS and WSS for the local venue, so the TLS path of a live client
//! (`pyrt live`, python-binance on `https://`) is tested against a real
//! server on loopback.
//!
//! The certificate and key are PEM files ([`server_config`]), or a fresh
//! self-signed pair for `localhost` and `127.0.0.1` ([`self_signed`]) whose
//! certificate clients then trust as their CA file.
//!
//! Handshakes run in each connection's own task (`serve`): a client that
//! connects and says nothing holds up no one else, and is dropped after a
//! timeout. A failed handshake ends that connection only.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The server side from a certificate chain and its private key (PEM).
pub fn server_config(cert_file: &Path, key_file: &Path) -> io::Result<Arc<ServerConfig>> {
    let bad = |path: &Path, what: &str, reason: String| {
        io::Error::new(io::ErrorKind::InvalidInput, format!("TLS {what} {}: {reason}", path.display()))
    };
    let certs = CertificateDer::pem_file_iter(cert_file)
        .map_err(|e| bad(cert_file, "certificate", e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(cert_file, "certificate", e.to_string()))?;
    if certs.is_empty() {
        return Err(bad(cert_file, "certificate", "no `-----BEGIN CERTIFICATE-----` block".into()));
    }
    let key = PrivateKeyDer::from_pem_file(key_file)
        .map_err(|e| bad(key_file, "key", format!("{e} (expected a PEM private key)")))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| bad(cert_file, "certificate and key", e.to_string()))?;
    Ok(Arc::new(config))
}

/// A new self-signed certificate for `localhost` and `127.0.0.1`, written
/// to `dir` as `venue-cert.pem` and `venue-key.pem`. Returns both paths;
/// clients trust the certificate file as their CA.
pub fn self_signed(dir: &Path) -> io::Result<(PathBuf, PathBuf)> {
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let certified = rcgen::generate_simple_self_signed(names).map_err(|e| io::Error::other(e.to_string()))?;
    std::fs::create_dir_all(dir)?;
    let (cert, key) = (dir.join("venue-cert.pem"), dir.join("venue-key.pem"));
    std::fs::write(&cert, certified.cert.pem())?;
    std::fs::write(&key, certified.signing_key.serialize_pem())?;
    Ok((cert, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("pyrt-venue-tls-{name}-{}", std::process::id()))
    }

    #[test]
    fn a_self_signed_pair_loads_and_bad_files_are_named() {
        let dir = temp_dir("pair");
        let (cert, key) = self_signed(&dir).unwrap();
        server_config(&cert, &key).unwrap();
        // Certificate and key swapped.
        let err = server_config(&key, &cert).unwrap_err().to_string();
        assert!(err.contains("venue-key.pem"), "{err}");
        let err = server_config(&dir.join("missing.pem"), &key).unwrap_err().to_string();
        assert!(err.contains("missing.pem"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
