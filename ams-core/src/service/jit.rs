//! Just-in-time access: the directory the engine works in, JIT options, JIT group creation
//! rules, grants (add the user to a group and schedule the removal) and the scheduler that
//! performs due removals with retries.
//!
//! Directory calls are made outside database transactions: a grant first changes the directory,
//! then records the removal job; a removal first changes the directory, then records the
//! outcome. A crash between the two leaves a membership without a job (grant) or a job for a
//! membership already gone (removal, which the next run finds already done).

use serde::Serialize;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use crate::ams::Ams;
use crate::authz::duration::format_duration;
use crate::authz::sid::parse_sid;
use crate::clock::{format_time, parse_time};
use crate::crypto::seal::{Binding, new_id};
use crate::directory::conn::{ConnectionSettings, TlsMode};
use crate::directory::ldap::LdapDirectory;
use crate::directory::{Directory, NewGroup, Schema, SidFormat};
use crate::error::{Error, ErrorCode, Result};
use crate::service::audit::{self, Event, Outcome};
use crate::service::keys::{Keyring, sealed_binding};
use crate::service::settings::{
    JIT_DELTA_SYNC_INTERVAL_MINUTES, JIT_FULL_SYNC_INTERVAL_MINUTES, JIT_MAX_REMOVAL_RETRY_ATTEMPTS,
};
use crate::store::{JitDirectoryRow, JitGroupRuleRow, JitJobRow, ReadTx, SealedColumn};

/// The only scheduler job type.
pub const JOB_TYPE_GROUP_REMOVAL: &str = "ActiveDirectoryGroupRemoval";
/// Setting key of the JIT mode.
pub const JIT_MODE_KEY: &str = "JitMode";
/// Setting key of the DC locator mode.
pub const JIT_DC_LOCATOR_MODE_KEY: &str = "JitDcLocatorMode";

fn binding() -> Binding<'static> {
    sealed_binding(SealedColumn::JitBindPassword, "default")
}

/// What the sealed bind password holds: the password and the directory it is for. The whole value
/// is authenticated by the seal, so the URL and bind DN are bound to it: a password is never sent
/// to a directory other than the one it was given for (issue 17).
#[derive(Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BoundBindPassword {
    v: u32,
    url: String,
    bind_dn: String,
    password: String,
}

impl Drop for BoundBindPassword {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.password);
    }
}

fn seal_bind_password(keyring: &Keyring, url: &str, bind_dn: &str, password: &[u8]) -> Result<Vec<u8>> {
    let password = std::str::from_utf8(password)
        .map_err(|_| Error::invalid("The bind password must be valid UTF-8."))?
        .to_string();
    let value = BoundBindPassword { v: 2, url: url.to_string(), bind_dn: bind_dn.to_string(), password };
    let json = Zeroizing::new(serde_json::to_vec(&value).map_err(|_| Error::internal("bind password"))?);
    keyring.seal(&binding(), &json)
}

fn unbound(why: &str) -> Error {
    Error::new(ErrorCode::JitBindPasswordUnbound, format!("The stored bind password is not sent: {why}.")).hint(
        "Set the bind password again with `ams jit directory set --bind-password-stdin` for the directory in force.",
    )
}

/// Opens the sealed bind password for the directory at `url` with `bind_dn`; refuses one sealed
/// for another URL or bind DN, or by a version that did not bind them.
fn open_bind_password(keyring: &Keyring, sealed: &[u8], url: &str, bind_dn: &str) -> Result<Zeroizing<String>> {
    let plain = keyring.open(&binding(), sealed)?;
    let value: BoundBindPassword = serde_json::from_slice(&plain)
        .map_err(|_| unbound("it was sealed by an older version without the directory URL and bind DN"))?;
    if value.v != 2 {
        return Err(unbound("it has an unknown format"));
    }
    if value.url != url || value.bind_dn != bind_dn {
        return Err(unbound("it was sealed for another directory URL or bind DN"));
    }
    Ok(Zeroizing::new(value.password.clone()))
}

// ---------------------------------------------------------------------------------------------
// Directory settings

/// The directory settings as shown (never the password).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct JitDirectoryInfo {
    /// Whether a directory is configured.
    pub configured: bool,
    /// LDAP URL.
    pub url: Option<String>,
    /// Bind DN.
    pub bind_dn: Option<String>,
    /// Search base.
    pub base_dn: Option<String>,
    /// SID attribute.
    pub sid_attribute: Option<String>,
    /// `binary` or `string`.
    pub sid_format: Option<String>,
    /// Member attribute.
    pub member_attribute: Option<String>,
    /// Account name attribute.
    pub name_attribute: Option<String>,
    /// Group object class.
    pub group_object_class: Option<String>,
    /// Computer object class.
    pub computer_object_class: Option<String>,
    /// Group type attribute (empty: not written).
    pub group_type_attribute: Option<String>,
    /// Member added to new groups.
    pub initial_member_dn: Option<String>,
    /// Whether a bind password is stored (sealed).
    pub bind_password_set: bool,
    /// `StartTls`, `Ldaps` or `None` (plain LDAP).
    pub tls: Option<String>,
    /// PEM file of the CA trusted for the server's certificate (none: the system's roots).
    pub ca_file: Option<String>,
    /// Whether a simple bind over plain LDAP is allowed.
    pub allow_plain_bind: bool,
    /// Which directory secret providers the secret reads use: `MsLaps`, `WindowsLaps`, `BitLocker`.
    pub secret_providers: Vec<String>,
    /// Last change.
    pub modified: Option<String>,
}

/// The setting (JSON) holding the directory connection's TLS options: kept beside the
/// `jit_directory` row, so the store needs no new column (ADR 0011).
pub const DIRECTORY_CONNECTION_SETTING: &str = "DirectoryConnection";

/// The TLS options as stored.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
struct StoredConnection {
    tls: TlsMode,
    ca_file: Option<String>,
    allow_plain_bind: bool,
    #[serde(default)]
    secret_providers: Vec<String>,
}

/// The directory secret providers.
pub const SECRET_PROVIDERS: [&str; 3] = ["MsLaps", "WindowsLaps", "BitLocker"];

/// Canonical provider list from `MsLaps,WindowsLaps,BitLocker`, `all` or `none`.
pub fn parse_secret_providers(s: &str) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if part.eq_ignore_ascii_case("none") {
            continue;
        }
        if part.eq_ignore_ascii_case("all") {
            out = SECRET_PROVIDERS.iter().map(|p| (*p).to_string()).collect();
            continue;
        }
        let p = SECRET_PROVIDERS.iter().find(|p| p.eq_ignore_ascii_case(part)).ok_or_else(|| {
            Error::new(ErrorCode::JitGroupRuleInvalid, format!("Unknown directory secret provider '{part}'."))
                .hint("Use MsLaps, WindowsLaps and BitLocker separated by commas, all, or none.")
        })?;
        if !out.iter().any(|o| o == p) {
            out.push((*p).to_string());
        }
    }
    out.sort_by_key(|p| SECRET_PROVIDERS.iter().position(|a| a == p));
    Ok(out)
}

/// The directory secret providers in force (none without a directory).
pub(crate) fn secret_providers_in(tx: &(impl ReadTx + ?Sized)) -> Result<Vec<String>> {
    match tx.jit_directory()? {
        Some(r) => Ok(stored_connection(tx, &r.url)?.secret_providers),
        None => Ok(Vec::new()),
    }
}

