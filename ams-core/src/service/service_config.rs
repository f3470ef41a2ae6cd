//! Service configuration (Get/Set-AmsServiceConfig): farm-wide settings in the
//! `service_settings` table, shared by every host that uses the database.
//!
//! The registry of settings is the six of the specification (farm host names and ports, forests
//! and domains to ignore) followed by every numeric setting in
//! [`INT_SETTINGS`](crate::service::settings::INT_SETTINGS), so a setting added there is
//! readable and settable here without further code. Names not in the registry are refused.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;

use crate::ams::Ams;
use crate::error::{Error, ErrorCode, Result};
use crate::service::audit::{self, Event};
use crate::service::host_config::is_dns_name;
use crate::service::settings::{INT_SETTINGS, IntSetting, TEXT_SETTINGS, TextSetting};
use crate::store::{ReadTx, Tx};

/// External host name agents use for the farm (unset: each host's ExternalHostname).
pub const FARM_API_HOST_NAME: &str = "FarmApiHostName";
/// HTTPS port agents use for the farm.
pub const FARM_API_PORT: IntSetting = IntSetting { key: "FarmApiPort", default: 443, min: 1, max: 65_535 };
/// External host name users use for the farm's web app (unset: each host's ExternalHostname).
pub const FARM_WEB_APP_HOST_NAME: &str = "FarmWebAppHostName";
/// HTTPS port users use for the farm's web app.
pub const FARM_WEB_APP_PORT: IntSetting = IntSetting { key: "FarmWebAppPort", default: 443, min: 1, max: 65_535 };
/// Trusted forests to ignore.
pub const FORESTS_TO_IGNORE: &str = "ForestsToIgnore";
/// Trusted domains to ignore.
pub const DOMAINS_TO_IGNORE: &str = "DomainsToIgnore";

/// Most names a list setting may hold.
pub const MAX_LIST_ENTRIES: usize = 500;

/// What kind of value a setting holds.
#[derive(Debug, Clone, Copy)]
pub enum SettingType {
    /// A whole number in a range.
    Int(IntSetting),
    /// An optional DNS host name.
    HostName,
    /// A list of DNS names.
    HostNameList,
    /// Free text such as a folder path (empty: the default).
    Text(TextSetting),
}

/// One registered setting.
#[derive(Debug, Clone, Copy)]
pub struct SettingDef {
    /// Name in the database, in `Get-AmsServiceConfig` output and for `--setting NAME=VALUE`.
    pub key: &'static str,
    /// Kind of value.
    pub kind: SettingType,
}

/// A setting's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum SettingValue {
    /// A number.
    Int(i64),
    /// A host name, or none.
    Text(Option<String>),
    /// A list of names.
    List(Vec<String>),
}

/// Every registered setting, in the order `ams service-config get` lists them.
pub fn registry() -> Vec<SettingDef> {
    let mut out = vec![
        SettingDef { key: FARM_API_HOST_NAME, kind: SettingType::HostName },
        SettingDef { key: FARM_API_PORT.key, kind: SettingType::Int(FARM_API_PORT) },
        SettingDef { key: FARM_WEB_APP_HOST_NAME, kind: SettingType::HostName },
        SettingDef { key: FARM_WEB_APP_PORT.key, kind: SettingType::Int(FARM_WEB_APP_PORT) },
        SettingDef { key: FORESTS_TO_IGNORE, kind: SettingType::HostNameList },
        SettingDef { key: DOMAINS_TO_IGNORE, kind: SettingType::HostNameList },
    ];
    for s in INT_SETTINGS {
        if !out.iter().any(|d| d.key.eq_ignore_ascii_case(s.key)) {
            out.push(SettingDef { key: s.key, kind: SettingType::Int(*s) });
        }
    }
    for s in TEXT_SETTINGS {
        if !out.iter().any(|d| d.key.eq_ignore_ascii_case(s.key)) {
            out.push(SettingDef { key: s.key, kind: SettingType::Text(*s) });
        }
    }
    out
}

/// Finds a registered setting by name (case-insensitive).
pub fn find_setting(name: &str) -> Result<SettingDef> {
    let name = name.trim();
    registry().into_iter().find(|d| d.key.eq_ignore_ascii_case(name)).ok_or_else(|| {
        let known: Vec<&str> = registry().iter().map(|d| d.key).collect();
        Error::new(ErrorCode::ServiceSettingUnknown, "No service setting has that name.")
            .hint(format!("Known settings: {}.", known.join(", ")))
            .with("setting", name.chars().take(100).collect::<String>())
    })
}

