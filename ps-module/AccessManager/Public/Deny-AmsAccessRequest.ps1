function Deny-AmsAccessRequest {
    <#
    .SYNOPSIS
    Denies a pending access request.

    .DESCRIPTION
    Denies an access request made under a rule that requires approval (see docs/approvals.md).
    Only an approver the rule names may decide, and never the requester. A denied request can never be fetched; the requester makes a new request if access is still needed. The decision, and
    every refused attempt, is an audit record.

    Request ids can come from the pipeline (the RequestId of Request output, or the Id of
    Get-AmsAccessRequest output).

    Runs `ams access deny`.

    .PARAMETER RequestId
    The request id. Binds from the RequestId or Id property of piped objects.

    .PARAMETER ApproverSid
    The approver's SID.

    .PARAMETER Reason
    Why (kept with the request and in the audit trail).

    .PARAMETER WhatIf
    Shows what would be decided without running ams.

    .PARAMETER Confirm
    Asks before each decision.

    .INPUTS
    System.String. Any object with a RequestId or Id property.

    .OUTPUTS
    Ams.AccessRequest. The request after the decision.

    .EXAMPLE
    Get-AmsAccessRequest -State Pending -ComputerName 'PC1' | Deny-AmsAccessRequest -ApproverSid 'S-1-5-21-1004336348-1177238915-682003330-1105' -Reason 'change 42'

    Denies every pending request for PC1.

    .NOTES
    A module addition (no upstream cmdlet). Wraps `ams access deny`.

    .LINK
    Get-AmsAccessRequest
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.AccessRequest')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)]
        [Alias('Id')]
        [ValidateNotNullOrEmpty()]
        [string] $RequestId,

        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string] $ApproverSid,

        [string] $Reason
    )

    process {
        if (-not $PSCmdlet.ShouldProcess("access request $RequestId", 'Deny')) {
            return
        }
        Invoke-AmsAccessDecision -Caller $PSCmdlet -Decision 'deny' -BoundParameters $PSBoundParameters
    }
}