fn stored_connection(tx: &(impl ReadTx + ?Sized), url: &str) -> Result<StoredConnection> {
    match tx.setting(DIRECTORY_CONNECTION_SETTING)? {
        Some(v) => serde_json::from_str(&v).map_err(|_| {
            Error::new(ErrorCode::DirectoryTlsConfigInvalid, "The stored directory TLS settings cannot be read.")
                .hint("Set them again with `ams jit directory set --tls MODE`.")
        }),
        // Before TLS settings existed: the URL's protected default (StartTLS for ldap://).
        None => Ok(StoredConnection {
            tls: TlsMode::default_for(url),
            ca_file: None,
            allow_plain_bind: false,
            secret_providers: Vec::new(),
        }),
    }
}

/// The connection settings of the configured directory.
pub(crate) fn connection_settings(tx: &(impl ReadTx + ?Sized), row: &JitDirectoryRow) -> Result<ConnectionSettings> {
    let c = stored_connection(tx, &row.url)?;
    Ok(ConnectionSettings {
        url: row.url.clone(),
        tls: c.tls,
        ca_file: c.ca_file,
        allow_plain_bind: c.allow_plain_bind,
    })
}

impl JitDirectoryInfo {
    fn with_connection(mut self, c: Option<&StoredConnection>) -> Self {
        if let Some(c) = c {
            self.tls = Some(c.tls.as_str().to_string());
            self.ca_file = c.ca_file.clone();
            self.allow_plain_bind = c.allow_plain_bind;
            self.secret_providers = c.secret_providers.clone();
        }
        self
    }
}

impl From<Option<&JitDirectoryRow>> for JitDirectoryInfo {
    fn from(r: Option<&JitDirectoryRow>) -> Self {
        JitDirectoryInfo {
            configured: r.is_some(),
            url: r.map(|r| r.url.clone()),
            bind_dn: r.map(|r| r.bind_dn.clone()),
            base_dn: r.map(|r| r.base_dn.clone()),
            sid_attribute: r.map(|r| r.sid_attribute.clone()),
            sid_format: r.map(|r| r.sid_format.clone()),
            member_attribute: r.map(|r| r.member_attribute.clone()),
            name_attribute: r.map(|r| r.name_attribute.clone()),
            group_object_class: r.map(|r| r.group_object_class.clone()),
            computer_object_class: r.map(|r| r.computer_object_class.clone()),
            group_type_attribute: r.map(|r| r.group_type_attribute.clone()),
            initial_member_dn: r.and_then(|r| r.initial_member_dn.clone()),
            bind_password_set: r.is_some_and(|r| r.sealed_bind_password.is_some()),
            tls: None,
            ca_file: None,
            allow_plain_bind: false,
            secret_providers: Vec::new(),
            modified: r.map(|r| r.updated_at.clone()),
        }
    }
}

/// Changes to the directory settings; `None` keeps a value (Active Directory defaults apply
/// when a directory is first configured).
#[derive(Debug, Default, Clone)]
pub struct JitDirectoryChanges {
    /// LDAP URL (`ldap://host:port`).
    pub url: Option<String>,
    /// Bind DN.
    pub bind_dn: Option<String>,
    /// Search base.
    pub base_dn: Option<String>,
    /// SID attribute.
    pub sid_attribute: Option<String>,
    /// `binary` or `string`.
    pub sid_format: Option<String>,
    /// Member attribute.
    pub member_attribute: Option<String>,
    /// Account name attribute.
    pub name_attribute: Option<String>,
    /// Group object class.
    pub group_object_class: Option<String>,
    /// Computer object class.
    pub computer_object_class: Option<String>,
    /// Group type attribute (empty: none).
    pub group_type_attribute: Option<String>,
    /// Member added to new groups (empty: none).
    pub initial_member_dn: Option<String>,
    /// `starttls`, `ldaps` or `none` (default: what the URL implies).
    pub tls: Option<String>,
    /// PEM file of trusted CAs (empty: the system's roots).
    pub ca_file: Option<String>,
    /// Allow a simple bind over plain LDAP.
    pub allow_plain_bind: Option<bool>,
    /// Directory secret providers: `MsLaps,WindowsLaps,BitLocker`, `all` or `none`.
    pub secret_providers: Option<String>,
}

fn need(v: Option<String>, old: Option<&str>, what: &str) -> Result<String> {
    match v.or_else(|| old.map(str::to_string)) {
        Some(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        _ => Err(Error::new(ErrorCode::JitGroupRuleInvalid, format!("The directory needs a {what}."))
            .hint("Give it with `ams jit directory set`.")),
    }
}

fn schema_of(r: &JitDirectoryRow) -> Result<Schema> {
    Ok(Schema {
        base_dn: r.base_dn.clone(),
        sid_attribute: r.sid_attribute.clone(),
        sid_format: SidFormat::parse(&r.sid_format)?,
        member_attribute: r.member_attribute.clone(),
        name_attribute: r.name_attribute.clone(),
        group_object_class: r.group_object_class.clone(),
        computer_object_class: r.computer_object_class.clone(),
        group_type_attribute: r.group_type_attribute.clone(),
        initial_member_dn: r.initial_member_dn.clone(),
    })
}

// ---------------------------------------------------------------------------------------------
// Options

/// The JIT engine's options.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct JitOptions {
    /// `Auto` or `JitScheduler`.
    pub jit_mode: String,
    /// Comma-separated `Default`, `LocalDcLocator`, `RemoteDcLocator`, `SiteLookup`.
    pub dc_locator_mode: String,
    /// Minutes between delta syncs of the group creation rules.
    pub delta_sync_interval_minutes: i64,
    /// Minutes between full syncs.
    pub full_sync_interval_minutes: i64,
    /// Removal attempts before a job is marked failed.
    pub maximum_jit_removal_retry_attempts: i64,
}

/// Changes to the JIT options.
#[derive(Debug, Default, Clone)]
pub struct JitOptionsChanges {
    /// `Auto` or `JitScheduler`.
    pub jit_mode: Option<String>,
    /// DC locator flags.
    pub dc_locator_mode: Option<String>,
    /// Delta sync interval.
    pub delta_sync_interval_minutes: Option<i64>,
    /// Full sync interval.
    pub full_sync_interval_minutes: Option<i64>,
    /// Retry limit.
    pub maximum_jit_removal_retry_attempts: Option<i64>,
}

/// Canonical JIT mode.
pub fn parse_jit_mode(s: &str) -> Result<String> {
    ["Auto", "JitScheduler"].iter().find(|m| m.eq_ignore_ascii_case(s.trim())).map(|m| (*m).to_string()).ok_or_else(
        || {
            Error::new(ErrorCode::JitOptionInvalid, format!("Unknown JIT mode '{s}'."))
                .hint("Use Auto or JitScheduler.")
        },
    )
}

