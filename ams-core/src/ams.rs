//! The [`Ams`] handle: one open instance (data directory, host configuration, database).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::clock::{Clock, SystemClock, format_time};
use crate::error::{Error, ErrorCode, Result};
use crate::instance::{self, HostConfig};
use crate::lock::InstanceLock;
use crate::store::{DbUrl, Store, migrate};

/// How to open an instance.
#[derive(Clone)]
pub struct OpenOptions {
    /// The data directory.
    pub data_dir: PathBuf,
    /// The clock (the wall clock unless a test sets one).
    pub clock: Arc<dyn Clock>,
    /// Who is acting, for the audit trail (defaults to the operating-system user).
    pub actor: String,
}

impl std::fmt::Debug for OpenOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenOptions").field("data_dir", &self.data_dir).field("actor", &self.actor).finish()
    }
}

impl OpenOptions {
    /// Options for a data directory with the wall clock and the current OS user as actor.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        OpenOptions { data_dir: data_dir.into(), clock: Arc::new(SystemClock), actor: default_actor() }
    }

    /// Uses another clock.
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

/// The operating-system user running this process, as `local:<name>`.
pub fn default_actor() -> String {
    let name = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "._-$\\@".contains(c)))
        .unwrap_or_else(uid_name);
    format!("local:{name}")
}

fn uid_name() -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let Ok(m) = std::fs::metadata("/proc/self") {
            return format!("uid={}", m.uid());
        }
    }
    "unknown".into()
}

/// An open instance.
pub struct Ams {
    pub(crate) data_dir: PathBuf,
    pub(crate) config: HostConfig,
    pub(crate) store: Store,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) actor: String,
    /// The instance lock this process holds while the instance is open (see [`crate::lock`]).
    pub(crate) _lock: Option<InstanceLock>,
    /// The derived keys (audit chain, lookup hashes) once this process has had them, or `None`
    /// inside when it tried and the master key was not available (see `service/derived.rs`).
    pub(crate) derived: std::sync::Mutex<Option<Option<crate::service::derived::DerivedKeys>>>,
}

impl std::fmt::Debug for Ams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ams").field("data_dir", &self.data_dir).field("store", &self.store).finish()
    }
}

impl Ams {
    /// Opens an instance whose schema is current. Refuses a database that needs migrating, is
    /// newer than this binary, or has an edited migration.
    pub fn open(opts: &OpenOptions) -> Result<Ams> {
        let ams = Ams::open_unchecked(opts)?;
        migrate::require_current(&ams.store)?;
        Ok(ams)
    }

    /// Opens an instance without checking its schema (for `db status` and `db migrate`).
    pub fn open_unchecked(opts: &OpenOptions) -> Result<Ams> {
        let config = HostConfig::load(&opts.data_dir)?;
        let url = DbUrl::parse(&config.database, &opts.data_dir)?;
        if url.is_missing_file() {
            return Err(Error::new(ErrorCode::InstanceNotFound, "No ams instance exists in this data directory.")
                .hint("Run `ams init` to create one, or pass the right --data-dir / AMS_DATA_DIR.")
                .with("data_dir", opts.data_dir.display()));
        }
        let lock = InstanceLock::shared(&opts.data_dir)?;
        let store = Store::open(&url, false)?;
        Ok(Ams::over_store(opts, config, store, lock))
    }

    /// An instance handle over a store opened by the caller: the instance's own database (`open`,
    /// `create`), a backup image being checked or restored, or the live database while a restore
    /// holds the instance lock. `data_dir` is where the host key file is looked for.
    pub(crate) fn over_store(opts: &OpenOptions, config: HostConfig, store: Store, lock: Option<InstanceLock>) -> Ams {
        Ams {
            data_dir: opts.data_dir.clone(),
            config,
            store,
            clock: opts.clock.clone(),
            actor: opts.actor.clone(),
            _lock: lock,
            derived: std::sync::Mutex::new(None),
        }
    }

    /// Creates the data directory and database of a new instance (no keys yet); used by init.
    pub(crate) fn create(opts: &OpenOptions) -> Result<Ams> {
        instance::create_data_dir(&opts.data_dir)?;
        let cfg_path = opts.data_dir.join(instance::HOST_CONFIG_FILE);
        if !cfg_path.exists() {
            HostConfig::default().save(&opts.data_dir)?;
        }
        let config = HostConfig::load(&opts.data_dir)?;
        let url = DbUrl::parse(&config.database, &opts.data_dir)?;
        let lock = InstanceLock::shared(&opts.data_dir)?;
        let store = Store::open(&url, true)?;
        let ams = Ams::over_store(opts, config, store, lock);
        migrate::migrate(&ams.store, &ams.now())?;
        Ok(ams)
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The host configuration in force.
    pub fn host_config(&self) -> &HostConfig {
        &self.config
    }

    /// The store (rows only; services hold the rules).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The current time, formatted for storage.
    pub fn now(&self) -> String {
        format_time(self.clock.now())
    }

    /// The current time.
    pub fn now_time(&self) -> time::OffsetDateTime {
        self.clock.now()
    }

    /// Who is acting.
    pub fn actor(&self) -> &str {
        &self.actor
    }
}
