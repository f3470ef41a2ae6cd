//! Notification channels and delivery (docs/notifications.md, docs/adr/0013-notifications.md).
//!
//! - **Channels** (`ams notification-channel new|get|set|remove|test`): a webhook, an SMTP
//!   server or a script, with templates, its own routes (event prefixes and outcomes) and a retry
//!   policy. Its one secret (the webhook's HMAC key, the SMTP password) comes on stdin and is
//!   sealed under the master key in `notification_channels.sealed_secret`, bound to the row.
//! - **Queueing** ([`enqueue`]): `audit::record` calls it in the audit record's transaction, so a
//!   message exists exactly when its audit record does: nothing is lost on a crash after the
//!   commit, and nothing is sent before it. A record goes to every enabled channel that routes
//!   its event and outcome, and to the channels the deciding rule names (`notify_success` for
//!   success, `notify_failure` for failure and denied).
//! - **Delivery** ([`Ams::notify_run_due`]; `ams notify run-due`, and `ams server run` in the
//!   background): at least once. A run claims each due message with a conditional UPDATE (the
//!   message as read), so two runs never send one message at the same time; a run that dies
//!   leaves the message claimed until its lease ends, then it is due again. A failed attempt is
//!   retried after `retry_seconds * 2^(attempts-1)` (at most 6 hours); after `max_attempts` the
//!   message is dead-lettered and audited.
//! - **No secrets**: a message is built only from the fields of the audit record (which never
//!   hold secrets, by the audit trail's own rule) and the computer's name; the channel secret is
//!   used to sign or log in, never put in a message, an error or an output.

use std::path::{Path, PathBuf};
use std::time::Duration as StdDuration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use crate::ams::Ams;
use crate::clock::{format_time, parse_time};
use crate::crypto::seal::new_id;
use crate::error::{Error, ErrorCode, Result};
use crate::notify::smtp::{Mail, SmtpSecurity};
use crate::notify::webhook::{WebhookRequest, WebhookUrl};
use crate::notify::{DeliveryError, script, smtp, template, webhook};
use crate::service::audit::{self, Event, Outcome};
use crate::service::keys::{Keyring, sealed_binding};
use crate::store::{
    AuditRow, NotificationChannelRow, NotificationFilter, NotificationRow, ReadTx, SealedColumn, Tx, on_unique,
};

/// Channel kinds.
pub const KINDS: &[&str] = &["Webhook", "Smtp", "Script"];
/// Outcomes a route can name.
pub const OUTCOMES: &[&str] = &["success", "failure", "denied"];
/// Queue states.
pub const STATES: &[&str] = &["Pending", "Sending", "Delivered", "DeadLetter"];
/// Events under this prefix are about delivery itself and are never routed (no loops).
pub const UNROUTED_PREFIX: &str = "notification.";
/// How long a run may work on one message before another run may take it (after a crash).
pub const CLAIM_LEASE: Duration = Duration::minutes(5);
/// The longest wait between two attempts.
pub const MAX_BACKOFF: Duration = Duration::hours(6);
/// Messages one run claims at most.
pub const RUN_LIMIT: u32 = 500;
/// Defaults of a new channel.
pub const DEFAULT_MAX_ATTEMPTS: i64 = 10;
/// The first retry's delay (seconds) of a new channel.
pub const DEFAULT_RETRY_SECONDS: i64 = 60;

// ---------------------------------------------------------------------------------------------
// Channel settings

/// A channel's kind-specific settings, as stored (JSON) and shown. Never a secret.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ChannelSettings {
    /// Webhook: the https:// URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Webhook and SMTP: a PEM file of the CA certificates to trust instead of the platform's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// SMTP: server host name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_host: Option<String>,
    /// SMTP: port (default 587 for StartTls, 465 for Implicit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_port: Option<u16>,
    /// SMTP: `StartTls` or `Implicit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_security: Option<String>,
    /// SMTP: user name for AUTH (the password is the channel secret).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_user: Option<String>,
    /// SMTP: sender address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// SMTP: recipients.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
    /// Script: the program (absolute path).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Script: fixed arguments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Script: how long it may run (seconds, default 30).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
}

/// What `new` and `set` change (`None`: keep, or the default for `new`).
#[derive(Debug, Clone, Default)]
pub struct ChannelChanges {
    /// New name (`set` renames).
    pub name: Option<String>,
    /// `webhook`, `smtp` or `script` (only for `new`).
    pub kind: Option<String>,
    /// Enabled.
    pub enabled: Option<bool>,
    /// Webhook URL.
    pub url: Option<String>,
    /// CA file (empty: back to the platform's roots).
    pub ca_file: Option<String>,
    /// SMTP host.
    pub smtp_host: Option<String>,
    /// SMTP port.
    pub smtp_port: Option<u16>,
    /// SMTP security.
    pub smtp_security: Option<String>,
    /// SMTP user (empty: no AUTH).
    pub smtp_user: Option<String>,
    /// Sender.
    pub from: Option<String>,
    /// Recipients.
    pub to: Option<Vec<String>>,
    /// Script program.
    pub command: Option<String>,
    /// Script arguments.
    pub args: Option<Vec<String>>,
    /// Script timeout.
    pub timeout_seconds: Option<u64>,
    /// Event prefixes routed to this channel on its own (`*` for every event).
    pub route_events: Option<Vec<String>>,
    /// Outcomes routed (default: all three).
    pub route_outcomes: Option<Vec<String>>,
    /// Subject template (empty: the default).
    pub subject_template: Option<String>,
    /// Body template (empty: the default).
    pub body_template: Option<String>,
    /// Attempts before dead-lettering.
    pub max_attempts: Option<i64>,
    /// First retry delay in seconds.
    pub retry_seconds: Option<i64>,
    /// Forget the stored secret (SMTP without AUTH).
    pub clear_secret: bool,
}