/// Canonical DC locator flags (comma-separated; `Default` alone or a set of the others).
pub fn parse_dc_locator_mode(s: &str) -> Result<String> {
    const ALL: [&str; 4] = ["Default", "LocalDcLocator", "RemoteDcLocator", "SiteLookup"];
    let mut out: Vec<&str> = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let m = ALL.iter().find(|m| m.eq_ignore_ascii_case(part)).ok_or_else(|| {
            Error::new(ErrorCode::JitOptionInvalid, format!("Unknown DC locator mode '{part}'."))
                .hint("Use Default, or any of LocalDcLocator, RemoteDcLocator, SiteLookup separated by commas.")
        })?;
        if !out.contains(m) {
            out.push(m);
        }
    }
    if out.is_empty() || (out.len() > 1 && out.contains(&"Default")) {
        return Err(Error::new(ErrorCode::JitOptionInvalid, format!("'{s}' is not a valid DC locator mode."))
            .hint("Use Default alone, or a combination of LocalDcLocator, RemoteDcLocator, SiteLookup."));
    }
    out.sort_by_key(|m| ALL.iter().position(|a| a == m));
    Ok(out.join(","))
}

fn string_setting(tx: &(impl ReadTx + ?Sized), key: &str, default: &str) -> Result<String> {
    Ok(tx.setting(key)?.and_then(|v| serde_json::from_str::<String>(&v).ok()).unwrap_or_else(|| default.to_string()))
}

fn options_in(tx: &(impl ReadTx + ?Sized)) -> Result<JitOptions> {
    Ok(JitOptions {
        jit_mode: string_setting(tx, JIT_MODE_KEY, "Auto")?,
        dc_locator_mode: string_setting(tx, JIT_DC_LOCATOR_MODE_KEY, "Default")?,
        delta_sync_interval_minutes: JIT_DELTA_SYNC_INTERVAL_MINUTES.get(tx)?,
        full_sync_interval_minutes: JIT_FULL_SYNC_INTERVAL_MINUTES.get(tx)?,
        maximum_jit_removal_retry_attempts: JIT_MAX_REMOVAL_RETRY_ATTEMPTS.get(tx)?,
    })
}

// ---------------------------------------------------------------------------------------------
// Group creation rules

/// A JIT group creation rule as shown.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct JitGroupRuleInfo {
    /// Rule id.
    pub id: String,
    /// OU searched for computers.
    #[serde(rename = "ComputerOU")]
    pub computer_ou: String,
    /// Search below ComputerOU too.
    pub subtree: bool,
    /// OU the groups are created in.
    #[serde(rename = "GroupOU")]
    pub group_ou: String,
    /// Name template.
    pub group_name_template: String,
    /// Description of created groups.
    pub group_description: Option<String>,
    /// Group type.
    pub group_type: String,
    /// Delete groups of vanished computers at a full sync.
    pub enable_jit_group_deletion: bool,
    /// Give created groups a Unix GID.
    pub create_unix_gid: bool,
    /// GID attribute.
    pub unix_gid_attribute_name: String,
    /// GID offset.
    pub unix_gid_start_range: i64,
    /// A full sync was asked for and has not run yet.
    pub full_sync_pending: bool,
    /// Last sync.
    pub last_sync: Option<String>,
    /// Creation time.
    pub created: String,
    /// Last change.
    pub modified: String,
}

impl From<&JitGroupRuleRow> for JitGroupRuleInfo {
    fn from(r: &JitGroupRuleRow) -> Self {
        JitGroupRuleInfo {
            id: r.id.clone(),
            computer_ou: r.computer_ou.clone(),
            subtree: r.subtree,
            group_ou: r.group_ou.clone(),
            group_name_template: r.group_name_template.clone(),
            group_description: r.group_description.clone(),
            group_type: r.group_type.clone(),
            enable_jit_group_deletion: r.enable_jit_group_deletion,
            create_unix_gid: r.create_unix_gid,
            unix_gid_attribute_name: r.unix_gid_attribute_name.clone(),
            unix_gid_start_range: r.unix_gid_start_range,
            full_sync_pending: r.full_sync_requested_at.is_some(),
            last_sync: r.last_sync_at.clone(),
            created: r.created_at.clone(),
            modified: r.updated_at.clone(),
        }
    }
}

/// Fields of a JIT group creation rule; `None` keeps (set) or defaults (new).
#[derive(Debug, Default, Clone)]
pub struct JitGroupRuleChanges {
    /// OU searched for computers.
    pub computer_ou: Option<String>,
    /// Search below it.
    pub subtree: Option<bool>,
    /// OU for the groups.
    pub group_ou: Option<String>,
    /// Name template (must contain `%computerName%`).
    pub group_name_template: Option<String>,
    /// Description (empty removes it).
    pub group_description: Option<String>,
    /// `DomainLocal`, `Global` or `Universal`.
    pub group_type: Option<String>,
    /// Delete groups of vanished computers.
    pub enable_jit_group_deletion: Option<bool>,
    /// Give groups a Unix GID.
    pub create_unix_gid: Option<bool>,
    /// GID attribute.
    pub unix_gid_attribute_name: Option<String>,
    /// GID offset.
    pub unix_gid_start_range: Option<i64>,
    /// Ask for a full sync at the next run.
    pub force_full_sync: bool,
}

/// Canonical group type.
pub fn parse_group_type(s: &str) -> Result<&'static str> {
    ["DomainLocal", "Global", "Universal"].into_iter().find(|t| t.eq_ignore_ascii_case(s.trim())).ok_or_else(|| {
        Error::new(ErrorCode::JitGroupRuleInvalid, format!("Unknown group type '{s}'."))
            .hint("Use DomainLocal, Global or Universal.")
    })
}

/// AD's groupType value (security group flag included).
pub fn group_type_value(t: &str) -> i64 {
    match t {
        "Global" => 0x8000_0002,
        "Universal" => 0x8000_0008,
        _ => 0x8000_0004,
    }
}

fn template_ok(t: &str) -> bool {
    t.to_ascii_lowercase().contains("%computername%")
}

/// The group name a template gives for a computer.
pub fn group_name_for(template: &str, computer_name: &str) -> String {
    crate::authz::engine::expand_jit_group(template, computer_name, "")
}

