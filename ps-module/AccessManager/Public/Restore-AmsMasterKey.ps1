function Restore-AmsMasterKey {
    <#
    .SYNOPSIS
    Unlocks the master key with the recovery password and leaves recovery mode. (Module addition.)

    .DESCRIPTION
    When the host key file of this machine is lost or no longer matches (for example after the
    data directory was moved to a new server), ams is in recovery mode and cannot read secrets.
    This cmdlet unlocks the master key with the recovery password and writes a new host key file,
    so that ams works on this machine again.

    The recovery password is handed to ams on its standard input, never on the command line.
    Asks for confirmation unless -Force is given (ConfirmImpact is High).

    Runs `ams key recover`.

    .PARAMETER RecoveryPassword
    The recovery password, as a SecureString. PowerShell prompts for it when left out.

    .PARAMETER Force
    Run without asking for confirmation.

    .PARAMETER WhatIf
    Shows what would happen without running ams.

    .PARAMETER Confirm
    Asks before running, even with -Force.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.MasterKeyStatus. The master key status after recovery.

    .EXAMPLE
    Restore-AmsMasterKey -RecoveryPassword (Read-Host -AsSecureString -Prompt 'Recovery password')

    Leaves recovery mode with a password typed at a prompt.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams key recover`.

    .LINK
    Get-AmsMasterKeyStatus
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType('Ams.MasterKeyStatus')]
    param(
        [Parameter(Mandatory)]
        [System.Security.SecureString] $RecoveryPassword,

        [switch] $Force
    )

    if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) {
        $ConfirmPreference = 'None'
    }
    if (-not $PSCmdlet.ShouldProcess('the ams master key', 'Unlock with the recovery password and write a new host key file')) {
        return
    }
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'key recover' -Parameters ([ordered]@{}) -Secret $RecoveryPassword |
        Add-AmsTypeName -TypeName 'Ams.MasterKeyStatus'
}
