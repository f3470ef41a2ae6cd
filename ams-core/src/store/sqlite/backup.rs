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

/// Bytes of the blocks [`online_copy`] writes and hands on (1,024 pages of 4 KiB).
const BLOCK: usize = 4 << 20;

/// Copies the database behind `src` into `dest` (an existing empty file, created 0600 by the
/// caller).
///
/// A read transaction is held on `src` for the whole copy, so the copy is one consistent snapshot
/// while other processes go on writing (WAL: readers and the writer do not block each other), and
/// the copy is never restarted by their commits. `progress` gets (bytes copied, bytes in total).
///
/// The pages are read through SQLite's `sqlite_dbpage` table (the snapshot's pages as SQLite sees
/// them, the WAL's included) and written to `dest` in blocks of [`BLOCK`] bytes, in file order;
/// `written` gets each block once it is written and returns a buffer for the next one (the backup
/// hashes the blocks on another core as they go, ADR 0020). A SQLite built without that table
/// copies with the online backup API instead, and `written` is never called.
pub(crate) fn online_copy(
    src: &Connection,
    dest: &Path,
    progress: &mut dyn FnMut(u64, u64),
    written: &mut dyn FnMut(Vec<u8>) -> Vec<u8>,
) -> Result<()> {
    copy_snapshot(src, dest, progress, written, has_dbpage(src))
}

/// True when this SQLite has the `sqlite_dbpage` table (built with `SQLITE_ENABLE_DBPAGE_VTAB`,
/// which `.cargo/config.toml` sets).
fn has_dbpage(conn: &Connection) -> bool {
    conn.prepare("SELECT pgno FROM sqlite_dbpage('main') WHERE pgno = 1").is_ok()
}