/// A channel as shown (never the secret).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChannelInfo {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: String,
    /// Enabled.
    pub enabled: bool,
    /// Kind-specific settings.
    pub settings: ChannelSettings,
    /// Event prefixes routed on its own.
    pub route_events: Vec<String>,
    /// Outcomes routed on its own.
    pub route_outcomes: Vec<String>,
    /// Subject template in force.
    pub subject_template: String,
    /// Body template in force.
    pub body_template: String,
    /// Attempts before dead-lettering.
    pub max_attempts: i64,
    /// First retry delay (seconds).
    pub retry_seconds: i64,
    /// Whether a secret (HMAC key or SMTP password) is stored, sealed.
    pub secret_set: bool,
    /// Created at.
    pub created_at: String,
    /// Last changed at.
    pub modified_at: String,
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorCode::NotificationChannelInvalid, msg)
        .hint("See docs/notifications.md for each kind's settings; run `ams notification-channel new --help`.")
}

fn text(v: &str, what: &str, max: usize) -> Result<String> {
    let t = v.trim();
    if t.is_empty() || t.chars().count() > max || t.chars().any(char::is_control) {
        return Err(invalid(format!("The {what} must be 1 to {max} characters without control characters.")));
    }
    Ok(t.to_string())
}

fn parse_kind(s: &str) -> Result<&'static str> {
    KINDS
        .iter()
        .copied()
        .find(|k| k.eq_ignore_ascii_case(s))
        .ok_or_else(|| invalid(format!("'{s}' is not a channel kind.")).hint("Use webhook, smtp or script."))
}

fn list_json(v: &[String]) -> Result<String> {
    serde_json::to_string(v).map_err(|_| Error::internal("list"))
}

fn list_of(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

fn check_routes(events: &[String], outcomes: &[String]) -> Result<(Vec<String>, Vec<String>)> {
    let mut ev = Vec::new();
    for e in events {
        let e = text(e, "route event", 200)?;
        if e != "*" && !e.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
            return Err(invalid(format!("'{e}' is not an event prefix (letters, digits, '.', '_', '-'; or '*').")));
        }
        if e.starts_with(UNROUTED_PREFIX) {
            return Err(invalid("Events about notification delivery are never routed (they could loop)."));
        }
        if !ev.contains(&e) {
            ev.push(e);
        }
    }
    let mut out = Vec::new();
    for o in outcomes {
        let o = o.trim().to_ascii_lowercase();
        if !OUTCOMES.contains(&o.as_str()) {
            return Err(invalid(format!("'{o}' is not an outcome.")).hint("Use success, failure or denied."));
        }
        if !out.contains(&o) {
            out.push(o);
        }
    }
    Ok((ev, out))
}

/// Checks the settings for the kind; returns whether the kind needs a secret.
fn check_settings(kind: &str, s: &ChannelSettings) -> Result<()> {
    let absent = |set: bool, what: &str| -> Result<()> {
        if set { Err(invalid(format!("A {kind} channel has no {what}."))) } else { Ok(()) }
    };
    if let Some(p) = &s.ca_file {
        text(p, "CA file", 4096)?;
        if !Path::new(p).is_absolute() {
            return Err(invalid("The CA file must be an absolute path."));
        }
    }
    match kind {
        "Webhook" => {
            WebhookUrl::parse(s.url.as_deref().ok_or_else(|| invalid("A webhook channel needs --url."))?)?;
            absent(s.smtp_host.is_some() || s.from.is_some() || !s.to.is_empty(), "SMTP settings")?;
            absent(s.command.is_some() || !s.args.is_empty(), "command")?;
        }
        "Smtp" => {
            let host = s.smtp_host.as_deref().ok_or_else(|| invalid("An SMTP channel needs --smtp-host."))?;
            text(host, "SMTP host", 253)?;
            if s.smtp_port == Some(0) {
                return Err(invalid("The SMTP port must be 1 to 65535."));
            }
            SmtpSecurity::parse(s.smtp_security.as_deref().unwrap_or("starttls"))?;
            smtp::check_address(s.from.as_deref().ok_or_else(|| invalid("An SMTP channel needs --from."))?)?;
            if s.to.is_empty() {
                return Err(invalid("An SMTP channel needs at least one --to address."));
            }
            for t in &s.to {
                smtp::check_address(t)?;
            }
            if let Some(u) = &s.smtp_user {
                text(u, "SMTP user", 256)?;
            }
            absent(s.url.is_some(), "URL")?;
            absent(s.command.is_some() || !s.args.is_empty(), "command")?;
        }
        "Script" => {
            let c = s.command.as_deref().ok_or_else(|| invalid("A script channel needs --command."))?;
            text(c, "command", 4096)?;
            if !Path::new(c).is_absolute() {
                return Err(invalid("The command must be an absolute path (it is run without a shell)."));
            }
            if s.args.len() > 64 || s.args.iter().any(|a| a.chars().count() > 4096 || a.contains('\0')) {
                return Err(invalid("At most 64 arguments of at most 4,096 characters each."));
            }
            if s.timeout_seconds.is_some_and(|t| !(1..=3600).contains(&t)) {
                return Err(invalid("The script timeout must be 1 to 3600 seconds."));
            }
            absent(s.url.is_some() || s.ca_file.is_some(), "URL or CA file")?;
            absent(s.smtp_host.is_some() || s.from.is_some() || !s.to.is_empty(), "SMTP settings")?;
        }
        _ => return Err(invalid("unknown kind")),
    }
    Ok(())
}

