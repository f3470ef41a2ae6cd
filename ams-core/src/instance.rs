//! The data directory of an instance: where it is, the host configuration file, the host key file.
//!
//! ```text
//! DATA_DIR/           0700
//!   host.toml         host configuration (per host, outside the database)
//!   host.key          host key protector, 0600, never overwritten
//!   ams.db            the SQLite database (default connection string sqlite://ams.db)
//! ```

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::crypto::seal::{SymmetricKey, hex, random_bytes, unhex};
use crate::error::{Error, ErrorCode, Result};

/// File name of the host configuration.
pub const HOST_CONFIG_FILE: &str = "host.toml";
/// File name of the host key protector.
pub const HOST_KEY_FILE: &str = "host.key";
/// Default database file name.
pub const DEFAULT_DB_FILE: &str = "ams.db";

/// Resolves the data directory: the explicit one, else `AMS_DATA_DIR`, else the platform default.
pub fn resolve_data_dir(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("AMS_DATA_DIR").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    default_data_dir().ok_or_else(|| {
        Error::new(ErrorCode::DataDirUnknown, "No data directory was given and no default could be found.")
            .hint("Pass --data-dir DIR or set AMS_DATA_DIR.")
    })
}

/// The platform default data directory.
pub fn default_data_dir() -> Option<PathBuf> {
    if cfg!(windows) {
        std::env::var_os("ProgramData").map(|p| PathBuf::from(p).join("ams"))
    } else if cfg!(target_os = "macos") {
        Some(PathBuf::from("/Library/Application Support/ams"))
    } else if is_root() {
        Some(PathBuf::from("/var/lib/ams"))
    } else if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(PathBuf::from(x).join("ams"))
    } else {
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share/ams"))
    }
}

fn is_root() -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // The owner of /proc/self is the effective user.
        fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// Host configuration: settings that belong to this host, kept outside the database.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HostConfig {
    /// File format version; always 1.
    pub version: u32,
    /// Database connection string, e.g. `sqlite://ams.db` (relative to the data directory).
    pub database: String,
    /// Log file path (empty: log to stderr only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_path: Option<String>,
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig { version: 1, database: format!("sqlite://{DEFAULT_DB_FILE}"), log_path: None }
    }
}

impl HostConfig {
    /// Reads `host.toml` from the data directory; a missing file gives the defaults.
    pub fn load(data_dir: &Path) -> Result<HostConfig> {
        let path = data_dir.join(HOST_CONFIG_FILE);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HostConfig::default()),
            Err(e) => return Err(Error::from(e).with("path", path.display())),
        };
        let cfg: HostConfig = toml::from_str(&text).map_err(|e| {
            Error::new(ErrorCode::HostConfigInvalid, "The host configuration file is not valid.")
                .hint("Fix or remove the file; `ams host-config get` shows the settings in force.")
                .with("path", path.display())
                .with("detail", e.message())
        })?;
        if cfg.version != 1 {
            return Err(Error::new(
                ErrorCode::HostConfigInvalid,
                "The host configuration file has an unknown version.",
            )
            .with("path", path.display())
            .with("version", cfg.version));
        }
        Ok(cfg)
    }

    /// Writes `host.toml` atomically (temporary file, fsync, rename), keeping it 0600.
    pub fn save(&self, data_dir: &Path) -> Result<()> {
        let text =
            toml::to_string_pretty(self).map_err(|_| Error::internal("Could not serialise the host configuration."))?;
        let text = format!("# ams host configuration (settings for this host only)\n{text}");
        write_atomic(&data_dir.join(HOST_CONFIG_FILE), text.as_bytes())
    }
}

/// The host key: a key-encryption key that wraps the master key for this host.
pub struct HostKey {
    /// The instance this key belongs to.
    pub instance_id: String,
    /// Id of this host key; host protector rows name it.
    pub host_key_id: String,
    /// The key-encryption key.
    pub key: SymmetricKey,
}

