function Set-AmsGroup {
    <#
    .SYNOPSIS
    Renames an ams group or changes its description.

    .DESCRIPTION
    Changes the name, the description, or both, of an existing group. Parameters left out keep
    their current value. The group's id and security identifier never change, so rules that refer
    to the group keep working after a rename.

    Group ids can come from the pipeline; many groups are sent to ams in a few batches.

    Runs `ams group set`.

    .PARAMETER Id
    The id of the group. Binds from the Id property of piped objects.

    .PARAMETER Name
    The new name.

    .PARAMETER Description
    The new description. An empty string clears it.

    .PARAMETER WhatIf
    Shows what would change without running ams.

    .PARAMETER Confirm
    Asks before each change.

    .INPUTS
    System.String. Any object with an Id property, such as the output of Get-AmsGroup.

    .OUTPUTS
    Ams.Group. The group as it is after the change.

    .EXAMPLE
    Get-AmsGroup -Name 'Kiosks' | Set-AmsGroup -Name 'Lobby kiosks'

    Renames a group.

    .EXAMPLE
    Set-AmsGroup -Id 'ccf95e2b-e9c0-49b4-b810-c959d5e49e06' -Description ''

    Clears the description of a group.

    .NOTES
    Part of the 43 upstream cmdlets. Adds -WhatIf and -Confirm. Wraps `ams group set`.

    .LINK
    Get-AmsGroup
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.Group')]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string] $Id,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string] $Name,

        [Parameter()]
        [AllowEmptyString()]
        [string] $Description
    )

    begin {
        $queue = [System.Collections.Generic.List[object]]::new()
    }

    process {
        if (-not $PSCmdlet.ShouldProcess("group $Id", 'Update')) {
            return
        }
        $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'Id', 'Name', 'Description'
        Add-AmsQueuedRequest -Caller $PSCmdlet -Queue $queue -Verb 'group set' -Parameters $parameters -Target $Id | Add-AmsTypeName -TypeName 'Ams.Group'
    }

    end {
        Invoke-AmsRequestQueue -Caller $PSCmdlet -Queue $queue | Add-AmsTypeName -TypeName 'Ams.Group'
    }
}