fn empty_to_none(v: String) -> Option<String> {
    let t = v.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn apply(kind: &str, s: &mut ChannelSettings, ch: &ChannelChanges) {
    let _ = kind;
    if let Some(v) = &ch.url {
        s.url = empty_to_none(v.clone());
    }
    if let Some(v) = &ch.ca_file {
        s.ca_file = empty_to_none(v.clone());
    }
    if let Some(v) = &ch.smtp_host {
        s.smtp_host = empty_to_none(v.clone());
    }
    if ch.smtp_port.is_some() {
        s.smtp_port = ch.smtp_port;
    }
    if let Some(v) = &ch.smtp_security {
        s.smtp_security = SmtpSecurity::parse(v).ok().map(|x| x.as_str().to_string()).or(Some(v.clone()));
    }
    if let Some(v) = &ch.smtp_user {
        s.smtp_user = empty_to_none(v.clone());
    }
    if let Some(v) = &ch.from {
        s.from = empty_to_none(v.clone());
    }
    if let Some(v) = &ch.to {
        s.to = v.iter().map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect();
    }
    if let Some(v) = &ch.command {
        s.command = empty_to_none(v.clone());
    }
    if let Some(v) = &ch.args {
        s.args = v.clone();
    }
    if ch.timeout_seconds.is_some() {
        s.timeout_seconds = ch.timeout_seconds;
    }
}

fn settings_of(row: &NotificationChannelRow) -> Result<ChannelSettings> {
    serde_json::from_str(&row.settings).map_err(|_| {
        Error::new(ErrorCode::DbCorrupt, "A notification channel's stored settings do not parse.").with("id", &row.id)
    })
}

fn info(row: &NotificationChannelRow) -> Result<ChannelInfo> {
    Ok(ChannelInfo {
        id: row.id.clone(),
        name: row.name.clone(),
        kind: row.kind.clone(),
        enabled: row.enabled,
        settings: settings_of(row)?,
        route_events: list_of(&row.route_events),
        route_outcomes: list_of(&row.route_outcomes),
        subject_template: row.subject_template.clone().unwrap_or_else(|| template::DEFAULT_SUBJECT.to_string()),
        body_template: row.body_template.clone().unwrap_or_else(|| template::DEFAULT_BODY.to_string()),
        max_attempts: row.max_attempts,
        retry_seconds: row.retry_seconds,
        secret_set: row.sealed_secret.is_some(),
        created_at: row.created_at.clone(),
        modified_at: row.modified_at.clone(),
    })
}

/// What an audit record says about a channel change (settings and routes; never the secret).
fn audit_details(row: &NotificationChannelRow) -> Value {
    json!({
        "Name": row.name, "Kind": row.kind, "Enabled": row.enabled,
        "Settings": serde_json::from_str::<Value>(&row.settings).unwrap_or(Value::Null),
        "RouteEvents": list_of(&row.route_events), "RouteOutcomes": list_of(&row.route_outcomes),
        "MaxAttempts": row.max_attempts, "RetrySeconds": row.retry_seconds,
        "SecretSet": row.sealed_secret.is_some(),
    })
}

fn not_found(name: &str) -> Error {
    Error::new(ErrorCode::NotificationChannelNotFound, format!("No notification channel is named '{name}'."))
        .hint("List them with `ams notification-channel get`.")
        .with("name", name)
}

fn channel_by_name(tx: &(impl ReadTx + ?Sized), name: &str) -> Result<NotificationChannelRow> {
    match tx.notification_channel_by_name(name.trim())? {
        Some(c) => Ok(c),
        None => tx.notification_channel(name.trim())?.ok_or_else(|| not_found(name)),
    }
}

fn binding(id: &str) -> crate::crypto::seal::Binding<'_> {
    sealed_binding(SealedColumn::NotificationChannelSecret, id)
}

fn secret_needed(kind: &str, s: &ChannelSettings) -> bool {
    kind == "Webhook" || (kind == "Smtp" && s.smtp_user.is_some())
}

fn check_secret(kind: &str, secret: &[u8]) -> Result<()> {
    let bad = |m: &str| Error::new(ErrorCode::NotificationSecretRequired, m.to_string());
    if kind == "Script" {
        return Err(bad("A script channel has no secret.").hint("Pipe nothing to a script channel."));
    }
    if kind == "Webhook" && secret.len() < 16 {
        return Err(bad("The webhook's HMAC key must be at least 16 bytes.")
            .hint("Generate one, e.g. `openssl rand -hex 32`, and give it to the receiver too."));
    }
    if kind == "Smtp" && std::str::from_utf8(secret).is_err() {
        return Err(bad("The SMTP password must be valid UTF-8."));
    }
    if secret.len() > 4096 {
        return Err(bad("The secret must be at most 4,096 bytes."));
    }
    Ok(())
}

