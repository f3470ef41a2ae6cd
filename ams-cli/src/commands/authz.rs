//! Authorization: `ams computer-authorization-rule ...` (New/Get/Set/Remove-AmsComputerAuthorizationRule
//! and `import`), `ams role-authorization-rule ...` (New/Get/Set/Remove-AmsRoleAuthorizationRule),
//! `ams effective-access get` and `ams access request`.

use std::path::PathBuf;

use ams_core::authz::duration::{parse_date, parse_duration};
use ams_core::authz::{AccessType, AceKind, ReasonRequirement};
use ams_core::service::access::{AccessQuery, AccessRequest, DirectoryInfo};
use ams_core::service::approvals::{AccessRequestQuery, ApprovalChanges, DecisionRequest, RequestState};
use ams_core::service::devices::DeviceSelector;
use ams_core::service::directory_import::DirectoryImportOptions;
use ams_core::service::rule_import::ImportOptions;
use ams_core::service::rules::{
    ComputerRuleChanges, ComputerRuleSettings, NewComputerRule, NewRoleRule, PrincipalChange, RoleRuleChanges,
    ScriptSource, TargetSpec,
};
use ams_core::{Error, ErrorCode, Result};
use clap::{ArgGroup, Args, Subcommand};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use super::{Ctx, to_json};

const REASON_VALUES: [&str; 3] = ["Hidden", "Optional", "Required"];

// ---------------------------------------------------------------- computer rules

#[derive(Debug, Subcommand)]
pub enum ComputerRuleCommand {
    /// Create a computer authorization rule for one target (AMS device or group, AD computer, group
    /// or container, Entra tenant, group or device), authorized by principals or by a script.
    New(Box<ComputerRuleNewArgs>),
    /// List computer authorization rules, or show one by id.
    Get(ComputerRuleGetArgs),
    /// Change a computer authorization rule: target, principals, script, durations, expiry, state.
    Set(Box<ComputerRuleSetArgs>),
    /// Delete a computer authorization rule (an enabled rule needs --force).
    Remove(RuleRemoveArgs),
    /// Import rules from a CSV file of computer,principal lines, or from the LAPS permissions of OUs in the directory (a dry run unless --apply).
    Import(Box<ComputerRuleImportArgs>),
}

/// A rule's target: one of these (Entra groups and devices also need the tenant). `new` requires
/// one (the `target` group on `ComputerRuleNewArgs`); on `set`, one moves the rule.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Entra tenant id; alone it targets every device of the tenant.
    #[arg(long)]
    pub aad_tenant_id: Option<String>,
    /// Object id of an Entra group of devices (with --aad-tenant-id).
    #[arg(long, requires = "aad_tenant_id", conflicts_with = "aad_computer_id")]
    pub aad_group_id: Option<String>,
    /// Object id of an Entra device (with --aad-tenant-id).
    #[arg(long, requires = "aad_tenant_id")]
    pub aad_computer_id: Option<String>,
    /// AD computer SID, optionally with a name for display: S-1-5-21-...=CORP\PC1$.
    #[arg(long)]
    pub ad_computer: Option<String>,
    /// AD group SID (its member computers), optionally =CORP\Group.
    #[arg(long)]
    pub ad_group: Option<String>,
    /// Distinguished name of an AD OU or container (its computers, at any depth).
    #[arg(long)]
    pub ad_container: Option<String>,
    /// Id of a device registered with ams.
    #[arg(long)]
    pub ams_computer_id: Option<String>,
    /// Id or SID of an ams group, custom or built-in.
    #[arg(long)]
    pub ams_group_id: Option<String>,
}

/// The target flags, for the groups that make exactly one of them required (`new`) or optional (`set`).
const TARGET_FLAGS: [&str; 6] =
    ["aad_tenant_id", "ad_computer", "ad_group", "ad_container", "ams_computer_id", "ams_group_id"];

impl TargetArgs {
    /// The target named, if any.
    fn given(&self) -> Option<TargetSpec> {
        if let Some(t) = &self.aad_tenant_id {
            let tenant_id = t.clone();
            return Some(match (&self.aad_group_id, &self.aad_computer_id) {
                (Some(g), _) => TargetSpec::AadGroup { tenant_id, group_id: g.clone() },
                (None, Some(c)) => TargetSpec::AadComputer { tenant_id, computer_id: c.clone() },
                (None, None) => TargetSpec::AadTenant { tenant_id },
            });
        }
        self.ad_computer
            .clone()
            .map(TargetSpec::AdComputer)
            .or_else(|| self.ad_group.clone().map(TargetSpec::AdGroup))
            .or_else(|| self.ad_container.clone().map(TargetSpec::AdContainer))
            .or_else(|| self.ams_computer_id.clone().map(TargetSpec::AmsComputer))
            .or_else(|| self.ams_group_id.clone().map(TargetSpec::AmsGroup))
    }

    /// The target of a new rule (clap has already required one).
    fn spec(&self) -> Result<TargetSpec> {
        self.given().ok_or_else(|| Error::new(ErrorCode::UsageError, "Name the rule's target."))
    }
}

