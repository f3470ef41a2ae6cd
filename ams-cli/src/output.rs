//! Rendering results (JSON or text on stdout) and errors (JSON or text on stderr).

use std::io::Write;
use std::process::ExitCode;

use ams_core::Error;
use serde_json::Value;

/// Output format chosen with `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON document.
    Json,
    /// Text for people.
    Text,
}

/// Prints a result of `verb` (`device get`). A closed stdout (e.g. `| head`) is not an error.
pub fn print_success(value: &Value, format: Format, verb: &str) -> ExitCode {
    let text = match format {
        Format::Json => match serde_json::to_string_pretty(value) {
            Ok(s) => s + "\n",
            Err(_) => return print_error(&Error::internal("Could not serialise the result."), format),
        },
        Format::Text => render_text_view(value, text_columns(verb)),
    };
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(7),
    }
}

/// The JSON error document (the same one the agent server sends).
pub fn error_document(e: &Error) -> Value {
    e.to_document()
}

/// Prints an error to stderr and returns its exit code.
pub fn print_error(e: &Error, format: Format) -> ExitCode {
    let text = match format {
        Format::Json => error_document(e).to_string() + "\n",
        Format::Text => {
            let mut s = format!("error[{}]: {}\n", e.code().as_str(), e.message());
            if let Some(h) = e.hint_text() {
                s.push_str(&format!("hint: {h}\n"));
            }
            s
        }
    };
    let _ = std::io::stderr().write_all(text.as_bytes());
    ExitCode::from(e.kind().exit_code())
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(scalar).collect::<Vec<_>>().join(", "),
        Value::Object(_) => v.to_string(),
        other => other.to_string(),
    }
}

/// The columns a person scans in the `--output text` table of a verb's list, the same ones as
/// the PowerShell module's default views (ps-module/AccessManager/AccessManager.Format.ps1xml;
/// a test keeps the two in step). The other properties stay in `--output json`.
pub fn text_columns(verb: &str) -> Option<&'static [&'static str]> {
    const DEVICE: &[&str] = &["Name", "Id", "AuthorityType", "ApprovalState", "Disabled", "OperatingSystemType"];
    Some(match verb {
        "device get" | "group-members get" => DEVICE,
        "group get" => &["Name", "Id", "Sid", "Description"],
        "device-registration-key get" => {
            &["Name", "Id", "Enabled", "ApprovalRequired", "ActivationCount", "ActivationLimit"]
        }
        "local-admin-password get" | "local-admin-password-history get" => {
            &["ComputerName", "AccountName", "Password", "Created", "Expires", "Retired"]
        }
        "fve-recovery-key get" => &["ComputerName", "KeyId", "VolumeType", "Created", "RecoveryPassword"],
        "cert list" => &["Thumbprint", "Subject", "NotAfter", "KeySize", "State"],
        "idp-claim-mapping get" => &["IdpType", "ClaimName", "ClaimValueType", "DirectoryAttributeName"],
        "computer-authorization-rule get" => &["Id", "DisplayName", "TargetType", "AuthorizationMode", "Disabled"],
        "role-authorization-rule get" => &["Name", "Id", "GroupName", "MaximumAccessDuration", "Disabled"],
        "audit get" => &["Seq", "Time", "Actor", "Event", "Outcome", "TargetType", "TargetId"],
        "jit-scheduler-job get" => &["Id", "JobType", "GroupName", "ComputerName", "DueAt", "State"],
        _ => return None,
    })
}

/// The verb of a command line (`ams --data-dir D device get --id X` -> `device get`): the words
/// after the global flags, up to the first flag.
pub fn verb_of(args: &[std::ffi::OsString]) -> String {
    let mut words = Vec::new();
    let mut it = args.iter().skip(1).map(|a| a.to_string_lossy());
    while let Some(a) = it.next() {
        match a.as_ref() {
            "--data-dir" | "--output" => {
                it.next();
            }
            f if f.starts_with('-') => {
                if !words.is_empty() {
                    break;
                }
            }
            w => words.push(w.to_string()),
        }
    }
    words.join(" ")
}

/// Text rendering: a list of objects becomes a table, an object becomes `Key : value` lines.
pub fn render_text(value: &Value) -> String {
    render_text_view(value, None)
}

