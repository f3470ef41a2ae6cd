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
/// Prefix of the host key a master-key rotation stages (`host.key.next-<host key id>`), installed
/// as `host.key` once the rotation commits. One file per rotation, so concurrent rotations never
/// remove each other's.
pub const HOST_KEY_NEXT_PREFIX: &str = "host.key.next-";
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
///
/// Fields added after the first release carry `#[serde(default)]`, so older files still load.
/// `Debug` masks any password in the connection string.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HostConfig {
    /// File format version; always 1.
    pub version: u32,
    /// Database connection string, e.g. `sqlite://ams.db` (relative to the data directory).
    pub database: String,
    /// Where this host writes its logs: a file, or a folder of `*.log` files (unset: stderr only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_path: Option<String>,
    /// Folder for additional configuration files of this host (unset: the data directory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_path: Option<String>,
    /// DNS name that agents and users reach this host by (unset: none published).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_hostname: Option<String>,
    /// Whether this host serves the agent API.
    #[serde(default)]
    pub agent_access_enabled: bool,
    /// Whether this host serves the end-user web app.
    #[serde(default = "default_true")]
    pub web_app_enabled: bool,
    /// Whether this host accepts remote management.
    #[serde(default)]
    pub remote_management_enabled: bool,
    /// HTTP port (redirects to HTTPS only).
    #[serde(default = "default_http_port")]
    pub http_port: u16,
    /// HTTPS port.
    #[serde(default = "default_https_port")]
    pub https_port: u16,
}

impl std::fmt::Debug for HostConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostConfig")
            .field("version", &self.version)
            .field("database", &mask_secrets(&self.database))
            .field("log_path", &self.log_path)
            .field("config_path", &self.config_path)
            .field("external_hostname", &self.external_hostname)
            .field("agent_access_enabled", &self.agent_access_enabled)
            .field("web_app_enabled", &self.web_app_enabled)
            .field("remote_management_enabled", &self.remote_management_enabled)
            .field("http_port", &self.http_port)
            .field("https_port", &self.https_port)
            .finish()
    }
}

fn default_true() -> bool {
    true
}

/// Default HTTP port of a host.
pub const DEFAULT_HTTP_PORT: u16 = 80;
/// Default HTTPS port of a host.
pub const DEFAULT_HTTPS_PORT: u16 = 443;

fn default_http_port() -> u16 {
    DEFAULT_HTTP_PORT
}

fn default_https_port() -> u16 {
    DEFAULT_HTTPS_PORT
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            version: 1,
            database: format!("sqlite://{DEFAULT_DB_FILE}"),
            log_path: None,
            config_path: None,
            external_hostname: None,
            agent_access_enabled: false,
            web_app_enabled: true,
            remote_management_enabled: false,
            http_port: DEFAULT_HTTP_PORT,
            https_port: DEFAULT_HTTPS_PORT,
        }
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

    /// Writes `host.toml` atomically (temporary file, fsync, rename). A new file is 0600; an
    /// existing file keeps its permissions (and, where allowed, its owner).
    pub fn save(&self, data_dir: &Path) -> Result<()> {
        let text =
            toml::to_string_pretty(self).map_err(|_| Error::internal("Could not serialise the host configuration."))?;
        let text = format!("# ams host configuration (settings for this host only)\n{text}");
        write_atomic(&data_dir.join(HOST_CONFIG_FILE), text.as_bytes())
    }
}

