//! Notification delivery: the I/O half (docs/notifications.md). Three kinds of channel:
//!
//! - [`webhook`]: an HTTPS POST of the event as JSON, signed with HMAC-SHA256 over the timestamp
//!   and the body; the server's certificate is verified (platform roots, or a CA file).
//! - [`smtp`]: an e-mail through an SMTP server with STARTTLS or implicit TLS, and AUTH when a
//!   user is set (lettre on rustls).
//! - [`script`]: a command run without a shell that gets the event JSON on stdin.
//!
//! What is sent is built by the service (`service/notifications.rs`) from the fields of an audit
//! record, which never hold secrets; [`template`] renders the named variables. Nothing here
//! touches the store.

pub mod script;
pub mod smtp;
pub mod template;
pub mod tls;
pub mod webhook;

use std::time::Duration;

/// How long one delivery attempt may take (connect, TLS, send, answer).
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// Why an attempt failed, as stored in the queue's `last_error` and shown by `ams notify queue
/// get`: a short text that names the failure, never a secret (no key, no password, no body).
pub type DeliveryError = String;

/// Cuts an error text to a length that fits a queue row.
pub(crate) fn short(s: impl Into<String>) -> String {
    let s: String = s.into();
    let mut out: String = s.chars().filter(|c| !c.is_control()).take(300).collect();
    if s.chars().count() > 300 {
        out.push('…');
    }
    out
}
