//! Row types: what the store reads and writes. Plain data; secrets appear only sealed.

/// The instance row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceRow {
    /// Instance id (UUID).
    pub id: String,
    /// Creation time.
    pub created_at: String,
}

/// Master key metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterKeyRow {
    /// Key id (UUID).
    pub id: String,
    /// `active` or `retired`.
    pub state: String,
    /// Creation time.
    pub created_at: String,
    /// When it stopped being active.
    pub retired_at: Option<String>,
}

/// A master key wrapped under one protector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectorRow {
    /// Protector id (UUID).
    pub id: String,
    /// The master key it wraps.
    pub master_key_id: String,
    /// `host` or `recovery`.
    pub kind: String,
    /// JSON parameters (KDF parameters for `recovery`; the key file's id for `host`).
    pub params: String,
    /// The wrapped master key.
    pub wrapped_key: Vec<u8>,
    /// Creation time.
    pub created_at: String,
}

/// One audit record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// Sequence number (assigned by the store, increasing).
    pub seq: i64,
    /// Record id (UUID).
    pub id: String,
    /// Time.
    pub at: String,
    /// Who acted.
    pub actor: String,
    /// What happened, e.g. `device.approve`.
    pub event: String,
    /// `success`, `failure` or `denied`.
    pub outcome: String,
    /// Kind of the object acted on.
    pub target_type: Option<String>,
    /// Id of the object acted on.
    pub target_id: Option<String>,
    /// JSON details (never secret values).
    pub details: String,
    /// Hash of the previous record.
    pub prev_hash: String,
    /// Hash of this record.
    pub hash: String,
}

/// Which audit records to read.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter<'a> {
    /// At or after this time (RFC 3339).
    pub since: Option<&'a str>,
    /// Before this time.
    pub until: Option<&'a str>,
    /// About this object id (a device id, group id, ...).
    pub target_id: Option<&'a str>,
    /// By this actor.
    pub actor: Option<&'a str>,
    /// This event, or every event under it (`device` matches `device.approve`).
    pub event: Option<&'a str>,
    /// At most this many (the newest).
    pub limit: u32,
}

/// An encryption certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertRow {
    /// SHA-1 of the DER, upper-case hex.
    pub thumbprint: String,
    /// Subject.
    pub subject: String,
    /// Start of validity.
    pub not_before: String,
    /// End of validity.
    pub not_after: String,
    /// RSA modulus size.
    pub key_bits: i64,
    /// `active`, `retained` or `revoked`.
    pub state: String,
    /// The certificate, DER.
    pub der: Vec<u8>,
    /// The PKCS#8 private key sealed under the master key, if present.
    pub sealed_private_key: Option<Vec<u8>>,
    /// `generated` or `imported`.
    pub source: String,
    /// Added at.
    pub created_at: String,
    /// Last activated at.
    pub activated_at: Option<String>,
}

/// A device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRow {
    /// Device id (UUID).
    pub id: String,
    /// Computer name.
    pub name: String,
    /// DNS name.
    pub dns_name: Option<String>,
    /// `Ams`, `ActiveDirectory` or `AzureActiveDirectory`.
    pub authority_type: String,
    /// Authority id.
    pub authority_id: String,
    /// Device id within the authority.
    pub authority_device_id: String,
    /// SID.
    pub sid: String,
    /// `Unknown`, `Windows`, `Linux` or `MacOS`.
    pub os_type: String,
    /// OS family.
    pub os_family: Option<String>,
    /// OS version.
    pub os_version: Option<String>,
    /// Agent version.
    pub agent_version: Option<String>,
    /// `Pending`, `Approved` or `Rejected`.
    pub approval_state: String,
    /// Disabled.
    pub disabled: bool,
    /// Registration key used.
    pub registration_key_id: Option<String>,
    /// SHA-256 of the device credential.
    pub credential_hash: Option<String>,
    /// Created at.
    pub created_at: String,
    /// Last change or check-in.
    pub modified_at: String,
}

/// A custom device group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    /// Group id (UUID).
    pub id: String,
    /// Name (unique, case-insensitive).
    pub name: String,
    /// SID (`S-1-4096-1-…`).
    pub sid: String,
    /// Description.
    pub description: String,
    /// Created at.
    pub created_at: String,
    /// Modified at.
    pub modified_at: String,
}

