function Remove-AmsJitSchedulerJob {
    <#
    .SYNOPSIS
    Deletes a job from the JIT scheduler's queue.

    .DESCRIPTION
    Removes a scheduler job. The group membership it would have removed is left as it is, so
    remove the user from the group yourself if the access must end.

    Asks for confirmation (ConfirmImpact is High), like every removal in this module; pass
    -Confirm:$false to skip the prompt. Upstream has no -Force for this cmdlet, so neither does
    this function.

    Runs `ams jit-scheduler-job remove`.

    .PARAMETER Id
    The id of the job. Binds from the Id property of piped objects.

    .PARAMETER WhatIf
    Shows what would be removed without running ams.

    .PARAMETER Confirm
    Asks before each removal.

    .INPUTS
    System.String. Any object with an Id property, such as the output of Get-AmsJitSchedulerJob.

    .OUTPUTS
    None.

    .EXAMPLE
    Remove-AmsJitSchedulerJob -Id 'f0c8d7e2-7a51-4a4f-9a43-1f0b7e3c2d11'

    Removes one job.

    .EXAMPLE
    Get-AmsJitSchedulerJob -FailedOnly | Remove-AmsJitSchedulerJob -Confirm:$false

    Clears the failed jobs after they were dealt with by hand.

    .NOTES
    Part of the 43 upstream cmdlets. Adds -WhatIf and -Confirm. Wraps `ams jit-scheduler-job remove`.

    .LINK
    Get-AmsJitSchedulerJob
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType([void])]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string] $Id
    )

    process {
        if (-not $PSCmdlet.ShouldProcess("JIT scheduler job $Id", 'Remove')) {
            return
        }
        $null = Invoke-AmsVerb -Caller $PSCmdlet -Verb 'jit-scheduler-job remove' -Parameters ([ordered]@{ Id = $Id })
    }
}