fn check_rule(r: &JitGroupRuleRow) -> Result<()> {
    let bad = |m: String, h: &str| Err(Error::new(ErrorCode::JitGroupRuleInvalid, m).hint(h.to_string()));
    if r.computer_ou.trim().is_empty() {
        return bad("The rule needs a ComputerOU.".into(), "Give it with --computer-ou.");
    }
    if r.group_ou.trim().is_empty() {
        return bad("The rule needs a GroupOU.".into(), "Give it with --group-ou.");
    }
    if !template_ok(&r.group_name_template) {
        return bad(
            format!("The group name template '{}' does not contain %computerName%.", r.group_name_template),
            "Use a template such as JIT-%computerName%.",
        );
    }
    if r.create_unix_gid && r.unix_gid_attribute_name.trim().is_empty() {
        return bad("CreateUnixGid needs a UnixGidAttributeName.".into(), "Give it with --unix-gid-attribute-name.");
    }
    if !(0..=i64::from(i32::MAX)).contains(&r.unix_gid_start_range) {
        return bad("UnixGidStartRange must be between 0 and 2147483647.".into(), "Give a smaller offset.");
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Jobs and grants

/// A scheduler job as shown.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct JitJobInfo {
    /// Job id.
    pub id: String,
    /// `ActiveDirectoryGroupRemoval`.
    #[serde(rename = "Type")]
    pub job_type: String,
    /// The user's SID.
    pub user_sid: String,
    /// The user's DN.
    pub member_dn: String,
    /// The group's DN.
    pub group_dn: String,
    /// The group's name.
    pub group_name: String,
    /// Device id.
    pub device_id: Option<String>,
    /// Computer name.
    pub computer_name: Option<String>,
    /// Authorization rule.
    pub rule_id: Option<String>,
    /// When the removal is due.
    pub due_time: String,
    /// Attempts so far.
    pub attempts: i64,
    /// Last attempt.
    pub last_attempt: Option<String>,
    /// Last error.
    pub last_error: Option<String>,
    /// `Pending`, `Failed` or `Done`.
    pub state: String,
    /// Whether the job gave up.
    pub failed: bool,
    /// Creation time.
    pub created: String,
    /// Completion time.
    pub completed: Option<String>,
}

fn state_name(s: &str) -> String {
    match s {
        "pending" => "Pending",
        "failed" => "Failed",
        _ => "Done",
    }
    .to_string()
}

impl From<&JitJobRow> for JitJobInfo {
    fn from(j: &JitJobRow) -> Self {
        JitJobInfo {
            id: j.id.clone(),
            job_type: j.job_type.clone(),
            user_sid: j.user_sid.clone(),
            member_dn: j.member_dn.clone(),
            group_dn: j.group_dn.clone(),
            group_name: j.group_name.clone(),
            device_id: j.device_id.clone(),
            computer_name: j.computer_name.clone(),
            rule_id: j.rule_id.clone(),
            due_time: j.due_at.clone(),
            attempts: j.attempts,
            last_attempt: j.last_attempt_at.clone(),
            last_error: j.last_error.clone(),
            state: state_name(&j.state),
            failed: j.state == "failed",
            created: j.created_at.clone(),
            completed: j.completed_at.clone(),
        }
    }
}

/// A JIT grant to carry out.
#[derive(Debug, Clone)]
pub struct JitGrantRequest {
    /// The user's SID.
    pub user_sid: String,
    /// The group's account name (a `DOMAIN\` prefix is ignored).
    pub group_name: String,
    /// For how long.
    pub duration: Duration,
    /// Whether an active grant may be extended.
    pub allow_extension: bool,
    /// Longest access from now (extension cap); `None`: the duration.
    pub maximum_duration: Option<Duration>,
    /// Device id.
    pub device_id: Option<String>,
    /// Computer name.
    pub computer_name: Option<String>,
    /// Authorization rule that granted it.
    pub rule_id: Option<String>,
}

/// What a grant did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct JitGrantResult {
    /// `Added` (new membership), `AlreadyMember` (new job for an existing membership),
    /// `Extended` (expiry moved later) or `ExpiryKept` (active grant not extended).
    pub membership_change: String,
    /// The user's SID.
    pub user_sid: String,
    /// The user's DN.
    pub member_dn: String,
    /// The group's name.
    pub group_name: String,
    /// The group's DN.
    pub group_dn: String,
    /// The removal job.
    pub job_id: String,
    /// When the membership ends.
    pub expiry: String,
}

/// One job's outcome in a run.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct JitRunJob {
    /// Job id.
    pub id: String,
    /// `Removed`, `NotMember` (already gone), `Retry` or `Failed`.
    pub outcome: String,
    /// Attempts so far.
    pub attempts: i64,
    /// The error, if any.
    pub error: Option<String>,
}

/// A scheduler run.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct JitRunReport {
    /// The time the run used.
    pub now: String,
    /// Due jobs found.
    pub due: usize,
    /// Memberships removed (or found gone).
    pub done: usize,
    /// Jobs that will be retried.
    pub retrying: usize,
    /// Jobs that gave up in this run.
    pub failed: usize,
    /// Per job.
    pub jobs: Vec<JitRunJob>,
}

/// A group creation sync.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct JitSyncReport {
    /// Rules processed.
    pub rules: usize,
    /// Whether deletions were considered (full sync).
    pub full: bool,
    /// DNs of created groups.
    pub created: Vec<String>,
    /// DNs of deleted groups.
    pub deleted: Vec<String>,
    /// Computers whose group existed already.
    pub existing: usize,
}

/// What the directory says about a computer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct JitComputerInfo {
    /// Computer name.
    pub name: String,
    /// DN.
    pub distinguished_name: String,
    /// SIDs of its groups (direct membership).
    pub group_sids: Vec<String>,
}

fn short_group_name(name: &str) -> &str {
    name.rsplit('\\').next().unwrap_or(name)
}

impl Ams {
    // ----- directory settings

    /// The directory settings.
    pub fn jit_directory(&self) -> Result<JitDirectoryInfo> {
        self.store.read(|tx| {
            let row = tx.jit_directory()?;
            let c = row.as_ref().map(|r| stored_connection(tx, &r.url)).transpose()?;
            Ok(JitDirectoryInfo::from(row.as_ref()).with_connection(c.as_ref()))
        })
    }

    /// Whether a JIT directory is configured.
    pub fn jit_directory_configured(&self) -> Result<bool> {
        self.store.read(|tx| Ok(tx.jit_directory()?.is_some()))
    }

