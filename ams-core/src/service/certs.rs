//! Encryption certificates: agents seal secrets to the active one; the private keys are sealed
//! under the master key.

use serde::Serialize;
use zeroize::Zeroizing;

use crate::ams::Ams;
use crate::clock::{format_time, parse_time};
use crate::crypto::cert::{self, CertParams};
use crate::crypto::seal::Binding;
use crate::error::{Error, ErrorCode, Result};
use crate::service::audit::{self, Event};
use crate::service::keys::Keyring;
use crate::store::{CertRow, Tx};

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

pub(crate) const CERT_TABLE: &str = "certificates";
pub(crate) const CERT_KEY_COLUMN: &str = "sealed_private_key";

pub(crate) fn cert_key_binding(thumbprint: &str) -> Binding<'_> {
    Binding { table: CERT_TABLE, column: CERT_KEY_COLUMN, row_id: thumbprint }
}

/// Looks a certificate up, or fails with [`ErrorCode::CertNotFound`].
pub(crate) fn require_cert(tx: &Tx<'_>, thumbprint: &str) -> Result<CertRow> {
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
            .hint("Import the certificate's PFX backup with `ams cert import`, or see docs/backup-and-restore.md for recovery from a lost certificate.")
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
        let row = CertRow {
            thumbprint: info.thumbprint.clone(),
            subject: info.subject.clone(),
            not_before: format_time(info.not_before),
            not_after: format_time(info.not_after),
            key_bits: i64::try_from(info.key_bits).unwrap_or(0),
            state: "retained".into(),
            der: generated.certificate_der.clone(),
            sealed_private_key: Some(keyring.seal(&cert_key_binding(&info.thumbprint), &generated.private_key_pkcs8)?),
            source: "generated".into(),
            created_at: now.clone(),
            activated_at: None,
        };
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
