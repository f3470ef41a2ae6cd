-- Foundation: the instance, the master key and its protectors, service settings, the audit trail.
-- Ids are UUID strings and times are fixed-width RFC 3339 UTC strings, both made by ams-core.

CREATE TABLE instance (
    id          TEXT PRIMARY KEY NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;

-- Metadata of master keys. The key material itself exists only wrapped, in key_protectors.
CREATE TABLE master_keys (
    id          TEXT PRIMARY KEY NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('active', 'retired')),
    created_at  TEXT NOT NULL,
    retired_at  TEXT
) STRICT;
CREATE UNIQUE INDEX master_keys_one_active ON master_keys (state) WHERE state = 'active';

-- One row per (master key, protector). kind 'host': wrapped under the key in the host key
-- file; kind 'recovery': wrapped under a key derived from the recovery password (Argon2id).
CREATE TABLE key_protectors (
    id             TEXT PRIMARY KEY NOT NULL,
    master_key_id  TEXT NOT NULL REFERENCES master_keys (id) ON DELETE CASCADE,
    kind           TEXT NOT NULL CHECK (kind IN ('host', 'recovery')),
    params         TEXT NOT NULL,
    wrapped_key    BLOB NOT NULL,
    created_at     TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX key_protectors_one_recovery ON key_protectors (master_key_id, kind) WHERE kind = 'recovery';

-- Farm-wide service settings: one JSON value per key.
CREATE TABLE service_settings (
    key         TEXT PRIMARY KEY NOT NULL,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

-- The audit trail: append-only, each record commits to the one before it (hash chain).
CREATE TABLE audit_log (
    seq          INTEGER PRIMARY KEY NOT NULL,
    id           TEXT NOT NULL UNIQUE,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    event        TEXT NOT NULL,
    outcome      TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
    target_type  TEXT,
    target_id    TEXT,
    details      TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_target ON audit_log (target_id);
