//! T-SQL for the JIT directory, group creation rules and the removal scheduler's jobs.

use super::{Cols, MssqlTx, statements};
use crate::error::Result;
use crate::store::{JitDirectoryRow, JitGroupRuleRow, JitJobRow, JitRead, JitWrite};

macro_rules! dir_cols {
    () => {
        "url, bind_dn, base_dn, sid_attribute, sid_format, member_attribute, name_attribute, group_object_class, computer_object_class, group_type_attribute, initial_member_dn, sealed_bind_password, updated_at"
    };
}
macro_rules! rule_cols {
    () => {
        "id, computer_ou, subtree, group_ou, group_name_template, group_description, group_type, enable_jit_group_deletion, create_unix_gid, unix_gid_attribute_name, unix_gid_start_range, full_sync_requested_at, last_sync_at, created_at, updated_at"
    };
}
macro_rules! job_cols {
    () => {
        "id, job_type, user_sid, member_dn, group_dn, group_name, device_id, computer_name, rule_id, due_at, attempts, last_attempt_at, last_error, state, created_at, completed_at"
    };
}

statements! {
    DIRECTORY = concat!("SELECT ", dir_cols!(), " FROM jit_directory WHERE id = 'default'");
    RULES = concat!("SELECT ", rule_cols!(), " FROM jit_group_creation_rules ORDER BY created_at, id");
    RULE = concat!("SELECT ", rule_cols!(), " FROM jit_group_creation_rules WHERE id = @P1");
    JOB = concat!("SELECT ", job_cols!(), " FROM jit_scheduler_jobs WHERE id = @P1");
    PENDING_JOB = concat!("SELECT TOP (1) ", job_cols!(), " FROM jit_scheduler_jobs
        WHERE user_sid = @P1 AND group_dn = @P2 AND state = 'pending' ORDER BY created_at, id");
    FAILED_JOBS = concat!("SELECT ", job_cols!(), " FROM jit_scheduler_jobs WHERE state = 'failed' ORDER BY due_at, id");
    OPEN_JOBS = concat!("SELECT ", job_cols!(), " FROM jit_scheduler_jobs WHERE state IN ('pending', 'failed') ORDER BY due_at, id");
    DUE_JOBS = concat!("SELECT ", job_cols!(), " FROM jit_scheduler_jobs WHERE state = 'pending' AND due_at <= @P1 ORDER BY due_at, id");

    PUT_DIRECTORY = "UPDATE jit_directory WITH (UPDLOCK, HOLDLOCK) SET url = @P1, bind_dn = @P2, base_dn = @P3, sid_attribute = @P4,
            sid_format = @P5, member_attribute = @P6, name_attribute = @P7, group_object_class = @P8,
            computer_object_class = @P9, group_type_attribute = @P10, initial_member_dn = @P11,
            sealed_bind_password = @P12, updated_at = @P13
        WHERE id = 'default';
        IF @@ROWCOUNT = 0 INSERT INTO jit_directory (id, url, bind_dn, base_dn, sid_attribute, sid_format, member_attribute,
            name_attribute, group_object_class, computer_object_class, group_type_attribute, initial_member_dn,
            sealed_bind_password, updated_at)
        VALUES ('default', @P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9, @P10, @P11, @P12, @P13)";
    DELETE_DIRECTORY = "DELETE FROM jit_directory";
    PUT_RULE = "UPDATE jit_group_creation_rules WITH (UPDLOCK, HOLDLOCK) SET computer_ou = @P2, subtree = @P3, group_ou = @P4,
            group_name_template = @P5, group_description = @P6, group_type = @P7, enable_jit_group_deletion = @P8,
            create_unix_gid = @P9, unix_gid_attribute_name = @P10, unix_gid_start_range = @P11,
            full_sync_requested_at = @P12, last_sync_at = @P13, created_at = @P14, updated_at = @P15
        WHERE id = @P1;
        IF @@ROWCOUNT = 0 INSERT INTO jit_group_creation_rules (id, computer_ou, subtree, group_ou, group_name_template,
            group_description, group_type, enable_jit_group_deletion, create_unix_gid, unix_gid_attribute_name,
            unix_gid_start_range, full_sync_requested_at, last_sync_at, created_at, updated_at)
        VALUES (@P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9, @P10, @P11, @P12, @P13, @P14, @P15)";
    DELETE_RULE = "DELETE FROM jit_group_creation_rules WHERE id = @P1";
    PUT_JOB = "UPDATE jit_scheduler_jobs WITH (UPDLOCK, HOLDLOCK) SET job_type = @P2, user_sid = @P3, member_dn = @P4,
            group_dn = @P5, group_name = @P6, device_id = @P7, computer_name = @P8, rule_id = @P9, due_at = @P10,
            attempts = @P11, last_attempt_at = @P12, last_error = @P13, state = @P14, created_at = @P15,
            completed_at = @P16
        WHERE id = @P1;
        IF @@ROWCOUNT = 0 INSERT INTO jit_scheduler_jobs (id, job_type, user_sid, member_dn, group_dn, group_name, device_id,
            computer_name, rule_id, due_at, attempts, last_attempt_at, last_error, state, created_at, completed_at)
        VALUES (@P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9, @P10, @P11, @P12, @P13, @P14, @P15, @P16)";
    DELETE_JOB = "DELETE FROM jit_scheduler_jobs WHERE id = @P1";
}

fn dir_row(r: &Cols<'_>) -> Result<JitDirectoryRow> {
    Ok(JitDirectoryRow {
        url: r.s()?,
        bind_dn: r.s()?,
        base_dn: r.s()?,
        sid_attribute: r.s()?,
        sid_format: r.s()?,
        member_attribute: r.s()?,
        name_attribute: r.s()?,
        group_object_class: r.s()?,
        computer_object_class: r.s()?,
        group_type_attribute: r.s()?,
        initial_member_dn: r.os()?,
        sealed_bind_password: r.ob()?,
        updated_at: r.s()?,
    })
}

fn rule_row(r: &Cols<'_>) -> Result<JitGroupRuleRow> {
    Ok(JitGroupRuleRow {
        id: r.s()?,
        computer_ou: r.s()?,
        subtree: r.flag()?,
        group_ou: r.s()?,
        group_name_template: r.s()?,
        group_description: r.os()?,
        group_type: r.s()?,
        enable_jit_group_deletion: r.flag()?,
        create_unix_gid: r.flag()?,
        unix_gid_attribute_name: r.s()?,
        unix_gid_start_range: r.i()?,
        full_sync_requested_at: r.os()?,
        last_sync_at: r.os()?,
        created_at: r.s()?,
        updated_at: r.s()?,
    })
}

fn job_row(r: &Cols<'_>) -> Result<JitJobRow> {
    Ok(JitJobRow {
        id: r.s()?,
        job_type: r.s()?,
        user_sid: r.s()?,
        member_dn: r.s()?,
        group_dn: r.s()?,
        group_name: r.s()?,
        device_id: r.os()?,
        computer_name: r.os()?,
        rule_id: r.os()?,
        due_at: r.s()?,
        attempts: r.i()?,
        last_attempt_at: r.os()?,
        last_error: r.os()?,
        state: r.s()?,
        created_at: r.s()?,
        completed_at: r.os()?,
    })
}

impl JitRead for MssqlTx<'_> {
    fn jit_directory(&self) -> Result<Option<JitDirectoryRow>> {
        self.one(DIRECTORY, &[], dir_row)
    }

    fn jit_group_rules(&self) -> Result<Vec<JitGroupRuleRow>> {
        self.rows(RULES, &[], rule_row)
    }

    fn jit_group_rule(&self, id: &str) -> Result<Option<JitGroupRuleRow>> {
        self.one(RULE, &[&id], rule_row)
    }

    fn jit_job(&self, id: &str) -> Result<Option<JitJobRow>> {
        self.one(JOB, &[&id], job_row)
    }

    fn pending_jit_job(&self, user_sid: &str, group_dn: &str) -> Result<Option<JitJobRow>> {
        self.one(PENDING_JOB, &[&user_sid, &group_dn], job_row)
    }

    fn open_jit_jobs(&self, failed_only: bool) -> Result<Vec<JitJobRow>> {
        self.rows(if failed_only { FAILED_JOBS } else { OPEN_JOBS }, &[], job_row)
    }

    fn due_jit_jobs(&self, now: &str) -> Result<Vec<JitJobRow>> {
        self.rows(DUE_JOBS, &[&now], job_row)
    }
}

