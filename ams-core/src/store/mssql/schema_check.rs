//! Tests that the T-SQL migrations are twins of the SQLite ones: every T-SQL batch parses with
//! sqlparser's MsSql dialect, and the CREATE TABLE / CREATE INDEX statements of both engines,
//! each parsed with its own dialect, give the same tables, columns (in order, with mapped types
//! and nullability), defaults, primary keys, unique constraints, foreign keys, indexes and
//! triggers. (Introspection of a live SQL Server database runs in the contract suite when
//! AMS_TEST_MSSQL_URL is set.)

use std::collections::{BTreeMap, BTreeSet};

use sqlparser::ast::{
    AlterTable, AlterTableOperation, ColumnDef, ColumnOption, CreateIndex, CreateTable, Statement, TableConstraint,
};
use sqlparser::dialect::{MsSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;

use crate::store::migrate::Migration;

#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    /// (name, mapped type, nullable, default)
    columns: Vec<(String, &'static str, bool, Option<String>)>,
    primary_key: Vec<String>,
    unique: BTreeSet<Vec<String>>,
    /// (columns, referenced table, referenced columns, on delete)
    foreign_keys: BTreeSet<(Vec<String>, String, Vec<String>, String)>,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Schema {
    tables: BTreeMap<String, Table>,
    /// name -> (table, columns, unique, predicate)
    indexes: BTreeMap<String, (String, Vec<String>, bool, Option<String>)>,
    triggers: BTreeSet<String>,
}

fn norm(e: &impl std::fmt::Display) -> String {
    e.to_string().split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_lowercase()
}

fn ident(s: &str) -> String {
    s.trim_matches(|c| c == '[' || c == ']' || c == '"').to_string()
}

/// The engine-neutral class of a column type. INTEGER constrained to 0/1 is a boolean.
fn mapped(data_type: &str, bool_check: bool) -> &'static str {
    let t = data_type.to_ascii_lowercase();
    if t.starts_with("text") || t.starts_with("nvarchar") {
        "text"
    } else if t.starts_with("blob") || t.starts_with("varbinary") {
        "blob"
    } else if t.starts_with("bit") {
        "boolean"
    } else if t.starts_with("integer") || t.starts_with("bigint") {
        if bool_check { "boolean" } else { "integer" }
    } else {
        "unknown"
    }
}

fn index_columns(cols: &[sqlparser::ast::IndexColumn]) -> Vec<String> {
    cols.iter().map(|c| ident(&c.column.expr.to_string())).collect()
}

/// One column definition (CREATE TABLE or ALTER TABLE ... ADD), appended to the table's columns.
fn add_column(table: &mut Table, c: &ColumnDef) {
    let col = ident(&c.name.value);
    let mut nullable = true;
    let mut default = None;
    let mut bool_check = false;
    for o in &c.options {
        match &o.option {
            ColumnOption::NotNull => nullable = false,
            ColumnOption::Default(e) => default = Some(norm(e)),
            ColumnOption::PrimaryKey(_) => {
                nullable = false;
                table.primary_key = vec![col.clone()];
            }
            ColumnOption::Unique(_) => {
                table.unique.insert(vec![col.clone()]);
            }
            ColumnOption::ForeignKey(fk) => {
                table.foreign_keys.insert((
                    vec![col.clone()],
                    ident(&fk.foreign_table.to_string()),
                    fk.referred_columns.iter().map(|i| ident(&i.value)).collect(),
                    fk.on_delete.map(|a| norm(&a)).unwrap_or_default(),
                ));
            }
            ColumnOption::Check(ck) => {
                bool_check |= norm(&ck.expr) == format!("{} in (0, 1)", col.to_ascii_lowercase());
            }
            _ => {}
        }
    }
    assert!(!table.columns.iter().any(|x| x.0 == col), "column {col} defined twice");
    table.columns.push((col, mapped(&c.data_type.to_string(), bool_check), nullable, default));
}

/// ALTER TABLE: only ADD [COLUMN] is used by the migrations; anything else fails the
/// comparison, so no schema change goes uncompared.
fn alter_table(schema: &mut Schema, a: &AlterTable) {
    let name = ident(&a.name.to_string());
    let table = schema.tables.get_mut(&name).unwrap_or_else(|| panic!("ALTER TABLE {name}: no such table"));
    for op in &a.operations {
        match op {
            AlterTableOperation::AddColumn { column_def, .. } => add_column(table, column_def),
            other => panic!("ALTER TABLE {name}: the schema comparison does not read `{other}`"),
        }
    }
}

fn add_table(schema: &mut Schema, t: &CreateTable) {
    let name = ident(&t.name.to_string());
    let mut table = Table::default();
    for c in &t.columns {
        add_column(&mut table, c);
    }
    for k in &t.constraints {
        match k {
            TableConstraint::PrimaryKey(pk) => table.primary_key = index_columns(&pk.columns),
            TableConstraint::Unique(u) => {
                table.unique.insert(index_columns(&u.columns));
            }
            TableConstraint::ForeignKey(fk) => {
                table.foreign_keys.insert((
                    fk.columns.iter().map(|i| ident(&i.value)).collect(),
                    ident(&fk.foreign_table.to_string()),
                    fk.referred_columns.iter().map(|i| ident(&i.value)).collect(),
                    fk.on_delete.map(|a| norm(&a)).unwrap_or_default(),
                ));
            }
            _ => {}
        }
    }
    // Primary-key columns are never NULL on either engine.
    for c in &mut table.columns {
        if table.primary_key.contains(&c.0) {
            c.2 = false;
        }
    }
    assert!(schema.tables.insert(name.clone(), table).is_none(), "table {name} created twice");
}

fn add_index(schema: &mut Schema, i: &CreateIndex) {
    let name = ident(&i.name.as_ref().expect("every index is named").to_string());
    let entry = (ident(&i.table_name.to_string()), index_columns(&i.columns), i.unique, i.predicate.as_ref().map(norm));
    assert!(schema.indexes.insert(name.clone(), entry).is_none(), "index {name} created twice");
}

fn add(schema: &mut Schema, stmts: &[Statement]) {
    for s in stmts {
        match s {
            Statement::CreateTable(t) => add_table(schema, t),
            Statement::CreateIndex(i) => add_index(schema, i),
            Statement::AlterTable(a) => alter_table(schema, a),
            Statement::CreateTrigger(t) => {
                schema.triggers.insert(ident(&t.name.to_string()));
            }
            _ => {}
        }
    }
}

fn trigger_names(sql: &str) -> Vec<String> {
    let words: Vec<&str> = sql.split_whitespace().collect();
    words
        .windows(3)
        .filter(|w| w[0].eq_ignore_ascii_case("create") && w[1].eq_ignore_ascii_case("trigger"))
        .map(|w| ident(w[2]))
        .collect()
}

fn sqlite_schema(list: &[Migration]) -> Schema {
    let mut schema = Schema::default();
    for m in list {
        match Parser::parse_sql(&SQLiteDialect {}, m.sql) {
            Ok(stmts) => add(&mut schema, &stmts),
            // sqlparser does not read SQLite trigger bodies (RAISE); such a script may only
            // create triggers, which are compared by name.
            Err(e) => {
                let upper = m.sql.to_ascii_uppercase();
                assert!(
                    !upper.contains("CREATE TABLE")
                        && !upper.contains("CREATE INDEX")
                        && !upper.contains("CREATE UNIQUE"),
                    "SQLite V{:04} does not parse: {e}",
                    m.version
                );
                schema.triggers.extend(trigger_names(m.sql));
            }
        }
    }
    schema
}

fn mssql_schema(list: &[Migration]) -> Schema {
    let mut schema = Schema::default();
    for m in list {
        for batch in super::migrate::batches(m.sql) {
            let stmts = Parser::parse_sql(&MsSqlDialect {}, batch)
                .unwrap_or_else(|e| panic!("T-SQL V{:04} does not parse: {e}\n{batch}", m.version));
            add(&mut schema, &stmts);
        }
    }
    schema
}

#[test]
fn every_t_sql_migration_batch_parses() {
    for m in super::migrate::MIGRATIONS {
        let batches = super::migrate::batches(m.sql);
        assert!(!batches.is_empty());
        for b in batches {
            let stmts =
                Parser::parse_sql(&MsSqlDialect {}, b).unwrap_or_else(|e| panic!("V{:04}: {e}\n{b}", m.version));
            assert!(!stmts.is_empty());
        }
    }
}

#[test]
fn both_engines_define_the_same_schema() {
    let lite = sqlite_schema(crate::store::sqlite::migrate::MIGRATIONS);
    let ms = mssql_schema(super::migrate::MIGRATIONS);
    assert!(lite.tables.len() >= 20, "only {} SQLite tables parsed", lite.tables.len());
    let names = |s: &Schema| s.tables.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&lite), names(&ms), "tables");
    for (name, t) in &lite.tables {
        let m = &ms.tables[name];
        assert_eq!(t.columns, m.columns, "columns of {name} (name, mapped type, nullable, default)");
        assert_eq!(t.primary_key, m.primary_key, "primary key of {name}");
        assert_eq!(t.unique, m.unique, "unique constraints of {name}");
        assert_eq!(t.foreign_keys, m.foreign_keys, "foreign keys of {name}");
    }
    assert_eq!(lite.indexes, ms.indexes, "indexes");
    assert_eq!(lite.triggers, ms.triggers, "triggers");
    assert_eq!(lite.triggers.len(), 2);
}

