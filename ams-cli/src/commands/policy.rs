//! `ams agent-policy ...` and `ams word-list ...` (docs/agent-policies.md).

use ams_core::service::agent_policy::{NewPolicy, PolicyChanges, TargetSpec};
use ams_core::{Error, ErrorCode, Result};
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::agent::Os;
use super::{Ctx, to_json};

#[derive(Debug, Subcommand)]
pub enum AgentPolicyCommand {
    /// Create a custom agent policy, evaluated after the existing ones of its operating system.
    New(PolicyNewArgs),
    /// List agent policies (defaults and custom, in evaluation order), or find one by id or name.
    Get(PolicyGetArgs),
    /// Change an agent policy: settings (a partial JSON object), name, state, targets.
    Set(PolicySetArgs),
    /// Delete a custom agent policy (an enabled one needs --force).
    Remove(PolicyRemoveArgs),
    /// Move a custom agent policy to another place in its operating system's order.
    Move(PolicyMoveArgs),
    /// Show which agent policy a device follows, and why.
    Resolve(PolicyResolveArgs),
}

#[derive(Debug, Args)]
pub struct PolicyNewArgs {
    /// Name, unique per operating system.
    #[arg(long)]
    pub name: String,
    /// Operating system the policy is for.
    #[arg(long, value_enum)]
    pub os: Os,
    /// Description.
    #[arg(long)]
    pub description: Option<String>,
    /// Create the policy disabled.
    #[arg(long)]
    pub disable: bool,
    /// Settings as a JSON object; missing fields take their defaults (docs/agent-policies.md).
    #[arg(long, conflicts_with = "settings_file")]
    pub settings: Option<String>,
    /// File holding the settings JSON object.
    #[arg(long)]
    pub settings_file: Option<std::path::PathBuf>,
    /// A device the policy applies to (repeatable).
    #[arg(long, num_args = 1)]
    pub target_device: Vec<String>,
    /// A group (id or SID, custom or built-in) the policy applies to (repeatable).
    #[arg(long, num_args = 1)]
    pub target_group: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PolicyGetArgs {
    /// Policy id.
    #[arg(long, conflicts_with = "name")]
    pub id: Option<String>,
    /// Policy name.
    #[arg(long)]
    pub name: Option<String>,
    /// Only the policies of this operating system.
    #[arg(long, value_enum)]
    pub os: Option<Os>,
}

#[derive(Debug, Args)]
pub struct PolicySetArgs {
    /// Policy id.
    #[arg(long)]
    pub id: String,
    /// New name (custom policies).
    #[arg(long)]
    pub name: Option<String>,
    /// New description.
    #[arg(long)]
    pub description: Option<String>,
    /// Enable the policy.
    #[arg(long, conflicts_with = "disable")]
    pub enable: bool,
    /// Disable the policy: it is skipped at evaluation.
    #[arg(long)]
    pub disable: bool,
    /// Settings to change, as a JSON object; fields left out keep their values, null resets an optional one.
    #[arg(long, conflicts_with = "settings_file")]
    pub settings: Option<String>,
    /// File holding the settings JSON object.
    #[arg(long)]
    pub settings_file: Option<std::path::PathBuf>,
    /// Replace the targets: a device (repeatable).
    #[arg(long, num_args = 1, conflicts_with = "clear_targets")]
    pub target_device: Vec<String>,
    /// Replace the targets: a group id or SID (repeatable).
    #[arg(long, num_args = 1, conflicts_with = "clear_targets")]
    pub target_group: Vec<String>,
    /// Remove every target (the policy then applies to no device).
    #[arg(long)]
    pub clear_targets: bool,
}

#[derive(Debug, Args)]
pub struct PolicyRemoveArgs {
    /// Policy id.
    #[arg(long)]
    pub id: String,
    /// Delete even when the policy is enabled.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct PolicyMoveArgs {
    /// Policy id.
    #[arg(long)]
    pub id: String,
    /// New place among the custom policies of its operating system (1 = evaluated first).
    #[arg(long, value_parser = clap::value_parser!(i64).range(1..=100000))]
    pub position: i64,
}

#[derive(Debug, Args)]
pub struct PolicyResolveArgs {
    /// Device id.
    #[arg(long)]
    pub device_id: String,
}

#[derive(Debug, Subcommand)]
pub enum WordListCommand {
    /// Import a word list for passphrases from a text file (one word per line, at least 2000 words).
    New(WordListNewArgs),
    /// List word lists (the built-in one first), or find one by id or name.
    Get(WordListGetArgs),
    /// Delete a custom word list that no agent policy uses (the built-in list cannot be removed).
    Remove(WordListRemoveArgs),
}

#[derive(Debug, Args)]
pub struct WordListNewArgs {
    /// Name, unique ignoring case.
    #[arg(long)]
    pub name: String,
    /// The list file (UTF-8, at most 1 MiB).
    #[arg(long)]
    pub file: std::path::PathBuf,
    /// Description.
    #[arg(long)]
    pub description: Option<String>,
    /// Language (for people).
    #[arg(long)]
    pub language: Option<String>,
}

#[derive(Debug, Args)]
pub struct WordListGetArgs {
    /// List id.
    #[arg(long, conflicts_with = "name")]
    pub id: Option<String>,
    /// List name.
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct WordListRemoveArgs {
    /// List id.
    #[arg(long)]
    pub id: String,
}

fn settings(text: Option<&str>, file: Option<&std::path::Path>) -> Result<Option<Value>> {
    let owned;
    let text = match (text, file) {
        (Some(t), _) => t,
        (None, Some(p)) => {
            let bytes = read_bounded(p, 1024 * 1024)
                .ok_or_else(|| Error::new(ErrorCode::PolicyInvalid, "The settings file is larger than 1 MiB."))??;
            owned = String::from_utf8(bytes)
                .map_err(|_| Error::new(ErrorCode::PolicyInvalid, "The settings file is not UTF-8 text."))?;
            &owned
        }
        (None, None) => return Ok(None),
    };
    let v: Value = serde_json::from_str(text)
        .map_err(|e| Error::new(ErrorCode::PolicyInvalid, format!("The settings are not JSON: {e}.")))?;
    Ok(Some(v))
}

/// Reads at most `max` bytes of a file; `None` when it is longer (a pipe or device file included).
fn read_bounded(path: &std::path::Path, max: usize) -> Option<Result<Vec<u8>>> {
    use std::io::Read;
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return Some(Err(Error::from(e).with("path", path.display()))),
    };
    let mut out = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    if let Err(e) = file.take(limit).read_to_end(&mut out) {
        return Some(Err(Error::from(e).with("path", path.display())));
    }
    if out.len() > max { None } else { Some(Ok(out)) }
}

fn targets(devices: Vec<String>, groups: Vec<String>) -> Vec<TargetSpec> {
    devices.into_iter().map(TargetSpec::Device).chain(groups.into_iter().map(TargetSpec::Group)).collect()
}

fn os_arg(os: Os) -> &'static str {
    super::agent::os_name(os)
}

