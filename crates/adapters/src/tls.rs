//! TLS for every connection to a venue: REST, market streams and the
//! user-data stream all use one [`ClientConfig`].
//!
//! The trusted roots are Mozilla's, as bundled by `webpki-roots`, so a
//! build trusts the same authorities on every machine and never depends on
//! what the host happens to have installed. A venue signed by another
//! authority — a test venue with its own certificate, a company proxy — is
//! trusted by adding its CA file ([`client_config`]); the built-in roots
//! stay. Certificates are always verified: there is no switch to turn that
//! off, because a trading client that accepts any certificate hands its API
//! key to whoever sits on the path.
//!
//! The cryptography is `ring`'s. reqwest's own default (aws-lc-rs) compiles
//! a C library for about a minute on a small machine; with one provider
//! chosen here, nothing depends on a process-wide default being installed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::{ClientConfig, RootCertStore};

/// Why a TLS set-up could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read CA file {path}: {reason}")]
    CaFile { path: PathBuf, reason: String },
    #[error(
        "CA file {0} holds no PEM certificate (`-----BEGIN CERTIFICATE-----`); pass the certificate of the authority that signed the venue's"
    )]
    NoCertificate(PathBuf),
    #[error("TLS set-up failed: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The client configuration with the built-in roots only, built once.
pub fn default_client_config() -> Arc<ClientConfig> {
    static DEFAULT: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    DEFAULT
        .get_or_init(|| build(RootCertStore::from_iter(roots())).expect("ring supports the default protocol versions"))
        .clone()
}

/// The built-in roots plus every certificate in `ca_file` (PEM), if given.
pub fn client_config(ca_file: Option<&Path>) -> Result<Arc<ClientConfig>, TlsError> {
    let Some(path) = ca_file else { return Ok(default_client_config()) };
    let bad = |reason: String| TlsError::CaFile { path: path.to_path_buf(), reason };
    let mut store = RootCertStore::from_iter(roots());
    let mut added = 0;
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| bad(e.to_string()))? {
        store.add(cert.map_err(|e| bad(e.to_string()))?).map_err(|e| bad(e.to_string()))?;
        added += 1;
    }
    if added == 0 {
        return Err(TlsError::NoCertificate(path.to_path_buf()));
    }
    build(store)
}

/// A WebSocket to `url`: TLS with `config` for `wss://`, plain for `ws://`.
/// The socket sends each frame at once (no Nagle delay).
pub async fn connect_websocket(
    url: &str,
    config: &Arc<ClientConfig>,
) -> Result<WebSocket, tokio_tungstenite::tungstenite::Error> {
    let connector = tokio_tungstenite::Connector::Rustls(config.clone());
    let (ws, _) = tokio_tungstenite::connect_async_tls_with_config(url, None, true, Some(connector)).await?;
    Ok(ws)
}

/// A WebSocket to a venue, over TLS or not.
pub type WebSocket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn roots() -> impl Iterator<Item = rustls::pki_types::TrustAnchor<'static>> {
    webpki_roots::TLS_SERVER_ROOTS.iter().cloned()
}

fn build(roots: RootCertStore) -> Result<Arc<ClientConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_that_is_missing_or_holds_no_certificate_is_named() {
        let missing = Path::new("/nonexistent/ca.pem");
        let err = client_config(Some(missing)).unwrap_err().to_string();
        assert!(err.contains("cannot read CA file /nonexistent/ca.pem"), "{err}");

        let dir = std::env::temp_dir().join(format!("pyrt-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let err = client_config(Some(&empty)).unwrap_err().to_string();
        assert!(err.contains("holds no PEM certificate"), "{err}");
        assert!(err.contains("empty.pem"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_built_in_roots_are_mozillas() {
        assert!(webpki_roots::TLS_SERVER_ROOTS.len() > 100);
        // Built once and shared.
        assert!(Arc::ptr_eq(&default_client_config(), &client_config(None).unwrap()));
    }
}
