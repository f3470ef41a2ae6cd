//! End-to-end tests of `ams db backup`, `ams db verify` and `ams db restore`: the disaster
//! recovery drill, backups under concurrent writers, refused files, instance holding, schema
//! migration on restore, scheduled backups and secret canaries.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

mod common;
use common::*;

const RECOVERY: &str = "backup drill recovery passphrase";
const BITLOCKER: &str = "012342-050237-097911-258016-380237-502458-624679-660011";

impl Instance {
    /// An approved device with an active certificate; returns its id.
    fn device(&self, name: &str) -> String {
        if self.ok(&["cert", "list"], None).as_array().unwrap().is_empty() {
            self.ok(&["cert", "new", "--key-size", "3072"], None);
        }
        let key = self.ok(&["device-registration-key", "new", "--name", &format!("key-{name}")], None);
        let reg =
            self.ok(&["agent", "register", "--name", name, "--os", "windows"], Some(key["Key"].as_str().unwrap()));
        reg["DeviceId"].as_str().unwrap().to_string()
    }

    fn backup(&self, name: &str) -> PathBuf {
        let out = self.path(name);
        let r = self.ok(&["db", "backup", "--out", out.to_str().unwrap()], None);
        assert_eq!(r["File"], out.to_str().unwrap());
        out
    }
}

fn password(dir: &Path, computer: &str) -> String {
    ok_in(dir, &["local-admin-password", "get", "--computer-name", computer], None)["Password"]
        .as_str()
        .unwrap()
        .to_string()
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

/// Every row of every table, as text.
fn dump(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
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
        out.extend(rows.map(|r| format!("{t}: {}", r.unwrap())));
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn files_starting(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    v.sort();
    v
}

#[test]
fn disaster_recovery_drill_restores_every_secret_on_a_new_host() {
    let i = Instance::with_recovery(RECOVERY);
    let mut expected = Vec::new();
    let mut devs = Vec::new();
    for n in 0..3 {
        let name = format!("drill{n}");
        let dev = i.device(&name);
        devs.push(dev.clone());
        for round in 0..2 {
            let pw = format!("Canary-Drill-{n}-{round}-é€");
            i.ok(&["agent", "submit-password", "--device-id", &dev], Some(&pw));
            expected.push((name.clone(), pw));
        }
    }
    let dev0 = devs[0].clone();
    i.ok(
        &["agent", "submit-bitlocker-key", "--device-id", &dev0, "--key-id", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"],
        Some(BITLOCKER),
    );
    let file = i.backup("drill.amsbak");

    // The host is lost: the whole data directory goes.
    std::fs::remove_dir_all(&i.dir).unwrap();
    let new_dir = i.path("new-host/data");
    // Nothing on the new host can check the seal: the recovery password is needed, and a refused
    // restore creates nothing.
    let (exit, e) = err_in(&new_dir, &["db", "restore", file.to_str().unwrap()], None);
    assert_eq!((exit, e["code"].as_str().unwrap()), (6, "AMS-BAK-0008"));
    assert!(e["hint"].as_str().unwrap().contains("--recovery-password-stdin"));
    assert!(!i.path("new-host").exists());
    let restore = ["db", "restore", file.to_str().unwrap(), "--recovery-password-stdin"];
    let (exit, e) = err_in(&new_dir, &restore, Some("not the recovery password\n"));
    assert_eq!((exit, e["code"].as_str().unwrap()), (6, "AMS-KEY-0002"));
    assert!(!i.path("new-host").exists());
    // Unauthenticated on purpose: restored, in recovery mode.
    let insecure = ["db", "restore", file.to_str().unwrap(), "--insecure-skip-authentication"];
    let r = ok_in(&new_dir, &insecure, None);
    assert_eq!((r["Authenticated"].clone(), r["RecoveryMode"].clone()), (Value::Bool(false), Value::Bool(true)));
    assert!(r["Warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("insecure")));
    std::fs::remove_dir_all(i.path("new-host")).unwrap();
    let r = ok_in(&new_dir, &restore, Some(&format!("{RECOVERY}\n")));
    assert_eq!(r["CreatedDataDir"], true);
    assert_eq!(r["Authenticated"], true);
    assert_eq!(r["AuthenticatedBy"], "recovery-password");
    assert_eq!(r["RecoveryMode"], false);
    assert!(new_dir.join("host.toml").exists() && new_dir.join("host.key").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&new_dir).unwrap().permissions().mode() & 0o777, 0o700);
        assert_eq!(std::fs::metadata(new_dir.join("ams.db")).unwrap().permissions().mode() & 0o777, 0o600);
    }
    assert_eq!(ok_in(&new_dir, &["key", "status"], None)["RecoveryMode"], false);

    for n in 0..3 {
        let name = format!("drill{n}");
        assert_eq!(password(&new_dir, &name), format!("Canary-Drill-{n}-1-é€"));
        let hist = ok_in(&new_dir, &["local-admin-password-history", "get", "--computer-name", &name], None);
        let hist: Vec<&str> = hist.as_array().unwrap().iter().map(|h| h["Password"].as_str().unwrap()).collect();
        assert_eq!(hist, [format!("Canary-Drill-{n}-0-é€").as_str()]);
    }
    assert_eq!(expected.len(), 6);
    let keys = ok_in(&new_dir, &["fve-recovery-key", "get", "--computer-name", "drill0"], None);
    assert_eq!(keys[0]["RecoveryPassword"], BITLOCKER);
    // The restored instance works normally: a new upload after recovery.
    ok_in(&new_dir, &["agent", "submit-password", "--device-id", &dev0], Some("Canary-After-Restore"));
    assert_eq!(password(&new_dir, "drill0"), "Canary-After-Restore");
}

#[test]
fn a_backup_taken_while_another_process_writes_verifies_and_restores() {
    let i = Instance::with_recovery(RECOVERY);
    let dev = i.device("busy");
    i.ok(&["agent", "submit-password", "--device-id", &dev], Some("Canary-Busy-Start"));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (dir, dev, stop) = (i.dir.clone(), dev.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) || n < 3 {
                let out =
                    run_in(&dir, &["agent", "submit-password", "--device-id", &dev], Some(&format!("Canary-Loop-{n}")));
                assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
                n += 1;
            }
            n
        })
    };
    let mut files = Vec::new();
    for n in 0..3 {
        files.push(i.backup(&format!("busy{n}.amsbak")));
    }
    stop.store(true, Ordering::SeqCst);
    assert!(writer.join().unwrap() >= 3);
    for (n, f) in files.iter().enumerate() {
        let v = ok_in(&i.dir, &["db", "verify", f.to_str().unwrap(), "--recovery-password-stdin"], Some(RECOVERY));
        assert_eq!(v["Authenticated"], true);
        assert!(v["SecretsOpened"].as_u64().unwrap() >= 3);
        let dir = i.path(&format!("restored{n}"));
        ok_in(&dir, &["db", "restore", f.to_str().unwrap(), "--recovery-password-stdin"], Some(RECOVERY));
        let pw = password(&dir, "busy");
        assert!(pw == "Canary-Busy-Start" || pw.starts_with("Canary-Loop-"), "{pw}");
        let hist = ok_in(&dir, &["local-admin-password-history", "get", "--computer-name", "busy"], None);
        assert_eq!(
            hist.as_array().unwrap().len() as u64 + 1,
            v["Manifest"]["RowCounts"]["device_passwords"].as_u64().unwrap()
        );
    }
}

