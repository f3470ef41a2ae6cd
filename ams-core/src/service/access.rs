//! Access decisions for people: effective access (what a user may do on a computer, and why) and
//! the rule-checked access request that trusted front ends use to hand out a secret under the
//! same rules as the web page, with rate limits and an audit record for every outcome.

use std::collections::HashMap;
use std::net::IpAddr;

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use crate::ams::Ams;
use crate::authz::duration::format_duration;
use crate::authz::engine::{
    self, Ace, Caller, Computer, DecisionCode, DurationPolicy, Rule, RuleStatus, dn_components, expand_jit_group,
};
use crate::authz::sid::parse_sid;
use crate::authz::{AccessType, AceKind, ReasonRequirement, TargetType};
use crate::clock::{format_time, parse_time};
use crate::directory::Directory;
use crate::error::{Error, ErrorCode, Result};
use crate::service::approvals::AccessOutcome;
use crate::service::audit::{self, Event, Outcome};
use crate::service::devices::{DeviceSelector, resolve};
use crate::service::directory_secrets::{
    DirectoryComputer, access_bitlocker, access_history, access_password, directory_expiry_after_access,
    directory_only_device,
};
use crate::service::groups::device_group_sids_in;
use crate::service::jit::JitGrantRequest;
use crate::service::keys::Keyring;
use crate::service::rules::rule_display_name;
use crate::service::secrets::{FveRecoveryKeyInfo, PasswordInfo};
use crate::service::settings::{
    IntSetting, RATE_LIMIT_PER_IP_ENABLED, RATE_LIMIT_PER_IP_PER_DAY, RATE_LIMIT_PER_IP_PER_HOUR,
    RATE_LIMIT_PER_IP_PER_MINUTE, RATE_LIMIT_PER_USER_ENABLED, RATE_LIMIT_PER_USER_PER_DAY,
    RATE_LIMIT_PER_USER_PER_HOUR, RATE_LIMIT_PER_USER_PER_MINUTE,
};
use crate::store::{DeviceRow, PrincipalTable, ReadTx, Tx};

/// Longest reason accepted.
pub const MAX_REASON_CHARS: usize = 1024;

/// What the caller knows about the computer in a directory. For JIT requests with a configured
/// JIT directory and no DN given, the DN and direct group SIDs are read from the directory.
#[derive(Debug, Clone, Default)]
pub struct DirectoryInfo {
    /// The computer's AD distinguished name (for container targets).
    pub distinguished_name: Option<String>,
    /// SIDs of the AD groups the computer is in (for AD group targets).
    pub ad_group_sids: Vec<String>,
    /// Object ids of the Entra groups the device is in (for Entra group targets).
    pub entra_group_ids: Vec<String>,
}

/// Who asks about which computer.
#[derive(Debug, Clone)]
pub struct AccessQuery {
    /// The computer (an ams device).
    pub computer: DeviceSelector,
    /// The user's SID.
    pub user_sid: String,
    /// SIDs of the user's groups.
    pub group_sids: Vec<String>,
    /// What is known about the computer in a directory.
    pub directory: DirectoryInfo,
}

/// A request for one kind of access.
#[derive(Debug, Clone)]
pub struct AccessRequest {
    /// Who and which computer.
    pub query: AccessQuery,
    /// What for: `Laps`, `LapsHistory`, `BitLocker` or `Jit`.
    pub access_type: AccessType,
    /// The requester's reason.
    pub reason: Option<String>,
    /// The requester's address (for the per-address rate limit).
    pub source_address: Option<String>,
    /// The duration asked for (capped at the rule's maximum).
    pub requested_duration: Option<Duration>,
}

/// A rule that targets the computer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MatchedRuleInfo {
    /// Position in the evaluation order (1 first).
    pub order: usize,
    /// Rule id.
    pub id: String,
    /// Description or `<TargetType>: <name>`.
    pub display_name: String,
    /// Target type.
    pub target_type: TargetType,
    /// Target.
    pub target: String,
    /// Whether it took part (`Active`) or why not.
    pub status: RuleStatus,
}

/// The decision for one access type.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessDecisionInfo {
    /// `LocalAdminPassword`, `LocalAdminPasswordHistory`, `Bitlocker`, `Jit`, `DeviceLogin`, `DeviceElevation`.
    pub access_type: &'static str,
    /// Granted or not.
    pub allowed: bool,
    /// `Success`, `NoMatchingRuleForTarget`, `NoMatchingRuleForUser` or `ExplicitlyDenied`.
    pub code: DecisionCode,
    /// Why, in one sentence.
    pub message: String,
    /// The rule that decided.
    pub deciding_rule: Option<String>,
    /// Rules that allow it to the caller.
    pub allowing_rules: Vec<String>,
    /// Rules that deny it to the caller.
    pub denying_rules: Vec<String>,
    /// False when the type does not apply to this computer.
    pub applicable: bool,
    /// Access duration a request without a duration would get.
    pub access_duration: Option<String>,
    /// The deciding rule's maximum.
    pub maximum_access_duration: Option<String>,
    /// The deciding rule allows extension.
    pub allow_extension: bool,
    /// The deciding rule's reason requirement (when granted).
    pub user_request_reason_requirement: Option<ReasonRequirement>,
}

