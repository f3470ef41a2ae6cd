function Set-AmsDeviceRegistrationKey {
    <#
    .SYNOPSIS
    Changes a device registration key.

    .DESCRIPTION
    Renames a key, enables or disables it, changes its activation limit, turns approval of new
    devices on or off, or resets its count of registrations. Parameters left out keep their current
    value. -Enable and -Disable exclude each other, and so do -ApprovalRequired and
    -ApprovalNotRequired; one of each pair can be combined with the other pair.

    Ids can come from the pipeline; many keys are changed in a few ams runs.

    Runs `ams device-registration-key set`.

    .PARAMETER Id
    The id of the key. Binds from the Id property of piped objects.

    .PARAMETER Name
    A new name for the key.

    .PARAMETER Enable
    Let agents use the key again.

    .PARAMETER Disable
    Stop agents from using the key. Devices already registered are not affected.

    .PARAMETER ActivationLimit
    How many devices may register with the key. 0 means no limit.

    .PARAMETER ApprovalRequired
    New devices registering with the key wait for approval.

    .PARAMETER ApprovalNotRequired
    New devices registering with the key are approved at once.

    .PARAMETER ResetActivationCount
    Set the count of devices that registered with the key back to zero.

    .PARAMETER WhatIf
    Shows what would change without running ams.

    .PARAMETER Confirm
    Asks before each change.

    .INPUTS
    System.String. Any object with an Id property, such as the output of
    Get-AmsDeviceRegistrationKey.

    .OUTPUTS
    Ams.RegistrationKey. The key as it is after the change.

    .EXAMPLE
    Get-AmsDeviceRegistrationKey -Name 'Linux servers' | Set-AmsDeviceRegistrationKey -Disable

    Disables a key.

    .EXAMPLE
    Set-AmsDeviceRegistrationKey -Id 'd54bdb4b-75de-4114-b2c7-305320222b9e' -Enable -ApprovalNotRequired -ActivationLimit 0

    Enables a key, lets its devices in without approval and removes its limit.

    .EXAMPLE
    Get-AmsDeviceRegistrationKey | Set-AmsDeviceRegistrationKey -ResetActivationCount -WhatIf

    Shows which keys would have their counters reset.

    .NOTES
    Part of the 43 upstream cmdlets. The parameter sets differ from upstream so that a single
    switch such as -Disable always resolves (see docs/powershell.md). Adds -WhatIf and -Confirm.
    Wraps `ams device-registration-key set`.

    .LINK
    Get-AmsDeviceRegistrationKey
    #>
    [CmdletBinding(DefaultParameterSetName = 'None', SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.RegistrationKey')]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName, ParameterSetName = 'None')]
        [Parameter(Mandatory, ValueFromPipelineByPropertyName, ParameterSetName = 'Enable')]
        [Parameter(Mandatory, ValueFromPipelineByPropertyName, ParameterSetName = 'EnableApprovalRequired')]
        [Parameter(Mandatory, ValueFromPipelineByPropertyName, ParameterSetName = 'EnableApprovalNotRequired')]
        [Parameter(Mandatory, ValueFromPipelineByPropertyName, ParameterSetName = 'Disable')]
        [Parameter(Mandatory, ValueFromPipelineByPropertyName, ParameterSetName = 'DisableApprovalRequired')]
        [Parameter(Mandatory, ValueFromPipelineByPropertyName, ParameterSetName = 'DisableApprovalNotRequired')]
        [Parameter(Mandatory, ValueFromPipelineByPropertyName, ParameterSetName = 'ApprovalRequired')]
        [Parameter(Mandatory, ValueFromPipelineByPropertyName, ParameterSetName = 'ApprovalNotRequired')]
        [ValidateNotNullOrEmpty()]
        [string] $Id,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string] $Name,

        [Parameter(Mandatory, ParameterSetName = 'Enable')]
        [Parameter(Mandatory, ParameterSetName = 'EnableApprovalRequired')]
        [Parameter(Mandatory, ParameterSetName = 'EnableApprovalNotRequired')]
        [switch] $Enable,

        [Parameter(Mandatory, ParameterSetName = 'Disable')]
        [Parameter(Mandatory, ParameterSetName = 'DisableApprovalRequired')]
        [Parameter(Mandatory, ParameterSetName = 'DisableApprovalNotRequired')]
        [switch] $Disable,

        [Parameter()]
        [ValidateRange(0, [int]::MaxValue)]
        [int] $ActivationLimit,

        [Parameter(Mandatory, ParameterSetName = 'ApprovalRequired')]
        [Parameter(Mandatory, ParameterSetName = 'EnableApprovalRequired')]
        [Parameter(Mandatory, ParameterSetName = 'DisableApprovalRequired')]
        [switch] $ApprovalRequired,

        [Parameter(Mandatory, ParameterSetName = 'ApprovalNotRequired')]
        [Parameter(Mandatory, ParameterSetName = 'EnableApprovalNotRequired')]
        [Parameter(Mandatory, ParameterSetName = 'DisableApprovalNotRequired')]
        [switch] $ApprovalNotRequired,

        [Parameter()]
        [switch] $ResetActivationCount
    )

    begin {
        $queue = [System.Collections.Generic.List[object]]::new()
    }

    process {
        if (-not $PSCmdlet.ShouldProcess("registration key $Id", 'Update')) {
            return
        }
        $names = 'Id', 'Name', 'Enable', 'Disable', 'ActivationLimit', 'ApprovalRequired', 'ApprovalNotRequired', 'ResetActivationCount'
        $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name $names
        ConvertTo-AmsBooleanSetting -Parameters $parameters -Setting 'Enabled' -OnSwitch 'Enable' -OffSwitch 'Disable'
        ConvertTo-AmsBooleanSetting -Parameters $parameters -Setting 'ApprovalRequired' -OnSwitch 'ApprovalRequired' -OffSwitch 'ApprovalNotRequired'
        Add-AmsQueuedRequest -Caller $PSCmdlet -Queue $queue -Verb 'device-registration-key set' -Parameters $parameters -Target $Id | Add-AmsTypeName -TypeName 'Ams.RegistrationKey'
    }

    end {
        Invoke-AmsRequestQueue -Caller $PSCmdlet -Queue $queue | Add-AmsTypeName -TypeName 'Ams.RegistrationKey'
    }
}
