//! The evaluation engine: pure functions from (rules, caller, computer, access type, time) to a
//! decision. No store, no clock: everything comes in as arguments, so every branch is testable.
//!
//! The order (docs/authorization.md has the reasoning):
//! 1. A rule *matches* when its target contains the computer. Disabled and expired rules are
//!    reported but ignored; script rules are reported as not evaluated and ignored (no decision).
//!    No active rule matching ⇒ `NoMatchingRuleForTarget`.
//! 2. Matching rules are ordered: computer targets, then directory and custom ams groups, then
//!    built-in ams groups, then AD containers (nearest first), then Entra tenants; ties by
//!    creation time and id.
//! 3. Access types that do not apply to the computer are stripped (JIT: AD computers only), and
//!    JIT entries on rules whose target is not an AD target are ignored.
//! 4. The caller's SIDs (user plus groups) are checked against the ACEs of every active rule for
//!    the requested type. Any deny ⇒ `ExplicitlyDenied`, whatever the order (deny wins); otherwise
//!    any allow ⇒ `Success`, and the first allowing rule in the order of step 2 decides the
//!    settings (duration, JIT group, reason requirement); otherwise `NoMatchingRuleForUser`.

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use super::{AccessType, AceKind, ReasonRequirement, TargetType};

/// JIT access lasts this long when the deciding rule sets no duration (the upstream default).
pub const JIT_FALLBACK_DURATION: Duration = Duration::hours(1);

/// Prefix of the SIDs of built-in ams groups (computed membership such as "All devices").
pub const BUILT_IN_GROUP_SID_PREFIX: &str = "S-1-4096-2-";

/// One access control entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ace {
    /// The access type it is about.
    pub access_type: AccessType,
    /// Allow or deny.
    pub kind: AceKind,
    /// The principal's SID.
    pub sid: String,
}

/// Default and maximum access durations of one access type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DurationPolicy {
    /// Duration granted when the requester asks for none.
    pub default: Option<Duration>,
    /// Longest duration granted.
    pub maximum: Option<Duration>,
    /// A repeated request before expiry may push the expiry out.
    pub allow_extension: bool,
}

impl DurationPolicy {
    /// The duration granted for a request: the requested one (or the default, else the maximum,
    /// else `fallback`), never above the maximum. `None` when nothing sets a duration.
    pub fn grant(&self, requested: Option<Duration>, fallback: Option<Duration>) -> Option<Duration> {
        let configured = self.default.or(self.maximum).or(fallback)?;
        let want = requested.unwrap_or(configured);
        Some(match self.maximum {
            Some(m) if want > m => m,
            _ => want,
        })
    }
}

/// A rule as the engine sees it.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Rule id.
    pub id: String,
    /// Description (shown in decisions).
    pub description: String,
    /// What it targets.
    pub target_type: TargetType,
    /// SID, DN, object id or device id (see [`TargetType`]).
    pub target_id: String,
    /// The Entra tenant for `Aad*` targets.
    pub target_authority_id: Option<String>,
    /// Authorized by a script (not evaluated here) instead of ACEs.
    pub script: bool,
    /// The ACL.
    pub aces: Vec<Ace>,
    /// Disabled rules are ignored.
    pub disabled: bool,
    /// Rules are ignored from this time on.
    pub expiry: Option<OffsetDateTime>,
    /// LAPS access durations (expire the password after access).
    pub laps: DurationPolicy,
    /// JIT access durations.
    pub jit: DurationPolicy,
    /// JIT group name or template.
    pub jit_group: Option<String>,
    /// Whether a reason is needed.
    pub reason: ReasonRequirement,
    /// Creation time (ties in the order).
    pub created_at: String,
}

/// Who asks: the user's SID and the SIDs of the user's groups.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// The user's SID.
    pub user_sid: String,
    /// SIDs of the user's groups (as the caller or a directory knows them).
    pub group_sids: Vec<String>,
}

impl Caller {
    fn has(&self, sid: &str) -> bool {
        self.user_sid.eq_ignore_ascii_case(sid) || self.group_sids.iter().any(|g| g.eq_ignore_ascii_case(sid))
    }
}

/// The computer asked about.
#[derive(Debug, Clone, Default)]
pub struct Computer {
    /// ams device id.
    pub device_id: String,
    /// Computer SID.
    pub sid: String,
    /// `Ams`, `ActiveDirectory` or `AzureActiveDirectory`.
    pub authority_type: String,
    /// Authority id (the Entra tenant id for Entra devices).
    pub authority_id: String,
    /// Device id within the authority (the Entra device object id for Entra devices).
    pub authority_device_id: String,
    /// SIDs of the ams groups it is in, custom and built-in.
    pub ams_group_sids: Vec<String>,
    /// Its AD distinguished name, when known.
    pub distinguished_name: Option<String>,
    /// SIDs of the AD groups it is in, when known.
    pub ad_group_sids: Vec<String>,
    /// Object ids of the Entra groups it is in, when known.
    pub entra_group_ids: Vec<String>,
}

