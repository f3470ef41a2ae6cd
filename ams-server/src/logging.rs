//! Structured logs (`tracing`): human-readable lines on stderr, JSON lines in the host
//! configuration's LogPath. Fields are identifiers, codes and timings only; the server never logs
//! a token, a request body, a query string or a secret.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ams_core::{Error, Result};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, fmt};

/// The log file name inside a LogPath folder.
pub const LOG_FILE: &str = "ams-server.log";

/// Where logs go.
#[derive(Debug, Clone)]
pub struct LogOptions {
    /// Level on stderr (`None`: nothing on stderr).
    pub stderr: Option<LevelFilter>,
    /// Level in the log file.
    pub file_level: LevelFilter,
    /// LogPath: a file, or a folder that gets [`LOG_FILE`].
    pub log_path: Option<PathBuf>,
}

/// The file a LogPath names: itself, or [`LOG_FILE`] inside it when it is a folder.
pub fn log_file(log_path: &Path) -> PathBuf {
    if log_path.is_dir() || log_path.as_os_str().to_string_lossy().ends_with(['/', '\\']) {
        log_path.join(LOG_FILE)
    } else {
        log_path.to_path_buf()
    }
}

fn targets(level: LevelFilter) -> Targets {
    // Our own crates at `level`; libraries only when they warn.
    Targets::new()
        .with_default(LevelFilter::WARN.min(level))
        .with_target("ams", level)
        .with_target("ams_server", level)
        .with_target("ams_core", level)
        .with_target("ams_cli", level)
}

/// Installs the global subscriber. Calling it twice is harmless (the first one stays).
pub fn init(opts: &LogOptions) -> Result<()> {
    let stderr_layer = opts.stderr.map(|lvl| {
        fmt::layer().with_writer(std::io::stderr).with_ansi(false).with_target(true).compact().with_filter(targets(lvl))
    });
    let file_layer = match &opts.log_path {
        Some(p) => {
            let path = log_file(p);
            if let Some(parent) = path.parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent).map_err(|e| Error::from(e).with("path", parent.display()))?;
            }
            let mut o = OpenOptions::new();
            o.create(true).append(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                o.mode(0o640);
            }
            let f = o.open(&path).map_err(|e| Error::from(e).with("path", path.display()))?;
            Some(
                fmt::layer()
                    .json()
                    .with_writer(Mutex::new(f))
                    .with_current_span(false)
                    .with_filter(targets(opts.file_level)),
            )
        }
        None => None,
    };
    let _ = tracing_subscriber::registry().with(stderr_layer).with(file_layer).try_init();
    Ok(())
}
