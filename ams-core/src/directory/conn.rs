//! Opening an LDAP connection: plain LDAP, StartTLS or LDAPS with certificate verification
//! (rustls with AWS-LC, the provider the rest of ams uses), and the bind.
//!
//! The rules (docs/directory.md, ADR 0011):
//! - TLS is verified against the CA file of the settings, or the system's trusted roots without
//!   one. There is no "don't verify" mode.
//! - StartTLS that the server refuses is an error: the connection never continues in clear.
//! - A simple bind with a password over plain LDAP is refused before anything is sent, unless
//!   the settings allow it explicitly.

use std::io::ErrorKind as IoKind;
use std::sync::Arc;
use std::time::Duration;

use ldap3::{LdapConn, LdapConnSettings, LdapError};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::{ClientConfig, RootCertStore};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, Result};

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TlsMode {
    /// Plain LDAP (`ldap://`); a simple bind then needs `allow_plain_bind`.
    None,
    /// `ldap://` upgraded with the StartTLS extended operation before the bind.
    StartTls,
    /// TLS from the first byte (`ldaps://`).
    Ldaps,
}

impl TlsMode {
    /// Parses `none`, `starttls` or `ldaps` (any case).
    pub fn parse(s: &str) -> Result<TlsMode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Ok(TlsMode::None),
            "starttls" => Ok(TlsMode::StartTls),
            "ldaps" => Ok(TlsMode::Ldaps),
            _ => Err(Error::new(ErrorCode::DirectoryTlsConfigInvalid, format!("Unknown TLS mode '{s}'."))
                .hint("Use starttls, ldaps or none.")),
        }
    }

    /// `None`, `StartTls` or `Ldaps`.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::None => "None",
            TlsMode::StartTls => "StartTls",
            TlsMode::Ldaps => "Ldaps",
        }
    }

    /// The mode a URL implies when none is set: LDAPS for `ldaps://`, StartTLS for `ldap://`
    /// (protected by default; plain LDAP only when asked for).
    pub fn default_for(url: &str) -> TlsMode {
        if url.trim().to_ascii_lowercase().starts_with("ldaps://") { TlsMode::Ldaps } else { TlsMode::StartTls }
    }
}

/// Everything needed to open a connection (the bind DN and password come separately).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSettings {
    /// `ldap://host[:port]` or `ldaps://host[:port]`.
    pub url: String,
    /// How the connection is protected.
    pub tls: TlsMode,
    /// PEM file with the CA certificates trusted for the server's certificate (none: the
    /// system's trusted roots).
    pub ca_file: Option<String>,
    /// Allow a simple bind with a password over plain LDAP.
    pub allow_plain_bind: bool,
}

impl ConnectionSettings {
    /// Checks that the URL and the mode agree.
    pub fn check(&self) -> Result<()> {
        let lower = self.url.trim().to_ascii_lowercase();
        let ldaps = lower.starts_with("ldaps://");
        if !ldaps && !lower.starts_with("ldap://") {
            return Err(Error::new(
                ErrorCode::DirectoryTlsConfigInvalid,
                format!("'{}' is not an ldap:// or ldaps:// URL.", self.url),
            )
            .hint("Give the directory as ldap://HOST[:PORT] (with StartTLS) or ldaps://HOST[:PORT]."));
        }
        if ldaps != (self.tls == TlsMode::Ldaps) {
            return Err(Error::new(
                ErrorCode::DirectoryTlsConfigInvalid,
                format!("TLS mode {} does not fit the URL '{}'.", self.tls.as_str(), self.url),
            )
            .hint("ldaps:// URLs use --tls ldaps; ldap:// URLs use --tls starttls or --tls none."));
        }
        if let Some(f) = &self.ca_file
            && f.trim().is_empty()
        {
            return Err(Error::new(ErrorCode::DirectoryTlsConfigInvalid, "The CA file path is empty."));
        }
        Ok(())
    }
}

/// The trusted roots: the CA file's certificates, or the system's.
fn roots(ca_file: Option<&str>) -> Result<RootCertStore> {
    let mut store = RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let bad = |why: String| {
                Error::new(ErrorCode::DirectoryTlsConfigInvalid, format!("The CA file {path} {why}."))
                    .hint("Give a PEM file with the certificate of the CA that issued the directory server's certificate (--ca-file).")
                    .with("ca_file", path)
            };
            let data = std::fs::read(path).map_err(|e| bad(format!("cannot be read: {e}")))?;
            for c in CertificateDer::pem_slice_iter(&data) {
                let c = c.map_err(|_| bad("is not a PEM certificate file".into()))?;
                store.add(c).map_err(|e| bad(format!("holds a certificate that cannot be used: {e}")))?;
            }
            if store.is_empty() {
                return Err(bad("holds no certificate".into()));
            }
        }
        None => {
            for c in rustls_native_certs::load_native_certs().certs {
                let _ = store.add(c);
            }
            if store.is_empty() {
                return Err(Error::new(
                    ErrorCode::DirectoryTlsConfigInvalid,
                    "No CA file is set and the system has no trusted root certificates.",
                )
                .hint("Give the directory's CA with `ams jit directory set --ca-file PATH`."));
            }
        }
    }
    Ok(store)
}

fn tls_config(ca_file: Option<&str>) -> Result<Arc<ClientConfig>> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::internal(format!("TLS configuration: {e}")))?
        .with_root_certificates(roots(ca_file)?)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Whether an error happened below TLS (nothing listens, no route, time-out) rather than in the
