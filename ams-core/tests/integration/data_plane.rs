//! Certificates, registration, devices, groups, uploads and reads.

use ams_core::ErrorCode;
use ams_core::crypto::envelope::{self, EnvelopeContext, OaepHash, SecretKind};
use ams_core::service::agent::Registration;
use ams_core::service::certs::NewCertOptions;
use ams_core::service::devices::{DeviceAction, DeviceSelector};
use ams_core::service::regkeys::RegKeyChanges;
use ams_core::service::secrets::Upload;
use ams_core::service::settings::{PASSWORD_HISTORY_KEEP_COUNT, PASSWORD_HISTORY_KEEP_DAYS};

use crate::fixture::Fixture;

fn reg(name: &str, os: &str) -> Registration {
    Registration {
        name: name.into(),
        os: os.into(),
        dns_name: Some(format!("{name}.example.test")),
        os_version: None,
        agent_version: Some("1.0".into()),
    }
}

#[test]
fn registration_follows_each_key_setting() {
    let f = Fixture::new();
    let open = f.ams.reg_key_new(&f.keyring, "open", true, 0, false).unwrap();
    let r = f.ams.agent_register(&open.key, &reg("a1", "windows")).unwrap();
    assert_eq!(r.approval_state, "Approved");
    assert!(!r.device_credential.is_empty());

    let approval = f.ams.reg_key_new(&f.keyring, "needs approval", true, 0, true).unwrap();
    assert_eq!(f.ams.agent_register(&approval.key, &reg("a2", "linux")).unwrap().approval_state, "Pending");

    let single = f.ams.reg_key_new(&f.keyring, "single use", true, 1, false).unwrap();
    f.ams.agent_register(&single.key, &reg("a3", "macos")).unwrap();
    assert_eq!(f.ams.agent_register(&single.key, &reg("a4", "macos")).unwrap_err().code(), ErrorCode::RegKeyExhausted);
    let reset = RegKeyChanges { reset_activation_count: true, ..Default::default() };
    assert_eq!(f.ams.reg_key_set(&f.keyring, &single.id, &reset).unwrap().activation_count, 0);
    f.ams.agent_register(&single.key, &reg("a4", "macos")).unwrap();

    let disabled = f.ams.reg_key_new(&f.keyring, "disabled", false, 0, false).unwrap();
    assert_eq!(
        f.ams.agent_register(&disabled.key, &reg("a5", "windows")).unwrap_err().code(),
        ErrorCode::RegKeyDisabled
    );
    assert_eq!(
        f.ams.agent_register("no-such-key", &reg("a6", "windows")).unwrap_err().code(),
        ErrorCode::RegKeyInvalid
    );
    assert_eq!(f.ams.agent_register(&open.key, &reg("a7", "beos")).unwrap_err().code(), ErrorCode::InvalidRequest);

    // Counts, lookups by value and name uniqueness.
    let by_value = f.ams.reg_keys(&f.keyring, None, None, Some(&open.key)).unwrap();
    assert_eq!(by_value.len(), 1);
    assert_eq!(by_value[0].activation_count, 1);
    assert_eq!(f.ams.reg_key_new(&f.keyring, "OPEN", true, 0, false).unwrap_err().code(), ErrorCode::RegKeyExists);
    // Refused registrations are audited.
    assert!(
        f.ams.audit_records(None, 1000).unwrap().iter().any(|r| r.event == "agent.register" && r.outcome == "denied")
    );
}

