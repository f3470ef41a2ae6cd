//! Certificate backup (PFX export and import) and recovery from a lost certificate private key.

use std::collections::BTreeSet;

use ams_core::ErrorCode;
use ams_core::crypto::envelope::OaepHash;
use ams_core::crypto::pfx::{self, PfxProfile};
use ams_core::service::certs::{NewCertOptions, PfxExportOptions};
use ams_core::service::devices::DeviceSelector;
use ams_core::service::secrets::Upload;

use crate::fixture::Fixture;

const PW: &[u8] = b"otter lamp vault ninety";
const RSA3072_CERT: &[u8] = include_bytes!("../fixtures/rsa3072.cert.der");
const RSA3072_KEY: &[u8] = include_bytes!("../fixtures/rsa3072.key.der");
const RSA3072_OTHER_KEY: &[u8] = include_bytes!("../fixtures/rsa3072-other.key.der");
const EC_P256_CERT: &[u8] = include_bytes!("../fixtures/ec-p256.cert.der");

/// Cheap options for library tests; the CLI always uses 600,000 iterations (tested there).
fn fast(profile: PfxProfile) -> PfxExportOptions {
    PfxExportOptions { profile, iterations: 2048 }
}

fn active_thumbprint(f: &Fixture) -> String {
    f.ams.cert_list().unwrap().into_iter().find(|c| c.state == "Active").unwrap().thumbprint
}

/// Everything about the certificates, to show a refused import changed nothing.
fn cert_snapshot(f: &Fixture) -> String {
    serde_json::to_string(&f.ams.cert_list().unwrap()).unwrap()
}

fn lose_private_key(f: &Fixture, thumbprint: &str) {
    assert_eq!(f.ams.store().write(|tx| tx.delete_cert_private_key(thumbprint)).unwrap(), 1);
}

fn current(f: &Fixture, device: &str) -> ams_core::Result<String> {
    f.ams.password_current(&f.keyring, &DeviceSelector::Id(device.into())).map(|p| p.password.expose().to_string())
}

#[test]
fn export_then_import_into_a_new_instance_keeps_secrets_readable() {
    let f = Fixture::new();
    let t = active_thumbprint(&f);
    let dev = f.device("pc1");
    f.upload_password(&dev, "Canary-Pfx-Secret-1").unwrap();

    let out = f.dir.path().join("backup.pfx");
    let r = f.ams.cert_export(&f.keyring, &t, PW, &fast(PfxProfile::Modern), &out).unwrap();
    assert_eq!((r.thumbprint.as_str(), r.iterations, r.warning.is_none()), (t.as_str(), 2048, true));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let bytes = std::fs::read(&out).unwrap();
    assert!(!crate::fixture::contains(&bytes, PW), "the password is not in the file");
    let audit = f.ams.audit_records(Some(&t), 100).unwrap();
    let export = audit.iter().find(|a| a.event == "cert.export").expect("export audited");
    assert!(!export.details.to_string().contains("otter"), "audit never holds the password");

    // Never overwritten, whatever the password.
    let before = std::fs::read(&out).unwrap();
    let e = f.ams.cert_export(&f.keyring, &t, PW, &fast(PfxProfile::Modern), &out).unwrap_err();
    assert_eq!(e.code(), ErrorCode::FileExists);
    assert_eq!(std::fs::read(&out).unwrap(), before);

    // A new instance without certificates: an import never activates by itself (issue 17); with
    // --activate the imported one becomes active and opens the blob the first instance stored.
    let g = Fixture::bare();
    let imported = g.ams.cert_import(&g.keyring, &bytes, PW, false).unwrap();
    assert_eq!(imported.certificate.state, "Retained");
    g.ams.cert_activate(&t).unwrap();
    let imported = g.ams.cert_list().unwrap().into_iter().find(|c| c.thumbprint == t).map(|c| (c, imported)).unwrap();
    let (listed, imported) = imported;
    assert_eq!(listed.state, "Active");
    assert_eq!(imported.certificate.thumbprint, t);
    assert_eq!(imported.certificate.source, "Imported");
    assert!(imported.certificate.has_private_key && imported.has_encryption_eku && !imported.restored_private_key);
    let key_row = g.ams.store().read(|tx| tx.cert(&t)).unwrap().unwrap();
    let sealed = key_row.sealed_private_key.unwrap();
    assert!(!crate::fixture::contains(&sealed, &RSA3072_KEY[..64]), "sealed, not stored in clear");
    assert!(g.ams.audit_records(Some(&t), 10).unwrap().iter().any(|a| a.event == "cert.import"));
}

