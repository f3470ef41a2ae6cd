//! T-SQL for configuration: removing a service setting, row counts for diagnostics, and a check
//! (by connecting) of a database named by a connection string.

use super::{MssqlConn, MssqlEngine, MssqlTx, statements};
use crate::error::{Error, ErrorCode, Result};
use crate::store::migrate::{self, MigrationStatus};
use crate::store::{ConfigRead, ConfigWrite};

statements! {
    /// The ams tables (names from the catalog, never from input), ordered as SQLite orders
    /// them (by code point).
    TABLE_NAMES = "SELECT name FROM sys.tables WHERE is_ms_shipped = 0 AND schema_id = SCHEMA_ID(N'dbo')
        ORDER BY name COLLATE Latin1_General_100_BIN2";
    /// One table's exact row count. The partition metadata (`sys.partitions.rows`) is only
    /// approximate on SQL Server and -1 on Babelfish before a table is first analysed; the name
    /// comes from TABLE_NAMES and is quoted by QUOTENAME.
    TABLE_COUNT = "DECLARE @q nvarchar(max) = N'SELECT COUNT_BIG(*) FROM dbo.' + QUOTENAME(@P1); EXEC sp_executesql @q";
    USER_TABLES = "SELECT COUNT_BIG(*) FROM sys.tables WHERE is_ms_shipped = 0";
    DELETE_SETTING = "DELETE FROM service_settings WHERE [key] = @P1";
    /// Tests only ([`wipe_for_tests`]): every ams table, children before parents.
    WIPE = "DROP TABLE IF EXISTS dbo.notification_queue, dbo.notification_channels, dbo.access_requests, dbo.rule_approval_policies, dbo.instance_secrets, dbo.word_list_words, dbo.word_lists,
        dbo.agent_policy_targets, dbo.agent_policies, dbo.device_rotation_marks, dbo.agent_token_ids,
        dbo.device_keys, dbo.jit_scheduler_jobs, dbo.jit_group_creation_rules, dbo.jit_directory,
        dbo.rate_limit_events, dbo.role_rule_principals, dbo.role_authorization_rules,
        dbo.computer_rule_principals, dbo.computer_authorization_rules, dbo.bitlocker_keys,
        dbo.device_passwords, dbo.device_group_members, dbo.devices, dbo.registration_key_groups,
        dbo.device_groups, dbo.registration_keys, dbo.certificates, dbo.audit_log, dbo.service_settings,
        dbo.key_protectors, dbo.master_keys, dbo.instance, dbo.schema_migrations";
    /// Tests only ([`TestLock`]): the suites that share one database take turns, across
    /// processes (nextest runs each test in its own) and hosts. Owned by the session, so it
    /// ends with the connection even when the test process dies.
    TEST_LOCK = "EXEC sp_getapplock @Resource = 'ams.tests', @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = 900000; \
                 SELECT APPLOCK_MODE('public', 'ams.tests', 'Session')";
    /// Tests only ([`create_test_database`]): a new database for one CLI test instance. The
    /// name is a parameter, quoted by QUOTENAME (CREATE DATABASE takes no variable).
    CREATE_TEST_DATABASE = "DECLARE @q nvarchar(max) = N'CREATE DATABASE ' + QUOTENAME(@P1); EXEC (@q)";
    DROP_TEST_DATABASE = "DECLARE @q nvarchar(max) = N'DROP DATABASE IF EXISTS ' + QUOTENAME(@P1); EXEC (@q)";
}

/// Refuses unless `AMS_TEST_MSSQL_URL` is set, so no product path can reach the test helpers.
fn tests_only() -> Result<()> {
    if std::env::var_os("AMS_TEST_MSSQL_URL").is_none() {
        return Err(Error::new(ErrorCode::Internal, "This is for the test suites only."));
    }
    Ok(())
}

/// Held by a test that uses the shared test database: other tests (in any process) wait for it.
pub(crate) struct TestLock {
    _engine: MssqlEngine,
}

