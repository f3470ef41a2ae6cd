function Clear-AmsIdpClaimMapping {
    <#
    .SYNOPSIS
    Removes every custom claim mapping of an identity provider type.

    .DESCRIPTION
    Deletes the claim mappings added with Add-AmsIdpClaimMapping for OpenID Connect or
    WS-Federation, so the built-in defaults apply again: the upn claim as a UPN, and the sid and
    onprem_sid claims as SIDs. The other provider type is not affected.

    Returns how many mappings were removed and the mappings now in force.

    Runs `ams idp-claim-mapping clear`.

    .PARAMETER IdpType
    The identity provider type: oidc (OpenID Connect) or wsfed (WS-Federation).

    .PARAMETER WhatIf
    Shows what would be removed without running ams.

    .PARAMETER Confirm
    Asks before removing.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.ClaimMappingClearResult. IdpType, Removed (a count) and InForce (the default mappings).

    .EXAMPLE
    Clear-AmsIdpClaimMapping -IdpType oidc

    Returns OpenID Connect sign-in to the default claim mappings.

    .EXAMPLE
    Clear-AmsIdpClaimMapping -IdpType wsfed

    Returns WS-Federation sign-in to the default claim mappings.

    .NOTES
    Part of the 43 upstream cmdlets. Adds -WhatIf and -Confirm. Wraps
    `ams idp-claim-mapping clear`.

    .LINK
    Add-AmsIdpClaimMapping

    .LINK
    Get-AmsIdpClaimMapping
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.ClaimMappingClearResult')]
    param(
        [Parameter(Mandatory, Position = 0)]
        [ValidateSet('oidc', 'wsfed')]
        [string] $IdpType
    )

    if (-not $PSCmdlet.ShouldProcess("$IdpType claim mappings", 'Remove every custom mapping')) {
        return
    }
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'idp-claim-mapping clear' -Parameters ([ordered]@{ IdpType = $IdpType }) -TargetObject $IdpType |
        Add-AmsTypeName -TypeName 'Ams.ClaimMappingClearResult'
}
