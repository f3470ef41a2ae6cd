//! Approvals: a computer or role rule may require a second person before the access it grants is
//! handed out. A request under such a rule becomes a stored access request (`Pending`); a named
//! approver other than the requester approves or denies it; the requester then fetches the
//! access once, within the rule's access window. JIT requests get their group membership when
//! they are approved. Every transition, and every refused attempt, is an audit record in the
//! transaction of the change; the state moves only by conditional UPDATEs, so a request is used
//! at most once even with several processes at once. See docs/approvals.md and
//! docs/adr/0012-approval-requests.md.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use time::Duration;

use crate::ams::Ams;
use crate::authz::AccessType;
use crate::authz::duration::format_duration;
use crate::authz::sid::{parse_principal, parse_sid};
use crate::clock::format_time;
use crate::crypto::seal::new_id;
use crate::error::{Error, ErrorCode, Result};
use crate::service::access::{
    AccessGrant, AccessQuery, AccessRequest, Checked, Decided, DirectoryInfo, JitGrant, check_reason,
};
use crate::service::audit::{self, Event, Outcome};
use crate::service::devices::{DeviceSelector, resolve};
use crate::service::keys::Keyring;
use crate::store::{AccessDecision, AccessRequestFilter, AccessRequestRow, ReadTx, RuleApprovalRow, Tx};

/// A request waits this long for a decision unless the rule says otherwise.
pub const DEFAULT_WAIT: Duration = Duration::days(1);
/// An approved request may be fetched this long unless the rule says otherwise.
pub const DEFAULT_ACCESS_WINDOW: Duration = Duration::hours(1);
/// Shortest wait and access window.
pub const MIN_PERIOD: Duration = Duration::minutes(1);
/// Longest wait.
pub const MAX_WAIT: Duration = Duration::days(30);
/// Longest access window.
pub const MAX_ACCESS_WINDOW: Duration = Duration::days(7);
/// Most approvers on one rule.
pub const MAX_APPROVERS: usize = 64;

/// The kind of rule an approval requirement belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// A computer authorization rule.
    Computer,
    /// A role authorization rule.
    Role,
}

impl RuleKind {
    fn as_str(self) -> &'static str {
        match self {
            RuleKind::Computer => "Computer",
            RuleKind::Role => "Role",
        }
    }
}

/// Changes to a rule's approval requirement (`None` and empty lists leave it as it is).
#[derive(Debug, Clone, Default)]
pub struct ApprovalChanges {
    /// `true` requires approval, `false` removes the requirement (and its approvers).
    pub required: Option<bool>,
    /// Approvers to add: `SID` or `SID=Display name`.
    pub add_approvers: Vec<String>,
    /// Approvers to remove (by SID).
    pub remove_approvers: Vec<String>,
    /// How long a request may wait for a decision.
    pub wait: Option<Duration>,
    /// How long after approval the requester may fetch the access, once.
    pub access_window: Option<Duration>,
}

impl ApprovalChanges {
    fn is_empty(&self) -> bool {
        self.required.is_none()
            && self.add_approvers.is_empty()
            && self.remove_approvers.is_empty()
            && self.wait.is_none()
            && self.access_window.is_none()
    }
}

/// An approver as stored and shown.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Approver {
    /// SID.
    pub sid: String,
    /// Name for display, when known.
    pub name: Option<String>,
}

/// A rule's approval requirement as shown with the rule.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleApprovalInfo {
    /// Requests under the rule wait for an approver.
    pub approval_required: bool,
    /// Who may approve or deny.
    pub approvers: Vec<Approver>,
    /// How long a request may wait.
    pub approval_wait_duration: Option<String>,
    /// How long after approval the access may be fetched.
    pub approval_access_window: Option<String>,
}

fn approvers_of(json: &str) -> Vec<Approver> {
    serde_json::from_str(json).unwrap_or_default()
}

fn info_of(r: &RuleApprovalRow) -> RuleApprovalInfo {
    RuleApprovalInfo {
        approval_required: true,
        approvers: approvers_of(&r.approvers),
        approval_wait_duration: Some(format_duration(Duration::seconds(r.wait_seconds))),
        approval_access_window: Some(format_duration(Duration::seconds(r.access_window_seconds))),
    }
}

fn setting_invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorCode::ApprovalSettingInvalid, msg)
}

