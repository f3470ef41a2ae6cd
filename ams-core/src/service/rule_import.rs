//! Importing computer rules from a CSV file of (computer, principal) pairs.
//!
//! Column 1 names the computer: an ams device name (`PC1`, `PC1$`, `AUTHORITY\PC1`), which becomes
//! an ams-computer target, or an AD computer SID (`S-1-5-21-…`, optionally `SID=DOMAIN\PC1$`),
//! which becomes an AD-computer target. Column 2 is the principal's SID, optionally with a display
//! name (`SID=DOMAIN\Group`); names alone need a directory and are bad lines. Extra columns are
//! ignored; a first line whose second column is `Principal` is a header. Pairs are consolidated
//! into one rule per target. A dry run (the default) reports what would be created; applying
//! writes everything in one transaction, and writes nothing when any line is bad unless bad lines
//! are skipped.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ams::Ams;
use crate::authz::sid::{looks_like_sid, parse_principal};
use crate::authz::{AccessType, AceKind, TargetType};
use crate::clock::format_time;
use crate::crypto::seal::new_id;
use crate::error::{Error, ErrorCode, Result};
use crate::service::audit::{self, Event};
use crate::service::rules::{
    ComputerRuleSettings, PrincipalInfo, ResolvedTarget, TargetSpec, apply_settings, blank_computer_rule,
    insert_computer_rule_in, resolve_target,
};
use crate::store::{PrincipalTable, ReadTx, RulePrincipalRow};

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Access types granted to every principal (default: LAPS).
    pub access_types: Vec<AccessType>,
    /// Settings for the rules created (durations, description, notes, reason, channels, disabled).
    pub settings: ComputerRuleSettings,
    /// Add principals to an existing ACL rule with the same target instead of creating a rule.
    pub merge: bool,
    /// Write (otherwise a dry run).
    pub apply: bool,
    /// Apply even when some lines are bad, leaving them out.
    pub skip_bad_lines: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            access_types: vec![AccessType::Laps],
            settings: ComputerRuleSettings::default(),
            merge: false,
            apply: false,
            skip_bad_lines: false,
        }
    }
}

/// A line that could not be imported.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BadLine {
    /// Line number in the file (1 = first line).
    pub line: u64,
    /// Column 1 as read.
    pub computer: String,
    /// Column 2 as read.
    pub principal: String,
    /// Error code.
    pub code: String,
    /// What is wrong.
    pub message: String,
}

/// One rule the import creates or adds to.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportedRule {
    /// `Create` or `Merge`.
    pub action: &'static str,
    /// The rule's id (existing rule for a merge; the new id once applied).
    pub rule_id: Option<String>,
    /// Target type.
    pub target_type: TargetType,
    /// Target.
    pub target: String,
    /// Target name.
    pub target_name: Option<String>,
    /// Access types granted.
    pub access_types: Vec<&'static str>,
    /// Principals allowed.
    pub principals: Vec<PrincipalInfo>,
    /// Lines that contributed.
    pub lines: Vec<u64>,
}

/// What an import did, or would do.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportReport {
    /// Written (false for a dry run, or when nothing was written).
    pub applied: bool,
    /// The first line was a header.
    pub header: bool,
    /// Data lines read (blank lines and the header not counted).
    pub lines: usize,
    /// Lines that could not be imported.
    pub bad_lines: Vec<BadLine>,
    /// Rules to create or add to.
    pub rules: Vec<ImportedRule>,
    /// Rules created (or to be created).
    pub rules_created: usize,
    /// Existing rules added to (or to be).
    pub rules_merged: usize,
}

/// Where imported pairs come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ImportSource {
    /// A CSV file.
    Csv,
    /// OU security descriptors read from the directory.
    Directory,
}

impl ImportSource {
    fn audit_name(self) -> &'static str {
        match self {
            ImportSource::Csv => "csv-import",
            ImportSource::Directory => "directory-import",
        }
    }

    fn description(self) -> &'static str {
        match self {
            ImportSource::Csv => "a CSV file",
            ImportSource::Directory => "the directory's LAPS permissions",
        }
    }
}

struct Planned {
    target: ResolvedTarget,
    merge_into: Option<String>,
    principals: Vec<(String, Option<String>)>,
    lines: Vec<u64>,
}

fn bad(line: u64, computer: &str, principal: &str, e: &Error) -> BadLine {
    BadLine {
        line,
        computer: computer.to_string(),
        principal: principal.to_string(),
        code: e.code().as_str().to_string(),
        message: e.message().to_string(),
    }
}

