function Remove-AmsMasterKeyHostProtector {
    <#
    .SYNOPSIS
    Revokes one host's protector of the ams master key. (Module addition.)

    .DESCRIPTION
    Every host that shares the ams database has its own host key file and its own host protector
    (Get-AmsMasterKeyStatus lists them in HostProtectors). Removing a host's protector puts that
    host in recovery mode: it cannot read secrets until Restore-AmsMasterKey is run there with
    the recovery password. Use it for a host that was retired or whose host key file may have
    been copied.

    ams refuses to remove this host's own protector (AMS-KEY-0012) and the last protector that
    unlocks the master key (AMS-KEY-0011), and changes nothing then. The removal is recorded in
    the audit trail. Asks for confirmation unless -Force is given (ConfirmImpact is High).

    Runs `ams key host-protector remove`.

    .PARAMETER HostKeyId
    The host key id of the protector (HostProtectors[].HostKeyId of Get-AmsMasterKeyStatus).
    Accepts pipeline input by property name.

    .PARAMETER Force
    Run without asking for confirmation.

    .PARAMETER WhatIf
    Shows what would happen without running ams.

    .PARAMETER Confirm
    Asks before running, even with -Force.

    .INPUTS
    Ams.MasterKeyHostProtector, or any object with a HostKeyId property.

    .OUTPUTS
    Ams.MasterKeyHostProtector. The protector that was removed.

    .EXAMPLE
    Remove-AmsMasterKeyHostProtector -HostKeyId 0d5e6b0e-2f5c-4d7b-9d0a-7b0a4c1e9f31

    Revokes that host's protector.

    .EXAMPLE
    (Get-AmsMasterKeyStatus).HostProtectors | Where-Object HostName -eq 'OLDSRV01' | Remove-AmsMasterKeyHostProtector -Force

    Revokes the protectors of a retired host.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams key host-protector remove`.

    .LINK
    Get-AmsMasterKeyStatus

    .LINK
    Restore-AmsMasterKey
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType('Ams.MasterKeyHostProtector')]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string] $HostKeyId,

        [switch] $Force
    )

    begin {
        if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) {
            $ConfirmPreference = 'None'
        }
    }

    process {
        if (-not $PSCmdlet.ShouldProcess("host protector $HostKeyId", 'Remove (that host goes into recovery mode)')) {
            return
        }
        Invoke-AmsVerb -Caller $PSCmdlet -Verb 'key host-protector remove' -Parameters ([ordered]@{ HostKeyId = $HostKeyId }) -TargetObject $HostKeyId |
            Add-AmsTypeName -TypeName 'Ams.MasterKeyHostProtector'
    }
}
