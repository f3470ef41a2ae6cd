//! The SQL Server parts of the migration runner: the embedded T-SQL scripts (the same versions
//! and names as `migrations/sqlite/`), the version table, and the transaction one migration
//! runs in. Scripts are split into batches at lines that hold only `GO` (CREATE TRIGGER must
//! start a batch); the whole script and its version row commit together.

use super::{MssqlEngine, MssqlTx, statements};
use crate::error::Result;
use crate::store::MigrationScope;
use crate::store::migrate::{AppliedMigration, Migration};

macro_rules! migration {
    ($v:literal, $padded:literal, $name:literal) => {
        Migration {
            version: $v,
            name: $name,
            sql: include_str!(concat!("../../../../migrations/mssql/V", $padded, "__", $name, ".sql")),
        }
    };
}

/// The SQL Server migrations, in order. A test checks this list against `migrations/mssql/`
/// and against the SQLite list.
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

statements! {
    /// NEVER CHANGE THIS DEFINITION: every version of ams reads it to decide what to do.
    /// Created inside the first migration's transaction, after the migration lock.
    VERSION_TABLE = "IF OBJECT_ID(N'schema_migrations', N'U') IS NULL
        CREATE TABLE schema_migrations (
            version     bigint NOT NULL PRIMARY KEY,
            name        nvarchar(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
            checksum    nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
            applied_at  nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL
        )";
    HAS_VERSION_TABLE = "SELECT CAST(CASE WHEN OBJECT_ID(N'schema_migrations', N'U') IS NULL THEN 0 ELSE 1 END AS bigint)";
    APPLIED = "SELECT version, name, checksum FROM schema_migrations ORDER BY version";
    RECORD = "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (@P1, @P2, @P3, @P4)";
    /// Migrators queue behind each other (and behind writers, which hold `ams.write`).
    MIGRATION_LOCK = "EXEC sp_getapplock @Resource = 'ams.write', @LockMode = 'Exclusive', @LockOwner = 'Transaction', @LockTimeout = 30000; \
                      SELECT APPLOCK_MODE('public', 'ams.write', 'Transaction')";
}

/// The batches of a script: the text between lines that hold only `GO` (any case), without
/// empty ones.
pub(crate) fn batches(script: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    for line in script.split_inclusive('\n') {
        if line.trim().eq_ignore_ascii_case("go") {
            out.push(&script[start..pos]);
            start = pos + line.len();
        }
        pos += line.len();
    }
    out.push(&script[start..]);
    out.into_iter().filter(|b| b.lines().any(|l| !l.trim().is_empty() && !l.trim_start().starts_with("--"))).collect()
}

/// The pending migrations as one T-SQL script for sqlcmd or SSMS: the version table, then in
/// one transaction each migration's batches and its version row, batches separated by `GO`.
pub(crate) fn script(pending: &[Migration], now: &str) -> String {
    let lit = |s: &str| format!("N'{}'", s.replace('\'', "''"));
    let mut out = format!("SET XACT_ABORT ON;\nGO\n{};\nGO\nBEGIN TRANSACTION;\nGO\n", VERSION_TABLE.text());
    for m in pending {
        out.push_str(&format!("-- V{:04}__{}\n", m.version, m.name));
        for b in batches(m.sql) {
            out.push_str(b.trim_end());
            out.push_str("\nGO\n");
        }
        out.push_str(&format!(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ({}, {}, {}, {});\nGO\n",
            m.version,
            lit(m.name),
            lit(&m.checksum()),
            lit(now)
        ));
    }
    out.push_str("COMMIT TRANSACTION;\nGO\n");
    out
}

/// The rows of the version table, by version; empty when there is no version table.
pub(crate) fn applied(tx: &MssqlTx<'_>) -> Result<Vec<AppliedMigration>> {
    if tx.count(HAS_VERSION_TABLE, &[])? == 0 {
        return Ok(Vec::new());
    }
    tx.rows(APPLIED, &[], |r| {
        let version = r.i()?;
        Ok(AppliedMigration { version: u32::try_from(version).unwrap_or(u32::MAX), name: r.s()?, checksum: r.s()? })
    })
}

/// One migration's transaction, holding the writers' lock.
pub(crate) struct MigrationTx<'e> {
    tx: MssqlTx<'e>,
}