impl std::fmt::Debug for HostKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostKey")
            .field("instance_id", &self.instance_id)
            .field("host_key_id", &self.host_key_id)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HostKeyFile {
    format: String,
    instance_id: String,
    host_key_id: String,
    key: String,
}

const HOST_KEY_FORMAT: &str = "ams-host-key/1";

/// Why the host key file could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HostKeyProblem {
    /// No file.
    Missing,
    /// The file cannot be parsed.
    Corrupt,
    /// The file belongs to another instance.
    OtherInstance,
    /// The file does not unwrap the master key.
    Mismatch,
    /// The file's permissions are looser than 0600.
    LoosePermissions,
}

impl HostKeyProblem {
    /// A sentence for people.
    pub fn describe(self) -> &'static str {
        match self {
            HostKeyProblem::Missing => "the host key file is missing",
            HostKeyProblem::Corrupt => "the host key file is damaged",
            HostKeyProblem::OtherInstance => "the host key file belongs to another instance",
            HostKeyProblem::Mismatch => "the host key file does not unlock this instance's master key",
            HostKeyProblem::LoosePermissions => "the host key file can be read by other users",
        }
    }
}

impl HostKey {
    /// A fresh host key for an instance.
    pub fn generate(instance_id: &str) -> Result<HostKey> {
        Ok(HostKey {
            instance_id: instance_id.to_string(),
            host_key_id: crate::crypto::seal::new_id()?.to_string(),
            key: SymmetricKey::generate()?,
        })
    }

    /// Reads the host key file. The error side says what is wrong with it.
    pub fn load(data_dir: &Path) -> std::result::Result<HostKey, HostKeyProblem> {
        let path = data_dir.join(HOST_KEY_FILE);
        let bytes = match fs::read(&path) {
            Ok(b) => zeroize::Zeroizing::new(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(HostKeyProblem::Missing),
            Err(_) => return Err(HostKeyProblem::Corrupt),
        };
        if permissions_too_loose(&path) {
            return Err(HostKeyProblem::LoosePermissions);
        }
        let file: HostKeyFile = serde_json::from_slice(&bytes).map_err(|_| HostKeyProblem::Corrupt)?;
        if file.format != HOST_KEY_FORMAT {
            return Err(HostKeyProblem::Corrupt);
        }
        let raw = zeroize::Zeroizing::new(unhex(&file.key).ok_or(HostKeyProblem::Corrupt)?);
        let key = SymmetricKey::from_slice(&raw).map_err(|_| HostKeyProblem::Corrupt)?;
        let mut file = file;
        zeroize::Zeroize::zeroize(&mut file.key);
        Ok(HostKey { instance_id: file.instance_id, host_key_id: file.host_key_id, key })
    }

    fn to_json(&self) -> Result<zeroize::Zeroizing<Vec<u8>>> {
        let file = HostKeyFile {
            format: HOST_KEY_FORMAT.into(),
            instance_id: self.instance_id.clone(),
            host_key_id: self.host_key_id.clone(),
            key: hex(self.key.expose()),
        };
        let mut out = serde_json::to_vec_pretty(&file).map_err(|_| Error::internal("host key serialisation"))?;
        out.push(b'\n');
        let mut file = file;
        zeroize::Zeroize::zeroize(&mut file.key);
        Ok(zeroize::Zeroizing::new(out))
    }

    /// Writes a new host key file; refuses to overwrite an existing one.
    pub fn create_file(&self, data_dir: &Path) -> Result<()> {
        let path = data_dir.join(HOST_KEY_FILE);
        write_new_private(&path, &self.to_json()?).map_err(|e| {
            if e.code() == ErrorCode::FileExists {
                Error::new(ErrorCode::HostKeyExists, "A host key file already exists and is never overwritten.")
                    .hint("Move the old host.key away if you really mean to replace it.")
                    .with("path", path.display())
            } else {
                e
            }
        })
    }

    /// Writes the host key to a temporary file beside `host.key`, ready for [`HostKey::install`].
    pub fn stage_file(&self, data_dir: &Path) -> Result<PathBuf> {
        let tmp = data_dir.join(format!("{HOST_KEY_FILE}.new-{}", hex(&random_bytes::<4>()?)));
        write_new_private(&tmp, &self.to_json()?)?;
        Ok(tmp)
    }

    /// Puts a staged key file in place; an existing `host.key` is kept as `host.key.replaced-<stamp>`.
    pub fn install(staged: &Path, data_dir: &Path, stamp: &str) -> Result<Option<PathBuf>> {
        let path = data_dir.join(HOST_KEY_FILE);
        let mut kept = None;
        if path.exists() {
            let old = data_dir.join(format!("{HOST_KEY_FILE}.replaced-{stamp}"));
            fs::rename(&path, &old)?;
            kept = Some(old);
        }
        fs::rename(staged, &path)?;
        sync_dir(data_dir);
        Ok(kept)
    }
}

/// True when a file holding key material can be read or written by group or others.
pub fn permissions_too_loose(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).map(|m| m.permissions().mode() & 0o077 != 0).unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

/// Creates the data directory (0700) if needed.
pub fn create_data_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| Error::from(e).with("path", dir.display()))?;
    }
    #[cfg(not(unix))]
    fs::create_dir_all(dir).map_err(|e| Error::from(e).with("path", dir.display()))?;
    Ok(())
}

