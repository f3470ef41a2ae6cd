//! End-to-end tests of the directory verbs against a throw-away slapd with an AD test schema:
//! `jit directory set` with LDAPS and a CA file, the admin reads with directory providers
//! (`--all-providers`), the encrypted Windows LAPS error, `device set --computer-name
//! --expire-password` and `computer-authorization-rule import --from-directory`.

mod common;
use common::*;

#[path = "../../ams-core/tests/integration/slapd.rs"]
#[allow(dead_code)]
mod slapd;

use slapd::{
    AD_BASE, AD_BITLOCKER_PW, AD_HELPDESK_SID, AD_LEGACY_PW, AD_SCHEMA_DN, AD_STALE_LEGACY_PW, AD_WINDOWS_PW, ROOT_DN,
    ROOT_PW, Slapd,
};

fn configure(i: &Instance, s: &Slapd, ca: &str, extra: &[&str]) -> serde_json::Value {
    let url = s.ldaps_url();
    let mut args = vec![
        "jit",
        "directory",
        "set",
        "--url",
        &url,
        "--bind-dn",
        ROOT_DN,
        "--base-dn",
        AD_BASE,
        "--tls",
        "ldaps",
        "--ca-file",
        ca,
        "--bind-password-stdin",
    ];
    args.extend(extra);
    i.ok(&args, Some(&format!("{ROOT_PW}\n")))
}

#[test]
fn directory_verbs_against_slapd() {
    let s = Slapd::start();
    s.seed_ad();
    let i = Instance::new();
    // A wrong CA: the set is stored, the first use fails with the TLS code.
    let wrong = s.wrong_ca_file();
    let d = configure(&i, &s, &wrong, &["--secret-providers", "all"]);
    assert_eq!(d["Tls"], "Ldaps");
    assert_eq!(d["SecretProviders"], serde_json::json!(["MsLaps", "WindowsLaps", "BitLocker"]));
    let (code, e) = i.err(&["local-admin-password", "get", "--computer-name", "PC-WIN"], None);
    assert_eq!((code, e["code"].as_str()), (7, Some("AMS-DIR-0001")));
    // Plain LDAP with a simple bind is refused unless allowed.
    let plain = s.url();
    i.ok(
        &["jit", "directory", "set", "--url", &plain, "--tls", "none", "--bind-password-stdin"],
        Some(&format!("{ROOT_PW}\n")),
    );
    let (_, e) = i.err(&["jit", "computer", "--name", "PC-WIN"], None);
    assert_eq!(e["code"], "AMS-DIR-0002");
    // The right CA over LDAPS.
    let d = configure(&i, &s, &s.ca_file(), &["--secret-providers", "all"]);
    assert_eq!(d["AllowPlainBind"], false);
    assert!(!d.to_string().contains(ROOT_PW));

    let p = i.ok(&["local-admin-password", "get", "--computer-name", "PC-WIN"], None);
    assert_eq!((p["Source"].as_str(), p["Password"].as_str()), (Some("WindowsLaps"), Some(AD_WINDOWS_PW)));
    assert_eq!(p["DistinguishedName"], format!("cn=PC-WIN,ou=Workstations,{AD_BASE}"));
    let all = i.ok(&["local-admin-password", "get", "--computer-name", "pc-win.ad.ams.test", "--all-providers"], None);
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1]["Password"], AD_STALE_LEGACY_PW);
    let p = i.ok(&["local-admin-password", "get", "--computer-name", "PC-LEGACY"], None);
    assert_eq!((p["Source"].as_str(), p["Password"].as_str()), (Some("MsLaps"), Some(AD_LEGACY_PW)));
    let (code, e) = i.err(&["local-admin-password", "get", "--computer-name", "PC-ENC"], None);
    assert_eq!((code, e["code"].as_str()), (7, Some("AMS-DIR-0005")));
    assert!(e["hint"].as_str().unwrap().contains("DPAPI-NG"));
    let (_, e) = i.err(&["local-admin-password-history", "get", "--computer-name", "PC-ENC"], None);
    assert_eq!(e["code"], "AMS-DIR-0005");
    let k = i.ok(&["fve-recovery-key", "get", "--computer-name", "PC-LEGACY"], None);
    assert_eq!(k[0]["Source"], "BitLockerAd");
    assert_eq!(k[0]["RecoveryPassword"], AD_BITLOCKER_PW);

    let x = i.ok(&["device", "set", "--computer-name", "PC-LEGACY", "--expire-password"], None);
    assert_eq!(x["ExpiryAttributesWritten"], serde_json::json!(["ms-Mcs-AdmPwdExpirationTime"]));
    let (_, e) = i.err(&["device", "set", "--computer-name", "PC-NONE", "--expire-password"], None);
    assert_eq!(e["code"], "AMS-DIR-0007");

    // Import: dry run, then apply.
    let base = &["computer-authorization-rule", "import", "--from-directory", "--schema-dn", AD_SCHEMA_DN];
    let dry = i.ok(base, None);
    assert_eq!(dry["Applied"], false);
    assert_eq!(dry["RulesCreated"], 2);
    assert_eq!(dry["Findings"].as_array().unwrap().len(), 3);
    let mut apply = base.to_vec();
    apply.extend(["--apply", "--ignore-principal", AD_HELPDESK_SID]);
    let done = i.ok(&apply, None);
    assert_eq!(done["Applied"], true);
    assert_eq!(done["Findings"].as_array().unwrap().len(), 2);
    let rules = i.ok(&["computer-authorization-rule", "get"], None);
    assert_eq!(rules.as_array().unwrap().len(), 2);
    let (_, e) = i.err(&["computer-authorization-rule", "import"], None);
    assert_eq!(e["code"], "AMS-GEN-0007", "{e}");

    // Nothing secret in the audit trail.
    let audit = i.ok(&["audit", "get"], None).to_string();
    assert!(audit.contains("directory_computer"));
    for c in [AD_WINDOWS_PW, AD_LEGACY_PW, AD_STALE_LEGACY_PW, AD_BITLOCKER_PW, ROOT_PW] {
        assert!(!audit.contains(c), "{c} in the audit trail");
    }
}