#[test]
fn legacy_export_round_trips_with_a_warning() {
    let f = Fixture::new();
    let t = active_thumbprint(&f);
    let out = f.dir.path().join("legacy.pfx");
    let r = f.ams.cert_export(&f.keyring, &t, PW, &fast(PfxProfile::Legacy), &out).unwrap();
    assert!(r.warning.unwrap().contains("3DES"));
    assert_eq!(r.protection, "Pbe-Sha1-3Des-HmacSha1");
    let g = Fixture::bare();
    assert_eq!(
        g.ams.cert_import(&g.keyring, &std::fs::read(&out).unwrap(), PW, true).unwrap().certificate.thumbprint,
        t
    );
}

#[test]
fn export_refusals() {
    let f = Fixture::new();
    let t = active_thumbprint(&f);
    let out = f.dir.path().join("x.pfx");
    for weak in [&b"short-pw"[..], b"Password2024!", b"aaaaaaaaaaaaaaaa", b"123456789012345"] {
        let e = f.ams.cert_export(&f.keyring, &t, weak, &fast(PfxProfile::Modern), &out).unwrap_err();
        assert_eq!(e.code(), ErrorCode::PfxPasswordWeak);
        let shown = format!("{} {:?} {:?}", e.message(), e.hint_text(), e.context());
        assert!(!shown.contains(std::str::from_utf8(weak).unwrap()), "{shown}");
    }
    let e = f.ams.cert_export(&f.keyring, "00", PW, &fast(PfxProfile::Modern), &out).unwrap_err();
    assert_eq!(e.code(), ErrorCode::CertNotFound);
    lose_private_key(&f, &t);
    let e = f.ams.cert_export(&f.keyring, &t, PW, &fast(PfxProfile::Modern), &out).unwrap_err();
    assert_eq!(e.code(), ErrorCode::CertPrivateKeyMissing);
    assert!(!out.exists(), "no file after a refusal");
}

#[test]
fn import_refusals_change_nothing() {
    let f = Fixture::new();
    let t = active_thumbprint(&f);
    let good = pfx::encode(RSA3072_CERT, RSA3072_KEY, "otter lamp vault ninety", PfxProfile::Modern, 64).unwrap();
    let mismatched =
        pfx::encode(RSA3072_CERT, RSA3072_OTHER_KEY, "otter lamp vault ninety", PfxProfile::Modern, 64).unwrap();
    let ec = pfx::encode(EC_P256_CERT, RSA3072_KEY, "otter lamp vault ninety", PfxProfile::Modern, 64).unwrap();
    let mut own = Vec::new();
    let own_out = f.dir.path().join("own.pfx");
    f.ams.cert_export(&f.keyring, &t, PW, &fast(PfxProfile::Modern), &own_out).unwrap();
    own.extend(std::fs::read(&own_out).unwrap());

    let before = cert_snapshot(&f);
    let audit_before = f.ams.audit_records(None, 10_000).unwrap().len();
    let cases: Vec<(&str, Vec<u8>, &[u8], ErrorCode)> = vec![
        ("wrong password", good.clone(), b"not the right password", ErrorCode::PfxWrongPassword),
        ("non-UTF-8 password", good.clone(), b"\xff\xfe\xfd", ErrorCode::PfxWrongPassword),
        ("mismatched key", mismatched, PW, ErrorCode::PfxKeyMismatch),
        ("EC certificate", ec, PW, ErrorCode::CertNotRsa),
        ("duplicate", own, PW, ErrorCode::CertExists),
        ("empty", Vec::new(), PW, ErrorCode::PfxInvalid),
        ("truncated", good[..good.len() / 2].to_vec(), PW, ErrorCode::PfxInvalid),
        ("garbage", (0..4000u32).map(|i| (i * 7919 % 251) as u8).collect(), PW, ErrorCode::PfxInvalid),
        (
            "PEM text",
            b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".to_vec(),
            PW,
            ErrorCode::PfxInvalid,
        ),
    ];
    for (name, bytes, password, code) in cases {
        let e = f.ams.cert_import(&f.keyring, &bytes, password, true).unwrap_err();
        assert_eq!(e.code(), code, "{name}: {e:?}");
        assert_eq!(cert_snapshot(&f), before, "{name} changed the certificates");
    }
    assert_eq!(f.ams.audit_records(None, 10_000).unwrap().len(), audit_before, "refusals store nothing");
}

