//! Authorization rules, effective access, the rule-checked access request, rate limits and CSV import.

use ams_core::ErrorCode;
use ams_core::authz::duration::parse_duration;
use ams_core::authz::{AccessType, AceKind, ReasonRequirement, TargetType};
use ams_core::crypto::envelope::OaepHash;
use ams_core::service::access::{AccessQuery, AccessRequest, DirectoryInfo};
use ams_core::service::devices::DeviceSelector;
use ams_core::service::rule_import::ImportOptions;
use ams_core::service::rules::{
    ComputerRuleChanges, ComputerRuleSettings, NewComputerRule, NewRoleRule, PrincipalChange, RoleRuleChanges,
    ScriptSource, TargetSpec,
};
use ams_core::service::secrets::Upload;
use ams_core::service::settings::{RATE_LIMIT_PER_IP_PER_MINUTE, RATE_LIMIT_PER_USER_PER_MINUTE};
use time::Duration;

use crate::fixture::Fixture;

const ALICE: &str = "S-1-5-21-1000-2000-3000-1104";
const BOB: &str = "S-1-5-21-1000-2000-3000-1105";
const READERS: &str = "S-1-5-21-1000-2000-3000-2001";
const BLOCKED: &str = "S-1-5-21-1000-2000-3000-2002";

fn allow(t: AccessType, sid: &str) -> PrincipalChange {
    PrincipalChange { access_type: t, kind: AceKind::Allow, principal: sid.into() }
}

fn deny(t: AccessType, sid: &str) -> PrincipalChange {
    PrincipalChange { access_type: t, kind: AceKind::Deny, principal: sid.into() }
}

fn rule(target: TargetSpec, principals: Vec<PrincipalChange>) -> NewComputerRule {
    NewComputerRule { target, script: None, principals, settings: ComputerRuleSettings::default() }
}

fn query(computer: &str, user: &str, groups: &[&str]) -> AccessQuery {
    AccessQuery {
        computer: DeviceSelector::ComputerName(computer.into()),
        user_sid: user.into(),
        group_sids: groups.iter().map(|s| s.to_string()).collect(),
        directory: DirectoryInfo::default(),
    }
}

fn request(computer: &str, user: &str, groups: &[&str], t: AccessType) -> AccessRequest {
    AccessRequest {
        query: query(computer, user, groups),
        access_type: t,
        reason: Some("ticket 42".into()),
        source_address: None,
        requested_duration: None,
    }
}

fn audit_for(f: &Fixture, device: &str) -> Vec<ams_core::service::audit::AuditRecord> {
    f.ams.audit_records(Some(device), 1000).unwrap().into_iter().filter(|r| r.event == "access.request").collect()
}

