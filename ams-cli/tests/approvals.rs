//! End-to-end tests of approvals: rule flags, `ams access request` returning Pending,
//! `ams access approve|deny|get`, `ams access requests get`, the coded refusals with their exit
//! codes, and single use with several processes fetching at once.

use serde_json::Value;

mod common;
use common::*;

const ALICE: &str = "S-1-5-21-1000-2000-3000-1104";
const BOB: &str = "S-1-5-21-1000-2000-3000-1105";
const DAVE: &str = "S-1-5-21-1000-2000-3000-1107";
const PASSWORD: &str = "Canary-Approval-Cli-0";

/// An instance with pc1 (a password) and a LAPS rule for ALICE that BOB must approve.
fn setup() -> (Instance, String) {
    let i = Instance::new();
    let rule = prepare(&i.dir);
    (i, rule)
}

/// Gives the instance in `dir` pc1 with a password and the rule; returns the rule id.
fn prepare(dir: &std::path::Path) -> String {
    ok_in(dir, &["cert", "new", "--key-size", "3072"], None);
    let key = ok_in(dir, &["device-registration-key", "new", "--name", "k1"], None);
    let out =
        run_in(dir, &["agent", "register", "--name", "pc1", "--os", "windows"], Some(key["Key"].as_str().unwrap()));
    assert!(out.status.success());
    let dev = serde_json::from_slice::<Value>(&out.stdout).unwrap()["DeviceId"].as_str().unwrap().to_string();
    let out = run_in(dir, &["agent", "submit-password", "--device-id", &dev], Some(PASSWORD));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r = ok_in(
        dir,
        &[
            "computer-authorization-rule",
            "new",
            "--ams-computer-id",
            &dev,
            "--principals-allowed-laps",
            ALICE,
            "--approval-required",
            "--approvers",
            &format!("{BOB}=CORP\\bob"),
            "--approval-wait-duration",
            "4:00:00",
            "--approval-access-window",
            "PT30M",
        ],
        None,
    );
    assert_eq!(r["ApprovalRequired"], true);
    assert_eq!(r["Approvers"][0]["Sid"], BOB);
    assert_eq!(r["ApprovalWaitDuration"], "04:00:00");
    assert_eq!(r["ApprovalAccessWindow"], "00:30:00");
    r["Id"].as_str().unwrap().to_string()
}

fn request(i: &Instance, user: &str) -> Value {
    i.ok(&["access", "request", "--computer-name", "pc1", "--access-type", "laps", "--user-sid", user], None)
}

#[test]
fn request_approve_get_once_with_coded_refusals() {
    let (i, rule) = setup();
    let p = request(&i, ALICE);
    assert_eq!((p["Status"].as_str(), p["Allowed"].as_bool()), (Some("Pending"), Some(false)));
    assert!(p.get("Password").is_none());
    let id = p["RequestId"].as_str().unwrap().to_string();

    let get = ["access", "get", "--request-id", &id, "--user-sid", ALICE];
    let decide = |verb: &str, who: &str| -> Vec<String> {
        ["access", verb, "--request-id", &id, "--approver-sid", who, "--reason", "ok"].map(String::from).to_vec()
    };
    let err = |args: &[String]| {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let (e, err) = i.err(&a, None);
        (e, err["code"].as_str().unwrap().to_string())
    };
    let code = |args: &[&str]| {
        let (e, err) = i.err(args, None);
        (e, err["code"].as_str().unwrap().to_string())
    };
    assert_eq!(code(&get), (4, "AMS-APR-0007".into()), "pending");
    assert_eq!(err(&decide("approve", DAVE)), (6, "AMS-APR-0002".into()), "not an approver");
    assert_eq!(err(&decide("approve", ALICE)), (6, "AMS-APR-0003".into()), "self-approval");
    assert_eq!(code(&["access", "approve", "--request-id", "nope", "--approver-sid", BOB]), (3, "AMS-APR-0001".into()));
    let a = {
        let args = decide("approve", BOB);
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        i.ok(&a, None)
    };
    assert_eq!((a["State"].as_str(), a["DecidedBy"].as_str()), (Some("Approved"), Some(BOB)));
    assert_eq!(err(&decide("deny", BOB)), (4, "AMS-APR-0008".into()), "already decided");
    assert_eq!(code(&["access", "get", "--request-id", &id, "--user-sid", DAVE]), (6, "AMS-APR-0009".into()));
    let g = i.ok(&get, None);
    assert_eq!(g["Password"]["Password"], PASSWORD);
    assert_eq!(g["MatchedRule"], rule.as_str());
    assert_eq!(code(&get), (4, "AMS-APR-0006".into()), "used");

    // Denied requests.
    let id2 = request(&i, ALICE)["RequestId"].as_str().unwrap().to_string();
    let d = i.ok(&["access", "deny", "--request-id", &id2, "--approver-sid", BOB], None);
    assert_eq!(d["State"], "Denied");
    assert_eq!(code(&["access", "get", "--request-id", &id2, "--user-sid", ALICE]), (4, "AMS-APR-0005".into()));

    // Listing and its filters.
    let all = i.ok(&["access", "requests", "get"], None);
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_eq!(all[0]["Id"], id2.as_str(), "newest first");
    let used = i.ok(&["access", "requests", "get", "--state", "used"], None);
    assert_eq!(used.as_array().unwrap().len(), 1);
    assert_eq!(used[0]["Id"], id.as_str());
    assert_eq!(used[0]["Approvers"][0]["Name"], "CORP\\bob");
    let mine = i.ok(&["access", "requests", "get", "--requester-sid", ALICE, "--computer-name", "pc1"], None);
    assert_eq!(mine.as_array().unwrap().len(), 2);
    let none = i.ok(&["access", "requests", "get", "--requester-sid", BOB], None);
    assert!(none.as_array().unwrap().is_empty());
    assert_eq!(code(&["access", "requests", "get", "--state", "sleeping"]).0, 2);
    let listed = serde_json::to_string(&all).unwrap();
    assert!(!listed.contains(PASSWORD));

    // Audit records name the transitions.
    let audit = i.ok(&["audit", "get", "--target-id", &id], None);
    let events: Vec<String> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{}:{}", r["Event"].as_str().unwrap(), r["Outcome"].as_str().unwrap()))
        .collect();
    for want in ["access_request.new:success", "access_request.approve:success", "access_request.approve:denied"] {
        assert!(events.contains(&want.to_string()), "{want} in {events:?}");
    }

    // Rule flags: set, then turn off.
    let s = i.ok(
        &["computer-authorization-rule", "set", "--id", &rule, "--add-approvers", DAVE, "--remove-approvers", BOB],
        None,
    );
    assert_eq!(s["Approvers"].as_array().unwrap().len(), 1);
    assert_eq!(s["Approvers"][0]["Sid"], DAVE);
    let (e, err) = i.err(&["computer-authorization-rule", "set", "--id", &rule, "--remove-approvers", DAVE], None);
    assert_eq!((e, err["code"].as_str().unwrap()), (5, "AMS-APR-0010"));
    let off = i.ok(&["computer-authorization-rule", "set", "--id", &rule, "--approval-required", "false"], None);
    assert_eq!((off["ApprovalRequired"].as_bool(), off["Approvers"].as_array().unwrap().len()), (Some(false), 0));
    let now = request(&i, ALICE);
    assert_eq!(now["Password"]["Password"], PASSWORD, "granted at once without approval");
}

