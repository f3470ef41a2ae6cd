//! The store contract for notifications: channels and the delivery queue.

use crate::error::Result;
use crate::store::rows::*;

/// Reads: notifications.
pub trait NotifyRead {
    /// Every channel, by name.
    fn notification_channels(&self) -> Result<Vec<NotificationChannelRow>>;

    /// One channel by id.
    fn notification_channel(&self, id: &str) -> Result<Option<NotificationChannelRow>>;

    /// One channel by name (case-insensitive).
    fn notification_channel_by_name(&self, name: &str) -> Result<Option<NotificationChannelRow>>;

    /// Whether any channel exists (checked for every audit record, so it must be cheap); false
    /// on a database before V0010 (opened unmigrated, e.g. for a backup).
    fn any_notification_channel(&self) -> Result<bool>;

    /// One queued message.
    fn notification(&self, id: &str) -> Result<Option<NotificationRow>>;

    /// Queued messages matching a filter, oldest first (the newest `limit`).
    fn notifications(&self, f: &NotificationFilter<'_>) -> Result<Vec<NotificationRow>>;

    /// Messages a run may claim at `now`: pending ones due, and claimed ones whose lease ended
    /// (their run died), oldest due first, at most `limit`.
    fn due_notifications(&self, now: &str, limit: u32) -> Result<Vec<NotificationRow>>;
}

/// Changes: notifications.
pub trait NotifyWrite: NotifyRead {
    /// Inserts a channel (a taken name is a uniqueness violation).
    fn insert_notification_channel(&self, c: &NotificationChannelRow) -> Result<()>;

    /// Replaces a channel's columns (by id). Returns whether it existed.
    fn update_notification_channel(&self, c: &NotificationChannelRow) -> Result<bool>;

    /// Deletes a channel and its queued messages. Returns whether it existed.
    fn delete_notification_channel(&self, id: &str) -> Result<bool>;

    /// Queues a message (one per audit record and channel: a second is a uniqueness violation).
    fn insert_notification(&self, n: &NotificationRow) -> Result<()>;

    /// Claims a message for a run: one conditional UPDATE that succeeds only while the message
    /// is still as `seen` was read (state, due time, attempts), so of two runs only one gets it.
    /// Sets `Sending`, the claim id, one more attempt, the attempt time and the lease end as
    /// due time. Returns whether this run got it.
    fn claim_notification(&self, seen: &NotificationRow, claim_id: &str, now: &str, lease_until: &str) -> Result<bool>;

    /// Writes a claimed message's outcome (state, due time, error, delivery time), only while
    /// `claim_id` still holds it. Returns whether it did.
    fn finish_notification(&self, n: &NotificationRow, claim_id: &str) -> Result<bool>;
}
