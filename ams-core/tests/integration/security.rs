//! The attacks of issue 17, each performed for real and each refused with a coded error while the
//! instance stays exactly as it was.

use std::path::{Path, PathBuf};

use ams_core::service::backup::{self, BackupAuth};
use ams_core::service::devices::DeviceSelector;
use ams_core::{ErrorCode, OpenOptions};
use sha2::{Digest, Sha256};

use crate::backup::{HOST_ONLY, dump, image_digest, join_backup, no_progress, split_backup, with_recovery};
use crate::fixture::{Fixture, RECOVERY};

const INSECURE: BackupAuth<'static> = BackupAuth { recovery_password: None, insecure_skip_authentication: true };

fn hex(b: &[u8]) -> String {
    ams_core::crypto::seal::hex(b)
}

/// What a tamperer does to a backup file: runs `sql` on the SQLite image inside, then rewrites
/// the manifest as `edit_manifest` says (after setting the image size, checksum and row counts to
/// match the new image), writes `seal` as the seal line and recomputes the header checksum.
fn tamper(
    file: &Path,
    name: &str,
    sql: &str,
    edit_manifest: impl FnOnce(&mut serde_json::Value),
    seal: Option<&str>,
) -> PathBuf {
    let bytes = std::fs::read(file).unwrap();
    let (header, image) = split_backup(&bytes);
    let text = String::from_utf8(header).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("image.db");
    std::fs::write(&img, &image).unwrap();
    let mut counts = serde_json::Map::new();
    {
        let conn = rusqlite::Connection::open(&img).unwrap();
        conn.execute_batch(sql).unwrap();
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for t in tables {
            let n: i64 = conn.query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0)).unwrap();
            counts.insert(t, n.into());
        }
    }
    let image = std::fs::read(&img).unwrap();
    let mut m: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    m["ImageBytes"] = image.len().into();
    m["ImageDigest"] = image_digest(&image).into();
    m["RowCounts"] = counts.into();
    edit_manifest(&mut m);
    let seal_line = match seal {
        Some(s) => format!("seal {s}"),
        None => lines[2].to_string(),
    };
    let body = format!("{}\n{}\n{}\n", lines[0], m, seal_line);
    let out = join_backup(format!("{body}sha256 {}\n", hex(&Sha256::digest(body.as_bytes()))).as_bytes(), &image);
    let p = file.with_file_name(name);
    std::fs::write(&p, out).unwrap();
    p
}

const EXTRA_TABLE: &str = "CREATE TABLE exfil (x TEXT);";
const EXTRA_TRIGGER: &str = "CREATE TRIGGER steal AFTER INSERT ON device_passwords BEGIN \
     INSERT INTO service_settings (name, value) VALUES ('x' || new.id, 'y'); END;";

fn edited_rule(device: &str) -> String {
    format!(
        "INSERT INTO computer_authorization_rules (id, target_type, target_id, authorization_mode, created_at, created_by, modified_at, modified_by)
         VALUES ('evil-rule', 'AmsComputer', '{device}', 'SecurityDescriptor', 't', 'x', 't', 'x');
         INSERT INTO computer_rule_principals (rule_id, access_type, ace, sid, added_at)
         VALUES ('evil-rule', 'Laps', 'Allow', 'S-1-1-0', 't');"
    )
}

fn fake_key_id(m: &mut serde_json::Value) {
    m["MasterKeyId"] = "0badc0de-0000-4000-8000-000000000000".into();
}

