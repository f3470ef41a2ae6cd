//! Parity between the verbs of `ams commands --json` and the PowerShell module in `ps-module/`.
//!
//! Checks, without PowerShell:
//! - every verb that maps to one of the 43 cmdlets has exactly one exported function of that name;
//! - every exported function maps back to a verb: a cmdlet by the naming rule, or a module addition
//!   named in `ps-module/parity.json`; the verbs the module uses internally (`batch`) exist;
//! - `FunctionsToExport` lists exactly the files in `Public/`, each file defines one function named
//!   like the file;
//! - each verb flag is a parameter of its function (kebab-case to PascalCase), and each parameter is
//!   a flag unless `parity.json` lists it as module-only; switches are switches, repeated flags are
//!   arrays.
//!
//! The cmdlets of the 43 that have no function yet are printed, not failed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// One flag of a verb, as `ams commands --json` describes it.
#[derive(Debug)]
struct Flag {
    name: String,
    kind: String,
    multiple: bool,
    /// `--enabled [BOOL]`: a bare flag means true, so a PowerShell [switch] may feed it.
    optional_value: bool,
}

/// Verb path -> (cmdlet, flags).
fn catalogue() -> BTreeMap<String, (Option<String>, Vec<Flag>)> {
    let out = Command::new(env!("CARGO_BIN_EXE_ams"))
        .args(["commands", "--json"])
        .env_remove("AMS_DATA_DIR")
        .output()
        .expect("run ams commands --json");
    assert!(out.status.success(), "ams commands --json failed: {}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("ams commands --json prints JSON");
    let mut verbs = BTreeMap::new();
    for c in doc["commands"].as_array().expect("a commands array") {
        let verb = c["verb"].as_str().expect("verb").to_string();
        let cmdlet = c["cmdlet"].as_str().map(str::to_string);
        let flags = c["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .map(|p| Flag {
                name: p["name"].as_str().expect("name").to_string(),
                kind: p["type"].as_str().unwrap_or("string").to_string(),
                multiple: p["multiple"].as_bool().unwrap_or(false),
                optional_value: p["optionalValue"].as_bool().unwrap_or(false),
            })
            .collect();
        verbs.insert(verb, (cmdlet, flags));
    }
    verbs
}

/// The 43 cmdlet names, read from the project's own list in `ams-cli/src/cmdlets.rs`.
fn upstream_cmdlets() -> Vec<String> {
    let text = read(&repo().join("ams-cli/src/cmdlets.rs"));
    let start = text.find("pub const CMDLETS").expect("CMDLETS in cmdlets.rs");
    let body = &text[start..];
    let body = &body[body.find('[').expect("[")..body.find("];").expect("];")];
    let names: Vec<String> = body.split('"').skip(1).step_by(2).map(str::to_string).collect();
    assert_eq!(names.len(), 43, "cmdlets.rs should list 43 cmdlets");
    names
}

/// `<Verb>-Ams<Noun>` -> `<noun-kebab> <verb-lower>` (the rule of cmdlets.rs).
fn verb_for(cmdlet: &str) -> Option<String> {
    let (verb, rest) = cmdlet.split_once('-')?;
    let noun = rest.strip_prefix("Ams")?;
    let mut kebab = String::new();
    for (i, ch) in noun.chars().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 {
            kebab.push('-');
        }
        kebab.push(ch.to_ascii_lowercase());
    }
    Some(format!("{kebab} {}", verb.to_ascii_lowercase()))
}

