//! SQL for certificates, devices, groups, registration keys, passwords and BitLocker keys.

use rusqlite::{OptionalExtension, Row, params};

use super::SqliteTx;
use crate::error::Result;
use crate::store::{BitLockerRow, CertRow, DataPlaneRead, DataPlaneWrite, DeviceRow, GroupRow, PasswordRow, RegKeyRow};

const CERT_COLS: &str = "thumbprint, subject, not_before, not_after, key_bits, state, der, sealed_private_key, source, created_at, activated_at";
const DEVICE_COLS: &str = "id, name, dns_name, authority_type, authority_id, authority_device_id, sid, os_type, os_family, os_version, agent_version, approval_state, disabled, registration_key_id, credential_hash, created_at, modified_at";
const GROUP_COLS: &str = "id, name, sid, description, created_at, modified_at";
const REGKEY_COLS: &str = "id, name, key_hash, sealed_key, activation_limit, activation_count, enabled, approval_required, created_at, modified_at";
pub(super) const PASSWORD_COLS: &str =
    "id, device_id, account_name, blob, cert_thumbprint, created_at, expires_at, retired_at, row_mac";
pub(super) const BITLOCKER_COLS: &str =
    "id, device_id, key_id, volume_id, volume_type, blob, cert_thumbprint, created_at, row_mac";

fn map_cert(r: &Row<'_>) -> rusqlite::Result<CertRow> {
    Ok(CertRow {
        thumbprint: r.get(0)?,
        subject: r.get(1)?,
        not_before: r.get(2)?,
        not_after: r.get(3)?,
        key_bits: r.get(4)?,
        state: r.get(5)?,
        der: r.get(6)?,
        sealed_private_key: r.get(7)?,
        source: r.get(8)?,
        created_at: r.get(9)?,
        activated_at: r.get(10)?,
    })
}

fn map_device(r: &Row<'_>) -> rusqlite::Result<DeviceRow> {
    Ok(DeviceRow {
        id: r.get(0)?,
        name: r.get(1)?,
        dns_name: r.get(2)?,
        authority_type: r.get(3)?,
        authority_id: r.get(4)?,
        authority_device_id: r.get(5)?,
        sid: r.get(6)?,
        os_type: r.get(7)?,
        os_family: r.get(8)?,
        os_version: r.get(9)?,
        agent_version: r.get(10)?,
        approval_state: r.get(11)?,
        disabled: r.get(12)?,
        registration_key_id: r.get(13)?,
        credential_hash: r.get(14)?,
        created_at: r.get(15)?,
        modified_at: r.get(16)?,
    })
}

fn map_group(r: &Row<'_>) -> rusqlite::Result<GroupRow> {
    Ok(GroupRow {
        id: r.get(0)?,
        name: r.get(1)?,
        sid: r.get(2)?,
        description: r.get(3)?,
        created_at: r.get(4)?,
        modified_at: r.get(5)?,
    })
}

fn map_regkey(r: &Row<'_>) -> rusqlite::Result<RegKeyRow> {
    Ok(RegKeyRow {
        id: r.get(0)?,
        name: r.get(1)?,
        key_hash: r.get(2)?,
        sealed_key: r.get(3)?,
        activation_limit: r.get(4)?,
        activation_count: r.get(5)?,
        enabled: r.get(6)?,
        approval_required: r.get(7)?,
        created_at: r.get(8)?,
        modified_at: r.get(9)?,
    })
}

pub(super) fn map_password(r: &Row<'_>) -> rusqlite::Result<PasswordRow> {
    Ok(PasswordRow {
        id: r.get(0)?,
        device_id: r.get(1)?,
        account_name: r.get(2)?,
        blob: r.get(3)?,
        cert_thumbprint: r.get(4)?,
        created_at: r.get(5)?,
        expires_at: r.get(6)?,
        retired_at: r.get(7)?,
        row_mac: r.get(8)?,
    })
}