fn check_period(d: Duration, max: Duration, what: &str) -> Result<i64> {
    if d < MIN_PERIOD || d > max {
        return Err(setting_invalid(format!(
            "The approval {what} must be between {} and {}.",
            format_duration(MIN_PERIOD),
            format_duration(max)
        )));
    }
    Ok(d.whole_seconds())
}

/// A rule's approval requirement, for display (the default, not required, when it has none).
pub(crate) fn approval_info(tx: &(impl ReadTx + ?Sized), rule_id: &str) -> Result<RuleApprovalInfo> {
    Ok(tx.rule_approval(rule_id)?.as_ref().map(info_of).unwrap_or_default())
}

/// Every rule's approval requirement, by rule id.
pub(crate) fn approval_infos(tx: &(impl ReadTx + ?Sized)) -> Result<HashMap<String, RuleApprovalInfo>> {
    Ok(tx.rule_approvals()?.iter().map(|r| (r.rule_id.clone(), info_of(r))).collect())
}

/// Applies approval changes to a rule inside the caller's transaction; returns the names of the
/// settings given (for the rule's audit record). Approval required needs at least one approver.
pub(crate) fn apply_approval(
    tx: &Tx<'_>,
    rule_id: &str,
    kind: RuleKind,
    ch: &ApprovalChanges,
    now: &str,
) -> Result<Vec<&'static str>> {
    if ch.is_empty() {
        return Ok(Vec::new());
    }
    let mut changed = Vec::new();
    let existing = tx.rule_approval(rule_id)?;
    if ch.required == Some(false) {
        if !ch.add_approvers.is_empty() || ch.wait.is_some() || ch.access_window.is_some() {
            return Err(setting_invalid("Approval settings were given with approval turned off.")
                .hint("Leave out the approvers, wait and window, or give --approval-required true."));
        }
        if tx.delete_rule_approval(rule_id)? {
            changed.push("ApprovalRequired");
        }
        return Ok(changed);
    }
    if existing.is_none() && ch.required != Some(true) {
        return Err(setting_invalid("The rule does not require approval, so it has no approvers, wait or window.")
            .hint("Give --approval-required true with the approvers."));
    }
    let mut approvers = existing.as_ref().map(|r| approvers_of(&r.approvers)).unwrap_or_default();
    for a in &ch.add_approvers {
        let p = parse_principal(a)?;
        if !approvers.iter().any(|x| x.sid.eq_ignore_ascii_case(&p.sid)) {
            approvers.push(Approver { sid: p.sid, name: p.name });
        }
    }
    for a in &ch.remove_approvers {
        let sid = parse_principal(a)?.sid;
        approvers.retain(|x| !x.sid.eq_ignore_ascii_case(&sid));
    }
    if approvers.is_empty() {
        return Err(setting_invalid("A rule that requires approval needs at least one approver.")
            .hint("Name approvers by SID with --approvers (new) or --add-approvers (set)."));
    }
    if approvers.len() > MAX_APPROVERS {
        return Err(setting_invalid(format!("A rule names at most {MAX_APPROVERS} approvers.")));
    }
    let wait = match ch.wait {
        Some(d) => check_period(d, MAX_WAIT, "wait")?,
        None => existing.as_ref().map_or(DEFAULT_WAIT.whole_seconds(), |r| r.wait_seconds),
    };
    let window = match ch.access_window {
        Some(d) => check_period(d, MAX_ACCESS_WINDOW, "access window")?,
        None => existing.as_ref().map_or(DEFAULT_ACCESS_WINDOW.whole_seconds(), |r| r.access_window_seconds),
    };
    if ch.required.is_some() {
        changed.push("ApprovalRequired");
    }
    if !ch.add_approvers.is_empty() || !ch.remove_approvers.is_empty() {
        changed.push("Approvers");
    }
    if ch.wait.is_some() {
        changed.push("ApprovalWaitDuration");
    }
    if ch.access_window.is_some() {
        changed.push("ApprovalAccessWindow");
    }
    let row = RuleApprovalRow {
        rule_id: rule_id.to_string(),
        rule_kind: kind.as_str().to_string(),
        approvers: serde_json::to_string(&approvers).map_err(|_| Error::internal("approver list"))?,
        wait_seconds: wait,
        access_window_seconds: window,
        modified_at: now.to_string(),
    };
    tx.put_rule_approval(&row)?;
    Ok(changed)
}

