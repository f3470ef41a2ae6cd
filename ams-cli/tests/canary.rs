//! Secret canaries across the whole CLI: unique canary secrets are stored (passwords, a BitLocker
//! key, the recovery password, a PFX password), then EVERY verb listed by `ams commands --json` is
//! run, failing or not, with JSON and text output and a canary on stdin. No canary may appear in the
//! stdout of non-secret verbs, in any stderr, in the database file, in a backup file, in an exported
//! PFX or diagnostics bundle (as plain text), or in the argv of a running `ams`. The same sweep
//! runs with directory secret providers reading LAPS and BitLocker secrets from a throw-away
//! slapd (canary values in ms-Mcs-AdmPwd, msLAPS-Password and msFVE-RecoveryPassword).

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

#[path = "../../ams-core/tests/integration/slapd.rs"]
#[allow(dead_code)]
mod slapd;

const RECOVERY: &str = "Canary-Recovery-5e1d-passphrase";
const PASSWORD: &str = "Canary-LAPS-9b7c";
const BITLOCKER: &str = "000011-000022-000033-000044-000055-000066-000077-000088";
const PFX_PASSWORD: &str = "Canary-PFX-7d2e-correct-horse";
const HMAC_KEY: &str = "Canary-Webhook-HMAC-3c8a-0123456789";
const SMTP_PASSWORD: &str = "Canary-SMTP-4d1f-password";

/// Verbs whose purpose is to show a secret: their stdout may hold one (nothing else may).
const SECRET_VERBS: &[&str] = &[
    "local-admin-password get",
    "local-admin-password-history get",
    "fve-recovery-key get",
    "access request",
    "access get",
    "device-registration-key new",
    "device-registration-key get",
    "device-registration-key set",
];

fn run(dir: &Path, args: &[&str], stdin: &str) -> (bool, Vec<u8>, Vec<u8>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ams"))
        .env_remove("AMS_DATA_DIR")
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let out = child.wait_with_output().unwrap();
    (out.status.success(), out.stdout, out.stderr)
}

fn ok(dir: &Path, args: &[&str], stdin: &str) -> Value {
    let (good, out, err) = run(dir, args, stdin);
    assert!(good, "ams {args:?}: {}", String::from_utf8_lossy(&err));
    serde_json::from_slice(&out).unwrap_or(Value::Null)
}

fn canaries() -> Vec<&'static [u8]> {
    vec![
        RECOVERY.as_bytes(),
        PASSWORD.as_bytes(),
        BITLOCKER.as_bytes(),
        PFX_PASSWORD.as_bytes(),
        HMAC_KEY.as_bytes(),
        SMTP_PASSWORD.as_bytes(),
        b"Canary-",
        slapd::AD_LEGACY_PW.as_bytes(),
        slapd::AD_WINDOWS_PW.as_bytes(),
        slapd::AD_STALE_LEGACY_PW.as_bytes(),
        slapd::AD_BITLOCKER_PW.as_bytes(),
        slapd::ROOT_PW.as_bytes(),
    ]
}

