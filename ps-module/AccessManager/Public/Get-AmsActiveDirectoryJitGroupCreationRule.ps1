function Get-AmsActiveDirectoryJitGroupCreationRule {
    <#
    .SYNOPSIS
    Lists the JIT group creation rules, or gets one by id.

    .DESCRIPTION
    A JIT group creation rule makes ams create a JIT group for every computer found in an OU
    (`ams jit sync`). Without -Id every rule is listed.

    Runs `ams active-directory-jit-group-creation-rule get`.

    .PARAMETER Id
    The id of the rule.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.JitGroupCreationRule

    .EXAMPLE
    Get-AmsActiveDirectoryJitGroupCreationRule

    Lists every JIT group creation rule.

    .EXAMPLE
    Get-AmsActiveDirectoryJitGroupCreationRule -Id '12345678-1234-1234-1234-123456789012'

    Gets one rule.

    .NOTES
    Part of the 43 upstream cmdlets. Wraps `ams active-directory-jit-group-creation-rule get`.

    .LINK
    New-AmsActiveDirectoryJitGroupCreationRule

    .LINK
    Set-AmsActiveDirectoryJitGroupCreationRule
    #>
    [CmdletBinding(DefaultParameterSetName = 'NoParameters')]
    [OutputType('Ams.JitGroupCreationRule')]
    param(
        [Parameter(ParameterSetName = 'GetById')]
        [ValidateNotNullOrEmpty()]
        [string] $Id
    )

    $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'Id'
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'active-directory-jit-group-creation-rule get' -Parameters $parameters |
        Add-AmsTypeName -TypeName 'Ams.JitGroupCreationRule'
}
