function Update-AmsMasterKey {
    <#
    .SYNOPSIS
    Replaces the master key and re-seals every secret with the new one. (Module addition.)

    .DESCRIPTION
    Makes a new master key, seals every stored secret again under it, and protects it with the host
    key file and the recovery password. The recovery password is asked for as a proof of authority
    and to protect the new key; it is handed to ams on its standard input, never on the command
    line.

    Rotation touches every secret in the database, so it asks for confirmation unless -Force is
    given (ConfirmImpact is High).

    Runs `ams key rotate`.

    .PARAMETER RecoveryPassword
    The current recovery password, as a SecureString. PowerShell prompts for it when left out.

    .PARAMETER Force
    Rotate without asking for confirmation.

    .PARAMETER WhatIf
    Shows what would happen without running ams.

    .PARAMETER Confirm
    Asks before rotating, even with -Force.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.MasterKeyRotation. The ids of the previous and the new master key.

    .EXAMPLE
    Update-AmsMasterKey -RecoveryPassword (Read-Host -AsSecureString -Prompt 'Recovery password')

    Rotates the master key after confirmation.

    .EXAMPLE
    Update-AmsMasterKey -RecoveryPassword $recovery -Force

    Rotates the master key in a script, without prompting.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams key rotate`.

    .LINK
    Get-AmsMasterKeyStatus
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType('Ams.MasterKeyRotation')]
    param(
        [Parameter(Mandatory)]
        [System.Security.SecureString] $RecoveryPassword,

        [switch] $Force
    )

    if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) {
        $ConfirmPreference = 'None'
    }
    if (-not $PSCmdlet.ShouldProcess('the ams master key', 'Replace it and re-seal every secret')) {
        return
    }
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'key rotate' -Parameters ([ordered]@{}) -Secret $RecoveryPassword |
        Add-AmsTypeName -TypeName 'Ams.MasterKeyRotation'
}