    /// Configures the directory. A new bind password (sealed under the master key) needs the
    /// keyring.
    pub fn set_jit_directory(
        &self,
        keyring: Option<&Keyring>,
        ch: JitDirectoryChanges,
        bind_password: Option<Zeroizing<Vec<u8>>>,
    ) -> Result<JitDirectoryInfo> {
        let now = self.now();
        if bind_password.is_some() && keyring.is_none() {
            return Err(Error::internal("set_jit_directory needs the keyring to seal a password"));
        }
        let mut sealed = None;
        self.store.write(|tx| {
            let old = tx.jit_directory()?;
            let o = old.as_ref();
            let ad = Schema::active_directory("");
            let url = need(ch.url.clone(), o.map(|o| o.url.as_str()), "URL (--url)")?;
            let old_conn = o.map(|o| stored_connection(tx, &o.url)).transpose()?;
            let tls = match (&ch.tls, &old_conn) {
                (Some(t), _) => TlsMode::parse(t)?,
                // A new URL of the other scheme takes that scheme's mode.
                (None, Some(c)) if (c.tls == TlsMode::Ldaps) == (TlsMode::default_for(&url) == TlsMode::Ldaps) => c.tls,
                _ => TlsMode::default_for(&url),
            };
            let conn = StoredConnection {
                tls,
                ca_file: match &ch.ca_file {
                    Some(f) if f.trim().is_empty() => None,
                    Some(f) => Some(f.trim().to_string()),
                    None => old_conn.as_ref().and_then(|c| c.ca_file.clone()),
                },
                allow_plain_bind: ch
                    .allow_plain_bind
                    .unwrap_or_else(|| old_conn.as_ref().is_some_and(|c| c.allow_plain_bind)),
                secret_providers: match &ch.secret_providers {
                    Some(p) => parse_secret_providers(p)?,
                    None => old_conn.as_ref().map(|c| c.secret_providers.clone()).unwrap_or_default(),
                },
            };
            ConnectionSettings {
                url: url.clone(),
                tls: conn.tls,
                ca_file: conn.ca_file.clone(),
                allow_plain_bind: conn.allow_plain_bind,
            }
            .check()?;
            let sid_format = SidFormat::parse(&need(
                ch.sid_format.clone(),
                Some(o.map_or(ad.sid_format.as_str(), |o| o.sid_format.as_str())),
                "SID format",
            )?)?;
            let keep = |v: &Option<String>, old: Option<&str>, def: &str| {
                v.clone().map(|s| s.trim().to_string()).unwrap_or_else(|| old.unwrap_or(def).to_string())
            };
            let row = JitDirectoryRow {
                url,
                bind_dn: need(ch.bind_dn.clone(), o.map(|o| o.bind_dn.as_str()), "bind DN (--bind-dn)")?,
                base_dn: need(ch.base_dn.clone(), o.map(|o| o.base_dn.as_str()), "base DN (--base-dn)")?,
                sid_attribute: need(
                    ch.sid_attribute.clone(),
                    Some(o.map_or(ad.sid_attribute.as_str(), |o| o.sid_attribute.as_str())),
                    "SID attribute",
                )?,
                sid_format: sid_format.as_str().to_string(),
                member_attribute: need(
                    ch.member_attribute.clone(),
                    Some(o.map_or(ad.member_attribute.as_str(), |o| o.member_attribute.as_str())),
                    "member attribute",
                )?,
                name_attribute: need(
                    ch.name_attribute.clone(),
                    Some(o.map_or(ad.name_attribute.as_str(), |o| o.name_attribute.as_str())),
                    "name attribute",
                )?,
                group_object_class: need(
                    ch.group_object_class.clone(),
                    Some(o.map_or(ad.group_object_class.as_str(), |o| o.group_object_class.as_str())),
                    "group object class",
                )?,
                computer_object_class: need(
                    ch.computer_object_class.clone(),
                    Some(o.map_or(ad.computer_object_class.as_str(), |o| o.computer_object_class.as_str())),
                    "computer object class",
                )?,
                group_type_attribute: keep(
                    &ch.group_type_attribute,
                    o.map(|o| o.group_type_attribute.as_str()),
                    &ad.group_type_attribute,
                ),
                initial_member_dn: match &ch.initial_member_dn {
                    Some(s) if s.trim().is_empty() => None,
                    Some(s) => Some(s.trim().to_string()),
                    None => o.and_then(|o| o.initial_member_dn.clone()),
                },
                sealed_bind_password: None,
                updated_at: now.clone(),
            };
            let mut row = row;
            row.sealed_bind_password = match (&bind_password, keyring, o) {
                (Some(p), Some(k), _) => {
                    sealed = Some(seal_bind_password(k, &row.url, &row.bind_dn, p)?);
                    sealed.clone()
                }
                (None, _, Some(old)) if old.sealed_bind_password.is_some() => {
                    // The password is bound to the URL and bind DN: a change of either needs it again.
                    if old.url != row.url || old.bind_dn != row.bind_dn {
                        return Err(Error::new(
                            ErrorCode::JitBindPasswordRequired,
                            "Changing the directory URL or bind DN needs the bind password again: the stored one is only ever sent to the directory it was given for.",
                        )
                        .hint("Add --bind-password-stdin and enter the bind password for the new directory or bind DN.")
                        .with("url", &row.url)
                        .with("bind_dn", &row.bind_dn));
                    }
                    old.sealed_bind_password.clone()
                }
                _ => None,
            };
            tx.put_jit_directory(&row)?;
            let conn_json = serde_json::to_string(&conn)
                .map_err(|_| Error::internal("Could not serialise the directory TLS settings."))?;
            tx.put_setting(DIRECTORY_CONNECTION_SETTING, &conn_json, &now)?;
            audit::record(
                self,
                tx,
                Event::success("jit.directory.set", "jit_directory", "default").details(serde_json::json!({
                    "Url": row.url, "BindDn": row.bind_dn, "BaseDn": row.base_dn,
                    "SidAttribute": row.sid_attribute, "SidFormat": row.sid_format,
                    "MemberAttribute": row.member_attribute, "NameAttribute": row.name_attribute,
                    "GroupObjectClass": row.group_object_class, "ComputerObjectClass": row.computer_object_class,
                    "GroupTypeAttribute": row.group_type_attribute, "InitialMemberDn": row.initial_member_dn,
                    "BindPasswordChanged": sealed.is_some(),
                    "Tls": conn.tls.as_str(), "CaFile": conn.ca_file, "AllowPlainBind": conn.allow_plain_bind,
                    "SecretProviders": conn.secret_providers,
                })),
            )?;
            Ok(JitDirectoryInfo::from(Some(&row)).with_connection(Some(&conn)))
        })
    }

    /// Removes the directory settings (JIT requests then only decide, as before).
    pub fn clear_jit_directory(&self) -> Result<bool> {
        self.store.write(|tx| {
            let removed = tx.delete_jit_directory()?;
            tx.delete_setting(DIRECTORY_CONNECTION_SETTING)?;
            if removed {
                audit::record(self, tx, Event::success("jit.directory.clear", "jit_directory", "default"))?;
            }
            Ok(removed)
        })
    }

    /// Opens the configured directory.
    pub fn open_jit_directory(&self, keyring: &Keyring) -> Result<LdapDirectory> {
        let (row, settings) = self.store.read(|tx| {
            let Some(row) = tx.jit_directory()? else { return Ok((None, None)) };
            let settings = connection_settings(tx, &row)?;
            Ok((Some(row), Some(settings)))
        })?;
        let row = row.ok_or_else(|| {
            Error::new(ErrorCode::JitDirectoryNotConfigured, "No JIT directory is configured.")
                .hint("Configure one with `ams jit directory set --url ldap://HOST --bind-dn DN --base-dn DN --bind-password-stdin`.")
        })?;
        let password = match &row.sealed_bind_password {
            Some(s) => open_bind_password(keyring, s, &row.url, &row.bind_dn)?,
            None => Zeroizing::new(String::new()),
        };
        let settings = settings.ok_or_else(|| Error::internal("directory settings"))?;
        LdapDirectory::connect(&settings, &row.bind_dn, &password, schema_of(&row)?)
    }

    /// What the directory says about a computer (DN and group SIDs, for rule evaluation).
    pub fn jit_computer_info(&self, keyring: &Keyring, name: &str) -> Result<JitComputerInfo> {
        let mut d = self.open_jit_directory(keyring)?;
        let c = d.computer(name)?.ok_or_else(|| {
            Error::new(ErrorCode::DirectoryObjectNotFound, format!("No computer named '{name}' is in the directory."))
                .with("name", name)
        })?;
        Ok(JitComputerInfo { name: name.to_string(), distinguished_name: c.dn, group_sids: c.group_sids })
    }

    // ----- options

    /// The JIT options.
    pub fn jit_options(&self) -> Result<JitOptions> {
        self.store.read(|tx| options_in(tx))
    }

