//! SQL Server from the command line: `host-config set` with a SQL Server string, `ams init`,
//! and everyday verbs on the SQL Server instance.
//!
//! Without a server this checks what happens when none answers (loopback port 1: refused at
//! once, no traffic leaves the machine). With `AMS_TEST_MSSQL_URL` (an ADO.NET connection string
//! to a database the login may empty) it also runs the whole path on that server.

mod common;
use common::*;
use serde_json::Value;

const UNREACHABLE: &str = "Server=tcp:127.0.0.1,1;Database=ams;User Id=ams;Password=Canary-Mssql-1;Connect Timeout=5";

fn new_data_dir(tmp: &tempfile::TempDir, name: &str) -> std::path::PathBuf {
    let dir = tmp.path().join(name);
    ams_core::instance::create_data_dir(&dir).unwrap();
    dir
}

#[test]
fn sql_server_instances_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();

    // No server: init fails with a coded error, echoes no password, and leaves no host key.
    let dir = new_data_dir(&tmp, "unreachable");
    ok_in(
        &dir,
        &["host-config", "set", "--connection-string", "-", "--skip-connection-string-validation"],
        Some(UNREACHABLE),
    );
    let out = run_in(&dir, &["init", "--generate-recovery-password"], None);
    assert_eq!(out.status.code(), Some(7), "{}", String::from_utf8_lossy(&out.stderr));
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["code"], "AMS-MSSQL-0003");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("Canary-Mssql-1"));
    assert!(out.stdout.is_empty());
    assert!(!dir.join("host.key").exists(), "a failed init leaves no host key");
    let (code, err) = err_in(&dir, &["db", "migrate", "--print-sql"], None);
    assert_eq!((code, err["code"].as_str().unwrap()), (7, "AMS-MSSQL-0003"));
    // Backups copy the rows into the usual SQLite image, so they need the server too; restores
    // into SQL Server are the platform's.
    let (code, err) = err_in(&dir, &["db", "backup", "--out", tmp.path().join("b").to_str().unwrap()], None);
    assert_eq!((code, err["code"].as_str().unwrap()), (7, "AMS-MSSQL-0003"));
    assert!(!tmp.path().join("b").exists(), "no backup file is left behind");
    let lite = Instance::sqlite();
    let file = lite.dir.parent().unwrap().join("lite.amsbackup");
    lite.ok(&["db", "backup", "--out", file.to_str().unwrap()], None);
    let (code, err) = err_in(&dir, &["db", "restore", file.to_str().unwrap()], None);
    assert_eq!((code, err["code"].as_str().unwrap()), (7, "AMS-MSSQL-0003"), "{err}");

    #[cfg(feature = "mssql")]
    if let Ok(cs) = std::env::var("AMS_TEST_MSSQL_URL") {
        on_a_server(&tmp, &cs);
    } else {
        eprintln!("mssql: the SQL Server part skipped (AMS_TEST_MSSQL_URL is not set)");
    }
}

