function New-AmsDeviceRegistrationKey {
    <#
    .SYNOPSIS
    Creates a device registration key.

    .DESCRIPTION
    Creates a key that agents present when they register with ams. The key can limit how many
    devices may use it, can make new devices wait for approval, and can be created disabled. Attach
    groups to it with Add-AmsDeviceRegistrationKeyGroup so that devices registering with it join
    those groups.

    The object returned includes the key value to give to agents.

    Runs `ams device-registration-key new`.

    .PARAMETER Name
    A name for the key, unique ignoring case.

    .PARAMETER Disable
    Create the key disabled; agents cannot use it until it is enabled with
    Set-AmsDeviceRegistrationKey -Enable.

    .PARAMETER ActivationLimit
    How many devices may register with the key. 0 means no limit.

    .PARAMETER ApprovalRequired
    Devices that register with the key wait in the Pending state until approved with
    Set-AmsDevice -Approve.

    .PARAMETER WhatIf
    Shows what would be created without running ams.

    .PARAMETER Confirm
    Asks before creating the key.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.RegistrationKey

    .EXAMPLE
    New-AmsDeviceRegistrationKey -Name 'Linux servers' -ActivationLimit 50 -ApprovalRequired

    Creates a key that at most 50 devices can use, each of them needing approval.

    .EXAMPLE
    New-AmsDeviceRegistrationKey -Name 'Spare' -Disable

    Creates a key that cannot be used yet.

    .NOTES
    Part of the 43 upstream cmdlets. Adds -WhatIf and -Confirm. Wraps
    `ams device-registration-key new`.

    .LINK
    Set-AmsDeviceRegistrationKey

    .LINK
    Add-AmsDeviceRegistrationKeyGroup
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.RegistrationKey')]
    param(
        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string] $Name,

        [switch] $Disable,

        [Parameter()]
        [ValidateRange(0, [int]::MaxValue)]
        [int] $ActivationLimit,

        [switch] $ApprovalRequired
    )

    if (-not $PSCmdlet.ShouldProcess("registration key '$Name'", 'Create')) {
        return
    }
    $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'Name', 'Disable', 'ActivationLimit', 'ApprovalRequired'
    ConvertTo-AmsBooleanSetting -Parameters $parameters -Name 'ApprovalRequired' -Setting 'Enabled' -OffSwitch 'Disable'
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'device-registration-key new' -Parameters $parameters -TargetObject $Name |
        Add-AmsTypeName -TypeName 'Ams.RegistrationKey'
}