#[test]
fn approval_flow_gates_uploads() {
    let f = Fixture::new();
    let key = f.ams.reg_key_new(&f.keyring, "k", true, 0, true).unwrap();
    let dev = f.ams.agent_register(&key.key, &reg("pc1", "windows")).unwrap().device_id;
    assert_eq!(f.upload_password(&dev, "x-Canary-1").unwrap_err().code(), ErrorCode::DeviceNotApproved);
    assert!(
        !f.ams.agent_check_in(&dev).unwrap().password_change_required,
        "pending devices are not asked for a password"
    );
    f.ams.set_device(&dev, DeviceAction::Approve, false).unwrap();
    assert!(f.ams.agent_check_in(&dev).unwrap().password_change_required);
    f.upload_password(&dev, "x-Canary-2").unwrap();
    f.ams.set_device(&dev, DeviceAction::Disable, false).unwrap();
    assert_eq!(f.upload_password(&dev, "x-Canary-3").unwrap_err().code(), ErrorCode::DeviceDisabled);
    f.ams.set_device(&dev, DeviceAction::Enable, false).unwrap();
    // Rejecting an approved device needs force.
    assert_eq!(f.ams.set_device(&dev, DeviceAction::Reject, false).unwrap_err().code(), ErrorCode::ForceRequired);
    assert_eq!(f.ams.set_device(&dev, DeviceAction::Reject, true).unwrap().approval_state, "Rejected");
    assert_eq!(f.upload_password(&dev, "x-Canary-4").unwrap_err().code(), ErrorCode::DeviceNotApproved);
    assert_eq!(f.ams.devices(None, None, Some("Rejected")).unwrap().len(), 1);
    assert_eq!(f.ams.devices(None, None, Some("bogus")).unwrap_err().code(), ErrorCode::InvalidRequest);
}

#[test]
fn groups_membership_and_built_ins() {
    let f = Fixture::new();
    let d1 = f.device("pc1");
    let d2 = f.device("pc2");
    let g = f.ams.group_new("Servers", Some("all servers")).unwrap();
    assert!(g.sid.starts_with("S-1-4096-1-"));
    assert_eq!(f.ams.group_new("servers", None).unwrap_err().code(), ErrorCode::GroupExists);
    assert_eq!(f.ams.group_new("All devices", None).unwrap_err().code(), ErrorCode::GroupExists);
    f.ams.group_member_add(&g.id, &[d1.clone(), d2.clone()]).unwrap();
    f.ams.group_member_add(&g.id, std::slice::from_ref(&d1)).unwrap(); // idempotent
    assert_eq!(f.ams.group_members(&g.id).unwrap().len(), 2);
    assert_eq!(f.ams.group_members(&g.sid).unwrap().len(), 2, "a SID works as an id");
    assert_eq!(f.ams.group_member_add(&g.id, &["nope".into()]).unwrap_err().code(), ErrorCode::DeviceNotFound);
    assert_eq!(f.ams.group_members(&g.id).unwrap().len(), 2, "a failed add changes nothing");
    f.ams.group_member_remove(&g.id, std::slice::from_ref(&d2), false).unwrap();
    assert_eq!(f.ams.group_members(&g.id).unwrap().len(), 1);
    assert_eq!(f.ams.group_member_remove(&g.id, &[], false).unwrap_err().code(), ErrorCode::ForceRequired);
    // A group in use needs force to delete; built-ins cannot be changed.
    assert_eq!(f.ams.group_remove(&g.id, false).unwrap_err().code(), ErrorCode::ForceRequired);
    assert_eq!(f.ams.group_remove("S-1-4096-2-1", true).unwrap_err().code(), ErrorCode::GroupBuiltIn);
    assert_eq!(
        f.ams.group_member_add("S-1-4096-2-4", std::slice::from_ref(&d1)).unwrap_err().code(),
        ErrorCode::GroupBuiltIn
    );
    assert_eq!(f.ams.group_members("S-1-4096-2-4").unwrap().len(), 2, "all Windows devices");
    assert_eq!(f.ams.group_members("S-1-4096-2-5").unwrap().len(), 0, "no Linux devices");
    let sids = f.ams.device_group_sids(&d1).unwrap();
    assert!(sids.contains(&g.sid) && sids.contains(&"S-1-4096-2-1".to_string()));
    let renamed = f.ams.group_set(&g.id, Some("Web servers"), None).unwrap();
    assert_eq!((renamed.name.as_str(), renamed.description.as_str()), ("Web servers", "all servers"));
    f.ams.group_remove(&g.id, true).unwrap();
    assert_eq!(f.ams.groups(Some(&g.id), None, None).unwrap_err().code(), ErrorCode::GroupNotFound);
    assert!(f.ams.groups(None, Some("Web servers"), None).unwrap().is_empty());

    // Devices registered with a key land in the key's groups.
    let g2 = f.ams.group_new("Kiosks", None).unwrap();
    let key = f.ams.reg_key_new(&f.keyring, "kiosk key", true, 0, false).unwrap();
    f.ams.reg_key_groups(&key.id, std::slice::from_ref(&g2.id), true).unwrap();
    let dev = f.ams.agent_register(&key.key, &reg("kiosk1", "linux")).unwrap().device_id;
    assert_eq!(f.ams.group_members(&g2.id).unwrap()[0].id, dev);
}

