//! SQL for configuration: removing a service setting, row counts for diagnostics, and a
//! read-only check of a database file named by a connection string.

use std::path::Path;

use rusqlite::{OpenFlags, params};

use super::SqliteTx;
use crate::error::{Error, ErrorCode, Result};
use crate::store::migrate::{self, MigrationStatus};
use crate::store::{ConfigRead, ConfigWrite, WRITE_WAIT};

impl ConfigRead for SqliteTx<'_> {
    fn table_counts(&self) -> Result<Vec<(String, i64)>> {
        let names: Vec<String> = {
            let mut stmt = self.tx.prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            let quoted = name.replace('"', "\"\"");
            let n: i64 = self.tx.query_row(&format!("SELECT COUNT(*) FROM \"{quoted}\""), [], |r| r.get(0))?;
            out.push((name, n));
        }
        Ok(out)
    }
}

impl ConfigWrite for SqliteTx<'_> {
    fn delete_setting(&self, key: &str) -> Result<bool> {
        Ok(self.tx.execute("DELETE FROM service_settings WHERE key = ?1", params![key])? > 0)
    }
}

/// Checks, read-only and never creating anything, that `path` is an ams database this binary
/// can open or migrate, and reports its migration status. The errors are
/// [`ErrorCode::ConnectionStringInvalid`] with the path and, when SQLite or the migration check
/// refused the file, the reason.
pub(crate) fn probe(path: &Path) -> Result<MigrationStatus> {
    let fail = |message: &str| {
        Error::new(ErrorCode::ConnectionStringInvalid, message.to_string()).with("path", path.display())
    };
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() && !parent.is_dir() => {
            return Err(fail("The folder of the database file does not exist."));
        }
        _ => {}
    }
    if !path.is_file() {
        return Err(fail("No database file exists at that path."));
    }
    let status = || -> Result<MigrationStatus> {
        let conn = rusqlite::Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(WRITE_WAIT)?;
        migrate::check(super::migrate::MIGRATIONS, &super::migrate::applied(&conn)?)
    };
    match status() {
        Ok(st) if st.schema_version == 0 => Err(fail("The file is a SQLite database but not an ams database.")),
        Ok(st) => Ok(st),
        Err(e) => Err(fail("The file is not an ams database this version can open.")
            .with("reason", e.code().as_str())
            .with("detail", e.message())),
    }
}
