//! Computer and role authorization rules: create, read, change, delete. Principals are stored as
//! canonical SIDs with an optional display name; every change is audited.

use std::collections::BTreeMap;

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use crate::ams::Ams;
use crate::authz::duration::format_duration;
use crate::authz::engine::dn_components;
use crate::authz::sid::{Principal, parse_principal};
use crate::authz::{AccessType, AceKind, ReasonRequirement, TargetType};
use crate::clock::format_time;
use crate::crypto::seal::new_id;
use crate::error::{Error, ErrorCode, Result};
use crate::service::approvals::{self, ApprovalChanges, RuleApprovalInfo, RuleKind};
use crate::service::audit::{self, Event};
use crate::service::devices::{DeviceSelector, resolve};
use crate::service::groups::find_group_in;
use crate::store::{ComputerRuleRow, PrincipalTable, ReadTx, RoleRuleRow, RulePrincipalRow, Tx, on_unique};

/// Largest authorization script accepted.
pub const MAX_SCRIPT_BYTES: usize = 1024 * 1024;

/// How a caller names a rule's target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// Every device of an Entra tenant (tenant id, a GUID).
    AadTenant {
        /// Tenant id.
        tenant_id: String,
    },
    /// An Entra group of devices.
    AadGroup {
        /// Tenant id.
        tenant_id: String,
        /// Group object id.
        group_id: String,
    },
    /// One Entra device.
    AadComputer {
        /// Tenant id.
        tenant_id: String,
        /// Device object id.
        computer_id: String,
    },
    /// An AD computer: `SID` or `SID=DOMAIN\NAME$`.
    AdComputer(String),
    /// An AD group of computers: `SID` or `SID=DOMAIN\Group`.
    AdGroup(String),
    /// An AD container or OU, by distinguished name.
    AdContainer(String),
    /// A device registered with ams, by device id.
    AmsComputer(String),
    /// An ams group (custom or built-in), by id or SID.
    AmsGroup(String),
}

/// A resolved target, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedTarget {
    /// Type.
    pub target_type: TargetType,
    /// SID, DN, object id or device id.
    pub target_id: String,
    /// Tenant for Entra targets.
    pub authority_id: Option<String>,
    /// Display name.
    pub name: Option<String>,
}

/// One principal to add or remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalChange {
    /// Access type.
    pub access_type: AccessType,
    /// Allow or deny list.
    pub kind: AceKind,
    /// `SID` or `SID=Display name`.
    pub principal: String,
}

/// A script imported into a rule.
#[derive(Debug, Clone)]
pub struct ScriptSource {
    /// Where it came from (kept for display).
    pub path: String,
    /// The script.
    pub text: String,
}

/// Rule settings. `None` leaves a setting as it is (or at its default for a new rule);
/// `Some(None)` clears an optional setting.
#[derive(Debug, Clone, Default)]
pub struct ComputerRuleSettings {
    /// LAPS default access duration.
    pub laps_default: Option<Option<Duration>>,
    /// LAPS maximum access duration (the password expires this long after access).
    pub laps_max: Option<Option<Duration>>,
    /// LAPS access may be extended.
    pub laps_allow_extension: Option<bool>,
    /// JIT group name or template (`%computerDomain%\JIT-%computerName%`).
    pub jit_group_name: Option<Option<String>>,
    /// JIT default duration.
    pub jit_default: Option<Option<Duration>>,
    /// JIT maximum duration.
    pub jit_max: Option<Option<Duration>>,
    /// JIT access may be extended.
    pub jit_allow_extension: Option<bool>,
    /// DC targeting: do not ask the computer which DC it uses.
    pub do_not_use_remote_dc_locator: Option<bool>,
    /// DC targeting: AD site.
    pub site_name: Option<Option<String>>,
    /// DC targeting: a specific DC.
    pub domain_controller_name: Option<Option<String>>,
    /// Description.
    pub description: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Rule expiry.
    pub rule_expiry: Option<Option<OffsetDateTime>>,
    /// Disabled.
    pub disabled: Option<bool>,
    /// Reason requirement.
    pub reason_requirement: Option<ReasonRequirement>,
    /// Channels told on success (ids or names).
    pub notify_success: Option<Vec<String>>,
    /// Channels told on failure (ids or names).
    pub notify_failure: Option<Vec<String>>,
    /// Approval: required, approvers, wait and access window (docs/approvals.md).
    pub approval: ApprovalChanges,
}

/// A new computer rule.
#[derive(Debug, Clone)]
pub struct NewComputerRule {
    /// Target.
    pub target: TargetSpec,
    /// Script (script rules); principals must then be empty.
    pub script: Option<ScriptSource>,
    /// Allowed and denied principals.
    pub principals: Vec<PrincipalChange>,
    /// Settings.
    pub settings: ComputerRuleSettings,
}

/// Changes to a computer rule.
#[derive(Debug, Clone, Default)]
pub struct ComputerRuleChanges {
    /// New target.
    pub target: Option<TargetSpec>,
    /// New script (turns an ACL rule into a script rule and drops its principals).
    pub script: Option<ScriptSource>,
    /// Principals to add.
    pub add: Vec<PrincipalChange>,
    /// Principals to remove.
    pub remove: Vec<PrincipalChange>,
    /// Settings.
    pub settings: ComputerRuleSettings,
    /// Back to automatic DC location: clears the site, the DC and DoNotUseRemoteDcLocator.
    pub auto_dc_locator: bool,
}

/// A principal as shown to people.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct PrincipalInfo {
    /// SID.
    pub sid: String,
    /// Name for display, when known.
    pub name: Option<String>,
}

