//! The LAPS and BitLocker data Active Directory keeps on computers, as the directory providers
//! read it: legacy Microsoft LAPS (`ms-Mcs-AdmPwd`, `ms-Mcs-AdmPwdExpirationTime`), Windows LAPS
//! (`msLAPS-Password` JSON, `msLAPS-EncryptedPassword`, `msLAPS-PasswordExpirationTime`) and
//! BitLocker recovery information (`msFVE-RecoveryInformation` children of the computer).
//!
//! Nothing here talks to a server: these functions turn entries into values, so the formats are
//! unit-tested with AD-shaped values. No value read here is ever put in an error message.

use ldap3::SearchEntry;
use time::OffsetDateTime;

use crate::clock::format_time;
use crate::error::{Error, ErrorCode, Result};
use crate::secret::SecretString;

/// Legacy LAPS password.
pub const MS_MCS_ADMPWD: &str = "ms-Mcs-AdmPwd";
/// Legacy LAPS expiry (FILETIME).
pub const MS_MCS_ADMPWD_EXPIRATION_TIME: &str = "ms-Mcs-AdmPwdExpirationTime";
/// Windows LAPS password (JSON, clear).
pub const MSLAPS_PASSWORD: &str = "msLAPS-Password";
/// Windows LAPS password (DPAPI-NG encrypted).
pub const MSLAPS_ENCRYPTED_PASSWORD: &str = "msLAPS-EncryptedPassword";
/// Windows LAPS password history (always encrypted).
pub const MSLAPS_ENCRYPTED_PASSWORD_HISTORY: &str = "msLAPS-EncryptedPasswordHistory";
/// Windows LAPS expiry (FILETIME).
pub const MSLAPS_PASSWORD_EXPIRATION_TIME: &str = "msLAPS-PasswordExpirationTime";
/// BitLocker recovery information object class.
pub const MSFVE_RECOVERY_INFORMATION: &str = "msFVE-RecoveryInformation";
/// BitLocker recovery password.
pub const MSFVE_RECOVERY_PASSWORD: &str = "msFVE-RecoveryPassword";
/// BitLocker recovery key id (GUID, binary).
pub const MSFVE_RECOVERY_GUID: &str = "msFVE-RecoveryGuid";
/// BitLocker volume id (GUID, binary).
pub const MSFVE_VOLUME_GUID: &str = "msFVE-VolumeGuid";
/// AD's object GUID (binary).
pub const OBJECT_GUID: &str = "objectGUID";

/// The attributes to ask for on a computer.
pub const COMPUTER_ATTRIBUTES: &[&str] = &[
    MS_MCS_ADMPWD,
    MS_MCS_ADMPWD_EXPIRATION_TIME,
    MSLAPS_PASSWORD,
    MSLAPS_ENCRYPTED_PASSWORD,
    MSLAPS_ENCRYPTED_PASSWORD_HISTORY,
    MSLAPS_PASSWORD_EXPIRATION_TIME,
    OBJECT_GUID,
];

/// 100 ns intervals between 1601-01-01 and 1970-01-01.
const FILETIME_UNIX_EPOCH: i128 = 116_444_736_000_000_000;

/// A FILETIME (100 ns since 1601, UTC) as RFC 3339; `None` for 0, "never" (i64::MAX) or out of range.
pub fn filetime_to_time(ft: i64) -> Option<String> {
    if ft <= 0 || ft == i64::MAX {
        return None;
    }
    let nanos = (i128::from(ft) - FILETIME_UNIX_EPOCH) * 100;
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok().map(format_time)
}

