function Get-AmsIdpClaimMapping {
    <#
    .SYNOPSIS
    Lists the custom claim mappings of an identity provider type.

    .DESCRIPTION
    Returns the claim mappings added with Add-AmsIdpClaimMapping for OpenID Connect or
    WS-Federation, in the order they were added. The built-in defaults are not returned: when
    nothing is returned, they apply, which means the upn claim is matched as a UPN against
    userPrincipalName, and the sid and onprem_sid claims as SIDs against objectSid.

    Runs `ams idp-claim-mapping get`.

    .PARAMETER IdpType
    The identity provider type: oidc (OpenID Connect) or wsfed (WS-Federation).

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.ClaimMapping

    .EXAMPLE
    Get-AmsIdpClaimMapping -IdpType oidc

    Lists the custom claim mappings for OpenID Connect.

    .NOTES
    Part of the 43 upstream cmdlets. Wraps `ams idp-claim-mapping get`.

    .LINK
    Add-AmsIdpClaimMapping

    .LINK
    Clear-AmsIdpClaimMapping
    #>
    [CmdletBinding()]
    [OutputType('Ams.ClaimMapping')]
    param(
        [Parameter(Mandatory, Position = 0)]
        [ValidateSet('oidc', 'wsfed')]
        [string] $IdpType
    )

    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'idp-claim-mapping get' -Parameters ([ordered]@{ IdpType = $IdpType }) |
        Add-AmsTypeName -TypeName 'Ams.ClaimMapping'
}
