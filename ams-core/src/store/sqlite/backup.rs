//! SQLite-level pieces of database backups: the online copy, stripping host protectors, row
//! counts, the integrity check, and samples of secrets for `ams db verify`.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{Connection, OpenFlags, params};

use crate::error::{Error, Result};

/// Pages copied per step of the online backup (8 MiB with 4 KiB pages).
const PAGES_PER_STEP: i32 = 2048;

/// Ends a read transaction however the copy ends.
struct ReadSnapshot<'a>(&'a Connection);

impl Drop for ReadSnapshot<'_> {
    fn drop(&mut self) {
        let _ = self.0.execute_batch("ROLLBACK");
    }
}

/// Copies the database behind `src` into `dest` (an existing empty file, created 0600 by the
/// caller) with SQLite's online backup API, and returns a connection to the copy.
///
/// A read transaction is held on `src` for the whole copy, so the copy is one consistent snapshot
/// while other processes go on writing (WAL: readers and the writer do not block each other), and
/// the copy is never restarted by their commits. `progress` gets (bytes copied, bytes in total).
pub(crate) fn online_copy(src: &Connection, dest: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<Connection> {
    let mut out =
        Connection::open_with_flags(dest, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(|e| Error::from(e).with("path", dest.display()))?;
    // The copy is an intermediate file: the caller fsyncs the backup file it is written into.
    out.execute_batch("PRAGMA synchronous = OFF")?;
    src.execute_batch("BEGIN DEFERRED")?;
    let snapshot = ReadSnapshot(src);
    // The first read starts the snapshot.
    let _: i64 = src.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    let page_size: i64 = src.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    let page_size = u64::try_from(page_size).unwrap_or(4096);
    {
        let backup = rusqlite::backup::Backup::new(src, &mut out)?;
        let mut waits = 0u32;
        loop {
            let step = backup.step(PAGES_PER_STEP)?;
            let p = backup.progress();
            let total = u64::try_from(p.pagecount).unwrap_or(0) * page_size;
            let left = u64::try_from(p.remaining).unwrap_or(0) * page_size;
            progress(total.saturating_sub(left), total);
            match step {
                rusqlite::backup::StepResult::Done => break,
                rusqlite::backup::StepResult::More => {}
                _ => {
                    waits += 1;
                    if waits > 3000 {
                        return Err(Error::new(
                            crate::error::ErrorCode::DbBusy,
                            "The database stayed locked while it was being copied.",
                        )
                        .hint("Try again when the instance is less busy."));
                    }
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
            }
        }
    }
    drop(snapshot);
    Ok(out)
}

/// Removes the host protectors from a copy (a backup never carries them: without the recovery
/// password it opens nothing) and leaves the copy in rollback-journal mode, so the image is one
/// self-contained file. Deleted content is zeroed and the journal stays in memory, so the wrapped
/// keys never reach the disk again.
pub(crate) fn strip_host_protectors(conn: &Connection) -> Result<usize> {
    let _: String = conn.query_row("PRAGMA journal_mode = MEMORY", [], |r| r.get(0))?;
    conn.execute_batch("PRAGMA secure_delete = ON")?;
    Ok(conn.execute("DELETE FROM key_protectors WHERE kind = 'host'", [])?)
}

/// Leaves a database in rollback-journal mode (no `-wal` file beside it). SQLite allows this only
/// when no other connection has the database open; otherwise this fails with `DbBusy`.
pub(crate) fn leave_wal(conn: &Connection) -> Result<()> {
    let mode: String = conn.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(Error::new(
            crate::error::ErrorCode::DbBusy,
            "Another connection has the database open, so it cannot leave WAL mode.",
        )
        .with("journal_mode", mode));
    }
    Ok(())
}

/// Rows in every table, by table name.
pub(crate) fn row_counts(conn: &Connection) -> Result<BTreeMap<String, u64>> {
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )?;
    let names: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    let mut out = BTreeMap::new();
    for name in names {
        let quoted = name.replace('"', "\"\"");
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM \"{quoted}\""), [], |r| r.get(0))?;
        out.insert(name, u64::try_from(n).unwrap_or(0));
    }
    Ok(out)
}

/// SQLite's integrity check (`full`) or quick check (pages and records, without comparing indexes
/// with their tables): an empty list when the database is sound, else the first problems.
pub(crate) fn integrity_problems(conn: &Connection, full: bool) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(if full { "PRAGMA integrity_check(20)" } else { "PRAGMA quick_check(20)" })?;
    let rows: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(if rows.len() == 1 && rows.first().is_some_and(|r| r == "ok") { Vec::new() } else { rows })
}

