//! Database backup, verify and restore through the library.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ams_core::crypto::envelope::OaepHash;
use ams_core::service::backup::{self, BackupAuth, Progress};
use ams_core::service::devices::DeviceSelector;
use ams_core::service::secrets::Upload;
use ams_core::service::settings::{BACKUP_FOLDER, BACKUP_INTERVAL_HOURS, BACKUP_RETENTION_COUNT};
use ams_core::store::migrate::SQLITE_MIGRATIONS;
use ams_core::{Ams, ErrorCode, OpenOptions};
use sha2::{Digest, Sha256};

use crate::fixture::{Fixture, RECOVERY, contains};

const BITLOCKER: &str = "111111-222222-333333-444444-555555-666666-000011-000000";

pub fn no_progress() -> impl FnMut(Progress) {
    |_| {}
}

/// No recovery password, no insecure flag: only this host's key can authenticate.
pub const HOST_ONLY: BackupAuth<'static> = BackupAuth { recovery_password: None, insecure_skip_authentication: false };

/// With the recovery password of the fixture.
pub fn with_recovery() -> BackupAuth<'static> {
    BackupAuth { recovery_password: Some(RECOVERY), insecure_skip_authentication: false }
}

fn bitlocker(f: &Fixture, dev: &str) {
    f.ams
        .agent_upload(
            &f.keyring,
            dev,
            &Upload::BitLocker {
                key_id: "3f2504e0-4f89-11d3-9a0c-0305e82c3301".into(),
                volume_id: None,
                volume_type: Some("OperatingSystem".into()),
            },
            BITLOCKER.as_bytes(),
            OaepHash::Sha256,
        )
        .unwrap();
}

fn options_at(f: &Fixture, dir: &Path) -> OpenOptions {
    OpenOptions::new(dir).clock(Arc::new(f.clock.clone()))
}

/// One value as text (blobs as hex).
fn cell(v: rusqlite::types::ValueRef<'_>) -> String {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => "NULL".into(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
        ValueRef::Blob(b) => ams_core::crypto::seal::hex(b),
    }
}

/// Every row of every table, as text, for before/after comparisons.
pub fn dump(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut out = Vec::new();
    for t in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\" ORDER BY 1")).unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| Ok((0..n).map(|i| cell(r.get_ref(i).unwrap())).collect::<Vec<_>>().join("|")))
            .unwrap();
        for r in rows {
            out.push(format!("{t}: {}", r.unwrap()));
        }
    }
    out
}

