//! Durations and dates as people type them.
//!
//! Durations follow PowerShell's `TimeSpan` text (`1:00:00`, `8:30:00`, `1.02:03:04`, `0:45`,
//! `2` for two days) and ISO 8601 (`PT1H30M`, `P2D`, `P1W`). They print the way PowerShell prints
//! a `TimeSpan`: `01:00:00`, `1.02:03:04`. Dates are RFC 3339 or `yyyy-mm-dd` (midnight UTC).

use time::{Duration, OffsetDateTime};

use crate::error::{Error, ErrorCode, Result};

/// The longest duration accepted anywhere (ten years).
pub const MAX_DURATION: Duration = Duration::days(3650);

fn invalid(s: &str) -> Error {
    Error::new(ErrorCode::DurationInvalid, format!("'{s}' is not a valid duration."))
        .hint("Write durations like 1:00:00 (one hour), 1.00:00:00 (one day), 0:30 (30 minutes) or PT1H30M.")
        .with("duration", s)
}

/// Parses a duration; it must be positive and at most [`MAX_DURATION`].
pub fn parse_duration(s: &str) -> Result<Duration> {
    let t = s.trim();
    let d = if t.starts_with(['P', 'p']) { parse_iso(t) } else { parse_timespan(t) }.ok_or_else(|| invalid(t))?;
    if d <= Duration::ZERO || d > MAX_DURATION {
        return Err(Error::new(
            ErrorCode::DurationInvalid,
            format!("The duration '{t}' must be longer than zero and at most ten years."),
        )
        .with("duration", t));
    }
    Ok(d)
}

fn num(s: &str, max: i64) -> Option<i64> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().filter(|v| *v <= max)
}

/// `[d.]h:mm[:ss[.fffffff]]` or `d`.
fn parse_timespan(t: &str) -> Option<Duration> {
    if !t.contains(':') {
        return num(t, 36_500).map(Duration::days);
    }
    let (days, rest) = match t.split_once('.') {
        Some((d, r)) if !d.contains(':') => (num(d, 36_500)?, r),
        _ => (0, t),
    };
    let fields: Vec<&str> = rest.split(':').collect();
    let (h, m, sec) = match fields.as_slice() {
        [h, m] => (*h, *m, "0"),
        [h, m, s] => (*h, *m, *s),
        _ => return None,
    };
    let (sec, frac) = match sec.split_once('.') {
        Some((s, f)) => (s, f),
        None => (sec, ""),
    };
    let nanos = if frac.is_empty() {
        0
    } else {
        if frac.len() > 7 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        format!("{frac:0<9}").parse::<i64>().ok()?
    };
    Some(
        Duration::days(days)
            + Duration::hours(num(h, 23)?)
            + Duration::minutes(num(m, 59)?)
            + Duration::seconds(num(sec, 59)?)
            + Duration::nanoseconds(nanos),
    )
}

/// `P[nW][nD][T[nH][nM][nS]]` (no years or months: their length varies).
fn parse_iso(t: &str) -> Option<Duration> {
    let body = t.get(1..)?;
    let (date, time) = match body.split_once(['T', 't']) {
        Some((d, tm)) => (d, Some(tm)),
        None => (body, None),
    };
    let mut total = Duration::ZERO;
    let mut any = false;
    let mut take = |part: &str, units: &[(char, i64)]| -> Option<()> {
        let mut n = String::new();
        let mut last = 0usize;
        for ch in part.chars() {
            if ch.is_ascii_digit() {
                n.push(ch);
                continue;
            }
            let pos = units.iter().position(|(u, _)| u.eq_ignore_ascii_case(&ch))?;
            if pos < last || n.is_empty() {
                return None;
            }
            let (_, secs) = units.get(pos)?;
            total += Duration::seconds(num(&n, 100_000_000)?.checked_mul(*secs)?);
            n.clear();
            last = pos + 1;
            any = true;
        }
        n.is_empty().then_some(())
    };
    take(date, &[('W', 604_800), ('D', 86_400)])?;
    if let Some(tm) = time {
        if tm.is_empty() {
            return None;
        }
        take(tm, &[('H', 3600), ('M', 60), ('S', 1)])?;
    }
    any.then_some(total)
}

