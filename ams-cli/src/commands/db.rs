//! `ams db ...`: status, migrations, backup, verify, restore.

use std::path::PathBuf;

use ams_core::service::backup;
use ams_core::{Ams, Result};
use clap::{Args, Subcommand};
use serde_json::Value;

use super::{Ctx, to_json};
use crate::progress::Bar;
use crate::secret::read_secret;

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Show the engine, the database, the schema version, the target version and pending migrations.
    Status,
    /// Apply pending migrations (a copy of the database is kept first); with --print-sql, print them as one script instead (the engine's dialect, T-SQL for SQL Server) and change nothing.
    Migrate(MigrateArgs),
    /// Back the database up while it is in use, into one self-describing file (0600, never overwritten); with --scheduled, into the backup folder when due, deleting the oldest beyond the retention count.
    Backup(BackupArgs),
    /// Check the backup FILE (`ams db verify FILE`): checksums, SQLite integrity, schema version; with the recovery password, that the master key unwraps and a sample of secrets opens.
    Verify(VerifyArgs),
    /// Restore the database from the backup FILE (`ams db restore FILE`); refused while another process holds the instance unless --force. The replaced database is kept as a dated copy.
    Restore(RestoreArgs),
}

/// Arguments of `ams db migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Print the pending migrations as one script (in `Script`; it also records them in schema_migrations) for a DBA to apply, and change nothing.
    #[arg(long)]
    pub print_sql: bool,
}

/// Arguments of `ams db backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The backup file to create (it must not exist).
    #[arg(long, value_name = "FILE", required_unless_present = "scheduled", conflicts_with = "scheduled")]
    pub out: Option<PathBuf>,
    /// Run as the scheduled job: back up into the backup folder if one is due, then prune (settings BackupEnabled, BackupIntervalHours, BackupRetentionCount, BackupFolder).
    #[arg(long)]
    pub scheduled: bool,
}

/// Arguments of `ams db verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The backup file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Read the recovery password in force when the backup was taken (stdin, or a prompt at a terminal), check the seal with the master key it opens, and open a sample of secrets. Without it, the seal is checked with this host's key when its instance holds the backup's master key.
    #[arg(long)]
    pub recovery_password_stdin: bool,
    /// Accept a backup without a seal, or whose seal cannot be checked here: a deliberate change to the file would go unnoticed.
    #[arg(long)]
    pub insecure_skip_authentication: bool,
}

/// Arguments of `ams db restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Restore even while another process holds the instance (its later writes are lost).
    #[arg(long)]
    pub force: bool,
    /// Read the recovery password in force when the backup was taken (stdin, or a prompt at a terminal): it authenticates the backup when this host does not hold its master key, and gives the restored instance a new host key.
    #[arg(long)]
    pub recovery_password_stdin: bool,
    /// Restore a backup without a seal, or whose seal cannot be checked here: a deliberate change to the file would go unnoticed.
    #[arg(long)]
    pub insecure_skip_authentication: bool,
}

pub fn run(ctx: &Ctx, c: DbCommand) -> Result<Value> {
    let mut bar = Bar::for_stderr();
    let mut progress = |p| bar.update(p);
    let out = match c {
        DbCommand::Status => to_json(&Ams::open_unchecked(&ctx.options()?)?.db_status()?),
        DbCommand::Migrate(a) if a.print_sql => to_json(&Ams::open_unchecked(&ctx.options()?)?.db_migration_script()?),
        DbCommand::Migrate(_) => to_json(&Ams::open_unchecked(&ctx.options()?)?.db_migrate()?),
        DbCommand::Backup(a) => {
            let opts = ctx.options()?;
            backup::check_backup_engine(&opts.data_dir)?;
            let ams = Ams::open_unchecked(&opts)?;
            match a.out {
                Some(out) if !a.scheduled => to_json(&ams.db_backup(&out, &mut progress)?),
                _ => to_json(&ams.db_backup_scheduled(&mut progress)?),
            }
        }
        DbCommand::Verify(a) => {
            let pw = if a.recovery_password_stdin { Some(read_secret("recovery password", false)?) } else { None };
            let auth = backup::BackupAuth {
                recovery_password: pw.as_deref().map(|p| p.as_slice()),
                insecure_skip_authentication: a.insecure_skip_authentication,
            };
            // The instance of the data directory, if there is one, may hold the backup's key.
            let live = ctx.options().ok();
            to_json(&backup::db_verify(&a.file, live.as_ref(), auth, &mut progress)?)
        }
        DbCommand::Restore(a) => {
            let pw = if a.recovery_password_stdin { Some(read_secret("recovery password", false)?) } else { None };
            let auth = backup::BackupAuth {
                recovery_password: pw.as_deref().map(|p| p.as_slice()),
                insecure_skip_authentication: a.insecure_skip_authentication,
            };
            to_json(&backup::db_restore(&ctx.options()?, &a.file, a.force, auth, &mut progress)?)
        }
    };
    bar.finish();
    out
}