/// The name of this computer, recorded in the host protector it creates (so `ams key status` can
/// say which host a protector belongs to). Informational only: keys are told apart by their id.
/// `None` when the system does not say.
pub fn host_name() -> Option<String> {
    let raw = if cfg!(windows) {
        std::env::var("COMPUTERNAME").ok()
    } else {
        fs::read_to_string("/proc/sys/kernel/hostname")
            .or_else(|_| fs::read_to_string("/etc/hostname"))
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
    };
    let name = raw?.trim().to_string();
    let printable = !name.is_empty() && name.len() <= 253 && name.chars().all(|c| c.is_ascii_graphic());
    printable.then_some(name)
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
    /// The master key was rotated on another host: this host's protector is waiting for
    /// `ams key recover` (a rotating host cannot wrap the new key for other hosts' keys).
    Rotated,
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
            HostKeyProblem::Rotated => {
                "the master key was rotated on another host and this host's protector waits for `ams key recover`"
            }
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
        HostKey::load_file(&data_dir.join(HOST_KEY_FILE))
    }

    /// The host keys rotations staged and did not install (`host.key.next-*`), with their paths.
    /// Entries that are not plain 0600 files of the right format are skipped.
    pub fn staged_next(data_dir: &Path) -> Vec<(PathBuf, HostKey)> {
        let Ok(entries) = fs::read_dir(data_dir) else {
            return Vec::new();
        };
        let mut out: Vec<(PathBuf, HostKey)> = entries
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(HOST_KEY_NEXT_PREFIX))
            .filter_map(|e| HostKey::load_file(&e.path()).ok().map(|k| (e.path(), k)))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    fn load_file(path: &Path) -> std::result::Result<HostKey, HostKeyProblem> {
        let path = path.to_path_buf();
        if fs::symlink_metadata(&path).is_ok_and(|m| !m.file_type().is_file()) {
            // A link or anything else planted in place of the key file is never followed.
            return Err(HostKeyProblem::Corrupt);
        }
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

    /// Writes the host key as `host.key.next-<host key id>` (0600, a new file, never through a
    /// planted link), ready for [`HostKey::install`]. Until it is installed, unlocking tries it
    /// when `host.key` no longer opens the master key, so a rotation interrupted after its commit
    /// still unlocks.
    pub fn stage_next(&self, data_dir: &Path) -> Result<PathBuf> {
        let next = data_dir.join(format!("{HOST_KEY_NEXT_PREFIX}{}", self.host_key_id));
        write_new_private(&next, &self.to_json()?)?;
        Ok(next)
    }

    /// The host key id (public: it names the protector the key opens).
    pub fn id(&self) -> &str {
        &self.host_key_id
    }

    /// Writes the host key to a temporary file beside `host.key`, ready for [`HostKey::install`].
    pub fn stage_file(&self, data_dir: &Path) -> Result<PathBuf> {
        let tmp = data_dir.join(format!("{HOST_KEY_FILE}.new-{}", hex(&random_bytes::<4>()?)));
        write_new_private(&tmp, &self.to_json()?)?;
        Ok(tmp)
    }

    /// Puts a staged key file in place; an existing `host.key` is kept as
    /// `host.key.replaced-<stamp>` (0600, a new file: never one planted there). The old file is
    /// linked to its new name first and the staged file then renamed over `host.key`, so there is
    /// no moment without a host key file and no check-then-rename race.
    pub fn install(staged: &Path, data_dir: &Path, stamp: &str) -> Result<Option<PathBuf>> {
        let path = data_dir.join(HOST_KEY_FILE);
        let mut kept = None;
        if fs::symlink_metadata(&path).is_ok() {
            let mut old = data_dir.join(format!("{HOST_KEY_FILE}{REPLACED_INFIX}{stamp}"));
            if let Err(e) = keep_private_copy(&path, &old) {
                if e.code() != ErrorCode::FileExists {
                    return Err(e);
                }
                // Something is already there (a clash of stamps, or a planted file): another name.
                old = data_dir.join(format!("{HOST_KEY_FILE}{REPLACED_INFIX}{stamp}-{}", hex(&random_bytes::<4>()?)));
                keep_private_copy(&path, &old)?;
            }
            kept = Some(old);
        }
        fs::rename(staged, &path).map_err(|e| Error::from(e).with("path", path.display()))?;
        sync_dir(data_dir);
        Ok(kept)
    }
}

/// The part of a file name between the original name and the time stamp, for files a restore,
/// a recovery or a rotation keeps: `ams.db.replaced-<time>`, `host.key.replaced-<time>`.
pub const REPLACED_INFIX: &str = ".replaced-";

/// Keeps a copy of `src` at `dest`, a new file that only the owner can read (0600): a hard link
/// where the file system has them, else a byte copy into a file created exclusively. Fails with
/// [`ErrorCode::FileExists`] when anything (a file, or a link planted there) is at `dest`: it
/// never replaces or follows what is there.
pub fn keep_private_copy(src: &Path, dest: &Path) -> Result<()> {
    match fs::hard_link(src, dest) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::new(ErrorCode::FileExists, "The file already exists and is never overwritten.")
                .with("path", dest.display()));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::from(e).with("path", src.display()));
        }
        Err(_) => {
            // No hard links on this file system: copy into a file created exclusively.
            let mut opts = fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            let mut out = opts.open(dest).map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    Error::new(ErrorCode::FileExists, "The file already exists and is never overwritten.")
                        .with("path", dest.display())
                } else {
                    Error::from(e).with("path", dest.display())
                }
            })?;
            let mut input = fs::File::open(src).map_err(|e| Error::from(e).with("path", src.display()))?;
            std::io::copy(&mut input, &mut out)?;
            out.sync_all()?;
        }
    }
    // The link we just made is ours (the directory is 0700): give it owner-only permissions.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if fs::symlink_metadata(dest).is_ok_and(|m| m.file_type().is_file()) {
            fs::set_permissions(dest, fs::Permissions::from_mode(0o600))
                .map_err(|e| Error::from(e).with("path", dest.display()))?;
        }
    }
    Ok(())
}

