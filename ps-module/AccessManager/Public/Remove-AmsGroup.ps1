function Remove-AmsGroup {
    <#
    .SYNOPSIS
    Deletes an ams group.

    .DESCRIPTION
    Removes a group. Its member devices stay registered; they only lose their membership of this
    group. Authorization rules that named the group no longer match anything.

    Asks for confirmation unless -Force is given (ConfirmImpact is High). Ids can come from the
    pipeline; many groups are removed in a few ams runs.

    Runs `ams group remove --force` once the removal is confirmed.

    .PARAMETER Id
    The id of the group. Binds from the Id property of piped objects.

    .PARAMETER Force
    Remove without asking for confirmation.

    .PARAMETER WhatIf
    Shows what would be removed without running ams.

    .PARAMETER Confirm
    Asks before each removal, even with -Force.

    .INPUTS
    System.String. Any object with an Id property, such as the output of Get-AmsGroup.

    .OUTPUTS
    None.

    .EXAMPLE
    Get-AmsGroup -Name 'Old kiosks' | Remove-AmsGroup

    Removes a group after asking for confirmation.

    .EXAMPLE
    Remove-AmsGroup -Id 'ccf95e2b-e9c0-49b4-b810-c959d5e49e06' -Force

    Removes a group without prompting.

    .NOTES
    Part of the 43 upstream cmdlets. Adds -WhatIf and -Confirm. Wraps `ams group remove`.

    .LINK
    Get-AmsGroup
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType([void])]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string] $Id,

        [switch] $Force
    )

    begin {
        if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) {
            $ConfirmPreference = 'None'
        }
        $queue = [System.Collections.Generic.List[object]]::new()
    }

    process {
        if (-not $PSCmdlet.ShouldProcess("group $Id", 'Remove')) {
            return
        }
        $null = Add-AmsQueuedRequest -Caller $PSCmdlet -Queue $queue -Verb 'group remove' -Parameters ([ordered]@{ Id = $Id; Force = $true }) -Target $Id
    }

    end {
        $null = Invoke-AmsRequestQueue -Caller $PSCmdlet -Queue $queue
    }
}
