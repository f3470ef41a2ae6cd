//! Crash safety: `ams` processes doing writes, key rotations, backups, restores and migrations are
//! killed with SIGKILL
//! at random moments. After every kill the harness checks that the database opens, SQLite's
//! integrity check passes, every write the killed process had reported as committed is present,
//! the master key unwraps and every secret opens.
//!
//! Short form (part of `cargo test`): 25 kills. Long form:
//! `AMS_CRASH_KILLS=200 cargo test -p ams-cli --test crash -- --nocapture`.
#![cfg(unix)]

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ams_core::service::devices::DeviceSelector;
use ams_core::{Ams, OpenOptions};
use serde_json::Value;

mod common;

const RECOVERY: &str = "crash harness recovery passphrase";

/// A small deterministic generator (xorshift64*), seeded per run and printed for replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn ams(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ams"));
    c.env_remove("AMS_DATA_DIR").arg("--data-dir").arg(dir);
    c
}

fn run_ok(dir: &Path, args: &[&str], stdin: &str) -> Value {
    let mut child =
        ams(dir).args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "ams {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

struct World {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    devices: Vec<String>,
    group: String,
    /// Password row ids whose upload `ams` reported as committed.
    committed_uploads: HashSet<String>,
    /// The last group description reported as committed, and the later ones of the same batch
    /// (committed or not when the kill came): the one in force must be among them.
    last_description: Option<String>,
    later_descriptions: Vec<String>,
    checks: u64,
}

impl World {
    fn new() -> World {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        run_ok(&dir, &["init"], RECOVERY);
        run_ok(&dir, &["cert", "new", "--key-size", "3072"], "");
        let key = run_ok(&dir, &["device-registration-key", "new", "--name", "crash"], "")["Key"]
            .as_str()
            .unwrap()
            .to_string();
        let devices = (0..4)
            .map(|i| {
                let r = run_ok(&dir, &["agent", "register", "--name", &format!("crash{i}"), "--os", "linux"], &key);
                let id = r["DeviceId"].as_str().unwrap().to_string();
                run_ok(&dir, &["agent", "submit-password", "--device-id", &id, "--generate"], "");
                id
            })
            .collect();
        let group = run_ok(&dir, &["group", "new", "--name", "crash-group"], "")["Id"].as_str().unwrap().to_string();
        // Keep the whole history, so every committed upload must still be there at the end.
        Ams::open(&OpenOptions::new(&dir))
            .unwrap()
            .set_int_setting(&ams_core::service::settings::PASSWORD_HISTORY_KEEP_COUNT, 0)
            .unwrap();
        World {
            _tmp: tmp,
            dir,
            devices,
            group,
            committed_uploads: HashSet::new(),
            last_description: None,
            later_descriptions: Vec::new(),
            checks: 0,
        }
    }

    /// Starts a batch of writes; returns the child and the request lines in order.
    fn start_writes(&self, rng: &mut Rng, n: usize) -> (Child, Vec<Value>) {
        let mut lines = Vec::new();
        for i in 0..n {
            let req = if rng.below(2) == 0 {
                let d = &self.devices[(rng.below(self.devices.len() as u64)) as usize];
                serde_json::json!({"verb": "agent submit-password", "parameters": {"DeviceId": d, "Generate": true}})
            } else {
                serde_json::json!({"verb": "group set", "parameters": {"Id": self.group, "Description": format!("d-{}-{i}", rng.next())}})
            };
            lines.push(req);
        }
        let mut child = ams(&self.dir)
            .arg("batch")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let text: String = lines.iter().map(|l| l.to_string() + "\n").collect();
        // Write from a thread: the child may be killed before it reads everything.
        std::thread::spawn(move || {
            let _ = stdin.write_all(text.as_bytes());
        });
        (child, lines)
    }

    /// Records what the killed batch reported as committed (complete NDJSON lines only).
    fn collect(&mut self, child: Child, lines: &[Value]) {
        let out = child.wait_with_output().unwrap();
        let reader = BufReader::new(&out.stdout[..]);
        let mut last_reported: Option<usize> = None;
        for line in reader.lines().map_while(Result::ok) {
            let Ok(v) = serde_json::from_str::<Value>(&line) else { continue }; // a torn last line
            if v["ok"] != true {
                continue;
            }
            let i = v["index"].as_u64().unwrap() as usize;
            match lines[i]["verb"].as_str().unwrap() {
                "agent submit-password" => {
                    self.committed_uploads.insert(v["result"]["Id"].as_str().unwrap().to_string());
                }
                _ => {
                    self.last_description = Some(lines[i]["parameters"]["Description"].as_str().unwrap().to_string());
                    last_reported = Some(i);
                }
            }
        }
        // Requests after the last reported one may have committed before the kill without being
        // reported; the one in force may be any of them.
        let from = last_reported.map_or(0, |i| i + 1);
        let later: Vec<String> = lines[from..]
            .iter()
            .filter(|l| l["verb"] == "group set")
            .map(|l| l["parameters"]["Description"].as_str().unwrap().to_string())
            .collect();
        if last_reported.is_some() {
            self.later_descriptions = later;
        } else {
            self.later_descriptions.extend(later);
        }
    }

    /// Every check after a kill; returns the number of losses found (must be 0). Opening every
    /// history entry costs one RSA operation each and the history only grows, so `open_history`
    /// asks for it periodically and at the end; the other checks run after every kill.
    fn check(&mut self, open_history: bool) -> u64 {
        let db = self.dir.join("ams.db");
        let conn = rusqlite::Connection::open(&db).unwrap();
        let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(ok, "ok", "integrity check");
        let mut losses = 0;
        for id in &self.committed_uploads {
            let n: i64 =
                conn.query_row("SELECT COUNT(*) FROM device_passwords WHERE id = ?1", [id], |r| r.get(0)).unwrap();
            if n != 1 {
                losses += 1;
                eprintln!("LOST committed upload {id}");
            }
        }
        if let Some(d) = &self.last_description {
            let have: String = conn
                .query_row("SELECT description FROM device_groups WHERE id = ?1", [&self.group], |r| r.get(0))
                .unwrap();
            if &have != d && !self.later_descriptions.contains(&have) {
                losses += 1;
                eprintln!("LOST committed group change: have {have}, want {d}");
            }
        }
        drop(conn);
        let ams = Ams::open(&OpenOptions::new(&self.dir)).expect("the database opens");
        let keyring = ams.unlock().expect("the master key unwraps");
        for d in &self.devices {
            ams.password_current(&keyring, &DeviceSelector::Id(d.clone())).expect("every current password opens");
            if open_history {
                let h =
                    ams.password_history(&keyring, &DeviceSelector::Id(d.clone())).expect("every history entry opens");
                assert!(h.iter().all(|p| p.unreadable.is_none()), "a history entry lost its key");
            }
        }
        ams.reg_keys(&keyring, None, None, None).expect("registration keys open");
        self.checks += 1;
        losses
    }
}

fn kill_after(mut child: Child, rng: &mut Rng, max_ms: u64) -> Child {
    std::thread::sleep(Duration::from_millis(rng.below(max_ms)));
    let _ = child.kill(); // SIGKILL
    child
}

#[test]
fn sigkill_at_random_moments_loses_nothing_committed() {
    if common::skipped_on_sql_server(
        "this harness checks the SQLite file after every kill (integrity check, committed rows)",
    ) {
        return;
    }
    let kills: u64 = std::env::var("AMS_CRASH_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(25);
    let seed = std::env::var("AMS_CRASH_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
        let t = std::time::SystemTime::UNIX_EPOCH.elapsed().map(|d| d.as_nanos() as u64).unwrap_or(1);
        t | 1
    });
    eprintln!("crash harness: seed {seed} (replay with AMS_CRASH_SEED={seed})");
    let mut rng = Rng(seed);
    let mut w = World::new();
    let mut losses = 0;
    let mut by_kind = [0u64; 5];
    let mut backups_complete = 0u64;
    let mut backups_absent = 0u64;
    let mut n_backup = 0u64;
    for k in 0..kills {
        let kind = (k % 5) as usize;
        by_kind[kind] += 1;
        match kind {
            0 | 1 => {
                // Uploads and group changes through one batch process.
                let (child, lines) = w.start_writes(&mut rng, 40);
                let child = kill_after(child, &mut rng, 400);
                w.collect(child, &lines);
            }
            3 => {
                // An online backup killed part-way: the file is complete and verifiable, or absent.
                n_backup += 1;
                let out = w.dir.parent().unwrap().join(format!("crash-{n_backup}.amsbak"));
                let child = ams(&w.dir)
                    .args(["db", "backup", "--out", out.to_str().unwrap()])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap();
                let child = kill_after(child, &mut rng, 120);
                let _ = child.wait_with_output();
                if out.exists() {
                    run_ok(&w.dir, &["db", "verify", out.to_str().unwrap()], "");
                    backups_complete += 1;
                } else {
                    backups_absent += 1;
                }
            }
            4 => {
                // A restore killed part-way: the instance holds either its old content or the backup's.
                let backup = w.dir.parent().unwrap().join(format!("restore-src-{k}.amsbak"));
                run_ok(&w.dir, &["db", "backup", "--out", backup.to_str().unwrap()], "");
                // A write after the backup: present if the restore did not happen, gone if it did.
                let dev = w.devices[0].clone();
                let after = run_ok(&w.dir, &["agent", "submit-password", "--device-id", &dev, "--generate"], "");
                let after_id = after["Id"].as_str().unwrap().to_string();
                let child = ams(&w.dir)
                    .args(["db", "restore", backup.to_str().unwrap()])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap();
                let child = kill_after(child, &mut rng, 300);
                let _ = child.wait_with_output();
                let conn = rusqlite::Connection::open(w.dir.join("ams.db")).unwrap();
                let present: i64 = conn
                    .query_row("SELECT COUNT(*) FROM device_passwords WHERE id = ?1", [&after_id], |r| r.get(0))
                    .unwrap();
                drop(conn);
                if present == 1 {
                    w.committed_uploads.insert(after_id);
                }
                // Nothing else was written between the backup and the restore, so every other
                // committed write must be present whether or not the restore happened (check below).
            }
            _ => {
                // Master-key rotation (re-seals every secret in one transaction).
                let mut child = ams(&w.dir)
                    .args(["key", "rotate"])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap();
                let _ = child.stdin.take().unwrap().write_all(RECOVERY.as_bytes());
                let child = kill_after(child, &mut rng, 300);
                let _ = child.wait_with_output();
            }
        }
        losses += w.check(k % 10 == 9 || k + 1 == kills);
    }
    // Migrations killed mid-way: a database at V0001 only, migrated and killed.
    let mut migration_kills = 0;
    for _ in 0..(kills / 8).max(2) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("m");
        std::fs::create_dir_all(&dir).unwrap();
        {
            let conn = rusqlite::Connection::open(dir.join("ams.db")).unwrap();
            let first = ams_core::store::migrate::SQLITE_MIGRATIONS[0];
            conn.execute_batch(
                "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT",
            )
            .unwrap();
            conn.execute_batch(first.sql).unwrap();
            conn.execute("INSERT INTO schema_migrations VALUES (1, ?1, ?2, 't')", [first.name, &first.checksum()])
                .unwrap();
        }
        let child = ams(&dir).args(["db", "migrate"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let child = kill_after(child, &mut rng, 40);
        let _ = child.wait_with_output();
        migration_kills += 1;
        // Whatever happened, the database opens, passes the integrity check, and either is current or
        // finishes migrating cleanly now.
        let conn = rusqlite::Connection::open(dir.join("ams.db")).unwrap();
        let ok: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(ok, "ok");
        drop(conn);
        run_ok(&dir, &["db", "migrate"], "");
        let st = run_ok(&dir, &["db", "status"], "");
        assert!(st["PendingMigrations"].as_array().unwrap().is_empty());
        w.checks += 1;
    }
    println!(
        "crash: kills={} (writes {}, rotations {}, backups {} [{} complete, {} absent], restores {}, migrations {}), checks={}, committed uploads tracked={}, losses={losses}",
        kills + migration_kills,
        by_kind[0] + by_kind[1],
        by_kind[2],
        by_kind[3],
        backups_complete,
        backups_absent,
        by_kind[4],
        migration_kills,
        w.checks,
        w.committed_uploads.len()
    );
    assert_eq!(losses, 0, "committed writes were lost");
}

/// Notifications: `ams` processes that write audited changes (each queues a message in its
/// audit record's transaction) and `ams notify run-due` processes are killed at random moments,
/// and one run is killed while its script receiver is in the middle of a delivery (after the
/// claim's commit, before the outcome's). Afterwards every committed audit record that a channel
/// routes has its message, and runs past the claim lease deliver every message at least once:
/// nothing committed is lost, and nothing was sent that was not committed.
#[test]
fn sigkill_between_the_audit_commit_and_delivery_loses_no_notification() {
    // Its kill windows (up to 300 ms) are shorter than an ams process takes to reach the T-SQL
    // test server, so there nothing would commit before a kill.
    if common::skipped_on_sql_server("its kill windows are shorter than a process takes to reach SQL Server") {
        return;
    }
    let seed = std::env::var("AMS_CRASH_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
        let t = std::time::SystemTime::UNIX_EPOCH.elapsed().map(|d| d.as_nanos() as u64).unwrap_or(1);
        t | 1
    });
    eprintln!("notify crash harness: seed {seed} (replay with AMS_CRASH_SEED={seed})");
    let mut rng = Rng(seed);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    run_ok(&dir, &["init"], RECOVERY);
    // The receiver: writes each delivery to got/<delivery id>.json; while the file `block`
    // exists it first says `started` and waits (a delivery in progress).
    let hook = tmp.path().join("hook.sh");
    std::fs::create_dir(tmp.path().join("got")).unwrap();
    std::fs::write(
        &hook,
        "#!/bin/sh\nif [ -e block ]; then : > started; while [ -e block ]; do sleep 0.02; done; fi\n\
         cat > \"got/$AMS_NOTIFICATION_ID.tmp\" && mv \"got/$AMS_NOTIFICATION_ID.tmp\" \"got/$AMS_NOTIFICATION_ID.json\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    run_ok(
        &dir,
        &[
            "notification-channel",
            "new",
            "--name",
            "hook",
            "--kind",
            "script",
            "--command",
            hook.to_str().unwrap(),
            "--route-event",
            "group",
        ],
        "",
    );
    let mut kills = 0;
    for round in 0..6 {
        // Audited writes, killed part-way.
        let lines: Vec<Value> = (0..30)
            .map(|i| serde_json::json!({"verb": "group new", "parameters": {"Name": format!("n-{round}-{i}-{}", rng.next())}}))
            .collect();
        let mut child =
            ams(&dir).arg("batch").stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(body.as_bytes());
        });
        let child = kill_after(child, &mut rng, 300);
        let _ = child.wait_with_output();
        let _ = writer.join();
        // A delivery run, killed part-way.
        let child = ams(&dir).args(["notify", "run-due"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let _ = kill_after(child, &mut rng, 200).wait();
        kills += 2;
    }
    // A run killed while the receiver is in the middle of a delivery.
    run_ok(&dir, &["group", "new", "--name", "in-flight"], "");
    std::fs::write(tmp.path().join("block"), "").unwrap();
    let mut child = ams(&dir).args(["notify", "run-due"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let started = tmp.path().join("started");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !started.exists() {
        assert!(std::time::Instant::now() < deadline, "the receiver never started");
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    kills += 1;
    std::fs::remove_file(tmp.path().join("block")).unwrap();
    let claimed = run_ok(&dir, &["notify", "queue", "get", "--state", "sending"], "");
    assert!(!claimed.as_array().unwrap().is_empty(), "the killed run left its claim");

    // Runs after the claim lease: everything is delivered.
    let later = ams_core::clock::format_time(
        ams_core::clock::parse_time(run_ok(&dir, &["notify", "run-due"], "")["Now"].as_str().unwrap()).unwrap()
            + time::Duration::hours(1),
    );
    for _ in 0..5 {
        if run_ok(&dir, &["notify", "run-due", "--now", &later], "")["Claimed"] == 0 {
            break;
        }
    }
    let queue = run_ok(&dir, &["notify", "queue", "get", "--limit", "100000"], "");
    let queue = queue.as_array().unwrap();
    let audit = run_ok(&dir, &["audit", "get", "--event", "group.new", "--limit", "100000"], "");
    let audit_ids: HashSet<String> =
        audit.as_array().unwrap().iter().map(|a| a["Id"].as_str().unwrap().to_string()).collect();
    let queued: HashSet<String> = queue.iter().map(|m| m["AuditId"].as_str().unwrap().to_string()).collect();
    assert_eq!(queued, audit_ids, "every committed group.new record has exactly its message");
    assert_eq!(queue.len(), audit_ids.len());
    let mut lost = 0;
    for m in queue {
        assert_eq!(m["State"], "Delivered", "{m}");
        let got = tmp.path().join("got").join(format!("{}.json", m["Id"].as_str().unwrap()));
        match std::fs::read(&got) {
            Ok(b) => {
                let doc: Value = serde_json::from_slice(&b).unwrap();
                assert_eq!(doc["EventId"], m["AuditId"]);
            }
            Err(_) => lost += 1,
        }
    }
    let ids: HashSet<String> = queue.iter().map(|m| m["Id"].as_str().unwrap().to_string()).collect();
    for e in std::fs::read_dir(tmp.path().join("got")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().to_string();
        if let Some(id) = name.strip_suffix(".json") {
            assert!(ids.contains(id), "{id} was delivered but is not a committed message");
        }
    }
    eprintln!("notify crash: kills={kills}, messages={}, delivered files checked, lost={lost}", queue.len());
    assert_eq!(lost, 0);
    assert!(audit_ids.len() > 1);
}
