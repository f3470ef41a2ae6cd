//! End-to-end tests of the authorization verbs: rule cmdlets, effective access, access requests
//! (rate limits, audit) and CSV import.

use serde_json::Value;

mod common;
use common::*;

const RECOVERY: &str = "authz cli test recovery passphrase";
const ALICE: &str = "S-1-5-21-1000-2000-3000-1104";
const BOB: &str = "S-1-5-21-1000-2000-3000-1105";
const READERS: &str = "S-1-5-21-1000-2000-3000-2001";

impl Instance {
    /// An approved device with a password; returns its id.
    fn device_with_password(&self, name: &str, password: &str) -> String {
        if self.ok(&["cert", "list"], None).as_array().unwrap().is_empty() {
            self.ok(&["cert", "new", "--key-size", "3072"], None);
        }
        let key = self.ok(&["device-registration-key", "new", "--name", &format!("key-{name}")], None);
        let out =
            self.run(&["agent", "register", "--name", name, "--os", "windows"], Some(key["Key"].as_str().unwrap()));
        assert!(out.status.success());
        let dev = serde_json::from_slice::<Value>(&out.stdout).unwrap()["DeviceId"].as_str().unwrap().to_string();
        let out = self.run(&["agent", "submit-password", "--device-id", &dev], Some(password));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        dev
    }
}

