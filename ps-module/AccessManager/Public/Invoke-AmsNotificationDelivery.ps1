function Invoke-AmsNotificationDelivery {
    <#
    .SYNOPSIS
    Delivers the notifications that are due.

    .DESCRIPTION
    Claims each due message (race-free: two hosts never send one message at the same time),
    sends it, and records the outcome: delivered, retried later with exponential backoff, or
    dead-lettered after the channel's attempts. Run it from a timer, or let `ams server run`
    deliver in the background.

    Runs `ams notify run-due`.

    .PARAMETER Now
    Run as if at this time (RFC 3339; for catching up and tests). Default: now.

    .PARAMETER WhatIf
    Shows what would happen without running ams.

    .PARAMETER Confirm
    Asks before delivering.

    .OUTPUTS
    Ams.NotificationRun. What the run claimed, delivered, retried and dead-lettered.

    .EXAMPLE
    Invoke-AmsNotificationDelivery

    Delivers what is due now.

    .NOTES
    Module addition. Wraps `ams notify run-due`; see docs/notifications.md.

    .LINK
    Get-AmsNotificationQueue
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Low')]
    [OutputType('Ams.NotificationRun')]
    param(
        [ValidateNotNullOrEmpty()]
        [string] $Now
    )

    if (-not $PSCmdlet.ShouldProcess('the notification queue', 'Deliver the due messages')) {
        return
    }
    $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'Now'
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'notify run-due' -Parameters $parameters |
        Add-AmsTypeName -TypeName 'Ams.NotificationRun'
}
