//! SQL Server connection strings in the ADO.NET form:
//! `Server=tcp:sql1,1433;Database=AMS;User Id=ams;Password=...;Encrypt=True;TrustServerCertificate=False`.
//!
//! The rules, as this parser applies them (see docs/sql-server.md):
//!
//! - The string is a list of `key=value` pairs separated by `;`. Empty pairs (`;;`, a leading or
//!   trailing `;`) are ignored. Keys are case-insensitive, white space around keys and unquoted
//!   values is dropped, and runs of white space inside a key count as one space (`User  ID`).
//! - A value that starts with `"` or `'` runs to the matching quote; the quote doubled inside it
//!   stands for itself (`'it''s'`). A value that starts with `{` runs to the matching `}`, and
//!   `}}` inside stands for `}` (the ODBC form). Only white space may follow a closing quote or
//!   brace before the next `;`. An unquoted value runs to the next `;` and may not contain a
//!   quote character at its start, so a value holding `;` must be quoted.
//! - A key may appear once, synonyms included (`Server` and `Data Source` together are refused):
//!   nothing can be overridden by appending to a string.
//! - Unknown keys are refused. A few pooling and failover keys that have no meaning for ams are
//!   accepted and ignored.
//! - TLS: `Encrypt` defaults to true and the server certificate is verified unless
//!   `TrustServerCertificate=True`.
//! - Errors name the key, never a value, and the password is never shown: [`MssqlConn`]'s
//!   `Display` and `Debug` print `Password=***`.
//! - Integrated authentication (`Integrated Security=SSPI|True|Yes` or `Trusted_Connection=Yes`,
//!   without User Id and Password): Windows authentication as the service account on Windows,
//!   Kerberos (GSSAPI, the credentials in the ticket cache or keytab) on Linux and macOS, in a
//!   build with the `mssql-integrated-auth` feature; any other build refuses such a string with
//!   `AMS-MSSQL-0010` (it never falls back to another login).
//!
//! Nothing here opens a connection; this file does not depend on the driver.

use std::fmt;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::error::{Error, ErrorCode, Result};

/// The longest connection string accepted (the host configuration has the same limit).
pub const MAX_LEN: usize = 4096;

/// Default SQL Server port.
pub const DEFAULT_PORT: u16 = 1433;

/// How the connection authenticates.
#[derive(Clone, PartialEq, Eq)]
pub enum MssqlAuth {
    /// SQL Server authentication: a login name and its password.
    Sql {
        /// Login name.
        user: String,
        /// Password (zeroized on drop, never displayed).
        password: Zeroizing<String>,
    },
    /// Integrated authentication: Windows (SSPI) on Windows, Kerberos (GSSAPI) elsewhere, as the
    /// account ams runs under. Only in a build with the `mssql-integrated-auth` feature.
    Integrated,
}

/// True when this build can do integrated authentication (see [`MssqlAuth::Integrated`]).
pub const INTEGRATED_AUTH_SUPPORTED: bool = cfg!(all(feature = "mssql-integrated-auth", any(windows, unix)));

/// Whether the connection is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MssqlEncrypt {
    /// The whole connection is encrypted (TLS); the default.
    Required,
    /// Only the login packet is encrypted (`Encrypt=False`/`Optional`). Not recommended: the
    /// queries and the sealed values they carry travel in the clear.
    LoginOnly,
}

/// A parsed SQL Server connection string.
#[derive(Clone, PartialEq, Eq)]
pub struct MssqlConn {
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// The instance name given after `\` (informational: the port decides where to connect).
    pub instance: Option<String>,
    /// Database name.
    pub database: String,
    /// Authentication.
    pub auth: MssqlAuth,
    /// Encryption.
    pub encrypt: MssqlEncrypt,
    /// Accept any server certificate (no verification). Off unless the string says so.
    pub trust_server_certificate: bool,
    /// How long connecting may take.
    pub connect_timeout: Duration,
    /// Application name reported to the server.
    pub application_name: Option<String>,
}

