//! T-SQL for certificates, devices, groups, registration keys, passwords and BitLocker keys.

use super::{Cols, MssqlTx, statements};
use crate::error::Result;
use crate::store::{BitLockerRow, CertRow, DataPlaneRead, DataPlaneWrite, DeviceRow, GroupRow, PasswordRow, RegKeyRow};

macro_rules! cert_cols {
    () => {
        "thumbprint, subject, not_before, not_after, key_bits, state, der, sealed_private_key, source, created_at, activated_at"
    };
}
macro_rules! device_cols {
    () => {
        "id, name, dns_name, authority_type, authority_id, authority_device_id, sid, os_type, os_family, os_version, agent_version, approval_state, disabled, registration_key_id, credential_hash, created_at, modified_at"
    };
}
macro_rules! device_cols_d {
    () => {
        "d.id, d.name, d.dns_name, d.authority_type, d.authority_id, d.authority_device_id, d.sid, d.os_type, d.os_family, d.os_version, d.agent_version, d.approval_state, d.disabled, d.registration_key_id, d.credential_hash, d.created_at, d.modified_at"
    };
}
macro_rules! group_cols {
    () => {
        "id, name, sid, description, created_at, modified_at"
    };
}
macro_rules! regkey_cols {
    () => {
        "id, name, key_hash, sealed_key, activation_limit, activation_count, enabled, approval_required, created_at, modified_at"
    };
}
macro_rules! password_cols {
    () => {
        "id, device_id, account_name, blob, cert_thumbprint, created_at, expires_at, retired_at, row_mac"
    };
}
pub(super) use password_cols;
macro_rules! bitlocker_cols {
    () => {
        "id, device_id, key_id, volume_id, volume_type, blob, cert_thumbprint, created_at, row_mac"
    };
}
pub(super) use bitlocker_cols;

