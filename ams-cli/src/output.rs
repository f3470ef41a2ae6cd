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

/// Prints a result. A closed stdout (e.g. `| head`) is not an error.
pub fn print_success(value: &Value, format: Format) -> ExitCode {
    let text = match format {
        Format::Json => match serde_json::to_string_pretty(value) {
            Ok(s) => s + "\n",
            Err(_) => return print_error(&Error::internal("Could not serialise the result."), format),
        },
        Format::Text => render_text(value),
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

/// Text rendering: a list of objects becomes a table, an object becomes `Key : value` lines.
pub fn render_text(value: &Value) -> String {
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
    }
}
