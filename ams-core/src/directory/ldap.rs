//! [`Directory`] over LDAP v3 with the `ldap3` crate's blocking API (no async in the core).
//!
//! Connections are opened by [`super::conn`] (plain LDAP, StartTLS or LDAPS, verified). Searches
//! ask for pages of [`PAGE_SIZE`] entries with the simple paged results control (RFC 2696), so
//! Active Directory's MaxPageSize does not cut results short; referrals are refused with
//! [`ErrorCode::DirectoryReferral`] (ADR 0011). A computer's groups come from `tokenGroups` where
//! the server computes it (Active Directory: nested and primary groups), otherwise from a
//! bounded walk up the `member` links.

use std::collections::HashSet;

use ldap3::controls::RawControl;
use ldap3::{LdapConn, LdapError, Mod, Scope, SearchEntry, dn_escape, ldap_escape};

use super::conn::{ConnectionSettings, unavailable};
use super::{ComputerInfo, Directory, Entry, NewGroup, Schema, SidFormat, sid_from_bytes, sid_to_bytes};
use crate::error::{Error, ErrorCode, Result};

/// Entries asked for per page.
pub const PAGE_SIZE: i32 = 500;
/// OID of the simple paged results control.
const PAGED_RESULTS_OID: &str = "1.2.840.113556.1.4.319";
/// LDAP result code: referral.
const RC_REFERRAL: u32 = 10;
/// How many levels of nesting the member walk follows.
pub const MAX_NESTING: usize = 16;
/// How many groups the member walk collects at most.
pub const MAX_WALK_GROUPS: usize = 5000;

/// LDAP result code: the value already exists.
const RC_VALUE_EXISTS: u32 = 20;
/// LDAP result code: no such attribute (or value).
const RC_NO_SUCH_ATTRIBUTE: u32 = 16;
/// LDAP result code: no such object.
const RC_NO_SUCH_OBJECT: u32 = 32;

/// An open, bound LDAP connection.
pub struct LdapDirectory {
    conn: LdapConn,
    schema: Schema,
    url: String,
}

impl std::fmt::Debug for LdapDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LdapDirectory").field("url", &self.url).finish_non_exhaustive()
    }
}

fn op_failed(what: &str, dn: &str, e: &LdapError) -> Error {
    Error::new(ErrorCode::DirectoryOperationFailed, format!("The directory refused to {what} {dn}: {e}."))
        .with("dn", dn)
}

impl LdapDirectory {
    /// Connects and binds with a DN and password (see [`super::conn::open`]).
    pub fn connect(
        settings: &ConnectionSettings,
        bind_dn: &str,
        password: &str,
        schema: Schema,
    ) -> Result<LdapDirectory> {
        let conn = super::conn::open(settings, bind_dn, password)?;
        Ok(LdapDirectory { conn, schema, url: settings.url.trim().to_string() })
    }