/// `--authority-device-id` -> `AuthorityDeviceId`.
fn pascal(flag: &str) -> String {
    flag.trim_start_matches("--")
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

/// PowerShell source with comments removed and string contents blanked (quotes kept), so that
/// brackets and `$` inside them do not count.
fn code_only(src: &str) -> String {
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '<' && next == Some('#') {
            // Block comment (comment-based help).
            i += 2;
            while i < chars.len() && !(chars[i] == '#' && chars.get(i + 1) == Some(&'>')) {
                if chars[i] == '\n' {
                    out.push('\n');
                }
                i += 1;
            }
            i += 2;
        } else if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '@' && (next == Some('\'') || next == Some('"')) && chars.get(i + 2) == Some(&'\n') {
            // Here-string: ends at a line starting with the quote and '@'.
            let q = next.unwrap_or('"');
            out.push_str("''");
            i += 3;
            while i < chars.len()
                && !(chars[i] == '\n' && chars.get(i + 1) == Some(&q) && chars.get(i + 2) == Some(&'@'))
            {
                i += 1;
            }
            i += 3;
        } else if c == '\'' {
            out.push_str("''");
            i += 1;
            while i < chars.len() {
                if chars[i] == '\'' && chars.get(i + 1) == Some(&'\'') {
                    i += 2;
                } else if chars[i] == '\'' {
                    i += 1;
                    break;
                } else {
                    i += 1;
                }
            }
        } else if c == '"' {
            out.push_str("\"\"");
            i += 1;
            while i < chars.len() {
                if chars[i] == '`' {
                    i += 2;
                } else if chars[i] == '"' {
                    i += 1;
                    break;
                } else {
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// What the checks need from one `Public/*.ps1` file.
#[derive(Debug)]
struct PsFunction {
    names: Vec<String>,
    /// Parameter name -> type text (`switch`, `string`, `object[]`, ...; empty when untyped).
    params: BTreeMap<String, String>,
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn parse_function(src: &str) -> PsFunction {
    let code = code_only(src);
    let lower = code.to_ascii_lowercase();
    let chars: Vec<char> = code.chars().collect();

    // Function definitions.
    let mut names = Vec::new();
    let mut from = 0;
    while let Some(pos) = lower[from..].find("function ") {
        let at = from + pos;
        let before_ok = at == 0 || !is_ident(lower[..at].chars().last().unwrap_or(' '));
        if before_ok {
            let name: String =
                code[at + "function ".len()..].trim_start().chars().take_while(|c| is_ident(*c)).collect();
            names.push(name);
        }
        from = at + 1;
    }

    // The first param( block.
    let mut params = BTreeMap::new();
    let mut search = 0;
    let open = loop {
        let Some(pos) = lower[search..].find("param") else { break None };
        let at = search + pos;
        let before_ok = at == 0 || !is_ident(lower[..at].chars().last().unwrap_or(' '));
        let after = lower[at + 5..].trim_start();
        if before_ok && after.starts_with('(') {
            break Some(at + 5 + (lower[at + 5..].len() - after.len()));
        }
        search = at + 5;
    };
    let Some(open) = open else { return PsFunction { names, params } };
    // `open` is a byte offset; the code is ASCII in practice, but map to chars to be safe.
    let open_char = code[..open].chars().count();
    let mut depth = 0usize;
    let mut i = open_char;
    let mut last_type = String::new();
    let mut prev_sig = ' ';
    while i < chars.len() {
        let c = chars[i];
        match c {
            '(' | '{' => depth += 1,
            '[' => {
                if depth == 1 {
                    // A bracket group at the top of the param block: an attribute or the type.
                    let mut d = 0usize;
                    let mut j = i;
                    while j < chars.len() {
                        match chars[j] {
                            '[' | '(' | '{' => d += 1,
                            ']' | ')' | '}' => {
                                d -= 1;
                                if d == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        }
                        j += 1;
                    }
                    last_type = chars[i + 1..j].iter().collect::<String>().trim().to_ascii_lowercase();
                    i = j + 1;
                    prev_sig = ']';
                    continue;
                }
                depth += 1;
            }
            ')' | '}' | ']' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            '$' if depth == 1 && matches!(prev_sig, ']' | ',' | '(') => {
                let name: String =
                    chars[i + 1..].iter().take_while(|c| c.is_ascii_alphanumeric() || **c == '_').collect();
                let ty = if prev_sig == ']' && !last_type.contains('(') { last_type.clone() } else { String::new() };
                params.insert(name.clone(), ty);
                i += 1 + name.len();
                prev_sig = 'v';
                continue;
            }
            _ => {}
        }
        if !c.is_whitespace() {
            prev_sig = c;
        }
        i += 1;
    }
    PsFunction { names, params }
}

/// The quoted names in `FunctionsToExport = @( ... )` of the manifest.
fn functions_to_export(psd1: &str) -> Vec<String> {
    let code = psd1.lines().map(|l| l.split('#').next().unwrap_or("")).collect::<Vec<_>>().join("\n");
    let start = code.find("FunctionsToExport").expect("FunctionsToExport in the manifest");
    let rest = &code[start..];
    let open = rest.find('(').expect("FunctionsToExport = @(");
    let close = rest[open..].find(')').expect("closing )") + open;
    rest[open + 1..close]
        .split(['\'', '"'])
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .filter(|s| !s.trim().is_empty())
        .collect()
}

#[test]
fn code_only_and_param_parsing() {
    let src = r#"function Get-AmsThing {
    <# .SYNOPSIS
    A $Fake parameter in help. #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, ParameterSetName = 'A(b')]
        [ValidateScript({ $_ -ne 'x' })]
        [string] $Name,
        # $Commented
        [object[]] $Devices = @('a'),
        [switch] $Force,
        $Untyped
    )
    $Local = "$Name ( [ "
}"#;
    let f = parse_function(src);
    assert_eq!(f.names, vec!["Get-AmsThing"]);
    let got: Vec<(&str, &str)> = f.params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(got, vec![("Devices", "object[]"), ("Force", "switch"), ("Name", "string"), ("Untyped", "")]);
    assert_eq!(pascal("--authority-device-id"), "AuthorityDeviceId");
    assert_eq!(verb_for("Get-AmsGroupMembers").as_deref(), Some("group-members get"));
    assert_eq!(functions_to_export("@{ FunctionsToExport = @(\n 'A-B' # c\n \"C-D\"\n) }"), vec!["A-B", "C-D"]);
}

#[test]
fn powershell_module_matches_ams_commands() {
    let root = repo().join("ps-module");
    let module = root.join("AccessManager");
    let parity: Value = serde_json::from_str(&read(&root.join("parity.json"))).expect("parity.json is JSON");
    let additions: BTreeMap<String, String> = parity["additions"]
        .as_object()
        .expect("additions")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().expect("verb").to_string()))
        .collect();
    let strings = |v: &Value| -> BTreeSet<String> {
        v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect()).unwrap_or_default()
    };
    let common_only = strings(&parity["commonModuleOnlyParameters"]);
    let internal_verbs = strings(&parity["internalVerbs"]);
    let module_only: BTreeMap<String, BTreeSet<String>> = parity["moduleOnlyParameters"]
        .as_object()
        .expect("moduleOnlyParameters")
        .iter()
        .map(|(k, v)| (k.clone(), strings(v)))
        .collect();
    // Function -> boolean-valued flag -> the upstream switches that feed it.
    let switch_settings: BTreeMap<String, BTreeMap<String, Vec<String>>> = parity["switchSettings"]
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(f, m)| {
                    let flags = m
                        .as_object()
                        .expect("switchSettings entries are objects")
                        .iter()
                        .map(|(flag, ps)| (flag.clone(), strings(ps).into_iter().collect()))
                        .collect();
                    (f.clone(), flags)
                })
                .collect()
        })
        .unwrap_or_default();

    let verbs = catalogue();
    let cmdlets = upstream_cmdlets();
    let exported = functions_to_export(&read(&module.join("AccessManager.psd1")));
    let mut problems: Vec<String> = Vec::new();

    // FunctionsToExport <-> Public/*.ps1, one function per file, named like the file.
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(module.join("Public")).expect("Public/") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("ps1") {
            continue;
        }
        let stem = path.file_stem().and_then(|s| s.to_str()).expect("file name").to_string();
        let f = parse_function(&read(&path));
        if f.names != [stem.clone()] {
            problems.push(format!("Public/{stem}.ps1 should define exactly one function, {stem}; found {:?}", f.names));
        }
        files.insert(stem, f);
    }
    let mut seen = BTreeSet::new();
    for name in &exported {
        if !seen.insert(name.clone()) {
            problems.push(format!("{name} is listed twice in FunctionsToExport"));
        }
        if !files.contains_key(name) {
            problems.push(format!("{name} is exported but Public/{name}.ps1 does not exist"));
        }
    }
    for stem in files.keys() {
        if !seen.contains(stem) {
            problems.push(format!("Public/{stem}.ps1 is not listed in FunctionsToExport"));
        }
    }

    // Every verb that maps to a cmdlet has exactly one exported function of that name.
    for (verb, (cmdlet, _)) in &verbs {
        if let Some(c) = cmdlet {
            let n = exported.iter().filter(|e| *e == c).count();
            if n != 1 {
                problems.push(format!("verb `{verb}` maps to {c}, which is exported {n} times (want 1)"));
            }
        }
    }

    // Every exported function maps back to a verb, and the parameters match the flags.
    let mut missing_verbs = Vec::new();
    for name in &exported {
        let verb = if cmdlets.contains(name) {
            let v = verb_for(name).expect("cmdlet name shape");
            match verbs.get(&v) {
                Some((Some(c), _)) if c == name => {}
                Some((c, _)) => problems.push(format!("verb `{v}` should name cmdlet {name}, but names {c:?}")),
                None => {}
            }
            v
        } else if let Some(v) = additions.get(name) {
            v.clone()
        } else {
            problems.push(format!("{name} is neither one of the 43 cmdlets nor a module addition in parity.json"));
            continue;
        };
        let Some((_, flags)) = verbs.get(&verb) else {
            missing_verbs.push(format!("{verb} ({name})"));
            continue;
        };
        let Some(f) = files.get(name) else { continue };
        let only: BTreeSet<String> =
            common_only.iter().chain(module_only.get(name).into_iter().flatten()).cloned().collect();
        let fed = switch_settings.get(name).cloned().unwrap_or_default();
        let fed_params: BTreeSet<String> = fed.values().flatten().cloned().collect();
        for flag in flags {
            let p = pascal(&flag.name);
            if let Some(switches) = fed.get(&flag.name) {
                if flag.kind != "bool" {
                    problems.push(format!(
                        "{name}: parity.json feeds {} from switches, but it is not a boolean flag",
                        flag.name
                    ));
                }
                for sw in switches {
                    match f.params.get(sw) {
                        Some(ty) if ty == "switch" => {}
                        _ => problems.push(format!("{name}: -{sw} (feeding {}) should be a [switch]", flag.name)),
                    }
                }
                continue;
            }
            // PowerShell parameter names are case-insensitive (-ComputerOU is --computer-ou).
            match f.params.iter().find(|(k, _)| k.eq_ignore_ascii_case(&p)).map(|(_, v)| v) {
                None => problems.push(format!("{name}: flag {} of `{verb}` has no parameter -{p}", flag.name)),
                Some(ty) => {
                    if flag.kind == "switch" && ty != "switch" {
                        problems.push(format!("{name}: -{p} should be a [switch] (flag {} is a switch)", flag.name));
                    }
                    if flag.kind != "switch" && ty == "switch" && !(flag.kind == "bool" && flag.optional_value) {
                        problems.push(format!("{name}: -{p} is a [switch] but flag {} takes a value", flag.name));
                    }
                    if flag.multiple && !ty.ends_with("[]") {
                        problems.push(format!("{name}: -{p} should be an array (flag {} repeats)", flag.name));
                    }
                }
            }
            if only.contains(&p) {
                problems.push(format!(
                    "{name}: -{p} is listed as module-only in parity.json but `{verb}` has {}",
                    flag.name
                ));
            }
        }
        let flag_params: BTreeSet<String> = flags.iter().map(|fl| pascal(&fl.name).to_ascii_lowercase()).collect();
        for p in f.params.keys() {
            if !flag_params.contains(&p.to_ascii_lowercase()) && !only.contains(p) && !fed_params.contains(p) {
                problems.push(format!(
                    "{name}: parameter -{p} has no flag in `{verb}` and is not module-only in parity.json"
                ));
            }
        }
        for p in module_only.get(name).into_iter().flatten() {
            if !f.params.contains_key(p) {
                problems.push(format!("{name}: parity.json lists module-only -{p}, which the function does not have"));
            }
        }
    }
    for v in &internal_verbs {
        if !verbs.contains_key(v) {
            missing_verbs.push(format!("{v} (used by the module for pipelines)"));
        }
    }
    for v in &missing_verbs {
        problems.push(format!("`ams commands --json` has no verb {v}"));
    }

    // Information only: the cmdlets of the 43 not implemented yet, and verbs without a function.
    let missing: Vec<&String> = cmdlets.iter().filter(|c| !exported.contains(c)).collect();
    println!(
        "ps-parity: {} of 43 cmdlets implemented; cmdlets without a function ({}):",
        43 - missing.len(),
        missing.len()
    );
    for c in &missing {
        println!("  {c}  (ams {})", verb_for(c).unwrap_or_default());
    }
    let covered: BTreeSet<String> = exported
        .iter()
        .filter_map(|e| if cmdlets.contains(e) { verb_for(e) } else { additions.get(e).cloned() })
        .chain(internal_verbs.iter().cloned())
        .collect();
    let uncovered: Vec<&String> = verbs.keys().filter(|v| !covered.contains(*v) && *v != "commands").collect();
    if !uncovered.is_empty() {
        println!("ps-parity: verbs with no PowerShell function (not required): {uncovered:?}");
    }

    assert!(problems.is_empty(), "PowerShell module and ams disagree:\n  {}", problems.join("\n  "));
}
