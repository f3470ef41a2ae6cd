function Get-AmsJitSchedulerJob {
    <#
    .SYNOPSIS
    Lists the JIT scheduler's pending removal jobs, or gets one by id.

    .DESCRIPTION
    Each JIT grant schedules a job that removes the user from the group when the access ends
    (`ams jit run-due`). Without -Id the jobs not yet done are listed; -FailedOnly lists only the
    jobs that gave up after the retry limit (Get-AmsActiveDirectoryJitOptions).

    Runs `ams jit-scheduler-job get`.

    .PARAMETER Id
    The id of the job.

    .PARAMETER Type
    The job type: ActiveDirectoryGroupRemoval (the only one).

    .PARAMETER FailedOnly
    List only the failed jobs.

    .INPUTS
    System.String. Any object with an Id property.

    .OUTPUTS
    Ams.JitSchedulerJob

    .EXAMPLE
    Get-AmsJitSchedulerJob

    Lists the pending and failed jobs.

    .EXAMPLE
    Get-AmsJitSchedulerJob -FailedOnly

    Lists the jobs whose membership removal gave up.

    .NOTES
    Part of the 43 upstream cmdlets. Wraps `ams jit-scheduler-job get`.

    .LINK
    Remove-AmsJitSchedulerJob
    #>
    [CmdletBinding(DefaultParameterSetName = 'GetByType')]
    [OutputType('Ams.JitSchedulerJob')]
    param(
        [Parameter(ParameterSetName = 'GetById', Mandatory, Position = 0, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string] $Id,

        [Parameter(ParameterSetName = 'GetByType')]
        [ValidateSet('ActiveDirectoryGroupRemoval')]
        [string] $Type,

        [Parameter(ParameterSetName = 'GetByType')]
        [switch] $FailedOnly
    )

    process {
        $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'Id', 'Type', 'FailedOnly'
        Invoke-AmsVerb -Caller $PSCmdlet -Verb 'jit-scheduler-job get' -Parameters $parameters |
            Add-AmsTypeName -TypeName 'Ams.JitSchedulerJob'
    }
}
