function Get-AmsGroup {
    <#
    .SYNOPSIS
    Gets ams groups.

    .DESCRIPTION
    Returns every ams group, or finds groups by name, by security identifier or by id.

    The objects returned have an Id property, so they can be piped to Set-AmsGroup,
    Remove-AmsGroup, Get-AmsGroupMembers, Add-AmsGroupMember and Remove-AmsGroupMember, or passed
    to the -Groups parameter of Add-AmsDeviceRegistrationKeyGroup.

    Runs `ams group get`.

    .PARAMETER Name
    The group name to look for. Optional; when left out, all groups are returned.

    .PARAMETER SecurityIdentifier
    The security identifier (SID) of the group, for example S-1-4096-1-....

    .PARAMETER Id
    The id of the group.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.Group

    .EXAMPLE
    Get-AmsGroup

    Lists all groups.

    .EXAMPLE
    Get-AmsGroup -Name 'Linux servers' | Get-AmsGroupMembers

    Lists the devices in the group named 'Linux servers'.

    .EXAMPLE
    Get-AmsGroup -SecurityIdentifier 'S-1-4096-1-1234'

    Finds the group with that security identifier.

    .NOTES
    Part of the 43 upstream cmdlets. Wraps `ams group get`.

    .LINK
    New-AmsGroup
    #>
    [CmdletBinding(DefaultParameterSetName = 'GetByName')]
    [OutputType('Ams.Group')]
    param(
        [Parameter(ParameterSetName = 'GetByName', Position = 0)]
        [ValidateNotNullOrEmpty()]
        [string] $Name,

        [Parameter(ParameterSetName = 'GetBySid', Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string] $SecurityIdentifier,

        [Parameter(ParameterSetName = 'GetById', Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string] $Id
    )

    $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'Name', 'SecurityIdentifier', 'Id'
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'group get' -Parameters $parameters |
        Add-AmsTypeName -TypeName 'Ams.Group'
}
