//! SQL for configuration: removing a service setting, row counts for diagnostics, and a
//! read-only probe of a database file named by a connection string.

use std::path::Path;

use rusqlite::{OpenFlags, params};

use crate::error::Result;
use crate::store::Tx;
use crate::store::migrate::{self, MigrationStatus};

impl Tx<'_> {
    /// Removes a service setting, so its default applies again. Returns whether a row was removed.
    pub fn delete_setting(&self, key: &str) -> Result<bool> {
        Ok(self.tx.execute("DELETE FROM service_settings WHERE key = ?1", params![key])? > 0)
    }

    /// Row counts of every table of the schema (names from `sqlite_master`, never from input).
    pub fn table_counts(&self) -> Result<Vec<(String, i64)>> {
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

/// Opens a SQLite file read-only (never creating it) and reports its migration status. Fails
/// with the usual database errors when the file is not SQLite, and with the migration errors
/// when its schema is newer than this binary or was edited.
pub fn probe(path: &Path) -> Result<MigrationStatus> {
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_millis(super::BUSY_TIMEOUT_MS))?;
    migrate::status(&conn)
}
