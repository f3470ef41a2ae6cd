-- Just-in-time access: the directory the JIT engine works in, the rules that create JIT groups
-- for computers, and the scheduler's queue of membership removals. JIT options (mode, DC
-- locator, sync intervals, retry limit) are rows of service_settings.

-- The directory (one row). The bind password is sealed under the master key.
CREATE TABLE jit_directory (
    id                    TEXT PRIMARY KEY CHECK (id = 'default'),
    url                   TEXT NOT NULL,
    bind_dn               TEXT NOT NULL,
    base_dn               TEXT NOT NULL,
    sid_attribute         TEXT NOT NULL,
    sid_format            TEXT NOT NULL CHECK (sid_format IN ('binary', 'string')),
    member_attribute      TEXT NOT NULL,
    name_attribute        TEXT NOT NULL,
    group_object_class    TEXT NOT NULL,
    computer_object_class TEXT NOT NULL,
    group_type_attribute  TEXT NOT NULL,
    initial_member_dn     TEXT,
    sealed_bind_password  BLOB,
    updated_at            TEXT NOT NULL
) STRICT;

CREATE TABLE jit_group_creation_rules (
    id                        TEXT PRIMARY KEY,
    computer_ou               TEXT NOT NULL,
    subtree                   INTEGER NOT NULL CHECK (subtree IN (0, 1)),
    group_ou                  TEXT NOT NULL,
    group_name_template       TEXT NOT NULL,
    group_description         TEXT,
    group_type                TEXT NOT NULL CHECK (group_type IN ('DomainLocal', 'Global', 'Universal')),
    enable_jit_group_deletion INTEGER NOT NULL CHECK (enable_jit_group_deletion IN (0, 1)),
    create_unix_gid           INTEGER NOT NULL CHECK (create_unix_gid IN (0, 1)),
    unix_gid_attribute_name   TEXT NOT NULL,
    unix_gid_start_range      INTEGER NOT NULL,
    full_sync_requested_at    TEXT,
    last_sync_at              TEXT,
    created_at                TEXT NOT NULL,
    updated_at                TEXT NOT NULL
) STRICT;

CREATE TABLE jit_scheduler_jobs (
    id              TEXT PRIMARY KEY,
    job_type        TEXT NOT NULL CHECK (job_type IN ('ActiveDirectoryGroupRemoval')),
    user_sid        TEXT NOT NULL,
    member_dn       TEXT NOT NULL,
    group_dn        TEXT NOT NULL,
    group_name      TEXT NOT NULL,
    device_id       TEXT,
    computer_name   TEXT,
    rule_id         TEXT,
    due_at          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_attempt_at TEXT,
    last_error      TEXT,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'failed', 'done')),
    created_at      TEXT NOT NULL,
    completed_at    TEXT
) STRICT;

CREATE INDEX jit_scheduler_jobs_due ON jit_scheduler_jobs (state, due_at);
CREATE INDEX jit_scheduler_jobs_member ON jit_scheduler_jobs (user_sid, group_dn, state);
