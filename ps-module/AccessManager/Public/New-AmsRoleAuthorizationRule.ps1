function New-AmsRoleAuthorizationRule {
    <#
    .SYNOPSIS
    Creates a role authorization rule.

    .DESCRIPTION
    Creates a JIT role: who may request it, which AD group they are added to and for how long.
    Principals are security identifiers (SIDs); a SID can carry a name for display as
    'S-1-5-21-...-1104=CORP\Admins'. ams has no directory to turn names into SIDs, so a name on its
    own is refused.

    Runs `ams role-authorization-rule new`.

    .PARAMETER Name
    The role name shown to users, unique ignoring case.

    .PARAMETER PrincipalsAllowedJit
    SIDs of the users and groups allowed to request the role.

    .PARAMETER PrincipalsDeniedJit
    SIDs of the users and groups denied the role, whatever else allows it.

    .PARAMETER GroupName
    The AD group users join when the role is granted (DOMAIN\Group or a SID).

    .PARAMETER MaximumAccessDuration
    The longest time a user may hold the role.

    .PARAMETER DefaultAccessDuration
    The duration offered by default; no longer than MaximumAccessDuration.

    .PARAMETER AllowExtension
    Let users extend an active grant before it expires.

    .PARAMETER Description
    The role description shown to users.

    .PARAMETER RuleExpiryDate
    When the rule stops applying (local time; sent to ams in UTC).

    .PARAMETER Disabled
    Create the rule disabled.

    .PARAMETER Notes
    Notes for ams administrators.

    .PARAMETER UserRequestReasonRequirement
    Whether users must give a reason: Hidden, Optional or Required.

    .PARAMETER NotificationChannelsSuccess
    Notification channels (ids or names) told when the role is granted.

    .PARAMETER NotificationChannelsFailure
    Notification channels (ids or names) told when a request is denied.

    .PARAMETER SiteName
    The AD site whose domain controller makes the group change.

    .PARAMETER DomainControllerName
    The domain controller on which the group change is made.

    .PARAMETER WhatIf
    Shows what would be created without running ams.

    .PARAMETER Confirm
    Asks before creating the rule.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.RoleAuthorizationRule

    .PARAMETER ApprovalRequired
    Requests under the rule wait for one of -Approvers before anything is handed out (see
    docs/approvals.md). -ApprovalRequired:$false leaves it off.

    .PARAMETER Approvers
    SIDs of the principals who may approve or deny requests, optionally with a name for display
    ('S-1-5-21-...-1105=CORP\user2'). The requester never approves their own request.

    .PARAMETER ApprovalWaitDuration
    How long a request may wait for a decision (default 1 day; 1 minute to 30 days).

    .PARAMETER ApprovalAccessWindow
    How long after approval the requester may fetch the access, once (default 1 hour; 1 minute to
    7 days).

    .EXAMPLE
    New-AmsRoleAuthorizationRule -Name 'Rocketship production admin' -GroupName 'CORP\Rocketship-Prod-Admins' -MaximumAccessDuration 8:30:00 -PrincipalsAllowedJit 'S-1-5-21-1004336348-1177238915-682003330-2106'

    Lets one group request membership of CORP\Rocketship-Prod-Admins for up to eight and a half hours.

    .NOTES
    Part of the 43 upstream cmdlets. Adds -WhatIf and -Confirm. Principals must be SIDs (no
    directory lookups). Wraps `ams role-authorization-rule new`.

    .LINK
    Get-AmsRoleAuthorizationRule
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.RoleAuthorizationRule')]
    param(
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string] $Name,

        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [object[]] $PrincipalsAllowedJit,

        [object[]] $PrincipalsDeniedJit,

        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string] $GroupName,

        [Parameter(Mandatory)]
        [timespan] $MaximumAccessDuration,

        [timespan] $DefaultAccessDuration,

        [switch] $AllowExtension,

        [string] $Description,

        [datetime] $RuleExpiryDate,

        [switch] $Disabled,

        [string] $Notes,

        [ValidateSet('Hidden', 'Optional', 'Required')]
        [string] $UserRequestReasonRequirement,

        [string[]] $NotificationChannelsSuccess,

        [string[]] $NotificationChannelsFailure,

        [string] $SiteName,

        [string] $DomainControllerName,
        [switch] $ApprovalRequired,

        [object[]] $Approvers,

        [timespan] $ApprovalWaitDuration,

        [timespan] $ApprovalAccessWindow
    )

    if (-not $PSCmdlet.ShouldProcess("role authorization rule '$Name'", 'Create')) {
        return
    }
    $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'Name', 'PrincipalsAllowedJit', 'PrincipalsDeniedJit', 'GroupName', 'MaximumAccessDuration', 'DefaultAccessDuration', 'AllowExtension', 'Description', 'RuleExpiryDate', 'Disabled', 'Notes', 'UserRequestReasonRequirement', 'NotificationChannelsSuccess', 'NotificationChannelsFailure', 'SiteName', 'DomainControllerName', 'ApprovalRequired', 'Approvers', 'ApprovalWaitDuration', 'ApprovalAccessWindow'
    ConvertTo-AmsBooleanSetting -Parameters $parameters -Name 'AllowExtension', 'ApprovalRequired' -Setting 'Enabled' -OffSwitch 'Disabled'
    ConvertTo-AmsRuleParameter -Parameters $parameters
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'role-authorization-rule new' -Parameters $parameters -TargetObject $Name |
        Add-AmsTypeName -TypeName 'Ams.RoleAuthorizationRule' -NestedTypeName @{ 'Principals*' = 'Ams.Principal' }
}