/// Text rendering with a chosen set of table columns (those present in the rows); without one,
/// every scalar property is a column.
pub fn render_text_view(value: &Value, columns: Option<&[&str]>) -> String {
    match value {
        Value::Array(items) if items.iter().all(Value::is_object) && !items.is_empty() => {
            let mut cols: Vec<String> = Vec::new();
            for it in items {
                if let Value::Object(m) = it {
                    for (k, v) in m {
                        if !v.is_object() && !cols.contains(k) {
                            cols.push(k.clone());
                        }
                    }
                }
            }
            if let Some(view) = columns {
                let chosen: Vec<String> =
                    view.iter().filter(|c| cols.iter().any(|k| k == *c)).map(|c| (*c).to_string()).collect();
                if !chosen.is_empty() {
                    cols = chosen;
                }
            }
            let cells: Vec<Vec<String>> =
                items.iter().map(|it| cols.iter().map(|c| scalar(&it[c.as_str()])).collect()).collect();
            let widths: Vec<usize> = cols
                .iter()
                .enumerate()
                .map(|(i, c)| cells.iter().map(|r| r[i].chars().count()).chain([c.len()]).max().unwrap_or(0).min(60))
                .collect();
            let mut s = String::new();
            let line = |row: &[String]| {
                row.iter()
                    .zip(&widths)
                    .map(|(c, w)| format!("{:<w$}", c.chars().take(*w).collect::<String>(), w = *w))
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_string()
            };
            s.push_str(&line(&cols));
            s.push('\n');
            s.push_str(&line(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>()));
            s.push('\n');
            for r in &cells {
                s.push_str(&line(r));
                s.push('\n');
            }
            s
        }
        Value::Array(items) => items.iter().map(render_text).collect::<Vec<_>>().join("\n"),
        Value::Object(m) => {
            let w = m.keys().map(String::len).max().unwrap_or(0);
            let mut s = String::new();
            for (k, v) in m {
                match v {
                    Value::Object(_) | Value::Array(_)
                        if !v.as_array().is_some_and(|a| a.iter().all(|x| !x.is_object())) =>
                    {
                        s.push_str(&format!("{k:<w$} :\n"));
                        for l in render_text(v).lines() {
                            s.push_str(&format!("    {l}\n"));
                        }
                    }
                    _ => s.push_str(&format!("{k:<w$} : {}\n", scalar(v))),
                }
            }
            s
        }
        other => scalar(other) + "\n",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_renders_tables_and_records() {
        let t = render_text(&serde_json::json!([{"Name":"a","Id":1},{"Name":"bb","Id":2}]));
        assert!(t.starts_with("Name  Id\n----  --\na     1\nbb    2\n"), "{t}");
        let r = render_text(&serde_json::json!({"A":1,"Long":"x"}));
        assert_eq!(r, "A    : 1\nLong : x\n");
        let v =
            render_text_view(&serde_json::json!([{"Name":"a","Id":1,"Noise":"zzz"}]), Some(&["Id", "Name", "Absent"]));
        assert!(v.starts_with("Id  Name\n"), "{v}");
    }

    #[test]
    fn verbs_are_read_from_the_command_line() {
        let args = |v: &[&str]| v.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert_eq!(
            verb_of(&args(&["ams", "--data-dir", "d", "--output", "text", "device", "get", "--id", "x"])),
            "device get"
        );
        assert_eq!(verb_of(&args(&["ams", "--verbose", "audit", "get"])), "audit get");
    }

    /// The text tables show the same columns as the PowerShell module's default views.
    #[test]
    fn text_columns_match_the_module_views() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../ps-module/AccessManager/AccessManager.Format.ps1xml");
        let xml = std::fs::read_to_string(path).unwrap();
        let view = |name: &str| -> Vec<String> {
            let start = xml.find(&format!("<Name>{name}</Name>")).unwrap_or_else(|| panic!("no view {name}"));
            let body = &xml[start..start + xml[start..].find("</View>").unwrap()];
            body.split("<PropertyName>").skip(1).map(|p| p[..p.find('<').unwrap()].to_string()).collect()
        };
        for (verb, name) in [
            ("device get", "Ams.Device"),
            ("group get", "Ams.Group"),
            ("device-registration-key get", "Ams.RegistrationKey"),
            ("local-admin-password get", "Ams.Password"),
            ("fve-recovery-key get", "Ams.FveRecoveryKey"),
            ("cert list", "Ams.EncryptionCertificate"),
            ("idp-claim-mapping get", "Ams.ClaimMapping"),
        ] {
            assert_eq!(text_columns(verb).unwrap().to_vec(), view(name), "{verb} vs the {name} view");
        }
    }
}