#[test]
fn damaged_truncated_and_tampered_backups_are_refused_and_change_nothing() {
    let i = Instance::with_recovery(RECOVERY);
    let server = on_sql_server();
    let dev = i.device("pc1");
    i.ok(&["agent", "submit-password", "--device-id", &dev], Some("Canary-Refuse-1"));
    let good = i.backup("good.amsbak");
    i.ok(&["agent", "submit-password", "--device-id", &dev], Some("Canary-Refuse-2"));
    let bytes = std::fs::read(&good).unwrap();
    // Format 3 (the layout of format 2): the image, the header lines, the footer naming where the
    // header starts.
    assert!(bytes.starts_with(b"SQLite format 3\0"));
    let footer = String::from_utf8(bytes[bytes.len() - 39..].to_vec()).unwrap();
    let image_len: usize = footer.strip_prefix("AMS-DB-BACKUP-END ").unwrap().trim_end().parse().unwrap();
    let footer_at = bytes.len() - 39;
    let header = String::from_utf8(bytes[image_len..footer_at].to_vec()).unwrap();
    let lines: Vec<&str> = header.lines().collect();
    assert_eq!((lines.len(), lines[0]), (4, "AMS-DB-BACKUP/3"));
    let write = |name: &str, b: &[u8]| {
        let p = i.path(name);
        std::fs::write(&p, b).unwrap();
        p
    };
    let mut flipped = bytes.clone();
    flipped[8192] ^= 0x01;
    // Tampered: the manifest edited and the header checksum recomputed, as a tamperer would.
    let tampered = {
        let m = lines[1].replace("\"Scheduled\":false", "\"Scheduled\":true");
        assert_ne!(m, lines[1]);
        let body = format!("{}\n{}\n{}\n", lines[0], m, lines[2]);
        let mut out = bytes[..image_len].to_vec();
        out.extend_from_slice(
            format!("{body}sha256 {}\n", ams_core::crypto::seal::hex(&sha256(body.as_bytes()))).as_bytes(),
        );
        out.extend_from_slice(format!("AMS-DB-BACKUP-END {:020}\n", image_len).as_bytes());
        out
    };
    let with_footer =
        |offset: usize| [&bytes[..footer_at], format!("AMS-DB-BACKUP-END {offset:020}\n").as_bytes()].concat();
    // A v1 magic over the v2 layout (checksum recomputed), and a v2 header in front of the image.
    let v1_magic = {
        let body = format!("AMS-DB-BACKUP/1\n{}\n{}\n", lines[1], lines[2]);
        let sum = ams_core::crypto::seal::hex(&sha256(body.as_bytes()));
        [&bytes[..image_len], format!("{body}sha256 {sum}\n").as_bytes(), &bytes[footer_at..]].concat()
    };
    let header_first = [header.as_bytes(), &bytes[..image_len]].concat();
    // A plain SQLite database is not a backup: the instance's own file, or on SQL Server (no file)
    // that of a SQLite instance.
    let sqlite_side = server.then(Instance::sqlite);
    let plain = std::fs::read(sqlite_side.as_ref().unwrap_or(&i).dir.join("ams.db")).unwrap();
    let cases = [
        (write("truncated.amsbak", &bytes[..bytes.len() - 1000]), "AMS-BAK-0002", 9),
        (write("image-only.amsbak", &bytes[..image_len / 2]), "AMS-BAK-0002", 9),
        (write("header-cut.amsbak", &bytes[..image_len + 30]), "AMS-BAK-0002", 9),
        (write("footer-cut.amsbak", &bytes[..bytes.len() - 10]), "AMS-BAK-0002", 9),
        (write("flipped.amsbak", &flipped), "AMS-BAK-0003", 9),
        (write("appended.amsbak", &[bytes.as_slice(), b"junk"].concat()), "AMS-BAK-0003", 9),
        (write("footer-outside.amsbak", &with_footer(bytes.len())), "AMS-BAK-0003", 9),
        (write("footer-into-image.amsbak", &with_footer(4096)), "AMS-BAK-0003", 9),
        (write("plain.sqlite", &plain), "AMS-BAK-0001", 5),
        (write("tampered.amsbak", &tampered), "AMS-BAK-0004", 9),
        (write("v1-magic.amsbak", &v1_magic), "AMS-BAK-0001", 5),
        (write("header-first.amsbak", &header_first), "AMS-BAK-0001", 5),
    ];
    // What the instance holds, as the verbs show it (on either engine), and on SQLite also the
    // file itself, row by row and byte for byte.
    let shown = || {
        ["audit get --limit 100000", "device get", "cert list", "device-registration-key get", "key status"]
            .map(|v| i.ok(&v.split(' ').collect::<Vec<_>>(), None))
    };
    let shown_before = shown();
    let db = i.dir.join("ams.db");
    let file_before = if skipped_on_sql_server("the byte-for-byte and row-by-row comparison of the SQLite file") {
        None
    } else {
        Some((dump(&db), std::fs::read(&db).unwrap()))
    };
    for (file, code, exit) in &cases {
        for force in [false, true] {
            let mut args = vec!["db", "restore", file.to_str().unwrap()];
            if force {
                args.push("--force");
            }
            let (got_exit, e) = i.err(&args, None);
            assert_eq!((got_exit, e["code"].as_str().unwrap()), (*exit, *code), "{}: {e}", file.display());
        }
        let verify = ["db", "verify", file.to_str().unwrap(), "--recovery-password-stdin"];
        let (got_exit, e) = i.err(&verify, Some(RECOVERY));
        assert_eq!((got_exit, e["code"].as_str().unwrap()), (*exit, *code), "verify {}: {e}", file.display());
    }
    if let Some((rows_before, bytes_before)) = file_before {
        assert_eq!(std::fs::read(&db).unwrap(), bytes_before, "the live database file is byte for byte the same");
        assert_eq!(dump(&db), rows_before);
    }
    assert_eq!(shown(), shown_before, "the verbs show the same instance");
    assert!(files_starting(&i.dir, ".").is_empty() && files_starting(&i.dir, "ams.db.replaced").is_empty());
    assert_eq!(password(&i.dir, "pc1"), "Canary-Refuse-2");
    // Nothing is created for a damaged backup restored into a new data directory either.
    let fresh = i.path("never-made");
    let restore = ["db", "restore", cases[4].0.to_str().unwrap(), "--recovery-password-stdin"];
    let (_, e) = err_in(&fresh, &restore, Some(RECOVERY));
    assert_eq!(e["code"], "AMS-BAK-0003");
    assert!(!fresh.exists());
    // Format 1 files stay covered: the committed fixture, damaged the same ways.
    let v1 = std::fs::read(V1_FIXTURE).unwrap();
    let v1_header_end = nth_newline(&v1, 4);
    let mut v1_flipped = v1.clone();
    v1_flipped[v1_header_end + 8192] ^= 0x01;
    let v1_tampered = {
        let text = String::from_utf8(v1[..v1_header_end].to_vec()).unwrap();
        let l: Vec<&str> = text.lines().collect();
        let body = format!("{}\n{}\n{}\n", l[0], l[1].replace("\"Scheduled\":false", "\"Scheduled\":true"), l[2]);
        let sum = ams_core::crypto::seal::hex(&sha256(body.as_bytes()));
        [format!("{body}sha256 {sum}\n").as_bytes(), &v1[v1_header_end..]].concat()
    };
    let v1_cases = [
        (write("v1-truncated.amsbak", &v1[..v1.len() - 1000]), "AMS-BAK-0002", 9),
        (write("v1-header-only.amsbak", &v1[..v1_header_end - 10]), "AMS-BAK-0002", 9),
        (write("v1-flipped.amsbak", &v1_flipped), "AMS-BAK-0003", 9),
        (write("v1-appended.amsbak", &[v1.as_slice(), b"junk"].concat()), "AMS-BAK-0003", 9),
        (write("v1-tampered.amsbak", &v1_tampered), "AMS-BAK-0004", 9),
    ];
    let shown_before = shown();
    for (file, code, exit) in &v1_cases {
        let restore = ["db", "restore", file.to_str().unwrap(), "--recovery-password-stdin"];
        let (got_exit, e) = i.err(&restore, Some(V1_RECOVERY));
        assert_eq!((got_exit, e["code"].as_str().unwrap()), (*exit, *code), "{}: {e}", file.display());
        let verify = ["db", "verify", file.to_str().unwrap(), "--recovery-password-stdin"];
        let (got_exit, e) = i.err(&verify, Some(V1_RECOVERY));
        assert_eq!((got_exit, e["code"].as_str().unwrap()), (*exit, *code), "verify {}: {e}", file.display());
    }
    assert_eq!(shown(), shown_before, "the verbs show the same instance");
}