impl fmt::Display for MssqlConn {
    /// The canonical form with the password masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Server=tcp:{}", quote_if_needed(&self.host))?;
        if let Some(i) = &self.instance {
            write!(f, "\\{}", quote_if_needed(i))?;
        }
        write!(f, ",{};Database={}", self.port, quote_if_needed(&self.database))?;
        match &self.auth {
            MssqlAuth::Sql { user, .. } => write!(f, ";User Id={};Password=***", quote_if_needed(user))?,
            MssqlAuth::Integrated => write!(f, ";Integrated Security=True")?,
        }
        let encrypt = matches!(self.encrypt, MssqlEncrypt::Required);
        write!(
            f,
            ";Encrypt={};TrustServerCertificate={}",
            if encrypt { "True" } else { "False" },
            if self.trust_server_certificate { "True" } else { "False" }
        )?;
        write!(f, ";Connect Timeout={}", self.connect_timeout.as_secs())?;
        if let Some(a) = &self.application_name {
            write!(f, ";Application Name={}", quote_if_needed(a))?;
        }
        Ok(())
    }
}

impl fmt::Debug for MssqlConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MssqlConn({self})")
    }
}

impl fmt::Debug for MssqlAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MssqlAuth::Sql { user, .. } => f.debug_struct("Sql").field("user", user).field("password", &"***").finish(),
            MssqlAuth::Integrated => f.write_str("Integrated"),
        }
    }
}

/// A value for the masked display form: quoted when it holds a character that would change how
/// the string is read back.
fn quote_if_needed(v: &str) -> String {
    if v.contains([';', '\'', '"', '{', '}', '=']) || v.trim() != v {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

/// The keys this parser knows, by what they set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Server,
    Database,
    User,
    Password,
    Integrated,
    Encrypt,
    TrustCert,
    Timeout,
    AppName,
    /// Accepted and ignored (pooling, failover: meaningless for one connection per process).
    Ignored,
}

fn key_of(normalized: &str) -> Option<Key> {
    Some(match normalized {
        "server" | "data source" | "address" | "addr" | "network address" => Key::Server,
        "database" | "initial catalog" => Key::Database,
        "user id" | "uid" | "user" | "username" | "user name" => Key::User,
        "password" | "pwd" => Key::Password,
        "integrated security" | "trusted_connection" => Key::Integrated,
        "encrypt" => Key::Encrypt,
        "trustservercertificate" | "trust server certificate" => Key::TrustCert,
        "connect timeout" | "connection timeout" | "timeout" => Key::Timeout,
        "application name" | "app" => Key::AppName,
        "persist security info"
        | "persistsecurityinfo"
        | "pooling"
        | "max pool size"
        | "min pool size"
        | "connection lifetime"
        | "load balance timeout"
        | "multipleactiveresultsets"
        | "multisubnetfailover"
        | "applicationintent"
        | "application intent"
        | "packet size" => Key::Ignored,
        _ => return None,
    })
}

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::MssqlConnectionStringInvalid, message)
        .hint("Write the SQL Server connection string as Server=tcp:HOST,PORT;Database=NAME;User Id=LOGIN;Password=...; see docs/sql-server.md.")
}

fn unsupported(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::MssqlUnsupported, message)
}