/// Removes a rule's approval requirement with the rule.
pub(crate) fn remove_approval(tx: &Tx<'_>, rule_id: &str) -> Result<()> {
    tx.delete_rule_approval(rule_id)?;
    Ok(())
}

// ---------------------------------------------------------------- requests

/// The state of a request as callers see it: the stored state, or `Expired` for a pending request
/// past its wait or an approved one past its window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RequestState {
    /// Waits for an approver.
    Pending,
    /// Approved; the requester may fetch the access once.
    Approved,
    /// Denied by an approver.
    Denied,
    /// Fetched (or, for JIT, the membership was made).
    Used,
    /// Waited too long, or the access window closed unused.
    Expired,
}

impl RequestState {
    /// Parses a state name (ignoring case).
    pub fn parse(s: &str) -> Result<RequestState> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "pending" => RequestState::Pending,
            "approved" => RequestState::Approved,
            "denied" => RequestState::Denied,
            "used" => RequestState::Used,
            "expired" => RequestState::Expired,
            _ => {
                return Err(Error::invalid("The state must be Pending, Approved, Denied, Used or Expired.")
                    .with("state", s.trim()));
            }
        })
    }

    fn stored(self) -> &'static str {
        match self {
            RequestState::Pending => "Pending",
            RequestState::Approved => "Approved",
            RequestState::Denied => "Denied",
            RequestState::Used => "Used",
            RequestState::Expired => "Expired",
        }
    }
}

/// The state of a stored request at `now` (fixed-width times compare as text).
pub fn effective_state(r: &AccessRequestRow, now: &str) -> RequestState {
    match r.state.as_str() {
        "Pending" if r.wait_until.as_str() <= now => RequestState::Expired,
        "Pending" => RequestState::Pending,
        "Approved" if r.access_until.as_deref().is_none_or(|u| u <= now) => RequestState::Expired,
        "Approved" => RequestState::Approved,
        "Denied" => RequestState::Denied,
        _ => RequestState::Used,
    }
}

/// An access request as shown to people.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessRequestInfo {
    /// Request id.
    pub id: String,
    /// State now.
    pub state: RequestState,
    /// `LocalAdminPassword`, `LocalAdminPasswordHistory`, `Bitlocker` or `Jit`.
    pub access_type: &'static str,
    /// Computer name.
    pub computer_name: String,
    /// Device id.
    pub device_id: String,
    /// The requester's SID.
    pub requester_sid: String,
    /// The rule that requires approval.
    pub rule_id: String,
    /// `Computer` or `Role`.
    pub rule_kind: String,
    /// The requester's reason.
    pub reason: Option<String>,
    /// The duration asked for.
    pub requested_duration: Option<String>,
    /// When it was made.
    pub requested_at: String,
    /// A pending request expires then.
    pub wait_until: String,
    /// Who may decide (the rule's approvers now).
    pub approvers: Vec<Approver>,
    /// The approver who decided.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<String>,
    /// The approver's reason.
    pub decision_reason: Option<String>,
    /// An approved request may be fetched until then.
    pub access_until: Option<String>,
    /// When it was used.
    pub used_at: Option<String>,
}

fn request_info(tx: &(impl ReadTx + ?Sized), r: &AccessRequestRow, now: &str) -> Result<AccessRequestInfo> {
    let name = resolve(tx, &DeviceSelector::Id(r.device_id.clone())).map(|d| d.name).unwrap_or_default();
    let access_type = AccessType::parse(&r.access_type)?.audit_name();
    Ok(AccessRequestInfo {
        id: r.id.clone(),
        state: effective_state(r, now),
        access_type,
        computer_name: name,
        device_id: r.device_id.clone(),
        requester_sid: r.requester_sid.clone(),
        rule_id: r.rule_id.clone(),
        rule_kind: r.rule_kind.clone(),
        reason: r.reason.clone(),
        requested_duration: r.requested_seconds.map(|s| format_duration(Duration::seconds(s))),
        requested_at: r.requested_at.clone(),
        wait_until: r.wait_until.clone(),
        approvers: tx.rule_approval(&r.rule_id)?.map(|p| approvers_of(&p.approvers)).unwrap_or_default(),
        decided_by: r.decided_by.clone(),
        decided_at: r.decided_at.clone(),
        decision_reason: r.decision_reason.clone(),
        access_until: r.access_until.clone(),
        used_at: r.used_at.clone(),
    })
}

