//! Devices: lookup, approval, enable/disable, password expiry, removal.

use serde::Serialize;

use crate::ams::Ams;
use crate::clock::parse_time;
use crate::error::{Error, ErrorCode, Result};
use crate::service::audit::{self, Event};
use crate::service::certs::{KeyHealth, key_health_map};
use crate::service::keys::Keyring;
use crate::store::{DeviceRow, ReadTx, SealedSecretRef};

/// Prefix of the fully qualified name of devices registered with this instance.
pub const AMS_AUTHORITY_PREFIX: &str = "AccessManager";

/// A device as shown to people.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeviceInfo {
    /// Device id.
    pub id: String,
    /// Computer name.
    pub name: String,
    /// `AUTHORITY\name`.
    pub fully_qualified_name: String,
    /// DNS name.
    pub dns_name: Option<String>,
    /// `Ams`, `ActiveDirectory` or `AzureActiveDirectory`.
    pub authority_type: String,
    /// Authority id.
    pub authority_id: String,
    /// Device id within the authority.
    pub authority_device_id: String,
    /// SID.
    pub sid: String,
    /// `Windows`, `Linux`, `MacOS` or `Unknown`.
    pub operating_system_type: String,
    /// OS family.
    pub operating_system_family: Option<String>,
    /// OS version.
    pub operating_system_version: Option<String>,
    /// Agent version.
    pub agent_version: Option<String>,
    /// `Pending`, `Approved` or `Rejected`.
    pub approval_state: String,
    /// Disabled devices cannot authenticate.
    pub disabled: bool,
    /// Registered at.
    pub created: String,
    /// Last change or check-in.
    pub modified: String,
}

impl From<&DeviceRow> for DeviceInfo {
    fn from(d: &DeviceRow) -> Self {
        DeviceInfo {
            id: d.id.clone(),
            name: d.name.clone(),
            fully_qualified_name: fully_qualified_name(d),
            dns_name: d.dns_name.clone(),
            authority_type: d.authority_type.clone(),
            authority_id: d.authority_id.clone(),
            authority_device_id: d.authority_device_id.clone(),
            sid: d.sid.clone(),
            operating_system_type: d.os_type.clone(),
            operating_system_family: d.os_family.clone(),
            operating_system_version: d.os_version.clone(),
            agent_version: d.agent_version.clone(),
            approval_state: d.approval_state.clone(),
            disabled: d.disabled,
            created: d.created_at.clone(),
            modified: d.modified_at.clone(),
        }
    }
}

fn fully_qualified_name(d: &DeviceRow) -> String {
    match d.authority_type.as_str() {
        "Ams" => format!("{AMS_AUTHORITY_PREFIX}\\{}", d.name),
        "AzureActiveDirectory" => format!("AzureAD\\{}", d.name),
        _ => format!("{}\\{}", d.authority_id, d.name),
    }
}

/// How an admin verb names a device.
#[derive(Debug, Clone)]
pub enum DeviceSelector {
    /// By device id.
    Id(String),
    /// By computer name: `PC1`, `pc1.example.com` or `AUTHORITY\PC1`.
    ComputerName(String),
    /// By authority triple.
    Authority {
        /// `Ams`, `ActiveDirectory`, `AzureActiveDirectory` (or `None`, which matches nothing).
        authority_type: String,
        /// Authority id.
        authority_id: String,
        /// Device id within the authority.
        authority_device_id: String,
    },
}

/// Devices per page of a streamed listing ([`Ams::for_each_device`]): about 1 MiB of rows.
pub const DEVICE_PAGE: usize = 1000;

/// Valid approval states.
pub const APPROVAL_STATES: [&str; 3] = ["Pending", "Approved", "Rejected"];

fn not_found(what: &str) -> Error {
    Error::new(ErrorCode::DeviceNotFound, "No device matches.")
        .hint("Run `ams device get` to list devices.")
        .with("device", what)
}

