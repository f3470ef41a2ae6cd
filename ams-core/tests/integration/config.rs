//! Configuration: host configuration, service configuration, claim mappings, diagnostics.

use std::io::Read;

use ams_core::ErrorCode;
use ams_core::service::claims::{ClaimMapping, ClaimValueType, IdpType};
use ams_core::service::diagnostics::build_diagnostics;
use ams_core::service::host_config::{self, ConnectionString, HostConfigChanges};
use ams_core::service::service_config::{ServiceConfigUpdate, SettingValue};
use ams_core::service::settings::INT_SETTINGS;

use crate::fixture::{Fixture, contains};

fn mapping(idp: IdpType, claim: &str, t: ClaimValueType, attr: Option<&str>) -> ClaimMapping {
    ClaimMapping {
        idp_type: idp,
        claim_name: claim.into(),
        claim_value_type: t,
        directory_attribute_name: attr.map(str::to_string),
        built_in: false,
    }
}

#[test]
fn service_config_lists_every_registered_setting_and_ignores_bad_stored_values() {
    let f = Fixture::bare();
    let cfg = f.ams.service_config().unwrap();
    for s in INT_SETTINGS {
        assert!(cfg.settings.iter().any(|x| x.name == s.key), "{} is listed", s.key);
        assert_eq!(cfg.other[s.key], SettingValue::Int(s.default));
    }
    let mut u = ServiceConfigUpdate::new();
    u.set("FarmWebAppHostName", SettingValue::Text(Some("App.Example.test".into()))).unwrap();
    u.set("DomainsToIgnore", SettingValue::List(vec!["a.example".into(), "A.example".into()])).unwrap();
    u.set_assignment("PasswordHistoryKeepDays=7").unwrap();
    let after = f.ams.set_service_config(&u).unwrap();
    assert_eq!(after.farm_web_app_host_name.as_deref(), Some("app.example.test"));
    assert_eq!(after.domains_to_ignore, ["a.example"]);
    assert_eq!(after.other["PasswordHistoryKeepDays"], SettingValue::Int(7));
    let audit = f.ams.audit_records(Some("FarmWebAppHostName"), 10).unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].event, "service_config.set");

    // Values written behind the service's back that fail the checks read as the default.
    f.ams
        .store()
        .write(|tx| {
            tx.put_setting("FarmApiHostName", "\"not a host name\"", "t")?;
            tx.put_setting("FarmApiPort", "99999", "t")?;
            tx.put_setting("ForestsToIgnore", "{\"not\":\"a list\"}", "t")
        })
        .unwrap();
    let cfg = f.ams.service_config().unwrap();
    assert_eq!(cfg.farm_api_host_name, None);
    assert_eq!(cfg.farm_api_port, 443);
    assert!(cfg.forests_to_ignore.is_empty());
    // An empty update changes nothing and writes no audit record.
    let before = f.ams.audit_records(None, 1000).unwrap().len();
    f.ams.set_service_config(&ServiceConfigUpdate::new()).unwrap();
    assert_eq!(f.ams.audit_records(None, 1000).unwrap().len(), before);
}

#[test]
fn claim_mappings_replace_and_restore_the_defaults() {
    let f = Fixture::bare();
    let names = |v: Vec<ClaimMapping>| v.into_iter().map(|m| m.claim_name).collect::<Vec<_>>();
    assert!(f.ams.claim_mappings(IdpType::Oidc).unwrap().is_empty());
    assert_eq!(names(f.ams.effective_claim_mappings(IdpType::Oidc).unwrap()), ["upn", "sid", "onprem_sid"]);

    f.ams.add_claim_mapping(&mapping(IdpType::Oidc, "email", ClaimValueType::Custom, Some("mail"))).unwrap();
    assert_eq!(names(f.ams.effective_claim_mappings(IdpType::Oidc).unwrap()), ["email"], "defaults replaced");
    assert_eq!(
        names(f.ams.effective_claim_mappings(IdpType::WsFed).unwrap()),
        ["upn", "sid", "onprem_sid"],
        "each provider type has its own list"
    );
    let dup = f.ams.add_claim_mapping(&mapping(IdpType::Oidc, "email", ClaimValueType::Upn, None));
    assert_eq!(dup.unwrap_err().code(), ErrorCode::ClaimMappingExists);
    // Claim names are compared exactly: WS-Federation claim URIs differ only in case at times.
    f.ams.add_claim_mapping(&mapping(IdpType::Oidc, "Email", ClaimValueType::Upn, None)).unwrap();

    assert_eq!(f.ams.clear_claim_mappings(IdpType::Oidc).unwrap(), 2);
    assert_eq!(names(f.ams.effective_claim_mappings(IdpType::Oidc).unwrap()), ["upn", "sid", "onprem_sid"]);
    assert_eq!(f.ams.clear_claim_mappings(IdpType::Oidc).unwrap(), 0, "clearing twice is fine");

    // A damaged stored list is reported, and clearing repairs it.
    f.ams.store().write(|tx| tx.put_setting("IdpClaimMappings.wsfed", "not json", "t")).unwrap();
    assert_eq!(f.ams.claim_mappings(IdpType::WsFed).unwrap_err().code(), ErrorCode::DbCorrupt);
    f.ams.clear_claim_mappings(IdpType::WsFed).unwrap();
    assert!(f.ams.claim_mappings(IdpType::WsFed).unwrap().is_empty());
    // Claim mappings are not service settings.
    assert!(f.ams.service_config().unwrap().settings.iter().all(|s| !s.name.starts_with("IdpClaim")));
}

