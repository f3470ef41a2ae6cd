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
    match try_parse(args) {
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
    try_parse(args)
        .map(|cli| Parsed {
            output: cli.global.output,
            verbose: cli.global.verbose,
            data_dir: cli.global.data_dir,
            command: cli.command,
        })
        .map_err(|e| usage_error(&e))
}

/// Parses argv with the tree of the one noun it names when that parses (see [`narrow_tree`]), else
/// with the whole tree, which also renders every error, help and version text.
fn try_parse<T: AsRef<std::ffi::OsStr>>(args: &[T]) -> Result<Cli, clap::Error> {
    use clap::FromArgMatches;
    let narrow = noun_of(args)
        .and_then(|noun| narrow_tree(&noun))
        .and_then(|tree| tree.try_get_matches_from(args).ok())
        .and_then(|mut m| Cli::from_arg_matches_mut(&mut m).ok());
    match narrow {
        Some(cli) => Ok(cli),
        None => Cli::try_parse_from(args),
    }
}

/// The noun argv names: its first argument that is not a global flag (or a global flag's value).
/// `None` when a flag comes first that is not global (the whole tree then handles it).
fn noun_of<T: AsRef<std::ffi::OsStr>>(args: &[T]) -> Option<String> {
    let mut it = args.iter().skip(1).map(|a| a.as_ref().to_str());
    while let Some(arg) = it.next() {
        match arg? {
            "--verbose" => {}
            "--data-dir" | "--output" => {
                it.next()?;
            }
            a if a.starts_with("--data-dir=") || a.starts_with("--output=") => {}
            a if a.starts_with('-') => return None,
            a => return Some(a.to_string()),
        }
    }
    None
}

