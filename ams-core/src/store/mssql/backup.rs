//! A backup image of a SQL Server database: its rows, read in one transaction (a snapshot when
//! the database allows SNAPSHOT isolation), written into a new SQLite database at the same schema
//! version. The backup format stays one format for both engines (docs/backup-and-restore.md);
//! such a file restores into a SQLite instance.
//!
//! The SELECT for each table is made from the image's own schema (the SQLite migrations, never
//! input); a test makes them for every table and parses them with sqlparser's MsSql dialect.

use std::path::Path;

use rusqlite::types::Value;
use tiberius::ColumnData;

use super::{MssqlEngine, MssqlTx, statements};
use crate::error::{Error, ErrorCode, Result};

statements! {
    APPLIED_AT = "SELECT version, name, applied_at FROM schema_migrations ORDER BY version";
    HAS_INSTANCE = "SELECT COUNT_BIG(*) FROM instance";
    /// The restore empties the audit trail with TRUNCATE, which fires no DELETE trigger, so the
    /// delete guard stays in force (inside the restore's transaction; needs ALTER on the table).
    /// Disabling the guard and deleting also works on SQL Server, but on Babelfish a DELETE
    /// after DISABLE TRIGGER reports the rows as deleted and keeps them.
    AUDIT_EMPTY = "TRUNCATE TABLE audit_log";
    /// Sent as plain batches (see `session_batch`).
    IDENTITY_INSERT_ON = "SET IDENTITY_INSERT rate_limit_events ON";
    IDENTITY_INSERT_OFF = "SET IDENTITY_INSERT rate_limit_events OFF";
}