#[test]
fn rule_lifecycle_and_validation() {
    let f = Fixture::new();
    let dev = f.device("pc1");
    let mut new = rule(
        TargetSpec::AmsComputer(dev.clone()),
        vec![allow(AccessType::Laps, &format!("{READERS}=CORP\\LapsReaders")), deny(AccessType::Laps, BLOCKED)],
    );
    new.settings.laps_max = Some(Some(Duration::hours(1)));
    new.settings.description = Some("PC1 readers".into());
    new.settings.reason_requirement = Some(ReasonRequirement::Required);
    new.settings.notify_success = Some(vec!["Email admins".into(), "email ADMINS".into()]);
    let r = f.ams.computer_rule_new(&new).unwrap();
    assert_eq!(r.target_type, TargetType::AmsComputer);
    assert_eq!(r.target, dev);
    assert_eq!(r.target_name.as_deref(), Some("pc1"));
    assert_eq!(r.principals_allowed_laps[0].sid, READERS);
    assert_eq!(r.principals_allowed_laps[0].name.as_deref(), Some("CORP\\LapsReaders"));
    assert_eq!(r.principals_denied_laps[0].sid, BLOCKED);
    assert_eq!(r.laps_maximum_access_duration.as_deref(), Some("01:00:00"));
    assert_eq!(r.notification_channels_success, vec!["Email admins"], "channels are de-duplicated");
    assert_eq!(r.display_name, "PC1 readers");

    // Set: add and remove principals, change settings, disable.
    let ch = ComputerRuleChanges {
        add: vec![allow(AccessType::BitLocker, ALICE), allow(AccessType::Laps, READERS)],
        remove: vec![deny(AccessType::Laps, BLOCKED)],
        settings: ComputerRuleSettings {
            disabled: Some(true),
            laps_default: Some(Some(Duration::minutes(30))),
            ..Default::default()
        },
        ..Default::default()
    };
    let r2 = f.ams.computer_rule_set(&r.id, &ch).unwrap();
    assert!(r2.disabled);
    assert!(r2.principals_denied_laps.is_empty());
    assert_eq!(r2.principals_allowed_bit_locker.len(), 1);
    assert_eq!(r2.principals_allowed_laps.len(), 1, "adding an existing principal changes nothing");
    assert_eq!(r2.laps_default_access_duration.as_deref(), Some("00:30:00"));
    assert_eq!(f.ams.computer_rules(Some(&r.id)).unwrap().len(), 1);
    assert!(f.ams.computer_rules(Some("no-such-id")).unwrap().is_empty());

    // Coded refusals.
    let code = |n: NewComputerRule| f.ams.computer_rule_new(&n).unwrap_err().code();
    assert_eq!(
        code(rule(TargetSpec::AmsComputer(dev.clone()), vec![allow(AccessType::Laps, "S-1-5-x")])),
        ErrorCode::InvalidSid
    );
    assert_eq!(
        code(rule(TargetSpec::AmsComputer(dev.clone()), vec![allow(AccessType::Laps, "CORP\\Readers")])),
        ErrorCode::NameNeedsDirectory
    );
    assert_eq!(code(rule(TargetSpec::AdGroup("CORP\\Servers".into()), vec![])), ErrorCode::NameNeedsDirectory);
    assert_eq!(code(rule(TargetSpec::AmsComputer("nope".into()), vec![])), ErrorCode::TargetInvalid);
    assert_eq!(code(rule(TargetSpec::AdContainer("not a dn".into()), vec![])), ErrorCode::TargetInvalid);
    assert_eq!(code(rule(TargetSpec::AadTenant { tenant_id: "xyz".into() }, vec![])), ErrorCode::TargetInvalid);
    assert_eq!(
        code(rule(TargetSpec::AmsComputer(dev.clone()), vec![allow(AccessType::Jit, ALICE)])),
        ErrorCode::SettingNotApplicable,
        "JIT principals need an AD target"
    );
    let mut bad = rule(TargetSpec::AmsComputer(dev.clone()), vec![]);
    bad.settings.laps_default = Some(Some(Duration::hours(2)));
    bad.settings.laps_max = Some(Some(Duration::hours(1)));
    assert_eq!(code(bad), ErrorCode::DefaultAboveMaximum);
    let mut past = rule(TargetSpec::AmsComputer(dev.clone()), vec![]);
    past.settings.rule_expiry = Some(Some(f.ams.now_time() - Duration::minutes(1)));
    assert_eq!(code(past), ErrorCode::ExpiryInvalid);
    let mut jit_on_ams = rule(TargetSpec::AmsGroup("S-1-4096-2-1".into()), vec![]);
    jit_on_ams.settings.jit_group_name = Some(Some("CORP\\Admins".into()));
    assert_eq!(code(jit_on_ams), ErrorCode::SettingNotApplicable);
    assert_eq!(AccessType::parse("telepathy").unwrap_err().code(), ErrorCode::UnknownAccessType);
    assert_eq!(parse_duration("eventually").unwrap_err().code(), ErrorCode::DurationInvalid);

    // Remove: an enabled rule needs force; this one is disabled.
    f.ams.computer_rule_remove(&r.id, false).unwrap();
    assert_eq!(f.ams.computer_rule_remove(&r.id, true).unwrap_err().code(), ErrorCode::RuleNotFound);
    let enabled = f.ams.computer_rule_new(&rule(TargetSpec::AmsGroup("S-1-4096-2-1".into()), vec![])).unwrap();
    assert_eq!(f.ams.computer_rule_remove(&enabled.id, false).unwrap_err().code(), ErrorCode::ForceRequired);
    f.ams.computer_rule_remove(&enabled.id, true).unwrap();

    // Every change is audited.
    let events: Vec<String> = f.ams.audit_records(None, 1000).unwrap().into_iter().map(|r| r.event).collect();
    for e in ["computer_rule.new", "computer_rule.set", "computer_rule.remove"] {
        assert!(events.iter().any(|x| x == e), "{e} audited");
    }
}

