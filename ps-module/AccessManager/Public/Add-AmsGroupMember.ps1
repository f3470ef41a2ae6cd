function Add-AmsGroupMember {
    <#
    .SYNOPSIS
    Adds devices to an ams group.

    .DESCRIPTION
    Puts one or more registered devices into a group. Devices that are already members are left
    as they are. The group id can come from the pipeline (for example from Get-AmsGroup); the
    devices are given with -Devices, as ids or as objects from Get-AmsDevice.

    Runs `ams group-member add` with one --devices flag per device.

    .PARAMETER Id
    The id of the group. Binds from the Id property of piped objects.

    .PARAMETER Devices
    The devices to add: id strings, or objects with an Id property such as the output of
    Get-AmsDevice.

    .PARAMETER WhatIf
    Shows what would change without running ams.

    .PARAMETER Confirm
    Asks before changing each group.

    .INPUTS
    System.String. Any object with an Id property, such as the output of Get-AmsGroup.

    .OUTPUTS
    None.

    .EXAMPLE
    Get-AmsGroup -Name 'Kiosks' | Add-AmsGroupMember -Devices (Get-AmsDevice -Name 'KIOSK1')

    Adds device KIOSK1 to the Kiosks group.

    .EXAMPLE
    Add-AmsGroupMember -Id 'ccf95e2b-e9c0-49b4-b810-c959d5e49e06' -Devices '800e470e-2af1-482c-a596-da730b075933', 'c5f0b2de-4b8c-4f1e-9a37-0e3f7a1c2d55'

    Adds two devices, by id, to a group.

    .NOTES
    Part of the 43 upstream cmdlets. Adds -WhatIf and -Confirm. Wraps `ams group-member add`.

    .LINK
    Remove-AmsGroupMember

    .LINK
    Get-AmsGroupMembers
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType([void])]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string] $Id,

        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [object[]] $Devices
    )

    begin {
        $deviceIds = [string[]]@(ConvertTo-AmsId -Caller $PSCmdlet -InputObject $Devices -ParameterName 'Devices')
        $queue = [System.Collections.Generic.List[object]]::new()
    }

    process {
        if (-not $PSCmdlet.ShouldProcess("group $Id", "Add $($deviceIds.Count) device(s)")) {
            return
        }
        $parameters = [ordered]@{ Id = $Id; Devices = $deviceIds }
        $null = Add-AmsQueuedRequest -Caller $PSCmdlet -Queue $queue -Verb 'group-member add' -Parameters $parameters -Target $Id
    }

    end {
        $null = Invoke-AmsRequestQueue -Caller $PSCmdlet -Queue $queue
    }
}
