//! `ams cert ...`: encryption certificates.

use ams_core::Result;
use ams_core::service::certs::NewCertOptions;
use clap::builder::TypedValueParser;
use clap::{Args, Subcommand};
use serde_json::Value;

use super::{Ctx, to_json};

#[derive(Debug, Subcommand)]
pub enum CertCommand {
    /// Make a new RSA key pair and self-signed encryption certificate (the first one becomes active).
    New(CertNewArgs),
    /// List the encryption certificates with their state and whether the private key is present.
    List,
    /// Make a certificate the active one; the previous one is retained for reading old data.
    Activate(CertActivateArgs),
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
    }
}