/// Runs every verb of `ams commands --json`, bare, with `--id ID` where it takes one and with
/// `--computer-name NAME` for each name where it takes one, in JSON and text, with a canary on
/// stdin; panics when a canary shows in any stderr or in the stdout of a non-secret verb.
/// Returns the number of runs.
fn sweep(dir: &Path, id: Option<&str>, names: &[&str], skip: &[&str]) -> usize {
    let catalogue = ok(dir, &["commands", "--json"], "");
    let mut runs = 0;
    for c in catalogue["commands"].as_array().unwrap() {
        let verb = c["verb"].as_str().unwrap();
        if skip.contains(&verb) {
            continue;
        }
        let words: Vec<&str> = verb.split_whitespace().collect();
        let params = c["parameters"].as_array().unwrap();
        for output in ["json", "text"] {
            // Without flags most verbs fail (usage or validation); with the device's id many succeed.
            let mut variants: Vec<Vec<&str>> = vec![words.clone()];
            if let Some(id) = id
                && params.iter().any(|p| p["name"] == "--id")
            {
                let mut with_id = words.clone();
                with_id.extend(["--id", id]);
                variants.push(with_id);
            }
            if params.iter().any(|p| p["name"] == "--computer-name") {
                for n in names {
                    let mut v = words.clone();
                    v.extend(["--computer-name", n]);
                    variants.push(v);
                }
            }
            for mut args in variants {
                args.extend(["--output", output]);
                let (_, out, err) = run(dir, &args, &format!("{PASSWORD}\n"));
                runs += 1;
                if let Some(c) = leak(&err) {
                    panic!("canary {c} in stderr of ams {args:?}: {}", String::from_utf8_lossy(&err));
                }
                if !SECRET_VERBS.contains(&verb)
                    && let Some(c) = leak(&out)
                {
                    panic!("canary {c} in stdout of non-secret verb ams {args:?}");
                }
            }
        }
    }
    runs
}

fn leak(hay: &[u8]) -> Option<String> {
    canaries()
        .into_iter()
        .find(|c| hay.windows(c.len()).any(|w| w == *c))
        .map(|c| String::from_utf8_lossy(c).into_owned())
}

/// Runs `args` in `dir` once per output format (text, then JSON) and panics when a canary shows
/// in a stdout or stderr; returns the last run's success flag and its stdout (or, when it failed,
/// its error document) as JSON.
fn clean(dir: &Path, args: &[&str], stdin: &str, outputs: &[&str]) -> (bool, Value) {
    let mut last = (false, Value::Null);
    for output in outputs {
        let mut a = args.to_vec();
        a.extend(["--output", output]);
        let (good, out, err) = run(dir, &a, stdin);
        assert_eq!(leak(&out), None, "canary in stdout of ams {a:?}");
        assert_eq!(leak(&err), None, "canary in stderr of ams {a:?}");
        last = (good, serde_json::from_slice(if good { &out } else { &err }).unwrap_or(Value::Null));
    }
    last
}

fn second_host_joins_and_is_revoked(tmp: &Path, dir: &Path) {
    let second = tmp.join("second-host");
    ams_core::instance::create_data_dir(&second).unwrap();
    match std::fs::read_to_string(dir.join("host.toml")) {
        // A SQL Server connection string names the server: the same file serves the second host.
        Ok(cfg) if !cfg.contains("sqlite://") => std::fs::write(second.join("host.toml"), cfg).unwrap(),
        _ => {
            let cs = format!("sqlite://{}", dir.join("ams.db").display());
            ok(&second, &["host-config", "set", "--connection-string", "-"], &cs);
        }
    }
    let (_, st) = clean(&second, &["key", "status"], "", &["text", "json"]);
    assert_eq!(st["RecoveryMode"], true, "{st}");
    let (good, _) = clean(&second, &["key", "recover"], &format!("{RECOVERY}\n"), &["text", "json"]);
    assert!(good);
    let (_, st) = clean(dir, &["key", "status"], "", &["text", "json"]);
    let hosts = st["HostProtectors"].as_array().unwrap();
    assert_eq!(hosts.len(), 2, "{st}");
    let own = st["ThisHostKeyId"].as_str().unwrap().to_string();
    let other = hosts.iter().find(|h| h["ThisHost"] == false).unwrap()["HostKeyId"].as_str().unwrap().to_string();
    let (good, e) =
        clean(dir, &["key", "host-protector", "remove", "--host-key-id", &own], RECOVERY, &["text", "json"]);
    assert!(!good);
    assert_eq!(e["error"]["code"], "AMS-KEY-0012", "{e}");
    let (good, _) = clean(dir, &["key", "host-protector", "remove", "--host-key-id", &other], RECOVERY, &["json"]);
    assert!(good);
    let (good, e) =
        clean(&second, &["local-admin-password", "get", "--computer-name", "canary1"], "", &["text", "json"]);
    assert!(!good);
    assert_eq!(e["error"]["code"], "AMS-KEY-0001", "{e}");
    let (good, e) =
        clean(&second, &["key", "host-protector", "remove", "--host-key-id", &own], RECOVERY, &["text", "json"]);
    assert!(!good);
    assert_eq!(e["error"]["code"], "AMS-KEY-0011", "{e}");
}