/// A format 1 backup written by main's writer before format 2 (fixtures/README.md).
const V1_FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/backup-v1.amsbak");
const V1_RECOVERY: &str = "v1 fixture recovery passphrase";

/// The offset just after the `n`-th newline.
fn nth_newline(bytes: &[u8], n: usize) -> usize {
    bytes.iter().enumerate().filter(|(_, c)| **c == b'\n').nth(n - 1).unwrap().0 + 1
}

/// A format 2 backup written by main's writer before format 3 (fixtures/README.md).
const V2_FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/backup-v2.amsbak");
const V2_RECOVERY: &str = "v2 fixture recovery passphrase";

/// A backup file of an older format (`version`) written by an older writer: it verifies and
/// restores in place, and a backup of the restored instance is written in format 3.
fn an_old_backup_still_verifies_and_restores(fixture: &str, version: u64, recovery: &str, password_set: &str) {
    let fixture = std::fs::read(fixture).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("old.amsbak");
    std::fs::write(&file, &fixture).unwrap();
    let f = file.to_str().unwrap();
    let nowhere = tmp.path().join("no-instance");
    let v = ok_in(&nowhere, &["db", "verify", f, "--recovery-password-stdin"], Some(recovery));
    assert_eq!((v["Manifest"]["FormatVersion"].clone(), v["Authenticated"].clone()), (version.into(), true.into()));
    assert!(v["Manifest"]["ImageSha256"].is_string() && v["Manifest"].get("ImageDigest").is_none());
    assert_eq!(v["IntegrityCheck"], "ok");
    assert!(!nowhere.exists());
    let data = tmp.path().join("restored/data");
    let r = ok_in(&data, &["db", "restore", f, "--recovery-password-stdin"], Some(recovery));
    assert_eq!(r["Authenticated"], true);
    assert_eq!(r["AuthenticatedBy"], "recovery-password");
    assert_eq!(password(&data, "fixture-pc"), password_set);
    assert_eq!(std::fs::read(&file).unwrap(), fixture, "the backup file is unchanged");
    // A backup of the restored instance is written in format 3 and verifies and restores too.
    let again = tmp.path().join("again.amsbak");
    let b = ok_in(&data, &["db", "backup", "--out", again.to_str().unwrap()], None);
    let bytes = std::fs::read(&again).unwrap();
    assert!(bytes.starts_with(b"SQLite format 3\0"));
    assert!(String::from_utf8_lossy(&bytes[bytes.len() - 39..]).starts_with("AMS-DB-BACKUP-END "));
    let v = ok_in(&data, &["db", "verify", again.to_str().unwrap()], None);
    assert_eq!((v["Manifest"]["FormatVersion"].clone(), v["AuthenticatedBy"].clone()), (3.into(), "host-key".into()));
    assert_eq!(v["Manifest"]["ImageDigest"], b["ImageDigest"]);
    assert!(v["Manifest"].get("ImageSha256").is_none());
    // The digest is the one the format documents: SHA-256 over the 4 MiB chunks' SHA-256s.
    let image_len = v["Manifest"]["ImageBytes"].as_u64().unwrap() as usize;
    let list: Vec<u8> = bytes[..image_len].chunks(4 << 20).flat_map(sha256).collect();
    assert_eq!(b["ImageDigest"], format!("sha256-chunks-4MiB:{}", hex(&sha256(&list))));
    // Verify and restore read the file in place: nothing is written beside it, nor to it.
    let data2 = tmp.path().join("restored-2/data");
    ok_in(&data2, &["db", "restore", again.to_str().unwrap(), "--recovery-password-stdin"], Some(recovery));
    assert_eq!(password(&data2, "fixture-pc"), password_set);
    assert_eq!(std::fs::read(&again).unwrap(), bytes);
    let beside: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("again") || n.starts_with('.'))
        .collect();
    assert_eq!(beside, ["again.amsbak"]);
}

