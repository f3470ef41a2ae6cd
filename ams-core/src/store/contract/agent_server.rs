//! The store contract for the agent server: device public keys, the token replay cache, and a
//! schema cookie the server watches to notice a migration made by another process.

use crate::error::Result;
use crate::store::DeviceKeyRow;

/// Reads: the agent server.
pub trait AgentServerRead {
    /// The public key of a device, if it has one.
    fn device_key(&self, device_id: &str) -> Result<Option<DeviceKeyRow>>;

    /// A value that changes whenever any process changes the schema (SQLite's schema cookie).
    fn schema_cookie(&self) -> Result<i64>;
}

/// Changes: the agent server.
pub trait AgentServerWrite: AgentServerRead {
    /// Stores a device's public key (one per device: a second is a uniqueness violation).
    fn insert_device_key(&self, k: &DeviceKeyRow) -> Result<()>;

    /// Forgets a device's legacy bearer credential hash (after it enrolled a key).
    fn clear_device_credential(&self, device_id: &str, at: &str) -> Result<usize>;

    /// Records a token id; false when it was already recorded (a replay). Hosts sharing one
    /// database race here: the primary key on `jti` decides, never a read-then-write.
    fn insert_token_id(&self, jti: &str, device_id: &str, expires_at: &str) -> Result<bool>;

    /// Deletes up to `limit` token ids that expired before `before`.
    fn purge_token_ids(&self, before: &str, limit: u32) -> Result<usize>;
}
