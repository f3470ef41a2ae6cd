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

use crate::ams::Ams;
use crate::authz::AccessType;
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
    /// The AD domain's SID (the computer's SID without its RID).
    pub domain_sid: Option<String>,
    /// Its objectGUID.
    pub guid: Option<String>,
    /// BitLocker keys (read only for BitLocker reads with the provider enabled), newest first.
    pub bitlocker: Vec<laps::DirectoryBitLockerKey>,
}

/// Which provider's current password a read returns.
enum Choice<'c> {
    /// The agent database's.
    Database,
    /// A clear password from the directory.
    Directory(&'c DirectoryPassword),
}

/// Picks the newest current password: the agent database (`db_created`: its current
/// password's upload time) or Windows LAPS by date, legacy LAPS (undated) only when nothing else
/// is there. An encrypted Windows LAPS password beside legacy LAPS only (which it supersedes),
/// or alone, is [`ErrorCode::LapsEncryptedPasswordNeedsWindows`].
fn choose<'c>(db_created: Option<&str>, c: &'c DirectoryComputer) -> Result<Choice<'c>> {
    let windows = c.laps.windows.as_ref();
    match (db_created, windows.and_then(|w| w.updated.as_deref())) {
        (Some(db), Some(w)) => {
            return Ok(if crate::clock::parse_time(db)? >= crate::clock::parse_time(w)? {
                Choice::Database
            } else {
                Choice::Directory(windows.ok_or_else(|| Error::internal("windows laps"))?)
            });
        }
        (Some(_), None) if windows.is_none() => return Ok(Choice::Database),
        _ => {}
    }
    if let Some(w) = windows {
        return Ok(Choice::Directory(w));
    }
    if c.laps.encrypted {
        return Err(laps::encrypted_error("password").with("dn", &c.dn));
    }
    match c.laps.legacy.as_ref() {
        Some(l) => Ok(Choice::Directory(l)),
        None => Err(no_password(c)),
    }
}

fn password_info(c: &DirectoryComputer, device: Option<&DeviceRow>, p: &DirectoryPassword) -> PasswordInfo {
    PasswordInfo {
        computer_name: c.name.clone(),
        device_id: device.map(|d| d.id.clone()).unwrap_or_default(),
        account_name: p.account_name.clone().unwrap_or_default(),
        password: p.password.clone(),
        created: p.updated.clone().unwrap_or_default(),
        expires: p.expires.clone(),
        retired: None,
        source: p.source.into(),
        unreadable: None,
        distinguished_name: Some(c.dn.clone()),
    }
}

fn unreadable_info(
    c: &DirectoryComputer,
    device: Option<&DeviceRow>,
    what: &str,
    expires: Option<String>,
) -> PasswordInfo {
    PasswordInfo {
        computer_name: c.name.clone(),
        device_id: device.map(|d| d.id.clone()).unwrap_or_default(),
        account_name: String::new(),
        password: Default::default(),
        created: String::new(),
        expires,
        retired: None,
        source: "WindowsLaps".into(),
        unreadable: Some(format!(
            "{}: {}",
            ErrorCode::LapsEncryptedPasswordNeedsWindows.as_str(),
            laps::encrypted_error(what).message()
        )),
        distinguished_name: Some(c.dn.clone()),
    }
}

fn bitlocker_infos(c: &DirectoryComputer, device: Option<&DeviceRow>) -> Vec<FveRecoveryKeyInfo> {
    c.bitlocker
        .iter()
        .map(|k| FveRecoveryKeyInfo {
            computer_name: c.name.clone(),
            device_id: device.map(|d| d.id.clone()).unwrap_or_default(),
            key_id: k.key_id.clone(),
            volume_id: k.volume_id.clone(),
            volume_type: None,
            recovery_password: k.recovery_password.clone(),
            created: k.created.clone().unwrap_or_default(),
            source: "BitLockerAd".into(),
            distinguished_name: Some(c.dn.clone()),
        })
        .collect()
}