#[test]
fn sealed_columns_exist_with_the_same_names_on_both_engines() {
    let ms = mssql_schema(super::migrate::MIGRATIONS);
    for c in crate::store::SealedColumn::ALL {
        let t = &ms.tables[c.table()];
        for col in [c.id_column(), c.column()] {
            assert!(t.columns.iter().any(|x| x.0 == col), "{}.{col}", c.table());
        }
        assert!(t.columns.iter().any(|x| x.0 == c.column() && x.1 == "blob"));
    }
    // And no sealed_* column is missing from SealedColumn::ALL.
    for (table, t) in &ms.tables {
        for (col, ..) in &t.columns {
            if col.starts_with("sealed_") {
                assert!(
                    crate::store::SealedColumn::ALL.iter().any(|c| c.table() == table && c.column() == col),
                    "{table}.{col}"
                );
            }
        }
    }
}

#[test]
fn a_schema_difference_is_caught() {
    // The comparison is not vacuous: a renamed column, a lost NOT NULL or a lost index differ.
    let base =
        "CREATE TABLE t (id nvarchar(64) NOT NULL PRIMARY KEY, name nvarchar(256) NOT NULL UNIQUE, n bigint NULL);
                CREATE INDEX t_n ON t (n);";
    let parse = |sql: &str| {
        let mut s = Schema::default();
        add(&mut s, &Parser::parse_sql(&MsSqlDialect {}, sql).unwrap());
        s
    };
    let lite = {
        let mut s = Schema::default();
        add(
            &mut s,
            &Parser::parse_sql(
                &SQLiteDialect {},
                "CREATE TABLE t (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL UNIQUE, n INTEGER) STRICT;
                 CREATE INDEX t_n ON t (n);",
            )
            .unwrap(),
        );
        s
    };
    assert_eq!(lite, parse(base));
    for changed in [
        base.replace("name nvarchar", "nome nvarchar"),
        base.replace("name nvarchar(256) NOT NULL", "name nvarchar(256) NULL"),
        base.replace(" UNIQUE", ""),
        base.replace("n bigint", "n varbinary(max)"),
        base.replace("CREATE INDEX t_n ON t (n);", ""),
        base.replace("CREATE INDEX", "CREATE UNIQUE INDEX"),
    ] {
        assert_ne!(lite, parse(&changed), "{changed}");
    }
}

