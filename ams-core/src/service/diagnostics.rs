//! Server diagnostics (Export-AmsServerDiagnostics): a ZIP of what support needs to see, with
//! no secret in it.
//!
//! Each part is collected on its own, so a broken database still gives the versions, the host
//! configuration and the error that stopped the rest (`errors.json`). Nothing is read that could
//! hold a secret value: no database file, no host key file, no sealed column, no password, key or
//! private key. As a second line of defence every string in every JSON part goes through
//! [`mask_secrets`], string values under secret-sounding keys are replaced by `***`, and log text
//! is masked line by line.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::Serialize;
use serde_json::{Value, json};

use crate::ams::{Ams, OpenOptions};
use crate::error::{Error, ErrorCode, Result};
use crate::instance::{HostConfig, mask_secrets, write_new_private, write_replace_private};
use crate::service::claims::{IdpType, default_claim_mappings};
use crate::service::host_config;
use crate::store::migrate::SQLITE_MIGRATIONS;

/// Most bytes taken from the end of one log file.
pub const LOG_TAIL_BYTES: u64 = 1024 * 1024;
/// Most log files taken from a log folder (the most recently changed).
pub const MAX_LOG_FILES: usize = 8;
/// Most audit records included (the newest).
pub const AUDIT_RECORDS: u32 = 200;

/// What `ams server-diagnostics export` reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DiagnosticsReport {
    /// The ZIP file written.
    pub file: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// The names of the entries in the ZIP.
    pub entries: Vec<String>,
    /// Parts that could not be collected (their errors are in `errors.json`).
    pub failed_parts: Vec<String>,
}

/// A ZIP under construction: entries in order, each a name and its bytes.
struct Bundle {
    entries: Vec<(String, Vec<u8>)>,
    errors: Vec<Value>,
}

impl Bundle {
    fn json(&mut self, name: &str, part: Result<Value>) {
        match part {
            Ok(v) => {
                let text = serde_json::to_vec_pretty(&redact(v)).unwrap_or_default();
                self.entries.push((name.to_string(), text));
            }
            Err(e) => self.fail(name, &e),
        }
    }

    fn fail(&mut self, part: &str, e: &Error) {
        let context: serde_json::Map<String, Value> =
            e.context().iter().map(|(k, v)| ((*k).to_string(), Value::String(v.clone()))).collect();
        self.errors.push(redact(json!({
            "Part": part,
            "Code": e.code().as_str(),
            "Message": e.message(),
            "Context": context,
        })));
    }

    fn text(&mut self, name: &str, text: String) {
        self.entries.push((name.to_string(), text.into_bytes()));
    }
}

fn to_value<T: Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|_| Error::internal("Could not serialise a diagnostics part."))
}

/// True for a JSON key whose string value must never be shown.
fn secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["password", "secret", "pwd", "privatekey", "sealed", "recoverykey", "keymaterial", "token"]
        .iter()
        .any(|s| k.contains(s))
        || matches!(k.as_str(), "key" | "keyvalue" | "registrationkey")
}

/// Masks a JSON value: connection-string passwords in every string, and every string under a
/// secret-sounding key.
pub fn redact(v: Value) -> Value {
    match v {
        Value::String(s) => Value::String(mask_secrets(&s)),
        Value::Array(a) => Value::Array(a.into_iter().map(redact).collect()),
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(_) if secret_key(&k) => Value::String("***".into()),
                        other => redact(other),
                    };
                    (k, v)
                })
                .collect(),
        ),
        other => other,
    }
}

/// Reads at most `max` bytes from the end of a file, from the first full line on.
fn tail(path: &Path, max: u64) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    let start = len.saturating_sub(max);
    f.seek(SeekFrom::Start(start))?;
    let mut buf = Vec::new();
    f.take(max).read_to_end(&mut buf)?;
    let mut text = String::from_utf8_lossy(&buf).into_owned();
    if start > 0
        && let Some(nl) = text.find('\n')
    {
        text.drain(..=nl);
    }
    // Log lines should never carry secrets; mask connection strings in case one does.
    Ok(text.lines().map(mask_secrets).collect::<Vec<_>>().join("\n") + "\n")
}