/// A command tree with only `noun` under the root, built as the derive builds it inside [`Cli`]
/// (the same global flags, the noun's own verbs and flags). Building the whole tree of every noun
/// and verb (and dropping it) was most of the instructions of a short command's start-up before it
/// opens the database (issue 14). Only a successful parse is taken from this tree, and a narrower
/// tree accepts nothing the whole tree rejects, so what a command line means never depends on it:
/// anything it does not parse (an error, `--help`, `--version`, an unknown noun) goes to the whole
/// tree. A test checks that it parses every verb as the whole tree does.
fn narrow_tree(noun: &str) -> Option<clap::Command> {
    fn nested<S: Subcommand>(name: &'static str) -> clap::Command {
        S::augment_subcommands(clap::Command::new(name).subcommand_required(true).arg_required_else_help(true))
    }
    let sub = match noun {
        "init" => <commands::instance::InitArgs as Args>::augment_args(clap::Command::new("init")),
        "db" => nested::<commands::db::DbCommand>("db"),
        "key" => nested::<commands::key::KeyCommand>("key"),
        "audit" => nested::<commands::audit::AuditCommand>("audit"),
        "cert" => nested::<commands::cert::CertCommand>("cert"),
        "device" => nested::<commands::device::DeviceCommand>("device"),
        "group" => nested::<commands::group::GroupCommand>("group"),
        "group-member" => nested::<commands::group::GroupMemberCommand>("group-member"),
        "group-members" => nested::<commands::group::GroupMembersCommand>("group-members"),
        "device-registration-key" => nested::<commands::regkey::RegKeyCommand>("device-registration-key"),
        "device-registration-key-group" => {
            nested::<commands::regkey::RegKeyGroupCommand>("device-registration-key-group")
        }
        "local-admin-password" => nested::<commands::secrets::LocalAdminPasswordCommand>("local-admin-password"),
        "local-admin-password-history" => {
            nested::<commands::secrets::PasswordHistoryCommand>("local-admin-password-history")
        }
        "fve-recovery-key" => nested::<commands::secrets::FveRecoveryKeyCommand>("fve-recovery-key"),
        "agent" => nested::<commands::agent::AgentCommand>("agent"),
        "agent-policy" => nested::<commands::policy::AgentPolicyCommand>("agent-policy"),
        "word-list" => nested::<commands::policy::WordListCommand>("word-list"),
        "server" => nested::<commands::server::ServerCommand>("server"),
        "batch" => clap::Command::new("batch"),
        "commands" => <commands::meta::CommandsArgs as Args>::augment_args(clap::Command::new("commands")),
        "host-config" => nested::<commands::config::HostConfigCommand>("host-config"),
        "service-config" => nested::<commands::config::ServiceConfigCommand>("service-config"),
        "idp-claim-mapping" => nested::<commands::idp::IdpClaimMappingCommand>("idp-claim-mapping"),
        "server-diagnostics" => nested::<commands::diagnostics::ServerDiagnosticsCommand>("server-diagnostics"),
        "computer-authorization-rule" => nested::<commands::authz::ComputerRuleCommand>("computer-authorization-rule"),
        "role-authorization-rule" => nested::<commands::authz::RoleRuleCommand>("role-authorization-rule"),
        "effective-access" => nested::<commands::authz::EffectiveAccessCommand>("effective-access"),
        "access" => nested::<commands::authz::AccessCommand>("access"),
        "active-directory-jit-group-creation-rule" => {
            nested::<commands::jit::JitGroupRuleCommand>("active-directory-jit-group-creation-rule")
        }
        "active-directory-jit-options" => nested::<commands::jit::JitOptionsCommand>("active-directory-jit-options"),
        "jit-scheduler-job" => nested::<commands::jit::JitJobCommand>("jit-scheduler-job"),
        "jit" => nested::<commands::jit::JitCommand>("jit"),
        "notification-channel" => nested::<commands::notify::ChannelCommand>("notification-channel"),
        "notify" => nested::<commands::notify::NotifyCommand>("notify"),
        _ => return None,
    };
    let root = clap::Command::new("ams")
        .version(env!("CARGO_PKG_VERSION"))
        .propagate_version(true)
        .disable_help_subcommand(true)
        .subcommand_required(true);
    Some(<GlobalArgs as Args>::augment_args(root).subcommand(sub))
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

    /// Every verb's flags, by path (`noun verb ...`), in a built tree.
    fn verbs(c: &clap::Command, path: &str, out: &mut Vec<(String, Vec<String>)>) {
        let mut args: Vec<String> = c.get_arguments().map(|a| a.get_id().to_string()).collect();
        args.sort();
        out.push((path.to_string(), args));
        for s in c.get_subcommands() {
            verbs(s, &format!("{path} {}", s.get_name()), out);
        }
    }

    #[test]
    fn every_noun_has_a_narrow_tree_with_the_same_verbs_and_flags() {
        let mut full = Cli::command();
        full.build();
        for noun in full.get_subcommands() {
            let mut narrow =
                narrow_tree(noun.get_name()).unwrap_or_else(|| panic!("no narrow tree for {}", noun.get_name()));
            narrow.build();
            let sub = narrow.find_subcommand(noun.get_name()).expect("the noun under the root");
            let (mut a, mut b) = (Vec::new(), Vec::new());
            verbs(noun, noun.get_name(), &mut a);
            verbs(sub, noun.get_name(), &mut b);
            assert_eq!(a, b, "{}", noun.get_name());
            assert_eq!(noun.is_subcommand_required_set(), sub.is_subcommand_required_set(), "{}", noun.get_name());
        }
        let root_args = |c: &clap::Command| c.get_arguments().map(|a| a.get_id().to_string()).collect::<Vec<_>>();
        let mut root = narrow_tree("device").expect("device");
        root.build();
        assert_eq!(root_args(&full), root_args(&root));
        assert!(narrow_tree("no-such-noun").is_none());
    }

    #[test]
    fn the_narrow_tree_parses_as_the_whole_tree() {
        let lines = [
            "ams local-admin-password get --computer-name PC1",
            "ams --data-dir /x local-admin-password get --computer-name PC1 --all-providers",
            "ams --data-dir=/x --output text device get --name PC1",
            "ams --verbose device get",
            "ams device get --data-dir /y --approval-state Approved",
            "ams local-admin-password get --authority-device-id d --authority-id i --authority-type ams",
            "ams db backup --out f.amsbak",
            "ams init --generate-recovery-password",
            "ams batch",
            "ams commands",
            "ams audit get --limit 5",
        ];
        for line in lines {
            let argv: Vec<String> = line.split(' ').map(str::to_string).collect();
            let noun = noun_of(&argv).expect("noun");
            let m = narrow_tree(&noun).expect("tree").try_get_matches_from(&argv);
            let narrow = m.and_then(|mut m| <Cli as clap::FromArgMatches>::from_arg_matches_mut(&mut m));
            let whole = Cli::try_parse_from(&argv);
            match (narrow, whole) {
                (Ok(n), Ok(w)) => assert_eq!(format!("{n:?}"), format!("{w:?}"), "{line}"),
                (n, w) => {
                    panic!("{line}: narrow {:?}, whole {:?}", n.err().map(|e| e.kind()), w.err().map(|e| e.kind()))
                }
            }
        }
        // What the narrow tree does not parse goes to the whole tree, which renders the error.
        for line in [
            "ams local-admin-password get",
            "ams local-admin-password",
            "ams device get --nope",
            "ams --help",
            "ams device --help",
            "ams --version",
            "ams devcie get",
            "ams --nope device get",
        ] {
            let argv: Vec<String> = line.split(' ').map(str::to_string).collect();
            let whole = Cli::try_parse_from(&argv).err().map(|e| (e.kind(), e.render().to_string()));
            let ours = try_parse(&argv).err().map(|e| (e.kind(), e.render().to_string()));
            assert!(whole.is_some(), "{line}");
            assert_eq!(ours, whole, "{line}");
        }
    }
}
