-- Approvals (docs/approvals.md, docs/adr/0012-approval-requests.md): rules that need a second
-- person before access is handed out, and the access requests waiting for, or holding, that
-- approval.
-- T-SQL twin of migrations/sqlite/V0009__approvals.sql.

-- One row per rule that requires approval (a computer or a role rule: rule_kind says which; the
-- service removes the row with its rule). approvers is a JSON array of {"Sid", "Name"} (canonical
-- SIDs, checked by the service).
CREATE TABLE rule_approval_policies (
    rule_id                nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    rule_kind              nvarchar(16) COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (rule_kind IN ('Computer', 'Role')),
    approvers              nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    wait_seconds           bigint NOT NULL CHECK (wait_seconds > 0),
    access_window_seconds  bigint NOT NULL CHECK (access_window_seconds > 0),
    modified_at            nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL
);

-- One row per access request made under such a rule. state moves Pending -> Approved -> Used, or
-- Pending -> Denied, only by conditional UPDATEs (state and deadline in the WHERE clause), so two
-- callers never both win. A Pending request past wait_until, or an Approved one past
-- access_until, is expired (computed when read; no row changes). query holds the requester's
-- facts (group SIDs, directory facts) as JSON so the rules can be checked again at fulfilment.
CREATE TABLE access_requests (
    id                     nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    rule_id                nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    rule_kind              nvarchar(16) COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (rule_kind IN ('Computer', 'Role')),
    device_id              nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    access_type            nvarchar(32) COLLATE Latin1_General_100_BIN2 NOT NULL,
    requester_sid          nvarchar(256) COLLATE Latin1_General_100_BIN2 NOT NULL,
    query                  nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    reason                 nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    source_address         nvarchar(64) COLLATE Latin1_General_100_BIN2 NULL,
    requested_seconds      bigint NULL,
    state                  nvarchar(16) COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (state IN ('Pending', 'Approved', 'Denied', 'Used')),
    requested_at           nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    wait_until             nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    access_window_seconds  bigint NOT NULL CHECK (access_window_seconds > 0),
    decided_by             nvarchar(256) COLLATE Latin1_General_100_BIN2 NULL,
    decided_at             nvarchar(40) COLLATE Latin1_General_100_BIN2 NULL,
    decision_reason        nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    access_until           nvarchar(40) COLLATE Latin1_General_100_BIN2 NULL,
    used_at                nvarchar(40) COLLATE Latin1_General_100_BIN2 NULL
);
CREATE INDEX access_requests_state ON access_requests (state, requested_at);
CREATE INDEX access_requests_requester ON access_requests (requester_sid, requested_at);
CREATE INDEX access_requests_device ON access_requests (device_id, requested_at);
