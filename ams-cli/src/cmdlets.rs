//! The 43 cmdlets of the PowerShell module and the `ams` verb each maps to.
//!
//! The rule: `<Verb>-Ams<Noun>` is `ams <noun-in-kebab-case> <verb-in-lower-case>`. The list is
//! kept in the project so the parity tests never read the specification folder.

/// Every cmdlet name, sorted.
pub const CMDLETS: &[&str] = &[
    "Add-AmsDeviceRegistrationKeyGroup",
    "Add-AmsGroupMember",
    "Add-AmsIdpClaimMapping",
    "Clear-AmsIdpClaimMapping",
    "Export-AmsServerDiagnostics",
    "Get-AmsActiveDirectoryJitGroupCreationRule",
    "Get-AmsActiveDirectoryJitOptions",
    "Get-AmsComputerAuthorizationRule",
    "Get-AmsDevice",
    "Get-AmsDeviceRegistrationKey",
    "Get-AmsFveRecoveryKey",
    "Get-AmsGroup",
    "Get-AmsGroupMembers",
    "Get-AmsHostConfig",
    "Get-AmsIdpClaimMapping",
    "Get-AmsJitSchedulerJob",
    "Get-AmsLocalAdminPassword",
    "Get-AmsLocalAdminPasswordHistory",
    "Get-AmsRoleAuthorizationRule",
    "Get-AmsServiceConfig",
    "New-AmsActiveDirectoryJitGroupCreationRule",
    "New-AmsComputerAuthorizationRule",
    "New-AmsDeviceRegistrationKey",
    "New-AmsGroup",
    "New-AmsRoleAuthorizationRule",
    "Remove-AmsActiveDirectoryJitGroupCreationRule",
    "Remove-AmsComputerAuthorizationRule",
    "Remove-AmsDevice",
    "Remove-AmsDeviceRegistrationKey",
    "Remove-AmsDeviceRegistrationKeyGroup",
    "Remove-AmsGroup",
    "Remove-AmsGroupMember",
    "Remove-AmsJitSchedulerJob",
    "Remove-AmsRoleAuthorizationRule",
    "Set-AmsActiveDirectoryJitGroupCreationRule",
    "Set-AmsActiveDirectoryJitOptions",
    "Set-AmsComputerAuthorizationRule",
    "Set-AmsDevice",
    "Set-AmsDeviceRegistrationKey",
    "Set-AmsGroup",
    "Set-AmsHostConfig",
    "Set-AmsRoleAuthorizationRule",
    "Set-AmsServiceConfig",
];

/// The `ams` verb path (`"group-member add"`) for a cmdlet name.
pub fn verb_for(cmdlet: &str) -> Option<String> {
    let (verb, rest) = cmdlet.split_once('-')?;
    let noun = rest.strip_prefix("Ams")?;
    let mut kebab = String::new();
    for (i, ch) in noun.chars().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 {
            kebab.push('-');
        }
        kebab.push(ch.to_ascii_lowercase());
    }
    Some(format!("{kebab} {}", verb.to_ascii_lowercase()))
}

/// The cmdlet name for an `ams` verb path, if that verb is one of the 43.
pub fn cmdlet_for(verb_path: &str) -> Option<&'static str> {
    CMDLETS.iter().copied().find(|c| verb_for(c).as_deref() == Some(verb_path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_examples() {
        assert_eq!(CMDLETS.len(), 43);
        assert_eq!(verb_for("Get-AmsLocalAdminPassword").unwrap(), "local-admin-password get");
        assert_eq!(verb_for("Add-AmsGroupMember").unwrap(), "group-member add");
        assert_eq!(verb_for("Export-AmsServerDiagnostics").unwrap(), "server-diagnostics export");
        assert_eq!(cmdlet_for("device get"), Some("Get-AmsDevice"));
        assert_eq!(cmdlet_for("key rotate"), None);
    }
}