#[test]
fn a_format_1_backup_still_verifies_and_restores() {
    assert!(std::fs::read(V1_FIXTURE).unwrap().starts_with(b"AMS-DB-BACKUP/1\n"));
    an_old_backup_still_verifies_and_restores(V1_FIXTURE, 1, V1_RECOVERY, "Fixture-V1-Password-1");
}

#[test]
fn a_format_2_backup_still_verifies_and_restores() {
    let bytes = std::fs::read(V2_FIXTURE).unwrap();
    assert!(bytes.starts_with(b"SQLite format 3\0"));
    let footer = String::from_utf8_lossy(&bytes[bytes.len() - 39..]).into_owned();
    let header_at: usize = footer.strip_prefix("AMS-DB-BACKUP-END ").unwrap().trim_end().parse().unwrap();
    assert!(bytes[header_at..].starts_with(b"AMS-DB-BACKUP/2\n"));
    an_old_backup_still_verifies_and_restores(V2_FIXTURE, 2, V2_RECOVERY, "Fixture-V2-Password-1");
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn sha256(b: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(b).to_vec()
}

#[test]
fn verify_with_and_without_the_recovery_password() {
    let i = Instance::with_recovery(RECOVERY);
    let dev = i.device("pc1");
    i.ok(&["agent", "submit-password", "--device-id", &dev], Some("Canary-Verify-1"));
    let file = i.backup("v.amsbak");
    let f = file.to_str().unwrap();
    // On the instance's own host, its key checks the seal.
    let v = i.ok(&["db", "verify", f], None);
    assert_eq!((v["Authenticated"].clone(), v["AuthenticatedBy"].clone()), (Value::Bool(true), "host-key".into()));
    assert_eq!(v["RecoveryPasswordChecked"], false);
    // Elsewhere, without an instance, nothing can: refused unless the admin accepts the risk.
    let nowhere = i.path("no-instance");
    let (exit, e) = err_in(&nowhere, &["db", "verify", f], None);
    assert_eq!((exit, e["code"].as_str().unwrap()), (6, "AMS-BAK-0008"));
    let v = ok_in(&nowhere, &["db", "verify", f, "--insecure-skip-authentication"], None);
    assert_eq!(v["ChecksumsOk"], true);
    assert_eq!(v["IntegrityCheck"], "ok");
    assert_eq!(v["RecoveryPasswordChecked"], false);
    assert_eq!(v["Authenticated"], false);
    assert!(!v["Warnings"].as_array().unwrap().is_empty());
    assert_eq!(v["Manifest"]["SchemaVersion"], v["TargetVersion"]);
    assert_eq!(v["Manifest"]["HostKeyProtectorIncluded"], false);
    assert!(!nowhere.exists());
    let v = ok_in(&nowhere, &["db", "verify", f, "--recovery-password-stdin"], Some(&format!("{RECOVERY}\n")));
    assert_eq!(v["RecoveryPasswordChecked"], true);
    assert_eq!(v["Authenticated"], true);
    assert_eq!(v["AuthenticatedBy"], "recovery-password");
    assert_eq!(v["SecretsOpened"], 4, "certificate key, registration key, derivation root, password");
    let (exit, e) = err_in(&nowhere, &["db", "verify", f, "--recovery-password-stdin"], Some("wrong wrong wrong\n"));
    assert_eq!((exit, e["code"].as_str().unwrap()), (6, "AMS-KEY-0002"));
    let (exit, _) = err_in(&nowhere, &["db", "verify", f, "--recovery-password-stdin"], Some(""));
    assert_eq!(exit, 2, "no password on stdin is a usage error");
    // After a recovery password change, the backup still opens with the one in force when it was taken.
    i.ok(&["key", "recovery-password", "set"], Some("a brand new recovery passphrase\n"));
    ok_in(&nowhere, &["db", "verify", f, "--recovery-password-stdin"], Some(RECOVERY));
    let (_, e) =
        err_in(&nowhere, &["db", "verify", f, "--recovery-password-stdin"], Some("a brand new recovery passphrase"));
    assert_eq!(e["code"], "AMS-KEY-0002");
}

#[test]
fn restore_is_refused_while_another_process_holds_the_instance_unless_forced() {
    let i = Instance::with_recovery(RECOVERY);
    let dev = i.device("pc1");
    i.ok(&["agent", "submit-password", "--device-id", &dev], Some("Canary-Hold-1"));
    let file = i.backup("hold.amsbak");
    let f = file.to_str().unwrap();
    i.ok(&["agent", "submit-password", "--device-id", &dev], Some("Canary-Hold-2"));

    // Another ams process holds the instance (a long-running one, like a service).
    let holder = ams_core::Ams::open(&ams_core::OpenOptions::new(&i.dir)).unwrap();
    let (exit, e) = i.err(&["db", "restore", f], None);
    assert_eq!((exit, e["code"].as_str().unwrap()), (4, "AMS-BAK-0006"));
    assert!(e["hint"].as_str().unwrap().contains("--force"));
    assert_eq!(password(&i.dir, "pc1"), "Canary-Hold-2");
    let r = i.ok(&["db", "restore", f, "--force"], None);
    assert_eq!(r["Forced"], true);
    assert_eq!(r["Authenticated"], true);
    assert_eq!(r["RecoveryMode"], false);
    let copy = PathBuf::from(r["ReplacedDatabaseCopy"].as_str().unwrap());
    assert!(copy.file_name().unwrap().to_string_lossy().starts_with("ams.db.replaced-"));
    assert_eq!(password(&i.dir, "pc1"), "Canary-Hold-1");
    // The holder sees the restored content, like any other commit.
    let k = holder.unlock().unwrap();
    let pw =
        holder.password_current(&k, &ams_core::service::devices::DeviceSelector::Id(dev.clone())).unwrap().password;
    assert_eq!(pw, "Canary-Hold-1");
    drop(holder);
    assert_eq!(dump(&copy).iter().filter(|r| r.starts_with("device_passwords:")).count(), 2);

    // A process that has the database open without the ams lock (here: plain SQLite) also holds it.
    if !skipped_on_sql_server("the part where plain SQLite holds the database file (there is no file)") {
        let raw = rusqlite::Connection::open(i.dir.join("ams.db")).unwrap();
        let _: i64 = raw.query_row("SELECT count(*) FROM devices", [], |r| r.get(0)).unwrap();
        let (exit, e) = i.err(&["db", "restore", f], None);
        assert_eq!((exit, e["code"].as_str().unwrap()), (4, "AMS-BAK-0006"));
        drop(raw);
    }

    // Nobody holds it: the restored file is renamed into place, the old one kept as a dated copy.
    i.ok(&["agent", "submit-password", "--device-id", &dev], Some("Canary-Hold-3"));
    let r = i.ok(&["db", "restore", f], None);
    assert_eq!(r["Forced"], false);
    assert_eq!(r["RecoveryMode"], false);
    let copies = files_starting(&i.dir, "ams.db.replaced-");
    assert_eq!(copies.len(), 2, "{copies:?}");
    assert_eq!(password(&i.dir, "pc1"), "Canary-Hold-1");
    let newest = PathBuf::from(r["ReplacedDatabaseCopy"].as_str().unwrap());
    assert!(dump(&newest).iter().any(|r| r.starts_with("audit_log:") && r.contains("password.upload")));
    assert!(files_starting(&i.dir, ".").is_empty(), "no temporary files are left");
    let audit = i.ok(&["audit", "get", "--limit", "1000"], None);
    assert!(audit.as_array().unwrap().iter().any(|a| a["Event"] == "db.restore"));
}

#[test]
fn an_older_schema_backup_is_migrated_forward_on_restore() {
    let i = Instance::with_recovery(RECOVERY);
    // A v1 instance is made by hand from a SQLite instance's file: this one's, or on SQL Server
    // (no file) that of a SQLite instance beside it, whose backup is then restored into this one.
    let sqlite_side = on_sql_server().then(Instance::sqlite);
    let src = sqlite_side.as_ref().unwrap_or(&i);
    let old_dir = i.path("v1-instance");
    std::fs::create_dir(&old_dir).unwrap();
    for name in ["host.toml", "host.key"] {
        std::fs::copy(src.dir.join(name), old_dir.join(name)).unwrap();
    }
    let v1 = ams_core::store::migrate::SQLITE_MIGRATIONS[0];
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
        conn.execute("ATTACH ?1 AS src", [src.dir.join("ams.db").to_string_lossy().as_ref()]).unwrap();
        for t in ["instance", "master_keys", "key_protectors", "service_settings", "audit_log"] {
            conn.execute(&format!("INSERT INTO main.{t} SELECT * FROM src.{t}"), []).unwrap();
        }
    }
    assert_eq!(ok_in(&old_dir, &["db", "status"], None)["SchemaVersion"], 1);
    let file = i.path("v1.amsbak");
    let b = ok_in(&old_dir, &["db", "backup", "--out", file.to_str().unwrap()], None);
    assert_eq!(b["SchemaVersion"], 1);
    let v = ok_in(&old_dir, &["db", "verify", file.to_str().unwrap()], None);
    assert_eq!(v["MigrationNeeded"], true);

    // Restored over the v1 instance itself: migrated, and it opens at once on the same host.
    let r = ok_in(&old_dir, &["db", "restore", file.to_str().unwrap()], None);
    assert_eq!(r["BackupSchemaVersion"], 1);
    let target = ams_core::store::migrate::target_version();
    assert_eq!(r["SchemaVersion"], target);
    let later: Vec<u32> = ams_core::store::migrate::SQLITE_MIGRATIONS.iter().skip(1).map(|m| m.version).collect();
    assert_eq!(r["Migrated"], serde_json::json!(later));
    assert_eq!(r["RecoveryMode"], false);
    let st = ok_in(&old_dir, &["db", "status"], None);
    assert_eq!(st["PendingMigrations"].as_array().unwrap().len(), 0);
    assert_eq!(ok_in(&old_dir, &["device", "get"], None), serde_json::json!([]));
    ok_in(&old_dir, &["cert", "new", "--key-size", "3072"], None);

    // On SQL Server: the v1 backup restored into the server database (another instance's, so with
    // that instance's recovery password) is migrated forward and opens at once there too.
    if sqlite_side.is_some() {
        let r = i.ok(&["db", "restore", file.to_str().unwrap(), "--recovery-password-stdin"], Some(DEFAULT_RECOVERY));
        assert_eq!(r["BackupSchemaVersion"], 1);
        assert_eq!(r["SchemaVersion"], target);
        assert_eq!(r["Migrated"], serde_json::json!(later));
        assert_eq!(r["RecoveryMode"], false);
        assert_eq!(r["AuthenticatedBy"], "recovery-password");
        assert_eq!(i.ok(&["db", "status"], None)["PendingMigrations"].as_array().unwrap().len(), 0);
        assert_eq!(i.ok(&["device", "get"], None), serde_json::json!([]));
        i.ok(&["cert", "new", "--key-size", "3072"], None);
    }
}

