//! One module per noun. Each verb turns validated arguments into a core call and returns JSON.

pub mod agent;
pub mod agent_remote;
pub mod audit;
pub mod authz;
pub mod batch;
pub mod cert;
pub mod config;
pub mod db;
pub mod device;
pub mod diagnostics;
pub mod group;
pub mod idp;
pub mod instance;
pub mod jit;
pub mod key;
pub mod meta;
pub mod notify;
pub mod policy;
pub mod regkey;
pub mod secrets;
pub mod server;

use std::path::PathBuf;

use ams_core::{Ams, OpenOptions, Result};
use serde_json::Value;

use crate::cli::{Command, Parsed};

/// What every verb gets: where the instance is.
pub struct Ctx {
    pub data_dir: Option<PathBuf>,
    /// The verb writes its JSON result to stdout itself, as it goes (see [`streams`]).
    pub streams: bool,
}

impl Ctx {
    /// Options for the instance's data directory.
    pub fn options(&self) -> Result<OpenOptions> {
        let dir = ams_core::instance::resolve_data_dir(self.data_dir.as_deref())?;
        Ok(OpenOptions::new(dir))
    }

    /// Opens the instance (schema must be current).
    pub fn open(&self) -> Result<Ams> {
        Ams::open(&self.options()?)
    }
}

/// Serialises a result for output.
pub fn to_json<T: serde::Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|_| ams_core::Error::internal("Could not serialise the result."))
}

/// Whether the command writes its own output to stdout as it goes, so that nothing is left to
/// print when it returns: `ams batch` (NDJSON) and the unfiltered `ams device get` listing in
/// JSON, which streams (ADR 0014).
pub fn streams(p: &Parsed) -> bool {
    match &p.command {
        Command::Batch => true,
        Command::Device(c) => p.output == crate::output::Format::Json && device::lists_all(c),
        _ => false,
    }
}

/// Runs a parsed command (inside a batch: whatever it returns is printed by the caller).
pub fn run(p: Parsed) -> Result<Value> {
    run_top(p, false)
}

/// Runs the process's command; `streams` is [`streams`] of it.
pub fn run_top(p: Parsed, streams: bool) -> Result<Value> {
    let ctx = Ctx { data_dir: p.data_dir, streams };
    if p.verbose && !matches!(p.command, Command::Server(_)) {
        ams_server::logging::init(&ams_server::logging::LogOptions {
            stderr: Some(tracing::level_filters::LevelFilter::DEBUG),
            file_level: tracing::level_filters::LevelFilter::OFF,
            log_path: None,
        })?;
    }
    let started = std::time::Instant::now();
    let verb = command_name(&p.command);
    tracing::debug!(verb, "command started");
    let result = dispatch(&ctx, p.command, p.verbose);
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    match &result {
        Ok(_) => tracing::debug!(verb, ms, "command finished"),
        Err(e) => tracing::debug!(verb, ms, code = e.code().as_str(), "command failed"),
    }
    result
}

/// The noun of a command, for logs.
fn command_name(c: &Command) -> &'static str {
    match c {
        Command::Server(_) => "server",
        Command::Agent(_) => "agent",
        Command::Batch => "batch",
        _ => "verb",
    }
}

fn dispatch(ctx: &Ctx, command: Command, verbose: bool) -> Result<Value> {
    match command {
        Command::Init(a) => instance::init(ctx, a),
        Command::Db(c) => db::run(ctx, c),
        Command::Key(c) => key::run(ctx, c),
        Command::Audit(c) => audit::run(ctx, c),
        Command::Cert(c) => cert::run(ctx, c),
        Command::Device(c) => device::run(ctx, c),
        Command::Group(c) => group::run(ctx, c),
        Command::GroupMember(c) => group::run_member(ctx, c),
        Command::GroupMembers(c) => group::run_members(ctx, c),
        Command::DeviceRegistrationKey(c) => regkey::run(ctx, c),
        Command::DeviceRegistrationKeyGroup(c) => regkey::run_group(ctx, c),
        Command::LocalAdminPassword(c) => secrets::run_password(ctx, c),
        Command::LocalAdminPasswordHistory(c) => secrets::run_history(ctx, c),
        Command::FveRecoveryKey(c) => secrets::run_fve(ctx, c),
        Command::Agent(c) => agent::run(ctx, c),
        Command::AgentPolicy(c) => policy::run(ctx, c),
        Command::WordList(c) => policy::run_word_list(ctx, c),
        Command::Server(c) => server::run(ctx, c, verbose),
        Command::Batch => batch::run(ctx),
        Command::Commands(a) => meta::commands(a),
        Command::HostConfig(c) => config::run_host(ctx, c),
        Command::ServiceConfig(c) => config::run_service(ctx, c),
        Command::IdpClaimMapping(c) => idp::run(ctx, c),
        Command::ServerDiagnostics(c) => diagnostics::run(ctx, c),
        Command::ComputerAuthorizationRule(c) => authz::run_computer(ctx, c),
        Command::RoleAuthorizationRule(c) => authz::run_role(ctx, c),
        Command::EffectiveAccess(c) => authz::run_effective(ctx, c),
        Command::Access(c) => authz::run_access(ctx, c),
        Command::ActiveDirectoryJitGroupCreationRule(c) => jit::run_group_rule(ctx, c),
        Command::ActiveDirectoryJitOptions(c) => jit::run_options(ctx, c),
        Command::JitSchedulerJob(c) => jit::run_job(ctx, c),
        Command::Jit(c) => jit::run(ctx, c),
        Command::NotificationChannel(c) => notify::run_channel(ctx, c),
        Command::Notify(c) => notify::run(ctx, c),
    }
}