/// A computer authorization rule as shown to people.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct ComputerRuleInfo {
    pub id: String,
    /// The description, or `<TargetType>: <target name>`.
    pub display_name: String,
    pub target_type: TargetType,
    /// SID, DN, object id or device id.
    pub target: String,
    pub target_authority_id: Option<String>,
    pub target_name: Option<String>,
    pub description: String,
    /// `SecurityDescriptor` (ACL) or `PowershellScript`.
    pub authorization_mode: String,
    pub authorization_script_path: Option<String>,
    pub authorization_script: Option<String>,
    pub principals_allowed_laps: Vec<PrincipalInfo>,
    pub principals_denied_laps: Vec<PrincipalInfo>,
    pub principals_allowed_laps_history: Vec<PrincipalInfo>,
    pub principals_denied_laps_history: Vec<PrincipalInfo>,
    pub principals_allowed_bit_locker: Vec<PrincipalInfo>,
    pub principals_denied_bit_locker: Vec<PrincipalInfo>,
    pub principals_allowed_jit: Vec<PrincipalInfo>,
    pub principals_denied_jit: Vec<PrincipalInfo>,
    pub principals_allowed_rapid_laps_login: Vec<PrincipalInfo>,
    pub principals_denied_rapid_laps_login: Vec<PrincipalInfo>,
    pub principals_allowed_rapid_laps_elevation: Vec<PrincipalInfo>,
    pub principals_denied_rapid_laps_elevation: Vec<PrincipalInfo>,
    pub laps_default_access_duration: Option<String>,
    pub laps_maximum_access_duration: Option<String>,
    pub laps_allow_extension: bool,
    pub jit_group_name: Option<String>,
    pub jit_default_access_duration: Option<String>,
    pub jit_maximum_access_duration: Option<String>,
    pub jit_allow_extension: bool,
    pub do_not_use_remote_dc_locator: bool,
    pub site_name: Option<String>,
    pub domain_controller_name: Option<String>,
    pub user_request_reason_requirement: String,
    pub notification_channels_success: Vec<String>,
    pub notification_channels_failure: Vec<String>,
    pub rule_expiry_date: Option<String>,
    pub disabled: bool,
    pub notes: String,
    pub created: String,
    pub created_by: String,
    pub modified: String,
    pub modified_by: String,
    /// ApprovalRequired, Approvers, ApprovalWaitDuration, ApprovalAccessWindow.
    #[serde(flatten)]
    pub approval: RuleApprovalInfo,
}

/// A new role rule.
#[derive(Debug, Clone, Default)]
pub struct NewRoleRule {
    /// Role name (unique, ignoring case).
    pub name: String,
    /// The AD group users join (name or SID; kept as given for the JIT engine).
    pub group_name: String,
    /// Longest duration.
    pub maximum: Duration,
    /// Pre-filled duration.
    pub default: Option<Duration>,
    /// Re-requests may extend.
    pub allow_extension: bool,
    /// Allowed principals (at least one).
    pub allowed: Vec<String>,
    /// Denied principals.
    pub denied: Vec<String>,
    /// Description.
    pub description: Option<String>,
    /// Rule expiry.
    pub rule_expiry: Option<OffsetDateTime>,
    /// Disabled.
    pub disabled: bool,
    /// Notes.
    pub notes: Option<String>,
    /// Reason requirement.
    pub reason_requirement: Option<ReasonRequirement>,
    /// Channels told on success.
    pub notify_success: Vec<String>,
    /// Channels told on failure.
    pub notify_failure: Vec<String>,
    /// DC targeting: site.
    pub site_name: Option<String>,
    /// DC targeting: DC.
    pub domain_controller_name: Option<String>,
    /// Approval: required, approvers, wait and access window (docs/approvals.md).
    pub approval: ApprovalChanges,
}

/// Changes to a role rule (`None` leaves a setting as it is).
#[derive(Debug, Clone, Default)]
#[allow(missing_docs)]
pub struct RoleRuleChanges {
    pub name: Option<String>,
    pub add_allowed: Vec<String>,
    pub remove_allowed: Vec<String>,
    pub add_denied: Vec<String>,
    pub remove_denied: Vec<String>,
    pub group_name: Option<String>,
    pub maximum: Option<Duration>,
    /// `Some(None)` clears the default.
    pub default: Option<Option<Duration>>,
    pub allow_extension: Option<bool>,
    pub description: Option<String>,
    /// `Some(None)` clears the expiry.
    pub rule_expiry: Option<Option<OffsetDateTime>>,
    pub enabled: Option<bool>,
    pub notes: Option<String>,
    pub reason_requirement: Option<ReasonRequirement>,
    pub notify_success: Option<Vec<String>>,
    pub notify_failure: Option<Vec<String>>,
    pub site_name: Option<Option<String>>,
    pub domain_controller_name: Option<Option<String>>,
    /// Approval: required, approvers, wait and access window (docs/approvals.md).
    pub approval: ApprovalChanges,
}

/// A role rule as shown to people.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct RoleRuleInfo {
    pub id: String,
    pub name: String,
    pub description: String,
    pub group_name: String,
    pub principals_allowed_jit: Vec<PrincipalInfo>,
    pub principals_denied_jit: Vec<PrincipalInfo>,
    pub maximum_access_duration: String,
    pub default_access_duration: Option<String>,
    pub allow_extension: bool,
    pub user_request_reason_requirement: String,
    pub notification_channels_success: Vec<String>,
    pub notification_channels_failure: Vec<String>,
    pub site_name: Option<String>,
    pub domain_controller_name: Option<String>,
    pub rule_expiry_date: Option<String>,
    pub disabled: bool,
    pub notes: String,
    pub created: String,
    pub created_by: String,
    pub modified: String,
    pub modified_by: String,
    /// ApprovalRequired, Approvers, ApprovalWaitDuration, ApprovalAccessWindow.
    #[serde(flatten)]
    pub approval: RuleApprovalInfo,
}

// ---- validation helpers ----

fn rule_not_found(id: &str) -> Error {
    Error::new(ErrorCode::RuleNotFound, "No authorization rule has that id.")
        .hint("Run `ams computer-authorization-rule get` or `ams role-authorization-rule get` to list rules.")
        .with("rule_id", id)
}

fn target_invalid(msg: impl Into<String>, value: &str) -> Error {
    Error::new(ErrorCode::TargetInvalid, msg).with("target", value)
}

fn not_applicable(msg: impl Into<String>) -> Error {
    Error::new(ErrorCode::SettingNotApplicable, msg)
}

fn guid(s: &str, what: &str) -> Result<String> {
    uuid::Uuid::parse_str(s.trim().trim_matches(['{', '}']))
        .map(|u| u.to_string())
        .map_err(|_| target_invalid(format!("The {what} must be a GUID."), s))
}

