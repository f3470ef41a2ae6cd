function Set-AmsServiceConfig {
    <#
    .SYNOPSIS
    Changes farm-wide settings of the ams service.

    .DESCRIPTION
    Changes settings kept in the database and shared by every host of the farm. Parameters left
    out keep their current value. All changes are checked first and then made in one transaction,
    so one refused value (or one unknown setting name) changes nothing. Every host must be
    restarted to use the new values.

    An empty string for a host name removes it, so each host's own ExternalHostname applies again.
    A list replaces the previous list; an empty list (@()) clears it.

    -Setting sets any registered setting by name, including those that have no parameter of their
    own (such as PasswordMaximumAgeDays); Get-AmsServiceConfig lists the names. Unknown names are
    refused.

    Runs `ams service-config set`.

    .PARAMETER FarmApiHostName
    The host name agents use for the farm. An empty string removes it.

    .PARAMETER FarmApiPort
    The HTTPS port agents use for the farm (default 443).

    .PARAMETER FarmWebAppHostName
    The host name users use for the farm's web app. An empty string removes it.

    .PARAMETER FarmWebAppPort
    The HTTPS port users use for the farm's web app (default 443).

    .PARAMETER ForestsToIgnore
    Trusted forests to ignore, typically unreachable ones.

    .PARAMETER DomainsToIgnore
    Trusted domains to ignore, typically unreachable ones.

    .PARAMETER Setting
    One or more hashtables of setting names and values, such as @{ PasswordMaximumAgeDays = 60 }.
    A list value is written as an array. Module addition.

    .PARAMETER WhatIf
    Shows what would change without running ams.

    .PARAMETER Confirm
    Asks before the change.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.ServiceConfig. The farm-wide settings after the change.

    .EXAMPLE
    Set-AmsServiceConfig -FarmApiHostName 'api.example.com' -FarmWebAppHostName 'app.example.com'

    Sets the farm host names for agents and for the web app.

    .EXAMPLE
    Set-AmsServiceConfig -DomainsToIgnore 'old.example.com', 'lab.example.com'

    Ignores two trusted domains.

    .EXAMPLE
    Set-AmsServiceConfig -Setting @{ PasswordMaximumAgeDays = 60; PasswordHistoryKeepCount = 10 }

    Changes two registered settings that have no parameter of their own.

    .NOTES
    Part of the 43 upstream cmdlets. -Setting is a module addition (`--setting NAME=VALUE`).
    Adds -WhatIf and -Confirm. Wraps `ams service-config set`.

    .LINK
    Get-AmsServiceConfig
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.ServiceConfig')]
    param(
        [Parameter()]
        [AllowEmptyString()]
        [string] $FarmApiHostName,

        [Parameter()]
        [ValidateRange(1, 65535)]
        [int] $FarmApiPort,

        [Parameter()]
        [AllowEmptyString()]
        [string] $FarmWebAppHostName,

        [Parameter()]
        [ValidateRange(1, 65535)]
        [int] $FarmWebAppPort,

        [Parameter()]
        [AllowEmptyCollection()]
        [AllowEmptyString()]
        [string[]] $ForestsToIgnore,

        [Parameter()]
        [AllowEmptyCollection()]
        [AllowEmptyString()]
        [string[]] $DomainsToIgnore,

        [Parameter()]
        [ValidateNotNull()]
        [hashtable[]] $Setting
    )

    $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'FarmApiHostName', 'FarmApiPort', 'FarmWebAppHostName', 'FarmWebAppPort', 'ForestsToIgnore', 'DomainsToIgnore'
    foreach ($name in 'ForestsToIgnore', 'DomainsToIgnore') {
        if ($parameters.Contains($name) -and @($parameters[$name]).Count -eq 0) {
            # An empty list would add no flag at all; one empty value tells ams to clear the list.
            $parameters[$name] = [string[]]@('')
        }
    }

    if ($PSBoundParameters.ContainsKey('Setting')) {
        $pairs = [System.Collections.Generic.List[string]]::new()
        foreach ($table in $Setting) {
            foreach ($key in @($table.Keys)) {
                $value = $table[$key]
                $text = if ($null -eq $value) {
                    ''
                }
                elseif ($value -is [string]) {
                    $value
                }
                elseif ($value -is [System.Collections.IEnumerable]) {
                    @($value | ForEach-Object { ConvertTo-AmsInvariantString -Value $_ }) -join ','
                }
                else {
                    ConvertTo-AmsInvariantString -Value $value
                }
                $pairs.Add(([string]$key) + '=' + $text)
            }
        }
        if ($pairs.Count -gt 0) {
            $parameters['Setting'] = $pairs.ToArray()
        }
    }

    if (-not $PSCmdlet.ShouldProcess('farm-wide service configuration', 'Update')) {
        return
    }
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'service-config set' -Parameters $parameters |
        Add-AmsTypeName -TypeName 'Ams.ServiceConfig'
}
