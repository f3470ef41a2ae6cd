function Get-AmsAccessRequest {
    <#
    .SYNOPSIS
    Gets access requests that wait for, or hold, an approval.

    .DESCRIPTION
    Lists access requests made under rules that require approval (see docs/approvals.md), newest
    first, optionally one by id or those in a state, by a requester or for a computer. State is
    Pending, Approved, Denied, Used or Expired (a pending request past its wait, or an approved
    one past its access window). No secret is ever part of a request.

    Runs `ams access requests get`.

    .PARAMETER Id
    One request by id. Binds from the Id or RequestId property of piped objects.

    .PARAMETER State
    Only requests in this state.

    .PARAMETER RequesterSid
    Only requests made by this SID.

    .PARAMETER ComputerName
    Only requests for this computer.

    .INPUTS
    System.String. Any object with an Id or RequestId property.

    .OUTPUTS
    Ams.AccessRequest.

    .EXAMPLE
    Get-AmsAccessRequest -State Pending

    Lists the requests waiting for an approver.

    .NOTES
    A module addition (no upstream cmdlet). Wraps `ams access requests get`.

    .LINK
    Approve-AmsAccessRequest
    #>
    [CmdletBinding()]
    [OutputType('Ams.AccessRequest')]
    param(
        [Parameter(Position = 0, ValueFromPipelineByPropertyName)]
        [Alias('RequestId')]
        [ValidateNotNullOrEmpty()]
        [string] $Id,

        [ValidateSet('Pending', 'Approved', 'Denied', 'Used', 'Expired')]
        [string] $State,

        [ValidateNotNullOrEmpty()]
        [string] $RequesterSid,

        [ValidateNotNullOrEmpty()]
        [string] $ComputerName
    )

    process {
        $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'Id', 'State', 'RequesterSid', 'ComputerName'
        Invoke-AmsVerb -Caller $PSCmdlet -Verb 'access requests get' -Parameters $parameters |
            Add-AmsTypeName -TypeName 'Ams.AccessRequest' -NestedTypeName @{ 'Approvers' = 'Ams.Principal' }
    }
}
