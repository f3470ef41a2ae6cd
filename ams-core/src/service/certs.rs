//! Encryption certificates: agents seal secrets to the active one; the private keys are sealed
//! under the master key.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use zeroize::Zeroizing;

use crate::ams::Ams;
use crate::clock::{format_time, parse_time};
use crate::crypto::cert::{self, CertParams};
use crate::crypto::pfx::{self, PfxProfile};
use crate::crypto::seal::Binding;
use crate::error::{Error, ErrorCode, Result};
use crate::service::audit::{self, Event};
use crate::service::keys::{Keyring, sealed_binding};
use crate::store::{CertRow, ReadTx, SealedColumn};

/// A certificate as shown to people (public parts only).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CertificateInfo {
    /// SHA-1 thumbprint, upper-case hex.
    pub thumbprint: String,
    /// Subject.
    pub subject: String,
    /// Start of validity.
    pub not_before: String,
    /// End of validity.
    pub not_after: String,
    /// RSA key size.
    pub key_size: i64,
    /// `Active`, `Retained` or `Revoked`.
    pub state: String,
    /// Whether the private key is in the database.
    pub has_private_key: bool,
    /// `Generated` or `Imported`.
    pub source: String,
    /// When it was added.
    pub created: String,
    /// When it was last made active.
    pub activated: Option<String>,
}

fn title(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

impl From<&CertRow> for CertificateInfo {
    fn from(r: &CertRow) -> Self {
        CertificateInfo {
            thumbprint: r.thumbprint.clone(),
            subject: r.subject.clone(),
            not_before: r.not_before.clone(),
            not_after: r.not_after.clone(),
            key_size: r.key_bits,
            state: title(&r.state),
            has_private_key: r.sealed_private_key.is_some(),
            source: title(&r.source),
            created: r.created_at.clone(),
            activated: r.activated_at.clone(),
        }
    }
}

/// Options of `ams cert new`.
#[derive(Debug, Clone)]
pub struct NewCertOptions {
    /// Common name of the subject.
    pub subject: String,
    /// 3072 or 4096.
    pub key_bits: usize,
    /// Validity in days.
    pub validity_days: u32,
    /// Make it the active certificate at once.
    pub activate: bool,
}

pub(crate) fn cert_key_binding(thumbprint: &str) -> Binding<'_> {
    sealed_binding(SealedColumn::CertPrivateKey, thumbprint)
}

/// Looks a certificate up, or fails with [`ErrorCode::CertNotFound`].
/// A new certificate's row, not yet active: what `cert::parse` read from `der`, with its sealed
/// private key and where it came from (`generated` or `imported`).
fn retained_cert_row(
    info: &cert::CertInfo,
    der: &[u8],
    sealed_private_key: Vec<u8>,
    source: &str,
    now: &str,
) -> CertRow {
    CertRow {
        thumbprint: info.thumbprint.clone(),
        subject: info.subject.clone(),
        not_before: format_time(info.not_before),
        not_after: format_time(info.not_after),
        key_bits: i64::try_from(info.key_bits).unwrap_or(0),
        state: "retained".into(),
        der: der.to_vec(),
        sealed_private_key: Some(sealed_private_key),
        source: source.into(),
        created_at: now.to_string(),
        activated_at: None,
    }
}

pub(crate) fn require_cert(tx: &(impl ReadTx + ?Sized), thumbprint: &str) -> Result<CertRow> {
    tx.cert(&thumbprint.to_ascii_uppercase())?.ok_or_else(|| {
        Error::new(ErrorCode::CertNotFound, "No encryption certificate has that thumbprint.")
            .hint("Run `ams cert list` to see the certificates.")
            .with("thumbprint", thumbprint)
    })
}

/// Opens a certificate's sealed private key.
pub(crate) fn private_key(keyring: &Keyring, row: &CertRow) -> Result<Zeroizing<Vec<u8>>> {
    let sealed = row.sealed_private_key.as_ref().ok_or_else(|| {
        Error::new(ErrorCode::CertPrivateKeyMissing, "The certificate's private key is not in the database.")
            .hint("Import the certificate's PFX backup with `ams cert import`; without one, follow the lost-key recovery in docs/certificates.md (`ams cert status`, `ams device expire-password --unreadable`).")
            .with("thumbprint", &row.thumbprint)
    })?;
    keyring.open(&cert_key_binding(&row.thumbprint), sealed)
}

