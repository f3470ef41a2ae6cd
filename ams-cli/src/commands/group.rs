//! `ams group ...`, `ams group-member ...`, `ams group-members get`.

use ams_core::Result;
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::{Ctx, to_json};

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a device group.
    New(GroupNewArgs),
    /// List groups (built-in and custom), or find one by name, SID or id.
    Get(GroupGetArgs),
    /// Rename a group or change its description.
    Set(GroupSetArgs),
    /// Delete a group (one in use needs --force).
    Remove(GroupRemoveArgs),
}

#[derive(Debug, Args)]
pub struct GroupNewArgs {
    /// Name of the new group.
    #[arg(long)]
    pub name: String,
    /// Description.
    #[arg(long)]
    pub description: Option<String>,
}

#[derive(Debug, Args)]
pub struct GroupGetArgs {
    /// Group name.
    #[arg(long, conflicts_with_all = ["id", "security_identifier"])]
    pub name: Option<String>,
    /// Group SID (S-1-4096-...).
    #[arg(long, conflicts_with = "id")]
    pub security_identifier: Option<String>,
    /// Group id.
    #[arg(long)]
    pub id: Option<String>,
}

#[derive(Debug, Args)]
pub struct GroupSetArgs {
    /// Group id.
    #[arg(long)]
    pub id: String,
    /// New name.
    #[arg(long)]
    pub name: Option<String>,
    /// New description.
    #[arg(long)]
    pub description: Option<String>,
}

#[derive(Debug, Args)]
pub struct GroupRemoveArgs {
    /// Group id.
    #[arg(long)]
    pub id: String,
    /// Delete even when the group has members or is attached to registration keys.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum GroupMemberCommand {
    /// Add devices to a group.
    Add(GroupMemberAddArgs),
    /// Remove devices from a group, or every member with --force and no --devices.
    Remove(GroupMemberRemoveArgs),
}

#[derive(Debug, Args)]
pub struct GroupMemberAddArgs {
    /// Group id.
    #[arg(long)]
    pub id: String,
    /// Device ids (repeat the flag for several).
    #[arg(long, required = true, num_args = 1)]
    pub devices: Vec<String>,
}

#[derive(Debug, Args)]
pub struct GroupMemberRemoveArgs {
    /// Group id.
    #[arg(long)]
    pub id: String,
    /// Device ids (repeat the flag for several); none means every member.
    #[arg(long, num_args = 1)]
    pub devices: Vec<String>,
    /// Needed to remove every member.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum GroupMembersCommand {
    /// List the devices in a group.
    Get(GroupMembersGetArgs),
}

#[derive(Debug, Args)]
pub struct GroupMembersGetArgs {
    /// Group id (or SID of a built-in group).
    #[arg(long)]
    pub id: String,
}

pub fn run(ctx: &Ctx, c: GroupCommand) -> Result<Value> {
    let ams = ctx.open()?;
    match c {
        GroupCommand::New(a) => to_json(&ams.group_new(&a.name, a.description.as_deref())?),
        GroupCommand::Get(a) => {
            to_json(&ams.groups(a.id.as_deref(), a.name.as_deref(), a.security_identifier.as_deref())?)
        }
        GroupCommand::Set(a) => to_json(&ams.group_set(&a.id, a.name.as_deref(), a.description.as_deref())?),
        GroupCommand::Remove(a) => {
            ams.group_remove(&a.id, a.force)?;
            Ok(json!({}))
        }
    }
}

pub fn run_member(ctx: &Ctx, c: GroupMemberCommand) -> Result<Value> {
    let ams = ctx.open()?;
    match c {
        GroupMemberCommand::Add(a) => ams.group_member_add(&a.id, &a.devices)?,
        GroupMemberCommand::Remove(a) => ams.group_member_remove(&a.id, &a.devices, a.force)?,
    }
    Ok(json!({}))
}

pub fn run_members(ctx: &Ctx, c: GroupMembersCommand) -> Result<Value> {
    let ams = ctx.open()?;
    match c {
        GroupMembersCommand::Get(a) => to_json(&ams.group_members(&a.id)?),
    }
}