fn text(value: &str, what: &str, max: usize) -> Result<String> {
    let t = value.trim();
    if t.chars().count() > max || t.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(Error::invalid(format!("The {what} must be at most {max} characters without control characters.")));
    }
    Ok(t.to_string())
}

fn name_text(value: &str, what: &str) -> Result<String> {
    let t = value.trim();
    if t.is_empty() || t.chars().count() > 256 || t.chars().any(char::is_control) {
        return Err(Error::invalid(format!("The {what} must be 1 to 256 characters without control characters.")));
    }
    Ok(t.to_string())
}

fn opt_name(v: Option<String>, what: &str) -> Result<Option<String>> {
    v.filter(|s| !s.trim().is_empty()).map(|s| name_text(&s, what)).transpose()
}

fn channels(list: &[String]) -> Result<String> {
    let mut out: Vec<String> = Vec::new();
    for c in list {
        let c = name_text(c, "notification channel")?;
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&c)) {
            out.push(c);
        }
    }
    serde_json::to_string(&out).map_err(|_| Error::internal("channel list"))
}

fn channel_list(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

fn secs(d: Option<Duration>) -> Option<i64> {
    d.map(|d| d.whole_seconds().max(1))
}

fn fmt_secs(s: Option<i64>) -> Option<String> {
    s.map(|s| format_duration(Duration::seconds(s)))
}

fn check_default_max(default: Option<i64>, max: Option<i64>, what: &str) -> Result<()> {
    if let (Some(d), Some(m)) = (default, max)
        && d > m
    {
        return Err(Error::new(
            ErrorCode::DefaultAboveMaximum,
            format!(
                "The {what} default access duration ({}) is longer than the maximum ({}).",
                format_duration(Duration::seconds(d)),
                format_duration(Duration::seconds(m))
            ),
        )
        .hint("Give a default no longer than the maximum, or raise the maximum."));
    }
    Ok(())
}

fn check_expiry(at: OffsetDateTime, now: OffsetDateTime) -> Result<String> {
    if at <= now {
        return Err(Error::new(
            ErrorCode::ExpiryInvalid,
            format!("The rule expiry {} is not in the future.", format_time(at)),
        )
        .hint("Give a future date, or leave the expiry out for a rule that never expires.")
        .with("rule_expiry", format_time(at)));
    }
    Ok(format_time(at))
}

fn check_script(s: &ScriptSource) -> Result<()> {
    if s.text.trim().is_empty() || s.text.len() > MAX_SCRIPT_BYTES {
        return Err(Error::new(ErrorCode::ScriptInvalid, "The authorization script is empty or larger than 1 MiB.")
            .with("path", &s.path));
    }
    if !s.text.to_ascii_lowercase().contains("get-authorizationresponse") {
        return Err(Error::new(
            ErrorCode::ScriptInvalid,
            "The authorization script does not define Get-AuthorizationResponse.",
        )
        .hint("An authorization script defines function Get-AuthorizationResponse($User, $Computer).")
        .with("path", &s.path));
    }
    Ok(())
}

fn principal_rows(rule_id: &str, changes: &[PrincipalChange], now: &str) -> Result<Vec<RulePrincipalRow>> {
    changes
        .iter()
        .map(|c| {
            let Principal { sid, name } = parse_principal(&c.principal)?;
            Ok(RulePrincipalRow {
                rule_id: rule_id.to_string(),
                access_type: c.access_type.as_str().to_string(),
                ace: c.kind.as_str().to_string(),
                sid,
                display_name: name,
                added_at: now.to_string(),
            })
        })
        .collect()
}

fn has_jit_settings(r: &ComputerRuleRow) -> bool {
    r.jit_group_name.is_some()
        || r.jit_default_seconds.is_some()
        || r.jit_max_seconds.is_some()
        || r.jit_allow_extension
        || r.do_not_use_remote_dc_locator
        || r.site_name.is_some()
        || r.domain_controller_name.is_some()
}

/// Checks a rule row as a whole: durations, JIT settings only on AD targets.
pub(crate) fn check_rule(r: &ComputerRuleRow, principals: &[RulePrincipalRow]) -> Result<()> {
    check_default_max(r.laps_default_seconds, r.laps_max_seconds, "LAPS")?;
    check_default_max(r.jit_default_seconds, r.jit_max_seconds, "JIT")?;
    let ad = TargetType::parse(&r.target_type)?.is_active_directory();
    if !ad && has_jit_settings(r) {
        return Err(not_applicable(format!(
            "JIT and domain controller settings apply only to AD targets, not to {} targets.",
            r.target_type
        ))
        .hint("Leave out the JIT settings, or target an AD computer, group or container."));
    }
    if !ad && principals.iter().any(|p| p.access_type == AccessType::Jit.as_str()) {
        return Err(not_applicable(format!(
            "JIT principals apply only to AD targets, not to {} targets.",
            r.target_type
        ))
        .hint("JIT access is granted on Active Directory computers only."));
    }
    if r.authorization_mode == "PowershellScript" && !principals.is_empty() {
        return Err(not_applicable("A script rule has no principals: its script decides.")
            .hint("Create an ACL rule for principals, or leave out the principals."));
    }
    Ok(())
}

/// Applies settings to a row; returns the names of the settings given.
pub(crate) fn apply_settings(
    r: &mut ComputerRuleRow,
    s: &ComputerRuleSettings,
    now: OffsetDateTime,
) -> Result<Vec<&'static str>> {
    let mut changed = Vec::new();
    macro_rules! set {
        ($field:expr, $value:expr, $name:literal) => {{
            $field = $value;
            changed.push($name);
        }};
    }
    if let Some(v) = s.laps_default {
        set!(r.laps_default_seconds, secs(v), "LapsDefaultAccessDuration");
    }
    if let Some(v) = s.laps_max {
        set!(r.laps_max_seconds, secs(v), "LapsMaximumAccessDuration");
    }
    if let Some(v) = s.laps_allow_extension {
        set!(r.laps_allow_extension, v, "LapsAllowExtension");
    }
    if let Some(v) = &s.jit_group_name {
        set!(r.jit_group_name, opt_name(v.clone(), "JIT group name")?, "JitGroupName");
    }
    if let Some(v) = s.jit_default {
        set!(r.jit_default_seconds, secs(v), "JitDefaultAccessDuration");
    }
    if let Some(v) = s.jit_max {
        set!(r.jit_max_seconds, secs(v), "JitMaximumAccessDuration");
    }
    if let Some(v) = s.jit_allow_extension {
        set!(r.jit_allow_extension, v, "JitAllowExtension");
    }
    if let Some(v) = s.do_not_use_remote_dc_locator {
        set!(r.do_not_use_remote_dc_locator, v, "DoNotUseRemoteDcLocator");
    }
    if let Some(v) = s.disabled {
        set!(r.disabled, v, "Disabled");
    }
    let common = CommonChanges {
        description: s.description.as_deref(),
        notes: s.notes.as_deref(),
        rule_expiry: s.rule_expiry,
        reason_requirement: s.reason_requirement,
        notify_success: s.notify_success.as_deref(),
        notify_failure: s.notify_failure.as_deref(),
        site_name: s.site_name.as_ref(),
        domain_controller_name: s.domain_controller_name.as_ref(),
    };
    let fields = CommonFields {
        description: &mut r.description,
        notes: &mut r.notes,
        rule_expiry: &mut r.rule_expiry,
        reason_requirement: &mut r.reason_requirement,
        notify_success: &mut r.notify_success,
        notify_failure: &mut r.notify_failure,
        site_name: &mut r.site_name,
        domain_controller_name: &mut r.domain_controller_name,
    };
    apply_common(fields, &common, now, &mut changed)?;
    Ok(changed)
}

