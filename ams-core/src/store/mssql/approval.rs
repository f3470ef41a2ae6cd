//! T-SQL for approvals: rules' approval requirements and access requests.

use super::{Cols, MssqlTx, statements};
use crate::error::Result;
use crate::store::{
    AccessDecision, AccessRequestFilter, AccessRequestRow, ApprovalRead, ApprovalWrite, RuleApprovalRow,
};

macro_rules! policy_cols {
    () => {
        "rule_id, rule_kind, approvers, wait_seconds, access_window_seconds, modified_at"
    };
}
macro_rules! request_cols {
    () => {
        "id, rule_id, rule_kind, device_id, access_type, requester_sid, query, reason, source_address, requested_seconds, state, requested_at, wait_until, access_window_seconds, decided_by, decided_at, decision_reason, access_until, used_at"
    };
}

statements! {
    POLICY = concat!("SELECT ", policy_cols!(), " FROM rule_approval_policies WHERE rule_id = @P1");
    POLICIES = concat!("SELECT ", policy_cols!(), " FROM rule_approval_policies ORDER BY rule_id");
    REQUEST = concat!("SELECT ", request_cols!(), " FROM access_requests WHERE id = @P1");
    REQUESTS = concat!("SELECT ", request_cols!(), " FROM access_requests
        WHERE (@P1 IS NULL OR state = @P1) AND (@P2 IS NULL OR requester_sid = @P2) AND (@P3 IS NULL OR device_id = @P3)
        ORDER BY requested_at DESC, id");
    PUT_POLICY = "UPDATE rule_approval_policies WITH (UPDLOCK, HOLDLOCK) SET rule_kind = @P2, approvers = @P3,
            wait_seconds = @P4, access_window_seconds = @P5, modified_at = @P6
        WHERE rule_id = @P1;
        IF @@ROWCOUNT = 0 INSERT INTO rule_approval_policies (rule_id, rule_kind, approvers, wait_seconds,
            access_window_seconds, modified_at)
        VALUES (@P1, @P2, @P3, @P4, @P5, @P6)";
    DELETE_POLICY = "DELETE FROM rule_approval_policies WHERE rule_id = @P1";
    INSERT_REQUEST = concat!("INSERT INTO access_requests (", request_cols!(), ")
        VALUES (@P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9, @P10, @P11, @P12, @P13, @P14, @P15, @P16, @P17, @P18, @P19)");
    /// Conditional: only a pending request still within its wait is decided.
    DECIDE_REQUEST = "UPDATE access_requests SET state = @P2, decided_by = @P3, decided_at = @P4,
            decision_reason = @P5, access_until = @P6
        WHERE id = @P1 AND state = 'Pending' AND wait_until > @P4";
    /// Conditional: only an approved request within its window is used, once.
    USE_REQUEST = "UPDATE access_requests SET state = 'Used', used_at = @P2
        WHERE id = @P1 AND state = 'Approved' AND access_until > @P2";
}

fn policy_row(r: &Cols<'_>) -> Result<RuleApprovalRow> {
    Ok(RuleApprovalRow {
        rule_id: r.s()?,
        rule_kind: r.s()?,
        approvers: r.s()?,
        wait_seconds: r.i()?,
        access_window_seconds: r.i()?,
        modified_at: r.s()?,
    })
}

fn request_row(r: &Cols<'_>) -> Result<AccessRequestRow> {
    Ok(AccessRequestRow {
        id: r.s()?,
        rule_id: r.s()?,
        rule_kind: r.s()?,
        device_id: r.s()?,
        access_type: r.s()?,
        requester_sid: r.s()?,
        query: r.s()?,
        reason: r.os()?,
        source_address: r.os()?,
        requested_seconds: r.oi()?,
        state: r.s()?,
        requested_at: r.s()?,
        wait_until: r.s()?,
        access_window_seconds: r.i()?,
        decided_by: r.os()?,
        decided_at: r.os()?,
        decision_reason: r.os()?,
        access_until: r.os()?,
        used_at: r.os()?,
    })
}

impl ApprovalRead for MssqlTx<'_> {
    fn rule_approval(&self, rule_id: &str) -> Result<Option<RuleApprovalRow>> {
        self.one(POLICY, &[&rule_id], policy_row)
    }

    fn rule_approvals(&self) -> Result<Vec<RuleApprovalRow>> {
        self.rows(POLICIES, &[], policy_row)
    }

    fn access_request(&self, id: &str) -> Result<Option<AccessRequestRow>> {
        self.one(REQUEST, &[&id], request_row)
    }

    fn access_requests(&self, f: &AccessRequestFilter) -> Result<Vec<AccessRequestRow>> {
        self.rows(REQUESTS, &[&f.state, &f.requester_sid, &f.device_id], request_row)
    }
}

impl ApprovalWrite for MssqlTx<'_> {
    fn put_rule_approval(&self, r: &RuleApprovalRow) -> Result<()> {
        self.exec(
            PUT_POLICY,
            &[&r.rule_id, &r.rule_kind, &r.approvers, &r.wait_seconds, &r.access_window_seconds, &r.modified_at],
        )?;
        Ok(())
    }

    fn delete_rule_approval(&self, rule_id: &str) -> Result<bool> {
        Ok(self.exec(DELETE_POLICY, &[&rule_id])? > 0)
    }

    fn insert_access_request(&self, r: &AccessRequestRow) -> Result<()> {
        self.exec(
            INSERT_REQUEST,
            &[
                &r.id,
                &r.rule_id,
                &r.rule_kind,
                &r.device_id,
                &r.access_type,
                &r.requester_sid,
                &r.query,
                &r.reason,
                &r.source_address,
                &r.requested_seconds,
                &r.state,
                &r.requested_at,
                &r.wait_until,
                &r.access_window_seconds,
                &r.decided_by,
                &r.decided_at,
                &r.decision_reason,
                &r.access_until,
                &r.used_at,
            ],
        )?;
        Ok(())
    }

    fn decide_access_request(&self, d: &AccessDecision<'_>) -> Result<usize> {
        self.exec(DECIDE_REQUEST, &[&d.id, &d.state, &d.decided_by, &d.decided_at, &d.reason, &d.access_until])
    }

    fn use_access_request(&self, id: &str, at: &str) -> Result<usize> {
        self.exec(USE_REQUEST, &[&id, &at])
    }
}
