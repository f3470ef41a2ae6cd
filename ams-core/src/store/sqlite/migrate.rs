//! The SQLite parts of the migration runner: the embedded scripts, the version table, and the
//! immediate transaction one migration runs in.

use rusqlite::{Connection, Transaction, TransactionBehavior, params};

use crate::error::Result;
use crate::store::MigrationScope;
use crate::store::migrate::{AppliedMigration, Migration};

macro_rules! migration {
    ($v:literal, $padded:literal, $name:literal) => {
        Migration {
            version: $v,
            name: $name,
            sql: include_str!(concat!("../../../../migrations/sqlite/V", $padded, "__", $name, ".sql")),
        }
    };
}

/// The SQLite migrations, in order. A test checks this list against `migrations/sqlite/`.
pub const MIGRATIONS: &[Migration] = &[
    migration!(1, "0001", "foundation"),
    migration!(2, "0002", "data_plane"),
    migration!(3, "0003", "authorization"),
    migration!(4, "0004", "audit_append_only"),
    migration!(5, "0005", "jit"),
    migration!(6, "0006", "keyed_lookups"),
    migration!(7, "0007", "agent_server"),
    migration!(8, "0008", "agent_policies"),
    migration!(9, "0009", "approvals"),
    migration!(10, "0010", "notifications"),
];

// NEVER CHANGE THIS DEFINITION: every version of ams reads it to decide what to do.
pub(crate) const VERSION_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    checksum    TEXT NOT NULL,
    applied_at  TEXT NOT NULL
) STRICT";

/// A string as an SQL literal.
pub(crate) fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The pending migrations as one script: the version table, then each migration and its
/// version row, all in one transaction.
pub(crate) fn script(pending: &[Migration], now: &str) -> String {
    let mut out = format!("{VERSION_TABLE};\nBEGIN IMMEDIATE;\n");
    for m in pending {
        out.push_str(&format!("-- V{:04}__{}\n{}\n", m.version, m.name, m.sql.trim_end()));
        out.push_str(&format!(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ({}, {}, {}, {});\n",
            m.version,
            literal(m.name),
            literal(&m.checksum()),
            literal(now)
        ));
    }
    out.push_str("COMMIT;\n");
    out
}

/// The rows of the version table, by version; empty when there is no version table.
pub(crate) fn applied(conn: &Connection) -> Result<Vec<AppliedMigration>> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare("SELECT version, name, checksum FROM schema_migrations ORDER BY version")?;
    let rows =
        stmt.query_map([], |r| Ok(AppliedMigration { version: r.get(0)?, name: r.get(1)?, checksum: r.get(2)? }))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// One migration's transaction: `BEGIN IMMEDIATE`, so migrators queue behind each other's write
/// lock and each sees what the one before it applied.
pub(crate) struct MigrationTx<'c> {
    tx: Transaction<'c>,
}

impl<'c> MigrationTx<'c> {
    pub(crate) fn begin(conn: &'c Connection) -> Result<MigrationTx<'c>> {
        conn.execute_batch(VERSION_TABLE)?;
        Ok(MigrationTx { tx: Transaction::new_unchecked(conn, TransactionBehavior::Immediate)? })
    }
}

impl MigrationScope for MigrationTx<'_> {
    fn applied(&self) -> Result<Vec<AppliedMigration>> {
        applied(&self.tx)
    }

    fn apply(&self, m: &Migration, checksum: &str, now: &str) -> Result<()> {
        self.tx.execute_batch(m.sql)?;
        self.tx.execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?1, ?2, ?3, ?4)",
            params![m.version, m.name, checksum, now],
        )?;
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<()> {
        Ok(self.tx.commit()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::store::migrate::{self, target_version};
    use crate::store::{DbUrl, Store};

    /// A store on a new file, and a second connection to the same file.
    fn store() -> (tempfile::TempDir, Store, Connection) {
        let d = tempfile::tempdir().unwrap();
        let s = Store::open(&DbUrl::Sqlite(d.path().join("t.db")), true).unwrap();
        let c = Connection::open(d.path().join("t.db")).unwrap();
        (d, s, c)
    }

    #[test]
    fn embedded_list_matches_the_migrations_folder() {
        migrate::assert_embeds_folder("sqlite", MIGRATIONS);
    }

    #[test]
    fn the_printed_script_migrates_like_the_runner() {
        let (_d, s, conn) = store();
        let script = script(MIGRATIONS, "2026-01-01T00:00:00.000000Z");
        conn.execute_batch(&script).unwrap();
        let st = migrate::require_current(&s).unwrap();
        assert_eq!(st.schema_version, target_version());
        assert!(migrate::migrate(&s, "x").unwrap().is_empty(), "nothing is left to apply");
    }

    #[test]
    fn fresh_install_applies_everything_once() {
        let (_d, s, _conn) = store();
        assert_eq!(migrate::status(&s).unwrap().schema_version, 0);
        let done = migrate::migrate(&s, "2026-01-01T00:00:00.000000Z").unwrap();
        assert_eq!(done.len(), MIGRATIONS.len());
        assert!(migrate::migrate(&s, "x").unwrap().is_empty());
        let st = migrate::require_current(&s).unwrap();
        assert_eq!(st.schema_version, target_version());
    }

    #[test]
    fn newer_schema_is_refused() {
        let (_d, s, conn) = store();
        migrate::migrate(&s, "t").unwrap();
        conn.execute("INSERT INTO schema_migrations VALUES (9999, 'future', 'x', 't')", []).unwrap();
        assert_eq!(migrate::status(&s).unwrap_err().code(), ErrorCode::SchemaTooNew);
    }

    #[test]
    fn edited_migration_is_refused() {
        let (_d, s, conn) = store();
        migrate::migrate(&s, "t").unwrap();
        conn.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1", []).unwrap();
        assert_eq!(migrate::status(&s).unwrap_err().code(), ErrorCode::MigrationModified);
    }

    #[test]
    fn partially_migrated_database_requires_migration() {
        let (_d, s, conn) = store();
        conn.execute_batch(VERSION_TABLE).unwrap();
        let m = MIGRATIONS[0];
        conn.execute_batch(m.sql).unwrap();
        conn.execute(
            "INSERT INTO schema_migrations VALUES (?1, ?2, ?3, 't')",
            rusqlite::params![m.version, m.name, m.checksum()],
        )
        .unwrap();
        assert_eq!(migrate::require_current(&s).unwrap_err().code(), ErrorCode::MigrationRequired);
        let rest: Vec<u32> = MIGRATIONS.iter().skip(1).map(|m| m.version).collect();
        assert_eq!(migrate::migrate(&s, "t").unwrap(), rest);
    }
}
