//! `ams host-config get|set` (this host's `host.toml`) and `ams service-config get|set`
//! (farm-wide settings in the database).

use ams_core::service::host_config::{self, ConnectionString, HostConfigChanges};
use ams_core::service::service_config::{
    DOMAINS_TO_IGNORE, FARM_API_HOST_NAME, FARM_API_PORT, FARM_WEB_APP_HOST_NAME, FARM_WEB_APP_PORT, FORESTS_TO_IGNORE,
    ServiceConfigUpdate, SettingValue,
};
use ams_core::{Error, ErrorCode, Result};
use clap::{Args, Subcommand};
use serde_json::Value;

use super::{Ctx, to_json};
use crate::secret::read_secret;

#[derive(Debug, Subcommand)]
pub enum HostConfigCommand {
    /// Show this host's configuration (host.toml in the data directory; the connection string's password is masked).
    Get,
    /// Change this host's configuration; values left out are kept. Takes effect when the service restarts.
    Set(HostConfigSetArgs),
}

#[derive(Debug, Args)]
pub struct HostConfigSetArgs {
    /// Serve the agent API on this host (true or false).
    #[arg(long, value_name = "BOOL")]
    pub agent_access_enabled: Option<bool>,
    /// Serve the end-user web app on this host (true or false).
    #[arg(long, value_name = "BOOL")]
    pub web_app_enabled: Option<bool>,
    /// DNS name agents and users reach this host by; it must match the agents' configuration exactly. Empty removes it.
    #[arg(long, value_name = "NAME")]
    pub external_hostname: Option<String>,
    /// Log file, or folder of .log files, as an absolute path. Empty removes it (log to stderr only).
    #[arg(long, value_name = "PATH")]
    pub log_path: Option<String>,
    /// Folder for additional configuration files, as an absolute path. Empty removes it.
    #[arg(long, value_name = "PATH")]
    pub config_path: Option<String>,
    /// Database connection string: sqlite://PATH, or an ADO.NET SQL Server string (Server=tcp:HOST,PORT;Database=NAME;User Id=LOGIN;Password=...). `-` reads it from stdin, which is required when it holds a password.
    #[arg(long, value_name = "STRING", allow_hyphen_values = true)]
    pub connection_string: Option<String>,
    /// Store the connection string without testing it (only its form is checked; ams does not connect).
    #[arg(long, requires = "connection_string")]
    pub skip_connection_string_validation: bool,
    /// Accept remote management on this host (true or false).
    #[arg(long, value_name = "BOOL")]
    pub remote_management_enabled: Option<bool>,
    /// HTTP port, 1-65535 (redirects to HTTPS only; default 80).
    #[arg(long, value_name = "PORT")]
    pub http_port: Option<i64>,
    /// HTTPS port, 1-65535 (default 443).
    #[arg(long, value_name = "PORT")]
    pub https_port: Option<i64>,
}

#[derive(Debug, Subcommand)]
pub enum ServiceConfigCommand {
    /// Show the farm-wide settings: each by name, and under Settings every registered setting with its value, default and range.
    Get,
    /// Change farm-wide settings in one transaction; values left out are kept. Every host must restart to see them.
    Set(ServiceConfigSetArgs),
}

#[derive(Debug, Args)]
pub struct ServiceConfigSetArgs {
    /// Host name agents use for the farm (empty: each host's ExternalHostname).
    #[arg(long, value_name = "NAME")]
    pub farm_api_host_name: Option<String>,
    /// HTTPS port agents use for the farm, 1-65535 (default 443).
    #[arg(long, value_name = "PORT")]
    pub farm_api_port: Option<i64>,
    /// Host name users use for the farm's web app (empty: each host's ExternalHostname).
    #[arg(long, value_name = "NAME")]
    pub farm_web_app_host_name: Option<String>,
    /// HTTPS port users use for the farm's web app, 1-65535 (default 443).
    #[arg(long, value_name = "PORT")]
    pub farm_web_app_port: Option<i64>,
    /// A trusted forest to ignore (repeat the flag; the list replaces the old one; one empty value clears it).
    #[arg(long, value_name = "NAME")]
    pub forests_to_ignore: Vec<String>,
    /// A trusted domain to ignore (repeat the flag; the list replaces the old one; one empty value clears it).
    #[arg(long, value_name = "NAME")]
    pub domains_to_ignore: Vec<String>,
    /// Any registered setting as NAME=VALUE (repeat the flag); `ams service-config get` lists the names. Unknown names are refused.
    #[arg(long, value_name = "NAME=VALUE")]
    pub setting: Vec<String>,
}

