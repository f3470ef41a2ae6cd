function Set-AmsNotificationChannelSecret {
    <#
    .SYNOPSIS
    Replaces the secret of a notification channel.

    .DESCRIPTION
    Stores a new webhook HMAC key or SMTP password, sealed under the master key. The secret goes
    to ams on stdin, never on its command line.

    Runs `ams notification-channel set-secret`.

    .PARAMETER Name
    The channels name (or id).

    .PARAMETER Secret
    The new HMAC key (at least 16 bytes) or SMTP password.

    .PARAMETER WhatIf
    Shows what would happen without running ams.

    .PARAMETER Confirm
    Asks before each change.

    .OUTPUTS
    Ams.NotificationChannel. The channel after the change.

    .EXAMPLE
    Set-AmsNotificationChannelSecret -Name SecOps -Secret (Read-Host -AsSecureString)

    Replaces a webhook's HMAC key.

    .NOTES
    Module addition. Wraps `ams notification-channel set-secret`; see docs/notifications.md.

    .LINK
    Get-AmsNotificationChannel
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.NotificationChannel')]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string] $Name,

        [Parameter(Mandatory)]
        [System.Security.SecureString] $Secret
    )

    process {
        if (-not $PSCmdlet.ShouldProcess("notification channel '$Name'", 'Replace the secret')) {
            return
        }
        Invoke-AmsVerb -Caller $PSCmdlet -Verb 'notification-channel set-secret' -Parameters ([ordered]@{ Name = $Name }) -Secret $Secret -TargetObject $Name |
            Add-AmsTypeName -TypeName 'Ams.NotificationChannel'
    }
}