/// TLS handshake or the StartTLS operation.
fn transport_error(e: &LdapError) -> bool {
    match e {
        LdapError::Io { source } => {
            let tls = source.get_ref().is_some_and(|i| i.downcast_ref::<rustls::Error>().is_some());
            !tls && matches!(
                source.kind(),
                IoKind::ConnectionRefused
                    | IoKind::TimedOut
                    | IoKind::NotFound
                    | IoKind::AddrNotAvailable
                    | IoKind::HostUnreachable
                    | IoKind::NetworkUnreachable
            )
        }
        LdapError::Timeout { .. } | LdapError::UrlParsing { .. } | LdapError::UnknownScheme(_) => true,
        _ => false,
    }
}

/// The error for a connection that could not be opened.
pub(crate) fn unavailable(url: &str, e: &LdapError) -> Error {
    Error::new(ErrorCode::DirectoryUnavailable, format!("The directory at {url} could not be reached: {e}."))
        .hint("Check that the directory server is running and that `ams jit directory get` names the right URL.")
        .with("url", url)
}

/// Opens a connection (10 s connect timeout, 30 s per operation) and binds as `bind_dn` with
/// `password` (an empty DN binds anonymously).
pub fn open(s: &ConnectionSettings, bind_dn: &str, password: &str) -> Result<LdapConn> {
    s.check()?;
    let url = s.url.trim();
    if s.tls == TlsMode::None && !s.allow_plain_bind && !(bind_dn.is_empty() && password.is_empty()) {
        return Err(Error::new(
            ErrorCode::DirectoryPlainBindRefused,
            format!("The directory at {url} is set to plain LDAP: the bind password would cross the network in clear, so the bind was not attempted."),
        )
        .hint("Use `ams jit directory set --tls starttls` (or an ldaps:// URL with --tls ldaps) and --ca-file; or, only where the path is otherwise protected, --allow-plain-bind true.")
        .with("url", url));
    }
    let mut settings = LdapConnSettings::new().set_conn_timeout(Duration::from_secs(10));
    if s.tls != TlsMode::None {
        settings = settings.set_config(tls_config(s.ca_file.as_deref())?).set_starttls(s.tls == TlsMode::StartTls);
    }
    let mut conn = LdapConn::with_settings(settings, url).map_err(|e| {
        if s.tls != TlsMode::None && !transport_error(&e) {
            Error::new(
                ErrorCode::DirectoryTlsFailed,
                format!("The TLS connection ({}) to the directory at {url} failed: {e}.", s.tls.as_str()),
            )
            .hint("Check that the server speaks this TLS mode and that its certificate is issued by the CA in --ca-file for the host name in the URL.")
            .with("url", url)
            .with("tls", s.tls.as_str())
        } else {
            unavailable(url, &e)
        }
    })?;
    conn.with_timeout(Duration::from_secs(30));
    conn.simple_bind(bind_dn, password).and_then(|r| r.success()).map_err(|e| {
        Error::new(
            ErrorCode::DirectoryUnavailable,
            format!("The directory at {url} refused the bind as {bind_dn}: {e}."),
        )
        .hint("Check the bind DN and set the password again with `ams jit directory set --bind-password-stdin`.")
        .with("url", url)
    })?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str, tls: TlsMode) -> ConnectionSettings {
        ConnectionSettings { url: url.into(), tls, ca_file: None, allow_plain_bind: false }
    }

    #[test]
    fn modes_must_fit_the_url() {
        assert!(settings("ldaps://dc1", TlsMode::Ldaps).check().is_ok());
        assert!(settings("ldap://dc1", TlsMode::StartTls).check().is_ok());
        assert!(settings("ldap://dc1", TlsMode::None).check().is_ok());
        for (u, m) in
            [("ldaps://dc1", TlsMode::StartTls), ("ldap://dc1", TlsMode::Ldaps), ("http://dc1", TlsMode::None)]
        {
            assert_eq!(settings(u, m).check().unwrap_err().code(), ErrorCode::DirectoryTlsConfigInvalid);
        }
        assert_eq!(TlsMode::default_for("LDAPS://dc1"), TlsMode::Ldaps);
        assert_eq!(TlsMode::default_for("ldap://dc1"), TlsMode::StartTls);
        assert_eq!(TlsMode::parse("StartTLS").unwrap(), TlsMode::StartTls);
        assert!(TlsMode::parse("tls").is_err());
    }

    #[test]
    fn plain_simple_bind_is_refused_before_connecting() {
        // Port 9 on loopback: nothing is contacted, the refusal comes first.
        let e = open(&settings("ldap://127.0.0.1:9", TlsMode::None), "cn=admin", "pw").unwrap_err();
        assert_eq!(e.code(), ErrorCode::DirectoryPlainBindRefused);
        assert!(!e.to_string().contains("pw\""));
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ca.pem");
        std::fs::write(&p, "not a certificate\n").unwrap();
        let e = roots(Some(p.to_str().unwrap())).unwrap_err();
        assert_eq!(e.code(), ErrorCode::DirectoryTlsConfigInvalid);
        let e = roots(Some("/nonexistent/ca.pem")).unwrap_err();
        assert_eq!(e.code(), ErrorCode::DirectoryTlsConfigInvalid);
    }
}
