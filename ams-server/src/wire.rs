//! The agent API's JSON wire types, version 1 (`/agent/v1/`). They are separate from the core's
//! types so the wire format changes only on purpose; the OpenAPI document is generated from them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A P-256 public key as a JSON Web Key.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Jwk {
    /// Always `EC`.
    #[schema(example = "EC")]
    pub kty: String,
    /// Always `P-256`.
    #[schema(example = "P-256")]
    pub crv: String,
    /// X coordinate (32 bytes, base64url).
    pub x: String,
    /// Y coordinate (32 bytes, base64url).
    pub y: String,
}

impl From<&Jwk> for ams_core::service::device_auth::PublicJwk {
    fn from(j: &Jwk) -> Self {
        ams_core::service::device_auth::PublicJwk {
            kty: j.kty.clone(),
            crv: j.crv.clone(),
            x: j.x.clone(),
            y: j.y.clone(),
        }
    }
}

impl From<ams_core::service::device_auth::PublicJwk> for Jwk {
    fn from(j: ams_core::service::device_auth::PublicJwk) -> Self {
        Jwk { kty: j.kty, crv: j.crv, x: j.x, y: j.y }
    }
}

/// `GET /agent/v1/info`: what an agent needs before it registers.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct InfoResponse {
    /// The `aud` every device token for this server names.
    pub audience: String,
    /// The API version, `v1`.
    pub api_version: String,
    /// Longest token lifetime accepted, in seconds.
    pub max_token_lifetime_seconds: i64,
}

/// `GET /health`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct HealthResponse {
    /// `ok`, or `recovery-mode` / `unavailable` (then the status is 503).
    pub status: String,
}

/// `POST /agent/v1/register`. The request's token is signed with the private key of `PublicKey`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RegisterRequest {
    /// The registration key value.
    pub registration_key: String,
    /// Computer name (1 to 64 letters, digits, `-`, `_`, `.`).
    pub name: String,
    /// `Windows`, `Linux` or `MacOS`.
    pub operating_system: String,
    /// DNS name.
    #[serde(default)]
    pub dns_name: Option<String>,
    /// Operating system version.
    #[serde(default)]
    pub os_version: Option<String>,
    /// Agent version.
    #[serde(default)]
    pub agent_version: Option<String>,
    /// The device's public key (ES256).
    pub public_key: Jwk,
}

/// The answer to a registration.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct RegisterResponse {
    /// The new device id: the `kid` and `sub` of the device's tokens from now on.
    pub device_id: String,
    /// `Pending` (an admin must approve it) or `Approved`.
    pub approval_state: String,
}

/// `POST /agent/v1/device-key`: a device registered before device keys trades its legacy bearer
/// credential for a public key (once). The token is signed with the new key.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct EnrolKeyRequest {
    /// Device id.
    pub device_id: String,
    /// The legacy device credential.
    pub device_credential: String,
    /// The new public key.
    pub public_key: Jwk,
}

/// The answer to a key enrolment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct EnrolKeyResponse {
    /// Device id.
    pub device_id: String,
}

/// `POST /agent/v1/check-in` (an empty JSON object).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CheckInRequest {}

/// Random-character password settings.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
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
    /// Characters never used.
    #[serde(default)]
    pub exclude_characters: String,
}

/// Passphrase settings, with the words of the list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct PassphraseSettings {
    /// Word list id.
    pub word_list_id: String,
    /// Word list name.
    pub word_list_name: String,
    /// SHA-256 (hex) of the sorted words joined by newlines.
    pub word_list_sha256: String,
    /// Words in the list.
    pub word_list_size: usize,
    /// Number of words.
    pub word_count: usize,
    /// Between words.
    pub separator: String,
    /// Capitalise each word.
    pub capitalize: bool,
    /// `None`, `Numbers`, `Symbols` or `NumbersAndSymbols`.
    pub extra: String,
    /// How many extra characters (after one more separator).
    pub extra_count: usize,
    /// Shortest passphrase (0 = any).
    pub minimum_length: usize,
    /// The words.
    #[serde(default)]
    pub words: Vec<String>,
}

