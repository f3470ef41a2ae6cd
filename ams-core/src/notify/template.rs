//! Templates with named variables: `{{Name}}` is replaced by the event's value of `Name` (an
//! empty string when the event has none). The variables are [`VARIABLES`]; a template naming any
//! other is refused when the channel is saved.

use crate::error::{Error, ErrorCode, Result};

/// Every variable a template may name, with what it holds (docs/notifications.md).
pub const VARIABLES: &[(&str, &str)] = &[
    ("EventId", "the audit record's id"),
    ("Seq", "the audit record's sequence number"),
    ("Time", "when it happened (RFC 3339, UTC)"),
    ("Event", "the audit event, e.g. access.request"),
    ("Outcome", "success, failure or denied"),
    ("Actor", "who ran the command (the OS user or the front end)"),
    ("User", "the user the access was for (SID), when the event names one"),
    ("Computer", "the computer's name, when the event is about a device"),
    ("ComputerId", "the device id, when the event is about a device"),
    ("AccessType", "which access (Laps, LapsHistory, BitLocker, Jit, ...), when the event names one"),
    ("Reason", "the reason the requester gave"),
    ("Rule", "the id of the rule that decided"),
    ("Code", "the decision code (e.g. Success, NoMatchingRuleForUser)"),
    ("TargetType", "the kind of object the event is about"),
    ("TargetId", "the id of the object the event is about"),
    ("Channel", "the channel's name"),
];

/// The default e-mail subject.
pub const DEFAULT_SUBJECT: &str = "[ams] {{Event}} {{Outcome}}: {{Computer}} {{AccessType}}";

/// The default body (e-mail text; the `Message` field of webhook and script JSON).
pub const DEFAULT_BODY: &str = "ams audit event {{Event}} ({{Outcome}})\n\
Time: {{Time}}\nActor: {{Actor}}\nUser: {{User}}\nComputer: {{Computer}}\nAccess: {{AccessType}}\n\
Reason: {{Reason}}\nRule: {{Rule}}\nCode: {{Code}}\nEvent id: {{EventId}}\n";

/// Splits a template into literal text and variable names; refuses unknown variables and
/// unclosed braces.
fn parse(t: &str) -> Result<Vec<(bool, &str)>> {
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(start) = rest.find("{{") {
        out.push((false, &rest[..start]));
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| invalid("a '{{' has no closing '}}'".to_string()))?;
        let name = after[..end].trim();
        if !VARIABLES.iter().any(|(v, _)| *v == name) {
            return Err(invalid(format!("'{{{{{name}}}}}' is not a known variable")));
        }
        out.push((true, name));
        rest = &after[end + 2..];
    }
    out.push((false, rest));
    Ok(out)
}

fn invalid(why: String) -> Error {
    Error::new(ErrorCode::NotificationChannelInvalid, format!("The template is not valid: {why}.")).hint(format!(
        "Use {{{{Name}}}} with one of: {}.",
        VARIABLES.iter().map(|(v, _)| *v).collect::<Vec<_>>().join(", ")
    ))
}

/// Checks a template (at most 8,000 characters, known variables only).
pub fn check(t: &str) -> Result<()> {
    if t.chars().count() > 8000 {
        return Err(invalid("it is longer than 8,000 characters".into()));
    }
    parse(t).map(|_| ())
}

/// Renders a template with the event's variables (a JSON object); a missing or null value is
/// empty. `one_line` drops line breaks from values (for a subject line).
pub fn render(t: &str, vars: &serde_json::Value, one_line: bool) -> Result<String> {
    let mut out = String::with_capacity(t.len() + 64);
    for (is_var, s) in parse(t)? {
        if !is_var {
            out.push_str(s);
            continue;
        }
        let v = match vars.get(s) {
            None | Some(serde_json::Value::Null) => String::new(),
            Some(serde_json::Value::String(x)) => x.clone(),
            Some(other) => other.to_string(),
        };
        if one_line {
            out.extend(v.chars().map(|c| if c.is_control() { ' ' } else { c }));
        } else {
            out.push_str(&v);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_known_variables_and_refuses_others() {
        let vars = serde_json::json!({"Event": "access.request", "Outcome": "success", "Seq": 7, "Reason": "a\nb"});
        assert_eq!(
            render("{{Event}}/{{ Outcome }}/{{Seq}}/{{User}}", &vars, false).unwrap(),
            "access.request/success/7/"
        );
        assert_eq!(render("{{Reason}}", &vars, true).unwrap(), "a b");
        assert!(check("{{Password}}").is_err());
        assert!(check("{{Event").is_err());
        check(DEFAULT_SUBJECT).unwrap();
        check(DEFAULT_BODY).unwrap();
    }
}
