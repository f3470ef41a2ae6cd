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
        let rows = self.guarded(self.engine.run(async |c| c.simple_query(sql).await?.into_first_result().await))?;
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
    tx.finish(true)
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
