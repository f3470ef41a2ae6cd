//! Passwords and BitLocker keys: the one server-side ingest function every upload goes
//! through, password history retention, and the admin reads.

use std::cell::RefCell;
use std::collections::HashMap;

use serde::Serialize;
use zeroize::Zeroizing;

use crate::ams::Ams;
use crate::clock::{format_time, parse_time};
use crate::crypto::envelope::{self, EnvelopeContext, SecretKind};
use crate::crypto::seal::new_id;
use crate::error::{Error, ErrorCode, Result};
use crate::secret::SecretString;
use crate::service::audit::{self, Event, Outcome};
use crate::service::certs::private_key;
use crate::service::derived::DerivedKeys;
use crate::service::devices::{DeviceSelector, resolve};
use crate::service::keys::Keyring;
use crate::store::{BitLockerRow, DeviceRow, PasswordRow, ReadTx, Tx};

/// What an upload carries besides the sealed blob.
#[derive(Debug, Clone)]
pub enum Upload {
    /// A local administrator password.
    Password {
        /// The account whose password it is.
        account_name: String,
    },
    /// A BitLocker recovery password.
    BitLocker {
        /// Recovery key id (GUID).
        key_id: String,
        /// Volume id.
        volume_id: Option<String>,
        /// `OperatingSystem`, `Fixed` or `Removable`.
        volume_type: Option<String>,
    },
}

impl Upload {
    /// The kind of secret.
    pub fn kind(&self) -> SecretKind {
        match self {
            Upload::Password { .. } => SecretKind::LapsPassword,
            Upload::BitLocker { .. } => SecretKind::BitLockerKey,
        }
    }

    /// What the envelope's context binds besides the kind and the device: the account name
    /// (trimmed) or the recovery key id (lower case, without braces), as stored.
    pub fn subject(&self) -> String {
        match self {
            Upload::Password { account_name } => account_name.trim().to_string(),
            Upload::BitLocker { key_id, .. } => bitlocker_key_id(key_id),
        }
    }
}

/// Checks a BitLocker recovery password: 48 digits in eight groups of six separated by '-', each
/// group divisible by 11 and below 720896 (BitLocker's own check). The ingest runs it on the
/// opened envelope, so every front end (CLI, agent server, reference agent) gets it.
pub fn check_bitlocker_recovery_password(pw: &[u8]) -> Result<()> {
    let s = std::str::from_utf8(pw).unwrap_or("");
    let groups: Vec<&str> = s.split('-').collect();
    let ok = groups.len() == 8
        && groups.iter().all(|g| {
            g.len() == 6
                && g.bytes().all(|b| b.is_ascii_digit())
                && g.parse::<u32>().is_ok_and(|n| n % 11 == 0 && n < 720_896)
        });
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::InvalidRequest,
            "The BitLocker recovery password must be 48 digits in eight groups of six separated by '-'.",
        ))
    }
}

/// Opens a stored envelope with its full context; one uploaded by an older agent (before the
/// context bound the account or key id) opens with the legacy context. Which row it belongs to
/// is proved by the row MAC, checked first.
fn open_bound(key: &[u8], blob: &[u8], ctx: &EnvelopeContext<'_>) -> Result<Zeroizing<Vec<u8>>> {
    match envelope::open(key, blob, ctx) {
        Err(e) if e.code() == ErrorCode::EnvelopeTampered => envelope::open(key, blob, &ctx.legacy()),
        other => other,
    }
}

fn row_unbound(what: &str, row_id: &str, device_id: &str) -> Error {
    Error::new(
        ErrorCode::SecretRowUnbound,
        format!("The stored {what} does not carry the server MAC of its row: it was moved or planted in the database."),
    )
    .hint("Do not trust this entry; restore the database from a backup and compare, and have the device upload a new secret.")
    .with("id", row_id)
    .with("device_id", device_id)
}

/// A BitLocker recovery key id as stored: lower case, without braces.
fn bitlocker_key_id(key_id: &str) -> String {
    key_id.trim().trim_matches(['{', '}']).to_ascii_lowercase()
}

/// What the server tells the agent after a successful upload.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IngestReceipt {
    /// Id of the stored row.
    pub id: String,
    /// Device id.
    pub device_id: String,
    /// Certificate the blob is sealed to.
    pub certificate_thumbprint: String,
    /// For passwords: when the agent must rotate it.
    pub expires: Option<String>,
    /// For passwords: history entries deleted by retention.
    pub history_purged: usize,
}

