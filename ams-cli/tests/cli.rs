//! End-to-end tests of the `ams` binary: the JSON contract, exit codes, the recovery flow,
//! concurrency and secret canaries.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod common;
use common::*;

const RECOVERY: &str = common::DEFAULT_RECOVERY;

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
}

fn kind_exit(kind: &str) -> i32 {
    match kind {
        "internal" => 1,
        "usage" => 2,
        "not_found" => 3,
        "conflict" => 4,
        "invalid_input" => 5,
        "permission_denied" => 6,
        "unavailable" => 7,
        "schema_version" => 8,
        "integrity" => 9,
        "config" => 10,
        other => panic!("unknown kind {other}"),
    }
}

/// Replaces ids, times and thumbprints so JSON can be compared with a golden file.
fn normalize(v: &Value) -> Value {
    match v {
        Value::String(s) => {
            let uuid = s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4;
            let time = s.len() == 27 && s.ends_with('Z') && s.as_bytes().get(10) == Some(&b'T');
            let thumb = s.len() == 40 && s.chars().all(|c| c.is_ascii_hexdigit());
            Value::String(if uuid {
                "[uuid]".into()
            } else if time {
                "[time]".into()
            } else if thumb {
                "[thumbprint]".into()
            } else {
                s.clone()
            })
        }
        Value::Array(a) => Value::Array(a.iter().map(normalize).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), normalize(v))).collect()),
        other => other.clone(),
    }
}

/// Compares with `tests/golden/<name>.json`; `AMS_BLESS=1` rewrites the file.
fn golden(name: &str, v: &Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(format!("{name}.json"));
    let text = serde_json::to_string_pretty(&normalize(v)).unwrap() + "\n";
    if std::env::var_os("AMS_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing golden file {}; run with AMS_BLESS=1", path.display()));
    assert_eq!(text, want, "golden mismatch for {name}");
}

#[test]
fn exit_code_table_in_docs_matches_the_binary() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/exit-codes.md")).unwrap();
    let mut rows = 0;
    for line in doc.lines().filter(|l| l.starts_with("| ") && l.contains('`')) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let exit: i32 = cells[1].parse().unwrap();
        let kind = cells[2].trim_matches('`');
        assert_eq!(kind_exit(kind), exit, "{line}");
        rows += 1;
    }
    assert_eq!(rows, 10);
}

#[test]
fn usage_errors_keep_clap_detail_which_arguments_and_did_you_mean() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nothing-here");
    for (name, args) in [
        ("usage-missing-arguments", vec!["role-authorization-rule", "new", "--name", "R1"]),
        ("usage-unknown-verb", vec!["device", "gett"]),
        ("usage-unknown-flag", vec!["device", "get", "--nmae", "PC1"]),
        ("usage-bad-value", vec!["role-authorization-rule", "set", "--id", "r", "--enabled", "maybe"]),
    ] {
        let out = run_in(&missing, &args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let doc: Value = serde_json::from_slice(&out.stderr).unwrap();
        golden(name, &doc);
    }
    // The text form carries the same detail.
    let out = run_in(&missing, &["--output", "text", "device", "gett"], None);
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("unrecognized subcommand 'gett'") && text.contains("'get'"), "{text}");
}

