//! Just-in-time access against a real OpenLDAP slapd: directory settings, grants, the scheduler
//! (removal after expiry, retries while the server is down, giving up after the limit), group
//! creation rules and the access-request hook.

use ams_core::ErrorCode;
use ams_core::authz::AccessType;
use ams_core::service::access::{AccessQuery, AccessRequest, DirectoryInfo};
use ams_core::service::devices::DeviceSelector;
use ams_core::service::jit::{JitDirectoryChanges, JitGrantRequest, JitGroupRuleChanges, JitOptionsChanges};
use ams_core::service::rules::{ComputerRuleSettings, NewComputerRule, PrincipalChange, TargetSpec};
use time::Duration;
use zeroize::Zeroizing;

use crate::fixture::{Fixture, RemovalDirectory, pending_removal};
use crate::slapd::{ALICE_SID, DESKTOPS_SID, PLACEHOLDER, ROOT_DN, ROOT_PW, SUFFIX, Slapd};

pub(crate) fn configure(f: &Fixture, s: &Slapd) {
    let ch = JitDirectoryChanges {
        url: Some(s.url()),
        bind_dn: Some(ROOT_DN.into()),
        base_dn: Some(SUFFIX.into()),
        sid_attribute: Some("ou".into()),
        sid_format: Some("string".into()),
        member_attribute: Some("member".into()),
        name_attribute: Some("cn".into()),
        group_object_class: Some("groupOfNames".into()),
        computer_object_class: Some("device".into()),
        group_type_attribute: Some(String::new()),
        initial_member_dn: Some(PLACEHOLDER.into()),
        // The JIT engine talks to slapd over StartTLS, verified against the run's test CA.
        tls: Some("starttls".into()),
        ca_file: Some(s.ca_file()),
        allow_plain_bind: None,
        secret_providers: None,
    };
    let info =
        f.ams.set_jit_directory(Some(&f.keyring), ch, Some(Zeroizing::new(ROOT_PW.as_bytes().to_vec()))).unwrap();
    assert!(info.bind_password_set);
}

pub(crate) fn alice_dn() -> String {
    format!("uid=alice,ou=People,{SUFFIX}")
}

pub(crate) fn jit_group_dn() -> String {
    format!("cn=JIT-PC1,ou=Groups,{SUFFIX}")
}

fn grant(minutes: i64, allow_extension: bool, max: Option<Duration>) -> JitGrantRequest {
    JitGrantRequest {
        user_sid: ALICE_SID.into(),
        group_name: "JIT-PC1".into(),
        duration: Duration::minutes(minutes),
        allow_extension,
        maximum_duration: max,
        device_id: None,
        computer_name: Some("PC1".into()),
        rule_id: None,
    }
}

#[test]
fn grant_then_removal_after_expiry() {
    let s = Slapd::start();
    let f = Fixture::new();
    configure(&f, &s);
    // The password is sealed, never stored or audited in clear.
    assert!(!crate::fixture::contains(&f.db_bytes(), ROOT_PW.as_bytes()));

    let g = f.ams.jit_grant(&f.keyring, &grant(60, false, None)).unwrap();
    assert_eq!(g.membership_change, "Added");
    assert_eq!(g.member_dn, alice_dn());
    assert_eq!(g.group_dn, jit_group_dn());
    assert_eq!(g.expiry, "2026-03-01T13:00:00.000000Z");
    assert!(s.members(&jit_group_dn()).contains(&alice_dn()));
    let jobs = f.ams.jit_jobs(false).unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].state, "Pending");

    // Not yet due.
    let r = f.ams.jit_run_due(&f.keyring, None).unwrap();
    assert_eq!(r.due, 0);
    assert!(s.members(&jit_group_dn()).contains(&alice_dn()));

    f.clock.advance(Duration::minutes(61));
    let r = f.ams.jit_run_due(&f.keyring, None).unwrap();
    assert_eq!((r.due, r.done, r.retrying, r.failed), (1, 1, 0, 0));
    assert_eq!(r.jobs[0].outcome, "Removed");
    assert_eq!(s.members(&jit_group_dn()), vec![PLACEHOLDER.to_string()]);
    assert!(f.ams.jit_jobs(false).unwrap().is_empty());
    let done = f.ams.jit_job(&g.job_id).unwrap();
    assert_eq!((done.state.as_str(), done.attempts), ("Done", 1));
    let audit = f.ams.audit_records(None, 1000).unwrap();
    assert!(audit.iter().any(|a| a.event == "jit.grant"));
    assert!(audit.iter().any(|a| a.event == "jit.job.done"));
    assert!(audit.iter().all(|a| !a.details.to_string().contains(ROOT_PW)));
}

