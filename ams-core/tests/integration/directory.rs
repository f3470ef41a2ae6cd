//! The directory connection against a real slapd: LDAPS and StartTLS verified against a CA made
//! for the run, a wrong CA refused, plain simple binds refused unless allowed; and AD's data
//! (binary SIDs, tokenGroups, nested groups, paged searches) through the same client.

use std::collections::HashSet;

use ams_core::ErrorCode;
use ams_core::authz::AccessType;
use ams_core::directory::conn::{ConnectionSettings, TlsMode};
use ams_core::directory::ldap::LdapDirectory;
use ams_core::directory::{Directory, Schema, SidFormat};
use ams_core::service::access::{AccessQuery, AccessRequest, DirectoryInfo};
use ams_core::service::devices::DeviceSelector;
use ams_core::service::jit::JitDirectoryChanges;
use ams_core::service::rules::{ComputerRuleSettings, NewComputerRule, PrincipalChange, TargetSpec};
use zeroize::Zeroizing;

use crate::fixture::Fixture;
use crate::slapd::{
    AD_ALL_COMPUTERS_SID, AD_BASE, AD_BITLOCKER_PW, AD_DOMAIN_SID, AD_ENC_SID, AD_HELPDESK_SID, AD_LAPS_READERS_SID,
    AD_LEGACY_PW, AD_LEGACY_SID, AD_SCHEMA_DN, AD_SERVER_ADMINS_SID, AD_STALE_LEGACY_PW, AD_WINDOWS_PW,
    AD_WORKSTATIONS_SID, DESKTOPS_SID, PLACEHOLDER, ROOT_DN, ROOT_PW, SUFFIX, Slapd,
};

/// The test server's names (SIDs as text in `ou`, groupOfNames, device).
fn test_schema() -> Schema {
    Schema {
        base_dn: SUFFIX.into(),
        sid_attribute: "ou".into(),
        sid_format: SidFormat::String,
        member_attribute: "member".into(),
        name_attribute: "cn".into(),
        group_object_class: "groupOfNames".into(),
        computer_object_class: "device".into(),
        group_type_attribute: String::new(),
        initial_member_dn: Some(PLACEHOLDER.into()),
    }
}

fn settings(url: String, tls: TlsMode, ca: Option<String>) -> ConnectionSettings {
    ConnectionSettings { url, tls, ca_file: ca, allow_plain_bind: false }
}

fn connect(s: &ConnectionSettings) -> ams_core::Result<LdapDirectory> {
    LdapDirectory::connect(s, ROOT_DN, ROOT_PW, test_schema())
}

#[test]
fn ldaps_and_starttls_work_with_the_right_ca() {
    let s = Slapd::start();
    for cs in [
        settings(s.ldaps_url(), TlsMode::Ldaps, Some(s.ca_file())),
        settings(s.url(), TlsMode::StartTls, Some(s.ca_file())),
    ] {
        let mut d = connect(&cs).unwrap_or_else(|e| panic!("{:?}: {e:?}", cs.tls));
        let pc1 = d.computer("PC1").unwrap().unwrap();
        assert_eq!(pc1.group_sids, vec![DESKTOPS_SID.to_string()]);
    }
}

#[test]
fn a_wrong_ca_is_refused_for_ldaps_and_starttls() {
    let s = Slapd::start();
    for cs in [
        settings(s.ldaps_url(), TlsMode::Ldaps, Some(s.wrong_ca_file())),
        settings(s.url(), TlsMode::StartTls, Some(s.wrong_ca_file())),
        // The system roots do not hold the run's CA either.
        settings(s.ldaps_url(), TlsMode::Ldaps, None),
    ] {
        let e = connect(&cs).unwrap_err();
        assert_eq!(e.code(), ErrorCode::DirectoryTlsFailed, "{:?}: {e:?}", cs.tls);
        assert!(!format!("{e:?}").contains(ROOT_PW));
    }
    // TLS spoken to a port that does not speak it fails as TLS, never continuing in clear.
    let e = connect(&settings(format!("ldaps://127.0.0.1:{}", s.port), TlsMode::Ldaps, Some(s.ca_file()))).unwrap_err();
    assert_eq!(e.code(), ErrorCode::DirectoryTlsFailed, "{e:?}");
}

