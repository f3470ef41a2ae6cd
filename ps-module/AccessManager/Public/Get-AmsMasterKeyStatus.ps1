function Get-AmsMasterKeyStatus {
    <#
    .SYNOPSIS
    Shows the state of the ams master key. (Module addition.)

    .DESCRIPTION
    Reports the active master key (its id and age), the protectors that can unlock it (the host key
    file of this machine and the recovery password), whether the host protector works, and whether
    the instance is in recovery mode. No key material is shown.

    HostProtectors lists one entry per host sharing the database (SQL Server): its host key id,
    the computer name recorded when it was made, when, whether it is this host's (ThisHost), and
    whether it waits for Restore-AmsMasterKey on that host after a rotation elsewhere
    (AwaitingRecovery). Remove-AmsMasterKeyHostProtector revokes one.

    In recovery mode secrets cannot be read or written until Restore-AmsMasterKey is run with the
    recovery password.

    Runs `ams key status`.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.MasterKeyStatus

    .EXAMPLE
    Get-AmsMasterKeyStatus

    Shows the master key and its protectors.

    .EXAMPLE
    if ((Get-AmsMasterKeyStatus).RecoveryMode) { Restore-AmsMasterKey -RecoveryPassword (Read-Host -AsSecureString) }

    Leaves recovery mode when needed.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams key status`.

    .LINK
    Restore-AmsMasterKey

    .LINK
    Update-AmsMasterKey

    .LINK
    Remove-AmsMasterKeyHostProtector
    #>
    [CmdletBinding()]
    [OutputType('Ams.MasterKeyStatus')]
    param()

    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'key status' -Parameters ([ordered]@{}) |
        Add-AmsTypeName -TypeName 'Ams.MasterKeyStatus' -NestedTypeName @{ Protectors = 'Ams.MasterKeyProtector'; HostProtectors = 'Ams.MasterKeyHostProtector' }
}