#[test]
fn every_target_kind_is_stored() {
    let f = Fixture::new();
    let dev = f.device("pc1");
    let g = f.ams.group_new("Kiosks", None).unwrap();
    let tenant = "2b693132-7e65-4603-b508-910a2b4487c8";
    let obj = "{0B5A5F1C-1111-4A2B-9C3D-1234567890AB}";
    let cases = vec![
        (TargetSpec::AmsComputer(dev.clone()), TargetType::AmsComputer, dev.clone()),
        (TargetSpec::AmsGroup(g.id.clone()), TargetType::AmsGroup, g.sid.clone()),
        (TargetSpec::AmsGroup("S-1-4096-2-4".into()), TargetType::AmsGroup, "S-1-4096-2-4".into()),
        (
            TargetSpec::AdComputer("S-1-5-21-1-2-3-5001=CORP\\PC9$".into()),
            TargetType::AdComputer,
            "S-1-5-21-1-2-3-5001".into(),
        ),
        (TargetSpec::AdGroup("S-1-5-21-1-2-3-6001".into()), TargetType::AdGroup, "S-1-5-21-1-2-3-6001".into()),
        (
            TargetSpec::AdContainer("OU=Devices,DC=corp,DC=example".into()),
            TargetType::AdContainer,
            "OU=Devices,DC=corp,DC=example".into(),
        ),
        (TargetSpec::AadTenant { tenant_id: tenant.into() }, TargetType::AadTenant, tenant.into()),
        (
            TargetSpec::AadGroup { tenant_id: tenant.into(), group_id: obj.into() },
            TargetType::AadGroup,
            "0b5a5f1c-1111-4a2b-9c3d-1234567890ab".into(),
        ),
        (
            TargetSpec::AadComputer { tenant_id: tenant.into(), computer_id: obj.into() },
            TargetType::AadComputer,
            "0b5a5f1c-1111-4a2b-9c3d-1234567890ab".into(),
        ),
    ];
    for (spec, tt, id) in cases {
        let r = f.ams.computer_rule_new(&rule(spec.clone(), vec![allow(AccessType::Laps, ALICE)])).unwrap();
        assert_eq!((r.target_type, r.target.as_str()), (tt, id.as_str()), "{spec:?}");
        if matches!(tt, TargetType::AadGroup | TargetType::AadComputer) {
            assert_eq!(r.target_authority_id.as_deref(), Some(tenant));
        }
    }
    assert_eq!(f.ams.computer_rules(None).unwrap().len(), 9);

    // JIT settings and principals on an AD target; a script rule.
    let mut ad =
        rule(TargetSpec::AdContainer("OU=Devices,DC=corp,DC=example".into()), vec![allow(AccessType::Jit, ALICE)]);
    ad.settings.jit_group_name = Some(Some("%computerDomain%\\JIT-%computerName%".into()));
    ad.settings.jit_max = Some(Some(Duration::hours(8)));
    ad.settings.site_name = Some(Some("HQ".into()));
    let r = f.ams.computer_rule_new(&ad).unwrap();
    assert_eq!(r.principals_allowed_jit.len(), 1);
    assert_eq!(r.jit_maximum_access_duration.as_deref(), Some("08:00:00"));
    let script = ScriptSource {
        path: "authz.ps1".into(),
        text: "function Get-AuthorizationResponse($User, $Computer) {}".into(),
    };
    let s = f
        .ams
        .computer_rule_new(&NewComputerRule {
            script: Some(script),
            ..rule(TargetSpec::AmsComputer(dev.clone()), vec![])
        })
        .unwrap();
    assert_eq!(s.authorization_mode, "PowershellScript");
    let add = ComputerRuleChanges { add: vec![allow(AccessType::Laps, ALICE)], ..Default::default() };
    assert_eq!(f.ams.computer_rule_set(&s.id, &add).unwrap_err().code(), ErrorCode::SettingNotApplicable);
    let bad_script = ScriptSource { path: "x.ps1".into(), text: "Write-Host hi".into() };
    let n = NewComputerRule { script: Some(bad_script), ..rule(TargetSpec::AmsComputer(dev.clone()), vec![]) };
    assert_eq!(f.ams.computer_rule_new(&n).unwrap_err().code(), ErrorCode::ScriptInvalid);
    // Moving an AD rule with JIT settings to an ams target is refused.
    let mv = ComputerRuleChanges { target: Some(TargetSpec::AmsComputer(dev)), ..Default::default() };
    assert_eq!(f.ams.computer_rule_set(&r.id, &mv).unwrap_err().code(), ErrorCode::SettingNotApplicable);
}

#[test]
fn role_rules() {
    let f = Fixture::new();
    let new = NewRoleRule {
        name: "Rocketship production admin".into(),
        group_name: "CORP\\Rocketship-Prod-Admins".into(),
        maximum: Duration::minutes(510),
        default: Some(Duration::hours(1)),
        allowed: vec![READERS.into()],
        ..Default::default()
    };
    let r = f.ams.role_rule_new(&new).unwrap();
    assert_eq!(r.maximum_access_duration, "08:30:00");
    assert_eq!(r.principals_allowed_jit[0].sid, READERS);
    let dup = NewRoleRule { name: "ROCKETSHIP production admin".into(), ..new.clone() };
    assert_eq!(f.ams.role_rule_new(&dup).unwrap_err().code(), ErrorCode::RuleExists);
    let none = NewRoleRule { name: "x".into(), allowed: vec![], ..new.clone() };
    assert_eq!(f.ams.role_rule_new(&none).unwrap_err().code(), ErrorCode::InvalidRequest);
    let long_default = NewRoleRule { name: "y".into(), default: Some(Duration::hours(9)), ..new.clone() };
    assert_eq!(f.ams.role_rule_new(&long_default).unwrap_err().code(), ErrorCode::DefaultAboveMaximum);

    let ch = RoleRuleChanges {
        name: Some("My new role name".into()),
        add_denied: vec![BLOCKED.into()],
        remove_allowed: vec![READERS.into()],
        add_allowed: vec![ALICE.into()],
        allow_extension: Some(true),
        enabled: Some(false),
        ..Default::default()
    };
    let r2 = f.ams.role_rule_set(&r.id, &ch).unwrap();
    assert_eq!(r2.name, "My new role name");
    assert!(r2.disabled && r2.allow_extension);
    assert_eq!(r2.principals_allowed_jit.iter().map(|p| p.sid.as_str()).collect::<Vec<_>>(), vec![ALICE]);
    assert_eq!(r2.principals_denied_jit[0].sid, BLOCKED);
    assert_eq!(f.ams.role_rules(None, Some("my NEW role name")).unwrap().len(), 1);
    let shrink = RoleRuleChanges { maximum: Some(Duration::minutes(30)), ..Default::default() };
    assert_eq!(f.ams.role_rule_set(&r.id, &shrink).unwrap_err().code(), ErrorCode::DefaultAboveMaximum);
    f.ams.role_rule_remove(&r.id, false).unwrap();
    assert!(f.ams.role_rules(None, None).unwrap().is_empty());
}