impl Ams {
    /// Makes a new RSA key pair and self-signed encryption certificate; the private key is sealed
    /// under the master key. The first certificate of an instance is always made active.
    pub fn cert_new(&self, keyring: &Keyring, opts: &NewCertOptions) -> Result<CertificateInfo> {
        let generated = cert::generate(&CertParams {
            subject_cn: opts.subject.clone(),
            key_bits: opts.key_bits,
            not_before: self.now_time() - time::Duration::minutes(5),
            validity_days: opts.validity_days,
        })?;
        let info = cert::parse(&generated.certificate_der)?;
        let now = self.now();
        let sealed = keyring.seal(&cert_key_binding(&info.thumbprint), &generated.private_key_pkcs8)?;
        let row = retained_cert_row(&info, &generated.certificate_der, sealed, "generated", &now);
        self.store.write(|tx| {
            let activate = opts.activate || tx.active_cert()?.is_none();
            tx.insert_cert(&row)?;
            if activate {
                tx.activate_cert(&row.thumbprint, &now)?;
            }
            audit::record(
                self,
                tx,
                Event::success("cert.new", "certificate", &row.thumbprint).details(
                    serde_json::json!({"Subject": row.subject, "KeySize": row.key_bits, "Activated": activate}),
                ),
            )?;
            require_cert(tx, &row.thumbprint).map(|r| CertificateInfo::from(&r))
        })
    }

    /// Every certificate, newest first.
    pub fn cert_list(&self) -> Result<Vec<CertificateInfo>> {
        Ok(self.store.read(|tx| tx.certs())?.iter().map(CertificateInfo::from).collect())
    }

    /// Makes a certificate the active one; the previous one is retained for reading old data.
    /// Refuses a revoked or expired certificate, or one without its private key.
    pub fn cert_activate(&self, thumbprint: &str) -> Result<CertificateInfo> {
        let now = self.now_time();
        self.store.write(|tx| {
            let row = require_cert(tx, thumbprint)?;
            let not_usable = |why: &str| {
                Err(Error::new(ErrorCode::CertNotUsable, format!("The certificate cannot be made active: {why}."))
                    .with("thumbprint", &row.thumbprint))
            };
            if row.state == "revoked" {
                return not_usable("it is revoked");
            }
            if row.sealed_private_key.is_none() {
                return not_usable("its private key is not in the database");
            }
            if parse_time(&row.not_after)? <= now {
                return not_usable("it has expired");
            }
            tx.activate_cert(&row.thumbprint, &format_time(now))?;
            audit::record(self, tx, Event::success("cert.activate", "certificate", &row.thumbprint))?;
            require_cert(tx, &row.thumbprint).map(|r| CertificateInfo::from(&r))
        })
    }

    /// The active certificate's DER (public; what agents seal to).
    pub fn active_certificate_der(&self) -> Result<Vec<u8>> {
        self.store.read(|tx| tx.active_cert())?.map(|c| c.der).ok_or_else(|| {
            Error::new(ErrorCode::NoActiveCert, "No encryption certificate is active.")
                .hint("Run `ams cert new` to make one.")
        })
    }
}

// ---------------------------------------------------------------------------------------------
// PFX backup and lost-private-key recovery.

/// The smallest RSA key an imported certificate may carry.
pub const MIN_IMPORT_KEY_BITS: usize = 2048;

/// How `ams cert export` protects the file.
#[derive(Debug, Clone, Copy)]
pub struct PfxExportOptions {
    /// Modern (PBES2/AES-256/HMAC-SHA256) or legacy (3DES/HMAC-SHA1).
    pub profile: PfxProfile,
    /// PBKDF2 and MAC iterations. The CLI always uses [`pfx::EXPORT_ITERATIONS`].
    pub iterations: u32,
}

impl Default for PfxExportOptions {
    fn default() -> Self {
        PfxExportOptions { profile: PfxProfile::Modern, iterations: pfx::EXPORT_ITERATIONS }
    }
}

/// What `ams cert export` reports (never the password).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PfxExportReport {
    /// The exported certificate's thumbprint.
    pub thumbprint: String,
    /// Its subject.
    pub subject: String,
    /// Where the file was written (mode 0600).
    pub path: String,
    /// The protection used, e.g. `Pbes2-Pbkdf2HmacSha256-Aes256Cbc-HmacSha256`.
    pub protection: String,
    /// Key derivation iterations (encryption and MAC).
    pub iterations: u32,
    /// A warning for people (legacy format).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// What `ams cert import` reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PfxImportReport {
    /// The certificate as now stored.
    #[serde(flatten)]
    pub certificate: CertificateInfo,
    /// True when the certificate was already in the database without its private key and the
    /// import put the key back (the lost-key restore).
    pub restored_private_key: bool,
    /// Whether the certificate carries the ams encryption extended key usage.
    pub has_encryption_eku: bool,
    /// Other certificates (a chain) in the file, which are not imported.
    pub ignored_certificates: usize,
}

