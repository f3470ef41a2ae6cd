//! `ams device-registration-key ...` and `ams device-registration-key-group ...`.

use ams_core::Result;
use ams_core::service::regkeys::RegKeyChanges;
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::{Ctx, to_json};

#[derive(Debug, Subcommand)]
pub enum RegKeyCommand {
    /// Create a registration key.
    New(RegKeyNewArgs),
    /// List registration keys, or find one by name, id or key value.
    Get(RegKeyGetArgs),
    /// Change a registration key.
    Set(RegKeySetArgs),
    /// Delete a registration key (an enabled key needs --force).
    Remove(RegKeyRemoveArgs),
}

#[derive(Debug, Args)]
pub struct RegKeyNewArgs {
    /// Name of the key.
    #[arg(long)]
    pub name: String,
    /// false creates the key disabled (default: true, enabled).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", value_parser = clap::value_parser!(bool))]
    pub enabled: Option<bool>,
    /// How many registrations the key allows (0 = unlimited).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(i64).range(0..=2147483647))]
    pub activation_limit: i64,
    /// Devices registering with the key wait for approval (bare flag: true).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", value_parser = clap::value_parser!(bool))]
    pub approval_required: Option<bool>,
}

#[derive(Debug, Args)]
pub struct RegKeyGetArgs {
    /// Key name.
    #[arg(long, conflicts_with_all = ["id", "key"])]
    pub name: Option<String>,
    /// Key id.
    #[arg(long, conflicts_with = "key")]
    pub id: Option<String>,
    /// The key value itself.
    #[arg(long)]
    pub key: Option<String>,
}

#[derive(Debug, Args)]
pub struct RegKeySetArgs {
    /// Key id.
    #[arg(long)]
    pub id: String,
    /// New name.
    #[arg(long)]
    pub name: Option<String>,
    /// true enables the key, false disables it (bare flag: true).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", value_parser = clap::value_parser!(bool))]
    pub enabled: Option<bool>,
    /// New activation limit (0 = unlimited).
    #[arg(long, value_parser = clap::value_parser!(i64).range(0..=2147483647))]
    pub activation_limit: Option<i64>,
    /// true: new devices wait for approval; false: they are approved at once (bare flag: true).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", value_parser = clap::value_parser!(bool))]
    pub approval_required: Option<bool>,
    /// Set the count of registrations back to 0.
    #[arg(long)]
    pub reset_activation_count: bool,
}

#[derive(Debug, Args)]
pub struct RegKeyRemoveArgs {
    /// Key id.
    #[arg(long)]
    pub id: String,
    /// Delete even when the key is enabled.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum RegKeyGroupCommand {
    /// Put devices that register with the key into these groups.
    Add(RegKeyGroupArgs),
    /// Stop putting devices that register with the key into these groups.
    Remove(RegKeyGroupArgs),
}

#[derive(Debug, Args)]
pub struct RegKeyGroupArgs {
    /// Key id.
    #[arg(long)]
    pub id: String,
    /// Group ids (repeat the flag for several).
    #[arg(long, required = true, num_args = 1)]
    pub groups: Vec<String>,
}

pub fn run(ctx: &Ctx, c: RegKeyCommand) -> Result<Value> {
    let ams = ctx.open()?;
    match c {
        RegKeyCommand::New(a) => {
            let keyring = ams.unlock()?;
            to_json(&ams.reg_key_new(
                &keyring,
                &a.name,
                a.enabled.unwrap_or(true),
                a.activation_limit,
                a.approval_required.unwrap_or(false),
            )?)
        }
        RegKeyCommand::Get(a) => {
            let keyring = ams.unlock()?;
            to_json(&ams.reg_keys(&keyring, a.id.as_deref(), a.name.as_deref(), a.key.as_deref())?)
        }
        RegKeyCommand::Set(a) => {
            let keyring = ams.unlock()?;
            let ch = RegKeyChanges {
                name: a.name,
                enabled: a.enabled,
                activation_limit: a.activation_limit,
                approval_required: a.approval_required,
                reset_activation_count: a.reset_activation_count,
            };
            to_json(&ams.reg_key_set(&keyring, &a.id, &ch)?)
        }
        RegKeyCommand::Remove(a) => {
            ams.reg_key_remove(&a.id, a.force)?;
            Ok(json!({}))
        }
    }
}

pub fn run_group(ctx: &Ctx, c: RegKeyGroupCommand) -> Result<Value> {
    let ams = ctx.open()?;
    match c {
        RegKeyGroupCommand::Add(a) => ams.reg_key_groups(&a.id, &a.groups, true)?,
        RegKeyGroupCommand::Remove(a) => ams.reg_key_groups(&a.id, &a.groups, false)?,
    }
    Ok(json!({}))
}
