//! Keys derived from the master key (issue 17): keyed lookup hashes of registration keys and
//! device credentials, and the key of the audit chain.
//!
//! One 256-bit derivation root per instance is made with HKDF-SHA256 from the master key in force
//! when it is first needed, and kept in `instance_secrets`, sealed under the master key (so a
//! rotation re-seals it like any sealed column, and it stays the same: lookup hashes of device
//! credentials, which exist nowhere in the clear, and the audit chain survive rotations). Each
//! use gets its own key: HKDF-SHA256 from the root with the instance id as salt and the purpose as
//! info. A database writer without the master key cannot compute any of them, so cannot plant a
//! registration key or a device credential of their own, nor rewrite the audit chain.
//!
//! The root is created only by operations an administrator runs with the master key at hand:
//! `ams init`, `ams db migrate`, `ams key recover`, `ams key rotate` and a restore. The same
//! transaction writes the first keyed audit record, whose sequence number the sealed root
//! records, and re-keys the lookup hashes V0006 marked `plain:`: a registration key from its
//! sealed value (a planted row has no valid sealed value, so it is never re-keyed); a device
//! credential, which exists only as its hash, from the old SHA-256 (HMAC over it), and only by the
//! `ams db migrate` that applies V0006 or a restore of an authenticated backup from before it.
//! Nothing else re-keys a `plain:` credential: one planted later never authenticates. The same
//! two moments give stored passwords and BitLocker keys without a row MAC theirs.

use aws_lc_rs::{hkdf, hmac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::ams::Ams;
use crate::crypto::seal::{MasterKey, hex, unhex};
use crate::error::{Error, ErrorCode, Result};
use crate::service::audit::{self, Event};
use crate::service::keys::sealed_binding;
pub use crate::store::LookupKind;
use crate::store::{BitLockerRow, PasswordRow, ReadTx, SealedColumn, Tx};

/// The `instance_secrets` row of the derivation root.
pub(crate) const ROOT_PURPOSE: &str = "derivation-root";
/// Prefix of a keyed lookup hash (HMAC-SHA256, version 1).
pub(crate) const KEYED_PREFIX: &str = "k1:";
/// Prefix V0006 gave the unkeyed SHA-256 lookup hashes of older versions.
#[cfg(test)]
pub(crate) const PLAIN_PREFIX: &str = "plain:";

/// A 256-bit derived key; zeroized on drop.
#[derive(Clone)]
pub(crate) struct DerivedKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for DerivedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DerivedKey(***)")
    }
}

impl DerivedKey {
    fn hmac_hex(&self, data: &[u8]) -> String {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.0[..]);
        hex(hmac::sign(&key, data).as_ref())
    }
}

/// The keys of one instance.
#[derive(Debug, Clone)]
pub(crate) struct DerivedKeys {
    registration_key: DerivedKey,
    device_credential: DerivedKey,
    audit: DerivedKey,
    secret_rows: DerivedKey,
    /// The sequence number of the first keyed audit record.
    pub(crate) audit_keyed_from: i64,
}

/// What the sealed root holds.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RootValue {
    root: String,
    audit_keyed_from: i64,
}

fn hkdf32(ikm: &[u8], salt: &str, info: &str) -> Result<Zeroizing<[u8; 32]>> {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt.as_bytes()).extract(ikm);
    let mut out = Zeroizing::new([0u8; 32]);
    prk.expand(&[info.as_bytes()], hkdf::HKDF_SHA256)
        .and_then(|okm| okm.fill(&mut out[..]))
        .map_err(|_| Error::internal("HKDF expansion failed."))?;
    Ok(out)
}

impl DerivedKeys {
    fn from_root(root: &[u8], instance_id: &str, audit_keyed_from: i64) -> Result<DerivedKeys> {
        let k = |info: &str| hkdf32(root, instance_id, info).map(DerivedKey);
        Ok(DerivedKeys {
            registration_key: k("ams/v1/lookup/registration-key")?,
            device_credential: k("ams/v1/lookup/device-credential")?,
            audit: k("ams/v1/audit-chain")?,
            secret_rows: k("ams/v1/secret-rows")?,
            audit_keyed_from,
        })
    }

    fn lookup_key(&self, kind: LookupKind) -> &DerivedKey {
        match kind {
            LookupKind::RegistrationKey => &self.registration_key,
            LookupKind::DeviceCredential => &self.device_credential,
        }
    }