fn approvals_show_the_secret_once(dir: &Path, dev: &str) {
    const REQUESTER: &str = "S-1-5-21-1000-2000-3000-1104";
    const APPROVER: &str = "S-1-5-21-1000-2000-3000-1105";
    let rule = ok(
        dir,
        &[
            "computer-authorization-rule",
            "new",
            "--ams-computer-id",
            dev,
            "--principals-allowed-laps",
            REQUESTER,
            "--approval-required",
            "--approvers",
            APPROVER,
            "--description",
            "canary approvals",
        ],
        "",
    );
    let mut secret_outputs = 0;
    let mut check = |args: &[&str], may_hold: bool| -> Value {
        let (good, out, err) = run(dir, args, &format!("{PASSWORD}\n"));
        assert_eq!(leak(&err), None, "canary in stderr of ams {args:?}");
        match leak(&out) {
            Some(_) if may_hold => secret_outputs += 1,
            Some(c) => panic!("canary {c} in stdout of ams {args:?}"),
            None => {}
        }
        if good { serde_json::from_slice(&out).unwrap_or(Value::Null) } else { Value::Null }
    };
    let p = check(
        &["access", "request", "--computer-name", "canary1", "--access-type", "laps", "--user-sid", REQUESTER],
        false,
    );
    let id = p["RequestId"].as_str().expect("a pending request").to_string();
    check(&["access", "approve", "--request-id", &id, "--approver-sid", REQUESTER], false);
    check(&["access", "approve", "--request-id", &id, "--approver-sid", APPROVER, "--reason", "ok"], false);
    check(&["access", "requests", "get"], false);
    check(&["access", "requests", "get", "--id", &id, "--output", "text"], false);
    check(&["access", "get", "--request-id", &id, "--user-sid", APPROVER], false);
    let g = check(&["access", "get", "--request-id", &id, "--user-sid", REQUESTER], true);
    assert_eq!(g["Password"]["Password"], PASSWORD);
    check(&["access", "get", "--request-id", &id, "--user-sid", REQUESTER], false);
    check(&["access", "get", "--request-id", &id, "--user-sid", REQUESTER, "--output", "text"], false);
    check(&["audit", "get", "--limit", "1000"], false);
    assert_eq!(secret_outputs, 1, "exactly one response holds the secret");
    // The rule stays (disabled) so the verb loop below lists rules with approval settings.
    ok(dir, &["computer-authorization-rule", "set", "--id", rule["Id"].as_str().unwrap(), "--enabled", "false"], "");
}