/// Allowed and denied principals per access type (repeat a flag for several). A principal is a
/// SID, optionally with a display name: S-1-5-21-...-1104=CORP\LapsReaders.
#[derive(Debug, Args)]
pub struct PrincipalArgs {
    /// Principals allowed to read the current LAPS password.
    #[arg(long, num_args = 1)]
    pub principals_allowed_laps: Vec<String>,
    /// Principals denied the current LAPS password.
    #[arg(long, num_args = 1)]
    pub principals_denied_laps: Vec<String>,
    /// Principals allowed to read the LAPS password history.
    #[arg(long, num_args = 1)]
    pub principals_allowed_laps_history: Vec<String>,
    /// Principals denied the LAPS password history.
    #[arg(long, num_args = 1)]
    pub principals_denied_laps_history: Vec<String>,
    /// Principals allowed to read BitLocker recovery keys.
    #[arg(long, num_args = 1)]
    pub principals_allowed_bit_locker: Vec<String>,
    /// Principals denied BitLocker recovery keys.
    #[arg(long, num_args = 1)]
    pub principals_denied_bit_locker: Vec<String>,
    /// Principals allowed JIT access (AD targets only).
    #[arg(long, num_args = 1)]
    pub principals_allowed_jit: Vec<String>,
    /// Principals denied JIT access (AD targets only).
    #[arg(long, num_args = 1)]
    pub principals_denied_jit: Vec<String>,
    /// Principals allowed to approve RapidLAPS log-ins.
    #[arg(long, num_args = 1)]
    pub principals_allowed_rapid_laps_login: Vec<String>,
    /// Principals denied RapidLAPS log-ins.
    #[arg(long, num_args = 1)]
    pub principals_denied_rapid_laps_login: Vec<String>,
    /// Principals allowed to approve RapidLAPS elevations.
    #[arg(long, num_args = 1)]
    pub principals_allowed_rapid_laps_elevation: Vec<String>,
    /// Principals denied RapidLAPS elevations.
    #[arg(long, num_args = 1)]
    pub principals_denied_rapid_laps_elevation: Vec<String>,
}

fn changes(lists: [(&Vec<String>, AccessType, AceKind); 12]) -> Vec<PrincipalChange> {
    lists
        .into_iter()
        .flat_map(|(list, access_type, kind)| {
            list.iter().map(move |p| PrincipalChange { access_type, kind, principal: p.clone() })
        })
        .collect()
}

impl PrincipalArgs {
    fn changes(&self) -> Vec<PrincipalChange> {
        use AccessType as A;
        use AceKind::{Allow, Deny};
        changes([
            (&self.principals_allowed_laps, A::Laps, Allow),
            (&self.principals_denied_laps, A::Laps, Deny),
            (&self.principals_allowed_laps_history, A::LapsHistory, Allow),
            (&self.principals_denied_laps_history, A::LapsHistory, Deny),
            (&self.principals_allowed_bit_locker, A::BitLocker, Allow),
            (&self.principals_denied_bit_locker, A::BitLocker, Deny),
            (&self.principals_allowed_jit, A::Jit, Allow),
            (&self.principals_denied_jit, A::Jit, Deny),
            (&self.principals_allowed_rapid_laps_login, A::RapidLapsLogin, Allow),
            (&self.principals_denied_rapid_laps_login, A::RapidLapsLogin, Deny),
            (&self.principals_allowed_rapid_laps_elevation, A::RapidLapsElevation, Allow),
            (&self.principals_denied_rapid_laps_elevation, A::RapidLapsElevation, Deny),
        ])
    }
}

/// Settings shared by `new` and `set`. Durations are h:mm:ss, d.hh:mm:ss or ISO 8601 (PT1H);
/// dates are yyyy-mm-dd (midnight UTC) or RFC 3339. On `set`, an empty value clears a setting.
#[derive(Debug, Args)]
pub struct RuleSettingArgs {
    /// Longest LAPS access; the password expires this long after it is read.
    #[arg(long, value_name = "DURATION")]
    pub laps_maximum_access_duration: Option<String>,
    /// LAPS access granted when the requester asks for no duration.
    #[arg(long, value_name = "DURATION")]
    pub laps_default_access_duration: Option<String>,
    /// A repeated request before the access ends may extend it (bare flag: true).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", value_parser = clap::value_parser!(bool))]
    pub laps_allow_extension: Option<bool>,
    /// Group a JIT user joins; may use %computerName% and %computerDomain% (AD targets only).
    #[arg(long)]
    pub jit_group_name: Option<String>,
    /// Longest JIT access (AD targets only).
    #[arg(long, value_name = "DURATION")]
    pub jit_maximum_access_duration: Option<String>,
    /// JIT access granted when the requester asks for no duration (AD targets only).
    #[arg(long, value_name = "DURATION")]
    pub jit_default_access_duration: Option<String>,
    /// A repeated JIT request before the access ends may extend it (AD targets only; bare flag: true).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", value_parser = clap::value_parser!(bool))]
    pub jit_allow_extension: Option<bool>,
    /// Description (shown in decisions and audit records).
    #[arg(long)]
    pub description: Option<String>,
    /// When the rule stops applying.
    #[arg(long, value_name = "DATE")]
    pub rule_expiry_date: Option<String>,
    /// Notes for administrators.
    #[arg(long)]
    pub notes: Option<String>,
    /// Whether requesters must give a reason.
    #[arg(long, value_parser = REASON_VALUES, ignore_case = true)]
    pub user_request_reason_requirement: Option<String>,
    /// Notification channels (ids or names) told on success (repeat the flag for several).
    #[arg(long, num_args = 1)]
    pub notification_channels_success: Vec<String>,
    /// Notification channels (ids or names) told on failure (repeat the flag for several).
    #[arg(long, num_args = 1)]
    pub notification_channels_failure: Vec<String>,
    /// The domain controller on which JIT changes are made (AD targets only).
    #[arg(long)]
    pub domain_controller_name: Option<String>,
    /// Do not ask the computer which DC it uses for JIT changes (AD targets only; bare flag: true).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", value_parser = clap::value_parser!(bool))]
    pub do_not_use_remote_dc_locator: Option<bool>,
    /// The AD site whose DC makes JIT changes (AD targets only).
    #[arg(long)]
    pub site_name: Option<String>,
}