#[test]
fn failed_removal_is_retried_on_a_later_run() {
    let mut s = Slapd::start();
    let f = Fixture::new();
    configure(&f, &s);
    let g = f.ams.jit_grant(&f.keyring, &grant(30, false, None)).unwrap();
    f.clock.advance(Duration::hours(1));

    s.stop();
    let r = f.ams.jit_run_due(&f.keyring, None).unwrap();
    assert_eq!((r.due, r.done, r.retrying), (1, 0, 1));
    let j = f.ams.jit_job(&g.job_id).unwrap();
    assert_eq!((j.state.as_str(), j.attempts), ("Pending", 1));
    assert!(j.last_error.as_deref().unwrap().contains("AMS-JIT-0002"), "{:?}", j.last_error);
    assert!(f.ams.jit_jobs(true).unwrap().is_empty(), "a retrying job is not failed");

    s.restart();
    assert!(s.members(&jit_group_dn()).contains(&alice_dn()), "the membership survived the failed run");
    f.clock.advance(Duration::minutes(1));
    let r = f.ams.jit_run_due(&f.keyring, None).unwrap();
    assert_eq!((r.due, r.done), (1, 1));
    assert!(!s.members(&jit_group_dn()).contains(&alice_dn()));
    let j = f.ams.jit_job(&g.job_id).unwrap();
    assert_eq!((j.state.as_str(), j.attempts, j.last_error), ("Done", 2, None));
}

#[test]
fn removal_gives_up_after_the_retry_limit() {
    let mut s = Slapd::start();
    let f = Fixture::new();
    configure(&f, &s);
    f.ams
        .set_jit_options(&JitOptionsChanges { maximum_jit_removal_retry_attempts: Some(2), ..Default::default() })
        .unwrap();
    let g = f.ams.jit_grant(&f.keyring, &grant(5, false, None)).unwrap();
    s.stop();
    f.clock.advance(Duration::minutes(10));
    let r1 = f.ams.jit_run_due(&f.keyring, None).unwrap();
    assert_eq!(r1.retrying, 1);
    let r2 = f.ams.jit_run_due(&f.keyring, None).unwrap();
    assert_eq!((r2.retrying, r2.failed), (0, 1));
    let failed = f.ams.jit_jobs(true).unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!((failed[0].id.as_str(), failed[0].attempts, failed[0].failed), (g.job_id.as_str(), 2, true));
    // A failed job is not run again.
    assert_eq!(f.ams.jit_run_due(&f.keyring, None).unwrap().due, 0);
    // Removing it leaves the membership alone.
    f.ams.remove_jit_job(&g.job_id).unwrap();
    assert_eq!(f.ams.jit_job(&g.job_id).unwrap_err().code(), ErrorCode::JitJobNotFound);
    s.restart();
    assert!(s.members(&jit_group_dn()).contains(&alice_dn()));
}

#[test]
fn extension_follows_the_rule() {
    let s = Slapd::start();
    let f = Fixture::new();
    configure(&f, &s);
    let first = f.ams.jit_grant(&f.keyring, &grant(60, false, None)).unwrap();
    f.clock.advance(Duration::minutes(30));
    // Without extension the expiry is kept.
    let kept = f.ams.jit_grant(&f.keyring, &grant(60, false, None)).unwrap();
    assert_eq!(kept.membership_change, "ExpiryKept");
    assert_eq!((kept.job_id.as_str(), kept.expiry.as_str()), (first.job_id.as_str(), "2026-03-01T13:00:00.000000Z"));
    // With extension it moves, capped at now + maximum.
    let ext = f.ams.jit_grant(&f.keyring, &grant(240, true, Some(Duration::minutes(90)))).unwrap();
    assert_eq!(ext.membership_change, "Extended");
    assert_eq!((ext.job_id.as_str(), ext.expiry.as_str()), (first.job_id.as_str(), "2026-03-01T14:00:00.000000Z"));
    assert_eq!(f.ams.jit_jobs(false).unwrap().len(), 1);
}