    /// Changes JIT options in one transaction.
    pub fn set_jit_options(&self, ch: &JitOptionsChanges) -> Result<JitOptions> {
        let mode = ch.jit_mode.as_deref().map(parse_jit_mode).transpose()?;
        let dc = ch.dc_locator_mode.as_deref().map(parse_dc_locator_mode).transpose()?;
        let ints = [
            (JIT_DELTA_SYNC_INTERVAL_MINUTES, ch.delta_sync_interval_minutes),
            (JIT_FULL_SYNC_INTERVAL_MINUTES, ch.full_sync_interval_minutes),
            (JIT_MAX_REMOVAL_RETRY_ATTEMPTS, ch.maximum_jit_removal_retry_attempts),
        ];
        for (s, v) in &ints {
            if let Some(v) = v {
                s.check(*v).map_err(|e| {
                    Error::new(ErrorCode::JitOptionInvalid, e.message().to_string()).with("setting", s.key)
                })?;
            }
        }
        let now = self.now();
        self.store.write(|tx| {
            let mut details = serde_json::Map::new();
            for (key, v) in [(JIT_MODE_KEY, &mode), (JIT_DC_LOCATOR_MODE_KEY, &dc)] {
                if let Some(v) = v {
                    tx.put_setting(key, &serde_json::Value::from(v.as_str()).to_string(), &now)?;
                    details.insert(key.into(), v.as_str().into());
                }
            }
            for (s, v) in &ints {
                if let Some(v) = v {
                    tx.put_setting(s.key, &v.to_string(), &now)?;
                    details.insert(s.key.into(), (*v).into());
                }
            }
            audit::record(
                self,
                tx,
                Event::success("jit.options.set", "jit_options", "default").details(details.into()),
            )?;
            options_in(tx)
        })
    }

    // ----- group creation rules

    /// Every JIT group creation rule.
    pub fn jit_group_rules(&self) -> Result<Vec<JitGroupRuleInfo>> {
        self.store.read(|tx| Ok(tx.jit_group_rules()?.iter().map(JitGroupRuleInfo::from).collect()))
    }

    /// One JIT group creation rule.
    pub fn jit_group_rule(&self, id: &str) -> Result<JitGroupRuleInfo> {
        self.store.read(|tx| rule_by_id(tx, id).map(|r| JitGroupRuleInfo::from(&r)))
    }

    /// Creates a JIT group creation rule.
    pub fn new_jit_group_rule(&self, ch: JitGroupRuleChanges) -> Result<JitGroupRuleInfo> {
        let now = self.now();
        let row = JitGroupRuleRow {
            id: new_id()?.to_string(),
            computer_ou: ch.computer_ou.clone().unwrap_or_default().trim().to_string(),
            subtree: ch.subtree.unwrap_or(false),
            group_ou: ch.group_ou.clone().unwrap_or_default().trim().to_string(),
            group_name_template: ch.group_name_template.clone().unwrap_or_else(|| "JIT-%computerName%".into()),
            group_description: ch.group_description.clone().filter(|d| !d.is_empty()),
            group_type: parse_group_type(ch.group_type.as_deref().unwrap_or("DomainLocal"))?.to_string(),
            enable_jit_group_deletion: ch.enable_jit_group_deletion.unwrap_or(false),
            create_unix_gid: ch.create_unix_gid.unwrap_or(false),
            unix_gid_attribute_name: ch.unix_gid_attribute_name.clone().unwrap_or_else(|| "gidNumber".into()),
            unix_gid_start_range: ch.unix_gid_start_range.unwrap_or(0),
            full_sync_requested_at: ch.force_full_sync.then(|| now.clone()),
            last_sync_at: None,
            created_at: now.clone(),
            updated_at: now,
        };
        check_rule(&row)?;
        self.store.write(|tx| {
            tx.put_jit_group_rule(&row)?;
            let info = JitGroupRuleInfo::from(&row);
            audit::record(
                self,
                tx,
                Event::success("jit.group_rule.create", "jit_group_rule", &row.id)
                    .details(serde_json::to_value(&info).unwrap_or_default()),
            )?;
            Ok(info)
        })
    }

    /// Changes a JIT group creation rule.
    pub fn set_jit_group_rule(&self, id: &str, ch: JitGroupRuleChanges) -> Result<JitGroupRuleInfo> {
        let now = self.now();
        let group_type = ch.group_type.as_deref().map(parse_group_type).transpose()?;
        self.store.write(|tx| {
            let mut r = rule_by_id(tx, id)?;
            if let Some(v) = &ch.computer_ou {
                r.computer_ou = v.trim().to_string();
            }
            if let Some(v) = ch.subtree {
                r.subtree = v;
            }
            if let Some(v) = &ch.group_ou {
                r.group_ou = v.trim().to_string();
            }
            if let Some(v) = &ch.group_name_template {
                r.group_name_template = v.clone();
            }
            if let Some(v) = &ch.group_description {
                r.group_description = Some(v.clone()).filter(|d| !d.is_empty());
            }
            if let Some(v) = group_type {
                r.group_type = v.to_string();
            }
            if let Some(v) = ch.enable_jit_group_deletion {
                r.enable_jit_group_deletion = v;
            }
            if let Some(v) = ch.create_unix_gid {
                r.create_unix_gid = v;
            }
            if let Some(v) = &ch.unix_gid_attribute_name {
                r.unix_gid_attribute_name = v.trim().to_string();
            }
            if let Some(v) = ch.unix_gid_start_range {
                r.unix_gid_start_range = v;
            }
            if ch.force_full_sync {
                r.full_sync_requested_at = Some(now.clone());
            }
            r.updated_at = now.clone();
            check_rule(&r)?;
            tx.put_jit_group_rule(&r)?;
            let info = JitGroupRuleInfo::from(&r);
            audit::record(
                self,
                tx,
                Event::success("jit.group_rule.update", "jit_group_rule", &r.id)
                    .details(serde_json::to_value(&info).unwrap_or_default()),
            )?;
            Ok(info)
        })
    }

    /// Deletes a JIT group creation rule (groups already created stay).
    pub fn remove_jit_group_rule(&self, id: &str) -> Result<JitGroupRuleInfo> {
        self.store.write(|tx| {
            let r = rule_by_id(tx, id)?;
            tx.delete_jit_group_rule(id)?;
            audit::record(self, tx, Event::success("jit.group_rule.delete", "jit_group_rule", id))?;
            Ok(JitGroupRuleInfo::from(&r))
        })
    }

    /// Creates the JIT groups the rules describe (and, at a full sync or when one was asked for,
    /// deletes groups of vanished computers where the rule allows it).
    pub fn jit_sync(&self, keyring: &Keyring, full: bool) -> Result<JitSyncReport> {
        let mut d = self.open_jit_directory(keyring)?;
        self.jit_sync_with(&mut d, full)
    }

