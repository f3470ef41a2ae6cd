//! Host configuration (Get/Set-AmsHostConfig): the settings of this one host, kept in
//! `host.toml` in the data directory, outside the database. They need no open instance, so a
//! host whose database is unreachable can still be pointed at the right one.

use std::path::{Path, PathBuf};

use serde::Serialize;
use zeroize::Zeroizing;

use crate::error::{Error, ErrorCode, Result};
use crate::instance::{HOST_CONFIG_FILE, HostConfig, mask_secrets};
use crate::store::{DbUrl, EngineKind};

/// The host configuration as `ams host-config get` shows it. The connection string is shown
/// with any password masked.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct HostConfigInfo {
    /// The data directory.
    pub data_directory: String,
    /// The host configuration file.
    pub config_file: String,
    /// False when the file does not exist and every value is a default.
    pub config_file_exists: bool,
    /// Database connection string, password masked.
    pub connection_string: String,
    /// `sqlite`, `mssql` or `unknown`.
    pub database_engine: String,
    /// Whether this host serves the agent API.
    pub agent_access_enabled: bool,
    /// Whether this host serves the end-user web app.
    pub web_app_enabled: bool,
    /// Whether this host accepts remote management.
    pub remote_management_enabled: bool,
    /// DNS name agents and users reach this host by.
    pub external_hostname: Option<String>,
    /// HTTP port (redirect only).
    pub http_port: u16,
    /// HTTPS port.
    pub https_port: u16,
    /// Log file or folder.
    pub log_path: Option<String>,
    /// Folder for additional configuration files.
    pub config_path: Option<String>,
}

/// A connection string on its way into the host configuration. It may hold a password, so it
/// is zeroized on drop and never printed in full.
pub struct ConnectionString(Zeroizing<String>);

impl ConnectionString {
    /// Wraps a connection string (surrounding white space is dropped).
    pub fn new(s: &str) -> Self {
        ConnectionString(Zeroizing::new(s.trim().to_string()))
    }

    /// The value.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the string holds a password (a `password=`/`pwd=` pair or URL user info).
    pub fn has_password(&self) -> bool {
        mask_secrets(&self.0) != *self.0
    }
}

impl std::fmt::Debug for ConnectionString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ConnectionString").field(&mask_secrets(&self.0)).finish()
    }
}

/// Changes to the host configuration; `None` leaves a setting as it is. For the optional text
/// settings an empty string removes the value.
#[derive(Debug, Default)]
pub struct HostConfigChanges {
    /// Serve the agent API on this host.
    pub agent_access_enabled: Option<bool>,
    /// Serve the end-user web app on this host.
    pub web_app_enabled: Option<bool>,
    /// Accept remote management on this host.
    pub remote_management_enabled: Option<bool>,
    /// DNS name agents and users reach this host by (empty: remove).
    pub external_hostname: Option<String>,
    /// HTTP port, 1-65535.
    pub http_port: Option<i64>,
    /// HTTPS port, 1-65535.
    pub https_port: Option<i64>,
    /// Log file or folder, an absolute path (empty: remove).
    pub log_path: Option<String>,
    /// Folder for additional configuration files, an absolute path (empty: remove).
    pub config_path: Option<String>,
    /// New database connection string.
    pub connection_string: Option<ConnectionString>,
    /// Store the connection string without testing it.
    pub skip_connection_string_validation: bool,
}

/// Which engine a connection string names, without opening anything: `sqlite`, `mssql` or
/// `unknown` (see [`EngineKind::detect`]).
pub fn engine_name(connection_string: &str) -> &'static str {
    EngineKind::detect(connection_string).map_or("unknown", EngineKind::name)
}