    /// The provider's attribute and class names.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    fn search(&mut self, base: &str, scope: Scope, filter: &str, attrs: &[&str]) -> Result<Vec<SearchEntry>> {
        self.search_with(base, scope, filter, attrs, Vec::new())
    }

    /// A paged search with extra request controls. A base that does not exist gives no
    /// entries; a referral (as a result code or as references among the entries) is an error.
    pub fn search_with(
        &mut self,
        base: &str,
        scope: Scope,
        filter: &str,
        attrs: &[&str],
        controls: Vec<RawControl>,
    ) -> Result<Vec<SearchEntry>> {
        let url = self.url.clone();
        let mut out = Vec::new();
        let mut cookie: Vec<u8> = Vec::new();
        loop {
            let mut ctrls = controls.clone();
            ctrls.push(paged_control(PAGE_SIZE, &cookie));
            let res = self.conn.with_controls(ctrls).search(base, scope, filter, attrs.to_vec());
            let res = match res {
                Ok(r) => r,
                Err(e) => return Err(unavailable(&url, &e)),
            };
            let (entries, result) = (res.0, res.1);
            if result.rc == RC_REFERRAL || !result.refs.is_empty() {
                return Err(referral(base, &result.refs));
            }
            if result.rc == RC_NO_SUCH_OBJECT {
                return Ok(Vec::new());
            }
            if result.rc != 0 {
                return Err(op_failed("search", base, &LdapError::LdapResult { result }));
            }
            out.extend(entries.into_iter().map(SearchEntry::construct));
            let next = result
                .ctrls
                .iter()
                .find(|c| c.1.ctype == PAGED_RESULTS_OID)
                .and_then(|c| c.1.val.as_deref())
                .map(parse_paged_cookie)
                .transpose()
                .map_err(|()| {
                    Error::new(
                        ErrorCode::DirectoryOperationFailed,
                        format!("The directory at {url} sent a paged results control that is not valid."),
                    )
                    .with("url", &url)
                })?;
            match next {
                Some(c) if !c.is_empty() => cookie = c,
                _ => return Ok(out),
            }
        }
    }

    fn sid_filter(&self, sid: &str) -> Result<String> {
        let value = match self.schema.sid_format {
            SidFormat::String => ldap_escape(sid).into_owned(),
            SidFormat::Binary => sid_to_bytes(sid)?.iter().map(|b| format!("\\{b:02x}")).collect(),
        };
        Ok(format!("({}={value})", self.schema.sid_attribute))
    }

    fn sid_in(&self, e: &SearchEntry) -> Option<String> {
        let a = &self.schema.sid_attribute;
        match self.schema.sid_format {
            SidFormat::String => e.attrs.get(a).and_then(|v| v.first()).cloned(),
            SidFormat::Binary => e
                .bin_attrs
                .get(a)
                .and_then(|v| v.first())
                .and_then(|b| sid_from_bytes(b))
                .or_else(|| e.attrs.get(a).and_then(|v| v.first()).cloned()),
        }
        .filter(|s| crate::authz::sid::looks_like_sid(s))
    }

    fn entries(&mut self, base: &str, scope: Scope, class: &str) -> Result<Vec<Entry>> {
        let name_attr = self.schema.name_attribute.clone();
        let filter = format!("(objectClass={})", ldap_escape(class));
        let found = self.search(base, scope, &filter, &[name_attr.as_str()])?;
        Ok(found
            .into_iter()
            .filter_map(|e| {
                let name = e.attrs.get(&name_attr).and_then(|v| v.first()).cloned()?;
                Some(Entry { dn: e.dn, name })
            })
            .collect())
    }

    fn modify(&mut self, dn: &str, m: Mod<String>, what: &str) -> Result<Option<u32>> {
        let url = self.url.clone();
        match self.conn.modify(dn, vec![m]) {
            Ok(r) if r.rc == 0 => Ok(None),
            Ok(r) if r.rc == RC_VALUE_EXISTS || r.rc == RC_NO_SUCH_ATTRIBUTE => Ok(Some(r.rc)),
            Ok(r) if r.rc == RC_NO_SUCH_OBJECT => {
                Err(Error::new(ErrorCode::DirectoryObjectNotFound, format!("{dn} does not exist in the directory."))
                    .with("dn", dn))
            }
            Ok(r) => Err(op_failed(what, dn, &LdapError::LdapResult { result: r })),
            Err(e) => Err(unavailable(&url, &e)),
        }
    }
}

impl LdapDirectory {
    /// The computer named `who`: an account name (`PC1`, `PC1$`, `DOMAIN\\PC1`), a DNS name
    /// (`pc1.example.com`, matched against `dNSHostName`) or a SID. Returns the entry with the
    /// attributes asked for.
    pub fn find_computer(&mut self, who: &str, attrs: &[&str]) -> Result<Option<SearchEntry>> {
        let who = who.trim();
        let name = who.rsplit('\\').next().unwrap_or(who);
        let class = ldap_escape(self.schema.computer_object_class.as_str()).into_owned();
        let by = if crate::authz::sid::looks_like_sid(name) {
            self.sid_filter(name)?
        } else if name.contains('.') {
            format!("({DNS_HOST_NAME}={})", ldap_escape(name))
        } else {
            let bare = name.trim_end_matches('$');
            let a = &self.schema.name_attribute;
            format!("(|({a}={})({a}={}$))", ldap_escape(bare), ldap_escape(bare))
        };
        let filter = format!("(&(objectClass={class}){by})");
        let base = self.schema.base_dn.clone();
        let mut found = self.search(&base, Scope::Subtree, &filter, attrs)?;
        if found.len() > 1 {
            return Err(Error::new(
                ErrorCode::DeviceAmbiguous,
                format!("{} computers in the directory match '{who}'.", found.len()),
            )
            .hint("Name the computer by its DNS name or SID.")
            .with("name", who));
        }
        Ok(found.pop())
    }

