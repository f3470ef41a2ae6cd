//! The directory the JIT engine works in, behind a small provider interface.
//!
//! [`Directory`] is what the engine needs: find users, groups and computers, add and remove group
//! members, create and delete JIT groups, and read a computer's DN and group SIDs for rule
//! evaluation. [`ldap::LdapDirectory`] is the one real implementation (LDAP v3 through the
//! `ldap3` crate's blocking API). Attribute and class names are settings ([`Schema`]), so the
//! same code talks to Active Directory (`objectSid`, `group`, `member`, `groupType`) and to an
//! OpenLDAP test server (`groupOfNames`, `member`, SIDs as text in a standard attribute).

pub mod ber;
pub mod conn;
pub mod laps;
pub mod ldap;
pub mod sd;

use crate::error::{Error, ErrorCode, Result};

/// Names the provider uses for attributes and object classes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    /// Where users, computers and groups are searched.
    pub base_dn: String,
    /// Attribute holding an object's SID (AD: `objectSid`).
    pub sid_attribute: String,
    /// How the SID is stored: binary (AD) or as `S-1-...` text.
    pub sid_format: SidFormat,
    /// Attribute listing a group's member DNs (AD: `member`).
    pub member_attribute: String,
    /// Attribute holding the account name of groups and computers (AD: `sAMAccountName`).
    pub name_attribute: String,
    /// Object class of groups (AD: `group`).
    pub group_object_class: String,
    /// Object class of computers (AD: `computer`).
    pub computer_object_class: String,
    /// Attribute that receives the AD group type when a group is created (AD: `groupType`;
    /// empty: not written).
    pub group_type_attribute: String,
    /// A member every new group gets (schemas such as `groupOfNames` require one).
    pub initial_member_dn: Option<String>,
}

impl Schema {
    /// Active Directory's names.
    pub fn active_directory(base_dn: &str) -> Schema {
        Schema {
            base_dn: base_dn.to_string(),
            sid_attribute: "objectSid".into(),
            sid_format: SidFormat::Binary,
            member_attribute: "member".into(),
            name_attribute: "sAMAccountName".into(),
            group_object_class: "group".into(),
            computer_object_class: "computer".into(),
            group_type_attribute: "groupType".into(),
            initial_member_dn: None,
        }
    }
}

/// How SIDs are stored in the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SidFormat {
    /// The binary form (AD's `objectSid`).
    Binary,
    /// The `S-1-5-...` text.
    String,
}

impl SidFormat {
    /// Parses `binary` or `string`.
    pub fn parse(s: &str) -> Result<SidFormat> {
        match s.to_ascii_lowercase().as_str() {
            "binary" => Ok(SidFormat::Binary),
            "string" => Ok(SidFormat::String),
            _ => Err(Error::new(ErrorCode::JitGroupRuleInvalid, format!("Unknown SID format '{s}'."))
                .hint("Use binary (Active Directory's objectSid) or string.")),
        }
    }

    /// `binary` or `string`.
    pub fn as_str(self) -> &'static str {
        match self {
            SidFormat::Binary => "binary",
            SidFormat::String => "string",
        }
    }
}

/// A group to create.
#[derive(Debug, Clone)]
pub struct NewGroup {
    /// Account name (and `cn`).
    pub name: String,
    /// The OU it goes in.
    pub ou: String,
    /// Description.
    pub description: Option<String>,
    /// AD group type value (e.g. 0x80000004 for domain local), written when the schema names a
    /// group type attribute.
    pub group_type: i64,
}

/// A directory object: its DN and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Distinguished name.
    pub dn: String,
    /// Account name.
    pub name: String,
}

/// What the rules need to know about a computer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComputerInfo {
    /// Its DN.
    pub dn: String,
    /// SIDs of the groups that list it as a member (direct membership only).
    pub group_sids: Vec<String>,
}

