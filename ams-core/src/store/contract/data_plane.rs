//! The store contract for certificates, devices, groups, registration keys, passwords and BitLocker keys.

use crate::error::Result;
use crate::store::rows::*;

/// Reads: certificates, devices, groups, registration keys, passwords and BitLocker keys.
pub trait DataPlaneRead {
    // ---- certificates ----

    /// All certificates, newest first.
    fn certs(&self) -> Result<Vec<CertRow>>;

    /// One certificate.
    fn cert(&self, thumbprint: &str) -> Result<Option<CertRow>>;

    /// The active certificate.
    fn active_cert(&self) -> Result<Option<CertRow>>;

    // ---- devices ----

    /// Devices, filtered by exact id, name (matches name or DNS name) and approval state. Each
    /// lookup has its own statement so that it uses its index.
    fn devices(&self, id: Option<&str>, name: Option<&str>, approval_state: Option<&str>) -> Result<Vec<DeviceRow>>;

    /// One page of every device, in the order of an unfiltered [`DataPlaneRead::devices`] (name,
    /// case-insensitively, then id): at most `limit` devices that sort after `after`, the name and
    /// id of the last device of the previous page (`None`: the first page). One statement per
    /// page, so a listing of any size streams in bounded memory (ADR 0014); read every page in one
    /// read transaction for one consistent snapshot.
    fn devices_page(&self, after: Option<(&str, &str)>, limit: usize) -> Result<Vec<DeviceRow>>;

    /// One device by id.
    fn device(&self, id: &str) -> Result<Option<DeviceRow>>;

    /// One device by its authority triple.
    fn device_by_authority(
        &self,
        authority_type: &str,
        authority_id: &str,
        authority_device_id: &str,
    ) -> Result<Option<DeviceRow>>;

    // ---- groups ----

    /// Custom groups, filtered by exact id, name and SID.
    fn groups(&self, id: Option<&str>, name: Option<&str>, sid: Option<&str>) -> Result<Vec<GroupRow>>;

    /// Members of a group.
    fn group_members(&self, group_id: &str) -> Result<Vec<DeviceRow>>;

    /// Ids of the custom groups a device is in.
    fn device_group_ids(&self, device_id: &str) -> Result<Vec<String>>;

    /// How many members a group has and how many registration keys name it.
    fn group_usage(&self, group_id: &str) -> Result<(i64, i64)>;

    // ---- registration keys ----

    /// Registration keys, filtered by exact id, name and key hash.
    fn reg_keys(&self, id: Option<&str>, name: Option<&str>, key_hash: Option<&str>) -> Result<Vec<RegKeyRow>>;

    /// Group ids attached to a registration key.
    fn reg_key_group_ids(&self, key_id: &str) -> Result<Vec<String>>;

    // ---- passwords ----

    /// The current password of a device.
    fn current_password(&self, device_id: &str) -> Result<Option<PasswordRow>>;

    /// Every password of a device (current and history), newest first.
    fn passwords(&self, device_id: &str) -> Result<Vec<PasswordRow>>;

    /// Counts of a device's stored secrets: (passwords, BitLocker keys).
    fn device_secret_counts(&self, device_id: &str) -> Result<(i64, i64)>;

    // ---- BitLocker ----

    /// BitLocker keys of a device, newest first.
    fn bitlocker_keys(&self, device_id: &str) -> Result<Vec<BitLockerRow>>;
}

/// Changes: certificates, devices, groups, registration keys, passwords and BitLocker keys.
pub trait DataPlaneWrite: DataPlaneRead {
    /// Inserts a certificate.
    fn insert_cert(&self, c: &CertRow) -> Result<()>;

    /// Makes one certificate active and the previously active one retained.
    fn activate_cert(&self, thumbprint: &str, at: &str) -> Result<()>;

    /// Sets a certificate's state.
    fn set_cert_state(&self, thumbprint: &str, state: &str) -> Result<()>;

    /// Removes a certificate's sealed private key (the key is then lost).
    fn delete_cert_private_key(&self, thumbprint: &str) -> Result<usize>;

    /// Inserts a device.
    fn insert_device(&self, d: &DeviceRow) -> Result<()>;

    /// Updates a device's approval state and disabled flag.
    fn update_device_state(&self, id: &str, approval_state: &str, disabled: bool, at: &str) -> Result<()>;

    /// Deletes a device (cascades to passwords, BitLocker keys and memberships).
    fn delete_device(&self, id: &str) -> Result<usize>;

    /// Inserts a group.
    fn insert_group(&self, g: &GroupRow) -> Result<()>;

    /// Updates a group's name and description.
    fn update_group(&self, g: &GroupRow) -> Result<()>;

    /// Deletes a group (memberships and key attachments go with it).
    fn delete_group(&self, id: &str) -> Result<usize>;

    /// Adds a member; returns false when it was already a member.
    fn add_group_member(&self, group_id: &str, device_id: &str, at: &str) -> Result<bool>;

    /// Removes a member; returns false when it was not a member.
    fn remove_group_member(&self, group_id: &str, device_id: &str) -> Result<bool>;

    /// Removes every member; returns how many.
    fn clear_group_members(&self, group_id: &str) -> Result<usize>;

    /// Inserts a registration key.
    fn insert_reg_key(&self, k: &RegKeyRow) -> Result<()>;

    /// Updates a registration key's settings and count.
    fn update_reg_key(&self, k: &RegKeyRow) -> Result<()>;

    /// Deletes a registration key.
    fn delete_reg_key(&self, id: &str) -> Result<usize>;

    /// Attaches a group to a key; false when already attached.
    fn add_reg_key_group(&self, key_id: &str, group_id: &str) -> Result<bool>;

    /// Detaches a group from a key; false when it was not attached.
    fn remove_reg_key_group(&self, key_id: &str, group_id: &str) -> Result<bool>;

    /// Retires the current password of a device.
    fn retire_current_password(&self, device_id: &str, at: &str) -> Result<usize>;

    /// Inserts a password row.
    fn insert_password(&self, p: &PasswordRow) -> Result<()>;

    /// Sets the expiry of a device's current password; returns rows changed (0 = no password).
    fn set_current_password_expiry(&self, device_id: &str, expires_at: &str) -> Result<usize>;

    /// Deletes password rows by id.
    fn delete_passwords(&self, ids: &[String]) -> Result<usize>;

    /// Stores a BitLocker key; a key with the same key id on the same device is replaced.
    fn upsert_bitlocker_key(&self, k: &BitLockerRow) -> Result<()>;
}
