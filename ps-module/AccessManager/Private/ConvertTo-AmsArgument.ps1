# Requests: cmdlet parameters (PascalCase) become ams flags (kebab-case) for a command line, or a
# JSON parameters object for `ams batch`.

function ConvertTo-AmsFlagName {
    # 'AuthorityDeviceId' -> '--authority-device-id'
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)]
        [string] $Name
    )

    '--' + [regex]::Replace($Name, '(?<=[a-z0-9])(?=[A-Z])', '-').ToLowerInvariant()
}

function ConvertTo-AmsInvariantString {
    # Numbers and other values as text, independent of the current culture.
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)]
        [AllowEmptyString()]
        $Value
    )

    [System.Convert]::ToString($Value, [System.Globalization.CultureInfo]::InvariantCulture)
}

function ConvertTo-AmsArgument {
    # Writes the flags for a parameter dictionary: a set switch is a bare flag, a cleared switch or
    # $null is left out, an array repeats the flag once per value.
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)]
        [AllowEmptyCollection()]
        [System.Collections.IDictionary] $Parameters
    )

    foreach ($key in @($Parameters.Keys)) {
        $value = $Parameters[$key]
        $flag = ConvertTo-AmsFlagName -Name ([string]$key)
        if ($null -eq $value) {
            continue
        }
        if ($value -is [System.Management.Automation.SwitchParameter]) {
            if ($value.IsPresent) {
                $flag
            }
            continue
        }
        if ($value -is [bool]) {
            if ($value) {
                $flag
            }
            continue
        }
        # @() leaves a single value as one item and an array as its items.
        foreach ($item in @($value)) {
            if ($null -eq $item) {
                continue
            }
            $text = ConvertTo-AmsInvariantString -Value $item
            if ($text.StartsWith('-')) {
                # A value that looks like a flag is attached with '=' so it is read as a value.
                "$flag=$text"
            }
            else {
                $flag
                $text
            }
        }
    }
}

function ConvertTo-AmsBatchParameter {
    # The `parameters` object of one `ams batch` request: switches become true/false, arrays stay
    # arrays of strings, numbers stay numbers, $null values are dropped.
    [CmdletBinding()]
    [OutputType([System.Collections.Specialized.OrderedDictionary])]
    param(
        [AllowNull()]
        [System.Collections.IDictionary] $Parameters
    )

    $out = [ordered]@{}
    if ($null -eq $Parameters) {
        return $out
    }
    foreach ($key in @($Parameters.Keys)) {
        $value = $Parameters[$key]
        if ($null -eq $value) {
            continue
        }
        if ($value -is [System.Management.Automation.SwitchParameter]) {
            $out[[string]$key] = $value.IsPresent
        }
        elseif ($value -is [bool] -or $value -is [int] -or $value -is [long] -or $value -is [string]) {
            $out[[string]$key] = $value
        }
        elseif ($value -is [System.Collections.IEnumerable]) {
            $out[[string]$key] = [string[]]@($value | Where-Object { $null -ne $_ } | ForEach-Object { ConvertTo-AmsInvariantString -Value $_ })
        }
        else {
            $out[[string]$key] = ConvertTo-AmsInvariantString -Value $value
        }
    }
    $out
}

function Get-AmsVerbParameter {
    # Copies the named parameters that the caller bound (from $PSBoundParameters) into an ordered
    # dictionary, in the order given.
    [CmdletBinding()]
    [OutputType([System.Collections.Specialized.OrderedDictionary])]
    param(
        [Parameter(Mandatory)]
        [AllowEmptyCollection()]
        [System.Collections.IDictionary] $BoundParameters,

        [Parameter(Mandatory)]
        [string[]] $Name
    )

    $out = [ordered]@{}
    foreach ($parameterName in $Name) {
        if ($BoundParameters.Keys -contains $parameterName) {
            $out[$parameterName] = $BoundParameters[$parameterName]
        }
    }
    $out
}

function New-AmsRequest {
    # One queued request: the verb, its parameters and the object it is about (for error records).
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'Builds an object in memory; changes nothing.')]
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)]
        [string] $Verb,

        [Parameter(Mandatory)]
        [AllowEmptyCollection()]
        [System.Collections.IDictionary] $Parameters,

        [AllowNull()]
        $Target
    )

    [pscustomobject]@{
        Verb       = $Verb
        Parameters = $Parameters
        Target     = $Target
    }
}

function ConvertTo-AmsBooleanSetting {
    # ams takes each boolean setting as one flag with a value, `--enabled true|false`, so that a
    # setting can be turned off as well as on, on a command line and in a batch alike. This turns,
    # in place, the named entries of a parameter dictionary (a switch or a bool, however given)
    # into the words true and false, and maps a pair of upstream switches (-Enable/-Disable,
    # -ApprovalRequired/-ApprovalNotRequired, or a lone -Disabled) onto the one setting.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)]
        [AllowEmptyCollection()]
        [System.Collections.IDictionary] $Parameters,

        [string[]] $Name = @(),

        # The setting that the switches below feed, e.g. 'Enabled'.
        [string] $Setting,

        # A switch that sets the setting to true when present.
        [string] $OnSwitch,

        # A switch that sets the setting to false when present.
        [string] $OffSwitch
    )

    foreach ($key in $Name) {
        if ($Parameters.Keys -contains $key -and $null -ne $Parameters[$key]) {
            $Parameters[$key] = if ([bool]$Parameters[$key]) { 'true' } else { 'false' }
        }
    }
    if (-not $Setting) {
        return
    }
    $value = $null
    foreach ($pair in @(@($OnSwitch, 'true'), @($OffSwitch, 'false'))) {
        $switchName = $pair[0]
        if (-not $switchName -or $Parameters.Keys -notcontains $switchName) {
            continue
        }
        if ([bool]$Parameters[$switchName]) {
            $value = $pair[1]
        }
        $Parameters.Remove($switchName)
    }
    if ($null -ne $value) {
        $Parameters[$Setting] = $value
    }
}

function ConvertTo-AmsRuleParameter {
    # The values of the authorization rule cmdlets (New-/Set-AmsComputerAuthorizationRule,
    # New-/Set-AmsRoleAuthorizationRule) that ams reads in another form, changed in place:
    # RuleExpiryDate as RFC 3339 UTC (a DateTime is local time unless it says otherwise), and
    # AuthorizationScriptPath as a full file-system path (a missing file stops the cmdlet).
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)]
        [AllowEmptyCollection()]
        [System.Collections.IDictionary] $Parameters
    )

    if ($Parameters.Contains('RuleExpiryDate')) {
        $Parameters['RuleExpiryDate'] = ([datetime]$Parameters['RuleExpiryDate']).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ', [System.Globalization.CultureInfo]::InvariantCulture)
    }
    if ($Parameters.Contains('AuthorizationScriptPath')) {
        $Parameters['AuthorizationScriptPath'] = (Resolve-Path -LiteralPath $Parameters['AuthorizationScriptPath'] -ErrorAction Stop).ProviderPath
    }
}