    /// Entries one level below `dn` matching `filter`.
    pub fn children(&mut self, dn: &str, filter: &str, attrs: &[&str]) -> Result<Vec<SearchEntry>> {
        self.search(dn, Scope::OneLevel, filter, attrs)
    }

    /// One entry (base scope), with a filter and request controls.
    pub fn entry_with(&mut self, dn: &str, attrs: &[&str], controls: Vec<RawControl>) -> Result<Option<SearchEntry>> {
        Ok(self.search_with(dn, Scope::Base, "(objectClass=*)", attrs, controls)?.into_iter().next())
    }

    /// Entries below `base` (subtree) matching `filter`.
    pub fn subtree(&mut self, base: &str, filter: &str, attrs: &[&str]) -> Result<Vec<SearchEntry>> {
        self.search(base, Scope::Subtree, filter, attrs)
    }

    /// The SID in an entry (binary or text, as the schema says).
    pub fn sid_of_entry(&self, e: &SearchEntry) -> Option<String> {
        self.sid_in(e)
    }

    /// SIDs of the groups an object is in, nested membership included, sorted: `tokenGroups`
    /// where the directory computes it (Active Directory), otherwise a walk up the member links
    /// of at most [`MAX_NESTING`] levels and [`MAX_WALK_GROUPS`] groups (cycles are visited once).
    pub fn group_sids_of(&mut self, dn: &str) -> Result<Vec<String>> {
        let tg = self.search(dn, Scope::Base, "(objectClass=*)", &[TOKEN_GROUPS])?;
        if let Some(values) = tg.first().and_then(|e| e.bin_attrs.get(TOKEN_GROUPS)).filter(|v| !v.is_empty()) {
            let mut sids = parse_token_groups(values)?;
            sids.sort();
            sids.dedup();
            return Ok(sids);
        }
        let base = self.schema.base_dn.clone();
        let sid_attr = self.schema.sid_attribute.clone();
        let mut seen: HashSet<String> = HashSet::new();
        let mut sids: Vec<String> = Vec::new();
        let mut level = vec![dn.to_string()];
        for _ in 0..MAX_NESTING {
            if level.is_empty() || seen.len() >= MAX_WALK_GROUPS {
                break;
            }
            let mut next = Vec::new();
            for member in &level {
                let gfilter = format!(
                    "(&(objectClass={})({}={}))",
                    ldap_escape(self.schema.group_object_class.as_str()),
                    self.schema.member_attribute,
                    ldap_escape(member.as_str())
                );
                for g in self.search(&base, Scope::Subtree, &gfilter, &[sid_attr.as_str()])? {
                    if seen.len() >= MAX_WALK_GROUPS || !seen.insert(g.dn.to_ascii_lowercase()) {
                        continue;
                    }
                    if let Some(s) = self.sid_in(&g) {
                        sids.push(s);
                    }
                    next.push(g.dn);
                }
            }
            level = next;
        }
        sids.sort();
        sids.dedup();
        Ok(sids)
    }
}

/// Active Directory's attribute for the DNS name of a computer.
pub const DNS_HOST_NAME: &str = "dNSHostName";
/// Active Directory's constructed attribute with the SIDs of every group an object is in.
pub const TOKEN_GROUPS: &str = "tokenGroups";

/// The SIDs of a `tokenGroups` value list (binary SIDs).
pub fn parse_token_groups(values: &[Vec<u8>]) -> Result<Vec<String>> {
    values
        .iter()
        .map(|b| {
            sid_from_bytes(b).ok_or_else(|| {
                Error::new(
                    ErrorCode::DirectoryOperationFailed,
                    "The directory sent a tokenGroups value that is not a SID.",
                )
            })
        })
        .collect()
}

/// The request control asking for a page of `size` entries after `cookie`.
fn paged_control(size: i32, cookie: &[u8]) -> RawControl {
    let mut inner = Vec::new();
    inner.extend(super::ber::integer(i64::from(size)));
    inner.extend(super::ber::tlv(0x04, cookie));
    RawControl { ctype: PAGED_RESULTS_OID.into(), crit: false, val: Some(super::ber::tlv(0x30, &inner)) }
}

