function Remove-AmsActiveDirectoryJitGroupCreationRule {
    <#
    .SYNOPSIS
    Deletes a JIT group creation rule.

    .DESCRIPTION
    Removes a JIT group creation rule. Groups it already created stay in the directory; no new
    groups are created for it.

    Asks for confirmation unless -Force is given (ConfirmImpact is High). Ids can come from the
    pipeline.

    Runs `ams active-directory-jit-group-creation-rule remove --force` once the removal is confirmed.

    .PARAMETER Id
    The id of the rule. Binds from the Id property of piped objects.

    .PARAMETER Force
    Remove without asking for confirmation.

    .PARAMETER WhatIf
    Shows what would be removed without running ams.

    .PARAMETER Confirm
    Asks before each removal, even with -Force.

    .INPUTS
    System.String. Any object with an Id property, such as the output of Get-AmsActiveDirectoryJitGroupCreationRule.

    .OUTPUTS
    Ams.JitGroupCreationRule

    .EXAMPLE
    Remove-AmsActiveDirectoryJitGroupCreationRule -Id '12345678-1234-1234-1234-123456789012'

    Removes a rule after asking for confirmation.

    .EXAMPLE
    Get-AmsActiveDirectoryJitGroupCreationRule | Remove-AmsActiveDirectoryJitGroupCreationRule -Force

    Removes every rule without prompting.

    .NOTES
    Part of the 43 upstream cmdlets. Returns the removed rule. Adds -WhatIf and -Confirm. Wraps `ams active-directory-jit-group-creation-rule remove`.

    .LINK
    Get-AmsActiveDirectoryJitGroupCreationRule
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType('Ams.JitGroupCreationRule')]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string] $Id,

        [switch] $Force
    )

    begin {
        if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) {
            $ConfirmPreference = 'None'
        }
    }

    process {
        if (-not $PSCmdlet.ShouldProcess("JIT group creation rule $Id", 'Remove')) {
            return
        }
        $parameters = [ordered]@{ Id = $Id; Force = $true }
        Invoke-AmsVerb -Caller $PSCmdlet -Verb 'active-directory-jit-group-creation-rule remove' -Parameters $parameters |
            Add-AmsTypeName -TypeName 'Ams.JitGroupCreationRule'
    }
}
