function New-AmsNotificationChannel {
    <#
    .SYNOPSIS
    Creates a notification channel: a webhook, an SMTP e-mail or a script.

    .DESCRIPTION
    A channel is where audited events are sent: rules name it in their success and failure
    channels, and -RouteEvent makes it receive events on its own. Secrets go to ams on stdin.

    Runs `ams notification-channel new`.

    .PARAMETER Name
    The channels name. Rules name channels by it (case-insensitive).

    .PARAMETER Kind
    webhook, smtp or script.

    .PARAMETER Disabled
    Create the channel disabled: no messages are queued for it until it is enabled.

    .PARAMETER Url
    Webhook: the https:// URL the event is POSTed to.

    .PARAMETER CaFile
    Webhook and SMTP: a PEM file of CA certificates to trust instead of the platforms (an empty string goes back to the platforms).

    .PARAMETER SmtpHost
    SMTP: the servers host name (its certificate must name it).

    .PARAMETER SmtpPort
    SMTP: the port (default 587 with starttls, 465 with implicit).

    .PARAMETER SmtpSecurity
    SMTP: starttls or implicit. Mail is never sent unencrypted.

    .PARAMETER SmtpUser
    SMTP: the user name for AUTH; its password is -Secret.

    .PARAMETER From
    SMTP: the sender address.

    .PARAMETER To
    SMTP: the recipient addresses.

    .PARAMETER Command
    Script: the program to run (an absolute path; no shell), which reads the event JSON on stdin.

    .PARAMETER Arg
    Script: fixed arguments for the program.

    .PARAMETER TimeoutSeconds
    Script: seconds the program may run before it is stopped (default 30).

    .PARAMETER RouteEvent
    Audit events (or prefixes such as access) this channel receives on its own, whatever the rules say; * for every event.

    .PARAMETER RouteOutcome
    Outcomes routed on its own: success, failure, denied (default all three).

    .PARAMETER SubjectTemplate
    The e-mail subject, with {{Variable}} names (see docs/notifications.md).

    .PARAMETER BodyTemplate
    The body, with {{Variable}} names: the e-mail text, and the Message field of webhook and script JSON.

    .PARAMETER MaxAttempts
    Attempts before a message is dead-lettered (default 10).

    .PARAMETER RetrySeconds
    Seconds before the first retry, doubled on each later one (default 60).

    .PARAMETER Secret
    The webhooks HMAC key (at least 16 bytes), or the SMTP users password. Required for a webhook and for SMTP with -SmtpUser; sent to ams on stdin and sealed under the master key.

    .PARAMETER WhatIf
    Shows what would be created without running ams.

    .PARAMETER Confirm
    Asks before creating the channel.

    .OUTPUTS
    Ams.NotificationChannel. The new channel (its secret is never shown).

    .EXAMPLE
    New-AmsNotificationChannel -Name SecOps -Kind webhook -Url https://hooks.example.com/ams -RouteEvent access.request -Secret (Read-Host -AsSecureString)

    Creates a signed webhook that receives every access request.

    .EXAMPLE
    New-AmsNotificationChannel -Name Mail -Kind smtp -SmtpHost mail.example.com -SmtpUser ams -From ams@example.com -To secops@example.com -Secret $password

    Creates an e-mail channel that rules can name.

    .NOTES
    Module addition. Wraps `ams notification-channel new`; see docs/notifications.md.

    .LINK
    Get-AmsNotificationChannel
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.NotificationChannel')]
    param(
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string] $Name,

        [Parameter(Mandatory)]
        [ValidateSet('webhook', 'smtp', 'script')]
        [string] $Kind,

        [switch] $Disabled,

        [string] $Url,

        [string] $CaFile,

        [string] $SmtpHost,

        [int] $SmtpPort,

        [string] $SmtpSecurity,

        [string] $SmtpUser,

        [string] $From,

        [string[]] $To,

        [string] $Command,

        [string[]] $Arg,

        [int] $TimeoutSeconds,

        [string[]] $RouteEvent,

        [string[]] $RouteOutcome,

        [string] $SubjectTemplate,

        [string] $BodyTemplate,

        [int] $MaxAttempts,

        [int] $RetrySeconds,

        [System.Security.SecureString] $Secret
    )

    if (-not $PSCmdlet.ShouldProcess("notification channel '$Name'", 'Create')) {
        return
    }
    $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'Name', 'Kind', 'Disabled', 'Url', 'CaFile', 'SmtpHost', 'SmtpPort', 'SmtpSecurity', 'SmtpUser', 'From', 'To', 'Command', 'Arg', 'TimeoutSeconds', 'RouteEvent', 'RouteOutcome', 'SubjectTemplate', 'BodyTemplate', 'MaxAttempts', 'RetrySeconds'
    ConvertTo-AmsBooleanSetting -Parameters $parameters -Setting 'Enabled' -OffSwitch 'Disabled'
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'notification-channel new' -Parameters $parameters -Secret $Secret -TargetObject $Name |
        Add-AmsTypeName -TypeName 'Ams.NotificationChannel'
}