/// What `access request` returns for a rule that requires approval: the request, no secret.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PendingAccess {
    /// Always `Pending`.
    pub status: &'static str,
    /// Always false: nothing is handed out yet.
    pub allowed: bool,
    /// The request id (for `ams access approve|deny|get --request-id`).
    pub request_id: String,
    /// The access type (upstream name).
    pub access_type: &'static str,
    /// Computer name.
    pub computer_name: String,
    /// Device id.
    pub device_id: String,
    /// The requester's SID.
    pub user_sid: String,
    /// The rule that requires approval.
    pub matched_rule: String,
    /// Its description.
    pub matched_rule_description: String,
    /// The request expires then unless decided.
    pub wait_until: String,
    /// Who may decide.
    pub approvers: Vec<Approver>,
}

/// The outcome of a rule-checked access request: granted (with the secret), or pending approval.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum AccessOutcome {
    /// Granted now.
    Granted(Box<AccessGrant>),
    /// Waits for an approver.
    Pending(Box<PendingAccess>),
}

/// An approver's decision.
#[derive(Debug, Clone)]
pub struct DecisionRequest {
    /// The request id.
    pub request_id: String,
    /// The approver's SID.
    pub approver_sid: String,
    /// Approve (true) or deny (false).
    pub approve: bool,
    /// Why (recorded with the request and in the audit trail).
    pub reason: Option<String>,
}

/// What approve and deny return: the request after the decision and, for an approved JIT
/// request, the membership made.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DecisionResult {
    /// The request.
    #[serde(flatten)]
    pub request: AccessRequestInfo,
    /// The JIT grant made on approval.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jit: Option<JitGrant>,
}

/// Filters for listing requests.
#[derive(Debug, Clone, Default)]
pub struct AccessRequestQuery {
    /// One request by id.
    pub id: Option<String>,
    /// State (as [`effective_state`] gives it).
    pub state: Option<RequestState>,
    /// Requester SID.
    pub requester_sid: Option<String>,
    /// Computer.
    pub computer: Option<DeviceSelector>,
}

fn check_request_id(id: &str) -> Result<String> {
    uuid::Uuid::parse_str(id.trim()).map(|u| u.to_string()).map_err(|_| {
        Error::new(ErrorCode::AccessRequestNotFound, "No access request has that id: a request id is a GUID.")
            .with("request_id", id.trim())
    })
}

fn not_found(id: &str) -> Error {
    Error::new(ErrorCode::AccessRequestNotFound, "No access request has that id.")
        .hint("Run `ams access requests get` to list requests.")
        .with("request_id", id)
}

/// The coded refusal for a request in a state that does not allow the step.
fn state_error(id: &str, s: RequestState) -> Error {
    let (code, msg, hint) = match s {
        RequestState::Pending => (
            ErrorCode::AccessRequestPending,
            "The request still waits for an approver.",
            "Ask one of the rule's approvers to run `ams access approve`.",
        ),
        RequestState::Approved => (
            ErrorCode::AccessRequestDecided,
            "The request was already approved.",
            "The requester fetches it with `ams access get --request-id`.",
        ),
        RequestState::Denied => (
            ErrorCode::AccessRequestDenied,
            "The request was denied by an approver.",
            "Make a new request with `ams access request` if access is still needed.",
        ),
        RequestState::Used => (
            ErrorCode::AccessRequestUsed,
            "The approved access was already handed out once.",
            "Make a new request with `ams access request` for another access.",
        ),
        RequestState::Expired => (
            ErrorCode::AccessRequestExpired,
            "The request expired: it waited longer than the rule allows, or its access window closed.",
            "Make a new request with `ams access request`.",
        ),
    };
    Error::new(code, msg).hint(hint).with("request_id", id).with("state", s.stored())
}

/// The stored facts of the requester, for checking the rules again at fulfilment.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StoredQuery {
    group_sids: Vec<String>,
    distinguished_name: Option<String>,
    ad_group_sids: Vec<String>,
    entra_group_ids: Vec<String>,
}

fn audit_request(
    ams: &Ams,
    tx: &Tx<'_>,
    event: &str,
    outcome: Outcome,
    id: &str,
    details: serde_json::Value,
) -> Result<()> {
    audit::record(ams, tx, Event { event, outcome, target_type: Some("access_request"), target_id: Some(id), details })
}

