//! Windows security descriptors as Active Directory returns them in `nTSecurityDescriptor`
//! (self-relative form), and the question the LAPS permission import asks of them: which
//! principals may read a given attribute (by its schemaIDGUID) on computer objects below an OU.
//!
//! Only the DACL is read (the SD flags control asks for it alone, so the bind account needs no
//! right to the SACL). Every offset and size is checked: a malformed descriptor is
//! [`ErrorCode::SecurityDescriptorInvalid`], never a panic.

use uuid::Uuid;

use super::sid_from_bytes;
use crate::error::{Error, ErrorCode, Result};

/// `SE_DACL_PRESENT`.
const SE_DACL_PRESENT: u16 = 0x0004;
/// `SE_SELF_RELATIVE`.
const SE_SELF_RELATIVE: u16 = 0x8000;

/// ACE types.
pub const ACCESS_ALLOWED_ACE_TYPE: u8 = 0x00;
/// Denied.
pub const ACCESS_DENIED_ACE_TYPE: u8 = 0x01;
/// Allowed, with object types.
pub const ACCESS_ALLOWED_OBJECT_ACE_TYPE: u8 = 0x05;
/// Denied, with object types.
pub const ACCESS_DENIED_OBJECT_ACE_TYPE: u8 = 0x06;

/// ACE flags.
pub const OBJECT_INHERIT_ACE: u8 = 0x01;
/// Inherited by containers (and so by the objects below).
pub const CONTAINER_INHERIT_ACE: u8 = 0x02;
/// Does not apply to the object itself.
pub const INHERIT_ONLY_ACE: u8 = 0x08;
/// Came from a parent.
pub const INHERITED_ACE: u8 = 0x10;

/// Directory rights.
pub const ADS_RIGHT_DS_READ_PROP: u32 = 0x0000_0010;
/// Control access (extended rights; needed for confidential attributes).
pub const ADS_RIGHT_DS_CONTROL_ACCESS: u32 = 0x0000_0100;
/// Generic all (full control).
pub const GENERIC_ALL: u32 = 0x1000_0000;

const ACE_OBJECT_TYPE_PRESENT: u32 = 0x1;
const ACE_INHERITED_OBJECT_TYPE_PRESENT: u32 = 0x2;

/// The value of the LDAP_SERVER_SD_FLAGS_OID control asking for the DACL only.
pub const SD_FLAGS_OID: &str = "1.2.840.113556.1.4.801";
/// `DACL_SECURITY_INFORMATION`.
pub const DACL_SECURITY_INFORMATION: i64 = 0x4;

/// One access control entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ace {
    /// ACE type.
    pub ace_type: u8,
    /// ACE flags.
    pub flags: u8,
    /// Access mask.
    pub mask: u32,
    /// Object type (object ACEs): the attribute, property set or extended right.
    pub object_type: Option<Uuid>,
    /// Inherited object type (object ACEs): the class of objects it is inherited by.
    pub inherited_object_type: Option<Uuid>,
    /// The trustee.
    pub sid: String,
}

impl Ace {
    /// An allow ACE.
    pub fn allows(&self) -> bool {
        matches!(self.ace_type, ACCESS_ALLOWED_ACE_TYPE | ACCESS_ALLOWED_OBJECT_ACE_TYPE)
    }

    /// A deny ACE.
    pub fn denies(&self) -> bool {
        matches!(self.ace_type, ACCESS_DENIED_ACE_TYPE | ACCESS_DENIED_OBJECT_ACE_TYPE)
    }
}

