function Remove-AmsComputerAuthorizationRule {
    <#
    .SYNOPSIS
    Deletes a computer authorization rule.

    .DESCRIPTION
    Removes a rule for good. Removing a rule changes who may read passwords and recovery keys at
    once: removing a rule that denies access can grant access through other rules.

    Asks for confirmation unless -Force is given (ConfirmImpact is High). Ids can come from the
    pipeline; many rules are removed in a few ams runs.

    Runs `ams computer-authorization-rule remove --force` once the removal is confirmed.

    .PARAMETER Id
    The id of the rule. Binds from the Id property of piped objects.

    .PARAMETER Force
    Remove without asking for confirmation.

    .PARAMETER WhatIf
    Shows what would be removed without running ams.

    .PARAMETER Confirm
    Asks before each removal, even with -Force.

    .INPUTS
    System.String. Any object with an Id property, such as the output of
    Get-AmsComputerAuthorizationRule.

    .OUTPUTS
    None.

    .EXAMPLE
    Remove-AmsComputerAuthorizationRule -Id '832a1b2c-a673-4e70-82cd-59c16675203e'

    Removes one rule after asking for confirmation.

    .EXAMPLE
    Get-AmsComputerAuthorizationRule | Where-Object TargetType -eq 'AadTenant' | Remove-AmsComputerAuthorizationRule -Force

    Removes every rule that targets a whole Entra tenant, without prompting.

    .NOTES
    Part of the 43 upstream cmdlets. Adds -WhatIf and -Confirm. Wraps
    `ams computer-authorization-rule remove`.

    .LINK
    Get-AmsComputerAuthorizationRule
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType([void])]
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
        $queue = [System.Collections.Generic.List[object]]::new()
    }

    process {
        if (-not $PSCmdlet.ShouldProcess("computer authorization rule $Id", 'Remove')) {
            return
        }
        $null = Add-AmsQueuedRequest -Caller $PSCmdlet -Queue $queue -Verb 'computer-authorization-rule remove' -Parameters ([ordered]@{ Id = $Id; Force = $true }) -Target $Id
    }

    end {
        $null = Invoke-AmsRequestQueue -Caller $PSCmdlet -Queue $queue
    }
}