impl JitWrite for MssqlTx<'_> {
    fn put_jit_directory(&self, d: &JitDirectoryRow) -> Result<()> {
        self.exec(
            PUT_DIRECTORY,
            &[
                &d.url,
                &d.bind_dn,
                &d.base_dn,
                &d.sid_attribute,
                &d.sid_format,
                &d.member_attribute,
                &d.name_attribute,
                &d.group_object_class,
                &d.computer_object_class,
                &d.group_type_attribute,
                &d.initial_member_dn,
                &d.sealed_bind_password,
                &d.updated_at,
            ],
        )?;
        Ok(())
    }

    fn delete_jit_directory(&self) -> Result<bool> {
        Ok(self.exec(DELETE_DIRECTORY, &[])? > 0)
    }

    fn put_jit_group_rule(&self, r: &JitGroupRuleRow) -> Result<()> {
        self.exec(
            PUT_RULE,
            &[
                &r.id,
                &r.computer_ou,
                &r.subtree,
                &r.group_ou,
                &r.group_name_template,
                &r.group_description,
                &r.group_type,
                &r.enable_jit_group_deletion,
                &r.create_unix_gid,
                &r.unix_gid_attribute_name,
                &r.unix_gid_start_range,
                &r.full_sync_requested_at,
                &r.last_sync_at,
                &r.created_at,
                &r.updated_at,
            ],
        )?;
        Ok(())
    }

    fn delete_jit_group_rule(&self, id: &str) -> Result<bool> {
        Ok(self.exec(DELETE_RULE, &[&id])? > 0)
    }

    fn put_jit_job(&self, j: &JitJobRow) -> Result<()> {
        self.exec(
            PUT_JOB,
            &[
                &j.id,
                &j.job_type,
                &j.user_sid,
                &j.member_dn,
                &j.group_dn,
                &j.group_name,
                &j.device_id,
                &j.computer_name,
                &j.rule_id,
                &j.due_at,
                &j.attempts,
                &j.last_attempt_at,
                &j.last_error,
                &j.state,
                &j.created_at,
                &j.completed_at,
            ],
        )?;
        Ok(())
    }

    fn delete_jit_job(&self, id: &str) -> Result<bool> {
        Ok(self.exec(DELETE_JOB, &[&id])? > 0)
    }
}
