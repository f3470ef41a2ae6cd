function Test-AmsNotificationChannel {
    <#
    .SYNOPSIS
    Sends a test notification through a channel now.

    .DESCRIPTION
    Delivers a test event to the channel at once, not through the queue, and audits the outcome.
    A failure is an error record with code AMS-NTF-0005 and the reason (no secret).

    Runs `ams notification-channel test`.

    .PARAMETER Name
    The channels name (or id). Binds from the Name property of piped objects.

    .OUTPUTS
    Ams.NotificationTest. The channel, its kind and the time of the delivery.

    .EXAMPLE
    Get-AmsNotificationChannel | Test-AmsNotificationChannel

    Tests every channel.

    .NOTES
    Module addition. Wraps `ams notification-channel test`; see docs/notifications.md.

    .LINK
    Get-AmsNotificationChannel
    #>
    [CmdletBinding()]
    [OutputType('Ams.NotificationTest')]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string] $Name
    )

    process {
        Invoke-AmsVerb -Caller $PSCmdlet -Verb 'notification-channel test' -Parameters ([ordered]@{ Name = $Name }) -TargetObject $Name |
            Add-AmsTypeName -TypeName 'Ams.NotificationTest'
    }
}
