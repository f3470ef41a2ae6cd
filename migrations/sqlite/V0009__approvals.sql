-- Approvals (docs/approvals.md, docs/adr/0012-approval-requests.md): rules that need a second
-- person before access is handed out, and the access requests waiting for, or holding, that
-- approval.

-- One row per rule that requires approval (a computer or a role rule: rule_kind says which; the
-- service removes the row with its rule). approvers is a JSON array of {"Sid", "Name"} (canonical
-- SIDs, checked by the service).
CREATE TABLE rule_approval_policies (
    rule_id                TEXT PRIMARY KEY NOT NULL,
    rule_kind              TEXT NOT NULL CHECK (rule_kind IN ('Computer', 'Role')),
    approvers              TEXT NOT NULL,
    wait_seconds           INTEGER NOT NULL CHECK (wait_seconds > 0),
    access_window_seconds  INTEGER NOT NULL CHECK (access_window_seconds > 0),
    modified_at            TEXT NOT NULL
) STRICT;

-- One row per access request made under such a rule. state moves Pending -> Approved -> Used, or
-- Pending -> Denied, only by conditional UPDATEs (state and deadline in the WHERE clause), so two
-- callers never both win. A Pending request past wait_until, or an Approved one past
-- access_until, is expired (computed when read; no row changes). query holds the requester's
-- facts (group SIDs, directory facts) as JSON so the rules can be checked again at fulfilment.
CREATE TABLE access_requests (
    id                     TEXT PRIMARY KEY NOT NULL,
    rule_id                TEXT NOT NULL,
    rule_kind              TEXT NOT NULL CHECK (rule_kind IN ('Computer', 'Role')),
    device_id              TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    access_type            TEXT NOT NULL,
    requester_sid          TEXT NOT NULL,
    query                  TEXT NOT NULL,
    reason                 TEXT,
    source_address         TEXT,
    requested_seconds      INTEGER,
    state                  TEXT NOT NULL CHECK (state IN ('Pending', 'Approved', 'Denied', 'Used')),
    requested_at           TEXT NOT NULL,
    wait_until             TEXT NOT NULL,
    access_window_seconds  INTEGER NOT NULL CHECK (access_window_seconds > 0),
    decided_by             TEXT,
    decided_at             TEXT,
    decision_reason        TEXT,
    access_until           TEXT,
    used_at                TEXT
) STRICT;
CREATE INDEX access_requests_state ON access_requests (state, requested_at);
CREATE INDEX access_requests_requester ON access_requests (requester_sid, requested_at);
CREATE INDEX access_requests_device ON access_requests (device_id, requested_at);
