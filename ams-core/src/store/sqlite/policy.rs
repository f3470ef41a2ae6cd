//! SQL for agent policies, their targets, custom word lists and early-rotation marks.

use rusqlite::{OptionalExtension, Row, params};

use super::SqliteTx;
use crate::error::Result;
use crate::store::{AgentPolicyRow, PolicyRead, PolicyTargetRow, PolicyWrite, RotationMarkRow, WordListRow};

const POLICY_COLS: &str =
    "id, name, description, os_type, position, enabled, is_default, settings, created_at, modified_at";
const LIST_COLS: &str = "id, name, description, language, word_count, sha256, created_at";

fn map_policy(r: &Row<'_>) -> rusqlite::Result<AgentPolicyRow> {
    Ok(AgentPolicyRow {
        id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        os_type: r.get(3)?,
        position: r.get(4)?,
        enabled: r.get(5)?,
        is_default: r.get(6)?,
        settings: r.get(7)?,
        created_at: r.get(8)?,
        modified_at: r.get(9)?,
    })
}

fn map_list(r: &Row<'_>) -> rusqlite::Result<WordListRow> {
    Ok(WordListRow {
        id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        language: r.get(3)?,
        word_count: r.get(4)?,
        sha256: r.get(5)?,
        created_at: r.get(6)?,
    })
}

impl PolicyRead for SqliteTx<'_> {
    fn agent_policies(&self, os_type: Option<&str>) -> Result<Vec<AgentPolicyRow>> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {POLICY_COLS} FROM agent_policies WHERE ?1 IS NULL OR os_type = ?1
             ORDER BY os_type, is_default DESC, position, id"
        ))?;
        let rows = stmt.query_map(params![os_type], map_policy)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn agent_policy(&self, id: &str) -> Result<Option<AgentPolicyRow>> {
        let mut stmt = self.tx.prepare_cached(&format!("SELECT {POLICY_COLS} FROM agent_policies WHERE id = ?1"))?;
        Ok(stmt.query_row(params![id], map_policy).optional()?)
    }

    fn agent_policy_targets(&self, policy_id: &str) -> Result<Vec<PolicyTargetRow>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT policy_id, target_type, target_sid, target_id FROM agent_policy_targets
             WHERE policy_id = ?1 ORDER BY target_sid",
        )?;
        let rows = stmt.query_map(params![policy_id], |r| {
            Ok(PolicyTargetRow {
                policy_id: r.get(0)?,
                target_type: r.get(1)?,
                target_sid: r.get(2)?,
                target_id: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn word_lists(&self, id: Option<&str>, name: Option<&str>) -> Result<Vec<WordListRow>> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {LIST_COLS} FROM word_lists WHERE (?1 IS NULL OR id = ?1) AND (?2 IS NULL OR name = ?2) ORDER BY name"
        ))?;
        let rows = stmt.query_map(params![id, name], map_list)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn word_list_words(&self, list_id: &str) -> Result<Vec<String>> {
        let mut stmt = self.tx.prepare_cached("SELECT word FROM word_list_words WHERE list_id = ?1 ORDER BY word")?;
        let rows = stmt.query_map(params![list_id], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn rotation_mark(&self, device_id: &str) -> Result<Option<RotationMarkRow>> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT device_id, reason, marked_at FROM device_rotation_marks WHERE device_id = ?1")?;
        Ok(stmt
            .query_row(params![device_id], |r| {
                Ok(RotationMarkRow { device_id: r.get(0)?, reason: r.get(1)?, marked_at: r.get(2)? })
            })
            .optional()?)
    }
}

/// A policy row's values in `POLICY_COLS` order, for the insert (`?1`..`?10`) and the update
/// (`?1`..`?9`, which leaves out `created_at`).
fn policy_values(p: &AgentPolicyRow, with_created: bool) -> Vec<&dyn rusqlite::ToSql> {
    let mut v: Vec<&dyn rusqlite::ToSql> =
        vec![&p.id, &p.name, &p.description, &p.os_type, &p.position, &p.enabled, &p.is_default, &p.settings];
    if with_created {
        v.push(&p.created_at);
    }
    v.push(&p.modified_at);
    v
}

impl PolicyWrite for SqliteTx<'_> {
    fn insert_agent_policy(&self, p: &AgentPolicyRow) -> Result<()> {
        self.tx.execute(
            &format!("INSERT INTO agent_policies ({POLICY_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
            policy_values(p, true).as_slice(),
        )?;
        Ok(())
    }

    fn update_agent_policy(&self, p: &AgentPolicyRow) -> Result<usize> {
        Ok(self.tx.execute(
            "UPDATE agent_policies SET name = ?2, description = ?3, os_type = ?4, position = ?5, enabled = ?6,
               is_default = ?7, settings = ?8, modified_at = ?9 WHERE id = ?1",
            policy_values(p, false).as_slice(),
        )?)
    }

    fn delete_agent_policy(&self, id: &str) -> Result<usize> {
        Ok(self.tx.execute("DELETE FROM agent_policies WHERE id = ?1", params![id])?)
    }

    fn set_agent_policy_targets(&self, policy_id: &str, targets: &[PolicyTargetRow]) -> Result<()> {
        self.tx.execute("DELETE FROM agent_policy_targets WHERE policy_id = ?1", params![policy_id])?;
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO agent_policy_targets (policy_id, target_type, target_sid, target_id) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for t in targets {
            stmt.execute(params![policy_id, t.target_type, t.target_sid, t.target_id])?;
        }
        Ok(())
    }

    fn insert_word_list(&self, l: &WordListRow, words: &[String]) -> Result<()> {
        self.tx.execute(
            &format!("INSERT INTO word_lists ({LIST_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
            params![l.id, l.name, l.description, l.language, l.word_count, l.sha256, l.created_at],
        )?;
        let mut stmt = self.tx.prepare_cached("INSERT INTO word_list_words (list_id, word) VALUES (?1, ?2)")?;
        for w in words {
            stmt.execute(params![l.id, w])?;
        }
        Ok(())
    }

    fn delete_word_list(&self, id: &str) -> Result<usize> {
        Ok(self.tx.execute("DELETE FROM word_lists WHERE id = ?1", params![id])?)
    }

    fn mark_rotation(&self, m: &RotationMarkRow) -> Result<()> {
        self.tx.execute(
            "INSERT INTO device_rotation_marks (device_id, reason, marked_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (device_id) DO NOTHING",
            params![m.device_id, m.reason, m.marked_at],
        )?;
        Ok(())
    }

    fn clear_rotation_mark(&self, device_id: &str) -> Result<usize> {
        Ok(self.tx.execute("DELETE FROM device_rotation_marks WHERE device_id = ?1", params![device_id])?)
    }
}