impl Ams {
    /// Creates a channel. `secret` (the webhook's HMAC key, the SMTP password) is sealed; a
    /// webhook needs one, and so does SMTP with a user.
    pub fn notification_channel_new(
        &self,
        keyring: Option<&Keyring>,
        ch: &ChannelChanges,
        secret: Option<&[u8]>,
    ) -> Result<ChannelInfo> {
        let name = text(ch.name.as_deref().unwrap_or(""), "channel name", 256)?;
        let kind = parse_kind(ch.kind.as_deref().ok_or_else(|| invalid("Give the channel's --kind."))?)?;
        let mut settings = ChannelSettings::default();
        apply(kind, &mut settings, ch);
        check_settings(kind, &settings)?;
        let (events, outcomes) = check_routes(
            ch.route_events.as_deref().unwrap_or(&[]),
            ch.route_outcomes.as_deref().unwrap_or(&["success".into(), "failure".into(), "denied".into()]),
        )?;
        let subject = ch.subject_template.clone().and_then(empty_to_none);
        let body = ch.body_template.clone().and_then(empty_to_none);
        for t in [&subject, &body].into_iter().flatten() {
            template::check(t)?;
        }
        let max_attempts = check_attempts(ch.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS))?;
        let retry_seconds = check_retry(ch.retry_seconds.unwrap_or(DEFAULT_RETRY_SECONDS))?;
        match secret {
            Some(s) => check_secret(kind, s)?,
            None if secret_needed(kind, &settings) => {
                return Err(Error::new(
                    ErrorCode::NotificationSecretRequired,
                    if kind == "Webhook" {
                        "A webhook channel needs its HMAC key on stdin."
                    } else {
                        "An SMTP channel with a user needs the password on stdin."
                    },
                )
                .hint("Pipe the secret on stdin; it is sealed under the master key and never shown."));
            }
            None => {}
        }
        let id = new_id()?.to_string();
        let sealed = match secret {
            Some(s) => Some(keyring.ok_or_else(|| Error::internal("keyring"))?.seal(&binding(&id), s)?),
            None => None,
        };
        let now = self.now();
        let row = NotificationChannelRow {
            id,
            name: name.clone(),
            kind: kind.to_string(),
            enabled: ch.enabled.unwrap_or(true),
            settings: serde_json::to_string(&settings).map_err(|_| Error::internal("settings"))?,
            route_events: list_json(&events)?,
            route_outcomes: list_json(&outcomes)?,
            subject_template: subject,
            body_template: body,
            max_attempts,
            retry_seconds,
            sealed_secret: sealed,
            created_at: now.clone(),
            modified_at: now,
        };
        self.store.write(|tx| {
            tx.insert_notification_channel(&row).map_err(|e| on_unique(e, || exists(&name)))?;
            audit::record(
                self,
                tx,
                Event::success("notification_channel.new", "notification_channel", &row.id)
                    .details(audit_details(&row)),
            )
        })?;
        info(&row)
    }

    /// Every channel, or the one with this name (or id).
    pub fn notification_channels(&self, name: Option<&str>) -> Result<Vec<ChannelInfo>> {
        self.store.read(|tx| match name {
            Some(n) => Ok(vec![info(&channel_by_name(tx, n)?)?]),
            None => tx.notification_channels()?.iter().map(info).collect(),
        })
    }

    /// Changes a channel (by name or id); a new secret replaces the stored one.
    pub fn notification_channel_set(
        &self,
        keyring: Option<&Keyring>,
        name: &str,
        ch: &ChannelChanges,
        secret: Option<&[u8]>,
    ) -> Result<ChannelInfo> {
        if ch.kind.is_some() {
            return Err(invalid("A channel's kind cannot change.").hint("Remove the channel and create it again."));
        }
        let now = self.now();
        let row = self.store.write(|tx| {
            let old = channel_by_name(tx, name)?;
            let mut row = old.clone();
            if let Some(n) = &ch.name {
                row.name = text(n, "channel name", 256)?;
            }
            let mut settings = settings_of(&old)?;
            apply(&row.kind, &mut settings, ch);
            check_settings(&row.kind, &settings)?;
            row.settings = serde_json::to_string(&settings).map_err(|_| Error::internal("settings"))?;
            let events = ch.route_events.clone().unwrap_or_else(|| list_of(&old.route_events));
            let outcomes = ch.route_outcomes.clone().unwrap_or_else(|| list_of(&old.route_outcomes));
            let (events, outcomes) = check_routes(&events, &outcomes)?;
            row.route_events = list_json(&events)?;
            row.route_outcomes = list_json(&outcomes)?;
            if let Some(t) = &ch.subject_template {
                row.subject_template = empty_to_none(t.clone());
            }
            if let Some(t) = &ch.body_template {
                row.body_template = empty_to_none(t.clone());
            }
            for t in [&row.subject_template, &row.body_template].into_iter().flatten() {
                template::check(t)?;
            }
            if let Some(e) = ch.enabled {
                row.enabled = e;
            }
            if let Some(m) = ch.max_attempts {
                row.max_attempts = check_attempts(m)?;
            }
            if let Some(r) = ch.retry_seconds {
                row.retry_seconds = check_retry(r)?;
            }
            if ch.clear_secret {
                row.sealed_secret = None;
            }
            if let Some(s) = secret {
                check_secret(&row.kind, s)?;
                row.sealed_secret =
                    Some(keyring.ok_or_else(|| Error::internal("keyring"))?.seal(&binding(&row.id), s)?);
            }
            if row.sealed_secret.is_none() && secret_needed(&row.kind, &settings) {
                return Err(Error::new(
                    ErrorCode::NotificationSecretRequired,
                    "This channel needs a secret (the webhook's HMAC key, or the SMTP password for its user).",
                )
                .hint("Set it with `ams notification-channel set-secret --name NAME` (the secret on stdin)."));
            }
            row.modified_at = now.clone();
            let renamed = row.name.clone();
            tx.update_notification_channel(&row).map_err(|e| on_unique(e, || exists(&renamed)))?;
            audit::record(
                self,
                tx,
                Event::success("notification_channel.set", "notification_channel", &row.id)
                    .details(audit_details(&row)),
            )?;
            Ok(row)
        })?;
        info(&row)
    }

    /// Removes a channel and its queued messages (delivered, pending and dead-lettered).
    pub fn notification_channel_remove(&self, name: &str) -> Result<ChannelInfo> {
        self.store.write(|tx| {
            let row = channel_by_name(tx, name)?;
            tx.delete_notification_channel(&row.id)?;
            audit::record(
                self,
                tx,
                Event::success("notification_channel.remove", "notification_channel", &row.id)
                    .details(audit_details(&row)),
            )?;
            info(&row)
        })
    }

    /// Sends a test message to a channel now (not through the queue) and audits the outcome; a
    /// failure is [`ErrorCode::NotificationDeliveryFailed`] with the reason.
    pub fn notification_channel_test(&self, keyring: Option<&Keyring>, name: &str) -> Result<TestReport> {
        let row = self.store.read(|tx| channel_by_name(tx, name))?;
        let now = self.now_time();
        let id = new_id()?.to_string();
        let vars = json!({
            "EventId": id, "Time": format_time(now), "Event": "notification_channel.test", "Outcome": "success",
            "Actor": self.actor(), "TargetType": "notification_channel", "TargetId": row.id,
            "Details": {}, "Test": true,
        });
        let r = deliver(keyring, &row, &id, &vars, now);
        let outcome = if r.is_ok() { Outcome::Success } else { Outcome::Failure };
        self.store.write(|tx| {
            audit::record(
                self,
                tx,
                Event {
                    event: "notification_channel.test",
                    outcome,
                    target_type: Some("notification_channel"),
                    target_id: Some(&row.id),
                    details: json!({ "Name": row.name, "Kind": row.kind, "Error": r.as_ref().err() }),
                },
            )
        })?;
        match r {
            Ok(()) => Ok(TestReport { name: row.name, kind: row.kind, delivered: true, time: format_time(now) }),
            Err(e) => Err(Error::new(
                ErrorCode::NotificationDeliveryFailed,
                format!("The test notification to '{}' was not delivered: {e}.", row.name),
            )
            .hint("Check the receiver is up, the address and port, and the CA file; see docs/notifications.md.")
            .with("name", &row.name)),
        }
    }
}

