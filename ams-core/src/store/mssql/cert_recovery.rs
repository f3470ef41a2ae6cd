//! T-SQL for what certificate recovery needs: which secrets are sealed to which certificate.

use super::{Cols, MssqlTx, statements};
use crate::error::Result;
use crate::store::{CertRecoveryRead, CertRecoveryWrite, SealedCountRow, SealedSecretRef};

statements! {
    SEALED_SECRET_COUNTS = "SELECT cert_thumbprint, CAST(SUM(cur) AS bigint), CAST(SUM(hist) AS bigint), CAST(SUM(fve) AS bigint) FROM (
            SELECT cert_thumbprint, CASE WHEN retired_at IS NULL THEN 1 ELSE 0 END AS cur,
                   CASE WHEN retired_at IS NULL THEN 0 ELSE 1 END AS hist, 0 AS fve
              FROM device_passwords
            UNION ALL
            SELECT cert_thumbprint, 0, 0, 1 FROM bitlocker_keys
        ) AS s GROUP BY cert_thumbprint ORDER BY cert_thumbprint";
    PASSWORDS_SEALED_TO = "SELECT p.id, p.device_id, d.name, p.account_name, p.cert_thumbprint, p.created_at, p.expires_at, p.retired_at
          FROM device_passwords p JOIN devices d ON d.id = p.device_id
         WHERE p.cert_thumbprint = @P1
         ORDER BY LOWER(d.name) COLLATE Latin1_General_100_BIN2, d.id, p.created_at DESC, p.id";
    BITLOCKER_KEYS_SEALED_TO = "SELECT k.id, k.device_id, d.name, k.key_id, k.cert_thumbprint, k.created_at,
                CAST(NULL AS nvarchar(40)), CAST(NULL AS nvarchar(40))
          FROM bitlocker_keys k JOIN devices d ON d.id = k.device_id
         WHERE k.cert_thumbprint = @P1
         ORDER BY LOWER(d.name) COLLATE Latin1_General_100_BIN2, d.id, k.created_at DESC, k.id";
    SET_CERT_PRIVATE_KEY = "UPDATE certificates SET sealed_private_key = @P2 WHERE thumbprint = @P1";
}

fn map_ref(r: &Cols<'_>) -> Result<SealedSecretRef> {
    Ok(SealedSecretRef {
        id: r.s()?,
        device_id: r.s()?,
        device_name: r.s()?,
        label: r.s()?,
        cert_thumbprint: r.s()?,
        created_at: r.s()?,
        expires_at: r.os()?,
        retired_at: r.os()?,
    })
}

impl CertRecoveryRead for MssqlTx<'_> {
    fn sealed_secret_counts(&self) -> Result<Vec<SealedCountRow>> {
        self.rows(SEALED_SECRET_COUNTS, &[], |r| {
            Ok(SealedCountRow {
                cert_thumbprint: r.s()?,
                current_passwords: r.i()?,
                historical_passwords: r.i()?,
                bitlocker_keys: r.i()?,
            })
        })
    }

    fn passwords_sealed_to(&self, thumbprint: &str) -> Result<Vec<SealedSecretRef>> {
        self.rows(PASSWORDS_SEALED_TO, &[&thumbprint], map_ref)
    }

    fn bitlocker_keys_sealed_to(&self, thumbprint: &str) -> Result<Vec<SealedSecretRef>> {
        self.rows(BITLOCKER_KEYS_SEALED_TO, &[&thumbprint], map_ref)
    }
}

impl CertRecoveryWrite for MssqlTx<'_> {
    fn set_cert_private_key(&self, thumbprint: &str, sealed: &[u8]) -> Result<usize> {
        self.exec(SET_CERT_PRIVATE_KEY, &[&thumbprint, &sealed])
    }
}
