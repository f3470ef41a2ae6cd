//! Device groups: custom groups with explicit members, and computed built-in groups.

use serde::Serialize;
use uuid::Uuid;

use crate::ams::Ams;
use crate::crypto::seal::new_id;
use crate::error::{Error, ErrorCode, Result};
use crate::service::audit::{self, Event};
use crate::service::devices::{DeviceInfo, DeviceSelector, resolve};
use crate::store::{DeviceRow, GroupRow, ReadTx, on_unique};

/// A group as shown to people.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GroupInfo {
    /// Group id (a UUID; the SID for built-in groups).
    pub id: String,
    /// Name.
    pub name: String,
    /// SID.
    pub sid: String,
    /// Description.
    pub description: String,
    /// `Normal` (custom) or `System` (built-in).
    pub r#type: String,
    /// Created at (empty for built-in groups).
    pub created: Option<String>,
    /// Modified at.
    pub modified: Option<String>,
}

/// A built-in group: computed membership, cannot be changed.
struct BuiltIn {
    sid: &'static str,
    name: &'static str,
    description: &'static str,
    authority: Option<&'static str>,
    os: Option<&'static str>,
}

const BUILT_INS: &[BuiltIn] = &[
    BuiltIn { sid: "S-1-4096-2-1", name: "All devices", description: "Every device", authority: None, os: None },
    BuiltIn {
        sid: "S-1-4096-2-2",
        name: "AMS devices",
        description: "Devices registered with a registration key",
        authority: Some("Ams"),
        os: None,
    },
    BuiltIn {
        sid: "S-1-4096-2-3",
        name: "Microsoft Entra devices",
        description: "Devices registered with Microsoft Entra authentication",
        authority: Some("AzureActiveDirectory"),
        os: None,
    },
    BuiltIn {
        sid: "S-1-4096-2-4",
        name: "All Windows devices",
        description: "Every Windows device",
        authority: None,
        os: Some("Windows"),
    },
    BuiltIn {
        sid: "S-1-4096-2-5",
        name: "All Linux devices",
        description: "Every Linux device",
        authority: None,
        os: Some("Linux"),
    },
    BuiltIn {
        sid: "S-1-4096-2-6",
        name: "All macOS devices",
        description: "Every macOS device",
        authority: None,
        os: Some("MacOS"),
    },
    BuiltIn {
        sid: "S-1-4096-2-7",
        name: "AMS Windows devices",
        description: "Windows devices registered with a registration key",
        authority: Some("Ams"),
        os: Some("Windows"),
    },
    BuiltIn {
        sid: "S-1-4096-2-8",
        name: "Microsoft Entra Windows devices",
        description: "Windows devices registered with Microsoft Entra authentication",
        authority: Some("AzureActiveDirectory"),
        os: Some("Windows"),
    },
    BuiltIn {
        sid: "S-1-4096-2-9",
        name: "AMS Linux devices",
        description: "Linux devices registered with a registration key",
        authority: Some("Ams"),
        os: Some("Linux"),
    },
    BuiltIn {
        sid: "S-1-4096-2-10",
        name: "AMS macOS devices",
        description: "macOS devices registered with a registration key",
        authority: Some("Ams"),
        os: Some("MacOS"),
    },
];

impl BuiltIn {
    fn info(&self) -> GroupInfo {
        GroupInfo {
            id: self.sid.into(),
            name: self.name.into(),
            sid: self.sid.into(),
            description: self.description.into(),
            r#type: "System".into(),
            created: None,
            modified: None,
        }
    }

    fn contains(&self, d: &DeviceRow) -> bool {
        self.authority.is_none_or(|a| d.authority_type == a) && self.os.is_none_or(|o| d.os_type == o)
    }
}

fn built_in(id_or_sid: &str) -> Option<&'static BuiltIn> {
    BUILT_INS.iter().find(|b| b.sid.eq_ignore_ascii_case(id_or_sid))
}

/// The SID of a custom group: `S-1-4096-1-` and the group id as four 32-bit numbers.
pub fn custom_group_sid(id: &Uuid) -> String {
    let b = id.as_bytes();
    let part = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    format!("S-1-4096-1-{}-{}-{}-{}", part(0), part(4), part(8), part(12))
}

impl From<&GroupRow> for GroupInfo {
    fn from(g: &GroupRow) -> Self {
        GroupInfo {
            id: g.id.clone(),
            name: g.name.clone(),
            sid: g.sid.clone(),
            description: g.description.clone(),
            r#type: "Normal".into(),
            created: Some(g.created_at.clone()),
            modified: Some(g.modified_at.clone()),
        }
    }
}

