//! Embedded, forward-only, versioned migrations: the engine-neutral runner.
//!
//! Each engine embeds its own scripts (`migrations/<engine>/V<NNNN>__<name>.sql`, the same
//! versions and names in every folder) and provides the engine-specific parts: its version
//! table, reading it, and the transaction one migration runs in ([`crate::store::Engine`]).
//! This file decides what is applied, pending, too new or edited, the same way for every engine.
//!
//! Each migration is applied in its own transaction together with its row in
//! `schema_migrations` (version, name, SHA-256 of the script, time). A database whose newest
//! applied version is unknown to this binary, or whose applied migration differs from the
//! embedded one, is refused.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorCode, Result};
use crate::store::Store;

pub use crate::store::sqlite::migrate::MIGRATIONS as SQLITE_MIGRATIONS;

/// One embedded migration.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Version number (the `V<NNNN>` of the file name).
    pub version: u32,
    /// Name (the part after `__`).
    pub name: &'static str,
    /// The script, in the engine's SQL dialect.
    pub sql: &'static str,
}

impl Migration {
    /// SHA-256 of the script, lower-case hex.
    pub fn checksum(&self) -> String {
        Sha256::digest(self.sql.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A migration recorded in a database's version table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    /// Version.
    pub version: u32,
    /// Name.
    pub name: String,
    /// SHA-256 of the script when it was applied.
    pub checksum: String,
}

/// The schema version this binary expects (the same on every engine: a test checks that each
/// engine's folder holds the same versions).
pub fn target_version() -> u32 {
    SQLITE_MIGRATIONS.last().map_or(0, |m| m.version)
}

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

/// Checks what a database has applied against the embedded migrations: refuses versions this
/// binary does not know and edited migrations, and lists what is pending.
pub(crate) fn check(embedded: &[Migration], applied: &[AppliedMigration]) -> Result<MigrationStatus> {
    let target = embedded.last().map_or(0, |m| m.version);
    for a in applied {
        let version = a.version;
        match embedded.iter().find(|m| m.version == version) {
            None => {
                return Err(Error::new(
                    ErrorCode::SchemaTooNew,
                    format!("The database schema (version {version}) is newer than this ams (version {target})."),
                )
                .hint("Use the ams release that upgraded this database, or a newer one.")
                .with("schema_version", version)
                .with("target_version", target));
            }
            Some(m) if m.checksum() != a.checksum || m.name != a.name => {
                return Err(Error::new(
                    ErrorCode::MigrationModified,
                    format!(
                        "Migration {version} ({}) applied to this database differs from the one built into ams.",
                        a.name
                    ),
                )
                .hint("Applied migrations must never be edited; restore the migration file or the database.")
                .with("version", version));
            }
            Some(_) => {}
        }
    }
    let current = applied.iter().map(|a| a.version).max().unwrap_or(0);
    let pending = embedded
        .iter()
        .filter(|m| !applied.iter().any(|a| a.version == m.version))
        .map(|m| PendingMigration { version: m.version, name: m.name.to_string() })
        .collect();
    Ok(MigrationStatus { schema_version: current, target_version: target, pending })
}

/// Checks the applied migrations against the embedded ones and reports what is pending.
pub fn status(store: &Store) -> Result<MigrationStatus> {
    let engine = store.engine();
    check(engine.migrations(), &engine.applied_migrations()?)
}

/// The embedded migrations that are not applied yet, in order, with their scripts (for
/// `ams db migrate --print-sql`).
pub fn pending_scripts(store: &Store) -> Result<Vec<Migration>> {
    let engine = store.engine();
    let st = check(engine.migrations(), &engine.applied_migrations()?)?;
    Ok(engine.migrations().iter().filter(|m| st.pending.iter().any(|p| p.version == m.version)).copied().collect())
}

/// The pending migrations as one script in the engine's dialect, for a DBA who applies scripts
/// by hand (`ams db migrate --print-sql`): it also records each migration in the version
/// table, so ams then sees the database as migrated. Empty when nothing is pending.
pub fn pending_script(store: &Store, now: &str) -> Result<String> {
    let pending = pending_scripts(store)?;
    Ok(if pending.is_empty() { String::new() } else { store.engine().migration_script(&pending, now) })
}

/// The migrations embedded for the store's engine.
pub fn embedded(store: &Store) -> &'static [Migration] {
    store.engine().migrations()
}

/// Applies every pending migration, each in its own transaction. Returns the versions applied.
/// Safe to run from several processes at once: each re-checks inside the migration transaction,
/// which excludes other migrators.
pub fn migrate(store: &Store, now: &str) -> Result<Vec<u32>> {
    let engine = store.engine();
    let embedded = engine.migrations();
    let mut done = Vec::new();
    for m in embedded {
        let scope = engine.begin_migration()?;
        let st = check(embedded, &scope.applied()?)?;
        if st.pending.iter().any(|p| p.version == m.version) {
            scope
                .apply(m, &m.checksum(), now)
                .map_err(|e| e.with("migration", format!("V{:04}__{}", m.version, m.name)))?;
            done.push(m.version);
        }
        scope.commit()?;
    }
    Ok(done)
}

/// Refuses a database that is not exactly at this binary's schema.
pub fn require_current(store: &Store) -> Result<MigrationStatus> {
    let st = status(store)?;
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

/// For the engines' tests: `embedded` holds exactly the scripts of `migrations/<engine>/`, byte
/// for byte, named `V<NNNN>__<name>.sql`, in rising versions.
#[cfg(test)]
pub(crate) fn assert_embeds_folder(engine: &str, embedded: &[Migration]) {
    let dir = format!("{}/../migrations/{engine}", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    files.sort();
    let names: Vec<String> = embedded.iter().map(|m| format!("V{:04}__{}.sql", m.version, m.name)).collect();
    assert_eq!(files, names);
    for m in embedded {
        let text = std::fs::read_to_string(format!("{dir}/V{:04}__{}.sql", m.version, m.name)).unwrap();
        assert_eq!(text, m.sql, "V{:04} embeds another file", m.version);
    }
    for w in embedded.windows(2) {
        assert!(w[1].version > w[0].version, "versions must increase");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(v: u32, name: &str, checksum: &str) -> AppliedMigration {
        AppliedMigration { version: v, name: name.into(), checksum: checksum.into() }
    }

    #[test]
    fn checksum_is_the_sha256_of_the_script() {
        let m = Migration { version: 1, name: "x", sql: "abc" };
        assert_eq!(m.checksum(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn check_finds_pending_too_new_and_edited() {
        let list = SQLITE_MIGRATIONS;
        let first = list[0];
        let st = check(list, &[]).unwrap();
        assert_eq!((st.schema_version, st.pending.len()), (0, list.len()));
        let st = check(list, &[applied(1, first.name, &first.checksum())]).unwrap();
        assert_eq!((st.schema_version, st.pending.len()), (1, list.len() - 1));
        let e = check(list, &[applied(9999, "future", "x")]).unwrap_err();
        assert_eq!(e.code(), ErrorCode::SchemaTooNew);
        let e = check(list, &[applied(1, first.name, "edited")]).unwrap_err();
        assert_eq!(e.code(), ErrorCode::MigrationModified);
        let e = check(list, &[applied(1, "renamed", &first.checksum())]).unwrap_err();
        assert_eq!(e.code(), ErrorCode::MigrationModified);
    }
}
