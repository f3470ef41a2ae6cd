//! Identity-provider claim mappings (Add/Get/Clear-AmsIdpClaimMapping): which claim of an
//! OpenID Connect or WS-Federation token finds the signing-in user in the directory.
//!
//! Per provider type, the custom mappings are one JSON array in the `service_settings` row
//! `IdpClaimMappings.<type>` (no table of their own: a handful of entries, always read whole).
//! With no custom mapping the built-in defaults apply ([`default_claim_mappings`]: `upn`,
//! `sid` and `onprem_sid`); adding any custom mapping replaces all of them, and clearing the
//! custom mappings brings them back. `Get` lists the custom mappings only.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::ams::Ams;
use crate::error::{Error, ErrorCode, Result};
use crate::service::audit::{self, Event};
use crate::store::ReadTx;

/// Most custom mappings one provider type may have.
pub const MAX_CLAIM_MAPPINGS: usize = 50;

/// Identity-provider types that take claim mappings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IdpType {
    /// OpenID Connect.
    #[serde(rename = "oidc")]
    Oidc,
    /// WS-Federation.
    #[serde(rename = "wsfed")]
    WsFed,
}

impl IdpType {
    /// `oidc` or `wsfed`.
    pub fn as_str(self) -> &'static str {
        match self {
            IdpType::Oidc => "oidc",
            IdpType::WsFed => "wsfed",
        }
    }

    /// Parses `oidc` or `wsfed` (any case).
    pub fn parse(s: &str) -> Result<IdpType> {
        match s.trim().to_ascii_lowercase().as_str() {
            "oidc" => Ok(IdpType::Oidc),
            "wsfed" => Ok(IdpType::WsFed),
            _ => Err(Error::new(ErrorCode::ClaimMappingInvalid, "IdpType must be oidc or wsfed.")),
        }
    }

    fn setting_key(self) -> String {
        format!("IdpClaimMappings.{}", self.as_str())
    }
}

/// What a claim's value holds, and so how the user is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClaimValueType {
    /// A user principal name (`userPrincipalName`).
    Upn,
    /// A pre-Windows 2000 logon name (`sAMAccountName`).
    SamAccountName,
    /// A security identifier (`objectSid`).
    Sid,
    /// A value matched against the attribute named by `DirectoryAttributeName`.
    Custom,
}

impl ClaimValueType {
    /// Parses the type name (any case).
    pub fn parse(s: &str) -> Result<ClaimValueType> {
        match s.trim().to_ascii_lowercase().as_str() {
            "upn" => Ok(ClaimValueType::Upn),
            "samaccountname" => Ok(ClaimValueType::SamAccountName),
            "sid" => Ok(ClaimValueType::Sid),
            "custom" => Ok(ClaimValueType::Custom),
            _ => Err(Error::new(
                ErrorCode::ClaimMappingInvalid,
                "ClaimValueType must be Upn, SamAccountName, Sid or Custom.",
            )),
        }
    }

    /// The directory attribute this type matches (None for `Custom`).
    pub fn attribute(self) -> Option<&'static str> {
        match self {
            ClaimValueType::Upn => Some("userPrincipalName"),
            ClaimValueType::SamAccountName => Some("sAMAccountName"),
            ClaimValueType::Sid => Some("objectSid"),
            ClaimValueType::Custom => None,
        }
    }
}

/// One claim mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClaimMapping {
    /// Provider type.
    pub idp_type: IdpType,
    /// Claim name as the provider sends it (compared exactly; WS-Federation often uses URIs).
    pub claim_name: String,
    /// What the claim holds.
    pub claim_value_type: ClaimValueType,
    /// The attribute matched, for `Custom` mappings only.
    pub directory_attribute_name: Option<String>,
    /// True for a built-in default mapping.
    #[serde(default)]
    pub built_in: bool,
}

/// The built-in mappings that apply while a provider type has no custom mapping: `upn` as a
/// UPN, `sid` and `onprem_sid` as SIDs.
pub fn default_claim_mappings(idp: IdpType) -> Vec<ClaimMapping> {
    [("upn", ClaimValueType::Upn), ("sid", ClaimValueType::Sid), ("onprem_sid", ClaimValueType::Sid)]
        .into_iter()
        .map(|(name, t)| ClaimMapping {
            idp_type: idp,
            claim_name: name.into(),
            claim_value_type: t,
            directory_attribute_name: None,
            built_in: true,
        })
        .collect()
}

fn invalid(message: &str) -> Error {
    Error::new(ErrorCode::ClaimMappingInvalid, message.to_string())
}

/// True for an LDAP attribute name: a letter then letters, digits and hyphens, or a dotted OID.
pub fn is_attribute_name(s: &str) -> bool {
    let descr = s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let oid = s.split('.').count() > 1 && s.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    s.len() <= 128 && (descr || oid)
}

fn check(m: &ClaimMapping) -> Result<ClaimMapping> {
    let claim = m.claim_name.trim();
    if claim.is_empty() || claim.len() > 256 || claim.chars().any(char::is_control) {
        return Err(invalid("ClaimName must be 1 to 256 printable characters."));
    }
    let attribute = m.directory_attribute_name.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let attribute = match (m.claim_value_type, attribute) {
        (ClaimValueType::Custom, None) => {
            return Err(invalid("A Custom mapping needs DirectoryAttributeName (for example mail)."));
        }
        (ClaimValueType::Custom, Some(a)) if !is_attribute_name(a) => {
            return Err(invalid("DirectoryAttributeName must be an LDAP attribute name such as mail."));
        }
        (ClaimValueType::Custom, Some(a)) => Some(a.to_string()),
        (_, Some(_)) => {
            return Err(invalid("DirectoryAttributeName is only used with ClaimValueType Custom.")
                .hint("Leave it out: Upn, SamAccountName and Sid match their own attributes."));
        }
        (_, None) => None,
    };
    Ok(ClaimMapping {
        idp_type: m.idp_type,
        claim_name: claim.to_string(),
        claim_value_type: m.claim_value_type,
        directory_attribute_name: attribute,
        built_in: false,
    })
}