/// The settings computer rules and role rules both have, as a change asks for them.
struct CommonChanges<'a> {
    description: Option<&'a str>,
    notes: Option<&'a str>,
    rule_expiry: Option<Option<OffsetDateTime>>,
    reason_requirement: Option<ReasonRequirement>,
    notify_success: Option<&'a [String]>,
    notify_failure: Option<&'a [String]>,
    site_name: Option<&'a Option<String>>,
    domain_controller_name: Option<&'a Option<String>>,
}

/// The columns of a rule row those settings go to.
struct CommonFields<'r> {
    description: &'r mut String,
    notes: &'r mut String,
    rule_expiry: &'r mut Option<String>,
    reason_requirement: &'r mut String,
    notify_success: &'r mut String,
    notify_failure: &'r mut String,
    site_name: &'r mut Option<String>,
    domain_controller_name: &'r mut Option<String>,
}

/// Checks and applies the common settings (one set of limits for both kinds of rule), naming
/// each setting given in `changed`.
fn apply_common(
    f: CommonFields<'_>,
    c: &CommonChanges<'_>,
    now: OffsetDateTime,
    changed: &mut Vec<&'static str>,
) -> Result<()> {
    if let Some(v) = c.description {
        *f.description = text(v, "description", 1024)?;
        changed.push("Description");
    }
    if let Some(v) = c.notes {
        *f.notes = text(v, "notes", 16_384)?;
        changed.push("Notes");
    }
    if let Some(v) = c.rule_expiry {
        *f.rule_expiry = v.map(|at| check_expiry(at, now)).transpose()?;
        changed.push("RuleExpiryDate");
    }
    if let Some(v) = c.reason_requirement {
        *f.reason_requirement = v.as_str().to_string();
        changed.push("UserRequestReasonRequirement");
    }
    if let Some(v) = c.notify_success {
        *f.notify_success = channels(v)?;
        changed.push("NotificationChannelsSuccess");
    }
    if let Some(v) = c.notify_failure {
        *f.notify_failure = channels(v)?;
        changed.push("NotificationChannelsFailure");
    }
    if let Some(v) = c.site_name {
        *f.site_name = opt_name(v.clone(), "site name")?;
        changed.push("SiteName");
    }
    if let Some(v) = c.domain_controller_name {
        *f.domain_controller_name = opt_name(v.clone(), "domain controller name")?;
        changed.push("DomainControllerName");
    }
    Ok(())
}

/// Adds and removes principals of one rule; returns how many were added and how many removed
/// (a principal already there, or not there, does not count).
fn change_principals(
    tx: &Tx<'_>,
    table: PrincipalTable,
    rule_id: &str,
    add: &[PrincipalChange],
    remove: &[PrincipalChange],
    now: &str,
) -> Result<(usize, usize)> {
    let mut added = 0;
    for p in principal_rows(rule_id, add, now)? {
        if tx.add_rule_principal(table, &p)? {
            added += 1;
        }
    }
    let mut removed = 0;
    for c in remove {
        let sid = parse_principal(&c.principal)?.sid;
        if tx.remove_rule_principal(table, rule_id, c.access_type.as_str(), c.kind.as_str(), &sid)? {
            removed += 1;
        }
    }
    Ok((added, removed))
}

/// JIT principal changes of one kind (role rules hold JIT principals only).
fn jit_changes(list: &[String], kind: AceKind) -> Vec<PrincipalChange> {
    list.iter().map(|p| PrincipalChange { access_type: AccessType::Jit, kind, principal: p.clone() }).collect()
}

/// An enabled rule is removed only with `force`: removing it changes at once who may do what
/// (`what_changes`, e.g. "who may access secrets").
fn check_remove(disabled: bool, force: bool, rule: &str, what_changes: &str, id: &str) -> Result<()> {
    if disabled || force {
        return Ok(());
    }
    Err(Error::new(
        ErrorCode::ForceRequired,
        format!("The {rule} is enabled: deleting it changes {what_changes} at once."),
    )
    .hint("Add --force to delete it anyway, or disable it first.")
    .with("rule_id", id))
}

