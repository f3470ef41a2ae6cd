-- Notification channels and the delivery queue (docs/notifications.md).

-- A channel: where notifications go (a webhook, an SMTP server, a script), which audited events
-- it receives on its own (routes: event prefixes and outcomes; rules add more by naming the
-- channel), its templates and its retry policy. The one secret (the webhook's HMAC key or the
-- SMTP password) is sealed under the master key, bound to this table, column and row id.
CREATE TABLE notification_channels (
    id                  TEXT PRIMARY KEY NOT NULL,
    name                TEXT NOT NULL COLLATE NOCASE UNIQUE,
    kind                TEXT NOT NULL CHECK (kind IN ('Webhook', 'Smtp', 'Script')),
    enabled             INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    settings            TEXT NOT NULL,                 -- JSON: URL, CA file, SMTP host, command...
    route_events        TEXT NOT NULL,                 -- JSON list of event prefixes ('*': every event)
    route_outcomes      TEXT NOT NULL,                 -- JSON list of outcomes
    subject_template    TEXT NULL,
    body_template       TEXT NULL,
    max_attempts        INTEGER NOT NULL CHECK (max_attempts >= 1),
    retry_seconds       INTEGER NOT NULL CHECK (retry_seconds >= 1),
    sealed_secret       BLOB NULL,
    created_at          TEXT NOT NULL,
    modified_at         TEXT NOT NULL
) STRICT;

-- One message: an audit record for one channel, written in the audit record's transaction.
-- payload holds only fields of the audit record (and the computer's name), never a secret.
-- A message is claimed by a conditional UPDATE (state and due time as read), so two runs never
-- send it at once; a claimed message whose run died is due again when its lease (due_at) ends.
CREATE TABLE notification_queue (
    id                  TEXT PRIMARY KEY NOT NULL,
    channel_id          TEXT NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
    audit_id            TEXT NOT NULL,
    event               TEXT NOT NULL,
    payload             TEXT NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('Pending', 'Sending', 'Delivered', 'DeadLetter')),
    attempts            INTEGER NOT NULL CHECK (attempts >= 0),
    due_at              TEXT NOT NULL,
    claim_id            TEXT NULL,
    last_attempt_at     TEXT NULL,
    last_error          TEXT NULL,
    created_at          TEXT NOT NULL,
    delivered_at        TEXT NULL,
    UNIQUE (audit_id, channel_id)
) STRICT;
CREATE INDEX notification_queue_due ON notification_queue (state, due_at);
CREATE INDEX notification_queue_channel ON notification_queue (channel_id, created_at);
