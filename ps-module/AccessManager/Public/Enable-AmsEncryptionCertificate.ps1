function Enable-AmsEncryptionCertificate {
    <#
    .SYNOPSIS
    Makes an encryption certificate the active one. (Module addition.)

    .DESCRIPTION
    From now on agents are handed this certificate and encrypt new passwords and recovery keys to
    it. The previously active certificate is kept, so data already encrypted to it can still be
    read. There is one active certificate at a time.

    Changing the active certificate is a key change, so it asks for confirmation unless -Force is
    given (ConfirmImpact is High). The thumbprint can come from the pipeline, for example from
    Get-AmsEncryptionCertificate.

    Runs `ams cert activate`.

    .PARAMETER Thumbprint
    The SHA-1 thumbprint of the certificate (40 hexadecimal digits). Binds from the Thumbprint
    property of piped objects.

    .PARAMETER Force
    Activate without asking for confirmation.

    .PARAMETER WhatIf
    Shows what would happen without running ams.

    .PARAMETER Confirm
    Asks before activating, even with -Force.

    .INPUTS
    System.String. Objects with a Thumbprint property, such as the output of
    Get-AmsEncryptionCertificate.

    .OUTPUTS
    Ams.EncryptionCertificate. What ams reports about the activated certificate.

    .EXAMPLE
    Enable-AmsEncryptionCertificate -Thumbprint '3C2F1B7A9D0E4F5A6B7C8D9E0F1A2B3C4D5E6F7A'

    Activates a certificate after confirmation.

    .EXAMPLE
    New-AmsEncryptionCertificate | Enable-AmsEncryptionCertificate -Force

    Generates a certificate and activates it without prompting.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Enable is used for "activate", which is not
    an approved PowerShell verb. Wraps `ams cert activate`.

    .LINK
    Get-AmsEncryptionCertificate
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType('Ams.EncryptionCertificate')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)]
        [ValidatePattern('^[0-9A-Fa-f]{40}$')]
        [string] $Thumbprint,

        [switch] $Force
    )

    begin {
        if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) {
            $ConfirmPreference = 'None'
        }
    }

    process {
        if (-not $PSCmdlet.ShouldProcess("encryption certificate $Thumbprint", 'Make it the active certificate')) {
            return
        }
        Invoke-AmsVerb -Caller $PSCmdlet -Verb 'cert activate' -Parameters ([ordered]@{ Thumbprint = $Thumbprint }) -TargetObject $Thumbprint |
            Add-AmsTypeName -TypeName 'Ams.EncryptionCertificate'
    }
}
