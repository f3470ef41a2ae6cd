function Set-AmsActiveDirectoryJitOptions {
    <#
    .SYNOPSIS
    Changes the options of the just-in-time (JIT) engine.

    .DESCRIPTION
    Changes the farm-wide JIT options in one transaction; options left out are kept. JitMode is
    Auto or JitScheduler (this build always removes memberships with its own scheduler).
    DcLocatorMode is Default, or any of LocalDcLocator, RemoteDcLocator and SiteLookup.

    Runs `ams active-directory-jit-options set`.

    .PARAMETER JitMode
    Auto or JitScheduler.

    .PARAMETER DcLocatorMode
    Default, or one or more of LocalDcLocator, RemoteDcLocator, SiteLookup.

    .PARAMETER DeltaSyncIntervalMinutes
    Minutes between checks for new computers that need a JIT group (1-10080).

    .PARAMETER FullSyncIntervalMinutes
    Minutes between full syncs of the JIT groups (1-10080).

    .PARAMETER MaximumJitRemovalRetryAttempts
    Removal attempts before a scheduler job is marked as failed (1-100000).

    .PARAMETER WhatIf
    Shows what would change without running ams.

    .PARAMETER Confirm
    Asks before changing the options.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.JitOptions

    .EXAMPLE
    Set-AmsActiveDirectoryJitOptions -JitMode JitScheduler

    Always uses the scheduler to remove memberships.

    .EXAMPLE
    Set-AmsActiveDirectoryJitOptions -DcLocatorMode SiteLookup, LocalDcLocator -MaximumJitRemovalRetryAttempts 20

    Sets the DC locator strategies and the retry limit.

    .NOTES
    Part of the 43 upstream cmdlets. Adds -WhatIf and -Confirm. Wraps `ams active-directory-jit-options set`.

    .LINK
    Get-AmsActiveDirectoryJitOptions
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.JitOptions')]
    param(
        [Parameter()]
        [ValidateSet('Auto', 'JitScheduler')]
        [string] $JitMode,

        [Parameter()]
        [ValidateSet('Default', 'LocalDcLocator', 'RemoteDcLocator', 'SiteLookup')]
        [string[]] $DcLocatorMode,

        [Parameter()]
        [ValidateRange(1, 10080)]
        [int] $DeltaSyncIntervalMinutes,

        [Parameter()]
        [ValidateRange(1, 10080)]
        [int] $FullSyncIntervalMinutes,

        [Parameter()]
        [ValidateRange(1, 100000)]
        [int] $MaximumJitRemovalRetryAttempts
    )

    $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'JitMode', 'DcLocatorMode', 'DeltaSyncIntervalMinutes', 'FullSyncIntervalMinutes', 'MaximumJitRemovalRetryAttempts'
    if ($parameters.Contains('DcLocatorMode')) {
        # ams takes the flags as one comma-separated value.
        $parameters['DcLocatorMode'] = $DcLocatorMode -join ','
    }

    if (-not $PSCmdlet.ShouldProcess('JIT options', 'Update')) {
        return
    }
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'active-directory-jit-options set' -Parameters $parameters |
        Add-AmsTypeName -TypeName 'Ams.JitOptions'
}
