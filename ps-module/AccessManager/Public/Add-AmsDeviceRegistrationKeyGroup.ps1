function Add-AmsDeviceRegistrationKeyGroup {
    <#
    .SYNOPSIS
    Attaches groups to a device registration key.

    .DESCRIPTION
    Devices that register with the key from now on are placed in the attached groups. Devices that
    registered earlier are not changed. Groups already attached stay attached.

    The key id can come from the pipeline (for example from Get-AmsDeviceRegistrationKey); the
    groups are given with -Groups, as ids or as objects from Get-AmsGroup.

    Runs `ams device-registration-key-group add` with one --groups flag per group.

    .PARAMETER Id
    The id of the registration key. Binds from the Id property of piped objects.

    .PARAMETER Groups
    The groups to attach: id strings, or objects with an Id property such as the output of
    Get-AmsGroup.

    .PARAMETER WhatIf
    Shows what would change without running ams.

    .PARAMETER Confirm
    Asks before changing each key.

    .INPUTS
    System.String. Any object with an Id property, such as the output of
    Get-AmsDeviceRegistrationKey.

    .OUTPUTS
    None.

    .EXAMPLE
    Get-AmsDeviceRegistrationKey -Name 'Linux servers' | Add-AmsDeviceRegistrationKeyGroup -Groups (Get-AmsGroup -Name 'Linux servers')

    New devices using the 'Linux servers' key join the group of the same name.

    .EXAMPLE
    Add-AmsDeviceRegistrationKeyGroup -Id 'd54bdb4b-75de-4114-b2c7-305320222b9e' -Groups '6efbd76f-befb-44df-9df7-80ef5660df5d'

    Attaches one group, by id, to a key.

    .NOTES
    Part of the 43 upstream cmdlets. Adds -WhatIf and -Confirm. Wraps
    `ams device-registration-key-group add`.

    .LINK
    Remove-AmsDeviceRegistrationKeyGroup
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType([void])]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string] $Id,

        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [object[]] $Groups
    )

    begin {
        $groupIds = [string[]]@(ConvertTo-AmsId -Caller $PSCmdlet -InputObject $Groups -ParameterName 'Groups')
        $queue = [System.Collections.Generic.List[object]]::new()
    }

    process {
        if (-not $PSCmdlet.ShouldProcess("registration key $Id", "Attach $($groupIds.Count) group(s)")) {
            return
        }
        $parameters = [ordered]@{ Id = $Id; Groups = $groupIds }
        $null = Add-AmsQueuedRequest -Caller $PSCmdlet -Queue $queue -Verb 'device-registration-key-group add' -Parameters $parameters -Target $Id
    }

    end {
        $null = Invoke-AmsRequestQueue -Caller $PSCmdlet -Queue $queue
    }
}
