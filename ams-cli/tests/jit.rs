//! End-to-end tests of the JIT verbs with JSON output: the six JIT cmdlets' verbs (options, group
//! creation rules, scheduler jobs) and the `ams jit` cycle against a throw-away slapd (directory
//! settings with the password on stdin, grant, run-due after expiry, failure while the server is
//! down and the retry that succeeds).

use serde_json::Value;

mod common;
use common::*;

#[path = "../../ams-core/tests/integration/slapd.rs"]
#[allow(dead_code)]
mod slapd;

use slapd::{ALICE_SID, PLACEHOLDER, ROOT_DN, ROOT_PW, SUFFIX, Slapd};

const RECOVERY: &str = "jit cli test recovery passphrase";

#[test]
fn jit_options_verbs() {
    let i = Instance::with_recovery(RECOVERY);
    let o = i.ok(&["active-directory-jit-options", "get"], None);
    assert_eq!(o["JitMode"], "Auto");
    assert_eq!(o["DcLocatorMode"], "Default");
    assert_eq!(o["DeltaSyncIntervalMinutes"], 1);
    assert_eq!(o["FullSyncIntervalMinutes"], 60);
    assert_eq!(o["MaximumJitRemovalRetryAttempts"], 80);
    let o = i.ok(
        &[
            "active-directory-jit-options",
            "set",
            "--jit-mode",
            "JitScheduler",
            "--dc-locator-mode",
            "SiteLookup,LocalDcLocator",
            "--delta-sync-interval-minutes",
            "5",
            "--maximum-jit-removal-retry-attempts",
            "3",
        ],
        None,
    );
    assert_eq!(o["JitMode"], "JitScheduler");
    assert_eq!(o["DcLocatorMode"], "LocalDcLocator,SiteLookup");
    assert_eq!(o["DeltaSyncIntervalMinutes"], 5);
    assert_eq!(i.ok(&["active-directory-jit-options", "get"], None)["MaximumJitRemovalRetryAttempts"], 3);
    let (code, e) = i.err(&["active-directory-jit-options", "set", "--jit-mode", "Pam"], None);
    assert_eq!((code, e["code"].as_str().unwrap()), (5, "AMS-JIT-0008"));
    // Also visible among the service settings.
    let sc = i.ok(&["service-config", "get"], None);
    assert!(sc.to_string().contains("MaximumJitRemovalRetryAttempts"));
}

#[test]
fn jit_group_creation_rule_verbs() {
    let i = Instance::with_recovery(RECOVERY);
    assert_eq!(i.ok(&["active-directory-jit-group-creation-rule", "get"], None), Value::Array(vec![]));
    let r = i.ok(
        &[
            "active-directory-jit-group-creation-rule",
            "new",
            "--computer-ou",
            "OU=Computers,DC=example,DC=com",
            "--group-ou",
            "OU=Groups,DC=example,DC=com",
            "--group-name-template",
            "JIT-%ComputerName%",
            "--group-description",
            "AMS JIT Group",
            "--group-type",
            "DomainLocal",
            "--create-unix-gid",
            "true",
            "--unix-gid-attribute-name",
            "gidNumber",
            "--unix-gid-start-range",
            "10000",
            "--enable-jit-group-deletion",
            "true",
        ],
        None,
    );
    let id = r["Id"].as_str().unwrap().to_string();
    assert_eq!(r["ComputerOU"], "OU=Computers,DC=example,DC=com");
    assert_eq!(r["GroupOU"], "OU=Groups,DC=example,DC=com");
    assert_eq!(r["GroupType"], "DomainLocal");
    assert_eq!(r["CreateUnixGid"], true);
    assert_eq!(r["UnixGidStartRange"], 10000);
    assert_eq!(r["Subtree"], false);
    let got = i.ok(&["active-directory-jit-group-creation-rule", "get", "--id", &id], None);
    assert_eq!(got["GroupNameTemplate"], "JIT-%ComputerName%");
    let set = i.ok(
        &[
            "active-directory-jit-group-creation-rule",
            "set",
            "--id",
            &id,
            "--subtree",
            "true",
            "--group-type",
            "universal",
            "--force-full-sync",
        ],
        None,
    );
    assert_eq!(set["Subtree"], true);
    assert_eq!(set["GroupType"], "Universal");
    assert_eq!(set["FullSyncPending"], true);
    assert_eq!(set["GroupDescription"], "AMS JIT Group", "values left out are kept");
    let (code, e) =
        i.err(&["active-directory-jit-group-creation-rule", "set", "--id", &id, "--group-name-template", "JIT"], None);
    assert_eq!((code, e["code"].as_str().unwrap()), (5, "AMS-JIT-0006"));
    let (_, e) = i.err(&["active-directory-jit-group-creation-rule", "new", "--group-ou", "OU=G"], None);
    assert_eq!(e["code"], "AMS-JIT-0006");
    assert_eq!(i.ok(&["active-directory-jit-group-creation-rule", "get"], None).as_array().unwrap().len(), 1);
    let removed = i.ok(&["active-directory-jit-group-creation-rule", "remove", "--id", &id, "--force"], None);
    assert_eq!(removed["Id"], id.as_str());
    let (code, e) = i.err(&["active-directory-jit-group-creation-rule", "get", "--id", &id], None);
    assert_eq!((code, e["code"].as_str().unwrap()), (3, "AMS-JIT-0005"));
    let audit = i.ok(&["audit", "get"], None).to_string();
    assert!(audit.contains("jit.group_rule.create") && audit.contains("jit.group_rule.delete"));
}