#[test]
fn plain_simple_bind_is_refused_unless_allowed() {
    let s = Slapd::start();
    let mut cs = settings(s.url(), TlsMode::None, None);
    assert_eq!(connect(&cs).unwrap_err().code(), ErrorCode::DirectoryPlainBindRefused);
    cs.allow_plain_bind = true;
    assert!(connect(&cs).unwrap().computer("PC1").unwrap().is_some());
}

// ---------------------------------------------------------------------------------------------
// AD's data: binary SIDs, nested groups, tokenGroups, paged searches

fn ad_directory(s: &Slapd) -> LdapDirectory {
    let cs = settings(s.url(), TlsMode::StartTls, Some(s.ca_file()));
    LdapDirectory::connect(&cs, ROOT_DN, ROOT_PW, Schema::active_directory(AD_BASE)).unwrap()
}

#[test]
fn active_directory_data_binary_sids_nested_groups_and_token_groups() {
    let s = Slapd::start();
    s.seed_ad();
    let mut d = ad_directory(&s);
    // Nested membership through the member walk (slapd has no tokenGroups), cycle visited once.
    let pc = d.computer("PC-LEGACY").unwrap().unwrap();
    assert_eq!(pc.dn, format!("cn=PC-LEGACY,ou=Workstations,{AD_BASE}"));
    assert_eq!(pc.group_sids, vec![AD_WORKSTATIONS_SID.to_string(), AD_ALL_COMPUTERS_SID.to_string()]);
    // tokenGroups, when the entry has it, is used as AD computes it (primary group included).
    let win = d.computer("PC-WIN").unwrap().unwrap();
    assert_eq!(win.group_sids, vec![format!("{AD_DOMAIN_SID}-515"), "S-1-5-32-545".to_string()]);
    // The computer by account name (with or without $ and domain), DNS name or binary SID.
    for who in ["PC-LEGACY", "PC-LEGACY$", "AMS\\PC-LEGACY", "pc-legacy.ad.ams.test", AD_LEGACY_SID] {
        let e = d.find_computer(who, &["objectSid"]).unwrap().unwrap_or_else(|| panic!("{who}"));
        assert_eq!(d.sid_of_entry(&e).as_deref(), Some(AD_LEGACY_SID), "{who}");
    }
    assert!(d.find_computer("PC-NONE", &["1.1"]).unwrap().is_none());
    assert_eq!(
        d.sid_of(&format!("cn=Workstations,ou=Workstations,{AD_BASE}")).unwrap().as_deref(),
        Some(AD_WORKSTATIONS_SID)
    );
}

#[test]
fn searches_are_paged_past_the_page_size() {
    let s = Slapd::start();
    s.seed_ad();
    let bulk = format!("ou=Bulk,{AD_BASE}");
    s.add(&bulk, &[("objectClass", &["organizationalUnit"]), ("ou", &["Bulk"])]);
    let mut c = s.conn();
    let n = ams_core::directory::ldap::PAGE_SIZE as usize * 2 + 7;
    for i in 0..n {
        let name = format!("BULK{i:04}");
        let attrs: Vec<(&str, HashSet<&str>)> =
            vec![("objectClass", HashSet::from(["computer"])), ("cn", HashSet::from([name.as_str()]))];
        c.add(&format!("cn={name},{bulk}"), attrs).unwrap().success().unwrap();
    }
    let mut d = ad_directory(&s);
    assert_eq!(d.computers_in(&bulk, false).unwrap().len(), 0, "no sAMAccountName: not listed");
    let all = d.subtree(&bulk, "(objectClass=computer)", &["cn"]).unwrap();
    assert_eq!(all.len(), n);
}

// ---------------------------------------------------------------------------------------------
// Directory secret providers behind the admin reads

