#
# Module manifest for AccessManager: PowerShell cmdlets for ams, the Access Manager Service.
# Every cmdlet is a thin wrapper that runs the `ams` command line and turns its JSON into objects.
#
@{
    RootModule           = 'AccessManager.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = '0b2affc8-562b-465c-b7c1-5fcd636365b2'
    Author               = 'The ams authors'
    CompanyName          = 'The ams authors'
    Copyright            = 'Copyright (c) The ams authors. Licensed under MIT OR Apache-2.0.'
    Description          = 'Manage an ams (Access Manager Service) instance: devices, groups, registration keys, local administrator passwords, BitLocker recovery keys, the master key and encryption certificates. Wraps the ams command line, which must be installed separately.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')

    FormatsToProcess     = @('AccessManager.Format.ps1xml')
    TypesToProcess       = @('AccessManager.Types.ps1xml')

    # Keep this list explicit and sorted: the parity test compares it with `ams commands --json`.
    FunctionsToExport    = @(
        'Add-AmsDeviceRegistrationKeyGroup'
        'Add-AmsGroupMember'
        'Add-AmsIdpClaimMapping'
        'Approve-AmsAccessRequest'
        'Backup-AmsDatabase'
        'Clear-AmsIdpClaimMapping'
        'Deny-AmsAccessRequest'
        'Enable-AmsEncryptionCertificate'
        'Export-AmsEncryptionCertificate'
        'Export-AmsServerDiagnostics'
        'Get-AmsAccessRequest'
        'Get-AmsActiveDirectoryJitGroupCreationRule'
        'Get-AmsActiveDirectoryJitOptions'
        'Get-AmsAgentPolicy'
        'Get-AmsApprovedAccess'
        'Get-AmsAuditRecord'
        'Get-AmsComputerAuthorizationRule'
        'Get-AmsDatabaseStatus'
        'Get-AmsDevice'
        'Get-AmsDeviceRegistrationKey'
        'Get-AmsEncryptionCertificate'
        'Get-AmsEncryptionCertificateStatus'
        'Get-AmsFveRecoveryKey'
        'Get-AmsGroup'
        'Get-AmsGroupMembers'
        'Get-AmsHostConfig'
        'Get-AmsIdpClaimMapping'
        'Get-AmsJitSchedulerJob'
        'Get-AmsLocalAdminPassword'
        'Get-AmsLocalAdminPasswordHistory'
        'Get-AmsMasterKeyStatus'
        'Get-AmsNotificationChannel'
        'Get-AmsNotificationQueue'
        'Get-AmsRoleAuthorizationRule'
        'Get-AmsServiceConfig'
        'Get-AmsWordList'
        'Import-AmsEncryptionCertificate'
        'Initialize-AmsInstance'
        'Invoke-AmsNotificationDelivery'
        'Move-AmsAgentPolicy'
        'New-AmsActiveDirectoryJitGroupCreationRule'
        'New-AmsAgentPolicy'
        'New-AmsComputerAuthorizationRule'
        'New-AmsDeviceRegistrationKey'
        'New-AmsEncryptionCertificate'
        'New-AmsGroup'
        'New-AmsNotificationChannel'
        'New-AmsRoleAuthorizationRule'
        'New-AmsWordList'
        'Remove-AmsActiveDirectoryJitGroupCreationRule'
        'Remove-AmsAgentPolicy'
        'Remove-AmsComputerAuthorizationRule'
        'Remove-AmsDevice'
        'Remove-AmsDeviceRegistrationKey'
        'Remove-AmsDeviceRegistrationKeyGroup'
        'Remove-AmsGroup'
        'Remove-AmsGroupMember'
        'Remove-AmsJitSchedulerJob'
        'Remove-AmsMasterKeyHostProtector'
        'Remove-AmsNotificationChannel'
        'Remove-AmsRoleAuthorizationRule'
        'Remove-AmsWordList'
        'Resolve-AmsAgentPolicy'
        'Restore-AmsDatabase'
        'Restore-AmsMasterKey'
        'Set-AmsActiveDirectoryJitGroupCreationRule'
        'Set-AmsActiveDirectoryJitOptions'
        'Set-AmsAgentPolicy'
        'Set-AmsComputerAuthorizationRule'
        'Set-AmsDevice'
        'Set-AmsDeviceRegistrationKey'
        'Set-AmsGroup'
        'Set-AmsHostConfig'
        'Set-AmsNotificationChannel'
        'Set-AmsNotificationChannelSecret'
        'Set-AmsRecoveryPassword'
        'Set-AmsRoleAuthorizationRule'
        'Set-AmsServiceConfig'
        'Test-AmsAuditTrail'
        'Test-AmsDatabaseBackup'
        'Test-AmsNotificationChannel'
        'Update-AmsDatabase'
        'Update-AmsMasterKey'
    )
    CmdletsToExport      = @()
    VariablesToExport    = @()
    AliasesToExport      = @()

    PrivateData          = @{
        PSData = @{
            Tags         = @('LAPS', 'BitLocker', 'AccessManager', 'ams', 'PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            ReleaseNotes = 'First version: devices, groups, registration keys, passwords, recovery keys and instance administration.'
        }
    }
}