/// Splits a connection string into (key, value) pairs, applying the quoting rules. Keys are
/// normalized (lower case, inner white space collapsed); values are unquoted.
pub(crate) fn split_pairs(s: &str) -> Result<Vec<(String, Zeroizing<String>)>> {
    if s.len() > MAX_LEN {
        return Err(invalid(format!("The connection string is longer than {MAX_LEN} characters.")));
    }
    if s.chars().any(|c| c.is_control() && c != '\t') {
        return Err(invalid("The connection string holds a control character."));
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let n = chars.len();
    while i < n {
        // Key: up to '='.
        let start = i;
        while i < n && chars[i] != '=' && chars[i] != ';' {
            i += 1;
        }
        let raw_key: String = chars[start..i].iter().collect();
        let key = raw_key.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_lowercase();
        if i >= n || chars[i] == ';' {
            // No '=': only an empty pair is allowed.
            if !key.is_empty() {
                return Err(invalid("A part of the connection string is not of the form key=value.")
                    .with("key", shown_key(&key)));
            }
            i += 1;
            continue;
        }
        if key.is_empty() {
            return Err(invalid("The connection string has a value without a key."));
        }
        i += 1; // '='
        while i < n && (chars[i] == ' ' || chars[i] == '\t') {
            i += 1;
        }
        let mut value = Zeroizing::new(String::new());
        match chars.get(i) {
            Some(&q) if q == '"' || q == '\'' || q == '{' => {
                let close = if q == '{' { '}' } else { q };
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(invalid("A quoted value in the connection string is not closed.")
                                .with("key", shown_key(&key)));
                        }
                        Some(&c) if c == close => {
                            if chars.get(i + 1) == Some(&close) {
                                value.push(close);
                                i += 2;
                            } else {
                                i += 1;
                                break;
                            }
                        }
                        Some(&c) => {
                            value.push(c);
                            i += 1;
                        }
                    }
                }
                while i < n && (chars[i] == ' ' || chars[i] == '\t') {
                    i += 1;
                }
                if i < n && chars[i] != ';' {
                    return Err(
                        invalid("Text follows a quoted value in the connection string.").with("key", shown_key(&key))
                    );
                }
                i += 1;
            }
            _ => {
                while i < n && chars[i] != ';' {
                    value.push(chars[i]);
                    i += 1;
                }
                i += 1;
                let trimmed = value.trim_end().len();
                value.truncate(trimmed);
            }
        }
        out.push((key, value));
    }
    Ok(out)
}

/// A key as it may appear in an error: a key ams knows, or `(unknown)` (an unknown "key" may be
/// a pasted password, so it is never echoed).
fn shown_key(key: &str) -> String {
    if key_of(key).is_some() { key.to_string() } else { "(unknown)".to_string() }
}

fn parse_bool(key: &str, v: &str) -> Result<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" => Ok(true),
        "false" | "no" => Ok(false),
        _ => Err(invalid(format!("{key} must be True or False.")).with("key", key.to_string())),
    }
}

/// True for a host name or IP address that may be used to connect.
fn valid_host(h: &str) -> bool {
    if h.is_empty() || h.len() > 253 {
        return false;
    }
    if h.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    h.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    })
}

/// Parses the `Server` value: `[tcp:]host[\instance][,port]`.
fn parse_server(v: &str) -> Result<(String, Option<String>, u16)> {
    let mut v = v.trim();
    let lower = v.to_ascii_lowercase();
    if lower.starts_with("tcp:") {
        v = v.get(4..).unwrap_or_default().trim();
    } else if lower.starts_with("np:") || lower.starts_with("lpc:") || lower.starts_with("admin:") {
        return Err(unsupported(
            "Only TCP connections to SQL Server are supported (not named pipes or shared memory).",
        )
        .hint("Use Server=tcp:HOST,PORT."));
    }
    let (rest, port) = match v.rsplit_once(',') {
        Some((h, p)) => {
            let p = p.trim();
            let port =
                p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
                    invalid("The port in Server must be a number from 1 to 65535.").with("key", "server")
                })?;
            (h.trim(), Some(port))
        }
        None => (v, None),
    };
    let (host, instance) = match rest.split_once('\\') {
        Some((h, i)) => (h.trim(), Some(i.trim())),
        None => (rest, None),
    };
    let host = match host.to_ascii_lowercase().as_str() {
        "." | "(local)" | "(localdb)" => "localhost".to_string(),
        _ => host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host).to_string(),
    };
    if !valid_host(&host) {
        return Err(invalid("Server must name a host (a DNS name or an IP address).").with("key", "server"));
    }
    let instance = match instance {
        Some(i) if i.is_empty() || i.len() > 64 || !i.chars().all(|c| c.is_alphanumeric() || "_$#-".contains(c)) => {
            return Err(invalid("The instance name in Server is not valid.").with("key", "server"));
        }
        Some(i) => Some(i.to_string()),
        None => None,
    };
    let port = match (port, &instance) {
        (Some(p), _) => p,
        (None, None) => DEFAULT_PORT,
        (None, Some(_)) => {
            return Err(unsupported(
                "A named instance needs its port: this build does not ask the SQL Server Browser service.",
            )
            .hint("Write Server=tcp:HOST\\INSTANCE,PORT with the instance's TCP port."));
        }
    };
    Ok((host, instance, port))
}