/// Why a matching rule did or did not take part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RuleStatus {
    /// Evaluated.
    Active,
    /// Ignored: disabled.
    Disabled,
    /// Ignored: past its expiry.
    Expired,
    /// Ignored: script rules need PowerShell, which this build does not run.
    ScriptNotEvaluated,
}

/// A rule whose target contains the computer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleMatch {
    /// Rule id.
    pub rule_id: String,
    /// Position class: 0 computer, 1 group, 2 built-in group, 3 container, 4 tenant.
    pub class: u8,
    /// For containers: levels between the computer and the container (1 = parent).
    pub distance: usize,
    /// Whether it took part.
    pub status: RuleStatus,
}

/// Result codes (the upstream names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DecisionCode {
    /// Granted.
    Success,
    /// No active rule targets the computer.
    NoMatchingRuleForTarget,
    /// Rules target the computer but none grants the access to the caller.
    NoMatchingRuleForUser,
    /// A rule denies the access to one of the caller's SIDs.
    ExplicitlyDenied,
}

impl DecisionCode {
    /// The name.
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionCode::Success => "Success",
            DecisionCode::NoMatchingRuleForTarget => "NoMatchingRuleForTarget",
            DecisionCode::NoMatchingRuleForUser => "NoMatchingRuleForUser",
            DecisionCode::ExplicitlyDenied => "ExplicitlyDenied",
        }
    }
}

/// The decision for one access type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The access type.
    pub access_type: AccessType,
    /// Granted or not.
    pub allowed: bool,
    /// Why.
    pub code: DecisionCode,
    /// The rule that decided: the first denying rule, else the first allowing rule.
    pub deciding_rule: Option<String>,
    /// Active rules that allow the type to one of the caller's SIDs, in order.
    pub allowing_rules: Vec<String>,
    /// Active rules that deny the type to one of the caller's SIDs, in order.
    pub denying_rules: Vec<String>,
    /// False when the type does not apply to the computer (JIT on a non-AD computer).
    pub applicable: bool,
    /// Access duration granted (LAPS: the password expires after it; JIT: membership length).
    pub duration: Option<Duration>,
    /// The deciding rule's maximum duration.
    pub maximum_duration: Option<Duration>,
    /// The deciding rule allows extension.
    pub allow_extension: bool,
    /// The deciding rule's reason requirement.
    pub reason_requirement: ReasonRequirement,
    /// The deciding rule's JIT group (JIT only).
    pub jit_group: Option<String>,
    /// One sentence for people.
    pub message: String,
}

/// Whether an access type applies to a computer at all.
pub fn applicable(access_type: AccessType, computer: &Computer) -> bool {
    match access_type {
        AccessType::Jit => computer.authority_type == "ActiveDirectory",
        _ => true,
    }
}

fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// The RDNs of a DN, lower-cased and trimmed (`CN=PC1, OU=X` -> `["cn=pc1", "ou=x"]`). Commas
/// escaped with a backslash stay inside their RDN. `None` for a malformed DN.
pub fn dn_components(dn: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut escaped = false;
    for ch in dn.chars() {
        if escaped {
            cur.push(ch);
            escaped = false;
        } else if ch == '\\' {
            cur.push(ch);
            escaped = true;
        } else if ch == ',' {
            parts.push(std::mem::take(&mut cur));
        } else {
            cur.push(ch);
        }
    }
    if escaped {
        return None;
    }
    parts.push(cur);
    parts
        .into_iter()
        .map(|p| {
            let (attr, value) = p.split_once('=')?;
            let (attr, value) = (attr.trim(), value.trim());
            let attr_ok = !attr.is_empty() && attr.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
            (attr_ok && !value.is_empty()).then(|| format!("{}={}", attr.to_lowercase(), value.to_lowercase()))
        })
        .collect()
}

/// Levels from a computer's DN up to a container (1 = its parent), if the container holds it.
pub fn container_distance(computer_dn: &str, container_dn: &str) -> Option<usize> {
    let c = dn_components(computer_dn)?;
    let k = dn_components(container_dn)?;
    (c.len() > k.len() && c.ends_with(&k)).then(|| c.len() - k.len())
}

