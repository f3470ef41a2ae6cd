//! Device registration keys: what agents present to register.

use serde::Serialize;
use zeroize::Zeroizing;

use crate::ams::Ams;
use crate::crypto::seal::{new_id, random_bytes};
use crate::error::{Error, ErrorCode, Result};
use crate::secret::SecretString;
use crate::service::audit::{self, Event};
use crate::service::derived::{DerivedKeys, LookupKind};
use crate::service::groups::require_custom_group;
use crate::service::keys::{Keyring, sealed_binding};
use crate::store::{ReadTx, RegKeyRow, SealedColumn, on_unique};

/// A registration key as shown to admins (the key value needs the master key).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegistrationKeyInfo {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The key value agents present (zeroized, `Debug` redacted).
    pub key: SecretString,
    /// 0 = unlimited.
    pub activation_limit: i64,
    /// Registrations so far.
    pub activation_count: i64,
    /// Enabled.
    pub enabled: bool,
    /// New devices start pending approval.
    pub approval_required: bool,
    /// Ids of the groups new devices are put in.
    pub groups: Vec<String>,
    /// Created at.
    pub created: String,
    /// Modified at.
    pub modified: String,
}

/// Changes of `Set-AmsDeviceRegistrationKey`; `None` leaves a setting alone.
#[derive(Debug, Clone, Default)]
pub struct RegKeyChanges {
    /// New name.
    pub name: Option<String>,
    /// Enable (true) or disable (false).
    pub enabled: Option<bool>,
    /// New activation limit.
    pub activation_limit: Option<i64>,
    /// Require approval (true) or not (false).
    pub approval_required: Option<bool>,
    /// Set the activation count back to 0.
    pub reset_activation_count: bool,
}

/// The lookup hash of a key value (keyed: HMAC-SHA256 with a key derived from the master key,
/// see `service/derived.rs`): how keys are found without storing them in the clear, and without
/// letting anyone who can write the database plant one.
pub(crate) fn key_hash(keys: &DerivedKeys, value: &str) -> String {
    keys.lookup_hash(LookupKind::RegistrationKey, value.trim().as_bytes())
}

/// The registration key a value names, if any: found by its keyed hash, compared in constant time.
pub(crate) fn find_by_value(tx: &(impl ReadTx + ?Sized), keys: &DerivedKeys, value: &str) -> Result<Option<RegKeyRow>> {
    let hash = key_hash(keys, value);
    Ok(tx
        .reg_keys(None, None, Some(&hash))?
        .into_iter()
        .find(|k| keys.lookup_matches(LookupKind::RegistrationKey, &k.key_hash, value.trim().as_bytes())))
}

fn generate_value() -> Result<Zeroizing<String>> {
    // 32 characters from 32 symbols without look-alikes (l, o, 0, 1): 160 bits.
    const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let bytes = Zeroizing::new(random_bytes::<32>()?);
    Ok(Zeroizing::new(bytes.iter().map(|b| char::from(ALPHABET[usize::from(b & 31)])).collect()))
}

fn check_name(name: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 100 || n.chars().any(char::is_control) {
        return Err(Error::invalid("A registration key name must be 1 to 100 characters without control characters."));
    }
    Ok(n.to_string())
}

fn check_limit(limit: i64) -> Result<i64> {
    if !(0..=i64::from(i32::MAX)).contains(&limit) {
        return Err(Error::invalid("The activation limit must be 0 (unlimited) or a positive number."));
    }
    Ok(limit)
}

fn exists(name: &str) -> Error {
    Error::new(ErrorCode::RegKeyExists, "A registration key with that name already exists.").with("name", name)
}

pub(crate) fn require_reg_key(tx: &(impl ReadTx + ?Sized), id: &str) -> Result<RegKeyRow> {
    tx.reg_keys(Some(id), None, None)?.pop().ok_or_else(|| {
        Error::new(ErrorCode::RegKeyNotFound, "No registration key matches.")
            .hint("Run `ams device-registration-key get` to list keys.")
            .with("id", id)
    })
}

fn info(tx: &(impl ReadTx + ?Sized), keyring: &Keyring, k: &RegKeyRow) -> Result<RegistrationKeyInfo> {
    let value = keyring.open(&sealed_binding(SealedColumn::RegistrationKey, &k.id), &k.sealed_key)?;
    Ok(RegistrationKeyInfo {
        id: k.id.clone(),
        name: k.name.clone(),
        key: SecretString::new(String::from_utf8_lossy(&value).into_owned()),
        activation_limit: k.activation_limit,
        activation_count: k.activation_count,
        enabled: k.enabled,
        approval_required: k.approval_required,
        groups: tx.reg_key_group_ids(&k.id)?,
        created: k.created_at.clone(),
        modified: k.modified_at.clone(),
    })
}