/// A name (database, login, application) with no control characters and at most 128 characters.
fn check_name(key: &'static str, v: &str) -> Result<String> {
    let v = v.trim();
    if v.is_empty() || v.chars().count() > 128 {
        return Err(invalid(format!("{key} must be 1 to 128 characters.")).with("key", key));
    }
    Ok(v.to_string())
}

impl MssqlConn {
    /// Parses an ADO.NET connection string; see the module documentation for the rules.
    pub fn parse(s: &str) -> Result<MssqlConn> {
        MssqlConn::parse_for(s, INTEGRATED_AUTH_SUPPORTED)
    }

    /// [`MssqlConn::parse`] for a build that can (or cannot) do integrated authentication.
    fn parse_for(s: &str, integrated_supported: bool) -> Result<MssqlConn> {
        let pairs = split_pairs(s)?;
        let mut integrated = false;
        let mut seen: Vec<Key> = Vec::new();
        let (mut server, mut database, mut user, mut password) = (None, None, None, None::<Zeroizing<String>>);
        let mut encrypt = MssqlEncrypt::Required;
        let mut trust = false;
        let mut timeout = Duration::from_secs(15);
        let mut app = None;
        for (key, value) in pairs {
            let Some(k) = key_of(&key) else {
                return Err(invalid("The connection string has a key ams does not know.").with("key", shown_key(&key)));
            };
            if k != Key::Ignored {
                if seen.contains(&k) {
                    return Err(invalid("A key appears more than once in the connection string (synonyms included).")
                        .with("key", key));
                }
                seen.push(k);
            }
            match k {
                Key::Server => server = Some(parse_server(&value)?),
                Key::Database => database = Some(check_name("Database", &value)?),
                Key::User => user = Some(check_name("User Id", &value)?),
                Key::Password => password = Some(value),
                Key::Integrated => {
                    integrated =
                        value.trim().eq_ignore_ascii_case("sspi") || parse_bool("Integrated Security", &value)?;
                }
                Key::Encrypt => {
                    encrypt = match value.trim().to_ascii_lowercase().as_str() {
                        "true" | "yes" | "mandatory" => MssqlEncrypt::Required,
                        "false" | "no" | "optional" => MssqlEncrypt::LoginOnly,
                        "strict" => {
                            return Err(unsupported("Encrypt=Strict (TDS 8.0) is not supported by this build of ams.")
                                .hint("Use Encrypt=True with TrustServerCertificate=False."));
                        }
                        _ => {
                            return Err(
                                invalid("Encrypt must be True, False, Mandatory or Optional.").with("key", "encrypt")
                            );
                        }
                    }
                }
                Key::TrustCert => trust = parse_bool("TrustServerCertificate", &value)?,
                Key::Timeout => {
                    let secs = value.trim().parse::<u64>().ok().filter(|s| *s <= 3600).ok_or_else(|| {
                        invalid("Connect Timeout must be a number of seconds from 0 to 3600.")
                            .with("key", "connect timeout")
                    })?;
                    // 0 means "wait forever" in ADO.NET; ams never waits forever.
                    timeout = Duration::from_secs(if secs == 0 { 3600 } else { secs });
                }
                Key::AppName => app = Some(check_name("Application Name", &value)?),
                Key::Ignored => {}
            }
        }
        let Some((host, instance, port)) = server else {
            return Err(invalid("The connection string has no Server.").with("key", "server"));
        };
        let Some(database) = database else {
            return Err(invalid(
                "The connection string has no Database (ams never uses the login's default database).",
            )
            .with("key", "database"));
        };
        let auth = match (user, password) {
            _ if integrated && !integrated_supported => {
                return Err(Error::new(
                    ErrorCode::MssqlIntegratedAuthUnsupported,
                    "The connection string asks for integrated (Windows or Kerberos) authentication, which this build of ams cannot do.",
                )
                .hint("Use SQL Server authentication (User Id=LOGIN;Password=..., see docs/sql-server.md), or a build with the mssql-integrated-auth feature.")
                .with("key", "integrated security"));
            }
            (None, None) if integrated => MssqlAuth::Integrated,
            (Some(_), _) | (_, Some(_)) if integrated => {
                return Err(invalid(
                    "The connection string has both integrated authentication and a User Id or Password.",
                )
                .hint("Use one: Integrated Security=True without User Id and Password, or User Id=LOGIN;Password=....")
                .with("key", "integrated security"));
            }
            (Some(user), Some(password)) if !password.is_empty() => MssqlAuth::Sql { user, password },
            (Some(_), _) => {
                return Err(invalid("The connection string has a User Id but no Password.").with("key", "password"));
            }
            (None, Some(_)) => {
                return Err(invalid("The connection string has a Password but no User Id.").with("key", "user id"));
            }
            (None, None) => {
                return Err(invalid("The connection string has no User Id and Password.").hint(
                    "Add User Id=LOGIN;Password=... (integrated authentication is not supported by this build).",
                ));
            }
        };
        Ok(MssqlConn {
            host,
            port,
            instance,
            database,
            auth,
            encrypt,
            trust_server_certificate: trust,
            connect_timeout: timeout,
            application_name: app,
        })
    }