/// Where a rule's target puts the computer in the order, or `None` if it does not contain it.
pub fn target_rank(rule: &Rule, computer: &Computer) -> Option<(u8, usize)> {
    let tenant_ok = || {
        computer.authority_type == "AzureActiveDirectory"
            && rule.target_authority_id.as_deref().is_some_and(|t| eq(t, &computer.authority_id))
    };
    let id = rule.target_id.as_str();
    match rule.target_type {
        TargetType::AmsComputer => eq(id, &computer.device_id).then_some((0, 0)),
        TargetType::AdComputer => {
            (computer.authority_type == "ActiveDirectory" && eq(id, &computer.sid)).then_some((0, 0))
        }
        TargetType::AadComputer => (tenant_ok() && eq(id, &computer.authority_device_id)).then_some((0, 0)),
        TargetType::AmsGroup => computer.ams_group_sids.iter().any(|g| eq(g, id)).then(|| {
            let built_in = id.len() > BUILT_IN_GROUP_SID_PREFIX.len()
                && id.get(..BUILT_IN_GROUP_SID_PREFIX.len()).is_some_and(|p| eq(p, BUILT_IN_GROUP_SID_PREFIX));
            (if built_in { 2 } else { 1 }, 0)
        }),
        TargetType::AdGroup => computer.ad_group_sids.iter().any(|g| eq(g, id)).then_some((1, 0)),
        TargetType::AadGroup => (tenant_ok() && computer.entra_group_ids.iter().any(|g| eq(g, id))).then_some((1, 0)),
        TargetType::AdContainer => {
            computer.distinguished_name.as_deref().and_then(|dn| container_distance(dn, id)).map(|d| (3, d))
        }
        TargetType::AadTenant => {
            (computer.authority_type == "AzureActiveDirectory" && eq(id, &computer.authority_id)).then_some((4, 0))
        }
    }
}

/// Every rule whose target contains the computer, in evaluation order, with its status at `now`.
pub fn matching_rules<'a>(rules: &'a [Rule], computer: &Computer, now: OffsetDateTime) -> Vec<(&'a Rule, RuleMatch)> {
    let mut out: Vec<(&Rule, RuleMatch)> = rules
        .iter()
        .filter_map(|r| {
            let (class, distance) = target_rank(r, computer)?;
            let status = if r.disabled {
                RuleStatus::Disabled
            } else if r.expiry.is_some_and(|e| e <= now) {
                RuleStatus::Expired
            } else if r.script {
                RuleStatus::ScriptNotEvaluated
            } else {
                RuleStatus::Active
            };
            Some((r, RuleMatch { rule_id: r.id.clone(), class, distance, status }))
        })
        .collect();
    out.sort_by(|(a, ma), (b, mb)| {
        (ma.class, ma.distance, &a.created_at, &a.id).cmp(&(mb.class, mb.distance, &b.created_at, &b.id))
    });
    out
}

/// Decides one access type from the ordered matches of [`matching_rules`].
pub fn decide(
    matches: &[(&Rule, RuleMatch)],
    caller: &Caller,
    computer: &Computer,
    access_type: AccessType,
    requested: Option<Duration>,
) -> Decision {
    let active: Vec<&Rule> = matches.iter().filter(|(_, m)| m.status == RuleStatus::Active).map(|(r, _)| *r).collect();
    let is_applicable = applicable(access_type, computer);
    let mut d = Decision {
        access_type,
        allowed: false,
        code: DecisionCode::NoMatchingRuleForUser,
        deciding_rule: None,
        allowing_rules: Vec::new(),
        denying_rules: Vec::new(),
        applicable: is_applicable,
        duration: None,
        maximum_duration: None,
        allow_extension: false,
        reason_requirement: ReasonRequirement::Optional,
        jit_group: None,
        message: String::new(),
    };
    if active.is_empty() {
        d.code = DecisionCode::NoMatchingRuleForTarget;
        d.message = "No active authorization rule targets this computer.".into();
        return d;
    }
    if !is_applicable {
        d.message = format!("{} access applies only to Active Directory computers.", access_type.audit_name());
        return d;
    }
    let hits = |rule: &Rule, kind: AceKind| {
        // JIT entries count only on AD targets (they cannot be created elsewhere; belt and braces).
        (access_type != AccessType::Jit || rule.target_type.is_active_directory())
            && rule.aces.iter().any(|a| a.access_type == access_type && a.kind == kind && caller.has(&a.sid))
    };
    d.denying_rules = active.iter().filter(|r| hits(r, AceKind::Deny)).map(|r| r.id.clone()).collect();
    d.allowing_rules = active.iter().filter(|r| hits(r, AceKind::Allow)).map(|r| r.id.clone()).collect();
    if let Some(first) = d.denying_rules.first() {
        d.code = DecisionCode::ExplicitlyDenied;
        d.deciding_rule = Some(first.clone());
        d.message = format!("Denied by rule {first}.");
        return d;
    }
    let Some(rule) = d.allowing_rules.first().and_then(|id| active.iter().find(|r| &r.id == id)) else {
        d.message = format!(
            "{} active rule(s) target this computer, but none grants {} to the caller.",
            active.len(),
            access_type.audit_name()
        );
        return d;
    };
    d.allowed = true;
    d.code = DecisionCode::Success;
    d.deciding_rule = Some(rule.id.clone());
    d.reason_requirement = rule.reason;
    d.message = format!("Granted by rule {}.", rule.id);
    match access_type {
        AccessType::Laps => {
            d.duration = rule.laps.grant(requested, None);
            d.maximum_duration = rule.laps.maximum;
            d.allow_extension = rule.laps.allow_extension;
        }
        AccessType::Jit => {
            d.duration = rule.jit.grant(requested, Some(JIT_FALLBACK_DURATION));
            d.maximum_duration = rule.jit.maximum;
            d.allow_extension = rule.jit.allow_extension;
            d.jit_group = rule.jit_group.clone();
        }
        _ => {}
    }
    d
}

