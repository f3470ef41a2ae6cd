//! `ams notification-channel ...` and `ams notify ...` (docs/notifications.md).

use ams_core::Result;
use ams_core::clock::parse_time;
use ams_core::service::notifications::ChannelChanges;
use clap::{Args, Subcommand};
use serde_json::Value;

use super::{Ctx, to_json};
use crate::secret::read_secret;

#[derive(Debug, Subcommand)]
pub enum ChannelCommand {
    /// Create a channel (webhook, smtp or script); a webhook's HMAC key, or the password of an SMTP user, is read from stdin.
    New(Box<ChannelNewArgs>),
    /// List the channels, or show one (secrets are never shown).
    Get(ChannelGetArgs),
    /// Change a channel; values left out are kept.
    Set(Box<ChannelSetArgs>),
    /// Replace a channel's secret (the webhook's HMAC key or the SMTP password), read from stdin.
    SetSecret(ChannelNameArgs),
    /// Remove a channel and its queued messages.
    Remove(ChannelNameArgs),
    /// Send a test message to a channel now (not through the queue).
    Test(ChannelNameArgs),
}

#[derive(Debug, Args)]
pub struct ChannelSettingsArgs {
    /// false: messages are not queued for it (bare flag: true).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true", value_parser = clap::value_parser!(bool))]
    pub enabled: Option<bool>,
    /// Webhook: the https:// URL the event is POSTed to.
    #[arg(long)]
    pub url: Option<String>,
    /// Webhook and SMTP: PEM file of the CA certificates to trust instead of the platform's (empty: the platform's).
    #[arg(long, value_name = "PATH")]
    pub ca_file: Option<String>,
    /// SMTP: server host name.
    #[arg(long, value_name = "HOST")]
    pub smtp_host: Option<String>,
    /// SMTP: port (default 587 with starttls, 465 with implicit).
    #[arg(long, value_name = "PORT")]
    pub smtp_port: Option<u16>,
    /// SMTP: starttls or implicit (mail is never sent unencrypted).
    #[arg(long, value_name = "MODE")]
    pub smtp_security: Option<String>,
    /// SMTP: user name for AUTH; its password is read from stdin (empty: no AUTH).
    #[arg(long, value_name = "USER")]
    pub smtp_user: Option<String>,
    /// SMTP: sender address.
    #[arg(long, value_name = "ADDRESS")]
    pub from: Option<String>,
    /// SMTP: recipient (repeat the flag for several).
    #[arg(long, value_name = "ADDRESS", num_args = 1)]
    pub to: Vec<String>,
    /// Script: the program to run (absolute path; no shell), which gets the event JSON on stdin.
    #[arg(long, value_name = "PATH")]
    pub command: Option<String>,
    /// Script: a fixed argument (repeat the flag for several).
    #[arg(long = "arg", value_name = "ARG", num_args = 1, allow_hyphen_values = true)]
    pub args: Vec<String>,
    /// Script: seconds it may run before it is stopped (default 30).
    #[arg(long, value_name = "SECONDS")]
    pub timeout_seconds: Option<u64>,
    /// Audit event (or prefix, e.g. access) this channel gets on its own, whatever the rules say; '*' for every event (repeat the flag).
    #[arg(long = "route-event", value_name = "EVENT", num_args = 1)]
    pub route_events: Vec<String>,
    /// Outcome routed on its own: success, failure, denied (repeat the flag; default all three).
    #[arg(long = "route-outcome", value_name = "OUTCOME", num_args = 1)]
    pub route_outcomes: Vec<String>,
    /// Subject template (e-mail) with {{Variable}} names (empty: the default).
    #[arg(long, value_name = "TEMPLATE")]
    pub subject_template: Option<String>,
    /// Body template with {{Variable}} names (empty: the default).
    #[arg(long, value_name = "TEMPLATE")]
    pub body_template: Option<String>,
    /// Attempts before a message is dead-lettered (default 10).
    #[arg(long, value_name = "N")]
    pub max_attempts: Option<i64>,
    /// Seconds before the first retry, doubled on each later one (default 60).
    #[arg(long, value_name = "SECONDS")]
    pub retry_seconds: Option<i64>,
}

#[derive(Debug, Args)]
pub struct ChannelNewArgs {
    /// Channel name (rules name channels by it).
    #[arg(long)]
    pub name: String,
    /// webhook, smtp or script.
    #[arg(long)]
    pub kind: String,
    #[command(flatten)]
    pub s: ChannelSettingsArgs,
}

#[derive(Debug, Args)]
pub struct ChannelSetArgs {
    /// Channel name (or id).
    #[arg(long)]
    pub name: String,
    /// New name.
    #[arg(long, value_name = "NAME")]
    pub new_name: Option<String>,
    /// Forget the stored secret (an SMTP channel whose user was removed).
    #[arg(long)]
    pub clear_secret: bool,
    /// Stop routing events on its own (only rules that name it send to it).
    #[arg(long)]
    pub clear_route_events: bool,
    #[command(flatten)]
    pub s: ChannelSettingsArgs,
}