#[test]
fn access_request_returns_the_password_and_expires_it_after_access() {
    let f = Fixture::new();
    let dev = f.device("pc1");
    f.upload_password(&dev, "x-Canary-Authz-1").unwrap();
    let mut r = rule(TargetSpec::AmsComputer(dev.clone()), vec![allow(AccessType::Laps, READERS)]);
    r.settings.laps_max = Some(Some(Duration::hours(2)));
    r.settings.laps_default = Some(Some(Duration::hours(1)));
    let rule_id = f.ams.computer_rule_new(&r).unwrap().id;

    let g = f.ams.access_request(Some(&f.keyring), &request("pc1", ALICE, &[READERS], AccessType::Laps)).unwrap();
    assert_eq!(g.password.as_ref().unwrap().password, "x-Canary-Authz-1");
    assert_eq!(g.matched_rule, rule_id);
    assert_eq!(g.access_duration.as_deref(), Some("01:00:00"));
    let expected = ams_core::clock::format_time(f.ams.now_time() + Duration::hours(1));
    assert_eq!(g.access_expiry.as_deref(), Some(expected.as_str()));
    // The stored password now expires at the end of the access.
    let pw = f.ams.password_current(&f.keyring, &DeviceSelector::Id(dev.clone())).unwrap();
    assert_eq!(pw.expires.as_deref(), Some(expected.as_str()));

    // Asking for longer than the maximum gets the maximum; without extension the earlier expiry stays.
    let mut long = request("pc1", ALICE, &[READERS], AccessType::Laps);
    long.requested_duration = Some(Duration::hours(8));
    let g2 = f.ams.access_request(Some(&f.keyring), &long).unwrap();
    assert_eq!(g2.access_duration.as_deref(), Some("02:00:00"));
    assert_eq!(g2.access_expiry.as_deref(), Some(expected.as_str()), "no extension: the earlier expiry is kept");
    // With extension allowed the expiry moves out.
    let ext = ComputerRuleChanges {
        settings: ComputerRuleSettings { laps_allow_extension: Some(true), ..Default::default() },
        ..Default::default()
    };
    f.ams.computer_rule_set(&rule_id, &ext).unwrap();
    let g3 = f.ams.access_request(Some(&f.keyring), &long).unwrap();
    let later = ams_core::clock::format_time(f.ams.now_time() + Duration::hours(2));
    assert_eq!(g3.access_expiry.as_deref(), Some(later.as_str()));

    // Success is audited with the reason and never with the secret.
    let recs = audit_for(&f, &dev);
    assert_eq!(recs.len(), 3);
    let rec = &recs[0];
    assert_eq!(rec.outcome, "success");
    assert_eq!(rec.details["Reason"], "ticket 42");
    assert_eq!(rec.details["UserSid"], ALICE);
    assert_eq!(rec.details["Code"], "Success");
    assert_eq!(rec.details["MatchedRule"], rule_id.as_str());
    assert!(!serde_json::to_string(&recs).unwrap().contains("Canary"));
}

#[test]
fn denials_are_audited_with_their_code() {
    let f = Fixture::new();
    let dev = f.device("pc1");
    f.upload_password(&dev, "x-Canary-Authz-2").unwrap();
    let kr = Some(&f.keyring);
    // No rule at all.
    let e = f.ams.access_request(kr, &request("pc1", ALICE, &[], AccessType::Laps)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AccessDenied);
    assert_eq!(e.context()["code"], "NoMatchingRuleForTarget");
    // Allowed for the group, denied for one member.
    f.ams
        .computer_rule_new(&rule(TargetSpec::AmsGroup("S-1-4096-2-1".into()), vec![allow(AccessType::Laps, READERS)]))
        .unwrap();
    let deny_rule = f
        .ams
        .computer_rule_new(&rule(TargetSpec::AmsComputer(dev.clone()), vec![deny(AccessType::Laps, BOB)]))
        .unwrap();
    let e = f.ams.access_request(kr, &request("pc1", BOB, &[READERS], AccessType::Laps)).unwrap_err();
    assert_eq!(e.context()["code"], "ExplicitlyDenied");
    assert_eq!(e.context()["rule_id"], deny_rule.id);
    let e = f.ams.access_request(kr, &request("pc1", ALICE, &[], AccessType::Laps)).unwrap_err();
    assert_eq!(e.context()["code"], "NoMatchingRuleForUser");
    // Alice through the group on the built-in "All devices" target.
    assert!(f.ams.access_request(kr, &request("pc1", ALICE, &[READERS], AccessType::Laps)).is_ok());
    // An unknown computer is audited too.
    let e = f.ams.access_request(kr, &request("nope", ALICE, &[READERS], AccessType::Laps)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::DeviceNotFound);

    let recs = audit_for(&f, &dev);
    let outcomes: Vec<(&str, &str)> =
        recs.iter().map(|r| (r.outcome.as_str(), r.details["Code"].as_str().unwrap_or(""))).collect();
    assert_eq!(
        outcomes,
        vec![
            ("denied", "NoMatchingRuleForTarget"),
            ("denied", "ExplicitlyDenied"),
            ("denied", "NoMatchingRuleForUser"),
            ("success", "Success")
        ]
    );
    // Every access.request record has a target of type device: an unknown computer has no id,
    // and the name as asked is in Computer.
    let all: Vec<_> =
        f.ams.audit_records(None, 1000).unwrap().into_iter().filter(|r| r.event == "access.request").collect();
    assert!(all.iter().all(|r| r.target_type.as_deref() == Some("device")));
    let unknown = all.iter().find(|r| r.details["Computer"] == "nope").expect("the unknown computer is audited");
    assert_eq!((unknown.outcome.as_str(), unknown.target_id.as_deref()), ("failure", None));
}