/// Approval settings of a new rule (docs/approvals.md).
#[derive(Debug, Args)]
pub struct ApprovalArgs {
    /// true makes requests under the rule wait for an approver (bare flag: true).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", value_parser = clap::value_parser!(bool))]
    pub approval_required: Option<bool>,
    /// Who may approve or deny requests: a SID, optionally =NAME (repeat for several).
    #[arg(long, num_args = 1)]
    pub approvers: Vec<String>,
    /// How long a request may wait for a decision (default 1 day; 1 minute to 30 days).
    #[arg(long, value_name = "DURATION")]
    pub approval_wait_duration: Option<String>,
    /// How long after approval the requester may fetch the access, once (default 1 hour; 1 minute to 7 days).
    #[arg(long, value_name = "DURATION")]
    pub approval_access_window: Option<String>,
}

impl ApprovalArgs {
    fn changes(&self) -> Result<ApprovalChanges> {
        Ok(ApprovalChanges {
            required: self.approval_required,
            add_approvers: self.approvers.clone(),
            remove_approvers: Vec::new(),
            wait: self.approval_wait_duration.as_deref().map(parse_duration).transpose()?,
            access_window: self.approval_access_window.as_deref().map(parse_duration).transpose()?,
        })
    }
}

/// Changes to a rule's approval settings (docs/approvals.md).
#[derive(Debug, Args)]
pub struct ApprovalChangeArgs {
    /// true makes requests under the rule wait for an approver; false removes the requirement and
    /// its approvers (bare flag: true).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", value_parser = clap::value_parser!(bool))]
    pub approval_required: Option<bool>,
    /// Add an approver: a SID, optionally =NAME (repeat for several).
    #[arg(long, num_args = 1)]
    pub add_approvers: Vec<String>,
    /// Remove an approver, by SID (repeat for several).
    #[arg(long, num_args = 1)]
    pub remove_approvers: Vec<String>,
    /// How long a request may wait for a decision (1 minute to 30 days).
    #[arg(long, value_name = "DURATION")]
    pub approval_wait_duration: Option<String>,
    /// How long after approval the requester may fetch the access, once (1 minute to 7 days).
    #[arg(long, value_name = "DURATION")]
    pub approval_access_window: Option<String>,
}

impl ApprovalChangeArgs {
    fn changes(&self) -> Result<ApprovalChanges> {
        Ok(ApprovalChanges {
            required: self.approval_required,
            add_approvers: self.add_approvers.clone(),
            remove_approvers: self.remove_approvers.clone(),
            wait: self.approval_wait_duration.as_deref().map(parse_duration).transpose()?,
            access_window: self.approval_access_window.as_deref().map(parse_duration).transpose()?,
        })
    }
}

fn duration_opt(v: &Option<String>) -> Result<Option<Option<Duration>>> {
    match v.as_deref().map(str::trim) {
        None => Ok(None),
        Some("") => Ok(Some(None)),
        Some(s) => Ok(Some(Some(parse_duration(s)?))),
    }
}

fn date_opt(v: &Option<String>) -> Result<Option<Option<OffsetDateTime>>> {
    match v.as_deref().map(str::trim) {
        None => Ok(None),
        Some("") => Ok(Some(None)),
        Some(s) => Ok(Some(Some(parse_date(s)?))),
    }
}

fn text_opt(v: &Option<String>) -> Option<Option<String>> {
    v.as_ref().map(|s| Some(s.clone()).filter(|s| !s.trim().is_empty()))
}

fn list_opt(v: &[String]) -> Option<Vec<String>> {
    (!v.is_empty()).then(|| v.iter().filter(|s| !s.trim().is_empty()).cloned().collect())
}

fn reason_opt(v: &Option<String>) -> Result<Option<ReasonRequirement>> {
    v.as_deref().map(ReasonRequirement::parse).transpose()
}

impl RuleSettingArgs {
    fn settings(&self) -> Result<ComputerRuleSettings> {
        Ok(ComputerRuleSettings {
            laps_default: duration_opt(&self.laps_default_access_duration)?,
            laps_max: duration_opt(&self.laps_maximum_access_duration)?,
            laps_allow_extension: self.laps_allow_extension,
            jit_group_name: text_opt(&self.jit_group_name),
            jit_default: duration_opt(&self.jit_default_access_duration)?,
            jit_max: duration_opt(&self.jit_maximum_access_duration)?,
            jit_allow_extension: self.jit_allow_extension,
            do_not_use_remote_dc_locator: self.do_not_use_remote_dc_locator,
            site_name: text_opt(&self.site_name),
            domain_controller_name: text_opt(&self.domain_controller_name),
            description: self.description.clone(),
            notes: self.notes.clone(),
            rule_expiry: date_opt(&self.rule_expiry_date)?,
            disabled: None,
            reason_requirement: reason_opt(&self.user_request_reason_requirement)?,
            notify_success: list_opt(&self.notification_channels_success),
            notify_failure: list_opt(&self.notification_channels_failure),
            approval: ApprovalChanges::default(),
        })
    }
}

fn read_script(path: &PathBuf) -> Result<ScriptSource> {
    let meta = std::fs::metadata(path).map_err(|e| Error::from(e).with("path", path.display()))?;
    if meta.len() > ams_core::service::rules::MAX_SCRIPT_BYTES as u64 {
        return Err(Error::new(ErrorCode::ScriptInvalid, "The authorization script is larger than 1 MiB.")
            .with("path", path.display()));
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::from(e).with("path", path.display()))?;
    Ok(ScriptSource { path: path.display().to_string(), text })
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(TARGET_FLAGS)))]
pub struct ComputerRuleNewArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// A PowerShell authorization script (defining Get-AuthorizationResponse) imported into the
    /// rule instead of principals. Script rules are stored but not evaluated by this build.
    #[arg(long, value_name = "FILE", conflicts_with_all = [
        "principals_allowed_laps", "principals_denied_laps", "principals_allowed_laps_history",
        "principals_denied_laps_history", "principals_allowed_bit_locker", "principals_denied_bit_locker",
        "principals_allowed_jit", "principals_denied_jit", "principals_allowed_rapid_laps_login",
        "principals_denied_rapid_laps_login", "principals_allowed_rapid_laps_elevation",
        "principals_denied_rapid_laps_elevation"])]
    pub authorization_script_path: Option<PathBuf>,
    #[command(flatten)]
    pub principals: PrincipalArgs,
    #[command(flatten)]
    pub settings: RuleSettingArgs,
    #[command(flatten)]
    pub approval: ApprovalArgs,
    /// false creates the rule disabled (default: true, enabled).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", value_parser = clap::value_parser!(bool))]
    pub enabled: Option<bool>,
}