/// Takes the test suites' lock on the database (waiting up to 15 minutes).
pub(crate) fn lock_for_tests(c: &MssqlConn) -> Result<TestLock> {
    tests_only()?;
    let engine = MssqlEngine::open(c)?;
    let mode = engine.run(async |k| k.query(TEST_LOCK.text(), &[]).await?.into_first_result().await)?;
    let granted = mode.first().and_then(|r| r.try_get::<&str, _>(0).ok().flatten()) == Some("Exclusive");
    if !granted {
        return Err(Error::new(ErrorCode::DbBusy, "Another test held the test database for 15 minutes."));
    }
    Ok(TestLock { _engine: engine })
}

/// A test database name: ASCII letters, digits and `_`, starting with a letter, at most 100.
fn test_database_name(name: &str) -> Result<&str> {
    let ok = name.len() <= 100
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok { Ok(name) } else { Err(Error::internal("a test database name must be plain")) }
}

/// Creates database `name` on the server of `c` (tests only: one database per CLI test
/// instance). CREATE DATABASE runs outside any transaction.
pub(crate) fn create_test_database(c: &MssqlConn, name: &str) -> Result<()> {
    tests_only()?;
    let name = test_database_name(name)?.to_string();
    let engine = MssqlEngine::open(c)?;
    engine.run(async |k| k.execute(CREATE_TEST_DATABASE.text(), &[&name]).await)?;
    Ok(())
}

/// Drops database `name` if it exists (tests only).
pub(crate) fn drop_test_database(c: &MssqlConn, name: &str) -> Result<()> {
    tests_only()?;
    let name = test_database_name(name)?.to_string();
    let engine = MssqlEngine::open(c)?;
    engine.run(async |k| k.execute(DROP_TEST_DATABASE.text(), &[&name]).await)?;
    Ok(())
}

/// Drops every ams table of the database (the contract suite's fresh database per check).
/// Refused unless `AMS_TEST_MSSQL_URL` is set, so no product path can reach it by accident.
pub(crate) fn wipe_for_tests(c: &MssqlConn) -> Result<()> {
    tests_only()?;
    let engine = MssqlEngine::open(c)?;
    let tx = engine.begin(true)?;
    tx.exec(WIPE, &[])?;
    tx.finish(true)
}

impl ConfigRead for MssqlTx<'_> {
    fn table_counts(&self) -> Result<Vec<(String, i64)>> {
        let names = self.rows(TABLE_NAMES, &[], |r| r.s())?;
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            let n = self.count(TABLE_COUNT, &[&name])?;
            out.push((name, n));
        }
        Ok(out)
    }
}

impl ConfigWrite for MssqlTx<'_> {
    fn delete_setting(&self, key: &str) -> Result<bool> {
        Ok(self.exec(DELETE_SETTING, &[&key])? > 0)
    }
}

/// Checks, by connecting and changing nothing, that the database is an ams database this
/// binary can open or migrate, or an empty database `ams init` can create an instance in.
/// Connection and login failures keep their own codes (AMS-MSSQL-0003/0004); a database that
/// holds other tables, or an ams schema this binary cannot use, is
/// [`ErrorCode::ConnectionStringInvalid`] with the reason.
pub(crate) fn probe(c: &MssqlConn) -> Result<MigrationStatus> {
    let engine = MssqlEngine::open(c)?;
    let tx = engine.begin(false)?;
    let applied = super::migrate::applied(&tx)?;
    let tables = tx.count(USER_TABLES, &[])?;
    tx.finish(true)?;
    let fail = |message: &str| {
        Error::new(ErrorCode::ConnectionStringInvalid, message.to_string()).with("database", c.database.as_str())
    };
    match migrate::check(super::migrate::MIGRATIONS, &applied) {
        Ok(st) if st.schema_version == 0 && tables > 0 => {
            Err(fail("The SQL Server database holds tables but no ams schema.")
                .hint("Point the connection string at an ams database, or at a new empty database for `ams init`."))
        }
        Ok(st) => Ok(st),
        Err(e) => Err(fail("The SQL Server database holds an ams schema this version cannot open.")
            .with("reason", e.code().as_str())
            .with("detail", e.message())),
    }
}