/// A time as a FILETIME.
pub fn time_to_filetime(t: OffsetDateTime) -> i64 {
    let v = t.unix_timestamp_nanos() / 100 + FILETIME_UNIX_EPOCH;
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn malformed(attribute: &str, why: &str) -> Error {
    Error::new(ErrorCode::DirectorySecretMalformed, format!("The computer's {attribute} attribute {why}."))
        .hint("The value was written by something other than LAPS or BitLocker, or damaged; have the computer write a new one.")
        .with("attribute", attribute)
}

/// A clear password read from the directory.
#[derive(Debug, Clone)]
pub struct DirectoryPassword {
    /// `MsLaps` or `WindowsLaps`.
    pub source: &'static str,
    /// The account (Windows LAPS names it; legacy LAPS does not).
    pub account_name: Option<String>,
    /// The password.
    pub password: SecretString,
    /// When it was set (Windows LAPS; legacy LAPS keeps no date).
    pub updated: Option<String>,
    /// When it expires.
    pub expires: Option<String>,
}

/// What a computer entry says about its LAPS password.
#[derive(Debug, Clone, Default)]
pub struct ComputerLaps {
    /// Legacy LAPS.
    pub legacy: Option<DirectoryPassword>,
    /// Windows LAPS in clear.
    pub windows: Option<DirectoryPassword>,
    /// Windows LAPS holds an encrypted password (not readable here).
    pub encrypted: bool,
    /// Entries of the encrypted Windows LAPS history.
    pub encrypted_history: usize,
    /// The Windows LAPS expiry, even when the password is encrypted.
    pub windows_expires: Option<String>,
}

fn first_text<'e>(e: &'e SearchEntry, a: &str) -> Option<&'e str> {
    e.attrs.get(a).and_then(|v| v.first()).map(String::as_str)
}

fn filetime_attr(e: &SearchEntry, a: &str) -> Result<Option<String>> {
    match first_text(e, a) {
        None => Ok(None),
        Some(v) => v.trim().parse::<i64>().map(filetime_to_time).map_err(|_| malformed(a, "is not a FILETIME number")),
    }
}

/// Reads the LAPS attributes of a computer entry.
pub fn computer_laps(e: &SearchEntry) -> Result<ComputerLaps> {
    let mut out = ComputerLaps::default();
    if let Some(p) = first_text(e, MS_MCS_ADMPWD).filter(|p| !p.is_empty()) {
        out.legacy = Some(DirectoryPassword {
            source: "MsLaps",
            account_name: None,
            password: SecretString::new(p.to_string()),
            updated: None,
            expires: filetime_attr(e, MS_MCS_ADMPWD_EXPIRATION_TIME)?,
        });
    }
    out.windows_expires = filetime_attr(e, MSLAPS_PASSWORD_EXPIRATION_TIME)?;
    if let Some(j) = first_text(e, MSLAPS_PASSWORD).filter(|p| !p.is_empty()) {
        let mut p = parse_windows_laps_json(j)?;
        p.expires = out.windows_expires.clone();
        out.windows = Some(p);
    }
    let a = MSLAPS_ENCRYPTED_PASSWORD;
    out.encrypted = e.bin_attrs.get(a).is_some_and(|v| v.iter().any(|b| !b.is_empty()))
        || e.attrs.get(a).is_some_and(|v| v.iter().any(|b| !b.is_empty()));
    out.encrypted_history = e.bin_attrs.get(MSLAPS_ENCRYPTED_PASSWORD_HISTORY).map_or(0, Vec::len)
        + e.attrs.get(MSLAPS_ENCRYPTED_PASSWORD_HISTORY).map_or(0, Vec::len);
    Ok(out)
}

/// The `msLAPS-Password` JSON: `{"n": account, "t": update time (FILETIME in hex), "p": password}`.
pub fn parse_windows_laps_json(j: &str) -> Result<DirectoryPassword> {
    #[derive(serde::Deserialize)]
    struct W {
        n: String,
        t: String,
        p: String,
    }
    let w: W = serde_json::from_str(j).map_err(|_| malformed(MSLAPS_PASSWORD, "is not Windows LAPS JSON"))?;
    let updated = i64::from_str_radix(w.t.trim(), 16)
        .map_err(|_| malformed(MSLAPS_PASSWORD, "has an update time that is not a hexadecimal FILETIME"))?;
    Ok(DirectoryPassword {
        source: "WindowsLaps",
        account_name: Some(w.n),
        password: SecretString::new(w.p),
        updated: filetime_to_time(updated),
        expires: None,
    })
}