#[test]
fn errors_are_one_json_document_with_a_matching_exit_code() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nothing-here");
    let out = run_in(&missing, &["db", "status"], None);
    assert_eq!(out.status.code(), Some(3));
    let mut doc: Value = serde_json::from_slice(&out.stderr).unwrap();
    doc["error"]["context"]["data_dir"] = Value::String("[path]".into());
    golden("error-no-instance", &doc);

    let out = run_in(&missing, &["device", "frobnicate"], None);
    assert_eq!(out.status.code(), Some(2));
    let doc: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(doc["error"]["code"], "AMS-GEN-0007");

    let out = run_in(&missing, &["device", "get", "--output", "yaml"], None);
    assert_eq!(out.status.code(), Some(2), "an unknown --output is a usage error");

    let i = Instance::new();
    for (args, code) in [
        (vec!["device", "get", "--approval-state", "Bogus"], "AMS-GEN-0007"),
        (vec!["device", "set", "--id", "nope", "--approve"], "AMS-DEV-0001"),
        (vec!["group", "remove", "--id", "S-1-4096-2-1"], "AMS-GRP-0003"),
        (vec!["local-admin-password", "get", "--computer-name", "ghost"], "AMS-DEV-0001"),
        (vec!["cert", "activate", "--thumbprint", "AB"], "AMS-CERT-0001"),
        (vec!["device-registration-key", "new", "--name", "k", "--activation-limit", "-1"], "AMS-GEN-0007"),
    ] {
        let (exit, err) = i.err(&args, None);
        assert_eq!(err["code"], code, "{args:?}: {err}");
        assert_eq!(exit, kind_exit(err["kind"].as_str().unwrap()), "{args:?}");
        assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

#[test]
fn golden_outputs_of_status_verbs() {
    let i = Instance::new();
    golden("db-status", &{
        let mut v = i.ok(&["db", "status"], None);
        v["Database"] = Value::String("[path]".into());
        // The one engine-dependent value (AMS_TEST_ENGINE puts the instance on SQL Server).
        assert_eq!(v["Engine"], if on_sql_server() { "mssql" } else { "sqlite" });
        v["Engine"] = Value::String("[engine]".into());
        v
    });
    golden("key-status", &{
        // The host name is this computer's.
        let mut v = i.ok(&["key", "status"], None);
        for h in v["HostProtectors"].as_array_mut().unwrap() {
            if h["HostName"].is_string() {
                h["HostName"] = Value::String("[host]".into());
            }
        }
        v
    });
    let g = i.ok(&["group", "new", "--name", "Servers", "--description", "All servers"], None);
    golden("group-new", &{
        let mut g = g.clone();
        g["Sid"] = Value::String("[sid]".into());
        g
    });
    golden("group-get-builtin", &i.ok(&["group", "get", "--security-identifier", "S-1-4096-2-1"], None));
    let text = i.run(&["group", "get", "--name", "Servers", "--output", "text"], None);
    let text = String::from_utf8(text.stdout).unwrap();
    // The text table shows the columns of the module's Ams.Group view; the rest stays in JSON.
    assert!(text.starts_with("Name ") && text.contains("Servers") && !text.contains("Created"), "{text}");
}

#[test]
fn a_lookup_by_id_of_something_missing_is_not_found_and_a_filter_matching_nothing_is_empty() {
    let i = Instance::new();
    let missing = "5b0c4bd8-2a1f-4c8e-9d64-3f1e2a7b9c00";
    let (exit, err) = i.err(&["group", "get", "--id", missing], None);
    assert_eq!((exit, err["code"].as_str().unwrap(), err["kind"].as_str().unwrap()), (3, "AMS-GRP-0001", "not_found"));
    let (exit, err) = i.err(&["device", "get", "--id", missing], None);
    assert_eq!((exit, err["code"].as_str().unwrap(), err["kind"].as_str().unwrap()), (3, "AMS-DEV-0001", "not_found"));
    assert_eq!(i.ok(&["group", "get", "--name", "no such group"], None), serde_json::json!([]));
    assert_eq!(i.ok(&["device", "get", "--name", "NOSUCHPC"], None), serde_json::json!([]));
    let dev = i.device("pc1");
    assert_eq!(i.ok(&["device", "get", "--id", &dev], None).as_array().unwrap().len(), 1);
}

#[test]
fn recovery_flow_end_to_end() {
    let i = Instance::new();
    let dev = i.device("pc1");
    i.ok(&["agent", "submit-password", "--device-id", &dev], Some("Canary-E2E-Password-1"));
    let pw = i.ok(&["local-admin-password", "get", "--computer-name", "pc1"], None);
    assert_eq!(pw["Password"], "Canary-E2E-Password-1");

    std::fs::remove_file(i.dir.join("host.key")).unwrap();
    let (exit, err) = i.err(&["local-admin-password", "get", "--computer-name", "pc1"], None);
    assert_eq!((exit, err["code"].as_str().unwrap()), (6, "AMS-KEY-0001"));
    assert!(err["hint"].as_str().unwrap().contains("ams key recover"));
    assert_eq!(i.err(&["cert", "new"], None).1["code"], "AMS-KEY-0001");
    let st = i.ok(&["key", "status"], None);
    assert_eq!(st["RecoveryMode"], true);

    let (exit, err) = i.err(&["key", "recover"], Some("definitely the wrong password\n"));
    assert_eq!((exit, err["code"].as_str().unwrap()), (6, "AMS-KEY-0002"));
    assert!(!i.dir.join("host.key").exists(), "a wrong password changes nothing");
    let (exit, _) = i.err(&["key", "recover"], Some(""));
    assert_eq!(exit, 2, "no password on stdin is a usage error");

    let st = i.ok(&["key", "recover"], Some(&format!("{RECOVERY}\n")));
    assert_eq!(st["RecoveryMode"], false);
    let pw = i.ok(&["local-admin-password", "get", "--computer-name", "pc1"], None);
    assert_eq!(pw["Password"], "Canary-E2E-Password-1");

    // Rotation keeps every secret readable and needs the recovery password.
    let (exit, _) = i.err(&["key", "rotate"], Some("wrong wrong wrong wrong\n"));
    assert_eq!(exit, 6);
    let r = i.ok(&["key", "rotate"], Some(RECOVERY));
    assert_ne!(r["MasterKeyId"], r["PreviousMasterKeyId"]);
    assert_eq!(
        i.ok(&["local-admin-password", "get", "--computer-name", "pc1"], None)["Password"],
        "Canary-E2E-Password-1"
    );
}

#[test]
fn init_with_a_generated_recovery_password_prints_it_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("d");
    let out = run_in(&dir, &["init", "--generate-recovery-password"], None);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let pw = v["RecoveryPassword"].as_str().unwrap().to_string();
    assert!(v["RecoveryPasswordNotice"].as_str().unwrap().contains("only this once"));
    assert!(!run_in(&dir, &["key", "status"], None).stdout.windows(pw.len()).any(|w| w == pw.as_bytes()));
    std::fs::remove_file(dir.join("host.key")).unwrap();
    assert!(run_in(&dir, &["key", "recover"], Some(&pw)).status.success());
    // A weak recovery password is refused at init; a second init is refused.
    let weak = run_in(&tmp.path().join("e"), &["init"], Some("short\n"));
    assert_eq!(weak.status.code(), Some(5));
    assert!(!tmp.path().join("e/host.key").exists());
    let again = run_in(&dir, &["init"], Some("another long passphrase\n"));
    assert_eq!(again.status.code(), Some(4));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("host.key")), 0o600);
        assert_eq!(mode(&dir.join("ams.db")), 0o600);
        // Loose permissions found at open are reported by `key status`.
        assert_eq!(ok_in(&dir, &["key", "status"], None)["PermissionWarnings"], serde_json::json!([]));
        std::fs::set_permissions(dir.join("ams.db"), std::fs::Permissions::from_mode(0o644)).unwrap();
        let w = ok_in(&dir, &["key", "status"], None)["PermissionWarnings"].clone();
        assert!(w[0].as_str().unwrap().starts_with("ams.db"), "{w}");
        std::fs::set_permissions(dir.join("ams.db"), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

#[test]
fn schema_problems_are_refused_with_coded_errors() {
    // A current instance has nothing to migrate: --print-sql prints an empty script.
    let current = Instance::new();
    let printed = current.ok(&["db", "migrate", "--print-sql"], None);
    assert_eq!(
        (printed["Script"].as_str(), printed["PendingMigrations"].as_array().map(Vec::len)),
        (Some(""), Some(0))
    );
    // The rest edits schema_migrations in the SQLite file to make each schema problem (the
    // store contract suite checks the SQL Server engine's migration checks).
    if skipped_on_sql_server("the schema problems are made by editing schema_migrations in the SQLite file") {
        return;
    }
    let i = Instance::new();
    let conn = rusqlite::Connection::open(i.dir.join("ams.db")).unwrap();
    conn.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1", []).unwrap();
    let (exit, err) = i.err(&["device", "get"], None);
    assert_eq!((exit, err["code"].as_str().unwrap()), (8, "AMS-DB-0003"));
    assert_eq!(i.err(&["db", "status"], None).1["code"], "AMS-DB-0003");
    conn.execute(
        "UPDATE schema_migrations SET checksum = (SELECT checksum FROM schema_migrations WHERE version = 1) WHERE 0",
        [],
    )
    .unwrap();
    // Restore the checksum from a fresh instance, then add a future migration.
    let fresh = Instance::new();
    let good: String = rusqlite::Connection::open(fresh.dir.join("ams.db"))
        .unwrap()
        .query_row("SELECT checksum FROM schema_migrations WHERE version = 1", [], |r| r.get(0))
        .unwrap();
    conn.execute("UPDATE schema_migrations SET checksum = ?1 WHERE version = 1", [&good]).unwrap();
    i.ok(&["device", "get"], None);
    conn.execute("INSERT INTO schema_migrations VALUES (99, 'future', 'x', 't')", []).unwrap();
    let (exit, err) = i.err(&["device", "get"], None);
    assert_eq!((exit, err["code"].as_str().unwrap()), (8, "AMS-DB-0002"));
    conn.execute("DELETE FROM schema_migrations WHERE version >= 2", []).unwrap();
    let (exit, err) = i.err(&["device", "get"], None);
    assert_eq!((exit, err["code"].as_str().unwrap()), (8, "AMS-DB-0004"));
    let st = i.ok(&["db", "status"], None);
    let pending = st["PendingMigrations"].as_array().unwrap().len() as u64;
    let after_first = ams_core::store::migrate::SQLITE_MIGRATIONS.len() as u64 - 1;
    assert_eq!(pending, after_first, "every migration after the first is pending");
    // --print-sql prints the pending migrations as one script and changes nothing.
    let printed = i.ok(&["db", "migrate", "--print-sql"], None);
    assert_eq!(printed["Engine"], "sqlite");
    assert_eq!(printed["PendingMigrations"].as_array().unwrap().len() as u64, after_first);
    let script = printed["Script"].as_str().unwrap();
    assert!(script.contains("-- V0002__data_plane") && !script.contains("-- V0001__"), "{script}");
    assert!(script.contains("INSERT INTO schema_migrations") && script.trim_end().ends_with("COMMIT;"));
    let again = i.ok(&["db", "status"], None);
    assert_eq!(again["PendingMigrations"].as_array().unwrap().len() as u64, after_first, "nothing was applied");
}

#[test]
fn several_processes_write_at_once_without_failures() {
    let i = Instance::new();
    let dev = i.device("pc1");
    let g = i.ok(&["group", "new", "--name", "busy"], None)["Id"].as_str().unwrap().to_string();
    let key = i.ok(&["device-registration-key", "new", "--name", "bulk"], None)["Key"].as_str().unwrap().to_string();
    let workers: Vec<_> = (0..6)
        .map(|w| {
            let dir = i.dir.clone();
            let (dev, g, key) = (dev.clone(), g.clone(), key.clone());
            std::thread::spawn(move || {
                for n in 0..5 {
                    let outs = [
                        run_in(
                            &dir,
                            &["agent", "submit-password", "--device-id", &dev],
                            Some(&format!("Canary-conc-{w}-{n}")),
                        ),
                        run_in(
                            &dir,
                            &["agent", "register", "--name", &format!("w{w}n{n}"), "--os", "linux"],
                            Some(&key),
                        ),
                        run_in(&dir, &["group", "set", "--id", &g, "--description", &format!("{w}-{n}")], None),
                    ];
                    for o in outs {
                        assert!(o.status.success(), "worker {w}: {}", String::from_utf8_lossy(&o.stderr));
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(i.ok(&["device", "get"], None).as_array().unwrap().len(), 31);
    let hist = i.ok(&["local-admin-password-history", "get", "--computer-name", "pc1"], None);
    assert_eq!(hist.as_array().unwrap().len(), 29, "30 uploads: one current, 29 retired (default keep count 30)");
    let audit = i.ok(&["audit", "get", "--limit", "1000"], None);
    assert!(audit.as_array().unwrap().len() > 90);
}

#[test]
fn secrets_never_leak_into_non_secret_output_or_the_database() {
    let i = Instance::new();
    let dev = i.device("pc1");
    let canary = "Canary-Leak-7f3a9c";
    i.ok(&["agent", "submit-password", "--device-id", &dev], Some(canary));
    i.ok(
        &["agent", "submit-bitlocker-key", "--device-id", &dev, "--key-id", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"],
        Some("111111-222222-333333-444444-555555-666666-000000-000011"),
    );
    // On SQL Server (no file), what the database holds is read from backups: every row of every
    // table in a SQLite image; one is taken before the device is removed.
    let backup_bytes = |name: &str| {
        let file = i.path(name);
        i.ok(&["db", "backup", "--out", file.to_str().unwrap()], None);
        std::fs::read(file).unwrap()
    };
    let mut outputs = Vec::new();
    if on_sql_server() {
        outputs.push(backup_bytes("before-removal.amsbak"));
    }
    for args in [
        vec!["device", "get"],
        vec!["key", "status"],
        vec!["cert", "list"],
        vec!["audit", "get", "--limit", "1000"],
        vec!["agent", "check-in", "--device-id", &dev],
        vec!["group", "get"],
        vec!["device", "get", "--output", "text"],
        vec!["device", "remove", "--id", &dev],
        vec!["agent", "submit-password", "--device-id", "nope"],
    ] {
        let out = i.run(&args, Some(canary));
        outputs.push(out.stdout);
        outputs.push(out.stderr);
    }
    // A failing upload with the canary on stdin does not echo it.
    let out =
        i.run(&["agent", "submit-password", "--device-id", &dev, "--oaep", "sha256", "--account", ""], Some(canary));
    assert!(!out.status.success());
    outputs.push(out.stderr);
    // What the database holds: the SQLite file and its WAL, or a backup on SQL Server.
    let db = if on_sql_server() {
        backup_bytes("after.amsbak")
    } else {
        let mut db = std::fs::read(i.dir.join("ams.db")).unwrap();
        if let Ok(w) = std::fs::read(i.dir.join("ams.db-wal")) {
            db.extend(w);
        }
        db
    };
    outputs.push(db);
    for o in &outputs {
        for needle in [canary.as_bytes(), b"111111-222222".as_slice(), RECOVERY.as_bytes()] {
            assert!(
                !o.windows(needle.len()).any(|w| w == needle),
                "a secret leaked: {}",
                String::from_utf8_lossy(o).chars().take(300).collect::<String>()
            );
        }
    }
}

#[test]
fn commands_lists_every_verb_with_cmdlet_mapping() {
    let i = Instance::new();
    let v = i.ok(&["commands", "--json"], None);
    let cmds = v["commands"].as_array().unwrap();
    let find = |verb: &str| cmds.iter().find(|c| c["verb"] == verb).unwrap_or_else(|| panic!("no verb {verb}"));
    assert_eq!(find("device get")["cmdlet"], "Get-AmsDevice");
    assert_eq!(find("group-members get")["cmdlet"], "Get-AmsGroupMembers");
    assert!(find("key rotate")["cmdlet"].is_null());
    let params = find("local-admin-password get")["parameters"].as_array().unwrap();
    let names: Vec<&str> = params.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["--computer-name", "--authority-device-id", "--authority-id", "--authority-type", "--all-providers"]
    );
    let at = params.iter().find(|p| p["name"] == "--authority-type").unwrap();
    assert_eq!(at["type"], "enum");
    let members = find("group-member add")["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "--devices")
        .cloned()
        .unwrap();
    assert_eq!(members["multiple"], true);
    // Every verb has help text.
    for c in cmds {
        assert!(!c["about"].as_str().unwrap().is_empty(), "{} has no help", c["verb"]);
    }
}

#[test]
fn batch_runs_many_requests_in_one_process() {
    let i = Instance::new();
    let ids: Vec<String> = (0..3).map(|n| i.device(&format!("b{n}"))).collect();
    let g = i.ok(&["group", "new", "--name", "batch"], None)["Id"].as_str().unwrap().to_string();
    let mut input = String::new();
    for id in &ids {
        input
            .push_str(&serde_json::json!({"verb":"group-member add","parameters":{"Id":g,"Devices":[id]}}).to_string());
        input.push('\n');
    }
    input.push_str("{\"verb\":\"device set\",\"parameters\":{\"Id\":\"missing\",\"Disable\":true}}\n");
    input.push_str("not json\n");
    input.push_str(&serde_json::json!({"verb":"group-members get","parameters":{"Id":g}}).to_string());
    input.push('\n');
    let out = i.run(&["batch"], Some(&input));
    assert_eq!(out.status.code(), Some(3), "exit code of the first failure");
    let lines: Vec<Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 6);
    assert!(lines[..3].iter().all(|l| l["ok"] == true));
    assert_eq!(lines[3]["error"]["code"], "AMS-DEV-0001");
    assert_eq!(lines[4]["error"]["code"], "AMS-GEN-0002");
    assert_eq!(lines[5]["result"].as_array().unwrap().len(), 3);
    let stdin_verb = i.run(&["batch"], Some("{\"verb\":\"key rotate\"}\n"));
    assert_eq!(stdin_verb.status.code(), Some(5));
}

#[test]
fn device_lifecycle_through_the_cli() {
    let i = Instance::new();
    i.ok(&["cert", "new", "--key-size", "3072"], None);
    let key = i.ok(&["device-registration-key", "new", "--name", "approve-me", "--approval-required"], None);
    let reg = i.ok(&["agent", "register", "--name", "mac1", "--os", "macos"], Some(key["Key"].as_str().unwrap()));
    assert_eq!(reg["ApprovalState"], "Pending");
    let id = reg["DeviceId"].as_str().unwrap();
    assert_eq!(i.ok(&["device", "get", "--approval-state", "pending"], None).as_array().unwrap().len(), 1);
    let (exit, _) = i.err(&["agent", "submit-password", "--device-id", id, "--generate"], None);
    assert_eq!(exit, 6);
    assert_eq!(i.ok(&["device", "set", "--id", id, "--approve"], None)["ApprovalState"], "Approved");
    let r = i.ok(&["agent", "submit-password", "--device-id", id, "--generate", "--length", "24", "--symbols"], None);
    assert!(r.get("Password").is_none(), "a generated password is never printed by the upload verb");
    let pw = i.ok(&["local-admin-password", "get", "--computer-name", "mac1"], None);
    assert_eq!(pw["Password"].as_str().unwrap().len(), 24);
    assert_eq!(i.ok(&["device", "set", "--id", id, "--expire-password"], None)["Id"], id);
    assert_eq!(i.ok(&["agent", "check-in", "--device-id", id], None)["Reason"], "Expired");
    let (exit, err) = i.err(&["device", "remove", "--id", id], None);
    assert_eq!((exit, err["code"].as_str().unwrap()), (4, "AMS-GEN-0004"));
    assert_eq!(i.ok(&["device", "remove", "--id", id, "--force"], None), serde_json::json!({}));
}

/// The hand-written part of docs/cli.md, before the generated reference.
const CLI_CONVENTIONS: &str = r#"
## Conventions

- **Output.** Success prints one JSON document on stdout (exit 0). Failure prints
  `{"error":{"code","kind","message","hint","context"}}` on stderr with the exit code of its kind
  (docs/exit-codes.md). A usage error keeps clap's whole message: which arguments are missing, the
  unexpected one and, in `hint` and `context.suggestion`, the similar verb or flag ("did you mean").
- **Boolean settings** are one flag with a value: `--enabled true`, `--enabled false`; the bare
  flag means `true`. The same spelling serves every verb that has the setting (computer and role
  rules, registration keys, `--approval-required`, `--laps-allow-extension`, ...), on `new` and on
  `set`, so each can be turned off as well as on. Flags listed as `switch` below are actions or
  modifiers (`--force`, `--apply`), present or absent.
- **Secrets** never come as flags: they are read from stdin, a file or a prompt.

## Batches: `ams batch`

Many requests in one process, for pipelines (the PowerShell module sends piped objects this way,
up to 500 per run). Each stdin line is one JSON request:

| field | meaning |
| --- | --- |
| `verb` | the verb as typed after `ams`, e.g. `"local-admin-password get"` |
| `parameters` | an object of flags in PascalCase (`ComputerName` is `--computer-name`): a string or number is the value; an array repeats the flag; `true`/`false` give a boolean setting its value and turn a switch on or leave it off; `null` leaves the flag out |

Each request gets one JSON line on stdout, in request order:

| field | meaning |
| --- | --- |
| `index` | the request's line number, from 0 (blank lines count) |
| `ok` | `true` when the request succeeded |
| `result` | on success: the document the verb prints on its own |
| `error` | on failure: the error object the verb prints on its own (`code`, `kind`, `message`, `hint`, `context`) |

One failed request does not stop the others. The exit code is 0 when every request succeeded,
else the exit code of the first failure. Verbs that read a secret from stdin (`init`, `key
recover`, `agent register`, `cert import`, ...) and `batch` itself cannot run inside a batch.
Global flags (`--data-dir`, `--output`) go before `batch`, not into a request.

```console
$ printf '%s\n' \
    '{"verb":"local-admin-password get","parameters":{"ComputerName":"PC1"}}' \
    '{"verb":"role-authorization-rule set","parameters":{"Id":"2f0c…","Enabled":false}}' \
    '{"verb":"device get","parameters":{"Id":"no-such-id"}}' | ams batch
{"index":0,"ok":true,"result":[{"ComputerName":"PC1","Password":"…","Expires":"…",…}]}
{"index":1,"ok":true,"result":{"Id":"2f0c…","Disabled":true,…}}
{"index":2,"ok":false,"error":{"code":"AMS-DEV-0001","kind":"not_found","message":"No device matches.",…}}
$ echo $?
3
```

A batch of password or BitLocker reads opens the secrets on every core and writes the audit
records of all its reads in one transaction before it prints any result.

## Verbs
"#;

/// docs/cli.md is generated from `ams commands --json`; this test keeps it current
/// (`AMS_BLESS=1` rewrites it).
#[test]
fn cli_reference_in_docs_is_current() {
    let out = Command::new(env!("CARGO_BIN_EXE_ams")).args(["commands", "--json"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut md = String::from(
        "# CLI reference\n\nGenerated from `ams commands --json` by the test `cli_reference_in_docs_is_current`\n\
         (run `AMS_BLESS=1 cargo test -p ams-cli --test cli` after changing a verb). Every verb also takes\n\
         `--data-dir DIR` (or `AMS_DATA_DIR`) and `--output json|text`.\n",
    );
    md.push_str(CLI_CONVENTIONS);
    for c in v["commands"].as_array().unwrap() {
        md.push_str(&format!("\n## `ams {}`\n\n{}\n", c["verb"].as_str().unwrap(), c["about"].as_str().unwrap()));
        if let Some(cmdlet) = c["cmdlet"].as_str() {
            md.push_str(&format!("\nPowerShell: `{cmdlet}`\n"));
        }
        let params = c["parameters"].as_array().unwrap();
        if !params.is_empty() {
            md.push_str("\n| flag | type | required | repeatable | meaning |\n| --- | --- | --- | --- | --- |\n");
            for p in params {
                let ty = match p["values"].as_array() {
                    Some(vals) if !vals.is_empty() => {
                        vals.iter().map(|x| x.as_str().unwrap_or_default()).collect::<Vec<_>>().join(" \\| ")
                    }
                    _ => p["type"].as_str().unwrap_or_default().to_string(),
                };
                md.push_str(&format!(
                    "| `{}` | {} | {} | {} | {} |\n",
                    p["name"].as_str().unwrap(),
                    ty,
                    if p["required"] == true { "yes" } else { "no" },
                    if p["multiple"] == true { "yes" } else { "no" },
                    p["help"].as_str().unwrap_or_default().replace('|', "\\|")
                ));
            }
        }
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/cli.md");
    if std::env::var_os("AMS_BLESS").is_some() {
        std::fs::write(&path, &md).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(have == md, "docs/cli.md is out of date; run AMS_BLESS=1 cargo test -p ams-cli --test cli");
}

/// Runs one `ams batch` and returns each line's result (panics on a failed line).
fn batch_results(i: &Instance, requests: &[Value]) -> Vec<Value> {
    let input: String = requests.iter().map(|r| format!("{r}\n")).collect();
    let out = i.run(&["batch"], Some(&input));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "batch failed: {text} {}", String::from_utf8_lossy(&out.stderr));
    text.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["ok"], true, "{v}");
            v["result"].clone()
        })
        .collect()
}

#[test]
fn batch_round_trips_every_boolean_setting_both_ways() {
    use serde_json::json;
    let i = Instance::new();
    let alice = "S-1-5-21-1000-2000-3000-1104";
    // true and false on `new`, through JSON booleans as the PowerShell pipeline sends them.
    let made = batch_results(
        &i,
        &[
            json!({"verb":"device-registration-key new","parameters":{"Name":"k1","Enabled":false,"ApprovalRequired":true}}),
            json!({"verb":"computer-authorization-rule new","parameters":{"AdContainer":"OU=Devices,DC=corp,DC=example","PrincipalsAllowedLaps":[alice],
                "LapsAllowExtension":true,"JitAllowExtension":false,"DoNotUseRemoteDcLocator":true,"Enabled":false}}),
            json!({"verb":"role-authorization-rule new","parameters":{"Name":"R1","PrincipalsAllowedJit":[alice],"GroupName":"DEV\\Admins",
                "MaximumAccessDuration":"1:00:00","AllowExtension":true,"Enabled":false}}),
        ],
    );
    assert_eq!((made[0]["Enabled"].as_bool(), made[0]["ApprovalRequired"].as_bool()), (Some(false), Some(true)));
    assert_eq!(made[1]["Disabled"], true);
    assert_eq!(made[1]["LapsAllowExtension"], true);
    assert_eq!(made[1]["JitAllowExtension"], false);
    assert_eq!(made[1]["DoNotUseRemoteDcLocator"], true);
    assert_eq!((made[2]["Disabled"].as_bool(), made[2]["AllowExtension"].as_bool()), (Some(true), Some(true)));
    let (key, crule, rrule) = (
        made[0]["Id"].as_str().unwrap().to_string(),
        made[1]["Id"].as_str().unwrap().to_string(),
        made[2]["Id"].as_str().unwrap().to_string(),
    );

    // Every one of them turned the other way on `set`.
    let set = batch_results(
        &i,
        &[
            json!({"verb":"device-registration-key set","parameters":{"Id":key,"Enabled":true,"ApprovalRequired":false}}),
            json!({"verb":"computer-authorization-rule set","parameters":{"Id":crule,"LapsAllowExtension":false,"JitAllowExtension":true,
                "DoNotUseRemoteDcLocator":false,"Enabled":true}}),
            json!({"verb":"role-authorization-rule set","parameters":{"Id":rrule,"AllowExtension":false,"Enabled":true}}),
        ],
    );
    assert_eq!((set[0]["Enabled"].as_bool(), set[0]["ApprovalRequired"].as_bool()), (Some(true), Some(false)));
    assert_eq!(set[1]["Disabled"], false);
    assert_eq!(set[1]["LapsAllowExtension"], false);
    assert_eq!(set[1]["JitAllowExtension"], true);
    assert_eq!(set[1]["DoNotUseRemoteDcLocator"], false);
    assert_eq!((set[2]["Disabled"].as_bool(), set[2]["AllowExtension"].as_bool()), (Some(false), Some(false)));

    // And back, so that neither direction is a no-op; what is stored is what `get` reads.
    batch_results(
        &i,
        &[
            json!({"verb":"device-registration-key set","parameters":{"Id":key,"Enabled":false}}),
            json!({"verb":"computer-authorization-rule set","parameters":{"Id":crule,"Enabled":false,"LapsAllowExtension":true}}),
            json!({"verb":"role-authorization-rule set","parameters":{"Id":rrule,"Enabled":false}}),
        ],
    );
    let got = batch_results(
        &i,
        &[
            json!({"verb":"device-registration-key get","parameters":{"Id":key}}),
            json!({"verb":"computer-authorization-rule get","parameters":{"Id":crule}}),
            json!({"verb":"role-authorization-rule get","parameters":{"Id":rrule}}),
        ],
    );
    let first = |v: &Value| if v.is_array() { v[0].clone() } else { v.clone() };
    assert_eq!(first(&got[0])["Enabled"], false);
    assert_eq!(
        (first(&got[1])["Disabled"].as_bool(), first(&got[1])["LapsAllowExtension"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(first(&got[2])["Disabled"], true);

    // A bare flag on the command line still means true.
    let s = i.ok(&["role-authorization-rule", "set", "--id", &rrule, "--enabled"], None);
    assert_eq!(s["Disabled"], false);

    // The JIT group creation rule's booleans, both ways.
    let jit = batch_results(
        &i,
        &[json!({"verb":"active-directory-jit-group-creation-rule new","parameters":{
            "ComputerOU":"OU=Computers,DC=example,DC=com","GroupOU":"OU=Groups,DC=example,DC=com",
            "GroupNameTemplate":"JIT-%ComputerName%","Subtree":false,"CreateUnixGid":true,"EnableJitGroupDeletion":true,
            "UnixGidAttributeName":"gidNumber","UnixGidStartRange":10000}})],
    );
    assert_eq!((jit[0]["Subtree"].as_bool(), jit[0]["CreateUnixGid"].as_bool()), (Some(false), Some(true)));
    let jid = jit[0]["Id"].as_str().unwrap().to_string();
    let jit = batch_results(
        &i,
        &[json!({"verb":"active-directory-jit-group-creation-rule set","parameters":{
            "Id":jid,"Subtree":true,"CreateUnixGid":false,"EnableJitGroupDeletion":false}})],
    );
    assert_eq!(
        (jit[0]["Subtree"].as_bool(), jit[0]["CreateUnixGid"].as_bool(), jit[0]["EnableJitGroupDeletion"].as_bool()),
        (Some(true), Some(false), Some(false))
    );
}

#[test]
fn batch_secret_reads_run_as_one_group_in_order_and_are_all_audited() {
    use serde_json::json;
    let i = Instance::new();
    let names: Vec<String> = (0..12).map(|n| format!("grp{n}")).collect();
    for (n, name) in names.iter().enumerate() {
        let id = i.device(name);
        let out = i.run(&["agent", "submit-password", "--device-id", &id], Some(&format!("Batch-Pa55-{n}-old")));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let out = i.run(&["agent", "submit-password", "--device-id", &id], Some(&format!("Batch-Pa55-{n}")));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let before = i.ok(&["audit", "get", "--limit", "10000"], None).as_array().unwrap().len();
    let mut requests: Vec<Value> =
        names.iter().map(|n| json!({"verb":"local-admin-password get","parameters":{"ComputerName":n}})).collect();
    requests.insert(3, json!({"verb":"local-admin-password get","parameters":{"ComputerName":"no-such-pc"}}));
    requests.insert(5, json!({"verb":"group get","parameters":{}}));
    requests.push(json!({"verb":"local-admin-password-history get","parameters":{"ComputerName":"grp0"}}));
    requests.push(json!({"verb":"local-admin-password get","parameters":{"ComputerName":"grp1","AllProviders":true}}));
    let input: String = requests.iter().map(|r| format!("{r}\n")).collect();
    let out = i.run(&["batch"], Some(&input));
    assert_eq!(out.status.code(), Some(3), "the missing device is the first failure");
    let lines: Vec<Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), requests.len());
    for (k, line) in lines.iter().enumerate() {
        assert_eq!(line["index"], k, "results keep the order of the requests");
    }
    assert_eq!(lines[3]["error"]["code"], "AMS-DEV-0001");
    assert!(lines[5]["result"].is_array(), "a non-read request in between runs in its place");
    let mut read = 0;
    for line in &lines {
        if let Some(name) = line["result"]["ComputerName"].as_str() {
            let n: usize = name.trim_start_matches("grp").parse().unwrap();
            assert_eq!(line["result"]["Password"], format!("Batch-Pa55-{n}"), "each device gets its own password");
            read += 1;
        }
    }
    assert_eq!(read, names.len());
    let history = &lines[lines.len() - 2]["result"];
    assert_eq!(history[0]["Password"], "Batch-Pa55-0-old");
    assert_eq!(lines[lines.len() - 1]["result"][0]["Password"], "Batch-Pa55-1", "--all-providers gives a list");

    // Every successful read left its audit record (and only those did).
    let audit = i.ok(&["audit", "get", "--limit", "10000"], None);
    let records = audit.as_array().unwrap();
    let new = &records[before..];
    let count = |event: &str| new.iter().filter(|r| r["Event"] == event).count();
    assert_eq!(count("password.read"), names.len() + 1);
    assert_eq!(count("password.history.read"), 1);
    assert_eq!(i.ok(&["audit", "verify"], None)["Records"], records.len(), "the chain verifies");
}

#[test]
fn rotation_replaces_the_host_key_and_prune_replaced_removes_what_it_kept() {
    let i = Instance::new();
    let before = std::fs::read(i.dir.join("host.key")).unwrap();
    let r = i.ok(&["key", "rotate"], Some(RECOVERY));
    assert_ne!(r["PreviousMasterKeyId"], r["MasterKeyId"]);
    assert_ne!(std::fs::read(i.dir.join("host.key")).unwrap(), before, "key rotate writes a new host key");
    let status = i.ok(&["key", "status"], None);
    let replaced = status["ReplacedFiles"].as_array().unwrap();
    assert_eq!(replaced.len(), 1, "{status}");
    assert_eq!(replaced[0]["Kind"], "host-key");
    let kept = i.ok(&["key", "prune-replaced", "--older-than-days", "1"], None);
    assert_eq!(kept["Kept"].as_array().unwrap().len(), 1);
    let pruned = i.ok(&["key", "prune-replaced"], None);
    assert_eq!(pruned["Removed"].as_array().unwrap().len(), 1);
    assert!(i.ok(&["key", "status"], None)["ReplacedFiles"].as_array().unwrap().is_empty());
    // Changing the recovery password advises a rotation, or does one with --rotate.
    let set = i.ok(&["key", "recovery-password", "set"], Some("a new recovery passphrase"));
    assert!(set["RotationAdvised"].as_str().unwrap().contains("ams key rotate"));
    let set = i.ok(&["key", "recovery-password", "set", "--rotate"], Some("another recovery passphrase"));
    assert_ne!(set["PreviousMasterKeyId"], set["MasterKeyId"]);
    i.ok(&["key", "rotate"], Some("another recovery passphrase"));
}

/// `ams device get` streams the listing (ADR 0014): to a pipe it is one compact JSON array with
/// one device per line, holding exactly the devices the per-name lookups return, in name order;
/// `--approval-state` filters it and a `--name` lookup is unchanged.
#[test]
fn the_device_listing_streams_one_device_per_line() {
    let i = Instance::new();
    let names = ["charlie", "Alpha", "bravo"];
    let ids: Vec<String> = names.iter().map(|n| i.device(n)).collect();
    let out = i.run(&["device", "get"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), names.len() + 2, "[, a line per device, ]: {text}");
    assert_eq!((lines[0], lines[lines.len() - 1]), ("[", "]"));
    let all: Value = serde_json::from_str(&text).unwrap();
    let listed: Vec<&str> = all.as_array().unwrap().iter().map(|d| d["Name"].as_str().unwrap()).collect();
    assert_eq!(listed, ["Alpha", "bravo", "charlie"], "name order, any case");
    for (n, id) in names.iter().zip(&ids) {
        let one = i.ok(&["device", "get", "--name", n], None);
        let same = all.as_array().unwrap().iter().find(|d| d["Id"] == id.as_str()).unwrap();
        assert_eq!(&one[0], same, "the streamed device is the looked-up one");
    }
    assert_eq!(i.ok(&["device", "get", "--approval-state", "Pending"], None), serde_json::json!([]));
    let approved = i.ok(&["device", "get", "--approval-state", "approved"], None);
    assert_eq!(approved.as_array().unwrap().len(), names.len());
    let text_out = i.run(&["device", "get", "--output", "text"], None);
    assert!(String::from_utf8_lossy(&text_out.stdout).contains("charlie"), "text output is not streamed JSON");
}
