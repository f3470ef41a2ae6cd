-- Authorization: computer and role authorization rules with their principals (ACEs), and the
-- rate-limit events that access requests count. T-SQL twin of
-- migrations/sqlite/V0003__authorization.sql. Durations are whole seconds.

-- A computer authorization rule: one target, and either an ACL (rows in
-- computer_rule_principals) or an authorization script.
CREATE TABLE computer_authorization_rules (
    id                            nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    target_type                   nvarchar(32) COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (target_type IN ('AdComputer', 'AdGroup', 'AdContainer',
                                      'AadComputer', 'AadGroup', 'AadTenant', 'AmsComputer', 'AmsGroup')),
    -- SID (AdComputer, AdGroup, AmsGroup), DN (AdContainer), object id (Aad*), device id (AmsComputer).
    target_id                     nvarchar(800) COLLATE Latin1_General_100_BIN2 NOT NULL,
    -- The Entra tenant id for Aad* targets.
    target_authority_id           nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    -- A name for display, captured when the rule was written (never used for matching).
    target_name                   nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    authorization_mode            nvarchar(32) COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (authorization_mode IN ('SecurityDescriptor', 'PowershellScript')),
    script                        nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    script_path                   nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    laps_default_seconds          bigint NULL CHECK (laps_default_seconds > 0),
    laps_max_seconds              bigint NULL CHECK (laps_max_seconds > 0),
    laps_allow_extension          bit NOT NULL DEFAULT 0,
    jit_group_name                nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    jit_default_seconds           bigint NULL CHECK (jit_default_seconds > 0),
    jit_max_seconds               bigint NULL CHECK (jit_max_seconds > 0),
    jit_allow_extension           bit NOT NULL DEFAULT 0,
    do_not_use_remote_dc_locator  bit NOT NULL DEFAULT 0,
    site_name                     nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    domain_controller_name        nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    description                   nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL DEFAULT '',
    notes                         nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL DEFAULT '',
    rule_expiry                   nvarchar(40) COLLATE Latin1_General_100_BIN2 NULL,
    disabled                      bit NOT NULL DEFAULT 0,
    reason_requirement            nvarchar(16) COLLATE Latin1_General_100_BIN2 NOT NULL DEFAULT 'Optional' CHECK (reason_requirement IN ('Hidden', 'Optional', 'Required')),
    notify_success                nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL DEFAULT '[]',  -- JSON array of channel ids or names
    notify_failure                nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL DEFAULT '[]',
    created_at                    nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    created_by                    nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    modified_at                   nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    modified_by                   nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    CHECK (laps_default_seconds IS NULL OR laps_max_seconds IS NULL OR laps_default_seconds <= laps_max_seconds),
    CHECK (jit_default_seconds IS NULL OR jit_max_seconds IS NULL OR jit_default_seconds <= jit_max_seconds)
);
CREATE INDEX computer_authorization_rules_target ON computer_authorization_rules (target_type, target_id);

-- Allowed and denied principals of a computer rule, one row per (access type, allow/deny, SID).
CREATE TABLE computer_rule_principals (
    rule_id       nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL REFERENCES computer_authorization_rules (id) ON DELETE CASCADE,
    access_type   nvarchar(32) COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (access_type IN ('Laps', 'LapsHistory', 'BitLocker', 'Jit',
                      'RapidLapsLogin', 'RapidLapsElevation')),
    ace           nvarchar(8) COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (ace IN ('Allow', 'Deny')),
    sid           nvarchar(256) COLLATE Latin1_General_100_BIN2 NOT NULL,
    display_name  nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    added_at      nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    PRIMARY KEY (rule_id, access_type, ace, sid)
);
CREATE INDEX computer_rule_principals_sid ON computer_rule_principals (sid);

-- A role authorization rule: JIT membership of one AD group for the allowed principals.
CREATE TABLE role_authorization_rules (
    id                      nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    name                    nvarchar(256) COLLATE Latin1_General_CI_AS NOT NULL UNIQUE,
    description             nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL DEFAULT '',
    group_name              nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    default_seconds         bigint NULL CHECK (default_seconds > 0),
    max_seconds             bigint NOT NULL CHECK (max_seconds > 0),
    allow_extension         bit NOT NULL DEFAULT 0,
    site_name               nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    domain_controller_name  nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    notes                   nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL DEFAULT '',
    rule_expiry             nvarchar(40) COLLATE Latin1_General_100_BIN2 NULL,
    disabled                bit NOT NULL DEFAULT 0,
    reason_requirement      nvarchar(16) COLLATE Latin1_General_100_BIN2 NOT NULL DEFAULT 'Optional' CHECK (reason_requirement IN ('Hidden', 'Optional', 'Required')),
    notify_success          nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL DEFAULT '[]',
    notify_failure          nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL DEFAULT '[]',
    created_at              nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    created_by              nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    modified_at             nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    modified_by             nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    CHECK (default_seconds IS NULL OR default_seconds <= max_seconds)
);

CREATE TABLE role_rule_principals (
    rule_id       nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL REFERENCES role_authorization_rules (id) ON DELETE CASCADE,
    access_type   nvarchar(32) COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (access_type = 'Jit'),
    ace           nvarchar(8) COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (ace IN ('Allow', 'Deny')),
    sid           nvarchar(256) COLLATE Latin1_General_100_BIN2 NOT NULL,
    display_name  nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    added_at      nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    PRIMARY KEY (rule_id, access_type, ace, sid)
);

-- One row per access request that passed a rate-limit check. key is 'user:<SID>' or
-- 'ip:<address>'; counts over sliding windows (minute, hour, day) decide the next request.
-- Rows older than a day are purged by the requests themselves. The engine counts and inserts
-- under an application lock per key, so two hosts cannot both pass the last free slot.
CREATE TABLE rate_limit_events (
    id          bigint IDENTITY (1, 1) NOT NULL PRIMARY KEY,
    [key]       nvarchar(400) COLLATE Latin1_General_100_BIN2 NOT NULL,
    created_at  nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL
);
CREATE INDEX rate_limit_events_key ON rate_limit_events ([key], created_at);
CREATE INDEX rate_limit_events_created ON rate_limit_events (created_at);
