//! Connection strings: which engine a string names, and where its database is. This is the one
//! place that reads a connection string; everything else asks [`EngineKind::detect`] or
//! [`DbUrl::parse`].

use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorCode, Result};

/// A database engine ams knows, whether or not this build can open it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EngineKind {
    /// The embedded SQLite database.
    Sqlite,
    /// Microsoft SQL Server (and Azure SQL, Amazon RDS for SQL Server).
    Mssql,
}

impl EngineKind {
    /// The name shown in status, diagnostics and backup manifests: `sqlite` or `mssql`.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Sqlite => "sqlite",
            EngineKind::Mssql => "mssql",
        }
    }

    /// Which engine a connection string names, without opening anything: `sqlite://…` is
    /// SQLite; `mssql://…`, `sqlserver://…` and ADO.NET strings (`Server=…;…`) are SQL Server.
    /// `None` for anything else.
    pub fn detect(connection_string: &str) -> Option<EngineKind> {
        let lower = connection_string.trim().to_ascii_lowercase();
        // ADO.NET: any synonym of the Server key, white space ignored.
        let squeezed: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
        let ado = ["server=", "datasource=", "address=", "addr=", "networkaddress="]
            .iter()
            .any(|k| squeezed.starts_with(k) || squeezed.contains(&format!(";{k}")));
        if lower.starts_with("sqlite://") {
            Some(EngineKind::Sqlite)
        } else if lower.starts_with("mssql://") || lower.starts_with("sqlserver://") || ado {
            Some(EngineKind::Mssql)
        } else {
            None
        }
    }
}

impl std::fmt::Display for EngineKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Which database engine and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    /// An embedded SQLite database file.
    Sqlite(PathBuf),
    /// A SQL Server database (ADO.NET connection string, parsed; the password is never shown).
    #[cfg(feature = "mssql")]
    Mssql(crate::store::mssql::MssqlConn),
}

impl DbUrl {
    /// Parses a connection string: `sqlite://PATH` (relative paths are relative to the data
    /// directory) or an ADO.NET SQL Server string (`Server=...;Database=...;...`, see
    /// `store/mssql/conn.rs`), which needs the `mssql` feature. Unknown schemes are refused,
    /// never turned into a new SQLite file.
    pub fn parse(s: &str, data_dir: &Path) -> Result<DbUrl> {
        let s = s.trim();
        match EngineKind::detect(s) {
            Some(EngineKind::Sqlite) => {
                // `detect` matched the scheme case-insensitively; the path keeps its case.
                let rest = s.get("sqlite://".len()..).unwrap_or_default();
                if rest.is_empty() {
                    return Err(Error::new(
                        ErrorCode::UnsupportedEngine,
                        "The sqlite:// connection string has no path.",
                    ));
                }
                let p = Path::new(rest);
                Ok(DbUrl::Sqlite(if p.is_absolute() { p.to_path_buf() } else { data_dir.join(p) }))
            }
            #[cfg(feature = "mssql")]
            Some(EngineKind::Mssql) => {
                let lower = s.to_ascii_lowercase();
                if lower.starts_with("mssql://") || lower.starts_with("sqlserver://") {
                    return Err(Error::new(
                        ErrorCode::MssqlConnectionStringInvalid,
                        "SQL Server connection strings are written in the ADO.NET form, not as a URL.",
                    )
                    .hint(
                        "Write Server=tcp:HOST,PORT;Database=NAME;User Id=LOGIN;Password=... (docs/sql-server.md).",
                    ));
                }
                Ok(DbUrl::Mssql(crate::store::mssql::MssqlConn::parse(s)?))
            }
            #[cfg(not(feature = "mssql"))]
            Some(EngineKind::Mssql) => {
                Err(Error::new(ErrorCode::UnsupportedEngine, "This build of ams has no SQL Server support.")
                    .hint("Build ams with the `mssql` feature, or use an sqlite:// connection string."))
            }
            None => {
                Err(Error::new(ErrorCode::UnsupportedEngine, "The database connection string has an unknown scheme.")
                    .hint("Use sqlite://PATH for the embedded database."))
            }
        }
    }

