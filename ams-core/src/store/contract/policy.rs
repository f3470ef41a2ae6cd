//! The store contract for agent policies: policies and their targets, custom word lists, and the
//! devices marked for an early rotation.

use crate::error::Result;
use crate::store::{AgentPolicyRow, PolicyTargetRow, RotationMarkRow, WordListRow};

/// Reads: agent policies and word lists.
pub trait PolicyRead {
    /// Policies, optionally of one operating system, ordered by operating system, then the
    /// default first, then position.
    fn agent_policies(&self, os_type: Option<&str>) -> Result<Vec<AgentPolicyRow>>;

    /// One policy by id.
    fn agent_policy(&self, id: &str) -> Result<Option<AgentPolicyRow>>;

    /// The targets of a policy, ordered by SID.
    fn agent_policy_targets(&self, policy_id: &str) -> Result<Vec<PolicyTargetRow>>;

    /// Custom word lists, by name; optionally only the one with this id or name (ignoring case).
    fn word_lists(&self, id: Option<&str>, name: Option<&str>) -> Result<Vec<WordListRow>>;

    /// The words of a custom list, sorted.
    fn word_list_words(&self, list_id: &str) -> Result<Vec<String>>;

    /// The early-rotation mark of a device.
    fn rotation_mark(&self, device_id: &str) -> Result<Option<RotationMarkRow>>;
}

/// Changes: agent policies and word lists.
pub trait PolicyWrite: PolicyRead {
    /// Adds a policy (a second default for an OS, or a duplicate name, is a uniqueness violation).
    fn insert_agent_policy(&self, p: &AgentPolicyRow) -> Result<()>;

    /// Replaces every column of a policy but its id and creation time; returns rows changed.
    fn update_agent_policy(&self, p: &AgentPolicyRow) -> Result<usize>;

    /// Deletes a policy and its targets; returns rows deleted.
    fn delete_agent_policy(&self, id: &str) -> Result<usize>;

    /// Replaces the targets of a policy.
    fn set_agent_policy_targets(&self, policy_id: &str, targets: &[PolicyTargetRow]) -> Result<()>;

    /// Adds a custom word list and its words (distinct; a duplicate is a uniqueness violation).
    fn insert_word_list(&self, l: &WordListRow, words: &[String]) -> Result<()>;

    /// Deletes a custom word list and its words; returns lists deleted.
    fn delete_word_list(&self, id: &str) -> Result<usize>;

    /// Marks a device for rotation at its next check-in (kept if already marked).
    fn mark_rotation(&self, m: &RotationMarkRow) -> Result<()>;

    /// Clears a device's mark; returns rows deleted.
    fn clear_rotation_mark(&self, device_id: &str) -> Result<usize>;
}
