//! The command tree: `ams <noun> <verb> [--flags]`. Clap types stay in this crate.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use ams_core::{Error, ErrorCode};
use clap::{Args, Parser, Subcommand};

use crate::commands;
use crate::output::{self, Format};

/// ams: the Access Manager Service command line.
#[derive(Debug, Parser)]
#[command(name = "ams", version, about = "Access Manager Service: a vault for local administrator passwords, BitLocker keys and time-boxed access.", long_about = None)]
#[command(propagate_version = true, disable_help_subcommand = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every verb takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The instance's data directory (else AMS_DATA_DIR, else the platform default).
    #[arg(long, global = true, value_name = "DIR", env = "AMS_DATA_DIR", hide_env_values = true)]
    pub data_dir: Option<PathBuf>,
    /// Output format: json (one document) or text (for people).
    #[arg(long, global = true, value_enum, default_value = "json")]
    pub output: Format,
    /// Log what the command does (structured lines on stderr; never secrets).
    #[arg(long, global = true)]
    pub verbose: bool,
}

/// Every noun.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new instance: database, master key, host key file, recovery password.
    Init(commands::instance::InitArgs),
    /// Database status and migrations.
    #[command(subcommand)]
    Db(commands::db::DbCommand),
    /// The master key: status, recovery, rotation, recovery password.
    #[command(subcommand)]
    Key(commands::key::KeyCommand),
    /// The audit trail.
    #[command(subcommand)]
    Audit(commands::audit::AuditCommand),
    /// Encryption certificates that agents seal secrets to.
    #[command(subcommand)]
    Cert(commands::cert::CertCommand),
    /// Devices (Get/Set/Remove-AmsDevice).
    #[command(subcommand)]
    Device(commands::device::DeviceCommand),
    /// Device groups (New/Get/Set/Remove-AmsGroup).
    #[command(subcommand)]
    Group(commands::group::GroupCommand),
    /// Group membership (Add/Remove-AmsGroupMember).
    #[command(subcommand)]
    GroupMember(commands::group::GroupMemberCommand),
    /// Group members (Get-AmsGroupMembers).
    #[command(subcommand)]
    GroupMembers(commands::group::GroupMembersCommand),
    /// Device registration keys (New/Get/Set/Remove-AmsDeviceRegistrationKey).
    #[command(subcommand)]
    DeviceRegistrationKey(commands::regkey::RegKeyCommand),
    /// Groups attached to registration keys (Add/Remove-AmsDeviceRegistrationKeyGroup).
    #[command(subcommand)]
    DeviceRegistrationKeyGroup(commands::regkey::RegKeyGroupCommand),
    /// Current local administrator passwords (Get-AmsLocalAdminPassword).
    #[command(subcommand)]
    LocalAdminPassword(commands::secrets::LocalAdminPasswordCommand),
    /// Password history (Get-AmsLocalAdminPasswordHistory).
    #[command(subcommand)]
    LocalAdminPasswordHistory(commands::secrets::PasswordHistoryCommand),
    /// BitLocker recovery keys (Get-AmsFveRecoveryKey).
    #[command(subcommand)]
    FveRecoveryKey(commands::secrets::FveRecoveryKeyCommand),
    /// What an agent does: register, check in, upload passwords and BitLocker keys.
    #[command(subcommand)]
    Agent(commands::agent::AgentCommand),
    /// Agent policies: what each device is told at check-in (New/Get/Set/Remove/Move/Resolve-AmsAgentPolicy).
    #[command(subcommand)]
    AgentPolicy(commands::policy::AgentPolicyCommand),
    /// Word lists for passphrases (New/Get/Remove-AmsWordList).
    #[command(subcommand)]
    WordList(commands::policy::WordListCommand),
    /// The agent API server: `ams server run` (HTTPS), and its OpenAPI document.
    #[command(subcommand)]
    Server(commands::server::ServerCommand),
    /// Run many requests in one process: NDJSON requests on stdin, NDJSON results on stdout.
    Batch,
    /// List every verb with its parameters (for tooling and the PowerShell module).
    Commands(commands::meta::CommandsArgs),
    /// This host's configuration file (Get/Set-AmsHostConfig).
    #[command(subcommand)]
    HostConfig(commands::config::HostConfigCommand),
    /// Farm-wide service settings in the database (Get/Set-AmsServiceConfig).
    #[command(subcommand)]
    ServiceConfig(commands::config::ServiceConfigCommand),
    /// Identity-provider claim mappings (Add/Get/Clear-AmsIdpClaimMapping).
    #[command(subcommand)]
    IdpClaimMapping(commands::idp::IdpClaimMappingCommand),
    /// Support bundle (Export-AmsServerDiagnostics).
    #[command(subcommand)]
    ServerDiagnostics(commands::diagnostics::ServerDiagnosticsCommand),
    /// Computer authorization rules (New/Get/Set/Remove-AmsComputerAuthorizationRule) and CSV import.
    #[command(subcommand)]
    ComputerAuthorizationRule(commands::authz::ComputerRuleCommand),
    /// Role authorization rules (New/Get/Set/Remove-AmsRoleAuthorizationRule).
    #[command(subcommand)]
    RoleAuthorizationRule(commands::authz::RoleRuleCommand),
    /// What a user may do on a computer under the authorization rules, and why.
    #[command(subcommand)]
    EffectiveAccess(commands::authz::EffectiveAccessCommand),
    /// Rule-checked, rate-limited, audited access requests (for trusted front ends).
    #[command(subcommand)]
    Access(commands::authz::AccessCommand),
    /// JIT group creation rules (New/Get/Set/Remove-AmsActiveDirectoryJitGroupCreationRule).
    #[command(subcommand)]
    ActiveDirectoryJitGroupCreationRule(commands::jit::JitGroupRuleCommand),
    /// The JIT engine's options (Get/Set-AmsActiveDirectoryJitOptions).
    #[command(subcommand)]
    ActiveDirectoryJitOptions(commands::jit::JitOptionsCommand),
    /// The JIT scheduler's removal jobs (Get/Remove-AmsJitSchedulerJob).
    #[command(subcommand)]
    JitSchedulerJob(commands::jit::JitJobCommand),
    /// Just-in-time access: the directory, admin grants, the scheduler run and the group sync.
    #[command(subcommand)]
    Jit(commands::jit::JitCommand),
    /// Notification channels: webhooks, SMTP e-mail, scripts (New/Get/Set/Remove/Test-AmsNotificationChannel).
    #[command(subcommand)]
    NotificationChannel(commands::notify::ChannelCommand),
    /// Notification delivery: the due run and the queue (Invoke-AmsNotificationRun, Get-AmsNotificationQueue).
    #[command(subcommand)]
    Notify(commands::notify::NotifyCommand),
}

