//! Embedded, forward-only, versioned migrations.
//!
//! Each migration is applied in its own transaction together with its row in
//! `schema_migrations` (version, name, SHA-256 of the SQL, time). A database whose newest applied
//! version is unknown to this binary, or whose applied migration differs from the embedded one,
//! is refused.

use rusqlite::Connection;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::crypto::seal::hex;
use crate::error::{Error, ErrorCode, Result};

/// One embedded migration.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Version number (the `V<NNNN>` of the file name).
    pub version: u32,
    /// Name (the part after `__`).
    pub name: &'static str,
    /// The SQL.
    pub sql: &'static str,
}

impl Migration {
    /// SHA-256 of the SQL, hex.
    pub fn checksum(&self) -> String {
        hex(&Sha256::digest(self.sql.as_bytes()))
    }
}

macro_rules! migration {
    ($v:literal, $padded:literal, $name:literal) => {
        Migration {
            version: $v,
            name: $name,
            sql: include_str!(concat!("../../../migrations/sqlite/V", $padded, "__", $name, ".sql")),
        }
    };
}

/// The SQLite migrations, in order. A test checks this list against `migrations/sqlite/`.
pub const SQLITE_MIGRATIONS: &[Migration] = &[
    migration!(1, "0001", "foundation"),
    migration!(2, "0002", "data_plane"),
    migration!(3, "0003", "authorization"),
    migration!(4, "0004", "audit_append_only"),
    migration!(5, "0005", "jit"),
    // V0006 is reserved for the security-hardening branch (docs: TEAM numbering); it lands separately.
    migration!(7, "0007", "agent_server"),
];

/// The schema version this binary expects.
pub fn target_version() -> u32 {
    SQLITE_MIGRATIONS.last().map_or(0, |m| m.version)
}

// NEVER CHANGE THIS DEFINITION: every version of ams reads it to decide what to do.
const VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    checksum    TEXT NOT NULL,
    applied_at  TEXT NOT NULL
) STRICT";

/// Where a database stands against this binary's migrations.
#[derive(Debug, Clone, Serialize)]
pub struct MigrationStatus {
    /// The newest applied version (0 for an empty database).
    pub schema_version: u32,
    /// The version this binary brings the database to.
    pub target_version: u32,
    /// Migrations not yet applied.
    pub pending: Vec<PendingMigration>,
}

/// A migration not yet applied.
#[derive(Debug, Clone, Serialize)]
pub struct PendingMigration {
    /// Version.
    pub version: u32,
    /// Name.
    pub name: String,
}

fn applied(conn: &Connection) -> Result<Vec<(u32, String, String)>> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare("SELECT version, name, checksum FROM schema_migrations ORDER BY version")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Checks the applied migrations against the embedded ones and reports what is pending.
pub fn status(conn: &Connection) -> Result<MigrationStatus> {
    let applied = applied(conn)?;
    let target = target_version();
    for (version, name, checksum) in &applied {
        match SQLITE_MIGRATIONS.iter().find(|m| m.version == *version) {
            None => {
                return Err(Error::new(
                    ErrorCode::SchemaTooNew,
                    format!("The database schema (version {version}) is newer than this ams (version {target})."),
                )
                .hint("Use the ams release that upgraded this database, or a newer one.")
                .with("schema_version", version)
                .with("target_version", target));
            }
            Some(m) if m.checksum() != *checksum || m.name != name => {
                return Err(Error::new(
                    ErrorCode::MigrationModified,
                    format!(
                        "Migration {version} ({name}) applied to this database differs from the one built into ams."
                    ),
                )
                .hint("Applied migrations must never be edited; restore the migration file or the database.")
                .with("version", version));
            }
            Some(_) => {}
        }
    }
    let current = applied.last().map_or(0, |a| a.0);
    let pending = SQLITE_MIGRATIONS
        .iter()
        .filter(|m| !applied.iter().any(|a| a.0 == m.version))
        .map(|m| PendingMigration { version: m.version, name: m.name.to_string() })
        .collect();
    Ok(MigrationStatus { schema_version: current, target_version: target, pending })
}

