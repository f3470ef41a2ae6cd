//! SQL for just-in-time access: the directory row, JIT group creation rules and scheduler jobs.

use rusqlite::{OptionalExtension, Row, params};

use super::SqliteTx;
use crate::error::Result;
use crate::store::{JitDirectoryRow, JitGroupRuleRow, JitJobRow, JitRead, JitWrite};

const DIR_COLS: &str = "url, bind_dn, base_dn, sid_attribute, sid_format, member_attribute, name_attribute, \
     group_object_class, computer_object_class, group_type_attribute, initial_member_dn, sealed_bind_password, updated_at";

fn dir_row(r: &Row<'_>) -> rusqlite::Result<JitDirectoryRow> {
    Ok(JitDirectoryRow {
        url: r.get(0)?,
        bind_dn: r.get(1)?,
        base_dn: r.get(2)?,
        sid_attribute: r.get(3)?,
        sid_format: r.get(4)?,
        member_attribute: r.get(5)?,
        name_attribute: r.get(6)?,
        group_object_class: r.get(7)?,
        computer_object_class: r.get(8)?,
        group_type_attribute: r.get(9)?,
        initial_member_dn: r.get(10)?,
        sealed_bind_password: r.get(11)?,
        updated_at: r.get(12)?,
    })
}

const RULE_COLS: &str = "id, computer_ou, subtree, group_ou, group_name_template, group_description, group_type, \
     enable_jit_group_deletion, create_unix_gid, unix_gid_attribute_name, unix_gid_start_range, full_sync_requested_at, \
     last_sync_at, created_at, updated_at";

fn rule_row(r: &Row<'_>) -> rusqlite::Result<JitGroupRuleRow> {
    Ok(JitGroupRuleRow {
        id: r.get(0)?,
        computer_ou: r.get(1)?,
        subtree: r.get(2)?,
        group_ou: r.get(3)?,
        group_name_template: r.get(4)?,
        group_description: r.get(5)?,
        group_type: r.get(6)?,
        enable_jit_group_deletion: r.get(7)?,
        create_unix_gid: r.get(8)?,
        unix_gid_attribute_name: r.get(9)?,
        unix_gid_start_range: r.get(10)?,
        full_sync_requested_at: r.get(11)?,
        last_sync_at: r.get(12)?,
        created_at: r.get(13)?,
        updated_at: r.get(14)?,
    })
}

const JOB_COLS: &str = "id, job_type, user_sid, member_dn, group_dn, group_name, device_id, computer_name, rule_id, \
     due_at, attempts, last_attempt_at, last_error, state, created_at, completed_at";

fn job_row(r: &Row<'_>) -> rusqlite::Result<JitJobRow> {
    Ok(JitJobRow {
        id: r.get(0)?,
        job_type: r.get(1)?,
        user_sid: r.get(2)?,
        member_dn: r.get(3)?,
        group_dn: r.get(4)?,
        group_name: r.get(5)?,
        device_id: r.get(6)?,
        computer_name: r.get(7)?,
        rule_id: r.get(8)?,
        due_at: r.get(9)?,
        attempts: r.get(10)?,
        last_attempt_at: r.get(11)?,
        last_error: r.get(12)?,
        state: r.get(13)?,
        created_at: r.get(14)?,
        completed_at: r.get(15)?,
    })
}