#[test]
fn backup_verify_and_restore_into_a_fresh_data_dir() {
    let f = Fixture::new();
    let devs: Vec<String> = (0..3).map(|i| f.device(&format!("pc{i}"))).collect();
    for (i, d) in devs.iter().enumerate() {
        f.upload_password(d, &format!("Canary-Backup-{i}")).unwrap();
    }
    bitlocker(&f, &devs[0]);
    let out = f.dir.path().join("one.amsbak");
    let rep = f.ams.db_backup(&out, &mut no_progress()).unwrap();
    assert!(rep.sealed);
    assert_eq!(rep.row_counts["devices"], 3);
    assert_eq!(rep.row_counts["key_protectors"], 1, "only the recovery protector is in a backup");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // Never overwrites.
    assert_eq!(f.ams.db_backup(&out, &mut no_progress()).unwrap_err().code(), ErrorCode::FileExists);

    // Without a key nothing authenticates it; this host's key does; so does the recovery password.
    let e = backup::db_verify(&out, None, HOST_ONLY, &mut no_progress()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::BackupUnauthenticated);
    let v = backup::db_verify(&out, Some(&f.options()), HOST_ONLY, &mut no_progress()).unwrap();
    assert!(v.checksums_ok && !v.recovery_password_checked && v.authenticated);
    assert_eq!(v.authenticated_by.as_deref(), Some("host-key"));
    let v = backup::db_verify(&out, None, with_recovery(), &mut no_progress()).unwrap();
    assert!(v.authenticated && v.authenticated_by.as_deref() == Some("recovery-password"));
    assert!(v.secrets_opened >= 3 + 1 + 1 + 3, "cert key, reg keys, passwords, BitLocker: {}", v.secrets_opened);
    assert_eq!(v.manifest.audit_head_seq, Some(v.manifest.row_counts["audit_log"] as i64));
    let wrong = BackupAuth { recovery_password: Some(b"not the recovery password"), ..HOST_ONLY };
    let e = backup::db_verify(&out, None, wrong, &mut no_progress()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::WrongRecoveryPassword);

    // Into a new data directory: refused without the recovery password, and nothing is created.
    let fresh = f.dir.path().join("elsewhere/new-data");
    let opts = options_at(&f, &fresh);
    let e = backup::db_restore(&opts, &out, false, HOST_ONLY, &mut no_progress()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::BackupUnauthenticated);
    assert!(!f.dir.path().join("elsewhere").exists());
    // The insecure flag restores it unauthenticated, in recovery mode.
    let insecure = BackupAuth { insecure_skip_authentication: true, ..HOST_ONLY };
    let r = backup::db_restore(&opts, &out, false, insecure, &mut no_progress()).unwrap();
    assert!(r.created_data_dir && r.recovery_mode && !r.authenticated && r.replaced_database_copy.is_none());
    assert!(!r.warnings.is_empty());
    assert!(!fresh.join("host.key").exists());
    std::fs::remove_dir_all(f.dir.path().join("elsewhere")).unwrap();
    // With the recovery password: authenticated, and the instance opens at once.
    let mut phases = Vec::new();
    let r = backup::db_restore(&opts, &out, false, with_recovery(), &mut |p: Progress| phases.push(p.phase)).unwrap();
    assert!(!phases.is_empty());
    assert!(r.created_data_dir && !r.recovery_mode && r.authenticated && r.replaced_database_copy.is_none());
    assert_eq!(r.authenticated_by.as_deref(), Some("recovery-password"));
    assert!(fresh.join("host.key").exists() && r.replaced_host_key.is_none());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777, 0o700);
    }
    let ams = Ams::open(&opts).unwrap();
    let k = ams.unlock().unwrap();
    for (i, d) in devs.iter().enumerate() {
        let pw = ams.password_current(&k, &DeviceSelector::Id(d.clone())).unwrap();
        assert_eq!(pw.password, format!("Canary-Backup-{i}"));
    }
    let keys = ams.bitlocker_keys(&k, &DeviceSelector::Id(devs[0].clone())).unwrap();
    assert_eq!(keys[0].recovery_password, BITLOCKER);
    // The restore is in the restored database's audit trail.
    let audit = ams.audit_records(None, 100).unwrap();
    assert!(audit.iter().any(|a| a.event == "db.restore"));
    assert!(f.ams.audit_records(None, 100).unwrap().iter().any(|a| a.event == "db.backup"));
}