fn configure_ad(f: &Fixture, s: &Slapd, providers: &str) {
    let ch = JitDirectoryChanges {
        url: Some(s.ldaps_url()),
        bind_dn: Some(ROOT_DN.into()),
        base_dn: Some(AD_BASE.into()),
        tls: Some("ldaps".into()),
        ca_file: Some(s.ca_file()),
        secret_providers: Some(providers.into()),
        ..Default::default()
    };
    let info =
        f.ams.set_jit_directory(Some(&f.keyring), ch, Some(Zeroizing::new(ROOT_PW.as_bytes().to_vec()))).unwrap();
    assert_eq!(info.tls.as_deref(), Some("Ldaps"));
}

fn by_name(n: &str) -> DeviceSelector {
    DeviceSelector::ComputerName(n.into())
}

#[test]
fn directory_providers_return_each_kind_of_secret_with_its_source() {
    let s = Slapd::start();
    s.seed_ad();
    let f = Fixture::new();
    let k = &f.keyring;
    // Without providers enabled, the reads are the agent database's alone.
    configure_ad(&f, &s, "none");
    assert_eq!(
        f.ams.local_admin_passwords(k, &by_name("PC-LEGACY"), false).unwrap_err().code(),
        ErrorCode::DeviceNotFound
    );
    configure_ad(&f, &s, "all");
    assert_eq!(f.ams.jit_directory().unwrap().secret_providers, vec!["MsLaps", "WindowsLaps", "BitLocker"]);

    // Legacy LAPS, by name, DNS name and SID.
    for who in ["PC-LEGACY", "pc-legacy.ad.ams.test", AD_LEGACY_SID] {
        let p = f.ams.local_admin_passwords(k, &by_name(who), false).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!((p[0].source.as_str(), p[0].password.expose()), ("MsLaps", AD_LEGACY_PW), "{who}");
        assert_eq!(p[0].expires.as_deref(), Some("2024-01-15T18:00:00.000000Z"));
        assert_eq!(p[0].computer_name, "PC-LEGACY");
        assert_eq!(p[0].device_id, "");
    }
    // Windows LAPS (JSON) wins over a stale legacy value; --all-providers gives both.
    let p = f.ams.local_admin_passwords(k, &by_name("PC-WIN"), false).unwrap();
    assert_eq!((p[0].source.as_str(), p[0].password.expose()), ("WindowsLaps", AD_WINDOWS_PW));
    assert_eq!(p[0].account_name, "LocalAdmin");
    assert_eq!(p[0].created, "2026-11-01T00:00:00.000000Z");
    let all = f.ams.local_admin_passwords(k, &by_name("PC-WIN"), true).unwrap();
    let sources: Vec<&str> = all.iter().map(|p| p.source.as_str()).collect();
    assert_eq!(sources, vec!["WindowsLaps", "MsLaps"]);
    assert_eq!(all[1].password.expose(), AD_STALE_LEGACY_PW);

    // Encrypted Windows LAPS: a coded error, never an empty answer; listed as unreadable in --all-providers.
    let e = f.ams.local_admin_passwords(k, &by_name("PC-ENC"), false).unwrap_err();
    assert_eq!(e.code(), ErrorCode::LapsEncryptedPasswordNeedsWindows);
    assert!(e.hint_text().unwrap_or_default().contains("Windows host with DPAPI-NG"));
    let all = f.ams.local_admin_passwords(k, &by_name("PC-ENC"), true).unwrap();
    assert_eq!(all.len(), 1);
    assert!(all[0].password.is_empty());
    assert!(all[0].unreadable.as_deref().unwrap().starts_with("AMS-DIR-0005"));
    let e = f.ams.local_admin_password_history(k, &by_name("PC-ENC")).unwrap_err();
    assert_eq!(e.code(), ErrorCode::LapsEncryptedPasswordNeedsWindows);
    // Legacy LAPS keeps no history.
    assert!(f.ams.local_admin_password_history(k, &by_name("PC-LEGACY")).unwrap().is_empty());

    // BitLocker from the msFVE-RecoveryInformation child.
    let keys = f.ams.fve_recovery_keys(k, &by_name("PC-LEGACY")).unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].source, "BitLockerAd");
    assert_eq!(keys[0].key_id, "6c5b2a40-8f1d-4e2b-9c3a-112233445566");
    assert_eq!(keys[0].recovery_password.expose(), AD_BITLOCKER_PW);
    assert_eq!(keys[0].created, "2024-01-15T18:00:00.000000Z");
    assert_eq!(f.ams.fve_recovery_keys(k, &by_name("PC-WIN")).unwrap_err().code(), ErrorCode::NoBitLockerKey);
    assert_eq!(
        f.ams.fve_recovery_keys(k, &by_name("PC-NONE")).unwrap_err().code(),
        ErrorCode::DirectoryComputerNotFound
    );

    // Every directory read is audited (before the secret is returned), and no secret is in the audit trail.
    let audit = f.ams.audit_records(None, 1000).unwrap();
    let reads: Vec<_> = audit.iter().filter(|a| a.target_type.as_deref() == Some("directory_computer")).collect();
    assert!(reads.iter().any(|a| a.event == "password.read" && a.details["Source"] == "MsLaps"));
    assert!(reads.iter().any(|a| a.event == "password.read" && a.details["Source"] == "WindowsLaps"));
    assert!(reads.iter().any(|a| a.event == "bitlocker.read" && a.details["Source"] == "BitLockerAd"));
    let trail = serde_json::to_string(&audit.iter().map(|a| (&a.event, &a.details)).collect::<Vec<_>>()).unwrap();
    for canary in [AD_LEGACY_PW, AD_WINDOWS_PW, AD_STALE_LEGACY_PW, AD_BITLOCKER_PW, ROOT_PW] {
        assert!(!trail.contains(canary), "{canary} in the audit trail");
        assert!(!format!("{e:?}").contains(canary));
    }
}