#[test]
fn upload_then_read_back_with_history_order_and_retention() {
    let f = Fixture::new();
    let dev = f.device("pc1");
    f.ams.set_int_setting(&PASSWORD_HISTORY_KEEP_COUNT, 2).unwrap();
    f.ams.set_int_setting(&PASSWORD_HISTORY_KEEP_DAYS, 0).unwrap();
    for i in 1..=5 {
        f.upload_password(&dev, &format!("Canary-pw-{i}")).unwrap();
        f.clock.advance(time::Duration::hours(1));
    }
    let sel = DeviceSelector::ComputerName("PC1".into());
    let cur = f.ams.password_current(&f.keyring, &sel).unwrap();
    assert_eq!(cur.password, "Canary-pw-5");
    assert_eq!(cur.account_name, "Administrator");
    let hist = f.ams.password_history(&f.keyring, &sel).unwrap();
    assert_eq!(
        hist.iter().map(|p| p.password.as_str()).collect::<Vec<_>>(),
        ["Canary-pw-4", "Canary-pw-3"],
        "newest first, 2 kept"
    );
    assert!(hist.iter().all(|p| p.retired.is_some()));
    // Keep by age: everything retired within 10 days stays.
    f.ams.set_int_setting(&PASSWORD_HISTORY_KEEP_COUNT, 0).unwrap();
    f.ams.set_int_setting(&PASSWORD_HISTORY_KEEP_DAYS, 10).unwrap();
    for i in 6..=8 {
        f.upload_password(&dev, &format!("Canary-pw-{i}")).unwrap();
    }
    assert_eq!(f.ams.password_history(&f.keyring, &sel).unwrap().len(), 5, "2 kept before, plus 3 retired now");
    f.clock.advance(time::Duration::days(11));
    f.upload_password(&dev, "Canary-pw-9").unwrap();
    let hist = f.ams.password_history(&f.keyring, &sel).unwrap();
    assert_eq!(hist.len(), 1, "only the password retired just now is young enough");
    // Reads are audited without the secret.
    let audit = f.ams.audit_records(Some(&dev), 1000).unwrap();
    assert!(audit.iter().any(|r| r.event == "password.read"));
    assert!(audit.iter().all(|r| !r.details.to_string().contains("Canary-pw")));
}

#[test]
fn expire_password_flag_reaches_the_agent() {
    let f = Fixture::new();
    let dev = f.device("pc1");
    assert_eq!(f.ams.set_device(&dev, DeviceAction::ExpirePassword, false).unwrap_err().code(), ErrorCode::NoPassword);
    f.upload_password(&dev, "Canary-exp").unwrap();
    let c = f.ams.agent_check_in(&dev).unwrap();
    assert!(!c.password_change_required && c.encryption_certificate.is_none());
    f.ams.set_device(&dev, DeviceAction::ExpirePassword, false).unwrap();
    let c = f.ams.agent_check_in(&dev).unwrap();
    assert!(c.password_change_required);
    assert_eq!(c.reason, "Expired");
    assert!(c.encryption_certificate.is_some());
    f.upload_password(&dev, "Canary-exp-2").unwrap();
    assert!(!f.ams.agent_check_in(&dev).unwrap().password_change_required);
    // The maximum age also expires it.
    f.clock.advance(time::Duration::days(31));
    assert!(f.ams.agent_check_in(&dev).unwrap().password_change_required);
}

