//! The certificates a channel trusts: the platform's roots, or only the CA certificates of a PEM
//! file (for a private CA).

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use super::DeliveryError;

/// Reads the CA certificates of a PEM file.
pub fn ca_file_certs(path: &Path) -> std::result::Result<Vec<CertificateDer<'static>>, DeliveryError> {
    let bytes = std::fs::read(path).map_err(|e| format!("the CA file {} cannot be read: {e}", path.display()))?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| format!("the CA file {} is not PEM", path.display()))?;
    if certs.is_empty() {
        return Err(format!("the CA file {} holds no certificate", path.display()));
    }
    Ok(certs)
}

/// The roots: the CA file's certificates when one is given, else the platform's.
pub fn roots(ca_file: Option<&Path>) -> std::result::Result<RootCertStore, DeliveryError> {
    let mut store = RootCertStore::empty();
    match ca_file {
        Some(p) => {
            for c in ca_file_certs(p)? {
                store
                    .add(c)
                    .map_err(|_| format!("the CA file {} holds a certificate that is not valid", p.display()))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            for c in found.certs {
                let _ = store.add(c);
            }
            if store.is_empty() {
                return Err("no trusted CA certificates were found on this host; give a CA file".into());
            }
        }
    }
    Ok(store)
}

/// A client configuration that verifies the server against `roots` (TLS 1.2 and 1.3, AWS-LC).
pub fn client_config(ca_file: Option<&Path>) -> std::result::Result<Arc<rustls::ClientConfig>, DeliveryError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?
        .with_root_certificates(roots(ca_file)?)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