#[test]
fn computer_rule_cmdlets_round_trip() {
    let i = Instance::with_recovery(RECOVERY);
    let dev = i.device_with_password("pc1", "Canary-Authz-Cli-0");
    let r = i.ok(
        &[
            "computer-authorization-rule",
            "new",
            "--ams-computer-id",
            &dev,
            "--principals-allowed-laps",
            &format!("{READERS}=CORP\\LapsReaders"),
            "--principals-allowed-laps",
            ALICE,
            "--principals-denied-bit-locker",
            BOB,
            "--laps-maximum-access-duration",
            "1:00:00",
            "--laps-default-access-duration",
            "PT30M",
            "--user-request-reason-requirement",
            "required",
            "--rule-expiry-date",
            "2999-01-01",
            "--description",
            "PC1 LAPS readers",
        ],
        None,
    );
    let id = r["Id"].as_str().unwrap().to_string();
    assert_eq!(r["TargetType"], "AmsComputer");
    assert_eq!(r["PrincipalsAllowedLaps"].as_array().unwrap().len(), 2);
    assert_eq!(r["PrincipalsDeniedBitLocker"][0]["Sid"], BOB);
    assert_eq!(r["LapsDefaultAccessDuration"], "00:30:00");
    assert_eq!(r["UserRequestReasonRequirement"], "Required");
    assert_eq!(r["RuleExpiryDate"], "2999-01-01T00:00:00.000000Z");

    let all = i.ok(&["computer-authorization-rule", "get"], None);
    assert_eq!(all.as_array().unwrap().len(), 1);
    let one = i.ok(&["computer-authorization-rule", "get", "--id", &id], None);
    assert_eq!(one[0]["DisplayName"], "PC1 LAPS readers");

    let s = i.ok(
        &[
            "computer-authorization-rule",
            "set",
            "--id",
            &id,
            "--add-principals-allowed-bit-locker",
            ALICE,
            "--remove-principals-allowed-laps",
            ALICE,
            "--rule-expiry-date",
            "",
            "--enabled",
            "false",
        ],
        None,
    );
    assert_eq!(s["Disabled"], true);
    assert_eq!(s["RuleExpiryDate"], Value::Null);
    assert_eq!(s["PrincipalsAllowedLaps"].as_array().unwrap().len(), 1);
    assert_eq!(s["PrincipalsAllowedBitLocker"][0]["Sid"], ALICE);
    let s =
        i.ok(&["computer-authorization-rule", "set", "--id", &id, "--enabled", "--ams-group-id", "S-1-4096-2-1"], None);
    assert_eq!((s["Disabled"].as_bool(), s["TargetName"].as_str()), (Some(false), Some("All devices")));

    // Coded errors and their exit codes.
    let base = ["computer-authorization-rule", "new", "--ams-group-id", "S-1-4096-2-1"];
    let with = |extra: &[&str]| -> Vec<String> { base.iter().chain(extra).map(|s| s.to_string()).collect() };
    let cases: Vec<(Vec<String>, i32, &str)> = vec![
        (with(&["--principals-allowed-laps", "S-1-5-nope"]), 5, "AMS-AUTHZ-0003"),
        (with(&["--principals-allowed-laps", "CORP\\Readers"]), 5, "AMS-AUTHZ-0004"),
        (with(&["--laps-maximum-access-duration", "soon"]), 5, "AMS-AUTHZ-0006"),
        (
            with(&["--laps-maximum-access-duration", "1:00:00", "--laps-default-access-duration", "2:00:00"]),
            5,
            "AMS-AUTHZ-0007",
        ),
        (with(&["--rule-expiry-date", "2001-01-01"]), 5, "AMS-AUTHZ-0008"),
        (with(&["--principals-allowed-jit", ALICE]), 5, "AMS-AUTHZ-0010"),
        (with(&["--ad-group", ALICE]), 2, "AMS-GEN-0007"),
    ];
    for (args, exit, code) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (e, err) = i.err(&args, None);
        assert_eq!((e, err["code"].as_str().unwrap()), (exit, code), "{args:?}");
    }
    let (e, err) = i.err(&["computer-authorization-rule", "remove", "--id", &id], None);
    assert_eq!((e, err["code"].as_str().unwrap()), (4, "AMS-GEN-0004"));
    assert_eq!(i.ok(&["computer-authorization-rule", "remove", "--id", &id, "--force"], None), serde_json::json!({}));
    let (e, err) = i.err(&["computer-authorization-rule", "remove", "--id", &id, "--force"], None);
    assert_eq!((e, err["code"].as_str().unwrap()), (3, "AMS-AUTHZ-0001"));

    // Every target kind of the cmdlet's parameter sets.
    for args in [
        vec![
            "--ad-computer",
            "S-1-5-21-7-7-7-5001=CORP\\PC9$",
            "--principals-allowed-jit",
            ALICE,
            "--jit-group-name",
            "CORP\\JIT-%computerName%",
        ],
        vec!["--ad-container", "OU=Devices,DC=corp,DC=example", "--site-name", "HQ"],
        vec!["--aad-tenant-id", "2b693132-7e65-4603-b508-910a2b4487c8"],
        vec![
            "--aad-tenant-id",
            "2b693132-7e65-4603-b508-910a2b4487c8",
            "--aad-group-id",
            "0b5a5f1c-1111-4a2b-9c3d-1234567890ab",
        ],
        vec![
            "--aad-tenant-id",
            "2b693132-7e65-4603-b508-910a2b4487c8",
            "--aad-computer-id",
            "0b5a5f1c-1111-4a2b-9c3d-1234567890ab",
        ],
    ] {
        let mut full = vec!["computer-authorization-rule", "new"];
        full.extend(args);
        i.ok(&full, None);
    }
    assert_eq!(i.ok(&["computer-authorization-rule", "get"], None).as_array().unwrap().len(), 5);
}