/// The files of a data directory, with the SHA-256 of their bytes, for before/after comparisons.
pub fn snapshot(dir: &Path) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        // The -shm file is SQLite's shared-memory index of the WAL: readers change it.
        .filter(|p| p.is_file() && !p.to_string_lossy().ends_with("-shm"))
        .map(|p| {
            (p.file_name().unwrap().to_string_lossy().into_owned(), hex(&Sha256::digest(std::fs::read(&p).unwrap())))
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_tampered_image_with_recomputed_checksums_and_a_fake_key_id_is_refused() {
    let f = Fixture::new();
    let dev = f.device("pc1");
    f.upload_password(&dev, "Canary-Tamper-1").unwrap();
    let good = f.dir.path().join("good.amsbak");
    f.ams.db_backup(&good, &mut no_progress()).unwrap();

    // Exactly the attack of the issue: extra table, trigger and edited rules; any key id; `seal -`.
    let sql = format!("{EXTRA_TABLE}{EXTRA_TRIGGER}{}", edited_rule(&dev));
    let evil = tamper(&good, "evil.amsbak", &sql, fake_key_id, Some("-"));
    // The same edits keeping the old seal line, and with the real key id.
    let resealed = tamper(&good, "evil-sealed.amsbak", &sql, |_| {}, None);
    // Only the rules edited (no schema change), the key id faked.
    let rules_only = tamper(&good, "evil-rules.amsbak", &edited_rule(&dev), fake_key_id, Some("-"));

    let data = f.dir.path().join("data");
    let before = snapshot(&data);
    let rows = dump(&data.join("ams.db"));
    let fresh = f.dir.path().join("new-host");
    let fresh_opts = OpenOptions::new(&fresh);
    use ErrorCode::{BackupCorrupt as Corrupt, BackupSchemaMismatch as Schema, BackupTampered as Tampered};
    use ErrorCode::{BackupUnauthenticated as NoKey, BackupUnsealed as Unsealed};
    // (file, how, refused with on this host, refused with on a new host)
    let cases: [(&Path, BackupAuth<'_>, ErrorCode, ErrorCode); 9] = [
        (&evil, HOST_ONLY, Unsealed, Unsealed),
        (&evil, with_recovery(), Unsealed, Unsealed),
        (&evil, INSECURE, Schema, Schema),
        (&resealed, HOST_ONLY, Tampered, NoKey),
        (&resealed, with_recovery(), Tampered, Schema),
        (&resealed, INSECURE, Tampered, Schema),
        (&rules_only, HOST_ONLY, Unsealed, Unsealed),
        (&rules_only, with_recovery(), Unsealed, Unsealed),
        (&rules_only, INSECURE, Corrupt, Corrupt),
    ];
    for (file, auth, here, elsewhere) in cases {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let e = backup::db_verify(file, Some(&f.options()), auth, &mut no_progress()).unwrap_err();
        assert_eq!(e.code(), here, "verify {name} {auth:?}: {e:?}");
        let e = backup::db_restore(&f.options(), file, true, auth, &mut no_progress()).unwrap_err();
        assert_eq!(e.code(), here, "restore {name} {auth:?}: {e:?}");
        let e = backup::db_verify(file, None, auth, &mut no_progress()).unwrap_err();
        assert_eq!(e.code(), elsewhere, "verify without an instance {name} {auth:?}: {e:?}");
        let e = backup::db_restore(&fresh_opts, file, false, auth, &mut no_progress()).unwrap_err();
        assert_eq!(e.code(), elsewhere, "restore on a new host {name} {auth:?}: {e:?}");
        assert!(!fresh.exists(), "a refused restore leaves no data directory ({name})");
    }
    assert_eq!(snapshot(&data), before, "the instance's files are byte for byte the same");
    assert_eq!(dump(&data.join("ams.db")), rows);
    let pw = f.ams.password_current(&f.keyring, &DeviceSelector::Id(dev)).unwrap();
    assert_eq!(pw.password, "Canary-Tamper-1");
}

#[test]
fn an_extra_trigger_alone_is_refused_even_by_the_insecure_flag() {
    let f = Fixture::new();
    let good = f.dir.path().join("good.amsbak");
    f.ams.db_backup(&good, &mut no_progress()).unwrap();
    for (name, sql) in [
        ("trigger", EXTRA_TRIGGER),
        ("view", "CREATE VIEW v AS SELECT * FROM devices;"),
        ("index", "CREATE INDEX devices_evil ON devices (name, id);"),
        (
            "changed",
            "DROP TRIGGER audit_log_no_delete; CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT 1; END;",
        ),
    ] {
        let file = tamper(&good, &format!("{name}.amsbak"), sql, |_| {}, Some("-"));
        let e = backup::db_verify(&file, None, INSECURE, &mut no_progress()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::BackupSchemaMismatch, "{name}: {e:?}");
        let e = backup::db_restore(&f.options(), &file, true, INSECURE, &mut no_progress()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::BackupSchemaMismatch, "{name}");
    }
}

#[test]
fn an_unsealed_backup_is_refused_unless_the_insecure_flag_is_given() {
    let f = Fixture::new();
    let dev = f.device("pc1");
    f.upload_password(&dev, "Canary-Unsealed-1").unwrap();
    // A real backup taken in recovery mode (host key file gone) has no seal.
    let key = f.dir.path().join("data/host.key");
    let saved = f.dir.path().join("host.key.saved");
    std::fs::rename(&key, &saved).unwrap();
    let file = f.dir.path().join("unsealed.amsbak");
    let r = f.reopen().db_backup(&file, &mut no_progress()).unwrap();
    assert!(!r.sealed);
    std::fs::rename(&saved, &key).unwrap();
    let data = f.dir.path().join("data");
    let before = snapshot(&data);
    for auth in [HOST_ONLY, with_recovery()] {
        let e = backup::db_verify(&file, Some(&f.options()), auth, &mut no_progress()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::BackupUnsealed);
        let e = backup::db_restore(&f.options(), &file, true, auth, &mut no_progress()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::BackupUnsealed);
    }
    assert_eq!(snapshot(&data), before);
    let v = backup::db_verify(&file, None, INSECURE, &mut no_progress()).unwrap();
    assert!(!v.authenticated && v.authenticated_by.is_none() && !v.warnings.is_empty());
    let fresh = f.dir.path().join("fresh");
    let r = backup::db_restore(&OpenOptions::new(&fresh), &file, false, INSECURE, &mut no_progress()).unwrap();
    assert!(!r.authenticated && r.recovery_mode);
    let audit = ams_core::Ams::open(&OpenOptions::new(&fresh)).unwrap().audit_records(None, 1000).unwrap();
    let restore = audit.iter().find(|a| a.event == "db.restore").unwrap();
    assert_eq!(restore.details["InsecureSkipAuthentication"], true);
}

#[test]
fn a_backup_fails_when_the_master_key_cannot_be_unlocked_for_another_reason_than_recovery_mode() {
    let f = Fixture::new();
    let key = f.dir.path().join("data/host.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = f.dir.path().join("loose.amsbak");
        let e = f.reopen().db_backup(&out, &mut no_progress()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::LoosePermissions);
        assert!(!out.exists());
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = f.dir.path().join("fine.amsbak");
    assert!(f.reopen().db_backup(&out, &mut no_progress()).unwrap().sealed);
}

#[cfg(unix)]
#[test]
fn files_a_restore_leaves_are_private_and_never_follow_a_planted_link() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::new();
    let file = f.dir.path().join("b.amsbak");
    f.ams.db_backup(&file, &mut no_progress()).unwrap();
    let data = f.dir.path().join("data");
    // The stamp is predictable (the clock is fixed): plant links at both names a restore uses.
    let stamp = f.ams.now().replace([':', '.'], "");
    let victim = f.dir.path().join("victim.txt");
    std::fs::write(&victim, "do not touch").unwrap();
    std::os::unix::fs::symlink(&victim, data.join(format!("ams.db.replaced-{stamp}"))).unwrap();
    std::os::unix::fs::symlink(&victim, data.join(format!("host.key.replaced-{stamp}"))).unwrap();
    std::fs::set_permissions(data.join("ams.db"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = backup::db_restore(&f.options(), &file, true, HOST_ONLY, &mut no_progress()).unwrap();
    let copy = PathBuf::from(r.replaced_database_copy.unwrap());
    assert!(!std::fs::symlink_metadata(&copy).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "do not touch");
    // A recovery with a planted link at the old key's name keeps the old key elsewhere, 0600.
    let ks = f.reopen().recover(RECOVERY).unwrap();
    assert!(!ks.recovery_mode);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "do not touch");
    let kept: Vec<PathBuf> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("host.key.replaced-"))
        .filter(|p| !std::fs::symlink_metadata(p).unwrap().file_type().is_symlink())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(std::fs::metadata(&kept[0]).unwrap().permissions().mode() & 0o777, 0o600);
    // A backup never writes through a link planted at its name either.
    let out = f.dir.path().join("planted.amsbak");
    std::os::unix::fs::symlink(&victim, &out).unwrap();
    assert_eq!(f.ams.db_backup(&out, &mut no_progress()).unwrap_err().code(), ErrorCode::FileExists);
    let dangling = f.dir.path().join("dangling.amsbak");
    std::os::unix::fs::symlink(f.dir.path().join("nowhere"), &dangling).unwrap();
    assert_eq!(f.ams.db_backup(&dangling, &mut no_progress()).unwrap_err().code(), ErrorCode::FileExists);
    assert!(!f.dir.path().join("nowhere").exists());
}

#[test]
fn hostile_argon2_parameters_in_a_backup_are_refused_before_deriving() {
    let f = Fixture::new();
    let good = f.dir.path().join("good.amsbak");
    f.ams.db_backup(&good, &mut no_progress()).unwrap();
    // 4 GiB and 64 passes were inside the old bounds: a restore would have tried to allocate them.
    let sql = "UPDATE key_protectors SET params = json_set(params, '$.memory_kib', 4194304, '$.iterations', 64)";
    let hostile = tamper(&good, "argon.amsbak", sql, |_| {}, None);
    let e = backup::db_verify(&hostile, None, with_recovery(), &mut no_progress()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::KdfParams, "{e:?}");
    let fresh = f.dir.path().join("argon-host");
    let e = backup::db_restore(&OpenOptions::new(&fresh), &hostile, false, with_recovery(), &mut no_progress())
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::KdfParams);
    assert!(!fresh.exists());
}

/// The replaced files `key status` lists, by file name.
fn replaced_names(ams: &ams_core::Ams) -> Vec<String> {
    ams.key_status()
        .unwrap()
        .replaced_files
        .iter()
        .map(|f| Path::new(&f.path).file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_host_key_file_stolen_before_a_rotation_opens_nothing_the_rotation_made() {
    let f = Fixture::new();
    let data = f.dir.path().join("data");
    let stolen = std::fs::read(data.join("host.key")).unwrap();
    let keyring = f.ams.unlock().unwrap();
    let new = f.ams.rotate_master_key(keyring, RECOVERY, crate::fixture::cheap_kdf()).unwrap();
    assert_ne!(std::fs::read(data.join("host.key")).unwrap(), stolen, "the rotation wrote a new host key");
    let staged = |d: &Path| {
        std::fs::read_dir(d)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with("host.key.next-"))
            .count()
    };
    assert_eq!(staged(&data), 0, "the staged key was installed");
    // The thief puts the stolen file in place of the new one: it opens no master key.
    let new_key = std::fs::read(data.join("host.key")).unwrap();
    std::fs::write(data.join("host.key"), &stolen).unwrap();
    let e = f.reopen().unlock().unwrap_err();
    assert_eq!(e.code(), ErrorCode::RecoveryRequired, "{e:?}");
    // The database holds no host protector the old key opens, for the old master key either.
    let conn = rusqlite::Connection::open(data.join("ams.db")).unwrap();
    let old_id: String = serde_json::from_slice::<serde_json::Value>(&stolen).unwrap()["host_key_id"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_default();
    let n: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM key_protectors WHERE kind = 'host' AND params LIKE '%' || ?1 || '%'",
            [&old_id],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!old_id.is_empty());
    assert_eq!(n, 0);
    drop(conn);
    std::fs::write(data.join("host.key"), &new_key).unwrap();
    assert_eq!(f.reopen().unlock().unwrap().master_key_id(), new.master_key_id());
    // The old host key was kept as a replaced file, listed by key status.
    assert!(replaced_names(&f.reopen()).iter().any(|n| n.starts_with("host.key.replaced-")));
}

#[test]
fn a_rotation_interrupted_between_its_commit_and_the_key_install_still_unlocks() {
    let f = Fixture::new();
    let data = f.dir.path().join("data");
    let old = std::fs::read(data.join("host.key")).unwrap();
    let keyring = f.ams.unlock().unwrap();
    let new = f.ams.rotate_master_key(keyring, RECOVERY, crate::fixture::cheap_kdf()).unwrap();
    // As if the process died after the commit: the new key is still staged, the old one in place.
    std::fs::rename(data.join("host.key"), data.join("host.key.next-interrupted")).unwrap();
    std::fs::write(data.join("host.key"), &old).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(data.join("host.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    // A rotation that never committed left a staged key too: listed, pruned, never used.
    let stale = data.join("host.key.next-stale");
    std::fs::copy(data.join("host.key"), &stale).unwrap();
    let k = f.reopen().unlock().unwrap();
    assert_eq!(k.master_key_id(), new.master_key_id());
    assert!(!data.join("host.key.next-interrupted").exists(), "the unlock finished the install");
    assert!(replaced_names(&f.reopen()).contains(&"host.key.next-stale".to_string()));
    f.reopen().prune_replaced(None).unwrap();
    assert!(!stale.exists());
    assert_eq!(f.reopen().unlock().unwrap().master_key_id(), new.master_key_id());
    assert_ne!(std::fs::read(data.join("host.key")).unwrap(), old);
}

#[cfg(unix)]
#[test]
fn replaced_files_are_listed_and_pruned_and_a_planted_link_is_removed_not_followed() {
    let f = Fixture::new();
    let data = f.dir.path().join("data");
    let file = f.dir.path().join("b.amsbak");
    f.ams.db_backup(&file, &mut no_progress()).unwrap();
    backup::db_restore(&f.options(), &file, true, HOST_ONLY, &mut no_progress()).unwrap();
    f.reopen().recover(RECOVERY).unwrap();
    let victim = f.dir.path().join("victim.txt");
    std::fs::write(&victim, "do not touch").unwrap();
    std::os::unix::fs::symlink(&victim, data.join("ams.db.replaced-planted")).unwrap();
    let ams = f.reopen();
    let listed = ams.key_status().unwrap().replaced_files;
    assert!(listed.iter().any(|r| r.kind == "database" && r.regular_file), "{listed:?}");
    assert!(listed.iter().any(|r| r.kind == "host-key" && r.regular_file), "{listed:?}");
    assert!(listed.iter().any(|r| r.path.ends_with("ams.db.replaced-planted") && !r.regular_file));
    // Young files are kept with --older-than-days.
    let kept = ams.prune_replaced(Some(30)).unwrap();
    assert!(kept.removed.is_empty() && kept.kept.len() == listed.len());
    let pruned = ams.prune_replaced(None).unwrap();
    assert_eq!(pruned.removed.len(), listed.len());
    assert!(replaced_names(&ams).is_empty());
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "do not touch");
    assert!(ams.audit_records(None, 1000).unwrap().iter().any(|a| a.event == "key.prune_replaced"));
    // The instance still works.
    assert!(ams.unlock().is_ok());
}

fn sha256_hex(b: &[u8]) -> String {
    hex(&Sha256::digest(b))
}

/// Puts an instance back to the state before V0006: unkeyed SHA-256 hashes of one registration
/// key and one device credential, no instance_secrets, no row MACs, V0006 not applied.
fn before_v0006(db: &std::path::Path, key_id: &str, key: &str, device_id: &str, credential: &str) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute_batch(
        "DROP TABLE instance_secrets; DELETE FROM schema_migrations WHERE version = 6;
         ALTER TABLE device_passwords DROP COLUMN row_mac; ALTER TABLE bitlocker_keys DROP COLUMN row_mac;",
    )
    .unwrap();
    c.execute(
        "UPDATE registration_keys SET key_hash = ?1 WHERE id = ?2",
        rusqlite::params![sha256_hex(key.as_bytes()), key_id],
    )
    .unwrap();
    c.execute(
        "UPDATE devices SET credential_hash = ?1 WHERE id = ?2",
        rusqlite::params![sha256_hex(credential.as_bytes()), device_id],
    )
    .unwrap();
}

fn registration(name: &str) -> ams_core::service::agent::Registration {
    ams_core::service::agent::Registration {
        name: name.into(),
        os: "windows".into(),
        dns_name: None,
        os_version: None,
        agent_version: None,
    }
}

/// Counts rows of a table.
fn count(db: &Path, table: &str) -> i64 {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0)).unwrap()
}

/// Enrols a device key with a legacy credential, as the agent server does.
fn enrol(f: &Fixture, device_id: &str, credential: &str) -> ams_core::Result<()> {
    use ams_core::service::device_auth::{DeviceKey, RequestBinding, RequestOrigin};
    let key = DeviceKey::generate().unwrap();
    let instance = f.ams.key_status().unwrap().instance_id;
    let binding = RequestBinding { method: "POST", path: "/agent/v1/enrol-key", body: b"{}" };
    let token = key.sign(None, &format!("urn:ams:instance:{instance}"), &binding, f.ams.now_time(), 60).unwrap();
    let origin = RequestOrigin { source_address: None, operation: "enrol-key" };
    f.ams.agent_enrol_key(device_id, credential, &key.public_key().jwk(), &token, &binding, &origin).map(|_| ())
}

#[test]
fn a_registration_key_planted_with_an_unkeyed_hash_does_not_register_anything() {
    let f = Fixture::new();
    let db = f.dir.path().join("data/ams.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    // A database writer plants keys of their own in every form a hash could take.
    for (i, hash) in [
        sha256_hex(b"attacker-key"),
        format!("plain:{}", sha256_hex(b"attacker-key")),
        format!("k1:{}", sha256_hex(b"attacker-key")),
    ]
    .iter()
    .enumerate()
    {
        conn.execute(
            "INSERT INTO registration_keys (id, name, key_hash, sealed_key, activation_limit, activation_count, enabled, approval_required, created_at, modified_at)
             VALUES (?1, ?2, ?3, x'00', 0, 0, 1, 0, 't', 't')",
            rusqlite::params![format!("planted-{i}"), format!("planted-{i}"), hash],
        )
        .unwrap();
    }
    drop(conn);
    let devices = count(&db, "devices");
    let e = f.ams.agent_register("attacker-key", &registration("evil")).unwrap_err();
    assert_eq!(e.code(), ErrorCode::RegKeyInvalid, "{e:?}");
    // Trusted operations that create or re-key hashes do not adopt a planted row either.
    f.reopen().recover(RECOVERY).unwrap();
    f.reopen().db_migrate().unwrap();
    let e = f.reopen().agent_register("attacker-key", &registration("evil")).unwrap_err();
    assert_eq!(e.code(), ErrorCode::RegKeyInvalid);
    assert_eq!(count(&db, "devices"), devices, "nothing was registered");
    // A genuine key still registers, and its stored hash is keyed.
    f.device("genuine");
    let c = rusqlite::Connection::open(&db).unwrap();
    let h: String =
        c.query_row("SELECT key_hash FROM registration_keys WHERE name = 'key-genuine'", [], |r| r.get(0)).unwrap();
    assert!(h.starts_with("k1:") && h.len() == 67, "{h}");
}

#[test]
fn a_device_credential_planted_with_an_unkeyed_hash_does_not_authenticate() {
    let f = Fixture::new();
    let db = f.dir.path().join("data/ams.db");
    let key = f.ams.reg_key_new(&f.keyring, "legacy", true, 0, false).unwrap();
    let reg = f.ams.agent_register(&key.key, &registration("legacy")).unwrap();
    let stored: String = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT credential_hash FROM devices WHERE id = ?1", [&reg.device_id], |r| r.get(0))
        .unwrap();
    assert!(stored.starts_with("k1:"));
    assert_ne!(stored, sha256_hex(reg.device_credential.as_bytes()), "the stored hash is keyed");
    for planted in
        [sha256_hex(b"evil"), format!("plain:{}", sha256_hex(b"evil")), format!("k1:{}", sha256_hex(b"evil"))]
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute("UPDATE devices SET credential_hash = ?1 WHERE id = ?2", rusqlite::params![planted, reg.device_id])
            .unwrap();
        drop(c);
        let e = enrol(&f, &reg.device_id, "evil").unwrap_err();
        assert_eq!(e.code(), ErrorCode::AgentTokenInvalid, "{planted}: {e:?}");
    }
    assert_eq!(count(&db, "device_keys"), 0, "no key was enrolled");
    // The genuine credential, with its genuine keyed hash, enrols.
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute("UPDATE devices SET credential_hash = ?1 WHERE id = ?2", rusqlite::params![stored, reg.device_id])
        .unwrap();
    drop(c);
    enrol(&f, &reg.device_id, &reg.device_credential).unwrap();
}

#[test]
fn migrating_to_v0006_rekeys_existing_lookup_hashes_so_existing_keys_and_credentials_keep_working() {
    let f = Fixture::new();
    let db = f.dir.path().join("data/ams.db");
    let key = f.ams.reg_key_new(&f.keyring, "old", true, 0, false).unwrap();
    let reg = f.ams.agent_register(&key.key, &registration("old")).unwrap();
    let with_pw = f.device("with-password");
    f.upload_password(&with_pw, "Old-Password-1").unwrap();
    f.upload_password(&with_pw, "Old-Password-2").unwrap();
    before_v0006(&db, &key.id, &key.key, &reg.device_id, &reg.device_credential);
    let ams = ams_core::Ams::open_unchecked(&f.options()).unwrap();
    let report = ams.db_migrate().unwrap();
    assert_eq!(report.applied, vec![6]);
    assert!(report.derivation_root_created);
    let ams = f.reopen();
    let c = rusqlite::Connection::open(&db).unwrap();
    let (kh, ch): (String, String) = c
        .query_row(
            "SELECT k.key_hash, d.credential_hash FROM registration_keys k, devices d WHERE k.id = ?1 AND d.id = ?2",
            [&key.id, &reg.device_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(kh.starts_with("k1:") && ch.starts_with("k1:"), "{kh} {ch}");
    drop(c);
    ams.agent_register(&key.key, &registration("again")).unwrap();
    enrol(&f, &reg.device_id, &reg.device_credential).unwrap();
    // Stored passwords were given their row MAC by the migration: current and history still open.
    let k = ams.unlock().unwrap();
    assert_eq!(ams.password_current(&k, &DeviceSelector::Id(with_pw.clone())).unwrap().password, "Old-Password-2");
    assert_eq!(ams.password_history(&k, &DeviceSelector::Id(with_pw)).unwrap()[0].password, "Old-Password-1");
    let v = ams.audit_verify(None).unwrap();
    assert!(v.keyed && v.keyed_from_seq.is_some(), "{v:?}");
}

#[test]
fn an_audit_chain_rewritten_with_plain_sha256_is_detected() {
    let f = Fixture::new();
    for i in 0..5 {
        f.ams.group_new(&format!("g{i}"), None).unwrap();
    }
    let v = f.ams.audit_verify(None).unwrap();
    assert!(v.keyed && v.keyed_records >= 5 && v.unkeyed_after_keyed == 0, "{v:?}");
    let db = f.dir.path().join("data/ams.db");
    let before = snapshot(&f.dir.path().join("data"));
    // The attacker edits a record and recomputes every hash after it as the old unkeyed chain did.
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute_batch("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;").unwrap();
    c.execute("UPDATE audit_log SET actor = 'local:mallory' WHERE event = 'group.new'", []).unwrap();
    let rows: Vec<ams_core::store::AuditRow> = {
        let mut stmt = c
            .prepare("SELECT seq, id, at, actor, event, outcome, target_type, target_id, details, prev_hash, hash FROM audit_log ORDER BY seq")
            .unwrap();
        stmt.query_map([], |r| {
            Ok(ams_core::store::AuditRow {
                seq: r.get(0)?,
                id: r.get(1)?,
                at: r.get(2)?,
                actor: r.get(3)?,
                event: r.get(4)?,
                outcome: r.get(5)?,
                target_type: r.get(6)?,
                target_id: r.get(7)?,
                details: r.get(8)?,
                prev_hash: r.get(9)?,
                hash: r.get(10)?,
            })
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    };
    let mut prev = ams_core::service::audit::GENESIS_HASH.to_string();
    for mut row in rows {
        row.prev_hash = prev.clone();
        row.hash = ams_core::service::audit::record_hash(&row);
        c.execute(
            "UPDATE audit_log SET prev_hash = ?1, hash = ?2 WHERE seq = ?3",
            rusqlite::params![row.prev_hash, row.hash, row.seq],
        )
        .unwrap();
        prev = row.hash;
    }
    drop(c);
    assert_ne!(snapshot(&f.dir.path().join("data")), before);
    let e = f.reopen().audit_verify(None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AuditChainBroken, "{e:?}");
    // Keeping the `k1:` prefix on recomputed SHA-256 hashes does not help either.
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute("UPDATE audit_log SET hash = 'k1:' || hash, prev_hash = CASE WHEN seq = 1 THEN prev_hash ELSE 'k1:' || prev_hash END", []).unwrap();
    drop(c);
    let e = f.reopen().audit_verify(None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AuditChainBroken);
}

#[test]
fn the_audit_head_is_in_the_sealed_manifest_and_reported_by_verify() {
    let f = Fixture::new();
    let file = f.dir.path().join("head.amsbak");
    f.ams.db_backup(&file, &mut no_progress()).unwrap();
    let head = f.ams.audit_verify(None).unwrap();
    let v = backup::db_verify(&file, Some(&f.options()), HOST_ONLY, &mut no_progress()).unwrap();
    assert!(v.authenticated);
    // The manifest (covered by the seal) names the head as it was when the backup was taken.
    assert!(v.manifest.audit_head.as_deref().is_some_and(|h| h.starts_with("k1:")));
    assert!(v.manifest.audit_head_seq.unwrap() <= head.head_seq);
}

#[test]
fn a_redirected_directory_url_or_bind_dn_never_gets_the_stored_bind_password() {
    use ams_core::service::jit::JitDirectoryChanges;
    use zeroize::Zeroizing;
    let f = Fixture::new();
    let ch = JitDirectoryChanges {
        url: Some("ldap://127.0.0.1:9".into()),
        bind_dn: Some("cn=admin,dc=example,dc=test".into()),
        base_dn: Some("dc=example,dc=test".into()),
        ..Default::default()
    };
    f.ams.set_jit_directory(Some(&f.keyring), ch, Some(Zeroizing::new(b"bind secret".to_vec()))).unwrap();
    let before = f.ams.jit_directory().unwrap();
    let data = f.dir.path().join("data");
    let files = snapshot(&data);
    // Through ams: a new URL or bind DN without the password again is refused, nothing changes.
    for ch in [
        JitDirectoryChanges { url: Some("ldap://elsewhere.example:389".into()), ..Default::default() },
        JitDirectoryChanges { bind_dn: Some("cn=someone-else,dc=example,dc=test".into()), ..Default::default() },
    ] {
        let e = f.ams.set_jit_directory(Some(&f.keyring), ch, None).unwrap_err();
        assert_eq!(e.code(), ErrorCode::JitBindPasswordRequired, "{e:?}");
    }
    assert_eq!(format!("{:?}", f.ams.jit_directory().unwrap()), format!("{before:?}"));
    assert_eq!(snapshot(&data), files, "a refused change changes nothing");
    // Other settings keep the password.
    let ch = JitDirectoryChanges { base_dn: Some("ou=x,dc=example,dc=test".into()), ..Default::default() };
    assert!(f.ams.set_jit_directory(Some(&f.keyring), ch, None).unwrap().bind_password_set);
    // Behind ams's back: the sealed password is bound to the URL and bind DN and is not sent.
    let c = rusqlite::Connection::open(data.join("ams.db")).unwrap();
    c.execute("UPDATE jit_directory SET url = 'ldap://127.0.0.1:10'", []).unwrap();
    drop(c);
    let e = f.ams.open_jit_directory(&f.keyring).unwrap_err();
    assert_eq!(e.code(), ErrorCode::JitBindPasswordUnbound, "{e:?}");
    let c = rusqlite::Connection::open(data.join("ams.db")).unwrap();
    c.execute("UPDATE jit_directory SET url = 'ldap://127.0.0.1:9', bind_dn = 'cn=evil'", []).unwrap();
    drop(c);
    assert_eq!(f.ams.open_jit_directory(&f.keyring).unwrap_err().code(), ErrorCode::JitBindPasswordUnbound);
    // With the password given again for the new directory, it is used (nothing listens there).
    let ch = JitDirectoryChanges { url: Some("ldap://127.0.0.1:11".into()), ..Default::default() };
    f.ams.set_jit_directory(Some(&f.keyring), ch, Some(Zeroizing::new(b"bind secret".to_vec()))).unwrap();
    assert_eq!(f.ams.open_jit_directory(&f.keyring).unwrap_err().code(), ErrorCode::DirectoryUnavailable);
}

#[test]
fn an_envelope_made_for_one_account_or_bitlocker_key_is_refused_for_another() {
    use ams_core::crypto::envelope::OaepHash;
    use ams_core::service::agent::seal_upload;
    use ams_core::service::secrets::Upload;
    let f = Fixture::new();
    let d = f.device("bound");
    let cert = f.ams.active_certificate_der().unwrap();
    let admin = Upload::Password { account_name: "Administrator".into() };
    let other = Upload::Password { account_name: "backdoor".into() };
    let blob = seal_upload(&cert, &d, &admin, b"Bound-Password-1", OaepHash::Sha256).unwrap();
    assert_eq!(f.ams.ingest(&f.keyring, &d, &other, &blob).unwrap_err().code(), ErrorCode::EnvelopeTampered);
    f.ams.ingest(&f.keyring, &d, &admin, &blob).unwrap();
    let pw = "000011-000022-000033-000044-000055-000066-000077-000088";
    let key_a = Upload::BitLocker {
        key_id: "{3F2504E0-4F89-11D3-9A0C-0305E82C3301}".into(),
        volume_id: None,
        volume_type: None,
    };
    let key_b =
        Upload::BitLocker { key_id: "3f2504e0-4f89-11d3-9a0c-0305e82c3302".into(), volume_id: None, volume_type: None };
    let blob = seal_upload(&cert, &d, &key_a, pw.as_bytes(), OaepHash::Sha256).unwrap();
    assert_eq!(f.ams.ingest(&f.keyring, &d, &key_b, &blob).unwrap_err().code(), ErrorCode::EnvelopeTampered);
    f.ams.ingest(&f.keyring, &d, &key_a, &blob).unwrap();
    // The recovery password format is checked by the core ingest, whatever the front end.
    let bad = seal_upload(&cert, &d, &key_b, b"not-a-recovery-password", OaepHash::Sha256).unwrap();
    assert_eq!(f.ams.ingest(&f.keyring, &d, &key_b, &bad).unwrap_err().code(), ErrorCode::InvalidRequest);
    let keys = f.ams.bitlocker_keys(&f.keyring, &DeviceSelector::Id(d)).unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].key_id, "3f2504e0-4f89-11d3-9a0c-0305e82c3301");
}

#[test]
fn a_history_row_moved_into_the_current_one_is_refused() {
    let f = Fixture::new();
    let d = f.device("swapped");
    f.upload_password(&d, "Old-Known-Password-1").unwrap();
    f.upload_password(&d, "Current-Password-2").unwrap();
    let db = f.dir.path().join("data/ams.db");
    let sel = DeviceSelector::Id(d.clone());
    // The attacker knows (or set) the old password and makes it current again: blob, and MAC too.
    for sql in [
        "UPDATE device_passwords SET blob = (SELECT blob FROM device_passwords WHERE retired_at IS NOT NULL AND device_id = ?1) WHERE retired_at IS NULL AND device_id = ?1",
        "UPDATE device_passwords SET row_mac = (SELECT row_mac FROM device_passwords WHERE retired_at IS NOT NULL AND device_id = ?1) WHERE retired_at IS NULL AND device_id = ?1",
    ] {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute(sql, [&d]).unwrap();
        drop(c);
        let e = f.ams.password_current(&f.keyring, &sel).unwrap_err();
        assert_eq!(e.code(), ErrorCode::SecretRowUnbound, "{e:?}");
        assert!(!format!("{e:?}").contains("Password-"));
    }
    // A row planted without a MAC (or with a made-up one) is refused too.
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute("UPDATE device_passwords SET row_mac = NULL WHERE device_id = ?1", [&d]).unwrap();
    drop(c);
    assert_eq!(f.ams.password_history(&f.keyring, &sel).unwrap_err().code(), ErrorCode::SecretRowUnbound);
}

/// Runs openssl (the PFX interop tool) and fails the test when it fails.
fn openssl(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("openssl").current_dir(dir).args(args).output().expect("openssl runs");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_pfx_with_many_bags_at_huge_iteration_counts_or_without_a_mac_is_refused_before_any_key_derivation() {
    use ams_core::crypto::pfx;
    let f = Fixture::new();
    let dir = f.dir.path();
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:3072",
            "-nodes",
            "-keyout",
            "k.pem",
            "-out",
            "c.pem",
            "-subj",
            "/CN=hostile",
            "-days",
            "2",
        ],
    );
    // Four more certificates, each in a bag of its own safe: many bags, each at the highest count.
    let mut chain = String::new();
    for i in 0..4 {
        let (k, c) = (format!("k{i}.pem"), format!("c{i}.pem"));
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                &k,
                "-out",
                &c,
                "-subj",
                &format!("/CN=extra{i}"),
                "-days",
                "2",
            ],
        );
        chain.push_str(&std::fs::read_to_string(dir.join(&c)).unwrap());
    }
    std::fs::write(dir.join("chain.pem"), chain).unwrap();
    let pass = "pass:correct staple battery horse";
    openssl(
        dir,
        &[
            "pkcs12",
            "-export",
            "-inkey",
            "k.pem",
            "-in",
            "c.pem",
            "-certfile",
            "chain.pem",
            "-iter",
            "1000000",
            "-passout",
            pass,
            "-out",
            "hostile.pfx",
        ],
    );
    openssl(
        dir,
        &["pkcs12", "-export", "-inkey", "k.pem", "-in", "c.pem", "-nomac", "-passout", pass, "-out", "nomac.pfx"],
    );
    openssl(dir, &["pkcs12", "-export", "-inkey", "k.pem", "-in", "c.pem", "-passout", pass, "-out", "fine.pfx"]);
    let before = f.ams.cert_list().unwrap().len();
    let started = std::time::Instant::now();
    let hostile = pfx::read_file(&dir.join("hostile.pfx")).unwrap();
    let e = pfx::kdf_work(&hostile).unwrap_err();
    assert_eq!(e.code(), ErrorCode::PfxUnsupported, "{e:?}");
    let e = f.ams.cert_import(&f.keyring, &hostile, b"correct staple battery horse", false).unwrap_err();
    assert_eq!(e.code(), ErrorCode::PfxUnsupported, "{e:?}");
    // No key derivation ran: three million PBKDF2 rounds would take far longer.
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
    let nomac = pfx::read_file(&dir.join("nomac.pfx")).unwrap();
    let e = f.ams.cert_import(&f.keyring, &nomac, b"correct staple battery horse", false).unwrap_err();
    assert_eq!(e.code(), ErrorCode::PfxUnsupported);
    assert!(e.message().contains("MAC"), "{e:?}");
    assert_eq!(f.ams.cert_list().unwrap().len(), before, "nothing was imported");
    // An ordinary PFX is imported, and an import never makes a certificate active by itself.
    let fine = pfx::read_file(&dir.join("fine.pfx")).unwrap();
    assert!(pfx::kdf_work(&fine).unwrap() < pfx::MAX_IMPORT_KDF_WORK);
    let active = f.ams.cert_list().unwrap().into_iter().find(|c| c.state == "Active").unwrap().thumbprint;
    let r = f.ams.cert_import(&f.keyring, &fine, b"correct staple battery horse", false).unwrap();
    assert_ne!(r.certificate.state, "Active");
    assert_eq!(f.ams.cert_list().unwrap().into_iter().find(|c| c.state == "Active").unwrap().thumbprint, active);
    // A file bigger than any certificate backup is refused on the one read.
    std::fs::write(dir.join("big.pfx"), vec![0u8; pfx::MAX_PFX_BYTES + 10]).unwrap();
    assert_eq!(pfx::read_file(&dir.join("big.pfx")).unwrap_err().code(), ErrorCode::PfxInvalid);
}

