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
    /// Apply pending migrations (a copy of the database is kept first).
    Migrate,
    /// Back the database up while it is in use, into one self-describing file (0600, never overwritten); with --scheduled, into the backup folder when due, deleting the oldest beyond the retention count.
    Backup(BackupArgs),
    /// Check the backup FILE (`ams db verify FILE`): checksums, SQLite integrity, schema version; with the recovery password, that the master key unwraps and a sample of secrets opens.
    Verify(VerifyArgs),
    /// Restore the database from the backup FILE (`ams db restore FILE`); refused while another process holds the instance unless --force. The replaced database is kept as a dated copy.
    Restore(RestoreArgs),
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
    /// Also read the recovery password (stdin, or a prompt at a terminal) and check that it opens the master key and a sample of secrets.
    #[arg(long)]
    pub recovery_password_stdin: bool,
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
}

pub fn run(ctx: &Ctx, c: DbCommand) -> Result<Value> {
    let mut bar = Bar::for_stderr();
    let mut progress = |p| bar.update(p);
    let out = match c {
        DbCommand::Status => to_json(&Ams::open_unchecked(&ctx.options()?)?.db_status()?),
        DbCommand::Migrate => to_json(&Ams::open_unchecked(&ctx.options()?)?.db_migrate()?),
        DbCommand::Backup(a) => {
            let opts = ctx.options()?;
            backup::check_engine(&opts.data_dir)?;
            let ams = Ams::open_unchecked(&opts)?;
            match a.out {
                Some(out) if !a.scheduled => to_json(&ams.db_backup(&out, &mut progress)?),
                _ => to_json(&ams.db_backup_scheduled(&mut progress)?),
            }
        }
        DbCommand::Verify(a) => {
            let pw = if a.recovery_password_stdin { Some(read_secret("recovery password", false)?) } else { None };
            to_json(&backup::db_verify(&a.file, pw.as_deref().map(|p| p.as_slice()), &mut progress)?)
        }
        DbCommand::Restore(a) => to_json(&backup::db_restore(&ctx.options()?, &a.file, a.force, &mut progress)?),
    };
    bar.finish();
    out
}