/// The instance id stored in a database, if it has one.
pub(crate) fn instance_id(conn: &Connection) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'instance')",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(None);
    }
    Ok(conn.query_row("SELECT id FROM instance", [], |r| r.get(0)).optional()?)
}

/// An agent-sealed secret picked for a verification sample.
pub(crate) struct SampledBlob {
    /// Device id (part of the envelope context).
    pub device_id: String,
    /// The envelope.
    pub blob: Vec<u8>,
    /// The certificate it is sealed to.
    pub cert_thumbprint: String,
}

/// Up to `limit` current passwords and `limit` BitLocker keys, spread over the table.
pub(crate) fn sample_blobs(conn: &Connection, limit: u32) -> Result<(Vec<SampledBlob>, Vec<SampledBlob>)> {
    let pick = |sql: &str| -> Result<Vec<SampledBlob>> {
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map(params![limit], |r| {
            Ok(SampledBlob { device_id: r.get(0)?, blob: r.get(1)?, cert_thumbprint: r.get(2)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    };
    // Every n-th row by rowid, so a large table is sampled from end to end.
    let passwords = pick(
        "WITH t AS (SELECT device_id, blob, cert_thumbprint, row_number() OVER (ORDER BY rowid) AS n,
                           count(*) OVER () AS c FROM device_passwords WHERE retired_at IS NULL)
         SELECT device_id, blob, cert_thumbprint FROM t
         WHERE (n - 1) % max(1, c / ?1) = 0 ORDER BY n LIMIT ?1",
    )?;
    let bitlocker = pick(
        "WITH t AS (SELECT device_id, blob, cert_thumbprint, row_number() OVER (ORDER BY rowid) AS n,
                           count(*) OVER () AS c FROM bitlocker_keys)
         SELECT device_id, blob, cert_thumbprint FROM t
         WHERE (n - 1) % max(1, c / ?1) = 0 ORDER BY n LIMIT ?1",
    )?;
    Ok((passwords, bitlocker))
}

/// The sealed private key of a certificate (None when it has none or does not exist).
pub(crate) fn sealed_cert_key(conn: &Connection, thumbprint: &str) -> Result<Option<Vec<u8>>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row("SELECT sealed_private_key FROM certificates WHERE thumbprint = ?1", [thumbprint], |r| r.get(0))
        .optional()?
        .flatten())
}

/// Up to `limit` sealed values of one sealed column, spread over the table. Names come only from
/// code (`SEALED_COLUMNS`).
pub(crate) fn sample_sealed(
    conn: &Connection,
    table: &str,
    id_col: &str,
    col: &str,
    limit: u32,
) -> Result<Vec<(String, Vec<u8>)>> {
    let mut stmt = conn.prepare(&format!(
        "WITH t AS (SELECT \"{id_col}\" AS id, \"{col}\" AS v, row_number() OVER (ORDER BY rowid) AS n,
                           count(*) OVER () AS c FROM \"{table}\" WHERE \"{col}\" IS NOT NULL)
         SELECT id, v FROM t WHERE (n - 1) % max(1, c / ?1) = 0 ORDER BY n LIMIT ?1"
    ))?;
    let rows = stmt.query_map(params![limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Opens a backup image that is not trusted yet: SQLite's defensive mode (no writes to the schema
/// or to shadow tables through SQL, no `writable_schema`) and no trusted schema (functions with
/// side effects are never run from a view or trigger the file defines). Nothing in the file runs
/// before its schema has been compared with what the migrations produce.
pub(crate) fn open_untrusted(path: &Path) -> Result<Connection> {
    use rusqlite::config::DbConfig;
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_VIEW, false)?;
    Ok(conn)
}

/// One row of `sqlite_schema`: (type, name, table name, SQL text).
pub(crate) type SchemaObject = (String, String, String, Option<String>);

/// Every object in a database's schema, sorted.
pub(crate) fn schema_objects(conn: &Connection) -> Result<Vec<SchemaObject>> {
    let mut stmt = conn.prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The schema the embedded migrations produce at `version`, built in memory.
pub(crate) fn reference_schema(version: u32) -> Result<Vec<SchemaObject>> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(crate::store::migrate::VERSION_TABLE)?;
    for m in crate::store::migrate::SQLITE_MIGRATIONS.iter().filter(|m| m.version <= version) {
        conn.execute_batch(m.sql)?;
    }
    schema_objects(&conn)
}

/// The id of the active master key in a database (the one its recovery protector wraps).
pub(crate) fn active_master_key_id(conn: &Connection) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(conn.query_row("SELECT id FROM master_keys WHERE state = 'active'", [], |r| r.get(0)).optional()?)
}

/// The newest audit record of a database: (sequence number, hash).
pub(crate) fn audit_head(conn: &Connection) -> Result<Option<(i64, String)>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}
