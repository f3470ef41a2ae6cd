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
            Ok(json!({ "PreviousMasterKeyId": old.to_string(), "MasterKeyId": new.master_key_id().to_string() }))
        }
        KeyCommand::RecoveryPassword(RecoveryPasswordCommand::Set(a)) => {
            let keyring = ams.unlock()?;
            if a.generate {
                let pw = generate_recovery_password()?;
                ams.set_recovery_password(&keyring, pw.as_bytes(), KdfParams::production()?)?;
                Ok(json!({
                    "RecoveryPassword": pw.as_str(),
                    "RecoveryPasswordNotice": "This recovery password is shown only this once and replaces the previous one. Store it offline.",
                }))
            } else {
                let pw = read_secret("new recovery password", true)?;
                ams.set_recovery_password(&keyring, &pw, KdfParams::production()?)?;
                Ok(json!({ "RecoveryPasswordChanged": true }))
            }
        }
    }
}
