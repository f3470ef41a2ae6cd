//! Secret canaries across the whole CLI: unique canary secrets are stored (passwords, a BitLocker
//! key, the recovery password, a PFX password), then EVERY verb listed by `ams commands --json` is
//! run, failing or not, with JSON and text output and a canary on stdin. No canary may appear in the
//! stdout of non-secret verbs, in any stderr, in the database file, in a backup file, in an exported
//! PFX or diagnostics bundle (as plain text), or in the argv of a running `ams`.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

const RECOVERY: &str = "Canary-Recovery-5e1d-passphrase";
const PASSWORD: &str = "Canary-LAPS-9b7c";
const BITLOCKER: &str = "000011-000022-000033-000044-000055-000066-000077-000088";
const PFX_PASSWORD: &str = "Canary-PFX-7d2e-correct-horse";

/// Verbs whose purpose is to show a secret: their stdout may hold one (nothing else may).
const SECRET_VERBS: &[&str] = &[
    "local-admin-password get",
    "local-admin-password-history get",
    "fve-recovery-key get",
    "access request",
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
    vec![RECOVERY.as_bytes(), PASSWORD.as_bytes(), BITLOCKER.as_bytes(), PFX_PASSWORD.as_bytes(), b"Canary-"]
}

fn leak(hay: &[u8]) -> Option<String> {
    canaries()
        .into_iter()
        .find(|c| hay.windows(c.len()).any(|w| w == *c))
        .map(|c| String::from_utf8_lossy(c).into_owned())
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
    let pfx = tmp.path().join("cert.pfx");
    ok(&dir, &["cert", "export", "--thumbprint", &thumb, "--out", pfx.to_str().unwrap()], PFX_PASSWORD);
    let backup = tmp.path().join("canary.amsbak");
    ok(&dir, &["db", "backup", "--out", backup.to_str().unwrap()], "");
    let zip = tmp.path().join("diag.zip");
    ok(&dir, &["server-diagnostics", "export", "--file", zip.to_str().unwrap()], "");

    // The secret verbs do show the secret (the canary search would be vacuous otherwise).
    let (good, out, _) = run(&dir, &["local-admin-password", "get", "--computer-name", "canary1"], "");
    assert!(good && leak(&out).is_some(), "the search finds a canary where one belongs");

    let catalogue = ok(&dir, &["commands", "--json"], "");
    let mut runs = 0;
    for c in catalogue["commands"].as_array().unwrap() {
        let verb = c["verb"].as_str().unwrap();
        let words: Vec<&str> = verb.split_whitespace().collect();
        for output in ["json", "text"] {
            // Without flags most verbs fail (usage or validation); with the device's id many succeed.
            let mut variants: Vec<Vec<&str>> = vec![words.clone()];
            let mut with_id = words.clone();
            if c["parameters"].as_array().unwrap().iter().any(|p| p["name"] == "--id") {
                with_id.extend(["--id", dev.as_str()]);
                variants.push(with_id);
            }
            if c["parameters"].as_array().unwrap().iter().any(|p| p["name"] == "--computer-name") {
                let mut v = words.clone();
                v.extend(["--computer-name", "canary1"]);
                variants.push(v);
            }
            for mut args in variants {
                if verb == "key recovery-password set" || verb == "key rotate" || verb == "init" {
                    // They would take the canary on stdin as a new secret: covered by their own tests.
                    continue;
                }
                args.extend(["--output", output]);
                let (_, out, err) = run(&dir, &args, &format!("{PASSWORD}\n"));
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
    assert!(runs > 100, "every verb ran ({runs} runs)");

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
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.id())).unwrap();
        assert_eq!(leak(&cmdline), None);
        child.stdin.take().unwrap().write_all(RECOVERY.as_bytes()).unwrap();
        assert!(child.wait().unwrap().success());
    }
}