/// Resolves a selector to exactly one device.
pub(crate) fn resolve(tx: &(impl ReadTx + ?Sized), sel: &DeviceSelector) -> Result<DeviceRow> {
    match sel {
        DeviceSelector::Id(id) => tx.device(id)?.ok_or_else(|| not_found(id)),
        DeviceSelector::Authority { authority_type, authority_id, authority_device_id } => tx
            .device_by_authority(authority_type, authority_id, authority_device_id)?
            .ok_or_else(|| not_found(authority_device_id)),
        DeviceSelector::ComputerName(raw) => {
            let (prefix, name) = match raw.split_once('\\') {
                Some((p, n)) => (Some(p), n),
                None => (None, raw.as_str()),
            };
            let mut found: Vec<DeviceRow> = tx.devices(None, Some(name), None)?;
            if let Some(p) = prefix {
                found.retain(|d| {
                    fully_qualified_name(d).split_once('\\').is_some_and(|(fp, _)| fp.eq_ignore_ascii_case(p))
                        || d.authority_id.eq_ignore_ascii_case(p)
                });
            }
            match found.len() {
                0 => Err(not_found(raw)),
                1 => found.pop().ok_or_else(|| not_found(raw)),
                n => Err(Error::new(ErrorCode::DeviceAmbiguous, format!("{n} devices have that name."))
                    .hint("Qualify the name (AUTHORITY\\NAME) or use the device id or the authority triple.")
                    .with("device", raw)),
            }
        }
    }
}

/// What `Set-AmsDevice` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceAction {
    /// Approve a pending (or rejected) registration.
    Approve,
    /// Reject the registration; the device goes dormant.
    Reject,
    /// Allow the device to authenticate again.
    Enable,
    /// Stop the device from authenticating.
    Disable,
    /// Expire the current password so the agent rotates it at its next check-in.
    ExpirePassword,
}

impl Ams {
    /// Lists devices, optionally by id, name and approval state.
    pub fn devices(
        &self,
        id: Option<&str>,
        name: Option<&str>,
        approval_state: Option<&str>,
    ) -> Result<Vec<DeviceInfo>> {
        if let Some(s) = approval_state {
            check_approval_state(s)?;
        }
        let rows = self.store.read(|tx| match name {
            Some(n) if n.contains('\\') => match resolve(tx, &DeviceSelector::ComputerName(n.to_string())) {
                Ok(d) => Ok(vec![d]),
                Err(e) if e.code() == ErrorCode::DeviceNotFound => Ok(Vec::new()),
                Err(e) => Err(e),
            },
            _ => tx.devices(id, name, None),
        })?;
        if let Some(i) = id
            && !rows.iter().any(|d| d.id == i)
        {
            // A lookup by id names one device: a missing one is an error, not an empty list.
            return Err(not_found(i));
        }
        Ok(rows
            .iter()
            .filter(|d| approval_state.is_none_or(|s| d.approval_state.eq_ignore_ascii_case(s)))
            .filter(|d| id.is_none_or(|i| d.id == i))
            .map(DeviceInfo::from)
            .collect())
    }

    /// Every device (optionally only those in one approval state) in the order of
    /// [`Ams::devices`], handed to `f` one at a time. The devices are read [`DEVICE_PAGE`] at a time
    /// in one read transaction (one consistent snapshot; ADR 0014), so memory stays bounded
    /// whatever the number of devices. Stops at the first error of `f` and returns it.
    pub fn for_each_device(
        &self,
        approval_state: Option<&str>,
        f: &mut dyn FnMut(&DeviceInfo) -> Result<()>,
    ) -> Result<()> {
        if let Some(s) = approval_state {
            check_approval_state(s)?;
        }
        self.store.scan(|tx| {
            let mut after: Option<(String, String)> = None;
            loop {
                let page = tx.devices_page(after.as_ref().map(|(n, i)| (n.as_str(), i.as_str())), DEVICE_PAGE)?;
                for d in page.iter().filter(|d| approval_state.is_none_or(|s| d.approval_state.eq_ignore_ascii_case(s)))
                {
                    f(&DeviceInfo::from(d))?;
                }
                match page.last() {
                    Some(last) if page.len() == DEVICE_PAGE => after = Some((last.name.clone(), last.id.clone())),
                    _ => return Ok(()),
                }
            }
        })
    }

