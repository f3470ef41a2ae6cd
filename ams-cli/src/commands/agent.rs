//! `ams agent ...`: the agent protocol operations, done exactly as an agent would.

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
    CheckIn(DeviceIdArgs),
    /// Seal a password to the active certificate and upload it (password on stdin, or --generate).
    SubmitPassword(SubmitPasswordArgs),
    /// Seal a BitLocker recovery password to the active certificate and upload it (on stdin).
    SubmitBitlockerKey(SubmitBitLockerArgs),
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
}

#[derive(Debug, Args)]
pub struct DeviceIdArgs {
    /// Device id.
    #[arg(long)]
    pub device_id: String,
}

#[derive(Debug, Args)]
pub struct SubmitPasswordArgs {
    /// Device id.
    #[arg(long)]
    pub device_id: String,
    /// Account the password belongs to.
    #[arg(long, default_value = "Administrator")]
    pub account: String,
    /// Generate the password following the policy flags instead of reading it from stdin.
    #[arg(long)]
    pub generate: bool,
    /// Generated password length.
    #[arg(long, default_value_t = 16, requires = "generate")]
    pub length: usize,
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
}

#[derive(Debug, Args)]
pub struct SubmitBitLockerArgs {
    /// Device id.
    #[arg(long)]
    pub device_id: String,
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
}

fn policy(a: &SubmitPasswordArgs) -> Result<PasswordPolicy> {
    if let (Some(count), Some(path)) = (a.passphrase_words, &a.word_list) {
        let text = std::fs::read_to_string(path).map_err(|e| Error::from(e).with("path", path.display()))?;
        return Ok(PasswordPolicy::Passphrase {
            words: parse_word_list(&text)?,
            count,
            separator: "-".into(),
            capitalize: true,
        });
    }
    Ok(PasswordPolicy::Characters {
        length: a.length,
        lower: !a.no_lower,
        upper: !a.no_upper,
        digits: !a.no_digits,
        symbols: a.symbols,
    })
}

/// 48 digits in eight groups of six, each group divisible by 11 (BitLocker's own check).
fn check_recovery_password(pw: &[u8]) -> Result<()> {
    let s = std::str::from_utf8(pw).unwrap_or("");
    let groups: Vec<&str> = s.split('-').collect();
    let ok = groups.len() == 8
        && groups.iter().all(|g| {
            g.len() == 6
                && g.bytes().all(|b| b.is_ascii_digit())
                && g.parse::<u32>().is_ok_and(|n| n % 11 == 0 && n < 720_896)
        });
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::InvalidRequest,
            "The BitLocker recovery password must be 48 digits in eight groups of six separated by '-'.",
        ))
    }
}

pub fn run(ctx: &Ctx, c: AgentCommand) -> Result<Value> {
    let ams = ctx.open()?;
    match c {
        AgentCommand::Register(a) => {
            let key = match &a.key_file {
                Some(p) => {
                    zeroize::Zeroizing::new(std::fs::read(p).map_err(|e| Error::from(e).with("path", p.display()))?)
                }
                None => read_secret("registration key", false)?,
            };
            let key = String::from_utf8(key.to_vec())
                .map_err(|_| Error::new(ErrorCode::RegKeyInvalid, "The registration key is not valid."))?;
            let os = match a.os {
                Os::Windows => "Windows",
                Os::Linux => "Linux",
                Os::Macos => "MacOS",
            };
            let reg = Registration {
                name: a.name,
                os: os.into(),
                dns_name: a.dns_name,
                os_version: a.os_version,
                agent_version: a.agent_version,
            };
            to_json(&ams.agent_register(key.trim(), &reg)?)
        }
        AgentCommand::CheckIn(a) => to_json(&ams.agent_check_in(&a.device_id)?),
        AgentCommand::SubmitPassword(a) => {
            let keyring = ams.unlock()?;
            let secret = if a.generate {
                let pw = policy(&a)?.generate()?;
                zeroize::Zeroizing::new(pw.as_bytes().to_vec())
            } else {
                read_secret("password", false)?
            };
            let upload = Upload::Password { account_name: a.account.clone() };
            to_json(&ams.agent_upload(&keyring, &a.device_id, &upload, &secret, a.oaep.into())?)
        }
        AgentCommand::SubmitBitlockerKey(a) => {
            let keyring = ams.unlock()?;
            let secret = read_secret("BitLocker recovery password", false)?;
            check_recovery_password(&secret)?;
            let upload = Upload::BitLocker { key_id: a.key_id, volume_id: a.volume_id, volume_type: a.volume_type };
            to_json(&ams.agent_upload(&keyring, &a.device_id, &upload, &secret, a.oaep.into())?)
        }
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
