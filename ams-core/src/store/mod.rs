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
#[cfg(feature = "mssql")]
pub(crate) mod mssql;
mod rows;
pub(crate) mod sqlite;
mod url;

pub use contract::*;
pub use rows::*;
pub use url::{DbUrl, EngineKind};

pub(crate) use engine::{Engine, MigrationScope, ReadScope, WriteScope};
pub(crate) use sqlite::Image;

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
            #[cfg(feature = "mssql")]
            DbUrl::Mssql(conn) => Box::new(mssql::MssqlEngine::open(conn)?),
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

    /// Runs `f` in a read transaction that reads many rows once each, in one pass (a streamed
    /// listing; see [`Engine::begin_scan`]).
    pub fn scan<T>(&self, f: impl FnOnce(&dyn ReadTx) -> Result<T>) -> Result<T> {
        let scope = self.engine.begin_scan()?;
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

    /// Runs `f` in one write transaction that writes many rows (benchmark fixtures; see
    /// [`Engine::begin_bulk_write`]); commits if `f` returns `Ok`.
    pub fn write_bulk<T>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        let scope = self.engine.begin_bulk_write()?;
        let out = f(scope.tx())?;
        scope.commit()?;
        Ok(out)
    }

    /// Writes a consistent copy of the whole database to a new file (see [`Engine::copy_to_file`]).
    pub(crate) fn copy_to_file(&self, dest: &std::path::Path) -> Result<bool> {
        self.engine.copy_to_file(dest)
    }

    /// Opens a backup image (always a SQLite file, whatever the instance's engine) as a store,
    /// to migrate it, read it or write to it like any database.
    pub(crate) fn open_image(path: &std::path::Path) -> Result<Store> {
        Store::open(&DbUrl::Sqlite(path.to_path_buf()), false)
    }

    /// Opens a backup file whose image is at offset 0 (formats 2 and 3) in place, read only and immutable
    /// (nothing is written or created beside it), after its header has been checked.
    pub(crate) fn open_image_in_place(path: &std::path::Path) -> Result<Store> {
        Ok(Store {
            engine: Box::new(sqlite::SqliteEngine::open_immutable(path)?),
            url: DbUrl::Sqlite(path.to_path_buf()),
        })
    }

    /// Writes one consistent snapshot of the database into `dest` as a backup image (see
    /// [`Engine::copy_into_image`]).
    pub(crate) fn copy_into_image(
        &self,
        dest: &std::path::Path,
        progress: &mut dyn FnMut(u64, u64),
        written: &mut dyn FnMut(Vec<u8>) -> Vec<u8>,
    ) -> Result<()> {
        self.engine.copy_into_image(dest, progress, written)
    }
}

/// What [`replace_database`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Replaced {
    /// There was no database: the image is the database now.
    Installed,
    /// The old database was swapped out whole (kept at the copy path) and the image put in.
    Swapped,
    /// Other processes had the database open: the old content was copied out (to the copy path)
    /// and the image's content written into the live database in one transaction.
    Forced,
    /// Other processes have the database open and `force` was not given: nothing changed.
    Busy,
}

/// Puts a checked, migrated backup image (a file on the database's file system, see
/// [`DbUrl::local_file`]) in place of the database `url` names, keeping the old content at
/// `copy` (a new file; nothing may exist there). `exclusive` says the caller holds the exclusive
/// instance lock; `force` allows replacing the content under processes that still have it open.
pub(crate) fn replace_database(
    url: &DbUrl,
    image: &std::path::Path,
    copy: &std::path::Path,
    exclusive: bool,
    force: bool,
) -> Result<Replaced> {
    match url {
        DbUrl::Sqlite(path) => sqlite::backup::replace(path, image, copy, exclusive, force),
        #[cfg(feature = "mssql")]
        DbUrl::Mssql(_) => mssql::replace(url, image, copy, exclusive, force),
    }
}

/// Checks, without changing anything, that a connection string reaches an ams database this
/// binary can open or migrate, and reports its migration status. Refusals are
/// [`ErrorCode::ConnectionStringInvalid`] with what the engine found (and why, as `reason`).
pub fn probe(url: &DbUrl) -> Result<migrate::MigrationStatus> {
    match url {
        DbUrl::Sqlite(path) => sqlite::probe(path),
        #[cfg(feature = "mssql")]
        DbUrl::Mssql(conn) => mssql::probe(conn),
    }
}

/// Drops every ams table of a SQL Server database, for the contract and CLI suites that run
/// against `AMS_TEST_MSSQL_URL` (refused when that variable is not set).
#[cfg(feature = "mssql")]
#[doc(hidden)]
pub fn wipe_mssql_for_tests(url: &DbUrl) -> Result<()> {
    match url {
        DbUrl::Mssql(c) => mssql::wipe_for_tests(c),
        _ => Err(Error::new(ErrorCode::Internal, "Not a SQL Server connection string.")),
    }
}

/// Maps a uniqueness violation to a domain error; other errors pass through.
pub(crate) fn on_unique(e: Error, make: impl FnOnce() -> Error) -> Error {
    if e.code() == ErrorCode::DbConstraint && e.violation() == Some(Violation::Unique) { make() } else { e }
}

/// Takes the lock that the suites sharing the `AMS_TEST_MSSQL_URL` database hold while they use
/// it (an application lock owned by its own session: it works across processes and ends with the
/// process); dropping the returned value releases it. Refused when that variable is not set.
#[cfg(feature = "mssql")]
#[doc(hidden)]
pub fn lock_mssql_for_tests(url: &DbUrl) -> Result<Box<dyn std::any::Any>> {
    match url {
        DbUrl::Mssql(c) => Ok(Box::new(mssql::lock_for_tests(c)?)),
        _ => Err(Error::new(ErrorCode::Internal, "Not a SQL Server connection string.")),
    }
}

/// Creates (`create`) or drops a database on the server `url` names, for the CLI suite run on
/// SQL Server (one database per test instance). Refused when `AMS_TEST_MSSQL_URL` is not set.
#[cfg(feature = "mssql")]
#[doc(hidden)]
pub fn mssql_test_database(url: &DbUrl, name: &str, create: bool) -> Result<()> {
    match url {
        DbUrl::Mssql(c) if create => mssql::create_test_database(c, name),
        DbUrl::Mssql(c) => mssql::drop_test_database(c, name),
        _ => Err(Error::new(ErrorCode::Internal, "Not a SQL Server connection string.")),
    }
}
