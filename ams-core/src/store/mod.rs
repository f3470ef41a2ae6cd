//! The store: rows in and rows out. It knows tables and SQL, never rules or plaintext secrets.
//!
//! Services call [`Store::read`] or [`Store::write`] with a closure that receives a [`Tx`]; a
//! write commits when the closure returns `Ok` and rolls back otherwise. Engine-specific SQL lives
//! under `store/<engine>/`; ids and timestamps are made by the services, never by the engine.

pub mod migrate;
mod rows;
pub mod sqlite;

pub use rows::*;

use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorCode, Result};

/// Which database engine and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    /// An embedded SQLite database file.
    Sqlite(PathBuf),
}

impl DbUrl {
    /// Parses a connection string: `sqlite://PATH` (relative paths are relative to the data
    /// directory). SQL Server (`mssql://` or `Server=...;`) needs the `mssql` feature, which this
    /// build does not have. Unknown schemes are refused, never turned into a new SQLite file.
    pub fn parse(s: &str, data_dir: &Path) -> Result<DbUrl> {
        let s = s.trim();
        if let Some(rest) = s.strip_prefix("sqlite://") {
            if rest.is_empty() {
                return Err(Error::new(ErrorCode::UnsupportedEngine, "The sqlite:// connection string has no path."));
            }
            let p = Path::new(rest);
            return Ok(DbUrl::Sqlite(if p.is_absolute() { p.to_path_buf() } else { data_dir.join(p) }));
        }
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("mssql://") || lower.starts_with("sqlserver://") || lower.contains("server=") {
            return Err(Error::new(ErrorCode::UnsupportedEngine, "This build of ams has no SQL Server support.")
                .hint("Build ams with the `mssql` feature, or use an sqlite:// connection string."));
        }
        Err(Error::new(ErrorCode::UnsupportedEngine, "The database connection string has an unknown scheme.")
            .hint("Use sqlite://PATH for the embedded database."))
    }

    /// A display form with any password masked (SQLite has none).
    pub fn masked(&self) -> String {
        match self {
            DbUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
        }
    }

    /// The engine name.
    pub fn engine(&self) -> &'static str {
        match self {
            DbUrl::Sqlite(_) => "sqlite",
        }
    }
}

/// An open database.
pub struct Store {
    conn: rusqlite::Connection,
    url: DbUrl,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("url", &self.url.masked()).finish()
    }
}

/// A transaction. Dropping it without commit rolls it back.
pub struct Tx<'a> {
    pub(crate) tx: rusqlite::Transaction<'a>,
}

impl Store {
    /// Opens (creating if `create`) the database. Does not migrate.
    pub fn open(url: &DbUrl, create: bool) -> Result<Store> {
        match url {
            DbUrl::Sqlite(path) => {
                let conn = sqlite::open(path, create)?;
                Ok(Store { conn, url: url.clone() })
            }
        }
    }

    /// The connection string (masked).
    pub fn url(&self) -> &DbUrl {
        &self.url
    }

    /// The raw connection, for migrations and backups.
    pub(crate) fn conn(&self) -> &rusqlite::Connection {
        &self.conn
    }

    /// Runs `f` in a read transaction.
    pub fn read<T>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, rusqlite::TransactionBehavior::Deferred)?;
        let tx = Tx { tx };
        let out = f(&tx)?;
        tx.tx.commit()?;
        Ok(out)
    }

    /// Runs `f` in a write transaction (taken immediately, so concurrent writers queue on the busy
    /// timeout instead of failing); commits if `f` returns `Ok`.
    pub fn write<T>(&self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, rusqlite::TransactionBehavior::Immediate)?;
        let tx = Tx { tx };
        let out = f(&tx)?;
        tx.tx.commit()?;
        Ok(out)
    }
}

/// Maps a uniqueness violation to a domain error; other errors pass through.
pub(crate) fn on_unique(e: Error, make: impl FnOnce() -> Error) -> Error {
    if e.code() == ErrorCode::DbConstraint && e.context().get("detail").is_some_and(|d| d.contains("UNIQUE")) {
        make()
    } else {
        e
    }
}
