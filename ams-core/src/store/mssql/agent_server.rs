//! T-SQL for the agent server: device public keys, device credentials, the token-id replay cache.

use super::{MssqlTx, statements};
use crate::error::Result;
use crate::store::{AgentServerRead, AgentServerWrite, DeviceKeyRow};

statements! {
    DEVICE_KEY = "SELECT device_id, algorithm, public_key, thumbprint, created_at FROM device_keys WHERE device_id = @P1";
    /// Changes whenever any object of the database is created, altered or dropped (SQLite's
    /// schema cookie): the sum of a checksum over each user object's id and modification time
    /// (a sum, not CHECKSUM_AGG, which Babelfish does not have; the same on SQL Server).
    SCHEMA_COOKIE = "SELECT COALESCE(SUM(CAST(CHECKSUM(object_id, modify_date) AS bigint)), CAST(0 AS bigint))
        FROM sys.objects WHERE is_ms_shipped = 0";
    INSERT_DEVICE_KEY = "INSERT INTO device_keys (device_id, algorithm, public_key, thumbprint, created_at) VALUES (@P1, @P2, @P3, @P4, @P5)";
    CLEAR_DEVICE_CREDENTIAL = "UPDATE devices SET credential_hash = NULL, modified_at = @P2 WHERE id = @P1";
    /// A replay is refused on every host: the key range is held from the check to the insert.
    INSERT_TOKEN_ID = "INSERT INTO agent_token_ids (jti, device_id, expires_at)
        SELECT @P1, @P2, @P3 WHERE NOT EXISTS (SELECT 1 FROM agent_token_ids WITH (UPDLOCK, HOLDLOCK) WHERE jti = @P1)";
    PURGE_TOKEN_IDS = "DELETE FROM agent_token_ids WHERE jti IN
        (SELECT TOP (@P2) jti FROM agent_token_ids WHERE expires_at < @P1 ORDER BY expires_at)";
}

impl AgentServerRead for MssqlTx<'_> {
    fn device_key(&self, device_id: &str) -> Result<Option<DeviceKeyRow>> {
        self.one(DEVICE_KEY, &[&device_id], |r| {
            Ok(DeviceKeyRow {
                device_id: r.s()?,
                algorithm: r.s()?,
                public_key: r.b()?,
                thumbprint: r.s()?,
                created_at: r.s()?,
            })
        })
    }

    fn schema_cookie(&self) -> Result<i64> {
        self.count(SCHEMA_COOKIE, &[])
    }
}

impl AgentServerWrite for MssqlTx<'_> {
    fn insert_device_key(&self, k: &DeviceKeyRow) -> Result<()> {
        self.exec(INSERT_DEVICE_KEY, &[&k.device_id, &k.algorithm, &k.public_key, &k.thumbprint, &k.created_at])?;
        Ok(())
    }

    fn clear_device_credential(&self, device_id: &str, at: &str) -> Result<usize> {
        self.exec(CLEAR_DEVICE_CREDENTIAL, &[&device_id, &at])
    }

    fn insert_token_id(&self, jti: &str, device_id: &str, expires_at: &str) -> Result<bool> {
        Ok(self.exec(INSERT_TOKEN_ID, &[&jti, &device_id, &expires_at])? == 1)
    }

    fn purge_token_ids(&self, before: &str, limit: u32) -> Result<usize> {
        let limit = i64::from(limit);
        self.exec(PURGE_TOKEN_IDS, &[&before, &limit])
    }
}
