//! SQL for the agent server: device public keys, the token replay cache, and the schema cookie
//! the server watches to notice a migration by another process.

use rusqlite::{OptionalExtension, params};

use crate::error::Result;
use crate::store::{DeviceKeyRow, Tx};

impl Tx<'_> {
    /// The public key of a device, if it has one.
    pub fn device_key(&self, device_id: &str) -> Result<Option<DeviceKeyRow>> {
        Ok(self
            .tx
            .query_row(
                "SELECT device_id, algorithm, public_key, thumbprint, created_at FROM device_keys WHERE device_id = ?1",
                params![device_id],
                |r| {
                    Ok(DeviceKeyRow {
                        device_id: r.get(0)?,
                        algorithm: r.get(1)?,
                        public_key: r.get(2)?,
                        thumbprint: r.get(3)?,
                        created_at: r.get(4)?,
                    })
                },
            )
            .optional()?)
    }

    /// Stores a device's public key.
    pub fn insert_device_key(&self, k: &DeviceKeyRow) -> Result<()> {
        self.tx.execute(
            "INSERT INTO device_keys (device_id, algorithm, public_key, thumbprint, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![k.device_id, k.algorithm, k.public_key, k.thumbprint, k.created_at],
        )?;
        Ok(())
    }

    /// Forgets a device's legacy bearer credential hash (after it enrolled a key).
    pub fn clear_device_credential(&self, device_id: &str, at: &str) -> Result<usize> {
        Ok(self.tx.execute(
            "UPDATE devices SET credential_hash = NULL, modified_at = ?2 WHERE id = ?1",
            params![device_id, at],
        )?)
    }

    /// Records a token id; false when it was already recorded (a replay).
    pub fn insert_token_id(&self, jti: &str, device_id: &str, expires_at: &str) -> Result<bool> {
        Ok(self.tx.execute(
            "INSERT INTO agent_token_ids (jti, device_id, expires_at) VALUES (?1, ?2, ?3) ON CONFLICT (jti) DO NOTHING",
            params![jti, device_id, expires_at],
        )? == 1)
    }

    /// Deletes up to `limit` token ids that expired before `before`.
    pub fn purge_token_ids(&self, before: &str, limit: u32) -> Result<usize> {
        Ok(self.tx.execute(
            "DELETE FROM agent_token_ids WHERE jti IN
               (SELECT jti FROM agent_token_ids WHERE expires_at < ?1 ORDER BY expires_at LIMIT ?2)",
            params![before, limit],
        )?)
    }

    /// SQLite's schema cookie: it changes whenever any process changes the schema.
    pub fn schema_cookie(&self) -> Result<i64> {
        Ok(self.tx.query_row("PRAGMA schema_version", [], |r| r.get(0))?)
    }
}