/// A device registration key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegKeyRow {
    /// Id (UUID).
    pub id: String,
    /// Name (unique, case-insensitive).
    pub name: String,
    /// SHA-256 of the key value, hex.
    pub key_hash: String,
    /// The key value sealed under the master key.
    pub sealed_key: Vec<u8>,
    /// 0 = unlimited.
    pub activation_limit: i64,
    /// Registrations so far.
    pub activation_count: i64,
    /// Enabled.
    pub enabled: bool,
    /// New devices start pending.
    pub approval_required: bool,
    /// Created at.
    pub created_at: String,
    /// Modified at.
    pub modified_at: String,
}

/// A stored local administrator password (current when `retired_at` is `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordRow {
    /// Id (UUID).
    pub id: String,
    /// Device id.
    pub device_id: String,
    /// Account name.
    pub account_name: String,
    /// The agent envelope.
    pub blob: Vec<u8>,
    /// Certificate it is sealed to.
    pub cert_thumbprint: String,
    /// Uploaded at.
    pub created_at: String,
    /// Expires at.
    pub expires_at: Option<String>,
    /// Replaced at.
    pub retired_at: Option<String>,
    /// The server-side MAC over where the row belongs (see `service/derived.rs`).
    pub row_mac: Option<String>,
}

/// A stored BitLocker recovery key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitLockerRow {
    /// Id (UUID).
    pub id: String,
    /// Device id.
    pub device_id: String,
    /// Recovery key id (GUID).
    pub key_id: String,
    /// Volume id.
    pub volume_id: Option<String>,
    /// Volume type.
    pub volume_type: Option<String>,
    /// The agent envelope.
    pub blob: Vec<u8>,
    /// Certificate it is sealed to.
    pub cert_thumbprint: String,
    /// Uploaded at.
    pub created_at: String,
    /// The server-side MAC over where the row belongs (see `service/derived.rs`).
    pub row_mac: Option<String>,
}

/// How many secrets are sealed to one certificate thumbprint (which may not be in the database).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedCountRow {
    /// The thumbprint the secrets name.
    pub cert_thumbprint: String,
    /// Current passwords.
    pub current_passwords: i64,
    /// Retired (history) passwords.
    pub historical_passwords: i64,
    /// BitLocker recovery keys.
    pub bitlocker_keys: i64,
}

/// A stored password or BitLocker key, without its blob (for recovery reports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedSecretRef {
    /// Row id.
    pub id: String,
    /// Device id.
    pub device_id: String,
    /// Computer name.
    pub device_name: String,
    /// Account name (passwords) or recovery key id (BitLocker).
    pub label: String,
    /// Certificate it is sealed to.
    pub cert_thumbprint: String,
    /// Uploaded at.
    pub created_at: String,
    /// Expires at (current passwords).
    pub expires_at: Option<String>,
    /// Replaced at (password history); `None` for current passwords and BitLocker keys.
    pub retired_at: Option<String>,
}

/// A computer authorization rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComputerRuleRow {
    /// Rule id (UUID).
    pub id: String,
    /// `AdComputer`, `AdGroup`, `AdContainer`, `AadComputer`, `AadGroup`, `AadTenant`, `AmsComputer` or `AmsGroup`.
    pub target_type: String,
    /// SID, DN, object id or device id.
    pub target_id: String,
    /// Entra tenant id for `Aad*` targets.
    pub target_authority_id: Option<String>,
    /// Display name captured when the rule was written.
    pub target_name: Option<String>,
    /// `SecurityDescriptor` or `PowershellScript`.
    pub authorization_mode: String,
    /// Script text (script rules).
    pub script: Option<String>,
    /// Where the script was imported from.
    pub script_path: Option<String>,
    /// LAPS default access duration, seconds.
    pub laps_default_seconds: Option<i64>,
    /// LAPS maximum access duration, seconds.
    pub laps_max_seconds: Option<i64>,
    /// LAPS access may be extended.
    pub laps_allow_extension: bool,
    /// JIT group name or template.
    pub jit_group_name: Option<String>,
    /// JIT default duration, seconds.
    pub jit_default_seconds: Option<i64>,
    /// JIT maximum duration, seconds.
    pub jit_max_seconds: Option<i64>,
    /// JIT access may be extended.
    pub jit_allow_extension: bool,
    /// DC targeting: do not ask the computer for its DC.
    pub do_not_use_remote_dc_locator: bool,
    /// DC targeting: AD site.
    pub site_name: Option<String>,
    /// DC targeting: a specific DC.
    pub domain_controller_name: Option<String>,
    /// Description.
    pub description: String,
    /// Notes.
    pub notes: String,
    /// Rule expiry.
    pub rule_expiry: Option<String>,
    /// Disabled.
    pub disabled: bool,
    /// `Hidden`, `Optional` or `Required`.
    pub reason_requirement: String,
    /// JSON array of channel ids or names told on success.
    pub notify_success: String,
    /// JSON array of channel ids or names told on failure.
    pub notify_failure: String,
    /// Created at.
    pub created_at: String,
    /// Created by.
    pub created_by: String,
    /// Modified at.
    pub modified_at: String,
    /// Modified by.
    pub modified_by: String,
}