fn resolve_computer(tx: &(impl ReadTx + ?Sized), computer: &str) -> Result<ResolvedTarget> {
    if looks_like_sid(computer) {
        return resolve_target(tx, &TargetSpec::AdComputer(computer.to_string()));
    }
    // An OU or container by DN (what `--from-directory` proposes).
    if computer.contains('=') && crate::authz::engine::dn_components(computer).is_some() {
        return resolve_target(tx, &TargetSpec::AdContainer(computer.to_string()));
    }
    let name = computer.strip_suffix('$').unwrap_or(computer);
    if name.is_empty() {
        return Err(Error::new(ErrorCode::TargetInvalid, "The computer column is empty."));
    }
    match crate::service::devices::resolve(tx, &crate::service::devices::DeviceSelector::ComputerName(name.to_string()))
    {
        Ok(d) => Ok(ResolvedTarget {
            target_type: TargetType::AmsComputer,
            target_id: d.id,
            authority_id: None,
            name: Some(d.name),
        }),
        Err(e) if e.code() == ErrorCode::DeviceNotFound => Err(Error::new(
            ErrorCode::TargetInvalid,
            format!("No ams device is named '{name}'; AD computer names need a directory, so give the computer's SID."),
        )),
        Err(e) => Err(e),
    }
}

/// Reads the CSV and plans the rules (no writes).
fn plan(tx: &(impl ReadTx + ?Sized), csv_bytes: &[u8], opts: &ImportOptions) -> Result<(ImportReport, Vec<Planned>)> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(None)
        .from_reader(csv_bytes);
    let mut report = ImportReport {
        applied: false,
        header: false,
        lines: 0,
        bad_lines: Vec::new(),
        rules: Vec::new(),
        rules_created: 0,
        rules_merged: 0,
    };
    let mut planned: BTreeMap<(String, String, Option<String>), Planned> = BTreeMap::new();
    let mut order: Vec<(String, String, Option<String>)> = Vec::new();
    let mut first = true;
    let mut record = csv::ByteRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(line, |p| p.line());
                let err = Error::invalid(format!("The CSV could not be read: {e}."));
                report.bad_lines.push(bad(line, "", "", &err));
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
                continue;
            }
        }
        let line = record.position().map_or(line, |p| p.line());
        let fields: Vec<String> = record.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
        let is_first = std::mem::replace(&mut first, false);
        if fields.iter().all(|f| f.is_empty()) {
            continue;
        }
        let computer = fields.first().cloned().unwrap_or_default();
        let principal = fields.get(1).cloned().unwrap_or_default();
        if is_first && principal.eq_ignore_ascii_case("principal") && !looks_like_sid(&computer) {
            report.header = true;
            continue;
        }
        report.lines += 1;
        if record.iter().any(|f| std::str::from_utf8(f).is_err()) {
            report.bad_lines.push(bad(line, &computer, &principal, &Error::invalid("The line is not valid UTF-8.")));
            continue;
        }
        if fields.len() < 2 || principal.is_empty() {
            let e = Error::invalid("A line needs two columns: computer, principal.");
            report.bad_lines.push(bad(line, &computer, &principal, &e));
            continue;
        }
        let target = match resolve_computer(tx, &computer) {
            Ok(t) => t,
            Err(e) => {
                report.bad_lines.push(bad(line, &computer, &principal, &e));
                continue;
            }
        };
        let p = match parse_principal(&principal) {
            Ok(p) => p,
            Err(e) => {
                report.bad_lines.push(bad(line, &computer, &principal, &e));
                continue;
            }
        };
        if opts.access_types.contains(&AccessType::Jit) && !target.target_type.is_active_directory() {
            let e = Error::new(
                ErrorCode::SettingNotApplicable,
                "JIT access applies only to AD computers; this line names an ams device.",
            );
            report.bad_lines.push(bad(line, &computer, &principal, &e));
            continue;
        }
        let key = (
            target.target_type.as_str().to_string(),
            target.target_id.to_ascii_lowercase(),
            target.authority_id.clone(),
        );
        let entry = planned.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            Planned { target, merge_into: None, principals: Vec::new(), lines: Vec::new() }
        });
        if !entry.principals.iter().any(|(s, _)| s.eq_ignore_ascii_case(&p.sid)) {
            entry.principals.push((p.sid, p.name));
        }
        entry.lines.push(line);
    }
    let mut out = Vec::new();
    for key in order {
        let Some(mut pl) = planned.remove(&key) else { continue };
        if opts.merge {
            pl.merge_into = tx
                .computer_rules_by_target(
                    pl.target.target_type.as_str(),
                    &pl.target.target_id,
                    pl.target.authority_id.as_deref(),
                )?
                .into_iter()
                .find(|r| r.authorization_mode == "SecurityDescriptor")
                .map(|r| r.id);
        }
        report.rules.push(ImportedRule {
            action: if pl.merge_into.is_some() { "Merge" } else { "Create" },
            rule_id: pl.merge_into.clone(),
            target_type: pl.target.target_type,
            target: pl.target.target_id.clone(),
            target_name: pl.target.name.clone(),
            access_types: opts.access_types.iter().map(|a| a.audit_name()).collect(),
            principals: pl
                .principals
                .iter()
                .map(|(sid, name)| PrincipalInfo { sid: sid.clone(), name: name.clone() })
                .collect(),
            lines: pl.lines.clone(),
        });
        if pl.merge_into.is_some() {
            report.rules_merged += 1;
        } else {
            report.rules_created += 1;
        }
        out.push(pl);
    }
    Ok((report, out))
}