    /// The stored lookup hash of a value: `k1:` and HMAC-SHA256 over its SHA-256 (hex).
    pub(crate) fn lookup_hash(&self, kind: LookupKind, value: &[u8]) -> String {
        self.rekey(kind, &plain_hash(value))
    }

    /// The keyed form of an unkeyed SHA-256 (hex) lookup hash.
    fn rekey(&self, kind: LookupKind, plain_hex: &str) -> String {
        format!("{KEYED_PREFIX}{}", self.lookup_key(kind).hmac_hex(plain_hex.as_bytes()))
    }

    /// True when `stored` is the keyed hash of `value` (constant time). An unkeyed or `plain:`
    /// hash never matches.
    pub(crate) fn lookup_matches(&self, kind: LookupKind, stored: &str, value: &[u8]) -> bool {
        let want = Zeroizing::new(self.lookup_hash(kind, value));
        stored.starts_with(KEYED_PREFIX) && bool::from(want.as_bytes().ct_eq(stored.as_bytes()))
    }

    /// The MAC of a stored password: its row id, device, account, certificate, upload time and
    /// envelope. A history row moved into the current one (another id) does not verify.
    pub(crate) fn password_row_mac(&self, p: &PasswordRow) -> String {
        let data = format!(
            "ams-row/v1/device_passwords\n{}\n{}\n{}\n{}\n{}\n{}",
            p.id,
            p.device_id,
            p.account_name,
            p.cert_thumbprint,
            p.created_at,
            plain_hash(&p.blob)
        );
        format!("{KEYED_PREFIX}{}", self.secret_rows.hmac_hex(data.as_bytes()))
    }

    /// The MAC of a stored BitLocker key: its device, recovery key id, certificate, upload time and
    /// envelope (the row id stays the same when a key is uploaded again).
    pub(crate) fn bitlocker_row_mac(&self, k: &BitLockerRow) -> String {
        let data = format!(
            "ams-row/v1/bitlocker_keys\n{}\n{}\n{}\n{}\n{}",
            k.device_id,
            k.key_id,
            k.cert_thumbprint,
            k.created_at,
            plain_hash(&k.blob)
        );
        format!("{KEYED_PREFIX}{}", self.secret_rows.hmac_hex(data.as_bytes()))
    }

    /// True when a stored row's MAC is the one it should have (constant time).
    pub(crate) fn row_mac_ok(want: &str, stored: Option<&str>) -> bool {
        stored.is_some_and(|s| bool::from(want.as_bytes().ct_eq(s.as_bytes())))
    }

    /// The keyed hash of an audit record body (see [`audit::record_hash_with`]).
    pub(crate) fn audit_mac(&self, data: &[u8]) -> String {
        format!("{KEYED_PREFIX}{}", self.audit.hmac_hex(data))
    }
}

/// SHA-256 of a value, hex (the unkeyed hash older versions stored).
pub(crate) fn plain_hash(value: &[u8]) -> String {
    hex(&Sha256::digest(value))
}

fn missing_root() -> Error {
    Error::new(
        ErrorCode::DerivationRootMissing,
        "The instance has no derivation root, so registration keys, device credentials and the audit chain cannot be checked.",
    )
    .hint("Run `ams db migrate` (or `ams key recover`) with the master key available; if the root was deleted, restore the database from a backup.")
}

/// Reads and opens the derivation root with a master key. `None` when there is none (yet).
pub(crate) fn load(tx: &(impl ReadTx + ?Sized), master: &MasterKey) -> Result<Option<DerivedKeys>> {
    let Some(sealed) = tx.instance_secret(ROOT_PURPOSE)? else {
        return Ok(None);
    };
    let instance_id = tx.instance()?.map(|i| i.id).unwrap_or_default();
    let plain = master.open(&sealed_binding(SealedColumn::InstanceSecret, ROOT_PURPOSE), &sealed)?;
    let value: RootValue = serde_json::from_slice(&plain)
        .map_err(|_| Error::new(ErrorCode::SealedValueFormat, "The derivation root is damaged."))?;
    let root = Zeroizing::new(
        unhex(&value.root)
            .ok_or_else(|| Error::new(ErrorCode::SealedValueFormat, "The derivation root is damaged."))?,
    );
    let mut value = value;
    zeroize::Zeroize::zeroize(&mut value.root);
    Ok(Some(DerivedKeys::from_root(&root, &instance_id, value.audit_keyed_from)?))
}

/// Reads the derivation root; an error when there is none.
pub(crate) fn require(tx: &(impl ReadTx + ?Sized), master: &MasterKey) -> Result<DerivedKeys> {
    load(tx, master)?.ok_or_else(missing_root)
}