/// Whether a certificate's private key can be used, as `ams cert status` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyHealth {
    /// Present, opens under the master key, and belongs to the certificate.
    Usable,
    /// Not in the database.
    Missing,
    /// In the database but it does not open (tampered, or sealed under a lost master key).
    Unreadable,
    /// Opens but is not the certificate's key.
    Mismatch,
    /// Secrets name a thumbprint that is not in the database at all.
    UnknownCertificate,
}

impl KeyHealth {
    fn problem(self) -> Option<&'static str> {
        match self {
            KeyHealth::Usable => None,
            KeyHealth::Missing => Some("PrivateKeyMissing"),
            KeyHealth::Unreadable => Some("PrivateKeyUnreadable"),
            KeyHealth::Mismatch => Some("PrivateKeyMismatch"),
            KeyHealth::UnknownCertificate => Some("CertificateNotInDatabase"),
        }
    }
}

/// Checks one certificate's private key without failing: every problem becomes a [`KeyHealth`].
pub(crate) fn key_health(keyring: &Keyring, row: &CertRow) -> KeyHealth {
    let Some(sealed) = row.sealed_private_key.as_ref() else {
        return KeyHealth::Missing;
    };
    let Ok(key) = keyring.open(&cert_key_binding(&row.thumbprint), sealed) else {
        return KeyHealth::Unreadable;
    };
    match cert::key_matches(&row.der, &key) {
        Ok(true) => KeyHealth::Usable,
        _ => KeyHealth::Mismatch,
    }
}

/// The health of every certificate in the database and of every thumbprint a stored secret
/// names, by thumbprint.
pub(crate) fn key_health_map(tx: &(impl ReadTx + ?Sized), keyring: &Keyring) -> Result<BTreeMap<String, KeyHealth>> {
    let mut map: BTreeMap<String, KeyHealth> =
        tx.certs()?.iter().map(|c| (c.thumbprint.clone(), key_health(keyring, c))).collect();
    for count in tx.sealed_secret_counts()? {
        map.entry(count.cert_thumbprint).or_insert(KeyHealth::UnknownCertificate);
    }
    Ok(map)
}

/// One certificate (or unknown thumbprint) in `ams cert status`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CertSecretsStatus {
    /// Thumbprint.
    pub thumbprint: String,
    /// Subject (`None` when the certificate is not in the database).
    pub subject: Option<String>,
    /// `Active`, `Retained`, `Revoked`, or `Unknown` (secrets name a certificate that is not in
    /// the database).
    pub state: String,
    /// Whether the private key is in the database.
    pub has_private_key: bool,
    /// Whether the private key opens under the master key and belongs to the certificate.
    pub private_key_usable: bool,
    /// `PrivateKeyMissing`, `PrivateKeyUnreadable`, `PrivateKeyMismatch` or
    /// `CertificateNotInDatabase`; absent when the key is usable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// Current passwords sealed to it.
    pub current_passwords: i64,
    /// Password history entries sealed to it.
    pub historical_passwords: i64,
    /// BitLocker recovery keys sealed to it.
    pub bitlocker_keys: i64,
    /// Whether the secrets sealed to it can be opened (the same as `PrivateKeyUsable`).
    pub secrets_readable: bool,
}

/// What `ams cert status` reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CertStatusReport {
    /// Every certificate and every unknown thumbprint that secrets are sealed to.
    pub certificates: Vec<CertSecretsStatus>,
    /// The active certificate's thumbprint.
    pub active_certificate: Option<String>,
    /// Whether agents can upload to the active certificate (its private key is usable).
    pub active_certificate_usable: bool,
    /// Current passwords that cannot be opened (their devices need `ams device expire-password --unreadable`).
    pub unreadable_current_passwords: i64,
    /// Password history entries that cannot be opened.
    pub unreadable_historical_passwords: i64,
    /// BitLocker keys that cannot be opened.
    pub unreadable_bitlocker_keys: i64,
}

fn check_out_path(out: &Path) -> Result<()> {
    if out.exists() || out.symlink_metadata().is_ok() {
        return Err(Error::new(ErrorCode::FileExists, "The output file already exists and is never overwritten.")
            .hint("Choose a new file name.")
            .with("path", out.display()));
    }
    Ok(())
}