#[test]
fn agent_database_and_directory_together() {
    let s = Slapd::start();
    s.seed_ad();
    let f = Fixture::new();
    let k = &f.keyring;
    configure_ad(&f, &s, "MsLaps,WindowsLaps,BitLocker");
    // An agent device with the directory computer's name: both providers hold a password.
    let id = f.device("PC-LEGACY");
    f.upload_password(&id, "AgentCanary-55aa").unwrap();
    // The agent database's dated password wins over legacy LAPS (no date).
    let p = f.ams.local_admin_passwords(k, &by_name("PC-LEGACY"), false).unwrap();
    assert_eq!((p[0].source.as_str(), p[0].password.expose()), ("Ams", "AgentCanary-55aa"));
    let all = f.ams.local_admin_passwords(k, &by_name("PC-LEGACY"), true).unwrap();
    let sources: Vec<&str> = all.iter().map(|p| p.source.as_str()).collect();
    assert_eq!(sources, vec!["Ams", "MsLaps"]);
    assert!(all.iter().all(|p| p.device_id == id));
    // The directory read is audited against the device.
    let audit = f.ams.audit_records(Some(&id), 100).unwrap();
    assert!(audit.iter().any(|a| a.event == "password.read" && a.details["Sources"][0] == "MsLaps"));
}

#[test]
fn expire_password_writes_the_directory_expiry_attribute() {
    let s = Slapd::start();
    s.seed_ad();
    let f = Fixture::new();
    configure_ad(&f, &s, "all");
    let before = ams_core::directory::laps::time_to_filetime(f.ams.now_time());
    let w = f.ams.expire_directory_password(&f.keyring, "PC-WIN").unwrap();
    assert_eq!(w, vec!["ms-Mcs-AdmPwdExpirationTime", "msLAPS-PasswordExpirationTime"]);
    let dn = format!("cn=PC-WIN,ou=Workstations,{AD_BASE}");
    let v: i64 = s.attr(&dn, "msLAPS-PasswordExpirationTime")[0].parse().unwrap();
    assert!(v >= before && v < before + 600 * 10_000_000, "{v} vs {before}");
    let w = f.ams.expire_directory_password(&f.keyring, "PC-ENC").unwrap();
    assert_eq!(w, vec!["msLAPS-PasswordExpirationTime"]);
    assert_eq!(
        f.ams.expire_directory_password(&f.keyring, "PC-NONE").unwrap_err().code(),
        ErrorCode::DirectoryComputerNotFound
    );
    let audit = f.ams.audit_records(None, 1000).unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.event == "device.expire_password" && a.target_type.as_deref() == Some("directory_computer"))
    );
}

// ---------------------------------------------------------------------------------------------
// The rule-checked access request over directory secrets

