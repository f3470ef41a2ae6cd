function Set-AmsNotificationChannel {
    <#
    .SYNOPSIS
    Changes a notification channel.

    .DESCRIPTION
    Changes a channel's settings, routes, templates or retry policy; values left out are kept.
    The kind cannot change. To replace the secret, use Set-AmsNotificationChannelSecret.

    Runs `ams notification-channel set`.

    .PARAMETER Name
    The channels name (or id). Binds from the Name property of piped objects.

    .PARAMETER NewName
    A new name for the channel.

    .PARAMETER Enable
    Queue messages for the channel again.

    .PARAMETER Disable
    Stop queueing messages for the channel; its queued messages are retried until it is enabled again or they are dead-lettered.

    .PARAMETER ClearSecret
    Forget the stored secret (for an SMTP channel whose user was removed).

    .PARAMETER ClearRouteEvents
    Stop routing events on its own: only rules that name the channel send to it.

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

    .PARAMETER WhatIf
    Shows what would change without running ams.

    .PARAMETER Confirm
    Asks before each change.

    .OUTPUTS
    Ams.NotificationChannel. The channel as it is after the change.

    .EXAMPLE
    Set-AmsNotificationChannel -Name SecOps -RouteEvent access, jit -RouteOutcome denied, failure

    Sends every refused or failed access and JIT event to the channel.

    .EXAMPLE
    Get-AmsNotificationChannel | Set-AmsNotificationChannel -Disable -WhatIf

    Shows which channels would be disabled.

    .NOTES
    Module addition. Wraps `ams notification-channel set`; see docs/notifications.md.

    .LINK
    Get-AmsNotificationChannel
    #>
    [CmdletBinding(DefaultParameterSetName = 'None', SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.NotificationChannel')]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName, ParameterSetName = 'None')]
        [Parameter(Mandatory, ValueFromPipelineByPropertyName, ParameterSetName = 'Enable')]
        [Parameter(Mandatory, ValueFromPipelineByPropertyName, ParameterSetName = 'Disable')]
        [ValidateNotNullOrEmpty()]
        [string] $Name,

        [ValidateNotNullOrEmpty()]
        [string] $NewName,

        [Parameter(Mandatory, ParameterSetName = 'Enable')]
        [switch] $Enable,

        [Parameter(Mandatory, ParameterSetName = 'Disable')]
        [switch] $Disable,

        [switch] $ClearSecret,

        [switch] $ClearRouteEvents,

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

        [int] $RetrySeconds
    )

    process {
        if (-not $PSCmdlet.ShouldProcess("notification channel '$Name'", 'Update')) {
            return
        }
        $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'Name', 'NewName', 'Enable', 'Disable', 'ClearSecret', 'ClearRouteEvents', 'Url', 'CaFile', 'SmtpHost', 'SmtpPort', 'SmtpSecurity', 'SmtpUser', 'From', 'To', 'Command', 'Arg', 'TimeoutSeconds', 'RouteEvent', 'RouteOutcome', 'SubjectTemplate', 'BodyTemplate', 'MaxAttempts', 'RetrySeconds'
        ConvertTo-AmsBooleanSetting -Parameters $parameters -Setting 'Enabled' -OnSwitch 'Enable' -OffSwitch 'Disable'
        Invoke-AmsVerb -Caller $PSCmdlet -Verb 'notification-channel set' -Parameters $parameters -TargetObject $Name |
            Add-AmsTypeName -TypeName 'Ams.NotificationChannel'
    }
}