    /// Applies one action to a device. Rejecting an approved device needs `force`.
    pub fn set_device(&self, id: &str, action: DeviceAction, force: bool) -> Result<DeviceInfo> {
        let now = self.now();
        self.store.write(|tx| {
            let d = resolve(tx, &DeviceSelector::Id(id.to_string()))?;
            let (mut state, mut disabled) = (d.approval_state.clone(), d.disabled);
            let event = match action {
                DeviceAction::Approve => {
                    state = "Approved".into();
                    "device.approve"
                }
                DeviceAction::Reject => {
                    if d.approval_state == "Approved" && !force {
                        return Err(Error::new(
                            ErrorCode::ForceRequired,
                            "Rejecting an approved device cuts it off from ams.",
                        )
                        .hint("Add --force to reject it anyway.")
                        .with("device_id", &d.id));
                    }
                    state = "Rejected".into();
                    "device.reject"
                }
                DeviceAction::Enable => {
                    disabled = false;
                    "device.enable"
                }
                DeviceAction::Disable => {
                    disabled = true;
                    "device.disable"
                }
                DeviceAction::ExpirePassword => {
                    if tx.set_current_password_expiry(&d.id, &now)? == 0 {
                        return Err(Error::new(ErrorCode::NoPassword, "The device has no current password to expire.")
                            .with("device_id", &d.id));
                    }
                    "device.expire_password"
                }
            };
            tx.update_device_state(&d.id, &state, disabled, &now)?;
            audit::record(self, tx, Event::success(event, "device", &d.id))?;
            tx.device(&d.id)?.map(|r| DeviceInfo::from(&r)).ok_or_else(|| not_found(id))
        })
    }

    /// Deletes a device with its passwords, BitLocker keys and memberships. A device that holds
    /// secrets needs `force`.
    pub fn remove_device(&self, id: &str, force: bool) -> Result<()> {
        self.store.write(|tx| {
            let d = resolve(tx, &DeviceSelector::Id(id.to_string()))?;
            let (p, b) = tx.device_secret_counts(&d.id)?;
            if (p > 0 || b > 0) && !force {
                return Err(Error::new(
                    ErrorCode::ForceRequired,
                    format!(
                        "The device holds {p} password(s) and {b} BitLocker key(s) that would be deleted for ever."
                    ),
                )
                .hint("Add --force to delete the device and its secrets.")
                .with("device_id", &d.id));
            }
            tx.delete_device(&d.id)?;
            audit::record(
                self,
                tx,
                Event::success("device.remove", "device", &d.id)
                    .details(serde_json::json!({"Name": d.name, "Passwords": p, "BitLockerKeys": b})),
            )
        })
    }
}

/// A device whose current password could not be opened and is now expired.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExpiredDevice {
    /// Device id.
    pub device_id: String,
    /// Computer name.
    pub name: String,
    /// The unreadable current password's id.
    pub password_id: String,
    /// The certificate it is sealed to.
    pub thumbprint: String,
    /// True when it had already expired before (its expiry was left as it was).
    pub was_already_expired: bool,
}

/// A stored secret that can no longer be opened and will not come back (history) or only when the
/// agent uploads it again (BitLocker).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UnrecoverableSecret {
    /// Device id.
    pub device_id: String,
    /// Computer name.
    pub name: String,
    /// Row id.
    pub id: String,
    /// Account name (passwords) or recovery key id (BitLocker).
    pub label: String,
    /// Uploaded at.
    pub created: String,
    /// Replaced at (password history).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retired: Option<String>,
    /// The certificate it is sealed to.
    pub thumbprint: String,
}

impl From<&SealedSecretRef> for UnrecoverableSecret {
    fn from(r: &SealedSecretRef) -> Self {
        UnrecoverableSecret {
            device_id: r.device_id.clone(),
            name: r.device_name.clone(),
            id: r.id.clone(),
            label: r.label.clone(),
            created: r.created_at.clone(),
            retired: r.retired_at.clone(),
            thumbprint: r.cert_thumbprint.clone(),
        }
    }
}

/// What `ams device expire-password --unreadable` did and found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UnreadableExpiryReport {
    /// The active certificate agents will upload to.
    pub active_certificate: String,
    /// Certificates (or unknown thumbprints) whose private key cannot be used.
    pub unreadable_certificates: Vec<String>,
    /// Devices whose current password was sealed to one of them: now expired, so the agent sets
    /// and uploads a new password at its next check-in.
    pub expired: Vec<ExpiredDevice>,
    /// Password history entries sealed to them: lost for good.
    pub unrecoverable_history: Vec<UnrecoverableSecret>,
    /// BitLocker keys sealed to them: unreadable until the agent uploads them again.
    pub unrecoverable_bit_locker_keys: Vec<UnrecoverableSecret>,
}