impl<'e> MigrationTx<'e> {
    pub(crate) fn begin(engine: &'e MssqlEngine) -> Result<MigrationTx<'e>> {
        engine.reconnect_if_lost()?;
        engine.run(async |c| c.begin_transaction_with_isolation(tiberius::IsolationLevel::ReadCommitted).await)?;
        let tx = MssqlTx::new(engine);
        tx.take_lock(MIGRATION_LOCK)?;
        tx.exec(VERSION_TABLE, &[])?;
        Ok(MigrationTx { tx })
    }
}

impl MigrationScope for MigrationTx<'_> {
    fn applied(&self) -> Result<Vec<AppliedMigration>> {
        applied(&self.tx)
    }

    fn apply(&self, m: &Migration, checksum: &str, now: &str) -> Result<()> {
        for batch in batches(m.sql) {
            // The embedded scripts are constants too (and parsed by the migration tests).
            self.tx.check_alive()?;
            self.tx.guarded(
                self.tx.engine.run_sql(batch, async |c| c.simple_query(batch.to_string()).await?.into_results().await),
            )?;
        }
        let version = i64::from(m.version);
        self.tx.exec(RECORD, &[&version, &m.name, &checksum, &now])?;
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<()> {
        self.tx.finish(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_list_matches_the_folder_and_the_sqlite_versions() {
        crate::store::migrate::assert_embeds_folder("mssql", MIGRATIONS);
        // The same versions and names as SQLite, so one schema version means one schema.
        let sqlite: Vec<(u32, &str)> =
            crate::store::sqlite::migrate::MIGRATIONS.iter().map(|m| (m.version, m.name)).collect();
        let mssql: Vec<(u32, &str)> = MIGRATIONS.iter().map(|m| (m.version, m.name)).collect();
        assert_eq!(sqlite, mssql);
    }

    #[test]
    fn the_printed_script_parses_and_records_every_version() {
        use sqlparser::dialect::MsSqlDialect;
        use sqlparser::parser::Parser;
        let text = script(MIGRATIONS, "2026-01-01T00:00:00.000000Z");
        for b in batches(&text) {
            Parser::parse_sql(&MsSqlDialect {}, b).unwrap_or_else(|e| panic!("{e}\n{b}"));
        }
        for m in MIGRATIONS {
            assert!(text.contains(&format!("VALUES ({}, N'{}', N'{}', ", m.version, m.name, m.checksum())));
        }
        assert!(text.trim_end().ends_with("COMMIT TRANSACTION;\nGO"));
    }

    #[test]
    fn scripts_split_at_go_lines_only() {
        assert_eq!(batches("SELECT 1;\nGO\nSELECT 2;\n  go  \n"), vec!["SELECT 1;\n", "SELECT 2;\n"]);
        assert_eq!(batches("SELECT 'GO';\nSELECT 1 AS go_on;"), vec!["SELECT 'GO';\nSELECT 1 AS go_on;"]);
        assert_eq!(batches("-- only a comment\nGO\n"), Vec::<&str>::new());
        assert_eq!(batches(""), Vec::<&str>::new());
        // Every embedded script has at least one batch and no MERGE or CREATE OR ALTER.
        for m in MIGRATIONS {
            assert!(!batches(m.sql).is_empty(), "V{:04}", m.version);
            let upper = m.sql.to_ascii_uppercase();
            assert!(!upper.contains("MERGE") && !upper.contains("CREATE OR ALTER"), "V{:04}", m.version);
        }
    }
}