impl Ams {
    /// Creates a registration key with a fresh random value.
    pub fn reg_key_new(
        &self,
        keyring: &Keyring,
        name: &str,
        enabled: bool,
        activation_limit: i64,
        approval_required: bool,
    ) -> Result<RegistrationKeyInfo> {
        let name = check_name(name)?;
        let limit = check_limit(activation_limit)?;
        let id = new_id()?.to_string();
        let value = generate_value()?;
        let keys = self.derived_keys(keyring)?;
        let now = self.now();
        let row = RegKeyRow {
            id: id.clone(),
            name: name.clone(),
            key_hash: key_hash(&keys, &value),
            sealed_key: keyring.seal(&sealed_binding(SealedColumn::RegistrationKey, &id), value.as_bytes())?,
            activation_limit: limit,
            activation_count: 0,
            enabled,
            approval_required,
            created_at: now.clone(),
            modified_at: now,
        };
        self.store.write(|tx| {
            tx.insert_reg_key(&row).map_err(|e| on_unique(e, || exists(&name)))?;
            audit::record(
                self,
                tx,
                Event::success("regkey.new", "registration_key", &id)
                    .details(serde_json::json!({"Name": name, "ActivationLimit": limit, "Enabled": enabled, "ApprovalRequired": approval_required})),
            )?;
            info(tx, keyring, &row)
        })
    }

    /// Lists registration keys, optionally by id, name or key value.
    pub fn reg_keys(
        &self,
        keyring: &Keyring,
        id: Option<&str>,
        name: Option<&str>,
        key: Option<&str>,
    ) -> Result<Vec<RegistrationKeyInfo>> {
        let keys = match key {
            Some(_) => Some(self.derived_keys(keyring)?),
            None => None,
        };
        self.store.read(|tx| {
            let rows = match (key, &keys) {
                (Some(v), Some(k)) => find_by_value(tx, k, v)?
                    .into_iter()
                    .filter(|r| id.is_none_or(|i| r.id == i) && name.is_none_or(|n| r.name.eq_ignore_ascii_case(n)))
                    .collect(),
                _ => tx.reg_keys(id, name, None)?,
            };
            rows.iter().map(|k| info(tx, keyring, k)).collect()
        })
    }

    /// Changes a registration key.
    pub fn reg_key_set(&self, keyring: &Keyring, id: &str, ch: &RegKeyChanges) -> Result<RegistrationKeyInfo> {
        let now = self.now();
        self.store.write(|tx| {
            let mut k = require_reg_key(tx, id)?;
            if let Some(n) = &ch.name {
                k.name = check_name(n)?;
            }
            if let Some(e) = ch.enabled {
                k.enabled = e;
            }
            if let Some(l) = ch.activation_limit {
                k.activation_limit = check_limit(l)?;
            }
            if let Some(a) = ch.approval_required {
                k.approval_required = a;
            }
            if ch.reset_activation_count {
                k.activation_count = 0;
            }
            k.modified_at = now.clone();
            tx.update_reg_key(&k).map_err(|e| on_unique(e, || exists(&k.name)))?;
            audit::record(
                self,
                tx,
                Event::success("regkey.set", "registration_key", &k.id).details(serde_json::json!({
                    "Name": k.name, "ActivationLimit": k.activation_limit, "Enabled": k.enabled,
                    "ApprovalRequired": k.approval_required, "ResetActivationCount": ch.reset_activation_count
                })),
            )?;
            info(tx, keyring, &k)
        })
    }

    /// Deletes a registration key. An enabled key may still be in deployment scripts: that needs `force`.
    pub fn reg_key_remove(&self, id: &str, force: bool) -> Result<()> {
        self.store.write(|tx| {
            let k = require_reg_key(tx, id)?;
            if k.enabled && !force {
                return Err(Error::new(
                    ErrorCode::ForceRequired,
                    "The registration key is enabled; agents being deployed with it would fail to register.",
                )
                .hint("Add --force to delete it anyway, or disable it first.")
                .with("id", &k.id));
            }
            tx.delete_reg_key(&k.id)?;
            audit::record(
                self,
                tx,
                Event::success("regkey.remove", "registration_key", &k.id).details(serde_json::json!({"Name": k.name})),
            )
        })
    }

    /// Attaches (`attach = true`) or detaches groups from a registration key.
    pub fn reg_key_groups(&self, id: &str, groups: &[String], attach: bool) -> Result<()> {
        self.store.write(|tx| {
            let k = require_reg_key(tx, id)?;
            for g in groups {
                let g = require_custom_group(tx, g)?;
                let changed =
                    if attach { tx.add_reg_key_group(&k.id, &g.id)? } else { tx.remove_reg_key_group(&k.id, &g.id)? };
                if changed {
                    let ev = if attach { "regkey.group.add" } else { "regkey.group.remove" };
                    audit::record(
                        self,
                        tx,
                        Event::success(ev, "registration_key", &k.id).details(serde_json::json!({"GroupId": g.id})),
                    )?;
                }
            }
            Ok(())
        })
    }
}