#[test]
fn tampered_or_swapped_ciphertexts_fail_with_integrity_errors() {
    let f = Fixture::new();
    let d1 = f.device("pc1");
    let d2 = f.device("pc2");
    let cert = f.ams.active_certificate_der().unwrap();
    // A blob sealed for another device is refused at ingest.
    let for_d2 = envelope::seal(
        &cert,
        OaepHash::Sha256,
        &EnvelopeContext { kind: SecretKind::LapsPassword, device_id: &d2, subject: Some("Administrator") },
        b"Canary-swap",
    )
    .unwrap();
    let up = Upload::Password { account_name: "Administrator".into() };
    assert_eq!(f.ams.ingest(&f.keyring, &d1, &up, &for_d2).unwrap_err().code(), ErrorCode::EnvelopeTampered);
    // A BitLocker blob cannot be replayed as a password.
    let bl = envelope::seal(
        &cert,
        OaepHash::Sha256,
        &EnvelopeContext { kind: SecretKind::BitLockerKey, device_id: &d1, subject: None },
        b"x",
    )
    .unwrap();
    assert_eq!(f.ams.ingest(&f.keyring, &d1, &up, &bl).unwrap_err().code(), ErrorCode::EnvelopeTampered);
    // A flipped byte is refused; garbage is a format error.
    let mut good = envelope::seal(
        &cert,
        OaepHash::Sha512,
        &EnvelopeContext { kind: SecretKind::LapsPassword, device_id: &d1, subject: Some("Administrator") },
        b"Canary-ok",
    )
    .unwrap();
    let last = good.len() - 1;
    good[last] ^= 1;
    assert_eq!(f.ams.ingest(&f.keyring, &d1, &up, &good).unwrap_err().code(), ErrorCode::EnvelopeTampered);
    assert_eq!(f.ams.ingest(&f.keyring, &d1, &up, b"garbage").unwrap_err().code(), ErrorCode::EnvelopeFormat);
    // A blob sealed to a certificate the instance does not know.
    let foreign = Fixture::new();
    let other_cert = foreign.ams.active_certificate_der().unwrap();
    let alien = envelope::seal(
        &other_cert,
        OaepHash::Sha256,
        &EnvelopeContext { kind: SecretKind::LapsPassword, device_id: &d1, subject: Some("Administrator") },
        b"x",
    )
    .unwrap();
    assert_eq!(f.ams.ingest(&f.keyring, &d1, &up, &alien).unwrap_err().code(), ErrorCode::EnvelopeUnknownCert);
    assert!(f.ams.audit_records(Some(&d1), 100).unwrap().iter().filter(|r| r.outcome == "failure").count() >= 4);

    // Stored rows swapped between devices in the database fail to open on read.
    f.upload_password(&d1, "Canary-d1").unwrap();
    f.upload_password(&d2, "Canary-d2").unwrap();
    let conn = rusqlite::Connection::open(f.dir.path().join("data/ams.db")).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    let swap = |conn: &rusqlite::Connection| {
        conn.execute("UPDATE device_passwords SET device_id = 'swap' WHERE device_id = ?1", [&d1]).unwrap();
        conn.execute("UPDATE device_passwords SET device_id = ?1 WHERE device_id = ?2", [&d1, &d2]).unwrap();
        conn.execute("UPDATE device_passwords SET device_id = ?1 WHERE device_id = 'swap'", [&d2]).unwrap();
    };
    swap(&conn);
    let e = f.ams.password_current(&f.keyring, &DeviceSelector::Id(d1.clone())).unwrap_err();
    // The row's server MAC (issue 17) catches the move before the envelope is even opened.
    assert_eq!(e.code(), ErrorCode::SecretRowUnbound);
    assert!(!e.message().contains("Canary"));
    // A sealed private key moved to another certificate row fails its master-key check.
    let second = f
        .ams
        .cert_new(
            &f.keyring,
            &NewCertOptions { subject: "second".into(), key_bits: 3072, validity_days: 30, activate: false },
        )
        .unwrap();
    conn.execute(
        "UPDATE certificates SET sealed_private_key = (SELECT sealed_private_key FROM certificates WHERE thumbprint = ?1) WHERE thumbprint != ?1",
        [&second.thumbprint],
    )
    .unwrap();
    swap(&conn);
    let e = f.ams.password_current(&f.keyring, &DeviceSelector::Id(d1)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::SealedValueTampered);
}

