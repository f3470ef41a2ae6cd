# Results: type names for the format file, secrets as SecureString, and object references reduced
# to ids.

function Add-AmsTypeName {
    # Puts a type name such as 'Ams.Device' first in each object's PSTypeNames, for default views.
    # NestedTypeName names the objects inside array properties too (property name or wildcard
    # pattern -> type name), so that they show through their own ToString and views instead of as
    # @{...} text.
    [CmdletBinding()]
    param(
        [Parameter(ValueFromPipeline)]
        [AllowNull()]
        $InputObject,

        [Parameter(Mandatory)]
        [string] $TypeName,

        [System.Collections.IDictionary] $NestedTypeName
    )

    process {
        if ($null -eq $InputObject) {
            return
        }
        if ($InputObject.PSObject.TypeNames[0] -ne $TypeName) {
            $InputObject.PSObject.TypeNames.Insert(0, $TypeName)
        }
        if ($null -ne $NestedTypeName) {
            foreach ($property in @($InputObject.PSObject.Properties)) {
                foreach ($pattern in @($NestedTypeName.Keys)) {
                    if ($property.Name -notlike $pattern) {
                        continue
                    }
                    foreach ($item in @($property.Value)) {
                        if ($null -ne $item -and $item -isnot [string] -and $item -isnot [System.ValueType] -and $item.PSObject.TypeNames[0] -ne $NestedTypeName[$pattern]) {
                            $item.PSObject.TypeNames.Insert(0, $NestedTypeName[$pattern])
                        }
                    }
                    break
                }
            }
        }
        $InputObject
    }
}

function ConvertTo-AmsSecureString {
    # Copies text into a read-only SecureString.
    [CmdletBinding()]
    [OutputType([System.Security.SecureString])]
    param(
        [Parameter(Mandatory)]
        [AllowEmptyString()]
        [string] $Text
    )

    $secure = [System.Security.SecureString]::new()
    foreach ($character in $Text.ToCharArray()) {
        $secure.AppendChar($character)
    }
    $secure.MakeReadOnly()
    $secure
}

function ConvertFrom-AmsSecureString {
    # Plain text of a SecureString, only for writing it to the stdin of ams.
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)]
        [System.Security.SecureString] $SecureString
    )

    [System.Net.NetworkCredential]::new('', $SecureString).Password
}

function Protect-AmsSecretProperty {
    # Replaces the named string properties (passwords, recovery keys) with SecureStrings, unless
    # AsPlainText is set.
    [CmdletBinding()]
    param(
        [Parameter(ValueFromPipeline)]
        [AllowNull()]
        $InputObject,

        [Parameter(Mandatory)]
        [string[]] $PropertyName,

        [switch] $AsPlainText
    )

    process {
        if ($null -eq $InputObject) {
            return
        }
        if (-not $AsPlainText) {
            foreach ($name in $PropertyName) {
                $property = $InputObject.PSObject.Properties[$name]
                if ($null -ne $property -and $property.Value -is [string]) {
                    $property.Value = ConvertTo-AmsSecureString -Text $property.Value
                }
            }
        }
        $InputObject
    }
}

function ConvertTo-AmsId {
    # Reduces -Devices / -Groups values to id strings: a string or Guid is taken as is, an object
    # (from Get-AmsDevice, Get-AmsGroup, or a hashtable) gives its Id. Anything else is refused.
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)]
        [System.Management.Automation.PSCmdlet] $Caller,

        [Parameter(Mandatory)]
        [AllowEmptyCollection()]
        [object[]] $InputObject,

        [Parameter(Mandatory)]
        [string] $ParameterName
    )

    foreach ($item in $InputObject) {
        if ($null -eq $item) {
            continue
        }
        $id = $null
        if ($item -is [string]) {
            $id = $item
        }
        elseif ($item -is [guid]) {
            $id = $item.ToString()
        }
        elseif ($item -is [System.Collections.IDictionary]) {
            if ($item.Keys -contains 'Id') {
                $id = [string]$item['Id']
            }
        }
        elseif ($null -ne $item.PSObject.Properties['Id']) {
            $id = [string]$item.PSObject.Properties['Id'].Value
        }
        if ([string]::IsNullOrWhiteSpace($id)) {
            $message = "Each value of -$ParameterName must be an id string or an object with an Id property (for example from Get-AmsDevice or Get-AmsGroup)."
            $record = New-AmsSetupErrorRecord -ErrorId 'AmsInvalidObjectReference' -Message $message -Category InvalidArgument -TargetObject $item
            $Caller.ThrowTerminatingError($record)
        }
        $id
    }
}