#[test]
fn role_rule_cmdlets_round_trip() {
    let i = Instance::with_recovery(RECOVERY);
    let r = i.ok(
        &[
            "role-authorization-rule",
            "new",
            "--name",
            "Rocketship production admin",
            "--group-name",
            "CORP\\Rocketship-Prod-Admins",
            "--maximum-access-duration",
            "8:30:00",
            "--principals-allowed-jit",
            READERS,
        ],
        None,
    );
    let id = r["Id"].as_str().unwrap().to_string();
    assert_eq!(r["MaximumAccessDuration"], "08:30:00");
    let (e, err) = i.err(
        &[
            "role-authorization-rule",
            "new",
            "--name",
            "ROCKETSHIP production admin",
            "--group-name",
            "G",
            "--maximum-access-duration",
            "1:00:00",
            "--principals-allowed-jit",
            READERS,
        ],
        None,
    );
    assert_eq!((e, err["code"].as_str().unwrap()), (4, "AMS-AUTHZ-0002"));
    let s = i.ok(
        &[
            "role-authorization-rule",
            "set",
            "--id",
            &id,
            "--allow-extension",
            "true",
            "--enabled",
            "false",
            "--add-principals-denied-jit",
            BOB,
            "--default-access-duration",
            "1:00:00",
        ],
        None,
    );
    assert_eq!((s["AllowExtension"].as_bool(), s["Disabled"].as_bool()), (Some(true), Some(true)));
    assert_eq!(s["PrincipalsDeniedJit"][0]["Sid"], BOB);
    let s =
        i.ok(&["role-authorization-rule", "set", "--id", &id, "--allow-extension", "false", "--enabled", "true"], None);
    assert_eq!((s["AllowExtension"].as_bool(), s["Disabled"].as_bool()), (Some(false), Some(false)));
    assert_eq!(
        i.ok(&["role-authorization-rule", "get", "--name", "rocketship PRODUCTION admin"], None)
            .as_array()
            .unwrap()
            .len(),
        1
    );
    i.err(&["role-authorization-rule", "remove", "--id", &id], None);
    i.ok(&["role-authorization-rule", "remove", "--id", &id, "--force"], None);
    assert!(i.ok(&["role-authorization-rule", "get"], None).as_array().unwrap().is_empty());
}

