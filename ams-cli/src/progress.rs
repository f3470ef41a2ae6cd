//! A small progress bar on stderr for long database operations. It is drawn only when stderr is
//! a terminal and the work is large; stdout (the JSON result) never sees it.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use ams_core::service::backup::Progress;

/// Work smaller than this finishes too fast for a bar to help.
const MIN_BYTES: u64 = 32 << 20;
/// Redraw at most this often.
const EVERY: Duration = Duration::from_millis(100);
const WIDTH: usize = 30;

/// A progress bar; inert when stderr is not a terminal.
pub struct Bar {
    enabled: bool,
    last: Option<Instant>,
    drawn: bool,
}

impl Bar {
    /// A bar that draws only when stderr is a terminal (and `TERM` is not `dumb`).
    pub fn for_stderr() -> Bar {
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        Bar { enabled: std::io::stderr().is_terminal() && !dumb, last: None, drawn: false }
    }

    /// Takes one progress report.
    pub fn update(&mut self, p: Progress) {
        if !self.enabled || p.total < MIN_BYTES {
            return;
        }
        let now = Instant::now();
        if p.done < p.total && self.last.is_some_and(|t| now.duration_since(t) < EVERY) {
            return;
        }
        self.last = Some(now);
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{}", render(p.phase.label(), p.done, p.total));
        let _ = err.flush();
        self.drawn = true;
    }

    /// Clears the bar's line.
    pub fn finish(&mut self) {
        if self.drawn {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.drawn = false;
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.finish();
    }
}

/// One line of the bar: `copying  [#########.....................]  30%   12.0/40.0 MiB`.
pub fn render(label: &str, done: u64, total: u64) -> String {
    let done = done.min(total);
    let frac = if total == 0 { 1.0 } else { done as f64 / total as f64 };
    let filled = ((frac * WIDTH as f64).round() as usize).min(WIDTH);
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    format!(
        "{label:<9}[{}{}] {:>3}% {:>8.1}/{:.1} MiB",
        "#".repeat(filled),
        ".".repeat(WIDTH - filled),
        (frac * 100.0).floor() as u64,
        mib(done),
        mib(total)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_line_shows_phase_share_and_sizes() {
        let l = render("copying", 3 << 20, 12 << 20);
        assert_eq!(l, "copying  [########......................]  25%      3.0/12.0 MiB");
        assert!(render("writing", 5, 5).contains("100%"));
        assert!(render("reading", 0, 0).contains("100%"));
    }
}