pub fn run(ctx: &Ctx, c: AgentPolicyCommand) -> Result<Value> {
    let ams = ctx.open()?;
    match c {
        AgentPolicyCommand::New(a) => {
            let p = NewPolicy {
                settings: settings(a.settings.as_deref(), a.settings_file.as_deref())?,
                name: a.name,
                description: a.description,
                os: os_arg(a.os).into(),
                disabled: a.disable,
                targets: targets(a.target_device, a.target_group),
            };
            to_json(&ams.agent_policy_new(&p)?)
        }
        AgentPolicyCommand::Get(a) => {
            let key = a.id.or(a.name);
            to_json(&ams.agent_policies(key.as_deref(), a.os.map(os_arg))?)
        }
        AgentPolicyCommand::Set(a) => {
            let replace = a.clear_targets || !a.target_device.is_empty() || !a.target_group.is_empty();
            let ch = PolicyChanges {
                settings: settings(a.settings.as_deref(), a.settings_file.as_deref())?,
                name: a.name,
                description: a.description,
                enabled: if a.enable {
                    Some(true)
                } else if a.disable {
                    Some(false)
                } else {
                    None
                },
                targets: replace.then(|| targets(a.target_device, a.target_group)),
            };
            to_json(&ams.agent_policy_set(&a.id, &ch)?)
        }
        AgentPolicyCommand::Remove(a) => {
            let marked = ams.agent_policy_remove(&a.id, a.force)?;
            Ok(json!({ "DevicesMarkedForRotation": marked }))
        }
        AgentPolicyCommand::Move(a) => to_json(&ams.agent_policy_move(&a.id, a.position)?),
        AgentPolicyCommand::Resolve(a) => to_json(&ams.agent_policy_resolve(&a.device_id)?),
    }
}

pub fn run_word_list(ctx: &Ctx, c: WordListCommand) -> Result<Value> {
    let ams = ctx.open()?;
    match c {
        WordListCommand::New(a) => {
            let max = ams_core::service::word_lists::MAX_FILE_BYTES;
            let bytes = read_bounded(&a.file, max).ok_or_else(|| {
                Error::new(ErrorCode::WordListInvalid, format!("A word list file may be at most {max} bytes."))
            })??;
            to_json(&ams.word_list_new(&a.name, a.description.as_deref(), a.language.as_deref(), &bytes)?)
        }
        WordListCommand::Get(a) => to_json(&ams.word_lists(a.id.or(a.name).as_deref())?),
        WordListCommand::Remove(a) => {
            ams.word_list_remove(&a.id)?;
            Ok(json!({}))
        }
    }
}