fn collect_logs(b: &mut Bundle, cfg: Option<&HostConfig>) {
    let note = |b: &mut Bundle, why: String| {
        b.text("logs/NOTE.txt", format!("{why}\nams writes its diagnostics to stderr unless LogPath is set.\n"));
    };
    let Some(log_path) = cfg.and_then(|c| c.log_path.as_deref()) else {
        return note(b, "No LogPath is set in the host configuration, so there are no log files to include.".into());
    };
    let path = Path::new(log_path);
    let mut files: Vec<(std::time::SystemTime, std::path::PathBuf)> = Vec::new();
    if path.is_file() {
        files.push((std::time::SystemTime::UNIX_EPOCH, path.to_path_buf()));
    } else if path.is_dir() {
        if let Ok(rd) = std::fs::read_dir(path) {
            for entry in rd.flatten() {
                let p = entry.path();
                let Ok(meta) = entry.metadata() else { continue };
                if meta.is_file() && p.extension().is_some_and(|e| e == "log" || e == "txt") {
                    files.push((meta.modified().unwrap_or(std::time::SystemTime::UNIX_EPOCH), p));
                }
            }
        }
        files.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        files.truncate(MAX_LOG_FILES);
    } else {
        return note(b, format!("LogPath is set to {log_path}, but nothing exists there."));
    }
    if files.is_empty() {
        return note(b, format!("LogPath is set to {log_path}, but it holds no .log files."));
    }
    for (_, p) in files {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "log".into());
        match tail(&p, LOG_TAIL_BYTES) {
            Ok(text) => b.text(&format!("logs/{name}"), text),
            Err(e) => b.fail(&format!("logs/{name}"), &Error::from(e).with("path", p.display())),
        }
    }
}

fn data_directory_listing(dir: &Path) -> Result<Value> {
    let mut out = Vec::new();
    let rd = std::fs::read_dir(dir).map_err(|e| Error::from(e).with("path", dir.display()))?;
    for entry in rd.flatten() {
        let Ok(meta) = entry.metadata() else { continue };
        #[cfg(unix)]
        let mode = {
            use std::os::unix::fs::PermissionsExt;
            Some(format!("{:o}", meta.permissions().mode() & 0o7777))
        };
        #[cfg(not(unix))]
        let mode: Option<String> = None;
        out.push(json!({
            "Name": entry.file_name().to_string_lossy(),
            "Directory": meta.is_dir(),
            "Bytes": meta.len(),
            "Mode": mode,
        }));
    }
    out.sort_by(|a, b| a["Name"].as_str().cmp(&b["Name"].as_str()));
    Ok(Value::Array(out))
}

fn versions(extra: &[(&str, &str)]) -> Value {
    let mut components = serde_json::Map::new();
    components.insert("ams-core".into(), Value::String(env!("CARGO_PKG_VERSION").into()));
    for (k, v) in extra {
        components.insert((*k).to_string(), Value::String((*v).to_string()));
    }
    json!({
        "Components": components,
        "Os": std::env::consts::OS,
        "Family": std::env::consts::FAMILY,
        "Arch": std::env::consts::ARCH,
        "EmbeddedMigrations": SQLITE_MIGRATIONS
            .iter()
            .map(|m| json!({ "Version": m.version, "Name": m.name, "Checksum": m.checksum() }))
            .collect::<Vec<_>>(),
    })
}

fn counts(ams: &Ams) -> Result<Value> {
    let tables = ams.store.read(|tx| tx.table_counts())?;
    let get = |name: &str| tables.iter().find(|(t, _)| t == name).map_or(0, |(_, n)| *n);
    let rules: i64 = tables.iter().filter(|(t, _)| t.contains("rule")).map(|(_, n)| n).sum();
    Ok(json!({
        "Devices": get("devices"),
        "Groups": get("device_groups"),
        "RegistrationKeys": get("registration_keys"),
        "Certificates": get("certificates"),
        "Rules": rules,
        "Tables": tables.iter().map(|(t, n)| (t.clone(), json!(n))).collect::<serde_json::Map<_, _>>(),
    }))
}

fn claim_mappings(ams: &Ams) -> Result<Value> {
    let mut out = serde_json::Map::new();
    for idp in [IdpType::Oidc, IdpType::WsFed] {
        let custom = ams.claim_mappings(idp)?;
        let in_force = if custom.is_empty() { default_claim_mappings(idp) } else { custom.clone() };
        out.insert(idp.as_str().into(), json!({ "Custom": custom, "InForce": in_force }));
    }
    Ok(Value::Object(out))
}

const README: &str = "ams server diagnostics\n\
\n\
versions.json            ams component versions, operating system, embedded migrations\n\
host-config.json         this host's configuration (connection string password masked)\n\
data-directory.json      names, sizes and modes of the files in the data directory (no contents)\n\
db-status.json           `ams db status`\n\
key-status.json          `ams key status` (protectors and their state, no key material)\n\
certificates.json        encryption certificates (public parts only)\n\
service-config.json      farm-wide service settings\n\
idp-claim-mappings.json  identity-provider claim mappings (custom and in force)\n\
counts.json              row counts: devices, groups, rules, every table\n\
audit-recent.json        the newest audit records (they never hold secret values)\n\
logs/                    the last 1 MiB of each log file, or a note when there are none\n\
errors.json              parts that could not be collected, and why\n\
\n\
No password, BitLocker key, registration key, recovery password, private key, host key or\n\
database file is included, and connection-string passwords are replaced by ***.\n";