#[test]
fn added_columns_are_compared() {
    // ALTER TABLE ... ADD [COLUMN] counts like a column of the CREATE TABLE, on both engines.
    let lite = |extra: &str| {
        let mut s = Schema::default();
        let sql = format!("CREATE TABLE t (id TEXT PRIMARY KEY NOT NULL) STRICT; {extra}");
        add(&mut s, &Parser::parse_sql(&SQLiteDialect {}, &sql).unwrap());
        s
    };
    let ms = |extra: &str| {
        let mut s = Schema::default();
        let sql = format!("CREATE TABLE t (id nvarchar(64) NOT NULL PRIMARY KEY); {extra}");
        add(&mut s, &Parser::parse_sql(&MsSqlDialect {}, &sql).unwrap());
        s
    };
    let added = lite("ALTER TABLE t ADD COLUMN row_mac TEXT;");
    assert_eq!(added, ms("ALTER TABLE t ADD row_mac nvarchar(128) NULL;"));
    assert_ne!(added, ms(""));
    assert_ne!(added, ms("ALTER TABLE t ADD row_mac varbinary(max) NULL;"));
    assert_ne!(added, ms("ALTER TABLE t ADD row_mac nvarchar(128) NOT NULL;"));
    assert_eq!(added.tables["t"].columns.last().unwrap().0, "row_mac");
}