fn invalid(why: &str) -> Error {
    Error::new(ErrorCode::SecurityDescriptorInvalid, format!("The security descriptor is not valid: {why}."))
        .hint("The directory sent an nTSecurityDescriptor that is not a self-relative security descriptor.")
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at + 2).map(|s| u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn guid_at(b: &[u8], at: usize) -> Option<Uuid> {
    b.get(at..at + 16).and_then(|s| <[u8; 16]>::try_from(s).ok()).map(Uuid::from_bytes_le)
}

/// A SID at the start of `b` (its length follows from the sub-authority count).
fn sid_at(b: &[u8]) -> Option<String> {
    let n = usize::from(*b.get(1)?);
    sid_from_bytes(b.get(..8 + 4 * n)?)
}

/// The DACL's entries of a self-relative security descriptor (empty when it has no DACL).
pub fn parse_dacl(sd: &[u8]) -> Result<Vec<Ace>> {
    if sd.len() < 20 || sd[0] != 1 {
        return Err(invalid("too short or not revision 1"));
    }
    let control = u16_at(sd, 2).ok_or_else(|| invalid("no control field"))?;
    if control & SE_SELF_RELATIVE == 0 {
        return Err(invalid("not in self-relative form"));
    }
    let dacl_at = u32_at(sd, 16).ok_or_else(|| invalid("no DACL offset"))? as usize;
    if control & SE_DACL_PRESENT == 0 || dacl_at == 0 {
        return Ok(Vec::new());
    }
    let acl = sd.get(dacl_at..).ok_or_else(|| invalid("the DACL offset is past the end"))?;
    if acl.len() < 8 || !matches!(acl[0], 2 | 4) {
        return Err(invalid("the DACL header is not valid"));
    }
    let acl_size = usize::from(u16_at(acl, 2).ok_or_else(|| invalid("no ACL size"))?);
    let count = usize::from(u16_at(acl, 4).ok_or_else(|| invalid("no ACE count"))?);
    let acl = acl.get(..acl_size).ok_or_else(|| invalid("the DACL is larger than the descriptor"))?;
    let mut aces = Vec::with_capacity(count);
    let mut at = 8;
    for _ in 0..count {
        let ace_type = *acl.get(at).ok_or_else(|| invalid("an ACE is past the end of the DACL"))?;
        let flags = *acl.get(at + 1).ok_or_else(|| invalid("an ACE header is cut short"))?;
        let size = usize::from(u16_at(acl, at + 2).ok_or_else(|| invalid("an ACE header is cut short"))?);
        if size < 8 {
            return Err(invalid("an ACE is too small"));
        }
        let ace = acl.get(at..at + size).ok_or_else(|| invalid("an ACE is larger than the DACL"))?;
        at += size;
        let mask = u32_at(ace, 4).ok_or_else(|| invalid("an ACE has no access mask"))?;
        let (object_type, inherited_object_type, sid_from) = match ace_type {
            ACCESS_ALLOWED_ACE_TYPE | ACCESS_DENIED_ACE_TYPE => (None, None, 8),
            ACCESS_ALLOWED_OBJECT_ACE_TYPE | ACCESS_DENIED_OBJECT_ACE_TYPE => {
                let oflags = u32_at(ace, 8).ok_or_else(|| invalid("an object ACE has no flags"))?;
                let mut p = 12;
                let mut take = |present: bool| -> Result<Option<Uuid>> {
                    if !present {
                        return Ok(None);
                    }
                    let g = guid_at(ace, p).ok_or_else(|| invalid("an object ACE's GUID is cut short"))?;
                    p += 16;
                    Ok(Some(g))
                };
                let ot = take(oflags & ACE_OBJECT_TYPE_PRESENT != 0)?;
                let iot = take(oflags & ACE_INHERITED_OBJECT_TYPE_PRESENT != 0)?;
                (ot, iot, p)
            }
            // Audit, alarm, callback and other ACE types grant nothing here.
            _ => continue,
        };
        let sid = ace.get(sid_from..).and_then(sid_at).ok_or_else(|| invalid("an ACE's SID is not valid"))?;
        aces.push(Ace { ace_type, flags, mask, object_type, inherited_object_type, sid });
    }
    Ok(aces)
}

/// Whether an ACE set on an OU grants reading the attribute `attribute` (a confidential
/// attribute: read property and control access) on the computer objects below it (class
/// `computer_class`). An ACE that applies to the OU alone, or is inherited from a parent (the
/// parent is where it is set), does not count.
pub fn grants_attribute_read(ace: &Ace, attribute: Uuid, computer_class: Uuid) -> bool {
    if ace.flags & CONTAINER_INHERIT_ACE == 0 || ace.flags & INHERITED_ACE != 0 {
        return false;
    }
    if ace.inherited_object_type.is_some_and(|c| c != computer_class) {
        return false;
    }
    if ace.mask & GENERIC_ALL != 0 {
        return ace.object_type.is_none();
    }
    let needed = ADS_RIGHT_DS_READ_PROP | ADS_RIGHT_DS_CONTROL_ACCESS;
    match ace.object_type {
        Some(t) => t == attribute && ace.mask & needed == needed,
        // All extended rights and all properties.
        None => ace.mask & needed == needed,
    }
}

/// The principals an OU's DACL lets read `attribute` on its computers: allowed by
/// [`grants_attribute_read`] and not denied by an explicit deny ACE for the same right.
pub fn readers(aces: &[Ace], attribute: Uuid, computer_class: Uuid) -> Vec<String> {
    let denied = |sid: &str| {
        aces.iter().any(|a| {
            a.denies()
                && a.sid.eq_ignore_ascii_case(sid)
                && a.object_type.is_none_or(|t| t == attribute)
                && a.mask & (ADS_RIGHT_DS_READ_PROP | ADS_RIGHT_DS_CONTROL_ACCESS | GENERIC_ALL) != 0
        })
    };
    let mut out: Vec<String> = Vec::new();
    for a in aces.iter().filter(|a| a.allows() && grants_attribute_read(a, attribute, computer_class)) {
        if !denied(&a.sid) && !out.iter().any(|s| s.eq_ignore_ascii_case(&a.sid)) {
            out.push(a.sid.clone());
        }
    }
    out
}

/// Builds a self-relative security descriptor with a DACL (for tests and fixtures).
pub fn build(owner: &str, aces: &[Ace]) -> Result<Vec<u8>> {
    let owner = super::sid_to_bytes(owner)?;
    let mut acl_body = Vec::new();
    for a in aces {
        let sid = super::sid_to_bytes(&a.sid)?;
        let mut body = a.mask.to_le_bytes().to_vec();
        if matches!(a.ace_type, ACCESS_ALLOWED_OBJECT_ACE_TYPE | ACCESS_DENIED_OBJECT_ACE_TYPE) {
            let f = u32::from(a.object_type.is_some()) * ACE_OBJECT_TYPE_PRESENT
                + u32::from(a.inherited_object_type.is_some()) * ACE_INHERITED_OBJECT_TYPE_PRESENT;
            body.extend(f.to_le_bytes());
            for g in [a.object_type, a.inherited_object_type].into_iter().flatten() {
                body.extend(g.to_bytes_le());
            }
        }
        body.extend(sid);
        let size = u16::try_from(body.len() + 4).map_err(|_| Error::internal("ACE too large"))?;
        acl_body.extend([a.ace_type, a.flags]);
        acl_body.extend(size.to_le_bytes());
        acl_body.extend(body);
    }
    let acl_size = u16::try_from(acl_body.len() + 8).map_err(|_| Error::internal("ACL too large"))?;
    let count = u16::try_from(aces.len()).map_err(|_| Error::internal("too many ACEs"))?;
    let mut acl = vec![4u8, 0];
    acl.extend(acl_size.to_le_bytes());
    acl.extend(count.to_le_bytes());
    acl.extend([0u8, 0]);
    acl.extend(acl_body);
    // Header, then the owner, then the DACL (AD puts the DACL after owner and group).
    let owner_at = 20u32;
    let dacl_at = owner_at + owner.len() as u32;
    let mut sd = vec![1u8, 0];
    sd.extend((SE_SELF_RELATIVE | SE_DACL_PRESENT).to_le_bytes());
    sd.extend(owner_at.to_le_bytes());
    sd.extend(0u32.to_le_bytes());
    sd.extend(0u32.to_le_bytes());
    sd.extend(dacl_at.to_le_bytes());
    sd.extend(owner);
    sd.extend(acl);
    Ok(sd)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAPS: &str = "4a6b5c3d-1e2f-4a5b-8c9d-0e1f2a3b4c5d";
    const COMPUTER: &str = "bf967a86-0de6-11d0-a285-00aa003049e2";

    fn g(s: &str) -> Uuid {
        Uuid::parse_str(s).unwrap()
    }

    /// A DACL as an OU delegated with Set-AdmPwdReadPasswordPermission looks (an inherit-only
    /// object ACE for computers), beside the usual explicit and inherited entries.
    fn delegated_ou() -> Vec<u8> {
        // Self-relative SD, hand-laid like AD's: header, owner (Domain Admins), DACL.
        let mut sd: Vec<u8> = vec![
            0x01, 0x00, 0x04, 0x8c, // revision 1, control: DACL present | DACL auto-inherited | self-relative
            0x14, 0x00, 0x00, 0x00, // owner at 20
            0x00, 0x00, 0x00, 0x00, // no group
            0x00, 0x00, 0x00, 0x00, // no SACL
            0x30, 0x00, 0x00, 0x00, // DACL at 48
            // Owner: S-1-5-21-1004336348-1177238915-682003330-512
            0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x15, 0x00, 0x00, 0x00, 0xdc, 0xf4, 0xdc, 0x3b, 0x83, 0x3d,
            0x2b, 0x46, 0x82, 0x8b, 0xa6, 0x28, 0x00, 0x02, 0x00, 0x00,
        ];
        // ACL header: revision 4 (object ACEs), size, 3 ACEs.
        let mut acl: Vec<u8> = Vec::new();
        // 1. ACCESS_ALLOWED_OBJECT_ACE, CONTAINER_INHERIT|INHERIT_ONLY, READ_PROP|CONTROL_ACCESS,
        //    object type = the LAPS attribute, inherited object type = computer,
        //    trustee S-1-5-21-1004336348-1177238915-682003330-1601 (LAPS Readers).
        let mut a1: Vec<u8> = vec![0x05, 0x0a, 0x00, 0x00, 0x10, 0x01, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00];
        a1.extend(g(LAPS).to_bytes_le());
        a1.extend(g(COMPUTER).to_bytes_le());
        a1.extend([
            0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x15, 0x00, 0x00, 0x00, 0xdc, 0xf4, 0xdc, 0x3b, 0x83, 0x3d,
            0x2b, 0x46, 0x82, 0x8b, 0xa6, 0x28, 0x41, 0x06, 0x00, 0x00,
        ]);
        let n = a1.len() as u16;
        a1[2..4].copy_from_slice(&n.to_le_bytes());
        // 2. ACCESS_ALLOWED_ACE, inherited from the domain: GENERIC_ALL-like full control (0xF01FF)
        //    for Enterprise Admins (-519). Inherited: not proposed here.
        let mut a2: Vec<u8> = vec![0x00, 0x12, 0x00, 0x00, 0xff, 0x01, 0x0f, 0x00];
        a2.extend([
            0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x15, 0x00, 0x00, 0x00, 0xdc, 0xf4, 0xdc, 0x3b, 0x83, 0x3d,
            0x2b, 0x46, 0x82, 0x8b, 0xa6, 0x28, 0x07, 0x02, 0x00, 0x00,
        ]);
        let n = a2.len() as u16;
        a2[2..4].copy_from_slice(&n.to_le_bytes());
        // 3. SYSTEM audit-ish entry of an unknown type (0x07 = ACCESS_ALLOWED_COMPOUND): skipped.
        let a3: Vec<u8> = vec![0x07, 0x00, 0x14, 0x00, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0];
        let body: Vec<u8> = [a1, a2, a3].concat();
        acl.extend([0x04, 0x00]);
        acl.extend(((body.len() + 8) as u16).to_le_bytes());
        acl.extend(3u16.to_le_bytes());
        acl.extend([0, 0]);
        acl.extend(body);
        sd.extend(acl);
        sd
    }

    #[test]
    fn parses_a_delegated_ou_as_ad_returns_it() {
        let aces = parse_dacl(&delegated_ou()).unwrap();
        assert_eq!(aces.len(), 2);
        assert_eq!(aces[0].object_type, Some(g(LAPS)));
        assert_eq!(aces[0].inherited_object_type, Some(g(COMPUTER)));
        assert_eq!(aces[0].sid, "S-1-5-21-1004336348-1177238915-682003330-1601");
        assert_eq!(aces[1].flags & INHERITED_ACE, INHERITED_ACE);
        assert_eq!(readers(&aces, g(LAPS), g(COMPUTER)), vec!["S-1-5-21-1004336348-1177238915-682003330-1601"]);
        // Another attribute is not granted by that ACE.
        assert!(readers(&aces, g(COMPUTER), g(COMPUTER)).is_empty());
    }

    #[test]
    fn denies_and_scope_are_respected() {
        let laps = g(LAPS);
        let pc = g(COMPUTER);
        let allow = |sid: &str, flags: u8, mask: u32, ot: Option<Uuid>, iot: Option<Uuid>| Ace {
            ace_type: if ot.is_some() || iot.is_some() {
                ACCESS_ALLOWED_OBJECT_ACE_TYPE
            } else {
                ACCESS_ALLOWED_ACE_TYPE
            },
            flags,
            mask,
            object_type: ot,
            inherited_object_type: iot,
            sid: sid.into(),
        };
        let rw = ADS_RIGHT_DS_READ_PROP | ADS_RIGHT_DS_CONTROL_ACCESS;
        let ci = CONTAINER_INHERIT_ACE | INHERIT_ONLY_ACE;
        let aces = vec![
            allow("S-1-5-21-1-2-3-1001", ci, rw, Some(laps), Some(pc)),
            // Read property without control access does not read a confidential attribute.
            allow("S-1-5-21-1-2-3-1002", ci, ADS_RIGHT_DS_READ_PROP, Some(laps), Some(pc)),
            // Applies to the OU only.
            allow("S-1-5-21-1-2-3-1003", 0, rw, Some(laps), None),
            // Inherited by users, not computers.
            allow("S-1-5-21-1-2-3-1004", ci, rw, Some(laps), Some(g("bf967aba-0de6-11d0-a285-00aa003049e2"))),
            // All extended rights and read all properties.
            allow("S-1-5-21-1-2-3-1005", CONTAINER_INHERIT_ACE, rw, None, None),
            // Full control.
            allow("S-1-5-21-1-2-3-1006", CONTAINER_INHERIT_ACE, GENERIC_ALL, None, None),
            // Allowed, then denied explicitly.
            allow("S-1-5-21-1-2-3-1007", ci, rw, Some(laps), Some(pc)),
            Ace {
                ace_type: ACCESS_DENIED_OBJECT_ACE_TYPE,
                flags: ci,
                mask: ADS_RIGHT_DS_CONTROL_ACCESS,
                object_type: Some(laps),
                inherited_object_type: None,
                sid: "S-1-5-21-1-2-3-1007".into(),
            },
        ];
        let sd = build("S-1-5-21-1-2-3-512", &aces).unwrap();
        let parsed = parse_dacl(&sd).unwrap();
        assert_eq!(parsed, aces);
        assert_eq!(
            readers(&parsed, laps, pc),
            vec!["S-1-5-21-1-2-3-1001", "S-1-5-21-1-2-3-1005", "S-1-5-21-1-2-3-1006"]
        );
    }

    #[test]
    fn malformed_descriptors_are_errors() {
        let sd = delegated_ou();
        for cut in [0, 10, 19, 30, 50, 60, sd.len() - 1] {
            let e = parse_dacl(&sd[..cut]).unwrap_err();
            assert_eq!(e.code(), ErrorCode::SecurityDescriptorInvalid, "cut at {cut}");
        }
        let mut absolute = sd.clone();
        absolute[3] &= 0x7f;
        assert!(parse_dacl(&absolute).is_err());
        let mut big_ace = sd.clone();
        big_ace[48 + 8 + 2] = 0xff;
        assert!(parse_dacl(&big_ace).is_err());
        let mut no_dacl = sd;
        no_dacl[2] &= !0x04;
        assert!(parse_dacl(&no_dacl).unwrap().is_empty());
    }
}
