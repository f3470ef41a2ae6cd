function Set-AmsAgentPolicy {
    <#
    .SYNOPSIS
    Changes an agent policy. (Module addition.)

    .DESCRIPTION
    Changes the settings, name, description, enabled state or targets of an agent policy.
    Settings are merged into the current ones: fields left out keep their values and $null
    resets an optional field to its default. A default policy takes settings and a description
    only.

    When the change shortens the maximum password age of devices, those whose current password
    would outlive the new age are told to rotate at their next check-in; the result's
    DevicesMarkedForRotation says how many.

    Runs `ams agent-policy set`.

    .PARAMETER Id
    The id of the policy. Binds from the Id property of piped objects.

    .PARAMETER Name
    A new name (custom policies only).

    .PARAMETER Description
    A new description.

    .PARAMETER Enable
    Enable the policy.

    .PARAMETER Disable
    Disable the policy: it is skipped when devices are evaluated.

    .PARAMETER Settings
    Settings to change, as a hashtable or a JSON string with PascalCase names.

    .PARAMETER SettingsFile
    A JSON file holding the settings to change.

    .PARAMETER TargetDevice
    Replace the targets: ids of devices.

    .PARAMETER TargetGroup
    Replace the targets: ids or SIDs of groups.

    .PARAMETER ClearTargets
    Remove every target.

    .PARAMETER WhatIf
    Shows what would be changed without running ams.

    .PARAMETER Confirm
    Asks before changing the policy.

    .INPUTS
    System.String. Any object with an Id property, such as the output of Get-AmsAgentPolicy.

    .OUTPUTS
    Ams.AgentPolicy

    .EXAMPLE
    Get-AmsAgentPolicy -Name 'Linux servers' | Set-AmsAgentPolicy -Settings @{ PasswordMaximumAgeDays = 3 }

    Shortens the maximum age; devices with older passwords rotate at their next check-in.

    .EXAMPLE
    Set-AmsAgentPolicy -Id $policy.Id -Disable

    Disables a policy.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams agent-policy set`.

    .LINK
    Get-AmsAgentPolicy
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.AgentPolicy')]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string] $Id,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string] $Name,

        [Parameter()]
        [AllowEmptyString()]
        [string] $Description,

        [switch] $Enable,

        [switch] $Disable,

        [Parameter()]
        [ValidateNotNull()]
        [object] $Settings,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string] $SettingsFile,

        [Parameter()]
        [string[]] $TargetDevice,

        [Parameter()]
        [string[]] $TargetGroup,

        [switch] $ClearTargets
    )

    begin {
        $queue = [System.Collections.Generic.List[object]]::new()
    }

    process {
        if (-not $PSCmdlet.ShouldProcess("agent policy $Id", 'Update')) {
            return
        }
        $names = 'Id', 'Name', 'Description', 'Enable', 'Disable', 'Settings', 'SettingsFile', 'TargetDevice', 'TargetGroup', 'ClearTargets'
        $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name $names
        if ($parameters.Contains('Settings') -and $Settings -isnot [string]) {
            $parameters['Settings'] = ConvertTo-Json -InputObject $Settings -Depth 10 -Compress
        }
        Add-AmsQueuedRequest -Caller $PSCmdlet -Queue $queue -Verb 'agent-policy set' -Parameters $parameters -Target $Id | Add-AmsTypeName -TypeName 'Ams.AgentPolicy'
    }

    end {
        Invoke-AmsRequestQueue -Caller $PSCmdlet -Queue $queue | Add-AmsTypeName -TypeName 'Ams.AgentPolicy'
    }
}