impl Ams {
    /// Exports a certificate and its private key to a new PFX file (mode 0600, never
    /// overwritten). The password must pass [`pfx::check_password_strength`]. Audited.
    pub fn cert_export(
        &self,
        keyring: &Keyring,
        thumbprint: &str,
        password: &[u8],
        opts: &PfxExportOptions,
        out: &Path,
    ) -> Result<PfxExportReport> {
        pfx::check_password_strength(password)?;
        let password = std::str::from_utf8(password).map_err(|_| Error::internal("password encoding"))?;
        check_out_path(out)?;
        let (row, key) = self.store.read(|tx| {
            let row = require_cert(tx, thumbprint)?;
            let key = private_key(keyring, &row)?;
            Ok((row, key))
        })?;
        if !cert::key_matches(&row.der, &key)? {
            return Err(Error::new(
                ErrorCode::PfxKeyMismatch,
                "The stored private key does not belong to the certificate; it is not exported.",
            )
            .with("thumbprint", &row.thumbprint));
        }
        // The key derivation takes a second or more: do it outside the write transaction.
        let bytes = pfx::encode(&row.der, &key, password, opts.profile, opts.iterations)?;
        drop(key);
        let mut written = false;
        let result = self.store.write(|tx| {
            // The file leaves only together with its audit record.
            require_cert(tx, &row.thumbprint)?;
            audit::record(
                self,
                tx,
                Event::success("cert.export", "certificate", &row.thumbprint).details(serde_json::json!({
                    "Path": out.display().to_string(), "Protection": opts.profile.as_str(), "Iterations": opts.iterations
                })),
            )?;
            crate::instance::write_new_private(out, &bytes)?;
            written = true;
            Ok(PfxExportReport {
                thumbprint: row.thumbprint.clone(),
                subject: row.subject.clone(),
                path: out.display().to_string(),
                protection: opts.profile.as_str().to_string(),
                iterations: opts.iterations,
                warning: (opts.profile == PfxProfile::Legacy).then(|| {
                    "Legacy format: 3DES encryption and an HMAC-SHA1 MAC are weak against password guessing. \
                     Use it only for importers that cannot read AES-256 files, keep it offline, and delete it after use."
                        .to_string()
                }),
            })
        });
        if result.is_err() && written {
            // The transaction (and its audit record) did not commit: take the file back.
            let _ = std::fs::remove_file(out);
        }
        result
    }

    /// Imports a certificate and its private key from a PFX file; the private key is sealed
    /// under the master key. A certificate that is already in the database without its private
    /// key gets the key back. Only `activate` makes the certificate active: an import never
    /// changes which certificate agents seal to by itself (issue 17). Audited.
    pub fn cert_import(
        &self,
        keyring: &Keyring,
        pfx_bytes: &[u8],
        password: &[u8],
        activate: bool,
    ) -> Result<PfxImportReport> {
        let contents = if password.is_empty() {
            // An empty password is only ever passed on purpose (`--no-password`): the CLI refuses
            // an empty line. Both encodings of "no password" are tried.
            pfx::decode_without_password(pfx_bytes)?
        } else {
            let password = std::str::from_utf8(password).map_err(|_| {
                Error::new(ErrorCode::PfxWrongPassword, "The PFX password is wrong (it is not valid UTF-8).")
            })?;
            pfx::decode(pfx_bytes, password)?
        };
        let info = cert::parse(&contents.certificate_der)?;
        if info.key_bits < MIN_IMPORT_KEY_BITS {
            return Err(Error::new(
                ErrorCode::CertInvalid,
                format!(
                    "The certificate's RSA key has {} bits; at least {MIN_IMPORT_KEY_BITS} are required.",
                    info.key_bits
                ),
            )
            .with("thumbprint", &info.thumbprint));
        }
        let now_t = self.now_time();
        let now = format_time(now_t);
        let expired = info.not_after <= now_t;
        if activate && expired {
            return Err(Error::new(ErrorCode::CertNotUsable, "The certificate cannot be made active: it has expired.")
                .hint("Import it without --activate to read old data, and make a new certificate with `ams cert new --activate`.")
                .with("thumbprint", &info.thumbprint));
        }
        let sealed = keyring.seal(&cert_key_binding(&info.thumbprint), &contents.private_key_pkcs8)?;
        self.store.write(|tx| {
            let existing = tx.cert(&info.thumbprint)?;
            let restored = match &existing {
                Some(row) if row.sealed_private_key.is_some() => {
                    return Err(Error::new(
                        ErrorCode::CertExists,
                        "This certificate and its private key are already in the database.",
                    )
                    .hint("Nothing was changed. Run `ams cert list` to see it.")
                    .with("thumbprint", &info.thumbprint));
                }
                Some(row) => {
                    if activate && row.state == "revoked" {
                        return Err(Error::new(
                            ErrorCode::CertNotUsable,
                            "The certificate cannot be made active: it is revoked.",
                        )
                        .with("thumbprint", &row.thumbprint));
                    }
                    tx.set_cert_private_key(&row.thumbprint, &sealed)?;
                    true
                }
                None => {
                    tx.insert_cert(&retained_cert_row(
                        &info,
                        &contents.certificate_der,
                        sealed.clone(),
                        "imported",
                        &now,
                    ))?;
                    false
                }
            };
            let make_active = activate;
            if make_active {
                tx.activate_cert(&info.thumbprint, &now)?;
            }
            audit::record(
                self,
                tx,
                Event::success("cert.import", "certificate", &info.thumbprint).details(serde_json::json!({
                    "Subject": info.subject, "KeySize": info.key_bits, "Activated": make_active,
                    "RestoredPrivateKey": restored, "IgnoredCertificates": contents.extra_certificates
                })),
            )?;
            Ok(PfxImportReport {
                certificate: require_cert(tx, &info.thumbprint).map(|r| CertificateInfo::from(&r))?,
                restored_private_key: restored,
                has_encryption_eku: info.has_encryption_eku,
                ignored_certificates: contents.extra_certificates,
            })
        })
    }

