//! Backup images and the SQLite side of backups and restores.
//!
//! A backup image is a SQLite database file whatever the instance's engine (one format, ADR 0002).
//! [`Image`] is such a file opened for checking, stripping and sampling; [`online_copy`] makes
//! one from a live SQLite database with the online backup API, and [`replace`] swaps a checked
//! image in for a live SQLite database. Services see none of this: they call
//! [`crate::store::Store::copy_into_image`], [`Image`]'s methods and
//! [`crate::store::replace_database`].

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::error::{Error, ErrorCode, Result};
use crate::store::migrate::{self, MigrationStatus};
use crate::store::{Replaced, SealedColumn};

/// Pages copied per step of the online backup (8 MiB with 4 KiB pages).
const PAGES_PER_STEP: i32 = 2048;

/// Ends a read transaction however the copy ends.
struct ReadSnapshot<'a>(&'a Connection);

impl Drop for ReadSnapshot<'_> {
    fn drop(&mut self) {
        let _ = self.0.execute_batch("ROLLBACK");
    }
}

/// Copies every page of `src` into `dest` with SQLite's online backup API, `pages` at a time
/// (`-1`: all at once), waiting out short locks. `progress` gets (pages done, pages in all).
fn copy_pages(
    src: &Connection,
    dest: &mut Connection,
    pages: i32,
    progress: &mut dyn FnMut(u64, u64),
    busy: &str,
) -> Result<()> {
    let backup = rusqlite::backup::Backup::new(src, dest)?;
    let mut waits = 0u32;
    loop {
        let step = backup.step(pages)?;
        let p = backup.progress();
        let total = u64::try_from(p.pagecount).unwrap_or(0);
        progress(total.saturating_sub(u64::try_from(p.remaining).unwrap_or(0)), total);
        match step {
            rusqlite::backup::StepResult::Done => return Ok(()),
            rusqlite::backup::StepResult::More => {}
            _ => {
                waits += 1;
                if waits > 3000 {
                    return Err(Error::new(ErrorCode::DbBusy, busy.to_string())
                        .hint("Try again when the instance is less busy, or stop the other ams processes."));
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
    }
}

/// Copies the database behind `src` into `dest` (an existing empty file, created 0600 by the
/// caller) with SQLite's online backup API.
///
/// A read transaction is held on `src` for the whole copy, so the copy is one consistent snapshot
/// while other processes go on writing (WAL: readers and the writer do not block each other), and
/// the copy is never restarted by their commits. `progress` gets (bytes copied, bytes in total).
pub(crate) fn online_copy(src: &Connection, dest: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<()> {
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
    copy_pages(
        src,
        &mut out,
        PAGES_PER_STEP,
        &mut |done, total| progress(done * page_size, total * page_size),
        "The database stayed locked while it was being copied.",
    )?;
    drop(snapshot);
    Ok(())
}

/// A backup image: a SQLite database file being made, checked or restored.
pub(crate) struct Image {
    conn: Connection,
}

/// One row of `sqlite_schema`: (type, name, table name, SQL text).
type SchemaObject = (String, String, String, Option<String>);

/// An agent-sealed secret picked for a verification sample.
pub(crate) struct SampledBlob {
    /// Device id (part of the envelope context).
    pub device_id: String,
    /// The envelope.
    pub blob: Vec<u8>,
    /// The certificate it is sealed to.
    pub cert_thumbprint: String,
    /// The account (passwords) or recovery key id (BitLocker keys): part of the context.
    pub subject: String,
}

impl Image {
    /// Opens an image this process has just written (a fresh copy of a live database).
    pub(crate) fn open(path: &Path) -> Result<Image> {
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .map_err(|e| Error::from(e).with("path", path.display()))?;
        Ok(Image { conn })
    }

    /// Opens an image that is not trusted yet: SQLite's defensive mode (no writes to the schema
    /// or to shadow tables through SQL, no `writable_schema`) and no trusted schema (functions
    /// with side effects are never run from a view or trigger the file defines). Nothing in the
    /// file runs before its schema has been compared with what the migrations produce.
    pub(crate) fn open_untrusted(path: &Path) -> Result<Image> {
        use rusqlite::config::DbConfig;
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_VIEW, false)?;
        Ok(Image { conn })
    }

    /// Opens a version 2 backup file in place, untrusted (as [`Image::open_untrusted`]), read only
    /// and immutable (see [`super::open_immutable`]): nothing is written to it or beside it. Only
    /// once `format::read_header` has checked that SQLite reads just the image.
    pub(crate) fn open_in_place(path: &Path) -> Result<Image> {
        use rusqlite::config::DbConfig;
        let conn = super::open_immutable(path)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_VIEW, false)?;
        Ok(Image { conn })
    }

    /// Where the image's schema stands against this binary's migrations.
    pub(crate) fn migration_status(&self) -> Result<MigrationStatus> {
        migrate::check(super::migrate::MIGRATIONS, &super::migrate::applied(&self.conn)?)
    }

    /// What differs between the image's schema and the one the migrations produce at `version`:
    /// one sentence per extra, missing or changed table, index, trigger or view. SQLite's
    /// statistics tables (made by `ANALYZE`) are allowed; they hold no code.
    pub(crate) fn schema_differences(&self, status: &MigrationStatus) -> Result<Vec<String>> {
        // The migrations the image has applied: those up to its version that are not pending (a
        // gap, such as V0006 in a database that went from V0005 to V0007, stays a gap).
        let applied: Vec<u32> = super::migrate::MIGRATIONS
            .iter()
            .map(|m| m.version)
            .filter(|v| *v <= status.schema_version && !status.pending.iter().any(|p| p.version == *v))
            .collect();
        Ok(schema_differences(&schema_objects(&self.conn)?, &reference_schema(&applied)?))
    }

    /// SQLite's integrity check (`full`) or quick check (pages and records, without comparing
    /// indexes with their tables): an empty list when the image is sound, else the first problems.
    pub(crate) fn integrity_problems(&self, full: bool) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare(if full { "PRAGMA integrity_check(20)" } else { "PRAGMA quick_check(20)" })?;
        let rows: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        Ok(if rows.len() == 1 && rows.first().is_some_and(|r| r == "ok") { Vec::new() } else { rows })
    }

    /// The instance id stored in the image, if it has one.
    pub(crate) fn instance_id(&self) -> Result<Option<String>> {
        let exists: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'instance')",
            [],
            |r| r.get(0),
        )?;
        if !exists {
            return Ok(None);
        }
        Ok(self.conn.query_row("SELECT id FROM instance", [], |r| r.get(0)).optional()?)
    }

    /// Rows in every table, by table name.
    pub(crate) fn row_counts(&self) -> Result<BTreeMap<String, u64>> {
        let mut stmt = self.conn.prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        )?;
        let names: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        let mut out = BTreeMap::new();
        for name in names {
            let quoted = name.replace('"', "\"\"");
            let n: i64 = self.conn.query_row(&format!("SELECT count(*) FROM \"{quoted}\""), [], |r| r.get(0))?;
            out.insert(name, u64::try_from(n).unwrap_or(0));
        }
        Ok(out)
    }

    /// The id of the active master key (the one its recovery protector wraps).
    pub(crate) fn active_master_key_id(&self) -> Result<Option<String>> {
        Ok(self.conn.query_row("SELECT id FROM master_keys WHERE state = 'active'", [], |r| r.get(0)).optional()?)
    }

    /// The newest audit record: (sequence number, hash).
    pub(crate) fn audit_head(&self) -> Result<Option<(i64, String)>> {
        Ok(self
            .conn
            .query_row("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// Removes the host protectors (a backup never carries them: without the recovery password
    /// it opens nothing) and leaves the image in rollback-journal mode, so it is one
    /// self-contained file. Deleted content is zeroed and the journal stays in memory, so the
    /// wrapped keys never reach the disk again.
    pub(crate) fn strip_host_protectors(&self) -> Result<usize> {
        // An intermediate file: neither leaving WAL (a checkpoint) nor the commit below need fsync
        // it (issue 14: that flushed the whole image to disk, 0.3 s for 267 MiB). The backup file
        // it is copied into is fsynced before it is published.
        self.conn.execute_batch("PRAGMA synchronous = OFF")?;
        let _: String = self.conn.query_row("PRAGMA journal_mode = MEMORY", [], |r| r.get(0))?;
        self.conn.execute_batch("PRAGMA secure_delete = ON")?;
        Ok(self.conn.execute("DELETE FROM key_protectors WHERE kind = 'host'", [])?)
    }

    /// Leaves the image in rollback-journal mode (no `-wal` file beside it), so it can be renamed
    /// as one file. SQLite allows this only when no other connection has it open; otherwise this
    /// fails with `DbBusy`.
    pub(crate) fn leave_wal(&self) -> Result<()> {
        leave_wal(&self.conn)
    }

    /// Up to `limit` current passwords and `limit` BitLocker keys, spread over the tables.
    pub(crate) fn sample_blobs(&self, limit: u32) -> Result<(Vec<SampledBlob>, Vec<SampledBlob>)> {
        let pick = |sql: &str| -> Result<Vec<SampledBlob>> {
            let mut stmt = self.conn.prepare(sql)?;
            let rows = stmt.query_map(params![limit], |r| {
                Ok(SampledBlob {
                    device_id: r.get(0)?,
                    blob: r.get(1)?,
                    cert_thumbprint: r.get(2)?,
                    subject: r.get(3)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        };
        // Every n-th row by rowid, so a large table is sampled from end to end.
        let passwords = pick(
            "WITH t AS (SELECT device_id, blob, cert_thumbprint, account_name, row_number() OVER (ORDER BY rowid) AS n,
                               count(*) OVER () AS c FROM device_passwords WHERE retired_at IS NULL)
             SELECT device_id, blob, cert_thumbprint, account_name FROM t
             WHERE (n - 1) % max(1, c / ?1) = 0 ORDER BY n LIMIT ?1",
        )?;
        let bitlocker = pick(
            "WITH t AS (SELECT device_id, blob, cert_thumbprint, key_id, row_number() OVER (ORDER BY rowid) AS n,
                               count(*) OVER () AS c FROM bitlocker_keys)
             SELECT device_id, blob, cert_thumbprint, key_id FROM t
             WHERE (n - 1) % max(1, c / ?1) = 0 ORDER BY n LIMIT ?1",
        )?;
        Ok((passwords, bitlocker))
    }

    /// The sealed private key of a certificate (None when it has none or does not exist).
    pub(crate) fn sealed_cert_key(&self, thumbprint: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .query_row("SELECT sealed_private_key FROM certificates WHERE thumbprint = ?1", [thumbprint], |r| r.get(0))
            .optional()?
            .flatten())
    }

    /// Up to `limit` values of one sealed column, spread over the table.
    pub(crate) fn sample_sealed(&self, c: SealedColumn, limit: u32) -> Result<Vec<(String, Vec<u8>)>> {
        let (table, id_col, col) = (c.table(), c.id_column(), c.column());
        let mut stmt = self.conn.prepare(&format!(
            "WITH t AS (SELECT \"{id_col}\" AS id, \"{col}\" AS v, row_number() OVER (ORDER BY rowid) AS n,
                               count(*) OVER () AS c FROM \"{table}\" WHERE \"{col}\" IS NOT NULL)
             SELECT id, v FROM t WHERE (n - 1) % max(1, c / ?1) = 0 ORDER BY n LIMIT ?1"
        ))?;
        let rows = stmt.query_map(params![limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// Leaves a database in rollback-journal mode; see [`Image::leave_wal`].
pub(crate) fn leave_wal(conn: &Connection) -> Result<()> {
    let mode: String = conn.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(Error::new(
            ErrorCode::DbBusy,
            "Another connection has the database open, so it cannot leave WAL mode.",
        )
        .with("journal_mode", mode));
    }
    Ok(())
}

/// Every object in a database's schema, sorted.
fn schema_objects(conn: &Connection) -> Result<Vec<SchemaObject>> {
    let mut stmt = conn.prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The schema the embedded migrations produce at `version`, built in memory.
fn reference_schema(applied: &[u32]) -> Result<Vec<SchemaObject>> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(super::migrate::VERSION_TABLE)?;
    for m in super::migrate::MIGRATIONS.iter().filter(|m| applied.contains(&m.version)) {
        conn.execute_batch(m.sql)?;
    }
    schema_objects(&conn)
}

/// See [`Image::schema_differences`].
fn schema_differences(found: &[SchemaObject], reference: &[SchemaObject]) -> Vec<String> {
    let allowed = |o: &SchemaObject| {
        o.0 == "table"
            && matches!(o.1.as_str(), "sqlite_stat1" | "sqlite_stat4")
            && o.3.as_deref().is_some_and(|s| {
                s == "CREATE TABLE sqlite_stat1(tbl,idx,stat)"
                    || s == "CREATE TABLE sqlite_stat4(tbl,idx,neq,nlt,ndlt,sample)"
            })
    };
    let key = |o: &SchemaObject| (o.0.clone(), o.1.clone());
    let want: BTreeMap<_, _> = reference.iter().map(|o| (key(o), o)).collect();
    let have: BTreeMap<_, _> = found.iter().filter(|o| !allowed(o)).map(|o| (key(o), o)).collect();
    let mut out = Vec::new();
    for (k, o) in &have {
        match want.get(k) {
            None => out.push(format!("{} {} is not part of the schema", k.0, k.1)),
            Some(w) if w.2 != o.2 || w.3 != o.3 => out.push(format!("{} {} has another definition", k.0, k.1)),
            Some(_) => {}
        }
    }
    for k in want.keys().filter(|k| !have.contains_key(*k)) {
        out.push(format!("{} {} is missing", k.0, k.1));
    }
    out
}

/// Puts a checked, migrated image (`staged`, one file, beside the database) in place of the
/// SQLite database at `db_path`, keeping the old one at `copy` (a path where nothing exists; the
/// caller picks it). See [`crate::store::replace_database`].
///
/// No database yet: `staged` is renamed into place.
///
/// Normal path (`exclusive`: the caller holds the exclusive instance lock): the live database is
/// taken out of WAL mode, which SQLite allows only when no other connection has it open, and
/// locked exclusively; the old file is hard-linked to `copy` and the staged file renamed over it.
///
/// Forced path (another process still has it open, and `force`): the old content is copied to
/// `copy` with `VACUUM INTO`, then the staged pages are written into the live database in one
/// SQLite write transaction (the backup API), which the other processes see like any other
/// commit. Nothing is renamed under them.
pub(crate) fn replace(db_path: &Path, staged: &Path, copy: &Path, exclusive: bool, force: bool) -> Result<Replaced> {
    if std::fs::symlink_metadata(db_path).is_err() {
        // No database yet: link the staged file in without ever replacing what may appear there
        // meanwhile (no check followed by a rename). When something did appear, it is swapped
        // below like any live database.
        match crate::instance::keep_private_copy(staged, db_path) {
            Ok(()) => {
                let _ = std::fs::remove_file(staged);
                crate::instance::sync_parent(db_path);
                return Ok(Replaced::Installed);
            }
            Err(e) if e.code() == ErrorCode::FileExists => {}
            Err(e) => return Err(e),
        }
    }
    if exclusive {
        let live =
            Connection::open_with_flags(db_path, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        live.busy_timeout(crate::lock::EXCLUSIVE_WAIT)?;
        let alone = leave_wal(&live).and_then(|()| Ok(live.execute_batch("BEGIN EXCLUSIVE")?));
        match alone {
            Ok(()) => {
                crate::instance::keep_private_copy(db_path, copy)?;
                std::fs::rename(staged, db_path).map_err(|e| Error::from(e).with("path", db_path.display()))?;
                crate::instance::sync_parent(db_path);
                drop(live);
                return Ok(Replaced::Swapped);
            }
            Err(e) if e.code() == ErrorCode::DbBusy && force => {}
            Err(e) if e.code() == ErrorCode::DbBusy => return Ok(Replaced::Busy),
            Err(e) => return Err(e),
        }
    }
    if !force {
        return Ok(Replaced::Busy);
    }
    let mut live = super::open(db_path, false)?;
    // Created here first (0600, never through a planted link); VACUUM INTO fills an empty file.
    crate::instance::write_new_private(copy, b"")?;
    live.execute("VACUUM INTO ?1", [copy.to_string_lossy().as_ref()])?;
    {
        let src =
            Connection::open_with_flags(staged, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        copy_pages(&src, &mut live, -1, &mut |_, _| {}, "The database stayed locked during the restore.")?;
    }
    drop(live);
    let _ = std::fs::remove_file(staged);
    Ok(Replaced::Forced)
}