/// Decides one access type.
pub fn evaluate(
    rules: &[Rule],
    caller: &Caller,
    computer: &Computer,
    access_type: AccessType,
    now: OffsetDateTime,
    requested: Option<Duration>,
) -> Decision {
    decide(&matching_rules(rules, computer, now), caller, computer, access_type, requested)
}

/// Effective access: the matching rules and a decision for every access type.
#[derive(Debug, Clone)]
pub struct Effective {
    /// Rules whose target contains the computer, in evaluation order.
    pub matches: Vec<RuleMatch>,
    /// One decision per access type, in [`AccessType::ALL`] order.
    pub decisions: Vec<Decision>,
}

/// Decides every access type for a caller and a computer.
pub fn effective_access(rules: &[Rule], caller: &Caller, computer: &Computer, now: OffsetDateTime) -> Effective {
    let matches = matching_rules(rules, computer, now);
    let decisions = AccessType::ALL.into_iter().map(|t| decide(&matches, caller, computer, t, None)).collect();
    Effective { matches: matches.into_iter().map(|(_, m)| m).collect(), decisions }
}

/// Expands `%computerName%` and `%computerDomain%` (any case) in a JIT group template.
pub fn expand_jit_group(template: &str, computer_name: &str, computer_domain: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('%') {
        let (before, after) = rest.split_at(start);
        out.push_str(before);
        let tail = after.get(1..).unwrap_or("");
        match tail.find('%') {
            Some(end) => {
                let name = tail.get(..end).unwrap_or("");
                if name.eq_ignore_ascii_case("computerName") {
                    out.push_str(computer_name);
                } else if name.eq_ignore_ascii_case("computerDomain") {
                    out.push_str(computer_domain);
                } else {
                    out.push('%');
                    out.push_str(name);
                    out.push('%');
                }
                rest = tail.get(end + 1..).unwrap_or("");
            }
            None => {
                out.push_str(after);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);
    const USER: &str = "S-1-5-21-1-2-3-1001";
    const READERS: &str = "S-1-5-21-1-2-3-2001";
    const OTHER: &str = "S-1-5-21-1-2-3-3001";

    fn rule(id: &str, target_type: TargetType, target_id: &str) -> Rule {
        Rule {
            id: id.into(),
            description: String::new(),
            target_type,
            target_id: target_id.into(),
            target_authority_id: None,
            script: false,
            aces: Vec::new(),
            disabled: false,
            expiry: None,
            laps: DurationPolicy::default(),
            jit: DurationPolicy::default(),
            jit_group: None,
            reason: ReasonRequirement::Optional,
            created_at: format!("2026-01-01T00:00:00.000000Z-{id}"),
        }
    }

    fn allow(mut r: Rule, t: AccessType, sid: &str) -> Rule {
        r.aces.push(Ace { access_type: t, kind: AceKind::Allow, sid: sid.into() });
        r
    }

    fn deny(mut r: Rule, t: AccessType, sid: &str) -> Rule {
        r.aces.push(Ace { access_type: t, kind: AceKind::Deny, sid: sid.into() });
        r
    }

    fn pc() -> Computer {
        Computer {
            device_id: "dev-1".into(),
            sid: "S-1-4096-9-9-9-9".into(),
            authority_type: "Ams".into(),
            authority_id: "inst".into(),
            authority_device_id: "dev-1".into(),
            ams_group_sids: vec!["S-1-4096-2-1".into(), "S-1-4096-2-4".into(), "S-1-4096-1-7-7-7-7".into()],
            ..Default::default()
        }
    }

    fn ad_pc() -> Computer {
        Computer {
            device_id: "dev-ad".into(),
            sid: "S-1-5-21-9-9-9-5001".into(),
            authority_type: "ActiveDirectory".into(),
            authority_id: "CORP".into(),
            authority_device_id: "S-1-5-21-9-9-9-5001".into(),
            ams_group_sids: vec!["S-1-4096-2-1".into()],
            distinguished_name: Some("CN=PC1,OU=Desktops,OU=Devices,DC=corp,DC=example".into()),
            ad_group_sids: vec!["S-1-5-21-9-9-9-6001".into()],
            ..Default::default()
        }
    }

    fn user(groups: &[&str]) -> Caller {
        Caller { user_sid: USER.into(), group_sids: groups.iter().map(|s| s.to_string()).collect() }
    }

    #[test]
    fn deny_beats_allow_whatever_the_order() {
        let a = allow(rule("a", TargetType::AmsComputer, "dev-1"), AccessType::Laps, USER);
        let b = deny(rule("b", TargetType::AmsGroup, "S-1-4096-2-1"), AccessType::Laps, READERS);
        for rules in [vec![a.clone(), b.clone()], vec![b.clone(), a.clone()]] {
            let d = evaluate(&rules, &user(&[READERS]), &pc(), AccessType::Laps, NOW, None);
            assert!(!d.allowed);
            assert_eq!(d.code, DecisionCode::ExplicitlyDenied);
            assert_eq!(d.deciding_rule.as_deref(), Some("b"));
            assert_eq!(d.allowing_rules, vec!["a"]);
        }
        // A deny for a SID the caller does not have changes nothing.
        let d = evaluate(&[a, b], &user(&[]), &pc(), AccessType::Laps, NOW, None);
        assert!(d.allowed);
    }

    #[test]
    fn deny_in_the_same_rule_wins_too() {
        let r =
            deny(allow(rule("a", TargetType::AmsComputer, "dev-1"), AccessType::Laps, READERS), AccessType::Laps, USER);
        let d = evaluate(&[r], &user(&[READERS]), &pc(), AccessType::Laps, NOW, None);
        assert_eq!(d.code, DecisionCode::ExplicitlyDenied);
    }

    #[test]
    fn group_based_allow() {
        let r = allow(rule("a", TargetType::AmsComputer, "dev-1"), AccessType::Laps, READERS);
        assert!(evaluate(std::slice::from_ref(&r), &user(&[READERS]), &pc(), AccessType::Laps, NOW, None).allowed);
        let d = evaluate(&[r], &user(&[OTHER]), &pc(), AccessType::Laps, NOW, None);
        assert!(!d.allowed);
        assert_eq!(d.code, DecisionCode::NoMatchingRuleForUser);
    }

    #[test]
    fn sid_comparison_ignores_case() {
        let r = allow(rule("a", TargetType::AmsComputer, "DEV-1"), AccessType::Laps, &READERS.to_lowercase());
        assert!(evaluate(&[r], &user(&[READERS]), &pc(), AccessType::Laps, NOW, None).allowed);
    }

    #[test]
    fn expired_and_disabled_rules_are_ignored() {
        let mut expired = deny(rule("x", TargetType::AmsComputer, "dev-1"), AccessType::Laps, USER);
        expired.expiry = Some(NOW);
        let mut disabled = deny(rule("y", TargetType::AmsComputer, "dev-1"), AccessType::Laps, USER);
        disabled.disabled = true;
        let mut future = allow(rule("z", TargetType::AmsComputer, "dev-1"), AccessType::Laps, USER);
        future.expiry = Some(NOW + Duration::seconds(1));
        let rules = vec![expired.clone(), disabled.clone(), future];
        let e = effective_access(&rules, &user(&[]), &pc(), NOW);
        let laps = &e.decisions[0];
        assert!(laps.allowed, "the expired and the disabled deny are ignored");
        let status: Vec<(String, RuleStatus)> = e.matches.iter().map(|m| (m.rule_id.clone(), m.status)).collect();
        assert!(status.contains(&("x".into(), RuleStatus::Expired)));
        assert!(status.contains(&("y".into(), RuleStatus::Disabled)));
        // With only ignored rules, nothing targets the computer.
        let d = evaluate(&[expired, disabled], &user(&[]), &pc(), AccessType::Laps, NOW, None);
        assert_eq!(d.code, DecisionCode::NoMatchingRuleForTarget);
    }

    #[test]
    fn script_rules_make_no_decision() {
        let mut s = deny(rule("s", TargetType::AmsComputer, "dev-1"), AccessType::Laps, USER);
        s.script = true;
        let a = allow(rule("a", TargetType::AmsGroup, "S-1-4096-2-1"), AccessType::Laps, USER);
        let e = effective_access(&[s.clone(), a], &user(&[]), &pc(), NOW);
        assert!(e.decisions[0].allowed);
        assert_eq!(e.matches[0].status, RuleStatus::ScriptNotEvaluated);
        assert_eq!(
            evaluate(&[s], &user(&[]), &pc(), AccessType::Laps, NOW, None).code,
            DecisionCode::NoMatchingRuleForTarget
        );
    }

    #[test]
    fn built_in_group_targets() {
        let all = allow(rule("all", TargetType::AmsGroup, "S-1-4096-2-1"), AccessType::Laps, USER);
        let windows = allow(rule("win", TargetType::AmsGroup, "S-1-4096-2-4"), AccessType::BitLocker, USER);
        let linux = allow(rule("linux", TargetType::AmsGroup, "S-1-4096-2-5"), AccessType::Laps, OTHER);
        let custom = allow(rule("custom", TargetType::AmsGroup, "S-1-4096-1-7-7-7-7"), AccessType::Laps, USER);
        let rules = vec![all, windows, linux, custom];
        let e = effective_access(&rules, &user(&[]), &pc(), NOW);
        let ids: Vec<&str> = e.matches.iter().map(|m| m.rule_id.as_str()).collect();
        assert_eq!(ids, vec!["custom", "all", "win"], "custom groups before built-in groups; Linux does not match");
        assert!(e.decisions[0].allowed);
        assert_eq!(e.decisions[0].deciding_rule.as_deref(), Some("custom"));
        assert!(e.decisions[2].allowed, "BitLocker through 'All Windows devices'");
    }

    #[test]
    fn order_is_computer_group_builtin_container_tenant() {
        let mut c = ad_pc();
        c.ams_group_sids.push("S-1-4096-1-5-5-5-5".into());
        let rules = vec![
            allow(rule("ou-far", TargetType::AdContainer, "OU=Devices,DC=corp,DC=example"), AccessType::Laps, USER),
            allow(
                rule("ou-near", TargetType::AdContainer, "ou=desktops, ou=devices,dc=CORP,dc=example"),
                AccessType::Laps,
                USER,
            ),
            allow(rule("builtin", TargetType::AmsGroup, "S-1-4096-2-1"), AccessType::Laps, USER),
            allow(rule("adgroup", TargetType::AdGroup, "S-1-5-21-9-9-9-6001"), AccessType::Laps, USER),
            allow(rule("adpc", TargetType::AdComputer, "S-1-5-21-9-9-9-5001"), AccessType::Laps, USER),
            allow(rule("other-ou", TargetType::AdContainer, "OU=Servers,DC=corp,DC=example"), AccessType::Laps, USER),
        ];
        let ids: Vec<String> = matching_rules(&rules, &c, NOW).into_iter().map(|(r, _)| r.id.clone()).collect();
        assert_eq!(ids, vec!["adpc", "adgroup", "builtin", "ou-near", "ou-far"]);
        let d = evaluate(&rules, &user(&[]), &c, AccessType::Laps, NOW, None);
        assert_eq!(d.deciding_rule.as_deref(), Some("adpc"));
        assert_eq!(d.allowing_rules.len(), 5);
    }

    #[test]
    fn entra_targets_need_the_tenant() {
        let c = Computer {
            device_id: "d".into(),
            authority_type: "AzureActiveDirectory".into(),
            authority_id: "11111111-1111-1111-1111-111111111111".into(),
            authority_device_id: "22222222-2222-2222-2222-222222222222".into(),
            entra_group_ids: vec!["33333333-3333-3333-3333-333333333333".into()],
            ..Default::default()
        };
        let tenant = "11111111-1111-1111-1111-111111111111";
        let mut dev = rule("dev", TargetType::AadComputer, "22222222-2222-2222-2222-222222222222");
        dev.target_authority_id = Some(tenant.into());
        let mut grp = rule("grp", TargetType::AadGroup, "33333333-3333-3333-3333-333333333333");
        grp.target_authority_id = Some(tenant.into());
        let ten = rule("ten", TargetType::AadTenant, tenant);
        let mut wrong = rule("wrong", TargetType::AadComputer, "22222222-2222-2222-2222-222222222222");
        wrong.target_authority_id = Some("99999999-1111-1111-1111-111111111111".into());
        let rules = vec![ten, grp, dev, wrong];
        let ids: Vec<String> = matching_rules(&rules, &c, NOW).into_iter().map(|(r, _)| r.id.clone()).collect();
        assert_eq!(ids, vec!["dev", "grp", "ten"]);
        assert!(matching_rules(&rules, &pc(), NOW).is_empty(), "an ams device is in no tenant");
    }

    #[test]
    fn every_access_type_is_decided_on_its_own() {
        for t in AccessType::ALL {
            let r = allow(rule("r", TargetType::AdComputer, "S-1-5-21-9-9-9-5001"), t, USER);
            let e = effective_access(&[r], &user(&[]), &ad_pc(), NOW);
            for d in &e.decisions {
                assert_eq!(d.allowed, d.access_type == t, "rule allows {t:?}; decision for {:?}", d.access_type);
            }
        }
    }

    #[test]
    fn jit_applies_only_to_ad_computers_and_ad_targets() {
        let ams_rule = allow(rule("a", TargetType::AmsComputer, "dev-1"), AccessType::Jit, USER);
        let d = evaluate(std::slice::from_ref(&ams_rule), &user(&[]), &pc(), AccessType::Jit, NOW, None);
        assert!(!d.allowed && !d.applicable);
        // An AD computer that is also in an ams group: JIT entries on the ams-group rule are ignored.
        let grp = allow(rule("g", TargetType::AmsGroup, "S-1-4096-2-1"), AccessType::Jit, USER);
        let d = evaluate(&[grp], &user(&[]), &ad_pc(), AccessType::Jit, NOW, None);
        assert!(!d.allowed && d.applicable);
        let mut ad = allow(rule("ad", TargetType::AdComputer, "S-1-5-21-9-9-9-5001"), AccessType::Jit, USER);
        ad.jit_group = Some("%computerDomain%\\JIT-%computerName%".into());
        let d = evaluate(&[ad], &user(&[]), &ad_pc(), AccessType::Jit, NOW, None);
        assert!(d.allowed);
        assert_eq!(d.duration, Some(JIT_FALLBACK_DURATION), "no duration configured: one hour");
        assert_eq!(d.jit_group.as_deref(), Some("%computerDomain%\\JIT-%computerName%"));
    }

    #[test]
    fn default_and_maximum_durations() {
        let p = DurationPolicy {
            default: Some(Duration::minutes(30)),
            maximum: Some(Duration::hours(2)),
            allow_extension: false,
        };
        assert_eq!(p.grant(None, None), Some(Duration::minutes(30)), "default when nothing is asked");
        assert_eq!(
            p.grant(Some(Duration::hours(1)), None),
            Some(Duration::hours(1)),
            "what is asked, within the maximum"
        );
        assert_eq!(p.grant(Some(Duration::hours(8)), None), Some(Duration::hours(2)), "never above the maximum");
        let max_only = DurationPolicy { maximum: Some(Duration::hours(2)), ..Default::default() };
        assert_eq!(max_only.grant(None, None), Some(Duration::hours(2)), "maximum when there is no default");
        assert_eq!(DurationPolicy::default().grant(Some(Duration::hours(1)), None), None, "nothing configured: none");
        assert_eq!(DurationPolicy::default().grant(None, Some(Duration::hours(1))), Some(Duration::hours(1)));

        let mut r = allow(rule("a", TargetType::AmsComputer, "dev-1"), AccessType::Laps, USER);
        r.laps = p;
        let d = evaluate(&[r.clone()], &user(&[]), &pc(), AccessType::Laps, NOW, Some(Duration::hours(5)));
        assert_eq!(d.duration, Some(Duration::hours(2)));
        assert_eq!(d.maximum_duration, Some(Duration::hours(2)));
        r.aces.push(Ace { access_type: AccessType::BitLocker, kind: AceKind::Allow, sid: USER.into() });
        let d = evaluate(&[r], &user(&[]), &pc(), AccessType::BitLocker, NOW, None);
        assert_eq!(d.duration, None, "BitLocker access has no duration");
    }

    #[test]
    fn first_allowing_rule_supplies_the_settings() {
        let mut near = allow(rule("near", TargetType::AmsComputer, "dev-1"), AccessType::Laps, USER);
        near.reason = ReasonRequirement::Required;
        near.laps.maximum = Some(Duration::minutes(15));
        let mut far = allow(rule("far", TargetType::AmsGroup, "S-1-4096-2-1"), AccessType::Laps, USER);
        far.laps.maximum = Some(Duration::hours(4));
        let d = evaluate(&[far, near], &user(&[]), &pc(), AccessType::Laps, NOW, None);
        assert_eq!(d.deciding_rule.as_deref(), Some("near"));
        assert_eq!(d.reason_requirement, ReasonRequirement::Required);
        assert_eq!(d.duration, Some(Duration::minutes(15)));
    }

    #[test]
    fn distinguished_names() {
        assert_eq!(container_distance("CN=PC1,OU=A,DC=x", "OU=A,DC=x"), Some(1));
        assert_eq!(container_distance("CN=PC1,OU=A,OU=B,DC=x", "ou=b , dc=X"), Some(2));
        assert_eq!(container_distance("CN=PC1,OU=A,DC=x", "CN=PC1,OU=A,DC=x"), None, "not its own container");
        assert_eq!(container_distance("CN=PC1,OU=AB,DC=x", "OU=B,DC=x"), None, "whole RDNs only");
        assert_eq!(container_distance("CN=a\\,b,OU=A,DC=x", "OU=A,DC=x"), Some(1), "escaped comma");
        assert!(dn_components("OU=A,,DC=x").is_none());
        assert!(dn_components("just text").is_none());
    }

    #[test]
    fn jit_group_templates() {
        assert_eq!(expand_jit_group("%computerDomain%\\JIT-%computerName%", "PC1", "CORP"), "CORP\\JIT-PC1");
        assert_eq!(expand_jit_group("%COMPUTERNAME%-admins", "PC1", "CORP"), "PC1-admins");
        assert_eq!(expand_jit_group("100% %other% %computerName", "PC1", "CORP"), "100% %other% %computerName");
    }

    /// A small seeded generator (SplitMix64), so the property test needs no extra crate and every
    /// failure is reproducible from its case number.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn chance(&mut self, percent: u64) -> bool {
            self.next() % 100 < percent
        }
    }

    /// Random rule sets over a small pool of SIDs, targets and access types.
    fn random_case(rng: &mut Rng) -> (Vec<Rule>, Caller, Computer) {
        let sids: Vec<String> = (0..8).map(|i| format!("S-1-5-21-7-7-7-{}", 1000 + i)).collect();
        let mut computer = ad_pc();
        computer.ams_group_sids = vec!["S-1-4096-2-1".into(), "S-1-4096-1-1-1-1-1".into()];
        let targets: [(TargetType, &str); 7] = [
            (TargetType::AdComputer, "S-1-5-21-9-9-9-5001"),
            (TargetType::AdComputer, "S-1-5-21-9-9-9-5002"),
            (TargetType::AdGroup, "S-1-5-21-9-9-9-6001"),
            (TargetType::AdContainer, "OU=Devices,DC=corp,DC=example"),
            (TargetType::AmsGroup, "S-1-4096-2-1"),
            (TargetType::AmsGroup, "S-1-4096-1-1-1-1-1"),
            (TargetType::AmsComputer, "dev-other"),
        ];
        let n = rng.below(7);
        let rules = (0..n)
            .map(|i| {
                let (tt, tid) = targets[rng.below(targets.len())];
                let mut r = rule(&format!("r{i}"), tt, tid);
                r.disabled = rng.chance(10);
                if rng.chance(10) {
                    r.expiry = Some(NOW - Duration::minutes(rng.below(100) as i64));
                } else if rng.chance(10) {
                    r.expiry = Some(NOW + Duration::minutes(1 + rng.below(100) as i64));
                }
                for _ in 0..rng.below(6) {
                    r.aces.push(Ace {
                        access_type: AccessType::ALL[rng.below(6)],
                        kind: if rng.chance(30) { AceKind::Deny } else { AceKind::Allow },
                        sid: sids[rng.below(sids.len())].clone(),
                    });
                }
                r
            })
            .collect();
        let caller = Caller {
            user_sid: sids[rng.below(sids.len())].clone(),
            group_sids: (0..rng.below(4)).map(|_| sids[rng.below(sids.len())].clone()).collect(),
        };
        (rules, caller, computer)
    }

    fn counts(r: &Rule, c: &Computer, t: AccessType) -> bool {
        target_rank(r, c).is_some()
            && !r.disabled
            && r.expiry.is_none_or(|e| e > NOW)
            && !r.script
            && (t != AccessType::Jit || r.target_type.is_active_directory())
    }

    #[test]
    fn property_a_deny_for_any_caller_sid_always_denies() {
        let mut rng = Rng(0x5EED_A11C_E5ED_0001);
        let mut denied_cases = 0;
        for case in 0..5000 {
            let (rules, caller, computer) = random_case(&mut rng);
            for t in AccessType::ALL {
                let d = evaluate(&rules, &caller, &computer, t, NOW, None);
                let has_deny = rules.iter().any(|r| {
                    counts(r, &computer, t)
                        && r.aces.iter().any(|a| a.access_type == t && a.kind == AceKind::Deny && caller.has(&a.sid))
                });
                let has_allow = rules.iter().any(|r| {
                    counts(r, &computer, t)
                        && r.aces.iter().any(|a| a.access_type == t && a.kind == AceKind::Allow && caller.has(&a.sid))
                });
                if has_deny {
                    denied_cases += 1;
                    assert!(!d.allowed, "case {case}: a deny for a caller SID must deny {t:?}");
                    assert_eq!(d.code, DecisionCode::ExplicitlyDenied, "case {case}");
                } else {
                    assert_eq!(d.allowed, has_allow, "case {case}: without a deny, any allow grants {t:?}");
                }
                // The order of the rules never changes the outcome.
                let mut reversed = rules.clone();
                reversed.reverse();
                let r = evaluate(&reversed, &caller, &computer, t, NOW, None);
                assert_eq!((r.allowed, r.code, &r.deciding_rule), (d.allowed, d.code, &d.deciding_rule), "case {case}");
                // Ignored rules can be removed without changing anything.
                let kept: Vec<Rule> =
                    rules.iter().filter(|r| !r.disabled && r.expiry.is_none_or(|e| e > NOW)).cloned().collect();
                assert_eq!(evaluate(&kept, &caller, &computer, t, NOW, None).allowed, d.allowed, "case {case}");
            }
        }
        assert!(denied_cases > 1000, "the generator must produce many denials ({denied_cases})");
    }
}