#[test]
fn a_backup_holds_no_secret_in_plain_text_and_no_host_protector() {
    let f = Fixture::new();
    let d = f.device("pc1");
    f.upload_password(&d, "Canary-Plain-9c1e").unwrap();
    bitlocker(&f, &d);
    let out = f.dir.path().join("canary.amsbak");
    f.ams.db_backup(&out, &mut no_progress()).unwrap();
    let bytes = std::fs::read(&out).unwrap();
    let host_key = std::fs::read_to_string(f.dir.path().join("data/host.key")).unwrap();
    let key_hex = host_key.split('"').skip_while(|s| *s != "key").nth(2).unwrap().to_string();
    assert_eq!(key_hex.len(), 64);
    for needle in [b"Canary-Plain-9c1e".as_slice(), b"111111-222222", RECOVERY, key_hex.as_bytes()] {
        assert!(!contains(&bytes, needle), "{} leaked into the backup", String::from_utf8_lossy(needle));
    }
    // The live database still has its host protector; the backup has none.
    let host_rows: i64 = rusqlite::Connection::open(f.dir.path().join("data/ams.db"))
        .unwrap()
        .query_row("SELECT count(*) FROM key_protectors WHERE kind = 'host'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(host_rows, 1);
}

/// Writes a copy of `file` changed by `edit`.
pub fn variant(file: &Path, name: &str, edit: impl FnOnce(&mut Vec<u8>)) -> PathBuf {
    let mut b = std::fs::read(file).unwrap();
    edit(&mut b);
    let p = file.with_file_name(name);
    std::fs::write(&p, b).unwrap();
    p
}

/// Length of a format 2 footer (`AMS-DB-BACKUP-END <20 digits>\n`).
const FOOTER_LEN: usize = 39;

/// A format 2 backup file's header lines and image: (header, image).
pub fn split_backup(b: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let footer = std::str::from_utf8(&b[b.len() - FOOTER_LEN..]).unwrap();
    let offset: usize = footer.strip_prefix("AMS-DB-BACKUP-END ").unwrap().trim_end().parse().unwrap();
    (b[offset..b.len() - FOOTER_LEN].to_vec(), b[..offset].to_vec())
}

/// A format 2 backup file from its header lines and image.
pub fn join_backup(header: &[u8], image: &[u8]) -> Vec<u8> {
    let mut out = image.to_vec();
    out.extend_from_slice(header);
    out.extend_from_slice(format!("AMS-DB-BACKUP-END {:020}\n", image.len()).as_bytes());
    out
}

/// The format 3 image digest (`sha256-chunks-4MiB`): SHA-256 over the SHA-256s of the image's
/// 4 MiB chunks, computed here independently of ams.
pub fn image_digest(image: &[u8]) -> String {
    let mut list = Vec::new();
    for c in image.chunks(4 << 20) {
        list.extend_from_slice(&Sha256::digest(c));
    }
    format!("sha256-chunks-4MiB:{}", ams_core::crypto::seal::hex(&Sha256::digest(&list)))
}

/// Rewrites the header checksum (and optionally the image checksum) after an edit, as a
/// deliberate tamperer would.
pub fn reseal_checksums(b: &mut Vec<u8>, fix_image: bool) {
    let (header, image) = split_backup(b);
    let text = String::from_utf8(header).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if fix_image {
        let mut m: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
        m["ImageDigest"] = image_digest(&image).into();
        lines[1] = m.to_string();
    }
    let body = format!("{}\n{}\n{}\n", lines[0], lines[1], lines[2]);
    let sum = ams_core::crypto::seal::hex(&Sha256::digest(body.as_bytes()));
    *b = join_backup(format!("{body}sha256 {sum}\n").as_bytes(), &image);
}

#[test]
fn damaged_or_tampered_backups_are_refused_and_change_nothing() {
    let f = Fixture::new();
    let d = f.device("pc1");
    f.upload_password(&d, "Canary-Damage-1").unwrap();
    let good = f.dir.path().join("good.amsbak");
    f.ams.db_backup(&good, &mut no_progress()).unwrap();
    f.upload_password(&d, "Canary-Damage-2").unwrap();
    let len = std::fs::metadata(&good).unwrap().len() as usize;
    let cases = [
        (variant(&good, "trunc.amsbak", |b| b.truncate(len - 4096)), ErrorCode::BackupTruncated),
        (variant(&good, "trunc-header.amsbak", |b| b.truncate(100)), ErrorCode::BackupTruncated),
        (
            variant(&good, "flip.amsbak", |b| {
                let i = b.len() - 5000;
                b[i] ^= 0x40;
            }),
            ErrorCode::BackupCorrupt,
        ),
        (
            variant(&good, "manifest.amsbak", |b| {
                let i = b.windows(9).position(|w| w == b"\"devices\"").unwrap();
                b[i + 11] = b'7';
            }),
            ErrorCode::BackupCorrupt,
        ),
        (variant(&good, "notabackup.amsbak", |b| *b = b"PK\x03\x04 not a backup".to_vec()), ErrorCode::BackupFormat),
        // The image's first byte, with the footer and header intact: a damaged backup.
        (variant(&good, "first-byte.amsbak", |b| b[0] = b'X'), ErrorCode::BackupCorrupt),
        (
            // A tamperer who edits the image and fixes both checksums is caught by the seal.
            variant(&good, "tampered.amsbak", |b| {
                let (_, image) = split_backup(b);
                assert!(!image.windows(15).any(|w| w == b"Canary-Damage-1"), "secret in the image");
                let j = image.len() - 100;
                b[j] ^= 1;
                reseal_checksums(b, true);
            }),
            ErrorCode::BackupTampered,
        ),
        (
            variant(&good, "tampered-manifest.amsbak", |b| {
                let (header, image) = split_backup(b);
                let text = String::from_utf8(header).unwrap().replace("\"Scheduled\":false", "\"Scheduled\":true");
                *b = join_backup(text.as_bytes(), &image);
                reseal_checksums(b, false);
            }),
            ErrorCode::BackupTampered,
        ),
    ];
    let live = f.dir.path().join("data/ams.db");
    let rows_before = dump(&live);
    let bytes_before = f.db_bytes();
    for (file, code) in &cases {
        let e = backup::db_restore(&f.options(), file, true, HOST_ONLY, &mut no_progress()).unwrap_err();
        assert_eq!(e.code(), *code, "{}: {e:?}", file.display());
        if *code != ErrorCode::BackupTampered {
            let v = backup::db_verify(file, Some(&f.options()), HOST_ONLY, &mut no_progress()).unwrap_err();
            assert_eq!(v.code(), *code, "verify {}", file.display());
        } else {
            // Without a key the seal cannot be checked, which is refused; with one, it fails.
            let v = backup::db_verify(file, None, HOST_ONLY, &mut no_progress()).unwrap_err();
            assert_eq!(v.code(), ErrorCode::BackupUnauthenticated, "verify {}", file.display());
            let v = backup::db_verify(file, None, with_recovery(), &mut no_progress()).unwrap_err();
            assert_eq!(v.code(), *code, "verify {}", file.display());
            let v = backup::db_verify(file, Some(&f.options()), HOST_ONLY, &mut no_progress()).unwrap_err();
            assert_eq!(v.code(), *code, "verify with the host key {}", file.display());
        }
    }
    assert_eq!(dump(&live), rows_before);
    assert_eq!(f.db_bytes(), bytes_before);
    let leftovers: Vec<String> = std::fs::read_dir(f.dir.path().join("data"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') || n.contains("replaced"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let pw = f.ams.password_current(&f.keyring, &DeviceSelector::Id(d)).unwrap();
    assert_eq!(pw.password, "Canary-Damage-2");
}

#[test]
fn restore_onto_the_same_instance_keeps_a_dated_copy_and_opens_at_once() {
    let f = Fixture::new();
    let d = f.device("pc1");
    f.upload_password(&d, "Canary-Same-1").unwrap();
    let out = f.dir.path().join("same.amsbak");
    f.ams.db_backup(&out, &mut no_progress()).unwrap();
    f.upload_password(&d, "Canary-Same-2").unwrap();
    // The fixture holds the instance (an open handle): refused without --force.
    let opts = f.options();
    let e = backup::db_restore(&opts, &out, false, HOST_ONLY, &mut no_progress()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InstanceBusy);
    // Forced: written into the live database in one transaction; the open handle sees it.
    let r = backup::db_restore(&opts, &out, true, HOST_ONLY, &mut no_progress()).unwrap();
    assert!(r.forced && r.authenticated && !r.recovery_mode, "{r:?}");
    assert_eq!(r.authenticated_by.as_deref(), Some("host-key"));
    let copy = PathBuf::from(r.replaced_database_copy.unwrap());
    assert!(copy.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let pw = f.ams.password_current(&f.keyring, &DeviceSelector::Id(d.clone())).unwrap();
    assert_eq!(pw.password, "Canary-Same-1");
    let old = dump(&copy);
    assert!(old.iter().filter(|r| r.starts_with("device_passwords:")).count() == 2, "the copy has both passwords");
}

#[test]
fn older_schema_backups_are_migrated_forward_on_restore() {
    let f = Fixture::new();
    // An instance whose database has only V0001 applied: the foundation rows of the fixture.
    let old_dir = f.dir.path().join("old");
    std::fs::create_dir(&old_dir).unwrap();
    for name in ["host.toml", "host.key"] {
        std::fs::copy(f.dir.path().join("data").join(name), old_dir.join(name)).unwrap();
    }
    let v1 = SQLITE_MIGRATIONS[0];
    {
        let conn = rusqlite::Connection::open(old_dir.join("ams.db")).unwrap();
        conn.execute_batch(
            // Exactly the runner's definition (the schema of a backup is compared with it).
            "CREATE TABLE schema_migrations (
    version     INTEGER PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    checksum    TEXT NOT NULL,
    applied_at  TEXT NOT NULL
) STRICT",
        )
        .unwrap();
        conn.execute_batch(v1.sql).unwrap();
        conn.execute(
            "INSERT INTO schema_migrations VALUES (?1, ?2, ?3, '2026-01-01T00:00:00.000000Z')",
            rusqlite::params![v1.version, v1.name, v1.checksum()],
        )
        .unwrap();
        let src = f.dir.path().join("data/ams.db");
        conn.execute("ATTACH ?1 AS src", [src.to_string_lossy().as_ref()]).unwrap();
        for t in ["instance", "master_keys", "key_protectors", "service_settings", "audit_log"] {
            conn.execute(&format!("INSERT INTO main.{t} SELECT * FROM src.{t}"), []).unwrap();
        }
        conn.execute("DETACH src", []).unwrap();
    }
    let old_opts = options_at(&f, &old_dir);
    assert_eq!(Ams::open(&old_opts).unwrap_err().code(), ErrorCode::MigrationRequired);
    let old = Ams::open_unchecked(&old_opts).unwrap();
    let out = f.dir.path().join("v1.amsbak");
    let rep = old.db_backup(&out, &mut no_progress()).unwrap();
    assert_eq!(rep.schema_version, 1);
    drop(old);
    let v = backup::db_verify(&out, None, with_recovery(), &mut no_progress()).unwrap();
    assert!(v.migration_needed && v.manifest.schema_version == 1);

    let fresh = f.dir.path().join("migrated");
    let r = backup::db_restore(&options_at(&f, &fresh), &out, false, with_recovery(), &mut no_progress()).unwrap();
    let target = ams_core::store::migrate::target_version();
    assert_eq!((r.backup_schema_version, r.schema_version), (1, target));
    let later: Vec<u32> = ams_core::store::migrate::SQLITE_MIGRATIONS.iter().skip(1).map(|m| m.version).collect();
    assert_eq!(r.migrated, later);
    let ams = Ams::open(&options_at(&f, &fresh)).unwrap();
    ams.unlock().unwrap();
    assert!(ams.devices(None, None, None).unwrap().is_empty());
}

#[test]
fn scheduled_backups_follow_the_interval_and_keep_the_retention_count() {
    let f = Fixture::new();
    f.ams.set_int_setting(&BACKUP_RETENTION_COUNT, 3).unwrap();
    f.ams.set_text_setting(&BACKUP_FOLDER, "nightly").unwrap();
    let folder = f.dir.path().join("data/nightly");
    let mut written = Vec::new();
    for round in 0..5 {
        let r = f.ams.db_backup_scheduled(&mut no_progress()).unwrap();
        assert!(r.backed_up, "round {round}: {r:?}");
        written.push(PathBuf::from(r.backup.unwrap().file));
        // Not due again an hour later.
        f.clock.advance(time::Duration::hours(1));
        let again = f.ams.db_backup_scheduled(&mut no_progress()).unwrap();
        assert!(!again.backed_up && again.skipped_reason.is_some() && again.next_due.is_some());
        f.clock.advance(time::Duration::hours(23));
        if round >= 3 {
            assert_eq!(r.pruned.len(), 1, "round {round}");
        }
    }
    let mut left: Vec<PathBuf> = std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().path()).collect();
    left.sort();
    assert_eq!(left, written[2..].to_vec(), "the three newest are kept");
    for p in &left {
        backup::db_verify(p, Some(&f.options()), HOST_ONLY, &mut no_progress()).unwrap();
    }
    // Interval 0: every run backs up. Disabled: none does.
    f.ams.set_int_setting(&BACKUP_INTERVAL_HOURS, 0).unwrap();
    assert!(f.ams.db_backup_scheduled(&mut no_progress()).unwrap().backed_up);
    f.ams.set_int_setting(&ams_core::service::settings::BACKUP_ENABLED, 0).unwrap();
    let off = f.ams.db_backup_scheduled(&mut no_progress()).unwrap();
    assert!(!off.backed_up && off.skipped_reason.unwrap().contains("disabled"));
    // A file that is not one of this instance's scheduled backups is never pruned.
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 3);
}

#[test]
fn a_backup_taken_while_another_connection_writes_is_consistent() {
    let f = Fixture::new();
    let d = f.device("pc1");
    f.upload_password(&d, "Canary-Busy-0").unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        let opts = f.options();
        std::thread::spawn(move || {
            let ams = Ams::open(&opts).unwrap();
            let k = ams.unlock().unwrap();
            let mut n = 0u32;
            while !stop.load(Ordering::SeqCst) || n < 5 {
                let name = format!("busy{n}");
                let key = ams.reg_key_new(&k, &format!("k{n}"), true, 0, false).unwrap();
                let reg = ams_core::service::agent::Registration {
                    name,
                    os: "linux".into(),
                    dns_name: None,
                    os_version: None,
                    agent_version: None,
                };
                ams.agent_register(&key.key, &reg).unwrap();
                n += 1;
            }
            n
        })
    };
    let mut outs = Vec::new();
    for i in 0..3 {
        let out = f.dir.path().join(format!("busy{i}.amsbak"));
        f.ams.db_backup(&out, &mut no_progress()).unwrap();
        outs.push(out);
    }
    stop.store(true, Ordering::SeqCst);
    let written = writer.join().unwrap();
    assert!(written >= 5);
    for (i, out) in outs.iter().enumerate() {
        let v = backup::db_verify(out, None, with_recovery(), &mut no_progress()).unwrap();
        let fresh = f.dir.path().join(format!("restored{i}"));
        let r = backup::db_restore(&options_at(&f, &fresh), out, false, with_recovery(), &mut no_progress()).unwrap();
        assert_eq!(r.instance_id, v.manifest.instance_id);
        let ams = Ams::open(&options_at(&f, &fresh)).unwrap();
        let k = ams.unlock().unwrap();
        let devices = ams.devices(None, None, None).unwrap();
        assert_eq!(devices.len() as u64, v.manifest.row_counts["devices"]);
        assert_eq!(ams.password_current(&k, &DeviceSelector::Id(d.clone())).unwrap().password, "Canary-Busy-0");
    }
}
