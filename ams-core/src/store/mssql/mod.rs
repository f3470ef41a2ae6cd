//! The SQL Server engine: a connection through `tiberius`, transactions, and the T-SQL for every
//! row type. See docs/adr/0009-sql-server-engine.md and docs/sql-server.md.
//!
//! The contract traits are implemented on [`MssqlTx`], one file per area (the same file names
//! as in `store/contract/` and `store/sqlite/`).
//!
//! - **A private runtime.** The core is synchronous; tiberius is async. The engine owns a
//!   current-thread tokio runtime and one connection, and blocks on it for each statement. The
//!   engine must not be used from inside another runtime's async context (a server calls the
//!   core on blocking threads, where this is fine).
//! - **Every statement is a constant.** Each area file declares its T-SQL with [`statements!`],
//!   which also lists them in `STATEMENTS`; a unit test parses every one with sqlparser's
//!   MsSql dialect. The helpers only take [`Sql`], so nothing else reaches the server.
//! - **Writers are serialised.** SQLite has one writer at a time, and several rules rely on it
//!   (the audit chain's read-then-append, rate-limit count-then-insert, registration-key
//!   activation counts, the one active certificate and current password, JIT jobs claimed once).
//!   A write transaction here takes the exclusive application lock `ams.write`
//!   (`sp_getapplock`, transaction-owned, waiting up to [`WRITE_WAIT`]) before anything else, so
//!   writers from every host queue exactly as SQLite's do and never deadlock on an upgrade. The
//!   filtered unique indexes (one active certificate, one current password, one active master
//!   key) back this up in the schema. Upserts are UPDATE, then INSERT when nothing was updated,
//!   under `UPDLOCK, HOLDLOCK` (never MERGE).
//! - **Reads see one snapshot** when the database allows SNAPSHOT isolation (docs/sql-server.md
//!   says how to turn it on); otherwise READ COMMITTED, where a read may wait for a writer.

mod agent_server;
mod approval;
mod authz;
mod backup;
mod cert_recovery;
mod config;
pub(crate) mod conn;
mod data_plane;
mod error;
mod foundation;
mod jit;
pub(crate) mod migrate;
mod notify;
mod policy;
#[cfg(test)]
mod schema_check;

pub(crate) use config::{create_test_database, drop_test_database, lock_for_tests, probe, wipe_for_tests};
pub use conn::{MssqlAuth, MssqlConn, MssqlEncrypt};

use std::cell::{Cell, RefCell};
use std::path::Path;

use tiberius::{AuthMethod, Client, Config, EncryptionLevel, IsolationLevel, Row, ToSql};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

use crate::error::{Error, ErrorCode, Result};
use crate::store::migrate::{AppliedMigration, Migration};
use crate::store::{Engine, MigrationScope, ReadScope, ReadTx, Replaced, WRITE_WAIT, WriteScope, WriteTx};

/// One T-SQL statement (or batch) the engine sends. Made only by [`statements!`], so every
/// statement is a constant that the parse test sees.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sql(&'static str);

impl Sql {
    /// The text.
    pub(crate) fn text(self) -> &'static str {
        self.0
    }
}

