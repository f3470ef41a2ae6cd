-- Agent policies (docs/agent-policies.md): what each device is told to do at check-in, the word
-- lists passphrases are drawn from, and the devices told to rotate early.

-- One row per policy. Each operating system has exactly one default policy (is_default = 1,
-- position 0) and any number of custom policies, evaluated in position order. The settings are
-- one JSON document (the service validates it; unknown fields are refused there).
CREATE TABLE agent_policies (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL COLLATE NOCASE,
    description  TEXT,
    os_type      TEXT NOT NULL CHECK (os_type IN ('Windows', 'Linux', 'MacOS')),
    position     INTEGER NOT NULL CHECK (position >= 0),
    enabled      INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    is_default   INTEGER NOT NULL CHECK (is_default IN (0, 1)),
    settings     TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    modified_at  TEXT NOT NULL,
    UNIQUE (os_type, name)
) STRICT;
CREATE UNIQUE INDEX agent_policies_one_default ON agent_policies (os_type) WHERE is_default = 1;
CREATE INDEX agent_policies_order ON agent_policies (os_type, position);

-- What a custom policy applies to: a device (its SID) or a group (custom or built-in, its SID).
CREATE TABLE agent_policy_targets (
    policy_id    TEXT NOT NULL REFERENCES agent_policies (id) ON DELETE CASCADE,
    target_type  TEXT NOT NULL CHECK (target_type IN ('Device', 'Group')),
    target_sid   TEXT NOT NULL,
    target_id    TEXT NOT NULL,
    PRIMARY KEY (policy_id, target_sid)
) STRICT, WITHOUT ROWID;

-- Custom word lists (the built-in list ships inside ams and is not stored here).
CREATE TABLE word_lists (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    description  TEXT,
    language     TEXT,
    word_count   INTEGER NOT NULL CHECK (word_count >= 2000),
    sha256       TEXT NOT NULL,
    created_at   TEXT NOT NULL
) STRICT;

CREATE TABLE word_list_words (
    list_id  TEXT NOT NULL REFERENCES word_lists (id) ON DELETE CASCADE,
    word     TEXT NOT NULL,
    PRIMARY KEY (list_id, word)
) STRICT, WITHOUT ROWID;

-- Devices whose password must be rotated at their next check-in (set when a policy's maximum
-- age shortens; cleared by the next password upload).
CREATE TABLE device_rotation_marks (
    device_id  TEXT PRIMARY KEY NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    reason     TEXT NOT NULL,
    marked_at  TEXT NOT NULL
) STRICT;

-- The three default policies. Empty settings mean every default (docs/agent-policies.md); the
-- seeded defaults do not refuse weak uploads, so an upgrade never starts refusing agents.
INSERT INTO agent_policies (id, name, description, os_type, position, enabled, is_default, settings, created_at, modified_at) VALUES
    ('00000000-0000-4000-8000-00000000d001', 'Default Windows policy', 'Applies to Windows devices no custom policy targets', 'Windows', 0, 1, 1, '{"RefuseWeakUploads":false}', '1970-01-01T00:00:00.000000Z', '1970-01-01T00:00:00.000000Z'),
    ('00000000-0000-4000-8000-00000000d002', 'Default Linux policy', 'Applies to Linux devices no custom policy targets', 'Linux', 0, 1, 1, '{"RefuseWeakUploads":false}', '1970-01-01T00:00:00.000000Z', '1970-01-01T00:00:00.000000Z'),
    ('00000000-0000-4000-8000-00000000d003', 'Default macOS policy', 'Applies to macOS devices no custom policy targets', 'MacOS', 0, 1, 1, '{"RefuseWeakUploads":false}', '1970-01-01T00:00:00.000000Z', '1970-01-01T00:00:00.000000Z');
