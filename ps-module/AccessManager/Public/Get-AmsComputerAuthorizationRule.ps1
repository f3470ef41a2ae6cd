function Get-AmsComputerAuthorizationRule {
    <#
    .SYNOPSIS
    Gets computer authorization rules.

    .DESCRIPTION
    Returns every computer authorization rule, or the rule with the given id. Each rule names one
    target (an ams device or group, an AD computer, group or container, or an Entra tenant, group or
    device) and the principals allowed or denied each kind of access, or an authorization script.

    The objects returned have an Id property, so they can be piped to
    Set-AmsComputerAuthorizationRule and Remove-AmsComputerAuthorizationRule.

    Runs `ams computer-authorization-rule get`.

    .PARAMETER Id
    The id of the rule. When left out, all rules are returned.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.ComputerAuthorizationRule

    .EXAMPLE
    Get-AmsComputerAuthorizationRule

    Lists all computer authorization rules.

    .EXAMPLE
    Get-AmsComputerAuthorizationRule -Id '42d15c63-e17f-4c3c-a61c-b338f9cf3984'

    Gets one rule.

    .NOTES
    Part of the 43 upstream cmdlets. Wraps `ams computer-authorization-rule get`.

    .LINK
    New-AmsComputerAuthorizationRule
    #>
    [CmdletBinding()]
    [OutputType('Ams.ComputerAuthorizationRule')]
    param(
        [Parameter(Position = 0)]
        [ValidateNotNullOrEmpty()]
        [string] $Id
    )

    $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'Id'
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'computer-authorization-rule get' -Parameters $parameters |
        Add-AmsTypeName -TypeName 'Ams.ComputerAuthorizationRule' -NestedTypeName @{ 'Principals*' = 'Ams.Principal' }
}
