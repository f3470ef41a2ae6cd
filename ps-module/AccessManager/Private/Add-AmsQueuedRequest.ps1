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