impl Ams {
    /// Inside the decision's transaction: when the deciding rule requires approval, stores a
    /// pending request and audits `access_request.new`; `None` when it does not.
    pub(crate) fn approval_pending(&self, tx: &Tx<'_>, c: &Checked<'_>, d: &Decided) -> Result<Option<PendingAccess>> {
        let Some(rule_id) = d.decision.deciding_rule.as_deref() else { return Ok(None) };
        let Some(policy) = tx.rule_approval(rule_id)? else { return Ok(None) };
        let id = new_id()?.to_string();
        let now = format_time(c.now);
        let wait_until = format_time(c.now + Duration::seconds(policy.wait_seconds));
        let query = StoredQuery {
            group_sids: c.caller.group_sids.clone(),
            distinguished_name: c.dir.distinguished_name.clone(),
            ad_group_sids: c.dir.ad_group_sids.clone(),
            entra_group_ids: c.dir.entra_group_ids.clone(),
        };
        let row = AccessRequestRow {
            id: id.clone(),
            rule_id: rule_id.to_string(),
            rule_kind: policy.rule_kind.clone(),
            device_id: d.device.id.clone(),
            access_type: c.access_type.as_str().to_string(),
            requester_sid: c.caller.user_sid.clone(),
            query: serde_json::to_string(&query).map_err(|_| Error::internal("stored query"))?,
            reason: c.reason.clone(),
            source_address: c.source.clone(),
            requested_seconds: c.req.requested_duration.map(|g| g.whole_seconds()),
            state: "Pending".into(),
            requested_at: now,
            wait_until: wait_until.clone(),
            access_window_seconds: policy.access_window_seconds,
            decided_by: None,
            decided_at: None,
            decision_reason: None,
            access_until: None,
            used_at: None,
        };
        tx.insert_access_request(&row)?;
        let approvers = approvers_of(&policy.approvers);
        let mut details = d.details.clone();
        details["Code"] = "ApprovalRequired".into();
        details["RequestId"] = id.clone().into();
        details["DeviceId"] = d.device.id.clone().into();
        details["ComputerName"] = d.device.name.clone().into();
        details["WaitUntil"] = wait_until.clone().into();
        details["Approvers"] = approvers.iter().map(|a| a.sid.clone()).collect::<Vec<_>>().into();
        audit_request(self, tx, "access_request.new", Outcome::Success, &id, details)?;
        Ok(Some(PendingAccess {
            status: "Pending",
            allowed: false,
            request_id: id,
            access_type: c.access_type.audit_name(),
            computer_name: d.device.name.clone(),
            device_id: d.device.id.clone(),
            user_sid: c.caller.user_sid.clone(),
            matched_rule: rule_id.to_string(),
            matched_rule_description: d.rule_desc.clone().unwrap_or_default(),
            wait_until,
            approvers,
        }))
    }

