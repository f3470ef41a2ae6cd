//! The store contract for approvals: rules' approval requirements and the access requests that
//! wait for, or hold, an approval. State changes are conditional UPDATEs that report whether they
//! won (docs/adr/0012-approval-requests.md).

use crate::error::Result;
use crate::store::rows::*;

/// Reads: approval requirements and access requests.
pub trait ApprovalRead {
    /// A rule's approval requirement.
    fn rule_approval(&self, rule_id: &str) -> Result<Option<RuleApprovalRow>>;

    /// Every approval requirement, by rule id.
    fn rule_approvals(&self) -> Result<Vec<RuleApprovalRow>>;

    /// One access request.
    fn access_request(&self, id: &str) -> Result<Option<AccessRequestRow>>;

    /// Access requests matching every filter given, newest first (then by id).
    fn access_requests(&self, f: &AccessRequestFilter) -> Result<Vec<AccessRequestRow>>;
}

/// Changes: approval requirements and access requests.
pub trait ApprovalWrite: ApprovalRead {
    /// Inserts or replaces a rule's approval requirement.
    fn put_rule_approval(&self, r: &RuleApprovalRow) -> Result<()>;

    /// Removes a rule's approval requirement; false when there was none.
    fn delete_rule_approval(&self, rule_id: &str) -> Result<bool>;

    /// Inserts a new request.
    fn insert_access_request(&self, r: &AccessRequestRow) -> Result<()>;

    /// Decides a request: sets the state, approver, time, reason and access window end, only if
    /// it is `Pending` and its `wait_until` is after `decided_at`. Returns the rows changed (0: it
    /// was not pending, was already decided or had expired).
    fn decide_access_request(&self, d: &AccessDecision<'_>) -> Result<usize>;

    /// Marks an approved request used at `at`, only if it is `Approved` and `access_until` is
    /// after `at`. Returns the rows changed (0: someone else used it, or it was not approved, or
    /// the window had closed).
    fn use_access_request(&self, id: &str, at: &str) -> Result<usize>;
}
