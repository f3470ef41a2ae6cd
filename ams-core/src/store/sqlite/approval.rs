//! SQL for approvals: rules' approval requirements and access requests.

use rusqlite::{OptionalExtension, Row, params};

use super::SqliteTx;
use crate::error::Result;
use crate::store::{
    AccessDecision, AccessRequestFilter, AccessRequestRow, ApprovalRead, ApprovalWrite, RuleApprovalRow,
};

const POLICY_COLS: &str = "rule_id, rule_kind, approvers, wait_seconds, access_window_seconds, modified_at";

fn policy_row(r: &Row<'_>) -> rusqlite::Result<RuleApprovalRow> {
    Ok(RuleApprovalRow {
        rule_id: r.get(0)?,
        rule_kind: r.get(1)?,
        approvers: r.get(2)?,
        wait_seconds: r.get(3)?,
        access_window_seconds: r.get(4)?,
        modified_at: r.get(5)?,
    })
}

const REQUEST_COLS: &str = "id, rule_id, rule_kind, device_id, access_type, requester_sid, query, reason, \
     source_address, requested_seconds, state, requested_at, wait_until, access_window_seconds, decided_by, \
     decided_at, decision_reason, access_until, used_at";

fn request_row(r: &Row<'_>) -> rusqlite::Result<AccessRequestRow> {
    Ok(AccessRequestRow {
        id: r.get(0)?,
        rule_id: r.get(1)?,
        rule_kind: r.get(2)?,
        device_id: r.get(3)?,
        access_type: r.get(4)?,
        requester_sid: r.get(5)?,
        query: r.get(6)?,
        reason: r.get(7)?,
        source_address: r.get(8)?,
        requested_seconds: r.get(9)?,
        state: r.get(10)?,
        requested_at: r.get(11)?,
        wait_until: r.get(12)?,
        access_window_seconds: r.get(13)?,
        decided_by: r.get(14)?,
        decided_at: r.get(15)?,
        decision_reason: r.get(16)?,
        access_until: r.get(17)?,
        used_at: r.get(18)?,
    })
}

impl ApprovalRead for SqliteTx<'_> {
    fn rule_approval(&self, rule_id: &str) -> Result<Option<RuleApprovalRow>> {
        let mut stmt =
            self.tx.prepare_cached(&format!("SELECT {POLICY_COLS} FROM rule_approval_policies WHERE rule_id = ?1"))?;
        Ok(stmt.query_row(params![rule_id], policy_row).optional()?)
    }

    fn rule_approvals(&self) -> Result<Vec<RuleApprovalRow>> {
        let mut stmt =
            self.tx.prepare_cached(&format!("SELECT {POLICY_COLS} FROM rule_approval_policies ORDER BY rule_id"))?;
        let rows = stmt.query_map([], policy_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn access_request(&self, id: &str) -> Result<Option<AccessRequestRow>> {
        let mut stmt = self.tx.prepare_cached(&format!("SELECT {REQUEST_COLS} FROM access_requests WHERE id = ?1"))?;
        Ok(stmt.query_row(params![id], request_row).optional()?)
    }

    fn access_requests(&self, f: &AccessRequestFilter) -> Result<Vec<AccessRequestRow>> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {REQUEST_COLS} FROM access_requests
             WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR requester_sid = ?2) AND (?3 IS NULL OR device_id = ?3)
             ORDER BY requested_at DESC, id"
        ))?;
        let rows = stmt.query_map(params![f.state, f.requester_sid, f.device_id], request_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

impl ApprovalWrite for SqliteTx<'_> {
    fn put_rule_approval(&self, r: &RuleApprovalRow) -> Result<()> {
        self.tx.execute(
            &format!(
                "INSERT INTO rule_approval_policies ({POLICY_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (rule_id) DO UPDATE SET rule_kind = excluded.rule_kind, approvers = excluded.approvers,
                 wait_seconds = excluded.wait_seconds, access_window_seconds = excluded.access_window_seconds,
                 modified_at = excluded.modified_at"
            ),
            params![r.rule_id, r.rule_kind, r.approvers, r.wait_seconds, r.access_window_seconds, r.modified_at],
        )?;
        Ok(())
    }

    fn delete_rule_approval(&self, rule_id: &str) -> Result<bool> {
        Ok(self.tx.execute("DELETE FROM rule_approval_policies WHERE rule_id = ?1", params![rule_id])? > 0)
    }

    fn insert_access_request(&self, r: &AccessRequestRow) -> Result<()> {
        self.tx.execute(
            &format!(
                "INSERT INTO access_requests ({REQUEST_COLS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"
            ),
            params![
                r.id,
                r.rule_id,
                r.rule_kind,
                r.device_id,
                r.access_type,
                r.requester_sid,
                r.query,
                r.reason,
                r.source_address,
                r.requested_seconds,
                r.state,
                r.requested_at,
                r.wait_until,
                r.access_window_seconds,
                r.decided_by,
                r.decided_at,
                r.decision_reason,
                r.access_until,
                r.used_at
            ],
        )?;
        Ok(())
    }

    fn decide_access_request(&self, d: &AccessDecision<'_>) -> Result<usize> {
        Ok(self.tx.execute(
            "UPDATE access_requests SET state = ?2, decided_by = ?3, decided_at = ?4, decision_reason = ?5,
                 access_until = ?6
             WHERE id = ?1 AND state = 'Pending' AND wait_until > ?4",
            params![d.id, d.state, d.decided_by, d.decided_at, d.reason, d.access_until],
        )?)
    }

    fn use_access_request(&self, id: &str, at: &str) -> Result<usize> {
        Ok(self.tx.execute(
            "UPDATE access_requests SET state = 'Used', used_at = ?2
             WHERE id = ?1 AND state = 'Approved' AND access_until > ?2",
            params![id, at],
        )?)
    }
}
