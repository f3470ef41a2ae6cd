//! `ams device ...` (Get/Set/Remove-AmsDevice).

use ams_core::service::devices::DeviceAction;
use ams_core::{Error, Result};
use clap::{ArgGroup, Args, Subcommand};
use serde_json::{Value, json};

use super::{Ctx, to_json};

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// List devices, optionally by name or id and approval state.
    Get(DeviceGetArgs),
    /// Approve, reject, enable or disable a device, or expire its password.
    Set(DeviceSetArgs),
    /// Delete a device with its passwords, BitLocker keys and group memberships.
    Remove(DeviceRemoveArgs),
    /// Expire every current password that cannot be opened (lost certificate key) so agents upload new ones.
    ExpirePassword(DeviceExpirePasswordArgs),
}

#[derive(Debug, Args)]
pub struct DeviceGetArgs {
    /// Computer name (PC1, pc1.example.com or AUTHORITY\PC1).
    #[arg(long, conflicts_with = "id")]
    pub name: Option<String>,
    /// Device id.
    #[arg(long)]
    pub id: Option<String>,
    /// Only devices in this approval state.
    #[arg(long, value_parser = ["Pending", "Approved", "Rejected"], ignore_case = true)]
    pub approval_state: Option<String>,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("action").required(true).args(["approve", "reject", "enable", "disable", "expire_password"])))]
#[command(group(ArgGroup::new("which").required(true).args(["id", "computer_name"])))]
pub struct DeviceSetArgs {
    /// Device id.
    #[arg(long)]
    pub id: Option<String>,
    /// A computer in the directory (name, DNS name or SID), with --expire-password: writes its LAPS expiry attribute so LAPS rotates the password.
    #[arg(long, value_name = "NAME", requires = "expire_password")]
    pub computer_name: Option<String>,
    /// Approve the device's registration.
    #[arg(long)]
    pub approve: bool,
    /// Reject the device's registration (an approved device needs --force).
    #[arg(long)]
    pub reject: bool,
    /// Let the device authenticate again.
    #[arg(long)]
    pub enable: bool,
    /// Stop the device from authenticating.
    #[arg(long)]
    pub disable: bool,
    /// Expire the current password so the agent rotates it at its next check-in.
    #[arg(long)]
    pub expire_password: bool,
    /// Reject without asking for confirmation.
    #[arg(long, requires = "reject")]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct DeviceRemoveArgs {
    /// Device id.
    #[arg(long)]
    pub id: String,
    /// Delete even when the device holds passwords or BitLocker keys.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct DeviceExpirePasswordArgs {
    /// Select the devices whose current password is sealed to a certificate whose private key is lost or unreadable.
    #[arg(long, required = true)]
    pub unreadable: bool,
}

pub fn run(ctx: &Ctx, c: DeviceCommand) -> Result<Value> {
    let ams = ctx.open()?;
    match c {
        DeviceCommand::Get(a) => {
            to_json(&ams.devices(a.id.as_deref(), a.name.as_deref(), a.approval_state.as_deref())?)
        }
        DeviceCommand::Set(a) => {
            if let Some(name) = &a.computer_name {
                let keyring = ams.unlock()?;
                let written = ams.expire_directory_password(&keyring, name)?;
                return Ok(json!({ "ComputerName": name, "ExpiryAttributesWritten": written }));
            }
            let id =
                a.id.clone()
                    .ok_or_else(|| Error::new(ams_core::ErrorCode::UsageError, "Give --id or --computer-name."))?;
            let action = if a.approve {
                DeviceAction::Approve
            } else if a.reject {
                DeviceAction::Reject
            } else if a.enable {
                DeviceAction::Enable
            } else if a.disable {
                DeviceAction::Disable
            } else {
                DeviceAction::ExpirePassword
            };
            to_json(&ams.set_device(&id, action, a.force)?)
        }
        DeviceCommand::Remove(a) => {
            ams.remove_device(&a.id, a.force)?;
            Ok(json!({}))
        }
        DeviceCommand::ExpirePassword(a) => {
            debug_assert!(a.unreadable, "clap requires --unreadable");
            let keyring = ams.unlock()?;
            to_json(&ams.expire_unreadable_passwords(&keyring)?)
        }
    }
}