fn configure(i: &Instance, s: &Slapd) {
    let d = i.ok(
        &[
            "jit",
            "directory",
            "set",
            "--url",
            &s.url(),
            "--bind-dn",
            ROOT_DN,
            "--base-dn",
            SUFFIX,
            "--sid-attribute",
            "ou",
            "--sid-format",
            "string",
            "--name-attribute",
            "cn",
            "--group-object-class",
            "groupOfNames",
            "--computer-object-class",
            "device",
            "--group-type-attribute",
            "",
            "--initial-member-dn",
            PLACEHOLDER,
            "--tls",
            "starttls",
            "--ca-file",
            &s.ca_file(),
            "--bind-password-stdin",
        ],
        Some(&format!("{ROOT_PW}\n")),
    );
    assert_eq!(d["Configured"], true);
    assert_eq!(d["BindPasswordSet"], true);
    assert_eq!(d["Tls"], "StartTls");
    assert!(!d.to_string().contains(ROOT_PW));
}

#[test]
fn jit_cycle_with_scheduler_jobs_against_slapd() {
    let mut s = Slapd::start();
    let i = Instance::with_recovery(RECOVERY);
    assert_eq!(i.ok(&["jit", "directory", "get"], None)["Configured"], false);
    // Nothing queued: a timer may run it before JIT is set up.
    assert_eq!(i.ok(&["jit", "run-due"], None)["Due"], 0);
    let (code, e) =
        i.err(&["jit", "grant", "--user-sid", ALICE_SID, "--group-name", "JIT-PC1", "--duration", "1:00:00"], None);
    assert_eq!((code, e["code"].as_str().unwrap()), (10, "AMS-JIT-0001"));
    configure(&i, &s);
    assert_eq!(i.ok(&["jit-scheduler-job", "get"], None), Value::Array(vec![]));

    let alice = format!("uid=alice,ou=People,{SUFFIX}");
    let group = format!("cn=JIT-PC1,ou=Groups,{SUFFIX}");
    let g = i.ok(
        &[
            "jit",
            "grant",
            "--user-sid",
            ALICE_SID,
            "--group-name",
            "JIT-PC1",
            "--duration",
            "1:00:00",
            "--computer-name",
            "PC1",
        ],
        None,
    );
    assert_eq!(g["MembershipChange"], "Added");
    assert_eq!(g["GroupDn"], group.as_str());
    let job = g["JobId"].as_str().unwrap().to_string();
    let expiry = g["Expiry"].as_str().unwrap().to_string();
    assert!(s.members(&group).contains(&alice));

    let jobs = i.ok(&["jit-scheduler-job", "get", "--type", "ActiveDirectoryGroupRemoval"], None);
    assert_eq!(jobs.as_array().unwrap().len(), 1);
    assert_eq!(jobs[0]["Id"], job.as_str());
    assert_eq!(jobs[0]["Type"], "ActiveDirectoryGroupRemoval");
    assert_eq!(jobs[0]["State"], "Pending");
    assert_eq!(jobs[0]["DueTime"], expiry.as_str());
    assert_eq!(i.ok(&["jit-scheduler-job", "get", "--id", &job], None)["UserSid"], ALICE_SID);

    // Not due yet at the wall clock's now.
    assert_eq!(i.ok(&["jit", "run-due"], None)["Due"], 0);
    assert!(s.members(&group).contains(&alice));

    // After expiry, with the server down: the attempt fails and the job stays queued.
    i.ok(&["active-directory-jit-options", "set", "--maximum-jit-removal-retry-attempts", "5"], None);
    let later = "2099-01-01T00:00:00Z";
    s.stop();
    let r = i.ok(&["jit", "run-due", "--now", later], None);
    assert_eq!((r["Due"].as_u64(), r["Retrying"].as_u64()), (Some(1), Some(1)));
    let j = i.ok(&["jit-scheduler-job", "get", "--id", &job], None);
    assert_eq!((j["State"].as_str(), j["Attempts"].as_i64()), (Some("Pending"), Some(1)));
    assert!(j["LastError"].as_str().unwrap().contains("AMS-JIT-0002"));
    assert_eq!(i.ok(&["jit-scheduler-job", "get", "--failed-only"], None), Value::Array(vec![]));

    // The server is back: the next run removes the member.
    s.restart();
    let r = i.ok(&["jit", "run-due", "--now", later], None);
    assert_eq!((r["Done"].as_u64(), r["Jobs"][0]["Outcome"].as_str()), (Some(1), Some("Removed")));
    assert!(!s.members(&group).contains(&alice));
    assert_eq!(i.ok(&["jit-scheduler-job", "get"], None), Value::Array(vec![]));
    assert_eq!(i.ok(&["jit-scheduler-job", "get", "--id", &job], None)["State"], "Done");

    // A job that keeps failing ends up under --failed-only and can be removed.
    i.ok(&["active-directory-jit-options", "set", "--maximum-jit-removal-retry-attempts", "1"], None);
    let g2 = i.ok(&["jit", "grant", "--user-sid", ALICE_SID, "--group-name", "JIT-PC1", "--duration", "0:05"], None);
    let job2 = g2["JobId"].as_str().unwrap().to_string();
    s.stop();
    let r = i.ok(&["jit", "run-due", "--now", later], None);
    assert_eq!(r["Failed"], 1);
    let failed = i.ok(&["jit-scheduler-job", "get", "--failed-only"], None);
    assert_eq!(failed.as_array().unwrap().len(), 1);
    assert_eq!((failed[0]["Id"].as_str(), failed[0]["Failed"].as_bool()), (Some(job2.as_str()), Some(true)));
    assert_eq!(i.ok(&["jit-scheduler-job", "remove", "--id", &job2], None), serde_json::json!({}));
    let (code, e) = i.err(&["jit-scheduler-job", "get", "--id", &job2], None);
    assert_eq!((code, e["code"].as_str().unwrap()), (3, "AMS-JIT-0007"));
    let (_, e) = i.err(&["jit-scheduler-job", "get", "--type", "Other"], None);
    assert_eq!(e["code"], "AMS-JIT-0008");

    // The password never shows up in the audit trail.
    let audit = i.ok(&["audit", "get"], None).to_string();
    assert!(audit.contains("jit.grant") && audit.contains("jit.job.retry") && audit.contains("jit.job.failed"));
    assert!(!audit.contains(ROOT_PW));
}
