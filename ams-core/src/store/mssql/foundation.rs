//! T-SQL for the foundation tables.

use super::{Cols, MssqlTx, Sql, statements};
use crate::error::Result;
use crate::store::{
    AuditFilter, AuditRow, BitLockerRow, FoundationRead, FoundationWrite, InstanceRow, LookupKind, MasterKeyRow,
    PasswordRow, ProtectorRow, SealedColumn,
};

macro_rules! audit_cols {
    () => {
        "seq, id, at, actor, event, outcome, target_type, target_id, details, prev_hash, hash"
    };
}

/// How many audit records `for_each_audit` reads per round trip.
const AUDIT_PAGE: i64 = 1000;

statements! {
    INSTANCE = "SELECT id, created_at FROM instance";
    ACTIVE_MASTER_KEY = "SELECT id, state, created_at, retired_at FROM master_keys WHERE state = 'active'";
    MASTER_KEYS = "SELECT id, state, created_at, retired_at FROM master_keys ORDER BY created_at DESC, id";
    PROTECTORS = "SELECT id, master_key_id, kind, params, wrapped_key, created_at FROM key_protectors
                  WHERE master_key_id = @P1 ORDER BY kind, created_at, id";
    SETTING = "SELECT value FROM service_settings WHERE [key] = @P1";
    SETTINGS = "SELECT [key], value FROM service_settings ORDER BY [key]";
    LAST_AUDIT = concat!("SELECT TOP (1) ", audit_cols!(), " FROM audit_log ORDER BY seq DESC");
    AUDIT = concat!("SELECT TOP (@P2) ", audit_cols!(), " FROM audit_log
                     WHERE (@P1 IS NULL OR target_id = @P1) ORDER BY seq DESC");
    AUDIT_FILTERED = concat!("SELECT TOP (@P6) ", audit_cols!(), " FROM audit_log
                     WHERE (@P1 IS NULL OR at >= @P1) AND (@P2 IS NULL OR at < @P2) AND (@P3 IS NULL OR target_id = @P3)
                       AND (@P4 IS NULL OR actor = @P4) AND (@P5 IS NULL OR event = @P5 OR event LIKE @P5 + '.%')
                     ORDER BY seq DESC");
    AUDIT_PAGE_AFTER = concat!("SELECT TOP (@P2) ", audit_cols!(), " FROM audit_log WHERE seq > @P1 ORDER BY seq");
    SEALED_CERT_VALUES = "SELECT [thumbprint], [sealed_private_key] FROM [certificates] WHERE [sealed_private_key] IS NOT NULL";
    SEALED_REGKEY_VALUES = "SELECT [id], [sealed_key] FROM [registration_keys] WHERE [sealed_key] IS NOT NULL";
    SEALED_JIT_VALUES = "SELECT [id], [sealed_bind_password] FROM [jit_directory] WHERE [sealed_bind_password] IS NOT NULL";
    SEALED_INSTANCE_SECRET_VALUES = "SELECT [purpose], [sealed_secret] FROM [instance_secrets] WHERE [sealed_secret] IS NOT NULL";
    SEALED_CHANNEL_VALUES = "SELECT [id], [sealed_secret] FROM [notification_channels] WHERE [sealed_secret] IS NOT NULL";
    INSTANCE_SECRET = "SELECT sealed_secret FROM instance_secrets WHERE purpose = @P1";
    /// SQLite's LIKE ignores ASCII case; the case-insensitive collation says the same here.
    UNKEYED_ROWS = "SELECT (SELECT COUNT_BIG(*) FROM registration_keys WHERE key_hash LIKE N'plain:%' COLLATE Latin1_General_CI_AS)
                         + (SELECT COUNT_BIG(*) FROM devices WHERE credential_hash LIKE N'plain:%' COLLATE Latin1_General_CI_AS),
                           (SELECT COUNT_BIG(*) FROM device_passwords WHERE row_mac IS NULL)
                         + (SELECT COUNT_BIG(*) FROM bitlocker_keys WHERE row_mac IS NULL)";
    UNMACCED_PASSWORDS = concat!("SELECT ", super::data_plane::password_cols!(),
                                 " FROM device_passwords WHERE row_mac IS NULL ORDER BY id");
    UNMACCED_BITLOCKER_KEYS = concat!("SELECT ", super::data_plane::bitlocker_cols!(),
                                      " FROM bitlocker_keys WHERE row_mac IS NULL ORDER BY id");
    PLAIN_REG_KEY_HASHES = "SELECT id, key_hash FROM registration_keys
                            WHERE key_hash LIKE N'plain:%' COLLATE Latin1_General_CI_AS ORDER BY id";
    PLAIN_CREDENTIAL_HASHES = "SELECT id, credential_hash FROM devices
                               WHERE credential_hash LIKE N'plain:%' COLLATE Latin1_General_CI_AS ORDER BY id";

    INSERT_INSTANCE = "INSERT INTO instance (id, created_at) VALUES (@P1, @P2)";
    INSERT_MASTER_KEY = "INSERT INTO master_keys (id, state, created_at, retired_at) VALUES (@P1, @P2, @P3, @P4)";
    RETIRE_MASTER_KEY = "DELETE FROM key_protectors WHERE master_key_id = @P1;
                         UPDATE master_keys SET state = 'retired', retired_at = @P2 WHERE id = @P1";
    INSERT_PROTECTOR = "INSERT INTO key_protectors (id, master_key_id, kind, params, wrapped_key, created_at)
                        VALUES (@P1, @P2, @P3, @P4, @P5, @P6)";
    DELETE_PROTECTORS = "DELETE FROM key_protectors WHERE master_key_id = @P1 AND kind = @P2";
    DELETE_PROTECTOR = "DELETE FROM key_protectors WHERE id = @P1";
    /// Upsert without MERGE: update, and insert when no row was there (the key range stays
    /// locked from the UPDATE to the INSERT).
    PUT_SETTING = "UPDATE service_settings WITH (UPDLOCK, HOLDLOCK) SET value = @P2, updated_at = @P3 WHERE [key] = @P1;
                   IF @@ROWCOUNT = 0 INSERT INTO service_settings ([key], value, updated_at) VALUES (@P1, @P2, @P3)";
    /// The chain's next link: seq is MAX + 1, read and written while this transaction holds
    /// the writers' lock (and a range lock on the table's end), so two hosts never both append
    /// the same seq or chain onto the same record.
    INSERT_AUDIT = "INSERT INTO audit_log (seq, id, at, actor, event, outcome, target_type, target_id, details, prev_hash, hash)
                    SELECT COALESCE(MAX(seq), 0) + 1, @P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9, @P10
                    FROM audit_log WITH (UPDLOCK, HOLDLOCK)";
    UPDATE_SEALED_CERT = "UPDATE [certificates] SET [sealed_private_key] = @P1 WHERE [thumbprint] = @P2";
    UPDATE_SEALED_REGKEY = "UPDATE [registration_keys] SET [sealed_key] = @P1 WHERE [id] = @P2";
    UPDATE_SEALED_JIT = "UPDATE [jit_directory] SET [sealed_bind_password] = @P1 WHERE [id] = @P2";
    UPDATE_SEALED_INSTANCE_SECRET = "UPDATE [instance_secrets] SET [sealed_secret] = @P1 WHERE [purpose] = @P2";
    UPDATE_SEALED_CHANNEL = "UPDATE [notification_channels] SET [sealed_secret] = @P1 WHERE [id] = @P2";
    SET_PASSWORD_ROW_MAC = "UPDATE device_passwords SET row_mac = @P1 WHERE id = @P2";
    SET_BITLOCKER_ROW_MAC = "UPDATE bitlocker_keys SET row_mac = @P1 WHERE id = @P2";
    INSERT_INSTANCE_SECRET = "INSERT INTO instance_secrets (purpose, sealed_secret, created_at) VALUES (@P1, @P2, @P3)";
    SET_REG_KEY_HASH = "UPDATE registration_keys SET key_hash = @P1 WHERE id = @P2";
    SET_CREDENTIAL_HASH = "UPDATE devices SET credential_hash = @P1 WHERE id = @P2";
}

/// The statements that read and replace a sealed column (its names are in the statements'
/// text, checked against [`SealedColumn`] by a test).
fn sealed_sql(c: SealedColumn) -> (Sql, Sql) {
    match c {
        SealedColumn::CertPrivateKey => (SEALED_CERT_VALUES, UPDATE_SEALED_CERT),
        SealedColumn::RegistrationKey => (SEALED_REGKEY_VALUES, UPDATE_SEALED_REGKEY),
        SealedColumn::JitBindPassword => (SEALED_JIT_VALUES, UPDATE_SEALED_JIT),
        SealedColumn::InstanceSecret => (SEALED_INSTANCE_SECRET_VALUES, UPDATE_SEALED_INSTANCE_SECRET),
        SealedColumn::NotificationChannelSecret => (SEALED_CHANNEL_VALUES, UPDATE_SEALED_CHANNEL),
    }
}

fn map_audit(r: &Cols<'_>) -> Result<AuditRow> {
    Ok(AuditRow {
        seq: r.i()?,
        id: r.s()?,
        at: r.s()?,
        actor: r.s()?,
        event: r.s()?,
        outcome: r.s()?,
        target_type: r.os()?,
        target_id: r.os()?,
        details: r.s()?,
        prev_hash: r.s()?,
        hash: r.s()?,
    })
}

fn map_master_key(r: &Cols<'_>) -> Result<MasterKeyRow> {
    Ok(MasterKeyRow { id: r.s()?, state: r.s()?, created_at: r.s()?, retired_at: r.os()? })
}

impl FoundationRead for MssqlTx<'_> {
    fn instance(&self) -> Result<Option<InstanceRow>> {
        self.one(INSTANCE, &[], |r| Ok(InstanceRow { id: r.s()?, created_at: r.s()? }))
    }

    fn active_master_key(&self) -> Result<Option<MasterKeyRow>> {
        self.one(ACTIVE_MASTER_KEY, &[], map_master_key)
    }

    fn master_keys(&self) -> Result<Vec<MasterKeyRow>> {
        self.rows(MASTER_KEYS, &[], map_master_key)
    }

    fn protectors(&self, master_key_id: &str) -> Result<Vec<ProtectorRow>> {
        self.rows(PROTECTORS, &[&master_key_id], |r| {
            Ok(ProtectorRow {
                id: r.s()?,
                master_key_id: r.s()?,
                kind: r.s()?,
                params: r.s()?,
                wrapped_key: r.b()?,
                created_at: r.s()?,
            })
        })
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        self.one(SETTING, &[&key], |r| r.s())
    }

    fn settings(&self) -> Result<Vec<(String, String)>> {
        self.rows(SETTINGS, &[], |r| Ok((r.s()?, r.s()?)))
    }

    fn last_audit(&self) -> Result<Option<AuditRow>> {
        self.one(LAST_AUDIT, &[], map_audit)
    }

    fn audit(&self, target_id: Option<&str>, limit: u32) -> Result<Vec<AuditRow>> {
        let limit = i64::from(limit);
        let mut out = self.rows(AUDIT, &[&target_id, &limit], map_audit)?;
        out.reverse();
        Ok(out)
    }

    fn audit_filtered(&self, f: &AuditFilter<'_>) -> Result<Vec<AuditRow>> {
        let limit = i64::from(f.limit);
        let mut out =
            self.rows(AUDIT_FILTERED, &[&f.since, &f.until, &f.target_id, &f.actor, &f.event, &limit], map_audit)?;
        out.reverse();
        Ok(out)
    }

    fn for_each_audit(&self, f: &mut dyn FnMut(AuditRow) -> Result<()>) -> Result<()> {
        // Pages by seq inside this one transaction (a snapshot when the database allows it).
        let mut after = 0i64;
        loop {
            let page = self.rows(AUDIT_PAGE_AFTER, &[&after, &AUDIT_PAGE], map_audit)?;
            let full = page.len() as i64 == AUDIT_PAGE;
            for row in page {
                after = row.seq;
                f(row)?;
            }
            if !full {
                return Ok(());
            }
        }
    }

    fn sealed_values(&self, c: SealedColumn) -> Result<Vec<(String, Vec<u8>)>> {
        self.rows(sealed_sql(c).0, &[], |r| Ok((r.s()?, r.b()?)))
    }

    fn instance_secret(&self, purpose: &str) -> Result<Option<Vec<u8>>> {
        self.one(INSTANCE_SECRET, &[&purpose], |r| r.b())
    }

    fn unkeyed_rows(&self) -> Result<(i64, i64)> {
        Ok(self.one(UNKEYED_ROWS, &[], |r| Ok((r.i()?, r.i()?)))?.unwrap_or((0, 0)))
    }
}

impl FoundationWrite for MssqlTx<'_> {
    fn insert_instance(&self, row: &InstanceRow) -> Result<()> {
        self.exec(INSERT_INSTANCE, &[&row.id, &row.created_at])?;
        Ok(())
    }

    fn insert_master_key(&self, row: &MasterKeyRow) -> Result<()> {
        self.exec(INSERT_MASTER_KEY, &[&row.id, &row.state, &row.created_at, &row.retired_at])?;
        Ok(())
    }

    fn retire_master_key(&self, id: &str, at: &str) -> Result<()> {
        self.exec(RETIRE_MASTER_KEY, &[&id, &at])?;
        Ok(())
    }

    fn insert_protector(&self, row: &ProtectorRow) -> Result<()> {
        self.exec(
            INSERT_PROTECTOR,
            &[&row.id, &row.master_key_id, &row.kind, &row.params, &row.wrapped_key, &row.created_at],
        )?;
        Ok(())
    }

    fn delete_protectors(&self, master_key_id: &str, kind: &str) -> Result<usize> {
        self.exec(DELETE_PROTECTORS, &[&master_key_id, &kind])
    }

    fn delete_protector(&self, id: &str) -> Result<usize> {
        self.exec(DELETE_PROTECTOR, &[&id])
    }

    fn put_setting(&self, key: &str, value: &str, at: &str) -> Result<()> {
        self.exec(PUT_SETTING, &[&key, &value, &at])?;
        Ok(())
    }

    fn insert_audit(&self, row: &AuditRow) -> Result<()> {
        self.exec(
            INSERT_AUDIT,
            &[
                &row.id,
                &row.at,
                &row.actor,
                &row.event,
                &row.outcome,
                &row.target_type,
                &row.target_id,
                &row.details,
                &row.prev_hash,
                &row.hash,
            ],
        )?;
        Ok(())
    }

    fn update_sealed(&self, c: SealedColumn, row_id: &str, value: &[u8]) -> Result<()> {
        self.exec(sealed_sql(c).1, &[&value, &row_id])?;
        Ok(())
    }

    fn mac_unmacced_secret_rows(
        &self,
        password_mac: &mut dyn FnMut(&PasswordRow) -> String,
        bitlocker_mac: &mut dyn FnMut(&BitLockerRow) -> String,
    ) -> Result<usize> {
        let passwords = self.rows(UNMACCED_PASSWORDS, &[], super::data_plane::map_password)?;
        let bitlocker = self.rows(UNMACCED_BITLOCKER_KEYS, &[], super::data_plane::map_bitlocker)?;
        for p in &passwords {
            self.exec(SET_PASSWORD_ROW_MAC, &[&password_mac(p), &p.id])?;
        }
        for k in &bitlocker {
            self.exec(SET_BITLOCKER_ROW_MAC, &[&bitlocker_mac(k), &k.id])?;
        }
        Ok(passwords.len() + bitlocker.len())
    }

    fn insert_instance_secret(&self, purpose: &str, sealed: &[u8], at: &str) -> Result<()> {
        self.exec(INSERT_INSTANCE_SECRET, &[&purpose, &sealed, &at])?;
        Ok(())
    }

    fn rekey_plain_lookup_hashes(
        &self,
        kind: LookupKind,
        rekey: &mut dyn FnMut(&str, &str) -> Option<String>,
    ) -> Result<usize> {
        let (select, update) = lookup_sql(kind);
        let rows = self.rows(select, &[], |r| Ok((r.s()?, r.s()?)))?;
        let mut changed = 0;
        for (id, hash) in &rows {
            let plain = hash.strip_prefix("plain:").unwrap_or(hash);
            if let Some(new) = rekey(id, plain) {
                self.exec(update, &[&new, id])?;
                changed += 1;
            }
        }
        Ok(changed)
    }
}

/// The statements that read the rows of a lookup hash column still marked `plain:`, and replace
/// one row's hash.
fn lookup_sql(kind: LookupKind) -> (Sql, Sql) {
    match kind {
        LookupKind::RegistrationKey => (PLAIN_REG_KEY_HASHES, SET_REG_KEY_HASH),
        LookupKind::DeviceCredential => (PLAIN_CREDENTIAL_HASHES, SET_CREDENTIAL_HASH),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_column_statements_name_the_store_columns() {
        for c in SealedColumn::ALL {
            let (read, update) = sealed_sql(c);
            for q in [read, update] {
                for name in [c.table(), c.id_column(), c.column()] {
                    assert!(q.text().contains(&format!("[{name}]")), "{c:?}: {}", q.text());
                }
            }
        }
    }
}