/// A parsed command line.
#[derive(Debug)]
pub struct Parsed {
    pub output: Format,
    pub verbose: bool,
    pub data_dir: Option<PathBuf>,
    pub command: Command,
}

/// Parses argv. Help and version print and exit 0; usage errors print a JSON error (exit 2).
pub fn parse(args: &[OsString]) -> Result<Parsed, ExitCode> {
    // The output format is needed to print a usage error in the right form.
    let format =
        if args.windows(2).any(|w| w[0] == "--output" && w[1] == "text") || args.iter().any(|a| a == "--output=text") {
            Format::Text
        } else {
            Format::Json
        };
    match Cli::try_parse_from(args) {
        Ok(cli) if matches!(cli.command, Command::Batch) => Ok(Parsed {
            output: cli.global.output,
            verbose: cli.global.verbose,
            data_dir: cli.global.data_dir,
            command: cli.command,
        }),
        Ok(cli) => Ok(Parsed {
            output: cli.global.output,
            verbose: cli.global.verbose,
            data_dir: cli.global.data_dir,
            command: cli.command,
        }),
        Err(e) => {
            use clap::error::ErrorKind as K;
            match e.kind() {
                K::DisplayHelp | K::DisplayVersion | K::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = e.print();
                    Err(if e.kind() == K::DisplayHelpOnMissingArgumentOrSubcommand {
                        ExitCode::from(2)
                    } else {
                        ExitCode::SUCCESS
                    })
                }
                _ => Err(output::print_error(&usage_error(&e), format)),
            }
        }
    }
}

/// Parses argv without printing anything (for batch requests).
pub fn parse_quiet(args: &[String]) -> Result<Parsed, Error> {
    Cli::try_parse_from(args)
        .map(|cli| Parsed {
            output: cli.global.output,
            verbose: cli.global.verbose,
            data_dir: cli.global.data_dir,
            command: cli.command,
        })
        .map_err(|e| usage_error(&e))
}

/// A clap usage error as an ams error, keeping clap's whole message: which arguments are missing
/// or unexpected (the indented list under the first line), its "did you mean" tips as the hint, and
/// the invalid and suggested values as context. The usage synopsis and the `--help` pointer are
/// dropped: the hint says where help is.
pub fn usage_error(e: &clap::Error) -> Error {
    use clap::error::{ContextKind, ContextValue};
    let rendered = e.render().to_string();
    let mut message = String::new();
    let mut tips: Vec<String> = Vec::new();
    for line in rendered.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("Usage:") || trimmed.starts_with("For more information") {
            break;
        }
        if trimmed.is_empty() {
            continue;
        }
        if let Some(tip) = trimmed.strip_prefix("tip: ") {
            tips.push(tip.to_string());
        } else if message.is_empty() {
            message.push_str(trimmed.trim_start_matches("error: "));
        } else {
            let sep = if message.ends_with(':') { " " } else { ", " };
            message.push_str(sep);
            message.push_str(trimmed);
        }
    }
    if message.is_empty() {
        message.push_str("invalid command line");
    }
    let mut hint = tips.join("; ");
    if !hint.is_empty() {
        hint.push_str(". ");
    }
    hint.push_str("Run `ams --help` or `ams <noun> <verb> --help`.");
    let mut err = Error::new(ErrorCode::UsageError, message).hint(hint);
    let text = |v: &ContextValue| -> Option<String> {
        match v {
            ContextValue::String(s) => Some(s.clone()),
            ContextValue::Strings(v) => Some(v.join(", ")),
            ContextValue::StyledStr(s) => Some(s.to_string()),
            ContextValue::StyledStrs(v) => Some(v.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")),
            ContextValue::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    for (kind, value) in e.context() {
        let key = match kind {
            ContextKind::InvalidSubcommand | ContextKind::InvalidArg => "invalid",
            ContextKind::SuggestedSubcommand | ContextKind::SuggestedArg | ContextKind::SuggestedValue => "suggestion",
            ContextKind::ValidValue | ContextKind::ValidSubcommand => "valid",
            ContextKind::PriorArg => "conflicts_with",
            _ => continue,
        };
        if let Some(v) = text(value).filter(|v| !v.is_empty()) {
            err = err.with(key, &v);
        }
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_tree_is_valid() {
        Cli::command().debug_assert();
    }
}