fn exists(name: &str) -> Error {
    Error::new(ErrorCode::NotificationChannelExists, format!("A notification channel named '{name}' already exists."))
        .hint("Choose another name, or change it with `ams notification-channel set`.")
        .with("name", name)
}

fn check_attempts(v: i64) -> Result<i64> {
    if (1..=1000).contains(&v) { Ok(v) } else { Err(invalid("The maximum attempts must be 1 to 1000.")) }
}

fn check_retry(v: i64) -> Result<i64> {
    if (1..=86_400).contains(&v) { Ok(v) } else { Err(invalid("The retry delay must be 1 to 86400 seconds.")) }
}

/// What `notification-channel test` reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TestReport {
    /// Channel.
    pub name: String,
    /// Kind.
    pub kind: String,
    /// Whether it was delivered.
    pub delivered: bool,
    /// When.
    pub time: String,
}

// ---------------------------------------------------------------------------------------------
// Queueing, in the audit record's transaction

/// The variables of an event: the audit record's fields, and the computer's name when the
/// record is about a device. This is everything a notification can show; audit records never
/// hold secrets, so neither does a notification.
fn event_vars(tx: &Tx<'_>, row: &AuditRow) -> Result<Value> {
    let details: Value = serde_json::from_str(&row.details).unwrap_or(Value::Null);
    let s = |k: &str| details.get(k).and_then(Value::as_str).map(str::to_string);
    let device_id = match row.target_type.as_deref() {
        Some("device") => row.target_id.clone(),
        _ => s("DeviceId"),
    };
    let computer = match &device_id {
        Some(id) => tx.device(id)?.map(|d| d.name),
        None => None,
    }
    .or_else(|| s("Computer"))
    .or_else(|| s("ComputerName"));
    Ok(json!({
        "EventId": row.id,
        "Time": row.at,
        "Event": row.event,
        "Outcome": row.outcome,
        "Actor": row.actor,
        "User": s("UserSid"),
        "Computer": computer,
        "ComputerId": device_id,
        "AccessType": s("AccessType"),
        "Reason": s("Reason"),
        "Rule": s("MatchedRule").or_else(|| s("RuleId")),
        "Code": s("Code"),
        "TargetType": row.target_type,
        "TargetId": row.target_id,
        "Details": details,
    }))
}