/// Resolves a target against the ams directory (devices, groups) or checks its form.
pub(crate) fn resolve_target(tx: &(impl ReadTx + ?Sized), spec: &TargetSpec) -> Result<ResolvedTarget> {
    let sid_target = |t: TargetType, v: &str| -> Result<ResolvedTarget> {
        let p = parse_principal(v)?;
        Ok(ResolvedTarget { target_type: t, target_id: p.sid, authority_id: None, name: p.name })
    };
    match spec {
        TargetSpec::AmsComputer(id) => {
            let d = resolve(tx, &DeviceSelector::Id(id.trim().to_string())).map_err(|e| {
                if e.code() == ErrorCode::DeviceNotFound {
                    target_invalid("No ams device has that id.", id).hint("Run `ams device get` to list devices.")
                } else {
                    e
                }
            })?;
            Ok(ResolvedTarget {
                target_type: TargetType::AmsComputer,
                target_id: d.id,
                authority_id: None,
                name: Some(d.name),
            })
        }
        TargetSpec::AmsGroup(id) => {
            let g = find_group_in(tx, id.trim())?.ok_or_else(|| {
                target_invalid("No ams group has that id or SID.", id).hint("Run `ams group get` to list groups.")
            })?;
            Ok(ResolvedTarget {
                target_type: TargetType::AmsGroup,
                target_id: g.sid,
                authority_id: None,
                name: Some(g.name),
            })
        }
        TargetSpec::AdComputer(v) => sid_target(TargetType::AdComputer, v),
        TargetSpec::AdGroup(v) => sid_target(TargetType::AdGroup, v),
        TargetSpec::AdContainer(dn) => {
            let dn = dn.trim();
            if dn.chars().count() > 2048 || dn_components(dn).is_none() {
                return Err(target_invalid("The container is not a distinguished name.", dn)
                    .hint("Give the DN of an OU or container, e.g. OU=Devices,DC=corp,DC=example."));
            }
            Ok(ResolvedTarget {
                target_type: TargetType::AdContainer,
                target_id: dn.to_string(),
                authority_id: None,
                name: Some(dn.to_string()),
            })
        }
        TargetSpec::AadTenant { tenant_id } => {
            let t = guid(tenant_id, "tenant id")?;
            Ok(ResolvedTarget {
                target_type: TargetType::AadTenant,
                target_id: t.clone(),
                authority_id: None,
                name: Some(t),
            })
        }
        TargetSpec::AadGroup { tenant_id, group_id } => Ok(ResolvedTarget {
            target_type: TargetType::AadGroup,
            target_id: guid(group_id, "group object id")?,
            authority_id: Some(guid(tenant_id, "tenant id")?),
            name: None,
        }),
        TargetSpec::AadComputer { tenant_id, computer_id } => Ok(ResolvedTarget {
            target_type: TargetType::AadComputer,
            target_id: guid(computer_id, "device object id")?,
            authority_id: Some(guid(tenant_id, "tenant id")?),
            name: None,
        }),
    }
}

fn principal_info(rows: &[RulePrincipalRow], t: AccessType, k: AceKind) -> Vec<PrincipalInfo> {
    rows.iter()
        .filter(|p| p.access_type == t.as_str() && p.ace == k.as_str())
        .map(|p| PrincipalInfo { sid: p.sid.clone(), name: p.display_name.clone() })
        .collect()
}

/// The display name of a computer rule: its description, else `<TargetType>: <name>`.
pub fn rule_display_name(r: &ComputerRuleRow) -> String {
    if r.description.is_empty() {
        format!("{}: {}", r.target_type, r.target_name.as_deref().unwrap_or(&r.target_id))
    } else {
        r.description.clone()
    }
}

/// Builds the output form of a computer rule.
pub fn computer_rule_info(r: &ComputerRuleRow, principals: &[RulePrincipalRow]) -> Result<ComputerRuleInfo> {
    use AccessType as A;
    use AceKind::{Allow, Deny};
    let p = |t, k| principal_info(principals, t, k);
    Ok(ComputerRuleInfo {
        id: r.id.clone(),
        display_name: rule_display_name(r),
        target_type: TargetType::parse(&r.target_type)?,
        target: r.target_id.clone(),
        target_authority_id: r.target_authority_id.clone(),
        target_name: r.target_name.clone(),
        description: r.description.clone(),
        authorization_mode: r.authorization_mode.clone(),
        authorization_script_path: r.script_path.clone(),
        authorization_script: r.script.clone(),
        principals_allowed_laps: p(A::Laps, Allow),
        principals_denied_laps: p(A::Laps, Deny),
        principals_allowed_laps_history: p(A::LapsHistory, Allow),
        principals_denied_laps_history: p(A::LapsHistory, Deny),
        principals_allowed_bit_locker: p(A::BitLocker, Allow),
        principals_denied_bit_locker: p(A::BitLocker, Deny),
        principals_allowed_jit: p(A::Jit, Allow),
        principals_denied_jit: p(A::Jit, Deny),
        principals_allowed_rapid_laps_login: p(A::RapidLapsLogin, Allow),
        principals_denied_rapid_laps_login: p(A::RapidLapsLogin, Deny),
        principals_allowed_rapid_laps_elevation: p(A::RapidLapsElevation, Allow),
        principals_denied_rapid_laps_elevation: p(A::RapidLapsElevation, Deny),
        laps_default_access_duration: fmt_secs(r.laps_default_seconds),
        laps_maximum_access_duration: fmt_secs(r.laps_max_seconds),
        laps_allow_extension: r.laps_allow_extension,
        jit_group_name: r.jit_group_name.clone(),
        jit_default_access_duration: fmt_secs(r.jit_default_seconds),
        jit_maximum_access_duration: fmt_secs(r.jit_max_seconds),
        jit_allow_extension: r.jit_allow_extension,
        do_not_use_remote_dc_locator: r.do_not_use_remote_dc_locator,
        site_name: r.site_name.clone(),
        domain_controller_name: r.domain_controller_name.clone(),
        user_request_reason_requirement: r.reason_requirement.clone(),
        notification_channels_success: channel_list(&r.notify_success),
        notification_channels_failure: channel_list(&r.notify_failure),
        rule_expiry_date: r.rule_expiry.clone(),
        disabled: r.disabled,
        notes: r.notes.clone(),
        created: r.created_at.clone(),
        created_by: r.created_by.clone(),
        modified: r.modified_at.clone(),
        modified_by: r.modified_by.clone(),
        approval: RuleApprovalInfo::default(),
    })
}

