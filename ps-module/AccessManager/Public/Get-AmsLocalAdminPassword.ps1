function Get-AmsLocalAdminPassword {
    <#
    .SYNOPSIS
    Gets the current local administrator password of a device.

    .DESCRIPTION
    Reads the current local administrator password that ams holds for a device, found by computer
    name or by the device's authority (type, authority id and the device's id there). This is an
    administrator's tool: it does not go through the authorization rules that apply to people
    asking for a password through the web app.

    The Password property is a SecureString unless -AsPlainText is given, in the manner of
    Microsoft's LAPS module. Devices piped from Get-AmsDevice bind through their AuthorityType,
    AuthorityId and AuthorityDeviceId properties; many devices are read in a few ams runs.

    Runs `ams local-admin-password get`.

    .PARAMETER ComputerName
    The computer name, short (PC1) or qualified with a domain (DEV\PC1).

    .PARAMETER AuthorityDeviceId
    The device's id within its authority. Binds from piped objects.

    .PARAMETER AuthorityId
    The id of the authority (directory or tenant) that manages the device. Binds from piped
    objects.

    .PARAMETER AuthorityType
    The kind of authority: None, ActiveDirectory, AzureActiveDirectory or Ams. Binds from piped
    objects.

    .PARAMETER AllProviders
    Return the current password from every password source that has one, not only the newest.

    .PARAMETER AsPlainText
    Return Password as a plain string instead of a SecureString.

    .INPUTS
    Objects with AuthorityType, AuthorityId and AuthorityDeviceId properties, such as the output of
    Get-AmsDevice.

    .OUTPUTS
    Ams.Password

    .EXAMPLE
    Get-AmsLocalAdminPassword -ComputerName 'PC1'

    Gets the current password of PC1; Password is a SecureString.

    .EXAMPLE
    Get-AmsLocalAdminPassword 'DEV\SERVER1' -AsPlainText

    Gets the current password of the Active Directory computer SERVER1 in domain DEV, readable.

    .EXAMPLE
    Get-AmsDevice -Name 'macos12' | Get-AmsLocalAdminPassword -AllProviders

    Gets the current password of an ams device from every source.

    .NOTES
    Part of the 43 upstream cmdlets. Adds -AsPlainText; Password is a SecureString by default.
    Wraps `ams local-admin-password get`.

    .LINK
    Get-AmsLocalAdminPasswordHistory

    .LINK
    Get-AmsDevice
    #>
    [CmdletBinding(DefaultParameterSetName = 'Get password by computer name')]
    [OutputType('Ams.Password')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName, ParameterSetName = 'Get password by computer name')]
        [Alias('Name', 'DNSHostName')]
        [ValidateNotNullOrEmpty()]
        [string] $ComputerName,

        [Parameter(Mandatory, ValueFromPipelineByPropertyName, ParameterSetName = 'Get password by device authority information')]
        [ValidateNotNullOrEmpty()]
        [string] $AuthorityDeviceId,

        [Parameter(Mandatory, ValueFromPipelineByPropertyName, ParameterSetName = 'Get password by device authority information')]
        [ValidateNotNullOrEmpty()]
        [string] $AuthorityId,

        [Parameter(Mandatory, ValueFromPipelineByPropertyName, ParameterSetName = 'Get password by device authority information')]
        [ValidateSet('None', 'ActiveDirectory', 'AzureActiveDirectory', 'Ams')]
        [string] $AuthorityType,

        [switch] $AllProviders,

        [switch] $AsPlainText
    )

    begin {
        $queue = [System.Collections.Generic.List[object]]::new()
    }

    process {
        Invoke-AmsDeviceSecretRead -Caller $PSCmdlet -Queue $queue -TypeName 'Ams.Password' -SecretProperty 'Password' -AsPlainText:$AsPlainText -Verb 'local-admin-password get' -BoundParameters $PSBoundParameters -InputObject $_ -ExtraName 'AllProviders'
    }

    end {
        Invoke-AmsDeviceSecretRead -Caller $PSCmdlet -Queue $queue -TypeName 'Ams.Password' -SecretProperty 'Password' -AsPlainText:$AsPlainText -Flush
    }
}
