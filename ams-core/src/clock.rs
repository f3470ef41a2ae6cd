//! Time comes in through a [`Clock`], so expiry, retention and rotation are testable.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A source of the current time (UTC).
pub trait Clock: Send + Sync {
    /// The current time in UTC.
    fn now(&self) -> OffsetDateTime;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one place that reads the wall clock
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that stands still until moved; for tests and for replaying.
#[derive(Debug, Clone)]
pub struct FixedClock(Arc<AtomicI64>);

impl FixedClock {
    /// A clock showing `at` (truncated to microseconds).
    pub fn new(at: OffsetDateTime) -> Self {
        FixedClock(Arc::new(AtomicI64::new((at.unix_timestamp_nanos() / 1000) as i64)))
    }
    /// Moves the clock forward.
    pub fn advance(&self, by: time::Duration) {
        self.0.fetch_add(by.whole_microseconds() as i64, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        let micros = self.0.load(Ordering::SeqCst);
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

/// Formats a time the way the database and JSON output store it: RFC 3339, UTC, microseconds,
/// fixed width (so text order is time order).
pub fn format_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

/// Parses an RFC 3339 time.
pub fn parse_time(s: &str) -> crate::Result<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339)
        .map(|t| t.to_offset(time::UtcOffset::UTC))
        .map_err(|_| crate::Error::invalid(format!("'{s}' is not an RFC 3339 time.")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_is_fixed_width_and_round_trips() {
        let t = time::macros::datetime!(2026-01-02 03:04:05.000007 UTC);
        let s = format_time(t);
        assert_eq!(s, "2026-01-02T03:04:05.000007Z");
        assert_eq!(parse_time(&s).unwrap(), t);
    }

    #[test]
    fn fixed_clock_advances() {
        let c = FixedClock::new(time::macros::datetime!(2026-01-01 0:00 UTC));
        c.advance(time::Duration::days(2));
        assert_eq!(c.now(), time::macros::datetime!(2026-01-03 0:00 UTC));
    }
}
