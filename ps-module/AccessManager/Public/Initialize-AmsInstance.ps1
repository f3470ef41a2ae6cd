function Initialize-AmsInstance {
    <#
    .SYNOPSIS
    Creates a new ams instance. (Module addition.)

    .DESCRIPTION
    Sets up a new ams instance in the data directory: the database, the master key, the host key
    file that unlocks the master key on this machine, and the recovery password that unlocks it
    anywhere else. The data directory is $env:AMS_DATA_DIR when set, else the platform default of
    ams. A directory that already holds an instance is refused.

    Give the recovery password as a SecureString with -RecoveryPassword (PowerShell prompts for it
    when left out), or let ams make a strong one with -GenerateRecoveryPassword. A generated
    password is returned once, in the RecoveryPassword property, as a SecureString unless
    -AsPlainText is given. Store it offline: without it, losing the host key file loses every
    secret.

    The recovery password is handed to ams on its standard input, never on the command line.

    Runs `ams init`.

    .PARAMETER RecoveryPassword
    The recovery password to set, as a SecureString.

    .PARAMETER GenerateRecoveryPassword
    Let ams generate the recovery password and return it once.

    .PARAMETER AsPlainText
    With -GenerateRecoveryPassword: return the generated password as a plain string.

    .PARAMETER WhatIf
    Shows what would be created without running ams.

    .PARAMETER Confirm
    Asks before creating the instance.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.InstanceReport. The instance id, data directory, master key id and schema version, plus
    RecoveryPassword and RecoveryPasswordNotice when the password was generated.

    .EXAMPLE
    $env:AMS_DATA_DIR = 'D:\ams'
    Initialize-AmsInstance -RecoveryPassword (Read-Host -AsSecureString -Prompt 'Recovery password')

    Creates an instance in D:\ams with a recovery password typed at a prompt.

    .EXAMPLE
    Initialize-AmsInstance -GenerateRecoveryPassword -AsPlainText | Select-Object -ExpandProperty RecoveryPassword

    Creates an instance and shows the generated recovery password once, to be written down.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams init`.

    .LINK
    Get-AmsMasterKeyStatus

    .LINK
    Set-AmsRecoveryPassword
    #>
    [CmdletBinding(DefaultParameterSetName = 'RecoveryPassword', SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.InstanceReport')]
    param(
        [Parameter(Mandatory, ParameterSetName = 'RecoveryPassword')]
        [System.Security.SecureString] $RecoveryPassword,

        [Parameter(Mandatory, ParameterSetName = 'GenerateRecoveryPassword')]
        [switch] $GenerateRecoveryPassword,

        [Parameter(ParameterSetName = 'GenerateRecoveryPassword')]
        [switch] $AsPlainText
    )

    $target = if ([string]::IsNullOrWhiteSpace($env:AMS_DATA_DIR)) { 'the default ams data directory' } else { $env:AMS_DATA_DIR }
    if (-not $PSCmdlet.ShouldProcess($target, 'Create a new ams instance')) {
        return
    }

    if ($GenerateRecoveryPassword) {
        Invoke-AmsVerb -Caller $PSCmdlet -Verb 'init' -Parameters ([ordered]@{ GenerateRecoveryPassword = $true }) -TargetObject $target |
            Add-AmsTypeName -TypeName 'Ams.InstanceReport' |
            Protect-AmsSecretProperty -PropertyName 'RecoveryPassword' -AsPlainText:$AsPlainText
    }
    else {
        Invoke-AmsVerb -Caller $PSCmdlet -Verb 'init' -Parameters ([ordered]@{}) -Secret $RecoveryPassword -TargetObject $target |
            Add-AmsTypeName -TypeName 'Ams.InstanceReport'
    }
}
