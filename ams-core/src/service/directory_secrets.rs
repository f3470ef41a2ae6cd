//! The directory secret providers behind the admin reads: `local-admin-password get`,
//! `local-admin-password-history get` and `fve-recovery-key get` look the computer up in the
//! directory (by name, DNS name or SID) as well as in the ams database, and return what each
//! provider holds with its source (`Ams`, `MsLaps`, `WindowsLaps`, `BitLockerAd`).
//!
//! With no directory, or no provider enabled (`ams jit directory set --secret-providers`), these
//! are exactly the agent-database reads. Directory I/O happens before the write transaction that
//! records the audit record; the audit record commits before any secret is returned. Which
//! provider wins when several hold a current password, and what an encrypted Windows LAPS
//! password gives, is in ADR 0011.

use ldap3::SearchEntry;

use crate::ams::Ams;
use crate::directory::Directory;
use crate::directory::laps::{
    self, COMPUTER_ATTRIBUTES, ComputerLaps, DirectoryPassword, MSFVE_RECOVERY_GUID, MSFVE_RECOVERY_INFORMATION,
    MSFVE_RECOVERY_PASSWORD, MSFVE_VOLUME_GUID,
};
use crate::directory::ldap::LdapDirectory;
use crate::error::{Error, ErrorCode, Result};
use crate::service::audit::{self, Event};
use crate::service::devices::{DeviceSelector, resolve};
use crate::service::jit::secret_providers_in;
use crate::service::keys::Keyring;
use crate::service::secrets::{FveRecoveryKeyInfo, PasswordInfo};
use crate::store::DeviceRow;

/// A computer found in the directory, with what the enabled providers read from it.
#[derive(Debug)]
pub struct DirectoryComputer {
    /// Its DN.
    pub dn: String,
    /// Its name (the account name without `$`, or the DNS name's first label).
    pub name: String,
    /// Its SID, when it has one.
    pub sid: Option<String>,
    /// SIDs of its groups (nested included).
    pub group_sids: Vec<String>,
    /// The LAPS attributes (only those of enabled providers).
    pub laps: ComputerLaps,
}

/// Which providers are enabled.
#[derive(Debug, Clone, Copy, Default)]
struct Providers {
    ms_laps: bool,
    windows_laps: bool,
    bitlocker: bool,
}

impl Providers {
    fn any(self) -> bool {
        self.ms_laps || self.windows_laps || self.bitlocker
    }
}

fn not_found(who: &str) -> Error {
    Error::new(
        ErrorCode::DirectoryComputerNotFound,
        format!("No computer named '{who}' is in the directory or in the ams database."),
    )
    .hint("Name it by its account name (PC1), DNS name (pc1.example.com) or SID; `ams device get` lists the agent devices.")
    .with("name", who)
}

impl Ams {
    fn providers(&self) -> Result<Providers> {
        let list = self.store.read(|tx| secret_providers_in(tx))?;
        let has = |p: &str| list.iter().any(|l| l == p);
        Ok(Providers { ms_laps: has("MsLaps"), windows_laps: has("WindowsLaps"), bitlocker: has("BitLocker") })
    }

    /// The device a selector names, if ams knows it (an unknown name is not an error here).
    fn known_device(&self, sel: &DeviceSelector) -> Result<Option<DeviceRow>> {
        self.store.read(|tx| match resolve(tx, sel) {
            Ok(d) => Ok(Some(d)),
            Err(e) if e.code() == ErrorCode::DeviceNotFound => Ok(None),
            Err(e) => Err(e),
        })
    }

    /// Looks the computer up in the directory: by the ams device's SID or name when ams knows it,
    /// otherwise by the name, DNS name or SID the selector gives.
    fn find_directory_computer(
        &self,
        d: &mut LdapDirectory,
        sel: &DeviceSelector,
        device: Option<&DeviceRow>,
        p: Providers,
    ) -> Result<Option<(DirectoryComputer, SearchEntry)>> {
        let mut attrs: Vec<&str> = COMPUTER_ATTRIBUTES.to_vec();
        let sid_attr = d.schema().sid_attribute.clone();
        let name_attr = d.schema().name_attribute.clone();
        attrs.push(&sid_attr);
        attrs.push(&name_attr);
        let mut found = None;
        if let Some(dev) = device {
            if crate::authz::sid::looks_like_sid(&dev.sid) {
                found = d.find_computer(&dev.sid, &attrs)?;
            }
            if found.is_none() {
                found = d.find_computer(&dev.name, &attrs)?;
            }
        } else if let DeviceSelector::ComputerName(n) = sel {
            found = d.find_computer(n, &attrs)?;
        }
        let Some(e) = found else { return Ok(None) };
        let mut l = laps::computer_laps(&e)?;
        if !p.ms_laps {
            l.legacy = None;
        }
        if !p.windows_laps {
            l.windows = None;
            l.encrypted = false;
            l.encrypted_history = 0;
            l.windows_expires = None;
        }
        let name = e
            .attrs
            .get(&name_attr)
            .and_then(|v| v.first())
            .map(|n| n.trim_end_matches('$').to_string())
            .unwrap_or_else(|| e.dn.split(',').next().unwrap_or("").split_once('=').map_or("", |(_, v)| v).to_string());
        let sid = d.sid_of_entry(&e);
        let group_sids = d.group_sids_of(&e.dn)?;
        Ok(Some((DirectoryComputer { dn: e.dn.clone(), name, sid, group_sids, laps: l }, e)))
    }