/// Effective access of a user on a computer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EffectiveAccess {
    /// Computer name.
    pub computer_name: String,
    /// Device id.
    pub device_id: String,
    /// The user's SID.
    pub user_sid: String,
    /// SIDs of the user's groups.
    pub group_sids: Vec<String>,
    /// When it was evaluated.
    pub evaluated_at: String,
    /// Rules that target the computer, in evaluation order.
    pub matched_rules: Vec<MatchedRuleInfo>,
    /// One decision per access type.
    pub access: Vec<AccessDecisionInfo>,
}

/// What a granted JIT request returns. With a JIT directory configured the user is added to the
/// group and the removal is scheduled (see [`crate::service::jit`]); without one the request only
/// decides and audits, and says so.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct JitGrant {
    /// The group the user is to join (template expanded).
    pub group_name: String,
    /// For how long.
    pub duration: String,
    /// Until when (an active grant that may not be extended keeps its expiry).
    pub expiry: String,
    /// `Added`, `AlreadyMember`, `Extended`, `ExpiryKept`, or `NotPerformed` when no directory
    /// is configured.
    pub membership_change: String,
    /// The group's DN (when the change was made).
    pub group_dn: Option<String>,
    /// The scheduler job that removes the membership (when the change was made).
    pub job_id: Option<String>,
    /// Who performed the change.
    pub note: String,
    #[serde(skip)]
    pub(crate) length: Duration,
    #[serde(skip)]
    pub(crate) allow_extension: bool,
    #[serde(skip)]
    pub(crate) maximum: Option<Duration>,
}

/// A granted access request.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessGrant {
    /// Always true (refusals are errors).
    pub allowed: bool,
    /// The access type (upstream name).
    pub access_type: &'static str,
    /// Computer name.
    pub computer_name: String,
    /// Device id.
    pub device_id: String,
    /// The user's SID.
    pub user_sid: String,
    /// The rule that granted access.
    pub matched_rule: String,
    /// Its description.
    pub matched_rule_description: String,
    /// Access duration granted (LAPS with expiry after access, JIT).
    pub access_duration: Option<String>,
    /// The same in seconds.
    pub access_duration_seconds: Option<i64>,
    /// When access ends: the password's new expiry (LAPS) or the end of JIT membership.
    pub access_expiry: Option<String>,
    /// The current password (LAPS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<PasswordInfo>,
    /// Previous passwords (LAPS history).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_history: Option<Vec<PasswordInfo>>,
    /// BitLocker recovery keys.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bit_locker_keys: Option<Vec<FveRecoveryKeyInfo>>,
    /// The JIT grant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jit: Option<JitGrant>,
}

impl std::fmt::Debug for AccessGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessGrant")
            .field("access_type", &self.access_type)
            .field("device_id", &self.device_id)
            .field("matched_rule", &self.matched_rule)
            .finish_non_exhaustive()
    }
}

/// Loads every computer rule with its ACEs in the engine's form.
pub(crate) fn load_engine_rules(tx: &(impl ReadTx + ?Sized)) -> Result<Vec<Rule>> {
    let rows = tx.computer_rules(None)?;
    let mut aces: HashMap<String, Vec<Ace>> = HashMap::new();
    for p in tx.rule_principals(PrincipalTable::Computer, None)? {
        let access_type = AccessType::parse(&p.access_type)?;
        aces.entry(p.rule_id).or_default().push(Ace { access_type, kind: AceKind::parse(&p.ace)?, sid: p.sid });
    }
    rows.into_iter()
        .map(|r| {
            let policy = |d: Option<i64>, m: Option<i64>, ext| DurationPolicy {
                default: d.map(Duration::seconds),
                maximum: m.map(Duration::seconds),
                allow_extension: ext,
            };
            Ok(Rule {
                description: rule_display_name(&r),
                target_type: TargetType::parse(&r.target_type)?,
                script: r.authorization_mode == "PowershellScript",
                aces: aces.remove(&r.id).unwrap_or_default(),
                expiry: r.rule_expiry.as_deref().map(parse_time).transpose()?,
                laps: policy(r.laps_default_seconds, r.laps_max_seconds, r.laps_allow_extension),
                jit: policy(r.jit_default_seconds, r.jit_max_seconds, r.jit_allow_extension),
                reason: ReasonRequirement::parse(&r.reason_requirement)?,
                id: r.id,
                target_id: r.target_id,
                target_authority_id: r.target_authority_id,
                disabled: r.disabled,
                jit_group: r.jit_group_name,
                created_at: r.created_at,
            })
        })
        .collect()
}

