//! Just-in-time access: `ams active-directory-jit-group-creation-rule new|get|set|remove`,
//! `ams active-directory-jit-options get|set`, `ams jit-scheduler-job get|remove` (the upstream
//! cmdlets) and `ams jit ...` (the directory connection, admin grants, the scheduler run and the
//! group creation sync).

use ams_core::Result;
use ams_core::authz::duration::parse_duration;
use ams_core::clock::parse_time;
use ams_core::service::jit::{
    JOB_TYPE_GROUP_REMOVAL, JitDirectoryChanges, JitGrantRequest, JitGroupRuleChanges, JitOptionsChanges,
};
use ams_core::{Error, ErrorCode};
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::{Ctx, to_json};
use crate::secret::read_secret;

#[derive(Debug, Subcommand)]
pub enum JitGroupRuleCommand {
    /// Create a rule that makes a JIT group for every computer found in an OU (run `ams jit sync` to apply).
    New(JitGroupRuleArgs),
    /// List the JIT group creation rules, or show one by id.
    Get(IdOptArgs),
    /// Change a JIT group creation rule; values left out are kept.
    Set(JitGroupRuleSetArgs),
    /// Delete a JIT group creation rule (groups it created stay in the directory).
    Remove(JitGroupRuleRemoveArgs),
}

#[derive(Debug, Args)]
pub struct JitGroupRuleArgs {
    /// DN of the OU searched for computers.
    #[arg(long, value_name = "DN")]
    pub computer_ou: Option<String>,
    /// Search below ComputerOU too (true or false; default false).
    #[arg(long, value_name = "BOOL")]
    pub subtree: Option<bool>,
    /// DN of the OU the groups are created in.
    #[arg(long, value_name = "DN")]
    pub group_ou: Option<String>,
    /// Group name template; must contain %computerName% (default JIT-%computerName%).
    #[arg(long, value_name = "TEMPLATE")]
    pub group_name_template: Option<String>,
    /// Description put on the created groups (empty removes it).
    #[arg(long, value_name = "TEXT")]
    pub group_description: Option<String>,
    /// DomainLocal (default), Global or Universal.
    #[arg(long, value_name = "TYPE")]
    pub group_type: Option<String>,
    /// Delete groups in GroupOU whose computer is gone, at a full sync (true or false; default false).
    #[arg(long, value_name = "BOOL")]
    pub enable_jit_group_deletion: Option<bool>,
    /// Give each created group a Unix GID (true or false; default false).
    #[arg(long, value_name = "BOOL")]
    pub create_unix_gid: Option<bool>,
    /// Attribute that receives the GID (default gidNumber).
    #[arg(long, value_name = "NAME")]
    pub unix_gid_attribute_name: Option<String>,
    /// GID offset: GID = group RID + offset (default 0).
    #[arg(long, value_name = "N")]
    pub unix_gid_start_range: Option<i64>,
}

#[derive(Debug, Args)]
pub struct JitGroupRuleSetArgs {
    /// Rule id.
    #[arg(long)]
    pub id: String,
    #[command(flatten)]
    pub fields: JitGroupRuleArgs,
    /// Ask for a full sync (deletions included) at the next `ams jit sync`.
    #[arg(long)]
    pub force_full_sync: bool,
}

