//! What a device is told to do at check-in: its agent policy.
//!
//! Today every device of an operating system gets the farm-wide settings: the password maximum age
//! from the service configuration and the generator defaults below. Agent policies as objects
//! (issue 18) replace the body of [`resolve`]; every caller (the local `ams agent check-in`, the
//! agent server's check-in, `ams agent rotate`) already goes through it.

use serde::Serialize;

use crate::error::Result;
use crate::service::agent::PasswordPolicy;
use crate::service::settings::PASSWORD_MAX_AGE_DAYS;
use crate::store::{DeviceRow, ReadTx};

/// The policy a device follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AgentPolicy {
    /// Where the policy comes from: `FarmDefault` until agent policies exist.
    pub source: String,
    /// The operating system it is for.
    pub operating_system: String,
    /// The local account whose password the agent manages.
    pub account_name: String,
    /// Days a password is valid before the agent must rotate it.
    pub password_maximum_age_days: i64,
    /// Minutes between check-ins.
    pub check_in_interval_minutes: i64,
    /// How the agent makes a password.
    pub password: PasswordSettings,
}

/// Random-character password settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PasswordSettings {
    /// Length, 8 to 256.
    pub length: usize,
    /// a-z (without l, o).
    pub lower_case: bool,
    /// A-Z (without I, O).
    pub upper_case: bool,
    /// 0-9.
    pub digits: bool,
    /// Symbols.
    pub symbols: bool,
}

impl PasswordSettings {
    /// The generator for these settings.
    pub fn generator(&self) -> PasswordPolicy {
        PasswordPolicy::Characters {
            length: self.length,
            lower: self.lower_case,
            upper: self.upper_case,
            digits: self.digits,
            symbols: self.symbols,
        }
    }
}

/// Generated password length when no policy says otherwise (the `--generate` default too).
pub const DEFAULT_PASSWORD_LENGTH: usize = 16;
/// Minutes between check-ins when no policy says otherwise.
pub const DEFAULT_CHECK_IN_MINUTES: i64 = 60;

/// The policy for a device: the one place it is computed.
pub(crate) fn resolve(tx: &(impl ReadTx + ?Sized), device: &DeviceRow) -> Result<AgentPolicy> {
    let account = if device.os_type == "Windows" { "Administrator" } else { "root" };
    Ok(AgentPolicy {
        source: "FarmDefault".into(),
        operating_system: device.os_type.clone(),
        account_name: account.into(),
        password_maximum_age_days: PASSWORD_MAX_AGE_DAYS.get(tx)?,
        check_in_interval_minutes: DEFAULT_CHECK_IN_MINUTES,
        password: PasswordSettings {
            length: DEFAULT_PASSWORD_LENGTH,
            lower_case: true,
            upper_case: true,
            digits: true,
            symbols: false,
        },
    })
}