fn role_rule_info(r: &RoleRuleRow, principals: &[RulePrincipalRow]) -> RoleRuleInfo {
    RoleRuleInfo {
        id: r.id.clone(),
        name: r.name.clone(),
        description: r.description.clone(),
        group_name: r.group_name.clone(),
        principals_allowed_jit: principal_info(principals, AccessType::Jit, AceKind::Allow),
        principals_denied_jit: principal_info(principals, AccessType::Jit, AceKind::Deny),
        maximum_access_duration: format_duration(Duration::seconds(r.max_seconds)),
        default_access_duration: fmt_secs(r.default_seconds),
        allow_extension: r.allow_extension,
        user_request_reason_requirement: r.reason_requirement.clone(),
        notification_channels_success: channel_list(&r.notify_success),
        notification_channels_failure: channel_list(&r.notify_failure),
        site_name: r.site_name.clone(),
        domain_controller_name: r.domain_controller_name.clone(),
        rule_expiry_date: r.rule_expiry.clone(),
        disabled: r.disabled,
        notes: r.notes.clone(),
        created: r.created_at.clone(),
        created_by: r.created_by.clone(),
        modified: r.modified_at.clone(),
        modified_by: r.modified_by.clone(),
        approval: RuleApprovalInfo::default(),
    }
}

fn require_computer_rule(tx: &(impl ReadTx + ?Sized), id: &str) -> Result<ComputerRuleRow> {
    tx.computer_rules(Some(id.trim()))?.pop().ok_or_else(|| rule_not_found(id))
}

fn require_role_rule(tx: &(impl ReadTx + ?Sized), id: &str) -> Result<RoleRuleRow> {
    tx.role_rules(Some(id.trim()), None)?.pop().ok_or_else(|| rule_not_found(id))
}

fn role_exists(name: &str) -> Error {
    Error::new(ErrorCode::RuleExists, "A role authorization rule with that name already exists.").with("name", name)
}

/// A computer rule row with defaults, before settings are applied.
pub(crate) fn blank_computer_rule(id: &str, t: &ResolvedTarget, actor: &str, now: &str) -> ComputerRuleRow {
    ComputerRuleRow {
        id: id.to_string(),
        target_type: t.target_type.as_str().to_string(),
        target_id: t.target_id.clone(),
        target_authority_id: t.authority_id.clone(),
        target_name: t.name.clone(),
        authorization_mode: "SecurityDescriptor".into(),
        script: None,
        script_path: None,
        laps_default_seconds: None,
        laps_max_seconds: None,
        laps_allow_extension: false,
        jit_group_name: None,
        jit_default_seconds: None,
        jit_max_seconds: None,
        jit_allow_extension: false,
        do_not_use_remote_dc_locator: false,
        site_name: None,
        domain_controller_name: None,
        description: String::new(),
        notes: String::new(),
        rule_expiry: None,
        disabled: false,
        reason_requirement: ReasonRequirement::Optional.as_str().to_string(),
        notify_success: "[]".into(),
        notify_failure: "[]".into(),
        created_at: now.to_string(),
        created_by: actor.to_string(),
        modified_at: now.to_string(),
        modified_by: actor.to_string(),
    }
}

/// Writes a new computer rule with its principals and audits it, inside the caller's transaction.
pub(crate) fn insert_computer_rule_in(
    ams: &Ams,
    tx: &Tx<'_>,
    row: &ComputerRuleRow,
    principals: &[RulePrincipalRow],
    source: &str,
) -> Result<()> {
    check_rule(row, principals)?;
    tx.insert_computer_rule(row)?;
    for p in principals {
        tx.add_rule_principal(PrincipalTable::Computer, p)?;
    }
    audit::record(
        ams,
        tx,
        Event::success("computer_rule.new", "computer_rule", &row.id).details(serde_json::json!({
            "TargetType": row.target_type, "Target": row.target_id, "TargetAuthorityId": row.target_authority_id,
            "AuthorizationMode": row.authorization_mode, "Principals": principals.len(), "Disabled": row.disabled,
            "Source": source,
        })),
    )
}

impl Ams {
    /// Creates a computer authorization rule.
    pub fn computer_rule_new(&self, req: &NewComputerRule) -> Result<ComputerRuleInfo> {
        if let Some(s) = &req.script {
            check_script(s)?;
        }
        let now_t = self.now_time();
        let now = format_time(now_t);
        let id = new_id()?.to_string();
        self.store.write(|tx| {
            let target = resolve_target(tx, &req.target)?;
            let mut row = blank_computer_rule(&id, &target, self.actor(), &now);
            if let Some(s) = &req.script {
                row.authorization_mode = "PowershellScript".into();
                row.script = Some(s.text.clone());
                row.script_path = Some(s.path.clone());
            }
            apply_settings(&mut row, &req.settings, now_t)?;
            let mut principals = principal_rows(&id, &req.principals, &now)?;
            dedup_principals(&mut principals);
            insert_computer_rule_in(self, tx, &row, &principals, "cli")?;
            if !approvals::apply_approval(tx, &id, RuleKind::Computer, &req.settings.approval, &now)?.is_empty() {
                audit_approval(self, tx, "computer_rule.set", "computer_rule", &id)?;
            }
            let mut info = computer_rule_info(&row, &principals)?;
            info.approval = approvals::approval_info(tx, &id)?;
            Ok(info)
        })
    }

    /// Computer authorization rules, all or one by id (oldest first).
    pub fn computer_rules(&self, id: Option<&str>) -> Result<Vec<ComputerRuleInfo>> {
        self.store.read(|tx| {
            let rows = tx.computer_rules(id.map(str::trim))?;
            let principals = match (id, rows.first()) {
                (Some(_), Some(r)) => tx.rule_principals(PrincipalTable::Computer, Some(&r.id))?,
                (Some(_), None) => Vec::new(),
                (None, _) => tx.rule_principals(PrincipalTable::Computer, None)?,
            };
            let mut by_rule: BTreeMap<&str, Vec<RulePrincipalRow>> = BTreeMap::new();
            for p in &principals {
                by_rule.entry(p.rule_id.as_str()).or_default().push(p.clone());
            }
            let mut approval = approvals::approval_infos(tx)?;
            rows.iter()
                .map(|r| {
                    let mut info = computer_rule_info(r, by_rule.get(r.id.as_str()).map(Vec::as_slice).unwrap_or(&[]))?;
                    info.approval = approval.remove(&r.id).unwrap_or_default();
                    Ok(info)
                })
                .collect()
        })
    }

