//! Authorization: the vocabulary of rules (access types, targets, ACEs), parsing of SIDs,
//! durations and dates, and the pure evaluation [`engine`]. Nothing here touches the store;
//! `service::rules` and `service::access` load rows and call in.

pub mod duration;
pub mod engine;
pub mod sid;

use serde::Serialize;

use crate::error::{Error, ErrorCode, Result};

/// What a caller asks for. A request asks for exactly one type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum AccessType {
    /// The current local administrator password.
    Laps,
    /// Previous local administrator passwords.
    LapsHistory,
    /// BitLocker recovery passwords.
    BitLocker,
    /// Just-in-time membership of the computer's administrators group (AD computers only).
    Jit,
    /// Approving a RapidLAPS log-in on the device.
    RapidLapsLogin,
    /// Approving a RapidLAPS elevation on the device.
    RapidLapsElevation,
}

impl AccessType {
    /// Every access type, in display order.
    pub const ALL: [AccessType; 6] = [
        AccessType::Laps,
        AccessType::LapsHistory,
        AccessType::BitLocker,
        AccessType::Jit,
        AccessType::RapidLapsLogin,
        AccessType::RapidLapsElevation,
    ];

    /// The name stored in the database and used in parameter names (`PrincipalsAllowed<Name>`).
    pub fn as_str(self) -> &'static str {
        match self {
            AccessType::Laps => "Laps",
            AccessType::LapsHistory => "LapsHistory",
            AccessType::BitLocker => "BitLocker",
            AccessType::Jit => "Jit",
            AccessType::RapidLapsLogin => "RapidLapsLogin",
            AccessType::RapidLapsElevation => "RapidLapsElevation",
        }
    }

    /// The name used in audit records and access decisions (the upstream `AccessType` values).
    pub fn audit_name(self) -> &'static str {
        match self {
            AccessType::Laps => "LocalAdminPassword",
            AccessType::LapsHistory => "LocalAdminPasswordHistory",
            AccessType::BitLocker => "Bitlocker",
            AccessType::Jit => "Jit",
            AccessType::RapidLapsLogin => "DeviceLogin",
            AccessType::RapidLapsElevation => "DeviceElevation",
        }
    }

    /// The kebab-case name used on the command line (`--access-type laps-history`).
    pub fn cli_name(self) -> &'static str {
        match self {
            AccessType::Laps => "laps",
            AccessType::LapsHistory => "laps-history",
            AccessType::BitLocker => "bitlocker",
            AccessType::Jit => "jit",
            AccessType::RapidLapsLogin => "rapid-laps-login",
            AccessType::RapidLapsElevation => "rapid-laps-elevation",
        }
    }

    /// Parses any of the three names, ignoring case.
    pub fn parse(s: &str) -> Result<AccessType> {
        let t = s.trim();
        AccessType::ALL
            .into_iter()
            .find(|a| {
                a.as_str().eq_ignore_ascii_case(t)
                    || a.audit_name().eq_ignore_ascii_case(t)
                    || a.cli_name().eq_ignore_ascii_case(t)
            })
            .ok_or_else(|| {
                Error::new(ErrorCode::UnknownAccessType, format!("'{t}' is not an access type."))
                    .hint("Use laps, laps-history, bitlocker, jit, rapid-laps-login or rapid-laps-elevation.")
                    .with("access_type", t)
            })
    }
}

/// Allow or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AceKind {
    /// Grants the access type.
    Allow,
    /// Refuses the access type; a matching deny always wins.
    Deny,
}

impl AceKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AceKind::Allow => "Allow",
            AceKind::Deny => "Deny",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Result<AceKind> {
        match s {
            "Allow" => Ok(AceKind::Allow),
            "Deny" => Ok(AceKind::Deny),
            _ => Err(Error::internal(format!("unknown ACE kind '{s}' in the database"))),
        }
    }
}

/// What a computer rule targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum TargetType {
    /// An AD computer, by SID.
    AdComputer,
    /// An AD group of computers, by SID.
    AdGroup,
    /// An AD container or OU, by distinguished name.
    AdContainer,
    /// A Microsoft Entra device, by tenant and object id.
    AadComputer,
    /// A Microsoft Entra group of devices, by tenant and object id.
    AadGroup,
    /// Every device of a Microsoft Entra tenant.
    AadTenant,
    /// A device registered with ams, by device id.
    AmsComputer,
    /// An ams group (custom or built-in), by SID.
    AmsGroup,
}

impl TargetType {
    /// Every target type.
    pub const ALL: [TargetType; 8] = [
        TargetType::AdComputer,
        TargetType::AdGroup,
        TargetType::AdContainer,
        TargetType::AadComputer,
        TargetType::AadGroup,
        TargetType::AadTenant,
        TargetType::AmsComputer,
        TargetType::AmsGroup,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetType::AdComputer => "AdComputer",
            TargetType::AdGroup => "AdGroup",
            TargetType::AdContainer => "AdContainer",
            TargetType::AadComputer => "AadComputer",
            TargetType::AadGroup => "AadGroup",
            TargetType::AadTenant => "AadTenant",
            TargetType::AmsComputer => "AmsComputer",
            TargetType::AmsGroup => "AmsGroup",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Result<TargetType> {
        TargetType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| Error::internal(format!("unknown target type '{s}' in the database")))
    }

    /// AD targets: the only ones that may carry JIT settings and JIT principals.
    pub fn is_active_directory(self) -> bool {
        matches!(self, TargetType::AdComputer | TargetType::AdGroup | TargetType::AdContainer)
    }
}

/// Whether a requester must give a reason (upstream `AuditReasonFieldState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum ReasonRequirement {
    /// Not asked.
    Hidden,
    /// May give one.
    #[default]
    Optional,
    /// Must give one.
    Required,
}

impl ReasonRequirement {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonRequirement::Hidden => "Hidden",
            ReasonRequirement::Optional => "Optional",
            ReasonRequirement::Required => "Required",
        }
    }

    /// Parses a name (ignoring case) or the upstream number (0, 1, 2).
    pub fn parse(s: &str) -> Result<ReasonRequirement> {
        match s.trim().to_ascii_lowercase().as_str() {
            "hidden" | "0" => Ok(ReasonRequirement::Hidden),
            "optional" | "1" => Ok(ReasonRequirement::Optional),
            "required" | "2" => Ok(ReasonRequirement::Required),
            other => {
                Err(Error::invalid(format!("'{other}' is not a reason requirement (Hidden, Optional, Required).")))
            }
        }
    }
}