fn load(tx: &(impl ReadTx + ?Sized), idp: IdpType) -> Result<Vec<ClaimMapping>> {
    let Some(text) = tx.setting(&idp.setting_key())? else { return Ok(Vec::new()) };
    let list: Vec<ClaimMapping> = serde_json::from_str(&text).map_err(|_| {
        Error::new(ErrorCode::DbCorrupt, "The stored claim mappings cannot be read.")
            .hint("Run `ams idp-claim-mapping clear` for this provider type and add the mappings again.")
            .with("idp_type", idp.as_str())
    })?;
    Ok(list.into_iter().filter(|m| m.idp_type == idp).collect())
}

impl Ams {
    /// The custom claim mappings of a provider type, in the order they were added (empty while
    /// the built-in defaults apply).
    pub fn claim_mappings(&self, idp: IdpType) -> Result<Vec<ClaimMapping>> {
        self.store.read(|tx| load(tx, idp))
    }

    /// The mappings in force: the custom ones, or the built-in defaults when there are none.
    pub fn effective_claim_mappings(&self, idp: IdpType) -> Result<Vec<ClaimMapping>> {
        let custom = self.claim_mappings(idp)?;
        Ok(if custom.is_empty() { default_claim_mappings(idp) } else { custom })
    }

    /// Adds a custom mapping (the first one replaces the built-in defaults). A second mapping
    /// for the same claim name is refused.
    pub fn add_claim_mapping(&self, mapping: &ClaimMapping) -> Result<ClaimMapping> {
        let m = check(mapping)?;
        let now = self.now();
        self.store.write(|tx| {
            let mut list = load(tx, m.idp_type)?;
            if list.iter().any(|x| x.claim_name == m.claim_name) {
                return Err(Error::new(
                    ErrorCode::ClaimMappingExists,
                    "A mapping for that claim already exists for this provider type.",
                )
                .hint("Run `ams idp-claim-mapping clear` and add the mappings again to change one.")
                .with("idp_type", m.idp_type.as_str())
                .with("claim_name", &m.claim_name));
            }
            if list.len() >= MAX_CLAIM_MAPPINGS {
                return Err(invalid("A provider type has at most 50 custom claim mappings."));
            }
            list.push(m.clone());
            let text = serde_json::to_string(&list).map_err(|_| Error::internal("claim mapping serialisation"))?;
            tx.put_setting(&m.idp_type.setting_key(), &text, &now)?;
            audit::record(
                self,
                tx,
                Event::success("idp_claim_mapping.add", "idp", m.idp_type.as_str()).details(json!({
                    "ClaimName": m.claim_name,
                    "ClaimValueType": m.claim_value_type,
                    "DirectoryAttributeName": m.directory_attribute_name,
                })),
            )?;
            Ok(m.clone())
        })
    }

    /// Removes every custom mapping of a provider type, so the built-in defaults apply again.
    /// Returns how many were removed.
    pub fn clear_claim_mappings(&self, idp: IdpType) -> Result<usize> {
        self.store.write(|tx| {
            let n = load(tx, idp).map(|l| l.len()).unwrap_or(0);
            tx.delete_setting(&idp.setting_key())?;
            audit::record(
                self,
                tx,
                Event::success("idp_claim_mapping.clear", "idp", idp.as_str()).details(json!({ "Removed": n })),
            )?;
            Ok(n)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(t: ClaimValueType, attr: Option<&str>) -> ClaimMapping {
        ClaimMapping {
            idp_type: IdpType::Oidc,
            claim_name: " email ".into(),
            claim_value_type: t,
            directory_attribute_name: attr.map(str::to_string),
            built_in: true,
        }
    }

    #[test]
    fn mappings_are_checked() {
        let ok = check(&m(ClaimValueType::Custom, Some("mail"))).unwrap();
        assert_eq!(ok.claim_name, "email");
        assert!(!ok.built_in);
        assert!(check(&m(ClaimValueType::Custom, None)).is_err());
        assert!(check(&m(ClaimValueType::Custom, Some("bad attr"))).is_err());
        assert!(check(&m(ClaimValueType::Upn, Some("mail"))).is_err());
        assert!(check(&m(ClaimValueType::Upn, Some("  "))).is_ok());
        assert!(is_attribute_name("1.2.840.113556.1.4.221"));
        assert!(!is_attribute_name("1..2"));
        assert_eq!(IdpType::parse("WsFed").unwrap(), IdpType::WsFed);
        assert!(IdpType::parse("iwa").is_err());
        assert_eq!(ClaimValueType::parse("samaccountname").unwrap(), ClaimValueType::SamAccountName);
        let d = default_claim_mappings(IdpType::WsFed);
        assert_eq!(d.iter().map(|x| x.claim_name.as_str()).collect::<Vec<_>>(), ["upn", "sid", "onprem_sid"]);
    }
}