#[derive(Debug, Args)]
pub struct ComputerRuleGetArgs {
    /// Rule id.
    #[arg(long)]
    pub id: Option<String>,
}

#[derive(Debug, Args)]
pub struct RuleRemoveArgs {
    /// Rule id.
    #[arg(long)]
    pub id: String,
    /// Delete an enabled rule.
    #[arg(long)]
    pub force: bool,
}

/// Principals to add to or remove from the rule (repeat a flag for several).
#[derive(Debug, Args)]
pub struct PrincipalChangeArgs {
    /// Add to the LAPS allow list.
    #[arg(long, num_args = 1)]
    pub add_principals_allowed_laps: Vec<String>,
    /// Remove from the LAPS allow list.
    #[arg(long, num_args = 1)]
    pub remove_principals_allowed_laps: Vec<String>,
    /// Add to the LAPS deny list.
    #[arg(long, num_args = 1)]
    pub add_principals_denied_laps: Vec<String>,
    /// Remove from the LAPS deny list.
    #[arg(long, num_args = 1)]
    pub remove_principals_denied_laps: Vec<String>,
    /// Add to the LAPS history allow list.
    #[arg(long, num_args = 1)]
    pub add_principals_allowed_laps_history: Vec<String>,
    /// Remove from the LAPS history allow list.
    #[arg(long, num_args = 1)]
    pub remove_principals_allowed_laps_history: Vec<String>,
    /// Add to the LAPS history deny list.
    #[arg(long, num_args = 1)]
    pub add_principals_denied_laps_history: Vec<String>,
    /// Remove from the LAPS history deny list.
    #[arg(long, num_args = 1)]
    pub remove_principals_denied_laps_history: Vec<String>,
    /// Add to the BitLocker allow list.
    #[arg(long, num_args = 1)]
    pub add_principals_allowed_bit_locker: Vec<String>,
    /// Remove from the BitLocker allow list.
    #[arg(long, num_args = 1)]
    pub remove_principals_allowed_bit_locker: Vec<String>,
    /// Add to the BitLocker deny list.
    #[arg(long, num_args = 1)]
    pub add_principals_denied_bit_locker: Vec<String>,
    /// Remove from the BitLocker deny list.
    #[arg(long, num_args = 1)]
    pub remove_principals_denied_bit_locker: Vec<String>,
    /// Add to the JIT allow list (AD targets only).
    #[arg(long, num_args = 1)]
    pub add_principals_allowed_jit: Vec<String>,
    /// Remove from the JIT allow list.
    #[arg(long, num_args = 1)]
    pub remove_principals_allowed_jit: Vec<String>,
    /// Add to the JIT deny list (AD targets only).
    #[arg(long, num_args = 1)]
    pub add_principals_denied_jit: Vec<String>,
    /// Remove from the JIT deny list.
    #[arg(long, num_args = 1)]
    pub remove_principals_denied_jit: Vec<String>,
    /// Add to the RapidLAPS log-in allow list.
    #[arg(long, num_args = 1)]
    pub add_principals_allowed_rapid_laps_login: Vec<String>,
    /// Remove from the RapidLAPS log-in allow list.
    #[arg(long, num_args = 1)]
    pub remove_principals_allowed_rapid_laps_login: Vec<String>,
    /// Add to the RapidLAPS log-in deny list.
    #[arg(long, num_args = 1)]
    pub add_principals_denied_rapid_laps_login: Vec<String>,
    /// Remove from the RapidLAPS log-in deny list.
    #[arg(long, num_args = 1)]
    pub remove_principals_denied_rapid_laps_login: Vec<String>,
    /// Add to the RapidLAPS elevation allow list.
    #[arg(long, num_args = 1)]
    pub add_principals_allowed_rapid_laps_elevation: Vec<String>,
    /// Remove from the RapidLAPS elevation allow list.
    #[arg(long, num_args = 1)]
    pub remove_principals_allowed_rapid_laps_elevation: Vec<String>,
    /// Add to the RapidLAPS elevation deny list.
    #[arg(long, num_args = 1)]
    pub add_principals_denied_rapid_laps_elevation: Vec<String>,
    /// Remove from the RapidLAPS elevation deny list.
    #[arg(long, num_args = 1)]
    pub remove_principals_denied_rapid_laps_elevation: Vec<String>,
}

impl PrincipalChangeArgs {
    fn adds(&self) -> Vec<PrincipalChange> {
        use AccessType as A;
        use AceKind::{Allow, Deny};
        changes([
            (&self.add_principals_allowed_laps, A::Laps, Allow),
            (&self.add_principals_denied_laps, A::Laps, Deny),
            (&self.add_principals_allowed_laps_history, A::LapsHistory, Allow),
            (&self.add_principals_denied_laps_history, A::LapsHistory, Deny),
            (&self.add_principals_allowed_bit_locker, A::BitLocker, Allow),
            (&self.add_principals_denied_bit_locker, A::BitLocker, Deny),
            (&self.add_principals_allowed_jit, A::Jit, Allow),
            (&self.add_principals_denied_jit, A::Jit, Deny),
            (&self.add_principals_allowed_rapid_laps_login, A::RapidLapsLogin, Allow),
            (&self.add_principals_denied_rapid_laps_login, A::RapidLapsLogin, Deny),
            (&self.add_principals_allowed_rapid_laps_elevation, A::RapidLapsElevation, Allow),
            (&self.add_principals_denied_rapid_laps_elevation, A::RapidLapsElevation, Deny),
        ])
    }