/// Declares a file's T-SQL constants and lists them in `STATEMENTS` for the parse test.
macro_rules! statements {
    ($( $(#[$m:meta])* $name:ident = $sql:expr; )*) => {
        $( $(#[$m])* pub(crate) const $name: $crate::store::mssql::Sql = $crate::store::mssql::Sql($sql); )*
        /// Every statement this file sends (a test parses each with sqlparser's MsSql dialect).
        #[cfg(test)]
        pub(super) const STATEMENTS: &[(&str, $crate::store::mssql::Sql)] = &[ $( (stringify!($name), $name), )* ];
    };
}
pub(crate) use statements;

type Conn = Client<Compat<TcpStream>>;

statements! {
    /// Session settings, sent once per connection as a plain batch (so they last for the
    /// session): the ANSI settings filtered indexes need; XACT_ABORT OFF, so a failed
    /// constraint undoes only its statement, as on SQLite (errors that do end the transaction
    /// are detected with TRANCOUNT); English messages (547 is told apart by its text); the lock
    /// wait.
    SESSION = "SET ANSI_NULLS ON; SET ANSI_PADDING ON; SET ANSI_WARNINGS ON; SET ARITHABORT ON; \
               SET CONCAT_NULL_YIELDS_NULL ON; SET QUOTED_IDENTIFIER ON; SET NUMERIC_ROUNDABORT OFF; \
               SET XACT_ABORT OFF; SET LOCK_TIMEOUT 30000; SET LANGUAGE us_english";
    /// Whether the transaction still exists after a failed statement.
    TRANCOUNT = "SELECT CAST(@@TRANCOUNT AS bigint)";
    /// Whether the database allows SNAPSHOT transactions.
    SNAPSHOT_STATE = "SELECT CAST(snapshot_isolation_state AS bigint) FROM sys.databases WHERE database_id = DB_ID()";
    /// The writers' lock: every write transaction takes it first (see the module comment). The
    /// SELECT reports whether it was granted (sp_getapplock returns, it does not raise).
    WRITE_LOCK = "EXEC sp_getapplock @Resource = 'ams.write', @LockMode = 'Exclusive', @LockOwner = 'Transaction', @LockTimeout = 30000; \
                  SELECT APPLOCK_MODE('public', 'ams.write', 'Transaction')";
}

/// How long one round trip to the server may take before the statement fails.
const COMMAND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// A row count as `usize`.
fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// An open SQL Server database: a private runtime and one connection.
pub(crate) struct MssqlEngine {
    // Dropped before the runtime its socket is registered with. `None` after the connection
    // failed (network, timeout, protocol): the next transaction connects again.
    client: RefCell<Option<Conn>>,
    rt: tokio::runtime::Runtime,
    conn: MssqlConn,
    /// SNAPSHOT isolation is allowed, so read transactions use it.
    snapshot: bool,
}

/// Connects and logs in, and sets up the session; returns the connection and whether the
/// database allows SNAPSHOT isolation.
fn connect(rt: &tokio::runtime::Runtime, c: &MssqlConn) -> Result<(Conn, bool)> {
    let mut config = Config::new();
    config.host(&c.host);
    config.port(c.port);
    config.database(&c.database);
    config.application_name(c.application_name.as_deref().unwrap_or("ams"));
    match &c.auth {
        MssqlAuth::Sql { user, password } => config.authentication(AuthMethod::sql_server(user, password.as_str())),
        // Windows (SSPI) on Windows, Kerberos (GSSAPI) on Linux and macOS, as this process's account.
        #[cfg(all(feature = "mssql-integrated-auth", any(windows, unix)))]
        MssqlAuth::Integrated => config.authentication(AuthMethod::Integrated),
        // The parser refuses integrated authentication in this build (AMS-MSSQL-0010); a value
        // made another way gets the same error, never another login.
        #[cfg(not(all(feature = "mssql-integrated-auth", any(windows, unix))))]
        MssqlAuth::Integrated => {
            return Err(Error::new(
                ErrorCode::MssqlIntegratedAuthUnsupported,
                "Integrated (Windows or Kerberos) authentication is not available in this build of ams.",
            )
            .hint("Use SQL Server authentication (User Id=LOGIN;Password=..., see docs/sql-server.md)."));
        }
    }
    config.encryption(match c.encrypt {
        MssqlEncrypt::Required => EncryptionLevel::Required,
        MssqlEncrypt::LoginOnly => EncryptionLevel::Off,
    });
    if c.trust_server_certificate {
        config.trust_cert();
    }
    // A server that stops answering fails the statement instead of hanging; longer than the
    // lock waits (30 s), so a lock wait ends as AMS-DB-0005, not as a timeout.
    config.command_timeout(Some(COMMAND_TIMEOUT));
    let timeout = c.connect_timeout;
    let (host, port) = (c.host.clone(), c.port);
    let mut client = rt
        .block_on(async move {
            let connect = async {
                let tcp = TcpStream::connect((host.as_str(), port)).await.map_err(error::connect_io)?;
                let _ = tcp.set_nodelay(true);
                Client::connect(config, tcp.compat_write()).await.map_err(Error::from)
            };
            match tokio::time::timeout(timeout, connect).await {
                Ok(r) => r,
                Err(_) => Err(Error::new(ErrorCode::MssqlConnectFailed, "SQL Server did not answer in time.")
                    .hint("Check the host, the port and the firewall, or raise Connect Timeout.")
                    .with("reason", "timeout")),
            }
        })
        .map_err(|e| e.with("server", format!("{}:{}", c.host, c.port)))?;
    let snapshot = rt.block_on(async {
        client.simple_query(SESSION.text()).await?.into_results().await?;
        let rows = client.query(SNAPSHOT_STATE.text(), &[]).await?.into_first_result().await?;
        Ok::<_, tiberius::error::Error>(rows.first().and_then(|r| r.try_get::<i64, _>(0).ok().flatten()) == Some(1))
    })?;
    Ok((client, snapshot))
}

fn connection_lost() -> Error {
    Error::new(
        ErrorCode::MssqlConnectFailed,
        "The connection to SQL Server was lost; the transaction was not committed.",
    )
    .hint("Run the command again.")
    .with("reason", "network")
}

impl MssqlEngine {
    /// Connects, logs in, sets up the session. Never creates a database: it must exist.
    pub(crate) fn open(c: &MssqlConn) -> Result<MssqlEngine> {
        // Checked before the runtime exists: neither blocking on it nor dropping it is allowed
        // inside another runtime (docs/adr/0009-sql-server-engine.md).
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::internal("the SQL Server engine was opened from inside an async runtime"));
        }
        let rt = tokio::runtime::Builder::new_current_thread().enable_io().enable_time().build().map_err(|e| {
            Error::new(ErrorCode::Internal, "The SQL Server engine could not start its runtime.")
                .with("detail", e.to_string())
        })?;
        let (client, snapshot) = connect(&rt, c)?;
        Ok(MssqlEngine { client: RefCell::new(Some(client)), rt, conn: c.clone(), snapshot })
    }

    /// Runs `f` on the connection, blocking on the private runtime. A failure of the
    /// connection itself (not an error the server reported) drops it.
    fn run<T>(&self, f: impl AsyncFnOnce(&mut Conn) -> std::result::Result<T, tiberius::error::Error>) -> Result<T> {
        Ok(self.run_raw(f)??)
    }

    /// [`run`](Self::run) for one statement (or batch) `sql`: a server error's message is passed
    /// on where it cannot quote a value (`error::server_message`).
    fn run_sql<T>(
        &self,
        sql: &str,
        f: impl AsyncFnOnce(&mut Conn) -> std::result::Result<T, tiberius::error::Error>,
    ) -> Result<T> {
        match self.run_raw(f)? {
            Ok(v) => Ok(v),
            Err(e) => {
                let message = error::server_message(&e, sql);
                let out = Error::from(e);
                Err(match message {
                    Some(m) => out.with("server_message", m),
                    None => out,
                })
            }
        }
    }

    fn run_raw<T>(
        &self,
        f: impl AsyncFnOnce(&mut Conn) -> std::result::Result<T, tiberius::error::Error>,
    ) -> Result<std::result::Result<T, tiberius::error::Error>> {
        // No runtime check here: the agent server calls the core on `spawn_blocking` threads,
        // which carry its runtime's handle and may block on this private one (ADR 0009). Only
        // `open` refuses a caller inside a runtime, before it makes its own.
        let mut slot =
            self.client.try_borrow_mut().map_err(|_| Error::internal("the SQL Server connection is already in use"))?;
        let client = slot.as_mut().ok_or_else(connection_lost)?;
        let r = self.rt.block_on(f(client));
        if let Err(e) = &r
            && !matches!(e, tiberius::error::Error::Server(_))
        {
            *slot = None;
        }
        Ok(r)
    }

    /// Replaces a lost connection. Called only when a transaction begins, never inside one.
    fn reconnect_if_lost(&self) -> Result<()> {
        let lost = self.client.try_borrow().map(|c| c.is_none()).unwrap_or(false);
        if lost {
            let (client, _) = connect(&self.rt, &self.conn)?;
            if let Ok(mut slot) = self.client.try_borrow_mut() {
                *slot = Some(client);
            }
        }
        Ok(())
    }

    fn begin(&self, write: bool) -> Result<MssqlTx<'_>> {
        self.reconnect_if_lost()?;
        let level = if write || !self.snapshot { IsolationLevel::ReadCommitted } else { IsolationLevel::Snapshot };
        self.run(async |c| c.begin_transaction_with_isolation(level).await)?;
        let tx = MssqlTx::new(self);
        if write {
            tx.take_lock(WRITE_LOCK)?;
        }
        Ok(tx)
    }
}

/// A SQL Server transaction: the type every contract trait is implemented on. Dropped without
/// commit, it rolls back.
pub(crate) struct MssqlTx<'e> {
    engine: &'e MssqlEngine,
    open: Cell<bool>,
    /// The server ended the transaction after an error: nothing more may run in it (it would
    /// run outside any transaction) and it cannot commit.
    aborted: Cell<bool>,
}

