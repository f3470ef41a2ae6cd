function Get-AmsLocalAdminPasswordHistory {
    <#
    .SYNOPSIS
    Gets the earlier local administrator passwords of a device.

    .DESCRIPTION
    Reads the password history that ams keeps for a device: passwords that have since been
    replaced, with when they were set and when they were retired. The device is found by computer
    name or by its authority. Like Get-AmsLocalAdminPassword this is an administrator's tool that
    does not go through the authorization rules of the web app.

    The Password property is a SecureString unless -AsPlainText is given. Devices piped from
    Get-AmsDevice bind through their authority properties; many devices are read in a few ams runs.

    Runs `ams local-admin-password-history get`.

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
    Return Password as a plain string instead of a SecureString.

    .INPUTS
    Objects with AuthorityType, AuthorityId and AuthorityDeviceId properties, such as the output of
    Get-AmsDevice.

    .OUTPUTS
    Ams.Password

    .EXAMPLE
    Get-AmsLocalAdminPasswordHistory -ComputerName 'PC1'

    Lists the earlier passwords of PC1.

    .EXAMPLE
    Get-AmsDevice -Name 'macos12' | Get-AmsLocalAdminPasswordHistory -AsPlainText | Select-Object -First 1

    Shows the most recent earlier password of a device, readable.

    .NOTES
    Part of the 43 upstream cmdlets. Adds -AsPlainText; Password is a SecureString by default.
    Wraps `ams local-admin-password-history get`.

    .LINK
    Get-AmsLocalAdminPassword
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

        [switch] $AsPlainText
    )

    begin {
        $queue = [System.Collections.Generic.List[object]]::new()
    }

    process {
        Invoke-AmsDeviceSecretRead -Caller $PSCmdlet -Queue $queue -TypeName 'Ams.Password' -SecretProperty 'Password' -AsPlainText:$AsPlainText -Verb 'local-admin-password-history get' -BoundParameters $PSBoundParameters -InputObject $_
    }

    end {
        Invoke-AmsDeviceSecretRead -Caller $PSCmdlet -Queue $queue -TypeName 'Ams.Password' -SecretProperty 'Password' -AsPlainText:$AsPlainText -Flush
    }
}
