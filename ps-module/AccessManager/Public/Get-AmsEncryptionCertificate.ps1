function Get-AmsEncryptionCertificate {
    <#
    .SYNOPSIS
    Lists the encryption certificates of ams. (Module addition.)

    .DESCRIPTION
    Returns every encryption certificate that ams holds: the active one that agents encrypt to, and
    the earlier ones kept to read older data. Private keys are never shown. The objects returned
    can be piped to Enable-AmsEncryptionCertificate.

    Runs `ams cert list`.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.EncryptionCertificate

    .EXAMPLE
    Get-AmsEncryptionCertificate

    Lists the certificates.

    .EXAMPLE
    Get-AmsEncryptionCertificate | Where-Object { $_.NotAfter -lt (Get-Date).AddDays(90) }

    Lists certificates that expire within 90 days.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. The noun is singular as PowerShell
    prefers, although the verb lists. Wraps `ams cert list`.

    .LINK
    New-AmsEncryptionCertificate

    .LINK
    Enable-AmsEncryptionCertificate
    #>
    [CmdletBinding()]
    [OutputType('Ams.EncryptionCertificate')]
    param()

    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'cert list' -Parameters ([ordered]@{}) |
        Add-AmsTypeName -TypeName 'Ams.EncryptionCertificate'
}
