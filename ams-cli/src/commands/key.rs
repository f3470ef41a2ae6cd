//! `ams key ...`: master key status, recovery, rotation and the recovery password.

use ams_core::Result;
use ams_core::crypto::seal::KdfParams;
use ams_core::service::keys::generate_recovery_password;
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::{Ctx, to_json};
use crate::secret::read_secret;

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Show the protectors, whether the host protector works, and the master key's id and age.
    Status,
    /// Leave recovery mode: read the recovery password (stdin or prompt) and write a new host key file.
    Recover,
    /// Make a new master key and re-seal every secret (reads the recovery password from stdin or a prompt).
    Rotate,
    /// The recovery password.
    #[command(subcommand)]
    RecoveryPassword(RecoveryPasswordCommand),
    /// Remove the files restores, recoveries and rotations kept (ams.db.replaced-*, host.key.replaced-*).
    PruneReplaced(PruneReplacedArgs),
    /// The host protectors: one per host sharing the database (`key status` lists them).
    #[command(subcommand)]
    HostProtector(HostProtectorCommand),
}

#[derive(Debug, Subcommand)]
pub enum HostProtectorCommand {
    /// Revoke one host's protector: that host is in recovery mode until it runs `key recover` (refuses this host's own and the last one).
    Remove(RemoveHostProtectorArgs),
}

#[derive(Debug, Args)]
pub struct RemoveHostProtectorArgs {
    /// The host key id of the protector (`key status`: HostProtectors[].HostKeyId).
    #[arg(long)]
    pub host_key_id: String,
}

/// The hosts a rotation left awaiting `key recover`, for the rotation's output.
fn hosts_to_recover(ams: &ams_core::Ams, out: &mut Value) -> Result<()> {
    let hosts: Vec<Value> = ams
        .key_status()?
        .host_protectors
        .into_iter()
        .filter(|h| h.awaiting_recovery)
        .map(|h| json!({ "HostKeyId": h.host_key_id, "HostName": h.host_name }))
        .collect();
    if !hosts.is_empty() {
        out["HostsNotice"] = json!(
            "The other hosts sharing this database cannot unlock the new master key: run `ams key recover` with the recovery password on each host listed in HostsToRecover."
        );
    }
    out["HostsToRecover"] = Value::Array(hosts);
    Ok(())
}

#[derive(Debug, Args)]
pub struct PruneReplacedArgs {
    /// Remove only the files last changed more than this many days ago.
    #[arg(long, value_name = "DAYS")]
    pub older_than_days: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum RecoveryPasswordCommand {
    /// Replace the recovery password (new one from stdin or a prompt, or --generate).
    Set(SetRecoveryPasswordArgs),
}

#[derive(Debug, Args)]
pub struct SetRecoveryPasswordArgs {
    /// Generate a strong recovery password and print it once.
    #[arg(long)]
    pub generate: bool,
    /// Also rotate the master key and the host key under the new password (recommended when the old password may be known to someone).
    #[arg(long)]
    pub rotate: bool,
}

pub fn run(ctx: &Ctx, c: KeyCommand) -> Result<Value> {
    let ams = ctx.open()?;
    match c {
        KeyCommand::Status => to_json(&ams.key_status()?),
        KeyCommand::Recover => {
            let pw = read_secret("recovery password", false)?;
            let status = ams.recover(&pw)?;
            to_json(&status)
        }
        KeyCommand::Rotate => {
            let keyring = ams.unlock()?;
            let old = keyring.master_key_id();
            let pw = read_secret("recovery password", false)?;
            let new = ams.rotate_master_key(keyring, &pw, KdfParams::production()?)?;
            let mut out =
                json!({ "PreviousMasterKeyId": old.to_string(), "MasterKeyId": new.master_key_id().to_string() });
            hosts_to_recover(&ams, &mut out)?;
            Ok(out)
        }
        KeyCommand::RecoveryPassword(RecoveryPasswordCommand::Set(a)) => {
            let keyring = ams.unlock()?;
            let generated = if a.generate { Some(generate_recovery_password()?) } else { None };
            let pw = match &generated {
                Some(g) => zeroize::Zeroizing::new(g.as_bytes().to_vec()),
                None => read_secret("new recovery password", true)?,
            };
            let pw: &[u8] = &pw;
            let kdf = KdfParams::production()?;
            ams.set_recovery_password(&keyring, pw, kdf.clone())?;
            let mut out = json!({ "RecoveryPasswordChanged": true });
            if a.rotate {
                // The old recovery password still opens old backups and any copy of the
                // database taken before: a rotation makes the master key in force new too.
                let old = keyring.master_key_id();
                let new = ams.rotate_master_key(keyring, pw, kdf)?;
                out["PreviousMasterKeyId"] = json!(old.to_string());
                out["MasterKeyId"] = json!(new.master_key_id().to_string());
                hosts_to_recover(&ams, &mut out)?;
            } else {
                out["RotationAdvised"] = json!(
                    "The previous recovery password still opens backups and database copies taken before this change. Run `ams key rotate` (or pass --rotate) if it may be known to someone."
                );
            }
            if let Some(g) = &generated {
                out["RecoveryPassword"] = json!(g.as_str());
                out["RecoveryPasswordNotice"] = json!(
                    "This recovery password is shown only this once and replaces the previous one. Store it offline."
                );
            }
            Ok(out)
        }
        KeyCommand::PruneReplaced(a) => to_json(&ams.prune_replaced(a.older_than_days)?),
        KeyCommand::HostProtector(HostProtectorCommand::Remove(a)) => {
            to_json(&ams.remove_host_protector(&a.host_key_id)?)
        }
    }
}