pub(super) fn map_bitlocker(r: &Row<'_>) -> rusqlite::Result<BitLockerRow> {
    Ok(BitLockerRow {
        id: r.get(0)?,
        device_id: r.get(1)?,
        key_id: r.get(2)?,
        volume_id: r.get(3)?,
        volume_type: r.get(4)?,
        blob: r.get(5)?,
        cert_thumbprint: r.get(6)?,
        created_at: r.get(7)?,
        row_mac: r.get(8)?,
    })
}

impl SqliteTx<'_> {
    fn rows<T>(&self, sql: &str, p: impl rusqlite::Params, f: fn(&Row<'_>) -> rusqlite::Result<T>) -> Result<Vec<T>> {
        let mut stmt = self.tx.prepare_cached(sql)?;
        let rows = stmt.query_map(p, f)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn one<T>(&self, sql: &str, p: impl rusqlite::Params, f: fn(&Row<'_>) -> rusqlite::Result<T>) -> Result<Option<T>> {
        let mut stmt = self.tx.prepare_cached(sql)?;
        Ok(stmt.query_row(p, f).optional()?)
    }

    fn exec(&self, sql: &str, p: impl rusqlite::Params) -> Result<usize> {
        let mut stmt = self.tx.prepare_cached(sql)?;
        Ok(stmt.execute(p)?)
    }
}

impl DataPlaneRead for SqliteTx<'_> {
    // ---- certificates ----

    fn certs(&self) -> Result<Vec<CertRow>> {
        self.rows(&format!("SELECT {CERT_COLS} FROM certificates ORDER BY created_at DESC, thumbprint"), [], map_cert)
    }

    fn cert(&self, thumbprint: &str) -> Result<Option<CertRow>> {
        self.one(&format!("SELECT {CERT_COLS} FROM certificates WHERE thumbprint = ?1"), [thumbprint], map_cert)
    }

    fn active_cert(&self) -> Result<Option<CertRow>> {
        self.one(&format!("SELECT {CERT_COLS} FROM certificates WHERE state = 'active'"), [], map_cert)
    }

    // ---- devices ----

    fn devices(&self, id: Option<&str>, name: Option<&str>, approval_state: Option<&str>) -> Result<Vec<DeviceRow>> {
        let mut rows: Vec<DeviceRow> = match (id, name) {
            (Some(id), _) => self.device(id)?.into_iter().collect(),
            (None, Some(n)) => self.rows(
                &format!("SELECT {DEVICE_COLS} FROM devices WHERE name = ?1 OR dns_name = ?1 ORDER BY name, id"),
                [n],
                map_device,
            )?,
            (None, None) => {
                self.rows(&format!("SELECT {DEVICE_COLS} FROM devices ORDER BY name, id"), [], map_device)?
            }
        };
        if let (Some(_), Some(n)) = (id, name) {
            rows.retain(|d| {
                d.name.eq_ignore_ascii_case(n) || d.dns_name.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(n))
            });
        }
        if let Some(s) = approval_state {
            rows.retain(|d| d.approval_state.eq_ignore_ascii_case(s));
        }
        Ok(rows)
    }

    fn devices_page(&self, after: Option<(&str, &str)>, limit: usize) -> Result<Vec<DeviceRow>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        match after {
            None => self.rows(&format!("SELECT {DEVICE_COLS} FROM devices ORDER BY name, id LIMIT ?1"), [limit], map_device),
            // `name >= ?1` bounds the index range; the OR picks up after the cursor (NOCASE, as the
            // column sorts).
            Some((name, id)) => self.rows(
                &format!(
                    "SELECT {DEVICE_COLS} FROM devices WHERE name >= ?1 AND (name > ?1 OR id > ?2) ORDER BY name, id LIMIT ?3"
                ),
                params![name, id, limit],
                map_device,
            ),
        }
    }

    fn device(&self, id: &str) -> Result<Option<DeviceRow>> {
        self.one(&format!("SELECT {DEVICE_COLS} FROM devices WHERE id = ?1"), [id], map_device)
    }

    fn device_by_authority(
        &self,
        authority_type: &str,
        authority_id: &str,
        authority_device_id: &str,
    ) -> Result<Option<DeviceRow>> {
        self.one(
            &format!("SELECT {DEVICE_COLS} FROM devices WHERE authority_type = ?1 AND authority_id = ?2 COLLATE NOCASE AND authority_device_id = ?3 COLLATE NOCASE"),
            params![authority_type, authority_id, authority_device_id],
            map_device,
        )
    }

    // ---- groups ----

    fn groups(&self, id: Option<&str>, name: Option<&str>, sid: Option<&str>) -> Result<Vec<GroupRow>> {
        self.rows(
            &format!(
                "SELECT {GROUP_COLS} FROM device_groups
                 WHERE (?1 IS NULL OR id = ?1) AND (?2 IS NULL OR name = ?2) AND (?3 IS NULL OR sid = ?3 COLLATE NOCASE)
                 ORDER BY name"
            ),
            params![id, name, sid],
            map_group,
        )
    }

    fn group_members(&self, group_id: &str) -> Result<Vec<DeviceRow>> {
        self.rows(
            &format!(
                "SELECT {} FROM devices d JOIN device_group_members m ON m.device_id = d.id WHERE m.group_id = ?1 ORDER BY d.name, d.id",
                DEVICE_COLS.split(", ").map(|c| format!("d.{c}")).collect::<Vec<_>>().join(", ")
            ),
            [group_id],
            map_device,
        )
    }

    fn device_group_ids(&self, device_id: &str) -> Result<Vec<String>> {
        self.rows(
            "SELECT group_id FROM device_group_members WHERE device_id = ?1 ORDER BY group_id",
            [device_id],
            |r| r.get(0),
        )
    }

    fn group_usage(&self, group_id: &str) -> Result<(i64, i64)> {
        let members =
            self.tx
                .query_row("SELECT COUNT(*) FROM device_group_members WHERE group_id = ?1", [group_id], |r| r.get(0))?;
        let keys =
            self.tx.query_row("SELECT COUNT(*) FROM registration_key_groups WHERE group_id = ?1", [group_id], |r| {
                r.get(0)
            })?;
        Ok((members, keys))
    }

    // ---- registration keys ----

    fn reg_keys(&self, id: Option<&str>, name: Option<&str>, key_hash: Option<&str>) -> Result<Vec<RegKeyRow>> {
        self.rows(
            &format!(
                "SELECT {REGKEY_COLS} FROM registration_keys
                 WHERE (?1 IS NULL OR id = ?1) AND (?2 IS NULL OR name = ?2) AND (?3 IS NULL OR key_hash = ?3)
                 ORDER BY name"
            ),
            params![id, name, key_hash],
            map_regkey,
        )
    }

    fn reg_key_group_ids(&self, key_id: &str) -> Result<Vec<String>> {
        self.rows(
            "SELECT group_id FROM registration_key_groups WHERE registration_key_id = ?1 ORDER BY group_id",
            [key_id],
            |r| r.get(0),
        )
    }

    // ---- passwords ----

    fn current_password(&self, device_id: &str) -> Result<Option<PasswordRow>> {
        self.one(
            &format!("SELECT {PASSWORD_COLS} FROM device_passwords WHERE device_id = ?1 AND retired_at IS NULL"),
            [device_id],
            map_password,
        )
    }

    fn passwords(&self, device_id: &str) -> Result<Vec<PasswordRow>> {
        self.rows(
            &format!(
                "SELECT {PASSWORD_COLS} FROM device_passwords WHERE device_id = ?1 ORDER BY created_at DESC, id DESC"
            ),
            [device_id],
            map_password,
        )
    }

    fn device_secret_counts(&self, device_id: &str) -> Result<(i64, i64)> {
        let p = self
            .tx
            .query_row("SELECT COUNT(*) FROM device_passwords WHERE device_id = ?1", [device_id], |r| r.get(0))?;
        let b =
            self.tx.query_row("SELECT COUNT(*) FROM bitlocker_keys WHERE device_id = ?1", [device_id], |r| r.get(0))?;
        Ok((p, b))
    }

    // ---- BitLocker ----

    fn bitlocker_keys(&self, device_id: &str) -> Result<Vec<BitLockerRow>> {
        self.rows(
            &format!(
                "SELECT {BITLOCKER_COLS} FROM bitlocker_keys WHERE device_id = ?1 ORDER BY created_at DESC, id DESC"
            ),
            [device_id],
            map_bitlocker,
        )
    }
}

