//! Database status and migration.

use serde::Serialize;

use crate::ams::Ams;
use crate::error::Result;
use crate::store::migrate::{self, PendingMigration};

/// What `ams db status` reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DbStatus {
    /// Engine name (`sqlite` or `mssql`).
    pub engine: String,
    /// Connection string with any password masked.
    pub database: String,
    /// The newest applied migration.
    pub schema_version: u32,
    /// The version this binary expects.
    pub target_version: u32,
    /// Migrations not yet applied.
    pub pending_migrations: Vec<PendingMigration>,
}

/// What `ams db migrate` reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MigrateReport {
    /// Versions applied by this run.
    pub applied: Vec<u32>,
    /// The schema version now.
    pub schema_version: u32,
    /// A copy of the database taken before migrating, if any migration was pending.
    pub pre_migration_copy: Option<String>,
    /// True when this run created the derivation root (keyed lookup hashes and audit chain,
    /// V0006) with this host's key. When the master key was unavailable (recovery mode), `ams key
    /// recover` creates it.
    pub derivation_root_created: bool,
}

/// What `ams db migrate --print-sql` reports: the pending migrations as one script, for a DBA
/// who applies scripts by hand. Nothing is changed.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MigrationScript {
    /// Engine name (`sqlite` or `mssql`): the script's dialect.
    pub engine: String,
    /// The newest applied migration.
    pub schema_version: u32,
    /// The version the script brings the database to.
    pub target_version: u32,
    /// The migrations the script applies.
    pub pending_migrations: Vec<PendingMigration>,
    /// The script (empty when nothing is pending). It records each migration in
    /// `schema_migrations`, so ams then sees the database as migrated.
    pub script: String,
}

impl Ams {
    /// The pending migrations as one script, without applying anything.
    pub fn db_migration_script(&self) -> Result<MigrationScript> {
        let st = migrate::status(&self.store)?;
        let script = migrate::pending_script(&self.store, &self.now())?;
        Ok(MigrationScript {
            engine: self.store.engine_kind().name().into(),
            schema_version: st.schema_version,
            target_version: st.target_version,
            pending_migrations: st.pending,
            script,
        })
    }

    /// Reports the schema version against this binary's migrations.
    pub fn db_status(&self) -> Result<DbStatus> {
        let st = migrate::status(&self.store)?;
        Ok(DbStatus {
            engine: self.store.engine_kind().name().into(),
            database: self.store.url().masked(),
            schema_version: st.schema_version,
            target_version: st.target_version,
            pending_migrations: st.pending,
        })
    }

    /// Applies pending migrations, keeping a `VACUUM INTO` copy of the database first.
    pub fn db_migrate(&self) -> Result<MigrateReport> {
        let st = migrate::status(&self.store)?;
        let mut copy = None;
        if !st.pending.is_empty() && st.schema_version > 0 {
            let stamp = self.now().replace([':', '.'], "");
            let path = self.data_dir.join(format!("ams.db.pre-v{}-{stamp}", st.target_version));
            if self.store.copy_to_file(&path)? {
                copy = Some(path.display().to_string());
            }
        }
        let applied = migrate::migrate(&self.store, &self.now())?;
        let after = migrate::status(&self.store)?;
        let derivation_root_created = after.pending.is_empty() && self.ensure_derivation_root(applied.contains(&6))?;
        Ok(MigrateReport {
            applied,
            schema_version: after.schema_version,
            pre_migration_copy: copy,
            derivation_root_created,
        })
    }
}