/// True for a DNS host name: dot-separated labels of 1-63 letters, digits and hyphens (not at a
/// label's ends), at most 253 characters, one trailing dot allowed.
pub fn is_dns_name(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn invalid(setting: &'static str, message: impl Into<String>) -> Error {
    Error::new(ErrorCode::HostConfigValueInvalid, message).with("setting", setting)
}

fn check_port(setting: &'static str, v: i64) -> Result<u16> {
    u16::try_from(v)
        .ok()
        .filter(|p| *p >= 1)
        .ok_or_else(|| invalid(setting, format!("{setting} must be a port number between 1 and 65535.")))
}

fn check_path(setting: &'static str, v: &str) -> Result<Option<String>> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if v.chars().any(char::is_control) || v.len() > 4096 {
        return Err(invalid(setting, format!("{setting} is not a valid path.")));
    }
    // A Windows drive path counts as absolute everywhere, so one host.toml works on either OS.
    let windows_abs =
        v.len() > 2 && v.as_bytes().get(1) == Some(&b':') && matches!(v.as_bytes().get(2), Some(b'\\' | b'/'));
    if !(Path::new(v).is_absolute() || windows_abs) {
        return Err(invalid(setting, format!("{setting} must be an absolute path.")).with("path", v));
    }
    Ok(Some(v.to_string()))
}

fn check_host_name(v: &str) -> Result<Option<String>> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if !is_dns_name(v) {
        return Err(invalid("ExternalHostname", "ExternalHostname must be a DNS host name such as ams.example.com.")
            .with("value", v));
    }
    Ok(Some(v.to_ascii_lowercase()))
}

/// Tests a connection string: it must name an engine this build supports; for SQLite the
/// folder must exist and the file must be an ams database (any schema version this binary can
/// open or migrate); for SQL Server ams connects and logs in, and the database must be an ams
/// database or empty (for `ams init`). With `skip` only the form is checked (and, in a build
/// without SQL Server support, SQL Server strings are accepted for a later build).
pub fn validate_connection_string(cs: &ConnectionString, data_dir: &Path, skip: bool) -> Result<()> {
    let s = cs.expose();
    if s.is_empty() || s.len() > 4096 || s.chars().any(char::is_control) {
        return Err(Error::new(ErrorCode::ConnectionStringInvalid, "The connection string is empty or not valid."));
    }
    let url = match (DbUrl::parse(s, data_dir), EngineKind::detect(s)) {
        (Ok(url), _) => url,
        #[cfg(not(feature = "mssql"))]
        (Err(_), Some(EngineKind::Mssql)) if skip => return Ok(()),
        #[cfg(not(feature = "mssql"))]
        (Err(e), Some(EngineKind::Mssql)) => {
            return Err(e.hint(
                "To store it anyway for a build with SQL Server support, add --skip-connection-string-validation; this build then refuses to open the database (AMS-DB-0006).",
            ));
        }
        // With SQL Server support a malformed SQL Server string is refused even when the
        // connection test is skipped: only its form is checked then.
        (Err(e), _) => return Err(e),
    };
    if skip {
        return Ok(());
    }
    match crate::store::probe(&url) {
        Ok(_) => Ok(()),
        Err(e) if e.code() == ErrorCode::ConnectionStringInvalid => Err(e.hint(
            "Point it at an existing ams database, or add --skip-connection-string-validation to store it untested.",
        )),
        Err(e) => Err(e),
    }
}

fn config_path(data_dir: &Path) -> PathBuf {
    data_dir.join(HOST_CONFIG_FILE)
}

fn require_data_dir(data_dir: &Path) -> Result<()> {
    if data_dir.is_dir() {
        Ok(())
    } else {
        Err(Error::new(ErrorCode::InstanceNotFound, "The data directory does not exist.")
            .hint("Run `ams init` to create an instance, or pass the right --data-dir / AMS_DATA_DIR.")
            .with("data_dir", data_dir.display()))
    }
}

impl HostConfigInfo {
    fn new(data_dir: &Path, cfg: &HostConfig) -> HostConfigInfo {
        let file = config_path(data_dir);
        HostConfigInfo {
            data_directory: data_dir.display().to_string(),
            config_file_exists: file.is_file(),
            config_file: file.display().to_string(),
            connection_string: mask_secrets(&cfg.database),
            database_engine: engine_name(&cfg.database).into(),
            agent_access_enabled: cfg.agent_access_enabled,
            web_app_enabled: cfg.web_app_enabled,
            remote_management_enabled: cfg.remote_management_enabled,
            external_hostname: cfg.external_hostname.clone(),
            http_port: cfg.http_port,
            https_port: cfg.https_port,
            log_path: cfg.log_path.clone(),
            config_path: cfg.config_path.clone(),
        }
    }
}