/// Creates the derivation root when there is none, inside the caller's write transaction:
/// derives it from `master` with HKDF, re-keys the `plain:` registration keys from their sealed
/// values (and, with `rekey_credentials`, the `plain:` device credential hashes), and writes the
/// first keyed audit record (`key.derivation_root.create`). Returns the keys, and whether they
/// were created now (the caller then caches them after the commit).
pub(crate) fn ensure(
    ams: &Ams,
    tx: &Tx<'_>,
    master: &MasterKey,
    rekey_credentials: bool,
) -> Result<(DerivedKeys, bool)> {
    if let Some(k) = load(tx, master)? {
        return Ok((k, false));
    }
    let instance_id = tx.instance()?.map(|i| i.id).ok_or_else(|| {
        Error::new(ErrorCode::InstanceNotFound, "The database has no instance record.").hint("Run `ams init`.")
    })?;
    let root = hkdf32(master.key().expose(), &instance_id, &format!("ams/v1/derivation-root/{}", master.id()))?;
    let mut keys = DerivedKeys::from_root(&root[..], &instance_id, 0)?;
    // A registration key is re-keyed from its sealed value: a planted row has none that opens.
    let sealed: std::collections::HashMap<String, Vec<u8>> =
        tx.reg_keys(None, None, None)?.into_iter().map(|k| (k.id, k.sealed_key)).collect();
    let rekeyed = tx.rekey_plain_lookup_hashes(LookupKind::RegistrationKey, &mut |id, _| {
        let value = master.open(&sealed_binding(SealedColumn::RegistrationKey, id), sealed.get(id)?).ok()?;
        Some(keys.lookup_hash(LookupKind::RegistrationKey, String::from_utf8_lossy(&value).trim().as_bytes()))
    })?;
    let mut credentials = 0usize;
    let mut rows = 0usize;
    if rekey_credentials {
        credentials = tx.rekey_plain_lookup_hashes(LookupKind::DeviceCredential, &mut |_, plain| {
            Some(keys.rekey(LookupKind::DeviceCredential, plain))
        })?;
        rows = tx.mac_unmacced_secret_rows(&mut |p| keys.password_row_mac(p), &mut |k| keys.bitlocker_row_mac(k))?;
    }
    audit::record_with(
        ams,
        tx,
        Event::success("key.derivation_root.create", "instance", &instance_id).details(serde_json::json!({
            "RekeyedRegistrationKeys": rekeyed,
            "RekeyedDeviceCredentials": credentials,
            "SecretRowsGivenMac": rows,
            "MasterKeyId": master.id().to_string(),
        })),
        Some(&keys),
    )?;
    let first = tx.last_audit()?.map_or(1, |r| r.seq);
    keys.audit_keyed_from = first;
    let value = RootValue { root: hex(&root[..]), audit_keyed_from: first };
    let json = Zeroizing::new(serde_json::to_vec(&value).map_err(|_| Error::internal("derivation root"))?);
    let mut value = value;
    zeroize::Zeroize::zeroize(&mut value.root);
    let sealed = master.seal(&sealed_binding(SealedColumn::InstanceSecret, ROOT_PURPOSE), &json)?;
    tx.insert_instance_secret(ROOT_PURPOSE, &sealed, &ams.now())?;
    Ok((keys, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_hashes_differ_by_purpose_and_root_and_never_match_plain_ones() {
        let a = DerivedKeys::from_root(&[1u8; 32], "inst", 1).unwrap();
        let b = DerivedKeys::from_root(&[2u8; 32], "inst", 1).unwrap();
        let h = a.lookup_hash(LookupKind::RegistrationKey, b"value");
        assert!(h.starts_with(KEYED_PREFIX));
        assert!(a.lookup_matches(LookupKind::RegistrationKey, &h, b"value"));
        assert!(!a.lookup_matches(LookupKind::DeviceCredential, &h, b"value"));
        assert!(!b.lookup_matches(LookupKind::RegistrationKey, &h, b"value"));
        assert!(!a.lookup_matches(LookupKind::RegistrationKey, &plain_hash(b"value"), b"value"));
        let planted = format!("{PLAIN_PREFIX}{}", plain_hash(b"value"));
        assert!(!a.lookup_matches(LookupKind::RegistrationKey, &planted, b"value"));
        assert_eq!(a.rekey(LookupKind::RegistrationKey, &plain_hash(b"value")), h);
    }
}