fn bad_value(def: &SettingDef, message: String) -> Error {
    Error::new(ErrorCode::ServiceConfigInvalid, message).with("setting", def.key)
}

impl SettingDef {
    /// The value when nothing is stored.
    pub fn default_value(&self) -> SettingValue {
        match self.kind {
            SettingType::Int(i) => SettingValue::Int(i.default),
            SettingType::HostName => SettingValue::Text(None),
            SettingType::HostNameList => SettingValue::List(Vec::new()),
            SettingType::Text(t) => SettingValue::Text((!t.default.is_empty()).then(|| t.default.to_string())),
        }
    }

    /// The type name shown in `Settings`.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            SettingType::Int(_) => "Int",
            SettingType::HostName => "HostName",
            SettingType::HostNameList => "HostNameList",
            SettingType::Text(_) => "Text",
        }
    }

    /// Parses a value given as text (`--setting NAME=VALUE`): a whole number, a host name
    /// (empty: unset), or a comma-separated list of names (empty: none).
    pub fn parse(&self, raw: &str) -> Result<SettingValue> {
        let raw = raw.trim();
        match self.kind {
            SettingType::Int(_) => {
                let v =
                    raw.parse::<i64>().map_err(|_| bad_value(self, format!("{} must be a whole number.", self.key)))?;
                self.check(SettingValue::Int(v))
            }
            SettingType::HostName | SettingType::Text(_) => {
                self.check(SettingValue::Text(if raw.is_empty() { None } else { Some(raw.to_string()) }))
            }
            SettingType::HostNameList => {
                self.check(SettingValue::List(raw.split(',').map(|s| s.trim().to_string()).collect()))
            }
        }
    }

    /// Checks and normalises a value: numbers against the range, names as DNS names (lower
    /// case), lists without empty entries or duplicates.
    pub fn check(&self, value: SettingValue) -> Result<SettingValue> {
        let wrong_type = || bad_value(self, format!("{} takes a value of type {}.", self.key, self.type_name()));
        match (self.kind, value) {
            (SettingType::Int(i), SettingValue::Int(v)) => i.check(v).map(SettingValue::Int),
            (SettingType::HostName, SettingValue::Text(v)) => {
                let v = v.map(|s| s.trim().to_ascii_lowercase()).filter(|s| !s.is_empty());
                match v {
                    Some(name) if !is_dns_name(&name) => {
                        Err(bad_value(self, format!("{} must be a DNS host name such as ams.example.com.", self.key)))
                    }
                    v => Ok(SettingValue::Text(v)),
                }
            }
            (SettingType::Text(t), SettingValue::Text(v)) => match v.map(|s| s.trim().to_string()) {
                Some(s) if !s.is_empty() => t.check(&s).map(|s| SettingValue::Text(Some(s.to_string()))),
                _ => Ok(SettingValue::Text(None)),
            },
            (SettingType::HostNameList, SettingValue::List(items)) => {
                let mut out: Vec<String> = Vec::new();
                for item in items {
                    let name = item.trim().to_ascii_lowercase();
                    if name.is_empty() {
                        continue;
                    }
                    if !is_dns_name(&name) {
                        return Err(bad_value(self, format!("Every entry of {} must be a DNS name.", self.key))
                            .with("value", name.chars().take(100).collect::<String>()));
                    }
                    if !out.contains(&name) {
                        out.push(name);
                    }
                }
                if out.len() > MAX_LIST_ENTRIES {
                    return Err(bad_value(self, format!("{} holds at most {MAX_LIST_ENTRIES} names.", self.key)));
                }
                Ok(SettingValue::List(out))
            }
            _ => Err(wrong_type()),
        }
    }

    /// Reads the value in force (the default when unset or unreadable).
    pub fn get(&self, tx: &(impl ReadTx + ?Sized)) -> Result<SettingValue> {
        if let SettingType::Int(i) = self.kind {
            return i.get(tx).map(SettingValue::Int);
        }
        let stored = match tx.setting(self.key)? {
            Some(text) => match self.kind {
                SettingType::HostName | SettingType::Text(_) => {
                    serde_json::from_str::<String>(&text).ok().map(|s| SettingValue::Text(Some(s)))
                }
                _ => serde_json::from_str::<Vec<String>>(&text).ok().map(SettingValue::List),
            },
            None => None,
        };
        // A stored value that no longer passes the checks is ignored, like a bad number.
        Ok(stored.and_then(|v| self.check(v).ok()).unwrap_or_else(|| self.default_value()))
    }

    fn put(&self, tx: &Tx<'_>, value: &SettingValue, now: &str) -> Result<()> {
        match value {
            SettingValue::Int(v) => tx.put_setting(self.key, &v.to_string(), now),
            SettingValue::Text(None) => tx.delete_setting(self.key).map(|_| ()),
            SettingValue::List(v) if v.is_empty() => tx.delete_setting(self.key).map(|_| ()),
            other => {
                let text = serde_json::to_string(other).map_err(|_| Error::internal("setting serialisation"))?;
                tx.put_setting(self.key, &text, now)
            }
        }
    }
}