/// Reads the host configuration of a data directory (defaults when the file does not exist).
pub fn host_config(data_dir: &Path) -> Result<HostConfigInfo> {
    require_data_dir(data_dir)?;
    let cfg = HostConfig::load(data_dir)?;
    Ok(HostConfigInfo::new(data_dir, &cfg))
}

/// Applies changes to the host configuration after checking every value, then writes the file
/// atomically (keeping its permissions). Nothing is written when a value is refused or nothing
/// changes. A running service only sees the change after a restart.
pub fn set_host_config(data_dir: &Path, ch: &HostConfigChanges) -> Result<HostConfigInfo> {
    require_data_dir(data_dir)?;
    let old = HostConfig::load(data_dir)?;
    let mut cfg = old.clone();
    if let Some(v) = ch.agent_access_enabled {
        cfg.agent_access_enabled = v;
    }
    if let Some(v) = ch.web_app_enabled {
        cfg.web_app_enabled = v;
    }
    if let Some(v) = ch.remote_management_enabled {
        cfg.remote_management_enabled = v;
    }
    if let Some(v) = &ch.external_hostname {
        cfg.external_hostname = check_host_name(v)?;
    }
    if let Some(v) = ch.http_port {
        cfg.http_port = check_port("HttpPort", v)?;
    }
    if let Some(v) = ch.https_port {
        cfg.https_port = check_port("HttpsPort", v)?;
    }
    if cfg.http_port == cfg.https_port {
        return Err(invalid("HttpPort", "HttpPort and HttpsPort must differ.").with("port", cfg.http_port));
    }
    if let Some(v) = &ch.log_path {
        cfg.log_path = check_path("LogPath", v)?;
    }
    if let Some(v) = &ch.config_path {
        cfg.config_path = check_path("ConfigPath", v)?;
    }
    if let Some(cs) = &ch.connection_string {
        validate_connection_string(cs, data_dir, ch.skip_connection_string_validation)?;
        cfg.database = cs.expose().to_string();
    }
    if cfg != old || !config_path(data_dir).is_file() {
        cfg.save(data_dir)?;
    }
    Ok(HostConfigInfo::new(data_dir, &cfg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names() {
        for ok in ["ams", "ams.example.com", "a-b.example.com.", "10.0.0.1", "x1.y2"] {
            assert!(is_dns_name(ok), "{ok}");
        }
        for bad in ["", ".", "-a.b", "a-.b", "a..b", "a b", "a_b.c", "ams.example.com/x", &"a".repeat(64)] {
            assert!(!is_dns_name(bad), "{bad}");
        }
    }

    #[test]
    fn engines_and_passwords() {
        assert_eq!(engine_name("sqlite://x.db"), "sqlite");
        assert_eq!(engine_name("Server=db;Database=ams;User Id=a;Password=b"), "mssql");
        assert_eq!(engine_name("mssql://a:b@db/ams"), "mssql");
        assert_eq!(engine_name("postgres://db"), "unknown");
        assert!(ConnectionString::new("Server=db;Password=b").has_password());
        assert!(ConnectionString::new("mssql://u:p@db/ams").has_password());
        assert!(!ConnectionString::new("sqlite://ams.db").has_password());
        let dbg = format!("{:?}", ConnectionString::new("Server=db;Pwd=Secret-123"));
        assert!(!dbg.contains("Secret-123"), "{dbg}");
    }

    #[test]
    fn paths_ports_and_names_are_checked() {
        assert_eq!(check_path("LogPath", "").unwrap(), None);
        assert!(check_path("LogPath", "/var/log/ams").is_ok());
        assert!(check_path("LogPath", "C:\\Logs\\AMS").is_ok());
        assert_eq!(check_path("LogPath", "logs").unwrap_err().code(), ErrorCode::HostConfigValueInvalid);
        assert_eq!(check_port("HttpsPort", 0).unwrap_err().code(), ErrorCode::HostConfigValueInvalid);
        assert_eq!(check_port("HttpsPort", 65_536).unwrap_err().code(), ErrorCode::HostConfigValueInvalid);
        assert_eq!(check_port("HttpsPort", 8443).unwrap(), 8443);
        assert_eq!(check_host_name("AMS.Example.com").unwrap().as_deref(), Some("ams.example.com"));
    }
}