fn route_matches(c: &NotificationChannelRow, event: &str, outcome: &str) -> bool {
    list_of(&c.route_outcomes).iter().any(|o| o == outcome)
        && list_of(&c.route_events).iter().any(|p| {
            p == "*"
                || event == p
                || (event.len() > p.len() && event.starts_with(p.as_str()) && event.as_bytes()[p.len()] == b'.')
        })
}

/// The channel names the deciding rule of an access decision names for this outcome.
fn rule_channels(tx: &Tx<'_>, details: &Value, outcome: &str) -> Result<Vec<String>> {
    let Some(rule) = details.get("MatchedRule").and_then(Value::as_str).filter(|r| !r.is_empty()) else {
        return Ok(Vec::new());
    };
    let pick = |success: &str, failure: &str| list_of(if outcome == "success" { success } else { failure });
    if let Some(r) = tx.computer_rules(Some(rule))?.first() {
        return Ok(pick(&r.notify_success, &r.notify_failure));
    }
    if let Some(r) = tx.role_rules(Some(rule), None)?.first() {
        return Ok(pick(&r.notify_success, &r.notify_failure));
    }
    Ok(Vec::new())
}

/// Queues the audit record `row` (just inserted in `tx`) for every channel that routes it; see
/// the module comment. Called by `audit::record_with` only.
pub(crate) fn enqueue(tx: &Tx<'_>, row: &AuditRow) -> Result<()> {
    if row.event.starts_with(UNROUTED_PREFIX) || !tx.any_notification_channel()? {
        return Ok(());
    }
    let channels: Vec<NotificationChannelRow> = tx.notification_channels()?.into_iter().filter(|c| c.enabled).collect();
    if channels.is_empty() {
        return Ok(());
    }
    let details: Value = serde_json::from_str(&row.details).unwrap_or(Value::Null);
    let named = rule_channels(tx, &details, &row.outcome)?;
    let targets: Vec<&NotificationChannelRow> = channels
        .iter()
        .filter(|c| route_matches(c, &row.event, &row.outcome) || named.iter().any(|n| n.eq_ignore_ascii_case(&c.name)))
        .collect();
    if targets.is_empty() {
        return Ok(());
    }
    let payload = event_vars(tx, row)?.to_string();
    for c in targets {
        tx.insert_notification(&NotificationRow {
            id: new_id()?.to_string(),
            channel_id: c.id.clone(),
            audit_id: row.id.clone(),
            event: row.event.clone(),
            payload: payload.clone(),
            state: "Pending".into(),
            attempts: 0,
            due_at: row.at.clone(),
            claim_id: None,
            last_attempt_at: None,
            last_error: None,
            created_at: row.at.clone(),
            delivered_at: None,
        })?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Delivery

/// The document a webhook receives and a script reads on stdin: the event's variables, the
/// channel's name, the delivery id and the rendered body as `Message`.
fn document(row: &NotificationChannelRow, delivery_id: &str, vars: &Value) -> Result<(Value, String)> {
    let mut vars = vars.clone();
    vars["Channel"] = row.name.clone().into();
    let body = template::render(row.body_template.as_deref().unwrap_or(template::DEFAULT_BODY), &vars, false)?;
    let mut doc = vars.clone();
    doc["DeliveryId"] = delivery_id.into();
    doc["Message"] = body.clone().into();
    Ok((doc, body))
}

/// One delivery attempt of `vars` to the channel. The error text never holds the secret.
fn deliver(
    keyring: Option<&Keyring>,
    row: &NotificationChannelRow,
    delivery_id: &str,
    vars: &Value,
    now: OffsetDateTime,
) -> std::result::Result<(), DeliveryError> {
    let settings = settings_of(row).map_err(|e| e.message().to_string())?;
    let (doc, body) = document(row, delivery_id, vars).map_err(|e| e.message().to_string())?;
    let secret = || -> std::result::Result<Option<Zeroizing<Vec<u8>>>, DeliveryError> {
        match &row.sealed_secret {
            None => Ok(None),
            Some(sealed) => {
                let k = keyring.ok_or_else(|| {
                    "the master key is not available here (recovery mode), so the channel secret cannot be opened"
                        .to_string()
                })?;
                k.open(&binding(&row.id), sealed)
                    .map(Some)
                    .map_err(|e| format!("the channel secret cannot be opened: {}", e.code().as_str()))
            }
        }
    };
    let ca = settings.ca_file.as_deref().map(PathBuf::from);
    match row.kind.as_str() {
        "Webhook" => {
            let url =
                WebhookUrl::parse(settings.url.as_deref().unwrap_or_default()).map_err(|e| e.message().to_string())?;
            let key = secret()?.ok_or_else(|| "no HMAC key is stored".to_string())?;
            let body = serde_json::to_vec(&doc).map_err(|_| "the event cannot be serialised".to_string())?;
            webhook::post(&WebhookRequest {
                url: &url,
                ca_file: ca.as_deref(),
                key: &key,
                timestamp: now.unix_timestamp(),
                delivery_id,
                event: vars.get("Event").and_then(Value::as_str).unwrap_or_default(),
                body: &body,
            })
            .map(|_| ())
        }
        "Smtp" => {
            let security = SmtpSecurity::parse(settings.smtp_security.as_deref().unwrap_or("starttls"))
                .map_err(|e| e.message().to_string())?;
            let port = settings.smtp_port.unwrap_or(match security {
                SmtpSecurity::StartTls => 587,
                SmtpSecurity::Implicit => 465,
            });
            let password = secret()?;
            let password = match &password {
                Some(p) => Some(std::str::from_utf8(p).map_err(|_| "the SMTP password is not UTF-8".to_string())?),
                None => None,
            };
            let mut vars_named = vars.clone();
            vars_named["Channel"] = row.name.clone().into();
            let subject = template::render(
                row.subject_template.as_deref().unwrap_or(template::DEFAULT_SUBJECT),
                &vars_named,
                true,
            )
            .map_err(|e| e.message().to_string())?;
            smtp::send(&Mail {
                host: settings.smtp_host.as_deref().unwrap_or_default(),
                port,
                security,
                ca_file: ca.as_deref(),
                auth: settings.smtp_user.as_deref().zip(password),
                from: settings.from.as_deref().unwrap_or_default(),
                to: &settings.to,
                subject: subject.trim(),
                body: &body,
                delivery_id,
            })
        }
        "Script" => {
            let program = PathBuf::from(settings.command.as_deref().unwrap_or_default());
            let stdin = serde_json::to_vec(&doc).map_err(|_| "the event cannot be serialised".to_string())?;
            script::run(&script::ScriptRun {
                program: &program,
                args: &settings.args,
                timeout: StdDuration::from_secs(settings.timeout_seconds.unwrap_or(30)),
                delivery_id,
                stdin: &stdin,
            })
        }
        other => Err(format!("unknown channel kind {other}")),
    }
}

/// The wait before attempt `attempts + 1`, after `attempts` failed ones.
pub fn backoff(retry_seconds: i64, attempts: i64) -> Duration {
    let exp = u32::try_from((attempts - 1).clamp(0, 30)).unwrap_or(30);
    let secs = retry_seconds.saturating_mul(1i64 << exp);
    Duration::seconds(secs).min(MAX_BACKOFF)
}

/// A queued message as shown.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NotificationInfo {
    /// Message id (the `X-Ams-Delivery` value).
    pub id: String,
    /// Channel id.
    pub channel_id: String,
    /// Channel name (empty if the channel is gone).
    pub channel: String,
    /// The audit record.
    pub audit_id: String,
    /// The audit event.
    pub event: String,
    /// State.
    pub state: String,
    /// Attempts made.
    pub attempts: i64,
    /// Due at (for `Sending`: when its claim's lease ends).
    pub due_time: String,
    /// Last attempt.
    pub last_attempt_time: Option<String>,
    /// Last error.
    pub last_error: Option<String>,
    /// Queued at.
    pub created_time: String,
    /// Delivered (or dead-lettered) at.
    pub delivered_time: Option<String>,
    /// The event's variables.
    pub event_data: Value,
}

/// What `ams notify run-due` reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RunReport {
    /// The run's time.
    pub now: String,
    /// Messages this run claimed.
    pub claimed: usize,
    /// Delivered.
    pub delivered: usize,
    /// Failed and due again later.
    pub retrying: usize,
    /// Failed for the last time.
    pub dead_lettered: usize,
    /// Each message this run worked on.
    pub messages: Vec<RunMessage>,
}

