//! T-SQL for authorization rules, their principals and rate-limit events.

use tiberius::ToSql;

use super::{Cols, MssqlTx, Sql, statements};
use crate::error::Result;
use crate::store::{AuthzRead, AuthzWrite, ComputerRuleRow, PrincipalTable, RoleRuleRow, RulePrincipalRow};

macro_rules! computer_rule_cols {
    () => {
        "id, target_type, target_id, target_authority_id, target_name, authorization_mode, script, script_path, laps_default_seconds, laps_max_seconds, laps_allow_extension, jit_group_name, jit_default_seconds, jit_max_seconds, jit_allow_extension, do_not_use_remote_dc_locator, site_name, domain_controller_name, description, notes, rule_expiry, disabled, reason_requirement, notify_success, notify_failure, created_at, created_by, modified_at, modified_by"
    };
}
macro_rules! role_rule_cols {
    () => {
        "id, name, description, group_name, default_seconds, max_seconds, allow_extension, site_name, domain_controller_name, notes, rule_expiry, disabled, reason_requirement, notify_success, notify_failure, created_at, created_by, modified_at, modified_by"
    };
}
macro_rules! principal_cols {
    () => {
        "rule_id, access_type, ace, sid, display_name, added_at"
    };
}
/// The statements on one principal table, written once per table.
macro_rules! principal_statements {
    ($table:literal, $rules:ident, $add:ident, $remove:ident, $clear:ident) => {
        statements! {
            $rules = concat!("SELECT ", principal_cols!(), " FROM ", $table, " WHERE (@P1 IS NULL OR rule_id = @P1)
                ORDER BY rule_id, access_type, ace, sid");
            $add = concat!("INSERT INTO ", $table, " (", principal_cols!(), ")
                SELECT @P1, @P2, @P3, @P4, @P5, @P6 WHERE NOT EXISTS (SELECT 1 FROM ", $table, " WITH (UPDLOCK, HOLDLOCK)
                WHERE rule_id = @P1 AND access_type = @P2 AND ace = @P3 AND sid = @P4)");
            $remove = concat!("DELETE FROM ", $table, " WHERE rule_id = @P1 AND access_type = @P2 AND ace = @P3
                AND sid = @P4 COLLATE Latin1_General_CI_AS");
            $clear = concat!("DELETE FROM ", $table, " WHERE rule_id = @P1");
        }
    };
}

mod computer {
    use crate::store::mssql::statements;
    principal_statements!("computer_rule_principals", RULES, ADD, REMOVE, CLEAR);
}
mod role {
    use crate::store::mssql::statements;
    principal_statements!("role_rule_principals", RULES, ADD, REMOVE, CLEAR);
}

/// Every statement of this file (the principal tables' too).
#[cfg(test)]
pub(super) fn all() -> Vec<(&'static str, Sql)> {
    [STATEMENTS, computer::STATEMENTS, role::STATEMENTS].concat()
}

statements! {
    COMPUTER_RULES = concat!("SELECT ", computer_rule_cols!(), " FROM computer_authorization_rules
        WHERE (@P1 IS NULL OR id = @P1 COLLATE Latin1_General_CI_AS) ORDER BY created_at, id");
    COMPUTER_RULES_BY_TARGET = concat!("SELECT ", computer_rule_cols!(), " FROM computer_authorization_rules
        WHERE target_type = @P1 AND target_id = @P2 COLLATE Latin1_General_CI_AS
          AND ((@P3 IS NULL AND target_authority_id IS NULL) OR target_authority_id = @P3 COLLATE Latin1_General_CI_AS)
        ORDER BY created_at, id");
    ROLE_RULES = concat!("SELECT ", role_rule_cols!(), " FROM role_authorization_rules
        WHERE (@P1 IS NULL OR id = @P1 COLLATE Latin1_General_CI_AS) AND (@P2 IS NULL OR name = @P2) ORDER BY LOWER(name) COLLATE Latin1_General_100_BIN2, id");
    RATE_LIMIT_COUNT = "SELECT COUNT_BIG(*) FROM rate_limit_events WHERE [key] = @P1 AND created_at > @P2";
    RATE_LIMIT_OLDEST = "SELECT MIN(created_at) FROM rate_limit_events WHERE [key] = @P1 AND created_at > @P2";

    INSERT_COMPUTER_RULE = concat!("INSERT INTO computer_authorization_rules (", computer_rule_cols!(), ") VALUES
        (@P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9, @P10, @P11, @P12, @P13, @P14, @P15, @P16, @P17, @P18, @P19, @P20,
         @P21, @P22, @P23, @P24, @P25, @P26, @P27, @P28, @P29)");
    UPDATE_COMPUTER_RULE = "UPDATE computer_authorization_rules SET target_type = @P2, target_id = @P3, target_authority_id = @P4,
           target_name = @P5, authorization_mode = @P6, script = @P7, script_path = @P8, laps_default_seconds = @P9,
           laps_max_seconds = @P10, laps_allow_extension = @P11, jit_group_name = @P12, jit_default_seconds = @P13,
           jit_max_seconds = @P14, jit_allow_extension = @P15, do_not_use_remote_dc_locator = @P16, site_name = @P17,
           domain_controller_name = @P18, description = @P19, notes = @P20, rule_expiry = @P21, disabled = @P22,
           reason_requirement = @P23, notify_success = @P24, notify_failure = @P25, modified_at = @P26, modified_by = @P27
         WHERE id = @P1";
    DELETE_COMPUTER_RULE = "DELETE FROM computer_authorization_rules WHERE id = @P1";
    INSERT_ROLE_RULE = concat!("INSERT INTO role_authorization_rules (", role_rule_cols!(), ") VALUES
        (@P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9, @P10, @P11, @P12, @P13, @P14, @P15, @P16, @P17, @P18, @P19)");
    UPDATE_ROLE_RULE = "UPDATE role_authorization_rules SET name = @P2, description = @P3, group_name = @P4, default_seconds = @P5,
           max_seconds = @P6, allow_extension = @P7, site_name = @P8, domain_controller_name = @P9, notes = @P10,
           rule_expiry = @P11, disabled = @P12, reason_requirement = @P13, notify_success = @P14, notify_failure = @P15,
           modified_at = @P16, modified_by = @P17
         WHERE id = @P1";
    DELETE_ROLE_RULE = "DELETE FROM role_authorization_rules WHERE id = @P1";
    /// Rate limits: the service counts, then inserts, in one write transaction that holds the
    /// writers' lock, so two hosts cannot both pass the last free slot of a window.
    INSERT_RATE_LIMIT_EVENT = "INSERT INTO rate_limit_events ([key], created_at) VALUES (@P1, @P2)";
    PURGE_RATE_LIMIT_EVENTS = "DELETE FROM rate_limit_events WHERE created_at <= @P1";
}

/// The four statements on a principal table.
fn principal_sql(t: PrincipalTable) -> [Sql; 4] {
    match t {
        PrincipalTable::Computer => [computer::RULES, computer::ADD, computer::REMOVE, computer::CLEAR],
        PrincipalTable::Role => [role::RULES, role::ADD, role::REMOVE, role::CLEAR],
    }
}

fn map_computer_rule(r: &Cols<'_>) -> Result<ComputerRuleRow> {
    Ok(ComputerRuleRow {
        id: r.s()?,
        target_type: r.s()?,
        target_id: r.s()?,
        target_authority_id: r.os()?,
        target_name: r.os()?,
        authorization_mode: r.s()?,
        script: r.os()?,
        script_path: r.os()?,
        laps_default_seconds: r.oi()?,
        laps_max_seconds: r.oi()?,
        laps_allow_extension: r.flag()?,
        jit_group_name: r.os()?,
        jit_default_seconds: r.oi()?,
        jit_max_seconds: r.oi()?,
        jit_allow_extension: r.flag()?,
        do_not_use_remote_dc_locator: r.flag()?,
        site_name: r.os()?,
        domain_controller_name: r.os()?,
        description: r.s()?,
        notes: r.s()?,
        rule_expiry: r.os()?,
        disabled: r.flag()?,
        reason_requirement: r.s()?,
        notify_success: r.s()?,
        notify_failure: r.s()?,
        created_at: r.s()?,
        created_by: r.s()?,
        modified_at: r.s()?,
        modified_by: r.s()?,
    })
}

fn map_role_rule(r: &Cols<'_>) -> Result<RoleRuleRow> {
    Ok(RoleRuleRow {
        id: r.s()?,
        name: r.s()?,
        description: r.s()?,
        group_name: r.s()?,
        default_seconds: r.oi()?,
        max_seconds: r.i()?,
        allow_extension: r.flag()?,
        site_name: r.os()?,
        domain_controller_name: r.os()?,
        notes: r.s()?,
        rule_expiry: r.os()?,
        disabled: r.flag()?,
        reason_requirement: r.s()?,
        notify_success: r.s()?,
        notify_failure: r.s()?,
        created_at: r.s()?,
        created_by: r.s()?,
        modified_at: r.s()?,
        modified_by: r.s()?,
    })
}

fn map_principal(r: &Cols<'_>) -> Result<RulePrincipalRow> {
    Ok(RulePrincipalRow {
        rule_id: r.s()?,
        access_type: r.s()?,
        ace: r.s()?,
        sid: r.s()?,
        display_name: r.os()?,
        added_at: r.s()?,
    })
}

impl AuthzRead for MssqlTx<'_> {
    fn computer_rules(&self, id: Option<&str>) -> Result<Vec<ComputerRuleRow>> {
        self.rows(COMPUTER_RULES, &[&id], map_computer_rule)
    }

    fn computer_rules_by_target(
        &self,
        target_type: &str,
        target_id: &str,
        target_authority_id: Option<&str>,
    ) -> Result<Vec<ComputerRuleRow>> {
        self.rows(COMPUTER_RULES_BY_TARGET, &[&target_type, &target_id, &target_authority_id], map_computer_rule)
    }

    fn role_rules(&self, id: Option<&str>, name: Option<&str>) -> Result<Vec<RoleRuleRow>> {
        self.rows(ROLE_RULES, &[&id, &name], map_role_rule)
    }

    fn rule_principals(&self, table: PrincipalTable, rule_id: Option<&str>) -> Result<Vec<RulePrincipalRow>> {
        self.rows(principal_sql(table)[0], &[&rule_id], map_principal)
    }

    fn rate_limit_count(&self, key: &str, since: &str) -> Result<i64> {
        self.count(RATE_LIMIT_COUNT, &[&key, &since])
    }

    fn rate_limit_oldest(&self, key: &str, since: &str) -> Result<Option<String>> {
        Ok(self.one(RATE_LIMIT_OLDEST, &[&key, &since], |r| r.os())?.flatten())
    }
}

/// A computer rule's values in column order, for the insert (`@P1`..`@P29`) and the update
/// (`@P1`..`@P27`, which leaves out `created_at` and `created_by`).
fn computer_rule_values(r: &ComputerRuleRow, with_created: bool) -> Vec<&dyn ToSql> {
    let mut v: Vec<&dyn ToSql> = vec![
        &r.id,
        &r.target_type,
        &r.target_id,
        &r.target_authority_id,
        &r.target_name,
        &r.authorization_mode,
        &r.script,
        &r.script_path,
        &r.laps_default_seconds,
        &r.laps_max_seconds,
        &r.laps_allow_extension,
        &r.jit_group_name,
        &r.jit_default_seconds,
        &r.jit_max_seconds,
        &r.jit_allow_extension,
        &r.do_not_use_remote_dc_locator,
        &r.site_name,
        &r.domain_controller_name,
        &r.description,
        &r.notes,
        &r.rule_expiry,
        &r.disabled,
        &r.reason_requirement,
        &r.notify_success,
        &r.notify_failure,
    ];
    if with_created {
        v.extend([&r.created_at as &dyn ToSql, &r.created_by]);
    }
    v.extend([&r.modified_at as &dyn ToSql, &r.modified_by]);
    v
}

/// A role rule's values in column order, for the insert (`@P1`..`@P19`) and the update
/// (`@P1`..`@P17`, which leaves out `created_at` and `created_by`).
fn role_rule_values(r: &RoleRuleRow, with_created: bool) -> Vec<&dyn ToSql> {
    let mut v: Vec<&dyn ToSql> = vec![
        &r.id,
        &r.name,
        &r.description,
        &r.group_name,
        &r.default_seconds,
        &r.max_seconds,
        &r.allow_extension,
        &r.site_name,
        &r.domain_controller_name,
        &r.notes,
        &r.rule_expiry,
        &r.disabled,
        &r.reason_requirement,
        &r.notify_success,
        &r.notify_failure,
    ];
    if with_created {
        v.extend([&r.created_at as &dyn ToSql, &r.created_by]);
    }
    v.extend([&r.modified_at as &dyn ToSql, &r.modified_by]);
    v
}

impl AuthzWrite for MssqlTx<'_> {
    fn insert_computer_rule(&self, r: &ComputerRuleRow) -> Result<()> {
        self.exec(INSERT_COMPUTER_RULE, &computer_rule_values(r, true))?;
        Ok(())
    }

    fn update_computer_rule(&self, r: &ComputerRuleRow) -> Result<usize> {
        self.exec(UPDATE_COMPUTER_RULE, &computer_rule_values(r, false))
    }

    fn delete_computer_rule(&self, id: &str) -> Result<usize> {
        self.exec(DELETE_COMPUTER_RULE, &[&id])
    }

    fn insert_role_rule(&self, r: &RoleRuleRow) -> Result<()> {
        self.exec(INSERT_ROLE_RULE, &role_rule_values(r, true))?;
        Ok(())
    }

    fn update_role_rule(&self, r: &RoleRuleRow) -> Result<usize> {
        self.exec(UPDATE_ROLE_RULE, &role_rule_values(r, false))
    }

    fn delete_role_rule(&self, id: &str) -> Result<usize> {
        self.exec(DELETE_ROLE_RULE, &[&id])
    }

    fn add_rule_principal(&self, table: PrincipalTable, p: &RulePrincipalRow) -> Result<bool> {
        Ok(self.exec(
            principal_sql(table)[1],
            &[&p.rule_id, &p.access_type, &p.ace, &p.sid, &p.display_name, &p.added_at],
        )? == 1)
    }

    fn remove_rule_principal(
        &self,
        table: PrincipalTable,
        rule_id: &str,
        access_type: &str,
        ace: &str,
        sid: &str,
    ) -> Result<bool> {
        Ok(self.exec(principal_sql(table)[2], &[&rule_id, &access_type, &ace, &sid])? > 0)
    }

    fn clear_rule_principals(&self, table: PrincipalTable, rule_id: &str) -> Result<usize> {
        self.exec(principal_sql(table)[3], &[&rule_id])
    }

    fn insert_rate_limit_event(&self, key: &str, at: &str) -> Result<()> {
        self.exec(INSERT_RATE_LIMIT_EVENT, &[&key, &at])?;
        Ok(())
    }

    fn purge_rate_limit_events(&self, before: &str) -> Result<usize> {
        self.exec(PURGE_RATE_LIMIT_EVENTS, &[&before])
    }
}
