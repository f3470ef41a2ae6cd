function Get-AmsDeviceRegistrationKey {
    <#
    .SYNOPSIS
    Gets device registration keys.

    .DESCRIPTION
    Returns every registration key, or finds keys by name, by id, or by the key value an agent
    was given. The objects returned can be piped to Set-AmsDeviceRegistrationKey,
    Remove-AmsDeviceRegistrationKey, Add-AmsDeviceRegistrationKeyGroup and
    Remove-AmsDeviceRegistrationKeyGroup.

    Ids can come from the pipeline; many keys are fetched in a few ams runs.

    Runs `ams device-registration-key get`.

    .PARAMETER Name
    The key name to look for. Optional; when left out, all keys are returned.

    .PARAMETER Id
    The id of the key. Binds from the Id property of piped objects.

    .PARAMETER Key
    The key value, as given to agents.

    .INPUTS
    System.String. Objects with an Id property bind to -Id.

    .OUTPUTS
    Ams.RegistrationKey

    .EXAMPLE
    Get-AmsDeviceRegistrationKey

    Lists every registration key.

    .EXAMPLE
    Get-AmsDeviceRegistrationKey -Name 'Linux servers'

    Finds a key by name.

    .EXAMPLE
    Get-AmsDeviceRegistrationKey -Key $keyFromInstaller

    Finds which key an installer was given.

    .NOTES
    Part of the 43 upstream cmdlets. Wraps `ams device-registration-key get`.

    .LINK
    New-AmsDeviceRegistrationKey
    #>
    [CmdletBinding(DefaultParameterSetName = 'GetByName')]
    [OutputType('Ams.RegistrationKey')]
    param(
        [Parameter(ParameterSetName = 'GetByName', Position = 0)]
        [ValidateNotNullOrEmpty()]
        [string] $Name,

        [Parameter(ParameterSetName = 'GetById', Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string] $Id,

        [Parameter(ParameterSetName = 'GetByKey', Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string] $Key
    )

    begin {
        $queue = [System.Collections.Generic.List[object]]::new()
    }

    process {
        $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'Name', 'Id', 'Key'
        $target = if ($PSCmdlet.ParameterSetName -eq 'GetById') { $Id } else { $Name }
        Add-AmsQueuedRequest -Caller $PSCmdlet -Queue $queue -Verb 'device-registration-key get' -Parameters $parameters -Target $target | Add-AmsTypeName -TypeName 'Ams.RegistrationKey'
    }

    end {
        Invoke-AmsRequestQueue -Caller $PSCmdlet -Queue $queue | Add-AmsTypeName -TypeName 'Ams.RegistrationKey'
    }
}