#[test]
fn role_rules_take_the_approval_flags() {
    let i = Instance::new();
    let r = i.ok(
        &[
            "role-authorization-rule",
            "new",
            "--name",
            "Admins",
            "--principals-allowed-jit",
            ALICE,
            "--group-name",
            "CORP\\Admins",
            "--maximum-access-duration",
            "2:00:00",
            "--approval-required",
            "true",
            "--approvers",
            BOB,
        ],
        None,
    );
    assert_eq!((r["ApprovalRequired"].as_bool(), r["Approvers"][0]["Sid"].as_str()), (Some(true), Some(BOB)));
    let id = r["Id"].as_str().unwrap();
    let s = i.ok(&["role-authorization-rule", "set", "--id", id, "--approval-access-window", "0:10:00"], None);
    assert_eq!(s["ApprovalAccessWindow"], "00:10:00");
}

/// Several processes fetch the same approved request at once: exactly one gets the secret, the
/// others get AMS-APR-0006, and the audit trail has exactly one successful use. On SQLite always;
/// on the SQL Server engine too when `AMS_TEST_MSSQL_URL` names a database (emptied first, as in
/// the contract suite).
#[test]
fn three_processes_fetching_at_once_hand_the_secret_out_once() {
    let (i, _rule) = setup();
    // With AMS_TEST_ENGINE=mssql the instance, and so the race, is on SQL Server.
    race(&i.dir);
}

fn race(dir: &std::path::Path) {
    for _round in 0..3 {
        let id = ok_in(
            dir,
            &["access", "request", "--computer-name", "pc1", "--access-type", "laps", "--user-sid", ALICE],
            None,
        )["RequestId"]
            .as_str()
            .unwrap()
            .to_string();
        ok_in(dir, &["access", "approve", "--request-id", &id, "--approver-sid", BOB], None);
        let children: Vec<_> = (0..3)
            .map(|_| {
                ams_cmd(dir)
                    .args(["access", "get", "--request-id", &id, "--user-sid", ALICE])
                    .stdin(std::process::Stdio::null())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outs: Vec<_> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
        let winners: Vec<_> = outs.iter().filter(|o| o.status.success()).collect();
        assert_eq!(winners.len(), 1, "exactly one fetch wins");
        assert!(String::from_utf8_lossy(&winners[0].stdout).contains(PASSWORD));
        for o in outs.iter().filter(|o| !o.status.success()) {
            let doc: Value = serde_json::from_slice(&o.stderr).unwrap();
            assert_eq!(doc["error"]["code"], "AMS-APR-0006", "{doc}");
            assert!(!String::from_utf8_lossy(&o.stderr).contains(PASSWORD));
        }
        let audit = ok_in(dir, &["audit", "get", "--event", "access_request.use"], None);
        let wins = audit
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["Outcome"] == "success" && r["Details"]["RequestId"] == id.as_str())
            .count();
        assert_eq!(wins, 1);
    }
}