const READER: &str = "S-1-5-21-1004336348-1177238915-682003330-1501";
const OTHER: &str = "S-1-5-21-1004336348-1177238915-682003330-1502";

fn allow(f: &Fixture, target: TargetSpec, t: AccessType, who: &str, settings: ComputerRuleSettings) {
    f.ams
        .computer_rule_new(&NewComputerRule {
            target,
            script: None,
            principals: vec![PrincipalChange {
                access_type: t,
                kind: ams_core::authz::AceKind::Allow,
                principal: who.into(),
            }],
            settings,
        })
        .unwrap();
}

fn ask(computer: &str, user: &str, t: AccessType) -> AccessRequest {
    AccessRequest {
        query: AccessQuery {
            computer: by_name(computer),
            user_sid: user.into(),
            group_sids: vec![],
            directory: DirectoryInfo::default(),
        },
        access_type: t,
        reason: None,
        source_address: None,
        requested_duration: None,
    }
}

#[test]
fn access_requests_for_directory_secrets_follow_the_rules() {
    let s = Slapd::start();
    s.seed_ad();
    let f = Fixture::new();
    let k = Some(&f.keyring);
    configure_ad(&f, &s, "all");
    // OU rule (DN from the directory), nested AD group rule (All Computers, through the walk),
    // and an AD computer rule (binary objectSid).
    let laps = ComputerRuleSettings {
        laps_default: Some(Some(time::Duration::hours(2))),
        laps_allow_extension: Some(true),
        ..Default::default()
    };
    allow(&f, TargetSpec::AdContainer(format!("ou=Workstations,{AD_BASE}")), AccessType::Laps, READER, laps);
    allow(&f, TargetSpec::AdGroup(AD_ALL_COMPUTERS_SID.into()), AccessType::BitLocker, READER, Default::default());
    allow(&f, TargetSpec::AdComputer(AD_ENC_SID.into()), AccessType::Laps, READER, Default::default());

    let g = f.ams.access_request(k, &ask("PC-WIN", READER, AccessType::Laps)).unwrap();
    let p = g.password.as_ref().unwrap();
    assert_eq!((p.source.as_str(), p.password.expose()), ("WindowsLaps", AD_WINDOWS_PW));
    // Expire after access: the rule's two hours are written to msLAPS-PasswordExpirationTime.
    let at = g.access_expiry.clone().unwrap();
    let want = ams_core::directory::laps::time_to_filetime(f.ams.now_time() + time::Duration::hours(2));
    let dn = format!("cn=PC-WIN,ou=Workstations,{AD_BASE}");
    assert_eq!(s.attr(&dn, "msLAPS-PasswordExpirationTime"), vec![want.to_string()], "{at}");

    let g = f.ams.access_request(k, &ask("pc-legacy.ad.ams.test", READER, AccessType::BitLocker)).unwrap();
    assert_eq!(g.bit_locker_keys.as_ref().unwrap()[0].recovery_password.expose(), AD_BITLOCKER_PW);
    // Denied: another user, and a type no rule grants.
    let e = f.ams.access_request(k, &ask("PC-WIN", OTHER, AccessType::Laps)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AccessDenied);
    let e = f.ams.access_request(k, &ask("PC-WIN", READER, AccessType::BitLocker)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AccessDenied, "PC-WIN's tokenGroups do not hold All Computers");
    // Allowed but encrypted: the coded error, audited as a failure.
    let e = f.ams.access_request(k, &ask("PC-ENC", READER, AccessType::Laps)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::LapsEncryptedPasswordNeedsWindows);

    let audit = f.ams.audit_records(None, 1000).unwrap();
    let req: Vec<_> = audit.iter().filter(|a| a.event == "access.request").collect();
    assert!(req.iter().any(|a| a.outcome == "success"
        && a.target_id.as_deref() == Some(dn.as_str())
        && a.details["Source"] == "WindowsLaps"));
    assert!(req.iter().any(|a| a.outcome == "denied" && a.details["UserSid"] == OTHER));
    assert!(req.iter().any(|a| a.outcome == "failure" && a.details["Error"] == "AMS-DIR-0005"));
    let trail = serde_json::to_string(&audit.iter().map(|a| &a.details).collect::<Vec<_>>()).unwrap();
    assert!(!trail.contains(AD_WINDOWS_PW) && !trail.contains(AD_BITLOCKER_PW));

    // Rate limits count directory requests like any other.
    f.ams.set_int_setting(&ams_core::service::settings::RATE_LIMIT_PER_USER_PER_MINUTE, 1).unwrap();
    f.clock.advance(time::Duration::minutes(2));
    f.ams.access_request(k, &ask("PC-WIN", READER, AccessType::Laps)).unwrap();
    let e = f.ams.access_request(k, &ask("PC-WIN", READER, AccessType::Laps)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::RateLimited);
}