    fn removes(&self) -> Vec<PrincipalChange> {
        use AccessType as A;
        use AceKind::{Allow, Deny};
        changes([
            (&self.remove_principals_allowed_laps, A::Laps, Allow),
            (&self.remove_principals_denied_laps, A::Laps, Deny),
            (&self.remove_principals_allowed_laps_history, A::LapsHistory, Allow),
            (&self.remove_principals_denied_laps_history, A::LapsHistory, Deny),
            (&self.remove_principals_allowed_bit_locker, A::BitLocker, Allow),
            (&self.remove_principals_denied_bit_locker, A::BitLocker, Deny),
            (&self.remove_principals_allowed_jit, A::Jit, Allow),
            (&self.remove_principals_denied_jit, A::Jit, Deny),
            (&self.remove_principals_allowed_rapid_laps_login, A::RapidLapsLogin, Allow),
            (&self.remove_principals_denied_rapid_laps_login, A::RapidLapsLogin, Deny),
            (&self.remove_principals_allowed_rapid_laps_elevation, A::RapidLapsElevation, Allow),
            (&self.remove_principals_denied_rapid_laps_elevation, A::RapidLapsElevation, Deny),
        ])
    }
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("new_target").required(false).args(TARGET_FLAGS)))]
pub struct ComputerRuleSetArgs {
    /// Rule id.
    #[arg(long)]
    pub id: String,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Replace the rule's authorization script (an ACL rule becomes a script rule and loses its principals).
    #[arg(long, value_name = "FILE")]
    pub authorization_script_path: Option<PathBuf>,
    #[command(flatten)]
    pub principals: PrincipalChangeArgs,
    #[command(flatten)]
    pub settings: RuleSettingArgs,
    #[command(flatten)]
    pub approval: ApprovalChangeArgs,
    /// true enables the rule, false disables it (bare flag: true).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", value_parser = clap::value_parser!(bool))]
    pub enabled: Option<bool>,
    /// Locate the DC for JIT changes automatically again (clears --site-name,
    /// --domain-controller-name and --do-not-use-remote-dc-locator).
    #[arg(long, conflicts_with_all = ["site_name", "domain_controller_name", "do_not_use_remote_dc_locator"])]
    pub auto_dc_locator: bool,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("source").required(true).args(["csv", "from_directory"])))]
pub struct ComputerRuleImportArgs {
    /// The CSV file: computer,principal per line (an optional Computer,Principal header; extra
    /// columns ignored). Computers are ams device names, AD computer SIDs or OU DNs; principals are SIDs.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Read who may read LAPS passwords from the security descriptors of the OUs in the directory (`ams jit directory set`) and propose one rule per OU.
    #[arg(long)]
    pub from_directory: bool,
    /// With --from-directory: the subtree whose OUs are read (default: the directory's base DN).
    #[arg(long, value_name = "DN", requires = "from_directory")]
    pub base_dn: Option<String>,
    /// With --from-directory: the schema naming context (default: the directory's schemaNamingContext).
    #[arg(long, value_name = "DN", requires = "from_directory")]
    pub schema_dn: Option<String>,
    /// With --from-directory: a principal (SID) to leave out, such as the ams service account (repeat for several).
    #[arg(long, value_name = "SID", num_args = 1, requires = "from_directory")]
    pub ignore_principal: Vec<String>,
    /// Write the rules (without it, only report what would be written).
    #[arg(long)]
    pub apply: bool,
    /// With --apply: import the good lines even when some are bad.
    #[arg(long)]
    pub skip_bad_lines: bool,
    /// Add principals to an existing ACL rule with the same target instead of creating a rule.
    #[arg(long)]
    pub merge: bool,
    /// Access granted to each principal (repeat for several; default laps).
    #[arg(long, num_args = 1, value_parser = ["laps", "laps-history", "bitlocker", "jit", "rapid-laps-login", "rapid-laps-elevation"], ignore_case = true)]
    pub access_type: Vec<String>,
    /// Longest LAPS access for the rules created.
    #[arg(long, value_name = "DURATION")]
    pub laps_maximum_access_duration: Option<String>,
    /// Default LAPS access for the rules created.
    #[arg(long, value_name = "DURATION")]
    pub laps_default_access_duration: Option<String>,
    /// Description of the rules created.
    #[arg(long)]
    pub description: Option<String>,
    /// Notes of the rules created (default: where they came from).
    #[arg(long)]
    pub notes: Option<String>,
    /// false creates the rules disabled (default: true, enabled).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", value_parser = clap::value_parser!(bool))]
    pub enabled: Option<bool>,
    /// Whether requesters must give a reason.
    #[arg(long, value_parser = REASON_VALUES, ignore_case = true)]
    pub user_request_reason_requirement: Option<String>,
}

