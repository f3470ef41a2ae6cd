function Import-AmsEncryptionCertificate {
    <#
    .SYNOPSIS
    Imports an encryption certificate and its private key from a PFX file. (Module addition.)

    .DESCRIPTION
    Reads a certificate and its private key from a PFX (.pfx or .p12) file, for example one written
    by Export-AmsEncryptionCertificate on another instance, and stores the private key sealed under
    the master key. The imported certificate is not used for new data until it is activated, with
    -Activate here or later with Enable-AmsEncryptionCertificate.

    The PFX password is handed to ams on its standard input, never on the command line.

    Runs `ams cert import`.

    .PARAMETER Pfx
    The PFX file to read. A relative path is resolved against the current location. Also accepted
    as -Path.

    .PARAMETER Password
    The password of the PFX file, as a SecureString. PowerShell prompts for it when left out.

    .PARAMETER NoPassword
    The file has no password, as Windows and .NET write when exporting with an empty or a null one.
    Without this switch an empty -Password is refused, so a password-less file is never imported
    by accident.

    .PARAMETER Activate
    Make the imported certificate the active one.

    .PARAMETER WhatIf
    Shows what would be imported without running ams.

    .PARAMETER Confirm
    Asks before importing.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.EncryptionCertificate

    .EXAMPLE
    Import-AmsEncryptionCertificate -Path 'D:\keys\ams-cert.pfx' -Password (Read-Host -AsSecureString -Prompt 'PFX password')

    Imports a certificate without activating it.

    .EXAMPLE
    Import-AmsEncryptionCertificate -Pfx .\ams-cert.pfx -Password $password -Activate

    Imports a certificate and makes it the active one.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams cert import`.

    .LINK
    Export-AmsEncryptionCertificate

    .LINK
    Enable-AmsEncryptionCertificate
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium', DefaultParameterSetName = 'Password')]
    [OutputType('Ams.EncryptionCertificate')]
    param(
        [Parameter(Mandatory, Position = 0)]
        [Alias('Path')]
        [ValidateNotNullOrEmpty()]
        [string] $Pfx,

        [Parameter(Mandatory, ParameterSetName = 'Password')]
        [System.Security.SecureString] $Password,

        [Parameter(Mandatory, ParameterSetName = 'NoPassword')]
        [switch] $NoPassword,

        [switch] $Activate
    )

    # ams runs in its own process: give it a full path, resolved against the current location.
    $path = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($Pfx)
    $action = if ($Activate) { 'Import and activate the encryption certificate' } else { 'Import the encryption certificate' }
    if (-not $PSCmdlet.ShouldProcess($path, $action)) {
        return
    }
    $parameters = [ordered]@{ Pfx = $path; Activate = $Activate; NoPassword = $NoPassword }
    $secret = if ($NoPassword) { $null } else { $Password }
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'cert import' -Parameters $parameters -Secret $secret -TargetObject $path |
        Add-AmsTypeName -TypeName 'Ams.EncryptionCertificate'
}
