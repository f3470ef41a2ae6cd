//! SQL for authorization rules, their principals and rate-limit events.

use rusqlite::{OptionalExtension, Row, ToSql, params};

use super::SqliteTx;
use crate::error::Result;
use crate::store::{AuthzRead, AuthzWrite, ComputerRuleRow, PrincipalTable, RoleRuleRow, RulePrincipalRow};

const COMPUTER_RULE_COLS: &str = "id, target_type, target_id, target_authority_id, target_name, authorization_mode, script, script_path, laps_default_seconds, laps_max_seconds, laps_allow_extension, jit_group_name, jit_default_seconds, jit_max_seconds, jit_allow_extension, do_not_use_remote_dc_locator, site_name, domain_controller_name, description, notes, rule_expiry, disabled, reason_requirement, notify_success, notify_failure, created_at, created_by, modified_at, modified_by";
const ROLE_RULE_COLS: &str = "id, name, description, group_name, default_seconds, max_seconds, allow_extension, site_name, domain_controller_name, notes, rule_expiry, disabled, reason_requirement, notify_success, notify_failure, created_at, created_by, modified_at, modified_by";
const PRINCIPAL_COLS: &str = "rule_id, access_type, ace, sid, display_name, added_at";

fn map_computer_rule(r: &Row<'_>) -> rusqlite::Result<ComputerRuleRow> {
    Ok(ComputerRuleRow {
        id: r.get(0)?,
        target_type: r.get(1)?,
        target_id: r.get(2)?,
        target_authority_id: r.get(3)?,
        target_name: r.get(4)?,
        authorization_mode: r.get(5)?,
        script: r.get(6)?,
        script_path: r.get(7)?,
        laps_default_seconds: r.get(8)?,
        laps_max_seconds: r.get(9)?,
        laps_allow_extension: r.get(10)?,
        jit_group_name: r.get(11)?,
        jit_default_seconds: r.get(12)?,
        jit_max_seconds: r.get(13)?,
        jit_allow_extension: r.get(14)?,
        do_not_use_remote_dc_locator: r.get(15)?,
        site_name: r.get(16)?,
        domain_controller_name: r.get(17)?,
        description: r.get(18)?,
        notes: r.get(19)?,
        rule_expiry: r.get(20)?,
        disabled: r.get(21)?,
        reason_requirement: r.get(22)?,
        notify_success: r.get(23)?,
        notify_failure: r.get(24)?,
        created_at: r.get(25)?,
        created_by: r.get(26)?,
        modified_at: r.get(27)?,
        modified_by: r.get(28)?,
    })
}

fn map_role_rule(r: &Row<'_>) -> rusqlite::Result<RoleRuleRow> {
    Ok(RoleRuleRow {
        id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        group_name: r.get(3)?,
        default_seconds: r.get(4)?,
        max_seconds: r.get(5)?,
        allow_extension: r.get(6)?,
        site_name: r.get(7)?,
        domain_controller_name: r.get(8)?,
        notes: r.get(9)?,
        rule_expiry: r.get(10)?,
        disabled: r.get(11)?,
        reason_requirement: r.get(12)?,
        notify_success: r.get(13)?,
        notify_failure: r.get(14)?,
        created_at: r.get(15)?,
        created_by: r.get(16)?,
        modified_at: r.get(17)?,
        modified_by: r.get(18)?,
    })
}

fn map_principal(r: &Row<'_>) -> rusqlite::Result<RulePrincipalRow> {
    Ok(RulePrincipalRow {
        rule_id: r.get(0)?,
        access_type: r.get(1)?,
        ace: r.get(2)?,
        sid: r.get(3)?,
        display_name: r.get(4)?,
        added_at: r.get(5)?,
    })
}

impl PrincipalTable {
    fn table(self) -> &'static str {
        match self {
            PrincipalTable::Computer => "computer_rule_principals",
            PrincipalTable::Role => "role_rule_principals",
        }
    }
}