/// A role authorization rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRuleRow {
    /// Rule id (UUID).
    pub id: String,
    /// Role name (unique, case-insensitive).
    pub name: String,
    /// Description.
    pub description: String,
    /// The AD group users join.
    pub group_name: String,
    /// Default duration, seconds.
    pub default_seconds: Option<i64>,
    /// Maximum duration, seconds.
    pub max_seconds: i64,
    /// Access may be extended.
    pub allow_extension: bool,
    /// DC targeting: AD site.
    pub site_name: Option<String>,
    /// DC targeting: a specific DC.
    pub domain_controller_name: Option<String>,
    /// Notes.
    pub notes: String,
    /// Rule expiry.
    pub rule_expiry: Option<String>,
    /// Disabled.
    pub disabled: bool,
    /// `Hidden`, `Optional` or `Required`.
    pub reason_requirement: String,
    /// JSON array of channels told on success.
    pub notify_success: String,
    /// JSON array of channels told on failure.
    pub notify_failure: String,
    /// Created at.
    pub created_at: String,
    /// Created by.
    pub created_by: String,
    /// Modified at.
    pub modified_at: String,
    /// Modified by.
    pub modified_by: String,
}

/// One principal (ACE) of a computer or role rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulePrincipalRow {
    /// Rule id.
    pub rule_id: String,
    /// `Laps`, `LapsHistory`, `BitLocker`, `Jit`, `RapidLapsLogin` or `RapidLapsElevation`.
    pub access_type: String,
    /// `Allow` or `Deny`.
    pub ace: String,
    /// Canonical SID.
    pub sid: String,
    /// Name for display.
    pub display_name: Option<String>,
    /// Added at.
    pub added_at: String,
}

/// Which rule kind a principal row belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalTable {
    /// Principals of computer authorization rules.
    Computer,
    /// Principals of role authorization rules.
    Role,
}

/// The directory the JIT engine works in (one row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JitDirectoryRow {
    /// LDAP URL (`ldap://host:port`).
    pub url: String,
    /// DN the service binds as.
    pub bind_dn: String,
    /// Where users, computers and groups are searched.
    pub base_dn: String,
    /// Attribute holding an object's SID.
    pub sid_attribute: String,
    /// `binary` (AD's objectSid) or `string` (S-1-5-... text).
    pub sid_format: String,
    /// Attribute listing a group's member DNs.
    pub member_attribute: String,
    /// Attribute holding the account name of groups and computers.
    pub name_attribute: String,
    /// Object class of groups.
    pub group_object_class: String,
    /// Object class of computers.
    pub computer_object_class: String,
    /// Attribute receiving the AD group type on creation (empty: none).
    pub group_type_attribute: String,
    /// Member put into newly created groups (for schemas where a group needs one).
    pub initial_member_dn: Option<String>,
    /// The bind password sealed under the master key.
    pub sealed_bind_password: Option<Vec<u8>>,
    /// Last change.
    pub updated_at: String,
}