#[test]
fn passwords_sealed_to_a_retained_certificate_still_read() {
    let f = Fixture::new();
    let dev = f.device("pc1");
    let first = f.ams.cert_list().unwrap()[0].thumbprint.clone();
    f.upload_password(&dev, "Canary-old-cert").unwrap();
    let second = f
        .ams
        .cert_new(
            &f.keyring,
            &NewCertOptions { subject: "next".into(), key_bits: 3072, validity_days: 365, activate: true },
        )
        .unwrap();
    let certs = f.ams.cert_list().unwrap();
    assert_eq!(certs.iter().filter(|c| c.state == "Active").count(), 1);
    assert_eq!(certs.iter().find(|c| c.thumbprint == first).unwrap().state, "Retained");
    assert_eq!(
        f.ams.password_current(&f.keyring, &DeviceSelector::Id(dev.clone())).unwrap().password,
        "Canary-old-cert"
    );
    let r = f.upload_password(&dev, "Canary-new-cert").unwrap();
    assert_eq!(r.certificate_thumbprint, second.thumbprint);
    let hist = f.ams.password_history(&f.keyring, &DeviceSelector::Id(dev)).unwrap();
    assert_eq!(hist[0].password, "Canary-old-cert");
    // Re-activating the first one works too; activating garbage does not.
    f.ams.cert_activate(&first.to_lowercase()).unwrap();
    assert_eq!(f.ams.cert_activate("00").unwrap_err().code(), ErrorCode::CertNotFound);
}

#[test]
fn bitlocker_keys_upload_and_read() {
    let f = Fixture::new();
    let dev = f.device("pc1");
    let up = |key_id: &str, pw: &str| {
        f.ams.agent_upload(
            &f.keyring,
            &dev,
            &Upload::BitLocker {
                key_id: key_id.into(),
                volume_id: Some("vol-c".into()),
                volume_type: Some("OperatingSystem".into()),
            },
            pw.as_bytes(),
            OaepHash::Sha256,
        )
    };
    up("{3F2504E0-4F89-11D3-9A0C-0305E82C3301}", "111111-222222-333333-444444-555555-666666-000000-000011").unwrap();
    up("3f2504e0-4f89-11d3-9a0c-0305e82c3302", "000011-000022-000033-000044-000055-000066-000077-000088").unwrap();
    // The same key id again replaces the stored key.
    up("3f2504e0-4f89-11d3-9a0c-0305e82c3301", "000099-000022-000033-000044-000055-000066-000077-000088").unwrap();
    assert_eq!(up("not-a-guid", "x").unwrap_err().code(), ErrorCode::InvalidRequest);
    let keys = f.ams.bitlocker_keys(&f.keyring, &DeviceSelector::ComputerName("pc1".into())).unwrap();
    assert_eq!(keys.len(), 2);
    let k1 = keys.iter().find(|k| k.key_id.ends_with("3301")).unwrap();
    assert!(k1.recovery_password.starts_with("000099"));
    assert_eq!(k1.volume_type.as_deref(), Some("OperatingSystem"));
}

#[test]
fn removing_a_device_with_secrets_needs_force_and_cascades() {
    let f = Fixture::new();
    let dev = f.device("pc1");
    let g = f.ams.group_new("g", None).unwrap();
    f.ams.group_member_add(&g.id, std::slice::from_ref(&dev)).unwrap();
    f.upload_password(&dev, "Canary-rm").unwrap();
    assert_eq!(f.ams.remove_device(&dev, false).unwrap_err().code(), ErrorCode::ForceRequired);
    f.ams.remove_device(&dev, true).unwrap();
    assert_eq!(f.ams.devices(Some(&dev), None, None).unwrap_err().code(), ErrorCode::DeviceNotFound);
    assert!(f.ams.group_members(&g.id).unwrap().is_empty());
    assert_eq!(
        f.ams.password_current(&f.keyring, &DeviceSelector::Id(dev)).unwrap_err().code(),
        ErrorCode::DeviceNotFound
    );
}

