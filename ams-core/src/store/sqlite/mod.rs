//! The SQLite engine: connection settings, transactions, and the SQL for every row type.
//!
//! The contract traits are implemented on [`SqliteTx`], one file per area (the same file names
//! as in `store/contract/`).

mod agent_server;
mod approval;
mod authz;
pub(crate) mod backup;
mod cert_recovery;
mod config;
mod data_plane;
mod error;
mod foundation;
mod jit;
pub(crate) mod migrate;
mod notify;
mod policy;

pub(crate) use backup::Image;
pub(crate) use config::probe;

use std::path::Path;

use rusqlite::{Connection, Transaction, TransactionBehavior};

use crate::error::{Error, ErrorCode, Result};
use crate::store::migrate::{AppliedMigration, Migration};
use crate::store::{Engine, MigrationScope, ReadScope, ReadTx, WRITE_WAIT, WriteScope, WriteTx};

/// Opens a SQLite database with the settings every ams process uses: WAL (readers never block
/// the writer), foreign keys, a busy timeout, full fsync on commit.
pub(crate) fn open(path: &Path, create: bool) -> Result<Connection> {
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
    let conn = Connection::open_with_flags(path, flags).map_err(|e| Error::from(e).with("path", path.display()))?;
    conn.busy_timeout(WRITE_WAIT)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA secure_delete = ON;
         PRAGMA journal_size_limit = 67108864;",
    )?;
    // No checkpoint when the last connection closes (issue 14): every short-lived `ams` process
    // would otherwise copy the WAL into the database and delete it on exit, three fsyncs more than
    // its own commit (the commit itself is durable in the WAL). The automatic checkpoint of a
    // commit that finds the WAL past 1,000 pages keeps it bounded instead, and `journal_size_limit`
    // truncates a WAL a large transaction grew to 64 MiB once it is reset.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
    Ok(conn)
}

/// Opens a database file read only and immutable (`file:…?mode=ro&immutable=1`): SQLite takes no
/// lock, creates no `-wal`, `-shm` or `-journal` file and writes nothing. For a version 2 backup
/// file, opened in place once its header has been checked (the image is at offset 0 and its
/// SQLite header says where it ends).
pub(crate) fn open_immutable(path: &Path) -> Result<Connection> {
    use rusqlite::OpenFlags;
    let uri = immutable_uri(path)?;
    Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| Error::from(e).with("path", path.display()))
}

/// The `file:` URI of [`open_immutable`]: the absolute path, every byte but unreserved ones and
/// `/` percent-encoded (so `?`, `#` and `%` in a name are part of the path).
fn immutable_uri(path: &Path) -> Result<String> {
    let abs = std::path::absolute(path).map_err(|e| Error::from(e).with("path", path.display()))?;
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(abs.as_os_str()).to_vec();
    #[cfg(not(unix))]
    let bytes = abs
        .to_str()
        .map(|s| s.replace('\\', "/").into_bytes())
        .ok_or_else(|| Error::invalid("The path is not valid UTF-8.").with("path", path.display()))?;
    let mut uri = String::from("file:");
    if !bytes.starts_with(b"/") {
        uri.push('/');
    }
    for b in bytes {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?mode=ro&immutable=1");
    Ok(uri)
}

/// An open SQLite database.
pub(crate) struct SqliteEngine {
    conn: Connection,
}

impl SqliteEngine {
    /// Opens (creating if `create`) a database file; see [`open`].
    pub(crate) fn open(path: &Path, create: bool) -> Result<SqliteEngine> {
        Ok(SqliteEngine { conn: open(path, create)? })
    }

    /// Opens a database file read only and immutable; see [`open_immutable`].
    pub(crate) fn open_immutable(path: &Path) -> Result<SqliteEngine> {
        let conn = open_immutable(path)?;
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
        Ok(SqliteEngine { conn })
    }

    fn begin(&self, behavior: TransactionBehavior) -> Result<SqliteTx<'_>> {
        Ok(SqliteTx { tx: Transaction::new_unchecked(&self.conn, behavior)? })
    }
}

