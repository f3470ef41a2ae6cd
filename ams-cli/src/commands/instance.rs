//! `ams init`.

use ams_core::crypto::seal::KdfParams;
use ams_core::service::keys::{check_recovery_password, generate_recovery_password};
use ams_core::{Ams, Result};
use clap::Args;
use serde_json::Value;

use super::{Ctx, to_json};
use crate::secret::read_secret;

/// Arguments of `ams init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Generate a strong recovery password and print it once, instead of reading one from stdin or a prompt.
    #[arg(long)]
    pub generate_recovery_password: bool,
}

pub fn init(ctx: &Ctx, a: InitArgs) -> Result<Value> {
    let opts = ctx.options()?;
    let generated = if a.generate_recovery_password { Some(generate_recovery_password()?) } else { None };
    let typed = match &generated {
        Some(_) => None,
        None => {
            let pw = read_secret("recovery password", true)?;
            check_recovery_password(&pw)?;
            Some(pw)
        }
    };
    let pw: &[u8] = match (&generated, &typed) {
        (Some(g), _) => g.as_bytes(),
        (None, Some(t)) => t,
        (None, None) => return Err(ams_core::Error::internal("no recovery password")),
    };
    let (_ams, report) = Ams::init(&opts, pw, KdfParams::production()?)?;
    let mut out = to_json(&report)?;
    if let Some(g) = &generated {
        out["RecoveryPassword"] = Value::String(g.to_string());
        out["RecoveryPasswordNotice"] = Value::String(
            "This recovery password is shown only this once. Store it offline: without it, a lost host key file means every secret is lost.".into(),
        );
    }
    Ok(out)
}