impl SqliteTx<'_> {
    fn authz_rows<T>(
        &self,
        sql: &str,
        p: impl rusqlite::Params,
        f: fn(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut stmt = self.tx.prepare_cached(sql)?;
        let rows = stmt.query_map(p, f)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn authz_exec(&self, sql: &str, p: impl rusqlite::Params) -> Result<usize> {
        let mut stmt = self.tx.prepare_cached(sql)?;
        Ok(stmt.execute(p)?)
    }
}

impl AuthzRead for SqliteTx<'_> {
    // ---- computer rules ----

    fn computer_rules(&self, id: Option<&str>) -> Result<Vec<ComputerRuleRow>> {
        self.authz_rows(
            &format!(
                "SELECT {COMPUTER_RULE_COLS} FROM computer_authorization_rules
                 WHERE (?1 IS NULL OR id = ?1 COLLATE NOCASE) ORDER BY created_at, id"
            ),
            params![id],
            map_computer_rule,
        )
    }

    fn computer_rules_by_target(
        &self,
        target_type: &str,
        target_id: &str,
        target_authority_id: Option<&str>,
    ) -> Result<Vec<ComputerRuleRow>> {
        self.authz_rows(
            &format!(
                "SELECT {COMPUTER_RULE_COLS} FROM computer_authorization_rules
                 WHERE target_type = ?1 AND target_id = ?2 COLLATE NOCASE
                   AND ((?3 IS NULL AND target_authority_id IS NULL) OR target_authority_id = ?3 COLLATE NOCASE)
                 ORDER BY created_at, id"
            ),
            params![target_type, target_id, target_authority_id],
            map_computer_rule,
        )
    }

    // ---- role rules ----

    fn role_rules(&self, id: Option<&str>, name: Option<&str>) -> Result<Vec<RoleRuleRow>> {
        self.authz_rows(
            &format!(
                "SELECT {ROLE_RULE_COLS} FROM role_authorization_rules
                 WHERE (?1 IS NULL OR id = ?1 COLLATE NOCASE) AND (?2 IS NULL OR name = ?2) ORDER BY name, id"
            ),
            params![id, name],
            map_role_rule,
        )
    }

    // ---- principals ----

    fn rule_principals(&self, table: PrincipalTable, rule_id: Option<&str>) -> Result<Vec<RulePrincipalRow>> {
        self.authz_rows(
            &format!(
                "SELECT {PRINCIPAL_COLS} FROM {} WHERE (?1 IS NULL OR rule_id = ?1)
                 ORDER BY rule_id, access_type, ace, sid",
                table.table()
            ),
            params![rule_id],
            map_principal,
        )
    }

    // ---- rate limits ----

    fn rate_limit_count(&self, key: &str, since: &str) -> Result<i64> {
        let mut stmt =
            self.tx.prepare_cached("SELECT COUNT(*) FROM rate_limit_events WHERE key = ?1 AND created_at > ?2")?;
        Ok(stmt.query_row(params![key, since], |r| r.get(0))?)
    }

    fn rate_limit_oldest(&self, key: &str, since: &str) -> Result<Option<String>> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT MIN(created_at) FROM rate_limit_events WHERE key = ?1 AND created_at > ?2")?;
        Ok(stmt.query_row(params![key, since], |r| r.get::<_, Option<String>>(0)).optional()?.flatten())
    }
}

/// A computer rule's values in `COMPUTER_RULE_COLS` order, for the insert (`?1`..`?29`) and the
/// update (`?1`..`?27`, which leaves out `created_at` and `created_by`).
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

/// A role rule's values in `ROLE_RULE_COLS` order, for the insert (`?1`..`?19`) and the update
/// (`?1`..`?17`, which leaves out `created_at` and `created_by`).
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