/// BitLocker key backup (Windows).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct BitLockerSettings {
    /// Back up the operating system drive.
    pub backup_os_drive: bool,
    /// Back up fixed data drives.
    pub backup_fixed_drives: bool,
    /// Back up removable drives.
    pub backup_removable_drives: bool,
}

/// The policy the device follows (docs/agent-policies.md).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct Policy {
    /// `DefaultPolicy` or `CustomPolicy`.
    pub source: String,
    /// The policy id.
    #[serde(default)]
    pub policy_id: String,
    /// The policy name.
    #[serde(default)]
    pub policy_name: String,
    /// The operating system it is for.
    pub operating_system: String,
    /// Manage the local account's password at all.
    #[serde(default = "yes")]
    pub password_management_enabled: bool,
    /// The local account whose password the agent manages.
    pub account_name: String,
    /// Days a password is valid.
    pub password_maximum_age_days: i64,
    /// Retired passwords the server keeps.
    #[serde(default)]
    pub history_keep_count: i64,
    /// Days the server keeps retired passwords.
    #[serde(default)]
    pub history_keep_days: i64,
    /// Minutes between check-ins.
    pub check_in_interval_minutes: i64,
    /// `Password` or `Passphrase`.
    #[serde(default = "password_mode")]
    pub generation_mode: String,
    /// Random-character settings.
    pub password: PasswordSettings,
    /// Passphrase settings (in `Passphrase` mode).
    #[serde(default)]
    pub passphrase: Option<PassphraseSettings>,
    /// Uploads weaker than the settings are refused.
    #[serde(default)]
    pub refuse_weak_uploads: bool,
    /// BitLocker key backup (Windows).
    #[serde(default)]
    pub bit_locker: Option<BitLockerSettings>,
    /// Bits of entropy of the generation mode in force.
    #[serde(default)]
    pub entropy_bits: f64,
}

fn yes() -> bool {
    true
}

fn password_mode() -> String {
    "Password".into()
}

impl From<ams_core::service::agent_policy::AgentPolicy> for Policy {
    fn from(p: ams_core::service::agent_policy::AgentPolicy) -> Self {
        use ams_core::service::agent_policy::GenerationMode;
        Policy {
            source: p.source,
            policy_id: p.policy_id,
            policy_name: p.policy_name,
            operating_system: p.operating_system,
            password_management_enabled: p.password_management_enabled,
            account_name: p.account_name,
            password_maximum_age_days: p.password_maximum_age_days,
            history_keep_count: p.history_keep_count,
            history_keep_days: p.history_keep_days,
            check_in_interval_minutes: p.check_in_interval_minutes,
            generation_mode: match p.generation_mode {
                GenerationMode::Password => "Password".into(),
                GenerationMode::Passphrase => "Passphrase".into(),
            },
            password: PasswordSettings {
                length: p.password.length,
                lower_case: p.password.lower_case,
                upper_case: p.password.upper_case,
                digits: p.password.digits,
                symbols: p.password.symbols,
                exclude_characters: p.password.exclude_characters,
            },
            passphrase: p.passphrase.map(|pp| PassphraseSettings {
                word_list_id: pp.word_list_id,
                word_list_name: pp.word_list_name,
                word_list_sha256: pp.word_list_sha256,
                word_list_size: pp.word_list_size,
                word_count: pp.word_count,
                separator: pp.separator,
                capitalize: pp.capitalize,
                extra: format!("{:?}", pp.extra),
                extra_count: pp.extra_count,
                minimum_length: pp.minimum_length,
                words: pp.words,
            }),
            refuse_weak_uploads: p.refuse_weak_uploads,
            bit_locker: p.bit_locker.map(|b| BitLockerSettings {
                backup_os_drive: b.backup_os_drive,
                backup_fixed_drives: b.backup_fixed_drives,
                backup_removable_drives: b.backup_removable_drives,
            }),
            entropy_bits: p.entropy_bits,
        }
    }
}