/// A password as returned by the admin reads.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PasswordInfo {
    /// Computer name.
    pub computer_name: String,
    /// Device id.
    pub device_id: String,
    /// Account name.
    pub account_name: String,
    /// The password (zeroized, `Debug` redacted).
    pub password: SecretString,
    /// Uploaded at.
    pub created: String,
    /// Rotation due at.
    pub expires: Option<String>,
    /// Replaced at (history only).
    pub retired: Option<String>,
    /// Where it came from.
    pub source: String,
    /// History only: why this entry cannot be opened (its certificate or the certificate's private
    /// key is gone); `Password` is then empty. Absent when the entry opened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
    /// The computer's DN, for a password read from the directory (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distinguished_name: Option<String>,
}

/// A BitLocker recovery key as returned by the admin read.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FveRecoveryKeyInfo {
    /// Computer name.
    pub computer_name: String,
    /// Device id.
    pub device_id: String,
    /// Recovery key id.
    pub key_id: String,
    /// Volume id.
    pub volume_id: Option<String>,
    /// Volume type.
    pub volume_type: Option<String>,
    /// The 48-digit recovery password (zeroized, `Debug` redacted).
    pub recovery_password: SecretString,
    /// Uploaded at.
    pub created: String,
    /// Where it came from.
    pub source: String,
    /// The computer's DN, for a key read from the directory (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distinguished_name: Option<String>,
}

/// Checks that a device may upload.
pub(crate) fn check_device_may_upload(d: &DeviceRow) -> Result<()> {
    if d.disabled {
        return Err(Error::new(ErrorCode::DeviceDisabled, "The device is disabled.")
            .hint("Enable it with `ams device set --id ID --enable`.")
            .with("device_id", &d.id));
    }
    if d.approval_state != "Approved" {
        return Err(Error::new(
            ErrorCode::DeviceNotApproved,
            format!("The device is not approved (it is {}).", d.approval_state),
        )
        .hint("Approve it with `ams device set --id ID --approve`.")
        .with("device_id", &d.id));
    }
    Ok(())
}

fn check_upload(u: &Upload) -> Result<()> {
    let bad = |m: &str| Err(Error::invalid(m.to_string()));
    match u {
        Upload::Password { account_name } => {
            if account_name.trim().is_empty()
                || account_name.chars().count() > 256
                || account_name.chars().any(char::is_control)
            {
                return bad("The account name must be 1 to 256 characters without control characters.");
            }
        }
        Upload::BitLocker { key_id, volume_type, .. } => {
            if uuid::Uuid::parse_str(key_id.trim_matches(['{', '}'])).is_err() {
                return bad("The BitLocker key id must be a GUID.");
            }
            if let Some(t) = volume_type
                && !["OperatingSystem", "Fixed", "Removable"].contains(&t.as_str())
            {
                return bad("The volume type must be OperatingSystem, Fixed or Removable.");
            }
        }
    }
    Ok(())
}

/// Which retired passwords retention deletes: outside the newest `keep_count` retired entries
/// and retired more than `keep_days` ago. Both 0 keeps everything.
pub fn retention_victims(
    retired_newest_first: &[PasswordRow],
    keep_count: i64,
    keep_days: i64,
    now: time::OffsetDateTime,
) -> Vec<String> {
    if keep_count == 0 && keep_days == 0 {
        return Vec::new();
    }
    let cutoff = now - time::Duration::days(keep_days);
    retired_newest_first
        .iter()
        .enumerate()
        .filter(|(i, p)| {
            i64::try_from(*i).unwrap_or(i64::MAX) >= keep_count
                && p.retired_at.as_deref().and_then(|r| parse_time(r).ok()).is_some_and(|r| r < cutoff)
        })
        .map(|(_, p)| p.id.clone())
        .collect()
}

impl Ams {
    /// The server-side ingest of an agent upload. The blob is opened once with the private key of
    /// the certificate it names before anything is stored, so a blob the server cannot open
    /// (unknown or revoked certificate, bad padding, tampered, sealed for another device or kind)
    /// is refused with a coded error and the agent never believes it is escrowed. The stored blob
    /// stays sealed to the certificate. Refusals are audited.
    pub fn ingest(&self, keyring: &Keyring, device_id: &str, upload: &Upload, blob: &[u8]) -> Result<IngestReceipt> {
        self.ingest_consuming(keyring, device_id, upload, blob, &|_| Ok(()))
    }