/// The tables of a migrated image and their columns, in order (without `schema_migrations`,
/// which the image gets from its own migrations).
pub(crate) fn image_tables(conn: &rusqlite::Connection) -> Result<Vec<(String, Vec<String>)>> {
    let names: Vec<String> = {
        let mut stmt = conn.prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
               AND name <> 'schema_migrations' ORDER BY name",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut out = Vec::with_capacity(names.len());
    for t in names {
        let mut stmt = conn.prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?;
        let cols: Vec<String> = stmt.query_map([&t], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        out.push((t, cols));
    }
    Ok(out)
}

fn plain(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// `SELECT [c1], [c2], ... FROM [table]` for one table of the schema.
pub(crate) fn select_all(table: &str, cols: &[String]) -> Result<String> {
    if !plain(table) || cols.is_empty() || !cols.iter().all(|c| plain(c)) {
        return Err(Error::internal("a table or column name of the schema is not plain"));
    }
    let list: Vec<String> = cols.iter().map(|c| format!("[{c}]")).collect();
    Ok(format!("SELECT {} FROM [{table}]", list.join(", ")))
}

/// `INSERT INTO "table" ("c1", ...) VALUES (?1, ...)` for the image.
fn insert_all(table: &str, cols: &[String]) -> String {
    let list: Vec<String> = cols.iter().map(|c| format!("\"{c}\"")).collect();
    let params: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
    format!("INSERT INTO \"{table}\" ({}) VALUES ({})", list.join(", "), params.join(", "))
}

/// A SQL Server value as the SQLite value the image stores (flags as 0/1, as SQLite's schema
/// has them).
pub(crate) fn to_sqlite(v: &ColumnData<'_>) -> Result<Value> {
    Ok(match v {
        ColumnData::String(Some(s)) => Value::Text(s.to_string()),
        ColumnData::Binary(Some(b)) => Value::Blob(b.to_vec()),
        ColumnData::I64(Some(n)) => Value::Integer(*n),
        ColumnData::I32(Some(n)) => Value::Integer(i64::from(*n)),
        ColumnData::I16(Some(n)) => Value::Integer(i64::from(*n)),
        ColumnData::U8(Some(n)) => Value::Integer(i64::from(*n)),
        ColumnData::Bit(Some(b)) => Value::Integer(i64::from(*b)),
        ColumnData::String(None)
        | ColumnData::Binary(None)
        | ColumnData::I64(None)
        | ColumnData::I32(None)
        | ColumnData::I16(None)
        | ColumnData::U8(None)
        | ColumnData::Bit(None) => Value::Null,
        _ => {
            return Err(Error::new(ErrorCode::DbCorrupt, "The database holds a column type ams does not use.")
                .hint("Check that the database was created by ams migrations."));
        }
    })
}

impl MssqlTx<'_> {
    /// Every row of a generated `select_all` statement, as SQLite values.
    fn cells(&self, sql: String) -> Result<Vec<Vec<Value>>> {
        self.check_alive()?;
        let rows = self.guarded(
            self.engine.run_sql(&sql.clone(), async |c| c.simple_query(sql).await?.into_first_result().await),
        )?;
        rows.into_iter().map(|r| r.into_iter().map(|v| to_sqlite(&v)).collect()).collect()
    }
}

/// Writes the database's rows into `dest` (an existing empty file) as a SQLite image.
pub(crate) fn copy_into_image(engine: &MssqlEngine, dest: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<()> {
    let tx = engine.begin(false)?;
    let applied = tx.rows(APPLIED_AT, &[], |r| Ok((r.i()?, r.s()?, r.s()?)))?;
    let embedded = crate::store::sqlite::migrate::MIGRATIONS;
    let same = applied.len() == embedded.len()
        && applied.iter().zip(embedded).all(|((v, n, _), m)| *v == i64::from(m.version) && n == m.name);
    if !same {
        return Err(Error::new(ErrorCode::MigrationRequired, "The database schema is not the one this ams backs up.")
            .hint("Run `ams db migrate` first."));
    }
    let mut img = crate::store::sqlite::open(dest, false)?;
    // The image is an intermediate file: the caller fsyncs the backup file it goes into.
    img.execute_batch("PRAGMA synchronous = OFF")?;
    {
        let t = img.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        t.execute_batch(crate::store::sqlite::migrate::VERSION_TABLE)?;
        for (m, (_, _, at)) in embedded.iter().zip(&applied) {
            t.execute_batch(m.sql)?;
            t.execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![m.version, m.name, m.checksum(), at],
            )?;
        }
        t.commit()?;
    }
    let tables = image_tables(&img)?;
    let total = tables.len() as u64;
    let t = img.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    // Rows arrive table by table; references are checked once, at commit.
    t.execute_batch("PRAGMA defer_foreign_keys = ON")?;
    clear_image(&t, &tables)?;
    for (done, (table, cols)) in tables.iter().enumerate() {
        let rows = tx.cells(select_all(table, cols)?)?;
        let mut stmt = t.prepare(&insert_all(table, cols))?;
        for row in rows {
            if row.len() != cols.len() {
                return Err(Error::internal("a SQL Server row has another number of columns than the image"));
            }
            stmt.execute(rusqlite::params_from_iter(row))?;
        }
        progress(done as u64 + 1, total);
    }
    t.commit()?;
    // One file, no `-wal` beside it: connections do not checkpoint on close (ADR 0014), and the
    // image is copied or kept as a single file.
    crate::store::sqlite::backup::leave_wal(&img)?;
    tx.finish(true)
}

/// Empties every table of a freshly migrated image, children first. The migrations seed rows
/// (V0008's three default agent policies); the copy brings the database's own, seeded ones
/// included, so they must not be in the image already.
fn clear_image(img: &rusqlite::Connection, tables: &[(String, Vec<String>)]) -> Result<()> {
    for t in parents_first(img, tables)?.iter().rev() {
        // SQLite reads [name] as a quoted name, as T-SQL does.
        img.execute(&delete_all(t)?, [])?;
    }
    Ok(())
}

/// The image's tables in an order where every table comes after the tables it references.
pub(crate) fn parents_first(conn: &rusqlite::Connection, tables: &[(String, Vec<String>)]) -> Result<Vec<String>> {
    let mut refs: Vec<(String, Vec<String>)> = Vec::new();
    for (t, _) in tables {
        let mut stmt = conn.prepare("SELECT \"table\" FROM pragma_foreign_key_list(?1)")?;
        let parents: Vec<String> = stmt.query_map([t], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
        refs.push((t.clone(), parents.into_iter().filter(|p| p != t).collect()));
    }
    let mut out: Vec<String> = Vec::new();
    while out.len() < refs.len() {
        let before = out.len();
        for (t, parents) in &refs {
            if !out.contains(t) && parents.iter().all(|p| out.contains(p)) {
                out.push(t.clone());
            }
        }
        if out.len() == before {
            return Err(Error::internal("the schema's references form a cycle"));
        }
    }
    Ok(out)
}

/// At most this many rows in one `INSERT ... VALUES` (SQL Server's limit for a row constructor).
const MAX_BATCH_ROWS: usize = 1000;
/// At most this many parameters in one statement. SQL Server allows 2,100 a request, but larger
/// statements cost more to compile than they save in round trips: on Babelfish a 30,000-row
/// restore took 59 s with 2,000 parameters a statement, 36 s with 600 or 250, and 144 s row by
/// row (docs/sql-server.md section 9).
const MAX_BATCH_PARAMS: usize = 600;

/// How many rows of a table with `columns` columns one restore statement carries: at most
/// [`MAX_BATCH_ROWS`] rows and [`MAX_BATCH_PARAMS`] parameters, and at least one row.
pub(crate) fn batch_rows(columns: usize) -> usize {
    (MAX_BATCH_PARAMS / columns.max(1)).clamp(1, MAX_BATCH_ROWS)
}

/// `INSERT INTO [table] ([c1], ...) VALUES (@P1, ...), (@Pn+1, ...), ...` for `rows` rows of
/// one table of the schema (row-major parameters).
pub(crate) fn insert_rows(table: &str, cols: &[String], rows: usize) -> Result<String> {
    select_all(table, cols)?; // the same name checks
    if rows == 0 || rows > MAX_BATCH_ROWS || rows * cols.len() > MAX_BATCH_PARAMS.max(cols.len()) {
        return Err(Error::internal("a restore batch is outside SQL Server's limits"));
    }
    let list: Vec<String> = cols.iter().map(|c| format!("[{c}]")).collect();
    let mut sql = format!("INSERT INTO [{table}] ({}) VALUES ", list.join(", "));
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        let params: Vec<String> = (1..=cols.len()).map(|i| format!("@P{}", r * cols.len() + i)).collect();
        sql.push('(');
        sql.push_str(&params.join(", "));
        sql.push(')');
    }
    Ok(sql)
}

/// `DELETE FROM [table]`.
pub(crate) fn delete_all(table: &str) -> Result<String> {
    if !plain(table) {
        return Err(Error::internal("a table name of the schema is not plain"));
    }
    Ok(format!("DELETE FROM [{table}]"))
}

/// A SQLite value as a parameter for a column of the image's declared type (a NULL keeps the
/// column's type: SQL Server does not convert a text NULL into a binary column).
pub(crate) enum Param {
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
    Int(Option<i64>),
}

impl Param {
    pub(crate) fn of(v: Value, declared: &str) -> Result<Param> {
        let d = declared.to_ascii_uppercase();
        Ok(match v {
            Value::Null if d.contains("BLOB") => Param::Bytes(None),
            Value::Null if d.contains("INT") => Param::Int(None),
            Value::Null => Param::Text(None),
            Value::Integer(n) => Param::Int(Some(n)),
            Value::Text(s) => Param::Text(Some(s)),
            Value::Blob(b) => Param::Bytes(Some(b)),
            Value::Real(_) => {
                return Err(Error::new(ErrorCode::DbCorrupt, "The backup holds a value type ams does not use."));
            }
        })
    }

    fn sql(&self) -> &dyn tiberius::ToSql {
        match self {
            Param::Text(v) => v,
            Param::Bytes(v) => v,
            Param::Int(v) => v,
        }
    }
}

impl MssqlTx<'_> {
    /// Runs a statement as a plain batch, so a SET in it lasts for the session (inside
    /// sp_executesql it would end with the call).
    fn session_batch(&self, q: super::Sql) -> Result<()> {
        self.check_alive()?;
        self.guarded(self.engine.run_sql(q.text(), async |c| c.simple_query(q.text()).await?.into_results().await))?;
        Ok(())
    }

    fn exec_text(&self, sql: String, p: &[&dyn tiberius::ToSql]) -> Result<()> {
        self.check_alive()?;
        let (text, p) = super::inline_nulls(&sql, p);
        self.guarded(self.engine.run_sql(&text, async |c| c.execute(text.as_ref(), &p).await))?;
        Ok(())
    }
}

/// Replaces every row of the SQL Server database with the image's, in one write transaction
/// (other hosts' writers wait on the writers' lock; their readers see the old rows until the
/// commit). The old rows are first kept at `copy` as an image (a new 0600 file). The database
/// must be at the image's schema version (`ams db migrate` creates the schema in an empty one).
pub(crate) fn replace(
    c: &super::MssqlConn,
    image: &Path,
    copy: &Path,
    exclusive: bool,
    force: bool,
) -> Result<crate::store::Replaced> {
    use crate::store::Replaced;
    if !exclusive && !force {
        return Ok(Replaced::Busy);
    }
    let engine = MssqlEngine::open(c)?;
    let had_instance = {
        let tx = engine.begin(false)?;
        let n = tx.count(HAS_INSTANCE, &[])?;
        tx.finish(true)?;
        n > 0
    };
    if had_instance {
        crate::instance::write_new_private(copy, b"")?;
        copy_into_image(&engine, copy, &mut |_, _| {})?;
        // The kept copy is the only copy of the old rows once the transaction below commits.
        std::fs::File::open(copy)?.sync_all()?;
    }
    let img = rusqlite::Connection::open_with_flags(image, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let tables = image_tables(&img)?;
    let order = parents_first(&img, &tables)?;
    let tx = engine.begin(true)?;
    for t in order.iter().rev() {
        if t == "audit_log" {
            tx.exec(AUDIT_EMPTY, &[])?;
        } else {
            tx.exec_text(delete_all(t)?, &[])?;
        }
    }
    for t in &order {
        let cols = &tables.iter().find(|(n, _)| n == t).ok_or_else(|| Error::internal("table list"))?.1;
        let types: Vec<String> = {
            let mut stmt = img.prepare("SELECT type FROM pragma_table_info(?1) ORDER BY cid")?;
            stmt.query_map([t], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
        };
        let identity = t == "rate_limit_events";
        if identity {
            tx.session_batch(IDENTITY_INSERT_ON)?;
        }
        // Rows go in batches: one round trip carries up to 600 parameters' worth of rows.
        let per = batch_rows(cols.len());
        let full = insert_rows(t, cols, per)?;
        let mut params: Vec<Param> = Vec::with_capacity(per * cols.len());
        let mut stmt = img.prepare(&select_sqlite(t, cols))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            for (i, ty) in types.iter().enumerate() {
                params.push(Param::of(r.get::<_, Value>(i)?, ty)?);
            }
            if params.len() == per * cols.len() {
                let refs: Vec<&dyn tiberius::ToSql> = params.iter().map(Param::sql).collect();
                tx.exec_text(full.clone(), &refs)?;
                params.clear();
            }
        }
        if !params.is_empty() {
            let refs: Vec<&dyn tiberius::ToSql> = params.iter().map(Param::sql).collect();
            tx.exec_text(insert_rows(t, cols, params.len() / cols.len())?, &refs)?;
        }
        if identity {
            tx.session_batch(IDENTITY_INSERT_OFF)?;
        }
    }
    tx.finish(true)?;
    // The image was loaded (on SQLite it would have become the database file).
    let _ = std::fs::remove_file(image);
    // As on SQLite: content written while other processes have the instance open is Forced.
    Ok(match (had_instance, exclusive) {
        (false, _) => Replaced::Installed,
        (true, true) => Replaced::Swapped,
        (true, false) => Replaced::Forced,
    })
}

/// `SELECT "c1", ... FROM "table"` on the image.
fn select_sqlite(table: &str, cols: &[String]) -> String {
    let list: Vec<String> = cols.iter().map(|c| format!("\"{c}\"")).collect();
    format!("SELECT {} FROM \"{table}\"", list.join(", "))
}

#[cfg(test)]
mod tests {
    use sqlparser::dialect::MsSqlDialect;
    use sqlparser::parser::Parser;

    use super::*;

    #[test]
    fn the_generated_selects_cover_every_table_and_parse_as_t_sql() {
        let d = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(&crate::store::DbUrl::Sqlite(d.path().join("i.db")), true).unwrap();
        crate::store::migrate::migrate(&store, "t").unwrap();
        let conn = crate::store::sqlite::open(&d.path().join("i.db"), false).unwrap();
        let tables = image_tables(&conn).unwrap();
        assert!(tables.len() >= 20);
        for (t, cols) in &tables {
            let sql = select_all(t, cols).unwrap();
            Parser::parse_sql(&MsSqlDialect {}, &sql).unwrap_or_else(|e| panic!("{e}: {sql}"));
            assert!(sql.contains(&format!("FROM [{t}]")));
        }
        assert!(select_all("x; DROP TABLE y", &["a".into()]).is_err());
        assert!(select_all("t", &["a]".into()]).is_err());
    }

    #[test]
    fn the_restore_loads_parents_first_with_statements_that_parse() {
        let d = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(&crate::store::DbUrl::Sqlite(d.path().join("i.db")), true).unwrap();
        crate::store::migrate::migrate(&store, "t").unwrap();
        let conn = crate::store::sqlite::open(&d.path().join("i.db"), false).unwrap();
        let tables = image_tables(&conn).unwrap();
        let order = parents_first(&conn, &tables).unwrap();
        assert_eq!(order.len(), tables.len());
        let pos = |t: &str| order.iter().position(|x| x == t).unwrap();
        for (child, parent) in [
            ("key_protectors", "master_keys"),
            ("devices", "registration_keys"),
            ("device_passwords", "devices"),
            ("device_group_members", "device_groups"),
            ("registration_key_groups", "registration_keys"),
            ("computer_rule_principals", "computer_authorization_rules"),
            ("device_keys", "devices"),
        ] {
            assert!(pos(parent) < pos(child), "{parent} before {child}: {order:?}");
        }
        for (t, cols) in &tables {
            let per = batch_rows(cols.len());
            // One row, two rows, a full batch: each parses, within SQL Server's limits.
            for rows in [1, 2.min(per), per] {
                let sql = insert_rows(t, cols, rows).unwrap();
                Parser::parse_sql(&MsSqlDialect {}, &sql).unwrap_or_else(|e| panic!("{e}: {sql}"));
                let placeholders = sql.matches("@P").count();
                assert_eq!(placeholders, cols.len() * rows, "{t}");
                assert!(placeholders < 2100 && rows <= 1000, "{t}: {rows} rows, {placeholders} parameters");
                assert!(sql.ends_with(&format!("@P{placeholders})")), "{t}: numbered in order");
            }
            Parser::parse_sql(&MsSqlDialect {}, &delete_all(t).unwrap()).unwrap();
        }
        assert_eq!(batch_rows(1), 600);
        assert_eq!(batch_rows(7), 85);
        assert_eq!(batch_rows(3000), 1, "a (hypothetical) table wider than the limit still goes row by row");
        assert!(insert_rows("t", &["a".into()], 1001).is_err() && insert_rows("t", &["a".into()], 0).is_err());
        assert!(delete_all("a]b").is_err() && insert_rows("t", &["x y".into()], 1).is_err());
        // NULLs keep their column's type.
        assert!(matches!(Param::of(Value::Null, "BLOB").unwrap(), Param::Bytes(None)));
        assert!(matches!(Param::of(Value::Null, "INTEGER").unwrap(), Param::Int(None)));
        assert!(matches!(Param::of(Value::Null, "TEXT").unwrap(), Param::Text(None)));
        assert!(Param::of(Value::Real(1.5), "REAL").is_err());
    }

    #[test]
    fn a_new_image_is_emptied_before_the_rows_are_copied_in() {
        // The image's migrations seed the default agent policies; the database has the same
        // rows (its own V0008 seeds them), and copying them must not collide.
        let d = tempfile::tempdir().unwrap();
        let store = crate::store::Store::open(&crate::store::DbUrl::Sqlite(d.path().join("i.db")), true).unwrap();
        crate::store::migrate::migrate(&store, "t").unwrap();
        drop(store);
        let mut conn = crate::store::sqlite::open(&d.path().join("i.db"), false).unwrap();
        let tables = image_tables(&conn).unwrap();
        let (t, cols) = tables.iter().find(|(t, _)| t == "agent_policies").unwrap().clone();
        let seeded: Vec<Vec<Value>> = {
            let mut stmt = conn.prepare(&select_sqlite(&t, &cols)).unwrap();
            let n = cols.len();
            stmt.query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())
                .unwrap()
                .map(Result::unwrap)
                .collect()
        };
        assert_eq!(seeded.len(), 3);
        let tx = conn.transaction().unwrap();
        assert!(tx.execute(&insert_all(&t, &cols), rusqlite::params_from_iter(seeded[0].clone())).is_err());
        clear_image(&tx, &tables).unwrap();
        for (name, _) in &tables {
            let n: i64 = tx.query_row(&format!("SELECT COUNT(*) FROM \"{name}\""), [], |r| r.get(0)).unwrap();
            assert_eq!(n, 0, "{name}");
        }
        for row in &seeded {
            tx.execute(&insert_all(&t, &cols), rusqlite::params_from_iter(row.clone())).unwrap();
        }
        tx.commit().unwrap();
    }

    #[test]
    fn server_values_become_the_values_sqlite_stores() {
        use std::borrow::Cow;
        assert_eq!(to_sqlite(&ColumnData::Bit(Some(true))).unwrap(), Value::Integer(1));
        assert_eq!(to_sqlite(&ColumnData::Bit(None)).unwrap(), Value::Null);
        assert_eq!(to_sqlite(&ColumnData::I64(Some(-5))).unwrap(), Value::Integer(-5));
        assert_eq!(to_sqlite(&ColumnData::String(Some(Cow::from("é")))).unwrap(), Value::Text("é".into()));
        assert_eq!(to_sqlite(&ColumnData::Binary(Some(Cow::from(vec![0u8, 1])))).unwrap(), Value::Blob(vec![0, 1]));
        assert_eq!(to_sqlite(&ColumnData::F64(Some(1.0))).unwrap_err().code(), ErrorCode::DbCorrupt);
    }

    #[test]
    fn rows_copied_by_the_image_inserts_read_back_through_the_store() {
        // The insert side of the copy, fed with server-shaped values, gives rows the SQLite
        // engine reads like its own.
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("img.db");
        let store = crate::store::Store::open(&crate::store::DbUrl::Sqlite(path.clone()), true).unwrap();
        crate::store::migrate::migrate(&store, "t").unwrap();
        let conn = crate::store::sqlite::open(&path, false).unwrap();
        let tables = image_tables(&conn).unwrap();
        let (t, cols) = tables.iter().find(|(t, _)| t == "registration_keys").unwrap();
        let values: Vec<ColumnData<'_>> = cols
            .iter()
            .map(|c| match c.as_str() {
                "sealed_key" => ColumnData::Binary(Some(vec![1u8, 2, 3].into())),
                "activation_limit" | "activation_count" => ColumnData::I64(Some(2)),
                "enabled" => ColumnData::Bit(Some(true)),
                "approval_required" => ColumnData::Bit(Some(false)),
                other => ColumnData::String(Some(format!("v-{other}").into())),
            })
            .collect();
        let row: Vec<Value> = values.iter().map(|v| to_sqlite(v).unwrap()).collect();
        conn.execute(&insert_all(t, cols), rusqlite::params_from_iter(row)).unwrap();
        let keys = store.read(|tx| tx.reg_keys(None, None, None)).unwrap();
        assert_eq!(keys.len(), 1);
        assert!(keys[0].enabled && !keys[0].approval_required);
        assert_eq!((keys[0].sealed_key.as_slice(), keys[0].activation_limit), (&[1u8, 2, 3][..], 2));
    }
}
