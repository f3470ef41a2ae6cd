//! The store: rows in and rows out. It knows tables and SQL, never rules or plaintext secrets.
//!
//! Services call [`Store::read`] with a closure that receives a read-only [`ReadTx`], or
//! [`Store::write`] with one that receives a [`Tx`]; a write commits when the closure returns
//! `Ok` and rolls back otherwise. The row operations are the contract in [`contract`]; each
//! engine implements it in its own folder (`store/sqlite/`), together with the connection-level
//! parts (transactions, migrations, copies). Ids and timestamps are made by the services, never
//! by the engine. See docs/adr/0005-store-contract.md.

pub mod contract;
mod engine;
pub mod migrate;
mod rows;
pub(crate) mod sqlite;
mod url;

pub use contract::*;
pub use rows::*;
pub use url::{DbUrl, EngineKind};

pub(crate) use engine::{Engine, MigrationScope, ReadScope, WriteScope};

use std::time::Duration;

use crate::error::{Error, ErrorCode, Result, Violation};

/// How long a process waits for another's write lock (or a running restore) before giving up.
/// Every engine uses it for its lock waits.
pub const WRITE_WAIT: Duration = Duration::from_secs(30);

/// An open database.
pub struct Store {
    engine: Box<dyn Engine>,
    url: DbUrl,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("url", &self.url.masked()).finish()
    }
}

impl Store {
    /// Opens (creating if `create`) the database. Does not migrate.
    pub fn open(url: &DbUrl, create: bool) -> Result<Store> {
        let engine: Box<dyn Engine> = match url {
            DbUrl::Sqlite(path) => Box::new(sqlite::SqliteEngine::open(path, create)?),
        };
        Ok(Store { engine, url: url.clone() })
    }

    /// The connection string (masked).
    pub fn url(&self) -> &DbUrl {
        &self.url
    }

    /// The engine.
    pub fn engine_kind(&self) -> EngineKind {
        self.url.engine()
    }

    /// The connection-level half of the engine (migrations, copies).
    pub(crate) fn engine(&self) -> &dyn Engine {
        self.engine.as_ref()
    }

    /// Runs `f` in a read transaction (one consistent view of the database).
    pub fn read<T>(&self, f: impl FnOnce(&dyn ReadTx) -> Result<T>) -> Result<T> {
        let scope = self.engine.begin_read()?;
        let out = f(scope.tx())?;
        scope.end()?;
        Ok(out)
    }

    /// Runs `f` in a write transaction (taken at once, so concurrent writers queue for up to
    /// [`WRITE_WAIT`] instead of failing); commits if `f` returns `Ok`.
    pub fn write<T>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        let scope = self.engine.begin_write()?;
        let out = f(scope.tx())?;
        scope.commit()?;
        Ok(out)
    }

    /// Writes a consistent copy of the whole database to a new file (see [`Engine::copy_to_file`]).
    pub(crate) fn copy_to_file(&self, dest: &std::path::Path) -> Result<bool> {
        self.engine.copy_to_file(dest)
    }

    /// The SQLite connection, for the backup code that has not moved behind the contract yet.
    pub(crate) fn conn(&self) -> &rusqlite::Connection {
        self.engine.sqlite_connection()
    }
}

/// Checks, without changing anything, that a connection string reaches an ams database this
/// binary can open or migrate, and reports its migration status. Refusals are
/// [`ErrorCode::ConnectionStringInvalid`] with what the engine found (and why, as `reason`).
pub fn probe(url: &DbUrl) -> Result<migrate::MigrationStatus> {
    match url {
        DbUrl::Sqlite(path) => sqlite::probe(path),
    }
}

/// Maps a uniqueness violation to a domain error; other errors pass through.
pub(crate) fn on_unique(e: Error, make: impl FnOnce() -> Error) -> Error {
    if e.code() == ErrorCode::DbConstraint && e.violation() == Some(Violation::Unique) { make() } else { e }
}
