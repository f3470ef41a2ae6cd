function Remove-AmsDeviceRegistrationKeyGroup {
    <#
    .SYNOPSIS
    Detaches groups from a device registration key.

    .DESCRIPTION
    Devices that register with the key from now on are no longer placed in the detached groups.
    Existing memberships are not changed; use Remove-AmsGroupMember for that.

    Asks for confirmation unless -Force is given (ConfirmImpact is High, as for every removal in
    this module). The key id can come from the pipeline.

    Runs `ams device-registration-key-group remove` with one --groups flag per group.

    .PARAMETER Id
    The id of the registration key. Binds from the Id property of piped objects.

    .PARAMETER Groups
    The groups to detach: id strings, or objects with an Id property such as the output of
    Get-AmsGroup.

    .PARAMETER Force
    Detach without asking for confirmation. Not passed to ams; it only skips the prompt.

    .PARAMETER WhatIf
    Shows what would change without running ams.

    .PARAMETER Confirm
    Asks before changing each key, even with -Force.

    .INPUTS
    System.String. Any object with an Id property, such as the output of
    Get-AmsDeviceRegistrationKey.

    .OUTPUTS
    None.

    .EXAMPLE
    Get-AmsDeviceRegistrationKey -Name 'Linux servers' | Remove-AmsDeviceRegistrationKeyGroup -Groups (Get-AmsGroup -Name 'Old servers') -Force

    Stops adding new devices of that key to the 'Old servers' group.

    .NOTES
    Part of the 43 upstream cmdlets. Adds -WhatIf, -Confirm and -Force (a module-only parameter).
    Wraps `ams device-registration-key-group remove`.

    .LINK
    Add-AmsDeviceRegistrationKeyGroup
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType([void])]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string] $Id,

        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [object[]] $Groups,

        [switch] $Force
    )

    begin {
        if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) {
            $ConfirmPreference = 'None'
        }
        $groupIds = [string[]]@(ConvertTo-AmsId -Caller $PSCmdlet -InputObject $Groups -ParameterName 'Groups')
        $queue = [System.Collections.Generic.List[object]]::new()
    }

    process {
        if (-not $PSCmdlet.ShouldProcess("registration key $Id", "Detach $($groupIds.Count) group(s)")) {
            return
        }
        $parameters = [ordered]@{ Id = $Id; Groups = $groupIds }
        $null = Add-AmsQueuedRequest -Caller $PSCmdlet -Queue $queue -Verb 'device-registration-key-group remove' -Parameters $parameters -Target $Id
    }

    end {
        $null = Invoke-AmsRequestQueue -Caller $PSCmdlet -Queue $queue
    }
}
