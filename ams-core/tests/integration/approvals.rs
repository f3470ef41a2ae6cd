//! Approvals: rules that require a second person, the request state machine (pending, approved,
//! denied, used, expired) with its coded refusals and audit records, JIT membership on approval
//! against a real slapd, and a property test over random sequences of requests and decisions.

use ams_core::ErrorCode;
use ams_core::authz::{AccessType, AceKind};
use ams_core::service::access::{AccessQuery, AccessRequest, DirectoryInfo};
use ams_core::service::approvals::{
    AccessOutcome, AccessRequestQuery, ApprovalChanges, DecisionRequest, PendingAccess, RequestState,
};
use ams_core::service::devices::DeviceSelector;
use ams_core::service::rules::{
    ComputerRuleChanges, ComputerRuleSettings, NewComputerRule, NewRoleRule, PrincipalChange, RoleRuleChanges,
    TargetSpec,
};
use proptest::prelude::*;
use time::Duration;

use crate::fixture::Fixture;

const ALICE: &str = "S-1-5-21-1000-2000-3000-1104";
const BOB: &str = "S-1-5-21-1000-2000-3000-1105";
const CAROL: &str = "S-1-5-21-1000-2000-3000-1106";
const DAVE: &str = "S-1-5-21-1000-2000-3000-1107";
const PASSWORD: &str = "Approval-Canary-Pw-0";

fn approval(approvers: &[&str]) -> ApprovalChanges {
    ApprovalChanges {
        required: Some(true),
        add_approvers: approvers.iter().map(|s| s.to_string()).collect(),
        remove_approvers: vec![],
        wait: Some(Duration::hours(4)),
        access_window: Some(Duration::minutes(30)),
    }
}

/// PC1 with a password and a LAPS rule for ALICE and CAROL that needs BOB's or ALICE's approval.
fn setup() -> (Fixture, String, String) {
    let f = Fixture::new();
    let dev = f.device("pc1");
    f.upload_password(&dev, PASSWORD).unwrap();
    let rule = f
        .ams
        .computer_rule_new(&NewComputerRule {
            target: TargetSpec::AmsComputer(dev.clone()),
            script: None,
            principals: [ALICE, CAROL]
                .iter()
                .map(|s| PrincipalChange {
                    access_type: AccessType::Laps,
                    kind: AceKind::Allow,
                    principal: s.to_string(),
                })
                .collect(),
            settings: ComputerRuleSettings {
                approval: approval(&[&format!("{BOB}=CORP\\bob"), ALICE]),
                ..Default::default()
            },
        })
        .unwrap();
    (f, dev, rule.id)
}

fn laps(user: &str) -> AccessRequest {
    AccessRequest {
        query: AccessQuery {
            computer: DeviceSelector::ComputerName("pc1".into()),
            user_sid: user.into(),
            group_sids: vec![],
            directory: DirectoryInfo::default(),
        },
        access_type: AccessType::Laps,
        reason: Some("ticket 9".into()),
        source_address: None,
        requested_duration: None,
    }
}

fn pending(f: &Fixture, user: &str) -> PendingAccess {
    match f.ams.access_request_or_pending(Some(&f.keyring), &laps(user)).unwrap() {
        AccessOutcome::Pending(p) => *p,
        AccessOutcome::Granted(_) => panic!("a rule that requires approval granted at once"),
    }
}

fn decide(f: &Fixture, id: &str, approver: &str, approve: bool) -> ams_core::Result<RequestState> {
    f.ams
        .access_request_decide(
            None,
            &DecisionRequest {
                request_id: id.into(),
                approver_sid: approver.into(),
                approve,
                reason: Some("checked".into()),
            },
        )
        .map(|d| d.request.state)
}

fn code<T: std::fmt::Debug>(r: ams_core::Result<T>) -> ErrorCode {
    r.unwrap_err().code()
}

fn events(f: &Fixture, id: &str) -> Vec<(String, String, Option<String>)> {
    f.ams
        .audit_records(Some(id), 1000)
        .unwrap()
        .into_iter()
        .map(|r| (r.event, r.outcome, r.details["Code"].as_str().map(str::to_string)))
        .collect()
}

