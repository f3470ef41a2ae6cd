//! T-SQL for notifications: channels and the delivery queue.

use super::{Cols, MssqlTx, statements};
use crate::error::Result;
use crate::store::{NotificationChannelRow, NotificationFilter, NotificationRow, NotifyRead, NotifyWrite};

macro_rules! channel_cols {
    () => {
        "id, name, kind, enabled, settings, route_events, route_outcomes, subject_template, body_template, max_attempts, retry_seconds, sealed_secret, created_at, modified_at"
    };
}
macro_rules! queue_cols {
    () => {
        "id, channel_id, audit_id, event, payload, state, attempts, due_at, claim_id, last_attempt_at, last_error, created_at, delivered_at"
    };
}

statements! {
    CHANNELS = concat!("SELECT ", channel_cols!(), " FROM notification_channels ORDER BY name, id");
    CHANNEL = concat!("SELECT ", channel_cols!(), " FROM notification_channels WHERE id = @P1");
    CHANNEL_BY_NAME = concat!("SELECT ", channel_cols!(), " FROM notification_channels WHERE name = @P1");
    /// A database before V0010 (opened unmigrated, e.g. for a backup) has no channels.
    ANY_CHANNEL = "IF OBJECT_ID(N'notification_channels', N'U') IS NOT NULL
            SELECT CAST(CASE WHEN EXISTS (SELECT 1 FROM notification_channels) THEN 1 ELSE 0 END AS bigint)
        ELSE SELECT CAST(0 AS bigint)";
    MESSAGE = concat!("SELECT ", queue_cols!(), " FROM notification_queue WHERE id = @P1");
    MESSAGES = concat!("SELECT TOP (@P4) ", queue_cols!(), " FROM notification_queue
        WHERE (@P1 IS NULL OR state = @P1) AND (@P2 IS NULL OR channel_id = @P2) AND (@P3 IS NULL OR audit_id = @P3)
        ORDER BY created_at DESC, id DESC");
    DUE = concat!("SELECT TOP (@P2) ", queue_cols!(), " FROM notification_queue
        WHERE state IN ('Pending', 'Sending') AND due_at <= @P1 ORDER BY due_at, id");

    INSERT_CHANNEL = concat!("INSERT INTO notification_channels (", channel_cols!(), ")
        VALUES (@P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9, @P10, @P11, @P12, @P13, @P14)");
    UPDATE_CHANNEL = "UPDATE notification_channels SET name = @P2, kind = @P3, enabled = @P4, settings = @P5,
            route_events = @P6, route_outcomes = @P7, subject_template = @P8, body_template = @P9,
            max_attempts = @P10, retry_seconds = @P11, sealed_secret = @P12, created_at = @P13, modified_at = @P14
        WHERE id = @P1";
    DELETE_CHANNEL_MESSAGES = "DELETE FROM notification_queue WHERE channel_id = @P1";
    DELETE_CHANNEL = "DELETE FROM notification_channels WHERE id = @P1";
    INSERT_MESSAGE = concat!("INSERT INTO notification_queue (", queue_cols!(), ")
        VALUES (@P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9, @P10, @P11, @P12, @P13)");
    /// The claim: a conditional UPDATE whose row count says whether this run got the message.
    /// Writers are serialised by the writers' lock as well (see the module comment of mod.rs).
    CLAIM = "UPDATE notification_queue SET state = 'Sending', claim_id = @P2, attempts = attempts + 1,
            last_attempt_at = @P3, due_at = @P4
        WHERE id = @P1 AND state = @P5 AND due_at = @P6 AND attempts = @P7 AND state IN ('Pending', 'Sending')";
    FINISH = "UPDATE notification_queue SET state = @P3, due_at = @P4, last_error = @P5, delivered_at = @P6, claim_id = NULL
        WHERE id = @P1 AND claim_id = @P2 AND state = 'Sending'";
}

fn channel_row(r: &Cols<'_>) -> Result<NotificationChannelRow> {
    Ok(NotificationChannelRow {
        id: r.s()?,
        name: r.s()?,
        kind: r.s()?,
        enabled: r.flag()?,
        settings: r.s()?,
        route_events: r.s()?,
        route_outcomes: r.s()?,
        subject_template: r.os()?,
        body_template: r.os()?,
        max_attempts: r.i()?,
        retry_seconds: r.i()?,
        sealed_secret: r.ob()?,
        created_at: r.s()?,
        modified_at: r.s()?,
    })
}

fn queue_row(r: &Cols<'_>) -> Result<NotificationRow> {
    Ok(NotificationRow {
        id: r.s()?,
        channel_id: r.s()?,
        audit_id: r.s()?,
        event: r.s()?,
        payload: r.s()?,
        state: r.s()?,
        attempts: r.i()?,
        due_at: r.s()?,
        claim_id: r.os()?,
        last_attempt_at: r.os()?,
        last_error: r.os()?,
        created_at: r.s()?,
        delivered_at: r.os()?,
    })
}

impl NotifyRead for MssqlTx<'_> {
    fn notification_channels(&self) -> Result<Vec<NotificationChannelRow>> {
        self.rows(CHANNELS, &[], channel_row)
    }

    fn notification_channel(&self, id: &str) -> Result<Option<NotificationChannelRow>> {
        self.one(CHANNEL, &[&id], channel_row)
    }

    fn notification_channel_by_name(&self, name: &str) -> Result<Option<NotificationChannelRow>> {
        self.one(CHANNEL_BY_NAME, &[&name], channel_row)
    }

    fn any_notification_channel(&self) -> Result<bool> {
        Ok(self.one(ANY_CHANNEL, &[], |r| r.i())?.unwrap_or(0) == 1)
    }

    fn notification(&self, id: &str) -> Result<Option<NotificationRow>> {
        self.one(MESSAGE, &[&id], queue_row)
    }

    fn notifications(&self, f: &NotificationFilter<'_>) -> Result<Vec<NotificationRow>> {
        let limit = i64::from(f.limit);
        let mut out = self.rows(MESSAGES, &[&f.state, &f.channel_id, &f.audit_id, &limit], queue_row)?;
        out.reverse();
        Ok(out)
    }

    fn due_notifications(&self, now: &str, limit: u32) -> Result<Vec<NotificationRow>> {
        let limit = i64::from(limit);
        self.rows(DUE, &[&now, &limit], queue_row)
    }
}

/// A channel row's values in column order (`@P1`..`@P14`), for the insert and the update.
fn channel_values(c: &NotificationChannelRow) -> [&dyn tiberius::ToSql; 14] {
    [
        &c.id,
        &c.name,
        &c.kind,
        &c.enabled,
        &c.settings,
        &c.route_events,
        &c.route_outcomes,
        &c.subject_template,
        &c.body_template,
        &c.max_attempts,
        &c.retry_seconds,
        &c.sealed_secret,
        &c.created_at,
        &c.modified_at,
    ]
}

impl NotifyWrite for MssqlTx<'_> {
    fn insert_notification_channel(&self, c: &NotificationChannelRow) -> Result<()> {
        self.exec(INSERT_CHANNEL, &channel_values(c))?;
        Ok(())
    }

    fn update_notification_channel(&self, c: &NotificationChannelRow) -> Result<bool> {
        Ok(self.exec(UPDATE_CHANNEL, &channel_values(c))? > 0)
    }

    fn delete_notification_channel(&self, id: &str) -> Result<bool> {
        self.exec(DELETE_CHANNEL_MESSAGES, &[&id])?;
        Ok(self.exec(DELETE_CHANNEL, &[&id])? > 0)
    }

    fn insert_notification(&self, n: &NotificationRow) -> Result<()> {
        self.exec(
            INSERT_MESSAGE,
            &[
                &n.id,
                &n.channel_id,
                &n.audit_id,
                &n.event,
                &n.payload,
                &n.state,
                &n.attempts,
                &n.due_at,
                &n.claim_id,
                &n.last_attempt_at,
                &n.last_error,
                &n.created_at,
                &n.delivered_at,
            ],
        )?;
        Ok(())
    }

    fn claim_notification(&self, seen: &NotificationRow, claim_id: &str, now: &str, lease_until: &str) -> Result<bool> {
        Ok(self.exec(CLAIM, &[&seen.id, &claim_id, &now, &lease_until, &seen.state, &seen.due_at, &seen.attempts])?
            == 1)
    }

    fn finish_notification(&self, n: &NotificationRow, claim_id: &str) -> Result<bool> {
        Ok(self.exec(FINISH, &[&n.id, &claim_id, &n.state, &n.due_at, &n.last_error, &n.delivered_at])? == 1)
    }
}
