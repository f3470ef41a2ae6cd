//! The store contract for the instance, master keys and protectors, service settings, the audit trail and sealed columns.

use crate::error::Result;
use crate::store::rows::*;

/// Reads: the instance, master keys and protectors, service settings, the audit trail and sealed columns.
pub trait FoundationRead {
    /// The instance row.
    fn instance(&self) -> Result<Option<InstanceRow>>;

    /// The active master key.
    fn active_master_key(&self) -> Result<Option<MasterKeyRow>>;

    /// All master keys, newest first.
    fn master_keys(&self) -> Result<Vec<MasterKeyRow>>;

    /// Protectors of a master key.
    fn protectors(&self, master_key_id: &str) -> Result<Vec<ProtectorRow>>;

    /// A service setting (JSON text).
    fn setting(&self, key: &str) -> Result<Option<String>>;

    /// All service settings.
    fn settings(&self) -> Result<Vec<(String, String)>>;

    /// The newest audit record.
    fn last_audit(&self) -> Result<Option<AuditRow>>;

    /// Audit records in sequence order, optionally only those about one target.
    fn audit(&self, target_id: Option<&str>, limit: u32) -> Result<Vec<AuditRow>>;

    /// Audit records matching a filter, oldest first (the newest `limit` of them).
    fn audit_filtered(&self, f: &AuditFilter<'_>) -> Result<Vec<AuditRow>>;

    /// Calls `f` for every audit record in sequence order; stops at the first error.
    fn for_each_audit(&self, f: &mut dyn FnMut(AuditRow) -> Result<()>) -> Result<()>;

    /// Every non-null value of a sealed column, with its row id.
    fn sealed_values(&self, col: SealedColumn) -> Result<Vec<(String, Vec<u8>)>>;

    /// A sealed secret of the instance (`instance_secrets`), by purpose.
    fn instance_secret(&self, purpose: &str) -> Result<Option<Vec<u8>>>;

    /// Rows left from before V0006 that were never re-keyed: lookup hashes still marked `plain:`
    /// (registration keys and device credentials together) and stored secrets without a row MAC.
    fn unkeyed_rows(&self) -> Result<(i64, i64)>;
}

/// Changes: the instance, master keys and protectors, service settings, the audit trail and sealed columns.
pub trait FoundationWrite: FoundationRead {
    /// Inserts the instance row.
    fn insert_instance(&self, row: &InstanceRow) -> Result<()>;

    /// Inserts a master key row.
    fn insert_master_key(&self, row: &MasterKeyRow) -> Result<()>;

    /// Retires a master key and deletes its protectors (the only copies of its material).
    fn retire_master_key(&self, id: &str, at: &str) -> Result<()>;

    /// Inserts a protector.
    fn insert_protector(&self, row: &ProtectorRow) -> Result<()>;

    /// Deletes the protectors of one kind for a master key.
    fn delete_protectors(&self, master_key_id: &str, kind: &str) -> Result<usize>;

    /// Deletes one protector by id; returns how many rows went (0 or 1).
    fn delete_protector(&self, id: &str) -> Result<usize>;

    /// Sets a service setting.
    fn put_setting(&self, key: &str, value: &str, at: &str) -> Result<()>;

    /// Appends an audit record (`seq` is ignored and assigned by the database).
    fn insert_audit(&self, row: &AuditRow) -> Result<()>;

    /// Replaces one sealed value.
    fn update_sealed(&self, col: SealedColumn, row_id: &str, value: &[u8]) -> Result<()>;

    /// Gives every stored password and BitLocker key without a row MAC the one `mac` computes.
    /// Returns how many rows changed.
    fn mac_unmacced_secret_rows(
        &self,
        password_mac: &mut dyn FnMut(&PasswordRow) -> String,
        bitlocker_mac: &mut dyn FnMut(&BitLockerRow) -> String,
    ) -> Result<usize>;

    /// Inserts a sealed secret of the instance; fails on a duplicate purpose.
    fn insert_instance_secret(&self, purpose: &str, sealed: &[u8], at: &str) -> Result<()>;

    /// Replaces every lookup hash of `kind` marked `plain:<sha256>` with `rekey(row id, sha256)`,
    /// where that gives one. Returns how many rows changed.
    fn rekey_plain_lookup_hashes(
        &self,
        kind: LookupKind,
        rekey: &mut dyn FnMut(&str, &str) -> Option<String>,
    ) -> Result<usize>;
}