impl AuthzWrite for SqliteTx<'_> {
    fn insert_computer_rule(&self, r: &ComputerRuleRow) -> Result<()> {
        self.authz_exec(
            &format!(
                "INSERT INTO computer_authorization_rules ({COMPUTER_RULE_COLS}) VALUES
                 (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)"
            ),
            computer_rule_values(r, true).as_slice(),
        )?;
        Ok(())
    }

    fn update_computer_rule(&self, r: &ComputerRuleRow) -> Result<usize> {
        self.authz_exec(
            "UPDATE computer_authorization_rules SET target_type = ?2, target_id = ?3, target_authority_id = ?4,
               target_name = ?5, authorization_mode = ?6, script = ?7, script_path = ?8, laps_default_seconds = ?9,
               laps_max_seconds = ?10, laps_allow_extension = ?11, jit_group_name = ?12, jit_default_seconds = ?13,
               jit_max_seconds = ?14, jit_allow_extension = ?15, do_not_use_remote_dc_locator = ?16, site_name = ?17,
               domain_controller_name = ?18, description = ?19, notes = ?20, rule_expiry = ?21, disabled = ?22,
               reason_requirement = ?23, notify_success = ?24, notify_failure = ?25, modified_at = ?26, modified_by = ?27
             WHERE id = ?1",
            computer_rule_values(r, false).as_slice(),
        )
    }

    fn delete_computer_rule(&self, id: &str) -> Result<usize> {
        self.authz_exec("DELETE FROM computer_authorization_rules WHERE id = ?1", [id])
    }

    fn insert_role_rule(&self, r: &RoleRuleRow) -> Result<()> {
        self.authz_exec(
            &format!(
                "INSERT INTO role_authorization_rules ({ROLE_RULE_COLS}) VALUES
                 (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"
            ),
            role_rule_values(r, true).as_slice(),
        )?;
        Ok(())
    }

    fn update_role_rule(&self, r: &RoleRuleRow) -> Result<usize> {
        self.authz_exec(
            "UPDATE role_authorization_rules SET name = ?2, description = ?3, group_name = ?4, default_seconds = ?5,
               max_seconds = ?6, allow_extension = ?7, site_name = ?8, domain_controller_name = ?9, notes = ?10,
               rule_expiry = ?11, disabled = ?12, reason_requirement = ?13, notify_success = ?14, notify_failure = ?15,
               modified_at = ?16, modified_by = ?17
             WHERE id = ?1",
            role_rule_values(r, false).as_slice(),
        )
    }

    fn delete_role_rule(&self, id: &str) -> Result<usize> {
        self.authz_exec("DELETE FROM role_authorization_rules WHERE id = ?1", [id])
    }

    fn add_rule_principal(&self, table: PrincipalTable, p: &RulePrincipalRow) -> Result<bool> {
        Ok(self.authz_exec(
            &format!("INSERT OR IGNORE INTO {} ({PRINCIPAL_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", table.table()),
            params![p.rule_id, p.access_type, p.ace, p.sid, p.display_name, p.added_at],
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
        Ok(self.authz_exec(
            &format!(
                "DELETE FROM {} WHERE rule_id = ?1 AND access_type = ?2 AND ace = ?3 AND sid = ?4 COLLATE NOCASE",
                table.table()
            ),
            params![rule_id, access_type, ace, sid],
        )? > 0)
    }

    fn clear_rule_principals(&self, table: PrincipalTable, rule_id: &str) -> Result<usize> {
        self.authz_exec(&format!("DELETE FROM {} WHERE rule_id = ?1", table.table()), [rule_id])
    }

    fn insert_rate_limit_event(&self, key: &str, at: &str) -> Result<()> {
        self.authz_exec("INSERT INTO rate_limit_events (key, created_at) VALUES (?1, ?2)", params![key, at])?;
        Ok(())
    }

    fn purge_rate_limit_events(&self, before: &str) -> Result<usize> {
        self.authz_exec("DELETE FROM rate_limit_events WHERE created_at <= ?1", [before])
    }
}