/// A JIT group creation rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JitGroupRuleRow {
    /// Rule id (UUID).
    pub id: String,
    /// OU searched for computers.
    pub computer_ou: String,
    /// Search below ComputerOU too.
    pub subtree: bool,
    /// OU the groups are created in.
    pub group_ou: String,
    /// Name template with `%computerName%`.
    pub group_name_template: String,
    /// Description of created groups.
    pub group_description: Option<String>,
    /// `DomainLocal`, `Global` or `Universal`.
    pub group_type: String,
    /// Delete groups in GroupOU that match no computer (at a full sync).
    pub enable_jit_group_deletion: bool,
    /// Give created groups a Unix GID.
    pub create_unix_gid: bool,
    /// Attribute for the GID.
    pub unix_gid_attribute_name: String,
    /// GID offset.
    pub unix_gid_start_range: i64,
    /// When a full sync was asked for (cleared by the sync).
    pub full_sync_requested_at: Option<String>,
    /// Last sync of this rule.
    pub last_sync_at: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

/// A JIT scheduler job: one membership removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JitJobRow {
    /// Job id (UUID).
    pub id: String,
    /// Always `ActiveDirectoryGroupRemoval`.
    pub job_type: String,
    /// The user's SID.
    pub user_sid: String,
    /// The user's DN in the directory.
    pub member_dn: String,
    /// The group's DN.
    pub group_dn: String,
    /// The group's name.
    pub group_name: String,
    /// The device the access was for.
    pub device_id: Option<String>,
    /// Its name.
    pub computer_name: Option<String>,
    /// The authorization rule that granted it.
    pub rule_id: Option<String>,
    /// When the membership is to be removed.
    pub due_at: String,
    /// Removal attempts so far.
    pub attempts: i64,
    /// Last attempt.
    pub last_attempt_at: Option<String>,
    /// Last error.
    pub last_error: Option<String>,
    /// `pending`, `failed` or `done`.
    pub state: String,
    /// Creation time.
    pub created_at: String,
    /// When it was done or abandoned.
    pub completed_at: Option<String>,
}

/// A column that holds values sealed under the master key. Its table and column names are part
/// of each sealed value's associated data (they bind a value to its place), so they are the
/// same on every engine: each engine's schema uses exactly these names, and a test compares the
/// engines' schemas. Master-key rotation re-seals every column listed in [`SealedColumn::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedColumn {
    /// `certificates.sealed_private_key`, keyed by `thumbprint`.
    CertPrivateKey,
    /// `registration_keys.sealed_key`, keyed by `id`.
    RegistrationKey,
    /// `jit_directory.sealed_bind_password`, keyed by `id`.
    JitBindPassword,
    /// `instance_secrets.sealed_secret`, keyed by `purpose` (the derivation root).
    InstanceSecret,
}

/// A lookup hash column (registration keys and device credentials are found by a keyed hash of
/// their value; see `service/derived.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupKind {
    /// `registration_keys.key_hash`.
    RegistrationKey,
    /// `devices.credential_hash`.
    DeviceCredential,
}

impl SealedColumn {
    /// Every sealed column. A test checks that every `sealed_*` column of the schema is here.
    pub const ALL: [SealedColumn; 4] = [
        SealedColumn::CertPrivateKey,
        SealedColumn::RegistrationKey,
        SealedColumn::JitBindPassword,
        SealedColumn::InstanceSecret,
    ];

    /// The table.
    pub const fn table(self) -> &'static str {
        match self {
            SealedColumn::CertPrivateKey => "certificates",
            SealedColumn::RegistrationKey => "registration_keys",
            SealedColumn::JitBindPassword => "jit_directory",
            SealedColumn::InstanceSecret => "instance_secrets",
        }
    }

    /// The column that identifies a row (the row id in the associated data).
    pub const fn id_column(self) -> &'static str {
        match self {
            SealedColumn::CertPrivateKey => "thumbprint",
            SealedColumn::RegistrationKey | SealedColumn::JitBindPassword => "id",
            SealedColumn::InstanceSecret => "purpose",
        }
    }

    /// The sealed column.
    pub const fn column(self) -> &'static str {
        match self {
            SealedColumn::CertPrivateKey => "sealed_private_key",
            SealedColumn::RegistrationKey => "sealed_key",
            SealedColumn::JitBindPassword => "sealed_bind_password",
            SealedColumn::InstanceSecret => "sealed_secret",
        }
    }
}

/// A device's public key (the agent server's device authentication).
#[derive(Debug, Clone)]
pub struct DeviceKeyRow {
    /// Device id.
    pub device_id: String,
    /// `ES256`.
    pub algorithm: String,
    /// Uncompressed P-256 point (65 bytes).
    pub public_key: Vec<u8>,
    /// RFC 7638 JWK thumbprint, base64url.
    pub thumbprint: String,
    /// Created at.
    pub created_at: String,
}