/// Names the data directory and the files in it that group or others can read or write: the
/// directory should be 0700 and its files 0600. Empty when all is well (and on non-Unix systems).
pub fn loose_permissions(data_dir: &Path) -> Vec<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut out = Vec::new();
        if fs::metadata(data_dir).is_ok_and(|m| m.permissions().mode() & 0o077 != 0) {
            out.push(format!("the data directory {} is open to other users (chmod 700)", data_dir.display()));
        }
        let names = [HOST_CONFIG_FILE, HOST_KEY_FILE, DEFAULT_DB_FILE, "ams.db-wal", "ams.db-shm"];
        for name in names {
            if permissions_too_loose(&data_dir.join(name)) {
                out.push(format!("{name} can be read or written by other users (chmod 600)"));
            }
        }
        out
    }
    #[cfg(not(unix))]
    {
        let _ = data_dir;
        Vec::new()
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

/// Flushes the directory entry of `path` to disk (after a rename or a new link), where the
/// platform can; best effort.
pub(crate) fn sync_parent(path: &Path) {
    #[cfg(unix)]
    if let Some(d) =
        path.parent().and_then(|p| fs::File::open(if p.as_os_str().is_empty() { Path::new(".") } else { p }).ok())
    {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = path;
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

/// Replaces a file atomically: a temporary file beside it, fsync, rename. The temporary file is
/// created 0600; when the file being replaced exists, its permissions (and on Unix its owner and
/// group, where the process may set them) are copied first, so the replacement looks the same.
/// On any failure the old file is left as it was and the temporary file is removed.
pub fn write_atomic(path: &Path, content: &[u8]) -> Result<()> {
    write_atomic_with(path, content, true, |_| Ok(()))
}

/// Like [`write_atomic`], but the result is always 0600 whatever the replaced file had (for
/// files that may hold secrets, such as support bundles).
pub fn write_replace_private(path: &Path, content: &[u8]) -> Result<()> {
    write_atomic_with(path, content, false, |_| Ok(()))
}

/// The steps of [`write_atomic`]; `before_rename` runs on the finished temporary file (tests use
/// it to make the write fail at the last moment).
pub(crate) fn write_atomic_with(
    path: &Path,
    content: &[u8],
    keep_mode: bool,
    before_rename: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", hex(&random_bytes::<4>()?)));
    write_new_private(&tmp, content)?;
    let finish = || -> Result<()> {
        if keep_mode {
            copy_metadata(path, &tmp)?;
        }
        before_rename(&tmp)?;
        fs::rename(&tmp, path).map_err(|e| Error::from(e).with("path", path.display()))
    };
    if let Err(e) = finish() {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    if let Some(parent) = path.parent() {
        sync_dir(parent);
    }
    Ok(())
}

/// Gives `to` the permissions (and on Unix the owner and group) of `from`, if `from` exists.
fn copy_metadata(from: &Path, to: &Path) -> Result<()> {
    let meta = match fs::metadata(from) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::from(e).with("path", from.display())),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // Only root may give a file away; for everyone else the owner is already right.
        let _ = std::os::unix::fs::chown(to, Some(meta.uid()), Some(meta.gid()));
    }
    fs::set_permissions(to, meta.permissions()).map_err(|e| Error::from(e).with("path", to.display()))
}

/// Masks secrets in a connection string or in any text: the value of every `password=` and
/// `pwd=` pair (case-insensitive; quoted, braced or up to the next `;`) and the password part of a
/// URL's `user:password@`. Everything else is kept, so the result still says where the
/// database is.
pub fn mask_secrets(text: &str) -> String {
    mask_url_userinfo(&mask_key_values(text))
}

fn mask_key_values(text: &str) -> String {
    const KEYS: [&str; 2] = ["password", "pwd"];
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    // Every index used to slice `text` sits next to an ASCII byte, so it is a char boundary.
    let mut copied = 0;
    while i < bytes.len() {
        let hit = KEYS.iter().find_map(|k| {
            if !lower.as_bytes().get(i..).is_some_and(|rest| rest.starts_with(k.as_bytes())) {
                return None;
            }
            // A whole key: not the end of a longer word.
            let before_ok = i == 0 || !bytes.get(i - 1).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
            let mut j = i + k.len();
            while bytes.get(j).is_some_and(|b| *b == b' ' || *b == b'\t') {
                j += 1;
            }
            (before_ok && matches!(bytes.get(j), Some(b'=') | Some(b':'))).then_some(j + 1)
        });
        let Some(mut start) = hit else {
            i += 1;
            continue;
        };
        while bytes.get(start).is_some_and(|b| *b == b' ' || *b == b'\t') {
            start += 1;
        }
        let end = match bytes.get(start) {
            Some(q @ (b'"' | b'\'')) => {
                let q = *q;
                let mut k = start + 1;
                loop {
                    match bytes.get(k) {
                        None => break k,
                        // A doubled quote is an escaped quote inside the value.
                        Some(b) if *b == q && bytes.get(k + 1) == Some(&q) => k += 2,
                        Some(b) if *b == q => break k + 1,
                        Some(_) => k += 1,
                    }
                }
            }
            Some(b'{') => {
                let mut k = start + 1;
                loop {
                    match bytes.get(k) {
                        None => break k,
                        Some(b'}') if bytes.get(k + 1) == Some(&b'}') => k += 2,
                        Some(b'}') => break k + 1,
                        Some(_) => k += 1,
                    }
                }
            }
            _ => {
                let mut k = start;
                while bytes.get(k).is_some_and(|b| !matches!(b, b';' | b'\n' | b'\r' | b' ' | b'\t' | b'&' | b',')) {
                    k += 1;
                }
                k
            }
        };
        if end > start {
            out.push_str(&text[copied..start]);
            out.push_str("***");
            copied = end;
        }
        i = end.max(i + 1);
    }
    out.push_str(&text[copied..]);
    out
}

fn mask_url_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        // The authority ends at the first '/', '?', '#' or white space.
        let auth_end = tail.find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace()).unwrap_or(tail.len());
        let authority = &tail[..auth_end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.find(':') {
                    Some(colon) if colon + 1 < userinfo.len() => {
                        out.push_str(&userinfo[..=colon]);
                        out.push_str("***");
                        out.push_str(&authority[at..]);
                    }
                    _ => out.push_str(authority),
                }
            }
            None => out.push_str(authority),
        }
        rest = &tail[auth_end..];
    }
    out.push_str(rest);
    out
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

    #[cfg(unix)]
    #[test]
    fn loose_files_are_named() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("data");
        create_data_dir(&dir).unwrap();
        write_new_private(&dir.join(DEFAULT_DB_FILE), b"").unwrap();
        assert!(loose_permissions(&dir).is_empty());
        fs::set_permissions(dir.join(DEFAULT_DB_FILE), fs::Permissions::from_mode(0o644)).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        let w = loose_permissions(&dir);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[1].starts_with("ams.db"));
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

    #[test]
    fn host_config_files_from_before_the_new_settings_still_load() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join(HOST_CONFIG_FILE), "version = 1\ndatabase = \"sqlite://ams.db\"\n").unwrap();
        let cfg = HostConfig::load(d.path()).unwrap();
        assert_eq!(cfg, HostConfig::default());
        assert!(cfg.web_app_enabled && !cfg.agent_access_enabled && cfg.https_port == 443);
        let secret = HostConfig { database: "Server=db;Password=Dbg-Secret-1".into(), ..cfg };
        assert!(!format!("{secret:?}").contains("Dbg-Secret-1"));
    }

    #[test]
    fn masking_connection_strings_and_text() {
        let cases = [
            ("Server=db;Database=ams;User Id=sa;Password=S3cret!;", "Server=db;Database=ams;User Id=sa;Password=***;"),
            ("server=db;PWD = \"a;b\"\"c\";x=1", "server=db;PWD = ***;x=1"),
            ("Server=db;Password={a}}b;c};Encrypt=true", "Server=db;Password=***;Encrypt=true"),
            ("mssql://sa:S3cret@db.example:1433/ams", "mssql://sa:***@db.example:1433/ams"),
            ("sqlserver://user@db/ams", "sqlserver://user@db/ams"),
            ("sqlite://ams.db", "sqlite://ams.db"),
            ("log: login with password=hunter2 failed", "log: login with password=*** failed"),
            ("PasswordMaximumAgeDays=30", "PasswordMaximumAgeDays=30"),
            ("\u{e9}t\u{e9} pwd=x\u{e9}y;", "\u{e9}t\u{e9} pwd=***;"),
        ];
        for (input, want) in cases {
            assert_eq!(mask_secrets(input), want, "{input}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn atomic_writes_keep_the_mode_and_a_failed_write_changes_nothing() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f.toml");
        write_atomic(&p, b"one").unwrap();
        assert_eq!(fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600, "new files are 0600");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o640, "the mode is kept");
        write_replace_private(&p, b"three").unwrap();
        assert_eq!(fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600, "private replace is 0600");

        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        let err = write_atomic_with(&p, b"four", true, |_| Err(Error::new(ErrorCode::FileIo, "disk full")));
        assert_eq!(err.unwrap_err().code(), ErrorCode::FileIo);
        assert_eq!(fs::read(&p).unwrap(), b"three", "the old file is intact");
        assert_eq!(fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o644);
        let left: Vec<_> = fs::read_dir(d.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind: {left:?}");
    }
}
