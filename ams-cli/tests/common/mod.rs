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

/// A throw-away instance in a temporary directory. Its database is a SQLite file in the data
/// directory, or, when `AMS_TEST_ENGINE=mssql` (with `AMS_TEST_MSSQL_URL`), a new database of
/// its own on that SQL Server, dropped again with the instance.
pub struct Instance {
    pub tmp: tempfile::TempDir,
    pub dir: PathBuf,
    pub server_db: Option<ServerDb>,
}

/// Whether this run puts test instances on SQL Server (`AMS_TEST_ENGINE=mssql`).
pub fn on_sql_server() -> bool {
    match std::env::var("AMS_TEST_ENGINE").as_deref() {
        Ok("mssql") => {
            assert!(
                std::env::var_os("AMS_TEST_MSSQL_URL").is_some(),
                "AMS_TEST_ENGINE=mssql needs AMS_TEST_MSSQL_URL (a connection string to a login that may create databases)"
            );
            #[cfg(not(feature = "mssql"))]
            panic!("AMS_TEST_ENGINE=mssql needs the mssql feature");
            true
        }
        Ok("sqlite") | Err(_) => false,
        Ok(other) => panic!("AMS_TEST_ENGINE={other}: use sqlite or mssql"),
    }
}

/// For a test that looks inside the SQLite file: true (and says so on stderr) when this run puts
/// instances on SQL Server, where there is no such file.
pub fn skipped_on_sql_server(why: &str) -> bool {
    let skip = on_sql_server();
    if skip {
        eprintln!("skipped on SQL Server (AMS_TEST_ENGINE=mssql): {why}");
    }
    skip
}

/// A database of one test instance on the SQL Server of `AMS_TEST_MSSQL_URL`.
pub struct ServerDb {
    /// The connection string to it (with the password: tests pass it on stdin only).
    pub connection_string: String,
    name: String,
}

impl ServerDb {
    /// A new, empty database named after this process and a counter.
    pub fn new() -> ServerDb {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let base = std::env::var("AMS_TEST_MSSQL_URL").expect("AMS_TEST_MSSQL_URL");
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("ams_cli_{}_{n}", std::process::id());
        // The test URL is a plain ADO.NET string: its Database pair is replaced.
        let mut pairs: Vec<String> = base
            .split(';')
            .filter(|p| !p.trim().is_empty())
            .filter(|p| {
                let k = p.split('=').next().unwrap_or_default().trim().to_ascii_lowercase();
                k != "database" && k != "initial catalog"
            })
            .map(str::to_string)
            .collect();
        pairs.push(format!("Database={name}"));
        let connection_string = pairs.join(";");
        #[cfg(feature = "mssql")]
        {
            let url = ams_core::store::DbUrl::parse(&base, Path::new("/")).unwrap();
            ams_core::store::mssql_test_database(&url, &name, false).unwrap();
            ams_core::store::mssql_test_database(&url, &name, true).unwrap();
        }
        ServerDb { connection_string, name }
    }
}

impl Drop for ServerDb {
    fn drop(&mut self) {
        #[cfg(feature = "mssql")]
        if let Ok(base) = std::env::var("AMS_TEST_MSSQL_URL")
            && let Ok(url) = ams_core::store::DbUrl::parse(&base, Path::new("/"))
        {
            let _ = ams_core::store::mssql_test_database(&url, &self.name, false);
        }
    }
}

/// Points a new data directory at a new SQL Server database when this run uses SQL Server
/// (see [`on_sql_server`]); returns that database.
pub fn prepare_data_dir(dir: &Path) -> Option<ServerDb> {
    if !on_sql_server() {
        return None;
    }
    let db = ServerDb::new();
    ams_core::instance::create_data_dir(dir).unwrap();
    let out = run_in(dir, &["host-config", "set", "--connection-string", "-"], Some(&db.connection_string));
    assert!(out.status.success(), "host-config set failed: {}", String::from_utf8_lossy(&out.stderr));
    Some(db)
}

impl Instance {
    /// A new instance with [`DEFAULT_RECOVERY`].
    pub fn new() -> Instance {
        Instance::with_recovery(DEFAULT_RECOVERY)
    }

    /// A new instance with the given recovery password.
    pub fn with_recovery(recovery: &str) -> Instance {
        Instance::make(recovery, on_sql_server())
    }

    /// A new instance on SQLite, whatever engine the run puts the others on.
    pub fn sqlite() -> Instance {
        Instance::make(DEFAULT_RECOVERY, false)
    }

    fn make(recovery: &str, server: bool) -> Instance {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        let server_db = if server { prepare_data_dir(&dir) } else { None };
        let out = run_in(&dir, &["init"], Some(&format!("{recovery}\n")));
        assert!(out.status.success(), "init failed: {}", String::from_utf8_lossy(&out.stderr));
        Instance { tmp, dir, server_db }
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
