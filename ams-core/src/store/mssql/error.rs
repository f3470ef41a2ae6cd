//! SQL Server's errors in the contract's terms: an [`ErrorCode`] and, for constraint failures,
//! the [`Violation`] read from the server's error number (2627/2601 unique, 547 reference or
//! check, 515 NOT NULL). Server messages can quote the values that failed (a duplicate key, a
//! truncated string), so a message is passed on only for error numbers whose text names objects
//! and never data.

use crate::error::{Error, ErrorCode, Violation};

/// Error numbers whose message names objects or settings only, never a bound value.
const MESSAGE_SAFE: &[u32] =
    &[102, 156, 207, 208, 515, 547, 1205, 1222, 2714, 3701, 3726, 4060, 229, 230, 262, 297, 916, 8009];

/// Babelfish's number for an error raised by PostgreSQL underneath that has no SQL Server
/// number (SQL Server itself does not use it).
const BABELFISH_GENERIC: u32 = 33557097;

/// The server's message for an error whose number alone does not say what failed (Babelfish's
/// generic one), with every quoted part that could be a value replaced by `…`: a quoted part is
/// kept only when it is a plain name that occurs in the statement's own text (a constant: the
/// engine never writes values into statements, only parameters and literal NULLs). `None` for
/// other errors, whose number says enough or whose text is passed on whole (`MESSAGE_SAFE`).
pub(crate) fn server_message(e: &tiberius::error::Error, sql: &str) -> Option<String> {
    match e {
        tiberius::error::Error::Server(t) => message_for(t.code(), t.message(), sql),
        _ => None,
    }
}

fn message_for(code: u32, message: &str, sql: &str) -> Option<String> {
    (code == BABELFISH_GENERIC).then(|| redact(message, sql))
}

/// `message` with its quoted parts replaced by `…` unless they are names that occur in `sql`.
fn redact(message: &str, sql: &str) -> String {
    let lower_sql = sql.to_ascii_lowercase();
    let name_in_sql = |part: &str| {
        !part.is_empty()
            && part.len() <= 128
            && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
            && part.bytes().next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && lower_sql.contains(&part.to_ascii_lowercase())
    };
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find(['"', '\'']) {
        let quote = rest[start..].chars().next().unwrap_or('"');
        out.push_str(&rest[..=start]);
        let after = &rest[start + 1..];
        match after.find(quote) {
            Some(end) => {
                let part = &after[..end];
                out.push_str(if name_in_sql(part) { part } else { "…" });
                out.push(quote);
                rest = &after[end + 1..];
            }
            None => {
                // An unterminated quote: nothing after it is shown.
                out.push('…');
                rest = "";
            }
        }
    }
    out.push_str(rest);
    // Parenthesised lists can hold values too (`Key (name)=(value)`): only names are kept.
    let mut clean = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(start) = rest.find('(') {
        clean.push_str(&rest[..=start]);
        let after = &rest[start + 1..];
        match after.find(')') {
            Some(end) => {
                let part = &after[..end];
                let names =
                    part.split(',').all(|p| name_in_sql(p.trim()) || p.trim().bytes().all(|b| b.is_ascii_digit()));
                clean.push_str(if names { part } else { "…" });
                clean.push(')');
                rest = &after[end + 1..];
            }
            None => {
                clean.push('…');
                rest = "";
            }
        }
    }
    clean.push_str(rest);
    clean
}

/// The kind of constraint behind a server error number (`None`: not a constraint failure).
pub(crate) fn violation(code: u32, message: &str) -> Option<Violation> {
    match code {
        2627 | 2601 => Some(Violation::Unique),
        // 547 is both a reference and a CHECK failure; the (English, see SESSION) text tells:
        // "conflicted with the FOREIGN KEY constraint" / "the REFERENCE constraint" on SQL Server,
        // "violates foreign key constraint" on Babelfish.
        547 if is_reference_failure(message) => Some(Violation::ForeignKey),
        547 => Some(Violation::Other),
        515 => Some(Violation::NotNull),
        // Too long for the column: the SQLite schema has no lengths, so this is the engines'
        // one difference in what fits (docs/sql-server.md).
        2628 | 8152 => Some(Violation::Other),
        // THROW from the audit trail's triggers (V0004): SQLite reports RAISE(ABORT) as a
        // constraint failure too.
        50001 | 50002 => Some(Violation::Other),
        _ => None,
    }
}

fn is_reference_failure(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("foreign key") || m.contains("reference constraint")
}

/// A failure to open the TCP connection.
pub(crate) fn connect_io(e: std::io::Error) -> Error {
    Error::new(ErrorCode::MssqlConnectFailed, "SQL Server could not be reached.")
        .hint("Check the host and port in the connection string, that SQL Server listens on TCP, and the firewall.")
        .with("reason", "network")
        .with("detail", e.kind().to_string())
}

