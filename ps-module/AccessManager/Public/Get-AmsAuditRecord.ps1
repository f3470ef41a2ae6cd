function Get-AmsAuditRecord {
    <#
    .SYNOPSIS
    Reads the ams audit trail. (Module addition.)

    .DESCRIPTION
    Returns audit records, oldest first: who did what to which object and when. Records never hold
    secret values. By default the newest 100 records are returned; use -Limit for more or fewer,
    and -TargetId to see only the records about one object.

    Runs `ams audit get`.

    .PARAMETER TargetId
    Only records about the object with this id (a device, group, key ...).

    .PARAMETER Limit
    At most this many records, the newest ones.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.AuditRecord

    .EXAMPLE
    Get-AmsAuditRecord -Limit 20

    Shows the 20 newest audit records.

    .EXAMPLE
    Get-AmsAuditRecord -TargetId (Get-AmsDevice -Name 'PC1').Id

    Shows what happened to device PC1.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams audit get`.

    .LINK
    Get-AmsDevice
    #>
    [CmdletBinding()]
    [OutputType('Ams.AuditRecord')]
    param(
        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string] $TargetId,

        [Parameter()]
        [ValidateRange(1, [int]::MaxValue)]
        [int] $Limit
    )

    $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'TargetId', 'Limit'
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'audit get' -Parameters $parameters -TargetObject $TargetId |
        Add-AmsTypeName -TypeName 'Ams.AuditRecord'
}