/// One message of a run.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RunMessage {
    /// Message id.
    pub id: String,
    /// Channel name.
    pub channel: String,
    /// `Delivered`, `Retry` or `DeadLetter`.
    pub outcome: String,
    /// Attempts made so far.
    pub attempts: i64,
    /// Why it failed.
    pub error: Option<String>,
    /// When it is due again.
    pub next_due_time: Option<String>,
}

impl Ams {
    /// Delivers the messages due at `at` (or now): claims each, sends it, writes the outcome.
    /// `keyring` opens channel secrets (`None` in recovery mode: webhook and SMTP attempts then
    /// fail and are retried).
    pub fn notify_run_due(&self, keyring: Option<&Keyring>, at: Option<OffsetDateTime>) -> Result<RunReport> {
        let now_t = at.unwrap_or_else(|| self.now_time());
        let now = format_time(now_t);
        let due = self.store.read(|tx| tx.due_notifications(&now, RUN_LIMIT))?;
        let mut report = RunReport {
            now: now.clone(),
            claimed: 0,
            delivered: 0,
            retrying: 0,
            dead_lettered: 0,
            messages: Vec::new(),
        };
        if due.is_empty() {
            return Ok(report);
        }
        let claim_id = new_id()?.to_string();
        let lease = format_time(now_t + CLAIM_LEASE);
        for seen in due {
            let claimed = self.store.write(|tx| {
                if !tx.claim_notification(&seen, &claim_id, &now, &lease)? {
                    return Ok(None);
                }
                Ok(Some((tx.notification(&seen.id)?, tx.notification_channel(&seen.channel_id)?)))
            })?;
            let Some((Some(mut msg), Some(channel))) = claimed else { continue };
            report.claimed += 1;
            let vars: Value = serde_json::from_str(&msg.payload).unwrap_or(Value::Null);
            let r = if channel.enabled {
                deliver(keyring, &channel, &msg.id, &vars, now_t)
            } else {
                Err("the channel is disabled".to_string())
            };
            let outcome = match &r {
                Ok(()) => {
                    msg.state = "Delivered".into();
                    msg.delivered_at = Some(now.clone());
                    msg.last_error = None;
                    report.delivered += 1;
                    "Delivered"
                }
                Err(e) if msg.attempts >= channel.max_attempts => {
                    msg.state = "DeadLetter".into();
                    msg.delivered_at = Some(now.clone());
                    msg.last_error = Some(e.clone());
                    report.dead_lettered += 1;
                    "DeadLetter"
                }
                Err(e) => {
                    msg.state = "Pending".into();
                    msg.due_at = format_time(now_t + backoff(channel.retry_seconds, msg.attempts));
                    msg.last_error = Some(e.clone());
                    report.retrying += 1;
                    "Retry"
                }
            };
            self.store.write(|tx| {
                if !tx.finish_notification(&msg, &claim_id)? {
                    // Another run took it over after the lease ended: its outcome counts.
                    return Ok(());
                }
                if msg.state == "DeadLetter" {
                    audit::record(
                        self,
                        tx,
                        Event {
                            event: "notification.dead_letter",
                            outcome: Outcome::Failure,
                            target_type: Some("notification"),
                            target_id: Some(&msg.id),
                            details: json!({
                                "Channel": channel.name, "ChannelId": channel.id, "AuditId": msg.audit_id,
                                "Event": msg.event, "Attempts": msg.attempts, "Error": msg.last_error,
                            }),
                        },
                    )?;
                }
                Ok(())
            })?;
            report.messages.push(RunMessage {
                id: msg.id.clone(),
                channel: channel.name.clone(),
                outcome: outcome.into(),
                attempts: msg.attempts,
                error: msg.last_error.clone(),
                next_due_time: (outcome == "Retry").then(|| msg.due_at.clone()),
            });
        }
        Ok(report)
    }

