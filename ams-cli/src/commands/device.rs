//! `ams device ...` (Get/Set/Remove-AmsDevice).

use std::io::{IsTerminal, Write};

use ams_core::service::devices::{DeviceAction, DeviceInfo};
use ams_core::{Ams, Error, Result};
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

/// Whether the command lists every device (no id or name), which streams in JSON (ADR 0014).
pub fn lists_all(c: &DeviceCommand) -> bool {
    matches!(c, DeviceCommand::Get(a) if a.id.is_none() && a.name.is_none())
}

/// Writes every device to stdout as one JSON array, page by page as the store reads them (ADR
/// 0014): bounded memory, and the first devices are out before the last are read. On a terminal
/// the array is pretty-printed exactly as any other result; otherwise it is compact, one device per
/// line. A closed stdout (`| head`) ends the listing without an error.
fn stream_all(ams: &Ams, approval_state: Option<&str>) -> Result<Value> {
    let stdout = std::io::stdout();
    let pretty = stdout.is_terminal();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut io_error: Option<std::io::Error> = None;
    let mut first = true;
    let mut one = |d: &DeviceInfo| -> Result<()> {
        let put = |out: &mut std::io::BufWriter<_>| -> std::io::Result<()> {
            out.write_all(if first { b"[\n" } else { b",\n" })?;
            if pretty {
                let text = serde_json::to_string_pretty(d).map_err(json_io)?;
                for (n, line) in text.lines().enumerate() {
                    out.write_all(if n == 0 { b"  " } else { b"\n  " })?;
                    out.write_all(line.as_bytes())?;
                }
                Ok(())
            } else {
                serde_json::to_writer(&mut *out, d).map_err(json_io)
            }
        };
        put(&mut out).map_err(|e| {
            io_error = Some(e);
            ams_core::Error::internal("The listing could not be written.")
        })?;
        first = false;
        Ok(())
    };
    let listed = ams.for_each_device(approval_state, &mut one);
    let end: &[u8] = if first { b"[]\n" } else { b"\n]\n" };
    let written = match (&listed, io_error) {
        (_, Some(e)) => Err(e),
        (Ok(()), None) => out.write_all(end).and_then(|()| out.flush()),
        (Err(_), None) => out.flush(),
    };
    match written {
        Ok(()) => listed.map(|()| Value::Null),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Value::Null),
        Err(e) => Err(ams_core::Error::from(e)),
    }
}

/// A serde_json write error as the io error under it, so a closed pipe (`ams device get | head`)
/// still reads as `BrokenPipe` and ends the listing quietly.
fn json_io(e: serde_json::Error) -> std::io::Error {
    match e.io_error_kind() {
        Some(kind) => std::io::Error::from(kind),
        None => std::io::Error::other(e),
    }
}

pub fn run(ctx: &Ctx, c: DeviceCommand) -> Result<Value> {
    let ams = ctx.open()?;
    match c {
        DeviceCommand::Get(a) if ctx.streams && a.id.is_none() && a.name.is_none() => {
            stream_all(&ams, a.approval_state.as_deref())
        }
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

#[cfg(test)]
mod tests {
    /// A writer whose reader has gone, as stdout is under `ams device get | head`.
    struct ClosedPipe;

    impl std::io::Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_under_serde_json_still_reads_as_a_broken_pipe() {
        let e = serde_json::to_writer(ClosedPipe, &serde_json::json!({"Name": "PC1"})).unwrap_err();
        assert_eq!(super::json_io(e).kind(), std::io::ErrorKind::BrokenPipe);
        let not_io = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        assert_eq!(super::json_io(not_io).kind(), std::io::ErrorKind::Other);
    }
}
