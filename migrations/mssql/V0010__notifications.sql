-- Notification channels and the delivery queue (docs/notifications.md).
-- T-SQL twin of migrations/sqlite/V0010__notifications.sql.

-- A channel: where notifications go (a webhook, an SMTP server, a script), which audited events
-- it receives on its own (routes: event prefixes and outcomes; rules add more by naming the
-- channel), its templates and its retry policy. The one secret (the webhook's HMAC key or the
-- SMTP password) is sealed under the master key, bound to this table, column and row id.
CREATE TABLE notification_channels (
    id                  nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    name                nvarchar(256) COLLATE Latin1_General_CI_AS NOT NULL UNIQUE,
    kind                nvarchar(16) COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (kind IN ('Webhook', 'Smtp', 'Script')),
    enabled             bit NOT NULL,
    settings            nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    route_events        nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    route_outcomes      nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    subject_template    nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    body_template       nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    max_attempts        bigint NOT NULL CHECK (max_attempts >= 1),
    retry_seconds       bigint NOT NULL CHECK (retry_seconds >= 1),
    sealed_secret       varbinary(max) NULL,
    created_at          nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    modified_at         nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL
);

-- One message: an audit record for one channel, written in the audit record's transaction.
-- payload holds only fields of the audit record (and the computer's name), never a secret.
-- A message is claimed by a conditional UPDATE (state and due time as read), so two runs never
-- send it at once; a claimed message whose run died is due again when its lease (due_at) ends.
CREATE TABLE notification_queue (
    id                  nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    channel_id          nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
    audit_id            nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    event               nvarchar(256) COLLATE Latin1_General_100_BIN2 NOT NULL,
    payload             nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    state               nvarchar(16) COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (state IN ('Pending', 'Sending', 'Delivered', 'DeadLetter')),
    attempts            bigint NOT NULL CHECK (attempts >= 0),
    due_at              nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    claim_id            nvarchar(64) COLLATE Latin1_General_100_BIN2 NULL,
    last_attempt_at     nvarchar(40) COLLATE Latin1_General_100_BIN2 NULL,
    last_error          nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    created_at          nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    delivered_at        nvarchar(40) COLLATE Latin1_General_100_BIN2 NULL,
    UNIQUE (audit_id, channel_id)
);
CREATE INDEX notification_queue_due ON notification_queue (state, due_at);
CREATE INDEX notification_queue_channel ON notification_queue (channel_id, created_at);
