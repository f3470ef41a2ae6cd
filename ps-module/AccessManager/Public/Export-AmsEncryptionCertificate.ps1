function Export-AmsEncryptionCertificate {
    <#
    .SYNOPSIS
    Backs up an encryption certificate and its private key to a PFX file. (Module addition.)

    .DESCRIPTION
    Writes one encryption certificate, with its private key, to a new password-protected PFX
    file, for example to keep a copy offline or to move it to another instance with
    Import-AmsEncryptionCertificate. The file is created with owner-only permissions and an
    existing file is never overwritten. The PFX uses AES-256 and SHA-256 unless -Legacy is given.

    The PFX password is handed to ams on its standard input, never on the command line.

    Runs `ams cert export`.

    .PARAMETER Thumbprint
    The SHA-1 thumbprint of the certificate to export. Binds from the Thumbprint property of piped
    objects, such as the output of Get-AmsEncryptionCertificate.

    .PARAMETER Out
    The PFX file to create. It must not exist. A relative path is resolved against the current
    location. Also accepted as -Path.

    .PARAMETER Password
    The password that protects the PFX file, as a SecureString. PowerShell prompts for it when
    left out.

    .PARAMETER Legacy
    Write 3DES and SHA-1 instead of AES-256 and SHA-256, for old Windows Server importers. Weaker.

    .PARAMETER WhatIf
    Shows what would be written without running ams.

    .PARAMETER Confirm
    Asks before writing the file.

    .INPUTS
    System.String. Any object with a Thumbprint property, such as the output of
    Get-AmsEncryptionCertificate.

    .OUTPUTS
    Ams.EncryptionCertificateExport. The certificate and the file written.

    .EXAMPLE
    Export-AmsEncryptionCertificate -Thumbprint 'F9FCAC264166463C90CA96EC4D07748A97615F60' -Path 'D:\keys\ams-cert.pfx' -Password (Read-Host -AsSecureString -Prompt 'PFX password')

    Backs up one certificate with a password typed at a prompt.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams cert export`.

    .LINK
    Import-AmsEncryptionCertificate

    .LINK
    Get-AmsEncryptionCertificate
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.EncryptionCertificateExport')]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)]
        [ValidatePattern('^[0-9a-fA-F]{40}$')]
        [string] $Thumbprint,

        [Parameter(Mandatory)]
        [Alias('Path')]
        [ValidateNotNullOrEmpty()]
        [string] $Out,

        [Parameter(Mandatory)]
        [System.Security.SecureString] $Password,

        [switch] $Legacy
    )

    process {
        # ams runs in its own process: give it a full path, resolved against the current location.
        $path = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($Out)
        if (-not $PSCmdlet.ShouldProcess($path, "Write certificate $Thumbprint and its private key to a PFX file")) {
            return
        }
        $parameters = [ordered]@{ Thumbprint = $Thumbprint; Out = $path; Legacy = $Legacy }
        Invoke-AmsVerb -Caller $PSCmdlet -Verb 'cert export' -Parameters $parameters -Secret $Password -TargetObject $Thumbprint |
            Add-AmsTypeName -TypeName 'Ams.EncryptionCertificateExport'
    }
}
