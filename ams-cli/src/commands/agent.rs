//! `ams agent ...`: the agent protocol operations, done exactly as an agent would: against the
//! local database, or with `--server URL` as a real agent over HTTPS (docs/server.md).

use ams_core::crypto::envelope::OaepHash;
use ams_core::service::agent::{PasswordPolicy, Registration, parse_word_list};
use ams_core::service::secrets::Upload;
use ams_core::{Error, ErrorCode, Result};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::Value;

use super::{Ctx, to_json};
use crate::secret::read_secret;

#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Register a device with a registration key (read from --key-file, stdin or a prompt; never argv).
    Register(RegisterArgs),
    /// Check in: the device's state and whether it must rotate its password now.
    CheckIn(CheckInArgs),
    /// Seal a password to the active certificate and upload it (password on stdin, or --generate).
    SubmitPassword(SubmitPasswordArgs),
    /// Seal a BitLocker recovery password to the active certificate and upload it (on stdin).
    SubmitBitlockerKey(SubmitBitLockerArgs),
    /// With --server: check in and, when rotation is due, generate a password by the policy, set it
    /// with the setter command (password on its stdin), then upload it.
    Rotate(RotateArgs),
}

/// Where a real agent talks to.
#[derive(Debug, Args)]
pub struct RemoteArgs {
    /// Act as a real agent against this server (https://host[:port]) instead of the local database.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// PEM file with the server's certificate or its CA (else the system's roots).
    #[arg(long, requires = "server")]
    pub ca_file: Option<std::path::PathBuf>,
    /// Agent state directory: the device id and the device key (0600). Needed with --server.
    #[arg(long, env = "AMS_AGENT_STATE_DIR", hide_env_values = true)]
    pub state_dir: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckInArgs {
    /// Device id (local mode; with --server it comes from the state directory).
    #[arg(long, required_unless_present = "server")]
    pub device_id: Option<String>,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

#[derive(Debug, Args)]
pub struct RotateArgs {
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// Program that sets the local password: it gets the password on stdin and the account in
    /// AMS_ACCOUNT_NAME, and must exit 0.
    #[arg(long)]
    pub setter: std::path::PathBuf,
    /// An argument for the setter (repeatable; never the password).
    #[arg(long = "setter-arg", allow_hyphen_values = true)]
    pub setter_args: Vec<String>,
    /// Account to manage (default: the policy's).
    #[arg(long)]
    pub account: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Os {
    Windows,
    Linux,
    Macos,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Oaep {
    Sha256,
    Sha512,
}

impl From<Oaep> for OaepHash {
    fn from(o: Oaep) -> Self {
        match o {
            Oaep::Sha256 => OaepHash::Sha256,
            Oaep::Sha512 => OaepHash::Sha512,
        }
    }
}

#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// File holding the registration key (else stdin or a prompt).
    #[arg(long)]
    pub key_file: Option<std::path::PathBuf>,
    /// Computer name.
    #[arg(long)]
    pub name: String,
    /// Operating system.
    #[arg(long, value_enum)]
    pub os: Os,
    /// DNS name.
    #[arg(long)]
    pub dns_name: Option<String>,
    /// Operating system version.
    #[arg(long)]
    pub os_version: Option<String>,
    /// Agent version.
    #[arg(long)]
    pub agent_version: Option<String>,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

#[derive(Debug, Args)]
pub struct SubmitPasswordArgs {
    /// Device id (local mode; with --server it comes from the state directory).
    #[arg(long, required_unless_present = "server")]
    pub device_id: Option<String>,
    /// Account the password belongs to (default: the device's agent policy's).
    #[arg(long)]
    pub account: Option<String>,
    /// Generate the password by the device's agent policy (from its check-in) instead of reading
    /// it from stdin; the flags below replace the policy's settings for this one password.
    #[arg(long)]
    pub generate: bool,
    /// Generated password length (instead of the policy's settings).
    #[arg(long, requires = "generate")]
    pub length: Option<usize>,
    /// Leave out lower-case letters.
    #[arg(long, requires = "generate")]
    pub no_lower: bool,
    /// Leave out upper-case letters.
    #[arg(long, requires = "generate")]
    pub no_upper: bool,
    /// Leave out digits.
    #[arg(long, requires = "generate")]
    pub no_digits: bool,
    /// Include symbols.
    #[arg(long, requires = "generate")]
    pub symbols: bool,
    /// Generate a passphrase of this many words from --word-list instead.
    #[arg(long, requires_all = ["generate", "word_list"])]
    pub passphrase_words: Option<usize>,
    /// Word list file: one word per line, at least 2000 words.
    #[arg(long, requires = "passphrase_words")]
    pub word_list: Option<std::path::PathBuf>,
    /// RSA-OAEP hash used to wrap the key.
    #[arg(long, value_enum, default_value = "sha512")]
    pub oaep: Oaep,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

#[derive(Debug, Args)]
pub struct SubmitBitLockerArgs {
    /// Device id (local mode; with --server it comes from the state directory).
    #[arg(long, required_unless_present = "server")]
    pub device_id: Option<String>,
    /// Recovery password id (GUID).
    #[arg(long)]
    pub key_id: String,
    /// Volume id.
    #[arg(long)]
    pub volume_id: Option<String>,
    /// Volume type.
    #[arg(long, value_parser = ["OperatingSystem", "Fixed", "Removable"])]
    pub volume_type: Option<String>,
    /// RSA-OAEP hash used to wrap the key.
    #[arg(long, value_enum, default_value = "sha512")]
    pub oaep: Oaep,
    #[command(flatten)]
    pub remote: RemoteArgs,
}

/// The generator for `--generate`: the flags when any is given, else the device's policy.
pub(crate) fn policy(
    a: &SubmitPasswordArgs,
    from_policy: impl FnOnce() -> Result<PasswordPolicy>,
) -> Result<PasswordPolicy> {
    if let (Some(count), Some(path)) = (a.passphrase_words, &a.word_list) {
        let text = std::fs::read_to_string(path).map_err(|e| Error::from(e).with("path", path.display()))?;
        return Ok(PasswordPolicy::Passphrase {
            words: parse_word_list(&text)?,
            count,
            separator: "-".into(),
            capitalize: true,
            extra_alphabet: String::new(),
            extra_count: 0,
            minimum_length: 0,
        });
    }
    if a.length.is_none() && !a.no_lower && !a.no_upper && !a.no_digits && !a.symbols {
        return from_policy();
    }
    Ok(PasswordPolicy::Characters {
        length: a.length.unwrap_or(ams_core::service::agent_policy::DEFAULT_PASSWORD_LENGTH),
        lower: !a.no_lower,
        upper: !a.no_upper,
        digits: !a.no_digits,
        symbols: a.symbols,
        exclude: String::new(),
    })
}

/// 48 digits in eight groups of six, each group divisible by 11: the check lives in the core
/// ingest (every front end gets it); the agent commands also run it before sealing.
pub(crate) fn check_recovery_password(pw: &[u8]) -> Result<()> {
    ams_core::service::secrets::check_bitlocker_recovery_password(pw)
}

pub(crate) fn os_name(os: Os) -> &'static str {
    match os {
        Os::Windows => "Windows",
        Os::Linux => "Linux",
        Os::Macos => "MacOS",
    }
}

pub(crate) fn read_registration_key(a: &RegisterArgs) -> Result<zeroize::Zeroizing<String>> {
    let key = match &a.key_file {
        Some(p) => zeroize::Zeroizing::new(std::fs::read(p).map_err(|e| Error::from(e).with("path", p.display()))?),
        None => read_secret("registration key", false)?,
    };
    let key = String::from_utf8(key.to_vec())
        .map_err(|_| Error::new(ErrorCode::RegKeyInvalid, "The registration key is not valid."))?;
    Ok(zeroize::Zeroizing::new(key.trim().to_string()))
}

pub(crate) fn password_secret(
    a: &SubmitPasswordArgs,
    from_policy: impl FnOnce() -> Result<PasswordPolicy>,
) -> Result<zeroize::Zeroizing<Vec<u8>>> {
    if a.generate {
        let pw = policy(a, from_policy)?.generate()?;
        Ok(zeroize::Zeroizing::new(pw.as_bytes().to_vec()))
    } else {
        read_secret("password", false)
    }
}

fn local_device_id(id: Option<String>) -> Result<String> {
    id.ok_or_else(|| Error::new(ErrorCode::UsageError, "--device-id is needed without --server."))
}

pub fn run(ctx: &Ctx, c: AgentCommand) -> Result<Value> {
    let remote = match &c {
        AgentCommand::Register(a) => a.remote.server.is_some(),
        AgentCommand::CheckIn(a) => a.remote.server.is_some(),
        AgentCommand::SubmitPassword(a) => a.remote.server.is_some(),
        AgentCommand::SubmitBitlockerKey(a) => a.remote.server.is_some(),
        AgentCommand::Rotate(_) => true,
    };
    if remote {
        return super::agent_remote::run(c);
    }
    let ams = ctx.open()?;
    match c {
        AgentCommand::Register(a) => {
            let key = read_registration_key(&a)?;
            let reg = Registration {
                name: a.name,
                os: os_name(a.os).into(),
                dns_name: a.dns_name,
                os_version: a.os_version,
                agent_version: a.agent_version,
            };
            to_json(&ams.agent_register(&key, &reg)?)
        }
        AgentCommand::CheckIn(a) => to_json(&ams.agent_check_in(&local_device_id(a.device_id)?)?),
        AgentCommand::SubmitPassword(a) => {
            let keyring = ams.unlock()?;
            let id = local_device_id(a.device_id.clone())?;
            // Only --generate and a missing --account need the device's policy.
            let policy = if a.generate || a.account.is_none() { Some(ams.agent_check_in(&id)?.policy) } else { None };
            let secret = password_secret(&a, || match &policy {
                Some(p) => p.generator(),
                None => Err(Error::internal("no policy")),
            })?;
            let account =
                a.account.clone().or_else(|| policy.as_ref().map(|p| p.account_name.clone())).unwrap_or_default();
            let upload = Upload::Password { account_name: account };
            to_json(&ams.agent_upload(&keyring, &id, &upload, &secret, a.oaep.into())?)
        }
        AgentCommand::SubmitBitlockerKey(a) => {
            let keyring = ams.unlock()?;
            let secret = read_secret("BitLocker recovery password", false)?;
            check_recovery_password(&secret)?;
            let upload = Upload::BitLocker { key_id: a.key_id, volume_id: a.volume_id, volume_type: a.volume_type };
            let id = local_device_id(a.device_id)?;
            to_json(&ams.agent_upload(&keyring, &id, &upload, &secret, a.oaep.into())?)
        }
        AgentCommand::Rotate(_) => Err(Error::internal("rotate is remote only")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_password_shape() {
        check_recovery_password(b"000000-111111-222222-333333-444444-555555-666666-000011").unwrap();
        assert!(
            check_recovery_password(b"000000-111111-222222-333333-444444-555555-666666-777777").is_err(),
            "group above 720895"
        );
        assert!(check_recovery_password(b"000000-111111").is_err());
        assert!(check_recovery_password(b"000001-111111-222222-333333-444444-555555-666666-777777").is_err());
    }
}