impl JitRead for SqliteTx<'_> {
    fn jit_directory(&self) -> Result<Option<JitDirectoryRow>> {
        Ok(self
            .tx
            .query_row(&format!("SELECT {DIR_COLS} FROM jit_directory WHERE id = 'default'"), [], dir_row)
            .optional()?)
    }

    fn jit_group_rules(&self) -> Result<Vec<JitGroupRuleRow>> {
        let mut stmt =
            self.tx.prepare(&format!("SELECT {RULE_COLS} FROM jit_group_creation_rules ORDER BY created_at, id"))?;
        let rows = stmt.query_map([], rule_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn jit_group_rule(&self, id: &str) -> Result<Option<JitGroupRuleRow>> {
        Ok(self
            .tx
            .query_row(
                &format!("SELECT {RULE_COLS} FROM jit_group_creation_rules WHERE id = ?1"),
                params![id],
                rule_row,
            )
            .optional()?)
    }

    fn jit_job(&self, id: &str) -> Result<Option<JitJobRow>> {
        Ok(self
            .tx
            .query_row(&format!("SELECT {JOB_COLS} FROM jit_scheduler_jobs WHERE id = ?1"), params![id], job_row)
            .optional()?)
    }

    fn pending_jit_job(&self, user_sid: &str, group_dn: &str) -> Result<Option<JitJobRow>> {
        Ok(self
            .tx
            .query_row(
                &format!(
                    "SELECT {JOB_COLS} FROM jit_scheduler_jobs
                     WHERE user_sid = ?1 AND group_dn = ?2 AND state = 'pending' ORDER BY created_at, id LIMIT 1"
                ),
                params![user_sid, group_dn],
                job_row,
            )
            .optional()?)
    }

    fn open_jit_jobs(&self, failed_only: bool) -> Result<Vec<JitJobRow>> {
        let filter = if failed_only { "state = 'failed'" } else { "state IN ('pending', 'failed')" };
        let mut stmt = self
            .tx
            .prepare(&format!("SELECT {JOB_COLS} FROM jit_scheduler_jobs WHERE {filter} ORDER BY due_at, id"))?;
        let rows = stmt.query_map([], job_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn due_jit_jobs(&self, now: &str) -> Result<Vec<JitJobRow>> {
        let mut stmt = self.tx.prepare(&format!(
            "SELECT {JOB_COLS} FROM jit_scheduler_jobs WHERE state = 'pending' AND due_at <= ?1 ORDER BY due_at, id"
        ))?;
        let rows = stmt.query_map(params![now], job_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

impl JitWrite for SqliteTx<'_> {
    fn put_jit_directory(&self, d: &JitDirectoryRow) -> Result<()> {
        self.tx.execute(
            &format!(
                "INSERT INTO jit_directory (id, {DIR_COLS}) VALUES ('default', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
                 ON CONFLICT (id) DO UPDATE SET url = excluded.url, bind_dn = excluded.bind_dn, base_dn = excluded.base_dn,
                 sid_attribute = excluded.sid_attribute, sid_format = excluded.sid_format,
                 member_attribute = excluded.member_attribute, name_attribute = excluded.name_attribute,
                 group_object_class = excluded.group_object_class, computer_object_class = excluded.computer_object_class,
                 group_type_attribute = excluded.group_type_attribute, initial_member_dn = excluded.initial_member_dn,
                 sealed_bind_password = excluded.sealed_bind_password, updated_at = excluded.updated_at"
            ),
            params![
                d.url,
                d.bind_dn,
                d.base_dn,
                d.sid_attribute,
                d.sid_format,
                d.member_attribute,
                d.name_attribute,
                d.group_object_class,
                d.computer_object_class,
                d.group_type_attribute,
                d.initial_member_dn,
                d.sealed_bind_password,
                d.updated_at
            ],
        )?;
        Ok(())
    }

    fn delete_jit_directory(&self) -> Result<bool> {
        Ok(self.tx.execute("DELETE FROM jit_directory", [])? > 0)
    }

    fn put_jit_group_rule(&self, r: &JitGroupRuleRow) -> Result<()> {
        self.tx.execute(
            &format!(
                "INSERT OR REPLACE INTO jit_group_creation_rules ({RULE_COLS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
            ),
            params![
                r.id,
                r.computer_ou,
                r.subtree,
                r.group_ou,
                r.group_name_template,
                r.group_description,
                r.group_type,
                r.enable_jit_group_deletion,
                r.create_unix_gid,
                r.unix_gid_attribute_name,
                r.unix_gid_start_range,
                r.full_sync_requested_at,
                r.last_sync_at,
                r.created_at,
                r.updated_at
            ],
        )?;
        Ok(())
    }

    fn delete_jit_group_rule(&self, id: &str) -> Result<bool> {
        Ok(self.tx.execute("DELETE FROM jit_group_creation_rules WHERE id = ?1", params![id])? > 0)
    }

    fn put_jit_job(&self, j: &JitJobRow) -> Result<()> {
        self.tx.execute(
            &format!(
                "INSERT OR REPLACE INTO jit_scheduler_jobs ({JOB_COLS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
            ),
            params![
                j.id,
                j.job_type,
                j.user_sid,
                j.member_dn,
                j.group_dn,
                j.group_name,
                j.device_id,
                j.computer_name,
                j.rule_id,
                j.due_at,
                j.attempts,
                j.last_attempt_at,
                j.last_error,
                j.state,
                j.created_at,
                j.completed_at
            ],
        )?;
        Ok(())
    }

    fn delete_jit_job(&self, id: &str) -> Result<bool> {
        Ok(self.tx.execute("DELETE FROM jit_scheduler_jobs WHERE id = ?1", params![id])? > 0)
    }
}