#[test]
fn no_canary_escapes_through_any_verb() {
    let tmp = tempfile::tempdir().unwrap();
    let dir: PathBuf = tmp.path().join("data");
    let _server_db = common::prepare_data_dir(&dir);
    ok(&dir, &["init"], RECOVERY);
    let cert = ok(&dir, &["cert", "new", "--key-size", "3072"], "");
    let thumb = cert["Thumbprint"].as_str().unwrap().to_string();
    let key =
        ok(&dir, &["device-registration-key", "new", "--name", "canary"], "")["Key"].as_str().unwrap().to_string();
    let dev = ok(&dir, &["agent", "register", "--name", "canary1", "--os", "windows"], &key)["DeviceId"]
        .as_str()
        .unwrap()
        .to_string();
    ok(&dir, &["agent", "submit-password", "--device-id", &dev], PASSWORD);
    ok(
        &dir,
        &["agent", "submit-bitlocker-key", "--device-id", &dev, "--key-id", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"],
        BITLOCKER,
    );
    // Notification channels with canary secrets, routing every event: a webhook and an SMTP
    // server that are down (their attempts fail and are recorded), and a script that keeps every
    // notification body it gets.
    ok(
        &dir,
        &[
            "notification-channel",
            "new",
            "--name",
            "hook",
            "--kind",
            "webhook",
            "--url",
            "https://127.0.0.1:1/x",
            "--route-event",
            "*",
        ],
        HMAC_KEY,
    );
    ok(
        &dir,
        &[
            "notification-channel",
            "new",
            "--name",
            "mail",
            "--kind",
            "smtp",
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            "1",
            "--smtp-user",
            "ams",
            "--from",
            "ams@example.test",
            "--to",
            "ops@example.test",
            "--route-event",
            "*",
        ],
        SMTP_PASSWORD,
    );
    ok(&dir, &["notification-channel", "set-secret", "--name", "hook"], HMAC_KEY);
    let bodies = tmp.path().join("bodies.jsonl");
    let script = tmp.path().join("keep.sh");
    std::fs::write(&script, format!("#!/bin/sh\ncat >> {}\necho >> {}\n", bodies.display(), bodies.display())).unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    ok(
        &dir,
        &[
            "notification-channel",
            "new",
            "--name",
            "keep",
            "--kind",
            "script",
            "--command",
            script.to_str().unwrap(),
            "--route-event",
            "*",
        ],
        "",
    );
    // A rule-checked read of the canary password: its audit record is routed too.
    let sid = "S-1-5-21-1000-2000-3000-1104";
    let routed = ok(
        &dir,
        &["computer-authorization-rule", "new", "--ams-computer-id", &dev, "--principals-allowed-laps", sid],
        "",
    );
    let g = ok(
        &dir,
        &[
            "access",
            "request",
            "--computer-name",
            "canary1",
            "--access-type",
            "laps",
            "--user-sid",
            sid,
            "--reason",
            "canary",
        ],
        "",
    );
    assert!(leak(g.to_string().as_bytes()).is_some(), "the access request returned the canary password");
    // Off again, so that the approvals check below is decided by its own (approval) rule.
    ok(&dir, &["computer-authorization-rule", "set", "--id", routed["Id"].as_str().unwrap(), "--enabled", "false"], "");
    let pfx = tmp.path().join("cert.pfx");
    ok(&dir, &["cert", "export", "--thumbprint", &thumb, "--out", pfx.to_str().unwrap()], PFX_PASSWORD);
    let backup = tmp.path().join("canary.amsbak");
    ok(&dir, &["db", "backup", "--out", backup.to_str().unwrap()], "");
    let zip = tmp.path().join("diag.zip");
    ok(&dir, &["server-diagnostics", "export", "--file", zip.to_str().unwrap()], "");

    // The secret verbs do show the secret (the canary search would be vacuous otherwise).
    let (good, out, _) = run(&dir, &["local-admin-password", "get", "--computer-name", "canary1"], "");
    assert!(good && leak(&out).is_some(), "the search finds a canary where one belongs");

    // Approvals: the secret appears in the one `access get` response, never in the pending
    // request, the decision, the listing, the audit trail or a refused second fetch.
    approvals_show_the_secret_once(&dir, &dev);

    // A second host on the same database: its recovery, the host protector listing and the
    // revocation (with its refusals) never show a canary.
    second_host_joins_and_is_revoked(tmp.path(), &dir);

    // They would take the canary on stdin as a new secret: covered by their own tests.
    let runs = sweep(&dir, Some(&dev), &["canary1"], &["key recovery-password set", "key rotate", "init"]);
    assert!(runs > 100, "every verb ran ({runs} runs)");

    // Notification bodies and the queue: every routed audit record was delivered to the script
    // (or tried on the webhook and SMTP channels), and none holds a secret.
    ok(&dir, &["notify", "run-due"], "");
    let delivered = std::fs::read(&bodies).unwrap();
    assert!(delivered.windows(14).any(|w| w == b"access.request"), "the access request was notified");
    assert_eq!(leak(&delivered), None, "canary in a notification body");
    let (_, queue, _) = run(&dir, &["notify", "queue", "get", "--limit", "100000"], "");
    let q = String::from_utf8_lossy(&queue);
    assert!(q.contains("\"Pending\"") && q.contains("\"Delivered\""), "failed and delivered messages are listed");
    assert_eq!(leak(&queue), None, "canary in the notification queue");
    let (_, channels, _) = run(&dir, &["notification-channel", "get", "--output", "text"], "");
    assert_eq!(leak(&channels), None, "canary in the channel listing");

    // Files: the database (with its WAL), the PFX and the diagnostics bundle never hold a canary in
    // plain text.
    for f in ["ams.db", "ams.db-wal", "host.toml", "host.key"] {
        if let Ok(bytes) = std::fs::read(dir.join(f)) {
            assert_eq!(leak(&bytes), None, "canary in {f}");
        }
    }
    assert_eq!(leak(&std::fs::read(&pfx).unwrap()), None, "canary in the PFX");
    assert_eq!(leak(&std::fs::read(&backup).unwrap()), None, "canary in the backup file");
    assert_eq!(leak(&std::fs::read(&zip).unwrap()), None, "canary in the diagnostics bundle");

    // argv of a running ams that waits for a secret on stdin holds no secret.
    #[cfg(target_os = "linux")]
    {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ams"))
            .arg("--data-dir")
            .arg(&dir)
            .args(["key", "recover"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.id())).unwrap();
        assert_eq!(leak(&cmdline), None);
        child.stdin.take().unwrap().write_all(RECOVERY.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(leak(&out.stderr), None, "canary in the error of key recover");
        assert!(out.status.success(), "key recover failed: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn no_directory_canary_escapes_through_any_verb() {
    let s = slapd::Slapd::start();
    s.seed_ad();
    let tmp = tempfile::tempdir().unwrap();
    let dir: PathBuf = tmp.path().join("data");
    ok(&dir, &["init"], RECOVERY);
    let url = s.ldaps_url();
    let ca = s.ca_file();
    ok(
        &dir,
        &[
            "jit",
            "directory",
            "set",
            "--url",
            &url,
            "--bind-dn",
            slapd::ROOT_DN,
            "--base-dn",
            slapd::AD_BASE,
            "--tls",
            "ldaps",
            "--ca-file",
            &ca,
            "--secret-providers",
            "all",
            "--bind-password-stdin",
        ],
        &format!("{}\n", slapd::ROOT_PW),
    );
    // The secret verbs do read the directory (the search would be vacuous otherwise).
    let (good, out, _) = run(&dir, &["local-admin-password", "get", "--computer-name", "PC-WIN"], "");
    assert!(good && leak(&out).is_some(), "the search finds a directory canary where one belongs");
    let (good, out, _) = run(&dir, &["fve-recovery-key", "get", "--computer-name", "PC-LEGACY"], "");
    assert!(good && leak(&out).is_some());
    let zip = tmp.path().join("diag.zip");
    ok(&dir, &["server-diagnostics", "export", "--file", zip.to_str().unwrap()], "");
    // Leave the directory settings in place (clearing or replacing them would end the sweep's
    // directory reads early).
    let runs = sweep(
        &dir,
        None,
        &["PC-WIN", "PC-LEGACY", "PC-ENC", "PC-NONE"],
        &["key recovery-password set", "key rotate", "init", "jit directory clear", "jit directory set"],
    );
    assert!(runs > 100, "every verb ran ({runs} runs)");
    for f in ["ams.db", "ams.db-wal", "host.toml", "host.key"] {
        if let Ok(bytes) = std::fs::read(dir.join(f)) {
            assert_eq!(leak(&bytes), None, "canary in {f}");
        }
    }
    assert_eq!(leak(&std::fs::read(&zip).unwrap()), None, "canary in the diagnostics bundle");
}