impl PasswordSettings {
    /// The core's settings (for the agent's generator).
    pub fn to_core(&self) -> ams_core::service::agent_policy::PasswordSettings {
        ams_core::service::agent_policy::PasswordSettings {
            length: self.length,
            lower_case: self.lower_case,
            upper_case: self.upper_case,
            digits: self.digits,
            symbols: self.symbols,
            exclude_characters: self.exclude_characters.clone(),
        }
    }
}

impl Policy {
    /// The agent's generator for this policy: random characters, or a passphrase from the words
    /// the check-in delivered.
    pub fn generator(&self) -> ams_core::Result<ams_core::service::agent::PasswordPolicy> {
        use ams_core::service::agent_policy::Extra;
        match (&*self.generation_mode, &self.passphrase) {
            ("Passphrase", Some(p)) => {
                let extra = match p.extra.as_str() {
                    "Numbers" => Extra::Numbers,
                    "Symbols" => Extra::Symbols,
                    "NumbersAndSymbols" => Extra::NumbersAndSymbols,
                    _ => Extra::None,
                };
                if p.words.is_empty() {
                    return Err(ams_core::Error::new(
                        ams_core::ErrorCode::PolicyInvalid,
                        "The check-in answer has a passphrase policy without its words.",
                    ));
                }
                Ok(ams_core::service::agent::PasswordPolicy::Passphrase {
                    words: p.words.clone(),
                    count: p.word_count,
                    separator: p.separator.clone(),
                    capitalize: p.capitalize,
                    extra_alphabet: extra.alphabet(),
                    extra_count: p.extra_count,
                    minimum_length: p.minimum_length,
                })
            }
            _ => Ok(self.password.to_core().generator()),
        }
    }
}

/// The answer to a check-in.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct CheckInResponse {
    /// Device id.
    pub device_id: String,
    /// `Approved` (other states are refused with a coded error).
    pub approval_state: String,
    /// True when the agent must set and upload a new password now.
    pub password_change_required: bool,
    /// `NoPassword`, `Expired` or `None`.
    pub reason: String,
    /// The active encryption certificate (base64 DER); uploads are sealed to it. Absent when the
    /// instance has no active certificate.
    pub encryption_certificate: Option<String>,
    /// The device's policy.
    pub policy: Policy,
}

/// `POST /agent/v1/password`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PasswordUpload {
    /// The account the password belongs to.
    pub account_name: String,
    /// The envelope (docs: ams-core crypto/envelope.rs), base64.
    pub envelope: String,
}

/// `POST /agent/v1/bitlocker-key`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct BitLockerUpload {
    /// Recovery password id (GUID).
    pub key_id: String,
    /// Volume id.
    #[serde(default)]
    pub volume_id: Option<String>,
    /// `OperatingSystem`, `Fixed` or `Removable`.
    #[serde(default)]
    pub volume_type: Option<String>,
    /// The envelope, base64.
    pub envelope: String,
}

/// The answer to an upload: the server opened the envelope and committed it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct UploadReceipt {
    /// Id of the stored row.
    pub id: String,
    /// Device id.
    pub device_id: String,
    /// Certificate the envelope is sealed to.
    pub certificate_thumbprint: String,
    /// For passwords: when the agent must rotate it.
    pub expires: Option<String>,
}

/// The error document (the same one the `ams` command line prints).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorDocument {
    /// The error.
    pub error: ErrorBody,
}

/// An error.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// Stable code, e.g. `AMS-AGT-0001` (docs/errors.md).
    pub code: String,
    /// Kind: `invalid_input`, `permission_denied`, `unavailable`, ...
    pub kind: String,
    /// For people.
    pub message: String,
    /// What to do next.
    #[serde(default)]
    pub hint: Option<String>,
    /// Identifiers (never secrets).
    #[serde(default)]
    pub context: Option<std::collections::BTreeMap<String, String>>,
}