pub fn run_computer(ctx: &Ctx, c: ComputerRuleCommand) -> Result<Value> {
    let ams = ctx.open()?;
    match c {
        ComputerRuleCommand::New(a) => {
            let mut settings = a.settings.settings()?;
            settings.disabled = Some(!a.enabled.unwrap_or(true));
            settings.approval = a.approval.changes()?;
            let req = NewComputerRule {
                target: a.target.spec()?,
                script: a.authorization_script_path.as_ref().map(read_script).transpose()?,
                principals: a.principals.changes(),
                settings,
            };
            to_json(&ams.computer_rule_new(&req)?)
        }
        ComputerRuleCommand::Get(a) => to_json(&ams.computer_rules(a.id.as_deref())?),
        ComputerRuleCommand::Set(a) => {
            let mut settings = a.settings.settings()?;
            settings.disabled = a.enabled.map(|enabled| !enabled);
            settings.approval = a.approval.changes()?;
            let ch = ComputerRuleChanges {
                target: a.target.given(),
                script: a.authorization_script_path.as_ref().map(read_script).transpose()?,
                add: a.principals.adds(),
                remove: a.principals.removes(),
                settings,
                auto_dc_locator: a.auto_dc_locator,
            };
            to_json(&ams.computer_rule_set(&a.id, &ch)?)
        }
        ComputerRuleCommand::Remove(a) => {
            ams.computer_rule_remove(&a.id, a.force)?;
            Ok(json!({}))
        }
        ComputerRuleCommand::Import(a) => {
            let access_types = if a.access_type.is_empty() {
                vec![AccessType::Laps]
            } else {
                a.access_type.iter().map(|t| AccessType::parse(t)).collect::<Result<Vec<_>>>()?
            };
            let opts = ImportOptions {
                access_types,
                settings: ComputerRuleSettings {
                    laps_max: duration_opt(&a.laps_maximum_access_duration)?,
                    laps_default: duration_opt(&a.laps_default_access_duration)?,
                    description: a.description.clone(),
                    notes: a.notes.clone(),
                    disabled: a.enabled.is_some_and(|enabled| !enabled).then_some(true),
                    reason_requirement: reason_opt(&a.user_request_reason_requirement)?,
                    ..Default::default()
                },
                merge: a.merge,
                apply: a.apply,
                skip_bad_lines: a.skip_bad_lines,
            };
            if a.from_directory {
                let keyring = ams.unlock()?;
                let from = DirectoryImportOptions {
                    base_dn: a.base_dn.clone(),
                    schema_dn: a.schema_dn.clone(),
                    ignore_principals: a.ignore_principal.clone(),
                };
                return to_json(&ams.computer_rule_import_from_directory(&keyring, &from, &opts)?);
            }
            let path = a
                .csv
                .as_ref()
                .ok_or_else(|| Error::new(ams_core::ErrorCode::UsageError, "Give --csv FILE or --from-directory."))?;
            let bytes = std::fs::read(path).map_err(|e| Error::from(e).with("path", path.display()))?;
            to_json(&ams.computer_rule_import_csv(&bytes, &opts)?)
        }
    }
}

// ---------------------------------------------------------------- role rules

#[derive(Debug, Subcommand)]
pub enum RoleRuleCommand {
    /// Create a role authorization rule: who may request JIT membership of an AD group, for how long.
    New(Box<RoleRuleNewArgs>),
    /// List role authorization rules, or find one by name or id.
    Get(RoleRuleGetArgs),
    /// Change a role authorization rule: name, principals, group, durations, state.
    Set(Box<RoleRuleSetArgs>),
    /// Delete a role authorization rule (an enabled rule needs --force).
    Remove(RuleRemoveArgs),
}

#[derive(Debug, Args)]
pub struct RoleRuleNewArgs {
    /// Role name shown to users (unique).
    #[arg(long)]
    pub name: String,
    #[command(flatten)]
    pub approval: ApprovalArgs,
    /// Principals (SIDs, optionally =NAME) allowed to request the role (repeat for several).
    #[arg(long, num_args = 1, required = true)]
    pub principals_allowed_jit: Vec<String>,
    /// Principals denied the role (repeat for several).
    #[arg(long, num_args = 1)]
    pub principals_denied_jit: Vec<String>,
    /// The AD group users join (DOMAIN\Group or a SID; kept as given for the JIT engine).
    #[arg(long)]
    pub group_name: String,
    /// Longest time the role may be held.
    #[arg(long, value_name = "DURATION")]
    pub maximum_access_duration: String,
    /// Duration offered by default (no longer than the maximum).
    #[arg(long, value_name = "DURATION")]
    pub default_access_duration: Option<String>,
    /// A repeated request before the access ends may extend it (bare flag: true).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", value_parser = clap::value_parser!(bool))]
    pub allow_extension: Option<bool>,
    /// Description shown to users.
    #[arg(long)]
    pub description: Option<String>,
    /// When the rule stops applying (yyyy-mm-dd or RFC 3339).
    #[arg(long, value_name = "DATE")]
    pub rule_expiry_date: Option<String>,
    /// false creates the rule disabled (default: true, enabled).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", value_parser = clap::value_parser!(bool))]
    pub enabled: Option<bool>,
    /// Notes for administrators.
    #[arg(long)]
    pub notes: Option<String>,
    /// Whether requesters must give a reason.
    #[arg(long, value_parser = REASON_VALUES, ignore_case = true)]
    pub user_request_reason_requirement: Option<String>,
    /// Notification channels told when the role is granted (repeat for several).
    #[arg(long, num_args = 1)]
    pub notification_channels_success: Vec<String>,
    /// Notification channels told when a request is denied (repeat for several).
    #[arg(long, num_args = 1)]
    pub notification_channels_failure: Vec<String>,
    /// The AD site whose DC makes the group change.
    #[arg(long)]
    pub site_name: Option<String>,
    /// The DC on which the group change is made.
    #[arg(long)]
    pub domain_controller_name: Option<String>,
}

#[derive(Debug, Args)]
pub struct RoleRuleGetArgs {
    /// Role name.
    #[arg(long, conflicts_with = "id")]
    pub name: Option<String>,
    /// Rule id.
    #[arg(long)]
    pub id: Option<String>,
}