// ---------------------------------------------------------------------------------------------
// Importing the LAPS permissions of OUs

#[test]
fn laps_permissions_are_imported_from_ou_security_descriptors() {
    use ams_core::service::directory_import::DirectoryImportOptions;
    use ams_core::service::rule_import::ImportOptions;
    let s = Slapd::start();
    s.seed_ad();
    let f = Fixture::new();
    configure_ad(&f, &s, "all");
    let from = DirectoryImportOptions { schema_dn: Some(AD_SCHEMA_DN.into()), ..Default::default() };
    // Dry run first: findings and proposed rules, nothing written.
    let dry = f.ams.computer_rule_import_from_directory(&f.keyring, &from, &ImportOptions::default()).unwrap();
    assert!(!dry.import.applied);
    let ws = format!("ou=Workstations,{AD_BASE}");
    let sv = format!("ou=Servers,{AD_BASE}");
    let found: Vec<(&str, &str, Vec<&str>)> = dry
        .findings
        .iter()
        .map(|f| {
            (f.distinguished_name.as_str(), f.principal.as_str(), f.attributes.iter().map(String::as_str).collect())
        })
        .collect();
    assert_eq!(
        found,
        vec![
            (ws.as_str(), AD_LAPS_READERS_SID, vec!["ms-Mcs-AdmPwd"]),
            (ws.as_str(), AD_HELPDESK_SID, vec!["msLAPS-Password"]),
            // Full control reads every attribute; the denied LAPS Readers are left out on Servers.
            (sv.as_str(), AD_SERVER_ADMINS_SID, vec!["ms-Mcs-AdmPwd", "msLAPS-Password"]),
        ]
    );
    assert_eq!(dry.import.rules_created, 2);
    assert!(f.ams.computer_rules(None).unwrap().is_empty());
    // Ignoring a principal leaves it out.
    let ignoring = DirectoryImportOptions { ignore_principals: vec![AD_HELPDESK_SID.into()], ..from.clone() };
    let r = f.ams.computer_rule_import_from_directory(&f.keyring, &ignoring, &ImportOptions::default()).unwrap();
    assert_eq!(r.findings.len(), 2);
    // Applied: AD container rules, and they decide access requests.
    let applied = f
        .ams
        .computer_rule_import_from_directory(&f.keyring, &from, &ImportOptions { apply: true, ..Default::default() })
        .unwrap();
    assert!(applied.import.applied);
    assert_eq!(f.ams.computer_rules(None).unwrap().len(), 2);
    let g = f.ams.access_request(Some(&f.keyring), &ask("PC-WIN", AD_HELPDESK_SID, AccessType::Laps)).unwrap();
    assert_eq!(g.password.unwrap().source, "WindowsLaps");
    let audit = f.ams.audit_records(None, 1000).unwrap();
    assert!(audit.iter().any(|a| a.event == "computer_rule.import" && a.details["Source"] == "directory-import"));
    // A malformed descriptor is a coded error naming the OU, and nothing is written.
    let mut c = s.conn();
    let m = ldap3::Mod::Replace(b"nTSecurityDescriptor".to_vec(), HashSet::from([vec![1u8, 0, 4, 0x80, 9, 9]]));
    c.modify(&sv, vec![m]).unwrap().success().unwrap();
    let e = f.ams.computer_rule_import_from_directory(&f.keyring, &from, &ImportOptions::default()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::SecurityDescriptorInvalid);
    assert_eq!(e.context()["dn"], sv);
}
