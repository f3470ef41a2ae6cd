//! The store contract for just-in-time access: the directory row, JIT group creation rules and scheduler jobs.

use crate::error::Result;
use crate::store::rows::*;

/// Reads: just-in-time access.
pub trait JitRead {
    /// The JIT directory, if configured.
    fn jit_directory(&self) -> Result<Option<JitDirectoryRow>>;

    /// Every JIT group creation rule, oldest first.
    fn jit_group_rules(&self) -> Result<Vec<JitGroupRuleRow>>;

    /// One JIT group creation rule.
    fn jit_group_rule(&self, id: &str) -> Result<Option<JitGroupRuleRow>>;

    /// One scheduler job.
    fn jit_job(&self, id: &str) -> Result<Option<JitJobRow>>;

    /// The pending job for a user in a group, if any.
    fn pending_jit_job(&self, user_sid: &str, group_dn: &str) -> Result<Option<JitJobRow>>;

    /// Jobs that are not done, optionally only the failed ones, by due time.
    fn open_jit_jobs(&self, failed_only: bool) -> Result<Vec<JitJobRow>>;

    /// Pending jobs due at or before `now`.
    fn due_jit_jobs(&self, now: &str) -> Result<Vec<JitJobRow>>;
}

/// Changes: just-in-time access.
pub trait JitWrite: JitRead {
    /// Writes the JIT directory row.
    fn put_jit_directory(&self, d: &JitDirectoryRow) -> Result<()>;

    /// Removes the JIT directory row.
    fn delete_jit_directory(&self) -> Result<bool>;

    /// Inserts or replaces a JIT group creation rule.
    fn put_jit_group_rule(&self, r: &JitGroupRuleRow) -> Result<()>;

    /// Deletes a JIT group creation rule. Returns whether it existed.
    fn delete_jit_group_rule(&self, id: &str) -> Result<bool>;

    /// Inserts or replaces a scheduler job.
    fn put_jit_job(&self, j: &JitJobRow) -> Result<()>;

    /// Deletes a job. Returns whether it existed.
    fn delete_jit_job(&self, id: &str) -> Result<bool>;
}
