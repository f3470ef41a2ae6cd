function New-AmsEncryptionCertificate {
    <#
    .SYNOPSIS
    Generates a new encryption certificate for agents. (Module addition.)

    .DESCRIPTION
    Makes an RSA key pair and a self-signed certificate that agents use to encrypt the passwords
    and recovery keys they send to ams. The private key is stored sealed under the master key.
    A new certificate is not used until it is activated, with -Activate here or later with
    Enable-AmsEncryptionCertificate. Older certificates are kept so that data encrypted to them can
    still be read.

    Generating the key takes a few seconds (longer for 4096 bits).

    Runs `ams cert new`.

    .PARAMETER Subject
    The subject of the certificate. ams picks one when left out.

    .PARAMETER KeySize
    The RSA key size in bits: 3072 or 4096.

    .PARAMETER ValidityDays
    How many days the certificate is valid for.

    .PARAMETER Activate
    Make the new certificate the active one at once.

    .PARAMETER WhatIf
    Shows what would be created without running ams.

    .PARAMETER Confirm
    Asks before creating the certificate.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.EncryptionCertificate

    .EXAMPLE
    New-AmsEncryptionCertificate

    Generates a certificate with the defaults of ams, not yet active.

    .EXAMPLE
    New-AmsEncryptionCertificate -KeySize 4096 -ValidityDays 3650 -Activate

    Generates a 4096-bit certificate valid for ten years and activates it.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams cert new`.

    .LINK
    Get-AmsEncryptionCertificate

    .LINK
    Enable-AmsEncryptionCertificate
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.EncryptionCertificate')]
    param(
        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string] $Subject,

        [Parameter()]
        [ValidateSet(3072, 4096)]
        [int] $KeySize,

        [Parameter()]
        [ValidateRange(1, 36500)]
        [int] $ValidityDays,

        [switch] $Activate
    )

    $action = if ($Activate) { 'Generate and activate' } else { 'Generate' }
    if (-not $PSCmdlet.ShouldProcess('a new encryption certificate', $action)) {
        return
    }
    $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'Subject', 'KeySize', 'ValidityDays', 'Activate'
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'cert new' -Parameters $parameters |
        Add-AmsTypeName -TypeName 'Ams.EncryptionCertificate'
}