/// A device row standing for a computer that only the directory knows, for rule evaluation
/// (AD computer, AD group and OU targets): no id, authority `ActiveDirectory`.
pub(crate) fn directory_only_device(c: &DirectoryComputer) -> DeviceRow {
    DeviceRow {
        id: String::new(),
        name: c.name.clone(),
        dns_name: None,
        authority_type: "ActiveDirectory".into(),
        authority_id: c.domain_sid.clone().unwrap_or_default(),
        authority_device_id: c.guid.clone().unwrap_or_default(),
        sid: c.sid.clone().unwrap_or_default(),
        os_type: "Windows".into(),
        os_family: None,
        os_version: None,
        agent_version: None,
        approval_state: "Approved".into(),
        disabled: false,
        registration_key_id: None,
        credential_hash: None,
        created_at: String::new(),
        modified_at: String::new(),
    }
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
        with_bitlocker: bool,
    ) -> Result<Option<DirectoryComputer>> {
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
        let domain_sid = sid.as_deref().and_then(|s| s.rsplit_once('-')).map(|(dom, _)| dom.to_string());
        let guid = e.bin_attrs.get(laps::OBJECT_GUID).and_then(|v| v.first()).and_then(|b| laps::guid_from_bytes(b));
        let mut bitlocker = Vec::new();
        if with_bitlocker && p.bitlocker {
            let filter = format!("(objectClass={MSFVE_RECOVERY_INFORMATION})");
            let children =
                d.children(&e.dn, &filter, &[MSFVE_RECOVERY_PASSWORD, MSFVE_RECOVERY_GUID, MSFVE_VOLUME_GUID])?;
            bitlocker = children.iter().map(laps::bitlocker_key).collect::<Result<Vec<_>>>()?;
            // Newest first, as BitLocker names them by time.
            bitlocker.sort_by(|a, b| b.created.cmp(&a.created));
        }
        Ok(Some(DirectoryComputer { dn: e.dn.clone(), name, sid, group_sids, laps: l, domain_sid, guid, bitlocker }))
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
        Ok(self.find_directory_computer(&mut d, sel, device, p, false)?.map(|c| (d, c, p)))
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
        let dev = device.as_ref();
        if all_providers {
            let mut out = Vec::new();
            if db_created.is_some() {
                out.push(self.password_current(keyring, sel)?);
            }
            let mut sources = Vec::new();
            for p in [c.laps.windows.as_ref(), c.laps.legacy.as_ref()].into_iter().flatten() {
                sources.push(p.source);
                out.push(password_info(&c, dev, p));
            }
            if c.laps.encrypted && c.laps.windows.is_none() {
                sources.push("WindowsLapsEncrypted");
                out.push(unreadable_info(&c, dev, "password", c.laps.windows_expires.clone()));
            }
            if !sources.is_empty() {
                self.audit_directory_read("password.read", dev, &c, serde_json::json!({ "Sources": sources }))?;
            }
            if out.is_empty() {
                return Err(no_password(&c));
            }
            return Ok(out);
        }
        match choose(db_created.as_deref(), &c)? {
            Choice::Database => Ok(vec![self.password_current(keyring, sel)?]),
            Choice::Directory(p) => {
                self.audit_directory_read("password.read", dev, &c, serde_json::json!({ "Source": p.source }))?;
                Ok(vec![password_info(&c, dev, p)])
            }
        }
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
                out.push(unreadable_info(&c, device.as_ref(), "password history", None));
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
        let found = self.find_directory_computer(&mut d, sel, device.as_ref(), p, true)?;
        let mut out = match &device {
            Some(_) => match self.bitlocker_keys(keyring, sel) {
                Ok(k) => k,
                Err(e) if e.code() == ErrorCode::NoBitLockerKey && found.is_some() => Vec::new(),
                Err(e) => return Err(e),
            },
            None => Vec::new(),
        };
        let Some(c) = found else {
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
        if !c.bitlocker.is_empty() {
            self.audit_directory_read(
                "bitlocker.read",
                device.as_ref(),
                &c,
                serde_json::json!({ "Source": "BitLockerAd", "Keys": c.bitlocker.len() }),
            )?;
        }
        out.extend(bitlocker_infos(&c, device.as_ref()));
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
        let Some(c) = self.find_directory_computer(&mut d, &sel, device.as_ref(), p, false)? else {
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

// ---------------------------------------------------------------------------------------------
// The rule-checked access request (service/access.rs calls these at its steps 3, 4b and 5)

impl Ams {
    /// Step 3 of an access request for a secret: the computer in the directory, with the facts
    /// the rules need (DN, nested group SIDs) and what the enabled providers hold, read before
    /// the decision's transaction (nothing is returned unless the rules allow it). `None` when
    /// no provider serves this access type or the directory does not know the computer.
    pub(crate) fn access_directory_computer(
        &self,
        keyring: &Keyring,
        sel: &DeviceSelector,
        t: AccessType,
    ) -> Result<Option<DirectoryComputer>> {
        let p = self.providers()?;
        let wanted = match t {
            AccessType::Laps | AccessType::LapsHistory => p.ms_laps || p.windows_laps,
            AccessType::BitLocker => p.bitlocker,
            _ => false,
        };
        if !wanted {
            return Ok(None);
        }
        let device = self.known_device(sel)?;
        let mut d = self.open_jit_directory(keyring)?;
        self.find_directory_computer(&mut d, sel, device.as_ref(), p, t == AccessType::BitLocker)
    }

    /// Step 5, after the grant's commit: a password handed out from the directory under a rule
    /// with an access duration gets its new expiry written to the LAPS attribute of its source.
    pub(crate) fn access_expire_in_directory(
        &self,
        keyring: &Keyring,
        c: &DirectoryComputer,
        source: &str,
        at: &str,
    ) -> Result<()> {
        let attribute = match source {
            "MsLaps" => laps::MS_MCS_ADMPWD_EXPIRATION_TIME,
            "WindowsLaps" => laps::MSLAPS_PASSWORD_EXPIRATION_TIME,
            _ => return Ok(()),
        };
        let value = laps::time_to_filetime(crate::clock::parse_time(at)?).to_string();
        self.open_jit_directory(keyring)?.set_attribute(&c.dn, attribute, &[value])
    }
}

fn device_of(d: &DeviceRow) -> Option<&DeviceRow> {
    (!d.id.is_empty()).then_some(d)
}

/// Step 4b for `Laps`: the directory's password when it is the one to return (`None`: the
/// agent database's). `db_created` is the upload time of the database's current password.
pub(crate) fn access_password(
    db_created: Option<&str>,
    c: &DirectoryComputer,
    d: &DeviceRow,
) -> Result<Option<PasswordInfo>> {
    Ok(match choose(db_created, c)? {
        Choice::Database => None,
        Choice::Directory(p) => Some(password_info(c, device_of(d), p)),
    })
}

/// The expiry a password read from the directory gets after an access of `granted`: the end of
/// the access; without extension an earlier expiry already set is kept (the same rule as the
/// agent database's). Step 5 writes it when it differs from the current one.
pub(crate) fn directory_expiry_after_access(
    current: Option<&str>,
    now: time::OffsetDateTime,
    granted: time::Duration,
    allow_extension: bool,
) -> Result<String> {
    let wanted = now + granted;
    if let Some(cur) = current.map(crate::clock::parse_time).transpose()?
        && !allow_extension
        && cur <= wanted
    {
        return Ok(crate::clock::format_time(cur));
    }
    Ok(crate::clock::format_time(wanted))
}

/// Step 4b for `LapsHistory`: the database's history and the directory's (encrypted) one.
pub(crate) fn access_history(
    c: &DirectoryComputer,
    d: &DeviceRow,
    mut db: Vec<PasswordInfo>,
) -> Result<Vec<PasswordInfo>> {
    if c.laps.encrypted_history > 0 {
        if db.is_empty() {
            return Err(laps::encrypted_error("password history").with("dn", &c.dn));
        }
        for _ in 0..c.laps.encrypted_history {
            db.push(unreadable_info(c, device_of(d), "password history", None));
        }
    }
    Ok(db)
}

/// Step 4b for `BitLocker`: the database's keys and the directory's.
pub(crate) fn access_bitlocker(
    c: &DirectoryComputer,
    d: &DeviceRow,
    mut db: Vec<FveRecoveryKeyInfo>,
) -> Result<Vec<FveRecoveryKeyInfo>> {
    db.extend(bitlocker_infos(c, device_of(d)));
    if db.is_empty() {
        return Err(Error::new(
            ErrorCode::NoBitLockerKey,
            "The computer has no BitLocker recovery keys in the ams database or the directory.",
        )
        .with("dn", &c.dn));
    }
    Ok(db)
}