    /// Changes a computer authorization rule.
    pub fn computer_rule_set(&self, id: &str, ch: &ComputerRuleChanges) -> Result<ComputerRuleInfo> {
        if let Some(s) = &ch.script {
            check_script(s)?;
        }
        let now_t = self.now_time();
        let now = format_time(now_t);
        self.store.write(|tx| {
            let mut row = require_computer_rule(tx, id)?;
            let mut changed: Vec<&'static str> = Vec::new();
            if let Some(t) = &ch.target {
                let target = resolve_target(tx, t)?;
                row.target_type = target.target_type.as_str().to_string();
                row.target_id = target.target_id;
                row.target_authority_id = target.authority_id;
                row.target_name = target.name;
                changed.push("Target");
            }
            let mut dropped = 0;
            if let Some(s) = &ch.script {
                if row.authorization_mode != "PowershellScript" {
                    dropped = tx.clear_rule_principals(PrincipalTable::Computer, &row.id)?;
                }
                row.authorization_mode = "PowershellScript".into();
                row.script = Some(s.text.clone());
                row.script_path = Some(s.path.clone());
                changed.push("AuthorizationScript");
            }
            if ch.auto_dc_locator {
                row.do_not_use_remote_dc_locator = false;
                row.site_name = None;
                row.domain_controller_name = None;
                changed.push("AutoDcLocator");
            }
            changed.extend(apply_settings(&mut row, &ch.settings, now_t)?);
            changed.extend(approvals::apply_approval(tx, &row.id, RuleKind::Computer, &ch.settings.approval, &now)?);
            if (!ch.add.is_empty() || !ch.remove.is_empty()) && row.authorization_mode == "PowershellScript" {
                return Err(not_applicable("A script rule has no principals: its script decides.")
                    .hint("Change the script, or create an ACL rule for these principals."));
            }
            let (added, removed) = change_principals(tx, PrincipalTable::Computer, &row.id, &ch.add, &ch.remove, &now)?;
            let principals = tx.rule_principals(PrincipalTable::Computer, Some(&row.id))?;
            check_rule(&row, &principals)?;
            row.modified_at = now.clone();
            row.modified_by = self.actor().to_string();
            tx.update_computer_rule(&row)?;
            audit::record(
                self,
                tx,
                Event::success("computer_rule.set", "computer_rule", &row.id).details(serde_json::json!({
                    "Changed": changed, "PrincipalsAdded": added, "PrincipalsRemoved": removed,
                    "PrincipalsDroppedForScript": dropped, "TargetType": row.target_type, "Target": row.target_id,
                })),
            )?;
            let mut info = computer_rule_info(&row, &principals)?;
            info.approval = approvals::approval_info(tx, &row.id)?;
            Ok(info)
        })
    }

    /// Deletes a computer authorization rule. An enabled rule needs `force`: removing it changes
    /// who may see secrets at once.
    pub fn computer_rule_remove(&self, id: &str, force: bool) -> Result<()> {
        self.store.write(|tx| {
            let row = require_computer_rule(tx, id)?;
            check_remove(row.disabled, force, "rule", "who may access secrets", &row.id)?;
            tx.delete_computer_rule(&row.id)?;
            approvals::remove_approval(tx, &row.id)?;
            audit::record(
                self,
                tx,
                Event::success("computer_rule.remove", "computer_rule", &row.id).details(serde_json::json!({
                    "TargetType": row.target_type, "Target": row.target_id, "Description": row.description,
                })),
            )
        })
    }

    /// Creates a role authorization rule.
    pub fn role_rule_new(&self, req: &NewRoleRule) -> Result<RoleRuleInfo> {
        let now_t = self.now_time();
        let now = format_time(now_t);
        let id = new_id()?.to_string();
        if req.allowed.is_empty() {
            return Err(Error::invalid("A role rule needs at least one allowed principal.")
                .hint("Give --principals-allowed-jit with a SID."));
        }
        let name = name_text(&req.name, "role name")?;
        let row = RoleRuleRow {
            id: id.clone(),
            name: name.clone(),
            description: text(req.description.as_deref().unwrap_or(""), "description", 1024)?,
            group_name: name_text(&req.group_name, "group name")?,
            default_seconds: secs(req.default),
            max_seconds: secs(Some(req.maximum)).unwrap_or(1),
            allow_extension: req.allow_extension,
            site_name: opt_name(req.site_name.clone(), "site name")?,
            domain_controller_name: opt_name(req.domain_controller_name.clone(), "domain controller name")?,
            notes: text(req.notes.as_deref().unwrap_or(""), "notes", 16_384)?,
            rule_expiry: req.rule_expiry.map(|at| check_expiry(at, now_t)).transpose()?,
            disabled: req.disabled,
            reason_requirement: req.reason_requirement.unwrap_or_default().as_str().to_string(),
            notify_success: channels(&req.notify_success)?,
            notify_failure: channels(&req.notify_failure)?,
            created_at: now.clone(),
            created_by: self.actor().to_string(),
            modified_at: now.clone(),
            modified_by: self.actor().to_string(),
        };
        check_default_max(row.default_seconds, Some(row.max_seconds), "role")?;
        let mut changes = jit_changes(&req.allowed, AceKind::Allow);
        changes.extend(jit_changes(&req.denied, AceKind::Deny));
        let mut principals = principal_rows(&id, &changes, &now)?;
        dedup_principals(&mut principals);
        self.store.write(|tx| {
            tx.insert_role_rule(&row).map_err(|e| on_unique(e, || role_exists(&name)))?;
            for p in &principals {
                tx.add_rule_principal(PrincipalTable::Role, p)?;
            }
            audit::record(
                self,
                tx,
                Event::success("role_rule.new", "role_rule", &row.id).details(serde_json::json!({
                    "Name": row.name, "GroupName": row.group_name, "Principals": principals.len(),
                    "MaximumAccessDuration": format_duration(Duration::seconds(row.max_seconds)),
                })),
            )?;
            if !approvals::apply_approval(tx, &row.id, RuleKind::Role, &req.approval, &now)?.is_empty() {
                audit_approval(self, tx, "role_rule.set", "role_rule", &row.id)?;
            }
            let mut info = role_rule_info(&row, &principals);
            info.approval = approvals::approval_info(tx, &row.id)?;
            Ok(info)
        })
    }

