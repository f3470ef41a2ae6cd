function Get-AmsActiveDirectoryJitOptions {
    <#
    .SYNOPSIS
    Shows the options of the just-in-time (JIT) engine.

    .DESCRIPTION
    Reads the farm-wide JIT options from the database: the JIT mode, the DC locator mode, the
    intervals of the JIT group creation syncs and how many times the scheduler tries to remove an
    expired membership before it marks the job as failed.

    Runs `ams active-directory-jit-options get`.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.JitOptions

    .EXAMPLE
    Get-AmsActiveDirectoryJitOptions

    Shows the JIT options.

    .EXAMPLE
    (Get-AmsActiveDirectoryJitOptions).MaximumJitRemovalRetryAttempts

    Shows the retry limit of the JIT scheduler.

    .NOTES
    Part of the 43 upstream cmdlets. Wraps `ams active-directory-jit-options get`.

    .LINK
    Set-AmsActiveDirectoryJitOptions
    #>
    [CmdletBinding()]
    [OutputType('Ams.JitOptions')]
    param()

    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'active-directory-jit-options get' -Parameters ([ordered]@{}) |
        Add-AmsTypeName -TypeName 'Ams.JitOptions'
}