/// The cookie of a paged results response control (`SEQUENCE { INTEGER, OCTET STRING }`).
fn parse_paged_cookie(val: &[u8]) -> std::result::Result<Vec<u8>, ()> {
    let (tag, seq, _) = super::ber::read(val).ok_or(())?;
    if tag != 0x30 {
        return Err(());
    }
    let (t1, _, rest) = super::ber::read(seq).ok_or(())?;
    let (t2, cookie, _) = super::ber::read(rest).ok_or(())?;
    if t1 != 0x02 || t2 != 0x04 {
        return Err(());
    }
    Ok(cookie.to_vec())
}

fn referral(base: &str, refs: &[String]) -> Error {
    Error::new(
        ErrorCode::DirectoryReferral,
        format!("The directory referred the search under {base} to another server ({}); referrals are not followed.", refs.join(", ")),
    )
    .hint("Set the directory URL to a server (a global catalog or a DC of that domain) that holds the base DN, or narrow the base DN.")
    .with("dn", base)
}

impl Drop for LdapDirectory {
    fn drop(&mut self) {
        let _ = self.conn.unbind();
    }
}

impl Directory for LdapDirectory {
    fn user_dn(&mut self, sid: &str) -> Result<String> {
        let filter = self.sid_filter(sid)?;
        let base = self.schema.base_dn.clone();
        let found = self.search(&base, Scope::Subtree, &filter, &["1.1"])?;
        found.into_iter().next().map(|e| e.dn).ok_or_else(|| {
            Error::new(ErrorCode::DirectoryObjectNotFound, format!("No directory object has the SID {sid}."))
                .hint(format!("The user is looked up by the {} attribute under {base}.", self.schema.sid_attribute))
                .with("sid", sid)
        })
    }

    fn group(&mut self, name: &str) -> Result<Option<Entry>> {
        let filter = format!(
            "(&(objectClass={})({}={}))",
            ldap_escape(self.schema.group_object_class.as_str()),
            self.schema.name_attribute,
            ldap_escape(name)
        );
        let base = self.schema.base_dn.clone();
        let found = self.search(&base, Scope::Subtree, &filter, &["1.1"])?;
        Ok(found.into_iter().next().map(|e| Entry { dn: e.dn, name: name.to_string() }))
    }

    fn add_member(&mut self, group_dn: &str, member_dn: &str) -> Result<bool> {
        let m = Mod::Add(self.schema.member_attribute.clone(), HashSet::from([member_dn.to_string()]));
        Ok(self.modify(group_dn, m, "add a member to")?.is_none())
    }

    fn remove_member(&mut self, group_dn: &str, member_dn: &str) -> Result<bool> {
        let m = Mod::Delete(self.schema.member_attribute.clone(), HashSet::from([member_dn.to_string()]));
        Ok(self.modify(group_dn, m, "remove a member from")?.is_none())
    }

    fn is_member(&mut self, group_dn: &str, member_dn: &str) -> Result<bool> {
        let filter = format!("({}={})", self.schema.member_attribute, ldap_escape(member_dn));
        Ok(!self.search(group_dn, Scope::Base, &filter, &["1.1"])?.is_empty())
    }

    fn computer(&mut self, name: &str) -> Result<Option<ComputerInfo>> {
        let Some(c) = self.find_computer(name, &["1.1"])? else { return Ok(None) };
        let group_sids = self.group_sids_of(&c.dn)?;
        Ok(Some(ComputerInfo { dn: c.dn, group_sids }))
    }

    fn computers_in(&mut self, ou: &str, subtree: bool) -> Result<Vec<Entry>> {
        let class = self.schema.computer_object_class.clone();
        self.entries(ou, if subtree { Scope::Subtree } else { Scope::OneLevel }, &class)
    }

    fn groups_in(&mut self, ou: &str) -> Result<Vec<Entry>> {
        let class = self.schema.group_object_class.clone();
        self.entries(ou, Scope::OneLevel, &class)
    }