#[derive(Debug, Args)]
pub struct RoleRuleSetArgs {
    /// Rule id.
    #[arg(long)]
    pub id: String,
    #[command(flatten)]
    pub approval: ApprovalChangeArgs,
    /// New role name.
    #[arg(long)]
    pub name: Option<String>,
    /// Add to the allow list (repeat for several).
    #[arg(long, num_args = 1)]
    pub add_principals_allowed_jit: Vec<String>,
    /// Remove from the allow list (repeat for several).
    #[arg(long, num_args = 1)]
    pub remove_principals_allowed_jit: Vec<String>,
    /// Add to the deny list (repeat for several).
    #[arg(long, num_args = 1)]
    pub add_principals_denied_jit: Vec<String>,
    /// Remove from the deny list (repeat for several).
    #[arg(long, num_args = 1)]
    pub remove_principals_denied_jit: Vec<String>,
    /// New AD group.
    #[arg(long)]
    pub group_name: Option<String>,
    /// New maximum duration.
    #[arg(long, value_name = "DURATION")]
    pub maximum_access_duration: Option<String>,
    /// New default duration (empty clears it).
    #[arg(long, value_name = "DURATION")]
    pub default_access_duration: Option<String>,
    /// true lets users extend an active grant; false forbids it (bare flag: true).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", value_parser = clap::value_parser!(bool))]
    pub allow_extension: Option<bool>,
    /// New description.
    #[arg(long)]
    pub description: Option<String>,
    /// New expiry (empty clears it).
    #[arg(long, value_name = "DATE")]
    pub rule_expiry_date: Option<String>,
    /// true enables the rule, false disables it (bare flag: true).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", value_parser = clap::value_parser!(bool))]
    pub enabled: Option<bool>,
    /// New notes.
    #[arg(long)]
    pub notes: Option<String>,
    /// Whether requesters must give a reason.
    #[arg(long, value_parser = REASON_VALUES, ignore_case = true)]
    pub user_request_reason_requirement: Option<String>,
    /// Channels told when the role is granted (replaces the list).
    #[arg(long, num_args = 1)]
    pub notification_channels_success: Vec<String>,
    /// Channels told when a request is denied (replaces the list).
    #[arg(long, num_args = 1)]
    pub notification_channels_failure: Vec<String>,
    /// AD site (empty clears it).
    #[arg(long)]
    pub site_name: Option<String>,
    /// Domain controller (empty clears it).
    #[arg(long)]
    pub domain_controller_name: Option<String>,
}

pub fn run_role(ctx: &Ctx, c: RoleRuleCommand) -> Result<Value> {
    let ams = ctx.open()?;
    match c {
        RoleRuleCommand::New(a) => {
            let req = NewRoleRule {
                name: a.name.clone(),
                group_name: a.group_name.clone(),
                maximum: parse_duration(&a.maximum_access_duration)?,
                default: a.default_access_duration.as_deref().map(parse_duration).transpose()?,
                allow_extension: a.allow_extension.unwrap_or(false),
                allowed: a.principals_allowed_jit.clone(),
                denied: a.principals_denied_jit.clone(),
                description: a.description.clone(),
                rule_expiry: a.rule_expiry_date.as_deref().map(parse_date).transpose()?,
                disabled: !a.enabled.unwrap_or(true),
                notes: a.notes.clone(),
                reason_requirement: reason_opt(&a.user_request_reason_requirement)?,
                notify_success: a.notification_channels_success.clone(),
                notify_failure: a.notification_channels_failure.clone(),
                site_name: a.site_name.clone(),
                domain_controller_name: a.domain_controller_name.clone(),
                approval: a.approval.changes()?,
            };
            to_json(&ams.role_rule_new(&req)?)
        }
        RoleRuleCommand::Get(a) => to_json(&ams.role_rules(a.id.as_deref(), a.name.as_deref())?),
        RoleRuleCommand::Set(a) => {
            let ch = RoleRuleChanges {
                name: a.name.clone(),
                add_allowed: a.add_principals_allowed_jit.clone(),
                remove_allowed: a.remove_principals_allowed_jit.clone(),
                add_denied: a.add_principals_denied_jit.clone(),
                remove_denied: a.remove_principals_denied_jit.clone(),
                group_name: a.group_name.clone(),
                maximum: a.maximum_access_duration.as_deref().map(parse_duration).transpose()?,
                default: duration_opt(&a.default_access_duration)?,
                allow_extension: a.allow_extension,
                description: a.description.clone(),
                rule_expiry: date_opt(&a.rule_expiry_date)?,
                enabled: a.enabled,
                notes: a.notes.clone(),
                reason_requirement: reason_opt(&a.user_request_reason_requirement)?,
                notify_success: list_opt(&a.notification_channels_success),
                notify_failure: list_opt(&a.notification_channels_failure),
                site_name: text_opt(&a.site_name),
                domain_controller_name: text_opt(&a.domain_controller_name),
                approval: a.approval.changes()?,
            };
            to_json(&ams.role_rule_set(&a.id, &ch)?)
        }
        RoleRuleCommand::Remove(a) => {
            ams.role_rule_remove(&a.id, a.force)?;
            Ok(json!({}))
        }
    }
}

// ---------------------------------------------------------------- effective access, access request

/// Who asks about which computer, and what a directory would know about the computer.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// The computer: PC1, pc1.example.com or AUTHORITY\PC1.
    #[arg(long)]
    pub computer_name: String,
    /// The user's SID.
    #[arg(long)]
    pub user_sid: String,
    /// SIDs of the user's groups (repeat for several).
    #[arg(long, num_args = 1)]
    pub group_sid: Vec<String>,
    /// The computer's AD distinguished name (for AD container rules).
    #[arg(long)]
    pub computer_distinguished_name: Option<String>,
    /// SIDs of the AD groups the computer is in (for AD group rules; repeat for several).
    #[arg(long, num_args = 1)]
    pub computer_group_sid: Vec<String>,
    /// Object ids of the Entra groups the device is in (for Entra group rules; repeat for several).
    #[arg(long, num_args = 1)]
    pub computer_entra_group_id: Vec<String>,
}

