//! SQL for certificate backup and lost-private-key recovery: which secrets are sealed to which
//! certificate, and restoring a certificate's private key.

use rusqlite::{Row, params};

use super::SqliteTx;
use crate::error::Result;
use crate::store::{CertRecoveryRead, CertRecoveryWrite, SealedCountRow, SealedSecretRef};

fn map_ref(r: &Row<'_>) -> rusqlite::Result<SealedSecretRef> {
    Ok(SealedSecretRef {
        id: r.get(0)?,
        device_id: r.get(1)?,
        device_name: r.get(2)?,
        label: r.get(3)?,
        cert_thumbprint: r.get(4)?,
        created_at: r.get(5)?,
        expires_at: r.get(6)?,
        retired_at: r.get(7)?,
    })
}

impl CertRecoveryRead for SqliteTx<'_> {
    fn sealed_secret_counts(&self) -> Result<Vec<SealedCountRow>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT cert_thumbprint, SUM(cur), SUM(hist), SUM(fve) FROM (
                 SELECT cert_thumbprint, (retired_at IS NULL) AS cur, (retired_at IS NOT NULL) AS hist, 0 AS fve
                   FROM device_passwords
                 UNION ALL
                 SELECT cert_thumbprint, 0, 0, 1 FROM bitlocker_keys
             ) GROUP BY cert_thumbprint ORDER BY cert_thumbprint",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(SealedCountRow {
                cert_thumbprint: r.get(0)?,
                current_passwords: r.get(1)?,
                historical_passwords: r.get(2)?,
                bitlocker_keys: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn passwords_sealed_to(&self, thumbprint: &str) -> Result<Vec<SealedSecretRef>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT p.id, p.device_id, d.name, p.account_name, p.cert_thumbprint, p.created_at, p.expires_at, p.retired_at
               FROM device_passwords p JOIN devices d ON d.id = p.device_id
              WHERE p.cert_thumbprint = ?1
              ORDER BY d.name, d.id, p.created_at DESC, p.id",
        )?;
        let rows = stmt.query_map([thumbprint], map_ref)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn bitlocker_keys_sealed_to(&self, thumbprint: &str) -> Result<Vec<SealedSecretRef>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT k.id, k.device_id, d.name, k.key_id, k.cert_thumbprint, k.created_at, NULL, NULL
               FROM bitlocker_keys k JOIN devices d ON d.id = k.device_id
              WHERE k.cert_thumbprint = ?1
              ORDER BY d.name, d.id, k.created_at DESC, k.id",
        )?;
        let rows = stmt.query_map([thumbprint], map_ref)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

impl CertRecoveryWrite for SqliteTx<'_> {
    fn set_cert_private_key(&self, thumbprint: &str, sealed: &[u8]) -> Result<usize> {
        Ok(self.tx.execute(
            "UPDATE certificates SET sealed_private_key = ?2 WHERE thumbprint = ?1",
            params![thumbprint, sealed],
        )?)
    }
}
