//! The directory connection against a real slapd: LDAPS and StartTLS verified against a CA made
//! for the run, a wrong CA refused, plain simple binds refused unless allowed; and AD's data
//! (binary SIDs, tokenGroups, nested groups, paged searches) through the same client.

use ams_core::ErrorCode;
use ams_core::directory::conn::{ConnectionSettings, TlsMode};
use ams_core::directory::ldap::LdapDirectory;
use ams_core::directory::{Directory, Schema, SidFormat};

use crate::slapd::{DESKTOPS_SID, PLACEHOLDER, ROOT_DN, ROOT_PW, SUFFIX, Slapd};

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