#[test]
fn approval_settings_live_with_computer_and_role_rules() {
    let (f, dev, rule) = setup();
    let info = &f.ams.computer_rules(Some(&rule)).unwrap()[0];
    assert!(info.approval.approval_required);
    assert_eq!(info.approval.approvers.len(), 2);
    assert_eq!(info.approval.approvers[0].name.as_deref(), Some("CORP\\bob"));
    assert_eq!(info.approval.approval_wait_duration.as_deref(), Some("04:00:00"));
    assert_eq!(info.approval.approval_access_window.as_deref(), Some("00:30:00"));

    let set = |a: ApprovalChanges| {
        f.ams.computer_rule_set(
            &rule,
            &ComputerRuleChanges {
                settings: ComputerRuleSettings { approval: a, ..Default::default() },
                ..Default::default()
            },
        )
    };
    let s = set(ApprovalChanges { remove_approvers: vec![ALICE.into()], ..Default::default() }).unwrap();
    assert_eq!(s.approval.approvers.len(), 1);
    // The last approver cannot go while approval is required; bad periods are refused; nothing changes.
    let e = set(ApprovalChanges { remove_approvers: vec![BOB.into()], ..Default::default() }).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ApprovalSettingInvalid);
    let e = set(ApprovalChanges { wait: Some(Duration::seconds(5)), ..Default::default() }).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ApprovalSettingInvalid);
    let e = set(ApprovalChanges { access_window: Some(Duration::days(8)), ..Default::default() }).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ApprovalSettingInvalid);
    let e = set(ApprovalChanges { add_approvers: vec!["CORP\\bob".into()], ..Default::default() }).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NameNeedsDirectory);
    assert_eq!(f.ams.computer_rules(Some(&rule)).unwrap()[0].approval.approvers.len(), 1);
    // Turned off: the approvers go with it; approvers alone on a rule without approval are refused.
    let off = set(ApprovalChanges { required: Some(false), ..Default::default() }).unwrap();
    assert!(!off.approval.approval_required && off.approval.approvers.is_empty());
    let e = set(ApprovalChanges { add_approvers: vec![BOB.into()], ..Default::default() }).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ApprovalSettingInvalid);
    let e = set(ApprovalChanges { required: Some(true), ..Default::default() }).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ApprovalSettingInvalid);
    // Back on with the defaults (1 day wait, 1 hour window).
    let on =
        set(ApprovalChanges { required: Some(true), add_approvers: vec![BOB.into()], ..Default::default() }).unwrap();
    assert_eq!(on.approval.approval_wait_duration.as_deref(), Some("1.00:00:00"));
    assert_eq!(on.approval.approval_access_window.as_deref(), Some("01:00:00"));
    let _ = dev;

    // Role rules carry the same settings.
    let role = f
        .ams
        .role_rule_new(&NewRoleRule {
            name: "Server admins".into(),
            group_name: "CORP\\ServerAdmins".into(),
            maximum: Duration::hours(2),
            allowed: vec![ALICE.into()],
            approval: approval(&[BOB]),
            ..Default::default()
        })
        .unwrap();
    assert!(role.approval.approval_required);
    let r = f
        .ams
        .role_rule_set(
            &role.id,
            &RoleRuleChanges {
                approval: ApprovalChanges { add_approvers: vec![CAROL.into()], ..Default::default() },
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(r.approval.approvers.len(), 2);
    assert_eq!(f.ams.role_rules(Some(&role.id), None).unwrap()[0].approval.approvers.len(), 2);

    // Removing a rule removes its requirement.
    f.ams.role_rule_remove(&role.id, true).unwrap();
    f.ams.computer_rule_remove(&rule, true).unwrap();
    assert!(f.ams.store().read(|tx| tx.rule_approvals()).unwrap().is_empty());
}

#[test]
fn a_request_waits_then_is_approved_and_fetched_once_by_the_requester() {
    let (f, dev, rule) = setup();
    let p = pending(&f, CAROL);
    assert_eq!((p.status, p.allowed, p.matched_rule.as_str()), ("Pending", false, rule.as_str()));
    assert_eq!(p.wait_until, "2026-03-01T16:00:00.000000Z");
    let json = serde_json::to_string(&AccessOutcome::Pending(Box::new(p.clone()))).unwrap();
    assert!(!json.contains(PASSWORD) && json.contains("\"Status\":\"Pending\""), "{json}");
    // The plain API refuses with the request's id.
    let e = f.ams.access_request(Some(&f.keyring), &laps(CAROL)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ApprovalRequired);
    let id = p.request_id.clone();

    // Nothing is handed out while pending; only named approvers who are not the requester decide.
    assert_eq!(code(f.ams.access_request_fetch(Some(&f.keyring), &id, CAROL)), ErrorCode::AccessRequestPending);
    assert_eq!(code(decide(&f, &id, DAVE, true)), ErrorCode::NotAnApprover);
    assert_eq!(code(decide(&f, &id, CAROL, true)), ErrorCode::SelfApproval);
    assert_eq!(code(decide(&f, "not-a-guid", BOB, true)), ErrorCode::AccessRequestNotFound);
    assert_eq!(code(decide(&f, &uuid::Uuid::new_v4().to_string(), BOB, true)), ErrorCode::AccessRequestNotFound);
    assert_eq!(decide(&f, &id, BOB, true).unwrap(), RequestState::Approved);
    assert_eq!(code(decide(&f, &id, ALICE, false)), ErrorCode::AccessRequestDecided);

    // Only the requester fetches it, once.
    assert_eq!(code(f.ams.access_request_fetch(Some(&f.keyring), &id, ALICE)), ErrorCode::NotTheRequester);
    let g = f.ams.access_request_fetch(Some(&f.keyring), &id, CAROL).unwrap();
    assert_eq!(g.password.as_ref().unwrap().password.as_str(), PASSWORD);
    assert_eq!(code(f.ams.access_request_fetch(Some(&f.keyring), &id, CAROL)), ErrorCode::AccessRequestUsed);

    let listed = f.ams.access_requests(&AccessRequestQuery { id: Some(id.clone()), ..Default::default() }).unwrap();
    assert_eq!(listed[0].state, RequestState::Used);
    assert_eq!(listed[0].decided_by.as_deref(), Some(BOB));
    assert_eq!(listed[0].decision_reason.as_deref(), Some("checked"));
    assert_eq!(listed[0].computer_name, "pc1");

    // Every transition and refusal is an ordinary audit record on the request; the fetch is the
    // one record that read the secret (on the device) and names the request.
    let ev = events(&f, &id);
    let names: Vec<String> = ev.iter().map(|(e, o, _)| format!("{e}:{o}")).collect();
    assert_eq!(
        names,
        [
            "access_request.new:success",
            "access_request.use:denied",
            "access_request.approve:denied",
            "access_request.approve:denied",
            "access_request.approve:success",
            "access_request.deny:denied",
            "access_request.use:denied",
            "access_request.use:denied",
        ]
    );
    assert_eq!(ev[2].2.as_deref(), Some("AMS-APR-0002"));
    assert_eq!(ev[3].2.as_deref(), Some("AMS-APR-0003"));
    let used: Vec<_> = f
        .ams
        .audit_records(Some(&dev), 1000)
        .unwrap()
        .into_iter()
        .filter(|r| r.event == "access_request.use" && r.outcome == "success")
        .collect();
    assert_eq!(used.len(), 1);
    assert_eq!(used[0].details["RequestId"], id.as_str());
    assert_eq!(used[0].details["ApprovedBy"], BOB);
    // No record holds the password; the chain verifies.
    let all = f.ams.audit_records(None, 10_000).unwrap();
    assert!(all.iter().all(|r| !r.details.to_string().contains(PASSWORD)));
    f.ams.audit_verify(None).unwrap();
}

#[test]
fn denied_and_expired_requests_give_their_codes() {
    let (f, _dev, _rule) = setup();
    let denied = pending(&f, CAROL).request_id;
    assert_eq!(decide(&f, &denied, BOB, false).unwrap(), RequestState::Denied);
    assert_eq!(code(f.ams.access_request_fetch(Some(&f.keyring), &denied, CAROL)), ErrorCode::AccessRequestDenied);
    assert_eq!(code(decide(&f, &denied, ALICE, true)), ErrorCode::AccessRequestDenied);

    // Waited too long (4 hours): cannot be approved any more.
    let late = pending(&f, CAROL).request_id;
    f.clock.advance(Duration::hours(4));
    assert_eq!(code(decide(&f, &late, BOB, true)), ErrorCode::AccessRequestExpired);
    // Approved, but fetched after the 30-minute window.
    let slow = pending(&f, CAROL).request_id;
    decide(&f, &slow, BOB, true).unwrap();
    f.clock.advance(Duration::minutes(29));
    let fresh = pending(&f, CAROL).request_id;
    decide(&f, &fresh, ALICE, true).unwrap();
    f.clock.advance(Duration::minutes(1));
    assert_eq!(code(f.ams.access_request_fetch(Some(&f.keyring), &slow, CAROL)), ErrorCode::AccessRequestExpired);
    assert!(f.ams.access_request_fetch(Some(&f.keyring), &fresh, CAROL).is_ok());

    let by_state = |s| {
        f.ams
            .access_requests(&AccessRequestQuery { state: Some(s), ..Default::default() })
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(by_state(RequestState::Expired), vec![slow.clone(), late.clone()]);
    assert_eq!(by_state(RequestState::Denied), vec![denied]);
    assert_eq!(by_state(RequestState::Used), vec![fresh]);
    assert!(by_state(RequestState::Pending).is_empty());
    let q = AccessRequestQuery {
        requester_sid: Some(CAROL.into()),
        computer: Some(DeviceSelector::ComputerName("pc1".into())),
        ..Default::default()
    };
    assert_eq!(f.ams.access_requests(&q).unwrap().len(), 4);
    let q = AccessRequestQuery { requester_sid: Some(ALICE.into()), ..Default::default() };
    assert!(f.ams.access_requests(&q).unwrap().is_empty());
}

#[test]
fn the_rules_are_checked_again_when_the_access_is_fetched() {
    let (f, _dev, rule) = setup();
    let id = pending(&f, CAROL).request_id;
    decide(&f, &id, BOB, true).unwrap();
    f.ams
        .computer_rule_set(
            &rule,
            &ComputerRuleChanges {
                remove: vec![PrincipalChange {
                    access_type: AccessType::Laps,
                    kind: AceKind::Allow,
                    principal: CAROL.into(),
                }],
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(code(f.ams.access_request_fetch(Some(&f.keyring), &id, CAROL)), ErrorCode::AccessDenied);
    // And a rule that stops requiring approval leaves no one to decide pending requests.
    let id = pending(&f, ALICE).request_id;
    f.ams
        .computer_rule_set(
            &rule,
            &ComputerRuleChanges {
                settings: ComputerRuleSettings {
                    approval: ApprovalChanges { required: Some(false), ..Default::default() },
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(code(decide(&f, &id, BOB, true)), ErrorCode::ApprovalRuleChanged);
}

#[test]
fn jit_membership_is_made_on_approval() {
    use crate::slapd::{ALICE_SID, SUFFIX, Slapd};
    let s = Slapd::start();
    let f = Fixture::new();
    f.ad_device("PC1", "S-1-5-21-7-7-7-5001", "AMS", None);
    f.ams
        .computer_rule_new(&NewComputerRule {
            target: TargetSpec::AdContainer(format!("ou=Computers,{SUFFIX}")),
            script: None,
            principals: vec![PrincipalChange {
                access_type: AccessType::Jit,
                kind: AceKind::Allow,
                principal: ALICE_SID.into(),
            }],
            settings: ComputerRuleSettings {
                jit_group_name: Some(Some("%computerDomain%\\JIT-%computerName%".into())),
                jit_default: Some(Some(Duration::hours(1))),
                approval: approval(&[BOB]),
                ..Default::default()
            },
        })
        .unwrap();
    crate::jit::configure(&f, &s);
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
    let AccessOutcome::Pending(p) = f.ams.access_request_or_pending(Some(&f.keyring), &req).unwrap() else {
        panic!("granted without approval")
    };
    let p = *p;
    // Pending: no membership yet.
    assert!(!s.members(&crate::jit::jit_group_dn()).contains(&crate::jit::alice_dn()));
    f.clock.advance(Duration::minutes(10));
    let d = f
        .ams
        .access_request_decide(
            Some(&f.keyring),
            &DecisionRequest {
                request_id: p.request_id.clone(),
                approver_sid: BOB.into(),
                approve: true,
                reason: None,
            },
        )
        .unwrap();
    let j = d.jit.expect("the approval made the membership");
    assert_eq!(j.membership_change, "Added");
    assert_eq!(j.expiry, "2026-03-01T13:10:00.000000Z");
    assert_eq!(d.request.state, RequestState::Used);
    assert!(s.members(&crate::jit::jit_group_dn()).contains(&crate::jit::alice_dn()));
    // The scheduler removes it when it expires, as for any JIT grant.
    assert_eq!(f.ams.jit_jobs(false).unwrap().len(), 1);
    assert_eq!(
        code(f.ams.access_request_fetch(Some(&f.keyring), &p.request_id, ALICE_SID)),
        ErrorCode::AccessRequestUsed
    );
    let ev: Vec<String> = events(&f, &p.request_id).into_iter().map(|(e, o, _)| format!("{e}:{o}")).collect();
    assert_eq!(ev, ["access_request.new:success", "access_request.approve:success", "access_request.use:denied"]);
}

// ---------------------------------------------------------------- property test

#[derive(Debug, Clone)]
enum Op {
    /// Actor (index into ACTORS) requests LAPS access.
    Request(usize),
    /// Actor decides request number n (mod the number made).
    Decide(usize, usize, bool),
    /// Actor fetches request number n.
    Get(usize, usize),
    /// The clock moves on (minutes).
    Advance(i64),
}

/// ALICE and CAROL may read (ALICE and BOB approve); DAVE may not read at all.
const ACTORS: [&str; 4] = [ALICE, BOB, CAROL, DAVE];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..4usize).prop_map(Op::Request),
        (0..4usize, 0..8usize, any::<bool>()).prop_map(|(a, n, ok)| Op::Decide(a, n, ok)),
        (0..4usize, 0..8usize).prop_map(|(a, n)| Op::Get(a, n)),
        prop_oneof![Just(1i64), Just(20), Just(31), Just(200), Just(300)].prop_map(Op::Advance),
    ]
}

/// The model's view of one request.
struct Model {
    id: String,
    requester: &'static str,
    made_at: i64,
    approved_at: Option<i64>,
    denied: bool,
    used: bool,
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, max_shrink_iters: 64, ..ProptestConfig::default() })]

    /// No sequence of requests, decisions, fetches and clock jumps hands the secret to anyone
    /// but the requester of a request a named approver other than the requester approved in
    /// time, once, within the access window.
    #[test]
    fn only_an_approved_requester_gets_the_secret_once_within_the_window(ops in prop::collection::vec(op(), 1..24)) {
        let (f, _dev, _rule) = setup();
        let mut minutes = 0i64;
        let mut reqs: Vec<Model> = Vec::new();
        for o in ops {
            match o {
                Op::Request(a) => match f.ams.access_request_or_pending(Some(&f.keyring), &laps(ACTORS[a])) {
                    Ok(AccessOutcome::Pending(p)) => {
                        prop_assert!(ACTORS[a] == ALICE || ACTORS[a] == CAROL);
                        reqs.push(Model { id: p.request_id, requester: ACTORS[a], made_at: minutes, approved_at: None, denied: false, used: false });
                    }
                    Ok(AccessOutcome::Granted(_)) => prop_assert!(false, "granted without approval"),
                    Err(e) => {
                        prop_assert!(ACTORS[a] == BOB || ACTORS[a] == DAVE, "{e:?}");
                        prop_assert_eq!(e.code(), ErrorCode::AccessDenied);
                    }
                },
                Op::Decide(a, n, approve) if !reqs.is_empty() => {
                    let len = reqs.len();
                    let r = &mut reqs[n % len];
                    let who = ACTORS[a];
                    let pending = r.approved_at.is_none() && !r.denied && minutes < r.made_at + 240;
                    let may = who != r.requester && (who == ALICE || who == BOB) && pending;
                    match decide(&f, &r.id, who, approve) {
                        Ok(_) => {
                            prop_assert!(may, "{who} decided {} made by {}", r.id, r.requester);
                            if approve { r.approved_at = Some(minutes) } else { r.denied = true }
                        }
                        Err(e) => {
                            prop_assert!(!may, "{who} refused: {e:?}");
                            let state_codes = [
                                ErrorCode::AccessRequestDecided,
                                ErrorCode::AccessRequestDenied,
                                ErrorCode::AccessRequestUsed,
                                ErrorCode::AccessRequestExpired,
                            ];
                            if who == r.requester {
                                prop_assert_eq!(e.code(), ErrorCode::SelfApproval);
                            } else if who != ALICE && who != BOB {
                                prop_assert_eq!(e.code(), ErrorCode::NotAnApprover);
                            } else {
                                prop_assert!(state_codes.contains(&e.code()), "{:?}", e.code());
                            }
                        }
                    }
                }
                Op::Get(a, n) if !reqs.is_empty() => {
                    let len = reqs.len();
                    let r = &mut reqs[n % len];
                    let who = ACTORS[a];
                    let may = who == r.requester
                        && !r.used
                        && !r.denied
                        && r.approved_at.is_some_and(|at| minutes < at + 30);
                    match f.ams.access_request_fetch(Some(&f.keyring), &r.id, who) {
                        Ok(g) => {
                            prop_assert!(may, "{who} got the secret of {} (requester {})", r.id, r.requester);
                            prop_assert_eq!(g.password.as_ref().map(|p| p.password.as_str().to_string()), Some(PASSWORD.to_string()));
                            r.used = true;
                        }
                        Err(e) => prop_assert!(!may, "{who} was refused a fetch it may make: {e:?}"),
                    }
                }
                Op::Advance(m) => {
                    minutes += m;
                    f.clock.advance(Duration::minutes(m));
                }
                _ => {}
            }
        }
    }
}