impl<'e> MssqlTx<'e> {
    /// The transaction just begun on `engine`.
    fn new(engine: &'e MssqlEngine) -> Self {
        MssqlTx { engine, open: Cell::new(true), aborted: Cell::new(false) }
    }
}

impl MssqlTx<'_> {
    fn check_alive(&self) -> Result<()> {
        if self.aborted.get() {
            return Err(Error::new(
                ErrorCode::DbUnavailable,
                "SQL Server rolled the transaction back after an error; nothing of it was committed.",
            )
            .hint("Try the command again."));
        }
        Ok(())
    }

    /// Runs one statement; after a failure, finds out whether the server ended the transaction.
    fn guarded<T>(&self, r: Result<T>) -> Result<T> {
        if r.is_err() && !self.aborted.get() {
            let alive = self.engine.run(async |c| c.query(TRANCOUNT.text(), &[]).await?.into_first_result().await);
            let count = alive.ok().and_then(|rows| rows.first().and_then(|r| r.try_get::<i64, _>(0).ok().flatten()));
            if count.unwrap_or(0) == 0 {
                self.aborted.set(true);
                self.open.set(false);
            }
        }
        r
    }

    /// Takes an application lock (a `WRITE_LOCK`-shaped statement) and checks that it was
    /// granted; a lock not granted in [`WRITE_WAIT`] is [`ErrorCode::DbBusy`].
    fn take_lock(&self, q: Sql) -> Result<()> {
        let mode = self.one(q, &[], |r| r.s())?;
        if mode.as_deref() == Some("Exclusive") {
            Ok(())
        } else {
            Err(Error::new(ErrorCode::DbBusy, "The database stayed busy longer than the lock wait.")
                .hint("Another ams host or process holds a long write; try again.")
                .with("wait_seconds", WRITE_WAIT.as_secs()))
        }
    }

    /// The rows of a query, mapped.
    fn rows<T>(&self, q: Sql, p: &[&dyn ToSql], f: impl Fn(&Cols<'_>) -> Result<T>) -> Result<Vec<T>> {
        self.check_alive()?;
        let (text, p) = inline_nulls(q.text(), p);
        let rows = self.guarded(
            self.engine.run_sql(&text, async |c| c.query(text.as_ref(), &p).await?.into_first_result().await),
        )?;
        rows.iter().map(|r| f(&Cols::new(r))).collect()
    }

    /// The first row of a query, mapped.
    fn one<T>(&self, q: Sql, p: &[&dyn ToSql], f: impl Fn(&Cols<'_>) -> Result<T>) -> Result<Option<T>> {
        self.check_alive()?;
        let (text, p) = inline_nulls(q.text(), p);
        let rows = self.guarded(
            self.engine.run_sql(&text, async |c| c.query(text.as_ref(), &p).await?.into_first_result().await),
        )?;
        rows.first().map(|r| f(&Cols::new(r))).transpose()
    }

    /// A statement's (or batch's) rows affected, summed.
    fn exec(&self, q: Sql, p: &[&dyn ToSql]) -> Result<usize> {
        self.check_alive()?;
        let (text, p) = inline_nulls(q.text(), p);
        let r = self.guarded(self.engine.run_sql(&text, async |c| c.execute(text.as_ref(), &p).await))?;
        Ok(to_usize(r.total()))
    }

    /// A query returning one `bigint` (a count).
    fn count(&self, q: Sql, p: &[&dyn ToSql]) -> Result<i64> {
        Ok(self.one(q, p, |r| r.i())?.unwrap_or(0))
    }

    fn finish(&self, commit: bool) -> Result<()> {
        if commit {
            self.check_alive()?;
        }
        self.open.set(false);
        if commit {
            self.engine.run(async |c| c.commit_transaction().await)
        } else {
            self.engine.run(async |c| c.rollback_transaction().await)
        }
    }
}

impl Drop for MssqlTx<'_> {
    fn drop(&mut self) {
        if self.open.get() {
            // XACT_ABORT may already have rolled back on the server; nothing more to do then.
            let _ = self.finish(false);
        }
    }
}

