//! SQL for the agent server: device public keys, the token replay cache, and the schema cookie
//! the server watches to notice a migration by another process.

use rusqlite::{OptionalExtension, params};

use super::SqliteTx;
use crate::error::Result;
use crate::store::{AgentServerRead, AgentServerWrite, DeviceKeyRow};

impl AgentServerRead for SqliteTx<'_> {
    fn device_key(&self, device_id: &str) -> Result<Option<DeviceKeyRow>> {
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

    fn schema_cookie(&self) -> Result<i64> {
        Ok(self.tx.query_row("PRAGMA schema_version", [], |r| r.get(0))?)
    }
}

impl AgentServerWrite for SqliteTx<'_> {
    fn insert_device_key(&self, k: &DeviceKeyRow) -> Result<()> {
        self.tx.execute(
            "INSERT INTO device_keys (device_id, algorithm, public_key, thumbprint, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![k.device_id, k.algorithm, k.public_key, k.thumbprint, k.created_at],
        )?;
        Ok(())
    }

    fn clear_device_credential(&self, device_id: &str, at: &str) -> Result<usize> {
        Ok(self.tx.execute(
            "UPDATE devices SET credential_hash = NULL, modified_at = ?2 WHERE id = ?1",
            params![device_id, at],
        )?)
    }

    fn insert_token_id(&self, jti: &str, device_id: &str, expires_at: &str) -> Result<bool> {
        Ok(self.tx.execute(
            "INSERT INTO agent_token_ids (jti, device_id, expires_at) VALUES (?1, ?2, ?3) ON CONFLICT (jti) DO NOTHING",
            params![jti, device_id, expires_at],
        )? == 1)
    }

    fn purge_token_ids(&self, before: &str, limit: u32) -> Result<usize> {
        Ok(self.tx.execute(
            "DELETE FROM agent_token_ids WHERE jti IN
               (SELECT jti FROM agent_token_ids WHERE expires_at < ?1 ORDER BY expires_at LIMIT ?2)",
            params![before, limit],
        )?)
    }
}