impl DataPlaneWrite for SqliteTx<'_> {
    fn insert_cert(&self, c: &CertRow) -> Result<()> {
        self.exec(
            &format!("INSERT INTO certificates ({CERT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"),
            params![
                c.thumbprint,
                c.subject,
                c.not_before,
                c.not_after,
                c.key_bits,
                c.state,
                c.der,
                c.sealed_private_key,
                c.source,
                c.created_at,
                c.activated_at
            ],
        )?;
        Ok(())
    }

    fn activate_cert(&self, thumbprint: &str, at: &str) -> Result<()> {
        // The state check is in the SQL too: a revoked certificate never becomes active, whatever
        // the service above checked.
        let usable: bool = self.tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM certificates WHERE thumbprint = ?1 AND state != 'revoked')",
            [thumbprint],
            |r| r.get(0),
        )?;
        if !usable {
            return Err(crate::error::Error::new(
                crate::error::ErrorCode::CertNotUsable,
                "The certificate cannot be made active: it is revoked (or not in the database).",
            )
            .with("thumbprint", thumbprint));
        }
        self.exec("UPDATE certificates SET state = 'retained' WHERE state = 'active'", [])?;
        self.exec(
            "UPDATE certificates SET state = 'active', activated_at = ?2 WHERE thumbprint = ?1 AND state != 'revoked'",
            params![thumbprint, at],
        )?;
        Ok(())
    }

    fn set_cert_state(&self, thumbprint: &str, state: &str) -> Result<()> {
        // Revocation is final: no state change brings a revoked certificate back.
        self.exec(
            "UPDATE certificates SET state = ?2 WHERE thumbprint = ?1 AND (state != 'revoked' OR ?2 = 'revoked')",
            params![thumbprint, state],
        )?;
        Ok(())
    }

    fn delete_cert_private_key(&self, thumbprint: &str) -> Result<usize> {
        self.exec("UPDATE certificates SET sealed_private_key = NULL WHERE thumbprint = ?1", [thumbprint])
    }

    fn insert_device(&self, d: &DeviceRow) -> Result<()> {
        self.exec(
            &format!("INSERT INTO devices ({DEVICE_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"),
            params![
                d.id, d.name, d.dns_name, d.authority_type, d.authority_id, d.authority_device_id, d.sid, d.os_type, d.os_family,
                d.os_version, d.agent_version, d.approval_state, d.disabled, d.registration_key_id, d.credential_hash, d.created_at, d.modified_at
            ],
        )?;
        Ok(())
    }

    fn update_device_state(&self, id: &str, approval_state: &str, disabled: bool, at: &str) -> Result<()> {
        self.exec(
            "UPDATE devices SET approval_state = ?2, disabled = ?3, modified_at = ?4 WHERE id = ?1",
            params![id, approval_state, disabled, at],
        )?;
        Ok(())
    }

    fn delete_device(&self, id: &str) -> Result<usize> {
        self.exec("DELETE FROM devices WHERE id = ?1", [id])
    }

    fn insert_group(&self, g: &GroupRow) -> Result<()> {
        self.exec(
            &format!("INSERT INTO device_groups ({GROUP_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
            params![g.id, g.name, g.sid, g.description, g.created_at, g.modified_at],
        )?;
        Ok(())
    }

    fn update_group(&self, g: &GroupRow) -> Result<()> {
        self.exec(
            "UPDATE device_groups SET name = ?2, description = ?3, modified_at = ?4 WHERE id = ?1",
            params![g.id, g.name, g.description, g.modified_at],
        )?;
        Ok(())
    }

    fn delete_group(&self, id: &str) -> Result<usize> {
        self.exec("DELETE FROM device_groups WHERE id = ?1", [id])
    }

    fn add_group_member(&self, group_id: &str, device_id: &str, at: &str) -> Result<bool> {
        Ok(self.exec(
            "INSERT INTO device_group_members (group_id, device_id, added_at) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            params![group_id, device_id, at],
        )? == 1)
    }

    fn remove_group_member(&self, group_id: &str, device_id: &str) -> Result<bool> {
        Ok(self.exec(
            "DELETE FROM device_group_members WHERE group_id = ?1 AND device_id = ?2",
            params![group_id, device_id],
        )? == 1)
    }

    fn clear_group_members(&self, group_id: &str) -> Result<usize> {
        self.exec("DELETE FROM device_group_members WHERE group_id = ?1", [group_id])
    }

    fn insert_reg_key(&self, k: &RegKeyRow) -> Result<()> {
        self.exec(
            &format!("INSERT INTO registration_keys ({REGKEY_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
            params![
                k.id,
                k.name,
                k.key_hash,
                k.sealed_key,
                k.activation_limit,
                k.activation_count,
                k.enabled,
                k.approval_required,
                k.created_at,
                k.modified_at
            ],
        )?;
        Ok(())
    }

    fn update_reg_key(&self, k: &RegKeyRow) -> Result<()> {
        self.exec(
            "UPDATE registration_keys SET name = ?2, activation_limit = ?3, activation_count = ?4, enabled = ?5, approval_required = ?6, modified_at = ?7 WHERE id = ?1",
            params![k.id, k.name, k.activation_limit, k.activation_count, k.enabled, k.approval_required, k.modified_at],
        )?;
        Ok(())
    }

    fn delete_reg_key(&self, id: &str) -> Result<usize> {
        self.exec("DELETE FROM registration_keys WHERE id = ?1", [id])
    }

    fn add_reg_key_group(&self, key_id: &str, group_id: &str) -> Result<bool> {
        Ok(self.exec(
            "INSERT INTO registration_key_groups (registration_key_id, group_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            params![key_id, group_id],
        )? == 1)
    }

    fn remove_reg_key_group(&self, key_id: &str, group_id: &str) -> Result<bool> {
        Ok(self.exec(
            "DELETE FROM registration_key_groups WHERE registration_key_id = ?1 AND group_id = ?2",
            params![key_id, group_id],
        )? == 1)
    }

    fn retire_current_password(&self, device_id: &str, at: &str) -> Result<usize> {
        self.exec(
            "UPDATE device_passwords SET retired_at = ?2 WHERE device_id = ?1 AND retired_at IS NULL",
            params![device_id, at],
        )
    }

    fn insert_password(&self, p: &PasswordRow) -> Result<()> {
        self.exec(
            &format!("INSERT INTO device_passwords ({PASSWORD_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
            params![
                p.id,
                p.device_id,
                p.account_name,
                p.blob,
                p.cert_thumbprint,
                p.created_at,
                p.expires_at,
                p.retired_at,
                p.row_mac
            ],
        )?;
        Ok(())
    }

    fn set_current_password_expiry(&self, device_id: &str, expires_at: &str) -> Result<usize> {
        self.exec(
            "UPDATE device_passwords SET expires_at = ?2 WHERE device_id = ?1 AND retired_at IS NULL",
            params![device_id, expires_at],
        )
    }

    fn delete_passwords(&self, ids: &[String]) -> Result<usize> {
        let mut n = 0;
        for id in ids {
            n += self.exec("DELETE FROM device_passwords WHERE id = ?1", [id])?;
        }
        Ok(n)
    }

    fn upsert_bitlocker_key(&self, k: &BitLockerRow) -> Result<()> {
        self.exec(
            &format!(
                "INSERT INTO bitlocker_keys ({BITLOCKER_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (device_id, key_id) DO UPDATE SET volume_id = excluded.volume_id, volume_type = excluded.volume_type,
                   blob = excluded.blob, cert_thumbprint = excluded.cert_thumbprint, created_at = excluded.created_at,
                   row_mac = excluded.row_mac"
            ),
            params![
                k.id,
                k.device_id,
                k.key_id,
                k.volume_id,
                k.volume_type,
                k.blob,
                k.cert_thumbprint,
                k.created_at,
                k.row_mac
            ],
        )?;
        Ok(())
    }
}