impl Ams {
    /// Lost-private-key recovery: expires the current password of every device whose current
    /// password is sealed to a certificate whose private key is missing, unreadable or not in
    /// the database, so agents rotate and upload to the active certificate. Refuses unless the
    /// active certificate's own key is usable. Reports the history entries and BitLocker keys
    /// that cannot be opened. Audited per device.
    pub fn expire_unreadable_passwords(&self, keyring: &Keyring) -> Result<UnreadableExpiryReport> {
        let now_t = self.now_time();
        let now = crate::clock::format_time(now_t);
        self.store.write(|tx| {
            let health = key_health_map(tx, keyring)?;
            let active = tx.active_cert()?.ok_or_else(|| {
                Error::new(ErrorCode::NoActiveCert, "No encryption certificate is active, so agents cannot upload new passwords.")
                    .hint("Run `ams cert new --activate` first.")
            })?;
            if health.get(&active.thumbprint) != Some(&KeyHealth::Usable) {
                return Err(Error::new(
                    ErrorCode::ActiveCertUnreadable,
                    "The active certificate's private key cannot be used, so new uploads would fail too.",
                )
                .hint("Publish a new certificate with `ams cert new --activate` (or import the PFX backup), then run this again.")
                .with("thumbprint", &active.thumbprint));
            }
            let unreadable: Vec<String> =
                health.iter().filter(|(_, h)| **h != KeyHealth::Usable).map(|(t, _)| t.clone()).collect();
            let mut report = UnreadableExpiryReport {
                active_certificate: active.thumbprint.clone(),
                unreadable_certificates: unreadable.clone(),
                expired: Vec::new(),
                unrecoverable_history: Vec::new(),
                unrecoverable_bit_locker_keys: Vec::new(),
            };
            for thumbprint in &unreadable {
                for p in tx.passwords_sealed_to(thumbprint)? {
                    if p.retired_at.is_some() {
                        report.unrecoverable_history.push(UnrecoverableSecret::from(&p));
                        continue;
                    }
                    let already = p.expires_at.as_deref().and_then(|e| parse_time(e).ok()).is_some_and(|e| e <= now_t);
                    if !already {
                        tx.set_current_password_expiry(&p.device_id, &now)?;
                    }
                    if let Some(d) = tx.device(&p.device_id)? {
                        tx.update_device_state(&d.id, &d.approval_state, d.disabled, &now)?;
                    }
                    audit::record(
                        self,
                        tx,
                        Event::success("device.expire_password", "device", &p.device_id).details(serde_json::json!({
                            "Reason": "UnreadableCertificate", "PasswordId": p.id, "Thumbprint": p.cert_thumbprint,
                            "WasAlreadyExpired": already
                        })),
                    )?;
                    report.expired.push(ExpiredDevice {
                        device_id: p.device_id.clone(),
                        name: p.device_name.clone(),
                        password_id: p.id.clone(),
                        thumbprint: p.cert_thumbprint.clone(),
                        was_already_expired: already,
                    });
                }
                report
                    .unrecoverable_bit_locker_keys
                    .extend(tx.bitlocker_keys_sealed_to(thumbprint)?.iter().map(UnrecoverableSecret::from));
            }
            audit::record(
                self,
                tx,
                Event::success("device.expire_password.unreadable", "certificate", &active.thumbprint).details(
                    serde_json::json!({
                        "UnreadableCertificates": report.unreadable_certificates,
                        "Expired": report.expired.len(),
                        "UnrecoverableHistory": report.unrecoverable_history.len(),
                        "UnrecoverableBitLockerKeys": report.unrecoverable_bit_locker_keys.len()
                    }),
                ),
            )?;
            Ok(report)
        })
    }
}

pub(crate) fn check_approval_state(s: &str) -> Result<()> {
    if APPROVAL_STATES.iter().any(|a| a.eq_ignore_ascii_case(s)) {
        Ok(())
    } else {
        Err(Error::invalid(format!("'{s}' is not an approval state (Pending, Approved, Rejected).")))
    }
}
