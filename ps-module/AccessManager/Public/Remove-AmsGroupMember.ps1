function Remove-AmsGroupMember {
    <#
    .SYNOPSIS
    Takes devices out of an ams group, or empties the group.

    .DESCRIPTION
    Removes the given devices from a group. Without -Devices, every member is removed and the group
    is left empty. The devices themselves stay registered.

    Asks for confirmation unless -Force is given (ConfirmImpact is High). The group id can come
    from the pipeline.

    Runs `ams group-member remove --force` once the change is confirmed.

    .PARAMETER Id
    The id of the group. Binds from the Id property of piped objects.

    .PARAMETER Devices
    The devices to remove: id strings, or objects with an Id property such as the output of
    Get-AmsDevice. Leave out to remove every member.

    .PARAMETER Force
    Change the group without asking for confirmation.

    .PARAMETER WhatIf
    Shows what would change without running ams.

    .PARAMETER Confirm
    Asks before changing each group, even with -Force.

    .INPUTS
    System.String. Any object with an Id property, such as the output of Get-AmsGroup.

    .OUTPUTS
    None.

    .EXAMPLE
    Get-AmsGroup -Name 'Kiosks' | Remove-AmsGroupMember -Devices (Get-AmsDevice -Name 'KIOSK1')

    Takes KIOSK1 out of the Kiosks group, after confirmation.

    .EXAMPLE
    Remove-AmsGroupMember -Id 'ccf95e2b-e9c0-49b4-b810-c959d5e49e06' -Force

    Removes every member of a group without prompting.

    .NOTES
    Part of the 43 upstream cmdlets. Adds -WhatIf and -Confirm. Wraps `ams group-member remove`.

    .LINK
    Add-AmsGroupMember

    .LINK
    Get-AmsGroupMembers
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType([void])]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string] $Id,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [object[]] $Devices,

        [switch] $Force
    )

    begin {
        if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) {
            $ConfirmPreference = 'None'
        }
        $deviceIds = $null
        if ($PSBoundParameters.ContainsKey('Devices')) {
            $deviceIds = [string[]]@(ConvertTo-AmsId -Caller $PSCmdlet -InputObject $Devices -ParameterName 'Devices')
        }
        $queue = [System.Collections.Generic.List[object]]::new()
    }

    process {
        $action = if ($null -eq $deviceIds) { 'Remove every member' } else { "Remove $($deviceIds.Count) device(s)" }
        if (-not $PSCmdlet.ShouldProcess("group $Id", $action)) {
            return
        }
        $parameters = [ordered]@{ Id = $Id }
        if ($null -ne $deviceIds) {
            $parameters['Devices'] = $deviceIds
        }
        $parameters['Force'] = $true
        $null = Add-AmsQueuedRequest -Caller $PSCmdlet -Queue $queue -Verb 'group-member remove' -Parameters $parameters -Target $Id
    }

    end {
        $null = Invoke-AmsRequestQueue -Caller $PSCmdlet -Queue $queue
    }
}
