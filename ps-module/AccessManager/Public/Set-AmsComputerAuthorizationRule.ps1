function Set-AmsComputerAuthorizationRule {
    <#
    .SYNOPSIS
    Changes a computer authorization rule.

    .DESCRIPTION
    Changes a rule: its target, its principals (-Add.../-Remove... per kind of access) or its
    script, its LAPS and JIT settings, expiry, state, reason requirement, notification channels and
    domain controller targeting. Parameters left out keep their current value.

    Principals are SIDs, optionally with a name for display ('S-1-5-21-...-1104=CORP\user1'). A
    script rule has no principals. JIT settings apply to AD targets only.

    Rule ids can come from the pipeline; many rules are sent to ams in a few batches.

    Runs `ams computer-authorization-rule set`.

    .PARAMETER Id
    The id of the rule. Binds from the Id property of piped objects.

    .PARAMETER AadTenantId
    Moves the rule to a new target. The Entra tenant id. Alone it targets every device of the
    tenant; with -AadGroupId or -AadComputerId it scopes the target.

    .PARAMETER AadGroupId
    Moves the rule to a new target. The object id of an Entra group of devices.

    .PARAMETER AadComputerId
    Moves the rule to a new target. The object id of an Entra device.

    .PARAMETER AdComputer
    Moves the rule to a new target. An AD computer, as its SID (optionally 'SID=DOMAIN\NAME$' for
    display).

    .PARAMETER AdGroup
    Moves the rule to a new target. An AD group of computers, as its SID (optionally
    'SID=DOMAIN\Group').

    .PARAMETER AdContainer
    Moves the rule to a new target. The distinguished name of an AD OU or container; its computers
    at any depth are targeted.

    .PARAMETER AmsComputerId
    Moves the rule to a new target. The id of a device registered with ams.

    .PARAMETER AmsGroupId
    Moves the rule to a new target. The id or SID of an ams group, custom or built-in.

    .PARAMETER AuthorizationScriptPath
    Replaces the rule's authorization script; an ACL rule becomes a script rule and loses its
    principals.

    .PARAMETER AddPrincipalsAllowedLaps
    SIDs to add to the allow list for the current LAPS password.

    .PARAMETER RemovePrincipalsAllowedLaps
    SIDs to remove from the allow list for the current LAPS password.

    .PARAMETER AddPrincipalsDeniedLaps
    SIDs to add to the deny list for the current LAPS password.

    .PARAMETER RemovePrincipalsDeniedLaps
    SIDs to remove from the deny list for the current LAPS password.

    .PARAMETER AddPrincipalsAllowedLapsHistory
    SIDs to add to the allow list for the LAPS password history.

    .PARAMETER RemovePrincipalsAllowedLapsHistory
    SIDs to remove from the allow list for the LAPS password history.

    .PARAMETER AddPrincipalsDeniedLapsHistory
    SIDs to add to the deny list for the LAPS password history.

    .PARAMETER RemovePrincipalsDeniedLapsHistory
    SIDs to remove from the deny list for the LAPS password history.

    .PARAMETER AddPrincipalsAllowedBitLocker
    SIDs to add to the allow list for BitLocker recovery keys.

    .PARAMETER RemovePrincipalsAllowedBitLocker
    SIDs to remove from the allow list for BitLocker recovery keys.

    .PARAMETER AddPrincipalsDeniedBitLocker
    SIDs to add to the deny list for BitLocker recovery keys.

    .PARAMETER RemovePrincipalsDeniedBitLocker
    SIDs to remove from the deny list for BitLocker recovery keys.

    .PARAMETER AddPrincipalsAllowedJit
    SIDs to add to the allow list for JIT access (AD targets only).

    .PARAMETER RemovePrincipalsAllowedJit
    SIDs to remove from the allow list for JIT access (AD targets only).

    .PARAMETER AddPrincipalsDeniedJit
    SIDs to add to the deny list for JIT access (AD targets only).

    .PARAMETER RemovePrincipalsDeniedJit
    SIDs to remove from the deny list for JIT access (AD targets only).

    .PARAMETER AddPrincipalsAllowedRapidLapsLogin
    SIDs to add to the allow list for RapidLAPS log-in approval.

    .PARAMETER RemovePrincipalsAllowedRapidLapsLogin
    SIDs to remove from the allow list for RapidLAPS log-in approval.

    .PARAMETER AddPrincipalsDeniedRapidLapsLogin
    SIDs to add to the deny list for RapidLAPS log-in approval.

    .PARAMETER RemovePrincipalsDeniedRapidLapsLogin
    SIDs to remove from the deny list for RapidLAPS log-in approval.

    .PARAMETER AddPrincipalsAllowedRapidLapsElevation
    SIDs to add to the allow list for RapidLAPS elevation approval.

    .PARAMETER RemovePrincipalsAllowedRapidLapsElevation
    SIDs to remove from the allow list for RapidLAPS elevation approval.

    .PARAMETER AddPrincipalsDeniedRapidLapsElevation
    SIDs to add to the deny list for RapidLAPS elevation approval.

    .PARAMETER RemovePrincipalsDeniedRapidLapsElevation
    SIDs to remove from the deny list for RapidLAPS elevation approval.

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

    .PARAMETER Disable
    Disable the rule.

    .PARAMETER Enable
    Enable the rule.

    .PARAMETER AutoDcLocator
    Locate the domain controller for JIT changes automatically again: clears -SiteName,
    -DomainControllerName and -DoNotUseRemoteDcLocator.

    .PARAMETER WhatIf
    Shows what would change without running ams.

    .PARAMETER Confirm
    Asks before each change.

    .INPUTS
    System.String. Any object with an Id property, such as the output of
    Get-AmsComputerAuthorizationRule.

    .OUTPUTS
    Ams.ComputerAuthorizationRule. The rule as it is after the change.

    .PARAMETER ApprovalRequired
    Requests under the rule wait for an approver before anything is handed out (see
    docs/approvals.md). -ApprovalRequired:$false removes the requirement and its approvers.

    .PARAMETER AddApprovers
    SIDs to add to the approvers, optionally with a name for display.

    .PARAMETER RemoveApprovers
    SIDs to remove from the approvers.

    .PARAMETER ApprovalWaitDuration
    How long a request may wait for a decision (1 minute to 30 days).

    .PARAMETER ApprovalAccessWindow
    How long after approval the requester may fetch the access, once (1 minute to 7 days).

    .EXAMPLE
    Set-AmsComputerAuthorizationRule -Id '8a2ac32c-3fe8-478f-9550-9e6630d8f07a' -AddPrincipalsAllowedJit 'S-1-5-21-1004336348-1177238915-682003330-1104'

    Lets one more user request JIT access through the rule.

    .EXAMPLE
    Get-AmsComputerAuthorizationRule | Where-Object TargetType -eq 'AmsGroup' | Set-AmsComputerAuthorizationRule -Disable

    Disables every rule that targets an ams group.

    .NOTES
    Part of the 43 upstream cmdlets. Adds -WhatIf and -Confirm. Principals must be SIDs (no
    directory lookups). Wraps `ams computer-authorization-rule set`.

    .LINK
    Get-AmsComputerAuthorizationRule
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.ComputerAuthorizationRule')]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string] $Id,

        [ValidateNotNullOrEmpty()]
        [string] $AadTenantId,

        [ValidateNotNullOrEmpty()]
        [string] $AadGroupId,

        [ValidateNotNullOrEmpty()]
        [string] $AadComputerId,

        [ValidateNotNullOrEmpty()]
        [string] $AdComputer,

        [ValidateNotNullOrEmpty()]
        [string] $AdGroup,

        [ValidateNotNullOrEmpty()]
        [string] $AdContainer,

        [ValidateNotNullOrEmpty()]
        [string] $AmsComputerId,

        [ValidateNotNullOrEmpty()]
        [string] $AmsGroupId,

        [ValidateNotNullOrEmpty()]
        [string] $AuthorizationScriptPath,

        [object[]] $AddPrincipalsAllowedLaps,

        [object[]] $RemovePrincipalsAllowedLaps,

        [object[]] $AddPrincipalsDeniedLaps,

        [object[]] $RemovePrincipalsDeniedLaps,

        [object[]] $AddPrincipalsAllowedLapsHistory,

        [object[]] $RemovePrincipalsAllowedLapsHistory,

        [object[]] $AddPrincipalsDeniedLapsHistory,

        [object[]] $RemovePrincipalsDeniedLapsHistory,

        [object[]] $AddPrincipalsAllowedBitLocker,

        [object[]] $RemovePrincipalsAllowedBitLocker,

        [object[]] $AddPrincipalsDeniedBitLocker,

        [object[]] $RemovePrincipalsDeniedBitLocker,

        [object[]] $AddPrincipalsAllowedJit,

        [object[]] $RemovePrincipalsAllowedJit,

        [object[]] $AddPrincipalsDeniedJit,

        [object[]] $RemovePrincipalsDeniedJit,

        [object[]] $AddPrincipalsAllowedRapidLapsLogin,

        [object[]] $RemovePrincipalsAllowedRapidLapsLogin,

        [object[]] $AddPrincipalsDeniedRapidLapsLogin,

        [object[]] $RemovePrincipalsDeniedRapidLapsLogin,

        [object[]] $AddPrincipalsAllowedRapidLapsElevation,

        [object[]] $RemovePrincipalsAllowedRapidLapsElevation,

        [object[]] $AddPrincipalsDeniedRapidLapsElevation,

        [object[]] $RemovePrincipalsDeniedRapidLapsElevation,

        [timespan] $LapsMaximumAccessDuration,

        [timespan] $LapsDefaultAccessDuration,

        [switch] $LapsAllowExtension,

        [AllowEmptyString()]
        [string] $JitGroupName,

        [timespan] $JitMaximumAccessDuration,

        [timespan] $JitDefaultAccessDuration,

        [switch] $JitAllowExtension,

        [AllowEmptyString()]
        [string] $Description,

        [datetime] $RuleExpiryDate,

        [AllowEmptyString()]
        [string] $Notes,

        [ValidateSet('Hidden', 'Optional', 'Required')]
        [string] $UserRequestReasonRequirement,

        [string[]] $NotificationChannelsSuccess,

        [string[]] $NotificationChannelsFailure,

        [AllowEmptyString()]
        [string] $DomainControllerName,

        [switch] $DoNotUseRemoteDcLocator,

        [AllowEmptyString()]
        [string] $SiteName,

        [switch] $Disable,

        [switch] $Enable,

        [switch] $AutoDcLocator,
        [switch] $ApprovalRequired,

        [object[]] $AddApprovers,

        [object[]] $RemoveApprovers,

        [timespan] $ApprovalWaitDuration,

        [timespan] $ApprovalAccessWindow
    )

    begin {
        $queue = [System.Collections.Generic.List[object]]::new()
        $names = @(
            'Id', 'AadTenantId', 'AadGroupId', 'AadComputerId',
            'AdComputer', 'AdGroup', 'AdContainer', 'AmsComputerId',
            'AmsGroupId', 'AuthorizationScriptPath', 'AddPrincipalsAllowedLaps', 'RemovePrincipalsAllowedLaps',
            'AddPrincipalsDeniedLaps', 'RemovePrincipalsDeniedLaps', 'AddPrincipalsAllowedLapsHistory', 'RemovePrincipalsAllowedLapsHistory',
            'AddPrincipalsDeniedLapsHistory', 'RemovePrincipalsDeniedLapsHistory', 'AddPrincipalsAllowedBitLocker', 'RemovePrincipalsAllowedBitLocker',
            'AddPrincipalsDeniedBitLocker', 'RemovePrincipalsDeniedBitLocker', 'AddPrincipalsAllowedJit', 'RemovePrincipalsAllowedJit',
            'AddPrincipalsDeniedJit', 'RemovePrincipalsDeniedJit', 'AddPrincipalsAllowedRapidLapsLogin', 'RemovePrincipalsAllowedRapidLapsLogin',
            'AddPrincipalsDeniedRapidLapsLogin', 'RemovePrincipalsDeniedRapidLapsLogin', 'AddPrincipalsAllowedRapidLapsElevation', 'RemovePrincipalsAllowedRapidLapsElevation',
            'AddPrincipalsDeniedRapidLapsElevation', 'RemovePrincipalsDeniedRapidLapsElevation', 'LapsMaximumAccessDuration', 'LapsDefaultAccessDuration',
            'LapsAllowExtension', 'JitGroupName', 'JitMaximumAccessDuration', 'JitDefaultAccessDuration',
            'JitAllowExtension', 'Description', 'RuleExpiryDate', 'Notes',
            'UserRequestReasonRequirement', 'NotificationChannelsSuccess', 'NotificationChannelsFailure', 'DomainControllerName',
            'DoNotUseRemoteDcLocator', 'SiteName', 'Disable', 'Enable',
            'AutoDcLocator', 'ApprovalRequired', 'AddApprovers', 'RemoveApprovers',
            'ApprovalWaitDuration', 'ApprovalAccessWindow'
        )
    }

    process {
        if (-not $PSCmdlet.ShouldProcess("computer authorization rule $Id", 'Update')) {
            return
        }
        $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name $names
        ConvertTo-AmsBooleanSetting -Parameters $parameters -Name 'LapsAllowExtension', 'JitAllowExtension', 'DoNotUseRemoteDcLocator', 'ApprovalRequired' -Setting 'Enabled' -OnSwitch 'Enable' -OffSwitch 'Disable'
        ConvertTo-AmsRuleParameter -Parameters $parameters
        Add-AmsQueuedRequest -Caller $PSCmdlet -Queue $queue -Verb 'computer-authorization-rule set' -Parameters $parameters -Target $Id | Add-AmsTypeName -TypeName 'Ams.ComputerAuthorizationRule' -NestedTypeName @{ 'Principals*' = 'Ams.Principal' }
    }

    end {
        Invoke-AmsRequestQueue -Caller $PSCmdlet -Queue $queue | Add-AmsTypeName -TypeName 'Ams.ComputerAuthorizationRule' -NestedTypeName @{ 'Principals*' = 'Ams.Principal' }
    }
}