fn check_query(q: &AccessQuery) -> Result<(Caller, DirectoryInfo)> {
    let caller = Caller {
        user_sid: parse_sid(&q.user_sid)?,
        group_sids: q.group_sids.iter().map(|s| parse_sid(s)).collect::<Result<_>>()?,
    };
    let dir = &q.directory;
    let dn = match dir.distinguished_name.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(dn) if dn_components(dn).is_some() => Some(dn.to_string()),
        Some(dn) => {
            return Err(Error::invalid("The computer's distinguished name is not a DN.").with("distinguished_name", dn));
        }
        None => None,
    };
    let entra = dir
        .entra_group_ids
        .iter()
        .map(|g| {
            uuid::Uuid::parse_str(g.trim().trim_matches(['{', '}']))
                .map(|u| u.to_string())
                .map_err(|_| Error::invalid("An Entra group id must be a GUID.").with("group_id", g))
        })
        .collect::<Result<_>>()?;
    let directory = DirectoryInfo {
        distinguished_name: dn,
        ad_group_sids: dir.ad_group_sids.iter().map(|s| parse_sid(s)).collect::<Result<_>>()?,
        entra_group_ids: entra,
    };
    Ok((caller, directory))
}

fn computer_of(tx: &(impl ReadTx + ?Sized), d: &DeviceRow, dir: &DirectoryInfo) -> Result<Computer> {
    Ok(Computer {
        device_id: d.id.clone(),
        sid: d.sid.clone(),
        authority_type: d.authority_type.clone(),
        authority_id: d.authority_id.clone(),
        authority_device_id: d.authority_device_id.clone(),
        ams_group_sids: device_group_sids_in(tx, d)?,
        distinguished_name: dir.distinguished_name.clone(),
        ad_group_sids: dir.ad_group_sids.clone(),
        entra_group_ids: dir.entra_group_ids.clone(),
    })
}

pub(crate) fn check_reason(r: Option<&str>) -> Result<Option<String>> {
    let Some(t) = r.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
    if t.chars().count() > MAX_REASON_CHARS || t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(Error::invalid(format!(
            "The reason must be at most {MAX_REASON_CHARS} characters without control characters."
        )));
    }
    Ok(Some(t.to_string()))
}

/// Parses a source address (IPv4 or IPv6) into its canonical text; an IPv4-mapped IPv6 address
/// (`::ffff:192.0.2.7`) is the IPv4 address it maps.
pub fn parse_source_address(s: &str) -> Result<String> {
    let a = s.trim().parse::<IpAddr>().map_err(|_| {
        Error::new(ErrorCode::SourceAddressInvalid, "The source address is not an IPv4 or IPv6 address.")
            .with("source_address", s.trim())
    })?;
    Ok(match a {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
    .to_string())
}

/// The rate-limit bucket of a (canonical) source address: an IPv4 address itself, an IPv6
/// address its /64 (one host usually holds a whole /64, so counting single addresses would let it
/// rotate through them).
pub fn rate_limit_bucket(canonical: &str) -> String {
    match canonical.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => {
            let s = v6.segments();
            let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{net}/64")
        }
        _ => canonical.to_string(),
    }
}

/// A rate-limit scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateScope {
    /// Per source address.
    Ip,
    /// Per user SID.
    User,
}

impl RateScope {
    fn settings(self) -> [IntSetting; 4] {
        match self {
            RateScope::Ip => [
                RATE_LIMIT_PER_IP_ENABLED,
                RATE_LIMIT_PER_IP_PER_MINUTE,
                RATE_LIMIT_PER_IP_PER_HOUR,
                RATE_LIMIT_PER_IP_PER_DAY,
            ],
            RateScope::User => [
                RATE_LIMIT_PER_USER_ENABLED,
                RATE_LIMIT_PER_USER_PER_MINUTE,
                RATE_LIMIT_PER_USER_PER_HOUR,
                RATE_LIMIT_PER_USER_PER_DAY,
            ],
        }
    }

    fn code(self) -> &'static str {
        match self {
            RateScope::Ip => "IpRateLimitExceeded",
            RateScope::User => "UserRateLimitExceeded",
        }
    }

    fn key(self, value: &str) -> String {
        match self {
            RateScope::Ip => format!("ip:{value}"),
            RateScope::User => format!("user:{value}"),
        }
    }
}

/// A limit that was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitHit {
    /// Scope.
    pub scope: RateScope,
    /// `minute`, `hour` or `day`.
    pub window: &'static str,
    /// The limit for that window.
    pub limit: i64,
    /// When the window next has room.
    pub retry_after: String,
}

/// Checks one scope's sliding windows for `value` without recording anything: the first full
/// window, or `None`. A disabled scope never hits.
pub(crate) fn rate_limit_hit(
    tx: &Tx<'_>,
    scope: RateScope,
    value: &str,
    now: OffsetDateTime,
) -> Result<Option<RateLimitHit>> {
    let [enabled, per_minute, per_hour, per_day] = scope.settings();
    if enabled.get(tx)? == 0 {
        return Ok(None);
    }
    let key = scope.key(value);
    for (window, length, setting) in [
        ("minute", Duration::minutes(1), per_minute),
        ("hour", Duration::hours(1), per_hour),
        ("day", Duration::days(1), per_day),
    ] {
        let limit = setting.get(tx)?;
        let since = format_time(now - length);
        if tx.rate_limit_count(&key, &since)? >= limit {
            let oldest = tx.rate_limit_oldest(&key, &since)?.map(|o| parse_time(&o)).transpose()?.unwrap_or(now);
            return Ok(Some(RateLimitHit { scope, window, limit, retry_after: format_time(oldest + length) }));
        }
    }
    Ok(None)
}