fn copy_snapshot(
    src: &Connection,
    dest: &Path,
    progress: &mut dyn FnMut(u64, u64),
    written: &mut dyn FnMut(Vec<u8>) -> Vec<u8>,
    raw: bool,
) -> Result<()> {
    src.execute_batch("BEGIN DEFERRED")?;
    let snapshot = ReadSnapshot(src);
    // The first read starts the snapshot.
    let _: i64 = src.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    let page_size: i64 = src.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    let page_size = u64::try_from(page_size).unwrap_or(4096);
    if raw {
        copy_raw(src, dest, page_size, progress, written)?;
    } else {
        let mut out =
            Connection::open_with_flags(dest, OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .map_err(|e| Error::from(e).with("path", dest.display()))?;
        // The copy is an intermediate file: the caller fsyncs the backup file it is written into.
        out.execute_batch("PRAGMA synchronous = OFF")?;
        copy_pages(
            src,
            &mut out,
            PAGES_PER_STEP,
            &mut |done, total| progress(done * page_size, total * page_size),
            "The database stayed locked while it was being copied.",
        )?;
    }
    drop(snapshot);
    Ok(())
}

/// The pages of `src`'s snapshot, read through `sqlite_dbpage` and appended to `dest` (not
/// fsynced: the caller fsyncs the backup file). The file is the snapshot exactly, its SQLite
/// header included (still in WAL mode: [`Image::strip_host_protectors`] leaves it).
fn copy_raw(
    src: &Connection,
    dest: &Path,
    page_size: u64,
    progress: &mut dyn FnMut(u64, u64),
    written: &mut dyn FnMut(Vec<u8>) -> Vec<u8>,
) -> Result<()> {
    use std::io::Write;
    let pages: i64 = src.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    let pages = u64::try_from(pages).unwrap_or(0);
    let total = pages.saturating_mul(page_size);
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(dest)
        .map_err(|e| Error::from(e).with("path", dest.display()))?;
    let odd = |what: &str| Error::internal(format!("The database copy went wrong: {what}."));
    let mut stmt = src.prepare("SELECT pgno, data FROM sqlite_dbpage('main')")?;
    let mut rows = stmt.query([])?;
    let mut block = Vec::with_capacity(BLOCK);
    let (mut next, mut done) = (1i64, 0u64);
    let mut flush = |block: Vec<u8>, done: &mut u64| -> Result<Vec<u8>> {
        out.write_all(&block).map_err(|e| Error::from(e).with("path", dest.display()))?;
        *done += block.len() as u64;
        progress(*done, total);
        let mut again = written(block);
        again.clear();
        again.reserve(BLOCK);
        Ok(again)
    };
    while let Some(r) = rows.next()? {
        let pgno: i64 = r.get(0)?;
        let data = r.get_ref(1)?.as_blob().map_err(|_| odd("a page is not a blob"))?;
        if pgno != next || data.len() as u64 != page_size {
            return Err(odd("a page is missing or has another size"));
        }
        next += 1;
        block.extend_from_slice(data);
        if block.len() >= BLOCK {
            block = flush(block, &mut done)?;
        }
    }
    if !block.is_empty() {
        flush(block, &mut done)?;
    }
    if done != total {
        return Err(odd("the pages read are not the database's page count"));
    }
    Ok(())
}

/// What [`Image::strip_host_protectors`] did.
pub(crate) struct Stripped {
    /// The byte ranges of the image it rewrote (whole pages; page 1 always), in no order. Every
    /// other byte is as it was before.
    pub rewritten: Vec<std::ops::Range<u64>>,
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

    /// Opens a version 2 or 3 backup file in place, untrusted (as [`Image::open_untrusted`]), read only
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
    /// self-contained file. Deleted content is zeroed (secure delete).
    ///
    /// The delete is committed to a WAL beside the image (the WAL index in memory: the image is
    /// opened exclusively), whose frame headers name every page it wrote; leaving WAL mode writes
    /// those pages into the image and rewrites page 1. So the caller learns which bytes changed
    /// and hashes only those again (ADR 0020). Nothing is fsynced: the backup file is, once it
    /// is complete.
    pub(crate) fn strip_host_protectors(&self) -> Result<Stripped> {
        let path = self
            .conn
            .path()
            .map(std::path::PathBuf::from)
            .ok_or_else(|| Error::internal("The backup image has no file to strip."))?;
        let _: String = self.conn.query_row("PRAGMA locking_mode = EXCLUSIVE", [], |r| r.get(0))?;
        self.conn.execute_batch("PRAGMA synchronous = OFF; PRAGMA secure_delete = ON")?;
        let mode: String = self.conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::internal("The backup image could not be put in WAL mode."));
        }
        let page_size: i64 = self.conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        let page_size = u64::try_from(page_size).unwrap_or(4096);
        self.conn.execute("DELETE FROM key_protectors WHERE kind = 'host'", [])?;
        let mut wal = path.into_os_string();
        wal.push("-wal");
        let pages = wal_pages(Path::new(&wal))?;
        leave_wal(&self.conn)?;
        let mut rewritten: Vec<std::ops::Range<u64>> =
            pages.iter().map(|p| (p - 1) * page_size..p * page_size).collect();
        rewritten.push(0..page_size);
        Ok(Stripped { rewritten })
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

/// The page numbers in every frame header of a WAL file (a missing file has none). Every frame
/// counts, committed or not, so the list holds at least every page a checkpoint writes back.
fn wal_pages(wal: &Path) -> Result<std::collections::BTreeSet<u64>> {
    use std::io::Read;
    let mut f = match std::fs::File::open(wal) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Default::default()),
        Err(e) => return Err(Error::from(e).with("path", wal.display())),
    };
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes)?;
    let be32 = |at: usize| bytes.get(at..at + 4).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_be_bytes);
    let mut pages = std::collections::BTreeSet::new();
    let Some(page_size) = be32(8).map(|p| p as usize).filter(|p| *p >= 512) else { return Ok(pages) };
    let mut at = 32;
    while let Some(pgno) = be32(at) {
        if pgno > 0 {
            pages.insert(u64::from(pgno));
        }
        at += 24 + page_size;
    }
    Ok(pages)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A WAL database of about 20 MiB with host and recovery protectors spread through it (filler
    /// rows between them), part of it still in the WAL.
    fn live(dir: &Path) -> Connection {
        let c = Connection::open(dir.join("live.db")).unwrap();
        c.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
             CREATE TABLE key_protectors (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, blob BLOB);
             CREATE INDEX kp_kind ON key_protectors (kind);
             CREATE TABLE filler (x BLOB);",
        )
        .unwrap();
        for i in 0..60 {
            c.execute(
                "WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < 100)
                 INSERT INTO filler SELECT randomblob(3000) FROM n",
                [],
            )
            .unwrap();
            let kind = if i % 3 == 0 { "recovery" } else { "host" };
            c.execute("INSERT INTO key_protectors (kind, blob) VALUES (?1, randomblob(5000))", [kind]).unwrap();
        }
        c
    }

    fn pages(bytes: &[u8], page: usize) -> Vec<&[u8]> {
        bytes.chunks(page).collect()
    }

    #[test]
    fn the_raw_copy_is_the_snapshot_and_the_strip_names_every_page_it_rewrites() {
        let d = tempfile::tempdir().unwrap();
        let src = live(d.path());
        for raw in [true, false] {
            let dest = d.path().join(format!("image-{raw}.db"));
            std::fs::write(&dest, b"").unwrap();
            let (mut blocks, mut last) = (Vec::new(), 0u64);
            copy_snapshot(
                &src,
                &dest,
                &mut |done, total| {
                    assert!(done >= last && done <= total);
                    last = done;
                },
                &mut |b| {
                    blocks.extend_from_slice(&b);
                    b
                },
                raw,
            )
            .unwrap();
            let before = std::fs::read(&dest).unwrap();
            assert!(before.len() > 16 << 20, "{}", before.len());
            if raw {
                assert!(has_dbpage(&src), "this build has sqlite_dbpage (.cargo/config.toml)");
                assert_eq!(blocks, before, "the blocks handed on are the file's bytes, in order");
            } else {
                assert!(blocks.is_empty(), "the backup API path hands on nothing");
            }
            let img = Image::open(&dest).unwrap();
            let stripped = img.strip_host_protectors().unwrap();
            let n: i64 = img.conn.query_row("SELECT count(*) FROM key_protectors", [], |r| r.get(0)).unwrap();
            let hosts: i64 = img
                .conn
                .query_row("SELECT count(*) FROM key_protectors WHERE kind = 'host'", [], |r| r.get(0))
                .unwrap();
            assert_eq!((n, hosts), (20, 0));
            assert_eq!(img.integrity_problems(true).unwrap(), Vec::<String>::new());
            drop(img);
            let after = std::fs::read(&dest).unwrap();
            assert_eq!(after.len(), before.len());
            assert_eq!(after.get(18..20), Some(&[1u8, 1][..]), "rollback-journal mode");
            assert!(!d.path().join(format!("image-{raw}.db-wal")).exists());
            let page = 4096;
            let changed: Vec<u64> = pages(&before, page)
                .iter()
                .zip(pages(&after, page))
                .enumerate()
                .filter(|(_, (a, b))| *a != b)
                .map(|(i, _)| i as u64 * page as u64)
                .collect();
            assert!(changed.len() > 10, "the strip rewrote pages all over the file: {}", changed.len());
            for at in &changed {
                assert!(
                    stripped.rewritten.iter().any(|r| r.start <= *at && at + page as u64 <= r.end),
                    "page at {at} changed but is not named"
                );
            }
            // Far from the whole file: the other chunks keep the hashes taken as they were written.
            let named: u64 = stripped.rewritten.iter().map(|r| r.end - r.start).sum();
            assert!(named < before.len() as u64 / 4, "{named} of {}", before.len());
        }
    }
}