#[test]
fn a_revoked_certificate_never_becomes_active_even_through_the_store() {
    use ams_core::service::certs::NewCertOptions;
    let f = Fixture::new();
    let second = f
        .ams
        .cert_new(
            &f.keyring,
            &NewCertOptions { subject: "second".into(), key_bits: 3072, validity_days: 30, activate: false },
        )
        .unwrap();
    f.ams.store().write(|tx| tx.set_cert_state(&second.thumbprint, "revoked")).unwrap();
    let e = f.ams.cert_activate(&second.thumbprint).unwrap_err();
    assert_eq!(e.code(), ErrorCode::CertNotUsable);
    // Below the service: the SQL refuses too, and changes nothing.
    let e = f.ams.store().write(|tx| tx.activate_cert(&second.thumbprint, "t")).unwrap_err();
    assert_eq!(e.code(), ErrorCode::CertNotUsable);
    f.ams.store().write(|tx| tx.set_cert_state(&second.thumbprint, "active")).unwrap();
    let certs = f.ams.cert_list().unwrap();
    assert_eq!(certs.iter().find(|c| c.thumbprint == second.thumbprint).unwrap().state, "Revoked");
    assert_eq!(certs.iter().filter(|c| c.state == "Active").count(), 1);
}

#[test]
fn secrets_in_service_results_are_redacted_in_debug_output() {
    let f = Fixture::new();
    let key = f.ams.reg_key_new(&f.keyring, "debug", true, 0, false).unwrap();
    assert!(!format!("{key:?}").contains(key.key.expose()));
    let reg = f.ams.agent_register(&key.key, &registration("debugpc")).unwrap();
    assert!(!reg.device_credential.is_empty());
    assert!(!format!("{reg:?}").contains(reg.device_credential.expose()));
    f.upload_password(&reg.device_id, "Canary-Debug-Password-1").ok();
    let d = f.device("debug2");
    f.upload_password(&d, "Canary-Debug-Password-2").unwrap();
    let pw = f.ams.password_current(&f.keyring, &DeviceSelector::Id(d.clone())).unwrap();
    assert_eq!(pw.password, "Canary-Debug-Password-2");
    assert!(!format!("{pw:?}").contains("Canary"));
    // The JSON contract still carries the value.
    assert!(serde_json::to_string(&pw).unwrap().contains("Canary-Debug-Password-2"));
}

