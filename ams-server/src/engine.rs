//! The synchronous core behind the async server: a small pool of open [`Ams`] handles (one
//! SQLite connection each) used on blocking threads, the unlocked keyring, and what the server
//! watches so that other `ams` processes' changes take effect without a restart:
//!
//! - `ams key rotate` (and `ams key recover`) change the master key or the host key: before each
//!   operation that needs the keyring, the active master key id is compared with the keyring's,
//!   and the keyring is unlocked again when they differ.
//! - A server started in recovery mode (the host protector does not open) serves what needs no
//!   key and answers the rest with `AMS-KEY-0001`; it tries the host key again at most every
//!   [`UNLOCK_RETRY`], so `ams key recover` brings it back without a restart.
//! - A migration by a newer `ams` changes the schema cookie: the schema is checked again and, if
//!   this binary no longer matches it, every request is refused with the migration code.

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use ams_core::service::keys::Keyring;
use ams_core::{Ams, Error, ErrorCode, OpenOptions, Result};
use tokio::sync::Semaphore;

/// How often a server without a keyring tries the host key again.
pub const UNLOCK_RETRY: Duration = Duration::from_secs(2);
/// How long a request waits for a free database worker before it is refused.
pub const WORKER_WAIT: Duration = Duration::from_secs(30);

struct KeyState {
    keyring: Option<Arc<Keyring>>,
    last_error: Option<(ErrorCode, String)>,
    last_try: Option<Instant>,
}

struct SchemaState {
    cookie: i64,
    broken: Option<(ErrorCode, String)>,
}

/// The pool of instance handles and the shared keyring.
pub struct Engine {
    handles: Mutex<Vec<Ams>>,
    permits: Semaphore,
    keys: RwLock<KeyState>,
    schema: Mutex<SchemaState>,
    audience: String,
    workers: usize,
    unlock_retry: Duration,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("workers", &self.workers).finish_non_exhaustive()
    }
}

/// What a blocking operation gets besides its handle.
pub struct Ctx<'a> {
    engine: &'a Engine,
    ams: &'a Ams,
}

impl Ctx<'_> {
    /// The instance handle.
    pub fn ams(&self) -> &Ams {
        self.ams
    }

    /// The unlocked keyring, reloaded when another process rotated the master key; in recovery
    /// mode, `AMS-KEY-0001`.
    pub fn keyring(&self) -> Result<Arc<Keyring>> {
        self.engine.keyring(self.ams)
    }
}

fn poisoned() -> Error {
    Error::internal("A server lock was poisoned.")
}

impl Engine {
    /// Opens `workers` handles on the instance (each takes the shared instance lock and checks
    /// the schema) and unlocks the master key if the host protector allows it.
    pub fn open(opts: &OpenOptions, workers: usize) -> Result<Engine> {
        let workers = workers.max(1);
        let mut handles = Vec::with_capacity(workers);
        for _ in 0..workers {
            handles.push(Ams::open(opts)?);
        }
        let first = handles.first().ok_or_else(|| Error::internal("no worker"))?;
        let audience = first.agent_audience()?;
        let cookie = first.schema_cookie()?;
        let (keyring, last_error) = match first.unlock() {
            Ok(k) => (Some(Arc::new(k)), None),
            Err(e) => (None, Some((e.code(), e.message().to_string()))),
        };
        Ok(Engine {
            handles: Mutex::new(handles),
            permits: Semaphore::new(workers),
            keys: RwLock::new(KeyState { keyring, last_error, last_try: Some(Instant::now()) }),
            schema: Mutex::new(SchemaState { cookie, broken: None }),
            audience,
            workers,
            unlock_retry: UNLOCK_RETRY,
        })
    }

    /// Sets how often a server without a keyring tries the host key again (tests use zero).
    #[must_use]
    pub fn unlock_retry(mut self, every: Duration) -> Engine {
        self.unlock_retry = every;
        self
    }

    /// The token audience of this instance.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// Number of database workers.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// True when the master key is unlocked.
    pub fn unlocked(&self) -> bool {
        self.keys.read().map(|k| k.keyring.is_some()).unwrap_or(false)
    }

    fn keyring(&self, ams: &Ams) -> Result<Arc<Keyring>> {
        let active = ams.active_master_key_id()?;
        {
            let st = self.keys.read().map_err(|_| poisoned())?;
            if let Some(k) = &st.keyring
                && active.as_deref() == Some(k.master_key_id().to_string().as_str())
            {
                return Ok(k.clone());
            }
            if st.keyring.is_none()
                && let (Some(t), Some((code, msg))) = (st.last_try, &st.last_error)
                && t.elapsed() < self.unlock_retry
            {
                return Err(
                    Error::new(*code, msg.clone()).hint("An administrator must run `ams key recover` on the server.")
                );
            }
        }
        let mut st = self.keys.write().map_err(|_| poisoned())?;
        // Another worker may have reloaded it meanwhile.
        if let Some(k) = &st.keyring
            && active.as_deref() == Some(k.master_key_id().to_string().as_str())
        {
            return Ok(k.clone());
        }
        st.last_try = Some(Instant::now());
        match ams.unlock() {
            Ok(k) => {
                let k = Arc::new(k);
                tracing::info!(master_key_id = %k.master_key_id(), "keyring loaded");
                st.keyring = Some(k.clone());
                st.last_error = None;
                Ok(k)
            }
            Err(e) => {
                tracing::warn!(code = e.code().as_str(), "the master key is unavailable (recovery mode)");
                st.keyring = None;
                st.last_error = Some((e.code(), e.message().to_string()));
                Err(e)
            }
        }
    }

    fn check_schema(&self, ams: &Ams) -> Result<()> {
        let cookie = ams.schema_cookie()?;
        let mut st = self.schema.lock().map_err(|_| poisoned())?;
        if cookie != st.cookie {
            st.cookie = cookie;
            st.broken = match ams.check_schema() {
                Ok(()) => None,
                Err(e) => {
                    tracing::error!(code = e.code().as_str(), "the database schema changed under the server");
                    Some((e.code(), e.message().to_string()))
                }
            };
        }
        match &st.broken {
            Some((code, msg)) => Err(Error::new(*code, msg.clone())
                .hint("The database was migrated by another ams version: restart the server with that version.")),
            None => Ok(()),
        }
    }

    /// Runs `f` on a blocking thread with a free handle. Waits up to [`WORKER_WAIT`] for one.
    pub async fn run<T, F>(self: &Arc<Self>, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Ctx<'_>) -> Result<T> + Send + 'static,
    {
        let permit = match tokio::time::timeout(WORKER_WAIT, self.permits.acquire()).await {
            Ok(Ok(p)) => p,
            _ => {
                return Err(Error::new(ErrorCode::AgentServerBusy, "The server has no free worker.")
                    .hint("Try again in a few seconds."));
            }
        };
        let engine = self.clone();
        let out = tokio::task::spawn_blocking(move || {
            let ams =
                engine.handles.lock().map_err(|_| poisoned())?.pop().ok_or_else(|| Error::internal("no handle"))?;
            let result = engine.check_schema(&ams).and_then(|()| f(&Ctx { engine: &engine, ams: &ams }));
            if let Ok(mut h) = engine.handles.lock() {
                h.push(ams);
            }
            result
        })
        .await
        .map_err(|_| Error::internal("A server worker failed."))?;
        drop(permit);
        out
    }
}