    /// Role authorization rules, optionally by id or name (ordered by name).
    pub fn role_rules(&self, id: Option<&str>, name: Option<&str>) -> Result<Vec<RoleRuleInfo>> {
        self.store.read(|tx| {
            let rows = tx.role_rules(id.map(str::trim), name.map(str::trim))?;
            let principals = tx.rule_principals(PrincipalTable::Role, None)?;
            let mut approval = approvals::approval_infos(tx)?;
            Ok(rows
                .iter()
                .map(|r| {
                    let mine: Vec<RulePrincipalRow> =
                        principals.iter().filter(|p| p.rule_id == r.id).cloned().collect();
                    let mut info = role_rule_info(r, &mine);
                    info.approval = approval.remove(&r.id).unwrap_or_default();
                    info
                })
                .collect())
        })
    }

    /// Changes a role authorization rule.
    pub fn role_rule_set(&self, id: &str, ch: &RoleRuleChanges) -> Result<RoleRuleInfo> {
        let now_t = self.now_time();
        let now = format_time(now_t);
        self.store.write(|tx| {
            let mut row = require_role_rule(tx, id)?;
            let mut changed: Vec<&'static str> = Vec::new();
            if let Some(n) = &ch.name {
                row.name = name_text(n, "role name")?;
                changed.push("Name");
            }
            if let Some(g) = &ch.group_name {
                row.group_name = name_text(g, "group name")?;
                changed.push("GroupName");
            }
            if let Some(m) = ch.maximum {
                row.max_seconds = secs(Some(m)).unwrap_or(1);
                changed.push("MaximumAccessDuration");
            }
            if let Some(d) = ch.default {
                row.default_seconds = secs(d);
                changed.push("DefaultAccessDuration");
            }
            if let Some(v) = ch.allow_extension {
                row.allow_extension = v;
                changed.push("AllowExtension");
            }
            if let Some(v) = ch.enabled {
                row.disabled = !v;
                changed.push("Enabled");
            }
            let common = CommonChanges {
                description: ch.description.as_deref(),
                notes: ch.notes.as_deref(),
                rule_expiry: ch.rule_expiry,
                reason_requirement: ch.reason_requirement,
                notify_success: ch.notify_success.as_deref(),
                notify_failure: ch.notify_failure.as_deref(),
                site_name: ch.site_name.as_ref(),
                domain_controller_name: ch.domain_controller_name.as_ref(),
            };
            let fields = CommonFields {
                description: &mut row.description,
                notes: &mut row.notes,
                rule_expiry: &mut row.rule_expiry,
                reason_requirement: &mut row.reason_requirement,
                notify_success: &mut row.notify_success,
                notify_failure: &mut row.notify_failure,
                site_name: &mut row.site_name,
                domain_controller_name: &mut row.domain_controller_name,
            };
            apply_common(fields, &common, now_t, &mut changed)?;
            check_default_max(row.default_seconds, Some(row.max_seconds), "role")?;
            let mut add = jit_changes(&ch.add_allowed, AceKind::Allow);
            add.extend(jit_changes(&ch.add_denied, AceKind::Deny));
            let mut remove = jit_changes(&ch.remove_allowed, AceKind::Allow);
            remove.extend(jit_changes(&ch.remove_denied, AceKind::Deny));
            let (added, removed) = change_principals(tx, PrincipalTable::Role, &row.id, &add, &remove, &now)?;
            changed.extend(approvals::apply_approval(tx, &row.id, RuleKind::Role, &ch.approval, &now)?);
            row.modified_at = now.clone();
            row.modified_by = self.actor().to_string();
            let name = row.name.clone();
            tx.update_role_rule(&row).map_err(|e| on_unique(e, || role_exists(&name)))?;
            audit::record(
                self,
                tx,
                Event::success("role_rule.set", "role_rule", &row.id).details(serde_json::json!({
                    "Changed": changed, "PrincipalsAdded": added, "PrincipalsRemoved": removed,
                })),
            )?;
            let principals = tx.rule_principals(PrincipalTable::Role, Some(&row.id))?;
            let mut info = role_rule_info(&row, &principals);
            info.approval = approvals::approval_info(tx, &row.id)?;
            Ok(info)
        })
    }

    /// Deletes a role authorization rule (an enabled one needs `force`).
    pub fn role_rule_remove(&self, id: &str, force: bool) -> Result<()> {
        self.store.write(|tx| {
            let row = require_role_rule(tx, id)?;
            check_remove(row.disabled, force, "role rule", "who may request the role", &row.id)?;
            tx.delete_role_rule(&row.id)?;
            approvals::remove_approval(tx, &row.id)?;
            audit::record(
                self,
                tx,
                Event::success("role_rule.remove", "role_rule", &row.id)
                    .details(serde_json::json!({"Name": row.name, "GroupName": row.group_name})),
            )
        })
    }
}

/// Audits the approval settings a new rule was created with (the rule's own record says what the
/// rule is; this one names the approval settings and approvers).
fn audit_approval(ams: &Ams, tx: &Tx<'_>, event: &str, target_type: &str, id: &str) -> Result<()> {
    let info = approvals::approval_info(tx, id)?;
    audit::record(
        ams,
        tx,
        Event::success(event, target_type, id).details(serde_json::json!({
            "Changed": ["ApprovalRequired", "Approvers"],
            "Approvers": info.approvers.iter().map(|a| a.sid.clone()).collect::<Vec<_>>(),
            "ApprovalWaitDuration": info.approval_wait_duration,
            "ApprovalAccessWindow": info.approval_access_window,
        })),
    )
}

/// Drops repeated (access type, kind, SID) entries, keeping the first (and its name).
pub(crate) fn dedup_principals(rows: &mut Vec<RulePrincipalRow>) {
    let mut seen = std::collections::HashSet::new();
    rows.retain(|p| seen.insert((p.access_type.clone(), p.ace.clone(), p.sid.to_ascii_uppercase())));
}
