//! The script channel: a command (a program path and fixed arguments, no shell) that gets the
//! event JSON on stdin. Nothing from the event reaches its command line or environment, so
//! nothing in an event can be interpreted by a shell. Exit status 0 is a delivery. It runs with
//! a cleared environment (only PATH, and AMS_NOTIFICATION_ID: the queue message id) and is
//! killed when it runs longer than its timeout.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{DeliveryError, short};

/// One run.
pub struct ScriptRun<'a> {
    /// The program (an absolute path).
    pub program: &'a Path,
    /// Its fixed arguments.
    pub args: &'a [String],
    /// How long it may run.
    pub timeout: Duration,
    /// The queue message id.
    pub delivery_id: &'a str,
    /// The JSON document written to its stdin.
    pub stdin: &'a [u8],
}

/// Runs the script; `Ok` when it exits with status 0 in time.
pub fn run(s: &ScriptRun<'_>) -> std::result::Result<(), DeliveryError> {
    let mut cmd = Command::new(s.program);
    cmd.args(s.args)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("AMS_NOTIFICATION_ID", s.delivery_id)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(dir) = s.program.parent() {
        cmd.current_dir(dir);
    }
    let mut child = cmd.spawn().map_err(|e| short(format!("{} cannot be started: {e}", s.program.display())))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A script that exits without reading its input is judged by its exit status alone.
        let _ = stdin.write_all(s.stdin);
    }
    let deadline = Instant::now() + s.timeout;
    loop {
        match child.try_wait() {
            Ok(Some(st)) if st.success() => return Ok(()),
            Ok(Some(st)) => return Err(format!("{} exited with {st}", s.program.display())),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{} ran longer than {} s and was stopped",
                    s.program.display(),
                    s.timeout.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(short(format!("waiting for {} failed: {e}", s.program.display()))),
        }
    }
}