fn check_name(name: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 256 || n.chars().any(char::is_control) {
        return Err(Error::invalid("A group name must be 1 to 256 characters without control characters."));
    }
    Ok(n.to_string())
}

fn group_exists(name: &str) -> Error {
    Error::new(ErrorCode::GroupExists, "A group with that name already exists.").with("name", name)
}

fn built_in_refused(sid: &str) -> Error {
    Error::new(ErrorCode::GroupBuiltIn, "Built-in groups are computed and cannot be changed, deleted or given members.")
        .with("group", sid)
}

/// Resolves a custom group by id, or fails (built-in groups get [`ErrorCode::GroupBuiltIn`]).
pub(crate) fn require_custom_group(tx: &(impl ReadTx + ?Sized), id: &str) -> Result<GroupRow> {
    if built_in(id).is_some() {
        return Err(built_in_refused(id));
    }
    let mut found = tx.groups(Some(id), None, None)?;
    if found.is_empty() {
        // Accept a SID too: pipelines may carry either.
        found = tx.groups(None, None, Some(id))?;
    }
    found.pop().ok_or_else(|| {
        Error::new(ErrorCode::GroupNotFound, "No group matches.")
            .hint("Run `ams group get` to list groups.")
            .with("group", id)
    })
}

impl Ams {
    /// Creates a custom group.
    pub fn group_new(&self, name: &str, description: Option<&str>) -> Result<GroupInfo> {
        let name = check_name(name)?;
        if BUILT_INS.iter().any(|b| b.name.eq_ignore_ascii_case(&name)) {
            return Err(group_exists(&name));
        }
        let id = new_id()?;
        let now = self.now();
        let row = GroupRow {
            id: id.to_string(),
            name: name.clone(),
            sid: custom_group_sid(&id),
            description: description.unwrap_or_default().to_string(),
            created_at: now.clone(),
            modified_at: now,
        };
        self.store.write(|tx| {
            tx.insert_group(&row).map_err(|e| on_unique(e, || group_exists(&name)))?;
            audit::record(
                self,
                tx,
                Event::success("group.new", "group", &row.id).details(serde_json::json!({"Name": row.name})),
            )
        })?;
        Ok(GroupInfo::from(&row))
    }

    /// Lists groups (built-in first), optionally by id, name or SID.
    pub fn groups(&self, id: Option<&str>, name: Option<&str>, sid: Option<&str>) -> Result<Vec<GroupInfo>> {
        let mut out: Vec<GroupInfo> = BUILT_INS
            .iter()
            .filter(|b| id.is_none_or(|i| b.sid.eq_ignore_ascii_case(i)))
            .filter(|b| name.is_none_or(|n| b.name.eq_ignore_ascii_case(n)))
            .filter(|b| sid.is_none_or(|s| b.sid.eq_ignore_ascii_case(s)))
            .map(BuiltIn::info)
            .collect();
        let rows = self.store.read(|tx| tx.groups(id, name, sid))?;
        out.extend(rows.iter().map(GroupInfo::from));
        if let Some(i) = id
            && !out.iter().any(|g| g.id.eq_ignore_ascii_case(i) || g.sid.eq_ignore_ascii_case(i))
        {
            // A lookup by id names one group: a missing one is an error, not an empty list.
            return Err(Error::new(ErrorCode::GroupNotFound, "No group matches.")
                .hint("Run `ams group get` to list groups.")
                .with("group", i));
        }
        Ok(out)
    }

    /// Renames a custom group and/or changes its description.
    pub fn group_set(&self, id: &str, name: Option<&str>, description: Option<&str>) -> Result<GroupInfo> {
        let now = self.now();
        self.store.write(|tx| {
            let mut g = require_custom_group(tx, id)?;
            if let Some(n) = name {
                let n = check_name(n)?;
                if BUILT_INS.iter().any(|b| b.name.eq_ignore_ascii_case(&n)) {
                    return Err(group_exists(&n));
                }
                g.name = n;
            }
            if let Some(d) = description {
                g.description = d.to_string();
            }
            g.modified_at = now.clone();
            tx.update_group(&g).map_err(|e| on_unique(e, || group_exists(&g.name)))?;
            audit::record(
                self,
                tx,
                Event::success("group.set", "group", &g.id).details(serde_json::json!({"Name": g.name})),
            )?;
            Ok(GroupInfo::from(&g))
        })
    }

