//! `ams audit ...`.

use ams_core::Result;
use ams_core::service::audit::AuditQuery;
use clap::{Args, Subcommand};
use serde_json::Value;

use super::{Ctx, to_json};

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Show audit records, oldest first, filtered by time, object, actor and event.
    Get(AuditGetArgs),
    /// Check the audit trail's hash chain; names the first record that was changed, deleted or moved.
    Verify(AuditVerifyArgs),
}

#[derive(Debug, Args)]
pub struct AuditGetArgs {
    /// Only records at or after this time (RFC 3339).
    #[arg(long)]
    pub since: Option<String>,
    /// Only records before this time (RFC 3339).
    #[arg(long)]
    pub until: Option<String>,
    /// Only records about this object id (a device, group, key or certificate id).
    #[arg(long, alias = "device")]
    pub target_id: Option<String>,
    /// Only records by this actor (e.g. local:alice).
    #[arg(long)]
    pub actor: Option<String>,
    /// Only this event, or every event under it (`device` matches `device.approve`).
    #[arg(long)]
    pub event: Option<String>,
    /// At most this many (the newest).
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
}

#[derive(Debug, Args)]
pub struct AuditVerifyArgs {
    /// A head hash saved from an earlier verify: also detects records cut off the end.
    #[arg(long)]
    pub expect_head: Option<String>,
}

pub fn run(ctx: &Ctx, c: AuditCommand) -> Result<Value> {
    let ams = ctx.open()?;
    match c {
        AuditCommand::Get(a) => {
            let f = AuditQuery {
                since: a.since.as_deref(),
                until: a.until.as_deref(),
                target_id: a.target_id.as_deref(),
                actor: a.actor.as_deref(),
                event: a.event.as_deref(),
                limit: a.limit,
            };
            to_json(&ams.audit_query(&f)?)
        }
        AuditCommand::Verify(a) => to_json(&ams.audit_verify(a.expect_head.as_deref())?),
    }
}