/// Formats a duration the way PowerShell prints a `TimeSpan`: `[d.]hh:mm:ss[.fffffff]`.
pub fn format_duration(d: Duration) -> String {
    let total = d.whole_seconds().max(0);
    let (days, rem) = (total / 86_400, total % 86_400);
    let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    let ticks = (d.subsec_nanoseconds().max(0) / 100) as i64;
    let mut out = if days > 0 { format!("{days}.{h:02}:{m:02}:{s:02}") } else { format!("{h:02}:{m:02}:{s:02}") };
    if ticks > 0 {
        out.push_str(&format!(".{ticks:07}"));
    }
    out
}

/// Parses a date: RFC 3339 (`2026-03-01T12:00:00Z`), a date and time without an offset (taken
/// as UTC), or `yyyy-mm-dd` (midnight UTC).
pub fn parse_date(s: &str) -> Result<OffsetDateTime> {
    let t = s.trim();
    let bad = || {
        Error::new(ErrorCode::ExpiryInvalid, format!("'{t}' is not a date."))
            .hint("Write dates as yyyy-mm-dd (midnight UTC) or RFC 3339, e.g. 2026-03-01T17:00:00Z.")
            .with("date", t)
    };
    if let Ok(d) = crate::clock::parse_time(t) {
        return Ok(d);
    }
    if let Ok(d) = crate::clock::parse_time(&format!("{t}Z")) {
        return Ok(d);
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(t, &fmt).map(|d| d.midnight().assume_utc()).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powershell_timespans() {
        assert_eq!(parse_duration("1:00:00").unwrap(), Duration::hours(1));
        assert_eq!(parse_duration("8:30:00").unwrap(), Duration::minutes(510));
        assert_eq!(parse_duration("01:00:00").unwrap(), Duration::hours(1));
        assert_eq!(parse_duration("0:45").unwrap(), Duration::minutes(45));
        assert_eq!(parse_duration("1.02:03:04").unwrap(), Duration::seconds(93_784));
        assert_eq!(parse_duration("2").unwrap(), Duration::days(2));
        assert_eq!(parse_duration("00:00:01.5").unwrap(), Duration::milliseconds(1500));
        for bad in ["", "abc", "1:60:00", "24:00:00", "1:00:00:00", "-1:00:00", "1.5", "0:00:00", "3651", "1:0x:00"] {
            assert_eq!(parse_duration(bad).unwrap_err().code(), ErrorCode::DurationInvalid, "{bad}");
        }
    }

    #[test]
    fn iso_durations() {
        assert_eq!(parse_duration("PT1H30M").unwrap(), Duration::minutes(90));
        assert_eq!(parse_duration("P2D").unwrap(), Duration::days(2));
        assert_eq!(parse_duration("P1W").unwrap(), Duration::days(7));
        assert_eq!(parse_duration("P1DT12H").unwrap(), Duration::hours(36));
        assert_eq!(parse_duration("pt90s").unwrap(), Duration::seconds(90));
        for bad in ["P", "PT", "P1Y", "P1M", "PT1M1H", "P1H", "PTH", "P1DT"] {
            assert_eq!(parse_duration(bad).unwrap_err().code(), ErrorCode::DurationInvalid, "{bad}");
        }
    }

    #[test]
    fn formats_like_powershell() {
        assert_eq!(format_duration(Duration::hours(1)), "01:00:00");
        assert_eq!(format_duration(Duration::minutes(510)), "08:30:00");
        assert_eq!(format_duration(Duration::seconds(93_784)), "1.02:03:04");
        assert_eq!(format_duration(Duration::milliseconds(1500)), "00:00:01.5000000");
        for s in ["01:00:00", "1.02:03:04", "00:00:01.5000000"] {
            assert_eq!(format_duration(parse_duration(s).unwrap()), s);
        }
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("2026-03-01").unwrap(), time::macros::datetime!(2026-03-01 0:00 UTC));
        assert_eq!(parse_date("2026-03-01T17:30:00+02:00").unwrap(), time::macros::datetime!(2026-03-01 15:30 UTC));
        assert_eq!(parse_date("2026-03-01T17:30:00").unwrap(), time::macros::datetime!(2026-03-01 17:30 UTC));
        assert_eq!(parse_date("next tuesday").unwrap_err().code(), ErrorCode::ExpiryInvalid);
    }
}