    /// Deletes a custom group. A group with members or attached to registration keys needs `force`.
    pub fn group_remove(&self, id: &str, force: bool) -> Result<()> {
        self.store.write(|tx| {
            let g = require_custom_group(tx, id)?;
            let (members, keys) = tx.group_usage(&g.id)?;
            if (members > 0 || keys > 0) && !force {
                return Err(Error::new(
                    ErrorCode::ForceRequired,
                    format!("The group is in use: {members} member(s), attached to {keys} registration key(s)."),
                )
                .hint("Add --force to delete it anyway.")
                .with("group_id", &g.id));
            }
            tx.delete_group(&g.id)?;
            audit::record(
                self,
                tx,
                Event::success("group.remove", "group", &g.id)
                    .details(serde_json::json!({"Name": g.name, "Members": members})),
            )
        })
    }

    /// Adds devices to a custom group (already-members are fine).
    pub fn group_member_add(&self, id: &str, devices: &[String]) -> Result<()> {
        let now = self.now();
        self.store.write(|tx| {
            let g = require_custom_group(tx, id)?;
            for dev in devices {
                let d = resolve(tx, &DeviceSelector::Id(dev.clone()))?;
                if tx.add_group_member(&g.id, &d.id, &now)? {
                    audit::record(
                        self,
                        tx,
                        Event::success("group.member.add", "group", &g.id)
                            .details(serde_json::json!({"DeviceId": d.id})),
                    )?;
                }
            }
            Ok(())
        })
    }

    /// Removes devices from a custom group; with no devices, empties it (needs `force`).
    pub fn group_member_remove(&self, id: &str, devices: &[String], force: bool) -> Result<()> {
        self.store.write(|tx| {
            let g = require_custom_group(tx, id)?;
            if devices.is_empty() {
                if !force {
                    return Err(Error::new(
                        ErrorCode::ForceRequired,
                        "No devices were named: this would remove every member of the group.",
                    )
                    .hint("Add --force to empty the group, or name the devices with --devices.")
                    .with("group_id", &g.id));
                }
                let n = tx.clear_group_members(&g.id)?;
                return audit::record(
                    self,
                    tx,
                    Event::success("group.member.clear", "group", &g.id).details(serde_json::json!({"Removed": n})),
                );
            }
            for dev in devices {
                let d = resolve(tx, &DeviceSelector::Id(dev.clone()))?;
                if tx.remove_group_member(&g.id, &d.id)? {
                    audit::record(
                        self,
                        tx,
                        Event::success("group.member.remove", "group", &g.id)
                            .details(serde_json::json!({"DeviceId": d.id})),
                    )?;
                }
            }
            Ok(())
        })
    }

    /// Members of a group (computed for built-in groups).
    pub fn group_members(&self, id: &str) -> Result<Vec<DeviceInfo>> {
        self.store.read(|tx| {
            let rows = match built_in(id) {
                Some(b) => tx.devices(None, None, None)?.into_iter().filter(|d| b.contains(d)).collect(),
                None => tx.group_members(&require_custom_group(tx, id)?.id)?,
            };
            Ok(rows.iter().map(DeviceInfo::from).collect())
        })
    }

    /// SIDs of every group a device is in (custom and built-in), for rule evaluation.
    pub fn device_group_sids(&self, device_id: &str) -> Result<Vec<String>> {
        self.store.read(|tx| {
            let d = resolve(tx, &DeviceSelector::Id(device_id.to_string()))?;
            device_group_sids_in(tx, &d)
        })
    }
}

/// Finds a group, built-in or custom, by id or SID inside the caller's transaction.
pub(crate) fn find_group_in(tx: &(impl ReadTx + ?Sized), id_or_sid: &str) -> Result<Option<GroupInfo>> {
    if let Some(b) = built_in(id_or_sid) {
        return Ok(Some(b.info()));
    }
    let mut found = tx.groups(Some(id_or_sid), None, None)?;
    if found.is_empty() {
        found = tx.groups(None, None, Some(id_or_sid))?;
    }
    Ok(found.pop().map(|g| GroupInfo::from(&g)))
}

/// SIDs of every group a device is in (custom and built-in), inside the caller's transaction.
pub(crate) fn device_group_sids_in(tx: &(impl ReadTx + ?Sized), d: &DeviceRow) -> Result<Vec<String>> {
    let mut sids: Vec<String> = BUILT_INS.iter().filter(|b| b.contains(d)).map(|b| b.sid.to_string()).collect();
    for gid in tx.device_group_ids(&d.id)? {
        if let Some(g) = tx.groups(Some(&gid), None, None)?.pop() {
            sids.push(g.sid);
        }
    }
    Ok(sids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_sids_are_stable_and_distinct_from_built_ins() {
        let id = Uuid::parse_str("00000001-0000-0002-0000-000300000004").unwrap();
        assert_eq!(custom_group_sid(&id), "S-1-4096-1-1-2-3-4");
        assert!(built_in(&custom_group_sid(&id)).is_none());
    }
}
