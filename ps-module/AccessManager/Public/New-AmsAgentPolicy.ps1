function New-AmsAgentPolicy {
    <#
    .SYNOPSIS
    Creates a custom agent policy. (Module addition.)

    .DESCRIPTION
    Creates an agent policy for one operating system. Custom policies are evaluated in order
    after the ones that already exist; the first enabled policy whose targets include a device
    applies to it, else the operating system's default policy. Settings not given take their
    defaults (see docs/agent-policies.md): check-in interval, account, maximum password age,
    history, random password or passphrase settings, BitLocker backup.

    Settings whose entropy is below 64 bits are refused with AMS-POL-0004.

    Runs `ams agent-policy new`.

    .PARAMETER Name
    A name for the policy, unique per operating system ignoring case.

    .PARAMETER Os
    The operating system: windows, linux or macos.

    .PARAMETER Description
    A description.

    .PARAMETER Disable
    Create the policy disabled: it is skipped until enabled with Set-AmsAgentPolicy -Enable.

    .PARAMETER Settings
    The settings, as a hashtable or a JSON string with PascalCase names, for example
    @{ PasswordMaximumAgeDays = 7; Password = @{ Length = 20; Symbols = $true } }.

    .PARAMETER SettingsFile
    A JSON file holding the settings.

    .PARAMETER TargetDevice
    Ids of devices the policy applies to.

    .PARAMETER TargetGroup
    Ids or SIDs of groups (custom or built-in) the policy applies to.

    .PARAMETER WhatIf
    Shows what would be created without running ams.

    .PARAMETER Confirm
    Asks before creating the policy.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.AgentPolicy

    .EXAMPLE
    New-AmsAgentPolicy -Name 'Linux servers' -Os linux -TargetGroup 'S-1-4096-2-5' -Settings @{ PasswordMaximumAgeDays = 7 }

    Creates a policy for every Linux device with a seven-day maximum password age.

    .EXAMPLE
    New-AmsAgentPolicy -Name 'Kiosks' -Os windows -TargetGroup $group.Id -Settings @{ GenerationMode = 'Passphrase'; Passphrase = @{ WordCount = 6 } }

    Kiosk devices get six-word passphrases from the built-in word list.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams agent-policy new`.

    .LINK
    Set-AmsAgentPolicy

    .LINK
    Resolve-AmsAgentPolicy
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.AgentPolicy')]
    param(
        [Parameter(Mandatory, Position = 0)]
        [ValidateNotNullOrEmpty()]
        [string] $Name,

        [Parameter(Mandatory)]
        [ValidateSet('windows', 'linux', 'macos')]
        [string] $Os,

        [Parameter()]
        [AllowEmptyString()]
        [string] $Description,

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
        [string[]] $TargetGroup
    )

    if (-not $PSCmdlet.ShouldProcess("agent policy '$Name' ($Os)", 'Create')) {
        return
    }
    $names = 'Name', 'Os', 'Description', 'Disable', 'Settings', 'SettingsFile', 'TargetDevice', 'TargetGroup'
    $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name $names
    if ($parameters.Contains('Settings') -and $Settings -isnot [string]) {
        $parameters['Settings'] = ConvertTo-Json -InputObject $Settings -Depth 10 -Compress
    }
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'agent-policy new' -Parameters $parameters -TargetObject $Name |
        Add-AmsTypeName -TypeName 'Ams.AgentPolicy'
}
