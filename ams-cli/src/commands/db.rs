//! `ams db ...`.

use ams_core::{Ams, Result};
use clap::Subcommand;
use serde_json::Value;

use super::{Ctx, to_json};

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Show the engine, the database, the schema version, the target version and pending migrations.
    Status,
    /// Apply pending migrations (a copy of the database is kept first).
    Migrate,
}

pub fn run(ctx: &Ctx, c: DbCommand) -> Result<Value> {
    let ams = Ams::open_unchecked(&ctx.options()?)?;
    match c {
        DbCommand::Status => to_json(&ams.db_status()?),
        DbCommand::Migrate => to_json(&ams.db_migrate()?),
    }
}