    /// [`Ams::jit_sync`] against any directory.
    pub fn jit_sync_with(&self, d: &mut dyn Directory, full: bool) -> Result<JitSyncReport> {
        let rules = self.store.read(|tx| tx.jit_group_rules())?;
        let mut report =
            JitSyncReport { rules: rules.len(), full, created: Vec::new(), deleted: Vec::new(), existing: 0 };
        for mut r in rules {
            let computers = d.computers_in(&r.computer_ou, r.subtree)?;
            let mut wanted: Vec<String> = Vec::new();
            for c in &computers {
                let name = group_name_for(&r.group_name_template, &c.name);
                wanted.push(name.to_ascii_lowercase());
                if d.group(&name)?.is_some() {
                    report.existing += 1;
                    continue;
                }
                let dn = d.create_group(&NewGroup {
                    name: name.clone(),
                    ou: r.group_ou.clone(),
                    description: r.group_description.clone(),
                    group_type: group_type_value(&r.group_type),
                })?;
                if r.create_unix_gid {
                    let gid = match d.sid_of(&dn)?.as_deref().and_then(crate::directory::sid_rid) {
                        Some(rid) => r.unix_gid_start_range + i64::from(rid),
                        None => {
                            // No SID (not AD): the next number after the highest GID in the OU.
                            let mut max = r.unix_gid_start_range - 1;
                            for g in d.groups_in(&r.group_ou)? {
                                for v in d.attribute(&g.dn, &r.unix_gid_attribute_name)? {
                                    if let Ok(n) = v.parse::<i64>() {
                                        max = max.max(n);
                                    }
                                }
                            }
                            max + 1
                        }
                    };
                    d.set_attribute(&dn, &r.unix_gid_attribute_name, &[gid.to_string()])?;
                }
                report.created.push(dn);
            }
            let full_here = full || r.full_sync_requested_at.is_some();
            if full_here && r.enable_jit_group_deletion {
                for g in d.groups_in(&r.group_ou)? {
                    if !wanted.contains(&g.name.to_ascii_lowercase()) {
                        d.delete(&g.dn)?;
                        report.deleted.push(g.dn);
                    }
                }
            }
            let now = self.now();
            self.store.write(|tx| {
                r.last_sync_at = Some(now.clone());
                if full_here {
                    r.full_sync_requested_at = None;
                }
                tx.put_jit_group_rule(&r)
            })?;
        }
        self.store.write(|tx| {
            audit::record(
                self,
                tx,
                Event::success("jit.sync", "jit_group_rules", "all").details(serde_json::json!({
                    "Full": full, "Rules": report.rules, "Created": report.created, "Deleted": report.deleted,
                    "Existing": report.existing,
                })),
            )
        })?;
        Ok(report)
    }

    // ----- grants

    /// Adds the user to the group in the configured directory and schedules the removal.
    pub fn jit_grant(&self, keyring: &Keyring, req: &JitGrantRequest) -> Result<JitGrantResult> {
        let mut d = match self.open_jit_directory(keyring) {
            Ok(d) => d,
            Err(e) => {
                self.audit_grant_failure(req, &e)?;
                return Err(e);
            }
        };
        self.jit_grant_with(&mut d, req)
    }

    fn audit_grant_failure(&self, req: &JitGrantRequest, e: &Error) -> Result<()> {
        self.store.write(|tx| {
            audit::record(
                self,
                tx,
                Event {
                    event: "jit.grant",
                    outcome: Outcome::Failure,
                    target_type: Some("jit_group"),
                    target_id: Some(&req.group_name),
                    details: serde_json::json!({
                        "UserSid": req.user_sid, "DeviceId": req.device_id, "RuleId": req.rule_id,
                        "Error": e.code().as_str(), "Message": e.message(),
                    }),
                },
            )
        })
    }

    /// [`Ams::jit_grant`] against any directory.
    pub fn jit_grant_with(&self, d: &mut dyn Directory, req: &JitGrantRequest) -> Result<JitGrantResult> {
        let user_sid = parse_sid(&req.user_sid)?;
        let group_name = short_group_name(&req.group_name).to_string();
        let looked_up: Result<(String, String, bool)> = (|| {
            let member_dn = d.user_dn(&user_sid)?;
            let group = d.group(&group_name)?.ok_or_else(|| {
                Error::new(
                    ErrorCode::DirectoryObjectNotFound,
                    format!("No group named '{group_name}' is in the directory."),
                )
                .hint("Create it, or let a JIT group creation rule create it with `ams jit sync`.")
                .with("group", &group_name)
            })?;
            let added = d.add_member(&group.dn, &member_dn)?;
            Ok((member_dn, group.dn, added))
        })();
        let (member_dn, group_dn, added) = match looked_up {
            Ok(v) => v,
            Err(e) => {
                self.audit_grant_failure(req, &e)?;
                return Err(e);
            }
        };
        let now_t = self.now_time();
        let now = format_time(now_t);
        // The granted length never exceeds the maximum (from now), for a new grant or an extension.
        let cap = now_t + req.maximum_duration.unwrap_or(req.duration);
        let wanted = (now_t + req.duration).min(cap);
        self.store.write(|tx| {
            let existing = tx.pending_jit_job(&user_sid, &group_dn)?;
            let (job, change) = match existing {
                Some(mut j) => {
                    let cur = parse_time(&j.due_at)?;
                    let change = if req.allow_extension && wanted > cur {
                        j.due_at = format_time(wanted);
                        "Extended"
                    } else {
                        "ExpiryKept"
                    };
                    (j, change)
                }
                None => (
                    JitJobRow {
                        id: new_id()?.to_string(),
                        job_type: JOB_TYPE_GROUP_REMOVAL.into(),
                        user_sid: user_sid.clone(),
                        member_dn: member_dn.clone(),
                        group_dn: group_dn.clone(),
                        group_name: group_name.clone(),
                        device_id: req.device_id.clone(),
                        computer_name: req.computer_name.clone(),
                        rule_id: req.rule_id.clone(),
                        due_at: format_time(wanted),
                        attempts: 0,
                        last_attempt_at: None,
                        last_error: None,
                        state: "pending".into(),
                        created_at: now.clone(),
                        completed_at: None,
                    },
                    if added { "Added" } else { "AlreadyMember" },
                ),
            };
            tx.put_jit_job(&job)?;
            audit::record(
                self,
                tx,
                Event::success("jit.grant", "jit_group", &group_dn).details(serde_json::json!({
                    "UserSid": user_sid, "MemberDn": member_dn, "GroupName": group_name,
                    "JobId": job.id, "Expiry": job.due_at, "MembershipChange": change,
                    "Duration": format_duration(req.duration), "DeviceId": req.device_id, "RuleId": req.rule_id,
                })),
            )?;
            Ok(JitGrantResult {
                membership_change: change.into(),
                user_sid: user_sid.clone(),
                member_dn: member_dn.clone(),
                group_name: group_name.clone(),
                group_dn: group_dn.clone(),
                job_id: job.id,
                expiry: job.due_at,
            })
        })
    }

    // ----- scheduler

    /// Scheduler jobs not yet done (optionally only failed ones).
    pub fn jit_jobs(&self, failed_only: bool) -> Result<Vec<JitJobInfo>> {
        self.store.read(|tx| Ok(tx.open_jit_jobs(failed_only)?.iter().map(JitJobInfo::from).collect()))
    }

    /// One scheduler job (any state).
    pub fn jit_job(&self, id: &str) -> Result<JitJobInfo> {
        self.store.read(|tx| job_by_id(tx, id).map(|j| JitJobInfo::from(&j)))
    }

    /// Deletes a scheduler job (the membership is left as it is).
    pub fn remove_jit_job(&self, id: &str) -> Result<JitJobInfo> {
        self.store.write(|tx| {
            let j = job_by_id(tx, id)?;
            tx.delete_jit_job(id)?;
            audit::record(
                self,
                tx,
                Event::success("jit.job.remove", "jit_job", id).details(serde_json::json!({
                    "UserSid": j.user_sid, "GroupDn": j.group_dn, "State": j.state, "DueTime": j.due_at,
                })),
            )?;
            Ok(JitJobInfo::from(&j))
        })
    }

