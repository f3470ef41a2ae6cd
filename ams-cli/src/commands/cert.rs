//! `ams cert ...`: encryption certificates.

use std::path::PathBuf;

use ams_core::Result;
use ams_core::crypto::pfx::{self, PfxProfile};
use ams_core::service::certs::{NewCertOptions, PfxExportOptions};
use clap::builder::TypedValueParser;
use clap::{Args, Subcommand};
use serde_json::Value;

use super::{Ctx, to_json};
use crate::secret::read_secret;

#[derive(Debug, Subcommand)]
pub enum CertCommand {
    /// Make a new RSA key pair and self-signed encryption certificate (the first one becomes active).
    New(CertNewArgs),
    /// List the encryption certificates with their state and whether the private key is present.
    List,
    /// Make a certificate the active one; the previous one is retained for reading old data.
    Activate(CertActivateArgs),
    /// Back up a certificate and its private key to a new PFX file (password from stdin or a prompt).
    Export(CertExportArgs),
    /// Import a certificate and its private key from a PFX file (password from stdin or a prompt).
    Import(CertImportArgs),
    /// Per certificate: how many passwords and BitLocker keys are sealed to it and whether they can be opened.
    Status,
}

#[derive(Debug, Args)]
pub struct CertNewArgs {
    /// Common name of the certificate subject.
    #[arg(long, default_value = "ams password encryption")]
    pub subject: String,
    /// RSA key size: 4096 (default) or 3072.
    #[arg(long, default_value_t = 4096, value_parser = clap::builder::PossibleValuesParser::new(["3072", "4096"]).map(|s| s.parse::<usize>().unwrap_or(4096)))]
    pub key_size: usize,
    /// Validity in days (default 20 years).
    #[arg(long, default_value_t = 7305, value_parser = clap::value_parser!(u32).range(1..=36500))]
    pub validity_days: u32,
    /// Make the new certificate active at once.
    #[arg(long)]
    pub activate: bool,
}

#[derive(Debug, Args)]
pub struct CertActivateArgs {
    /// SHA-1 thumbprint of the certificate.
    #[arg(long)]
    pub thumbprint: String,
}

#[derive(Debug, Args)]
pub struct CertExportArgs {
    /// SHA-1 thumbprint of the certificate.
    #[arg(long)]
    pub thumbprint: String,
    /// The PFX file to create (mode 0600; an existing file is never overwritten).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Write 3DES/SHA-1 instead of AES-256/SHA-256, for old Windows Server importers (weaker).
    #[arg(long)]
    pub legacy: bool,
}

#[derive(Debug, Args)]
pub struct CertImportArgs {
    /// The PFX (.pfx or .p12) file.
    #[arg(long, value_name = "FILE")]
    pub pfx: PathBuf,
    /// Make the imported certificate the active one.
    #[arg(long)]
    pub activate: bool,
    /// The file has no password (as Windows and .NET write with an empty or a null one): read no
    /// password. An empty password on stdin is refused, so this never happens by accident.
    #[arg(long)]
    pub no_password: bool,
}

/// Reads a PFX file (see [`pfx::read_file`]: one open handle, a bounded read).
fn read_pfx(path: &std::path::Path) -> Result<Vec<u8>> {
    pfx::read_file(path)
}

pub fn run(ctx: &Ctx, c: CertCommand) -> Result<Value> {
    let ams = ctx.open()?;
    match c {
        CertCommand::New(a) => {
            let keyring = ams.unlock()?;
            let opts = NewCertOptions {
                subject: a.subject,
                key_bits: a.key_size,
                validity_days: a.validity_days,
                activate: a.activate,
            };
            to_json(&ams.cert_new(&keyring, &opts)?)
        }
        CertCommand::List => to_json(&ams.cert_list()?),
        CertCommand::Activate(a) => to_json(&ams.cert_activate(&a.thumbprint)?),
        CertCommand::Export(a) => {
            let keyring = ams.unlock()?;
            let password = read_secret("PFX password", true)?;
            let opts = PfxExportOptions {
                profile: if a.legacy { PfxProfile::Legacy } else { PfxProfile::Modern },
                iterations: pfx::EXPORT_ITERATIONS,
            };
            to_json(&ams.cert_export(&keyring, &a.thumbprint, &password, &opts, &a.out)?)
        }
        CertCommand::Import(a) => {
            let keyring = ams.unlock()?;
            let bytes = read_pfx(&a.pfx)?;
            let password = if a.no_password {
                // The empty password: PKCS#12 decoders treat it and the null password alike.
                zeroize::Zeroizing::new(Vec::new())
            } else {
                read_secret("PFX password", false)?
            };
            to_json(&ams.cert_import(&keyring, &bytes, &password, a.activate)?)
        }
        CertCommand::Status => {
            let keyring = ams.unlock()?;
            to_json(&ams.cert_status(&keyring)?)
        }
    }
}
