function Get-AmsEncryptionCertificateStatus {
    <#
    .SYNOPSIS
    Shows, per encryption certificate, how many secrets are sealed to it. (Module addition.)

    .DESCRIPTION
    For each encryption certificate: how many local admin passwords and BitLocker recovery keys
    are sealed to it, and whether they can be opened (whether ams holds its private key). Use it
    before retiring a certificate, or after importing one, to see which data depends on which key.

    Runs `ams cert status`.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.EncryptionCertificateStatus

    .EXAMPLE
    Get-AmsEncryptionCertificateStatus

    Lists every certificate with the number of secrets sealed to it.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams cert status`.

    .LINK
    Get-AmsEncryptionCertificate

    .LINK
    Import-AmsEncryptionCertificate
    #>
    [CmdletBinding()]
    [OutputType('Ams.EncryptionCertificateStatus')]
    param()

    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'cert status' -Parameters ([ordered]@{}) |
        Add-AmsTypeName -TypeName 'Ams.EncryptionCertificateStatus' -NestedTypeName @{ Certificates = 'Ams.CertificateSecretsStatus' }
}
