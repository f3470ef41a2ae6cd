function Get-AmsRoleAuthorizationRule {
    <#
    .SYNOPSIS
    Gets role authorization rules.

    .DESCRIPTION
    Returns every role authorization rule, or finds one by name or by id. A role rule says who may
    request time-limited membership of an AD group, for how long, and whether a reason is needed.

    The objects returned have an Id property, so they can be piped to Set-AmsRoleAuthorizationRule
    and Remove-AmsRoleAuthorizationRule.

    Runs `ams role-authorization-rule get`.

    .PARAMETER Name
    The role name to look for (ignoring case).

    .PARAMETER Id
    The id of the rule.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.RoleAuthorizationRule

    .EXAMPLE
    Get-AmsRoleAuthorizationRule

    Lists all role rules.

    .EXAMPLE
    Get-AmsRoleAuthorizationRule -Name 'My custom role'

    Finds a role rule by name.

    .NOTES
    Part of the 43 upstream cmdlets. Wraps `ams role-authorization-rule get`.

    .LINK
    New-AmsRoleAuthorizationRule
    #>
    [CmdletBinding(DefaultParameterSetName = 'NoParameters')]
    [OutputType('Ams.RoleAuthorizationRule')]
    param(
        [Parameter(ParameterSetName = 'GetByName')]
        [ValidateNotNullOrEmpty()]
        [string] $Name,

        [Parameter(ParameterSetName = 'GetById')]
        [ValidateNotNullOrEmpty()]
        [string] $Id
    )

    $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'Name', 'Id'
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'role-authorization-rule get' -Parameters $parameters |
        Add-AmsTypeName -TypeName 'Ams.RoleAuthorizationRule' -NestedTypeName @{ 'Principals*' = 'Ams.Principal' }
}