#[test]
fn records_written_in_recovery_mode_are_unkeyed_and_the_same_handle_keys_again_after_recovery() {
    let f = Fixture::new();
    let data = f.dir.path().join("data");
    std::fs::rename(data.join("host.key"), f.dir.path().join("host.key.away")).unwrap();
    let long_running = f.reopen();
    long_running.group_new("while-in-recovery", None).unwrap();
    // Verify says plainly that, without the master key, the keyed hashes were not checked.
    let v = long_running.audit_verify(None).unwrap();
    assert!(!v.keyed && v.warnings.iter().any(|w| w.contains("recovery mode")), "{v:?}");
    // Another process recovers; the long-running handle picks the key up for its next record.
    f.reopen().recover(RECOVERY).unwrap();
    long_running.group_new("after-recovery", None).unwrap();
    let c = rusqlite::Connection::open(data.join("ams.db")).unwrap();
    let hash = |target_event: &str, name: &str| -> String {
        c.query_row(
            "SELECT hash FROM audit_log WHERE event = ?1 AND details LIKE '%' || ?2 || '%'",
            [target_event, name],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert!(!hash("group.new", "while-in-recovery").starts_with("k1:"));
    assert!(hash("group.new", "after-recovery").starts_with("k1:"));
    drop(c);
    let v = f.reopen().audit_verify(None).unwrap();
    assert!(v.keyed && v.unkeyed_after_keyed >= 1, "{v:?}");
}

#[test]
fn a_migration_to_v0006_in_recovery_mode_leaves_old_rows_unkeyed_and_key_status_says_so() {
    let f = Fixture::new();
    let db = f.dir.path().join("data/ams.db");
    let data = f.dir.path().join("data");
    let key = f.ams.reg_key_new(&f.keyring, "old", true, 0, false).unwrap();
    let reg = f.ams.agent_register(&key.key, &registration("old")).unwrap();
    let with_pw = f.device("with-password");
    f.upload_password(&with_pw, "Old-Password-1").unwrap();
    before_v0006(&db, &key.id, &key.key, &reg.device_id, &reg.device_credential);
    std::fs::rename(data.join("host.key"), f.dir.path().join("host.key.away")).unwrap();
    let report = ams_core::Ams::open_unchecked(&f.options()).unwrap().db_migrate().unwrap();
    assert_eq!(report.applied, vec![6]);
    assert!(!report.derivation_root_created, "no master key, no root");
    let ks = f.reopen().key_status().unwrap();
    assert!(ks.recovery_mode && !ks.derivation_root);
    // The old registration key and the legacy credential are still plain; the password has no MAC.
    assert_eq!(ks.unkeyed_lookup_hashes, 2);
    assert_eq!(ks.secret_rows_without_mac, 1);
    // `ams key recover` creates the root: registration keys are re-keyed from their sealed value;
    // the credential and the stored password stay as they are (nothing proves they were not planted).
    let ks = f.reopen().recover(RECOVERY).unwrap();
    assert!(ks.derivation_root && !ks.recovery_mode);
    assert_eq!(ks.unkeyed_lookup_hashes, 1, "only the device credential is left");
    assert_eq!(ks.secret_rows_without_mac, 1);
    let ams = f.reopen();
    ams.agent_register(&key.key, &registration("again")).unwrap();
    assert_eq!(enrol(&f, &reg.device_id, &reg.device_credential).unwrap_err().code(), ErrorCode::AgentTokenInvalid);
    let e = ams.password_current(&ams.unlock().unwrap(), &DeviceSelector::Id(with_pw)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::SecretRowUnbound);
}
