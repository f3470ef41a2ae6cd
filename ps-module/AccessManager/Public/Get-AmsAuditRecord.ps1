function Get-AmsAuditRecord {
    <#
    .SYNOPSIS
    Reads the ams audit trail. (Module addition.)

    .DESCRIPTION
    Returns audit records, oldest first: who did what to which object and when. Records never hold
    secret values. By default the newest 100 records are returned; use -Limit for more or fewer.
    -Since and -Until bound the time, -TargetId picks one object, -Actor one person and -Event one
    kind of event (or every event under a prefix: 'device' matches 'device.approve').

    Runs `ams audit get`.

    .PARAMETER Since
    Only records at or after this time.

    .PARAMETER Until
    Only records before this time.

    .PARAMETER TargetId
    Only records about the object with this id (a device, group, key ...).

    .PARAMETER Actor
    Only records by this actor, such as 'local:alice'.

    .PARAMETER Event
    Only this event, or every event under it ('password' matches 'password.read').

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
    Get-AmsAuditRecord -Since (Get-Date).AddDays(-1) -Event 'password.read'

    Shows every password read in the last day.

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
        [datetime] $Since,

        [Parameter()]
        [datetime] $Until,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string] $TargetId,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string] $Actor,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string] $Event,

        [Parameter()]
        [ValidateRange(1, [int]::MaxValue)]
        [int] $Limit
    )

    $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'TargetId', 'Actor', 'Event', 'Limit'
    foreach ($name in 'Since', 'Until') {
        if ($PSBoundParameters.ContainsKey($name)) {
            $parameters[$name] = $PSBoundParameters[$name].ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ss.ffffffZ')
        }
    }
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'audit get' -Parameters $parameters -TargetObject $TargetId |
        Add-AmsTypeName -TypeName 'Ams.AuditRecord'
}