/// Creates a new file with mode 0600 and the given content, fsynced. Never overwrites.
pub fn write_new_private(path: &Path, content: &[u8]) -> Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::new(ErrorCode::FileExists, "The file already exists and is never overwritten.")
                .with("path", path.display())
        } else {
            Error::from(e).with("path", path.display())
        }
    })?;
    f.write_all(content)?;
    f.sync_all()?;
    if let Some(parent) = path.parent() {
        sync_dir(parent);
    }
    Ok(())
}

/// Replaces a file atomically: a 0600 temporary file beside it, fsync, rename.
pub fn write_atomic(path: &Path, content: &[u8]) -> Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", hex(&random_bytes::<4>()?)));
    write_new_private(&tmp, content)?;
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(Error::from(e).with("path", path.display()));
    }
    if let Some(parent) = path.parent() {
        sync_dir(parent);
    }
    Ok(())
}

fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_key_file_round_trip_and_no_overwrite() {
        let d = tempfile::tempdir().unwrap();
        let k = HostKey::generate("inst").unwrap();
        k.create_file(d.path()).unwrap();
        assert!(!permissions_too_loose(&d.path().join(HOST_KEY_FILE)));
        let back = HostKey::load(d.path()).unwrap();
        assert_eq!(back.instance_id, "inst");
        assert_eq!(back.key.expose(), k.key.expose());
        let again = HostKey::generate("inst").unwrap();
        assert_eq!(again.create_file(d.path()).unwrap_err().code(), ErrorCode::HostKeyExists);
    }

    #[test]
    fn host_key_problems_are_named() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(HostKey::load(d.path()).unwrap_err(), HostKeyProblem::Missing);
        write_new_private(&d.path().join(HOST_KEY_FILE), b"garbage").unwrap();
        assert_eq!(HostKey::load(d.path()).unwrap_err(), HostKeyProblem::Corrupt);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(d.path().join(HOST_KEY_FILE), fs::Permissions::from_mode(0o644)).unwrap();
            assert_eq!(HostKey::load(d.path()).unwrap_err(), HostKeyProblem::LoosePermissions);
        }
    }

    #[test]
    fn host_config_defaults_and_rejects_unknown_keys() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(HostConfig::load(d.path()).unwrap(), HostConfig::default());
        HostConfig::default().save(d.path()).unwrap();
        assert_eq!(HostConfig::load(d.path()).unwrap(), HostConfig::default());
        fs::write(d.path().join(HOST_CONFIG_FILE), "version = 1\ndatabase = \"sqlite://x\"\nbogus = 1\n").unwrap();
        assert_eq!(HostConfig::load(d.path()).unwrap_err().code(), ErrorCode::HostConfigInvalid);
    }
}