/// Reads a row's columns in order: each call takes the next column.
pub(crate) struct Cols<'r> {
    row: &'r Row,
    next: Cell<usize>,
}

impl<'r> Cols<'r> {
    fn new(row: &'r Row) -> Self {
        Cols { row, next: Cell::new(0) }
    }

    fn idx(&self) -> usize {
        let i = self.next.get();
        self.next.set(i + 1);
        i
    }

    fn null(i: usize) -> Error {
        Error::new(ErrorCode::DbCorrupt, "The database returned NULL where a value is required.").with("column", i)
    }

    /// Text, or NULL.
    pub(crate) fn os(&self) -> Result<Option<String>> {
        Ok(self.row.try_get::<&str, _>(self.idx())?.map(str::to_string))
    }

    /// Text.
    pub(crate) fn s(&self) -> Result<String> {
        let i = self.next.get();
        self.os()?.ok_or_else(|| Self::null(i))
    }

    /// Bytes, or NULL.
    pub(crate) fn ob(&self) -> Result<Option<Vec<u8>>> {
        Ok(self.row.try_get::<&[u8], _>(self.idx())?.map(<[u8]>::to_vec))
    }

    /// Bytes.
    pub(crate) fn b(&self) -> Result<Vec<u8>> {
        let i = self.next.get();
        self.ob()?.ok_or_else(|| Self::null(i))
    }

