//! Security identifiers and principals. Without a directory, a principal is a SID, optionally
//! with a display name: `S-1-5-21-…-1104` or `S-1-5-21-…-1104=CORP\LapsReaders`.

use crate::error::{Error, ErrorCode, Result};

/// Parses a SID and returns its canonical form: `S-1-<authority>-<sub>…`, decimal, no leading
/// zeros. The authority may be decimal or `0x` hexadecimal (48 bits); 1 to 15 sub-authorities of
/// 32 bits each.
pub fn parse_sid(s: &str) -> Result<String> {
    let t = s.trim();
    let bad = || {
        Error::new(ErrorCode::InvalidSid, format!("'{t}' is not a valid SID."))
            .hint("A SID looks like S-1-5-21-1004336348-1177238915-682003330-512.")
            .with("sid", t)
    };
    let mut parts = t.split('-');
    if !parts.next().is_some_and(|p| p.eq_ignore_ascii_case("S")) || parts.next() != Some("1") {
        return Err(bad());
    }
    let auth_text = parts.next().ok_or_else(bad)?;
    let authority = if let Some(hex) = auth_text.strip_prefix("0x").or_else(|| auth_text.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16).map_err(|_| bad())?
    } else {
        digits(auth_text).ok_or_else(bad)?
    };
    if authority >= 1 << 48 {
        return Err(bad());
    }
    let mut out = format!("S-1-{authority}");
    let mut count = 0;
    for p in parts {
        let v = digits(p).ok_or_else(bad)?;
        if v > u64::from(u32::MAX) {
            return Err(bad());
        }
        out.push('-');
        out.push_str(&v.to_string());
        count += 1;
    }
    if !(1..=15).contains(&count) {
        return Err(bad());
    }
    Ok(out)
}

fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// True when the text looks like a SID (starts with `S-1-`), valid or not.
pub fn looks_like_sid(s: &str) -> bool {
    let t = s.trim();
    t.len() > 4 && t.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("S-1-"))
}

/// A principal as stored: canonical SID and an optional display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Canonical SID.
    pub sid: String,
    /// Name for display (given with the SID, or a well-known name).
    pub name: Option<String>,
}

/// Parses `SID` or `SID=Display name`. A name without a SID (`DOMAIN\name`, `name@domain`,
/// `name`) is refused with [`ErrorCode::NameNeedsDirectory`]: there is no directory to resolve it.
pub fn parse_principal(s: &str) -> Result<Principal> {
    let t = s.trim();
    let (sid_text, name) = match t.split_once('=') {
        Some((a, b)) => (a.trim(), Some(b.trim()).filter(|n| !n.is_empty())),
        None => (t, None),
    };
    if !looks_like_sid(sid_text) {
        if t.is_empty() {
            return Err(Error::new(ErrorCode::InvalidSid, "A principal is empty.").hint("Give a SID."));
        }
        return Err(Error::new(
            ErrorCode::NameNeedsDirectory,
            format!("'{t}' is a name; this build has no directory to resolve names to SIDs."),
        )
        .hint("Give the principal's SID, optionally with its name for display: S-1-5-21-…-1104=CORP\\LapsReaders.")
        .with("principal", t));
    }
    if let Some(n) = name
        && (n.chars().count() > 256 || n.chars().any(char::is_control))
    {
        return Err(Error::invalid(
            "A principal's display name must be at most 256 characters without control characters.",
        ));
    }
    let sid = parse_sid(sid_text)?;
    let name = name.map(str::to_string).or_else(|| well_known_name(&sid).map(str::to_string));
    Ok(Principal { sid, name })
}

/// Names of a few well-known SIDs, for display.
pub fn well_known_name(sid: &str) -> Option<&'static str> {
    Some(match sid {
        "S-1-1-0" => "Everyone",
        "S-1-5-11" => "NT AUTHORITY\\Authenticated Users",
        "S-1-5-18" => "NT AUTHORITY\\SYSTEM",
        "S-1-5-4" => "NT AUTHORITY\\INTERACTIVE",
        "S-1-5-32-544" => "BUILTIN\\Administrators",
        "S-1-5-32-545" => "BUILTIN\\Users",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sids_are_canonicalised() {
        assert_eq!(parse_sid("S-1-5-21-1-2-3-1104").unwrap(), "S-1-5-21-1-2-3-1104");
        assert_eq!(parse_sid(" s-1-5-032-544 ").unwrap(), "S-1-5-32-544");
        assert_eq!(parse_sid("S-1-0x5-18").unwrap(), "S-1-5-18");
        assert_eq!(parse_sid("S-1-4096-2-1").unwrap(), "S-1-4096-2-1");
        assert_eq!(parse_sid("S-1-1-0").unwrap(), "S-1-1-0");
    }

    #[test]
    fn bad_sids_are_refused() {
        for s in [
            "",
            "S-1",
            "S-1-5",
            "S-2-5-18",
            "X-1-5-18",
            "S-1-5-x",
            "S-1-5--18",
            "S-1-5-4294967296",
            "S-1-281474976710656-1",
            "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16",
        ] {
            assert_eq!(parse_sid(s).unwrap_err().code(), ErrorCode::InvalidSid, "{s}");
        }
    }

    #[test]
    fn principals_take_a_sid_and_an_optional_name() {
        let p = parse_principal("S-1-5-21-1-2-3-1104=CORP\\LapsReaders").unwrap();
        assert_eq!(p.sid, "S-1-5-21-1-2-3-1104");
        assert_eq!(p.name.as_deref(), Some("CORP\\LapsReaders"));
        assert_eq!(parse_principal("S-1-5-32-544").unwrap().name.as_deref(), Some("BUILTIN\\Administrators"));
        assert_eq!(parse_principal("S-1-5-21-9").unwrap().name, None);
        for name in ["CORP\\LapsReaders", "reader@corp.example", "LapsReaders"] {
            assert_eq!(parse_principal(name).unwrap_err().code(), ErrorCode::NameNeedsDirectory, "{name}");
        }
        assert_eq!(parse_principal("S-1-5-bad").unwrap_err().code(), ErrorCode::InvalidSid);
        assert_eq!(parse_principal("").unwrap_err().code(), ErrorCode::InvalidSid);
    }
}