#[test]
fn scheduled_backups_go_to_the_backup_folder_and_are_pruned() {
    let i = Instance::with_recovery(RECOVERY);
    // The schedule is part of the service configuration.
    let cfg = i.ok(&["service-config", "get"], None);
    let names: Vec<&str> = cfg["Settings"].as_array().unwrap().iter().map(|s| s["Name"].as_str().unwrap()).collect();
    for n in ["BackupEnabled", "BackupIntervalHours", "BackupRetentionCount", "BackupFolder"] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }
    i.ok(&["service-config", "set", "--setting", "BackupRetentionCount=2", "--setting", "BackupIntervalHours=0"], None);
    let folder = i.dir.join("backups");
    let mut pruned_total = 0;
    let mut made = Vec::new();
    for _ in 0..4 {
        let r = i.ok(&["db", "backup", "--scheduled"], None);
        assert_eq!(r["BackedUp"], true);
        assert_eq!(r["Folder"], folder.to_str().unwrap());
        made.push(r["Backup"]["File"].as_str().unwrap().to_string());
        pruned_total += r["Pruned"].as_array().unwrap().len();
    }
    assert_eq!(pruned_total, 2);
    let left: Vec<String> = files_starting(&folder, "ams-backup-").iter().map(|p| p.display().to_string()).collect();
    assert_eq!(left, made[2..].to_vec());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&folder).unwrap().permissions().mode() & 0o777, 0o700);
    }
    // A manual backup in the folder is never pruned.
    let manual = folder.join("before-upgrade.amsbak");
    i.ok(&["db", "backup", "--out", manual.to_str().unwrap()], None);
    i.ok(&["db", "backup", "--scheduled"], None);
    assert!(manual.exists());
    assert_eq!(files_starting(&folder, "ams-backup-").len(), 2);
    // With the default interval (24 h) a second run the same day is skipped.
    {
        use ams_core::service::settings::BACKUP_INTERVAL_HOURS;
        // The library API sets it too.
        let ams = ams_core::Ams::open(&ams_core::OpenOptions::new(&i.dir)).unwrap();
        ams.set_int_setting(&BACKUP_INTERVAL_HOURS, 24).unwrap();
    }
    let r = i.ok(&["db", "backup", "--scheduled"], None);
    assert_eq!(r["BackedUp"], false);
    assert!(r["NextDue"].is_string());
    // Another folder, relative to the data directory.
    i.ok(&["service-config", "set", "--setting", "BackupFolder=elsewhere", "--setting", "BackupIntervalHours=0"], None);
    let r = i.ok(&["db", "backup", "--scheduled"], None);
    assert_eq!(r["Folder"], i.dir.join("elsewhere").to_str().unwrap());
    assert_eq!(files_starting(&i.dir.join("elsewhere"), "ams-backup-").len(), 1);
    // --out and --scheduled exclude each other; one of them is needed.
    assert_eq!(i.err(&["db", "backup"], None).0, 2);
    assert_eq!(i.err(&["db", "backup", "--scheduled", "--out", "x"], None).0, 2);
    // An existing file is never overwritten.
    let (exit, e) = i.err(&["db", "backup", "--out", manual.to_str().unwrap()], None);
    assert_eq!((exit, e["code"].as_str().unwrap()), (4, "AMS-GEN-0006"));
}

