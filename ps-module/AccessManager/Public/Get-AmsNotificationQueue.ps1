function Get-AmsNotificationQueue {
    <#
    .SYNOPSIS
    Lists queued notification messages.

    .DESCRIPTION
    Shows the messages of the delivery queue, newest last, with their state (Pending, Sending,
    Delivered, DeadLetter), attempts, last error and the event's variables.

    Runs `ams notify queue get`.

    .PARAMETER State
    Only this state: pending, sending, delivered or dead-letter.

    .PARAMETER Channel
    Only this channel (name or id).

    .PARAMETER Limit
    At most this many, the newest (default 1000).

    .OUTPUTS
    Ams.NotificationMessage. One object per message.

    .EXAMPLE
    Get-AmsNotificationQueue -State dead-letter

    Lists the messages that were given up on.

    .NOTES
    Module addition. Wraps `ams notify queue get`; see docs/notifications.md.

    .LINK
    Invoke-AmsNotificationDelivery
    #>
    [CmdletBinding()]
    [OutputType('Ams.NotificationMessage')]
    param(
        [ValidateSet('pending', 'sending', 'delivered', 'dead-letter')]
        [string] $State,

        [ValidateNotNullOrEmpty()]
        [string] $Channel,

        [ValidateRange(1, 100000)]
        [int] $Limit
    )

    $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'State', 'Channel', 'Limit'
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'notify queue get' -Parameters $parameters |
        Add-AmsTypeName -TypeName 'Ams.NotificationMessage'
}