    /// The masked display form (the same as `Display`).
    pub fn masked(&self) -> String {
        self.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> MssqlConn {
        MssqlConn::parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }

    fn err(s: &str) -> Error {
        MssqlConn::parse(s).map(|c| c.masked()).expect_err(s)
    }

    fn password(c: &MssqlConn) -> &str {
        match &c.auth {
            MssqlAuth::Sql { password, .. } => password,
            MssqlAuth::Integrated => panic!("integrated authentication has no password"),
        }
    }

    fn user(c: &MssqlConn) -> &str {
        match &c.auth {
            MssqlAuth::Sql { user, .. } => user,
            MssqlAuth::Integrated => panic!("integrated authentication has no user"),
        }
    }

    const INTEGRATED: &[&str] = &[
        "Server=h;Database=d;Integrated Security=SSPI",
        "Server=h;Database=d;Integrated Security=true",
        "Server=h;Database=d;integrated security=Yes",
        "Server=h;Database=d;Trusted_Connection=yes",
        "Server=h;Database=d;Trusted_Connection=True;Encrypt=True",
    ];

    #[test]
    fn integrated_authentication_is_read_where_the_build_supports_it() {
        for s in INTEGRATED {
            let c = MssqlConn::parse_for(s, true).unwrap_or_else(|e| panic!("{s}: {e:?}"));
            assert_eq!(c.auth, MssqlAuth::Integrated, "{s}");
            assert!(c.to_string().contains(";Integrated Security=True"), "{c}");
            assert!(!c.to_string().contains("User Id"), "{c}");
            // The display form reads back the same.
            assert_eq!(MssqlConn::parse_for(&c.to_string(), true).unwrap(), c);
        }
        // Off is SQL authentication as before; a login together with integrated is refused.
        let c = MssqlConn::parse_for("Server=h;Database=d;User Id=u;Password=p;Trusted_Connection=no", true).unwrap();
        assert_eq!(user(&c), "u");
        for s in [
            "Server=h;Database=d;Integrated Security=SSPI;User Id=u;Password=hunter2",
            "Server=h;Database=d;Integrated Security=SSPI;User Id=u",
            "Server=h;Database=d;Trusted_Connection=yes;Password=hunter2",
        ] {
            let e = MssqlConn::parse_for(s, true).unwrap_err();
            assert_eq!(e.code(), ErrorCode::MssqlConnectionStringInvalid, "{s}");
            assert!(!format!("{e:?} {e}").contains("hunter2"));
        }
        assert_eq!(
            MssqlConn::parse_for("Server=h;Database=d;Integrated Security=maybe", true).unwrap_err().code(),
            ErrorCode::MssqlConnectionStringInvalid
        );
    }

    #[test]
    fn integrated_authentication_is_a_coded_error_where_the_build_has_none() {
        for s in INTEGRATED {
            let e = MssqlConn::parse_for(s, false).unwrap_err();
            assert_eq!(e.code(), ErrorCode::MssqlIntegratedAuthUnsupported, "{s}");
            assert!(e.hint_text().unwrap().contains("User Id=LOGIN;Password="), "names SQL authentication");
        }
        // With a password in the string too, the password is never shown.
        let e = MssqlConn::parse_for("Server=h;Database=d;Integrated Security=SSPI;User Id=u;Password=hunter2", false)
            .unwrap_err();
        assert!(!format!("{e:?} {e}").contains("hunter2"));
        // This build: whichever it is, parse agrees with INTEGRATED_AUTH_SUPPORTED.
        let got = MssqlConn::parse(INTEGRATED[0]);
        assert_eq!(got.is_ok(), INTEGRATED_AUTH_SUPPORTED, "{got:?}");
    }

    #[test]
    fn the_documented_form_parses_with_verification_on() {
        let c = ok(
            "Server=tcp:sql1,1433;Database=AMS;User Id=ams;Password=s3cr3t!;Encrypt=True;TrustServerCertificate=False",
        );
        assert_eq!((c.host.as_str(), c.port, c.database.as_str()), ("sql1", 1433, "AMS"));
        assert_eq!((user(&c), password(&c)), ("ams", "s3cr3t!"));
        assert_eq!(c.encrypt, MssqlEncrypt::Required);
        assert!(!c.trust_server_certificate);
        // Defaults: encrypted, verified, port 1433.
        let c = ok("Server=db.example.com;Database=ams;User Id=a;Password=b");
        assert_eq!((c.port, c.encrypt, c.trust_server_certificate), (1433, MssqlEncrypt::Required, false));
        assert_eq!(c.connect_timeout, Duration::from_secs(15));
    }

    #[test]
    fn synonyms_and_case_are_accepted() {
        let c = ok(
            "data source = SQL1\\PROD , 14330 ; INITIAL   CATALOG=Vault;uid=svc;PWD=x;encrypt=yes;trustservercertificate=no;Connection Timeout=5;App=ams",
        );
        assert_eq!((c.host.as_str(), c.instance.as_deref(), c.port), ("SQL1", Some("PROD"), 14330));
        assert_eq!((c.database.as_str(), user(&c), password(&c)), ("Vault", "svc", "x"));
        assert_eq!(c.connect_timeout, Duration::from_secs(5));
        assert_eq!(c.application_name.as_deref(), Some("ams"));
        for s in ["Address=h", "Addr=h", "Network Address=h"] {
            assert_eq!(ok(&format!("{s};Database=d;User=u;Password=p")).host, "h");
        }
        assert_eq!(ok("Server=.;Database=d;User Id=u;Password=p").host, "localhost");
        assert_eq!(ok("Server=(local);Database=d;User Id=u;Password=p").host, "localhost");
        assert_eq!(ok("Server=[::1],1500;Database=d;User Id=u;Password=p").host, "::1");
        assert_eq!(ok("Server=10.0.0.5;Database=d;User Id=u;Password=p").host, "10.0.0.5");
        let c = ok("Server=h;Database=d;User Id=u;Password=p;Encrypt=Optional;TrustServerCertificate=True");
        assert_eq!((c.encrypt, c.trust_server_certificate), (MssqlEncrypt::LoginOnly, true));
        assert_eq!(ok("Server=h;Database=d;User Id=u;Password=p;Encrypt=Mandatory").encrypt, MssqlEncrypt::Required);
        ok(
            "Server=h;Database=d;User Id=u;Password=p;Integrated Security=False;Pooling=true;MultipleActiveResultSets=False",
        );
    }

    #[test]
    fn quoting_rules() {
        let pw = |s: &str| password(&ok(&format!("Server=h;Database=d;User Id=u;Password={s}"))).to_string();
        assert_eq!(pw("'a;b'"), "a;b");
        assert_eq!(pw("\"a;b\""), "a;b");
        assert_eq!(pw("'it''s'"), "it's");
        assert_eq!(pw("\"say \"\"hi\"\"\""), "say \"hi\"");
        assert_eq!(pw("'double \" inside'"), "double \" inside");
        assert_eq!(pw("{a;b}"), "a;b");
        assert_eq!(pw("{a}}b}"), "a}b");
        assert_eq!(pw("{'\"}"), "'\"");
        assert_eq!(pw("  spaced  "), "spaced");
        assert_eq!(pw("' kept '"), " kept ");
        assert_eq!(pw("a=b=c"), "a=b=c");
        assert_eq!(pw("x'y"), "x'y");
        // Empty pairs are ignored, wherever they are.
        let c = ok(";;Server=h;;Database=d;;;User Id=u;Password='p' ;;");
        assert_eq!((c.host.as_str(), c.database.as_str(), password(&c)), ("h", "d", "p"));
    }

    #[test]
    fn bad_strings_are_refused_with_a_code_and_the_key_never_the_value() {
        let code = |s: &str| err(s).code();
        let base = "Server=h;Database=d;User Id=u;Password=p";
        for s in [
            "",
            "Server=h",
            "Database=d;User Id=u;Password=p",
            "Server=h;User Id=u;Password=p",
            "Server=h;Database=d;User Id=u",
            "Server=h;Database=d;Password=p",
            "Server=h;Database=d;User Id=u;Password=",
            "Server=h;Database=d",
            "Server=h,0;Database=d;User Id=u;Password=p",
            "Server=h,70000;Database=d;User Id=u;Password=p",
            "Server=h,x;Database=d;User Id=u;Password=p",
            "Server=bad host;Database=d;User Id=u;Password=p",
            "Server=;Database=d;User Id=u;Password=p",
            "Server=h;Database=d;User Id=u;Password='open",
            "Server=h;Database=d;User Id=u;Password={open",
            "Server=h;Database=d;User Id=u;Password='a'b",
            "Server=h;Data Source=h2;Database=d;User Id=u;Password=p",
            "Server=h;Database=d;Initial Catalog=e;User Id=u;Password=p",
            "Server=h;Database=d;User Id=u;Password=p;PWD=q",
            "Server=h;Database=d;User Id=u;Password=p;Encrypt=maybe",
            "Server=h;Database=d;User Id=u;Password=p;TrustServerCertificate=1",
            "Server=h;Database=d;User Id=u;Password=p;Connect Timeout=-1",
            "Server=h;Database=d;User Id=u;Password=p;Frobnicate=1",
            "Server=h;Database=d;User Id=u;Password=p;novalue",
            "=x;Server=h;Database=d;User Id=u;Password=p",
            "Server=h;Database=d\u{7};User Id=u;Password=p",
        ] {
            assert_eq!(code(s), ErrorCode::MssqlConnectionStringInvalid, "{s}");
        }
        for s in [
            "Server=np:\\\\.\\pipe\\sql;Database=d;User Id=u;Password=p",
            "Server=h\\INST;Database=d;User Id=u;Password=p",
            &format!("{base};Encrypt=Strict"),
        ] {
            assert_eq!(code(s), ErrorCode::MssqlUnsupported, "{s}");
        }
        assert_eq!(code(&format!("{base};App={}", "x".repeat(MAX_LEN))), ErrorCode::MssqlConnectionStringInvalid);
        // The password never appears in an error, even when it is what went wrong.
        for s in [
            "Server=h;Database=d;User Id=u;Password='hunter2",
            "Server=h;Database=d;User Id=u;Password='hunter2'x",
            "Server=h;Database=d;User Id=u;Password=hunter2;Password=hunter2",
            "Server=h;Database=d;User Id=u;hunter2",
            "Server=h;Database=d;User Id=u;Pasword=hunter2",
        ] {
            let doc = err(s).to_document().to_string();
            assert!(!doc.contains("hunter2"), "{s}: {doc}");
        }
    }

    #[test]
    fn display_and_debug_mask_the_password_and_read_back() {
        let c = ok(
            "Server=tcp:sql1,1433;Database=AMS;User Id=ams;Password='p;w\"d';Encrypt=True;TrustServerCertificate=False",
        );
        let shown = c.to_string();
        assert_eq!(
            shown,
            "Server=tcp:sql1,1433;Database=AMS;User Id=ams;Password=***;Encrypt=True;TrustServerCertificate=False;Connect Timeout=15"
        );
        let dbg = format!("{c:?} {:?}", c.auth);
        assert!(!dbg.contains("p;w") && dbg.contains("***"), "{dbg}");
        // The masked form is itself a valid string for the same place (with the mask as password).
        let back = ok(&shown);
        assert_eq!((back.host, back.port, back.database), (c.host.clone(), c.port, c.database.clone()));
        // Odd names survive the round trip.
        let c = ok("Server=h;Database='a;b';User Id=\"x=y\";Password=p;Application Name={ams {x}}}");
        let back = ok(&c.to_string());
        assert_eq!((back.database.as_str(), user(&back)), ("a;b", "x=y"));
        assert_eq!(back.application_name.as_deref(), Some("ams {x}"));
    }

    #[test]
    fn hostile_inputs_never_panic() {
        for s in [
            "=",
            ";",
            "==",
            "'",
            "\"",
            "{",
            "}",
            "='",
            "a='",
            "a={",
            "a=\"\"\"",
            "Server=,",
            "Server=\\",
            "Server=h\\,",
            "Server=tcp:",
            "Server=[",
            "Server=[]",
            "Server=h,,1",
            "\u{feff}Server=h",
            "Server=h;Database=\u{10ffff}",
            "Password=;;;;;",
            "é=é",
            "Server=ä.example;Database=d;User Id=u;Password=p",
        ] {
            let _ = MssqlConn::parse(s);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_strings_never_panic(s in "\\PC{0,200}") {
            let _ = MssqlConn::parse(&s);
        }

        #[test]
        fn strings_of_connection_string_characters_never_panic(s in "[A-Za-z =;'\"{},.:\\\\-]{0,120}") {
            let _ = MssqlConn::parse(&s);
        }

        #[test]
        fn any_password_round_trips_and_is_never_shown(pw in "[^\\p{Cc}]{1,60}") {
            let quoted = format!("{{{}}}", pw.replace('}', "}}"));
            let c = MssqlConn::parse(&format!("Server=h;Database=d;User Id=u;Password={quoted}")).unwrap();
            proptest::prop_assert_eq!(password(&c), pw.as_str());
            // What is shown does not depend on the password at all.
            let other = MssqlConn::parse("Server=h;Database=d;User Id=u;Password=x").unwrap();
            proptest::prop_assert_eq!(format!("{c} {c:?}"), format!("{other} {other:?}"));
        }
    }
}