#[test]
fn no_secret_appears_in_plain_text_in_a_backup() {
    let i = Instance::with_recovery(RECOVERY);
    let dev = i.device("pc1");
    let canary = "Canary-Backup-Leak-51d2";
    i.ok(&["agent", "submit-password", "--device-id", &dev], Some(canary));
    i.ok(
        &["agent", "submit-bitlocker-key", "--device-id", &dev, "--key-id", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"],
        Some(BITLOCKER),
    );
    let reg_key =
        i.ok(&["device-registration-key", "new", "--name", "leak"], None)["Key"].as_str().unwrap().to_string();
    let file = i.backup("leak.amsbak");
    let scheduled = i.ok(&["db", "backup", "--scheduled"], None)["Backup"]["File"].as_str().unwrap().to_string();
    let host_key: Value = serde_json::from_slice(&std::fs::read(i.dir.join("host.key")).unwrap()).unwrap();
    let host_key = host_key["key"].as_str().unwrap().to_string();
    for f in [file, PathBuf::from(scheduled)] {
        let bytes = std::fs::read(&f).unwrap();
        for needle in [canary, &BITLOCKER[..13], RECOVERY, &reg_key, &host_key] {
            assert!(!contains(&bytes, needle.as_bytes()), "{needle} is in plain text in {}", f.display());
        }
    }
}

#[test]
fn sql_server_instances_are_told_to_use_the_platform_tools() {
    // Backups and restores of a SQL Server instance copy rows through the engine, so they need a
    // well-formed string and the server.
    let i = Instance::new();
    let file = i.backup("for-mssql.amsbackup");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("mssql");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("host.toml"),
        "version = 1\ndatabase = \"Server=sql1.example.test;Initial Catalog=AccessManager;\"\n",
    )
    .unwrap();
    let restore = err_in(&dir, &["db", "restore", file.to_str().unwrap()], None);
    let backup = err_in(&dir, &["db", "backup", "--out", tmp.path().join("x").to_str().unwrap()], None);
    for (exit, e) in [restore, backup] {
        // With SQL Server support both go through the engine (this string has no login); a
        // build without it points to the platform's tools.
        #[cfg(feature = "mssql")]
        assert_eq!((exit, e["code"].as_str().unwrap()), (5, "AMS-MSSQL-0001"), "{e}");
        #[cfg(not(feature = "mssql"))]
        {
            assert_eq!((exit, e["code"].as_str().unwrap()), (10, "AMS-BAK-0005"));
            assert!(e["hint"].as_str().unwrap().contains("RESTORE DATABASE"));
        }
    }
    assert!(!tmp.path().join("x").exists());
}
