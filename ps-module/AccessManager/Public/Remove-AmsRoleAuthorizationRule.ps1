function Remove-AmsRoleAuthorizationRule {
    <#
    .SYNOPSIS
    Deletes a role authorization rule.

    .DESCRIPTION
    Removes a role rule for good. Users can no longer request the role; memberships already granted
    are removed by the JIT engine when they expire.

    Asks for confirmation unless -Force is given (ConfirmImpact is High). Ids can come from the
    pipeline; many rules are removed in a few ams runs.

    Runs `ams role-authorization-rule remove --force` once the removal is confirmed.

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
    Get-AmsRoleAuthorizationRule.

    .OUTPUTS
    None.

    .EXAMPLE
    Remove-AmsRoleAuthorizationRule -Id '6d34b2f3-dd28-4dc6-893f-f64f4d099bd6'

    Removes one rule after asking for confirmation.

    .EXAMPLE
    Get-AmsRoleAuthorizationRule -Name 'My custom role' | Remove-AmsRoleAuthorizationRule -Force

    Removes the role named 'My custom role' without prompting.

    .NOTES
    Part of the 43 upstream cmdlets. Adds -WhatIf and -Confirm. Wraps
    `ams role-authorization-rule remove`.

    .LINK
    Get-AmsRoleAuthorizationRule
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
        if (-not $PSCmdlet.ShouldProcess("role authorization rule $Id", 'Remove')) {
            return
        }
        $null = Add-AmsQueuedRequest -Caller $PSCmdlet -Queue $queue -Verb 'role-authorization-rule remove' -Parameters ([ordered]@{ Id = $Id; Force = $true }) -Target $Id
    }

    end {
        $null = Invoke-AmsRequestQueue -Caller $PSCmdlet -Queue $queue
    }
}
