//! The admin reads: `ams local-admin-password get`, `ams local-admin-password-history get`,
//! `ams fve-recovery-key get`. These are the only verbs that print secrets. With directory
//! secret providers enabled (`ams jit directory set --secret-providers`), they read the
//! directory too (ams-core/src/service/directory_secrets.rs).

use ams_core::service::devices::DeviceSelector;
use ams_core::{Error, Result};
use clap::{ArgGroup, Args, Subcommand};
use serde_json::Value;

use super::{Ctx, to_json};

/// How an admin read names a device: a computer name, or the authority triple.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("selector").required(true).args(["computer_name", "authority_device_id"])))]
pub struct DeviceSelectorArgs {
    /// Computer name: PC1, pc1.example.com or AUTHORITY\PC1.
    #[arg(long)]
    pub computer_name: Option<String>,
    /// Device id within its authority (with --authority-id and --authority-type).
    #[arg(long, requires_all = ["authority_id", "authority_type"])]
    pub authority_device_id: Option<String>,
    /// Id of the authority that manages the device.
    #[arg(long, requires = "authority_device_id")]
    pub authority_id: Option<String>,
    /// Kind of authority that manages the device.
    #[arg(long, requires = "authority_device_id", value_parser = ["None", "ActiveDirectory", "AzureActiveDirectory", "Ams"], ignore_case = true)]
    pub authority_type: Option<String>,
}

impl DeviceSelectorArgs {
    pub fn selector(&self) -> Result<DeviceSelector> {
        match (&self.computer_name, &self.authority_device_id, &self.authority_id, &self.authority_type) {
            (Some(n), _, _, _) => Ok(DeviceSelector::ComputerName(n.clone())),
            (None, Some(d), Some(i), Some(t)) => {
                let t = ["None", "ActiveDirectory", "AzureActiveDirectory", "Ams"]
                    .into_iter()
                    .find(|x| x.eq_ignore_ascii_case(t))
                    .unwrap_or("None");
                Ok(DeviceSelector::Authority {
                    authority_type: t.into(),
                    authority_id: i.clone(),
                    authority_device_id: d.clone(),
                })
            }
            _ => Err(Error::new(
                ams_core::ErrorCode::UsageError,
                "Name the device with --computer-name or the authority triple.",
            )),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum LocalAdminPasswordCommand {
    /// Show a device's current local administrator password (audited).
    Get(PasswordGetArgs),
}

#[derive(Debug, Args)]
pub struct PasswordGetArgs {
    #[command(flatten)]
    pub device: DeviceSelectorArgs,
    /// Return the current password from every provider that holds one (the ams database, and MsLaps and WindowsLaps in the directory when enabled) instead of only the newest.
    #[arg(long)]
    pub all_providers: bool,
}

#[derive(Debug, Subcommand)]
pub enum PasswordHistoryCommand {
    /// Show a device's previous local administrator passwords, newest first (audited).
    Get(SelectorOnlyArgs),
}

#[derive(Debug, Subcommand)]
pub enum FveRecoveryKeyCommand {
    /// Show a device's BitLocker recovery keys (audited).
    Get(SelectorOnlyArgs),
}

#[derive(Debug, Args)]
pub struct SelectorOnlyArgs {
    #[command(flatten)]
    pub device: DeviceSelectorArgs,
}

pub fn run_password(ctx: &Ctx, c: LocalAdminPasswordCommand) -> Result<Value> {
    let ams = ctx.open()?;
    let keyring = ams.unlock()?;
    match c {
        LocalAdminPasswordCommand::Get(a) => {
            let mut p = ams.local_admin_passwords(&keyring, &a.device.selector()?, a.all_providers)?;
            if a.all_providers {
                to_json(&p)
            } else {
                to_json(&p.pop().ok_or_else(|| Error::internal("no password returned"))?)
            }
        }
    }
}

pub fn run_history(ctx: &Ctx, c: PasswordHistoryCommand) -> Result<Value> {
    let ams = ctx.open()?;
    let keyring = ams.unlock()?;
    match c {
        PasswordHistoryCommand::Get(a) => to_json(&ams.local_admin_password_history(&keyring, &a.device.selector()?)?),
    }
}

pub fn run_fve(ctx: &Ctx, c: FveRecoveryKeyCommand) -> Result<Value> {
    let ams = ctx.open()?;
    let keyring = ams.unlock()?;
    match c {
        FveRecoveryKeyCommand::Get(a) => to_json(&ams.fve_recovery_keys(&keyring, &a.device.selector()?)?),
    }
}