/// Records one request for `value` in a scope (nothing when the scope is disabled).
pub(crate) fn rate_limit_record(tx: &Tx<'_>, scope: RateScope, value: &str, now: OffsetDateTime) -> Result<()> {
    let [enabled, ..] = scope.settings();
    if enabled.get(tx)? != 0 {
        tx.insert_rate_limit_event(&scope.key(value), &format_time(now))?;
    }
    Ok(())
}

/// Sets the current password's expiry after an access of `granted`: the password expires at the
/// end of the access. Without extension, an earlier expiry already set (by an earlier access or
/// the rotation schedule) is kept. Returns the expiry in force, or `None` without a password.
pub(crate) fn expire_password_after_access(
    tx: &Tx<'_>,
    device_id: &str,
    now: OffsetDateTime,
    granted: Duration,
    allow_extension: bool,
) -> Result<Option<String>> {
    let Some(current) = tx.current_password(device_id)? else { return Ok(None) };
    let wanted = now + granted;
    let keep = match current.expires_at.as_deref().map(parse_time).transpose()? {
        Some(cur) if !allow_extension && cur <= wanted => Some(cur),
        _ => None,
    };
    if let Some(cur) = keep {
        return Ok(Some(format_time(cur)));
    }
    let at = format_time(wanted);
    tx.set_current_password_expiry(device_id, &at)?;
    Ok(Some(at))
}

fn decision_info(d: &engine::Decision) -> AccessDecisionInfo {
    AccessDecisionInfo {
        access_type: d.access_type.audit_name(),
        allowed: d.allowed,
        code: d.code,
        message: d.message.clone(),
        deciding_rule: d.deciding_rule.clone(),
        allowing_rules: d.allowing_rules.clone(),
        denying_rules: d.denying_rules.clone(),
        applicable: d.applicable,
        access_duration: d.duration.map(format_duration),
        maximum_access_duration: d.maximum_duration.map(format_duration),
        allow_extension: d.allow_extension,
        user_request_reason_requirement: d.allowed.then_some(d.reason_requirement),
    }
}

impl Ams {
    /// Effective access of a user on a computer: every access type, allowed or not, and why.
    /// Reads rules only; not audited.
    pub fn effective_access(&self, q: &AccessQuery) -> Result<EffectiveAccess> {
        let (caller, dir) = check_query(q)?;
        let now = self.now_time();
        self.store.read(|tx| {
            let d = resolve(tx, &q.computer)?;
            let computer = computer_of(tx, &d, &dir)?;
            let rules = load_engine_rules(tx)?;
            let e = engine::effective_access(&rules, &caller, &computer, now);
            let matched_rules = e
                .matches
                .iter()
                .enumerate()
                .filter_map(|(i, m)| {
                    let r = rules.iter().find(|r| r.id == m.rule_id)?;
                    Some(MatchedRuleInfo {
                        order: i + 1,
                        id: r.id.clone(),
                        display_name: r.description.clone(),
                        target_type: r.target_type,
                        target: r.target_id.clone(),
                        status: m.status,
                    })
                })
                .collect();
            Ok(EffectiveAccess {
                computer_name: d.name.clone(),
                device_id: d.id.clone(),
                user_sid: caller.user_sid.clone(),
                group_sids: caller.group_sids.clone(),
                evaluated_at: format_time(now),
                matched_rules,
                access: e.decisions.iter().map(decision_info).collect(),
            })
        })
    }

    /// A rule-checked access request. Evaluates the rules, requires a reason where the deciding
    /// rule does, applies the rate limits (per source address, then per user), reads the secret
    /// (or, for JIT, names the group and duration), expires the password at the end of the
    /// access where the rule says so, and writes one `access.request` audit record for every
    /// outcome, all in one transaction. Refusals are errors: [`ErrorCode::AccessDenied`],
    /// [`ErrorCode::ReasonRequired`], [`ErrorCode::RateLimited`]. A request under a rule that
    /// requires approval is refused with [`ErrorCode::ApprovalRequired`] (the request is made and
    /// its id is in the error's context); [`Ams::access_request_or_pending`] returns it instead.
    pub fn access_request(&self, keyring: Option<&Keyring>, req: &AccessRequest) -> Result<AccessGrant> {
        match self.access_request_or_pending(keyring, req)? {
            AccessOutcome::Granted(g) => Ok(*g),
            AccessOutcome::Pending(p) => Err(Error::new(
                ErrorCode::ApprovalRequired,
                "The rule that grants this access requires approval: the request waits for an approver.",
            )
            .hint("An approver runs `ams access approve --request-id ID`; then fetch it with `ams access get`.")
            .with("request_id", &p.request_id)),
        }
    }

