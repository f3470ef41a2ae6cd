-- Just-in-time access: the directory the JIT engine works in, the rules that create JIT groups
-- for computers, and the scheduler's queue of membership removals. JIT options (mode, DC
-- locator, sync intervals, retry limit) are rows of service_settings.
-- T-SQL twin of migrations/sqlite/V0005__jit.sql.

-- The directory (one row). The bind password is sealed under the master key.
CREATE TABLE jit_directory (
    id                    nvarchar(16) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY CHECK (id = 'default'),
    url                   nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    bind_dn               nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    base_dn               nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    sid_attribute         nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    sid_format            nvarchar(16) COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (sid_format IN ('binary', 'string')),
    member_attribute      nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    name_attribute        nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    group_object_class    nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    computer_object_class nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    group_type_attribute  nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    initial_member_dn     nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    sealed_bind_password  varbinary(max) NULL,
    updated_at            nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL
);

CREATE TABLE jit_group_creation_rules (
    id                        nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    computer_ou               nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    subtree                   bit NOT NULL,
    group_ou                  nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    group_name_template       nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    group_description         nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    group_type                nvarchar(16) COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (group_type IN ('DomainLocal', 'Global', 'Universal')),
    enable_jit_group_deletion bit NOT NULL,
    create_unix_gid           bit NOT NULL,
    unix_gid_attribute_name   nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    unix_gid_start_range      bigint NOT NULL,
    full_sync_requested_at    nvarchar(40) COLLATE Latin1_General_100_BIN2 NULL,
    last_sync_at              nvarchar(40) COLLATE Latin1_General_100_BIN2 NULL,
    created_at                nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    updated_at                nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL
);

-- Two hosts running `jit run-due` never process one job twice: a job is claimed by an UPDATE
-- that reads it under UPDLOCK, READPAST (see store/mssql/jit.rs).
CREATE TABLE jit_scheduler_jobs (
    id              nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    job_type        nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (job_type IN ('ActiveDirectoryGroupRemoval')),
    user_sid        nvarchar(256) COLLATE Latin1_General_100_BIN2 NOT NULL,
    member_dn       nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    group_dn        nvarchar(400) COLLATE Latin1_General_100_BIN2 NOT NULL,
    group_name      nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    device_id       nvarchar(64) COLLATE Latin1_General_100_BIN2 NULL,
    computer_name   nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    rule_id         nvarchar(64) COLLATE Latin1_General_100_BIN2 NULL,
    due_at          nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    attempts        bigint NOT NULL DEFAULT 0,
    last_attempt_at nvarchar(40) COLLATE Latin1_General_100_BIN2 NULL,
    last_error      nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    state           nvarchar(16) COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (state IN ('pending', 'failed', 'done')),
    created_at      nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    completed_at    nvarchar(40) COLLATE Latin1_General_100_BIN2 NULL
);

CREATE INDEX jit_scheduler_jobs_due ON jit_scheduler_jobs (state, due_at);
CREATE INDEX jit_scheduler_jobs_member ON jit_scheduler_jobs (user_sid, group_dn, state);
