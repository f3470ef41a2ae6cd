function Get-AmsDevice {
    <#
    .SYNOPSIS
    Gets devices registered with ams.

    .DESCRIPTION
    Returns the devices that the ams directory knows about. Without parameters every device is
    returned. Narrow the list by name, by approval state, or ask for one device by its id.

    The objects returned carry Id, AuthorityType, AuthorityId and AuthorityDeviceId, so they can be
    piped to Set-AmsDevice, Remove-AmsDevice, Get-AmsLocalAdminPassword,
    Get-AmsLocalAdminPasswordHistory and Get-AmsFveRecoveryKey.

    Runs `ams device get`.

    .PARAMETER Name
    The computer name to look for. Optional; when left out, all devices are returned.

    .PARAMETER Id
    The id of one device.

    .PARAMETER ApprovalState
    Only devices in this approval state: Pending, Approved or Rejected. Can be combined with -Name
    or -Id.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.Device

    .EXAMPLE
    Get-AmsDevice

    Lists every registered device.

    .EXAMPLE
    Get-AmsDevice -ApprovalState Pending

    Lists the devices that are waiting to be approved.

    .EXAMPLE
    Get-AmsDevice -Name 'PC1' | Get-AmsLocalAdminPassword -AsPlainText

    Finds device PC1 and shows its current local administrator password.

    .NOTES
    Part of the 43 upstream cmdlets. Wraps `ams device get`.

    .LINK
    Set-AmsDevice

    .LINK
    Remove-AmsDevice
    #>
    [CmdletBinding(DefaultParameterSetName = 'GetByName')]
    [OutputType('Ams.Device')]
    param(
        [Parameter(ParameterSetName = 'GetByName', Position = 0)]
        [ValidateNotNullOrEmpty()]
        [string] $Name,

        [Parameter(ParameterSetName = 'GetById', Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string] $Id,

        [Parameter()]
        [ValidateSet('Pending', 'Approved', 'Rejected')]
        [string] $ApprovalState
    )

    $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'Name', 'Id', 'ApprovalState'
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'device get' -Parameters $parameters |
        Add-AmsTypeName -TypeName 'Ams.Device'
}