/// A WAL file past this size is checkpointed and truncated when its connection closes.
const WAL_TRUNCATE_AT: u64 = 1 << 20;

impl Drop for SqliteEngine {
    fn drop(&mut self) {
        // Connections do not checkpoint on close (see [`open`]), and the first connection of each
        // new process rebuilds the WAL index from the WAL file, which also forgets how much of it
        // was already copied: a WAL left large (by a big transaction, or by many short processes)
        // is then scanned and checkpointed again by every later process (measured: 42 ms instead
        // of 7 ms for a cold `local-admin-password get` beside an 18 MiB WAL). So the process
        // that closes the database with more than 1 MiB of WAL copies it into the database and
        // empties it; a busy database (another process reading or writing) is left for later.
        let Some(db) = self.conn.path().filter(|p| !p.is_empty()) else { return };
        let big = std::fs::metadata(format!("{db}-wal")).is_ok_and(|m| m.len() > WAL_TRUNCATE_AT);
        if big && self.conn.is_autocommit() {
            // Only a checkpoint: a failure or a busy answer changes no data. No waiting for
            // other processes' readers or writer on the way out: busy means a later close does it.
            let _ = self.conn.busy_timeout(std::time::Duration::ZERO);
            let _ = self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
    }
}

/// A SQLite transaction: the type every contract trait is implemented on.
pub(crate) struct SqliteTx<'c> {
    tx: Transaction<'c>,
}

impl Engine for SqliteEngine {
    fn begin_read(&self) -> Result<Box<dyn ReadScope + '_>> {
        // Deferred: the snapshot starts at the first read; WAL readers never wait for the writer.
        Ok(Box::new(self.begin(TransactionBehavior::Deferred)?))
    }

    fn begin_scan(&self) -> Result<Box<dyn ReadScope + '_>> {
        // A pass that reads each page once gains nothing from SQLite's default 2 MiB page cache,
        // which a listing of a large fleet fills (issue 14: most of its peak heap). The pages
        // still come from the operating system's file cache.
        let before: i64 = self.conn.pragma_query_value(None, "cache_size", |r| r.get(0))?;
        self.conn.pragma_update(None, "cache_size", SCAN_CACHE_KIB)?;
        let cache = CacheAgain(&self.conn, before);
        Ok(Box::new(ScanTx { tx: self.begin(TransactionBehavior::Deferred)?, _cache: cache }))
    }

    fn begin_write(&self) -> Result<Box<dyn WriteScope + '_>> {
        // Immediate: the write lock is taken now, so a writer never has to upgrade a read lock.
        Ok(Box::new(self.begin(TransactionBehavior::Immediate)?))
    }

    fn begin_bulk_write(&self) -> Result<Box<dyn WriteScope + '_>> {
        // Inserting a million devices, whose random ids land all over their indexes, keeps
        // evicting dirty pages from the default 2 MiB cache and reading them back (issue 14's
        // growth instances): with 512 MiB, 400,000 such rows took 29 s instead of 129 s.
        let before: i64 = self.conn.pragma_query_value(None, "cache_size", |r| r.get(0))?;
        self.conn.pragma_update(None, "cache_size", BULK_CACHE_KIB)?;
        let cache = CacheAgain(&self.conn, before);
        Ok(Box::new(BulkTx { tx: self.begin(TransactionBehavior::Immediate)?, _cache: cache }))
    }

    fn migrations(&self) -> &'static [Migration] {
        migrate::MIGRATIONS
    }

    fn applied_migrations(&self) -> Result<Vec<AppliedMigration>> {
        migrate::applied(&self.conn)
    }

    fn begin_migration(&self) -> Result<Box<dyn MigrationScope + '_>> {
        Ok(Box::new(migrate::MigrationTx::begin(&self.conn)?))
    }

    fn migration_script(&self, pending: &[Migration], now: &str) -> String {
        migrate::script(pending, now)
    }

    fn copy_to_file(&self, dest: &Path) -> Result<bool> {
        self.conn.execute("VACUUM INTO ?1", [dest.to_string_lossy().as_ref()])?;
        Ok(true)
    }

    fn copy_into_image(
        &self,
        dest: &Path,
        progress: &mut dyn FnMut(u64, u64),
        written: &mut dyn FnMut(Vec<u8>) -> Vec<u8>,
    ) -> Result<()> {
        backup::online_copy(&self.conn, dest, progress, written)
    }
}

