//! The server's TLS configuration: rustls on AWS-LC, TLS 1.2 and 1.3 only, HTTP/1.1, with the
//! certificate and key from PEM files or a PFX file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ams_core::{Error, ErrorCode, Result};
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use zeroize::Zeroizing;

/// Where the certificate and key come from.
pub enum TlsSource {
    /// A PEM certificate chain (leaf first) and a PEM private key (PKCS#8, PKCS#1 or SEC1).
    Pem {
        /// Certificate chain file.
        cert: PathBuf,
        /// Private key file (should be 0600).
        key: PathBuf,
    },
    /// A PKCS#12 file and its password (the leaf certificate and its key are used).
    Pfx {
        /// The PFX file.
        file: PathBuf,
        /// Its password.
        password: Zeroizing<String>,
    },
}

impl std::fmt::Debug for TlsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlsSource::Pem { cert, key } => f.debug_struct("Pem").field("cert", cert).field("key", key).finish(),
            TlsSource::Pfx { file, .. } => f.debug_struct("Pfx").field("file", file).finish_non_exhaustive(),
        }
    }
}

fn bad(message: &str, path: &Path) -> Error {
    Error::new(ErrorCode::TlsConfigInvalid, message.to_string())
        .hint("Give a PEM certificate chain and its private key (--tls-cert, --tls-key), or a PFX file (--tls-pfx).")
        .with("path", path.display())
}

/// The crypto provider every TLS endpoint of ams uses.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Builds the server configuration.
pub fn server_config(src: &TlsSource) -> Result<Arc<ServerConfig>> {
    let (chain, key): (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) = match src {
        TlsSource::Pem { cert, key } => {
            let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
                .map_err(|_| bad("The TLS certificate file cannot be read.", cert))?
                .collect::<std::result::Result<_, _>>()
                .map_err(|_| bad("The TLS certificate file is not PEM.", cert))?;
            if chain.is_empty() {
                return Err(bad("The TLS certificate file holds no certificate.", cert));
            }
            let k = PrivateKeyDer::from_pem_file(key)
                .map_err(|_| bad("The TLS key file holds no PEM private key.", key))?;
            (chain, k)
        }
        TlsSource::Pfx { file, password } => {
            let bytes = std::fs::read(file).map_err(|e| Error::from(e).with("path", file.display()))?;
            let c = ams_core::crypto::pfx::decode(&bytes, password)?;
            let k = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(c.private_key_pkcs8.to_vec()));
            (vec![CertificateDer::from(c.certificate_der.clone())], k)
        }
    };
    let path = match src {
        TlsSource::Pem { cert, .. } => cert.clone(),
        TlsSource::Pfx { file, .. } => file.clone(),
    };
    let mut cfg = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|_| bad("The TLS versions are not supported.", &path))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|_| bad("The TLS private key does not belong to the certificate, or is not supported.", &path))?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// A client configuration trusting the PEM certificates in `ca_file`, or the system's roots.
pub fn client_config(ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(p) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(p)
                .map_err(|_| ca_bad(p))?
                .collect::<std::result::Result<_, _>>()
                .map_err(|_| ca_bad(p))?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(ca_bad(p));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
        }
    }
    let cfg = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|_| Error::internal("TLS versions"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(cfg))
}

fn ca_bad(p: &Path) -> Error {
    Error::new(ErrorCode::TlsConfigInvalid, "The CA file holds no PEM certificate.")
        .hint("Give the PEM certificate (or its issuing CA) that the server presents.")
        .with("path", p.display())
}