    /// A display form with any password masked (SQLite has none).
    pub fn masked(&self) -> String {
        match self {
            DbUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
            #[cfg(feature = "mssql")]
            DbUrl::Mssql(c) => c.masked(),
        }
    }

    /// The engine.
    pub fn engine(&self) -> EngineKind {
        match self {
            DbUrl::Sqlite(_) => EngineKind::Sqlite,
            #[cfg(feature = "mssql")]
            DbUrl::Mssql(_) => EngineKind::Mssql,
        }
    }

    /// The database file, for an engine that keeps the database in one local file (SQLite).
    pub fn local_file(&self) -> Option<&Path> {
        match self {
            DbUrl::Sqlite(p) => Some(p),
            #[cfg(feature = "mssql")]
            DbUrl::Mssql(_) => None,
        }
    }

    /// True when the database is a local file that does not exist (so no instance is there).
    /// Always false for server engines: only connecting tells.
    pub fn is_missing_file(&self) -> bool {
        match self {
            DbUrl::Sqlite(p) => !p.exists(),
            #[cfg(feature = "mssql")]
            DbUrl::Mssql(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_are_detected_in_one_place() {
        assert_eq!(EngineKind::detect("sqlite://x.db"), Some(EngineKind::Sqlite));
        assert_eq!(EngineKind::detect("  SQLite://X.db"), Some(EngineKind::Sqlite));
        assert_eq!(EngineKind::detect("Server=db;Database=ams;User Id=a;Password=b"), Some(EngineKind::Mssql));
        assert_eq!(EngineKind::detect("mssql://a:b@db/ams"), Some(EngineKind::Mssql));
        assert_eq!(EngineKind::detect("sqlserver://db/ams"), Some(EngineKind::Mssql));
        assert_eq!(EngineKind::detect("Data Source=db;Initial Catalog=ams"), Some(EngineKind::Mssql));
        assert_eq!(EngineKind::detect("Database=ams; Server = db"), Some(EngineKind::Mssql));
        assert_eq!(EngineKind::detect("TrustServerCertificate=True"), None);
        assert_eq!(EngineKind::detect("postgres://db"), None);
        let d = Path::new("/data");
        assert_eq!(DbUrl::parse("sqlite://ams.db", d).unwrap(), DbUrl::Sqlite(d.join("ams.db")));
        assert_eq!(DbUrl::parse("sqlite:///x/y.db", d).unwrap(), DbUrl::Sqlite(PathBuf::from("/x/y.db")));
        for bad in ["sqlite://", "postgres://db", "ams.db"] {
            assert_eq!(DbUrl::parse(bad, d).unwrap_err().code(), ErrorCode::UnsupportedEngine, "{bad}");
        }
        #[cfg(not(feature = "mssql"))]
        assert_eq!(DbUrl::parse("Server=db", d).unwrap_err().code(), ErrorCode::UnsupportedEngine);
    }

    #[cfg(feature = "mssql")]
    #[test]
    fn sql_server_strings_parse_and_print_masked() {
        let d = Path::new("/data");
        let url = DbUrl::parse("Server=tcp:sql1,1433;Database=AMS;User Id=ams;Password=hunter2", d).unwrap();
        assert_eq!(url.engine(), EngineKind::Mssql);
        assert!(url.local_file().is_none() && !url.is_missing_file());
        let shown = format!("{} {url:?}", url.masked());
        assert!(shown.contains("Password=***") && !shown.contains("hunter2"), "{shown}");
        for bad in ["Server=db", "mssql://a:hunter2@db/ams", "sqlserver://db/ams"] {
            let e = DbUrl::parse(bad, d).unwrap_err();
            assert_eq!(e.code(), ErrorCode::MssqlConnectionStringInvalid, "{bad}");
            assert!(!e.to_document().to_string().contains("hunter2"));
        }
    }
}