    /// [`Ams::access_request`], except that a request under a rule that requires approval
    /// returns [`AccessOutcome::Pending`] with the stored request (docs/approvals.md).
    pub fn access_request_or_pending(&self, keyring: Option<&Keyring>, req: &AccessRequest) -> Result<AccessOutcome> {
        let mut c = self.access_check(keyring, req)?;
        self.access_enforce_rate_limits(&c)?;
        self.access_directory_facts(&mut c)?;
        let outcome = self.store.write(|tx| {
            let Some(decided) = self.access_decide(tx, &c)? else { return Ok(Err(c.refused.take_or_internal())) };
            if let Some(p) = self.approval_pending(tx, &c, &decided)? {
                return Ok(Ok(AccessOutcome::Pending(Box::new(p))));
            }
            Ok(self.access_fulfil(tx, &c, decided).map(|g| AccessOutcome::Granted(Box::new(g))))
        })??;
        match outcome {
            AccessOutcome::Granted(g) => Ok(AccessOutcome::Granted(Box::new(self.access_fulfil_in_directory(&c, *g)?))),
            p => Ok(p),
        }
    }

    /// Step 1, no I/O but one settings read: the request's form, and the keyring each access
    /// type needs.
    pub(crate) fn access_check<'r>(&self, keyring: Option<&'r Keyring>, req: &'r AccessRequest) -> Result<Checked<'r>> {
        let (caller, dir) = check_query(&req.query)?;
        let reason = check_reason(req.reason.as_deref())?;
        let source = req.source_address.as_deref().map(parse_source_address).transpose()?;
        let t = req.access_type;
        if matches!(t, AccessType::RapidLapsLogin | AccessType::RapidLapsElevation) {
            return Err(Error::new(
                ErrorCode::UnknownAccessType,
                "RapidLAPS access is approved on the device, not requested here.",
            )
            .hint("Request laps, laps-history, bitlocker or jit."));
        }
        let directory = t == AccessType::Jit && self.jit_directory_configured()?;
        let keyring = match (t, keyring) {
            (AccessType::Jit, None) if directory => {
                return Err(Error::internal("access_request needs the keyring when a JIT directory is configured"));
            }
            (AccessType::Jit, k) => k,
            (_, Some(k)) => Some(k),
            (_, None) => return Err(Error::internal("access_request needs the keyring to read secrets")),
        };
        Ok(Checked {
            req,
            caller,
            dir,
            reason,
            source,
            access_type: t,
            directory,
            keyring,
            now: self.now_time(),
            refused: Refusal::default(),
            dir_computer: None,
        })
    }

    /// Step 2, enforce the rate limits first, before any directory I/O or rule evaluation: every
    /// request counts, granted or denied by the rules; one refused by a limit records nothing in
    /// any scope (its own audit record says why it was refused).
    fn access_enforce_rate_limits(&self, c: &Checked<'_>) -> Result<()> {
        let now_t = c.now;
        let limited = self.store.write(|tx| {
            tx.purge_rate_limit_events(&format_time(now_t - Duration::days(1)))?;
            let bucket = c.source.as_deref().map(rate_limit_bucket);
            let mut hit = match &bucket {
                Some(b) => rate_limit_hit(tx, RateScope::Ip, b, now_t)?,
                None => None,
            };
            if hit.is_none() {
                hit = rate_limit_hit(tx, RateScope::User, &c.caller.user_sid, now_t)?;
            }
            let Some(hit) = hit else {
                if let Some(b) = &bucket {
                    rate_limit_record(tx, RateScope::Ip, b, now_t)?;
                }
                rate_limit_record(tx, RateScope::User, &c.caller.user_sid, now_t)?;
                return Ok(None);
            };
            let target = RequestTarget::of(tx, &c.req.query.computer);
            let details = serde_json::json!({
                "UserSid": c.caller.user_sid,
                "GroupSids": c.caller.group_sids.len(),
                "AccessType": c.access_type.audit_name(),
                "Code": hit.scope.code(),
                "RateLimitWindow": hit.window,
                "RateLimit": hit.limit,
                "Reason": c.reason,
                "SourceAddress": c.source,
            });
            target.audit(self, tx, Outcome::Denied, details)?;
            let who = if hit.scope == RateScope::Ip { "source address" } else { "user" };
            Ok(Some(
                Error::new(
                    ErrorCode::RateLimited,
                    format!("The {who} has made {} access requests in the last {}: the limit.", hit.limit, hit.window),
                )
                .hint(format!("Try again after {}.", hit.retry_after))
                .with("code", hit.scope.code())
                .with("window", hit.window)
                .with("limit", hit.limit)
                .with("retry_after", &hit.retry_after),
            ))
        })?;
        limited.map_or(Ok(()), Err)
    }