#[test]
fn reason_requirement_and_missing_secrets() {
    let f = Fixture::new();
    let dev = f.device("pc1");
    let mut r = rule(TargetSpec::AmsComputer(dev.clone()), vec![allow(AccessType::Laps, ALICE)]);
    r.settings.reason_requirement = Some(ReasonRequirement::Required);
    f.ams.computer_rule_new(&r).unwrap();
    let mut req = request("pc1", ALICE, &[], AccessType::Laps);
    req.reason = Some("   ".into());
    assert_eq!(f.ams.access_request(Some(&f.keyring), &req).unwrap_err().code(), ErrorCode::ReasonRequired);
    // Granted, but there is no password yet: a failure, audited.
    req.reason = Some("incident 7".into());
    assert_eq!(f.ams.access_request(Some(&f.keyring), &req).unwrap_err().code(), ErrorCode::NoPassword);
    let recs = audit_for(&f, &dev);
    assert_eq!(recs[0].details["Code"], "ReasonRequired");
    assert_eq!(recs[1].outcome, "failure");
    assert_eq!(recs[1].details["Error"], "AMS-PWD-0001");
}

#[test]
fn every_access_type_through_a_request() {
    let f = Fixture::new();
    let dev = f.device("pc1");
    f.upload_password(&dev, "x-Canary-Old").unwrap();
    f.clock.advance(Duration::minutes(1));
    f.upload_password(&dev, "x-Canary-New").unwrap();
    f.ams
        .agent_upload(
            &f.keyring,
            &dev,
            &Upload::BitLocker { key_id: uuid::Uuid::new_v4().to_string(), volume_id: None, volume_type: None },
            b"111111-222222-333333-444444-555555-666666-000011-000022",
            OaepHash::Sha256,
        )
        .unwrap();
    let all: Vec<PrincipalChange> =
        [AccessType::Laps, AccessType::LapsHistory, AccessType::BitLocker].iter().map(|t| allow(*t, ALICE)).collect();
    f.ams.computer_rule_new(&rule(TargetSpec::AmsGroup("S-1-4096-2-4".into()), all)).unwrap();
    let kr = Some(&f.keyring);
    let laps = f.ams.access_request(kr, &request("pc1", ALICE, &[], AccessType::Laps)).unwrap();
    assert_eq!(laps.password.unwrap().password, "x-Canary-New");
    assert_eq!(laps.access_duration, None, "no LAPS duration on the rule: the expiry is left alone");
    let hist = f.ams.access_request(kr, &request("pc1", ALICE, &[], AccessType::LapsHistory)).unwrap();
    assert_eq!(hist.password_history.unwrap()[0].password, "x-Canary-Old");
    let fve = f.ams.access_request(kr, &request("pc1", ALICE, &[], AccessType::BitLocker)).unwrap();
    assert!(fve.bit_locker_keys.unwrap()[0].recovery_password.starts_with("111111"));
    // JIT does not apply to an ams device.
    let e = f.ams.access_request(None, &request("pc1", ALICE, &[], AccessType::Jit)).unwrap_err();
    assert_eq!(e.context()["code"], "NoMatchingRuleForUser");

    // JIT on an AD computer, matched through its container.
    let ad = f.ad_device("PC9", "S-1-5-21-9-9-9-5001", "CORP", Some("PC9.corp.example".into()));
    let mut jit =
        rule(TargetSpec::AdContainer("OU=Desktops,DC=corp,DC=example".into()), vec![allow(AccessType::Jit, ALICE)]);
    jit.settings.jit_group_name = Some(Some("%computerDomain%\\JIT-%computerName%".into()));
    jit.settings.jit_max = Some(Some(Duration::hours(4)));
    jit.settings.jit_default = Some(Some(Duration::hours(2)));
    f.ams.computer_rule_new(&jit).unwrap();
    let mut req = request("PC9", ALICE, &[], AccessType::Jit);
    let e = f.ams.access_request(None, &req).unwrap_err();
    // Without its DN the container rule does not match; the "All Windows devices" rule does, but
    // it grants no JIT.
    assert_eq!(e.context()["code"], "NoMatchingRuleForUser");
    let eff = f.ams.effective_access(&req.query).unwrap();
    assert_eq!(eff.matched_rules.len(), 1);
    assert_eq!(eff.matched_rules[0].target, "S-1-4096-2-4");
    req.query.directory.distinguished_name = Some("CN=PC9,OU=Desktops,DC=corp,DC=example".into());
    let g = f.ams.access_request(None, &req).unwrap();
    let j = g.jit.unwrap();
    assert_eq!(j.group_name, "CORP\\JIT-PC9");
    assert_eq!(j.duration, "02:00:00");
    assert_eq!(j.membership_change, "NotPerformed");
    assert!(audit_for(&f, &ad).iter().any(|r| r.details["JitGroup"] == "CORP\\JIT-PC9"));
}

