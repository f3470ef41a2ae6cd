//! The SQLite engine: connection settings and the SQL for every row type.

mod agent_server;
mod authz;
pub(crate) mod backup;
mod cert_recovery;
mod config;
mod data_plane;
mod foundation;
mod jit;

pub use config::probe;

use std::path::Path;

use crate::error::{Error, ErrorCode, Result};

/// How long a process waits for another's write lock before giving up.
pub const BUSY_TIMEOUT_MS: u64 = 30_000;

/// Opens a SQLite database with the settings every ams process uses: WAL (readers never block
/// the writer), foreign keys, a busy timeout, full fsync on commit.
pub fn open(path: &Path, create: bool) -> Result<rusqlite::Connection> {
    use rusqlite::OpenFlags;
    if !create && !path.exists() {
        return Err(Error::new(ErrorCode::InstanceNotFound, "The instance has no database file.")
            .hint("Run `ams init` to create an instance, or pass the right --data-dir.")
            .with("path", path.display()));
    }
    if create && !path.exists() {
        // SQLite gives the -wal and -shm files the database file's mode: make it 0600 first.
        crate::instance::write_new_private(path, b"")?;
    }
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn =
        rusqlite::Connection::open_with_flags(path, flags).map_err(|e| Error::from(e).with("path", path.display()))?;
    conn.busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA secure_delete = ON;",
    )?;
    Ok(conn)
}
