function Set-AmsRecoveryPassword {
    <#
    .SYNOPSIS
    Replaces the recovery password of the master key. (Module addition.)

    .DESCRIPTION
    Sets a new recovery password, the one that unlocks the master key when the host key file is
    lost. The previous recovery password stops working. Give the new password as a SecureString
    with -RecoveryPassword, or let ams make a strong one with -Generate; a generated password is
    returned once, as a SecureString unless -AsPlainText is given.

    The new password is handed to ams on its standard input, never on the command line. Asks for
    confirmation unless -Force is given (ConfirmImpact is High).

    Runs `ams key recovery-password set`.

    .PARAMETER RecoveryPassword
    The new recovery password, as a SecureString.

    .PARAMETER Generate
    Let ams generate the new recovery password and return it once.

    .PARAMETER Rotate
    Also rotate the master key and the host key under the new password (`--rotate`). The previous
    recovery password still opens backups and database copies taken before the change; a rotation
    makes the master key in force new, so what the old password opens no longer matches the live
    instance. With -Rotate the result names the previous and the new master key id.

    .PARAMETER AsPlainText
    With -Generate: return the generated password as a plain string.

    .PARAMETER Force
    Replace the password without asking for confirmation.

    .PARAMETER WhatIf
    Shows what would happen without running ams.

    .PARAMETER Confirm
    Asks before replacing the password, even with -Force.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.RecoveryPasswordChange, with -Generate: the new password (RecoveryPassword) and a notice;
    with -Rotate: the previous and the new master key id. Nothing otherwise.

    .EXAMPLE
    Set-AmsRecoveryPassword -RecoveryPassword (Read-Host -AsSecureString -Prompt 'New recovery password')

    Replaces the recovery password with one typed at a prompt.

    .EXAMPLE
    (Set-AmsRecoveryPassword -Generate -AsPlainText -Force).RecoveryPassword

    Replaces the recovery password with a generated one and shows it once.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams key recovery-password set`.

    .LINK
    Initialize-AmsInstance
    #>
    [CmdletBinding(DefaultParameterSetName = 'RecoveryPassword', SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType('Ams.RecoveryPasswordChange')]
    param(
        [Parameter(Mandatory, ParameterSetName = 'RecoveryPassword')]
        [System.Security.SecureString] $RecoveryPassword,

        [Parameter(Mandatory, ParameterSetName = 'Generate')]
        [switch] $Generate,

        [Parameter(ParameterSetName = 'Generate')]
        [switch] $AsPlainText,

        [switch] $Rotate,

        [switch] $Force
    )

    if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) {
        $ConfirmPreference = 'None'
    }
    if (-not $PSCmdlet.ShouldProcess('the ams recovery password', 'Replace')) {
        return
    }
    $parameters = [ordered]@{}
    if ($Generate) { $parameters['Generate'] = $true }
    if ($Rotate) { $parameters['Rotate'] = $true }
    if ($Generate) {
        Invoke-AmsVerb -Caller $PSCmdlet -Verb 'key recovery-password set' -Parameters $parameters |
            Add-AmsTypeName -TypeName 'Ams.RecoveryPasswordChange' |
            Protect-AmsSecretProperty -PropertyName 'RecoveryPassword' -AsPlainText:$AsPlainText
    }
    elseif ($Rotate) {
        Invoke-AmsVerb -Caller $PSCmdlet -Verb 'key recovery-password set' -Parameters $parameters -Secret $RecoveryPassword |
            Add-AmsTypeName -TypeName 'Ams.RecoveryPasswordChange'
    }
    else {
        $null = Invoke-AmsVerb -Caller $PSCmdlet -Verb 'key recovery-password set' -Parameters $parameters -Secret $RecoveryPassword
    }
}