fn principal_rows(rule_id: &str, pl: &Planned, types: &[AccessType], now: &str) -> Vec<RulePrincipalRow> {
    types
        .iter()
        .flat_map(|t| {
            pl.principals.iter().map(move |(sid, name)| RulePrincipalRow {
                rule_id: rule_id.to_string(),
                access_type: t.as_str().to_string(),
                ace: AceKind::Allow.as_str().to_string(),
                sid: sid.clone(),
                display_name: name.clone(),
                added_at: now.to_string(),
            })
        })
        .collect()
}

impl Ams {
    /// Imports computer rules from CSV text (see the module documentation). Returns the report;
    /// with `apply` and bad lines (and no `skip_bad_lines`) fails with
    /// [`ErrorCode::ImportBadLines`] and writes nothing.
    pub fn computer_rule_import_csv(&self, csv_bytes: &[u8], opts: &ImportOptions) -> Result<ImportReport> {
        self.computer_rule_import(csv_bytes, opts, ImportSource::Csv)
    }

    /// The import of (target, principal) pairs in CSV form, from a file or from the directory.
    pub(crate) fn computer_rule_import(
        &self,
        csv_bytes: &[u8],
        opts: &ImportOptions,
        source: ImportSource,
    ) -> Result<ImportReport> {
        if opts.access_types.is_empty() {
            return Err(Error::invalid("Name at least one access type to grant."));
        }
        let now_t = self.now_time();
        let now = format_time(now_t);
        // Check the settings once, on a throw-away row, so a bad setting fails the whole import.
        let probe = ResolvedTarget {
            target_type: TargetType::AmsComputer,
            target_id: String::new(),
            authority_id: None,
            name: None,
        };
        let mut row = blank_computer_rule("probe", &probe, self.actor(), &now);
        apply_settings(&mut row, &opts.settings, now_t)?;
        crate::service::rules::check_rule(&row, &[])?;

        if !opts.apply {
            return self.store.read(|tx| plan(tx, csv_bytes, opts).map(|(r, _)| r));
        }
        self.store.write(|tx| {
            let (mut report, planned) = plan(tx, csv_bytes, opts)?;
            if !report.bad_lines.is_empty() && !opts.skip_bad_lines {
                let listed: Vec<String> =
                    report.bad_lines.iter().take(5).map(|b| format!("line {}: {}", b.line, b.message)).collect();
                let more = report.bad_lines.len().saturating_sub(5);
                return Err(Error::new(
                    ErrorCode::ImportBadLines,
                    format!(
                        "{} line(s) of the CSV are bad, so nothing was imported: {}{}",
                        report.bad_lines.len(),
                        listed.join("; "),
                        if more > 0 { format!("; and {more} more") } else { String::new() }
                    ),
                )
                .hint("Run without --apply for the full report, then fix the lines or add --skip-bad-lines.")
                .with("bad_lines", report.bad_lines.iter().map(|b| b.line.to_string()).collect::<Vec<_>>().join(",")));
            }
            for (pl, out) in planned.iter().zip(report.rules.iter_mut()) {
                match &pl.merge_into {
                    Some(rule_id) => {
                        let mut added = 0;
                        for p in principal_rows(rule_id, pl, &opts.access_types, &now) {
                            if tx.add_rule_principal(PrincipalTable::Computer, &p)? {
                                added += 1;
                            }
                        }
                        audit::record(
                            self,
                            tx,
                            Event::success("computer_rule.set", "computer_rule", rule_id).details(serde_json::json!({
                                "Changed": [], "PrincipalsAdded": added, "PrincipalsRemoved": 0, "Source": source.audit_name(),
                            })),
                        )?;
                    }
                    None => {
                        let id = new_id()?.to_string();
                        let mut row = blank_computer_rule(&id, &pl.target, self.actor(), &now);
                        apply_settings(&mut row, &opts.settings, now_t)?;
                        if opts.settings.notes.is_none() {
                            row.notes = format!("Imported from {} by {} at {now}.", source.description(), self.actor());
                        }
                        let principals = principal_rows(&id, pl, &opts.access_types, &now);
                        insert_computer_rule_in(self, tx, &row, &principals, source.audit_name())?;
                        out.rule_id = Some(id);
                    }
                }
            }
            let import_id = new_id()?.to_string();
            audit::record(
                self,
                tx,
                Event::success("computer_rule.import", "import", &import_id).details(serde_json::json!({
                    "Lines": report.lines, "BadLines": report.bad_lines.len(), "RulesCreated": report.rules_created,
                    "RulesMerged": report.rules_merged, "Source": source.audit_name(),
                })),
            )?;
            report.applied = true;
            Ok(report)
        })
    }
}