/// The page cache of a scan, KiB (a negative `cache_size` is KiB): 64 pages of 4 KiB.
const SCAN_CACHE_KIB: i64 = -256;

/// A read transaction with the scan's small page cache.
struct ScanTx<'c> {
    tx: SqliteTx<'c>,
    _cache: CacheAgain<'c>,
}

/// The page cache of a bulk write, KiB.
const BULK_CACHE_KIB: i64 = -524_288;

/// A write transaction with the bulk write's large page cache.
struct BulkTx<'c> {
    tx: SqliteTx<'c>,
    _cache: CacheAgain<'c>,
}

impl WriteScope for BulkTx<'_> {
    fn tx(&self) -> &dyn WriteTx {
        &self.tx
    }

    fn commit(self: Box<Self>) -> Result<()> {
        let BulkTx { tx, _cache } = *self;
        Ok(tx.tx.commit()?)
    }
}

/// Gives the connection its page cache size back when the scan ends, whichever way (after its
/// transaction: fields drop in order); the connection may serve a long-lived process.
struct CacheAgain<'c>(&'c Connection, i64);

impl Drop for CacheAgain<'_> {
    fn drop(&mut self) {
        // Only the cache's size: a failure here changes no data and no later result.
        let _ = self.0.pragma_update(None, "cache_size", self.1);
    }
}

impl ReadScope for ScanTx<'_> {
    fn tx(&self) -> &dyn ReadTx {
        &self.tx
    }

    fn end(self: Box<Self>) -> Result<()> {
        let ScanTx { tx, _cache } = *self;
        Ok(tx.tx.commit()?)
    }
}

impl ReadScope for SqliteTx<'_> {
    fn tx(&self) -> &dyn ReadTx {
        self
    }

    fn end(self: Box<Self>) -> Result<()> {
        Ok(self.tx.commit()?)
    }
}

impl WriteScope for SqliteTx<'_> {
    fn tx(&self) -> &dyn WriteTx {
        self
    }

    fn commit(self: Box<Self>) -> Result<()> {
        Ok(self.tx.commit()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache_size(conn: &Connection) -> i64 {
        conn.pragma_query_value(None, "cache_size", |r| r.get(0)).unwrap()
    }

    #[test]
    fn a_scan_reads_with_a_small_cache_and_gives_the_connection_its_cache_back() {
        let d = tempfile::tempdir().unwrap();
        let engine = SqliteEngine::open(&d.path().join("t.db"), true).unwrap();
        engine.conn.pragma_update(None, "cache_size", -3000).unwrap();
        let scan = engine.begin_scan().unwrap();
        assert_eq!(cache_size(&engine.conn), SCAN_CACHE_KIB);
        scan.end().unwrap();
        assert_eq!(cache_size(&engine.conn), -3000, "after the scan ends");
        // Dropped without ending (a listing that failed half-way): rolled back, cache back too.
        let scan = engine.begin_scan().unwrap();
        drop(scan);
        assert_eq!(cache_size(&engine.conn), -3000, "after a dropped scan");
        assert!(engine.conn.is_autocommit(), "no transaction is left open");
    }

    #[test]
    fn a_bulk_write_commits_with_a_large_cache_and_gives_the_connection_its_cache_back() {
        let d = tempfile::tempdir().unwrap();
        let engine = SqliteEngine::open(&d.path().join("t.db"), true).unwrap();
        let bulk = engine.begin_bulk_write().unwrap();
        assert_eq!(cache_size(&engine.conn), BULK_CACHE_KIB);
        bulk.commit().unwrap();
        assert_eq!(cache_size(&engine.conn), -2000, "SQLite's default again");
        let bulk = engine.begin_bulk_write().unwrap();
        drop(bulk);
        assert_eq!(cache_size(&engine.conn), -2000, "after a rolled-back bulk write");
        assert!(engine.conn.is_autocommit(), "no transaction is left open");
    }
}
