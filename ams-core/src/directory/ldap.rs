//! [`Directory`] over LDAP v3 with the `ldap3` crate's blocking API (no async in the core).
//!
//! This build enables neither TLS stack of `ldap3`: only `ldap://` URLs work, so the bind
//! password crosses the network in clear unless the path is otherwise protected (loopback, IPsec).
//! `ldaps://` URLs are refused up front rather than failing obscurely.

use std::collections::HashSet;
use std::time::Duration;

use ldap3::{LdapConn, LdapConnSettings, LdapError, Mod, Scope, SearchEntry, dn_escape, ldap_escape};

use super::{ComputerInfo, Directory, Entry, NewGroup, Schema, SidFormat, sid_from_bytes, sid_to_bytes};
use crate::error::{Error, ErrorCode, Result};

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

fn unavailable(url: &str, e: &LdapError) -> Error {
    Error::new(ErrorCode::DirectoryUnavailable, format!("The directory at {url} could not be reached: {e}."))
        .hint("Check that the directory server is running and that `ams jit directory get` names the right URL.")
        .with("url", url)
}

fn op_failed(what: &str, dn: &str, e: &LdapError) -> Error {
    Error::new(ErrorCode::DirectoryOperationFailed, format!("The directory refused to {what} {dn}: {e}."))
        .with("dn", dn)
}

impl LdapDirectory {
    /// Connects (10 s timeout) and binds with a DN and password.
    pub fn connect(url: &str, bind_dn: &str, password: &str, schema: Schema) -> Result<LdapDirectory> {
        if !url.to_ascii_lowercase().starts_with("ldap://") {
            return Err(Error::new(ErrorCode::JitGroupRuleInvalid, format!("'{url}' is not an ldap:// URL."))
                .hint("This build speaks plain LDAP only (no ldaps:// or StartTLS); see docs/jit.md."));
        }
        let settings = LdapConnSettings::new().set_conn_timeout(Duration::from_secs(10));
        let mut conn = LdapConn::with_settings(settings, url).map_err(|e| unavailable(url, &e))?;
        conn.with_timeout(Duration::from_secs(30));
        conn.simple_bind(bind_dn, password).and_then(|r| r.success()).map_err(|e| {
            Error::new(
                ErrorCode::DirectoryUnavailable,
                format!("The directory at {url} refused the bind as {bind_dn}: {e}."),
            )
            .hint("Check the bind DN and set the password again with `ams jit directory set --bind-password-stdin`.")
            .with("url", url)
        })?;
        Ok(LdapDirectory { conn, schema, url: url.to_string() })
    }

    fn search(&mut self, base: &str, scope: Scope, filter: &str, attrs: &[&str]) -> Result<Vec<SearchEntry>> {
        let url = self.url.clone();
        match self.conn.search(base, scope, filter, attrs.to_vec()) {
            Ok(res) => match res.success() {
                Ok((entries, _)) => Ok(entries.into_iter().map(SearchEntry::construct).collect()),
                Err(LdapError::LdapResult { result }) if result.rc == RC_NO_SUCH_OBJECT => Ok(Vec::new()),
                Err(e) => Err(op_failed("search", base, &e)),
            },
            Err(e) => Err(unavailable(&url, &e)),
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
        let filter = format!(
            "(&(objectClass={})({}={}))",
            ldap_escape(self.schema.computer_object_class.as_str()),
            self.schema.name_attribute,
            ldap_escape(name)
        );
        let base = self.schema.base_dn.clone();
        let Some(c) = self.search(&base, Scope::Subtree, &filter, &["1.1"])?.into_iter().next() else {
            return Ok(None);
        };
        let gfilter = format!(
            "(&(objectClass={})({}={}))",
            ldap_escape(self.schema.group_object_class.as_str()),
            self.schema.member_attribute,
            ldap_escape(c.dn.as_str())
        );
        let sid_attr = self.schema.sid_attribute.clone();
        let groups = self.search(&base, Scope::Subtree, &gfilter, &[sid_attr.as_str()])?;
        let mut group_sids: Vec<String> = groups.iter().filter_map(|g| self.sid_in(g)).collect();
        group_sids.sort();
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
