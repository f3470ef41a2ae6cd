//! `ams server ...`: the agent API over HTTPS (docs/server.md).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ams_core::{Error, ErrorCode, Result};
use ams_server::logging::{LogOptions, init};
use ams_server::tls::TlsSource;
use clap::{Args, Subcommand};
use serde_json::Value;

use super::Ctx;
use crate::secret::read_secret;

#[derive(Debug, Subcommand)]
pub enum ServerCommand {
    /// Serve the agent API (HTTPS) until SIGTERM or Ctrl-C, then drain in-flight requests.
    Run(Box<RunArgs>),
    /// Print the agent API's OpenAPI document.
    Openapi,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// TLS certificate chain, PEM (leaf first).
    #[arg(long, requires = "tls_key", conflicts_with_all = ["tls_pfx", "insecure_loopback"])]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key, PEM (keep it 0600).
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// TLS certificate and key as a PFX (PKCS#12) file; its password is read from stdin or
    /// --tls-pfx-password-file.
    #[arg(long, conflicts_with = "insecure_loopback")]
    pub tls_pfx: Option<PathBuf>,
    /// File holding the PFX password (must not be readable by other users).
    #[arg(long, requires = "tls_pfx")]
    pub tls_pfx_password_file: Option<PathBuf>,
    /// Serve plain HTTP on a loopback address (tests only).
    #[arg(long)]
    pub insecure_loopback: bool,
    /// Address and port (default: all addresses on the host configuration's HttpsPort).
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<SocketAddr>,
    /// Database workers (default: two per core).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Most open connections.
    #[arg(long, default_value_t = 15_000)]
    pub max_connections: usize,
    /// Seconds allowed for a request's headers and for an idle keep-alive connection.
    #[arg(long, default_value_t = 30)]
    pub idle_timeout_seconds: u64,
    /// Seconds allowed for a request body.
    #[arg(long, default_value_t = 20)]
    pub body_timeout_seconds: u64,
    /// Seconds allowed for a TLS handshake.
    #[arg(long, default_value_t = 10)]
    pub handshake_timeout_seconds: u64,
    /// Seconds in-flight requests get to finish after SIGTERM.
    #[arg(long, default_value_t = 30)]
    pub drain_timeout_seconds: u64,
    /// Largest request body, in bytes.
    #[arg(long, default_value_t = 128 * 1024)]
    pub max_body_bytes: usize,
    /// Registrations per source address per minute (0: no limit).
    #[arg(long, default_value_t = 10)]
    pub register_rate_per_minute: u32,
    /// Write the bound address to this file once listening.
    #[arg(long)]
    pub address_file: Option<PathBuf>,
    /// Seconds between background deliveries of queued notifications (0: none; run `ams notify run-due` instead).
    #[arg(long, default_value_t = 15)]
    pub notify_interval_seconds: u64,
}

fn read_password_file(p: &std::path::Path) -> Result<zeroize::Zeroizing<String>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(p).map_err(|e| Error::from(e).with("path", p.display()))?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(Error::new(ErrorCode::LoosePermissions, "The PFX password file can be read by other users.")
                .hint("Run `chmod 600` on the file.")
                .with("path", p.display()));
        }
    }
    let bytes = zeroize::Zeroizing::new(std::fs::read(p).map_err(|e| Error::from(e).with("path", p.display()))?);
    let s = std::str::from_utf8(&bytes).map_err(|_| Error::invalid("The PFX password file is not UTF-8."))?;
    Ok(zeroize::Zeroizing::new(s.trim_end_matches(['\r', '\n']).to_string()))
}

pub fn run(ctx: &Ctx, c: ServerCommand, verbose: bool) -> Result<Value> {
    match c {
        ServerCommand::Openapi => {
            serde_json::from_str(&ams_server::openapi::document_json()).map_err(|_| Error::internal("openapi"))
        }
        ServerCommand::Run(a) => {
            let a = *a;
            let open = ctx.options()?;
            let host = ams_core::instance::HostConfig::load(&open.data_dir)?;
            let level = if verbose { tracing::Level::DEBUG } else { tracing::Level::INFO };
            init(&LogOptions {
                stderr: Some(level.into()),
                file_level: level.into(),
                log_path: host.log_path.as_ref().map(PathBuf::from),
            })?;
            let tls = match (&a.tls_cert, &a.tls_key, &a.tls_pfx) {
                (Some(cert), Some(key), None) => Some(TlsSource::Pem { cert: cert.clone(), key: key.clone() }),
                (None, None, Some(file)) => {
                    let password = match &a.tls_pfx_password_file {
                        Some(p) => read_password_file(p)?,
                        None => {
                            let b = read_secret("PFX password", false)?;
                            let s = std::str::from_utf8(&b)
                                .map_err(|_| Error::invalid("The PFX password is not UTF-8."))?;
                            zeroize::Zeroizing::new(s.to_string())
                        }
                    };
                    Some(TlsSource::Pfx { file: file.clone(), password })
                }
                _ if a.insecure_loopback => None,
                _ => {
                    return Err(Error::new(ErrorCode::TlsConfigInvalid, "The server needs a TLS certificate and key.")
                        .hint("Pass --tls-cert and --tls-key (PEM), or --tls-pfx (PKCS#12)."));
                }
            };
            let listen = match (a.listen, a.insecure_loopback) {
                (Some(l), _) => Some(l),
                (None, true) => Some(SocketAddr::from(([127, 0, 0, 1], host.https_port))),
                (None, false) => None,
            };
            ams_server::run(ams_server::RunOptions {
                open,
                tls,
                listen,
                workers: a.workers.unwrap_or_else(ams_server::default_workers),
                serve: ams_server::serve::ServeOptions {
                    listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                    handshake_timeout: Duration::from_secs(a.handshake_timeout_seconds.max(1)),
                    idle_timeout: Duration::from_secs(a.idle_timeout_seconds.max(1)),
                    max_connections: a.max_connections.max(1),
                    drain_timeout: Duration::from_secs(a.drain_timeout_seconds),
                },
                limits: ams_server::routes::Limits {
                    body_bytes: a.max_body_bytes.max(1024),
                    body_timeout: Duration::from_secs(a.body_timeout_seconds.max(1)),
                },
                register_per_minute: a.register_rate_per_minute,
                address_file: a.address_file,
                notify_interval: (a.notify_interval_seconds > 0)
                    .then(|| Duration::from_secs(a.notify_interval_seconds)),
            })
        }
    }
}
