//! SQL for the foundation tables.

use rusqlite::{OptionalExtension, params};

use super::SqliteTx;
use crate::error::Result;
use crate::store::{
    AuditFilter, AuditRow, BitLockerRow, FoundationRead, FoundationWrite, InstanceRow, LookupKind, MasterKeyRow,
    PasswordRow, ProtectorRow, SealedColumn,
};

impl FoundationRead for SqliteTx<'_> {
    fn instance(&self) -> Result<Option<InstanceRow>> {
        Ok(self
            .tx
            .query_row("SELECT id, created_at FROM instance", [], |r| {
                Ok(InstanceRow { id: r.get(0)?, created_at: r.get(1)? })
            })
            .optional()?)
    }

    fn active_master_key(&self) -> Result<Option<MasterKeyRow>> {
        Ok(self
            .tx
            .query_row(
                "SELECT id, state, created_at, retired_at FROM master_keys WHERE state = 'active'",
                [],
                map_master_key,
            )
            .optional()?)
    }

    fn master_keys(&self) -> Result<Vec<MasterKeyRow>> {
        let mut stmt = self
            .tx
            .prepare("SELECT id, state, created_at, retired_at FROM master_keys ORDER BY created_at DESC, id")?;
        let rows = stmt.query_map([], map_master_key)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn protectors(&self, master_key_id: &str) -> Result<Vec<ProtectorRow>> {
        let mut stmt = self.tx.prepare(
            "SELECT id, master_key_id, kind, params, wrapped_key, created_at FROM key_protectors
             WHERE master_key_id = ?1 ORDER BY kind, created_at, id",
        )?;
        let rows = stmt.query_map(params![master_key_id], |r| {
            Ok(ProtectorRow {
                id: r.get(0)?,
                master_key_id: r.get(1)?,
                kind: r.get(2)?,
                params: r.get(3)?,
                wrapped_key: r.get(4)?,
                created_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .tx
            .query_row("SELECT value FROM service_settings WHERE key = ?1", params![key], |r| r.get(0))
            .optional()?)
    }

    fn settings(&self) -> Result<Vec<(String, String)>> {
        let mut stmt = self.tx.prepare("SELECT key, value FROM service_settings ORDER BY key")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn last_audit(&self) -> Result<Option<AuditRow>> {
        Ok(self.tx.query_row(&format!("{AUDIT_SELECT} ORDER BY seq DESC LIMIT 1"), [], map_audit).optional()?)
    }

    fn audit(&self, target_id: Option<&str>, limit: u32) -> Result<Vec<AuditRow>> {
        let mut stmt = self
            .tx
            .prepare(&format!("{AUDIT_SELECT} WHERE (?1 IS NULL OR target_id = ?1) ORDER BY seq DESC LIMIT ?2"))?;
        let rows = stmt.query_map(params![target_id, limit], map_audit)?;
        let mut out: Vec<AuditRow> = rows.collect::<rusqlite::Result<_>>()?;
        out.reverse();
        Ok(out)
    }

    fn audit_filtered(&self, f: &AuditFilter<'_>) -> Result<Vec<AuditRow>> {
        let mut stmt = self.tx.prepare(&format!(
            "{AUDIT_SELECT} WHERE (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR at < ?2) AND (?3 IS NULL OR target_id = ?3)
               AND (?4 IS NULL OR actor = ?4) AND (?5 IS NULL OR event = ?5 OR event LIKE ?5 || '.%')
             ORDER BY seq DESC LIMIT ?6"
        ))?;
        let rows = stmt.query_map(params![f.since, f.until, f.target_id, f.actor, f.event, f.limit], map_audit)?;
        let mut out: Vec<AuditRow> = rows.collect::<rusqlite::Result<_>>()?;
        out.reverse();
        Ok(out)
    }

    fn for_each_audit(&self, f: &mut dyn FnMut(AuditRow) -> Result<()>) -> Result<()> {
        let mut stmt = self.tx.prepare(&format!("{AUDIT_SELECT} ORDER BY seq"))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            f(map_audit(r)?)?;
        }
        Ok(())
    }

    fn sealed_values(&self, c: SealedColumn) -> Result<Vec<(String, Vec<u8>)>> {
        let (table, id_col, col) = (c.table(), c.id_column(), c.column());
        let mut stmt =
            self.tx.prepare(&format!("SELECT \"{id_col}\", \"{col}\" FROM \"{table}\" WHERE \"{col}\" IS NOT NULL"))?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn unkeyed_rows(&self) -> Result<(i64, i64)> {
        Ok(self.tx.query_row(
            "SELECT (SELECT COUNT(*) FROM registration_keys WHERE key_hash LIKE 'plain:%')
                  + (SELECT COUNT(*) FROM devices WHERE credential_hash LIKE 'plain:%'),
                    (SELECT COUNT(*) FROM device_passwords WHERE row_mac IS NULL)
                  + (SELECT COUNT(*) FROM bitlocker_keys WHERE row_mac IS NULL)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    fn instance_secret(&self, purpose: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .tx
            .query_row("SELECT sealed_secret FROM instance_secrets WHERE purpose = ?1", [purpose], |r| r.get(0))
            .optional()?)
    }
}

impl FoundationWrite for SqliteTx<'_> {
    fn insert_instance(&self, row: &InstanceRow) -> Result<()> {
        self.tx.execute("INSERT INTO instance (id, created_at) VALUES (?1, ?2)", params![row.id, row.created_at])?;
        Ok(())
    }

    fn insert_master_key(&self, row: &MasterKeyRow) -> Result<()> {
        self.tx.execute(
            "INSERT INTO master_keys (id, state, created_at, retired_at) VALUES (?1, ?2, ?3, ?4)",
            params![row.id, row.state, row.created_at, row.retired_at],
        )?;
        Ok(())
    }

    fn retire_master_key(&self, id: &str, at: &str) -> Result<()> {
        self.tx.execute("DELETE FROM key_protectors WHERE master_key_id = ?1", params![id])?;
        self.tx.execute("UPDATE master_keys SET state = 'retired', retired_at = ?2 WHERE id = ?1", params![id, at])?;
        Ok(())
    }

    fn insert_protector(&self, row: &ProtectorRow) -> Result<()> {
        self.tx.execute(
            "INSERT INTO key_protectors (id, master_key_id, kind, params, wrapped_key, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![row.id, row.master_key_id, row.kind, row.params, row.wrapped_key, row.created_at],
        )?;
        Ok(())
    }

    fn delete_protectors(&self, master_key_id: &str, kind: &str) -> Result<usize> {
        Ok(self.tx.execute(
            "DELETE FROM key_protectors WHERE master_key_id = ?1 AND kind = ?2",
            params![master_key_id, kind],
        )?)
    }

    fn delete_protector(&self, id: &str) -> Result<usize> {
        Ok(self.tx.execute("DELETE FROM key_protectors WHERE id = ?1", params![id])?)
    }

    fn put_setting(&self, key: &str, value: &str, at: &str) -> Result<()> {
        self.tx.execute(
            "INSERT INTO service_settings (key, value, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            params![key, value, at],
        )?;
        Ok(())
    }

    fn insert_audit(&self, row: &AuditRow) -> Result<()> {
        self.tx.execute(
            "INSERT INTO audit_log (id, at, actor, event, outcome, target_type, target_id, details, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                row.id,
                row.at,
                row.actor,
                row.event,
                row.outcome,
                row.target_type,
                row.target_id,
                row.details,
                row.prev_hash,
                row.hash
            ],
        )?;
        Ok(())
    }

    fn update_sealed(&self, c: SealedColumn, row_id: &str, value: &[u8]) -> Result<()> {
        let (table, id_col, col) = (c.table(), c.id_column(), c.column());
        self.tx.execute(
            &format!("UPDATE \"{table}\" SET \"{col}\" = ?1 WHERE \"{id_col}\" = ?2"),
            params![value, row_id],
        )?;
        Ok(())
    }

    fn mac_unmacced_secret_rows(
        &self,
        password_mac: &mut dyn FnMut(&PasswordRow) -> String,
        bitlocker_mac: &mut dyn FnMut(&BitLockerRow) -> String,
    ) -> Result<usize> {
        let passwords: Vec<PasswordRow> = {
            let mut stmt = self.tx.prepare(&format!(
                "SELECT {} FROM device_passwords WHERE row_mac IS NULL ORDER BY id",
                super::data_plane::PASSWORD_COLS
            ))?;
            let rows = stmt.query_map([], super::data_plane::map_password)?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let bitlocker: Vec<BitLockerRow> = {
            let mut stmt = self.tx.prepare(&format!(
                "SELECT {} FROM bitlocker_keys WHERE row_mac IS NULL ORDER BY id",
                super::data_plane::BITLOCKER_COLS
            ))?;
            let rows = stmt.query_map([], super::data_plane::map_bitlocker)?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for p in &passwords {
            self.tx
                .execute("UPDATE device_passwords SET row_mac = ?1 WHERE id = ?2", params![password_mac(p), p.id])?;
        }
        for k in &bitlocker {
            self.tx.execute("UPDATE bitlocker_keys SET row_mac = ?1 WHERE id = ?2", params![bitlocker_mac(k), k.id])?;
        }
        Ok(passwords.len() + bitlocker.len())
    }

    fn insert_instance_secret(&self, purpose: &str, sealed: &[u8], at: &str) -> Result<()> {
        self.tx.execute(
            "INSERT INTO instance_secrets (purpose, sealed_secret, created_at) VALUES (?1, ?2, ?3)",
            params![purpose, sealed, at],
        )?;
        Ok(())
    }

    fn rekey_plain_lookup_hashes(
        &self,
        kind: LookupKind,
        rekey: &mut dyn FnMut(&str, &str) -> Option<String>,
    ) -> Result<usize> {
        let (table, col) = match kind {
            LookupKind::RegistrationKey => ("registration_keys", "key_hash"),
            LookupKind::DeviceCredential => ("devices", "credential_hash"),
        };
        let rows: Vec<(String, String)> = {
            let mut stmt =
                self.tx.prepare(&format!("SELECT id, {col} FROM {table} WHERE {col} LIKE 'plain:%' ORDER BY id"))?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut changed = 0;
        for (id, hash) in &rows {
            let plain = hash.strip_prefix("plain:").unwrap_or(hash);
            if let Some(new) = rekey(id, plain) {
                self.tx.execute(&format!("UPDATE {table} SET {col} = ?1 WHERE id = ?2"), params![new, id])?;
                changed += 1;
            }
        }
        Ok(changed)
    }
}

const AUDIT_SELECT: &str =
    "SELECT seq, id, at, actor, event, outcome, target_type, target_id, details, prev_hash, hash FROM audit_log";

fn map_audit(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        seq: r.get(0)?,
        id: r.get(1)?,
        at: r.get(2)?,
        actor: r.get(3)?,
        event: r.get(4)?,
        outcome: r.get(5)?,
        target_type: r.get(6)?,
        target_id: r.get(7)?,
        details: r.get(8)?,
        prev_hash: r.get(9)?,
        hash: r.get(10)?,
    })
}

fn map_master_key(r: &rusqlite::Row<'_>) -> rusqlite::Result<MasterKeyRow> {
    Ok(MasterKeyRow { id: r.get(0)?, state: r.get(1)?, created_at: r.get(2)?, retired_at: r.get(3)? })
}
