//! SQLite's errors in the contract's terms: an [`ErrorCode`] and, for constraint failures, the
//! [`Violation`] read from SQLite's extended result code (never from the message text).

use rusqlite::ffi;

use crate::error::{Error, ErrorCode, Violation};

/// The kind of constraint behind an extended `SQLITE_CONSTRAINT_*` code.
fn violation(extended: std::os::raw::c_int) -> Violation {
    match extended {
        ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => Violation::Unique,
        ffi::SQLITE_CONSTRAINT_FOREIGNKEY => Violation::ForeignKey,
        ffi::SQLITE_CONSTRAINT_NOTNULL => Violation::NotNull,
        _ => Violation::Other,
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode as C;
        let code = match e.sqlite_error_code() {
            Some(C::DatabaseBusy) | Some(C::DatabaseLocked) => ErrorCode::DbBusy,
            Some(C::ConstraintViolation) => ErrorCode::DbConstraint,
            Some(C::DatabaseCorrupt) | Some(C::NotADatabase) => ErrorCode::DbCorrupt,
            _ => ErrorCode::DbUnavailable,
        };
        let (message, hint) = match code {
            ErrorCode::DbBusy => (
                "The database stayed busy longer than the busy timeout.",
                "Another ams process holds a long write; try again.",
            ),
            ErrorCode::DbConstraint => (
                "The change conflicts with existing data.",
                "Check for an object with the same name or a reference to a missing object.",
            ),
            ErrorCode::DbCorrupt => {
                ("The database file is damaged or is not an ams database.", "Restore the database from a backup.")
            }
            _ => ("The database operation failed.", "Check that the data directory is readable and writable."),
        };
        // The sqlite message can quote SQL but never bound values, so it is safe for logs.
        let err = Error::new(code, message).hint(hint).with("detail", e.to_string());
        match (code, e.sqlite_extended_error_code()) {
            (ErrorCode::DbConstraint, Some(x)) => err.violated(violation(x)),
            _ => err,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraint_failures_carry_the_kind_from_the_extended_code() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        c.execute_batch(
            "PRAGMA foreign_keys = ON;
             CREATE TABLE p (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL UNIQUE, n INTEGER CHECK (n > 0));
             CREATE TABLE c (p TEXT NOT NULL REFERENCES p (id));
             INSERT INTO p VALUES ('a', 'x', 1);",
        )
        .unwrap();
        let kind = |sql: &str| {
            let e = Error::from(c.execute(sql, []).unwrap_err());
            assert_eq!(e.code(), ErrorCode::DbConstraint, "{sql}");
            e.violation()
        };
        assert_eq!(kind("INSERT INTO p VALUES ('a', 'y', 1)"), Some(Violation::Unique));
        assert_eq!(kind("INSERT INTO p VALUES ('b', 'x', 1)"), Some(Violation::Unique));
        assert_eq!(kind("INSERT INTO p VALUES ('b', NULL, 1)"), Some(Violation::NotNull));
        assert_eq!(kind("INSERT INTO c VALUES ('nope')"), Some(Violation::ForeignKey));
        assert_eq!(kind("INSERT INTO p VALUES ('b', 'y', 0)"), Some(Violation::Other));
        assert_eq!(Error::from(c.execute("SELEC", []).unwrap_err()).violation(), None);
    }
}
