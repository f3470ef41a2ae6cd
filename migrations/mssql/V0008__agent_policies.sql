-- Agent policies (docs/agent-policies.md): what each device is told to do at check-in, the word
-- lists passphrases are drawn from, and the devices told to rotate early.
-- T-SQL twin of migrations/sqlite/V0008__agent_policies.sql.

-- One row per policy. Each operating system has exactly one default policy (is_default = 1,
-- position 0) and any number of custom policies, evaluated in position order. The settings are
-- one JSON document (the service validates it; unknown fields are refused there).
CREATE TABLE agent_policies (
    id           nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    name         nvarchar(256) COLLATE Latin1_General_CI_AS NOT NULL,
    description  nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    os_type      nvarchar(16) COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (os_type IN ('Windows', 'Linux', 'MacOS')),
    position     bigint NOT NULL CHECK (position >= 0),
    enabled      bit NOT NULL,
    is_default   bit NOT NULL,
    settings     nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    created_at   nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    modified_at  nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    UNIQUE (os_type, name)
);
-- A filtered unique index: one default per operating system.
CREATE UNIQUE INDEX agent_policies_one_default ON agent_policies (os_type) WHERE is_default = 1;
CREATE INDEX agent_policies_order ON agent_policies (os_type, position);

-- What a custom policy applies to: a device (its SID) or a group (custom or built-in, its SID).
CREATE TABLE agent_policy_targets (
    policy_id    nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL REFERENCES agent_policies (id) ON DELETE CASCADE,
    target_type  nvarchar(16) COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (target_type IN ('Device', 'Group')),
    target_sid   nvarchar(256) COLLATE Latin1_General_100_BIN2 NOT NULL,
    target_id    nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    PRIMARY KEY (policy_id, target_sid)
);

-- Custom word lists (the built-in list ships inside ams and is not stored here).
CREATE TABLE word_lists (
    id           nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    name         nvarchar(256) COLLATE Latin1_General_CI_AS NOT NULL UNIQUE,
    description  nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    language     nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    word_count   bigint NOT NULL CHECK (word_count >= 2000),
    sha256       nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL,  -- SHA-256 of the sorted words, hex
    created_at   nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL
);

-- Words are 1 to 32 letters a-z (the service checks them).
CREATE TABLE word_list_words (
    list_id  nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL REFERENCES word_lists (id) ON DELETE CASCADE,
    word     nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    PRIMARY KEY (list_id, word)
);

-- Devices whose password must be rotated at their next check-in (set when a policy's maximum
-- age shortens; cleared by the next password upload).
CREATE TABLE device_rotation_marks (
    device_id  nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
    reason     nvarchar(256) COLLATE Latin1_General_100_BIN2 NOT NULL,
    marked_at  nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL
);

-- The three default policies. Empty settings mean every default (docs/agent-policies.md); the
-- seeded defaults do not refuse weak uploads, so an upgrade never starts refusing agents.
INSERT INTO agent_policies (id, name, description, os_type, position, enabled, is_default, settings, created_at, modified_at) VALUES
    (N'00000000-0000-4000-8000-00000000d001', N'Default Windows policy', N'Applies to Windows devices no custom policy targets', N'Windows', 0, 1, 1, N'{"RefuseWeakUploads":false}', N'1970-01-01T00:00:00.000000Z', N'1970-01-01T00:00:00.000000Z'),
    (N'00000000-0000-4000-8000-00000000d002', N'Default Linux policy', N'Applies to Linux devices no custom policy targets', N'Linux', 0, 1, 1, N'{"RefuseWeakUploads":false}', N'1970-01-01T00:00:00.000000Z', N'1970-01-01T00:00:00.000000Z'),
    (N'00000000-0000-4000-8000-00000000d003', N'Default macOS policy', N'Applies to macOS devices no custom policy targets', N'MacOS', 0, 1, 1, N'{"RefuseWeakUploads":false}', N'1970-01-01T00:00:00.000000Z', N'1970-01-01T00:00:00.000000Z');
