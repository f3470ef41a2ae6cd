function Remove-AmsNotificationChannel {
    <#
    .SYNOPSIS
    Removes a notification channel and its queued messages.

    .DESCRIPTION
    Deletes the channel with every message queued for it (pending, delivered and dead-lettered).
    Rules that name it keep the name; nothing is queued for a name without a channel.

    Asks for confirmation unless -Force is given (ConfirmImpact is High).

    Runs `ams notification-channel remove`.

    .PARAMETER Name
    The channels name (or id). Binds from the Name property of piped objects.

    .PARAMETER Force
    Removes without asking for confirmation.

    .PARAMETER WhatIf
    Shows what would happen without running ams.

    .PARAMETER Confirm
    Asks before each change.

    .OUTPUTS
    Ams.NotificationChannel. The channel as it was.

    .EXAMPLE
    Remove-AmsNotificationChannel -Name OldHook -Force

    Removes a channel without asking.

    .NOTES
    Module addition. Wraps `ams notification-channel remove`; see docs/notifications.md.

    .LINK
    Get-AmsNotificationChannel
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType('Ams.NotificationChannel')]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string] $Name,

        [switch] $Force
    )

    begin {
        if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) {
            $ConfirmPreference = 'None'
        }
    }

    process {
        if (-not $PSCmdlet.ShouldProcess("notification channel '$Name'", 'Remove')) {
            return
        }
        Invoke-AmsVerb -Caller $PSCmdlet -Verb 'notification-channel remove' -Parameters ([ordered]@{ Name = $Name }) -TargetObject $Name |
            Add-AmsTypeName -TypeName 'Ams.NotificationChannel'
    }
}
