//! `ams batch`: many requests in one process, for pipelines (the PowerShell module batches piped
//! objects through it). One NDJSON request per stdin line:
//! `{"verb":"device set","parameters":{"Id":"…","Approve":true}}`; one NDJSON result per line on
//! stdout: `{"index":0,"ok":true,"result":…}` or `{"index":0,"ok":false,"error":{…}}`.

use std::io::{BufRead, Write};

use ams_core::{Error, ErrorCode, Result};
use serde_json::{Value, json};

use ams_core::service::secrets::{SecretRead, SecretReadResult};

use super::{Ctx, to_json};
use crate::cli::{Command, Parsed, parse_quiet};
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

/// `ComputerName` -> `computer-name`, `ComputerOU` -> `computer-ou`: a hyphen goes before an
/// upper-case letter that follows a lower-case letter or a digit (the module's rule too,
/// ConvertTo-AmsFlagName).
pub fn kebab(name: &str) -> String {
    let mut out = String::new();
    let mut prev: Option<char> = None;
    for ch in name.chars() {
        if ch.is_ascii_uppercase() && prev.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit()) {
            out.push('-');
        }
        out.push(ch.to_ascii_lowercase());
        prev = Some(ch);
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
    let words: Vec<String> = verb.split_whitespace().map(str::to_string).collect();
    argv.extend(words.iter().cloned());
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
        let switch = is_switch(&words, &kebab(&k));
        let mut push = |v: &Value| -> Result<()> {
            match v {
                // A switch (`--force`) is present or absent; a boolean-valued flag
                // (`--enabled <BOOL>`) gets its value, so that `false` reaches the verb too.
                Value::Bool(true) if switch => argv.push(flag.clone()),
                Value::Bool(false) if switch => {}
                Value::Bool(b) => {
                    argv.push(flag.clone());
                    argv.push(b.to_string());
                }
                Value::Null => {}
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

/// Whether `--<long>` of the verb named by `words` is a switch that takes no value. Unknown verbs
/// and flags count as valued: clap then reports them with its own message.
fn is_switch(words: &[String], long: &str) -> bool {
    use clap::CommandFactory;
    static TREE: std::sync::OnceLock<clap::Command> = std::sync::OnceLock::new();
    let mut cmd = TREE.get_or_init(crate::cli::Cli::command);
    for w in words {
        match cmd.find_subcommand(w) {
            Some(sub) => cmd = sub,
            None => return false,
        }
    }
    cmd.get_arguments()
        .find(|a| a.get_long() == Some(long))
        .is_some_and(|a| matches!(a.get_action(), clap::ArgAction::SetTrue | clap::ArgAction::SetFalse))
}

/// How many secret reads go to the core at once: enough to keep every core busy, few enough that
/// a long pipeline's first results appear soon and memory stays bounded.
const READ_GROUP: usize = 256;

/// A request that reads secrets, and how its result is shaped on the wire.
struct PendingRead {
    index: usize,
    read: SecretRead,
    /// `--all-providers`: the password comes back as a list (of one, in this build).
    as_list: bool,
}

/// The secret read a parsed request asks for, if it is one.
fn secret_read(p: &Parsed) -> Option<(SecretRead, bool)> {
    use super::secrets::{FveRecoveryKeyCommand, LocalAdminPasswordCommand, PasswordHistoryCommand};
    match &p.command {
        Command::LocalAdminPassword(LocalAdminPasswordCommand::Get(a)) => {
            Some((SecretRead::Password(a.device.selector().ok()?), a.all_providers))
        }
        Command::LocalAdminPasswordHistory(PasswordHistoryCommand::Get(a)) => {
            Some((SecretRead::PasswordHistory(a.device.selector().ok()?), false))
        }
        Command::FveRecoveryKey(FveRecoveryKeyCommand::Get(a)) => {
            Some((SecretRead::BitLocker(a.device.selector().ok()?), false))
        }
        _ => None,
    }
}

fn read_result_json(result: SecretReadResult, as_list: bool) -> Result<Value> {
    match result {
        SecretReadResult::Password(p) if as_list => to_json(&[p]),
        SecretReadResult::Password(p) => to_json(&p),
        SecretReadResult::PasswordHistory(h) => to_json(&h),
        SecretReadResult::BitLocker(k) => to_json(&k),
    }
}

/// Writes one result line; `false` when stdout is closed (the reader went away).
fn emit(out: &mut impl Write, index: usize, outcome: Result<Value>, first_failure: &mut Option<Error>) -> Result<bool> {
    let doc = match outcome {
        Ok(result) => json!({"index": index, "ok": true, "result": result}),
        Err(e) => {
            let mut d = error_document(&e);
            let err = d["error"].take();
            if first_failure.is_none() {
                *first_failure = Some(e);
            }
            json!({"index": index, "ok": false, "error": err})
        }
    };
    let mut text = doc.to_string();
    text.push('\n');
    match out.write_all(text.as_bytes()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(Error::from(e)),
    }
}

/// Runs the pending secret reads as one group (parallel private-key operations, one audit commit)
/// and prints their results in request order.
fn flush_reads(
    ctx: &Ctx,
    pending: &mut Vec<PendingRead>,
    out: &mut impl Write,
    first_failure: &mut Option<Error>,
) -> Result<bool> {
    if pending.is_empty() {
        return Ok(true);
    }
    let group: Vec<PendingRead> = std::mem::take(pending);
    let reads: Vec<SecretRead> = group.iter().map(|p| p.read.clone()).collect();
    let results = ctx.open().and_then(|ams| {
        let keyring = ams.unlock()?;
        ams.read_secrets(&keyring, &reads)
    });
    match results {
        Ok(results) => {
            for (p, r) in group.into_iter().zip(results) {
                if !emit(out, p.index, r.and_then(|r| read_result_json(r, p.as_list)), first_failure)? {
                    return Ok(false);
                }
            }
        }
        Err(e) => {
            // Nothing was read: every request of the group fails with the same error.
            for p in &group {
                let again =
                    Error::new(e.code(), e.message().to_string()).hint(e.hint_text().unwrap_or_default().to_string());
                if !emit(out, p.index, Err(again), first_failure)? {
                    return Ok(false);
                }
            }
        }
    }
    Ok(true)
}

pub fn run(ctx: &Ctx) -> Result<Value> {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    let mut first_failure: Option<Error> = None;
    let mut pending: Vec<PendingRead> = Vec::new();
    for (index, line) in stdin.lock().lines().enumerate() {
        let line = line.map_err(Error::from)?;
        if line.trim().is_empty() {
            continue;
        }
        let parsed = serde_json::from_str::<Value>(&line)
            .map_err(|_| Error::new(ErrorCode::InvalidRequest, "A batch line is not valid JSON."))
            .and_then(|req| request_argv(&req, ctx.data_dir.as_deref()))
            .and_then(|(_, argv)| parse_quiet(&argv));
        // Secret reads wait for their group; anything else first lets the group run, so that the
        // results keep the order of the requests.
        if let Ok(p) = &parsed
            && let Some((read, as_list)) = secret_read(p)
        {
            pending.push(PendingRead { index, read, as_list });
            if pending.len() >= READ_GROUP && !flush_reads(ctx, &mut pending, &mut out, &mut first_failure)? {
                return Ok(Value::Null);
            }
            continue;
        }
        if !flush_reads(ctx, &mut pending, &mut out, &mut first_failure)? {
            return Ok(Value::Null);
        }
        let outcome = parsed.and_then(|p| {
            if matches!(p.command, Command::Batch) {
                return Err(Error::new(ErrorCode::InvalidRequest, "Batches cannot nest."));
            }
            super::run(p)
        });
        if !emit(&mut out, index, outcome, &mut first_failure)? {
            return Ok(Value::Null);
        }
    }
    if !flush_reads(ctx, &mut pending, &mut out, &mut first_failure)? {
        return Ok(Value::Null);
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

    /// Every flag of every verb can be named in a batch: its PascalCase name (as the module
    /// writes it) turns back into the flag.
    #[test]
    fn every_flag_survives_the_pascal_case_round_trip() {
        fn walk(cmd: &clap::Command, bad: &mut Vec<String>) {
            for a in cmd.get_arguments() {
                if let Some(long) = a.get_long() {
                    let pascal: String = long
                        .split('-')
                        .map(|w| {
                            let mut c = w.chars();
                            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
                        })
                        .collect();
                    if kebab(&pascal) != long {
                        bad.push(format!("{} --{long} -> {pascal} -> --{}", cmd.get_name(), kebab(&pascal)));
                    }
                }
            }
            for s in cmd.get_subcommands() {
                walk(s, bad);
            }
        }
        use clap::CommandFactory;
        let mut bad = Vec::new();
        walk(&crate::cli::Cli::command(), &mut bad);
        assert!(bad.is_empty(), "{bad:#?}");
        // The module's spelling of the OU flags (ComputerOU, GroupOU) maps the same way.
        assert_eq!(kebab("GroupOU"), "group-ou");
    }

    #[test]
    fn requests_become_argv() {
        let (verb, argv) = request_argv(
            &json!({"verb":"group-member add","parameters":{"Id":"g","Devices":["a","b"],"Limit":3}}),
            None,
        )
        .unwrap();
        assert_eq!(verb, "group-member add");
        assert_eq!(
            argv,
            ["ams", "group-member", "add", "--id", "g", "--devices", "a", "--devices", "b", "--limit", "3"]
        );
        assert!(request_argv(&json!({"verb":"key rotate"}), None).is_err());
        assert_eq!(kebab("ComputerOU"), "computer-ou");
        assert_eq!(kebab("AadTenantId"), "aad-tenant-id");
        assert_eq!(kebab("UnixGidStartRange"), "unix-gid-start-range");
        // Boolean-valued flags get their value either way; switches are present or absent.
        let (_, argv) = request_argv(
            &json!({"verb":"role-authorization-rule set","parameters":{"Id":"r","Enabled":false,"AllowExtension":true}}),
            None,
        )
        .unwrap();
        assert_eq!(
            argv,
            ["ams", "role-authorization-rule", "set", "--id", "r", "--enabled", "false", "--allow-extension", "true"]
        );
        let (_, argv) = request_argv(
            &json!({"verb":"device remove","parameters":{"Id":"d","Force":true}}),
            Some(std::path::Path::new("/x")),
        )
        .unwrap();
        assert_eq!(argv, ["ams", "--data-dir", "/x", "device", "remove", "--id", "d", "--force"]);
        assert!(request_argv(&json!({"verb":"device get","parameters":{"Bad-Name":1}}), None).is_err());
        assert!(request_argv(&json!({"verb":"device get","parameters":{"DataDir":"x"}}), None).is_err());
    }
}