#[derive(Debug, Args)]
pub struct JitGroupRuleRemoveArgs {
    /// Rule id.
    #[arg(long)]
    pub id: String,
    /// Accepted for parity with the cmdlet; ams never asks for confirmation.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct IdOptArgs {
    /// Id.
    #[arg(long)]
    pub id: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum JitOptionsCommand {
    /// Show the JIT engine's options (mode, DC locator, sync intervals, retry limit).
    Get,
    /// Change the JIT engine's options; values left out are kept.
    Set(JitOptionsSetArgs),
}

#[derive(Debug, Args)]
pub struct JitOptionsSetArgs {
    /// Auto (time-limited membership where the directory supports it) or JitScheduler. This build always uses its scheduler.
    #[arg(long, value_name = "MODE")]
    pub jit_mode: Option<String>,
    /// Default, or any of LocalDcLocator, RemoteDcLocator, SiteLookup separated by commas.
    #[arg(long, value_name = "MODES")]
    pub dc_locator_mode: Option<String>,
    /// Minutes between checks for new computers needing JIT groups (1-10080; default 1).
    #[arg(long, value_name = "N")]
    pub delta_sync_interval_minutes: Option<i64>,
    /// Minutes between full syncs of the JIT groups (1-10080; default 60).
    #[arg(long, value_name = "N")]
    pub full_sync_interval_minutes: Option<i64>,
    /// Removal attempts before a scheduler job is marked failed (1-100000; default 80).
    #[arg(long, value_name = "N")]
    pub maximum_jit_removal_retry_attempts: Option<i64>,
}

#[derive(Debug, Subcommand)]
pub enum JitJobCommand {
    /// List the JIT scheduler jobs not yet done (or only the failed ones), or show one by id.
    Get(JitJobGetArgs),
    /// Delete a JIT scheduler job; the group membership is left as it is.
    Remove(JitJobRemoveArgs),
}

#[derive(Debug, Args)]
pub struct JitJobGetArgs {
    /// Job id.
    #[arg(long, conflicts_with_all = ["failed_only", "type"])]
    pub id: Option<String>,
    /// Job type: ActiveDirectoryGroupRemoval (the only one).
    #[arg(long, value_name = "TYPE")]
    pub r#type: Option<String>,
    /// Only jobs that gave up after the retry limit.
    #[arg(long)]
    pub failed_only: bool,
}

#[derive(Debug, Args)]
pub struct JitJobRemoveArgs {
    /// Job id.
    #[arg(long)]
    pub id: String,
}

#[derive(Debug, Subcommand)]
pub enum JitCommand {
    /// The directory the JIT engine works in.
    #[command(subcommand)]
    Directory(JitDirectoryCommand),
    /// Add a user to a JIT group now and schedule the removal (administrators; no rule is checked).
    Grant(JitGrantArgs),
    /// Remove the memberships whose time is up; failures are retried on later runs (run it from a timer).
    RunDue(JitRunDueArgs),
    /// Create the JIT groups the group creation rules describe (with --full, delete those of vanished computers where allowed).
    Sync(JitSyncArgs),
    /// Show what the directory says about a computer: its DN and the SIDs of its groups.
    Computer(JitComputerArgs),
}

#[derive(Debug, Subcommand)]
pub enum JitDirectoryCommand {
    /// Show the directory settings (the bind password is never shown).
    Get,
    /// Configure the directory; values left out are kept (Active Directory names are the defaults).
    Set(Box<JitDirectorySetArgs>),
    /// Remove the directory settings (JIT requests then only decide and audit).
    Clear,
}

#[derive(Debug, Args)]
pub struct JitDirectorySetArgs {
    /// Directory URL: ldap://HOST[:PORT] (StartTLS by default) or ldaps://HOST[:PORT].
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// DN to bind as.
    #[arg(long, value_name = "DN")]
    pub bind_dn: Option<String>,
    /// Read the bind password from stdin (or a prompt); it is sealed under the master key.
    #[arg(long)]
    pub bind_password_stdin: bool,
    /// Where users, computers and groups are searched.
    #[arg(long, value_name = "DN")]
    pub base_dn: Option<String>,
    /// Attribute holding SIDs (default objectSid).
    #[arg(long, value_name = "NAME")]
    pub sid_attribute: Option<String>,
    /// binary (default, as AD's objectSid) or string (S-1-... text).
    #[arg(long, value_name = "FORMAT")]
    pub sid_format: Option<String>,
    /// Attribute listing group members (default member).
    #[arg(long, value_name = "NAME")]
    pub member_attribute: Option<String>,
    /// Attribute holding account names of groups and computers (default sAMAccountName).
    #[arg(long, value_name = "NAME")]
    pub name_attribute: Option<String>,
    /// Object class of groups (default group).
    #[arg(long, value_name = "CLASS")]
    pub group_object_class: Option<String>,
    /// Object class of computers (default computer).
    #[arg(long, value_name = "CLASS")]
    pub computer_object_class: Option<String>,
    /// Attribute that receives the AD group type on creation (default groupType; empty: none).
    #[arg(long, value_name = "NAME")]
    pub group_type_attribute: Option<String>,
    /// A member every created group gets (for schemas that need one; empty: none).
    #[arg(long, value_name = "DN")]
    pub initial_member_dn: Option<String>,
    /// How the connection is protected: starttls (default for ldap://), ldaps (for ldaps://) or none.
    #[arg(long, value_name = "MODE", value_parser = ["starttls", "ldaps", "none"], ignore_case = true)]
    pub tls: Option<String>,
    /// PEM file with the CA certificates trusted for the directory's certificate (empty: the system's roots).
    #[arg(long, value_name = "PATH")]
    pub ca_file: Option<String>,
    /// Allow a simple bind over plain LDAP (--tls none): the bind password then crosses the network in clear.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", value_parser = clap::value_parser!(bool))]
    pub allow_plain_bind: Option<bool>,
    /// Read secrets from the directory too: MsLaps, WindowsLaps, BitLocker (comma-separated), all or none (default none).
    #[arg(long, value_name = "LIST")]
    pub secret_providers: Option<String>,
}

#[derive(Debug, Args)]
pub struct JitGrantArgs {
    /// The user's SID.
    #[arg(long, value_name = "SID")]
    pub user_sid: String,
    /// The group's account name.
    #[arg(long, value_name = "NAME")]
    pub group_name: String,
    /// How long: 1:00:00 (one hour), 0:30 (30 minutes), 1.00:00:00 (one day) or PT1H30M.
    #[arg(long, value_name = "DURATION")]
    pub duration: String,
    /// Move the expiry of an active grant later (otherwise it is kept).
    #[arg(long)]
    pub allow_extension: bool,
    /// The computer the access is for (recorded with the job).
    #[arg(long, value_name = "NAME")]
    pub computer_name: Option<String>,
}

#[derive(Debug, Args)]
pub struct JitRunDueArgs {
    /// Run as if at this time (RFC 3339; for tests and catching up); default now.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}

#[derive(Debug, Args)]
pub struct JitSyncArgs {
    /// Full sync: also delete groups of vanished computers where the rule allows it.
    #[arg(long)]
    pub full: bool,
}

#[derive(Debug, Args)]
pub struct JitComputerArgs {
    /// Computer account name.
    #[arg(long, value_name = "NAME")]
    pub name: String,
}

fn changes(a: JitGroupRuleArgs, force_full_sync: bool) -> JitGroupRuleChanges {
    JitGroupRuleChanges {
        computer_ou: a.computer_ou,
        subtree: a.subtree,
        group_ou: a.group_ou,
        group_name_template: a.group_name_template,
        group_description: a.group_description,
        group_type: a.group_type,
        enable_jit_group_deletion: a.enable_jit_group_deletion,
        create_unix_gid: a.create_unix_gid,
        unix_gid_attribute_name: a.unix_gid_attribute_name,
        unix_gid_start_range: a.unix_gid_start_range,
        force_full_sync,
    }
}

pub fn run_group_rule(ctx: &Ctx, c: JitGroupRuleCommand) -> Result<Value> {
    let ams = ctx.open()?;
    match c {
        JitGroupRuleCommand::New(a) => to_json(&ams.new_jit_group_rule(changes(a, false))?),
        JitGroupRuleCommand::Get(a) => match a.id {
            Some(id) => to_json(&ams.jit_group_rule(&id)?),
            None => to_json(&ams.jit_group_rules()?),
        },
        JitGroupRuleCommand::Set(a) => to_json(&ams.set_jit_group_rule(&a.id, changes(a.fields, a.force_full_sync))?),
        JitGroupRuleCommand::Remove(a) => to_json(&ams.remove_jit_group_rule(&a.id)?),
    }
}

pub fn run_options(ctx: &Ctx, c: JitOptionsCommand) -> Result<Value> {
    let ams = ctx.open()?;
    match c {
        JitOptionsCommand::Get => to_json(&ams.jit_options()?),
        JitOptionsCommand::Set(a) => to_json(&ams.set_jit_options(&JitOptionsChanges {
            jit_mode: a.jit_mode,
            dc_locator_mode: a.dc_locator_mode,
            delta_sync_interval_minutes: a.delta_sync_interval_minutes,
            full_sync_interval_minutes: a.full_sync_interval_minutes,
            maximum_jit_removal_retry_attempts: a.maximum_jit_removal_retry_attempts,
        })?),
    }
}

pub fn run_job(ctx: &Ctx, c: JitJobCommand) -> Result<Value> {
    let ams = ctx.open()?;
    match c {
        JitJobCommand::Get(a) => {
            if let Some(t) = &a.r#type
                && !t.eq_ignore_ascii_case(JOB_TYPE_GROUP_REMOVAL)
            {
                return Err(Error::new(ErrorCode::JitOptionInvalid, format!("Unknown job type '{t}'."))
                    .hint("The only job type is ActiveDirectoryGroupRemoval."));
            }
            match a.id {
                Some(id) => to_json(&ams.jit_job(&id)?),
                None => to_json(&ams.jit_jobs(a.failed_only)?),
            }
        }
        JitJobCommand::Remove(a) => {
            ams.remove_jit_job(&a.id)?;
            Ok(json!({}))
        }
    }
}

pub fn run(ctx: &Ctx, c: JitCommand) -> Result<Value> {
    let ams = ctx.open()?;
    match c {
        JitCommand::Directory(JitDirectoryCommand::Get) => to_json(&ams.jit_directory()?),
        JitCommand::Directory(JitDirectoryCommand::Clear) => Ok(json!({ "Removed": ams.clear_jit_directory()? })),
        JitCommand::Directory(JitDirectoryCommand::Set(a)) => {
            let password = if a.bind_password_stdin { Some(read_secret("bind password", false)?) } else { None };
            let keyring = if password.is_some() { Some(ams.unlock()?) } else { None };
            let ch = JitDirectoryChanges {
                url: a.url,
                bind_dn: a.bind_dn,
                base_dn: a.base_dn,
                sid_attribute: a.sid_attribute,
                sid_format: a.sid_format,
                member_attribute: a.member_attribute,
                name_attribute: a.name_attribute,
                group_object_class: a.group_object_class,
                computer_object_class: a.computer_object_class,
                group_type_attribute: a.group_type_attribute,
                initial_member_dn: a.initial_member_dn,
                tls: a.tls,
                ca_file: a.ca_file,
                allow_plain_bind: a.allow_plain_bind,
                secret_providers: a.secret_providers,
            };
            to_json(&ams.set_jit_directory(keyring.as_ref(), ch, password)?)
        }
        JitCommand::Grant(a) => {
            let keyring = ams.unlock()?;
            let duration = parse_duration(&a.duration)?;
            to_json(&ams.jit_grant(
                &keyring,
                &JitGrantRequest {
                    user_sid: a.user_sid,
                    group_name: a.group_name,
                    duration,
                    allow_extension: a.allow_extension,
                    maximum_duration: None,
                    device_id: None,
                    computer_name: a.computer_name,
                    rule_id: None,
                },
            )?)
        }
        JitCommand::RunDue(a) => {
            let keyring = ams.unlock()?;
            let at = a.now.as_deref().map(parse_time).transpose()?;
            to_json(&ams.jit_run_due(&keyring, at)?)
        }
        JitCommand::Sync(a) => {
            let keyring = ams.unlock()?;
            to_json(&ams.jit_sync(&keyring, a.full)?)
        }
        JitCommand::Computer(a) => {
            let keyring = ams.unlock()?;
            to_json(&ams.jit_computer_info(&keyring, &a.name)?)
        }
    }
}
