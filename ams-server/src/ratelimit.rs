//! Per-address fixed-window rate limits (registration). In memory: each host limits what reaches
//! it. The table is bounded: when it is full, expired windows are dropped first, then the
//! oldest.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most addresses tracked at once.
const MAX_TRACKED: usize = 100_000;

/// What a limiter decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// Refused; `first` is true for the first refusal of this window (audited; later ones only
    /// logged, so a flood cannot fill the audit trail).
    Refuse {
        /// First refusal in this window.
        first: bool,
        /// Seconds until the window ends.
        retry_after: u64,
    },
}

/// A fixed-window counter per address.
#[derive(Debug)]
pub struct RateLimiter {
    per_window: u32,
    window: Duration,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl RateLimiter {
    /// `per_window` requests per address per `window`; 0 turns the limit off.
    pub fn new(per_window: u32, window: Duration) -> Self {
        RateLimiter { per_window, window, seen: Mutex::new(HashMap::new()) }
    }

    /// Counts a request from `ip`.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Decision {
        if self.per_window == 0 {
            return Decision::Allow;
        }
        let Ok(mut seen) = self.seen.lock() else {
            return Decision::Allow;
        };
        if seen.len() >= MAX_TRACKED && !seen.contains_key(&ip) {
            let window = self.window;
            seen.retain(|_, (start, _)| now.duration_since(*start) < window);
            if seen.len() >= MAX_TRACKED
                && let Some(oldest) = seen.iter().min_by_key(|(_, (s, _))| *s).map(|(k, _)| *k)
            {
                seen.remove(&oldest);
            }
        }
        let entry = seen.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        if entry.1 <= self.per_window {
            Decision::Allow
        } else {
            let left = self.window.saturating_sub(now.duration_since(entry.0));
            Decision::Refuse { first: entry.1 == self.per_window + 1, retry_after: left.as_secs().max(1) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_count_per_address() {
        let l = RateLimiter::new(2, Duration::from_secs(60));
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "::1".parse().unwrap();
        let t = Instant::now();
        assert_eq!(l.check(a, t), Decision::Allow);
        assert_eq!(l.check(a, t), Decision::Allow);
        assert!(matches!(l.check(a, t), Decision::Refuse { first: true, .. }));
        assert!(matches!(l.check(a, t), Decision::Refuse { first: false, .. }));
        assert_eq!(l.check(b, t), Decision::Allow);
        assert_eq!(l.check(a, t + Duration::from_secs(61)), Decision::Allow);
        assert_eq!(RateLimiter::new(0, Duration::from_secs(1)).check(a, t), Decision::Allow);
    }
}
