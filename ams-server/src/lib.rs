//! `ams-server`: the agent API over HTTPS (docs/server.md).
//!
//! The server knows HTTP, TLS and its JSON wire types ([`wire`]); everything else is the same
//! `Ams` calls the command line makes. The core stays synchronous: database work and the RSA
//! opening of uploads run on blocking threads through [`engine::Engine`], each with its own
//! instance handle, so the async workers only move bytes.
//!
//! Tests drive [`routes::router`] in-process and [`serve::Server`] over real loopback TLS; the
//! `ams` binary runs it as `ams server run` through [`run`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo, clippy::unimplemented)
)]

pub mod client;
pub mod engine;
pub mod error;
pub mod logging;
pub mod notify;
pub mod openapi;
pub mod ratelimit;
pub mod routes;
pub mod serve;
pub mod tls;
pub mod wire;

use std::path::PathBuf;
use std::sync::Arc;

use ams_core::instance::HostConfig;
use ams_core::{Error, ErrorCode, OpenOptions, Result};

/// Everything `ams server run` needs.
#[derive(Debug)]
pub struct RunOptions {
    /// The instance.
    pub open: OpenOptions,
    /// TLS, or `None` for `--insecure-loopback`.
    pub tls: Option<tls::TlsSource>,
    /// Listen address; `None`: all addresses on the host configuration's HttpsPort.
    pub listen: Option<std::net::SocketAddr>,
    /// Database workers (blocking threads with their own connection).
    pub workers: usize,
    /// Connection and timeout settings.
    pub serve: serve::ServeOptions,
    /// Body limits.
    pub limits: routes::Limits,
    /// Registrations per source address per minute (0: no limit).
    pub register_per_minute: u32,
    /// Write the bound address here once listening (for scripts and tests).
    pub address_file: Option<PathBuf>,
    /// How often queued notifications are delivered in the background (`None`: not at all).
    pub notify_interval: Option<std::time::Duration>,
}

/// The default number of database workers: two per core (one can wait on an fsync while the
/// other opens an envelope).
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()) * 2
}

/// Runs the server until SIGTERM/SIGINT, then drains. Refuses to start when the host
/// configuration does not enable the agent API on this host.
pub fn run(opts: RunOptions) -> Result<serde_json::Value> {
    let host = HostConfig::load(&opts.open.data_dir)?;
    if !host.agent_access_enabled {
        return Err(Error::new(ErrorCode::AgentAccessDisabled, "This host does not serve the agent API.")
            .hint("Run `ams host-config set --agent-access-enabled true` on this host first."));
    }
    let tls = opts.tls.as_ref().map(tls::server_config).transpose()?;
    let listen = opts.listen.unwrap_or_else(|| std::net::SocketAddr::from(([0, 0, 0, 0], host.https_port)));
    let workers = opts.workers.max(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get()))
        .max_blocking_threads(workers + 8)
        .thread_name("ams-server")
        .build()
        .map_err(|_| Error::internal("Could not start the async runtime."))?;
    // Opened outside the runtime: the core blocks on its own calls, and the SQL Server engine
    // on a private runtime, which must not happen inside this one (docs/adr/0009).
    let engine = Arc::new(engine::Engine::open(&opts.open, workers)?);
    rt.block_on(async move {
        let unlocked = engine.unlocked();
        let (stop_notify, stop_rx) = tokio::sync::watch::channel(false);
        let notifier =
            opts.notify_interval.map(|i| tokio::spawn(notify::deliver_in_background(engine.clone(), i, stop_rx)));
        let app = routes::App::new(engine, opts.limits, opts.register_per_minute);
        let server = serve::Server::bind(app, tls, serve::ServeOptions { listen, ..opts.serve.clone() }).await?;
        let addr = server.local_addr()?;
        if let Some(f) = &opts.address_file {
            ams_core::instance::write_atomic(f, addr.to_string().as_bytes())?;
        }
        tracing::info!(address = %addr, workers, tls = opts.tls.is_some(), recovery_mode = !unlocked, "listening");
        let report = server.run(serve::shutdown_signal()).await;
        let _ = stop_notify.send(true);
        if let Some(n) = notifier {
            let _ = n.await;
        }
        Ok(serde_json::json!({
            "Address": addr.to_string(),
            "Stopped": true,
            "AbandonedConnections": report.abandoned,
        }))
    })
}
