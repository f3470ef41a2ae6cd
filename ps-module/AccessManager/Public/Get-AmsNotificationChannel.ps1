function Get-AmsNotificationChannel {
    <#
    .SYNOPSIS
    Lists notification channels, or shows one.

    .DESCRIPTION
    Shows each channel's kind, settings, routes, templates and retry policy. Secrets are never
    shown: SecretSet says whether one is stored.

    Runs `ams notification-channel get`.

    .PARAMETER Name
    The channels name (or id); all channels when left out.

    .OUTPUTS
    Ams.NotificationChannel. One object per channel.

    .EXAMPLE
    Get-AmsNotificationChannel

    Lists every channel.

    .EXAMPLE
    Get-AmsNotificationChannel -Name SecOps

    Shows one channel.

    .NOTES
    Module addition. Wraps `ams notification-channel get`; see docs/notifications.md.

    .LINK
    Get-AmsNotificationChannel
    #>
    [CmdletBinding()]
    [OutputType('Ams.NotificationChannel')]
    param(
        [Parameter(ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string] $Name
    )

    process {
        $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'Name'
        Invoke-AmsVerb -Caller $PSCmdlet -Verb 'notification-channel get' -Parameters $parameters -TargetObject $Name |
            Add-AmsTypeName -TypeName 'Ams.NotificationChannel'
    }
}