    /// [`Ams::ingest`], running `in_tx` first inside the transaction that stores the secret (the
    /// agent server consumes the request's token id there, so an upload costs one commit). A
    /// failure of `in_tx` stores nothing.
    pub(crate) fn ingest_consuming(
        &self,
        keyring: &Keyring,
        device_id: &str,
        upload: &Upload,
        blob: &[u8],
        in_tx: &dyn Fn(&Tx<'_>) -> Result<()>,
    ) -> Result<IngestReceipt> {
        let result = self.ingest_inner(keyring, device_id, upload, blob, in_tx);
        if let Err(e) = &result
            && e.code() != ErrorCode::AgentTokenReplayed
        {
            let event = match upload {
                Upload::Password { .. } => "password.upload",
                Upload::BitLocker { .. } => "bitlocker.upload",
            };
            let _ = self.store.write(|tx| {
                audit::record(
                    self,
                    tx,
                    Event {
                        event,
                        outcome: Outcome::Failure,
                        target_type: Some("device"),
                        target_id: Some(device_id),
                        details: serde_json::json!({"Error": e.code().as_str()}),
                    },
                )
            });
        }
        result
    }

    fn ingest_inner(
        &self,
        keyring: &Keyring,
        device_id: &str,
        upload: &Upload,
        blob: &[u8],
        in_tx: &dyn Fn(&Tx<'_>) -> Result<()>,
    ) -> Result<IngestReceipt> {
        check_upload(upload)?;
        let header = envelope::header(blob)?;
        let (device, cert, policy) = self.store.read(|tx| {
            let d = resolve(tx, &DeviceSelector::Id(device_id.to_string()))?;
            check_device_may_upload(&d)?;
            let policy = crate::service::agent_policy::resolve(tx, &d)?;
            let c = tx.cert(&header.thumbprint)?.filter(|c| c.state != "revoked").ok_or_else(|| {
                Error::new(
                    ErrorCode::EnvelopeUnknownCert,
                    "The upload is sealed to a certificate this instance does not know or has revoked.",
                )
                .hint("The agent must fetch the active certificate and upload again.")
                .with("thumbprint", &header.thumbprint)
            })?;
            Ok((d, c, policy))
        })?;
        // Prove the blob opens before storing it; the plaintext is dropped (zeroized) at once.
        // A password is checked against the device's agent policy first.
        {
            let key = private_key(keyring, &cert)?;
            // The context binds the account or the recovery key id too (issue 17): an envelope
            // made for one account or key is not accepted for another.
            let subject = upload.subject();
            let ctx = EnvelopeContext { kind: upload.kind(), device_id: &device.id, subject: Some(&subject) };
            let plain = envelope::open(&key, blob, &ctx)?;
            match upload {
                Upload::Password { .. } => policy.check_upload(&String::from_utf8_lossy(&plain))?,
                Upload::BitLocker { .. } => check_bitlocker_recovery_password(&plain)?,
            }
            drop(plain);
        }
        let now_t = self.now_time();
        let now = format_time(now_t);
        let id = new_id()?.to_string();
        self.store.write(|tx| {
            in_tx(tx)?;
            // The device may have changed while the blob was being opened.
            let d = resolve(tx, &DeviceSelector::Id(device.id.clone()))?;
            check_device_may_upload(&d)?;
            let mut receipt = IngestReceipt {
                id: id.clone(),
                device_id: d.id.clone(),
                certificate_thumbprint: cert.thumbprint.clone(),
                expires: None,
                history_purged: 0,
            };
            match upload {
                Upload::Password { account_name } => {
                    let policy = crate::service::agent_policy::resolve(tx, &d)?;
                    let max_age = policy.password_maximum_age_days;
                    let expires = format_time(now_t + time::Duration::days(max_age));
                    tx.retire_current_password(&d.id, &now)?;
                    let mut row = PasswordRow {
                        id: id.clone(),
                        device_id: d.id.clone(),
                        account_name: account_name.trim().to_string(),
                        blob: blob.to_vec(),
                        cert_thumbprint: cert.thumbprint.clone(),
                        created_at: now.clone(),
                        expires_at: Some(expires.clone()),
                        retired_at: None,
                        row_mac: None,
                    };
                    row.row_mac = Some(self.derived_keys_tx(tx, keyring)?.password_row_mac(&row));
                    tx.insert_password(&row)?;
                    receipt.history_purged =
                        self.apply_retention(tx, &d.id, now_t, policy.history_keep_count, policy.history_keep_days)?;
                    tx.clear_rotation_mark(&d.id)?;
                    receipt.expires = Some(expires);
                    audit::record(
                        self,
                        tx,
                        Event::success("password.upload", "device", &d.id).details(serde_json::json!({
                            "PasswordId": id, "AccountName": account_name, "Thumbprint": cert.thumbprint, "HistoryPurged": receipt.history_purged
                        })),
                    )?;
                }
                Upload::BitLocker { key_id, volume_id, volume_type } => {
                    let key_id = bitlocker_key_id(key_id);
                    let mut row = BitLockerRow {
                        id: id.clone(),
                        device_id: d.id.clone(),
                        key_id: key_id.clone(),
                        volume_id: volume_id.clone(),
                        volume_type: volume_type.clone(),
                        blob: blob.to_vec(),
                        cert_thumbprint: cert.thumbprint.clone(),
                        created_at: now.clone(),
                        row_mac: None,
                    };
                    row.row_mac = Some(self.derived_keys_tx(tx, keyring)?.bitlocker_row_mac(&row));
                    tx.upsert_bitlocker_key(&row)?;
                    audit::record(
                        self,
                        tx,
                        Event::success("bitlocker.upload", "device", &d.id)
                            .details(serde_json::json!({"KeyId": key_id, "Thumbprint": cert.thumbprint})),
                    )?;
                }
            }
            Ok(receipt)
        })
    }

    fn apply_retention(
        &self,
        tx: &Tx<'_>,
        device_id: &str,
        now: time::OffsetDateTime,
        keep_count: i64,
        keep_days: i64,
    ) -> Result<usize> {
        let retired: Vec<PasswordRow> =
            tx.passwords(device_id)?.into_iter().filter(|p| p.retired_at.is_some()).collect();
        let victims = retention_victims(&retired, keep_count, keep_days, now);
        tx.delete_passwords(&victims)
    }

    /// Opens password rows (newest first) with the certificates' private keys. With
    /// `tolerate_lost_keys` (history), an entry whose certificate or private key is gone is returned
    /// with an empty password and the reason in `unreadable`; an entry that fails its integrity check
    /// is always an error.
    fn open_passwords(
        &self,
        tx: &(impl ReadTx + ?Sized),
        keyring: &Keyring,
        d: &DeviceRow,
        rows: &[PasswordRow],
        tolerate_lost_keys: bool,
        opener: &Opener<'_>,
    ) -> Result<Vec<PasswordInfo>> {
        let mut keys: HashMap<String, Result<Zeroizing<Vec<u8>>>> = HashMap::new();
        let derived = self.derived_keys_tx(tx, keyring)?;
        // Several entries (a history) are opened on every core first, after their integrity
        // checks; the loop below then takes the opened values in order.
        let opened: Opened;
        let parallel: Opener<'_>;
        let opener = match opener {
            Opener::Now if rows.len() > 1 => {
                let mut jobs = Vec::with_capacity(rows.len());
                for p in rows {
                    if !DerivedKeys::row_mac_ok(&derived.password_row_mac(p), p.row_mac.as_deref()) {
                        return Err(row_unbound("password", &p.id, &d.id));
                    }
                    let key = keys.entry(p.cert_thumbprint.clone()).or_insert_with(|| {
                        crate::service::certs::require_cert(tx, &p.cert_thumbprint)
                            .and_then(|cert| private_key(keyring, &cert))
                    });
                    if let Ok(key) = key {
                        jobs.push(OpenJob {
                            key: key.clone(),
                            blob: p.blob.clone(),
                            kind: SecretKind::LapsPassword,
                            device_id: d.id.clone(),
                            subject: Some(p.account_name.clone()),
                        });
                    }
                }
                opened = open_in_parallel(jobs);
                parallel = Opener::Opened(&opened);
                &parallel
            }
            other => other,
        };
        rows.iter()
            .map(|p| {
                if !DerivedKeys::row_mac_ok(&derived.password_row_mac(p), p.row_mac.as_deref()) {
                    return Err(row_unbound("password", &p.id, &d.id));
                }
                let ctx = EnvelopeContext {
                    kind: SecretKind::LapsPassword,
                    device_id: &d.id,
                    subject: Some(&p.account_name),
                };
                let key = keys.entry(p.cert_thumbprint.clone()).or_insert_with(|| {
                    crate::service::certs::require_cert(tx, &p.cert_thumbprint)
                        .and_then(|cert| private_key(keyring, &cert))
                });
                let (password, unreadable) = match key {
                    Ok(key) => (
                        SecretString::new(String::from_utf8_lossy(&opener.open(key, &p.blob, &ctx)?).into_owned()),
                        None,
                    ),
                    Err(e)
                        if tolerate_lost_keys
                            && matches!(e.code(), ErrorCode::CertNotFound | ErrorCode::CertPrivateKeyMissing) =>
                    {
                        (SecretString::default(), Some(format!("{}: {}", e.code().as_str(), e.message())))
                    }
                    Err(e) => {
                        return Err(Error::new(e.code(), e.message().to_string())
                            .hint(e.hint_text().unwrap_or_default().to_string())
                            .with("thumbprint", &p.cert_thumbprint));
                    }
                };
                Ok(PasswordInfo {
                    computer_name: d.name.clone(),
                    device_id: d.id.clone(),
                    account_name: p.account_name.clone(),
                    password,
                    created: p.created_at.clone(),
                    expires: p.expires_at.clone(),
                    retired: p.retired_at.clone(),
                    source: "Ams".into(),
                    unreadable,
                    distinguished_name: None,
                })
            })
            .collect()
    }

    /// The current local administrator password of a device (admin read, audited).
    pub fn password_current(&self, keyring: &Keyring, sel: &DeviceSelector) -> Result<PasswordInfo> {
        match self.read_secret_audited(keyring, &SecretRead::Password(sel.clone()))? {
            SecretReadResult::Password(p) => Ok(p),
            _ => Err(Error::internal("secret read kind")),
        }
    }

    /// The password history of a device (retired passwords, newest first; admin read, audited).
    pub fn password_history(&self, keyring: &Keyring, sel: &DeviceSelector) -> Result<Vec<PasswordInfo>> {
        match self.read_secret_audited(keyring, &SecretRead::PasswordHistory(sel.clone()))? {
            SecretReadResult::PasswordHistory(p) => Ok(p),
            _ => Err(Error::internal("secret read kind")),
        }
    }

    /// The BitLocker recovery keys of a device (admin read, audited).
    pub fn bitlocker_keys(&self, keyring: &Keyring, sel: &DeviceSelector) -> Result<Vec<FveRecoveryKeyInfo>> {
        match self.read_secret_audited(keyring, &SecretRead::BitLocker(sel.clone()))? {
            SecretReadResult::BitLocker(k) => Ok(k),
            _ => Err(Error::internal("secret read kind")),
        }
    }

    /// One admin read in one write transaction: the audit record commits with the read, so it is
    /// durable before the secret leaves.
    fn read_secret_audited(&self, keyring: &Keyring, read: &SecretRead) -> Result<SecretReadResult> {
        if let SecretRead::Password(_) = read {
            return self.read_password_overlapped(keyring, read);
        }
        self.store.write(|tx| {
            let (out, audit) = self.read_secret(tx, keyring, read, &Opener::Now)?;
            audit.record(self, tx)?;
            Ok(out)
        })
    }

    /// One current-password read whose RSA open runs on a second core while this one commits the
    /// audit record (its fsync): the two slowest steps of a cold read overlap (issue 14). The
    /// password is returned only once its record is durable, as always. The record commits before
    /// the envelope is known to open; when it then fails, a failure record for the same device
    /// follows and the read fails (ADR 0014).
    fn read_password_overlapped(&self, keyring: &Keyring, read: &SecretRead) -> Result<SecretReadResult> {
        std::thread::scope(|scope| {
            let mut opening = None;
            let (out, device_id) = self.store.write(|tx| {
                let jobs = RefCell::new(Vec::new());
                let (out, audit) = self.read_secret(tx, keyring, read, &Opener::Record(&jobs))?;
                let jobs = jobs.into_inner();
                opening = Some(scope.spawn(move || open_in_parallel(jobs)));
                audit.record(self, tx)?;
                Ok((out, audit.device_id))
            })?;
            let opened = opening
                .and_then(|h| h.join().ok())
                .and_then(|o| o.into_values().next())
                .unwrap_or_else(|| Err(Error::internal("The password could not be opened.")));
            match (out, opened) {
                (SecretReadResult::Password(mut p), Ok(plain)) => {
                    p.password = SecretString::new(String::from_utf8_lossy(&plain).into_owned());
                    Ok(SecretReadResult::Password(p))
                }
                (_, Err(e)) => {
                    let _ = self.store.write(|tx| {
                        audit::record(
                            self,
                            tx,
                            Event {
                                event: "password.read",
                                outcome: Outcome::Failure,
                                target_type: Some("device"),
                                target_id: Some(&device_id),
                                details: serde_json::json!({"Error": e.code().as_str()}),
                            },
                        )
                    });
                    Err(e)
                }
                _ => Err(Error::internal("secret read kind")),
            }
        })
    }

    /// Many admin reads at once (`ams batch`): the private-key operations run on every core, and
    /// the audit records of all the reads that succeeded commit in one transaction before any
    /// result is returned. Each read succeeds or fails on its own; the outer error means that
    /// nothing was read (for example, the audit records could not be written).
    pub fn read_secrets(&self, keyring: &Keyring, reads: &[SecretRead]) -> Result<Vec<Result<SecretReadResult>>> {
        // 1. Find every sealed value the reads need (no RSA yet).
        let jobs = RefCell::new(Vec::new());
        self.store.read(|tx| {
            let recorder = Opener::Record(&jobs);
            for read in reads {
                // A read that fails here fails the same way in step 3, which reports it.
                let _ = self.read_secret(tx, keyring, read, &recorder);
            }
            Ok(())
        })?;
        // 2. Open them on every core.
        let opened = open_in_parallel(jobs.into_inner());
        // 3. The reads again, with the opened values, and their audit records in one commit.
        let cache = Opener::Opened(&opened);
        self.store.write(|tx| {
            let mut out = Vec::with_capacity(reads.len());
            for read in reads {
                out.push(match self.read_secret(tx, keyring, read, &cache) {
                    Ok((result, audit)) => {
                        audit.record(self, tx)?;
                        Ok(result)
                    }
                    Err(e) => Err(e),
                });
            }
            Ok(out)
        })
    }

    /// Resolves the device of one read and opens what it asks for inside the caller's
    /// transaction. Returns the result and the audit record the caller must write.
    fn read_secret(
        &self,
        tx: &(impl ReadTx + ?Sized),
        keyring: &Keyring,
        read: &SecretRead,
        opener: &Opener<'_>,
    ) -> Result<(SecretReadResult, ReadAudit)> {
        let d = resolve(tx, read.selector())?;
        Ok(match read {
            SecretRead::Password(_) => {
                let (id, p) = self.read_current_password_with(tx, keyring, &d, opener)?;
                let audit = ReadAudit::new("password.read", &d.id, serde_json::json!({"PasswordId": id}));
                (SecretReadResult::Password(p), audit)
            }
            SecretRead::PasswordHistory(_) => {
                let rows: Vec<PasswordRow> =
                    tx.passwords(&d.id)?.into_iter().filter(|p| p.retired_at.is_some()).collect();
                let out = self.open_passwords(tx, keyring, &d, &rows, true, opener)?;
                let audit = ReadAudit::new("password.history.read", &d.id, serde_json::json!({"Entries": out.len()}));
                (SecretReadResult::PasswordHistory(out), audit)
            }
            SecretRead::BitLocker(_) => {
                let out = self.read_bitlocker_keys_with(tx, keyring, &d, opener)?;
                let audit = ReadAudit::new("bitlocker.read", &d.id, serde_json::json!({"Keys": out.len()}));
                (SecretReadResult::BitLocker(out), audit)
            }
        })
    }

    /// Opens the current password of a device inside the caller's transaction (no audit record:
    /// the caller writes one). Returns the password row id and the password.
    pub(crate) fn read_current_password(
        &self,
        tx: &(impl ReadTx + ?Sized),
        keyring: &Keyring,
        d: &DeviceRow,
    ) -> Result<(String, PasswordInfo)> {
        self.read_current_password_with(tx, keyring, d, &Opener::Now)
    }

    fn read_current_password_with(
        &self,
        tx: &(impl ReadTx + ?Sized),
        keyring: &Keyring,
        d: &DeviceRow,
        opener: &Opener<'_>,
    ) -> Result<(String, PasswordInfo)> {
        let row = tx.current_password(&d.id)?.ok_or_else(|| {
            Error::new(ErrorCode::NoPassword, "The device has no local administrator password stored.")
                .hint("The agent uploads one at its next check-in once the device is approved and a certificate is active.")
                .with("device_id", &d.id)
        })?;
        let mut out = self.open_passwords(tx, keyring, d, std::slice::from_ref(&row), false, opener)?;
        Ok((row.id, out.pop().ok_or_else(|| Error::internal("password row"))?))
    }

    /// Opens the retired passwords of a device inside the caller's transaction (no audit record).
    pub(crate) fn read_password_history(
        &self,
        tx: &(impl ReadTx + ?Sized),
        keyring: &Keyring,
        d: &DeviceRow,
    ) -> Result<Vec<PasswordInfo>> {
        let rows: Vec<PasswordRow> = tx.passwords(&d.id)?.into_iter().filter(|p| p.retired_at.is_some()).collect();
        self.open_passwords(tx, keyring, d, &rows, true, &Opener::Now)
    }

    /// Opens the BitLocker keys of a device inside the caller's transaction (no audit record).
    pub(crate) fn read_bitlocker_keys(
        &self,
        tx: &(impl ReadTx + ?Sized),
        keyring: &Keyring,
        d: &DeviceRow,
    ) -> Result<Vec<FveRecoveryKeyInfo>> {
        self.read_bitlocker_keys_with(tx, keyring, d, &Opener::Now)
    }

    fn read_bitlocker_keys_with(
        &self,
        tx: &(impl ReadTx + ?Sized),
        keyring: &Keyring,
        d: &DeviceRow,
        opener: &Opener<'_>,
    ) -> Result<Vec<FveRecoveryKeyInfo>> {
        let rows = tx.bitlocker_keys(&d.id)?;
        if rows.is_empty() {
            return Err(Error::new(ErrorCode::NoBitLockerKey, "The device has no BitLocker recovery keys stored.")
                .with("device_id", &d.id));
        }
        let derived = self.derived_keys_tx(tx, keyring)?;
        let mut keys: HashMap<String, Zeroizing<Vec<u8>>> = HashMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for k in &rows {
            if !DerivedKeys::row_mac_ok(&derived.bitlocker_row_mac(k), k.row_mac.as_deref()) {
                return Err(row_unbound("BitLocker key", &k.id, &d.id));
            }
            let ctx = EnvelopeContext { kind: SecretKind::BitLockerKey, device_id: &d.id, subject: Some(&k.key_id) };
            if !keys.contains_key(&k.cert_thumbprint) {
                let cert = crate::service::certs::require_cert(tx, &k.cert_thumbprint)?;
                keys.insert(k.cert_thumbprint.clone(), private_key(keyring, &cert)?);
            }
            let key = keys.get(&k.cert_thumbprint).ok_or_else(|| Error::internal("key cache"))?;
            let plain = opener.open(key, &k.blob, &ctx)?;
            out.push(FveRecoveryKeyInfo {
                computer_name: d.name.clone(),
                device_id: d.id.clone(),
                key_id: k.key_id.clone(),
                volume_id: k.volume_id.clone(),
                volume_type: k.volume_type.clone(),
                recovery_password: SecretString::new(String::from_utf8_lossy(&plain).into_owned()),
                created: k.created_at.clone(),
                source: "Ams".into(),
                distinguished_name: None,
            });
        }
        Ok(out)
    }
}

/// One admin read of secrets, as `ams batch` hands them to [`Ams::read_secrets`].
#[derive(Debug, Clone)]
pub enum SecretRead {
    /// The current local administrator password.
    Password(DeviceSelector),
    /// The retired passwords.
    PasswordHistory(DeviceSelector),
    /// The BitLocker recovery keys.
    BitLocker(DeviceSelector),
}

impl SecretRead {
    fn selector(&self) -> &DeviceSelector {
        match self {
            SecretRead::Password(s) | SecretRead::PasswordHistory(s) | SecretRead::BitLocker(s) => s,
        }
    }
}

/// What one [`SecretRead`] returns.
#[derive(Debug, Clone)]
// One result per read, moved once into the caller's list: boxing the password would cost an
// allocation per read for nothing.
#[allow(clippy::large_enum_variant)]
pub enum SecretReadResult {
    /// The current password.
    Password(PasswordInfo),
    /// The history, newest first.
    PasswordHistory(Vec<PasswordInfo>),
    /// The BitLocker keys.
    BitLocker(Vec<FveRecoveryKeyInfo>),
}

/// The audit record of one read, written by the caller in its write transaction.
struct ReadAudit {
    event: &'static str,
    device_id: String,
    details: serde_json::Value,
}

impl ReadAudit {
    fn new(event: &'static str, device_id: &str, details: serde_json::Value) -> Self {
        ReadAudit { event, device_id: device_id.to_string(), details }
    }

    fn record(&self, ams: &Ams, tx: &Tx<'_>) -> Result<()> {
        audit::record(ams, tx, Event::success(self.event, "device", &self.device_id).details(self.details.clone()))
    }
}

/// One sealed value to open: the private key (PKCS#8), the blob and what it is bound to.
struct OpenJob {
    key: Zeroizing<Vec<u8>>,
    blob: Vec<u8>,
    kind: SecretKind,
    device_id: String,
    subject: Option<String>,
}

/// Opened values by blob (a blob is unique: it carries its own random key and nonce).
type Opened = HashMap<Vec<u8>, Result<Zeroizing<Vec<u8>>>>;

/// How the read functions open a sealed value: now, by recording it for a parallel pass, or
/// from that pass's results (falling back to opening it now if the row changed in between).
enum Opener<'a> {
    Now,
    Record(&'a RefCell<Vec<OpenJob>>),
    Opened(&'a Opened),
}

impl Opener<'_> {
    fn open(&self, key: &[u8], blob: &[u8], ctx: &EnvelopeContext<'_>) -> Result<Zeroizing<Vec<u8>>> {
        match self {
            Opener::Now => open_bound(key, blob, ctx),
            Opener::Record(jobs) => {
                jobs.borrow_mut().push(OpenJob {
                    key: Zeroizing::new(key.to_vec()),
                    blob: blob.to_vec(),
                    kind: ctx.kind,
                    device_id: ctx.device_id.to_string(),
                    subject: ctx.subject.map(str::to_string),
                });
                Ok(Zeroizing::new(Vec::new()))
            }
            Opener::Opened(done) => {
                match done.get(blob) {
                    Some(Ok(plain)) => Ok(plain.clone()),
                    Some(Err(e)) => Err(Error::new(e.code(), e.message().to_string())
                        .hint(e.hint_text().unwrap_or_default().to_string())),
                    None => open_bound(key, blob, ctx),
                }
            }
        }
    }
}

/// Opens the jobs on as many threads as the machine has cores (each RSA private-key operation
/// is independent; AWS-LC is thread-safe).
fn open_in_parallel(jobs: Vec<OpenJob>) -> Opened {
    // One job (a cold single read) needs no thread count: asking for it reads the cgroup files.
    let threads = if jobs.len() <= 1 {
        1
    } else {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get).min(jobs.len())
    };
    let chunk = jobs.len().div_ceil(threads).max(1);
    let open = |job: &OpenJob| {
        let ctx = EnvelopeContext { kind: job.kind, device_id: &job.device_id, subject: job.subject.as_deref() };
        (job.blob.clone(), open_bound(&job.key, &job.blob, &ctx))
    };
    if threads <= 1 {
        return jobs.iter().map(open).collect();
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> =
            jobs.chunks(chunk).map(|part| scope.spawn(move || part.iter().map(open).collect::<Vec<_>>())).collect();
        let mut out = Opened::with_capacity(jobs.len());
        for h in handles {
            // A panicking worker leaves its values unopened; step 3 then opens them itself.
            if let Ok(part) = h.join() {
                out.extend(part);
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retired(id: &str, days_ago: i64, now: time::OffsetDateTime) -> PasswordRow {
        PasswordRow {
            id: id.into(),
            device_id: "d".into(),
            account_name: "a".into(),
            blob: vec![],
            cert_thumbprint: "t".into(),
            created_at: format_time(now - time::Duration::days(days_ago + 1)),
            expires_at: None,
            retired_at: Some(format_time(now - time::Duration::days(days_ago))),
            row_mac: None,
        }
    }

    #[test]
    fn retention_follows_count_and_age() {
        let now = time::macros::datetime!(2026-06-01 0:00 UTC);
        let rows: Vec<PasswordRow> = (0..10).map(|i| retired(&i.to_string(), i * 10, now)).collect();
        assert!(retention_victims(&rows, 0, 0, now).is_empty(), "both zero keeps all");
        assert_eq!(retention_victims(&rows, 3, 0, now), vec!["3", "4", "5", "6", "7", "8", "9"]);
        assert_eq!(retention_victims(&rows, 0, 45, now), vec!["5", "6", "7", "8", "9"]);
        assert_eq!(retention_victims(&rows, 7, 15, now), vec!["7", "8", "9"], "count wins when it keeps more");
        assert_eq!(retention_victims(&rows, 2, 65, now), vec!["7", "8", "9"], "age wins when it keeps more");
    }
}
