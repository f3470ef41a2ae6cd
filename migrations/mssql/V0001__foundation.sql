-- Foundation: the instance, the master key and its protectors, service settings, the audit trail.
-- T-SQL twin of migrations/sqlite/V0001__foundation.sql: the same tables, columns, constraints
-- and indexes (a test compares them). Ids are UUID strings and times fixed-width RFC 3339 UTC
-- strings, both made by ams-core, so both engines store identical values. Text compares as in
-- SQLite: binary (Latin1_General_100_BIN2), or case-insensitive where SQLite says COLLATE NOCASE.

CREATE TABLE instance (
    id          nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    created_at  nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL
);

-- Metadata of master keys. The key material itself exists only wrapped, in key_protectors.
CREATE TABLE master_keys (
    id          nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    state       nvarchar(16) COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (state IN ('active', 'retired')),
    created_at  nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    retired_at  nvarchar(40) COLLATE Latin1_General_100_BIN2 NULL
);
CREATE UNIQUE INDEX master_keys_one_active ON master_keys (state) WHERE state = 'active';

-- One row per (master key, protector). kind 'host': wrapped under the key in the host key
-- file; kind 'recovery': wrapped under a key derived from the recovery password (Argon2id).
CREATE TABLE key_protectors (
    id             nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    master_key_id  nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL REFERENCES master_keys (id) ON DELETE CASCADE,
    kind           nvarchar(16) COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (kind IN ('host', 'recovery')),
    params         nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    wrapped_key    varbinary(max) NOT NULL,
    created_at     nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL
);
CREATE UNIQUE INDEX key_protectors_one_recovery ON key_protectors (master_key_id, kind) WHERE kind = 'recovery';

-- Farm-wide service settings: one JSON value per key.
CREATE TABLE service_settings (
    [key]       nvarchar(256) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    value       nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    updated_at  nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL
);

-- The audit trail: append-only, each record commits to the one before it (hash chain). seq is
-- not an IDENTITY (identities may skip values): the engine appends MAX(seq) + 1 while holding
-- the audit application lock, so the sequence has no gap and the chain no fork.
CREATE TABLE audit_log (
    seq          bigint NOT NULL PRIMARY KEY,
    id           nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL UNIQUE,
    at           nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    actor        nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    event        nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    outcome      nvarchar(16) COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
    target_type  nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    target_id    nvarchar(450) COLLATE Latin1_General_100_BIN2 NULL,
    details      nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    prev_hash    nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
    hash         nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_target ON audit_log (target_id);
