function New-AmsComputerAuthorizationRule {
    <#
    .SYNOPSIS
    Creates a computer authorization rule.

    .DESCRIPTION
    Creates a rule for one target: an ams device or group (custom or built-in), an AD computer,
    group or container, or an Entra tenant, group or device. The rule lists, per kind of access,
    the principals allowed and denied; a deny always wins over an allow. Alternatively the rule can
    hold an authorization script (-AuthorizationScriptPath).

    Principals and AD targets are security identifiers (SIDs). A SID can carry a name for display,
    written 'S-1-5-21-...-1104=CORP\LapsReaders'. ams has no directory to turn names into SIDs, so a
    name on its own is refused with error AMS-AUTHZ-0004.

    JIT principals and settings and the domain controller settings apply to AD targets only.

    Runs `ams computer-authorization-rule new`.

    .PARAMETER AadTenantId
    The Entra tenant id. Alone it targets every device of the tenant; with -AadGroupId or
    -AadComputerId it scopes the target.

    .PARAMETER AadGroupId
    The object id of an Entra group of devices.

    .PARAMETER AadComputerId
    The object id of an Entra device.

    .PARAMETER AdComputer
    An AD computer, as its SID (optionally 'SID=DOMAIN\NAME$' for display).

    .PARAMETER AdGroup
    An AD group of computers, as its SID (optionally 'SID=DOMAIN\Group').

    .PARAMETER AdContainer
    The distinguished name of an AD OU or container; its computers at any depth are targeted.

    .PARAMETER AmsComputerId
    The id of a device registered with ams.

    .PARAMETER AmsGroupId
    The id or SID of an ams group, custom or built-in.

    .PARAMETER AuthorizationScriptPath
    A PowerShell authorization script (defining Get-AuthorizationResponse) imported into the rule
    instead of principals. ams stores script rules but does not run them: they make no decision.

    .PARAMETER PrincipalsAllowedLaps
    SIDs of the users and groups allowed the current LAPS password.

    .PARAMETER PrincipalsDeniedLaps
    SIDs of the users and groups denied the current LAPS password.

    .PARAMETER PrincipalsAllowedLapsHistory
    SIDs of the users and groups allowed the LAPS password history.

    .PARAMETER PrincipalsDeniedLapsHistory
    SIDs of the users and groups denied the LAPS password history.

    .PARAMETER PrincipalsAllowedBitLocker
    SIDs of the users and groups allowed BitLocker recovery keys.

    .PARAMETER PrincipalsDeniedBitLocker
    SIDs of the users and groups denied BitLocker recovery keys.

    .PARAMETER PrincipalsAllowedJit
    SIDs of the users and groups allowed JIT access (AD targets only).

    .PARAMETER PrincipalsDeniedJit
    SIDs of the users and groups denied JIT access (AD targets only).

    .PARAMETER PrincipalsAllowedRapidLapsLogin
    SIDs of the users and groups allowed RapidLAPS log-in approval.

    .PARAMETER PrincipalsDeniedRapidLapsLogin
    SIDs of the users and groups denied RapidLAPS log-in approval.

    .PARAMETER PrincipalsAllowedRapidLapsElevation
    SIDs of the users and groups allowed RapidLAPS elevation approval.

    .PARAMETER PrincipalsDeniedRapidLapsElevation
    SIDs of the users and groups denied RapidLAPS elevation approval.

    .PARAMETER LapsMaximumAccessDuration
    The longest LAPS access; the password expires this long after it is read.

    .PARAMETER LapsDefaultAccessDuration
    The LAPS access granted when the requester asks for no duration.

    .PARAMETER LapsAllowExtension
    Let a repeated request before the access ends extend it.

    .PARAMETER JitGroupName
    The group a JIT user joins; may use %computerName% and %computerDomain% (AD targets only).

    .PARAMETER JitMaximumAccessDuration
    The longest JIT access (AD targets only).

    .PARAMETER JitDefaultAccessDuration
    The JIT access granted when the requester asks for no duration (AD targets only).

    .PARAMETER JitAllowExtension
    Let a repeated JIT request before the access ends extend it (AD targets only).

    .PARAMETER Description
    The rule description, shown in decisions and audit records.

    .PARAMETER RuleExpiryDate
    When the rule stops applying (local time; sent to ams in UTC).

    .PARAMETER Notes
    Notes for ams administrators.

    .PARAMETER UserRequestReasonRequirement
    Whether requesters must give a reason: Hidden, Optional or Required.

    .PARAMETER NotificationChannelsSuccess
    Notification channels (ids or names) told when the rule grants access.

    .PARAMETER NotificationChannelsFailure
    Notification channels (ids or names) told when the rule denies access.

    .PARAMETER DomainControllerName
    The domain controller on which JIT changes are made (AD targets only).

    .PARAMETER DoNotUseRemoteDcLocator
    Do not ask the computer which domain controller it uses for JIT changes (AD targets only).

    .PARAMETER SiteName
    The AD site whose domain controller makes JIT changes (AD targets only).

    .PARAMETER Disabled
    Create the rule disabled.

    .PARAMETER WhatIf
    Shows what would be created without running ams.

    .PARAMETER Confirm
    Asks before creating the rule.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.ComputerAuthorizationRule

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
    $group = Get-AmsGroup -Name 'My devices'
    New-AmsComputerAuthorizationRule -AmsGroupId $group.Id -PrincipalsAllowedLaps 'S-1-5-21-1004336348-1177238915-682003330-2105' -LapsMaximumAccessDuration 1:00:00

    Lets one group read the LAPS passwords of the devices in 'My devices'; each password expires
    an hour after it is read.

    .EXAMPLE
    New-AmsComputerAuthorizationRule -AdContainer 'OU=Devices,DC=corp,DC=example' -PrincipalsAllowedJit 'S-1-5-21-1004336348-1177238915-682003330-2106' -JitGroupName '%computerDomain%\JIT-%computerName%' -RuleExpiryDate '2030-03-01'

    Lets one group request JIT administrator access to the computers of an OU, until March 2030.

    .NOTES
    Part of the 43 upstream cmdlets. Adds -WhatIf and -Confirm, and -JitDefaultAccessDuration (which
    upstream has on Set- only). Principals must be SIDs (no directory lookups). Wraps
    `ams computer-authorization-rule new`.

    .LINK
    Get-AmsComputerAuthorizationRule

    .LINK
    Set-AmsComputerAuthorizationRule
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium', DefaultParameterSetName = 'AmsGroup')]
    [OutputType('Ams.ComputerAuthorizationRule')]
    param(
        [Parameter(Mandatory, ParameterSetName = 'AadTenant')]
        [Parameter(Mandatory, ParameterSetName = 'AadGroup')]
        [Parameter(Mandatory, ParameterSetName = 'AadComputer')]
        [ValidateNotNullOrEmpty()]
        [string] $AadTenantId,

        [Parameter(Mandatory, ParameterSetName = 'AadGroup')]
        [ValidateNotNullOrEmpty()]
        [string] $AadGroupId,

        [Parameter(Mandatory, ParameterSetName = 'AadComputer')]
        [ValidateNotNullOrEmpty()]
        [string] $AadComputerId,

        [Parameter(Mandatory, ParameterSetName = 'AdComputer')]
        [ValidateNotNullOrEmpty()]
        [string] $AdComputer,

        [Parameter(Mandatory, ParameterSetName = 'AdGroup')]
        [ValidateNotNullOrEmpty()]
        [string] $AdGroup,

        [Parameter(Mandatory, ParameterSetName = 'AdContainer')]
        [ValidateNotNullOrEmpty()]
        [string] $AdContainer,

        [Parameter(Mandatory, ParameterSetName = 'AmsComputer')]
        [ValidateNotNullOrEmpty()]
        [string] $AmsComputerId,

        [Parameter(Mandatory, ParameterSetName = 'AmsGroup')]
        [ValidateNotNullOrEmpty()]
        [string] $AmsGroupId,

        [ValidateNotNullOrEmpty()]
        [string] $AuthorizationScriptPath,

        [object[]] $PrincipalsAllowedLaps,

        [object[]] $PrincipalsDeniedLaps,

        [object[]] $PrincipalsAllowedLapsHistory,

        [object[]] $PrincipalsDeniedLapsHistory,

        [object[]] $PrincipalsAllowedBitLocker,

        [object[]] $PrincipalsDeniedBitLocker,

        [object[]] $PrincipalsAllowedJit,

        [object[]] $PrincipalsDeniedJit,

        [object[]] $PrincipalsAllowedRapidLapsLogin,

        [object[]] $PrincipalsDeniedRapidLapsLogin,

        [object[]] $PrincipalsAllowedRapidLapsElevation,

        [object[]] $PrincipalsDeniedRapidLapsElevation,

        [timespan] $LapsMaximumAccessDuration,

        [timespan] $LapsDefaultAccessDuration,

        [switch] $LapsAllowExtension,

        [string] $JitGroupName,

        [timespan] $JitMaximumAccessDuration,

        [timespan] $JitDefaultAccessDuration,

        [switch] $JitAllowExtension,

        [string] $Description,

        [datetime] $RuleExpiryDate,

        [string] $Notes,

        [ValidateSet('Hidden', 'Optional', 'Required')]
        [string] $UserRequestReasonRequirement,

        [string[]] $NotificationChannelsSuccess,

        [string[]] $NotificationChannelsFailure,

        [string] $DomainControllerName,

        [switch] $DoNotUseRemoteDcLocator,

        [string] $SiteName,

        [switch] $Disabled,
        [switch] $ApprovalRequired,

        [object[]] $Approvers,

        [timespan] $ApprovalWaitDuration,

        [timespan] $ApprovalAccessWindow
    )

    if (-not $PSCmdlet.ShouldProcess("computer authorization rule ($($PSCmdlet.ParameterSetName) target)", 'Create')) {
        return
    }
    $names = @(
            'AadTenantId', 'AadGroupId', 'AadComputerId', 'AdComputer',
            'AdGroup', 'AdContainer', 'AmsComputerId', 'AmsGroupId',
            'AuthorizationScriptPath', 'PrincipalsAllowedLaps', 'PrincipalsDeniedLaps', 'PrincipalsAllowedLapsHistory',
            'PrincipalsDeniedLapsHistory', 'PrincipalsAllowedBitLocker', 'PrincipalsDeniedBitLocker', 'PrincipalsAllowedJit',
            'PrincipalsDeniedJit', 'PrincipalsAllowedRapidLapsLogin', 'PrincipalsDeniedRapidLapsLogin', 'PrincipalsAllowedRapidLapsElevation',
            'PrincipalsDeniedRapidLapsElevation', 'LapsMaximumAccessDuration', 'LapsDefaultAccessDuration', 'LapsAllowExtension',
            'JitGroupName', 'JitMaximumAccessDuration', 'JitDefaultAccessDuration', 'JitAllowExtension',
            'Description', 'RuleExpiryDate', 'Notes', 'UserRequestReasonRequirement',
            'NotificationChannelsSuccess', 'NotificationChannelsFailure', 'DomainControllerName', 'DoNotUseRemoteDcLocator',
            'SiteName', 'Disabled', 'ApprovalRequired', 'Approvers',
            'ApprovalWaitDuration', 'ApprovalAccessWindow'
    )
    $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name $names
    ConvertTo-AmsBooleanSetting -Parameters $parameters -Name 'LapsAllowExtension', 'JitAllowExtension', 'DoNotUseRemoteDcLocator', 'ApprovalRequired' -Setting 'Enabled' -OffSwitch 'Disabled'
    ConvertTo-AmsRuleParameter -Parameters $parameters
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'computer-authorization-rule new' -Parameters $parameters |
        Add-AmsTypeName -TypeName 'Ams.ComputerAuthorizationRule' -NestedTypeName @{ 'Principals*' = 'Ams.Principal' }
}
