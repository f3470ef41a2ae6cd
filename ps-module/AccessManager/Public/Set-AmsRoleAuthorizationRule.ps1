function Set-AmsRoleAuthorizationRule {
    <#
    .SYNOPSIS
    Changes a role authorization rule.

    .DESCRIPTION
    Changes a role rule: its name, the principals allowed or denied the role, the AD group, the
    durations, whether grants can be extended, its state, reason requirement, notification channels
    and domain controller targeting. Parameters left out keep their current value.

    Principals are SIDs, optionally with a name for display ('S-1-5-21-...-1104=CORP\user1').
    -AllowExtension and -Enabled take $true or $false.

    Rule ids can come from the pipeline; many rules are sent to ams in a few batches.

    Runs `ams role-authorization-rule set`.

    .PARAMETER Id
    The id of the rule. Binds from the Id property of piped objects.

    .PARAMETER Name
    The new role name.

    .PARAMETER AddPrincipalsAllowedJit
    SIDs to add to the allow list.

    .PARAMETER RemovePrincipalsAllowedJit
    SIDs to remove from the allow list.

    .PARAMETER AddPrincipalsDeniedJit
    SIDs to add to the deny list.

    .PARAMETER RemovePrincipalsDeniedJit
    SIDs to remove from the deny list.

    .PARAMETER GroupName
    The new AD group users join.

    .PARAMETER MaximumAccessDuration
    The new longest duration.

    .PARAMETER DefaultAccessDuration
    The new default duration.

    .PARAMETER AllowExtension
    $true lets users extend an active grant before it expires; $false forbids it.

    .PARAMETER Description
    The new description.

    .PARAMETER RuleExpiryDate
    The new expiry (local time; sent to ams in UTC).

    .PARAMETER Enabled
    $true enables the rule, $false disables it.

    .PARAMETER Notes
    The new notes.

    .PARAMETER UserRequestReasonRequirement
    Hidden, Optional or Required.

    .PARAMETER NotificationChannelsSuccess
    Channels told when the role is granted (replaces the list).

    .PARAMETER NotificationChannelsFailure
    Channels told when a request is denied (replaces the list).

    .PARAMETER SiteName
    The AD site whose domain controller makes the group change.

    .PARAMETER DomainControllerName
    The domain controller on which the group change is made.

    .PARAMETER WhatIf
    Shows what would change without running ams.

    .PARAMETER Confirm
    Asks before each change.

    .INPUTS
    System.String. Any object with an Id property, such as the output of Get-AmsRoleAuthorizationRule.

    .OUTPUTS
    Ams.RoleAuthorizationRule. The rule as it is after the change.

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
    Set-AmsRoleAuthorizationRule -Id 'a984d40c-8b22-4009-83ac-f38b7b341cc4' -Name 'My new role name'

    Renames a role.

    .EXAMPLE
    Get-AmsRoleAuthorizationRule -Name 'My role' | Set-AmsRoleAuthorizationRule -Enabled:$false

    Disables a role.

    .NOTES
    Part of the 43 upstream cmdlets. Adds -WhatIf and -Confirm. Wraps
    `ams role-authorization-rule set`.

    .LINK
    Get-AmsRoleAuthorizationRule
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.RoleAuthorizationRule')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string] $Id,

        [ValidateNotNullOrEmpty()]
        [string] $Name,

        [object[]] $AddPrincipalsAllowedJit,

        [object[]] $RemovePrincipalsAllowedJit,

        [object[]] $AddPrincipalsDeniedJit,

        [object[]] $RemovePrincipalsDeniedJit,

        [ValidateNotNullOrEmpty()]
        [string] $GroupName,

        [timespan] $MaximumAccessDuration,

        [timespan] $DefaultAccessDuration,

        [bool] $AllowExtension,

        [AllowEmptyString()]
        [string] $Description,

        [datetime] $RuleExpiryDate,

        [bool] $Enabled,

        [AllowEmptyString()]
        [string] $Notes,

        [ValidateSet('Hidden', 'Optional', 'Required')]
        [string] $UserRequestReasonRequirement,

        [string[]] $NotificationChannelsSuccess,

        [string[]] $NotificationChannelsFailure,

        [AllowEmptyString()]
        [string] $SiteName,

        [AllowEmptyString()]
        [string] $DomainControllerName,
        [switch] $ApprovalRequired,

        [object[]] $AddApprovers,

        [object[]] $RemoveApprovers,

        [timespan] $ApprovalWaitDuration,

        [timespan] $ApprovalAccessWindow
    )

    begin {
        $queue = [System.Collections.Generic.List[object]]::new()
        $names = @(
            'Id', 'Name', 'AddPrincipalsAllowedJit', 'RemovePrincipalsAllowedJit', 'AddPrincipalsDeniedJit',
            'RemovePrincipalsDeniedJit', 'GroupName', 'MaximumAccessDuration', 'DefaultAccessDuration',
            'AllowExtension', 'Description', 'RuleExpiryDate', 'Enabled', 'Notes', 'UserRequestReasonRequirement',
            'NotificationChannelsSuccess', 'NotificationChannelsFailure', 'SiteName', 'DomainControllerName',
            'ApprovalRequired', 'AddApprovers', 'RemoveApprovers', 'ApprovalWaitDuration', 'ApprovalAccessWindow'
        )
    }

    process {
        if (-not $PSCmdlet.ShouldProcess("role authorization rule $Id", 'Update')) {
            return
        }
        $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name $names
        # ams takes these as the words true and false; a bare flag would mean nothing.
        ConvertTo-AmsBooleanSetting -Parameters $parameters -Name 'AllowExtension', 'Enabled', 'ApprovalRequired'
        ConvertTo-AmsRuleParameter -Parameters $parameters
        Add-AmsQueuedRequest -Caller $PSCmdlet -Queue $queue -Verb 'role-authorization-rule set' -Parameters $parameters -Target $Id | Add-AmsTypeName -TypeName 'Ams.RoleAuthorizationRule' -NestedTypeName @{ 'Principals*' = 'Ams.Principal' }
    }

    end {
        Invoke-AmsRequestQueue -Caller $PSCmdlet -Queue $queue | Add-AmsTypeName -TypeName 'Ams.RoleAuthorizationRule' -NestedTypeName @{ 'Principals*' = 'Ams.Principal' }
    }
}
