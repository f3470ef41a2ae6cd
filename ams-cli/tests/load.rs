//! Concurrency and load: eight processes at a time doing mixed reads and writes against one
//! instance for a bounded time. Every operation must succeed, and reads must never see a
//! half-written password or history. Throughput is printed, never asserted.
//!
//! Short form (part of `cargo test`): 3 seconds. Long form:
//! `AMS_LOAD_SECS=60 cargo test -p ams-cli --test load -- --nocapture`.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

const WORKERS: usize = 8;

fn run(dir: &Path, args: &[&str], stdin: &str) -> Result<Value, String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ams"))
        .env_remove("AMS_DATA_DIR")
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let _ = child.stdin.take().map(|mut s| s.write_all(stdin.as_bytes()));
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("ams {args:?}: {}", String::from_utf8_lossy(&out.stderr)));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("ams {args:?}: bad JSON: {e}"))
}

/// A password as `--generate` makes it with the default policy: 16 letters and digits.
fn whole(pw: &str) -> bool {
    pw.len() == 16 && pw.chars().all(|c| c.is_ascii_alphanumeric())
}

#[test]
fn eight_processes_mixed_reads_and_writes_without_failures() {
    let secs: u64 = std::env::var("AMS_LOAD_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let tmp = tempfile::tempdir().unwrap();
    let dir: PathBuf = tmp.path().join("data");
    let _server_db = common::prepare_data_dir(&dir);
    run(&dir, &["init"], "load test recovery passphrase").unwrap();
    run(&dir, &["cert", "new", "--key-size", "3072"], "").unwrap();
    let key = run(&dir, &["device-registration-key", "new", "--name", "load"], "").unwrap()["Key"]
        .as_str()
        .unwrap()
        .to_string();
    let devices: Arc<Vec<String>> = Arc::new(
        (0..4)
            .map(|i| {
                let r =
                    run(&dir, &["agent", "register", "--name", &format!("load{i}"), "--os", "windows"], &key).unwrap();
                let id = r["DeviceId"].as_str().unwrap().to_string();
                run(&dir, &["agent", "submit-password", "--device-id", &id, "--generate"], "").unwrap();
                id
            })
            .collect(),
    );
    let group = run(&dir, &["group", "new", "--name", "load"], "").unwrap()["Id"].as_str().unwrap().to_string();

    let ops = Arc::new(AtomicU64::new(0));
    let reads = Arc::new(AtomicU64::new(0));
    let writes = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let start = Instant::now();
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let (dir, devices, group) = (dir.clone(), devices.clone(), group.clone());
            let (ops, reads, writes) = (ops.clone(), reads.clone(), writes.clone());
            std::thread::spawn(move || -> Result<(), String> {
                let mut n = 0usize;
                while Instant::now() < deadline {
                    let dev = &devices[(w + n) % devices.len()];
                    match n % 4 {
                        0 => {
                            run(&dir, &["agent", "submit-password", "--device-id", dev, "--generate"], "")?;
                            writes.fetch_add(1, Ordering::Relaxed);
                        }
                        1 => {
                            let p = run(
                                &dir,
                                &["local-admin-password", "get", "--computer-name", &format!("load{}", (w + n) % 4)],
                                "",
                            )?;
                            let pw = p["Password"].as_str().unwrap_or_default();
                            if !whole(pw) {
                                return Err(format!("a read saw a partial password of length {}", pw.len()));
                            }
                            reads.fetch_add(1, Ordering::Relaxed);
                        }
                        2 => {
                            let h = run(
                                &dir,
                                &[
                                    "local-admin-password-history",
                                    "get",
                                    "--computer-name",
                                    &format!("load{}", (w + n) % 4),
                                ],
                                "",
                            )?;
                            let items = h.as_array().cloned().unwrap_or_default();
                            let times: Vec<&str> =
                                items.iter().map(|i| i["Created"].as_str().unwrap_or_default()).collect();
                            if !times.windows(2).all(|t| t[0] >= t[1])
                                || !items.iter().all(|i| whole(i["Password"].as_str().unwrap_or_default()))
                            {
                                return Err("a history read was out of order or partial".into());
                            }
                            reads.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {
                            run(&dir, &["group", "set", "--id", &group, "--description", &format!("w{w} n{n}")], "")?;
                            writes.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    ops.fetch_add(1, Ordering::Relaxed);
                    n += 1;
                }
                Ok(())
            })
        })
        .collect();
    let failures: Vec<String> = workers.into_iter().filter_map(|h| h.join().unwrap().err()).collect();
    let elapsed = start.elapsed().as_secs_f64();
    let total = ops.load(Ordering::Relaxed);
    println!(
        "load: {WORKERS} processes for {elapsed:.1}s: {total} operations ({} reads, {} writes), {:.1} ops/s, {} failed",
        reads.load(Ordering::Relaxed),
        writes.load(Ordering::Relaxed),
        total as f64 / elapsed,
        failures.len()
    );
    assert!(failures.is_empty(), "failed operations: {failures:?}");
    assert!(total >= WORKERS as u64, "every worker ran at least once");
}