#[test]
fn connection_string_validation_knows_an_ams_database() {
    let f = Fixture::bare();
    let other = Fixture::bare();
    let data = f.dir.path().join("data");
    let cs = |s: &str| ConnectionString::new(s);
    let db = other.dir.path().join("data/ams.db");
    host_config::validate_connection_string(&cs(&format!("sqlite://{}", db.display())), &data, false).unwrap();

    let empty = f.dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let e = host_config::validate_connection_string(&cs(&format!("sqlite://{}", empty.display())), &data, false);
    assert_eq!(e.unwrap_err().code(), ErrorCode::ConnectionStringInvalid, "an empty file is no ams database");
    host_config::validate_connection_string(&cs(&format!("sqlite://{}", empty.display())), &data, true).unwrap();

    // A database from a newer ams is refused.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute("INSERT INTO schema_migrations VALUES (9999, 'future', 'x', 't')", [])
        .unwrap();
    let e = host_config::validate_connection_string(&cs(&format!("sqlite://{}", db.display())), &data, false);
    let e = e.unwrap_err();
    assert_eq!(e.code(), ErrorCode::ConnectionStringInvalid);
    assert_eq!(e.context()["reason"], "AMS-DB-0002");

    // Setting it writes host.toml; a refused change leaves it alone.
    let before = std::fs::read(data.join("host.toml")).unwrap();
    let bad = HostConfigChanges {
        https_port: Some(8443),
        connection_string: Some(cs("sqlite://missing.db")),
        ..Default::default()
    };
    assert_eq!(host_config::set_host_config(&data, &bad).unwrap_err().code(), ErrorCode::ConnectionStringInvalid);
    assert_eq!(std::fs::read(data.join("host.toml")).unwrap(), before);
    let ok = HostConfigChanges { https_port: Some(8443), ..Default::default() };
    assert_eq!(host_config::set_host_config(&data, &ok).unwrap().https_port, 8443);
    assert_eq!(f.reopen().host_config().https_port, 8443);
    let missing = f.dir.path().join("nowhere");
    assert_eq!(host_config::host_config(&missing).unwrap_err().code(), ErrorCode::InstanceNotFound);
}

#[test]
fn diagnostics_hold_no_secret_and_carry_the_clock_time() {
    let f = Fixture::new();
    let dev = f.device("pc-diag");
    f.upload_password(&dev, "Canary-Core-Diag-9").unwrap();
    let (bytes, names, failed) = build_diagnostics(&f.options(), &[("test", "1")]).unwrap();
    assert!(failed.is_empty(), "{failed:?}");
    assert!(names.iter().any(|n| n == "key-status.json"));
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    for n in 0..z.len() {
        let mut e = z.by_index(n).unwrap();
        let t = e.last_modified().unwrap();
        assert_eq!((t.year(), t.month(), t.day(), t.hour()), (2026, 3, 1, 12), "{}", e.name());
        assert_eq!(e.unix_mode().map(|m| m & 0o777), Some(0o600));
        let mut buf = Vec::new();
        e.read_to_end(&mut buf).unwrap();
        for canary in [&b"Canary-Core-Diag-9"[..], crate::fixture::RECOVERY] {
            assert!(!contains(&buf, canary), "secret in {}", e.name());
        }
    }
}
