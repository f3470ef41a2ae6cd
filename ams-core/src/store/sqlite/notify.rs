//! SQL for notifications: channels and the delivery queue.

use rusqlite::{OptionalExtension, Row, params};

use super::SqliteTx;
use crate::error::Result;
use crate::store::{NotificationChannelRow, NotificationFilter, NotificationRow, NotifyRead, NotifyWrite};

const CHANNEL_COLS: &str = "id, name, kind, enabled, settings, route_events, route_outcomes, subject_template, \
     body_template, max_attempts, retry_seconds, sealed_secret, created_at, modified_at";

fn channel_row(r: &Row<'_>) -> rusqlite::Result<NotificationChannelRow> {
    Ok(NotificationChannelRow {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        enabled: r.get(3)?,
        settings: r.get(4)?,
        route_events: r.get(5)?,
        route_outcomes: r.get(6)?,
        subject_template: r.get(7)?,
        body_template: r.get(8)?,
        max_attempts: r.get(9)?,
        retry_seconds: r.get(10)?,
        sealed_secret: r.get(11)?,
        created_at: r.get(12)?,
        modified_at: r.get(13)?,
    })
}

const QUEUE_COLS: &str = "id, channel_id, audit_id, event, payload, state, attempts, due_at, claim_id, \
     last_attempt_at, last_error, created_at, delivered_at";

fn queue_row(r: &Row<'_>) -> rusqlite::Result<NotificationRow> {
    Ok(NotificationRow {
        id: r.get(0)?,
        channel_id: r.get(1)?,
        audit_id: r.get(2)?,
        event: r.get(3)?,
        payload: r.get(4)?,
        state: r.get(5)?,
        attempts: r.get(6)?,
        due_at: r.get(7)?,
        claim_id: r.get(8)?,
        last_attempt_at: r.get(9)?,
        last_error: r.get(10)?,
        created_at: r.get(11)?,
        delivered_at: r.get(12)?,
    })
}

impl NotifyRead for SqliteTx<'_> {
    fn notification_channels(&self) -> Result<Vec<NotificationChannelRow>> {
        let mut stmt =
            self.tx.prepare(&format!("SELECT {CHANNEL_COLS} FROM notification_channels ORDER BY name, id"))?;
        let rows = stmt.query_map([], channel_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn notification_channel(&self, id: &str) -> Result<Option<NotificationChannelRow>> {
        Ok(self
            .tx
            .query_row(
                &format!("SELECT {CHANNEL_COLS} FROM notification_channels WHERE id = ?1"),
                params![id],
                channel_row,
            )
            .optional()?)
    }

    fn notification_channel_by_name(&self, name: &str) -> Result<Option<NotificationChannelRow>> {
        Ok(self
            .tx
            .query_row(
                &format!("SELECT {CHANNEL_COLS} FROM notification_channels WHERE name = ?1"),
                params![name],
                channel_row,
            )
            .optional()?)
    }

    fn any_notification_channel(&self) -> Result<bool> {
        // A database before V0010 (opened unmigrated, e.g. for a backup) has no channels.
        let table: bool = self.tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'notification_channels')",
            [],
            |r| r.get(0),
        )?;
        Ok(table
            && self.tx.query_row("SELECT EXISTS (SELECT 1 FROM notification_channels)", [], |r| r.get::<_, bool>(0))?)
    }

    fn notification(&self, id: &str) -> Result<Option<NotificationRow>> {
        Ok(self
            .tx
            .query_row(&format!("SELECT {QUEUE_COLS} FROM notification_queue WHERE id = ?1"), params![id], queue_row)
            .optional()?)
    }

    fn notifications(&self, f: &NotificationFilter<'_>) -> Result<Vec<NotificationRow>> {
        let mut stmt = self.tx.prepare(&format!(
            "SELECT {QUEUE_COLS} FROM notification_queue
             WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR channel_id = ?2) AND (?3 IS NULL OR audit_id = ?3)
             ORDER BY created_at DESC, id DESC LIMIT ?4"
        ))?;
        let rows = stmt.query_map(params![f.state, f.channel_id, f.audit_id, f.limit], queue_row)?;
        let mut out: Vec<NotificationRow> = rows.collect::<rusqlite::Result<_>>()?;
        out.reverse();
        Ok(out)
    }

    fn due_notifications(&self, now: &str, limit: u32) -> Result<Vec<NotificationRow>> {
        let mut stmt = self.tx.prepare(&format!(
            "SELECT {QUEUE_COLS} FROM notification_queue
             WHERE state IN ('Pending', 'Sending') AND due_at <= ?1 ORDER BY due_at, id LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![now, limit], queue_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

/// A channel row's values in `CHANNEL_COLS` order (`?1`..`?14`), for the insert and the update.
fn channel_params(c: &NotificationChannelRow) -> [&dyn rusqlite::ToSql; 14] {
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

impl NotifyWrite for SqliteTx<'_> {
    fn insert_notification_channel(&self, c: &NotificationChannelRow) -> Result<()> {
        self.tx.execute(
            &format!(
                "INSERT INTO notification_channels ({CHANNEL_COLS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
            ),
            channel_params(c).as_slice(),
        )?;
        Ok(())
    }

    fn update_notification_channel(&self, c: &NotificationChannelRow) -> Result<bool> {
        Ok(self.tx.execute(
            "UPDATE notification_channels SET name = ?2, kind = ?3, enabled = ?4, settings = ?5, route_events = ?6,
                route_outcomes = ?7, subject_template = ?8, body_template = ?9, max_attempts = ?10,
                retry_seconds = ?11, sealed_secret = ?12, created_at = ?13, modified_at = ?14
             WHERE id = ?1",
            channel_params(c).as_slice(),
        )? > 0)
    }

    fn delete_notification_channel(&self, id: &str) -> Result<bool> {
        self.tx.execute("DELETE FROM notification_queue WHERE channel_id = ?1", params![id])?;
        Ok(self.tx.execute("DELETE FROM notification_channels WHERE id = ?1", params![id])? > 0)
    }

    fn insert_notification(&self, n: &NotificationRow) -> Result<()> {
        self.tx.execute(
            &format!("INSERT INTO notification_queue ({QUEUE_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"),
            params![
                n.id,
                n.channel_id,
                n.audit_id,
                n.event,
                n.payload,
                n.state,
                n.attempts,
                n.due_at,
                n.claim_id,
                n.last_attempt_at,
                n.last_error,
                n.created_at,
                n.delivered_at
            ],
        )?;
        Ok(())
    }

    fn claim_notification(&self, seen: &NotificationRow, claim_id: &str, now: &str, lease_until: &str) -> Result<bool> {
        Ok(self.tx.execute(
            "UPDATE notification_queue SET state = 'Sending', claim_id = ?2, attempts = attempts + 1,
                last_attempt_at = ?3, due_at = ?4
             WHERE id = ?1 AND state = ?5 AND due_at = ?6 AND attempts = ?7 AND state IN ('Pending', 'Sending')",
            params![seen.id, claim_id, now, lease_until, seen.state, seen.due_at, seen.attempts],
        )? == 1)
    }

    fn finish_notification(&self, n: &NotificationRow, claim_id: &str) -> Result<bool> {
        Ok(self.tx.execute(
            "UPDATE notification_queue SET state = ?3, due_at = ?4, last_error = ?5, delivered_at = ?6, claim_id = NULL
             WHERE id = ?1 AND claim_id = ?2 AND state = 'Sending'",
            params![n.id, claim_id, n.state, n.due_at, n.last_error, n.delivered_at],
        )? == 1)
    }
}
