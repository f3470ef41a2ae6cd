function Remove-AmsAgentPolicy {
    <#
    .SYNOPSIS
    Deletes a custom agent policy. (Module addition.)

    .DESCRIPTION
    Removes a custom agent policy; the policies after it move up one place. Devices it applied
    to follow the next matching policy, or their operating system's default. Default policies
    cannot be removed.

    Asks for confirmation unless -Force is given (ConfirmImpact is High).

    Runs `ams agent-policy remove --force` once the removal is confirmed.

    .PARAMETER Id
    The id of the policy. Binds from the Id property of piped objects.

    .PARAMETER Force
    Remove without asking for confirmation (ams needs --force for an enabled policy; the
    module passes it once the removal is confirmed).

    .PARAMETER WhatIf
    Shows what would be removed without running ams.

    .PARAMETER Confirm
    Asks before each removal, even with -Force.

    .INPUTS
    System.String. Any object with an Id property, such as the output of Get-AmsAgentPolicy.

    .OUTPUTS
    None.

    .EXAMPLE
    Get-AmsAgentPolicy -Name 'Old policy' | Remove-AmsAgentPolicy

    Removes a policy after asking for confirmation.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams agent-policy remove`.

    .LINK
    Get-AmsAgentPolicy
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
        if (-not $PSCmdlet.ShouldProcess("agent policy $Id", 'Remove')) {
            return
        }
        $null = Add-AmsQueuedRequest -Caller $PSCmdlet -Queue $queue -Verb 'agent-policy remove' -Parameters ([ordered]@{ Id = $Id; Force = $true }) -Target $Id
    }

    end {
        $null = Invoke-AmsRequestQueue -Caller $PSCmdlet -Queue $queue
    }
}