/// The error for an encrypted Windows LAPS password.
pub fn encrypted_error(what: &str) -> Error {
    Error::new(
        ErrorCode::LapsEncryptedPasswordNeedsWindows,
        format!("The computer's Windows LAPS {what} is encrypted (msLAPS-EncryptedPassword, DPAPI-NG): it cannot be decrypted off Windows."),
    )
    .hint("Read it on a Windows host with DPAPI-NG access whose account is an authorized password decryptor (Get-LapsADPassword -AsPlainText), or configure Windows LAPS to store passwords unencrypted where policy allows.")
}

/// A BitLocker recovery key read from the directory.
#[derive(Debug, Clone)]
pub struct DirectoryBitLockerKey {
    /// Recovery key id (lower case, no braces).
    pub key_id: String,
    /// Volume id.
    pub volume_id: Option<String>,
    /// The 48-digit recovery password.
    pub recovery_password: SecretString,
    /// When it was backed up (from the object's name, `<time>{<key id>}`).
    pub created: Option<String>,
}

/// A GUID as AD stores it (the first three fields little-endian) in its text form.
pub fn guid_from_bytes(b: &[u8]) -> Option<String> {
    let a: [u8; 16] = b.try_into().ok()?;
    Some(uuid::Uuid::from_bytes_le(a).to_string())
}

