function Add-AmsIdpClaimMapping {
    <#
    .SYNOPSIS
    Adds a custom claim mapping for an identity provider.

    .DESCRIPTION
    Tells ams which claim of an OpenID Connect or WS-Federation sign-in finds the user in the
    directory, and how: as a UPN, a pre-Windows 2000 logon name, a SID, or (Custom) a value matched
    against the directory attribute named by -DirectoryAttributeName.

    While a provider type has no custom mapping, the built-in defaults apply: the upn claim as a
    UPN, and the sid and onprem_sid claims as SIDs. Adding the first custom mapping replaces all of
    them; add them back as custom mappings if they are still wanted, or run
    Clear-AmsIdpClaimMapping to return to the defaults. A second mapping for the same claim name is
    refused.

    Runs `ams idp-claim-mapping add`.

    .PARAMETER IdpType
    The identity provider type: oidc (OpenID Connect) or wsfed (WS-Federation).

    .PARAMETER ClaimName
    The claim name as the provider sends it. Names are compared exactly.

    .PARAMETER ClaimValueType
    What the claim holds: Upn, SamAccountName, Sid, or Custom.

    .PARAMETER DirectoryAttributeName
    The directory attribute matched against the claim value, such as mail. Only with
    -ClaimValueType Custom, where it is required.

    .PARAMETER WhatIf
    Shows what would be added without running ams.

    .PARAMETER Confirm
    Asks before adding.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.ClaimMapping. The mapping added.

    .EXAMPLE
    Add-AmsIdpClaimMapping -IdpType oidc -ClaimName 'alt_upn' -ClaimValueType Upn

    Finds OpenID Connect users by the UPN in their alt_upn claim.

    .EXAMPLE
    Add-AmsIdpClaimMapping -IdpType oidc -ClaimName 'email' -ClaimValueType Custom -DirectoryAttributeName 'mail'

    Finds OpenID Connect users whose mail attribute equals their email claim.

    .EXAMPLE
    Add-AmsIdpClaimMapping -IdpType wsfed -ClaimName 'login_name' -ClaimValueType Upn

    Finds WS-Federation users by the UPN in their login_name claim.

    .NOTES
    Part of the 43 upstream cmdlets. Adds -WhatIf and -Confirm. Wraps
    `ams idp-claim-mapping add`.

    .LINK
    Get-AmsIdpClaimMapping

    .LINK
    Clear-AmsIdpClaimMapping
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.ClaimMapping')]
    param(
        [Parameter(Mandatory)]
        [ValidateSet('oidc', 'wsfed')]
        [string] $IdpType,

        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string] $ClaimName,

        [Parameter(Mandatory)]
        [ValidateSet('Upn', 'SamAccountName', 'Sid', 'Custom')]
        [string] $ClaimValueType,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string] $DirectoryAttributeName
    )

    if (-not $PSCmdlet.ShouldProcess("$IdpType claim '$ClaimName'", 'Add a claim mapping')) {
        return
    }
    $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'IdpType', 'ClaimName', 'ClaimValueType', 'DirectoryAttributeName'
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'idp-claim-mapping add' -Parameters $parameters -TargetObject $ClaimName |
        Add-AmsTypeName -TypeName 'Ams.ClaimMapping'
}