    /// Approves or denies a pending request. Refused, and audited as refused: an unknown request
    /// ([`ErrorCode::AccessRequestNotFound`]), the requester deciding their own request
    /// ([`ErrorCode::SelfApproval`]), anyone the rule does not name as approver
    /// ([`ErrorCode::NotAnApprover`]), a request no longer pending ([`ErrorCode::AccessRequestDecided`],
    /// [`ErrorCode::AccessRequestExpired`], ...). An approved JIT request gets its membership at
    /// once (the keyring is needed when a JIT directory is configured).
    pub fn access_request_decide(&self, keyring: Option<&Keyring>, r: &DecisionRequest) -> Result<DecisionResult> {
        let id = check_request_id(&r.request_id)?;
        let approver = parse_sid(&r.approver_sid)?;
        let reason = check_reason(r.reason.as_deref())?;
        let event = if r.approve { "access_request.approve" } else { "access_request.deny" };
        let now_t = self.now_time();
        let now = format_time(now_t);
        let outcome = self.store.write(|tx| {
            let Some(row) = tx.access_request(&id)? else {
                let details =
                    serde_json::json!({"ApproverSid": approver, "Code": ErrorCode::AccessRequestNotFound.as_str()});
                audit_request(self, tx, event, Outcome::Failure, &id, details)?;
                return Ok(Err(not_found(&id)));
            };
            let mut details = serde_json::json!({
                "ApproverSid": approver, "RequesterSid": row.requester_sid, "DeviceId": row.device_id,
                "AccessType": AccessType::parse(&row.access_type)?.audit_name(), "RuleId": row.rule_id,
                "Reason": reason,
            });
            let refuse = |details: &mut serde_json::Value, e: Error| -> Result<std::result::Result<_, Error>> {
                details["Code"] = e.code().as_str().into();
                audit_request(self, tx, event, Outcome::Denied, &id, details.clone())?;
                Ok(Err(e))
            };
            if row.requester_sid.eq_ignore_ascii_case(&approver) {
                let e = Error::new(ErrorCode::SelfApproval, "The requester cannot approve or deny their own request.")
                    .hint("Another of the rule's approvers must decide.")
                    .with("request_id", &id);
                return refuse(&mut details, e);
            }
            let Some(policy) = tx.rule_approval(&row.rule_id)? else {
                let e = Error::new(
                    ErrorCode::ApprovalRuleChanged,
                    "The rule the request was made under no longer requires approval, or was removed.",
                )
                .hint("Make a new request with `ams access request`.")
                .with("request_id", &id)
                .with("rule_id", &row.rule_id);
                return refuse(&mut details, e);
            };
            if !approvers_of(&policy.approvers).iter().any(|a| a.sid.eq_ignore_ascii_case(&approver)) {
                let e = Error::new(ErrorCode::NotAnApprover, "The rule does not name this SID as an approver.")
                    .hint("Run `ams access requests get --id ID` to see the request's approvers.")
                    .with("request_id", &id)
                    .with("approver_sid", &approver);
                return refuse(&mut details, e);
            }
            let state = effective_state(&row, &now);
            if state != RequestState::Pending {
                return refuse(&mut details, state_error(&id, state));
            }
            let access_until = format_time(now_t + Duration::seconds(row.access_window_seconds));
            let decision = AccessDecision {
                id: &id,
                state: if r.approve { "Approved" } else { "Denied" },
                decided_by: &approver,
                decided_at: &now,
                reason: reason.as_deref(),
                access_until: r.approve.then_some(access_until.as_str()),
            };
            if tx.decide_access_request(&decision)? != 1 {
                // Another writer decided it first; nothing changed here.
                let now_row = tx.access_request(&id)?.ok_or_else(|| not_found(&id))?;
                return refuse(&mut details, state_error(&id, effective_state(&now_row, &now)));
            }
            if r.approve {
                details["AccessUntil"] = access_until.into();
            }
            audit_request(self, tx, event, Outcome::Success, &id, details)?;
            let row = tx.access_request(&id)?.ok_or_else(|| not_found(&id))?;
            Ok(Ok((row.clone(), request_info(tx, &row, &now)?)))
        })?;
        let (row, info) = outcome?;
        if !(r.approve && row.access_type == AccessType::Jit.as_str()) {
            return Ok(DecisionResult { request: info, jit: None });
        }
        // JIT: the membership is made on approval, for the requester, once.
        let grant = self.access_request_fetch_as(keyring, &id, &row.requester_sid, Some(&approver))?;
        let request = self.access_requests(&AccessRequestQuery { id: Some(id.clone()), ..Default::default() })?;
        let request = request.into_iter().next().ok_or_else(|| not_found(&id))?;
        Ok(DecisionResult { request, jit: grant.jit })
    }

    /// Fetches the access an approval gave: once, by the requester only, within the access
    /// window; the rules are checked again (with the facts given at the request). Refusals are
    /// audited as `access_request.use` denied: [`ErrorCode::NotTheRequester`],
    /// [`ErrorCode::AccessRequestPending`], [`ErrorCode::AccessRequestDenied`],
    /// [`ErrorCode::AccessRequestUsed`], [`ErrorCode::AccessRequestExpired`].
    pub fn access_request_fetch(
        &self,
        keyring: Option<&Keyring>,
        request_id: &str,
        requester_sid: &str,
    ) -> Result<AccessGrant> {
        let id = check_request_id(request_id)?;
        self.access_request_fetch_as(keyring, &id, requester_sid, None)
    }

