function Get-AmsGroupMembers {
    <#
    .SYNOPSIS
    Lists the devices in an ams group.

    .DESCRIPTION
    Returns the member devices of a group, as device objects like those of Get-AmsDevice. The group
    id can come from the pipeline; when many groups are piped in, their members are fetched in a
    few ams runs and written in the order of the groups.

    Runs `ams group-members get`.

    .PARAMETER Id
    The id of the group. Binds from the Id property of piped objects.

    .INPUTS
    System.String. Any object with an Id property, such as the output of Get-AmsGroup.

    .OUTPUTS
    Ams.Device

    .EXAMPLE
    Get-AmsGroup -Name 'Kiosks' | Get-AmsGroupMembers

    Lists the devices in the Kiosks group.

    .EXAMPLE
    Get-AmsGroup | Get-AmsGroupMembers | Sort-Object -Property Id -Unique

    Lists every device that belongs to at least one group.

    .NOTES
    Part of the 43 upstream cmdlets. The noun stays plural, as upstream has it. Wraps
    `ams group-members get`.

    .LINK
    Add-AmsGroupMember
    #>
    [CmdletBinding()]
    [OutputType('Ams.Device')]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string] $Id
    )

    begin {
        $queue = [System.Collections.Generic.List[object]]::new()
    }

    process {
        Add-AmsQueuedRequest -Caller $PSCmdlet -Queue $queue -Verb 'group-members get' -Parameters ([ordered]@{ Id = $Id }) -Target $Id | Add-AmsTypeName -TypeName 'Ams.Device'
    }

    end {
        Invoke-AmsRequestQueue -Caller $PSCmdlet -Queue $queue | Add-AmsTypeName -TypeName 'Ams.Device'
    }
}
