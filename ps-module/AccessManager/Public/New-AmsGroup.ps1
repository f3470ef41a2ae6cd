function New-AmsGroup {
    <#
    .SYNOPSIS
    Creates an ams group.

    .DESCRIPTION
    Creates a group of devices inside ams. The new group gets an id and a security identifier of
    its own, which authorization rules can refer to. Add devices with Add-AmsGroupMember, or attach
    the group to a registration key with Add-AmsDeviceRegistrationKeyGroup so new devices join it
    when they register.

    Runs `ams group new`.

    .PARAMETER Name
    The name of the group. Names are unique, ignoring case.

    .PARAMETER Description
    Free text describing the group.

    .PARAMETER WhatIf
    Shows what would be created without running ams.

    .PARAMETER Confirm
    Asks before creating the group.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.Group

    .EXAMPLE
    New-AmsGroup -Name 'Linux servers' -Description 'Every Linux server in the data centre'

    Creates a group with a description.

    .EXAMPLE
    $group = New-AmsGroup 'Kiosks'
    Get-AmsDevice -Name 'KIOSK1' | ForEach-Object { Add-AmsGroupMember -Id $group.Id -Devices $_ }

    Creates a group and puts a device in it.

    .NOTES
    Part of the 43 upstream cmdlets. Adds -WhatIf and -Confirm. Wraps `ams group new`.

    .LINK
    Get-AmsGroup

    .LINK
    Add-AmsGroupMember
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.Group')]
    param(
        [Parameter(Mandatory, Position = 0)]
        [ValidateNotNullOrEmpty()]
        [string] $Name,

        [Parameter()]
        [AllowEmptyString()]
        [string] $Description
    )

    if (-not $PSCmdlet.ShouldProcess("group '$Name'", 'Create')) {
        return
    }
    $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'Name', 'Description'
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'group new' -Parameters $parameters -TargetObject $Name |
        Add-AmsTypeName -TypeName 'Ams.Group'
}
