function Get-AmsFveRecoveryKey {
    <#
    .SYNOPSIS
    Gets the BitLocker recovery keys stored for a device.

    .DESCRIPTION
    Reads the full-volume-encryption (BitLocker) recovery keys that ams holds for a device, found by
    computer name or by the device's authority. This is an administrator's tool that does not go
    through the authorization rules of the web app.

    The RecoveryPassword property is a SecureString unless -AsPlainText is given. Devices piped
    from Get-AmsDevice bind through their authority properties; many devices are read in a few ams
    runs.

    Runs `ams fve-recovery-key get`.

    .PARAMETER ComputerName
    The computer name, short (PC1) or qualified with a domain (DEV\PC1).

    .PARAMETER AuthorityDeviceId
    The device's id within its authority. Binds from piped objects.

    .PARAMETER AuthorityId
    The id of the authority that manages the device. Binds from piped objects.

    .PARAMETER AuthorityType
    The kind of authority: None, ActiveDirectory, AzureActiveDirectory or Ams. Binds from piped
    objects.

    .PARAMETER AsPlainText
    Return RecoveryPassword as a plain string instead of a SecureString.

    .INPUTS
    Objects with AuthorityType, AuthorityId and AuthorityDeviceId properties, such as the output of
    Get-AmsDevice.

    .OUTPUTS
    Ams.FveRecoveryKey

    .EXAMPLE
    Get-AmsFveRecoveryKey -ComputerName 'PC1'

    Lists the recovery keys of PC1.

    .EXAMPLE
    Get-AmsDevice -Name 'LAPTOP7' | Get-AmsFveRecoveryKey -AsPlainText | Format-List

    Shows the recovery keys of a device, readable, one property per line.

    .NOTES
    Part of the 43 upstream cmdlets. Adds -AsPlainText; RecoveryPassword is a SecureString by
    default. Wraps `ams fve-recovery-key get`.

    .LINK
    Get-AmsDevice
    #>
    [CmdletBinding(DefaultParameterSetName = 'Get full-volume encryption keys by computer name')]
    [OutputType('Ams.FveRecoveryKey')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName, ParameterSetName = 'Get full-volume encryption keys by computer name')]
        [Alias('Name', 'DNSHostName')]
        [ValidateNotNullOrEmpty()]
        [string] $ComputerName,

        [Parameter(Mandatory, ValueFromPipelineByPropertyName, ParameterSetName = 'Get full-volume encryption keys by device authority information')]
        [ValidateNotNullOrEmpty()]
        [string] $AuthorityDeviceId,

        [Parameter(Mandatory, ValueFromPipelineByPropertyName, ParameterSetName = 'Get full-volume encryption keys by device authority information')]
        [ValidateNotNullOrEmpty()]
        [string] $AuthorityId,

        [Parameter(Mandatory, ValueFromPipelineByPropertyName, ParameterSetName = 'Get full-volume encryption keys by device authority information')]
        [ValidateSet('None', 'ActiveDirectory', 'AzureActiveDirectory', 'Ams')]
        [string] $AuthorityType,

        [switch] $AsPlainText
    )

    begin {
        $queue = [System.Collections.Generic.List[object]]::new()
    }

    process {
        Invoke-AmsDeviceSecretRead -Caller $PSCmdlet -Queue $queue -TypeName 'Ams.FveRecoveryKey' -SecretProperty 'RecoveryPassword' -AsPlainText:$AsPlainText -Verb 'fve-recovery-key get' -BoundParameters $PSBoundParameters -InputObject $_
    }

    end {
        Invoke-AmsDeviceSecretRead -Caller $PSCmdlet -Queue $queue -TypeName 'Ams.FveRecoveryKey' -SecretProperty 'RecoveryPassword' -AsPlainText:$AsPlainText -Flush
    }
}