#[test]
fn access_requests_follow_the_rules_and_the_rate_limit() {
    let i = Instance::with_recovery(RECOVERY);
    let canary = "Canary-Authz-Cli-1";
    let dev = i.device_with_password("pc1", canary);
    i.ok(
        &[
            "computer-authorization-rule",
            "new",
            "--ams-group-id",
            "S-1-4096-2-1",
            "--principals-allowed-laps",
            READERS,
            "--principals-denied-laps",
            BOB,
            "--laps-maximum-access-duration",
            "2:00:00",
            "--user-request-reason-requirement",
            "Required",
        ],
        None,
    );
    let req = |user: &str, reason: Option<&str>| -> Vec<String> {
        let mut v: Vec<String> = [
            "access",
            "request",
            "--computer-name",
            "pc1",
            "--access-type",
            "laps",
            "--user-sid",
            user,
            "--group-sid",
            READERS,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        if let Some(r) = reason {
            v.extend(["--reason".to_string(), r.to_string()]);
        }
        v
    };
    let as_refs = |v: &Vec<String>| -> Vec<String> { v.clone() };
    let call_ok = |v: Vec<String>| i.ok(&v.iter().map(String::as_str).collect::<Vec<_>>(), None);
    let call_err = |v: Vec<String>| i.err(&v.iter().map(String::as_str).collect::<Vec<_>>(), None);

    // Effective access explains the decision per type.
    let eff =
        i.ok(&["effective-access", "get", "--computer-name", "pc1", "--user-sid", BOB, "--group-sid", READERS], None);
    let laps = eff["Access"].as_array().unwrap().iter().find(|a| a["AccessType"] == "LocalAdminPassword").unwrap();
    assert_eq!((laps["Allowed"].as_bool(), laps["Code"].as_str()), (Some(false), Some("ExplicitlyDenied")));
    assert!(!serde_json::to_string(&eff).unwrap().contains(canary));

    // The per-user limit is 10 a minute by default. A minute is wall-clock time the CLI calls
    // below could outlast (about 5 s each on a loaded machine against a SQL Server, where the
    // eleventh call then found the first ones out of the window), so this test puts the same
    // limit on the hour, which cannot roll over during it; the minute window is checked with a
    // fixed clock in ams-core's `rate_limits_are_reached_and_reset`.
    let cfg = i.ok(&["service-config", "get"], None);
    assert_eq!(cfg["RateLimitPerUserRequestsPerMinute"], 10);
    i.ok(
        &[
            "service-config",
            "set",
            "--setting",
            "RateLimitPerUserRequestsPerMinute=1000",
            "--setting",
            "RateLimitPerUserRequestsPerHour=10",
        ],
        None,
    );

    let (e, err) = call_err(req(BOB, Some("ticket 1")));
    assert_eq!((e, err["code"].as_str().unwrap()), (6, "AMS-AUTHZ-0012"));
    assert_eq!(err["context"]["code"], "ExplicitlyDenied");
    let (e, err) = call_err(req(ALICE, None));
    assert_eq!((e, err["code"].as_str().unwrap()), (5, "AMS-AUTHZ-0014"));

    let g = call_ok(as_refs(&req(ALICE, Some("ticket 2"))));
    assert_eq!(g["Password"]["Password"], canary);
    assert_eq!(g["AccessDuration"], "02:00:00");
    assert_eq!(g["AccessDurationSeconds"], 7200);
    let got = i.ok(&["device", "get", "--id", &dev], None);
    assert_eq!(got[0]["Id"], dev.as_str());

    // Ten per user, and refused requests count too (issue 17): the one without a reason and the
    // granted one made two, eight more pass, the eleventh is refused.
    for n in 0..8 {
        call_ok(req(ALICE, Some(&format!("ticket {n}"))));
    }
    let (e, err) = call_err(req(ALICE, Some("one too many")));
    assert_eq!((e, err["code"].as_str().unwrap()), (6, "AMS-AUTHZ-0013"));
    assert_eq!(err["context"]["code"], "UserRateLimitExceeded");
    assert_eq!((err["context"]["window"].as_str(), err["context"]["limit"].as_str()), (Some("hour"), Some("10")));
    let (e, err) = i.err(
        &[
            "access",
            "request",
            "--computer-name",
            "pc1",
            "--access-type",
            "laps",
            "--user-sid",
            ALICE,
            "--source-address",
            "300.1.1.1",
        ],
        None,
    );
    assert_eq!((e, err["code"].as_str().unwrap()), (5, "AMS-AUTHZ-0016"));

    // The audit trail has the outcomes and reasons, never the password.
    let audit = i.ok(&["audit", "get", "--target-id", &dev], None);
    let text = serde_json::to_string(&audit).unwrap();
    assert!(!text.contains(canary));
    let reqs: Vec<&Value> = audit.as_array().unwrap().iter().filter(|r| r["Event"] == "access.request").collect();
    let outcomes: Vec<(&str, &str)> =
        reqs.iter().map(|r| (r["Outcome"].as_str().unwrap(), r["Details"]["Code"].as_str().unwrap())).collect();
    assert_eq!(outcomes.first(), Some(&("denied", "ExplicitlyDenied")));
    assert_eq!(outcomes.get(1), Some(&("denied", "ReasonRequired")));
    assert_eq!(outcomes.iter().filter(|o| o.0 == "success").count(), 9);
    assert_eq!(outcomes.last(), Some(&("denied", "UserRateLimitExceeded")));
    assert!(reqs.iter().any(|r| r["Details"]["Reason"] == "ticket 2"));

    // JIT on an ams device does not apply; the error says so without touching secrets. (Another
    // user: Alice is at her rate limit, which is checked first.)
    let carol = "S-1-5-21-1000-2000-3000-1199";
    let (e, err) =
        i.err(&["access", "request", "--computer-name", "pc1", "--access-type", "jit", "--user-sid", carol], None);
    assert_eq!((e, err["context"]["code"].as_str().unwrap()), (6, "NoMatchingRuleForUser"));
}

#[test]
fn csv_import_reports_then_applies() {
    let i = Instance::with_recovery(RECOVERY);
    i.device_with_password("pc1", "Canary-Authz-Cli-2");
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.csv");
    std::fs::write(&good, format!("Computer,Principal\nPC1$,{READERS}\npc1,{ALICE}\n")).unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, format!("pc1,{READERS}\nghost,{ALICE}\npc1,CORP\\Someone\n")).unwrap();
    let g = good.to_str().unwrap();
    let b = bad.to_str().unwrap();

    let dry = i.ok(&["computer-authorization-rule", "import", "--csv", g], None);
    assert_eq!((dry["Applied"].as_bool(), dry["RulesCreated"].as_u64()), (Some(false), Some(1)));
    assert_eq!(dry["Rules"][0]["Principals"].as_array().unwrap().len(), 2);
    assert!(i.ok(&["computer-authorization-rule", "get"], None).as_array().unwrap().is_empty());

    let rep = i.ok(&["computer-authorization-rule", "import", "--csv", b], None);
    let lines: Vec<u64> = rep["BadLines"].as_array().unwrap().iter().map(|l| l["Line"].as_u64().unwrap()).collect();
    assert_eq!(lines, vec![2, 3]);
    let (e, err) = i.err(&["computer-authorization-rule", "import", "--csv", b, "--apply"], None);
    assert_eq!((e, err["code"].as_str().unwrap()), (5, "AMS-AUTHZ-0015"));
    assert_eq!(err["context"]["bad_lines"], "2,3");
    assert!(i.ok(&["computer-authorization-rule", "get"], None).as_array().unwrap().is_empty(), "nothing written");

    let done = i.ok(
        &[
            "computer-authorization-rule",
            "import",
            "--csv",
            b,
            "--apply",
            "--skip-bad-lines",
            "--access-type",
            "laps",
            "--access-type",
            "bitlocker",
        ],
        None,
    );
    assert_eq!(done["Applied"], true);
    let rules = i.ok(&["computer-authorization-rule", "get"], None);
    assert_eq!(rules[0]["PrincipalsAllowedBitLocker"][0]["Sid"], READERS);
    let merged = i.ok(&["computer-authorization-rule", "import", "--csv", g, "--apply", "--merge"], None);
    assert_eq!(merged["RulesMerged"], 1);
    assert_eq!(
        i.ok(&["computer-authorization-rule", "get"], None)[0]["PrincipalsAllowedLaps"].as_array().unwrap().len(),
        2
    );
}