#[test]
fn rate_limits_are_reached_and_reset() {
    let f = Fixture::new();
    let dev = f.device("pc1");
    f.upload_password(&dev, "x-Canary-Rate").unwrap();
    f.ams
        .computer_rule_new(&rule(TargetSpec::AmsComputer(dev.clone()), vec![allow(AccessType::Laps, READERS)]))
        .unwrap();
    f.ams.set_int_setting(&RATE_LIMIT_PER_USER_PER_MINUTE, 3).unwrap();
    let kr = Some(&f.keyring);
    let req = request("pc1", ALICE, &[READERS], AccessType::Laps);
    for _ in 0..3 {
        f.ams.access_request(kr, &req).unwrap();
    }
    let e = f.ams.access_request(kr, &req).unwrap_err();
    assert_eq!(e.code(), ErrorCode::RateLimited);
    assert_eq!(e.context()["code"], "UserRateLimitExceeded");
    assert_eq!(e.context()["window"], "minute");
    // Another user is not limited by Alice's requests.
    f.ams.access_request(kr, &request("pc1", BOB, &[READERS], AccessType::Laps)).unwrap();
    // Denied requests do not count: a minute later Alice may ask again.
    f.clock.advance(Duration::seconds(61));
    f.ams.access_request(kr, &req).unwrap();

    // Per source address: checked first, across users.
    f.ams.set_int_setting(&RATE_LIMIT_PER_IP_PER_MINUTE, 2).unwrap();
    f.clock.advance(Duration::seconds(61));
    let from = |user: &str| AccessRequest {
        source_address: Some("192.0.2.7".into()),
        ..request("pc1", user, &[READERS], AccessType::Laps)
    };
    f.ams.access_request(kr, &from(ALICE)).unwrap();
    f.ams.access_request(kr, &from(BOB)).unwrap();
    let e = f.ams.access_request(kr, &from(BOB)).unwrap_err();
    assert_eq!(e.context()["code"], "IpRateLimitExceeded");
    let bad_ip = AccessRequest { source_address: Some("not-an-ip".into()), ..req.clone() };
    assert_eq!(f.ams.access_request(kr, &bad_ip).unwrap_err().code(), ErrorCode::SourceAddressInvalid);

    // The hourly window: 50 by default; with a high per-minute limit, the 51st in an hour fails.
    f.ams.set_int_setting(&RATE_LIMIT_PER_USER_PER_MINUTE, 1000).unwrap();
    f.clock.advance(Duration::hours(2));
    for _ in 0..50 {
        f.ams.access_request(kr, &request("pc1", BOB, &[READERS], AccessType::Laps)).unwrap();
    }
    let e = f.ams.access_request(kr, &request("pc1", BOB, &[READERS], AccessType::Laps)).unwrap_err();
    assert_eq!(e.context()["window"], "hour");

    let recs = audit_for(&f, &dev);
    let codes: Vec<&str> =
        recs.iter().filter(|r| r.outcome == "denied").map(|r| r.details["Code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec!["UserRateLimitExceeded", "IpRateLimitExceeded", "UserRateLimitExceeded"]);
}

#[test]
fn expired_and_disabled_rules_grant_nothing() {
    let f = Fixture::new();
    let dev = f.device("pc1");
    f.upload_password(&dev, "x-Canary-Exp").unwrap();
    let mut r = rule(TargetSpec::AmsComputer(dev.clone()), vec![allow(AccessType::Laps, ALICE)]);
    r.settings.rule_expiry = Some(Some(f.ams.now_time() + Duration::hours(1)));
    let id = f.ams.computer_rule_new(&r).unwrap().id;
    f.ams.access_request(Some(&f.keyring), &request("pc1", ALICE, &[], AccessType::Laps)).unwrap();
    f.clock.advance(Duration::hours(2));
    let e = f.ams.access_request(Some(&f.keyring), &request("pc1", ALICE, &[], AccessType::Laps)).unwrap_err();
    assert_eq!(e.context()["code"], "NoMatchingRuleForTarget");
    let eff = f.ams.effective_access(&query("pc1", ALICE, &[])).unwrap();
    assert_eq!(eff.matched_rules[0].status, ams_core::authz::engine::RuleStatus::Expired);

    // Clearing the expiry revives it; disabling stops it again.
    let clear = ComputerRuleChanges {
        settings: ComputerRuleSettings { rule_expiry: Some(None), ..Default::default() },
        ..Default::default()
    };
    f.ams.computer_rule_set(&id, &clear).unwrap();
    assert!(f.ams.effective_access(&query("pc1", ALICE, &[])).unwrap().access[0].allowed);
    let disable = ComputerRuleChanges {
        settings: ComputerRuleSettings { disabled: Some(true), ..Default::default() },
        ..Default::default()
    };
    f.ams.computer_rule_set(&id, &disable).unwrap();
    let eff = f.ams.effective_access(&query("pc1", ALICE, &[])).unwrap();
    assert!(!eff.access[0].allowed);
    assert_eq!(eff.matched_rules[0].status, ams_core::authz::engine::RuleStatus::Disabled);
}

#[test]
fn effective_access_explains_each_type() {
    let f = Fixture::new();
    f.device("pc1");
    let allow_rule = f
        .ams
        .computer_rule_new(&rule(
            TargetSpec::AmsGroup("S-1-4096-2-1".into()),
            vec![allow(AccessType::Laps, READERS), allow(AccessType::BitLocker, READERS)],
        ))
        .unwrap();
    let deny_rule = f
        .ams
        .computer_rule_new(&rule(TargetSpec::AmsGroup("S-1-4096-2-4".into()), vec![deny(AccessType::BitLocker, ALICE)]))
        .unwrap();
    let e = f.ams.effective_access(&query("pc1", ALICE, &[READERS])).unwrap();
    assert_eq!(e.access.len(), 6);
    let by = |name: &str| e.access.iter().find(|a| a.access_type == name).unwrap();
    assert!(by("LocalAdminPassword").allowed);
    assert_eq!(by("LocalAdminPassword").deciding_rule.as_deref(), Some(allow_rule.id.as_str()));
    assert!(!by("Bitlocker").allowed);
    assert_eq!(by("Bitlocker").denying_rules, vec![deny_rule.id.clone()]);
    assert!(!by("Jit").applicable);
    assert_eq!(e.matched_rules.len(), 2);
    // Nothing was audited: effective access reads rules, not secrets.
    assert!(f.ams.audit_records(None, 1000).unwrap().iter().all(|r| r.event != "access.request"));
    assert_eq!(f.ams.effective_access(&query("pc1", "DOMAIN\\alice", &[])).unwrap_err().code(), ErrorCode::InvalidSid);
}

#[test]
fn csv_import_dry_run_apply_and_bad_lines() {
    let f = Fixture::new();
    let d1 = f.device("pc1");
    let d2 = f.device("pc2");
    let csv = format!(
        "Computer,Principal\n\
         PC1$,{READERS}=CORP\\LapsReaders\n\
         pc1,{ALICE}\n\
         pc1,{READERS}\n\
         \n\
         AccessManager\\pc2,{BOB},ignored extra column\n\
         S-1-5-21-7-7-7-5001,{ALICE}\n"
    );
    let dry = f.ams.computer_rule_import_csv(csv.as_bytes(), &ImportOptions::default()).unwrap();
    assert!(!dry.applied && dry.header);
    assert_eq!(dry.lines, 5);
    assert!(dry.bad_lines.is_empty(), "{:?}", dry.bad_lines);
    assert_eq!(dry.rules_created, 3);
    assert_eq!(dry.rules[0].target, d1);
    assert_eq!(dry.rules[0].principals.len(), 2, "duplicates per computer are consolidated");
    assert_eq!(dry.rules[0].lines, vec![2, 3, 4]);
    assert_eq!(dry.rules[1].target, d2);
    assert_eq!(dry.rules[2].target_type, TargetType::AdComputer);
    assert!(f.ams.computer_rules(None).unwrap().is_empty(), "a dry run writes nothing");

    // Bad lines: nothing is written unless they are skipped.
    let bad = format!("{csv}nosuchpc,{ALICE}\npc2,CORP\\Someone\npc2\npc2,S-1-5-bad\n");
    let rep = f.ams.computer_rule_import_csv(bad.as_bytes(), &ImportOptions::default()).unwrap();
    let lines: Vec<(u64, &str)> = rep.bad_lines.iter().map(|b| (b.line, b.code.as_str())).collect();
    assert_eq!(lines, vec![(8, "AMS-AUTHZ-0009"), (9, "AMS-AUTHZ-0004"), (10, "AMS-GEN-0002"), (11, "AMS-AUTHZ-0003")]);
    let apply = ImportOptions { apply: true, ..ImportOptions::default() };
    let e = f.ams.computer_rule_import_csv(bad.as_bytes(), &apply).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ImportBadLines);
    assert_eq!(e.context()["bad_lines"], "8,9,10,11");
    assert!(f.ams.computer_rules(None).unwrap().is_empty());

    let skip = ImportOptions {
        apply: true,
        skip_bad_lines: true,
        access_types: vec![AccessType::Laps, AccessType::BitLocker],
        settings: ComputerRuleSettings { laps_max: Some(Some(Duration::hours(1))), ..Default::default() },
        ..ImportOptions::default()
    };
    let done = f.ams.computer_rule_import_csv(bad.as_bytes(), &skip).unwrap();
    assert!(done.applied);
    assert_eq!(done.rules_created, 3);
    let rules = f.ams.computer_rules(None).unwrap();
    assert_eq!(rules.len(), 3);
    let pc1 = rules.iter().find(|r| r.target == d1).unwrap();
    assert_eq!(pc1.principals_allowed_laps.len(), 2);
    assert_eq!(pc1.principals_allowed_bit_locker.len(), 2);
    assert_eq!(pc1.laps_maximum_access_duration.as_deref(), Some("01:00:00"));
    assert_eq!(Some(pc1.id.clone()), done.rules[0].rule_id);

    // Merge adds to the existing rule instead of creating another.
    let more = format!("pc1,{BOB}\n");
    let merge = ImportOptions { apply: true, merge: true, ..ImportOptions::default() };
    let m = f.ams.computer_rule_import_csv(more.as_bytes(), &merge).unwrap();
    assert_eq!((m.rules_created, m.rules_merged), (0, 1));
    assert_eq!(m.rules[0].rule_id.as_deref(), Some(pc1.id.as_str()));
    assert_eq!(f.ams.computer_rules(Some(&pc1.id)).unwrap()[0].principals_allowed_laps.len(), 3);
    assert_eq!(f.ams.computer_rules(None).unwrap().len(), 3);
    let events: Vec<String> = f.ams.audit_records(None, 1000).unwrap().into_iter().map(|r| r.event).collect();
    assert_eq!(events.iter().filter(|e| *e == "computer_rule.import").count(), 2);

    // JIT on ams devices is a bad line.
    let jit = ImportOptions { access_types: vec![AccessType::Jit], ..ImportOptions::default() };
    let r = f.ams.computer_rule_import_csv(format!("pc1,{BOB}\n").as_bytes(), &jit).unwrap();
    assert_eq!(r.bad_lines[0].code, "AMS-AUTHZ-0010");
}

#[test]
fn rate_limits_count_denied_requests_bucket_addresses_and_come_before_any_directory_io() {
    let f = Fixture::new();
    let dev = f.device("pc1");
    f.upload_password(&dev, "x-Canary-Rate2").unwrap();
    f.ams
        .computer_rule_new(&rule(TargetSpec::AmsComputer(dev.clone()), vec![allow(AccessType::Laps, READERS)]))
        .unwrap();
    f.ams.set_int_setting(&RATE_LIMIT_PER_IP_PER_MINUTE, 2).unwrap();
    let kr = Some(&f.keyring);
    let from = |ip: &str, user: &str, groups: &[&str]| AccessRequest {
        source_address: Some(ip.into()),
        ..request("pc1", user, groups, AccessType::Laps)
    };
    // Requests the rules deny count too, and an IPv4-mapped IPv6 address is its IPv4 address.
    let e = f.ams.access_request(kr, &from("::ffff:192.0.2.9", ALICE, &[])).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AccessDenied);
    assert_eq!(f.ams.access_request(kr, &from("192.0.2.9", ALICE, &[])).unwrap_err().code(), ErrorCode::AccessDenied);
    let e = f.ams.access_request(kr, &from("192.0.2.9", BOB, &[READERS])).unwrap_err();
    assert_eq!(e.code(), ErrorCode::RateLimited, "{e:?}");
    assert_eq!(e.context()["code"], "IpRateLimitExceeded");
    // IPv6 addresses are counted per /64.
    f.clock.advance(Duration::seconds(61));
    f.ams.access_request(kr, &from("2001:db8:1:2::1", BOB, &[READERS])).unwrap();
    f.ams.access_request(kr, &from("2001:db8:1:2::ffff", BOB, &[READERS])).unwrap();
    let e = f.ams.access_request(kr, &from("2001:db8:1:2:abcd::5", BOB, &[READERS])).unwrap_err();
    assert_eq!(e.context()["code"], "IpRateLimitExceeded");
    f.ams.access_request(kr, &from("2001:db8:1:3::1", BOB, &[READERS])).unwrap();
    // A request refused by the user limit records no event for its address.
    f.clock.advance(Duration::seconds(61));
    f.ams.set_int_setting(&RATE_LIMIT_PER_USER_PER_MINUTE, 1).unwrap();
    f.ams.access_request(kr, &from("198.51.100.1", ALICE, &[READERS])).unwrap();
    let e = f.ams.access_request(kr, &from("198.51.100.1", ALICE, &[READERS])).unwrap_err();
    assert_eq!(e.context()["code"], "UserRateLimitExceeded");
    f.ams.access_request(kr, &from("198.51.100.1", BOB, &[READERS])).unwrap();
    // The limits apply before the JIT directory is asked anything (nothing listens at its URL).
    let ch = ams_core::service::jit::JitDirectoryChanges {
        url: Some("ldap://127.0.0.1:9".into()),
        bind_dn: Some("cn=admin,dc=example,dc=test".into()),
        base_dn: Some("dc=example,dc=test".into()),
        ..Default::default()
    };
    f.ams.set_jit_directory(kr, ch, Some(zeroize::Zeroizing::new(b"pw".to_vec()))).unwrap();
    let jit = AccessRequest {
        source_address: Some("198.51.100.1".into()),
        ..request("pc1", ALICE, &[READERS], AccessType::Jit)
    };
    assert_eq!(f.ams.access_request(kr, &jit).unwrap_err().code(), ErrorCode::RateLimited);
}