    /// Queued messages, newest `limit` (oldest first), by state and channel (name or id).
    pub fn notify_queue(
        &self,
        state: Option<&str>,
        channel: Option<&str>,
        limit: u32,
    ) -> Result<Vec<NotificationInfo>> {
        let state = state
            .map(|s| {
                let norm: String = s.chars().filter(|c| *c != '-' && *c != '_').collect();
                STATES.iter().copied().find(|k| k.eq_ignore_ascii_case(&norm)).ok_or_else(|| {
                    Error::invalid(format!("'{s}' is not a queue state."))
                        .hint("Use pending, sending, delivered or dead-letter.")
                })
            })
            .transpose()?;
        self.store.read(|tx| {
            let channel_id = channel.map(|c| channel_by_name(tx, c).map(|r| r.id)).transpose()?;
            let names: Vec<(String, String)> =
                tx.notification_channels()?.into_iter().map(|c| (c.id, c.name)).collect();
            let rows = tx.notifications(&NotificationFilter {
                state,
                channel_id: channel_id.as_deref(),
                audit_id: None,
                limit: limit.clamp(1, 100_000),
            })?;
            Ok(rows
                .into_iter()
                .map(|r| NotificationInfo {
                    channel: names
                        .iter()
                        .find(|(id, _)| *id == r.channel_id)
                        .map(|(_, n)| n.clone())
                        .unwrap_or_default(),
                    id: r.id,
                    channel_id: r.channel_id,
                    audit_id: r.audit_id,
                    event: r.event,
                    state: r.state,
                    attempts: r.attempts,
                    due_time: r.due_at,
                    last_attempt_time: r.last_attempt_at,
                    last_error: r.last_error,
                    created_time: r.created_at,
                    delivered_time: r.delivered_at,
                    event_data: serde_json::from_str(&r.payload).unwrap_or(Value::Null),
                })
                .collect())
        })
    }

    /// The time of the earliest due message, if any (for the server's background loop).
    pub fn notify_next_due(&self) -> Result<Option<OffsetDateTime>> {
        let far = format_time(self.now_time() + Duration::days(36_500));
        self.store.read(|tx| tx.due_notifications(&far, 1))?.first().map(|m| parse_time(&m.due_at)).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(60, 1), Duration::seconds(60));
        assert_eq!(backoff(60, 2), Duration::seconds(120));
        assert_eq!(backoff(60, 4), Duration::seconds(480));
        assert_eq!(backoff(60, 40), MAX_BACKOFF);
    }

    #[test]
    fn routes_match_prefixes_at_dots() {
        let c = NotificationChannelRow {
            id: "i".into(),
            name: "n".into(),
            kind: "Script".into(),
            enabled: true,
            settings: "{}".into(),
            route_events: r#"["access","device.remove"]"#.into(),
            route_outcomes: r#"["denied"]"#.into(),
            subject_template: None,
            body_template: None,
            max_attempts: 1,
            retry_seconds: 1,
            sealed_secret: None,
            created_at: String::new(),
            modified_at: String::new(),
        };
        assert!(route_matches(&c, "access.request", "denied"));
        assert!(!route_matches(&c, "access.request", "success"));
        assert!(!route_matches(&c, "accessory", "denied"));
        assert!(route_matches(&c, "device.remove", "denied"));
        assert!(!route_matches(&c, "device.removed", "denied"));
    }
}
