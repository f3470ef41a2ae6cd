#
# How the device-reading cmdlets (passwords, password history, BitLocker keys) name the device of
# one pipeline record.
#

function Resolve-AmsDeviceTarget {
    # Returns @{ Parameters = <ordered verb parameters>; Target = <text for error records> }.
    #
    # A record binds either by computer name (a string, or an object with a Name, ComputerName or
    # DNSHostName property such as Get-ADComputer's output or a CSV row) or by the authority triple.
    # An ams device piped from Get-AmsDevice has both a Name and the triple: PowerShell picks the
    # default (computer name) set for it, so the triple is taken from the piped object here, because
    # it names the device exactly while a name may be ambiguous.
    [CmdletBinding()]
    [OutputType([hashtable])]
    param(
        [Parameter(Mandatory)]
        [AllowEmptyCollection()]
        [System.Collections.IDictionary] $BoundParameters,

        [Parameter(Mandatory)]
        [string] $ParameterSetName,

        [AllowNull()]
        $InputObject,

        [string[]] $ExtraName = @()
    )

    $authorityNames = 'AuthorityDeviceId', 'AuthorityId', 'AuthorityType'
    $byName = $ParameterSetName -like '*by computer name'
    $bound = [ordered]@{}
    foreach ($key in @($BoundParameters.Keys)) {
        $bound[$key] = $BoundParameters[$key]
    }

    if ($byName -and $null -ne $InputObject -and $InputObject -isnot [string]) {
        $properties = $InputObject.PSObject.Properties
        $triple = foreach ($name in $authorityNames) {
            $property = $properties[$name]
            if ($null -ne $property -and -not [string]::IsNullOrEmpty([string]$property.Value)) { [string]$property.Value }
        }
        if (@($triple).Count -eq 3) {
            $bound.Remove('ComputerName')
            for ($i = 0; $i -lt 3; $i++) {
                $bound[$authorityNames[$i]] = @($triple)[$i]
            }
            $byName = $false
        }
    }

    $parameters = Get-AmsVerbParameter -BoundParameters $bound -Name (@('ComputerName') + $authorityNames + $ExtraName)
    $target = if ($byName) { $bound['ComputerName'] } else { '{0}/{1}/{2}' -f $bound['AuthorityType'], $bound['AuthorityId'], $bound['AuthorityDeviceId'] }
    @{ Parameters = $parameters; Target = $target }
}

function Invoke-AmsDeviceSecretRead {
    # The queue of the device-reading cmdlets (Get-AmsLocalAdminPassword, -History,
    # Get-AmsFveRecoveryKey). In their process block: names the device of one pipeline record
    # (Resolve-AmsDeviceTarget, by the Caller's parameter set) and queues Verb for it; with -Flush,
    # in their end block: sends what is left. Whatever comes back is typed TypeName, and its
    # SecretProperty becomes a SecureString unless AsPlainText.
    [CmdletBinding(DefaultParameterSetName = 'Queue')]
    param(
        [Parameter(Mandatory)]
        [System.Management.Automation.PSCmdlet] $Caller,

        [Parameter(Mandatory)]
        [AllowEmptyCollection()]
        [System.Collections.Generic.List[object]] $Queue,

        [Parameter(Mandatory)]
        [string] $TypeName,

        [Parameter(Mandatory)]
        [string] $SecretProperty,

        [switch] $AsPlainText,

        [Parameter(Mandatory, ParameterSetName = 'Queue')]
        [string] $Verb,

        [Parameter(Mandatory, ParameterSetName = 'Queue')]
        [AllowEmptyCollection()]
        [System.Collections.IDictionary] $BoundParameters,

        [Parameter(ParameterSetName = 'Queue')]
        [AllowNull()]
        $InputObject,

        [Parameter(ParameterSetName = 'Queue')]
        [string[]] $ExtraName = @(),

        [Parameter(Mandatory, ParameterSetName = 'Flush')]
        [switch] $Flush
    )

    $source = if ($Flush) {
        { Invoke-AmsRequestQueue -Caller $Caller -Queue $Queue }
    }
    else {
        {
            $resolved = Resolve-AmsDeviceTarget -BoundParameters $BoundParameters -ParameterSetName $Caller.ParameterSetName -InputObject $InputObject -ExtraName $ExtraName
            Add-AmsQueuedRequest -Caller $Caller -Queue $Queue -Verb $Verb -Parameters $resolved.Parameters -Target $resolved.Target
        }
    }
    & $source |
        Add-AmsTypeName -TypeName $TypeName |
        Protect-AmsSecretProperty -PropertyName $SecretProperty -AsPlainText:$AsPlainText
}