/// The directory operations of the JIT engine.
pub trait Directory {
    /// DN of the user with this SID.
    fn user_dn(&mut self, sid: &str) -> Result<String>;
    /// The group with this account name.
    fn group(&mut self, name: &str) -> Result<Option<Entry>>;
    /// Adds a member. Returns false when it was a member already.
    fn add_member(&mut self, group_dn: &str, member_dn: &str) -> Result<bool>;
    /// Removes a member. Returns false when it was not a member.
    fn remove_member(&mut self, group_dn: &str, member_dn: &str) -> Result<bool>;
    /// Whether the DN is a direct member of the group.
    fn is_member(&mut self, group_dn: &str, member_dn: &str) -> Result<bool>;
    /// The computer with this account name: DN and group SIDs.
    fn computer(&mut self, name: &str) -> Result<Option<ComputerInfo>>;
    /// Computers in an OU (and below, with `subtree`).
    fn computers_in(&mut self, ou: &str, subtree: bool) -> Result<Vec<Entry>>;
    /// Groups directly in an OU.
    fn groups_in(&mut self, ou: &str) -> Result<Vec<Entry>>;
    /// Creates a group; returns its DN.
    fn create_group(&mut self, g: &NewGroup) -> Result<String>;
    /// Deletes an object.
    fn delete(&mut self, dn: &str) -> Result<()>;
    /// The SID of an object, if it has one.
    fn sid_of(&mut self, dn: &str) -> Result<Option<String>>;
    /// Replaces one attribute's values.
    fn set_attribute(&mut self, dn: &str, attribute: &str, values: &[String]) -> Result<()>;
    /// Values of one attribute (text).
    fn attribute(&mut self, dn: &str, attribute: &str) -> Result<Vec<String>>;
}

/// The binary form of a SID (`S-1-5-21-...`).
pub fn sid_to_bytes(sid: &str) -> Result<Vec<u8>> {
    let bad =
        || Error::new(ErrorCode::InvalidSid, format!("'{sid}' is not a SID.")).hint("A SID looks like S-1-5-21-...");
    let mut parts = sid.split('-');
    if !parts.next().is_some_and(|p| p.eq_ignore_ascii_case("S")) {
        return Err(bad());
    }
    let rev: u8 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let auth: u64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
    let subs: Vec<u32> = parts.map(|p| p.parse().map_err(|_| bad())).collect::<Result<_>>()?;
    if subs.len() > 15 || auth >= 1 << 48 {
        return Err(bad());
    }
    let mut out = vec![rev, subs.len() as u8];
    out.extend_from_slice(&auth.to_be_bytes()[2..]);
    for s in subs {
        out.extend_from_slice(&s.to_le_bytes());
    }
    Ok(out)
}

/// The text form of a binary SID.
pub fn sid_from_bytes(b: &[u8]) -> Option<String> {
    if b.len() < 8 {
        return None;
    }
    let n = usize::from(b[1]);
    if b.len() != 8 + 4 * n {
        return None;
    }
    let mut auth = [0u8; 8];
    auth[2..].copy_from_slice(&b[2..8]);
    let mut s = format!("S-{}-{}", b[0], u64::from_be_bytes(auth));
    for c in b[8..].chunks_exact(4) {
        s.push_str(&format!("-{}", u32::from_le_bytes([c[0], c[1], c[2], c[3]])));
    }
    Some(s)
}

/// The relative id (last sub-authority) of a SID.
pub fn sid_rid(sid: &str) -> Option<u32> {
    sid.rsplit('-').next().and_then(|r| r.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sid_round_trip() {
        let sid = "S-1-5-21-3623811015-3361044348-30300820-1013";
        let b = sid_to_bytes(sid).unwrap();
        assert_eq!(b.len(), 8 + 4 * 5);
        assert_eq!(b[0], 1);
        assert_eq!(sid_from_bytes(&b).unwrap(), sid);
        assert_eq!(sid_rid(sid), Some(1013));
        assert!(sid_to_bytes("S-1-x").is_err());
        assert!(sid_from_bytes(&[1, 2, 0]).is_none());
    }
}
