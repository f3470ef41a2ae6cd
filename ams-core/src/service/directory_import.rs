//! `ams computer-authorization-rule import --from-directory`: the LAPS read permissions that OUs
//! delegate in the directory, proposed as computer rules (one AD-container rule per OU, with the
//! principals that may read the LAPS password of its computers), through the CSV import's
//! planning, dry run and apply (service/rule_import.rs).
//!
//! Each OU's `nTSecurityDescriptor` is read with the SD flags control asking for the DACL only.
//! The attributes' schemaIDGUIDs come from the schema (`ms-Mcs-AdmPwd`'s differs between
//! forests), looked up under the schema naming context. What counts as holding the right is in
//! [`crate::directory::sd::grants_attribute_read`].

use ldap3::controls::RawControl;
use serde::Serialize;
use uuid::Uuid;

use crate::ams::Ams;
use crate::directory::laps::{MS_MCS_ADMPWD, MSLAPS_ENCRYPTED_PASSWORD, MSLAPS_PASSWORD};
use crate::directory::ldap::LdapDirectory;
use crate::directory::sd::{self, DACL_SECURITY_INFORMATION, SD_FLAGS_OID};
use crate::error::{Error, ErrorCode, Result};
use crate::service::keys::Keyring;
use crate::service::rule_import::{ImportOptions, ImportReport, ImportSource};

/// The schemaIDGUID of the `computer` class (part of the base schema, the same in every forest);
/// used when the schema container does not list the class.
pub const COMPUTER_CLASS_GUID: &str = "bf967a86-0de6-11d0-a285-00aa003049e2";

/// Trustees never proposed: SYSTEM, SELF, CREATOR OWNER.
const ALWAYS_IGNORED: [&str; 3] = ["S-1-5-18", "S-1-5-10", "S-1-3-0"];

/// Where to look.
#[derive(Debug, Clone, Default)]
pub struct DirectoryImportOptions {
    /// The subtree whose OUs are read (default: the directory's base DN).
    pub base_dn: Option<String>,
    /// The schema naming context (default: the rootDSE's `schemaNamingContext`).
    pub schema_dn: Option<String>,
    /// Principals (SIDs) to leave out, such as the service account.
    pub ignore_principals: Vec<String>,
}

/// One OU's delegated LAPS readers.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LapsPermissionFinding {
    /// The OU.
    pub distinguished_name: String,
    /// A principal that may read a LAPS attribute on the OU's computers.
    pub principal: String,
    /// Which attributes it may read.
    pub attributes: Vec<String>,
}

/// What the directory import found and what it would do (or did).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DirectoryImportReport {
    /// Containers whose security descriptor was read.
    pub containers_read: usize,
    /// The LAPS attributes found in the schema, with their schemaIDGUIDs.
    pub attributes: Vec<(String, String)>,
    /// Who may read what where.
    pub findings: Vec<LapsPermissionFinding>,
    /// The rules, as the CSV import reports them (each finding is one line).
    #[serde(flatten)]
    pub import: ImportReport,
}

fn sd_flags_control() -> RawControl {
    let val = crate::directory::ber::tlv(0x30, &crate::directory::ber::integer(DACL_SECURITY_INFORMATION));
    RawControl { ctype: SD_FLAGS_OID.into(), crit: false, val: Some(val) }
}

fn schema_guid(d: &mut LdapDirectory, schema_dn: &str, name: &str) -> Result<Option<Uuid>> {
    let filter = format!("(lDAPDisplayName={})", ldap3::ldap_escape(name));
    let found = d.subtree(schema_dn, &filter, &["schemaIDGUID"])?;
    Ok(found
        .first()
        .and_then(|e| e.bin_attrs.get("schemaIDGUID"))
        .and_then(|v| v.first())
        .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
        .map(Uuid::from_bytes_le))
}

