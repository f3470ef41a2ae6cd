//! Per-step timestamps of backup, verify and restore, for profiling (issue 14).
//!
//! With `AMS_PROFILE_STEPS=1` in the environment each step's wall time is written to stderr as
//! `ams-steps: <operation> <step> <ms> ms`. The labels are fixed strings of this module's
//! callers: nothing from the database, the backup file or its keys is ever printed.

use std::time::Instant;

/// The environment variable that turns the step timestamps on.
pub const PROFILE_ENV: &str = "AMS_PROFILE_STEPS";

/// Times the steps of one operation.
pub(crate) struct Steps {
    op: &'static str,
    on: bool,
    start: Instant,
    last: Instant,
}

impl Steps {
    /// Starts timing `op` (`backup`, `verify`, `restore`).
    pub(crate) fn new(op: &'static str) -> Steps {
        let on = std::env::var_os(PROFILE_ENV).is_some_and(|v| !v.is_empty() && v != "0");
        let now = Instant::now();
        Steps { op, on, start: now, last: now }
    }

    /// Records the end of `step` (the time since the previous mark).
    pub(crate) fn mark(&mut self, step: &'static str) {
        if self.on {
            let now = Instant::now();
            eprintln!("ams-steps: {} {step} {:.1} ms", self.op, (now - self.last).as_secs_f64() * 1000.0);
            self.last = now;
        }
    }
}

impl Drop for Steps {
    fn drop(&mut self) {
        if self.on {
            eprintln!("ams-steps: {} total {:.1} ms", self.op, self.start.elapsed().as_secs_f64() * 1000.0);
        }
    }
}
