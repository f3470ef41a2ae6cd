//! T-SQL for agent policies, their targets, custom word lists and early-rotation marks.

use super::{Cols, MssqlTx, statements};
use crate::error::Result;
use crate::store::{AgentPolicyRow, PolicyRead, PolicyTargetRow, PolicyWrite, RotationMarkRow, WordListRow};

macro_rules! policy_cols {
    () => {
        "id, name, description, os_type, position, enabled, is_default, settings, created_at, modified_at"
    };
}
macro_rules! list_cols {
    () => {
        "id, name, description, language, word_count, sha256, created_at"
    };
}

/// How many words [`INSERT_WORDS`] adds in one round trip (a list has 2,000 to 65,536).
const WORDS_PER_INSERT: usize = 64;

statements! {
    AGENT_POLICIES = concat!("SELECT ", policy_cols!(), " FROM agent_policies WHERE @P1 IS NULL OR os_type = @P1
        ORDER BY os_type, is_default DESC, position, id");
    AGENT_POLICY = concat!("SELECT ", policy_cols!(), " FROM agent_policies WHERE id = @P1");
    AGENT_POLICY_TARGETS = "SELECT policy_id, target_type, target_sid, target_id FROM agent_policy_targets
        WHERE policy_id = @P1 ORDER BY target_sid";
    /// Names compare ignoring case (the column's CI_AS collation, SQLite's NOCASE) and sort as
    /// NOCASE does: lower-cased, then binary.
    WORD_LISTS = concat!("SELECT ", list_cols!(), " FROM word_lists
        WHERE (@P1 IS NULL OR id = @P1) AND (@P2 IS NULL OR name = @P2) ORDER BY LOWER(name) COLLATE Latin1_General_100_BIN2, id");
    WORD_LIST_WORDS = "SELECT word FROM word_list_words WHERE list_id = @P1 ORDER BY word";
    ROTATION_MARK = "SELECT device_id, reason, marked_at FROM device_rotation_marks WHERE device_id = @P1";

    INSERT_AGENT_POLICY = concat!("INSERT INTO agent_policies (", policy_cols!(), ") VALUES
        (@P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9, @P10)");
    UPDATE_AGENT_POLICY = "UPDATE agent_policies SET name = @P2, description = @P3, os_type = @P4, position = @P5,
           enabled = @P6, is_default = @P7, settings = @P8, modified_at = @P9
         WHERE id = @P1";
    DELETE_AGENT_POLICY = "DELETE FROM agent_policies WHERE id = @P1";
    CLEAR_AGENT_POLICY_TARGETS = "DELETE FROM agent_policy_targets WHERE policy_id = @P1";
    INSERT_AGENT_POLICY_TARGET = "INSERT INTO agent_policy_targets (policy_id, target_type, target_sid, target_id)
        VALUES (@P1, @P2, @P3, @P4)";
    INSERT_WORD_LIST = concat!("INSERT INTO word_lists (", list_cols!(), ") VALUES (@P1, @P2, @P3, @P4, @P5, @P6, @P7)");
    /// [`WORDS_PER_INSERT`] words of one list (@P1) in one statement.
    INSERT_WORDS = "INSERT INTO word_list_words (list_id, word) VALUES
        (@P1, @P2), (@P1, @P3), (@P1, @P4), (@P1, @P5), (@P1, @P6), (@P1, @P7), (@P1, @P8), (@P1, @P9),
        (@P1, @P10), (@P1, @P11), (@P1, @P12), (@P1, @P13), (@P1, @P14), (@P1, @P15), (@P1, @P16), (@P1, @P17),
        (@P1, @P18), (@P1, @P19), (@P1, @P20), (@P1, @P21), (@P1, @P22), (@P1, @P23), (@P1, @P24), (@P1, @P25),
        (@P1, @P26), (@P1, @P27), (@P1, @P28), (@P1, @P29), (@P1, @P30), (@P1, @P31), (@P1, @P32), (@P1, @P33),
        (@P1, @P34), (@P1, @P35), (@P1, @P36), (@P1, @P37), (@P1, @P38), (@P1, @P39), (@P1, @P40), (@P1, @P41),
        (@P1, @P42), (@P1, @P43), (@P1, @P44), (@P1, @P45), (@P1, @P46), (@P1, @P47), (@P1, @P48), (@P1, @P49),
        (@P1, @P50), (@P1, @P51), (@P1, @P52), (@P1, @P53), (@P1, @P54), (@P1, @P55), (@P1, @P56), (@P1, @P57),
        (@P1, @P58), (@P1, @P59), (@P1, @P60), (@P1, @P61), (@P1, @P62), (@P1, @P63), (@P1, @P64), (@P1, @P65)";
    /// One word (the rest after the full chunks of [`INSERT_WORDS`]).
    INSERT_WORD = "INSERT INTO word_list_words (list_id, word) VALUES (@P1, @P2)";
    DELETE_WORD_LIST = "DELETE FROM word_lists WHERE id = @P1";
    /// Kept if already marked (SQLite's ON CONFLICT DO NOTHING): the key is held from the
    /// check to the insert, under the writers' lock as well.
    MARK_ROTATION = "INSERT INTO device_rotation_marks (device_id, reason, marked_at)
        SELECT @P1, @P2, @P3 WHERE NOT EXISTS
        (SELECT 1 FROM device_rotation_marks WITH (UPDLOCK, HOLDLOCK) WHERE device_id = @P1)";
    CLEAR_ROTATION_MARK = "DELETE FROM device_rotation_marks WHERE device_id = @P1";
}

fn map_policy(r: &Cols<'_>) -> Result<AgentPolicyRow> {
    Ok(AgentPolicyRow {
        id: r.s()?,
        name: r.s()?,
        description: r.os()?,
        os_type: r.s()?,
        position: r.i()?,
        enabled: r.flag()?,
        is_default: r.flag()?,
        settings: r.s()?,
        created_at: r.s()?,
        modified_at: r.s()?,
    })
}

fn map_list(r: &Cols<'_>) -> Result<WordListRow> {
    Ok(WordListRow {
        id: r.s()?,
        name: r.s()?,
        description: r.os()?,
        language: r.os()?,
        word_count: r.i()?,
        sha256: r.s()?,
        created_at: r.s()?,
    })
}

impl PolicyRead for MssqlTx<'_> {
    fn agent_policies(&self, os_type: Option<&str>) -> Result<Vec<AgentPolicyRow>> {
        self.rows(AGENT_POLICIES, &[&os_type], map_policy)
    }

    fn agent_policy(&self, id: &str) -> Result<Option<AgentPolicyRow>> {
        self.one(AGENT_POLICY, &[&id], map_policy)
    }

    fn agent_policy_targets(&self, policy_id: &str) -> Result<Vec<PolicyTargetRow>> {
        self.rows(AGENT_POLICY_TARGETS, &[&policy_id], |r| {
            Ok(PolicyTargetRow { policy_id: r.s()?, target_type: r.s()?, target_sid: r.s()?, target_id: r.s()? })
        })
    }

    fn word_lists(&self, id: Option<&str>, name: Option<&str>) -> Result<Vec<WordListRow>> {
        self.rows(WORD_LISTS, &[&id, &name], map_list)
    }

    fn word_list_words(&self, list_id: &str) -> Result<Vec<String>> {
        self.rows(WORD_LIST_WORDS, &[&list_id], |r| r.s())
    }

    fn rotation_mark(&self, device_id: &str) -> Result<Option<RotationMarkRow>> {
        self.one(ROTATION_MARK, &[&device_id], |r| {
            Ok(RotationMarkRow { device_id: r.s()?, reason: r.s()?, marked_at: r.s()? })
        })
    }
}

/// A policy row's values in column order, for the insert (`@P1`..`@P10`) and the update
/// (`@P1`..`@P9`, which leaves out `created_at`).
fn policy_values(p: &AgentPolicyRow, with_created: bool) -> Vec<&dyn tiberius::ToSql> {
    let mut v: Vec<&dyn tiberius::ToSql> =
        vec![&p.id, &p.name, &p.description, &p.os_type, &p.position, &p.enabled, &p.is_default, &p.settings];
    if with_created {
        v.push(&p.created_at);
    }
    v.push(&p.modified_at);
    v
}

impl PolicyWrite for MssqlTx<'_> {
    fn insert_agent_policy(&self, p: &AgentPolicyRow) -> Result<()> {
        self.exec(INSERT_AGENT_POLICY, &policy_values(p, true))?;
        Ok(())
    }

    fn update_agent_policy(&self, p: &AgentPolicyRow) -> Result<usize> {
        self.exec(UPDATE_AGENT_POLICY, &policy_values(p, false))
    }

    fn delete_agent_policy(&self, id: &str) -> Result<usize> {
        self.exec(DELETE_AGENT_POLICY, &[&id])
    }

    fn set_agent_policy_targets(&self, policy_id: &str, targets: &[PolicyTargetRow]) -> Result<()> {
        self.exec(CLEAR_AGENT_POLICY_TARGETS, &[&policy_id])?;
        for t in targets {
            self.exec(INSERT_AGENT_POLICY_TARGET, &[&policy_id, &t.target_type, &t.target_sid, &t.target_id])?;
        }
        Ok(())
    }

    fn insert_word_list(&self, l: &WordListRow, words: &[String]) -> Result<()> {
        self.exec(
            INSERT_WORD_LIST,
            &[&l.id, &l.name, &l.description, &l.language, &l.word_count, &l.sha256, &l.created_at],
        )?;
        let mut chunks = words.chunks_exact(WORDS_PER_INSERT);
        for chunk in &mut chunks {
            let mut p: Vec<&dyn tiberius::ToSql> = Vec::with_capacity(WORDS_PER_INSERT + 1);
            p.push(&l.id);
            p.extend(chunk.iter().map(|w| w as &dyn tiberius::ToSql));
            self.exec(INSERT_WORDS, &p)?;
        }
        for w in chunks.remainder() {
            self.exec(INSERT_WORD, &[&l.id, w])?;
        }
        Ok(())
    }

    fn delete_word_list(&self, id: &str) -> Result<usize> {
        self.exec(DELETE_WORD_LIST, &[&id])
    }

    fn mark_rotation(&self, m: &RotationMarkRow) -> Result<()> {
        self.exec(MARK_ROTATION, &[&m.device_id, &m.reason, &m.marked_at])?;
        Ok(())
    }

    fn clear_rotation_mark(&self, device_id: &str) -> Result<usize> {
        self.exec(CLEAR_ROTATION_MARK, &[&device_id])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chunked_word_insert_has_one_row_per_word_of_a_chunk() {
        let sql = INSERT_WORDS.text();
        assert_eq!(sql.matches("(@P1, @P").count(), WORDS_PER_INSERT);
        for i in 2..=WORDS_PER_INSERT + 1 {
            assert!(sql.contains(&format!("(@P1, @P{i})")), "@P{i}");
        }
        assert!(!sql.contains(&format!("@P{}", WORDS_PER_INSERT + 2)));
    }
}