#[test]
fn directory_errors_are_reported() {
    let mut s = Slapd::start();
    let f = Fixture::new();
    // No directory configured.
    let e = f.ams.jit_grant(&f.keyring, &grant(5, false, None)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::JitDirectoryNotConfigured);
    configure(&f, &s);
    let mut unknown = grant(5, false, None);
    unknown.group_name = "JIT-NOPE".into();
    assert_eq!(f.ams.jit_grant(&f.keyring, &unknown).unwrap_err().code(), ErrorCode::DirectoryObjectNotFound);
    let mut nobody = grant(5, false, None);
    nobody.user_sid = "S-1-5-21-7-7-7-9999".into();
    assert_eq!(f.ams.jit_grant(&f.keyring, &nobody).unwrap_err().code(), ErrorCode::DirectoryObjectNotFound);
    // A wrong password is refused at the bind.
    let ch = JitDirectoryChanges::default();
    f.ams.set_jit_directory(Some(&f.keyring), ch, Some(Zeroizing::new(b"wrong".to_vec()))).unwrap();
    assert_eq!(
        f.ams.jit_grant(&f.keyring, &grant(5, false, None)).unwrap_err().code(),
        ErrorCode::DirectoryUnavailable
    );
    s.stop();
    assert_eq!(
        f.ams.jit_grant(&f.keyring, &grant(5, false, None)).unwrap_err().code(),
        ErrorCode::DirectoryUnavailable
    );
    let audit = f.ams.audit_records(None, 1000).unwrap();
    assert!(audit.iter().filter(|a| a.event == "jit.grant").count() >= 4);
    // A TLS mode that contradicts the URL is refused and changes nothing.
    let e = f
        .ams
        .set_jit_directory(
            None,
            JitDirectoryChanges {
                url: Some("ldaps://127.0.0.1:636".into()),
                tls: Some("starttls".into()),
                ..Default::default()
            },
            None,
        )
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::DirectoryTlsConfigInvalid);
    assert_eq!(f.ams.jit_directory().unwrap().tls.as_deref(), Some("StartTls"));
}

