function Test-AmsAuditTrail {
    <#
    .SYNOPSIS
    Checks the hash chain of the ams audit trail. (Module addition.)

    .DESCRIPTION
    Every audit record commits to the record before it. This walks the whole trail and fails,
    naming the first bad record, when a record was changed, deleted or moved. On success it returns
    the number of records and the hash of the newest one (the head). Keep the head somewhere else;
    passing it back with -ExpectHead later also detects records cut off the end of the trail.

    Runs `ams audit verify`.

    .PARAMETER ExpectHead
    A head hash returned by an earlier run. The check fails when that record is no longer in the
    trail.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.AuditVerification

    .EXAMPLE
    $head = (Test-AmsAuditTrail).Head

    Checks the trail and keeps the head hash.

    .EXAMPLE
    Test-AmsAuditTrail -ExpectHead $head

    Checks the trail again, and that nothing was cut off since the head was saved.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams audit verify`. A broken chain
    is an error with the id AMS-AUD-0001 and the category InvalidData.

    .LINK
    Get-AmsAuditRecord
    #>
    [CmdletBinding()]
    [OutputType('Ams.AuditVerification')]
    param(
        [Parameter()]
        [ValidatePattern('^[0-9a-fA-F]{64}$')]
        [string] $ExpectHead
    )

    $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'ExpectHead'
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'audit verify' -Parameters $parameters -TargetObject $ExpectHead |
        Add-AmsTypeName -TypeName 'Ams.AuditVerification'
}