pub fn run_host(ctx: &Ctx, c: HostConfigCommand) -> Result<Value> {
    let dir = ctx.options()?.data_dir;
    match c {
        HostConfigCommand::Get => to_json(&host_config::host_config(&dir)?),
        HostConfigCommand::Set(a) => {
            let connection_string = match a.connection_string.as_deref() {
                None => None,
                Some("-") => {
                    let raw = read_secret("connection string", false)?;
                    let text = std::str::from_utf8(&raw)
                        .map_err(|_| Error::invalid("The connection string is not valid UTF-8."))?;
                    Some(ConnectionString::new(text))
                }
                Some(s) => {
                    let cs = ConnectionString::new(s);
                    if cs.has_password() {
                        return Err(Error::new(
                            ErrorCode::SecretInArguments,
                            "A connection string holding a password was given on the command line.",
                        )
                        .hint("Pass --connection-string - and write the connection string to stdin; the command line is visible to every user of the machine."));
                    }
                    Some(cs)
                }
            };
            let ch = HostConfigChanges {
                agent_access_enabled: a.agent_access_enabled,
                web_app_enabled: a.web_app_enabled,
                remote_management_enabled: a.remote_management_enabled,
                external_hostname: a.external_hostname,
                http_port: a.http_port,
                https_port: a.https_port,
                log_path: a.log_path,
                config_path: a.config_path,
                connection_string,
                skip_connection_string_validation: a.skip_connection_string_validation,
            };
            to_json(&host_config::set_host_config(&dir, &ch)?)
        }
    }
}

/// A repeated list flag: every value may itself hold comma-separated names; empty values are
/// dropped, so one empty value clears the list.
fn list(values: Vec<String>) -> SettingValue {
    SettingValue::List(values.iter().flat_map(|v| v.split(',')).map(|s| s.trim().to_string()).collect())
}

fn text(v: String) -> SettingValue {
    SettingValue::Text(Some(v).filter(|s| !s.trim().is_empty()))
}

pub fn run_service(ctx: &Ctx, c: ServiceConfigCommand) -> Result<Value> {
    let ams = ctx.open()?;
    match c {
        ServiceConfigCommand::Get => to_json(&ams.service_config()?),
        ServiceConfigCommand::Set(a) => {
            let mut u = ServiceConfigUpdate::new();
            if let Some(v) = a.farm_api_host_name {
                u.set(FARM_API_HOST_NAME, text(v))?;
            }
            if let Some(v) = a.farm_api_port {
                u.set(FARM_API_PORT.key, SettingValue::Int(v))?;
            }
            if let Some(v) = a.farm_web_app_host_name {
                u.set(FARM_WEB_APP_HOST_NAME, text(v))?;
            }
            if let Some(v) = a.farm_web_app_port {
                u.set(FARM_WEB_APP_PORT.key, SettingValue::Int(v))?;
            }
            if !a.forests_to_ignore.is_empty() {
                u.set(FORESTS_TO_IGNORE, list(a.forests_to_ignore))?;
            }
            if !a.domains_to_ignore.is_empty() {
                u.set(DOMAINS_TO_IGNORE, list(a.domains_to_ignore))?;
            }
            for s in &a.setting {
                u.set_assignment(s)?;
            }
            to_json(&ams.set_service_config(&u)?)
        }
    }
}
