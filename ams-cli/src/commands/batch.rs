//! `ams batch`: many requests in one process, for pipelines (the PowerShell module batches piped
//! objects through it). One NDJSON request per stdin line:
//! `{"verb":"device set","parameters":{"Id":"…","Approve":true}}`; one NDJSON result per line on
//! stdout: `{"index":0,"ok":true,"result":…}` or `{"index":0,"ok":false,"error":{…}}`.

use std::io::{BufRead, Write};

use ams_core::{Error, ErrorCode, Result};
use serde_json::{Value, json};

use super::Ctx;
use crate::cli::{Command, parse_quiet};
use crate::output::error_document;

/// Verbs that read stdin themselves cannot run inside a batch.
const STDIN_VERBS: &[&str] = &[
    "init",
    "batch",
    "key recover",
    "key rotate",
    "key recovery-password set",
    "agent register",
    "agent submit-bitlocker-key",
    "cert export",
    "cert import",
    "host-config set",
];

/// `ComputerName` -> `computer-name`.
pub fn kebab(name: &str) -> String {
    let mut out = String::new();
    for (i, ch) in name.chars().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(ch.to_ascii_lowercase());
    }
    out
}

/// Turns one request into argv.
pub fn request_argv(req: &Value, data_dir: Option<&std::path::Path>) -> Result<(String, Vec<String>)> {
    let bad = |m: &str| Error::new(ErrorCode::InvalidRequest, m.to_string());
    let verb = req
        .get("verb")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("A batch request needs a \"verb\" string."))?
        .trim()
        .to_string();
    if STDIN_VERBS.contains(&verb.as_str()) {
        return Err(bad("That verb reads stdin and cannot run inside a batch."));
    }
    let mut argv = vec!["ams".to_string()];
    if let Some(d) = data_dir {
        argv.push("--data-dir".into());
        argv.push(d.display().to_string());
    }
    argv.extend(verb.split_whitespace().map(str::to_string));
    let params = match req.get("parameters") {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(bad("\"parameters\" must be an object.")),
    };
    for (k, v) in params {
        if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(bad("Parameter names must be letters and digits (PascalCase)."));
        }
        let flag = format!("--{}", kebab(&k));
        if matches!(flag.as_str(), "--data-dir" | "--output") {
            return Err(bad("Global flags cannot be set per request."));
        }
        let mut push = |v: &Value| -> Result<()> {
            match v {
                Value::Bool(true) => argv.push(flag.clone()),
                Value::Bool(false) | Value::Null => {}
                Value::String(s) => {
                    argv.push(flag.clone());
                    argv.push(s.clone());
                }
                Value::Number(n) => {
                    argv.push(flag.clone());
                    argv.push(n.to_string());
                }
                _ => return Err(bad("Parameter values must be strings, numbers, booleans or arrays of those.")),
            }
            Ok(())
        };
        match &v {
            Value::Array(items) => {
                for it in items {
                    push(it)?;
                }
            }
            other => push(other)?,
        }
    }
    Ok((verb, argv))
}

pub fn run(ctx: &Ctx) -> Result<Value> {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    let mut first_failure: Option<Error> = None;
    for (index, line) in stdin.lock().lines().enumerate() {
        let line = line.map_err(Error::from)?;
        if line.trim().is_empty() {
            continue;
        }
        let outcome = serde_json::from_str::<Value>(&line)
            .map_err(|_| Error::new(ErrorCode::InvalidRequest, "A batch line is not valid JSON."))
            .and_then(|req| request_argv(&req, ctx.data_dir.as_deref()))
            .and_then(|(_, argv)| parse_quiet(&argv))
            .and_then(|p| {
                if matches!(p.command, Command::Batch) {
                    return Err(Error::new(ErrorCode::InvalidRequest, "Batches cannot nest."));
                }
                super::run(p)
            });
        let doc = match outcome {
            Ok(result) => json!({"index": index, "ok": true, "result": result}),
            Err(e) => {
                let mut d = error_document(&e);
                let err = d["error"].take();
                if first_failure.is_none() {
                    first_failure = Some(e);
                }
                json!({"index": index, "ok": false, "error": err})
            }
        };
        let mut text = doc.to_string();
        text.push('\n');
        if let Err(e) = out.write_all(text.as_bytes()) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(Value::Null);
            }
            return Err(Error::from(e));
        }
    }
    let _ = out.flush();
    match first_failure {
        // The per-line results are already printed; the exit code tells the first failure.
        Some(e) => Err(Error::new(e.code(), "At least one batch request failed; see the per-line results.")),
        None => Ok(Value::Null),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_become_argv() {
        let (verb, argv) = request_argv(
            &json!({"verb":"group-member add","parameters":{"Id":"g","Devices":["a","b"],"Force":false,"Limit":3}}),
            None,
        )
        .unwrap();
        assert_eq!(verb, "group-member add");
        assert_eq!(
            argv,
            ["ams", "group-member", "add", "--id", "g", "--devices", "a", "--devices", "b", "--limit", "3"]
        );
        assert!(request_argv(&json!({"verb":"key rotate"}), None).is_err());
        assert!(request_argv(&json!({"verb":"device get","parameters":{"Bad-Name":1}}), None).is_err());
        assert!(request_argv(&json!({"verb":"device get","parameters":{"DataDir":"x"}}), None).is_err());
    }
}