impl Ams {
    /// Reads the LAPS permissions of the OUs below the base and imports them as rules (a dry
    /// run unless `opts.apply`).
    pub fn computer_rule_import_from_directory(
        &self,
        keyring: &Keyring,
        from: &DirectoryImportOptions,
        opts: &ImportOptions,
    ) -> Result<DirectoryImportReport> {
        let ignored: Vec<String> =
            from.ignore_principals.iter().map(|s| crate::authz::sid::parse_sid(s)).collect::<Result<_>>()?;
        let mut d = self.open_jit_directory(keyring)?;
        let base = from.base_dn.clone().unwrap_or_else(|| d.schema().base_dn.clone());
        let schema_dn = match &from.schema_dn {
            Some(s) => s.clone(),
            None => d
                .entry_with("", &["schemaNamingContext"], Vec::new())?
                .and_then(|e| e.attrs.get("schemaNamingContext").and_then(|v| v.first()).cloned())
                .ok_or_else(|| {
                    Error::new(ErrorCode::DirectoryObjectNotFound, "The directory names no schema naming context.")
                        .hint("Give the schema container with --schema-dn (CN=Schema,CN=Configuration,DC=...).")
                })?,
        };
        let mut attributes = Vec::new();
        for name in [MS_MCS_ADMPWD, MSLAPS_PASSWORD, MSLAPS_ENCRYPTED_PASSWORD] {
            if let Some(g) = schema_guid(&mut d, &schema_dn, name)? {
                attributes.push((name.to_string(), g));
            }
        }
        if attributes.is_empty() {
            return Err(Error::new(
                ErrorCode::DirectoryObjectNotFound,
                format!("The schema under {schema_dn} has neither legacy nor Windows LAPS attributes."),
            )
            .hint("Extend the schema for LAPS first, or give the right schema container with --schema-dn.")
            .with("dn", &schema_dn));
        }
        let computer = match schema_guid(&mut d, &schema_dn, "computer")? {
            Some(g) => g,
            None => Uuid::parse_str(COMPUTER_CLASS_GUID).map_err(|_| Error::internal("computer class GUID"))?,
        };
        let filter = "(|(objectClass=organizationalUnit)(objectClass=domainDNS)(objectClass=container))";
        let containers =
            d.search_with(&base, ldap3::Scope::Subtree, filter, &["nTSecurityDescriptor"], vec![sd_flags_control()])?;
        let mut findings: Vec<LapsPermissionFinding> = Vec::new();
        for c in &containers {
            let Some(bytes) = c.bin_attrs.get("nTSecurityDescriptor").and_then(|v| v.first()) else { continue };
            let aces = sd::parse_dacl(bytes).map_err(|e| e.with("dn", &c.dn))?;
            for (name, guid) in &attributes {
                for sid in sd::readers(&aces, *guid, computer) {
                    if ALWAYS_IGNORED.contains(&sid.as_str()) || ignored.iter().any(|i| i.eq_ignore_ascii_case(&sid)) {
                        continue;
                    }
                    match findings.iter_mut().find(|f| f.distinguished_name == c.dn && f.principal == sid) {
                        Some(f) => f.attributes.push(name.clone()),
                        None => findings.push(LapsPermissionFinding {
                            distinguished_name: c.dn.clone(),
                            principal: sid,
                            attributes: vec![name.clone()],
                        }),
                    }
                }
            }
        }
        let mut w = csv::Writer::from_writer(Vec::new());
        for f in &findings {
            w.write_record([f.distinguished_name.as_str(), f.principal.as_str()])
                .map_err(|e| Error::internal(format!("import lines: {e}")))?;
        }
        let bytes = w.into_inner().map_err(|e| Error::internal(format!("import lines: {e}")))?;
        let import = self.computer_rule_import(&bytes, opts, ImportSource::Directory)?;
        Ok(DirectoryImportReport {
            containers_read: containers.len(),
            attributes: attributes.into_iter().map(|(n, g)| (n, g.to_string())).collect(),
            findings,
            import,
        })
    }
}
