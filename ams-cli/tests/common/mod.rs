//! What the end-to-end test files share: running the `ams` binary against a throw-away instance.
//! Each test file does `mod common;` and may add its own `impl Instance` blocks.
#![allow(dead_code)] // each test binary uses a different part

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The recovery password `Instance::new` uses.
pub const DEFAULT_RECOVERY: &str = "cli test recovery passphrase";

/// `ams --data-dir DIR`, with `AMS_DATA_DIR` cleared.
pub fn ams_cmd(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ams"));
    c.env_remove("AMS_DATA_DIR").arg("--data-dir").arg(dir);
    c
}

/// Runs `ams` with `stdin` written to it. A verb that exits before reading stdin is fine.
pub fn run_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut c = ams_cmd(dir);
    c.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn ams");
    {
        let mut si = child.stdin.take().unwrap();
        if let Some(s) = stdin
            && let Err(e) = si.write_all(s.as_bytes())
        {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "writing stdin: {e}");
        }
    }
    child.wait_with_output().unwrap()
}

/// Runs and expects success; returns the stdout JSON.
pub fn ok_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> Value {
    let out = run_in(dir, args, stdin);
    assert!(
        out.status.success(),
        "ams {args:?} failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "nothing on stderr on success: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout of {args:?} is not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// Runs and expects failure; returns (exit code, error object). Failures print nothing on stdout
/// and exactly one JSON document on stderr.
pub fn err_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> (i32, Value) {
    let out = run_in(dir, args, stdin);
    assert!(!out.status.success(), "ams {args:?} unexpectedly succeeded");
    assert!(out.stdout.is_empty(), "failures print nothing on stdout");
    let doc: Value = serde_json::from_slice(&out.stderr)
        .unwrap_or_else(|_| panic!("stderr is not one JSON document: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), doc["error"].clone())
}

/// A throw-away instance in a temporary directory.
pub struct Instance {
    pub tmp: tempfile::TempDir,
    pub dir: PathBuf,
}

impl Instance {
    /// A new instance with [`DEFAULT_RECOVERY`].
    pub fn new() -> Instance {
        Instance::with_recovery(DEFAULT_RECOVERY)
    }

    /// A new instance with the given recovery password.
    pub fn with_recovery(recovery: &str) -> Instance {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        let out = run_in(&dir, &["init"], Some(&format!("{recovery}\n")));
        assert!(out.status.success(), "init failed: {}", String::from_utf8_lossy(&out.stderr));
        Instance { tmp, dir }
    }

    /// A path beside (not inside) the data directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// A scratch folder beside the data directory.
    pub fn scratch(&self) -> PathBuf {
        let p = self.dir.parent().unwrap().join("scratch");
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        run_in(&self.dir, args, stdin)
    }

    pub fn ok(&self, args: &[&str], stdin: Option<&str>) -> Value {
        ok_in(&self.dir, args, stdin)
    }

    pub fn err(&self, args: &[&str], stdin: Option<&str>) -> (i32, Value) {
        err_in(&self.dir, args, stdin)
    }
}
