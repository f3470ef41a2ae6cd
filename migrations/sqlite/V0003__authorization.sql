-- Authorization: computer and role authorization rules with their principals (ACEs), and the
-- rate-limit events that access requests count. Ids are UUID strings, times fixed-width RFC 3339
-- UTC strings and durations whole seconds, all made by ams-core.

-- A computer authorization rule: one target, and either an ACL (rows in
-- computer_rule_principals) or an authorization script.
CREATE TABLE computer_authorization_rules (
    id                            TEXT PRIMARY KEY NOT NULL,
    target_type                   TEXT NOT NULL CHECK (target_type IN ('AdComputer', 'AdGroup', 'AdContainer',
                                      'AadComputer', 'AadGroup', 'AadTenant', 'AmsComputer', 'AmsGroup')),
    -- SID (AdComputer, AdGroup, AmsGroup), DN (AdContainer), object id (Aad*), device id (AmsComputer).
    target_id                     TEXT NOT NULL,
    -- The Entra tenant id for Aad* targets.
    target_authority_id           TEXT,
    -- A name for display, captured when the rule was written (never used for matching).
    target_name                   TEXT,
    authorization_mode            TEXT NOT NULL CHECK (authorization_mode IN ('SecurityDescriptor', 'PowershellScript')),
    script                        TEXT,
    script_path                   TEXT,
    laps_default_seconds          INTEGER CHECK (laps_default_seconds > 0),
    laps_max_seconds              INTEGER CHECK (laps_max_seconds > 0),
    laps_allow_extension          INTEGER NOT NULL DEFAULT 0 CHECK (laps_allow_extension IN (0, 1)),
    jit_group_name                TEXT,
    jit_default_seconds           INTEGER CHECK (jit_default_seconds > 0),
    jit_max_seconds               INTEGER CHECK (jit_max_seconds > 0),
    jit_allow_extension           INTEGER NOT NULL DEFAULT 0 CHECK (jit_allow_extension IN (0, 1)),
    do_not_use_remote_dc_locator  INTEGER NOT NULL DEFAULT 0 CHECK (do_not_use_remote_dc_locator IN (0, 1)),
    site_name                     TEXT,
    domain_controller_name        TEXT,
    description                   TEXT NOT NULL DEFAULT '',
    notes                         TEXT NOT NULL DEFAULT '',
    rule_expiry                   TEXT,
    disabled                      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    reason_requirement            TEXT NOT NULL DEFAULT 'Optional' CHECK (reason_requirement IN ('Hidden', 'Optional', 'Required')),
    notify_success                TEXT NOT NULL DEFAULT '[]',   -- JSON array of channel ids or names
    notify_failure                TEXT NOT NULL DEFAULT '[]',
    created_at                    TEXT NOT NULL,
    created_by                    TEXT NOT NULL,
    modified_at                   TEXT NOT NULL,
    modified_by                   TEXT NOT NULL,
    CHECK (laps_default_seconds IS NULL OR laps_max_seconds IS NULL OR laps_default_seconds <= laps_max_seconds),
    CHECK (jit_default_seconds IS NULL OR jit_max_seconds IS NULL OR jit_default_seconds <= jit_max_seconds)
) STRICT;
CREATE INDEX computer_authorization_rules_target ON computer_authorization_rules (target_type, target_id);

-- Allowed and denied principals of a computer rule, one row per (access type, allow/deny, SID).
CREATE TABLE computer_rule_principals (
    rule_id       TEXT NOT NULL REFERENCES computer_authorization_rules (id) ON DELETE CASCADE,
    access_type   TEXT NOT NULL CHECK (access_type IN ('Laps', 'LapsHistory', 'BitLocker', 'Jit',
                      'RapidLapsLogin', 'RapidLapsElevation')),
    ace           TEXT NOT NULL CHECK (ace IN ('Allow', 'Deny')),
    sid           TEXT NOT NULL,
    display_name  TEXT,
    added_at      TEXT NOT NULL,
    PRIMARY KEY (rule_id, access_type, ace, sid)
) STRICT, WITHOUT ROWID;
CREATE INDEX computer_rule_principals_sid ON computer_rule_principals (sid);

-- A role authorization rule: JIT membership of one AD group for the allowed principals.
CREATE TABLE role_authorization_rules (
    id                      TEXT PRIMARY KEY NOT NULL,
    name                    TEXT NOT NULL COLLATE NOCASE UNIQUE,
    description             TEXT NOT NULL DEFAULT '',
    group_name              TEXT NOT NULL,
    default_seconds         INTEGER CHECK (default_seconds > 0),
    max_seconds             INTEGER NOT NULL CHECK (max_seconds > 0),
    allow_extension         INTEGER NOT NULL DEFAULT 0 CHECK (allow_extension IN (0, 1)),
    site_name               TEXT,
    domain_controller_name  TEXT,
    notes                   TEXT NOT NULL DEFAULT '',
    rule_expiry             TEXT,
    disabled                INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    reason_requirement      TEXT NOT NULL DEFAULT 'Optional' CHECK (reason_requirement IN ('Hidden', 'Optional', 'Required')),
    notify_success          TEXT NOT NULL DEFAULT '[]',
    notify_failure          TEXT NOT NULL DEFAULT '[]',
    created_at              TEXT NOT NULL,
    created_by              TEXT NOT NULL,
    modified_at             TEXT NOT NULL,
    modified_by             TEXT NOT NULL,
    CHECK (default_seconds IS NULL OR default_seconds <= max_seconds)
) STRICT;

CREATE TABLE role_rule_principals (
    rule_id       TEXT NOT NULL REFERENCES role_authorization_rules (id) ON DELETE CASCADE,
    access_type   TEXT NOT NULL CHECK (access_type = 'Jit'),
    ace           TEXT NOT NULL CHECK (ace IN ('Allow', 'Deny')),
    sid           TEXT NOT NULL,
    display_name  TEXT,
    added_at      TEXT NOT NULL,
    PRIMARY KEY (rule_id, access_type, ace, sid)
) STRICT, WITHOUT ROWID;

-- One row per access request that passed a rate-limit check. key is 'user:<SID>' or
-- 'ip:<address>'; counts over sliding windows (minute, hour, day) decide the next request.
-- Rows older than a day are purged by the requests themselves.
CREATE TABLE rate_limit_events (
    id          INTEGER PRIMARY KEY NOT NULL,
    key         TEXT NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX rate_limit_events_key ON rate_limit_events (key, created_at);
CREATE INDEX rate_limit_events_created ON rate_limit_events (created_at);