    /// Step 3: when the front end passed no directory facts for a JIT request, ask the directory
    /// for the computer's DN and groups (an unknown computer keeps the facts empty; the rules
    /// then decide).
    pub(crate) fn access_directory_facts(&self, c: &mut Checked<'_>) -> Result<()> {
        // Secrets with a directory provider: the computer's facts and secrets from the directory
        // (service/directory_secrets.rs).
        if let Some(k) = c.keyring
            && let Some(dc) = self.access_directory_computer(k, &c.req.query.computer, c.access_type)?
        {
            if c.dir.distinguished_name.is_none() {
                c.dir.distinguished_name = Some(dc.dn.clone());
            }
            for sid in &dc.group_sids {
                if !c.dir.ad_group_sids.contains(sid) {
                    c.dir.ad_group_sids.push(sid.clone());
                }
            }
            c.dir_computer = Some(dc);
            return Ok(());
        }
        if !c.directory || c.dir.distinguished_name.is_some() {
            return Ok(());
        }
        let name = self.store.read(|tx| Ok(resolve(tx, &c.req.query.computer).ok().map(|d| d.name)))?;
        if let (Some(name), Some(k)) = (name, c.keyring)
            && let Some(found) = self.open_jit_directory(k)?.computer(&name)?
        {
            c.dir.distinguished_name = Some(found.dn);
            for sid in found.group_sids {
                if !c.dir.ad_group_sids.contains(&sid) {
                    c.dir.ad_group_sids.push(sid);
                }
            }
        }
        Ok(())
    }