/// One setting as `Settings` lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SettingInfo {
    /// Name.
    pub name: String,
    /// `Int`, `HostName` or `HostNameList`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// Value in force.
    pub value: SettingValue,
    /// Value when unset.
    pub default: SettingValue,
    /// Smallest value (numbers only).
    pub minimum: Option<i64>,
    /// Largest value (numbers only).
    pub maximum: Option<i64>,
    /// True when the default applies.
    pub is_default: bool,
}

/// The farm-wide configuration as `ams service-config get` shows it: the six settings of the
/// specification by name, every other registered setting by name, and `Settings`, one entry
/// per setting with its default and range.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceConfig {
    /// Farm host name for agents.
    pub farm_api_host_name: Option<String>,
    /// Farm HTTPS port for agents.
    pub farm_api_port: i64,
    /// Farm host name for the web app.
    pub farm_web_app_host_name: Option<String>,
    /// Farm HTTPS port for the web app.
    pub farm_web_app_port: i64,
    /// Trusted forests to ignore.
    pub forests_to_ignore: Vec<String>,
    /// Trusted domains to ignore.
    pub domains_to_ignore: Vec<String>,
    /// Every other registered setting, by name.
    #[serde(flatten)]
    pub other: BTreeMap<String, SettingValue>,
    /// Every registered setting with its default and range.
    pub settings: Vec<SettingInfo>,
}

/// A set of changes, each checked when added.
#[derive(Debug, Default)]
pub struct ServiceConfigUpdate {
    changes: Vec<(SettingDef, SettingValue)>,
}

impl ServiceConfigUpdate {
    /// No changes yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a change. Refuses unknown names, bad values and a second change of one setting.
    pub fn set(&mut self, name: &str, value: SettingValue) -> Result<&mut Self> {
        let def = find_setting(name)?;
        if self.changes.iter().any(|(d, _)| d.key == def.key) {
            return Err(Error::new(ErrorCode::ServiceConfigInvalid, "A setting was given more than once.")
                .with("setting", def.key));
        }
        let value = def.check(value)?;
        self.changes.push((def, value));
        Ok(self)
    }

    /// Adds a change written as `NAME=VALUE`.
    pub fn set_assignment(&mut self, assignment: &str) -> Result<&mut Self> {
        let (name, raw) = assignment.split_once('=').ok_or_else(|| {
            Error::new(ErrorCode::ServiceConfigInvalid, "A setting must be written as NAME=VALUE.")
                .hint("For example: --setting PasswordMaximumAgeDays=60")
        })?;
        let def = find_setting(name)?;
        let value = def.parse(raw)?;
        self.set(def.key, value)
    }

    /// True when nothing would change.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

impl Ams {
    /// The farm-wide configuration in force.
    pub fn service_config(&self) -> Result<ServiceConfig> {
        self.store.read(|tx| read_config(tx))
    }