statements! {
    CERTS = concat!("SELECT ", cert_cols!(), " FROM certificates ORDER BY created_at DESC, thumbprint");
    CERT = concat!("SELECT ", cert_cols!(), " FROM certificates WHERE thumbprint = @P1");
    ACTIVE_CERT = concat!("SELECT ", cert_cols!(), " FROM certificates WHERE state = 'active'");
    /// `name` and `dns_name` are case-insensitive columns (SQLite: COLLATE NOCASE). Names sort as
    /// SQLite's NOCASE sorts them: lower-cased, then by code point (not linguistically).
    DEVICES_BY_NAME = concat!("SELECT ", device_cols!(), " FROM devices WHERE name = @P1 OR dns_name = @P1 ORDER BY LOWER(name) COLLATE Latin1_General_100_BIN2, id");
    DEVICES = concat!("SELECT ", device_cols!(), " FROM devices ORDER BY LOWER(name) COLLATE Latin1_General_100_BIN2, id");
    /// Pages of [`DEVICES`]: the first, then the ones after a (name, id) cursor, in the same order.
    DEVICES_FIRST_PAGE = concat!("SELECT TOP (@P1) ", device_cols!(), " FROM devices ORDER BY LOWER(name) COLLATE Latin1_General_100_BIN2, id");
    DEVICES_PAGE_AFTER = concat!("SELECT TOP (@P3) ", device_cols!(), " FROM devices
        WHERE LOWER(name) COLLATE Latin1_General_100_BIN2 > LOWER(@P1) COLLATE Latin1_General_100_BIN2
           OR (LOWER(name) COLLATE Latin1_General_100_BIN2 = LOWER(@P1) COLLATE Latin1_General_100_BIN2 AND id > @P2)
        ORDER BY LOWER(name) COLLATE Latin1_General_100_BIN2, id");
    DEVICE = concat!("SELECT ", device_cols!(), " FROM devices WHERE id = @P1");
    DEVICE_BY_AUTHORITY = concat!("SELECT ", device_cols!(), " FROM devices WHERE authority_type = @P1
        AND authority_id = @P2 COLLATE Latin1_General_CI_AS AND authority_device_id = @P3 COLLATE Latin1_General_CI_AS");
    GROUPS = concat!("SELECT ", group_cols!(), " FROM device_groups
        WHERE (@P1 IS NULL OR id = @P1) AND (@P2 IS NULL OR name = @P2) AND (@P3 IS NULL OR sid = @P3 COLLATE Latin1_General_CI_AS)
        ORDER BY LOWER(name) COLLATE Latin1_General_100_BIN2");
    GROUP_MEMBERS = concat!("SELECT ", device_cols_d!(), " FROM devices d JOIN device_group_members m ON m.device_id = d.id
        WHERE m.group_id = @P1 ORDER BY LOWER(d.name) COLLATE Latin1_General_100_BIN2, d.id");
    DEVICE_GROUP_IDS = "SELECT group_id FROM device_group_members WHERE device_id = @P1 ORDER BY group_id";
    GROUP_USAGE = "SELECT (SELECT COUNT_BIG(*) FROM device_group_members WHERE group_id = @P1),
                          (SELECT COUNT_BIG(*) FROM registration_key_groups WHERE group_id = @P1)";
    REG_KEYS = concat!("SELECT ", regkey_cols!(), " FROM registration_keys
        WHERE (@P1 IS NULL OR id = @P1) AND (@P2 IS NULL OR name = @P2) AND (@P3 IS NULL OR key_hash = @P3)
        ORDER BY LOWER(name) COLLATE Latin1_General_100_BIN2");
    REG_KEY_GROUP_IDS = "SELECT group_id FROM registration_key_groups WHERE registration_key_id = @P1 ORDER BY group_id";
    CURRENT_PASSWORD = concat!("SELECT ", password_cols!(), " FROM device_passwords WHERE device_id = @P1 AND retired_at IS NULL");
    PASSWORDS = concat!("SELECT ", password_cols!(), " FROM device_passwords WHERE device_id = @P1 ORDER BY created_at DESC, id DESC");
    DEVICE_SECRET_COUNTS = "SELECT (SELECT COUNT_BIG(*) FROM device_passwords WHERE device_id = @P1),
                                   (SELECT COUNT_BIG(*) FROM bitlocker_keys WHERE device_id = @P1)";
    BITLOCKER_KEYS = concat!("SELECT ", bitlocker_cols!(), " FROM bitlocker_keys WHERE device_id = @P1 ORDER BY created_at DESC, id DESC");

    INSERT_CERT = concat!("INSERT INTO certificates (", cert_cols!(), ") VALUES (@P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9, @P10, @P11)");
    /// One active certificate: the old one is demoted and the new one promoted in one batch,
    /// in a transaction that holds the writers' lock (and the filtered unique index
    /// certificates_one_active refuses a second active row whatever happens).
    /// The state check is in the SQL too: a revoked certificate never becomes active, whatever
    /// the service above checked.
    USABLE_CERT = "SELECT COUNT_BIG(*) FROM certificates WHERE thumbprint = @P1 AND state <> 'revoked'";
    ACTIVATE_CERT = "UPDATE certificates SET state = 'retained' WHERE state = 'active';
                     UPDATE certificates SET state = 'active', activated_at = @P2 WHERE thumbprint = @P1 AND state <> 'revoked'";
    /// Revocation is final: no state change brings a revoked certificate back.
    SET_CERT_STATE = "UPDATE certificates SET state = @P2 WHERE thumbprint = @P1 AND (state <> 'revoked' OR @P2 = 'revoked')";
    DELETE_CERT_PRIVATE_KEY = "UPDATE certificates SET sealed_private_key = NULL WHERE thumbprint = @P1";
    INSERT_DEVICE = concat!("INSERT INTO devices (", device_cols!(), ") VALUES (@P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9, @P10, @P11, @P12, @P13, @P14, @P15, @P16, @P17)");
    UPDATE_DEVICE_STATE = "UPDATE devices SET approval_state = @P2, disabled = @P3, modified_at = @P4 WHERE id = @P1";
    DELETE_DEVICE = "DELETE FROM devices WHERE id = @P1";
    INSERT_GROUP = concat!("INSERT INTO device_groups (", group_cols!(), ") VALUES (@P1, @P2, @P3, @P4, @P5, @P6)");
    UPDATE_GROUP = "UPDATE device_groups SET name = @P2, description = @P3, modified_at = @P4 WHERE id = @P1";
    DELETE_GROUP = "DELETE FROM device_groups WHERE id = @P1";
    ADD_GROUP_MEMBER = "INSERT INTO device_group_members (group_id, device_id, added_at)
        SELECT @P1, @P2, @P3 WHERE NOT EXISTS (SELECT 1 FROM device_group_members WITH (UPDLOCK, HOLDLOCK)
                                               WHERE group_id = @P1 AND device_id = @P2)";
    REMOVE_GROUP_MEMBER = "DELETE FROM device_group_members WHERE group_id = @P1 AND device_id = @P2";
    CLEAR_GROUP_MEMBERS = "DELETE FROM device_group_members WHERE group_id = @P1";
    INSERT_REG_KEY = concat!("INSERT INTO registration_keys (", regkey_cols!(), ") VALUES (@P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9, @P10)");
    /// Activation counts: the service reads the key and writes the new count in one write
    /// transaction, which holds the writers' lock, so two hosts never both take the last
    /// activation.
    UPDATE_REG_KEY = "UPDATE registration_keys SET name = @P2, activation_limit = @P3, activation_count = @P4, enabled = @P5,
                      approval_required = @P6, modified_at = @P7 WHERE id = @P1";
    DELETE_REG_KEY = "DELETE FROM registration_keys WHERE id = @P1";
    ADD_REG_KEY_GROUP = "INSERT INTO registration_key_groups (registration_key_id, group_id)
        SELECT @P1, @P2 WHERE NOT EXISTS (SELECT 1 FROM registration_key_groups WITH (UPDLOCK, HOLDLOCK)
                                          WHERE registration_key_id = @P1 AND group_id = @P2)";
    REMOVE_REG_KEY_GROUP = "DELETE FROM registration_key_groups WHERE registration_key_id = @P1 AND group_id = @P2";
    /// The current-password switch: retire, then insert, in one write transaction (the
    /// filtered unique index device_passwords_one_current allows one current row).
    RETIRE_CURRENT_PASSWORD = "UPDATE device_passwords SET retired_at = @P2 WHERE device_id = @P1 AND retired_at IS NULL";
    INSERT_PASSWORD = concat!("INSERT INTO device_passwords (", password_cols!(), ") VALUES (@P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9)");
    SET_CURRENT_PASSWORD_EXPIRY = "UPDATE device_passwords SET expires_at = @P2 WHERE device_id = @P1 AND retired_at IS NULL";
    DELETE_PASSWORD = "DELETE FROM device_passwords WHERE id = @P1";
    UPSERT_BITLOCKER_KEY = concat!("UPDATE bitlocker_keys WITH (UPDLOCK, HOLDLOCK) SET volume_id = @P4, volume_type = @P5, blob = @P6,
                              cert_thumbprint = @P7, created_at = @P8, row_mac = @P9 WHERE device_id = @P2 AND key_id = @P3;
        IF @@ROWCOUNT = 0 INSERT INTO bitlocker_keys (", bitlocker_cols!(), ")
                          VALUES (@P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9)");
}

fn map_cert(r: &Cols<'_>) -> Result<CertRow> {
    Ok(CertRow {
        thumbprint: r.s()?,
        subject: r.s()?,
        not_before: r.s()?,
        not_after: r.s()?,
        key_bits: r.i()?,
        state: r.s()?,
        der: r.b()?,
        sealed_private_key: r.ob()?,
        source: r.s()?,
        created_at: r.s()?,
        activated_at: r.os()?,
    })
}

fn map_device(r: &Cols<'_>) -> Result<DeviceRow> {
    Ok(DeviceRow {
        id: r.s()?,
        name: r.s()?,
        dns_name: r.os()?,
        authority_type: r.s()?,
        authority_id: r.s()?,
        authority_device_id: r.s()?,
        sid: r.s()?,
        os_type: r.s()?,
        os_family: r.os()?,
        os_version: r.os()?,
        agent_version: r.os()?,
        approval_state: r.s()?,
        disabled: r.flag()?,
        registration_key_id: r.os()?,
        credential_hash: r.os()?,
        created_at: r.s()?,
        modified_at: r.s()?,
    })
}

fn map_group(r: &Cols<'_>) -> Result<GroupRow> {
    Ok(GroupRow { id: r.s()?, name: r.s()?, sid: r.s()?, description: r.s()?, created_at: r.s()?, modified_at: r.s()? })
}

fn map_regkey(r: &Cols<'_>) -> Result<RegKeyRow> {
    Ok(RegKeyRow {
        id: r.s()?,
        name: r.s()?,
        key_hash: r.s()?,
        sealed_key: r.b()?,
        activation_limit: r.i()?,
        activation_count: r.i()?,
        enabled: r.flag()?,
        approval_required: r.flag()?,
        created_at: r.s()?,
        modified_at: r.s()?,
    })
}

pub(super) fn map_password(r: &Cols<'_>) -> Result<PasswordRow> {
    Ok(PasswordRow {
        id: r.s()?,
        device_id: r.s()?,
        account_name: r.s()?,
        blob: r.b()?,
        cert_thumbprint: r.s()?,
        created_at: r.s()?,
        expires_at: r.os()?,
        retired_at: r.os()?,
        row_mac: r.os()?,
    })
}

pub(super) fn map_bitlocker(r: &Cols<'_>) -> Result<BitLockerRow> {
    Ok(BitLockerRow {
        id: r.s()?,
        device_id: r.s()?,
        key_id: r.s()?,
        volume_id: r.os()?,
        volume_type: r.os()?,
        blob: r.b()?,
        cert_thumbprint: r.s()?,
        created_at: r.s()?,
        row_mac: r.os()?,
    })
}

impl DataPlaneRead for MssqlTx<'_> {
    fn certs(&self) -> Result<Vec<CertRow>> {
        self.rows(CERTS, &[], map_cert)
    }

    fn cert(&self, thumbprint: &str) -> Result<Option<CertRow>> {
        self.one(CERT, &[&thumbprint], map_cert)
    }

    fn active_cert(&self) -> Result<Option<CertRow>> {
        self.one(ACTIVE_CERT, &[], map_cert)
    }

    fn devices(&self, id: Option<&str>, name: Option<&str>, approval_state: Option<&str>) -> Result<Vec<DeviceRow>> {
        let mut rows: Vec<DeviceRow> = match (id, name) {
            (Some(id), _) => self.device(id)?.into_iter().collect(),
            (None, Some(n)) => self.rows(DEVICES_BY_NAME, &[&n], map_device)?,
            (None, None) => self.rows(DEVICES, &[], map_device)?,
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
            None => self.rows(DEVICES_FIRST_PAGE, &[&limit], map_device),
            Some((name, id)) => self.rows(DEVICES_PAGE_AFTER, &[&name, &id, &limit], map_device),
        }
    }

    fn device(&self, id: &str) -> Result<Option<DeviceRow>> {
        self.one(DEVICE, &[&id], map_device)
    }

    fn device_by_authority(
        &self,
        authority_type: &str,
        authority_id: &str,
        authority_device_id: &str,
    ) -> Result<Option<DeviceRow>> {
        self.one(DEVICE_BY_AUTHORITY, &[&authority_type, &authority_id, &authority_device_id], map_device)
    }

    fn groups(&self, id: Option<&str>, name: Option<&str>, sid: Option<&str>) -> Result<Vec<GroupRow>> {
        self.rows(GROUPS, &[&id, &name, &sid], map_group)
    }

    fn group_members(&self, group_id: &str) -> Result<Vec<DeviceRow>> {
        self.rows(GROUP_MEMBERS, &[&group_id], map_device)
    }

    fn device_group_ids(&self, device_id: &str) -> Result<Vec<String>> {
        self.rows(DEVICE_GROUP_IDS, &[&device_id], |r| r.s())
    }

    fn group_usage(&self, group_id: &str) -> Result<(i64, i64)> {
        Ok(self.one(GROUP_USAGE, &[&group_id], |r| Ok((r.i()?, r.i()?)))?.unwrap_or((0, 0)))
    }

    fn reg_keys(&self, id: Option<&str>, name: Option<&str>, key_hash: Option<&str>) -> Result<Vec<RegKeyRow>> {
        self.rows(REG_KEYS, &[&id, &name, &key_hash], map_regkey)
    }

    fn reg_key_group_ids(&self, key_id: &str) -> Result<Vec<String>> {
        self.rows(REG_KEY_GROUP_IDS, &[&key_id], |r| r.s())
    }

    fn current_password(&self, device_id: &str) -> Result<Option<PasswordRow>> {
        self.one(CURRENT_PASSWORD, &[&device_id], map_password)
    }

    fn passwords(&self, device_id: &str) -> Result<Vec<PasswordRow>> {
        self.rows(PASSWORDS, &[&device_id], map_password)
    }

    fn device_secret_counts(&self, device_id: &str) -> Result<(i64, i64)> {
        Ok(self.one(DEVICE_SECRET_COUNTS, &[&device_id], |r| Ok((r.i()?, r.i()?)))?.unwrap_or((0, 0)))
    }

    fn bitlocker_keys(&self, device_id: &str) -> Result<Vec<BitLockerRow>> {
        self.rows(BITLOCKER_KEYS, &[&device_id], map_bitlocker)
    }
}

impl DataPlaneWrite for MssqlTx<'_> {
    fn insert_cert(&self, c: &CertRow) -> Result<()> {
        self.exec(
            INSERT_CERT,
            &[
                &c.thumbprint,
                &c.subject,
                &c.not_before,
                &c.not_after,
                &c.key_bits,
                &c.state,
                &c.der,
                &c.sealed_private_key,
                &c.source,
                &c.created_at,
                &c.activated_at,
            ],
        )?;
        Ok(())
    }

    fn activate_cert(&self, thumbprint: &str, at: &str) -> Result<()> {
        if self.count(USABLE_CERT, &[&thumbprint])? == 0 {
            return Err(crate::error::Error::new(
                crate::error::ErrorCode::CertNotUsable,
                "The certificate cannot be made active: it is revoked (or not in the database).",
            )
            .with("thumbprint", thumbprint));
        }
        self.exec(ACTIVATE_CERT, &[&thumbprint, &at])?;
        Ok(())
    }

    fn set_cert_state(&self, thumbprint: &str, state: &str) -> Result<()> {
        self.exec(SET_CERT_STATE, &[&thumbprint, &state])?;
        Ok(())
    }

    fn delete_cert_private_key(&self, thumbprint: &str) -> Result<usize> {
        self.exec(DELETE_CERT_PRIVATE_KEY, &[&thumbprint])
    }

    fn insert_device(&self, d: &DeviceRow) -> Result<()> {
        self.exec(
            INSERT_DEVICE,
            &[
                &d.id,
                &d.name,
                &d.dns_name,
                &d.authority_type,
                &d.authority_id,
                &d.authority_device_id,
                &d.sid,
                &d.os_type,
                &d.os_family,
                &d.os_version,
                &d.agent_version,
                &d.approval_state,
                &d.disabled,
                &d.registration_key_id,
                &d.credential_hash,
                &d.created_at,
                &d.modified_at,
            ],
        )?;
        Ok(())
    }

    fn update_device_state(&self, id: &str, approval_state: &str, disabled: bool, at: &str) -> Result<()> {
        self.exec(UPDATE_DEVICE_STATE, &[&id, &approval_state, &disabled, &at])?;
        Ok(())
    }

    fn delete_device(&self, id: &str) -> Result<usize> {
        self.exec(DELETE_DEVICE, &[&id])
    }

    fn insert_group(&self, g: &GroupRow) -> Result<()> {
        self.exec(INSERT_GROUP, &[&g.id, &g.name, &g.sid, &g.description, &g.created_at, &g.modified_at])?;
        Ok(())
    }

    fn update_group(&self, g: &GroupRow) -> Result<()> {
        self.exec(UPDATE_GROUP, &[&g.id, &g.name, &g.description, &g.modified_at])?;
        Ok(())
    }

    fn delete_group(&self, id: &str) -> Result<usize> {
        self.exec(DELETE_GROUP, &[&id])
    }

    fn add_group_member(&self, group_id: &str, device_id: &str, at: &str) -> Result<bool> {
        Ok(self.exec(ADD_GROUP_MEMBER, &[&group_id, &device_id, &at])? == 1)
    }

    fn remove_group_member(&self, group_id: &str, device_id: &str) -> Result<bool> {
        Ok(self.exec(REMOVE_GROUP_MEMBER, &[&group_id, &device_id])? == 1)
    }

    fn clear_group_members(&self, group_id: &str) -> Result<usize> {
        self.exec(CLEAR_GROUP_MEMBERS, &[&group_id])
    }

    fn insert_reg_key(&self, k: &RegKeyRow) -> Result<()> {
        self.exec(
            INSERT_REG_KEY,
            &[
                &k.id,
                &k.name,
                &k.key_hash,
                &k.sealed_key,
                &k.activation_limit,
                &k.activation_count,
                &k.enabled,
                &k.approval_required,
                &k.created_at,
                &k.modified_at,
            ],
        )?;
        Ok(())
    }

    fn update_reg_key(&self, k: &RegKeyRow) -> Result<()> {
        self.exec(
            UPDATE_REG_KEY,
            &[
                &k.id,
                &k.name,
                &k.activation_limit,
                &k.activation_count,
                &k.enabled,
                &k.approval_required,
                &k.modified_at,
            ],
        )?;
        Ok(())
    }

    fn delete_reg_key(&self, id: &str) -> Result<usize> {
        self.exec(DELETE_REG_KEY, &[&id])
    }

    fn add_reg_key_group(&self, key_id: &str, group_id: &str) -> Result<bool> {
        Ok(self.exec(ADD_REG_KEY_GROUP, &[&key_id, &group_id])? == 1)
    }

    fn remove_reg_key_group(&self, key_id: &str, group_id: &str) -> Result<bool> {
        Ok(self.exec(REMOVE_REG_KEY_GROUP, &[&key_id, &group_id])? == 1)
    }

    fn retire_current_password(&self, device_id: &str, at: &str) -> Result<usize> {
        self.exec(RETIRE_CURRENT_PASSWORD, &[&device_id, &at])
    }

    fn insert_password(&self, p: &PasswordRow) -> Result<()> {
        self.exec(
            INSERT_PASSWORD,
            &[
                &p.id,
                &p.device_id,
                &p.account_name,
                &p.blob,
                &p.cert_thumbprint,
                &p.created_at,
                &p.expires_at,
                &p.retired_at,
                &p.row_mac,
            ],
        )?;
        Ok(())
    }

    fn set_current_password_expiry(&self, device_id: &str, expires_at: &str) -> Result<usize> {
        self.exec(SET_CURRENT_PASSWORD_EXPIRY, &[&device_id, &expires_at])
    }

    fn delete_passwords(&self, ids: &[String]) -> Result<usize> {
        let mut n = 0;
        for id in ids {
            n += self.exec(DELETE_PASSWORD, &[id])?;
        }
        Ok(n)
    }

    fn upsert_bitlocker_key(&self, k: &BitLockerRow) -> Result<()> {
        self.exec(
            UPSERT_BITLOCKER_KEY,
            &[
                &k.id,
                &k.device_id,
                &k.key_id,
                &k.volume_id,
                &k.volume_type,
                &k.blob,
                &k.cert_thumbprint,
                &k.created_at,
                &k.row_mac,
            ],
        )?;
        Ok(())
    }
}
