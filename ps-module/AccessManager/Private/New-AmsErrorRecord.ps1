# Error records: ams reports failures as {"error":{"code","kind","message","hint","context"}} on
# stderr (or per request in `ams batch`). They become ErrorRecords whose ErrorId is the code, whose
# category comes from the kind, and whose RecommendedAction is the hint.

function Get-AmsMember {
    # Reads a property of a parsed JSON object (or a key of a dictionary); $null when absent.
    [CmdletBinding()]
    param(
        [AllowNull()]
        $InputObject,

        [Parameter(Mandatory)]
        [string] $Name
    )

    if ($null -eq $InputObject) {
        return $null
    }
    if ($InputObject -is [System.Collections.IDictionary]) {
        if ($InputObject.Keys -contains $Name) {
            return , $InputObject[$Name]
        }
        return $null
    }
    $property = $InputObject.PSObject.Properties[$Name]
    if ($null -eq $property) {
        return $null
    }
    , $property.Value
}

function Get-AmsErrorCategory {
    # Maps an ams error kind to a PowerShell error category.
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorCategory])]
    param(
        [AllowNull()]
        [AllowEmptyString()]
        [string] $Kind
    )

    switch ($Kind) {
        'not_found' { return [System.Management.Automation.ErrorCategory]::ObjectNotFound }
        'conflict' { return [System.Management.Automation.ErrorCategory]::ResourceExists }
        'invalid_input' { return [System.Management.Automation.ErrorCategory]::InvalidArgument }
        'usage' { return [System.Management.Automation.ErrorCategory]::InvalidArgument }
        'permission_denied' { return [System.Management.Automation.ErrorCategory]::PermissionDenied }
        'unavailable' { return [System.Management.Automation.ErrorCategory]::ResourceUnavailable }
        'schema_version' { return [System.Management.Automation.ErrorCategory]::InvalidOperation }
        'integrity' { return [System.Management.Automation.ErrorCategory]::InvalidData }
        'config' { return [System.Management.Automation.ErrorCategory]::InvalidOperation }
        default { return [System.Management.Automation.ErrorCategory]::NotSpecified }
    }
}

function New-AmsErrorRecord {
    # Builds an ErrorRecord from the inner object of an ams error document.
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'Builds an object in memory; changes nothing.')]
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorRecord])]
    param(
        [Parameter(Mandatory)]
        [AllowNull()]
        $ErrorObject,

        [int] $ExitCode,

        [AllowNull()]
        $TargetObject
    )

    $code = [string](Get-AmsMember -InputObject $ErrorObject -Name 'code')
    $kind = [string](Get-AmsMember -InputObject $ErrorObject -Name 'kind')
    $message = [string](Get-AmsMember -InputObject $ErrorObject -Name 'message')
    $hint = [string](Get-AmsMember -InputObject $ErrorObject -Name 'hint')
    $context = Get-AmsMember -InputObject $ErrorObject -Name 'context'
    if ([string]::IsNullOrWhiteSpace($code)) {
        $code = 'AmsCliFailed'
    }
    if ([string]::IsNullOrWhiteSpace($message)) {
        $message = "ams failed ($code)."
    }

    $exception = switch ($kind) {
        'not_found' { [System.Management.Automation.ItemNotFoundException]::new($message) }
        'invalid_input' { [System.ArgumentException]::new($message) }
        'usage' { [System.ArgumentException]::new($message) }
        'permission_denied' { [System.UnauthorizedAccessException]::new($message) }
        default { [System.InvalidOperationException]::new($message) }
    }
    $exception.Data['AmsCode'] = $code
    $exception.Data['AmsKind'] = $kind
    $exception.Data['AmsExitCode'] = $ExitCode
    if ($null -ne $context) {
        # As JSON text: .NET Framework only accepts serializable values in Exception.Data.
        $exception.Data['AmsContext'] = ConvertTo-Json -InputObject $context -Depth 5 -Compress
    }

    if ($null -eq $TargetObject) {
        $TargetObject = $context
    }
    $record = [System.Management.Automation.ErrorRecord]::new($exception, $code, (Get-AmsErrorCategory -Kind $kind), $TargetObject)
    $details = [System.Management.Automation.ErrorDetails]::new($message)
    if (-not [string]::IsNullOrWhiteSpace($hint)) {
        $details.RecommendedAction = $hint
    }
    $record.ErrorDetails = $details
    if (-not [string]::IsNullOrWhiteSpace($kind)) {
        $record.CategoryInfo.Reason = $kind
    }
    $record
}

function New-AmsSetupErrorRecord {
    # Builds an ErrorRecord for a failure of the module itself (ams missing, unreadable output).
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'Builds an object in memory; changes nothing.')]
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorRecord])]
    param(
        [Parameter(Mandatory)]
        [string] $ErrorId,

        [Parameter(Mandatory)]
        [string] $Message,

        [System.Management.Automation.ErrorCategory] $Category = [System.Management.Automation.ErrorCategory]::NotSpecified,

        [AllowNull()]
        $TargetObject,

        [AllowNull()]
        [System.Exception] $Exception
    )

    $wrapped = if ($null -ne $Exception) {
        [System.InvalidOperationException]::new($Message, $Exception)
    }
    else {
        [System.InvalidOperationException]::new($Message)
    }
    [System.Management.Automation.ErrorRecord]::new($wrapped, $ErrorId, $Category, $TargetObject)
}

function Write-AmsErrorDocument {
    # Reports an ams error on the calling cmdlet: non-terminating for failures about one object, so
    # -ErrorAction works as usual; terminating for failures that no other object could avoid (the
    # command line was refused, the instance is not set up, or the schema does not match).
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)]
        [System.Management.Automation.PSCmdlet] $Caller,

        [Parameter(Mandatory)]
        [AllowNull()]
        $ErrorObject,

        [int] $ExitCode,

        [AllowNull()]
        $TargetObject,

        [switch] $Terminating
    )

    $record = New-AmsErrorRecord -ErrorObject $ErrorObject -ExitCode $ExitCode -TargetObject $TargetObject
    $kind = [string](Get-AmsMember -InputObject $ErrorObject -Name 'kind')
    if ($Terminating -or $kind -in @('usage', 'config', 'schema_version')) {
        $Caller.ThrowTerminatingError($record)
    }
    $Caller.WriteError($record)
}