impl QueryArgs {
    fn query(&self) -> AccessQuery {
        AccessQuery {
            computer: DeviceSelector::ComputerName(self.computer_name.clone()),
            user_sid: self.user_sid.clone(),
            group_sids: self.group_sid.clone(),
            directory: DirectoryInfo {
                distinguished_name: self.computer_distinguished_name.clone(),
                ad_group_sids: self.computer_group_sid.clone(),
                entra_group_ids: self.computer_entra_group_id.clone(),
            },
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum EffectiveAccessCommand {
    /// Show, per access type, whether a user may access a computer and which rules decide why.
    Get(QueryArgs),
}

#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Request access under the authorization rules (for trusted front ends): evaluates the rules,
    /// applies the rate limits, audits the outcome and, when granted, returns the secret (or, for
    /// jit, the group and duration; the membership change belongs to the JIT engine).
    Request(AccessRequestArgs),
    /// Approve a pending access request (a named approver other than the requester); an approved
    /// JIT request gets its group membership at once.
    Approve(AccessDecideArgs),
    /// Deny a pending access request (a named approver other than the requester).
    Deny(AccessDecideArgs),
    /// Fetch the access an approved request gave: once, by the requester, within the rule's
    /// access window.
    Get(AccessGetArgs),
    /// Access requests waiting for, or holding, an approval.
    #[command(subcommand)]
    Requests(AccessRequestsCommand),
}

#[derive(Debug, Subcommand)]
pub enum AccessRequestsCommand {
    /// List access requests, newest first (filters by id, state, requester and computer).
    Get(AccessRequestsGetArgs),
}

#[derive(Debug, Args)]
pub struct AccessDecideArgs {
    /// The request id (from `ams access request`).
    #[arg(long)]
    pub request_id: String,
    /// The approver's SID (must be named by the rule, and not be the requester).
    #[arg(long)]
    pub approver_sid: String,
    /// Why (recorded with the request and in the audit trail).
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Debug, Args)]
pub struct AccessGetArgs {
    /// The request id (from `ams access request`).
    #[arg(long)]
    pub request_id: String,
    /// The requester's SID (only the requester can fetch it).
    #[arg(long)]
    pub user_sid: String,
}

#[derive(Debug, Args)]
pub struct AccessRequestsGetArgs {
    /// One request by id.
    #[arg(long)]
    pub id: Option<String>,
    /// Only requests in this state.
    #[arg(long, value_parser = ["Pending", "Approved", "Denied", "Used", "Expired"], ignore_case = true)]
    pub state: Option<String>,
    /// Only requests made by this SID.
    #[arg(long)]
    pub requester_sid: Option<String>,
    /// Only requests for this computer: PC1, pc1.example.com or AUTHORITY\PC1.
    #[arg(long)]
    pub computer_name: Option<String>,
}

#[derive(Debug, Args)]
pub struct AccessRequestArgs {
    #[command(flatten)]
    pub query: QueryArgs,
    /// What to access.
    #[arg(long, value_parser = ["laps", "laps-history", "bitlocker", "jit"], ignore_case = true)]
    pub access_type: String,
    /// Why (required when the deciding rule says so; recorded in the audit trail).
    #[arg(long)]
    pub reason: Option<String>,
    /// The requester's IP address (for the per-address rate limit and the audit trail).
    #[arg(long)]
    pub source_address: Option<String>,
    /// Access duration asked for (capped at the rule's maximum; default: the rule's default).
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<String>,
}

pub fn run_effective(ctx: &Ctx, c: EffectiveAccessCommand) -> Result<Value> {
    let ams = ctx.open()?;
    match c {
        EffectiveAccessCommand::Get(a) => to_json(&ams.effective_access(&a.query())?),
    }
}

pub fn run_access(ctx: &Ctx, c: AccessCommand) -> Result<Value> {
    let ams = ctx.open()?;
    match c {
        AccessCommand::Request(a) => {
            let access_type = AccessType::parse(&a.access_type)?;
            let req = AccessRequest {
                query: a.query.query(),
                access_type,
                reason: a.reason.clone(),
                source_address: a.source_address.clone(),
                requested_duration: a.duration.as_deref().map(parse_duration).transpose()?,
            };
            let keyring = if access_type == AccessType::Jit && !ams.jit_directory_configured()? {
                None
            } else {
                Some(ams.unlock()?)
            };
            to_json(&ams.access_request_or_pending(keyring.as_ref(), &req)?)
        }
        AccessCommand::Approve(a) => decide(&ams, &a, true),
        AccessCommand::Deny(a) => decide(&ams, &a, false),
        AccessCommand::Get(a) => {
            let keyring = ams.unlock()?;
            to_json(&ams.access_request_fetch(Some(&keyring), &a.request_id, &a.user_sid)?)
        }
        AccessCommand::Requests(AccessRequestsCommand::Get(a)) => {
            let q = AccessRequestQuery {
                id: a.id.clone(),
                state: a.state.as_deref().map(RequestState::parse).transpose()?,
                requester_sid: a.requester_sid.clone(),
                computer: a.computer_name.clone().map(DeviceSelector::ComputerName),
            };
            to_json(&ams.access_requests(&q)?)
        }
    }
}

/// `ams access approve|deny`.
fn decide(ams: &ams_core::Ams, a: &AccessDecideArgs, approve: bool) -> Result<Value> {
    let req = DecisionRequest {
        request_id: a.request_id.clone(),
        approver_sid: a.approver_sid.clone(),
        approve,
        reason: a.reason.clone(),
    };
    // Only an approved JIT request does directory work (with the bind password).
    let keyring = if approve && ams.jit_directory_configured()? { Some(ams.unlock()?) } else { None };
    to_json(&ams.access_request_decide(keyring.as_ref(), &req)?)
}