/// An agent policy (default or custom) with its settings as a JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentPolicyRow {
    /// Policy id.
    pub id: String,
    /// Name, unique per operating system ignoring case.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// `Windows`, `Linux` or `MacOS`.
    pub os_type: String,
    /// Evaluation order among the custom policies of the OS (1 first); 0 for the default.
    pub position: i64,
    /// Disabled custom policies are skipped.
    pub enabled: bool,
    /// The OS default (one per OS).
    pub is_default: bool,
    /// The settings (JSON).
    pub settings: String,
    /// Created at.
    pub created_at: String,
    /// Modified at.
    pub modified_at: String,
}

/// One target of a custom agent policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyTargetRow {
    /// Policy id.
    pub policy_id: String,
    /// `Device` or `Group`.
    pub target_type: String,
    /// The SID matched against the device and its groups.
    pub target_sid: String,
    /// The device or group id as given.
    pub target_id: String,
}

/// A custom word list (its words are in their own rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordListRow {
    /// List id.
    pub id: String,
    /// Name, unique ignoring case.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Language.
    pub language: Option<String>,
    /// Number of words.
    pub word_count: i64,
    /// SHA-256 (hex) of the sorted words joined by newlines.
    pub sha256: String,
    /// Created at.
    pub created_at: String,
}

/// A device told to rotate its password at its next check-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationMarkRow {
    /// Device id.
    pub device_id: String,
    /// Why (for example `PolicyMaximumAgeShortened`).
    pub reason: String,
    /// When it was marked.
    pub marked_at: String,
}

/// A rule's approval requirement (one row per computer or role rule that requires approval).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleApprovalRow {
    /// The rule's id.
    pub rule_id: String,
    /// `Computer` or `Role`.
    pub rule_kind: String,
    /// Approvers: a JSON array of `{"Sid", "Name"}`.
    pub approvers: String,
    /// How long a request may wait for a decision.
    pub wait_seconds: i64,
    /// How long after approval the requester may fetch the access, once.
    pub access_window_seconds: i64,
    /// Last change.
    pub modified_at: String,
}

/// An access request under a rule that requires approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRequestRow {
    /// Request id.
    pub id: String,
    /// The deciding rule.
    pub rule_id: String,
    /// `Computer` or `Role`.
    pub rule_kind: String,
    /// The computer.
    pub device_id: String,
    /// `Laps`, `LapsHistory`, `BitLocker` or `Jit`.
    pub access_type: String,
    /// The requester's SID.
    pub requester_sid: String,
    /// The requester's facts (group SIDs, directory facts) as JSON.
    pub query: String,
    /// The requester's reason.
    pub reason: Option<String>,
    /// The requester's address.
    pub source_address: Option<String>,
    /// Duration asked for.
    pub requested_seconds: Option<i64>,
    /// `Pending`, `Approved`, `Denied` or `Used`.
    pub state: String,
    /// When it was made.
    pub requested_at: String,
    /// A pending request expires then.
    pub wait_until: String,
    /// The access window the rule gave when the request was made.
    pub access_window_seconds: i64,
    /// The approver who decided.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<String>,
    /// The approver's reason.
    pub decision_reason: Option<String>,
    /// An approved request may be fetched until then.
    pub access_until: Option<String>,
    /// When the requester fetched it.
    pub used_at: Option<String>,
}

/// Filters for listing access requests (`None`: any).
#[derive(Debug, Clone, Default)]
pub struct AccessRequestFilter {
    /// Stored state.
    pub state: Option<String>,
    /// Requester SID.
    pub requester_sid: Option<String>,
    /// Device id.
    pub device_id: Option<String>,
}

/// A decision on a pending request (see
/// [`ApprovalWrite::decide_access_request`](crate::store::ApprovalWrite::decide_access_request)).
#[derive(Debug, Clone)]
pub struct AccessDecision<'a> {
    /// Request id.
    pub id: &'a str,
    /// `Approved` or `Denied`.
    pub state: &'a str,
    /// The approver's SID.
    pub decided_by: &'a str,
    /// When (also the deadline check: the request must still be waiting then).
    pub decided_at: &'a str,
    /// The approver's reason.
    pub reason: Option<&'a str>,
    /// End of the access window (approvals).
    pub access_until: Option<&'a str>,
}
