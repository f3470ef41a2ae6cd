# The one implementation behind Approve-AmsAccessRequest and Deny-AmsAccessRequest, which differ only
# in the decision. Each public function keeps its own parameters, help and ShouldProcess call (a
# failed confirmation prompt then names that cmdlet); this runs the decision that was confirmed.

function Invoke-AmsAccessDecision {
    # Runs `ams access approve|deny` with the RequestId, ApproverSid and Reason the Caller bound, and
    # writes the request after the decision as Ams.AccessRequest. Failures land on the Caller.
    [CmdletBinding()]
    [OutputType('Ams.AccessRequest')]
    param(
        [Parameter(Mandatory)]
        [System.Management.Automation.PSCmdlet] $Caller,

        [Parameter(Mandatory)]
        [ValidateSet('approve', 'deny')]
        [string] $Decision,

        [Parameter(Mandatory)]
        [System.Collections.IDictionary] $BoundParameters
    )

    $parameters = Get-AmsVerbParameter -BoundParameters $BoundParameters -Name 'RequestId', 'ApproverSid', 'Reason'
    Invoke-AmsVerb -Caller $Caller -Verb "access $Decision" -Parameters $parameters -TargetObject $BoundParameters['RequestId'] |
        Add-AmsTypeName -TypeName 'Ams.AccessRequest' -NestedTypeName @{ 'Approvers' = 'Ams.Principal' }
}