/// Reads one `msFVE-RecoveryInformation` entry.
pub fn bitlocker_key(e: &SearchEntry) -> Result<DirectoryBitLockerKey> {
    let pw = first_text(e, MSFVE_RECOVERY_PASSWORD)
        .ok_or_else(|| malformed(MSFVE_RECOVERY_PASSWORD, "is missing (or not readable to the bind account)"))?;
    crate::service::secrets::check_bitlocker_recovery_password(pw.as_bytes())
        .map_err(|_| malformed(MSFVE_RECOVERY_PASSWORD, "is not 48 digits in eight groups"))?;
    let guid = |a: &str| e.bin_attrs.get(a).and_then(|v| v.first()).and_then(|b| guid_from_bytes(b));
    // The name is `<time>{<key id>}`, e.g. 2024-01-15T10:00:00-08:00{6C5B2A40-...}.
    let cn = e.dn.split(',').next().unwrap_or("").split_once('=').map_or("", |(_, v)| v);
    let (when, id_in_name) = match cn.split_once('{') {
        Some((w, rest)) => (Some(w.trim()), Some(rest.trim_end_matches('}'))),
        None => (None, None),
    };
    let key_id = guid(MSFVE_RECOVERY_GUID)
        .or_else(|| id_in_name.and_then(|i| uuid::Uuid::parse_str(i).ok()).map(|u| u.to_string()))
        .ok_or_else(|| malformed(MSFVE_RECOVERY_GUID, "is missing"))?;
    let created = when.and_then(|w| {
        time::OffsetDateTime::parse(w, &time::format_description::well_known::Rfc3339).ok().map(format_time)
    });
    Ok(DirectoryBitLockerKey {
        key_id,
        volume_id: guid(MSFVE_VOLUME_GUID),
        recovery_password: SecretString::new(pw.to_string()),
        created,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn entry(dn: &str, attrs: &[(&str, &str)], bin: &[(&str, Vec<u8>)]) -> SearchEntry {
        let mut a: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in attrs {
            a.entry(k.to_string()).or_default().push(v.to_string());
        }
        let mut b: HashMap<String, Vec<Vec<u8>>> = HashMap::new();
        for (k, v) in bin {
            b.entry(k.to_string()).or_default().push(v.clone());
        }
        SearchEntry { dn: dn.into(), attrs: a, bin_attrs: b }
    }

    #[test]
    fn filetimes() {
        // 2024-01-15T18:00:00Z
        assert_eq!(filetime_to_time(133_498_152_000_000_000).as_deref(), Some("2024-01-15T18:00:00.000000Z"));
        assert_eq!(filetime_to_time(0), None);
        assert_eq!(filetime_to_time(i64::MAX), None);
        let t = time::macros::datetime!(2024-01-15 18:00 UTC);
        assert_eq!(time_to_filetime(t), 133_498_152_000_000_000);
    }

    #[test]
    fn windows_laps_json() {
        let p = parse_windows_laps_json(r#"{"n":"Administrator","t":"1da47d4a7f1c000","p":"s3cret-Value"}"#).unwrap();
        assert_eq!(p.source, "WindowsLaps");
        assert_eq!(p.account_name.as_deref(), Some("Administrator"));
        assert_eq!(p.password.expose(), "s3cret-Value");
        assert!(p.updated.is_some());
        for bad in [r#"{"n":"a","p":"x"}"#, "not json", r#"{"n":"a","t":"zz","p":"x"}"#] {
            let e = parse_windows_laps_json(bad).unwrap_err();
            assert_eq!(e.code(), ErrorCode::DirectorySecretMalformed);
            assert!(!format!("{e:?}").contains("s3cret"));
        }
    }

    #[test]
    fn computer_entries() {
        let e = entry(
            "CN=PC1,OU=Computers,DC=corp,DC=example",
            &[(MS_MCS_ADMPWD, "legacy-pw"), (MS_MCS_ADMPWD_EXPIRATION_TIME, "133498152000000000")],
            &[(MSLAPS_ENCRYPTED_PASSWORD, vec![1, 2, 3])],
        );
        let l = computer_laps(&e).unwrap();
        assert_eq!(l.legacy.as_ref().unwrap().password.expose(), "legacy-pw");
        assert_eq!(l.legacy.as_ref().unwrap().expires.as_deref(), Some("2024-01-15T18:00:00.000000Z"));
        assert!(l.encrypted && l.windows.is_none());
        let bad = entry("CN=PC2", &[(MS_MCS_ADMPWD, "x"), (MS_MCS_ADMPWD_EXPIRATION_TIME, "soon")], &[]);
        assert_eq!(computer_laps(&bad).unwrap_err().code(), ErrorCode::DirectorySecretMalformed);
    }

    #[test]
    fn bitlocker_entries_as_ad_names_them() {
        // {6C5B2A40-8F1D-4E2B-9C3A-112233445566} as AD stores it: first three fields little-endian.
        let guid = vec![0x40, 0x2a, 0x5b, 0x6c, 0x1d, 0x8f, 0x2b, 0x4e, 0x9c, 0x3a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66];
        let pw = "111111-222222-333333-444444-555555-666666-111111-222222";
        let e = entry(
            "CN=2024-01-15T10:00:00-08:00{6C5B2A40-8F1D-4E2B-9C3A-112233445566},CN=PC1,OU=Computers,DC=corp,DC=example",
            &[(MSFVE_RECOVERY_PASSWORD, pw)],
            &[(MSFVE_RECOVERY_GUID, guid.clone()), (MSFVE_VOLUME_GUID, guid)],
        );
        let k = bitlocker_key(&e).unwrap();
        assert_eq!(k.key_id, "6c5b2a40-8f1d-4e2b-9c3a-112233445566");
        assert_eq!(k.volume_id.as_deref(), Some("6c5b2a40-8f1d-4e2b-9c3a-112233445566"));
        assert_eq!(k.created.as_deref(), Some("2024-01-15T18:00:00.000000Z"));
        assert_eq!(k.recovery_password.expose(), pw);
        let bad = entry("CN=x{y}", &[(MSFVE_RECOVERY_PASSWORD, "12")], &[]);
        let e = bitlocker_key(&bad).unwrap_err();
        assert_eq!(e.code(), ErrorCode::DirectorySecretMalformed);
    }
}