    /// A `bigint`, or NULL.
    pub(crate) fn oi(&self) -> Result<Option<i64>> {
        Ok(self.row.try_get::<i64, _>(self.idx())?)
    }

    /// A `bigint`.
    pub(crate) fn i(&self) -> Result<i64> {
        let i = self.next.get();
        self.oi()?.ok_or_else(|| Self::null(i))
    }

    /// A `bit`.
    pub(crate) fn flag(&self) -> Result<bool> {
        let i = self.idx();
        self.row.try_get::<bool, _>(i)?.ok_or_else(|| Self::null(i))
    }
}

impl Engine for MssqlEngine {
    fn begin_read(&self) -> Result<Box<dyn ReadScope + '_>> {
        Ok(Box::new(ReadTxn(self.begin(false)?)))
    }

    fn begin_scan(&self) -> Result<Box<dyn ReadScope + '_>> {
        // The server keeps its own cache; the client holds one page of rows at a time anyway.
        self.begin_read()
    }

    fn begin_write(&self) -> Result<Box<dyn WriteScope + '_>> {
        Ok(Box::new(WriteTxn(self.begin(true)?)))
    }

    fn begin_bulk_write(&self) -> Result<Box<dyn WriteScope + '_>> {
        // The server manages its own memory.
        self.begin_write()
    }

    fn migrations(&self) -> &'static [Migration] {
        migrate::MIGRATIONS
    }

    fn applied_migrations(&self) -> Result<Vec<AppliedMigration>> {
        let tx = self.begin(false)?;
        let out = migrate::applied(&tx)?;
        tx.finish(true)?;
        Ok(out)
    }

    fn begin_migration(&self) -> Result<Box<dyn MigrationScope + '_>> {
        Ok(Box::new(migrate::MigrationTx::begin(self)?))
    }

    fn migration_script(&self, pending: &[Migration], now: &str) -> String {
        migrate::script(pending, now)
    }

    fn copy_to_file(&self, _dest: &Path) -> Result<bool> {
        // A server database is copied with the platform's own backups (BACKUP DATABASE).
        Ok(false)
    }

    fn copy_into_image(
        &self,
        dest: &Path,
        progress: &mut dyn FnMut(u64, u64),
        _written: &mut dyn FnMut(Vec<u8>) -> Vec<u8>,
    ) -> Result<()> {
        // The image is built through SQLite (rows, not pages): the caller hashes the finished file.
        backup::copy_into_image(self, dest, progress)
    }
}

