# The pipeline side of request queues: the process block of a cmdlet that takes many records adds
# one request per record here, and its end block sends what is left (Invoke-AmsRequestQueue). A
# full queue (the module's batch size) is sent at once, so memory and the wait for the first
# result stay bounded however long the pipeline is.

function Add-AmsQueuedRequest {
    # Queues one request, and sends the queue when it holds $script:AmsBatchSize requests. Writes
    # the results of a send (nothing otherwise); errors land on the Caller, naming Target.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)]
        [System.Management.Automation.PSCmdlet] $Caller,

        [Parameter(Mandatory)]
        [AllowEmptyCollection()]
        [System.Collections.Generic.List[object]] $Queue,

        [Parameter(Mandatory)]
        [string] $Verb,

        [Parameter(Mandatory)]
        [AllowEmptyCollection()]
        [System.Collections.IDictionary] $Parameters,

        [AllowNull()]
        $Target
    )

    $Queue.Add((New-AmsRequest -Verb $Verb -Parameters $Parameters -Target $Target))
    if ($Queue.Count -ge $script:AmsBatchSize) {
        Invoke-AmsRequestQueue -Caller $Caller -Queue $Queue
    }
}

function Add-AmsRemovalRequest {
    # The process block of the Remove-Ams<Noun> cmdlets that delete one record by id: asks the
    # Caller's ShouldProcess (so -WhatIf, -Confirm and the Caller's -Force idiom, which set
    # $ConfirmPreference in the Caller's scope, apply as usual), then queues `<Verb> --id <Id>`,
    # with `--force` unless NoForce (ams itself asks nothing: the cmdlet has already asked).
    # Writes nothing; the Caller's end block sends the rest with Invoke-AmsRequestQueue.
    [CmdletBinding()]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)]
        [System.Management.Automation.PSCmdlet] $Caller,

        [Parameter(Mandatory)]
        [AllowEmptyCollection()]
        [System.Collections.Generic.List[object]] $Queue,

        [Parameter(Mandatory)]
        [string] $Verb,

        [Parameter(Mandatory)]
        [string] $Id,

        # What ShouldProcess names, e.g. "group $Id".
        [Parameter(Mandatory)]
        [string] $Description,

        [string] $Action = 'Remove',

        # The verb takes no --force flag (word-list remove).
        [switch] $NoForce
    )

    if (-not $Caller.ShouldProcess($Description, $Action)) {
        return
    }
    $parameters = [ordered]@{ Id = $Id }
    if (-not $NoForce) {
        $parameters['Force'] = $true
    }
    $null = Add-AmsQueuedRequest -Caller $Caller -Queue $Queue -Verb $Verb -Parameters $parameters -Target $Id
}