    /// Performs the due removals in the configured directory (at `at`, or now).
    pub fn jit_run_due(&self, keyring: &Keyring, at: Option<OffsetDateTime>) -> Result<JitRunReport> {
        let now_t = at.unwrap_or_else(|| self.now_time());
        let due = self.store.read(|tx| tx.due_jit_jobs(&format_time(now_t)))?;
        if due.is_empty() {
            return Ok(JitRunReport {
                now: format_time(now_t),
                due: 0,
                done: 0,
                retrying: 0,
                failed: 0,
                jobs: Vec::new(),
            });
        }
        match self.open_jit_directory(keyring) {
            Ok(mut d) => self.jit_run_due_with(Some(&mut d), now_t),
            Err(e) if e.code() == ErrorCode::JitDirectoryNotConfigured => Err(e),
            Err(e) => {
                let msg = format!("{}: {}", e.code().as_str(), e.message());
                self.run_jobs(None, now_t, due, Some(msg))
            }
        }
    }

    /// [`Ams::jit_run_due`] against any directory (`None`: the directory is unreachable).
    pub fn jit_run_due_with(&self, d: Option<&mut dyn Directory>, now_t: OffsetDateTime) -> Result<JitRunReport> {
        let due = self.store.read(|tx| tx.due_jit_jobs(&format_time(now_t)))?;
        let err = d.is_none().then(|| "The directory is unreachable.".to_string());
        self.run_jobs(d, now_t, due, err)
    }

    fn run_jobs(
        &self,
        mut d: Option<&mut dyn Directory>,
        now_t: OffsetDateTime,
        due: Vec<JitJobRow>,
        connect_error: Option<String>,
    ) -> Result<JitRunReport> {
        let now = format_time(now_t);
        let max = self.store.read(|tx| JIT_MAX_REMOVAL_RETRY_ATTEMPTS.get(tx))?;
        let mut report =
            JitRunReport { now: now.clone(), due: due.len(), done: 0, retrying: 0, failed: 0, jobs: Vec::new() };
        // While this run works on a job, its due time is moved past the lease, so a run on
        // another host or process (which reads due jobs on its own) does not take it too; the
        // outcome below writes the real due time back. A crash leaves the job due again once the
        // lease ends.
        let lease = format_time(now_t + JIT_JOB_LEASE);
        for mut j in due {
            if !self.claim_jit_job(&j, &lease)? {
                report.due -= 1;
                continue;
            }
            let outcome: std::result::Result<bool, String> = match (&mut d, &connect_error) {
                (Some(d), _) => d
                    .remove_member(&j.group_dn, &j.member_dn)
                    .or_else(|e| if e.code() == ErrorCode::DirectoryObjectNotFound { Ok(false) } else { Err(e) })
                    .map_err(|e| format!("{}: {}", e.code().as_str(), e.message())),
                (None, Some(m)) => Err(m.clone()),
                (None, None) => Err("The directory is unreachable.".to_string()),
            };
            j.attempts += 1;
            j.last_attempt_at = Some(now.clone());
            let (event, outcome_name, audit_outcome) = match &outcome {
                Ok(removed) => {
                    j.state = "done".into();
                    j.completed_at = Some(now.clone());
                    j.last_error = None;
                    report.done += 1;
                    ("jit.job.done", if *removed { "Removed" } else { "NotMember" }, Outcome::Success)
                }
                Err(msg) => {
                    j.last_error = Some(msg.clone());
                    if j.attempts >= max {
                        j.state = "failed".into();
                        j.completed_at = Some(now.clone());
                        report.failed += 1;
                        ("jit.job.failed", "Failed", Outcome::Failure)
                    } else {
                        report.retrying += 1;
                        ("jit.job.retry", "Retry", Outcome::Failure)
                    }
                }
            };
            self.store.write(|tx| {
                tx.put_jit_job(&j)?;
                audit::record(
                    self,
                    tx,
                    Event {
                        event,
                        outcome: audit_outcome,
                        target_type: Some("jit_job"),
                        target_id: Some(&j.id),
                        details: serde_json::json!({
                            "UserSid": j.user_sid, "MemberDn": j.member_dn, "GroupDn": j.group_dn,
                            "Attempts": j.attempts, "MaximumAttempts": max, "Outcome": outcome_name,
                            "Error": j.last_error,
                        }),
                    },
                )
            })?;
            report.jobs.push(JitRunJob {
                id: j.id.clone(),
                outcome: outcome_name.into(),
                attempts: j.attempts,
                error: j.last_error.clone(),
            });
        }
        Ok(report)
    }
}

/// How long a `jit run-due` may work on one job before another run may take it (after a crash).
const JIT_JOB_LEASE: Duration = Duration::minutes(10);

impl Ams {
    /// Claims a due job for this run: it must still be exactly as read (pending, same due time
    /// and attempts), else another run has it or had it. Race-free on every engine, since write
    /// transactions never interleave (SQLite's single writer; SQL Server's writers' lock).
    fn claim_jit_job(&self, j: &JitJobRow, lease: &str) -> Result<bool> {
        self.store.write(|tx| match tx.jit_job(&j.id)? {
            Some(cur) if cur.state == "pending" && cur.due_at == j.due_at && cur.attempts == j.attempts => {
                tx.put_jit_job(&JitJobRow { due_at: lease.to_string(), ..cur })?;
                Ok(true)
            }
            _ => Ok(false),
        })
    }
}

fn rule_by_id(tx: &(impl ReadTx + ?Sized), id: &str) -> Result<JitGroupRuleRow> {
    tx.jit_group_rule(id)?.ok_or_else(|| {
        Error::new(ErrorCode::JitGroupRuleNotFound, format!("No JIT group creation rule has the id '{id}'."))
            .hint("List them with `ams active-directory-jit-group-creation-rule get`.")
            .with("id", id)
    })
}

fn job_by_id(tx: &(impl ReadTx + ?Sized), id: &str) -> Result<JitJobRow> {
    tx.jit_job(id)?.ok_or_else(|| {
        Error::new(ErrorCode::JitJobNotFound, format!("No JIT scheduler job has the id '{id}'."))
            .hint("List them with `ams jit-scheduler-job get`.")
            .with("id", id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse() {
        assert_eq!(parse_jit_mode("jitscheduler").unwrap(), "JitScheduler");
        assert!(parse_jit_mode("pam").is_err());
        assert_eq!(parse_dc_locator_mode("SiteLookup, localdclocator").unwrap(), "LocalDcLocator,SiteLookup");
        assert_eq!(parse_dc_locator_mode("default").unwrap(), "Default");
        assert!(parse_dc_locator_mode("Default,SiteLookup").is_err());
        assert!(parse_dc_locator_mode("").is_err());
        assert_eq!(parse_group_type("universal").unwrap(), "Universal");
        assert_eq!(group_type_value("DomainLocal"), 0x8000_0004);
        assert_eq!(group_name_for("JIT-%ComputerName%", "PC1"), "JIT-PC1");
        assert_eq!(short_group_name("LAB\\JIT-PC1"), "JIT-PC1");
    }
}