/// A read transaction.
struct ReadTxn<'e>(MssqlTx<'e>);
/// A write transaction.
struct WriteTxn<'e>(MssqlTx<'e>);

impl ReadScope for ReadTxn<'_> {
    fn tx(&self) -> &dyn ReadTx {
        &self.0
    }

    fn end(self: Box<Self>) -> Result<()> {
        self.0.finish(true)
    }
}

impl WriteScope for WriteTxn<'_> {
    fn tx(&self) -> &dyn WriteTx {
        &self.0
    }

    fn commit(self: Box<Self>) -> Result<()> {
        self.0.finish(true)
    }
}

/// Puts a backup image's rows in place of the SQL Server database's (see `backup::replace`).
pub(crate) fn replace(
    url: &crate::store::DbUrl,
    image: &Path,
    copy: &Path,
    exclusive: bool,
    force: bool,
) -> Result<Replaced> {
    match url {
        crate::store::DbUrl::Mssql(c) => backup::replace(c, image, copy, exclusive, force),
        _ => Err(Error::internal("not a SQL Server database")),
    }
}

#[cfg(test)]
mod tests {
    use sqlparser::dialect::MsSqlDialect;
    use sqlparser::parser::Parser;

    use super::*;

    /// Every statement the engine can send, by file.
    pub(crate) fn all_statements() -> Vec<(&'static str, &'static str, Sql)> {
        let authz = authz::all();
        let files: [(&str, &[(&str, Sql)]); 13] = [
            ("mod.rs", STATEMENTS),
            ("agent_server.rs", agent_server::STATEMENTS),
            ("approval.rs", approval::STATEMENTS),
            ("authz.rs", &authz),
            ("backup.rs", backup::STATEMENTS),
            ("cert_recovery.rs", cert_recovery::STATEMENTS),
            ("config.rs", config::STATEMENTS),
            ("data_plane.rs", data_plane::STATEMENTS),
            ("foundation.rs", foundation::STATEMENTS),
            ("jit.rs", jit::STATEMENTS),
            ("migrate.rs", migrate::STATEMENTS),
            ("notify.rs", notify::STATEMENTS),
            ("policy.rs", policy::STATEMENTS),
        ];
        files.iter().flat_map(|(f, list)| list.iter().map(move |(n, s)| (*f, *n, *s))).collect()
    }