#[test]
fn import_rules_for_activation_and_expiry() {
    let f = Fixture::new();
    let first = active_thumbprint(&f);
    let fixture_pfx =
        pfx::encode(RSA3072_CERT, RSA3072_KEY, "otter lamp vault ninety", PfxProfile::Modern, 64).unwrap();
    // With an active certificate already, an import is retained unless --activate.
    let r = f.ams.cert_import(&f.keyring, &fixture_pfx, PW, false).unwrap();
    assert_eq!(r.certificate.state, "Retained");
    assert_eq!(active_thumbprint(&f), first);

    // An expired certificate is imported (to read old data) but never made active.
    let g = Fixture::bare();
    g.clock.advance(time::Duration::days(365 * 150));
    let e = g.ams.cert_import(&g.keyring, &fixture_pfx, PW, true).unwrap_err();
    assert_eq!(e.code(), ErrorCode::CertNotUsable);
    let r = g.ams.cert_import(&g.keyring, &fixture_pfx, PW, false).unwrap();
    assert_eq!(r.certificate.state, "Retained", "an expired first certificate is not activated");
}

#[test]
fn importing_the_backup_restores_a_lost_private_key() {
    let f = Fixture::new();
    let t = active_thumbprint(&f);
    let dev = f.device("pc1");
    f.upload_password(&dev, "Canary-Restore-1").unwrap();
    let out = f.dir.path().join("b.pfx");
    f.ams.cert_export(&f.keyring, &t, PW, &fast(PfxProfile::Modern), &out).unwrap();

    lose_private_key(&f, &t);
    assert_eq!(current(&f, &dev).unwrap_err().code(), ErrorCode::CertPrivateKeyMissing);
    let r = f.ams.cert_import(&f.keyring, &std::fs::read(&out).unwrap(), PW, false).unwrap();
    assert!(r.restored_private_key);
    assert_eq!((r.certificate.state.as_str(), r.certificate.source.as_str()), ("Active", "Generated"));
    assert_eq!(current(&f, &dev).unwrap(), "Canary-Restore-1");
    // Now it is a duplicate.
    let e = f.ams.cert_import(&f.keyring, &std::fs::read(&out).unwrap(), PW, false).unwrap_err();
    assert_eq!(e.code(), ErrorCode::CertExists);
}

#[test]
fn lost_private_key_recovery() {
    let f = Fixture::new();
    let lost = active_thumbprint(&f);
    // pc1 and pc2 store passwords (pc1 twice: one history entry) and pc2 a BitLocker key under
    // the certificate that will be lost; pc3 uploads under a second certificate; pc4 has nothing.
    let (pc1, pc2, pc3, pc4) = (f.device("pc1"), f.device("pc2"), f.device("pc3"), f.device("pc4"));
    f.upload_password(&pc1, "old-pc1").unwrap();
    f.upload_password(&pc1, "lost-pc1").unwrap();
    f.upload_password(&pc2, "lost-pc2").unwrap();
    let bitlocker = Upload::BitLocker {
        key_id: "6f1d2c3b-1111-4222-8333-944455556666".into(),
        volume_id: None,
        volume_type: Some("OperatingSystem".into()),
    };
    f.ams
        .agent_upload(
            &f.keyring,
            &pc2,
            &bitlocker,
            b"111111-222222-333333-444444-555555-666666-000011-000022",
            OaepHash::Sha256,
        )
        .unwrap();
    let second = f
        .ams
        .cert_new(
            &f.keyring,
            &NewCertOptions { subject: "second".into(), key_bits: 3072, validity_days: 365, activate: true },
        )
        .unwrap()
        .thumbprint;
    f.upload_password(&pc3, "fine-pc3").unwrap();

    // Nothing lost yet.
    let st = f.ams.cert_status(&f.keyring).unwrap();
    assert_eq!(
        (st.unreadable_current_passwords, st.unreadable_historical_passwords, st.unreadable_bitlocker_keys),
        (0, 0, 0)
    );

    lose_private_key(&f, &lost);
    let st = f.ams.cert_status(&f.keyring).unwrap();
    let l = st.certificates.iter().find(|c| c.thumbprint == lost).unwrap();
    assert_eq!((l.current_passwords, l.historical_passwords, l.bitlocker_keys), (2, 1, 1));
    assert!(!l.has_private_key && !l.private_key_usable && !l.secrets_readable);
    assert_eq!(l.problem.as_deref(), Some("PrivateKeyMissing"));
    let s = st.certificates.iter().find(|c| c.thumbprint == second).unwrap();
    assert_eq!((s.current_passwords, s.historical_passwords, s.private_key_usable), (1, 0, true));
    assert_eq!(
        (st.unreadable_current_passwords, st.unreadable_historical_passwords, st.unreadable_bitlocker_keys),
        (2, 1, 1)
    );
    assert_eq!((st.active_certificate.as_deref(), st.active_certificate_usable), (Some(second.as_str()), true));

    // The verb expires exactly pc1 and pc2.
    let before_pc3 = f.ams.store().read(|tx| tx.current_password(&pc3)).unwrap().unwrap().expires_at;
    let r = f.ams.expire_unreadable_passwords(&f.keyring).unwrap();
    let expired: BTreeSet<&str> = r.expired.iter().map(|e| e.device_id.as_str()).collect();
    assert_eq!(expired, BTreeSet::from([pc1.as_str(), pc2.as_str()]));
    assert_eq!(r.unreadable_certificates, vec![lost.clone()]);
    assert_eq!(r.unrecoverable_history.len(), 1);
    assert_eq!(r.unrecoverable_history[0].device_id, pc1);
    assert_eq!(r.unrecoverable_bit_locker_keys.len(), 1);
    assert_eq!(r.unrecoverable_bit_locker_keys[0].label, "6f1d2c3b-1111-4222-8333-944455556666");
    for (dev, required) in [(&pc1, true), (&pc2, true), (&pc3, false), (&pc4, true)] {
        let c = f.ams.agent_check_in(dev).unwrap();
        assert_eq!(c.password_change_required, required, "{dev}");
    }
    assert_eq!(f.ams.agent_check_in(&pc1).unwrap().reason, "Expired");
    assert_eq!(f.ams.agent_check_in(&pc4).unwrap().reason, "NoPassword", "pc4 was not touched");
    assert_eq!(f.ams.store().read(|tx| tx.current_password(&pc3)).unwrap().unwrap().expires_at, before_pc3);
    let audited = f.ams.audit_records(Some(&pc1), 100).unwrap();
    assert!(audited.iter().any(|a| a.event == "device.expire_password" && a.details.to_string().contains(&lost)));

    // Agents rotate and upload to the new certificate; every current password opens again.
    f.upload_password(&pc1, "new-pc1").unwrap();
    f.upload_password(&pc2, "new-pc2").unwrap();
    assert_eq!(current(&f, &pc1).unwrap(), "new-pc1");
    assert_eq!(current(&f, &pc2).unwrap(), "new-pc2");
    assert_eq!(current(&f, &pc3).unwrap(), "fine-pc3");
    let st = f.ams.cert_status(&f.keyring).unwrap();
    assert_eq!(st.unreadable_current_passwords, 0);
    assert_eq!(st.unreadable_historical_passwords, 3, "pc1's two old passwords and pc2's old one stay lost: {st:?}");
    // A second run finds nothing to expire.
    assert!(f.ams.expire_unreadable_passwords(&f.keyring).unwrap().expired.is_empty());
}

