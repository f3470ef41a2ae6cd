function Remove-AmsDeviceRegistrationKey {
    <#
    .SYNOPSIS
    Deletes a device registration key.

    .DESCRIPTION
    Removes a registration key so that no more agents can register with it. Devices that already
    registered with the key stay registered.

    Asks for confirmation unless -Force is given (ConfirmImpact is High). Ids can come from the
    pipeline; many keys are removed in a few ams runs.

    Runs `ams device-registration-key remove --force` once the removal is confirmed.

    .PARAMETER Id
    The id of the key. Binds from the Id property of piped objects.

    .PARAMETER Force
    Remove without asking for confirmation.

    .PARAMETER WhatIf
    Shows what would be removed without running ams.

    .PARAMETER Confirm
    Asks before each removal, even with -Force.

    .INPUTS
    System.String. Any object with an Id property, such as the output of
    Get-AmsDeviceRegistrationKey.

    .OUTPUTS
    None.

    .EXAMPLE
    Get-AmsDeviceRegistrationKey -Name 'Spare' | Remove-AmsDeviceRegistrationKey

    Removes a key after asking for confirmation.

    .EXAMPLE
    Remove-AmsDeviceRegistrationKey -Id 'd54bdb4b-75de-4114-b2c7-305320222b9e' -Force

    Removes a key without prompting.

    .NOTES
    Part of the 43 upstream cmdlets. Adds -WhatIf and -Confirm. Wraps
    `ams device-registration-key remove`.

    .LINK
    Get-AmsDeviceRegistrationKey
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
        if (-not $PSCmdlet.ShouldProcess("registration key $Id", 'Remove')) {
            return
        }
        $null = Add-AmsQueuedRequest -Caller $PSCmdlet -Queue $queue -Verb 'device-registration-key remove' -Parameters ([ordered]@{ Id = $Id; Force = $true }) -Target $Id
    }

    end {
        $null = Invoke-AmsRequestQueue -Caller $PSCmdlet -Queue $queue
    }
}