    #[test]
    fn every_statement_the_engine_sends_parses_as_t_sql() {
        let all = all_statements();
        assert!(all.len() > 100, "only {} statements found", all.len());
        let mut failures = Vec::new();
        for (file, name, sql) in &all {
            if let Err(e) = Parser::parse_sql(&MsSqlDialect {}, sql.text()) {
                failures.push(format!("{file} {name}: {e}\n    {}", sql.text()));
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {} statements do not parse:\n{}",
            failures.len(),
            all.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn the_engine_refuses_to_block_inside_an_async_runtime() {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let conn = MssqlConn::parse("Server=tcp:127.0.0.1,1;Database=d;User Id=u;Password=p").unwrap();
        let e = rt.block_on(async { MssqlEngine::open(&conn).map(|_| ()) }).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Internal);
        // Outside a runtime the same string is tried, and refused by the (absent) server.
        assert_eq!(MssqlEngine::open(&conn).map(|_| ()).unwrap_err().code(), ErrorCode::MssqlConnectFailed);
    }

    #[test]
    fn the_parse_check_catches_typos() {
        for bad in [
            "SELEC id FROM devices",
            "SELECT id FROM",
            "UPDATE devices SET WHERE id = @P1",
            "INSERT INTO devices (id) VALUES (@P1",
            "DELETE devices WHERE",
            "SELECT id, FROM devices",
        ] {
            assert!(Parser::parse_sql(&MsSqlDialect {}, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn no_statement_uses_what_the_project_rules_out() {
        for (file, name, sql) in all_statements() {
            let upper = sql.text().to_ascii_uppercase();
            for banned in
                ["MERGE ", "CREATE OR ALTER", " LIMIT ", "?1", "ON CONFLICT", "INSERT OR ", "COLLATE NOCASE", "||"]
            {
                assert!(!upper.contains(banned), "{file} {name} uses {banned}");
            }
            // Parameters are @P1, @P2, ... numbered without gaps.
            let mut n = 0;
            while upper.contains(&format!("@P{}", n + 1)) {
                n += 1;
            }
            assert!(!upper.contains(&format!("@P{}", n + 1)), "{file} {name}");
        }
    }
}

/// Whether a parameter is a NULL of any type.
fn is_null(p: &dyn ToSql) -> bool {
    use tiberius::ColumnData as C;
    matches!(
        p.to_sql(),
        C::U8(None)
            | C::I16(None)
            | C::I32(None)
            | C::I64(None)
            | C::F32(None)
            | C::F64(None)
            | C::Bit(None)
            | C::String(None)
            | C::Guid(None)
            | C::Binary(None)
            | C::Numeric(None)
            | C::Xml(None)
            | C::DateTime(None)
            | C::SmallDateTime(None)
            | C::Time(None)
            | C::Date(None)
            | C::DateTime2(None)
            | C::DateTimeOffset(None)
    )
}

/// Writes NULL parameters into the statement as the literal `NULL` (and renumbers the others).
/// tiberius sends a NULL parameter as the typeless TDS NULLTYPE, which SQL Server accepts but
/// Babelfish refuses (error 8009); a literal NULL means the same to both. Statements without a
/// NULL parameter are sent unchanged.
fn inline_nulls<'s, 'p>(sql: &'s str, p: &[&'p dyn ToSql]) -> (std::borrow::Cow<'s, str>, Vec<&'p dyn ToSql>) {
    let nulls: Vec<bool> = p.iter().map(|v| is_null(*v)).collect();
    if !nulls.contains(&true) {
        return (std::borrow::Cow::Borrowed(sql), p.to_vec());
    }
    // New number of each kept parameter (1-based), None for a NULL.
    let mut renumber = Vec::with_capacity(p.len());
    let mut next = 0usize;
    for null in &nulls {
        renumber.push(if *null {
            None
        } else {
            next += 1;
            Some(next)
        });
    }
    let mut out = String::with_capacity(sql.len());
    let bytes = sql.as_bytes();
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'@' && i + 1 < bytes.len() && bytes[i + 1] == b'P' {
            let start = i + 2;
            let mut end = start;
            while end < bytes.len() && bytes[end].is_ascii_digit() {
                end += 1;
            }
            let word_continues = end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_');
            if end > start
                && !word_continues
                && let Some(n) = sql[start..end].parse::<usize>().ok().filter(|n| *n >= 1 && *n <= p.len())
            {
                // Only ASCII bytes were matched, so these are char boundaries.
                out.push_str(&sql[copied..i]);
                match renumber[n - 1] {
                    Some(m) => out.push_str(&format!("@P{m}")),
                    None => out.push_str("NULL"),
                }
                copied = end;
                i = end;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&sql[copied..]);
    let kept = p.iter().zip(&nulls).filter(|(_, null)| !**null).map(|(v, _)| *v).collect();
    (std::borrow::Cow::Owned(out), kept)
}

#[cfg(test)]
mod inline_null_tests {
    use super::*;

    #[test]
    fn null_parameters_become_literals_and_the_rest_are_renumbered() {
        let a = "x".to_string();
        let none: Option<String> = None;
        let n = 7i64;
        let (sql, p) = inline_nulls("INSERT INTO t VALUES (@P1, @P2, @P3, @P10x)", &[&a, &none, &n]);
        assert_eq!(sql, "INSERT INTO t VALUES (@P1, NULL, @P2, @P10x)");
        assert_eq!(p.len(), 2);
        let (sql, p) = inline_nulls("SELECT @P1", &[&a]);
        assert!(matches!(sql, std::borrow::Cow::Borrowed(_)));
        assert_eq!((sql.as_ref(), p.len()), ("SELECT @P1", 1));
    }
}