    /// Step 4a, decide: the device, the rules' decision, and the conditions of the deciding rule
    /// (a reason where required). A refusal is audited here and left in `c.refused`; `None` then.
    pub(crate) fn access_decide(&self, tx: &Tx<'_>, c: &Checked<'_>) -> Result<Option<Decided>> {
        let t = c.access_type;
        let d = match resolve(tx, &c.req.query.computer) {
            Ok(d) => d,
            // A computer only the directory knows is decided by the same rules.
            Err(e) if e.code() == ErrorCode::DeviceNotFound && c.dir_computer.is_some() => {
                directory_only_device(c.dir_computer.as_ref().ok_or_else(|| Error::internal("directory computer"))?)
            }
            Err(e) if matches!(e.code(), ErrorCode::DeviceNotFound | ErrorCode::DeviceAmbiguous) => {
                let details = serde_json::json!({
                    "UserSid": c.caller.user_sid, "AccessType": t.audit_name(), "Error": e.code().as_str(),
                    "Reason": c.reason, "SourceAddress": c.source,
                });
                RequestTarget::of(tx, &c.req.query.computer).audit(self, tx, Outcome::Failure, details)?;
                c.refused.set(e);
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let computer = computer_of(tx, &d, &c.dir)?;
        let rules = load_engine_rules(tx)?;
        let decision = engine::evaluate(&rules, &c.caller, &computer, t, c.now, c.req.requested_duration);
        let rule_desc = decision
            .deciding_rule
            .as_ref()
            .and_then(|id| rules.iter().find(|r| &r.id == id))
            .map(|r| r.description.clone());
        let mut details = serde_json::json!({
            "UserSid": c.caller.user_sid,
            "GroupSids": c.caller.group_sids.len(),
            "AccessType": t.audit_name(),
            "Code": decision.code.as_str(),
            "MatchedRule": decision.deciding_rule,
            "MatchedRuleDescription": rule_desc,
            "Reason": c.reason,
            "SourceAddress": c.source,
            "RequestedDuration": c.req.requested_duration.map(format_duration),
        });
        let target = RequestTarget::of_device(&d, c);
        if !decision.allowed {
            target.audit(self, tx, Outcome::Denied, details)?;
            let mut e = Error::new(ErrorCode::AccessDenied, decision.message.clone())
                .with("code", decision.code.as_str())
                .with("access_type", t.audit_name())
                .with("device_id", &d.id);
            if let Some(r) = &decision.deciding_rule {
                e = e.with("rule_id", r);
            }
            c.refused.set(e.hint("Run `ams effective-access get` to see which rules apply and why."));
            return Ok(None);
        }
        if decision.reason_requirement == ReasonRequirement::Required && c.reason.is_none() {
            details["Code"] = "ReasonRequired".into();
            target.audit(self, tx, Outcome::Denied, details)?;
            c.refused.set(
                Error::new(ErrorCode::ReasonRequired, "The rule that grants this access requires a reason.")
                    .hint("Give the reason with --reason.")
                    .with("rule_id", decision.deciding_rule.clone().unwrap_or_default()),
            );
            return Ok(None);
        }
        Ok(Some(Decided { device: d, decision, rule_desc, details, event: "access.request" }))
    }

    /// Step 4b, fulfil: read the secret (or name the JIT group and duration), expire the
    /// password at the end of the access where the rule says so, and audit the outcome, in the
    /// transaction of the decision. A failure to read is audited as a failure and returned.
    pub(crate) fn access_fulfil(&self, tx: &Tx<'_>, c: &Checked<'_>, decided: Decided) -> Result<AccessGrant> {
        let Decided { device: d, decision, rule_desc, mut details, event } = decided;
        let t = c.access_type;
        let now_t = c.now;
        let mut grant = AccessGrant {
            allowed: true,
            access_type: t.audit_name(),
            computer_name: d.name.clone(),
            device_id: d.id.clone(),
            user_sid: c.caller.user_sid.clone(),
            matched_rule: decision.deciding_rule.clone().unwrap_or_default(),
            matched_rule_description: rule_desc.clone().unwrap_or_default(),
            access_duration: decision.duration.map(format_duration),
            access_duration_seconds: decision.duration.map(|g| g.whole_seconds()),
            access_expiry: None,
            password: None,
            password_history: None,
            bit_locker_keys: None,
            jit: None,
        };
        let keyring = || c.keyring.ok_or_else(|| Error::internal("keyring"));
        let read: Result<()> = match t {
            AccessType::Laps => keyring().and_then(|k| {
                if let Some(dc) = &c.dir_computer {
                    let db_created =
                        if d.id.is_empty() { None } else { tx.current_password(&d.id)?.map(|r| r.created_at) };
                    if let Some(info) = access_password(db_created.as_deref(), dc, &d)? {
                        details["Source"] = info.source.clone().into();
                        if let Some(g) = decision.duration {
                            let at = directory_expiry_after_access(
                                info.expires.as_deref(),
                                now_t,
                                g,
                                decision.allow_extension,
                            )?;
                            details["PasswordExpiry"] = at.clone().into();
                            grant.access_expiry = Some(at);
                        }
                        grant.password = Some(info);
                        return Ok(());
                    }
                }
                let (pid, info) = self.read_current_password(tx, k, &d)?;
                details["PasswordId"] = pid.into();
                if let Some(g) = decision.duration {
                    let at = expire_password_after_access(tx, &d.id, now_t, g, decision.allow_extension)?;
                    details["PasswordExpiry"] = at.clone().into();
                    grant.access_expiry = at;
                }
                grant.password = Some(info);
                Ok(())
            }),
            AccessType::LapsHistory => keyring().and_then(|k| {
                let h = if d.id.is_empty() { Vec::new() } else { self.read_password_history(tx, k, &d)? };
                let h = match &c.dir_computer {
                    Some(dc) => access_history(dc, &d, h)?,
                    None => h,
                };
                details["Entries"] = h.len().into();
                grant.password_history = Some(h);
                Ok(())
            }),
            AccessType::BitLocker => keyring().and_then(|k| {
                let b = match &c.dir_computer {
                    Some(dc) => {
                        let db = match d.id.is_empty() {
                            true => Vec::new(),
                            false => match self.read_bitlocker_keys(tx, k, &d) {
                                Err(e) if e.code() == ErrorCode::NoBitLockerKey => Vec::new(),
                                other => other?,
                            },
                        };
                        access_bitlocker(dc, &d, db)?
                    }
                    None => self.read_bitlocker_keys(tx, k, &d)?,
                };
                details["Keys"] = b.len().into();
                grant.bit_locker_keys = Some(b);
                Ok(())
            }),
            AccessType::Jit => jit_decision(&decision, &d, now_t).map(|jit| {
                details["JitGroup"] = jit.group_name.clone().into();
                details["AccessExpiry"] = jit.expiry.clone().into();
                grant.access_expiry = Some(jit.expiry.clone());
                grant.jit = Some(jit);
            }),
            AccessType::RapidLapsLogin | AccessType::RapidLapsElevation => Ok(()),
        };
        let target = RequestTarget::of_device(&d, c);
        if let Err(e) = read {
            details["Error"] = e.code().as_str().into();
            target.audit_event(self, tx, event, Outcome::Failure, details)?;
            return Err(e);
        }
        details["AccessDuration"] = grant.access_duration.clone().into();
        target.audit_event(self, tx, event, Outcome::Success, details)?;
        Ok(grant)
    }

    /// Step 5, for JIT with a directory: make the membership change (after the decision's
    /// commit; the scheduler job it creates removes it when it expires).
    pub(crate) fn access_fulfil_in_directory(&self, c: &Checked<'_>, mut grant: AccessGrant) -> Result<AccessGrant> {
        // A password from the directory under a rule with an access duration: write its expiry.
        if let (Some(dc), Some(k), Some(p), Some(at)) =
            (&c.dir_computer, c.keyring, &grant.password, &grant.access_expiry)
            && p.source != "Ams"
            && p.expires.as_deref() != Some(at.as_str())
        {
            self.access_expire_in_directory(k, dc, &p.source, at)?;
        }
        if !c.directory {
            return Ok(grant);
        }
        if let (Some(j), Some(k)) = (grant.jit.as_mut(), c.keyring) {
            let r = self.jit_grant(
                k,
                &JitGrantRequest {
                    user_sid: grant.user_sid.clone(),
                    group_name: j.group_name.clone(),
                    duration: j.length,
                    allow_extension: j.allow_extension,
                    maximum_duration: j.maximum,
                    device_id: Some(grant.device_id.clone()),
                    computer_name: Some(grant.computer_name.clone()),
                    rule_id: Some(grant.matched_rule.clone()).filter(|r| !r.is_empty()),
                },
            )?;
            j.membership_change = r.membership_change;
            j.expiry = r.expiry.clone();
            j.group_dn = Some(r.group_dn);
            j.job_id = Some(r.job_id);
            j.note =
                "The membership was changed in the JIT directory; `ams jit run-due` removes it when it expires.".into();
            grant.access_expiry = Some(r.expiry);
        }
        Ok(grant)
    }
}

/// An access request after step 1, carried through the other steps.
pub(crate) struct Checked<'r> {
    pub(crate) req: &'r AccessRequest,
    pub(crate) caller: Caller,
    pub(crate) dir: DirectoryInfo,
    pub(crate) reason: Option<String>,
    pub(crate) source: Option<String>,
    pub(crate) access_type: AccessType,
    /// A JIT request with a JIT directory configured.
    directory: bool,
    keyring: Option<&'r Keyring>,
    pub(crate) now: OffsetDateTime,
    /// A refusal found inside the decision's transaction: audited there, returned after its
    /// commit (so the audit record is durable).
    pub(crate) refused: Refusal,
    /// The computer as the directory secret providers found it (secret requests only).
    pub(crate) dir_computer: Option<DirectoryComputer>,
}

/// A refusal set inside a transaction closure.
#[derive(Default)]
pub(crate) struct Refusal(std::cell::RefCell<Option<Error>>);

impl Refusal {
    fn set(&self, e: Error) {
        *self.0.borrow_mut() = Some(e);
    }