    fn create_group(&mut self, g: &NewGroup) -> Result<String> {
        let dn = format!("cn={},{}", dn_escape(g.name.as_str()), g.ou);
        let one = |v: &str| HashSet::from([v.to_string()]);
        let mut attrs: Vec<(String, HashSet<String>)> =
            vec![("objectClass".into(), one(&self.schema.group_object_class)), ("cn".into(), one(&g.name))];
        if !self.schema.name_attribute.eq_ignore_ascii_case("cn") {
            attrs.push((self.schema.name_attribute.clone(), one(&g.name)));
        }
        if let Some(d) = g.description.as_deref().filter(|d| !d.is_empty()) {
            attrs.push(("description".into(), one(d)));
        }
        if !self.schema.group_type_attribute.is_empty() {
            // AD stores groupType as a signed 32-bit integer.
            let v = (g.group_type as u32) as i32;
            attrs.push((self.schema.group_type_attribute.clone(), one(&v.to_string())));
        }
        if let Some(m) = &self.schema.initial_member_dn {
            attrs.push((self.schema.member_attribute.clone(), one(m)));
        }
        let url = self.url.clone();
        match self.conn.add(&dn, attrs) {
            Ok(r) if r.rc == 0 => Ok(dn),
            Ok(r) => Err(op_failed("create", &dn, &LdapError::LdapResult { result: r })),
            Err(e) => Err(unavailable(&url, &e)),
        }
    }

    fn delete(&mut self, dn: &str) -> Result<()> {
        let url = self.url.clone();
        match self.conn.delete(dn) {
            Ok(r) if r.rc == 0 || r.rc == RC_NO_SUCH_OBJECT => Ok(()),
            Ok(r) => Err(op_failed("delete", dn, &LdapError::LdapResult { result: r })),
            Err(e) => Err(unavailable(&url, &e)),
        }
    }

    fn sid_of(&mut self, dn: &str) -> Result<Option<String>> {
        let a = self.schema.sid_attribute.clone();
        let found = self.search(dn, Scope::Base, "(objectClass=*)", &[a.as_str()])?;
        Ok(found.first().and_then(|e| self.sid_in(e)))
    }

    fn set_attribute(&mut self, dn: &str, attribute: &str, values: &[String]) -> Result<()> {
        let m = Mod::Replace(attribute.to_string(), values.iter().cloned().collect());
        self.modify(dn, m, "change an attribute of").map(|_| ())
    }

    fn attribute(&mut self, dn: &str, attribute: &str) -> Result<Vec<String>> {
        let found = self.search(dn, Scope::Base, "(objectClass=*)", &[attribute])?;
        Ok(found.into_iter().next().and_then(|mut e| e.attrs.remove(attribute)).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paged_control_round_trip() {
        let c = paged_control(500, b"abc");
        let v = c.val.unwrap();
        // SEQUENCE { INTEGER 500, OCTET STRING "abc" }
        assert_eq!(v, vec![0x30, 0x09, 0x02, 0x02, 0x01, 0xf4, 0x04, 0x03, b'a', b'b', b'c']);
        assert_eq!(parse_paged_cookie(&v).unwrap(), b"abc");
        assert_eq!(parse_paged_cookie(&[0x30, 0x05, 0x02, 0x01, 0x00, 0x04, 0x00]).unwrap(), b"");
        assert!(parse_paged_cookie(&[0x30, 0x09, 0x02]).is_err());
        assert!(parse_paged_cookie(&[0x04, 0x00]).is_err());
    }

    #[test]
    fn token_groups_as_active_directory_sends_them() {
        // Domain Computers (RID 515) of S-1-5-21-1004336348-1177238915-682003330 and BUILTIN\Users.
        let domain_computers = [
            1u8, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0, 0, 0xdc, 0xf4, 0xdc, 0x3b, 0x83, 0x3d, 0x2b, 0x46, 0x82, 0x8b, 0xa6,
            0x28, 0x03, 0x02, 0x00, 0x00,
        ];
        let users = [1u8, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x21, 0x02, 0, 0];
        let sids = parse_token_groups(&[domain_computers.to_vec(), users.to_vec()]).unwrap();
        assert_eq!(sids, vec!["S-1-5-21-1004336348-1177238915-682003330-515", "S-1-5-32-545"]);
        assert!(parse_token_groups(&[vec![1, 5, 0]]).is_err());
    }
}