impl From<tiberius::error::Error> for Error {
    fn from(e: tiberius::error::Error) -> Self {
        use tiberius::error::Error as T;
        match &e {
            T::Server(t) => {
                let code = t.code();
                let message = t.message();
                let detail =
                    if MESSAGE_SAFE.contains(&code) { format!("SQL Server error {code}: {message}") } else { format!("SQL Server error {code}") };
                if let Some(v) = violation(code, message) {
                    return Error::new(ErrorCode::DbConstraint, "The change conflicts with existing data.")
                        .hint("Check for an object with the same name or a reference to a missing object.")
                        .with("detail", detail)
                        .with("server_error", code)
                        .violated(v);
                }
                let (ec, msg, hint) = match code {
                    1205 | 1222 => (
                        ErrorCode::DbBusy,
                        "The database stayed busy longer than the lock wait.",
                        "Another ams host or process holds a long write; try again.",
                    ),
                    18456 | 18452 | 18486 | 18487 | 18488 | 4060 => (
                        ErrorCode::MssqlLoginFailed,
                        "SQL Server refused the login.",
                        "Check the login name, the password, and that the login has a user in the database.",
                    ),
                    229 | 230 | 262 | 297 | 916 => (
                        ErrorCode::MssqlPermissionDenied,
                        "The SQL Server login lacks a permission ams needs.",
                        "Grant the permissions listed in docs/sql-server.md.",
                    ),
                    _ => (
                        ErrorCode::DbUnavailable,
                        "The database operation failed.",
                        "Check that SQL Server is reachable and the login has the permissions in docs/sql-server.md.",
                    ),
                };
                Error::new(ec, msg).hint(hint).with("detail", detail).with("server_error", code)
            }
            T::Io { kind, .. } => Error::new(ErrorCode::MssqlConnectFailed, "The connection to SQL Server failed.")
                .hint("Check the network path to SQL Server; the transaction was not committed.")
                .with("reason", if *kind == std::io::ErrorKind::TimedOut { "timeout" } else { "network" })
                .with("detail", kind.to_string()),
            T::Tls(_) => Error::new(ErrorCode::MssqlConnectFailed, "The SQL Server certificate did not verify.")
                .hint("Install the CA that issued the server certificate in the system trust store; on a test server only, TrustServerCertificate=True skips the check.")
                .with("reason", "tls"),
            T::Routing { .. } => Error::new(ErrorCode::MssqlUnsupported, "SQL Server redirected the connection to another server.")
                .hint("Connect to the server the redirect names (Azure SQL: use the server's own name, with the redirect connection policy off).")
                .with("reason", "routing"),
            _ => Error::new(ErrorCode::DbUnavailable, "The conversation with SQL Server failed.")
                .hint("Check that the server is SQL Server 2008 or later (TDS 7.3).")
                .with("reason", "protocol")
                .with("detail", protocol_detail(&e)),
        }
    }
}

/// A protocol error's kind, without its text (which may echo data).
fn protocol_detail(e: &tiberius::error::Error) -> &'static str {
    use tiberius::error::Error as T;
    match e {
        T::Protocol(_) => "protocol",
        T::Encoding(_) => "encoding",
        T::Conversion(_) => "conversion",
        T::Utf8 | T::Utf16 => "text encoding",
        T::ParseInt(_) => "number",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_error_numbers_map_to_violations() {
        assert_eq!(violation(2627, "Violation of PRIMARY KEY constraint"), Some(Violation::Unique));
        assert_eq!(violation(2601, "Cannot insert duplicate key row"), Some(Violation::Unique));
        assert_eq!(
            violation(547, "The INSERT statement conflicted with the FOREIGN KEY constraint \"FK__x\"."),
            Some(Violation::ForeignKey)
        );
        assert_eq!(
            violation(547, "The DELETE statement conflicted with the REFERENCE constraint \"FK__x\"."),
            Some(Violation::ForeignKey)
        );
        assert_eq!(
            violation(547, "The INSERT statement conflicted with the CHECK constraint \"CK__x\"."),
            Some(Violation::Other)
        );
        // Babelfish's texts (PostgreSQL's) for the same failures.
        assert_eq!(
            violation(547, "insert or update on table \"k\" violates foreign key constraint \"k_fkey\""),
            Some(Violation::ForeignKey)
        );
        assert_eq!(
            violation(547, "new row for relation \"m\" violates check constraint \"m_state_check\""),
            Some(Violation::Other)
        );
        assert_eq!(violation(515, "Cannot insert the value NULL into column 'name'"), Some(Violation::NotNull));
        assert_eq!(violation(50001, "audit records cannot be changed"), Some(Violation::Other));
        assert_eq!(violation(208, "Invalid object name 'x'."), None);
        assert_eq!(violation(1205, "deadlock"), None);
    }

    #[test]
    fn generic_messages_keep_names_of_the_statement_and_hide_everything_else() {
        let sql = "UPDATE c SET state = @P1 FROM jit_scheduler_jobs AS c WHERE id = @P2";
        assert_eq!(redact("relation \"c\" does not exist", sql), "relation \"c\" does not exist");
        assert_eq!(
            redact("invalid input syntax for type bigint: \"Canary-7\"", sql),
            "invalid input syntax for type bigint: \"…\""
        );
        assert_eq!(redact("Key (state)=(hunter2) already exists.", sql), "Key (state)=(…) already exists.");
        assert_eq!(redact("value 'jit_scheduler_jobs' and 'secretvalue", sql), "value 'jit_scheduler_jobs' and '…");
        assert_eq!(redact("varchar(64) is too short", sql), "varchar(64) is too short");
        assert_eq!(redact("no quotes here", sql), "no quotes here");
        assert_eq!(
            message_for(BABELFISH_GENERIC, "column \"hunter2\" does not exist", sql).as_deref(),
            Some("column \"…\" does not exist")
        );
        assert_eq!(message_for(2627, "The duplicate key value is (hunter2).", sql), None);
    }

    #[test]
    fn connect_failures_are_coded_and_say_why() {
        let e = connect_io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert_eq!(e.code(), ErrorCode::MssqlConnectFailed);
        let doc = e.to_document().to_string();
        assert!(doc.contains("network"), "{doc}");
        let e = Error::from(tiberius::error::Error::Tls("bad certificate for host".into()));
        assert_eq!(e.code(), ErrorCode::MssqlConnectFailed);
        assert!(e.to_document().to_string().contains("tls"));
        let e = Error::from(tiberius::error::Error::Protocol("value 'hunter2' unexpected".into()));
        assert!(!e.to_document().to_string().contains("hunter2"));
    }
}