    pub(crate) fn take_or_internal(&self) -> Error {
        self.0.borrow_mut().take().unwrap_or_else(|| Error::internal("access refusal"))
    }
}

/// What step 4a decided for an allowed request.
pub(crate) struct Decided {
    pub(crate) device: DeviceRow,
    pub(crate) decision: engine::Decision,
    pub(crate) rule_desc: Option<String>,
    pub(crate) details: serde_json::Value,
    /// The event of the fulfilment's audit record: `access.request`, or `access_request.use`
    /// when an approved request is fetched.
    pub(crate) event: &'static str,
}

/// The target of an `access.request` audit record: always of type `device`, by id when the
/// request names a known device; otherwise without an id, and the name as asked in `Computer`.
enum RequestTarget {
    Device(String),
    Unknown(String),
    /// A computer only the directory knows, by DN.
    Directory(String),
}

impl RequestTarget {
    fn of_device(d: &DeviceRow, c: &Checked<'_>) -> RequestTarget {
        match (&c.dir_computer, d.id.is_empty()) {
            (Some(dc), true) => RequestTarget::Directory(dc.dn.clone()),
            _ => RequestTarget::Device(d.id.clone()),
        }
    }

    fn of(tx: &Tx<'_>, sel: &DeviceSelector) -> RequestTarget {
        match resolve(tx, sel) {
            Ok(d) => RequestTarget::Device(d.id),
            Err(_) => RequestTarget::Unknown(match sel {
                DeviceSelector::Id(s) | DeviceSelector::ComputerName(s) => s.clone(),
                DeviceSelector::Authority { authority_device_id, .. } => authority_device_id.clone(),
            }),
        }
    }

    fn audit(&self, ams: &Ams, tx: &Tx<'_>, outcome: Outcome, details: serde_json::Value) -> Result<()> {
        self.audit_event(ams, tx, "access.request", outcome, details)
    }

    fn audit_event(
        &self,
        ams: &Ams,
        tx: &Tx<'_>,
        event: &str,
        outcome: Outcome,
        mut details: serde_json::Value,
    ) -> Result<()> {
        let (target_type, id) = match self {
            RequestTarget::Device(id) => ("device", Some(id.as_str())),
            RequestTarget::Unknown(name) => {
                details["Computer"] = name.clone().into();
                ("device", None)
            }
            RequestTarget::Directory(dn) => ("directory_computer", Some(dn.as_str())),
        };
        audit::record(ams, tx, Event { event, outcome, target_type: Some(target_type), target_id: id, details })
    }
}

/// The JIT grant a decision gives: the group (its template expanded for the device) and how long.
fn jit_decision(decision: &engine::Decision, d: &DeviceRow, now_t: OffsetDateTime) -> Result<JitGrant> {
    let template = decision.jit_group.clone().ok_or_else(|| {
        Error::new(ErrorCode::JitGroupNotConfigured, "The rule that grants JIT access names no JIT group.")
            .hint("Set one with `ams computer-authorization-rule set --id ID --jit-group-name NAME`.")
            .with("rule_id", decision.deciding_rule.clone().unwrap_or_default())
    })?;
    let group = expand_jit_group(&template, &d.name, &d.authority_id);
    let g = decision.duration.unwrap_or(engine::JIT_FALLBACK_DURATION);
    Ok(JitGrant {
        group_name: group,
        duration: format_duration(g),
        expiry: format_time(now_t + g),
        membership_change: "NotPerformed".into(),
        group_dn: None,
        job_id: None,
        note: "No JIT directory is configured, so no group membership was changed; this request only decided and audited. Configure one with `ams jit directory set`.".into(),
        length: g,
        allow_extension: decision.allow_extension,
        maximum: decision.maximum_duration,
    })
}