    /// Applies changes in one transaction, one audit record per setting, and returns the
    /// configuration in force afterwards. Hosts see the change when they next start.
    pub fn set_service_config(&self, update: &ServiceConfigUpdate) -> Result<ServiceConfig> {
        let now = self.now();
        self.store.write(|tx| {
            for (def, value) in &update.changes {
                def.put(tx, value, &now)?;
                audit::record(
                    self,
                    tx,
                    Event::success("service_config.set", "setting", def.key).details(json!({ def.key: value })),
                )?;
            }
            read_config(tx)
        })
    }
}

fn read_config(tx: &(impl ReadTx + ?Sized)) -> Result<ServiceConfig> {
    let mut cfg = ServiceConfig {
        farm_api_host_name: None,
        farm_api_port: FARM_API_PORT.default,
        farm_web_app_host_name: None,
        farm_web_app_port: FARM_WEB_APP_PORT.default,
        forests_to_ignore: Vec::new(),
        domains_to_ignore: Vec::new(),
        other: BTreeMap::new(),
        settings: Vec::new(),
    };
    for def in registry() {
        let value = def.get(tx)?;
        let (minimum, maximum) = match def.kind {
            SettingType::Int(i) => (Some(i.min), Some(i.max)),
            _ => (None, None),
        };
        let default = def.default_value();
        cfg.settings.push(SettingInfo {
            name: def.key.to_string(),
            kind: def.type_name().to_string(),
            is_default: value == default,
            value: value.clone(),
            default,
            minimum,
            maximum,
        });
        match (def.key, value) {
            (FARM_API_HOST_NAME, SettingValue::Text(v)) => cfg.farm_api_host_name = v,
            (FARM_WEB_APP_HOST_NAME, SettingValue::Text(v)) => cfg.farm_web_app_host_name = v,
            (k, SettingValue::Int(v)) if k == FARM_API_PORT.key => cfg.farm_api_port = v,
            (k, SettingValue::Int(v)) if k == FARM_WEB_APP_PORT.key => cfg.farm_web_app_port = v,
            (FORESTS_TO_IGNORE, SettingValue::List(v)) => cfg.forests_to_ignore = v,
            (DOMAINS_TO_IGNORE, SettingValue::List(v)) => cfg.domains_to_ignore = v,
            (k, v) => {
                cfg.other.insert(k.to_string(), v);
            }
        }
    }
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_has_the_spec_settings_and_the_numeric_ones() {
        let keys: Vec<&str> = registry().iter().map(|d| d.key).collect();
        for k in ["FarmApiHostName", "FarmApiPort", "FarmWebAppHostName", "FarmWebAppPort", "ForestsToIgnore"] {
            assert!(keys.contains(&k), "{k}");
        }
        for s in INT_SETTINGS {
            assert!(keys.contains(&s.key), "{}", s.key);
        }
        let mut unique = keys.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), keys.len(), "names are unique");
    }

    #[test]
    fn parsing_and_checks() {
        let ports = find_setting("farmapiport").unwrap();
        assert_eq!(ports.parse(" 8443 ").unwrap(), SettingValue::Int(8443));
        assert_eq!(ports.parse("0").unwrap_err().code(), ErrorCode::ServiceConfigInvalid);
        assert_eq!(ports.parse("x").unwrap_err().code(), ErrorCode::ServiceConfigInvalid);
        let host = find_setting("FarmApiHostName").unwrap();
        assert_eq!(host.parse("API.Example.com").unwrap(), SettingValue::Text(Some("api.example.com".into())));
        assert_eq!(host.parse("").unwrap(), SettingValue::Text(None));
        assert!(host.parse("not a name").is_err());
        let list = find_setting("DomainsToIgnore").unwrap();
        assert_eq!(
            list.parse("a.example, B.example,,a.example").unwrap(),
            SettingValue::List(vec!["a.example".into(), "b.example".into()])
        );
        assert_eq!(list.check(SettingValue::Int(1)).unwrap_err().code(), ErrorCode::ServiceConfigInvalid);
        assert_eq!(find_setting("NoSuchThing").unwrap_err().code(), ErrorCode::ServiceSettingUnknown);
        let folder = find_setting("backupfolder").unwrap();
        assert_eq!(folder.type_name(), "Text");
        assert_eq!(folder.parse(" /srv/ams backups ").unwrap(), SettingValue::Text(Some("/srv/ams backups".into())));
        assert_eq!(folder.parse("").unwrap(), SettingValue::Text(None));
        assert_eq!(folder.default_value(), SettingValue::Text(None));
        assert!(folder.check(SettingValue::Text(Some("a\u{7}b".into()))).is_err());
        let mut u = ServiceConfigUpdate::new();
        u.set_assignment("FarmApiPort=444").unwrap();
        assert_eq!(u.set("FARMAPIPORT", SettingValue::Int(1)).unwrap_err().code(), ErrorCode::ServiceConfigInvalid);
        assert_eq!(u.set_assignment("FarmApiPort").unwrap_err().code(), ErrorCode::ServiceConfigInvalid);
    }
}