    fn access_request_fetch_as(
        &self,
        keyring: Option<&Keyring>,
        id: &str,
        requester_sid: &str,
        approved_by: Option<&str>,
    ) -> Result<AccessGrant> {
        let caller = parse_sid(requester_sid)?;
        let row = self.store.read(|tx| tx.access_request(id))?.ok_or_else(|| not_found(id))?;
        let stored: StoredQuery = serde_json::from_str(&row.query).map_err(|_| Error::internal("stored query"))?;
        let req = AccessRequest {
            query: AccessQuery {
                computer: DeviceSelector::Id(row.device_id.clone()),
                // The caller as given: a different SID is refused below, after the audit.
                user_sid: caller.clone(),
                group_sids: stored.group_sids,
                directory: DirectoryInfo {
                    distinguished_name: stored.distinguished_name,
                    ad_group_sids: stored.ad_group_sids,
                    entra_group_ids: stored.entra_group_ids,
                },
            },
            access_type: AccessType::parse(&row.access_type)?,
            reason: row.reason.clone(),
            source_address: row.source_address.clone(),
            requested_duration: row.requested_seconds.map(Duration::seconds),
        };
        let mut c = self.access_check(keyring, &req)?;
        self.access_directory_facts(&mut c)?;
        let now = format_time(c.now);
        let event = "access_request.use";
        let grant = self.store.write(|tx| {
            let row = tx.access_request(id)?.ok_or_else(|| not_found(id))?;
            let mut details = serde_json::json!({
                "UserSid": caller, "RequesterSid": row.requester_sid, "DeviceId": row.device_id,
                "AccessType": c.access_type.audit_name(), "RuleId": row.rule_id, "ApprovedBy": approved_by,
            });
            let refuse = |details: &mut serde_json::Value, e: Error| -> Result<std::result::Result<_, Error>> {
                details["Code"] = e.code().as_str().into();
                audit_request(self, tx, event, Outcome::Denied, id, details.clone())?;
                Ok(Err(e))
            };
            if !row.requester_sid.eq_ignore_ascii_case(&caller) {
                let e =
                    Error::new(ErrorCode::NotTheRequester, "Only the requester can fetch the access an approval gave.")
                        .with("request_id", id);
                return refuse(&mut details, e);
            }
            let state = effective_state(&row, &now);
            if state != RequestState::Approved {
                return refuse(&mut details, state_error(id, state));
            }
            let Some(mut decided) = self.access_decide(tx, &c)? else {
                return Ok(Err(c.refused.take_or_internal()));
            };
            decided.details["RequestId"] = id.into();
            decided.details["ApprovedBy"] = row.decided_by.clone().into();
            decided.event = event;
            let grant = match self.access_fulfil(tx, &c, decided) {
                Ok(g) => g,
                // Audited as a failure and committed; the request stays approved.
                Err(e) => return Ok(Err(e)),
            };
            if tx.use_access_request(id, &now)? != 1 {
                // Lost a race: undo the read (the error rolls the transaction back).
                return Err(state_error(id, RequestState::Used));
            }
            Ok(Ok(grant))
        })?;
        self.access_fulfil_in_directory(&c, grant?)
    }

    /// Access requests, newest first, filtered by id, state, requester and computer.
    pub fn access_requests(&self, q: &AccessRequestQuery) -> Result<Vec<AccessRequestInfo>> {
        let id = q.id.as_deref().map(check_request_id).transpose()?;
        let requester = q.requester_sid.as_deref().map(parse_sid).transpose()?;
        let now = format_time(self.now_time());
        self.store.read(|tx| {
            let device_id = match &q.computer {
                Some(sel) => Some(resolve(tx, sel)?.id),
                None => None,
            };
            let rows = match &id {
                Some(id) => tx.access_request(id)?.into_iter().collect(),
                None => {
                    // Expired is computed from Pending and Approved rows; the rest are stored.
                    let state = match q.state {
                        Some(RequestState::Expired) | None => None,
                        Some(s) => Some(s.stored().to_string()),
                    };
                    tx.access_requests(&AccessRequestFilter {
                        state,
                        requester_sid: requester.clone(),
                        device_id: device_id.clone(),
                    })?
                }
            };
            rows.iter()
                .filter(|r| q.state.is_none_or(|s| effective_state(r, &now) == s))
                .filter(|r| requester.as_ref().is_none_or(|s| r.requester_sid.eq_ignore_ascii_case(s)))
                .filter(|r| device_id.as_ref().is_none_or(|d| &r.device_id == d))
                .map(|r| request_info(tx, r, &now))
                .collect()
        })
    }
}
