//! The store contract for authorization rules, their principals and rate-limit events.

use crate::error::Result;
use crate::store::rows::*;

/// Reads: authorization rules, their principals and rate-limit events.
pub trait AuthzRead {
    // ---- computer rules ----

    /// Computer rules, all or one by id, oldest first.
    fn computer_rules(&self, id: Option<&str>) -> Result<Vec<ComputerRuleRow>>;

    /// Computer rules with a given target, oldest first.
    fn computer_rules_by_target(
        &self,
        target_type: &str,
        target_id: &str,
        target_authority_id: Option<&str>,
    ) -> Result<Vec<ComputerRuleRow>>;

    // ---- role rules ----

    /// Role rules, filtered by exact id and name (case-insensitive), by name.
    fn role_rules(&self, id: Option<&str>, name: Option<&str>) -> Result<Vec<RoleRuleRow>>;

    // ---- principals ----

    /// Principals of one rule, or of every rule, ordered by rule, access type, kind and SID.
    fn rule_principals(&self, table: PrincipalTable, rule_id: Option<&str>) -> Result<Vec<RulePrincipalRow>>;

    // ---- rate limits ----

    /// Events for a key newer than `since`.
    fn rate_limit_count(&self, key: &str, since: &str) -> Result<i64>;

    /// The oldest event for a key newer than `since` (when the window frees a slot).
    fn rate_limit_oldest(&self, key: &str, since: &str) -> Result<Option<String>>;
}

/// Changes: authorization rules, their principals and rate-limit events.
pub trait AuthzWrite: AuthzRead {
    /// Inserts a computer rule.
    fn insert_computer_rule(&self, r: &ComputerRuleRow) -> Result<()>;

    /// Rewrites every column of a computer rule but its id and creation.
    fn update_computer_rule(&self, r: &ComputerRuleRow) -> Result<usize>;

    /// Deletes a computer rule (cascades to its principals).
    fn delete_computer_rule(&self, id: &str) -> Result<usize>;

    /// Inserts a role rule.
    fn insert_role_rule(&self, r: &RoleRuleRow) -> Result<()>;

    /// Rewrites every column of a role rule but its id and creation.
    fn update_role_rule(&self, r: &RoleRuleRow) -> Result<usize>;

    /// Deletes a role rule (cascades to its principals).
    fn delete_role_rule(&self, id: &str) -> Result<usize>;

    /// Adds a principal; false when it was already there.
    fn add_rule_principal(&self, table: PrincipalTable, p: &RulePrincipalRow) -> Result<bool>;

    /// Removes a principal; false when it was not there.
    fn remove_rule_principal(
        &self,
        table: PrincipalTable,
        rule_id: &str,
        access_type: &str,
        ace: &str,
        sid: &str,
    ) -> Result<bool>;

    /// Removes every principal of a rule.
    fn clear_rule_principals(&self, table: PrincipalTable, rule_id: &str) -> Result<usize>;

    /// Records one event.
    fn insert_rate_limit_event(&self, key: &str, at: &str) -> Result<()>;

    /// Deletes events older than `before`.
    fn purge_rate_limit_events(&self, before: &str) -> Result<usize>;
}