#[test]
fn recovery_refuses_while_the_active_certificate_is_the_lost_one() {
    let f = Fixture::new();
    let t = active_thumbprint(&f);
    let dev = f.device("pc1");
    f.upload_password(&dev, "pw-1").unwrap();
    lose_private_key(&f, &t);
    let st = f.ams.cert_status(&f.keyring).unwrap();
    assert!(!st.active_certificate_usable);
    let e = f.ams.expire_unreadable_passwords(&f.keyring).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ActiveCertUnreadable);
    assert!(!f.ams.agent_check_in(&dev).unwrap().password_change_required, "nothing was expired");
    // Uploads to the broken certificate fail, which is why the verb refuses.
    assert_eq!(f.upload_password(&dev, "pw-2").unwrap_err().code(), ErrorCode::CertPrivateKeyMissing);
}

#[test]
fn status_reports_secrets_sealed_to_an_unknown_certificate() {
    let f = Fixture::new();
    let t = active_thumbprint(&f);
    let dev = f.device("pc1");
    f.upload_password(&dev, "pw-1").unwrap();
    // Simulate a database restored without the certificate row (no verb deletes one).
    let conn = rusqlite::Connection::open(f.dir.path().join("data").join("ams.db")).unwrap();
    assert_eq!(conn.execute("DELETE FROM certificates WHERE thumbprint = ?1", [&t]).unwrap(), 1);
    drop(conn);
    let st = f.ams.cert_status(&f.keyring).unwrap();
    let u = st.certificates.iter().find(|c| c.thumbprint == t).unwrap();
    assert_eq!(
        (u.state.as_str(), u.problem.as_deref(), u.current_passwords),
        ("Unknown", Some("CertificateNotInDatabase"), 1)
    );
    assert_eq!(st.unreadable_current_passwords, 1);
    assert_eq!((st.active_certificate, st.active_certificate_usable), (None, false));
    assert_eq!(f.ams.expire_unreadable_passwords(&f.keyring).unwrap_err().code(), ErrorCode::NoActiveCert);
}
