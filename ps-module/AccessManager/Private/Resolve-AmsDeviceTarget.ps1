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