#[test]
fn computer_names_resolve_by_name_dns_and_authority() {
    let f = Fixture::new();
    let dev = f.device("pc1");
    f.upload_password(&dev, "Canary-names").unwrap();
    let d = &f.ams.devices(Some(&dev), None, None).unwrap()[0];
    for sel in [
        DeviceSelector::ComputerName("PC1".into()),
        DeviceSelector::ComputerName("pc1.example.test".into()),
        DeviceSelector::ComputerName("AccessManager\\pc1".into()),
        DeviceSelector::Authority {
            authority_type: "Ams".into(),
            authority_id: d.authority_id.clone(),
            authority_device_id: d.authority_device_id.clone(),
        },
    ] {
        assert_eq!(f.ams.password_current(&f.keyring, &sel).unwrap().device_id, dev, "{sel:?}");
    }
    assert_eq!(
        f.ams.password_current(&f.keyring, &DeviceSelector::ComputerName("OTHER\\pc1".into())).unwrap_err().code(),
        ErrorCode::DeviceNotFound
    );
    // Two devices with one name are ambiguous.
    let key = f.ams.reg_key_new(&f.keyring, "dup", true, 0, false).unwrap();
    f.ams.agent_register(&key.key, &reg("pc1", "linux")).unwrap();
    assert_eq!(
        f.ams.password_current(&f.keyring, &DeviceSelector::ComputerName("pc1".into())).unwrap_err().code(),
        ErrorCode::DeviceAmbiguous
    );
}

#[test]
fn history_reports_entries_whose_certificate_key_is_lost_and_still_fails_on_tampering() {
    let f = Fixture::new();
    let dev = f.device("pc1");
    let first = f.ams.cert_list().unwrap()[0].thumbprint.clone();
    f.upload_password(&dev, "Canary-old-key").unwrap();
    f.ams
        .cert_new(
            &f.keyring,
            &NewCertOptions { subject: "next".into(), key_bits: 3072, validity_days: 365, activate: true },
        )
        .unwrap();
    f.upload_password(&dev, "Canary-new-key").unwrap();
    let conn = rusqlite::Connection::open(f.dir.path().join("data/ams.db")).unwrap();
    conn.execute("UPDATE certificates SET sealed_private_key = NULL WHERE thumbprint = ?1", [&first]).unwrap();
    let sel = DeviceSelector::Id(dev.clone());
    assert_eq!(f.ams.password_current(&f.keyring, &sel).unwrap().password, "Canary-new-key");
    let hist = f.ams.password_history(&f.keyring, &sel).unwrap();
    assert_eq!(hist.len(), 1);
    assert_eq!(hist[0].password, "");
    assert!(hist[0].unreadable.as_deref().unwrap().starts_with("AMS-CERT-0003"), "{:?}", hist[0].unreadable);
    // A changed blob is still an integrity error, never a quiet gap.
    f.upload_password(&dev, "Canary-third").unwrap();
    conn.execute(
        // The last byte always changes (it is set to 0x00, or to 0x01 when it already was 0x00).
        "UPDATE device_passwords SET blob = CAST(substr(blob, 1, length(blob) - 1) || CASE WHEN substr(blob, -1) = x'00' THEN x'01' ELSE x'00' END AS BLOB) WHERE device_id = ?1 AND retired_at IS NOT NULL AND cert_thumbprint != ?2",
        [&dev, &first],
    )
    .unwrap();
    // (The row's server MAC covers the blob: it fails before the envelope is opened.)
    assert_eq!(f.ams.password_history(&f.keyring, &sel).unwrap_err().code(), ErrorCode::SecretRowUnbound);
}
