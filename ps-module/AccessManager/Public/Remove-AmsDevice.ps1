function Remove-AmsDevice {
    <#
    .SYNOPSIS
    Deletes a device from ams for good.

    .DESCRIPTION
    Removes a device record together with its stored password history, BitLocker recovery keys,
    credentials and group memberships. The device can no longer talk to ams afterwards; it has to
    register again to come back.

    Asks for confirmation unless -Force is given (ConfirmImpact is High). -WhatIf shows what would
    be removed without running ams. Ids can come from the pipeline; many devices are removed in a
    few ams runs.

    Runs `ams device remove --force` once the removal is confirmed.

    .PARAMETER Id
    The id of the device to remove. Binds from the Id property of piped objects.

    .PARAMETER Force
    Remove without asking for confirmation.

    .PARAMETER WhatIf
    Shows what would be removed without running ams.

    .PARAMETER Confirm
    Asks before each removal, even with -Force.

    .INPUTS
    System.String. Any object with an Id property, such as the output of Get-AmsDevice.

    .OUTPUTS
    None.

    .EXAMPLE
    Remove-AmsDevice -Id '800e470e-2af1-482c-a596-da730b075933'

    Removes one device after asking for confirmation.

    .EXAMPLE
    Get-AmsDevice -ApprovalState Rejected | Remove-AmsDevice -Force

    Removes every rejected device without prompting.

    .NOTES
    Part of the 43 upstream cmdlets. Adds -WhatIf and -Confirm. Wraps `ams device remove`.

    .LINK
    Get-AmsDevice
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
        if (-not $PSCmdlet.ShouldProcess("device $Id", 'Remove the device, its password history and its group memberships')) {
            return
        }
        $null = Add-AmsQueuedRequest -Caller $PSCmdlet -Queue $queue -Verb 'device remove' -Parameters ([ordered]@{ Id = $Id; Force = $true }) -Target $Id
    }

    end {
        $null = Invoke-AmsRequestQueue -Caller $PSCmdlet -Queue $queue
    }
}