#[test]
fn computer_info_and_group_creation_rules() {
    let s = Slapd::start();
    let f = Fixture::new();
    configure(&f, &s);
    let c = f.ams.jit_computer_info(&f.keyring, "PC1").unwrap();
    assert_eq!(c.distinguished_name, format!("cn=PC1,ou=Computers,{SUFFIX}"));
    assert_eq!(c.group_sids, vec![DESKTOPS_SID.to_string()]);
    assert_eq!(f.ams.jit_computer_info(&f.keyring, "NOPE").unwrap_err().code(), ErrorCode::DirectoryObjectNotFound);

    let bad = JitGroupRuleChanges {
        computer_ou: Some(format!("ou=Computers,{SUFFIX}")),
        group_ou: Some(format!("ou=JitGroups,{SUFFIX}")),
        group_name_template: Some("JIT-static".into()),
        ..Default::default()
    };
    assert_eq!(f.ams.new_jit_group_rule(bad).unwrap_err().code(), ErrorCode::JitGroupRuleInvalid);
    let rule = f
        .ams
        .new_jit_group_rule(JitGroupRuleChanges {
            computer_ou: Some(format!("ou=Computers,{SUFFIX}")),
            group_ou: Some(format!("ou=JitGroups,{SUFFIX}")),
            group_name_template: Some("ADM-%computerName%".into()),
            group_description: Some("ams JIT group".into()),
            create_unix_gid: Some(true),
            unix_gid_attribute_name: Some("businessCategory".into()),
            unix_gid_start_range: Some(10_000),
            enable_jit_group_deletion: Some(true),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(rule.group_type, "DomainLocal");
    // One level: PC1 only.
    let r = f.ams.jit_sync(&f.keyring, false).unwrap();
    let pc1_group = format!("cn=ADM-PC1,ou=JitGroups,{SUFFIX}");
    assert_eq!(r.created, vec![pc1_group.clone()]);
    assert_eq!(s.attr(&pc1_group, "description"), vec!["ams JIT group".to_string()]);
    assert_eq!(s.attr(&pc1_group, "businessCategory"), vec!["10000".to_string()]);
    assert_eq!(s.members(&pc1_group), vec![PLACEHOLDER.to_string()]);
    // A second run finds it.
    let r = f.ams.jit_sync(&f.keyring, false).unwrap();
    assert!(r.created.is_empty());
    assert_eq!(r.existing, 1);
    // Subtree: SRV1 as well, with the next GID.
    f.ams.set_jit_group_rule(&rule.id, JitGroupRuleChanges { subtree: Some(true), ..Default::default() }).unwrap();
    let r = f.ams.jit_sync(&f.keyring, false).unwrap();
    let srv_group = format!("cn=ADM-SRV1,ou=JitGroups,{SUFFIX}");
    assert_eq!(r.created, vec![srv_group.clone()]);
    assert_eq!(s.attr(&srv_group, "businessCategory"), vec!["10001".to_string()]);
    // Back to one level with a forced full sync: SRV1's group is deleted.
    let set = f
        .ams
        .set_jit_group_rule(
            &rule.id,
            JitGroupRuleChanges { subtree: Some(false), force_full_sync: true, ..Default::default() },
        )
        .unwrap();
    assert!(set.full_sync_pending);
    let r = f.ams.jit_sync(&f.keyring, false).unwrap();
    assert_eq!(r.deleted, vec![srv_group.clone()]);
    assert!(!s.exists(&srv_group));
    assert!(s.exists(&pc1_group));
    assert!(!f.ams.jit_group_rule(&rule.id).unwrap().full_sync_pending);
    f.ams.remove_jit_group_rule(&rule.id).unwrap();
    assert_eq!(f.ams.jit_group_rule(&rule.id).unwrap_err().code(), ErrorCode::JitGroupRuleNotFound);
}

#[test]
fn access_request_performs_the_membership_change() {
    let s = Slapd::start();
    let f = Fixture::new();
    // An AD computer PC1 and a JIT rule on its container.
    let id = f.ad_device("PC1", "S-1-5-21-7-7-7-5001", "AMS", None);
    let settings = ComputerRuleSettings {
        jit_group_name: Some(Some("%computerDomain%\\JIT-%computerName%".into())),
        jit_default: Some(Some(Duration::hours(1))),
        jit_max: Some(Some(Duration::hours(2))),
        ..Default::default()
    };
    f.ams
        .computer_rule_new(&NewComputerRule {
            target: TargetSpec::AdContainer(format!("ou=Computers,{SUFFIX}")),
            script: None,
            principals: vec![PrincipalChange {
                access_type: AccessType::Jit,
                kind: ams_core::authz::AceKind::Allow,
                principal: ALICE_SID.into(),
            }],
            settings,
        })
        .unwrap();
    let req = AccessRequest {
        query: AccessQuery {
            computer: DeviceSelector::ComputerName("PC1".into()),
            user_sid: ALICE_SID.into(),
            group_sids: vec![],
            directory: DirectoryInfo {
                distinguished_name: Some(format!("cn=PC1,ou=Computers,{SUFFIX}")),
                ..Default::default()
            },
        },
        access_type: AccessType::Jit,
        reason: Some("ticket 7".into()),
        source_address: None,
        requested_duration: None,
    };
    // Without a directory: decided and audited only, and said so.
    let g = f.ams.access_request(None, &req).unwrap();
    assert_eq!(g.jit.as_ref().unwrap().membership_change, "NotPerformed");
    assert!(s.members(&jit_group_dn()).iter().all(|m| m != &alice_dn()));

    configure(&f, &s);
    assert!(f.ams.access_request(None, &req).is_err(), "the keyring is needed once a directory is configured");
    let g = f.ams.access_request(Some(&f.keyring), &req).unwrap();
    let j = g.jit.unwrap();
    assert_eq!(j.membership_change, "Added");
    assert_eq!(j.group_dn.as_deref(), Some(jit_group_dn().as_str()));
    assert_eq!(g.access_expiry.as_deref(), Some("2026-03-01T13:00:00.000000Z"));
    assert!(s.members(&jit_group_dn()).contains(&alice_dn()));
    let job = f.ams.jit_job(j.job_id.as_deref().unwrap()).unwrap();
    assert_eq!(job.device_id.as_deref(), Some(id.as_str()));
    assert!(job.rule_id.is_some());
    // The rule does not allow extension: a second request keeps the expiry.
    f.clock.advance(Duration::minutes(30));
    let again = f.ams.access_request(Some(&f.keyring), &req).unwrap();
    assert_eq!(again.jit.unwrap().membership_change, "ExpiryKept");
    assert_eq!(again.access_expiry.as_deref(), Some("2026-03-01T13:00:00.000000Z"));

    // Without the DN from the front end, the computer's DN comes from the directory, so the
    // container rule still matches.
    let mut bare = req.clone();
    bare.query.directory = DirectoryInfo::default();
    let g = f.ams.access_request(Some(&f.keyring), &bare).unwrap();
    assert_eq!(g.jit.unwrap().membership_change, "ExpiryKept");
    assert_eq!(g.matched_rule, job.rule_id.unwrap());
}

#[test]
fn options_defaults_and_validation() {
    let f = Fixture::new();
    let o = f.ams.jit_options().unwrap();
    assert_eq!(
        (
            o.jit_mode.as_str(),
            o.dc_locator_mode.as_str(),
            o.delta_sync_interval_minutes,
            o.full_sync_interval_minutes,
            o.maximum_jit_removal_retry_attempts
        ),
        ("Auto", "Default", 1, 60, 80)
    );
    let o = f
        .ams
        .set_jit_options(&JitOptionsChanges {
            jit_mode: Some("jitscheduler".into()),
            dc_locator_mode: Some("SiteLookup,LocalDcLocator".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!((o.jit_mode.as_str(), o.dc_locator_mode.as_str()), ("JitScheduler", "LocalDcLocator,SiteLookup"));
    let e = f
        .ams
        .set_jit_options(&JitOptionsChanges { full_sync_interval_minutes: Some(0), ..Default::default() })
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::JitOptionInvalid);
    assert_eq!(f.ams.jit_options().unwrap().full_sync_interval_minutes, 60, "nothing written on a refusal");
}

#[test]
fn two_runs_at_once_never_process_one_job_twice() {
    let f = Fixture::bare();
    let now = time::macros::datetime!(2026-03-01 12:00 UTC);
    let job = |id: &str| pending_removal(id, ALICE_SID, &alice_dn(), &jit_group_dn());
    f.ams
        .store()
        .write(|tx| {
            tx.put_jit_job(&job("j1"))?;
            tx.put_jit_job(&job("j2"))
        })
        .unwrap();
    // While the first run removes j1, a second run starts: j1 is claimed, so it takes only j2;
    // when the first run reaches j2, it finds j2 done and skips it.
    // The directory's removals run another `jit run-due` (on a second handle to the same
    // instance) while the first run is working on the job.
    let other = f.reopen();
    let (mut removals, mut other_due, mut other_removals) = (0, Vec::new(), 0);
    let mut d = RemovalDirectory(|_: &str, _: &str| {
        removals += 1;
        let mut inner = 0;
        let r = other.jit_run_due_with(Some(&mut RemovalDirectory(|_: &str, _: &str| inner += 1)), now).unwrap();
        other_due.push(r.due);
        other_removals += inner;
    });
    let first = f.ams.jit_run_due_with(Some(&mut d), now).unwrap();
    assert_eq!(other_due, vec![1], "the second run saw only the job not yet claimed");
    assert_eq!((removals, other_removals), (1, 1), "each run removed one membership");
    assert_eq!((first.due, first.done), (1, 1), "{first:?}");
    for id in ["j1", "j2"] {
        let j = f.ams.jit_job(id).unwrap();
        assert_eq!((j.state.as_str(), j.attempts), ("Done", 1), "{id}: each job once");
    }
    let done: Vec<_> =
        f.ams.audit_records(None, 1000).unwrap().into_iter().filter(|a| a.event == "jit.job.done").collect();
    assert_eq!(done.len(), 2, "one completion record per job");
}