/// Applies every pending migration, each in its own immediate transaction. Returns the versions
/// applied. Safe to run from several processes at once: each re-checks under the write lock.
pub fn migrate(conn: &Connection, now: &str) -> Result<Vec<u32>> {
    conn.execute_batch(VERSION_TABLE)?;
    let mut done = Vec::new();
    for m in SQLITE_MIGRATIONS {
        let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
        let st = status(&tx)?;
        if st.pending.iter().any(|p| p.version == m.version) {
            tx.execute_batch(m.sql)
                .map_err(|e| Error::from(e).with("migration", format!("V{:04}__{}", m.version, m.name)))?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![m.version, m.name, m.checksum(), now],
            )?;
            done.push(m.version);
        }
        tx.commit()?;
    }
    Ok(done)
}

/// Refuses a database that is not exactly at this binary's schema.
pub fn require_current(conn: &Connection) -> Result<MigrationStatus> {
    let st = status(conn)?;
    if !st.pending.is_empty() {
        return Err(Error::new(
            ErrorCode::MigrationRequired,
            format!(
                "The database schema is at version {} and this ams needs version {}.",
                st.schema_version, st.target_version
            ),
        )
        .hint("Run `ams db migrate` (it keeps a copy of the database first).")
        .with("schema_version", st.schema_version)
        .with("target_version", st.target_version));
    }
    Ok(st)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_list_matches_the_migrations_folder() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations/sqlite");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let embedded: Vec<String> =
            SQLITE_MIGRATIONS.iter().map(|m| format!("V{:04}__{}.sql", m.version, m.name)).collect();
        assert_eq!(files, embedded);
        for m in SQLITE_MIGRATIONS {
            let text = std::fs::read_to_string(format!("{dir}/V{:04}__{}.sql", m.version, m.name)).unwrap();
            assert_eq!(text, m.sql, "V{:04} embeds another file", m.version);
        }
        for w in SQLITE_MIGRATIONS.windows(2) {
            // Numbers are reserved per branch, so one may land before a lower one: increasing, not
            // necessarily consecutive.
            assert!(w[1].version > w[0].version, "versions must increase");
        }
    }

    #[test]
    fn fresh_install_applies_everything_once() {
        let conn = Connection::open_in_memory().unwrap();
        assert_eq!(status(&conn).unwrap().schema_version, 0);
        let done = migrate(&conn, "2026-01-01T00:00:00.000000Z").unwrap();
        assert_eq!(done.len(), SQLITE_MIGRATIONS.len());
        assert!(migrate(&conn, "x").unwrap().is_empty());
        let st = require_current(&conn).unwrap();
        assert_eq!(st.schema_version, target_version());
    }

    #[test]
    fn newer_schema_is_refused() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn, "t").unwrap();
        conn.execute("INSERT INTO schema_migrations VALUES (9999, 'future', 'x', 't')", []).unwrap();
        assert_eq!(status(&conn).unwrap_err().code(), ErrorCode::SchemaTooNew);
    }

    #[test]
    fn edited_migration_is_refused() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn, "t").unwrap();
        conn.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1", []).unwrap();
        assert_eq!(status(&conn).unwrap_err().code(), ErrorCode::MigrationModified);
    }

    #[test]
    fn partially_migrated_database_requires_migration() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(VERSION_TABLE).unwrap();
        let m = SQLITE_MIGRATIONS[0];
        conn.execute_batch(m.sql).unwrap();
        conn.execute(
            "INSERT INTO schema_migrations VALUES (?1, ?2, ?3, 't')",
            rusqlite::params![m.version, m.name, m.checksum()],
        )
        .unwrap();
        assert_eq!(require_current(&conn).unwrap_err().code(), ErrorCode::MigrationRequired);
        let rest: Vec<u32> = SQLITE_MIGRATIONS.iter().skip(1).map(|m| m.version).collect();
        assert_eq!(migrate(&conn, "t").unwrap(), rest);
    }
}