#[test]
fn verbs_map_to_the_cmdlets() {
    let i = Instance::with_recovery(RECOVERY);
    let doc = i.ok(&["commands", "--json"], None);
    let find = |verb: &str| doc["commands"].as_array().unwrap().iter().find(|c| c["verb"] == verb).cloned();
    for (verb, cmdlet) in [
        ("computer-authorization-rule new", "New-AmsComputerAuthorizationRule"),
        ("computer-authorization-rule get", "Get-AmsComputerAuthorizationRule"),
        ("computer-authorization-rule set", "Set-AmsComputerAuthorizationRule"),
        ("computer-authorization-rule remove", "Remove-AmsComputerAuthorizationRule"),
        ("role-authorization-rule new", "New-AmsRoleAuthorizationRule"),
        ("role-authorization-rule get", "Get-AmsRoleAuthorizationRule"),
        ("role-authorization-rule set", "Set-AmsRoleAuthorizationRule"),
        ("role-authorization-rule remove", "Remove-AmsRoleAuthorizationRule"),
    ] {
        let c = find(verb).unwrap_or_else(|| panic!("no verb {verb}"));
        assert_eq!(c["cmdlet"], cmdlet);
        assert!(!c["about"].as_str().unwrap().is_empty());
    }
    for verb in ["computer-authorization-rule import", "effective-access get", "access request"] {
        assert_eq!(find(verb).unwrap()["cmdlet"], Value::Null);
    }
}