#[derive(Debug, Args)]
pub struct ChannelGetArgs {
    /// Channel name (or id); all channels when left out.
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct ChannelNameArgs {
    /// Channel name (or id).
    #[arg(long)]
    pub name: String,
}

#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    /// Deliver the due messages (retries with backoff, dead-letter after the channel's attempts); run it from a timer.
    RunDue(NotifyRunDueArgs),
    /// The delivery queue.
    #[command(subcommand)]
    Queue(NotifyQueueCommand),
}

#[derive(Debug, Args)]
pub struct NotifyRunDueArgs {
    /// Run as if at this time (RFC 3339; for tests and catching up); default now.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum NotifyQueueCommand {
    /// List queued messages, newest last.
    Get(NotifyQueueGetArgs),
}

#[derive(Debug, Args)]
pub struct NotifyQueueGetArgs {
    /// Only this state: pending, sending, delivered, dead-letter.
    #[arg(long)]
    pub state: Option<String>,
    /// Only this channel (name or id).
    #[arg(long)]
    pub channel: Option<String>,
    /// At most this many (the newest).
    #[arg(long, default_value_t = 1000)]
    pub limit: u32,
}

fn changes(s: &ChannelSettingsArgs) -> ChannelChanges {
    ChannelChanges {
        enabled: s.enabled,
        url: s.url.clone(),
        ca_file: s.ca_file.clone(),
        smtp_host: s.smtp_host.clone(),
        smtp_port: s.smtp_port,
        smtp_security: s.smtp_security.clone(),
        smtp_user: s.smtp_user.clone(),
        from: s.from.clone(),
        to: (!s.to.is_empty()).then(|| s.to.clone()),
        command: s.command.clone(),
        args: (!s.args.is_empty()).then(|| s.args.clone()),
        timeout_seconds: s.timeout_seconds,
        route_events: (!s.route_events.is_empty()).then(|| s.route_events.clone()),
        route_outcomes: (!s.route_outcomes.is_empty()).then(|| s.route_outcomes.clone()),
        subject_template: s.subject_template.clone(),
        body_template: s.body_template.clone(),
        max_attempts: s.max_attempts,
        retry_seconds: s.retry_seconds,
        ..Default::default()
    }
}

pub fn run_channel(ctx: &Ctx, c: ChannelCommand) -> Result<Value> {
    let ams = ctx.open()?;
    match c {
        ChannelCommand::New(a) => {
            let needs = a.kind.eq_ignore_ascii_case("webhook")
                || (a.kind.eq_ignore_ascii_case("smtp")
                    && a.s.smtp_user.as_deref().is_some_and(|u| !u.trim().is_empty()));
            let secret = if needs { Some(read_secret("channel secret", false)?) } else { None };
            let keyring = if secret.is_some() { Some(ams.unlock()?) } else { None };
            let mut ch = changes(&a.s);
            ch.name = Some(a.name.clone());
            ch.kind = Some(a.kind.clone());
            to_json(&ams.notification_channel_new(keyring.as_ref(), &ch, secret.as_deref().map(|s| s.as_slice()))?)
        }
        ChannelCommand::Get(a) => to_json(&ams.notification_channels(a.name.as_deref())?),
        ChannelCommand::Set(a) => {
            let mut ch = changes(&a.s);
            ch.name = a.new_name.clone();
            ch.clear_secret = a.clear_secret;
            if a.clear_route_events {
                ch.route_events = Some(Vec::new());
            }
            to_json(&ams.notification_channel_set(None, &a.name, &ch, None)?)
        }
        ChannelCommand::SetSecret(a) => {
            let secret = read_secret("channel secret", false)?;
            let keyring = ams.unlock()?;
            to_json(&ams.notification_channel_set(
                Some(&keyring),
                &a.name,
                &ChannelChanges::default(),
                Some(&secret),
            )?)
        }
        ChannelCommand::Remove(a) => to_json(&ams.notification_channel_remove(&a.name)?),
        ChannelCommand::Test(a) => {
            let keyring = ams.unlock().ok();
            to_json(&ams.notification_channel_test(keyring.as_ref(), &a.name)?)
        }
    }
}

pub fn run(ctx: &Ctx, c: NotifyCommand) -> Result<Value> {
    let ams = ctx.open()?;
    match c {
        NotifyCommand::RunDue(a) => {
            let keyring = ams.unlock().ok();
            let at = a.now.as_deref().map(parse_time).transpose()?;
            to_json(&ams.notify_run_due(keyring.as_ref(), at)?)
        }
        NotifyCommand::Queue(NotifyQueueCommand::Get(a)) => {
            to_json(&ams.notify_queue(a.state.as_deref(), a.channel.as_deref(), a.limit)?)
        }
    }
}
