//! `ams idp-claim-mapping add|get|clear`: custom claim mappings per identity-provider type.

use ams_core::Result;
use ams_core::service::claims::{ClaimMapping, ClaimValueType, IdpType, default_claim_mappings};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};

use super::{Ctx, to_json};

#[derive(Debug, Subcommand)]
pub enum IdpClaimMappingCommand {
    /// Add a custom mapping from a provider's claim to the directory attribute that finds the user. The first custom mapping replaces the built-in defaults (upn, sid, onprem_sid).
    Add(AddArgs),
    /// List the custom mappings of a provider type. An empty list means the built-in defaults apply: upn (a UPN, matched against userPrincipalName), sid and onprem_sid (SIDs, matched against objectSid).
    Get(IdpArgs),
    /// Remove every custom mapping of a provider type, so the built-in defaults (upn, sid, onprem_sid) apply again.
    Clear(IdpArgs),
}

/// Provider types that take claim mappings.
#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "lower")]
pub enum Idp {
    /// OpenID Connect.
    Oidc,
    /// WS-Federation.
    Wsfed,
}

impl From<Idp> for IdpType {
    fn from(i: Idp) -> Self {
        match i {
            Idp::Oidc => IdpType::Oidc,
            Idp::Wsfed => IdpType::WsFed,
        }
    }
}

/// What a claim's value holds.
#[derive(Debug, Clone, Copy, ValueEnum)]
#[value(rename_all = "PascalCase")]
pub enum ValueType {
    /// A user principal name (matched against userPrincipalName).
    Upn,
    /// A pre-Windows 2000 logon name (matched against sAMAccountName).
    SamAccountName,
    /// A security identifier (matched against objectSid).
    Sid,
    /// Matched against the attribute named by --directory-attribute-name.
    Custom,
}

impl From<ValueType> for ClaimValueType {
    fn from(v: ValueType) -> Self {
        match v {
            ValueType::Upn => ClaimValueType::Upn,
            ValueType::SamAccountName => ClaimValueType::SamAccountName,
            ValueType::Sid => ClaimValueType::Sid,
            ValueType::Custom => ClaimValueType::Custom,
        }
    }
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Provider type: oidc or wsfed.
    #[arg(long, value_enum, ignore_case = true)]
    pub idp_type: Idp,
    /// Claim name as the provider sends it (compared exactly).
    #[arg(long)]
    pub claim_name: String,
    /// What the claim holds: Upn, SamAccountName, Sid or Custom.
    #[arg(long, value_enum, ignore_case = true)]
    pub claim_value_type: ValueType,
    /// Directory attribute matched against the claim value (Custom only), e.g. mail.
    #[arg(long)]
    pub directory_attribute_name: Option<String>,
}

#[derive(Debug, Args)]
pub struct IdpArgs {
    /// Provider type: oidc or wsfed.
    #[arg(long, value_enum, ignore_case = true)]
    pub idp_type: Idp,
}

pub fn run(ctx: &Ctx, c: IdpClaimMappingCommand) -> Result<Value> {
    let ams = ctx.open()?;
    match c {
        IdpClaimMappingCommand::Add(a) => {
            let m = ClaimMapping {
                idp_type: a.idp_type.into(),
                claim_name: a.claim_name,
                claim_value_type: a.claim_value_type.into(),
                directory_attribute_name: a.directory_attribute_name,
                built_in: false,
            };
            to_json(&ams.add_claim_mapping(&m)?)
        }
        IdpClaimMappingCommand::Get(a) => to_json(&ams.claim_mappings(a.idp_type.into())?),
        IdpClaimMappingCommand::Clear(a) => {
            let idp: IdpType = a.idp_type.into();
            let removed = ams.clear_claim_mappings(idp)?;
            Ok(json!({
                "IdpType": idp.as_str(),
                "Removed": removed,
                "InForce": to_json(&default_claim_mappings(idp))?,
            }))
        }
    }
}