#[cfg(feature = "mssql")]
fn on_a_server(tmp: &tempfile::TempDir, cs: &str) {
    let url = ams_core::store::DbUrl::parse(cs, tmp.path()).unwrap();
    // The database is shared with the core suites: take turns with them.
    let _turn = ams_core::store::lock_mssql_for_tests(&url).unwrap();
    ams_core::store::wipe_mssql_for_tests(&url).unwrap();
    let dir = new_data_dir(tmp, "server");
    let set = ok_in(&dir, &["host-config", "set", "--connection-string", "-"], Some(cs));
    assert_eq!(set["DatabaseEngine"], "mssql");
    let init = ok_in(&dir, &["init", "--generate-recovery-password"], None);
    let recovery = init["RecoveryPassword"].as_str().unwrap().to_string();
    let st = ok_in(&dir, &["db", "status"], None);
    assert_eq!(st["Engine"], "mssql");
    assert_eq!(st["SchemaVersion"], st["TargetVersion"]);
    assert!(st["Database"].as_str().unwrap().contains("Password=***"));
    let printed = ok_in(&dir, &["db", "migrate", "--print-sql"], None);
    assert_eq!(printed["Script"], "");
    // A second host on the same database finds the instance there.
    let second = new_data_dir(tmp, "second");
    ok_in(&second, &["host-config", "set", "--connection-string", "-"], Some(cs));
    let (code, err) = err_in(&second, &["init", "--generate-recovery-password"], None);
    assert_eq!((code, err["code"].as_str().unwrap()), (4, "AMS-CFG-0002"), "one instance per database");
    // Everyday verbs.
    let g = ok_in(&dir, &["group", "new", "--name", "Lab"], None);
    let dup = err_in(&dir, &["group", "new", "--name", "LAB"], None);
    assert_eq!(dup.0, 4, "names are case-insensitive: {dup:?}");
    let groups = ok_in(&dir, &["group", "get", "--name", "lab"], None);
    assert!(groups.to_string().contains(g["Id"].as_str().unwrap()));
    ok_in(&dir, &["audit", "verify"], None);
    // A backup of the SQL Server instance is the usual file: it verifies, and restores into a
    // new SQLite instance where every secret opens again with the recovery password.
    let file = tmp.path().join("from-sql-server.amsbackup");
    ok_in(&dir, &["db", "backup", "--out", file.to_str().unwrap()], None);
    ok_in(&dir, &["db", "verify", file.to_str().unwrap(), "--recovery-password-stdin"], Some(&recovery));
    let lite = tmp.path().join("sqlite-copy");
    ok_in(&lite, &["db", "restore", file.to_str().unwrap(), "--recovery-password-stdin"], Some(&recovery));
    let groups = ok_in(&lite, &["group", "get", "--name", "lab"], None);
    assert!(groups.to_string().contains(g["Id"].as_str().unwrap()));
    ok_in(&lite, &["audit", "verify"], None);
    // The second host gets the master key with the recovery password and its own host
    // protector; the first host keeps its own and keeps reading secrets (docs/sql-server.md
    // section 5). Each lists both, and knows which is its own.
    let key = ok_in(&dir, &["device-registration-key", "new", "--name", "hosts"], None);
    ok_in(&second, &["key", "recover"], Some(&recovery));
    ok_in(&second, &["audit", "verify"], None);
    for d in [&dir, &second] {
        let st = ok_in(d, &["key", "status"], None);
        assert_eq!(st["RecoveryMode"], false, "{st}");
        assert_eq!(st["HostProtectors"].as_array().unwrap().len(), 2, "{st}");
        let got = ok_in(d, &["device-registration-key", "get", "--id", key["Id"].as_str().unwrap()], None);
        assert_eq!(got[0]["Key"], key["Key"], "both hosts open the sealed key");
    }
    // The first host revokes the second: the second is in recovery mode, the first is not.
    let st = ok_in(&second, &["key", "status"], None);
    let second_id = st["ThisHostKeyId"].as_str().unwrap().to_string();
    let (code, err) = err_in(&second, &["key", "host-protector", "remove", "--host-key-id", &second_id], None);
    assert_eq!((code, err["code"].as_str().unwrap()), (4, "AMS-KEY-0012"), "not its own");
    ok_in(&dir, &["key", "host-protector", "remove", "--host-key-id", &second_id], None);
    assert_eq!(ok_in(&second, &["key", "status"], None)["RecoveryMode"], true);
    assert_eq!(ok_in(&dir, &["key", "status"], None)["RecoveryMode"], false);
    ok_in(&dir, &["device-registration-key", "get", "--id", key["Id"].as_str().unwrap()], None);
    ok_in(&dir, &["audit", "verify"], None);
    // SQLite to SQL Server: a SQLite instance's backup restored into an empty SQL Server
    // database that has the schema (`ams db migrate`), opened with the recovery password.
    ams_core::store::wipe_mssql_for_tests(&url).unwrap();
    let moved = new_data_dir(tmp, "moved");
    ok_in(&moved, &["host-config", "set", "--connection-string", "-"], Some(cs));
    ok_in(&moved, &["db", "migrate"], None);
    let lite = Instance::sqlite();
    let lg = lite.ok(&["group", "new", "--name", "FromSqlite"], None);
    let lite_file = lite.dir.parent().unwrap().join("to-sql-server.amsbackup");
    lite.ok(&["db", "backup", "--out", lite_file.to_str().unwrap()], None);
    ok_in(&moved, &["db", "restore", lite_file.to_str().unwrap(), "--recovery-password-stdin"], Some(DEFAULT_RECOVERY));
    let groups = ok_in(&moved, &["group", "get", "--name", "fromsqlite"], None);
    assert!(groups.to_string().contains(lg["Id"].as_str().unwrap()));
    ok_in(&moved, &["audit", "verify"], None);
}
