//! Large instances for benchmarks (feature `bench`; never in a build users install).
//!
//! [`populate`] writes devices and password rows straight through the store contract in one
//! write transaction, so it works on every engine and is far faster than registering devices
//! one by one. It writes no audit records: an instance built this way is for measuring only.

use crate::ams::Ams;
use crate::crypto::envelope::{self, EnvelopeContext, OaepHash, SecretKind};
use crate::crypto::seal::new_id;
use crate::error::Result;
use crate::service::agent::device_sid;
use crate::store::{DeviceRow, PasswordRow};

/// What [`populate`] builds.
#[derive(Debug, Clone, Copy)]
pub struct Populate {
    /// Devices, named `PC000000`, `PC000001`, … with DNS names `<name>.bench.test`.
    pub devices: usize,
    /// Retired passwords per device, besides the current one.
    pub history: usize,
    /// How many devices (the first ones) get an envelope of their own, sealed to the active
    /// certificate, so reading them decrypts for real; every other device carries a copy of the
    /// first envelope (the same size, never opened). `usize::MAX` seals one for every device.
    pub real_envelopes: usize,
    /// The OAEP hash the envelopes use.
    pub oaep: OaepHash,
}

/// The name of the `n`-th device [`populate`] writes.
pub fn device_name(n: usize) -> String {
    format!("PC{n:06}")
}

/// Writes `p.devices` approved devices with a current password each and `p.history` retired ones,
/// sealed to the instance's active certificate. Returns the number of password rows written.
pub fn populate(ams: &Ams, p: &Populate) -> Result<usize> {
    let cert = ams.active_certificate_der()?;
    let thumbprint = ams.store().read(|tx| tx.active_cert())?.map(|c| c.thumbprint).unwrap_or_default();
    let instance = ams.key_status()?.instance_id;
    let now = ams.now();
    // Stored rows carry their server MAC (as the ingest writes it).
    let derived = ams.derived_keys(&ams.unlock()?)?;
    let mut template: Option<Vec<u8>> = None;
    let mut rows = 0;
    ams.store().write_bulk(|tx| {
        for n in 0..p.devices {
            let id = new_id()?;
            let ids = id.to_string();
            let name = device_name(n);
            tx.insert_device(&DeviceRow {
                id: ids.clone(),
                dns_name: Some(format!("{name}.bench.test")),
                name,
                authority_type: "Ams".into(),
                authority_id: instance.clone(),
                authority_device_id: ids.clone(),
                sid: device_sid(&id),
                os_type: "Windows".into(),
                os_family: Some("Windows".into()),
                os_version: Some("10.0".into()),
                agent_version: Some("1.0".into()),
                approval_state: "Approved".into(),
                disabled: false,
                registration_key_id: None,
                credential_hash: None,
                created_at: now.clone(),
                modified_at: now.clone(),
            })?;
            // One envelope per device: its history rows carry the same one (same device context).
            let blob = match &template {
                Some(t) if n >= p.real_envelopes => t.clone(),
                _ => {
                    let ctx = EnvelopeContext {
                        kind: SecretKind::LapsPassword,
                        device_id: &ids,
                        subject: Some("Administrator"),
                    };
                    let b = envelope::seal(&cert, p.oaep, &ctx, format!("Bench-{n}-Pw!").as_bytes())?;
                    template.get_or_insert_with(|| b.clone());
                    b
                }
            };
            for h in 0..=p.history {
                let current = h == p.history;
                let mut row = PasswordRow {
                    id: new_id()?.to_string(),
                    device_id: ids.clone(),
                    account_name: "Administrator".into(),
                    blob: blob.clone(),
                    cert_thumbprint: thumbprint.clone(),
                    created_at: format!("2026-01-01T00:{:02}:00.{:06}Z", h % 60, n % 1_000_000),
                    expires_at: Some("2099-01-01T00:00:00.000000Z".into()),
                    retired_at: (!current)
                        .then(|| format!("2026-01-01T00:{:02}:00.{:06}Z", (h + 1) % 60, n % 1_000_000)),
                    row_mac: None,
                };
                row.row_mac = Some(derived.password_row_mac(&row));
                tx.insert_password(&row)?;
                rows += 1;
            }
        }
        Ok(())
    })?;
    Ok(rows)
}

/// Adds `entries` retired passwords to the device named `name`, each with an envelope of its own
/// sealed to the active certificate (so a history read opens every one for real), older than
/// the rows [`populate`] writes. Returns the device id.
pub fn add_history(ams: &Ams, name: &str, entries: usize, oaep: OaepHash) -> Result<String> {
    let cert = ams.active_certificate_der()?;
    let thumbprint = ams.store().read(|tx| tx.active_cert())?.map(|c| c.thumbprint).unwrap_or_default();
    let derived = ams.derived_keys(&ams.unlock()?)?;
    let device = ams
        .store()
        .read(|tx| tx.devices(None, Some(name), None))?
        .pop()
        .ok_or_else(|| crate::error::Error::invalid(format!("no device {name}")))?;
    let mut rows = Vec::with_capacity(entries);
    for h in 0..entries {
        let ctx =
            EnvelopeContext { kind: SecretKind::LapsPassword, device_id: &device.id, subject: Some("Administrator") };
        let blob = envelope::seal(&cert, oaep, &ctx, format!("History-{h}-Pw!").as_bytes())?;
        // Seconds before 2026-01-01 (the rows `populate` writes), newest first by index.
        let at = time::OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(1_767_225_600 - 60 - h as i64 * 60);
        let mut row = PasswordRow {
            id: new_id()?.to_string(),
            device_id: device.id.clone(),
            account_name: "Administrator".into(),
            blob,
            cert_thumbprint: thumbprint.clone(),
            created_at: crate::clock::format_time(at - time::Duration::seconds(30)),
            expires_at: Some("2099-01-01T00:00:00.000000Z".into()),
            retired_at: Some(crate::clock::format_time(at)),
            row_mac: None,
        };
        row.row_mac = Some(derived.password_row_mac(&row));
        rows.push(row);
    }
    ams.store().write(|tx| rows.iter().try_for_each(|r| tx.insert_password(r)))?;
    Ok(device.id)
}

/// The PKCS#8 (DER) private key of the active certificate, for baselines that decrypt with the
/// `openssl` command line. Benchmarks only: it is the instance's secret.
pub fn active_private_key_der(ams: &Ams) -> Result<zeroize::Zeroizing<Vec<u8>>> {
    let keyring = ams.unlock()?;
    let cert = ams
        .store()
        .read(|tx| tx.active_cert())?
        .ok_or_else(|| crate::error::Error::invalid("no active certificate"))?;
    crate::service::certs::private_key(&keyring, &cert)
}