    /// For each certificate (and each unknown thumbprint that secrets name): how many current
    /// and historical passwords and BitLocker keys are sealed to it, and whether they can be
    /// opened. Opens each private key once to check it (audited as `cert.status`).
    pub fn cert_status(&self, keyring: &Keyring) -> Result<CertStatusReport> {
        self.store.write(|tx| {
            let health = key_health_map(tx, keyring)?;
            let counts: BTreeMap<String, (i64, i64, i64)> = tx
                .sealed_secret_counts()?
                .into_iter()
                .map(|c| (c.cert_thumbprint, (c.current_passwords, c.historical_passwords, c.bitlocker_keys)))
                .collect();
            let rows = tx.certs()?;
            let active = tx.active_cert()?;
            let mut report = CertStatusReport {
                certificates: Vec::new(),
                active_certificate: active.as_ref().map(|c| c.thumbprint.clone()),
                active_certificate_usable: active
                    .as_ref()
                    .is_some_and(|c| health.get(&c.thumbprint) == Some(&KeyHealth::Usable)),
                unreadable_current_passwords: 0,
                unreadable_historical_passwords: 0,
                unreadable_bitlocker_keys: 0,
            };
            // Certificates in the database (newest first), then unknown thumbprints.
            let known = rows.iter().map(|r| (r.thumbprint.clone(), Some(r)));
            let unknown =
                health.iter().filter(|(_, h)| **h == KeyHealth::UnknownCertificate).map(|(t, _)| (t.clone(), None));
            for (thumbprint, row) in known.chain(unknown) {
                let h = health.get(&thumbprint).copied().unwrap_or(KeyHealth::UnknownCertificate);
                let (cur, hist, fve) = counts.get(&thumbprint).copied().unwrap_or((0, 0, 0));
                let usable = h == KeyHealth::Usable;
                if !usable {
                    report.unreadable_current_passwords += cur;
                    report.unreadable_historical_passwords += hist;
                    report.unreadable_bitlocker_keys += fve;
                }
                report.certificates.push(CertSecretsStatus {
                    thumbprint,
                    subject: row.map(|r| r.subject.clone()),
                    state: row.map_or_else(|| "Unknown".to_string(), |r| title(&r.state)),
                    has_private_key: row.is_some_and(|r| r.sealed_private_key.is_some()),
                    private_key_usable: usable,
                    problem: h.problem().map(str::to_string),
                    current_passwords: cur,
                    historical_passwords: hist,
                    bitlocker_keys: fve,
                    secrets_readable: usable,
                });
            }
            audit::record(
                self,
                tx,
                Event {
                    event: "cert.status",
                    outcome: audit::Outcome::Success,
                    target_type: None,
                    target_id: None,
                    details: serde_json::json!({
                        "UnreadableCurrentPasswords": report.unreadable_current_passwords,
                        "UnreadableHistoricalPasswords": report.unreadable_historical_passwords,
                        "UnreadableBitLockerKeys": report.unreadable_bitlocker_keys
                    }),
                },
            )?;
            Ok(report)
        })
    }
}
