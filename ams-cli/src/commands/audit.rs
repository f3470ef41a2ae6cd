//! `ams audit ...`.

use ams_core::Result;
use clap::{Args, Subcommand};
use serde_json::Value;

use super::{Ctx, to_json};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Show audit records, oldest first.
    Get(AuditGetArgs),
}

#[derive(Debug, Args)]
pub struct AuditGetArgs {
    /// Only records about this object id.
    #[arg(long)]
    pub target_id: Option<String>,
    /// At most this many (the newest).
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
}

pub fn run(ctx: &Ctx, c: AuditCommand) -> Result<Value> {
    let ams = ctx.open()?;
    match c {
        AuditCommand::Get(a) => to_json(&ams.audit_records(a.target_id.as_deref(), a.limit)?),
    }
}