/// Collects the diagnostics of the instance in `opts.data_dir` into ZIP bytes. Returns the bytes,
/// the entry names and the parts that failed.
pub fn build_diagnostics(
    opts: &OpenOptions,
    extra_versions: &[(&str, &str)],
) -> Result<(Vec<u8>, Vec<String>, Vec<String>)> {
    let mut b = Bundle { entries: Vec::new(), errors: Vec::new() };
    b.text("README.txt", README.to_string());
    b.json("versions.json", Ok(versions(extra_versions)));
    let host = HostConfig::load(&opts.data_dir);
    b.json("host-config.json", host_config::host_config(&opts.data_dir).and_then(|h| to_value(&h)));
    b.json("data-directory.json", data_directory_listing(&opts.data_dir));
    match Ams::open_unchecked(opts) {
        Ok(ams) => {
            b.json("db-status.json", ams.db_status().and_then(|s| to_value(&s)));
            b.json("key-status.json", ams.key_status().and_then(|s| to_value(&s)));
            b.json("certificates.json", ams.cert_list().and_then(|s| to_value(&s)));
            b.json("service-config.json", ams.service_config().and_then(|s| to_value(&s)));
            b.json("idp-claim-mappings.json", claim_mappings(&ams));
            b.json("counts.json", counts(&ams));
            b.json("audit-recent.json", ams.audit_records(None, AUDIT_RECORDS).and_then(|s| to_value(&s)));
        }
        Err(e) => b.fail("instance", &e),
    }
    collect_logs(&mut b, host.as_ref().ok());
    let failed: Vec<String> = b.errors.iter().filter_map(|e| e["Part"].as_str().map(str::to_string)).collect();
    let errors = Value::Array(std::mem::take(&mut b.errors));
    b.entries.push(("errors.json".into(), serde_json::to_vec_pretty(&errors).unwrap_or_default()));

    let now = opts.clock.now();
    let stamp = zip::DateTime::from_date_and_time(
        u16::try_from(now.year()).unwrap_or(1980),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
    )
    .unwrap_or_default();
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(stamp)
        .unix_permissions(0o600);
    let zip_err = |_| Error::internal("Could not build the diagnostics ZIP.");
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut names = Vec::with_capacity(b.entries.len());
    for (name, bytes) in &b.entries {
        w.start_file(name.as_str(), options).map_err(zip_err)?;
        w.write_all(bytes).map_err(Error::from)?;
        names.push(name.clone());
    }
    let bytes = w.finish().map_err(zip_err)?.into_inner();
    Ok((bytes, names, failed))
}

/// Writes the diagnostics ZIP to `file` (mode 0600). An existing file is only replaced with
/// `force`, and then atomically.
pub fn export_diagnostics(
    opts: &OpenOptions,
    file: &Path,
    force: bool,
    extra_versions: &[(&str, &str)],
) -> Result<DiagnosticsReport> {
    let exists = || {
        Error::new(ErrorCode::FileExists, "The diagnostics file already exists.")
            .hint("Choose another file name, or pass --force to overwrite it.")
            .with("path", file.display())
    };
    if file.is_dir() {
        return Err(Error::new(ErrorCode::FileIo, "The diagnostics file name is a folder.")
            .hint("Give a file name such as diagnostics.zip.")
            .with("path", file.display()));
    }
    if file.exists() && !force {
        return Err(exists());
    }
    let (bytes, entries, failed_parts) = build_diagnostics(opts, extra_versions)?;
    if force {
        write_replace_private(file, &bytes)?;
    } else {
        write_new_private(file, &bytes).map_err(|e| if e.code() == ErrorCode::FileExists { exists() } else { e })?;
    }
    Ok(DiagnosticsReport { file: file.display().to_string(), bytes: bytes.len() as u64, entries, failed_parts })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_masks_secret_keys_and_connection_strings() {
        let v = redact(json!({
            "Password": "p1",
            "HasPassword": true,
            "Nested": [{"RecoveryKey": "k1", "Name": "x"}],
            "ConnectionString": "Server=db;Password=p2;Database=ams",
            "Note": "see mssql://sa:p3@db/ams",
        }));
        let s = v.to_string();
        for secret in ["p1", "k1", "p2", "p3"] {
            assert!(!s.contains(&format!("\"{secret}")) && !s.contains(&format!("={secret}")), "{secret} in {s}");
        }
        assert_eq!(v["HasPassword"], true);
        assert_eq!(v["Nested"][0]["Name"], "x");
        assert_eq!(v["ConnectionString"], "Server=db;Password=***;Database=ams");
    }

    #[test]
    fn tail_keeps_whole_lines_and_masks() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.log");
        std::fs::write(&p, "first line\nsecond pwd=hunter2 line\nthird\n").unwrap();
        let t = tail(&p, 30).unwrap();
        assert!(!t.contains("first"), "{t}");
        assert!(t.contains("third"));
        let all = tail(&p, 1000).unwrap();
        assert!(all.starts_with("first line\n") && all.contains("pwd=***") && !all.contains("hunter2"), "{all}");
    }
}