    /// The directory computer for a read, when providers are enabled and a directory is set.
    fn directory_lookup(
        &self,
        keyring: &Keyring,
        sel: &DeviceSelector,
        device: Option<&DeviceRow>,
    ) -> Result<Option<(LdapDirectory, DirectoryComputer, Providers)>> {
        let p = self.providers()?;
        if !p.any() {
            return Ok(None);
        }
        let mut d = self.open_jit_directory(keyring)?;
        Ok(self.find_directory_computer(&mut d, sel, device, p)?.map(|(c, _)| (d, c, p)))
    }

    /// Records the audit record of a directory read (the caller returns the secret after it).
    fn audit_directory_read(
        &self,
        event: &'static str,
        device: Option<&DeviceRow>,
        c: &DirectoryComputer,
        details: serde_json::Value,
    ) -> Result<()> {
        let mut details = details;
        details["DistinguishedName"] = c.dn.clone().into();
        self.store.write(|tx| {
            let (t, id) = match device {
                Some(d) => ("device", d.id.as_str()),
                None => ("directory_computer", c.dn.as_str()),
            };
            audit::record(self, tx, Event::success(event, t, id).details(details.clone()))
        })
    }

    /// The current local administrator password from every provider that holds one (with
    /// `all_providers`), or the newest one: by the time it was set, the agent database and
    /// Windows LAPS carrying dates, legacy LAPS (no date) last. An encrypted Windows LAPS
    /// password is never skipped silently: alone (or beside legacy LAPS only, which it
    /// supersedes) it is [`ErrorCode::LapsEncryptedPasswordNeedsWindows`]; in an all-providers
    /// list it is an entry with `Unreadable` set.
    pub fn local_admin_passwords(
        &self,
        keyring: &Keyring,
        sel: &DeviceSelector,
        all_providers: bool,
    ) -> Result<Vec<PasswordInfo>> {
        let device = self.known_device(sel)?;
        let found = self.directory_lookup(keyring, sel, device.as_ref())?;
        let Some((_, c, _)) = found else {
            // No directory provider: the agent database alone, as before.
            return Ok(vec![self.password_current(keyring, sel)?]);
        };
        let db_created = match &device {
            Some(d) => self.store.read(|tx| tx.current_password(&d.id))?.map(|r| r.created_at),
            None => None,
        };
        let info = |p: &DirectoryPassword| PasswordInfo {
            computer_name: c.name.clone(),
            device_id: device.as_ref().map(|d| d.id.clone()).unwrap_or_default(),
            account_name: p.account_name.clone().unwrap_or_default(),
            password: p.password.clone(),
            created: p.updated.clone().unwrap_or_default(),
            expires: p.expires.clone(),
            retired: None,
            source: p.source.into(),
            unreadable: None,
            distinguished_name: Some(c.dn.clone()),
        };
        let encrypted_entry = || PasswordInfo {
            computer_name: c.name.clone(),
            device_id: device.as_ref().map(|d| d.id.clone()).unwrap_or_default(),
            account_name: String::new(),
            password: Default::default(),
            created: String::new(),
            expires: c.laps.windows_expires.clone(),
            retired: None,
            source: "WindowsLaps".into(),
            unreadable: Some(format!(
                "{}: {}",
                ErrorCode::LapsEncryptedPasswordNeedsWindows.as_str(),
                laps::encrypted_error("password").message()
            )),
            distinguished_name: Some(c.dn.clone()),
        };
        if all_providers {
            let mut out = Vec::new();
            if db_created.is_some() {
                out.push(self.password_current(keyring, sel)?);
            }
            let mut sources = Vec::new();
            for p in [c.laps.windows.as_ref(), c.laps.legacy.as_ref()].into_iter().flatten() {
                sources.push(p.source);
                out.push(info(p));
            }
            if c.laps.encrypted && c.laps.windows.is_none() {
                sources.push("WindowsLapsEncrypted");
                out.push(encrypted_entry());
            }
            if !sources.is_empty() {
                self.audit_directory_read(
                    "password.read",
                    device.as_ref(),
                    &c,
                    serde_json::json!({ "Sources": sources }),
                )?;
            }
            if out.is_empty() {
                return Err(no_password(&c));
            }
            return Ok(out);
        }
        // The newest dated candidate; legacy LAPS only when nothing else is there.
        let windows = c.laps.windows.as_ref();
        let db_newer = match (&db_created, windows.and_then(|w| w.updated.as_ref())) {
            (Some(db), Some(w)) => crate::clock::parse_time(db)? >= crate::clock::parse_time(w)?,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if db_created.is_some() && (db_newer || windows.is_none()) {
            return Ok(vec![self.password_current(keyring, sel)?]);
        }
        if let Some(w) = windows {
            self.audit_directory_read("password.read", device.as_ref(), &c, serde_json::json!({ "Source": w.source }))?;
            return Ok(vec![info(w)]);
        }
        if c.laps.encrypted {
            return Err(laps::encrypted_error("password").with("dn", &c.dn));
        }
        if let Some(l) = c.laps.legacy.as_ref() {
            self.audit_directory_read("password.read", device.as_ref(), &c, serde_json::json!({ "Source": l.source }))?;
            return Ok(vec![info(l)]);
        }
        Err(no_password(&c))
    }

    /// The password history: the agent database's retired passwords, and the Windows LAPS
    /// history the directory keeps (always encrypted: each entry is listed with `Unreadable`
    /// set; with nothing else to show, the read is [`ErrorCode::LapsEncryptedPasswordNeedsWindows`]).
    /// Legacy LAPS keeps no history.
    pub fn local_admin_password_history(&self, keyring: &Keyring, sel: &DeviceSelector) -> Result<Vec<PasswordInfo>> {
        let device = self.known_device(sel)?;
        let Some((_, c, _)) = self.directory_lookup(keyring, sel, device.as_ref())? else {
            return self.password_history(keyring, sel);
        };
        let mut out = match &device {
            Some(_) => self.password_history(keyring, sel)?,
            None => Vec::new(),
        };
        if c.laps.encrypted_history > 0 {
            if out.is_empty() {
                return Err(laps::encrypted_error("password history").with("dn", &c.dn));
            }
            for _ in 0..c.laps.encrypted_history {
                out.push(PasswordInfo {
                    computer_name: c.name.clone(),
                    device_id: device.as_ref().map(|d| d.id.clone()).unwrap_or_default(),
                    account_name: String::new(),
                    password: Default::default(),
                    created: String::new(),
                    expires: None,
                    retired: None,
                    source: "WindowsLaps".into(),
                    unreadable: Some(format!(
                        "{}: {}",
                        ErrorCode::LapsEncryptedPasswordNeedsWindows.as_str(),
                        laps::encrypted_error("password history").message()
                    )),
                    distinguished_name: Some(c.dn.clone()),
                });
            }
            self.audit_directory_read(
                "password.history.read",
                device.as_ref(),
                &c,
                serde_json::json!({ "Source": "WindowsLaps", "Entries": c.laps.encrypted_history, "Encrypted": true }),
            )?;
        }
        Ok(out)
    }

    /// The BitLocker recovery keys from the agent database and from the computer's
    /// `msFVE-RecoveryInformation` children in the directory.
    pub fn fve_recovery_keys(&self, keyring: &Keyring, sel: &DeviceSelector) -> Result<Vec<FveRecoveryKeyInfo>> {
        let device = self.known_device(sel)?;
        let p = self.providers()?;
        if !p.bitlocker {
            return self.bitlocker_keys(keyring, sel);
        }
        let mut d = self.open_jit_directory(keyring)?;
        let found = self.find_directory_computer(&mut d, sel, device.as_ref(), p)?;
        let mut out = match &device {
            Some(_) => match self.bitlocker_keys(keyring, sel) {
                Ok(k) => k,
                Err(e) if e.code() == ErrorCode::NoBitLockerKey && found.is_some() => Vec::new(),
                Err(e) => return Err(e),
            },
            None => Vec::new(),
        };
        let Some((c, _)) = found else {
            if device.is_none() {
                let who = match sel {
                    DeviceSelector::ComputerName(n) => n.clone(),
                    DeviceSelector::Id(i) => i.clone(),
                    DeviceSelector::Authority { authority_device_id, .. } => authority_device_id.clone(),
                };
                return Err(not_found(&who));
            }
            return Ok(out);
        };
        let filter = format!("(objectClass={MSFVE_RECOVERY_INFORMATION})");
        let children =
            d.children(&c.dn, &filter, &[MSFVE_RECOVERY_PASSWORD, MSFVE_RECOVERY_GUID, MSFVE_VOLUME_GUID])?;
        let mut keys = children.iter().map(laps::bitlocker_key).collect::<Result<Vec<_>>>()?;
        // Newest first, as BitLocker names them by time.
        keys.sort_by(|a, b| b.created.cmp(&a.created));
        if !keys.is_empty() {
            self.audit_directory_read(
                "bitlocker.read",
                device.as_ref(),
                &c,
                serde_json::json!({ "Source": "BitLockerAd", "Keys": keys.len() }),
            )?;
        }
        for k in keys {
            out.push(FveRecoveryKeyInfo {
                computer_name: c.name.clone(),
                device_id: device.as_ref().map(|d| d.id.clone()).unwrap_or_default(),
                key_id: k.key_id,
                volume_id: k.volume_id,
                volume_type: None,
                recovery_password: k.recovery_password,
                created: k.created.unwrap_or_default(),
                source: "BitLockerAd".into(),
                distinguished_name: Some(c.dn.clone()),
            });
        }
        if out.is_empty() {
            return Err(Error::new(
                ErrorCode::NoBitLockerKey,
                "The computer has no BitLocker recovery keys in the ams database or the directory.",
            )
            .hint("BitLocker writes msFVE-RecoveryInformation objects under the computer when recovery key backup to AD is on; check that the bind account may read them.")
            .with("dn", &c.dn));
        }
        Ok(out)
    }

    /// Expires a directory computer's LAPS password now (`ams device set --computer-name NAME
    /// --expire-password`): writes `ms-Mcs-AdmPwdExpirationTime` and/or
    /// `msLAPS-PasswordExpirationTime` (those the computer carries), so LAPS rotates at its next
    /// check. Returns the attributes written.
    pub fn expire_directory_password(&self, keyring: &Keyring, name: &str) -> Result<Vec<String>> {
        let sel = DeviceSelector::ComputerName(name.to_string());
        let device = self.known_device(&sel)?;
        let p = self.providers()?;
        if !(p.ms_laps || p.windows_laps) {
            return Err(Error::new(
                ErrorCode::JitDirectoryNotConfigured,
                "No directory LAPS provider is enabled, so there is no directory password to expire.",
            )
            .hint("Enable them with `ams jit directory set --secret-providers MsLaps,WindowsLaps`, or use `ams device set --id ID --expire-password` for an agent device."));
        }
        let mut d = self.open_jit_directory(keyring)?;
        let Some((c, _)) = self.find_directory_computer(&mut d, &sel, device.as_ref(), p)? else {
            return Err(not_found(name));
        };
        let now = crate::directory::laps::time_to_filetime(self.now_time()).to_string();
        let mut written = Vec::new();
        if c.laps.legacy.is_some() {
            d.set_attribute(&c.dn, laps::MS_MCS_ADMPWD_EXPIRATION_TIME, std::slice::from_ref(&now))?;
            written.push(laps::MS_MCS_ADMPWD_EXPIRATION_TIME.to_string());
        }
        if c.laps.windows.is_some() || c.laps.encrypted {
            d.set_attribute(&c.dn, laps::MSLAPS_PASSWORD_EXPIRATION_TIME, std::slice::from_ref(&now))?;
            written.push(laps::MSLAPS_PASSWORD_EXPIRATION_TIME.to_string());
        }
        if written.is_empty() {
            return Err(no_password(&c));
        }
        self.audit_directory_read(
            "device.expire_password",
            device.as_ref(),
            &c,
            serde_json::json!({ "Attributes": written }),
        )?;
        Ok(written)
    }
}

fn no_password(c: &DirectoryComputer) -> Error {
    Error::new(
        ErrorCode::NoPassword,
        "The computer has no local administrator password in the ams database or the directory (ms-Mcs-AdmPwd, msLAPS-Password).",
    )
    .hint("Check that LAPS manages the computer and that the bind account may read its LAPS attributes.")
    .with("dn", &c.dn)
}
