function Set-AmsDevice {
    <#
    .SYNOPSIS
    Approves, rejects, enables or disables a device, or expires its password.

    .DESCRIPTION
    Changes one thing about a device per call; the switch you give picks the change:

    -Approve lets a pending device finish registering. -Reject turns a device away: it stops
    contacting ams. -Disable blocks a device from signing in until -Enable is used. -ExpirePassword
    marks the current local administrator password as expired, so the agent replaces it at its
    next check-in. With -ComputerName instead of -Id, -ExpirePassword expires the LAPS password of
    a computer in the directory (`ams jit directory set --secret-providers`): ams writes its
    ms-Mcs-AdmPwdExpirationTime and/or msLAPS-PasswordExpirationTime, so LAPS rotates it.

    Rejecting asks for confirmation unless -Force is given. Every change honours -WhatIf and
    -Confirm. Device ids can come from the pipeline (for example from Get-AmsDevice); many devices
    are sent to ams in a few batches.

    Runs `ams device set`.

    .PARAMETER Id
    The id of the device. Binds from the Id property of piped objects.

    .PARAMETER ComputerName
    With -ExpirePassword: a computer in the directory (name, DNS name or SID) whose LAPS expiry
    attributes are written.

    .PARAMETER Approve
    Approve a pending device.

    .PARAMETER Reject
    Reject the device.

    .PARAMETER Enable
    Enable a disabled device.

    .PARAMETER Disable
    Disable the device; it cannot authenticate until enabled again.

    .PARAMETER ExpirePassword
    Expire the device's current local administrator password.

    .PARAMETER Force
    With -Reject: skip the confirmation prompt.

    .PARAMETER WhatIf
    Shows what would change without running ams.

    .PARAMETER Confirm
    Asks before each change.

    .INPUTS
    System.String. Any object with an Id property, such as the output of Get-AmsDevice.

    .OUTPUTS
    Ams.Device. The device as it is after the change.
    Ams.DirectoryPasswordExpiry. With -ComputerName: the computer and the attributes written.

    .EXAMPLE
    Get-AmsDevice -ApprovalState Pending | Set-AmsDevice -Approve

    Approves every pending device.

    .EXAMPLE
    Set-AmsDevice -Id '800e470e-2af1-482c-a596-da730b075933' -Reject -Force

    Rejects one device without asking first.

    .EXAMPLE
    Get-AmsDevice -Name 'PC1' | Set-AmsDevice -ExpirePassword

    Makes PC1 replace its local administrator password at its next check-in.

    .EXAMPLE
    Set-AmsDevice -ComputerName 'PC7' -ExpirePassword

    Makes LAPS rotate PC7's password at its next policy check, by writing its expiry attribute in
    the directory.

    .NOTES
    Part of the 43 upstream cmdlets. Adds -WhatIf and -Confirm. Wraps `ams device set`.

    .LINK
    Get-AmsDevice
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.Device')]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName, ParameterSetName = 'Approve')]
        [Parameter(Mandatory, ValueFromPipelineByPropertyName, ParameterSetName = 'Reject')]
        [Parameter(Mandatory, ValueFromPipelineByPropertyName, ParameterSetName = 'Enable')]
        [Parameter(Mandatory, ValueFromPipelineByPropertyName, ParameterSetName = 'Disable')]
        [Parameter(Mandatory, ValueFromPipelineByPropertyName, ParameterSetName = 'ExpirePassword')]
        [ValidateNotNullOrEmpty()]
        [string] $Id,

        [Parameter(Mandatory, ParameterSetName = 'Approve')]
        [switch] $Approve,

        [Parameter(Mandatory, ParameterSetName = 'Reject')]
        [switch] $Reject,

        [Parameter(Mandatory, ParameterSetName = 'Enable')]
        [switch] $Enable,

        [Parameter(Mandatory, ParameterSetName = 'Disable')]
        [switch] $Disable,

        [Parameter(Mandatory, ParameterSetName = 'DirectoryExpirePassword')]
        [ValidateNotNullOrEmpty()]
        [string] $ComputerName,

        [Parameter(Mandatory, ParameterSetName = 'ExpirePassword')]
        [Parameter(Mandatory, ParameterSetName = 'DirectoryExpirePassword')]
        [switch] $ExpirePassword,

        [Parameter(ParameterSetName = 'Reject')]
        [switch] $Force
    )

    begin {
        $queue = [System.Collections.Generic.List[object]]::new()
        $yesToAll = $false
        $noToAll = $false
        $actions = @{
            Approve        = 'Approve'
            Reject         = 'Reject'
            Enable         = 'Enable'
            Disable        = 'Disable'
            ExpirePassword = 'Expire the local administrator password of'
        }
    }

    process {
        $setName = $PSCmdlet.ParameterSetName
        if ($setName -eq 'DirectoryExpirePassword') {
            if ($PSCmdlet.ShouldProcess("directory computer $ComputerName", 'Expire the LAPS password of')) {
                $request = New-AmsRequest -Verb 'device set' -Parameters ([ordered]@{ ComputerName = $ComputerName; ExpirePassword = $true }) -Target $ComputerName
                $single = [System.Collections.Generic.List[object]]::new()
                $single.Add($request)
                Invoke-AmsRequestQueue -Caller $PSCmdlet -Queue $single | Add-AmsTypeName -TypeName 'Ams.DirectoryPasswordExpiry'
            }
            return
        }
        if (-not $PSCmdlet.ShouldProcess("device $Id", $actions[$setName])) {
            return
        }
        if ($Reject -and -not $Force) {
            $query = "Reject device ${Id}? A rejected device stops contacting ams."
            if (-not $PSCmdlet.ShouldContinue($query, 'Reject device', [ref]$yesToAll, [ref]$noToAll)) {
                return
            }
        }
        $parameters = [ordered]@{ Id = $Id }
        $parameters[$setName] = $true
        if ($Reject) {
            # Confirmed above (or -Force): ams asks for --force on destructive changes.
            $parameters['Force'] = $true
        }
        Add-AmsQueuedRequest -Caller $PSCmdlet -Queue $queue -Verb 'device set' -Parameters $parameters -Target $Id | Add-AmsTypeName -TypeName 'Ams.Device'
    }

    end {
        Invoke-AmsRequestQueue -Caller $PSCmdlet -Queue $queue | Add-AmsTypeName -TypeName 'Ams.Device'
    }
}
